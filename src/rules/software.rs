//! Re-encoded or edited files — 第十二条(五): no selective cutting, no after-the-fact
//! re-recording. A file that passed through editing or transcoding software carries that
//! software's traces.
//!
//! What it checks: encoder, software, handler and compressor names of editing software
//! (Premiere, Final Cut, DaVinci, HandBrake, CapCut/剪映, 爱剪辑, 会声会影, 格式工厂 and others);
//! and, against the device's habits in a comparable group read in time order ([`habits`]):
//! a one-off run of files whose software strings (encoder, software, handler and compressor
//! names), edit lists (among files of the same layout, fragmented or not) or coding
//! parameters (for files not judged inside a session by the inserted-footage rule) differ
//! from the files before and after it. General-purpose muxers such as FFmpeg's `Lavf` are
//! judged only against the device's habits, since some recorders use them.
//!
//! What it does not count as evidence: the box layout alone (a crash-safe fragmented segment,
//! `moov` before or after `mdat`), the brand, a difference between kinds of file (voice-mode
//! audio, photos) or container families, and a change that stays for every later file — that
//! is a firmware update, reported once as `firmware_change` (information).

use serde_json::json;

use super::traces;
use super::{Ctx, Findings, Target, coding, habits, local};
use crate::catalog::FileFacts;

/// More edit-list entries than one a track, a track's leading empty edit not counted (it
/// delays the track's start, as a muxer writes a sound that began a moment after the picture;
/// it cuts nothing: `files.edit_list_offsets`).
fn extra_edits(f: &FileFacts) -> bool {
    let offsets = f.odd().edit_list_offsets.unwrap_or(0);
    f.edit_list_entries.unwrap_or(0) - offsets > f.stream_count.unwrap_or(0)
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    for f in ctx
        .facts
        .iter()
        .filter(|f| f.status.as_ref() == "ok" && f.is_recording())
    {
        if let Some((tool, value)) = ctx.editor(f) {
            out.file(
                "ENC-TOOL",
                f,
                format!(
                    "{} was written by editing software ({value})",
                    f.file_name()
                ),
                json!({"tool": tool, "value": value}),
            );
        }
    }
    for g in habits::groups(ctx.facts) {
        software_habit(ctx, &g, out);
        edit_habit(&g, out);
        coding_habit(ctx, &g, out);
    }
    container_changes(ctx, out);
}

/// One-off software strings in a group (ENC-FINGERPRINT); new strings that stay
/// (FW-CHANGE, information).
fn software_habit(ctx: &Ctx, g: &habits::Group, out: &mut Findings) {
    let values: Vec<&str> = g.files.iter().map(|f| ctx.fp(f)).collect();
    let shape = habits::shape(&values);
    for (p, h) in shape.deviations {
        let f = g.files[p];
        if traces::only_tracks_apart(values[p], values[h]) {
            continue;
        }
        out.file(
            "ENC-FINGERPRINT",
            f,
            format!(
                "{} was not written like this device's {} files before and after it: {} instead of {}",
                f.file_name(),
                g.kind,
                values[p],
                values[h]
            ),
            json!({"file": values[p], "device": values[h], "group": group_json(g)}),
        );
    }
    for (new, old) in shape.changes {
        let (f, before) = (g.files[new], g.files[old]);
        out.file(
            "FW-CHANGE",
            f,
            format!(
                "from {} on, this device's {} files are written by {} (until {}: {}): a firmware update",
                f.file_name(),
                g.kind,
                values[new],
                before.file_name(),
                values[old]
            ),
            json!({"after": values[new], "before": values[old], "last_before": before.path, "group": group_json(g)}),
        );
    }
}

