//! Keyframes read beyond a file's first and last: in from an end whose reading is weak, by
//! halves between them to place a jump of the display's clock, or all of them
//! (`--keyframes all`).

use super::decode::{self, DecodeError};
use super::{
    BISECT_MAX, Input, JUMP_MIN_S, Jump, Keyframe, Output, Seen, keyframe, keyframe_lines, open,
    plan_of,
};
use crate::media::keyplan::{self, Plan};
use crate::osd::{self, Font};

/// Display time minus file time of a read keyframe, seconds; `None` for a reading the OSD
/// rules would not use (no time, or a confidence under theirs): it neither places nor
/// confirms a jump, and has no vote on which readings are set aside.
fn offset(s: &Seen) -> Option<f64> {
    if super::weak(s) {
        return None;
    }
    s.shown_offset()
}

/// Two offsets that a display keeping one clock can show: within [`JUMP_MIN_S`] (the display
/// shows whole seconds, and a keyframe falls anywhere in its second).
fn agree(a: f64, b: f64) -> bool {
    (a - b).abs() <= JUMP_MIN_S
}

/// When the first and last keyframe disagree on the display's offset to the file's own
/// timestamps by more than [`JUMP_MIN_S`], the keyframes between them are read by halves
/// until the two neighbours where it changes are found: a handful of decodes locate a jump in
/// an hour of footage. A jump is then confirmed on both sides by the keyframe next to it (the
/// one before the last that keeps the old offset, the one after the first that shows the new):
/// a digit misread in one picture, even the same way in two, must not make a jump. A keyframe
/// between that does not read gives way to the nearest one between that does; up to
/// [`UNREAD_BETWEEN_MAX`] keyframes that do not read may stand between the last old and the
/// first new (the scene where two recordings meet may spoil the display), and as many between
/// each of those and the keyframe that confirms it. `None` when there
/// is no jump, or it cannot be placed or confirmed (more keyframes between do not read, or the
/// jump is in the first or last keyframe interval, where one side has a single picture).
///
/// When no jump holds, the readings that disagree with most of the file's are set aside (their
/// time cleared, their text kept): the file's start and end are then what its other pictures
/// agree on. Returns the keyframes read on the way and whether a reading was set aside.
pub(super) fn find_jump(
    input: &Input,
    font: &Font,
    out: &mut Output,
) -> (Option<Jump>, Vec<Keyframe>) {
    let mut read = Vec::new();
    let jump = match search(input, font, out, &mut read) {
        Ok(j) => {
            out.decoded += j.group_decoded;
            Some(j)
        }
        Err(NoJump::Drift(by)) => {
            // Every reading keeps to the clock; none is set aside.
            out.note.get_or_insert_with(|| {
                format!(
                    "the display's offset to the file's timestamps changes steadily, by {by:+.0} s over the file: its timestamps run {} of its clock (pictures dropped and the rest stamped at the nominal rate), no jump",
                    if by > 0.0 { "short" } else { "long" }
                )
            });
            None
        }
        Err(NoJump::Nothing) => {
            set_aside_outliers(out, &mut read);
            None
        }
    };
    (jump, read)
}

/// Why the search between a file's first and last keyframe placed no jump.
enum NoJump {
    /// The offset changes steadily over the file, by this many seconds ([`drifts`]).
    Drift(f64),
    /// The ends agree, or no jump could be placed and confirmed.
    Nothing,
}

/// Keyframes that do not read which may stand between the last keyframe showing the old
/// offset and the first showing the new, the jump still placed ([`find_jump`]).
const UNREAD_BETWEEN_MAX: usize = 3;

fn search(
    input: &Input,
    font: &Font,
    out: &Output,
    read: &mut Vec<Keyframe>,
) -> Result<Jump, NoJump> {
    let (Some(o_first), Some(o_last)) = (out.first().and_then(offset), out.last().and_then(offset))
    else {
        return Err(NoJump::Nothing);
    };
    if agree(o_last, o_first) {
        return Err(NoJump::Nothing);
    }
    let f = open(input).map_err(|_| NoJump::Nothing)?;
    // Planned again: the prepared plan keeps only the first and last keyframes.
    let plan = &plan_of(&f, input).map_err(|_| NoJump::Nothing)?;
    let n = plan.sync.len();
    // While searching, at most BISECT_MAX keyframes are decoded; the two that confirm a jump
    // found are decoded whatever the count.
    let at = |k: usize, searching: bool| -> Option<Option<f64>> {
        // Each keyframe by its own reading: a weak end read at its first and last keyframe
        // does not take its stand-in's offset (the stand-in would then be counted twice, and a
        // digit misread in it confirm itself as a jump).
        // Read already: at an end, inward from a weak end, or earlier in this search.
        let mut known = out.keyframes.iter().chain(read.iter());
        if let Some(seen) = known.find(|r| r.gop_index == k).map(|r| &r.seen) {
            return Some(offset(seen));
        }
        if searching && read.len() >= BISECT_MAX as usize {
            return None;
        }
        let (mut got, _, _) = decode_and_read(&f, plan, font, &[k], "jump").ok()?;
        let key = got.pop()?;
        let o = offset(&key.seen);
        read.push(key);
        Some(o)
    };
    let mut at = at;
    let time = |k: usize| plan.seconds(&plan.sync[k]);
    if let Some(by) = drifts(n, time, (o_first, o_last), &mut at) {
        return Err(NoJump::Drift(by));
    }
    let (lo, (o_lo, o_hi)) = locate(n, (o_first, o_last), at).ok_or(NoJump::Nothing)?;
    let confidence = weakest_side(out.keyframes.iter().chain(read.iter()), lo, (o_lo, o_hi));
    // The keyframe after the jump read the new offset itself: the clock stepped in the group
    // of pictures before it, which is looked into.
    let next_reads_new = out
        .keyframes
        .iter()
        .chain(read.iter())
        .find(|k| k.gop_index == lo + 1)
        .and_then(|k| offset(&k.seen))
        .is_some_and(|o| agree(o, o_hi));
    let (inside_gop, group_decoded) = if next_reads_new {
        stepped_inside_gop(&f, input, font, plan, lo, (o_lo, o_hi)).unwrap_or((None, 0))
    } else {
        (None, 0)
    };
    Ok(Jump {
        by_s: o_hi - o_lo,
        // The keyframe after the last that keeps the old offset: the first after the jump,
        // unless it did not read (the jump then lies between it and the first that reads anew).
        at_s: plan.seconds(&plan.sync[lo + 1]),
        confidence,
        inside_gop,
        group_decoded,
    })
}

