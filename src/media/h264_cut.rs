//! Cutting an H.264 picture to its top rows before it is decoded.
//!
//! A recorder's burned-in display sits in a band at the top of the picture, and an intra
//! picture's top rows decode from the rows above them alone (intra prediction looks up and left,
//! deblocking reaches three pixels across an edge). So a keyframe whose sequence parameter set
//! is rewritten to declare fewer macroblock rows decodes, slice by slice, to exactly the same
//! top rows as the whole picture, at the cost of those rows only: the decoder stops each slice
//! when the declared picture is full. Only frame-coded streams are cut (a field's rows
//! interleave); a slice that starts below the cut is left out of the access unit by the caller.

use super::h264::{self, Layout};

/// Largest SPS rewritten (a real one is a few dozen bytes).
const SPS_MAX: usize = 512;
/// Rows above a horizontal macroblock edge that the deblocking filter changes (p0-p2 of the
/// strong filter, H.264 §8.7.2.4): the last rows of a cut picture's last macroblock row are
/// left unfiltered where the whole picture's are filtered against the row below.
const DEBLOCK_REACH: u64 = 3;

/// A sequence parameter set rewritten to a picture of fewer macroblock rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The rewritten SPS NAL unit (header byte included, escaped).
    pub sps: Vec<u8>,
    /// Macroblocks in the cut picture: a slice starting at or after this is left out.
    pub macroblocks: u64,
    /// Rows of the cut picture after cropping; rows `0..rows` asked for are exact.
    pub height: u32,
}

/// The SPS `nal` rewritten so that a decoder produces at least the first `rows` rows of each
/// intra picture exactly as the whole picture's, and below them no more than the rest of their
/// last macroblock row (or the next, when the filter's reach needs it). `None` when the stream
/// is not frame-coded, the SPS does not read, or the cut would save nothing.
pub fn top_rows(nal: &[u8], rows: u32) -> Option<Cut> {
    if nal.len() > SPS_MAX || nal.first().map(|h| h & 0x1f) != Some(7) {
        return None;
    }
    let raw = h264::unescape(&nal[1..]);
    let (sps, layout) = h264::parse_rbsp(&raw).ok()?;
    if !sps.frame_mbs_only {
        return None;
    }
    let Layout {
        height_field: (from, to),
        mb_width,
        mb_height,
        crop_top,
        crop_bottom,
    } = layout;
    // Whole macroblock rows covering the rows asked for, the crop above them, and below them
    // the bottom crop or the rows the deblocking filter would have changed across the cut's
    // bottom edge, whichever is more: the rows asked for come out as in the whole picture.
    let keep = (u64::from(rows) + crop_top + crop_bottom.max(DEBLOCK_REACH)).div_ceil(16);
    if keep >= mb_height {
        return None;
    }
    let mut out = vec![nal[0]];
    out.extend(escape(&with_ue(&raw, (from, to), keep - 1)?));
    Some(Cut {
        sps: out,
        macroblocks: keep * mb_width,
        height: u32::try_from(keep * 16 - crop_top - crop_bottom).ok()?,
    })
}

/// `first_mb_in_slice` of a slice NAL unit (types 1 and 5), for leaving out the slices below
/// a cut.
pub fn first_macroblock(nal: &[u8]) -> Option<u64> {
    h264::slice_start(nal).map(|s| u64::from(s.first_mb))
}

/// An Annex B access unit decoded under `cut`: its SPS replaced by the cut one, and its slices
/// that start below the cut left out (a decoder would take them for a new picture).
pub fn access_unit(annex_b: &[u8], cut: &Cut) -> Vec<u8> {
    let mut out = Vec::with_capacity(annex_b.len());
    for nal in h264::annexb_nals(annex_b) {
        let nal: &[u8] = match nal.first().map(|h| h & 0x1f) {
            Some(7) => &cut.sps,
            Some(1 | 5) if first_macroblock(nal).is_none_or(|m| m >= cut.macroblocks) => continue,
            _ => nal,
        };
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    out
}

/// The RBSP `raw` with the Exp-Golomb field coded at bits `from..to` holding `value` instead,
/// every other bit as it was up to the stop bit (the last set bit), which ends the result.
/// `None` when the RBSP has no stop bit after the field.
pub(super) fn with_ue(raw: &[u8], (from, to): (usize, usize), value: u64) -> Option<Vec<u8>> {
    let last = raw.iter().rposition(|&b| b != 0)?;
    let stop = last * 8 + 7 - raw[last].trailing_zeros() as usize;
    if stop < to {
        return None;
    }
    let mut w = BitWriter::default();
    for i in 0..from {
        w.bit(bit_at(raw, i));
    }
    w.ue(value);
    for i in to..=stop {
        w.bit(bit_at(raw, i));
    }
    Some(w.finish())
}

fn bit_at(data: &[u8], i: usize) -> bool {
    data[i / 8] >> (7 - i % 8) & 1 == 1
}

/// Bits written most significant first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, one: bool) {
        if self.used.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if one && let Some(b) = self.bytes.last_mut() {
            *b |= 0x80 >> (self.used % 8);
        }
        self.used += 1;
    }

    /// Unsigned Exp-Golomb.
    fn ue(&mut self, v: u64) {
        let code = v + 1;
        let len = 64 - code.leading_zeros();
        for _ in 1..len {
            self.bit(false);
        }
        for k in (0..len).rev() {
            self.bit(code >> k & 1 == 1);
        }
    }

    /// The bytes written, the last one padded with zero bits.
    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Inserts emulation-prevention bytes (00 00 0x -> 00 00 03 0x for x <= 3), the inverse of
