//! RIFF files: WAV (with Broadcast-WAV `bext` origination dates, EBU Tech 3285) and AVI
//! (OpenDML included). The RIFF form is descended into; `fmt `, `bext`, `LIST` headers and
//! `IDIT` are kept (bounded), while `data`, `movi` and `idx1` are skipped.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::chunks::{ChunkStream, Decision, Format, Header};
use super::cursor::{Cursor, fourcc_str, text};
use super::{Container, MediaInfo, MediaKind, Parsed, Problem, RecordedTime, Sink, StreamInfo};

const KEEP_LIMIT: u64 = 16 << 20;
/// AVI nests hdrl > strl > (strh, strf); nothing legitimate goes deeper than a few levels.
const MAX_DEPTH: u32 = 8;

pub struct RiffSink {
    cs: ChunkStream,
    info: MediaInfo,
    /// Each `data` chunk's body: where it begins and how long it is (`None`: to the end of
    /// the file, its length left open).
    data: Vec<(u64, Option<u64>)>,
    byte_rate: u32,
    saw_fmt: bool,
    avi_frames: Option<(u32, u32)>,
    /// The form's own length field was 0 or 0xFFFFFFFF: a writer that never came back to
    /// write its lengths (one that writes as it records, or was cut off before it closed the
    /// file).
    open_form: bool,
    /// RF64's `ds64` chunk: the `data` chunk's length, which its own field (0xFFFFFFFF) leaves
    /// to it (EBU Tech 3306 §3).
    ds64_data: Option<u64>,
    /// An AVI whose `movi` list's length was left open: what its chunks hold, counted as they
    /// go past, since its header's frame counts and its index were never written either.
    movi: Option<MoviCount>,
    /// Each AVI audio stream's bytes a second (`strf`'s `nAvgBytesPerSec`), in stream order.
    avi_byte_rates: Vec<u32>,
    /// Bytes fed so far.
    fed: u64,
    /// In an open `movi`, where a chunk id of zeros was met, and whether every byte from there
    /// on has been zero: space a recorder allocated and never wrote.
    zero_tail: Option<(u64, bool)>,
}

/// The chunks of an open `movi` list: per stream number (the id's first two digits), its
/// pictures (`##dc`, `##db`) or its sound's bytes (`##wb`), and where the last one ends.
#[derive(Debug, Default)]
struct MoviCount {
    /// Indexed by stream number: pictures of a video stream, bytes of an audio stream.
    counts: Vec<u64>,
    /// The stream number and the end of the last chunk counted (a chunk cut short by the end
    /// of the file is taken back at the finish).
    last: Option<(usize, u64, u64)>,
}

impl MoviCount {
    /// Counts a chunk of `movi`: `##dc`/`##db` a picture, `##wb` its body's bytes.
    fn chunk(&mut self, h: &Header) {
        let [a, b, c, d] = h.typ;
        if !(a.is_ascii_digit() && b.is_ascii_digit()) {
            return;
        }
        let stream = usize::from(a - b'0') * 10 + usize::from(b - b'0');
        let n = match &[c, d] {
            b"dc" | b"db" => 1,
            b"wb" => h.body_len().unwrap_or(0),
            _ => return,
        };
        if self.counts.len() <= stream {
            self.counts.resize(stream + 1, 0);
        }
        self.counts[stream] += n;
        let end = h.start.saturating_add(h.size.unwrap_or(0));
        self.last = Some((stream, n, end));
    }
}

/// A RIFF length field of 0xFFFFFFFF, as [`super::chunks::Header::body_len`] gives it (padded
/// to even): a length left open.
const OPEN_LEN: u64 = 0x1_0000_0000;

impl RiffSink {
    pub fn new(container: Container) -> Self {
        RiffSink {
            cs: ChunkStream::new(Format::Riff),
            info: MediaInfo::new(container),
            data: Vec::new(),
            byte_rate: 0,
            saw_fmt: false,
            avi_frames: None,
            open_form: false,
            ds64_data: None,
            movi: None,
            avi_byte_rates: Vec::new(),
            fed: 0,
            zero_tail: None,
        }
    }

