//! A full disk during `police-api import` (issue 13, point 8): the embedded cluster's data
//! dir on a small tmpfs that the import fills up. Needs root (to mount); skipped, with a
//! line saying why, where mounting is not allowed.

use std::path::PathBuf;
use std::process::Command;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use police_store::embedded::{EmbeddedOptions, EmbeddedPostgres};

/// Big enough for `initdb`, the `police` database and the migrations (about 60 MB with the
/// first WAL segment), too small for the archive below.
const SMALL: &str = "size=112m";
/// Room to start the cluster again (crash recovery) and look at what was committed.
const LARGE: &str = "size=2g";
const JOBS: usize = 2;

/// A tmpfs mounted on a fresh directory, unmounted (lazily if still busy) when dropped.
struct Tmpfs {
    _parent: tempfile::TempDir,
    mount_point: PathBuf,
}

impl Tmpfs {
    /// Mounts one, or says why it cannot be done here.
    fn mount(options: &str) -> Result<Tmpfs, String> {
        let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mount_point = parent.path().join("data");
        std::fs::create_dir(&mount_point).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("{options},mode=0755"), "tmpfs"])
            .arg(&mount_point)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount -t tmpfs failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Tmpfs { _parent: parent, mount_point })
    }

    fn resize(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.mount_point)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.mount_point).status();
        if !unmounted.is_ok_and(|status| status.success()) {
            let _ = Command::new("umount").arg("-l").arg(&self.mount_point).status();
        }
    }
}

fn police_api(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_police-api-under-test"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).expect(sql).n
}

/// The `N imported` of the closing summary line.
fn imported_in_summary(stderr: &str) -> i64 {
    let line = stderr.lines().find(|l| l.starts_with("import finished:")).expect(stderr);
    let (before, _) = line.split_once(" imported").expect(line);
    before.rsplit('(').next().unwrap().parse().expect(line)
}

#[test]
fn a_full_disk_stops_the_import_once_with_a_clear_message_and_counts_only_durable_files() {
    let disk = match Tmpfs::mount(SMALL) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipping: cannot mount a tmpfs for the data dir here ({why})");
            return;
        }
    };
    let data_dir = disk.mount_point.to_str().unwrap().to_owned();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive");
    let (status, stderr) = police_api(&[
        "generate",
        "--out",
        archive.to_str().unwrap(),
        "--forces",
        "city-of-london,surrey,kent,essex",
        "--months",
        "12",
        "--crimes-per-month",
        "40000",
        "--neighbourhoods-per-force",
        "2",
    ]);
    assert_eq!(status, 0, "{stderr}");
    // initdb and the migrations fit.
    let (status, stderr) = police_api(&["--data-dir", &data_dir, "migrate"]);
    assert_eq!(status, 0, "{stderr}");

    let (status, stderr) = police_api(&[
        "--data-dir",
        &data_dir,
        "import",
        "--jobs",
        &JOBS.to_string(),
        archive.to_str().unwrap(),
    ]);
    assert_ne!(status, 0, "{stderr}");
    let said = format!("no space left on device (data dir {data_dir})");
    assert_eq!(stderr.matches(&said).count(), 1, "said once, naming the data dir:\n{stderr}");
    assert_eq!(
        stderr.to_lowercase().matches("no space left on device").count(),
        1,
        "said once:\n{stderr}"
    );
    // Stopped at the first: at most the files in flight (one per worker) failed, and the
    // files after them were not started.
    let failed = stderr.lines().filter(|l| l.starts_with("FAILED")).count();
    assert!((1..=JOBS).contains(&failed), "{failed} files failed:\n{stderr}");
    assert!(stderr.contains("files not started"), "{stderr}");
    assert!(!stderr.contains("server closed the connection"), "{stderr}");
    let imported = imported_in_summary(&stderr);
    assert!(imported > 0, "the disk should fill up part-way:\n{stderr}");

    // With room again, the cluster recovers: exactly the files counted are there, whole.
    disk.resize(LARGE);
    let cluster = EmbeddedPostgres::start(EmbeddedOptions::new(&disk.mount_point)).unwrap();
    let mut conn = police_store::db::connect(&cluster.database_url()).unwrap();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM imports"), imported, "{stderr}");
    let half_imported = count(
        &mut conn,
        "WITH written AS ( \
             SELECT import_id, count(*) AS n FROM crimes GROUP BY import_id \
             UNION ALL SELECT import_id, count(*) FROM outcomes GROUP BY import_id \
             UNION ALL SELECT import_id, count(*) FROM stops GROUP BY import_id) \
         SELECT count(*) AS n FROM imports i FULL JOIN written w ON w.import_id = i.id \
         WHERE i.id IS NULL OR w.import_id IS NULL AND i.rows_accepted > 0 \
            OR w.n <> i.rows_accepted",
    );
    assert_eq!(half_imported, 0, "files with a part of their rows, or rows without a file");
    drop(conn);
    cluster.stop().unwrap();
}
