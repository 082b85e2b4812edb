//! HEVC parameter sets (ITU-T H.265 §7.3.2.2, §7.3.2.3): the picture size, read before any
//! decode so that the keyframe stage can refuse a picture larger than it decodes, and the
//! encoder's settings that show its hand (coding tree and transform sizes, tools switched on),
//! which a recorder's hardware encoder keeps for every recording.

use super::cursor::{BitReader, R};
use super::h264::unescape;

/// NAL unit types of the sequence and picture parameter sets.
const SPS: u8 = 33;
const PPS: u8 = 34;

/// The payload of a parameter set NAL unit of type `kind` (two-byte header), unescaped and
/// bounded; `None` for another unit.
fn rbsp(nal: &[u8], kind: u8) -> Option<Vec<u8>> {
    (nal.len() >= 3 && (nal[0] >> 1) & 0x3f == kind).then(|| unescape(&nal[2..nal.len().min(512)]))
}

/// The luma size a sequence parameter set NAL unit declares (`pic_width_in_luma_samples`,
/// `pic_height_in_luma_samples`); `None` for any other NAL unit or a set cut short.
/// Read on its own, not by [`sps_head`]: a set cut short, or garbled, just after the size still
/// gives the size, so that a hostile one is refused by it.
pub fn sps_size(nal: &[u8]) -> Option<(u32, u32)> {
    let raw = rbsp(nal, SPS)?;
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<(u32, u32)> {
        b.bits(4)?; // sps_video_parameter_set_id
        let max_sub_layers_minus1 = b.bits(3)?;
        b.bit()?; // sps_temporal_id_nesting_flag
        profile_tier_level(&mut b, max_sub_layers_minus1)?;
        b.ue()?; // sps_seq_parameter_set_id
        if b.ue()? == 3 {
            b.bit()?; // separate_colour_plane_flag
        }
        Ok((b.ue()?, b.ue()?))
    })();
    r.ok()
}

/// The encoder settings a sequence and a picture parameter set declare, as one comparable
/// text (see [`habits`]).
pub fn habits(sps: &[u8], pps: &[u8]) -> Option<String> {
    Some(format!("{} {}", sps_habits(sps)?, pps_habits(pps)?))
}

/// `ctb64 cb8 tb4-32 tu1/1 amp0 sao1 pcm0 scal0 poc8 reorder4 dpb5`: coding tree block size,
/// smallest coding block, transform block sizes, transform depths (inter/intra), asymmetric
/// partitions, sample adaptive offset, PCM, scaling lists, picture order count bits, reordering
/// and picture buffer of the highest sub-layer.
fn sps_habits(nal: &[u8]) -> Option<String> {
    let raw = rbsp(nal, SPS)?;
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<String> {
        let head = sps_head(&mut b)?;
        let (sub_layers, poc_bits) = (head.sub_layers, head.poc_bits);
        let all_layers = b.bit()? == 1;
        let (mut dpb, mut reorder) = (0, 0);
        for _ in (if all_layers { 0 } else { sub_layers })..=sub_layers {
            dpb = b.ue()?.saturating_add(1);
            reorder = b.ue()?;
            b.ue()?;
        }
        let min_cb = b.ue()?.saturating_add(3);
        let ctb = min_cb.saturating_add(b.ue()?);
        let min_tb = b.ue()?.saturating_add(2);
        let max_tb = min_tb.saturating_add(b.ue()?);
        let (tu_inter, tu_intra) = (b.ue()?, b.ue()?);
        let scaling = b.bit()?;
        if scaling == 1 && b.bit()? == 1 {
            skip_scaling_list_data(&mut b)?;
        }
        let (amp, sao, pcm) = (b.bit()?, b.bit()?, b.bit()?);
        if min_cb > 6 || ctb > 6 || min_tb > 5 || max_tb > 5 {
            return Err(super::cursor::Short);
        }
        Ok(format!(
            "ctb{} cb{} tb{}-{} tu{tu_inter}/{tu_intra} amp{amp} sao{sao} pcm{pcm} scal{scaling} poc{poc_bits} reorder{reorder} dpb{dpb}",
            1u32 << ctb,
            1u32 << min_cb,
            1u32 << min_tb,
            1u32 << max_tb,
        ))
    })();
    r.ok()
}

/// A sequence parameter set's fields up to `log2_max_pic_order_cnt_lsb_minus4`.
struct SpsHead {
    sub_layers: u32,
    separate_colour_plane: bool,
    poc_bits: u32,
}