    fn on_chunk(&mut self, h: &Header, body: &[u8], descended: bool) {
        if descended {
            return;
        }
        match &h.typ {
            b"fmt " => self.fmt(body),
            b"bext" => self.bext(body),
            b"LIST" => self.list(body, 0),
            b"IDIT" => {
                if let Some(t) = text(body) {
                    self.info.creation_time_raw.get_or_insert(t.clone());
                    if self.info.creation_time.is_none()
                        && let Ok(n) = NaiveDateTime::parse_from_str(&t, "%a %b %e %H:%M:%S %Y")
                    {
                        self.info.creation_time = Some(RecordedTime::Local(n));
                        self.info.creation_time_source = Some("avi:IDIT");
                    }
                }
            }
            _ => {}
        }
    }

    fn fmt(&mut self, b: &[u8]) {
        let mut c = Cursor::new(b);
        let Ok((tag, ch, rate, byte_rate, _align, bits)) = (|| -> super::cursor::R<_> {
            Ok((
                c.le16()?,
                c.le16()?,
                c.le32()?,
                c.le32()?,
                c.le16()?,
                c.le16()?,
            ))
        })() else {
            return;
        };
        self.saw_fmt = true;
        self.byte_rate = byte_rate;
        let codec = match (tag, bits) {
            (1, 8) => "pcm_u8".to_string(),
            (1, b) | (0xFFFE, b) => format!("pcm_s{b}le"),
            (3, b) => format!("pcm_f{b}le"),
            (6, _) => "pcm_alaw".into(),
            (7, _) => "pcm_mulaw".into(),
            (0x11, _) => "adpcm_ima_wav".into(),
            (0x55, _) => "mp3".into(),
            (0xFF, _) | (0x1610, _) => "aac".into(),
            (t, _) => format!("wave format 0x{t:04x}"),
        };
        self.info.streams.push(StreamInfo {
            kind: "audio".into(),
            codec: Some(codec),
            codec_tag: Some(format!("0x{tag:04x}")),
            sample_rate: Some(rate),
            channels: Some(ch),
            sample_descriptions: 1,
            description_summaries: vec![format!("0x{tag:04x} {rate}Hz {ch}ch {bits}bit")],
            ..Default::default()
        });
    }

    fn bext(&mut self, b: &[u8]) {
        // Description 256, Originator 32, OriginatorReference 32, OriginationDate 10,
        // OriginationTime 8.
        let originator = b.get(256..288).and_then(text);
        if let Some(o) = originator {
            self.info.make.get_or_insert(o);
        }
        let date = b.get(320..330).and_then(text);
        let time = b.get(330..338).and_then(text);
        if let Some(d) = &date {
            let raw = format!("{d} {}", time.clone().unwrap_or_default());
            // EBU allows '-', '_', ':', ' ' or '.' as separators.
            let norm = |s: &str| {
                s.chars()
                    .map(|c| if c.is_ascii_digit() { c } else { '-' })
                    .collect::<String>()
            };
            let nd = NaiveDate::parse_from_str(&norm(d), "%Y-%m-%d").ok();
            let nt = time
                .as_deref()
                .and_then(|t| NaiveTime::parse_from_str(&norm(t), "%H-%M-%S").ok());
            if let Some(nd) = nd {
                self.info.creation_time =
                    Some(RecordedTime::Local(nd.and_time(nt.unwrap_or_default())));
                self.info.creation_time_raw = Some(raw.trim().to_string());
                self.info.creation_time_source = Some("bext");
            }
        }
        if let Some(hist) = b.get(602..).and_then(text) {
            self.info
                .encoder
                .get_or_insert(hist.lines().last().unwrap_or_default().to_string());
        }
    }

