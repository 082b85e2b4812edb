//! The keyframe stage: after the scan has read and hashed each file, decode a few of its
//! pictures and read the recorder's burned-in clock (第十二条(三), (五)).
//!
//! Per file: the first and the last keyframe are decoded (an honest file's clock keeps one
//! offset to its own timestamps from the first picture to the last, so two readings decide
//! whether a file needs more). Per device model (the `group` each file is given): the two
//! files with the most keyframes also have their keyframes of the first sixteen seconds
//! decoded, and every picture between the two keyframes where the tens of seconds change, so
//! that the seconds digit is seen to step and roll over: those runs teach the model's digits
//! ([`crate::osd::learn`]), with which every file of the model is read.
//!
//! Only the bytes of the pictures decoded are read: the `moov` box, then each picture by its
//! offset. The evidence tree is opened read-only. Decoding is contained ([`decode`]).

mod across;
pub mod decode;
mod lines;
mod more;
mod slices;

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::Duration;

use rayon::prelude::*;

use crate::media::keyplan::{self, Plan, Sample};
use crate::media::{h264, hevc};
use crate::osd::{self, Font, Ink, Line, Reading, Sighting};
use lines::{keyframe_lines, lines_of};
use more::{find_jump, read_every};

/// Largest `moov` box read for the plan, and largest picture read.
const MOOV_MAX: u64 = 64 << 20;
const PICTURE_MAX: u32 = 16 << 20;
/// The learning run: keyframes for this long (the tens of seconds change at least once in any
/// eleven seconds), and, where the keyframes do not show the change, the first
/// [`LEAD_S`] seconds picture by picture.
const LEARN_S: f64 = 16.0;
const LEAD_S: f64 = 11.0;
/// Pictures kept from the consecutive run: one each this many seconds.
const LEAD_STEP_S: f64 = 0.25;
/// Files of a model tried as the learning run, most keyframes first.
const LEARNERS_MAX: usize = 3;
/// Learning runs enough when all ten digits are known.
const LEARNERS_ENOUGH: usize = 2;
/// Places where lines stand in a learning run's pictures tried as the clock line, those
/// shown most first.
const TRACKS_MAX: usize = 3;
/// A change of the display's offset to the file's timestamps beyond this is a jump (the
/// display shows whole seconds, and a keyframe falls anywhere in its second).
const JUMP_MIN_S: f64 = 2.0;
/// Keyframes decoded at most to place one jump (2^20 keyframes: eleven days at one a second).
const BISECT_MAX: u32 = 20;

/// Where a file says where its pictures are: the part of it the stage plans from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Index {
    /// An ISO BMFF file's `moov` box: file offset and size, header included.
    Moov(u64, u64),
    /// An AVI's `hdrl` list and `idx1` chunk (file offset and size, header included) and the
    /// file offset of its `movi` list's type, to which the index's offsets are relative. An
    /// OpenDML AVI's video stream names its own indexes in the `hdrl` (`idx1`, which covers
    /// only the first RIFF form, may then be missing).
    Avi {
        hdrl: (u64, u64),
        idx1: Option<(u64, u64)>,
        movi: u64,
    },
    /// The video pictures the read pass noted as they went past (a transport or program
    /// stream's packets, a Matroska file's blocks, a Dahua DAV file's frames).
    Noted(std::sync::Arc<keyplan::Noted>),
}

/// A file for the stage.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// Where the file says where its pictures are ([`find_index`]).
    pub index: Index,
    /// Files that share a display font: one device model at one picture size.
    pub group: String,
    /// Where the file's video runs at another steady frame rate between runs of its usual one
    /// (start and length in the file, seconds; `files.frame_rate_stretch_*`): the display is
    /// read there too, to tell a recorder that lowered its rate (the clock runs on) from
    /// footage of another time spliced in.
    pub stretch: Option<(f64, f64)>,
    /// The pictures around which the file's video timestamps change, whose slice headers say
    /// whether the encoder coded across the change ([`Seams`]).
    pub seams: Seams,
}

/// Where a file's video timestamps change, as pictures of its main video track (numbers
/// 1-based, in decoding order, as the read counted them): `across` reads the slice headers of
/// the pictures either side of each place.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Seams {
    /// The picture that lasts the file's largest timestamp jump (read from the sample table,
    /// the movie fragments, or a transport stream's units the read noted).
    pub jump: Option<u64>,
    /// The two edges of a stretch at another steady frame rate
    /// ([`crate::media::RateStretch::edges`]): the last picture before each edge and the first
    /// after it. ISO BMFF only (the stretch is read from the sample table).
    pub stretch: Option<[(u64, u64); 2]>,
}

/// One decoded keyframe, read.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Time of the picture in the file, seconds.
    pub t_s: f64,
    pub reading: Option<Reading>,
}

impl Seen {
    /// The time the display shows (local civil seconds) minus the picture's time in the file:
    /// one offset throughout an honest file, however weak the reading.
    pub fn shown_offset(&self) -> Option<f64> {
        self.reading.as_ref()?.civil_s.map(|c| c as f64 - self.t_s)
    }
}

/// What the stage found in one file.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Pictures decoded for this file.
    pub decoded: u32,
    /// Why the stage could not do all it meant to (no plan, a decoder error).
    pub note: Option<String>,
    /// The display's clock jumps inside the file.
    pub jump: Option<Jump>,
    /// How the encoder worked, from the parameter sets and the sample table ([`habits`]).
    pub habits: Option<String>,
    /// How the encoder cut and marked its first pictures, from their slice headers
    /// ([`slices::slice_habits`]).
    pub slice_habits: Option<String>,
    /// Every keyframe decoded for the file, in the order read: the first, the last, then those
    /// read to place a jump.
    pub keyframes: Vec<Keyframe>,
    /// The place of the keyframe inside the file's frame-rate stretch ([`Input::stretch`])
    /// that reads well, when one does, else one that shows a time weakly
    /// ([`Output::inside_stretch`]).
    pub stretch_at: Option<usize>,
    /// Whether the encoder coded the pictures either side of the video's timestamp jump one
    /// after the other (`across::coded_across`; `files.jump_coded_across`).
    pub coded_across: Option<bool>,
    /// Whether the encoder numbered its pictures on across both edges of the file's stretch
    /// at another frame rate (`across::stretch_coded_across`; `files.stretch_coded_across`).
    pub stretch_coded_across: Option<bool>,
}

impl Output {
    /// The file's start as read: its first keyframe, or, when that reading is [`weak`], the
    /// nearest keyframe after it that reads well ([`stand_ins`]: three at most, read for it by
    /// `more::read_inward`). Start and end are always read in two pictures.
    pub fn first(&self) -> Option<&Seen> {
        let end = self.keyframe("first")?;
        let last = self.keyframe("last").map_or(0, |l| l.gop_index);
        Some(self.or_inward(end, &stand_ins(true, last)))
    }

    /// The file's end as read (none when the file has only one keyframe): its last keyframe,
    /// or the nearest before it that reads well, as [`Output::first`].
    pub fn last(&self) -> Option<&Seen> {
        let end = self.keyframe("last")?;
        Some(self.or_inward(end, &stand_ins(false, end.gop_index)))
    }

    /// The display inside the file's stretch at another frame rate, as read at a keyframe
    /// there that reads well (`more::read_stretch`).
    pub fn inside_stretch(&self) -> Option<&Seen> {
        self.stretch_at
            .and_then(|k| self.read_at(k))
            .map(|k| &k.seen)
    }

    fn keyframe(&self, purpose: &str) -> Option<&Keyframe> {
        self.keyframes.iter().find(|k| k.purpose == purpose)
    }

    fn read_at(&self, k: usize) -> Option<&Keyframe> {
        self.keyframes.iter().find(|x| x.gop_index == k)
    }

    /// `end`'s reading when it is not [`weak`], else the first stand-in's that is not; when
    /// every one read is weak, `end`'s if it shows a time, else the first stand-in's that
    /// does (a weak time, which the OSD rules use only to clear a lower frame rate, never to
    /// accuse: the file's confidence says how weak).
    fn or_inward<'a>(&'a self, end: &'a Keyframe, stand_ins: &[usize]) -> &'a Seen {
        if !weak(&end.seen) {
            return &end.seen;
        }
        let read: Vec<&Seen> = stand_ins
            .iter()
            .map_while(|&k| self.read_at(k))
            .map(|x| &x.seen)
            .collect();
        let timed = |x: &&Seen| x.shown_offset().is_some();
        read.iter()
            .copied()
            .find(|x| !weak(x))
            .or_else(|| Some(&end.seen).filter(timed))
            .or_else(|| read.iter().copied().find(timed))
            .unwrap_or(&end.seen)
    }

    /// The keyframes to read next because an end's reading is [`weak`], as are those of its
    /// stand-ins read so far: the nearest stand-in not read yet, for each such end.
    fn inward_wanted(&self) -> Vec<usize> {
        let last = self.keyframe("last");
        let at_last = last.map_or(0, |l| l.gop_index);
        let ends = [
            (self.keyframe("first"), stand_ins(true, at_last)),
            (last, stand_ins(false, at_last)),
        ];
        ends.into_iter()
            .filter(|(end, _)| end.is_some_and(|e| weak(&e.seen)))
            // The first stand-in not read weak: wanted when it is not read at all.
            .filter_map(|(_, stand_ins)| {
                stand_ins
                    .into_iter()
                    .find(|&k| self.read_at(k).is_none_or(|x| !weak(&x.seen)))
            })
            .filter(|&k| self.read_at(k).is_none())
            .collect()
    }
}

/// A reading without a time, or one the OSD rules would not use (below the default
/// `osd_min_confidence`), or none.
fn weak(s: &Seen) -> bool {
    s.reading.as_ref().is_none_or(|r| {
        r.civil_s.is_none() || f64::from(r.confidence) < crate::config::OSD_MIN_CONFIDENCE
    })
}

