//! Cutting an HEVC intra picture to its top rows before it is decoded, as [`super::h264_cut`]
//! does for H.264: the sequence parameter set is rewritten to declare fewer coding tree block
//! (CTB) rows, and a decoder then decodes each picture's first slice segment only until the
//! declared picture is full. An intra picture's top CTB rows decode from the rows above them
//! alone (intra prediction takes its samples from above and to the left, from blocks already
//! decoded; wavefront parallel processing starts each row's entropy coder from the row above),
//! and the in-loop filters reach four rows above an edge at most, so every row but the last
//! four of the cut comes out exactly as in the whole picture.
//!
//! What is not cut: tiles (their rows are laid out over the whole picture's height), and a
//! picture with a slice segment that starts inside the cut after its first (a later segment's
//! address is coded in as many bits as the whole picture needs). Segments that start below the
//! cut are left out, and so are SEI messages (a decoded-picture hash would not match).

use super::cursor::BitReader;
use super::h264::{annexb_nals, unescape};
use super::h264_cut::{escape, with_ue};
use super::hevc;

/// Largest SPS rewritten (a real one is a few dozen bytes).
const SPS_MAX: usize = 512;
/// Rows above a horizontal edge that the in-loop filters change: the deblocking filter's three
/// (p0-p2, H.265 §8.7.2.5.7), and one more that sample adaptive offset compares with the
/// row below it (§8.7.3).
const FILTER_REACH: u64 = 4;
/// NAL unit types of the prefix and suffix SEI.
const SEI: [u8; 2] = [39, 40];

/// A sequence parameter set rewritten to a picture of fewer CTB rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The rewritten SPS NAL unit (two-byte header included, escaped).
    pub sps: Vec<u8>,
    /// CTBs in the cut picture: a segment starting at or after this is left out.
    pub ctbs: u64,
    /// Rows of the cut picture after cropping; rows `0..rows` asked for are exact.
    pub height: u32,
    /// Bits of `slice_segment_address` in the whole picture.
    address_bits: u32,
    /// The picture parameter sets' `dependent_slice_segments_enabled_flag`.
    dependent: bool,
}

fn kind(nal: &[u8]) -> Option<u8> {
    nal.first().map(|h| (h >> 1) & 0x3f)
}

/// An SPS NAL unit's RBSP, whole (a rewrite copies it to its stop bit), and its first fields.
fn read_sps(sps: &[u8]) -> Option<(Vec<u8>, hevc::SpsHead)> {
    if sps.len() > SPS_MAX {
        return None;
    }
    let raw = hevc::rbsp(sps, hevc::SPS)?;
    let head = hevc::sps_head(&mut BitReader::new(&raw)).ok()?;
    Some((raw, head))
}

/// The height of the pictures a sequence parameter set NAL unit declares, after cropping.
pub fn picture_height(sps: &[u8]) -> Option<u32> {
    let (_, head) = read_sps(sps)?;
    head.height
        .checked_sub(head.crop_top.checked_add(head.crop_bottom)?)
}

/// The SPS `sps` rewritten so that a decoder produces at least the first `rows` rows of each
/// intra picture exactly as the whole picture's, and below them no more than the rest of their
/// last CTB row (or the next, when the filters' reach needs it). `pps` are the stream's
/// picture parameter sets. `None` when a set does not read, the pictures are cut in tiles, or
/// the cut would save nothing.
pub fn top_rows(sps: &[u8], pps: &[&[u8]], rows: u32) -> Option<Cut> {
    let heads = pps
        .iter()
        .map(|p| hevc::pps_head(p))
        .collect::<Option<Vec<_>>>()?;
    let dependent = heads.first()?.dss;
    if heads.iter().any(|h| h.tiles || h.dss != dependent) {
        return None;
    }
    let (raw, head) = read_sps(sps)?;
    if !(4..=6).contains(&head.ctb) || head.width == 0 {
        return None;
    }
    let ctb = 1u64 << head.ctb;
    let crop = u64::from(head.crop_top) + u64::from(head.crop_bottom);
    let ctb_rows = u64::from(head.height).div_ceil(ctb);
    let cols = u64::from(head.width).div_ceil(ctb);
    // Whole CTB rows covering the rows asked for, the crop above them, and below them the
    // bottom crop or the rows the in-loop filters would have changed across the cut's bottom
    // edge, whichever is more.
    let reach = u64::from(head.crop_bottom).max(FILTER_REACH);
    let keep = (u64::from(rows) + u64::from(head.crop_top) + reach).div_ceil(ctb);
    if keep >= ctb_rows {
        return None;
    }
    let address_bits = hevc::ceil_log2(u32::try_from(cols * ctb_rows).ok()?);
    let mut out = sps[..2].to_vec();
    out.extend(escape(&with_ue(&raw, head.height_field, keep * ctb)?));
    Some(Cut {
        sps: out,
        ctbs: keep * cols,
        height: u32::try_from((keep * ctb).checked_sub(crop)?).ok()?,
        address_bits,
        dependent,
    })
}