    /// Walks a LIST's children in memory; nested lists deeper than `MAX_DEPTH` are ignored.
    fn list(&mut self, b: &[u8], depth: u32) {
        if depth > MAX_DEPTH {
            if self.info.notes.len() < 8 {
                self.info.notes.push(format!(
                    "LIST nesting deeper than {MAX_DEPTH} levels ignored"
                ));
            }
            return;
        }
        let mut c = Cursor::new(b);
        let Ok(kind) = c.fourcc() else { return };
        // LIST children are RIFF chunks too: walk them in memory.
        let mut sub = c.rest();
        let mut stream_kind: Option<[u8; 4]> = None;
        while sub.len() >= 8 {
            let id = [sub[0], sub[1], sub[2], sub[3]];
            let size = u32::from_le_bytes([sub[4], sub[5], sub[6], sub[7]]) as usize;
            let Some(body) = sub.get(8..8usize.saturating_add(size)) else {
                break;
            };
            match (&kind, &id) {
                (b"INFO", b"ISFT") => {
                    if let Some(t) = text(body) {
                        self.info.encoder.get_or_insert(t);
                    }
                }
                (b"INFO", b"ICRD") => {
                    if let Some(t) = text(body)
                        && self.info.creation_time.is_none()
                    {
                        if let Some(rt) = super::bmff::parse_datetime(&t).or_else(|| {
                            NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                                .ok()
                                .and_then(|d| d.and_hms_opt(0, 0, 0))
                                .map(RecordedTime::Local)
                        }) {
                            self.info.creation_time = Some(rt);
                            self.info.creation_time_source = Some("riff:ICRD");
                        }
                        self.info.creation_time_raw.get_or_insert(t);
                    }
                }
                (b"INFO", b"IMAK") | (b"INFO", b"IART") => {
                    if let Some(t) = text(body) {
                        self.info.make.get_or_insert(t);
                    }
                }
                (_, b"LIST") => self.list(body, depth + 1),
                (b"hdrl", b"avih") => {
                    let mut a = Cursor::new(body);
                    if let Ok((us, _, _, _, frames)) = (|| -> super::cursor::R<_> {
                        Ok((a.le32()?, a.le32()?, a.le32()?, a.le32()?, a.le32()?))
                    })() {
                        self.avi_frames = Some((us, frames));
                    }
                }
                (b"strl", b"strh") => {
                    let mut a = Cursor::new(body);
                    let r = (|| -> super::cursor::R<_> {
                        let t = a.fourcc()?;
                        let handler = a.fourcc()?;
                        a.skip(12)?;
                        let scale = a.le32()?;
                        let rate = a.le32()?;
                        a.skip(4)?;
                        let length = a.le32()?;
                        Ok((t, handler, scale, rate, length))
                    })();
                    if let Ok((t, handler, scale, rate, length)) = r {
                        stream_kind = Some(t);
                        let kind = match &t {
                            b"vids" => "video",
                            b"auds" => "audio",
                            b"txts" => "subtitle",
                            _ => "other",
                        };
                        let mut s = StreamInfo {
                            kind: kind.into(),
                            codec_tag: Some(fourcc_str(&handler)),
                            sample_count: Some(u64::from(length)),
                            timescale: Some(rate),
                            sample_descriptions: 1,
                            ..Default::default()
                        };
                        if scale > 0 && rate > 0 {
                            s.duration_s =
                                Some(f64::from(length) * f64::from(scale) / f64::from(rate));
                            if kind == "video" {
                                s.frame_rate = Some(f64::from(rate) / f64::from(scale));
                            }
                        }
                        self.info.streams.push(s);
                    }
                }
                (b"strl", b"strf") => {
                    let mut a = Cursor::new(body);
                    let k = self.info.streams.len().saturating_sub(1);
                    if let Some(s) = self.info.streams.last_mut() {
                        if stream_kind == Some(*b"vids") {
                            if let Ok((_, w, h, _, _, comp)) = (|| -> super::cursor::R<_> {
                                Ok((
                                    a.le32()?,
                                    a.le32()?,
                                    a.le32()?,
                                    a.le16()?,
                                    a.le16()?,
                                    a.fourcc()?,
                                ))
                            })() {
                                s.width = Some(w);
                                s.height = Some((h as i32).unsigned_abs());
                                let tag = fourcc_str(&comp);
                                s.codec = Some(avi_codec(&comp).to_string());
                                s.description_summaries
                                    .push(format!("{tag} {w}x{}", (h as i32).unsigned_abs()));
                                s.codec_tag = Some(tag);
                            }
                        } else if stream_kind == Some(*b"auds")
                            && let Ok((tag, ch, rate, byte_rate)) = (|| -> super::cursor::R<_> {
                                Ok((a.le16()?, a.le16()?, a.le32()?, a.le32()?))
                            })()
                        {
                            if self.avi_byte_rates.len() <= k {
                                self.avi_byte_rates.resize(k + 1, 0);
                            }
                            self.avi_byte_rates[k] = byte_rate;
                            s.channels = Some(ch);
                            s.sample_rate = Some(rate);
                            s.codec = Some(
                                match tag {
                                    1 => "pcm",
                                    0x55 => "mp3",
                                    0xFF => "aac",
                                    6 => "pcm_alaw",
                                    7 => "pcm_mulaw",
                                    0x11 => "adpcm_ima_wav",
                                    _ => "other",
                                }
                                .into(),
                            );
                            s.description_summaries
                                .push(format!("0x{tag:04x} {rate}Hz {ch}ch"));
                        }
                    }
                }
                _ => {}
            }
            let adv = 8usize.saturating_add(size).saturating_add(size & 1);
            sub = sub.get(adv..).unwrap_or(&[]);
        }
    }
}

