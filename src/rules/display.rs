//! The picture as a witness — 第十二条(三) (records must show the true time) and 第十二条(五)
//! (no inserted footage, no re-recording): the recorder's burned-in clock, as the keyframe
//! stage read it (`files.osd_*`), held against the file name, the container and the device's
//! own history. Only readings at or above `osd_min_confidence`, of files whose display was
//! read at the first and the last keyframe, are used to accuse; a file whose display could not
//! be read so is never accused by these rules. Clearing a lower frame rate (OSD-RATE) asks
//! half that confidence of readings that all keep one clock ([`clearing`]).
//!
//! What it checks:
//! - `inserted_footage` (OSD-JUMP): inside one file the displayed clock jumps against the
//!   file's own timestamps by more than `osd_jump_tolerance_s` — two recordings joined so that
//!   the container runs on without a break. Example: a 12-second file whose display reads
//!   10:02:00-10:02:05, then 10:20:00.
//! - `inserted_footage` (OSD-SEAM): two recordings of one session that the names call
//!   contiguous (the second starts within `gap_tolerance_s` of the first's end), whose
//!   displays disagree by more than `osd_jump_tolerance_s` and one second more (names are whole
//!   seconds) on where the second begins: the clock in the picture does not run on from one
//!   segment into the next, so one of them is footage from another time filed as part of the
//!   recording: the one whose offset is farther from the device's usual offset is reported.
//!   The first's offset at its end is taken (after a jump inside it, if any). Example: segments
//!   named 10:00:21 (14 s) and 10:00:35, the second's display showing 10:00:11.
//! - `inserted_footage` (OSD-DEVICE): the display names another device than the one the
//!   device's other files show: at least two digits, read on both sides and counted from the
//!   right within the serial (the digits the reading ends with) that most of its readable
//!   files (two at least) show, differ from it, at the file's first keyframe and at its last
//!   (when read there); a number is one of two digits or more (letters
//!   are not read, so `DSJ-MX04` may show only `04`, and as `?` in one picture and a look-alike
//!   digit in another: whole readings of one device may differ where their serials agree).
//!   A device renumbered for good (another number from some recording on, in every later one
//!   of two sessions at least, the old one never again) is two histories, each judged alone,
//!   and `setting_change` (OSD-NUMBER, information) marks its first recording with the new
//!   number.
//! - `time_mismatch` (OSD-OFFSET): a device's display keeps one offset to the file names (its
//!   clock against the server's), changing slowly or in one step when the clock is set. A file
//!   whose offset differs by more than `osd_offset_tolerance_s` from both of the device's
//!   neighbouring readable files in recording order, which agree with each other, says another
//!   time than its name: renamed and re-stamped, or named from a wrong clock. A step where the
//!   clock was set agrees with one neighbour and is not reported. Nor is a recording's first
//!   file (its session's first, or the first after a gap in it) whose picture starts up to
//!   [`PRE_RECORD_MAX_S`] before its name: recorders keep a pre-record buffer and some name
//!   the file at the button press, so that footage from before the press leads the name. A
//!   live stream's pieces (`sessions::is_live`) are named by the media server's clock, not the
//!   recorder's: they are a history of their own beside the device's own files.
//! - `clock_reset` (OSD-RESET): the display shows a year before `earliest_plausible_year` or a
//!   time more than `future_tolerance_s` after the scan (the recorder's clock was reset), the
//!   second witness beside CLK-RESET's container and file-name times. Also a display whose
//!   clock steps between an implausible time and a plausible one inside the file: the clock
//!   set (by satellite or network time, once it has a fix) or reset while the recorder
//!   recorded, not two recordings joined (no OSD-JUMP). And a jump of a plausible clock whose
//!   step the pictures show inside a group of pictures (`files.osd_jump_inside_gop`: the
//!   pictures before the keyframe after it show the new time already): footage joined by
//!   stream copy begins at a keyframe, so the clock was set while the recorder recorded.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::{Ctx, Findings, local};
use crate::catalog::FileFacts;
use crate::osd::numbers::{SERIAL_MIN, digits, same_device, serial};

/// Readings the rules may use: confident enough, of a recording, read at both ends. A file
/// whose display was read in one keyframe only (shorter than its keyframe interval, or its
/// other reading set aside) has no second picture to check that reading against: one digit
/// misread at full confidence (a `2` whose bottom stroke the scene swallowed, read as `7`) is
/// no ground for an accusation.
fn readable<'a>(ctx: &Ctx, f: &'a FileFacts) -> Option<&'a crate::catalog::OsdFacts> {
    read_at(f, ctx.settings.osd_min_confidence)
}

/// [`readable`] at confidence `floor`.
fn read_at(f: &FileFacts, floor: f64) -> Option<&crate::catalog::OsdFacts> {
    let o = &f.osd;
    (f.status.as_ref() == "ok"
        && o.start_us.is_some()
        && o.end_us.is_some()
        && f64::from(o.confidence?) >= floor)
        .then_some(o)
}

/// The confidence a reading needs to clear a frame-rate finding (OSD-RATE for INS-RATE's
/// stretch and INS-SESSION's segment): half of `osd_min_confidence`. An accusation rests on
/// what a reading shows unlike the rest (a jump, another offset), which one misread digit can
/// make; clearing rests on readings at the start, inside and at the end (and across the
/// seams) that all show the one clock the pictures' own times predict, to the second, which
/// misread digits do not make. A display whose digit reads between two learned shapes (the
/// manipulation bench's x265 `3`, its hook kept in some pictures and lost in others, at 0.47)
/// so still clears a recorder's low-light stretch; a stretch of another time, however
/// surely read, does not.
fn clearing(ctx: &Ctx) -> f64 {
    ctx.settings.osd_min_confidence / 2.0
}

/// Whether the picture's clock runs on through the file's stretch at another frame rate (the
/// second witness for INS-RATE): the file's display is read at both ends at the confidence
/// that clears ([`clearing`]), without a jump beyond `osd_jump_tolerance_s`, and a keyframe
/// inside the stretch, read at that confidence or more, keeps the offset to the file's
/// timestamps that the start shows, within `osd_jump_tolerance_s`. That offset's change, when
/// so.
pub(super) fn runs_on_through_stretch(ctx: &Ctx, f: &FileFacts) -> Option<f32> {
    let s = ctx.settings;
    let o = read_at(f, clearing(ctx))?;
    if o.jump_s
        .is_some_and(|j| f64::from(j.abs()) > s.osd_jump_tolerance_s)
    {
        return None;
    }
    let (step, confidence) = f.odd().osd_stretch?;
    (f64::from(confidence) >= clearing(ctx) && f64::from(step.abs()) <= s.osd_jump_tolerance_s)
        .then_some(step)
}

