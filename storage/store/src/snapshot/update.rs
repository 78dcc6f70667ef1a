//! Loading a snapshot on top of the previous one: when the imports since it change only
//! months newer than every month it keeps (a month's publication, or the newest month's
//! files arriving one by one) and remove whole months (a retention window), only those
//! months' crimes and outcomes are read from PostgreSQL, and the crime index shares every
//! other month with the previous snapshot's (see [`CrimeIndex::updated`]). Anything else
//! (an older month re-imported, snap points removed) loads the snapshot whole.

use std::collections::{BTreeMap, BTreeSet};

use diesel::pg::{CopyFormat, CopyTarget, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use police_index::crimes::{CrimeIndex, IndexBuilder};
use police_index::Month;

use super::{
    add_crime_row, add_outcome_row, add_points_by_id, copy_connection, for_each_row, joined,
    point_of_row, SharedNames,
};
use crate::db::copy_query_target;
use crate::schema::{crimes, locations, outcomes};

/// The kinds whose rows are in the crime index.
const STREET: &str = "street";
const OUTCOMES: &str = "outcomes";

/// What a snapshot was loaded from, to tell what changed by the next load: the newest import
/// of each street and outcomes file (by kind and month), and the snap points' extent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HeldImports {
    /// (kind, month) → the ledger ids of the month's files of that kind, sorted.
    files: BTreeMap<(String, Month), Vec<i64>>,
    /// Rows in `locations`, and the highest id.
    location_count: i64,
    location_max_id: i32,
}

#[derive(QueryableByName)]
struct HeldFile {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct LocationExtent {
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = Integer)]
    max_id: i32,
}

impl HeldImports {
    /// Reads them in the caller's transaction.
    pub(super) fn read(conn: &mut PgConnection) -> anyhow::Result<HeldImports> {
        let rows: Vec<HeldFile> = diesel::sql_query(
            "SELECT DISTINCT ON (kind, force_id, month) kind, to_char(month, 'YYYY-MM') AS month, id \
             FROM imports WHERE kind IN ($1, $2) ORDER BY kind, force_id, month, id DESC",
        )
        .bind::<Text, _>(STREET)
        .bind::<Text, _>(OUTCOMES)
        .load(conn)?;
        let mut files: BTreeMap<(String, Month), Vec<i64>> = BTreeMap::new();
        for row in rows {
            files.entry((row.kind, row.month.parse()?)).or_default().push(row.id);
        }
        for ids in files.values_mut() {
            ids.sort_unstable();
        }
        let extent: LocationExtent = diesel::sql_query(
            "SELECT count(*) AS count, COALESCE(max(id), 0) AS max_id FROM locations",
        )
        .get_result(conn)?;
        Ok(HeldImports { files, location_count: extent.count, location_max_id: extent.max_id })
    }

    fn months(&self, kind: &str) -> BTreeMap<Month, &[i64]> {
        self.files
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|((_, month), ids)| (*month, ids.as_slice()))
            .collect()
    }
}

/// What an update reads and drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UpdatePlan {
    /// Months whose files changed or are new: dropped from the previous index (if held) and
    /// their crimes and outcomes read whole.
    pub read: Vec<Month>,
    /// Months no longer held, of either kind.
    pub removed: BTreeSet<Month>,
    /// Snap points with a higher id are new.
    pub points_after: i32,
    /// Whether there are new snap points.
    points_added: bool,
}

impl UpdatePlan {
    /// How to go from `previous` to `now`, or why the snapshot must be loaded whole: the
    /// months read must all be newer than every month kept (the index adds months only
    /// after those it holds).
    pub(super) fn new(previous: &HeldImports, now: &HeldImports) -> Result<UpdatePlan, String> {
        let (old_street, new_street) = (previous.months(STREET), now.months(STREET));
        let (old_outcomes, new_outcomes) = (previous.months(OUTCOMES), now.months(OUTCOMES));
        let all: BTreeSet<Month> = [&old_street, &new_street, &old_outcomes, &new_outcomes]
            .into_iter()
            .flat_map(|months| months.keys().copied())
            .collect();
        let (mut read, mut removed, mut newest_kept) = (Vec::new(), BTreeSet::new(), None);
        for month in all {
            let old = (old_street.get(&month), old_outcomes.get(&month));
            let new = (new_street.get(&month), new_outcomes.get(&month));
            if old == new {
                newest_kept = Some(month);
            } else if new == (None, None) {
                removed.insert(month);
            } else {
                read.push(month);
            }
        }
        if let (Some(first), Some(kept)) = (read.first(), newest_kept) {
            if *first < kept {
                return Err(format!(
                    "the files of {first} changed, and {kept}, a newer month, is held unchanged"
                ));
            }
        }
        if now.location_count < previous.location_count
            || now.location_max_id < previous.location_max_id
        {
            return Err("snap points were removed".into());
        }
        Ok(UpdatePlan {
            read,
            removed,
            points_after: previous.location_max_id,
            points_added: now.location_count != previous.location_count,
        })
    }

