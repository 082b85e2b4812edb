//! Keyframes: for the H.264 and HEVC recordings in an MP4/MOV/3GP container that the read stage just
//! read, the recorder's burned-in clock, read from decoded keyframes ([`crate::keyframes`]),
//! becomes the files' `osd_*` columns. Files carried from the previous run keep theirs.
//!
//! A display's digits are learned per group of files that share a font: one device model (the
//! container's make and model, else the device id) at one picture size.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;

use super::ScanError;
use super::read::Read;
use super::setup::Run;
use crate::catalog::{FileFacts, Interner, Sym};
use crate::config::KeyframeMode;
use crate::keyframes::{self, Fonts, Input, Output, Prepared, Seen};
use crate::osd::{Font, Glyph, Ink};
use crate::store::prior::Cols;
use crate::store::tables::{FontRow, KeyframeRow, Osd, OsdReading, osd_fonts_batch};
use crate::store::warehouse::Staging;
use crate::store::{self, StoreError};

const FONTS: &str = "osd_fonts";

/// The fonts the previous run kept, by group, and the run that learned each.
type Known = (Fonts, BTreeMap<String, String>);

/// Containers whose sample tables the stage reads.
const CONTAINERS: [&str; 3] = ["mp4", "mov", "3gp"];

/// The stage's work that needs no font, started while the read goes on: each file to decode
/// is prepared ([`keyframes::prepare`]: its `moov` planned, its first and last keyframe decoded
/// and their display lines found) on a pool of its own as soon as it is read, so that the
/// decoding runs on the processors the read leaves idle while it waits for the disk.
pub(super) struct Early {
    pool: rayon::ThreadPool,
    tx: mpsc::Sender<Started>,
    /// Behind a lock only so that the read's workers may share the rest.
    rx: std::sync::Mutex<mpsc::Receiver<Started>>,
    /// Rows of the files started (by the read's worker threads, in any order).
    started: std::sync::Mutex<Vec<usize>>,
    /// What [`Early::absorb`] took from the channel and did not settle: the prepared files
    /// (settled once the fonts are learned), and a bit per row received.
    taken: std::sync::Mutex<Taken>,
    /// The notes and habits of the files finished early, one copy of each text.
    texts: std::sync::Arc<std::sync::Mutex<Interner>>,
    tz: chrono_tz::Tz,
    /// The fonts the previous run kept, and the run that learned each ([`known_fonts`]):
    /// read before the read starts, so that each file's keyframes are searched where its
    /// group's clock line stands.
    known: Known,
}

#[derive(Default)]
struct Taken {
    prepared: Vec<Started>,
    received: Vec<u64>,
}

