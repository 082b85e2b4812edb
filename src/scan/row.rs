//! One file's rows: what the walk found and what the single read established (hash, parse,
//! problem) become its `files` row and one `streams` row per track. Path facts (device,
//! officer, time in the name) come from the configured patterns; zone-less times are read in
//! the configured zone.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{Progress, ScanPlan, display_path};
use crate::context;
use crate::keyframes::Seams;
use crate::media::keyplan::Noted;
use crate::media::{self, MediaInfo, ProblemKind, RecordedTime};
use crate::pathinfo::{PathPatterns, local_to_utc};
use crate::read;
use crate::store::tables::{FileRow, StreamRow};
use crate::walk::{Entry, EntryKind};

/// A file's row ([`RowMaker::make`]), its streams' rows, and what its keyframe work takes
/// from the read: a transport stream's pictures as the read saw them go past, and the
/// pictures of the video track around which its timestamps change: the one that lasts the
/// file's largest timestamp jump ([`video_jump`]) and the edges of a stretch at another frame
/// rate.
pub(super) type Made = (FileRow, Vec<StreamRow>, Option<Box<Noted>>, Seams);

/// The largest timestamp jump of the file's audio and video tracks, and its track's place.
fn largest_jump_of(info: &media::MediaInfo) -> Option<(usize, media::Jump)> {
    let mut best: Option<(usize, media::Jump)> = None;
    for (i, s) in info.streams.iter().enumerate() {
        if let Some(j) = s.jump
            && (s.kind == "video" || s.kind == "audio")
            && best.is_none_or(|(_, b)| j.size_s.abs() > b.size_s.abs())
        {
            best = Some((i, j));
        }
    }
    best
}

fn largest_jump(info: &media::MediaInfo) -> Option<media::Jump> {
    largest_jump_of(info).map(|(_, j)| j)
}

/// How near in place and size the video track's own largest jump must be to the file's
/// largest (any track's) to stand for it: the picture and the sound of a recorder that froze
/// stop together, give or take a picture and a sound frame.
const SAME_JUMP_S: f64 = 0.25;

/// The number of the H.264 or HEVC video track's picture that lasts the file's largest
/// timestamp jump, when the track's sample table says it and the video's own jump is that one
/// (the largest, or within [`SAME_JUMP_S`] of it): the keyframe stage reads the pictures
/// either side of it.
fn video_jump(info: &media::MediaInfo, largest: Option<media::Jump>) -> Option<u64> {
    let video = info.decoded_video()?;
    let (own, largest) = (video.jump?, largest?);
    let same = (own.at_s - largest.at_s).abs() <= SAME_JUMP_S
        && own.size_s >= largest.size_s - SAME_JUMP_S;
    own.sample.filter(|_| same && own.size_s > 0.0)
}

pub(super) struct RowMaker<'a> {
    pub plan: &'a ScanPlan,
    pub patterns: &'a PathPatterns,
    pub tz: chrono_tz::Tz,
    pub run_id: &'a str,
    pub progress: &'a dyn Progress,
    /// The batch's bytes not yet read (whether a large file is worth mapping).
    pub backlog: &'a read::Backlog,
}