/// Whether the display's offset to the file's timestamps changes steadily from the first
/// keyframe (`o_first`) to the last (`o_last`), as on a recorder whose timestamps run short of
/// its clock (it drops pictures under load and stamps the rest at its nominal rate): the
/// keyframe halfway, and then the one a quarter of the way, each read more than
/// [`DRIFT_APART_S`] from both ends' offsets and within [`DRIFT_LINE_S`] of the straight line
/// between them (by the keyframes' times). A join shows one end's offset or the other's at any
/// keyframe, never one between: the halfway keyframe, which the search by halves reads first
/// anyway, tells it. `t(k)` is keyframe `k`'s time in the file, `at` as for [`place_jump`].
/// Some(the change over the file) when it drifts.
fn drifts(
    n: usize,
    t: impl Fn(usize) -> f64,
    (o_first, o_last): (f64, f64),
    at: &mut impl FnMut(usize, bool) -> Option<Option<f64>>,
) -> Option<f64> {
    if n < DRIFT_KEYFRAMES_MIN {
        return None;
    }
    let (t0, t1) = (t(0), t(n - 1));
    if t1 - t0 <= 0.0 {
        return None;
    }
    // The keyframe the search by halves reads first, then a quarter of the way.
    let steady = [(n - 1) / 2, (n - 1) / 4].into_iter().all(|k| {
        let Some(Some(o)) = at(k, true) else {
            return false;
        };
        let line = o_first + (o_last - o_first) * (t(k) - t0) / (t1 - t0);
        (o - o_first).abs() > DRIFT_APART_S
            && (o - o_last).abs() > DRIFT_APART_S
            && (o - line).abs() <= DRIFT_LINE_S
    });
    steady.then_some(o_last - o_first)
}

/// Keyframes a file needs for [`drifts`] to look at its halfway and quarter keyframes.
const DRIFT_KEYFRAMES_MIN: usize = 8;
/// How far from both ends' offsets a keyframe between must read to stand between them: more
/// than the display's whole-second steps can make of one offset.
const DRIFT_APART_S: f64 = 1.0;
/// How near the straight line between the ends' offsets a keyframe between must read.
const DRIFT_LINE_S: f64 = 1.0;

/// Most pictures of a group of pictures decoded to see where a jump happened in it.
const GOP_PICTURES_MAX: u64 = 300;
/// Most bytes of a group of pictures decoded to see where a jump happened in it (a 1080p
/// group of 300 pictures at 20 Mbit/s is some 30 MB).
const GOP_BYTES_MAX: u64 = 64 << 20;
/// The latest pictures of the group read that must all show one side's offset for
/// [`stepped_inside_gop`] to tell.
const GOP_READINGS_MIN: usize = 2;

/// Whether the display's clock, which keyframe `lo` shows at offset `o_lo` and keyframe
/// `lo + 1` at `o_hi`, already showed `o_hi` in the pictures just before keyframe `lo + 1`: the
/// latest two of those up to [`WINDOW_PICTURES`] before it that read, leaving out the last
/// three and a half (with B-frames, pictures shown just before a keyframe may be coded after
/// it). Footage joined by stream copy begins at a keyframe, so its pictures before the join
/// show the old clock (`Some(false)`); a clock set while recording (satellite or network time
/// once it has a fix) steps at any picture (`Some(true)`, unless in those last three and a
/// half), or `None` when its latest pictures do not read alike; with the pictures decoded.
/// `None` when the group is not decoded (fragmented or not an MP4/MOV, longer than
/// [`GOP_PICTURES_MAX`] or [`GOP_BYTES_MAX`]).
fn stepped_inside_gop(
    f: &std::fs::File,
    input: &Input,
    font: &Font,
    plan: &Plan,
    lo: usize,
    (o_lo, o_hi): (f64, f64),
) -> Option<(Option<bool>, u32)> {
    let (from, to) = (plan.sync.get(lo)?, plan.sync.get(lo + 1)?);
    let count = to.number.checked_sub(from.number)?;
    if !(2..=GOP_PICTURES_MAX).contains(&count) {
        return None;
    }
    let super::Index::Moov(at, size) = input.index else {
        return None;
    };
    let moov = super::read_at(f, at, size, "moov box").ok()?;
    let group = keyplan::plan_from(super::body(&moov), count as usize, Some(from.number))?;
    if group.fragments.is_some() || group.lead.first().map(|s| s.number) != Some(from.number) {
        return None;
    }
    // Held at once for the decoder: bounded as a whole, not only picture by picture.
    let bytes: u64 = group.lead.iter().map(|s| u64::from(s.size)).sum();
    if bytes > GOP_BYTES_MAX {
        return None;
    }
    let (t_lo, t_hi) = (plan.seconds(from), plan.seconds(to));
    let frame = (t_hi - t_lo) / count as f64;
    let window = (t_hi - WINDOW_PICTURES * frame).max(t_lo + frame / 2.0)..=(t_hi - 3.5 * frame);
    let mut units = Vec::new();
    let mut times = Vec::new();
    for (k, s) in group.lead.iter().enumerate() {
        let unit = super::picture(f, &group, s, k == 0).ok()?;
        if k == 0 && !keyplan::unit_decodes_alone(&group, &unit) {
            return None;
        }
        let keep = window.contains(&group.seconds(s));
        if keep {
            times.push(group.seconds(s));
        }
        units.push((unit, keep));
    }
    let (pictures, _) = decode::decode_run(group.codec, units, super::budget(count as usize));
    // Every picture of the group went to the decoder (fewer when it stopped at an error).
    let decoded = u32::try_from(count).unwrap_or(u32::MAX);
    // The readings in presentation order; the latest ones before the keyframe decide.
    let mut sides: Vec<(f64, bool)> = pictures
        .iter()
        .zip(times)
        .filter_map(|(p, t_s)| {
            let seen = Seen {
                t_s,
                reading: osd::read_lines(font, &super::lines_of(p.as_ref()?, font.ink)),
            };
            match offset(&seen)? {
                o if agree(o, o_hi) && !agree(o, o_lo) => Some((t_s, true)),
                o if agree(o, o_lo) && !agree(o, o_hi) => Some((t_s, false)),
                _ => None,
            }
        })
        .collect();
    sides.sort_by(|a, b| a.0.total_cmp(&b.0));
    let latest: Vec<bool> = sides
        .iter()
        .rev()
        .take(GOP_READINGS_MIN)
        .map(|s| s.1)
        .collect();
    let told = (latest.len() == GOP_READINGS_MIN && latest.iter().all(|&n| n == latest[0]))
        .then(|| latest[0]);
    Some((told, decoded))
}

