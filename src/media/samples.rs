//! What an MP4's samples say beyond its sample descriptions, read without a second pass over
//! the file:
//!
//! - **In-band parameter sets.** Many recorders repeat H.264 SPS/PPS inside the samples at
//!   every IDR. Footage spliced in by stream copy keeps the container's one sample description;
//!   its other picture format shows only in the SPS carried in its own keyframes. From the
//!   sample table ([`sync_heads`]) the parser learns where each sync sample starts, asks the
//!   reader for its first [`REVISIT_LEN`] bytes (see [`super::Sink::revisit`]) and reads the
//!   SPS there ([`sps_in_head`]).
//! - **A stretch at another frame rate** ([`rate_stretch`]): sample durations that run at one
//!   steady value, then another for a stretch, then the first again — a splice of footage
//!   recorded at another rate. A single long sample is a timestamp jump, judged elsewhere.
//!
//! Every count read from the file is bounded by the bytes that hold it; at most
//! [`REVISIT_MAX`] sync samples are located.

use super::cursor::Cursor;
use super::h264;
use super::{REVISIT_LEN, REVISIT_MAX, RateStretch};

/// The per-sample sizes of `stsz` (ISO/IEC 14496-12 §8.7.3.2): one size for all, or a table.
pub(super) enum Sizes<'a> {
    Fixed(u32, u64),
    Table(&'a [u8]),
}

impl Sizes<'_> {
    pub(super) fn parse(stsz: &[u8]) -> Option<Sizes<'_>> {
        let mut c = Cursor::new(stsz);
        c.skip(4).ok()?;
        let size = c.be32().ok()?;
        let count = u64::from(c.be32().ok()?);
        if size != 0 {
            return Some(Sizes::Fixed(size, count));
        }
        let n = count.min(c.remaining() as u64 / 4) as usize;
        c.take(n * 4).ok().map(Sizes::Table)
    }
    pub(super) fn count(&self) -> u64 {
        match self {
            Sizes::Fixed(_, n) => *n,
            Sizes::Table(t) => t.len() as u64 / 4,
        }
    }
    /// Size of sample `i` (1-based).
    pub(super) fn get(&self, i: u64) -> u64 {
        match self {
            Sizes::Fixed(s, _) => u64::from(*s),
            Sizes::Table(t) => {
                let k = (i.saturating_sub(1) * 4) as usize;
                t.get(k..k + 4).map_or(0, |b| {
                    u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                })
            }
        }
    }
}

/// `(first_chunk, samples_per_chunk)` of each `stsc` entry (§8.7.4), bounded by its bytes.
pub(super) fn sample_to_chunk(stsc: &[u8]) -> Vec<(u64, u64)> {
    let mut c = Cursor::new(stsc);
    let (Ok(()), Ok(n)) = (c.skip(4), c.be32()) else {
        return Vec::new();
    };
    let n = (n as usize).min(c.remaining() / 12);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (Ok(first), Ok(per), Ok(_)) = (c.be32(), c.be32(), c.be32()) else {
            break;
        };
        out.push((u64::from(first), u64::from(per)));
    }
    out
}

/// Sync sample numbers of `stss` (§8.6.2), increasing, at most `max`; `None` without the box
/// (every sample is a sync sample) or with one too short for its count.
pub(super) fn sync_samples(stss: Option<&[u8]>, max: usize) -> Option<Vec<u64>> {
    let mut c = Cursor::new(stss?);
    c.skip(4).ok()?;
    let n = (c.be32().ok()? as usize).min(c.remaining() / 4);
    let mut out = Vec::with_capacity(n.min(max));
    let mut last = 0;
    for _ in 0..n {
        let Ok(s) = c.be32() else { break };
        let s = u64::from(s);
        if s > last {
            out.push(s);
            last = s;
        }
        if out.len() >= max {
            break;
        }
    }
    Some(out)
}