impl RiffSink {
    /// An open `movi`'s counts as its streams' lengths (a chunk the file's end cut short not
    /// counted: the file is `truncated` by it, and lasts what it holds).
    fn counted(&mut self, mut m: MoviCount, total: u64) {
        if let Some((stream, n, end)) = m.last
            && end > total + 1
            && let Some(c) = m.counts.get_mut(stream)
        {
            *c -= n;
        }
        for (k, s) in self.info.streams.iter_mut().enumerate() {
            let n = m.counts.get(k).copied().unwrap_or(0);
            match s.kind.as_str() {
                "video" => {
                    s.sample_count = Some(n);
                    s.duration_s = s.frame_rate.filter(|r| *r > 0.0).map(|r| n as f64 / r);
                }
                "audio" => {
                    s.sample_count = None;
                    s.duration_s = self
                        .avi_byte_rates
                        .get(k)
                        .filter(|&&r| r > 0)
                        .map(|&r| n as f64 / f64::from(r));
                }
                _ => {}
            }
        }
        self.info.duration_s = self.info.streams_length();
    }
}

/// An AVI stream's chunk id: two digits and two letters (`00dc`, `01wb`, an index's `ix00`).
fn is_stream_chunk(id: &[u8]) -> bool {
    match id {
        [a, b, c, d] => {
            (a.is_ascii_digit()
                && b.is_ascii_digit()
                && c.is_ascii_alphabetic()
                && d.is_ascii_alphabetic())
                || (&[*a, *b] == b"ix" && c.is_ascii_digit() && d.is_ascii_digit())
        }
        _ => false,
    }
}

pub(super) fn avi_codec(c: &[u8; 4]) -> &'static str {
    match &c.map(|b| b.to_ascii_uppercase()) {
        b"H264" | b"X264" | b"AVC1" => "h264",
        b"HEVC" | b"H265" | b"HVC1" => "hevc",
        b"MJPG" => "mjpeg",
        b"XVID" | b"DIVX" | b"FMP4" | b"DX50" => "mpeg4",
        _ => "other",
    }
}

