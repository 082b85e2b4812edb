//! Decoding pictures from hostile files without letting one stop the run.
//!
//! The decoders (`rusty_h264-decoder`, `rusty_h265`, pure Rust) run on decoding threads of
//! their own, kept for the run and handed one job (one file's pictures, a fresh decoder) at a
//! time: a panic is caught on that thread and reported as the file's note (the thread goes on
//! to the next job); a job that runs past its time is abandoned with its thread (left to finish
//! on its own; a new thread takes its place, and after [`ABANDONED_MAX`] such threads the stage
//! stops decoding for the rest of the run); a picture larger than [`MAX_PIXELS`], as its
//! sequence parameter set declares, is not decoded at all, which bounds the memory a decode
//! can take.
//!
//! The threads are kept rather than started per job because a recorder tree is mostly small
//! files: starting and tearing down a thread (its stack mapped and unmapped, on every core's
//! page tables) cost more than a failed decode of a file whose pictures hold nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::media::keyplan::{self, Codec};
use crate::media::{h264, hevc};

/// Largest picture decoded: 4096 x 2304 (a recorder's is at most 2560 x 1440).
pub const MAX_PIXELS: u64 = 4096 * 2304;
/// Abandoned decodes after which the stage decodes nothing more in this run.
pub const ABANDONED_MAX: usize = 4;

static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// A decoded picture's luma plane.
#[derive(Debug, Clone)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
}

/// Why a job decoded nothing, or stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("picture of {0}x{1} is larger than the keyframe stage decodes")]
    TooLarge(u32, u32),
    #[error("the decoder failed: {0}")]
    Failed(String),
    #[error("the decoder panicked: {0}")]
    Panicked(String),
    #[error("decoding took longer than {0} ms and was abandoned")]
    TimedOut(u64),
    #[error("decoding is off for the rest of this run after {0} abandoned decodes")]
    Disabled(usize),
}

/// Checks the declared picture size of the parameter sets before any decode.
pub fn check_size(codec: Codec, params: &[Vec<u8>]) -> Result<(), DecodeError> {
    for p in params {
        let size = match codec {
            Codec::H264 => h264::parse_sps(p).map(|s| (s.width, s.height)),
            Codec::Hevc => hevc::sps_size(p),
        };
        if let Some((w, h)) = size
            && u64::from(w) * u64::from(h) > MAX_PIXELS
        {
            return Err(DecodeError::TooLarge(w, h));
        }
    }
    Ok(())
}

/// NAL units looked at before an access unit's first slice.
const LEADING_NALS_MAX: usize = 64;

/// The sequence parameter sets an Annex B access unit carries before its first slice.
fn leading_sps(codec: Codec, unit: &[u8]) -> Vec<Vec<u8>> {
    let is_sps = |h: u8| match codec {
        Codec::H264 => h & 0x1f == 7,
        Codec::Hevc => (h >> 1) & 0x3f == 33,
    };
    h264::annexb_nals(unit)
        .take(LEADING_NALS_MAX)
        .take_while(|n| n.first().is_none_or(|&h| !keyplan::is_slice(codec, h)))
        .filter(|n| n.first().is_some_and(|&h| is_sps(h)))
        .map(<[u8]>::to_vec)
        .collect()
}

/// Decodes the access units in order with one decoder, keeping the pictures of those marked
/// `true`. Stops at the first error, returning what was decoded before it with the error.
pub fn decode_run(
    codec: Codec,
    units: Vec<(Vec<u8>, bool)>,
    budget: Duration,
) -> (Vec<Option<Picture>>, Option<DecodeError>) {
    decode_units(codec, units, false, budget)
}

/// [`decode_run`] of access units cut to their top rows ([`crate::media::h264_cut`],
/// [`crate::media::hevc_cut`]). The HEVC decoder reports each cut picture's slice as running
/// past the picture's last CTB, after decoding every CTB the picture has: that report is
/// expected of a cut unit and ends nothing.
pub fn decode_cut_run(
    codec: Codec,
    units: Vec<(Vec<u8>, bool)>,
    budget: Duration,
) -> (Vec<Option<Picture>>, Option<DecodeError>) {
    decode_units(codec, units, true, budget)
}