/// An Annex B access unit decoded under `cut`: its SPS replaced by the cut one, its SEI and its
/// slice segments that start below the cut left out. `None` when a segment after the first
/// starts inside the cut (its address would read wrong under the cut SPS) or does not read.
pub fn access_unit(annex_b: &[u8], cut: &Cut) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(annex_b.len());
    for nal in annexb_nals(annex_b) {
        let nal: &[u8] = match kind(nal) {
            Some(hevc::SPS) => &cut.sps,
            Some(k) if SEI.contains(&k) => continue,
            Some(0..=31) => match segment_address(nal, cut)? {
                0 => nal,
                a if a >= cut.ctbs => continue,
                _ => return None,
            },
            _ => nal,
        };
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    Some(out)
}

/// Where a slice segment NAL unit starts, in CTBs of the whole picture (0 for a picture's
/// first segment).
fn segment_address(nal: &[u8], cut: &Cut) -> Option<u64> {
    let kind = kind(nal)?;
    // The address comes within the header's first few bytes.
    let raw = unescape(nal.get(2..nal.len().min(32))?);
    let mut b = BitReader::new(&raw);
    if b.bit().ok()? == 1 {
        return Some(0);
    }
    if (16..=23).contains(&kind) {
        b.bit().ok()?; // no_output_of_prior_pics_flag
    }
    b.ue().ok()?; // slice_pic_parameter_set_id
    if cut.dependent {
        b.bit().ok()?; // dependent_slice_segment_flag
    }
    b.bits(cut.address_bits).ok().map(u64::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::hevc::tests::{X265_PPS, X265_SPS};

    /// A NAL unit of `header` then `fields`, each `(value, bits)`, stop bit after.
    fn nal(header: [u8; 2], fields: &[(u32, u32)]) -> Vec<u8> {
        let mut bits: Vec<bool> = fields
            .iter()
            .flat_map(|&(v, n)| (0..n).rev().map(move |k| v >> k & 1 == 1))
            .collect();
        bits.push(true);
        let mut out = header.to_vec();
        out.extend(bits.chunks(8).map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |b, (i, &one)| b | (u8::from(one) << (7 - i)))
        }));
        out
    }

    /// A later slice segment of an IDR picture (type 19) of the 720p stream, starting at CTB
    /// `address` (eight bits: 240 CTBs of 64).
    fn later_segment(address: u32) -> Vec<u8> {
        nal([0x26, 0x01], &[(0, 1), (0, 1), (1, 1), (address, 8)])
    }

    #[test]
    fn cuts_the_height_to_whole_coding_tree_rows_and_keeps_every_other_field() {
        let whole = hevc::sps_head(&mut BitReader::new(&unescape(&X265_SPS[2..]))).expect("reads");
        assert_eq!((whole.width, whole.height, whole.ctb), (1280, 720, 6));
        assert_eq!(picture_height(&X265_SPS), Some(720));
        // 100 rows and the filters' reach of 4: two CTB rows of 64.
        let cut = top_rows(&X265_SPS, &[&X265_PPS], 100).expect("a cut");
        assert_eq!((cut.height, cut.ctbs, cut.address_bits), (128, 40, 8));
        let head = hevc::sps_head(&mut BitReader::new(&unescape(&cut.sps[2..]))).expect("reads");
        assert_eq!(
            head,
            hevc::SpsHead {
                height: 128,
                height_field: (whole.height_field.0, head.height_field.1),
                ..whole
            }
        );
        assert_eq!(cut.sps[..2], X265_SPS[..2]);
        // Every field after the height as it was: the habits the whole set declares.
        assert_eq!(
            hevc::habits(&cut.sps, &X265_PPS),
            hevc::habits(&X265_SPS, &X265_PPS)
        );
        assert!(hevc::habits(&cut.sps, &X265_PPS).is_some());
        // 124 rows and the reach fit in two CTB rows, 125 do not.
        assert_eq!(
            top_rows(&X265_SPS, &[&X265_PPS], 124).map(|c| c.height),
            Some(128)
        );
        assert_eq!(
            top_rows(&X265_SPS, &[&X265_PPS], 125).map(|c| c.height),
            Some(192)
        );
    }

    #[test]
    fn refuses_tiles_cuts_that_save_nothing_and_what_is_not_a_parameter_set() {
        // 701 rows need all twelve CTB rows (the last one partly coded); 700 leave one out.
        assert_eq!(top_rows(&X265_SPS, &[&X265_PPS], 701), None);
        assert_eq!(
            top_rows(&X265_SPS, &[&X265_PPS], 700).map(|c| c.height),
            Some(704)
        );
        // The same PPS with tiles_enabled_flag set (the RBSP's 25th bit).
        let mut tiles = X265_PPS;
        tiles[5] |= 0x80;
        assert!(hevc::pps_head(&tiles).expect("reads").tiles);
        assert_eq!(top_rows(&X265_SPS, &[&tiles], 100), None);
        assert_eq!(top_rows(&X265_SPS, &[&X265_PPS, &tiles], 100), None);
        // No PPS, a PPS where the SPS should be, an SPS cut short.
        assert_eq!(top_rows(&X265_SPS, &[], 100), None);
        assert_eq!(top_rows(&X265_PPS, &[&X265_PPS], 100), None);
        assert_eq!(top_rows(&X265_SPS[..12], &[&X265_PPS], 100), None);
        for seed in 0..300u32 {
            let mut noise = crate::media::pseudo_random(48, seed);
            noise[0] = 0x42;
            let _ = top_rows(&noise, &[&X265_PPS], 100);
            let _ = picture_height(&noise);
            noise[0] = 0x44;
            let _ = top_rows(&X265_SPS, &[&noise], 100);
        }
    }

    #[test]
    fn an_access_unit_keeps_its_first_segment_and_drops_what_lies_below_the_cut() {
        let cut = top_rows(&X265_SPS, &[&X265_PPS], 100).expect("a cut");
        let first = nal([0x26, 0x01], &[(1, 1), (0, 1), (1, 1), (0b111, 3)]);
        let sei = nal([0x4e, 0x01], &[(5, 8)]);
        let suffix_sei = nal([0x50, 0x01], &[(132, 8)]);
        let unit = |nals: &[&[u8]]| -> Vec<u8> {
            nals.iter()
                .flat_map(|n| [&[0u8, 0, 0, 1][..], n].concat())
                .collect()
        };
        let below = later_segment(100);
        let au = unit(&[&X265_SPS, &X265_PPS, &sei, &first, &below, &suffix_sei]);
        assert_eq!(
            access_unit(&au, &cut),
            Some(unit(&[&cut.sps, &X265_PPS, &first]))
        );
        assert_eq!(segment_address(&below, &cut), Some(100));
        assert_eq!(segment_address(&first, &cut), Some(0));
        // A later segment starting at the cut's first CTB row below it is left out; one
        // inside the cut cannot be: the unit is not cut.
        let at = unit(&[&X265_SPS, &first, &later_segment(40)]);
        assert_eq!(access_unit(&at, &cut), Some(unit(&[&cut.sps, &first])));
        let inside = unit(&[&X265_SPS, &first, &later_segment(39)]);
        assert_eq!(access_unit(&inside, &cut), None);
        for seed in 0..200u32 {
            let _ = access_unit(&crate::media::pseudo_random(64, seed), &cut);
        }
    }
}