/// The sync samples' first bytes: (sample number, file offset, bytes to read), at most
/// [`REVISIT_MAX`], from a track's `stsz`, `stsc`, chunk offsets and `stss`.
pub fn sync_heads(
    stsz: &[u8],
    stsc: &[u8],
    chunks: &[u64],
    stss: Option<&[u8]>,
) -> Vec<(u64, u64, u32)> {
    let (Some(sizes), entries) = (Sizes::parse(stsz), sample_to_chunk(stsc)) else {
        return Vec::new();
    };
    let syncs = sync_samples(stss, REVISIT_MAX);
    let total = sizes.count();
    let mut next = 0usize; // position in `syncs`
    let mut heads = Vec::new();
    let mut entry = 0usize;
    let mut sample = 1u64; // first sample of the current chunk
    for (ci, &offset) in chunks.iter().enumerate() {
        let k = ci as u64 + 1;
        while entry + 1 < entries.len() && entries[entry + 1].0 <= k {
            entry += 1;
        }
        let Some(&(_, per)) = entries.get(entry) else {
            break;
        };
        let end = sample.saturating_add(per).min(total + 1);
        // Offsets inside the chunk, summed as far as the last sync sample in it.
        let (mut at, mut pos) = (sample, offset);
        loop {
            let s = match &syncs {
                Some(v) => match v.get(next) {
                    Some(&s) => s,
                    None => return heads,
                },
                None => at,
            };
            if s >= end {
                break;
            }
            if s < sample {
                next += 1;
                continue;
            }
            match sizes {
                // One size for all: no walk over the samples before it (their count is the
                // file's word, up to four billion).
                Sizes::Fixed(size, _) => {
                    pos = offset.saturating_add((s - sample).saturating_mul(u64::from(size)));
                    at = s;
                }
                Sizes::Table(_) => {
                    while at < s {
                        pos = pos.saturating_add(sizes.get(at));
                        at += 1;
                    }
                }
            }
            let len = sizes.get(s).min(u64::from(REVISIT_LEN)) as u32;
            heads.push((s, pos, len));
            if heads.len() >= REVISIT_MAX {
                return heads;
            }
            next += 1;
            if syncs.is_none() {
                pos = pos.saturating_add(sizes.get(at));
                at += 1;
            }
        }
        sample = end;
        if sample > total {
            break;
        }
    }
    heads
}

/// The picture formats (profile, width, height) of the SPS NAL units at the start of a sample
/// (length-prefixed NAL units, `nal_len` bytes of length), up to its first picture slice.
pub fn sps_in_head(head: &[u8], nal_len: usize) -> Vec<h264::Sps> {
    let mut out = Vec::new();
    let mut rest = head;
    while (1..=4).contains(&nal_len) && rest.len() > nal_len {
        let len = rest[..nal_len]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        rest = &rest[nal_len..];
        let Some(&header) = rest.first() else { break };
        if len == 0 {
            break;
        }
        match header & 0x1f {
            // A whole SPS only: a cut one could parse to a wrong size.
            7 if len <= rest.len() => {
                if let Some(sps) = h264::parse_sps(&rest[..len]) {
                    out.push(sps);
                }
            }
            1..=5 => break,
            _ => {}
        }
        if len >= rest.len() {
            break;
        }
        rest = &rest[len..];
    }
    out
}

/// Chunk offsets kept per track to place sync samples (8 MiB at most).
pub const CHUNKS_MAX: usize = 1 << 20;

/// Runs of equal sample durations: (duration, samples, decode time of the first), at most
/// this many kept (a variable-rate track has many short runs and no stretch to find).
pub const RUNS_MAX: usize = 4096;

