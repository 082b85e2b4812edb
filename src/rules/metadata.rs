//! Metadata completeness — 第十二条(三): records must show the time, place, matter, parties and
//! officers.
//!
//! What it checks: a video, audio or photo file without a device id (no path pattern
//! recognised it, so it cannot be attributed to a recorder or a session); with
//! `require_officer`, a file without an officer id; with `require_location`, a session in which
//! no file carries a GPS position. Example: `执法一大队/案件 2026-031 补充材料/现场 照片 1.jpg`.

use serde_json::json;

use super::{Ctx, Findings, Target};

pub fn check(ctx: &Ctx, out: &mut Findings) {
    for f in ctx.facts {
        if !matches!(
            f.media_kind.as_deref(),
            Some("video") | Some("audio") | Some("photo")
        ) {
            continue;
        }
        if f.device_id.is_none() {
            out.file(
                "META-DEVICE",
                f,
                format!(
                    "{}: no device id in its path, so it cannot be attributed to a recorder",
                    f.path
                ),
                json!({}),
            );
        } else if ctx.settings.require_officer && f.officer_id.is_none() {
            out.file(
                "META-OFFICER",
                f,
                format!("{}: no officer id in its path", f.file_name()),
                json!({}),
            );
        }
    }
    if ctx.settings.require_location {
        for s in &ctx.sessions.list {
            if !s.members.iter().any(|&i| ctx.facts[i].has_gps) {
                out.add(
                    "META-LOCATION",
                    Target {
                        session: Some(&s.id),
                        device: Some(&s.device),
                        ..Default::default()
                    },
                    Some(s.start_us),
                    None,
                    None,
                    format!(
                        "session {} has no GPS position in any of its {} files",
                        s.id,
                        s.members.len()
                    ),
                    json!({"files": s.members.len()}),
                );
            }
        }
    }
}
