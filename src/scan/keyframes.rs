//! Keyframes: for the H.264 and HEVC recordings in an MP4/MOV/3GP, AVI or MPEG-TS container
//! that the read stage just read, the recorder's burned-in clock, read from decoded keyframes ([`crate::keyframes`]),
//! becomes the files' `osd_*` columns. Files carried from the previous run keep theirs.
//!
//! A display's digits are learned per group of files that share a font: one device model (the
//! container's make and model, else the device id) at one picture size.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, mpsc};

use super::ScanError;
use super::osd_rows::OsdRows;
use super::read::Read;
use super::setup::Run;
use crate::catalog::{FileFacts, Interner, Sym};
use crate::config::KeyframeMode;
use crate::keyframes::{self, Fonts, Index, Input, Output, Prepared, Seen};
use crate::media::keyplan::Noted;
use crate::osd::{Font, Glyph, Ink};
use crate::store::prior::Cols;
use crate::store::tables::{FontRow, KeyframeRow, Osd, OsdReading, osd_fonts_batch};
use crate::store::warehouse::{Staging, TableWriter};
use crate::store::{self, StoreError};

const FONTS: &str = "osd_fonts";

/// The fonts the previous run kept, by group, and the run that learned each.
type Known = (Fonts, BTreeMap<String, String>);

/// Containers whose sample tables (an AVI: its index) the stage reads.
const CONTAINERS: [&str; 11] = [
    "mp4", "mov", "3gp", "avi", "mpegts", "hik-ts", "matroska", "dav", "mpeg-ps", "hik-ps", "flv",
];

/// Files of one group held, prepared, before its font is decided while the read goes on. A
/// group with fewer files in the run waits for the read to end and is decided from all of
/// them, as a small run's groups are; a larger one is decided from its first `HOLD` files, so
/// that a first scan of a whole archive holds a few groups' lines (some 9 KB a file) rather
/// than every file's. Which files come first depends on the read's threads, so a group larger
/// than this learns from a set that may differ from run to run (alike for one model's one
/// font); a group under it is decided from all its files, every run alike. 128 since
/// 2026-12-06 (evening; was 64): the display fixtures without a device id, one group of 70
/// files in several fonts, had passed 64, and an analysis of the test tree in parts came to
/// differ from one of the whole now and then (test
/// `an_analysis_in_parts_finds_what_one_of_the_whole_finds`).
const HOLD: usize = 128;
/// Times a group whose files taught no font while the read goes on tries again, on four
/// times as many files each time (64, 256, 1,024); the files of a failed try are finished
/// unread.
const TRIES: u32 = 3;
/// Keyframe rows kept before they are written to the staged `keyframes` table.
const KEYFRAME_ROWS_HELD: usize = 16_384;
/// Files started and not yet prepared before the read waits: a read of small files runs far
/// ahead of their decoding, and each waiting job holds its path and group (some 250 bytes).
const STARTED_AHEAD: usize = 1024;

/// The stage's work that needs no font, started while the read goes on: each file to decode
/// is prepared ([`keyframes::prepare`]: its `moov` planned, its first and last keyframe decoded
/// and their display lines found) on a pool of its own as soon as it is read, so that the
/// decoding runs on the processors the read leaves idle while it waits for the disk. A
/// prepared file waits with its group's other files until the group's font is decided
/// ([`Shared::arrive`]), then is read with it on the same pool.
pub(super) struct Early {
    pool: rayon::ThreadPool,
    tx: mpsc::Sender<Msg>,
    /// Behind a lock only so that the read's workers may share the rest.
    rx: std::sync::Mutex<mpsc::Receiver<Msg>>,
    /// Rows of the files started (by the read's worker threads, in any order).
    started: std::sync::Mutex<Vec<usize>>,
    /// What [`Early::absorb`] took from the channel: a bit per row received, and the fonts
    /// learned while the read went on.
    taken: std::sync::Mutex<Taken>,
    shared: Arc<Shared>,
    /// The run that learned each of the fonts the previous run kept.
    learned_in: BTreeMap<String, String>,
    /// Files started whose preparation has not ended ([`STARTED_AHEAD`]).
    ahead: Arc<Ahead>,
}

/// A count of the jobs started and not ended, that [`Early::start`] waits on.
#[derive(Default)]
struct Ahead {
    count: std::sync::Mutex<usize>,
    fell: std::sync::Condvar,
}

