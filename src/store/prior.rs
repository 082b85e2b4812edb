//! What the previous run left: the catalogue a new run compares the tree against. Read from the
//! warehouse's `current` snapshot only (never the evidence): each file's identity (size, mtime,
//! inode, hash), its custody dates, and the custody history (which paths are gone, and the
//! deletions and modifications the findings keep reporting).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};

use super::{StoreError, parquet_reader};
use crate::catalog::CustodyEvent;

/// One file of the previous catalogue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriorFile {
    pub root: String,
    pub size_bytes: i64,
    pub mtime_us: Option<i64>,
    pub fs_dev: Option<i64>,
    pub fs_inode: Option<i64>,
    pub blake3: Option<String>,
    pub first_seen_us: Option<i64>,
    pub last_seen_us: Option<i64>,
    pub last_verified_us: Option<i64>,
    pub device_id: Option<String>,
    pub retention_class: Option<String>,
    pub keep_until_us: Option<i64>,
}

/// A path whose last custody event was a deletion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gone {
    pub path: String,
    pub blake3: Option<String>,
}

#[derive(Debug, Default)]
pub struct Prior {
    /// The snapshot read, if the warehouse had one.
    pub snapshot: Option<PathBuf>,
    pub files: HashMap<String, PriorFile>,
    /// The `files` and `streams` Parquet files of the snapshot, in name order.
    pub files_parts: Vec<PathBuf>,
    pub streams_parts: Vec<PathBuf>,
    /// Deleted and never seen again, by path.
    pub gone: HashMap<String, Gone>,
    /// Every `modified` and `deleted` event ever recorded: offences stay on record.
    pub offences: Vec<CustodyEvent>,
}

fn parts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Typed access to a batch's columns by name; absent columns read as nulls, so files written
/// by an earlier recaudit (with fewer columns) still load.
pub struct Cols<'a>(pub &'a RecordBatch);

impl Cols<'_> {
    /// Text from a `Utf8`, `LargeUtf8` or `Utf8View` column (query engines return views).
    pub fn str(&self, name: &str, i: usize) -> Option<&str> {
        let c = self.0.column_by_name(name)?;
        if !c.is_valid(i) {
            return None;
        }
        if let Some(a) = c.as_string_opt::<i32>() {
            return Some(a.value(i));
        }
        if let Some(a) = c.as_string_view_opt() {
            return Some(a.value(i));
        }
        c.as_string_opt::<i64>().map(|a| a.value(i))
    }
    pub fn i64(&self, name: &str, i: usize) -> Option<i64> {
        let a = self
            .0
            .column_by_name(name)?
            .as_primitive_opt::<Int64Type>()?;
        a.is_valid(i).then(|| a.value(i))
    }
    pub fn ts(&self, name: &str, i: usize) -> Option<i64> {
        let a = self
            .0
            .column_by_name(name)?
            .as_primitive_opt::<TimestampMicrosecondType>()?;
        a.is_valid(i).then(|| a.value(i))
    }
    pub fn i32(&self, name: &str, i: usize) -> Option<i32> {
        let a = self
            .0
            .column_by_name(name)?
            .as_primitive_opt::<arrow_array::types::Int32Type>()?;
        a.is_valid(i).then(|| a.value(i))
    }
    pub fn f64(&self, name: &str, i: usize) -> Option<f64> {
        let a = self
            .0
            .column_by_name(name)?
            .as_primitive_opt::<arrow_array::types::Float64Type>()?;
        a.is_valid(i).then(|| a.value(i))
    }
    pub fn bool(&self, name: &str, i: usize) -> Option<bool> {
        let a = self.0.column_by_name(name)?.as_boolean_opt()?;
        a.is_valid(i).then(|| a.value(i))
    }
}

const FILE_COLUMNS: &[&str] = &[
    "path",
    "root",
    "size_bytes",
    "mtime",
    "fs_dev",
    "fs_inode",
    "blake3",
    "first_seen",
    "last_seen",
    "last_verified",
    "device_id",
    "retention_class",
    "keep_until",
];

impl Prior {
    /// Reads the previous catalogue of the warehouse whose `current` snapshot is `snapshot`.
    pub fn load(snapshot: Option<&Path>) -> Result<Prior, StoreError> {
        let Some(snap) = snapshot else {
            return Ok(Prior::default());
        };
        let mut p = Prior {
            snapshot: Some(snap.to_path_buf()),
            files_parts: parts(&snap.join("files")),
            streams_parts: parts(&snap.join("streams")),
            ..Default::default()
        };
        for part in &p.files_parts {
            for b in parquet_reader(part, 8192, Some(FILE_COLUMNS))? {
                let b = b.map_err(|source| StoreError::Arrow {
                    table: "files",
                    source,
                })?;
                let c = Cols(&b);
                for i in 0..b.num_rows() {
                    let Some(path) = c.str("path", i) else {
                        continue;
                    };
                    p.files.insert(
                        path.to_string(),
                        PriorFile {
                            root: c.str("root", i).unwrap_or_default().to_string(),
                            size_bytes: c.i64("size_bytes", i).unwrap_or(-1),
                            mtime_us: c.ts("mtime", i),
                            fs_dev: c.i64("fs_dev", i),
                            fs_inode: c.i64("fs_inode", i),
                            blake3: c.str("blake3", i).map(str::to_string),
                            first_seen_us: c.ts("first_seen", i),
                            last_seen_us: c.ts("last_seen", i),
                            last_verified_us: c.ts("last_verified", i),
                            device_id: c.str("device_id", i).map(str::to_string),
                            retention_class: c.str("retention_class", i).map(str::to_string),
                            keep_until_us: c.ts("keep_until", i),
                        },
                    );
                }
            }
        }
        // The custody history in run order (file names sort by run id, which sorts by time).
        for part in parts(&snap.join("custody_events")) {
            for b in parquet_reader(&part, 8192, None)? {
                let b = b.map_err(|source| StoreError::Arrow {
                    table: "custody_events",
                    source,
                })?;
                let c = Cols(&b);
                for i in 0..b.num_rows() {
                    let (Some(event), Some(path)) = (c.str("event", i), c.str("path", i)) else {
                        continue;
                    };
                    match event {
                        "deleted" => {
                            p.gone.insert(
                                path.to_string(),
                                Gone {
                                    path: path.to_string(),
                                    blake3: c.str("blake3", i).map(str::to_string),
                                },
                            );
                        }
                        "new" | "restored" | "moved" => {
                            p.gone.remove(path);
                            if event == "restored"
                                && let Some(old) = c.str("previous_path", i)
                            {
                                p.gone.remove(old);
                            }
                        }
                        _ => {}
                    }
                    if event == "deleted" || event == "modified" {
                        p.offences.push(event_row(&c, i));
                    }
                }
            }
        }
        Ok(p)
    }
}

