//! Arrow schemas and Parquet files for the warehouse tables. One function per table turns its
//! rows into a record batch; the column order and names here are the public interface
//! documented in the README, so change them only by adding columns.

pub mod prior;
pub mod warehouse;

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use crate::catalog::{
    CustodyEvent, Derived, ExportRow, FileRow, FindingRow, RunRow, SessionRow, StreamRow,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("warehouse {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("Parquet file {path}: {source}")]
    Parquet {
        path: std::path::PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("building table {table}: {source}")]
    Arrow {
        table: &'static str,
        source: arrow_schema::ArrowError,
    },
    #[error("warehouse {0} is in use by another recaudit process (lock held on its .lock file)")]
    Locked(std::path::PathBuf),
    #[error("warehouse {path}: {message}")]
    Invalid {
        path: std::path::PathBuf,
        message: String,
    },
}

/// Collects named columns, deriving the schema as they are added.
struct Cols {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Cols {
    fn new() -> Self {
        Cols {
            fields: Vec::new(),
            arrays: Vec::new(),
        }
    }
    fn push(&mut self, name: &str, dt: DataType, a: ArrayRef) {
        self.fields.push(Field::new(name, dt, true));
        self.arrays.push(a);
    }
    fn str<'a>(&mut self, name: &str, v: impl Iterator<Item = Option<&'a str>>) {
        self.push(name, DataType::Utf8, Arc::new(v.collect::<StringArray>()));
    }
    fn bin<'a>(&mut self, name: &str, v: impl Iterator<Item = Option<&'a [u8]>>) {
        self.push(name, DataType::Binary, Arc::new(v.collect::<BinaryArray>()));
    }
    fn i64(&mut self, name: &str, v: impl Iterator<Item = Option<i64>>) {
        self.push(name, DataType::Int64, Arc::new(v.collect::<Int64Array>()));
    }
    fn i32(&mut self, name: &str, v: impl Iterator<Item = Option<i32>>) {
        self.push(name, DataType::Int32, Arc::new(v.collect::<Int32Array>()));
    }
    fn f64(&mut self, name: &str, v: impl Iterator<Item = Option<f64>>) {
        self.push(
            name,
            DataType::Float64,
            Arc::new(v.collect::<Float64Array>()),
        );
    }
    fn bool(&mut self, name: &str, v: impl Iterator<Item = Option<bool>>) {
        self.push(
            name,
            DataType::Boolean,
            Arc::new(v.collect::<BooleanArray>()),
        );
    }
    /// Microseconds since the Unix epoch, as a UTC timestamp column.
    fn ts(&mut self, name: &str, v: impl Iterator<Item = Option<i64>>) {
        let a = v
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC");
        self.push(
            name,
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Arc::new(a),
        );
    }
    fn str_list<'a>(&mut self, name: &str, v: impl Iterator<Item = &'a [String]>) {
        let mut b = ListBuilder::new(StringBuilder::new());
        for items in v {
            for s in items {
                b.values().append_value(s);
            }
            b.append(true);
        }
        let a = b.finish();
        self.push(name, a.data_type().clone(), Arc::new(a));
    }
    fn finish(self, table: &'static str) -> Result<RecordBatch, StoreError> {
        RecordBatch::try_new(Arc::new(Schema::new(self.fields)), self.arrays)
            .map_err(|source| StoreError::Arrow { table, source })
    }
}

