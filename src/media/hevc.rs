//! HEVC parameter sets (ITU-T H.265 §7.3.2.2, §7.3.2.3): the picture size, read before any
//! decode so that the keyframe stage can refuse a picture larger than it decodes, and the
//! encoder's settings that show its hand (coding tree and transform sizes, tools switched on),
//! which a recorder's hardware encoder keeps for every recording.

use super::cursor::{BitReader, R};
use super::h264::unescape;

/// NAL unit types of the sequence and picture parameter sets.
pub(super) const SPS: u8 = 33;
pub(super) const PPS: u8 = 34;

/// The payload of a parameter set NAL unit of type `kind` (two-byte header), unescaped and
/// bounded; `None` for another unit.
pub(super) fn rbsp(nal: &[u8], kind: u8) -> Option<Vec<u8>> {
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
    let s = parse_sps(nal)?;
    Some(format!(
        "ctb{} cb{} tb{}-{} tu{}/{} amp{} sao{} pcm{} scal{} poc{} reorder{} dpb{}",
        1u32 << s.ctb,
        1u32 << s.min_cb,
        1u32 << s.min_tb,
        1u32 << s.max_tb,
        s.tu_inter,
        s.tu_intra,
        u8::from(s.amp),
        u8::from(s.sao),
        u8::from(s.pcm),
        u8::from(s.scaling),
        s.poc_bits,
        s.reorder,
        s.dpb,
    ))
}

/// The fields of a sequence parameter set (§7.3.2.2) that the habits and the slice headers
/// need, up to `sps_temporal_mvp_enabled_flag`.
struct Sps {
    separate_colour_plane: bool,
    /// `ChromaArrayType` is not 0: the slice header has a chroma SAO flag.
    chroma: bool,
    poc_bits: u32,
    dpb: u32,
    reorder: u32,
    /// log2 sizes.
    min_cb: u32,
    ctb: u32,
    min_tb: u32,
    max_tb: u32,
    tu_inter: u32,
    tu_intra: u32,
    scaling: bool,
    amp: bool,
    sao: bool,
    pcm: bool,
    /// What follows the tools, for reading a slice header past its reference sets; `None`
    /// where it does not read (the habits above still do).
    refs: Option<Refs>,
}

/// The reference picture signalling a sequence parameter set declares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refs {
    /// Each short-term reference picture set's delta POCs, negative then positive (§7.4.8).
    short_term: Vec<RefSet>,
    /// `num_long_term_ref_pics_sps`, when `long_term_ref_pics_present_flag` is set.
    long_term: Option<u32>,
    temporal_mvp: bool,
}

/// A short-term reference picture set: its delta POCs before and after the current picture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RefSet {
    negative: Vec<i32>,
    positive: Vec<i32>,
}

/// Most short-term reference picture sets a sequence parameter set lists (§7.4.3.2.1) and most
/// pictures in one set (the largest picture buffer).
const SHORT_TERM_SETS_MAX: u32 = 64;
const SET_PICTURES_MAX: u32 = 16;

/// The fields of a sequence parameter set from its start to the coding tree block size
/// (§7.3.2.2), with where its picture height is coded: what [`parse_sps`] reads on from, and
/// what a cut to the top rows rewrites ([`super::hevc_cut`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SpsHead {
    pub chroma_format: u32,
    pub separate_colour_plane: bool,
    pub width: u32,
    pub height: u32,
    /// Bits of the RBSP (after the two-byte header) that code `pic_height_in_luma_samples`.
    pub height_field: (usize, usize),
    /// Conformance window offsets in luma rows at the top and the bottom.
    pub crop_top: u32,
    pub crop_bottom: u32,
    pub poc_bits: u32,
    pub dpb: u32,
    pub reorder: u32,
    /// log2 sizes.
    pub min_cb: u32,
    pub ctb: u32,
}

