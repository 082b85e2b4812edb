//! Continuity between a device's segments — 第十二条(五): once recording starts at a site,
//! no intermittent recording and no selective cutting.
//!
//! What it checks: for consecutive segments of a session, `gap` (the next starts later than the
//! previous ended, beyond `gap_tolerance_s`, and no segment number is missing),
//! `missing_segment` (a segment number is skipped, also across a session boundary when the
//! numbering did not restart) and `overlap` (the next starts before the previous ended, beyond
//! `overlap_tolerance_s`). Example: `..._0002.MP4` ends 09:30:27, `..._0003.MP4` starts
//! 09:30:40: a 13 s gap. Start times are the file-name times (or container times), ends are
//! start plus duration; a segment of unknown duration is not compared. A gap through which the
//! picture's burned-in clock runs on from one segment into the next (read at both ends of
//! both, see `display::picture_gap`) is the container's timeline running short of the
//! recorder's clock (pictures dropped under load, the rest stamped at the nominal rate), and
//! is reported as information (OSD-GAP), not as a gap. Likewise an overlap the names leave
//! after a recording's first segment through which the picture's clock runs on is that file's
//! pre-record buffer, named at the button press (OSD-PRERECORD, information).
//!
//! A live stream's recordings (Flash Video, as a media server writes them: `sessions::is_live`)
//! make sessions of their own beside the recorder's; a gap between two of their pieces is
//! where the stream did not reach the server (a 4G network that dropped it, the recorder
//! pushing again a moment later) as much as where the officer stopped it, and the recorder's
//! own recording of that time, uploaded from its card, is the footage the article asks for:
//! `live_gap` (CONT-LIVE, `warn`), not `gap`.
//!
//! Not judged: a device the registry calls a fixed camera (`devices.kind` `cctv`, a permit
//! hall's video surveillance, 第十五条): its exports are windows a clerk cut from a camera that
//! records throughout, and what lies between two of them is no recording an officer
//! interrupted.
//!
//! Numbers skipped where the next segment starts as the previous one ends leave no time for a
//! missing recording: numbers given to files that are not in the tree (CONT-NUMBERING,
//! information); a device whose every such step is the same (two apart, say) numbers so by
//! habit, and its steps of that size are not reported at all, across a pause either. A
//! recording named from a reset clock (2000-01-01) still carries its number.
//!
//! A skipped number whose time is filled by a recording without a number in the same folder,
//! coded alike, whose own time and length lie in the gap, is a segment a clerk renamed by hand
//! (`现场检查.MP4`): `renamed_segment` (CONT-RENAMED, information), not `missing_segment`. So
//! is one moved (and renamed) elsewhere, into a case's folder as 第十八条 files a case: a
//! recording of no device anywhere in the catalogue (a case folder the patterns took for a
//! device is none, `recorders::attribute`), coded alike, numbered as a skipped number or not at
//! all, when those found fill the gap (within a session) or are as many as the numbers
//! skipped (across a pause).

use serde_json::json;

use std::collections::{BTreeSet, HashMap};

use super::{Ctx, Findings, Target, local};
use crate::catalog::FileFacts;
use crate::sessions::end_us;

use super::display::PRE_RECORD_MAX_S;

/// The segment numbers of a device's files that are no segment of a session (photos and
/// sub-streams, which many recorders number in the same sequence as their videos), with
/// their times, and of its files named from a reset clock (a year 2000 file between two of
/// this year's, one named from a clock set back to a plausible date, CLK-SETBACK, with the
/// file numbered just before it, or one named after its own upload, CLK-AHEAD: its number is
/// there, its time places it nowhere, `None`). Few in any tree: the index does not grow with
/// the segments.
fn numbered_others<'a>(ctx: &Ctx<'a>) -> HashMap<&'a str, Vec<(i32, Option<i64>)>> {
    let mut out: HashMap<&str, Vec<(i32, Option<i64>)>> = HashMap::new();
    let photos = ctx.facts.iter().filter(|f| !f.is_recording());
    let companions = ctx.sessions.companions().map(|i| &ctx.facts[i]);
    for f in photos.chain(companions) {
        if let (Some(d), Some(n), Some(t)) = (f.device_id.as_deref(), f.segment_seq, f.start_us())
            && !ctx.implausible(t)
        {
            out.entry(d).or_default().push((n, Some(t)));
        }
    }
    let reset = ctx.facts.iter().filter(|f| {
        f.start_us().is_some_and(|t| ctx.implausible(t))
            || ctx.counter_start(f.row).is_some()
            || super::clock::ahead_of_upload(ctx, f).is_some()
    });
    for f in reset {
        if let (Some(d), Some(n)) = (f.device_id.as_deref(), f.segment_seq) {
            out.entry(d).or_default().push((n, None));
            // A clock set back places the file before the one numbered just before it, which
            // its time then places after it: that number is there too.
            if ctx.counter_start(f.row).is_some()
                && let Some(m) = n.checked_sub(1)
            {
                out.entry(d).or_default().push((m, None));
            }
        }
    }
    siblings(ctx, &mut out);
    out
}

/// A device number told apart into two recorders ([`crate::recorders`]): when the two never
/// carry one number, they may be one counter after all (one recorder's files in two places,
/// its recordings seeming at once through a clock set back), so the other's numbers are
/// there too and a telling apart never makes a number missing. Two recorders numbering alike
/// (both from one) share numbers, and each one's gaps stay its own.
fn siblings<'a>(ctx: &Ctx<'a>, out: &mut HashMap<&'a str, Vec<(i32, Option<i64>)>>) {
    // Most catalogues tell no number apart: nothing to gather.
    if !ctx
        .facts
        .iter()
        .any(|f| f.device_id.as_deref().is_some_and(|d| d.contains('/')))
    {
        return;
    }
    let mut numbers: HashMap<&str, BTreeSet<i32>> = HashMap::new();
    for f in ctx.facts {
        if let (Some(d), Some(n)) = (f.device_id.as_deref(), f.segment_seq) {
            numbers.entry(d).or_default().insert(n);
        }
    }
    let told: BTreeSet<&str> = numbers
        .keys()
        .filter(|d| d.contains('/'))
        .map(|d| crate::recorders::bare(d))
        .collect();
    if told.is_empty() {
        return;
    }
    let mut by_number: HashMap<&str, Vec<&str>> = HashMap::new();
    for &d in numbers.keys() {
        let b = crate::recorders::bare(d);
        if told.contains(b) {
            by_number.entry(b).or_default().push(d);
        }
    }
    for keys in by_number.values() {
        for &d in keys {
            let mine = &numbers[d];
            let others = || keys.iter().filter(move |&&o| o != d).map(|o| &numbers[o]);
            if others().all(|o| o.is_disjoint(mine)) {
                let e = out.entry(d).or_default();
                e.extend(others().flatten().map(|&n| (n, None)));
            }
        }
    }
}

