//! Inserted footage — 第十二条(五): no inserted footage. A recorder encodes one recording with
//! one set of coding parameters; footage spliced in from elsewhere brings its own.
//!
//! What it checks: a track with several sample descriptions (`stsd` entries: the parameters
//! change inside the file); more than one distinct H.264 sequence parameter set in a stream
//! (in-band in MPEG-TS; in MP4 in the sample descriptions or, as picture formats, in-band at
//! the sync samples); a stretch of a video track at another steady frame rate between two runs
//! of its usual one (sample durations switch and switch back: no single jump; when the
//! picture's clock, read at a keyframe inside the stretch, runs on through it, the recorder
//! changed its own rate, as many do in low light, and the stretch is reported as
//! information, OSD-RATE, not as inserted footage; likewise, without a display read, when the
//! encoder numbered its pictures on across both edges of the stretch, `files.stretch_coded_across`:
//! TIME-RATE, information, since footage copied in begins at a keyframe of its own); and a segment whose coding parameters
//! (codec, profile, picture size, frame rate, audio format) differ from those shared by the
//! rest of its session (a majority of at least two other segments). Example: a session of
//! 1920x1080 segments with one 1280x720 segment in the middle.
//!
//! One manipulation, one kind: a segment with other parameters that also carries other
//! software's traces (editing-software names, or software strings unlike the rest of its
//! session) while its place in the session's timeline is continuous is the session's own
//! recording re-encoded — `reencoded` (ENC-PARAMS), not `inserted_footage`. Foreign content
//! shows as parameters that change inside a file, other parameters with the session's own
//! software (another recorder's footage), or a segment that does not fit the timeline.

use serde_json::json;

use std::collections::HashMap;

use super::{Ctx, Findings, Target, majority};
use crate::catalog::FileFacts;

/// For each device and media kind (video, audio), the coding signature shared by a majority
/// (at least two) of its readable recordings of that kind; of its own recordings, not of its
/// live stream's (`sessions::is_live`: a smaller stream the server recorded, whose many
/// pieces would otherwise outvote the card's).
pub fn device_norms<'a>(ctx: &'a Ctx<'a>) -> HashMap<(&'a str, &'a str), &'a str> {
    let mut by_device: HashMap<(&str, &str), Vec<&FileFacts>> = HashMap::new();
    for f in ctx
        .facts
        .iter()
        .filter(|f| f.status.as_ref() == "ok" && f.is_recording() && !crate::sessions::is_live(f))
    {
        if let (Some(d), Some(k)) = (f.device_id.as_deref(), f.media_kind.as_deref()) {
            by_device.entry((d, k)).or_default().push(f);
        }
    }
    by_device
        .into_iter()
        .filter_map(|(d, files)| majority(files.iter().map(|f| ctx.sig(f)), 2).map(|n| (d, n)))
        .collect()
}

/// The coding parameters a recorder keeps constant within a recording.
pub fn signature(f: &FileFacts) -> String {
    format!(
        "{}|{}|{}x{}|{}|{}|{}|{}",
        f.video_codec.as_deref().unwrap_or("-"),
        f.video_profile.as_deref().unwrap_or("-"),
        f.width.unwrap_or(0),
        f.height.unwrap_or(0),
        f.frame_rate.map(|r| format!("{r:.2}")).unwrap_or_default(),
        f.audio_codec.as_deref().unwrap_or("-"),
        f.audio_sample_rate.unwrap_or(0),
        f.audio_channels.unwrap_or(0)
    )
}

/// Whether `b`'s [`signature`] is `a`'s, known without formatting either: the same shared
/// text facts and the same numbers.
pub fn same_signature(a: &FileFacts, b: &FileFacts) -> bool {
    std::sync::Arc::ptr_eq(&a.text, &b.text)
        && (a.width, a.height, a.audio_sample_rate, a.audio_channels)
            == (b.width, b.height, b.audio_sample_rate, b.audio_channels)
        && a.frame_rate.map(f64::to_bits) == b.frame_rate.map(f64::to_bits)
}

/// Whether coding signature `odd` is `usual` but for what tells no other footage: a track it
/// lacks ([`only_missing_track`]) or a frame rate near the usual one, or not stated by one of
/// them ([`only_rate_near`]).
/// Neither a session's segment (INS-SESSION) nor a recording made alone (ENC-PARAMS,
/// ENC-SETTING) is judged by such a difference.
pub fn alike(odd: &str, usual: &str) -> bool {
    only_missing_track(odd, usual) || only_rate_near(odd, usual)
}

