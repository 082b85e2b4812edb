//! Where an MP4's H.264 pictures are: from the `moov` box alone, the parameter sets of the
//! first video track and the file position, size and time of its samples (ISO/IEC 14496-12
//! §8.6-8.7, ISO/IEC 14496-15 §5.3.3 for `avcC`), so that the keyframe stage can read just the
//! pictures it decodes. Every count read from the file is bounded by the bytes that hold it
//! and by [`SYNC_MAX`] / [`LEAD_MAX`].

use super::chunks::BoxIter;
use super::cursor::Cursor;
use super::samples::{Sizes, sample_to_chunk, sync_samples};

/// Most sync samples located in one track (a 24-hour recording with a keyframe a second).
pub const SYNC_MAX: usize = 100_000;
/// Most samples located from the start of the track, for a run of consecutive pictures.
pub const LEAD_MAX: usize = 1024;

/// One sample: its number (1-based), file offset, size and presentation time in track ticks
/// (decode time plus its composition offset, `ctts`, where pictures are reordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub number: u64,
    pub offset: u64,
    pub size: u32,
    pub ticks: u64,
}

/// The video coding of a track the stage decodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Codec {
    #[default]
    H264,
    Hevc,
}

/// The first H.264 or HEVC video track's pictures.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub codec: Codec,
    pub timescale: u32,
    /// Bytes of each NAL unit's length prefix in a sample (1, 2 or 4).
    pub nal_len: usize,
    /// The parameter sets of `avcC` or `hvcC`, as NAL units.
    pub params: Vec<Vec<u8>>,
    /// H.264: the first sequence and picture parameter sets, parsed once for whoever needs
    /// their fields (the encoder's habits, slice headers).
    pub h264: Option<(super::h264::Sps, super::h264::Pps)>,
    /// The sync samples, in order.
    pub sync: Vec<Sample>,
    /// The first samples of the track, in order (a short run of consecutive pictures).
    pub lead: Vec<Sample>,
    /// Pictures are presented in another order than they are decoded (B-frames).
    pub reordered: bool,
}

impl Plan {
    pub fn seconds(&self, s: &Sample) -> f64 {
        if self.timescale == 0 {
            0.0
        } else {
            s.ticks as f64 / f64::from(self.timescale)
        }
    }
}

/// The plan of a `moov` box's body, or `None` without an H.264 video track whose tables
/// hold together.
pub fn plan(moov: &[u8], lead: usize) -> Option<Plan> {
    for trak in BoxIter::new(moov, 0).map_while(Result::ok) {
        if &trak.typ != b"trak" {
            continue;
        }
        if let Some(p) = track(trak.body, lead.min(LEAD_MAX)) {
            return Some(p);
        }
    }
    None
}

fn child<'a>(body: &'a [u8], typ: &[u8; 4]) -> Option<&'a [u8]> {
    BoxIter::new(body, 0)
        .map_while(Result::ok)
        .find(|b| &b.typ == typ)
        .map(|b| b.body)
}

fn track(trak: &[u8], lead: usize) -> Option<Plan> {
    let mdia = child(trak, b"mdia")?;
    let hdlr = child(mdia, b"hdlr")?;
    if hdlr.get(8..12)? != b"vide" {
        return None;
    }
    let mdhd = child(mdia, b"mdhd")?;
    let timescale = {
        let mut c = Cursor::new(mdhd);
        let version = c.u8().ok()?;
        c.skip(3 + if version == 1 { 16 } else { 8 }).ok()?;
        c.be32().ok()?
    };
    let stbl = child(child(mdia, b"minf")?, b"stbl")?;
    let (codec, nal_len, params) = parameter_sets(child(stbl, b"stsd")?)?;
    let stsz = child(stbl, b"stsz")?;
    let stsc = child(stbl, b"stsc")?;
    let stts = child(stbl, b"stts")?;
    let chunks = chunk_offsets(stbl)?;
    let sizes = Sizes::parse(stsz)?;
    let total = sizes.count();
    let syncs: Vec<u64> = match child(stbl, b"stss") {
        Some(stss) => sync_samples(Some(stss), SYNC_MAX)?
            .into_iter()
            .filter(|&s| s <= total)
            .collect(),
        None => (1..=total.min(SYNC_MAX as u64)).collect(),
    };
    let mut wanted: Vec<u64> = syncs.clone();
    let first = syncs.first().copied().unwrap_or(1);
    wanted.extend(first..(first + lead as u64).min(total + 1));
    wanted.sort_unstable();
    wanted.dedup();
    let located = locate(&sizes, stsc, &chunks, stts, child(stbl, b"ctts"), &wanted);
    let sync = located
        .iter()
        .filter(|s| syncs.binary_search(&s.number).is_ok())
        .copied()
        .collect();
    let lead: Vec<Sample> = located
        .iter()
        .filter(|s| s.number >= first && s.number < first + lead as u64)
        .copied()
        .collect();
    let reordered = lead.windows(2).any(|w| w[1].ticks < w[0].ticks);
    let h264 = (codec == Codec::H264)
        .then(|| {
            let sps = params.iter().find_map(|p| super::h264::parse_sps(p))?;
            let pps = params.iter().find_map(|p| super::h264::parse_pps(p))?;
            Some((sps, pps))
        })
        .flatten();
    Some(Plan {
        codec,
        h264,
        timescale,
        nal_len,
        params,
        sync,
        lead,
        reordered,
    })
}

