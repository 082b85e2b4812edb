//! MPEG transport streams (ITU-T H.222.0 / ISO/IEC 13818-1), 188-byte packets or 192-byte
//! M2TS packets with a 4-byte arrival-time prefix.
//!
//! Every packet is looked at once, as the bytes go past: PAT and PMT give the elementary
//! streams; PES headers give presentation/decoding times; adaptation fields give the PCR; the
//! 4-bit continuity counter of every PID is checked. The facts kept per stream are a handful of
//! counters, so memory does not grow with the file.

use std::collections::HashMap;

use super::cursor::Cursor;
use super::keyplan::{self, Codec, Packing, PesNotes, TsPackets};
use super::{Container, Jump, MediaInfo, Parsed, Problem, Sink, StreamInfo, h264};

const SYNC: u8 = 0x47;
/// 33-bit PTS/DTS clock, 90 kHz.
const PTS_MOD: i64 = 1 << 33;
const PTS_HZ: f64 = 90_000.0;
/// Bound on distinct PIDs followed (a TS has at most 8192).
const MAX_STREAMS: usize = 64;

/// Recognises a transport stream: three sync bytes at packet spacing.
pub fn detect(head: &[u8]) -> Option<usize> {
    for (pkt, off) in [(188usize, 0usize), (192, 4)] {
        let n = head.len().saturating_sub(off) / pkt;
        if n >= 1
            && (0..n.min(3)).all(|i| head.get(off + i * pkt) == Some(&SYNC))
            && (n >= 3 || head.len() < off + 3 * pkt)
        {
            return Some(pkt);
        }
    }
    None
}

#[derive(Default)]
struct Es {
    stream_type: u8,
    first: Option<i64>,
    prev: Option<i64>,
    /// elapsed 90 kHz ticks since `first`, unwrapped
    elapsed: i64,
    hist: HashMap<i64, u64>,
    max_step: Option<(i64, i64)>,
    /// The number (from 1) of the access unit that lasts `max_step`.
    max_step_unit: u64,
    min_step: Option<(i64, i64)>,
    sps: Vec<Vec<u8>>,
    dims: Option<(u32, u32, u8)>,
    audio: Option<(u32, u16)>,
    frames: u64,
    cc_errors: u32,
    order: usize,
}

pub struct TsSink {
    /// `MpegTs`, or `HikTs` after Hikvision's media header.
    container: Container,
    /// Bytes of a vendor's header still to pass before the first packet.
    skip: u64,
    /// The vendor's header's length, as `skip` began.
    header: u64,
    pkt: usize,
    off: usize,
    carry: Vec<u8>,
    packets: u64,
    sync_losses: u64,
    /// Sync losses since three packets last came in a row, the first one's offset, and how
    /// many packets have come in a row since the last loss.
    losses_since: u64,
    lost_at: Option<u64>,
    in_step: u32,
    pmt_pids: Vec<u16>,
    es: HashMap<u16, Es>,
    cc: HashMap<u16, u8>,
    cc_errors: u32,
    pcr_pid: Option<u16>,
    last_pcr: Option<i64>,
    pcr_first: Option<i64>,
    pcr_elapsed: i64,
    pcr_hist: HashMap<i64, u64>,
    pcr_max: Option<(i64, i64)>,
    discontinuities: u32,
    /// File offset of the next byte fed, and of the first byte of a packet carried over
    /// between two feeds.
    pos: u64,
    carry_at: u64,
    /// Where the first video stream's pictures start, for the keyframe stage.
    video: Option<PesNotes>,
}

/// Whether the first bytes of an access unit (the payload of the packet that starts its PES
/// packet) open a random-access point: an IDR picture or a sequence parameter set (H.264), an
/// IRAP picture or a video or sequence parameter set (HEVC).
fn opens_random_access(codec: Codec, data: &[u8]) -> bool {
    h264::annexb_nals(data).any(|n| {
        n.first()
            .is_some_and(|&h| keyplan::opens_random_access(codec, h))
    })
}

impl TsSink {
    pub fn new(pkt: usize) -> Self {
        Self::after_header(pkt, 0, Container::MpegTs)
    }

