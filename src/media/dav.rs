//! Dahua's DAV files (`.dav`): what Dahua's video recorders (NVR, DVR) and their clients export,
//! as a permit hall's CCTV does (第十五条), and what some of the vendor's cameras record. The
//! file is a run of frames, each opening with a 24-byte header (`DHAV`, the frame's type, its
//! number, its whole length, the recorder's wall-clock date to the second and a millisecond
//! counter, then the length of an extension that follows), its extension (fields the header's
//! types name: the picture's size, the codec and frame rate, the sound's codec, channels and
//! sampling), the payload (an H.264 or HEVC access unit in start-code form, or a block of
//! sound), and an 8-byte trailer (`dhav` and the frame's length again). Some exports begin with
//! a 1,024-byte file header (`DAHUA`).
//!
//! The parser walks the frames by their lengths as the bytes stream past, keeping their times
//! and, until the picture's profile is known, the first bytes of a keyframe's payload. Times:
//! the millisecond counter (16 bits, so it wraps each 65.536 s) unwrapped against the frames'
//! dates; a stream's length is the span of its times plus its usual step, and its largest step
//! beyond that usual one is its jump (a recording stopped and started in one export, or frames
//! cut out). The first frame's date is the recording's time (the recorder's wall clock, its
//! zone unstated). A frame cut short by the end of the file is `truncated`. Bytes where no
//! frame starts (a frame whose header does not hold together, or damage) are skipped to the
//! next `DHAV` and counted (`lost`, as a program stream's); such bytes running to the end of
//! the file, or more than half of it, are `corrupt`. Zeros to the end of the file after the
//! last frame are space allocated and never written (a note).

use chrono::{NaiveDate, NaiveDateTime};

use super::keyplan::{self, Codec, Noted, Sample};
use super::span;
use super::{
    Container, Jump, MediaInfo, Parsed, Problem, RecordedTime, Sink, StreamInfo, h264, hevc,
};

const FILE_MAGIC: &[u8; 5] = b"DAHUA";
/// The file header some exports begin with.
const FILE_HEADER: u64 = 0x400;
const FRAME_MAGIC: &[u8; 4] = b"DHAV";
const TRAILER_MAGIC: &[u8; 4] = b"dhav";
const HEADER: usize = 24;
const TRAILER: usize = 8;
/// The frame types: sound, an auxiliary frame, a picture, a keyframe. Frames of other types
/// (and auxiliary ones) are passed over whole by their lengths.
const AUDIO: u8 = 0xF0;
const AUX: u8 = 0xF1;
const PICTURE: u8 = 0xFC;
const KEYFRAME: u8 = 0xFD;
/// The longest frame taken for one (a 4K keyframe is a few MB): a longer declared length is a
/// header that does not hold together.
const FRAME_MAX: u32 = 64 << 20;
/// Bytes kept of a keyframe's payload, where the parameter sets are looked for.
const KEEP: usize = 1024;
/// At most this many different steps between a stream's frames are counted.
const STEPS_MAX: usize = 256;

/// Whether `head` starts a DAV file: the file header, or a frame of a type the format defines.
pub fn detect(head: &[u8]) -> bool {
    head.starts_with(FILE_MAGIC)
        || (head.starts_with(FRAME_MAGIC)
            && head
                .get(4)
                .is_some_and(|t| matches!(*t, AUDIO | AUX | PICTURE | KEYFRAME)))
}

/// The sampling rates the sound's extension field indexes.
const SAMPLE_RATES: [u32; 13] = [
    8000, 4000, 8000, 11025, 16000, 20000, 22050, 32000, 44100, 48000, 96000, 192000, 64000,
];

/// A frame's date: seconds (6 bits), minutes (6), hours (5), day (5), month (4), years since
/// 2000 (6), from the lowest bits up. `None` for a date no calendar holds.
fn date(v: u32) -> Option<NaiveDateTime> {
    let field = |shift: u32, bits: u32| (v >> shift) & ((1 << bits) - 1);
    NaiveDate::from_ymd_opt(2000 + field(26, 6) as i32, field(22, 4), field(17, 5))?.and_hms_opt(
        field(12, 5),
        field(6, 6),
        field(0, 6),
    )
}

/// One stream (the pictures or the sound) as its frames go past.
#[derive(Debug, Default)]
struct Track {
    codec: Option<&'static str>,
    codec_id: Option<u8>,
    size: Option<(u32, u32)>,
    profile: Option<u8>,
    /// The frame rate the extension states.
    stated_rate: Option<u8>,
    sample_rate: Option<u32>,
    channels: Option<u16>,
    frames: u64,
    /// The counter's last value, the last date read (seconds), and the unwrapped time (from 0
    /// at the first frame; steps are never negative, so it is also the latest).
    last: Option<(u16, Option<i64>, i64)>,
    /// The first and last frame's dates (seconds since 1970, the recorder's wall clock).
    first_date: Option<i64>,
    last_date: Option<i64>,
    /// Steps between consecutive frames and how often each was seen (at most [`STEPS_MAX`]
    /// kinds; steps of no time not counted).
    steps: Vec<(i64, u64)>,
    /// The longest step, the time it starts at, and the number (1-based) of the frame it
    /// follows; and the shortest.
    longest: Option<(i64, i64, u64)>,
    shortest: Option<i64>,
}

