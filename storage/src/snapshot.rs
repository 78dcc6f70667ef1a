//! The immutable, in-memory view of the store that the API answers from. Built from
//! PostgreSQL at start; a request never runs SQL.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text};

use crate::Month;

/// A force as `/api/forces` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedForce {
    pub id: String,
    pub name: String,
}

/// A month that has data, with the forces that published stop and search for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthAvailability {
    pub month: Month,
    /// Force ids, alphabetical.
    pub stop_and_search_forces: Vec<String>,
}

/// Everything the API serves, as of one moment of the store.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// In `/api/forces` order.
    pub forces: Vec<ListedForce>,
    /// Months with street crime or stop-and-search data, newest first.
    pub months: Vec<MonthAvailability>,
    /// The newest month with street crime data.
    pub latest_crime_month: Option<Month>,
}

#[derive(QueryableByName)]
struct ForceRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct MonthRow {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = Array<Text>)]
    stop_forces: Vec<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    street_files: Option<i32>,
}

impl Snapshot {
    /// Reads a consistent snapshot (one repeatable-read transaction).
    pub fn load(conn: &mut PgConnection) -> anyhow::Result<Snapshot> {
        conn.build_transaction().read_only().repeatable_read().run(|conn| {
            let forces: Vec<ForceRow> = diesel::sql_query(
                "SELECT id, name FROM forces WHERE list_position IS NOT NULL ORDER BY list_position",
            )
            .load(conn)?;
            // The newest import per (kind, force, month) is the one in the store.
            let months: Vec<MonthRow> = diesel::sql_query(
                "WITH current AS ( \
                     SELECT DISTINCT ON (kind, force_id, month) kind, force_id, month, rows_accepted \
                     FROM imports ORDER BY kind, force_id, month, id DESC) \
                 SELECT to_char(month, 'YYYY-MM') AS month, \
                        COALESCE(array_agg(force_id ORDER BY force_id) \
                                 FILTER (WHERE kind = 'stop-and-search'), '{}') AS stop_forces, \
                        (count(*) FILTER (WHERE kind = 'street'))::int AS street_files \
                 FROM current GROUP BY month ORDER BY month DESC",
            )
            .load(conn)?;
            let months: Vec<(MonthAvailability, bool)> = months
                .into_iter()
                .map(|row| {
                    let month = row.month.parse()?;
                    let availability =
                        MonthAvailability { month, stop_and_search_forces: row.stop_forces };
                    Ok((availability, row.street_files.unwrap_or(0) > 0))
                })
                .collect::<anyhow::Result<_>>()?;
            let latest_crime_month =
                months.iter().find(|(_, has_street)| *has_street).map(|(m, _)| m.month);
            Ok(Snapshot {
                forces: forces.into_iter().map(|f| ListedForce { id: f.id, name: f.name }).collect(),
                months: months.into_iter().map(|(m, _)| m).collect(),
                latest_crime_month,
            })
        })
    }
}
