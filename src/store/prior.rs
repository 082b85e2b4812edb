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
use crate::store::tables::CustodyEvent;

pub use super::catalogue::{PriorFile, PriorFiles, PriorRow};

/// A path whose last custody event was a deletion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gone {
    pub path: String,
    pub blake3: Option<String>,
}

/// How the previous `files` rows lie in their Parquet files ([`Prior::files_layout`]).
#[derive(Debug, Default)]
pub struct FilesLayout {
    /// Where each run of ascending paths begins among the rows (their place counted over
    /// `files_parts` in order, from 0).
    pub runs: Vec<u64>,
    /// Each row group's rows, over `files_parts` in order (from their footers).
    pub group_rows: Vec<u64>,
}

impl FilesLayout {
    /// Row groups of fewer than [`SMALL_GROUP_ROWS`] rows.
    pub fn small_groups(&self) -> usize {
        self.group_rows
            .iter()
            .filter(|&&n| n < SMALL_GROUP_ROWS)
            .count()
    }
}

/// A row group of fewer rows than this is small ([`FilesLayout::small_groups`]).
pub const SMALL_GROUP_ROWS: u64 = 1024;

#[derive(Debug, Default)]
pub struct Prior {
    /// The snapshot read, if the warehouse had one.
    pub snapshot: Option<PathBuf>,
    pub files: PriorFiles,
    /// The `files` and `streams` Parquet files of the snapshot, in name order.
    pub files_parts: Vec<PathBuf>,
    /// How the `files` rows lie: each night that reads files adds a run of ascending paths
    /// and a small row group, which the carry merges back into path order past a few.
    pub files_layout: FilesLayout,
    pub streams_parts: Vec<PathBuf>,
    /// Deleted and never seen again, by path.
    pub gone: HashMap<String, Gone>,
    /// Every `modified` and `deleted` event ever recorded: offences stay on record.
    pub offences: Vec<CustodyEvent>,
    /// Paths of a transient name ([`crate::pathinfo::is_transient`]: `Thumbs.db`, `NAME.tmp`)
    /// that a file of another name was moved to: such a file is a record under a borrowed
    /// name, and its change or deletion stays an offence.
    pub moved_in: std::collections::HashSet<String>,
    /// Every move in the custody history (`moved`, `restored`, `recycled`, and
    /// `duplicate_deleted`: a path deleted whose bytes another path kept): the key
    /// ([`crate::pathtable::key`]) of the path a record moved from, by the key of the path it
    /// moved to (the latest move to a path). The path-keyed context tables name a file where
    /// it lay when their line was written.
    pub moves: HashMap<u128, u128>,
    /// The first components ([`crate::pathtable::head`]) of the paths records moved from.
    pub move_heads: std::collections::HashSet<Box<str>>,
    /// What the previous scan read paths with ([`crate::config::Config::path_reading`], from
    /// its `runs.settings`); `None` without a previous scan that recorded it.
    pub path_reading: Option<serde_json::Value>,
}

/// The path reading recorded by the latest scan among the last runs (`runs` parts are named
/// by run id, which sorts by time; a run that is no scan, such as an estate's analysis,
/// records no `config.path_patterns` and is passed over). Unreadable or missing: `None`, and
/// the carried rows keep their paths' reading.
fn path_reading(runs: &[PathBuf]) -> Option<serde_json::Value> {
    for part in runs.iter().rev().take(64) {
        let Ok(reader) = parquet_reader(part, 64, Some(&["settings"])) else {
            continue;
        };
        let batches: Vec<RecordBatch> = reader.flatten().collect();
        for b in batches.iter().rev() {
            let settings = Cols(b).text("settings");
            for i in (0..b.num_rows()).rev() {
                let Some(v) = settings
                    .get(i)
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                else {
                    continue;
                };
                let config = &v["config"];
                if config.get("path_patterns").is_some() {
                    return Some(serde_json::json!({
                        "timezone": config["timezone"],
                        "path_patterns": config["path_patterns"],
                    }));
                }
            }
        }
    }
    None
}

/// The Parquet files of a table folder, sorted; none when the folder is missing.
pub fn parts(dir: &Path) -> Vec<PathBuf> {
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

/// A text column resolved once: `Utf8`, `LargeUtf8` or `Utf8View`; absent reads as nulls.
pub enum Text<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Missing,
}