/// Keyframes read in from a weak end at most: a scene that spoils the display at a file's end
/// often spoils it for a few seconds.
pub(super) const INWARD_MAX: usize = 3;

/// The keyframes that may stand in for the first keyframe (`first`) or for the last (at
/// place `last`), nearest first: [`INWARD_MAX`] at most, and each end's from its own half of
/// the file only, so that the start and the end are never one picture.
fn stand_ins(first: bool, last: usize) -> Vec<usize> {
    let mid = last / 2;
    if first {
        (1..=INWARD_MAX.min(mid)).collect()
    } else {
        (1..=INWARD_MAX)
            .filter_map(|d| last.checked_sub(d))
            .filter(|&k| k > mid)
            .collect()
    }
}

/// One keyframe the stage decoded and read.
#[derive(Debug, Clone)]
pub struct Keyframe {
    /// Why it was read: `first`, `last`, `inward` (one of the three after the first or before
    /// the last, read because that end's reading was weak), `jump` (read by halves to place a
    /// jump), `stretch` (inside a stretch at another frame rate) or `every` (`--keyframes
    /// all`).
    pub purpose: &'static str,
    /// Its sample number in the track (1-based) and its place among the track's keyframes
    /// (0-based).
    pub sample: u64,
    pub gop_index: usize,
    pub seen: Seen,
    /// Its first slice: `IDR` or `I` (HEVC: `IDR`, `CRA`, `BLA` or `I`), and its QP.
    pub slice: Option<h264::IntraSlice>,
}

/// The usual number of pictures from one keyframe to the next, counted in presentation time
/// (the usual step between keyframes' times over the usual step between the lead pictures'
/// times). Not in decoding order: with B-frames a keyframe's place in decoding order moves by a
/// picture or two from one keyframe to the next, as the encoder places B-frames around it
/// (x265 with a fixed interval of 25 gave steps of 22, 24, 27, 24 and 26 in decoding order),
/// while its time does not. Decoding order when the times give no picture duration.
///
/// Also whether the keyframes are placed by the scene as well (their steps in presentation
/// time differ by more than a picture): an encoder that starts a new picture group at a
/// scene change (x264 and x265 by default, hardware encoders with scene-change detection or a
/// dynamic interval) keys a busy recording sooner than a calm one, so its usual step is no
/// fixed habit. Never so for steps in decoding order.
fn keyframe_interval(plan: &Plan) -> (u64, bool) {
    let median = |mut v: Vec<u64>| {
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    };
    let mut times: Vec<u64> = plan.lead.iter().map(|s| s.ticks).collect();
    times.sort_unstable();
    let picture = median(
        times
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|&d| d > 0)
            .collect(),
    );
    let by_time = picture.filter(|&p| p > 0).and_then(|p| {
        let steps: Vec<u64> = plan
            .sync
            .windows(2)
            .map(|w| (w[1].ticks.saturating_sub(w[0].ticks) + p / 2) / p)
            .collect();
        let (least, most) = (steps.iter().min()?, steps.iter().max()?);
        let by_scene = most - least > 1;
        Some((median(steps)?, by_scene))
    });
    by_time
        .or_else(|| {
            median(
                plan.sync
                    .windows(2)
                    .map(|w| w[1].number.saturating_sub(w[0].number))
                    .collect(),
            )
            .map(|n| (n, false))
        })
        .unwrap_or((0, false))
}

/// An encoder's habits as one comparable text: entropy coder, reference frames, B-frames,
/// keyframe interval (in pictures), 8x8 transform, weighted prediction, initial QP, picture
/// order count type and deblocking control. Read from the `avcC` parameter sets and the sample
/// table, with no decoding: a recorder's hardware encoder keeps them for every recording; a
/// re-encode with the same picture size, frame rate and profile rarely does.
/// Example: `cabac ref3 bframes gop10 8x8:- wp:0/0 qp26 poc0 dbk1`. HEVC: the sequence and
/// picture parameter sets' settings ([`hevc::habits`]), then B-frames and keyframe interval,
/// e.g. `hevc ctb64 cb8 tb4-32 tu0/0 amp0 sao1 ... wpp1 dss0 bframes gop10`.
pub fn habits(plan: &Plan) -> Option<String> {
    // A fragmented file's samples are in its fragments, not in the `moov` sample table: its
    // B-frames and keyframe interval are unknown here, and an unknown is not a difference.
    // An AVI keeps no presentation times: whether its pictures are reordered is unknown. A
    // program stream muxed several pictures to a packet has pictures the read did not note:
    // its keyframe interval is unknown.
    if plan.sync.len() < 2 || plan.lead.len() < 2 || plan.decode_order_times || plan.pictures_missed
    {
        return None;
    }
    // `gop25`, or `gop25s` for keyframes placed by the scene as well (the rule compares such a
    // file's usual step as at most the device's fixed one: [`crate::rules`]' ENC-HABIT).
    let gop = match keyframe_interval(plan) {
        (n, false) => n.to_string(),
        (n, true) => format!("{n}s"),
    };
    let bframes = if plan.reordered {
        "bframes"
    } else {
        "no-bframes"
    };
    if plan.codec == keyplan::Codec::Hevc {
        // HEVC always codes with CABAC; its sets say how the encoder cuts and filters.
        let sets = hevc::habits(plan.hevc_set(33)?, plan.hevc_set(34)?)?;
        return Some(format!("hevc {sets} {bframes} gop{gop}"));
    }
    let (sps, pps) = plan.h264.as_ref()?;
    Some(format!(
        "{} ref{} {bframes} gop{gop} 8x8:{} wp:{}/{} qp{} poc{} dbk{}",
        if pps.cabac { "cabac" } else { "cavlc" },
        sps.max_num_ref_frames,
        pps.transform_8x8.map_or("-", |t| if t { "1" } else { "0" }),
        u8::from(pps.weighted_pred),
        pps.weighted_bipred_idc,
        pps.pic_init_qp,
        sps.poc_type,
        u8::from(pps.deblocking_control),
    ))
}

/// What [`prepare`] found of one file, before any font is known: its plan and its first and
/// last keyframe's lines.
#[derive(Clone)]
pub struct Prepared {
    /// The file's plan, slimmed while it waits for the run's other files: of its keyframes
    /// only the first and last are kept (`keyframes` counts them all); a file read further
    /// (by halves, or all of it) is planned again from its `moov`.
    plan: Option<Plan>,
    keyframes: usize,
    /// Each keyframe's time and the lines in it that may hold the clock.
    first: Option<(f64, Vec<Line>)>,
    last: Option<(f64, Vec<Line>)>,
    /// The first and last keyframe's slice headers.
    slices: [Option<h264::IntraSlice>; 2],
    slice_habits: Option<String>,
    /// The coding habits ([`habits`]), taken before the plan's lead samples are dropped.
    habits: Option<String>,
    decoded: u32,
    note: Option<String>,
    /// How the lines were found: a font of another ink learned in the run reads the file's
    /// keyframes only after they are searched again its way.
    ink: Ink,
    /// The file already read with its group's font from an earlier run, while the read went
    /// on ([`read_ahead`]); used when that font is the one decided for the run.
    ahead: Option<Box<Output>>,
    /// See [`Output::coded_across`].
    coded_across: Option<bool>,
    /// See [`Output::stretch_coded_across`].
    stretch_coded_across: Option<bool>,
}

impl Prepared {
    /// The file's output when its preparation came to no plan (an error before one, or
    /// keyframes with nothing to decode): no font can read it and no learning run uses it, so
    /// it is done (its text taken). Otherwise `None`: the preparation is for [`run_prepared`].
    pub fn finished(&mut self) -> Option<Output> {
        if self.plan.is_some() {
            return None;
        }
        Some(Output {
            decoded: self.decoded,
            note: self.note.take(),
            jump: None,
            habits: self.habits.take(),
            slice_habits: self.slice_habits.take(),
            keyframes: Vec::new(),
            stretch_at: None,
            coded_across: self.coded_across,
            stretch_coded_across: self.stretch_coded_across,
        })
    }
}

/// The first slice header of a keyframe's sample (as stored): its kind and QP when it is an
/// intra slice whose header reads that far. HEVC's kinds are `IDR`, `CRA`, `BLA` and `I`.
fn slice_of(plan: &Plan, sample: &[u8]) -> Option<h264::IntraSlice> {
    if plan.codec == keyplan::Codec::Hevc {
        let syntax = hevc::slice_syntax(plan.hevc_set(33)?, plan.hevc_set(34)?)?;
        let first = keyplan::nals(plan, sample)
            .find(|n| n.first().is_some_and(|&h| keyplan::is_slice(plan.codec, h)))?;
        let s = hevc::segment(first, &syntax)?;
        return Some(h264::IntraSlice {
            kind: s.kind(),
            qp: s.qp?,
        });
    }
    let (sps, pps) = plan.h264.as_ref()?;
    keyplan::nals(plan, sample)
        .find(|n| n.first().is_some_and(|h| matches!(h & 0x1f, 1 | 5)))
        .and_then(|n| h264::intra_slice(n, sps, pps))
}

/// Runs the stage over `inputs`, returning one output each, in order.
pub fn run(inputs: &[Input]) -> Vec<Output> {
    run_with(inputs, &BTreeMap::new()).0
}

/// The fonts a run used, by group: learned in it, or known before.
pub type Fonts = BTreeMap<String, Font>;

/// What a font that reads a group's display says of where and how its lines are found.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Display {
    /// Where the clock line stands: the group's keyframes are then searched only in that band
    /// of the picture, and decoded only down to it when it is the top band ([`prepare_in`]).
    pub rows: Option<(u32, u32)>,
    /// How its text is told from the scene.
    pub ink: Ink,
}

impl Display {
    pub fn of(font: &Font) -> Display {
        Display {
            rows: font.rows,
            ink: font.ink,
        }
    }
}