/// Reads an SPS RBSP's fields up to the coding tree block size ([`SpsHead`]).
pub(super) fn sps_head(b: &mut BitReader) -> R<SpsHead> {
    b.bits(4)?; // sps_video_parameter_set_id
    let sub_layers = b.bits(3)?;
    b.bit()?; // sps_temporal_id_nesting_flag
    profile_tier_level(b, sub_layers)?;
    b.ue()?; // sps_seq_parameter_set_id
    let chroma_format = b.ue()?;
    let separate_colour_plane = chroma_format == 3 && b.bit()? == 1;
    let width = b.ue()?;
    let from = b.position();
    let height = b.ue()?;
    let height_field = (from, b.position());
    // Offsets count chroma rows (§7.4.3.2.1: SubHeightC is 2 for 4:2:0 only).
    let sub_height = if chroma_format == 1 && !separate_colour_plane {
        2
    } else {
        1
    };
    let (mut crop_top, mut crop_bottom) = (0, 0);
    if b.bit()? == 1 {
        b.ue()?;
        b.ue()?; // left, right
        crop_top = b.ue()?.saturating_mul(sub_height);
        crop_bottom = b.ue()?.saturating_mul(sub_height);
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
    Ok(SpsHead {
        chroma_format,
        separate_colour_plane,
        width,
        height,
        height_field,
        crop_top,
        crop_bottom,
        poc_bits,
        dpb,
        reorder,
        min_cb,
        ctb,
    })
}

fn parse_sps(nal: &[u8]) -> Option<Sps> {
    let raw = rbsp(nal, SPS)?;
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<Sps> {
        let SpsHead {
            chroma_format,
            separate_colour_plane,
            poc_bits,
            dpb,
            reorder,
            min_cb,
            ctb,
            ..
        } = sps_head(&mut b)?;
        let min_tb = b.ue()?.saturating_add(2);
        let max_tb = min_tb.saturating_add(b.ue()?);
        let (tu_inter, tu_intra) = (b.ue()?, b.ue()?);
        let scaling = b.bit()? == 1;
        if scaling && b.bit()? == 1 {
            skip_scaling_list_data(&mut b)?;
        }
        let (amp, sao, pcm) = (b.bit()? == 1, b.bit()? == 1, b.bit()? == 1);
        if min_cb > 6 || ctb > 6 || min_tb > 5 || max_tb > 5 || poc_bits > 16 {
            return Err(super::cursor::Short);
        }
        let refs = (|| -> R<Refs> {
            if pcm {
                b.bits(8)?; // PCM bit depths
                b.ue()?;
                b.ue()?; // PCM block sizes
                b.bit()?; // pcm_loop_filter_disabled_flag
            }
            let sets = b.ue()?;
            if sets > SHORT_TERM_SETS_MAX {
                return Err(super::cursor::Short);
            }
            let mut short_term: Vec<RefSet> = Vec::new();
            for i in 0..sets as usize {
                let set = ref_set(&mut b, i, &short_term)?;
                short_term.push(set);
            }
            let long_term = if b.bit()? == 1 {
                let n = b.ue()?;
                if n > 32 {
                    return Err(super::cursor::Short);
                }
                for _ in 0..n {
                    b.bits(poc_bits)?; // lt_ref_pic_poc_lsb_sps
                    b.bit()?; // used_by_curr_pic_lt_sps_flag
                }
                Some(n)
            } else {
                None
            };
            Ok(Refs {
                short_term,
                long_term,
                temporal_mvp: b.bit()? == 1,
            })
        })()
        .ok();
        Ok(Sps {
            separate_colour_plane,
            chroma: chroma_format != 0 && !separate_colour_plane,
            poc_bits,
            dpb,
            reorder,
            min_cb,
            ctb,
            min_tb,
            max_tb,
            tu_inter,
            tu_intra,
            scaling,
            amp,
            sao,
            pcm,
            refs,
        })
    })();
    r.ok()
}

