//! Inserted footage — 第十二条(五): no inserted footage. A recorder encodes one recording with
//! one set of coding parameters; footage spliced in from elsewhere brings its own.
//!
//! What it checks: a track with several sample descriptions (`stsd` entries: the parameters
//! change inside the file); more than one distinct H.264 sequence parameter set in a stream
//! (in-band in MPEG-TS, or in the sample descriptions); and a segment whose coding parameters
//! (codec, profile, picture size, frame rate, audio format) differ from those shared by the
//! rest of its session (a majority of at least two other segments). Example: a session of
//! 1920x1080 segments with one 1280x720 segment in the middle.

use serde_json::json;

use std::collections::HashMap;

use super::{Ctx, Findings, Target, majority};
use crate::catalog::FileFacts;

/// For each device, the coding signature shared by a majority (at least two) of its readable
/// recordings.
pub fn device_norms<'a>(ctx: &'a Ctx<'a>) -> HashMap<&'a str, &'a str> {
    let mut by_device: HashMap<&str, Vec<&FileFacts>> = HashMap::new();
    for f in ctx
        .facts
        .iter()
        .filter(|f| f.status.as_ref() == "ok" && f.is_recording())
    {
        if let Some(d) = f.device_id.as_deref() {
            by_device.entry(d).or_default().push(f);
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
        s.push_str(&format!(
            ", {a} {} Hz {} ch",
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
        if let Some(n) = f.parameter_sets_max.filter(|n| *n > 1) {
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
        if s.members.len() < 2 {
            continue;
        }
        let ok: Vec<&FileFacts> = s
            .members
            .iter()
            .map(|&i| &ctx.facts[i])
            .filter(|f| f.status.as_ref() == "ok")
            .collect();
        // The session's own majority; in a short session, the device's habit when at least one
        // member follows it.
        let norm = majority(ok.iter().map(|f| ctx.sig(f)), 2).or_else(|| {
            device_norm
                .get(s.device.as_str())
                .filter(|n| ok.iter().any(|f| ctx.sig(f) == **n))
                .copied()
        });
        let Some(norm) = norm else { continue };
        let example = ok
            .iter()
            .find(|f| ctx.sig(f) == norm)
            .map(|f| describe(f))
            .unwrap_or_default();
        for f in ok.iter().filter(|f| ctx.sig(f) != norm) {
            out.add(
                "INS-SESSION",
                Target {
                    file: Some(f),
                    session: Some(&s.id),
                    ..Default::default()
                },
                f.start_us(),
                None,
                None,
                format!(
                    "{} is {} but the rest of its session is {example}",
                    f.file_name(),
                    describe(f)
                ),
                json!({"file": ctx.sig(f), "session": norm}),
            );
        }
    }
}