/// One `custody_events` row back as a struct.
pub fn event_row(c: &Cols, i: usize) -> CustodyEvent {
    let s = |n: &str| c.str(n, i).map(str::to_string);
    CustodyEvent {
        run_id: s("run_id").unwrap_or_default(),
        at_us: c.ts("at", i).unwrap_or(0),
        event: s("event").unwrap_or_default(),
        path: s("path").unwrap_or_default(),
        previous_path: s("previous_path"),
        blake3: s("blake3"),
        previous_blake3: s("previous_blake3"),
        size_bytes: c.i64("size_bytes", i),
        previous_size_bytes: c.i64("previous_size_bytes", i),
        mtime_us: c.ts("mtime", i),
        previous_mtime_us: c.ts("previous_mtime", i),
        device_id: s("device_id"),
        retention_class: s("retention_class"),
        keep_until_us: c.ts("keep_until", i),
        details: s("details").unwrap_or_default(),
    }
}

/// The compact facts of every row of a `files` batch; `first_row` is the position of the
/// batch's first row in the new run's `files` table.
pub fn facts_from_batch(b: &RecordBatch, first_row: usize) -> Vec<crate::catalog::FileFacts> {
    let c = Cols(b);
    let bx = |n: &str, i: usize| c.str(n, i).map(Box::<str>::from);
    (0..b.num_rows())
        .map(|i| crate::catalog::FileFacts {
            row: first_row + i,
            path: c.str("path", i).unwrap_or_default().into(),
            status: c.str("status", i).unwrap_or_default().into(),
            error: bx("error", i),
            size_bytes: c.i64("size_bytes", i).unwrap_or(0),
            blake3: bx("blake3", i),
            container: bx("container", i),
            extension_matches: c.bool("extension_matches", i),
            media_kind: bx("media_kind", i),
            device_id: bx("device_id", i),
            officer_id: bx("officer_id", i),
            unit: bx("unit", i),
            segment_seq: c.i32("segment_seq", i),
            name_time_us: c.ts("name_time", i),
            creation_time_us: c.ts("creation_time", i),
            creation_time_basis: bx("creation_time_basis", i),
            duration_s: c.f64("duration_s", i),
            encoder: bx("encoder", i),
            software: bx("software", i),
            handler_names: bx("handler_names", i),
            compressor_names: bx("compressor_names", i),
            major_brand: bx("major_brand", i),
            make: bx("make", i),
            model: bx("model", i),
            top_level_layout: bx("top_level_layout", i),
            edit_list_entries: c.i32("edit_list_entries", i),
            stream_count: c.i32("stream_count", i),
            video_codec: bx("video_codec", i),
            video_profile: bx("video_profile", i),
            width: c.i32("width", i),
            height: c.i32("height", i),
            frame_rate: c.f64("frame_rate", i),
            audio_codec: bx("audio_codec", i),
            audio_sample_rate: c.i32("audio_sample_rate", i),
            audio_channels: c.i32("audio_channels", i),
            sample_descriptions_max: c.i32("sample_descriptions_max", i),
            parameter_sets_max: c.i32("parameter_sets_max", i),
            max_jump_s: c.f64("max_jump_s", i),
            max_jump_at_s: c.f64("max_jump_at_s", i),
            fragment_jump_s: c.f64("fragment_jump_s", i),
            fragment_jump_at_s: c.f64("fragment_jump_at_s", i),
            ts_pcr_jump_s: c.f64("ts_pcr_jump_s", i),
            ts_pcr_jump_at_s: c.f64("ts_pcr_jump_at_s", i),
            ts_continuity_errors: c.i32("ts_continuity_errors", i),
            has_gps: c.f64("gps_lat", i).is_some(),
            rel_path: c.str("rel_path", i).unwrap_or_default().into(),
            mtime_us: c.ts("mtime", i),
            birth_time_us: c.ts("birth_time", i),
            sidecar_described_at_us: c.ts("sidecar_described_at", i),
            sidecar_has_text: c.str("sidecar_category", i).is_some()
                || c.str("sidecar_description", i).is_some(),
        })
        .collect()
}
