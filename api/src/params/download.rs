//! The parameters of `/api/v2/download`: forces, a period and the kinds of file.

use police_index::reference::force_by_id;
use police_index::Month;
use police_store::export::ArchiveSelection;
use police_store::import::FileKind;
use utoipa::IntoParams;

use super::{Params, PeriodQuery};
use crate::error::ApiError;

/// What the custom download should hold.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// Force ids, comma-separated (e.g. `city-of-london,metropolitan`; `btp` too); default every force: the national archive. An unknown force is a 404
    #[param(example = "city-of-london")]
    forces: Option<String>,
    /// First month `YYYY-MM`; default 11 months before `to` (a year in all)
    #[param(example = "2016-01")]
    from: Option<String>,
    /// Last month `YYYY-MM`, inclusive; default the latest month with data; the period is at most 600 months
    #[param(example = "2016-12")]
    to: Option<String>,
    /// Kinds of file, comma-separated: `street`, `outcomes`, `stop-and-search`; default all three
    #[param(example = "street,outcomes")]
    kinds: Option<String>,
}

impl DownloadQuery {
    /// The download parameters among `params`.
    pub fn from_params(params: &Params) -> Self {
        DownloadQuery {
            forces: params.text("forces"),
            from: params.text("from"),
            to: params.text("to"),
            kinds: params.text("kinds"),
        }
    }

    /// The selection asked for, `latest` being the newest month the store has data for:
    /// 400 naming the parameter for a malformed month, `from` after `to`, an empty item or
    /// an unknown kind; 404 for an unknown force, or without data and without `to`.
    pub fn selection(&self, latest: Option<Month>) -> Result<ArchiveSelection, ApiError> {
        if latest.is_none() && self.to.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::NotFound(
                "no data has been imported yet: there is nothing to download".into(),
            ));
        }
        let (from, to) =
            PeriodQuery { from: self.from.clone(), to: self.to.clone() }.period(latest)?;
        let mut forces = Vec::new();
        for id in list("forces", self.forces.as_deref())? {
            let force = force_by_id(id).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "forces: unknown force {id:?} (see /api/forces; btp is British Transport \
                     Police)"
                ))
            })?;
            forces.push(force.id.to_owned());
        }
        forces.sort_unstable();
        forces.dedup();
        let mut kinds = Vec::new();
        for name in list("kinds", self.kinds.as_deref())? {
            let kind = FileKind::ALL.into_iter().find(|k| k.as_str() == name).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "kinds: unknown kind {name:?}; give street, outcomes and/or stop-and-search"
                ))
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if kinds.is_empty() {
            kinds = FileKind::ALL.to_vec();
        }
        Ok(ArchiveSelection { forces, from, to, kinds })
    }
}

/// The items of a comma-separated parameter (none when absent or empty); 400 naming `key`
/// for an empty item.
fn list<'a>(key: &str, text: Option<&'a str>) -> Result<Vec<&'a str>, ApiError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                Err(ApiError::BadRequest(format!("{key}: an empty item in {text:?}")))
            } else {
                Ok(item)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(pairs: &[(&str, &str)]) -> Result<ArchiveSelection, ApiError> {
        let params =
            Params { pairs: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
        DownloadQuery::from_params(&params).selection(Some("2016-12".parse().unwrap()))
    }

    fn month(text: &str) -> Month {
        text.parse().unwrap()
    }

    #[test]
    fn defaults_are_every_force_every_kind_and_the_latest_year() {
        assert_eq!(
            selection(&[]).unwrap(),
            ArchiveSelection {
                forces: vec![],
                from: month("2016-01"),
                to: month("2016-12"),
                kinds: FileKind::ALL.to_vec(),
            }
        );
    }

    #[test]
    fn lists_are_read_and_deduplicated() {
        let chosen = selection(&[
            ("forces", "metropolitan,city-of-london,metropolitan"),
            ("kinds", "stop-and-search,street,street"),
            ("from", "2015-03"),
            ("to", "2015-04"),
        ])
        .unwrap();
        assert_eq!(chosen.forces, ["city-of-london", "metropolitan"]);
        assert_eq!(chosen.kinds, [FileKind::StopAndSearch, FileKind::Street]);
        assert_eq!((chosen.from, chosen.to), (month("2015-03"), month("2015-04")));
    }

    #[test]
    fn mistakes_name_their_parameter() {
        let message = |pairs: &[(&str, &str)]| match selection(pairs) {
            Err(ApiError::BadRequest(m)) => format!("400 {m}"),
            Err(ApiError::NotFound(m)) => format!("404 {m}"),
            other => panic!("{other:?}"),
        };
        assert!(message(&[("forces", "atlantis")]).starts_with("404 forces: unknown force"));
        assert!(message(&[("forces", "kent,,surrey")]).starts_with("400 forces: an empty item"));
        assert!(message(&[("kinds", "crimes")]).starts_with("400 kinds: unknown kind"));
        assert!(message(&[("from", "2016-13")]).starts_with("400 from"));
        assert!(message(&[("from", "2016-05"), ("to", "2016-04")]).contains("after"));
    }
}