/// `st_ref_pic_set(idx)` (§7.3.7, semantics §7.4.8): set `idx` of a sequence parameter set,
/// whose earlier sets are `before`, or (`idx == before.len()`) a slice header's own set. A set
/// predicted from another is derived from it, so that a later set or slice predicted from
/// this one reads right.
fn ref_set(b: &mut BitReader, idx: usize, before: &[RefSet]) -> R<RefSet> {
    let short = super::cursor::Short;
    if idx != 0 && b.bit()? == 1 {
        // inter_ref_pic_set_prediction_flag
        let back = if idx == before.len() {
            (b.ue()? as usize).saturating_add(1) // delta_idx_minus1
        } else {
            1
        };
        let from = before
            .get(idx.checked_sub(back).ok_or(short)?)
            .ok_or(short)?;
        let sign = b.bit()?;
        let abs = i64::from(b.ue()?) + 1;
        if abs > 1 << 15 {
            return Err(short);
        }
        let delta_rps = if sign == 1 { -abs } else { abs } as i32;
        // One flag pair per picture of the set predicted from, and one for the picture itself:
        // used_by_curr_pic_flag, and use_delta_flag when that is 0 (else inferred 1).
        let n = from.negative.len() + from.positive.len();
        let mut used = Vec::with_capacity(n + 1);
        for _ in 0..=n {
            let by_curr = b.bit()? == 1;
            used.push(by_curr || b.bit()? == 1);
        }
        // §7.4.8 (7-61, 7-62): the predicted set's delta POCs, in order: each picture of the
        // set predicted from moved by deltaRps, and the predicted-from picture itself at
        // deltaRps, kept where flagged and sorted to before or after the current picture.
        let neg = from.negative.len();
        let moved = |deltas: &[i32], flags: &[bool]| -> Vec<i32> {
            deltas
                .iter()
                .zip(flags)
                .filter(|(_, used)| **used)
                .map(|(d, _)| d + delta_rps)
                .collect()
        };
        let (before, after) = (
            moved(&from.negative, &used[..neg]),
            moved(&from.positive, &used[neg..n]),
        );
        let itself = used[n].then_some(delta_rps);
        let set = RefSet {
            negative: (after.iter().rev().copied())
                .chain(itself)
                .chain(before.iter().copied())
                .filter(|&d| d < 0)
                .collect(),
            positive: (before.iter().rev().copied())
                .chain(itself)
                .chain(after.iter().copied())
                .filter(|&d| d > 0)
                .collect(),
        };
        if set.negative.len() + set.positive.len() > SET_PICTURES_MAX as usize {
            return Err(short);
        }
        return Ok(set);
    }
    let (negatives, positives) = (b.ue()?, b.ue()?);
    if negatives > SET_PICTURES_MAX || positives > SET_PICTURES_MAX {
        return Err(short);
    }
    let mut set = RefSet::default();
    let mut poc = 0i32;
    let step = |b: &mut BitReader| -> R<i32> { Ok((i64::from(b.ue()?) + 1).min(1 << 15) as i32) };
    for _ in 0..negatives {
        poc -= step(b)?;
        b.bit()?; // used_by_curr_pic_s0_flag
        set.negative.push(poc);
    }
    poc = 0;
    for _ in 0..positives {
        poc += step(b)?;
        b.bit()?; // used_by_curr_pic_s1_flag
        set.positive.push(poc);
    }
    Ok(set)
}

/// What a slice segment header needs of the parameter sets (§7.3.6.1).
#[derive(Debug, Clone)]
pub struct SliceSyntax {
    separate_colour_plane: bool,
    poc_bits: u32,
    output_flag_present: bool,
    extra_slice_header_bits: u32,
    chroma: bool,
    sao: bool,
    /// `26 + init_qp_minus26`.
    init_qp: i32,
    refs: Option<Refs>,
}

impl SliceSyntax {
    /// Bits of `slice_pic_order_cnt_lsb`: the order count wraps at `1 << poc_bits()`.
    pub fn poc_bits(&self) -> u32 {
        self.poc_bits
    }
}

