//! The parameters of `/api/v2/stops/counts` beyond the shared v2 area: its period (the same
//! `from`/`to` as [`PeriodQuery`], defaulting to the stop-and-search data) and `by`.

use police_index::stops::{StopDimension, MAX_STOP_DIMENSIONS};
use police_index::Month;
use utoipa::IntoParams;

use super::{Params, PeriodQuery};
use crate::error::ApiError;

/// `from` and `to` of a v2 stop-and-search route: a period of whole months.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StopPeriodQuery {
    /// First month `YYYY-MM`; default 11 months before `to` (a year in all)
    #[param(example = "2018-03")]
    from: Option<String>,
    /// Last month `YYYY-MM`, inclusive; default the latest month with stop-and-search data; the period is at most 600 months
    #[param(example = "2019-02")]
    to: Option<String>,
}

impl StopPeriodQuery {
    /// `from` and `to` among `params`.
    pub fn from_params(params: &Params) -> Self {
        StopPeriodQuery { from: params.text("from"), to: params.text("to") }
    }

    /// `(from, to)` as [`PeriodQuery::period`] reads them, `latest` being the latest month of
    /// stop-and-search data (404 when there is none and no `to`).
    pub fn period(&self, latest: Option<Month>) -> Result<(Month, Month), ApiError> {
        if latest.is_none() && self.to.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::NotFound(
                "no stop-and-search data has been imported yet: give from and to to see the \
                 months as missing"
                    .into(),
            ));
        }
        PeriodQuery { from: self.from.clone(), to: self.to.clone() }.period(latest)
    }
}

/// `by` of `/api/v2/stops/counts`: what to group stops by.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StopGroupingQuery {
    /// Dimensions to group by, comma-separated, at most 3, in the order the keys are wanted: `month`, `self_defined_ethnicity`, `officer_defined_ethnicity`, `age_range`, `gender`, `object_of_search`, `outcome`, `legislation`, `type`; default none (one group of every stop). An unknown name is a 400
    #[param(example = "month,officer_defined_ethnicity")]
    by: Option<String>,
}

impl StopGroupingQuery {
    /// `by` among `params`.
    pub fn from_params(params: &Params) -> Self {
        StopGroupingQuery { by: params.text("by") }
    }

    /// The dimensions asked for, in the order given, without repeats; none when `by` is
    /// absent or empty. 400 for an unknown or empty name, or more than
    /// [`MAX_STOP_DIMENSIONS`] dimensions.
    pub fn dimensions(&self) -> Result<Vec<StopDimension>, ApiError> {
        let text = match self.by.as_deref() {
            None | Some("") => return Ok(Vec::new()),
            Some(text) => text,
        };
        let mut dimensions: Vec<StopDimension> = Vec::new();
        for name in text.split(',').map(str::trim) {
            let dimension = StopDimension::from_name(name).ok_or_else(|| {
                let valid: Vec<&str> = StopDimension::ALL.iter().map(|d| d.name()).collect();
                ApiError::BadRequest(format!(
                    "by: unknown dimension {name:?}; use one or more of {}, comma-separated",
                    valid.join(", ")
                ))
            })?;
            if !dimensions.contains(&dimension) {
                dimensions.push(dimension);
            }
        }
        if dimensions.len() > MAX_STOP_DIMENSIONS {
            return Err(ApiError::BadRequest(format!(
                "by: at most {MAX_STOP_DIMENSIONS} dimensions, got {}",
                dimensions.len()
            )));
        }
        Ok(dimensions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(text: &str) -> Result<Vec<StopDimension>, ApiError> {
        StopGroupingQuery { by: Some(text.into()) }.dimensions()
    }

    #[test]
    fn by_names_dimensions_in_order_without_repeats() {
        assert_eq!(StopGroupingQuery::default().dimensions(), Ok(vec![]));
        assert_eq!(by(""), Ok(vec![]));
        assert_eq!(
            by("outcome, month,outcome"),
            Ok(vec![StopDimension::Outcome, StopDimension::Month])
        );
        for bad in ["ethnicity", "month,", "month,,gender", "Month"] {
            assert!(
                matches!(by(bad), Err(ApiError::BadRequest(m)) if m.starts_with("by: unknown")),
                "{bad}"
            );
        }
        assert_eq!(
            by("month,gender,type,outcome"),
            Err(ApiError::BadRequest("by: at most 3 dimensions, got 4".into()))
        );
    }

    #[test]
    fn the_default_period_is_the_stop_data_s_year() {
        let period = |from: Option<&str>, to: Option<&str>, latest: Option<&str>| {
            StopPeriodQuery { from: from.map(Into::into), to: to.map(Into::into) }
                .period(latest.map(|m| m.parse().unwrap()))
        };
        let month = |m: &str| m.parse::<Month>().unwrap();
        assert_eq!(period(None, None, Some("2019-02")), Ok((month("2018-03"), month("2019-02"))));
        assert_eq!(
            period(Some("2019-01"), Some("2019-01"), None),
            Ok((month("2019-01"), month("2019-01")))
        );
        assert!(matches!(
            period(None, None, None),
            Err(ApiError::NotFound(m)) if m.starts_with("no stop-and-search data")
        ));
        assert!(matches!(period(Some("x"), None, Some("2019-02")), Err(ApiError::BadRequest(_))));
    }
}
