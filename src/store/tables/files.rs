//! `files`: one row per file (or entry that could not be read) found by the walk. The row
//! type, its Arrow columns in their documented order (README, "Tables"), and the per-run
//! columns that every run recomputes for read and carried rows alike. A new column: a field on
//! [`FileRow`], one line in [`files_batch`], one line in the README.
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};

use super::{Cols, ts_array};
use crate::catalog::{FileFacts, Sym, b, stretch, sym};
use crate::store::{StoreError, replace_columns};

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
    /// How far the other media kind's tracks fail to run on through the largest jump
    /// (`files.max_jump_other_s`).
    pub max_jump_other_s: Option<f64>,
    /// Tracks whose edit list begins with an empty edit (`files.edit_list_offsets`).
    pub edit_list_offsets: Option<i32>,
    /// A program stream's places of lost bytes (`files.ps_lost_places`).
    pub ps_lost_places: Option<i32>,
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
    /// The main video track runs at another steady frame rate for a stretch: where it starts,
    /// how long it lasts (seconds) and its rate.
    pub frame_rate_stretch_at_s: Option<f64>,
    pub frame_rate_stretch_s: Option<f64>,
    pub frame_rate_stretch_fps: Option<f64>,
    /// Derived every run: the checklist document type the path names (documents only).
    pub document_type: Option<String>,
    /// What the keyframe stage read (see [`Osd`]); carried with the file's other facts.
    pub osd: Osd,
    /// Derived every run: the file grew or changed between this run's read of it and the end
    /// of the run's read (an upload still writing it).
    pub being_written: bool,
}

/// The recorder's burned-in clock as read from a file's first and last keyframe
/// ([`crate::keyframes`]). Filled in for the files read in a run, after the keyframe stage;
/// carried unchanged for the others. The reading itself is boxed: most files of a tree whose
/// display is not learned have none (64 bytes a file instead of 224).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Osd {
    pub reading: Option<Box<OsdReading>>,
    /// How the encoder worked (entropy coder, references, B-frames, keyframe interval, ...),
    /// from the parameter sets and the sample table: see [`crate::keyframes::habits`].
    pub coding_habits: Option<Sym>,
    pub keyframes_decoded: Option<i32>,
    /// How the encoder cut and marked its first pictures (slices per picture, slice-type
    /// numbering, reference priority): see [`crate::keyframes`]' slice habits.
    pub slice_habits: Option<Sym>,
    /// Why the stage did less than it meant to (no H.264 track, a decoder error, a display
    /// that could not be read).
    pub note: Option<Sym>,
    /// Whether the encoder coded the pictures either side of the video's timestamp jump one
    /// after the other ([`crate::keyframes::Output::coded_across`]).
    pub coded_across: Option<bool>,
    /// Whether the encoder numbered its pictures on across both edges of the video's stretch
    /// at another frame rate ([`crate::keyframes::Output::stretch_coded_across`]).
    pub stretch_coded_across: Option<bool>,
}

/// What was read of the display ([`Osd::reading`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsdReading {
    /// The time the display shows at the first / last keyframe (the recorder's wall clock,
    /// taken in the configured zone), when read with all fourteen digits.
    pub start_us: Option<i64>,
    pub end_us: Option<i64>,
    /// Display time minus the container's time of the same picture (file-name time, else
    /// container creation time, plus the picture's time in the file), seconds.
    pub offset_s: Option<f64>,
    /// The first keyframe's display line as read: digits, `?` for other glyphs.
    pub text: Option<String>,
    /// The first and last groups of the text after the time (device and officer numbers as
    /// far as their digits are read).
    pub device: Option<String>,
    /// The same group as the last keyframe read for the end shows it.
    pub device_end: Option<String>,
    /// The device number's digits that the first and the last reading both show, alike and
    /// surely (`osd::SURE`), `?` elsewhere; `None` unless both readings show the group at one
    /// length.
    pub device_sure: Option<String>,
    pub officer: Option<String>,
    /// 0-1: the weaker of the two readings' confidence.
    pub confidence: Option<f64>,
    /// The display's clock jumps inside the file: by how much against the file's own
    /// timestamps (seconds), and where (the first keyframe after the jump, seconds into the
    /// file), found by reading keyframes between the first and the last by halves.
    pub jump_s: Option<f64>,
    pub jump_at_s: Option<f64>,
    /// 0-1: the weakest reading the jump rests on (see `keyframes::Jump`).
    pub jump_confidence: Option<f64>,
    /// Whether the clock stepped inside the group of pictures before the keyframe after the
    /// jump (see `keyframes::Jump::inside_gop`).
    pub jump_inside_gop: Option<bool>,
    /// The display's offset to the file's timestamps at a keyframe inside the file's stretch
    /// at another frame rate, minus its offset at the start (seconds), and that reading's
    /// confidence: near 0 when the clock runs on through the stretch.
    pub stretch_step_s: Option<f64>,
    pub stretch_confidence: Option<f64>,
    /// The display's offset to the file's timestamps at the last keyframe read for the end
    /// (as `offset_s` at the first), seconds.
    pub end_offset_s: Option<f64>,
}

