//! H.264 sequence parameter sets (ITU-T H.264 §7.3.2.1.1): profile, level and picture size.
//! Used for MP4 `avcC` records and for parameter sets found in MPEG-TS elementary streams, so
//! that a change of coding parameters inside one recording can be seen.

use super::cursor::{BitReader, R, Short};

/// QPs a stream may signal: 51 at most, and at least `-QpBdOffset` (36 at 14 bits; kept a
/// little wider). A hostile `se(v)` may be any 32-bit value, so sums with it are checked
/// against this before they are kept.
const QP_RANGE: std::ops::RangeInclusive<i32> = -(6 * 8)..=51;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sps {
    pub profile_idc: u8,
    pub level_idc: u8,
    pub width: u32,
    pub height: u32,
    /// The encoder's habits: reference frames it keeps, picture order count type, whether
    /// it codes frames only (no fields).
    pub max_num_ref_frames: u32,
    pub poc_type: u32,
    pub frame_mbs_only: bool,
    /// What a slice header needs to be read past its picture numbers.
    pub separate_colour_plane: bool,
    pub log2_max_frame_num: u32,
    pub log2_max_poc_lsb: u32,
    pub delta_pic_order_always_zero: bool,
}

/// The picture parameter set fields that show how an encoder works (§7.3.2.2): entropy coder,
/// weighted prediction, initial QP, 8x8 transform, deblocking control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pps {
    pub cabac: bool,
    pub weighted_pred: bool,
    pub weighted_bipred_idc: u32,
    pub pic_init_qp: i32,
    pub deblocking_control: bool,
    /// `None` when the set ends before the High profile's extension.
    pub transform_8x8: Option<bool>,
    pub bottom_field_pic_order: bool,
    pub redundant_pic_cnt_present: bool,
}

/// The start of an intra slice's header (§7.3.3): its type and its QP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntraSlice {
    /// `IDR` or `I` (an intra slice of a picture others may not be decoded past); HEVC's
    /// keyframes are described with it too ([`super::hevc::Segment::kind`]).
    pub kind: &'static str,
    pub qp: i32,
}

/// The start of a slice's header (§7.3.3) and its NAL unit header: how an encoder cuts and
/// marks its pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceStart {
    pub idr: bool,
    pub nal_ref_idc: u8,
    pub first_mb: u32,
    /// As written, 0-9: 5-9 also say that every slice of the picture has this type.
    pub slice_type: u32,
}

/// The start of the slice header in `nal` (types 1 and 5); `None` for other units.
pub fn slice_start(nal: &[u8]) -> Option<SliceStart> {
    let header = *nal.first()?;
    let nal_type = header & 0x1f;
    if !matches!(nal_type, 1 | 5) {
        return None;
    }
    let raw = unescape(&nal[1..nal.len().min(16)]);
    let mut b = BitReader::new(&raw);
    let first_mb = b.ue().ok()?;
    let slice_type = b.ue().ok()?;
    (slice_type <= 9).then_some(SliceStart {
        idr: nal_type == 5,
        nal_ref_idc: (header >> 5) & 3,
        first_mb,
        slice_type,
    })
}

/// Where a picture stands in its encoder's counting, from its first slice's header (§7.3.3,
/// §7.4.3): what tells whether two pictures in a row were coded one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureOrder {
    pub idr: bool,
    /// Used for reference (`nal_ref_idc` > 0): the next picture's `frame_num` is one more.
    pub reference: bool,
    pub frame_num: u32,
    /// `pic_order_cnt_lsb`, for picture order count type 0; a field's, for a field.
    pub poc_lsb: Option<u32>,
    /// A field (of an interlaced picture) rather than a frame.
    pub field: bool,
}