impl Ahead {
    /// Waits until fewer than [`STARTED_AHEAD`] jobs are running or queued, then counts one
    /// more, ended when the guard is dropped (also when its job unwinds).
    fn enter(self: &Arc<Self>) -> Leave {
        let mut n = self.count.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= STARTED_AHEAD {
            n = self.fell.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Leave(self.clone())
    }
}

/// One job counted by [`Ahead`].
struct Leave(Arc<Ahead>);

impl Drop for Leave {
    fn drop(&mut self) {
        let mut n = self.0.count.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        self.0.fell.notify_one();
    }
}

/// What the jobs of the stage share.
struct Shared {
    /// Each group's files waiting for its font, or the font decided.
    groups: std::sync::Mutex<BTreeMap<String, Group>>,
    /// The fonts the previous run kept ([`known_fonts`]): read before the read starts, so
    /// that each file's keyframes are searched where its group's clock line stands.
    known: Fonts,
    /// The notes and habits of the files finished early, one copy of each text.
    texts: std::sync::Mutex<Interner>,
    tz: chrono_tz::Tz,
    run_id: String,
    every: bool,
    /// Files a group holds before its first decision ([`HOLD`]).
    hold: usize,
}

/// Where a group of files stands while the read goes on.
enum Group {
    /// Its files prepared so far, before a decision; `tries` decisions that found no font.
    Holding { held: Vec<Held>, tries: u32 },
    /// A job is deciding its font; `waiting` came meanwhile.
    Deciding { waiting: Vec<Held> },
    /// The font its files are read with for the rest of the run (none: not read).
    Decided(Option<Arc<Font>>),
}

/// A prepared file waiting for its group's font, with its row and [`base_time`].
struct Held {
    k: usize,
    input: Input,
    prepared: Prepared,
    base: Anchor,
}

impl Held {
    /// Files held as the parallel lists the stage's group functions take
    /// ([`keyframes::run_prepared`], [`keyframes::learn_if_due`]): inputs, preparations, and
    /// each file's row and base time.
    #[allow(clippy::type_complexity)]
    fn split(files: Vec<Held>) -> (Vec<Input>, Vec<Prepared>, Vec<(usize, Anchor)>) {
        let (mut inputs, mut prepared, mut rows) = (Vec::new(), Vec::new(), Vec::new());
        for h in files {
            inputs.push(h.input);
            prepared.push(h.prepared);
            rows.push((h.k, h.base));
        }
        (inputs, prepared, rows)
    }
}

#[derive(Default)]
struct Taken {
    received: Vec<u64>,
    learned: Fonts,
}

impl Taken {
    /// A message come back: a finished file becomes its row's `osd_*` columns (`osd` grown to
    /// the row) and its keyframe rows; a font learned is kept for `osd_fonts`.
    fn receive(
        &mut self,
        msg: Msg,
        osd: &mut OsdRows,
        keyframes: &mut Vec<KeyframeRow>,
        interner: &mut Interner,
    ) {
        let (k, job) = match msg {
            Msg::Learned(group, font) => {
                self.learned.insert(group, *font);
                return;
            }
            Msg::Row(k, job) => (k, job),
        };
        self.mark(k);
        match job {
            Job::Finished(o, rows) => {
                set_row(osd.get_mut(k), *o, interner);
                keyframes.extend(rows);
            }
            Job::NoIndex => {
                osd.get_mut(k).note = Some(Sym::from(
                    "no index of pictures (an MP4's moov box, an AVI's idx1 or OpenDML indexes, an MPEG-TS's keyframes seen as it was read)",
                ))
            }
        }
    }

    fn mark(&mut self, k: usize) {
        let (word, bit) = (k / 64, k % 64);
        if self.received.len() <= word {
            self.received.resize(word + 1, 0);
        }
        self.received[word] |= 1 << bit;
    }
    fn has(&self, k: usize) -> bool {
        self.received
            .get(k / 64)
            .is_some_and(|w| w & (1 << (k % 64)) != 0)
    }
}

/// What a job sends back.
enum Msg {
    /// Row `k` is done.
    Row(usize, Job),
    /// A group's font learned while the read went on.
    Learned(String, Box<Font>),
}

enum Job {
    NoIndex,
    /// The file's `osd_*` columns (their text shared) and keyframe rows.
    Finished(Box<Osd>, Vec<KeyframeRow>),
}

impl Shared {
    /// A prepared file joins its group: read at once with a font decided, held otherwise;
    /// the file that brings a group's held files to the next decision starts it here.
    fn arrive(self: &Arc<Self>, held: Held, tx: &mpsc::Sender<Msg>) {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let name = held.input.group.clone();
        let group = groups.entry(name.clone()).or_insert(Group::Holding {
            held: Vec::new(),
            tries: 0,
        });
        match group {
            Group::Decided(font) => {
                let font = font.clone();
                drop(groups);
                // A file read ahead just as its group was decided is read again: rare.
                self.finish_one(held, font.as_deref(), false, tx);
            }
            Group::Deciding { waiting } => waiting.push(held),
            Group::Holding { held: files, tries } => {
                files.push(held);
                if files.len() >= self.hold << (2 * *tries) {
                    let (files, tries) = (std::mem::take(files), *tries);
                    *group = Group::Deciding {
                        waiting: Vec::new(),
                    };
                    drop(groups);
                    self.decide(name, files, tries, tx);
                }
            }
        }
    }

    /// Decides a group's font from `files` (learning it when due: [`keyframes::learn_if_due`])
    /// and reads them and those that came meanwhile with it. A try that finds no font reads
    /// its files unread and holds the next ones for another try, [`TRIES`] in all.
    fn decide(
        self: &Arc<Self>,
        group: String,
        files: Vec<Held>,
        tries: u32,
        tx: &mpsc::Sender<Msg>,
    ) {
        let (inputs, prepared, rows) = Held::split(files);
        let members: Vec<usize> = (0..inputs.len()).collect();
        let known = self.known.get(&group);
        let learned = keyframes::learn_if_due(&inputs, &prepared, &members, known);
        let decided = keyframes::reading_font(learned.as_ref(), known);
        let is_known = keyframes::is_known(decided, known);
        let font = decided.cloned().map(Arc::new);
        if let Some(l) = learned.filter(keyframes::usable) {
            let _ = tx.send(Msg::Learned(group.clone(), Box::new(l)));
        }
        let waiting = {
            let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            let waiting = match groups.remove(&group) {
                Some(Group::Deciding { waiting }) => waiting,
                _ => Vec::new(),
            };
            if font.is_none() && tries + 1 < TRIES {
                let tries = tries + 1;
                groups.insert(
                    group,
                    Group::Holding {
                        held: waiting,
                        tries,
                    },
                );
                Vec::new()
            } else {
                groups.insert(group, Group::Decided(font.clone()));
                waiting
            }
        };
        let files =
            inputs
                .into_iter()
                .zip(prepared)
                .zip(rows)
                .map(|((input, prepared), (k, base))| Held {
                    k,
                    input,
                    prepared,
                    base,
                });
        // On the stage's pool (this job runs on it), each file a job of its own.
        for held in files.chain(waiting) {
            let (shared, tx, font) = (self.clone(), tx.clone(), font.clone());
            rayon::spawn(move || shared.finish_one(held, font.as_deref(), is_known, &tx));
        }
    }

