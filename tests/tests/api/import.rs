//! `police-api import` against a real PostgreSQL: row accounting, idempotence, atomic
//! replacement, failure and `kill -9` in the middle of a file, refusals and bad rows.

// An `unwrap` fails the test, as meant; clippy.toml's `allow-unwrap-in-tests` does not cover
// the helpers outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use police_store::import::{import_paths, FileStatus, ImportOptions, Silent, SkippedFile};
use police_tests::fixtures::{hex_id, import, write, STREET_HEADER};
use police_tests::{skip_without_shared_data, test_database};

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).expect(sql).n
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Digest {
    #[diesel(sql_type = Text)]
    digest: String,
}

/// A digest of every data table's full content: equal digests mean an unchanged store.
fn store_digest(conn: &mut PgConnection) -> String {
    let tables = ["crimes", "outcomes", "stops", "locations", "imports", "import_rejections"];
    let parts: Vec<String> = tables
        .iter()
        .map(|table| {
            let sql = format!(
                "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest \
                 FROM {table} t"
            );
            diesel::sql_query(&sql).get_result::<Digest>(conn).expect("digest").digest
        })
        .collect();
    parts.join(",")
}

/// One street row: `(crime id, lng, lat, location, crime type, last outcome)`.
type StreetSpec<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

fn street_csv(month: &str, rows: &[StreetSpec<'_>], crlf: bool, bom: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    out.push_str(STREET_HEADER);
    out.push_str(eol);
    for (id, lng, lat, location, crime_type, outcome) in rows {
        out.push_str(&format!(
            "{id},{month},Surrey Police,Surrey Police,{lng},{lat},{location},E01030000,Guildford 001A,{crime_type},{outcome},{eol}"
        ));
    }
    out.into_bytes()
}

/// A month of `n` crimes at a handful of snap points, every fifth one anti-social behaviour.
fn synthetic_rows(n: u32) -> Vec<(String, String, String, String, String, String)> {
    (0..n)
        .map(|i| {
            let asb = i % 5 == 0;
            (
                if asb { String::new() } else { hex_id(i) },
                format!("-0.{:06}", 570_000 + i % 7),
                format!("51.{:06}", 230_000 + i % 7),
                format!("On or near Street {}", i % 7),
                if asb { "Anti-social behaviour".into() } else { "Burglary".into() },
                if asb { String::new() } else { "Under investigation".into() },
            )
        })
        .collect()
}

fn as_specs(rows: &[(String, String, String, String, String, String)]) -> Vec<StreetSpec<'_>> {
    rows.iter()
        .map(|(a, b, c, d, e, f)| {
            (a.as_str(), b.as_str(), c.as_str(), d.as_str(), e.as_str(), f.as_str())
        })
        .collect()
}

