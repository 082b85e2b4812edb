//! Whether the encoder coded across a jump in a file's timestamps, or across the edges of a
//! stretch at another frame rate (第十二条(五)): the pictures on either side read from their
//! slice headers, no decoding.
//!
//! An H.264 encoder numbers the pictures it codes: each picture after one kept for reference
//! carries the next `frame_num` (§7.4.3), and with picture order count type 0 its
//! `pic_order_cnt_lsb` steps by the encoder's usual step. A recorder whose capture stood still
//! (a slow card, the whole recorder freezing) hands its encoder the next picture late: the
//! timestamps jump, the numbering runs on, and the picture after the jump is predicted from the
//! one before it. A cut made afterwards cannot leave that: a copy of the stream cut out of the
//! file resumes at a keyframe (an IDR picture starts the numbering again; any other picture
//! after a cut would reference pictures that are gone, and its `frame_num` would skip those
//! the cut took). So a jump across which the numbering runs on is the recorder's own stall,
//! and a jump where it does not, or resumes at a keyframe, stays what it was.
//!
//! HEVC pictures carry no `frame_num`: there the picture order count is held to its step (in
//! a stream without reordered pictures), and a random-access picture after the jump is a cut's
//! resumption as an IDR picture is in H.264.
//!
//! The same reading across both edges of a stretch at another steady frame rate
//! ([`stretch_coded_across`], `files.stretch_coded_across`): a recorder that lowers its capture
//! rate in the dark and goes back hands its encoder pictures further apart, and the encoder
//! numbers on; footage of another rate copied in begins at a keyframe of its own, and the
//! recording after it resumes at one.
//!
//! Read for ISO BMFF files (a fragmented one's pictures found in its `moof` boxes) and, for a
//! jump, for MPEG transport streams and Dahua DAV files, whose reads note the pictures around
//! the video's largest step as they go past (`keyplan::Noted::jump`); not for
//! AVI or Matroska.

use std::fs::File;

use super::{
    Index, Input, MOOV_MAX, PICTURE_MAX, add_fragments, body, noted_plan_of, read_at, sample_bytes,
    sample_head,
};
use crate::media::h264::{self, PictureOrder};
use crate::media::hevc;
use crate::media::keyplan::{self, Codec, Plan};

/// Whether the encoder coded the pictures either side of the jump after picture `n` (1-based,
/// decoding order; the picture that lasts the long step) one after the other: `Some(true)`
/// when their numbering runs on, `Some(false)` when it does not (or the picture after the
/// jump is an IDR), `None` when it cannot be told (no sample table, another codec, a header
/// that does not read, fields, an order count that does not step as an encoder steps it).
pub fn coded_across(f: &File, input: &Input, n: u64) -> Option<bool> {
    if n < 2 {
        return None;
    }
    let plan = match &input.index {
        // The read noted the pictures around the video's largest step as they went past (a
        // transport stream's units, a DAV file's frames; none of a Matroska file's blocks).
        Index::Noted(noted) => {
            let mut plan = noted_plan_of(f, noted).ok()?;
            plan.lead = noted.jump.clone();
            plan
        }
        _ => lead_plan(f, input, n - 1, 3)?,
    };
    numbered_on(f, &plan, n - 1, 3)
}

/// The most pictures an edge of a stretch may span (the last picture before it to the first
/// after it): a join leaves an odd picture or two between the runs of two rates, and a
/// recorder easing its rate down or up passes through others for a second or two (pictures
/// dropped one in four, then one in three). Every step across it is read.
const EDGE_MAX: u64 = 64;

/// Whether the encoder numbered its pictures on across both edges of a stretch at another
/// frame rate (`edges`: the last picture before each edge and the first after it, as
/// [`crate::media::RateStretch::edges`]), as across a jump ([`coded_across`]): every
/// picture from the one before the edge's last to its first counts on from the one before it.
/// A recorder that lowers its capture rate in the dark hands its encoder pictures further
/// apart and the encoder codes on; footage of another rate copied in begins at a keyframe of
/// its own, and the footage after it resumes at one. `Some(false)` when either edge shows
/// that, `Some(true)` when both count on, `None` when either cannot be told (a keyframe at
/// an edge, as a recorder may also code there, is no sign either way).
pub fn stretch_coded_across(f: &File, input: &Input, edges: [(u64, u64); 2]) -> Option<bool> {
    let mut told = Some(true);
    for (last, first) in edges {
        if last < 2 || first <= last || first - last > EDGE_MAX {
            return None;
        }
        let count = (first - last + 2) as usize;
        let plan = lead_plan(f, input, last - 1, count)?;
        match numbered_on(f, &plan, last - 1, count) {
            Some(false) => return Some(false),
            None => told = None,
            Some(true) => {}
        }
    }
    told
}

