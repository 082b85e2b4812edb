//! Audio elementary streams: MPEG audio (ISO/IEC 11172-3 and 13818-3, Layers I, II and III:
//! `.mp3`, `.mp2`) and AAC in ADTS framing (ISO/IEC 13818-7 §6.2 and 14496-3 §1.A.2: `.aac`).
//! Many recorders write their voice mode as one of these; before 2026-12-07 they were hashed
//! but not parsed (`unsupported`), so a voice recording had no length and no session.
//!
//! Both are runs of frames, each opening with a header that gives its own length and how many
//! samples it holds, so the parser walks from header to header as the bytes stream past and
//! keeps nothing but a header's few bytes: the duration is the samples counted, exact. Around
//! the frames it allows what real files carry: an ID3v2 tag at the start (and zero bytes after
//! it), an encoder's information frame (`Xing`, `Info`, `VBRI`: no sound, not counted), and
//! tags at the end (ID3v1 `TAG`, APEv2, Lyrics3) or zero bytes padding the file. Anything else
//! where a frame should begin is named with its offset: bytes that are no frame between frames
//! make the file corrupt (a stretch lost or overwritten), a last frame cut short a truncated one.
//! A free-format MPEG stream (no bit rate in its headers) is reported as unsupported.
//!
//! Hand-written rather than taken from a crate: the decoders on crates.io (symphonia and
//! others) read a file through their own reader, while recaudit feeds each byte once to the
//! hasher and every parser together; what is needed here is the frame header's arithmetic.

use super::{Container, MediaInfo, MediaKind, Parsed, Problem, Sink, StreamInfo};

/// Header bytes looked at before a frame is accepted: ADTS needs seven (its frame count is in
/// the seventh); an MPEG audio frame is always longer than that.
const HEADER: usize = 7;
/// An ID3v2 tag's header.
const ID3_HEADER: usize = 10;
/// How far past the start (or the ID3v2 tag) the first frame is looked for.
const FIRST_FRAME_WITHIN: u64 = 64 << 10;
/// Bytes after the frames looked at one by one for a frame again, at most.
const JUNK_SCAN_MAX: u64 = 1 << 20;
/// The bytes of an encoder's information frame looked at (`VBRI` sits 36 bytes in).
const PROBE: usize = 48;

/// Whether a file starts like one of these streams: an ID3v2 tag, or a frame header followed
/// (within what was sniffed) by another at the place the first says; a lone header only when
/// the name says such a file (`mp3`, `mp2`, `mpa`, `aac`).
pub fn detect(head: &[u8], ext: &str) -> bool {
    if head.starts_with(b"ID3") && head.len() >= ID3_HEADER && syncsafe(&head[6..10]).is_some() {
        return true;
    }
    let Some(first) = head.get(..HEADER).and_then(Header::parse) else {
        return false;
    };
    match head
        .get(first.len..first.len + HEADER)
        .and_then(Header::parse)
    {
        Some(next) => next.same_stream(&first),
        None => head.len() < first.len + HEADER && matches!(ext, "mp3" | "mp2" | "mpa" | "aac"),
    }
}

/// Whether `b` is an MPEG audio header but for its bit-rate index 0 (free format).
fn free_format(b: &[u8]) -> bool {
    b.len() >= 3
        && b[0] == 0xFF
        && b[1] & 0xE0 == 0xE0
        && (b[1] >> 1) & 3 != 0
        && (b[1] >> 3) & 3 != 1
        && b[2] >> 4 == 0
        && (b[2] >> 2) & 3 != 3
}