/// The [`SliceSyntax`] of a sequence and a picture parameter set NAL unit.
pub fn slice_syntax(sps: &[u8], pps: &[u8]) -> Option<SliceSyntax> {
    let sps = parse_sps(sps)?;
    let pps = pps_head(pps)?;
    if !(-(6 * 8)..=51).contains(&pps.qp) {
        return None;
    }
    Some(SliceSyntax {
        separate_colour_plane: sps.separate_colour_plane,
        poc_bits: sps.poc_bits,
        output_flag_present: pps.output_flag_present,
        extra_slice_header_bits: pps.extra_slice_header_bits,
        chroma: sps.chroma,
        sao: sps.sao,
        init_qp: pps.qp as i32,
        refs: sps.refs,
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
    /// An intra first segment's QP (`26 + init_qp_minus26 + slice_qp_delta`, §7.4.7.1), where
    /// its header reads that far.
    pub qp: Option<i32>,
    /// A first segment's `slice_pic_order_cnt_lsb` (0 for an IDR picture, which writes none).
    pub poc_lsb: Option<u32>,
}

impl Segment {
    /// The picture's kind as the `keyframes` table names it: `IDR`, `CRA`, `BLA`, or `I` for
    /// an intra picture that is not a random-access point.
    pub fn kind(&self) -> &'static str {
        match self.nal_type {
            19 | 20 => "IDR",
            21 => "CRA",
            16..=18 => "BLA",
            _ => "I",
        }
    }
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
    // Enough for the longest header read: an own reference set of 32 pictures and 32
    // long-term ones is some 60 bytes.
    let raw = unescape(&nal[2..nal.len().min(160)]);
    let mut b = BitReader::new(&raw);
    let first = b.bit().ok()? == 1;
    let mut out = Segment {
        nal_type,
        temporal_id,
        first,
        slice_type: None,
        rps_from_sps: None,
        qp: None,
        poc_lsb: None,
    };
    if !first {
        return Some(out);
    }
    let fields = (|| -> R<(u32, Option<bool>, u32)> {
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
            return Ok((slice_type, None, 0));
        }
        let poc = b.bits(syntax.poc_bits)?; // slice_pic_order_cnt_lsb
        Ok((slice_type, Some(b.bit()? == 1), poc))
    })();
    // A first segment whose header does not read says only how it is marked.
    let Ok((slice_type, rps, poc)) = fields else {
        return Some(out);
    };
    out.slice_type = Some(slice_type);
    out.poc_lsb = Some(poc);
    out.rps_from_sps = rps;
    if slice_type == 2 {
        out.qp = intra_qp(&mut b, rps, syntax).ok().flatten();
    }
    Some(out)
}

/// The rest of an intra first segment's header up to `slice_qp_delta`, read from just after
/// `short_term_ref_pic_set_sps_flag` (`rps`; `None` for an IDR picture, which has none): the
/// slice's QP, `None` where the sequence's reference signalling did not read.
fn intra_qp(b: &mut BitReader, rps: Option<bool>, syntax: &SliceSyntax) -> R<Option<i32>> {
    if let Some(from_sps) = rps {
        let Some(refs) = &syntax.refs else {
            return Ok(None);
        };
        let sets = refs.short_term.len();
        if !from_sps {
            ref_set(b, sets, &refs.short_term)?;
        } else if sets > 1 {
            b.bits(ceil_log2(sets as u32))?; // short_term_ref_pic_set_idx
        }
        if let Some(in_sps) = refs.long_term {
            let from_list = if in_sps > 0 { b.ue()? } else { 0 };
            let own = b.ue()?;
            if from_list > in_sps || own > 32 {
                return Err(super::cursor::Short);
            }
            for i in 0..from_list + own {
                if i < from_list {
                    if in_sps > 1 {
                        b.bits(ceil_log2(in_sps))?; // lt_idx_sps
                    }
                } else {
                    b.bits(syntax.poc_bits)?; // poc_lsb_lt
                    b.bit()?; // used_by_curr_pic_lt_flag
                }
                if b.bit()? == 1 {
                    b.ue()?; // delta_poc_msb_cycle_lt
                }
            }
        }
        if refs.temporal_mvp {
            b.bit()?; // slice_temporal_mvp_enabled_flag
        }
    }
    if syntax.sao {
        b.bit()?; // slice_sao_luma_flag
        if syntax.chroma {
            b.bit()?; // slice_sao_chroma_flag
        }
    }
    // slice_qp_delta is bounded by the QP's range; a hostile one may be any 32-bit value.
    let qp = syntax.init_qp.checked_add(b.se()?);
    Ok(qp.filter(|qp| (0..=51).contains(qp)))
}

/// `Ceil(Log2(n))` for n >= 1.
pub(super) fn ceil_log2(n: u32) -> u32 {
    32 - n.saturating_sub(1).leading_zeros()
}