/// The plan of a file's main video track with its lead `count` pictures from picture `from`
/// (ISO BMFF: the sample table, or a fragmented file's movie fragments walked to them).
fn lead_plan(f: &File, input: &Input, from: u64, count: usize) -> Option<Plan> {
    let Index::Moov(offset, size) = &input.index else {
        // A transport stream notes only the pictures around its largest step; no jump is
        // judged from an AVI's index nor a Matroska file's blocks.
        return None;
    };
    if !(8..=MOOV_MAX).contains(size) {
        return None;
    }
    let moov = read_at(f, *offset, *size, "moov box").ok()?;
    let mut plan = keyplan::plan_from(body(&moov), count, Some(from))?;
    if plan.fragments.is_some() {
        // A fragmented file's pictures are in its `moof` boxes: walked to the lead's.
        add_fragments(f, &mut plan).ok()?;
    }
    Some(plan)
}

/// Whether the plan's lead, pictures `from` to `from + count - 1`, counts on picture after
/// picture from the second: each judged with the two before it ([`judge`], [`judge_hevc`]).
fn numbered_on(f: &File, plan: &Plan, from: u64, count: usize) -> Option<bool> {
    let numbers: Vec<u64> = plan.lead.iter().map(|s| s.number).collect();
    if count < 3 || numbers != (from..from + count as u64).collect::<Vec<_>>() {
        return None;
    }
    let verdicts: Vec<Option<bool>> = match plan.codec {
        Codec::H264 => {
            let (sps, _) = plan.h264.as_ref()?;
            let mut order = Vec::with_capacity(count);
            for s in &plan.lead {
                let first = |bytes: &[u8]| {
                    first_slice(plan, bytes).and_then(|n| h264::picture_order(n, sps))
                };
                order.push(read_first(f, plan, s, first)?);
            }
            order
                .windows(3)
                .map(|w| judge(w, sps, plan.reordered))
                .collect()
        }
        Codec::Hevc => {
            let syntax = hevc::slice_syntax(plan.hevc_set(33)?, plan.hevc_set(34)?)?;
            let mut order = Vec::with_capacity(count);
            for s in &plan.lead {
                let first = |bytes: &[u8]| {
                    keyplan::nals(plan, bytes)
                        .filter_map(|n| hevc::segment(n, &syntax))
                        .find(|seg| seg.first)
                        .and_then(|seg| Some((seg.nal_type, seg.poc_lsb?)))
                };
                order.push(read_first(f, plan, s, first)?);
            }
            order
                .windows(3)
                .map(|w| judge_hevc(w, syntax.poc_bits(), plan.reordered))
                .collect()
        }
    };
    all_on(&verdicts)
}

/// One verdict of several steps: any step not counted on is `false`, any that cannot be told
/// leaves it untold, else `true`.
fn all_on(verdicts: &[Option<bool>]) -> Option<bool> {
    if verdicts.contains(&Some(false)) {
        Some(false)
    } else if verdicts.contains(&None) || verdicts.is_empty() {
        None
    } else {
        Some(true)
    }
}

fn first_slice<'a>(plan: &Plan, bytes: &'a [u8]) -> Option<&'a [u8]> {
    keyplan::nals(plan, bytes)
        .find(|n| n.first().is_some_and(|&h| keyplan::is_slice(plan.codec, h)))
}

/// What `first` reads of a sample: from its first bytes, or the whole sample where they hold
/// no first slice.
fn read_first<T>(
    f: &File,
    plan: &Plan,
    s: &keyplan::Sample,
    first: impl Fn(&[u8]) -> Option<T>,
) -> Option<T> {
    let (head, whole) = sample_head(f, plan, s).ok()?;
    match first(&head) {
        Some(o) => Some(o),
        None if !whole && s.size <= PICTURE_MAX => first(&sample_bytes(f, plan, s).ok()?),
        None => None,
    }
}

/// The steps of the order count a picture after a keyframe may take where pictures are not
/// reordered: one (HEVC, and H.264 encoders counting so) or two (H.264 frames, each counting
/// its two fields' places).
const FIRST_STEPS: std::ops::RangeInclusive<u32> = 1..=2;