fn decode_units(
    codec: Codec,
    units: Vec<(Vec<u8>, bool)>,
    cut: bool,
    budget: Duration,
) -> (Vec<Option<Picture>>, Option<DecodeError>) {
    // Parameter sets in band (an AVI's, an MP4 that repeats them) may declare another size
    // than the container's: each is checked before its unit reaches a decoder.
    for (unit, _) in &units {
        if let Err(e) = check_size(codec, &leading_sps(codec, unit)) {
            return (Vec::new(), Some(e));
        }
    }
    let abandoned = ABANDONED.load(Ordering::Relaxed);
    if abandoned >= ABANDONED_MAX {
        return (Vec::new(), Some(DecodeError::Disabled(abandoned)));
    }
    let worker = match Worker::take() {
        Ok(w) => w,
        Err(e) => {
            return (
                Vec::new(),
                Some(DecodeError::Failed(format!(
                    "no thread for the decoder: {e}"
                ))),
            );
        }
    };
    if worker.jobs.send((codec, cut, units)).is_err() {
        // The thread ended (it cannot: every job is caught); nothing decoded.
        return (
            Vec::new(),
            Some(DecodeError::Failed("the decoding thread is gone".into())),
        );
    }
    match worker.results.recv_timeout(budget) {
        Ok(Ok(r)) => {
            worker.give_back();
            r
        }
        Ok(Err(what)) => {
            worker.give_back();
            (Vec::new(), Some(DecodeError::Panicked(what)))
        }
        Err(_) => {
            // Dropped with its channels: the thread ends when (if) its job does.
            ABANDONED.fetch_add(1, Ordering::Relaxed);
            (
                Vec::new(),
                Some(DecodeError::TimedOut(budget.as_millis() as u64)),
            )
        }
    }
}

/// A job: the codec, whether the units are cut to their top rows, and the units (each with
/// whether its picture is kept).
type Job = (Codec, bool, Vec<(Vec<u8>, bool)>);
type Decoded = Result<(Vec<Option<Picture>>, Option<DecodeError>), String>;

/// A decoding thread, waiting for jobs: the idle ones are kept in [`IDLE`].
struct Worker {
    jobs: mpsc::Sender<Job>,
    results: mpsc::Receiver<Decoded>,
}

/// Decoding threads between jobs (as many as jobs ran at once: the stage's pool size).
static IDLE: std::sync::Mutex<Vec<Worker>> = std::sync::Mutex::new(Vec::new());

impl Worker {
    /// An idle thread, or a new one.
    fn take() -> std::io::Result<Worker> {
        if let Some(w) = IDLE.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(w);
        }
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (result_tx, results) = mpsc::channel::<Decoded>();
        std::thread::Builder::new()
            .name("keyframe-decode".into())
            .spawn(move || {
                // Ends when its worker is dropped (abandoned, or at exit) and no job is left.
                for (codec, cut, units) in job_rx {
                    let result =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match codec {
                            Codec::H264 => run(units),
                            Codec::Hevc => run_hevc(units, cut),
                        }))
                        .map_err(|panic| crate::panic_text(&*panic));
                    if result_tx.send(result).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Worker { jobs, results })
    }

    fn give_back(self) {
        if let Ok(mut idle) = IDLE.lock() {
            idle.push(self);
        }
    }
}

fn run(units: Vec<(Vec<u8>, bool)>) -> (Vec<Option<Picture>>, Option<DecodeError>) {
    let mut decoder = rusty_h264_decoder::Decoder::new();
    let mut out = Vec::new();
    for (au, keep) in units {
        match decoder.decode(&au) {
            Ok(frame) => {
                if keep {
                    out.push(frame.map(|f| Picture {
                        width: f.width,
                        height: f.height,
                        y: f.y,
                    }));
                }
            }
            Err(e) => return (out, Some(DecodeError::Failed(format!("{e:?}")))),
        }
    }
    (out, None)
}

