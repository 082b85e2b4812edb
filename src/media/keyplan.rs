//! Where an MP4's H.264 pictures are: from the `moov` box, the parameter sets of the first
//! video track and the file position, size and time of its samples (ISO/IEC 14496-12
//! §8.6-8.7, ISO/IEC 14496-15 §5.3.3 for `avcC`), so that the keyframe stage can read just the
//! pictures it decodes. A fragmented file (recorders write them so that a recording survives
//! a power cut) keeps its samples in movie fragments instead: its plan is completed fragment
//! by fragment ([`add_fragment`], §8.8). Every count read from the file is bounded by the
//! bytes that hold it and by [`SYNC_MAX`] / [`LEAD_MAX`].

use super::chunks::{BoxIter, InnerBox};
use super::cursor::Cursor;
use super::samples::{Sizes, sample_to_chunk, sync_samples};

/// Most sync samples located in one track (a 24-hour recording with a keyframe a second).
pub const SYNC_MAX: usize = 100_000;
/// Most samples located from the start of the track, for a run of consecutive pictures.
pub const LEAD_MAX: usize = 1024;

/// One sample: its number (1-based), file offset, size and presentation time in track ticks
/// (decode time plus its composition offset, `ctts`, where pictures are reordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub number: u64,
    pub offset: u64,
    pub size: u32,
    pub ticks: u64,
}

/// The video coding of a track the stage decodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Codec {
    #[default]
    H264,
    Hevc,
}

impl Codec {
    /// The coding a stream's normalised codec name (`StreamInfo::codec`) names, if the stage
    /// decodes it.
    pub fn named(name: Option<&str>) -> Option<Codec> {
        match name? {
            "h264" => Some(Codec::H264),
            "hevc" => Some(Codec::Hevc),
            _ => None,
        }
    }
}

/// The first H.264 or HEVC video track's pictures.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub codec: Codec,
    pub timescale: u32,
    /// Bytes of each NAL unit's length prefix in a sample (1, 2 or 4).
    pub nal_len: usize,
    /// The parameter sets of `avcC` or `hvcC`, as NAL units.
    pub params: Vec<Vec<u8>>,
    /// H.264: the first sequence and picture parameter sets, parsed once for whoever needs
    /// their fields (the encoder's habits, slice headers).
    pub h264: Option<(super::h264::Sps, super::h264::Pps)>,
    /// The sync samples, in order.
    pub sync: Vec<Sample>,
    /// The first samples of the track, in order (a short run of consecutive pictures).
    pub lead: Vec<Sample>,
    /// Pictures are presented in another order than they are decoded (B-frames).
    pub reordered: bool,
    /// The track's samples are in movie fragments, still to be added ([`add_fragment`]).
    pub fragments: Option<Fragments>,
    /// The samples are Annex B byte streams (start codes, parameter sets in band), as an AVI
    /// holds them, rather than length-prefixed NAL units ([`avi_plan`]).
    pub annex_b: bool,
    /// The pictures' times are their places in decoding order (an AVI keeps no presentation
    /// times): whether pictures are reordered is then unknown.
    pub decode_order_times: bool,
    /// Pictures began inside the packets of others and have no sample of their own (a
    /// program stream muxed end to end, several small pictures to a packet under the first
    /// one's time): the lead is not every picture, nor are the samples' numbers the pictures'
    /// places, so no keyframe interval is told from them.
    pub pictures_missed: bool,
    /// The samples are spans of a transport or program stream's packets, to be taken apart
    /// (`keyframes::unpacked`) before their NAL units are read ([`noted_plan`]).
    pub packets: Option<Packing>,
}

/// How the PES packets of a stream whose spans the read noted are carried in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// In a transport stream's packets ([`ts_payload`]).
    Ts(TsPackets),
    /// In a program stream's packs, the video's PES packets by their stream id
    /// (`ps::payload`).
    Ps(u8),
}

/// How a transport stream's video is packetised: packet size (188, or 192 with a 4-byte
/// arrival-time prefix) and the video's packet id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsPackets {
    pub size: usize,
    pub pid: u16,
}

/// What the read noted of a file's video pictures for the keyframe stage, where the file keeps
/// no index the stage could find by itself: a transport or program stream's access units as
/// their PES packets started, a Matroska file's blocks, a Dahua DAV file's frames. Each
/// [`Sample`] is a picture's bytes where they lie in the file (a Matroska block's frame, a DAV
/// frame's payload) or, for a transport or program stream, the span of packets from the one
/// that starts its PES packet to the next PES start of the video that begins another unit
/// (other streams' packets between included; in a program stream, through that packet where
/// the unit's last bytes share it), to be taken apart ([`ts_payload`], `ps::payload`); its time is in
/// `timescale` ticks from the video's first decoding time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Noted {
    pub codec: Codec,
    /// Ticks a second of the samples' times (90 kHz for PES; Matroska's from the segment's
    /// timestamp scale; DAV's milliseconds).
    pub timescale: u32,
    /// The track's decoder configuration (Matroska's `CodecPrivate`: an `avcC` or `hvcC`
    /// record): the samples are length-prefixed NAL units. None: Annex B, parameter sets in
    /// band.
    pub config: Option<Vec<u8>>,
    /// The samples are spans of packets, and how they are packed.
    pub packets: Option<Packing>,
    /// The pictures that start a random-access point (at most [`SYNC_MAX`]).
    pub sync: Vec<Sample>,
    /// The first pictures from the first random-access point on (at most [`LEAD_MAX`]).
    pub lead: Vec<Sample>,
    /// A picture of the lead is presented at another time than it is decoded, or before one
    /// decoded ahead of it (B-frames).
    pub reordered: bool,
    /// The pictures either side of the video's largest step between two pictures: the one
    /// before the picture that lasts it, that picture, and the one after it, in order; empty
    /// where the stream has no step, it comes before its second picture, or the read does not
    /// note it (Matroska). The keyframe stage reads their slice headers (`across`).
    pub jump: Vec<Sample>,
    /// See [`Plan::pictures_missed`].
    pub pictures_missed: bool,
    /// The times may be the pictures' places in decoding order as well as their presentation
    /// (a DAV file's counter is not said to be either): where no picture of the lead is timed
    /// before one ahead of it, whether pictures are reordered is then unknown.
    pub times_may_be_decoding: bool,
}

/// The pictures a read notes for the keyframe stage as a file's blocks, frames or tags go past
/// in decoding order (a Matroska file's, a DAV file's, an FLV file's): what becomes its
/// [`Noted`].
#[derive(Debug, Default)]
pub struct PictureNotes {
    /// The keyframes (at most [`SYNC_MAX`]), the first pictures from the first keyframe on
    /// (at most [`LEAD_MAX`]), and whether one of those is presented before one decoded ahead
    /// of it.
    pub sync: Vec<Sample>,
    pub lead: Vec<Sample>,
    pub reordered: bool,
    /// The three pictures around the stream's longest step so far ([`Noted::jump`]), and the
    /// last two pictures.
    pub jump: Vec<Sample>,
    recent: [Option<Sample>; 2],
}

impl PictureNotes {
    /// One more picture: `key` where it starts a random-access point, `after_longest` where
    /// the step before it is the stream's longest so far (the jump: it and the two before it).
    pub fn note(&mut self, s: Sample, key: bool, after_longest: bool) {
        if key && self.sync.len() < SYNC_MAX {
            self.sync.push(s);
        }
        if !self.sync.is_empty() && self.lead.len() < LEAD_MAX {
            self.reordered |= self.lead.last().is_some_and(|l| l.ticks > s.ticks);
            self.lead.push(s);
        }
        if after_longest && let [Some(a), Some(b)] = self.recent {
            self.jump = vec![a, b, s];
        }
        self.recent = [self.recent[1], Some(s)];
    }

    /// What the keyframe stage plans the pictures from, in `codec`, timed in `timescale` ticks
    /// a second; none without a keyframe.
    pub fn noted(self, codec: Codec, timescale: u32) -> Option<Noted> {
        (!self.sync.is_empty()).then(|| Noted {
            codec,
            timescale,
            sync: self.sync,
            lead: self.lead,
            reordered: self.reordered,
            jump: self.jump,
            ..Noted::default()
        })
    }
}

/// The first H.264 or HEVC stream's access units of a transport or program stream, noted by
/// the read pass as their PES packets start ([`Noted`]).
#[derive(Debug)]
pub struct PesNotes {
    index: Noted,
    /// The number of the unit whose span is still open (its end is the next PES start of the
    /// stream that begins another unit, or the end of the file).
    open: Option<u64>,
    /// The last two units started (the later one's span open).
    recent: Vec<Sample>,
    /// The open unit is presented at another time than it is decoded.
    open_reordered: bool,
}

impl PesNotes {
    pub fn new(packets: Packing, codec: Codec) -> Self {
        PesNotes {
            index: Noted {
                codec,
                timescale: 90_000,
                packets: Some(packets),
                ..Noted::default()
            },
            open: None,
            recent: Vec::new(),
            open_reordered: false,
        }
    }

    pub fn packets(&self) -> Option<Packing> {
        self.index.packets
    }

    pub fn codec(&self) -> Codec {
        self.index.codec
    }

    /// A picture began inside the packet of another unit, with no unit of its own.
    pub fn missed_a_picture(&mut self) {
        self.index.pictures_missed = true;
    }

    /// The open unit opens a random-access point after all (its parameter sets or its IDR
    /// slice came in a later packet than its first).
    pub fn open_is_key(&mut self) {
        let Some(s) = self
            .recent
            .last()
            .copied()
            .filter(|s| Some(s.number) == self.open)
        else {
            return;
        };
        let index = &mut self.index;
        if index.sync.last().is_some_and(|k| k.number == s.number) {
            return;
        }
        if index.sync.len() < SYNC_MAX {
            index.sync.push(s);
        }
        if index.lead.last().map(|l| l.number) != Some(s.number) && index.lead.len() < LEAD_MAX {
            index.lead.push(s);
            index.reordered |= self.open_reordered;
        }
    }

