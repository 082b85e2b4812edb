//! The rows recaudit writes: one struct per table. The scan stage fills them; the store turns
//! them into Arrow columns. Keeping them plain structs keeps the store free of scan logic and
//! the scan free of Arrow.

use serde::Serialize;

/// One row of `files`: a file (or an entry that could not be read) found by the walk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileRow {
    pub run_id: String,
    pub path: String,
    pub path_bytes: Vec<u8>,
    pub root: String,
    pub rel_path: String,
    pub file_name: String,
    pub extension: String,
    pub size_bytes: i64,
    pub mtime_us: Option<i64>,
    pub fs_dev: Option<i64>,
    pub fs_inode: Option<i64>,
    pub blake3: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub changed_during_read: bool,
    pub read_method: Option<String>,
    pub container: Option<String>,
    pub extension_matches: Option<bool>,
    pub media_kind: Option<String>,
    pub major_brand: Option<String>,
    pub compatible_brands: Option<String>,
    pub duration_s: Option<f64>,
    pub creation_time_us: Option<i64>,
    pub creation_time_raw: Option<String>,
    pub creation_time_source: Option<String>,
    pub creation_time_basis: Option<String>,
    pub encoder: Option<String>,
    pub software: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub handler_names: Option<String>,
    pub compressor_names: Option<String>,
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
    pub gps_alt: Option<f64>,
    pub top_level_layout: Option<String>,
    pub fragmented: Option<bool>,
    pub fragment_count: Option<i32>,
    pub fragment_jump_s: Option<f64>,
    pub fragment_jump_at_s: Option<f64>,
    pub ts_pcr_jump_s: Option<f64>,
    pub ts_pcr_jump_at_s: Option<f64>,
    pub ts_continuity_errors: Option<i32>,
    pub stream_count: Option<i32>,
    pub video_codec: Option<String>,
    pub video_profile: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub frame_rate: Option<f64>,
    pub video_sample_count: Option<i64>,
    pub audio_codec: Option<String>,
    pub audio_sample_rate: Option<i32>,
    pub audio_channels: Option<i32>,
    pub max_jump_s: Option<f64>,
    pub max_jump_at_s: Option<f64>,
    pub max_jump_stream: Option<i32>,
    pub edit_list_entries: Option<i32>,
    pub sample_descriptions_max: Option<i32>,
    pub parameter_sets_max: Option<i32>,
    pub notes: Option<String>,
    pub device_id: Option<String>,
    pub officer_id: Option<String>,
    pub unit: Option<String>,
    pub name_time_us: Option<i64>,
    pub name_time_raw: Option<String>,
    pub segment_seq: Option<i32>,
    pub path_pattern: Option<String>,
    pub session_id: Option<String>,
    /// File-system birth time where the file system records one (statx).
    pub birth_time_us: Option<i64>,
    /// Chain of custody: when this path was first catalogued, last seen by a run, and last
    /// re-hashed (see `custody_events`).
    pub first_seen_us: Option<i64>,
    pub last_seen_us: Option<i64>,
    pub last_verified_us: Option<i64>,
    /// A description sidecar (`<file>.json`): what it says, for the file it describes.
    pub sidecar_category: Option<String>,
    pub sidecar_description: Option<String>,
    pub sidecar_described_at_us: Option<i64>,
    /// Derived every run from the context tables (see [`Derived`]).
    pub upload_time_us: Option<i64>,
    pub upload_time_source: Option<String>,
    pub described_at_us: Option<i64>,
    pub description_source: Option<String>,
    pub case_ids: Option<String>,
    pub retention_class: Option<String>,
    pub keep_until_us: Option<i64>,
}

/// The columns of `files` recomputed for every row on every run, including rows carried from
/// the previous run without reading the file: they depend on the whole catalog (sessions) or
/// on context tables the bureau may have changed since (cases, ingest log, notes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    pub session_id: Option<Sym>,
    pub first_seen_us: Option<i64>,
    pub last_seen_us: Option<i64>,
    pub last_verified_us: Option<i64>,
    pub upload_time_us: Option<i64>,
    pub upload_time_source: Option<&'static str>,
    pub described_at_us: Option<i64>,
    pub description_source: Option<&'static str>,
    pub case_ids: Option<String>,
    pub retention_class: Option<&'static str>,
    pub keep_until_us: Option<i64>,
}

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
}

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

