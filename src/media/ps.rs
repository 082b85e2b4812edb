//! MPEG program streams (ISO/IEC 13818-1 §2.5; MPEG-1 system streams, ISO/IEC 11172-1 §2.4,
//! alike): what video recorders and the CCTV of a permit hall export (第十五条). Hikvision's
//! recorders and clients write theirs after a 40-byte media header (`IMKH`) and name the file
//! `.mp4`; that is the vendor's own format, not a file passed off as another.
//!
//! The parser walks the packets by their lengths as the bytes stream past (pack headers,
//! system headers, the program stream map, PES packets); it keeps the PES headers' times and,
//! until the picture's size is known, the first bytes of the video's payload. A stream's
//! length is the span of its presentation times plus one picture (or frame) at the rate they
//! imply. A packet cut short by the end of the file is `truncated`. Bytes where no packet
//! starts are skipped to the next pack header and counted (`lost`): a stream a platform
//! recorded over a lossy network (as GB/T 28181 carries program streams over RTP) loses bytes
//! inside its packets, and a packet's declared length then runs into the next ones; the read
//! resumes where the next pack begins, as a player does. Such bytes running to the end of the
//! file, or making up more than half of it, are `corrupt`; zeros to the end of the file are
//! space a recorder allocated and never wrote (a note).

use super::keyplan::{self, Codec, Packing, PesNotes};
use super::span::Span;
use super::{Container, MediaInfo, Parsed, Problem, Sink, StreamInfo, h264, hevc};

/// Hikvision's media header before the program stream.
pub const HIK_MAGIC: &[u8; 4] = b"IMKH";
pub const HIK_HEADER: u64 = 40;

/// What follows Hikvision's media header, told by its bytes (the header's own word for it,
/// its system format at bytes 8-9, is taken only where they say nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HikBody {
    /// A program stream (system format 2), or bytes that say nothing else: the program stream
    /// reader judges them.
    Ps,
    /// A transport stream of packets of this size (system format 3).
    Ts(usize),
    /// Neither, where the header names another system format (4: RTP packets; 0: no system
    /// layer; 1: the vendor's own): not parsed.
    Other(u16),
}

/// The body after a Hikvision media header that `head` (the file's first bytes) begins with.
pub fn hik_body(head: &[u8]) -> HikBody {
    let Some(body) = head.get(HIK_HEADER as usize..) else {
        return HikBody::Ps;
    };
    if let Some(pkt) = super::ts::detect(body) {
        return HikBody::Ts(pkt);
    }
    if body.starts_with(&[0, 0, 1, 0xBA]) {
        return HikBody::Ps;
    }
    match u16::from_le_bytes([head[8], head[9]]) {
        2 => HikBody::Ps,
        format => HikBody::Other(format),
    }
}

/// The PES bytes kept of a packet: its header (at most 9 + 255 bytes) and the start of its
/// payload, where the video's parameter sets are looked for.
const KEEP: usize = 1024;
/// The bytes kept of a video PES packet, where the first access unit that starts in it is
/// looked for: a muxer that fills packets of 2,048 bytes end to end starts a picture anywhere
/// in one (a recorder starts each picture's first packet with it).
const KEEP_VIDEO: usize = 4096;

/// At most this many streams are told apart (a program stream has at most 32 audio and 16
/// video streams by id).
const MAX_STREAMS: usize = 48;

/// Whether `head` starts a program stream: Hikvision's header, or a pack header.
pub fn detect(head: &[u8]) -> Option<Container> {
    if head.starts_with(HIK_MAGIC) {
        return Some(Container::HikPs);
    }
    (head.len() >= 5 && head[..4] == [0, 0, 1, 0xBA] && (head[4] >> 6 == 1 || head[4] >> 4 == 2))
        .then_some(Container::MpegPs)
}

#[derive(Debug, Default)]
struct Es {
    id: u8,
    /// From the program stream map, when there is one.
    stream_type: Option<u8>,
    codec: Option<&'static str>,
    size: Option<(u32, u32)>,
    profile: Option<u8>,
    /// Presentation times seen (PES packets carrying one), unwrapped past the 33-bit
    /// counter's wrap: their span and steps.
    span: Span,
    /// The last time seen, unwrapped.
    last: i64,
}

impl Es {
    fn time(&mut self, pts: i64) {
        const WRAP: i64 = 1 << 33;
        let t = if self.span.count == 0 {
            pts
        } else {
            // Unwrapped to the value nearest the last one.
            let base = self.last - self.last.rem_euclid(WRAP);
            [base - WRAP + pts, base + pts, base + WRAP + pts]
                .into_iter()
                .min_by_key(|c| (c - self.last).abs())
                .unwrap_or(pts)
        };
        self.span.add(t);
        self.last = t;
    }

    fn kind(&self) -> &'static str {
        if (0xE0..=0xEF).contains(&self.id) {
            "video"
        } else {
            "audio"
        }
    }

    /// The codec, picture size and profile from a parameter set at the start of a payload.
    fn read_params(&mut self, payload: &[u8]) {
        for nal in h264::annexb_nals(payload) {
            let Some(&h) = nal.first() else { continue };
            let h264_like = self.codec.is_none_or(|c| c == "h264");
            let hevc_like = self.codec.is_none_or(|c| c == "hevc");
            if h264_like
                && h & 0x1f == 7
                && let Some(sps) = h264::parse_sps(nal)
            {
                self.codec = Some("h264");
                self.size = Some((sps.width, sps.height));
                self.profile = Some(sps.profile_idc);
                break;
            }
            if hevc_like
                && (h >> 1) & 0x3f == 33
                && let Some(size) = hevc::sps_size(nal)
            {
                self.codec = Some("hevc");
                self.size = Some(size);
                break;
            }
        }
    }

    /// The span of its times plus its commonest step (a picture's length where each packet
    /// starts one, as recorders write them), in seconds.
    fn length(&self) -> Option<f64> {
        self.span.length().map(|t| t as f64 / 90_000.0)
    }
}

