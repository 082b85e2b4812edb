//! Container parsers. Each one is fed the file's bytes in order, chunk by chunk, by the reader
//! that hashes them, so a file is read from storage once. A parser keeps only the metadata it
//! needs (an MP4's `moov`, a JPEG's header segments) and skips payload, so memory stays bounded
//! whatever the file size. Parsers never see the command line or the configuration: they turn
//! bytes into [`MediaInfo`] facts and a [`Problem`] when the bytes break their format.

pub mod amr;
pub mod bmff;
pub mod chunks;
pub mod cursor;
pub mod dav;
pub mod document;
pub mod flv;
pub mod h264;
pub mod h264_cut;
pub mod hevc;
pub mod hevc_cut;
pub mod jpeg;
pub mod keyplan;
pub mod mkv;
pub mod mpa;
pub mod ps;
pub mod riff;
pub mod samples;
pub mod sidecar;
pub mod span;
pub mod ts;

/// `n` bytes of deterministic noise (xorshift) for the parsers' tests.
#[cfg(test)]
pub(crate) fn pseudo_random(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

use chrono::NaiveDateTime;

/// Which container the bytes are (by content, not by file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Mp4,
    Mov,
    ThreeGp,
    M4a,
    Heif,
    MpegTs,
    /// An MPEG program stream (or MPEG-1 system stream).
    MpegPs,
    /// Hikvision's media header (`IMKH`), then a program stream: the vendor's `.mp4`.
    HikPs,
    /// Hikvision's media header, then a transport stream.
    HikTs,
    /// Hikvision's media header, then a body recaudit does not parse (RTP packets, the
    /// vendor's own format).
    Hik,
    /// Dahua's DAV frames (`.dav`).
    Dav,
    /// Flash Video (`.flv`): a live stream as a media server records it.
    Flv,
    Jpeg,
    Wav,
    Avi,
    Matroska,
    Json,
    Amr,
    /// MPEG audio (MP3, MP2) as a bare stream of frames.
    Mp3,
    /// AAC in ADTS frames.
    Aac,
    Pdf,
    Ooxml,
    Ole2,
    Ofd,
    Tiff,
    Png,
    Unknown,
}

impl Container {
    pub fn name(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::ThreeGp => "3gp",
            Container::M4a => "m4a",
            Container::Heif => "heif",
            Container::MpegTs => "mpegts",
            Container::MpegPs => "mpeg-ps",
            Container::HikPs => "hik-ps",
            Container::HikTs => "hik-ts",
            Container::Hik => "hik",
            Container::Dav => "dav",
            Container::Flv => "flv",
            Container::Jpeg => "jpeg",
            Container::Wav => "wav",
            Container::Avi => "avi",
            Container::Matroska => "matroska",
            Container::Json => "json",
            Container::Amr => "amr",
            Container::Mp3 => "mp3",
            Container::Aac => "aac",
            Container::Pdf => "pdf",
            Container::Ooxml => "ooxml",
            Container::Ole2 => "ole2",
            Container::Ofd => "ofd",
            Container::Tiff => "tiff",
            Container::Png => "png",
            Container::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Video,
    Audio,
    Photo,
    Sidecar,
    /// A document of the case file (PDF, Office, OFD, a scan): catalogued, never footage.
    Document,
    Other,
}

impl MediaKind {
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Photo => "photo",
            MediaKind::Sidecar => "sidecar",
            MediaKind::Document => "document",
            MediaKind::Other => "other",
        }
    }
}

/// A recording time as the container states it. Containers disagree on zones: ISO BMFF says
/// UTC (though some recorders write local time), EXIF and Broadcast-WAV give a wall-clock time
/// with no zone. The scan stage turns `Local` into UTC with the configured zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordedTime {
    /// Seconds since the Unix epoch, UTC.
    Utc(i64),
    /// Seconds since the Unix epoch, UTC, found where the format counts from 1904 (an ISO BMFF
    /// `mvhd` or `mdhd` whose writer counted from 1970, as some cameras' muxers do: read from
    /// 1904, such a value falls before 1970, when no digital recording was made).
    UnixInBmff(i64),
    /// A wall-clock time with an explicit offset from UTC, in seconds.
    Offset(NaiveDateTime, i32),
    /// A wall-clock time in an unstated zone.
    Local(NaiveDateTime),
}

/// The largest step between consecutive timestamps of a stream beyond its usual step.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Jump {
    /// Position of the jump from the stream start, in seconds.
    pub at_s: f64,
    /// How far the step exceeded the usual step (negative: time went backwards), in seconds.
    pub size_s: f64,
    /// The number (1-based, decoding order) of the sample that lasts the long step, where the
    /// track's sample table says it (ISO BMFF `stts`; not fragments nor transport streams):
    /// the keyframe stage reads its slice header and the next one's.
    pub sample: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EditEntry {
    pub segment_duration: u64,
    pub media_time: i64,
    pub rate: f64,
}

/// A stretch of a track whose samples run at another steady duration than before and after
/// it (a splice of footage at another frame rate), from the sample table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStretch {
    /// Where the stretch starts and how long it lasts (seconds).
    pub at_s: f64,
    pub length_s: f64,
    /// Frame rates (samples per second) around the stretch and inside it.
    pub usual_rate: f64,
    pub stretch_rate: f64,
    /// The pictures at its two edges (numbers 1-based, in decoding order): the last before the
    /// stretch and its first, its last and the first after it (with the odd picture or two a
    /// join may leave between them). The keyframe stage reads their slice headers to see
    /// whether the encoder numbered its pictures on across each edge.
    pub edges: [(u64, u64); 2],
}

