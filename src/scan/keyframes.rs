//! Keyframes: for the H.264 recordings in an MP4/MOV/3GP container that the read stage just
//! read, the recorder's burned-in clock, read from decoded keyframes ([`crate::keyframes`]),
//! becomes the files' `osd_*` columns. Files carried from the previous run keep theirs.
//!
//! A display's digits are learned per group of files that share a font: one device model (the
//! container's make and model, else the device id) at one picture size.

use chrono::TimeZone;

use super::plan::Tree;
use super::read::Read;
use super::setup::Run;
use crate::catalog::FileFacts;
use crate::config::KeyframeMode;
use crate::keyframes::{self, Input, Output, Seen};
use crate::store::tables::Osd;

/// Containers whose sample tables the stage reads.
const CONTAINERS: [&str; 3] = ["mp4", "mov", "3gp"];

pub(super) fn read_clocks(run: &Run, tree: &Tree, read: &mut Read) {
    read.osd = vec![Osd::default(); read.facts.len()];
    if run.plan.config.scan.keyframes == KeyframeMode::Off {
        return;
    }
    let mut inputs = Vec::new();
    let mut rows = Vec::new();
    for (k, f) in read.facts.iter().enumerate() {
        if !wanted(f) {
            continue;
        }
        let Some(&entry) = tree.to_read.get(k) else {
            continue;
        };
        let path = tree.entries[entry].path.clone();
        match keyframes::find_moov(&path) {
            Some(moov) => {
                inputs.push(Input {
                    path,
                    moov,
                    group: group(f),
                });
                rows.push(k);
            }
            None => read.osd[k].note = Some("no moov box among the top-level boxes".into()),
        }
    }
    if inputs.is_empty() {
        return;
    }
    let outputs = run.pool.install(|| keyframes::run(&inputs));
    for (k, out) in rows.into_iter().zip(outputs) {
        read.osd[k] = osd_of(&read.facts[k], out, run.tz);
        read.facts[k].osd = read.osd[k].facts();
    }
    run.phase("keyframes decoded and burned-in clocks read");
}

fn wanted(f: &FileFacts) -> bool {
    f.status.as_ref() == "ok"
        && f.media_kind.as_deref() == Some("video")
        && f.video_codec.as_deref() == Some("h264")
        && f.container
            .as_deref()
            .is_some_and(|c| CONTAINERS.contains(&c))
}

/// Files that share a display font: one model at one picture size.
fn group(f: &FileFacts) -> String {
    let who = match (&f.make, &f.model, &f.device_id) {
        (make, Some(model), _) => format!("model {} {model}", make.as_deref().unwrap_or("")),
        (_, None, Some(device)) => format!("device {device}"),
        _ => "unknown".into(),
    };
    format!("{who} {}x{}", f.width.unwrap_or(0), f.height.unwrap_or(0))
}

/// A display time (wall clock, seconds from 1970 as if UTC) in the configured zone, as UTC
/// microseconds.
fn instant(civil_s: i64, tz: chrono_tz::Tz) -> Option<i64> {
    let naive = chrono::DateTime::from_timestamp(civil_s, 0)?.naive_utc();
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_micros())
}

fn osd_of(f: &FileFacts, out: Output, tz: chrono_tz::Tz) -> Osd {
    let time = |s: &Option<Seen>| {
        s.as_ref()
            .and_then(|s| s.reading.as_ref())
            .and_then(|r| r.civil_s.map(|c| (instant(c, tz), r.confidence)))
    };
    let (first, last) = (time(&out.first), time(&out.last));
    let reading = out.first.as_ref().and_then(|s| s.reading.as_ref());
    let groups: Vec<&str> = reading
        .map(|r| r.rest.split_whitespace().collect())
        .unwrap_or_default();
    let base = f.name_time_us.or(f.creation_time_us);
    let offset_s = match (first, &out.first, base) {
        (Some((Some(shown), _)), Some(seen), Some(base)) => {
            Some((shown - base) as f64 / 1e6 - seen.t_s)
        }
        _ => None,
    };
    let confidence = [first, last]
        .iter()
        .flatten()
        .map(|(_, c)| f64::from(*c))
        .fold(None, |a: Option<f64>, c| Some(a.map_or(c, |a| a.min(c))));
    let mut note = out.note;
    if note.is_none() && out.decoded > 0 && first.is_none() {
        note = Some(if reading.is_some() {
            "the display's date and time could not be read".into()
        } else {
            "no display line was read (no line found, or the model's digits not learned)".into()
        });
    }
    Osd {
        start_us: first.and_then(|(t, _)| t),
        end_us: last.and_then(|(t, _)| t),
        offset_s,
        text: reading.map(|r| r.text.clone()),
        device: groups.first().map(|s| s.to_string()),
        officer: (groups.len() > 1).then(|| groups[groups.len() - 1].to_string()),
        confidence,
        jump_s: out.jump.as_ref().map(|j| j.by_s),
        jump_at_s: out.jump.as_ref().map(|j| j.at_s),
        coding_habits: out.habits.clone(),
        keyframes_decoded: Some(out.decoded as i32),
        note,
    }
}