    /// The font a file of `group` is read with ahead of its group's decision
    /// ([`keyframes::read_ahead`]): the usable font the group kept from the previous run, while
    /// the group is undecided (a decided group's files are read with its font as they come).
    fn ahead_font(&self, group: &str) -> Option<&Font> {
        let decided = {
            let groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            matches!(groups.get(group), Some(Group::Decided(_)))
        };
        if decided {
            return None;
        }
        self.known.get(group).filter(|f| keyframes::usable(f))
    }

    /// Reads one prepared file with its group's font and sends back its row; `known`: that
    /// font is the one the group kept from the previous run ([`keyframes::finish_decided`]).
    fn finish_one(&self, held: Held, font: Option<&Font>, known: bool, tx: &mpsc::Sender<Msg>) {
        let Held {
            k,
            input,
            prepared,
            base,
        } = held;
        let out = keyframes::finish_decided(&input, prepared, font, known, self.every);
        let _ = tx.send(self.finished(k, base, &input.path, &out));
    }

    /// Row `k` done with `out`: its `osd_*` columns (their text shared) and keyframe rows.
    fn finished(&self, k: usize, base: Anchor, path: &Path, out: &Output) -> Msg {
        let mut osd = osd_of(&base, out, self.tz);
        if let Ok(mut texts) = self.texts.lock() {
            share_text(&mut osd, &mut texts);
        }
        let rows = keyframe_rows(&self.run_id, path, out, self.tz);
        Msg::Row(k, Job::Finished(Box::new(osd), rows))
    }
}

impl Early {
    /// `None` when the stage is off.
    pub(super) fn new(run: &Run) -> Result<Option<Early>, ScanError> {
        if run.plan.config.scan.keyframes == KeyframeMode::Off {
            return Ok(None);
        }
        let threads = run.pool.current_num_threads();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("recaudit-keyframes-{i}"))
            // A job that panics outside the contained decode loses that file's keyframes (its
            // row says so), never the run.
            .panic_handler(|_| {})
            .build()
            .map_err(|e| ScanError::Threads(threads, e.to_string()))?;
        let (known, learned_in) = known_fonts(run)?;
        let (tx, rx) = mpsc::channel();
        Ok(Some(Early {
            pool,
            tx,
            rx: std::sync::Mutex::new(rx),
            started: std::sync::Mutex::new(Vec::new()),
            taken: Default::default(),
            shared: Arc::new(Shared {
                groups: Default::default(),
                known,
                texts: Default::default(),
                tz: run.tz,
                run_id: run.id.clone(),
                every: run.plan.config.scan.keyframes == KeyframeMode::All,
                hold: HOLD,
            }),
            learned_in,
            ahead: Default::default(),
        }))
    }

    /// Starts the work for row `k`, a file just read, when the stage decodes it; `ts` is a
    /// transport stream's pictures as its read saw them (it has no index to find).
    /// `seams` are the pictures of its video track around which its timestamps change
    /// ([`Input::seams`]).
    pub(super) fn start(
        &self,
        k: usize,
        fact: &FileFacts,
        path: &Path,
        noted: Option<Box<Noted>>,
        seams: keyframes::Seams,
    ) {
        if !wanted(fact) {
            return;
        }
        let (path, group, tx) = (path.to_path_buf(), group(fact), self.tx.clone());
        let stretch = fact.odd().frame_rate_stretch.map(|(at, len, _)| (at, len));
        let display = self.display(&group);
        let (base, shared) = (Anchor::of(fact), self.shared.clone());
        if let Ok(mut started) = self.started.lock() {
            started.push(k);
        }
        let leave = self.ahead.enter();
        self.pool.spawn(move || {
            let _leave = leave;
            // Opened once, to find its `moov` and to prepare it (unopenable: no `moov` found, as
            // `find_index` says of it).
            let found = crate::read::open_noatime(&path).ok().and_then(|f| {
                let index = match noted {
                    Some(noted) => Index::Noted(Arc::from(noted)),
                    None => keyframes::index_in(&f)?,
                };
                Some((index, f))
            });
            let Some((index, f)) = found else {
                let _ = tx.send(Msg::Row(k, Job::NoIndex));
                return;
            };
            let input = Input {
                path,
                index,
                group,
                stretch,
                seams,
            };
            let mut prepared = keyframes::prepare_in(&input, Ok(f), display);
            match prepared.finished() {
                Some(out) => {
                    let _ = tx.send(shared.finished(k, base, &input.path, &out));
                }
                None => {
                    if let Some(font) = shared.ahead_font(&input.group) {
                        keyframes::read_ahead(&input, &mut prepared, font, shared.every);
                    }
                    shared.arrive(
                        Held {
                            k,
                            input,
                            prepared,
                            base,
                        },
                        &tx,
                    )
                }
            }
        });
    }

    /// Where a group's keyframes are searched: as the font decided in this run says, else as
    /// the font the previous run kept says.
    fn display(&self, group: &str) -> keyframes::Display {
        let groups = self.shared.groups.lock().unwrap_or_else(|e| e.into_inner());
        match groups.get(group) {
            Some(Group::Decided(Some(font))) => keyframes::Display::of(font),
            _ => keyframes::display_of(&self.shared.known, group),
        }
    }

    /// Takes the jobs finished so far (without waiting): a finished file becomes its row's
    /// `osd_*` columns in `osd` (grown to the row) and its keyframe rows in `keyframes`. The
    /// read calls this after each batch, so that a million files' finished jobs do not wait
    /// in the channel (about 100 bytes each there, 64 as a row).
    pub(super) fn absorb(
        &self,
        osd: &mut OsdRows,
        keyframes: &mut Vec<KeyframeRow>,
        interner: &mut Interner,
    ) {
        let ready: Vec<Msg> = match self.rx.lock() {
            Ok(rx) => rx.try_iter().collect(),
            Err(_) => return,
        };
        let Ok(mut taken) = self.taken.lock() else {
            return;
        };
        for m in ready {
            taken.receive(m, osd, keyframes, interner);
        }
    }