/// One track (ISO BMFF), elementary stream (MPEG-TS) or stream (AVI/WAV).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamInfo {
    pub track_id: Option<u32>,
    /// video, audio, data, subtitle, hint or other.
    pub kind: String,
    /// Normalised codec name (h264, hevc, aac, pcm_s16le...).
    pub codec: Option<String>,
    /// The tag as stored (avc1, mp4a, stream_type 0x1b...).
    pub codec_tag: Option<String>,
    pub profile: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<f64>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    pub timescale: Option<u32>,
    pub duration_s: Option<f64>,
    pub sample_count: Option<u64>,
    /// Sample-duration statistics in timescale ticks: smallest, largest and most frequent.
    pub delta_min: Option<u64>,
    pub delta_max: Option<u64>,
    pub delta_typical: Option<u64>,
    pub jump: Option<Jump>,
    /// The first edit-list entries (at most 64 are kept).
    pub edits: Vec<EditEntry>,
    /// How many edit-list entries there are.
    pub edit_count: u32,
    pub sample_descriptions: u32,
    /// One entry per sample description: "avc1 1920x1080", "mp4a 48000Hz 1ch".
    pub description_summaries: Vec<String>,
    pub handler_name: Option<String>,
    pub compressor: Option<String>,
    pub language: Option<String>,
    /// Distinct sequence parameter sets seen (sample descriptions plus in-band for MPEG-TS);
    /// for MP4, at least the number of distinct picture formats (profile and size) announced
    /// by the sample descriptions and the parameter sets carried in-band at sync samples.
    pub parameter_sets: u32,
    /// Where the picture format carried in-band first differs from the sample description's
    /// (seconds from the track's start), for MP4.
    pub inband_change_at_s: Option<f64>,
    /// A stretch of the track at another steady frame rate between two runs of its usual one.
    pub rate_stretch: Option<RateStretch>,
    pub continuity_errors: u32,
    pub creation_time: Option<RecordedTime>,
}

impl StreamInfo {
    /// Whether the track's edit list begins with an empty edit (ISO/IEC 14496-12 §8.6.6: a
    /// `media_time` of -1) before the edits that play it: the track starts that much after the
    /// movie (a recorder's sound starting a moment after its picture), which takes nothing out.
    pub fn starts_late(&self) -> bool {
        self.edit_count >= 2 && self.edits.first().is_some_and(|e| e.media_time == -1)
    }
}

/// Everything a parser learned about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    pub container: Container,
    pub kind: MediaKind,
    pub major_brand: Option<String>,
    pub compatible_brands: Vec<String>,
    pub duration_s: Option<f64>,
    pub creation_time: Option<RecordedTime>,
    pub creation_time_raw: Option<String>,
    /// Which field the creation time came from (mvhd, ©day, exif, bext, ...).
    pub creation_time_source: Option<&'static str>,
    pub encoder: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
    pub gps: Option<(f64, f64, Option<f64>)>,
    /// Top-level structure in file order (box or chunk types), runs collapsed.
    pub layout: Vec<String>,
    pub fragmented: bool,
    pub fragments: u32,
    /// Largest jump between a fragment's decode time and where the previous one ended.
    pub fragment_jump: Option<Jump>,
    pub pcr_jump: Option<Jump>,
    pub continuity_errors: u32,
    pub streams: Vec<StreamInfo>,
    /// Oddities that do not make the file unusable.
    pub notes: Vec<String>,
    /// What a description sidecar says (JSON sidecars only).
    pub sidecar: Option<sidecar::SidecarInfo>,
    /// A transport or program stream's, a Matroska or a DAV file's video pictures, as they
    /// went past (for the keyframe stage, which finds no index of them in the file).
    pub noted: Option<Box<keyplan::Noted>>,
}

impl MediaInfo {
    pub fn new(container: Container) -> Self {
        MediaInfo {
            container,
            kind: MediaKind::Other,
            major_brand: None,
            compatible_brands: Vec::new(),
            duration_s: None,
            creation_time: None,
            creation_time_raw: None,
            creation_time_source: None,
            encoder: None,
            make: None,
            model: None,
            software: None,
            gps: None,
            layout: Vec::new(),
            fragmented: false,
            fragments: 0,
            fragment_jump: None,
            pcr_jump: None,
            continuity_errors: 0,
            streams: Vec::new(),
            notes: Vec::new(),
            sidecar: None,
            noted: None,
        }
    }

    /// The main video stream: the one with the largest pictures, the first of them on a tie.
    /// A dual-lens recorder's second lens, or a sub-stream kept beside the main one in the
    /// same file, is smaller and may come first; a segment recorded without it is then still
    /// the same recorder's main picture (before 2026-12-07 the first video stream: such a
    /// segment's main picture, alone, was taken for other coding parameters).
    pub fn main_video(&self) -> Option<&StreamInfo> {
        largest_picture(self.streams.iter().filter(|s| s.kind == "video"))
    }

    /// The file's kind by its streams: video where one is a picture, else audio where one is
    /// a sound, else other.
    pub fn kind_of_streams(&self) -> MediaKind {
        let has = |k: &str| self.streams.iter().any(|s| s.kind == k);
        if has("video") {
            MediaKind::Video
        } else if has("audio") {
            MediaKind::Audio
        } else {
            MediaKind::Other
        }
    }

    /// The file's length by its streams': its longest video stream's, else its longest
    /// stream's (for a container that states none of its own).
    pub fn streams_length(&self) -> Option<f64> {
        let longest = |video: bool| {
            self.streams
                .iter()
                .filter(|s| !video || s.kind == "video")
                .filter_map(|s| s.duration_s)
                .reduce(f64::max)
        };
        longest(true).or_else(|| longest(false))
    }