    /// A transport stream of `pkt`-byte packets after `skip` bytes of a vendor's header
    /// (Hikvision's media header: `container` `HikTs`). Offsets stay the file's.
    pub fn after_header(pkt: usize, skip: u64, container: Container) -> Self {
        TsSink {
            container,
            skip,
            header: skip,
            pkt,
            off: pkt - 188,
            carry: Vec::with_capacity(pkt),
            packets: 0,
            sync_losses: 0,
            losses_since: 0,
            lost_at: None,
            in_step: 0,
            pmt_pids: Vec::new(),
            es: HashMap::new(),
            cc: HashMap::new(),
            cc_errors: 0,
            pcr_pid: None,
            last_pcr: None,
            pcr_first: None,
            pcr_elapsed: 0,
            pcr_hist: HashMap::new(),
            pcr_max: None,
            discontinuities: 0,
            pos: 0,
            carry_at: 0,
            video: None,
        }
    }

    /// A packet's place at file offset `at` holds no sync byte.
    fn lost(&mut self, at: u64) {
        self.sync_losses += 1;
        self.losses_since += 1;
        self.in_step = 0;
        self.lost_at.get_or_insert(at);
    }

    /// One packet, found at file offset `at` (its arrival-time prefix included).
    fn packet(&mut self, p: &[u8], at: u64) {
        let p = &p[self.off..];
        if p[0] != SYNC {
            self.lost(at);
            return;
        }
        // Three packets in a row end a run of lost sync (one or two may begin at sync bytes
        // met by chance).
        self.in_step = self.in_step.saturating_add(1);
        if self.in_step >= 3 {
            self.losses_since = 0;
            self.lost_at = None;
        }
        self.packets += 1;
        let pusi = p[1] & 0x40 != 0;
        let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
        let afc = (p[3] >> 4) & 3;
        let cc = p[3] & 0x0f;
        let mut payload_at = 4usize;
        let mut discontinuity = false;
        let mut random_access = false;
        if afc & 2 != 0 {
            let len = usize::from(p[4]);
            if len > 183 {
                return;
            }
            if len > 0 {
                let flags = p[5];
                discontinuity = flags & 0x80 != 0;
                random_access = flags & 0x40 != 0;
                if flags & 0x10 != 0 && len >= 7 && Some(pid) == self.pcr_pid {
                    let b = &p[6..12];
                    let base = (i64::from(b[0]) << 25)
                        | (i64::from(b[1]) << 17)
                        | (i64::from(b[2]) << 9)
                        | (i64::from(b[3]) << 1)
                        | (i64::from(b[4]) >> 7);
                    self.pcr(base, discontinuity);
                }
            }
            payload_at = 5 + len;
        }
        if discontinuity {
            self.discontinuities += 1;
        }
        // Continuity counter (§2.4.3.3): +1 per packet with payload; one repeat allowed.
        if pid != 0x1fff && afc & 1 != 0 {
            if let Some(&prev) = self.cc.get(&pid)
                && !discontinuity
                && cc != (prev + 1) & 0x0f
                && cc != prev
            {
                self.cc_errors += 1;
                if let Some(e) = self.es.get_mut(&pid) {
                    e.cc_errors += 1;
                }
            }
            self.cc.insert(pid, cc);
        }
        if afc & 1 == 0 || payload_at >= 188 {
            return;
        }
        let payload = &p[payload_at..];
        if pid == 0 && pusi {
            self.pat(payload);
        } else if pusi && self.pmt_pids.contains(&pid) {
            self.pmt(payload);
        } else if pusi && self.es.contains_key(&pid) {
            self.pes(pid, payload, at, random_access);
        }
    }

    fn section(payload: &[u8]) -> Option<&[u8]> {
        let ptr = usize::from(*payload.first()?);
        let s = payload.get(1 + ptr..)?;
        if s.len() < 3 {
            return None;
        }
        let len = (usize::from(s[1] & 0x0f) << 8) | usize::from(s[2]);
        // section body without the 4-byte CRC
        s.get(3..(3 + len).min(s.len()))
            .map(|b| &b[..b.len().saturating_sub(4).min(len.saturating_sub(4))])
    }

    fn pat(&mut self, payload: &[u8]) {
        let Some(body) = Self::section(payload) else {
            return;
        };
        let Some(progs) = body.get(5..) else { return };
        for e in progs.chunks_exact(4) {
            let program = u16::from_be_bytes([e[0], e[1]]);
            let pid = (u16::from(e[2] & 0x1f) << 8) | u16::from(e[3]);
            if program != 0 && !self.pmt_pids.contains(&pid) && self.pmt_pids.len() < 16 {
                self.pmt_pids.push(pid);
            }
        }
    }