/// Whether coding signature `odd` differs from `usual` only by a track it lacks (no audio: a
/// muted or video-only recording; no video: voice only), the other track's parameters equal.
fn only_missing_track(odd: &str, usual: &str) -> bool {
    let (Some(a), Some(b)) = (parts(odd), parts(usual)) else {
        return false;
    };
    let (video, audio) = (0..4, 4..7);
    let no_video = a[video.clone()] == ["-", "-", "0x0", ""];
    let no_audio = a[audio.clone()] == ["-", "0", "0"];
    (no_audio && a[video.clone()] == b[video]) || (no_video && a[audio.clone()] == b[audio])
}

/// A readable form of the signature difference.
pub fn describe(f: &FileFacts) -> String {
    let mut s = String::new();
    if let Some(c) = f.video_codec.as_deref() {
        s.push_str(&format!(
            "{c} {} {}x{}",
            f.video_profile.as_deref().unwrap_or(""),
            f.width.unwrap_or(0),
            f.height.unwrap_or(0)
        ));
        if let Some(r) = f.frame_rate {
            s.push_str(&format!(" {r:.2} fps"));
        }
    }
    if let Some(a) = f.audio_codec.as_deref() {
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(&format!(
            "{a} {} Hz {} ch",
            f.audio_sample_rate.unwrap_or(0),
            f.audio_channels.unwrap_or(0)
        ));
    }
    s
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    for f in ctx.facts {
        if f.status.as_ref() != "ok" {
            continue;
        }
        if let Some(n) = f.sample_descriptions_max.filter(|n| *n > 1) {
            out.add(
                "INS-STSD",
                Target { file: Some(f), ..Default::default() },
                f.start_us(),
                None,
                None,
                format!("{} has a track with {n} sample descriptions: its coding parameters change inside the file", f.file_name()),
                json!({"sample_descriptions": n}),
            );
        }
        if let Some((at, len, fps)) = f.odd().frame_rate_stretch {
            let usual = f.frame_rate.unwrap_or(0.0);
            let what = format!(
                "{} runs at {fps:.2} fps for {len:.1} s from {at:.1} s, between stretches at its usual {usual:.2} fps",
                f.file_name()
            );
            let mut details =
                json!({"at_s": at, "length_s": len, "stretch_fps": fps, "usual_fps": usual});
            // The picture as the second witness: a recorder that lowers its frame rate in low
            // light keeps its clock running through the stretch; footage of another time
            // spliced in shows that time.
            let (id, message) = match super::display::runs_on_through_stretch(ctx, f) {
                Some(step) => {
                    details["osd_step_s"] = json!(step);
                    details["osd_confidence"] = json!(f.odd().osd_stretch.map(|(_, c)| c));
                    (
                        "OSD-RATE",
                        format!(
                            "{what}, and the picture's clock runs on through it ({step:+.0} s against the file's start): the recorder changed its frame rate; no footage of another time"
                        ),
                    )
                }
                // The bitstream as the other witness: a recorder's encoder numbers its pictures
                // on across its own change of rate; footage of another rate copied in begins
                // at a keyframe of its own, and the footage after it resumes at one.
                None if f.odd().stretch_coded_across == Some(true) => {
                    details["coded_across"] = json!(true);
                    (
                        "TIME-RATE",
                        format!(
                            "{what}, and the encoder numbered its pictures on across both its edges: the recorder changed its capture rate; no footage copied in"
                        ),
                    )
                }
                None => (
                    "INS-RATE",
                    format!("{what}: footage recorded at another rate was spliced in"),
                ),
            };
            out.add(
                id,
                Target {
                    file: Some(f),
                    ..Default::default()
                },
                f.start_us().map(|t| t + (at * 1e6) as i64),
                Some(at),
                Some(len),
                message,
                details,
            );
        }
        // Not in a live stream's recording, whose picture format follows the network (a
        // recorder lowering its live stream's size as its bandwidth falls), as its pieces'
        // parameters are not judged against each other either.
        if let Some(n) = f
            .parameter_sets_max
            .filter(|n| *n > 1 && !crate::sessions::is_live(f))
        {
            out.add(
                "INS-SPS",
                Target { file: Some(f), ..Default::default() },
                f.start_us(),
                None,
                None,
                format!("{} carries {n} different sequence parameter sets: the picture format changes mid-stream", f.file_name()),
                json!({"parameter_sets": n}),
            );
        }
    }
    let device_norm = device_norms(ctx);
    for s in &ctx.sessions.list {
        // A live stream's pieces follow the network (a recorder lowering its live stream's
        // size or rate as its bandwidth falls) and are the server's copy: not judged.
        if s.members.len() < 2 || s.live {
            continue;
        }
        // Like with like: a session's video segments against its video, its voice-mode audio
        // against its audio (a recorder's sound-only recordings are written by another part of
        // it, in another format, and are no footage inserted among its videos).
        for kind in ["video", "audio"] {
            let ok: Vec<&FileFacts> = s
                .members
                .iter()
                .map(|&i| &ctx.facts[i])
                .filter(|f| f.status.as_ref() == "ok" && f.media_kind.as_deref() == Some(kind))
                .collect();
            if ok.len() >= 2 {
                session_parameters(
                    ctx,
                    s,
                    &ok,
                    device_norm.get(&(s.device.as_str(), kind)),
                    out,
                );
            }
        }
    }
}

