//! Timestamp jumps inside one file — 第十二条(五): a cut or splice inside a recording leaves
//! its timestamps discontinuous.
//!
//! What it checks: the largest step between consecutive sample times of any audio/video track
//! beyond the track's usual step (ISO BMFF `stts`/`trun`, MPEG-TS decode times); a fragment
//! whose `tfdt` does not continue the previous fragment; an MPEG-TS PCR jump; MPEG-TS
//! continuity-counter errors (packets removed or inserted), and a program stream's places of
//! lost bytes (`files.ps_lost_places`, the same finding). A jump must exceed
//! `internal_jump_s` (default 0.5 s): a dropped frame is not a cut. Example: a 30 s clip whose
//! frame at 12 s lasts 5.04 s instead of 0.04 s: a 5 s jump at offset 12 s.
//!
//! A jump in one kind of track (the picture) through which a track of the other kind (the
//! sound) runs on unbroken and to the end (`files.max_jump_other_s` within `internal_jump_s`)
//! is a stall of the recorder, not a cut: an edit takes a span out of both, while a recorder
//! whose picture stalls (a slow card, the sensor settling at the start, a photo taken while
//! recording) keeps recording the sound. That is TIME-STALL, information: the time is in the
//! recording, one of its witnesses is thin there.
//!
//! So is a forward jump right after a track's first sample in a file with no track of the other
//! kind (a recording without sound, a sound-only one): a recorder that took its first picture and
//! then stood still while its encoder started. No edit leaves that: a cut at a recording's start
//! removes its first pictures with the rest and leaves its times unbroken, and a cut that kept one
//! picture before it would have to be made on purpose for that one picture. A jump anywhere
//! else in such a file stays TIME-SAMPLES by the container alone: with nothing beside it, a
//! stall and a cut whose times were kept look alike there.
//!
//! A Flash Video file (FLV) is what a media server writes as a recorder's live stream reaches
//! it (a 4G recorder pushing to the command centre): a step in its times is where the stream
//! did not arrive (a network that dropped it) as much as where it was cut, and the recorder's
//! own recording of that time, uploaded from its card, is the footage the article asks for.
//! Such a jump, not told a stall, is TIME-LIVE (`warn`): the server's copy has a hole, which
//! names no one's cut.
//!
//! Not judged either (since 2026-12-08): a jump in the export of a device the registry calls a
//! fixed camera (`devices.kind` `cctv`, a permit hall's surveillance, 第十五条). Its video
//! recorder records as it is set to (on motion, on a schedule) and an export of a window holds
//! whatever it recorded there, pauses included: no officer's recording was interrupted, as
//! the continuity rules hold for the gaps between its exports.
//!
//! The bitstream tells them apart where the keyframe stage read it (`files.jump_coded_across`,
//! [`crate::keyframes`]): an encoder numbers the pictures it codes, and a recorder that stood
//! still (the whole recorder freezing, picture and sound together; a recording without sound
//! whose capture stalled) hands it the next picture late, so the numbering runs on across the
//! jump and the picture after it is predicted from the one before. A cut made afterwards by
//! copying the stream resumes at a keyframe, which starts the numbering again, and any other
//! picture after a cut would skip the numbers of the pictures cut out. A forward jump across
//! which the numbering runs on is TIME-STALL too; where it does not, or it was not read
//! (AVI, HEVC with reordered pictures, the stage off), TIME-SAMPLES stays.

use serde_json::json;