    /// Whether a picture was seen to begin with no unit of its own.
    pub fn pictures_missed(&self) -> bool {
        self.index.pictures_missed
    }

    /// The time of the last unit of the lead, or 0.
    pub fn last_ticks(&self) -> u64 {
        self.index.lead.last().map_or(0, |s| s.ticks)
    }

    /// Ends the open unit's span at `end` (nothing when none is open).
    pub fn close(&mut self, end: u64) {
        let Some(number) = self.open.take() else {
            return;
        };
        let index = &mut self.index;
        let open = |s: &&mut Sample| s.number == number;
        let sync = index.sync.last_mut().filter(open);
        let lead = index.lead.last_mut().filter(open);
        let jump = index.jump.last_mut().filter(open);
        let recent = self.recent.last_mut().filter(open);
        for s in sync.into_iter().chain(lead).chain(recent).chain(jump) {
            s.size = u32::try_from(end.saturating_sub(s.offset)).unwrap_or(u32::MAX);
        }
    }

    /// The stream's access unit `number` (counted from 1) starts its PES packet at `at` (a
    /// transport stream's packet, a program stream's PES packet), ending the open unit's span
    /// there: presented `ticks` after the stream's first decoding time, a random-access point
    /// when `key`; `longest` when the step from the unit before it is the stream's largest so
    /// far (the three units around it are kept, [`Noted::jump`]).
    pub fn start(
        &mut self,
        number: u64,
        at: u64,
        ticks: u64,
        key: bool,
        reordered: bool,
        longest: bool,
    ) {
        self.close(at);
        let s = Sample {
            number,
            offset: at,
            size: 0,
            ticks,
        };
        self.open = Some(number);
        self.open_reordered = reordered;
        if longest && self.recent.len() == 2 {
            self.index.jump = vec![self.recent[0], self.recent[1], s];
        }
        if self.recent.len() == 2 {
            self.recent.remove(0);
        }
        self.recent.push(s);
        let index = &mut self.index;
        if key && index.sync.len() < SYNC_MAX {
            index.sync.push(s);
        }
        if !index.sync.is_empty() && index.lead.len() < LEAD_MAX {
            index.lead.push(s);
            index.reordered |= reordered;
        }
    }

    /// The index, its last unit's span ended at `end`; none without a random-access point.
    pub fn finish(mut self, end: u64) -> Option<Noted> {
        self.close(end);
        (!self.index.sync.is_empty()).then_some(self.index)
    }
}

/// The plan of a file's video from what the read noted: length-prefixed NAL units with the
/// parameter sets of the track's decoder configuration, or Annex B pictures with theirs in
/// band (taken from the first keyframe by the caller, [`params_in_band`]).
pub fn noted_plan(noted: &Noted) -> Plan {
    let (nal_len, params) = match &noted.config {
        Some(config) => decoder_config(noted.codec, config).unwrap_or((4, Vec::new())),
        None => (4, Vec::new()),
    };
    let h264 = parsed_h264(noted.codec, &params);
    Plan {
        codec: noted.codec,
        timescale: noted.timescale,
        nal_len,
        params,
        h264,
        sync: noted.sync.clone(),
        lead: noted.lead.clone(),
        reordered: noted.reordered,
        annex_b: noted.config.is_none(),
        decode_order_times: noted.times_may_be_decoding && !noted.reordered,
        pictures_missed: noted.pictures_missed,
        packets: noted.packets,
        ..Plan::default()
    }
}

/// The elementary-stream bytes of one access unit from the packets that carry it: the span
/// of packets from the one that starts its PES packet (`span` begins at a packet) up to the
/// next PES start of the same stream, the PES header taken off. Other streams' packets are
/// skipped; a packet out of sync, or a second PES start, ends the unit.
pub fn ts_payload(span: &[u8], packets: TsPackets) -> Vec<u8> {
    let mut out = Vec::with_capacity(span.len());
    let prefix = packets.size.saturating_sub(188);
    let mut started = false;
    for chunk in span.chunks_exact(packets.size.max(188)) {
        let p = &chunk[prefix..];
        if p[0] != 0x47 {
            break;
        }
        let pusi = p[1] & 0x40 != 0;
        let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
        if pid != packets.pid {
            continue;
        }
        let afc = (p[3] >> 4) & 3;
        if afc & 1 == 0 {
            continue;
        }
        let at = if afc & 2 != 0 {
            5 + usize::from(p[4])
        } else {
            4
        };
        let Some(payload) = p.get(at..) else {
            continue;
        };
        match (pusi, started) {
            (true, false) => {
                // PES header: start code and stream id, length, two flag bytes, header length.
                if payload.len() < 9 || payload[..3] != [0, 0, 1] {
                    break;
                }
                out.extend_from_slice(payload.get(9 + usize::from(payload[8])..).unwrap_or(&[]));
                started = true;
            }
            (true, true) => break,
            (false, true) => out.extend_from_slice(payload),
            (false, false) => {}
        }
    }
    out
}

/// Where a fragmented track stands while its fragments are added: its id, the defaults its
/// `trex` gives every fragment, and the next sample's number and decode time.
#[derive(Debug, Clone, Default)]
pub struct Fragments {
    track_id: u32,
    default_duration: u32,
    default_size: u32,
    default_flags: u32,
    next_number: u64,
    next_dts: u64,
    lead_wanted: usize,
    /// The lead from this sample number on (decoding order) rather than from the first sync
    /// sample ([`plan_from`]).
    lead_from: Option<u64>,
    /// Samples walked so far, every track's ([`SAMPLES_MAX`]).
    walked: u64,
    /// The track's first composition offset walked, and whether another has differed from it
    /// (its pictures are reordered, as a `ctts` box of more than one offset says).
    first_shift: Option<i64>,
    shifts_differ: bool,
}

impl Plan {
    /// The first of the plan's HEVC parameter sets of NAL unit type `kind` (33 SPS, 34 PPS).
    pub fn hevc_set(&self, kind: u8) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|p| p.first().map(|h| (h >> 1) & 0x3f) == Some(kind))
            .map(Vec::as_slice)
    }

    pub fn seconds(&self, s: &Sample) -> f64 {
        if self.timescale == 0 {
            0.0
        } else {
            s.ticks as f64 / f64::from(self.timescale)
        }
    }
}

/// The plan of a `moov` box's body, or `None` without an H.264 video track whose tables
/// hold together.
pub fn plan(moov: &[u8], lead: usize) -> Option<Plan> {
    plan_from(moov, lead, None)
}

/// [`plan`] with its lead taken from sample number `from` (1-based, in decoding order) rather
/// than the first sync sample: the pictures of one group of pictures deep in a file. A
/// fragmented track's lead is found as its fragments are added ([`add_fragment`]), from `from`
/// as well.
pub fn plan_from(moov: &[u8], lead: usize, from: Option<u64>) -> Option<Plan> {
    let mvex = child(moov, b"mvex");
    // The main video: the largest pictures, the first of them on a tie (as
    // `MediaInfo::decoded_video` chooses): a dual-lens recorder's second lens, or a
    // sub-stream kept beside the main one, is smaller, and may come first.
    let mut best: Option<(u64, Plan)> = None;
    for trak in BoxIter::new(moov, 0).map_while(Result::ok) {
        if &trak.typ != b"trak" {
            continue;
        }
        let pixels = entry_pixels(trak.body);
        if best.as_ref().is_some_and(|(b, _)| *b >= pixels) {
            continue;
        }
        if let Some(p) = track(trak.body, lead.min(LEAD_MAX), mvex, from) {
            best = Some((pixels, p));
        }
    }
    best.map(|(_, p)| p)
}

/// The picture size (width times height) of a track's first visual sample entry; 0 where it
/// says none.
fn entry_pixels(trak: &[u8]) -> u64 {
    let size = || -> Option<u64> {
        let stbl = child(child(child(trak, b"mdia")?, b"minf")?, b"stbl")?;
        let wh = first_entry(child(stbl, b"stsd")?)?.body.get(24..28)?;
        let (w, h) = (
            u64::from(u16::from_be_bytes([wh[0], wh[1]])),
            u64::from(u16::from_be_bytes([wh[2], wh[3]])),
        );
        Some(w * h)
    };
    size().unwrap_or(0)
}

fn child<'a>(body: &'a [u8], typ: &[u8; 4]) -> Option<&'a [u8]> {
    BoxIter::new(body, 0)
        .map_while(Result::ok)
        .find(|b| &b.typ == typ)
        .map(|b| b.body)
}

fn track(trak: &[u8], lead: usize, mvex: Option<&[u8]>, from: Option<u64>) -> Option<Plan> {
    let lead_wanted = lead;
    let mdia = child(trak, b"mdia")?;
    let hdlr = child(mdia, b"hdlr")?;
    if hdlr.get(8..12)? != b"vide" {
        return None;
    }
    let mdhd = child(mdia, b"mdhd")?;
    let timescale = {
        let mut c = Cursor::new(mdhd);
        let version = c.u8().ok()?;
        c.skip(3 + if version == 1 { 16 } else { 8 }).ok()?;
        c.be32().ok()?
    };
    let stbl = child(child(mdia, b"minf")?, b"stbl")?;
    let (codec, nal_len, params) = parameter_sets(child(stbl, b"stsd")?)?;
    let stsz = child(stbl, b"stsz")?;
    let stsc = child(stbl, b"stsc")?;
    let stts = child(stbl, b"stts")?;
    let chunks = chunk_offsets(stbl)?;
    let sizes = Sizes::parse(stsz)?;
    let total = sizes.count();
    let syncs: Vec<u64> = match child(stbl, b"stss") {
        Some(stss) => sync_samples(Some(stss), SYNC_MAX)?
            .into_iter()
            .filter(|&s| s <= total)
            .collect(),
        None => (1..=total.min(SYNC_MAX as u64)).collect(),
    };
    let mut wanted: Vec<u64> = syncs.clone();
    let first = from.unwrap_or_else(|| syncs.first().copied().unwrap_or(1));
    wanted.extend(first..(first + lead as u64).min(total + 1));
    wanted.sort_unstable();
    wanted.dedup();
    let located = locate(&sizes, stsc, &chunks, stts, child(stbl, b"ctts"), &wanted);
    let sync = located
        .iter()
        .filter(|s| syncs.binary_search(&s.number).is_ok())
        .copied()
        .collect();
    let lead: Vec<Sample> = located
        .iter()
        .filter(|s| s.number >= first && s.number < first + lead as u64)
        .copied()
        .collect();
    // A few pictures in a row may happen to be presented in their decoding order where the
    // track reorders others (B-frames between two references): the composition offsets say.
    let reordered = lead.windows(2).any(|w| w[1].ticks < w[0].ticks)
        || child(stbl, b"ctts").is_some_and(offsets_differ);
    // No sample in the table and a `mvex` beside: the samples are in fragments.
    let fragments = match mvex {
        Some(mvex) if total == 0 => Some(fragments_of(trak, mvex, lead_wanted, from)?),
        _ => None,
    };
    let h264 = parsed_h264(codec, &params);
    Some(Plan {
        codec,
        h264,
        timescale,
        nal_len,
        params,
        sync,
        lead,
        reordered,
        fragments,
        ..Plan::default()
    })
}