/// `shide1 cinit0 qp26 cip0 tskip0 cuqp1/1 wp1/0 tqb0 tiles0 wpp1 dss0`: sign data hiding,
/// CABAC init flag, initial QP, constrained intra prediction, transform skip, CU QP deltas
/// (and their depth), weighted prediction (P/B), transquant bypass, tiles, wavefronts,
/// dependent slice segments.
fn pps_habits(nal: &[u8]) -> Option<String> {
    let h = pps_head(nal)?;
    let bit = u8::from;
    Some(format!(
        "shide{} cinit{} qp{} cip{} tskip{} cuqp{}/{} wp{}/{} tqb{} tiles{} wpp{} dss{}",
        bit(h.shide),
        bit(h.cinit),
        h.qp,
        bit(h.cip),
        bit(h.tskip),
        bit(h.cuqp),
        h.depth,
        bit(h.wp),
        bit(h.wbp),
        bit(h.tqb),
        bit(h.tiles),
        bit(h.wpp),
        bit(h.dss)
    ))
}

/// A picture parameter set's fields up to `entropy_coding_sync_enabled_flag` (§7.3.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PpsHead {
    /// `dependent_slice_segments_enabled_flag`.
    pub dss: bool,
    output_flag_present: bool,
    /// `num_extra_slice_header_bits`.
    extra_slice_header_bits: u32,
    shide: bool,
    cinit: bool,
    /// `26 + init_qp_minus26`.
    qp: i64,
    cip: bool,
    tskip: bool,
    cuqp: bool,
    depth: u32,
    wp: bool,
    wbp: bool,
    tqb: bool,
    pub tiles: bool,
    wpp: bool,
}

