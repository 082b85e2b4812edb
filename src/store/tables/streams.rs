//! `streams`: one row per track or elementary stream inside a file.
use arrow_array::RecordBatch;

use super::Cols;
use crate::store::StoreError;

/// One row of `streams`: a track or elementary stream inside a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamRow {
    pub run_id: String,
    pub path: String,
    pub stream_index: i32,
    pub track_id: Option<i64>,
    pub kind: String,
    pub codec: Option<String>,
    pub codec_tag: Option<String>,
    pub profile: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub frame_rate: Option<f64>,
    pub sample_rate: Option<i32>,
    pub channels: Option<i32>,
    pub timescale: Option<i64>,
    pub duration_s: Option<f64>,
    pub sample_count: Option<i64>,
    pub sample_delta_min: Option<i64>,
    pub sample_delta_max: Option<i64>,
    pub sample_delta_typical: Option<i64>,
    pub jump_s: Option<f64>,
    pub jump_at_s: Option<f64>,
    pub edit_list_entries: i32,
    pub edit_list: Option<String>,
    pub sample_descriptions: i32,
    pub sample_description_summary: Option<String>,
    pub handler_name: Option<String>,
    pub compressor: Option<String>,
    pub language: Option<String>,
    pub parameter_sets: i32,
    pub continuity_errors: i32,
    pub creation_time_us: Option<i64>,
}

pub fn streams_batch(rows: &[StreamRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str("path", rows.iter().map(|r| Some(r.path.as_str())));
    c.i32("stream_index", rows.iter().map(|r| Some(r.stream_index)));
    c.i64("track_id", rows.iter().map(|r| r.track_id));
    c.str("kind", rows.iter().map(|r| Some(r.kind.as_str())));
    c.str("codec", rows.iter().map(|r| r.codec.as_deref()));
    c.str("codec_tag", rows.iter().map(|r| r.codec_tag.as_deref()));
    c.str("profile", rows.iter().map(|r| r.profile.as_deref()));
    c.i32("width", rows.iter().map(|r| r.width));
    c.i32("height", rows.iter().map(|r| r.height));
    c.f64("frame_rate", rows.iter().map(|r| r.frame_rate));
    c.i32("sample_rate", rows.iter().map(|r| r.sample_rate));
    c.i32("channels", rows.iter().map(|r| r.channels));
    c.i64("timescale", rows.iter().map(|r| r.timescale));
    c.f64("duration_s", rows.iter().map(|r| r.duration_s));
    c.i64("sample_count", rows.iter().map(|r| r.sample_count));
    c.i64("sample_delta_min", rows.iter().map(|r| r.sample_delta_min));
    c.i64("sample_delta_max", rows.iter().map(|r| r.sample_delta_max));
    c.i64(
        "sample_delta_typical",
        rows.iter().map(|r| r.sample_delta_typical),
    );
    c.f64("jump_s", rows.iter().map(|r| r.jump_s));
    c.f64("jump_at_s", rows.iter().map(|r| r.jump_at_s));
    c.i32(
        "edit_list_entries",
        rows.iter().map(|r| Some(r.edit_list_entries)),
    );
    c.str("edit_list", rows.iter().map(|r| r.edit_list.as_deref()));
    c.i32(
        "sample_descriptions",
        rows.iter().map(|r| Some(r.sample_descriptions)),
    );
    c.str(
        "sample_description_summary",
        rows.iter().map(|r| r.sample_description_summary.as_deref()),
    );
    c.str(
        "handler_name",
        rows.iter().map(|r| r.handler_name.as_deref()),
    );
    c.str("compressor", rows.iter().map(|r| r.compressor.as_deref()));
    c.str("language", rows.iter().map(|r| r.language.as_deref()));
    c.i32(
        "parameter_sets",
        rows.iter().map(|r| Some(r.parameter_sets)),
    );
    c.i32(
        "continuity_errors",
        rows.iter().map(|r| Some(r.continuity_errors)),
    );
    c.ts("creation_time", rows.iter().map(|r| r.creation_time_us));
    c.finish("streams")
}
