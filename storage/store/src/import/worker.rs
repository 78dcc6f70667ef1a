//! The import's worker pool: files of different forces in parallel, each worker with its own
//! connection, all files of one force on one worker, in the order given (so two versions of
//! a file in one run are applied in that order, and workers rarely touch the same rows).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use diesel::pg::PgConnection;
use diesel::RunQueryDsl;

/// A connection for importing. Each commit waits for the WAL to reach disk (whatever the
/// server's or the database's default), so a file reported imported survives a crash of the
/// server right after, as when PostgreSQL PANICs on a full disk. It costs one WAL flush per
/// file, next to the file's own megabytes of WAL.
pub(super) fn open_import_connection(database_url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = crate::db::connect(database_url)?;
    diesel::sql_query("SET synchronous_commit = on").execute(&mut conn)?;
    Ok(conn)
}

/// Runs `work` on every item on up to `workers` threads, each holding one connection to
/// `database_url` (or the error opening it, which `work` reports per item). The items of one
/// force (`force_of`) go to one worker, in their order in `items`; forces with the most
/// items are taken first, so the workers finish together. Returns the results in the order
/// of `items`.
pub(super) fn for_each_by_force<T, R>(
    database_url: &str,
    items: &[T],
    force_of: impl Fn(&T) -> &'static str,
    workers: usize,
    work: impl Fn(Result<&mut PgConnection, &anyhow::Error>, &T) -> R + Sync,
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    // One unit of work per force, biggest first.
    let mut units: Vec<Vec<usize>> = Vec::new();
    let mut unit_of_force: HashMap<&str, usize> = HashMap::new();
    for (position, item) in items.iter().enumerate() {
        let unit = *unit_of_force.entry(force_of(item)).or_insert_with(|| {
            units.push(Vec::new());
            units.len() - 1
        });
        units[unit].push(position);
    }
    units.sort_by_key(|unit| std::cmp::Reverse(unit.len()));

    let next_unit = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let workers = workers.clamp(1, units.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut conn = open_import_connection(database_url);
                while let Some(unit) = units.get(next_unit.fetch_add(1, Ordering::Relaxed)) {
                    for &position in unit {
                        let result = work(conn.as_mut().map_err(|error| &*error), &items[position]);
                        results
                            .lock()
                            .expect("no worker panics holding it")
                            .push((position, result));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panicked");
    results.sort_by_key(|(position, _)| *position);
    results.into_iter().map(|(_, result)| result).collect()
}
