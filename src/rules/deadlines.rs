//! Deadlines in working days from the official calendar (holidays off, make-up days on):
//! - 第十六条: originals on the server within 24 hours of the recording's end, or 3 working
//!   days where the case marks special circumstances (`late_upload`);
//! - 第十七条: classified and described within 2 working days of upload
//!   (`late_classification`);
//! - 第十八条: a closed case archived within 30 working days of closing (`late_archive`).
//!
//! `late_upload` is not judged for a device the registry calls a fixed camera
//! (`devices.kind` `cctv`): its footage is exported, not brought back from a site; nor for a
//! live stream's recording (`sessions::is_live`), which the media server wrote as the stream
//! arrived, no officer's upload (nor does its arrival end a stage of enforcement, as a dock
//! does).
//!
//! Upload times come from the ingest log, read as local time unless its times are UTC printed
//! without their zone (`ingest_times`; with `auto`, judged by the files' births on the server,
//! `obligations::LogZone`, and said once: `log_zone`, DL-LOGZONE, information).
//!
//! "Within n working days" of an instant ends at the end (local midnight) of the n-th working
//! day after that instant's date. A file whose upload time is unknown (no ingest log entry, no
//! birth time) is not judged: `files.upload_time_source` says `unknown`. A deadline in a year
//! the calendar does not cover is reported once per year as `deadline_unknown`, never guessed.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use serde_json::json;

use super::{Ctx, Findings, Target, local};
use crate::calendar::Calendar;
use crate::catalog::FileFacts;
use crate::obligations::{Obligation, end_of_day_us, local_date};

const UPLOAD_HOURS: i64 = 24;
const UPLOAD_SPECIAL_WORKDAYS: u32 = 3;
const CLASSIFY_WORKDAYS: u32 = 2;
const ARCHIVE_WORKDAYS: u32 = 30;

/// A working-day deadline (an end of day) as "the end of YYYY-MM-DD", local.
fn due(ctx: &Ctx, limit: i64) -> String {
    local_date(limit - 1, ctx.tz)
        .map(|d| format!("the end of {d}"))
        .unwrap_or_else(|| local(ctx, limit))
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    if let Some(z) = ctx.env.log_zone {
        out.add(
            "DL-LOGZONE",
            Target::default(),
            None,
            None,
            None,
            format!(
                "the ingest log's times were read as UTC: {} of the {} files with a logged upload and a birth time on the server were created one zone offset after their logged time ({} at it); set `ingest_times` in [rules] to \"utc\" or \"local\" to say which",
                z.utc, z.pairs, z.local
            ),
            json!({"pairs": z.pairs, "utc": z.utc, "local": z.local}),
        );
    }
    let tables = [
        (
            ctx.env.log_cover,
            "ingest log",
            if ctx.settings.birth_time_is_upload {
                "uploads are the files' births on the server"
            } else {
                "uploads are unknown (birth_time_is_upload = false)"
            },
        ),
        (
            ctx.env.notes_cover,
            "media notes",
            "the files they describe are undescribed (DL-CLASSIFY)",
        ),
    ];
    for (cover, table, until) in tables {
        let Some(c) = cover else { continue };
        out.add(
            "DL-LOGPATHS",
            Target::default(),
            None,
            None,
            None,
            format!(
                "the {table}'s {} lines name almost none of the files (more than nine lines in ten name no file, fewer than one file in ten has a line): the {table} names the roots otherwise (an upload station's drive or share?); set `ingest_path_prefixes` in [rules] to its names for them. Until then {until}",
                c.lines
            ),
            // The line count alone: a province's shards each count their own files.
            json!({"table": table, "lines": c.lines}),
        );
    }
    let cal = &ctx.env.context.calendar;
    let mut days = Workdays {
        cal,
        tz: ctx.tz,
        uncovered: BTreeSet::new(),
    };
    let first = first_uploads(ctx);
    let versions = first_versions(ctx);
    let stages = stage_ends(ctx, &first, &versions);
    for f in ctx.facts.iter().filter(|f| f.is_footage()) {
        let Some(o) = ctx.obligation(f) else { continue };
        let Some(upload) = o.upload_us else { continue };
        // A copy of footage already on the server (a clerk's copy into a case folder, made
        // later) reached it with the first of its copies.
        let earlier = f
            .blake3
            .as_deref()
            .zip(f.start_us())
            .and_then(|k| first.get(&k))
            .filter(|&&(t, _)| t < upload)
            .map(|&(t, row)| (t, &ctx.facts[row]));
        // A companion (or a copy of one) went up with its main stream if that was earlier.
        let earlier = [
            earlier,
            main_first(ctx, f, upload),
            version_first(ctx, &versions, f, upload),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|&(t, c)| (t, c.row));
        let stage_end = stages.get(f.row).copied().flatten();
        // 第十六条 asks the staff to store what they recorded within 24 hours of coming
        // back: a fixed camera's export (a clerk's copy of the permit hall's surveillance,
        // made when it is needed) was brought back from nowhere, and a live stream's
        // recording (the media server's copy, written as it arrived) by no one.
        if !ctx.of_fixed_camera(f) && !crate::sessions::is_live(f) {
            upload_deadline(ctx, f, o, (upload, earlier), stage_end, &mut days, out);
        }
        // 第十七条 asks a recording to be classified and described: a later copy of one is
        // not judged again (its first copy is, from its upload), nor is a live stream's
        // recording (the server's copy of what the card holds, as a platform's preview is).
        if !o.described_undated && earlier.is_none() && !crate::sessions::is_live(f) {
            classify_deadline(ctx, f, o, upload, &mut days, out);
        }
    }
    archive_deadlines(ctx, &mut days, out);
    for y in days.uncovered {
        out.add(
            "DL-CALENDAR",
            Target::default(),
            None,
            None,
            None,
            format!(
                "working-day deadlines from {y} onwards cannot be judged: the calendar covers {}; add that year's official calendar to the context folder",
                cal.years()
            ),
            json!({"year": y}),
        );
    }
}

