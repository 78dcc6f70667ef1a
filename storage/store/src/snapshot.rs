//! The immutable, in-memory view of the store that the API answers from. Built from
//! PostgreSQL at start; a request never runs SQL.

use std::collections::HashSet;
use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text};

use police_index::compare::NeighbourhoodAreas;
use police_index::crimes::{
    CrimeIndex, CrimeInput, IndexBuilder, LocationType, OutcomeInput, SnapPoint,
};
use police_index::neighbourhoods::NeighbourhoodData;
use police_index::reference::{crime_category_code_for_slug, OUTCOME_CATEGORIES};
use police_index::stops::{parse_timestamp, StopIndex, StopIndexBuilder, StopInput};
use police_index::Month;

use crate::neighbourhoods::load_neighbourhoods;
use crate::schema::{crimes, locations, outcomes, stops};
pub use update::HeldImports;
use update::UpdatePlan;

mod update;

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
#[derive(Debug, Default)]
pub struct Snapshot {
    /// In `/api/forces` order.
    pub forces: Vec<ListedForce>,
    /// Months with street crime or stop-and-search data, newest first.
    pub months: Vec<MonthAvailability>,
    /// The newest month with street crime data.
    pub latest_crime_month: Option<Month>,
    /// Crimes, outcomes and snap points, for the spatial routes (shared with the previous
    /// snapshot when no crime, outcome or snap point changed).
    pub index: Arc<CrimeIndex>,
    /// Forces' and neighbourhoods' pages, rendered, and the neighbourhood boundaries.
    pub neighbourhoods: NeighbourhoodData,
    /// Stop and search, placed on `index`'s snap points.
    pub stops: StopIndex,
    /// Each force's neighbourhoods as snap points and sizes, worked out on first use.
    pub neighbourhood_areas: NeighbourhoodAreas,
    /// How long [`Snapshot::load`] took.
    pub load_time: Duration,
    /// How the crime index was built.
    pub build: SnapshotBuild,
    /// The imports it was loaded from, to tell what changed by the next load.
    pub held: HeldImports,
    /// Which data this is: the same for two loads of the same imports (so replicas over one
    /// store agree), different once an import lands or is undone. Cursors and ETags carry it.
    pub version: String,
}

/// How a snapshot's crime index was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SnapshotBuild {
    /// From every row.
    #[default]
    Whole,
    /// On the previous snapshot's: only the `added` months' crimes and outcomes were read
    /// (new months, or the newest ones again), and the `removed` months dropped.
    Updated { added: Vec<Month>, removed: Vec<Month> },
    /// Shared with the previous snapshot: no crime, outcome or snap point changed.
    Shared,
    /// From every row, though a previous snapshot was given: why it could not be updated.
    WholeBecause(String),
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
    /// Reads a consistent snapshot: one repeatable-read transaction, whose database snapshot
    /// the bulk `COPY`s share from connections of their own.
    pub fn load(database_url: &str) -> anyhow::Result<Snapshot> {
        Snapshot::load_after(database_url, None)
    }

    /// As [`Snapshot::load`], building on `previous` (loaded from the same store) when the
    /// imports since allow it: a month's publication and a retention window's oldest month
    /// going cost about what the new month costs, the other months being shared with
    /// `previous` (see `snapshot/update.rs`). Otherwise, and when the update fails, loads it whole
    /// (`build` says which, and why).
    pub fn load_after(database_url: &str, previous: Option<&Snapshot>) -> anyhow::Result<Snapshot> {
        let started = Instant::now();
        let mut conn = crate::db::connect(database_url)?;
        let mut snapshot = conn.build_transaction().read_only().repeatable_read().run(|conn| {
            let shared = diesel::sql_query("SELECT pg_export_snapshot() AS id")
                .get_result::<TextId>(conn)?
                .id;
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
            // Imports only ever add ledger rows (a re-import adds a newer one), and undoing
            // one removes its row: count and newest id of both ledgers change either way.
            let version = diesel::sql_query(
                "SELECT (SELECT count(*) || '.' || COALESCE(max(id), 0) FROM imports) || '.' || \
                        (SELECT count(*) || '.' || COALESCE(max(id), 0) FROM reference_imports) \
                        AS id",
            )
            .get_result::<TextId>(conn)?
            .id;
            let latest_crime_month =
                months.iter().find(|(_, has_street)| *has_street).map(|(m, _)| m.month);
            let held = HeldImports::read(conn)?;
            let plan = previous.map(|previous| (previous, UpdatePlan::new(&previous.held, &held)));
            // Each bulk table streams on a thread and connection of its own.
            let (index, build, stops, neighbourhoods) = std::thread::scope(|scope| {
                let stops = scope.spawn(|| load_stops(database_url, &shared));
                let index = scope.spawn(|| build_index(database_url, &shared, plan));
                let neighbourhoods = load_neighbourhoods(conn)?;
                let (index, build) = joined(index)?;
                let stops = joined(stops)?.build(&index)?;
                Ok::<_, anyhow::Error>((index, build, stops, neighbourhoods))
            })?;
            Ok::<_, anyhow::Error>(Snapshot {
                forces: forces.into_iter().map(|f| ListedForce { id: f.id, name: f.name }).collect(),
                months: months.into_iter().map(|(m, _)| m).collect(),
                latest_crime_month,
                index,
                neighbourhoods,
                stops,
                neighbourhood_areas: NeighbourhoodAreas::default(),
                load_time: Duration::ZERO,
                build,
                held,
                version,
            })
        })?;
        snapshot.load_time = started.elapsed();
        Ok(snapshot)
    }
}

