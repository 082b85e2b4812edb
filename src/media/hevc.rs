//! HEVC sequence parameter sets (ITU-T H.265 §7.3.2.2): the picture size, read before any
//! decode so that the keyframe stage can refuse a picture larger than it decodes.

use super::cursor::{BitReader, R};
use super::h264::unescape;

/// The luma size a sequence parameter set NAL unit declares (`pic_width_in_luma_samples`,
/// `pic_height_in_luma_samples`); `None` for any other NAL unit or a set cut short.
pub fn sps_size(nal: &[u8]) -> Option<(u32, u32)> {
    // Two-byte NAL header; type 33 is a sequence parameter set.
    if nal.len() < 3 || (nal[0] >> 1) & 0x3f != 33 {
        return None;
    }
    let raw = unescape(&nal[2..nal.len().min(512)]);
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
        for len in 0..200 {
            let noise = crate::media::pseudo_random(len, len as u32);
            let _ = sps_size(&noise);
            let mut as_sps = noise.clone();
            if as_sps.len() > 2 {
                as_sps[0] = 0x42;
                let _ = sps_size(&as_sps);
            }
        }
    }
}