impl Sink for RiffSink {
    fn feed(&mut self, data: &[u8]) {
        let start = self.fed;
        self.fed += data.len() as u64;
        if let Some((_, zeros)) = &mut self.zero_tail {
            *zeros = *zeros && data.iter().all(|&b| b == 0);
            return;
        }
        let mut chunks: Vec<(Header, Vec<u8>, bool)> = Vec::new();
        let ds64 = std::cell::Cell::new(self.ds64_data);
        let wave = self.info.container == Container::Wav;
        let (open_form, spans, notes, movi) = (
            &mut self.open_form,
            &mut self.data,
            &mut self.info.notes,
            &mut self.movi,
        );
        let mut decide = |h: &Header| match &h.typ {
            b"RIFF" | b"RF64" => {
                *open_form = matches!(h.body_len(), Some(0 | OPEN_LEN));
                Decision::Descend {
                    extra: 4,
                    open: *open_form,
                }
            }
            // An AVI's list of open length is its `movi` (a header's lists are written whole
            // before the first picture): a writer recording into a stream (0xFFFFFFFF), or
            // cut off before it came back to write its lengths (0; its form's too, its frame
            // counts and its index never written). Its chunks are walked to the end of the
            // file and counted. Before 2026-12-07 such a file was `truncated` and 0 s long,
            // or, its form's length 0 too, `ok` and 0 s long.
            b"LIST" if !wave && matches!(h.body_len(), Some(0 | OPEN_LEN)) => {
                if movi.is_none() {
                    notes.push(format!(
                        "'LIST' at offset {} leaves its length open ({}): the AVI's lengths were never written, its chunks are counted to the end of the file",
                        h.start,
                        if h.body_len() == Some(0) {
                            "0: the writer never came back to write it, as when cut off before it closed the file"
                        } else {
                            "0xFFFFFFFF, as a writer recording into a stream leaves it"
                        }
                    ));
                }
                movi.get_or_insert_default();
                Decision::Descend {
                    extra: 4,
                    open: true,
                }
            }
            [a, b, _, _] if !wave && a.is_ascii_digit() && b.is_ascii_digit() => {
                if let Some(m) = movi.as_mut() {
                    m.chunk(h);
                }
                Decision::Skip
            }
            b"data" => {
                let start = h.start + h.header_len;
                let declared = h.body_len().unwrap_or(0);
                // A length left open: RF64's, which `ds64` holds; or one a writer never
                // wrote, 0xFFFFFFFF (one that writes as it records: to a pipe, a stream) or
                // 0 in a form whose length is open as well (cut off before it closed the
                // file). The samples run to the end of the file, or to `ds64`'s length.
                let open = wave && (declared == OPEN_LEN || (declared == 0 && *open_form));
                if !open {
                    spans.push((start, Some(declared)));
                    return Decision::Skip;
                }
                // (A `ds64` of zeros is one never written back, like the fields it stands for.)
                let body = if declared == OPEN_LEN {
                    ds64.get().filter(|&n| n > 0)
                } else {
                    None
                };
                spans.push((start, body));
                if body.is_none() {
                    notes.push(format!(
                        "'data' at offset {} leaves its length open ({}): the samples are read to the end of the file",
                        h.start,
                        if declared == 0 {
                            "0, in a form of open length: the writer never came back to write its lengths, as when cut off before it closed the file"
                        } else {
                            "0xFFFFFFFF, as a writer recording into a stream leaves it"
                        }
                    ));
                }
                Decision::SkipBody(body.map(|b| b + (b & 1)))
            }
            b"LIST" => Decision::KeepList {
                limit: KEEP_LIMIT,
                skip_form: *b"movi",
            },
            b"fmt " | b"bext" | b"IDIT" | b"ds64" => Decision::Keep { limit: KEEP_LIMIT },
            _ => Decision::Skip,
        };
        self.cs.feed(data, &mut decide, &mut |h, body, d| {
            // Read at once: the `data` header after it, in the same bytes, needs its length.
            if &h.typ == b"ds64" && body.len() >= 16 {
                let mut b = [0u8; 8];
                b.copy_from_slice(&body[8..16]);
                ds64.set(Some(u64::from_le_bytes(b)));
            }
            chunks.push((*h, body.to_vec(), d))
        });
        self.ds64_data = ds64.get();
        if self.movi.is_some() {
            // An open `movi`'s chunks are counted, not listed: the layout is the file's shape,
            // and would otherwise grow by a chunk a picture.
            self.cs.layout.retain(|t| !is_stream_chunk(t.as_bytes()));
            if let Some((at, [0, 0, 0, 0])) = self.cs.unprintable {
                let from = usize::try_from(at.saturating_sub(start)).unwrap_or(usize::MAX);
                let rest = data.get(from..).unwrap_or(&[]);
                self.zero_tail = Some((at, rest.iter().all(|&b| b == 0)));
            }
        }
        for (h, body, d) in chunks {
            self.on_chunk(&h, &body, d);
        }
    }

