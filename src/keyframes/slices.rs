//! How an encoder cuts and marks its pictures, from the slice headers of a file's first
//! pictures (no decoding): slices per picture, how it writes slice types, and the reference
//! priority (`nal_ref_idc`) it gives intra and P pictures. These are the encoder's way of
//! writing, the same for every scene: a recorder's hardware encoder keeps them, and another
//! encoder set to the same parameter sets rarely matches them all.
//!
//! Not taken, because the scene moves them: the slice QPs (rate control lowers and raises
//! them with the picture's content; the first and last keyframe's QP is in `keyframes`), the
//! reference priority of B pictures and the order of slice types (an encoder that places
//! B-frames adaptively uses fewer in fast motion).

use std::collections::BTreeMap;
use std::fs::File;

use super::{PICTURE_MAX, read_at};
use crate::media::h264::{self, SliceStart};
use crate::media::keyplan::{self, Plan};

/// Pictures read from the start of the track, and bytes at most.
const PICTURES: usize = 48;
const BYTES_MAX: u64 = 8 << 20;
/// Fewer pictures than this say nothing.
const PICTURES_MIN: usize = 8;

/// The slice habits of a file's first pictures, as one comparable text, e.g.
/// `slices1 types+5 nri:I3/P2`: one slice to every picture (`slices:many` when any picture has
/// more: the count is not kept, since an encoder that cuts slices by size gives a still scene
/// as few slices as a fixed count would, and a one-off in it would be no re-encode), slice types written 5-9 (`types`
/// 0-4, `types:mixed`), and the most common `nal_ref_idc` of intra and of P slices (`-` for
/// none seen). `None` for HEVC, a fragmented file, or too few pictures that read.
pub fn slice_habits(f: &File, plan: &Plan) -> Option<String> {
    plan.h264.as_ref()?;
    let mut take = 0;
    let mut bytes = 0u64;
    for s in plan.lead.iter().take(PICTURES) {
        bytes += u64::from(s.size);
        if s.size > PICTURE_MAX || bytes > BYTES_MAX {
            break;
        }
        take += 1;
    }
    let lead = &plan.lead[..take];
    // One read for them all where they lie together (a recorder interleaves its audio between
    // the pictures: a little more read, many fewer reads); else one read each.
    let start = lead.iter().map(|s| s.offset).min().unwrap_or(0);
    let end = lead
        .iter()
        .map(|s| s.offset.saturating_add(u64::from(s.size)))
        .max()
        .unwrap_or(0);
    let span = end.saturating_sub(start);
    let together = span <= BYTES_MAX && span <= 2 * bytes + SPAN_SLACK;
    let all = together
        .then(|| read_at(f, start, span, "first pictures").ok())
        .flatten();
    let mut pictures: Vec<Vec<SliceStart>> = Vec::new();
    for s in lead {
        let data = match &all {
            Some(all) => {
                let at = (s.offset - start) as usize;
                match all.get(at..at + s.size as usize) {
                    Some(d) => std::borrow::Cow::Borrowed(d),
                    None => break,
                }
            }
            None => match read_at(f, s.offset, u64::from(s.size), "sample") {
                Ok(d) => std::borrow::Cow::Owned(d),
                Err(_) => break,
            },
        };
        let data = keyplan::unpacked(plan, data);
        let slices: Vec<SliceStart> = keyplan::nals(plan, &data)
            .filter_map(h264::slice_start)
            .collect();
        if !slices.is_empty() {
            pictures.push(slices);
        }
    }
    describe(&pictures)
}

/// Bytes between the first pictures (audio, other tracks) read with them rather than skipped.
const SPAN_SLACK: u64 = 256 << 10;

/// The text of [`slice_habits`] for the slices of each picture read.
fn describe(pictures: &[Vec<SliceStart>]) -> Option<String> {
    if pictures.len() < PICTURES_MIN {
        return None;
    }
    let slices = if pictures.iter().all(|p| p.len() == 1) {
        "slices1"
    } else {
        "slices:many"
    };
    let all = pictures.iter().flatten();
    let (high, low) = all.clone().fold((0, 0), |(h, l), s| {
        if s.slice_type >= 5 {
            (h + 1, l)
        } else {
            (h, l + 1)
        }
    });
    let types = match (high, low) {
        (_, 0) => "types+5",
        (0, _) => "types",
        _ => "types:mixed",
    };
    // The most common reference priority of one slice type (2 intra, 0 P), the lowest on a tie.
    let priority = |kind: u32| {
        let mut n: BTreeMap<u8, usize> = BTreeMap::new();
        for s in all.clone().filter(|s| s.slice_type % 5 == kind) {
            *n.entry(s.nal_ref_idc).or_default() += 1;
        }
        n.iter()
            .max_by_key(|(nri, c)| (**c, std::cmp::Reverse(**nri)))
            .map_or("-".to_string(), |(nri, _)| nri.to_string())
    };
    Some(format!(
        "{slices} {types} nri:I{}/P{}",
        priority(2),
        priority(0)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(slice_type: u32, nal_ref_idc: u8, first_mb: u32) -> SliceStart {
        SliceStart {
            idr: false,
            nal_ref_idc,
            first_mb,
            slice_type,
        }
    }

    #[test]
    fn describes_how_pictures_are_cut_and_marked() {
        // x264's way: one slice, types 5-9, intra at priority 3, P at 2, B at 0 or 2.
        let mut x264 = vec![vec![slice(7, 3, 0)]];
        for _ in 0..4 {
            x264.extend([
                vec![slice(5, 2, 0)],
                vec![slice(6, 2, 0)],
                vec![slice(6, 0, 0)],
            ]);
        }
        assert_eq!(
            describe(&x264).as_deref(),
            Some("slices1 types+5 nri:I3/P2")
        );
        // Four slices each, types 0-4, every reference picture at priority 1.
        let four: Vec<Vec<SliceStart>> = (0..10)
            .map(|k| {
                (0..4)
                    .map(|i| slice(if k == 0 { 2 } else { 0 }, 1, i * 100))
                    .collect()
            })
            .collect();
        assert_eq!(
            describe(&four).as_deref(),
            Some("slices:many types nri:I1/P1")
        );
        // Slices cut by size: as many in a still scene as a fixed count would give, fewer or
        // more elsewhere; one description for both.
        let mut varied = four.clone();
        varied[5].pop();
        assert_eq!(describe(&varied), describe(&four));
        assert_eq!(describe(&four[..PICTURES_MIN - 1]), None);
    }
}