pub struct PsSink {
    container: Container,
    /// Bytes of the vendor's header still to pass.
    skip_header: u64,
    offset: u64,
    /// The packet being read: its first bytes, and how many it has in all (once known).
    packet: Vec<u8>,
    total: Option<u64>,
    /// Bytes of the current packet still to pass unread.
    skip: u64,
    /// Where the packet being read starts.
    packet_at: u64,
    streams: Vec<Es>,
    packs: u64,
    mpeg1: bool,
    problem: Option<Problem>,
    /// Where zeros began at a packet's place, while every byte since has been zero.
    zeros_from: Option<u64>,
    /// Looking for the next pack header after bytes that start no packet.
    hunt: Option<Hunt>,
    /// Places where bytes started no packet and the read resumed at the next pack, the bytes
    /// skipped in all, and where the first such bytes were.
    lost: u32,
    lost_bytes: u64,
    first_lost: Option<u64>,
    /// Where the read last resumed: bytes that start no packet there are the same place.
    resumed_at: Option<u64>,
    /// The whole length of the packet whose first bytes are being passed on to `packet_done`.
    kept_total: u64,
    /// The first H.264 or HEVC video stream's access units, for the keyframe stage.
    video: Option<PesNotes>,
    /// Its access units so far, the raw time of the last one, and its first decoding time
    /// (unwrapped).
    units: u64,
    unit_pts: Option<i64>,
    first_decode: Option<i64>,
    /// A coded slice of the open unit was seen (in the kept bytes of its packets).
    unit_coded: bool,
}

/// The search for the next pack header (`00 00 01 BA`) from `from`, across the chunks the
/// bytes come in: how many zeros the bytes seen end with (at most two), and whether the
/// last three were `00 00 01`.
#[derive(Debug, Clone, Copy)]
struct Hunt {
    from: u64,
    zeros: u8,
    prefix: bool,
}

/// Places of lost bytes after which a stream is no longer told as one that lost some.
const MAX_LOST: u32 = 100_000;

impl PsSink {
    pub fn new(container: Container) -> Self {
        PsSink {
            container,
            skip_header: if container == Container::HikPs {
                HIK_HEADER
            } else {
                0
            },
            offset: 0,
            packet: Vec::new(),
            total: None,
            skip: 0,
            packet_at: 0,
            streams: Vec::new(),
            packs: 0,
            mpeg1: false,
            problem: None,
            zeros_from: None,
            hunt: None,
            lost: 0,
            lost_bytes: 0,
            first_lost: None,
            resumed_at: None,
            kept_total: 0,
            video: None,
            units: 0,
            unit_pts: None,
            first_decode: None,
            unit_coded: false,
        }
    }

    /// Bytes from `from` start no packet: skip to the next pack header (one more place of
    /// lost bytes, unless the read had just resumed there).
    fn lose(&mut self, from: u64) {
        self.packet.clear();
        self.total = None;
        if self.resumed_at != Some(from) {
            self.lost += 1;
            self.first_lost.get_or_insert(from);
        }
        self.hunt = Some(Hunt {
            from,
            zeros: 0,
            prefix: false,
        });
        if self.lost > MAX_LOST {
            self.problem = Some(Problem::corrupt(format!(
                "ISO/IEC 13818-1 §2.5.3: bytes that start no packet in more than {MAX_LOST} places: not a program stream that lost some"
            )));
        }
    }