/// The crime index: `previous`'s when nothing it holds changed, updated from it when `plan`
/// allows, else loaded whole.
fn build_index(
    database_url: &str,
    shared: &str,
    plan: Option<(&Snapshot, Result<UpdatePlan, String>)>,
) -> anyhow::Result<(Arc<CrimeIndex>, SnapshotBuild)> {
    let (previous, plan) = match plan {
        None => return Ok((Arc::new(load_index(database_url, shared)?), SnapshotBuild::Whole)),
        Some((_, Err(reason))) => {
            let index = load_index(database_url, shared)?;
            return Ok((Arc::new(index), SnapshotBuild::WholeBecause(reason)));
        }
        Some((previous, Ok(plan))) => (previous, plan),
    };
    if !plan.changes_crimes() {
        return Ok((Arc::clone(&previous.index), SnapshotBuild::Shared));
    }
    let updated = update::updated_index(database_url, shared, &previous.index, &plan);
    match updated {
        Ok(index) => {
            let build = SnapshotBuild::Updated {
                added: plan.read,
                removed: plan.removed.into_iter().collect(),
            };
            Ok((Arc::new(index), build))
        }
        Err(error) => {
            let index = load_index(database_url, shared)?;
            Ok((Arc::new(index), SnapshotBuild::WholeBecause(format!("{error:#}"))))
        }
    }
}

/// The crime index from every row: snap points, crimes and outcomes each streamed on a
/// thread and connection of its own.
fn load_index(database_url: &str, shared: &str) -> anyhow::Result<CrimeIndex> {
    std::thread::scope(|scope| {
        let points = scope.spawn(|| load_points(database_url, shared));
        let crimes = scope.spawn(|| load_crimes(database_url, shared));
        let outcomes = load_outcomes(database_url, shared)?;
        let mut builder = joined(points)?;
        builder.append(joined(crimes)?)?;
        builder.append(outcomes)?;
        builder.build()
    })
}

/// One text column named `id`.
#[derive(QueryableByName)]
struct TextId {
    #[diesel(sql_type = Text)]
    id: String,
}

/// A connection whose transaction sees the exported database snapshot `shared`. It is used
/// for one `COPY … TO STDOUT` and then dropped: diesel leaves a connection unusable for
/// further commands after `copy_to` (it does not collect the final result).
pub(crate) fn copy_connection(database_url: &str, shared: &str) -> anyhow::Result<PgConnection> {
    let mut conn = crate::db::connect(database_url)?;
    diesel::sql_query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut conn)?;
    anyhow::ensure!(
        shared.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'),
        "unexpected snapshot id {shared:?}"
    );
    diesel::sql_query(format!("SET TRANSACTION SNAPSHOT '{shared}'")).execute(&mut conn)?;
    Ok(conn)
}