/// The step of each device's numbering where it is not one: the step between every two
/// segments of its sessions that run on from one into the next (within the tolerances), when
/// there are at least two such pairs and all step alike by more than one. A recorder that
/// numbers a sub-stream or a thumbnail in the same sequence as its main recordings, and whose
/// other files are not kept, numbers every recording two apart; across a pause its numbers
/// then step by two with nothing missing.
fn numbering_steps<'a>(ctx: &Ctx<'a>) -> HashMap<&'a str, i32> {
    let s = ctx.settings;
    // Per device: its one step so far (`None` once two differ) and how many pairs.
    let mut seen: HashMap<&str, (Option<i32>, usize)> = HashMap::new();
    for sess in &ctx.sessions.list {
        for w in sess.members.windows(2) {
            let (fa, fb) = (&ctx.facts[w[0]], &ctx.facts[w[1]]);
            let (Some(x), Some(y), Some(end), Some(start)) =
                (fa.segment_seq, fb.segment_seq, end_us(fa), fb.start_us())
            else {
                continue;
            };
            let delta = (start - end) as f64 / 1e6;
            if delta > s.gap_tolerance_s || delta < -s.overlap_tolerance_s {
                continue;
            }
            let step = y.saturating_sub(x);
            let (one, pairs) = seen.entry(sess.device.as_str()).or_insert((Some(step), 0));
            if *one != Some(step) {
                *one = None;
            }
            *pairs += 1;
        }
    }
    seen.into_iter()
        .filter_map(|(d, (step, pairs))| {
            Some((d, step?)).filter(|&(_, step)| step > 1 && pairs >= 2)
        })
        .collect()
}

/// The segment numbers skipped between two consecutive segments of a device, less those a
/// file of the device taken between their starts carries (a photo numbered in the sequence).
struct Skipped {
    /// How many numbers no file carries.
    count: i64,
    /// The numbers skipped: `from..=to`.
    from: i32,
    to: i32,
}

impl Skipped {
    /// Between segment `a` (number `x`) and segment `b` (number `y`); `None` when every
    /// number between is carried by some file.
    fn between(
        others: Option<&Vec<(i32, Option<i64>)>>,
        a: &FileFacts,
        b: &FileFacts,
        x: i32,
        y: i32,
    ) -> Option<Skipped> {
        if y <= x.saturating_add(1) {
            return None;
        }
        let (from, to) = (
            a.start_us().unwrap_or(i64::MIN),
            b.start_us().unwrap_or(i64::MAX),
        );
        let held: BTreeSet<i32> = others
            .into_iter()
            .flatten()
            .filter(|&&(n, t)| x < n && n < y && t.is_none_or(|t| from <= t && t <= to))
            .map(|&(n, _)| n)
            .collect();
        let count = i64::from(y) - i64::from(x) - 1 - held.len() as i64;
        (count > 0).then_some(Skipped {
            count,
            from: x + 1,
            to: y - 1,
        })
    }

    /// As a message names them: `segment 3`, `segments 3..5`, or how many of a range.
    fn named(&self) -> String {
        let whole = i64::from(self.to) - i64::from(self.from) + 1;
        match (self.count, self.count == whole) {
            (1, true) => format!("segment {}", self.from),
            (_, true) => format!("segments {}..{}", self.from, self.to),
            (n, false) => format!(
                "{n} of segments {}..{} (the others carried by photos or other files of the number)",
                self.from, self.to
            ),
        }
    }
}

/// How far from no gap the pictures' clocks may be for a gap the names leave to be the
/// timeline running short of the clock (OSD-GAP): the display shows whole seconds at both
/// ends (a second either way), and the drift after the last keyframe read is not counted
/// (half a second more). The gap the pictures show must also stay that far under the names':
/// footage truly missing shows the same gap in the picture as in the names.
const PICTURE_GAP_S: f64 = 1.5;

/// The picture as the second witness for an overlap the names leave after a recording's first
/// segment: a recorder with a pre-record buffer that names the file at the button press starts
/// its first file's footage before its name, by as much as the names overlap the next
/// segment. When `a` starts a recording (`first`: its session's first segment, or the first
/// after a gap, see [`Ctx::starts_recording`]), the overlap is at most
/// [`PRE_RECORD_MAX_S`], and the pictures' clocks run on from `a`'s end into `b`'s start
/// (within [`PICTURE_GAP_S`], and that far under the overlap), the gap the pictures show;
/// else `None` (CONT-OVERLAP stays).
fn pre_record(ctx: &Ctx, first: bool, a: &FileFacts, b: &FileFacts, delta_s: f64) -> Option<f64> {
    if !first || -delta_s > PRE_RECORD_MAX_S {
        return None;
    }
    super::display::picture_gap(ctx, a, b, delta_s)
        .filter(|g| g.abs() <= PICTURE_GAP_S.min(-delta_s - PICTURE_GAP_S))
}

/// The picture as the second witness for an overlap the names leave between two segments
/// that no pre-record buffer explains: both displays read, each at its own name's time (their
/// offsets to their names within [`PICTURE_GAP_S`] of each other), so that the pictures
/// overlap as the names do, by at most [`PRE_RECORD_MAX_S`]. The recorder's own clock then
/// runs through both files, which hold the same moments: a recorder that starts each segment
/// a few seconds before the last one ends, or its clock set back between them. Footage of
/// another time renamed into the overlap shows its own time, off its name by another offset
/// (CONT-OVERLAP stays, and OSD-OFFSET says how far). The overlap the pictures show; else
/// `None`.
fn recorded_twice(ctx: &Ctx, a: &FileFacts, b: &FileFacts, delta_s: f64) -> Option<f64> {
    if -delta_s > PRE_RECORD_MAX_S {
        return None;
    }
    super::display::picture_gap(ctx, a, b, delta_s).filter(|g| (g - delta_s).abs() <= PICTURE_GAP_S)
}

