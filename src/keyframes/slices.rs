//! How an encoder cuts and marks its pictures, from the slice headers of a file's first
//! pictures (no decoding): slices per picture, how it writes slice types, and how it marks
//! its intra and P pictures for reference. These are the encoder's way of writing, the same
//! for every scene: a recorder's hardware encoder keeps them, and another encoder set to the
//! same parameter sets rarely matches them all.
//!
//! Not taken, because the scene moves them: the slice QPs (rate control lowers and raises
//! them with the picture's content; the first and last keyframe's QP is in `keyframes`), the
//! reference marking of B pictures and the order of slice types (an encoder that places
//! B-frames adaptively uses fewer in fast motion); nor, in HEVC, the kind of a file's first
//! keyframe (an encoder that starts its stream with an IDR picture and goes on with CRA
//! pictures gives the first segment of a recording one kind and the later segments another).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;

use super::{PICTURE_MAX, read_at};
use crate::media::h264::{self, SliceStart};
use crate::media::hevc::{self, Segment};
use crate::media::keyplan::{self, Codec, Plan};

/// Pictures read from the start of the track, and bytes at most.
const PICTURES: usize = 48;
const BYTES_MAX: u64 = 8 << 20;
/// Fewer pictures than this say nothing.
const PICTURES_MIN: usize = 8;

/// The slice habits of a file's first pictures, as one comparable text.
///
/// H.264, e.g. `slices1 types+5 nri:I3/P2`: one slice to every picture (`slices:many` when any
/// picture has more: the count is not kept, since an encoder that cuts slices by size gives a
/// still scene as few slices as a fixed count would, and a one-off in it would be no
/// re-encode), slice types written 5-9 (`types` 0-4, `types:mixed`), and the most common
/// `nal_ref_idc` of intra and of P slices (`-` for none seen).
///
/// HEVC, e.g. `hevc segs1 inter:P P:1/0 rps:own`: one slice segment to every picture
/// (`segs:many`), whether inter pictures are coded with P slices at all (`inter:B` when every
/// one is coded with B slices, as some encoders code their P pictures; `inter:-` for none),
/// the NAL unit types and temporal layers the P pictures are marked with (`1/0`: TRAIL_R in
/// layer 0; several, comma-separated, for an encoder that alternates), and whether the
/// pictures that are not random-access points take their short-term reference sets from the
/// sequence parameter set (`rps:sps`) or write their own (`rps:own`; `rps:mixed` on a tie,
/// `rps:-` for none seen).
///
/// `None` for a fragmented file, a stream without its parameter sets, or too few pictures
/// that read.
pub fn slice_habits(f: &File, plan: &Plan) -> Option<String> {
    match plan.codec {
        Codec::H264 => {
            plan.h264.as_ref()?;
            let pictures = first_pictures(f, plan, h264::slice_start);
            describe(&pictures)
        }
        Codec::Hevc => {
            let syntax = hevc::slice_syntax(plan.hevc_set(33)?, plan.hevc_set(34)?)?;
            let pictures = first_pictures(f, plan, |nal| hevc::segment(nal, &syntax));
            describe_hevc(&pictures)
        }
    }
}

/// What `slice` makes of the slices of each of the track's first pictures that has any, read
/// as they lie (up to [`PICTURES`] pictures and [`BYTES_MAX`] bytes).
fn first_pictures<T>(f: &File, plan: &Plan, slice: impl Fn(&[u8]) -> Option<T>) -> Vec<Vec<T>> {
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
    let mut pictures = Vec::new();
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
        let data = super::unpacked(plan, data);
        let slices: Vec<T> = keyplan::nals(plan, &data).filter_map(&slice).collect();
        if !slices.is_empty() {
            pictures.push(slices);
        }
    }
    pictures
}

/// Bytes between the first pictures (audio, other tracks) read with them rather than skipped.
const SPAN_SLACK: u64 = 256 << 10;

/// Whether every picture read came in one slice (segment); `None` for fewer than
/// [`PICTURES_MIN`] pictures, which say nothing.
fn one_each<T>(pictures: &[Vec<T>]) -> Option<bool> {
    (pictures.len() >= PICTURES_MIN).then(|| pictures.iter().all(|p| p.len() == 1))
}