/// [`h264::unescape`].
pub(super) fn escape(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + 4);
    let mut zeros = 0;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x264's SPS for 1920x1080 High profile, 4:2:0 (1088 coded rows, 8 cropped at the bottom),
    /// from `ffmpeg -f lavfi -i testsrc=size=1920x1080 -pix_fmt yuv420p -c:v libx264 -f h264`.
    const SPS_1080: [u8; 27] = [
        0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00,
        0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc6, 0x58,
    ];

    #[test]
    fn cuts_the_height_and_keeps_every_other_field() {
        let full = h264::parse_sps(&SPS_1080).expect("the SPS reads");
        assert_eq!((full.width, full.height), (1920, 1080));
        let cut = top_rows(&SPS_1080, 216).expect("a cut");
        let s = h264::parse_sps(&cut.sps).expect("the cut SPS reads");
        // 216 rows + 8 cropped (more than the deblocking filter's reach): 14 macroblock rows.
        assert_eq!((cut.macroblocks, cut.height), (14 * 120, 14 * 16 - 8));
        assert_eq!(s.height, cut.height);
        assert_eq!(
            s,
            h264::Sps {
                height: cut.height,
                ..full
            }
        );
        // A known 30-row clock line at rows 30-60 (the keyframe bench's display) is read
        // around its rows alone (`osd::rows_at`: down to row 84): 6 macroblock rows, 96 coded
        // rows, against the band's 14 (224).
        let end = crate::osd::rows_at(1080, (30, 60)).1;
        assert_eq!(end, 84);
        let line = top_rows(&SPS_1080, end as u32).expect("a cut");
        assert_eq!((line.macroblocks, line.height), (6 * 120, 6 * 16 - 8));
        // Nothing after the height field was lost: the VUI's last fields and the stop bit.
        let raw = h264::unescape(&cut.sps[1..]);
        assert_eq!(raw.last().map(|b| b.trailing_zeros() < 8), Some(true));
    }

    #[test]
    fn refuses_cuts_that_save_nothing_and_what_is_not_an_sps() {
        assert_eq!(top_rows(&SPS_1080, 1080), None);
        // 1065 rows and the 8 cropped need all 68 macroblock rows; 1064 leave one out.
        assert_eq!(top_rows(&SPS_1080, 1065), None);
        assert_eq!(top_rows(&SPS_1080, 1064).map(|c| c.height), Some(1064));
        assert_eq!(top_rows(&SPS_1080[..6], 100), None);
        assert_eq!(top_rows(&[0x68, 0xee, 0x3c, 0x80], 100), None);
        for seed in 0..200u32 {
            let noise = crate::media::pseudo_random(40, seed);
            let mut nal = vec![0x67];
            nal.extend(noise);
            let _ = top_rows(&nal, 100);
        }
    }

    #[test]
    fn escapes_what_unescape_removes() {
        let rbsp = [0, 0, 1, 0, 0, 0, 0, 3, 7, 0, 0];
        let e = escape(&rbsp);
        assert_eq!(e, [0, 0, 3, 1, 0, 0, 3, 0, 0, 3, 3, 7, 0, 0]);
        assert_eq!(h264::unescape(&e), rbsp);
    }

    #[test]
    fn reads_where_a_slice_starts() {
        // first_mb_in_slice = 0 (bit 1), then 5 (00110).
        assert_eq!(first_macroblock(&[0x65, 0x88]), Some(0));
        assert_eq!(first_macroblock(&[0x41, 0b0011_0100]), Some(5));
        assert_eq!(first_macroblock(&[0x67, 0x88]), None);
    }
}
