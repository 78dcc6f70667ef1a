//! Loading a snapshot on top of the previous one: when the imports since it change only
//! months newer than every month it keeps (a month's publication, or the newest month's
//! files arriving one by one) and remove whole months (a retention window), only those
//! months' crimes and outcomes are read from PostgreSQL, and the crime index shares every
//! other month with the previous snapshot's (see [`CrimeIndex::updated`]). Anything else
//! (an older month re-imported, snap points removed) loads the snapshot whole.

use std::collections::{BTreeMap, BTreeSet};

use diesel::connection::DefaultLoadingMode;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};

use police_index::crimes::{CrimeIndex, IndexBuilder};
use police_index::Month;

use super::{
    add_crime_row, add_outcome_row, point_of_row, SharedNames, CRIME_COLUMNS, OUTCOME_COLUMNS,
};

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
    /// Snap points the previous snapshot held.
    location_count: i64,
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
            location_count: previous.location_count,
        })
    }

    /// Whether the plan changes the crime index at all.
    pub(super) fn changes_crimes(&self, now: &HeldImports) -> bool {
        !(self.read.is_empty()
            && self.removed.is_empty()
            && now.location_count == self.location_count)
    }

    /// Whether the previous index's `month` stays.
    pub(super) fn keeps(&self, month: Month) -> bool {
        !self.removed.contains(&month) && self.read.binary_search(&month).is_err()
    }
}

/// One row's fields as text, `None` for NULL: what `COPY … TO STDOUT` gives, through a query.
#[derive(QueryableByName)]
struct TextFields {
    #[diesel(sql_type = Array<Nullable<Text>>)]
    fields: Vec<Option<String>>,
}

/// A query selecting `ARRAY[…] AS fields`, with its binds.
type TextQuery = BoxedSqlQuery<'static, Pg, SqlQuery>;

/// Runs `query` and calls `row` with each row's `N` fields.
fn for_each_text_row<const N: usize>(
    conn: &mut PgConnection,
    query: TextQuery,
    mut row: impl FnMut(&[Option<&str>; N]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for fields in query.load_iter::<TextFields, DefaultLoadingMode>(conn)? {
        let fields = fields?.fields;
        anyhow::ensure!(fields.len() == N, "expected {N} fields, got {}", fields.len());
        let fields: [Option<&str>; N] = std::array::from_fn(|i| fields[i].as_deref());
        row(&fields)?;
    }
    Ok(())
}

/// The previous index updated by `plan`, reading from `conn` (in the snapshot's
/// transaction).
pub(super) fn updated_index(
    conn: &mut PgConnection,
    previous: &CrimeIndex,
    plan: &UpdatePlan,
) -> anyhow::Result<CrimeIndex> {
    let mut additions = IndexBuilder::continuing(previous)?;
    let mut names = SharedNames::default();
    let points = diesel::sql_query(
        "SELECT ARRAY[id::text, latitude::text, longitude::text, name, location_type, \
                      location_subtype] AS fields \
         FROM locations WHERE id > $1 ORDER BY id",
    )
    .into_boxed()
    .bind::<Integer, _>(plan.points_after);
    for_each_text_row(conn, points, |f: &[Option<&str>; 6]| {
        additions.add_point(point_of_row(f, &mut names)?);
        Ok(())
    })?;
    let months = |months: &[Month]| months.iter().map(|m| format!("{m}-01")).collect::<Vec<_>>();
    if !plan.read.is_empty() {
        let sql = format!(
            "SELECT ARRAY[{CRIME_COLUMNS}] AS fields FROM crimes WHERE month = ANY($1::date[])"
        );
        let query = diesel::sql_query(sql).into_boxed().bind::<Array<Text>, _>(months(&plan.read));
        for_each_text_row(conn, query, |f: &[Option<&str>; 10]| add_crime_row(&mut additions, f))?;
        let sql = format!(
            "SELECT ARRAY[{OUTCOME_COLUMNS}] AS fields FROM outcomes WHERE month = ANY($1::date[])"
        );
        let query = diesel::sql_query(sql).into_boxed().bind::<Array<Text>, _>(months(&plan.read));
        for_each_text_row(conn, query, |f: &[Option<&str>; 4]| add_outcome_row(&mut additions, f))?;
    }
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
        assert!(plan.changes_crimes(&after));
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
        assert!(!nothing.changes_crimes(&before));
        let stops_only = held(&[("street", "2024-01", &[1]), ("street", "2024-02", &[2])], (6, 6));
        assert!(UpdatePlan::new(&before, &stops_only).unwrap().changes_crimes(&stops_only));
    }
}
