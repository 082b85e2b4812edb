//! Setup: what every later stage of a run shares, validated before anything is read — the time
//! zone and path patterns, the roots (each must exist and, unless allowed, hold something), the
//! warehouse, the context tables, the run's id and start time, and the worker threads.

use std::path::PathBuf;
use std::time::Instant;

use super::{ScanError, ScanPlan, display_path, now_us};
use crate::chain;
use crate::context::{self, Typed};
use crate::pathinfo::PathPatterns;
use crate::store::warehouse::Warehouse;
use crate::walk;

pub(super) struct Run<'a> {
    pub plan: &'a ScanPlan,
    pub id: String,
    /// When the run started (microseconds since the epoch): the time of its custody events.
    pub started: i64,
    pub clock: Instant,
    pub tz: chrono_tz::Tz,
    pub patterns: PathPatterns,
    pub wh: Warehouse,
    /// The roots as text, as they appear in `files.root`.
    pub roots: Vec<String>,
    /// The roots whose catalogued files this run judges: `roots` and the retired ones
    /// (`ScanPlan::retired_roots`), whose files are all missing.
    pub judged_roots: Vec<String>,
    pub context_dir: Option<PathBuf>,
    /// The context tables but the path-keyed ones (joined to the rows by
    /// [`Run::join_path_tables`]).
    pub context: Typed,
    /// A node's copy of the estate's context tables (downloaded: kept until the run ends, the
    /// path-keyed tables being read from it last).
    _shared_copy: Option<crate::store::shared::Shared>,
    /// The plan's walk options, with the warehouse added to the directories never entered.
    pub walk: walk::WalkOptions,
    pub pool: rayon::ThreadPool,
    /// What the commit extends: the checked chain head (or a start).
    pub base: chain::Base,
    pub sealer: chain::Sealer,
    /// `RECAUDIT_TIMINGS`: print each stage's end, with memory, on stderr.
    timings: bool,
}

impl<'a> Run<'a> {
    pub fn start(plan: &'a ScanPlan) -> Result<Run<'a>, ScanError> {
        let started = now_us();
        let clock = Instant::now();
        let tz = plan.config.zone()?;
        let patterns = PathPatterns::new(&plan.config.path_patterns, tz)?;
        walk::check_roots(&plan.roots, &plan.walk)?;
        // The key and the anchor log before any work: a run that cannot seal or anchor its
        // result should not start.
        let sealer = plan.chain.open()?;
        let wh = Warehouse::open(&plan.warehouse)?;
        let id = new_run_id();
        let checking = Instant::now();
        let base = wh.check_chain(plan.chain.depth(), plan.chain.restart, &id, started)?;
        if std::env::var_os("RECAUDIT_TIMINGS").is_some() {
            eprintln!(
                "recaudit: chain checked in {:.3} s ({} bytes of table files re-hashed)",
                checking.elapsed().as_secs_f64(),
                base.checked_bytes
            );
        }
        // A node of a shared warehouse uses the estate's context tables (downloaded from a
        // bucket; `shared_copy` keeps that copy until they are all loaded).
        let mut shared_copy = match &plan.publish {
            Some(p) => Some(crate::store::shared::Shared::open(
                &p.shared,
                &plan.config.storage,
            )?),
            None => None,
        };
        let context_dir = match (&plan.context, shared_copy.as_mut()) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(sh)) => sh.context_dir()?,
            (None, None) => Some(wh.root().join("context")).filter(|d| d.is_dir()),
        };
        let mut context = context::load_typed_but_paths(context_dir.as_deref(), tz)?;
        let roots: Vec<String> = plan.roots.iter().map(|r| display_path(r)).collect();
        let mut judged_roots = roots.clone();
        for r in plan.retired_roots.iter().map(|r| display_path(r)) {
            if roots.contains(&r) {
                return Err(ScanError::Retire(r, "it is also a root this run scans"));
            }
            judged_roots.push(r);
        }
        context.anchor(&roots);
        let mut walk = plan.walk.clone();
        let shared = plan.publish.as_ref().map(|p| p.shared.as_path());
        for dir in std::iter::once(wh.root()).chain(shared.filter(|s| s.is_dir())) {
            if let Ok(m) = std::fs::metadata(dir) {
                use std::os::unix::fs::MetadataExt;
                walk.skip_dirs.push((m.dev(), m.ino()));
            }
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(plan.threads)
            .build()
            .map_err(|e| ScanError::Threads(plan.threads, e.to_string()))?;
        Ok(Run {
            plan,
            id,
            started,
            clock,
            tz,
            patterns,
            wh,
            roots,
            judged_roots,
            context_dir,
            context,
            _shared_copy: shared_copy,
            walk,
            pool,
            base,
            sealer,
            timings: std::env::var_os("RECAUDIT_TIMINGS").is_some(),
        })
    }

    /// The path-keyed context tables (`ingest_log`, `media_notes`), which the analysis alone
    /// reads, joined to the run's rows (`paths`: each row's path, by row) as they are read: the
    /// tables are never held, only what they say of each file.
    pub fn join_path_tables(
        &self,
        paths: &crate::pathjoin::FileIndex,
    ) -> Result<crate::pathjoin::Joined, ScanError> {
        Ok(crate::pathjoin::join_paths(
            self.context_dir.as_deref(),
            self.tz,
            paths,
            &self.context.roots,
            &self.plan.config.rules.ingest_path_prefixes,
        )?)
    }

    /// With `RECAUDIT_TIMINGS` set, says on stderr that a stage is done, when, and the resident
    /// memory now and at its peak (from the kernel's account of this process).
    pub fn phase(&self, name: &str) {
        if !self.timings {
            return;
        }
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
            self.clock.elapsed().as_secs_f64(),
            kib("VmRSS:"),
            kib("VmHWM:")
        );
    }
}

pub(crate) fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let salt = (now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{}-{salt:04x}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}
