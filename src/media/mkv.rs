//! Matroska and WebM (EBML, RFC 8794; Matroska, RFC 9559): what Android-based recorders,
//! phones' recording apps and screen or stream recorders write (`.mkv`, `.webm`).
//!
//! The parser walks the elements as the bytes stream past, keeping a stack of the open
//! masters (the segment, a cluster, a block group) and their ends. It keeps the bodies of the
//! EBML header (the document type), the segment's `Info` (timestamp scale, duration, the
//! recording's date, the muxing and writing applications) and `Tracks` (each track's type,
//! codec, picture size, default duration, sampling rate and channels), and of each block only
//! its first bytes: its track and its time relative to its cluster's. Everything else is
//! passed. A track's length is the span of its blocks' times plus one block's step
//! ([`super::span`]); the file's is the segment's stated duration, or its longest track's
//! where it states none (a file written live, to a pipe or a stream, whose segment and
//! clusters have lengths left open) or was cut short.
//!
//! An element that runs past the end of the file is `truncated`; bytes inside the segment
//! where no element starts are `corrupt` (zeros running to the end of the file `truncated`:
//! space allocated for the recording and never written); bytes after the segment's end that
//! make no element are a note (a writer's trailer). No timestamp jump is judged from the
//! blocks (pictures are stored in decoding order under their presentation times).

use super::keyplan::{self, Codec, Sample};
use super::span::Span;
use super::{Container, MediaInfo, Parsed, Problem, RecordedTime, Sink, StreamInfo};

/// The EBML header's id, which a Matroska file begins with.
pub const EBML: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TRACKS: u32 = 0x1654_AE6B;
const CLUSTER: u32 = 0x1F43_B675;
const SEEK_HEAD: u32 = 0x114D_9B74;
const CUES: u32 = 0x1C53_BB6B;
const TAGS: u32 = 0x1254_C367;
const CHAPTERS: u32 = 0x1043_A770;
const ATTACHMENTS: u32 = 0x1941_A469;
const TIMESTAMP: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const REFERENCE_BLOCK: u32 = 0xFB;

/// The segment's children: one of them ends a cluster whose length was left open.
const LEVEL1: [u32; 8] = [
    SEEK_HEAD,
    INFO,
    TRACKS,
    CLUSTER,
    CUES,
    TAGS,
    CHAPTERS,
    ATTACHMENTS,
];

/// Bounds on what is kept. (The walk goes three masters deep at most: a segment at the top,
/// a cluster in it, a block group in that; no other element is descended into.)
const KEEP_HEADER: u64 = 4096;
const KEEP_META: u64 = 4 << 20;
const BLOCK_HEAD: usize = 12;
const MAX_TRACKS: usize = 64;
const MAX_LAYOUT: usize = 256;
/// At most this many elements too large to read are noted.
const MAX_NOTES: usize = 8;
/// At most this many bytes of a track's decoder configuration are kept.
const CONFIG_MAX: usize = 64 << 10;

/// Seconds from the Unix epoch to Matroska's, 2001-01-01T00:00:00 UTC.
const EPOCH_2001: i64 = 978_307_200;

#[derive(Debug, Default)]
struct Track {
    number: u64,
    kind: u64,
    codec_id: Option<String>,
    default_duration_ns: Option<u64>,
    width: Option<u32>,
    height: Option<u32>,
    sampling: Option<f64>,
    channels: Option<u16>,
    profile: Option<u8>,
    /// The decoder configuration (`CodecPrivate`), up to [`CONFIG_MAX`] bytes.
    config: Option<Vec<u8>>,
    /// The blocks' times, in the segment's timestamp units.
    span: Span,
}

/// The main video track's blocks, noted for the keyframe stage ([`keyplan::Noted`]).
#[derive(Debug, Default)]
struct Pictures {
    /// Blocks of the track seen, in decoding order, and those noted.
    count: u64,
    notes: keyplan::PictureNotes,
    /// Whether a block of the track was laced (several frames in one): not planned.
    laced: bool,
    /// The main track's block of the block group being read, and whether the group refers to
    /// another block (then it is no keyframe).
    pending: Option<Sample>,
    refers: bool,
}

impl Pictures {
    /// One more block of the track, in decoding order.
    /// The read keeps no steps between blocks: no jump is noted.
    fn note(&mut self, sample: Sample, key: bool) {
        self.notes.note(sample, key, false);
    }
}

/// A master element the walk is inside.
struct Open {
    id: u32,
    at: u64,
    /// Its end, or `None` where its length was left open.
    end: Option<u64>,
}

enum State {
    Header,
    /// Keeping the whole body (`Info`, `Tracks`, the EBML header, a cluster's timestamp).
    Keep {
        id: u32,
        end: u64,
        buf: Vec<u8>,
    },
    /// Keeping a block's first bytes, then passing the rest; where its body starts, and
    /// whether it is a `SimpleBlock` (whose flags say whether it is a keyframe).
    Head {
        start: u64,
        end: u64,
        buf: Vec<u8>,
        simple: bool,
    },
    Skip {
        end: u64,
    },
    /// Zeros where an element should start, from this offset.
    Zeros {
        from: u64,
        top: bool,
    },
    /// Bytes after the segment that make no element, from this offset: not read.
    Trailer {
        from: u64,
    },
    Dead,
}

