//! AMR speech files (RFC 4867 §5, the storage format): what many recorders write in voice
//! mode. A magic line (`#!AMR\n` narrow-band, `#!AMR-WB\n` wide-band), then frames of 20 ms,
//! each a one-byte header whose frame type gives the length of the speech bits that follow.
//! The parser counts frames as the bytes stream past (nothing is kept), so the duration is
//! exact; a frame type the format does not define is a corrupt file, a last frame cut short a
//! truncated one. The multi-channel variants (`#!AMR_MC1.0`) are reported as unsupported.

use super::{Container, MediaInfo, MediaKind, Parsed, Problem, Sink, StreamInfo};

const NB_MAGIC: &[u8] = b"#!AMR\n";
const WB_MAGIC: &[u8] = b"#!AMR-WB\n";

/// Whether a file starts like an AMR file (any variant, so that multi-channel ones are named).
pub fn detect(head: &[u8]) -> bool {
    head.starts_with(b"#!AMR")
}

/// Bytes of speech data after the header byte, by frame type (RFC 4867 §5.3, 3GPP TS 26.101
/// and 26.201); `None` for the types the format reserves.
fn frame_bytes(wide: bool, ft: u8) -> Option<usize> {
    const NB: [usize; 9] = [12, 13, 15, 17, 19, 20, 26, 31, 5];
    const WB: [usize; 10] = [17, 23, 32, 36, 40, 46, 50, 58, 60, 5];
    match (wide, ft) {
        (false, 0..=8) => Some(NB[usize::from(ft)]),
        (true, 0..=9) => Some(WB[usize::from(ft)]),
        (_, 15) | (true, 14) => Some(0),
        _ => None,
    }
}

pub struct AmrSink {
    /// The magic line as read so far (at most 12 bytes are kept).
    head: Vec<u8>,
    /// Narrow- or wide-band, once the magic line is known.
    wide: Option<bool>,
    /// Bytes still to skip of the current frame's speech data.
    left: usize,
    frames: u64,
    offset: u64,
    problem: Option<Problem>,
}

impl AmrSink {
    pub fn new() -> Self {
        AmrSink {
            head: Vec::new(),
            wide: None,
            left: 0,
            frames: 0,
            offset: 0,
            problem: None,
        }
    }

    fn magic(&mut self, data: &[u8]) -> usize {
        let want = 12 - self.head.len();
        let take = want.min(data.len());
        self.head.extend_from_slice(&data[..take]);
        if self.head.starts_with(WB_MAGIC) {
            self.wide = Some(true);
            return WB_MAGIC.len() - (self.head.len() - take);
        }
        if self.head.starts_with(NB_MAGIC) {
            self.wide = Some(false);
            return NB_MAGIC.len() - (self.head.len() - take);
        }
        if self.head.len() >= 12 {
            self.problem = Some(Problem::unsupported(
                "RFC 4867 §5: an AMR variant other than single-channel narrow- or wide-band \
                 (multi-channel files are not parsed)",
            ));
        }
        take
    }
}

impl Default for AmrSink {
    fn default() -> Self {
        Self::new()
    }
}

impl Sink for AmrSink {
    fn feed(&mut self, data: &[u8]) {
        let mut rest = data;
        if self.wide.is_none() && self.problem.is_none() {
            let used = self.magic(rest).min(rest.len());
            self.offset += used as u64;
            rest = &rest[used..];
        }
        let Some(wide) = self.wide else { return };
        while !rest.is_empty() && self.problem.is_none() {
            if self.left > 0 {
                let n = self.left.min(rest.len());
                self.left -= n;
                self.offset += n as u64;
                rest = &rest[n..];
                continue;
            }
            let ft = (rest[0] >> 3) & 0x0f;
            match frame_bytes(wide, ft) {
                Some(n) => {
                    self.left = n;
                    self.frames += 1;
                    self.offset += 1;
                    rest = &rest[1..];
                }
                None => {
                    self.problem = Some(Problem::corrupt(format!(
                        "RFC 4867 §5.3: frame header at offset {} has frame type {ft}, which {} AMR{} does not define",
                        self.offset,
                        if wide { "wide-band" } else { "narrow-band" },
                        if wide { "-WB" } else { "" }
                    )));
                }
            }
        }
    }

