//! `runs`: one row per committed scan, with its settings and counts.
use arrow_array::RecordBatch;
use serde::Serialize;

use super::Cols;
use crate::store::StoreError;

/// One row of `runs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunRow {
    pub run_id: String,
    pub started_us: i64,
    pub finished_us: i64,
    pub elapsed_s: f64,
    pub roots: Vec<String>,
    pub files: i64,
    pub bytes: i64,
    pub hashed_bytes: i64,
    pub files_ok: i64,
    pub files_corrupt: i64,
    pub files_truncated: i64,
    pub files_unreadable: i64,
    pub files_unsupported: i64,
    pub files_changed_during_read: i64,
    pub recaudit_version: String,
    pub settings: String,
    pub host: String,
    pub threads: i32,
    pub io_mode: String,
    pub sessions: i64,
    pub findings_high: i64,
    pub findings_warn: i64,
    pub findings_info: i64,
    /// `full` (no earlier catalog), `incremental`, or `verify` (everything re-hashed).
    pub mode: String,
    /// Files taken over from the previous run without opening them (size, mtime and inode
    /// unchanged, not chosen for verification).
    pub files_carried: i64,
    pub files_new: i64,
    pub files_verified: i64,
    pub files_modified: i64,
    pub files_metadata_changed: i64,
    pub files_deleted: i64,
    pub files_moved: i64,
    pub files_restored: i64,
    /// The run's place in the warehouse's hash chain (its manifest `chain/<seq>-<run_id>.json`);
    /// null for runs committed before chains existed.
    pub chain_seq: Option<i64>,
    /// The chain head this run built on (BLAKE3 of the previous manifest); null for the first.
    pub chain_previous: Option<String>,
}

pub fn runs_batch(rows: &[RunRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.ts("started", rows.iter().map(|r| Some(r.started_us)));
    c.ts("finished", rows.iter().map(|r| Some(r.finished_us)));
    c.f64("elapsed_s", rows.iter().map(|r| Some(r.elapsed_s)));
    c.str_list("roots", rows.iter().map(|r| r.roots.as_slice()));
    c.i64("files", rows.iter().map(|r| Some(r.files)));
    c.i64("bytes", rows.iter().map(|r| Some(r.bytes)));
    c.i64("hashed_bytes", rows.iter().map(|r| Some(r.hashed_bytes)));
    c.i64("files_ok", rows.iter().map(|r| Some(r.files_ok)));
    c.i64("files_corrupt", rows.iter().map(|r| Some(r.files_corrupt)));
    c.i64(
        "files_truncated",
        rows.iter().map(|r| Some(r.files_truncated)),
    );
    c.i64(
        "files_unreadable",
        rows.iter().map(|r| Some(r.files_unreadable)),
    );
    c.i64(
        "files_unsupported",
        rows.iter().map(|r| Some(r.files_unsupported)),
    );
    c.i64(
        "files_changed_during_read",
        rows.iter().map(|r| Some(r.files_changed_during_read)),
    );
    c.str(
        "recaudit_version",
        rows.iter().map(|r| Some(r.recaudit_version.as_str())),
    );
    c.str("settings", rows.iter().map(|r| Some(r.settings.as_str())));
    c.str("host", rows.iter().map(|r| Some(r.host.as_str())));
    c.i32("threads", rows.iter().map(|r| Some(r.threads)));
    c.str("io_mode", rows.iter().map(|r| Some(r.io_mode.as_str())));
    c.i64("sessions", rows.iter().map(|r| Some(r.sessions)));
    c.i64("findings_high", rows.iter().map(|r| Some(r.findings_high)));
    c.i64("findings_warn", rows.iter().map(|r| Some(r.findings_warn)));
    c.i64("findings_info", rows.iter().map(|r| Some(r.findings_info)));
    c.str("mode", rows.iter().map(|r| Some(r.mode.as_str())));
    c.i64("files_carried", rows.iter().map(|r| Some(r.files_carried)));
    c.i64("files_new", rows.iter().map(|r| Some(r.files_new)));
    c.i64(
        "files_verified",
        rows.iter().map(|r| Some(r.files_verified)),
    );
    c.i64(
        "files_modified",
        rows.iter().map(|r| Some(r.files_modified)),
    );
    c.i64(
        "files_metadata_changed",
        rows.iter().map(|r| Some(r.files_metadata_changed)),
    );
    c.i64("files_deleted", rows.iter().map(|r| Some(r.files_deleted)));
    c.i64("files_moved", rows.iter().map(|r| Some(r.files_moved)));
    c.i64(
        "files_restored",
        rows.iter().map(|r| Some(r.files_restored)),
    );
    c.i64("chain_seq", rows.iter().map(|r| r.chain_seq));
    c.str(
        "chain_previous",
        rows.iter().map(|r| r.chain_previous.as_deref()),
    );
    c.finish("runs")
}
