//! ISO base media files (ISO/IEC 14496-12): MP4, MOV, 3GP, M4A, HEIF; classic and fragmented.
//!
//! The top level is walked as a stream so that `mdat` is never buffered; `moov`, `moof`,
//! `ftyp` and top-level `meta`/`udta` are buffered (each under a bound) and parsed in memory
//! through [`BoxIter`], which refuses any box larger than its parent. Only the boxes recaudit
//! needs are descended into, so nesting depth is fixed by the code, not by the file.

use std::collections::HashMap;

use super::chunks::{BoxIter, ChunkStream, Decision, Format, Header};
use super::cursor::{Cursor, fourcc_str, text};
use super::{
    Container, EditEntry, Jump, MediaInfo, MediaKind, Parsed, Problem, RecordedTime, Sink,
    StreamInfo, h264,
};
use super::{REVISIT_MAX, samples};

/// Seconds from 1904-01-01 (the ISO BMFF epoch) to 1970-01-01.
pub const EPOCH_1904: i64 = 2_082_844_800;

/// An ISO BMFF creation time (`mvhd`, `mdhd`): seconds since 1904, or, where that would fall
/// before 1970, seconds since 1970 (a muxer that counted from the Unix epoch: read from 1904,
/// its 2026 would be 1960, and every file of the recorder would look like a reset clock and
/// mismatch its name by 66 years). 0 means unset.
fn bmff_time(raw: u64) -> Option<RecordedTime> {
    let raw = i64::try_from(raw).ok()?;
    match raw {
        0 => None,
        r if r < EPOCH_1904 => Some(RecordedTime::UnixInBmff(r)),
        r => Some(RecordedTime::Utc(r - EPOCH_1904)),
    }
}
const MOOV_LIMIT: u64 = 256 << 20;
const MOOF_LIMIT: u64 = 64 << 20;
const SMALL_LIMIT: u64 = 16 << 20;
/// Edit-list entries kept per track (all are counted).
const MAX_EDITS: usize = 64;

const TOP_TYPES: &[&[u8; 4]] = &[
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"moof", b"styp", b"uuid",
    b"sidx", b"meta",
];

/// Recognises an ISO BMFF file by its first box.
pub fn detect(head: &[u8]) -> Option<Container> {
    if head.len() < 8 {
        return None;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let typ: [u8; 4] = [head[4], head[5], head[6], head[7]];
    if !TOP_TYPES.contains(&&typ) || (size != 0 && size != 1 && size < 8) {
        return None;
    }
    if &typ == b"ftyp" {
        if head.len() < 12 {
            return Some(Container::Mp4);
        }
        return Some(brand_container(&[head[8], head[9], head[10], head[11]]));
    }
    Some(Container::Mov)
}

fn brand_container(b: &[u8; 4]) -> Container {
    match b {
        b"qt  " => Container::Mov,
        b"M4A " | b"M4B " => Container::M4a,
        b"heic" | b"heix" | b"mif1" | b"msf1" | b"avif" | b"heim" | b"heis" => Container::Heif,
        [b'3', b'g', ..] => Container::ThreeGp,
        _ => Container::Mp4,
    }
}

/// Sample-duration statistics gathered from `stts` or `trun` runs. The final sample of a track
/// is left out of the extremes: writers commonly give it a nominal duration.
#[derive(Default)]
struct Deltas {
    hist: HashMap<u64, u64>,
    min: Option<u64>,
    /// The longest duration, the decode time of its sample and the sample's number (1-based).
    max: Option<(u64, u64, u64)>,
    /// The latest sample, held back until another follows: (duration, decode time, number).
    pending: Option<(u64, u64, u64)>,
    samples: u64,
    ticks: u64,
    /// Runs of equal durations (duration, samples, decode time of the first), in order, at
    /// most [`samples::RUNS_MAX`].
    runs: Vec<(u64, u64, u64)>,
}

impl Deltas {
    /// `count` samples of `delta` ticks, the first at decode time `at` and numbered `number`.
    fn commit(&mut self, delta: u64, count: u64, at: u64, number: u64) {
        if count == 0 {
            return;
        }
        if self.hist.len() < 256 || self.hist.contains_key(&delta) {
            *self.hist.entry(delta).or_insert(0) += count;
        }
        let full = self.runs.len() >= samples::RUNS_MAX;
        match self.runs.last_mut() {
            Some(r) if r.0 == delta => r.1 = r.1.saturating_add(count),
            _ if !full => self.runs.push((delta, count, at)),
            _ => {}
        }
        self.min = Some(self.min.map_or(delta, |m| m.min(delta)));
        if self.max.is_none_or(|(m, _, _)| delta > m) {
            self.max = Some((delta, at, number));
        }
    }
    /// `count` samples of `delta` ticks each.
    fn add(&mut self, delta: u64, count: u64) {
        if count == 0 {
            return;
        }
        if let Some((d, at, number)) = self.pending.take() {
            self.commit(d, 1, at, number);
        }
        let (at, number) = (self.ticks, self.samples.saturating_add(1));
        if count > 1 {
            self.commit(delta, count - 1, at, number);
        }
        self.pending = Some((
            delta,
            at.saturating_add(delta.saturating_mul(count - 1)),
            number.saturating_add(count - 1),
        ));
        self.samples = self.samples.saturating_add(count);
        self.ticks = self.ticks.saturating_add(delta.saturating_mul(count));
    }
    fn typical(&self) -> Option<u64> {
        self.hist
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(d, _)| *d)
    }
    /// Writes the statistics into a stream, with `timescale` ticks per second.
    fn apply(&self, s: &mut StreamInfo, timescale: u32) {
        let (min, max, typical) = match (self.min, self.max, self.typical()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            // a single sample: only the pending one
            _ => match self.pending {
                Some((d, _, number)) => (d, (d, 0, number), d),
                None => return,
            },
        };
        s.delta_min = Some(min);
        s.delta_max = Some(max.0);
        s.delta_typical = Some(typical);
        if timescale > 0 {
            let ts = f64::from(timescale);
            if max.0 > typical {
                s.jump = Some(Jump {
                    at_s: max.1 as f64 / ts,
                    size_s: (max.0 - typical) as f64 / ts,
                    sample: Some(max.2),
                });
            }
            if s.kind == "video" && typical > 0 {
                s.frame_rate = Some(ts / typical as f64);
                s.rate_stretch = samples::rate_stretch(&self.runs, timescale);
            }
        }
    }
}