/// The folder of a path (`""` for a bare name).
fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Readable recordings without a segment number, by folder: among a device's numbered
/// segments, a file a clerk renamed by hand (`现场检查.MP4`), its recorder's number lost.
fn unnumbered_by_folder<'a>(ctx: &Ctx<'a>) -> HashMap<&'a str, Vec<&'a FileFacts>> {
    let mut out: HashMap<&str, Vec<&FileFacts>> = HashMap::new();
    for f in ctx
        .facts
        .iter()
        .filter(|f| f.segment_seq.is_none() && f.is_recording() && f.status.as_ref() == "ok")
    {
        out.entry(folder(&f.path)).or_default().push(f);
    }
    out
}

/// A device's recordings cut short or damaged whose length is unknown (an MP4 whose movie box
/// was never written, a recorder's power cut), by device and in time order: sessions leave
/// them out, having no length to place, but one named between two segments is that time's
/// footage, damaged (INT-UNREADABLE, or INT-INFLIGHT while an upload still writes it), not a
/// gap in the recording.
fn damaged<'a>(ctx: &Ctx<'a>) -> HashMap<&'a str, Vec<i64>> {
    let mut out: HashMap<&str, Vec<i64>> = HashMap::new();
    for f in ctx.facts {
        let (Some(device), Some(start)) = (f.device_id.as_deref(), f.start_us()) else {
            continue;
        };
        let unknown_length = !f.is_recording() || !f.duration_s.is_some_and(|d| d > 0.0);
        // (A recording deleted into a recycle bin holds nothing of the record.)
        if unknown_length
            && matches!(f.status.as_ref(), "truncated" | "corrupt")
            && recording_name(&f.path)
            && !crate::pathinfo::is_no_record(&f.path)
        {
            out.entry(device).or_default().push(start);
        }
    }
    for starts in out.values_mut() {
        starts.sort_unstable();
    }
    out
}

/// Whether the gap from `reach` (the previous segment `fa`'s end) to `b_start` is held by
/// damaged footage of the device, reported as such (INT-UNREADABLE, or INT-INFLIGHT while an
/// upload still writes it) rather than as a gap in the recording: `fa` itself cut short (a
/// power cut, a copy cut off: its held length ends before the recording did), or recordings
/// of unknown length named in the gap (`damaged`, in time order). Each holds at most a
/// segment's length (`slot_us`, the longest whole segment of the session; unbounded when
/// none is known) from its start, and each must start within `tolerance_us` of what those
/// before it hold: a gap beyond what the damaged footage can have held stays a gap.
fn damage_holds(
    fa: &FileFacts,
    damaged: &[i64],
    (reach, b_start): (i64, i64),
    slot_us: Option<i64>,
    tolerance_us: i64,
) -> bool {
    let a_start = fa.start_us().unwrap_or(i64::MIN);
    let slot = |from: i64| slot_us.map_or(i64::MAX, |d| from.saturating_add(d));
    let mut held = reach;
    if matches!(fa.status.as_ref(), "truncated" | "corrupt") {
        held = held.max(slot(a_start));
    }
    for &t in &damaged[damaged.partition_point(|&t| t <= a_start)..] {
        if t >= b_start || t > held.saturating_add(tolerance_us) {
            break;
        }
        held = held.max(slot(t));
    }
    held != reach && b_start <= held.saturating_add(tolerance_us)
}

/// Whether a file's name promises a video or sound recording (by its extension).
fn recording_name(path: &str) -> bool {
    crate::pathinfo::extension(path)
        .is_some_and(|ext| crate::media::names_a_recording(&ext.to_ascii_lowercase()))
}

/// Readable recordings of no device, by container time: where a clerk's move (into a case
/// folder, 第十八条) or renaming left a segment (`案卷/AJ-2026-031/现场检查.MP4`, or a case
/// folder that the path patterns took for a device, see `recorders::attribute`).
fn loose<'a>(ctx: &Ctx<'a>) -> Vec<&'a FileFacts> {
    let mut out: Vec<&FileFacts> = ctx
        .facts
        .iter()
        .filter(|f| {
            f.device_id.is_none()
                && f.is_recording()
                && f.status.as_ref() == "ok"
                // A segment deleted into a recycle bin is missing from the record, not moved.
                && !crate::pathinfo::is_no_record(&f.path)
                && f.start_us().is_some()
                && f.duration_s.is_some_and(|d| d.is_finite() && d > 0.0)
        })
        .collect();
    out.sort_by_key(|f| (f.start_us(), f.row));
    out
}

/// The largest zone offset there is (UTC+14), in microseconds.
const ZONE_MAX_US: i64 = 14 * 3_600_000_000;

/// Whether `f`, coded as `a` or `b` is, lies by its own time and length inside the gap from
/// `reach` to `b_start` (within `gap_tolerance_s` at each end; its container time read as the
/// recorder may write it: at the start or the end of the recording, in UTC or in local time).
/// Returns where it then starts.
fn fits(
    ctx: &Ctx,
    f: &FileFacts,
    (a, b): (&FileFacts, &FileFacts),
    (reach, b_start): (i64, i64),
) -> Option<i64> {
    let tol = (ctx.settings.gap_tolerance_s * 1e6) as i64;
    if ctx.sig(f) != ctx.sig(a) && ctx.sig(f) != ctx.sig(b) {
        return None;
    }
    let (t, d) = (f.start_us()?, f.duration_s.filter(|d| d.is_finite())?);
    let len = (d * 1e6) as i64;
    let zone = ctx.zone_offset_s(t) * 1_000_000;
    [
        t,
        t - len,
        t - zone,
        t - zone - len,
        t + zone,
        t + zone - len,
    ]
    .into_iter()
    .find(|&start| start >= reach - tol && start + len <= b_start + tol)
}