/// A stretch at another steady rate between two runs of the track's usual one. Runs shorter
/// than a second or ten samples are ignored (the odd sample at a join); the rates must differ
/// by more than 10% and the two outer runs agree within 2%.
pub fn rate_stretch(runs: &[(u64, u64, u64)], timescale: u32) -> Option<RateStretch> {
    if timescale == 0 {
        return None;
    }
    let ts = u64::from(timescale);
    // Each run with the number of its first sample (runs are kept from the track's start).
    let mut number = 1u64;
    let long: Vec<(&(u64, u64, u64), u64)> = runs
        .iter()
        .map(|r| {
            let first = number;
            number = number.saturating_add(r.1);
            (r, first)
        })
        .filter(|((d, n, _), _)| *d > 0 && *n >= 10 && d.saturating_mul(*n) >= ts)
        .collect();
    let near = |a: u64, b: u64, tol: f64| (a as f64 - b as f64).abs() <= tol * a.max(b) as f64;
    let last = |(r, first): (&(u64, u64, u64), u64)| first.saturating_add(r.1 - 1);
    long.windows(3).find_map(|w| {
        let ((a, _), (b, b_first), (c, c_first)) = (w[0], w[1], w[2]);
        (near(a.0, c.0, 0.02) && !near(a.0, b.0, 0.10)).then(|| RateStretch {
            at_s: b.2 as f64 / ts as f64,
            length_s: b.0.saturating_mul(b.1) as f64 / ts as f64,
            usual_rate: ts as f64 / a.0 as f64,
            stretch_rate: ts as f64 / b.0 as f64,
            edges: [(last(w[0]), b_first), (last(w[1]), c_first)],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be(v: &[u32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    #[test]
    fn sync_sample_heads_from_the_sample_table() {
        // 6 samples of sizes 10..15, 2 per chunk at 1000, 2000, 3000; sync samples 1 and 4.
        let stsz = be(&[0, 0, 6, 10, 11, 12, 13, 14, 15]);
        let stsc = be(&[0, 1, 1, 2, 1]);
        let stss = be(&[0, 2, 1, 4]);
        let heads = sync_heads(&stsz, &stsc, &[1000, 2000, 3000], Some(&stss));
        assert_eq!(heads, vec![(1, 1000, 10), (4, 2012, 13)]);
        // Without stss every sample is a sync sample.
        let all = sync_heads(&stsz, &stsc, &[1000, 2000, 3000], None);
        assert_eq!(all.len(), 6);
        assert_eq!(all[5], (6, 3014, 15));
        // A hostile count (4 billion samples of one size in one chunk) is computed, not walked;
        // an offset past the file's end is read as nothing.
        let stsz = be(&[0, 100, u32::MAX]);
        let stss = be(&[0, 2, 1, 3_000_000_000]);
        let heads = sync_heads(&stsz, &be(&[0, 1, 1, u32::MAX, 1]), &[0], Some(&stss));
        assert_eq!(
            heads,
            vec![(1, 0, 100), (3_000_000_000, 299_999_999_900, 100)]
        );
    }

    #[test]
    fn parameter_sets_at_the_start_of_a_sample() {
        // The SPS of a 160x120 High-profile fixture (x264), then a PPS, then an IDR slice.
        let sps = [
            0x67, 0x64, 0x00, 0x0a, 0xac, 0xd9, 0x42, 0x84, 0x7e, 0x5c, 0x04, 0x40, 0x00, 0x00,
            0x03, 0x00, 0x40, 0x00, 0x00, 0x05, 0x03, 0xc4, 0x89, 0x65, 0x80,
        ];
        let mut head = Vec::new();
        head.extend_from_slice(&(sps.len() as u32).to_be_bytes());
        head.extend_from_slice(&sps);
        head.extend_from_slice(&[0, 0, 0, 4, 0x68, 0xeb, 0xe3, 0xcb]);
        head.extend_from_slice(&[0, 0, 0, 9, 0x65, 0x88, 0x84]);
        let got = sps_in_head(&head, 4);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].width, got[0].height), (160, 120));
        // Cut inside the SPS: nothing, rather than a guess.
        assert!(sps_in_head(&head[..12], 4).is_empty());
        assert!(sps_in_head(&head, 0).is_empty());
    }

    #[test]
    fn a_stretch_at_another_rate_between_two_runs_of_the_usual_one() {
        // 10 fps for 3 s, 5 fps for 3 s, 10 fps for 3 s, timescale 1000, one odd sample at a join.
        let runs = [
            (100, 30, 0),
            (150, 1, 3000),
            (200, 14, 3150),
            (100, 30, 5950),
        ];
        let s = rate_stretch(&runs, 1000).unwrap();
        assert_eq!((s.at_s, s.length_s), (3.15, 2.8));
        assert_eq!((s.usual_rate, s.stretch_rate), (10.0, 5.0));
        // Samples 1-30, the odd one 31, the stretch 32-45, the usual rate again from 46.
        assert_eq!(s.edges, [(30, 32), (45, 46)]);
        // A change that stays (a new rate to the end) is no stretch; nor is jitter.
        assert!(rate_stretch(&[(100, 30, 0), (200, 30, 3000)], 1000).is_none());
        assert!(rate_stretch(&[(100, 30, 0), (101, 30, 3000), (100, 30, 6030)], 1000).is_none());
    }
}
