//! The command line's operator mistakes, said before any slow work (issue 13, point 13).

use std::net::TcpListener;
use std::process::Command;

use police_tests::fixtures::{asb, street_file, Place};

/// Runs the binary with `args` (and `env`); its exit status and stderr.
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_police-api-under-test"));
    command.args(args).env_remove("DATABASE_URL");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_taken_port_or_a_malformed_bind_is_said_before_any_slow_work() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    for command in ["demo", "serve"] {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap();
        for bind in [address.as_str(), "not-an-address"] {
            let (status, stderr) = run(&["--data-dir", data_dir, command, "--bind", bind], &[]);
            assert_ne!(status, 0, "{command} {bind}: {stderr}");
            assert!(stderr.contains(&format!("cannot listen on {bind}")), "{stderr}");
            assert!(!stderr.contains("demo ready"), "{stderr}");
            // Nothing was started or imported: the data dir holds no cluster.
            assert!(!dir.path().join("pgdata").exists(), "{command} {bind}: a cluster was made");
            assert!(!dir.path().join("pgdata.initdb").exists(), "{command} {bind}: initdb ran");
        }
    }
}

#[test]
fn an_empty_database_url_means_the_embedded_postgresql_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let place = Place { lng: "-1.131592", lat: "52.629729", name: "On or near Gallowtree Gate" };
    let csv = street_file(dir.path(), "2024-01", "leicestershire", &[asb(place)]);
    let data_dir = dir.path().join("data");
    let (status, stderr) = run(
        &["--data-dir", data_dir.to_str().unwrap(), "import", csv.to_str().unwrap()],
        &[("DATABASE_URL", "")],
    );
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("DATABASE_URL is empty: using the embedded PostgreSQL in"), "{stderr}");
    assert!(data_dir.join("pgdata").exists(), "{stderr}");
}

#[test]
fn serve_names_its_store_and_warns_when_it_is_empty() {
    use std::io::{BufRead, BufReader};
    // An empty, migrated database of the test cluster: killing the server leaves nothing
    // running (an embedded cluster would outlive a SIGKILL).
    let db = police_tests::test_database();
    let mut child = Command::new(env!("CARGO_BIN_EXE_police-api-under-test"))
        .args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let serving = line.starts_with("serving the police.uk API");
        said.push(line);
        if serving {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let said = said.join("\n");
    assert!(said.contains("store: DATABASE_URL (psql '"), "{said}");
    assert!(said.contains("warning: the store holds no crimes and no stop and search"), "{said}");
}