#[test]
fn every_real_file_imports_with_every_row_accounted_for_and_a_second_run_changes_nothing() {
    let data = skip_without_shared_data!();
    let db = test_database();
    let mut conn = db.connect();
    let summary = import(&db, std::slice::from_ref(&data));

    assert_eq!(summary.problems(), 0, "{:?}", summary.skipped);
    // Other files in the folder (ward id lists, saved API responses, notes) are skipped.
    let skipped: Vec<&str> = summary.skipped.iter().map(|s| s.display_name.as_str()).collect();
    assert!(skipped.iter().any(|s| s.ends_with("wards.csv")), "{skipped:?}");
    assert!(skipped.iter().all(|s| !s.contains("-street.csv")), "{skipped:?}");
    assert!(summary.files.len() >= 228, "found {} files", summary.files.len());
    for file in &summary.files {
        assert!(matches!(file.status, FileStatus::Imported { replaced: false }), "{file:?}");
        // Counted independently: police.uk files have one record per line after the header.
        let text = std::fs::read_to_string(&file.file).unwrap();
        let records = text.lines().count() as u64 - 1;
        assert_eq!(file.rows_read, records, "{}", file.file);
        assert_eq!(file.rows_read, file.rows_accepted + file.rows_rejected, "{}", file.file);
        assert_eq!(file.rejections.len() as u64, file.rows_rejected);
        for rejection in &file.rejections {
            assert!(rejection.line >= 2 && !rejection.reason.is_empty(), "{rejection:?}");
        }
    }
    assert_eq!(summary.rows_read(), 510_295);

    let ledger_read = count(&mut conn, "SELECT sum(rows_read)::bigint AS n FROM imports");
    let ledger_rejected = count(&mut conn, "SELECT sum(rows_rejected)::bigint AS n FROM imports");
    assert_eq!(ledger_read, 510_295);
    assert_eq!(ledger_rejected as u64, summary.rows_rejected());
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM import_rejections"), ledger_rejected);
    let street_accepted = count(
        &mut conn,
        "SELECT sum(rows_accepted)::bigint AS n FROM imports WHERE kind = 'street'",
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), street_accepted);
    let stops_accepted = count(
        &mut conn,
        "SELECT sum(rows_accepted)::bigint AS n FROM imports WHERE kind = 'stop-and-search'",
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM stops"), stops_accepted);
    // Anti-social behaviour has no Crime ID; everything else keeps its 64-hex one.
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM crimes WHERE persistent_id IS NULL AND category <> 'anti-social-behaviour'"),
        0
    );

    let imports_before = count(&mut conn, "SELECT count(*) AS n FROM imports");
    let crimes_before = count(&mut conn, "SELECT count(*) AS n FROM crimes");
    let again = import(&db, &[data]);
    assert_eq!(again.imported(), 0);
    assert_eq!(again.unchanged(), again.files.len());
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM imports"), imports_before);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), crimes_before);
}

#[test]
fn bad_rows_are_rejected_with_line_and_reason_and_counted() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = street_csv(
        "2024-01",
        &[
            (&hex_id(1), "-0.570000", "51.230000", "On or near A Road", "Burglary", ""),
            (&hex_id(2), "-0.57x", "51.230000", "On or near A Road", "Burglary", ""),
            (&hex_id(3), "-0.570000", "51.230000", "On or near A Road", "Jaywalking", ""),
            ("", "", "", "No Location", "Anti-social behaviour", ""),
        ],
        false,
        false,
    );
    bytes.extend_from_slice(b"only,three,fields\n");
    let path = write(dir.path(), "2024-01/2024-01-surrey-street.csv", &bytes);

    let summary = import(&db, &[path]);
    let file = &summary.files[0];
    assert_eq!(file.status, FileStatus::Imported { replaced: false });
    assert_eq!((file.rows_read, file.rows_accepted, file.rows_rejected), (5, 2, 3));
    let reasons: Vec<(u64, &str)> =
        file.rejections.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(reasons[0].0, 3);
    assert!(reasons[0].1.contains("unparseable longitude"), "{reasons:?}");
    assert_eq!(reasons[1].0, 4);
    assert!(reasons[1].1.contains("unknown crime type \"Jaywalking\""), "{reasons:?}");
    assert_eq!(reasons[2].0, 6);
    assert!(reasons[2].1.contains("expected 12 fields, found 3"), "{reasons:?}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), 2);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes WHERE location_id IS NULL"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM import_rejections"), 3);
    assert_eq!(count(&mut conn, "SELECT rows_rejected AS n FROM imports"), 3);
}