impl Track {
    /// One frame: its counter and date (seconds since 1970).
    fn time(&mut self, counter: u16, at: Option<i64>) {
        self.frames += 1;
        if let Some(d) = at {
            self.first_date.get_or_insert(d);
            self.last_date = Some(d);
        }
        let t = match self.last {
            None => 0,
            Some((c, d, t)) => {
                let raw = i64::from(counter.wrapping_sub(c));
                // The counter wraps each 65.536 s: the frames' dates say how many times it did
                // between two frames far apart (a recorder that paused inside one export).
                let wraps = match (at, d) {
                    (Some(now), Some(then)) => {
                        let by_date = now.saturating_sub(then).saturating_mul(1000);
                        (by_date.saturating_sub(raw) as f64 / 65_536.0)
                            .round()
                            .clamp(0.0, 1e6) as i64
                    }
                    _ => 0,
                };
                let step = raw + wraps * 65_536;
                span::count_step(&mut self.steps, step, STEPS_MAX);
                if self.longest.is_none_or(|(l, _, _)| step > l) {
                    self.longest = Some((step, t, self.frames - 1));
                }
                self.shortest = Some(self.shortest.map_or(step, |s| s.min(step)));
                t + step
            }
        };
        self.last = Some((counter, at.or(self.last.and_then(|l| l.1)), t));
    }

    fn stream(&self, kind: &str) -> StreamInfo {
        let usual = span::commonest(&self.steps);
        let length = self.last.map(|(_, _, t)| t + usual.unwrap_or(0));
        let jump = match (self.longest, usual) {
            (Some((l, at, n)), Some(u)) if l > u => Some(Jump {
                at_s: at as f64 / 1000.0,
                size_s: (l - u) as f64 / 1000.0,
                sample: Some(n),
            }),
            _ => None,
        };
        let rate_by_steps = usual.map(|u| 1000.0 / u as f64);
        StreamInfo {
            kind: kind.into(),
            codec: self.codec.map(str::to_string),
            codec_tag: self.codec_id.map(|c| format!("0x{c:02x}")),
            profile: self.profile.map(h264::profile_name),
            width: self.size.map(|(w, _)| w),
            height: self.size.map(|(_, h)| h),
            frame_rate: if kind == "video" {
                rate_by_steps.or(self.stated_rate.filter(|r| *r > 0).map(f64::from))
            } else {
                None
            },
            sample_rate: self.sample_rate,
            channels: self.channels,
            timescale: Some(1000),
            duration_s: length.map(|l| l as f64 / 1000.0),
            sample_count: Some(self.frames),
            delta_min: self.shortest.and_then(|s| u64::try_from(s).ok()),
            delta_max: self.longest.and_then(|(l, _, _)| u64::try_from(l).ok()),
            delta_typical: usual.and_then(|u| u64::try_from(u).ok()),
            jump,
            sample_descriptions: 1,
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Skipping this many bytes of the file header.
    FileHeader(u64),
    /// Gathering a frame's header into `buf`.
    Header,
    /// Gathering the extension (this many bytes in all) after the header in `buf`.
    Ext(usize),
    /// Passing over this many payload bytes (keeping the first of a keyframe's).
    Payload(u64),
    /// Gathering the trailer into `buf`.
    Trailer,
    /// Skipping the rest of an auxiliary frame.
    Skip(u64),
    /// Looking for the next `DHAV`, the last bytes seen kept in `buf`.
    Hunt,
    /// Zeros after the last frame.
    Zeros,
}

/// The header of the frame being read.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    kind: u8,
    length: u32,
    at: Option<i64>,
    counter: u16,
    /// Where its payload begins in the file, and its length.
    payload_at: u64,
    payload: u64,
}

pub struct DavSink {
    state: State,
    buf: Vec<u8>,
    frame: Frame,
    /// The start of the keyframe's payload, while its parameter sets are looked for, and
    /// whether they were found.
    kept: Vec<u8>,
    params_read: bool,
    offset: u64,
    /// Where the current frame (or the bytes being hunted past) began.
    frame_at: u64,
    video: Track,
    audio: Track,
    frames: u64,
    aux: u64,
    file_header: bool,
    /// Places where bytes started no frame, the bytes passed over, the first place.
    lost: u32,
    lost_bytes: u64,
    first_lost: Option<u64>,
    /// Frames whose trailer was not `dhav` and their own length.
    odd_trailers: u64,
    /// Runs of zeros between frames, and their bytes.
    padding: u64,
    padding_bytes: u64,
    /// The channel of the first picture or sound, and the frames of other channels passed over.
    channel: Option<u8>,
    other_channels: u64,
    zeros_from: Option<u64>,
    first_date: Option<NaiveDateTime>,
    date_raw: Option<u32>,
    /// The pictures noted for the keyframe stage.
    pictures: keyplan::PictureNotes,
}

impl DavSink {
    /// A reader for a file whose first bytes are `head` (a file header, or a frame).
    pub fn new(head: &[u8]) -> Self {
        let file_header = head.starts_with(FILE_MAGIC);
        DavSink {
            state: if file_header {
                State::FileHeader(FILE_HEADER)
            } else {
                State::Header
            },
            buf: Vec::with_capacity(HEADER + 255),
            frame: Frame::default(),
            kept: Vec::new(),
            params_read: false,
            offset: 0,
            frame_at: 0,
            video: Track::default(),
            audio: Track::default(),
            frames: 0,
            aux: 0,
            file_header,
            lost: 0,
            lost_bytes: 0,
            first_lost: None,
            odd_trailers: 0,
            channel: None,
            other_channels: 0,
            padding: 0,
            padding_bytes: 0,
            zeros_from: None,
            first_date: None,
            date_raw: None,
            pictures: keyplan::PictureNotes::default(),
        }
    }