/// Whether the picture's clock runs on from the segment before `f` in its session into `f`,
/// and from `f` into the segment after it (the second witness for INS-SESSION where a segment
/// differs from its session by its frame rate alone): `f` and each neighbour it has are read
/// at both ends at the confidence that clears ([`clearing`]), the names call them contiguous
/// (within `gap_tolerance_s`), their displays agree on where the later one begins within
/// `osd_jump_tolerance_s` and a second more (as OSD-SEAM), `f`'s display shows no jump, and
/// its device number is the neighbour's ([`one_device`]). A neighbour whose display cannot be
/// read so witnesses neither way: its seam is left out, and where no seam is left, the
/// nearest recordings of the device read so, before and after `f` within a day
/// ([`device_witness`]), stand in for the neighbours: one of them showing the device's number
/// and `f`'s offset to its name is enough (a recorder in the dark whose segment before the
/// half-rate one is too dark to read; footage of another time or recorder shows another
/// offset or number). The steps at the seams (or against the stand-in) and the stand-in,
/// when so; `None` for a segment alone.
pub(super) fn runs_on_across<'f>(
    ctx: &Ctx<'f>,
    members: &[usize],
    f: &FileFacts,
) -> Option<RunsOn<'f>> {
    let s = ctx.settings;
    let k = members.iter().position(|&i| i == f.row)?;
    let of = read_at(f, clearing(ctx))?;
    if of
        .jump_s
        .is_some_and(|j| f64::from(j.abs()) > s.osd_jump_tolerance_s)
    {
        return None;
    }
    let before = k.checked_sub(1).map(|j| (&ctx.facts[members[j]], f));
    let after = members.get(k + 1).map(|&j| (f, &ctx.facts[j]));
    let mut steps = Vec::new();
    let mut unread = false;
    for (a, b) in before.into_iter().chain(after) {
        let other = if std::ptr::eq(a, f) { b } else { a };
        if read_at(other, clearing(ctx)).is_none() {
            unread = true;
            continue;
        }
        if !one_device(other, f) {
            return None;
        }
        let (end, start) = seam_offsets_at(ctx, a, b, clearing(ctx))?;
        let step = f64::from(start - end);
        if step.abs() > s.osd_jump_tolerance_s + 1.0 {
            return None;
        }
        steps.push(step);
    }
    if !steps.is_empty() {
        return Some(RunsOn {
            steps,
            stand_in: None,
        });
    }
    if !unread {
        return None;
    }
    let (w, step) = device_witness(ctx, f)?;
    Some(RunsOn {
        steps: vec![step],
        stand_in: Some(w),
    })
}

/// What [`runs_on_across`] found: the clock's steps at the seams (seconds), and the recording
/// of the device that stood in for neighbours whose displays could not be read, if one did.
pub(super) struct RunsOn<'f> {
    pub steps: Vec<f64>,
    pub stand_in: Option<&'f FileFacts>,
}

/// Whether `a` and `b` show one device: device numbers that name a device the same one
/// ([`same_device`]), or, where too few digits are read to name a device (a font whose letters
/// and some digits read as `?`: `???????6` on both sides; or a display without a number: none
/// on both), readings exactly alike.
fn one_device(a: &FileFacts, b: &FileFacts) -> bool {
    match (a.osd_device.as_deref(), b.osd_device.as_deref()) {
        (Some(x), Some(y)) => same_device(x, y) || x == y,
        (x, y) => x == y,
    }
}

/// How far from `f` in time the recordings that stand in for its unreadable neighbours
/// ([`device_witness`]) may be: a day, within which a recorder's clock drifts by well under
/// the `osd_jump_tolerance_s`; and how many recordings are looked through on each side.
const STAND_IN_US: i64 = 86_400_000_000;
const STAND_IN_FILES: usize = 64;

/// The nearest recording of `f`'s device before `f` and the nearest after it (in the device's
/// sessions, in recording order, within [`STAND_IN_US`]), each read at the confidence that
/// clears: the first of them that shows the device number `f` shows ([`one_device`]) and the
/// offset to its name `f` shows at its nearer end (within `osd_jump_tolerance_s` and a second
/// more), with that step.
fn device_witness<'f>(ctx: &Ctx<'f>, f: &FileFacts) -> Option<(&'f FileFacts, f64)> {
    let list = &ctx.sessions.list;
    let si = (*ctx.sessions.of_file.get(f.row)?)?;
    let sess = list.get(si)?;
    let k = sess.members.iter().position(|&i| i == f.row)?;
    let at = f.start_us()?;
    let of = read_at(f, clearing(ctx))?;
    let (f_start, f_end) = (of.offset_s?, of.offset_s? + of.jump_s.unwrap_or(0.0));
    let device = |j: usize| list.get(j).filter(|x| x.device == sess.device);
    // The device's recordings before `f`, nearest first, then those after it.
    let earlier = sess.members[..k].iter().rev().chain(
        (0..si)
            .rev()
            .map_while(device)
            .flat_map(|x| x.members.iter().rev()),
    );
    let later = sess.members[k + 1..].iter().chain(
        (si + 1..list.len())
            .map_while(device)
            .flat_map(|x| x.members.iter()),
    );
    let nearest = |rows: &mut dyn Iterator<Item = &usize>| {
        rows.take(STAND_IN_FILES)
            .map(|&i| &ctx.facts[i])
            .take_while(|w| w.start_us().is_some_and(|t| (t - at).abs() <= STAND_IN_US))
            .find_map(|w| Some((w, read_at(w, clearing(ctx))?)))
    };
    let before = nearest(&mut earlier.into_iter()).and_then(|(w, o)| {
        let end = o.offset_s? + o.jump_s.unwrap_or(0.0);
        Some((w, f64::from(f_start - end)))
    });
    let after = nearest(&mut later.into_iter())
        .and_then(|(w, o)| Some((w, f64::from(o.offset_s? - f_end))));
    before.into_iter().chain(after).find(|&(w, step)| {
        one_device(w, f) && step.abs() <= ctx.settings.osd_jump_tolerance_s + 1.0
    })
}

/// The display's offsets on both sides of the seam between consecutive segments `a` and `b`
/// that the names call contiguous (`b` starts within `gap_tolerance_s` of `a`'s end), both
/// readable: `a`'s offset at its end (its start's, after a jump inside it, if any) and `b`'s
/// at its start. Their difference is how far the clock does not run on from one into the
/// next (OSD-SEAM, and OSD-RATE's seams).
fn seam_offsets(ctx: &Ctx, a: &FileFacts, b: &FileFacts) -> Option<(f32, f32)> {
    seam_offsets_at(ctx, a, b, ctx.settings.osd_min_confidence)
}

/// [`seam_offsets`] of displays read at confidence `floor` or more.
fn seam_offsets_at(ctx: &Ctx, a: &FileFacts, b: &FileFacts, floor: f64) -> Option<(f32, f32)> {
    let (oa, ob) = (read_at(a, floor)?, read_at(b, floor)?);
    let (end, start) = (crate::sessions::end_us(a)?, b.start_us()?);
    if (start - end).abs() > (ctx.settings.gap_tolerance_s * 1e6) as i64 {
        return None;
    }
    Some((oa.offset_s? + oa.jump_s.unwrap_or(0.0), ob.offset_s?))
}

