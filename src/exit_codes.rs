//! Process exit codes: part of the interface for cron and systemd jobs.

/// The command completed. For `scan`: the run was committed, whatever the files' statuses
/// (corrupt and truncated files are data, reported in the catalog).
pub const OK: i32 = 0;
/// The run completed but `--fail-on` found findings at or above the given severity.
pub const FINDINGS: i32 = 1;
/// The command line or the configuration file is invalid; nothing was done.
pub const USAGE: i32 = 2;
/// The run itself failed (a root missing or unmounted, the warehouse unwritable or locked):
/// nothing was committed and the previous warehouse is unchanged.
pub const RUN_FAILED: i32 = 3;
/// The warehouse's history does not verify: `verify` found a difference, or a scan or an
/// export refused to build on it (nothing was committed).
pub const CHAIN_BROKEN: i32 = 4;