/// A fragmented track's id and the `trex` defaults for it (§8.8.3).
fn fragments_of(trak: &[u8], mvex: &[u8], lead: usize, from: Option<u64>) -> Option<Fragments> {
    let mut c = Cursor::new(child(trak, b"tkhd")?);
    let version = c.u8().ok()?;
    c.skip(3 + if version == 1 { 16 } else { 8 }).ok()?;
    let track_id = c.be32().ok()?;
    let mut out = Fragments {
        track_id,
        next_number: 1,
        lead_wanted: lead,
        lead_from: from,
        ..Fragments::default()
    };
    for b in BoxIter::new(mvex, 0).map_while(Result::ok) {
        if &b.typ != b"trex" {
            continue;
        }
        let mut c = Cursor::new(b.body);
        c.skip(4).ok()?;
        if c.be32().ok()? != track_id {
            continue;
        }
        c.skip(4).ok()?;
        out.default_duration = c.be32().ok()?;
        out.default_size = c.be32().ok()?;
        out.default_flags = c.be32().ok()?;
    }
    Some(out)
}

/// A sample whose flags say it is no sync sample (`sample_is_non_sync_sample`, §8.8.3.1).
const NON_SYNC: u32 = 0x0001_0000;
/// Most samples walked in a track to locate the wanted ones (a day at 120 pictures a second,
/// and some). The counts a hostile file declares bound nothing: a sample table whose samples
/// share one size says four billion of them in a few bytes, and so does a `trun` whose samples
/// all take the defaults (found by the `keyplan` fuzz target: minutes walking one file).
const SAMPLES_MAX: u64 = 12_000_000;

/// Adds the samples of one movie fragment (the body of the `moof` box starting at file offset
/// `moof_start`) of the plan's track to its sync samples and lead (§8.8.4-8.8.8, §8.8.12).
/// Returns `false` once nothing more is wanted (the sync samples reach [`SYNC_MAX`]) or the
/// fragment does not hold together (its counts run past its bytes): the fragments after it
/// are not added.
pub fn add_fragment(plan: &mut Plan, moof_start: u64, moof: &[u8]) -> bool {
    let Some(mut fr) = plan.fragments.take() else {
        return false;
    };
    let lead = plan.lead.len();
    let more = add_trafs(plan, &mut fr, moof_start, moof).is_some();
    if plan.lead.len() != lead || fr.shifts_differ {
        plan.reordered = plan.lead.windows(2).any(|w| w[1].ticks < w[0].ticks) || fr.shifts_differ;
    }
    plan.fragments = Some(fr);
    more && plan.sync.len() < SYNC_MAX
}

/// A 32-bit field that a box holds when its `present` flag bit is set: `Some(None)` when the
/// bit is clear, `None` when the bytes run out.
fn optional(c: &mut Cursor, present: u32) -> Option<Option<u32>> {
    if present == 0 {
        Some(None)
    } else {
        c.be32().ok().map(Some)
    }
}

fn add_trafs(plan: &mut Plan, fr: &mut Fragments, moof_start: u64, moof: &[u8]) -> Option<()> {
    // Where the previous track fragment's data ended: the base of the next one that names
    // none (§8.8.7.1).
    let mut data_end = moof_start;
    for traf in BoxIter::new(moof, 0).map_while(Result::ok) {
        if &traf.typ != b"traf" {
            continue;
        }
        let mut c = Cursor::new(child(traf.body, b"tfhd")?);
        let flags = c.be32().ok()? & 0xff_ffff;
        let id = c.be32().ok()?;
        let base_offset = if flags & 0x1 != 0 {
            Some(c.be64().ok()?)
        } else {
            None
        };
        let _description = optional(&mut c, flags & 0x2)?;
        let duration = optional(&mut c, flags & 0x8)?.unwrap_or(fr.default_duration);
        let size = optional(&mut c, flags & 0x10)?.unwrap_or(fr.default_size);
        let sample_flags = optional(&mut c, flags & 0x20)?.unwrap_or(fr.default_flags);
        let base = base_offset.unwrap_or(if flags & 0x2_0000 != 0 {
            moof_start
        } else {
            data_end
        });
        // Another track's fragment is walked too: where its data ends is where the next one's
        // starts when that names no base.
        let mine = id == fr.track_id;
        if let Some(tfdt) = child(traf.body, b"tfdt").filter(|_| mine) {
            let mut c = Cursor::new(tfdt);
            let version = c.u8().ok()?;
            c.skip(3).ok()?;
            fr.next_dts = if version == 1 {
                c.be64().ok()?
            } else {
                u64::from(c.be32().ok()?)
            };
        }
        let mut pos = base;
        for trun in BoxIter::new(traf.body, 0).map_while(Result::ok) {
            if &trun.typ != b"trun" {
                continue;
            }
            let mut c = Cursor::new(trun.body);
            let version = c.u8().ok()?;
            let flags = c.be24().ok()?;
            let count = c.be32().ok()? as usize;
            if flags & 0x1 != 0 {
                pos = base.checked_add_signed(i64::from(c.be32().ok()? as i32))?;
            }
            let first_flags = optional(&mut c, flags & 0x4)?;
            let per = [0x100, 0x200, 0x400, 0x800]
                .iter()
                .filter(|&&f| flags & f != 0)
                .count()
                * 4;
            if per > 0 && count > c.remaining() / per {
                return None;
            }
            if fr.walked.saturating_add(count as u64) > SAMPLES_MAX {
                return None;
            }
            fr.walked += count as u64;
            for k in 0..count {
                let d = optional(&mut c, flags & 0x100)?.unwrap_or(duration);
                let z = optional(&mut c, flags & 0x200)?.unwrap_or(size);
                let f = optional(&mut c, flags & 0x400)?
                    .unwrap_or_else(|| first_flags.filter(|_| k == 0).unwrap_or(sample_flags));
                // Version 1 offsets are signed.
                let shift = optional(&mut c, flags & 0x800)?.map_or(0, |v| {
                    if version == 0 {
                        i64::from(v)
                    } else {
                        i64::from(v as i32)
                    }
                });
                if mine {
                    match fr.first_shift {
                        None => fr.first_shift = Some(shift),
                        Some(first) => fr.shifts_differ |= first != shift,
                    }
                    let sample = Sample {
                        number: fr.next_number,
                        offset: pos,
                        size: z,
                        ticks: fr.next_dts.saturating_add_signed(shift),
                    };
                    if f & NON_SYNC == 0 && plan.sync.len() < SYNC_MAX {
                        plan.sync.push(sample);
                    }
                    let wanted = match fr.lead_from {
                        Some(from) => fr.next_number >= from,
                        None => !plan.sync.is_empty(),
                    };
                    if wanted && plan.lead.len() < fr.lead_wanted {
                        plan.lead.push(sample);
                    }
                    fr.next_dts = fr.next_dts.saturating_add(u64::from(d));
                    fr.next_number += 1;
                }
                pos = pos.saturating_add(u64::from(z));
            }
        }
        data_end = pos;
    }
    Some(())
}

/// The first sample entry of an `stsd` box's body (after its version, flags and count).
fn first_entry(stsd: &[u8]) -> Option<InnerBox<'_>> {
    BoxIter::new(stsd.get(8..)?, 0).map_while(Result::ok).next()
}

/// The first sample entry's decoder configuration: `avcC` of `avc1`/`avc3` (ISO/IEC 14496-15
/// §5.3.3) or `hvcC` of `hvc1`/`hev1` (§8.3.3): the NAL length size and the parameter sets.
fn parameter_sets(stsd: &[u8]) -> Option<(Codec, usize, Vec<Vec<u8>>)> {
    let entry = first_entry(stsd)?;
    // A visual sample entry's fixed fields take 78 bytes before its child boxes.
    let children = entry.body.get(78..)?;
    match &entry.typ {
        b"avc1" | b"avc3" => {
            let (nal_len, params) = decoder_config(Codec::H264, child(children, b"avcC")?)?;
            Some((Codec::H264, nal_len, params))
        }
        b"hvc1" | b"hev1" => {
            let (nal_len, params) = decoder_config(Codec::Hevc, child(children, b"hvcC")?)?;
            Some((Codec::Hevc, nal_len, params))
        }
        _ => None,
    }
}

