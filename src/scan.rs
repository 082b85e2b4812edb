//! The scan stage: walk the roots, read every file once (hash + parse), turn what was learned
//! into catalog rows, and commit them to the warehouse as one run. A file that fails becomes a
//! row with its status and error; only problems with the run itself (a missing root, an
//! unwritable warehouse) stop it.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use std::collections::{HashMap, HashSet};

use arrow_array::cast::AsArray;
use arrow_array::{BooleanArray, RecordBatch};

use crate::analyse;
use crate::catalog::{CustodyEvent, Derived, FileFacts, FileRow, FindingRow, RunRow, StreamRow};
use crate::config::{Config, ConfigError};
use crate::context;
use crate::custody::{self, Action, Reason, Seen, Verify};
use crate::media::{self, MediaInfo, ProblemKind, RecordedTime};
use crate::obligations;
use crate::pathinfo::{PathPatterns, local_to_utc};
use crate::read::{self, IoMode, ReadOptions};
use crate::rules::Env;
use crate::sessions;
use crate::store::prior::{self, Prior};
use crate::store::{self, StoreError, warehouse::Warehouse};
use crate::walk::{self, Entry, EntryKind, WalkError, WalkOptions};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the Parquet writer thread panicked")]
    WriterPanicked,
    #[error("context tables: {0}")]
    Context(#[from] crate::context::ContextError),
    #[error("cannot start {0} worker threads: {1}")]
    Threads(usize, String),
}

/// Everything a scan needs, already validated by the command line layer.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    pub roots: Vec<PathBuf>,
    pub warehouse: PathBuf,
    pub config: Config,
    pub threads: usize,
    pub io: IoMode,
    pub read: ReadOptions,
    pub walk: WalkOptions,
    /// How much of the unchanged tree to re-hash.
    pub verify: VerifyPlan,
    /// Context tables (cases, ingest log, notes, calendar); default `WAREHOUSE/context`.
    pub context: Option<PathBuf>,
}

/// `--verify` and `--verify-budget` as given.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum VerifyPlan {
    #[default]
    None,
    All,
    Bytes(u64),
    Percent(f64),
}

/// Told what the scan is doing; the CLI shows it, tests ignore it.
pub trait Progress: Sync {
    fn walked(&self, _files: u64, _bytes: u64) {}
    fn bytes(&self, _n: u64) {}
    fn file_done(&self) {}
    fn analysing(&self) {}
    fn committing(&self) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run: RunRow,
    pub warehouse: PathBuf,
    pub snapshot: PathBuf,
    #[serde(skip)]
    pub findings: Vec<FindingRow>,
}

#[derive(Serialize)]
struct Settings<'a> {
    config: &'a Config,
    threads: usize,
    io_mode: &'a str,
    mmap: bool,
    follow_symlinks: bool,
    allow_empty_root: bool,
    verify: String,
    context: Option<String>,
}

/// The staged, uncompressed `files` table before session ids are filled in.
const FILES_STAGED: &str = "staged.parquet.part";

/// Files read and written per batch (one Parquet row group).
const BATCH_FILES: usize = 4096;

/// Per-status counts for the run row, gathered batch by batch.
#[derive(Default)]
struct Tally {
    files: i64,
    bytes: i64,
    hashed_bytes: i64,
    changed: i64,
    by_status: [i64; 5],
}

impl Tally {
    fn add(&mut self, f: &FileRow) {
        self.files += 1;
        self.bytes += f.size_bytes;
        if f.blake3.is_some() {
            self.hashed_bytes += f.size_bytes;
        }
        self.changed += i64::from(f.changed_during_read);
        if let Some(i) = STATUSES.iter().position(|s| *s == f.status) {
            self.by_status[i] += 1;
        }
    }
    fn add_fact(&mut self, f: &FileFacts) {
        self.files += 1;
        self.bytes += f.size_bytes;
        if let Some(i) = STATUSES.iter().position(|s| **s == *f.status) {
            self.by_status[i] += 1;
        }
    }
    fn count(&self, status: &str) -> i64 {
        STATUSES
            .iter()
            .position(|s| *s == status)
            .map_or(0, |i| self.by_status[i])
    }
}

thread_local! {
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub const STATUSES: [&str; 5] = ["ok", "corrupt", "truncated", "unreadable", "unsupported"];

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let salt = (now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{}-{salt:04x}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or
    // truncates, and we stop at the first NUL or the end.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// A path as text without losing bytes: invalid UTF-8 bytes become `\xNN` (the exact bytes are
/// in `path_bytes`).
pub fn display_path(p: &Path) -> String {
    let bytes = p.as_os_str().as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut out = String::new();
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    out.push_str(&format!("\\x{b:02X}"));
                }
            }
            out
        }
    }
}