/// The gap the pictures show between consecutive segments `a` and `b` whose names and
/// durations leave `delta_s` seconds between a's end and b's start (the second witness for
/// CONT-GAP): b's display at its start against a's display carried from its last keyframe to
/// its end, both against their own names: `delta_s` plus b's offset minus a's offset at its
/// end. Near 0 when the clock runs on from one segment into the next although the names leave
/// a gap (a recorder that drops pictures under load and stamps the rest at its nominal rate:
/// its container's timeline runs short of its clock). `None` unless both displays are
/// readable.
pub(super) fn picture_gap(ctx: &Ctx, a: &FileFacts, b: &FileFacts, delta_s: f64) -> Option<f64> {
    let (oa, ob) = (readable(ctx, a)?, readable(ctx, b)?);
    let a_end = a.odd().osd_end_offset_s.or(oa.offset_s)?;
    Some(delta_s + f64::from(ob.offset_s?) - f64::from(a_end))
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let s = ctx.settings;
    let mut by_device: HashMap<&str, Vec<&FileFacts>> = HashMap::new();
    let twelve = twelve_hour_devices(ctx);
    let on_twelve = |f: &FileFacts| f.device_id.as_deref().is_some_and(|d| twelve.contains(d));
    let implausible = |t: i64| ctx.implausible(t);
    for f in ctx.facts {
        let Some(o) = readable(ctx, f) else { continue };
        // A jump between an implausible time and a plausible one is the recorder's clock set
        // (by satellite or network time, once it has a fix) or reset while it recorded: the
        // footage runs on, the clock does not. OSD-RESET says so, not OSD-JUMP.
        let set_while_recording =
            o.start_us.is_some_and(implausible) != o.end_us.is_some_and(implausible);
        if let (Some(jump), Some(at)) = (o.jump_s, o.jump_at_s)
            && f64::from(jump.abs()) > s.osd_jump_tolerance_s
            && o.jump_confidence
                .is_none_or(|c| f64::from(c) >= s.osd_min_confidence)
        {
            if set_while_recording && let (Some(before), Some(after)) = (o.start_us, o.end_us) {
                out.file(
                    "OSD-RESET",
                    f,
                    format!(
                        "{}: the picture shows {} at the start and {} at the end, its clock stepping {jump:+.0} s at {at:.1} s into the file while the file's own timestamps run on (the recorder's clock was {} while it recorded)",
                        f.file_name(),
                        local(ctx, before),
                        local(ctx, after),
                        if implausible(before) { "set" } else { "reset" }
                    ),
                    json!({"osd_start_us": before, "osd_end_us": after, "jump_s": jump, "at_s": at, "confidence": o.confidence}),
                );
            } else if o.jump_inside_gop == Some(true) {
                // The pictures before the keyframe after the jump show the new time already:
                // the clock stepped inside a group of pictures, where no footage joined by
                // stream copy can begin. The recorder's clock was set while it recorded.
                out.file(
                    "OSD-RESET",
                    f,
                    format!(
                        "{}: the time shown in the picture steps {jump:+.0} s inside the group of pictures before {at:.1} s into the file, between two pictures coded one after the other, while the file's own timestamps run on (the recorder's clock was set while it recorded; footage joined by stream copy would begin at a keyframe)",
                        f.file_name()
                    ),
                    json!({"jump_s": jump, "at_s": at, "inside_gop": true, "osd_start_us": o.start_us, "confidence": o.confidence, "jump_confidence": o.jump_confidence}),
                );
            } else if !(on_twelve(f) && half_days(f64::from(jump), s.osd_jump_tolerance_s)) {
                out.file(
                    "OSD-JUMP",
                    f,
                    format!(
                        "{}: the time shown in the picture jumps {jump:+.0} s at {at:.1} s into the file while the file's own timestamps run on",
                        f.file_name()
                    ),
                    json!({"jump_s": jump, "at_s": at, "osd_start_us": o.start_us, "confidence": o.confidence, "jump_confidence": o.jump_confidence}),
                );
            }
        }
        // Both ends of the file: one misread digit of the year in one picture is not a reset
        // clock.
        if let Some(shown) = o.start_us
            && implausible(shown)
            && o.end_us.is_some_and(implausible)
        {
            out.file(
                "OSD-RESET",
                f,
                format!(
                    "{}: the picture shows {} (the recorder's clock was reset or is wrong)",
                    f.file_name(),
                    local(ctx, shown)
                ),
                json!({"osd_start_us": shown, "confidence": o.confidence}),
            );
        }
        if let Some(device) = f.device_id.as_deref() {
            by_device.entry(device).or_default().push(f);
        }
    }
    for (device, files) in by_device.iter_mut() {
        files.sort_by_key(|f| (f.start_us(), f.row));
        match renumbered(ctx, files) {
            Some((before, k)) => {
                foreign_display(&files[..k], out);
                foreign_display(&files[k..], out);
                let (was, now) = (files[before], files[k]);
                out.file(
                    "OSD-NUMBER",
                    now,
                    format!(
                        "{}: the picture names device {} from this recording on, where the device's recordings before it showed {}: the recorder's number was set again",
                        now.file_name(),
                        now.osd_device.as_deref().unwrap_or("?"),
                        was.osd_device.as_deref().unwrap_or("?"),
                    ),
                    json!({"osd_device": now.osd_device.as_deref(), "before": was.osd_device.as_deref(), "last_before": was.path.as_ref()}),
                );
            }
            None => foreign_display(files, out),
        }
        // The names of a live stream's pieces are the media server's clock, the recorder's
        // own files' its own clock: two histories of offsets, each judged alone.
        let (mut live, mut own): (Vec<&FileFacts>, Vec<&FileFacts>) =
            files.iter().partition(|f| crate::sessions::is_live(f));
        offsets(ctx, &mut own, twelve.contains(device), out);
        offsets(ctx, &mut live, twelve.contains(device), out);
    }
    seams(ctx, &twelve, out);
}

/// Twelve hours: how far a 12-hour display's time steps where its AM/PM marker changes.
const HALF_DAY_S: f64 = 43_200.0;

/// The hour a display showed, from the time read off it (which was taken as local time).
fn hour_shown(ctx: &Ctx, t_us: i64) -> i64 {
    (t_us.div_euclid(1_000_000) + ctx.zone_offset_s(t_us)).rem_euclid(86_400) / 3_600
}

/// Devices whose display may be a 12-hour clock: every time read on them (both ends of every
/// readable recording) shows an hour from 1 to 12. Its AM/PM marker is not read (letters are
/// not learned), so such a display's time steps back twelve hours where 12:59:59 becomes
/// 01:00:00, and on a day where 11:59:59 at night becomes 12:00:00 of the next day (read as
/// its noon; until 2026-12-06, afternoon, that step was taken for a join: OSD-JUMP `high`):
/// on these devices a step of twelve hours or of a day ([`half_days`]) is no evidence of
/// another time. A 24-hour display shows an hour of 0 or 13-23 as soon as the device records
/// in the afternoon or at night.
fn twelve_hour_devices<'f>(ctx: &Ctx<'f>) -> HashSet<&'f str> {
    let mut all: HashMap<&'f str, bool> = HashMap::new();
    for f in ctx.facts {
        let (Some(o), Some(d)) = (readable(ctx, f), f.device_id.as_deref()) else {
            continue;
        };
        let in_range = [o.start_us, o.end_us]
            .into_iter()
            .flatten()
            .all(|t| (1..=12).contains(&hour_shown(ctx, t)));
        *all.entry(d).or_insert(true) &= in_range;
    }
    all.into_iter()
        .filter(|(_, v)| *v)
        .map(|(d, _)| d)
        .collect()
}

/// A step of twelve hours or of a day, within `tolerance` seconds: how a 12-hour display's
/// time, read without its AM/PM marker, moves against the true time. 12:59:59 turning to
/// 01:00:00 steps back twelve hours; 11:59:59 at night turning to 12:00:00 of the next day
/// (read as its noon) steps on a day; a recording's offset to its name is 0 from 01:00 to
/// 12:59, -12 h in the afternoon and evening, +12 h in the hour after midnight, so that two
/// recordings' offsets are up to a day apart.
fn half_days(step_s: f64, tolerance: f64) -> bool {
    let n = (step_s.abs() / HALF_DAY_S).round();
    (1.0..=2.0).contains(&n) && (step_s.abs() - n * HALF_DAY_S).abs() <= tolerance
}