fn sps_head(b: &mut BitReader) -> R<SpsHead> {
    b.bits(4)?; // sps_video_parameter_set_id
    let sub_layers = b.bits(3)?;
    b.bit()?; // sps_temporal_id_nesting_flag
    profile_tier_level(b, sub_layers)?;
    b.ue()?; // sps_seq_parameter_set_id
    let separate_colour_plane = b.ue()? == 3 && b.bit()? == 1;
    b.ue()?;
    b.ue()?; // picture size
    if b.bit()? == 1 {
        for _ in 0..4 {
            b.ue()?; // conformance window
        }
    }
    b.ue()?;
    b.ue()?; // bit depths
    let poc_bits = b.ue()?.saturating_add(4);
    if poc_bits > 16 {
        return Err(super::cursor::Short);
    }
    Ok(SpsHead {
        sub_layers,
        separate_colour_plane,
        poc_bits,
    })
}

/// What a slice segment header's first fields need of the parameter sets (§7.3.6.1).
#[derive(Debug, Clone, Copy)]
pub struct SliceSyntax {
    separate_colour_plane: bool,
    poc_bits: u32,
    output_flag_present: bool,
    extra_slice_header_bits: u32,
}

/// The [`SliceSyntax`] of a sequence and a picture parameter set NAL unit.
pub fn slice_syntax(sps: &[u8], pps: &[u8]) -> Option<SliceSyntax> {
    let raw = rbsp(sps, SPS)?;
    let head = sps_head(&mut BitReader::new(&raw)).ok()?;
    let raw = rbsp(pps, PPS)?;
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<(bool, u32)> {
        b.ue()?; // pps_pic_parameter_set_id
        b.ue()?; // pps_seq_parameter_set_id
        b.bit()?; // dependent_slice_segments_enabled_flag
        let output = b.bit()? == 1;
        Ok((output, b.bits(3)?))
    })();
    let (output_flag_present, extra_slice_header_bits) = r.ok()?;
    Some(SliceSyntax {
        separate_colour_plane: head.separate_colour_plane,
        poc_bits: head.poc_bits,
        output_flag_present,
        extra_slice_header_bits,
    })
}

/// How one slice segment NAL unit is marked and begins (§7.3.1.2, §7.3.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub nal_type: u8,
    pub temporal_id: u8,
    /// `first_slice_segment_in_pic_flag`: the segment begins its picture.
    pub first: bool,
    /// A picture's first segment's `slice_type` (0 B, 1 P, 2 I).
    pub slice_type: Option<u32>,
    /// A non-IDR picture's first segment: whether its short-term reference picture set is one
    /// the sequence parameter set lists (`short_term_ref_pic_set_sps_flag`) rather than its own.
    pub rps_from_sps: Option<bool>,
}

/// The [`Segment`] of a coded slice segment NAL unit of the base layer; `None` for any other
/// unit. A picture's later segments give their marking only (their header goes on with an
/// address whose size needs the picture's size in coding tree blocks).
pub fn segment(nal: &[u8], syntax: &SliceSyntax) -> Option<Segment> {
    let (h0, h1) = (*nal.first()?, *nal.get(1)?);
    let nal_type = (h0 >> 1) & 0x3f;
    let layer = ((h0 & 1) << 5) | (h1 >> 3);
    let temporal_id = (h1 & 7).checked_sub(1)?;
    if layer != 0 || !matches!(nal_type, 0..=9 | 16..=21) {
        return None;
    }
    let raw = unescape(&nal[2..nal.len().min(32)]);
    let mut b = BitReader::new(&raw);
    let first = b.bit().ok()? == 1;
    let mut out = Segment {
        nal_type,
        temporal_id,
        first,
        slice_type: None,
        rps_from_sps: None,
    };
    if !first {
        return Some(out);
    }
    let r = (|| -> R<(u32, Option<bool>)> {
        if (16..=23).contains(&nal_type) {
            b.bit()?; // no_output_of_prior_pics_flag
        }
        b.ue()?; // slice_pic_parameter_set_id
        if syntax.extra_slice_header_bits > 0 {
            b.bits(syntax.extra_slice_header_bits)?; // slice_reserved_flag[i]
        }
        let slice_type = b.ue()?;
        if slice_type > 2 {
            return Err(super::cursor::Short);
        }
        if syntax.output_flag_present {
            b.bit()?; // pic_output_flag
        }
        if syntax.separate_colour_plane {
            b.bits(2)?; // colour_plane_id
        }
        if matches!(nal_type, 19 | 20) {
            return Ok((slice_type, None));
        }
        b.bits(syntax.poc_bits)?; // slice_pic_order_cnt_lsb
        Ok((slice_type, Some(b.bit()? == 1)))
    })();
    // A first segment whose header does not read says only how it is marked.
    if let Ok((slice_type, rps)) = r {
        out.slice_type = Some(slice_type);
        out.rps_from_sps = rps;
    }
    Some(out)
}