/// A decoder configuration record's NAL length size and parameter sets: H.264's
/// (`AVCDecoderConfigurationRecord`, ISO/IEC 14496-15 §5.3.3) or HEVC's
/// (`HEVCDecoderConfigurationRecord`, §8.3.3), as an MP4's `avcC`/`hvcC` box and a Matroska
/// track's `CodecPrivate` hold them.
pub fn decoder_config(codec: Codec, record: &[u8]) -> Option<(usize, Vec<Vec<u8>>)> {
    let mut params = Vec::new();
    match codec {
        Codec::H264 => {
            let mut c = Cursor::new(record);
            c.skip(4).ok()?;
            let nal_len = usize::from(c.u8().ok()? & 3) + 1;
            let sps = c.u8().ok()? & 0x1f;
            for _ in 0..sps {
                let len = c.be16().ok()?;
                params.push(c.take(usize::from(len)).ok()?.to_vec());
            }
            let pps = c.u8().ok()?;
            for _ in 0..pps {
                let len = c.be16().ok()?;
                params.push(c.take(usize::from(len)).ok()?.to_vec());
            }
            Some((nal_len, params))
        }
        Codec::Hevc => {
            let mut c = Cursor::new(record);
            c.skip(21).ok()?;
            let nal_len = usize::from(c.u8().ok()? & 3) + 1;
            let arrays = c.u8().ok()?;
            for _ in 0..arrays {
                c.u8().ok()?;
                let n = c.be16().ok()?;
                for _ in 0..n {
                    let len = c.be16().ok()?;
                    params.push(c.take(usize::from(len)).ok()?.to_vec());
                }
            }
            Some((nal_len, params))
        }
    }
}

fn chunk_offsets(stbl: &[u8]) -> Option<Vec<u64>> {
    let (body, wide) = match child(stbl, b"stco") {
        Some(b) => (b, false),
        None => (child(stbl, b"co64")?, true),
    };
    let mut c = Cursor::new(body);
    c.skip(4).ok()?;
    let w = if wide { 8 } else { 4 };
    let n = (c.be32().ok()? as usize).min(c.remaining() / w);
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(if wide {
            c.be64().ok()?
        } else {
            u64::from(c.be32().ok()?)
        });
    }
    Some(v)
}

/// Offsets, sizes and decode times of the `wanted` samples (sorted), in one walk over the
/// chunks and the time-to-sample table.
/// Whether a `ctts` box gives its samples more than one composition offset (the pictures are
/// presented in another order than decoded; one offset for all is a constant delay). Its
/// first [`CTTS_LOOKED_AT`] runs are looked at.
fn offsets_differ(ctts: &[u8]) -> bool {
    let mut c = Cursor::new(ctts);
    let (Ok(()), Ok(n)) = (c.skip(4), c.be32()) else {
        return false;
    };
    let mut first = None;
    for _ in 0..(n as usize).min(c.remaining() / 8).min(CTTS_LOOKED_AT) {
        let (Ok(_count), Ok(off)) = (c.be32(), c.be32()) else {
            break;
        };
        match first {
            None => first = Some(off),
            Some(f) if f != off => return true,
            Some(_) => {}
        }
    }
    false
}

/// Runs of a `ctts` box looked at to tell whether its offsets differ.
const CTTS_LOOKED_AT: usize = 4096;

fn locate(
    sizes: &Sizes,
    stsc: &[u8],
    chunks: &[u64],
    stts: &[u8],
    ctts: Option<&[u8]>,
    wanted: &[u64],
) -> Vec<Sample> {
    let mut out = Vec::with_capacity(wanted.len());
    let Some(&last) = wanted.last() else {
        return out;
    };
    // stsc entries: (first chunk, samples per chunk).
    let entries = sample_to_chunk(stsc);
    // stts runs: (count, delta).
    let mut tc = Cursor::new(stts);
    let n_tt = match (tc.skip(4), tc.be32()) {
        (Ok(()), Ok(n)) => (n as usize).min(tc.remaining() / 8),
        _ => return out,
    };
    let mut runs = Vec::with_capacity(n_tt);
    for _ in 0..n_tt {
        let (Ok(c), Ok(d)) = (tc.be32(), tc.be32()) else {
            break;
        };
        runs.push((u64::from(c), u64::from(d)));
    }
    // ctts runs: (count, offset); version 1 offsets are signed.
    let mut shifts: Vec<(u64, i64)> = Vec::new();
    if let Some(ctts) = ctts {
        let mut c = Cursor::new(ctts);
        let version = c.u8().unwrap_or(0);
        if let (Ok(()), Ok(n)) = (c.skip(3), c.be32()) {
            for _ in 0..(n as usize).min(c.remaining() / 8) {
                let (Ok(count), Ok(off)) = (c.be32(), c.be32()) else {
                    break;
                };
                let off = if version == 1 {
                    i64::from(off as i32)
                } else {
                    i64::from(off)
                };
                shifts.push((u64::from(count), off));
            }
        }
    }
    let (mut shift_run, mut left_in_shift) = (0usize, shifts.first().map_or(0, |r| r.0));
    let (mut run, mut left_in_run, mut ticks) = (0usize, runs.first().map_or(0, |r| r.0), 0u64);
    let mut next = 0usize;
    let mut sample = 1u64;
    let mut entry = 0usize;
    for (ci, &chunk_offset) in chunks.iter().enumerate() {
        let k = ci as u64 + 1;
        while entry + 1 < entries.len() && entries[entry + 1].0 <= k {
            entry += 1;
        }
        let Some(&(_, per)) = entries.get(entry) else {
            break;
        };
        let mut pos = chunk_offset;
        for _ in 0..per.min(sizes.count().saturating_sub(sample - 1)) {
            let size = sizes.get(sample).min(u64::from(u32::MAX)) as u32;
            while left_in_shift == 0 && shift_run + 1 < shifts.len() {
                shift_run += 1;
                left_in_shift = shifts[shift_run].0;
            }
            let shift = shifts.get(shift_run).map_or(0, |r| r.1);
            left_in_shift = left_in_shift.saturating_sub(1);
            if wanted.get(next) == Some(&sample) {
                let ticks = ticks.saturating_add_signed(shift);
                out.push(Sample {
                    number: sample,
                    offset: pos,
                    size,
                    ticks,
                });
                next += 1;
            }
            if sample >= last || sample >= SAMPLES_MAX {
                return out;
            }
            pos = pos.saturating_add(u64::from(size));
            // Advance the clock by this sample's duration.
            while left_in_run == 0 && run + 1 < runs.len() {
                run += 1;
                left_in_run = runs[run].0;
            }
            if let Some(&(_, d)) = runs.get(run) {
                ticks = ticks.saturating_add(d);
                left_in_run = left_in_run.saturating_sub(1);
            }
            sample += 1;
        }
    }
    out
}

/// One sample's NAL units (length-prefixed) rewritten with start codes, after the parameter
/// sets: an access unit a decoder takes on its own.
pub fn annex_b(plan: &Plan, sample: &[u8], with_params: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(sample.len() + 64);
    if with_params {
        for p in &plan.params {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(p);
        }
    }
    for nal in nals(plan, sample) {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    out
}

/// Whether a NAL unit, by its first header byte, opens a random-access point where it comes
/// in an access unit: an IDR picture or a sequence parameter set (H.264); an IRAP picture or a
/// video or sequence parameter set (HEVC). A transport or program stream's read keys its
/// units by it.
pub fn opens_random_access(codec: Codec, header: u8) -> bool {
    match codec {
        Codec::H264 => matches!(header & 0x1f, 5 | 7),
        Codec::Hevc => matches!((header >> 1) & 0x3f, 16..=21 | 32 | 33),
    }
}

/// Whether a NAL unit, by its first header byte, is a coded slice (H.264 types 1-5, HEVC
/// types 0-31): an access unit without one gives a decoder nothing to decode.
pub fn is_slice(codec: Codec, header: u8) -> bool {
    match codec {
        Codec::H264 => (1..=5).contains(&(header & 0x1f)),
        Codec::Hevc => (header >> 1) & 0x3f < 32,
    }
}

/// Whether coded slice NAL unit `nal`, the first of its picture, begins a picture that decodes
/// alone: an IDR, or a first slice of type I or SI (H.264 §7.4.3); an IRAP (types 16-23), or
/// a first segment of type I (HEVC §7.4.7.1). An index may call other pictures sync samples
/// (an MP4 without a sync-sample table calls every picture one, an AVI may mark every frame a
/// keyframe, an encoder refreshing its picture a column at a time marks its recovery points):
/// decoded alone, or after an unrelated keyframe, such a picture shows what its references
/// held, another moment's picture, and is never read as its own.
pub fn slice_decodes_alone(plan: &Plan, nal: &[u8]) -> bool {
    let Some(&h) = nal.first() else {
        return false;
    };
    match plan.codec {
        Codec::H264 => super::h264::slice_start(nal)
            .is_some_and(|s| s.idr || matches!(s.slice_type % 5, 2 | 4)),
        Codec::Hevc => {
            if (16..=23).contains(&((h >> 1) & 0x3f)) {
                return true;
            }
            let syntax = plan
                .hevc_set(33)
                .zip(plan.hevc_set(34))
                .and_then(|(sps, pps)| super::hevc::slice_syntax(sps, pps));
            syntax
                .and_then(|syntax| super::hevc::segment(nal, &syntax))
                .is_some_and(|s| s.first && s.slice_type == Some(2))
        }
    }
}

/// [`decodes_alone`] of an access unit in Annex B (start codes), as the stage hands units to
/// the decoder.
pub fn unit_decodes_alone(plan: &Plan, unit: &[u8]) -> bool {
    decodes_alone(plan, super::h264::annexb_nals(unit))
}

/// [`slice_decodes_alone`] of the first coded slice among `nals` (false without one).
pub fn decodes_alone<'a>(plan: &Plan, mut nals: impl Iterator<Item = &'a [u8]>) -> bool {
    nals.find(|n| n.first().is_some_and(|&h| is_slice(plan.codec, h)))
        .is_some_and(|n| slice_decodes_alone(plan, n))
}