/// The text of [`slice_habits`] for the slices of each picture read.
fn describe(pictures: &[Vec<SliceStart>]) -> Option<String> {
    let slices = if one_each(pictures)? {
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

/// The text of [`slice_habits`] for the slice segments of each HEVC picture read.
fn describe_hevc(pictures: &[Vec<Segment>]) -> Option<String> {
    let segs = if one_each(pictures)? {
        "segs1"
    } else {
        "segs:many"
    };
    // Each picture by its first segment, where that one read.
    let firsts: Vec<&Segment> = pictures
        .iter()
        .filter_map(|p| p.first())
        .filter(|s| s.first && s.slice_type.is_some())
        .collect();
    let of_type = |t: u32| firsts.iter().filter(move |s| s.slice_type == Some(t));
    let inter = if of_type(1).next().is_some() {
        "P"
    } else if of_type(0).next().is_some() {
        "B"
    } else {
        "-"
    };
    let marks: BTreeSet<(u8, u8)> = of_type(1).map(|s| (s.nal_type, s.temporal_id)).collect();
    let marks = if marks.is_empty() {
        "-".to_string()
    } else {
        marks
            .iter()
            .map(|(t, id)| format!("{t}/{id}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    // Of pictures that are not random-access points: a CRA picture (not an IDR, so it has a
    // reference set too) begins the later segments of a recording whose first begins at an IDR.
    let from_sps: Vec<bool> = firsts
        .iter()
        .filter(|s| s.nal_type < 16)
        .filter_map(|s| s.rps_from_sps)
        .collect();
    let sps = from_sps.iter().filter(|&&b| b).count();
    let own = from_sps.len() - sps;
    let rps = match (sps, own) {
        (0, 0) => "-",
        (a, b) if a > b => "sps",
        (a, b) if a < b => "own",
        _ => "mixed",
    };
    Some(format!("hevc {segs} inter:{inter} P:{marks} rps:{rps}"))
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

    fn seg(nal_type: u8, temporal_id: u8, slice_type: u32, rps_from_sps: Option<bool>) -> Segment {
        Segment {
            nal_type,
            temporal_id,
            first: true,
            slice_type: Some(slice_type),
            rps_from_sps,
            qp: None,
            poc_lsb: None,
        }
    }

    #[test]
    fn describes_how_hevc_pictures_are_cut_and_marked() {
        // x265's way: an IDR, then P pictures (TRAIL_R) and B pictures (TRAIL_N), every picture
        // with its own reference set.
        let mut x265 = vec![vec![seg(20, 0, 2, None)]];
        for _ in 0..4 {
            x265.extend([
                vec![seg(1, 0, 1, Some(false))],
                vec![seg(0, 0, 0, Some(false))],
                vec![seg(0, 0, 0, Some(false))],
            ]);
        }
        let text = describe_hevc(&x265);
        assert_eq!(text.as_deref(), Some("hevc segs1 inter:P P:1/0 rps:own"));
        // The first keyframe's kind is not taken: a later segment of the same recording that
        // starts at a CRA picture reads the same.
        let mut later = x265.clone();
        later[0] = vec![seg(21, 0, 2, Some(false))];
        assert_eq!(describe_hevc(&later), text);
        // Nor the reference sets of random-access pictures: an encoder that writes its own in
        // its CRA pictures and takes the SPS's in the others is `rps:sps`.
        // (Four P pictures of seven take the SPS's; counted with the two CRA pictures, `own`.)
        let sets: Vec<Vec<Segment>> = (0..9)
            .map(|k| match k {
                0 | 5 => vec![seg(21, 0, 2, Some(false))],
                _ => vec![seg(1, 0, 1, Some(k <= 4))],
            })
            .collect();
        assert_eq!(
            describe_hevc(&sets).as_deref(),
            Some("hevc segs1 inter:P P:1/0 rps:sps")
        );
        // Fewer B pictures (fast motion) read the same too.
        let mut fast = x265.clone();
        for p in fast.iter_mut().skip(2).step_by(3) {
            *p = vec![seg(1, 0, 1, Some(false))];
        }
        assert_eq!(describe_hevc(&fast), text);
        // An encoder of two temporal layers that codes every inter picture with B slices from
        // the sequence's reference sets, in four segments a picture.
        let layered: Vec<Vec<Segment>> = (0..12)
            .map(|k| {
                let first = if k == 0 {
                    seg(19, 0, 2, None)
                } else {
                    seg(1, (k % 2) as u8, 0, Some(true))
                };
                let mut rest = vec![first; 4];
                for s in &mut rest[1..] {
                    s.first = false;
                    s.slice_type = None;
                    s.rps_from_sps = None;
                }
                rest
            })
            .collect();
        assert_eq!(
            describe_hevc(&layered).as_deref(),
            Some("hevc segs:many inter:B P:- rps:sps")
        );
        // P pictures in two layers, a reference set of each kind as often: both said.
        let alternating: Vec<Vec<Segment>> = (0..10)
            .map(|k| vec![seg(1, (k % 2) as u8, 1, Some(k % 2 == 0))])
            .collect();
        assert_eq!(
            describe_hevc(&alternating).as_deref(),
            Some("hevc segs1 inter:P P:1/0,1/1 rps:mixed")
        );
        assert_eq!(describe_hevc(&x265[..PICTURES_MIN - 1]), None);
    }
}