impl RowMaker<'_> {
    /// The rows of one walked entry; a regular file is read (hashed and parsed) here. With
    /// them, a transport stream's video pictures as the read saw them go past (for the
    /// keyframe stage; no column).
    pub fn make(&self, e: &Entry, buf: &mut Vec<u8>) -> Made {
        let root = &self.plan.roots[e.root];
        let rel = e.path.strip_prefix(root).unwrap_or(&e.path);
        let rel_s = display_path(rel);
        let file_name = e
            .path
            .file_name()
            .map(|n| display_path(Path::new(n)))
            .unwrap_or_default();
        let extension = e
            .path
            .extension()
            .map(|x| display_path(Path::new(x)).to_lowercase())
            .unwrap_or_default();
        let facts = self.patterns.extract(&rel_s);
        let (name_time_us, segment_seq) = (facts.name_time_us(), facts.seq());
        let mut row = FileRow {
            run_id: self.run_id.to_string(),
            path: display_path(&e.path),
            path_bytes: e.path.as_os_str().as_bytes().to_vec(),
            root: display_path(root),
            rel_path: rel_s,
            file_name,
            extension: extension.clone(),
            size_bytes: e.size as i64,
            mtime_us: e.mtime_ns.map(|n| n.div_euclid(1000)),
            fs_dev: (e.dev != 0).then_some(e.dev as i64),
            fs_inode: (e.ino != 0).then_some(e.ino as i64),
            device_id: facts.device_id,
            officer_id: facts.officer_id,
            unit: facts.unit,
            name_time_us,
            segment_seq,
            name_time_raw: facts.name_time_raw,
            path_pattern: facts.pattern,
            birth_time_us: e.btime_us,
            ..Default::default()
        };
        let mut streams = Vec::new();
        let mut noted = None;
        let mut seams = Seams::default();
        match (&e.kind, &e.error) {
            (_, Some(err)) => {
                row.status = "unreadable".into();
                row.error = Some(err.clone());
            }
            (EntryKind::Dir, None) => {
                row.status = "unreadable".into();
                row.error = Some("directory could not be listed".into());
            }
            (EntryKind::Symlink(t), None) => {
                row.status = "unsupported".into();
                row.error = Some(format!(
                    "symbolic link to {} not followed (use --follow-symlinks)",
                    display_path(t)
                ));
            }
            (EntryKind::Special(k), None) if *k == crate::walk::SNAPSHOT => {
                row.status = "unsupported".into();
                row.error = Some(
                    "a storage snapshot folder (the share as it was at earlier times, kept by the storage): not entered, its copies are no records of the tree".into(),
                );
            }
            (EntryKind::Special(k), None) => {
                row.status = "unsupported".into();
                row.error = Some(format!("not a regular file ({k}): not opened"));
            }
            (EntryKind::File, None) => {
                let progress = |n: u64| {
                    self.progress.bytes(n);
                    self.backlog.take(n);
                };
                // A file large enough to be mapped is read instead while the other threads
                // have files of their own (`read::worth_mapping`).
                let mut opts = std::borrow::Cow::Borrowed(&self.plan.read);
                if e.size >= opts.mmap_min_bytes {
                    let others = self.backlog.left().saturating_sub(e.size);
                    if !read::worth_mapping(e.size, others, rayon::current_num_threads()) {
                        opts.to_mut().use_mmap = false;
                    }
                }
                // A parser bug must not end the run: the file becomes a row that says so.
                let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    if test_panic_on().is_some_and(|name| row.file_name == name) {
                        panic!("test hook: a parser bug on {name:?}", name = row.file_name);
                    }
                    read::read_file_upto(&e.path, &extension, &opts, buf, &progress, e.size)
                }));
                // What the read did not get to (an error, a file that shrank) is no one's to read.
                let got = read.as_ref().map_or(0, |r| r.bytes);
                self.backlog.take(e.size.saturating_sub(got));
                let r = match read {
                    Ok(r) => r,
                    Err(panic) => {
                        row.status = "unsupported".into();
                        row.error = Some(format!(
                            "recaudit failed inside its parser on this file ({}); the file was not changed and is not judged: please report it",
                            crate::panic_text(&*panic)
                        ));
                        self.progress.file_done();
                        return (row, Vec::new(), None, Seams::default());
                    }
                };
                row.read_method = Some(r.method.name().into());
                row.blake3 = r.blake3.map(|h| h.to_hex().to_string());
                if let Some(err) = r.error {
                    row.status = "unreadable".into();
                    row.error = Some(err.to_string());
                } else if let Some(mut p) = r.parsed {
                    noted = p.info.noted.take();
                    seams = Seams {
                        jump: video_jump(&p.info, largest_jump(&p.info)),
                        stretch: p
                            .info
                            .main_video()
                            .and_then(|v| v.rate_stretch)
                            .map(|r| r.edges),
                    };
                    row.status = match p.problem.as_ref().map(|p| p.kind) {
                        None => "ok",
                        Some(ProblemKind::Corrupt) => "corrupt",
                        Some(ProblemKind::Truncated) => "truncated",
                        Some(ProblemKind::Unsupported) => "unsupported",
                    }
                    .into();
                    row.error = p.problem.map(|p| p.message);
                    let expected = media::expected_container(&extension);
                    row.extension_matches = expected.map(|x| same_family(x, p.info.container));
                    self.fill_file(&mut row, &p.info);
                    streams = self.stream_rows(&row, &p.info);
                }
                if let Some(c) = r.changed {
                    row.changed_during_read = true;
                    row.error = Some(match row.error.take() {
                        Some(prev) => format!("{c}; {prev}"),
                        None => c,
                    });
                }
            }
        }
        self.progress.file_done();
        (row, streams, noted, seams)
    }

    fn utc_us(&self, t: RecordedTime) -> (Option<i64>, String) {
        match t {
            RecordedTime::Utc(s) => (s.checked_mul(1_000_000), "utc".into()),
            RecordedTime::UnixInBmff(s) => (s.checked_mul(1_000_000), "utc from 1970".into()),
            RecordedTime::Offset(n, off) => {
                let s = n.and_utc().timestamp() - i64::from(off);
                let sign = if off < 0 { '-' } else { '+' };
                (
                    s.checked_mul(1_000_000),
                    format!(
                        "offset {sign}{:02}:{:02}",
                        off.abs() / 3600,
                        off.abs() % 3600 / 60
                    ),
                )
            }
            RecordedTime::Local(n) => (
                local_to_utc(n, self.tz).and_then(|s| s.checked_mul(1_000_000)),
                format!("local {}", self.tz.name()),
            ),
        }
    }

    /// The `files` columns that come from the parsed container.
    fn fill_file(&self, row: &mut FileRow, info: &MediaInfo) {
        row.container = Some(info.container.name().into());
        row.media_kind = Some(info.kind.name().into());
        row.major_brand = info.major_brand.clone();
        row.compatible_brands =
            (!info.compatible_brands.is_empty()).then(|| info.compatible_brands.join(","));
        row.duration_s = info.duration_s.filter(|d| d.is_finite());
        if let Some(t) = info.creation_time {
            let (us, basis) = self.utc_us(t);
            row.creation_time_us = us;
            row.creation_time_basis = Some(basis);
        }
        row.creation_time_raw = info.creation_time_raw.clone();
        row.creation_time_source = info.creation_time_source.map(String::from);
        row.encoder = info.encoder.clone();
        row.software = info.software.clone();
        row.make = info.make.clone();
        row.model = info.model.clone();
        let join = |v: Vec<&str>| (!v.is_empty()).then(|| v.join(";"));
        row.handler_names = join(
            info.streams
                .iter()
                .filter_map(|s| s.handler_name.as_deref())
                .collect(),
        );
        row.compressor_names = join(
            info.streams
                .iter()
                .filter_map(|s| s.compressor.as_deref())
                .collect(),
        );
        if let Some((la, lo, al)) = info.gps {
            row.gps_lat = Some(la);
            row.gps_lon = Some(lo);
            row.gps_alt = al;
        }
        row.top_level_layout = (!info.layout.is_empty()).then(|| info.layout.join(","));
        row.fragmented = Some(info.fragmented);
        row.fragment_count = Some(info.fragments as i32);
        row.fragment_jump_s = info.fragment_jump.map(|j| j.size_s);
        row.fragment_jump_at_s = info.fragment_jump.map(|j| j.at_s);
        if matches!(
            info.container,
            media::Container::MpegTs | media::Container::HikTs
        ) {
            row.ts_pcr_jump_s = info.pcr_jump.map(|j| j.size_s);
            row.ts_pcr_jump_at_s = info.pcr_jump.map(|j| j.at_s);
            row.ts_continuity_errors = Some(info.continuity_errors as i32);
        }
        if matches!(
            info.container,
            media::Container::MpegPs | media::Container::HikPs | media::Container::Dav
        ) {
            row.ps_lost_places = Some(info.continuity_errors as i32);
        }
        row.stream_count = Some(info.streams.len() as i32);
        if let Some(v) = info.main_video() {
            row.video_codec = v.codec.clone();
            row.video_profile = v.profile.clone();
            row.width = v.width.map(|x| x as i32);
            row.height = v.height.map(|x| x as i32);
            row.frame_rate = v.frame_rate;
            row.video_sample_count = v.sample_count.map(|x| x as i64);
            row.frame_rate_stretch_at_s = v.rate_stretch.map(|r| r.at_s);
            row.frame_rate_stretch_s = v.rate_stretch.map(|r| r.length_s);
            row.frame_rate_stretch_fps = v.rate_stretch.map(|r| r.stretch_rate);
        }
        if let Some(a) = info.main_audio() {
            row.audio_codec = a.codec.clone();
            row.audio_sample_rate = a.sample_rate.map(|x| x as i32);
            row.audio_channels = a.channels.map(i32::from);
        }
        if let Some((i, j)) = largest_jump_of(info) {
            row.max_jump_s = Some(j.size_s);
            row.max_jump_at_s = Some(j.at_s);
            row.max_jump_stream = Some(i as i32);
            row.max_jump_other_s = info.jump_beside(i);
        }
        row.edit_list_entries = Some(info.streams.iter().map(|s| s.edit_count as i32).sum());
        row.edit_list_offsets =
            Some(info.streams.iter().filter(|s| s.starts_late()).count() as i32);
        row.sample_descriptions_max = info
            .streams
            .iter()
            .map(|s| s.sample_descriptions as i32)
            .max();
        row.parameter_sets_max = info.streams.iter().map(|s| s.parameter_sets as i32).max();
        row.notes = (!info.notes.is_empty()).then(|| info.notes.join("; "));
        if let Some(sc) = &info.sidecar {
            row.sidecar_category = sc.category.clone();
            row.sidecar_description = sc.description.clone();
            row.sidecar_described_at_us = sc
                .described_at
                .as_deref()
                .and_then(|t| context::parse_time(t, self.tz));
        }
    }

    /// One `streams` row per track of the parsed container.
    fn stream_rows(&self, row: &FileRow, info: &MediaInfo) -> Vec<StreamRow> {
        info.streams
            .iter()
            .enumerate()
            .map(|(i, s)| StreamRow {
                run_id: row.run_id.clone(),
                path: row.path.clone(),
                stream_index: i as i32,
                track_id: s.track_id.map(i64::from),
                kind: s.kind.clone(),
                codec: s.codec.clone(),
                codec_tag: s.codec_tag.clone(),
                profile: s.profile.clone(),
                width: s.width.map(|x| x as i32),
                height: s.height.map(|x| x as i32),
                frame_rate: s.frame_rate,
                sample_rate: s.sample_rate.map(|x| x as i32),
                channels: s.channels.map(i32::from),
                timescale: s.timescale.map(i64::from),
                duration_s: s.duration_s.filter(|d| d.is_finite()),
                sample_count: s.sample_count.map(|x| x as i64),
                sample_delta_min: s.delta_min.map(|x| x as i64),
                sample_delta_max: s.delta_max.map(|x| x as i64),
                sample_delta_typical: s.delta_typical.map(|x| x as i64),
                jump_s: s.jump.map(|j| j.size_s),
                jump_at_s: s.jump.map(|j| j.at_s),
                edit_list_entries: s.edit_count as i32,
                edit_list: (!s.edits.is_empty()).then(|| {
                    let v: Vec<serde_json::Value> = s
                        .edits
                        .iter()
                        .map(|e| serde_json::json!({"segment_duration": e.segment_duration, "media_time": e.media_time, "rate": e.rate}))
                        .collect();
                    serde_json::Value::Array(v).to_string()
                }),
                sample_descriptions: s.sample_descriptions as i32,
                sample_description_summary: (!s.description_summaries.is_empty()).then(|| s.description_summaries.join("; ")),
                handler_name: s.handler_name.clone(),
                compressor: s.compressor.clone(),
                language: s.language.clone(),
                parameter_sets: s.parameter_sets as i32,
                continuity_errors: s.continuity_errors as i32,
                creation_time_us: s.creation_time.and_then(|t| self.utc_us(t).0),
            })
            .collect()
    }
}

/// Test hook: `RECAUDIT_TEST_PANIC_ON=<file name>` makes reading that file panic, as a parser
/// bug would, so that tests can see the run survive it.
fn test_panic_on() -> Option<&'static str> {
    static NAME: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    NAME.get_or_init(|| std::env::var("RECAUDIT_TEST_PANIC_ON").ok())
        .as_deref()
}

/// ISO BMFF brands overlap in practice (an .mp4 with a 'qt  ' brand is common); treat the
/// family as matching.
fn same_family(expected: media::Container, found: media::Container) -> bool {
    use media::Container::*;
    let bmff = |c| matches!(c, Mp4 | Mov | ThreeGp | M4a | Heif);
    // `.doc` and `.docx` are swapped by hand and by WPS all the time; both are Office.
    let office = |c| matches!(c, Ooxml | Ole2);
    // Hikvision's recorders and clients name their program streams (and their other streams
    // after the vendor's media header) `.mp4`.
    let vendor = matches!((expected, found), (Mp4, HikPs | HikTs | Hik));
    expected == found
        || (bmff(expected) && bmff(found))
        || (office(expected) && office(found))
        || vendor
}
