//! Whether the encoder coded across a jump in a file's timestamps (第十二条(五)): the pictures
//! on either side of it read from their slice headers, no decoding.
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
//! Read for ISO BMFF files (a fragmented one's pictures found in its `moof` boxes) and for
//! MPEG transport streams, whose read notes the pictures around the video's largest step as
//! they go past (`TsIndex::jump`); not for AVI.

use std::fs::File;

use super::{
    Index, Input, MOOV_MAX, PICTURE_MAX, add_fragments, body, read_at, sample_bytes, sample_head,
    ts_plan_of,
};
use crate::media::h264::{self, PictureOrder};
use crate::media::hevc;
use crate::media::keyplan::{self, Codec, Plan};

/// Whether the encoder coded the pictures either side of the jump after picture `n` (1-based,
/// decoding order; the picture that lasts the long step) one after the other: `Some(true)`
/// when their numbering runs on, `Some(false)` when it does not (or the picture after the
/// jump is an IDR), `None` when it cannot be told (no sample table, another codec, a header
/// that does not read, a keyframe just before the jump, fields).
pub fn coded_across(f: &File, input: &Input, n: u64) -> Option<bool> {
    if n < 2 {
        return None;
    }
    let plan = match &input.index {
        Index::Moov(offset, size) => {
            if !(8..=MOOV_MAX).contains(size) {
                return None;
            }
            let moov = read_at(f, *offset, *size, "moov box").ok()?;
            keyplan::plan_from(body(&moov), 3, Some(n - 1))?
        }
        // The read noted the units around the video's largest step as they went past.
        Index::Ts(ts) => {
            let mut plan = ts_plan_of(f, ts).ok()?;
            plan.lead = ts.jump.clone();
            plan
        }
        // No jump is judged from a Matroska file's blocks.
        Index::Avi { .. } | Index::Mkv(_) => return None,
    };
    let mut plan = plan;
    if plan.fragments.is_some() {
        // A fragmented file's pictures are in its `moof` boxes: walked to the jump's.
        add_fragments(f, &mut plan).ok()?;
    }
    let numbers: Vec<u64> = plan.lead.iter().map(|s| s.number).collect();
    if numbers != [n - 1, n, n + 1] {
        return None;
    }
    match plan.codec {
        Codec::H264 => {
            let (sps, _) = plan.h264.as_ref()?;
            let mut order = Vec::with_capacity(3);
            for s in &plan.lead {
                let first = |bytes: &[u8]| {
                    first_slice(&plan, bytes).and_then(|n| h264::picture_order(n, sps))
                };
                order.push(read_first(f, &plan, s, first)?);
            }
            judge(&order, sps, plan.reordered)
        }
        Codec::Hevc => {
            let syntax = hevc::slice_syntax(plan.hevc_set(33)?, plan.hevc_set(34)?)?;
            let mut order = Vec::with_capacity(3);
            for s in &plan.lead {
                let first = |bytes: &[u8]| {
                    keyplan::nals(&plan, bytes)
                        .filter_map(|n| hevc::segment(n, &syntax))
                        .find(|seg| seg.first)
                        .and_then(|seg| Some((seg.nal_type, seg.poc_lsb?)))
                };
                order.push(read_first(f, &plan, s, first)?);
            }
            judge_hevc(&order, syntax.poc_bits(), plan.reordered)
        }
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

/// HEVC pictures `a`, `b` (before the jump) and `c` (after it), each its NAL unit type and
/// `slice_pic_order_cnt_lsb`: a random-access picture after the jump (IDR, CRA, BLA) begins a
/// copy of the stream, as after a cut; otherwise, where pictures are not reordered, the order
/// count steps across the jump as it did before it.
fn judge_hevc(order: &[(u8, u32)], poc_bits: u32, reordered: bool) -> Option<bool> {
    let [(_, x), (b_type, y), (c_type, z)] = order else {
        return None;
    };
    let irap = |t: &u8| (16..=23).contains(t);
    if irap(b_type) || reordered {
        return None;
    }
    if irap(c_type) {
        return Some(false);
    }
    let max_poc = 1u32.checked_shl(poc_bits)?;
    let step = |p: u32, q: u32| q.wrapping_sub(p) & (max_poc - 1);
    if step(*x, *y) == 0 {
        return None;
    }
    Some(step(*y, *z) == step(*x, *y))
}

/// Pictures `a`, `b` (before the jump) and `c` (after it), in decoding order.
fn judge(order: &[PictureOrder], sps: &h264::Sps, reordered: bool) -> Option<bool> {
    let [a, b, c] = order else {
        return None;
    };
    // Fields pair up under one number; a keyframe just before the jump starts the counting.
    if a.field || b.field || c.field || b.idr {
        return None;
    }
    let max_frame_num = 1u32.checked_shl(sps.log2_max_frame_num)?;
    let next = |p: &PictureOrder| (p.frame_num + u32::from(p.reference)) % max_frame_num;
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
        let max_poc = 1u32.checked_shl(sps.log2_max_poc_lsb)?;
        let step = |p: u32, q: u32| q.wrapping_sub(p) & (max_poc - 1);
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
        // A keyframe just before the jump, or numbering that does not count: not told.
        let idr_before = [
            pic(3, Some(6), false, true),
            pic(0, Some(0), true, true),
            pic(1, Some(2), false, true),
        ];
        assert_eq!(judge(&idr_before, &s, false), None);
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
        // A random-access picture just before, or reordered pictures: not told.
        assert_eq!(judge_hevc(&[(1, 4), (19, 0), (1, 1)], 4, false), None);
        assert_eq!(judge_hevc(&[(1, 4), (1, 5), (1, 6)], 4, true), None);
    }
}