    /// Passes bytes of `rest` while hunting; the bytes after the pack header's start code
    /// once it is found (the start code then begins `self.packet`), or none.
    fn hunt<'d>(&mut self, rest: &'d [u8]) -> &'d [u8] {
        let Some(mut h) = self.hunt else { return rest };
        for (i, &b) in rest.iter().enumerate() {
            if h.prefix && b == 0xBA {
                let end = self.offset + i as u64 + 1;
                let start = end - 4;
                self.lost_bytes += start.saturating_sub(h.from);
                self.packet = vec![0, 0, 1, 0xBA];
                self.packet_at = start;
                self.resumed_at = Some(start);
                self.offset = end;
                self.hunt = None;
                return &rest[i + 1..];
            }
            h.prefix = b == 1 && h.zeros >= 2;
            h.zeros = if b == 0 { (h.zeros + 1).min(2) } else { 0 };
        }
        self.offset += rest.len() as u64;
        self.hunt = Some(h);
        &[]
    }

    fn stream(&mut self, id: u8) -> Option<&mut Es> {
        let new = || Es {
            id,
            ..Es::default()
        };
        super::bounded_slot(&mut self.streams, MAX_STREAMS, |s| s.id == id, new)
    }

    /// Bytes still needed of the packet's first ones before its length is known (at least one).
    fn header_need(&self) -> usize {
        let p = &self.packet;
        let have = p.len();
        let upto: usize = match (p.get(3), p.get(4)) {
            (None, _) => 4,
            (Some(0xBA), None) => 5,
            (Some(0xBA), Some(b)) if b >> 6 == 1 => 14,
            (Some(0xBA), Some(_)) => 12,
            (Some(0xB9), _) => 4,
            _ => 6,
        };
        upto.saturating_sub(have).max(1)
    }

    /// The bytes of a packet to keep before it is looked at (the rest is passed).
    fn keep_of(id: u8, total: u64) -> usize {
        let keep = match id {
            0xBC => KEEP,
            0xC0..=0xDF => KEEP,
            0xE0..=0xEF => KEEP_VIDEO,
            0xBA => 14,
            _ => 6,
        };
        usize::try_from(total).map_or(keep, |t| t.min(keep))
    }

    fn packet_done(&mut self) {
        let p = std::mem::take(&mut self.packet);
        match p.get(3) {
            Some(0xBA) => {
                self.packs += 1;
                self.mpeg1 |= p.get(4).is_some_and(|b| b >> 4 == 2);
            }
            Some(0xBC) => self.map(&p),
            Some(&id @ 0xC0..=0xEF) => self.pes(id, &p),
            _ => {}
        }
        self.packet = p;
        self.packet.clear();
    }

    /// The program stream map (§2.5.4): each elementary stream's type.
    fn map(&mut self, p: &[u8]) {
        let info = p
            .get(8..10)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        let at = 10 + info;
        let Some(len) = p
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return;
        };
        let mut e = at + 2;
        let end = (e + len).min(p.len());
        while e + 4 <= end {
            let (stream_type, id) = (p[e], p[e + 1]);
            let es_info = usize::from(u16::from_be_bytes([p[e + 2], p[e + 3]]));
            if (0xC0..=0xEF).contains(&id)
                && let Some(s) = self.stream(id)
            {
                s.stream_type = Some(stream_type);
                s.codec = s.codec.or(codec_of_type(stream_type));
            }
            e += 4 + es_info;
        }
    }

    /// A PES packet's time, and, for video, its codec and picture size from its payload and
    /// the access unit it starts (for the keyframe stage).
    fn pes(&mut self, id: u8, p: &[u8]) {
        let Some(h) = pes_header(p) else {
            return;
        };
        let Some(s) = self.stream(id) else {
            return;
        };
        if let Some(t) = h.pts {
            s.time(t);
        }
        if s.kind() != "video" {
            return;
        }
        if s.size.is_none() {
            s.read_params(h.payload);
        }
        let codec = Codec::named(s.codec);
        let presented = s.last;
        self.note_unit(id, &h, codec, presented);
    }

    /// A video PES packet that carries a presentation time other than the open unit's starts
    /// the next access unit (ISO/IEC 13818-1 §2.4.3.7: the time is that of the first unit
    /// that begins in the packet); a packet without one, or with the same (recorders that time
    /// every packet of a picture), goes on with the open unit. Noted for the first H.264 or
    /// HEVC video stream only: `known` is video stream `id`'s codec as known so far,
    /// `presented` its last presentation time, unwrapped.
    fn note_unit(&mut self, id: u8, h: &PesHeader, known: Option<Codec>, presented: i64) {
        if self.video.is_none() {
            let (Some(_), Some(codec)) = (h.pts, known) else {
                return;
            };
            self.video = Some(PesNotes::new(Packing::Ps(id), codec));
        }
        let (at, total) = (self.packet_at, self.kept_total);
        let Some(v) = self
            .video
            .as_mut()
            .filter(|v| v.packets() == Some(Packing::Ps(id)))
        else {
            return;
        };
        let codec = v.codec();
        let pts = match h.pts {
            Some(t) if self.unit_pts != Some(t) => t,
            _ => {
                // The open unit goes on (a recorder may give each NAL unit a packet: the
                // parameter sets and the slice after the first packet). A picture beginning
                // here has no unit of its own; the unit's parameter sets or IDR slice make it
                // a keyframe.
                let walk = walk(codec, h.payload, self.unit_coded);
                if walk.begins {
                    v.missed_a_picture();
                }
                if walk.key {
                    v.open_is_key();
                }
                self.unit_coded = walk.coded;
                return;
            }
        };
        // A picture beginning after the one this packet's time belongs to has no unit of its
        // own.
        let unit_at = first_unit_at(codec, h.payload);
        let walk = walk(
            codec,
            &h.payload[unit_at.unwrap_or(h.payload.len())..],
            false,
        );
        if walk.begins {
            v.missed_a_picture();
        }
        self.unit_coded = walk.coded;
        self.unit_pts = Some(pts);
        self.units += 1;
        // The decoding time, where the header gives one, the same distance before the
        // presentation time (unwrapped as the stream's are).
        let decoded = h.dts.map_or(presented, |d| presented - wrap33(pts - d));
        let first = *self.first_decode.get_or_insert(decoded);
        let ticks = u64::try_from(presented - first).unwrap_or(0);
        // The unit before ends where this packet begins when the packet begins with this unit;
        // else its last bytes share the packet, and its span runs through it.
        if unit_at != Some(0) {
            v.close(at + total);
        }
        v.start(self.units, at, ticks, walk.key, decoded != presented, false);
    }
}

/// How long the packet whose first bytes `p` holds is, once they say: `Ok(None)` for more
/// bytes needed, `Err` for bytes where no packet starts.
fn packet_len(p: &[u8]) -> Result<Option<u64>, ()> {
    if p.len() < 4 {
        return Ok(None);
    }
    if p[..3] != [0, 0, 1] {
        return Err(());
    }
    match p[3] {
        0xBA => {
            if p.len() < 5 {
                Ok(None)
            } else if p[4] >> 6 == 1 {
                // MPEG-2: 14 bytes, then up to 7 of stuffing.
                Ok(p.get(13).map(|b| 14 + u64::from(b & 7)))
            } else if p[4] >> 4 == 2 {
                Ok(Some(12))
            } else {
                Err(())
            }
        }
        0xB9 => Ok(Some(4)),
        0xBB..=0xFF => Ok((p.len() >= 6).then(|| 6 + u64::from(u16::from_be_bytes([p[4], p[5]])))),
        _ => Err(()),
    }
}

/// The codec an elementary stream type names (ISO/IEC 13818-1 Table 2-34, and the types
/// video recorders use for G.711).
fn codec_of_type(t: u8) -> Option<&'static str> {
    Some(match t {
        0x01 => "mpeg1video",
        0x02 => "mpeg2video",
        0x03 | 0x04 => "mp3",
        0x0F => "aac",
        0x10 => "mpeg4",
        0x1B => "h264",
        0x24 => "hevc",
        0x80 => "svac",
        0x90 => "pcm_alaw",
        0x91 => "pcm_mulaw",
        0x92 => "g722",
        0x93 => "g723",
        0x99 => "g729",
        _ => return None,
    })
}

/// What a PES packet's header says: its presentation and decoding times (90 kHz), where it
/// carries them, and the payload after it (as far as the bytes given go).
struct PesHeader<'a> {
    pts: Option<i64>,
    dts: Option<i64>,
    payload: &'a [u8],
}

