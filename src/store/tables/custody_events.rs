//! `custody_events`: one change to one file seen by one run (new, verified, modified,
//! metadata_changed, deleted, moved, restored). Append-only.
use arrow_array::RecordBatch;
use serde::Serialize;

use super::Cols;
use crate::store::StoreError;

/// One row of `custody_events`: one change to one file seen by one run. Append-only.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustodyEvent {
    pub run_id: String,
    pub at_us: i64,
    /// new, verified, modified, metadata_changed, deleted, moved, restored.
    pub event: String,
    pub path: String,
    pub previous_path: Option<String>,
    pub blake3: Option<String>,
    pub previous_blake3: Option<String>,
    pub size_bytes: Option<i64>,
    pub previous_size_bytes: Option<i64>,
    pub mtime_us: Option<i64>,
    pub previous_mtime_us: Option<i64>,
    pub device_id: Option<String>,
    pub retention_class: Option<String>,
    pub keep_until_us: Option<i64>,
    pub details: String,
}

/// Whether a custody event is an offence against the record (第二十八条(三)), reported by the
/// custody rules on every later run: bytes changed at their path (`modified`), a record gone
/// (`deleted`), or deleted into a recycle bin (`recycled`).
pub fn is_offence(event: &str) -> bool {
    matches!(event, "modified" | "deleted" | "recycled")
}

/// Whether a custody event says where its record lay before (`previous_path`): moved,
/// restored, put in a recycle bin, or a copy deleted whose bytes `path` keeps. The path-keyed
/// context tables may name the record there ([`crate::pathjoin::FileIndex::alias_moves`]).
pub fn names_an_earlier_path(event: &str) -> bool {
    matches!(
        event,
        "moved" | "restored" | "recycled" | "duplicate_deleted"
    )
}

pub fn custody_batch(rows: &[CustodyEvent]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.ts("at", rows.iter().map(|r| Some(r.at_us)));
    c.str("event", rows.iter().map(|r| Some(r.event.as_str())));
    c.str("path", rows.iter().map(|r| Some(r.path.as_str())));
    c.str(
        "previous_path",
        rows.iter().map(|r| r.previous_path.as_deref()),
    );
    c.str("blake3", rows.iter().map(|r| r.blake3.as_deref()));
    c.str(
        "previous_blake3",
        rows.iter().map(|r| r.previous_blake3.as_deref()),
    );
    c.i64("size_bytes", rows.iter().map(|r| r.size_bytes));
    c.i64(
        "previous_size_bytes",
        rows.iter().map(|r| r.previous_size_bytes),
    );
    c.ts("mtime", rows.iter().map(|r| r.mtime_us));
    c.ts("previous_mtime", rows.iter().map(|r| r.previous_mtime_us));
    c.str("device_id", rows.iter().map(|r| r.device_id.as_deref()));
    c.str(
        "retention_class",
        rows.iter().map(|r| r.retention_class.as_deref()),
    );
    c.ts("keep_until", rows.iter().map(|r| r.keep_until_us));
    c.str("details", rows.iter().map(|r| Some(r.details.as_str())));
    c.finish("custody_events")
}