    /// [`MediaInfo::main_video`] among the streams the keyframe stage decodes (H.264, HEVC):
    /// the track whose pictures `keyplan` plans and whose jump it reads across.
    pub fn decoded_video(&self) -> Option<&StreamInfo> {
        largest_picture(
            self.streams.iter().filter(|s| {
                s.kind == "video" && matches!(s.codec.as_deref(), Some("h264" | "hevc"))
            }),
        )
    }
    pub fn main_audio(&self) -> Option<&StreamInfo> {
        self.streams.iter().find(|s| s.kind == "audio")
    }

    /// How far the tracks of the other media kind fail to run on through stream `i`'s
    /// largest jump: for each audio track beside a video track's jump (each video track beside
    /// an audio track's), the larger of its own largest step beyond its usual one and how much
    /// shorter it runs than stream `i`; the least of them. 0 where one runs unbroken through
    /// the whole span: the sound went on while the picture stood still (or the picture while
    /// the sound did), so no time was cut out of the recording. `None` without a jump, or
    /// without a track of the other kind whose length is known.
    pub fn jump_beside(&self, i: usize) -> Option<f64> {
        let s = self.streams.get(i)?;
        s.jump?;
        let other = match s.kind.as_str() {
            "video" => "audio",
            "audio" => "video",
            _ => return None,
        };
        let span = s.duration_s?;
        self.streams
            .iter()
            .filter(|o| o.kind == other)
            .filter_map(|o| {
                let own = o.jump.map_or(0.0, |j| j.size_s.abs());
                Some(own.max(span - o.duration_s?).max(0.0))
            })
            .min_by(f64::total_cmp)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The file ends before its structure does.
    Truncated,
    /// The structure is broken or not what the name says.
    Corrupt,
    /// A container recaudit does not parse.
    Unsupported,
}

/// Why a file's bytes could not be fully understood. `message` names the clause of the format
/// specification that was broken and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    pub fn truncated(message: impl Into<String>) -> Self {
        Problem {
            kind: ProblemKind::Truncated,
            message: message.into(),
        }
    }
    pub fn corrupt(message: impl Into<String>) -> Self {
        Problem {
            kind: ProblemKind::Corrupt,
            message: message.into(),
        }
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Problem {
            kind: ProblemKind::Unsupported,
            message: message.into(),
        }
    }
    /// A recording that runs into zeros from offset `from` to the end of its `total` bytes:
    /// space its recorder allocated ahead and was cut off before it wrote (`spec`: the
    /// format's reference, said first). Cut short, not other content.
    pub fn never_written(spec: &str, from: u64, total: u64) -> Self {
        Problem::truncated(format!(
            "{spec}the {} bytes from offset {from} to the end are zeros: space allocated for the recording and never written",
            total.saturating_sub(from)
        ))
    }
}

/// A parser's verdict on a whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub info: MediaInfo,
    pub problem: Option<Problem>,
}

/// A parser consuming the file front to back.
pub trait Sink: Send {
    fn feed(&mut self, data: &[u8]);
    /// After the last byte was fed: the few byte ranges (offset, length) the parser wants to
    /// see again, which it could place only once the whole file was seen — the first bytes of
    /// an MP4's sync samples, when the sample table (`moov`) comes after the samples (`mdat`).
    /// Bounded by [`REVISIT_MAX`] ranges of at most [`REVISIT_LEN`] bytes. Default: none.
    fn revisit(&mut self) -> Vec<(u64, u32)> {
        Vec::new()
    }
    /// The bytes of one range asked for by [`Sink::revisit`] (fewer if the file ended).
    fn revisited(&mut self, _offset: u64, _bytes: &[u8]) {}
    /// Called once after the last byte; `total` is the number of bytes fed.
    fn finish(self: Box<Self>, total: u64) -> Parsed;
}

/// At most this many ranges are revisited per file, each at most [`REVISIT_LEN`] bytes: 1,024
/// sync samples is 17 minutes of video with a keyframe a second.
pub const REVISIT_MAX: usize = 1024;
pub const REVISIT_LEN: u32 = 256;

/// The parser's revisit ranges, held to the documented bounds whatever it asked for.
pub fn revisits(sink: &mut dyn Sink) -> Vec<(u64, u32)> {
    let mut ranges = sink.revisit();
    ranges.truncate(REVISIT_MAX);
    for r in &mut ranges {
        r.1 = r.1.min(REVISIT_LEN);
    }
    ranges
}

/// Serves the parser's revisits from the whole file in memory (a mapping, or a file that came
/// in one read).
pub fn revisit_from(file: &[u8], sink: &mut dyn Sink) {
    for (off, len) in revisits(sink) {
        let start = usize::try_from(off).unwrap_or(usize::MAX).min(file.len());
        let end = start.saturating_add(len as usize).min(file.len());
        sink.revisited(off, &file[start..end]);
    }
}

/// Parses a file held in memory as the reader does: sniffed from its first bytes, fed in
/// `chunk`-byte pieces, its revisits served, the verdict taken. For fuzzing and tests; scans
/// read files through [`crate::read`].
pub fn parse_bytes(bytes: &[u8], ext: &str, chunk: usize) -> Parsed {
    let mut sink = sniff(&bytes[..bytes.len().min(SNIFF_LEN)], ext);
    for piece in bytes.chunks(chunk.max(1)) {
        sink.feed(piece);
    }
    revisit_from(bytes, sink.as_mut());
    sink.finish(bytes.len() as u64)
}

