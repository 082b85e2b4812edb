//! `sessions`: one row per recording session a device's files were grouped into.
use arrow_array::RecordBatch;

use super::Cols;
use crate::store::StoreError;

/// One row of `sessions`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionRow {
    pub run_id: String,
    pub session_id: String,
    pub device_id: String,
    pub officer_ids: Option<String>,
    pub unit: Option<String>,
    pub start_us: i64,
    pub end_us: i64,
    pub file_count: i64,
    pub recorded_s: f64,
    pub missing_s: f64,
    pub finding_count: i64,
    pub first_path: String,
    pub last_path: String,
    /// A live stream's recordings (`sessions::is_live`), not the recorder's own.
    pub live: bool,
}

pub fn sessions_batch(rows: &[SessionRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str(
        "session_id",
        rows.iter().map(|r| Some(r.session_id.as_str())),
    );
    c.str("device_id", rows.iter().map(|r| Some(r.device_id.as_str())));
    c.str("officer_ids", rows.iter().map(|r| r.officer_ids.as_deref()));
    c.str("unit", rows.iter().map(|r| r.unit.as_deref()));
    c.ts("start", rows.iter().map(|r| Some(r.start_us)));
    c.ts("end", rows.iter().map(|r| Some(r.end_us)));
    c.i64("file_count", rows.iter().map(|r| Some(r.file_count)));
    c.f64("recorded_s", rows.iter().map(|r| Some(r.recorded_s)));
    c.f64("missing_s", rows.iter().map(|r| Some(r.missing_s)));
    c.i64("finding_count", rows.iter().map(|r| Some(r.finding_count)));
    c.str(
        "first_path",
        rows.iter().map(|r| Some(r.first_path.as_str())),
    );
    c.str("last_path", rows.iter().map(|r| Some(r.last_path.as_str())));
    c.bool("live", rows.iter().map(|r| Some(r.live)));
    c.finish("sessions")
}