/// The [`PictureOrder`] of the slice in `nal` (types 1 and 5), read with its sequence
/// parameter set; `None` for other units or a header that does not read.
pub fn picture_order(nal: &[u8], sps: &Sps) -> Option<PictureOrder> {
    let header = *nal.first()?;
    let (nal_ref_idc, nal_type) = ((header >> 5) & 3, header & 0x1f);
    if !matches!(nal_type, 1 | 5) {
        return None;
    }
    let raw = unescape(&nal[1..nal.len().min(32)]);
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<PictureOrder> {
        b.ue()?; // first_mb_in_slice
        b.ue()?; // slice_type
        b.ue()?; // pic_parameter_set_id
        if sps.separate_colour_plane {
            b.bits(2)?;
        }
        let frame_num = b.bits(sps.log2_max_frame_num.min(16))?;
        let mut field = false;
        if !sps.frame_mbs_only {
            field = b.bit()? == 1;
            if field {
                b.bit()?; // bottom_field_flag
            }
        }
        if nal_type == 5 {
            b.ue()?; // idr_pic_id
        }
        let poc_lsb = if sps.poc_type == 0 {
            Some(b.bits(sps.log2_max_poc_lsb.min(16))?)
        } else {
            None
        };
        Ok(PictureOrder {
            idr: nal_type == 5,
            reference: nal_ref_idc > 0,
            frame_num,
            poc_lsb,
            field,
        })
    })();
    r.ok()
}

/// The header of the first slice in `nal` when it is an intra slice (I or SI), read with its
/// sequence and picture parameter sets; `None` for other slices or a header that does not
/// read. Only intra slices: they carry no reference lists or prediction weights.
pub fn intra_slice(nal: &[u8], sps: &Sps, pps: &Pps) -> Option<IntraSlice> {
    let header = *nal.first()?;
    let (nal_ref_idc, nal_type) = ((header >> 5) & 3, header & 0x1f);
    if !matches!(nal_type, 1 | 5) {
        return None;
    }
    let idr = nal_type == 5;
    let raw = unescape(&nal[1..nal.len().min(64)]);
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<Option<IntraSlice>> {
        b.ue()?; // first_mb_in_slice
        let slice_type = b.ue()? % 5;
        if !matches!(slice_type, 2 | 4) {
            return Ok(None);
        }
        b.ue()?; // pic_parameter_set_id
        if sps.separate_colour_plane {
            b.bits(2)?;
        }
        b.bits(sps.log2_max_frame_num.min(16))?;
        let mut field = false;
        if !sps.frame_mbs_only {
            field = b.bit()? == 1;
            if field {
                b.bit()?;
            }
        }
        if idr {
            b.ue()?;
        }
        if sps.poc_type == 0 {
            b.bits(sps.log2_max_poc_lsb.min(16))?;
            if pps.bottom_field_pic_order && !field {
                b.se()?;
            }
        }
        if sps.poc_type == 1 && !sps.delta_pic_order_always_zero {
            b.se()?;
            if pps.bottom_field_pic_order && !field {
                b.se()?;
            }
        }
        if pps.redundant_pic_cnt_present {
            b.ue()?;
        }
        if nal_ref_idc != 0 {
            if idr {
                b.bits(2)?;
            } else if b.bit()? == 1 {
                // Memory management operations, each with its operands, up to the end mark.
                for _ in 0..66 {
                    let op = b.ue()?;
                    if op == 0 {
                        break;
                    }
                    if matches!(op, 1 | 3) {
                        b.ue()?;
                    }
                    if op == 2 {
                        b.ue()?;
                    }
                    if matches!(op, 3 | 6) {
                        b.ue()?;
                    }
                    if op == 4 {
                        b.ue()?;
                    }
                }
            }
        }
        // Bounded by the QP's range in a real stream; a hostile delta may be any 32-bit value.
        let qp = pps
            .pic_init_qp
            .checked_add(b.se()?)
            .filter(|qp| QP_RANGE.contains(qp))
            .ok_or(Short)?;
        Ok(Some(IntraSlice {
            kind: if idr { "IDR" } else { "I" },
            qp,
        }))
    })();
    r.ok().flatten()
}