/// What the sessions and rules stages need to know of one file, kept for the whole run while
/// the full rows stream to Parquet. Compact on purpose: a million of these must fit in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileFacts {
    /// Position in the `files` table (its order is the walk's path order).
    pub row: usize,
    pub path: Box<str>,
    pub status: Sym,
    pub error: Option<Sym>,
    pub size_bytes: i64,
    pub blake3: Option<Box<str>>,
    pub container: Option<Sym>,
    pub extension_matches: Option<bool>,
    pub media_kind: Option<Sym>,
    pub device_id: Option<Sym>,
    pub officer_id: Option<Sym>,
    pub unit: Option<Sym>,
    pub segment_seq: Option<i32>,
    pub name_time_us: Option<i64>,
    pub creation_time_us: Option<i64>,
    pub creation_time_basis: Option<Sym>,
    pub duration_s: Option<f64>,
    /// Software fingerprint: encoder | software | handler names | compressor names | brand.
    pub encoder: Option<Sym>,
    pub software: Option<Sym>,
    pub handler_names: Option<Sym>,
    pub compressor_names: Option<Sym>,
    pub major_brand: Option<Sym>,
    pub make: Option<Sym>,
    pub model: Option<Sym>,
    pub top_level_layout: Option<Sym>,
    pub edit_list_entries: Option<i32>,
    pub stream_count: Option<i32>,
    /// Coding parameters of the main video stream and audio stream.
    pub video_codec: Option<Sym>,
    pub video_profile: Option<Sym>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub frame_rate: Option<f64>,
    pub audio_codec: Option<Sym>,
    pub audio_sample_rate: Option<i32>,
    pub audio_channels: Option<i32>,
    pub sample_descriptions_max: Option<i32>,
    pub parameter_sets_max: Option<i32>,
    pub max_jump_s: Option<f64>,
    pub max_jump_at_s: Option<f64>,
    pub fragment_jump_s: Option<f64>,
    pub fragment_jump_at_s: Option<f64>,
    pub ts_pcr_jump_s: Option<f64>,
    pub ts_pcr_jump_at_s: Option<f64>,
    pub ts_continuity_errors: Option<i32>,
    pub has_gps: bool,
    pub mtime_us: Option<i64>,
    pub birth_time_us: Option<i64>,
    pub sidecar_described_at_us: Option<i64>,
    pub sidecar_has_text: bool,
}

fn b(s: &Option<String>) -> Option<Box<str>> {
    s.as_deref().map(Box::from)
}

/// A text value shared by many files (a device id, an encoder name, a box layout): the
/// catalogue keeps one copy of each distinct value (see [`Interner`]).
pub type Sym = std::sync::Arc<str>;

fn sym(s: &Option<String>) -> Option<Sym> {
    s.as_deref().map(Sym::from)
}

/// Keeps one copy of each distinct [`Sym`] value, so that a million files' facts hold their
/// few hundred distinct device ids, encoders and layouts once.
#[derive(Default)]
pub struct Interner(std::collections::HashSet<Sym>);

impl Interner {
    pub fn sym(&mut self, v: &mut Sym) {
        if let Some(x) = self.0.get(&**v) {
            *v = x.clone();
        } else {
            self.0.insert(v.clone());
        }
    }
    pub fn opt(&mut self, v: &mut Option<Sym>) {
        if let Some(x) = v.as_mut() {
            self.sym(x);
        }
    }
    /// Replaces every shared field of `f` by its canonical copy.
    pub fn facts(&mut self, f: &mut FileFacts) {
        self.sym(&mut f.status);
        for v in [
            &mut f.error,
            &mut f.container,
            &mut f.media_kind,
            &mut f.device_id,
            &mut f.officer_id,
            &mut f.unit,
            &mut f.creation_time_basis,
            &mut f.encoder,
            &mut f.software,
            &mut f.handler_names,
            &mut f.compressor_names,
            &mut f.major_brand,
            &mut f.make,
            &mut f.model,
            &mut f.top_level_layout,
            &mut f.video_codec,
            &mut f.video_profile,
            &mut f.audio_codec,
        ] {
            self.opt(v);
        }
    }
}