impl<'a> Text<'a> {
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Text::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Text::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Text::View(a) => a.is_valid(i).then(|| a.value(i)),
            Text::Missing => None,
        }
    }
    pub fn boxed(&self, i: usize) -> Option<Box<str>> {
        self.get(i).map(Box::from)
    }
    pub fn sym(&self, i: usize) -> Option<crate::catalog::Sym> {
        self.get(i).map(crate::catalog::Sym::from)
    }
}

/// A primitive column resolved once; absent or of another type reads as nulls.
pub struct Prim<'a, T: arrow_array::ArrowPrimitiveType>(Option<&'a arrow_array::PrimitiveArray<T>>);

impl<T: arrow_array::ArrowPrimitiveType> Prim<'_, T> {
    pub fn get(&self, i: usize) -> Option<T::Native> {
        self.0.and_then(|a| a.is_valid(i).then(|| a.value(i)))
    }
}

impl<'a> Cols<'a> {
    pub fn text(&self, name: &str) -> Text<'a> {
        let Some(c) = self.0.column_by_name(name) else {
            return Text::Missing;
        };
        if let Some(a) = c.as_string_opt::<i32>() {
            Text::Utf8(a)
        } else if let Some(a) = c.as_string_view_opt() {
            Text::View(a)
        } else if let Some(a) = c.as_string_opt::<i64>() {
            Text::Large(a)
        } else {
            Text::Missing
        }
    }
    pub fn prim<T: arrow_array::ArrowPrimitiveType>(&self, name: &str) -> Prim<'a, T> {
        Prim(
            self.0
                .column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<T>()),
        )
    }
    pub fn flag(&self, name: &str) -> Option<&'a arrow_array::BooleanArray> {
        self.0.column_by_name(name).and_then(|c| c.as_boolean_opt())
    }
}

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
    "last_verified",
    "device_id",
    "retention_class",
    "keep_until",
    "status",
    "being_written",
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
        p.load_files()?;
        p.path_reading = path_reading(&parts(&snap.join("runs")));
        let offence_parts = p.load_history(&parts(&snap.join("custody_events")), None)?;
        p.load_offences(&offence_parts)?;
        Ok(p)
    }

    /// Each catalogued file's identity, hash and custody dates, by path.
    fn load_files(&mut self) -> Result<(), StoreError> {
        let mut files = super::catalogue::Builder::default();
        // Room for every row at once, from the files' footers: grown by doubling, each column
        // would be held twice while it moves (at ten million files, 560 MB of numbers alone).
        let mut group_rows = Vec::new();
        for part in &self.files_parts {
            group_rows.extend(super::parquet_group_rows(part)?);
        }
        let rows = group_rows.iter().fold(0u64, |a, &n| a.saturating_add(n));
        files.reserve(usize::try_from(rows).unwrap_or(0));
        // Where each run of ascending paths begins, by row (counted over the parts in order).
        let mut at = 0u64;
        let mut runs: Vec<u64> = Vec::new();
        for part in &self.files_parts {
            for b in parquet_reader(part, 8192, Some(FILE_COLUMNS))? {
                let b = b.map_err(|source| StoreError::Arrow {
                    table: "files",
                    source,
                })?;
                let c = Cols(&b);
                let (path, root, blake3, device, class, status) = (
                    c.text("path"),
                    c.text("root"),
                    c.text("blake3"),
                    c.text("device_id"),
                    c.text("retention_class"),
                    c.text("status"),
                );
                // Absent from catalogues written before it was a column.
                let growing = b
                    .column_by_name("being_written")
                    .and_then(|a| a.as_boolean_opt());
                let (size, dev, ino) = (
                    c.prim::<Int64Type>("size_bytes"),
                    c.prim::<Int64Type>("fs_dev"),
                    c.prim::<Int64Type>("fs_inode"),
                );
                let ts = |n: &str| c.prim::<TimestampMicrosecondType>(n);
                let (mtime, first, verified, keep) = (
                    ts("mtime"),
                    ts("first_seen"),
                    ts("last_verified"),
                    ts("keep_until"),
                );
                for i in 0..b.num_rows() {
                    let Some(path) = path.get(i) else {
                        continue;
                    };
                    let begins = files.push(
                        path,
                        &PriorRow {
                            root: crate::catalog::Sym::from(root.get(i).unwrap_or_default()),
                            size_bytes: size.get(i).unwrap_or(-1),
                            mtime_us: mtime.get(i),
                            fs_dev: dev.get(i),
                            fs_inode: ino.get(i),
                            blake3: blake3.boxed(i),
                            first_seen_us: first.get(i),
                            last_verified_us: verified.get(i),
                            device_id: device.sym(i),
                            retention_class: class.sym(i),
                            keep_until_us: keep.get(i),
                            cut_short: status.get(i) == Some("truncated")
                                || growing.is_some_and(|a| a.is_valid(i) && a.value(i)),
                        },
                    );
                    if begins {
                        runs.push(at + i as u64);
                    }
                }
                at += b.num_rows() as u64;
            }
        }
        self.files = files.finish();
        self.files_layout = FilesLayout { runs, group_rows };
        Ok(())
    }

    /// Replays the custody history in run order (file names sort by run id, which sorts by
    /// time) to know which paths are deleted and not back; returns the history files that
    /// hold an offence. With `moved_paths`, the moves' paths are kept there as text too (the
    /// held tables' [`crate::context::Typed::moves`]), from the same reading.
    fn load_history(
        &mut self,
        custody: &[PathBuf],
        mut moved_paths: Option<&mut HashMap<Box<str>, Box<str>>>,
    ) -> Result<Vec<PathBuf>, StoreError> {
        let mut offence_parts: Vec<PathBuf> = Vec::new();
        for part in custody {
            let mut has_offence = false;
            for b in parquet_reader(
                part,
                8192,
                Some(&["event", "path", "previous_path", "blake3"]),
            )? {
                let b = b.map_err(|source| StoreError::Arrow {
                    table: "custody_events",
                    source,
                })?;
                let c = Cols(&b);
                let (event, path, prev, hash) = (
                    c.text("event"),
                    c.text("path"),
                    c.text("previous_path"),
                    c.text("blake3"),
                );
                for i in 0..b.num_rows() {
                    let (Some(event), Some(path)) = (event.get(i), path.get(i)) else {
                        continue;
                    };
                    if crate::store::tables::names_an_earlier_path(event)
                        && let Some(old) = prev.get(i)
                    {
                        self.moves
                            .insert(crate::pathtable::key(path), crate::pathtable::key(old));
                        let h = crate::pathtable::head(old);
                        if !self.move_heads.contains(h) {
                            self.move_heads.insert(h.into());
                        }
                        if let Some(m) = moved_paths.as_deref_mut() {
                            m.insert(path.into(), old.into());
                        }
                    }
                    match event {
                        // A record deleted into a recycle bin is gone from its own path.
                        "recycled" => {
                            if let Some(old) = prev.get(i) {
                                self.gone.insert(
                                    old.to_string(),
                                    Gone {
                                        path: old.to_string(),
                                        blake3: hash.get(i).map(str::to_string),
                                    },
                                );
                            }
                        }
                        "deleted" => {
                            self.gone.insert(
                                path.to_string(),
                                Gone {
                                    path: path.to_string(),
                                    blake3: hash.get(i).map(str::to_string),
                                },
                            );
                        }
                        "moved"
                            if crate::pathinfo::is_transient(path)
                                && prev
                                    .get(i)
                                    .is_some_and(|p| !crate::pathinfo::is_transient(p)) =>
                        {
                            self.moved_in.insert(path.to_string());
                            self.gone.remove(path);
                        }
                        "new" | "restored" | "moved" if !self.gone.is_empty() => {
                            self.gone.remove(path);
                            if event == "restored"
                                && let Some(old) = prev.get(i)
                            {
                                self.gone.remove(old);
                            }
                        }
                        _ => {}
                    }
                    has_offence |= crate::store::tables::is_offence(event);
                }
            }
            if has_offence {
                offence_parts.push(part.to_path_buf());
            }
        }
        Ok(offence_parts)
    }

    /// The full rows of every `modified` and `deleted` event ever recorded, from the (rare)
    /// history files that hold one.
    fn load_offences(&mut self, offence_parts: &[PathBuf]) -> Result<(), StoreError> {
        for part in offence_parts {
            for b in parquet_reader(part, 8192, None)? {
                let b = b.map_err(|source| StoreError::Arrow {
                    table: "custody_events",
                    source,
                })?;
                let c = Cols(&b);
                for i in 0..b.num_rows() {
                    if c.str("event", i)
                        .is_some_and(crate::store::tables::is_offence)
                    {
                        self.offences.push(event_row(&c, i));
                    }
                }
            }
        }
        Ok(())
    }
}