/// INS-SESSION, ENC-PARAMS or OSD-RATE for the segments of one kind of session `s` (`ok`, in
/// time order) whose coding parameters differ from the rest's.
fn session_parameters(
    ctx: &Ctx,
    s: &crate::sessions::Session,
    ok: &[&FileFacts],
    device_norm: Option<&&str>,
    out: &mut Findings,
) {
    // The session's own majority; in a short session, the device's habit when at least one
    // member follows it.
    let norm = majority(ok.iter().map(|f| ctx.sig(f)), 2).or_else(|| {
        device_norm
            .filter(|n| ok.iter().any(|f| ctx.sig(f) == **n))
            .copied()
    });
    let Some(norm) = norm else { return };
    let example = ok
        .iter()
        .find(|f| ctx.sig(f) == norm)
        .map(|f| describe(f))
        .unwrap_or_default();
    // The software the session's files with the usual parameters were written by.
    let software = majority(
        ok.iter().filter(|f| ctx.sig(f) == norm).map(|f| ctx.fp(f)),
        1,
    );
    for f in ok.iter().filter(|f| {
        let sig = ctx.sig(f);
        sig != norm && !alike(sig, norm)
    }) {
        let traces = ctx.editor(f).is_some() || software.is_some_and(|n| n != ctx.fp(f));
        let mut details = json!({"file": ctx.sig(f), "session": norm, "software": ctx.fp(f), "session_software": software});
        // One manipulation, one kind: the session's own recording re-encoded in place, or
        // foreign footage (see the module comment); or, with the picture as the second
        // witness, the recorder's own footage at another frame rate.
        let steps = (!traces && only_frame_rate_differs(ctx.sig(f), norm))
            .then(|| super::display::runs_on_across(ctx, &s.members, f))
            .flatten();
        let (rule, message) = if traces && fits_timeline(ctx, &s.members, f) {
            (
                "ENC-PARAMS",
                format!(
                    "{} is {} where the rest of its session is {example}, and was written by other software ({}); its place in the session's timeline is continuous: re-encoded",
                    f.file_name(),
                    describe(f),
                    ctx.fp(f)
                ),
            )
        } else if let Some(runs_on) = steps {
            let shown: Vec<String> = runs_on
                .steps
                .iter()
                .map(|s| format!("{:+.0} s", s.round() + 0.0))
                .collect();
            details["osd_steps_s"] = json!(runs_on.steps);
            let witness = match runs_on.stand_in {
                None => format!(
                    "the picture's clock runs on from the segment before it and into the segment after it ({})",
                    shown.join(", ")
                ),
                Some(w) => {
                    details["osd_stand_in"] = json!(w.path.as_ref());
                    format!(
                        "its neighbours' displays cannot be read, and its picture's clock keeps the offset to its name that {} of the same device shows ({})",
                        w.file_name(),
                        shown.join(", ")
                    )
                }
            };
            (
                "OSD-RATE",
                format!(
                    "{} is {} where the rest of its session is {example}, written by the session's own software, and {witness}, showing the same device: the recorder changed its frame rate; no footage of another time",
                    f.file_name(),
                    describe(f),
                ),
            )
        } else {
            (
                "INS-SESSION",
                format!(
                    "{} is {} but the rest of its session is {example}",
                    f.file_name(),
                    describe(f)
                ),
            )
        };
        out.add(
            rule,
            Target {
                file: Some(f),
                session: Some(&s.id),
                ..Default::default()
            },
            f.start_us(),
            None,
            None,
            message,
            details,
        );
    }
}

/// Whether coding signature `odd` differs from `usual` in the frame rate alone (codec,
/// profile, picture size and audio format equal).
fn only_frame_rate_differs(odd: &str, usual: &str) -> bool {
    let (Some(a), Some(b)) = (parts(odd), parts(usual)) else {
        return false;
    };
    a[3] != b[3] && !a[3].is_empty() && (0..7).filter(|&i| i != 3).all(|i| a[i] == b[i])
}

/// Frame rates nearer each other than this (relative) are one recorder's rate, as INS-RATE
/// asks a stretch's rate to be at least this far from the rest to be another.
const RATE_NEAR: f64 = 0.10;