/// The files that hold the place of numbers skipped between segments `a` and `b` (numbers
/// `x + 1 .. y - 1`, the gap from `reach` to `b_start`): recordings without a number in `a`'s
/// or `b`'s folder, of no other device, coded as `a` or `b` is, whose container time and
/// length lie inside the gap ([`fits`]). A segment renamed by hand, not missing. Where none
/// is there, recordings of no device elsewhere (`loose`) that fit so and, if they carry a
/// number, one of the skipped: a segment moved (and renamed) into a case folder. Those must
/// fill the gap between them, no more and no less (their lengths, one content once, within
/// `gap_tolerance_s` a file and at each boundary) where `a` and `b` are of one session
/// (`within`); across a pause there is no length to fill: those carrying a skipped number
/// count, and those without one must be exactly as many as the numbers left.
fn stand_ins<'a>(
    ctx: &Ctx,
    unnumbered: &HashMap<&str, Vec<&'a FileFacts>>,
    loose: &[&'a FileFacts],
    (a, b): (&FileFacts, &FileFacts),
    (reach, b_start): (i64, i64),
    (x, y, within): (i32, i32, bool),
) -> (Vec<&'a FileFacts>, bool) {
    let mut dirs = vec![folder(&a.path), folder(&b.path)];
    dirs.dedup();
    let device = a.device_id.as_deref();
    let here: Vec<&FileFacts> = dirs
        .iter()
        .flat_map(|d| unnumbered.get(d).into_iter().flatten().copied())
        .filter(|f| f.device_id.is_none() || f.device_id.as_deref() == device)
        .filter(|f| fits(ctx, f, (a, b), (reach, b_start)).is_some())
        .collect();
    if !here.is_empty() {
        return (here, false);
    }
    let tol = (ctx.settings.gap_tolerance_s * 1e6) as i64;
    let mut seen = std::collections::HashSet::new();
    // `loose` is in order of container time; a file fits only with its time within a zone
    // offset (at most 14 h) and the tolerance of the gap.
    let (lo, hi) = (
        reach.saturating_sub(tol + ZONE_MAX_US),
        b_start.saturating_add(tol + ZONE_MAX_US),
    );
    let from = loose.partition_point(|f| f.start_us().unwrap_or(i64::MIN) < lo);
    let moved: Vec<(&FileFacts, i64)> = loose[from..]
        .iter()
        .copied()
        .take_while(|f| f.start_us().unwrap_or(i64::MAX) <= hi)
        .filter(|f| !dirs.contains(&folder(&f.path)))
        .filter(|f| f.segment_seq.is_none_or(|n| x < n && n < y))
        .filter_map(|f| Some((f, fits(ctx, f, (a, b), (reach, b_start))?)))
        .filter(|(f, _)| f.blake3.as_deref().is_none_or(|h| seen.insert(h)))
        .collect();
    let held = if within {
        // Within a recording: they fill the gap, no more and no less.
        let filled: i64 = moved
            .iter()
            .map(|(f, _)| (f.duration_s.unwrap_or(0.0) * 1e6) as i64)
            .sum();
        let slack = tol * (moved.len() as i64 + 1);
        (filled - (b_start - reach)).abs() <= slack
    } else {
        // Across a pause: those carrying a skipped number are its own; the rest must be as many
        // as the numbers left, no more (other recordings of no device made in those hours,
        // another officer's, would stand in for anything).
        let numbers: BTreeSet<i32> = moved.iter().filter_map(|(f, _)| f.segment_seq).collect();
        let unnumbered = moved
            .iter()
            .filter(|(f, _)| f.segment_seq.is_none())
            .count() as i64;
        let left = i64::from(y) - i64::from(x) - 1 - numbers.len() as i64;
        left <= 0 || unnumbered == left
    };
    if !held {
        return (Vec::new(), true);
    }
    (moved.into_iter().map(|(f, _)| f).collect(), true)
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let s = ctx.settings;
    let others = numbered_others(ctx);
    let steps = numbering_steps(ctx);
    let unnumbered = unnumbered_by_folder(ctx);
    let loose = loose(ctx);
    let damaged = damaged(ctx);
    let mut prev_session_last: Option<(usize, &str)> = None; // (file index, device)
    for sess in &ctx.sessions.list {
        // A fixed camera records whether or not anyone exports it: its exports are windows a
        // clerk chose, and a gap, an overlap or a number between two of them is no
        // intermittent recording at a site.
        if ctx.fixed_camera(&sess.device) {
            continue;
        }
        // Across sessions of one device: numbering that jumps without restarting.
        if let (Some((a, dev)), Some(&b)) = (prev_session_last, sess.members.first())
            && dev == sess.device
        {
            let (fa, fb) = (&ctx.facts[a], &ctx.facts[b]);
            let step = steps.get(dev).copied().unwrap_or(1);
            if let (Some(sa), Some(sb)) = (fa.segment_seq, fb.segment_seq)
                && sb.saturating_sub(sa) != step
                && let Some(missing) = Skipped::between(others.get(dev), fa, fb, sa, sb)
            {
                let window = (
                    end_us(fa).unwrap_or(i64::MIN),
                    fb.start_us().unwrap_or(i64::MAX),
                );
                let (held, moved) =
                    stand_ins(ctx, &unnumbered, &loose, (fa, fb), window, (sa, sb, false));
                if held.len() as i64 >= missing.count {
                    let names: Vec<&str> = held.iter().map(|f| f.file_name()).collect();
                    out.add(
                        "CONT-RENAMED",
                        Target { file: Some(fb), session: Some(&sess.id), ..Default::default() },
                        end_us(fa),
                        None,
                        None,
                        format!(
                            "{} between {} and {}: not missing, {} {}, coded alike, made between them by {} own time (renamed{} by hand, the recorder's number lost)",
                            missing.named(),
                            fa.file_name(),
                            fb.file_name(),
                            names.join(", "),
                            if moved { "elsewhere in the tree, of no device" } else { "in the same folder" },
                            if held.len() == 1 { "its" } else { "their" },
                            if moved { " and moved" } else { "" },
                        ),
                        json!({"previous": fa.path, "previous_seq": sa, "seq": sb, "renamed": held.iter().map(|f| f.path.as_ref()).collect::<Vec<&str>>(), "moved": moved}),
                    );
                } else {
                    out.add(
                    "CONT-MISSING",
                    Target { file: Some(fb), session: Some(&sess.id), ..Default::default() },
                    end_us(fa),
                    None,
                    None,
                    format!(
                        "{} missing between {} and {} (a pause of more than {:.0} min separates them)",
                        missing.named(),
                        fa.file_name(),
                        fb.file_name(),
                        s.session_pause_s / 60.0
                    ),
                    json!({"previous": fa.path, "previous_seq": sa, "seq": sb, "missing_segments": missing.count}),
                );
                }
            }
        }
        let mut last_end: Option<i64> = None;
        // The longest whole segment of the session: how much of the recording one damaged
        // segment may have held.
        let slot_us = sess
            .members
            .iter()
            .map(|&i| &ctx.facts[i])
            .filter(|f| f.status.as_ref() == "ok")
            .filter_map(|f| f.duration_s.filter(|d| d.is_finite() && *d > 0.0))
            .reduce(f64::max)
            .map(|d| (d * 1e6) as i64);
        for w in sess.members.windows(2) {
            let (fa, fb) = (&ctx.facts[w[0]], &ctx.facts[w[1]]);
            let a_end = end_us(fa).unwrap_or(0);
            // Against the furthest end so far (an earlier long segment may still be running).
            let reach = last_end.map_or(a_end, |l| l.max(a_end));
            last_end = Some(reach);
            let Some(b_start) = fb.start_us() else {
                continue;
            };
            if fa.duration_s.is_none() {
                continue;
            }
            let delta_s = (b_start - reach) as f64 / 1e6;
            let step = steps.get(sess.device.as_str()).copied().unwrap_or(1);
            let skipped = match (fa.segment_seq, fb.segment_seq) {
                (Some(x), Some(y)) if y.saturating_sub(x) != step => {
                    Skipped::between(others.get(sess.device.as_str()), fa, fb, x, y)
                        .map(|k| (x, y, k))
                }
                _ => None,
            };
            let t = Target {
                file: Some(fb),
                session: Some(&sess.id),
                ..Default::default()
            };
            // Made only for a finding: a tree's every pair of segments is looked at.
            let base = || json!({"previous": fa.path, "previous_end": local(ctx, reach), "start": local(ctx, b_start), "delta_s": delta_s});
            if let Some((x, y, numbers)) = &skipped
                && (-s.overlap_tolerance_s..=s.gap_tolerance_s).contains(&delta_s)
            {
                // The numbers skip, but the next segment starts where the previous one ended:
                // there was no time for a missing recording (a deleted segment leaves its
                // length between the names). Numbers the recorder gave to files that are not
                // in the tree (a sub-stream or a photo not uploaded), not footage missing.
                out.add(
                    "CONT-NUMBERING",
                    t,
                    Some(reach),
                    None,
                    None,
                    format!(
                        "the numbering skips {} between {} and {}, but the recording runs on from one into the next ({delta_s:+.1} s): no footage missing",
                        numbers.named(),
                        fa.file_name(),
                        fb.file_name()
                    ),
                    json!({"previous": fa.path, "previous_seq": x, "seq": y, "skipped_numbers": numbers.count, "delta_s": delta_s}),
                );
            } else if let Some((x, y, numbers)) = skipped
                && delta_s > s.gap_tolerance_s
            {
                let missing = delta_s.max(0.0);
                let (held, moved) = stand_ins(
                    ctx,
                    &unnumbered,
                    &loose,
                    (fa, fb),
                    (reach, b_start),
                    (x, y, true),
                );
                if held.len() as i64 >= numbers.count {
                    let names: Vec<&str> = held.iter().map(|f| f.file_name()).collect();
                    let how = if moved {
                        format!(
                            "{} elsewhere in the tree ({}), of no device, coded alike, fills the {missing:.1} s between them by its own time and length (moved and renamed by hand, the recorder's folder or number lost)",
                            names.join(", "),
                            held.iter()
                                .map(|f| folder(&f.path))
                                .collect::<Vec<&str>>()
                                .join(", ")
                        )
                    } else {
                        format!(
                            "{} in the same folder, coded alike, fills the {missing:.1} s between them by its own time and length (renamed by hand, the recorder's number lost)",
                            names.join(", ")
                        )
                    };
                    out.add(
                        "CONT-RENAMED",
                        t,
                        Some(reach),
                        None,
                        None,
                        format!(
                            "{} between {} and {}: not missing, {how}",
                            numbers.named(),
                            fa.file_name(),
                            fb.file_name(),
                        ),
                        json!({"previous": fa.path, "previous_seq": x, "seq": y, "renamed": held.iter().map(|f| f.path.as_ref()).collect::<Vec<&str>>(), "moved": moved, "gap_s": missing}),
                    );
                    continue;
                }
                out.add(
                    "CONT-MISSING",
                    t,
                    Some(reach),
                    None,
                    Some(missing),
                    format!(
                        "{} missing between {} and {}: {missing:.1} s of recording absent",
                        numbers.named(),
                        fa.file_name(),
                        fb.file_name()
                    ),
                    json!({"previous": fa.path, "previous_seq": x, "seq": y, "missing_segments": numbers.count, "missing_s": missing}),
                );
            } else if delta_s > s.gap_tolerance_s {
                if damage_holds(
                    fa,
                    damaged.get(sess.device.as_str()).map_or(&[], Vec::as_slice),
                    (reach, b_start),
                    slot_us,
                    (s.gap_tolerance_s * 1e6) as i64,
                ) {
                    continue;
                }
                let (a_name, a_end) = (fa.file_name(), local(ctx, reach));
                let (b_name, b_begins) = (fb.file_name(), local(ctx, b_start));
                // The picture as the second witness: when its clock runs on from one segment
                // into the next (within PICTURE_GAP_S, and that far under the names' gap), the
                // names' gap is the container's timeline running short of the recorder's
                // clock, not footage missing.
                let pictured = super::display::picture_gap(ctx, fa, fb, delta_s);
                let shown =
                    pictured.filter(|g| g.abs() <= PICTURE_GAP_S.min(delta_s - PICTURE_GAP_S));
                // A recording started again within the pause: its pre-record buffer reaches
                // back over the pause into the previous recording's footage (the picture
                // shows the next one starting before the previous one ended).
                // (Disjoint from `shown`, which is within PICTURE_GAP_S of none.)
                let buffered = pictured.filter(|g| (-PRE_RECORD_MAX_S..-PICTURE_GAP_S).contains(g));
                let (id, message, details) = match (shown, buffered) {
                    (None, Some(shown)) => {
                        let mut details = base();
                        details["picture_gap_s"] = json!(shown);
                        (
                            "OSD-PRERECORD",
                            format!(
                                "{delta_s:.1} s between {a_name} (ends {a_end}) and {b_name} (starts {b_begins}) by the names, but {b_name}'s picture begins {:.0} s before {a_name}'s ends: the recorder was started again within the pause and its pre-record buffer covers it; no footage missing",
                                -shown
                            ),
                            details,
                        )
                    }
                    (Some(shown), _) => {
                        let mut details = base();
                        details["picture_gap_s"] = json!(shown);
                        (
                            "OSD-GAP",
                            format!(
                                "{delta_s:.1} s between {a_name} (ends {a_end}) and {b_name} (starts {b_begins}) by the names, but the picture's clock runs on from one into the next ({shown:+.0} s): the recording's timeline runs short of the recorder's clock; no footage missing"
                            ),
                            details,
                        )
                    }
                    // Between two pieces of a live stream's recording: where the stream did
                    // not reach the server (a network that dropped it) as much as where the
                    // officer stopped it; the recorder's own recording is the witness.
                    (None, None) if sess.live => (
                        "CONT-LIVE",
                        format!(
                            "{delta_s:.1} s between two pieces of the live stream's recording: {a_name} ends {a_end}, {b_name} starts {b_begins}: the stream did not reach the media server for that time, or its push was stopped; the recorder's own recording of that time is the witness"
                        ),
                        base(),
                    ),
                    (None, None) => (
                        "CONT-GAP",
                        format!(
                            "{delta_s:.1} s gap: {a_name} ends {a_end}, {b_name} starts {b_begins}"
                        ),
                        base(),
                    ),
                };
                out.add(id, t, Some(reach), None, Some(delta_s), message, details);
            } else if delta_s < -s.overlap_tolerance_s {
                let (a_name, a_end) = (fa.file_name(), local(ctx, reach));
                let (b_name, b_begins) = (fb.file_name(), local(ctx, b_start));
                let overlap = -delta_s;
                // The picture as the second witness, as for a gap: a pre-record buffer (the
                // first file's picture begins before its name), or the same moments held twice
                // by the recorder's own clock.
                let pictured = |shown: f64| {
                    let mut details = base();
                    details["picture_gap_s"] = json!(shown);
                    details
                };
                let (id, message, details) = if let Some(shown) =
                    pre_record(ctx, ctx.starts_recording(w[0]), fa, fb, delta_s)
                {
                    (
                        "OSD-PRERECORD",
                        format!(
                            "{overlap:.1} s overlap by the names: {a_name} was named {overlap:.0} s after its picture begins, and the picture's clock runs on from its end into {b_name} ({:+.0} s): a pre-record buffer, named at the button press; no footage recorded twice",
                            shown + 0.0
                        ),
                        pictured(shown),
                    )
                } else if let Some(shown) = recorded_twice(ctx, fa, fb, delta_s) {
                    (
                        "OSD-TWICE",
                        format!(
                            "{overlap:.1} s overlap: {b_name} starts {b_begins} before {a_name} ends {a_end}, and their pictures show it too ({:.0} s), each display at its own name's time: the recorder's clock runs through both, which hold the same moments (a recorder that overlaps its segments, or its clock set back between them); no footage of another time",
                            -shown
                        ),
                        pictured(shown),
                    )
                } else {
                    (
                        "CONT-OVERLAP",
                        format!(
                            "{overlap:.1} s overlap: {b_name} starts {b_begins} before {a_name} ends {a_end}"
                        ),
                        base(),
                    )
                };
                out.add(id, t, Some(b_start), None, Some(overlap), message, details);
            }
        }
        prev_session_last = sess.members.last().map(|&l| (l, sess.device.as_str()));
    }
}

