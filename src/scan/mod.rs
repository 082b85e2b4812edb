//! The scan: walk the roots, read every file once (hash + parse), turn what was learned into
//! catalogue rows, judge them, and commit them to the warehouse as one run. A file that fails
//! becomes a row with its status and error; only problems with the run itself (a missing root,
//! an unwritable warehouse) stop it.
//!
//! [`run_scan`] calls the stages in the order the data flows; each takes what the previous
//! ones produced and hands on its own result, never reaching into another stage:
//!
//! | stage | module | in | out |
//! |---|---|---|---|
//! | setup | [`setup`] | the plan | zone, patterns, warehouse, context tables, run id, threads |
//! | plan | [`plan`] | the previous catalogue | the walked tree and, per entry, read or carry |
//! | read | [`read`] | entries to read | `files`/`streams` rows (staged); no facts kept |
//! | keyframes | [`keyframes`] | the files read (their work started during the read) | the burned-in clocks of the H.264 recordings read (`osd_*` columns, spilled beside the staged rows) |
//! | custody | [`custody`] | the staged rows, previous catalogue | `custody_events`, their counts |
//! | carry | [`carry`] | entries to carry | the previous paths not carried (read again, deleted, moved) |
//! | analyse | [`analyse`] | the staged and carried rows, read back a part at a time; context | sessions, findings, per-run `files` columns |
//! | commit | [`commit`] | all of the above | the `runs` row, the committed snapshot |

mod analyse;
mod carry;
mod commit;
mod custody;
mod keyframes;
mod osd_rows;
mod parts;
mod plan;
mod read;
mod row;
mod setup;

pub(crate) use setup::new_run_id;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::read::{IoMode, ReadOptions};
use crate::store::StoreError;
use crate::store::tables::{FileRow, RunRow};
use crate::walk::{WalkError, WalkOptions};

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
    #[error("the thread reading the catalogue's facts back panicked")]
    ReaderPanicked,
    #[error("context tables: {0}")]
    Context(#[from] crate::context::ContextError),
    #[error("cannot start {0} worker threads: {1}")]
    Threads(usize, String),
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
    #[error("the walked tree, spilled to a scratch file in {0}: {1}")]
    Spill(PathBuf, std::io::Error),
    #[error("--retire-root {0}: {1}")]
    Retire(String, &'static str),
}

impl ScanError {
    /// The history does not verify (exit 4), as opposed to a failure of the run itself.
    pub fn is_broken_chain(&self) -> bool {
        matches!(
            self,
            ScanError::Chain(crate::chain::ChainError::Broken(_))
                | ScanError::Store(crate::store::StoreError::Chain(
                    crate::chain::ChainError::Broken(_)
                ))
        )
    }

    /// A key file that cannot be used (exit 2).
    pub fn is_key(&self) -> bool {
        matches!(self, ScanError::Chain(crate::chain::ChainError::Key { .. }))
    }
}

/// Everything a scan needs, already validated by the command line layer.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    pub roots: Vec<PathBuf>,
    /// Roots earlier runs catalogued that are gone for good (`--retire-root`): not walked; their
    /// files judged missing (moved where their bytes are under `roots`, else deleted).
    pub retired_roots: Vec<PathBuf>,
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
    /// The warehouse's hash chain: the check before the run, the signature and the anchor.
    pub chain: ChainPlan,
    /// A node's scan of a shared warehouse: `warehouse` is then the node's own warehouse
    /// (`Shared::writer_dir`), sessions and rules are left to the analysis of the whole estate,
    /// and the committed tables are published into the shared warehouse's `node=<id>`
    /// partitions.
    pub publish: Option<Publish>,
}

/// Where a node's scan publishes (see [`crate::store::shared`]).
#[derive(Debug, Clone)]
pub struct Publish {
    pub shared: PathBuf,
    pub node: String,
}

pub use crate::chain::{DEFAULT_BUDGET as DEFAULT_CHAIN_BUDGET, Options as ChainPlan};

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
    /// The run's manifest: its place in the chain and the new chain head.
    pub chain: crate::chain::write::Committed,
    /// The anchor log could not be written after the commit (the run is committed).
    pub anchor_error: Option<String>,
    /// The run's findings counted by kind and article (the rows are in its `findings` table).
    #[serde(skip)]
    pub finding_kinds: std::collections::BTreeMap<(String, String), usize>,
    /// A node's scan: what it published into the shared warehouse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<crate::store::shared::Pointer>,
    /// The path patterns or the zone differed from the previous scan's: every carried row's
    /// path columns were read again from its path (see [`carry`]).
    pub paths_read_again: bool,
}

