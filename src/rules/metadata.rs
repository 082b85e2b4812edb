//! Metadata completeness — 第十二条(三): records must show the time, place, matter, parties and
//! officers.
//!
//! What it checks: a video, audio or photo file without a device id (no path pattern
//! recognised it, so it cannot be attributed to a recorder or a session); with
//! `require_officer`, a file without an officer id; with `require_location`, a session in which
//! no file carries a GPS position. Example: `执法一大队/案件 2026-031 补充材料/现场 照片 1.jpg`.
//!
//! A device number that names two recorders, told apart by [`crate::recorders`]
//! (`一大队/DSJ001`, `二大队/DSJ001`): `device_namesake` (META-NAMESAKE, information) once for
//! each, so that the registry can number them apart.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Ctx, Findings, Target};

pub fn check(ctx: &Ctx, out: &mut Findings) {
    namesakes(ctx, out);
    for f in ctx.facts {
        if !f.is_footage() {
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

/// META-NAMESAKE: each recorder of a device number told apart, at its first recording.
fn namesakes(ctx: &Ctx, out: &mut Findings) {
    // Per qualified number: its first start and how many files.
    let mut told: BTreeMap<&str, (Option<i64>, usize)> = BTreeMap::new();
    for f in ctx.facts {
        if let Some(d) = f.device_id.as_deref().filter(|d| d.contains('/')) {
            let e = told.entry(d).or_insert((None, 0));
            e.0 = match (e.0, f.start_us()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            e.1 += 1;
        }
    }
    for (&d, &(first, files)) in &told {
        let number = crate::recorders::bare(d);
        let all: Vec<&str> = told
            .keys()
            .copied()
            .filter(|o| crate::recorders::bare(o) == number)
            .collect();
        out.add(
            "META-NAMESAKE",
            Target {
                device: Some(d),
                ..Default::default()
            },
            first,
            None,
            None,
            format!(
                "device number {number} names more than one recorder here ({}): their recordings overlap in time or their counters interleave, so {d}'s {files} files are judged on their own; give the recorders numbers of their own",
                all.join(", ")
            ),
            json!({"number": number, "recorders": all, "files": files}),
        );
    }
}