/// Continuity on one device's segments, with files renamed by hand beside them.
#[cfg(test)]
mod tests {
    use crate::catalog::{FileFacts, TextFacts};

    /// 2026-03-12 02:00:00 UTC.
    const AT: i64 = 1_773_280_800_000_000;

    /// A 10-s segment of device A in folder `A/20260312`, named `name`, its number `n` (none:
    /// renamed), starting `at_s` seconds after [`AT`] by its name or, without a number, by its
    /// container time alone; `width` wide.
    fn segment(row: usize, name: &str, n: Option<i32>, at_s: i64, width: i32) -> FileFacts {
        let start = AT + at_s * 1_000_000;
        FileFacts {
            row,
            path: format!("/ev/A/20260312/{name}").into(),
            segment_seq: n,
            name_time_us: n.map(|_| start),
            creation_time_us: Some(start),
            duration_s: Some(10.0),
            width: Some(width),
            height: Some(240),
            text: TextFacts {
                status: "ok".into(),
                container: Some("mp4".into()),
                device_id: n.map(|_| "A".into()),
                media_kind: Some("video".into()),
                video_codec: Some("h264".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        }
    }

    /// The continuity findings of `facts`, as `rule file`, sorted.
    fn continuity(facts: &[FileFacts]) -> Vec<String> {
        let a = crate::analyse::analyse(
            facts,
            &crate::rules::RuleSettings::default(),
            chrono_tz::UTC,
            "r",
            AT + 86_400_000_000,
        );
        let mut found: Vec<String> = a
            .findings
            .iter()
            .filter(|f| f.rule_id.starts_with("CONT-"))
            .map(|f| {
                let p = f.path.as_deref().unwrap_or("");
                format!("{} {}", f.rule_id, p.rsplit('/').next().unwrap_or(p))
            })
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_fixed_cameras_exports_are_no_interrupted_recording_nor_late() {
        // Windows exported from device A: 0-10 s, 5-15 s (overlapping), 40-50 s (a gap), and
        // one numbered 5 (numbers 3 and 4 missing); each uploaded three days after.
        let mut files = vec![
            segment(0, "A_0001.MP4", Some(1), 0, 320),
            segment(1, "A_0002.MP4", Some(2), 5, 320),
            segment(2, "A_0005.MP4", Some(5), 40, 320),
        ];
        for f in &mut files {
            f.birth_time_us = f.start_us().map(|t| t + 3 * 86_400_000_000);
        }
        let judged = |context: &crate::context::Typed| -> Vec<String> {
            let a = crate::analyse::analyse_in(
                &files,
                &crate::rules::RuleSettings::default(),
                chrono_tz::UTC,
                "r",
                AT + 5 * 86_400_000_000,
                context,
            );
            let mut found: Vec<String> = a
                .findings
                .iter()
                .filter(|f| f.rule_id.starts_with("CONT-") || f.rule_id == "DL-UPLOAD")
                .map(|f| f.rule_id.to_string())
                .collect();
            found.sort();
            found.dedup();
            found
        };
        // A recorder (the registry silent, or saying so): an officer's interrupted recording,
        // uploaded late.
        let recorder = crate::context::Typed::default();
        assert_eq!(
            judged(&recorder),
            ["CONT-MISSING", "CONT-OVERLAP", "DL-UPLOAD"]
        );
        // The registry's fixed camera: windows a clerk exported, when they were needed.
        let mut cctv = crate::context::Typed::default();
        cctv.fixed_cameras.insert("A".into());
        assert!(judged(&cctv).is_empty());
    }

    /// A piece of device A's live stream as the media server recorded it: Flash Video, no
    /// number, 320x180, starting `at_s` after [`AT`] by its name, lasting `len_s`.
    fn live(row: usize, at_s: i64, len_s: f64) -> FileFacts {
        let mut f = segment(row, &format!("A_{at_s}.flv"), Some(0), at_s, 320);
        f.segment_seq = None;
        f.height = Some(180);
        f.duration_s = Some(len_s);
        f.text = TextFacts {
            container: Some("flv".into()),
            ..(*f.text).clone()
        }
        .into();
        f
    }

    #[test]
    fn a_live_streams_pieces_beside_the_card_are_no_overlap_and_their_hole_no_officers_gap() {
        // The recorder's card: three contiguous 10-s segments. Its live stream, recorded by
        // the server: 2-14 s and 17-28 s, a 3-s hole where the network dropped it.
        let card = [
            segment(0, "A_0001.MP4", Some(1), 0, 320),
            segment(1, "A_0002.MP4", Some(2), 10, 320),
            segment(2, "A_0003.MP4", Some(3), 20, 320),
        ];
        let pieces = [live(3, 2, 12.0), live(4, 17, 11.0)];
        // Before 2026-12-08 (FLV read, one session): CONT-OVERLAP on four files, INS-SESSION
        // (high) on both pieces; the pieces alone: CONT-GAP (high).
        assert_eq!(
            continuity(&[card.to_vec(), pieces.to_vec()].concat()),
            ["CONT-LIVE A_17.flv"]
        );
        assert_eq!(
            continuity(&[live(0, 2, 12.0), live(1, 17, 11.0)]),
            ["CONT-LIVE A_17.flv"]
        );
        // A gap between the card's own segments is still the officer's.
        let mut late = card.to_vec();
        late[2] = segment(2, "A_0003.MP4", Some(3), 25, 320);
        assert_eq!(
            continuity(&[late, pieces.to_vec()].concat()),
            ["CONT-GAP A_0003.MP4", "CONT-LIVE A_17.flv"]
        );
        let a = crate::analyse::analyse(
            &[card.to_vec(), pieces.to_vec()].concat(),
            &crate::rules::RuleSettings::default(),
            chrono_tz::UTC,
            "r",
            AT + 86_400_000_000,
        );
        assert!(
            a.findings.iter().all(|f| f.rule_id != "INS-SESSION"),
            "{:?}",
            a.findings.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_segment_renamed_by_hand_fills_its_numbers_place_and_is_not_missing() {
        let around = |renamed: FileFacts| {
            continuity(&[
                segment(0, "A_0001.MP4", Some(1), 0, 320),
                renamed,
                segment(2, "A_0003.MP4", Some(3), 20, 320),
            ])
        };
        // `A_0002.MP4` renamed `现场检查.MP4` beside the others: its time and length fill the
        // gap between 1 and 3.
        assert_eq!(
            around(segment(1, "现场检查.MP4", None, 10, 320)),
            ["CONT-RENAMED A_0003.MP4"]
        );
        // Its container time written in local time (UTC+8 in Shanghai) is read so too.
        let mut local = segment(1, "现场检查.MP4", None, 10 + 8 * 3600, 320);
        local.creation_time_us = local.creation_time_us.map(|t| t - 8 * 3_600_000_000);
        assert_eq!(around(local), ["CONT-RENAMED A_0003.MP4"]);
        // A file of another time or of other coding holds no place.
        for other in [
            segment(1, "现场检查.MP4", None, 3600, 320),
            segment(1, "现场检查.MP4", None, 10, 640),
        ] {
            assert_eq!(around(other), ["CONT-MISSING A_0003.MP4"]);
        }
    }

    #[test]
    fn footage_damaged_or_cut_short_between_two_segments_is_no_gap_up_to_a_segments_length() {
        // `A_0002.MP4` cut off by a power cut before its movie box was written: truncated, no
        // streams read (media kind `other`), no length.
        let cut = |row: usize, name: &str, n: i32, at_s: i64, status: &str| {
            let mut f = segment(row, name, Some(n), at_s, 320);
            f.duration_s = None;
            f.width = None;
            f.text = std::sync::Arc::new(TextFacts {
                status: status.into(),
                media_kind: Some("other".into()),
                ..(*f.text).clone()
            });
            f
        };
        // Segments of 10 s; the third starts `next` s after the first.
        let then = |between: Vec<FileFacts>, next: i64| {
            let mut all = vec![segment(0, "A_0001.MP4", Some(1), 0, 320)];
            all.extend(between);
            all.push(segment(9, "A_0003.MP4", Some(3), next, 320));
            for (row, f) in all.iter_mut().enumerate() {
                f.row = row;
            }
            continuity(&all)
        };
        let around = |between: Vec<FileFacts>| then(between, 20);
        assert_eq!(around(vec![]), ["CONT-MISSING A_0003.MP4"]);
        for status in ["truncated", "corrupt"] {
            assert!(around(vec![cut(1, "A_0002.MP4", 2, 10, status)]).is_empty());
        }
        // It holds a segment's length at most: a longer gap stays one.
        assert_eq!(
            then(vec![cut(1, "A_0002.MP4", 2, 10, "truncated")], 30),
            ["CONT-GAP A_0003.MP4"]
        );
        // A recording cut short whose held length is read (an AVI counted to its cut) is
        // placed by it; the rest of its segment's time is what the cut took, not a gap.
        let mut held = cut(1, "A_0002.AVI", 2, 10, "truncated");
        held.duration_s = Some(4.0);
        held.text = std::sync::Arc::new(TextFacts {
            media_kind: Some("video".into()),
            ..(*held.text).clone()
        });
        assert!(around(vec![held.clone()]).is_empty());
        assert_eq!(then(vec![held.clone()], 30), ["CONT-GAP A_0003.MP4"]);
        // Whole, it leaves its gap.
        held.text = std::sync::Arc::new(TextFacts {
            status: "ok".into(),
            ..(*held.text).clone()
        });
        assert_eq!(around(vec![held]), ["CONT-GAP A_0003.MP4"]);
        // A damaged photo holds its number but no recording's time: the gap stays.
        assert_eq!(
            around(vec![cut(1, "A_0002.JPG", 2, 10, "truncated")]),
            ["CONT-GAP A_0003.MP4"]
        );
        // Named after the gap, or another device's: the second segment stays missing.
        let mut other = cut(1, "A_0002.MP4", 2, 10, "truncated");
        other.text = std::sync::Arc::new(TextFacts {
            device_id: Some("B".into()),
            ..(*other.text).clone()
        });
        for not in [cut(1, "A_0002.MP4", 2, 30, "truncated"), other] {
            assert_eq!(around(vec![not]), ["CONT-MISSING A_0003.MP4"]);
        }
    }

    /// `f` moved to folder `dir`.
    fn moved(dir: &str, f: FileFacts) -> FileFacts {
        FileFacts {
            path: format!("{dir}/{}", f.file_name()).into(),
            ..f
        }
    }

    #[test]
    fn a_segment_moved_into_a_case_folder_fills_its_numbers_place_and_is_not_missing() {
        let around = |gone: Vec<FileFacts>| {
            let mut all = vec![segment(0, "A_0001.MP4", Some(1), 0, 320)];
            all.extend(gone);
            all.push(segment(9, "A_0005.MP4", Some(5), 40, 320));
            for (row, f) in all.iter_mut().enumerate() {
                f.row = row;
            }
            continuity(&all)
        };
        // 2..4 moved (and renamed) into a case's folder, filing it (第十八条).
        let case = "/ev/案卷/AJ-2026-031";
        let filed = |n: i32, name: &str| {
            moved(
                case,
                segment(n as usize, name, None, 10 * i64::from(n - 1), 320),
            )
        };
        assert_eq!(
            around(vec![
                filed(2, "01_到达.MP4"),
                filed(3, "02_检查.MP4"),
                filed(4, "03_送达.MP4")
            ]),
            ["CONT-RENAMED A_0005.MP4"]
        );
        // Moved with their names kept, the case folder taken for no device (their numbers are
        // the skipped ones).
        let named = |n: i32| {
            let mut f = segment(
                n as usize,
                &format!("A_{n:04}.MP4"),
                Some(n),
                10 * i64::from(n - 1),
                320,
            );
            f.device_id = None;
            moved(case, f)
        };
        assert_eq!(
            around(vec![named(2), named(3), named(4)]),
            ["CONT-RENAMED A_0005.MP4"]
        );
        // Two of the three: the third's 10 s stay missing; a file numbered otherwise, or a
        // copy of one counted twice, fills nothing.
        assert_eq!(
            around(vec![filed(2, "a.MP4"), filed(3, "b.MP4")]),
            ["CONT-MISSING A_0005.MP4"]
        );
        let mut other = named(3);
        other.segment_seq = Some(7);
        assert_eq!(
            around(vec![named(2), other, named(4)]),
            ["CONT-MISSING A_0005.MP4"]
        );
        let mut copy = named(3);
        copy.path = "/ev/案卷/AJ-2026-032/A_0003.MP4".into();
        copy.blake3 = Some("x".into());
        let mut first = named(3);
        first.blake3 = Some("x".into());
        assert_eq!(
            around(vec![named(2), first, copy]),
            ["CONT-MISSING A_0005.MP4"]
        );
    }

    #[test]
    fn a_recording_moved_out_between_two_sessions_is_not_missing() {
        // Sessions at 0 s and three hours later, numbers 1 and 5; 2..4 the recording between,
        // its three segments renamed into a case folder.
        let case = "/ev/案卷/AJ-2026-031";
        let gone = |n: i32| {
            moved(
                case,
                segment(
                    n as usize,
                    &format!("{n}.MP4"),
                    None,
                    3600 + 10 * i64::from(n),
                    320,
                ),
            )
        };
        let around = |gone: Vec<FileFacts>| {
            let mut all = vec![segment(0, "A_0001.MP4", Some(1), 0, 320)];
            all.extend(gone);
            all.push(segment(9, "A_0005.MP4", Some(5), 3 * 3600, 320));
            for (row, f) in all.iter_mut().enumerate() {
                f.row = row;
            }
            continuity(&all)
        };
        assert_eq!(
            around(vec![gone(2), gone(3), gone(4)]),
            ["CONT-RENAMED A_0005.MP4"]
        );
        assert_eq!(around(vec![gone(2), gone(3)]), ["CONT-MISSING A_0005.MP4"]);
        // Four recordings of no device made in those hours for three numbers: which are the
        // device's is not known (another officer's may be among them), and nothing is held.
        let mut other = gone(4);
        other.creation_time_us = other.creation_time_us.map(|t| t + 60_000_000);
        other.path = "/ev/其他/录像.MP4".into();
        assert_eq!(
            around(vec![gone(2), gone(3), gone(4), other.clone()]),
            ["CONT-MISSING A_0005.MP4"]
        );
        // Unless they carry the numbers skipped.
        let numbered = |mut f: FileFacts, n: i32| {
            f.segment_seq = Some(n);
            f
        };
        assert_eq!(
            around(vec![
                numbered(gone(2), 2),
                numbered(gone(3), 3),
                numbered(gone(4), 4),
                other
            ]),
            ["CONT-RENAMED A_0005.MP4"]
        );
        // Made outside the pause between them: no place.
        let mut late = gone(4);
        late.creation_time_us = late.creation_time_us.map(|t| t + 4 * 3_600_000_000);
        assert_eq!(
            around(vec![gone(2), gone(3), late]),
            ["CONT-MISSING A_0005.MP4"]
        );
    }
}