/// Bytes the reader must hand to [`sniff`] (or the whole file, if shorter).
pub const SNIFF_LEN: usize = 1024;

/// Chooses a parser from the first bytes of a file and the name's extension (lower case,
/// without dot). The content decides; the extension only tells what was expected, so a file
/// named `.MP4` that holds random bytes is reported as corrupt rather than unsupported.
pub fn sniff(head: &[u8], ext: &str) -> Box<dyn Sink> {
    if let Some(c) = bmff::detect(head) {
        return Box::new(bmff::BmffSink::new(c));
    }
    if let Some(pkt) = ts::detect(head) {
        return Box::new(ts::TsSink::new(pkt));
    }
    if head.starts_with(ps::HIK_MAGIC) {
        match ps::hik_body(head) {
            ps::HikBody::Ts(pkt) => {
                return Box::new(ts::TsSink::after_header(
                    pkt,
                    ps::HIK_HEADER,
                    Container::HikTs,
                ));
            }
            ps::HikBody::Other(format) => {
                return Box::new(Declined::new(
                    Container::Hik,
                    format!(
                        "a Hikvision media header (`IMKH`) whose system format {format} ({}) is not parsed: neither a program stream nor a transport stream follows it",
                        match format {
                            0 => "no system layer",
                            1 => "the vendor's own",
                            4 | 0x401 => "RTP packets",
                            _ => "unknown",
                        }
                    ),
                ));
            }
            ps::HikBody::Ps => {}
        }
    }
    if let Some(c) = ps::detect(head) {
        return Box::new(ps::PsSink::new(c));
    }
    if dav::detect(head) {
        return Box::new(dav::DavSink::new(head));
    }
    if flv::detect(head) {
        return Box::new(flv::FlvSink::new());
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Box::new(jpeg::JpegSink::new());
    }
    if head.len() >= 12 && (&head[0..4] == b"RIFF" || &head[0..4] == b"RF64") {
        match &head[8..12] {
            b"WAVE" => return Box::new(riff::RiffSink::new(Container::Wav)),
            b"AVI " => return Box::new(riff::RiffSink::new(Container::Avi)),
            _ => {}
        }
    }
    if amr::detect(head) {
        return Box::new(amr::AmrSink::new());
    }
    if let Some(c) = document::detect(head, ext) {
        return Box::new(document::DocumentSink::new(c, head));
    }
    if sidecar::detect(head, ext) {
        return Box::<sidecar::SidecarSink>::default();
    }
    if mpa::detect(head, ext) {
        return Box::new(mpa::MpaSink::new());
    }
    if head.starts_with(&mkv::EBML.to_be_bytes()) {
        return Box::new(mkv::MkvSink::new());
    }
    let expected = expected_container(ext);
    Box::new(Unrecognised {
        expected,
        head: head.iter().take(16).copied().collect(),
        zeros: true,
    })
}

/// The container a file extension promises, if it names a media format recaudit parses.
pub fn expected_container(ext: &str) -> Option<Container> {
    Some(match ext {
        "mp4" | "m4v" => Container::Mp4,
        "mov" | "qt" => Container::Mov,
        "3gp" | "3g2" => Container::ThreeGp,
        "m4a" => Container::M4a,
        "ts" | "mts" | "m2ts" | "m2t" => Container::MpegTs,
        "jpg" | "jpeg" | "jpe" => Container::Jpeg,
        "wav" | "bwf" => Container::Wav,
        "avi" => Container::Avi,
        "mkv" | "webm" => Container::Matroska,
        "dav" => Container::Dav,
        "flv" => Container::Flv,
        "amr" | "awb" => Container::Amr,
        "pdf" => Container::Pdf,
        "docx" | "xlsx" | "pptx" | "docm" | "xlsm" => Container::Ooxml,
        "doc" | "xls" | "ppt" | "wps" | "et" => Container::Ole2,
        "ofd" => Container::Ofd,
        "tif" | "tiff" => Container::Tiff,
        "png" => Container::Png,
        _ => return None,
    })
}

/// Whether a (lower-case) file extension names a video or sound recording's format: the
/// containers recaudit parses for them, and the bare streams it knows by their first bytes.
pub fn names_a_recording(ext: &str) -> bool {
    use Container as C;
    matches!(ext, "mp3" | "aac" | "mpg" | "mpeg" | "vob" | "ps")
        || matches!(
            expected_container(ext),
            Some(
                C::Mp4
                    | C::Mov
                    | C::ThreeGp
                    | C::M4a
                    | C::MpegTs
                    | C::Wav
                    | C::Avi
                    | C::Matroska
                    | C::Dav
                    | C::Flv
                    | C::Amr
            )
        )
}

/// Whether a (lower-case) file extension names the format of a record: a recording
/// ([`names_a_recording`]), a photo or a recorder's thumbnail, a document of a case file, a
/// description sidecar, or a video or sound format recaudit knows by name without reading it
/// (a CCTV vendor's stream, a bare elementary stream, a desktop format). A file so named that
/// is empty or damaged is a damaged record; one named otherwise (a marker an upload or a job
/// leaves, `upload.done`, `_SUCCESS`, `.lock`; a recorder's GPS track or log; a placeholder)
/// whose bytes were recognised as no format either held no record to lose.
pub fn names_a_record(ext: &str) -> bool {
    names_a_recording(ext)
        || expected_container(ext).is_some()
        || matches!(
            ext,
            "thm"
                | "heic"
                | "heif"
                | "dng"
                | "json"
                | "dav"
                | "h264"
                | "264"
                | "h265"
                | "265"
                | "hevc"
                | "asf"
                | "wmv"
                | "wma"
                | "rm"
                | "rmvb"
                | "ogg"
                | "opus"
                | "flac"
                | "m4b"
                | "lrv"
        )
}