/// `shide1 cinit0 qp26 cip0 tskip0 cuqp1/1 wp1/0 tqb0 tiles0 wpp1 dss0`: sign data hiding,
/// CABAC init flag, initial QP, constrained intra prediction, transform skip, CU QP deltas
/// (and their depth), weighted prediction (P/B), transquant bypass, tiles, wavefronts,
/// dependent slice segments.
fn pps_habits(nal: &[u8]) -> Option<String> {
    let raw = rbsp(nal, PPS)?;
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<String> {
        b.ue()?;
        b.ue()?;
        let dss = b.bit()?;
        b.bit()?;
        b.bits(3)?;
        let (shide, cinit) = (b.bit()?, b.bit()?);
        b.ue()?;
        b.ue()?;
        let qp = 26i64 + i64::from(b.se()?);
        let (cip, tskip) = (b.bit()?, b.bit()?);
        let cuqp = b.bit()?;
        let depth = if cuqp == 1 { b.ue()? } else { 0 };
        b.se()?;
        b.se()?;
        b.bit()?;
        let (wp, wbp, tqb, tiles, wpp) = (b.bit()?, b.bit()?, b.bit()?, b.bit()?, b.bit()?);
        Ok(format!(
            "shide{shide} cinit{cinit} qp{qp} cip{cip} tskip{tskip} cuqp{cuqp}/{depth} wp{wp}/{wbp} tqb{tqb} tiles{tiles} wpp{wpp} dss{dss}"
        ))
    })();
    r.ok()
}

/// Skips `scaling_list_data()` (§7.3.4).
fn skip_scaling_list_data(b: &mut BitReader) -> R<()> {
    for size in 0..4u32 {
        let step = if size == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if b.bit()? == 0 {
                b.ue()?;
            } else {
                let coefs = 64.min(1u32 << (4 + (size << 1)));
                if size > 1 {
                    b.se()?;
                }
                for _ in 0..coefs {
                    b.se()?;
                }
            }
        }
    }
    Ok(())
}