/// Pictures before a keyframe (beyond the three and a half left out) that [`stepped_inside_gop`]
/// decodes and reads.
const WINDOW_PICTURES: f64 = 11.5;

/// The weakest confidence among `keyframes` that read (at the rules' confidence or more) the
/// offset of their side of a jump after keyframe `lo`: `o_lo` up to it, `o_hi` after it
/// ([`Jump::confidence`]). Readings of neither side (set aside, odd) do not count.
fn weakest_side<'a>(
    keyframes: impl Iterator<Item = &'a Keyframe>,
    lo: usize,
    (o_lo, o_hi): (f64, f64),
) -> f32 {
    keyframes
        .filter(|k| {
            let side = if k.gop_index <= lo { o_lo } else { o_hi };
            offset(&k.seen).is_some_and(|o| agree(o, side))
        })
        .filter_map(|k| Some(k.seen.reading.as_ref()?.confidence))
        .fold(1.0f32, f32::min)
}

/// Places a jump among `n` keyframes whose first and last show offsets `ends`
/// ([`place_jump`]). The first keyframe's reading alone may be the odd one (a digit misread at
/// the start, at full confidence): when no jump is placed from it and the next keyframe
/// disagrees with both ends, the search runs again from the next one.
fn locate(
    n: usize,
    (o_first, o_last): (f64, f64),
    mut at: impl FnMut(usize, bool) -> Option<Option<f64>>,
) -> Option<(usize, (f64, f64))> {
    place_jump(0, n, o_first, &mut at).or_else(|| {
        if n < 4 {
            return None;
        }
        let o_next = at(1, false)??;
        if agree(o_next, o_first) || agree(o_next, o_last) {
            return None;
        }
        place_jump(1, n, o_next, &mut at)
    })
}

/// Places a jump among keyframes `start..n`, the one at `start` showing offset `o_first`:
/// the last keyframe showing it (`lo`) and the first showing another (`hi`), with at most
/// [`UNREAD_BETWEEN_MAX`] keyframes between them that do not read, each confirmed by the
/// nearest keyframe beyond it (not before `start`) that reads, past at most as many that do
/// not. A keyframe that disagrees both with the old offset and with the nearest keyframe
/// beyond it is an odd reading (a digit misread in one picture, as the first picture of a
/// recording may be) and counts as one that does not read: the new side is then confirmed
/// past it; and when the keyframe beyond it shows the old offset again, the search goes on
/// from there (at most [`ODD_RESUMES_MAX`] times).
/// `at(k, searching)` is keyframe `k`'s offset (`Some(None)`: it does not read), or `None`
/// when no more keyframes may be decoded for the search. Returns `lo` and the offsets at `lo`
/// and `hi`.
fn place_jump(
    mut start: usize,
    n: usize,
    o_first: f64,
    mut at: impl FnMut(usize, bool) -> Option<Option<f64>>,
) -> Option<(usize, (f64, f64))> {
    for _ in 0..=ODD_RESUMES_MAX {
        match place_from(start, n, o_first, &mut at)? {
            Placed::Jump(lo, offsets) => return Some((lo, offsets)),
            Placed::Resume(k) => start = k,
        }
    }
    None
}

/// Times [`place_jump`] may go on past an odd reading that the old clock resumes after.
const ODD_RESUMES_MAX: usize = 2;

/// What one search of [`place_jump`] ends with, when not with nothing.
enum Placed {
    /// The last old keyframe, and the offsets on both sides.
    Jump(usize, (f64, f64)),
    /// The keyframe taken for the first new one was odd, and the old offset resumes at this
    /// keyframe: search again from it.
    Resume(usize),
}