    /// Consumes some of `data` in the current state; returns how many bytes.
    fn step(&mut self, data: &[u8]) -> usize {
        match self.state {
            State::FileHeader(left) | State::Skip(left) => {
                let n = (left.min(data.len() as u64)) as usize;
                self.state = match left - n as u64 {
                    0 => State::Header,
                    rest if matches!(self.state, State::Skip(_)) => State::Skip(rest),
                    rest => State::FileHeader(rest),
                };
                n
            }
            State::Header => {
                if self.buf.is_empty() {
                    self.frame_at = self.offset;
                }
                let n = self.gather(data, HEADER);
                if self.buf.len() == HEADER {
                    self.header();
                }
                n
            }
            State::Ext(len) => {
                let n = self.gather(data, HEADER + len);
                if self.buf.len() == HEADER + len {
                    self.extension(len);
                    let payload = u64::from(self.frame.length) - (HEADER + len + TRAILER) as u64;
                    self.frame.payload_at = self.frame_at + (HEADER + len) as u64;
                    self.frame.payload = payload;
                    self.buf.clear();
                    self.state = State::Payload(payload);
                }
                n
            }
            State::Payload(left) => {
                let n = (left.min(data.len() as u64)) as usize;
                if self.frame.kind == KEYFRAME && !self.params_read && self.kept.len() < KEEP {
                    let take = n.min(KEEP - self.kept.len());
                    self.kept.extend_from_slice(&data[..take]);
                }
                if left - n as u64 == 0 {
                    self.payload_done();
                    self.state = State::Trailer;
                } else {
                    self.state = State::Payload(left - n as u64);
                }
                n
            }
            State::Trailer => {
                let n = self.gather(data, TRAILER);
                if self.buf.len() == TRAILER {
                    let length =
                        u32::from_le_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]);
                    if &self.buf[..4] != TRAILER_MAGIC || length != self.frame.length {
                        self.odd_trailers += 1;
                    }
                    self.buf.clear();
                    self.state = State::Header;
                }
                n
            }
            State::Hunt => self.hunt(data),
            State::Zeros => match data.iter().position(|&b| b != 0) {
                None => data.len(),
                Some(p) => {
                    // Not zeros to the end after all: padding between frames, when a frame
                    // follows (else the header that follows is lost bytes, from there).
                    let from = self.zeros_from.take().unwrap_or(self.frame_at);
                    self.padding += 1;
                    self.padding_bytes += (self.offset + p as u64).saturating_sub(from);
                    self.state = State::Header;
                    p
                }
            },
        }
    }

    /// Adds bytes of `data` to `buf` until it holds `want`; returns how many were taken.
    fn gather(&mut self, data: &[u8], want: usize) -> usize {
        let take = want.saturating_sub(self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        take
    }

    /// A frame's header is in `buf`: checked, and the frame's reading begun.
    fn header(&mut self) {
        let b = &self.buf;
        let le32 = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let kind = b[4];
        let channel = b[6];
        let length = le32(12);
        let raw_date = le32(16);
        let counter = u16::from_le_bytes([b[20], b[21]]);
        let ext = usize::from(b[22]);
        let media = matches!(kind, AUDIO | PICTURE | KEYFRAME);
        let holds = &b[..4] == FRAME_MAGIC
            && length <= FRAME_MAX
            && (length as usize) >= HEADER + TRAILER + if media { ext } else { 0 };
        if !holds {
            // Zeros before a frame that begins inside the header's bytes: padding.
            if self.frames > 0
                && let Some(p) = memchr::memmem::find(&self.buf, FRAME_MAGIC)
                && p > 0
                && self.buf[..p].iter().all(|&x| x == 0)
            {
                self.padding += 1;
                self.padding_bytes += p as u64;
                self.frame_at += p as u64;
                self.buf.drain(..p);
                return;
            }
            if self.buf.iter().all(|&x| x == 0) && self.frames > 0 {
                self.zeros_from = Some(self.frame_at);
                self.buf.clear();
                self.state = State::Zeros;
                return;
            }
            self.lose_from(self.frame_at);
            // The next frame may begin inside the bytes gathered.
            let rest = self.buf.split_off(1);
            self.buf.clear();
            self.rescan(&rest);
            return;
        }
        let at = date(raw_date).map(|d| d.and_utc().timestamp());
        // The first frame's date is the recording's (its raw value kept where no calendar
        // holds it); a later frame's stands in only where the first's does not read.
        self.date_raw.get_or_insert(raw_date);
        if self.first_date.is_none() {
            self.first_date = date(raw_date);
        }
        self.frame = Frame {
            kind,
            length,
            at,
            counter,
            ..Frame::default()
        };
        self.frames += 1;
        // The file's channel is its first picture's or sound's: a recorder's export of several
        // cameras interleaves their frames, and one stream is read.
        let own = *self.channel.get_or_insert(channel) == channel;
        if media && !own {
            self.other_channels += 1;
            self.buf.clear();
            self.state = State::Skip(u64::from(length) - HEADER as u64);
        } else if !media {
            // An auxiliary frame, or a type this reader does not know: passed over whole by
            // its length.
            self.aux += 1;
            self.buf.clear();
            self.state = State::Skip(u64::from(length) - HEADER as u64);
        } else {
            self.state = State::Ext(ext);
        }
    }

    /// The extension's fields (after the header in `buf`, `len` bytes): each a type byte and a
    /// length the type implies. An unknown type ends the reading of the rest, as it cannot be
    /// stepped over.
    fn extension(&mut self, len: usize) {
        // Taken out of `buf` to be read while the tracks are written (and put back).
        let taken = std::mem::take(&mut self.buf);
        let e = &taken[HEADER..HEADER + len];
        let mut i = 0;
        while i < e.len() {
            let field = &e[i..];
            let byte = |k: usize| field.get(k).copied();
            let width = match field[0] {
                0x80 => {
                    if let (Some(w), Some(h)) = (byte(2), byte(3)) {
                        self.video.size = Some((u32::from(w) * 8, u32::from(h) * 8));
                    }
                    4
                }
                0x81 => {
                    if let (Some(c), Some(r)) = (byte(2), byte(3)) {
                        self.video.codec_id = Some(c);
                        self.video.codec = match c {
                            0x1 => Some("mpeg4"),
                            0x3 => Some("mjpeg"),
                            0x2 | 0x4 | 0x8 => Some("h264"),
                            0xC => Some("hevc"),
                            _ => None,
                        };
                        self.video.stated_rate = Some(r);
                    }
                    4
                }
                0x82 => {
                    if let (Some(a), Some(b), Some(c), Some(d)) =
                        (byte(4), byte(5), byte(6), byte(7))
                    {
                        self.video.size = Some((
                            u32::from(u16::from_le_bytes([a, b])),
                            u32::from(u16::from_le_bytes([c, d])),
                        ));
                    }
                    8
                }
                0x83 => {
                    self.sound(byte(1), byte(2), byte(3));
                    4
                }
                0x8C => {
                    self.sound(byte(2), byte(3), byte(4));
                    8
                }
                0x84 | 0x85 | 0x8B | 0x94 | 0x96 | 0xA0 | 0xB2 | 0xB4 => 4,
                0x88 | 0x91 | 0x92 | 0x93 | 0x95 | 0x9A | 0x9B | 0xB3 => 8,
                _ => break,
            };
            i += width;
        }
        self.buf = taken;
    }

    /// The sound's channels, codec and sampling (an index into [`SAMPLE_RATES`]).
    fn sound(&mut self, channels: Option<u8>, codec: Option<u8>, rate: Option<u8>) {
        let (Some(ch), Some(c), Some(r)) = (channels, codec, rate) else {
            return;
        };
        self.audio.channels = Some(u16::from(ch));
        self.audio.codec_id = Some(c);
        self.audio.codec = match c {
            0x07 => Some("pcm_s8"),
            0x0C | 0x10 => Some("pcm_s16le"),
            0x0A | 0x16 => Some("pcm_mulaw"),
            0x0E => Some("pcm_alaw"),
            0x1A => Some("aac"),
            0x1F => Some("mp2"),
            0x21 => Some("mp3"),
            0x0D => Some("adpcm_ms"),
            _ => None,
        };
        self.audio.sample_rate = SAMPLE_RATES.get(usize::from(r)).copied();
    }

    /// A frame's payload has gone past: its time counted, a keyframe's parameter sets read.
    fn payload_done(&mut self) {
        let f = self.frame;
        let track = if f.kind == AUDIO {
            &mut self.audio
        } else {
            &mut self.video
        };
        track.time(f.counter, f.at);
        if f.kind != AUDIO {
            self.note_picture(f);
        }
        if f.kind == KEYFRAME && !self.params_read {
            let kept = std::mem::take(&mut self.kept);
            for nal in h264::annexb_nals(&kept) {
                let Some(&h) = nal.first() else { continue };
                let hevc_stream = self.video.codec == Some("hevc");
                if !hevc_stream
                    && h & 0x1f == 7
                    && let Some(sps) = h264::parse_sps(nal)
                {
                    self.video.codec.get_or_insert("h264");
                    self.video.size.get_or_insert((sps.width, sps.height));
                    self.video.profile = Some(sps.profile_idc);
                    self.params_read = true;
                    break;
                }
                if hevc_stream
                    && (h >> 1) & 0x3f == 33
                    && let Some(size) = hevc::sps_size(nal)
                {
                    self.video.size.get_or_insert(size);
                    self.params_read = true;
                    break;
                }
            }
        }
    }

    /// A picture noted for the keyframe stage: its number, its payload's place, its time.
    fn note_picture(&mut self, f: Frame) {
        let Some((_, _, t)) = self.video.last else {
            return;
        };
        let (Ok(size), Ok(ticks)) = (u32::try_from(f.payload), u64::try_from(t)) else {
            return;
        };
        let s = Sample {
            number: self.video.frames,
            offset: f.payload_at,
            size,
            ticks,
        };
        // Whether this picture ends the longest step so far.
        let after_longest = self
            .video
            .longest
            .is_some_and(|(_, _, n)| n + 1 == s.number);
        self.pictures.note(s, f.kind == KEYFRAME, after_longest);
    }

    /// Bytes from `from` on start no frame: one more place counted, looked past.
    fn lose_from(&mut self, from: u64) {
        if self.state != State::Hunt {
            self.lost += 1;
            self.first_lost.get_or_insert(from);
            self.frame_at = from;
        }
        self.state = State::Hunt;
    }

    /// Looks for `DHAV` in the bytes of a header that did not hold together but its first
    /// (`bytes`, which began at `frame_at + 1`): a frame found there has the rest of its header
    /// still to come, as fewer than a header's bytes are left.
    fn rescan(&mut self, bytes: &[u8]) {
        match memchr::memmem::find(bytes, FRAME_MAGIC) {
            Some(p) => {
                let start = self.frame_at + 1 + p as u64;
                self.lost_bytes += start - self.frame_at;
                self.frame_at = start;
                self.buf.extend_from_slice(&bytes[p..]);
                self.state = State::Header;
            }
            None => {
                let keep = bytes.len().min(3);
                self.buf.extend_from_slice(&bytes[bytes.len() - keep..]);
                self.state = State::Hunt;
            }
        }
    }

    /// Hunting: the bytes seen last (at most 3, in `buf`) and `data` searched for `DHAV`.
    fn hunt(&mut self, data: &[u8]) -> usize {
        let carried = self.buf.len();
        let mut window = std::mem::take(&mut self.buf);
        let look = data.len().min(4096);
        window.extend_from_slice(&data[..look]);
        match memchr::memmem::find(&window, FRAME_MAGIC) {
            Some(p) => {
                // `p` counts from the carried bytes, which came before `offset`.
                let start = (self.offset + p as u64).saturating_sub(carried as u64);
                self.lost_bytes += start.saturating_sub(self.frame_at);
                self.frame_at = start;
                self.state = State::Header;
                if p >= carried {
                    // The frame starts in `data`: read its header from there.
                    p - carried
                } else {
                    // It starts among the carried bytes: they begin its header.
                    self.buf.extend_from_slice(&window[p..carried]);
                    0
                }
            }
            None => {
                let keep = window.len().min(3);
                self.buf.extend_from_slice(&window[window.len() - keep..]);
                look
            }
        }
    }
}