/// Skips `profile_tier_level(1, max_sub_layers_minus1)` (§7.3.3).
fn profile_tier_level(b: &mut BitReader, max_sub_layers_minus1: u32) -> R<()> {
    // General profile space, tier, idc, compatibility flags, constraint flags: 88 bits; level 8.
    b.bits(32)?;
    b.bits(32)?;
    b.bits(24)?;
    b.bits(8)?;
    let mut present = Vec::new();
    for _ in 0..max_sub_layers_minus1 {
        present.push((b.bit()? == 1, b.bit()? == 1));
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            b.bits(2)?;
        }
    }
    for (profile, level) in present {
        if profile {
            b.bits(32)?;
            b.bits(32)?;
            b.bits(24)?;
        }
        if level {
            b.bits(8)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x265's SPS for 1280x720 Main and its PPS (from tests/fixtures/osd/hevc.mp4's hvcC).
    const X265_SPS: [u8; 43] = [
        0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x03, 0x00, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0,
        0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x14, 0x10,
    ];
    const X265_PPS: [u8; 7] = [0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40];

    #[test]
    fn a_real_sequence_parameter_set_gives_its_size_and_garbage_none() {
        let sps = X265_SPS;
        assert_eq!(sps_size(&sps), Some((1280, 720)));
        // Its PPS; x265's options (in its SEI) say ctu=64 min-cu-size=8 no-amp max-tu-size=32
        // tu-inter-depth=1 tu-intra-depth=1 (written as depth - 1: 0) sao signhide no-tskip
        // no-constrained-intra weightp no-weightb wpp, aq-mode 2 with qg-size=32 (QP deltas one
        // level below the 64 CTB), log2-max-poc-lsb=8, bframes=4 with b-pyramid (two pictures
        // reordered).
        let pps = X265_PPS;
        assert_eq!(
            habits(&sps, &pps).as_deref(),
            Some(
                "ctb64 cb8 tb4-32 tu0/0 amp0 sao1 pcm0 scal0 poc8 reorder2 dpb5 \
                 shide1 cinit0 qp26 cip0 tskip0 cuqp1/1 wp1/0 tqb0 tiles0 wpp1 dss0"
            )
        );
        assert_eq!(habits(&pps, &sps), None);
        for len in 0..200 {
            let noise = crate::media::pseudo_random(len, len as u32);
            let _ = sps_size(&noise);
            let _ = habits(&noise, &noise);
            let mut as_sps = noise.clone();
            if as_sps.len() > 2 {
                as_sps[0] = 0x42;
                let _ = sps_size(&as_sps);
                let mut as_pps = as_sps.clone();
                as_pps[0] = 0x44;
                let _ = habits(&as_sps, &as_pps);
            }
        }
    }

    #[test]
    fn a_slice_segments_marking_and_first_fields_are_read() {
        let plain = SliceSyntax {
            separate_colour_plane: false,
            poc_bits: 8,
            output_flag_present: false,
            extra_slice_header_bits: 0,
        };
        // IDR_N_LP, first segment: no_output_of_prior_pics 0, PPS 0, slice_type 2 (I).
        let idr = segment(&[0x28, 0x01, 0xac], &plain).expect("a slice");
        assert_eq!(
            (
                idr.nal_type,
                idr.temporal_id,
                idr.first,
                idr.slice_type,
                idr.rps_from_sps
            ),
            (20, 0, true, Some(2), None)
        );
        // TRAIL_R: PPS 0, slice_type 1 (P), POC lsb 5, the SPS's reference set.
        let p = segment(&[0x02, 0x01, 0xd0, 0x2c], &plain).expect("a slice");
        assert_eq!(
            (p.nal_type, p.slice_type, p.rps_from_sps),
            (1, Some(1), Some(true))
        );
        // TRAIL_N in temporal layer 1, with two reserved header bits and pic_output_flag: B,
        // its own reference set.
        let extra = SliceSyntax {
            output_flag_present: true,
            extra_slice_header_bits: 2,
            ..plain
        };
        let b = segment(&[0x00, 0x02, 0xcc, 0x00], &extra).expect("a slice");
        assert_eq!(
            (b.nal_type, b.temporal_id, b.slice_type, b.rps_from_sps),
            (0, 1, Some(0), Some(false))
        );
        // Read with the wrong syntax the same bytes say another thing or nothing, never a panic.
        let _ = segment(&[0x00, 0x02, 0xcc, 0x00], &plain);
        // A later segment of a picture: its marking only.
        let later = segment(&[0x02, 0x01, 0x40], &plain).expect("a slice");
        assert_eq!((later.first, later.slice_type), (false, None));
        // A first segment cut short: its marking, no fields.
        let cut = segment(&[0x02, 0x01, 0xd0], &plain).expect("a slice");
        assert_eq!(
            (cut.first, cut.slice_type, cut.rps_from_sps),
            (true, None, None)
        );
        // Another layer's slice, a parameter set, a reserved type, a temporal id of 0+1 missing.
        assert_eq!(segment(&[0x03, 0x01, 0xd0, 0x2c], &plain), None);
        assert_eq!(segment(&[0x44, 0x01, 0xc1], &plain), None);
        assert_eq!(segment(&[0x16, 0x01, 0x80], &plain), None);
        assert_eq!(segment(&[0x02, 0x00, 0xd0], &plain), None);
        for len in 0..200 {
            let noise = crate::media::pseudo_random(len, len as u32 + 7);
            let _ = segment(&noise, &plain);
            let _ = segment(&noise, &extra);
        }
    }

    #[test]
    fn the_slice_syntax_of_real_parameter_sets() {
        // x265's sets, as in the test above: POC lsb of 8 bits, no output flag, no extra bits.
        let (sps, pps) = (X265_SPS, X265_PPS);
        let s = slice_syntax(&sps, &pps).expect("x265's sets");
        assert_eq!(
            (
                s.poc_bits,
                s.output_flag_present,
                s.extra_slice_header_bits,
                s.separate_colour_plane
            ),
            (8, false, 0, false)
        );
        assert!(slice_syntax(&pps, &sps).is_none());
        assert!(slice_syntax(&sps[..12], &pps).is_none());
    }
}