/// The first sample entry's decoder configuration: `avcC` of `avc1`/`avc3` (ISO/IEC 14496-15
/// §5.3.3) or `hvcC` of `hvc1`/`hev1` (§8.3.3): the NAL length size and the parameter sets.
fn parameter_sets(stsd: &[u8]) -> Option<(Codec, usize, Vec<Vec<u8>>)> {
    let entries = stsd.get(8..)?;
    let entry = BoxIter::new(entries, 0).map_while(Result::ok).next()?;
    // A visual sample entry's fixed fields take 78 bytes before its child boxes.
    let children = entry.body.get(78..)?;
    let mut params = Vec::new();
    match &entry.typ {
        b"avc1" | b"avc3" => {
            let mut c = Cursor::new(child(children, b"avcC")?);
            c.skip(4).ok()?;
            let nal_len = usize::from(c.u8().ok()? & 3) + 1;
            let sps = c.u8().ok()? & 0x1f;
            for _ in 0..sps {
                let len = c.be16().ok()?;
                params.push(c.take(usize::from(len)).ok()?.to_vec());
            }
            let pps = c.u8().ok()?;
            for _ in 0..pps {
                let len = c.be16().ok()?;
                params.push(c.take(usize::from(len)).ok()?.to_vec());
            }
            Some((Codec::H264, nal_len, params))
        }
        b"hvc1" | b"hev1" => {
            let mut c = Cursor::new(child(children, b"hvcC")?);
            c.skip(21).ok()?;
            let nal_len = usize::from(c.u8().ok()? & 3) + 1;
            let arrays = c.u8().ok()?;
            for _ in 0..arrays {
                c.u8().ok()?;
                let n = c.be16().ok()?;
                for _ in 0..n {
                    let len = c.be16().ok()?;
                    params.push(c.take(usize::from(len)).ok()?.to_vec());
                }
            }
            Some((Codec::Hevc, nal_len, params))
        }
        _ => None,
    }
}

fn chunk_offsets(stbl: &[u8]) -> Option<Vec<u64>> {
    let (body, wide) = match child(stbl, b"stco") {
        Some(b) => (b, false),
        None => (child(stbl, b"co64")?, true),
    };
    let mut c = Cursor::new(body);
    c.skip(4).ok()?;
    let w = if wide { 8 } else { 4 };
    let n = (c.be32().ok()? as usize).min(c.remaining() / w);
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(if wide {
            c.be64().ok()?
        } else {
            u64::from(c.be32().ok()?)
        });
    }
    Some(v)
}