    /// Waits for every file started; hands back the files still held (by row), the rows
    /// started that sent nothing back, the fonts learned while the read went on, and the
    /// known fonts.
    fn finish(
        self,
        osd: &mut OsdRows,
        keyframes: &mut Vec<KeyframeRow>,
        interner: &mut Interner,
    ) -> Finished {
        let Early {
            pool,
            tx,
            rx,
            started,
            taken,
            shared,
            learned_in,
            ..
        } = self;
        drop(tx);
        // Every job holds a sender until it ends (or unwinds): this ends when all have.
        let rx = rx.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut taken = taken.into_inner().unwrap_or_else(|e| e.into_inner());
        for m in rx.iter() {
            taken.receive(m, osd, keyframes, interner);
        }
        drop(pool);
        // A group still deciding lost its job to a panic: its files are decided now.
        let groups = std::mem::take(&mut *shared.groups.lock().unwrap_or_else(|e| e.into_inner()));
        let mut held: Vec<Held> = Vec::new();
        for (_, g) in groups {
            match g {
                Group::Holding { held: files, .. } | Group::Deciding { waiting: files } => {
                    held.extend(files)
                }
                Group::Decided(_) => {}
            }
        }
        held.sort_by_key(|h| h.k);
        let mut lost = started.into_inner().unwrap_or_else(|e| e.into_inner());
        lost.retain(|&k| !taken.has(k) && held.binary_search_by_key(&k, |h| h.k).is_err());
        lost.sort_unstable();
        Finished {
            held,
            lost,
            learned: taken.learned,
            known: (shared.known.clone(), learned_in),
        }
    }
}

/// What [`Early::finish`] hands back.
struct Finished {
    held: Vec<Held>,
    lost: Vec<usize>,
    learned: Fonts,
    known: Known,
}

/// The keyframe rows of a file's output.
fn keyframe_rows(run_id: &str, path: &Path, out: &Output, tz: chrono_tz::Tz) -> Vec<KeyframeRow> {
    let path = super::path_text(path);
    out.keyframes
        .iter()
        .map(|kf| {
            let r = kf.seen.reading.as_ref();
            KeyframeRow {
                run_id: run_id.to_string(),
                path: path.to_string(),
                purpose: kf.purpose,
                sample: kf.sample as i64,
                gop_index: kf.gop_index as i32,
                t_s: kf.seen.t_s,
                frame_type: kf.slice.map(|s| s.kind),
                slice_qp: kf.slice.map(|s| s.qp),
                osd_time_us: r.and_then(|r| r.civil_s).and_then(|c| instant(c, tz)),
                osd_text: r.map(|r| r.text.clone()),
                osd_confidence: r
                    .filter(|r| r.civil_s.is_some())
                    .map(|r| f64::from(r.confidence)),
            }
        })
        .collect()
}

/// Writes the keyframe rows gathered so far to the staged `keyframes` table once there are
/// [`KEYFRAME_ROWS_HELD`] of them (all of them with `all`).
pub(super) fn flush_keyframes(
    read: &mut Read,
    staging: &mut Staging,
    all: bool,
) -> Result<(), ScanError> {
    if read.keyframes.is_empty() || (!all && read.keyframes.len() < KEYFRAME_ROWS_HELD) {
        return Ok(());
    }
    let batch = store::tables::keyframes_batch(&read.keyframes)?;
    let w = match &mut read.keyframes_w {
        Some(w) => w,
        None => read.keyframes_w.insert(staging.writer(
            "keyframes",
            "part-00000.parquet",
            batch.schema(),
        )?),
    };
    w.write(&batch)?;
    read.keyframes.clear();
    Ok(())
}

pub(super) fn read_clocks(
    run: &Run,
    read: &mut Read,
    staging: &mut Staging,
) -> Result<(), ScanError> {
    // Rows whose jobs were absorbed during the read are filled in already.
    let Some(early) = read.early.take() else {
        staging.carry(FONTS)?;
        return spill(read, staging);
    };
    let Finished {
        held,
        lost,
        learned: mut learned_early,
        known: (known, learned_in),
    } = early.finish(&mut read.osd, &mut read.keyframes, &mut read.interner);
    // A file started that sent nothing back: its job panicked outside the contained decode.
    for k in lost {
        read.osd.get_mut(k).note = Some(Sym::from("the keyframe stage failed on this file"));
    }
    let (inputs, prepared, rows) = Held::split(held);
    let every = run.plan.config.scan.keyframes == KeyframeMode::All;
    let (outputs, learned) = run
        .pool
        .install(|| keyframes::run_prepared(&inputs, prepared, &known, every));
    for (((k, base), out), input) in rows.into_iter().zip(outputs).zip(&inputs) {
        read.keyframes
            .extend(keyframe_rows(&run.id, &input.path, &out, run.tz));
        settle(run, read, k, &out, base);
    }
    learned_early.extend(learned);
    write_fonts(run, (&known, &learned_in), &learned_early, staging)?;
    spill(read, staging)?;
    run.phase("keyframes decoded and burned-in clocks read");
    Ok(())
}

/// Writes the `osd_*` columns of the rows read to the staging folder, in row order, and frees
/// them.
fn spill(read: &mut Read, staging: &mut Staging) -> Result<(), ScanError> {
    std::mem::take(&mut read.osd).finish(read.read_rows, staging)
}

/// A file's output becomes its `osd_*` columns; their text shared with other files'. `base` is
/// the file's [`base_time`].
fn settle(run: &Run, read: &mut Read, k: usize, out: &Output, base: Anchor) {
    let osd = osd_of(&base, out, run.tz);
    set_row(read.osd.get_mut(k), osd, &mut read.interner);
}

/// The text of a file's `osd_*` columns (note, habits) replaced by the interner's one copy.
fn share_text(osd: &mut Osd, interner: &mut Interner) {
    for t in [&mut osd.note, &mut osd.coding_habits, &mut osd.slice_habits] {
        interner.opt(t);
    }
}