/// The element of `v` that `is`, or a new one `new` makes, pushed while `v` holds fewer than
/// `max`: a parser's streams or tracks told apart by their ids, however many the file names.
pub(crate) fn bounded_slot<T>(
    v: &mut Vec<T>,
    max: usize,
    is: impl Fn(&T) -> bool,
    new: impl FnOnce() -> T,
) -> Option<&mut T> {
    match v.iter().position(is) {
        Some(k) => v.get_mut(k),
        None if v.len() < max => {
            v.push(new());
            v.last_mut()
        }
        None => None,
    }
}

/// The first bytes of an AppleDouble file and of an AppleSingle one.
const APPLE_DOUBLE: [u8; 4] = [0x00, 0x05, 0x16, 0x07];
const APPLE_SINGLE: [u8; 4] = [0x00, 0x05, 0x16, 0x00];

/// The stream with the most pixels a picture, the first of them on a tie.
fn largest_picture<'a>(streams: impl Iterator<Item = &'a StreamInfo>) -> Option<&'a StreamInfo> {
    let pixels =
        |s: &StreamInfo| u64::from(s.width.unwrap_or(0)) * u64::from(s.height.unwrap_or(0));
    streams.fold(None, |best: Option<&StreamInfo>, s| match best {
        Some(b) if pixels(b) >= pixels(s) => Some(b),
        _ => Some(s),
    })
}

/// The sink for a file whose format is recognised but whose body is not parsed: still hashed,
/// reported as unsupported with what was recognised.
struct Declined {
    container: Container,
    message: String,
}

impl Declined {
    fn new(container: Container, message: String) -> Self {
        Declined { container, message }
    }
}

impl Sink for Declined {
    fn feed(&mut self, _data: &[u8]) {}
    fn finish(self: Box<Self>, _total: u64) -> Parsed {
        let mut info = MediaInfo::new(self.container);
        if self.container == Container::Hik {
            info.make = Some("Hikvision".into());
            info.layout = vec!["IMKH".into()];
        }
        Parsed {
            info,
            problem: Some(Problem::unsupported(self.message)),
        }
    }
}

/// The sink for bytes no parser recognised: still hashed, reported as unsupported, or as corrupt
/// when the name promised a format recaudit parses.
struct Unrecognised {
    expected: Option<Container>,
    head: Vec<u8>,
    /// Every byte fed so far is zero (looked at only until one is not).
    zeros: bool,
}

impl Sink for Unrecognised {
    fn feed(&mut self, data: &[u8]) {
        self.zeros = self.zeros && data.iter().all(|&b| b == 0);
    }
    fn finish(self: Box<Self>, total: u64) -> Parsed {
        let info = MediaInfo::new(Container::Unknown);
        let hex: String = self
            .head
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        let problem = match self.expected {
            _ if total == 0 => Problem::truncated("file is empty (0 bytes)"),
            // What a Mac writes beside each file it copies to a share or a card (`._NAME`,
            // named after that file, so with its extension): not the file, and no record.
            _ if self.head.starts_with(&APPLE_DOUBLE) || self.head.starts_with(&APPLE_SINGLE) => {
                Problem::unsupported(format!(
                    "a macOS AppleDouble file (the extended attributes and resource fork a Mac writes beside a file it copies; first bytes {hex}), not media"
                ))
            }
            // Space set aside for a recording and never written: a recorder that allocates
            // each segment's file ahead (against a card's fragmentation) and lost its power
            // before writing, or a copier that sizes the file first and has not written yet
            // (then judged as any file cut short that is still arriving). No format begins so.
            Some(exp) if self.zeros => Problem::truncated(format!(
                "name says {} but all {total} bytes are zero: space set aside for a recording that was never written into it (a recorder's file allocated ahead, a copy not yet written), or its content wiped",
                exp.name()
            )),
            Some(Container::Matroska) => Problem::corrupt(format!(
                "name says Matroska but there is no EBML header (first bytes {hex})"
            )),
            Some(exp) => Problem::corrupt(format!(
                "name says {} but the content is not {} (first bytes {hex})",
                exp.name(),
                exp.name()
            )),
            None => Problem::unsupported(format!(
                "not a recognised media container (first bytes {hex})"
            )),
        };
        Parsed {
            info,
            problem: Some(problem),
        }
    }
}

/// Collapses runs in a top-level layout: `moof,mdat,moof,mdat` becomes `(moof,mdat)x2` and
/// `free,free,free` becomes `freex3`, so fragmented files stay readable.
pub fn collapse_layout(types: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < types.len() {
        // a repeated pair
        if i + 3 < types.len() && types[i] != types[i + 1] {
            let (a, b) = (&types[i], &types[i + 1]);
            let mut n = 1;
            while i + 2 * n + 1 < types.len()
                && &types[i + 2 * n] == a
                && &types[i + 2 * n + 1] == b
            {
                n += 1;
            }
            if n >= 2 {
                out.push(format!("({a},{b})x{n}"));
                i += 2 * n;
                continue;
            }
        }
        let mut n = 1;
        while i + n < types.len() && types[i + n] == types[i] {
            n += 1;
        }
        out.push(if n > 1 {
            format!("{}x{n}", types[i])
        } else {
            types[i].clone()
        });
        i += n;
    }
    out
}

