//! `exports`: one row per evidence export (第二十、二十三条). Append-only.
use arrow_array::RecordBatch;
use serde::Serialize;

use super::Cols;
use crate::store::StoreError;

/// One row of `exports`: one evidence export (第二十、二十三条). Append-only.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportRow {
    pub export_id: String,
    pub at_us: i64,
    pub case_id: Option<String>,
    pub selection_sql: Option<String>,
    pub approved_by: String,
    pub reason: String,
    pub destination: String,
    pub files: i64,
    pub bytes: i64,
    pub include_confidential: bool,
    /// `ok`, or `failed` with `error` saying which copy did not verify.
    pub status: String,
    pub error: Option<String>,
    pub manifest_blake3: Option<String>,
    pub host: String,
}

pub fn exports_batch(rows: &[ExportRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("export_id", rows.iter().map(|r| Some(r.export_id.as_str())));
    c.ts("at", rows.iter().map(|r| Some(r.at_us)));
    c.str("case_id", rows.iter().map(|r| r.case_id.as_deref()));
    c.str(
        "selection_sql",
        rows.iter().map(|r| r.selection_sql.as_deref()),
    );
    c.str(
        "approved_by",
        rows.iter().map(|r| Some(r.approved_by.as_str())),
    );
    c.str("reason", rows.iter().map(|r| Some(r.reason.as_str())));
    c.str(
        "destination",
        rows.iter().map(|r| Some(r.destination.as_str())),
    );
    c.i64("files", rows.iter().map(|r| Some(r.files)));
    c.i64("bytes", rows.iter().map(|r| Some(r.bytes)));
    c.bool(
        "include_confidential",
        rows.iter().map(|r| Some(r.include_confidential)),
    );
    c.str("status", rows.iter().map(|r| Some(r.status.as_str())));
    c.str("error", rows.iter().map(|r| r.error.as_deref()));
    c.str(
        "manifest_blake3",
        rows.iter().map(|r| r.manifest_blake3.as_deref()),
    );
    c.str("host", rows.iter().map(|r| Some(r.host.as_str())));
    c.finish("exports")
}