    /// Whether the plan changes the crime index at all.
    pub(super) fn changes_crimes(&self) -> bool {
        !(self.read.is_empty() && self.removed.is_empty() && !self.points_added)
    }

    /// Whether the previous index's `month` stays.
    pub(super) fn keeps(&self, month: Month) -> bool {
        !self.removed.contains(&month) && self.read.binary_search(&month).is_err()
    }
}

/// The session setting that tells the `COPY` queries below which months to read
/// (`YYYY-MM-DD` dates in an array literal), or above which location id.
const MONTHS_SETTING: &str = "police_api.update_months";
const POINTS_AFTER_SETTING: &str = "police_api.update_points_after";

// The rows an update reads, streamed in the same text format as the whole load's `COPY` of
// the tables (so the same row readers take them). The crimes and outcomes are selected by
// force too (those with files of the months, from the ledger), which lets PostgreSQL read
// them through the `(force_id, month)` index rather than scan the tables (one month of 12
// national months: about 1 s instead of 3.9 s).
copy_query_target!(
    NewPoints,
    locations::table,
    "SELECT id, latitude, longitude, name, location_type, location_subtype FROM locations \
     WHERE id > current_setting('police_api.update_points_after')::integer"
);
copy_query_target!(
    CrimesOfMonths,
    crimes::table,
    "SELECT id, month, force_id, persistent_id, location_id, category, last_outcome, \
             context, lsoa_code, lsoa_name FROM crimes \
      WHERE month = ANY(current_setting('police_api.update_months')::date[]) \
        AND force_id = ANY(ARRAY(SELECT DISTINCT force_id FROM imports \
            WHERE month = ANY(current_setting('police_api.update_months')::date[])))"
);
copy_query_target!(
    OutcomesOfMonths,
    outcomes::table,
    "SELECT month, persistent_id, location_id, outcome_code FROM outcomes \
      WHERE month = ANY(current_setting('police_api.update_months')::date[]) \
        AND force_id = ANY(ARRAY(SELECT DISTINCT force_id FROM imports \
            WHERE month = ANY(current_setting('police_api.update_months')::date[])))"
);