pub fn files_batch(rows: &[FileRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str("path", rows.iter().map(|r| Some(r.path.as_str())));
    c.bin(
        "path_bytes",
        rows.iter().map(|r| Some(r.path_bytes.as_slice())),
    );
    c.str("root", rows.iter().map(|r| Some(r.root.as_str())));
    c.str("rel_path", rows.iter().map(|r| Some(r.rel_path.as_str())));
    c.str("file_name", rows.iter().map(|r| Some(r.file_name.as_str())));
    c.str("extension", rows.iter().map(|r| Some(r.extension.as_str())));
    c.i64("size_bytes", rows.iter().map(|r| Some(r.size_bytes)));
    c.ts("mtime", rows.iter().map(|r| r.mtime_us));
    c.i64("fs_dev", rows.iter().map(|r| r.fs_dev));
    c.i64("fs_inode", rows.iter().map(|r| r.fs_inode));
    c.str("blake3", rows.iter().map(|r| r.blake3.as_deref()));
    c.str("status", rows.iter().map(|r| Some(r.status.as_str())));
    c.str("error", rows.iter().map(|r| r.error.as_deref()));
    c.bool(
        "changed_during_read",
        rows.iter().map(|r| Some(r.changed_during_read)),
    );
    c.str("read_method", rows.iter().map(|r| r.read_method.as_deref()));
    c.str("container", rows.iter().map(|r| r.container.as_deref()));
    c.bool(
        "extension_matches",
        rows.iter().map(|r| r.extension_matches),
    );
    c.str("media_kind", rows.iter().map(|r| r.media_kind.as_deref()));
    c.str("major_brand", rows.iter().map(|r| r.major_brand.as_deref()));
    c.str(
        "compatible_brands",
        rows.iter().map(|r| r.compatible_brands.as_deref()),
    );
    c.f64("duration_s", rows.iter().map(|r| r.duration_s));
    c.ts("creation_time", rows.iter().map(|r| r.creation_time_us));
    c.str(
        "creation_time_raw",
        rows.iter().map(|r| r.creation_time_raw.as_deref()),
    );
    c.str(
        "creation_time_source",
        rows.iter().map(|r| r.creation_time_source.as_deref()),
    );
    c.str(
        "creation_time_basis",
        rows.iter().map(|r| r.creation_time_basis.as_deref()),
    );
    c.str("encoder", rows.iter().map(|r| r.encoder.as_deref()));
    c.str("software", rows.iter().map(|r| r.software.as_deref()));
    c.str("make", rows.iter().map(|r| r.make.as_deref()));
    c.str("model", rows.iter().map(|r| r.model.as_deref()));
    c.str(
        "handler_names",
        rows.iter().map(|r| r.handler_names.as_deref()),
    );
    c.str(
        "compressor_names",
        rows.iter().map(|r| r.compressor_names.as_deref()),
    );
    c.f64("gps_lat", rows.iter().map(|r| r.gps_lat));
    c.f64("gps_lon", rows.iter().map(|r| r.gps_lon));
    c.f64("gps_alt", rows.iter().map(|r| r.gps_alt));
    c.str(
        "top_level_layout",
        rows.iter().map(|r| r.top_level_layout.as_deref()),
    );
    c.bool("fragmented", rows.iter().map(|r| r.fragmented));
    c.i32("fragment_count", rows.iter().map(|r| r.fragment_count));
    c.f64("fragment_jump_s", rows.iter().map(|r| r.fragment_jump_s));
    c.f64(
        "fragment_jump_at_s",
        rows.iter().map(|r| r.fragment_jump_at_s),
    );
    c.f64("ts_pcr_jump_s", rows.iter().map(|r| r.ts_pcr_jump_s));
    c.f64("ts_pcr_jump_at_s", rows.iter().map(|r| r.ts_pcr_jump_at_s));
    c.i32(
        "ts_continuity_errors",
        rows.iter().map(|r| r.ts_continuity_errors),
    );
    c.i32("stream_count", rows.iter().map(|r| r.stream_count));
    c.str("video_codec", rows.iter().map(|r| r.video_codec.as_deref()));
    c.str(
        "video_profile",
        rows.iter().map(|r| r.video_profile.as_deref()),
    );
    c.i32("width", rows.iter().map(|r| r.width));
    c.i32("height", rows.iter().map(|r| r.height));
    c.f64("frame_rate", rows.iter().map(|r| r.frame_rate));
    c.i64(
        "video_sample_count",
        rows.iter().map(|r| r.video_sample_count),
    );
    c.str("audio_codec", rows.iter().map(|r| r.audio_codec.as_deref()));
    c.i32(
        "audio_sample_rate",
        rows.iter().map(|r| r.audio_sample_rate),
    );
    c.i32("audio_channels", rows.iter().map(|r| r.audio_channels));
    c.f64("max_jump_s", rows.iter().map(|r| r.max_jump_s));
    c.f64("max_jump_at_s", rows.iter().map(|r| r.max_jump_at_s));
    c.i32("max_jump_stream", rows.iter().map(|r| r.max_jump_stream));
    c.i32(
        "edit_list_entries",
        rows.iter().map(|r| r.edit_list_entries),
    );
    c.i32(
        "sample_descriptions_max",
        rows.iter().map(|r| r.sample_descriptions_max),
    );
    c.i32(
        "parameter_sets_max",
        rows.iter().map(|r| r.parameter_sets_max),
    );
    c.str("notes", rows.iter().map(|r| r.notes.as_deref()));
    c.str("device_id", rows.iter().map(|r| r.device_id.as_deref()));
    c.str("officer_id", rows.iter().map(|r| r.officer_id.as_deref()));
    c.str("unit", rows.iter().map(|r| r.unit.as_deref()));
    c.ts("name_time", rows.iter().map(|r| r.name_time_us));
    c.str(
        "name_time_raw",
        rows.iter().map(|r| r.name_time_raw.as_deref()),
    );
    c.i32("segment_seq", rows.iter().map(|r| r.segment_seq));
    c.str(
        "path_pattern",
        rows.iter().map(|r| r.path_pattern.as_deref()),
    );
    c.str("session_id", rows.iter().map(|r| r.session_id.as_deref()));
    c.ts("birth_time", rows.iter().map(|r| r.birth_time_us));
    c.ts("first_seen", rows.iter().map(|r| r.first_seen_us));
    c.ts("last_seen", rows.iter().map(|r| r.last_seen_us));
    c.ts("last_verified", rows.iter().map(|r| r.last_verified_us));
    c.str(
        "sidecar_category",
        rows.iter().map(|r| r.sidecar_category.as_deref()),
    );
    c.str(
        "sidecar_description",
        rows.iter().map(|r| r.sidecar_description.as_deref()),
    );
    c.ts(
        "sidecar_described_at",
        rows.iter().map(|r| r.sidecar_described_at_us),
    );
    c.ts("upload_time", rows.iter().map(|r| r.upload_time_us));
    c.str(
        "upload_time_source",
        rows.iter().map(|r| r.upload_time_source.as_deref()),
    );
    c.ts("described_at", rows.iter().map(|r| r.described_at_us));
    c.str(
        "description_source",
        rows.iter().map(|r| r.description_source.as_deref()),
    );
    c.str("case_ids", rows.iter().map(|r| r.case_ids.as_deref()));
    c.str(
        "retention_class",
        rows.iter().map(|r| r.retention_class.as_deref()),
    );
    c.ts("keep_until", rows.iter().map(|r| r.keep_until_us));
    c.finish("files")
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
    c.finish("runs")
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
    c.finish("sessions")
}

pub fn findings_batch(rows: &[FindingRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str(
        "finding_id",
        rows.iter().map(|r| Some(r.finding_id.as_str())),
    );
    c.str("kind", rows.iter().map(|r| Some(r.kind.as_str())));
    c.str("severity", rows.iter().map(|r| Some(r.severity.as_str())));
    c.str("rule_id", rows.iter().map(|r| Some(r.rule_id.as_str())));
    c.str("article", rows.iter().map(|r| Some(r.article.as_str())));
    c.str(
        "article_gloss",
        rows.iter().map(|r| Some(r.article_gloss.as_str())),
    );
    c.str("message", rows.iter().map(|r| Some(r.message.as_str())));
    c.str("path", rows.iter().map(|r| r.path.as_deref()));
    c.str("session_id", rows.iter().map(|r| r.session_id.as_deref()));
    c.str("device_id", rows.iter().map(|r| r.device_id.as_deref()));
    c.str("officer_id", rows.iter().map(|r| r.officer_id.as_deref()));
    c.str("unit", rows.iter().map(|r| r.unit.as_deref()));
    c.ts("at", rows.iter().map(|r| r.at_us));
    c.f64("offset_s", rows.iter().map(|r| r.offset_s));
    c.f64("magnitude_s", rows.iter().map(|r| r.magnitude_s));
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str("details", rows.iter().map(|r| Some(r.details.as_str())));
    c.str("case_id", rows.iter().map(|r| r.case_id.as_deref()));
    c.finish("findings")
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

/// Every table's schema, in order, for documentation checks.
pub fn schemas() -> Vec<(&'static str, Arc<Schema>)> {
    let mut v = Vec::new();
    if let Ok(b) = files_batch(&[]) {
        v.push(("files", b.schema()));
    }
    if let Ok(b) = streams_batch(&[]) {
        v.push(("streams", b.schema()));
    }
    if let Ok(b) = runs_batch(&[]) {
        v.push(("runs", b.schema()));
    }
    if let Ok(b) = sessions_batch(&[]) {
        v.push(("sessions", b.schema()));
    }
    if let Ok(b) = findings_batch(&[]) {
        v.push(("findings", b.schema()));
    }
    if let Ok(b) = custody_batch(&[]) {
        v.push(("custody_events", b.schema()));
    }
    if let Ok(b) = exports_batch(&[]) {
        v.push(("exports", b.schema()));
    }
    v
}

/// Writes one batch as a standalone Parquet file (ZSTD), e.g. a context table.
pub fn write_parquet_file(path: &std::path::Path, batch: &RecordBatch) -> Result<(), StoreError> {
    let f = std::fs::File::create(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let perr = |source| StoreError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::try_new(3).unwrap_or_default(),
        ))
        .build();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props)).map_err(perr)?;
    w.write(batch).map_err(perr)?;
    w.close().map_err(perr)?;
    Ok(())
}