/// The display of a group as a known font that reads it says ([`Display`]); the default (no
/// rows, [`Ink::Edged`]) without one.
pub fn display_of(known: &Fonts, group: &str) -> Display {
    known
        .get(group)
        .filter(|f| usable(f))
        .map(Display::of)
        .unwrap_or_default()
}

/// A font that reads: all ten digits known (one missing a digit would read that digit as
/// whichever it resembles).
pub fn usable(f: &Font) -> bool {
    f.digits_known() == 10
}

/// Like [`run`], reading with the fonts `known` from earlier runs where they hold all ten
/// digits (those groups learn nothing), and returning the fonts learned in this run.
pub fn run_with(inputs: &[Input], known: &Fonts) -> (Vec<Output>, Fonts) {
    let prepared: Vec<Prepared> = inputs
        .par_iter()
        .map(|i| prepare_in(i, open(i), display_of(known, &i.group)))
        .collect();
    run_prepared(inputs, prepared, known, false)
}

/// Like [`run_with`], for files already [`prepare`]d (`prepared[i]` of `inputs[i]`), as the
/// scan does while it is still reading other files.
/// With `every`, each file's keyframes are all read, not only the first, the last and those
/// that place a jump.
pub fn run_prepared(
    inputs: &[Input],
    prepared: Vec<Prepared>,
    known: &Fonts,
    every: bool,
) -> (Vec<Output>, Fonts) {
    // Learn each group's digits from its files with the most keyframes.
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, inp) in inputs.iter().enumerate() {
        if prepared[i].plan.is_some() {
            groups.entry(inp.group.as_str()).or_default().push(i);
        }
    }
    let learned: Fonts = groups
        .par_iter()
        .filter_map(|(g, members)| {
            let font = learn_if_due(inputs, &prepared, members, known.get(*g))?;
            Some((g.to_string(), font))
        })
        .collect();
    let outputs = inputs
        .par_iter()
        .zip(prepared)
        .map(|(inp, p)| {
            let g = inp.group.as_str();
            let font = reading_font(learned.get(g), known.get(g));
            finish_decided(inp, p, font, is_known(font, known.get(g)), every)
        })
        .collect();
    (outputs, learned)
}

/// The font a group's files are read with: the one learned in the run if it reads, else the
/// one known before if it does; none otherwise.
pub fn reading_font<'a>(learned: Option<&'a Font>, known: Option<&'a Font>) -> Option<&'a Font> {
    learned
        .filter(|f| usable(f))
        .or(known.filter(|f| usable(f)))
}

/// Learns a group's font from its prepared files `members` (indices into `inputs` and
/// `prepared`, each with a plan) when it has no usable font `known` from earlier runs, or the
/// known one is due to be learned again: kept without its clock line's rows (by a run before
/// fonts had them), its display has moved, or it no longer reads the display (a firmware
/// update that changed the font); until that succeeds the known font still reads
/// ([`reading_font`]). `None` when nothing is learned; otherwise the font learned, usable or
/// not ([`Font::digits_known`]).
pub fn learn_if_due(
    inputs: &[Input],
    prepared: &[Prepared],
    members: &[usize],
    known: Option<&Font>,
) -> Option<Font> {
    let due = known.is_none_or(|f| {
        !usable(f)
            || f.rows.is_none_or(|rows| moved(rows, members, prepared))
            || unread(f, members, prepared)
    });
    if !due {
        return None;
    }
    let mut order = members.to_vec();
    order.sort_by_key(|&i| (std::cmp::Reverse(prepared[i].keyframes), &inputs[i].path));
    // Text edged with dark first (most displays); text brighter than the scene (a drop
    // shadow, plain text) when that teaches no font that reads. Only when neither does from
    // all its learning runs is a run left out ([`learn_group`]): a font from fewer runs is
    // the last resort, never taken over one that every run teaches in another ink.
    let (mut first, mut looks, mut tried) = (None, Vec::new(), Vec::new());
    for ink in Ink::ALL {
        let (font, runs) = learn_group(inputs, &order, ink, &mut looks);
        if usable(&font) {
            return Some(font);
        }
        tried.push((font.rows, ink, runs));
        first.get_or_insert(font);
    }
    for (rows, ink, runs) in tried {
        if let Some(font) = leaving_one_out(&runs) {
            return Some(Font { rows, ink, ..font });
        }
    }
    Some(first.unwrap_or_default())
}

/// A prepared file read with its group's font (none: its lines are not read): its ends' display
/// times, then the keyframes read inward from a weak end, those that place a jump, and with
/// `every` all the others.
pub fn finish(inp: &Input, p: Prepared, font: Option<&Font>, every: bool) -> Output {
    let font = font.filter(|f| usable(f));
    // Lines found one way are no use to a font that finds them the other: the file's ends are
    // searched again (a display learned as bright text, on the run that learned it).
    let p = match font {
        Some(f) if f.ink != p.ink && p.plan.is_some() => {
            let mut again = prepare_in(inp, open(inp), Display::of(f));
            again.decoded += p.decoded;
            again
        }
        _ => p,
    };
    let seen = |s: Option<(f64, Vec<Line>)>| {
        s.map(|(t_s, lines)| Seen {
            t_s,
            reading: font.and_then(|f| osd::read_lines(f, &lines)),
        })
    };
    let (first, last) = (seen(p.first), seen(p.last));
    let mut keyframes = Vec::new();
    if let Some(plan) = p.plan.as_ref() {
        let n = p.keyframes;
        let ends = [
            ("first", 0usize, first, p.slices[0], plan.sync.first()),
            (
                "last",
                n.saturating_sub(1),
                last,
                p.slices[1],
                plan.sync.last(),
            ),
        ];
        for (purpose, k, s, slice, sample) in ends {
            if let (Some(seen), Some(sample)) = (s, sample) {
                keyframes.push(Keyframe {
                    purpose,
                    sample: sample.number,
                    gop_index: k,
                    seen,
                    slice,
                });
            }
        }
    }
    let mut out = Output {
        decoded: p.decoded,
        note: p.note,
        jump: None,
        habits: p.habits,
        slice_habits: p.slice_habits,
        keyframes,
        stretch_at: None,
        coded_across: p.coded_across,
        stretch_coded_across: p.stretch_coded_across,
    };
    if let (Some(font), Some(_)) = (font, p.plan.as_ref()) {
        more::read_inward(inp, font, &mut out);
        let (jump, read) = find_jump(inp, font, &mut out);
        out.decoded += read.len() as u32;
        out.keyframes.extend(read);
        out.jump = jump;
        more::read_stretch(inp, font, &mut out);
        if every {
            read_every(inp, font, &mut out);
        }
    }
    out
}

/// Reads a prepared file with `font`, the usable font its group kept from an earlier run, and
/// keeps the output in it: the read of a night's files then does, on the processors the read
/// leaves idle while it waits for the disk, what the group's decision would otherwise leave
/// for after the read (the ends read, the keyframes read inward from a weak end, a jump placed,
/// with `every` every keyframe). Used only when the decision keeps that font
/// ([`finish_decided`]), so the output is the one [`finish`] would give then. Not done when
/// neither end shows a time with the font: a display the font no longer reads (a firmware
/// update) is learned again, and its inward reads would be wasted.
pub fn read_ahead(inp: &Input, p: &mut Prepared, font: &Font, every: bool) {
    if p.plan.is_none() || !usable(font) || p.ahead.is_some() {
        return;
    }
    let blank = |end: &Option<(f64, Vec<Line>)>| {
        end.as_ref()
            .is_none_or(|(_, lines)| shows_no_time(font, lines))
    };
    if blank(&p.first) && blank(&p.last) {
        return;
    }
    let out = finish(inp, p.clone(), Some(font), every);
    p.ahead = Some(Box::new(out));
}

/// [`finish`] with the group's decided `font`; `known` is whether that is the font the group
/// kept from an earlier run, with which the file may have been read already ([`read_ahead`]).
pub fn finish_decided(
    inp: &Input,
    mut p: Prepared,
    font: Option<&Font>,
    known: bool,
    every: bool,
) -> Output {
    match p.ahead.take() {
        Some(out) if known => *out,
        _ => finish(inp, p, font, every),
    }
}

/// Whether `decided` is the very font `known` (not a copy that reads alike): a group's decided
/// font is either the one learned in the run or the one it kept ([`reading_font`]).
pub fn is_known(decided: Option<&Font>, known: Option<&Font>) -> bool {
    matches!((decided, known), (Some(d), Some(k)) if std::ptr::eq(d, k))
}

/// A group's font learned from its files in `order` (most keyframes first), its lines found as
/// `ink` tells text: the default font when none reads its own runs back; and the learning runs
/// it came from.
fn learn_group(
    inputs: &[Input],
    order: &[usize],
    ink: Ink,
    looks: &mut Vec<Result<Look, String>>,
) -> (Font, Vec<Vec<Sighting>>) {
    let mut runs = Vec::new();
    let mut rows: Option<(u32, u32)> = None;
    let mut font = Font::default();
    // Two recordings teach more of the shapes a digit takes over different scenes than one; a
    // third is tried when the first two did not show every digit. Every run must find the
    // clock line where the first did (one display per group).
    for (k, &i) in order.iter().take(LEARNERS_MAX).enumerate() {
        if looks.len() <= k {
            looks.push(look(&inputs[i]));
        }
        let Some(Ok(look)) = looks.get(k) else {
            continue;
        };
        let Ok((at, run)) = learning_run(look, ink) else {
            continue;
        };
        if rows.is_some_and(|r| !osd::same_rows(r, at)) {
            continue;
        }
        rows.get_or_insert(at);
        runs.push(run);
        font = osd::learn(&runs);
        if runs.len() >= LEARNERS_ENOUGH && font.digits_known() == 10 {
            break;
        }
    }
    font = checked(font, &runs);
    font.rows = rows;
    font.ink = ink;
    (font, runs)
}