fn place_from(
    start: usize,
    n: usize,
    o_first: f64,
    at: &mut impl FnMut(usize, bool) -> Option<Option<f64>>,
) -> Option<Placed> {
    let (mut lo, mut hi) = (start, n.checked_sub(1)?);
    if hi <= lo {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        // The keyframe halfway, or the nearest between `lo` and `hi` that reads.
        let near = std::iter::once(mid)
            .chain((1..hi - lo).flat_map(|d| [mid + d, mid.wrapping_sub(d)]))
            .filter(|&k| k > lo && k < hi);
        let mut found = None;
        for k in near {
            if let Some(o) = at(k, true)? {
                found = Some((k, o));
                break;
            }
        }
        // None between reads: every one of them was tried.
        let Some((k, o)) = found else { break };
        if agree(o, o_first) {
            lo = k;
        } else {
            hi = k;
        }
    }
    let (o_lo, mut o_hi) = (at(lo, false)??, at(hi, false)??);
    // Each side confirmed by the keyframe beyond the two where the offset changes, or, where
    // that one does not read, the nearest beyond it that does (up to UNREAD_BETWEEN_MAX
    // skipped): two pictures on each side.
    let mut beyond = |from: usize, down: bool| -> Option<(usize, f64)> {
        for d in 1..=1 + UNREAD_BETWEEN_MAX {
            let k = if down {
                from.checked_sub(d).filter(|&k| k >= start)?
            } else {
                Some(from + d).filter(|&k| k < n)?
            };
            if let Some(o) = at(k, false)? {
                return Some((k, o));
            }
        }
        None
    };
    loop {
        if hi - lo - 1 > UNREAD_BETWEEN_MAX {
            return None;
        }
        let (k, o) = beyond(hi, false)?;
        if agree(o, o_hi) {
            break;
        }
        if agree(o, o_lo) {
            return Some(Placed::Resume(k));
        }
        // `hi` disagrees with the old offset and with the keyframe beyond it: odd.
        (hi, o_hi) = (k, o);
    }
    let (_, o_before) = beyond(lo, true)?;
    agree(o_before, o_lo).then_some(Placed::Jump(lo, (o_lo, o_hi)))
}

/// Clears the time of every reading of the file (first, last, and those read by halves) that
/// disagrees with the offset most of them agree on, when the first and the last disagree and
/// no jump was confirmed; notes it. Only readings the rules would use vote; a weak one that
/// disagrees is cleared too.
fn set_aside_outliers(out: &mut Output, read: &mut [Keyframe]) {
    let offsets: Vec<f64> = out
        .keyframes
        .iter()
        .chain(read.iter())
        .filter_map(|k| offset(&k.seen))
        .collect();
    if offsets.len() < 2 {
        return;
    }
    let agreeing = |o: f64| offsets.iter().filter(|&&p| agree(p, o)).count();
    let Some(usual) = offsets
        .iter()
        .copied()
        .max_by_key(|&o| agreeing(o))
        .filter(|&o| agreeing(o) * 2 > offsets.len())
    else {
        return;
    };
    let mut cleared = 0;
    for k in out.keyframes.iter_mut().chain(read.iter_mut()) {
        if k.seen.shown_offset().is_some_and(|o| !agree(o, usual))
            && let Some(r) = k.seen.reading.as_mut()
        {
            r.civil_s = None;
            r.confidence = 0.0;
            cleared += 1;
        }
    }
    if cleared > 0 {
        out.note.get_or_insert_with(|| {
            format!(
                "{cleared} keyframe reading(s) disagreeing with the file's others were set aside"
            )
        });
    }
}

/// Keyframes decoded together when all are read.
const EVERY_CHUNK: usize = 32;

/// Reads the keyframes of a file not read yet (`--keyframes all`), in order, a chunk at a time;
/// stops at the first chunk that does not decode, with the reason as the file's note.
pub(super) fn read_every(input: &Input, font: &Font, out: &mut Output) {
    read_rest(input, font, out);
    // Without a jump, the file's readings all keep one offset: set aside those that do not.
    if out.jump.is_none() {
        set_aside_outliers(out, &mut []);
    }
}

fn read_rest(input: &Input, font: &Font, out: &mut Output) {
    let read: std::collections::HashSet<usize> =
        out.keyframes.iter().map(|k| k.gop_index).collect();
    read_these(input, font, out, "every", |n| {
        (0..n).filter(|i| !read.contains(i)).collect()
    });
}

/// Reads the keyframes after the first and before the last, one at a time, while the reading
/// at that end and those read in from it are weak ([`Output::first`]): a picture or two more,
/// where the scene spoiled a glyph at an end, keep the file readable for the rules.
pub(super) fn read_inward(input: &Input, font: &Font, out: &mut Output) {
    for _ in 0..super::INWARD_MAX {
        let wanted = out.inward_wanted();
        if wanted.is_empty() {
            return;
        }
        let before = out.keyframes.len();
        read_these(input, font, out, "inward", |n| {
            wanted.into_iter().filter(|&k| k < n).collect()
        });
        if out.keyframes.len() == before {
            return;
        }
    }
}

/// Keyframes inside a frame-rate stretch decoded at most to read the display there.
const STRETCH_MAX: usize = 3;