/// Reads every batch of a Parquet file (the warehouse's own tables only).
pub fn read_parquet(path: &std::path::Path) -> Result<Vec<RecordBatch>, StoreError> {
    parquet_reader(path, 8192, None)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Arrow {
            table: "read",
            source: e,
        })
}

/// Replaces the named columns of `batch` (each must exist in its schema).
pub fn replace_columns(
    batch: &RecordBatch,
    table: &'static str,
    cols: Vec<(&str, ArrayRef)>,
) -> Result<RecordBatch, StoreError> {
    let schema = batch.schema();
    let mut arrays = batch.columns().to_vec();
    for (name, a) in cols {
        let idx = schema
            .index_of(name)
            .map_err(|source| StoreError::Arrow { table, source })?;
        arrays[idx] = a;
    }
    RecordBatch::try_new(schema, arrays).map_err(|source| StoreError::Arrow { table, source })
}

/// Brings a batch written by an earlier recaudit to `schema`: columns are matched by name,
/// columns the earlier version did not have become nulls. Lets a warehouse outlive schema
/// additions without rewriting history.
pub fn conform(
    batch: &RecordBatch,
    table: &'static str,
    schema: &arrow_schema::SchemaRef,
) -> Result<RecordBatch, StoreError> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let arrays = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(a) if a.data_type() == f.data_type() => a.clone(),
            _ => arrow_array::new_null_array(f.data_type(), batch.num_rows()),
        })
        .collect();
    RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|source| StoreError::Arrow { table, source })
}

