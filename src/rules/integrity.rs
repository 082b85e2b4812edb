//! File integrity — 第二十八条(四) (records damaged or lost through improper storage) and
//! 第十二条(五) (duplicates).
//!
//! What it checks: `unreadable`, a file whose status is corrupt, truncated (including empty)
//! or unreadable, or whose content is not the media its name says, unless the run was refused
//! access to it (`access_denied`, INT-NOACCESS, warn: a storage setting, not a damaged record); `duplicate_content`,
//! identical footage (same BLAKE3: video, audio, photos; not case documents or sidecars) under
//! more than one path, each path reported with the others;
//! `second_version`, one device's recording under one file name and time in two folders with
//! other bytes (INT-VERSION).
//! Unsupported formats (Ogg, FLAC, documents) and symbolic links are not reported; nor is a
//! damaged file whose name and bytes name no format of a record (an empty marker a job
//! leaves, a recorder's GPS track or log left empty). A file read
//! cut short, or modified shortly before the run, that had grown by the end of the run's read
//! was still being written (an upload the run overlapped): `in_flight` (INT-INFLIGHT,
//! information), judged when read whole. So is a file read cut short whose last write was
//! less than `upload_settle_s` before the run, though it did not grow while read: an upload
//! that stalled, which its station completes or redoes; the first run after it has lain still
//! that long judges it (a segment cut off by a power cut is then INT-UNREADABLE, a night late).

use std::collections::HashMap;

use serde_json::json;

use super::{Ctx, Findings};

/// A file's path without its extension: a recording and the thumbnail a recorder writes
/// beside it (`…_0001.MP4`, `…_0001.JPG` or `.THM`) share it.
fn stem(path: &str) -> &str {
    match crate::pathinfo::extension(path) {
        Some(ext) => &path[..path.len() - ext.len() - 1],
        None => path,
    }
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    // The pictures a recorder writes beside its videos under their names (a thumbnail, `.JPG`
    // or `.THM`): of a recorder in a pocket or at night they are alike, byte for byte, as
    // plain black pictures are; no footage used twice (before 2026-12-07, INT-DUPLICATE on each).
    let videos: std::collections::HashSet<&str> = ctx
        .facts
        .iter()
        .filter(|f| f.media_kind.as_deref() == Some("video"))
        .map(|f| stem(&f.path))
        .collect();
    let thumbnail = |f: &crate::catalog::FileFacts| {
        f.media_kind.as_deref() == Some("photo") && videos.contains(stem(&f.path))
    };
    // Such a picture damaged (a thumbnail left empty or cut off when the recorder's power
    // failed, or by a copy) loses nothing of the record: the video is the footage, and its
    // own damage is its own finding. Told by its name alone, as a damaged picture may read
    // as no picture at all (before 2026-12-07, INT-UNREADABLE `high` on each).
    let damaged_thumbnail = |f: &crate::catalog::FileFacts| {
        videos.contains(stem(&f.path))
            && crate::pathinfo::extension(&f.path).is_some_and(|ext| {
                ["jpg", "jpeg", "thm"]
                    .iter()
                    .any(|t| ext.eq_ignore_ascii_case(t))
            })
    };
    let mut by_hash: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in ctx.facts.iter().enumerate() {
        // A storage server's thumbnail, a record in a recycle bin: judged by no file rule
        // ([`crate::pathinfo::is_no_record`]), nobody's copy.
        if crate::pathinfo::is_no_record(&f.path) {
            continue;
        }
        let status = f.status.as_ref();
        let temp = crate::pathinfo::is_transfer_temp(&f.path);
        if let Some((rule, message, details)) = verdict(ctx, f, temp)
            && !(rule == "INT-UNREADABLE" && damaged_thumbnail(f))
            && (temp || !no_record(f))
        {
            out.file(rule, f, message, details);
        }
        // A transfer's temporary copy is nobody's copy either: it becomes the file it copies.
        // Nor is a case document or a sidecar: 第十二条(五) concerns the footage, and one
        // document filed into two cases' folders (a notice served in both, a licence copied
        // into each) or two descriptions that say the same are no footage used twice (before
        // 2026-12-07, INT-DUPLICATE on each).
        if !temp
            && f.size_bytes > 0
            && status != "unsupported"
            && f.is_footage()
            && !thumbnail(f)
            && let Some(h) = f.blake3.as_deref()
        {
            by_hash.entry(h).or_default().push(i);
        }
    }
    let mut groups: Vec<(&str, Vec<usize>)> =
        by_hash.into_iter().filter(|(_, v)| v.len() > 1).collect();
    groups.sort();
    for (h, idx) in groups {
        // Names of one file (hard links: one device and inode) are no copies of it.
        let copies = {
            let mut files: Vec<(i64, i64)> = idx.iter().map(|&i| linked(&ctx.facts[i])).collect();
            files.sort_unstable();
            files.dedup();
            files.len()
        };
        if copies < 2 {
            continue;
        }
        for &i in &idx {
            let f = &ctx.facts[i];
            let others: Vec<&str> = idx
                .iter()
                .filter(|&&k| k != i && linked(&ctx.facts[k]) != linked(f))
                .take(10)
                .map(|&k| ctx.facts[k].path.as_ref())
                .collect();
            out.file(
                "INT-DUPLICATE",
                f,
                format!(
                    "{} has the same content as {} other file(s): {}",
                    f.file_name(),
                    copies - 1,
                    others.join(", ")
                ),
                json!({"blake3": h, "copies": copies, "names": idx.len(), "others": others}),
            );
        }
    }
    versions(ctx, out);
}