struct Track {
    id: u32,
    stream: usize,
    timescale: u32,
    deltas: Deltas,
    /// Decode time where the next fragment of this track should start.
    next_decode: Option<u64>,
    moov_ticks: u64,
    frag_samples: u64,
    sps: Vec<Vec<u8>>,
    max_chunk_offset: u64,
    /// Bytes of an H.264 NAL unit's length prefix in samples (`avcC`), 0 for other codecs.
    nal_len: usize,
    /// Sync samples to read the first bytes of: (sample number, file offset, length).
    heads: Vec<(u64, u64, u32)>,
    /// Picture formats announced in-band at sync samples: (sample number, format).
    inband: Vec<(u64, h264::Sps)>,
}

#[derive(Default, Clone, Copy)]
struct Trex {
    default_duration: u32,
}

pub struct BmffSink {
    cs: ChunkStream,
    info: MediaInfo,
    tracks: Vec<Track>,
    trex: HashMap<u32, Trex>,
    problem: Option<Problem>,
    saw_moov: bool,
    movie_timescale: u32,
    movie_duration: u64,
    largest_frag_jump: Option<Jump>,
    /// Seen in `keys`: item index -> key name (QuickTime metadata).
    keys: Vec<String>,
    /// The ranges asked for by `revisit`, sorted by offset: (offset, track, sample, length).
    asked: Vec<(u64, usize, u64, u32)>,
}

impl BmffSink {
    pub fn new(container: Container) -> Self {
        BmffSink {
            cs: ChunkStream::new(Format::Bmff),
            info: MediaInfo::new(container),
            tracks: Vec::new(),
            trex: HashMap::new(),
            problem: None,
            saw_moov: false,
            movie_timescale: 0,
            movie_duration: 0,
            largest_frag_jump: None,
            keys: Vec::new(),
            asked: Vec::new(),
        }
    }

    /// Folds the picture formats carried in-band into each track's count of parameter sets,
    /// and notes where the first one unlike the sample description's appears.
    fn inband_formats(&mut self) {
        let format = |p: &h264::Sps| (p.profile_idc, p.width, p.height);
        for tk in &self.tracks {
            if tk.inband.is_empty() {
                continue;
            }
            let declared: Vec<_> = tk
                .sps
                .iter()
                .filter_map(|n| h264::parse_sps(n))
                .map(|p| format(&p))
                .collect();
            let mut all = declared.clone();
            for (_, p) in &tk.inband {
                if !all.contains(&format(p)) {
                    all.push(format(p));
                }
            }
            let Some(st) = self.info.streams.get_mut(tk.stream) else {
                continue;
            };
            st.parameter_sets = st.parameter_sets.max(all.len() as u32);
            let first_other = tk
                .inband
                .iter()
                .filter(|(_, p)| !declared.contains(&format(p)))
                .map(|(n, p)| (*n, *p))
                .min_by_key(|(n, _)| *n);
            if let Some((n, p)) = first_other.filter(|_| !declared.is_empty()) {
                let at = match (st.delta_typical, tk.timescale) {
                    (Some(d), ts) if ts > 0 => Some((n - 1) as f64 * d as f64 / f64::from(ts)),
                    _ => None,
                };
                st.inband_change_at_s = at;
                self.info.notes.push(format!(
                    "track {}: sync sample {n} carries an in-band SPS for {}x{} ({}), unlike its sample description",
                    tk.id,
                    p.width,
                    p.height,
                    h264::profile_name(p.profile_idc)
                ));
            }
        }
    }

    fn flag(&mut self, p: Problem) {
        if self.problem.is_none() {
            self.problem = Some(p);
        }
    }

    fn on_box(&mut self, h: &Header, body: &[u8]) {
        let base = h.start + h.header_len;
        let r = match &h.typ {
            b"ftyp" | b"styp" => {
                self.ftyp(body);
                Ok(())
            }
            b"moov" => {
                if self.saw_moov {
                    self.info.notes.push(format!(
                        "a second 'moov' box at offset {} was ignored",
                        h.start
                    ));
                    Ok(())
                } else {
                    self.saw_moov = true;
                    self.moov(body, base)
                }
            }
            b"moof" => self.moof(body, base),
            b"udta" => self.udta(body, base),
            b"meta" => self.meta(body, base),
            _ => Ok(()),
        };
        if let Err(p) = r {
            self.flag(p);
        }
    }

    fn ftyp(&mut self, body: &[u8]) {
        let mut c = Cursor::new(body);
        if let Ok(major) = c.fourcc() {
            if self.info.major_brand.is_none() {
                self.info.major_brand = Some(fourcc_str(&major));
                self.info.container = brand_container(&major);
            }
            let _ = c.be32();
            while let Ok(b) = c.fourcc() {
                if self.info.compatible_brands.len() < 32 {
                    self.info.compatible_brands.push(fourcc_str(&b));
                }
            }
        }
    }