/// One-off edit lists beyond one per track (ENC-EDITS), among files of the same layout.
fn edit_habit(g: &habits::Group, out: &mut Findings) {
    for fragmented in [false, true] {
        let files: Vec<&FileFacts> = g
            .files
            .iter()
            .copied()
            .filter(|f| is_fragmented(f) == fragmented)
            .collect();
        let values: Vec<bool> = files.iter().map(|f| extra_edits(f)).collect();
        for (p, _) in habits::shape(&values).deviations {
            let f = files[p];
            if !values[p] {
                continue;
            }
            out.add(
                "ENC-EDITS",
                Target { file: Some(f), ..Default::default() },
                f.start_us(),
                None,
                None,
                format!(
                    "{} has {} edit-list entries over {} tracks, where this device's files before and after it have at most one per track",
                    f.file_name(),
                    f.edit_list_entries.unwrap_or(0),
                    f.stream_count.unwrap_or(0)
                ),
                json!({"edit_list_entries": f.edit_list_entries, "streams": f.stream_count}),
            );
        }
    }
}

/// One-off coding parameters of a file recorded on its own (ENC-PARAMS); inside a session of
/// several files the inserted-footage rule judges it. A one-off written by the device's own
/// software (the same software strings as the nearest recording with the usual parameters
/// before or after it, no editing software) whose encoder works by the same hand
/// ([`same_hand`]) is the recorder itself at another setting for one recording — a lower
/// resolution, another frame rate — and is information (ENC-SETTING): a re-encode by other
/// software leaves that software's strings (ENC-FINGERPRINT, ENC-TOOL) or another encoder's
/// hand.
fn coding_habit(ctx: &Ctx, g: &habits::Group, out: &mut Findings) {
    let values: Vec<&str> = g.files.iter().map(|f| ctx.sig(f)).collect();
    for (p, h) in habits::shape(&values).deviations {
        let (f, usual) = (g.files[p], g.files[h]);
        if coding::alike(values[p], values[h]) {
            continue;
        }
        let in_session =
            ctx.sessions.of_file[f.row].is_some_and(|k| ctx.sessions.list[k].members.len() >= 2);
        if in_session {
            continue;
        }
        // Written by the software of the device's nearest recording with its usual parameters
        // before it or after it (one of them may itself be odd in its strings: a splice's
        // remux; a file of the same one-off run is no witness).
        let before = (0..p).rev().find(|&k| values[k] == values[h]);
        let after = (p + 1..values.len()).find(|&k| values[k] == values[h]);
        let own_software = [before, after]
            .into_iter()
            .flatten()
            .any(|k| ctx.fp(g.files[k]) == ctx.fp(f));
        let own = ctx.editor(f).is_none() && own_software && same_hand(f, usual);
        let (rule, tail) = if own {
            (
                "ENC-SETTING",
                ", written by the same software with the same encoder habits: a setting changed for this recording",
            )
        } else {
            ("ENC-PARAMS", "")
        };
        out.file(
            rule,
            f,
            format!(
                "{} is {} but this device's {} files before and after it are {}{tail}",
                f.file_name(),
                coding::describe(f),
                g.kind,
                coding::describe(usual)
            ),
            json!({"file": values[p], "device": values[h], "software": ctx.fp(f), "coding_habits": f.coding_habits, "device_coding_habits": usual.coding_habits}),
        );
    }
}

/// Whether two files' encoders work by the same hand where a setting of picture size or frame
/// rate leaves it alone: the entropy coder, B-frames or none, the picture order count type,
/// and for HEVC the coding tree and partition settings (`files.coding_habits`' tokens; the
/// keyframe interval, initial QP and reference count may follow the setting). Unknown habits
/// (not read) are no difference, nor are the habits of two codecs (a recorder whose setting
/// records H.264 at one resolution and HEVC at another: one chip's two encoders, whose tokens
/// have nothing in common; the software strings judge it alone).
fn same_hand(a: &FileFacts, b: &FileFacts) -> bool {
    if a.video_codec != b.video_codec {
        return true;
    }
    const HAND: [&str; 8] = [
        "cabac",
        "cavlc",
        "bframes",
        "no-bframes",
        "poc",
        "hevc",
        "ctb",
        "amp",
    ];
    let hand = |h: &str| -> Vec<String> {
        h.split_whitespace()
            .filter(|t| HAND.iter().any(|p| t.starts_with(p)))
            .map(str::to_string)
            .collect()
    };
    match (a.coding_habits.as_deref(), b.coding_habits.as_deref()) {
        (Some(x), Some(y)) => hand(x) == hand(y),
        _ => true,
    }
}