/// `row` becomes `osd`, its text the interner's one copy.
fn set_row(row: &mut Osd, mut osd: Osd, interner: &mut Interner) {
    share_text(&mut osd, interner);
    *row = osd;
}

/// The `keyframes` table: the rows of the files read now (those already written to `written`
/// while the read went on, then `rows`), then those of the files carried unchanged from the
/// previous snapshot.
pub(super) fn write_keyframes(
    run: &Run,
    (rows, written): (&[KeyframeRow], Option<TableWriter>),
    carried: &super::carry::Carried,
    staging: &mut Staging,
) -> Result<(), ScanError> {
    let batch = store::tables::keyframes_batch(rows)?;
    let schema = batch.schema();
    let parts = run
        .wh
        .current()
        .map(|c| store::prior::parts(&c.join("keyframes")))
        .unwrap_or_default();
    if rows.is_empty() && parts.is_empty() && written.is_none() {
        return Ok(());
    }
    let mut w = match written {
        Some(w) => w,
        None => staging.writer("keyframes", "part-00000.parquet", schema.clone())?,
    };
    w.write(&batch)?;
    carried.batches(&parts, "keyframes", &schema, |b| {
        w.write(&b)?;
        Ok(())
    })?;
    w.finish()?;
    Ok(())
}

/// The fonts the previous run kept (`osd_fonts`), by group, and the run that learned each.
fn known_fonts(run: &Run) -> Result<Known, ScanError> {
    let (mut fonts, mut learned_in) = (Fonts::new(), BTreeMap::new());
    let Some(dir) = run.wh.current().map(|c| c.join(FONTS)) else {
        return Ok((fonts, learned_in));
    };
    for part in &store::prior::parts(&dir) {
        for b in store::parquet_reader(part, 8192, None)? {
            let b = b.map_err(|source| StoreError::Arrow {
                table: FONTS,
                source,
            })?;
            let c = Cols(&b);
            for i in 0..b.num_rows() {
                let (Some(group), Some(shape)) = (
                    c.str("display_group", i),
                    c.str("shape", i).and_then(Glyph::from_hex),
                ) else {
                    continue;
                };
                let digit = c
                    .i32("digit", i)
                    .and_then(|d| u8::try_from(d).ok())
                    .filter(|d| *d < 10);
                let font = fonts.entry(group.to_string()).or_insert_with(Font::default);
                font.shapes.push((shape, digit));
                let line = (c.i32("line_top", i), c.i32("line_bottom", i));
                if let (Some(top), Some(bottom)) = line
                    && let (Ok(top), Ok(bottom)) = (u32::try_from(top), u32::try_from(bottom))
                    && top < bottom
                {
                    font.rows = Some((top, bottom));
                }
                if let Some(ink) = c.str("ink", i).and_then(Ink::from_name) {
                    font.ink = ink;
                }
                if let Some(layout) = c.str("date_order", i) {
                    font.set_layout(layout);
                }
                if let Some(r) = c.str("learned_run_id", i) {
                    learned_in
                        .entry(group.to_string())
                        .or_insert_with(|| r.to_string());
                }
            }
        }
    }
    // A font kept before strokes lost their digits gets the rule now (`osd::without_strokes`).
    for font in fonts.values_mut() {
        *font = crate::osd::without_strokes(std::mem::take(font));
    }
    Ok((fonts, learned_in))
}

/// Keeps the fonts for the next run: those learned now with all ten digits, and every earlier
/// one not learned again.
fn write_fonts(
    run: &Run,
    (known, learned_in): (&Fonts, &BTreeMap<String, String>),
    learned: &Fonts,
    staging: &mut Staging,
) -> Result<(), ScanError> {
    let mut rows = Vec::new();
    let complete = |f: &&Font| f.digits_known() == 10;
    for (group, font) in learned.iter().filter(|(_, f)| complete(f)) {
        rows.extend(font_rows(group, font, &run.id));
    }
    // Earlier fonts keep the run that learned them.
    for (group, font) in known
        .iter()
        .filter(|(g, _)| !learned.get(*g).is_some_and(|f| complete(&f)))
    {
        rows.extend(font_rows(
            group,
            font,
            learned_in.get(group).map_or("", String::as_str),
        ));
    }
    if rows.is_empty() {
        return Ok(());
    }
    staging.write(FONTS, "part-00000.parquet", &osd_fonts_batch(&rows)?)?;
    Ok(())
}

fn font_rows(group: &str, font: &Font, run_id: &str) -> Vec<FontRow> {
    font.shapes
        .iter()
        .map(|(g, d)| FontRow {
            display_group: group.to_string(),
            shape: g.to_hex(),
            digit: d.map(i32::from),
            learned_run_id: run_id.to_string(),
            line_top: font.rows.and_then(|r| i32::try_from(r.0).ok()),
            line_bottom: font.rows.and_then(|r| i32::try_from(r.1).ok()),
            ink: Some(font.ink.name().to_string()),
            date_order: Some(font.layout()),
        })
        .collect()
}

fn wanted(f: &FileFacts) -> bool {
    f.status.as_ref() == "ok"
        && f.media_kind.as_deref() == Some("video")
        && matches!(f.video_codec.as_deref(), Some("h264") | Some("hevc"))
        && f.container
            .as_deref()
            .is_some_and(|c| CONTAINERS.contains(&c))
}

/// Files that share a display font: one model at one picture size.
fn group(f: &FileFacts) -> String {
    let who = match (&f.make, &f.model, &f.device_id) {
        (make, Some(model), _) => format!("model {} {model}", make.as_deref().unwrap_or("")),
        (_, None, Some(device)) => format!("device {device}"),
        _ => "unknown".into(),
    };
    format!("{who} {}x{}", f.width.unwrap_or(0), f.height.unwrap_or(0))
}