/// HEVC pictures `a`, `b` (before the jump) and `c` (after it), each its NAL unit type and
/// `slice_pic_order_cnt_lsb`: a random-access picture after the jump (IDR, CRA, BLA) begins a
/// copy of the stream, as after a cut; otherwise, where pictures are not reordered, the order
/// count steps across the jump as it did before it, or, after a random-access picture just
/// before the jump (no step before it to compare), by one or two.
fn judge_hevc(order: &[(u8, u32)], poc_bits: u32, reordered: bool) -> Option<bool> {
    let [(_, x), (b_type, y), (c_type, z)] = order else {
        return None;
    };
    let irap = |t: &u8| (16..=23).contains(t);
    if reordered {
        return None;
    }
    if irap(c_type) {
        return Some(false);
    }
    let max_poc = 1u32.checked_shl(poc_bits)?;
    let step = |p: u32, q: u32| q.wrapping_sub(p) & (max_poc - 1);
    if irap(b_type) {
        return FIRST_STEPS.contains(&step(*y, *z)).then_some(true);
    }
    if step(*x, *y) == 0 {
        return None;
    }
    Some(step(*y, *z) == step(*x, *y))
}

/// Pictures `a`, `b` (before the jump) and `c` (after it), in decoding order. Where `b` is a
/// keyframe (an IDR picture: the numbering starts again there, so `a` says nothing), `c` must
/// be the next picture numbered from it and, where pictures are not reordered, presented one
/// or two order counts after it; a cut's copy resuming there would begin at a keyframe of its
/// own (an IDR picture, or another whose numbers match only by chance).
fn judge(order: &[PictureOrder], sps: &h264::Sps, reordered: bool) -> Option<bool> {
    let [a, b, c] = order else {
        return None;
    };
    // Fields pair up under one number.
    if a.field || b.field || c.field {
        return None;
    }
    let max_frame_num = 1u32.checked_shl(sps.log2_max_frame_num)?;
    let next = |p: &PictureOrder| (p.frame_num + u32::from(p.reference)) % max_frame_num;
    let max_poc = 1u32.checked_shl(sps.log2_max_poc_lsb)?;
    let step = |p: u32, q: u32| q.wrapping_sub(p) & (max_poc - 1);
    if b.idr {
        if c.idr || next(b) != c.frame_num {
            return Some(false);
        }
        return match (reordered, b.poc_lsb, c.poc_lsb) {
            (false, Some(y), Some(z)) => FIRST_STEPS.contains(&step(y, z)).then_some(true),
            _ => Some(true),
        };
    }
    // The pictures before the jump must count as an encoder counts, for the test to mean
    // anything (a stream whose numbering is not kept says nothing).
    if next(a) != b.frame_num {
        return None;
    }
    if c.idr || next(b) != c.frame_num {
        return Some(false);
    }
    // Picture order type 0 without reordering: the order count steps as it did before.
    if let (false, Some(x), Some(y), Some(z)) = (reordered, a.poc_lsb, b.poc_lsb, c.poc_lsb) {
        if step(x, y) == 0 {
            return None;
        }
        return Some(step(y, z) == step(x, y));
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sps(poc_type: u32) -> h264::Sps {
        h264::Sps {
            profile_idc: 100,
            level_idc: 40,
            width: 160,
            height: 120,
            max_num_ref_frames: 1,
            poc_type,
            frame_mbs_only: true,
            separate_colour_plane: false,
            log2_max_frame_num: 4,
            log2_max_poc_lsb: 6,
            delta_pic_order_always_zero: false,
        }
    }

    fn pic(frame_num: u32, poc: Option<u32>, idr: bool, reference: bool) -> PictureOrder {
        PictureOrder {
            idr,
            reference,
            frame_num,
            poc_lsb: poc,
            field: false,
        }
    }

    #[test]
    fn the_numbering_tells_a_stall_from_a_cut() {
        let s = sps(0);
        // A stall: the numbering runs on (and wraps at 16), the order count steps by 2.
        let stall = [
            pic(14, Some(60), false, true),
            pic(15, Some(62), false, true),
            pic(0, Some(0), false, true),
        ];
        assert_eq!(judge(&stall, &s, false), Some(true));
        // A cut resuming at an IDR picture.
        let at_idr = [
            pic(3, Some(6), false, true),
            pic(4, Some(8), false, true),
            pic(0, Some(0), true, true),
        ];
        assert_eq!(judge(&at_idr, &s, false), Some(false));
        // Pictures cut out between two that are not keyframes: the numbering skips them.
        let skipped = [
            pic(3, Some(6), false, true),
            pic(4, Some(8), false, true),
            pic(9, Some(18), false, true),
        ];
        assert_eq!(judge(&skipped, &s, false), Some(false));
        // Only unreferenced pictures cut out: the number runs on, the order count does not.
        let unreferenced = [
            pic(3, Some(6), false, true),
            pic(4, Some(8), false, true),
            pic(5, Some(20), false, true),
        ];
        assert_eq!(judge(&unreferenced, &s, false), Some(false));
        // A picture not kept for reference before the jump: the next one keeps its number.
        let b_before = [
            pic(3, Some(6), false, true),
            pic(4, Some(8), false, false),
            pic(4, Some(10), false, true),
        ];
        assert_eq!(judge(&b_before, &s, false), Some(true));
        // Reordered pictures: the order count is not compared, the numbering is.
        let reordered = [
            pic(3, Some(12), false, true),
            pic(4, Some(8), false, false),
            pic(4, Some(16), false, true),
        ];
        assert_eq!(judge(&reordered, &s, true), Some(true));
        // A keyframe just before the jump: the picture after it numbered from it, the order
        // count one frame on, is coded after it; a keyframe after it, or another number, or
        // an order count far from it, is a copy resuming.
        let idr_before = [
            pic(3, Some(6), false, true),
            pic(0, Some(0), true, true),
            pic(1, Some(2), false, true),
        ];
        assert_eq!(judge(&idr_before, &s, false), Some(true));
        let idr_then_idr = [
            pic(3, Some(6), false, true),
            pic(0, Some(0), true, true),
            pic(0, Some(0), true, true),
        ];
        assert_eq!(judge(&idr_then_idr, &s, false), Some(false));
        let idr_then_other = [
            pic(3, Some(6), false, true),
            pic(0, Some(0), true, true),
            pic(7, Some(2), false, true),
        ];
        assert_eq!(judge(&idr_then_other, &s, false), Some(false));
        let idr_then_far = [
            pic(3, Some(6), false, true),
            pic(0, Some(0), true, true),
            pic(1, Some(40), false, true),
        ];
        assert_eq!(judge(&idr_then_far, &s, false), None);
        // Numbering that does not count: not told.
        let not_counting = [
            pic(0, Some(6), false, true),
            pic(0, Some(8), false, true),
            pic(0, Some(10), false, true),
        ];
        assert_eq!(judge(&not_counting, &s, false), None);
        // Picture order type 2 (derived from the numbering): the numbering alone.
        let t2 = [
            pic(3, None, false, true),
            pic(4, None, false, true),
            pic(5, None, false, true),
        ];
        assert_eq!(judge(&t2, &sps(2), false), Some(true));
    }

    #[test]
    fn an_hevc_order_count_steps_on_across_a_stall() {
        // TRAIL_R pictures counting by one, wrapping at 16.
        assert_eq!(
            judge_hevc(&[(1, 14), (1, 15), (1, 0)], 4, false),
            Some(true)
        );
        // Pictures cut out: the count skips.
        assert_eq!(judge_hevc(&[(1, 4), (1, 5), (1, 9)], 4, false), Some(false));
        // A CRA or IDR picture after the jump: a copy of the stream resuming.
        assert_eq!(
            judge_hevc(&[(1, 4), (1, 5), (21, 6)], 4, false),
            Some(false)
        );
        assert_eq!(
            judge_hevc(&[(1, 4), (1, 5), (19, 0)], 4, false),
            Some(false)
        );
        // A random-access picture just before: the count steps on from it by one (or two),
        // or not told; reordered pictures: not told.
        assert_eq!(judge_hevc(&[(1, 4), (19, 0), (1, 1)], 4, false), Some(true));
        assert_eq!(
            judge_hevc(&[(1, 4), (21, 9), (1, 11)], 4, false),
            Some(true)
        );
        assert_eq!(judge_hevc(&[(1, 4), (19, 0), (1, 7)], 4, false), None);
        assert_eq!(
            judge_hevc(&[(1, 4), (19, 0), (19, 0)], 4, false),
            Some(false)
        );
        assert_eq!(judge_hevc(&[(1, 4), (1, 5), (1, 6)], 4, true), None);
    }
}