/// A font from all but one of a group's learning `runs`, when none passes with all of them: a
/// run that shows no honest clock (two recordings joined, among the recordings the group
/// learns from first) keeps the others from agreeing on any digit it labels otherwise. Each
/// run is left out in turn; the font is taken when exactly one of them leaves runs that teach
/// every digit and are read back as a clock.
fn leaving_one_out(runs: &[Vec<Sighting>]) -> Option<Font> {
    if runs.len() < 2 {
        return None;
    }
    let mut passing = (0..runs.len()).filter_map(|j| {
        let rest: Vec<Vec<Sighting>> = runs
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != j)
            .map(|(_, r)| r.clone())
            .collect();
        Some(checked(osd::learn(&rest), &rest)).filter(|f| f.digits_known() == 10)
    });
    match (passing.next(), passing.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// A font learned from `runs`, as the group may use it: its date's order decided
/// ([`osd::date_order`]), with the shapes its runs show of digits it did not read (`harvest`:
/// a font that reads too few of its pictures, the scene having changed how some digits are
/// cut, may then read them), used only if it reads its own footage back as a clock, with those
/// shapes or without them; else no font.
fn checked(font: Font, runs: &[Vec<Sighting>]) -> Font {
    if font.digits_known() < 10 {
        return font;
    }
    // The order of the date's numbers first: harvesting names the digits the clock shows at
    // each place of the date.
    // No digit but `1` on a shape that is one stroke (`osd::without_strokes`).
    let font = osd::date_order(osd::without_strokes(font), runs);
    let more = osd::without_strokes(osd::harvest(&font, runs));
    if osd::reads_back(&more, runs) {
        more
    } else if osd::reads_back(&font, runs) {
        font
    } else {
        Font::default()
    }
}

/// Whether a group's display has moved from the font's `rows` (a firmware update that puts
/// the clock elsewhere): of the group's files in this run whose first keyframe shows any line,
/// most show none at those rows. Such pictures are searched whole ([`prepare_in`]), so the
/// lines seen are the whole picture's; a picture with no line at all (the lens covered, a
/// dark scene) says nothing either way.
fn moved(rows: (u32, u32), members: &[usize], prepared: &[Prepared]) -> bool {
    let shown = first_lines(members, prepared);
    let away = shown
        .iter()
        .filter(|lines| osd::on_rows(lines, rows).is_none())
        .count();
    away * 2 > shown.len()
}

/// The lines of each of a group's files' first keyframe, for the files that show any.
fn first_lines<'a>(members: &[usize], prepared: &'a [Prepared]) -> Vec<&'a [Line]> {
    members
        .iter()
        .filter_map(|&i| prepared.get(i)?.first.as_ref())
        .map(|(_, lines)| lines.as_slice())
        .filter(|lines| !lines.is_empty())
        .collect()
}

/// Whether a picture's `lines`, read with `font`, give no date and time.
fn shows_no_time(font: &Font, lines: &[Line]) -> bool {
    osd::read_lines(font, lines).is_none_or(|r| r.civil_s.is_none())
}

/// Whether a font no longer reads its group's display: of the group's files in this run whose
/// first keyframe shows any line, most give no date and time with it (a firmware update that
/// changed the display's font; a scene that spoils one picture's glyphs spoils few of a run's
/// files at once).
fn unread(font: &Font, members: &[usize], prepared: &[Prepared]) -> bool {
    let shown = first_lines(members, prepared);
    let blank = shown
        .iter()
        .filter(|lines| shows_no_time(font, lines))
        .count();
    blank * 2 > shown.len()
}

/// Where a file's displayed clock jumps against its own timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct Jump {
    /// Display time minus file time after the jump, minus the same before it: seconds.
    pub by_s: f64,
    /// Time in the file of the first keyframe read after the jump.
    pub at_s: f64,
    /// The weakest reading the jump rests on: of every keyframe read for the file that shows
    /// its side's offset (those before the jump the old, those after it the new), at 0.5 or
    /// more (the stage places a jump only from such readings); the OSD rules take the jump
    /// only when this reaches `osd_min_confidence`.
    pub confidence: f32,
    /// Whether the clock stepped inside the group of pictures before the keyframe after the
    /// jump, pictures before that keyframe showing the new time already (`true`: the clock was
    /// set while the recorder recorded: footage joined by stream copy begins at a keyframe), or
    /// only at it (`false`); `None` when not looked at or the pictures did not tell
    /// ([`more::stepped_inside_gop`]).
    pub inside_gop: Option<bool>,
    /// Pictures decoded to tell it (counted in [`Output::decoded`]).
    pub group_decoded: u32,
}

/// Where a file says where its pictures are ([`Index`]): an ISO BMFF file's `moov` box, found
/// by its top-level box headers alone, or an AVI's header list and index, found by its RIFF
/// chunk headers alone. `Ok(None)` when the file has neither among its first
/// [`TOP_BOXES_MAX`] boxes or chunks; an error when it does not open.
pub fn find_index(path: &std::path::Path) -> std::io::Result<Option<Index>> {
    Ok(index_in(&crate::read::open_noatime(path)?))
}

/// [`find_index`] in a file already open.
pub fn index_in(f: &File) -> Option<Index> {
    let mut head = [0u8; 12];
    if f.read_exact_at(&mut head, 0).is_ok() && &head[..4] == b"RIFF" && &head[8..] == b"AVI " {
        let riff = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        return avi_index(f, riff);
    }
    top_boxes(f, TOP_BOXES_MAX)
        .find(|(typ, _, _)| typ == b"moov")
        .map(|(_, at, size)| Index::Moov(at, size))
}

/// An AVI's `hdrl`, `movi` and `idx1` from the chunk headers of its first RIFF form (`riff`
/// bytes, as its header says). An OpenDML file larger than that form (an `AVIX` form after
/// it) keeps its later pictures in the standard indexes its video stream's super index
/// names: without one it is not planned (`None`) rather than planned in part from `idx1`.
fn avi_index(f: &File, riff: u64) -> Option<Index> {
    let len = f.metadata().ok()?.len();
    let (mut hdrl, mut movi, mut idx1) = (None, None, None);
    let mut at = 12u64;
    for _ in 0..TOP_BOXES_MAX {
        let mut h = [0u8; 12];
        if f.read_exact_at(&mut h[..8], at).is_err() {
            break;
        }
        let size = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
        if at + 8 + size > len {
            break;
        }
        match &h[..4] {
            b"LIST" => {
                f.read_exact_at(&mut h[8..], at + 8).ok()?;
                match &h[8..] {
                    b"hdrl" => hdrl = Some((at, size + 8)),
                    b"movi" => movi = Some(at + 8),
                    _ => {}
                }
            }
            b"idx1" => idx1 = Some((at, size + 8)),
            _ => {}
        }
        at += 8 + size + (size & 1);
    }
    let (hdrl, movi) = (hdrl?, movi?);
    let mut next = [0u8; 12];
    let extended =
        f.read_exact_at(&mut next, 8 + riff + (riff & 1)).is_ok() && &next[8..] == b"AVIX";
    // Only where `idx1` cannot serve does the header list say whether the file is planned.
    if extended || idx1.is_none() {
        let indexed = (12..=MOOV_MAX).contains(&hdrl.1)
            && read_at(f, hdrl.0, hdrl.1, "AVI header list")
                .ok()
                .and_then(|h| keyplan::avi_standard_indexes(&h[12..]))
                .is_some();
        if !indexed {
            return None;
        }
    }
    Some(Index::Avi { hdrl, idx1, movi })
}

/// Top-level boxes looked through for `moov`.
const TOP_BOXES_MAX: usize = 1024;
/// Top-level boxes looked through for the movie fragments of a fragmented file (a fragment
/// and its `mdat` a keyframe, a day's recording at a keyframe a second), and the largest
/// fragment box read.
const FRAGMENT_BOXES_MAX: usize = 4 * keyplan::SYNC_MAX;
const MOOF_MAX: u64 = 4 << 20;

/// The top-level box headers of a file in order, up to `max`: each box's type, offset and
/// size (a box that runs past the end of the file ends the walk).
fn top_boxes(f: &File, max: usize) -> impl Iterator<Item = ([u8; 4], u64, u64)> + '_ {
    let len = f.metadata().map_or(0, |m| m.len());
    let mut at = 0u64;
    std::iter::from_fn(move || {
        let mut h = [0u8; 16];
        let got = f.read_at(&mut h, at).ok()?;
        if got < 8 {
            return None;
        }
        let size32 = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
        let size = match size32 {
            0 => len - at,
            1 if got >= 16 => {
                u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]])
            }
            n => n,
        };
        if size < 8 || at.checked_add(size)? > len {
            return None;
        }
        let typ = [h[4], h[5], h[6], h[7]];
        let found = (typ, at, size);
        at += size;
        Some(found)
    })
    .take(max)
}

/// Completes a fragmented file's plan from its movie fragments (`moof` boxes), read one by
/// one; the `mdat` between them is never read here.
fn add_fragments(f: &File, plan: &mut Plan) -> Result<(), String> {
    for (typ, at, size) in top_boxes(f, FRAGMENT_BOXES_MAX) {
        if &typ != b"moof" {
            continue;
        }
        if size > MOOF_MAX {
            return Err(format!(
                "movie fragment at offset {at} of {size} bytes is not read for keyframes"
            ));
        }
        let moof = read_at(f, at, size, "movie fragment")?;
        if !keyplan::add_fragment(plan, at, body(&moof)) {
            break;
        }
    }
    plan.fragments = None;
    // A recording cut off by a power cut (what fragments are written for) ends in a fragment
    // whose data the file does not hold: its keyframes are not there to read.
    let len = f.metadata().map_or(0, |m| m.len());
    let held = |s: &Sample| s.offset.saturating_add(u64::from(s.size)) <= len;
    plan.sync.retain(held);
    plan.lead.retain(held);
    if plan.sync.is_empty() {
        return Err("a fragmented file whose fragments hold no keyframe of its video track".into());
    }
    Ok(())
}