/// A display time (wall clock, seconds from 1970 as if UTC) in the configured zone, as UTC
/// microseconds: taken as file-name times are ([`crate::pathinfo::local_to_utc`]), so that the
/// two compare.
fn instant(civil_s: i64, tz: chrono_tz::Tz) -> Option<i64> {
    let naive = chrono::DateTime::from_timestamp(civil_s, 0)?.naive_utc();
    crate::pathinfo::local_to_utc(naive, tz).map(|s| s * 1_000_000)
}

/// The container's time of a file's start that the display's clock is held against: the
/// file-name time, else the container's creation time.
fn base_time(f: &FileFacts) -> Option<i64> {
    f.name_time_us.or(f.creation_time_us)
}

/// Whether reading `inside` shows the numbers that a file's readings at its `start` and `end`
/// agree on. The groups after the time that hold digits are compared by their digits: all of
/// them alike in `inside` and at the start (two digits or more); or, where a position or a
/// speed shown beside the numbers changes as the officer walks, those groups that are alike
/// at both ends (as many groups in all three readings, two digits or more among those alike).
/// A display whose numbers are not read clears nothing.
fn same_numbers(inside: &Seen, start: &Seen, end: &Seen) -> bool {
    let groups = |s: &Seen| -> Option<Vec<String>> {
        let r = s.reading.as_ref()?;
        Some(
            r.rest
                .split_whitespace()
                .map(crate::osd::numbers::digits)
                .filter(|g| !g.is_empty())
                .collect(),
        )
    };
    let (Some(i), Some(a), Some(b)) = (groups(inside), groups(start), groups(end)) else {
        return false;
    };
    // Read alike, however the spaces between the groups were seen.
    if a.concat().len() >= 2 && i.concat() == a.concat() {
        return true;
    }
    if i.len() == a.len() && a.len() == b.len() {
        let stable: Vec<usize> = (0..a.len()).filter(|&k| a[k] == b[k]).collect();
        if stable.iter().map(|&k| a[k].len()).sum::<usize>() >= 2
            && stable.iter().all(|&k| i[k] == a[k])
        {
            return true;
        }
    }
    // Glyph by glyph: a letter read as `?` in one picture and as a look-alike digit in another
    // (`D` as `0`) is no difference, so groups are compared as read, `?` matching anything.
    let raw = |s: &Seen| -> Option<Vec<String>> {
        Some(
            s.reading
                .as_ref()?
                .rest
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        )
    };
    let (Some(i), Some(a), Some(b)) = (raw(inside), raw(start), raw(end)) else {
        return false;
    };
    if i.len() != a.len() || a.len() != b.len() {
        return false;
    }
    let stable: Vec<usize> = (0..a.len()).filter(|&k| alike(&a[k], &b[k])).collect();
    let confirmed: usize = stable
        .iter()
        .map(|&k| digits_shared(&i[k], &a[k]).min(digits_shared(&i[k], &b[k])))
        .sum();
    confirmed >= 2
        && stable
            .iter()
            .all(|&k| alike(&i[k], &a[k]) && alike(&i[k], &b[k]))
}

/// Two readings of one group alike: as many glyphs, equal wherever both pictures read one.
fn alike(x: &str, y: &str) -> bool {
    x.chars().count() == y.chars().count()
        && x.chars()
            .zip(y.chars())
            .all(|(p, q)| p == q || p == '?' || q == '?')
}

/// How many digits two readings of a group show alike, place by place.
fn digits_shared(x: &str, y: &str) -> usize {
    x.chars()
        .zip(y.chars())
        .filter(|(p, q)| p == q && p.is_ascii_digit())
        .count()
}

/// What a file's display is held against: the time of its start ([`base_time`]) and its
/// device and officer ids from the path, which tell which group of the display is the device
/// number (and which is the officer's, never taken for it).
#[derive(Debug, Clone, Default)]
struct Anchor {
    time: Option<i64>,
    device: Option<crate::catalog::Sym>,
    officer: Option<crate::catalog::Sym>,
}

impl Anchor {
    fn of(f: &FileFacts) -> Anchor {
        Anchor {
            time: base_time(f),
            device: f.device_id.clone(),
            officer: f.officer_id.clone(),
        }
    }
}

/// Whether a group of the display ends in the last digits (four, or all of the shorter when
/// three or more) of the id `id` from the path ends with.
fn ends_in(group: &str, id: Option<&str>) -> bool {
    let serial = id.map_or("", crate::osd::numbers::serial);
    let g = crate::osd::numbers::digits(group);
    let n = g.len().min(serial.len()).min(4);
    n >= 3 && g[g.len() - n..] == serial[serial.len() - n..]
}

/// The group after the time that shows the device number: the first whose last digits (four,
/// or all of the shorter when three) are those the device id from the path ends with; else the
/// first group that is not the officer's number from the path (a display may number its
/// recorder otherwise than the path does); else none. A position or a speed shown before the
/// device number is so not taken for it, nor, on a pooled recorder whose display shows only
/// the officer's number, the officer who has it today.
fn device_group<'a>(
    groups: &[&'a str],
    device_id: Option<&str>,
    officer_id: Option<&str>,
) -> Option<&'a str> {
    groups
        .iter()
        .copied()
        .find(|g| ends_in(g, device_id))
        .or_else(|| groups.iter().copied().find(|g| !ends_in(g, officer_id)))
}

/// The groups after the time that show a digit. A group read wholly as `?` tells nothing:
/// letters (`DSJ` standing apart from `-MX11` where a display chip's narrow hyphen is no glyph,
/// an `AM`/`PM`, a unit's name) or a speck of scene after the numbers; taken for the device or
/// the officer number it left the number that was read unused.
fn number_groups(rest: &str) -> Vec<&str> {
    rest.split_whitespace()
        .filter(|g| g.bytes().any(|b| b.is_ascii_digit()))
        .collect()
}