    fn pmt(&mut self, payload: &[u8]) {
        let Some(body) = Self::section(payload) else {
            return;
        };
        let mut c = Cursor::new(body);
        let r = (|| -> super::cursor::R<()> {
            c.skip(5)?;
            let pcr = c.be16()? & 0x1fff;
            self.pcr_pid = Some(pcr);
            let info_len = usize::from(c.be16()? & 0x0fff);
            c.skip(info_len)?;
            while c.remaining() >= 5 {
                let st = c.u8()?;
                let pid = c.be16()? & 0x1fff;
                let l = usize::from(c.be16()? & 0x0fff);
                c.skip(l)?;
                if !self.es.contains_key(&pid) && self.es.len() < MAX_STREAMS {
                    let codec = match st {
                        0x1b => Some(Codec::H264),
                        0x24 => Some(Codec::Hevc),
                        _ => None,
                    };
                    if let Some(codec) = codec
                        && self.video.is_none()
                    {
                        self.video = Some(PesNotes::new(
                            Packing::Ts(TsPackets {
                                size: self.pkt,
                                pid,
                            }),
                            codec,
                        ));
                    }
                    let order = self.es.len();
                    self.es.insert(
                        pid,
                        Es {
                            stream_type: st,
                            order,
                            ..Default::default()
                        },
                    );
                }
            }
            Ok(())
        })();
        let _ = r;
    }

    fn pcr(&mut self, base: i64, discontinuity: bool) {
        if let Some(prev) = self.last_pcr
            && !discontinuity
        {
            let step = wrap(base - prev);
            self.pcr_elapsed += step;
            let bucket = step / 90; // 1 ms buckets
            if self.pcr_hist.len() < 256 || self.pcr_hist.contains_key(&bucket) {
                *self.pcr_hist.entry(bucket).or_insert(0) += 1;
            }
            if self.pcr_max.is_none_or(|(m, _)| step.abs() > m.abs()) {
                self.pcr_max = Some((step, self.pcr_elapsed - step));
            }
        }
        if self.pcr_first.is_none() {
            self.pcr_first = Some(base);
        }
        self.last_pcr = Some(base);
    }