#[test]
fn rows_postgresql_cannot_store_are_rejected_not_the_file() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    let long_street = format!("On or near {}", "Long Road ".repeat(300));
    let mut bytes = street_csv(
        "2024-01",
        &[
            (&hex_id(1), "-0.570000", "51.230000", "On or near A Road", "Burglary", ""),
            (&hex_id(2), "-0.570000", "51.230000", "On or near A\0Road", "Burglary", ""),
            (&hex_id(3), "-0.570000", "51.230000", &long_street, "Burglary", ""),
        ],
        false,
        false,
    );
    // A 10 MB Context.
    bytes.extend_from_slice(
        format!(
            "{},2024-01,Surrey Police,Surrey Police,-0.570000,51.230000,On or near A Road,,,Burglary,,{}\n",
            hex_id(4),
            "x".repeat(10 << 20)
        )
        .as_bytes(),
    );
    let path = write(dir.path(), "2024-01/2024-01-surrey-street.csv", &bytes);

    let summary = import(&db, &[path]);
    let file = &summary.files[0];
    assert_eq!(file.status, FileStatus::Imported { replaced: false }, "{file:?}");
    assert_eq!((file.rows_read, file.rows_accepted, file.rows_rejected), (4, 1, 3));
    let reasons: Vec<(u64, &str)> =
        file.rejections.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(reasons[0].0, 3);
    assert!(reasons[0].1.contains("\"Location\" contains a NUL byte"), "{reasons:?}");
    assert_eq!(reasons[1].0, 4);
    assert!(reasons[1].1.contains("\"Location\" is 3011 bytes long; at most 1024"), "{reasons:?}");
    assert_eq!(reasons[2].0, 5);
    assert!(reasons[2].1.contains("\"Context\" is 10485760 bytes long"), "{reasons:?}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM import_rejections"), 3);
}

#[test]
fn files_that_are_not_police_uk_csvs_are_refused_whole() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    let wrong_header = b"id,date,lat,lng,type\n1,2024-01-02,51.2,-0.5,burglary\n";
    write(dir.path(), "2024-01/2024-01-surrey-street.csv", wrong_header);
    // A street header where an outcomes header belongs.
    write(
        dir.path(),
        "2024-01/2024-01-surrey-outcomes.csv",
        street_csv("2024-01", &[], false, false),
    );
    let named = write(dir.path(), "elsewhere/my-crimes.csv", b"a,b\n1,2\n");
    write(
        dir.path(),
        "2024-01/2024-01-atlantis-street.csv",
        street_csv("2024-01", &[], false, false),
    );
    write(dir.path(), "2024-01/wards.csv", b"a,b\n1,2\n");
    write(dir.path(), "notes.txt", b"not data\n");

    let summary = import(&db, &[dir.path().join("2024-01"), dir.path().join("notes.txt"), named]);
    assert_eq!(summary.imported(), 0);
    let refused: Vec<&String> = summary
        .files
        .iter()
        .filter_map(|f| match &f.status {
            FileStatus::Refused(why) => Some(why),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 2, "{:?}", summary.files);
    assert!(refused.iter().all(|why| why.contains("is not a police.uk")), "{refused:?}");
    let skipped_refused: Vec<_> = summary.skipped.iter().filter(|s| s.refused).collect();
    assert_eq!(skipped_refused.len(), 2, "{:?}", summary.skipped);
    // Named explicitly, an unidentifiable CSV is refused; found in a folder, it is skipped.
    assert!(skipped_refused.iter().any(|s| s.display_name.ends_with("my-crimes.csv")));
    assert!(skipped_refused.iter().any(|s| s.reason.contains("unknown force \"atlantis\"")));
    assert!(summary.skipped.iter().any(|s| s.display_name.ends_with("wards.csv") && !s.refused));
    assert!(summary.skipped.iter().any(|s| s.display_name.ends_with("notes.txt") && !s.refused));
    assert_eq!(summary.problems(), 4);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM imports"), 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), 0);
}