fn ts_array(v: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        v.collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    )
}

/// Fills the per-run columns of a `files` batch: `run_id` and the [`Derived`] columns, `derived[i]` for row `i`.
pub fn with_derived(
    batch: &RecordBatch,
    run_id: &str,
    derived: &[&Derived],
) -> Result<RecordBatch, StoreError> {
    let n = batch.num_rows();
    let s = |f: fn(&Derived) -> Option<&str>| -> ArrayRef {
        Arc::new(derived.iter().map(|d| f(d)).collect::<StringArray>())
    };
    replace_columns(
        batch,
        "files",
        vec![
            (
                "run_id",
                Arc::new(std::iter::repeat_n(Some(run_id), n).collect::<StringArray>()),
            ),
            (
                "first_seen",
                ts_array(derived.iter().map(|d| d.first_seen_us)),
            ),
            (
                "last_seen",
                ts_array(derived.iter().map(|d| d.last_seen_us)),
            ),
            (
                "last_verified",
                ts_array(derived.iter().map(|d| d.last_verified_us)),
            ),
            ("session_id", s(|d| d.session_id.as_deref())),
            (
                "upload_time",
                ts_array(derived.iter().map(|d| d.upload_time_us)),
            ),
            ("upload_time_source", s(|d| d.upload_time_source)),
            (
                "described_at",
                ts_array(derived.iter().map(|d| d.described_at_us)),
            ),
            ("description_source", s(|d| d.description_source)),
            ("case_ids", s(|d| d.case_ids.as_deref())),
            ("retention_class", s(|d| d.retention_class)),
            (
                "keep_until",
                ts_array(derived.iter().map(|d| d.keep_until_us)),
            ),
        ],
    )
}