/// Whether NAL unit `nal`, coming after a coded slice, begins the next access unit (H.264
/// §7.4.1.2.3, H.265 §7.4.2.4.4): a delimiter, parameter set or leading SEI, or a slice that
/// begins a picture (H.264's first macroblock 0, HEVC's first-segment flag). A sample of an MP4
/// or an AVI chunk holds one access unit; a transport stream's PES packet mostly does too, but
/// the standard lets a muxer put several in one, and a keyframe's span must then end at its
/// own picture (the decoder would otherwise hand back a later picture than the one timed).
pub(super) fn starts_access_unit(codec: Codec, nal: &[u8]) -> bool {
    let Some(&h) = nal.first() else {
        return false;
    };
    match codec {
        Codec::H264 => match h & 0x1f {
            // first_mb_in_slice is ue(v): 0 is the single bit 1.
            1 | 2 | 5 => nal.get(1).is_some_and(|b| b & 0x80 != 0),
            6..=9 | 14..=18 => true,
            _ => false,
        },
        Codec::Hevc => match (h >> 1) & 0x3f {
            0..=31 => nal.get(2).is_some_and(|b| b & 0x80 != 0),
            32..=35 | 39 | 41..=44 | 48..=55 => true,
            _ => false,
        },
    }
}

/// The NAL units of a sample, by their length prefixes (a unit cut short by the sample's end
/// is given as far as it goes, and ends the sample), or by their start codes in an Annex B plan,
/// up to the end of the sample's first access unit ([`starts_access_unit`]).
pub fn nals<'a>(plan: &Plan, sample: &'a [u8]) -> Box<dyn Iterator<Item = &'a [u8]> + 'a> {
    if plan.annex_b {
        let codec = plan.codec;
        let mut coded = false;
        return Box::new(
            super::h264::annexb_nals(sample)
                .filter(|n| !n.is_empty())
                .take_while(move |n| {
                    let next = coded && starts_access_unit(codec, n);
                    coded |= n.first().is_some_and(|&h| is_slice(codec, h));
                    !next
                }),
        );
    }
    let mut c = Cursor::new(sample);
    let nal_len = plan.nal_len;
    Box::new(std::iter::from_fn(move || {
        if c.remaining() < nal_len.max(1) {
            return None;
        }
        let len = match nal_len {
            1 => c.u8().map(usize::from),
            2 => c.be16().map(usize::from),
            _ => c.be32().map(|v| v as usize),
        }
        .ok()?;
        c.take(len.min(c.remaining())).ok()
    }))
}

/// Most `idx1` entries read (16 bytes each): a 24-hour recording at 30 frames a second with
/// audio chunks beside.
pub const AVI_ENTRIES_MAX: usize = 8_000_000;
/// AVI index flag of a chunk that starts a keyframe.
const AVIIF_KEYFRAME: u32 = 0x10;

/// The plan of an AVI's first H.264 or HEVC video stream from its `hdrl` list (body, after
/// the `hdrl` type), its `idx1` chunk (body) and the file offset of the `movi` list's type
/// (`movi`), to which the index's offsets are relative (absolute offsets, which some writers
/// use, are told by pointing past it). A picture's time is its place in the stream times the
/// stream's `dwScale` / `dwRate` (AVI keeps no presentation times, so pictures are taken as
/// presented in the order stored). The parameter sets are the stream format's extra data when
/// it holds them as Annex B, else those found in band ([`params_in_band`]).
pub fn avi_plan(hdrl: &[u8], idx1: &[u8], movi: u64, lead: usize) -> Option<Plan> {
    let video = avi_video_stream(hdrl)?;
    if video.rate == 0 || video.scale == 0 {
        return None;
    }
    let tag = video.tag();
    let entries = idx1.chunks_exact(16).take(AVI_ENTRIES_MAX);
    let le = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    // Offsets relative to `movi` point at or after its type; an absolute first offset lies
    // past the list's start (the first entry is the list's first chunk: a small offset when
    // relative, whichever stream it belongs to).
    let mut base: Option<u64> = None;
    let mut frames = Frames::new(&video, lead);
    for e in entries {
        let (flags, offset, size) = (le(&e[4..8]), u64::from(le(&e[8..12])), le(&e[12..16]));
        // Told by the index's first entry, of whichever stream: the first chunk of `movi`.
        let base = *base.get_or_insert(if offset > movi { 0 } else { movi });
        if e[..2] != tag || !matches!(&e[2..4], b"dc" | b"db") {
            continue;
        }
        let data = base.checked_add(offset)?.checked_add(8)?;
        frames.push(data, size, flags & AVIIF_KEYFRAME != 0);
    }
    Some(video.plan(frames))
}

/// A plan's parameter sets taken from a keyframe's NAL units when the container gave none.
pub fn params_in_band(plan: &mut Plan, keyframe: &[u8]) {
    if !plan.params.is_empty() {
        return;
    }
    let nals: Vec<&[u8]> = nals(plan, keyframe).collect();
    (plan.params, plan.h264) = params_of(plan.codec, &nals);
}

/// The parameter sets among `nals` (H.264 SPS and PPS; HEVC VPS, SPS and PPS), and H.264's
/// first SPS and PPS parsed.
#[allow(clippy::type_complexity)]
fn params_of(
    codec: Codec,
    nals: &[&[u8]],
) -> (Vec<Vec<u8>>, Option<(super::h264::Sps, super::h264::Pps)>) {
    let is_param = |n: &&&[u8]| match (codec, n.first()) {
        (Codec::H264, Some(h)) => matches!(h & 0x1f, 7 | 8),
        (Codec::Hevc, Some(h)) => matches!((h >> 1) & 0x3f, 32..=34),
        _ => false,
    };
    let params: Vec<Vec<u8>> = nals
        .iter()
        .filter(is_param)
        .take(16)
        .map(|n| n.to_vec())
        .collect();
    let h264 = parsed_h264(codec, &params);
    (params, h264)
}

/// H.264's first sequence and picture parameter sets among `params`, parsed.
fn parsed_h264(codec: Codec, params: &[Vec<u8>]) -> Option<(super::h264::Sps, super::h264::Pps)> {
    if codec != Codec::H264 {
        return None;
    }
    let sps = params.iter().find_map(|p| super::h264::parse_sps(p))?;
    let pps = params.iter().find_map(|p| super::h264::parse_pps(p))?;
    Some((sps, pps))
}

/// The first video stream of an AVI's `hdrl` that the stage decodes: its number, coding,
/// `dwScale`, `dwRate` and the format's extra data.
fn avi_video_stream(hdrl: &[u8]) -> Option<AviVideo<'_>> {
    let mut stream = 0usize;
    for (id, body) in riff_chunks(hdrl) {
        if &id != b"LIST" || body.get(..4) != Some(b"strl") {
            continue;
        }
        let (mut strh, mut strf, mut indx) = (None, None, None);
        for (id, b) in riff_chunks(&body[4..]) {
            match &id {
                b"strh" => strh = Some(b),
                b"strf" => strf = Some(b),
                b"indx" => indx = Some(b),
                _ => {}
            }
        }
        let this = stream;
        stream += 1;
        let (Some(strh), Some(strf)) = (strh, strf) else {
            continue;
        };
        if strh.get(..4) != Some(b"vids") || this > 99 {
            continue;
        }
        // Named by the format's compression, else by the stream header's handler, as the
        // read pass names an AVI's coding.
        let named = |b: Option<&[u8]>| {
            b.and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(|f| super::riff::avi_codec(&f))
        };
        let codec = match [named(strf.get(16..20)), named(strh.get(4..8))] {
            [Some("h264"), _] | [_, Some("h264")] => Codec::H264,
            [Some("hevc"), _] | [_, Some("hevc")] => Codec::Hevc,
            _ => continue,
        };
        let le = |at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(strh.get(at..at + 4)?.try_into().ok()?))
        };
        return Some(AviVideo {
            stream: this,
            codec,
            scale: le(20)?,
            rate: le(24)?,
            extra: strf.get(40..).unwrap_or(&[]),
            indx,
        });
    }
    None
}

/// The first video stream of an AVI that the stage decodes ([`avi_video_stream`]).
struct AviVideo<'a> {
    /// Its number (the `NN` of its chunks' ids).
    stream: usize,
    codec: Codec,
    /// `dwScale` and `dwRate`: a frame lasts scale / rate seconds.
    scale: u32,
    rate: u32,
    /// The format's extra data (parameter sets, when the writer put them there).
    extra: &'a [u8],
    /// Its OpenDML super index (`indx`), if any.
    indx: Option<&'a [u8]>,
}

impl AviVideo<'_> {
    /// The two characters its chunks' ids begin with.
    fn tag(&self) -> [u8; 2] {
        [
            b'0' + (self.stream / 10) as u8,
            b'0' + (self.stream % 10) as u8,
        ]
    }

    fn plan(&self, frames: Frames) -> Plan {
        let (params, h264) = params_of(
            self.codec,
            &super::h264::annexb_nals(self.extra).collect::<Vec<_>>(),
        );
        Plan {
            codec: self.codec,
            timescale: self.rate,
            params,
            h264,
            sync: frames.sync,
            lead: frames.lead,
            annex_b: true,
            decode_order_times: true,
            ..Plan::default()
        }
    }
}

/// An AVI stream's frame slots in order, as an index lists them: each counted in time (an
/// empty one too, never a keyframe), the keyframes kept (at most [`SYNC_MAX`]) and the frames
/// from the first keyframe on (at most `lead`, [`LEAD_MAX`]).
struct Frames {
    scale: u64,
    lead_max: usize,
    /// Slots counted so far.
    number: u64,
    sync: Vec<Sample>,
    lead: Vec<Sample>,
}

impl Frames {
    fn new(video: &AviVideo, lead: usize) -> Frames {
        Frames {
            scale: u64::from(video.scale),
            lead_max: lead.min(LEAD_MAX),
            number: 0,
            sync: Vec::new(),
            lead: Vec::new(),
        }
    }