#[test]
fn zip_gzip_bom_and_crlf_files_import_alike() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    let rows = synthetic_rows(40);
    let specs = as_specs(&rows);

    let plain = street_csv("2024-01", &specs, false, false);
    let crlf_bom = street_csv("2024-02", &specs, true, true);
    let zipped = street_csv("2024-03", &specs, true, false);
    let gzipped = street_csv("2024-04", &specs, false, true);

    write(dir.path(), "plain/2024-01/2024-01-surrey-street.csv", &plain);
    write(dir.path(), "crlf/2024-02/2024-02-surrey-street.csv", &crlf_bom);
    let zip_path = dir.path().join("archive.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("2024-03/2024-03-surrey-street.csv", options).unwrap();
        zip.write_all(&zipped).unwrap();
        zip.finish().unwrap();
    }
    let gz_path = dir.path().join("2024-04-surrey-street.csv.gz");
    {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz_path).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(&gzipped).unwrap();
        gz.finish().unwrap();
    }

    let summary =
        import(&db, &[dir.path().join("plain"), dir.path().join("crlf"), zip_path, gz_path]);
    assert_eq!(summary.imported(), 4, "{:?}", summary.files);
    for file in &summary.files {
        assert_eq!((file.rows_read, file.rows_rejected), (40, 0), "{}", file.file);
    }
    // The same snap points in every month: one location each, shared.
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM locations"), 7);
    assert_eq!(count(&mut conn, "SELECT count(DISTINCT month) AS n FROM crimes"), 4);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM crimes WHERE location_id IS NULL OR lsoa_name <> 'Guildford 001A'"),
        0
    );
}

#[derive(QueryableByName, Debug, PartialEq, Eq, Clone)]
struct CrimeIdentity {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    key: String,
}

fn crime_identities(conn: &mut PgConnection) -> Vec<CrimeIdentity> {
    diesel::sql_query(
        "SELECT c.id, coalesce(c.persistent_id, 'asb') || '@' || l.id || ':' || l.name AS key \
         FROM crimes c JOIN locations l ON l.id = c.location_id ORDER BY c.id",
    )
    .load(conn)
    .unwrap()
}

#[test]
fn a_newer_vintage_replaces_the_month_atomically_and_keeps_ids() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    let old_rows = synthetic_rows(3000);
    let old = write(
        dir.path(),
        "v1/2024-01/2024-01-surrey-street.csv",
        street_csv("2024-01", &as_specs(&old_rows), false, false),
    );
    assert_eq!(import(&db, &[old]).imported(), 1);
    let before = crime_identities(&mut conn);

    // The newer vintage: a different row order, an updated outcome, 500 crimes gone,
    // 1000 new ones (the row count changes, so a reader can tell the versions apart).
    let mut new_rows: Vec<_> = old_rows[500..].iter().rev().cloned().collect();
    new_rows[0].5 = "Unable to prosecute suspect".into();
    new_rows.extend(synthetic_rows(4000).into_iter().skip(3000));
    let new = write(
        dir.path(),
        "v2/2024-01/2024-01-surrey-street.csv",
        street_csv("2024-01", &as_specs(&new_rows), false, false),
    );

    // A reader polling throughout must only ever see the whole old or the whole new month.
    let url = db.url.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut conn = police_store::db::connect(&url).unwrap();
            let mut seen = std::collections::BTreeSet::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                seen.insert(count(&mut conn, "SELECT count(*) AS n FROM crimes"));
            }
            seen
        })
    };
    let summary = import(&db, &[new]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = reader.join().unwrap();
    assert_eq!(summary.files[0].status, FileStatus::Imported { replaced: true });
    assert!(seen.iter().all(|n| *n == 3000 || *n == 3500), "a reader saw {seen:?}");

    let after = crime_identities(&mut conn);
    assert_eq!(after.len(), 3500);
    // Every crime present in both versions (persistent or anti-social behaviour at the same
    // place) kept its id; the 500 dropped ones are gone.
    let before_by_key: std::collections::HashMap<&str, Vec<i64>> =
        before.iter().fold(Default::default(), |mut map, c| {
            map.entry(c.key.as_str()).or_insert_with(Vec::new).push(c.id);
            map
        });
    let mut kept = 0;
    for crime in &after {
        if let Some(ids) = before_by_key.get(crime.key.as_str()) {
            if ids.contains(&crime.id) {
                kept += 1;
            }
        }
    }
    // 2,000 crimes with a Crime ID are in both vintages; the 600 old anti-social behaviour
    // rows are all matched by place (the new vintage has more at every snap point).
    assert_eq!(kept, 2600, "crimes present in both vintages keep their ids");
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM locations"),
        7,
        "snap point ids are reused"
    );
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM imports"), 2);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM crimes WHERE last_outcome = 'Unable to prosecute suspect'"
        ),
        1
    );
}