static NO_READING: OsdReading = OsdReading {
    start_us: None,
    end_us: None,
    offset_s: None,
    text: None,
    device: None,
    device_end: None,
    device_sure: None,
    officer: None,
    confidence: None,
    jump_s: None,
    jump_at_s: None,
    jump_confidence: None,
    jump_inside_gop: None,
    stretch_step_s: None,
    stretch_confidence: None,
    end_offset_s: None,
};

impl OsdReading {
    /// The display inside the file's frame-rate stretch, as the rules use it
    /// ([`crate::catalog::Rare::osd_stretch`]).
    pub fn stretch(&self) -> Option<(f32, f32)> {
        Some((self.stretch_step_s? as f32, self.stretch_confidence? as f32))
    }

    /// Boxed when anything was read.
    pub fn boxed(self) -> Option<Box<OsdReading>> {
        (self != NO_READING).then(|| Box::new(self))
    }
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
    pub document_type: Option<Sym>,
    pub being_written: bool,
}

/// The `files` columns of `rows`, one statement per column in the documented order. It is the
/// longest function outside the parsers only because the table is the widest; splitting it
/// would scatter the one list a new column is added to.
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
    c.f64(
        "frame_rate_stretch_at_s",
        rows.iter().map(|r| r.frame_rate_stretch_at_s),
    );
    c.f64(
        "frame_rate_stretch_s",
        rows.iter().map(|r| r.frame_rate_stretch_s),
    );
    c.f64(
        "frame_rate_stretch_fps",
        rows.iter().map(|r| r.frame_rate_stretch_fps),
    );
    c.str(
        "document_type",
        rows.iter().map(|r| r.document_type.as_deref()),
    );
    let osd: Vec<&Osd> = rows.iter().map(|r| &r.osd).collect();
    osd_columns(&mut c, &osd);
    c.bool("being_written", rows.iter().map(|r| Some(r.being_written)));
    c.f64("max_jump_other_s", rows.iter().map(|r| r.max_jump_other_s));
    c.i32(
        "edit_list_offsets",
        rows.iter().map(|r| r.edit_list_offsets),
    );
    c.i32("ps_lost_places", rows.iter().map(|r| r.ps_lost_places));
    c.finish("files")
}

/// The keyframe stage's columns, last in `files`.
fn osd_columns(c: &mut Cols, osd: &[&Osd]) {
    let read: Vec<&OsdReading> = osd.iter().map(|o| o.read()).collect();
    c.ts("osd_start", read.iter().map(|o| o.start_us));
    c.ts("osd_end", read.iter().map(|o| o.end_us));
    c.f64("osd_offset_s", read.iter().map(|o| o.offset_s));
    c.str("osd_text", read.iter().map(|o| o.text.as_deref()));
    c.str("osd_device", read.iter().map(|o| o.device.as_deref()));
    c.str("osd_officer", read.iter().map(|o| o.officer.as_deref()));
    c.f64("osd_confidence", read.iter().map(|o| o.confidence));
    c.f64("osd_jump_s", read.iter().map(|o| o.jump_s));
    c.f64("osd_jump_at_s", read.iter().map(|o| o.jump_at_s));
    c.str(
        "coding_habits",
        osd.iter().map(|o| o.coding_habits.as_deref()),
    );
    c.i32("keyframes_decoded", osd.iter().map(|o| o.keyframes_decoded));
    c.str("keyframe_note", osd.iter().map(|o| o.note.as_deref()));
    c.str(
        "slice_habits",
        osd.iter().map(|o| o.slice_habits.as_deref()),
    );
    c.f64(
        "osd_jump_confidence",
        read.iter().map(|o| o.jump_confidence),
    );
    c.f64("osd_stretch_step_s", read.iter().map(|o| o.stretch_step_s));
    c.f64(
        "osd_stretch_confidence",
        read.iter().map(|o| o.stretch_confidence),
    );
    c.f64("osd_end_offset_s", read.iter().map(|o| o.end_offset_s));
    c.str(
        "osd_device_end",
        read.iter().map(|o| o.device_end.as_deref()),
    );
    c.bool(
        "osd_jump_inside_gop",
        read.iter().map(|o| o.jump_inside_gop),
    );
    c.str(
        "osd_device_sure",
        read.iter().map(|o| o.device_sure.as_deref()),
    );
    c.bool("jump_coded_across", osd.iter().map(|o| o.coded_across));
    c.bool(
        "stretch_coded_across",
        osd.iter().map(|o| o.stretch_coded_across),
    );
}