    /// A PES packet starts in the packet at file offset `at`; `random_access` is that
    /// packet's random-access indicator.
    fn pes(&mut self, pid: u16, payload: &[u8], at: u64, random_access: bool) {
        let Some(es) = self.es.get_mut(&pid) else {
            return;
        };
        if payload.len() < 9 || payload[0..3] != [0, 0, 1] {
            return;
        }
        es.frames += 1;
        let flags = payload[7] >> 6;
        let hdr_len = usize::from(payload[8]);
        let ts_at = |i: usize| -> Option<i64> {
            let b = payload.get(i..i + 5)?;
            Some(
                (i64::from(b[0] >> 1 & 7) << 30)
                    | (i64::from(b[1]) << 22)
                    | (i64::from(b[2] >> 1) << 15)
                    | (i64::from(b[3]) << 7)
                    | i64::from(b[4] >> 1),
            )
        };
        // Decode time is monotonic even with B-frames; fall back to the presentation time.
        let t = match flags {
            3 => ts_at(14),
            2 => ts_at(9),
            _ => None,
        };
        let mut longest = false;
        if let Some(t) = t {
            if let Some(prev) = es.prev {
                let step = wrap(t - prev);
                es.elapsed += step;
                if es.hist.len() < 256 || es.hist.contains_key(&step) {
                    *es.hist.entry(step).or_insert(0) += 1;
                }
                if es.max_step.is_none_or(|(m, _)| step > m) {
                    es.max_step = Some((step, es.elapsed - step));
                    es.max_step_unit = es.frames - 1;
                    longest = true;
                }
                if es.min_step.is_none_or(|(m, _)| step < m) {
                    es.min_step = Some((step, es.elapsed - step));
                }
            } else {
                es.first = Some(t);
            }
            es.prev = Some(t);
        }
        let data = payload.get(9 + hdr_len..).unwrap_or(&[]);
        if let Some(v) = self.video.as_mut().filter(|v| {
            v.packets()
                == Some(Packing::Ts(TsPackets {
                    size: self.pkt,
                    pid,
                }))
        }) {
            // Presented this long after the stream's first decoding time (its decoding time
            // unwrapped, plus how much later it is presented).
            let pts = if flags & 2 != 0 { ts_at(9) } else { None };
            let (ticks, reordered) = match (t, pts) {
                (Some(t), Some(pts)) => {
                    let ahead = wrap(pts - t);
                    ((es.elapsed + ahead).max(0) as u64, ahead != 0)
                }
                (Some(_), None) => (es.elapsed.max(0) as u64, false),
                _ => (v.last_ticks(), false),
            };
            let key = random_access || opens_random_access(v.codec(), data);
            v.start(es.frames, at, ticks, key, reordered, longest);
        }
        match es.stream_type {
            0x1b => {
                // Only the PES packet's first transport packet is seen here: its last NAL unit
                // may go on in the next packet. A parameter set is counted only when another
                // unit starts after it in this packet (it is whole): a recorder that writes a
                // supplemental message of varying length before its parameter sets, or stuffs
                // the packet's adaptation field, would otherwise cut the one parameter set it
                // repeats at different places, and those cut copies would count as the
                // picture format changing mid-stream (INS-SPS).
                let mut nals = h264::annexb_nals(data).peekable();
                while let Some(nal) = nals.next() {
                    if nal.first().map(|h| h & 0x1f) == Some(7) {
                        if let Some(s) = h264::parse_sps(nal) {
                            es.dims = Some((s.width, s.height, s.profile_idc));
                        }
                        let whole = nals.peek().is_some();
                        if whole && !es.sps.iter().any(|k| k == nal) && es.sps.len() < 64 {
                            es.sps.push(nal.to_vec());
                        }
                    }
                }
            }
            0x0f if es.audio.is_none()
                && data.len() >= 4
                && data[0] == 0xFF
                && data[1] & 0xF0 == 0xF0 =>
            {
                const RATES: [u32; 13] = [
                    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025,
                    8000, 7350,
                ];
                let idx = usize::from((data[2] >> 2) & 0x0f);
                let ch = (u16::from(data[2] & 1) << 2) | u16::from(data[3] >> 6);
                if let Some(&r) = RATES.get(idx) {
                    es.audio = Some((r, ch));
                }
            }
            _ => {}
        }
    }
}

/// A difference of two 33-bit clock values, unwrapped into (-2^32, 2^32].
fn wrap(d: i64) -> i64 {
    let d = d.rem_euclid(PTS_MOD);
    if d > PTS_MOD / 2 { d - PTS_MOD } else { d }
}

fn mode(h: &HashMap<i64, u64>) -> Option<i64> {
    h.iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| *k)
}

fn stream_kind(st: u8) -> (&'static str, &'static str) {
    match st {
        0x01 => ("video", "mpeg1video"),
        0x02 => ("video", "mpeg2video"),
        0x10 => ("video", "mpeg4"),
        0x1b => ("video", "h264"),
        0x24 => ("video", "hevc"),
        0x03 | 0x04 => ("audio", "mp3"),
        0x0f => ("audio", "aac"),
        0x11 => ("audio", "aac_latm"),
        0x81 => ("audio", "ac3"),
        0x06 => ("data", "private"),
        0x15 => ("data", "metadata"),
        _ => ("other", "other"),
    }
}

