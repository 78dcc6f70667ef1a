//! `/api/v2/download`: the custom download, over HTTP. The zip is checked against the files
//! that were imported (its layout, CRLF line ends, and each CSV byte for byte once BOMs
//! and line ends are set aside), then imported into an empty store, whose rows must equal
//! the first store's, on generated data and on the real police.uk files in
//! `../shared/data/police-uk/`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::Text;
use police_generate::{generate, GenerateOptions};
use police_index::Month;
use police_tests::fixtures::{import, import_cleanly};
use police_tests::http::{assert_error, TestServer, DOWNLOADS_AT_ONCE};
use police_tests::{skip_without_shared_data, test_database, TestDatabase};

/// A downloaded archive: its entries, in order, with their bytes.
struct Archive {
    entries: Vec<(String, Vec<u8>)>,
    raw: Vec<u8>,
}

/// `GET path`, asserted to be a zip download; its entries.
fn download(server: &TestServer, path: &str) -> Archive {
    let (status, headers, body) = server.get_bytes(path);
    let header = |name: &str| {
        headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body[..body.len().min(500)]));
    assert_eq!(header("content-type"), "application/zip");
    assert!(
        header("content-disposition").starts_with("attachment; filename=\"police-uk-"),
        "{}",
        header("content-disposition")
    );
    // Not compressed again on the way (the client accepts gzip).
    assert_ne!(header("content-encoding"), "gzip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body.clone())).expect("a zip");
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        assert_eq!(file.compression(), zip::CompressionMethod::Deflated, "{name}");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        entries.push((name, bytes));
    }
    Archive { entries, raw: body }
}

impl Archive {
    fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// Writes the zip where the importer can read it.
    fn save(&self, dir: &Path) -> PathBuf {
        let path = dir.join("download.zip");
        std::fs::write(&path, &self.raw).unwrap();
        path
    }
}

/// A file without its BOM and with LF line ends: police.uk's copies differ in both (the
/// download always writes CRLF and no BOM), so files are compared in this form.
fn normalised(bytes: &[u8]) -> Vec<u8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

/// Every CSV under `dir`, by its archive path `YYYY-MM/<name>`.
fn source_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    for month in std::fs::read_dir(dir).unwrap() {
        let month = month.unwrap().path();
        let is_month = month.file_name().unwrap().to_string_lossy().parse::<Month>().is_ok();
        if !month.is_dir() || !is_month {
            continue;
        }
        for file in std::fs::read_dir(&month).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".csv") {
                let month = month.file_name().unwrap().to_string_lossy().into_owned();
                files.insert(format!("{month}/{name}"), file);
            }
        }
    }
    files
}

/// The parts of an archive path `YYYY-MM/YYYY-MM-<force>-<kind>.csv`.
fn parts(path: &str) -> (Month, String, String) {
    let (month, name) = path.split_once('/').unwrap();
    let rest = name.strip_prefix(&format!("{month}-")).unwrap().strip_suffix(".csv").unwrap();
    let kind = ["street", "outcomes", "stop-and-search"]
        .into_iter()
        .find(|k| rest.ends_with(&format!("-{k}")))
        .unwrap();
    let force = rest.strip_suffix(&format!("-{kind}")).unwrap();
    (month.parse().unwrap(), force.to_owned(), kind.to_owned())
}

/// Asserts that `archive` holds exactly `expected` (archive path → source file), in the
/// archive's order (force, month, kind), each entry equal to its source byte for byte.
#[track_caller]
fn assert_same_files(archive: &Archive, expected: &BTreeMap<String, PathBuf>) {
    let mut names: Vec<&str> = expected.keys().map(String::as_str).collect();
    names.sort_by_key(|name| {
        let (month, force, kind) = parts(name);
        (force, month, kind)
    });
    assert_eq!(archive.names(), names);
    for (name, bytes) in &archive.entries {
        let every_line_crlf =
            bytes.iter().enumerate().all(|(i, &b)| b != b'\n' || (i > 0 && bytes[i - 1] == b'\r'));
        assert!(every_line_crlf && bytes.ends_with(b"\r\n"), "{name}: not CRLF line ends");
        let (bytes, source) =
            (&normalised(bytes), normalised(&std::fs::read(&expected[name]).unwrap()));
        if *bytes != source {
            let line = bytes
                .split(|&b| b == b'\n')
                .zip(source.split(|&b| b == b'\n'))
                .position(|(a, b)| a != b);
            let shown = |text: &[u8], at: Option<usize>| {
                at.and_then(|i| text.split(|&b| b == b'\n').nth(i))
                    .map(|l| String::from_utf8_lossy(l).into_owned())
            };
            panic!(
                "{name} differs from its source at line {line:?}:\n  downloaded {:?}\n  source     {:?}",
                shown(bytes, line),
                shown(&source, line)
            );
        }
    }
}