impl Osd {
    /// What was read of the display (all `None` when nothing was).
    pub fn read(&self) -> &OsdReading {
        self.reading.as_deref().unwrap_or(&NO_READING)
    }
    /// What the rules use of it.
    pub fn facts(&self) -> crate::catalog::OsdFacts {
        let r = self.read();
        crate::catalog::OsdFacts {
            start_us: r.start_us,
            end_us: r.end_us,
            offset_s: r.offset_s.map(|v| v as f32),
            jump_s: r.jump_s.map(|v| v as f32),
            jump_at_s: r.jump_at_s.map(|v| v as f32),
            jump_confidence: r.jump_confidence.map(|v| v as f32),
            jump_inside_gop: r.jump_inside_gop,
            confidence: r.confidence.map(|v| v as f32),
        }
    }
    /// Its text facts (display device number, coding and slice habits) set on `t`.
    pub fn set_text(&self, t: &mut crate::catalog::TextFacts) {
        t.osd_device = sym(&self.read().device);
        t.osd_device_end = sym(&self.read().device_end);
        t.osd_device_sure = sym(&self.read().device_sure);
        t.coding_habits = self.coding_habits.clone();
        t.slice_habits = self.slice_habits.clone();
    }
}

/// The keyframe stage's columns alone, `osd[i]` in row `i` (spilled by the scan until
/// `files` is written, see [`with_osd`]).
pub fn osd_batch(osd: &[&Osd]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    osd_columns(&mut c, osd);
    c.finish("files")
}

/// Replaces the keyframe stage's columns of a `files` batch with those of `osd` (an
/// [`osd_batch`] of as many rows).
pub fn with_osd(batch: &RecordBatch, osd: &RecordBatch) -> Result<RecordBatch, StoreError> {
    let schema = osd.schema();
    let cols = schema
        .fields()
        .iter()
        .zip(osd.columns())
        .map(|(f, a)| (f.name().as_str(), a.clone()))
        .collect::<Vec<_>>();
    replace_columns(batch, "files", cols)
}

/// The `files` columns taken from a file's path by the path patterns and the zone, in the
/// order [`path_columns`] gives them.
pub const PATH_COLUMNS: [&str; 7] = [
    "device_id",
    "officer_id",
    "unit",
    "name_time",
    "name_time_raw",
    "segment_seq",
    "path_pattern",
];

/// The path columns of `files` ([`PATH_COLUMNS`]) for paths read as `facts`, `facts[i]` in row
/// `i`: what the read stage writes for a file read ([`FileRow`]'s fields of the same names).
pub fn path_columns(facts: &[crate::pathinfo::PathFacts]) -> Vec<(&'static str, ArrayRef)> {
    use crate::pathinfo::PathFacts;
    let s = |f: fn(&PathFacts) -> Option<&str>| -> ArrayRef {
        Arc::new(facts.iter().map(f).collect::<StringArray>())
    };
    vec![
        ("device_id", s(|f| f.device_id.as_deref())),
        ("officer_id", s(|f| f.officer_id.as_deref())),
        ("unit", s(|f| f.unit.as_deref())),
        (
            "name_time",
            ts_array(facts.iter().map(PathFacts::name_time_us)),
        ),
        ("name_time_raw", s(|f| f.name_time_raw.as_deref())),
        (
            "segment_seq",
            Arc::new(
                facts
                    .iter()
                    .map(PathFacts::seq)
                    .collect::<arrow_array::Int32Array>(),
            ),
        ),
        ("path_pattern", s(|f| f.pattern.as_deref())),
    ]
}

/// Fills the per-run columns of a `files` batch: `run_id` and the [`Derived`] columns, `derived[i]` for row `i`.
pub fn with_derived(
    batch: &RecordBatch,
    run_id: &str,
    derived: &[Derived],
) -> Result<RecordBatch, StoreError> {
    replace_columns(batch, "files", derived_columns(run_id, derived))
}