impl Sink for TsSink {
    fn feed(&mut self, mut data: &[u8]) {
        if self.skip > 0 {
            let n = self.skip.min(data.len() as u64);
            self.skip -= n;
            self.pos += n;
            data = &data[n as usize..];
        }
        let pkt = self.pkt;
        let end = self.pos + data.len() as u64;
        if !self.carry.is_empty() {
            let n = (pkt - self.carry.len()).min(data.len());
            self.carry.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.carry.len() < pkt {
                self.pos = end;
                return;
            }
            let c = std::mem::take(&mut self.carry);
            self.packet(&c, self.carry_at);
            self.carry = c;
            self.carry.clear();
        }
        while data.len() >= pkt {
            let at = end - data.len() as u64;
            if data[self.off] != SYNC {
                // Resynchronise on the next sync byte that sync bytes follow one and two
                // packets later (where the bytes reach that far): a trailer's or a damaged
                // stretch's 0x47 bytes begin no packets.
                self.lost(at);
                let mut from = self.off + 1;
                let found = loop {
                    match memchr::memchr(SYNC, &data[from..]) {
                        Some(i) => {
                            let p = from + i;
                            let next = |k: usize| data.get(p + k * pkt).is_none_or(|&b| b == SYNC);
                            if next(1) && next(2) {
                                break Some(p);
                            }
                            from = p + 1;
                        }
                        None => break None,
                    }
                };
                match found {
                    Some(p) => {
                        data = &data[p - self.off..];
                        continue;
                    }
                    None => {
                        data = &[];
                        break;
                    }
                }
            }
            self.packet(&data[..pkt], at);
            data = &data[pkt..];
        }
        if !data.is_empty() {
            self.carry_at = end - data.len() as u64;
        }
        self.carry.extend_from_slice(data);
        self.pos = end;
    }