/// Working-day arithmetic on the official calendar, remembering the years it does not cover.
struct Workdays<'a> {
    cal: &'a Calendar,
    tz: chrono_tz::Tz,
    uncovered: BTreeSet<i32>,
}

impl Workdays<'_> {
    /// End of the n-th working day after `from`.
    fn after(&mut self, from: NaiveDate, n: u32) -> Option<i64> {
        match self.cal.nth_workday_after(from, n) {
            Ok(d) => end_of_day_us(d, self.tz),
            Err(_) => {
                self.uncovered.insert(from.year());
                None
            }
        }
    }
}

/// For each key that more than one of `files` holds, the earliest upload time among them
/// and that file's row.
fn earliest<'a, K: std::hash::Hash + Eq>(
    ctx: &Ctx<'a>,
    files: impl IntoIterator<Item = (K, &'a FileFacts)>,
) -> HashMap<K, (i64, usize)> {
    let mut seen: HashMap<K, (i64, usize, u32)> = HashMap::new();
    for (k, f) in files {
        let Some(t) = ctx.obligation(f).and_then(|o| o.upload_us) else {
            continue;
        };
        let e = seen.entry(k).or_insert((t, f.row, 0));
        if t < e.0 {
            (e.0, e.1) = (t, f.row);
        }
        e.2 += 1;
    }
    seen.into_iter()
        .filter(|(_, (_, _, n))| *n > 1)
        .map(|(k, (t, row, _))| (k, (t, row)))
        .collect()
}

/// For each recording (its content, BLAKE3, and its start) that more than one footage file
/// holds, the earliest upload time among them and that file's row. Copies of one recording
/// keep its name's time; the same bytes under another time are a renamed copy, which says
/// nothing of when that recording reached the server (INT-DUPLICATE reports it).
fn first_uploads<'a>(ctx: &Ctx<'a>) -> HashMap<(&'a str, i64), (i64, usize)> {
    earliest(
        ctx,
        ctx.facts
            .iter()
            .filter(|f| f.is_footage())
            .filter_map(|f| Some(((f.blake3.as_deref()?, f.start_us()?), f))),
    )
}

/// A companion of a segment (a sub-stream beside it, or a platform's preview made of it
/// later: alike in start and length, smaller pictures, `sessions::companions`) whose main
/// stream reached the server before it (`upload`): that upload and the main stream. The
/// companion is no footage of its own to upload (第十六条) or describe (第十七条).
fn main_first<'a>(ctx: &Ctx<'a>, f: &FileFacts, upload: i64) -> Option<(i64, &'a FileFacts)> {
    // A copy of a preview is the preview's companion, the preview its main stream's.
    let mut main = &ctx.facts[ctx.sessions.main_of(f.row)?];
    for _ in 0..2 {
        match ctx.sessions.main_of(main.row) {
            Some(m) => main = &ctx.facts[m],
            None => break,
        }
    }
    let t = ctx.obligation(main)?.upload_us?;
    (t < upload).then_some((t, main))
}

/// For each recording of a device under one file name and time that more than one footage
/// file holds (a station's second upload re-muxed: other bytes, INT-VERSION), the earliest
/// upload among them and that file's row.
type Versions<'a> = HashMap<(&'a str, &'a str, i64), (i64, usize)>;

fn first_versions<'a>(ctx: &Ctx<'a>) -> Versions<'a> {
    let mut out = Versions::new();
    for run in ctx.same_start(|f| f.is_footage() && f.device_id.is_some()) {
        out.extend(earliest(
            ctx,
            run.into_iter().filter_map(|i| {
                let f = &ctx.facts[i];
                Some(((f.device_id.as_deref()?, f.file_name(), f.start_us()?), f))
            }),
        ));
    }
    out
}