/// The display inside the file's stretch at another frame rate ([`Input::stretch`]): the
/// keyframes whose time lies inside it, nearest its middle first, until one reads well; one read
/// already (an end's stand-in, one read by halves) is taken as it is, and at most
/// [`STRETCH_MAX`] are decoded; when none reads well, the first that shows a time, weakly.
/// Whether the picture's clock runs on through the stretch (a recorder that lowered its frame
/// rate in low light) or shows another time (footage spliced in) is the rules' to judge
/// ([`Output::inside_stretch`]).
pub(super) fn read_stretch(input: &Input, font: &Font, out: &mut Output) {
    let Some((at, len)) = input
        .stretch
        .filter(|(at, len)| at.is_finite() && len.is_finite())
    else {
        return;
    };
    let Some((f, plan)) = reopen(input, out) else {
        return;
    };
    let middle = at + len / 2.0;
    let mut inside: Vec<(usize, f64)> = plan
        .sync
        .iter()
        .enumerate()
        .map(|(k, s)| (k, plan.seconds(s)))
        .filter(|&(_, t)| t >= at && t < at + len)
        .collect();
    inside.sort_by(|a, b| (a.1 - middle).abs().total_cmp(&(b.1 - middle).abs()));
    let mut decoded = 0;
    // The first keyframe inside read with a time, however weakly: taken when none reads well
    // (a weak time clears a lower rate only when it keeps the file's one clock, never accuses).
    let mut timed: Option<usize> = None;
    let has_time = |out: &Output, k: usize| {
        out.read_at(k)
            .is_some_and(|x| x.seen.shown_offset().is_some())
    };
    for (k, _) in inside {
        if out.read_at(k).is_none() {
            if decoded == STRETCH_MAX {
                break;
            }
            decoded += 1;
            if !decode_into(&f, &plan, font, &[k], "stretch", out) {
                break;
            }
        }
        if out.read_at(k).is_some_and(|x| !super::weak(&x.seen)) {
            out.stretch_at = Some(k);
            return;
        }
        if timed.is_none() && has_time(out, k) {
            timed = Some(k);
        }
    }
    out.stretch_at = timed;
}

/// Reads the keyframes `which` picks (by their place, given how many the file has), in order,
/// a chunk at a time, as `purpose`; stops at the first chunk that does not decode, with the
/// reason as the file's note.
fn read_these(
    input: &Input,
    font: &Font,
    out: &mut Output,
    purpose: &'static str,
    which: impl FnOnce(usize) -> Vec<usize>,
) {
    let Some((f, plan)) = reopen(input, out) else {
        return;
    };
    let rest = which(plan.sync.len());
    for chunk in rest.chunks(EVERY_CHUNK) {
        if !decode_into(&f, &plan, font, chunk, purpose, out) {
            return;
        }
    }
}

/// The file opened and planned again (the prepared plan keeps only the first and last
/// keyframes); `None`, the reason as the file's note, when it cannot be.
fn reopen(input: &Input, out: &mut Output) -> Option<(std::fs::File, Plan)> {
    match open(input).and_then(|f| plan_of(&f, input).map(|plan| (f, plan))) {
        Ok(x) => Some(x),
        Err(e) => {
            out.note.get_or_insert(e);
            None
        }
    }
}

/// Keyframes at places `ks` decoded, read with `font` as `purpose` and added to `out`; false,
/// the reason as the file's note, when they could not all be decoded.
fn decode_into(
    f: &std::fs::File,
    plan: &Plan,
    font: &Font,
    ks: &[usize],
    purpose: &'static str,
    out: &mut Output,
) -> bool {
    match decode_and_read(f, plan, font, ks, purpose) {
        Ok((keys, decoded, err)) => {
            out.decoded += decoded;
            out.keyframes.extend(keys);
            match err {
                Some(e) => {
                    out.note.get_or_insert(e.to_string());
                    false
                }
                None => true,
            }
        }
        Err(e) => {
            out.note.get_or_insert(e);
            false
        }
    }
}