    fn finish(mut self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(self.container);
        if self.container == Container::HikTs {
            info.make = Some("Hikvision".into());
            info.notes.push(format!(
                "a Hikvision media header ({} bytes, `IMKH`) before the transport stream",
                self.header
            ));
            if self.skip > 0 {
                return Parsed {
                    info,
                    problem: Some(Problem::truncated(format!(
                        "the file ends ({total} bytes) inside its {}-byte media header",
                        self.header
                    ))),
                };
            }
        }
        if let Some(v) = self.video.take() {
            // The last picture runs to the last whole packet.
            if let Some(index) = v.finish(total - self.carry.len() as u64) {
                info.noted = Some(Box::new(index));
            }
        }
        info.layout = (self.container == Container::HikTs)
            .then(|| "IMKH".to_string())
            .into_iter()
            .collect();
        info.layout.push(format!(
            "{}x{}",
            if self.pkt == 192 {
                "m2ts-packet"
            } else {
                "ts-packet"
            },
            self.packets
        ));
        info.continuity_errors = self.cc_errors;
        let mut es: Vec<(&u16, &Es)> = self.es.iter().collect();
        es.sort_by_key(|(_, e)| e.order);
        for (&pid, e) in es {
            let (kind, codec) = stream_kind(e.stream_type);
            let mut s = StreamInfo {
                track_id: Some(u32::from(pid)),
                kind: kind.to_string(),
                codec: Some(codec.to_string()),
                codec_tag: Some(format!("stream_type 0x{:02x}", e.stream_type)),
                timescale: Some(90_000),
                sample_count: Some(e.frames),
                continuity_errors: e.cc_errors,
                parameter_sets: e.sps.len() as u32,
                sample_descriptions: 1,
                ..Default::default()
            };
            if let Some((w, h, p)) = e.dims {
                s.width = Some(w);
                s.height = Some(h);
                s.profile = Some(h264::profile_name(p));
                s.description_summaries.push(format!("{codec} {w}x{h}"));
            }
            if let Some((r, ch)) = e.audio {
                s.sample_rate = Some(r);
                s.channels = Some(ch);
                s.description_summaries
                    .push(format!("{codec} {r}Hz {ch}ch"));
            }
            let typical = mode(&e.hist);
            if let Some(t) = typical {
                s.delta_typical = u64::try_from(t).ok();
                s.delta_min = e.min_step.and_then(|m| u64::try_from(m.0).ok());
                s.delta_max = e.max_step.and_then(|m| u64::try_from(m.0).ok());
                if kind == "video" && t > 0 {
                    s.frame_rate = Some(PTS_HZ / t as f64);
                }
                // Report the step furthest from the usual one: forward gaps or backward jumps.
                let fwd = e.max_step.map(|(m, at)| (m - t, at, Some(e.max_step_unit)));
                let back = e
                    .min_step
                    .filter(|(m, _)| *m < 0)
                    .map(|(m, at)| (m - t, at, None));
                let pick = match (fwd, back) {
                    (Some(f), Some(b)) => Some(if b.0.abs() > f.0.abs() { b } else { f }),
                    (f, b) => f.or(b),
                };
                if let Some((d, at, unit)) = pick.filter(|(d, _, _)| *d != 0) {
                    s.jump = Some(Jump {
                        at_s: at as f64 / PTS_HZ,
                        size_s: d as f64 / PTS_HZ,
                        sample: unit,
                    });
                }
                // Duration: elapsed decode time plus one typical frame.
                s.duration_s = Some((e.elapsed + t.max(0)) as f64 / PTS_HZ);
            }
            info.streams.push(s);
        }
        if let Some(t) = mode(&self.pcr_hist)
            && let Some((m, at)) = self.pcr_max
        {
            let d = m - t * 90;
            if d.abs() > 0 {
                info.pcr_jump = Some(Jump {
                    at_s: at as f64 / PTS_HZ,
                    size_s: d as f64 / PTS_HZ,
                    sample: None,
                });
            }
        }
        if self.discontinuities > 0 {
            info.notes.push(format!(
                "{} packets signal a discontinuity (discontinuity_indicator)",
                self.discontinuities
            ));
        }
        info.duration_s = info
            .streams
            .iter()
            .filter(|s| s.kind == "video" || s.kind == "audio")
            .filter_map(|s| s.duration_s)
            .reduce(f64::max);
        info.kind = info.kind_of_streams();
        // The file ends in bytes that are no packets, a trailer (since 2026-12-07; before,
        // `truncated` or `corrupt`): sync lost after the last packets and never found again (a
        // trailer longer than a packet), not packets lost among others; or fewer bytes than a
        // packet that do not begin as a packet does (its sync byte), not a packet cut short.
        let lost = self
            .lost_at
            .filter(|_| self.losses_since > 0 && self.packets > 0);
        let short = self.carry.get(self.off).is_some_and(|&b| b != SYNC);
        if let Some(at) = lost.or(short.then(|| total - self.carry.len() as u64)) {
            if lost.is_some() {
                self.sync_losses -= self.losses_since;
            }
            info.notes.push(format!(
                "{} bytes at offset {at}, after the last packet, are no packet{} (a trailer): not read",
                total.saturating_sub(at),
                if lost.is_some() { "s" } else { "" }
            ));
            self.carry.clear();
        }
        let problem = if !self.carry.is_empty() {
            Some(Problem::truncated(format!(
                "ISO/IEC 13818-1 §2.4.3.2: the file ends inside a packet ({} of {} bytes present at offset {})",
                self.carry.len(),
                self.pkt,
                total - self.carry.len() as u64
            )))
        } else if self.sync_losses > 0 {
            Some(Problem::corrupt(format!(
                "ISO/IEC 13818-1 §2.4.3.2: sync byte 0x47 missing {} times: packets lost or damaged",
                self.sync_losses
            )))
        } else if self.es.is_empty() {
            Some(Problem::corrupt(
                "ISO/IEC 13818-1 §2.4.4: no program map table found: no elementary streams can be identified",
            ))
        } else {
            None
        };
        if self.sync_losses > 0
            && problem
                .as_ref()
                .is_some_and(|p| p.kind == super::ProblemKind::Truncated)
        {
            info.notes
                .push(format!("sync byte missing {} times", self.sync_losses));
        }
        Parsed { info, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_wraps() {
        assert_eq!(wrap(3000), 3000);
        assert_eq!(wrap(-3000), -3000);
        assert_eq!(wrap(3000 - PTS_MOD), 3000);
    }

    #[test]
    fn detects_packet_sizes() {
        let mut ts = vec![0u8; 188 * 3];
        for i in 0..3 {
            ts[i * 188] = SYNC;
        }
        assert_eq!(detect(&ts), Some(188));
        let mut m2 = vec![0u8; 192 * 3];
        for i in 0..3 {
            m2[i * 192 + 4] = SYNC;
        }
        assert_eq!(detect(&m2), Some(192));
        assert_eq!(detect(&[SYNC, 1, 2, 3]), None);
        assert_eq!(detect(&vec![0u8; 600]), None);
    }

    /// A 188-byte packet: `payload` after an adaptation field that stuffs it to size (with
    /// the random-access flag when `random_access`).
    fn packet(pid: u16, start: bool, random_access: bool, cc: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x47, (u8::from(start) << 6) | (pid >> 8) as u8, pid as u8];
        let room = 184 - payload.len();
        if room == 0 && !random_access {
            p.push(0x10 | (cc & 0x0f));
        } else {
            p.push(0x30 | (cc & 0x0f));
            p.push((room - 1) as u8);
            if room > 1 {
                p.push(if random_access { 0x40 } else { 0 });
                p.extend(std::iter::repeat_n(0xff, room - 2));
            }
        }
        p.extend_from_slice(payload);
        p
    }

    /// A program's tables: the PAT naming the PMT on PID 0x1000, and the PMT naming one H.264
    /// stream on PID 0x100 (also its clock's PID).
    fn tables() -> Vec<u8> {
        let pat = [
            0, 0, 0xb0, 13, 0, 1, 0xc1, 0, 0, 0, 1, 0xf0, 0x00, 0, 0, 0, 0,
        ];
        let pmt = [
            0, 2, 0xb0, 18, 0, 1, 0xc1, 0, 0, 0xe1, 0x00, 0xf0, 0, 0x1b, 0xe1, 0x00, 0xf0, 0, 0, 0,
            0, 0,
        ];
        [
            packet(0, true, false, 0, &pat),
            packet(0x1000, true, false, 0, &pmt),
        ]
        .concat()
    }

    /// A 33-bit timestamp as a PES header writes it, after the 4-bit `prefix`.
    fn stamp(prefix: u8, v: i64) -> [u8; 5] {
        [
            (prefix << 4) | ((v >> 29) & 0x0e) as u8 | 1,
            (v >> 22) as u8,
            ((v >> 14) & 0xfe) as u8 | 1,
            (v >> 7) as u8,
            ((v << 1) & 0xfe) as u8 | 1,
        ]
    }

    /// The parameter sets counted in a stream of keyframes, each a PES packet whose first
    /// transport packet holds a delimiter, a supplemental message of `sei[k]` bytes, then the
    /// sequence parameter set `sps[k]` and a picture parameter set, as far as they fit; the
    /// rest and the picture follow in a second packet.
    fn parameter_sets_counted(sei: &[usize], sps: &[&[u8]]) -> u32 {
        let mut ts = tables();
        for (k, (&len, sps)) in sei.iter().zip(sps).enumerate() {
            let mut pes = vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5];
            pes.extend_from_slice(&stamp(2, k as i64 * 90_000));
            pes.extend_from_slice(&[0, 0, 0, 1, 0x09, 0x10]);
            pes.extend_from_slice(&[0, 0, 0, 1, 0x06, 0x05]);
            pes.extend(std::iter::repeat_n(0x5a, len));
            pes.extend_from_slice(&[0, 0, 0, 1]);
            pes.extend_from_slice(sps);
            pes.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0]);
            pes.extend_from_slice(&[0, 0, 0, 1, 0x65, 0x88, 0x84]);
            pes.resize(2 * 184, 0x33);
            let k = k as u8;
            ts.extend(packet(0x100, true, false, 2 * k, &pes[..184]));
            ts.extend(packet(0x100, false, false, 2 * k + 1, &pes[184..]));
        }
        let mut sink = Box::new(TsSink::new(188));
        sink.feed(&ts);
        let parsed = sink.finish(ts.len() as u64);
        let video = parsed.info.streams.iter().find(|s| s.kind == "video");
        video.expect("the video stream").parameter_sets
    }

    #[test]
    fn a_parameter_set_cut_off_at_its_packets_end_is_not_another_one() {
        // x264's SPS for 320x240 High profile, and another (one byte of it changed).
        let sps: &[u8] = &[
            0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03,
            0x00, 0x10, 0x00, 0x00, 0x03, 0x01, 0x40, 0xf1, 0x42, 0x99, 0x60,
        ];
        let mut other = sps.to_vec();
        other[6] = 0x01;
        // 14 bytes of PES header, a 6-byte delimiter, the message (6 + its length), then the
        // SPS's start code: a 137-byte message leaves 17 of the SPS's 25 bytes in the first
        // packet, a 150-byte one 4 of them.
        assert_eq!(
            parameter_sets_counted(&[10, 137, 60, 150, 137], &[sps; 5]),
            1
        );
        // Two whole and different parameter sets still count as two, cut copies beside them.
        assert_eq!(
            parameter_sets_counted(&[10, 137, 60, 20], &[sps, sps, sps, &other]),
            2
        );
    }

    #[test]
    fn the_video_streams_pictures_are_noted_as_they_go_past() {
        let mut ts = tables();
        // Six pictures, 40 ms apart in decoding order, each presented 80 ms after it is
        // decoded but the first, across the 33-bit wrap; the first opens a random-access
        // point by its flag, the fourth by the sequence parameter set it starts with. Each
        // picture takes two packets, an audio packet (a PID the PMT does not name) between.
        let first_dts = (1i64 << 33) - 3 * 3600;
        let mut expected = Vec::new();
        for k in 0..6i64 {
            let dts = (first_dts + k * 3600).rem_euclid(1 << 33);
            let ahead = if k == 0 { 0 } else { 7200 };
            let pts = (dts + ahead).rem_euclid(1 << 33);
            let mut pes = vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0xc0, 10];
            pes.extend_from_slice(&stamp(3, pts));
            pes.extend_from_slice(&stamp(1, dts));
            pes.extend_from_slice(&[0, 0, 0, 1, 0x09, 0xf0]);
            pes.extend_from_slice(if k == 3 {
                &[0, 0, 0, 1, 0x67, 0x64]
            } else {
                &[0, 0, 0, 1, 0x41, 0x9a]
            });
            let at = ts.len() as u64;
            ts.extend(packet(0x100, true, k == 0, 2 * k as u8, &pes));
            ts.extend(packet(0x101, true, false, k as u8, &[0xff; 20]));
            ts.extend(packet(0x100, false, false, 2 * k as u8 + 1, &[7; 184]));
            expected.push((k as u64 + 1, at, 3 * 188, (k * 3600 + ahead) as u64));
        }
        for piece in [1usize, 100, 188, 4096] {
            let mut sink = Box::new(TsSink::new(188));
            for c in ts.chunks(piece) {
                sink.feed(c);
            }
            let parsed = sink.finish(ts.len() as u64);
            let noted = parsed.info.noted.expect("pictures noted");
            let index = noted;
            assert_eq!(
                index.packets,
                Some(Packing::Ts(TsPackets {
                    size: 188,
                    pid: 0x100
                }))
            );
            assert_eq!(index.codec, Codec::H264);
            let got = |v: &[crate::media::keyplan::Sample]| -> Vec<(u64, u64, u32, u64)> {
                v.iter()
                    .map(|s| (s.number, s.offset, s.size, s.ticks))
                    .collect()
            };
            assert_eq!(got(&index.lead), expected, "fed in pieces of {piece}");
            assert_eq!(got(&index.sync), [expected[0], expected[3]]);
            assert!(index.reordered);
        }
        // No picture opens a random-access point: nothing for the stage.
        let mut sink = Box::new(TsSink::new(188));
        sink.feed(&ts[..2 * 188]);
        assert_eq!(sink.finish(2 * 188).info.noted, None);
        // The three units around the largest step (the fourth picture lasts it) are kept whole
        // for the keyframe stage, and the stream's jump names the fourth picture.
        let index = {
            let mut sink = Box::new(TsSink::new(188));
            sink.feed(&ts);
            sink.finish(ts.len() as u64).info.noted
        };
        assert!(
            index.as_deref().expect("pictures noted").jump.is_empty(),
            "no step stands out"
        );
        let mut ts = tables();
        let mut units = Vec::new();
        for k in 0..6i64 {
            let dts = k * 3600 + if k >= 4 { 90_000 } else { 0 };
            let mut pes = vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5];
            pes.extend_from_slice(&stamp(2, dts));
            pes.extend_from_slice(&[0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x41, 0x9a]);
            let at = ts.len() as u64;
            ts.extend(packet(0x100, true, k == 0, k as u8, &pes));
            units.push((k as u64 + 1, at, 188u32));
        }
        let parsed = {
            let mut sink = Box::new(TsSink::new(188));
            sink.feed(&ts);
            sink.finish(ts.len() as u64)
        };
        let video = parsed.info.streams.iter().find(|s| s.kind == "video");
        let jump = video.and_then(|v| v.jump).expect("a jump");
        assert_eq!(jump.sample, Some(4));
        assert!((jump.size_s - 1.0).abs() < 1e-9, "{jump:?}");
        let noted: Vec<(u64, u64, u32)> = parsed
            .info
            .noted
            .as_deref()
            .expect("pictures noted")
            .jump
            .iter()
            .map(|s| (s.number, s.offset, s.size))
            .collect();
        assert_eq!(noted, units[2..5]);
    }
}
