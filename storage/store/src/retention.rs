//! The retention window (`--keep-months N`): the store keeps the newest N calendar months of
//! monthly files (police.uk's API keeps 36) and drops the older ones in one transaction, with
//! the same notification an import sends for each file it commits, so running servers swap in
//! a snapshot without them.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use police_index::Month;

use crate::db::IMPORT_CHANNEL;

/// The advisory lock that orders two retention runs (a `sync` and a server's own) one after
/// the other; next to the imports' lock class.
const RETENTION_LOCK_CLASS: i32 = 0x706f_6c6a;

/// What [`keep_newest_months`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// The oldest month kept; `None` when the store holds no monthly file.
    pub first_kept: Option<Month>,
    /// The months removed, oldest first.
    pub months_removed: Vec<Month>,
    /// Files (one kind, force and month each) removed from the `imports` ledger.
    pub files_removed: usize,
    /// Crimes, outcomes and stops deleted.
    pub rows_deleted: u64,
}

/// The oldest month of a window of `keep` months ending with `newest`; `None` for `keep` 0
/// (everything is kept).
pub fn first_kept_month(newest: Month, keep: u32) -> Option<Month> {
    let keep = i32::try_from(keep).ok().filter(|&keep| keep > 0)?;
    Some(newest.plus(1 - keep).unwrap_or(newest))
}

#[derive(QueryableByName)]
struct NewestMonth {
    #[diesel(sql_type = Nullable<Text>)]
    month: Option<String>,
}

/// The newest month of any monthly file in the store (its `imports` ledger).
pub fn newest_month(conn: &mut PgConnection) -> anyhow::Result<Option<Month>> {
    let row: NewestMonth =
        diesel::sql_query("SELECT to_char(max(month), 'YYYY-MM') AS month FROM imports")
            .get_result(conn)?;
    row.month.map(|month| month.parse().map_err(anyhow::Error::from)).transpose()
}

#[derive(QueryableByName)]
struct RemovedFile {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    force_id: String,
    #[diesel(sql_type = Text)]
    month: String,
}

/// Removes every monthly file (its crimes, outcomes or stops, its ledger rows and their
/// rejections) older than the newest `keep` calendar months of the store, in one
/// transaction, and notifies [`IMPORT_CHANNEL`] once per file removed (`<kind> <force>
/// <YYYY-MM>`, as an import does). `keep` 0 removes nothing. Force and neighbourhood files
/// and snap points stay.
pub fn keep_newest_months(conn: &mut PgConnection, keep: u32) -> anyhow::Result<RetentionReport> {
    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, 0)")
            .bind::<diesel::sql_types::Integer, _>(RETENTION_LOCK_CLASS)
            .execute(conn)?;
        let Some(newest) = newest_month(conn)? else { return Ok(RetentionReport::default()) };
        let Some(first_kept) = first_kept_month(newest, keep) else {
            return Ok(RetentionReport { first_kept: None, ..RetentionReport::default() });
        };
        let cutoff = first_kept.first_day();
        let removed: Vec<RemovedFile> = diesel::sql_query(
            "SELECT DISTINCT kind, force_id, to_char(month, 'YYYY-MM') AS month FROM imports \
             WHERE month < $1::date ORDER BY month, force_id, kind",
        )
        .bind::<Text, _>(&cutoff)
        .load(conn)?;
        let mut rows_deleted = 0;
        for table in ["crimes", "outcomes", "stops"] {
            rows_deleted += diesel::sql_query(format!("DELETE FROM {table} WHERE month < $1::date"))
                .bind::<Text, _>(&cutoff)
                .execute(conn)? as u64;
        }
        // Their rejections go with them (ON DELETE CASCADE).
        diesel::sql_query("DELETE FROM imports WHERE month < $1::date")
            .bind::<Text, _>(&cutoff)
            .execute(conn)?;
        let mut months_removed: Vec<Month> = Vec::new();
        for file in &removed {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(IMPORT_CHANNEL)
                .bind::<Text, _>(format!("{} {} {}", file.kind, file.force_id, file.month))
                .execute(conn)?;
            let month: Month = file.month.parse()?;
            if months_removed.last() != Some(&month) {
                months_removed.push(month);
            }
        }
        Ok(RetentionReport {
            first_kept: Some(first_kept),
            months_removed,
            files_removed: removed.len(),
            rows_deleted,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::first_kept_month;
    use police_index::Month;

    #[test]
    fn the_window_counts_calendar_months() {
        let newest: Month = "2024-03".parse().unwrap();
        assert_eq!(first_kept_month(newest, 0), None);
        assert_eq!(first_kept_month(newest, 1), Some(newest));
        assert_eq!(first_kept_month(newest, 3), Some("2024-01".parse().unwrap()));
        assert_eq!(first_kept_month(newest, 36), Some("2021-04".parse().unwrap()));
    }
}