use super::{Ctx, Findings, Target};

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let lim = ctx.settings.internal_jump_s;
    for f in ctx.facts {
        if f.status.as_ref() != "ok" {
            continue;
        }
        let at = |off: Option<f64>| f.start_us().zip(off).map(|(s, o)| s + (o * 1e6) as i64);
        let t = || Target {
            file: Some(f),
            ..Default::default()
        };
        let forward = f.odd().max_jump_s.filter(|j| *j > lim);
        let beside = f.odd().max_jump_other_s;
        let witnessed = forward.zip(beside.filter(|o| *o <= lim));
        // After the track's first sample (its decode time 0), with no track of the other kind.
        let at_start = forward
            .filter(|_| beside.is_none() && f.odd().max_jump_at_s.is_some_and(|a| a.abs() < 1e-6));
        // The encoder numbered the pictures either side of it one after the other.
        let coded = forward.filter(|_| f.odd().jump_coded_across == Some(true));
        let stall = witnessed.map(|(j, _)| j).or(at_start).or(coded);
        if let Some(j) = stall {
            let at_s = f.odd().max_jump_at_s;
            let (message, details) = match witnessed {
                None if at_start.is_none() => (
                    format!(
                        "the pictures either side of the {:.2} s jump at {:.2} s into {} were coded one after the other (the encoder's picture numbers run on across it): the recorder stood still, nothing coded was cut out",
                        j,
                        at_s.unwrap_or(0.0),
                        f.file_name(),
                    ),
                    json!({"jump_s": j, "at_s": at_s, "coded_across": true}),
                ),
                Some((_, beside)) => (
                    format!(
                        "the picture or the sound of {} stands still for {:.2} s at {:.2} s while the other runs on through it: the recorder stalled, nothing was cut out",
                        f.file_name(),
                        j,
                        at_s.unwrap_or(0.0),
                    ),
                    json!({"jump_s": j, "at_s": at_s, "other_track_short_s": beside}),
                ),
                None => (
                    format!(
                        "{} stands still for {:.2} s after its first picture (or sound sample): the recorder started, nothing was cut out",
                        f.file_name(),
                        j,
                    ),
                    json!({"jump_s": j, "at_s": at_s, "after_first_sample": true}),
                ),
            };
            out.add("TIME-STALL", t(), at(at_s), at_s, Some(j), message, details);
        } else if let Some(j) = f
            .odd()
            .max_jump_s
            .filter(|j| j.abs() > lim && !ctx.of_fixed_camera(f))
        {
            let jump = format!(
                "timestamps jump {} {:.2} s at {:.2} s into {}",
                if j < 0.0 { "back" } else { "forward" },
                j.abs(),
                f.odd().max_jump_at_s.unwrap_or(0.0),
                f.file_name()
            );
            let (id, message) = if crate::sessions::is_live(f) {
                (
                    "TIME-LIVE",
                    format!(
                        "{jump}, a live stream as a media server recorded it: the stream did not reach the server for that time, or was cut; the recorder's own recording of that time is the witness"
                    ),
                )
            } else {
                ("TIME-SAMPLES", jump)
            };
            out.add(
                id,
                t(),
                at(f.odd().max_jump_at_s),
                f.odd().max_jump_at_s,
                Some(j),
                message,
                json!({"jump_s": j, "at_s": f.odd().max_jump_at_s}),
            );
        }
        if let Some(j) = f.odd().fragment_jump_s.filter(|j| j.abs() > lim) {
            out.add(
                "TIME-FRAGMENTS",
                t(),
                at(f.odd().fragment_jump_at_s),
                f.odd().fragment_jump_at_s,
                Some(j),
                format!(
                    "fragment decode time jumps {:.2} s at {:.2} s into {}",
                    j,
                    f.odd().fragment_jump_at_s.unwrap_or(0.0),
                    f.file_name()
                ),
                json!({"jump_s": j, "at_s": f.odd().fragment_jump_at_s}),
            );
        }
        // A transport stream's program clock rides on the picture's packets: where the
        // picture stalled it stalled with it, at the place and by the length of the stall.
        let with_stall = |pcr: f64| {
            stall.is_some_and(|j| {
                pcr > 0.0
                    && pcr <= j + lim
                    && f.odd()
                        .ts_pcr_jump_at_s
                        .zip(f.odd().max_jump_at_s)
                        .is_some_and(|(a, b)| (a - b).abs() <= 1.0 + lim)
            })
        };
        if let Some(j) = f
            .odd()
            .ts_pcr_jump_s
            .filter(|j| j.abs() > lim && !with_stall(*j))
        {
            out.add(
                "TIME-PCR",
                t(),
                at(f.odd().ts_pcr_jump_at_s),
                f.odd().ts_pcr_jump_at_s,
                Some(j),
                format!(
                    "program clock (PCR) jumps {:.2} s at {:.2} s into {}",
                    j,
                    f.odd().ts_pcr_jump_at_s.unwrap_or(0.0),
                    f.file_name()
                ),
                json!({"jump_s": j, "at_s": f.odd().ts_pcr_jump_at_s}),
            );
        }
        // Packets lost or inserted: a transport stream's continuity counters say so; a
        // program stream has none, and its bytes that start no packet, skipped to the next
        // pack, are where it lost some (or was damaged); so are a DAV file's bytes that start
        // no frame.
        let lost = [
            f.odd().ts_continuity_errors.filter(|n| *n > 0).map(|n| {
                (
                    format!(
                        "{n} continuity-counter errors in {}: transport packets missing or inserted",
                        f.file_name()
                    ),
                    json!({"continuity_errors": n}),
                )
            }),
            f.odd().ps_lost_places.filter(|n| *n > 0).map(|n| {
                (
                    format!(
                        "bytes lost in {n} place(s) in {}: bytes that start no packet (or frame), the stream read again from the next one (a recording over a lossy network, or damage)",
                        f.file_name()
                    ),
                    json!({"ps_lost_places": n}),
                )
            }),
        ];
        for (message, details) in lost.into_iter().flatten() {
            out.add("TIME-CC", t(), None, None, None, message, details);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{FileFacts, Rare, TextFacts};
    use crate::context::Typed;

    /// A readable video of `device` in `container` with these facts of its timing.
    fn video(container: &str, device: &str, rare: Rare) -> FileFacts {
        FileFacts {
            path: format!("/ev/{device}/x.{container}").into(),
            text: TextFacts {
                status: "ok".into(),
                media_kind: Some("video".into()),
                container: Some(container.into()),
                device_id: Some(device.into()),
                ..Default::default()
            }
            .into(),
            rare: Some(Box::new(rare)),
            ..Default::default()
        }
    }

    /// The TIME-* findings of `f` under the registry `context`: rule id, severity, message.
    fn timing(f: FileFacts, context: &Typed) -> Vec<(String, String, String)> {
        crate::analyse::analyse_in(
            &[f],
            &crate::rules::RuleSettings::default(),
            chrono_tz::UTC,
            "r",
            0,
            context,
        )
        .findings
        .iter()
        .filter(|f| f.rule_id.starts_with("TIME-"))
        .map(|f| {
            (
                f.rule_id.to_string(),
                f.severity.to_string(),
                f.message.to_string(),
            )
        })
        .collect()
    }

    /// How the TIME-CC findings of one file with these counts begin.
    fn lost(ts: Option<i32>, ps: Option<i32>) -> Vec<String> {
        let rare = Rare {
            ts_continuity_errors: ts,
            ps_lost_places: ps,
            ..Rare::default()
        };
        timing(video("mpg", "A", rare), &Typed::default())
            .into_iter()
            .filter(|(id, _, _)| id == "TIME-CC")
            .map(|(_, _, m)| m.split(" in ").next().unwrap_or("").to_string())
            .collect()
    }

    /// The timing rule ids drawn by a file in `container` whose largest jump is `jump_s`
    /// (at 2 s, the sound jumping with it), with their severities.
    fn jumped(container: &str, jump_s: f64) -> Vec<String> {
        let rare = Rare {
            max_jump_s: Some(jump_s),
            max_jump_at_s: Some(2.0),
            max_jump_other_s: Some(jump_s),
            ..Rare::default()
        };
        timing(video(container, "A", rare), &Typed::default())
            .into_iter()
            .map(|(id, severity, _)| format!("{id} {severity}"))
            .collect()
    }

    #[test]
    fn a_pause_inside_a_fixed_cameras_export_is_no_cut() {
        // A permit hall camera's DAV export of an hour in which its recorder, set to record on
        // motion, paused for 30 s.
        let export = || {
            let rare = Rare {
                max_jump_s: Some(30.0),
                max_jump_at_s: Some(600.0),
                ..Rare::default()
            };
            video("dav", "HALL-1", rare)
        };
        let judged = |context: &Typed| -> Vec<String> {
            timing(export(), context)
                .into_iter()
                .map(|(id, _, _)| id)
                .collect()
        };
        // The registry silent: a recorder's file cut inside.
        assert_eq!(judged(&Typed::default()), ["TIME-SAMPLES"]);
        // The registry's fixed camera: what its recorder recorded in the window.
        let mut cctv = Typed::default();
        cctv.fixed_cameras.insert("HALL-1".into());
        assert!(judged(&cctv).is_empty());
    }

    #[test]
    fn a_jump_in_a_live_streams_recording_is_a_hole_in_the_servers_copy_not_a_cut() {
        assert_eq!(jumped("flv", 2.0), ["TIME-LIVE warn"]);
        assert_eq!(jumped("flv", -3.0), ["TIME-LIVE warn"]);
        assert_eq!(jumped("mp4", 2.0), ["TIME-SAMPLES high"]);
        assert_eq!(jumped("mpegts", 2.0), ["TIME-SAMPLES high"]);
        assert!(jumped("flv", 0.3).is_empty());
    }

    #[test]
    fn packets_lost_from_a_transport_or_a_program_stream_are_told() {
        assert_eq!(lost(Some(4), None), ["4 continuity-counter errors"]);
        assert_eq!(lost(None, Some(5)), ["bytes lost"]);
        assert!(lost(Some(0), Some(0)).is_empty());
        assert!(lost(None, None).is_empty());
    }
}