#[derive(QueryableByName)]
struct RowText {
    #[diesel(sql_type = Text)]
    row: String,
}

/// Every row of crimes, outcomes and stops of `forces` from `from` to `to`, each as one
/// record's text (NULL and empty told apart), every column but surrogate ids (crime and
/// snap point ids, import ids) and the line it stood on, in file order.
fn store_rows(db: &TestDatabase, forces: &[&str], from: &str, to: &str) -> Vec<String> {
    let mut conn = db.connect();
    diesel::sql_query("SET TIME ZONE 'UTC'").execute(&mut conn).unwrap();
    let forces = forces.join(",");
    let filter = |t: &str| {
        format!(
            "{t}.force_id = ANY (string_to_array('{forces}', ',')) \
             AND {t}.month BETWEEN '{from}-01' AND '{to}-01'"
        )
    };
    let queries = [
        format!(
            "SELECT 'crime ' || ROW(c.force_id, c.month, c.persistent_id, c.reported_by, \
                    c.falls_within, l.longitude, l.latitude, l.name, c.lsoa_code, c.lsoa_name, \
                    c.category, c.last_outcome, c.context)::text AS row \
             FROM crimes c LEFT JOIN locations l ON l.id = c.location_id WHERE {} \
             ORDER BY c.force_id, c.month, c.line",
            filter("c")
        ),
        format!(
            "SELECT 'outcome ' || ROW(o.force_id, o.month, o.persistent_id, o.reported_by, \
                    o.falls_within, l.longitude, l.latitude, l.name, o.lsoa_code, o.lsoa_name, \
                    o.outcome_code, o.outcome_name)::text AS row \
             FROM outcomes o LEFT JOIN locations l ON l.id = o.location_id WHERE {} \
             ORDER BY o.force_id, o.month, o.line",
            filter("o")
        ),
        format!(
            "SELECT 'stop ' || ROW(s.force_id, s.month, s.type, s.datetime, s.operation, \
                    s.operation_name, s.latitude, s.longitude, s.gender, s.age_range, \
                    s.self_defined_ethnicity, s.officer_defined_ethnicity, s.legislation, \
                    s.object_of_search, s.outcome, s.outcome_linked_to_object_of_search, \
                    s.removal_of_more_than_outer_clothing)::text AS row \
             FROM stops s WHERE {} ORDER BY s.force_id, s.month, s.line",
            filter("s")
        ),
        format!(
            "SELECT 'file ' || ROW(i.kind, i.force_id, i.month, i.rows_accepted)::text AS row \
             FROM (SELECT DISTINCT ON (kind, force_id, month) * FROM imports \
                   ORDER BY kind, force_id, month, id DESC) i WHERE {} \
             ORDER BY i.kind, i.force_id, i.month",
            filter("i")
        ),
    ];
    queries
        .iter()
        .flat_map(|query| {
            diesel::sql_query(query).load::<RowText>(&mut conn).unwrap().into_iter().map(|r| r.row)
        })
        .collect()
}

/// Imports `archive` into an empty store and asserts its rows equal `db`'s over the
/// selection.
#[track_caller]
fn assert_round_trip(db: &TestDatabase, archive: &Archive, forces: &[&str], from: &str, to: &str) {
    let dir = tempfile::tempdir().unwrap();
    let copy = test_database();
    import_cleanly(&copy, &[archive.save(dir.path())]);
    let original = store_rows(db, forces, from, to);
    let round_tripped = store_rows(&copy, forces, from, to);
    assert!(original.len() > 1, "the selection holds rows");
    assert_eq!(original.len(), round_tripped.len());
    for (a, b) in original.iter().zip(&round_tripped) {
        assert_eq!(a, b);
    }
}