/// HEVC: the decoder hands pictures out in presentation order, so each access unit goes in
/// with its index as its timestamp and each picture is put back at its unit's place.
fn run_hevc(units: Vec<(Vec<u8>, bool)>, cut: bool) -> (Vec<Option<Picture>>, Option<DecodeError>) {
    let mut decoder = rusty_h265::Decoder::new();
    let keep: Vec<bool> = units.iter().map(|(_, k)| *k).collect();
    let mut by_unit: Vec<Option<Picture>> = vec![None; units.len()];
    let mut error = None;
    let take = |decoder: &mut rusty_h265::Decoder, by_unit: &mut Vec<Option<Picture>>| {
        while let Ok(frame) = decoder.next_frame() {
            let Some(i) = frame.pts.and_then(|p| usize::try_from(p).ok()) else {
                continue;
            };
            if keep.get(i) == Some(&true) {
                by_unit[i] = luma(&frame);
            }
        }
    };
    for (i, (au, _)) in units.into_iter().enumerate() {
        match decoder.push_annexb(&au, Some(i as i64)) {
            Err(e) if !(cut && ran_past_cut(&e)) => {
                error = Some(DecodeError::Failed(format!("{e:?}")));
                break;
            }
            _ => {}
        }
        take(&mut decoder, &mut by_unit);
    }
    decoder.flush();
    take(&mut decoder, &mut by_unit);
    let kept = by_unit
        .into_iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| p)
        .collect();
    (kept, error)
}

/// Whether `e` is the HEVC decoder's report of a slice segment going on past the picture's
/// last CTB: what a picture cut to its top rows gives once they are decoded.
fn ran_past_cut(e: &rusty_h265::Error) -> bool {
    matches!(e, rusty_h265::Error::InvalidData(m) if m == "slice segment runs past the last CTB")
}

/// The cropped luma plane of an HEVC picture, at 8 bits.
fn luma(frame: &rusty_h265::Frame) -> Option<Picture> {
    let p = &frame.picture;
    let plane = &p.planes[0];
    let (cx, cy, cw, ch) = p.crop;
    let shift = u32::from(p.bit_depth_luma.saturating_sub(8));
    let mut y = Vec::with_capacity(cw * ch);
    for r in cy..cy + ch {
        let row = plane
            .data
            .get(r * plane.stride + cx..r * plane.stride + cx + cw)?;
        y.extend(row.iter().map(|&v| (v >> shift).min(255) as u8));
    }
    Some(Picture {
        width: cw,
        height: ch,
        y,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An access unit in Annex B: `nals` each after a start code.
    fn unit(nals: &[&[u8]]) -> Vec<u8> {
        nals.iter()
            .flat_map(|n| [&[0u8, 0, 0, 1][..], n].concat())
            .collect()
    }

    #[test]
    fn a_picture_size_declared_in_band_is_checked_before_any_decode() {
        let (small, pps) = crate::sample::boxes::parameter_sets(1280, 720);
        let (huge, _) = crate::sample::boxes::parameter_sets(8192, 8192);
        let slice: &[u8] = &[0x65, 0x88, 0x84, 0x00];
        // A unit whose in-band SPS declares 8192x8192, after the container's 1280x720 one.
        let hostile = unit(&[&small, &pps, &huge, slice]);
        assert_eq!(
            leading_sps(Codec::H264, &hostile),
            vec![small.clone(), huge]
        );
        let (pictures, err) =
            decode_run(Codec::H264, vec![(hostile, true)], Duration::from_secs(5));
        assert!(pictures.is_empty());
        assert_eq!(err, Some(DecodeError::TooLarge(8192, 8192)));
        // Only what comes before the first slice counts: a slice's bytes are never taken for one.
        let after = unit(&[&small, slice, &[0x67, 0x42]]);
        assert_eq!(leading_sps(Codec::H264, &after), vec![small]);
        assert!(leading_sps(Codec::H264, &[0, 0, 1]).is_empty());
        assert!(leading_sps(Codec::Hevc, &[]).is_empty());
    }
}