/// Writes [`synthetic_rows`]`(n)` as Surrey's street file of `month` under `dir/vintage`.
fn synthetic_file(dir: &Path, vintage: &str, month: &str, n: u32) -> PathBuf {
    let rows = synthetic_rows(n);
    let relative = format!("{vintage}/{month}/{month}-surrey-street.csv");
    write(dir, &relative, street_csv(month, &as_specs(&rows), false, false))
}

#[test]
fn a_failure_in_the_middle_of_a_file_leaves_the_store_as_it_was() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    import(&db, &[synthetic_file(dir.path(), "v1", "2024-01", 2000)]);
    let before = store_digest(&mut conn);

    let new = synthetic_file(dir.path(), "v2", "2024-01", 2600);
    let fresh = synthetic_file(dir.path(), "v2", "2024-02", 2600);
    let options = ImportOptions { fail_after_rows: Some(1000), ..Default::default() };
    let summary = import_paths(&db.url, &[new, fresh], &options, &Silent).unwrap();
    assert_eq!(summary.files.len(), 2);
    for file in &summary.files {
        assert!(
            matches!(&file.status, FileStatus::Failed(why) if why.contains("injected after 1000 rows")),
            "{file:?}"
        );
    }
    assert_eq!(store_digest(&mut conn), before);
}

#[test]
fn kill_dash_nine_in_the_middle_of_a_file_leaves_the_store_as_it_was() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    import(&db, &[synthetic_file(dir.path(), "v1", "2024-01", 2000)]);
    let before = store_digest(&mut conn);

    let new = synthetic_file(dir.path(), "v2", "2024-01", 5000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_police-api-under-test"))
        .args(["--database-url", &db.url, "import", "--pause-after-rows", "2500"])
        .arg(&new)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut paused = false;
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.contains("paused after 2500 rows") {
            paused = true;
            break;
        }
    }
    assert!(paused, "the import never reached the middle of the file");
    // The old rows are already deleted inside the child's open transaction.
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert_eq!(store_digest(&mut conn), before);
    // And a clean re-run afterwards imports the file.
    assert_eq!(import(&db, &[dir.path().join("v2")]).imported(), 1);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), 5000);
}

