//! Keyframes read beyond a file's first and last: by halves between them to place a jump of
//! the display's clock, or all of them (`--keyframes all`).

use super::{
    BISECT_MAX, Input, JUMP_MIN_S, Jump, Keyframe, Output, Seen, keyframe_lines, open, picture,
    slice_of,
};
use crate::media::keyplan::Plan;
use crate::osd::{self, Font};

/// Display time minus file time of a read keyframe, seconds.
fn offset(s: &Seen) -> Option<f64> {
    s.reading.as_ref()?.civil_s.map(|c| c as f64 - s.t_s)
}

/// When the first and last keyframe disagree on the display's offset to the file's own
/// timestamps by more than [`JUMP_MIN_S`], the keyframes between them are read by halves
/// until the two neighbours where it changes are found: a handful of decodes locate a jump in
/// an hour of footage. `None` when there is no jump, or it cannot be placed (a keyframe
/// between does not read).
/// Returns the keyframes read on the way even when the search stops short.
pub(super) fn find_jump(
    input: &Input,
    plan: &Plan,
    font: &Font,
    out: &Output,
) -> (Option<Jump>, Vec<Keyframe>) {
    let mut read = Vec::new();
    let jump = bisect(input, plan, font, out, &mut read);
    (jump, read)
}

fn bisect(
    input: &Input,
    plan: &Plan,
    font: &Font,
    out: &Output,
    read: &mut Vec<Keyframe>,
) -> Option<Jump> {
    let (first, last) = (out.first()?, out.last()?);
    let (o_first, o_last) = (offset(first)?, offset(last)?);
    if (o_last - o_first).abs() <= JUMP_MIN_S {
        return None;
    }
    let f = open(input).ok()?;
    let (mut lo, mut hi) = (0usize, plan.sync.len().checked_sub(1)?);
    while hi - lo > 1 && read.len() < BISECT_MAX as usize {
        let mid = lo + (hi - lo) / 2;
        let s = plan.sync[mid];
        let unit = picture(&f, plan, &s, true).ok()?;
        let slice = slice_of(plan, &unit);
        let (lines, _, _) = keyframe_lines(plan, std::slice::from_ref(&unit));
        let line = lines.into_iter().next().flatten();
        let seen = Seen {
            t_s: plan.seconds(&s),
            reading: line.map(|l| osd::read(font, &l)),
        };
        read.push(Keyframe {
            purpose: "jump",
            sample: s.number,
            gop_index: mid,
            seen: seen.clone(),
            slice,
        });
        let o = offset(&seen)?;
        if (o - o_first).abs() <= JUMP_MIN_S {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(Jump {
        by_s: o_last - o_first,
        at_s: plan.seconds(&plan.sync[hi]),
    })
}

/// Keyframes decoded together when all are read.
const EVERY_CHUNK: usize = 32;

/// Reads the keyframes of a file not read yet (`--keyframes all`), in order, a chunk at a time;
/// stops at the first chunk that does not decode, with the reason as the file's note.
pub(super) fn read_every(input: &Input, plan: &Plan, font: &Font, out: &mut Output) {
    let read: std::collections::HashSet<usize> =
        out.keyframes.iter().map(|k| k.gop_index).collect();
    let rest: Vec<usize> = (0..plan.sync.len()).filter(|i| !read.contains(i)).collect();
    let f = match open(input) {
        Ok(f) => f,
        Err(e) => {
            out.note.get_or_insert(e);
            return;
        }
    };
    for chunk in rest.chunks(EVERY_CHUNK) {
        let units = match chunk
            .iter()
            .map(|&i| picture(&f, plan, &plan.sync[i], true))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(u) => u,
            Err(e) => {
                out.note.get_or_insert(e);
                return;
            }
        };
        let (lines, decoded, err) = keyframe_lines(plan, &units);
        out.decoded += decoded;
        for ((&i, unit), line) in chunk.iter().zip(&units).zip(lines) {
            let s = plan.sync[i];
            out.keyframes.push(Keyframe {
                purpose: "every",
                sample: s.number,
                gop_index: i,
                seen: Seen {
                    t_s: plan.seconds(&s),
                    reading: line.map(|l| osd::read(font, &l)),
                },
                slice: slice_of(plan, unit),
            });
        }
        if let Some(e) = err {
            out.note.get_or_insert(e.to_string());
            return;
        }
    }
}