/// A PES packet's header, MPEG-2 (§2.4.3.6) and MPEG-1 (ISO/IEC 11172-1 §2.4.3.3).
fn pes_header(p: &[u8]) -> Option<PesHeader<'_>> {
    let time_at = |at: usize| -> Option<i64> {
        let b = p.get(at..at + 5)?;
        Some(
            (i64::from((b[0] >> 1) & 7) << 30)
                | (i64::from(b[1]) << 22)
                | (i64::from(b[2] >> 1) << 15)
                | (i64::from(b[3]) << 7)
                | i64::from(b[4] >> 1),
        )
    };
    let first = *p.get(6)?;
    if first >> 6 == 2 {
        let flags = p.get(7)? >> 6;
        let header = usize::from(*p.get(8)?);
        let pts = if flags & 2 != 0 { time_at(9) } else { None };
        let dts = if flags == 3 { time_at(14) } else { None };
        return Some(PesHeader {
            pts,
            dts,
            payload: p.get(9 + header..).unwrap_or(&[]),
        });
    }
    // MPEG-1: stuffing, then an optional buffer size, then the times.
    let mut i = 6;
    while p.get(i) == Some(&0xFF) && i < 6 + 16 {
        i += 1;
    }
    if p.get(i).is_some_and(|b| b >> 6 == 1) {
        i += 2;
    }
    let b = *p.get(i)?;
    let (pts, dts, at) = match b >> 4 {
        2 => (time_at(i), None, i + 5),
        3 => (time_at(i), time_at(i + 5), i + 10),
        _ => (None, None, i + 1),
    };
    Some(PesHeader {
        pts,
        dts,
        payload: p.get(at..).unwrap_or(&[]),
    })
}

/// A difference of two 33-bit times, taken the short way round the counter.
fn wrap33(d: i64) -> i64 {
    const WRAP: i64 = 1 << 33;
    let d = d.rem_euclid(WRAP);
    if d > WRAP / 2 { d - WRAP } else { d }
}

/// Where the first access unit that begins in `data` starts (its start code), if it does.
fn first_unit_at(codec: Codec, data: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(data.get(from..)?, &[0, 0, 1]) {
        let code = from + p;
        if keyplan::starts_access_unit(codec, data.get(code + 3..)?) {
            return Some(if code > 0 && data[code - 1] == 0 {
                code - 1
            } else {
                code
            });
        }
        from = code + 3;
    }
    None
}

/// What the NAL units of a video packet's kept bytes say of the unit going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Walk {
    /// Another access unit begins among them, after a coded slice of the unit going on.
    begins: bool,
    /// A coded slice of the unit going on has been seen by their end (or where another
    /// began).
    coded: bool,
    /// Before another begins, the unit holds an IDR picture or a sequence parameter set
    /// (H.264), an IRAP picture or a video or sequence parameter set (HEVC): it opens a
    /// random-access point.
    key: bool,
}

/// Walks the NAL units of `data` (bytes before the first start code are the rest of a NAL
/// unit) for the unit going on, `coded` when a slice of it came before `data`.
fn walk(codec: Codec, data: &[u8], coded: bool) -> Walk {
    let mut w = Walk {
        begins: false,
        coded,
        key: false,
    };
    for n in h264::annexb_nals(data) {
        let Some(&h) = n.first() else { continue };
        if w.coded && keyplan::starts_access_unit(codec, n) {
            w.begins = true;
            break;
        }
        w.key |= keyplan::opens_random_access(codec, h);
        w.coded |= keyplan::is_slice(codec, h);
    }
    w
}

/// Most packets [`payload`] walks in one span.
const SPAN_PACKETS_MAX: usize = 1 << 16;

/// The video elementary-stream bytes of one access unit from the span of a program stream's
/// packets the read noted ([`keyplan::Noted`]): the payloads of stream `stream`'s PES
/// packets, their headers taken off, from the first access unit that begins in them (bytes
/// of the unit before, sharing its first packet, left out). Pack and system headers, the
/// stream map and other streams' packets are passed by their lengths; zeros between packets
/// are passed as padding; bytes that start no packet end the span where it stands.
pub fn payload(span: &[u8], stream: u8, codec: Codec) -> Vec<u8> {
    let mut out = Vec::with_capacity(span.len());
    let mut at = 0usize;
    for _ in 0..SPAN_PACKETS_MAX {
        while span.get(at..at + 3) == Some(&[0, 0, 0]) {
            at += 1;
        }
        let rest = span.get(at..).unwrap_or_default();
        // A packet's length, once its first bytes say it (a span cut inside a header ends).
        let Ok(Some(len)) = packet_len(rest) else {
            break;
        };
        let Ok(len) = usize::try_from(len) else {
            break;
        };
        let end = at.saturating_add(len).min(span.len());
        if rest[3] == stream
            && let Some(h) = pes_header(&span[at..end])
        {
            out.extend_from_slice(h.payload);
        }
        at = at.saturating_add(len);
    }
    match first_unit_at(codec, &out) {
        Some(0) | None => out,
        Some(from) => out.split_off(from),
    }
}