/// The file `f` is a name of: its device and inode, or its own row where the file system gave
/// no inode (then every name counts as a file of its own).
fn linked(f: &crate::catalog::FileFacts) -> (i64, i64) {
    match f.fs_file {
        (dev, ino) if ino != 0 => (dev, ino),
        _ => (i64::MIN, f.row as i64),
    }
}

/// Whether damaged file `f` (read, and found cut short or broken) was never a record: neither
/// its name nor its bytes name a format of one ([`crate::media::names_a_record`]): no
/// INT-UNREADABLE, nor INT-INFLIGHT while it is new. An empty marker an upload station or a job
/// leaves (`upload.done`, `_SUCCESS`, `….MP4.ok`, `.lock`), an empty GPS track or log a recorder
/// writes beside its video, a placeholder: nothing of the record was lost (before 2026-12-07,
/// twentieth round, INT-UNREADABLE `high` on each once it had lain still a day). Its row keeps
/// its status and error.
fn no_record(f: &crate::catalog::FileFacts) -> bool {
    // A file the run could not read at all (`unreadable`) is of no known content: judged.
    if !matches!(f.status.as_ref(), "truncated" | "corrupt") {
        return false;
    }
    let recognised = f.container.as_deref().is_some_and(|c| c != "unknown");
    let ext = crate::pathinfo::extension(&f.path).map(str::to_ascii_lowercase);
    !recognised && !ext.is_some_and(|e| crate::media::names_a_record(&e))
}

/// What file `f`'s state says, if anything: still arriving (a transfer's temporary copy, `temp`;
/// a file grown while read; an upload that stalled), refused to the run, or damaged.
fn verdict(
    ctx: &Ctx,
    f: &crate::catalog::FileFacts,
    temp: bool,
) -> Option<(&'static str, String, serde_json::Value)> {
    let (status, name) = (f.status.as_ref(), f.file_name());
    let error = f.error.as_deref().unwrap_or("");
    Some(if temp {
        // Cut short while written, renamed when done.
        (
            "INT-INFLIGHT",
            format!(
                "{name} is a file transfer's temporary copy (renamed to its real name when the transfer is done): not judged ({status} as read)"
            ),
            json!({"status": status, "error": f.error, "transfer_temp": true}),
        )
    } else if f.odd().being_written {
        // Cut short as read, grown by the time the read was done: an upload still writing
        // it. Judged when a later run reads it whole (then `completed`, not `modified`).
        (
            "INT-INFLIGHT",
            format!(
                "{name} was still being written when this run read it (larger or newer by the end of the read; {status} as read): not judged until a later run reads it whole"
            ),
            json!({"status": status, "error": f.error}),
        )
    } else if status == "unreadable" && crate::read::access_denied(error) {
        // The storage refused the run (a file an upload station wrote for its own user
        // only): nothing is known of the record's state, and nothing is wrong with it yet.
        (
            "INT-NOACCESS",
            format!(
                "{name} could not be read: the run was refused access ({error}); not judged until the scanner's account may read it"
            ),
            json!({"status": status, "error": f.error}),
        )
    } else if let Some(ago) = settling(ctx, f) {
        // Cut short, not growing, written to lately: an upload that stalled (a station's
        // copy waits for its network or its next start, then completes or redoes it).
        // Judged damaged only once it has lain still for `upload_settle_s`.
        (
            "INT-INFLIGHT",
            format!(
                "{name} is cut short and was last written {} before this run: an upload that stalled is completed or redone by its station; judged at the first run {} after its last write",
                span(ago),
                span(ctx.settings.upload_settle_s),
            ),
            json!({"status": status, "error": f.error, "stalled": true, "last_written_s_before_run": ago.round()}),
        )
    } else if matches!(status, "corrupt" | "truncated" | "unreadable") {
        (
            "INT-UNREADABLE",
            format!("{name} is {status}: {error}"),
            json!({"status": status, "error": f.error}),
        )
    } else if status == "ok" && f.extension_matches == Some(false) {
        (
            "INT-UNREADABLE",
            format!(
                "{name} is not the media its name says: its content is {}",
                f.container.as_deref().unwrap_or("unknown")
            ),
            json!({"container": f.container}),
        )
    } else {
        return None;
    })
}