/// A device's recordings of one kind moving to another container family for good (FW-CHANGE);
/// its own recordings, not its live stream's pieces, which a media server writes in a
/// container of its own (before 2026-12-08 a device whose last files were live pieces was
/// said to have moved to FLV "by a firmware update").
fn container_changes(ctx: &Ctx, out: &mut Findings) {
    for (_, kind, mut files) in habits::by_kind(ctx.facts) {
        files.retain(|f| !crate::sessions::is_live(f));
        let values: Vec<&str> = files
            .iter()
            .map(|f| habits::family(f.container.as_deref().unwrap_or("")))
            .collect();
        for (new, old) in habits::shape(&values).changes {
            let (f, before) = (files[new], files[old]);
            out.file(
                "FW-CHANGE",
                f,
                format!(
                    "from {} ({}) on, this device's {kind} files are {} (until {}: {}): a firmware update or a new recording mode",
                    f.file_name(),
                    f.start_us().map(|t| local(ctx, t)).unwrap_or_default(),
                    f.container.as_deref().unwrap_or("?"),
                    before.file_name(),
                    before.container.as_deref().unwrap_or("?")
                ),
                json!({"after": f.container, "before": before.container, "last_before": before.path}),
            );
        }
    }
}

/// Fragmented ISO BMFF (movie fragments at the top level), as crash-safe recording modes write.
fn is_fragmented(f: &FileFacts) -> bool {
    f.top_level_layout
        .as_deref()
        .is_some_and(|l| l.split(',').any(|b| b.starts_with("moof")))
}

fn group_json(g: &habits::Group) -> serde_json::Value {
    json!({"device": g.device, "kind": g.kind, "container_family": g.family, "files": g.files.len()})
}

#[cfg(test)]
mod tests {
    use super::{extra_edits, same_hand};
    use crate::catalog::{FileFacts, Rare, TextFacts};

    fn edited(entries: i32, offsets: Option<i32>) -> FileFacts {
        FileFacts {
            stream_count: Some(2),
            edit_list_entries: Some(entries),
            rare: Rare {
                edit_list_offsets: offsets,
                ..Default::default()
            }
            .boxed(),
            ..Default::default()
        }
    }

    #[test]
    fn a_tracks_late_start_is_no_edit_but_a_cut_beside_it_is() {
        // One plain edit a track (as ffmpeg writes): none extra.
        assert!(!extra_edits(&edited(2, Some(0))));
        // The sound starting 0.3 s after the picture: an empty edit before its plain one.
        assert!(!extra_edits(&edited(3, Some(1))));
        // A row carried from a catalogue written before the column: counted as before.
        assert!(extra_edits(&edited(3, None)));
        // Two plain edits on a track (a span left out), the late start beside them.
        assert!(extra_edits(&edited(4, Some(1))));
    }

    fn coded(codec: &str, habits: &str) -> FileFacts {
        FileFacts {
            text: TextFacts {
                video_codec: Some(codec.into()),
                coding_habits: Some(habits.into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_hands_of_two_codecs_are_not_compared() {
        let hevc = coded("hevc", "hevc ctb64 cb8 amp0 poc8 no-bframes gop25 qp26");
        let avc = coded("h264", "cabac ref1 no-bframes gop25 qp28 poc2");
        assert!(same_hand(&hevc, &avc));
        // One codec: the entropy coder or B-frames another encoder's.
        assert!(!same_hand(
            &avc,
            &coded("h264", "cavlc ref1 no-bframes gop25 qp28 poc2")
        ));
        assert!(same_hand(
            &avc,
            &coded("h264", "cabac ref3 no-bframes gop50 qp32 poc2")
        ));
    }
}
