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
        b.bits(4)?;
        let sub_layers = b.bits(3)?;
        b.bit()?;
        profile_tier_level(&mut b, sub_layers)?;
        b.ue()?;
        if b.ue()? == 3 {
            b.bit()?;
        }
        b.ue()?;
        b.ue()?;
        if b.bit()? == 1 {
            for _ in 0..4 {
                b.ue()?; // conformance window
            }
        }
        b.ue()?;
        b.ue()?; // bit depths
        let poc_bits = b.ue()?.saturating_add(4);
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

    #[test]
    fn a_real_sequence_parameter_set_gives_its_size_and_garbage_none() {
        // x265's SPS for 1280x720 Main (from tests/fixtures/osd/hevc.mp4's hvcC).
        let sps = [
            0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
            0x00, 0x03, 0x00, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x16, 0x59, 0x59, 0xa4, 0x93,
            0x2b, 0xc0, 0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x14,
            0x10u8,
        ];
        assert_eq!(sps_size(&sps), Some((1280, 720)));
        // Its PPS; x265's options (in its SEI) say ctu=64 min-cu-size=8 no-amp max-tu-size=32
        // tu-inter-depth=1 tu-intra-depth=1 (written as depth - 1: 0) sao signhide no-tskip
        // no-constrained-intra weightp no-weightb wpp, aq-mode 2 with qg-size=32 (QP deltas one
        // level below the 64 CTB), log2-max-poc-lsb=8, bframes=4 with b-pyramid (two pictures
        // reordered).
        let pps = [0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40];
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
}