/// OSD-SEAM: contiguous segments whose displays do not run on from one into the next. Of the
/// two, the one whose offset is farther from the device's usual one (the median of its
/// readable recordings) is reported: the seam shows that one of them is from another time, the
/// device's history which.
fn seams(ctx: &Ctx, twelve: &HashSet<&str>, out: &mut Findings) {
    let s = ctx.settings;
    let tolerance = s.osd_jump_tolerance_s + 1.0;
    // The device's own files and its live stream's pieces apart (their names, two clocks).
    let mut usual: HashMap<(&str, bool), Vec<f32>> = HashMap::new();
    for f in ctx.facts {
        if let (Some(o), Some(d)) = (readable(ctx, f), f.device_id.as_deref())
            && let Some(offset) = o.offset_s
        {
            usual
                .entry((d, crate::sessions::is_live(f)))
                .or_default()
                .push(offset);
        }
    }
    let usual: HashMap<(&str, bool), f32> = usual
        .into_iter()
        .map(|(d, mut v)| {
            v.sort_by(f32::total_cmp);
            (d, v[v.len() / 2])
        })
        .collect();
    // A segment between two seams (stepped back and on again) is reported once.
    let mut reported: HashSet<&str> = HashSet::new();
    for session in &ctx.sessions.list {
        let device_usual = usual
            .get(&(session.device.as_str(), session.live))
            .copied()
            .unwrap_or(0.0);
        for pair in session.members.windows(2) {
            let (a, b) = (&ctx.facts[pair[0]], &ctx.facts[pair[1]]);
            let Some((before, after)) = seam_offsets(ctx, a, b) else {
                continue;
            };
            let step = f64::from(after - before);
            if step.abs() <= tolerance
                || (twelve.contains(session.device.as_str()) && half_days(step, tolerance))
            {
                continue;
            }
            let (odd, other) = if (before - device_usual).abs() > (after - device_usual).abs() {
                (a, b)
            } else {
                (b, a)
            };
            if !reported.insert(odd.path.as_ref()) {
                continue;
            }
            out.file(
                "OSD-SEAM",
                odd,
                format!(
                    "{}: the picture's clock does not run on between {} and {}, which the names call contiguous: it steps {step:+.0} s, and this one is off the device's usual offset",
                    odd.file_name(),
                    a.file_name(),
                    b.file_name()
                ),
                json!({"step_s": step, "next_to": other.path.as_ref(), "offsets_s": [before, after], "device_usual_offset_s": device_usual, "osd_start_us": odd.osd.start_us, "confidence": odd.osd.confidence}),
            );
        }
    }
}

/// Where a device's display was renumbered for good: the place in `files` (a device's readable
/// recordings in time order) from which on its pictures name another device number than before
/// and never the old one again, over recordings of two sessions at least, the old number shown
/// by two at least before it and most of them, the new one by most after it (misread pictures
/// aside). An administrator gives a recorder a new number (a unit reorganised, a recorder
/// moved), and every later recording shows it: each side is its own history for OSD-DEVICE,
/// and OSD-NUMBER (information) marks the change. Footage of another recorder put among the
/// device's files shows its number in one session and the device's own after it, or is the
/// last session: still OSD-DEVICE. The last recording showing the old number and the first
/// showing the new one (places in `files`); `None` where no such place is.
fn renumbered(ctx: &Ctx, files: &[&FileFacts]) -> Option<(usize, usize)> {
    let shown: Vec<(usize, &str)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.osd_device.as_deref().map(|d| (i, serial(d))))
        .filter(|(_, s)| s.len() >= SERIAL_MIN)
        .collect();
    // Most of `part` show `s`, two at least.
    let most = |part: &[(usize, &str)], s: &str| {
        let n = part.iter().filter(|(_, t)| *t == s).count();
        n >= 2 && n * 2 > part.len()
    };
    let &(_, new) = shown.last()?;
    // The old number: what most of the other pictures show.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for &(_, s) in shown.iter().filter(|(_, s)| *s != new) {
        *counts.entry(s).or_default() += 1;
    }
    let (&old, _) = counts
        .iter()
        .max_by_key(|(s, n)| (**n, std::cmp::Reverse(**s)))?;
    // The tail begins after the last picture of the old number (a misread one between
    // belongs to the tail).
    let last_old = shown.iter().rposition(|&(_, s)| s == old)?;
    let (head, tail) = shown.split_at(last_old + 1);
    let sessions: std::collections::HashSet<Option<usize>> = tail
        .iter()
        .filter(|(_, s)| *s == new)
        .map(|&(i, _)| ctx.sessions.of_file.get(files[i].row).copied().flatten())
        .collect();
    let clean = !head.iter().any(|&(_, s)| s == new);
    (clean && most(head, old) && most(tail, new) && sessions.len() >= 2)
        .then(|| (head[last_old].0, tail[0].0))
}

/// OSD-DEVICE: a file whose display names another device than the device's other files.
/// The device's own number is the serial (the digits a reading ends with) most of its readable
/// files show: the letters before it read as `?` in one picture and as look-alike digits in
/// another, so whole readings of one device may disagree where their serials do not.
fn foreign_display(files: &[&FileFacts], out: &mut Findings) {
    let shown: Vec<(usize, &str)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.osd_device.as_deref().map(|d| (i, d)))
        .filter(|(_, d)| digits(d).len() >= SERIAL_MIN)
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, d) in &shown {
        *counts.entry(serial(d)).or_default() += 1;
    }
    let Some((&usual, &n)) = counts
        .iter()
        .filter(|(s, _)| s.len() >= SERIAL_MIN)
        .max_by_key(|(s, n)| (**n, std::cmp::Reverse(**s)))
    else {
        return;
    };
    // The device's own number: at least two files agree on it, and more than half of those read.
    if n < 2 || n * 2 <= shown.len() {
        return;
    }
    // As most of them read it whole, for the message.
    let mut whole: HashMap<&str, usize> = HashMap::new();
    for (_, d) in shown.iter().filter(|(_, d)| serial(d) == usual) {
        *whole.entry(d).or_default() += 1;
    }
    let reading = whole
        .iter()
        .max_by_key(|(d, n)| (**n, std::cmp::Reverse(**d)))
        .map_or(usual, |(d, _)| *d);
    for &(i, d) in &shown {
        // The device's own number as it usually reads, read together with what follows it
        // (the space before the next group not seen, a shape of the scene beside it): its own.
        if same_device(d, reading) {
            continue;
        }
        let differing = digits_apart(d, usual);
        // The end's reading, when the file has one, must name another device too: a digit
        // misread in one picture (a small or blurred display) names none.
        let f = files[i];
        let at_end = f
            .osd_device_end
            .as_deref()
            .is_none_or(|e| digits_apart(e, usual) >= 2);
        // Or one digit, where both ends show it surely and the number at the length most
        // of the device's recordings read it at (a neighbouring recorder, numbered next).
        // Only the places where the device's id (from the path) has digits too: a letter
        // beside the serial (`C` of `ACC02`) reads as a look-alike digit in some pictures, and
        // the usual serial may hold it.
        let own = f.device_id.as_deref().map_or(0, |d| serial(d).len());
        let usual_tail = &usual[usual.len() - own.min(usual.len())..];
        let sure = f
            .osd_device_sure
            .as_deref()
            .filter(|s| s.len() == reading.len() && !usual_tail.is_empty())
            .map_or(0, |s| digits_apart(s, usual_tail));
        if (differing >= 2 && at_end) || sure >= 1 {
            let how = if differing >= 2 && at_end {
                format!("{differing} digits differ")
            } else {
                format!("{sure} digit(s) differ, read surely at its first and last keyframe")
            };
            out.file(
                "OSD-DEVICE",
                f,
                format!(
                    "{}: the picture names device {d} where the device's other recordings show {reading} ({how})",
                    f.file_name()
                ),
                json!({"osd_device": d, "osd_device_end": f.osd_device_end.as_deref(), "osd_device_sure": f.osd_device_sure.as_deref(), "usual": reading, "usual_serial": usual, "digits_differing": differing, "sure_digits_differing": sure, "files_agreeing": n}),
            );
        }
    }
}

/// Places, counted from the right, within the run of digits that `usual` (the device's own
/// number as most of its recordings show it) ends with, where `a` shows a digit too and the
/// digits differ. A letter is not learned: it may read as `?` in one picture and as a
/// look-alike digit in another (`D` as `8` or `0`, `S` as `5`), so only the number's digit
/// tail is compared (its serial; letters stand before it), only digits read on both sides
/// count, and one differing digit as read is not enough to say the picture names another
/// device; one read surely at both ends of the file (`osd_device_sure`) is.
fn digits_apart(a: &str, usual: &str) -> usize {
    a.chars()
        .rev()
        .zip(usual.chars().rev().take_while(char::is_ascii_digit))
        .filter(|(x, y)| x.is_ascii_digit() && x != y)
        .count()
}