    /// The next slot: its data at file offset `offset`, `size` bytes, a keyframe when `key`.
    fn push(&mut self, offset: u64, size: u32, key: bool) {
        self.number += 1;
        if size == 0 {
            return;
        }
        let sample = Sample {
            number: self.number,
            offset,
            size,
            ticks: (self.number - 1).saturating_mul(self.scale),
        };
        if key && self.sync.len() < SYNC_MAX {
            self.sync.push(sample);
        }
        if !self.sync.is_empty() && self.lead.len() < self.lead_max {
            self.lead.push(sample);
        }
    }
}

/// Most standard indexes (`ix##` chunks) an OpenDML super index may name that are read: one
/// per RIFF form of about a gigabyte, or one per few thousand frames.
pub const AVI_STANDARD_INDEXES_MAX: usize = 65_536;

/// Where an OpenDML AVI's first decodable video stream keeps its standard indexes: the file
/// offset of each `ix##` chunk its super index (`indx` in its `strl`, an index of indexes)
/// names, in order (an entry of no size is an unused slot). `None` without such a super
/// index; at most [`AVI_STANDARD_INDEXES_MAX`]. The chunks' sizes are read from their own
/// headers: writers differ on whether the super index's size counts the header.
pub fn avi_standard_indexes(hdrl: &[u8]) -> Option<Vec<u64>> {
    let indx = avi_video_stream(hdrl)?.indx?;
    let mut c = Cursor::new(indx);
    let longs = c.le16().ok()?;
    let _sub_type = c.u8().ok()?;
    let index_type = c.u8().ok()?;
    let in_use = c.le32().ok()? as usize;
    // An index of indexes (AVI_INDEX_OF_INDEXES), four longs an entry.
    if index_type != 0 || longs != 4 {
        return None;
    }
    c.skip(16).ok()?;
    let mut out = Vec::new();
    for _ in 0..in_use.min(AVI_STANDARD_INDEXES_MAX) {
        let (Ok(offset), Ok(size), Ok(_duration)) = (c.le64(), c.le32(), c.le32()) else {
            break;
        };
        if size > 0 {
            out.push(offset);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The plan of an OpenDML AVI from its `hdrl` body and the bodies of the standard indexes
/// ([`avi_standard_indexes`]) in order: each names a base offset and, per frame of the stream,
/// the offset of its data from that base and its size, the top bit set when it is not a
/// keyframe. Frames are timed by their place, as [`avi_plan`] does; an index of another
/// stream or kind is passed over.
pub fn avi_plan_indexed(hdrl: &[u8], standard: &[&[u8]], lead: usize) -> Option<Plan> {
    let video = avi_video_stream(hdrl)?;
    if video.rate == 0 || video.scale == 0 {
        return None;
    }
    let tag = video.tag();
    let mut frames = Frames::new(&video, lead);
    for body in standard {
        let mut c = Cursor::new(body);
        let header = (|| {
            let longs = c.le16().ok()?;
            let sub_type = c.u8().ok()?;
            let index_type = c.u8().ok()?;
            let in_use = c.le32().ok()? as usize;
            let id = c.take(4).ok()?;
            let base = c.le64().ok()?;
            c.skip(4).ok()?;
            // An index of chunks (AVI_INDEX_OF_CHUNKS), two longs an entry, of whole frames.
            (index_type == 1 && longs == 2 && sub_type == 0 && id[..2] == tag)
                .then_some((in_use, base))
        })();
        let Some((in_use, base)) = header else {
            continue;
        };
        for _ in 0..in_use.min(AVI_ENTRIES_MAX) {
            let (Ok(offset), Ok(size)) = (c.le32(), c.le32()) else {
                break;
            };
            if frames.number >= AVI_ENTRIES_MAX as u64 {
                return Some(video.plan(frames));
            }
            let data = base.checked_add(u64::from(offset))?;
            frames.push(data, size & 0x7fff_ffff, size & 0x8000_0000 == 0);
        }
    }
    Some(video.plan(frames))
}

/// The chunks of a RIFF list body: four-character id and body (cut at the list's end).
fn riff_chunks(body: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let h = body.get(at..at.checked_add(8)?)?;
        let id: [u8; 4] = h[..4].try_into().ok()?;
        let size = u32::from_le_bytes(h[4..8].try_into().ok()?) as usize;
        let start = at + 8;
        let end = start.saturating_add(size).min(body.len());
        at = start.saturating_add(size).saturating_add(size & 1);
        Some((id, &body[start..end]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_idr_or_an_intra_first_slice_decodes_alone() {
        let h264 = Plan::default();
        // NAL header, then first_mb_in_slice 0 (`1`) and slice_type as ue(v).
        let idr: &[u8] = &[0x65, 0x88, 0x80];
        let i_all: &[u8] = &[0x41, 0x88]; // slice_type 7: every slice of the picture I
        let i_first: &[u8] = &[0x41, 0xb0]; // slice_type 2
        let p_all: &[u8] = &[0x41, 0x98]; // slice_type 5: a P picture (a recovery point)
        let p_first: &[u8] = &[0x41, 0xc0]; // slice_type 0
        let decide = |n: &[u8]| slice_decodes_alone(&h264, n);
        assert_eq!(
            [idr, i_all, i_first, p_all, p_first, &[]].map(decide),
            [true, true, true, false, false, false]
        );
        // The first coded slice decides, after a delimiter and an SEI.
        let unit: [&[u8]; 3] = [&[0x09, 0xf0], &[0x06, 0x05], p_all];
        assert!(!decodes_alone(&h264, unit.into_iter()));
        let unit: [&[u8]; 3] = [&[0x09, 0xf0], &[0x06, 0x05], idr];
        assert!(decodes_alone(&h264, unit.into_iter()));
        assert!(!decodes_alone(&h264, std::iter::empty()));
        // HEVC: an IRAP (IDR_W_RADL, CRA) decodes alone; a trailing picture only when its
        // first segment's header, read with the parameter sets, says I (none here: not).
        let hevc = Plan {
            codec: Codec::Hevc,
            ..Plan::default()
        };
        let decide = |n: &[u8]| slice_decodes_alone(&hevc, n);
        assert_eq!(
            [
                &[0x26, 0x01, 0x80][..],
                &[0x2a, 0x01, 0x80],
                &[0x02, 0x01, 0x80]
            ]
            .map(decide),
            [true, true, false]
        );
    }

    fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(body);
        v
    }

    /// A movie fragment of track 1: `tfhd` (base is the `moof`), `tfdt` at `dts`, and a
    /// `trun` declaring `count` samples of which `entries` are written: (duration, size, flags).
    fn moof(dts: u32, count: u32, entries: &[(u32, u32, u32)]) -> Vec<u8> {
        let tfhd = bx(
            b"tfhd",
            &[&0x0002_0000u32.to_be_bytes()[..], &1u32.to_be_bytes()].concat(),
        );
        let tfdt = bx(
            b"tfdt",
            &[&0u32.to_be_bytes()[..], &dts.to_be_bytes()].concat(),
        );
        let mut trun = 0x0000_0701u32.to_be_bytes().to_vec();
        trun.extend_from_slice(&count.to_be_bytes());
        trun.extend_from_slice(&100i32.to_be_bytes());
        for (d, z, f) in entries {
            for v in [d, z, f] {
                trun.extend_from_slice(&v.to_be_bytes());
            }
        }
        bx(b"traf", &[tfhd, tfdt, bx(b"trun", &trun)].concat())
    }

    #[test]
    fn a_track_whose_composition_offsets_differ_reorders_its_pictures() {
        let ctts = |runs: &[(u32, u32)]| -> Vec<u8> {
            let mut b = vec![0, 0, 0, 0];
            b.extend_from_slice(&(runs.len() as u32).to_be_bytes());
            for (n, off) in runs {
                b.extend_from_slice(&n.to_be_bytes());
                b.extend_from_slice(&off.to_be_bytes());
            }
            b
        };
        assert!(offsets_differ(&ctts(&[
            (1, 1024),
            (1, 2560),
            (1, 0),
            (1, 512)
        ])));
        // One offset for every picture is a constant delay, not reordering.
        assert!(!offsets_differ(&ctts(&[(40, 1024)])));
        assert!(!offsets_differ(&ctts(&[(20, 1024), (20, 1024)])));
        // A count past the box's bytes reads what is there.
        let mut short = ctts(&[(1, 1024)]);
        short[4..8].copy_from_slice(&9u32.to_be_bytes());
        assert!(!offsets_differ(&short));
        assert!(!offsets_differ(&[0, 0]));
    }

    fn fragmented() -> Plan {
        Plan {
            timescale: 1000,
            fragments: Some(Fragments {
                track_id: 1,
                next_number: 1,
                lead_wanted: 8,
                ..Fragments::default()
            }),
            ..Plan::default()
        }
    }

    #[test]
    fn a_fragment_adds_its_samples_with_their_offsets_times_and_keyframes() {
        let mut plan = fragmented();
        let (key, other) = (0u32, NON_SYNC);
        assert!(add_fragment(
            &mut plan,
            5000,
            &moof(0, 2, &[(40, 700, key), (40, 30, other)])
        ));
        assert!(add_fragment(
            &mut plan,
            9000,
            &moof(80, 1, &[(40, 650, key)])
        ));
        let at = |s: &Sample| (s.number, s.offset, s.size, s.ticks);
        assert_eq!(
            plan.sync.iter().map(at).collect::<Vec<_>>(),
            [(1, 5100, 700, 0), (3, 9100, 650, 80)]
        );
        assert_eq!(plan.lead.len(), 3);
        assert_eq!(plan.seconds(&plan.sync[1]), 0.08);
    }

    #[test]
    fn a_track_fragment_that_names_no_base_starts_where_the_previous_ones_data_ends() {
        // An audio fragment (track 2: three samples of 100 bytes from offset 5000 + 200), then
        // the video's (track 1), naming neither a base nor a data offset: its data follows
        // the audio's.
        let traf = |track: u32, flags: u32, run: &[u8]| {
            let tfhd = bx(b"tfhd", &[0u32.to_be_bytes(), track.to_be_bytes()].concat());
            let mut trun = flags.to_be_bytes().to_vec();
            trun.extend_from_slice(run);
            bx(b"traf", &[tfhd, bx(b"trun", &trun)].concat())
        };
        let audio: Vec<u8> = [3u32.to_be_bytes(), 200u32.to_be_bytes()]
            .into_iter()
            .chain([100u32; 3].map(u32::to_be_bytes))
            .flatten()
            .collect();
        let video: Vec<u8> = [1u32, 40, 900, 0]
            .into_iter()
            .flat_map(u32::to_be_bytes)
            .collect();
        let moof = [traf(2, 0x201, &audio), traf(1, 0x700, &video)].concat();
        let mut plan = fragmented();
        assert!(add_fragment(&mut plan, 5000, &moof));
        assert_eq!(plan.sync.len(), 1);
        assert_eq!((plan.sync[0].offset, plan.sync[0].size), (5500, 900));
    }

    #[test]
    fn fragments_whose_composition_offsets_differ_reorder_their_pictures() {
        // Track 1, samples of 40 ticks and 100 bytes with their own flags and composition
        // offsets (trun flags 0xf01).
        let moof = |offsets: &[u32]| {
            let tfhd = bx(b"tfhd", &[0u32.to_be_bytes(), 1u32.to_be_bytes()].concat());
            let mut trun = 0xf01u32.to_be_bytes().to_vec();
            trun.extend_from_slice(&(offsets.len() as u32).to_be_bytes());
            trun.extend_from_slice(&0u32.to_be_bytes());
            for (k, off) in offsets.iter().enumerate() {
                let flags = if k == 0 { 0 } else { NON_SYNC };
                for v in [40u32, 100, flags, *off] {
                    trun.extend_from_slice(&v.to_be_bytes());
                }
            }
            bx(b"moof", &bx(b"traf", &[tfhd, bx(b"trun", &trun)].concat()))
        };
        let lead_of = |first: &[u32]| {
            let mut plan = fragmented();
            if let Some(fr) = plan.fragments.as_mut() {
                (fr.lead_from, fr.lead_wanted) = (Some(5), 3);
            }
            // The lead (pictures 5-7) is presented in its decoding order; the pictures before
            // it say whether the track reorders.
            let body = |m: Vec<u8>| m[8..].to_vec();
            assert!(add_fragment(&mut plan, 0, &body(moof(first))));
            assert!(add_fragment(&mut plan, 1000, &body(moof(&[80, 80, 80]))));
            assert_eq!(plan.lead.len(), 3);
            plan.reordered
        };
        assert!(lead_of(&[80, 160, 0, 40]));
        assert!(!lead_of(&[80, 80, 80, 80]));
    }

    #[test]
    fn a_fragment_declaring_more_samples_than_it_holds_ends_the_plan() {
        let mut plan = fragmented();
        assert!(!add_fragment(
            &mut plan,
            0,
            &moof(0, 1_000_000, &[(40, 700, 0)])
        ));
        assert!(plan.sync.is_empty());
        // Not fragmented: nothing is added.
        let mut plain = Plan::default();
        assert!(!add_fragment(&mut plain, 0, &moof(0, 1, &[(40, 700, 0)])));
        assert!(plain.sync.is_empty());
        // A run of samples that all take the defaults says its count in four bytes: four
        // billion of them are not walked.
        let defaults = bx(
            b"traf",
            &[
                bx(
                    b"tfhd",
                    &[0x0002_0000u32.to_be_bytes(), 1u32.to_be_bytes()].concat(),
                ),
                bx(
                    b"trun",
                    &[0u32.to_be_bytes(), u32::MAX.to_be_bytes()].concat(),
                ),
            ]
            .concat(),
        );
        let mut plan = fragmented();
        assert!(!add_fragment(&mut plan, 0, &defaults));
        assert!(plan.sync.is_empty());
        // Nor are ten thousand fragments of a million samples each (none a keyframe, so that
        // the sync samples' bound does not end the walk first).
        let tfhd = [
            0x0002_0020u32.to_be_bytes(),
            1u32.to_be_bytes(),
            NON_SYNC.to_be_bytes(),
        ]
        .concat();
        let trun = [0u32.to_be_bytes(), 1_000_000u32.to_be_bytes()].concat();
        let million = bx(b"traf", &[bx(b"tfhd", &tfhd), bx(b"trun", &trun)].concat());
        let mut plan = fragmented();
        let fragments = (0..10_000)
            .take_while(|_| add_fragment(&mut plan, 0, &million))
            .count();
        assert_eq!(fragments, 12);
        // Cut anywhere, a fragment never panics.
        let whole = moof(0, 2, &[(40, 700, 0), (40, 30, NON_SYNC)]);
        for cut in 0..whole.len() {
            let mut plan = fragmented();
            add_fragment(&mut plan, 0, &whole[..cut]);
        }
    }

    /// A RIFF chunk: id, little-endian size, body (padded to even length).
    fn ck(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&(body.len() as u32).to_le_bytes());
        v.extend_from_slice(body);
        if body.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    /// An AVI `hdrl` body (after its type): an audio stream, then an H.264 video stream at
    /// `rate` / `scale`.
    fn hdrl(scale: u32, rate: u32) -> Vec<u8> {
        let strl = |kind: &[u8; 4], handler: &[u8; 4], compression: &[u8; 4]| {
            let mut strh = kind.to_vec();
            strh.extend_from_slice(handler);
            strh.extend_from_slice(&[0; 12]);
            strh.extend_from_slice(&scale.to_le_bytes());
            strh.extend_from_slice(&rate.to_le_bytes());
            strh.extend_from_slice(&[0; 28]);
            let mut strf = vec![40, 0, 0, 0];
            strf.extend_from_slice(&[0; 12]);
            strf.extend_from_slice(compression);
            strf.extend_from_slice(&[0; 20]);
            let mut body = b"strl".to_vec();
            body.extend(ck(b"strh", &strh));
            body.extend(ck(b"strf", &strf));
            ck(b"LIST", &body)
        };
        let mut v = ck(b"avih", &[0; 56]);
        v.extend(strl(b"auds", b"\0\0\0\0", b"\x01\0\0\0"));
        v.extend(strl(b"vids", b"h264", b"H264"));
        v
    }

    fn entry(id: &[u8; 4], flags: u32, offset: u32, size: u32) -> Vec<u8> {
        let mut v = id.to_vec();
        for x in [flags, offset, size] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v
    }

    #[test]
    fn an_avi_index_gives_the_video_streams_keyframes_and_times() {
        // Stream 01 is the video (the audio is 00): keyframes by the index's flag, a frame slot
        // of no bytes counted in time but never a keyframe, offsets relative to `movi`.
        let idx1: Vec<u8> = [
            entry(b"01dc", 0x10, 4, 100),
            entry(b"00wb", 0x10, 112, 30),
            entry(b"01dc", 0, 150, 50),
            entry(b"01dc", 0x10, 208, 0),
            entry(b"01dc", 0x10, 216, 80),
        ]
        .concat();
        let plan = avi_plan(&hdrl(1, 25), &idx1, 1000, 8).expect("a plan");
        assert!(plan.annex_b);
        assert_eq!(plan.timescale, 25);
        let sync: Vec<(u64, u64, u32, u64)> = plan
            .sync
            .iter()
            .map(|s| (s.number, s.offset, s.size, s.ticks))
            .collect();
        assert_eq!(sync, vec![(1, 1012, 100, 0), (4, 1224, 80, 3)]);
        let lead: Vec<u64> = plan.lead.iter().map(|s| s.number).collect();
        assert_eq!(lead, vec![1, 2, 4]);
        // Offsets from the start of the file (past `movi`) are taken as they are.
        let absolute: Vec<u8> = [
            entry(b"01dc", 0x10, 5000, 10),
            entry(b"01dc", 0x10, 5020, 10),
        ]
        .concat();
        let plan = avi_plan(&hdrl(1001, 30000), &absolute, 1000, 8).expect("a plan");
        let at: Vec<(u64, u64)> = plan.sync.iter().map(|s| (s.offset, s.ticks)).collect();
        assert_eq!(at, vec![(5008, 0), (5028, 1001)]);
        // Audio stored first, the video's first chunk farther into `movi` than `movi` lies
        // into the file: still relative, as the index's first entry (the audio's) shows.
        let audio_first: Vec<u8> = [
            entry(b"00wb", 0x10, 4, 1500),
            entry(b"01dc", 0x10, 1512, 10),
        ]
        .concat();
        let plan = avi_plan(&hdrl(1, 25), &audio_first, 1000, 8).expect("a plan");
        assert_eq!(plan.sync[0].offset, 1000 + 1512 + 8);
        // No video stream it decodes, or no rate: no plan.
        assert!(avi_plan(&hdrl(1, 0), &idx1, 1000, 8).is_none());
        assert!(avi_plan(&ck(b"avih", &[0; 56]), &idx1, 1000, 8).is_none());
    }

    #[test]
    fn cut_or_garbled_avi_headers_and_indexes_never_panic() {
        let head = hdrl(1, 25);
        let idx1: Vec<u8> = (0..40u32)
            .flat_map(|i| entry(b"01dc", if i % 10 == 0 { 0x10 } else { 0 }, 4 + 64 * i, 60))
            .collect();
        for cut in 0..head.len() {
            let _ = avi_plan(&head[..cut], &idx1, 1000, 8);
        }
        for cut in 0..idx1.len() {
            let plan = avi_plan(&head, &idx1[..cut], 1000, 8).expect("a plan");
            assert!(plan.sync.len() <= 4);
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut h = head.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = (state as usize) % h.len();
                h[at] = (state >> 32) as u8;
            }
            let _ = avi_plan(&h, &idx1, u64::MAX - 4, 8);
        }
        // Parameter sets found in band in an Annex B keyframe, H.264's parsed when they parse.
        let mut plan = avi_plan(&head, &idx1, 1000, 8).expect("a plan");
        assert!(plan.params.is_empty());
        params_in_band(
            &mut plan,
            &[
                0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88,
            ],
        );
        assert_eq!(plan.params.len(), 2);
    }

    /// A 188-byte packet of `pid` carrying `payload`, stuffed to size with an adaptation
    /// field, its PES start flagged when `start`; `prefix` bytes of arrival time before it.
    fn ts_packet(pid: u16, start: bool, payload: &[u8], prefix: usize) -> Vec<u8> {
        let mut p = vec![0xA5; prefix];
        let room = 184 - payload.len();
        p.extend_from_slice(&[
            0x47,
            (u8::from(start) << 6) | (pid >> 8) as u8,
            pid as u8,
            if room > 0 { 0x30 } else { 0x10 },
        ]);
        if room > 0 {
            p.push((room - 1) as u8);
            if room > 1 {
                p.push(0);
                p.extend(std::iter::repeat_n(0xff, room - 2));
            }
        }
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn a_transport_streams_picture_is_taken_out_of_its_packets() {
        for (size, prefix) in [(188usize, 0usize), (192, 4)] {
            let packets = TsPackets { size, pid: 0x100 };
            // PES header with a PTS (five bytes of optional header), then the picture.
            let mut first = vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1];
            first.extend_from_slice(&[0, 0, 0, 1, 0x65, 1, 2, 3]);
            let span = [
                ts_packet(0x100, true, &first, prefix),
                // Audio between the picture's packets, skipped.
                ts_packet(0x101, true, &[0, 0, 1, 0xc0, 9, 9, 9, 9, 0], prefix),
                ts_packet(0x100, false, &[4, 5, 6], prefix),
                // The next picture starts: the span ends before it.
                ts_packet(
                    0x100,
                    true,
                    &[0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0, 7, 7],
                    prefix,
                ),
            ]
            .concat();
            assert_eq!(
                ts_payload(&span, packets),
                [0, 0, 0, 1, 0x65, 1, 2, 3, 4, 5, 6]
            );
            // A packet out of sync ends the picture where it stands.
            let mut lost = span.clone();
            lost[2 * size + prefix] = 0;
            assert_eq!(ts_payload(&lost, packets), [0, 0, 0, 1, 0x65, 1, 2, 3]);
            // A span that starts with no PES start gives nothing to decode.
            assert!(ts_payload(&span[2 * size..3 * size], packets).is_empty());
        }
    }

    #[test]
    fn garbled_transport_stream_spans_never_panic() {
        let packets = TsPackets {
            size: 188,
            pid: 0x100,
        };
        for seed in 0..300u32 {
            let mut span = crate::media::pseudo_random(188 * 4, seed);
            for k in 0..4 {
                span[k * 188] = 0x47;
                span[k * 188 + 1] &= 0x41;
                span[k * 188 + 2] = 0;
            }
            let out = ts_payload(&span, packets);
            assert!(out.len() <= span.len());
            for size in [0usize, 1, 187, 189, 192, 500] {
                let _ = ts_payload(&span, TsPackets { size, pid: 0 });
            }
        }
    }

    #[test]
    fn opendml_indexes_give_the_frames_and_garbled_ones_never_panic() {
        // The video (stream 01) names two standard indexes in its super index.
        let mut indx = vec![4, 0, 0, 0, 2, 0, 0, 0];
        indx.extend_from_slice(b"01dc");
        indx.extend_from_slice(&[0; 12]);
        for (offset, size) in [(5000u64, 40u32), (9000, 40)] {
            indx.extend_from_slice(&offset.to_le_bytes());
            indx.extend_from_slice(&size.to_le_bytes());
            indx.extend_from_slice(&2u32.to_le_bytes());
        }
        let mut head = hdrl(1, 25);
        // Into the video's `strl` (the last chunk): its size grows by the new chunk.
        let video_strl_at = head
            .windows(8)
            .rposition(|w| &w[..4] == b"LIST")
            .expect("the video's strl");
        let chunk = ck(b"indx", &indx);
        let size = u32::from_le_bytes(
            head[video_strl_at + 4..video_strl_at + 8]
                .try_into()
                .expect("4 bytes"),
        );
        head[video_strl_at + 4..video_strl_at + 8]
            .copy_from_slice(&(size + chunk.len() as u32).to_le_bytes());
        head.extend_from_slice(&chunk);
        assert_eq!(avi_standard_indexes(&head), Some(vec![5000, 9000]));
        let standard = |base: u64, entries: &[(u32, u32)]| {
            let mut b = vec![2, 0, 0, 1];
            b.extend_from_slice(&(entries.len() as u32).to_le_bytes());
            b.extend_from_slice(b"01dc");
            b.extend_from_slice(&base.to_le_bytes());
            b.extend_from_slice(&[0; 4]);
            for (o, s) in entries {
                b.extend_from_slice(&o.to_le_bytes());
                b.extend_from_slice(&s.to_le_bytes());
            }
            b
        };
        let not_key = 0x8000_0000;
        let first = standard(1000, &[(8, 100), (120, 50 | not_key), (180, 0)]);
        let second = standard(1_000_000_000, &[(8, 90), (110, 30 | not_key)]);
        let plan = avi_plan_indexed(&head, &[&first, &second], 8).expect("a plan");
        let sync: Vec<(u64, u64, u32, u64)> = plan
            .sync
            .iter()
            .map(|s| (s.number, s.offset, s.size, s.ticks))
            .collect();
        // The empty frame counts in time; the second RIFF form's base is its own.
        assert_eq!(sync, [(1, 1008, 100, 0), (4, 1_000_000_008, 90, 3)]);
        assert_eq!(plan.lead.len(), 4);
        assert!(plan.decode_order_times);
        // Garbled: cut anywhere, bytes changed, nothing panics.
        for cut in 0..first.len() {
            let _ = avi_plan_indexed(&head, &[&first[..cut], &second], 8);
        }
        for cut in 0..head.len() {
            let _ = avi_standard_indexes(&head[..cut]);
        }
        for seed in 0..500u32 {
            let noise = crate::media::pseudo_random(first.len(), seed);
            let mut b = first.clone();
            for (k, n) in noise
                .iter()
                .enumerate()
                .filter(|(k, _)| k % 7 == seed as usize % 7)
            {
                b[k] = *n;
            }
            let _ = avi_plan_indexed(&head, &[&b], 8);
            let mut h = head.clone();
            let at = seed as usize % h.len();
            h[at] = noise[0];
            let _ = avi_standard_indexes(&h);
        }
    }

    /// Annex B bytes of the given NAL units.
    fn stream(units: &[&[u8]]) -> Vec<u8> {
        units
            .iter()
            .flat_map(|u| [&[0u8, 0, 0, 1][..], u].concat())
            .collect()
    }

    #[test]
    fn an_annex_b_sample_is_read_to_the_end_of_its_first_access_unit() {
        let h264 = Plan {
            codec: Codec::H264,
            annex_b: true,
            ..Plan::default()
        };
        let (aud, sps, pps) = (
            &[0x09, 0xf0][..],
            &[0x67, 0x64, 0, 0x28][..],
            &[0x68, 0xee][..],
        );
        // Two slices of an IDR picture (first macroblock 0, then 1), a filler unit.
        let (idr0, idr1, fill) = (
            &[0x65, 0x88, 0x84][..],
            &[0x65, 0x40, 0x11][..],
            &[0x0c, 0xff][..],
        );
        let one = [aud, sps, pps, idr0, idr1, fill];
        let bytes = stream(&one);
        assert_eq!(nals(&h264, &bytes).collect::<Vec<_>>(), one);
        // Whatever begins the next picture ends the first: a delimiter, parameter sets, an SEI,
        // or a slice at macroblock 0 with nothing before it.
        let p_slice = &[0x41, 0x9a, 0x02][..];
        for next in [
            vec![aud, p_slice],
            vec![sps, pps, idr0],
            vec![&[0x06, 0x05, 0x01][..], p_slice],
            vec![p_slice],
        ] {
            let mut units = one.to_vec();
            units.extend(next);
            let bytes = stream(&units);
            assert_eq!(nals(&h264, &bytes).collect::<Vec<_>>(), one);
        }
        // Units before the first slice never end it (parameter sets, SEI, a delimiter).
        let lead = [aud, &[0x06, 0x05, 0x01][..], sps, pps, idr0];
        let bytes = stream(&lead);
        assert_eq!(nals(&h264, &bytes).collect::<Vec<_>>(), lead);

        let hevc = Plan {
            codec: Codec::Hevc,
            annex_b: true,
            ..Plan::default()
        };
        let (aud, vps, sps, pps) = (
            &[0x46, 0x01, 0x50][..],
            &[0x40, 0x01, 0x0c][..],
            &[0x42, 0x01, 0x01][..],
            &[0x44, 0x01, 0xc1][..],
        );
        // An IDR picture in two segments (first-segment flag set, then clear) and a suffix SEI.
        let (idr0, idr1, suffix) = (
            &[0x26, 0x01, 0xaf][..],
            &[0x26, 0x01, 0x40][..],
            &[0x50, 0x01, 0x84][..],
        );
        let one = [aud, vps, sps, pps, idr0, idr1, suffix];
        let trail = &[0x02, 0x01, 0xd0][..];
        for next in [
            vec![trail],
            vec![aud, trail],
            vec![&[0x4e, 0x01, 0x05][..], trail],
        ] {
            let mut units = one.to_vec();
            units.extend(next);
            let bytes = stream(&units);
            assert_eq!(nals(&hevc, &bytes).collect::<Vec<_>>(), one);
        }
        // Length-prefixed samples (an MP4's) hold one access unit and are read whole.
        let mp4 = Plan {
            codec: Codec::H264,
            nal_len: 4,
            ..Plan::default()
        };
        let sample: Vec<u8> = [&[0x65, 0x88, 0x84][..], p_slice]
            .iter()
            .flat_map(|u| [&(u.len() as u32).to_be_bytes()[..], u].concat())
            .collect();
        assert_eq!(nals(&mp4, &sample).count(), 2);
    }
}