/// What a loading thread returned; its panic goes on in the caller.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Streams the snap points out of the store with `COPY … TO STDOUT`.
fn load_points(database_url: &str, shared: &str) -> anyhow::Result<IndexBuilder> {
    let mut builder = IndexBuilder::new();
    let mut conn = copy_connection(database_url, shared)?;
    let target = (
        locations::id,
        locations::latitude,
        locations::longitude,
        locations::name,
        locations::location_type,
        locations::location_subtype,
    );
    let reader = diesel::copy_to(target).with_format(CopyFormat::Text).load_raw(&mut conn)?;
    // In id order: `COPY` gives rows in no fixed order (a synchronised scan can start
    // mid-table), and the index's record positions, which `/api/v2/crimes`'s cursors hold,
    // follow the points' order. New points get higher ids, so a snapshot updated with them
    // (`Snapshot::load_after`) orders its points as one loaded afresh.
    let mut points = Vec::new();
    let mut names = SharedNames::default();
    for_each_row(reader, |f: &[Option<&str>; 6]| {
        points.push(point_of_row(f, &mut names)?);
        Ok(())
    })?;
    add_points_by_id(&mut builder, points);
    Ok(builder)
}

/// Adds snap points to `builder` in id order: the index's order of its points (see
/// [`load_points`]).
fn add_points_by_id(builder: &mut IndexBuilder, mut points: Vec<SnapPoint>) {
    points.sort_unstable_by_key(|point| point.id);
    for point in points {
        builder.add_point(point);
    }
}

/// One allocation per distinct snap point name, shared by the points that have it.
#[derive(Default)]
struct SharedNames(HashSet<Arc<str>>);

/// A snap point from a `locations` row (id, latitude, longitude, name, type, subtype).
fn point_of_row(f: &[Option<&str>; 6], names: &mut SharedNames) -> anyhow::Result<SnapPoint> {
    let name = f[3].unwrap_or_default();
    let name = match names.0.get(name) {
        Some(shared) => Arc::clone(shared),
        None => {
            let shared: Arc<str> = name.into();
            names.0.insert(Arc::clone(&shared));
            shared
        }
    };
    Ok(SnapPoint {
        id: parse(f[0], "location id")?,
        latitude: parse(f[1], "latitude")?,
        longitude: parse(f[2], "longitude")?,
        name,
        location_type: match f[4] {
            Some("BTP") => LocationType::Btp,
            _ => LocationType::Force,
        },
        subtype: f[5].unwrap_or_default().into(),
    })
}

/// Streams the crimes out of the store.
fn load_crimes(database_url: &str, shared: &str) -> anyhow::Result<IndexBuilder> {
    let mut builder = IndexBuilder::new();
    let target = (
        crimes::id,
        crimes::month,
        crimes::force_id,
        crimes::persistent_id,
        crimes::location_id,
        crimes::category,
        crimes::last_outcome,
        crimes::context,
        crimes::lsoa_code,
        crimes::lsoa_name,
    );
    let mut conn = copy_connection(database_url, shared)?;
    let reader = diesel::copy_to(target).with_format(CopyFormat::Text).load_raw(&mut conn)?;
    for_each_row(reader, |f: &[Option<&str>; 10]| add_crime_row(&mut builder, f))?;
    Ok(builder)
}

/// Stages a crime from its row's fields (as `COPY` gives them, `None` for NULL).
fn add_crime_row(builder: &mut IndexBuilder, f: &[Option<&str>; 10]) -> anyhow::Result<()> {
    let slug = f[5].unwrap_or_default();
    builder.add_crime(CrimeInput {
        id: parse(f[0], "crime id")?,
        month: month_of_date(f[1])?,
        force_id: f[2].unwrap_or_default(),
        persistent_id: f[3],
        location_id: f[4].map(|v| parse(Some(v), "location id")).transpose()?,
        category: crime_category_code_for_slug(slug)
            .ok_or_else(|| anyhow::anyhow!("unknown category {slug:?} in the store"))?,
        last_outcome: f[6],
        context: f[7].unwrap_or_default(),
        lsoa_code: f[8],
        lsoa_name: f[9],
    })
}

/// Streams the outcomes out of the store.
fn load_outcomes(database_url: &str, shared: &str) -> anyhow::Result<IndexBuilder> {
    let mut builder = IndexBuilder::new();
    let target =
        (outcomes::month, outcomes::persistent_id, outcomes::location_id, outcomes::outcome_code);
    let mut conn = copy_connection(database_url, shared)?;
    let reader = diesel::copy_to(target).with_format(CopyFormat::Text).load_raw(&mut conn)?;
    for_each_row(reader, |f: &[Option<&str>; 4]| add_outcome_row(&mut builder, f))?;
    Ok(builder)
}