/// The per-run columns of `files` (`run_id` and the [`Derived`] columns), `derived[i]` in row
/// `i`.
pub fn derived_columns(run_id: &str, derived: &[Derived]) -> Vec<(&'static str, ArrayRef)> {
    let n = derived.len();
    let s = |f: fn(&Derived) -> Option<&str>| -> ArrayRef {
        Arc::new(derived.iter().map(|d| f(d)).collect::<StringArray>())
    };
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
        ("document_type", s(|d| d.document_type.as_deref())),
        (
            "being_written",
            Arc::new(
                derived
                    .iter()
                    .map(|d| Some(d.being_written))
                    .collect::<arrow_array::BooleanArray>(),
            ),
        ),
    ]
}

impl FileFacts {
    /// The compact facts of a row just read, for sessions and rules.
    pub fn from_row(row: usize, r: &FileRow) -> Self {
        let mut text = crate::catalog::TextFacts {
            status: Sym::from(r.status.as_str()),
            error: sym(&r.error),
            container: sym(&r.container),
            media_kind: sym(&r.media_kind),
            device_id: sym(&r.device_id),
            officer_id: sym(&r.officer_id),
            unit: sym(&r.unit),
            creation_time_basis: sym(&r.creation_time_basis),
            encoder: sym(&r.encoder),
            software: sym(&r.software),
            handler_names: sym(&r.handler_names),
            compressor_names: sym(&r.compressor_names),
            major_brand: sym(&r.major_brand),
            make: sym(&r.make),
            model: sym(&r.model),
            top_level_layout: sym(&r.top_level_layout),
            video_codec: sym(&r.video_codec),
            video_profile: sym(&r.video_profile),
            audio_codec: sym(&r.audio_codec),
            sidecar_category: sym(&r.sidecar_category),
            ..Default::default()
        };
        r.osd.set_text(&mut text);
        FileFacts {
            row,
            path: r.path.as_str().into(),
            size_bytes: r.size_bytes,
            blake3: b(&r.blake3),
            extension_matches: r.extension_matches,
            segment_seq: r.segment_seq,
            name_time_us: r.name_time_us,
            creation_time_us: r.creation_time_us,
            duration_s: r.duration_s,
            edit_list_entries: r.edit_list_entries,
            stream_count: r.stream_count,
            width: r.width,
            height: r.height,
            frame_rate: r.frame_rate,
            audio_sample_rate: r.audio_sample_rate,
            audio_channels: r.audio_channels,
            sample_descriptions_max: r.sample_descriptions_max,
            parameter_sets_max: r.parameter_sets_max,
            has_gps: r.gps_lat.is_some(),
            mtime_us: r.mtime_us,
            birth_time_us: r.birth_time_us,
            fs_file: (r.fs_dev.unwrap_or(0), r.fs_inode.unwrap_or(0)),
            sidecar_has_text: r.sidecar_category.is_some() || r.sidecar_description.is_some(),
            rare: crate::catalog::Rare {
                max_jump_s: r.max_jump_s,
                max_jump_at_s: r.max_jump_at_s,
                max_jump_other_s: r.max_jump_other_s,
                edit_list_offsets: r.edit_list_offsets,
                ps_lost_places: r.ps_lost_places,
                fragment_jump_s: r.fragment_jump_s,
                fragment_jump_at_s: r.fragment_jump_at_s,
                ts_pcr_jump_s: r.ts_pcr_jump_s,
                ts_pcr_jump_at_s: r.ts_pcr_jump_at_s,
                ts_continuity_errors: r.ts_continuity_errors,
                sidecar_described_at_us: r.sidecar_described_at_us,
                frame_rate_stretch: stretch(
                    r.frame_rate_stretch_at_s,
                    r.frame_rate_stretch_s,
                    r.frame_rate_stretch_fps,
                ),
                osd_stretch: r.osd.read().stretch(),
                osd_end_offset_s: crate::catalog::end_offset_apart(
                    r.osd.read().offset_s,
                    r.osd.read().end_offset_s,
                ),
                jump_coded_across: r.osd.coded_across,
                stretch_coded_across: r.osd.stretch_coded_across,
                being_written: false,
            }
            .boxed(),
            osd: r.osd.facts(),
            text: text.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path columns are named as [`PATH_COLUMNS`] says and typed as `files` holds them, so
    /// that carried rows read again from their paths ([`path_columns`]) fit the table.
    #[test]
    fn path_columns_are_the_files_columns_of_those_names() {
        let facts = [crate::pathinfo::PathFacts::default()];
        let schema = files_batch(&[]).expect("schema").schema();
        let cols = path_columns(&facts);
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, PATH_COLUMNS);
        for (name, a) in &cols {
            let field = schema.field_with_name(name).expect("a files column");
            assert_eq!(a.data_type(), field.data_type(), "{name}");
        }
    }
}