pub struct MkvSink {
    pos: u64,
    hdr: Vec<u8>,
    state: State,
    /// The masters the walk is inside, outermost first: at most a segment, a cluster and a
    /// block group.
    stack: Vec<Open>,
    problem: Option<Problem>,
    doc_type: Option<String>,
    scale_ns: u64,
    duration: Option<f64>,
    date_ns: Option<i64>,
    muxing_app: Option<String>,
    writing_app: Option<String>,
    tracks: Vec<Track>,
    cluster_time: i64,
    segments: u32,
    /// A segment whose length was left open (written live).
    open_segment: bool,
    layout: Vec<(&'static str, u32)>,
    notes: Vec<String>,
    /// The track whose pictures the keyframe stage reads (chosen at the first block: the
    /// largest H.264 or HEVC picture), and its blocks.
    main: Option<Option<u64>>,
    pictures: Pictures,
}

impl Default for MkvSink {
    fn default() -> Self {
        Self::new()
    }
}

/// The length in bytes of an EBML variable-length integer from its first byte (1-8), or 0 for
/// a first byte of zero.
fn vint_len(first: u8) -> usize {
    first.leading_zeros() as usize + 1
}

/// A variable-length integer's value without its length marker, and whether every value bit
/// is set (an unknown size).
fn vint_value(b: &[u8]) -> (u64, bool) {
    let n = b.len();
    let mask = if n >= 8 { 0 } else { 0xFFu8 >> n };
    let mut v = u64::from(b[0] & mask);
    for &x in &b[1..] {
        v = (v << 8) | u64::from(x);
    }
    let all = 7 * n as u32;
    (v, all < 64 && v == (1u64 << all) - 1)
}

/// The elements of an in-memory body: (id, body), until one runs past the end.
fn children(mut data: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    std::iter::from_fn(move || {
        let first = *data.first()?;
        let il = vint_len(first);
        if il > 4 {
            return None;
        }
        let id = data
            .get(..il)?
            .iter()
            .fold(0u32, |a, &b| (a << 8) | u32::from(b));
        let sl = vint_len(*data.get(il)?);
        if sl > 8 {
            return None;
        }
        let (size, unknown) = vint_value(data.get(il..il + sl)?);
        let start = il + sl;
        let len = if unknown {
            data.len() - start
        } else {
            usize::try_from(size).ok()?
        };
        let body = data.get(start..start.checked_add(len)?)?;
        data = &data[start + len..];
        Some((id, body))
    })
}

fn uint(b: &[u8]) -> Option<u64> {
    (!b.is_empty() && b.len() <= 8).then(|| b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
}

fn float(b: &[u8]) -> Option<f64> {
    match b.len() {
        4 => Some(f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
        8 => Some(f64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ])),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

fn text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim().to_string()
}

fn name(id: u32) -> &'static str {
    match id {
        EBML => "EBML",
        SEGMENT => "Segment",
        SEEK_HEAD => "SeekHead",
        INFO => "Info",
        TRACKS => "Tracks",
        CLUSTER => "Cluster",
        CUES => "Cues",
        TAGS => "Tags",
        CHAPTERS => "Chapters",
        ATTACHMENTS => "Attachments",
        0xEC => "Void",
        0xBF => "CRC-32",
        _ => "?",
    }
}

/// The codec a Matroska codec id names, as the other parsers name them.
fn codec(id: &str) -> Option<&'static str> {
    Some(match id {
        "V_MPEG4/ISO/AVC" => "h264",
        "V_MPEGH/ISO/HEVC" => "hevc",
        "V_VP8" => "vp8",
        "V_VP9" => "vp9",
        "V_AV1" => "av1",
        "V_MJPEG" => "mjpeg",
        "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/SP" => "mpeg4",
        "V_MPEG2" => "mpeg2video",
        "A_AAC" => "aac",
        "A_OPUS" => "opus",
        "A_VORBIS" => "vorbis",
        "A_FLAC" => "flac",
        "A_MPEG/L3" => "mp3",
        "A_MPEG/L2" => "mp2",
        "A_AC3" => "ac3",
        "A_PCM/INT/LIT" => "pcm_s16le",
        "A_PCM/INT/BIG" => "pcm_s16be",
        "A_PCM/FLOAT/IEEE" => "pcm_f32le",
        "S_TEXT/UTF8" => "subrip",
        "S_TEXT/ASS" | "S_TEXT/SSA" => "ass",
        _ => {
            if id.starts_with("A_AAC/") {
                "aac"
            } else {
                return None;
            }
        }
    })
}

