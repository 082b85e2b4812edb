//! Flash Video (`.flv`): what a platform keeps when it records a recorder's live stream (a 4G
//! recorder pushing RTMP to the command centre, whose media server writes the stream to disk as
//! it arrives), and what some recorders and clients export. Adobe's Video File Format
//! Specification v10.1 (Annex E), with the extensions Chinese platforms and Enhanced RTMP
//! added for HEVC.
//!
//! The file is a 9-byte header (`FLV`, version 1, flags, the header's length), then tags, each
//! after the 4-byte length of the tag before it (0 before the first): an 11-byte tag header
//! (type: 8 sound, 9 picture, 18 script data; the body's length, 24 bits; a time in
//! milliseconds, 24 bits and 8 more above them; a stream id, always 0), then the body. A
//! picture's body opens with its frame type (1 a keyframe) and codec: H.264 (7) or HEVC (12, as
//! Chinese media servers write it) are followed by a packet type (0 the decoder configuration
//! record, 1 pictures, 2 the end of the sequence) and a composition time offset (24 bits,
//! signed: presentation minus decoding time), then the picture's NAL units, length-prefixed; an
//! Enhanced RTMP tag (its first bit set) names its codec by a FourCC (`avc1`, `hvc1`) after the
//! packet type. A sound's body opens with its format, rate, sample size and channels (AAC: a
//! packet type, 0 its AudioSpecificConfig). The script tag `onMetaData` holds the writer's AMF0
//! properties (duration, picture size, frame rate, encoder, sometimes a creation date).
//!
//! The parser walks the tags by their lengths as the bytes stream past, keeping each tag's
//! first bytes (the whole body of a decoder configuration and of the first `onMetaData`), so
//! memory stays bounded whatever the file's size. Each stream's times are its tags' decoding
//! times: its length is their span plus its usual step, and its largest step beyond that usual
//! one is its jump (a live stream that stalled, or pictures cut out). The first video stream's
//! pictures (H.264, HEVC) are noted for the keyframe stage. A tag cut short by the end of the
//! file is `truncated`; bytes where no tag starts are `corrupt`, with the offset; zeros from
//! there to the end are space allocated and never written (a note).

use chrono::{NaiveDateTime, TimeZone};

use super::cursor::Cursor;
use super::keyplan::{self, Codec, Noted, Sample};
use super::span;
use super::{Container, Jump, MediaInfo, Parsed, Problem, RecordedTime, Sink, StreamInfo, h264};

const MAGIC: &[u8; 3] = b"FLV";
const FILE_HEADER: usize = 9;
const TAG_HEADER: usize = 11;
const SOUND: u8 = 8;
const PICTURE: u8 = 9;
const SCRIPT: u8 = 18;
/// Bytes kept of every sound and picture tag's body: its codec, packet type and composition
/// time, with room to spare.
const KEEP_HEAD: usize = 16;
/// At most this many bytes of a decoder configuration record are kept.
const CONFIG_MAX: usize = 64 << 10;
/// At most this many bytes of the first `onMetaData` tag are kept.
const SCRIPT_MAX: usize = 64 << 10;
/// At most this many different steps between a stream's tags are counted.
const STEPS_MAX: usize = 256;
/// AMF0 values nested deeper than this, or objects with more properties, are not read.
const AMF_DEPTH: usize = 8;
const AMF_PROPS: usize = 1024;
/// Distinct sequence parameter sets remembered.
const SPS_MAX: usize = 16;

/// Whether `head` starts an FLV file: the signature and version 1, then a header of at least
/// 9 bytes (a file cut inside its header is an FLV file cut short).
pub fn detect(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
        && head.get(3) == Some(&1)
        && head
            .get(5..9)
            .is_none_or(|l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]) >= FILE_HEADER as u32)
}

/// One stream (the pictures or the sound) as its tags go past; times in milliseconds.
#[derive(Debug, Default)]
struct Track {
    codec: Option<&'static str>,
    codec_tag: Option<TagName>,
    profile: Option<String>,
    size: Option<(u32, u32)>,
    sample_rate: Option<u32>,
    channels: Option<u16>,
    /// Tags of the stream counted (pictures, or frames of sound).
    count: u64,
    first: Option<i64>,
    last: i64,
    latest: i64,
    /// Steps between consecutive tags and how often each was seen (at most [`STEPS_MAX`]
    /// kinds; steps of no time not counted).
    steps: Vec<(i64, u64)>,
    /// The longest step, the time (from the first tag) it starts at, and the number (1-based)
    /// of the tag it follows; the step furthest back, likewise; and the shortest forward step.
    longest: Option<(i64, i64, u64)>,
    back: Option<(i64, i64, u64)>,
    shortest: Option<i64>,
}

impl Track {
    /// One more tag of the stream, at `t` ms (its decoding time).
    fn time(&mut self, t: i64) {
        self.count += 1;
        let Some(first) = self.first else {
            (self.first, self.last, self.latest) = (Some(t), t, t);
            return;
        };
        let step = t - self.last;
        let at = self.last - first;
        span::count_step(&mut self.steps, step, STEPS_MAX);
        if step > 0 {
            if self.longest.is_none_or(|(l, _, _)| step > l) {
                self.longest = Some((step, at, self.count - 1));
            }
            self.shortest = Some(self.shortest.map_or(step, |s| s.min(step)));
        } else if step < 0 && self.back.is_none_or(|(b, _, _)| step < b) {
            self.back = Some((step, at, self.count - 1));
        }
        self.last = t;
        self.latest = self.latest.max(t);
    }

    /// The usual step (the commonest), and the mean of the steps within half the median step
    /// of the median: the picture's length. A 30 fps stream in whole milliseconds steps 33,
    /// 33, 34; a recorder stamping each picture as it was captured wanders a few milliseconds
    /// either way, so that the commonest step says little (a 25 fps stream jittering by 12 ms
    /// read 23.2 fps by it); a jump, far from the median, is left out.
    fn usual(&self) -> Option<(i64, f64)> {
        let u = span::commonest(&self.steps)?;
        let mut sorted: Vec<(i64, u64)> =
            self.steps.iter().filter(|(d, _)| *d > 0).copied().collect();
        sorted.sort_unstable();
        let total: u64 = sorted.iter().map(|(_, n)| n).sum();
        let mut seen = 0;
        let median = sorted
            .iter()
            .find(|(_, n)| {
                seen += n;
                2 * seen >= total
            })
            .map_or(u, |(d, _)| *d);
        let (sum, n) = sorted
            .iter()
            .filter(|(d, _)| 2 * (d - median).abs() <= median)
            .fold((0i64, 0u64), |(s, k), &(d, n)| {
                (s.saturating_add(d.saturating_mul(n as i64)), k + n)
            });
        Some((
            u,
            if n == 0 {
                u as f64
            } else {
                sum as f64 / n as f64
            },
        ))
    }