/// What a province's analysis keeps of these `custody_events` files, read once: every
/// offence (`modified`, `deleted`, `recycled`: the offences the custody rules keep reporting,
/// in the order given), and where each moved record lay before, by the path it moved to (the
/// latest move to a path; the events that name an earlier path,
/// [`crate::store::tables::names_an_earlier_path`]) for the held path tables
/// ([`crate::context::Typed::moves`]; a scan keeps only the paths' keys, [`Prior::moves`]).
pub struct History {
    pub offences: Vec<CustodyEvent>,
    pub moved_paths: HashMap<Box<str>, Box<str>>,
}

/// Reads a [`History`] from these files (one pass over their paths).
pub fn history(custody_parts: &[PathBuf]) -> Result<History, StoreError> {
    let mut p = Prior::default();
    let mut moved_paths = HashMap::new();
    let with = p.load_history(custody_parts, Some(&mut moved_paths))?;
    p.load_offences(&with)?;
    Ok(History {
        offences: p.offences,
        moved_paths,
    })
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

/// The `files` columns [`facts_from_batch`] reads.
pub const FACT_COLUMNS: &[&str] = &[
    "path",
    "status",
    "error",
    "blake3",
    "container",
    "media_kind",
    "device_id",
    "officer_id",
    "unit",
    "creation_time_basis",
    "encoder",
    "software",
    "handler_names",
    "compressor_names",
    "major_brand",
    "make",
    "model",
    "top_level_layout",
    "video_codec",
    "video_profile",
    "audio_codec",
    "sidecar_category",
    "sidecar_description",
    "size_bytes",
    "extension_matches",
    "segment_seq",
    "edit_list_entries",
    "stream_count",
    "width",
    "height",
    "audio_sample_rate",
    "audio_channels",
    "sample_descriptions_max",
    "parameter_sets_max",
    "ts_continuity_errors",
    "duration_s",
    "frame_rate",
    "max_jump_s",
    "max_jump_at_s",
    "max_jump_other_s",
    "edit_list_offsets",
    "ps_lost_places",
    "fragment_jump_s",
    "fragment_jump_at_s",
    "ts_pcr_jump_s",
    "ts_pcr_jump_at_s",
    "gps_lat",
    "frame_rate_stretch_at_s",
    "frame_rate_stretch_s",
    "frame_rate_stretch_fps",
    "name_time",
    "creation_time",
    "mtime",
    "birth_time",
    "fs_dev",
    "fs_inode",
    "sidecar_described_at",
    "osd_start",
    "osd_end",
    "osd_offset_s",
    "osd_jump_s",
    "osd_jump_at_s",
    "osd_jump_confidence",
    "osd_jump_inside_gop",
    "osd_stretch_step_s",
    "osd_stretch_confidence",
    "osd_end_offset_s",
    "osd_confidence",
    "osd_device",
    "osd_device_end",
    "osd_device_sure",
    "coding_habits",
    "slice_habits",
    "jump_coded_across",
    "stretch_coded_across",
];

/// The compact facts of every row of a `files` batch; `first_row` is the position of the
/// batch's first row in the new run's `files` table.
// Long only because it maps every fact column one to one (resolve the columns, then one
// field per fact), like `files_batch`: one list to extend when a fact is added.
pub fn facts_from_batch(b: &RecordBatch, first_row: usize) -> Vec<crate::catalog::FileFacts> {
    use arrow_array::types::{Float64Type, Int32Type};
    let c = Cols(b);
    let t = |n: &str| c.text(n);
    let i32c = |n: &str| c.prim::<Int32Type>(n);
    let f64c = |n: &str| c.prim::<Float64Type>(n);
    let tsc = |n: &str| c.prim::<TimestampMicrosecondType>(n);
    let (path, status, error, blake3, container) = (
        t("path"),
        t("status"),
        t("error"),
        t("blake3"),
        t("container"),
    );
    let (media_kind, device_id, officer_id, unit, basis) = (
        t("media_kind"),
        t("device_id"),
        t("officer_id"),
        t("unit"),
        t("creation_time_basis"),
    );
    let (encoder, software, handlers, compressors, brand, make, model, layout) = (
        t("encoder"),
        t("software"),
        t("handler_names"),
        t("compressor_names"),
        t("major_brand"),
        t("make"),
        t("model"),
        t("top_level_layout"),
    );
    let (vcodec, vprofile, acodec, scat, sdesc) = (
        t("video_codec"),
        t("video_profile"),
        t("audio_codec"),
        t("sidecar_category"),
        t("sidecar_description"),
    );
    let size = c.prim::<Int64Type>("size_bytes");
    let ext_match = c.flag("extension_matches");
    let (seq, edits, streams, width, height, rate, channels, stsd, sps, cc) = (
        i32c("segment_seq"),
        i32c("edit_list_entries"),
        i32c("stream_count"),
        i32c("width"),
        i32c("height"),
        i32c("audio_sample_rate"),
        i32c("audio_channels"),
        i32c("sample_descriptions_max"),
        i32c("parameter_sets_max"),
        i32c("ts_continuity_errors"),
    );
    let jump_other = f64c("max_jump_other_s");
    let edit_offsets = i32c("edit_list_offsets");
    let ps_lost = i32c("ps_lost_places");
    let (duration, fps, jump, jump_at, fjump, fjump_at, pcr, pcr_at, lat) = (
        f64c("duration_s"),
        f64c("frame_rate"),
        f64c("max_jump_s"),
        f64c("max_jump_at_s"),
        f64c("fragment_jump_s"),
        f64c("fragment_jump_at_s"),
        f64c("ts_pcr_jump_s"),
        f64c("ts_pcr_jump_at_s"),
        f64c("gps_lat"),
    );
    let (stretch_at, stretch_len, stretch_fps) = (
        f64c("frame_rate_stretch_at_s"),
        f64c("frame_rate_stretch_s"),
        f64c("frame_rate_stretch_fps"),
    );
    let (coding_habits, slice_habits) = (t("coding_habits"), t("slice_habits"));
    let osd_end = tsc("osd_end");
    let (osd_start, osd_offset, osd_jump, osd_jump_at, osd_conf, osd_device) = (
        tsc("osd_start"),
        f64c("osd_offset_s"),
        f64c("osd_jump_s"),
        f64c("osd_jump_at_s"),
        f64c("osd_confidence"),
        t("osd_device"),
    );
    let osd_jump_conf = f64c("osd_jump_confidence");
    let osd_jump_inside = c.flag("osd_jump_inside_gop");
    let coded_across = c.flag("jump_coded_across");
    let stretch_coded_across = c.flag("stretch_coded_across");
    let (osd_stretch_step, osd_stretch_conf) =
        (f64c("osd_stretch_step_s"), f64c("osd_stretch_confidence"));
    let osd_end_offset = f64c("osd_end_offset_s");
    let osd_device_end = t("osd_device_end");
    let osd_device_sure = t("osd_device_sure");
    let (fs_dev, fs_inode) = (
        c.prim::<arrow_array::types::Int64Type>("fs_dev"),
        c.prim::<arrow_array::types::Int64Type>("fs_inode"),
    );
    let (name_time, creation, mtime, birth, described) = (
        tsc("name_time"),
        tsc("creation_time"),
        tsc("mtime"),
        tsc("birth_time"),
        tsc("sidecar_described_at"),
    );
    let texts = [
        &status,
        &error,
        &container,
        &media_kind,
        &device_id,
        &officer_id,
        &unit,
        &basis,
        &encoder,
        &software,
        &handlers,
        &compressors,
        &brand,
        &make,
        &model,
        &layout,
        &vcodec,
        &vprofile,
        &acodec,
        &scat,
        &osd_device,
        &osd_device_end,
        &osd_device_sure,
        &coding_habits,
        &slice_habits,
    ];
    // Rows come device by device: a row whose every text equals the row before's shares its
    // text facts (compared where they lie, nothing allocated), so a million rows make a few
    // thousand of them rather than 23 million strings.
    let mut last: Option<std::sync::Arc<crate::catalog::TextFacts>> = None;
    let mut text_of = |i: usize| -> std::sync::Arc<crate::catalog::TextFacts> {
        if let Some(t) = &last
            && i > 0
            && texts.iter().all(|c| c.get(i) == c.get(i - 1))
        {
            return t.clone();
        }
        let t = std::sync::Arc::new(crate::catalog::TextFacts {
            status: crate::catalog::Sym::from(status.get(i).unwrap_or_default()),
            error: error.sym(i),
            container: container.sym(i),
            media_kind: media_kind.sym(i),
            device_id: device_id.sym(i),
            officer_id: officer_id.sym(i),
            unit: unit.sym(i),
            creation_time_basis: basis.sym(i),
            encoder: encoder.sym(i),
            software: software.sym(i),
            handler_names: handlers.sym(i),
            compressor_names: compressors.sym(i),
            major_brand: brand.sym(i),
            make: make.sym(i),
            model: model.sym(i),
            top_level_layout: layout.sym(i),
            video_codec: vcodec.sym(i),
            video_profile: vprofile.sym(i),
            audio_codec: acodec.sym(i),
            sidecar_category: scat.sym(i),
            osd_device: osd_device.sym(i),
            osd_device_end: osd_device_end.sym(i),
            osd_device_sure: osd_device_sure.sym(i),
            coding_habits: coding_habits.sym(i),
            slice_habits: slice_habits.sym(i),
        });
        last = Some(t.clone());
        t
    };
    (0..b.num_rows())
        .map(|i| crate::catalog::FileFacts {
            text: text_of(i),
            row: first_row + i,
            path: path.get(i).unwrap_or_default().into(),
            size_bytes: size.get(i).unwrap_or(0),
            blake3: blake3.boxed(i),
            extension_matches: ext_match.and_then(|a| a.is_valid(i).then(|| a.value(i))),
            segment_seq: seq.get(i),
            name_time_us: name_time.get(i),
            creation_time_us: creation.get(i),
            duration_s: duration.get(i),
            edit_list_entries: edits.get(i),
            stream_count: streams.get(i),
            width: width.get(i),
            height: height.get(i),
            frame_rate: fps.get(i),
            audio_sample_rate: rate.get(i),
            audio_channels: channels.get(i),
            sample_descriptions_max: stsd.get(i),
            parameter_sets_max: sps.get(i),
            has_gps: lat.get(i).is_some(),
            mtime_us: mtime.get(i),
            birth_time_us: birth.get(i),
            fs_file: (fs_dev.get(i).unwrap_or(0), fs_inode.get(i).unwrap_or(0)),
            sidecar_has_text: scat.get(i).is_some() || sdesc.get(i).is_some(),
            rare: crate::catalog::Rare {
                max_jump_s: jump.get(i),
                max_jump_at_s: jump_at.get(i),
                max_jump_other_s: jump_other.get(i),
                edit_list_offsets: edit_offsets.get(i),
                ps_lost_places: ps_lost.get(i),
                fragment_jump_s: fjump.get(i),
                fragment_jump_at_s: fjump_at.get(i),
                ts_pcr_jump_s: pcr.get(i),
                ts_pcr_jump_at_s: pcr_at.get(i),
                ts_continuity_errors: cc.get(i),
                sidecar_described_at_us: described.get(i),
                frame_rate_stretch: crate::catalog::stretch(
                    stretch_at.get(i),
                    stretch_len.get(i),
                    stretch_fps.get(i),
                ),
                osd_stretch: osd_stretch_step
                    .get(i)
                    .zip(osd_stretch_conf.get(i))
                    .map(|(s, c)| (s as f32, c as f32)),
                osd_end_offset_s: crate::catalog::end_offset_apart(
                    osd_offset.get(i),
                    osd_end_offset.get(i),
                ),
                jump_coded_across: coded_across.and_then(|a| a.is_valid(i).then(|| a.value(i))),
                stretch_coded_across: stretch_coded_across
                    .and_then(|a| a.is_valid(i).then(|| a.value(i))),
                being_written: false,
            }
            .boxed(),
            osd: crate::catalog::OsdFacts {
                start_us: osd_start.get(i),
                end_us: osd_end.get(i),
                offset_s: osd_offset.get(i).map(|v| v as f32),
                jump_s: osd_jump.get(i).map(|v| v as f32),
                jump_at_s: osd_jump_at.get(i).map(|v| v as f32),
                jump_confidence: osd_jump_conf.get(i).map(|v| v as f32),
                jump_inside_gop: osd_jump_inside.and_then(|a| a.is_valid(i).then(|| a.value(i))),
                confidence: osd_conf.get(i).map(|v| v as f32),
            },
        })
        .collect()
}