/// A whole top-level box's body: after its 8-byte header, or 16 when a 64-bit size follows.
fn body(bx: &[u8]) -> &[u8] {
    let header = if bx.get(..4) == Some(&[0, 0, 0, 1]) {
        16
    } else {
        8
    };
    bx.get(header..).unwrap_or(&[])
}

fn open(input: &Input) -> Result<File, String> {
    crate::read::open_noatime(&input.path)
        .map_err(|e| format!("{}: cannot open for keyframes: {e}", input.path.display()))
}

fn read_at(f: &File, offset: u64, len: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; len as usize];
    f.read_exact_at(&mut buf, offset)
        .map_err(|e| format!("{what} at offset {offset} ({len} bytes) cannot be read: {e}"))?;
    Ok(buf)
}

/// The plan of a file from its index: its `moov` box, or an AVI's header list and `idx1`, or
/// what the read pass noted of a transport stream; its sync samples those that decode alone
/// where the index marks every picture one ([`sync_from_slices`]).
fn plan_of(f: &File, input: &Input) -> Result<Plan, String> {
    let mut plan = indexed_plan(f, input)?;
    sync_from_slices(f, &mut plan)?;
    Ok(plan)
}

/// Bytes of a sample read first for its first slice header: enough past an access unit
/// delimiter, parameter sets and a short SEI; a sample whose first slice begins later is read
/// whole.
const HEAD_BYTES: u32 = 512;

/// An index that marks every picture a sync sample (an MP4 without a sync-sample table, an
/// AVI whose every frame is flagged a keyframe, a transport stream flagging every picture a
/// random-access point) does not say where pictures decode alone: its sync samples are then
/// those whose first slice says they do ([`keyplan::slice_decodes_alone`]), each looked at
/// from its first bytes (at most [`keyplan::SYNC_MAX`] pictures, as the index gives).
fn sync_from_slices(f: &File, plan: &mut Plan) -> Result<(), String> {
    let dense = plan.sync.len() > 2 && plan.sync.windows(2).all(|w| w[1].number == w[0].number + 1);
    if !dense {
        return Ok(());
    }
    let mut kept = Vec::new();
    // Bytes read so far: a hostile index may point every picture at the same large span.
    let mut read = 0u64;
    for s in &plan.sync {
        if read > DENSE_BYTES_MAX {
            return Err(format!(
                "every picture is a sync sample, and finding the keyframes took more than {} MiB of reading",
                DENSE_BYTES_MAX >> 20
            ));
        }
        let (mut bytes, whole) = sample_head(f, plan, s)?;
        read += bytes.len() as u64;
        let has_slice = keyplan::nals(plan, &bytes)
            .any(|n| n.first().is_some_and(|&h| keyplan::is_slice(plan.codec, h)));
        if !whole && !has_slice {
            read += u64::from(s.size);
            bytes = sample_bytes(f, plan, s)?;
        }
        if keyplan::decodes_alone(plan, keyplan::nals(plan, &bytes)) {
            kept.push(*s);
        }
    }
    plan.sync = kept;
    Ok(())
}

/// Most bytes [`sync_from_slices`] reads for one file (a ten-minute 1080p recording's heads
/// are some 8 MB; pictures read whole where a long SEI comes first add their size).
const DENSE_BYTES_MAX: u64 = 256 << 20;

/// Transport stream packets of a picture read first for its first slice header.
const HEAD_PACKETS: u32 = 8;

/// A sample's bytes as read from the file, as [`keyplan::nals`] reads them: a transport or program
/// stream's span of packets taken apart ([`keyplan::ts_payload`], [`ps::payload`]), any other as
/// stored.
pub(super) fn unpacked<'a>(
    plan: &Plan,
    stored: std::borrow::Cow<'a, [u8]>,
) -> std::borrow::Cow<'a, [u8]> {
    match plan.packets {
        Some(keyplan::Packing::Ts(packets)) => {
            std::borrow::Cow::Owned(keyplan::ts_payload(&stored, packets))
        }
        Some(keyplan::Packing::Ps(stream)) => {
            std::borrow::Cow::Owned(crate::media::ps::payload(&stored, stream, plan.codec))
        }
        None => stored,
    }
}

/// Bytes of a program stream's picture read first for its first slice header (its PES
/// header, and a muxer's packet of 2,048 bytes whole).
const HEAD_PS_BYTES: u32 = 4096;

/// The first bytes of sample `s` ([`HEAD_BYTES`]; a transport stream's first
/// [`HEAD_PACKETS`] packets, a program stream's first [`HEAD_PS_BYTES`], taken apart), and
/// whether they are the whole sample.
fn sample_head(f: &File, plan: &Plan, s: &Sample) -> Result<(Vec<u8>, bool), String> {
    let most = match plan.packets {
        Some(keyplan::Packing::Ts(p)) => HEAD_PACKETS * p.size as u32,
        Some(keyplan::Packing::Ps(_)) => HEAD_PS_BYTES,
        None => HEAD_BYTES,
    };
    if s.size <= most {
        return Ok((sample_bytes(f, plan, s)?, true));
    }
    let stored = read_at(f, s.offset, u64::from(most), "sample head")?;
    Ok((unpacked(plan, stored.into()).into_owned(), false))
}

fn indexed_plan(f: &File, input: &Input) -> Result<Plan, String> {
    let (offset, size) = match input.index {
        Index::Moov(offset, size) => (offset, size),
        Index::Avi { hdrl, idx1, movi } => return avi_plan_of(f, hdrl, idx1, movi),
        Index::Noted(ref noted) => return noted_plan_of(f, noted),
    };
    if !(8..=MOOV_MAX).contains(&size) {
        return Err(format!(
            "moov box of {size} bytes is not read for keyframes"
        ));
    }
    let moov = read_at(f, offset, size, "moov box")?;
    let mut plan = keyplan::plan(body(&moov), keyplan::LEAD_MAX)
        .ok_or_else(|| "no H.264 video track with a usable sample table".to_string())?;
    if plan.fragments.is_some() {
        add_fragments(f, &mut plan)?;
    }
    Ok(plan)
}

/// An AVI's plan from its `hdrl` list and its video stream's OpenDML indexes, else its
/// `idx1` chunk, its parameter sets taken from its first keyframe when the stream format holds
/// none.
fn avi_plan_of(
    f: &File,
    hdrl: (u64, u64),
    idx1: Option<(u64, u64)>,
    movi: u64,
) -> Result<Plan, String> {
    if !(12..=MOOV_MAX).contains(&hdrl.1) {
        return Err(format!(
            "AVI header list of {} bytes is not read for keyframes",
            hdrl.1
        ));
    }
    let head = read_at(f, hdrl.0, hdrl.1, "AVI header list")?;
    let mut plan = match keyplan::avi_standard_indexes(&head[12..]) {
        Some(standard) => odml_plan_of(f, &head[12..], &standard)?,
        None => {
            let idx1 = idx1.ok_or("an AVI with neither an idx1 index nor OpenDML indexes")?;
            let idx1_max = 16 * keyplan::AVI_ENTRIES_MAX as u64 + 8;
            if !(8..=idx1_max).contains(&idx1.1) {
                return Err(format!(
                    "AVI index of {} bytes is not read for keyframes",
                    idx1.1
                ));
            }
            let index = read_at(f, idx1.0, idx1.1, "AVI index")?;
            keyplan::avi_plan(&head[12..], &index[8..], movi, keyplan::LEAD_MAX)
                .ok_or_else(|| "no H.264 video stream with a usable AVI index".to_string())?
        }
    };
    params_in_band(f, &mut plan)?;
    Ok(plan)
}

/// An OpenDML AVI's plan from the standard indexes (`ix##` chunks) its super index names,
/// each read whole as its own chunk header sizes it; at most 8 bytes a frame and a header
/// each.
fn odml_plan_of(f: &File, hdrl: &[u8], standard: &[u64]) -> Result<Plan, String> {
    let most = 8 * keyplan::AVI_ENTRIES_MAX as u64 + 24;
    let mut total = 0u64;
    let mut bodies = Vec::with_capacity(standard.len());
    for &at in standard {
        let header = read_at(f, at, 8, "AVI standard index")?;
        let size = u64::from(u32::from_le_bytes([
            header[4], header[5], header[6], header[7],
        ]));
        total += size;
        if &header[..2] != b"ix" || !(24..=most).contains(&size) || total > most {
            return Err(format!(
                "AVI standard index at offset {at} ({} of {size} bytes) is not read for keyframes",
                String::from_utf8_lossy(&header[..4])
            ));
        }
        bodies.push(read_at(f, at + 8, size, "AVI standard index")?);
    }
    let bodies: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    keyplan::avi_plan_indexed(hdrl, &bodies, keyplan::LEAD_MAX)
        .ok_or_else(|| "no H.264 video stream with usable OpenDML indexes".to_string())
}

/// The plan of the pictures the read noted, its parameter sets found in band where the
/// container gave none ([`params_in_band`]).
pub(super) fn noted_plan_of(f: &File, noted: &keyplan::Noted) -> Result<Plan, String> {
    let mut plan = keyplan::noted_plan(noted);
    params_in_band(f, &mut plan)?;
    Ok(plan)
}

/// Keyframes looked in for parameter sets when the container holds none.
const PARAMS_KEYFRAMES: usize = 4;

/// A plan's parameter sets, when its container gave none, from the first of its first
/// [`PARAMS_KEYFRAMES`] keyframes that carries them (a segment cut from a longer stream may
/// begin at a keyframe without them). The first keyframe that cannot be read ends the search
/// with its error when no set was found before it.
pub(super) fn params_in_band(f: &File, plan: &mut Plan) -> Result<(), String> {
    let keys: Vec<Sample> = plan.sync.iter().take(PARAMS_KEYFRAMES).copied().collect();
    for s in keys {
        if !plan.params.is_empty() {
            break;
        }
        let bytes = sample_bytes(f, plan, &s)?;
        keyplan::params_in_band(plan, &bytes);
    }
    Ok(())
}