/// A file of `tests/fixtures` (`rel` below it), for the parsers' unit tests.
#[cfg(test)]
pub(crate) fn fixture(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_files_main_picture_is_its_largest_not_its_first() {
        let dual =
            fixture("labelled/单位甲/NEG-DUL/20260312/NEG-DUL_OF3020_20260312193000_0001.MP4");
        let p = parse_bytes(&dual, "mp4", 1 << 20);
        assert_eq!(p.info.streams.len(), 3);
        assert_eq!(p.info.streams[0].width, Some(80));
        for v in [p.info.main_video(), p.info.decoded_video()] {
            let v = v.expect("a video");
            assert_eq!(
                (v.width, v.height, v.frame_rate),
                (Some(160), Some(120), Some(10.0))
            );
        }
        // On a tie the first; a picture the stage does not decode is no decoded video.
        let video = |codec: &str, w: u32| StreamInfo {
            kind: "video".into(),
            codec: Some(codec.into()),
            width: Some(w),
            height: Some(w),
            ..StreamInfo::default()
        };
        let mut info = MediaInfo::new(Container::Mp4);
        info.streams = vec![video("mjpeg", 640), video("h264", 320), video("hevc", 320)];
        assert_eq!(
            info.main_video().and_then(|v| v.codec.as_deref()),
            Some("mjpeg")
        );
        assert_eq!(
            info.decoded_video().and_then(|v| v.codec.as_deref()),
            Some("h264")
        );
        info.streams.clear();
        assert!(info.main_video().is_none() && info.decoded_video().is_none());
    }

    #[test]
    fn a_wav_whose_lengths_were_left_open_is_read_to_its_end_and_a_cut_one_lasts_what_it_holds() {
        let wav =
            fixture("labelled/单位甲/NEG-WAV/20260312/NEG-WAV_OF3008_20260312150000_0001.WAV");
        let whole = parse_bytes(&wav, "wav", 4096);
        assert!(whole.problem.is_none(), "{:?}", whole.problem);
        let seconds = whole.info.duration_s.expect("a length");
        let data = wav
            .windows(4)
            .position(|w| w == b"data")
            .expect("a data chunk");
        let with = |riff: u32, len: u32| {
            let mut v = wav.clone();
            v[4..8].copy_from_slice(&riff.to_le_bytes());
            v[data + 4..data + 8].copy_from_slice(&len.to_le_bytes());
            v
        };
        let read = |v: &[u8]| {
            let p = parse_bytes(v, "wav", 4096);
            (p.problem.map(|p| p.kind), p.info.duration_s, p.info.notes)
        };
        // Written into a stream (both lengths 0xFFFFFFFF), or cut off before the writer came
        // back to write them (both 0): every sample read, a note says so.
        for (riff, len) in [(u32::MAX, u32::MAX), (0, 0), (0, u32::MAX)] {
            let (problem, d, notes) = read(&with(riff, len));
            assert_eq!((problem, d), (None, Some(seconds)), "{riff:x} {len:x}");
            assert!(
                notes.iter().any(|n| n.contains("leaves its length open")),
                "{notes:?}"
            );
        }
        // An empty data chunk in a form whose length is written is empty, not open: what
        // follows is no chunk, so the file is corrupt, as before.
        let (problem, _, _) = read(&with(wav.len() as u32 - 8, 0));
        assert_eq!(problem, Some(ProblemKind::Corrupt));
        // Cut: the length of what it holds, not what its header declares.
        let (problem, d, _) = read(&wav[..data + 8 + 16_000]);
        assert_eq!(problem, Some(ProblemKind::Truncated));
        let rate = (wav.len() - data - 8) as f64 / seconds; // bytes a second
        assert!(
            (d.expect("a length") - 16_000.0 / rate).abs() < 1e-6,
            "{d:?}"
        );
        // RF64 (EBU Tech 3306): lengths in `ds64`, written or never written back.
        let rf64 = |data_len: u64| {
            let mut ds64 = b"ds64".to_vec();
            ds64.extend_from_slice(&28u32.to_le_bytes());
            ds64.extend_from_slice(&0u64.to_le_bytes());
            ds64.extend_from_slice(&data_len.to_le_bytes());
            ds64.extend_from_slice(&0u64.to_le_bytes());
            ds64.extend_from_slice(&0u32.to_le_bytes());
            let mut v = with(u32::MAX, u32::MAX);
            v[0..4].copy_from_slice(b"RF64");
            v.splice(12..12, ds64);
            v
        };
        let samples = (wav.len() - data - 8) as u64;
        for (ds64, want) in [
            (samples, seconds),
            (0, seconds),
            (samples / 2, seconds / 2.0),
        ] {
            let (problem, d, _) = read(&rf64(ds64));
            // Half the samples by `ds64`: the rest of the file is no chunk (corrupt); the
            // length is what `ds64` says.
            let cut = ds64 == samples / 2;
            assert_eq!(problem.is_some(), cut, "{ds64}: {problem:?}");
            assert!((d.expect("a length") - want).abs() < 1e-6, "{ds64}: {d:?}");
        }
    }

    #[test]
    fn an_avi_whose_lengths_were_left_open_is_counted_to_its_end_and_a_cut_one_lasts_what_it_holds()
    {
        let avi = fixture("osd/day.avi");
        let whole = parse_bytes(&avi, "avi", 4096);
        assert!(whole.problem.is_none(), "{:?}", whole.problem);
        let seconds = whole.info.duration_s.expect("a length");
        let rate = whole.info.streams[0].frame_rate.expect("a frame rate");
        let find = |v: &[u8], what: &[u8]| v.windows(4).position(|w| w == what).expect("found");
        let (movi, idx1) = (find(&avi, b"movi") - 8, find(&avi, b"idx1"));
        // As a writer leaves it that never came back to its header: the form's and the
        // list's lengths `len`, no frame counts, no index.
        let open = |len: u32| {
            let mut v = avi[..idx1].to_vec();
            v[4..8].copy_from_slice(&len.to_le_bytes());
            v[movi + 4..movi + 8].copy_from_slice(&len.to_le_bytes());
            v[48..52].copy_from_slice(&0u32.to_le_bytes()); // avih's total frames
            let strh = find(&v, b"strh");
            v[strh + 40..strh + 44].copy_from_slice(&0u32.to_le_bytes()); // its length
            v
        };
        let read = |v: &[u8]| {
            let p = parse_bytes(v, "avi", 4096);
            let frames = p.info.streams[0].sample_count;
            (
                p.problem.map(|p| p.kind),
                p.info.duration_s,
                frames,
                p.info.notes,
            )
        };
        let frames = whole.info.streams[0].sample_count;
        for len in [u32::MAX, 0] {
            let (problem, d, n, notes) = read(&open(len));
            assert_eq!((problem, n), (None, frames), "{len:x}");
            assert!(
                (d.expect("a length") - seconds).abs() < 1e-9,
                "{len:x}: {d:?}"
            );
            assert!(
                notes.iter().any(|n| n.contains("leaves its length open")),
                "{notes:?}"
            );
        }
        // Its chunks are counted, not listed in its layout.
        let layout = parse_bytes(&open(0), "avi", 4096).info.layout;
        assert!(
            layout.len() < 8 && !layout.iter().any(|l| l.contains("00dc")),
            "{layout:?}"
        );
        // Cut off in a picture (a power cut): `truncated`, as long as the pictures it holds
        // whole.
        let cut = open(0);
        let at = movi + 12 + (cut.len() - movi) / 2;
        let (problem, d, n, _) = read(&cut[..at]);
        assert_eq!(problem, Some(ProblemKind::Truncated));
        let (mut held, mut p) = (0u64, movi + 12);
        while p + 8 <= at {
            let len = u32::from_le_bytes([cut[p + 4], cut[p + 5], cut[p + 6], cut[p + 7]]) as usize;
            if p + 8 + len > at {
                break;
            }
            held += u64::from(&cut[p + 2..p + 4] == b"dc");
            p += 8 + len + (len & 1);
        }
        assert_eq!(n, Some(held));
        assert!(
            (d.expect("a length") - held as f64 / rate).abs() < 1e-9,
            "{d:?}"
        );
        // Followed by zeros to its end (space the card allocated ahead): cut short, as long
        // as what it holds; a byte that is not zero makes what follows other content.
        let mut zeros = open(0);
        zeros.extend(std::iter::repeat_n(0u8, 100_000));
        let p = parse_bytes(&zeros, "avi", 4096);
        let problem = p.problem.expect("a problem");
        assert_eq!(problem.kind, ProblemKind::Truncated, "{}", problem.message);
        assert!(
            problem.message.contains("never written"),
            "{}",
            problem.message
        );
        assert_eq!(p.info.streams[0].sample_count, frames);
        *zeros.last_mut().expect("bytes") = 1;
        let (problem, _, _, _) = read(&zeros);
        assert_eq!(problem, Some(ProblemKind::Corrupt));
        // A list whose length is written is skipped whole, its header's counts kept.
        let (problem, d, n, notes) = read(&avi);
        assert_eq!((problem, d, n), (None, Some(seconds), frames));
        assert!(!notes.iter().any(|n| n.contains("open")), "{notes:?}");
    }

    #[test]
    fn a_file_of_zeros_under_a_media_name_is_space_never_written_not_other_content() {
        let kind = |p: &Parsed| p.problem.as_ref().map(|p| (p.kind, p.message.clone()));
        // Fed in pieces, as a read does.
        let zeros = vec![0u8; 3 << 20];
        let (k, m) = kind(&parse_bytes(&zeros, "mp4", 1 << 20)).expect("a problem");
        assert_eq!(k, ProblemKind::Truncated);
        assert!(m.contains("all 3145728 bytes are zero"), "{m}");
        // One byte that is not zero, even the last, makes it other content.
        let mut late = zeros.clone();
        late[(3 << 20) - 1] = 1;
        let (k, m) = kind(&parse_bytes(&late, "mp4", 1 << 20)).expect("a problem");
        assert_eq!(k, ProblemKind::Corrupt, "{m}");
        assert!(m.contains("the content is not mp4"), "{m}");
        // A name that promises no media: unsupported, as any unknown bytes; empty stays empty.
        let (k, _) = kind(&parse_bytes(&zeros, "bin", 1 << 20)).expect("a problem");
        assert_eq!(k, ProblemKind::Unsupported);
        let (k, m) = kind(&parse_bytes(&[], "mp4", 1 << 20)).expect("a problem");
        assert_eq!(
            (k, m.as_str()),
            (ProblemKind::Truncated, "file is empty (0 bytes)")
        );
    }

    #[test]
    fn a_trailer_after_a_whole_wav_avi_or_transport_stream_is_no_cut() {
        let wav =
            fixture("labelled/单位甲/NEG-WAV/20260312/NEG-WAV_OF3008_20260312150000_0001.WAV");
        let ts = fixture("labelled/单位甲/NEG-TS/20260312/NEG-TS_OF3007_20260312140000_0001.TS");
        let avi = fixture("osd/day.avi");
        let with = |file: &[u8], ext: &str, tail: &[u8]| {
            let mut v = file.to_vec();
            v.extend_from_slice(tail);
            parse_bytes(&v, ext, 4096)
        };
        let kind = |p: &Parsed| p.problem.as_ref().map(|p| p.kind);
        for (file, ext) in [(&wav, "wav"), (&avi, "avi"), (&ts, "ts")] {
            assert_eq!(kind(&with(file, ext, b"")), None, "{ext}");
            for tail in [&b"HIKSIGN0123456789abcdef"[..], b"\x01\x02"] {
                let p = with(file, ext, tail);
                assert_eq!(kind(&p), None, "{ext}: {:?}", p.problem);
                assert!(
                    p.info.notes.iter().any(|n| n.contains("(a trailer)")),
                    "{ext}: {:?}",
                    p.info.notes
                );
            }
            // Cut short: still truncated.
            let p = parse_bytes(&file[..file.len() - 100], ext, 4096);
            assert_eq!(kind(&p), Some(ProblemKind::Truncated), "{ext}");
        }
        // A next form, a list, or a packet running past the end is a cut.
        let mut riff = b"RIFF".to_vec();
        riff.extend_from_slice(&1000u32.to_le_bytes());
        riff.extend_from_slice(b"AVIX");
        assert_eq!(
            kind(&with(&avi, "avi", &riff)),
            Some(ProblemKind::Truncated)
        );
        assert_eq!(
            kind(&with(&ts, "ts", &[0x47, 0x40, 0x00, 0x10])),
            Some(ProblemKind::Truncated)
        );
        // A trailer longer than a packet, its text holding 0x47 (`G`) bytes: no packets lost.
        let text = "SIGNATURE BLOCK: DSJ-0001 GPS 31.2304N 121.4737E GMT+8 ".repeat(40);
        for chunk in [1, 188, 4096] {
            let mut v = ts.clone();
            v.extend_from_slice(text.as_bytes());
            let p = parse_bytes(&v, "ts", chunk);
            assert_eq!(kind(&p), None, "{chunk}: {:?}", p.problem);
        }
        // Bytes overwritten among the packets stay packets lost.
        let mut damaged = ts.clone();
        damaged[188 * 10 + 50..188 * 12 + 20].fill(0x5A);
        assert_eq!(
            kind(&parse_bytes(&damaged, "ts", 4096)),
            Some(ProblemKind::Corrupt)
        );
    }

    #[test]
    fn layout_collapses_runs_and_pairs() {
        assert_eq!(
            collapse_layout(&s(&["ftyp", "moov", "mdat"])),
            s(&["ftyp", "moov", "mdat"])
        );
        assert_eq!(
            collapse_layout(&s(&[
                "ftyp", "moov", "moof", "mdat", "moof", "mdat", "moof", "mdat", "mfra"
            ])),
            s(&["ftyp", "moov", "(moof,mdat)x3", "mfra"])
        );
        assert_eq!(
            collapse_layout(&s(&["free", "free", "free", "mdat"])),
            s(&["freex3", "mdat"])
        );
    }

    fn track(kind: &str, duration_s: f64, jump: Option<(f64, f64)>) -> StreamInfo {
        StreamInfo {
            kind: kind.into(),
            duration_s: Some(duration_s),
            jump: jump.map(|(at_s, size_s)| Jump {
                at_s,
                size_s,
                sample: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_jump_is_witnessed_only_by_a_track_of_the_other_kind_running_on_through_it() {
        let file = |streams: Vec<StreamInfo>| MediaInfo {
            streams,
            ..MediaInfo::new(Container::Mp4)
        };
        // The picture stands still 0.9 s; the sound runs on to the end: a stall.
        let stall = file(vec![
            track("video", 20.0, Some((8.0, 0.9))),
            track("audio", 19.99, None),
        ]);
        assert!(stall.jump_beside(0).is_some_and(|s| s < 0.02), "{stall:?}");
        // A cut from both: the sound jumps too.
        let cut = file(vec![
            track("video", 20.0, Some((8.0, 3.0))),
            track("audio", 20.0, Some((8.0, 3.0))),
        ]);
        assert_eq!(cut.jump_beside(0), Some(3.0));
        // A cut whose sound was closed up: unbroken, but 3 s short of the picture's span.
        let closed = file(vec![
            track("video", 20.0, Some((8.0, 3.0))),
            track("audio", 17.0, None),
        ]);
        assert_eq!(closed.jump_beside(0), Some(3.0));
        // Two video tracks witness nothing of each other; nor is a track without a jump asked.
        let lenses = file(vec![
            track("video", 20.0, Some((8.0, 0.9))),
            track("video", 20.0, None),
        ]);
        assert_eq!(lenses.jump_beside(0), None);
        assert_eq!(stall.jump_beside(1), None);
        // The sound stalling beside an unbroken picture is witnessed alike.
        let mute = file(vec![
            track("video", 20.0, None),
            track("audio", 20.0, Some((5.0, 1.2))),
        ]);
        assert_eq!(mute.jump_beside(1), Some(0.0));
    }

    #[test]
    fn random_bytes_named_mp4_are_corrupt_not_unsupported() {
        let mut sink = sniff(&[0x13, 0x37, 0x00, 0x42, 0x99], "mp4");
        sink.feed(&[0x13, 0x37, 0x00, 0x42, 0x99]);
        let p = sink.finish(5);
        assert_eq!(p.problem.map(|p| p.kind), Some(ProblemKind::Corrupt));
        let mut other = sniff(b"hello", "txt");
        other.feed(b"hello");
        assert_eq!(
            other.finish(5).problem.map(|p| p.kind),
            Some(ProblemKind::Unsupported)
        );
    }
}