/// The first upload of another file of `f`'s recording under its name, if before `upload`.
fn version_first<'a>(
    ctx: &Ctx<'a>,
    versions: &Versions<'a>,
    f: &FileFacts,
    upload: i64,
) -> Option<(i64, &'a FileFacts)> {
    if versions.is_empty() {
        return None;
    }
    let key = (f.device_id.as_deref()?, f.file_name(), f.start_us()?);
    let &(t, row) = versions.get(&key)?;
    (t < upload && row != f.row).then(|| (t, &ctx.facts[row]))
}

/// A device's footage files as (start, end, row), and the upload times of its files.
type DeviceTimes = (Vec<(i64, i64, usize)>, Vec<i64>);

/// For each footage file of a device (by row), the end of the enforcement stage it was
/// recorded in (第十六条: the 24 hours run from the return after the stage, which is after
/// its last recording): the device's recordings in time order, a stage ending where the next
/// starts more than `stage_pause_s` after the latest end so far, or after an upload of any
/// of the device's files (the officer was back at the dock) but a later copy's (`first`) or a
/// companion's (a platform's preview made later). A recording whose time is not its
/// own (CLK-SETBACK, a reset clock) is left out: its deadline runs from the latest it can have
/// ended.
fn stage_ends(
    ctx: &Ctx,
    first: &HashMap<(&str, i64), (i64, usize)>,
    versions: &Versions,
) -> Vec<Option<i64>> {
    let mut out = vec![None; ctx.facts.len()];
    let pause_us = (ctx.settings.stage_pause_s * 1e6) as i64;
    let mut by_device: HashMap<&str, DeviceTimes> = HashMap::new();
    for f in ctx.facts.iter().filter(|f| f.is_footage()) {
        let Some(d) = f.device_id.as_deref() else {
            continue;
        };
        let e = by_device.entry(d).or_default();
        // A later copy or a companion (a platform's preview made months after) reached the
        // server on no dock of the officer's: its upload ends no stage.
        let later = !first.is_empty()
            && f.blake3
                .as_deref()
                .zip(f.start_us())
                .and_then(|k| first.get(&k))
                .is_some_and(|&(_, row)| row != f.row)
            || ctx.sessions.main_of(f.row).is_some()
            || crate::sessions::is_live(f)
            || !versions.is_empty()
                && f.device_id
                    .as_deref()
                    .zip(f.start_us())
                    .is_some_and(|(d, t)| {
                        versions
                            .get(&(d, f.file_name(), t))
                            .is_some_and(|&(_, row)| row != f.row)
                    });
        if let Some(u) = ctx.obligation(f).and_then(|o| o.upload_us)
            && !later
        {
            e.1.push(u);
        }
        // A recording whose time is not its own places no stage (its own deadline runs from
        // the latest it can have ended).
        if let (Some(start), Some(end)) = (f.start_us(), f.end_us())
            && !ctx.time_not_own(f)
        {
            e.0.push((start, end, f.row));
        }
    }
    for (mut files, mut uploads) in by_device.into_values() {
        files.sort_unstable();
        uploads.sort_unstable();
        let docked_between = |a: i64, b: i64| {
            uploads.partition_point(|&u| u <= a) < uploads.partition_point(|&u| u < b)
        };
        let mut k = 0;
        while k < files.len() {
            let mut end = files[k].1;
            let mut j = k + 1;
            while j < files.len() {
                let (start, e, _) = files[j];
                if start - end > pause_us || docked_between(end, start) {
                    break;
                }
                end = end.max(e);
                j += 1;
            }
            for &(_, _, row) in &files[k..j] {
                out[row] = Some(end);
            }
            k = j;
        }
    }
    out
}