/// Streams `target`'s rows on a connection of its own in the snapshot's transaction
/// (`shared`), with `setting` set to `value` first, into `row`.
fn copy_rows<T: CopyTarget, const N: usize>(
    database_url: &str,
    shared: &str,
    target: T,
    (setting, value): (&str, &str),
    row: impl FnMut(&[Option<&str>; N]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut conn = copy_connection(database_url, shared)?;
    diesel::sql_query("SELECT set_config($1, $2, false)")
        .bind::<Text, _>(setting)
        .bind::<Text, _>(value)
        .execute(&mut conn)?;
    let reader = diesel::copy_to(target).with_format(CopyFormat::Text).load_raw(&mut conn)?;
    for_each_row(reader, row)
}

/// The previous index updated by `plan`: the new snap points, and the crimes and outcomes
/// of the months read, each streamed on a thread and connection of its own in the
/// snapshot's transaction (`shared`).
pub(super) fn updated_index(
    database_url: &str,
    shared: &str,
    previous: &CrimeIndex,
    plan: &UpdatePlan,
) -> anyhow::Result<CrimeIndex> {
    let months = plan.read.iter().map(|m| format!("{m}-01")).collect::<Vec<_>>().join(",");
    let months = format!("{{{months}}}");
    let points_after = plan.points_after.to_string();
    let additions = std::thread::scope(|scope| -> anyhow::Result<IndexBuilder> {
        let crimes = scope.spawn(|| {
            let mut builder = IndexBuilder::new();
            if !plan.read.is_empty() {
                copy_rows(database_url, shared, CrimesOfMonths, (MONTHS_SETTING, &months), |f| {
                    add_crime_row(&mut builder, f)
                })?;
            }
            anyhow::Ok(builder)
        });
        let outcomes = scope.spawn(|| {
            let mut builder = IndexBuilder::new();
            if !plan.read.is_empty() {
                let setting = (MONTHS_SETTING, months.as_str());
                copy_rows(database_url, shared, OutcomesOfMonths, setting, |f| {
                    add_outcome_row(&mut builder, f)
                })?;
            }
            anyhow::Ok(builder)
        });
        let mut additions = IndexBuilder::continuing(previous)?;
        let mut points = Vec::new();
        let mut names = SharedNames::default();
        copy_rows(database_url, shared, NewPoints, (POINTS_AFTER_SETTING, &points_after), |f| {
            points.push(point_of_row(f, &mut names)?);
            Ok(())
        })?;
        add_points_by_id(&mut additions, points);
        additions.append(joined(crimes)?)?;
        additions.append(joined(outcomes)?)?;
        Ok(additions)
    })?;
    previous.updated(additions, |month| plan.keeps(month))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Imports held: (kind, month, ledger ids), and the locations' count and highest id.
    fn held(files: &[(&str, &str, &[i64])], locations: (i64, i32)) -> HeldImports {
        HeldImports {
            files: files
                .iter()
                .map(|(kind, month, ids)| {
                    ((kind.to_string(), month.parse().unwrap()), ids.to_vec())
                })
                .collect(),
            location_count: locations.0,
            location_max_id: locations.1,
        }
    }

    fn months(list: &[&str]) -> Vec<Month> {
        list.iter().map(|m| m.parse().unwrap()).collect()
    }

    #[test]
    fn a_new_month_is_read_and_the_oldest_dropped() {
        let before = held(
            &[
                ("street", "2024-01", &[1, 2]),
                ("outcomes", "2024-01", &[3]),
                ("street", "2024-02", &[4]),
            ],
            (10, 10),
        );
        let after = held(
            &[
                ("street", "2024-02", &[4]),
                ("street", "2024-03", &[7, 8]),
                ("outcomes", "2024-03", &[9]),
            ],
            (12, 12),
        );
        let plan = UpdatePlan::new(&before, &after).unwrap();
        assert_eq!(plan.read, months(&["2024-03"]));
        assert_eq!(plan.removed.iter().copied().collect::<Vec<_>>(), months(&["2024-01"]));
        assert_eq!(plan.points_after, 10);
        assert!(plan.changes_crimes());
        assert!(plan.keeps("2024-02".parse().unwrap()));
        assert!(!plan.keeps("2024-01".parse().unwrap()));
        assert!(!plan.keeps("2024-03".parse().unwrap()));
    }

    #[test]
    fn the_newest_month_is_read_again_when_its_files_change() {
        let before = held(&[("street", "2024-01", &[1]), ("street", "2024-02", &[2])], (5, 5));
        let after = held(
            &[
                ("street", "2024-01", &[1]),
                ("street", "2024-02", &[2, 6]),
                ("outcomes", "2024-02", &[7]),
            ],
            (5, 5),
        );
        let plan = UpdatePlan::new(&before, &after).unwrap();
        assert_eq!(plan.read, months(&["2024-02"]));
        assert!(plan.removed.is_empty());
        assert!(!plan.keeps("2024-02".parse().unwrap()));
    }

    #[test]
    fn an_older_month_changed_or_points_removed_load_whole() {
        let before = held(&[("street", "2024-01", &[1]), ("street", "2024-02", &[2])], (5, 5));
        let older = held(&[("street", "2024-01", &[3]), ("street", "2024-02", &[2])], (5, 5));
        let reason = UpdatePlan::new(&before, &older).unwrap_err();
        assert!(reason.contains("2024-01 changed"), "{reason}");
        let fewer_points =
            held(&[("street", "2024-01", &[1]), ("street", "2024-02", &[2])], (4, 5));
        assert!(UpdatePlan::new(&before, &fewer_points).is_err());
        let nothing = UpdatePlan::new(&before, &before).unwrap();
        assert!(!nothing.changes_crimes());
        let stops_only = held(&[("street", "2024-01", &[1]), ("street", "2024-02", &[2])], (6, 6));
        assert!(UpdatePlan::new(&before, &stops_only).unwrap().changes_crimes());
    }
}