/// Where a run's `files` rows come from: read this run (rows `0..read`), then carried from the
/// previous catalogue (rows `read..`).
struct Carried {
    paths: HashSet<Box<str>>,
}

/// A previous `streams` file with at least this many rows, all carried, is linked rather than
/// rewritten.
const LINK_MIN_ROWS: usize = 10_000;

impl Carried {
    /// `Some(rows)` when every row of the Parquet file `part` belongs to a carried path.
    fn all_carried(&self, part: &Path) -> Result<Option<usize>, ScanError> {
        let mut n = 0;
        for b in store::parquet_reader(part, 8192, Some(&["path"]))? {
            let b = b.map_err(|source| StoreError::Arrow {
                table: "streams",
                source,
            })?;
            let paths = prior::Cols(&b).text("path");
            if (0..b.num_rows()).any(|i| paths.get(i).is_none_or(|p| !self.paths.contains(p))) {
                return Ok(None);
            }
            n += b.num_rows();
        }
        Ok(Some(n))
    }

    /// The previous snapshot's batches of `table`, cut down to the carried paths and brought to
    /// this version's schema.
    fn batches(
        &self,
        parts: &[PathBuf],
        table: &'static str,
        schema: &arrow_schema::SchemaRef,
        each: impl FnMut(RecordBatch) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        self.batches_of(parts, table, Some(schema), None, each)
    }

    /// Like [`Carried::batches`], reading only `columns` (and not conforming to a schema) when
    /// given.
    fn batches_of(
        &self,
        parts: &[PathBuf],
        table: &'static str,
        schema: Option<&arrow_schema::SchemaRef>,
        columns: Option<&[&str]>,
        mut each: impl FnMut(RecordBatch) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        if self.paths.is_empty() {
            return Ok(());
        }
        for part in parts {
            for b in store::parquet_reader(part, 8192, columns)? {
                let b = b.map_err(|source| StoreError::Arrow { table, source })?;
                let Some(paths) = b
                    .column_by_name("path")
                    .and_then(|c| c.as_string_opt::<i32>())
                else {
                    continue;
                };
                let keep: BooleanArray = paths
                    .iter()
                    .map(|p| Some(p.is_some_and(|p| self.paths.contains(p))))
                    .collect();
                let b = arrow_select::filter::filter_record_batch(&b, &keep)
                    .map_err(|source| StoreError::Arrow { table, source })?;
                if b.num_rows() > 0 {
                    match schema {
                        Some(schema) => each(store::conform(&b, table, schema)?)?,
                        None => each(b)?,
                    }
                }
            }
        }
        Ok(())
    }
}

