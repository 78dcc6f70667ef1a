//! Writing parsed rows with PostgreSQL `COPY ... FROM STDIN` (text format).

use std::io::Write;

use diesel::pg::PgConnection;
use diesel::ExecuteCopyFromDsl;

use super::parse::Rows;
use super::types::{ImportOptions, Rejection};
use crate::schema::{crimes, import_rejections, outcomes, stops};

/// Everything the rows need besides their own fields.
pub(super) struct CopyContext<'a> {
    pub import_id: i64,
    /// `YYYY-MM-01`.
    pub month: &'a str,
    pub force_id: &'a str,
    /// Store id per entry of the file's location table (for stop-and-search files, the snap
    /// point chosen for the coordinates).
    pub location_ids: &'a [i32],
    /// Crime id per street row.
    pub crime_ids: &'a [i64],
    pub options: &'a ImportOptions,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum CopyError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error("writing COPY data: {0}")]
    Io(#[from] std::io::Error),
    #[error("import failure injected after {0} rows (--fail-after-rows)")]
    Injected(u64),
}

/// Bytes buffered before they are handed to libpq.
const CHUNK: usize = 256 * 1024;

/// One text-format `COPY` line under construction.
struct Line<'b>(&'b mut Vec<u8>);

impl Line<'_> {
    fn text(&mut self, value: &str) -> &mut Self {
        for &byte in value.as_bytes() {
            match byte {
                b'\\' => self.0.extend_from_slice(b"\\\\"),
                b'\t' => self.0.extend_from_slice(b"\\t"),
                b'\n' => self.0.extend_from_slice(b"\\n"),
                b'\r' => self.0.extend_from_slice(b"\\r"),
                other => self.0.push(other),
            }
        }
        self.0.push(b'\t');
        self
    }
    fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }
    fn null(&mut self) -> &mut Self {
        self.0.extend_from_slice(b"\\N\t");
        self
    }
    fn number(&mut self, value: impl std::fmt::Display) -> &mut Self {
        write!(self.0, "{value}\t").expect("writing to a Vec cannot fail");
        self
    }
    fn opt_number(&mut self, value: Option<impl std::fmt::Display>) -> &mut Self {
        match value {
            Some(value) => self.number(value),
            None => self.null(),
        }
    }
    fn opt_bool(&mut self, value: Option<bool>) -> &mut Self {
        self.opt_text(value.map(|v| if v { "t" } else { "f" }))
    }
    fn end(&mut self) {
        if self.0.last() == Some(&b'\t') {
            self.0.pop();
        }
        self.0.push(b'\n');
    }
}

/// Streams `rows` in chunks, applying the test-only interruption knobs between rows.
fn stream(
    out: &mut dyn Write,
    rows: usize,
    options: &ImportOptions,
    mut write_row: impl FnMut(usize, &mut Line<'_>),
) -> Result<(), CopyError> {
    let mut buffer = Vec::with_capacity(CHUNK + 4096);
    for index in 0..rows {
        let written = index as u64;
        if options.fail_after_rows == Some(written) {
            out.write_all(&buffer)?;
            return Err(CopyError::Injected(written));
        }
        if options.pause_after_rows == Some(written) {
            out.write_all(&buffer)?;
            buffer.clear();
            out.flush()?;
            eprintln!("paused after {written} rows");
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
        write_row(index, &mut Line(&mut buffer));
        if buffer.len() >= CHUNK {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)?;
    Ok(())
}

pub(super) fn copy_rows(
    conn: &mut PgConnection,
    rows: &Rows,
    cx: &CopyContext<'_>,
) -> Result<usize, CopyError> {
    let location = |index: Option<u32>| index.map(|i| cx.location_ids[i as usize]);
    match rows {
        Rows::Street(rows) => diesel::copy_from(crimes::table)
            .from_raw_data(crimes::table, |out| {
                stream(out, rows.len(), cx.options, |i, line| {
                    let row = &rows[i];
                    line.number(cx.crime_ids[i])
                        .text(cx.month)
                        .text(cx.force_id)
                        .opt_text(row.persistent_id.as_deref())
                        .text(&row.reported_by)
                        .text(&row.falls_within)
                        .opt_number(location(row.location))
                        .opt_text(row.lsoa_code.as_deref())
                        .opt_text(row.lsoa_name.as_deref())
                        .text(row.category_slug)
                        .opt_text(row.last_outcome.as_deref())
                        .text(&row.context)
                        .number(cx.import_id)
                        .number(row.line)
                        .end();
                })
            })
            .execute(conn),
        Rows::Outcomes(rows) => diesel::copy_from(outcomes::table)
            .from_raw_data(outcomes::table, |out| {
                stream(out, rows.len(), cx.options, |i, line| {
                    let row = &rows[i];
                    line.text(cx.month)
                        .text(cx.force_id)
                        .text(&row.persistent_id)
                        .text(&row.reported_by)
                        .text(&row.falls_within)
                        .opt_number(location(row.location))
                        .opt_text(row.lsoa_code.as_deref())
                        .opt_text(row.lsoa_name.as_deref())
                        .text(row.outcome_code)
                        .text(&row.outcome_name)
                        .number(cx.import_id)
                        .number(row.line)
                        .end();
                })
            })
            .execute(conn),
        Rows::Stops(rows) => diesel::copy_from(stops::table)
            .from_raw_data(stops::table, |out| {
                stream(out, rows.len(), cx.options, |i, line| {
                    let row = &rows[i];
                    line.text(cx.force_id)
                        .text(cx.month)
                        .opt_text(row.stop_type.as_deref())
                        .text(&row.datetime)
                        .opt_bool(row.operation)
                        .opt_text(row.operation_name.as_deref())
                        .opt_number(row.latitude)
                        .opt_number(row.longitude)
                        .opt_text(row.gender.as_deref())
                        .opt_text(row.age_range.as_deref())
                        .opt_text(row.self_defined_ethnicity.as_deref())
                        .opt_text(row.officer_defined_ethnicity.as_deref())
                        .opt_text(row.legislation.as_deref())
                        .opt_text(row.object_of_search.as_deref())
                        .opt_text(row.outcome.as_deref())
                        .opt_bool(row.outcome_linked_to_object_of_search)
                        .opt_bool(row.removal_of_more_than_outer_clothing)
                        .number(cx.import_id)
                        .opt_number(location(row.location))
                        .number(row.line)
                        .end();
                })
            })
            .execute(conn),
    }
}

pub(super) fn copy_rejections(
    conn: &mut PgConnection,
    import_id: i64,
    rejections: &[Rejection],
) -> Result<usize, CopyError> {
    if rejections.is_empty() {
        return Ok(0);
    }
    diesel::copy_from(import_rejections::table)
        .from_raw_data(import_rejections::table, |out| {
            stream(out, rejections.len(), &ImportOptions::default(), |i, line| {
                line.number(import_id).number(rejections[i].line).text(&rejections[i].reason).end();
            })
        })
        .execute(conn)
}