/// The device number's group of a reading ([`device_group`]) as `rest_sure` shows it: the same
/// characters, each digit read less than surely as `?`.
fn sure_group<'a>(
    r: &'a crate::osd::Reading,
    device_id: Option<&str>,
    officer_id: Option<&str>,
) -> Option<&'a str> {
    let groups = number_groups(&r.rest);
    let g = device_group(&groups, device_id, officer_id)?;
    // `g` lies in `rest`; `rest_sure` holds the same characters at the same places.
    let at = (g.as_ptr() as usize).checked_sub(r.rest.as_ptr() as usize)?;
    r.rest_sure.get(at..at + g.len())
}

/// The digits two readings of a device number show alike, `?` elsewhere; `None` when the two
/// differ in length (a group read together with what follows it in one picture).
fn both_sure(a: &str, b: &str) -> Option<String> {
    (a.len() == b.len()).then(|| {
        a.chars()
            .zip(b.chars())
            .map(|(x, y)| if x == y && x.is_ascii_digit() { x } else { '?' })
            .collect()
    })
}

/// A file's `osd_*` columns from the stage's output, held against `anchor`.
fn osd_of(anchor: &Anchor, out: &Output, tz: chrono_tz::Tz) -> Osd {
    let base = anchor.time;
    let time = |s: Option<&Seen>| {
        s.and_then(|s| s.reading.as_ref())
            .and_then(|r| r.civil_s.map(|c| (instant(c, tz), r.confidence)))
    };
    let (first, last) = (time(out.first()), time(out.last()));
    let reading = out.first().and_then(|s| s.reading.as_ref());
    let groups: Vec<&str> = reading.map(|r| number_groups(&r.rest)).unwrap_or_default();
    let offset = |end: Option<(Option<i64>, f32)>, seen: Option<&Seen>| match (end, seen, base) {
        (Some((Some(shown), _)), Some(seen), Some(base)) => {
            Some((shown - base) as f64 / 1e6 - seen.t_s)
        }
        _ => None,
    };
    let (offset_s, end_offset_s) = (offset(first, out.first()), offset(last, out.last()));
    // The device number as the first and the last reading show it (a digit misread in one
    // picture names no other device: the rules ask both).
    let (device_id, officer_id) = (anchor.device.as_deref(), anchor.officer.as_deref());
    let device = device_group(&groups, device_id, officer_id);
    let end_reading = out.last().and_then(|s| s.reading.as_ref());
    let device_end = end_reading.and_then(|r| {
        device_group(&number_groups(&r.rest), device_id, officer_id).map(str::to_string)
    });
    // Its digits both readings show alike and surely: one digit unlike the device's own may
    // rest on them.
    let device_sure = match (reading, end_reading) {
        (Some(a), Some(b)) => match (
            sure_group(a, device_id, officer_id),
            sure_group(b, device_id, officer_id),
        ) {
            (Some(x), Some(y)) => both_sure(x, y),
            _ => None,
        },
        _ => None,
    };
    // The display inside a stretch at another frame rate against the file's start: the
    // change of its offset to the file's timestamps (local civil time on both sides), when it
    // names the same device and officer: a simultaneous recording of another recorder of the
    // model, spliced in, shows the same clock. The numbers compared are the groups after the
    // time that the file's first and last readings agree on (a position or a speed shown
    // beside the numbers changes as the officer walks, and is left out).
    let stretch = match (out.inside_stretch(), out.first(), out.last()) {
        (Some(inside), Some(start), Some(end)) if same_numbers(inside, start, end) => {
            match (
                inside.shown_offset(),
                start.shown_offset(),
                inside.reading.as_ref(),
            ) {
                (Some(there), Some(here), Some(r)) => Some((there - here, f64::from(r.confidence))),
                _ => None,
            }
        }
        _ => None,
    };
    let confidence = [first, last]
        .iter()
        .flatten()
        .map(|(_, c)| f64::from(*c))
        .fold(None, |a: Option<f64>, c| Some(a.map_or(c, |a| a.min(c))));
    let mut note = out.note.clone();
    if note.is_none() && out.decoded > 0 && first.is_none() {
        note = Some(if reading.is_some() {
            "the display's date and time could not be read".into()
        } else {
            "no display line was read (no line found, or the model's digits not learned)".into()
        });
    }
    // Keyframes planned, none decoded and no error: none of those read decodes alone (the
    // stage never decodes a picture that would show its references' moment).
    if note.is_none() && out.decoded == 0 {
        note = Some(
            "no keyframe read decodes alone (no IDR picture, nor an intra slice first, where the index marks keyframes): no picture to read the display in".into(),
        );
    }
    Osd {
        reading: OsdReading {
            start_us: first.and_then(|(t, _)| t),
            end_us: last.and_then(|(t, _)| t),
            offset_s,
            text: reading.map(|r| r.text.clone()),
            device: device.map(str::to_string),
            device_end,
            device_sure,
            // The last group, when there are two or more, or when the one is the officer's.
            officer: groups
                .last()
                .filter(|g| groups.len() > 1 || ends_in(g, officer_id))
                .map(|g| g.to_string()),
            confidence,
            jump_s: out.jump.as_ref().map(|j| j.by_s),
            jump_at_s: out.jump.as_ref().map(|j| j.at_s),
            jump_confidence: out.jump.as_ref().map(|j| f64::from(j.confidence)),
            jump_inside_gop: out.jump.as_ref().and_then(|j| j.inside_gop),
            stretch_step_s: stretch.map(|(step, _)| step),
            stretch_confidence: stretch.map(|(_, c)| c),
            end_offset_s,
        }
        .boxed(),
        coding_habits: out.habits.as_deref().map(Sym::from),
        slice_habits: out.slice_habits.as_deref().map(Sym::from),
        keyframes_decoded: Some(out.decoded as i32),
        note: note.as_deref().map(Sym::from),
        coded_across: out.coded_across,
        stretch_coded_across: out.stretch_coded_across,
    }
}

#[cfg(test)]
mod tests {
    use crate::keyframes::Seen;

    fn seen(rest: &str) -> Seen {
        Seen {
            t_s: 0.0,
            reading: Some(crate::osd::Reading {
                text: String::new(),
                civil_s: Some(0),
                rest: rest.to_string(),
                rest_sure: rest.to_string(),
                confidence: 1.0,
            }),
        }
    }