/// Runs one scan: the stages in data-flow order (see the module's table).
pub fn run_scan(plan: &ScanPlan, progress: &dyn Progress) -> Result<RunSummary, ScanError> {
    let run = setup::Run::start(plan)?;
    run.phase("setup (chain checked, context tables but the path-keyed ones loaded)");
    let mut prior = crate::store::prior::Prior::load(run.wh.current().as_deref())?;
    give_back();
    // A retired root must be one earlier runs scanned, spelled as they did: else nothing of
    // it would be judged, and the operator would not know.
    for r in &run.judged_roots[run.roots.len()..] {
        let mut held = false;
        prior.files.each(|_, p| held |= p.root == r.as_str());
        if !held {
            return Err(ScanError::Retire(
                r.clone(),
                "no file of an earlier run lies under it (give the root as earlier runs scanned it: runs.roots)",
            ));
        }
    }
    run.phase("previous catalogue");
    let mut tree = plan::walk_and_compare(&run, &prior)?;
    run.phase("walk");
    progress.walked(tree.reads() as u64, tree.bytes_to_read());
    let mut staging = run.wh.stage(&run.id)?;
    staging.expect_rows(tree.reads() + prior.files.len());
    let mut read = read::read_files(&run, &mut tree, &mut staging, progress)?;
    if prior.files.is_empty() {
        // A first scan has no previous paths to hold the walked ones against (custody, carry):
        // the walked tree is not needed past the read.
        tree.entries = Default::default();
    }
    run.phase("read, hash, parse and write files/streams");
    keyframes::read_clocks(&run, &mut read, &mut staging)?;
    let custody = custody::record(&run, &tree, &prior, &mut staging)?;
    let mode = tree.mode;
    let mut carried = carry::carry(&run, tree, &prior, &custody)?;
    // The previous catalogue's index is not needed past here (custody took the first-seen
    // dates of the files read, carry which rows are carried), nor the walked tree (carry
    // dropped it): their pages back before the analysis allocates.
    prior.files = Default::default();
    prior.gone = Default::default();
    give_back();
    run.phase("previous catalogue rows carried");
    progress.analysing();
    let analysed = analyse::analyse(&run, &prior, read, &mut carried, &custody, &mut staging)?;
    progress.committing();
    let mut summary = commit::commit(run, staging, analysed, &custody, carried.rows, mode)?;
    summary.paths_read_again = carried.repath.is_some() && carried.rows > 0;
    if let Some(p) = &plan.publish {
        let shared = crate::store::shared::Shared::open(&p.shared, &plan.config.storage)?;
        let writer = crate::store::shared::Writer::Node(p.node.clone());
        summary.published = Some(shared.publish(
            &writer,
            &summary.snapshot,
            &summary.run.run_id,
            now_us(),
            &summary.run.roots,
        )?);
    }
    Ok(summary)
}

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
    /// A row carried from the previous snapshot (not read: nothing hashed or changed).
    fn add_carried(&mut self, status: &str, size_bytes: i64) {
        self.files += 1;
        self.bytes += size_bytes;
        if let Some(i) = STATUSES.iter().position(|s| *s == status) {
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

pub const STATUSES: [&str; 5] = ["ok", "corrupt", "truncated", "unreadable", "unsupported"];

/// Files read and written per batch (one Parquet row group).
const BATCH_FILES: usize = 4096;

/// The staged, uncompressed `files` table before the per-run columns are filled in.
const FILES_STAGED: &str = "staged.parquet.part";

/// The keyframe stage's `files` columns of the rows read, spilled beside [`FILES_STAGED`] in
/// the same order until `files` is written.
const OSD_STAGED: &str = "osd.parquet.part";

/// Hands the memory freed by a stage back to the system now. The allocator (mimalloc) keeps
/// freed pages for a while before returning them, and the scan's stages free hundreds of
/// megabytes at once (the previous catalogue's loading buffers, a part's facts) just before
/// the next stage allocates as much again: without this the resident peak holds both. Cheap
/// (it visits the allocator's pages, not the objects); a no-op under another allocator.
pub(crate) fn give_back() {
    // SAFETY: `mi_collect` takes no pointers and may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

pub(crate) fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
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

/// A path as text, borrowed when it is UTF-8 (nearly always): [`display_path`] otherwise.
pub fn path_text(p: &Path) -> std::borrow::Cow<'_, str> {
    match p.to_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(display_path(p)),
    }
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

pub fn io_name(io: IoMode) -> &'static str {
    match io {
        IoMode::Parallel => "parallel",
        IoMode::Sequential => "sequential",
    }
}

#[cfg(test)]
mod tests {
    //! Each stage run alone on what the stage before it hands on.
    use super::*;
    use crate::store::prior::Prior;

    fn plan_for(root: &Path, wh: &Path) -> ScanPlan {
        ScanPlan {
            roots: vec![root.to_path_buf()],
            retired_roots: Vec::new(),
            warehouse: wh.to_path_buf(),
            config: Config::default(),
            threads: 2,
            io: IoMode::Parallel,
            read: ReadOptions::default(),
            walk: WalkOptions::default(),
            verify: VerifyPlan::None,
            context: None,
            chain: ChainPlan::default(),
            publish: None,
        }
    }

    #[test]
    fn the_stages_one_by_one() {
        let t = tempfile::tempdir().unwrap();
        let (root, wh) = (t.path().join("ev"), t.path().join("wh"));
        std::fs::create_dir_all(root.join("DSJ-1/20260312")).unwrap();
        std::fs::write(
            root.join("DSJ-1/20260312/20260312_093000_0001.MP4"),
            b"not an mp4",
        )
        .unwrap();
        std::fs::write(root.join("note.txt"), b"hello").unwrap();
        let plan = plan_for(&root, &wh);
        let run = setup::Run::start(&plan).unwrap();
        let prior = Prior::load(run.wh.current().as_deref()).unwrap();
        // plan: a first scan reads everything.
        let mut tree = plan::walk_and_compare(&run, &prior).unwrap();
        assert_eq!((tree.reads(), tree.mode), (2, "full"));
        assert_eq!(tree.bytes_to_read(), 15);
        // read: one row per file, with its status.
        let mut staging = run.wh.stage(&run.id).unwrap();
        let mut read = read::read_files(&run, &mut tree, &mut staging, &NoProgress).unwrap();
        assert_eq!(read.read_rows, 2);
        assert_eq!(
            (read.tally.count("corrupt"), read.tally.count("unsupported")),
            (1, 1)
        );
        // keyframes: neither file holds a picture to decode; their columns are spilled.
        keyframes::read_clocks(&run, &mut read, &mut staging).unwrap();
        assert_eq!(read.osd.held(), 0);
        assert!(staging.path_of("files", OSD_STAGED).is_file());
        // custody: both are new.
        let custody = custody::record(&run, &tree, &prior, &mut staging).unwrap();
        assert_eq!(custody.counts, [2, 0, 0, 0, 0, 0, 0]);
        // carry: nothing to carry on a first scan.
        let mut carried = carry::carry(&run, tree, &prior, &custody).unwrap();
        // analyse and commit: a corrupt recording is a finding; the run is committed.
        let analysed =
            analyse::analyse(&run, &prior, read, &mut carried, &custody, &mut staging).unwrap();
        assert_eq!(carried.rows, 0, "nothing to carry on a first scan");
        assert!(
            analysed
                .finding_kinds
                .keys()
                .any(|(kind, _)| kind == "unreadable")
        );
        assert!(staging.path_of("findings", "part-00000.parquet").is_file());
        drop(carried);
        let summary = commit::commit(run, staging, analysed, &custody, 0, "full").unwrap();
        assert_eq!(summary.run.files, 2);
        assert_eq!(summary.run.files_new, 2);
        assert!(summary.snapshot.is_dir());
        // A first scan's walk is spilled, not held; nothing of it is left in the warehouse.
        assert!(
            std::fs::read_dir(&wh).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".spill"))
        );
        // The next night: one file changed. The plan keeps only the entry it reads, and marks
        // both previous rows as found (rows are in path order: `DSJ-1/...` before `note.txt`).
        std::fs::write(root.join("note.txt"), b"hello again").unwrap();
        let run = setup::Run::start(&plan).unwrap();
        let prior = Prior::load(run.wh.current().as_deref()).unwrap();
        let tree = plan::walk_and_compare(&run, &prior).unwrap();
        assert_eq!((tree.reads(), tree.mode), (1, "incremental"));
        assert_eq!(tree.entries.len(), 1, "the unchanged entry is not kept");
        assert!(tree.path(0).ends_with("note.txt"));
        assert!(tree.found.get(0) && tree.found.get(1) && !tree.found.get(2));
    }
}