/// A small generated archive (3 forces, 4 months), imported.
fn generated_store() -> (TestDatabase, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        forces: ["city-of-london", "leicestershire", "north-wales"].map(String::from).to_vec(),
        first_month: Month::new(2024, 1).unwrap(),
        months: 4,
        crimes_per_month: 6_000,
        snap_points: 4_000,
        neighbourhoods_per_force: 3,
        ..GenerateOptions::demo()
    };
    generate(&options, dir.path()).unwrap();
    let db = test_database();
    import_cleanly(&db, &[dir.path().to_path_buf()]);
    (db, dir)
}

#[test]
fn generated_archive_downloads_byte_for_byte_and_imports_to_the_same_rows() {
    let (db, dir) = generated_store();
    let server = TestServer::start(&db);
    let sources = source_files(dir.path());
    assert!(sources.len() >= 3 * 4 * 2, "{sources:?}");

    // Everything: no forces, the period given.
    let all = download(&server, "/api/v2/download?from=2024-01&to=2024-04");
    assert_same_files(&all, &sources);
    assert_round_trip(
        &db,
        &all,
        &["city-of-london", "leicestershire", "north-wales"],
        "2024-01",
        "2024-04",
    );

    // A choice of forces, months and kinds.
    let some = download(
        &server,
        "/api/v2/download?forces=north-wales,city-of-london&from=2024-02&to=2024-03&kinds=street,stop-and-search",
    );
    let expected: BTreeMap<String, PathBuf> = sources
        .iter()
        .filter(|(name, _)| {
            let (month, force, kind) = parts(name);
            ["north-wales", "city-of-london"].contains(&force.as_str())
                && (Month::new(2024, 2).unwrap()..=Month::new(2024, 3).unwrap()).contains(&month)
                && kind != "outcomes"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(!expected.is_empty());
    assert_same_files(&some, &expected);

    // The default period is the year to the latest month held.
    let default = download(&server, "/api/v2/download?forces=city-of-london&kinds=outcomes");
    assert_eq!(
        default.names(),
        (1..=4)
            .map(|m| format!("2024-0{m}/2024-0{m}-city-of-london-outcomes.csv"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn rows_come_out_in_file_order_after_a_new_vintage() {
    let (db, dir) = generated_store();
    // A new vintage of one file, its rows reversed: crime ids are kept from the previous
    // vintage, so only the rows' lines give the new file's order.
    let name = "2024-02/2024-02-leicestershire-street.csv";
    let source = std::fs::read_to_string(dir.path().join(name)).unwrap();
    let mut lines: Vec<&str> = source.lines().collect();
    lines[1..].reverse();
    let vintage = tempfile::tempdir().unwrap();
    let path = police_tests::fixtures::write(vintage.path(), name, lines.join("\n") + "\n");
    let summary = import(&db, std::slice::from_ref(&path));
    assert_eq!(summary.imported(), 1);
    let server = TestServer::start(&db);
    let archive = download(
        &server,
        "/api/v2/download?forces=leicestershire&from=2024-02&to=2024-02&kinds=street",
    );
    let expected = BTreeMap::from([(name.to_owned(), path)]);
    assert_same_files(&archive, &expected);
}

#[test]
fn mistakes_are_named_and_busy_slots_answer_503() {
    let (db, _dir) = generated_store();
    let server = TestServer::start(&db);
    for (query, status, names) in [
        ("forces=atlantis", 404, "forces"),
        ("forces=kent,,surrey", 400, "forces"),
        ("kinds=crimes", 400, "kinds"),
        ("from=2024-13", 400, "from"),
        ("to=soon", 400, "to"),
        ("from=2024-04&to=2024-01", 400, "from"),
        ("from=1900-01&to=2024-01", 400, "600"),
    ] {
        let response = server.get(&format!("/api/v2/download?{query}"));
        assert_error(&response, status);
        assert!(response.body.contains(names), "{query}: {}", response.body);
    }
    // A force or period the store holds nothing of.
    let response = server.get("/api/v2/download?forces=kent&from=2024-01&to=2024-04");
    assert_error(&response, 404);
    assert!(response.body.contains("kent"), "{}", response.body);
    let response = server.get("/api/v2/download?from=2020-01&to=2020-12");
    assert_error(&response, 404);

    // Every slot taken: 503 with Retry-After; free again once they are given back.
    let store = server.state.store().unwrap();
    wait_for_free_slots(&server);
    let taken = store.downloads.clone().try_acquire_many_owned(DOWNLOADS_AT_ONCE as u32).unwrap();
    let (head, _) = server.raw(
        "GET /api/v2/download?from=2024-01&to=2024-01 HTTP/1.1\r\nHost: localhost\r\n\
         Connection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 503"), "{head}");
    assert!(head.contains("retry-after: 30"), "{head}");
    drop(taken);
    download(&server, "/api/v2/download?from=2024-01&to=2024-01");

    // A client that goes away mid-download gives its slot back.
    let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /api/v2/download?from=2024-01&to=2024-04 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .unwrap();
    let mut first = [0u8; 1024];
    stream.read_exact(&mut first).unwrap();
    drop(stream);
    wait_for_free_slots(&server);
}

/// Waits (20 s at most) until no download holds a slot: a download's thread gives its slot
/// back as it ends, just after the answer.
#[track_caller]
fn wait_for_free_slots(server: &TestServer) {
    let store = server.state.store().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while store.downloads.available_permits() < DOWNLOADS_AT_ONCE {
        assert!(std::time::Instant::now() < deadline, "a download slot was not given back");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The real files of City of London (street, outcomes, stop and search) and the
/// Metropolitan Police (stop and search) from 2016-06 to 2018-06, imported.
fn real_store(data: &Path) -> (TestDatabase, BTreeMap<String, PathBuf>) {
    let (first, last) = (Month::new(2016, 6).unwrap(), Month::new(2018, 6).unwrap());
    let files: BTreeMap<String, PathBuf> = source_files(data)
        .into_iter()
        .filter(|(name, _)| {
            let (month, force, _) = parts(name);
            (first..=last).contains(&month) && ["city-of-london", "metropolitan"].contains(&&*force)
        })
        .collect();
    let db = test_database();
    let paths: Vec<PathBuf> = files.values().cloned().collect();
    let summary = import(&db, &paths);
    assert_eq!(summary.problems(), 0);
    assert_eq!(summary.rows_rejected(), 0, "the byte comparison needs every row kept");
    (db, files)
}

#[test]
fn real_files_download_byte_for_byte_across_gaps_and_import_to_the_same_rows() {
    let data = skip_without_shared_data!();
    let (db, files) = real_store(&data);
    let server = TestServer::start(&db);
    // City of London has no street files for 2017-10 and 2017-11, no stop and search from
    // 2017-04 to 2017-11, no outcomes after 2017-06; the Metropolitan Police only stop and
    // search, from 2017-12.
    let (from, to) = ("2017-03", "2018-02");
    let archive = download(
        &server,
        &format!("/api/v2/download?forces=city-of-london,metropolitan&from={from}&to={to}"),
    );
    let expected: BTreeMap<String, PathBuf> = files
        .iter()
        .filter(|(name, _)| {
            let (month, _, _) = parts(name);
            (from.parse().unwrap()..=to.parse::<Month>().unwrap()).contains(&month)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for missing in
        ["2017-10/2017-10-city-of-london-street.csv", "2017-12/2017-12-city-of-london-outcomes.csv"]
    {
        assert!(!expected.contains_key(missing), "{missing} is a gap of the data");
    }
    assert!(expected.contains_key("2018-02/2018-02-metropolitan-stop-and-search.csv"));
    assert_same_files(&archive, &expected);
    assert_round_trip(&db, &archive, &["city-of-london", "metropolitan"], from, to);

    // One force, one kind.
    let met = download(
        &server,
        &format!("/api/v2/download?forces=metropolitan&from={from}&to={to}&kinds=stop-and-search"),
    );
    assert!(!met.entries.is_empty());
    assert!(met.names().iter().all(|n| n.ends_with("-metropolitan-stop-and-search.csv")));
}