/// 第十六条: on the server within 24 hours of the recording's end (3 working days for
/// special circumstances). `earlier`: the upload time and file of a copy of the same bytes
/// that reached the server before this one, which then counts.
fn upload_deadline(
    ctx: &Ctx,
    f: &FileFacts,
    o: &Obligation,
    (own_upload, earlier): (i64, Option<(i64, &FileFacts)>),
    stage_end: Option<i64>,
    days: &mut Workdays,
    out: &mut Findings,
) {
    let upload = earlier.map_or(own_upload, |(t, _)| t);
    let Some(named_end) = f.end_us() else {
        return;
    };
    // A recording named from a clock set back (CLK-SETBACK) or reset: when it was made is
    // known only as a span, from the counter's start to before the recording numbered next
    // began. It is late only if late at the span's end; where the span has no end, when it
    // was recorded is unknown, and no deadline is judged.
    let set_back = ctx.time_not_own(f).then(|| ctx.counter_latest_end(f.row));
    let recording_end = match set_back {
        Some(Some(latest)) => latest,
        Some(None) => return,
        None => named_end,
    };
    // The officer returns when the stage of enforcement ends, after its last recording.
    let end = stage_end
        .filter(|_| set_back.is_none())
        .map_or(recording_end, |e| e.max(recording_end));
    let special = o
        .cases
        .iter()
        .any(|&c| ctx.env.context.cases[c].special_circumstances);
    let limit = if special {
        local_date(end, ctx.tz).and_then(|d| days.after(d, UPLOAD_SPECIAL_WORKDAYS))
    } else {
        Some(end + UPLOAD_HOURS * 3_600_000_000)
    };
    let Some(limit) = limit.filter(|&l| upload > l) else {
        return;
    };
    let late_h = (upload - end) as f64 / 3.6e9;
    out.add(
        "DL-UPLOAD",
        Target {
            file: Some(f),
            ..Default::default()
        },
        Some(upload),
        None,
        Some((upload - limit) as f64 / 1e6),
        format!(
            "uploaded {} ({}), {late_h:.1} h after the {} ended at {}{}; allowed: {}",
            local(ctx, upload),
            match earlier {
                Some((_, c)) => format!("as {}, which it copies or accompanies", c.path),
                None => o.upload_source.unwrap_or("?").to_string(),
            },
            if end > recording_end {
                "stage of enforcement it was recorded in (the device's last recording before a pause or an upload)"
            } else {
                "recording"
            },
            local(ctx, end),
            if set_back.is_some() {
                " (at the latest, by its recorder's counter: its clock was not true)"
            } else {
                ""
            },
            if special { "3 working days (special circumstances)" } else { "24 h" }
        ),
        json!({"upload": upload, "upload_source": o.upload_source, "deadline_from": end, "deadline": limit, "special_circumstances": special, "named_end": set_back.map(|_| named_end), "recording_end": recording_end, "stage_end": stage_end, "copy_of": earlier.map(|(_, c)| c.path.as_ref())}),
    );
}

/// 第十七条: classified and described within 2 working days of the upload.
fn classify_deadline(
    ctx: &Ctx,
    f: &FileFacts,
    o: &Obligation,
    upload: i64,
    days: &mut Workdays,
    out: &mut Findings,
) {
    let Some(limit) = local_date(upload, ctx.tz).and_then(|d| days.after(d, CLASSIFY_WORKDAYS))
    else {
        return;
    };
    let late = match o.described_at_us {
        Some(t) if t > limit => Some(format!(
            "described {} ({}), after the deadline, {}",
            local(ctx, t),
            o.description_source.unwrap_or("?"),
            due(ctx, limit)
        )),
        None if ctx.now_us > limit => Some(format!(
            "not classified or described; due by {} (uploaded {})",
            due(ctx, limit),
            local(ctx, upload)
        )),
        _ => None,
    };
    if let Some(msg) = late {
        out.add(
            "DL-CLASSIFY",
            Target {
                file: Some(f),
                ..Default::default()
            },
            Some(limit),
            None,
            Some((o.described_at_us.unwrap_or(ctx.now_us) - limit) as f64 / 1e6),
            msg,
            json!({"upload": upload, "described_at": o.described_at_us, "description_source": o.description_source, "deadline": limit}),
        );
    }
}

/// 第十八条: a closed case archived within its working-day limit.
fn archive_deadlines(ctx: &Ctx, days: &mut Workdays, out: &mut Findings) {
    for c in &ctx.env.context.cases {
        let Some(closed) = c.closed else { continue };
        let Some(limit) = days.after(closed, ARCHIVE_WORKDAYS) else {
            continue;
        };
        let archived = c.archived.and_then(|d| end_of_day_us(d, ctx.tz));
        let msg = match (c.archived, archived) {
            (Some(d), Some(a)) if a > limit => Some(format!(
                "case {} closed {closed} was archived {d}, after the deadline, {}",
                c.case_id,
                due(ctx, limit)
            )),
            (None, _) if ctx.now_us > limit => Some(format!(
                "case {} closed {closed} is not archived; due by {}",
                c.case_id,
                due(ctx, limit)
            )),
            _ => None,
        };
        if let Some(msg) = msg {
            out.add(
                "DL-ARCHIVE",
                Target {
                    case: Some(c.case_id.as_str()),
                    ..Default::default()
                },
                Some(limit),
                None,
                Some((archived.unwrap_or(ctx.now_us) - limit) as f64 / 1e6),
                msg,
                json!({"case_id": c.case_id, "closed": closed.to_string(), "archived": c.archived.map(|d| d.to_string()), "deadline": limit}),
            );
        }
    }
}