/// The keyframes at places `which` of a file decoded together and read with `font`, as
/// `purpose`: each one's reading (none where its picture did not decode), how many pictures
/// decoded, and the decoder's error. `Err` when a keyframe's bytes cannot be read.
fn decode_and_read(
    f: &std::fs::File,
    plan: &Plan,
    font: &Font,
    which: &[usize],
    purpose: &'static str,
) -> Result<(Vec<Keyframe>, u32, Option<DecodeError>), String> {
    let keys = which
        .iter()
        .map(|&i| keyframe(f, plan, &plan.sync[i]))
        .collect::<Result<Vec<_>, _>>()?;
    let (units, slices): (Vec<Vec<u8>>, Vec<_>) =
        keys.into_iter().map(|k| (k.unit, k.slice)).unzip();
    let (lines, decoded, err) = keyframe_lines(plan, &units, font.rows, font.ink);
    let read = which
        .iter()
        .zip(slices)
        .zip(lines)
        .map(|((&i, slice), line)| {
            let s = plan.sync[i];
            Keyframe {
                purpose,
                sample: s.number,
                gop_index: i,
                seen: Seen {
                    t_s: plan.seconds(&s),
                    reading: osd::read_lines(font, &line),
                },
                slice,
            }
        })
        .collect();
    Ok((read, decoded, err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osd::Reading;

    fn key(purpose: &'static str, k: usize, civil_s: Option<i64>) -> Keyframe {
        Keyframe {
            purpose,
            sample: k as u64 + 1,
            gop_index: k,
            seen: Seen {
                t_s: k as f64,
                reading: Some(Reading {
                    text: String::new(),
                    civil_s: civil_s.map(|c| c + k as i64),
                    rest: String::new(),
                    rest_sure: String::new(),
                    confidence: 1.0,
                }),
            },
            slice: None,
        }
    }

    /// Offsets of twenty keyframes: 0 before keyframe `jump_at`, 900 (a quarter of an hour)
    /// from it on; those in `unread` do not read.
    fn offsets(jump_at: usize, unread: &[usize]) -> Vec<Option<f64>> {
        (0..20)
            .map(|k| {
                let o = if k < jump_at { 0.0 } else { 900.0 };
                (!unread.contains(&k)).then_some(o)
            })
            .collect()
    }

    /// Where `place_jump` puts a jump: the last old keyframe and the offsets on both sides.
    type Found = Option<(usize, (f64, f64))>;

    /// `place_jump` over `offsets`, and the keyframes it looked at.
    fn placed(offsets: &[Option<f64>]) -> (Found, Vec<usize>) {
        let mut asked = Vec::new();
        let found = place_jump(0, offsets.len(), 0.0, |k, _| {
            asked.push(k);
            Some(offsets[k])
        });
        (found, asked)
    }

    #[test]
    fn a_jump_is_placed_past_a_few_keyframes_that_do_not_read() {
        // Every keyframe reads: the last old one and the first new one, by halves.
        let (found, asked) = placed(&offsets(10, &[]));
        assert_eq!(found, Some((9, (0.0, 900.0))));
        assert!(asked.len() <= 10, "{asked:?}");
        // The first keyframe of the joined recording does not read (its scene spoils the
        // display): placed between the last old one and the first that reads anew.
        assert_eq!(placed(&offsets(10, &[10])).0, Some((9, (0.0, 900.0))));
        assert_eq!(placed(&offsets(10, &[10, 11])).0, Some((9, (0.0, 900.0))));
        // Two unread on either side of the change, and three.
        assert_eq!(placed(&offsets(10, &[9, 10])).0, Some((8, (0.0, 900.0))));
        assert_eq!(
            placed(&offsets(10, &[9, 10, 11])).0,
            Some((8, (0.0, 900.0)))
        );
        // Four between: too far apart to say where.
        assert_eq!(placed(&offsets(10, &[8, 9, 10, 11])).0, None);
        // The keyframe halfway does not read: the nearest one between that does is taken.
        let (found, asked) = placed(&offsets(14, &[9]));
        assert_eq!(found, Some((13, (0.0, 900.0))));
        assert_eq!(&asked[..2], [9, 10]);
        // Each side still confirmed by a keyframe beyond: the nearest that reads, past up to
        // three that do not; four that do not, and there is no jump.
        assert_eq!(placed(&offsets(10, &[11])).0, Some((9, (0.0, 900.0))));
        assert_eq!(placed(&offsets(10, &[10, 12])).0, Some((9, (0.0, 900.0))));
        assert_eq!(placed(&offsets(10, &[6, 7, 8])).0, Some((9, (0.0, 900.0))));
        assert_eq!(
            placed(&offsets(10, &[11, 12, 13])).0,
            Some((9, (0.0, 900.0)))
        );
        assert_eq!(placed(&offsets(10, &[11, 12, 13, 14])).0, None);
        assert_eq!(placed(&offsets(10, &[5, 6, 7, 8])).0, None);
        // No jump, and a keyframe between misread as well as the last: the one after the
        // misread keyframe keeps the old offset.
        let mut misread = offsets(20, &[]);
        misread[14] = Some(900.0);
        misread[19] = Some(900.0);
        assert_eq!(placed(&misread).0, None);
        // The same with the keyframe after the misread one not read: the next still keeps
        // the old offset, and there is none.
        misread[15] = None;
        assert_eq!(placed(&misread).0, None);
        // A misread keyframe, the next two (or three) not read and the one after them keeping the old
        // offset: none.
        misread[16] = None;
        assert_eq!(placed(&misread).0, None);
        misread[17] = None;
        assert_eq!(placed(&misread).0, None);
        // A jump in the first or last keyframe interval has one picture on a side.
        assert_eq!(placed(&offsets(1, &[])).0, None);
        assert_eq!(placed(&offsets(19, &[])).0, None);
        // No more decodes allowed for the search: no jump.
        let all = offsets(10, &[]);
        let mut left = 2;
        let stopped = place_jump(0, 20, 0.0, |k, searching| {
            if searching {
                if left == 0 {
                    return None;
                }
                left -= 1;
            }
            Some(all[k])
        });
        assert_eq!(stopped, None);
    }

    /// `locate` over `offsets`, from its ends.
    fn located(offsets: &[Option<f64>]) -> Found {
        let n = offsets.len();
        let ends = (offsets[0].expect("first"), offsets[n - 1].expect("last"));
        locate(n, ends, |k, _| Some(offsets[k]))
    }

    #[test]
    fn a_misread_first_keyframe_does_not_hide_a_jump() {
        // The first keyframe misread 5 s late (a 3 read as an 8), a jump at 10.
        let mut misread = offsets(10, &[]);
        misread[0] = Some(5.0);
        assert_eq!(place_jump(0, 20, 5.0, |k, _| Some(misread[k])), None);
        assert_eq!(located(&misread), Some((9, (0.0, 900.0))));
        // Without a jump: the next keyframe agrees with the last, nothing is placed.
        let mut honest = offsets(20, &[]);
        honest[0] = Some(5.0);
        assert_eq!(located(&honest), None);
        // A jump in the first keyframe interval stays unconfirmed (one picture before it).
        assert_eq!(located(&offsets(1, &[])), None);
        // Searching from the second keyframe, the first is not taken to confirm a jump there.
        let mut early = offsets(2, &[]);
        early[0] = Some(5.0);
        assert_eq!(located(&early), None);
        // A clean jump is placed as before.
        assert_eq!(located(&offsets(10, &[])), Some((9, (0.0, 900.0))));
    }

    #[test]
    fn an_odd_reading_beside_a_jump_does_not_hide_it() {
        // The first picture of the joined recording misread 5 s late (its first IDR): the new
        // side is confirmed past it, and the jump placed after the last old keyframe.
        let mut first_new = offsets(10, &[]);
        first_new[10] = Some(905.0);
        assert_eq!(placed(&first_new).0, Some((9, (0.0, 900.0))));
        // ... and with the file's own first picture misread as well (both recordings' first
        // IDRs): found from the second keyframe.
        first_new[0] = Some(5.0);
        assert_eq!(located(&first_new), Some((9, (0.0, 900.0))));
        // The last old keyframe odd: the jump lies between the one before it and the first new.
        let mut last_old = offsets(10, &[]);
        last_old[9] = Some(5.0);
        assert_eq!(placed(&last_old).0, Some((8, (0.0, 900.0))));
        // An odd keyframe on the old side, far from the jump, taken halfway: the old clock
        // runs on past it, and the search goes on from there.
        let mut early = offsets(15, &[]);
        early[9] = Some(5.0);
        assert_eq!(placed(&early).0, Some((14, (0.0, 900.0))));
        // An odd keyframe and three that do not read between the sides: too far apart.
        let mut wide = offsets(10, &[11, 12, 13]);
        wide[10] = Some(905.0);
        assert_eq!(placed(&wide).0, None);
        // No jump: an honest file whose last keyframe is misread, and one keyframe between
        // misread otherwise, has no second picture on the last one's side.
        let mut honest = offsets(20, &[]);
        honest[19] = Some(900.0);
        honest[12] = Some(450.0);
        assert_eq!(placed(&honest).0, None);
        // Odd readings one after another past the change, each unlike the next: no side holds.
        let mut scattered = offsets(10, &[]);
        for (k, o) in [(10, 905.0), (11, 300.0), (12, 600.0), (13, 120.0)] {
            scattered[k] = Some(o);
        }
        assert_eq!(placed(&scattered).0, None);
    }

    #[test]
    fn a_clock_drifting_against_the_timestamps_is_told_from_a_join_by_two_keyframes() {
        // Thirty keyframes 10 s apart; the display's offset to the timestamps at each, whole
        // seconds as shown (floored).
        let check = |offsets: &dyn Fn(usize) -> f64| {
            let mut asked = Vec::new();
            let mut at = |k: usize, _: bool| {
                asked.push(k);
                Some(Some(offsets(k).floor()))
            };
            let found = drifts(
                30,
                |k| k as f64 * 10.0,
                (offsets(0).floor(), offsets(29).floor()),
                &mut at,
            );
            (found, asked)
        };
        // 3% short: 9 s over the file.
        let (found, asked) = check(&|k| k as f64 * 10.0 * 0.03);
        assert_eq!(found, Some(8.0));
        assert_eq!(asked, [14, 7]);
        // A join at keyframe 20 (9 s on): the halfway keyframe shows the first offset, and
        // nothing more is read for the drift.
        let (found, asked) = check(&|k| if k < 20 { 0.0 } else { 9.0 });
        assert_eq!((found, asked), (None, vec![14]));
        // A join at keyframe 10: halfway shows the new offset.
        assert_eq!(check(&|k| if k < 10 { 0.0 } else { 9.0 }).0, None);
        // Two joins, the middle footage's offset between the ends' but off the line.
        assert_eq!(
            check(&|k| if k < 10 {
                0.0
            } else if k < 20 {
                2.5
            } else {
                9.0
            })
            .0,
            None
        );
        // A drift too small to stand apart from both ends (3 s): the search by halves goes on.
        assert_eq!(check(&|k| k as f64 * 10.0 * 0.01).0, None);
        // A keyframe between that does not read: no drift is said.
        let mut at = |k: usize, _: bool| Some(if k == 14 { None } else { Some(k as f64 * 0.3) });
        assert_eq!(drifts(30, |k| k as f64 * 10.0, (0.0, 8.7), &mut at), None);
    }

    #[test]
    fn a_jump_rests_on_the_weakest_reading_of_either_side() {
        // Keyframes 0-9 show the old clock, 10-19 the new one a quarter of an hour ahead
        // (`key` advances the time shown a second a keyframe: the offset is the time given).
        let t = 1_773_309_600;
        let with = |k: usize, civil: i64, c: f32| {
            let mut x = key("jump", k, Some(civil));
            if let Some(r) = x.seen.reading.as_mut() {
                r.confidence = c;
            }
            x
        };
        let read = [
            with(0, t, 1.0),
            with(8, t, 0.9),
            with(9, t, 0.8),
            with(10, t + 900, 0.7),
            with(11, t + 900, 1.0),
            with(19, t + 900, 0.95),
        ];
        let sides = (t as f64, (t + 900) as f64);
        let weakest = |keys: &[Keyframe]| weakest_side(keys.iter(), 9, sides);
        assert_eq!(weakest(&read), 0.7);
        // A weak reading (under the rules' 0.65) placed nothing, and an odd one (another offset) shows
        // neither side: neither counts; nor does the new clock shown before the jump.
        let mut more = read.to_vec();
        more.push(with(12, t + 900, 0.3));
        more.push(with(13, t + 450, 0.6));
        more.push(with(5, t + 900, 0.55));
        assert_eq!(weakest(&more), 0.7);
        // The old side's weakest, when it is the weaker.
        more.push(with(7, t, 0.68));
        assert_eq!(weakest(&more), 0.68);
    }

    #[test]
    fn the_search_goes_on_past_at_most_two_odd_readings() {
        // Forty keyframes, the clock jumping at the thirty-ninth; each search's first look
        // halfway lands on an odd reading whose next keyframe keeps the old offset.
        let far = |odd: &[usize]| {
            let mut o: Vec<Option<f64>> = (0..40)
                .map(|k| Some(if k < 38 { 0.0 } else { 900.0 }))
                .collect();
            for &k in odd {
                o[k] = Some(5.0);
            }
            placed(&o)
        };
        // Two odd readings: the search goes on from each and places the jump.
        assert_eq!(far(&[19, 29]).0, Some((37, (0.0, 900.0))));
        // A third: the search ends there (scattered misreads are not searched through
        // without end), and no jump is placed.
        let (found, asked) = far(&[19, 29, 34]);
        assert_eq!(found, None);
        // Three searches, each of a few halvings and its confirmations.
        assert!(asked.len() <= 3 * 8, "{asked:?}");
    }

    #[test]
    fn a_reading_the_others_disagree_with_is_set_aside() {
        // The last keyframe read as 7026 (a 2 taken for a 7); the keyframes between agree with
        // the first.
        let year_7026 = 1_773_309_600 + 5000 * 31_556_952;
        // The first read as 2026, the last as 7026.
        let ends = || Output {
            keyframes: vec![
                key("first", 0, Some(1_773_309_600)),
                key("last", 19, Some(year_7026)),
            ],
            ..Default::default()
        };
        let mut out = ends();
        let mut read = vec![
            key("jump", 9, Some(1_773_309_600)),
            key("jump", 14, Some(1_773_309_600)),
        ];
        set_aside_outliers(&mut out, &mut read);
        let last = out.last().and_then(|s| s.reading.as_ref()).expect("kept");
        assert_eq!(last.civil_s, None);
        assert!(
            out.first()
                .and_then(|s| s.reading.as_ref()?.civil_s)
                .is_some()
        );
        assert!(out.note.as_deref().is_some_and(|n| n.contains("set aside")));
        // Two against two: no majority, nothing set aside.
        let mut even = ends();
        let mut read = vec![
            key("jump", 9, Some(1_773_309_600)),
            key("jump", 14, Some(year_7026)),
        ];
        set_aside_outliers(&mut even, &mut read);
        assert!(
            even.last()
                .and_then(|s| s.reading.as_ref()?.civil_s)
                .is_some()
        );
        assert_eq!(even.note, None);
        // The same, one of the two 7026 readings weak (under the rules' confidence): it has
        // no vote, so the last is the odd one, and both 7026 readings are set aside.
        let mut out = ends();
        let mut read = vec![
            key("jump", 9, Some(1_773_309_600)),
            key("jump", 14, Some(year_7026)),
        ];
        if let Some(r) = read[1].seen.reading.as_mut() {
            r.confidence = 0.3;
        }
        set_aside_outliers(&mut out, &mut read);
        assert_eq!(out.last().and_then(|s| s.reading.as_ref()?.civil_s), None);
        let timed = |k: &Keyframe| k.seen.reading.as_ref().is_some_and(|r| r.civil_s.is_some());
        assert!(!timed(&read[1]) && timed(&read[0]));
    }

    #[test]
    fn a_weak_reading_at_an_end_gives_way_to_the_nearest_keyframe_that_reads_well() {
        let weak = |mut k: Keyframe| {
            if let Some(r) = k.seen.reading.as_mut() {
                r.confidence = 0.3;
            }
            k
        };
        let start = |o: &Output| o.first().map(|s| s.t_s);
        let end = |o: &Output| o.last().map(|s| s.t_s);
        let t = Some(1_773_309_600);
        let mut out = Output {
            keyframes: vec![weak(key("first", 0, t)), weak(key("last", 19, t))],
            ..Default::default()
        };
        assert_eq!(out.inward_wanted(), [1, 18]);
        // The second reads well; the one before the last is weak too, so the next is wanted.
        out.keyframes.push(key("inward", 1, t));
        out.keyframes.push(weak(key("inward", 18, t)));
        assert_eq!(out.inward_wanted(), [17]);
        assert_eq!((start(&out), end(&out)), (Some(1.0), Some(19.0)));
        out.keyframes.push(key("inward", 17, t));
        assert_eq!((start(&out), end(&out)), (Some(1.0), Some(17.0)));
        assert!(out.inward_wanted().is_empty());
        // Three in from an end at most.
        let mut spoiled = Output {
            keyframes: vec![key("first", 0, t), weak(key("last", 19, t))],
            ..Default::default()
        };
        for k in [18, 17, 16] {
            assert_eq!(spoiled.inward_wanted(), [k]);
            spoiled.keyframes.push(weak(key("inward", k, t)));
        }
        assert!(spoiled.inward_wanted().is_empty());
        assert_eq!(end(&spoiled), Some(19.0));
        // Three keyframes: the middle one may stand in for the first, never for the last
        // (start and end would be one picture).
        let mut short = Output {
            keyframes: vec![weak(key("first", 0, t)), weak(key("last", 2, t))],
            ..Default::default()
        };
        assert_eq!(short.inward_wanted(), [1]);
        short.keyframes.push(key("inward", 1, t));
        assert_eq!((start(&short), end(&short)), (Some(1.0), Some(2.0)));
        assert!(short.inward_wanted().is_empty());
        // Two: none.
        let two = Output {
            keyframes: vec![weak(key("first", 0, t)), weak(key("last", 1, t))],
            ..Default::default()
        };
        assert!(two.inward_wanted().is_empty());
    }

    #[test]
    fn the_keyframe_after_a_weak_first_is_decoded_and_read() {
        let input = super::super::tests::osd_input("day.mp4");
        let (outs, fonts) =
            super::super::run_with(std::slice::from_ref(&input), &Default::default());
        let mut out = outs.into_iter().next().expect("an output");
        let shown = out
            .first()
            .and_then(|s| Some(s.reading.as_ref()?.civil_s? - s.t_s as i64));
        assert!(shown.is_some(), "day.mp4 reads");
        // Its first picture's reading spoiled (as a scene may spoil a glyph of it).
        for k in out.keyframes.iter_mut().filter(|k| k.purpose == "first") {
            if let Some(r) = k.seen.reading.as_mut() {
                r.civil_s = None;
            }
        }
        let decoded = out.decoded;
        read_inward(&input, &fonts["A"], &mut out);
        assert_eq!(out.decoded, decoded + 1);
        let first = out.first().expect("a start");
        assert!(
            first.t_s > 0.5,
            "the second keyframe stands in: {}",
            first.t_s
        );
        let at = first
            .reading
            .as_ref()
            .and_then(|r| r.civil_s)
            .expect("read");
        assert_eq!(Some(at - first.t_s as i64), shown, "the same clock");
    }
}
