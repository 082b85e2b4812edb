//! Recording times — 第十二条(三) (records must show the true time) and 第十二条(五)
//! (no back-dated or after-the-fact recording).
//!
//! What it checks: `clock_reset`, a container or file-name time before
//! `earliest_plausible_year` (device defaults such as 1970, 2000 or 2004) or more than
//! `future_tolerance_s` after the scan; `time_mismatch`, container time and file-name time
//! further apart than `time_mismatch_tolerance_s` once the recorder conventions are allowed
//! for (creation time written in UTC or in the configured zone's local time, at the start or
//! at the end of the recording, or the start of the recording a segment was cut from);
//! `missing_timestamp`, an ISO BMFF or JPEG file whose container has no recording time
//! (MPEG-TS, WAV without `bext` and AVI carry none by design and are not reported), nor is a
//! file of a device whose other files of its container, two at least, carry none either: a
//! recorder that never writes the time there (its muxer leaves the field at 0) is a model's
//! habit, not a stripped file. Example: a file named 20260312100000 whose
//! `mvhd` says 05:00 UTC (13:00 local): three hours apart.

use std::collections::HashMap;

use serde_json::json;

use super::{Ctx, Findings, Target, local};

/// The container families with a recording-time field.
fn has_time_field(container: Option<&str>) -> bool {
    matches!(
        container,
        Some("mp4") | Some("mov") | Some("3gp") | Some("m4a") | Some("heif") | Some("jpeg")
    )
}

/// Per device and container: how many of its readable files carry a container time, and how
/// many do not.
fn time_habits<'a>(ctx: &Ctx<'a>) -> HashMap<(&'a str, &'a str), (usize, usize)> {
    let mut out: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    for f in ctx.facts {
        if f.status.as_ref() != "ok" || !has_time_field(f.container.as_deref()) {
            continue;
        }
        if let (Some(d), Some(c)) = (f.device_id.as_deref(), f.container.as_deref()) {
            let e = out.entry((d, c)).or_default();
            if f.creation_time_us.is_some() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    out
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let s = ctx.settings;
    let habits = time_habits(ctx);
    // Whether a file without a container time is one of a device that writes none: its other
    // files of the container, two at least, carry none either.
    let never_written = |f: &crate::catalog::FileFacts| {
        let key = f.device_id.as_deref().zip(f.container.as_deref());
        key.and_then(|k| habits.get(&k))
            .is_some_and(|&(with, without)| with == 0 && without >= 3)
    };
    for f in ctx.facts {
        if f.status.as_ref() != "ok"
            || !matches!(
                f.media_kind.as_deref(),
                Some("video") | Some("audio") | Some("photo")
            )
        {
            continue;
        }
        let implausible = |t: Option<i64>| t.filter(|&t| ctx.implausible(t));
        let bad_ct = implausible(f.creation_time_us);
        let bad_nt = implausible(f.name_time_us);
        if bad_ct.is_some() || bad_nt.is_some() {
            let which: Vec<String> = [("container time", bad_ct), ("file-name time", bad_nt)]
                .iter()
                .filter_map(|(n, t)| t.map(|t| format!("{n} {}", local(ctx, t))))
                .collect();
            out.add(
                "CLK-RESET",
                Target {
                    file: Some(f),
                    ..Default::default()
                },
                bad_ct.or(bad_nt),
                None,
                None,
                format!(
                    "{}: implausible {} (device clock reset or wrong)",
                    f.file_name(),
                    which.join(" and ")
                ),
                json!({"creation_time_us": f.creation_time_us, "name_time_us": f.name_time_us}),
            );
            continue;
        }
        if let (Some(ct), Some(nt)) = (f.creation_time_us, f.name_time_us) {
            let diff = (ct - nt) as f64 / 1e6;
            let dur = f.duration_s.unwrap_or(0.0);
            let zone = ctx.zone_offset_s(nt) as f64;
            let tol = s.time_mismatch_tolerance_s;
            // A muxer that gives every segment of a recording the recording's start as its
            // time (ffmpeg's segment muxer copies it): the name of the recording's first
            // segment, as written (until 2026-12-06, afternoon, CLK-MISMATCH on every segment
            // more than `time_mismatch_tolerance_s` into a recording).
            let first = ctx
                .recording_start(f.row)
                .and_then(|r| ctx.facts.get(r)?.name_time_us)
                .map_or(0.0, |t| (t - nt) as f64 / 1e6);
            let explained = [0.0, dur, zone, zone + dur, first, first + zone]
                .iter()
                .any(|c| (diff - c).abs() <= tol);
            if !explained {
                out.add(
                    "CLK-MISMATCH",
                    Target { file: Some(f), ..Default::default() },
                    Some(nt),
                    None,
                    Some(diff),
                    format!(
                        "{}: container time {} and file-name time {} differ by {diff:.0} s",
                        f.file_name(),
                        local(ctx, ct),
                        local(ctx, nt)
                    ),
                    json!({"creation_time_us": ct, "name_time_us": nt, "difference_s": diff, "zone_offset_s": zone, "duration_s": dur}),
                );
            }
        }
        if has_time_field(f.container.as_deref())
            && f.creation_time_us.is_none()
            && !never_written(f)
        {
            out.add(
                "CLK-MISSING",
                Target {
                    file: Some(f),
                    ..Default::default()
                },
                f.name_time_us,
                None,
                None,
                format!("{}: no recording time in the container", f.file_name()),
                json!({"container": f.container}),
            );
        }
    }
}