    fn stream(&self, kind: &str, stated_rate: Option<f64>) -> StreamInfo {
        let usual = self.usual();
        let length = self
            .first
            .map(|f| self.latest - f + usual.map_or(0, |(u, _)| u));
        // The largest step beyond the usual one forward, or the step furthest back, whichever
        // is the larger.
        let forward = match (self.longest, usual) {
            (Some((l, at, n)), Some((u, _))) if l > u => Some((l - u, at, n)),
            _ => None,
        };
        let jump = match (forward, self.back) {
            (Some(f), Some(b)) if -b.0 > f.0 => Some(b),
            (Some(f), _) => Some(f),
            (None, b) => b,
        }
        .map(|(size, at, n)| Jump {
            at_s: at as f64 / 1000.0,
            size_s: size as f64 / 1000.0,
            sample: Some(n),
        });
        let video = kind == "video";
        StreamInfo {
            kind: kind.into(),
            codec: self.codec.map(str::to_string),
            codec_tag: self.codec_tag.map(TagName::text),
            profile: self.profile.clone(),
            width: self.size.map(|(w, _)| w).filter(|_| video),
            height: self.size.map(|(_, h)| h).filter(|_| video),
            frame_rate: if video {
                usual
                    .map(|(_, mean)| 1000.0 / mean)
                    .or(stated_rate.filter(|r| r.is_finite() && *r > 0.0))
            } else {
                None
            },
            sample_rate: self.sample_rate,
            channels: self.channels,
            timescale: Some(1000),
            duration_s: length.map(|l| l as f64 / 1000.0),
            sample_count: Some(self.count),
            delta_min: self.shortest.and_then(|s| u64::try_from(s).ok()),
            delta_max: self.longest.and_then(|(l, _, _)| u64::try_from(l).ok()),
            delta_typical: usual.and_then(|(u, _)| u64::try_from(u).ok()),
            jump,
            sample_descriptions: 1,
            ..Default::default()
        }
    }
}

/// What the first `onMetaData` says.
#[derive(Debug, Default)]
struct Meta {
    seen: bool,
    duration: Option<f64>,
    width: Option<f64>,
    height: Option<f64>,
    frame_rate: Option<f64>,
    encoder: Option<String>,
    creator: Option<String>,
    created: Option<(RecordedTime, String)>,
}

/// An AMF0 value, as far as the metadata needs it.
enum Amf {
    Number(f64),
    Text(String),
    Date(f64),
    Other,
}

/// Reads one AMF0 value (AMF0 specification §2), handing each property of an object, typed
/// object or ECMA array read at depth 0 to `prop` as it is read. Nesting, property counts and
/// lengths are bounded by [`AMF_DEPTH`], [`AMF_PROPS`] and the bytes present; `None` where the
/// bytes stop making values (what was handed stays handed).
fn amf(c: &mut Cursor, depth: usize, prop: &mut dyn FnMut(&str, Amf)) -> Option<Amf> {
    if depth > AMF_DEPTH {
        return None;
    }
    let text = |c: &mut Cursor, n: usize| -> Option<String> {
        Some(String::from_utf8_lossy(c.take(n).ok()?).into_owned())
    };
    let marker = c.u8().ok()?;
    Some(match marker {
        0 => Amf::Number(f64::from_bits(c.be64().ok()?)),
        1 => {
            c.skip(1).ok()?;
            Amf::Other
        }
        2 => {
            let n = usize::from(c.be16().ok()?);
            Amf::Text(text(c, n)?)
        }
        12 => {
            let n = c.be32().ok()? as usize;
            Amf::Text(text(c, n)?)
        }
        15 => {
            let n = c.be32().ok()? as usize;
            c.skip(n).ok()?;
            Amf::Other
        }
        3 | 8 | 16 => {
            if marker == 8 {
                // An ECMA array's count: the end marker, not the count, closes it.
                c.skip(4).ok()?;
            }
            if marker == 16 {
                let n = usize::from(c.be16().ok()?);
                c.skip(n).ok()?;
            }
            for _ in 0..AMF_PROPS {
                let n = usize::from(c.be16().ok()?);
                if n == 0 && c.rest().first() == Some(&9) {
                    c.skip(1).ok()?;
                    break;
                }
                let key = text(c, n)?;
                let value = amf(c, depth + 1, &mut |_, _| {})?;
                if depth == 0 {
                    prop(&key, value);
                }
            }
            Amf::Other
        }
        5 | 6 | 13 => Amf::Other,
        7 => {
            c.skip(2).ok()?;
            Amf::Other
        }
        10 => {
            let n = c.be32().ok()? as usize;
            for _ in 0..n.min(c.remaining()) {
                amf(c, depth + 1, &mut |_, _| {})?;
            }
            Amf::Other
        }
        11 => {
            // Milliseconds since 1970 UTC, then a time zone field the format reserves.
            let ms = f64::from_bits(c.be64().ok()?);
            c.skip(2).ok()?;
            Amf::Date(ms)
        }
        _ => return None,
    })
}

/// A creation date as a writer states it in the metadata: an AMF0 date (UTC), or text in one
/// of the forms writers use (`Mon Mar 12 10:00:00 2026`, ISO 8601 with or without a zone).
fn creation(v: Amf) -> Option<(RecordedTime, String)> {
    match v {
        Amf::Date(ms) if ms.is_finite() => {
            let s = (ms / 1000.0).floor() as i64;
            let raw = chrono::DateTime::from_timestamp(s, 0)?
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            Some((RecordedTime::Utc(s), raw))
        }
        Amf::Text(t) => {
            let t = t.trim();
            if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
                let off = d.offset().local_minus_utc();
                return Some((RecordedTime::Offset(d.naive_local(), off), t.to_string()));
            }
            let squeezed = t.split_whitespace().collect::<Vec<_>>().join(" ");
            [
                "%a %b %d %H:%M:%S %Y",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S",
                "%Y:%m:%d %H:%M:%S",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(&squeezed, f).ok())
            .filter(|d| chrono::Utc.from_utc_datetime(d).timestamp() > 0)
            .map(|d| (RecordedTime::Local(d), t.to_string()))
        }
        _ => None,
    }
}