/// Stages an outcome from its row's fields.
fn add_outcome_row(builder: &mut IndexBuilder, f: &[Option<&str>; 4]) -> anyhow::Result<()> {
    let code = f[3].unwrap_or_default();
    builder.add_outcome(OutcomeInput {
        month: month_of_date(f[0])?,
        persistent_id: f[1].unwrap_or_default(),
        location_id: f[2].map(|v| parse(Some(v), "location id")).transpose()?,
        code: OUTCOME_CATEGORIES
            .iter()
            .position(|o| o.code == code)
            .ok_or_else(|| anyhow::anyhow!("unknown outcome code {code:?} in the store"))?
            as u8,
    })
}

/// Streams the stops out of the store (timestamps in UTC), to be built over the crime
/// index's snap points.
fn load_stops(database_url: &str, shared: &str) -> anyhow::Result<StopIndexBuilder> {
    let mut builder = StopIndexBuilder::new();
    let mut conn = copy_connection(database_url, shared)?;
    diesel::sql_query("SET TIME ZONE 'UTC'").execute(&mut conn)?;
    diesel::sql_query("SET DateStyle = 'ISO, YMD'").execute(&mut conn)?;
    let target = (
        stops::month,
        stops::force_id,
        stops::stop_type,
        stops::datetime,
        stops::operation,
        stops::operation_name,
        stops::location_id,
        stops::gender,
        stops::age_range,
        stops::self_defined_ethnicity,
        stops::officer_defined_ethnicity,
        stops::legislation,
        stops::object_of_search,
        stops::outcome,
        stops::outcome_linked_to_object_of_search,
        stops::removal_of_more_than_outer_clothing,
    );
    let reader = diesel::copy_to(target).with_format(CopyFormat::Text).load_raw(&mut conn)?;
    let flag = |field: Option<&str>| match field {
        Some("t") => Some(true),
        Some("f") => Some(false),
        _ => None,
    };
    for_each_row(reader, |f: &[Option<&str>; 16]| {
        let datetime = f[3].unwrap_or_default();
        builder.add_stop(StopInput {
            month: Some(month_of_date(f[0])?),
            force_id: f[1].unwrap_or_default(),
            stop_type: f[2],
            datetime: parse_timestamp(datetime)
                .ok_or_else(|| anyhow::anyhow!("stop datetime {datetime:?} is not valid"))?,
            operation: flag(f[4]),
            operation_name: f[5],
            location_id: f[6].map(|v| parse(Some(v), "location id")).transpose()?,
            gender: f[7],
            age_range: f[8],
            self_defined_ethnicity: f[9],
            officer_defined_ethnicity: f[10],
            legislation: f[11],
            object_of_search: f[12],
            outcome: f[13],
            outcome_linked_to_object_of_search: flag(f[14]),
            removal_of_more_than_outer_clothing: flag(f[15]),
        })
    })?;
    Ok(builder)
}

fn parse<T: std::str::FromStr>(field: Option<&str>, what: &str) -> anyhow::Result<T> {
    let text = field.ok_or_else(|| anyhow::anyhow!("{what} is NULL in the store"))?;
    text.parse().map_err(|_| anyhow::anyhow!("{what} {text:?} is not valid"))
}

/// `YYYY-MM-DD` (a `date` column) to its month.
fn month_of_date(field: Option<&str>) -> anyhow::Result<Month> {
    let text = field.unwrap_or_default();
    text.get(..7)
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("month {text:?} is not a date"))
}

/// Calls `row` with the `N` fields of every line of text-format `COPY` output (`None` for
/// NULL). The fields borrow from one line buffer, unescaped in place: no allocation per row.
fn for_each_row<const N: usize>(
    mut reader: impl BufRead,
    mut row: impl FnMut(&[Option<&str>; N]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let bounds = split_fields::<N>(&mut line).ok_or_else(|| {
            anyhow::anyhow!("unexpected COPY row {:?}", String::from_utf8_lossy(&line))
        })?;
        let text = std::str::from_utf8(&line)?;
        // Fields end at a tab or the end of the line: character boundaries.
        let fields = bounds.map(|bound| bound.map(|(start, end)| &text[start..end]));
        row(&fields)?;
    }
}