pub fn run_scan(plan: &ScanPlan, progress: &dyn Progress) -> Result<RunSummary, ScanError> {
    let started = now_us();
    let clock = Instant::now();
    let tz = plan.config.zone()?;
    let patterns = PathPatterns::new(&plan.config.path_patterns, tz)?;
    walk::check_roots(&plan.roots, &plan.walk)?;
    let wh = Warehouse::open(&plan.warehouse)?;
    let context_dir = plan
        .context
        .clone()
        .or_else(|| Some(wh.root().join("context")).filter(|d| d.is_dir()));
    let mut context = context::load_typed(context_dir.as_deref(), tz)?;
    context.anchor(
        &plan
            .roots
            .iter()
            .map(|r| display_path(r))
            .collect::<Vec<_>>(),
    );
    let run_id = new_run_id();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| ScanError::Threads(plan.threads, e.to_string()))?;

    let timings = std::env::var_os("RECAUDIT_TIMINGS").is_some();
    let phase = |name: &str| {
        if timings {
            // Resident memory now and at its peak, from the kernel's account of this process.
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let kib = |key: &str| {
                status
                    .lines()
                    .find(|l| l.starts_with(key))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .unwrap_or("?")
                    .to_string()
            };
            eprintln!(
                "recaudit: {name} done at {:.3} s (RSS {} KiB, peak {} KiB)",
                clock.elapsed().as_secs_f64(),
                kib("VmRSS:"),
                kib("VmHWM:")
            );
        }
    };
    let prior = Prior::load(wh.current().as_deref())?;
    phase("previous catalogue");
    let entries = pool.install(|| walk::walk(&plan.roots, &plan.walk));
    phase("walk");
    // Paths as text, to compare with the previous catalogue (a first scan has none to compare).
    let paths: Vec<String> = if prior.files.is_empty() {
        Vec::new()
    } else {
        pool.install(|| entries.par_iter().map(|e| display_path(&e.path)).collect())
    };
    let roots: Vec<String> = plan.roots.iter().map(|r| display_path(r)).collect();
    let total_bytes: u64 = entries.iter().map(|e| e.size).sum();
    let verify = match plan.verify {
        VerifyPlan::None => Verify::None,
        VerifyPlan::All => Verify::All,
        VerifyPlan::Bytes(b) => Verify::Budget(b),
        VerifyPlan::Percent(p) => Verify::Budget((total_bytes as f64 * p / 100.0).ceil() as u64),
    };
    let actions = custody::plan(&entries, &paths, &prior, verify);
    let to_read: Vec<usize> = (0..entries.len())
        .filter(|&i| actions[i] != Action::Carry)
        .collect();
    progress.walked(
        to_read.len() as u64,
        to_read.iter().map(|&i| entries[i].size).sum(),
    );
    let mode = if prior.snapshot.is_none() {
        "full"
    } else if matches!(verify, Verify::All) {
        "verify"
    } else {
        "incremental"
    };

    let ctx = Ctx {
        plan,
        patterns: &patterns,
        tz,
        run_id: &run_id,
        progress,
    };
    // Files are processed and written in batches so that memory stays flat however large the
    // tree: each batch becomes one row group of `files` and of `streams`.
    let mut staging = wh.stage(&run_id)?;
    staging.expect_rows(entries.len() + prior.files.len());
    let files_schema = store::files_batch(&[])?.schema();
    let streams_schema = store::streams_batch(&[])?.schema();
    // `files` is staged uncompressed: it is rewritten with each file's per-run columns (and
    // compressed then) once the sessions and obligations are known.
    let mut files_w = staging.writer_with("files", FILES_STAGED, files_schema.clone(), false)?;
    let mut streams_w = staging.writer("streams", "part-00000.parquet", streams_schema.clone())?;
    let mut tally = Tally::default();
    let mut facts: Vec<FileFacts> = Vec::with_capacity(entries.len());
    let mut interner = crate::catalog::Interner::default();
    let mut buf = Vec::new();
    // Encoding a batch into Parquet runs on its own thread while the next batch is read; the
    // channel holds one batch, so at most three are ever in memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<FileRow>, Vec<StreamRow>)>(1);
    let written: Result<(), ScanError> = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(), ScanError> {
            for (files, streams) in rx {
                files_w.write(&store::files_batch(&files)?)?;
                streams_w.write(&store::streams_batch(&streams)?)?;
            }
            files_w.finish()?;
            streams_w.finish()?;
            Ok(())
        });
        for batch in to_read.chunks(BATCH_FILES) {
            // The compact facts for sessions and rules are taken in the workers too.
            let with_facts = |(f, s): (FileRow, Vec<StreamRow>)| {
                let facts = FileFacts::from_row(0, &f);
                (f, s, facts)
            };
            let results: Vec<(FileRow, Vec<StreamRow>, FileFacts)> = match plan.io {
                // One read buffer per worker thread for the whole run.
                IoMode::Parallel => pool.install(|| {
                    batch
                        .par_iter()
                        .map(|&i| {
                            with_facts(READ_BUF.with_borrow_mut(|b| ctx.process(&entries[i], b)))
                        })
                        .collect()
                }),
                IoMode::Sequential => batch
                    .iter()
                    .map(|&i| with_facts(ctx.process(&entries[i], &mut buf)))
                    .collect(),
            };
            let mut files = Vec::with_capacity(results.len());
            let mut streams = Vec::new();
            for (f, s, mut fact) in results {
                tally.add(&f);
                fact.row = facts.len();
                interner.facts(&mut fact);
                facts.push(fact);
                files.push(f);
                streams.extend(s);
            }
            if tx.send((files, streams)).is_err() {
                break; // the writer failed; its error is reported below
            }
        }
        drop(tx);
        writer
            .join()
            .unwrap_or_else(|_| Err(ScanError::WriterPanicked))
    });
    written?;
    let read_rows = facts.len();
    phase("read, hash, parse and write files/streams");

    // Custody: compare what was read with the previous catalogue.
    let seen: Vec<Seen> = to_read
        .iter()
        .zip(&facts)
        .map(|(&i, f)| Seen {
            path: &f.path,
            status: &f.status,
            reason: match actions[i] {
                Action::Read(r) => r,
                Action::Carry => Reason::Verify,
            },
            blake3: f.blake3.as_deref(),
            size_bytes: f.size_bytes,
            mtime_us: f.mtime_us,
            device_id: f.device_id.as_deref(),
        })
        .collect();
    let walked: HashSet<&str> = paths.iter().map(String::as_str).collect();
    // This run's custody rows stream to disk as they are found; only their counts, the
    // offences and the moves stay in memory (a first scan has a `new` event per file).
    const KINDS: [&str; 7] = [
        "new",
        "verified",
        "modified",
        "metadata_changed",
        "deleted",
        "moved",
        "restored",
    ];
    let mut counts = [0i64; 7];
    let mut offences = prior.offences.clone();
    let mut moved_from: HashMap<String, String> = HashMap::new();
    staging.carry("custody_events")?;
    let mut custody_w: Option<store::warehouse::TableWriter> = None;
    let mut chunk: Vec<CustodyEvent> = Vec::new();
    let custody_schema = store::custody_batch(&[])?.schema();
    let custody_file = format!("run-{run_id}.parquet");
    let flush = |chunk: &mut Vec<CustodyEvent>,
                 w: &mut Option<store::warehouse::TableWriter>,
                 staging: &mut store::warehouse::Staging|
     -> Result<(), ScanError> {
        if chunk.is_empty() {
            return Ok(());
        }
        if w.is_none() {
            *w = Some(staging.writer("custody_events", &custody_file, custody_schema.clone())?);
        }
        if let Some(w) = w.as_mut() {
            w.write(&store::custody_batch(chunk)?)?;
        }
        chunk.clear();
        Ok(())
    };
    custody::events(&run_id, started, &seen, &walked, &roots, &prior, |e| {
        if let Some(k) = KINDS.iter().position(|x| *x == e.event) {
            counts[k] += 1;
        }
        if e.event == "modified" || e.event == "deleted" {
            offences.push(e.clone());
        }
        if e.event == "moved"
            && let Some(p) = &e.previous_path
        {
            moved_from.insert(e.path.clone(), p.clone());
        }
        chunk.push(e);
        if chunk.len() >= BATCH_FILES * 4 {
            flush(&mut chunk, &mut custody_w, &mut staging)?;
        }
        Ok::<(), ScanError>(())
    })?;
    flush(&mut chunk, &mut custody_w, &mut staging)?;
    if let Some(w) = custody_w {
        w.finish()?;
    }
    drop(chunk);
    drop(seen);
    drop(walked);

    // The rows carried over unread: unchanged files, and files under roots not scanned now.
    // The walk's entries and paths are not needed past this point: the carried paths are moved
    // out of them and the rest freed before the analysis, which is where memory peaks.
    let mut paths = paths;
    let mut carry_paths: HashSet<Box<str>> = (0..entries.len())
        .filter(|&i| actions[i] == Action::Carry)
        .map(|i| std::mem::take(&mut paths[i]).into_boxed_str())
        .collect();
    drop(paths);
    drop(entries);
    drop(actions);
    drop(to_read);
    let in_scope = |root: &str| roots.iter().any(|r| r == root);
    let out_of_scope: HashSet<&str> = prior
        .files
        .iter()
        .filter(|(_, p)| !in_scope(&p.root))
        .map(|(path, _)| path.as_str())
        .collect();
    carry_paths.extend(out_of_scope.iter().map(|p| Box::from(*p)));
    let carried = Carried { paths: carry_paths };
    carried.batches_of(
        &prior.files_parts,
        "files",
        None,
        Some(prior::FACT_COLUMNS),
        |b| {
            let first = facts.len();
            for mut f in prior::facts_from_batch(&b, first) {
                interner.facts(&mut f);
                tally.add_fact(&f);
                facts.push(f);
            }
            Ok(())
        },
    )?;
    let carried_rows = facts.len() - read_rows;
    phase("previous catalogue rows carried");

    // Sessions, obligations and findings over the whole catalogue.
    progress.analysing();
    let sess = sessions::build(&facts, plan.config.rules.session_pause_s);
    let obligations =
        obligations::compute(&facts, &context, tz, plan.config.rules.birth_time_is_upload);
    let mut derived = analyse::derived(&sess, &obligations, &context);
    // Custody dates: first seen (a moved file keeps its original's), last seen, last verified.
    for (k, f) in facts.iter().enumerate() {
        let path: &str = &f.path;
        let prev = prior.files.get(path).or_else(|| {
            moved_from
                .get(path)
                .and_then(|p| prior.files.get(p.as_str()))
        });
        let d = &mut derived[k];
        d.first_seen_us = Some(prev.and_then(|p| p.first_seen_us).unwrap_or(started));
        if k < read_rows {
            d.last_seen_us = Some(started);
            d.last_verified_us = f.blake3.as_ref().map(|_| started);
        } else if out_of_scope.contains(path) {
            d.last_seen_us = prev.and_then(|p| p.last_seen_us);
            d.last_verified_us = prev.and_then(|p| p.last_verified_us);
        } else {
            d.last_seen_us = Some(started);
            d.last_verified_us = prev.and_then(|p| p.last_verified_us);
        }
    }
    phase("obligations and per-run columns");
    let env = Env {
        context: &context,
        obligations: &obligations,
        offences: &offences,
    };
    // Streams of carried files: a previous Parquet file whose rows are all carried and that is
    // big enough is linked as it is (its rows keep the run that read them); the rest are
    // filtered into one rewritten file, so small files do not pile up night after night.
    let link_min_rows = std::env::var("RECAUDIT_TEST_LINK_MIN_ROWS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(LINK_MIN_ROWS)
        .max(1);
    let mut relink = Vec::new();
    let mut rewrite = Vec::new();
    if carried_rows > 0 {
        for part in &prior.streams_parts {
            match carried.all_carried(part)? {
                Some(n) if n >= link_min_rows => relink.push(part.clone()),
                Some(0) => {}
                _ => rewrite.push(part.clone()),
            }
        }
    }
    for (k, part) in relink.iter().enumerate() {
        let to = staging.path_of("streams", &format!("carried-{k:05}.parquet"));
        if std::fs::hard_link(part, &to).is_err() {
            std::fs::copy(part, &to).map_err(|source| StoreError::Io {
                path: to.clone(),
                source,
            })?;
        }
    }
    let streams_rewrite = if rewrite.is_empty() {
        None
    } else {
        Some(staging.writer(
            "streams",
            "carried-rewritten.parquet",
            streams_schema.clone(),
        )?)
    };
    // Per-run columns go into the staged `files` on one thread while the rules run on the
    // others.
    let (rules_out, filled) = std::thread::scope(|scope| {
        let fill = scope.spawn(|| -> Result<(), ScanError> {
            store::fill_derived(
                &mut staging,
                FILES_STAGED,
                "part-00000.parquet",
                &run_id,
                &derived[..read_rows],
            )?;
            if carried_rows > 0 {
                let mut w =
                    staging.writer("files", "carried-00000.parquet", files_schema.clone())?;
                let mut row = read_rows;
                carried.batches(&prior.files_parts, "files", &files_schema, |b| {
                    let n = b.num_rows();
                    let slice: Vec<&Derived> = derived[row..row + n].iter().collect();
                    w.write(&store::with_derived(&b, &run_id, &slice)?)?;
                    row += n;
                    Ok(())
                })?;
                w.finish()?;
            }
            phase("files and streams written");
            Ok(())
        });
        let streams = scope.spawn(|| -> Result<(), ScanError> {
            if let Some(mut w) = streams_rewrite {
                carried.batches(&rewrite, "streams", &streams_schema, |b| {
                    w.write(&b)?;
                    Ok(())
                })?;
                w.finish()?;
            }
            Ok(())
        });
        let out = pool.install(|| {
            analyse::analyse_sessions(
                &facts,
                &sess,
                &plan.config.rules,
                tz,
                &run_id,
                started,
                &env,
            )
        });
        let filled = fill.join().map_err(|_| ScanError::WriterPanicked);
        let streamed = streams.join().map_err(|_| ScanError::WriterPanicked);
        (out, filled.and_then(|f| f).and(streamed.and_then(|s| s)))
    });
    filled?;
    let (sessions, findings) = rules_out;
    drop(facts);
    phase("sessions, rules and per-run columns of files");
    staging.write(
        "sessions",
        "part-00000.parquet",
        &store::sessions_batch(&sessions)?,
    )?;
    staging.write(
        "findings",
        "part-00000.parquet",
        &store::findings_batch(&findings)?,
    )?;
    staging.carry("exports")?;
    let severity_count = |s: &str| findings.iter().filter(|f| f.severity == s).count() as i64;

    let settings = Settings {
        config: &plan.config,
        threads: plan.threads,
        io_mode: io_name(plan.io),
        mmap: plan.read.use_mmap,
        follow_symlinks: plan.walk.follow_symlinks,
        allow_empty_root: plan.walk.allow_empty_root,
        verify: format!("{:?}", plan.verify),
        context: context_dir.as_ref().map(|d| display_path(d)),
    };
    let mut run = RunRow {
        run_id: run_id.clone(),
        started_us: started,
        finished_us: 0,
        elapsed_s: 0.0,
        roots,
        files: tally.files,
        bytes: tally.bytes,
        hashed_bytes: tally.hashed_bytes,
        files_ok: tally.count("ok"),
        files_corrupt: tally.count("corrupt"),
        files_truncated: tally.count("truncated"),
        files_unreadable: tally.count("unreadable"),
        files_unsupported: tally.count("unsupported"),
        files_changed_during_read: tally.changed,
        recaudit_version: env!("CARGO_PKG_VERSION").to_string(),
        settings: serde_json::to_string(&settings).unwrap_or_default(),
        host: hostname(),
        threads: plan.threads as i32,
        io_mode: io_name(plan.io).to_string(),
        sessions: sessions.len() as i64,
        findings_high: severity_count("high"),
        findings_warn: severity_count("warn"),
        findings_info: severity_count("info"),
        mode: mode.to_string(),
        files_carried: carried_rows as i64,
        files_new: counts[0],
        files_verified: counts[1],
        files_modified: counts[2],
        files_metadata_changed: counts[3],
        files_deleted: counts[4],
        files_moved: counts[5],
        files_restored: counts[6],
    };

    progress.committing();
    staging.carry("runs")?;
    run.finished_us = now_us();
    run.elapsed_s = clock.elapsed().as_secs_f64();
    staging.write(
        "runs",
        &format!("run-{run_id}.parquet"),
        &store::runs_batch(std::slice::from_ref(&run))?,
    )?;
    // Test hook: hold the finished-but-uncommitted run so a test can kill the process here.
    if let Some(ms) = std::env::var("RECAUDIT_TEST_PAUSE_BEFORE_COMMIT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let snapshot = wh.commit(staging)?;
    phase("commit");
    Ok(RunSummary {
        run,
        warehouse: wh.root().to_path_buf(),
        snapshot,
        findings,
    })
}

pub fn io_name(io: IoMode) -> &'static str {
    match io {
        IoMode::Parallel => "parallel",
        IoMode::Sequential => "sequential",
    }
}