/// Offsets, sizes and decode times of the `wanted` samples (sorted), in one walk over the
/// chunks and the time-to-sample table.
fn locate(
    sizes: &Sizes,
    stsc: &[u8],
    chunks: &[u64],
    stts: &[u8],
    ctts: Option<&[u8]>,
    wanted: &[u64],
) -> Vec<Sample> {
    let mut out = Vec::with_capacity(wanted.len());
    let Some(&last) = wanted.last() else {
        return out;
    };
    // stsc entries: (first chunk, samples per chunk).
    let entries = sample_to_chunk(stsc);
    // stts runs: (count, delta).
    let mut tc = Cursor::new(stts);
    let n_tt = match (tc.skip(4), tc.be32()) {
        (Ok(()), Ok(n)) => (n as usize).min(tc.remaining() / 8),
        _ => return out,
    };
    let mut runs = Vec::with_capacity(n_tt);
    for _ in 0..n_tt {
        let (Ok(c), Ok(d)) = (tc.be32(), tc.be32()) else {
            break;
        };
        runs.push((u64::from(c), u64::from(d)));
    }
    // ctts runs: (count, offset); version 1 offsets are signed.
    let mut shifts: Vec<(u64, i64)> = Vec::new();
    if let Some(ctts) = ctts {
        let mut c = Cursor::new(ctts);
        let version = c.u8().unwrap_or(0);
        if let (Ok(()), Ok(n)) = (c.skip(3), c.be32()) {
            for _ in 0..(n as usize).min(c.remaining() / 8) {
                let (Ok(count), Ok(off)) = (c.be32(), c.be32()) else {
                    break;
                };
                let off = if version == 1 {
                    i64::from(off as i32)
                } else {
                    i64::from(off)
                };
                shifts.push((u64::from(count), off));
            }
        }
    }
    let (mut shift_run, mut left_in_shift) = (0usize, shifts.first().map_or(0, |r| r.0));
    let (mut run, mut left_in_run, mut ticks) = (0usize, runs.first().map_or(0, |r| r.0), 0u64);
    let mut next = 0usize;
    let mut sample = 1u64;
    let mut entry = 0usize;
    for (ci, &chunk_offset) in chunks.iter().enumerate() {
        let k = ci as u64 + 1;
        while entry + 1 < entries.len() && entries[entry + 1].0 <= k {
            entry += 1;
        }
        let Some(&(_, per)) = entries.get(entry) else {
            break;
        };
        let mut pos = chunk_offset;
        for _ in 0..per.min(sizes.count().saturating_sub(sample - 1)) {
            let size = sizes.get(sample).min(u64::from(u32::MAX)) as u32;
            while left_in_shift == 0 && shift_run + 1 < shifts.len() {
                shift_run += 1;
                left_in_shift = shifts[shift_run].0;
            }
            let shift = shifts.get(shift_run).map_or(0, |r| r.1);
            left_in_shift = left_in_shift.saturating_sub(1);
            if wanted.get(next) == Some(&sample) {
                let ticks = ticks.saturating_add_signed(shift);
                out.push(Sample {
                    number: sample,
                    offset: pos,
                    size,
                    ticks,
                });
                next += 1;
            }
            if sample >= last {
                return out;
            }
            pos = pos.saturating_add(u64::from(size));
            // Advance the clock by this sample's duration.
            while left_in_run == 0 && run + 1 < runs.len() {
                run += 1;
                left_in_run = runs[run].0;
            }
            if let Some(&(_, d)) = runs.get(run) {
                ticks = ticks.saturating_add(d);
                left_in_run = left_in_run.saturating_sub(1);
            }
            sample += 1;
        }
    }
    out
}

/// One sample's NAL units (length-prefixed) rewritten with start codes, after the parameter
/// sets: an access unit a decoder takes on its own.
pub fn annex_b(plan: &Plan, sample: &[u8], with_params: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(sample.len() + 64);
    if with_params {
        for p in &plan.params {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(p);
        }
    }
    for nal in nals(plan, sample) {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    out
}

/// Whether a NAL unit, by its first header byte, is a coded slice (H.264 types 1-5, HEVC
/// types 0-31): an access unit without one gives a decoder nothing to decode.
pub fn is_slice(codec: Codec, header: u8) -> bool {
    match codec {
        Codec::H264 => (1..=5).contains(&(header & 0x1f)),
        Codec::Hevc => (header >> 1) & 0x3f < 32,
    }
}

/// The NAL units of a sample, by their length prefixes (a unit cut short by the sample's end
/// is given as far as it goes, and ends the sample).
pub fn nals<'a>(plan: &Plan, sample: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut c = Cursor::new(sample);
    let nal_len = plan.nal_len;
    std::iter::from_fn(move || {
        if c.remaining() < nal_len.max(1) {
            return None;
        }
        let len = match nal_len {
            1 => c.u8().map(usize::from),
            2 => c.be16().map(usize::from),
            _ => c.be32().map(|v| v as usize),
        }
        .ok()?;
        c.take(len.min(c.remaining())).ok()
    })
}