impl MkvSink {
    pub fn new() -> Self {
        MkvSink {
            pos: 0,
            hdr: Vec::with_capacity(12),
            state: State::Header,
            stack: Vec::new(),
            problem: None,
            doc_type: None,
            scale_ns: 1_000_000,
            duration: None,
            date_ns: None,
            muxing_app: None,
            writing_app: None,
            tracks: Vec::new(),
            cluster_time: 0,
            segments: 0,
            open_segment: false,
            layout: Vec::new(),
            notes: Vec::new(),
            main: None,
            pictures: Pictures::default(),
        }
    }

    fn die(&mut self, p: Problem) {
        self.problem.get_or_insert(p);
        self.state = State::Dead;
    }

    fn lay(&mut self, id: u32) {
        let n = name(id);
        let full = self.layout.len() >= MAX_LAYOUT;
        match self.layout.last_mut() {
            Some((last, k)) if *last == n => *k += 1,
            _ if !full => self.layout.push((n, 1)),
            _ => {}
        }
    }

    fn track(&mut self, number: u64) -> Option<&mut Track> {
        let new = || Track {
            number,
            ..Track::default()
        };
        super::bounded_slot(&mut self.tracks, MAX_TRACKS, |t| t.number == number, new)
    }

    /// Closes the masters the walk has passed the end of, and those of open length that an
    /// element of id `next` (if any) cannot be inside.
    fn close(&mut self, next: Option<u32>) {
        while let Some(top) = self.stack.last() {
            let done = match (top.end, next) {
                (Some(e), _) => self.pos >= e,
                (None, Some(id)) => match top.id {
                    CLUSTER => LEVEL1.contains(&id) || id == EBML,
                    SEGMENT => id == EBML,
                    _ => false,
                },
                (None, None) => false,
            };
            if !done {
                break;
            }
            if self.stack.pop().is_some_and(|o| o.id == BLOCK_GROUP) {
                self.group_done();
            }
        }
    }

    /// The element whose header is `self.hdr`: what to do with its body.
    fn element(&mut self, id: u32, size: Option<u64>) {
        let at = self.pos - self.hdr.len() as u64;
        self.close(Some(id));
        let parent = self.stack.last().map(|o| (o.id, o.end));
        let end = size.map(|s| self.pos.saturating_add(s));
        if let (Some(e), Some((pid, Some(pe)))) = (end, parent)
            && e > pe
        {
            self.die(Problem::corrupt(format!(
                "RFC 8794 §5: element {id:x} at offset {at} declares {} bytes, running past the end of its parent {} at offset {pe}",
                size.unwrap_or(0),
                name(pid)
            )));
            return;
        }
        let in_ = parent.map(|(p, _)| p);
        let master = matches!(
            (in_, id),
            (None, SEGMENT) | (Some(SEGMENT), CLUSTER) | (Some(CLUSTER), BLOCK_GROUP)
        );
        if in_.is_none() || in_ == Some(SEGMENT) {
            self.lay(id);
        }
        if master {
            if id == SEGMENT {
                self.segments += 1;
                self.open_segment |= size.is_none();
            }
            self.stack.push(Open { id, at, end });
            self.state = State::Header;
            return;
        }
        let Some(end) = end else {
            // Only a segment and a cluster may leave their length open.
            self.die(Problem::corrupt(format!(
                "RFC 8794 §6.2: element {id:x} at offset {at} leaves its length open, which only a segment or a cluster may"
            )));
            return;
        };
        let body = end - self.pos;
        self.state = match (in_, id) {
            (None, EBML) | (Some(SEGMENT), INFO | TRACKS) | (Some(CLUSTER), TIMESTAMP) => {
                let limit = match id {
                    EBML => KEEP_HEADER,
                    TIMESTAMP => 8,
                    _ => KEEP_META,
                };
                if body > limit {
                    if self.notes.len() < MAX_NOTES {
                        self.notes.push(format!(
                        "{} at offset {at} holds {body} bytes, over the {limit} recaudit reads: not read",
                        name(id)
                    ));
                    }
                    State::Skip { end }
                } else {
                    State::Keep {
                        id,
                        end,
                        buf: Vec::new(),
                    }
                }
            }
            (Some(BLOCK_GROUP), REFERENCE_BLOCK) => {
                self.pictures.refers = true;
                State::Skip { end }
            }
            (Some(CLUSTER), SIMPLE_BLOCK) | (Some(BLOCK_GROUP), BLOCK) => State::Head {
                start: self.pos,
                end,
                buf: Vec::new(),
                simple: id == SIMPLE_BLOCK,
            },
            _ => State::Skip { end },
        };
        self.done_if_empty();
    }

    fn done_if_empty(&mut self) {
        let finished = match &self.state {
            State::Keep { end, .. } | State::Head { end, .. } | State::Skip { end } => {
                self.pos >= *end
            }
            _ => false,
        };
        if finished {
            let state = std::mem::replace(&mut self.state, State::Header);
            match state {
                State::Keep { id, buf, .. } => self.kept(id, &buf),
                State::Head {
                    start,
                    end,
                    buf,
                    simple,
                } => self.block(&buf, start, end, simple),
                _ => {}
            }
        }
    }