/// Whether coding signature `odd` differs from `usual` in the frame rate alone, by less than
/// [`RATE_NEAR`]. A recorder that stamps each picture with the moment it was captured (in
/// milliseconds, or at 90 kHz as an Android camera does) writes steps that wander around the
/// true one, and which step is the commonest, which the frame rate is read from, changes from
/// recording to recording: an honest 30 fps recorder's segment read 31.25 fps between two
/// read 29.41 fps (33 ms steps with 0-2 ms of jitter: 32 or 34 the commonest), and was
/// INS-SESSION (`high`) until 2026-12-07. Footage of another recorder or setting differs by
/// more (25 against 30 fps is 20%), or in more than the rate.
///
/// A rate one of them does not state is no difference either: a program stream's packets
/// give times but no frame rate (a muxer may put several pictures in one), so a permit hall's
/// export in the vendor's program stream beside one of the same camera remuxed into MP4 read
/// as other footage until 2026-12-08 (ENC-PARAMS `high` where the MP4 named its muxer, else
/// INS-SESSION `high`; labelled fixture `NEG-HKM`).
fn only_rate_near(odd: &str, usual: &str) -> bool {
    let (Some(a), Some(b)) = (parts(odd), parts(usual)) else {
        return false;
    };
    let rate = |p: &[&str; 7]| p[3].parse::<f64>().ok().filter(|r| *r > 0.0);
    let near = match (rate(&a), rate(&b)) {
        (Some(x), Some(y)) => (x - y).abs() < RATE_NEAR * y.max(x),
        _ => a[3].is_empty() || b[3].is_empty(),
    };
    near && (0..7).filter(|&i| i != 3).all(|i| a[i] == b[i])
}

/// A [`signature`]'s seven parts: codec, profile, size and frame rate of the video, codec,
/// sample rate and channels of the audio.
fn parts(sig: &str) -> Option<[&str; 7]> {
    let v: Vec<&str> = sig.split('|').collect();
    v.try_into().ok()
}

/// Whether `f` sits in its session's timeline without a gap or overlap on either side (within
/// the continuity tolerances): its neighbours end where it starts and start where it ends.
fn fits_timeline(ctx: &Ctx, members: &[usize], f: &FileFacts) -> bool {
    let Some(k) = members.iter().position(|&i| i == f.row) else {
        return false;
    };
    let (gap, overlap) = (
        ctx.settings.gap_tolerance_s,
        ctx.settings.overlap_tolerance_s,
    );
    let fits = |a: &FileFacts, b: &FileFacts| -> bool {
        let (Some(_), Some(end), Some(start)) = (a.duration_s, a.end_us(), b.start_us()) else {
            return false;
        };
        let delta_s = (start - end) as f64 / 1e6;
        (-overlap..=gap).contains(&delta_s)
    };
    let before = k.checked_sub(1).map(|j| &ctx.facts[members[j]]);
    let after = members.get(k + 1).map(|&j| &ctx.facts[j]);
    before.is_none_or(|b| fits(b, f)) && after.is_none_or(|a| fits(f, a))
}

#[cfg(test)]
mod tests {
    use super::alike;

    #[test]
    fn a_picture_format_changing_inside_a_live_streams_recording_is_no_inserted_footage() {
        use crate::catalog::{FileFacts, TextFacts};
        let file = |container: &str| FileFacts {
            path: "/ev/A/A_20260312100000.x".into(),
            parameter_sets_max: Some(2),
            text: TextFacts {
                status: "ok".into(),
                container: Some(container.into()),
                media_kind: Some("video".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        };
        let ids = |f: FileFacts| -> Vec<String> {
            crate::analyse::analyse(
                &[f],
                &crate::rules::RuleSettings::default(),
                chrono_tz::UTC,
                "r",
                0,
            )
            .findings
            .iter()
            .filter(|f| f.rule_id.starts_with("INS-"))
            .map(|f| f.rule_id.to_string())
            .collect()
        };
        assert_eq!(ids(file("mpegts")), ["INS-SPS"]);
        assert!(ids(file("flv")).is_empty());
    }

    #[test]
    fn a_rate_near_the_usual_or_not_stated_is_no_other_footage() {
        let usual = "h264|Main|1280x720|30.00|aac|16000|1";
        // A jittering recorder's commonest step, and a rate the container does not state.
        assert!(alike("h264|Main|1280x720|31.25|aac|16000|1", usual));
        assert!(alike("h264|Main|1280x720||aac|16000|1", usual));
        assert!(alike(usual, "h264|Main|1280x720||aac|16000|1"));
        // Another rate, or the rate unstated beside another picture size: other footage.
        assert!(!alike("h264|Main|1280x720|25.00|aac|16000|1", usual));
        assert!(!alike("h264|Main|1920x1080||aac|16000|1", usual));
        assert!(!alike("h264|High|1280x720||aac|16000|1", usual));
    }
}