/// For a file read cut short (`truncated`, not growing while read) whose last write was less
/// than `upload_settle_s` before the run: how long before (seconds; 0 for a write after the
/// run began). A file cut off by a power cut is cut short as well, and is judged the first
/// run after it has lain still that long.
fn settling(ctx: &Ctx, f: &crate::catalog::FileFacts) -> Option<f64> {
    let settle_us = (ctx.settings.upload_settle_s * 1e6) as i64;
    if f.status.as_ref() != "truncated" || settle_us <= 0 {
        return None;
    }
    let ago_us = ctx.now_us.saturating_sub(f.mtime_us?).max(0);
    (ago_us < settle_us).then_some(ago_us as f64 / 1e6)
}

/// A span of seconds in words: `40 min`, `6.5 h`.
fn span(s: f64) -> String {
    if s < 5_400.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3_600.0)
    }
}

/// `second_version` (INT-VERSION): one device's recording under one file name in two folders
/// with other bytes (a station's second upload re-muxed, or one of them altered and put back).
/// Each file of such a name is reported with the others; a copy (the same bytes) is
/// INT-DUPLICATE's, a recorder's two lenses or streams have names of their own, and a
/// platform's preview under the segment's name is smaller (a companion).
fn versions(ctx: &Ctx, out: &mut Findings) {
    type Key<'a> = (&'a str, &'a str, Option<i32>, Option<i32>);
    let mut by_name: HashMap<(Key, usize), Vec<usize>> = HashMap::new();
    // A platform's preview of a segment under the segment's name is its companion (smaller
    // pictures), no version of it.
    let runs = ctx.same_start(|f| {
        f.device_id.is_some()
            && f.blake3.is_some()
            && f.is_recording()
            && f.status.as_ref() == "ok"
            && f.size_bytes > 0
            && ctx
                .sessions
                .main_of(f.row)
                .is_none_or(|m| ctx.facts[m].blake3 == f.blake3)
    });
    for (r, run) in runs.into_iter().enumerate() {
        for i in run {
            let f = &ctx.facts[i];
            if let Some(d) = f.device_id.as_deref() {
                let key = (d, f.file_name(), f.width, f.height);
                by_name.entry((key, r)).or_default().push(i);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = by_name
        .into_values()
        .filter(|idx| {
            let mut h: Vec<&str> = idx
                .iter()
                .filter_map(|&i| ctx.facts[i].blake3.as_deref())
                .collect();
            h.sort_unstable();
            h.dedup();
            h.len() > 1
        })
        .collect();
    groups.sort();
    for idx in groups {
        for &i in &idx {
            let f = &ctx.facts[i];
            let others: Vec<&str> = idx
                .iter()
                .filter(|&&k| k != i && ctx.facts[k].blake3 != f.blake3)
                .take(10)
                .map(|&k| ctx.facts[k].path.as_ref())
                .collect();
            out.file(
                "INT-VERSION",
                f,
                format!(
                    "{}: another file of this name and recording time holds other bytes: {} (a second upload re-muxed, or one of them altered; compare them)",
                    f.file_name(),
                    others.join(", ")
                ),
                json!({"blake3": f.blake3, "others": others}),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{FileFacts, TextFacts};

    fn unreadable(row: usize, path: &str, error: &str) -> FileFacts {
        FileFacts {
            row,
            path: path.into(),
            text: TextFacts {
                status: "unreadable".into(),
                error: Some(error.into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        }
    }

    fn file(row: usize, path: &str, kind: &str, hash: &str) -> FileFacts {
        let mut f = unreadable(row, path, "");
        f.size_bytes = 1000;
        f.blake3 = Some(hash.into());
        f.text = TextFacts {
            status: "ok".into(),
            media_kind: Some(kind.into()),
            ..Default::default()
        }
        .into();
        f
    }

    /// File `row` at `path` of media kind `kind`, read and found `status`, its bytes taken for
    /// `container` when given.
    fn damaged(
        row: usize,
        path: &str,
        kind: &str,
        status: &str,
        container: Option<&str>,
    ) -> FileFacts {
        let mut f = file(row, path, kind, &format!("h{row}"));
        f.text = TextFacts {
            status: status.into(),
            container: container.map(Into::into),
            ..(*f.text).clone()
        }
        .into();
        f
    }

    /// The findings of rules starting `prefix` on `facts`: (rule, path), sorted.
    fn found(facts: &[FileFacts], prefix: &str) -> Vec<(String, String)> {
        let a = crate::analyse::analyse(
            facts,
            &crate::rules::RuleSettings::default(),
            chrono_tz::UTC,
            "r",
            0,
        );
        let mut out: Vec<(String, String)> = a
            .findings
            .iter()
            .filter(|f| f.rule_id.starts_with(prefix))
            .map(|f| (f.rule_id.to_string(), f.path.clone().unwrap_or_default()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn footage_used_twice_is_a_duplicate_but_a_document_in_two_cases_or_a_thumbnail_is_not() {
        let facts = [
            file(0, "/ev/案卷/AJ-1/告知书.pdf", "document", "d"),
            file(1, "/ev/案卷/AJ-2/告知书.pdf", "document", "d"),
            file(2, "/ev/a.json", "sidecar", "s"),
            file(3, "/ev/b.json", "sidecar", "s"),
            file(4, "/ev/DSJ1/a.MP4", "video", "v"),
            file(5, "/ev/案卷/AJ-1/a.MP4", "video", "v"),
            file(6, "/ev/DSJ1/p.JPG", "photo", "p"),
            file(7, "/ev/案卷/AJ-2/p.JPG", "photo", "p"),
            // Black thumbnails beside their videos, alike byte for byte.
            file(8, "/ev/DSJ2/x_0001.MP4", "video", "x1"),
            file(9, "/ev/DSJ2/x_0001.JPG", "photo", "t"),
            file(10, "/ev/DSJ2/x_0002.MP4", "video", "x2"),
            file(11, "/ev/DSJ2/x_0002.THM", "photo", "t"),
        ];
        let paths: Vec<String> = found(&facts, "INT-DUPLICATE")
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(
            paths,
            [
                "/ev/DSJ1/a.MP4",
                "/ev/DSJ1/p.JPG",
                "/ev/案卷/AJ-1/a.MP4",
                "/ev/案卷/AJ-2/p.JPG"
            ]
        );
    }

    #[test]
    fn a_damaged_thumbnail_beside_its_video_is_no_damaged_record() {
        let facts = [
            file(0, "/ev/DSJ2/x_0001.MP4", "video", "x1"),
            // Left empty (no picture read), or cut off.
            damaged(1, "/ev/DSJ2/x_0001.THM", "other", "truncated", None),
            damaged(2, "/ev/DSJ2/x_0001.JPG", "photo", "truncated", None),
            // A photo of its own number, a damaged video, a picture beside no video.
            damaged(3, "/ev/DSJ2/x_0002.JPG", "photo", "truncated", None),
            damaged(4, "/ev/DSJ2/x_0003.MP4", "video", "truncated", None),
            damaged(5, "/ev/DSJ2/x_0003.JPG", "photo", "corrupt", None),
            damaged(6, "/ev/DSJ2/y_0001.THM", "other", "truncated", None),
        ];
        assert_eq!(
            found(&facts, "INT-UNREADABLE"),
            [
                (
                    "INT-UNREADABLE".to_string(),
                    "/ev/DSJ2/x_0002.JPG".to_string()
                ),
                (
                    "INT-UNREADABLE".to_string(),
                    "/ev/DSJ2/x_0003.MP4".to_string()
                ),
                (
                    "INT-UNREADABLE".to_string(),
                    "/ev/DSJ2/y_0001.THM".to_string()
                ),
            ]
        );
    }

    #[test]
    fn an_empty_marker_or_log_is_no_damaged_record_but_an_empty_record_is() {
        let empty = |row: usize, path: &str, container: &str| {
            damaged(row, path, "other", "truncated", Some(container))
        };
        let facts = [
            file(0, "/ev/DSJ2/x_0001.MP4", "video", "x1"),
            // Markers an upload or a job leaves, a lock, a recorder's GPS track and log.
            empty(1, "/ev/DSJ2/x_0001.MP4.ok", "unknown"),
            empty(2, "/ev/DSJ2/_SUCCESS", "unknown"),
            empty(3, "/ev/DSJ2/upload.done", "unknown"),
            empty(4, "/ev/DSJ2/.lock", "unknown"),
            empty(5, "/ev/DSJ2/x_0001.NMEA", "unknown"),
            empty(6, "/ev/DSJ2/x_0001.log", "unknown"),
            // Records: a recording, a photo, a document, a description, a vendor's stream,
            // whatever their case; and bytes read as a recording under any name.
            empty(7, "/ev/DSJ2/x_0002.mp4", "unknown"),
            empty(8, "/ev/DSJ2/x_0003.JPG", "unknown"),
            empty(9, "/ev/案卷/AJ-1/notice.pdf", "unknown"),
            empty(10, "/ev/DSJ2/x_0004.json", "unknown"),
            empty(11, "/ev/DSJ3/ch01_0001.dav", "unknown"),
            empty(12, "/ev/DSJ2/x_0005.bin", "mp4"),
        ];
        let paths = |facts: &[FileFacts], rule: &str| -> Vec<String> {
            found(facts, rule).into_iter().map(|(_, p)| p).collect()
        };
        // Written a moment ago: the records are uploads that may still complete, the rest
        // nothing at all.
        let new: Vec<FileFacts> = facts
            .iter()
            .map(|f| FileFacts {
                mtime_us: Some(0),
                ..f.clone()
            })
            .collect();
        assert_eq!(paths(&new, "INT-"), paths(&facts, "INT-UNREADABLE"));
        assert!(
            paths(&new, "INT-")
                .iter()
                .all(|p| paths(&new, "INT-INFLIGHT").contains(p))
        );
        assert_eq!(
            paths(&facts, "INT-"),
            [
                "/ev/DSJ2/x_0002.mp4",
                "/ev/DSJ2/x_0003.JPG",
                "/ev/DSJ2/x_0004.json",
                "/ev/DSJ2/x_0005.bin",
                "/ev/DSJ3/ch01_0001.dav",
                "/ev/案卷/AJ-1/notice.pdf",
            ]
        );
    }

    #[test]
    fn a_file_the_run_may_not_read_is_no_damaged_record() {
        // An upload station writing for its own user (mode 0600), a folder it keeps closed,
        // and beside them a disk's read error: only the last says the record is damaged.
        let facts = [
            unreadable(
                0,
                "/ev/DSJ1/a.MP4",
                "cannot open: Permission denied (os error 13)",
            ),
            unreadable(
                1,
                "/ev/DSJ1/closed",
                "cannot list directory: Permission denied (os error 13)",
            ),
            unreadable(
                2,
                "/ev/DSJ1/b.MP4",
                "cannot open: Operation not permitted (os error 1)",
            ),
            unreadable(
                3,
                "/ev/DSJ1/c.MP4",
                "read failed after 65536 bytes: Input/output error (os error 5)",
            ),
        ];
        assert_eq!(
            found(&facts, "INT-"),
            [
                ("INT-NOACCESS".to_string(), "/ev/DSJ1/a.MP4".to_string()),
                ("INT-NOACCESS".to_string(), "/ev/DSJ1/b.MP4".to_string()),
                ("INT-NOACCESS".to_string(), "/ev/DSJ1/closed".to_string()),
                ("INT-UNREADABLE".to_string(), "/ev/DSJ1/c.MP4".to_string()),
            ]
        );
    }
}