struct Ctx<'a> {
    plan: &'a ScanPlan,
    patterns: &'a PathPatterns,
    tz: chrono_tz::Tz,
    run_id: &'a str,
    progress: &'a dyn Progress,
}

impl Ctx<'_> {
    fn process(&self, e: &Entry, buf: &mut Vec<u8>) -> (FileRow, Vec<StreamRow>) {
        let root = &self.plan.roots[e.root];
        let rel = e.path.strip_prefix(root).unwrap_or(&e.path);
        let rel_s = display_path(rel);
        let file_name = e
            .path
            .file_name()
            .map(|n| display_path(Path::new(n)))
            .unwrap_or_default();
        let extension = e
            .path
            .extension()
            .map(|x| display_path(Path::new(x)).to_lowercase())
            .unwrap_or_default();
        let facts = self.patterns.extract(&rel_s);
        let mut row = FileRow {
            run_id: self.run_id.to_string(),
            path: display_path(&e.path),
            path_bytes: e.path.as_os_str().as_bytes().to_vec(),
            root: display_path(root),
            rel_path: rel_s,
            file_name,
            extension: extension.clone(),
            size_bytes: e.size as i64,
            mtime_us: e.mtime_ns.map(|n| n.div_euclid(1000)),
            fs_dev: (e.dev != 0).then_some(e.dev as i64),
            fs_inode: (e.ino != 0).then_some(e.ino as i64),
            device_id: facts.device_id,
            officer_id: facts.officer_id,
            unit: facts.unit,
            name_time_us: facts.name_time.map(|s| s * 1_000_000),
            name_time_raw: facts.name_time_raw,
            segment_seq: facts.segment_seq.map(|s| s as i32),
            path_pattern: facts.pattern,
            birth_time_us: e.btime_us,
            ..Default::default()
        };
        let mut streams = Vec::new();
        match (&e.kind, &e.error) {
            (_, Some(err)) => {
                row.status = "unreadable".into();
                row.error = Some(err.clone());
            }
            (EntryKind::Dir, None) => {
                row.status = "unreadable".into();
                row.error = Some("directory could not be listed".into());
            }
            (EntryKind::Symlink(t), None) => {
                row.status = "unsupported".into();
                row.error = Some(format!(
                    "symbolic link to {} not followed (use --follow-symlinks)",
                    display_path(t)
                ));
            }
            (EntryKind::Special(k), None) => {
                row.status = "unsupported".into();
                row.error = Some(format!("not a regular file ({k}): not opened"));
            }
            (EntryKind::File, None) => {
                let progress = |n: u64| self.progress.bytes(n);
                let r = read::read_file(&e.path, &extension, &self.plan.read, buf, &progress);
                row.read_method = Some(r.method.name().into());
                row.blake3 = r.blake3.map(|h| h.to_hex().to_string());
                if let Some(err) = r.error {
                    row.status = "unreadable".into();
                    row.error = Some(err.to_string());
                } else if let Some(p) = r.parsed {
                    row.status = match p.problem.as_ref().map(|p| p.kind) {
                        None => "ok",
                        Some(ProblemKind::Corrupt) => "corrupt",
                        Some(ProblemKind::Truncated) => "truncated",
                        Some(ProblemKind::Unsupported) => "unsupported",
                    }
                    .into();
                    row.error = p.problem.map(|p| p.message);
                    let expected = media::expected_container(&extension);
                    row.extension_matches = expected.map(|x| same_family(x, p.info.container));
                    streams = self.fill(&mut row, &p.info);
                }
                if let Some(c) = r.changed {
                    row.changed_during_read = true;
                    row.error = Some(match row.error.take() {
                        Some(prev) => format!("{c}; {prev}"),
                        None => c,
                    });
                }
            }
        }
        self.progress.file_done();
        (row, streams)
    }

    fn utc_us(&self, t: RecordedTime) -> (Option<i64>, String) {
        match t {
            RecordedTime::Utc(s) => (s.checked_mul(1_000_000), "utc".into()),
            RecordedTime::Offset(n, off) => {
                let s = n.and_utc().timestamp() - i64::from(off);
                let sign = if off < 0 { '-' } else { '+' };
                (
                    s.checked_mul(1_000_000),
                    format!(
                        "offset {sign}{:02}:{:02}",
                        off.abs() / 3600,
                        off.abs() % 3600 / 60
                    ),
                )
            }
            RecordedTime::Local(n) => (
                local_to_utc(n, self.tz).and_then(|s| s.checked_mul(1_000_000)),
                format!("local {}", self.tz.name()),
            ),
        }
    }

    fn fill(&self, row: &mut FileRow, info: &MediaInfo) -> Vec<StreamRow> {
        row.container = Some(info.container.name().into());
        row.media_kind = Some(info.kind.name().into());
        row.major_brand = info.major_brand.clone();
        row.compatible_brands =
            (!info.compatible_brands.is_empty()).then(|| info.compatible_brands.join(","));
        row.duration_s = info.duration_s.filter(|d| d.is_finite());
        if let Some(t) = info.creation_time {
            let (us, basis) = self.utc_us(t);
            row.creation_time_us = us;
            row.creation_time_basis = Some(basis);
        }
        row.creation_time_raw = info.creation_time_raw.clone();
        row.creation_time_source = info.creation_time_source.map(String::from);
        row.encoder = info.encoder.clone();
        row.software = info.software.clone();
        row.make = info.make.clone();
        row.model = info.model.clone();
        let join = |v: Vec<&str>| (!v.is_empty()).then(|| v.join(";"));
        row.handler_names = join(
            info.streams
                .iter()
                .filter_map(|s| s.handler_name.as_deref())
                .collect(),
        );
        row.compressor_names = join(
            info.streams
                .iter()
                .filter_map(|s| s.compressor.as_deref())
                .collect(),
        );
        if let Some((la, lo, al)) = info.gps {
            row.gps_lat = Some(la);
            row.gps_lon = Some(lo);
            row.gps_alt = al;
        }
        row.top_level_layout = (!info.layout.is_empty()).then(|| info.layout.join(","));
        row.fragmented = Some(info.fragmented);
        row.fragment_count = Some(info.fragments as i32);
        row.fragment_jump_s = info.fragment_jump.map(|j| j.size_s);
        row.fragment_jump_at_s = info.fragment_jump.map(|j| j.at_s);
        if info.container == media::Container::MpegTs {
            row.ts_pcr_jump_s = info.pcr_jump.map(|j| j.size_s);
            row.ts_pcr_jump_at_s = info.pcr_jump.map(|j| j.at_s);
            row.ts_continuity_errors = Some(info.continuity_errors as i32);
        }
        row.stream_count = Some(info.streams.len() as i32);
        if let Some(v) = info.main_video() {
            row.video_codec = v.codec.clone();
            row.video_profile = v.profile.clone();
            row.width = v.width.map(|x| x as i32);
            row.height = v.height.map(|x| x as i32);
            row.frame_rate = v.frame_rate;
            row.video_sample_count = v.sample_count.map(|x| x as i64);
        }
        if let Some(a) = info.main_audio() {
            row.audio_codec = a.codec.clone();
            row.audio_sample_rate = a.sample_rate.map(|x| x as i32);
            row.audio_channels = a.channels.map(i32::from);
        }
        let mut best: Option<(usize, media::Jump)> = None;
        for (i, s) in info.streams.iter().enumerate() {
            if let Some(j) = s.jump
                && (s.kind == "video" || s.kind == "audio")
                && best.is_none_or(|(_, b)| j.size_s.abs() > b.size_s.abs())
            {
                best = Some((i, j));
            }
        }
        if let Some((i, j)) = best {
            row.max_jump_s = Some(j.size_s);
            row.max_jump_at_s = Some(j.at_s);
            row.max_jump_stream = Some(i as i32);
        }
        row.edit_list_entries = Some(info.streams.iter().map(|s| s.edit_count as i32).sum());
        row.sample_descriptions_max = info
            .streams
            .iter()
            .map(|s| s.sample_descriptions as i32)
            .max();
        row.parameter_sets_max = info.streams.iter().map(|s| s.parameter_sets as i32).max();
        row.notes = (!info.notes.is_empty()).then(|| info.notes.join("; "));
        if let Some(sc) = &info.sidecar {
            row.sidecar_category = sc.category.clone();
            row.sidecar_description = sc.description.clone();
            row.sidecar_described_at_us = sc
                .described_at
                .as_deref()
                .and_then(|t| context::parse_time(t, self.tz));
        }
        info.streams
            .iter()
            .enumerate()
            .map(|(i, s)| StreamRow {
                run_id: row.run_id.clone(),
                path: row.path.clone(),
                stream_index: i as i32,
                track_id: s.track_id.map(i64::from),
                kind: s.kind.clone(),
                codec: s.codec.clone(),
                codec_tag: s.codec_tag.clone(),
                profile: s.profile.clone(),
                width: s.width.map(|x| x as i32),
                height: s.height.map(|x| x as i32),
                frame_rate: s.frame_rate,
                sample_rate: s.sample_rate.map(|x| x as i32),
                channels: s.channels.map(i32::from),
                timescale: s.timescale.map(i64::from),
                duration_s: s.duration_s.filter(|d| d.is_finite()),
                sample_count: s.sample_count.map(|x| x as i64),
                sample_delta_min: s.delta_min.map(|x| x as i64),
                sample_delta_max: s.delta_max.map(|x| x as i64),
                sample_delta_typical: s.delta_typical.map(|x| x as i64),
                jump_s: s.jump.map(|j| j.size_s),
                jump_at_s: s.jump.map(|j| j.at_s),
                edit_list_entries: s.edit_count as i32,
                edit_list: (!s.edits.is_empty()).then(|| {
                    let v: Vec<serde_json::Value> = s
                        .edits
                        .iter()
                        .map(|e| serde_json::json!({"segment_duration": e.segment_duration, "media_time": e.media_time, "rate": e.rate}))
                        .collect();
                    serde_json::Value::Array(v).to_string()
                }),
                sample_descriptions: s.sample_descriptions as i32,
                sample_description_summary: (!s.description_summaries.is_empty()).then(|| s.description_summaries.join("; ")),
                handler_name: s.handler_name.clone(),
                compressor: s.compressor.clone(),
                language: s.language.clone(),
                parameter_sets: s.parameter_sets as i32,
                continuity_errors: s.continuity_errors as i32,
                creation_time_us: s.creation_time.and_then(|t| self.utc_us(t).0),
            })
            .collect()
    }
}

/// ISO BMFF brands overlap in practice (an .mp4 with a 'qt  ' brand is common); treat the
/// family as matching.
fn same_family(expected: media::Container, found: media::Container) -> bool {
    use media::Container::*;
    let bmff = |c| matches!(c, Mp4 | Mov | ThreeGp | M4a | Heif);
    expected == found || (bmff(expected) && bmff(found))
}