/// The longest pre-record buffer of a recorder (seconds): footage kept from before the button
/// press (GA/T 947 recorders offer up to a minute).
pub const PRE_RECORD_MAX_S: f64 = 60.0;

/// OSD-OFFSET: a file whose display-to-name offset disagrees with both neighbours, which agree.
fn offsets(ctx: &Ctx, files: &mut [&FileFacts], twelve_hour: bool, out: &mut Findings) {
    let tol = ctx.settings.osd_offset_tolerance_s;
    let mut timed: Vec<(i64, f64, &FileFacts)> = files
        .iter()
        .filter_map(|f| {
            Some((
                f.name_time_us.or(f.creation_time_us)?,
                f64::from(f.osd.offset_s?),
                *f,
            ))
        })
        .collect();
    timed.sort_by(|a, b| (a.0, &a.2.path).cmp(&(b.0, &b.2.path)));
    for w in timed.windows(3) {
        let [(_, before, b), (at, here, f), (_, after, a)] = w else {
            continue;
        };
        let usual = (before + after) / 2.0;
        // A recording's first file (its session's first, or the first after a gap in it)
        // whose picture begins before its name by a pre-record buffer; or a file between two
        // such (their pictures begin before their names, a later segment's at its name;
        // until 2026-12-06, afternoon, every segment between two recordings' first files led
        // by a buffer longer than the tolerance was OSD-OFFSET).
        let led = |n: &FileFacts, from: f64, to: f64| {
            ctx.starts_recording(n.row) && from < to && to - from <= PRE_RECORD_MAX_S
        };
        let pre_record = led(f, *here, usual) || (led(b, *before, *here) && led(a, *after, *here));
        let am_pm = twelve_hour && half_days(here - usual, tol);
        if (before - after).abs() <= tol
            && !am_pm
            && (here - before).abs() > tol
            && (here - after).abs() > tol
            && !pre_record
        {
            out.file(
                "OSD-OFFSET",
                f,
                format!(
                    "{}: the picture's clock says {:+.0} s from the file name where the device's recordings before and after it say {:+.0} s: the file's time is not when it was recorded",
                    f.file_name(),
                    here,
                    usual
                ),
                json!({"offset_s": here, "neighbours_s": [before, after], "name_time_us": at, "osd_start_us": f.osd.start_us}),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{digits_apart, half_days};
    use crate::catalog::{FileFacts, OsdFacts};

    /// Device A's five-minute recordings: (seconds after 10:00 of its name, display minus
    /// name in seconds). The OSD findings, sorted.
    fn offset_findings(files: &[(i64, f32)]) -> Vec<String> {
        osd_findings(&history(files))
    }

    fn history(files: &[(i64, f32)]) -> Vec<FileFacts> {
        files
            .iter()
            .enumerate()
            .map(|(row, &(at, offset))| {
                let name_us = 1_773_280_800_000_000 + at * 1_000_000;
                FileFacts {
                    row,
                    path: format!("A_{at}.MP4").into(),
                    name_time_us: Some(name_us),
                    duration_s: Some(300.0),
                    osd: OsdFacts {
                        start_us: Some(name_us + (offset * 1e6) as i64),
                        end_us: Some(name_us + ((offset + 290.0) * 1e6) as i64),
                        offset_s: Some(offset),
                        confidence: Some(1.0),
                        ..Default::default()
                    },
                    text: crate::catalog::TextFacts {
                        status: "ok".into(),
                        device_id: Some("A".into()),
                        media_kind: Some("video".into()),
                        ..Default::default()
                    }
                    .into(),
                    ..Default::default()
                }
            })
            .collect()
    }

    /// The OSD findings of `facts`, sorted.
    /// [`osd_findings`] of device `A`'s `facts`, each showing the device number of `shows`.
    fn devices_shown(mut facts: Vec<FileFacts>, shows: &[&str]) -> Vec<String> {
        for (f, d) in facts.iter_mut().zip(shows) {
            f.text = crate::catalog::TextFacts {
                status: "ok".into(),
                device_id: Some("A".into()),
                media_kind: Some("video".into()),
                osd_device: Some((*d).into()),
                ..Default::default()
            }
            .into();
        }
        osd_findings(&facts)
    }

    fn osd_findings(facts: &[FileFacts]) -> Vec<String> {
        osd_findings_with(facts, &crate::rules::RuleSettings::default())
    }

    /// [`osd_findings`] under `settings`.
    fn osd_findings_with(
        facts: &[FileFacts],
        settings: &crate::rules::RuleSettings,
    ) -> Vec<String> {
        findings_of(facts, settings, |id| id.starts_with("OSD-"))
    }

    /// The findings of `facts` whose rule `wanted` picks, as `rule path`, sorted (scanned in
    /// January 2027).
    fn findings_of(
        facts: &[FileFacts],
        settings: &crate::rules::RuleSettings,
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let a =
            crate::analyse::analyse(facts, settings, chrono_tz::UTC, "r", 1_800_000_000_000_000);
        let mut found: Vec<String> = a
            .findings
            .iter()
            .filter(|f| wanted(&f.rule_id))
            .map(|f| format!("{} {}", f.rule_id, f.path.as_deref().unwrap_or("")))
            .collect();
        found.sort();
        found
    }

    /// A session of three contiguous five-minute segments of device A, h264 at 30 fps but the
    /// third at 15 (a recorder in the dark), the third's display `third_offset` seconds off the
    /// others' (0: the clock running on across the seams), every display read at `confidence`
    /// and showing the device number given: the INS- and OSD- findings.
    fn half_rate_third(
        devices: [Option<&str>; 3],
        confidence: f32,
        third_offset: f32,
    ) -> Vec<String> {
        let mut facts = history(&[(0, 0.0), (300, 0.0), (600, third_offset)]);
        for (f, device) in facts.iter_mut().zip(devices) {
            f.osd.confidence = Some(confidence);
            f.frame_rate = Some(if f.row == 2 { 15.0 } else { 30.0 });
            (f.width, f.height) = (Some(1920), Some(1080));
            let mut text = (*f.text).clone();
            text.video_codec = Some("h264".into());
            text.video_profile = Some("High".into());
            text.osd_device = device.map(Into::into);
            f.text = text.into();
        }
        findings_of(&facts, &crate::rules::RuleSettings::default(), |id| {
            id.starts_with("OSD-") || id.starts_with("INS-")
        })
    }

    /// Device A's `history`, the files at `live` positions its live stream's pieces as the
    /// media server recorded them (Flash Video, named by the server's clock).
    fn with_live(files: &[(i64, f32)], live: &[usize]) -> Vec<FileFacts> {
        let mut facts = history(files);
        for &k in live {
            let f = &mut facts[k];
            f.path = f.path.replace(".MP4", ".flv").into();
            f.text = crate::catalog::TextFacts {
                container: Some("flv".into()),
                ..(*f.text).clone()
            }
            .into();
        }
        facts
    }

    #[test]
    fn a_live_streams_pieces_named_by_the_servers_clock_are_a_history_of_their_own() {
        // The recorder's own files show its clock at their names; its live pieces, named by a
        // server whose clock runs two minutes ahead, show it 120 s before theirs.
        let files = [
            (0, 0.0),
            (300, -120.0),
            (600, 0.0),
            (900, -120.0),
            (1200, 0.0),
        ];
        // Taken for one history (as with any other container): each piece disagrees with the
        // own files either side of it, and the own file between two pieces with them; their
        // seams do not run on.
        let one = history(&files);
        assert_eq!(
            osd_findings(&one),
            [
                "OSD-OFFSET A_300.MP4",
                "OSD-OFFSET A_600.MP4",
                "OSD-OFFSET A_900.MP4",
                "OSD-SEAM A_300.MP4",
                "OSD-SEAM A_900.MP4"
            ]
        );
        // As the server's pieces: two histories, each steady.
        assert!(osd_findings(&with_live(&files, &[1, 3])).is_empty());
        // A device whose last recordings are live pieces has not moved to FLV for good.
        let last = with_live(&[(0, 0.0), (300, 0.0), (600, 0.0), (900, 0.0)], &[2, 3]);
        let settings = crate::rules::RuleSettings::default();
        assert!(findings_of(&last, &settings, |id| id == "FW-CHANGE").is_empty());
    }

    #[test]
    fn a_half_rate_segment_whose_clock_runs_on_needs_no_device_number_to_be_the_recorders() {
        let third = |devices| half_rate_third(devices, 1.0, 0.0);
        // The device number read on every segment: the recorder's own at a lower rate.
        let named = Some("?????0012");
        assert_eq!(third([named; 3]), ["OSD-RATE A_600.MP4"]);
        // Too few digits read to name a device (a font whose letters and a digit read as
        // `?`), alike on every segment; or a display showing the clock alone: the clock is
        // the witness, and nothing says another recorder's.
        let few = Some("???????6");
        assert_eq!(third([few; 3]), ["OSD-RATE A_600.MP4"]);
        assert_eq!(third([None; 3]), ["OSD-RATE A_600.MP4"]);
        // Another number on the odd segment, or one where the others show none: inserted.
        let other = Some("0????4757");
        assert_eq!(third([few, few, other]), ["INS-SESSION A_600.MP4"]);
        // (Its serial read whole against the device's own: OSD-DEVICE too.)
        assert_eq!(
            third([named, named, Some("?????0345")]),
            ["INS-SESSION A_600.MP4", "OSD-DEVICE A_600.MP4"]
        );
        assert_eq!(third([None, None, few]), ["INS-SESSION A_600.MP4"]);
    }

    #[test]
    fn a_clock_read_below_the_rules_confidence_clears_a_lower_rate_when_it_runs_on() {
        // The three segments' displays read at 0.47 (a digit between two learned shapes):
        // too little to accuse on, enough to show the one clock running on across the seams.
        let named = [Some("?????0012"); 3];
        assert_eq!(half_rate_third(named, 0.47, 0.0), ["OSD-RATE A_600.MP4"]);
        // Below half the rules' confidence: nothing clears it.
        assert_eq!(half_rate_third(named, 0.2, 0.0), ["INS-SESSION A_600.MP4"]);
        // Read at 0.47, the third segment shows another time: no clearing, and no
        // accusation from the display either (it is not read surely enough).
        assert_eq!(
            half_rate_third(named, 0.47, 900.0),
            ["INS-SESSION A_600.MP4"]
        );
    }

    #[test]
    fn a_half_rate_segment_after_unreadable_ones_is_witnessed_by_the_devices_nearest_reading() {
        // Device A records at `earlier` (seconds after 10:00, one segment), then a session of
        // three segments from 10:00 + 1 h whose first two are too dark to read and whose third
        // is at half the frame rate, its display `offset` from its name and showing `shown`.
        fn dark_session(earlier: i64, offset: f32, shown: &str) -> Vec<String> {
            let mut facts = history(&[(earlier, 0.0), (3600, 0.0), (3900, 0.0), (4200, offset)]);
            for f in &mut facts {
                f.frame_rate = Some(if f.row == 3 { 15.0 } else { 30.0 });
                (f.width, f.height) = (Some(1920), Some(1080));
                let mut text = (*f.text).clone();
                text.video_codec = Some("h264".into());
                text.video_profile = Some("High".into());
                text.osd_device = Some(if f.row == 3 { shown } else { "?????0012" }.into());
                f.text = text.into();
                if matches!(f.row, 1 | 2) {
                    f.osd = OsdFacts::default();
                }
            }
            findings_of(&facts, &crate::rules::RuleSettings::default(), |id| {
                id.starts_with("INS-") || id == "OSD-RATE"
            })
        }
        // The device's recording an hour before shows its number and the offset the third
        // segment shows: the recorder's own footage at a lower rate.
        assert_eq!(dark_session(0, 0.0, "?????0012"), ["OSD-RATE A_4200.MP4"]);
        // Another time, another number, or no reading of the device within a day: inserted.
        assert_eq!(
            dark_session(0, 900.0, "?????0012"),
            ["INS-SESSION A_4200.MP4"]
        );
        assert_eq!(
            dark_session(0, 0.0, "?????0345"),
            ["INS-SESSION A_4200.MP4"]
        );
        assert_eq!(
            dark_session(-90_000, 0.0, "?????0012"),
            ["INS-SESSION A_4200.MP4"]
        );
    }

    #[test]
    fn a_jump_is_taken_only_from_readings_at_the_configured_confidence() {
        // The last recording's display jumps a quarter of an hour 100 s in (the last, so that
        // no seam follows); its ends read at 1.0, the keyframes that place the jump no better
        // than 0.7.
        let mut facts = history(&[(0, 0.0), (300, 0.0), (600, 0.0)]);
        facts[2].osd.jump_s = Some(900.0);
        facts[2].osd.jump_at_s = Some(100.0);
        facts[2].osd.jump_confidence = Some(0.7);
        let strict = crate::rules::RuleSettings {
            osd_min_confidence: 0.8,
            ..Default::default()
        };
        assert_eq!(osd_findings(&facts), ["OSD-JUMP A_600.MP4"]);
        assert_eq!(osd_findings_with(&facts, &strict), Vec::<String>::new());
        facts[2].osd.jump_confidence = Some(0.85);
        assert_eq!(osd_findings_with(&facts, &strict), ["OSD-JUMP A_600.MP4"]);
        // A row written before the jump's confidence was kept: taken as before.
        facts[2].osd.jump_confidence = None;
        assert_eq!(osd_findings_with(&facts, &strict), ["OSD-JUMP A_600.MP4"]);
    }

    #[test]
    fn a_display_read_in_one_keyframe_only_accuses_no_one() {
        // Ninety seconds off its neighbours, and a year 7026 (a 2 read as a 7): each would be
        // a finding, but the file's display was read at its first keyframe only.
        let mut facts = history(&[(0, 0.0), (300, 0.0), (3600, -90.0), (3810, 0.0)]);
        facts[2].osd.end_us = None;
        assert_eq!(osd_findings(&facts), Vec::<String>::new());
        let year_7026 = 5000 * 31_556_952_000_000;
        facts[2].osd.start_us = facts[2].osd.start_us.map(|t| t + year_7026);
        assert_eq!(osd_findings(&facts), Vec::<String>::new());
        // Read at both ends, the year is a reset clock.
        facts[2].osd.end_us = facts[2].osd.start_us.map(|t| t + 290_000_000);
        assert!(osd_findings(&facts).contains(&"OSD-RESET A_3600.MP4".to_string()));
    }

    #[test]
    fn a_sessions_first_recording_may_lead_its_name_by_a_pre_record_buffer() {
        // A new session at 11:00 whose picture starts 35 s before its name: the pre-record
        // buffer of a recorder that names the file at the button press (its next segment is
        // named when it really starts, 265 s later). Not a mismatch, and no seam; the 35 s
        // the names overlap are the buffer (information), not footage recorded twice.
        let pre_record = [(0, 0.0), (300, 0.0), (3600, -35.0), (3865, 0.0)];
        assert_eq!(offset_findings(&pre_record), ["OSD-PRERECORD A_3865.MP4"]);
        // The same within a session: stopped at 600 s and pressed again at 700 s, 35 s of
        // buffer before the press (the pause is the session's, not the buffer's).
        let again = [(0, 0.0), (300, 0.0), (700, -35.0), (965, 0.0), (1265, 0.0)];
        assert_eq!(offset_findings(&again), ["OSD-PRERECORD A_965.MP4"]);
        // Started again 5 s after it stopped (at 605 s), with 10 s of buffer: the names leave
        // 5 s, the footage none (it reaches back 5 s into the previous recording's).
        let soon = [(0, 0.0), (300, 0.0), (605, -10.0), (895, 0.0), (1195, 0.0)];
        assert_eq!(
            offset_findings(&soon),
            ["OSD-PRERECORD A_605.MP4", "OSD-PRERECORD A_895.MP4"]
        );
        // A picture that starts more than a buffer before the previous recording ended is
        // no buffer: the gap stays.
        let far = [(0, 0.0), (300, 0.0), (605, -70.0), (895, 0.0), (1195, 0.0)];
        assert!(!offset_findings(&far).contains(&"OSD-PRERECORD A_605.MP4".to_string()));
        // Ninety seconds is more than any buffer.
        assert_eq!(
            offset_findings(&[(0, 0.0), (300, 0.0), (3600, -90.0), (3810, 0.0)]),
            ["OSD-OFFSET A_3600.MP4"]
        );
        // Inside a recording there is no buffer: the picture steps back and on again.
        assert_eq!(
            offset_findings(&[(0, 0.0), (300, -35.0), (600, 0.0)]),
            ["OSD-OFFSET A_300.MP4", "OSD-SEAM A_300.MP4"]
        );
        // A picture later than its name is no pre-record; the seam after it is laid on it, the
        // one off the device's usual offset, not on the honest segment that follows.
        assert_eq!(
            offset_findings(&[(0, 0.0), (300, 0.0), (3600, 35.0), (3900, 0.0)]),
            ["OSD-OFFSET A_3600.MP4", "OSD-SEAM A_3600.MP4"]
        );
    }

    #[test]
    fn segments_overlapping_by_the_recorders_own_clock_hold_the_same_moments_twice() {
        let overlap = |findings: Vec<String>| -> Vec<String> {
            findings
                .into_iter()
                .filter(|f| f.starts_with("CONT-OVERLAP") || f.starts_with("OSD-"))
                .collect()
        };
        let all = |facts: &[FileFacts]| {
            overlap(findings_of(
                facts,
                &crate::rules::RuleSettings::default(),
                |_| true,
            ))
        };
        // Five-minute segments each starting 3 s before the last one ends, every display at
        // its own name's time: the pictures overlap as the names do.
        let twice = [(0, 0.0), (297, 0.0), (594, 0.0), (891, 0.0)];
        assert_eq!(
            all(&history(&twice)),
            [
                "OSD-TWICE A_297.MP4",
                "OSD-TWICE A_594.MP4",
                "OSD-TWICE A_891.MP4"
            ]
        );
        // Displays not read: the names alone, an overlap.
        let mut unread = history(&twice);
        for f in &mut unread {
            f.osd.confidence = None;
        }
        assert_eq!(
            all(&unread),
            [
                "CONT-OVERLAP A_297.MP4",
                "CONT-OVERLAP A_594.MP4",
                "CONT-OVERLAP A_891.MP4"
            ]
        );
        // A segment of another time renamed into the overlap: its picture shows its own time,
        // 40 s off its name.
        let other = [(0, 0.0), (297, 40.0), (597, 0.0)];
        let found = all(&history(&other));
        assert!(
            found.contains(&"CONT-OVERLAP A_297.MP4".to_string()),
            "{found:?}"
        );
        assert!(
            !found.iter().any(|f| f.starts_with("OSD-TWICE")),
            "{found:?}"
        );
        // More than a minute twice is no overlap of segments.
        let far = [(0, 0.0), (220, 0.0)];
        assert_eq!(all(&history(&far)), ["CONT-OVERLAP A_220.MP4"]);
    }

    #[test]
    fn a_segment_between_recordings_led_by_a_pre_record_buffer_keeps_its_clock() {
        // Recordings whose first file holds 45 s of footage from before its name (the
        // recorder names it at the button press), each followed by a segment named where the
        // first's footage after the press ends: the first files' pictures begin 45 s before
        // their names, the second segments' at theirs.
        let h = 3600;
        let pre = [
            (8 * h, -45.0),
            (8 * h + 255, 0.0),
            (9 * h, -45.0),
            (9 * h + 255, 0.0),
            (10 * h, -45.0),
        ];
        // The overlaps by the names are the buffers (information); no offset is another time.
        assert_eq!(
            offset_findings(&pre),
            ["OSD-PRERECORD A_29055.MP4", "OSD-PRERECORD A_32655.MP4"]
        );
        // A segment named 45 s late between recordings led so is still another time when its
        // neighbours are no recordings' first files.
        let late = [(8 * h, 0.0), (8 * h + 300, -45.0), (8 * h + 600, 0.0)];
        assert_eq!(
            offset_findings(&late),
            ["OSD-OFFSET A_29100.MP4", "OSD-SEAM A_29100.MP4"]
        );
    }

    #[test]
    fn a_twelve_hour_display_steps_by_twelve_hours_without_accusing_anyone() {
        // Seconds after 02:00 (the tests' zone is UTC): 10:00, 10:05; 12:55 and 13:00
        // contiguous, the second's display showing 01:00 (its AM/PM marker is not read); one
        // at 13:05 showing 01:05; the next morning at 09:00 and 09:05.
        let h = 3600;
        let day = [
            (8 * h, 0.0),
            (8 * h + 300, 0.0),
            (10 * h + 3300, 0.0),
            (11 * h, -43_200.0),
            (11 * h + 300, -43_200.0),
            (31 * h, 0.0),
            (31 * h + 300, 0.0),
        ];
        assert_eq!(offset_findings(&day), Vec::<String>::new());
        // One afternoon recording between mornings: twelve hours off both neighbours.
        let lone = [
            (8 * h, 0.0),
            (8 * h + 300, 0.0),
            (11 * h + 300, -43_200.0),
            (31 * h, 0.0),
            (31 * h + 300, 0.0),
        ];
        assert_eq!(offset_findings(&lone), Vec::<String>::new());
        // Inside a recording the display turns from 12:59:59 to 01:00:00.
        let mut facts = history(&lone);
        facts[1].osd.jump_s = Some(-43_199.0);
        facts[1].osd.jump_at_s = Some(100.0);
        assert_eq!(osd_findings(&facts), Vec::<String>::new());
        // At midnight 11:59:59 turns to 12:00:00 of the next day, read as its noon: a day on.
        facts[1].osd.jump_s = Some(86_401.0);
        assert_eq!(osd_findings(&facts), Vec::<String>::new());
        // A recording in the hour after midnight reads twelve hours ahead of its name, between
        // two evenings' (twelve hours behind): a day from both.
        let night = [
            (8 * h, 0.0),
            (19 * h, -43_200.0),
            (22 * h + 600, 43_200.0),
            (43 * h, -43_200.0),
            (55 * h, 0.0),
        ];
        assert_eq!(offset_findings(&night), Vec::<String>::new());
        // Two days or three hours are no AM/PM marker.
        assert!(!half_days(172_800.0, 2.0) && !half_days(10_800.0, 2.0));
        assert!(half_days(-43_199.0, 2.0) && half_days(86_401.0, 2.0));
        // A device whose display shows 14:00 somewhere counts hours to 23: the same twelve
        // hours are another time, a jump is a jump, a seam a seam.
        let mut facts = history(&[
            (8 * h, 0.0),
            (8 * h + 300, 0.0),
            (11 * h + 300, -43_200.0),
            (12 * h, 0.0),
            (12 * h + 300, 0.0),
            (31 * h, 0.0),
        ]);
        assert_eq!(osd_findings(&facts), ["OSD-OFFSET A_39900.MP4"]);
        facts[1].osd.jump_s = Some(-43_199.0);
        facts[1].osd.jump_at_s = Some(100.0);
        assert!(osd_findings(&facts).contains(&"OSD-JUMP A_29100.MP4".to_string()));
        let seam = [
            (10 * h + 3300, 0.0),
            (11 * h, -43_200.0),
            (12 * h, 0.0),
            (12 * h + 300, 0.0),
        ];
        assert!(offset_findings(&seam).contains(&"OSD-SEAM A_39600.MP4".to_string()));
    }

    #[test]
    fn device_numbers_differ_only_by_digits_read_on_both_sides() {
        // Another device: four digits differ.
        assert_eq!(digits_apart("0?3?80345", "0?3?40012"), 4);
        // The same device, a letter read as `?` in one picture and as a digit in another.
        assert_eq!(digits_apart("0???40012", "0?3?40012"), 0);
        assert_eq!(digits_apart("0?3?40012", "0?3?40012"), 0);
        // The letters of `DSJ-A0012` read as look-alike digits, differently in two pictures:
        // outside the digit tail of the usual reading, they are not compared.
        assert_eq!(digits_apart("853?40012", "063?40012"), 0);
        assert_eq!(digits_apart("853?40012", "0?3?40012"), 0);
        // A one-digit serial difference is not enough either.
        assert_eq!(digits_apart("0?3?40013", "0?3?40012"), 1);
    }

    #[test]
    fn a_device_whose_display_reads_only_its_two_digit_serial_still_knows_another_device() {
        // `DSJ-MX04` in a font whose letters read as `?`: only the serial's two digits.
        let shows = |devices: &[&str]| {
            let facts = history(&[(0, 0.0), (300, 0.0), (600, 0.0), (3600, 0.0)]);
            devices_shown(facts, devices)
        };
        assert_eq!(
            shows(&["?????04", "?????04", "?????04", "????4757"]),
            ["OSD-DEVICE A_3600.MP4"]
        );
        // One digit apart, or one digit read: no accusation.
        assert!(shows(&["?????04", "?????04", "?????04", "?????05"]).is_empty());
        assert!(shows(&["?????04", "?????04", "?????04", "??????7"]).is_empty());
        // A single digit is no device number to hold others against.
        assert!(shows(&["??????4", "??????4", "??????4", "????4757"]).is_empty());
        // The letters before the serial read differently from picture to picture (a weak
        // display): no whole reading is the usual one, the serial is.
        assert_eq!(
            shows(&["?5????05", "05????05", "?5????05", "?5???4757"]),
            ["OSD-DEVICE A_3600.MP4"]
        );
        assert!(shows(&["?5????05", "05????05", "?5????05", "05????06"]).is_empty());
        // Serials that disagree among the device's own files: no usual number, no accusation.
        assert!(shows(&["?????04", "????905", "??????4", "????4757"]).is_empty());
    }

    #[test]
    fn one_digit_unlike_the_devices_own_names_another_device_only_when_read_surely_at_both_ends() {
        // `DSJ-A0012`'s recordings, the last showing `DSJ-A0013` (a recorder numbered next).
        let shows = |last: &str, sure: Option<&str>| shown_by("DSJ-A0012", "?????0012", last, sure);
        // The device's recordings as `id` (from the path), their display reading `usual` (at
        // both ends, surely), the last reading `last`, with `sure` of it read surely.
        fn shown_by(id: &str, usual: &str, last: &str, sure: Option<&str>) -> Vec<String> {
            let mut facts = history(&[(0, 0.0), (300, 0.0), (600, 0.0), (3600, 0.0)]);
            for (k, f) in facts.iter_mut().enumerate() {
                let (d, s) = if k == 3 {
                    (last, sure)
                } else {
                    (usual, Some(usual))
                };
                f.text = crate::catalog::TextFacts {
                    status: "ok".into(),
                    device_id: Some(id.into()),
                    media_kind: Some("video".into()),
                    osd_device: Some(d.into()),
                    osd_device_end: Some(d.into()),
                    osd_device_sure: s.map(Into::into),
                    ..Default::default()
                }
                .into();
            }
            osd_findings(&facts)
        }
        assert_eq!(
            shows("?????0013", Some("?????0013")),
            ["OSD-DEVICE A_3600.MP4"]
        );
        // The digit read less than surely at one end (or the two ends reading it unlike):
        // `?` there, nothing to say.
        assert!(shows("?????0013", Some("?????001?")).is_empty());
        // Not told (a row written before the column was): the two-digit rule alone.
        assert!(shows("?????0013", None).is_empty());
        // Read at another length than the device's own number is: not compared.
        assert!(shows("?????0013", Some("??????0013")).is_empty());
        // The device's own number read surely: nothing.
        assert!(shows("?????0012", Some("?????0012")).is_empty());
        // The device's own number read together with what follows it at both ends (the space
        // before the next group not seen, a shape of the scene read beside it): nothing.
        assert!(shows("?????0012?1", Some("?????0012?1")).is_empty());
        assert!(shows("?????0012?11", None).is_empty());
        // `DSJ-AC12`: its `C` read surely as `0` on most recordings, as `6` on one. Only the
        // places where the id has digits are compared: nothing.
        assert!(shown_by("DSJ-AC12", "?????012", "?????612", Some("?????612")).is_empty());
        assert_eq!(
            shown_by("DSJ-AC12", "?????012", "?????013", Some("?????013")),
            ["OSD-DEVICE A_3600.MP4"]
        );
        // An id with no digits gives none to compare one digit at.
        assert!(shown_by("A", "?????0012", "?????0013", Some("?????0013")).is_empty());
    }

    #[test]
    fn a_recorder_given_a_new_number_for_good_is_no_other_devices_footage() {
        // Device A's recordings over three days: a session of three on the first, of two on
        // each of the next two; the display showing `shows[k]`.
        let shows = |shows: &[&str]| {
            let day = 86_400;
            let mut facts = history(&[
                (0, 0.0),
                (300, 0.0),
                (600, 0.0),
                (day, 0.0),
                (day + 300, 0.0),
                (2 * day, 0.0),
                (2 * day + 300, 0.0),
            ]);
            facts.truncate(shows.len());
            devices_shown(facts, shows)
        };
        let (old, new) = ("?????0012", "?????0077");
        // Renumbered during the second day, every recording after showing the new number:
        // the change marked, no accusation of the old recordings or the new.
        assert_eq!(
            shows(&[old, old, old, old, new, new, new]),
            ["OSD-NUMBER A_86700.MP4"]
        );
        assert_eq!(
            shows(&[old, old, new, new, new, new, new]),
            ["OSD-NUMBER A_600.MP4"]
        );
        // A picture misread on either side does not hide the change.
        assert_eq!(
            shows(&[old, "?????0?12", old, old, new, "??????77", new]),
            ["OSD-NUMBER A_86700.MP4"]
        );
        // Another number in one session, the device's own after it: another device's footage.
        assert_eq!(
            shows(&[old, old, old, new, new, old, old]),
            ["OSD-DEVICE A_86400.MP4", "OSD-DEVICE A_86700.MP4"]
        );
        // ... or as the device's last session: one session is no renumbering.
        assert_eq!(
            shows(&[old, old, old, old, old, new, new]),
            ["OSD-DEVICE A_172800.MP4", "OSD-DEVICE A_173100.MP4"]
        );
        // The new number shown before the old one's last: not set for good, each judged.
        assert_eq!(
            shows(&[old, new, old, old, old, new, new]),
            [
                "OSD-DEVICE A_172800.MP4",
                "OSD-DEVICE A_173100.MP4",
                "OSD-DEVICE A_300.MP4"
            ]
        );
    }
}