pub(super) fn pps_head(nal: &[u8]) -> Option<PpsHead> {
    let raw = rbsp(nal, PPS)?;
    let mut b = BitReader::new(&raw);
    let r = (|| -> R<PpsHead> {
        b.ue()?;
        b.ue()?;
        let dss = b.bit()? == 1;
        let output_flag_present = b.bit()? == 1;
        let extra_slice_header_bits = b.bits(3)?;
        let (shide, cinit) = (b.bit()? == 1, b.bit()? == 1);
        b.ue()?;
        b.ue()?;
        let qp = 26i64 + i64::from(b.se()?);
        let (cip, tskip) = (b.bit()? == 1, b.bit()? == 1);
        let cuqp = b.bit()? == 1;
        let depth = if cuqp { b.ue()? } else { 0 };
        b.se()?;
        b.se()?;
        b.bit()?;
        let (wp, wbp, tqb) = (b.bit()? == 1, b.bit()? == 1, b.bit()? == 1);
        let (tiles, wpp) = (b.bit()? == 1, b.bit()? == 1);
        Ok(PpsHead {
            dss,
            output_flag_present,
            extra_slice_header_bits,
            shide,
            cinit,
            qp,
            cip,
            tskip,
            cuqp,
            depth,
            wp,
            wbp,
            tqb,
            tiles,
            wpp,
        })
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
pub(super) mod tests {
    use super::*;

    /// x265's SPS for 1280x720 Main and its PPS (from tests/fixtures/osd/hevc.mp4's hvcC).
    pub(in crate::media) const X265_SPS: [u8; 43] = [
        0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x03, 0x00, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0,
        0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x14, 0x10,
    ];
    pub(in crate::media) const X265_PPS: [u8; 7] = [0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40];

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

    /// 4:2:0, POC lsb of 8 bits, no output flag or extra bits, SAO off, initial QP 26, and
    /// the reference signalling unknown.
    fn plain_syntax() -> SliceSyntax {
        SliceSyntax {
            separate_colour_plane: false,
            poc_bits: 8,
            output_flag_present: false,
            extra_slice_header_bits: 0,
            chroma: true,
            sao: false,
            init_qp: 26,
            refs: None,
        }
    }

    #[test]
    fn a_slice_segments_marking_and_first_fields_are_read() {
        let plain = plain_syntax();
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
            ..plain.clone()
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

    #[test]
    fn an_intra_pictures_qp_is_read_past_its_reference_sets() {
        let mut syntax = plain_syntax();
        // IDR_N_LP: slice_type 2, slice_qp_delta -2.
        let idr = segment(&[0x28, 0x01, 0xac, 0xa0], &syntax).expect("a slice");
        assert_eq!((idr.kind(), idr.qp), ("IDR", Some(24)));
        // With sample adaptive offset: the luma and chroma flags stand before the delta.
        syntax.sao = true;
        let idr = segment(&[0x28, 0x01, 0xae, 0x28], &syntax).expect("a slice");
        assert_eq!(idr.qp, Some(24));
        syntax.sao = false;
        // A CRA picture: POC lsb 16, its own (empty) reference set, the temporal MVP flag, then
        // slice_qp_delta +3. Without the sequence's reference signalling its QP is not read.
        let cra = [0x2a, 0x01, 0xac, 0x41, 0x8c];
        let s = segment(&cra, &syntax).expect("a slice");
        assert_eq!((s.kind(), s.slice_type, s.qp), ("CRA", Some(2), None));
        syntax.refs = Some(Refs {
            short_term: Vec::new(),
            long_term: None,
            temporal_mvp: true,
        });
        assert_eq!(segment(&cra, &syntax).and_then(|s| s.qp), Some(29));
        // A P picture's QP is not read (its header goes on with reference lists and weights).
        let p = segment(&[0x02, 0x01, 0xd0, 0x2c, 0xff], &syntax).expect("a slice");
        assert_eq!(p.qp, None);
    }

    #[test]
    fn a_reference_set_predicted_from_another_is_derived() {
        // Set 0: one picture before (delta POC -1). A slice's own set predicted from it with
        // deltaRps -1, keeping set 0's picture (used) and adding the one at -1 (use_delta):
        // flag 1, delta_idx_minus1 0, sign 1, abs_delta_rps_minus1 0, flags 1 / 0 1.
        let set0 = RefSet {
            negative: vec![-1],
            positive: Vec::new(),
        };
        let bits = [0xfa];
        let mut b = BitReader::new(&bits);
        let set = ref_set(&mut b, 1, std::slice::from_ref(&set0)).expect("reads");
        assert_eq!(set.negative, [-1, -2]);
        assert!(set.positive.is_empty());
        // deltaRps +2 from a set of one picture before (-2) and one after (+1), every picture
        // kept: -2 moves to 0 (the current picture: dropped), +1 to +3, the set's own picture
        // at +2; as a slice's set (delta_idx_minus1 0) and as the SPS's second set.
        let set1 = RefSet {
            negative: vec![-2],
            positive: vec![1],
        };
        for (bits, idx, before) in [
            (vec![0xcb, 0x80], 1, vec![set1.clone()]),
            (vec![0x97], 1, vec![set1.clone(), RefSet::default()]),
        ] {
            let mut b = BitReader::new(&bits);
            let set = ref_set(&mut b, idx, &before).expect("reads");
            assert_eq!((set.negative, set.positive), (vec![], vec![2, 3]));
        }
        // Predicted from a set that is not there: an error, not a panic.
        let mut b = BitReader::new(&bits);
        assert!(ref_set(&mut b, 1, &[]).is_err());
        // An explicit set: two before (-1, -3), one after (+2).
        // num_negative 2, num_positive 1, deltas-1 0 and 1, +1, each used.
        let bits = [0b0110_1011, 0b0101_0101];
        let mut b = BitReader::new(&bits);
        let set = ref_set(&mut b, 0, &[]).expect("reads");
        assert_eq!((set.negative, set.positive), (vec![-1, -3], vec![2]));
        // x265's sequence parameter set lists no sets, no long-term pictures, temporal MVP on.
        let sps = parse_sps(&X265_SPS).expect("parses");
        assert_eq!(
            sps.refs,
            Some(Refs {
                short_term: Vec::new(),
                long_term: None,
                temporal_mvp: true,
            })
        );
        for len in 0..300 {
            let noise = crate::media::pseudo_random(len, len as u32 + 11);
            let mut b = BitReader::new(&noise);
            let _ = ref_set(&mut b, 3, &[set0.clone(), RefSet::default(), set0.clone()]);
        }
    }
}