impl FileFacts {
    pub fn from_row(row: usize, r: &FileRow) -> Self {
        FileFacts {
            row,
            path: r.path.as_str().into(),
            status: Sym::from(r.status.as_str()),
            error: sym(&r.error),
            size_bytes: r.size_bytes,
            blake3: b(&r.blake3),
            container: sym(&r.container),
            extension_matches: r.extension_matches,
            media_kind: sym(&r.media_kind),
            device_id: sym(&r.device_id),
            officer_id: sym(&r.officer_id),
            unit: sym(&r.unit),
            segment_seq: r.segment_seq,
            name_time_us: r.name_time_us,
            creation_time_us: r.creation_time_us,
            creation_time_basis: sym(&r.creation_time_basis),
            duration_s: r.duration_s,
            encoder: sym(&r.encoder),
            software: sym(&r.software),
            handler_names: sym(&r.handler_names),
            compressor_names: sym(&r.compressor_names),
            major_brand: sym(&r.major_brand),
            make: sym(&r.make),
            model: sym(&r.model),
            top_level_layout: sym(&r.top_level_layout),
            edit_list_entries: r.edit_list_entries,
            stream_count: r.stream_count,
            video_codec: sym(&r.video_codec),
            video_profile: sym(&r.video_profile),
            width: r.width,
            height: r.height,
            frame_rate: r.frame_rate,
            audio_codec: sym(&r.audio_codec),
            audio_sample_rate: r.audio_sample_rate,
            audio_channels: r.audio_channels,
            sample_descriptions_max: r.sample_descriptions_max,
            parameter_sets_max: r.parameter_sets_max,
            max_jump_s: r.max_jump_s,
            max_jump_at_s: r.max_jump_at_s,
            fragment_jump_s: r.fragment_jump_s,
            fragment_jump_at_s: r.fragment_jump_at_s,
            ts_pcr_jump_s: r.ts_pcr_jump_s,
            ts_pcr_jump_at_s: r.ts_pcr_jump_at_s,
            ts_continuity_errors: r.ts_continuity_errors,
            has_gps: r.gps_lat.is_some(),
            mtime_us: r.mtime_us,
            birth_time_us: r.birth_time_us,
            sidecar_described_at_us: r.sidecar_described_at_us,
            sidecar_has_text: r.sidecar_category.is_some() || r.sidecar_description.is_some(),
        }
    }

    /// The recording start: the file-name time (the recorder's own naming, zone-resolved) when
    /// there is one, else the container's creation time.
    pub fn start_us(&self) -> Option<i64> {
        self.name_time_us.or(self.creation_time_us)
    }

    /// Video or audio that can take part in a recording session.
    pub fn is_recording(&self) -> bool {
        matches!(self.media_kind.as_deref(), Some("video") | Some("audio"))
    }

    /// The recording end: start plus duration (the start alone when the duration is unknown).
    pub fn end_us(&self) -> Option<i64> {
        let d = self
            .duration_s
            .filter(|d| d.is_finite() && *d >= 0.0)
            .unwrap_or(0.0);
        self.start_us().map(|s| s.saturating_add((d * 1e6) as i64))
    }

    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

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
}

/// One row of `findings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingRow {
    pub run_id: String,
    pub finding_id: String,
    pub kind: String,
    pub severity: String,
    pub rule_id: String,
    pub article: String,
    pub article_gloss: String,
    pub message: String,
    pub path: Option<String>,
    pub session_id: Option<String>,
    pub device_id: Option<String>,
    pub officer_id: Option<String>,
    pub unit: Option<String>,
    pub at_us: Option<i64>,
    pub offset_s: Option<f64>,
    pub magnitude_s: Option<f64>,
    pub details: String,
    pub case_id: Option<String>,
}