impl Sink for DavSink {
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = self.step(data);
            self.offset += n as u64;
            data = &data[n..];
        }
    }

    fn finish(mut self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(Container::Dav);
        let problem = match self.state {
            _ if self.frames == 0 && self.file_header && total < FILE_HEADER => {
                Some(Problem::truncated(format!(
                    "the file ends ({total} bytes) inside its {FILE_HEADER}-byte DAHUA file header"
                )))
            }
            _ if self.frames == 0 => Some(Problem::corrupt(
                "Dahua DAV: no frame (DHAV) holds together: not a DAV file",
            )),
            State::Hunt => Some(Problem::corrupt(format!(
                "Dahua DAV: no frame starts at offset {} nor anywhere after it to the end of the file ({} bytes)",
                self.frame_at,
                total.saturating_sub(self.frame_at)
            ))),
            _ if self.lost_bytes > total / 2 => Some(Problem::corrupt(format!(
                "Dahua DAV: {} of the file's {total} bytes, in {} places, start no frame: not a DAV file that lost some",
                self.lost_bytes, self.lost
            ))),
            State::Header if self.buf.is_empty() => None,
            // Fewer zeros than a header after the last frame: padding, not a frame cut short.
            State::Header if self.buf.iter().all(|&b| b == 0) => None,
            State::Zeros => None,
            _ => Some(Problem::truncated(format!(
                "Dahua DAV: the last frame, at offset {}, is cut short by the end of the file ({total} bytes)",
                self.frame_at
            ))),
        };
        if self.lost > 0 {
            info.notes.push(format!(
                "bytes that start no frame in {} place(s), {} bytes in all, the first at offset {}: each skipped to the next frame (DHAV)",
                self.lost,
                self.lost_bytes,
                self.first_lost.unwrap_or(0)
            ));
            info.continuity_errors = self.lost;
        }
        let short_zeros = (self.state == State::Header
            && !self.buf.is_empty()
            && self.buf.iter().all(|&b| b == 0))
        .then(|| total - self.buf.len() as u64);
        if let Some(from) = self.zeros_from.or(short_zeros) {
            info.notes.push(format!(
                "{} bytes of zeros from offset {from} to the end of the file, after the last frame (space allocated and never written, or padding): not read",
                total.saturating_sub(from)
            ));
        }
        if self.odd_trailers > 0 {
            info.notes.push(format!(
                "{} frame(s) whose trailer is not `dhav` and their own length",
                self.odd_trailers
            ));
        }
        if self.padding > 0 {
            info.notes.push(format!(
                "{} run(s) of zeros between frames, {} bytes in all, passed over (padding)",
                self.padding, self.padding_bytes
            ));
        }
        if self.other_channels > 0 {
            info.notes.push(format!(
                "{} frame(s) of other channels than the first frame's ({}) passed over: an export of several cameras, one read",
                self.other_channels,
                self.channel.unwrap_or(0)
            ));
        }
        if self.aux > 0 {
            info.notes.push(format!(
                "{} frame(s) of no picture or sound (auxiliary, type 0xF1, or of another type) passed over",
                self.aux
            ));
        }
        info.make = Some("Dahua".into());
        info.layout = self
            .file_header
            .then(|| "DAHUA".to_string())
            .into_iter()
            .chain([format!("DHAV x{}", self.frames)])
            .collect();
        if self.video.frames > 0 {
            info.streams.push(self.video.stream("video"));
        }
        // The pictures for the keyframe stage, of the codecs it decodes.
        let codec = Codec::named(self.video.codec);
        let pictures = std::mem::take(&mut self.pictures);
        info.noted = codec.and_then(|c| pictures.noted(c, 1000)).map(|n| {
            Box::new(Noted {
                times_may_be_decoding: true,
                ..n
            })
        });
        if self.audio.frames > 0 {
            info.streams.push(self.audio.stream("audio"));
        }
        // The counter against the dates: a recorder whose counter is not in milliseconds
        // would give lengths the dates belie.
        for (s, t) in info.streams.iter_mut().zip(
            [&self.video, &self.audio]
                .into_iter()
                .filter(|t| t.frames > 0),
        ) {
            if let (Some(len), Some(a), Some(b)) = (s.duration_s, t.first_date, t.last_date) {
                let by_dates = (b - a) as f64;
                if (len - by_dates).abs() > 2.0 + by_dates * 0.01 {
                    info.notes.push(format!(
                        "the {} frames' millisecond counter spans {len:.3} s, their dates {by_dates:.0} s: the dates' length is taken",
                        s.kind
                    ));
                    s.duration_s = Some(by_dates + 1.0);
                    s.jump = None;
                }
            }
        }
        info.kind = info.kind_of_streams();
        info.duration_s = info.streams_length();
        if let Some(d) = self.first_date {
            info.creation_time = Some(RecordedTime::Local(d));
            info.creation_time_raw = Some(d.format("%Y-%m-%d %H:%M:%S").to_string());
            info.creation_time_source = Some("dav:date");
        }
        if let Some(raw) = self.date_raw.filter(|r| date(*r).is_none()) {
            info.notes.push(format!(
                "the first frame's date (0x{raw:08x}) is no date of a calendar"
            ));
            if self.first_date.is_none() {
                info.creation_time_raw = Some(format!("0x{raw:08x}"));
            }
        }
        Parsed { info, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{ProblemKind, parse_bytes};

    /// The date field of 2026-03-12, `s` seconds after 10:00.
    fn when(s: u32) -> u32 {
        (s % 60) | ((s / 60) << 6) | (10 << 12) | (12 << 17) | (3 << 22) | (26 << 26)
    }

    fn frame(kind: u8, number: u32, secs: u32, ms: u16, ext: &[u8], payload: &[u8]) -> Vec<u8> {
        let length = (HEADER + ext.len() + payload.len() + TRAILER) as u32;
        let mut f = FRAME_MAGIC.to_vec();
        f.extend_from_slice(&[kind, 0, 0, 0]);
        f.extend_from_slice(&number.to_le_bytes());
        f.extend_from_slice(&length.to_le_bytes());
        f.extend_from_slice(&when(secs).to_le_bytes());
        f.extend_from_slice(&ms.to_le_bytes());
        f.extend_from_slice(&[ext.len() as u8, 0]);
        f.extend_from_slice(ext);
        f.extend_from_slice(payload);
        f.extend_from_slice(TRAILER_MAGIC);
        f.extend_from_slice(&length.to_le_bytes());
        f
    }

    /// The frames of a file made of whole frames, each by its length.
    fn frames_of(b: &[u8]) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        let mut at = 0;
        while at + 16 <= b.len() {
            let len = u32::from_le_bytes([b[at + 12], b[at + 13], b[at + 14], b[at + 15]]);
            frames.push(b[at..at + len as usize].to_vec());
            at += len as usize;
        }
        frames
    }

    /// `frame` of another channel.
    fn on_channel(channel: u8, mut f: Vec<u8>) -> Vec<u8> {
        f[6] = channel;
        f
    }

    /// `n` pictures at 25 fps (a keyframe each 25) from 10:00:`start`, counter from `ms`,
    /// and sound each 40 ms; `skip` leaves frames out (their numbers and times).
    fn export(n: u32, ms: u16, skip: impl Fn(u32) -> bool) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            if skip(i) {
                continue;
            }
            let t = u32::from(ms) + i * 40;
            let (secs, counter) = (t / 1000, (t % 65_536) as u16);
            let key = i % 25 == 0;
            let ext: &[u8] = if key {
                &[0x80, 0, 20, 15, 0x81, 0, 2, 25]
            } else {
                &[]
            };
            let payload = [0, 0, 0, 1, if key { 0x65 } else { 0x41 }, 0x88, 0x80, 0x10];
            out.extend(frame(
                if key { KEYFRAME } else { PICTURE },
                i,
                secs,
                counter,
                ext,
                &payload,
            ));
            out.extend(frame(
                AUDIO,
                i,
                secs,
                counter,
                &[0x83, 1, 0x0E, 0],
                &[0xD5; 320],
            ));
        }
        out
    }

    #[test]
    fn frames_give_the_streams_their_length_times_and_the_recording_its_date() {
        let bytes = export(250, 0, |_| false);
        for chunk in [1, 7, 24, 4096, bytes.len()] {
            let p = parse_bytes(&bytes, "dav", chunk);
            assert!(p.problem.is_none(), "{chunk}: {:?}", p.problem);
            let i = &p.info;
            assert_eq!(i.container, Container::Dav);
            assert_eq!(i.streams.len(), 2, "{chunk}");
            let v = &i.streams[0];
            assert_eq!(
                (v.codec.as_deref(), v.width, v.height),
                (Some("h264"), Some(160), Some(120))
            );
            assert_eq!(v.frame_rate, Some(25.0));
            assert_eq!(v.sample_count, Some(250));
            assert_eq!(v.duration_s, Some(10.0));
            assert!(v.jump.is_none());
            let a = &i.streams[1];
            assert_eq!(
                (a.codec.as_deref(), a.sample_rate, a.channels),
                (Some("pcm_alaw"), Some(8000), Some(1))
            );
            assert_eq!(i.duration_s, Some(10.0));
            let want = NaiveDate::from_ymd_opt(2026, 3, 12).and_then(|d| d.and_hms_opt(10, 0, 0));
            assert_eq!(i.creation_time, want.map(RecordedTime::Local));
        }
        // The pictures noted for the keyframe stage: each keyframe's payload where it lies.
        let p = parse_bytes(&bytes, "dav", 4096);
        let Some(frames) = p.info.noted else {
            panic!("no pictures noted")
        };
        assert_eq!((frames.codec, frames.timescale), (Codec::H264, 1000));
        assert_eq!(frames.sync.len(), 10);
        assert_eq!(frames.lead.len(), 250);
        assert!(!frames.reordered);
        let second = frames.sync[1];
        assert_eq!((second.number, second.ticks, second.size), (26, 1000, 8));
        let at = second.offset as usize;
        assert_eq!(&bytes[at..at + 5], &[0, 0, 0, 1, 0x65]);
        // A file header before the frames; the counter wrapping (from 65,000 ms on).
        let mut with_header = b"DAHUA".to_vec();
        with_header.resize(FILE_HEADER as usize, 0);
        with_header.extend(export(100, 65_000, |_| false));
        let p = parse_bytes(&with_header, "dav", 333);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert_eq!(p.info.streams[0].duration_s, Some(4.0));
        assert_eq!(p.info.layout, ["DAHUA", "DHAV x200"]);
    }

    #[test]
    fn frames_cut_out_are_a_jump_and_bytes_lost_are_read_past() {
        // Two seconds of frames (50 pictures) left out after 4 s.
        let cut = export(250, 0, |i| (100..150).contains(&i));
        let p = parse_bytes(&cut, "dav", 1000);
        assert!(p.problem.is_none());
        let j = p.info.streams[0].jump.expect("a jump");
        assert_eq!((j.at_s, j.size_s, j.sample), (3.96, 2.0, Some(100)));
        // The pictures either side of it noted for the keyframe stage's reading of their
        // numbering (the 99th, the 100th that lasts the step, the 101st after it).
        let Some(frames) = &p.info.noted else {
            panic!("no pictures noted")
        };
        let numbers: Vec<u64> = frames.jump.iter().map(|s| s.number).collect();
        assert_eq!(numbers, [99, 100, 101]);
        assert_eq!(frames.jump[2].ticks, 6000);
        // 300 bytes lost inside a frame at two places: read on from the next frames.
        let mut lossy = export(100, 0, |_| false);
        lossy.drain(5_000..5_300);
        lossy.drain(20_000..20_300);
        for chunk in [1, 5, 4096] {
            let p = parse_bytes(&lossy, "dav", chunk);
            assert!(p.problem.is_none(), "{chunk}: {:?}", p.problem);
            assert_eq!(p.info.continuity_errors, 2, "{chunk}: {:?}", p.info.notes);
            assert!(
                p.info.streams[0]
                    .sample_count
                    .is_some_and(|n| (96..100).contains(&n))
            );
        }
        // Cut short inside a frame; zeros after the last frame; no frame at all.
        let whole = export(50, 0, |_| false);
        let p = parse_bytes(&whole[..whole.len() - 100], "dav", 4096);
        assert_eq!(p.problem.map(|p| p.kind), Some(ProblemKind::Truncated));
        let mut padded = whole.clone();
        padded.extend(vec![0; 5000]);
        let p = parse_bytes(&padded, "dav", 4096);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert!(p.info.notes.iter().any(|n| n.contains("zeros")));
        // Zeros between frames (a writer padding them, short and long): padding, no loss.
        let mut padded_between = Vec::new();
        for (k, f) in frames_of(&export(50, 0, |_| false)).into_iter().enumerate() {
            padded_between.extend(f);
            padded_between.extend(vec![0; [5, 24, 700][k % 3]]);
        }
        for chunk in [1, 7, 4096] {
            let p = parse_bytes(&padded_between, "dav", chunk);
            assert!(p.problem.is_none(), "{chunk}: {:?}", p.problem);
            assert_eq!(p.info.continuity_errors, 0, "{chunk}: {:?}", p.info.notes);
            assert_eq!(p.info.streams[0].sample_count, Some(50));
            assert!(p.info.notes.iter().any(|n| n.contains("padding")));
        }
        // A header of the magic but a length that cannot hold it, between frames: bytes lost,
        // read past to the next frame (once, a loop: found by the `dav` fuzz target).
        let mut bad = export(10, 0, |_| false);
        let mut header = frame(KEYFRAME, 0, 0, 0, &[], &[]);
        header[12..16].copy_from_slice(&5u32.to_le_bytes());
        bad.extend(&header[..HEADER]);
        bad.extend(export(10, 400, |_| false));
        for chunk in [1, 4096] {
            let p = parse_bytes(&bad, "dav", chunk);
            assert!(p.problem.is_none(), "{chunk}: {:?}", p.problem);
            assert_eq!(p.info.continuity_errors, 1, "{chunk}");
            assert_eq!(p.info.streams[0].sample_count, Some(20));
        }
        // Another camera's frames interleaved (channel 1 after channel 0's): passed over.
        let mut two = Vec::new();
        let ours = export(50, 0, |_| false);
        let theirs = export(50, 20, |_| false);
        for (a, b) in frames_of(&ours).into_iter().zip(frames_of(&theirs)) {
            two.extend(a);
            two.extend(on_channel(1, b));
        }
        let p = parse_bytes(&two, "dav", 4096);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert_eq!(p.info.streams[0].sample_count, Some(50));
        assert_eq!(p.info.streams[0].duration_s, Some(2.0));
        assert!(p.info.streams[0].jump.is_none());
        assert!(p.info.notes.iter().any(|n| n.contains("other channels")));
        // A frame of a type this reader does not know, between two pictures: passed over.
        let mut other = export(50, 0, |_| false);
        let at = export(1, 0, |_| false).len();
        other.splice(at..at, frame(0xF7, 0, 0, 0, &[], &[1, 2, 3, 4, 5]));
        let p = parse_bytes(&other, "dav", 7);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert_eq!(p.info.continuity_errors, 0);
        assert_eq!(p.info.streams[0].sample_count, Some(50));
        assert!(p.info.notes.iter().any(|n| n.contains("of another type")));
        let mut junk = b"DHAV\xfd".to_vec();
        junk.extend((0..5000u32).map(|i| (i * 7 % 251) as u8));
        let p = parse_bytes(&junk, "dav", 4096);
        assert_eq!(p.problem.map(|p| p.kind), Some(ProblemKind::Corrupt));
    }

    #[test]
    fn a_date_no_calendar_holds_is_none() {
        assert!(date(when(0)).is_some());
        assert!(date(0).is_none());
        assert!(date(when(59) + 4).is_none());
        // Only the first frame's date unreadable: no step is made of the dates after it.
        let mut first_undated = export(50, 0, |_| false);
        first_undated[16..20].fill(0);
        let p = parse_bytes(&first_undated, "dav", 4096);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert_eq!(p.info.streams[0].duration_s, Some(2.0));
        assert!(p.info.streams[0].jump.is_none());
        // A recorder whose frames carry no date: read by the counter, no creation time.
        let mut undated = export(50, 0, |_| false);
        let mut at = 0;
        while at + 24 <= undated.len() {
            let len = u32::from_le_bytes([
                undated[at + 12],
                undated[at + 13],
                undated[at + 14],
                undated[at + 15],
            ]) as usize;
            undated[at + 16..at + 20].fill(0);
            at += len;
        }
        let p = parse_bytes(&undated, "dav", 4096);
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert_eq!(p.info.streams[0].duration_s, Some(2.0));
        assert_eq!(p.info.creation_time, None);
        assert_eq!(p.info.creation_time_raw.as_deref(), Some("0x00000000"));
        assert!(
            p.info
                .notes
                .iter()
                .any(|n| n.contains("no date of a calendar"))
        );
    }
}