    fn finish(self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(Container::Amr);
        let mut problem = self.problem;
        let Some(wide) = self.wide else {
            return Parsed {
                info,
                problem: problem.or_else(|| {
                    Some(Problem::truncated(format!(
                        "RFC 4867 §5: the file ends ({total} bytes) inside the AMR magic line"
                    )))
                }),
            };
        };
        info.kind = MediaKind::Audio;
        let duration = self.frames as f64 * 0.02;
        info.duration_s = Some(duration);
        info.layout = vec![if wide { "#!AMR-WB" } else { "#!AMR" }.to_string()];
        info.streams.push(StreamInfo {
            kind: "audio".into(),
            codec: Some(if wide { "amr_wb" } else { "amr_nb" }.into()),
            codec_tag: Some(if wide { "sawb" } else { "samr" }.into()),
            sample_rate: Some(if wide { 16_000 } else { 8_000 }),
            channels: Some(1),
            duration_s: Some(duration),
            sample_count: Some(self.frames),
            ..Default::default()
        });
        if problem.is_none() && self.left > 0 {
            problem = Some(Problem::truncated(format!(
                "RFC 4867 §5.3: the last frame is cut short by {} bytes at the end of the file ({total} bytes)",
                self.left
            )));
        }
        Parsed { info, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ProblemKind;

    fn parse(bytes: &[u8], chunk: usize) -> Parsed {
        let mut s: Box<dyn Sink> = Box::new(AmrSink::new());
        for c in bytes.chunks(chunk) {
            s.feed(c);
        }
        s.finish(bytes.len() as u64)
    }

    fn frames(magic: &[u8], ft: u8, size: usize, n: usize) -> Vec<u8> {
        let mut v = magic.to_vec();
        for _ in 0..n {
            v.push((ft << 3) | 0x04);
            v.extend(std::iter::repeat_n(0x55, size));
        }
        v
    }

    #[test]
    fn durations_count_frames_of_20_ms_in_any_chunking() {
        let nb = frames(NB_MAGIC, 7, 31, 150);
        for chunk in [1, 3, 7, 64, 4096] {
            let p = parse(&nb, chunk);
            assert_eq!(p.problem, None);
            assert_eq!(p.info.duration_s, Some(3.0));
            assert_eq!(p.info.kind, MediaKind::Audio);
            assert_eq!(p.info.streams[0].codec.as_deref(), Some("amr_nb"));
        }
        let wb = frames(WB_MAGIC, 8, 60, 50);
        let p = parse(&wb, 5);
        assert_eq!((p.problem, p.info.duration_s), (None, Some(1.0)));
        assert_eq!(p.info.streams[0].sample_rate, Some(16_000));
    }

    #[test]
    fn bad_frames_and_cut_files_are_named() {
        let mut bad = frames(NB_MAGIC, 7, 31, 3);
        bad.push(12 << 3);
        let p = parse(&bad, 16);
        assert_eq!(
            p.problem.as_ref().map(|p| p.kind),
            Some(ProblemKind::Corrupt)
        );
        assert!(p.problem.unwrap().message.contains("offset 102"));
        let cut = frames(NB_MAGIC, 7, 31, 3);
        let p = parse(&cut[..cut.len() - 10], 4096);
        assert_eq!(p.problem.map(|p| p.kind), Some(ProblemKind::Truncated));
        let p = parse(b"#!AM", 4096);
        assert_eq!(p.problem.map(|p| p.kind), Some(ProblemKind::Truncated));
        let p = parse(b"#!AMR_MC1.0\n\x00\x00\x00\x01", 4096);
        assert_eq!(p.problem.map(|p| p.kind), Some(ProblemKind::Unsupported));
    }
}