/// A picture parameter set NAL unit's fields; `None` for slice groups (a Baseline feature
/// recorders do not use) or a set cut short.
pub fn parse_pps(nal: &[u8]) -> Option<Pps> {
    if nal.first().map(|h| h & 0x1f) != Some(8) {
        return None;
    }
    let raw = unescape(&nal[1..nal.len().min(512)]);
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<Option<Pps>> {
        b.ue()?;
        b.ue()?;
        let cabac = b.bit()? == 1;
        let bottom_field_pic_order = b.bit()? == 1;
        if b.ue()? > 0 {
            return Ok(None);
        }
        b.ue()?;
        b.ue()?;
        let weighted_pred = b.bit()? == 1;
        let weighted_bipred_idc = b.bits(2)?;
        // pic_init_qp_minus26 lies in -(26 + QpBdOffset)..=25 (§7.4.2.2).
        let pic_init_qp = 26i32.checked_add(b.se()?).ok_or(Short)?;
        if !QP_RANGE.contains(&pic_init_qp) {
            return Err(Short);
        }
        b.se()?;
        b.se()?;
        let deblocking_control = b.bit()? == 1;
        b.bit()?;
        let redundant_pic_cnt_present = b.bit()? == 1;
        // More than the stop bit left: the High profile's fields follow.
        let transform_8x8 = if b.more_rbsp_data() {
            Some(b.bit()? == 1)
        } else {
            None
        };
        Ok(Some(Pps {
            cabac,
            weighted_pred,
            weighted_bipred_idc,
            pic_init_qp,
            deblocking_control,
            transform_8x8,
            bottom_field_pic_order,
            redundant_pic_cnt_present,
        }))
    })();
    r.ok().flatten()
}

/// Removes emulation-prevention bytes (00 00 03 -> 00 00), bounded by the input length.
pub fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

pub fn profile_name(idc: u8) -> String {
    match idc {
        66 => "Baseline".into(),
        77 => "Main".into(),
        88 => "Extended".into(),
        100 => "High".into(),
        110 => "High 10".into(),
        122 => "High 4:2:2".into(),
        244 => "High 4:4:4".into(),
        n => format!("profile {n}"),
    }
}

fn skip_scaling_list(b: &mut BitReader, size: usize) -> R<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            // delta_scale is -128..=127 in a valid stream; a hostile one may hold any value.
            let delta = b.se()?;
            next = (i64::from(last) + i64::from(delta) + 256).rem_euclid(256) as i32;
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

/// Parses an SPS NAL unit (starting with its one-byte NAL header, still escaped).
pub fn parse_sps(nal: &[u8]) -> Option<Sps> {
    if nal.first().map(|h| h & 0x1f) != Some(7) {
        return None;
    }
    let raw = unescape(&nal[1..nal.len().min(512)]);
    parse_rbsp(&raw).ok().map(|(s, _)| s)
}

/// Where an SPS keeps its picture height, for [`super::h264_cut`]: the bit range of
/// `pic_height_in_map_units_minus1` in the unescaped RBSP, the picture in macroblocks, and the
/// rows cropped off its top and bottom.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    pub height_field: (usize, usize),
    pub mb_width: u64,
    pub mb_height: u64,
    pub crop_top: u64,
    pub crop_bottom: u64,
}