/// Splits a text-format `COPY` line into its `N` tab-separated fields: each field's byte
/// range in `line`, `None` for NULL (`\N`). Escaped fields (rare) are undone in place, the
/// rest of the line moving up. `None` when the line does not have `N` fields.
pub(crate) fn split_fields<const N: usize>(
    line: &mut Vec<u8>,
) -> Option<[Option<(usize, usize)>; N]> {
    let mut bounds = [None; N];
    let mut start = 0;
    for (field, bound) in bounds.iter_mut().enumerate() {
        let stop = |line: &[u8], from: usize, also_backslash: bool| {
            line[from..]
                .iter()
                .position(|&b| b == b'\t' || (also_backslash && b == b'\\'))
                .map_or(line.len(), |i| from + i)
        };
        let mut end = stop(line, start, true);
        if line.get(end) == Some(&b'\\') {
            let raw_end = stop(line, start, false);
            if line[start..raw_end] == *b"\\N" {
                end = raw_end;
            } else {
                end = unescape_in_place(line, start, raw_end);
                *bound = Some((start, end));
            }
        } else {
            *bound = Some((start, end));
        }
        if field + 1 == N {
            return (end == line.len()).then_some(bounds);
        }
        if line.get(end) != Some(&b'\t') {
            return None;
        }
        start = end + 1;
    }
    None
}

/// Undoes text-format `COPY` escaping of `line[start..end]` in place, removing the bytes it
/// saves: the field's new end.
fn unescape_in_place(line: &mut Vec<u8>, start: usize, end: usize) -> usize {
    let (mut read, mut write) = (start, start);
    while read < end {
        let byte = line[read];
        read += 1;
        line[write] = if byte != b'\\' {
            byte
        } else if read == end {
            b'\\'
        } else {
            read += 1;
            match line[read - 1] {
                b't' => b'\t',
                b'n' => b'\n',
                b'r' => b'\r',
                b'b' => 0x08,
                b'f' => 0x0c,
                b'v' => 0x0b,
                other => other,
            }
        };
        write += 1;
    }
    line.drain(write..end);
    write
}

#[cfg(test)]
mod tests {
    use super::{for_each_row, split_fields};

    fn fields<const N: usize>(line: &str) -> Option<[Option<String>; N]> {
        let mut bytes = line.as_bytes().to_vec();
        let bounds = split_fields::<N>(&mut bytes)?;
        Some(
            bounds.map(|b| {
                b.map(|(start, end)| String::from_utf8(bytes[start..end].to_vec()).unwrap())
            }),
        )
    }

    #[test]
    fn copy_text_escapes_are_undone() {
        let [a, b, c, d] = fields::<4>("plain\ta\\tb\\nc\\\\d\tend\\\tlast").unwrap();
        assert_eq!(a.as_deref(), Some("plain"));
        assert_eq!(b.as_deref(), Some("a\tb\nc\\d"));
        assert_eq!(c.as_deref(), Some("end\\"));
        assert_eq!(d.as_deref(), Some("last"));
    }

    #[test]
    fn nulls_and_empty_fields_differ() {
        let [a, b, c, d] = fields::<4>("\\N\t\t\\\\N\tN").unwrap();
        assert_eq!(a, None);
        assert_eq!(b.as_deref(), Some(""));
        assert_eq!(c.as_deref(), Some("\\N"));
        assert_eq!(d.as_deref(), Some("N"));
    }

    #[test]
    fn lines_with_another_number_of_fields_are_refused() {
        assert!(fields::<3>("a\tb").is_none());
        assert!(fields::<1>("a\tb").is_none());
        let mut rows = Vec::new();
        let input: &[u8] = "1\tx\n2\t\\N\n".as_bytes();
        for_each_row(input, |f: &[Option<&str>; 2]| {
            rows.push((f[0].unwrap().to_owned(), f[1].map(str::to_owned)));
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, vec![("1".into(), Some("x".into())), ("2".into(), None)]);
        assert!(for_each_row("1\n".as_bytes(), |_: &[Option<&str>; 2]| Ok(())).is_err());
    }
}
