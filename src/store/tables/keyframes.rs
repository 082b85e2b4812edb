//! `keyframes`: every keyframe the keyframe stage decoded and read, with what its picture
//! shows. Rows of the files read in a run are written by it; the rows of files carried
//! unchanged are carried with them.
use arrow_array::RecordBatch;

use super::Cols;
use crate::store::StoreError;

/// One keyframe read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyframeRow {
    pub run_id: String,
    pub path: String,
    /// `first`, `last`, or `jump` (read by halves to place a jump of the displayed clock).
    pub purpose: &'static str,
    /// Sample number in the video track (1-based), and place among its keyframes (0-based).
    pub sample: i64,
    pub gop_index: i32,
    /// Presentation time in the file, seconds.
    pub t_s: f64,
    /// Its first slice: `IDR` or `I`, and the QP it starts with (`pic_init_qp` +
    /// `slice_qp_delta`); null where the slice header does not read.
    pub frame_type: Option<&'static str>,
    pub slice_qp: Option<i32>,
    /// What the picture's display says: its time (configured zone, as UTC), its text and the
    /// reading's confidence.
    pub osd_time_us: Option<i64>,
    pub osd_text: Option<String>,
    pub osd_confidence: Option<f64>,
}

pub fn keyframes_batch(rows: &[KeyframeRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str("path", rows.iter().map(|r| Some(r.path.as_str())));
    c.str("purpose", rows.iter().map(|r| Some(r.purpose)));
    c.i64("sample", rows.iter().map(|r| Some(r.sample)));
    c.i32("gop_index", rows.iter().map(|r| Some(r.gop_index)));
    c.f64("t_s", rows.iter().map(|r| Some(r.t_s)));
    c.str("frame_type", rows.iter().map(|r| r.frame_type));
    c.i32("slice_qp", rows.iter().map(|r| r.slice_qp));
    c.ts("osd_time", rows.iter().map(|r| r.osd_time_us));
    c.str("osd_text", rows.iter().map(|r| r.osd_text.as_deref()));
    c.f64("osd_confidence", rows.iter().map(|r| r.osd_confidence));
    c.finish("keyframes")
}
