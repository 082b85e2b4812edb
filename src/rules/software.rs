//! Re-encoded or edited files — 第十二条(五): no selective cutting, no after-the-fact
//! re-recording. A file that passed through editing or transcoding software carries that
//! software's traces.
//!
//! What it checks: encoder, software, handler and compressor names of editing software
//! (Premiere, Final Cut, DaVinci, HandBrake, CapCut/剪映, 爱剪辑, 会声会影, 格式工厂 and others);
//! and, against the device's own habits (the fingerprint shared by a majority of at least two
//! of its other recordings): different software strings, brand or top-level box order
//! (e.g. `moov` moved before `mdat`), edit lists where the device writes none beyond one per
//! track, and coding parameters different from the device's other files (for files not judged
//! inside a session by the inserted-footage rule). General-purpose muxers such as FFmpeg's
//! `Lavf` are judged only against the device's habits, since some recorders use them.

use serde_json::json;

use super::{Ctx, Findings, Target, coding, majority};
use crate::catalog::FileFacts;
use std::collections::HashMap;

/// Names of editing and transcoding tools, matched case-insensitively as substrings.
const EDITORS: &[&str] = &[
    "premiere",
    "after effects",
    "adobe media encoder",
    "final cut",
    "imovie",
    "davinci",
    "resolve",
    "handbrake",
    "shotcut",
    "kdenlive",
    "openshot",
    "avidemux",
    "vegas",
    "camtasia",
    "capcut",
    "剪映",
    "爱剪辑",
    "会声会影",
    "videostudio",
    "格式工厂",
    "format factory",
    "formatfactory",
    "mediacoder",
    "movavi",
    "filmora",
    "wondershare",
    "pinnacle",
    "lightworks",
    "vsdc",
    "快剪辑",
    "必剪",
    "videoproc",
    "xmedia recode",
    "any video converter",
];

fn editor(f: &FileFacts) -> Option<(&'static str, String)> {
    for v in [
        &f.encoder,
        &f.software,
        &f.handler_names,
        &f.compressor_names,
    ]
    .into_iter()
    .flatten()
    {
        let low = v.to_lowercase();
        if let Some(e) = EDITORS.iter().find(|e| low.contains(*e)) {
            return Some((e, v.to_string()));
        }
    }
    None
}

/// Top-level order without padding boxes and repeat counts: `ftyp,mdat,moov`.
fn layout_shape(l: &str) -> String {
    l.split(',')
        .map(|b| {
            b.trim_end_matches(|c: char| c.is_ascii_digit())
                .trim_end_matches('x')
        })
        .filter(|b| !matches!(*b, "free" | "skip" | "wide" | "uuid" | "JUNK"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn fingerprint(f: &FileFacts) -> String {
    format!(
        "encoder={} | software={} | handlers={} | compressors={} | brand={} | layout={}",
        f.encoder.as_deref().unwrap_or(""),
        f.software.as_deref().unwrap_or(""),
        f.handler_names.as_deref().unwrap_or(""),
        f.compressor_names.as_deref().unwrap_or(""),
        f.major_brand.as_deref().unwrap_or(""),
        f.top_level_layout
            .as_deref()
            .map(layout_shape)
            .unwrap_or_default()
    )
}

fn extra_edits(f: &FileFacts) -> bool {
    f.edit_list_entries.unwrap_or(0) > f.stream_count.unwrap_or(0)
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let mut by_device: HashMap<&str, Vec<&FileFacts>> = HashMap::new();
    for f in ctx
        .facts
        .iter()
        .filter(|f| f.status.as_ref() == "ok" && f.is_recording())
    {
        if let Some((tool, value)) = editor(f) {
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
        if let Some(d) = f.device_id.as_deref() {
            by_device.entry(d).or_default().push(f);
        }
    }
    let mut devices: Vec<_> = by_device.into_iter().collect();
    devices.sort_by(|a, b| a.0.cmp(b.0));
    for (_, files) in devices {
        if files.len() < 3 {
            continue;
        }
        if let Some(norm) = majority(files.iter().map(|f| ctx.fp(f)), 2) {
            for f in files.iter().filter(|f| ctx.fp(f) != norm) {
                out.file(
                    "ENC-FINGERPRINT",
                    f,
                    format!(
                        "{} was not written like this device's other files: {} instead of {norm}",
                        f.file_name(),
                        ctx.fp(f)
                    ),
                    json!({"file": ctx.fp(f), "device": norm}),
                );
            }
        }
        if majority(files.iter().map(|f| extra_edits(f)), 2) == Some(false) {
            for f in files.iter().filter(|f| extra_edits(f)) {
                out.add(
                    "ENC-EDITS",
                    Target { file: Some(f), ..Default::default() },
                    f.start_us(),
                    None,
                    None,
                    format!(
                        "{} has {} edit-list entries over {} tracks, where this device writes at most one per track",
                        f.file_name(),
                        f.edit_list_entries.unwrap_or(0),
                        f.stream_count.unwrap_or(0)
                    ),
                    json!({"edit_list_entries": f.edit_list_entries, "streams": f.stream_count}),
                );
            }
        }
        if let Some(norm) = majority(files.iter().map(|f| ctx.sig(f)), 2) {
            let example = files
                .iter()
                .find(|f| ctx.sig(f) == norm)
                .map(|f| coding::describe(f))
                .unwrap_or_default();
            for f in files.iter().filter(|f| ctx.sig(f) != norm) {
                // Inside a session of several files, the inserted-footage rule judges it.
                let in_session = ctx.sessions.of_file[f.row]
                    .is_some_and(|k| ctx.sessions.list[k].members.len() >= 2);
                if in_session {
                    continue;
                }
                out.file(
                    "ENC-PARAMS",
                    f,
                    format!(
                        "{} is {} but this device records {example}",
                        f.file_name(),
                        coding::describe(f)
                    ),
                    json!({"file": ctx.sig(f), "device": norm}),
                );
            }
        }
    }
}