/// A 28-bit size written seven bits a byte (ID3v2 §3.1); `None` when a byte has its top bit set.
fn syncsafe(b: &[u8]) -> Option<u64> {
    b.iter().try_fold(0u64, |acc, &x| {
        (x < 0x80).then_some((acc << 7) | u64::from(x))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// MPEG audio: version (1, 2, or 25 for MPEG-2.5) and layer (1, 2 or 3).
    Mpeg { version: u8, layer: u8 },
    /// ADTS: the AAC profile (audio object type minus one).
    Adts { profile: u8 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    kind: Kind,
    sample_rate: u32,
    channels: u16,
    /// The whole frame, header included.
    len: usize,
    samples: u32,
    /// Whether a CRC follows the header (it moves an information frame's tag).
    crc: bool,
    /// MPEG audio's bit rate in kbit/s.
    kbps: u32,
}

const MPEG_RATES: [[u32; 3]; 3] = [
    [44_100, 48_000, 32_000],
    [22_050, 24_000, 16_000],
    [11_025, 12_000, 8_000],
];
const ADTS_RATES: [u32; 13] = [
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
    7_350,
];

/// Bit rates in kbit/s by index 1-14 (ISO/IEC 11172-3 §2.4.2.3, 13818-3 §2.5.2.3).
fn kbps(version: u8, layer: u8, index: u8) -> Option<u32> {
    const V1: [[u32; 14]; 3] = [
        [
            32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        [
            32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        [
            32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
    ];
    const V2_L1: [u32; 14] = [
        32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ];
    const V2_L23: [u32; 14] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let i = usize::from(index).checked_sub(1).filter(|&i| i < 14)?;
    Some(match (version, layer) {
        (1, l) => V1[usize::from(l) - 1][i],
        (_, 1) => V2_L1[i],
        _ => V2_L23[i],
    })
}

impl Header {
    /// The header at the start of `b` (at least [`HEADER`] bytes), if it is a valid one. A
    /// free-format MPEG header (bit-rate index 0) is not: its frame length is not in it.
    fn parse(b: &[u8]) -> Option<Header> {
        let b: &[u8; HEADER] = b.get(..HEADER)?.try_into().ok()?;
        if b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
            return None;
        }
        let layer_bits = (b[1] >> 1) & 3;
        let crc = b[1] & 1 == 0;
        if layer_bits == 0 {
            // ADTS: a 12-bit sync word, layer 0.
            if b[1] & 0xF0 != 0xF0 {
                return None;
            }
            let profile = b[2] >> 6;
            let rate = *ADTS_RATES.get(usize::from((b[2] >> 2) & 0x0F))?;
            let channels = u16::from(((b[2] & 1) << 2) | (b[3] >> 6));
            let len =
                (usize::from(b[3] & 3) << 11) | (usize::from(b[4]) << 3) | usize::from(b[5] >> 5);
            let header = if crc { 9 } else { 7 };
            if len <= header {
                return None;
            }
            let blocks = u32::from(b[6] & 3) + 1;
            return Some(Header {
                kind: Kind::Adts { profile },
                sample_rate: rate,
                channels,
                len,
                samples: 1024 * blocks,
                crc,
                kbps: 0,
            });
        }
        let version = match (b[1] >> 3) & 3 {
            0 => 25,
            2 => 2,
            3 => 1,
            _ => return None,
        };
        let layer = 4 - layer_bits;
        let rate_row = match version {
            1 => 0,
            2 => 1,
            _ => 2,
        };
        let rate = *MPEG_RATES[rate_row].get(usize::from((b[2] >> 2) & 3))?;
        let kbps = kbps(version, layer, b[2] >> 4)?;
        if b[3] & 3 == 2 {
            return None; // a reserved emphasis
        }
        let pad = u32::from((b[2] >> 1) & 1);
        let (len, samples) = match layer {
            1 => ((12 * kbps * 1000 / rate + pad) * 4, 384),
            2 => (144 * kbps * 1000 / rate + pad, 1152),
            _ if version == 1 => (144 * kbps * 1000 / rate + pad, 1152),
            _ => (72 * kbps * 1000 / rate + pad, 576),
        };
        Some(Header {
            kind: Kind::Mpeg { version, layer },
            sample_rate: rate,
            channels: if b[3] >> 6 == 3 { 1 } else { 2 },
            len: len as usize,
            samples,
            crc,
            kbps,
        })
    }

    /// Whether `self` can follow `first` in one stream: the same kind of frame at the same
    /// sample rate (channel modes and bit rates may change from frame to frame).
    fn same_stream(&self, first: &Header) -> bool {
        self.kind == first.kind && self.sample_rate == first.sample_rate
    }

    /// Where an encoder's information tag would sit in this frame (MPEG audio Layer III).
    fn info_tag_at(&self) -> Option<usize> {
        let Kind::Mpeg { version, layer: 3 } = self.kind else {
            return None;
        };
        let side = match (version == 1, self.channels == 1) {
            (true, true) => 17,
            (true, false) => 32,
            (false, true) => 9,
            (false, false) => 17,
        };
        Some(4 + if self.crc { 2 } else { 0 } + side)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before anything: an ID3v2 tag or the first frame.
    Start,
    /// Looking for the next frame header.
    Frames,
    /// Past the frames: a tag at the end, read to the end of the file.
    Tail,
}

/// Bytes that were no frame: where they began, how many, whether all were zero.
#[derive(Debug, Clone, Copy)]
struct Junk {
    at: u64,
    bytes: u64,
    zeros: bool,
}

pub struct MpaSink {
    state: State,
    /// The header bytes gathered so far (an ID3v2 header needs ten).
    win: [u8; ID3_HEADER],
    have: usize,
    /// Bytes of the current frame (or tag) still to pass over.
    skip: u64,
    offset: u64,
    /// Where the frames may begin (past an ID3v2 tag).
    audio_from: u64,
    first: Option<Header>,
    /// Whether a frame of the first frame's stream followed it.
    first_confirmed: bool,
    frames: u64,
    samples: u64,
    frame_bytes: u64,
    channels: u16,
    /// The first frame's bytes past its header, to look for an information tag.
    probe: Vec<u8>,
    probe_want: usize,
    /// Where in the first frame the probe begins (the header bytes the window held).
    probe_from: usize,
    id3: bool,
    /// Where an ID3v2 tag after the first frame began.
    later_id3: Option<u64>,
    tail_tag: Option<&'static str>,
    /// The stretch of non-frame bytes being passed over, and the first such stretch that was
    /// followed by frames again.
    junk: Option<Junk>,
    inner_junk: Option<Junk>,
    /// A frame found past junk, not yet followed by another.
    provisional: Option<(Junk, Header)>,
    problem: Option<Problem>,
}

impl MpaSink {
    pub fn new() -> Self {
        MpaSink {
            state: State::Start,
            win: [0; ID3_HEADER],
            have: 0,
            skip: 0,
            offset: 0,
            audio_from: 0,
            first: None,
            first_confirmed: false,
            frames: 0,
            samples: 0,
            frame_bytes: 0,
            channels: 0,
            probe: Vec::new(),
            probe_want: 0,
            probe_from: HEADER,
            id3: false,
            later_id3: None,
            tail_tag: None,
            junk: None,
            inner_junk: None,
            provisional: None,
            problem: None,
        }
    }

    /// The header window is full: decide what it holds (a tag, a frame, or a byte of junk to
    /// pass over), consuming its bytes as far as the decision goes.
    fn decide(&mut self) {
        let start = self.offset - self.have as u64;
        if self.win.starts_with(b"ID3") && (self.state == State::Start || self.first.is_some()) {
            if self.have < ID3_HEADER {
                return; // three more bytes for the size
            }
            if let Some(size) = syncsafe(&self.win[6..10]) {
                // An ID3v2 tag: at the start, or after frames (a tag appended at the end, or
                // two files joined); passed over either way.
                let footer = if self.win[5] & 0x10 != 0 { 10 } else { 0 };
                self.skip = size + footer;
                if self.first.is_none() {
                    self.audio_from = start + ID3_HEADER as u64 + self.skip;
                } else {
                    self.end_junk();
                    self.later_id3.get_or_insert(start);
                }
                self.id3 = true;
                self.have = 0;
                self.state = State::Frames;
                return;
            }
        }
        if self.state == State::Start {
            self.state = State::Frames;
        }
        let parsed = Header::parse(&self.win[..HEADER]);
        // The first frame is taken for one only when a frame of its stream follows it: past an
        // ID3v2 tag and bytes that are no frame, a header may begin by chance. One that no
        // frame follows is forgotten, and the first frame looked for again from here.
        if self.frames == 1
            && !self.first_confirmed
            && !parsed.is_some_and(|h| self.first.is_some_and(|f| h.same_stream(&f)))
        {
            self.first = None;
            self.frames = 0;
            self.samples = 0;
            self.frame_bytes = 0;
            self.channels = 0;
            self.probe.clear();
            self.probe_want = 0;
        }
        let header = parsed.filter(|h| self.first.is_none_or(|f| h.same_stream(&f)));
        if let Some(h) = header {
            // A frame found past bytes that were none is taken for one only when a frame
            // follows it where it says (by chance, one junk byte in some tens of thousands
            // begins a valid header); until then it is provisional.
            if let Some((j, _)) = self.provisional.take() {
                self.inner_junk.get_or_insert(j);
            }
            let after_junk = self.junk.is_some();
            if let Some(j) = self.junk.take()
                && self.first.is_some()
            {
                self.provisional = Some((j, h));
            }
            if self.first.is_some() {
                self.first_confirmed = true;
            } else {
                // Where the audio begins, a frame is what the file says; past bytes that were
                // none, it waits for a second.
                self.first_confirmed = !after_junk;
                self.first = Some(h);
                self.probe_want = PROBE.min(h.len.saturating_sub(self.have));
                self.probe_from = self.have;
            }
            self.frames += 1;
            self.samples += u64::from(h.samples);
            self.frame_bytes += h.len as u64;
            self.channels = self.channels.max(h.channels);
            // The window's bytes are the frame's first; any past its end begin the next.
            if h.len < self.have {
                self.win.copy_within(h.len..self.have, 0);
                self.have -= h.len;
                self.skip = 0;
            } else {
                self.skip = (h.len - self.have) as u64;
                self.have = 0;
            }
            return;
        }
        if let Some((j, p)) = self.provisional.take() {
            self.unfind(j, p, start);
        }
        if self.first.is_some() {
            let tag = [
                (&b"TAG"[..], "ID3v1"),
                (b"APETAG", "APEv2"),
                (b"LYRICS", "Lyrics3"),
            ]
            .iter()
            .find(|(magic, _)| self.win[..HEADER].starts_with(magic))
            .map(|(_, name)| *name);
            if let Some(name) = tag {
                self.tail_tag = Some(name);
                self.state = State::Tail;
                self.have = 0;
                return;
            }
        }
        if self.first.is_none() && free_format(&self.win[..HEADER]) {
            self.problem = Some(Problem::unsupported(format!(
                "ISO/IEC 11172-3 §2.4.2.3: a free-format MPEG audio stream (no bit rate in its frame headers) at offset {start}: not parsed"
            )));
            return;
        }
        if self.first.is_none() && start >= self.audio_from + FIRST_FRAME_WITHIN {
            self.problem = Some(Problem::corrupt(format!(
                "ISO/IEC 11172-3 §2.4.1.3: no MPEG audio or ADTS frame header within {} bytes of offset {}",
                FIRST_FRAME_WITHIN, self.audio_from
            )));
            return;
        }
        if self.junk.is_none()
            && self
                .first
                .is_some_and(|f| parsed.is_some_and(|h| !h.same_stream(&f)))
        {
            // A valid header of another stream where the next frame should be: not resynced
            // to (it is another recording's), reported as it is.
            self.problem = Some(Problem::corrupt(format!(
                "ISO/IEC 11172-3 §2.4.2.3: the frame at offset {start} is of another stream than the first (its kind or sample rate differs)"
            )));
            return;
        }
        // Not a frame: pass one byte over and look again.
        let b = self.win[0];
        match &mut self.junk {
            Some(j) => {
                j.bytes += 1;
                j.zeros &= b == 0;
            }
            None => {
                self.junk = Some(Junk {
                    at: start,
                    bytes: 1,
                    zeros: b == 0,
                })
            }
        }
        self.win.copy_within(1..self.have, 0);
        self.have -= 1;
        // Bytes are looked at one by one here: past a bound, the rest of the file is taken as
        // the same stretch unlooked at (a hostile file of one frame and gigabytes of junk costs
        // a pass, not a search).
        if self.first.is_some() && self.junk.is_some_and(|j| j.bytes >= JUNK_SCAN_MAX) {
            if let Some(j) = &mut self.junk {
                j.bytes += self.have as u64;
                j.zeros &= self.win[..self.have].iter().all(|&b| b == 0);
            }
            self.have = 0;
            self.state = State::Tail;
        }
    }

    /// The provisional frame `p` found past the junk `j` was none (no frame follows it at
    /// `next`): it is part of the junk, which runs on to `next`.
    fn unfind(&mut self, j: Junk, p: Header, next: u64) {
        self.frames -= 1;
        self.samples -= u64::from(p.samples);
        self.frame_bytes -= p.len as u64;
        self.junk = Some(Junk {
            at: j.at,
            bytes: next - j.at,
            zeros: false,
        });
    }

    /// Frames follow the bytes just passed over: they were inside the audio.
    fn end_junk(&mut self) {
        if let Some(j) = self.junk.take()
            && self.first.is_some()
            && self.inner_junk.is_none()
        {
            self.inner_junk = Some(j);
        }
    }
}

impl Default for MpaSink {
    fn default() -> Self {
        Self::new()
    }
}

impl Sink for MpaSink {
    fn feed(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() && self.problem.is_none() {
            if self.state == State::Tail {
                self.offset += rest.len() as u64;
                if self.tail_tag.is_none()
                    && let Some(j) = &mut self.junk
                {
                    j.bytes += rest.len() as u64;
                    j.zeros &= rest.iter().all(|&b| b == 0);
                }
                return;
            }
            if self.skip > 0 {
                let n = usize::try_from(self.skip).map_or(rest.len(), |s| s.min(rest.len()));
                if self.probe.len() < self.probe_want {
                    let take = (self.probe_want - self.probe.len()).min(n);
                    self.probe.extend_from_slice(&rest[..take]);
                }
                self.skip -= n as u64;
                self.offset += n as u64;
                rest = &rest[n..];
                continue;
            }
            let need = if self.have >= 3 && self.win.starts_with(b"ID3") {
                ID3_HEADER
            } else {
                HEADER
            };
            // The window may hold more than a header needs (ten bytes read for an ID3v2 size
            // that was none): then it is decided on as it is.
            if self.have < need {
                let take = (need - self.have).min(rest.len());
                self.win[self.have..self.have + take].copy_from_slice(&rest[..take]);
                self.have += take;
                self.offset += take as u64;
                rest = &rest[take..];
            }
            if self.have >= need {
                self.decide();
            }
        }
    }

    fn finish(self: Box<Self>, total: u64) -> Parsed {
        let mut this = *self;
        if let Some((j, p)) = this.provisional.take() {
            // The file ends after (or inside) a frame found past junk: junk to the end.
            this.unfind(j, p, total);
            this.skip = 0;
            this.have = 0;
            this.state = State::Tail;
        }
        let container = match this.first.map(|f| f.kind) {
            Some(Kind::Adts { .. }) => Container::Aac,
            _ => Container::Mp3,
        };
        let mut info = MediaInfo::new(container);
        let mut problem = this.problem;
        let Some(first) = this.first else {
            return Parsed {
                info,
                problem: problem.or_else(|| {
                    Some(Problem::truncated(format!(
                        "ISO/IEC 11172-3 §2.4.1.3: the file ends ({total} bytes) before its first audio frame"
                    )))
                }),
            };
        };
        // An encoder's information frame holds no sound.
        let mut frames = this.frames;
        let mut samples = this.samples;
        let tag_at = |o: usize, t: &[u8]| {
            o.checked_sub(this.probe_from)
                .and_then(|o| this.probe.get(o..o + 4))
                == Some(t)
        };
        let info_frame = first
            .info_tag_at()
            .is_some_and(|at| tag_at(at, b"Xing") || tag_at(at, b"Info") || tag_at(36, b"VBRI"));
        if info_frame && frames > 1 {
            frames -= 1;
            samples -= u64::from(first.samples);
        }
        let duration = samples as f64 / f64::from(first.sample_rate);
        info.kind = MediaKind::Audio;
        info.duration_s = Some(duration);
        let mut layout = Vec::new();
        if this.id3 {
            layout.push("ID3v2".to_string());
        }
        layout.push(
            match first.kind {
                Kind::Adts { .. } => "adts",
                Kind::Mpeg { .. } => "mpeg-audio",
            }
            .to_string(),
        );
        if let Some(t) = this.tail_tag {
            layout.push(t.to_string());
        }
        info.layout = layout;
        let (codec, tag, profile) = match first.kind {
            Kind::Adts { profile } => (
                "aac",
                "adts",
                Some(
                    match profile {
                        0 => "Main",
                        1 => "LC",
                        2 => "SSR",
                        _ => "LTP",
                    }
                    .to_string(),
                ),
            ),
            Kind::Mpeg { layer: 1, .. } => ("mp1", "mpeg-audio", None),
            Kind::Mpeg { layer: 2, .. } => ("mp2", "mpeg-audio", None),
            Kind::Mpeg { .. } => ("mp3", "mpeg-audio", None),
        };
        if let Kind::Mpeg { version, layer } = first.kind {
            let v = if version == 25 {
                "2.5".to_string()
            } else {
                version.to_string()
            };
            info.notes.push(format!(
                "MPEG-{v} Layer {layer}, {} kbit/s in the first frame",
                first.kbps
            ));
        }
        info.streams.push(StreamInfo {
            kind: "audio".into(),
            codec: Some(codec.into()),
            codec_tag: Some(tag.into()),
            profile,
            sample_rate: Some(first.sample_rate),
            channels: Some(this.channels),
            timescale: Some(first.sample_rate),
            duration_s: Some(duration),
            sample_count: Some(frames),
            description_summaries: vec![format!(
                "{codec} {}Hz {}ch",
                first.sample_rate, this.channels
            )],
            ..Default::default()
        });
        if problem.is_none() && this.skip > 0 && this.state == State::Frames {
            problem = Some(Problem::truncated(format!(
                "ISO/IEC 11172-3 §2.4.1.3: the file ({total} bytes) ends {} bytes before its last frame (or tag) does",
                this.skip
            )));
        }
        if problem.is_none()
            && let Some(j) = this.inner_junk
        {
            problem = Some(Problem::corrupt(format!(
                "ISO/IEC 11172-3 §2.4.1.3: {} bytes at offset {} between audio frames are no frame{}",
                j.bytes,
                j.at,
                if j.zeros { " (all zero)" } else { "" }
            )));
        }
        if let Some(j) = this.junk
            && !j.zeros
        {
            // The file ends in bytes that are neither frames, a tag nor padding: a recorder's
            // own trailer (a signature, a position block) as much as damage, so a note; a frame
            // cut short is told above, and damage followed by frames is corrupt.
            info.notes.push(format!(
                "the last {} bytes (from offset {}) are no audio frame nor a known tag",
                j.bytes + this.have as u64,
                j.at
            ));
        }
        if problem.is_none() && this.junk.is_none() && this.have > 0 && this.state == State::Frames
        {
            // Fewer than a header's bytes after the last frame: zeros are padding.
            if this.win[..this.have].iter().any(|&b| b != 0) {
                problem = Some(Problem::truncated(format!(
                    "ISO/IEC 11172-3 §2.4.1.3: the file ({total} bytes) ends inside a frame header"
                )));
            }
        }
        if let Some(at) = this.later_id3 {
            info.notes
                .push(format!("an ID3v2 tag at offset {at}, after audio frames"));
        }
        if this.frame_bytes > 0 && duration > 0.0 {
            info.notes.push(format!(
                "{:.0} kbit/s on average over {frames} frames",
                this.frame_bytes as f64 * 8.0 / duration / 1000.0
            ));
        }
        Parsed { info, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ProblemKind;

    /// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono: 417 bytes a frame of 1152 samples.
    const MP3_HEADER: [u8; 4] = [0xFF, 0xFB, 0x90, 0xC4];
    const MP3_FRAME: usize = 417;
    const MP3_HEADER_7: [u8; 7] = [0xFF, 0xFB, 0x90, 0xC4, 0x55, 0x55, 0x55];

    fn mp3_frame(fill: u8) -> Vec<u8> {
        let mut f = MP3_HEADER.to_vec();
        f.resize(MP3_FRAME, fill);
        f
    }

    fn mp3(n: usize) -> Vec<u8> {
        (0..n).flat_map(|_| mp3_frame(0x55)).collect()
    }

    /// ADTS, AAC LC, 16 kHz, mono, no CRC, one raw data block a frame.
    fn adts(n: usize, len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.extend_from_slice(&[
                0xFF,
                0xF1,
                (1 << 6) | (8 << 2),
                (1 << 6) | ((len >> 11) & 3) as u8,
                ((len >> 3) & 0xFF) as u8,
                (((len & 7) << 5) as u8) | 0x1F,
                0xFC,
            ]);
            out.resize(out.len() + len - 7, 0x21);
        }
        out
    }

    fn parse(bytes: &[u8], chunk: usize) -> Parsed {
        let mut s: Box<dyn Sink> = Box::new(MpaSink::new());
        for c in bytes.chunks(chunk) {
            s.feed(c);
        }
        s.finish(bytes.len() as u64)
    }

    fn id3(size: usize) -> Vec<u8> {
        let mut t = b"ID3\x03\x00\x00".to_vec();
        t.extend([
            ((size >> 21) & 0x7F) as u8,
            ((size >> 14) & 0x7F) as u8,
            ((size >> 7) & 0x7F) as u8,
            (size & 0x7F) as u8,
        ]);
        t.resize(10 + size, 0x41);
        t
    }

    #[test]
    fn frames_are_counted_to_an_exact_length_in_any_chunking() {
        let f = mp3(100);
        for chunk in [1, 2, 5, 7, 9, 64, 417, 4096] {
            let p = parse(&f, chunk);
            assert_eq!(p.problem, None, "chunk {chunk}");
            assert_eq!(p.info.container, Container::Mp3);
            assert_eq!(p.info.kind, MediaKind::Audio);
            let d = p.info.duration_s.unwrap_or(0.0);
            assert!((d - 100.0 * 1152.0 / 44_100.0).abs() < 1e-9, "{d}");
            let s = &p.info.streams[0];
            assert_eq!(
                (s.codec.as_deref(), s.sample_rate, s.channels),
                (Some("mp3"), Some(44_100), Some(1))
            );
            assert_eq!(s.sample_count, Some(100));
        }
        let a = adts(50, 200);
        for chunk in [1, 3, 7, 8, 4096] {
            let p = parse(&a, chunk);
            assert_eq!(p.problem, None);
            assert_eq!(p.info.container, Container::Aac);
            assert_eq!(p.info.duration_s, Some(50.0 * 1024.0 / 16_000.0));
            assert_eq!(p.info.streams[0].profile.as_deref(), Some("LC"));
        }
    }

    #[test]
    fn tags_padding_and_an_encoders_information_frame_are_no_sound() {
        // An ID3v2 tag, zero bytes after it, an information frame, frames, then ID3v1.
        let mut f = id3(300);
        f.extend(std::iter::repeat_n(0, 700));
        let mut xing = mp3_frame(0);
        xing[4 + 17..4 + 21].copy_from_slice(b"Xing");
        f.extend(xing);
        f.extend(mp3(40));
        let mut tag = b"TAG".to_vec();
        tag.resize(128, 0x20);
        f.extend(tag);
        for chunk in [1, 13, 4096] {
            let p = parse(&f, chunk);
            assert_eq!(p.problem, None);
            assert_eq!(p.info.streams[0].sample_count, Some(40));
            assert_eq!(p.info.layout, ["ID3v2", "mpeg-audio", "ID3v1"]);
        }
        // Zero bytes padding the end, fewer than a header's or more (past the looking bound
        // too).
        for pad in [3, 5000, (1 << 20) + 4321] {
            let mut g = mp3(10);
            g.extend(std::iter::repeat_n(0, pad));
            let p = parse(&g, 100);
            assert_eq!(p.problem, None, "{pad}");
            assert_eq!(p.info.streams[0].sample_count, Some(10));
        }
        // Two megabytes of junk after one frame: passed over without a search to its end, and
        // said in the note.
        let mut g = mp3(1);
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut valid = 0;
        for _ in 0..2_000_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            g.push((x >> 32) as u8 | 1);
        }
        // Random bytes begin a header of the stream here and there: none is taken for a frame
        // with no frame after it.
        let first = Header::parse(&MP3_HEADER_7).expect("a valid header");
        for w in g[MP3_FRAME..].windows(HEADER) {
            valid += usize::from(Header::parse(w).is_some_and(|h| h.same_stream(&first)));
        }
        assert!(valid > 3, "{valid}");
        let p = parse(&g, 65_536);
        assert_eq!(p.problem, None);
        assert!(
            p.info
                .notes
                .iter()
                .any(|n| n.contains("the last 2000000 bytes")),
            "{:?}",
            p.info.notes
        );
        // A recorder's own trailer: a note, not damage.
        let mut g = mp3(10);
        g.extend(b"SIGNATURE-0123456789abcdef");
        let p = parse(&g, 4096);
        assert_eq!(p.problem, None);
        assert!(
            p.info.notes.iter().any(|n| n.contains("no audio frame")),
            "{:?}",
            p.info.notes
        );
    }

    #[test]
    fn a_header_met_by_chance_before_the_first_frame_is_forgotten() {
        // After an ID3v2 tag, bytes holding a 48 kHz header that no frame follows, then the
        // 44.1 kHz frames: read as those frames, not as another stream after a first frame.
        let mut f = id3(30);
        f.extend([0x11; 100]);
        f.extend([0xFF, 0xFB, 0x94, 0xC4]);
        f.extend([0x22; 60]);
        f.extend(mp3(20));
        for chunk in [1, 7, 4096] {
            let p = parse(&f, chunk);
            assert_eq!(p.problem, None, "{chunk}");
            assert_eq!(p.info.streams[0].sample_rate, Some(44_100));
            // The real first frame lay inside the length the false header gave: passed over
            // (26 ms of sound: the walk never reads a byte twice).
            assert_eq!(p.info.streams[0].sample_count, Some(19));
        }
        // "ID3" whose size is none (a byte with its top bit set): no tag, bytes passed over.
        let mut g = b"ID3\x04\x00\x00\x80\x00\x00\x00".to_vec();
        g.extend(mp3(4));
        for chunk in [1, 3, 4096] {
            let p = parse(&g, chunk);
            assert_eq!(p.problem, None, "{chunk}");
            assert_eq!(p.info.streams[0].sample_count, Some(4));
        }
        // A file of one frame stays one frame.
        let p = parse(&mp3(1), 4096);
        assert_eq!((p.problem, p.info.streams[0].sample_count), (None, Some(1)));
    }

    #[test]
    fn damage_inside_the_audio_and_a_cut_last_frame_are_named() {
        let mut f = mp3(5);
        f.extend(b"garbage!");
        f.extend(mp3(5));
        let p = parse(&f, 64);
        let problem = p.problem.expect("a problem");
        assert_eq!(problem.kind, ProblemKind::Corrupt);
        assert!(
            problem.message.contains("8 bytes at offset 2085"),
            "{}",
            problem.message
        );
        let f = mp3(5);
        let p = parse(&f[..f.len() - 100], 64);
        assert_eq!(p.problem.map(|p| p.kind), Some(ProblemKind::Truncated));
        // Frames of another sample rate where the next frame should be: another recording.
        let mut f = mp3(3);
        let mut other = mp3_frame(0x55);
        other[2] = 0x94; // 48 kHz
        f.extend(other);
        assert_eq!(
            parse(&f, 4096).problem.map(|p| p.kind),
            Some(ProblemKind::Corrupt)
        );
        // Nothing but an ID3v2 tag, and a tag declared longer than the file.
        assert_eq!(
            parse(&id3(20), 7).problem.map(|p| p.kind),
            Some(ProblemKind::Truncated)
        );
        let mut t = id3(20);
        t.truncate(15);
        assert_eq!(
            parse(&t, 7).problem.map(|p| p.kind),
            Some(ProblemKind::Truncated)
        );
        // Free format: not parsed.
        let mut free = mp3(3);
        for k in 0..3 {
            free[k * MP3_FRAME + 2] = 0x00;
        }
        assert_eq!(
            parse(&free, 4096).problem.map(|p| p.kind),
            Some(ProblemKind::Unsupported)
        );
    }

    #[test]
    fn a_stream_is_told_by_two_frames_or_its_name() {
        let f = mp3(3);
        assert!(detect(&f[..1024], "bin"));
        assert!(detect(&f[..20], "mp3"));
        assert!(!detect(&f[..20], "bin"));
        assert!(detect(&id3(5), "bin"));
        assert!(detect(&adts(10, 100), "bin"));
        // A UTF-16 text opens with FF FE, which with "D" after it reads as a valid MPEG-1
        // Layer I header; no second header lies where it says.
        assert!(Header::parse(&[0xFF, 0xFE, b'D', 0, b'S', 0, b'J']).is_some());
        let text: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "DSJ-0001 设备编号 2026-03-12 10:00:00 执法记录仪 位置 31.2304N 121.4737E 速度 0 km/h 方向 北 备注 现场检查 记录完毕 ".repeat(4).as_str()
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert!(!detect(&text, "txt"));
        assert_eq!(
            crate::media::sniff(&f[..1024], "mp3")
                .finish(0)
                .info
                .container,
            Container::Mp3
        );
    }
}