impl Taken {
    /// A job come back: a prepared file waits for the fonts; one that needs nothing more
    /// becomes its row's `osd_*` columns (`osd` grown to the row).
    fn receive(&mut self, s: Started, osd: &mut Vec<Osd>, interner: &mut Interner) {
        let Started { k, job } = s;
        self.mark(k);
        if osd.len() <= k {
            osd.resize(k + 1, Osd::default());
        }
        match job {
            Job::Prepared(p) => self.prepared.push(Started {
                k,
                job: Job::Prepared(p),
            }),
            Job::Finished(o) => set_row(&mut osd[k], *o, interner),
            Job::NoMoov => osd[k].note = Some(Sym::from("no moov box among the top-level boxes")),
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

/// One file's early work: its input (none without a `moov` box) and what was prepared.
struct Started {
    k: usize,
    job: Job,
}

enum Job {
    NoMoov,
    /// Nothing more to do for the file (no plan came of it: nothing to read or learn from),
    /// kept as its `osd_*` columns, their text shared, rather than its input and preparation
    /// until the read ends.
    Finished(Box<Osd>),
    /// With the file's [`base_time`].
    Prepared(Box<(Input, Prepared, Option<i64>)>),
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
        let known = known_fonts(run)?;
        let (tx, rx) = mpsc::channel();
        Ok(Some(Early {
            pool,
            tx,
            rx: std::sync::Mutex::new(rx),
            started: std::sync::Mutex::new(Vec::new()),
            taken: Default::default(),
            texts: Default::default(),
            tz: run.tz,
            known,
        }))
    }

    /// Starts the work for row `k`, a file just read, when the stage decodes it.
    pub(super) fn start(&self, k: usize, fact: &FileFacts, path: &Path) {
        if !wanted(fact) {
            return;
        }
        let (path, group, tx) = (path.to_path_buf(), group(fact), self.tx.clone());
        let display = keyframes::display_of(&self.known.0, &group);
        let (base, tz, texts) = (base_time(fact), self.tz, self.texts.clone());
        if let Ok(mut started) = self.started.lock() {
            started.push(k);
        }
        self.pool.spawn(move || {
            // Opened once, to find its `moov` and to prepare it (unopenable: no `moov` found, as
            // `find_moov` says of it).
            let found = crate::read::open_noatime(&path)
                .ok()
                .and_then(|f| Some((keyframes::moov_in(&f)?, f)));
            let job = match found {
                None => Job::NoMoov,
                Some((moov, f)) => {
                    let input = Input { path, moov, group };
                    let mut prepared = keyframes::prepare_in(&input, Ok(f), display);
                    match prepared.finished() {
                        Some(out) => {
                            let mut osd = osd_of(base, &out, tz);
                            if let Ok(mut texts) = texts.lock() {
                                share_text(&mut osd, &mut texts);
                            }
                            Job::Finished(Box::new(osd))
                        }
                        None => Job::Prepared(Box::new((input, prepared, base))),
                    }
                }
            };
            let _ = tx.send(Started { k, job });
        });
    }

    /// Takes the jobs finished so far (without waiting): a file finished early becomes its
    /// row's `osd_*` columns in `osd` (grown to the row), a prepared one waits for the fonts.
    /// The read calls this after each batch, so that a million files' finished jobs do not
    /// wait in the channel (about 100 bytes each there, 64 as a row).
    pub(super) fn absorb(&self, osd: &mut Vec<Osd>, interner: &mut Interner) {
        let ready: Vec<Started> = match self.rx.lock() {
            Ok(rx) => rx.try_iter().collect(),
            Err(_) => return,
        };
        let Ok(mut taken) = self.taken.lock() else {
            return;
        };
        for s in ready {
            taken.receive(s, osd, interner);
        }
    }

    /// Waits for every file started: the prepared ones by row, and the rows started that
    /// sent nothing back; and hands back the known fonts.
    fn finish(
        self,
        osd: &mut Vec<Osd>,
        interner: &mut Interner,
    ) -> (Vec<Started>, Vec<usize>, Known) {
        let Early {
            pool,
            tx,
            rx,
            started,
            taken,
            known,
            ..
        } = self;
        drop(tx);
        // Every job holds a sender until it ends (or unwinds): this ends when all have.
        let rx = rx.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut taken = taken.into_inner().unwrap_or_else(|e| e.into_inner());
        for s in rx.iter() {
            taken.receive(s, osd, interner);
        }
        drop(pool);
        let mut prepared = std::mem::take(&mut taken.prepared);
        prepared.sort_by_key(|s| s.k);
        let mut lost = started.into_inner().unwrap_or_else(|e| e.into_inner());
        lost.retain(|&k| !taken.has(k));
        lost.sort_unstable();
        (prepared, lost, known)
    }
}

pub(super) fn read_clocks(
    run: &Run,
    read: &mut Read,
    staging: &mut Staging,
) -> Result<(), ScanError> {
    // Rows whose jobs were absorbed during the read are filled in already.
    read.osd.resize(read.read_rows, Osd::default());
    let Some(early) = read.early.take() else {
        staging.carry(FONTS)?;
        return spill(read, staging);
    };
    let (done, lost, (known, learned_in)) = early.finish(&mut read.osd, &mut read.interner);
    let mut inputs = Vec::new();
    let mut prepared = Vec::new();
    let mut rows = Vec::new();
    let mut bases = Vec::new();
    // A file started that sent nothing back: its job panicked outside the contained decode.
    for k in lost {
        if let Some(row) = read.osd.get_mut(k) {
            row.note = Some(Sym::from("the keyframe stage failed on this file"));
        }
    }
    for Started { k, job } in done {
        if let Job::Prepared(job) = job {
            let (input, p, base) = *job;
            inputs.push(input);
            prepared.push(p);
            rows.push(k);
            bases.push(base);
        }
    }
    let every = run.plan.config.scan.keyframes == KeyframeMode::All;
    let (outputs, learned) = run
        .pool
        .install(|| keyframes::run_prepared(&inputs, prepared, &known, every));
    for (((k, out), input), base) in rows.into_iter().zip(outputs).zip(&inputs).zip(bases) {
        let path = super::path_text(&input.path);
        read.keyframes.extend(out.keyframes.iter().map(|kf| {
            let r = kf.seen.reading.as_ref();
            KeyframeRow {
                run_id: run.id.clone(),
                path: path.to_string(),
                purpose: kf.purpose,
                sample: kf.sample as i64,
                gop_index: kf.gop_index as i32,
                t_s: kf.seen.t_s,
                frame_type: kf.slice.map(|s| s.kind),
                slice_qp: kf.slice.map(|s| s.qp),
                osd_time_us: r.and_then(|r| r.civil_s).and_then(|c| instant(c, run.tz)),
                osd_text: r.map(|r| r.text.clone()),
                osd_confidence: r
                    .filter(|r| r.civil_s.is_some())
                    .map(|r| f64::from(r.confidence)),
            }
        }));
        settle(run, read, k, &out, base);
    }
    write_fonts(run, (&known, &learned_in), &learned, staging)?;
    spill(read, staging)?;
    run.phase("keyframes decoded and burned-in clocks read");
    Ok(())
}

/// Writes the `osd_*` columns of the rows read to the staging folder, in row order, and frees
/// them: held until `files` is written they would cost some 200 bytes a file at the scan's
/// peak.
fn spill(read: &mut Read, staging: &mut Staging) -> Result<(), ScanError> {
    let schema = crate::store::osd_batch(&[])?.schema();
    let mut w = staging.writer_with("files", super::OSD_STAGED, schema, false)?;
    for part in read.osd.chunks(super::BATCH_FILES) {
        let refs: Vec<&Osd> = part.iter().collect();
        w.write(&crate::store::osd_batch(&refs)?)?;
    }
    w.finish()?;
    read.osd = Vec::new();
    Ok(())
}

/// A file's output becomes its `osd_*` columns; their text shared with other files'. `base` is
/// the file's [`base_time`].
fn settle(run: &Run, read: &mut Read, k: usize, out: &Output, base: Option<i64>) {
    let osd = osd_of(base, out, run.tz);
    if let Some(row) = read.osd.get_mut(k) {
        set_row(row, osd, &mut read.interner);
    }
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

/// The `keyframes` table: the rows of the files read now, then those of the files carried
/// unchanged from the previous snapshot.
pub(super) fn write_keyframes(
    run: &Run,
    rows: &[KeyframeRow],
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
    if rows.is_empty() && parts.is_empty() {
        return Ok(());
    }
    let mut w = staging.writer("keyframes", "part-00000.parquet", schema.clone())?;
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
                if let Some(r) = c.str("learned_run_id", i) {
                    learned_in
                        .entry(group.to_string())
                        .or_insert_with(|| r.to_string());
                }
            }
        }
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

/// A file's `osd_*` columns from the stage's output; `base` is its [`base_time`].
fn osd_of(base: Option<i64>, out: &Output, tz: chrono_tz::Tz) -> Osd {
    let time = |s: Option<&Seen>| {
        s.and_then(|s| s.reading.as_ref())
            .and_then(|r| r.civil_s.map(|c| (instant(c, tz), r.confidence)))
    };
    let (first, last) = (time(out.first()), time(out.last()));
    let reading = out.first().and_then(|s| s.reading.as_ref());
    let groups: Vec<&str> = reading
        .map(|r| r.rest.split_whitespace().collect())
        .unwrap_or_default();
    let offset_s = match (first, out.first(), base) {
        (Some((Some(shown), _)), Some(seen), Some(base)) => {
            Some((shown - base) as f64 / 1e6 - seen.t_s)
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
    Osd {
        reading: OsdReading {
            start_us: first.and_then(|(t, _)| t),
            end_us: last.and_then(|(t, _)| t),
            offset_s,
            text: reading.map(|r| r.text.clone()),
            device: groups.first().map(|s| s.to_string()),
            officer: (groups.len() > 1).then(|| groups[groups.len() - 1].to_string()),
            confidence,
            jump_s: out.jump.as_ref().map(|j| j.by_s),
            jump_at_s: out.jump.as_ref().map(|j| j.at_s),
        }
        .boxed(),
        coding_habits: out.habits.as_deref().map(Sym::from),
        slice_habits: out.slice_habits.as_deref().map(Sym::from),
        keyframes_decoded: Some(out.decoded as i32),
        note: note.as_deref().map(Sym::from),
    }
}