    fn finish(mut self: Box<Self>, total: u64) -> Parsed {
        let open = self.cs.unfinished();
        let form_end = self.cs.form_end();
        let mut problem = self.cs.finish(total);
        // An open `movi` that runs into zeros to the end of the file: the recorder allocated
        // the space and was cut off before it wrote it (its file size set ahead), as a file of
        // zeros is (see `super::Unrecognised`): cut short, not other content.
        if let Some((at, true)) = self.zero_tail {
            problem = Some(Problem::never_written(
                "RIFF (Multimedia Programming Interface 1991) §2: ",
                at,
                total,
            ));
        }
        // Bytes after the whole RIFF form that make no chunk a RIFF file carries there (a
        // recorder's or a platform's trailer, a preallocated file's leftovers): a note, not a
        // cut (since 2026-12-07; before, `truncated`). An AVI's next form (`RIFF` `AVIX`) or a
        // list running past the end is a cut as before.
        if let (Some((at, id)), Some(end)) = (open, form_end)
            && at >= end
            && !id.is_some_and(|t| {
                matches!(
                    &t,
                    b"RIFF" | b"RF64" | b"LIST" | b"JUNK" | b"id3 " | b"ID3 "
                )
            })
        {
            problem = None;
            self.info.notes.push(format!(
                "{} bytes at offset {at}, after the RIFF form, make no chunk (a trailer): not read",
                total.saturating_sub(at)
            ));
        }
        let mut layout = std::mem::take(&mut self.cs.layout);
        if self.cs.layout_overflow > 0 {
            layout.push(format!("...{} more", self.cs.layout_overflow));
        }
        self.info.layout = super::collapse_layout(&layout);
        match self.info.container {
            Container::Wav => {
                self.info.kind = MediaKind::Audio;
                // The samples the file holds: a chunk cut short counts what is there (its
                // declared length would lend a cut file hours it never had).
                let data_bytes: u64 = self
                    .data
                    .iter()
                    .map(|&(start, len)| {
                        let there = total.saturating_sub(start);
                        len.map_or(there, |l| l.min(there))
                    })
                    .sum();
                if self.byte_rate > 0 {
                    let d = data_bytes as f64 / f64::from(self.byte_rate);
                    self.info.duration_s = Some(d);
                    if let Some(s) = self.info.streams.first_mut() {
                        s.duration_s = Some(d);
                    }
                }
            }
            _ => {
                self.info.kind = if self.info.streams.iter().any(|s| s.kind == "video") {
                    MediaKind::Video
                } else {
                    MediaKind::Audio
                };
                if let Some(m) = self.movi.take() {
                    self.counted(m, total);
                } else if let Some((us, frames)) = self.avi_frames
                    && us > 0
                {
                    self.info.duration_s = Some(f64::from(frames) * f64::from(us) / 1e6);
                }
                if self.info.duration_s.is_none() {
                    self.info.duration_s = self
                        .info
                        .streams
                        .iter()
                        .filter_map(|s| s.duration_s)
                        .reduce(f64::max);
                }
            }
        }
        let problem = problem.or_else(|| {
            if self.info.container == Container::Wav && !self.saw_fmt {
                Some(Problem::corrupt(
                    "RIFF WAVE: no 'fmt ' chunk: the audio format is not stated",
                ))
            } else {
                None
            }
        });
        Parsed {
            info: self.info,
            problem,
        }
    }
}