    #[test]
    fn a_stretchs_reading_is_held_to_the_numbers_the_files_ends_agree_on() {
        let same = |inside: &str, start: &str, end: &str| {
            super::same_numbers(&seen(inside), &seen(start), &seen(end))
        };
        // Alike, and alike however the spaces were seen (a glyph of the scene read at the end).
        assert!(same("0?????01 011", "0?????01 011", "0?????01 011 ?"));
        assert!(same("?0?????01?011????", "0?????01 011", "0?????01 011"));
        // A position after the numbers, changing as the officer walks: left out.
        let (start, end) = ("?????0012 001234 ?30 2741", "?????0012 001234 ?30 2799");
        assert!(same("?????0012 001234 ?30 2766", start, end));
        // Another recorder's numbers, with or without a position beside them.
        assert!(!same(
            "?????0345 009876",
            "?????0012 001234",
            "?????0012 001234"
        ));
        assert!(!same("?????0345 009876 ?30 2766", start, end));
        // A letter read as `?` at both ends and as `0` inside (a weak display's `D`).
        assert!(same("05????05 055", "?5????05 055", "?5????05 055"));
        // ... but not a number that differs where both pictures read a digit.
        assert!(!same("05????07 055", "?5????05 055", "?5????05 055"));
        // Nothing read where the numbers are: nothing to hold it to.
        assert!(!same("??", "??", "??"));
    }

    #[test]
    fn the_device_number_is_the_group_ending_in_the_paths_digits() {
        let gps_first = ["?30", "2741", "?120", "1551", "?????0012", "000112"];
        assert_eq!(
            super::device_group(&gps_first, Some("DSJ-W0012"), None),
            Some("?????0012")
        );
        // None names the path's device: the first group (another recorder's display).
        let other = ["?????0345", "009876"];
        assert_eq!(
            super::device_group(&other, Some("DSJ-A0012"), None),
            Some("?????0345")
        );
        // The display numbers the recorder otherwise than the path: its last four digits.
        assert_eq!(
            super::device_group(&["A8001234", "1023"], Some("DSJ-A8-0001234"), None),
            Some("A8001234")
        );
        assert_eq!(
            super::device_group(&["?30", "1023"], None, None),
            Some("?30")
        );
        assert_eq!(super::device_group(&[], Some("DSJ-A0012"), None), None);
        // A pooled recorder's display showing only the officer's number (the path's officer
        // 071234): no device number, not the officer's taken for one.
        assert_eq!(
            super::device_group(&["071234"], Some("DSJ-Q0099"), Some("071234")),
            None
        );
        assert_eq!(
            super::device_group(&["?30", "071234"], Some("DSJ-Q0099"), Some("OF071234")),
            Some("?30")
        );
        // Its number found, the officer's after it changes nothing.
        assert_eq!(
            super::device_group(&["?????0099", "071234"], Some("DSJ-Q0099"), Some("071234")),
            Some("?????0099")
        );
        // A display chip's `DSJ-MX11 011` whose narrow hyphen is no glyph, with a speck of
        // scene after it: the letters stand apart as `???`, and neither they nor the speck are
        // taken for a number (they were: the device number `???`, the officer `?`, so another
        // recorder's `?4757` was held against nothing).
        let groups = super::number_groups("??? ??11 011 ?");
        assert_eq!(groups, ["??11", "011"]);
        assert_eq!(
            super::device_group(&groups, Some("DSJ-MX11"), Some("OF0011")),
            Some("??11")
        );
        assert_eq!(super::number_groups("??? ?? ?"), Vec::<&str>::new());
    }

    use super::*;

    /// The file that brings a group to its hold decides the group's font there and then, and
    /// every file held, and each one after, is read with it and sent back as its row, with
    /// the font learned, before any end of the read.
    #[test]
    fn a_group_is_decided_and_read_once_it_holds_enough_files() {
        let path =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osd/day.mp4");
        let shared = Arc::new(Shared {
            groups: Default::default(),
            known: Fonts::new(),
            texts: Default::default(),
            tz: chrono_tz::Asia::Shanghai,
            run_id: "run".into(),
            every: false,
            hold: 2,
        });
        let held = |k: usize| {
            let input = Input {
                path: path.clone(),
                index: keyframes::find_index(&path)
                    .expect("opens")
                    .expect("an index"),
                group: "A".into(),
                stretch: None,
                seams: Default::default(),
            };
            let prepared = keyframes::prepare(&input);
            Held {
                k,
                input,
                prepared,
                base: Anchor::default(),
            }
        };
        let (tx, rx) = mpsc::channel();
        shared.arrive(held(0), &tx);
        assert!(rx.try_recv().is_err(), "one file is held, nothing read");
        shared.arrive(held(1), &tx);
        let decided = |s: &Shared| {
            matches!(
                s.groups.lock().expect("lock").get("A"),
                Some(Group::Decided(Some(_)))
            )
        };
        assert!(decided(&shared), "the second file decided the group");
        shared.arrive(held(2), &tx);
        drop(tx);
        let (mut learned, mut rows) = (0, Vec::new());
        for m in rx.iter() {
            match m {
                Msg::Learned(group, font) => {
                    assert_eq!(group, "A");
                    assert_eq!(font.digits_known(), 10);
                    learned += 1;
                }
                Msg::Row(k, Job::Finished(osd, keyframes)) => {
                    assert!(
                        osd.reading.as_ref().is_some_and(|r| r.start_us.is_some()),
                        "row {k}"
                    );
                    assert_eq!(keyframes.len(), 2, "row {k}: first and last");
                    rows.push(k);
                }
                Msg::Row(k, Job::NoIndex) => panic!("row {k}: no index"),
            }
        }
        rows.sort_unstable();
        assert_eq!((learned, rows), (1, vec![0, 1, 2]));
    }
}