    fn moov(&mut self, body: &[u8], base: u64) -> Result<(), Problem> {
        for b in BoxIter::new(body, base) {
            let b = b?;
            match &b.typ {
                b"mvhd" => self
                    .mvhd(b.body)
                    .map_err(|_| short("mvhd", b.offset, "§8.2.2"))?,
                b"trak" => self.trak(b.body, b.offset)?,
                b"udta" => self.udta(b.body, b.offset)?,
                b"meta" => self.meta(b.body, b.offset)?,
                b"mvex" => {
                    for x in BoxIter::new(b.body, b.offset + 8) {
                        let x = x?;
                        if &x.typ == b"trex" {
                            let mut c = Cursor::new(x.body);
                            let t = (|| -> Result<(u32, Trex), super::cursor::Short> {
                                c.skip(4)?;
                                let id = c.be32()?;
                                c.skip(4)?;
                                Ok((
                                    id,
                                    Trex {
                                        default_duration: c.be32()?,
                                    },
                                ))
                            })()
                            .map_err(|_| short("trex", x.offset, "§8.8.3"))?;
                            self.trex.insert(t.0, t.1);
                        }
                    }
                    self.info.fragmented = true;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn mvhd(&mut self, body: &[u8]) -> super::cursor::R<()> {
        let mut c = Cursor::new(body);
        let version = c.u8()?;
        c.skip(3)?;
        let (created, timescale, duration) = if version == 1 {
            let cr = c.be64()?;
            c.be64()?;
            (cr, c.be32()?, c.be64()?)
        } else {
            let cr = u64::from(c.be32()?);
            c.be32()?;
            let ts = c.be32()?;
            let d = c.be32()?;
            (cr, ts, if d == u32::MAX { 0 } else { u64::from(d) })
        };
        self.movie_timescale = timescale;
        self.movie_duration = duration;
        self.info.creation_time_raw = Some(created.to_string());
        self.info.creation_time_source = Some("mvhd");
        if let Some(t) = bmff_time(created) {
            self.info.creation_time = Some(t);
        }
        Ok(())
    }

    fn trak(&mut self, body: &[u8], base: u64) -> Result<(), Problem> {
        let mut s = StreamInfo::default();
        let mut tk = Track {
            id: 0,
            stream: self.info.streams.len(),
            timescale: 0,
            deltas: Deltas::default(),
            next_decode: None,
            moov_ticks: 0,
            frag_samples: 0,
            sps: Vec::new(),
            max_chunk_offset: 0,
            nal_len: 0,
            heads: Vec::new(),
            inband: Vec::new(),
        };
        let mut tkhd_dims = None;
        for b in BoxIter::new(body, base + 8) {
            let b = b?;
            match &b.typ {
                b"tkhd" => {
                    let mut c = Cursor::new(b.body);
                    let r = (|| -> super::cursor::R<(u32, u32, u32)> {
                        let v = c.u8()?;
                        c.skip(3)?;
                        if v == 1 {
                            c.skip(16)?;
                        } else {
                            c.skip(8)?;
                        }
                        let id = c.be32()?;
                        c.skip(4)?;
                        c.skip(if v == 1 { 8 } else { 4 })?;
                        c.skip(8 + 2 + 2 + 2 + 2 + 36)?;
                        Ok((id, c.be32()? >> 16, c.be32()? >> 16))
                    })()
                    .map_err(|_| short("tkhd", b.offset, "§8.3.2"))?;
                    tk.id = r.0;
                    s.track_id = Some(r.0);
                    tkhd_dims = Some((r.1, r.2));
                }
                b"edts" => {
                    for e in BoxIter::new(b.body, b.offset + 8) {
                        let e = e?;
                        if &e.typ == b"elst" {
                            (s.edits, s.edit_count) =
                                elst(e.body).map_err(|_| short("elst", e.offset, "§8.6.6"))?;
                        }
                    }
                }
                b"mdia" => self.mdia(b.body, b.offset, &mut s, &mut tk)?,
                _ => {}
            }
        }
        if s.kind == "video"
            && (s.width.is_none() || s.width == Some(0))
            && let Some((w, h)) = tkhd_dims.filter(|d| d.0 > 0)
        {
            s.width = Some(w);
            s.height = Some(h);
        }
        tk.deltas.apply(&mut s, tk.timescale);
        tk.moov_ticks = tk.deltas.ticks;
        // A frame rate from a degenerate sample table (1-tick deltas) says nothing; use the
        // average over the track instead.
        if s.frame_rate.is_some_and(|f| f > 1000.0) {
            s.frame_rate = match (s.sample_count, s.duration_s) {
                (Some(n), Some(d)) if d > 0.0 => Some(n as f64 / d),
                _ => None,
            };
        }
        if s.sample_count.is_none() && tk.deltas.samples > 0 {
            s.sample_count = Some(tk.deltas.samples);
        }
        s.parameter_sets = tk.sps.len() as u32;
        self.info.streams.push(s);
        self.tracks.push(tk);
        Ok(())
    }

    fn mdia(
        &mut self,
        body: &[u8],
        base: u64,
        s: &mut StreamInfo,
        tk: &mut Track,
    ) -> Result<(), Problem> {
        // hdlr first: the sample descriptions are read according to the handler type.
        let mut handler = [0u8; 4];
        for b in BoxIter::new(body, base + 8) {
            let b = b?;
            if &b.typ == b"hdlr" {
                let mut c = Cursor::new(b.body);
                c.skip(8).map_err(|_| short("hdlr", b.offset, "§8.4.3"))?;
                handler = c.fourcc().map_err(|_| short("hdlr", b.offset, "§8.4.3"))?;
                let _ = c.skip(12);
                s.handler_name = handler_name(c.rest());
            }
        }
        s.kind = match &handler {
            b"vide" => "video",
            b"soun" => "audio",
            b"subt" | b"sbtl" | b"text" | b"clcp" => "subtitle",
            b"hint" => "hint",
            b"meta" | b"tmcd" | b"gpmd" | b"camm" => "data",
            _ => "other",
        }
        .to_string();
        for b in BoxIter::new(body, base + 8) {
            let b = b?;
            match &b.typ {
                b"mdhd" => {
                    let mut c = Cursor::new(b.body);
                    let r = (|| -> super::cursor::R<(u64, u32, u64, u16)> {
                        let v = c.u8()?;
                        c.skip(3)?;
                        let (cr, ts, d) = if v == 1 {
                            let cr = c.be64()?;
                            c.be64()?;
                            (cr, c.be32()?, c.be64()?)
                        } else {
                            let cr = u64::from(c.be32()?);
                            c.be32()?;
                            (cr, c.be32()?, u64::from(c.be32()?))
                        };
                        Ok((cr, ts, d, c.be16()?))
                    })()
                    .map_err(|_| short("mdhd", b.offset, "§8.4.2"))?;
                    tk.timescale = r.1;
                    s.timescale = Some(r.1);
                    if r.1 > 0 && r.2 != u64::from(u32::MAX) {
                        s.duration_s = Some(r.2 as f64 / f64::from(r.1));
                    }
                    if let Some(t) = bmff_time(r.0) {
                        s.creation_time = Some(t);
                    }
                    s.language = language(r.3);
                }
                b"minf" => {
                    for m in BoxIter::new(b.body, b.offset + 8) {
                        let m = m?;
                        if &m.typ == b"stbl" {
                            self.stbl(m.body, m.offset, &handler, s, tk)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn stbl(
        &mut self,
        body: &[u8],
        base: u64,
        handler: &[u8; 4],
        s: &mut StreamInfo,
        tk: &mut Track,
    ) -> Result<(), Problem> {
        let (mut stsz, mut stsc, mut stss) = (None, None, None);
        let mut chunks: Vec<u64> = Vec::new();
        for b in BoxIter::new(body, base + 8) {
            let b = b?;
            match &b.typ {
                b"stss" => stss = Some(b.body),
                b"stsc" => stsc = Some(b.body),
                b"stsd" => stsd(b.body, b.offset, handler, s, tk)?,
                b"stts" => {
                    let mut c = Cursor::new(b.body);
                    c.skip(4).map_err(|_| short("stts", b.offset, "§8.6.1.2"))?;
                    let n = c.be32().map_err(|_| short("stts", b.offset, "§8.6.1.2"))?;
                    if u64::from(n) * 8 > c.remaining() as u64 {
                        return Err(Problem::corrupt(format!(
                            "ISO/IEC 14496-12 §8.6.1.2: 'stts' at offset {} declares {n} entries but holds room for {}",
                            b.offset,
                            c.remaining() / 8
                        )));
                    }
                    for _ in 0..n {
                        let count = c.be32().map_err(|_| short("stts", b.offset, "§8.6.1.2"))?;
                        let delta = c.be32().map_err(|_| short("stts", b.offset, "§8.6.1.2"))?;
                        tk.deltas.add(u64::from(delta), u64::from(count));
                    }
                }
                b"stsz" | b"stz2" => {
                    if &b.typ == b"stsz" {
                        stsz = Some(b.body);
                    }
                    let mut c = Cursor::new(b.body);
                    let r = (|| -> super::cursor::R<u32> {
                        c.skip(8)?;
                        c.be32()
                    })()
                    .map_err(|_| short("stsz", b.offset, "§8.7.3"))?;
                    s.sample_count = Some(u64::from(r));
                }
                b"stco" | b"co64" => {
                    let mut c = Cursor::new(b.body);
                    let wide = &b.typ == b"co64";
                    c.skip(4).map_err(|_| short("stco", b.offset, "§8.7.5"))?;
                    let n = c.be32().map_err(|_| short("stco", b.offset, "§8.7.5"))?;
                    let w = if wide { 8 } else { 4 };
                    if u64::from(n) * w > c.remaining() as u64 {
                        return Err(Problem::corrupt(format!(
                            "ISO/IEC 14496-12 §8.7.5: '{}' at offset {} declares {n} chunk offsets but holds room for {}",
                            fourcc_str(&b.typ),
                            b.offset,
                            c.remaining() as u64 / w
                        )));
                    }
                    for _ in 0..n {
                        let o = if wide {
                            c.be64()
                        } else {
                            c.be32().map(u64::from)
                        };
                        if let Ok(o) = o {
                            tk.max_chunk_offset = tk.max_chunk_offset.max(o);
                            // Enough to place the first sync samples; a hostile table of
                            // millions of chunks is not copied whole.
                            if chunks.len() < samples::CHUNKS_MAX {
                                chunks.push(o);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if tk.nal_len > 0
            && s.kind == "video"
            && let (Some(stsz), Some(stsc)) = (stsz, stsc)
        {
            tk.heads = samples::sync_heads(stsz, stsc, &chunks, stss);
        }
        Ok(())
    }

    fn moof(&mut self, body: &[u8], base: u64) -> Result<(), Problem> {
        self.info.fragmented = true;
        self.info.fragments = self.info.fragments.saturating_add(1);
        for b in BoxIter::new(body, base) {
            let b = b?;
            if &b.typ != b"traf" {
                continue;
            }
            let mut track_id = None;
            let mut default_dur = None;
            let mut tfdt = None;
            let mut runs: Vec<(u64, u64)> = Vec::new(); // (samples, ticks)
            let mut per_sample: Vec<u32> = Vec::new();
            for t in BoxIter::new(b.body, b.offset + 8) {
                let t = t?;
                let mut c = Cursor::new(t.body);
                match &t.typ {
                    b"tfhd" => {
                        let r = (|| -> super::cursor::R<(u32, Option<u32>)> {
                            let flags = c.be32()? & 0xff_ffff;
                            let id = c.be32()?;
                            if flags & 0x01 != 0 {
                                c.skip(8)?;
                            }
                            if flags & 0x02 != 0 {
                                c.skip(4)?;
                            }
                            let d = if flags & 0x08 != 0 {
                                Some(c.be32()?)
                            } else {
                                None
                            };
                            Ok((id, d))
                        })()
                        .map_err(|_| short("tfhd", t.offset, "§8.8.7"))?;
                        track_id = Some(r.0);
                        default_dur = r.1;
                    }
                    b"tfdt" => {
                        let v = (|| -> super::cursor::R<u64> {
                            let v = c.u8()?;
                            c.skip(3)?;
                            if v == 1 {
                                c.be64()
                            } else {
                                c.be32().map(u64::from)
                            }
                        })()
                        .map_err(|_| short("tfdt", t.offset, "§8.8.12"))?;
                        tfdt = Some(v);
                    }
                    b"trun" => {
                        let flags =
                            c.be32().map_err(|_| short("trun", t.offset, "§8.8.8"))? & 0xff_ffff;
                        let n = c.be32().map_err(|_| short("trun", t.offset, "§8.8.8"))?;
                        if flags & 0x01 != 0 {
                            c.skip(4).map_err(|_| short("trun", t.offset, "§8.8.8"))?;
                        }
                        if flags & 0x04 != 0 {
                            c.skip(4).map_err(|_| short("trun", t.offset, "§8.8.8"))?;
                        }
                        let per = [0x100, 0x200, 0x400, 0x800]
                            .iter()
                            .filter(|&&f| flags & f != 0)
                            .count() as u64
                            * 4;
                        if u64::from(n) * per > c.remaining() as u64 {
                            return Err(Problem::corrupt(format!(
                                "ISO/IEC 14496-12 §8.8.8: 'trun' at offset {} declares {n} samples but holds room for {}",
                                t.offset,
                                (c.remaining() as u64).checked_div(per).unwrap_or(0)
                            )));
                        }
                        if flags & 0x100 != 0 {
                            let mut ticks = 0u64;
                            for _ in 0..n {
                                let d = c.be32().map_err(|_| short("trun", t.offset, "§8.8.8"))?;
                                per_sample.push(d);
                                ticks += u64::from(d);
                                c.skip(per as usize - 4)
                                    .map_err(|_| short("trun", t.offset, "§8.8.8"))?;
                            }
                            runs.push((u64::from(n), ticks));
                        } else {
                            runs.push((u64::from(n), u64::MAX)); // duration from defaults below
                        }
                    }
                    _ => {}
                }
            }
            let Some(id) = track_id else { continue };
            let Some(ti) = self.tracks.iter().position(|t| t.id == id) else {
                self.info.notes.push(format!(
                    "fragment at offset {} names unknown track {id}",
                    b.offset
                ));
                continue;
            };
            let dflt = default_dur
                .or_else(|| self.trex.get(&id).map(|x| x.default_duration))
                .unwrap_or(0);
            let tk = &mut self.tracks[ti];
            let mut samples = 0u64;
            let mut ticks = 0u64;
            for (n, t) in runs {
                samples += n;
                if t == u64::MAX {
                    ticks += n * u64::from(dflt);
                    tk.deltas.add(u64::from(dflt), n);
                } else {
                    ticks += t;
                }
            }
            for d in per_sample {
                tk.deltas.add(u64::from(d), 1);
            }
            let start = tfdt.or(tk.next_decode).unwrap_or(tk.moov_ticks);
            if let (Some(found), Some(expected)) = (tfdt, tk.next_decode)
                && found != expected
                && tk.timescale > 0
            {
                let size = (found as f64 - expected as f64) / f64::from(tk.timescale);
                if self
                    .largest_frag_jump
                    .is_none_or(|j| size.abs() > j.size_s.abs())
                {
                    self.largest_frag_jump = Some(Jump {
                        at_s: expected as f64 / f64::from(tk.timescale),
                        size_s: size,
                        sample: None,
                    });
                }
            }
            tk.next_decode = Some(start.saturating_add(ticks));
            tk.frag_samples += samples;
        }
        Ok(())
    }

    fn udta(&mut self, body: &[u8], base: u64) -> Result<(), Problem> {
        for b in BoxIter::new(body, base + 8) {
            let Ok(b) = b else {
                // User data is free-form; a malformed entry ends it but does not spoil the file.
                self.info.notes.push(format!(
                    "malformed user data inside 'udta' at offset {base}"
                ));
                break;
            };
            if &b.typ == b"meta" {
                self.meta(b.body, b.offset)?;
                continue;
            }
            if b.typ[0] == 0xA9 {
                let v = qt_text(b.body);
                if let Some(v) = v {
                    self.tag(&b.typ, v);
                }
            }
        }
        Ok(())
    }

    fn tag(&mut self, typ: &[u8; 4], v: String) {
        match &typ[1..] {
            // The encoding tool wins over the free-text "encoded by" field.
            b"too" => self.info.encoder = Some(v),
            b"enc" => set_once(&mut self.info.encoder, v),
            b"swr" => set_once(&mut self.info.software, v),
            b"mak" => set_once(&mut self.info.make, v),
            b"mod" => set_once(&mut self.info.model, v),
            b"xyz" if self.info.gps.is_none() => {
                self.info.gps = iso6709(&v);
            }
            b"day" => self.date_tag(v, "©day"),
            _ => {}
        }
    }

    fn date_tag(&mut self, v: String, source: &'static str) {
        if self.info.creation_time.is_none()
            && let Some(t) = parse_datetime(&v)
        {
            self.info.creation_time = Some(t);
            self.info.creation_time_raw = Some(v);
            self.info.creation_time_source = Some(source);
        }
    }

    fn meta(&mut self, body: &[u8], base: u64) -> Result<(), Problem> {
        // ISO 'meta' is a full box; QuickTime's is not. Tell them apart by where 'hdlr' sits.
        let skip = if body.len() >= 8 && &body[4..8] == b"hdlr" {
            0
        } else {
            4
        };
        let Some(inner) = body.get(skip..) else {
            return Ok(());
        };
        for b in BoxIter::new(inner, base + 8 + skip as u64) {
            let Ok(b) = b else {
                self.info
                    .notes
                    .push(format!("malformed metadata inside 'meta' at offset {base}"));
                break;
            };
            match &b.typ {
                b"keys" => {
                    let mut c = Cursor::new(b.body);
                    if c.skip(4).is_err() {
                        continue;
                    }
                    let n = c.be32().unwrap_or(0);
                    for _ in 0..n.min(1024) {
                        let Ok(sz) = c.be32() else { break };
                        let Ok(_ns) = c.fourcc() else { break };
                        let Ok(k) = c.take((sz as usize).saturating_sub(8)) else {
                            break;
                        };
                        self.keys.push(String::from_utf8_lossy(k).into_owned());
                    }
                }
                b"ilst" => {
                    for item in BoxIter::new(b.body, b.offset + 8) {
                        let Ok(item) = item else { break };
                        let mut value = None;
                        for d in BoxIter::new(item.body, item.offset + 8) {
                            let Ok(d) = d else { break };
                            if &d.typ == b"data" && d.body.len() >= 8 {
                                value = text(&d.body[8..]);
                                break;
                            }
                        }
                        let Some(v) = value else { continue };
                        if item.typ[0] == 0xA9 {
                            self.tag(&item.typ, v);
                        } else {
                            let idx = u32::from_be_bytes(item.typ) as usize;
                            if let Some(k) =
                                idx.checked_sub(1).and_then(|i| self.keys.get(i)).cloned()
                            {
                                self.key(&k, v);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn key(&mut self, key: &str, v: String) {
        match key
            .strip_prefix("com.apple.quicktime.")
            .or_else(|| key.strip_prefix("com.android."))
        {
            Some("make") | Some("manufacturer") => set_once(&mut self.info.make, v),
            Some("model") => set_once(&mut self.info.model, v),
            Some("software") | Some("version") => set_once(&mut self.info.software, v),
            Some("location.ISO6709") if self.info.gps.is_none() => {
                self.info.gps = iso6709(&v);
            }
            Some("creationdate") => self.date_tag(v, "quicktime:creationdate"),
            _ => {}
        }
    }
}

impl Sink for BmffSink {
    fn feed(&mut self, data: &[u8]) {
        let mut kept: Vec<(Header, Vec<u8>)> = Vec::new();
        let mut decide = |h: &Header| match &h.typ {
            b"moov" => Decision::Keep { limit: MOOV_LIMIT },
            b"moof" => Decision::Keep { limit: MOOF_LIMIT },
            b"ftyp" | b"styp" | b"udta" | b"meta" => Decision::Keep { limit: SMALL_LIMIT },
            _ => Decision::Skip,
        };
        self.cs.feed(data, &mut decide, &mut |h, body, _| {
            kept.push((*h, body.to_vec()))
        });
        for (h, body) in kept {
            self.on_box(&h, &body);
        }
    }

    fn revisit(&mut self) -> Vec<(u64, u32)> {
        self.asked.clear();
        for (t, tk) in self.tracks.iter().enumerate() {
            for &(sample, offset, len) in &tk.heads {
                if self.asked.len() < REVISIT_MAX {
                    self.asked.push((offset, t, sample, len));
                }
            }
        }
        self.asked.sort_unstable();
        self.asked.iter().map(|&(o, _, _, len)| (o, len)).collect()
    }

    fn revisited(&mut self, offset: u64, bytes: &[u8]) {
        // Found by offset in the sorted list, not by a walk over every track's heads.
        let Ok(k) = self.asked.binary_search_by(|a| a.0.cmp(&offset)) else {
            return;
        };
        let (_, t, sample, _) = self.asked[k];
        let Some(tk) = self.tracks.get_mut(t) else {
            return;
        };
        for sps in samples::sps_in_head(bytes, tk.nal_len) {
            if tk.inband.len() < 64 && !tk.inband.iter().any(|(_, k)| *k == sps) {
                tk.inband.push((sample, sps));
            }
        }
    }

    fn finish(mut self: Box<Self>, total: u64) -> Parsed {
        let open = self.cs.unfinished();
        let mut walk_problem = self.cs.finish(total);
        // Bytes after the movie that make no box: a recorder's or a platform's own trailer (a
        // signature, a position block) or what a preallocated file held before. A file whose
        // movie box was read whole is not cut short by them (its media data is checked below);
        // a box of a type the format defines that runs past the end (`mdat`, `moof`, `moov`
        // ...) is a cut, as before. Before 2026-12-07 such bytes made the file `truncated`
        // (INT-UNREADABLE, high).
        if self.saw_moov
            && let Some((at, typ)) = open
            && match typ {
                Some(t) => !TOP_LEVEL.contains(&&t),
                None => !self.info.fragmented,
            }
        {
            walk_problem = None;
            self.info.notes.push(format!(
                "{} bytes at offset {at}, after the last box, make no box (a trailer): not read",
                total.saturating_sub(at)
            ));
        }
        self.inband_formats();
        let mut layout = std::mem::take(&mut self.cs.layout);
        if self.cs.layout_overflow > 0 {
            layout.push(format!("...{} more", self.cs.layout_overflow));
        }
        self.info.layout = super::collapse_layout(&layout);
        // Fragmented tracks: fold fragment totals into the per-track figures.
        for tk in &self.tracks {
            let Some(s) = self.info.streams.get_mut(tk.stream) else {
                continue;
            };
            if tk.frag_samples > 0 {
                s.sample_count = Some(s.sample_count.unwrap_or(0).max(tk.deltas.samples));
                if tk.timescale > 0 {
                    let end = tk.next_decode.unwrap_or(tk.deltas.ticks);
                    s.duration_s = Some(end as f64 / f64::from(tk.timescale));
                }
                tk.deltas.apply(s, tk.timescale);
            }
        }
        self.info.fragment_jump = self.largest_frag_jump;
        let movie = if self.movie_timescale > 0 && self.movie_duration > 0 {
            Some(self.movie_duration as f64 / f64::from(self.movie_timescale))
        } else {
            None
        };
        let longest_track = self
            .info
            .streams
            .iter()
            .filter_map(|s| s.duration_s)
            .fold(None, |a: Option<f64>, d| Some(a.map_or(d, |a| a.max(d))));
        self.info.duration_s = if self.info.fragmented {
            longest_track.or(movie)
        } else {
            movie.or(longest_track)
        };
        self.info.kind = if self.info.container == Container::Heif {
            MediaKind::Photo
        } else {
            self.info.kind_of_streams()
        };
        let mut problem = walk_problem.or(self.problem.take());
        if problem.is_none() && !self.saw_moov && self.info.container != Container::Heif {
            problem = Some(Problem::truncated(
                "ISO/IEC 14496-12 §8.2.1: no 'moov' (movie) box: the recording was never finalised or its header was cut off",
            ));
        }
        if problem.is_none()
            && let Some(tk) = self
                .tracks
                .iter()
                .find(|t| t.max_chunk_offset >= total && total > 0)
        {
            problem = Some(Problem::truncated(format!(
                "ISO/IEC 14496-12 §8.7.5: track {} has media data at offset {} but the file ends at {total} bytes: the media data is cut off",
                tk.id, tk.max_chunk_offset
            )));
        }
        Parsed {
            info: self.info,
            problem,
        }
    }
}

/// The box types ISO/IEC 14496-12 (and QuickTime) place at a file's top level: one of these
/// running past the end of the file is a cut.
const TOP_LEVEL: &[&[u8; 4]] = &[
    b"ftyp", b"styp", b"moov", b"moof", b"mdat", b"mfra", b"free", b"skip", b"wide", b"meta",
    b"uuid", b"sidx", b"ssix", b"prft", b"emsg", b"pdin", b"meco", b"udta", b"pnot", b"junk",
];

fn short(typ: &str, offset: u64, clause: &str) -> Problem {
    Problem::corrupt(format!(
        "ISO/IEC 14496-12 {clause}: '{typ}' at offset {offset} is shorter than its fields"
    ))
}

fn set_once(slot: &mut Option<String>, v: String) {
    if slot.is_none() {
        *slot = Some(v);
    }
}

/// The edit list: its first `MAX_EDITS` entries and the declared count.
fn elst(body: &[u8]) -> super::cursor::R<(Vec<EditEntry>, u32)> {
    let mut c = Cursor::new(body);
    let v = c.u8()?;
    c.skip(3)?;
    let n = c.be32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        let (d, t) = if v == 1 {
            (c.be64()?, c.be64()? as i64)
        } else {
            (u64::from(c.be32()?), i64::from(c.be32()? as i32))
        };
        let ri = c.be16()? as i16;
        let rf = c.be16()?;
        if out.len() < MAX_EDITS {
            out.push(EditEntry {
                segment_duration: d,
                media_time: t,
                rate: f64::from(ri) + f64::from(rf) / 65536.0,
            });
        }
    }
    Ok((out, n))
}

fn stsd(
    body: &[u8],
    base: u64,
    handler: &[u8; 4],
    s: &mut StreamInfo,
    tk: &mut Track,
) -> Result<(), Problem> {
    let mut c = Cursor::new(body);
    c.skip(4).map_err(|_| short("stsd", base, "§8.5.2"))?;
    let declared = c.be32().map_err(|_| short("stsd", base, "§8.5.2"))?;
    let mut n = 0u32;
    for e in BoxIter::new(c.rest(), base + 16) {
        let e = e?;
        n += 1;
        let tag = fourcc_str(&e.typ);
        if s.codec_tag.is_none() {
            s.codec_tag = Some(tag.clone());
            s.codec = Some(codec_name(&e.typ).to_string());
        }
        let mut d = Cursor::new(e.body);
        let summary = match handler {
            b"vide" => {
                let r = (|| -> super::cursor::R<(u16, u16, Option<String>)> {
                    d.skip(8 + 16)?;
                    let w = d.be16()?;
                    let h = d.be16()?;
                    d.skip(14)?;
                    let name = d.take(32)?;
                    let len = usize::from(name[0]).min(31);
                    d.skip(4)?;
                    Ok((w, h, text(&name[1..1 + len])))
                })();
                match r {
                    Ok((w, h, comp)) => {
                        if n == 1 {
                            s.width = Some(u32::from(w));
                            s.height = Some(u32::from(h));
                            s.compressor = comp;
                        }
                        for x in BoxIter::new(d.rest(), e.offset + 86).flatten() {
                            match &x.typ {
                                b"avcC" => {
                                    if let Some(p) = x.body.get(1)
                                        && n == 1
                                    {
                                        s.profile = Some(h264::profile_name(*p));
                                    }
                                    if let Some(l) = x.body.get(4)
                                        && n == 1
                                    {
                                        tk.nal_len = usize::from(l & 3) + 1;
                                    }
                                    for sps in avcc_sps(x.body) {
                                        if !tk.sps.iter().any(|k| k == sps) && tk.sps.len() < 64 {
                                            tk.sps.push(sps.to_vec());
                                        }
                                    }
                                }
                                b"hvcC" => {
                                    if let (Some(p), true) = (x.body.get(1), n == 1) {
                                        s.profile = Some(match p & 0x1f {
                                            1 => "Main".to_string(),
                                            2 => "Main 10".to_string(),
                                            3 => "Main Still Picture".to_string(),
                                            k => format!("profile {k}"),
                                        });
                                    }
                                }
                                _ => {}
                            }
                        }
                        format!("{tag} {w}x{h}")
                    }
                    Err(_) => format!("{tag} (short)"),
                }
            }
            b"soun" => {
                let r = (|| -> super::cursor::R<(u16, u32)> {
                    d.skip(8)?;
                    let version = d.be16()?;
                    d.skip(6)?;
                    let ch = d.be16()?;
                    d.skip(6)?;
                    let rate = d.be32()? >> 16;
                    if version == 2 {
                        d.skip(4)?;
                        let r = f64::from_bits(d.be64()?);
                        let ch2 = d.be32()?;
                        return Ok((
                            ch2.min(u32::from(u16::MAX)) as u16,
                            if r.is_finite() && r > 0.0 && r < 1e7 {
                                r as u32
                            } else {
                                0
                            },
                        ));
                    }
                    Ok((ch, rate))
                })();
                // ISO files keep the template channel count (2) in the sample entry; the real
                // layout is in the AAC AudioSpecificConfig inside 'esds'.
                let asc = BoxIter::new(d.rest(), e.offset + 36)
                    .flatten()
                    .find(|x| &x.typ == b"esds")
                    .and_then(|x| esds_audio(x.body));
                let r = r.map(|(ch, rate)| match asc {
                    Some((c, f)) => (if c > 0 { c } else { ch }, if f > 0 { f } else { rate }),
                    None => (ch, rate),
                });
                match r {
                    Ok((ch, rate)) => {
                        if n == 1 {
                            s.channels = Some(ch);
                            s.sample_rate = Some(rate);
                        }
                        format!("{tag} {rate}Hz {ch}ch")
                    }
                    Err(_) => format!("{tag} (short)"),
                }
            }
            _ => tag,
        };
        if s.description_summaries.len() < 16 {
            s.description_summaries.push(summary);
        }
    }
    if n != declared {
        s.description_summaries
            .push(format!("(declared {declared} entries, found {n})"));
    }
    s.sample_descriptions = n;
    Ok(())
}

/// Channels and sampling rate from an 'esds' AudioSpecificConfig (ISO/IEC 14496-1 §7.2.6,
/// ISO/IEC 14496-3 §1.6.2.1). Descriptor lengths are bounded by the box.
fn esds_audio(body: &[u8]) -> Option<(u16, u32)> {
    fn desc<'a>(c: &mut Cursor<'a>) -> Option<(u8, &'a [u8])> {
        let tag = c.u8().ok()?;
        let mut len = 0usize;
        for _ in 0..4 {
            let b = c.u8().ok()?;
            len = (len << 7) | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        Some((tag, c.take(len.min(c.remaining())).ok()?))
    }
    let mut c = Cursor::new(body.get(4..)?);
    let (tag, es) = desc(&mut c)?;
    if tag != 3 {
        return None;
    }
    let mut e = Cursor::new(es);
    e.skip(2).ok()?;
    let flags = e.u8().ok()?;
    if flags & 0x80 != 0 {
        e.skip(2).ok()?;
    }
    if flags & 0x40 != 0 {
        let l = e.u8().ok()?;
        e.skip(usize::from(l)).ok()?;
    }
    if flags & 0x20 != 0 {
        e.skip(2).ok()?;
    }
    let (tag, dcd) = desc(&mut e)?;
    if tag != 4 {
        return None;
    }
    let mut d = Cursor::new(dcd);
    d.skip(13).ok()?;
    let (tag, asc) = desc(&mut d)?;
    if tag != 5 {
        return None;
    }
    audio_specific_config(asc)
}

/// Channels and sampling rate from an AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), as
/// an MP4's `esds` and an FLV file's first AAC packet carry it.
pub(crate) fn audio_specific_config(asc: &[u8]) -> Option<(u16, u32)> {
    let mut b = super::cursor::BitReader::new(asc);
    let mut ot = b.bits(5).ok()?;
    if ot == 31 {
        ot = 32 + b.bits(6).ok()?;
    }
    let _ = ot;
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let fi = b.bits(4).ok()?;
    let rate = if fi == 15 {
        b.bits(24).ok()?
    } else {
        RATES.get(fi as usize).copied().unwrap_or(0)
    };
    let ch = b.bits(4).ok()? as u16;
    Some((ch, rate))
}

/// The SPS NAL units inside an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
fn avcc_sps(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut c = Cursor::new(b);
    if c.skip(5).is_err() {
        return out;
    }
    let Ok(n) = c.u8() else { return out };
    for _ in 0..(n & 0x1f) {
        let Ok(len) = c.be16() else { break };
        let Ok(sps) = c.take(usize::from(len)) else {
            break;
        };
        out.push(sps);
    }
    out
}

pub fn codec_name(tag: &[u8; 4]) -> &'static str {
    match tag {
        b"avc1" | b"avc3" => "h264",
        b"hvc1" | b"hev1" => "hevc",
        b"mp4v" => "mpeg4",
        b"jpeg" | b"mjpa" | b"mjpb" => "mjpeg",
        b"av01" => "av1",
        b"vp09" => "vp9",
        b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" => "prores",
        b"mp4a" => "aac",
        b"samr" => "amr_nb",
        b"sawb" => "amr_wb",
        b"Opus" => "opus",
        b"alac" => "alac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b".mp3" => "mp3",
        b"sowt" | b"twos" | b"lpcm" | b"ipcm" | b"in24" | b"in32" | b"fl32" => "pcm",
        b"ulaw" => "pcm_mulaw",
        b"alaw" => "pcm_alaw",
        b"gpmd" => "gpmf",
        b"tmcd" => "timecode",
        b"tx3g" => "mov_text",
        _ => "other",
    }
}

fn handler_name(rest: &[u8]) -> Option<String> {
    // QuickTime stores a Pascal string (length byte first), ISO a NUL-terminated string.
    if let Some(&len) = rest.first()
        && usize::from(len) + 1 == rest.len()
        && len > 0
    {
        return text(&rest[1..]);
    }
    text(rest)
}

fn language(code: u16) -> Option<String> {
    if code == 0 || code == 0x7fff || code >= 0x8000 {
        return None;
    }
    let c = |s: u16| char::from(((code >> s) & 0x1f) as u8 + 0x60);
    let l: String = [c(10), c(5), c(0)].iter().collect();
    if l.chars().all(|ch| ch.is_ascii_lowercase()) && l != "und" {
        Some(l)
    } else {
        None
    }
}

/// QuickTime user-data text: one or more (length u16, language u16, text) records, or an
/// iTunes-style 'data' box.
fn qt_text(body: &[u8]) -> Option<String> {
    if body.len() >= 16 && &body[4..8] == b"data" {
        return text(&body[16..]);
    }
    let mut c = Cursor::new(body);
    let len = c.be16().ok()?;
    c.be16().ok()?;
    let t = c.take(usize::from(len).min(c.remaining())).ok()?;
    text(t)
}

/// ISO 6709 position text: `+31.2304+121.4737+010.000/` -> (lat, lon, alt).
pub fn iso6709(s: &str) -> Option<(f64, f64, Option<f64>)> {
    let s = s.trim().trim_end_matches('/');
    let mut parts = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        if (ch == '+' || ch == '-') && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        if !(ch.is_ascii_digit() || ch == '.' || ch == '+' || ch == '-') {
            break;
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    let lat: f64 = parts.first()?.parse().ok()?;
    let lon: f64 = parts.get(1)?.parse().ok()?;
    let alt = parts.get(2).and_then(|a| a.parse().ok());
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    Some((lat, lon, alt))
}

/// Date text as QuickTime and MP4 tags write it: `2019-07-12T14:19:50+0800`, `...Z`,
/// `...+08:00`, or without a zone.
pub fn parse_datetime(s: &str) -> Option<RecordedTime> {
    let s = s.trim();
    let (main, zone) = if let Some(p) = s.get(19..) {
        (s.get(..19)?, p)
    } else {
        (s, "")
    };
    let naive =
        chrono::NaiveDateTime::parse_from_str(&main.replace('T', " "), "%Y-%m-%d %H:%M:%S").ok()?;
    let zone = zone.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if zone.is_empty() {
        return Some(RecordedTime::Local(naive));
    }
    if zone == "Z" {
        return Some(RecordedTime::Utc(naive.and_utc().timestamp()));
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    Some(RecordedTime::Offset(naive, sign * (h * 3600 + m * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_after_the_movie_that_make_no_box_are_a_trailer_not_a_cut() {
        use crate::media::ProblemKind::Truncated;
        let labelled = |rel: &str| crate::media::fixture(&format!("labelled/单位甲/{rel}"));
        let classic = labelled("NEG-KND/20260312/NEG-KND_OF3009_20260312150000_0001.MP4");
        let fragmented = labelled("NEG-CSF/20260312/NEG-CSF_OF3012_20260312170006_0002.MP4");
        let with = |file: &[u8], tail: &[u8]| {
            let mut v = file.to_vec();
            v.extend_from_slice(tail);
            crate::media::parse_bytes(&v, "mp4", 4096)
        };
        let kind = |p: &Parsed| p.problem.as_ref().map(|p| p.kind);
        assert_eq!(kind(&with(&classic, b"")), None);
        // A recorder's signature after the movie, a few bytes, random bytes of a preallocated
        // file: notes.
        for tail in [
            &b"HIKSIGN0123456789abcdef"[..],
            b"\x01\x02\x03",
            &[0xA5; 300],
        ] {
            for file in [&classic, &fragmented] {
                let p = with(file, tail);
                if tail.len() < 8 && file == &fragmented {
                    // A fragmented file cut inside its next fragment's header.
                    assert_eq!(kind(&p), Some(Truncated));
                    continue;
                }
                assert_eq!(kind(&p), None, "{:?}", p.problem);
                assert!(
                    p.info.notes.iter().any(|n| n.contains("make no box")),
                    "{:?}",
                    p.info.notes
                );
            }
        }
        // A box of the format's own running past the end is a cut.
        let mut mdat = 5000u32.to_be_bytes().to_vec();
        mdat.extend_from_slice(b"mdat\x00\x01");
        assert_eq!(kind(&with(&classic, &mdat)), Some(Truncated));
        assert_eq!(kind(&with(&fragmented, &mdat)), Some(Truncated));
        // The movie itself cut short.
        let p = crate::media::parse_bytes(&classic[..classic.len() - 50], "mp4", 4096);
        assert_eq!(kind(&p), Some(Truncated));
        let p = crate::media::parse_bytes(&fragmented[..fragmented.len() - 50], "mp4", 4096);
        assert_eq!(kind(&p), Some(Truncated));
    }

    #[test]
    fn iso6709_positions() {
        assert_eq!(
            iso6709("+31.2304+121.4737/"),
            Some((31.2304, 121.4737, None))
        );
        assert_eq!(
            iso6709("-33.8650+151.2094+010.000/"),
            Some((-33.865, 151.2094, Some(10.0)))
        );
        assert_eq!(iso6709("+99.0+000.0/"), None);
        assert_eq!(iso6709("garbage"), None);
    }

    #[test]
    fn dates_with_and_without_zones() {
        let n = chrono::NaiveDate::from_ymd_opt(2019, 7, 12)
            .and_then(|d| d.and_hms_opt(14, 19, 50))
            .expect("date");
        assert_eq!(
            parse_datetime("2019-07-12T14:19:50+0800"),
            Some(RecordedTime::Offset(n, 8 * 3600))
        );
        assert_eq!(
            parse_datetime("2019-07-12T14:19:50-05:30"),
            Some(RecordedTime::Offset(n, -(5 * 3600 + 1800)))
        );
        assert_eq!(
            parse_datetime("2019-07-12T14:19:50Z"),
            Some(RecordedTime::Utc(n.and_utc().timestamp()))
        );
        assert_eq!(
            parse_datetime("2019-07-12 14:19:50"),
            Some(RecordedTime::Local(n))
        );
        assert_eq!(parse_datetime("2019"), None);
    }

    #[test]
    fn deltas_ignore_the_final_sample_and_find_the_jump() {
        let mut d = Deltas::default();
        d.add(1000, 10); // 10 samples of 1000
        d.add(6000, 1); // a jump of 5000 ticks after 10 samples
        d.add(1000, 5);
        d.add(9999, 1); // final sample: nominal, ignored
        let mut s = StreamInfo {
            kind: "video".into(),
            ..Default::default()
        };
        d.apply(&mut s, 1000);
        assert_eq!(s.delta_typical, Some(1000));
        assert_eq!(s.delta_max, Some(6000));
        let j = s.jump.expect("jump");
        assert_eq!((j.at_s, j.size_s), (10.0, 5.0));
        // The eleventh sample lasts the long step.
        assert_eq!(j.sample, Some(11));
        assert_eq!(s.frame_rate, Some(1.0));
    }

    #[test]
    fn language_codes() {
        assert_eq!(language(0x15c7), Some("eng".into()));
        assert_eq!(language(0x55c4), None); // und
    }
}
