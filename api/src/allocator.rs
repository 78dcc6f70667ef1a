//! Memory given back after bursts of large answers.
//!
//! glibc's malloc keeps memory freed by a burst in its arenas: after 500 clients stalled on a
//! 12.6 MB police.uk list and went away, a serving process stayed 100–140 MB above where it
//! started (chunk buffers freed across many per-thread arenas; measured in
//! `docs/RELIABILITY.md`). With `MALLOC_MMAP_THRESHOLD_=65536`, allocations of 64 KiB and
//! more (answer chunks, answers built whole) are mapped on their own and unmapped when freed,
//! and the same burst leaves the process within a few MB of its start. glibc reads the
//! variable only when the process starts, and setting it in-process needs `mallopt` (unsafe
//! code), so `serve` and `demo` re-execute themselves once with it set. An operator's own
//! `MALLOC_MMAP_THRESHOLD_` (any value) is kept as it is and skips the re-execution.

/// The glibc tunable set for serving processes.
pub const MMAP_THRESHOLD_VARIABLE: &str = "MALLOC_MMAP_THRESHOLD_";

/// Allocations from this size are mapped on their own (the answer chunk size).
pub const MMAP_THRESHOLD_BYTES: usize = crate::in_flight::PIECE_BYTES;

/// Re-executes this program, with the same arguments, with [`MMAP_THRESHOLD_VARIABLE`] set,
/// unless the environment sets it already (the operator's choice, or this is the re-executed
/// process). Returns only when it does not re-execute (with a warning if it could not).
pub fn reexec_with_mmap_threshold() {
    if std::env::var_os(MMAP_THRESHOLD_VARIABLE).is_some() || !cfg!(target_env = "gnu") {
        return;
    }
    reexec();
}

#[cfg(unix)]
fn reexec() {
    use std::os::unix::process::CommandExt;

    let mut args = std::env::args_os();
    let program_name = args.next();
    let executable = match std::env::current_exe() {
        Ok(executable) => executable,
        Err(error) => {
            warn(&error);
            return;
        }
    };
    let mut command = std::process::Command::new(executable);
    if let Some(name) = program_name {
        command.arg0(name);
    }
    let error =
        command.args(args).env(MMAP_THRESHOLD_VARIABLE, MMAP_THRESHOLD_BYTES.to_string()).exec();
    warn(&error);
}

#[cfg(not(unix))]
fn reexec() {}

fn warn(error: &std::io::Error) {
    eprintln!(
        "warning: could not restart with {MMAP_THRESHOLD_VARIABLE}={MMAP_THRESHOLD_BYTES} \
         ({error}); memory freed after bursts of large answers may stay with the allocator"
    );
}