fn picture(f: &File, plan: &Plan, s: &Sample, with_params: bool) -> Result<Vec<u8>, String> {
    let bytes = sample_bytes(f, plan, s)?;
    Ok(keyplan::annex_b(plan, &bytes, with_params))
}

/// A keyframe read for decoding.
struct Key {
    /// Its access unit in Annex B, parameter sets first.
    unit: Vec<u8>,
    /// Its first slice header (H.264).
    slice: Option<h264::IntraSlice>,
    /// Whether it holds a coded slice at all.
    coded: bool,
}

/// Reads sync sample `s` once and takes from the bytes as stored what the stage wants of a
/// keyframe.
fn keyframe(f: &File, plan: &Plan, s: &Sample) -> Result<Key, String> {
    let raw = sample_bytes(f, plan, s)?;
    Ok(Key {
        slice: slice_of(plan, &raw),
        coded: keyplan::nals(plan, &raw)
            .any(|n| n.first().is_some_and(|&h| keyplan::is_slice(plan.codec, h))),
        unit: keyplan::annex_b(plan, &raw, true),
    })
}

/// Most NAL unit headers [`no_slice_by_headers`] reads of one sample before it leaves the
/// question to the whole sample's read.
const HEADERS_MAX: usize = 32;

/// Whether sample `s`, length-prefixed NAL units as an MP4 stores them, holds no coded slice,
/// told from each unit's length prefix and header byte (read a few bytes at a time, walking
/// the prefixes as [`keyplan::nals`] does): `Some(true)` for none, `Some(false)` for one;
/// `None` where it cannot tell so cheaply (Annex B, a transport stream's packets, more than
/// [`HEADERS_MAX`] units, an odd prefix length, a sample too large to decode, or its last byte
/// not in the file, which the whole read reports as it always has).
fn no_slice_by_headers(f: &File, plan: &Plan, s: &Sample) -> Option<bool> {
    if plan.annex_b
        || plan.packets.is_some()
        || ![1, 2, 4].contains(&plan.nal_len)
        || s.size > PICTURE_MAX
        || s.size == 0
    {
        return None;
    }
    read_at(f, s.offset + u64::from(s.size) - 1, 1, "").ok()?;
    let size = u64::from(s.size);
    let prefix = plan.nal_len as u64;
    let mut at = 0u64;
    for _ in 0..HEADERS_MAX {
        let left = size - at;
        if left < prefix.max(1) {
            return Some(true);
        }
        let head = read_at(f, s.offset + at, (prefix + 1).min(left), "").ok()?;
        let len = head[..plan.nal_len]
            .iter()
            .fold(0u64, |v, &b| (v << 8) | u64::from(b));
        let body = len.min(left - prefix);
        if body > 0
            && head
                .get(plan.nal_len)
                .is_some_and(|&h| keyplan::is_slice(plan.codec, h))
        {
            return Some(false);
        }
        at += prefix + body;
    }
    None
}

/// A sample's bytes as stored (length-prefixed NAL units; Annex B in an AVI), a transport
/// stream's taken out of their packets.
fn sample_bytes(f: &File, plan: &Plan, s: &Sample) -> Result<Vec<u8>, String> {
    if s.size > PICTURE_MAX {
        return Err(format!(
            "sample {} of {} bytes is too large to decode",
            s.number, s.size
        ));
    }
    let bytes = read_at(
        f,
        s.offset,
        u64::from(s.size),
        &format!("sample {}", s.number),
    )?;
    Ok(unpacked(plan, bytes.into()).into_owned())
}

fn budget(pictures: usize) -> Duration {
    Duration::from_millis(2_000 + 300 * pictures as u64)
}

/// The part of the stage that needs no font, for one file: its `moov` read and planned, its
/// slice habits, its first and last keyframe decoded and their display lines found. Independent
/// of every other file, so it can run as soon as the file is read.
pub fn prepare(input: &Input) -> Prepared {
    prepare_in(input, open(input), Display::default())
}

/// [`prepare`] with the file already opened (the scan opens it once to find its `moov` and
/// prepare it), and its group's display as a known font says ([`display_of`]).
pub fn prepare_in(input: &Input, opened: Result<File, String>, display: Display) -> Prepared {
    let rows = display.rows;
    let mut out = Prepared {
        ink: display.ink,
        plan: None,
        keyframes: 0,
        first: None,
        last: None,
        slices: [None, None],
        slice_habits: None,
        habits: None,
        decoded: 0,
        note: None,
        ahead: None,
        coded_across: None,
        stretch_coded_across: None,
    };
    let result = (|| -> Result<(), String> {
        let f = opened?;
        out.coded_across = input
            .seams
            .jump
            .and_then(|n| across::coded_across(&f, input, n));
        out.stretch_coded_across = input
            .seams
            .stretch
            .and_then(|edges| across::stretch_coded_across(&f, input, edges));
        let plan = plan_of(&f, input)?;
        out.habits = habits(&plan);
        decode::check_size(plan.codec, &plan.params).map_err(|e| e.to_string())?;
        let mut picks: Vec<Sample> = plan.sync.first().copied().into_iter().collect();
        if let Some(&l) = plan.sync.last()
            && plan.sync.len() > 1
        {
            picks.push(l);
        }
        // Keyframes without a coded slice (filler where pictures should be: a preallocated
        // file's zeros, an encoder's padding units) are told from their units' headers alone,
        // a few bytes each, rather than read whole and then found empty (below).
        if picks
            .iter()
            .all(|s| no_slice_by_headers(&f, &plan, s) == Some(true))
        {
            return Err("the keyframes hold no coded slice: nothing to decode".into());
        }
        let keys = match picks
            .iter()
            .map(|s| keyframe(&f, &plan, s))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(keys) => keys,
            Err(e) => {
                // A keyframe cut off (a truncated file): its first pictures still tell.
                out.slice_habits = slices::slice_habits(&f, &plan);
                return Err(e);
            }
        };
        // Keyframes without a coded slice (filler where pictures should be) are not decoded:
        // the decoder would find nothing in them, at the cost of a hand-over to its thread.
        if !keys.iter().any(|k| k.coded) {
            return Err("the keyframes hold no coded slice: nothing to decode".into());
        }
        // After that check: filler has no slices to describe, and the first pictures are the
        // largest read of the stage.
        out.slice_habits = slices::slice_habits(&f, &plan);
        let (units, slices): (Vec<Vec<u8>>, Vec<_>) =
            keys.into_iter().map(|k| (k.unit, k.slice)).unzip();
        for (k, s) in slices.into_iter().enumerate().take(2) {
            out.slices[k] = s;
        }
        let (lines, decoded, err) = keyframe_lines(&plan, &units, rows, display.ink);
        out.decoded = decoded;
        let mut lines = lines
            .into_iter()
            .zip(&picks)
            .map(|(line, s)| (plan.seconds(s), held(line, rows)));
        out.first = lines.next();
        out.last = lines.next();
        // Kept until every file of the run is read, so kept small: not the lead samples (a
        // thousand a file, wanted by the habits read above and by a learning run, which plans
        // its file again), nor the keyframes between the first and the last (32 bytes each,
        // 600 in ten minutes; wanted only by a file read further, which plans again).
        let mut plan = plan;
        plan.lead = Vec::new();
        out.keyframes = plan.sync.len();
        if plan.sync.len() > 2 {
            let last = plan.sync.len() - 1;
            plan.sync.drain(1..last);
        }
        plan.sync.shrink_to_fit();
        out.plan = Some(plan);
        match err {
            Some(e) => Err(e.to_string()),
            None => Ok(()),
        }
    })();
    if let Err(e) = result {
        out.note = Some(e);
    }
    out
}

/// A picture's lines as a prepared file keeps them until every file of the run is read (some
/// 1.5 KB a line of thirty glyphs, and a picture may hold several): with the group's clock
/// rows known, only the line standing there, which is all [`osd::read_lines`], [`moved`] and
/// [`unread`] look at when it is there (when it is not, every line, for the line showing a
/// time); each line's lists no longer than they are.
fn held(lines: Vec<Line>, rows: Option<(u32, u32)>) -> Vec<Line> {
    let mut kept = match rows.and_then(|r| osd::on_rows(&lines, r)) {
        Some(line) => vec![line.clone()],
        None => lines,
    };
    for l in &mut kept {
        l.glyphs.shrink_to_fit();
        l.spaced.shrink_to_fit();
    }
    kept.shrink_to_fit();
    kept
}

/// The learning run of one file: its keyframes up to [`LEARN_S`], then every picture between
/// the two keyframes where the tens of seconds change (one picture kept each
/// [`LEAD_STEP_S`]), so that the seconds digit is seen to roll over. When the keyframes do not
/// show where the tens change, the first [`LEAD_S`] seconds picture by picture instead.
///
/// A display may have several lines; the clock's is the one whose glyphs behave as a clock.
/// The places where lines stand in the keyframes are tried, those in most pictures first
/// ([`TRACKS_MAX`]): the first whose pictures show the tens change and teach all ten digits
/// is the clock line. Returns its rows and the run's pictures of it.
fn learning_run(look: &Look, ink: Ink) -> Result<((u32, u32), Vec<Sighting>), String> {
    let (f, plan, start) = (&look.file, &look.plan, look.start);
    let mut seen = look.seen[ink as usize].clone();
    let tracks: Vec<(u32, u32)> = osd::tracks(seen.iter().map(|(_, l)| l.as_slice()))
        .into_iter()
        .take(TRACKS_MAX)
        .map(|(rows, _)| rows)
        .collect();
    let Some(&most) = tracks.first() else {
        return Err("no display line in the first keyframes".into());
    };
    let teaches = |run: &Vec<Sighting>| osd::learn(std::slice::from_ref(run)).digits_known() == 10;
    // The pictures to decode one after another: from the keyframe before the tens change to the
    // one after it; when that does not show every digit (keyframes two seconds apart show
    // only odd or only even seconds), or the change is not seen, the first seconds of the file.
    for &rows in &tracks {
        let run = on_track(&seen, rows);
        if let Some((from, until)) = osd::tens_change(&run) {
            let mut with_window = run;
            with_window.extend(on_track(&consecutive(f, plan, from, until, ink)?, rows));
            with_window.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
            if teaches(&with_window) {
                return Ok((rows, with_window));
            }
        }
    }
    seen.extend(consecutive(f, plan, start, start + LEAD_S, ink)?);
    seen.sort_by(|a, b| a.0.total_cmp(&b.0));
    for &rows in &tracks {
        let run = on_track(&seen, rows);
        if teaches(&run) {
            return Ok((rows, run));
        }
    }
    // No line teaches every digit alone: the one in most pictures, for learning with the
    // model's other runs.
    Ok((most, on_track(&seen, most)))
}