/// Runs `police-api import` on `path` with `extra` arguments; its exit status and stderr.
fn import_command(db: &police_tests::TestDatabase, path: &Path, extra: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_police-api-under-test"))
        .args(["--database-url", &db.url, "import"])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    (output.status.code().unwrap(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_damaged_file_does_not_replace_a_good_month_and_rejections_fail_the_exit_status() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    let good = synthetic_file(dir.path(), "v1", "2024-01", 50);
    assert_eq!(import_command(&db, &good, &[]).0, 0);
    let before = store_digest(&mut conn);

    // A stray quote on line 3: the CSV reader swallows the rest of the file into one field.
    let mut damaged = std::fs::read(&good).unwrap();
    let line_3 = damaged.iter().enumerate().filter(|(_, &b)| b == b'\n').nth(1).unwrap().0 + 1;
    damaged.insert(line_3, b'"');
    let damaged = write(dir.path(), "v2/2024-01/2024-01-surrey-street.csv", &damaged);
    let (status, stderr) = import_command(&db, &damaged, &[]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("not replacing the version already imported"), "{stderr}");
    assert_eq!(store_digest(&mut conn), before, "the good month stays");

    // Two of 50 rows rejected (4 %): refused at the default 1 %, taken at 5 % with exit
    // status 3 (rows were rejected), or 0 with --accept-rejections.
    let text = String::from_utf8(std::fs::read(&good).unwrap()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for line in &mut lines[2..4] {
        *line =
            line.replace("Burglary", "Jaywalking").replace("Anti-social behaviour", "Jaywalking");
    }
    let two_bad =
        write(dir.path(), "v3/2024-01/2024-01-surrey-street.csv", lines.join("\n") + "\n");
    let (status, stderr) = import_command(&db, &two_bad, &[]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("2 of 50 rows rejected (4.0 %"), "{stderr}");
    assert_eq!(store_digest(&mut conn), before);
    let (status, stderr) = import_command(&db, &two_bad, &["--max-rejected-share", "0.05"]);
    assert_eq!(status, 3, "{stderr}");
    assert!(stderr.contains("--accept-rejections"), "{stderr}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), 48);

    let (status, stderr) = import_command(&db, &damaged, &["--max-rejected-share", "2"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("from 0 to 1"), "{stderr}");
    let three_bad = lines.join("\n").replacen("Burglary", "Jaywalking", 1) + "\n";
    let three_bad = write(dir.path(), "v4/2024-01/2024-01-surrey-street.csv", three_bad);
    let (status, stderr) =
        import_command(&db, &three_bad, &["--max-rejected-share", "0.1", "--accept-rejections"]);
    assert_eq!(status, 0, "{stderr}");
}

#[test]
fn an_unreadable_zip_is_reported_and_the_rest_imported() {
    let db = test_database();
    let mut conn = db.connect();
    let dir = tempfile::tempdir().unwrap();
    synthetic_file(dir.path(), "folder", "2024-01", 10);
    synthetic_file(dir.path(), "folder", "2024-02", 10);
    write(dir.path(), "folder/2024-03.zip", b"PK\x03\x04 this is not really a zip");

    let summary = import(&db, &[dir.path().join("folder")]);
    assert_eq!(summary.imported(), 2, "{:?}", summary.files);
    assert_eq!(summary.problems(), 1);
    let refused: Vec<&SkippedFile> = summary.skipped.iter().filter(|s| s.refused).collect();
    assert_eq!(refused.len(), 1, "{:?}", summary.skipped);
    assert!(refused[0].display_name.ends_with("2024-03.zip"), "{refused:?}");
    assert!(refused[0].reason.contains("zip"), "{refused:?}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM crimes"), 20);

    let (status, stderr) = import_command(&db, &dir.path().join("folder"), &[]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("2024-03.zip"), "{stderr}");
}

#[test]
fn a_decompression_bomb_is_refused_without_reading_it_whole() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    synthetic_file(dir.path(), "folder", "2024-01", 10);
    // 300 MiB of blank lines after a good header, gzipped to a few hundred KB.
    let bomb = dir.path().join("folder/2024-02/2024-02-surrey-street.csv.gz");
    std::fs::create_dir_all(bomb.parent().unwrap()).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(format!("{STREET_HEADER}\n").as_bytes()).unwrap();
    let blank = vec![b'\n'; 1 << 20];
    for _ in 0..300 {
        encoder.write_all(&blank).unwrap();
    }
    encoder.finish().unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 4 << 20);

    let summary = import(&db, &[dir.path().join("folder")]);
    assert_eq!(summary.imported(), 1, "{:?}", summary.files);
    let failed: Vec<&str> = summary
        .files
        .iter()
        .filter_map(|f| match &f.status {
            FileStatus::Failed(why) => Some(why.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", summary.files);
    assert!(failed[0].contains("larger than 256 MiB (decompressed)"), "{failed:?}");
}
