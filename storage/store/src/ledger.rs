//! What the import ledgers (`imports`, `reference_imports`) say the store holds: files, rows
//! accepted and rejected by kind, and when the last import committed. Read by a running
//! server after each snapshot load, for its metrics; never on a request's path.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// The files of one kind in the store (the newest import of each file's key).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct KindTotals {
    /// `street`, `outcomes`, `stop-and-search`, or a reference kind (`boundary`, `force`, …).
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Files of that kind in the store.
    #[diesel(sql_type = BigInt)]
    pub files: i64,
    /// Their rows that were imported.
    #[diesel(sql_type = BigInt)]
    pub rows_accepted: i64,
    /// Their rows that were rejected (each with its line and reason in `import_rejections`).
    #[diesel(sql_type = BigInt)]
    pub rows_rejected: i64,
}

/// The ledgers' totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerTotals {
    /// One entry per kind present, in kind order.
    pub kinds: Vec<KindTotals>,
    /// When the newest import of either ledger committed (seconds since 1970); `None` before
    /// any import.
    pub last_import: Option<i64>,
}

#[derive(QueryableByName)]
struct LastImport {
    #[diesel(sql_type = Nullable<BigInt>)]
    at: Option<i64>,
}

/// Reads the ledgers' totals (two small aggregate queries over the ledgers, not the data).
pub fn totals(conn: &mut PgConnection) -> anyhow::Result<LedgerTotals> {
    // The newest row of a key is the version in the store, as for the snapshot.
    let kinds = diesel::sql_query(
        "WITH current AS ( \
             SELECT DISTINCT ON (kind, force_id, month) kind, rows_accepted, rows_rejected \
             FROM imports ORDER BY kind, force_id, month, id DESC), \
         current_reference AS ( \
             SELECT DISTINCT ON (kind, force_id, neighbourhood_id) kind, rows_accepted, \
                    rows_rejected \
             FROM reference_imports ORDER BY kind, force_id, neighbourhood_id, id DESC) \
         SELECT kind, count(*)::bigint AS files, sum(rows_accepted)::bigint AS rows_accepted, \
                sum(rows_rejected)::bigint AS rows_rejected \
         FROM (SELECT * FROM current UNION ALL SELECT * FROM current_reference) AS files \
         GROUP BY kind ORDER BY kind",
    )
    .load::<KindTotals>(conn)?;
    let last_import = diesel::sql_query(
        "SELECT extract(epoch FROM greatest((SELECT max(imported_at) FROM imports), \
                                            (SELECT max(imported_at) FROM reference_imports)) \
                )::bigint AS at",
    )
    .get_result::<LastImport>(conn)?
    .at;
    Ok(LedgerTotals { kinds, last_import })
}