/// A file's first keyframes for its learning runs ([`LEARN_S`]): decoded once, their lines
/// found as each [`Ink`] tells text, so that a display learned as bright text after edged text
/// taught nothing costs no second decoding of them.
struct Look {
    file: File,
    /// Planned again: the prepared plans keep no lead samples (see [`prepare`]).
    plan: Plan,
    start: f64,
    /// Per ink, in the order of [`Ink::ALL`] (`ink as usize`): each keyframe's time and lines.
    seen: Vec<Vec<(f64, Vec<Line>)>>,
}

fn look(input: &Input) -> Result<Look, String> {
    let file = open(input)?;
    let plan = plan_of(&file, input)?;
    let start = plan
        .sync
        .first()
        .map(|s| plan.seconds(s))
        .ok_or("no keyframe")?;
    let mut keys: Vec<&Sample> = Vec::new();
    let mut units = Vec::new();
    for s in plan
        .sync
        .iter()
        .filter(|s| plan.seconds(s) - start <= LEARN_S)
    {
        // Only pictures that decode alone (see `keyplan::slice_decodes_alone`).
        let unit = picture(&file, &plan, s, true)?;
        if keyplan::unit_decodes_alone(&plan, &unit) {
            keys.push(s);
            units.push((unit, true));
        }
    }
    let (pics, _) = decode::decode_run(plan.codec, units, budget(keys.len()));
    // Every ink's lines at once: the pictures are not kept (a group that learns nothing, a
    // device whose recordings show no display, tries every ink on every night's files;
    // decoding its keyframes again for the last ink cost more than looking for it now).
    let seen = Ink::ALL
        .iter()
        .map(|&ink| {
            pics.iter()
                .zip(&keys)
                .map(|(p, s)| {
                    (
                        plan.seconds(s),
                        p.as_ref().map(|p| lines_of(p, ink)).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .collect();
    Ok(Look {
        file,
        plan,
        start,
        seen,
    })
}

/// A run's pictures, each with its line at `rows` (if any).
fn on_track(seen: &[(f64, Vec<Line>)], rows: (u32, u32)) -> Vec<Sighting> {
    seen.iter()
        .map(|(t_s, lines)| Sighting {
            t_s: *t_s,
            line: osd::on_rows(lines, rows).cloned(),
        })
        .collect()
}

/// The pictures from the keyframe at `from` until the keyframe at `until` (or `until` itself),
/// decoded one after another, one kept each [`LEAD_STEP_S`] of presentation time.
fn consecutive(
    f: &File,
    plan: &Plan,
    from: f64,
    until: f64,
    ink: Ink,
) -> Result<Vec<(f64, Vec<Line>)>, String> {
    let is_key = |s: &Sample| {
        plan.sync
            .binary_search_by_key(&s.number, |k| k.number)
            .is_ok()
    };
    let Some(first) = plan
        .lead
        .iter()
        .position(|s| (plan.seconds(s) - from).abs() < 1e-6 && is_key(s))
    else {
        return Ok(Vec::new());
    };
    let mut units = Vec::new();
    let mut times: Vec<f64> = Vec::new();
    // Decoded from a picture that decodes alone, or not at all.
    let mut starts = picture(f, plan, &plan.lead[first], true)?;
    if !keyplan::unit_decodes_alone(plan, &starts) {
        return Ok(Vec::new());
    }
    for (k, s) in plan.lead[first..].iter().enumerate() {
        let t = plan.seconds(s);
        let is_key = is_key(s);
        if k > 0 && is_key && t >= until - 1e-6 {
            break;
        }
        if t > until + 1.0 {
            break;
        }
        // Pictures come in decoding order: one kept each step of presentation time.
        let keep = k > 0 && !is_key && times.iter().all(|&u| (u - t).abs() >= LEAD_STEP_S * 0.8);
        if keep {
            times.push(t);
        }
        let unit = if k == 0 {
            std::mem::take(&mut starts)
        } else {
            picture(f, plan, s, false)?
        };
        units.push((unit, keep));
    }
    let n = units.len();
    let (pics, _) = decode::decode_run(plan.codec, units, budget(n));
    Ok(pics
        .iter()
        .zip(times)
        .map(|(p, t_s)| {
            (
                t_s,
                p.as_ref().map(|p| lines_of(p, ink)).unwrap_or_default(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyframe of `purpose` at place `k` (a second apart), showing 10:00:00 + k at
    /// `confidence`, or no time.
    fn kf(purpose: &'static str, k: usize, confidence: Option<f32>) -> Keyframe {
        Keyframe {
            purpose,
            sample: k as u64 * 25 + 1,
            gop_index: k,
            seen: Seen {
                t_s: k as f64,
                reading: Some(osd::Reading {
                    text: String::new(),
                    civil_s: confidence.map(|_| 36_000 + k as i64),
                    rest: String::new(),
                    rest_sure: String::new(),
                    confidence: confidence.unwrap_or(0.0),
                }),
            },
            slice: None,
        }
    }

    #[test]
    fn an_end_read_only_weakly_is_taken_from_its_first_stand_in_with_a_time() {
        // The first keyframe shows no time; the three after it read at 0.47 only; the last
        // reads well.
        let mut out = Output {
            keyframes: vec![
                kf("first", 0, None),
                kf("last", 19, Some(1.0)),
                kf("inward", 1, Some(0.47)),
                kf("inward", 2, Some(0.47)),
                kf("inward", 3, Some(0.47)),
            ],
            ..Default::default()
        };
        let start = |o: &Output| o.first().and_then(|s| s.shown_offset());
        assert_eq!(start(&out), Some(36_000.0), "the weak stand-in's time");
        // One that reads well among them is taken first.
        out.keyframes[3] = kf("inward", 2, Some(0.9));
        assert_eq!(out.first().map(|s| s.t_s), Some(2.0));
        // Nothing read with a time: the end as it is (no time).
        out.keyframes.truncate(2);
        assert_eq!(start(&out), None);
        // An end with a weak time keeps it.
        out.keyframes[0] = kf("first", 0, Some(0.3));
        assert_eq!(out.first().map(|s| s.t_s), Some(0.0));
    }

    #[test]
    fn a_dense_index_pointing_every_picture_at_one_large_span_is_read_within_a_bound() {
        // 1,000 "sync samples" of 1 MiB each, all at offset 0 of a 1 MiB file of zeros (no
        // slice in any picture's head): each would be read whole, a gigabyte in all.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("dense.mp4");
        std::fs::write(&path, vec![0u8; 1 << 20]).expect("write");
        let f = File::open(&path).expect("open");
        let mut plan = Plan {
            nal_len: 4,
            timescale: 25,
            sync: (1..=1000)
                .map(|n| Sample {
                    number: n,
                    offset: 0,
                    size: 1 << 20,
                    ticks: n,
                })
                .collect(),
            ..Plan::default()
        };
        let err = sync_from_slices(&f, &mut plan).expect_err("bounded");
        assert!(err.contains("more than 256 MiB"), "{err}");
        // A sparse index is left as it is, unread.
        let mut sparse = Plan {
            sync: vec![sample(1, 0), sample(26, 25)],
            ..Plan::default()
        };
        sync_from_slices(&f, &mut sparse).expect("nothing read");
        assert_eq!(sparse.sync.len(), 2);
    }

    /// Fixture `rel` (below `tests/fixtures`) opened and planned as the stage plans it.
    fn planned(rel: &str) -> (File, Plan) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel);
        let f = File::open(&path).expect("open");
        let input = Input {
            index: find_index(&path).expect("opens").expect("an index"),
            path,
            group: "H".into(),
            stretch: None,
            seams: Default::default(),
        };
        let plan = plan_of(&f, &input).expect("planned");
        (f, plan)
    }

    #[test]
    fn a_dual_lens_files_main_picture_is_planned_though_the_second_lens_comes_first() {
        // Tracks: the second lens (80x60, 5 fps), the body's lens (160x120, 10 fps), sound;
        // the second segment has the body's lens alone.
        for name in ["193000_0001", "193006_0002"] {
            let (_, plan) = planned(&format!(
                "labelled/单位甲/NEG-DUL/20260312/NEG-DUL_OF3020_20260312{name}.MP4"
            ));
            let (sps, _) = plan.h264.as_ref().expect("H.264");
            assert_eq!((sps.width, sps.height), (160, 120), "{name}");
            // Six seconds keyed every ten pictures at 10 fps.
            assert_eq!(plan.sync.len(), 6, "{name}");
        }
    }

    #[test]
    fn filler_is_told_from_its_units_headers_and_a_picture_is_not() {
        // A real recording's keyframes: a coded slice among their first units.
        let (f, plan) = planned("osd/calm.mp4");
        assert!(!plan.sync.is_empty());
        for s in &plan.sync {
            assert_eq!(no_slice_by_headers(&f, &plan, s), Some(false), "{s:?}");
        }
        // Samples of hand-made units: filler (type 12) and SEI (6) only; a delimiter and then
        // an IDR slice (5); a slice's header past a zero-length unit; units that run past the
        // sample's end; a sample cut off by the file's end.
        let dir = tempfile::tempdir().expect("temp dir");
        let unit = |t: u8, len: u32| {
            let mut v = len.to_be_bytes().to_vec();
            v.push(t);
            v.resize(4 + len as usize, 0xAB);
            v
        };
        let cases: Vec<(Vec<u8>, Option<bool>)> = vec![
            (unit(12, 5000), Some(true)),
            ([unit(6, 20), unit(12, 300)].concat(), Some(true)),
            ([unit(9, 2), unit(5, 900)].concat(), Some(false)),
            (
                [0, 0, 0, 0].into_iter().chain(unit(1, 40)).collect(),
                Some(false),
            ),
            // A prefix claiming more than is left: the unit is what is left (keyplan::nals).
            (
                [unit(12, 10), vec![0, 0, 0x40, 0, 0x65, 1, 2]].concat(),
                Some(false),
            ),
            (
                (0..HEADERS_MAX + 1).flat_map(|_| unit(6, 1)).collect(),
                None,
            ),
        ];
        let plan = Plan { nal_len: 4, ..plan };
        for (k, (bytes, want)) in cases.iter().enumerate() {
            let p = dir.path().join(format!("{k}.bin"));
            std::fs::write(&p, [vec![0xEE; 7], bytes.clone()].concat()).expect("write");
            let f = File::open(&p).expect("open");
            let s = Sample {
                number: 1,
                offset: 7,
                size: bytes.len() as u32,
                ticks: 0,
            };
            assert_eq!(no_slice_by_headers(&f, &plan, &s), *want, "case {k}");
            let cut = Sample {
                size: s.size + 1,
                ..s
            };
            assert_eq!(no_slice_by_headers(&f, &plan, &cut), None, "case {k} cut");
            // The headers say what the whole sample's units say.
            let whole = sample_bytes(&f, &plan, &s).expect("read");
            let coded = keyplan::nals(&plan, &whole)
                .any(|n| n.first().is_some_and(|&h| keyplan::is_slice(plan.codec, h)));
            if let Some(none) = want {
                assert_eq!(*none, !coded, "case {k}");
            }
        }
        // Annex B samples are left to the whole read.
        let annex = Plan {
            annex_b: true,
            ..Plan::default()
        };
        let p = dir.path().join("0.bin");
        let s = Sample {
            number: 1,
            offset: 7,
            size: 100,
            ticks: 0,
        };
        assert_eq!(
            no_slice_by_headers(&File::open(&p).expect("open"), &annex, &s),
            None
        );
    }

    fn sample(number: u64, ticks: u64) -> Sample {
        Sample {
            number,
            offset: 0,
            size: 0,
            ticks,
        }
    }

    #[test]
    fn the_keyframe_interval_is_counted_in_presentation_time() {
        // x265 with a keyframe every 25 pictures at 25 fps (timescale 1000: 40 ticks a
        // picture) and adaptive B-frames: the keyframes' places in decoding order, as a file
        // of the manipulation bench had them, step 22, 24, 27, 24, ... (usually 24).
        let decoded = [0u64, 22, 46, 73, 97, 121, 147, 171, 197, 222, 247, 271];
        let sync: Vec<Sample> = decoded
            .iter()
            .enumerate()
            .map(|(k, &n)| sample(n + 1, k as u64 * 25 * 40))
            .collect();
        // The first pictures in decoding order: I P B B P B B ..., presented in time order.
        let order = [0u64, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11];
        let lead: Vec<Sample> = order
            .iter()
            .enumerate()
            .map(|(i, &t)| sample(i as u64 + 1, t * 40))
            .collect();
        let mut plan = Plan {
            timescale: 1000,
            sync,
            lead,
            reordered: true,
            ..Plan::default()
        };
        assert_eq!(keyframe_interval(&plan), (25, false));
        // Keyframes also placed at scene changes (x264's default): steps of 250 pictures and
        // sooner; the usual one is the median, marked as placed by the scene.
        let mut scene = plan.clone();
        scene.sync = [0u64, 225, 475, 675]
            .iter()
            .enumerate()
            .map(|(k, &t)| sample(k as u64 * 300 + 1, t * 40))
            .collect();
        assert_eq!(keyframe_interval(&scene), (225, true));
        // Without picture times to count by (every lead picture at one time), decoding order.
        plan.lead.iter_mut().for_each(|s| s.ticks = 0);
        assert_eq!(keyframe_interval(&plan), (24, false));
    }

    /// Fixture `name` of `tests/fixtures/osd` as a file of group A (the tests of the stage's
    /// modules share it).
    pub(super) fn osd_input(name: &str) -> Input {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/osd")
            .join(name);
        Input {
            index: find_index(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .expect("an index"),
            path,
            group: "A".into(),
            stretch: None,
            seams: Default::default(),
        }
    }

    /// The fonts device A's day.mp4 teaches (as kept from an earlier run), and the one of
    /// group A.
    fn day_fonts() -> Fonts {
        run_with(&[osd_input("day.mp4")], &Fonts::new()).1
    }

    fn font_a(known: &Fonts) -> &Font {
        known
            .get("A")
            .filter(|f| usable(f))
            .expect("a font learned")
    }

    /// Fixture `name` prepared as a file of group A, with the fonts `known`.
    fn prepared_a(known: &Fonts, name: &str) -> (Input, Prepared) {
        let inp = osd_input(name);
        let p = prepare_in(&inp, open(&inp), display_of(known, "A"));
        (inp, p)
    }

    /// The jump search takes a keyframe already in the file's output (read inward from a weak
    /// end) from there rather than decoding it again: one row per keyframe, one vote each when
    /// readings are set aside.
    #[test]
    fn the_jump_search_decodes_no_keyframe_read_already() {
        let known = day_fonts();
        let font = font_a(&known);
        let (inp, p) = prepared_a(&known, "joined.mp4");
        let out = finish(&inp, p, Some(font), false);
        let jump = out.jump.clone().expect("the join found");
        let searched = out.keyframes.iter().filter(|k| k.purpose == "jump").count();
        assert!(searched > 0);
        // The same output with the keyframes the search read marked as read inward, and no
        // jump yet: the search visits the same keyframes and decodes none of them.
        let mut again = out.clone();
        again.jump = None;
        for k in again.keyframes.iter_mut().filter(|k| k.purpose == "jump") {
            k.purpose = "inward";
        }
        let (found, read) = more::find_jump(&inp, font, &mut again);
        assert_eq!(found, Some(jump));
        let decoded: Vec<usize> = read.iter().map(|k| k.gop_index).collect();
        assert!(decoded.is_empty(), "decoded again: {decoded:?}");
    }

    /// A night's file read ahead with the font its group kept gives exactly what reading it
    /// after the decision gives, and that output is used only when the decision keeps that
    /// very font.
    #[test]
    fn a_file_read_ahead_with_the_kept_font_reads_as_after_the_decision() {
        let known = day_fonts();
        let font = font_a(&known);
        let cases = [
            ("day.mp4", false),
            ("joined.mp4", true),
            ("short.mp4", false),
        ];
        // As a night reads them, and with `--keyframes all`.
        for ((name, jump), every) in cases.into_iter().flat_map(|c| [(c, false), (c, true)]) {
            let (inp, mut p) = prepared_a(&known, name);
            read_ahead(&inp, &mut p, font, every);
            let ahead = p.ahead.clone().expect("read ahead");
            assert_eq!(ahead.jump.is_some(), jump, "{name}");
            if every {
                assert!(
                    ahead.keyframes.iter().any(|k| k.purpose == "every"),
                    "{name}"
                );
            }
            let mut plain = p.clone();
            plain.ahead = None;
            let after = finish(&inp, plain, Some(font), every);
            assert_eq!(format!("{ahead:?}"), format!("{after:?}"), "{name}");
            // The output read ahead is taken only with the kept font itself.
            let mut marked = p.clone();
            if let Some(out) = marked.ahead.as_mut() {
                out.note = Some("read ahead".into());
            }
            let taken = finish_decided(&inp, marked.clone(), Some(font), true, every);
            assert_eq!(taken.note.as_deref(), Some("read ahead"), "{name}");
            let again = finish_decided(&inp, marked, Some(font), false, every);
            assert_eq!(format!("{again:?}"), format!("{after:?}"), "{name}");
        }
        // Neither end shows a time with the font (night.mp4: the same place in another font,
        // as after a firmware update): left for the decision, which learns the group again.
        let (inp, mut p) = prepared_a(&known, "night.mp4");
        read_ahead(&inp, &mut p, font, false);
        assert!(p.plan.is_some() && p.ahead.is_none());
        // The kept font is known by identity, not by reading alike.
        let copy = font.clone();
        assert!(is_known(Some(font), Some(font)));
        assert!(!is_known(Some(&copy), Some(font)));
        assert!(!is_known(None, Some(font)));
    }

    #[test]
    fn a_prepared_picture_keeps_only_the_line_at_the_known_rows() {
        let line = |y0: u32| Line {
            y0,
            y1: y0 + 20,
            glyphs: Vec::with_capacity(64),
            spaced: Vec::new(),
        };
        let lines = vec![line(10), line(40), line(300)];
        let kept = held(lines.clone(), Some((41, 59)));
        assert_eq!(kept.iter().map(|l| l.y0).collect::<Vec<_>>(), [40]);
        assert_eq!(
            kept[0].glyphs.capacity(),
            0,
            "no room kept beyond the glyphs"
        );
        // No line at the rows (a moved display), or no rows known: every line, for the line
        // showing a time.
        assert_eq!(held(lines.clone(), Some((600, 620))).len(), 3);
        assert_eq!(held(lines, None).len(), 3);
    }
}