impl Sink for PsSink {
    fn feed(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() && self.problem.is_none() {
            if self.skip_header > 0 {
                let n = self.skip_header.min(rest.len() as u64);
                self.skip_header -= n;
                self.offset += n;
                rest = &rest[n as usize..];
                continue;
            }
            if self.hunt.is_some() {
                rest = self.hunt(rest);
                continue;
            }
            if let Some(from) = self.zeros_from {
                // Zeros where a packet should start: to the end of the file (a note), or
                // before a start code (a muxer's padding), or before bytes that start none.
                let Some(at) = rest.iter().position(|&b| b != 0) else {
                    self.offset += rest.len() as u64;
                    return;
                };
                let zeros = self.offset + at as u64 - from;
                self.offset += at as u64;
                rest = &rest[at..];
                self.zeros_from = None;
                if rest[0] == 1 && zeros >= 2 {
                    self.packet = vec![0, 0];
                    self.packet_at = self.offset - 2;
                    continue;
                }
                // Zeros, then bytes that start no packet: a hole in the stream.
                self.lose(from);
                continue;
            }
            if self.skip > 0 {
                let n = self.skip.min(rest.len() as u64);
                self.skip -= n;
                self.offset += n;
                rest = &rest[n as usize..];
                if self.skip == 0 {
                    self.packet_done();
                }
                continue;
            }
            if self.packet.is_empty() {
                self.packet_at = self.offset;
            }
            let want = match self.total {
                Some(t) => Self::keep_of(self.packet[3], t).saturating_sub(self.packet.len()),
                None => self.header_need(),
            };
            let n = want.min(rest.len());
            self.packet.extend_from_slice(&rest[..n]);
            self.offset += n as u64;
            rest = &rest[n..];
            if self.total.is_none() {
                match packet_len(&self.packet) {
                    Ok(None) => continue,
                    Ok(Some(t)) => self.total = Some(t),
                    Err(()) if self.packet.iter().all(|&b| b == 0) => {
                        self.zeros_from = Some(self.packet_at);
                        self.packet.clear();
                        continue;
                    }
                    Err(()) => {
                        // The next pack may begin inside the bytes taken for this packet's
                        // header: the hunt passes them again, from the second on (at most
                        // 13 bytes, so that this goes at most as deep).
                        let (at, seen) = (self.packet_at, std::mem::take(&mut self.packet));
                        self.lose(at);
                        self.offset = at + 1;
                        let after = self.hunt(seen.get(1..).unwrap_or_default());
                        if !after.is_empty() {
                            self.feed(after);
                        }
                        continue;
                    }
                }
            }
            if let Some(t) = self.total
                && self.packet.len() >= Self::keep_of(self.packet[3], t)
            {
                self.skip = t - self.packet.len() as u64;
                self.kept_total = t;
                self.total = None;
                if self.skip == 0 {
                    self.packet_done();
                }
            }
        }
    }