    fn kept(&mut self, id: u32, body: &[u8]) {
        match id {
            EBML => {
                for (c, b) in children(body) {
                    if c == 0x4282 {
                        self.doc_type = Some(text(b));
                    }
                }
            }
            INFO => {
                for (c, b) in children(body) {
                    match c {
                        0x2A_D7B1 => {
                            if let Some(v) = uint(b).filter(|&v| v > 0) {
                                self.scale_ns = v;
                            }
                        }
                        0x4489 => self.duration = float(b).filter(|d| *d >= 0.0),
                        0x4461 if b.len() == 8 => {
                            let mut a = [0u8; 8];
                            a.copy_from_slice(b);
                            self.date_ns = Some(i64::from_be_bytes(a));
                        }
                        0x4D80 => self.muxing_app = Some(text(b)),
                        0x5741 => self.writing_app = Some(text(b)),
                        _ => {}
                    }
                }
            }
            TRACKS => {
                for (c, entry) in children(body) {
                    if c == 0xAE {
                        self.track_entry(entry);
                    }
                }
            }
            TIMESTAMP => {
                self.cluster_time = uint(body).and_then(|v| i64::try_from(v).ok()).unwrap_or(0);
            }
            _ => {}
        }
    }

    fn track_entry(&mut self, entry: &[u8]) {
        let mut t = Track::default();
        for (c, b) in children(entry) {
            match c {
                0xD7 => t.number = uint(b).unwrap_or(0),
                0x83 => t.kind = uint(b).unwrap_or(0),
                0x86 => t.codec_id = Some(text(b)),
                0x23_E383 => t.default_duration_ns = uint(b).filter(|&d| d > 0),
                // An AVC configuration record: its second byte is the profile.
                0x63A2 => {
                    // An AVC configuration record: its second byte is the profile.
                    if b.first() == Some(&1) {
                        t.profile = b.get(1).copied();
                    }
                    if b.len() <= CONFIG_MAX {
                        t.config = Some(b.to_vec());
                    }
                }
                0xE0 => {
                    for (v, x) in children(b) {
                        match v {
                            0xB0 => t.width = uint(x).and_then(|w| u32::try_from(w).ok()),
                            0xBA => t.height = uint(x).and_then(|h| u32::try_from(h).ok()),
                            _ => {}
                        }
                    }
                }
                0xE1 => {
                    for (a, x) in children(b) {
                        match a {
                            0xB5 => t.sampling = float(x).filter(|f| *f > 0.0),
                            0x9F => t.channels = uint(x).and_then(|n| u16::try_from(n).ok()),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let number = t.number;
        if let Some(slot) = self.track(number) {
            let span = std::mem::take(&mut slot.span);
            *slot = Track { span, ..t };
        }
    }

    /// The track the keyframe stage reads: the largest H.264 or HEVC picture.
    fn main_track(&self) -> Option<u64> {
        self.tracks
            .iter()
            .filter(|t| t.kind == 1)
            .filter(|t| matches!(t.codec_id.as_deref().and_then(codec), Some("h264" | "hevc")))
            .max_by_key(|t| {
                (
                    u64::from(t.width.unwrap_or(0)) * u64::from(t.height.unwrap_or(0)),
                    std::cmp::Reverse(t.number),
                )
            })
            .map(|t| t.number)
    }

    /// A block's first bytes: its track, and its time against its cluster's; for the main
    /// video track, where its frame lies and whether it is a keyframe.
    fn block(&mut self, head: &[u8], start: u64, end: u64, simple: bool) {
        let Some(&first) = head.first() else { return };
        let n = vint_len(first);
        if n > 8 {
            return;
        }
        let Some(b) = head.get(..n) else { return };
        let (track, _) = vint_value(b);
        let Some(rel) = head.get(n..n + 2) else {
            return;
        };
        let t = self
            .cluster_time
            .saturating_add(i64::from(i16::from_be_bytes([rel[0], rel[1]])));
        if let Some(tr) = self.track(track) {
            tr.span.add(t);
        }
        let main = match self.main {
            Some(m) => m,
            None => *self.main.insert(self.main_track()),
        };
        if main != Some(track) {
            return;
        }
        let p = &mut self.pictures;
        p.count += 1;
        let flags = head.get(n + 2).copied().unwrap_or(0);
        if flags & 0x06 != 0 {
            p.laced = true;
            return;
        }
        let at = start + n as u64 + 3;
        let (Ok(size), Ok(ticks)) = (u32::try_from(end.saturating_sub(at)), u64::try_from(t))
        else {
            return;
        };
        let sample = Sample {
            number: p.count,
            offset: at,
            size,
            ticks,
        };
        if simple {
            p.note(sample, flags & 0x80 != 0);
        } else {
            // A block in a group is a keyframe unless the group names a block it refers to
            // (`ReferenceBlock`, which may follow it): told when the group ends.
            p.pending = Some(sample);
        }
    }

    /// A block group has ended: its block, if of the main video track, is a keyframe unless
    /// the group referred to another block.
    fn group_done(&mut self) {
        let p = &mut self.pictures;
        if let Some(sample) = p.pending.take() {
            let key = !std::mem::take(&mut p.refers);
            p.note(sample, key);
        }
        p.refers = false;
    }
}

impl MkvSink {
    /// What the keyframe stage plans the main video track's pictures from: none where it has
    /// no keyframe, its frames are laced, or the timestamp scale gives no whole ticks a second.
    fn index(&mut self) -> Option<Box<keyplan::Noted>> {
        let main = self.main.flatten()?;
        let p = std::mem::take(&mut self.pictures);
        if p.laced || self.scale_ns == 0 || 1_000_000_000 % self.scale_ns != 0 {
            return None;
        }
        let t = self.tracks.iter().find(|t| t.number == main)?;
        let codec = Codec::named(t.codec_id.as_deref().and_then(codec))?;
        let timescale = u32::try_from(1_000_000_000 / self.scale_ns).ok()?;
        let noted = p.notes.noted(codec, timescale)?;
        Some(Box::new(keyplan::Noted {
            config: Some(t.config.clone().unwrap_or_default()),
            ..noted
        }))
    }
}

impl Sink for MkvSink {
    fn feed(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            match &mut self.state {
                State::Dead => return,
                State::Trailer { .. } => {
                    self.pos += rest.len() as u64;
                    return;
                }
                State::Zeros { from, top } => {
                    let Some(k) = rest.iter().position(|&b| b != 0) else {
                        self.pos += rest.len() as u64;
                        return;
                    };
                    let (from, top) = (*from, *top);
                    self.pos += k as u64;
                    rest = &rest[k..];
                    if top {
                        // After the segment: whatever follows is no element of it.
                        self.state = State::Trailer { from };
                        continue;
                    }
                    let at = self.pos;
                    self.die(Problem::corrupt(format!(
                        "RFC 8794 §5: zeros from offset {from}, then at offset {at} bytes that start no element"
                    )));
                    return;
                }
                State::Keep { end, buf, .. } => {
                    let n = (*end - self.pos).min(rest.len() as u64) as usize;
                    buf.extend_from_slice(&rest[..n]);
                    self.pos += n as u64;
                    rest = &rest[n..];
                    self.done_if_empty();
                }
                State::Head { end, buf, .. } => {
                    let n = (*end - self.pos).min(rest.len() as u64) as usize;
                    let keep = BLOCK_HEAD.saturating_sub(buf.len()).min(n);
                    buf.extend_from_slice(&rest[..keep]);
                    self.pos += n as u64;
                    rest = &rest[n..];
                    self.done_if_empty();
                }
                State::Skip { end } => {
                    let n = (*end - self.pos).min(rest.len() as u64) as usize;
                    self.pos += n as u64;
                    rest = &rest[n..];
                    self.done_if_empty();
                }
                State::Header => {
                    if self.hdr.is_empty() {
                        self.close(None);
                    }
                    let need = match self.hdr.first() {
                        None => 1,
                        Some(&f) => {
                            let il = vint_len(f);
                            match self.hdr.get(il) {
                                None => il + 1,
                                Some(&s) => il + vint_len(s),
                            }
                        }
                    };
                    if self.hdr.len() < need {
                        let n = (need - self.hdr.len()).min(rest.len());
                        self.hdr.extend_from_slice(&rest[..n]);
                        self.pos += n as u64;
                        rest = &rest[n..];
                    }
                    let f = self.hdr[0];
                    let il = vint_len(f);
                    let bad_size = self.hdr.get(il).is_some_and(|&s| vint_len(s) > 8);
                    if il > 4 || bad_size {
                        let at = self.pos - self.hdr.len() as u64;
                        let top = self.stack.is_empty() && self.segments > 0;
                        // Give back the header bytes taken: the zeros or the trailer start
                        // where the header did.
                        let taken = std::mem::take(&mut self.hdr);
                        if taken.iter().all(|&b| b == 0) {
                            self.state = State::Zeros { from: at, top };
                        } else if top {
                            self.state = State::Trailer { from: at };
                        } else {
                            self.die(Problem::corrupt(format!(
                                "RFC 8794 §5: no element starts at offset {at} (bytes {:02x?})",
                                &taken[..taken.len().min(4)]
                            )));
                            return;
                        }
                        continue;
                    }
                    let Some(&s) = self.hdr.get(il) else { continue };
                    if self.hdr.len() < il + vint_len(s) {
                        continue;
                    }
                    let id = self.hdr[..il]
                        .iter()
                        .fold(0u32, |a, &b| (a << 8) | u32::from(b));
                    let (size, unknown) = vint_value(&self.hdr[il..]);
                    let at = self.pos - self.hdr.len() as u64;
                    let top_level = matches!(id, EBML | SEGMENT | 0xEC);
                    if self.stack.is_empty() && self.segments > 0 && !top_level {
                        // After the segment: bytes of no element of the file's.
                        self.hdr.clear();
                        self.state = State::Trailer { from: at };
                        continue;
                    }
                    if self.stack.is_empty() && self.segments == 0 && !top_level {
                        self.die(Problem::corrupt(format!(
                            "RFC 9559 §4: element {id:x} at offset {at} where a Matroska file's EBML header or segment should be"
                        )));
                        return;
                    }
                    self.element(id, (!unknown).then_some(size));
                    self.hdr.clear();
                }
            }
        }
    }

    fn finish(mut self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(Container::Matroska);
        // A block group the file ended in (or whose end was never reached).
        self.group_done();
        let mut problem = self.problem.take();
        let cut_at = match &self.state {
            State::Keep { end, .. } | State::Head { end, .. } | State::Skip { end }
                if *end > total =>
            {
                Some(*end)
            }
            _ => None,
        };
        let open_cut = self.stack.iter().find(|o| o.end.is_some_and(|e| e > total));
        if problem.is_none() {
            if !self.hdr.is_empty() {
                problem = Some(Problem::truncated(format!(
                    "RFC 8794 §5: the file ends ({total} bytes) inside an element's header"
                )));
            } else if let Some(end) = cut_at {
                problem = Some(Problem::truncated(format!(
                    "RFC 8794 §5: an element runs to offset {end}, past the end of the file ({total} bytes)"
                )));
            } else if let Some(o) = open_cut {
                problem = Some(Problem::truncated(format!(
                    "RFC 8794 §5: the {} at offset {} runs to offset {}, past the end of the file ({total} bytes): cut short",
                    name(o.id),
                    o.at,
                    o.end.unwrap_or(0)
                )));
            } else if let State::Zeros { from, top: false } = self.state {
                problem = Some(Problem::never_written("", from, total));
            } else if self.segments == 0 {
                problem = Some(Problem::corrupt(
                    "RFC 9559 §4: no segment: not a Matroska file",
                ));
            }
        }
        match self.state {
            State::Trailer { from } | State::Zeros { from, top: true } => {
                info.notes.push(format!(
                    "{} bytes from offset {from} to the end of the file, after the segment, make no element (a writer's trailer, or space never written): not read",
                    total.saturating_sub(from)
                ));
            }
            _ => {}
        }
        if self.open_segment {
            info.notes.push(
                "the segment's length was left open (written live, as to a pipe or a stream): its length is read from its blocks"
                    .into(),
            );
        }
        info.notes.append(&mut self.notes);
        info.major_brand = self.doc_type.clone();
        let secs = |units: i64| units as f64 * self.scale_ns as f64 / 1e9;
        for t in &self.tracks {
            let kind = match t.kind {
                1 => "video",
                2 => "audio",
                0x11 => "subtitle",
                _ if t.kind != 0 => "data",
                _ => "other",
            };
            let video = kind == "video";
            info.streams.push(StreamInfo {
                track_id: u32::try_from(t.number).ok(),
                kind: kind.into(),
                codec: t.codec_id.as_deref().and_then(codec).map(str::to_string),
                codec_tag: t.codec_id.clone(),
                profile: t
                    .profile
                    .filter(|_| t.codec_id.as_deref() == Some("V_MPEG4/ISO/AVC"))
                    .map(super::h264::profile_name),
                width: t.width.filter(|_| video),
                height: t.height.filter(|_| video),
                frame_rate: t
                    .default_duration_ns
                    .filter(|_| video)
                    .map(|d| 1e9 / d as f64),
                sample_rate: t.sampling.map(|f| f.round() as u32),
                channels: t.channels,
                timescale: u32::try_from(1_000_000_000 / self.scale_ns.max(1)).ok(),
                duration_s: t.span.length().map(secs),
                sample_count: video.then_some(t.span.count),
                sample_descriptions: 1,
                ..Default::default()
            });
        }
        info.kind = info.kind_of_streams();
        // The segment's own duration, unless the file was cut short of it: then what its
        // blocks hold.
        let cut = problem
            .as_ref()
            .is_some_and(|p| p.kind == super::ProblemKind::Truncated);
        info.duration_s = match self.duration {
            Some(d) if !cut => Some(d * self.scale_ns as f64 / 1e9),
            _ => info.streams_length(),
        };
        if let Some(ns) = self.date_ns {
            let s = EPOCH_2001.saturating_add(ns.div_euclid(1_000_000_000));
            info.creation_time = Some(RecordedTime::Utc(s));
            info.creation_time_raw = chrono::DateTime::from_timestamp(s, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            info.creation_time_source = Some("DateUTC");
        }
        info.noted = self.index();
        info.encoder = self.writing_app.clone().filter(|s| !s.is_empty());
        info.software = self.muxing_app.clone().filter(|s| !s.is_empty());
        info.layout = self
            .layout
            .iter()
            .map(|&(n, k)| {
                if k > 1 {
                    format!("{n}x{k}")
                } else {
                    n.to_string()
                }
            })
            .collect();
        Parsed { info, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{MediaKind, ProblemKind, fixture, parse_bytes};

    #[test]
    fn variable_length_integers_and_unknown_sizes() {
        assert_eq!(vint_len(0x81), 1);
        assert_eq!(vint_len(0x1A), 4);
        assert_eq!(vint_len(0x01), 8);
        assert_eq!(vint_len(0x00), 9);
        assert_eq!(vint_value(&[0x81]), (1, false));
        assert_eq!(vint_value(&[0xFF]), (127, true));
        assert_eq!(vint_value(&[0x40, 0x02]), (2, false));
        assert_eq!(
            vint_value(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            ((1 << 56) - 1, true)
        );
        let body = [0x42, 0x82, 0x84, b'w', b'e', b'b', b'm', 0xEC, 0x80];
        let got: Vec<(u32, &[u8])> = children(&body).collect();
        assert_eq!(got, [(0x4282, &b"webm"[..]), (0xEC, &[][..])]);
        // A child running past the body ends the walk.
        assert_eq!(children(&[0x42, 0x82, 0x88, 1, 2]).count(), 0);
    }

    const MKV: &str = "labelled/单位甲/NEG-MKV/20260312/NEG-MKV_OF3022_20260312100000_0001.MKV";
    const LIVE: &str = "labelled/单位甲/NEG-MKV/20260312/NEG-MKV_OF3022_20260312100003_0002.MKV";

    #[test]
    fn a_matroska_recording_is_read_in_any_chunking_whether_its_lengths_were_written_or_left_open()
    {
        for (path, open) in [(MKV, false), (LIVE, true)] {
            let bytes = fixture(path);
            let p = parse_bytes(&bytes, "mkv", 4096);
            assert!(p.problem.is_none(), "{path}: {:?}", p.problem);
            let i = &p.info;
            assert_eq!(
                (i.container, i.kind),
                (Container::Matroska, MediaKind::Video)
            );
            let v = i.main_video().expect("a picture");
            assert_eq!(
                (v.codec.as_deref(), v.width, v.height, v.frame_rate),
                (Some("h264"), Some(160), Some(120), Some(10.0))
            );
            let a = i.main_audio().expect("a sound");
            assert_eq!(
                (a.codec.as_deref(), a.sample_rate, a.channels),
                (Some("aac"), Some(16000), Some(1))
            );
            // Three seconds: the segment's duration, or its blocks' where it states none.
            let d = i.duration_s.expect("a length");
            assert!((d - 3.0).abs() <= 0.1, "{path}: {d}");
            assert_eq!(v.sample_count, Some(30));
            assert_eq!(
                i.creation_time_raw.as_deref(),
                Some(if open {
                    "2026-03-12T02:00:03Z"
                } else {
                    "2026-03-12T02:00:00Z"
                })
            );
            assert!(i.encoder.as_deref().is_some_and(|e| e.starts_with("Lavf")));
            // The keyframes noted for the keyframe stage: one a second, each block's frame a
            // run of length-prefixed NAL units that fills it.
            let index = i.noted.as_deref().expect("pictures noted");
            assert_eq!(
                (index.codec, index.timescale, index.sync.len()),
                (Codec::H264, 1000, 3)
            );
            let first = index.sync[0].ticks;
            assert!(first < 100, "{first}");
            assert_eq!(
                index
                    .sync
                    .iter()
                    .map(|s| s.ticks - first)
                    .collect::<Vec<_>>(),
                [0, 1000, 2000]
            );
            for s in &index.sync {
                let frame = &bytes[s.offset as usize..][..s.size as usize];
                let mut at = 0;
                while at + 4 <= frame.len() {
                    let len = u32::from_be_bytes([
                        frame[at],
                        frame[at + 1],
                        frame[at + 2],
                        frame[at + 3],
                    ]);
                    at += 4 + len as usize;
                }
                assert_eq!(at, frame.len(), "{path}: {s:?}");
            }
            assert!(index.lead.len() >= 30 - 1 && index.reordered, "{index:?}");
            let (nal_len, params) =
                keyplan::decoder_config(Codec::H264, index.config.as_deref().unwrap_or_default())
                    .expect("avcC");
            assert_eq!((nal_len, params.len()), (4, 2));
            assert_eq!(
                i.notes.iter().any(|n| n.contains("left open")),
                open,
                "{:?}",
                i.notes
            );
            for chunk in [1, 5, 188, 65536] {
                let q = parse_bytes(&bytes, "mkv", chunk);
                assert_eq!(
                    (q.problem, q.info.duration_s, q.info.layout.clone()),
                    (None, i.duration_s, i.layout.clone()),
                    "{path} {chunk}"
                );
            }
        }
    }

    /// An element: its id's bytes, an eight-byte size, its body.
    fn el(id: &[u8], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.push(0x01);
        v.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn blocks_in_groups_are_keyframes_unless_they_refer_to_another() {
        // A segment and a cluster of lengths left open; a video track (H.264, an AVC
        // configuration record of no parameter sets); four block groups 40 ms apart, the
        // second and third referring to the block before them.
        let block = |t: u8, refers: bool| {
            let mut g = el(&[0xA1], &[0x81, 0x00, t, 0x00, 0, 0, 0, 1, 0x65]);
            if refers {
                g.extend(el(&[0xFB], &[0xD8]));
            }
            el(&[0xA0], &g)
        };
        let mut track = el(&[0xD7], &[1]);
        track.extend(el(&[0x83], &[1]));
        track.extend(el(&[0x86], b"V_MPEG4/ISO/AVC"));
        track.extend(el(&[0x63, 0xA2], &[1, 0x64, 0, 0x1E, 0xFF, 0xE0, 0]));
        track.extend(el(
            &[0xE0],
            &[el(&[0xB0], &[0x40]), el(&[0xBA], &[0x30])].concat(),
        ));
        let mut cluster = el(&[0xE7], &[0]);
        for (t, refers) in [(0, false), (40, true), (80, true), (120, false)] {
            cluster.extend(block(t, refers));
        }
        let mut file = el(&[0x1A, 0x45, 0xDF, 0xA3], &el(&[0x42, 0x82], b"matroska"));
        file.extend_from_slice(&[
            0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        file.extend(el(&[0x16, 0x54, 0xAE, 0x6B], &el(&[0xAE], &track)));
        file.extend_from_slice(&[
            0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        file.extend(cluster);
        for chunk in [1, 7, 4096] {
            let p = parse_bytes(&file, "mkv", chunk);
            assert!(p.problem.is_none(), "{:?}", p.problem);
            let index = p.info.noted.as_deref().expect("pictures noted");
            let ticks = |v: &[Sample]| v.iter().map(|s| s.ticks).collect::<Vec<_>>();
            assert_eq!(ticks(&index.sync), [0, 120], "{chunk}");
            assert_eq!(ticks(&index.lead), [0, 40, 80, 120], "{chunk}");
            // Each block's frame: the five bytes after its header.
            assert!(index.sync.iter().all(|s| s.size == 5));
            assert_eq!(
                &file[index.sync[0].offset as usize..][..5],
                &[0, 0, 0, 1, 0x65]
            );
            assert_eq!(p.info.duration_s, Some(0.16));
        }
    }

    #[test]
    fn a_matroska_file_cut_short_padded_or_broken_is_told() {
        let bytes = fixture(MKV);
        let whole = parse_bytes(&bytes, "mkv", 4096)
            .info
            .duration_s
            .expect("length");
        let read = |v: &[u8]| {
            let p = parse_bytes(v, "mkv", 4096);
            (p.problem.map(|p| p.kind), p.info.duration_s, p.info.notes)
        };
        // Cut at 60%: as long as the blocks it holds, not the duration its header states.
        let (problem, d, _) = read(&bytes[..bytes.len() * 6 / 10]);
        assert_eq!(problem, Some(ProblemKind::Truncated));
        assert!(d.is_some_and(|d| d > 0.5 && d < whole - 0.5), "{d:?}");
        // Cut inside the EBML header.
        assert_eq!(read(&bytes[..10]).0, Some(ProblemKind::Truncated));
        // A trailer after the segment, zeros or bytes of a writer's own: a note.
        for tail in [vec![0u8; 5000], b"RECORDER-SIGNATURE-0001".to_vec()] {
            let mut v = bytes.clone();
            v.extend_from_slice(&tail);
            let (problem, d, notes) = read(&v);
            assert_eq!((problem, d), (None, Some(whole)));
            assert!(
                notes.iter().any(|n| n.contains("after the segment")),
                "{notes:?}"
            );
        }
        // Zeros after a segment of open length (a live writer's file allocated ahead and cut
        // off): inside the segment, space never written, as long as its blocks hold.
        let mut live = fixture(LIVE);
        let live_whole = parse_bytes(&live, "mkv", 4096).info.duration_s;
        live.extend(std::iter::repeat_n(0u8, 5000));
        let p = parse_bytes(&live, "mkv", 4096);
        let problem = p.problem.expect("a problem");
        assert_eq!(problem.kind, ProblemKind::Truncated);
        assert!(problem.message.contains("never written"), "{problem:?}");
        assert_eq!(p.info.duration_s, live_whole);
        // Bytes inside the segment that start no element: the second cluster's header
        // overwritten (zeros, then a byte that starts none), or a file whose EBML header is
        // followed by no segment.
        let second = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == CLUSTER.to_be_bytes())
            .nth(1)
            .map(|(k, _)| k)
            .expect("a second cluster");
        let mut broken = bytes.clone();
        broken[second..second + 8].fill(0x00);
        broken[second + 8] = 0x07;
        let mut other = bytes[..40].to_vec();
        other.extend_from_slice(&[0x81; 64]);
        for v in [&broken, &other] {
            assert_eq!(read(v).0, Some(ProblemKind::Corrupt));
        }
    }
}
