//! Tests that skip (no `../shared/data`, no `ogrinfo`) still pass, so `cargo test` would
//! show them as `ok`. [`report_skip`] makes each skip visible: a `SKIPPED <test>: <reason>`
//! line written straight to the process's stderr, past the test harness's capture of
//! `eprintln!` (so it shows in `cargo test`'s output without `--nocapture`), and the same line
//! appended to [`SKIP_LIST`] next to the test binaries, which `.ci/run` prints after the tests.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file the skips of a run are listed in, in the profile's target directory (e.g.
/// `target/debug/`); `.ci/run` removes it before the tests and prints it after them.
pub const SKIP_LIST: &str = "police-tests-skipped.txt";

/// Reports that the calling test skips (all or part of its checks) and why; the caller then
/// returns or leaves the check out.
pub fn report_skip(reason: &str) {
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let line = skip_line(thread.name().unwrap_or("a test"), reason);
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(list) = skip_list() {
        let _ = append(&list, &line);
    }
}

/// `<target>/<profile>/police-tests-skipped.txt`: the test binary lives in `<profile>/deps/`.
pub fn skip_list() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    Some(deps.parent()?.join(SKIP_LIST))
}

fn skip_line(test: &str, reason: &str) -> String {
    format!("SKIPPED {test}: {reason}\n")
}

/// Appends `line` in one write (`O_APPEND`: lines of tests running at once do not mix).
fn append(list: &Path, line: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new().create(true).append(true).open(list)?.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_are_listed_one_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join(SKIP_LIST);
        append(&list, &skip_line("real_data::a", "../shared/data/police-uk not found")).unwrap();
        append(&list, &skip_line("v2_lists::b", "ogrinfo not found")).unwrap();
        assert_eq!(
            std::fs::read_to_string(&list).unwrap(),
            "SKIPPED real_data::a: ../shared/data/police-uk not found\n\
             SKIPPED v2_lists::b: ogrinfo not found\n"
        );
        let list = skip_list().unwrap();
        assert_eq!(list.file_name().unwrap(), SKIP_LIST);
        assert!(list.parent().unwrap().join("deps").is_dir(), "{}", list.display());
    }
}
