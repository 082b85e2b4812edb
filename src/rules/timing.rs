//! Timestamp jumps inside one file — 第十二条(五): a cut or splice inside a recording leaves
//! its timestamps discontinuous.
//!
//! What it checks: the largest step between consecutive sample times of any audio/video track
//! beyond the track's usual step (ISO BMFF `stts`/`trun`, MPEG-TS decode times); a fragment
//! whose `tfdt` does not continue the previous fragment; an MPEG-TS PCR jump; MPEG-TS
//! continuity-counter errors (packets removed or inserted). A jump must exceed
//! `internal_jump_s` (default 0.5 s): a dropped frame is not a cut. Example: a 30 s clip whose
//! frame at 12 s lasts 5.04 s instead of 0.04 s: a 5 s jump at offset 12 s.

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
        if let Some(j) = f.odd().max_jump_s.filter(|j| j.abs() > lim) {
            out.add(
                "TIME-SAMPLES",
                t(),
                at(f.odd().max_jump_at_s),
                f.odd().max_jump_at_s,
                Some(j),
                format!(
                    "timestamps jump {} {:.2} s at {:.2} s into {}",
                    if j < 0.0 { "back" } else { "forward" },
                    j.abs(),
                    f.odd().max_jump_at_s.unwrap_or(0.0),
                    f.file_name()
                ),
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
        if let Some(j) = f.odd().ts_pcr_jump_s.filter(|j| j.abs() > lim) {
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
        if let Some(n) = f.odd().ts_continuity_errors.filter(|n| *n > 0) {
            out.add(
                "TIME-CC",
                t(),
                None,
                None,
                None,
                format!(
                    "{n} continuity-counter errors in {}: transport packets missing or inserted",
                    f.file_name()
                ),
                json!({"continuity_errors": n}),
            );
        }
    }
}