pub(super) fn parse_rbsp(d: &[u8]) -> R<(Sps, Layout)> {
    let mut b = BitReader::new(d);
    let profile_idc = b.bits(8)? as u8;
    let _constraints = b.bits(8)?;
    let level_idc = b.bits(8)? as u8;
    let _sps_id = b.ue()?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    if matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format_idc = b.ue()?;
        if chroma_format_idc == 3 {
            separate_colour_plane = b.bit()? == 1;
        }
        b.ue()?;
        b.ue()?;
        b.bit()?;
        if b.bit()? == 1 {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if b.bit()? == 1 {
                    skip_scaling_list(&mut b, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let log2_max_frame_num = b.ue()?.saturating_add(4);
    let poc_type = b.ue()?;
    let (mut log2_max_poc_lsb, mut delta_pic_order_always_zero) = (0, false);
    match poc_type {
        0 => {
            log2_max_poc_lsb = b.ue()?.saturating_add(4);
        }
        1 => {
            delta_pic_order_always_zero = b.bit()? == 1;
            b.se()?;
            b.se()?;
            let n = b.ue()?;
            if n > 255 {
                return Err(Short);
            }
            for _ in 0..n {
                b.se()?;
            }
        }
        _ => {}
    }
    let max_num_ref_frames = b.ue()?;
    b.bit()?;
    let w_mbs = u64::from(b.ue()?) + 1;
    let height_at = b.position();
    let h_units = u64::from(b.ue()?) + 1;
    let height_field = (height_at, b.position());
    let frame_mbs_only = u64::from(b.bit()?);
    if frame_mbs_only == 0 {
        b.bit()?;
    }
    b.bit()?;
    let (mut cl, mut cr, mut ct, mut cb) = (0u64, 0u64, 0u64, 0u64);
    if b.bit()? == 1 {
        cl = b.ue()?.into();
        cr = b.ue()?.into();
        ct = b.ue()?.into();
        cb = b.ue()?.into();
    }
    let (sub_w, sub_h) = match chroma_format_idc {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let crop_x = sub_w;
    let crop_y = sub_h * (2 - frame_mbs_only);
    let width = (w_mbs * 16).saturating_sub(crop_x * (cl + cr));
    let height = ((2 - frame_mbs_only) * h_units * 16).saturating_sub(crop_y * (ct + cb));
    let layout = Layout {
        height_field,
        mb_width: w_mbs,
        mb_height: (2 - frame_mbs_only) * h_units,
        crop_top: crop_y * ct,
        crop_bottom: crop_y * cb,
    };
    let sps = Sps {
        profile_idc,
        level_idc,
        width: width.min(u64::from(u32::MAX)) as u32,
        height: height.min(u64::from(u32::MAX)) as u32,
        max_num_ref_frames,
        poc_type,
        frame_mbs_only: frame_mbs_only == 1,
        separate_colour_plane,
        log2_max_frame_num,
        log2_max_poc_lsb,
        delta_pic_order_always_zero,
    };
    Ok((sps, layout))
}

/// Splits an Annex B byte stream into NAL units (without start codes, nor the zeros before the
/// next one), lazily: a caller that stops at the first slice never scans the slice's bytes.
pub fn annexb_nals(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let start_after = move |from: usize| {
        memchr::memmem::find(data.get(from..)?, &[0, 0, 1]).map(|p| from + p + 3)
    };
    let mut next = start_after(0);
    std::iter::from_fn(move || {
        let s = next?;
        next = start_after(s);
        let mut e = next.map_or(data.len(), |n| n - 3);
        while e > s && data[e - 1] == 0 {
            e -= 1;
        }
        Some(&data[s..e])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_annex_b_stream_splits_into_its_nal_units() {
        // Three- and four-byte start codes, the zeros before the next start code dropped.
        let stream = [
            0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 0, 0, 1, 0x65, 3, 0,
        ];
        let nals: Vec<&[u8]> = annexb_nals(&stream).collect();
        assert_eq!(nals, [&[0x67, 1][..], &[0x68, 2], &[0x65, 3]]);
        assert_eq!(annexb_nals(&[1, 2, 3]).count(), 0);
        let empty: &[u8] = &[];
        assert_eq!(annexb_nals(&[0, 0, 1]).collect::<Vec<_>>(), [empty]);
    }

    #[test]
    fn parses_a_real_x264_sps() {
        // SPS written by x264 for 320x240 High profile, level 1.3 (from an ffmpeg-made file).
        let sps = [
            0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03,
            0x00, 0x10, 0x00, 0x00, 0x03, 0x01, 0x40, 0xf1, 0x42, 0x99, 0x60,
        ];
        let s = parse_sps(&sps).expect("sps");
        assert_eq!(
            (s.profile_idc, s.level_idc, s.width, s.height),
            (100, 13, 320, 240)
        );
    }

    /// `avcC` of tests/fixtures/osd/day.mp4 (x264, Main) and the first bytes of its first IDR.
    const DAY_SPS: [u8; 25] = [
        0x67, 0x4d, 0x40, 0x1f, 0xec, 0xa0, 0x28, 0x02, 0xdd, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00,
        0x08, 0x00, 0x00, 0x03, 0x00, 0xa0, 0x78, 0xc1, 0x8c, 0xb0,
    ];
    const DAY_PPS: [u8; 4] = [0x68, 0xef, 0x86, 0x72];
    const DAY_IDR_HEAD: [u8; 24] = [
        0x65, 0x88, 0x84, 0x00, 0x3b, 0xff, 0xf7, 0x81, 0x2d, 0x32, 0x17, 0x98, 0xe4, 0x4a, 0xeb,
        0x2d, 0x44, 0xdd, 0xad, 0x7d, 0x12, 0x33, 0x97, 0xfe,
    ];

    #[test]
    fn picture_parameter_sets_and_slice_headers_of_noise_never_panic() {
        let sps = Sps {
            profile_idc: 77,
            level_idc: 31,
            width: 1280,
            height: 720,
            max_num_ref_frames: 1,
            poc_type: 0,
            frame_mbs_only: false,
            separate_colour_plane: true,
            log2_max_frame_num: 16,
            log2_max_poc_lsb: 16,
            delta_pic_order_always_zero: false,
        };
        let pps = Pps {
            cabac: true,
            weighted_pred: false,
            weighted_bipred_idc: 0,
            pic_init_qp: 26,
            deblocking_control: true,
            transform_8x8: None,
            bottom_field_pic_order: true,
            redundant_pic_cnt_present: true,
        };
        let mut read = 0;
        for len in 0..300 {
            let mut noise = crate::media::pseudo_random(len, len as u32);
            // As a picture parameter set, an IDR slice (nal_ref_idc 3) and a plain I slice.
            for header in [0x68u8, 0x65, 0x41] {
                if let Some(b) = noise.first_mut() {
                    *b = header;
                }
                let _ = parse_pps(&noise);
                read += usize::from(intra_slice(&noise, &sps, &pps).is_some());
            }
        }
        // Some noise does read as an intra slice header: the loop went deep into the parser.
        assert!(read > 0);
    }

    #[test]
    fn an_x264_keyframe_slice_header_gives_its_qp() {
        // day.mp4's first IDR slice (x264, Main, CABAC): ffmpeg's QP dump shows 18.
        let sps = parse_sps(&DAY_SPS).expect("sps");
        let pps = parse_pps(&DAY_PPS).expect("pps");
        let slice = intra_slice(&DAY_IDR_HEAD, &sps, &pps).expect("slice");
        assert_eq!(
            slice,
            IntraSlice {
                kind: "IDR",
                qp: 18
            }
        );
    }

    /// A NAL unit of `header` and the bits written as `0` and `1` (padded with zeros).
    fn packed(header: u8, bits: &str) -> Vec<u8> {
        let mut nal = vec![header];
        nal.extend(bits.as_bytes().chunks(8).map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |b, (i, &bit)| b | (u8::from(bit == b'1') << (7 - i)))
        }));
        nal
    }

    #[test]
    fn an_initial_qp_out_of_range_is_refused_not_summed() {
        // ids 0 and 0, CAVLC, no field order, one slice group, one reference each way, no
        // weights: then pic_init_qp_minus26, then the fields after it and a stop bit.
        let (head, tail) = ("1100111000", "1110011");
        // The largest se(v) the reader takes, 2^31 - 1 (codeNum 2^32 - 3): 26 + it overflowed
        // (overflow checks are on in every build).
        let huge = ["0".repeat(31), "1".into(), "1".repeat(30), "0".into()].concat();
        assert_eq!(
            parse_pps(&packed(0x68, &[head, &huge, tail].concat())),
            None
        );
        // 0 reads as QP 26, and -26 as QP 0.
        let zero = parse_pps(&packed(0x68, &[head, "1", tail].concat()));
        assert_eq!(zero.map(|p| p.pic_init_qp), Some(26));
        let below = ["0".repeat(5), "1".into(), "10101".into()].concat(); // codeNum 52: -26
        assert_eq!(
            parse_pps(&packed(0x68, &[head, &below, tail].concat())).map(|p| p.pic_init_qp),
            Some(0)
        );
    }

    #[test]
    fn garbage_is_rejected_not_panicking() {
        assert_eq!(parse_sps(&[0x67]), None);
        assert_eq!(parse_sps(&[0x67, 0x64, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(parse_sps(&[0x68, 1, 2, 3]), None);
    }

    #[test]
    fn unescapes_emulation_prevention() {
        assert_eq!(unescape(&[0, 0, 3, 1, 0, 0, 3]), vec![0, 0, 1, 0, 0]);
    }
}