    fn finish(mut self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(self.container);
        let cut = self.skip > 0 || !self.packet.is_empty();
        let mut problem = self.problem.take();
        if problem.is_none() && self.skip_header > 0 {
            problem = Some(Problem::truncated(format!(
                "the file ends ({total} bytes) inside its {HIK_HEADER}-byte media header"
            )));
        } else if problem.is_none()
            && let Some(h) = self.hunt
        {
            problem = Some(Problem::corrupt(format!(
                "ISO/IEC 13818-1 §2.5.3: no packet starts at offset {} nor anywhere after it to the end of the file ({} bytes)",
                h.from,
                total.saturating_sub(h.from)
            )));
        } else if problem.is_none() && self.lost_bytes > total / 2 {
            problem = Some(Problem::corrupt(format!(
                "ISO/IEC 13818-1 §2.5.3: {} of the file's {total} bytes, in {} places, start no packet: not a program stream that lost some",
                self.lost_bytes, self.lost
            )));
        } else if problem.is_none() && cut {
            problem = Some(Problem::truncated(format!(
                "ISO/IEC 13818-1 §2.5.3: the last packet, at offset {}, is cut short by the end of the file ({total} bytes)",
                self.packet_at
            )));
        } else if problem.is_none() && self.packs == 0 {
            problem = Some(Problem::corrupt(
                "ISO/IEC 13818-1 §2.5.3: no pack header: not a program stream",
            ));
        }
        if self.lost > 0 {
            info.notes.push(format!(
                "bytes that start no packet in {} place(s), {} bytes in all, the first at offset {}: each skipped to the next pack header (bytes lost inside packets, as a recording made over a lossy network loses them, or damage)",
                self.lost,
                self.lost_bytes,
                self.first_lost.unwrap_or(0)
            ));
            info.continuity_errors = self.lost;
        }
        if let Some(from) = self.zeros_from {
            info.notes.push(format!(
                "{} bytes of zeros from offset {from} to the end of the file, after the last packet (space allocated and never written, or padding): not read",
                total.saturating_sub(from)
            ));
        }
        if self.container == Container::HikPs {
            info.notes.push(format!(
                "a Hikvision media header ({HIK_HEADER} bytes, `IMKH`) before the program stream"
            ));
            info.make = Some("Hikvision".into());
        }
        info.layout = (self.container == Container::HikPs)
            .then(|| "IMKH".to_string())
            .into_iter()
            .chain([format!("pack x{}", self.packs)])
            .collect();
        self.streams.sort_by_key(|s| (s.kind() != "video", s.id));
        // The stream whose every picture began a packet of its own, as the notes saw it.
        let every_picture = self
            .video
            .as_ref()
            .filter(|v| !v.pictures_missed())
            .and_then(|v| match v.packets() {
                Some(Packing::Ps(id)) => Some(id),
                _ => None,
            });
        for s in &self.streams {
            info.streams.push(StreamInfo {
                kind: s.kind().into(),
                codec: s.codec.map(str::to_string),
                codec_tag: s.stream_type.map(|t| format!("0x{t:02x}")),
                profile: s.profile.map(h264::profile_name),
                width: s.size.map(|(w, _)| w),
                height: s.size.map(|(_, h)| h),
                // A packet's time is its first picture's, and a muxer may put several in one
                // packet: the times say how many pictures there are only where each picture
                // was seen to begin a packet of its own (H.264 and HEVC, whose units the read
                // notes), and then their commonest step is a picture's.
                frame_rate: (every_picture == Some(s.id))
                    .then(|| s.span.step())
                    .flatten()
                    .map(|step| 90_000.0 / step as f64),
                timescale: Some(90_000),
                duration_s: s.length(),
                track_id: Some(u32::from(s.id)),
                sample_descriptions: 1,
                ..Default::default()
            });
        }
        info.kind = info.kind_of_streams();
        info.duration_s = info.streams_length();
        // The video's access units for the keyframe stage; the last runs to the file's end.
        if let Some(index) = self.video.take().and_then(|v| v.finish(total)) {
            info.noted = Some(Box::new(index));
        }
        if self.mpeg1 {
            info.notes.push("an MPEG-1 system stream".into());
        }
        Parsed { info, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{MediaKind, ProblemKind, fixture, parse_bytes};

    const HIK: &str = "labelled/单位甲/NEG-HIK/20260312/NEG-HIK_OF3021_20260312100000_0001.MP4";

    #[test]
    fn a_hikvision_export_is_its_program_stream_read_in_any_chunking() {
        let hik = fixture(HIK);
        let whole = parse_bytes(&hik, "mp4", 4096);
        assert!(whole.problem.is_none(), "{:?}", whole.problem);
        assert_eq!(whole.info.container, Container::HikPs);
        assert_eq!(whole.info.kind, MediaKind::Video);
        let v = &whole.info.streams[0];
        assert_eq!(
            (v.codec.as_deref(), v.width, v.height),
            (Some("h264"), Some(160), Some(120))
        );
        // Sixty pictures at 10 a second, muxed two or three to a packet (as a DVD's muxer
        // packs small pictures): the span of the packets' times and one step of theirs.
        let d = whole.info.duration_s.expect("a length");
        assert!((d - 6.0).abs() <= 0.2, "{d}");
        for chunk in [1, 7, 188, 65536] {
            let p = parse_bytes(&hik, "mp4", chunk);
            assert_eq!((p.problem, p.info.duration_s), (None, Some(d)), "{chunk}");
        }
        // The program stream alone, as a recorder that writes no vendor header leaves it.
        let plain = parse_bytes(&hik[40..], "mpg", 4096);
        assert_eq!(plain.info.container, Container::MpegPs);
        assert_eq!((plain.problem, plain.info.duration_s), (None, Some(d)));
    }

    #[test]
    fn what_follows_a_hikvision_header_is_told_by_its_bytes() {
        let hik = fixture(HIK);
        let header = |format: u16| {
            let mut h = hik[..40].to_vec();
            h[8..10].copy_from_slice(&format.to_le_bytes());
            h
        };
        // A transport stream after a header that says so (system format 3): read as one, its
        // offsets the file's.
        let ts = fixture("labelled/单位甲/NEG-TS/20260312/NEG-TS_OF3007_20260312140000_0001.TS");
        let plain = parse_bytes(&ts, "ts", 4096);
        let mut file = header(3);
        file.extend_from_slice(&ts);
        assert_eq!(hik_body(&file), HikBody::Ts(188));
        for chunk in [1, 40, 41, 4096] {
            let p = parse_bytes(&file, "mp4", chunk);
            assert!(p.problem.is_none(), "{chunk}: {:?}", p.problem);
            assert_eq!(p.info.container, Container::HikTs);
            assert_eq!(p.info.duration_s, plain.info.duration_s);
            assert_eq!(p.info.streams.len(), plain.info.streams.len());
            assert_eq!(p.info.layout[0], "IMKH");
        }
        // The bytes decide, not the header's word: a program stream under a header saying 3.
        let mut ps = header(3);
        ps.extend_from_slice(&hik[40..]);
        assert_eq!(hik_body(&ps), HikBody::Ps);
        assert_eq!(
            parse_bytes(&ps, "mp4", 4096).info.container,
            Container::HikPs
        );
        // RTP packets (system format 4): not parsed, and no damage.
        let mut rtp = header(4);
        rtp.extend_from_slice(&[0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1]);
        rtp.extend_from_slice(&hik[40..1000]);
        let p = parse_bytes(&rtp, "mp4", 4096);
        assert_eq!(p.info.container, Container::Hik);
        assert_eq!(
            p.problem.as_ref().map(|p| p.kind),
            Some(ProblemKind::Unsupported)
        );
        assert!(p.problem.is_some_and(|p| p.message.contains("RTP")));
        // A header cut short before a transport stream begins: the stream reader says so.
        let cut = parse_bytes(&file[..30], "mp4", 4096);
        assert_eq!(cut.problem.map(|p| p.kind), Some(ProblemKind::Truncated));
    }

    #[test]
    fn a_program_stream_cut_short_padded_or_broken_is_told() {
        let hik = fixture(HIK);
        let kind = |v: &[u8]| {
            let p = parse_bytes(v, "mp4", 4096);
            (p.problem.map(|p| p.kind), p.info.duration_s, p.info.notes)
        };
        // Cut inside a packet: as long as the pictures before the cut.
        let (problem, d, _) = kind(&hik[..hik.len() * 6 / 10]);
        assert_eq!(problem, Some(ProblemKind::Truncated));
        assert!(d.is_some_and(|d| d > 2.0 && d < 5.0), "{d:?}");
        // Cut inside the vendor's header.
        assert_eq!(kind(&hik[..20]).0, Some(ProblemKind::Truncated));
        // Zeros after the last packet (space allocated and never written): a note.
        let mut zeros = hik.clone();
        zeros.extend(std::iter::repeat_n(0u8, 50_000));
        let (problem, d2, notes) = kind(&zeros);
        assert_eq!((problem, d2), (None, kind(&hik).1));
        assert!(
            notes.iter().any(|n| n.contains("50000 bytes of zeros")),
            "{notes:?}"
        );
        // Zeros, then bytes that start no packet; or no packet where one should start.
        *zeros.last_mut().expect("bytes") = 7;
        assert_eq!(kind(&zeros).0, Some(ProblemKind::Corrupt));
        let mut junk = hik.clone();
        junk.extend_from_slice(b"not a packet");
        assert_eq!(kind(&junk).0, Some(ProblemKind::Corrupt));
    }

    #[test]
    fn a_program_stream_that_lost_bytes_is_read_on_from_the_next_pack() {
        let hik = fixture(HIK);
        let whole = parse_bytes(&hik, "mp4", 4096);
        let d = whole.info.duration_s.expect("a length");
        let read = |v: &[u8], chunk: usize| {
            let p = parse_bytes(v, "mp4", chunk);
            (
                p.problem.map(|p| p.kind),
                p.info.continuity_errors,
                p.info.duration_s,
            )
        };
        // 1,000 bytes gone from inside a packet at 40% (a lost network packet), and 3,000
        // more at 70%; the bytes between overwritten by others; a hole of zeros.
        let at = |f: usize| hik.len() * f / 10;
        let mut lost = hik[..at(4)].to_vec();
        lost.extend_from_slice(&hik[at(4) + 1000..at(7)]);
        lost.extend_from_slice(&hik[at(7) + 3000..]);
        let mut garbled = hik.clone();
        for (i, b) in garbled[at(5)..at(5) + 700].iter_mut().enumerate() {
            *b = (i * 37 % 251) as u8 | 2;
        }
        let mut holed = hik.clone();
        holed[at(3)..at(3) + 2000].fill(0);
        for (v, places) in [(&lost, 2), (&garbled, 1), (&holed, 1)] {
            let (problem, n, length) = read(v, 4096);
            assert_eq!((problem, n), (None, places));
            // The stream's times run on: as long as the whole one, to a picture.
            assert!(length.is_some_and(|l| (l - d).abs() <= 0.2), "{length:?}");
            for chunk in [1, 3, 188, 65536] {
                assert_eq!(read(v, chunk), (problem, n, length), "{chunk}");
            }
        }
        let notes = parse_bytes(&lost, "mp4", 4096).info.notes;
        assert!(
            notes.iter().any(|n| n.contains("in 2 place(s)")),
            "{notes:?}"
        );
        // Most of the file bytes that start no packet: no stream that lost some.
        let mut mostly = hik[..at(2)].to_vec();
        mostly.extend((0..hik.len()).map(|i| (i * 37 % 251) as u8 | 2));
        mostly.extend_from_slice(&hik[at(9)..]);
        assert_eq!(read(&mostly, 4096).0, Some(ProblemKind::Corrupt));
        // The whole stream: no place lost.
        assert_eq!(read(&hik, 4096).1, 0);
    }

    /// A PES packet of stream `id` with `payload`, its header carrying presentation time `pts`.
    fn pes_packet(id: u8, pts: Option<i64>, payload: &[u8]) -> Vec<u8> {
        let mut header = vec![0x80, 0, 0];
        if let Some(t) = pts {
            header[1] = 0x80;
            header[2] = 5;
            header.extend_from_slice(&[
                0x21 | ((t >> 29) & 0x0E) as u8,
                (t >> 22) as u8,
                ((t >> 14) & 0xFE) as u8 | 1,
                (t >> 7) as u8,
                ((t << 1) & 0xFE) as u8 | 1,
            ]);
        }
        let len = (header.len() + payload.len()) as u16;
        let mut p = vec![0, 0, 1, id];
        p.extend_from_slice(&len.to_be_bytes());
        p.extend(header);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn a_units_bytes_are_taken_out_of_its_packets_from_where_it_begins() {
        let pack = [0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 0, 0x5F, 0x6B, 0xF8];
        let idr = [0, 0, 0, 1, 0x65, 0x88, 1, 2, 3];
        let more = [4, 5, 6];
        let span = [
            pes_packet(0xE0, Some(3600), &idr),
            pack.to_vec(),
            pes_packet(0xC0, Some(3600), &[9, 9, 9]),
            pes_packet(0xBD, None, b"own data"),
            vec![0, 0, 0],
            pes_packet(0xE0, None, &more),
        ]
        .concat();
        let whole = [&idr[..], &more[..]].concat();
        assert_eq!(payload(&span, 0xE0, Codec::H264), whole);
        // Cut short inside its last packet: as far as it goes.
        assert_eq!(
            payload(&span[..span.len() - 1], 0xE0, Codec::H264),
            whole[..whole.len() - 1]
        );
        // The packet begins with the last bytes of the unit before (a muxer filling packets
        // end to end): they are left out.
        let tail = [0x41, 0x9A, 7, 7, 0, 0, 1, 0x41, 0x20, 8];
        let shared = [&tail[..], &idr[..]].concat();
        assert_eq!(
            payload(&pes_packet(0xE0, Some(0), &shared), 0xE0, Codec::H264),
            idr
        );
        assert_ne!(first_unit_at(Codec::H264, &shared), Some(0));
        assert_eq!(first_unit_at(Codec::H264, &idr), Some(0));
        assert_eq!(first_unit_at(Codec::H264, &idr[1..]), Some(0));
        let w = |data: &[u8], coded: bool| {
            let w = walk(Codec::H264, data, coded);
            (w.begins, w.coded, w.key)
        };
        let from = |data: &[u8]| first_unit_at(Codec::H264, data).unwrap_or(data.len());
        assert_eq!(w(&shared[from(&shared)..], false), (false, true, true));
        // A packet whose first unit is a P picture, a keyframe starting after it: the unit the
        // time belongs to opens no random-access point, and the keyframe has no unit of its
        // own; the parameter sets before a slice begin no other unit.
        let p_then_idr = [&[0, 0, 1, 0x41, 0x9A, 5][..], &idr[..]].concat();
        assert_eq!(w(&p_then_idr, false), (true, true, false));
        assert_eq!(w(&idr, false), (false, true, true));
        let sps = [0, 0, 1, 0x67, 1];
        let sets_first = [&sps[..], &idr[..]].concat();
        assert_eq!(w(&sets_first, false), (false, true, true));
        // Going on with a unit whose slice came before.
        assert_eq!(w(&shared, true), (true, true, false));
        assert_eq!(w(&tail, true), (false, true, false));
        // A packet for each NAL unit, the parameter sets first: no slice yet, none begins;
        // the sequence parameter set makes a keyframe.
        assert_eq!(w(&sps, false), (false, false, true));
        assert_eq!(w(&[0, 0, 1, 0x68, 2], false), (false, false, false));
        // Bytes that start no packet end the span.
        let mut broken = span.clone();
        broken[pes_packet(0xE0, Some(3600), &idr).len()] = 7;
        assert_eq!(payload(&broken, 0xE0, Codec::H264), idr);
        // Garbled spans never panic, nor give more than they hold.
        for seed in 0..300u32 {
            let mut junk = crate::media::pseudo_random(600, seed);
            junk[..4].copy_from_slice(&[0, 0, 1, 0xE0]);
            assert!(payload(&junk, 0xE0, Codec::H264).len() <= junk.len());
            let _ = payload(&junk[..5], 0xBA, Codec::Hevc);
        }
        assert_eq!(wrap33(5 - (1 << 33)), 5);
        assert_eq!(wrap33(-3), -3);
    }

    #[test]
    fn a_program_streams_access_units_are_noted_for_the_keyframe_stage() {
        // short.mp4's 40 pictures (B-frames, a keyframe each ten) a pack each (ps.py), every
        // packet of a picture timed.
        let ps = fixture("osd/short.ps");
        let whole = parse_bytes(&ps, "ps", 4096);
        assert!(whole.problem.is_none(), "{:?}", whole.problem);
        let index = whole.info.noted.as_deref().expect("units");
        assert_eq!(
            (
                index.packets,
                index.codec,
                index.lead.len(),
                index.reordered
            ),
            (Some(Packing::Ps(0xE0)), Codec::H264, 40, true)
        );
        assert!(!index.pictures_missed);
        // Every picture began a packet of its own: their commonest step is a picture's.
        assert_eq!(whole.info.streams[0].frame_rate, Some(10.0));
        let numbers: Vec<u64> = index.sync.iter().map(|s| s.number).collect();
        assert_eq!(numbers, [1, 11, 21, 31]);
        // Presented from the first decoding time on, at 10 pictures a second: the first
        // picture two pictures' times after it, the next one (a P picture) five.
        let ticks: Vec<u64> = index.lead.iter().take(3).map(|s| s.ticks).collect();
        assert_eq!(ticks, [18_000, 54_000, 36_000]);
        // Spans end where the next unit's first packet begins, the last at the file's end.
        for w in index.lead.windows(2) {
            assert_eq!(w[0].offset + u64::from(w[0].size), w[1].offset);
        }
        let last = index.lead[39];
        assert_eq!(last.offset + u64::from(last.size), ps.len() as u64);
        for chunk in [1, 7, 188, 65536] {
            assert_eq!(parse_bytes(&ps, "ps", chunk).info.noted, whole.info.noted);
        }
        // After Hikvision's media header: the same units, 40 bytes on.
        let hik = [&fixture(HIK)[..40], &ps[..]].concat();
        let p = parse_bytes(&hik, "mp4", 4096);
        let moved = p.info.noted.as_deref().expect("units");
        assert_eq!(p.info.container, Container::HikPs);
        assert_eq!(moved.sync[1].offset, index.sync[1].offset + 40);
        // A muxer that fills its packets end to end, several small pictures to one (NEG-HIK,
        // ffmpeg's DVD muxer): the picture each packet's time belongs to is noted, and only
        // such a picture that opens a random-access point is a keyframe.
        let vob = fixture(HIK);
        let parsed = parse_bytes(&vob, "mp4", 4096);
        // Its packets' times step by two or three pictures: no frame rate.
        assert_eq!(parsed.info.streams[0].frame_rate, None);
        let noted = parsed.info.noted;
        let index = noted.as_deref().expect("units");
        assert!(!index.sync.is_empty() && index.lead.len() < 60);
        assert!(index.pictures_missed);
        let Some(Packing::Ps(id)) = index.packets else {
            panic!("{:?}", index.packets)
        };
        for s in &index.sync {
            let span = &vob[s.offset as usize..(s.offset + u64::from(s.size)) as usize];
            let unit = payload(span, id, Codec::H264);
            let first = h264::annexb_nals(&unit).find(|n| {
                n.first()
                    .is_some_and(|&h| keyplan::is_slice(Codec::H264, h))
            });
            assert_eq!(first.and_then(|n| n.first()).map(|h| h & 0x1f), Some(5));
        }
    }

    #[test]
    fn a_recorder_giving_each_nal_unit_a_packet_misses_no_picture() {
        // short.ps's first three pictures laid out again, each NAL unit in a packet of its
        // own (the parameter sets, the supplemental message, the slice), timed in every
        // packet or in each picture's first only.
        let ps = fixture("osd/short.ps");
        let index = parse_bytes(&ps, "ps", 4096).info.noted.expect("units");
        let pack = [0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 0, 0x5F, 0x6B, 0xF8];
        let units: Vec<Vec<u8>> = index.lead[..3]
            .iter()
            .map(|s| {
                let span = &ps[s.offset as usize..(s.offset + u64::from(s.size)) as usize];
                payload(span, 0xE0, Codec::H264)
            })
            .collect();
        let nals =
            |unit: &[u8]| -> Vec<Vec<u8>> { h264::annexb_nals(unit).map(<[u8]>::to_vec).collect() };
        // The stream map first (type 0x1B: H.264), as recorders write it before keyframes, so
        // that the first picture's supplemental message, before its parameter sets, is known
        // to be video of a codec the stage reads.
        let map = [
            0, 0, 1, 0xBC, 0, 14, 0x81, 0x01, 0, 0, 0, 4, 0x1B, 0xE0, 0, 0, 0, 0, 0, 0,
        ];
        for timed_every in [true, false] {
            let mut file = [&pack[..], &map[..]].concat();
            for (k, unit) in units.iter().enumerate() {
                file.extend_from_slice(&pack);
                for (n, nal) in nals(unit).iter().enumerate() {
                    let pts =
                        (k == 0 || timed_every || n == 0).then_some(90_000 + 9_000 * k as i64);
                    let pts = if n == 0 || timed_every { pts } else { None };
                    file.extend(pes_packet(0xE0, pts, &[&[0, 0, 0, 1][..], nal].concat()));
                }
            }
            let parsed = parse_bytes(&file, "ps", 4096);
            assert_eq!(parsed.problem, None);
            let noted = parsed.info.noted.expect("units");
            assert!(
                !noted.pictures_missed,
                "timed in every packet: {timed_every}"
            );
            assert_eq!(noted.lead.len(), 3);
            assert_eq!(noted.sync.len(), 1);
            for (s, unit) in noted.lead.iter().zip(&units) {
                let span = &file[s.offset as usize..(s.offset + u64::from(s.size)) as usize];
                let shape = |v: Vec<Vec<u8>>| -> Vec<(u8, usize)> {
                    v.iter()
                        .map(|n| (n.first().map_or(0, |h| h & 0x1f), n.len()))
                        .collect()
                };
                assert_eq!(
                    shape(nals(&payload(span, 0xE0, Codec::H264))),
                    shape(nals(unit)),
                    "timed in every packet: {timed_every}"
                );
            }
        }
    }
}