impl Meta {
    fn take(&mut self, key: &str, v: Amf) {
        let number = |v: &Amf| match v {
            Amf::Number(n) if n.is_finite() && *n > 0.0 => Some(*n),
            _ => None,
        };
        match key {
            "duration" => self.duration = number(&v),
            "width" => self.width = number(&v),
            "height" => self.height = number(&v),
            "framerate" | "videoframerate" => self.frame_rate = number(&v),
            "encoder" => {
                if let Amf::Text(t) = v {
                    self.encoder = super::cursor::text(t.as_bytes());
                }
            }
            "metadatacreator" | "creator" => {
                if let Amf::Text(t) = v {
                    self.creator = super::cursor::text(t.as_bytes());
                }
            }
            "creationdate" | "creation_time" if self.created.is_none() => {
                self.created = creation(v);
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Gathering the file header into `buf`.
    Header,
    /// Passing over the rest of a longer file header, to this offset.
    Skip(u64),
    /// Gathering the length of the tag before into `buf`.
    Prev,
    /// Gathering a tag's header into `buf`.
    Tag,
    /// A tag's body, to this offset: its first bytes kept in `buf`.
    Body(u64),
    /// Zeros where a tag should start, from this offset.
    Zeros(u64),
    Dead,
}

/// The header of the tag being read.
#[derive(Debug, Clone, Copy, Default)]
struct TagHead {
    kind: u8,
    /// Where its body starts, and its length.
    at: u64,
    size: u32,
    /// Milliseconds (decoding time, for a picture).
    time: i64,
}

pub struct FlvSink {
    pos: u64,
    buf: Vec<u8>,
    state: State,
    tag: TagHead,
    problem: Option<Problem>,
    tags: u64,
    /// The length the next `PreviousTagSize` should hold, and how many did not (the first
    /// such offset).
    expected_prev: u32,
    prev_wrong: u64,
    first_prev_wrong: Option<u64>,
    encrypted: u64,
    video: Track,
    audio: Track,
    meta: Meta,
    /// The first picture decoder configuration record, and the distinct sequence parameter
    /// sets of all of them.
    config: Option<Vec<u8>>,
    sps: Vec<Vec<u8>>,
    codec_changes: u64,
    /// Pictures noted for the keyframe stage.
    pictures: keyplan::PictureNotes,
}

impl Default for FlvSink {
    fn default() -> Self {
        Self::new()
    }
}

/// How a tag names its codec: a number (FLV's codec ids and sound formats) or an Enhanced
/// RTMP FourCC. Kept as read, made text only for the stream's row (`codec_tag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagName {
    Id(u8),
    FourCc([u8; 4]),
}

impl TagName {
    fn fourcc(b: &[u8]) -> Option<TagName> {
        Some(TagName::FourCc(b.get(..4)?.try_into().ok()?))
    }

    fn text(self) -> String {
        match self {
            TagName::Id(n) => n.to_string(),
            TagName::FourCc(b) => String::from_utf8_lossy(&b).into_owned(),
        }
    }
}

/// A signed 24-bit field (a composition time offset).
fn si24(b: &[u8]) -> Option<i64> {
    let b = b.get(..3)?;
    let v = i32::from_be_bytes([b[0], b[1], b[2], 0]) >> 8;
    Some(i64::from(v))
}

/// A picture tag's body read: codec, frame type, packet type (0 configuration, 1 pictures, 2
/// end of sequence, other: none of these) and composition time, and where its data start.
struct PictureHead {
    codec: Option<&'static str>,
    tag: TagName,
    key: bool,
    packet: u8,
    cts: i64,
    data_at: usize,
}

fn picture_head(body: &[u8]) -> Option<PictureHead> {
    let &b0 = body.first()?;
    if b0 & 0x80 != 0 {
        // Enhanced RTMP: frame type (3 bits), packet type, then the codec's FourCC.
        let packet = b0 & 0x0f;
        let fourcc = body.get(1..5)?;
        let codec = match fourcc {
            b"avc1" => Some("h264"),
            b"hvc1" => Some("hevc"),
            b"av01" => Some("av1"),
            b"vp09" => Some("vp9"),
            _ => None,
        };
        let timed = matches!(codec, Some("h264" | "hevc"));
        let (packet, cts, data_at) = match packet {
            0 => (0, 0, 5),
            1 if timed => (1, si24(body.get(5..)?)?, 8),
            1 | 3 => (1, 0, 5),
            2 => (2, 0, 5),
            _ => (u8::MAX, 0, 5),
        };
        return Some(PictureHead {
            codec,
            tag: TagName::fourcc(fourcc)?,
            key: (b0 >> 4) & 7 == 1,
            packet,
            cts,
            data_at,
        });
    }
    let id = b0 & 0x0f;
    let codec = match id {
        2 => Some("flv1"),
        3 => Some("flashsv"),
        4 => Some("vp6f"),
        5 => Some("vp6a"),
        6 => Some("flashsv2"),
        7 => Some("h264"),
        12 => Some("hevc"),
        _ => None,
    };
    let (packet, cts, data_at) = if matches!(id, 7 | 12) {
        let p = *body.get(1)?;
        (if p <= 2 { p } else { u8::MAX }, si24(body.get(2..)?)?, 5)
    } else {
        (1, 0, 1)
    };
    Some(PictureHead {
        codec,
        tag: TagName::Id(id),
        key: b0 >> 4 == 1,
        packet,
        cts,
        data_at,
    })
}

/// A sound tag's body read: codec, rate and channels where its first byte says them, whether
/// it is a configuration (AAC's AudioSpecificConfig, from `data_at`) rather than sound.
struct SoundHead {
    codec: Option<&'static str>,
    tag: TagName,
    rate: Option<u32>,
    channels: Option<u16>,
    config: bool,
    data_at: usize,
}

fn sound_head(body: &[u8]) -> Option<SoundHead> {
    let &b0 = body.first()?;
    let format = b0 >> 4;
    if format == 9 {
        // Enhanced RTMP: packet type, then the codec's FourCC.
        let fourcc = body.get(1..5)?;
        let codec = match fourcc {
            b"mp4a" => Some("aac"),
            b"Opus" => Some("opus"),
            b".mp3" => Some("mp3"),
            b"fLaC" => Some("flac"),
            b"ac-3" => Some("ac3"),
            b"ec-3" => Some("eac3"),
            _ => None,
        };
        return Some(SoundHead {
            codec,
            tag: TagName::fourcc(fourcc)?,
            rate: None,
            channels: None,
            config: b0 & 0x0f == 0,
            data_at: 5,
        });
    }
    let stated = [5512, 11025, 22050, 44100][usize::from((b0 >> 2) & 3)];
    let stereo = if b0 & 1 == 1 { 2 } else { 1 };
    let (codec, rate, channels) = match format {
        0 | 3 => (
            Some(if b0 & 2 == 0 { "pcm_u8" } else { "pcm_s16le" }),
            Some(stated),
            Some(stereo),
        ),
        1 => (Some("adpcm_swf"), Some(stated), Some(stereo)),
        2 => (Some("mp3"), Some(stated), Some(stereo)),
        4 => (Some("nellymoser"), Some(16000), Some(1)),
        5 => (Some("nellymoser"), Some(8000), Some(1)),
        6 => (Some("nellymoser"), Some(stated), Some(stereo)),
        // G.711 is 8 kHz, one channel, whatever the rate bits say.
        7 => (Some("pcm_alaw"), Some(8000), Some(1)),
        8 => (Some("pcm_mulaw"), Some(8000), Some(1)),
        10 => (Some("aac"), None, None),
        11 => (Some("speex"), Some(16000), Some(1)),
        14 => (Some("mp3"), Some(8000), Some(stereo)),
        _ => (None, None, None),
    };
    let aac = format == 10;
    Some(SoundHead {
        codec,
        tag: TagName::Id(format),
        rate,
        channels,
        config: aac && body.get(1) == Some(&0),
        data_at: if aac { 2 } else { 1 },
    })
}

impl FlvSink {
    pub fn new() -> Self {
        FlvSink {
            pos: 0,
            buf: Vec::with_capacity(KEEP_HEAD),
            state: State::Header,
            tag: TagHead::default(),
            problem: None,
            tags: 0,
            expected_prev: 0,
            prev_wrong: 0,
            first_prev_wrong: None,
            encrypted: 0,
            video: Track::default(),
            audio: Track::default(),
            meta: Meta::default(),
            config: None,
            sps: Vec::new(),
            codec_changes: 0,
            pictures: keyplan::PictureNotes::default(),
        }
    }

    fn die(&mut self, p: Problem) {
        self.problem.get_or_insert(p);
        self.state = State::Dead;
    }

    /// How many of the current tag's first bytes to keep: a sound's or picture's head, the
    /// whole of a decoder configuration or of the first `onMetaData`.
    fn keep(&self) -> usize {
        match self.tag.kind {
            SCRIPT if !self.meta.seen => SCRIPT_MAX,
            SCRIPT => 0,
            _ if self.buf.len() < KEEP_HEAD => KEEP_HEAD,
            PICTURE if picture_head(&self.buf).is_some_and(|h| h.packet == 0) => CONFIG_MAX,
            SOUND if sound_head(&self.buf).is_some_and(|h| h.config) => CONFIG_MAX,
            _ => KEEP_HEAD,
        }
    }

    /// A tag header has been gathered in `buf`: checked, and its body begun.
    fn tag_header(&mut self) {
        let h = std::mem::take(&mut self.buf);
        let at = self.pos - TAG_HEADER as u64;
        if h.iter().all(|&b| b == 0) {
            self.state = State::Zeros(at);
            return;
        }
        if h.starts_with(MAGIC) {
            self.die(Problem::corrupt(format!(
                "FLV (Annex E.2): a second file header at offset {at} where a tag should start: two files joined end to end"
            )));
            return;
        }
        let kind = h[0] & 0x1f;
        if h[0] & 0xc0 != 0 || !matches!(kind, SOUND | PICTURE | SCRIPT) || h[8..11] != [0, 0, 0] {
            self.die(Problem::corrupt(format!(
                "FLV (Annex E.4.1): no tag starts at offset {at} (bytes {:02x?})",
                &h[..4]
            )));
            return;
        }
        if h[0] & 0x20 != 0 {
            self.encrypted += 1;
        }
        let size = u32::from_be_bytes([0, h[1], h[2], h[3]]);
        let time = i64::from(i32::from_be_bytes([h[7], h[4], h[5], h[6]]));
        self.tag = TagHead {
            kind: if h[0] & 0x20 != 0 { 0 } else { kind },
            at: self.pos,
            size,
            time,
        };
        self.expected_prev = size + TAG_HEADER as u32;
        self.tags += 1;
        self.buf.clear();
        self.state = State::Body(self.pos + u64::from(size));
        if size == 0 {
            self.tag_done();
        }
    }

    /// A tag's body has gone past: what it says taken in.
    fn tag_done(&mut self) {
        let body = std::mem::take(&mut self.buf);
        let h = self.tag;
        match h.kind {
            SCRIPT => self.script(&body),
            PICTURE => self.picture(h, &body),
            SOUND => self.sound(h, &body),
            _ => {}
        }
        self.buf = body;
        self.buf.clear();
        self.state = State::Prev;
    }

    fn script(&mut self, body: &[u8]) {
        if self.meta.seen {
            return;
        }
        let mut c = Cursor::new(body);
        let mut meta = std::mem::take(&mut self.meta);
        // `onMetaData` (after `@setDataFrame`, as a live stream's publisher sends it), then
        // its properties.
        let mut named = false;
        for _ in 0..3 {
            match amf(&mut c, 0, &mut |k, v| meta.take(k, v)) {
                Some(Amf::Text(t)) if t == "onMetaData" => named = true,
                Some(Amf::Text(_)) => {}
                _ => break,
            }
        }
        meta.seen = named;
        if !named {
            meta = Meta::default();
        }
        self.meta = meta;
    }

    fn picture(&mut self, h: TagHead, body: &[u8]) {
        let Some(p) = picture_head(body) else { return };
        // A video information or command frame: no picture.
        if body.first().is_some_and(|b| b & 0x80 == 0 && b >> 4 == 5) {
            return;
        }
        // The first picture tag's codec is the stream's (an H.264 stream may name it as codec
        // 7 in one tag and `avc1` in another: the codec, not the tag, is compared).
        let same = match (self.video.codec, p.codec) {
            (Some(a), Some(b)) => a == b,
            _ => self.video.codec_tag == Some(p.tag),
        };
        if self.video.codec_tag.is_none() {
            self.video.codec = p.codec;
            self.video.codec_tag = Some(p.tag);
        } else if !same {
            self.codec_changes += 1;
            return;
        }
        match p.packet {
            0 => self.configuration(body.get(p.data_at..).unwrap_or_default()),
            1 => {
                self.video.time(h.time);
                self.note_picture(&p, h);
            }
            _ => {}
        }
    }

    /// A picture decoder configuration record: the first kept for the keyframe stage, its
    /// picture size and profile read; every one's sequence parameter sets counted.
    fn configuration(&mut self, record: &[u8]) {
        let Some(codec) = Codec::named(self.video.codec) else {
            return;
        };
        let Some((_, params)) = keyplan::decoder_config(codec, record) else {
            return;
        };
        let is_sps = |n: &[u8]| match codec {
            Codec::H264 => n.first().is_some_and(|h| h & 0x1f == 7),
            Codec::Hevc => n.first().is_some_and(|h| (h >> 1) & 0x3f == 33),
        };
        for sps in params.iter().filter(|n| is_sps(n)) {
            if !self.sps.contains(sps) && self.sps.len() < SPS_MAX {
                self.sps.push(sps.clone());
            }
            if self.video.size.is_some() {
                continue;
            }
            match codec {
                Codec::H264 => {
                    if let Some(s) = h264::parse_sps(sps) {
                        self.video.size = Some((s.width, s.height));
                        self.video.profile = Some(h264::profile_name(s.profile_idc));
                    }
                }
                Codec::Hevc => self.video.size = super::hevc::sps_size(sps),
            }
        }
        if self.config.is_none() {
            self.config = Some(record.to_vec());
        }
    }

    /// A picture noted for the keyframe stage: its number, where its NAL units lie, its
    /// presentation time from the stream's first decoding time.
    fn note_picture(&mut self, p: &PictureHead, h: TagHead) {
        let Some(first) = self.video.first else {
            return;
        };
        let ticks = h.time.saturating_add(p.cts).saturating_sub(first);
        let (Ok(ticks), Some(size)) = (u64::try_from(ticks), h.size.checked_sub(p.data_at as u32))
        else {
            return;
        };
        let s = Sample {
            number: self.video.count,
            offset: h.at + p.data_at as u64,
            size,
            ticks,
        };
        // Whether this picture ends the longest step so far.
        let after_longest = self
            .video
            .longest
            .is_some_and(|(_, _, n)| n + 1 == s.number);
        self.pictures.note(s, p.key, after_longest);
    }

    fn sound(&mut self, h: TagHead, body: &[u8]) {
        let Some(s) = sound_head(body) else { return };
        let a = &mut self.audio;
        if a.codec_tag.is_none() {
            a.codec = s.codec;
            a.codec_tag = Some(s.tag);
            a.sample_rate = s.rate;
            a.channels = s.channels;
        }
        if s.config {
            if a.codec == Some("aac")
                && a.sample_rate.is_none()
                && let Some((ch, rate)) =
                    super::bmff::audio_specific_config(body.get(s.data_at..).unwrap_or_default())
            {
                a.sample_rate = Some(rate).filter(|r| *r > 0);
                a.channels = Some(ch).filter(|c| *c > 0);
            }
            return;
        }
        a.time(h.time);
    }
}

impl Sink for FlvSink {
    fn feed(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            match self.state {
                State::Dead => return,
                State::Zeros(from) => {
                    let Some(k) = rest.iter().position(|&b| b != 0) else {
                        self.pos += rest.len() as u64;
                        return;
                    };
                    let at = self.pos + k as u64;
                    self.die(Problem::corrupt(format!(
                        "FLV (Annex E.4.1): zeros from offset {from} where a tag should start, then at offset {at} bytes that start no tag"
                    )));
                    return;
                }
                State::Skip(end) => {
                    let n = (end - self.pos).min(rest.len() as u64) as usize;
                    self.pos += n as u64;
                    rest = &rest[n..];
                    if self.pos == end {
                        self.state = State::Prev;
                    }
                }
                State::Header | State::Prev | State::Tag => {
                    let need = match self.state {
                        State::Header => FILE_HEADER,
                        State::Prev => 4,
                        _ => TAG_HEADER,
                    };
                    let n = (need - self.buf.len()).min(rest.len());
                    self.buf.extend_from_slice(&rest[..n]);
                    self.pos += n as u64;
                    rest = &rest[n..];
                    if self.buf.len() < need {
                        return;
                    }
                    match self.state {
                        State::Header => {
                            let b = &self.buf;
                            let len = u32::from_be_bytes([b[5], b[6], b[7], b[8]]);
                            if !b.starts_with(MAGIC) || b[3] != 1 || len < FILE_HEADER as u32 {
                                self.die(Problem::corrupt(
                                    "FLV (Annex E.2): no FLV version 1 header",
                                ));
                                return;
                            }
                            self.buf.clear();
                            self.state = State::Skip(u64::from(len));
                        }
                        State::Prev => {
                            let b = &self.buf;
                            let prev = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                            if prev != self.expected_prev {
                                self.prev_wrong += 1;
                                self.first_prev_wrong.get_or_insert(self.pos - 4);
                            }
                            self.buf.clear();
                            self.state = State::Tag;
                        }
                        _ => self.tag_header(),
                    }
                }
                State::Body(end) => {
                    let n = (end - self.pos).min(rest.len() as u64) as usize;
                    let heading = self.buf.len() < KEEP_HEAD && self.tag.kind != SCRIPT;
                    let take = self.keep().saturating_sub(self.buf.len()).min(n);
                    self.buf.extend_from_slice(&rest[..take]);
                    // While the head is gathered, go no further: what follows it is kept or
                    // not by what the head says.
                    let n = if heading { take } else { n };
                    self.pos += n as u64;
                    rest = &rest[n..];
                    if self.pos == end {
                        self.tag_done();
                    }
                }
            }
        }
    }

    fn finish(mut self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(Container::Flv);
        let mut problem = self.problem.take();
        if problem.is_none() {
            problem = match self.state {
                State::Header => Some(Problem::truncated(format!(
                    "FLV (Annex E.2): the file ends ({total} bytes) inside its header"
                ))),
                State::Skip(end) => Some(Problem::truncated(format!(
                    "FLV (Annex E.2): the header runs to offset {end}, past the end of the file ({total} bytes)"
                ))),
                State::Tag if !self.buf.is_empty() && self.buf.iter().any(|&b| b != 0) => {
                    Some(Problem::truncated(format!(
                        "FLV (Annex E.4.1): the file ends ({total} bytes) inside a tag's header at offset {}",
                        total - self.buf.len() as u64
                    )))
                }
                State::Body(end) => Some(Problem::truncated(format!(
                    "FLV (Annex E.4.1): the {} tag at offset {} runs to offset {end}, past the end of the file ({total} bytes): cut short",
                    match self.tag.kind {
                        SOUND => "sound",
                        PICTURE => "picture",
                        SCRIPT => "script",
                        _ => "encrypted",
                    },
                    self.tag.at - TAG_HEADER as u64
                ))),
                _ if self.tags == 0 => Some(Problem::truncated(format!(
                    "FLV (Annex E.3): no tag after the header ({total} bytes): the recording holds nothing"
                ))),
                _ => None,
            };
        }
        let zeros_from = match self.state {
            State::Zeros(from) => Some(from),
            State::Tag if !self.buf.is_empty() => Some(total - self.buf.len() as u64),
            _ => None,
        };
        if let Some(from) = zeros_from.filter(|_| problem.is_none()) {
            info.notes.push(format!(
                "{} bytes of zeros from offset {from} to the end of the file, after the last tag: space allocated and never written",
                total.saturating_sub(from)
            ));
        }
        if self.state == State::Prev && !self.buf.is_empty() {
            info.notes
                .push("the file ends inside the last tag's trailing length".into());
        }
        if self.prev_wrong > 0 {
            info.notes.push(format!(
                "{} tag length(s) after a tag do not match it (the first at offset {}): the tags are read by their own lengths",
                self.prev_wrong,
                self.first_prev_wrong.unwrap_or(0)
            ));
        }
        if self.encrypted > 0 {
            info.notes
                .push(format!("{} encrypted tag(s) passed over", self.encrypted));
        }
        if self.codec_changes > 0 {
            info.notes.push(format!(
                "{} picture tag(s) in another codec than the first passed over",
                self.codec_changes
            ));
        }
        if self.sps.len() > 1 {
            info.notes.push(format!(
                "{} different sequence parameter sets in its decoder configurations (the picture format changes mid-stream): the keyframe stage reads none of its pictures",
                self.sps.len()
            ));
        }
        let rate = self.meta.frame_rate;
        if self.video.count > 0 || self.config.is_some() {
            let mut v = self.video.stream("video", rate);
            if v.width.is_none()
                && let (Some(w), Some(h)) = (self.meta.width, self.meta.height)
            {
                v.width = Some(w.round() as u32);
                v.height = Some(h.round() as u32);
            }
            v.parameter_sets = self.sps.len() as u32;
            info.streams.push(v);
        }
        if self.audio.count > 0 || self.audio.codec_tag.is_some() {
            info.streams.push(self.audio.stream("audio", None));
        }
        let codec = Codec::named(self.video.codec);
        // The first configuration serves every picture only where it is the only one.
        let pictures = std::mem::take(&mut self.pictures);
        if let (Some(codec), Some(config)) = (codec, self.config.take())
            && self.sps.len() <= 1
            && let Some(noted) = pictures.noted(codec, 1000)
        {
            info.noted = Some(Box::new(Noted {
                config: Some(config),
                ..noted
            }));
        }
        info.kind = info.kind_of_streams();
        let cut = problem
            .as_ref()
            .is_some_and(|p| p.kind == super::ProblemKind::Truncated);
        info.duration_s = info
            .streams_length()
            .or(self.meta.duration.filter(|_| !cut));
        if let (Some(stated), Some(read)) = (self.meta.duration, info.duration_s)
            && (stated - read).abs() > 1.0 + read * 0.01
        {
            info.notes.push(format!(
                "the metadata states a duration of {stated:.3} s, the tags span {read:.3} s: the tags' length is taken"
            ));
        }
        info.encoder = self.meta.encoder.take();
        info.software = self.meta.creator.take();
        if let Some((t, raw)) = self.meta.created.take() {
            info.creation_time = Some(t);
            info.creation_time_raw = Some(raw);
            info.creation_time_source = Some("flv:creationdate");
        }
        info.layout = vec!["FLV".to_string(), format!("tags x{}", self.tags)];
        Parsed { info, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{MediaKind, ProblemKind, parse_bytes};

    const LIVE: &str = "labelled/单位甲/NEG-FLV/20260312/NEG-FLV_OF3028_20260312100000_0001.FLV";
    const HOLE: &str = "labelled/单位甲/LIV-01/20260312/LIV-01_OF2025_20260312100000_0001.FLV";

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(path),
        )
        .expect("fixture")
    }

    /// A tag of `kind` at `ms` with `body`, and the length after it.
    fn tag(kind: u8, ms: u32, body: &[u8]) -> Vec<u8> {
        let mut t = vec![kind];
        t.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        t.extend_from_slice(&ms.to_be_bytes()[1..]);
        t.push((ms >> 24) as u8);
        t.extend_from_slice(&[0, 0, 0]);
        t.extend_from_slice(body);
        t.extend_from_slice(&(body.len() as u32 + 11).to_be_bytes());
        t
    }

    /// An FLV file of these tags.
    fn flv(tags: &[Vec<u8>]) -> Vec<u8> {
        let mut f = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        for t in tags {
            f.extend_from_slice(t);
        }
        f
    }

    #[test]
    fn a_live_streams_recording_is_read_alike_in_any_chunking() {
        let bytes = fixture(LIVE);
        let whole = parse_bytes(&bytes, "flv", bytes.len());
        for chunk in [1, 7, 11, 4096] {
            assert_eq!(
                parse_bytes(&bytes, "flv", chunk),
                whole,
                "chunks of {chunk}"
            );
        }
        assert!(whole.problem.is_none(), "{:?}", whole.problem);
        let i = &whole.info;
        assert_eq!((i.container, i.kind), (Container::Flv, MediaKind::Video));
        let v = i.main_video().expect("a picture");
        assert_eq!(
            (v.codec.as_deref(), v.width, v.height, v.frame_rate),
            (Some("h264"), Some(160), Some(120), Some(10.0))
        );
        assert_eq!((v.sample_count, v.parameter_sets), (Some(20), 1));
        assert!(v.jump.is_none(), "{:?}", v.jump);
        let a = i.main_audio().expect("a sound");
        assert_eq!(
            (a.codec.as_deref(), a.sample_rate, a.channels),
            (Some("pcm_alaw"), Some(8000), Some(1))
        );
        // Written live: no duration in the metadata; the tags' span is the length.
        let d = i.duration_s.expect("a length");
        assert!((d - 2.0).abs() < 0.05, "{d}");
        assert!(i.encoder.as_deref().is_some_and(|e| e.starts_with("Lavf")));
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        // The keyframes noted for the stage: one a second, each a run of length-prefixed NAL
        // units that fills its sample exactly, the first an IDR picture.
        let noted = i.noted.as_deref().expect("pictures noted");
        assert_eq!(
            (noted.codec, noted.timescale, noted.sync.len()),
            (Codec::H264, 1000, 2)
        );
        assert_eq!(noted.lead.len(), 20);
        assert_eq!(noted.sync[1].ticks - noted.sync[0].ticks, 1000);
        let config = noted.config.as_deref().expect("avcC");
        assert_eq!(config[0], 1, "an AVCDecoderConfigurationRecord");
        for s in &noted.sync {
            let mut rest = &bytes[s.offset as usize..(s.offset + u64::from(s.size)) as usize];
            let mut types = Vec::new();
            while !rest.is_empty() {
                let n = u32::from_be_bytes(rest[..4].try_into().expect("4")) as usize;
                types.push(rest[4] & 0x1f);
                rest = &rest[4 + n..];
            }
            assert!(types.contains(&5), "an IDR slice among {types:?}");
        }
    }

    #[test]
    fn a_hole_in_a_live_streams_recording_is_its_jump_in_both_streams() {
        let p = parse_bytes(&fixture(HOLE), "flv", 4096);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        // The picture resumes at the keyframe 2 s on, the sound (cut by its own frames) 1.4 s.
        let v = p
            .info
            .main_video()
            .and_then(|v| v.jump)
            .expect("a picture's jump");
        assert_eq!((v.at_s, v.size_s), (2.9, 2.0));
        let a = p
            .info
            .main_audio()
            .and_then(|a| a.jump)
            .expect("a sound's jump");
        assert!(
            (1.2..1.5).contains(&a.size_s) && (2.7..3.0).contains(&a.at_s),
            "{a:?}"
        );
        // The pictures either side of the hole, for the stage to read across.
        let noted = p.info.noted.as_deref().expect("noted");
        assert_eq!(noted.jump.len(), 3);
        assert!(noted.jump[2].ticks - noted.jump[1].ticks > 1900);
    }

    #[test]
    fn hevc_as_chinese_servers_write_it_and_enhanced_rtmp_headers_are_read() {
        // Codec 12: a keyframe's pictures, presented 40 ms after their decoding time.
        let h = picture_head(&[0x1C, 1, 0, 0, 40]).expect("a head");
        assert_eq!(
            (h.codec, h.key, h.packet, h.cts, h.data_at),
            (Some("hevc"), true, 1, 40, 5)
        );
        // A negative composition time (24 bits, signed).
        let h = picture_head(&[0x27, 1, 0xff, 0xff, 0xd8]).expect("a head");
        assert_eq!((h.codec, h.key, h.cts), (Some("h264"), false, -40));
        // Enhanced RTMP: pictures with a composition time, pictures without one, a config.
        let h = picture_head(b"\x91hvc1\x00\x00\x28").expect("a head");
        assert_eq!(
            (h.codec, h.key, h.packet, h.cts, h.data_at),
            (Some("hevc"), true, 1, 40, 8)
        );
        let h = picture_head(b"\xa3avc1").expect("a head");
        assert_eq!(
            (h.codec, h.key, h.packet, h.cts, h.data_at),
            (Some("h264"), false, 1, 0, 5)
        );
        assert_eq!(picture_head(b"\x90hvc1").map(|h| h.packet), Some(0));
        assert!(picture_head(b"\x91hv").is_none());
        // A file of them: the configuration's SPS gives the picture size.
        let sps = crate::media::hevc::tests::X265_SPS;
        let mut hvcc = vec![0u8; 21];
        hvcc.extend_from_slice(&[0x03, 1, 0x21, 0, 1]);
        hvcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        hvcc.extend_from_slice(&sps);
        let mut config = vec![0x1C, 0, 0, 0, 0];
        config.extend_from_slice(&hvcc);
        // An IDR_W_RADL slice's first bytes, length-prefixed.
        let picture = |key: bool| {
            let mut b = vec![if key { 0x1C } else { 0x2C }, 1, 0, 0, 0, 0, 0, 0, 3];
            b.extend_from_slice(&[if key { 0x26 } else { 0x02 }, 0x01, 0xaf]);
            b
        };
        // The last picture's tag in Enhanced RTMP's form, the codec the same.
        let mut enhanced = b"\xa1hvc1\x00\x00\x00".to_vec();
        enhanced.extend_from_slice(&picture(false)[5..]);
        let file = flv(&[
            tag(9, 0, &config),
            tag(9, 0, &picture(true)),
            tag(9, 40, &picture(false)),
            tag(9, 80, &picture(true)),
            tag(9, 120, &enhanced),
        ]);
        let p = parse_bytes(&file, "flv", 3);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert!(p.info.notes.is_empty(), "{:?}", p.info.notes);
        let v = p.info.main_video().expect("video");
        assert_eq!(
            (
                v.codec.as_deref(),
                v.width,
                v.height,
                v.sample_count,
                v.frame_rate
            ),
            (Some("hevc"), Some(1280), Some(720), Some(4), Some(25.0))
        );
        let noted = p.info.noted.as_deref().expect("noted");
        assert_eq!(
            (noted.codec, noted.sync.len(), noted.lead.len()),
            (Codec::Hevc, 2, 4)
        );
        assert_eq!(noted.config.as_deref(), Some(&hvcc[..]));
        assert_eq!((noted.sync[1].ticks, noted.sync[1].size), (80, 7));
    }

    /// An AMF0 string value.
    fn amf_text(s: &str) -> Vec<u8> {
        let mut v = vec![2];
        v.extend_from_slice(&(s.len() as u16).to_be_bytes());
        v.extend_from_slice(s.as_bytes());
        v
    }

    fn key(k: &str) -> Vec<u8> {
        amf_text(k)[1..].to_vec()
    }

    #[test]
    fn the_writers_metadata_is_read_nested_values_passed_and_bounded() {
        let mut m = amf_text("onMetaData");
        m.extend_from_slice(&[8, 0, 0, 0, 4]);
        m.extend(key("duration"));
        m.push(0);
        m.extend_from_slice(&2.0f64.to_bits().to_be_bytes());
        // A nested object of arrays, as a writer's keyframe index, passed over.
        m.extend(key("keyframes"));
        m.push(3);
        m.extend(key("times"));
        m.extend_from_slice(&[10, 0, 0, 0, 2, 0]);
        m.extend_from_slice(&0.0f64.to_bits().to_be_bytes());
        m.push(0);
        m.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
        m.extend_from_slice(&[0, 0, 9]);
        m.extend(key("encoder"));
        m.extend(amf_text("Recorder RTMP 2.1"));
        m.extend(key("creationdate"));
        m.extend(amf_text("Thu Mar 12 10:00:00 2026\n"));
        m.extend_from_slice(&[0, 0, 9]);
        let sound = |ms| tag(8, ms, &[0x72, 0xd5, 0xd5]);
        let p = parse_bytes(&flv(&[tag(18, 0, &m), sound(0), sound(40)]), "flv", 5);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert_eq!(p.info.encoder.as_deref(), Some("Recorder RTMP 2.1"));
        assert_eq!(
            p.info.creation_time,
            NaiveDateTime::parse_from_str("2026-03-12 10:00:00", "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(RecordedTime::Local)
        );
        assert_eq!(p.info.creation_time_source, Some("flv:creationdate"));
        // The sound's tags span 80 ms, the metadata says 2 s: the tags are taken, and said.
        assert_eq!(p.info.duration_s, Some(0.08));
        assert!(
            p.info.notes.iter().any(|n| n.contains("metadata states")),
            "{:?}",
            p.info.notes
        );
        // An AMF0 date instead, in milliseconds since 1970.
        let mut d = amf_text("onMetaData");
        d.extend_from_slice(&[3]);
        d.extend(key("creationdate"));
        d.push(11);
        d.extend_from_slice(&1_773_280_800_000f64.to_bits().to_be_bytes());
        d.extend_from_slice(&[0, 0, 0, 0, 9]);
        let p = parse_bytes(&flv(&[tag(18, 0, &d), sound(0)]), "flv", 64);
        assert_eq!(p.info.creation_time, Some(RecordedTime::Utc(1_773_280_800)));
        // Objects nested past any writer's: read no further, and no crash.
        let mut deep = amf_text("onMetaData");
        for _ in 0..10_000 {
            deep.extend_from_slice(&[3, 0, 1, b'a']);
        }
        let p = parse_bytes(&flv(&[tag(18, 0, &deep), sound(0)]), "flv", 4096);
        assert!(p.problem.is_none() && p.info.encoder.is_none());
    }

    #[test]
    fn an_flv_cut_short_padded_joined_or_broken_is_told() {
        let bytes = fixture(LIVE);
        let kind = |b: &[u8]| {
            let p = parse_bytes(b, "flv", 1000);
            (p.problem.map(|p| (p.kind, p.message)), p.info.notes)
        };
        // Cut inside a tag: truncated, with the tag's offset.
        let (problem, _) = kind(&bytes[..bytes.len() - 100]);
        let (k, m) = problem.expect("a problem");
        assert_eq!(k, ProblemKind::Truncated);
        assert!(m.contains("past the end of the file"), "{m}");
        // Cut after a tag's body, before its trailing length: every byte of media is there.
        let (problem, notes) = kind(&bytes[..bytes.len() - 2]);
        assert!(problem.is_none() && notes.iter().any(|n| n.contains("trailing length")));
        // Zeros after the last tag: space never written, a note.
        let padded = [&bytes[..], &[0u8; 5000]].concat();
        let (problem, notes) = kind(&padded);
        assert!(problem.is_none(), "{problem:?}");
        assert!(
            notes.iter().any(|n| n.contains("never written")),
            "{notes:?}"
        );
        // Zeros, then bytes again: corrupt.
        let (problem, _) = kind(&[&padded[..], b"junk"].concat());
        assert_eq!(problem.map(|p| p.0), Some(ProblemKind::Corrupt));
        // Two files joined end to end: said so, where.
        let (problem, _) = kind(&[&bytes[..], &bytes[..]].concat());
        let (k, m) = problem.expect("a problem");
        assert_eq!(k, ProblemKind::Corrupt);
        assert!(
            m.contains(&format!("second file header at offset {}", bytes.len())),
            "{m}"
        );
        // Junk where the first tag should start.
        let mut junk = bytes.clone();
        junk[13..24].copy_from_slice(b"not a tag!!");
        let (problem, _) = kind(&junk);
        let (k, m) = problem.expect("a problem");
        assert_eq!(k, ProblemKind::Corrupt);
        assert!(m.contains("no tag starts at offset 13"), "{m}");
        // A header and nothing else: a recording that holds nothing; one cut inside its
        // header, cut short.
        let (problem, _) = kind(&bytes[..13]);
        assert_eq!(problem.map(|p| p.0), Some(ProblemKind::Truncated));
        let (problem, _) = kind(&bytes[..5]);
        let (k, m) = problem.expect("a problem");
        assert_eq!(k, ProblemKind::Truncated);
        assert!(m.contains("inside its header"), "{m}");
        // A wrong length after a tag: a note, the tags read by their own lengths.
        let mut wrong = bytes.clone();
        wrong[12] = 7;
        let p = parse_bytes(&wrong, "flv", 4096);
        assert!(p.problem.is_none());
        assert!(
            p.info.notes.iter().any(|n| n.contains("do not match")),
            "{:?}",
            p.info.notes
        );
        assert_eq!(
            p.info.streams,
            parse_bytes(&bytes, "flv", 4096).info.streams
        );
        // Noise named .flv, and noise after the signature: corrupt, never a panic.
        for seed in 0..64 {
            let noise = crate::media::pseudo_random(3000, seed);
            let _ = parse_bytes(&noise, "flv", 13);
            let _ = parse_bytes(&[&bytes[..13], &noise[..]].concat(), "flv", 97);
        }
    }
}