/// Opens a Parquet file of the warehouse for reading in batches of `batch` rows, optionally
/// only some columns.
pub fn parquet_reader(
    path: &std::path::Path,
    batch: usize,
    columns: Option<&[&str]>,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, StoreError> {
    let f = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let perr = |source| StoreError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let mut b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(perr)?
        .with_batch_size(batch);
    if let Some(cols) = columns {
        let schema = b.parquet_schema();
        let idx: Vec<usize> = (0..schema.num_columns())
            .filter(|&i| {
                let c = schema.column(i);
                cols.contains(&c.path().parts()[0].as_str())
            })
            .collect();
        let mask = parquet::arrow::ProjectionMask::leaves(schema, idx);
        b = b.with_projection(mask);
    }
    b.build().map_err(perr)
}

/// Rewrites the staged `files` table `staged` into `file_name` with each row's per-run columns
/// (`derived[i]` for row `first_row + i`), batch by batch, then removes `staged`. Only
/// recaudit's own staged file is read, never the evidence.
pub fn fill_derived(
    staging: &mut warehouse::Staging,
    staged: &str,
    file_name: &str,
    run_id: &str,
    derived: &[Derived],
) -> Result<(), StoreError> {
    let src = staging.path_of("files", staged);
    let reader = parquet_reader(&src, 4096, None)?;
    let mut w = staging.writer(
        "files",
        file_name,
        arrow_array::RecordBatchReader::schema(&reader),
    )?;
    let none = Derived::default();
    let mut row = 0usize;
    for b in reader {
        let b = b.map_err(|source| StoreError::Arrow {
            table: "files",
            source,
        })?;
        let n = b.num_rows();
        let slice: Vec<&Derived> = (row..row + n)
            .map(|i| derived.get(i).unwrap_or(&none))
            .collect();
        w.write(&with_derived(&b, run_id, &slice)?)?;
        row += n;
    }
    w.finish()?;
    std::fs::remove_file(&src).map_err(|source| StoreError::Io {
        path: src.clone(),
        source,
    })
}

/// Reads the `findings` table of a warehouse back into rows.
pub fn read_findings(warehouse: &std::path::Path) -> Result<Vec<FindingRow>, StoreError> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, TimestampMicrosecondType};
    let dir = warehouse.join("findings");
    let rd = std::fs::read_dir(&dir).map_err(|source| StoreError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut files: Vec<std::path::PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for b in read_parquet(&f)? {
            let col = |name: &str| {
                b.column_by_name(name).ok_or_else(|| StoreError::Invalid {
                    path: f.clone(),
                    message: format!("findings table has no column {name}"),
                })
            };
            let s = |name: &str| -> Result<Vec<Option<String>>, StoreError> {
                let c = col(name)?;
                let a = c
                    .as_string_opt::<i32>()
                    .ok_or_else(|| StoreError::Invalid {
                        path: f.clone(),
                        message: format!("column {name} is not text"),
                    })?;
                Ok((0..a.len())
                    .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
                    .collect())
            };
            let fl = |name: &str| -> Result<Vec<Option<f64>>, StoreError> {
                let c = col(name)?;
                let a = c
                    .as_primitive_opt::<Float64Type>()
                    .ok_or_else(|| StoreError::Invalid {
                        path: f.clone(),
                        message: format!("column {name} is not a double"),
                    })?;
                Ok((0..a.len())
                    .map(|i| (!a.is_null(i)).then(|| a.value(i)))
                    .collect())
            };
            let at = {
                let c = col("at")?;
                let a = c
                    .as_primitive_opt::<TimestampMicrosecondType>()
                    .ok_or_else(|| StoreError::Invalid {
                        path: f.clone(),
                        message: "column at is not a timestamp".into(),
                    })?;
                (0..a.len())
                    .map(|i| (!a.is_null(i)).then(|| a.value(i)))
                    .collect::<Vec<_>>()
            };
            let (id, kind, sev, rule, art, gloss, msg, path, sess, dev, off, unit, run, det) = (
                s("finding_id")?,
                s("kind")?,
                s("severity")?,
                s("rule_id")?,
                s("article")?,
                s("article_gloss")?,
                s("message")?,
                s("path")?,
                s("session_id")?,
                s("device_id")?,
                s("officer_id")?,
                s("unit")?,
                s("run_id")?,
                s("details")?,
            );
            let case = if b.column_by_name("case_id").is_some() {
                s("case_id")?
            } else {
                vec![None; b.num_rows()]
            };
            let (offset, mag) = (fl("offset_s")?, fl("magnitude_s")?);
            for i in 0..b.num_rows() {
                out.push(FindingRow {
                    run_id: run[i].clone().unwrap_or_default(),
                    finding_id: id[i].clone().unwrap_or_default(),
                    kind: kind[i].clone().unwrap_or_default(),
                    severity: sev[i].clone().unwrap_or_default(),
                    rule_id: rule[i].clone().unwrap_or_default(),
                    article: art[i].clone().unwrap_or_default(),
                    article_gloss: gloss[i].clone().unwrap_or_default(),
                    message: msg[i].clone().unwrap_or_default(),
                    path: path[i].clone(),
                    session_id: sess[i].clone(),
                    device_id: dev[i].clone(),
                    officer_id: off[i].clone(),
                    unit: unit[i].clone(),
                    at_us: at[i],
                    offset_s: offset[i],
                    magnitude_s: mag[i],
                    details: det[i].clone().unwrap_or_default(),
                    case_id: case[i].clone(),
                });
            }
        }
    }
    Ok(out)
}
