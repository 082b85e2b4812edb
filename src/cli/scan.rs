//! `recaudit scan`: the scan's plan from its arguments, the progress bar, the run summary and
//! the exit code (`--fail-on`).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{IoArg, KeyframesArg, ScanArgs};
use super::human_bytes;
use crate::config::{Config, KeyframeMode};
use crate::exit_codes;
use crate::read::{IoMode, ReadOptions};
use crate::rules::Severity;
use crate::scan::{self, Progress, RunSummary, ScanError, ScanPlan, VerifyPlan};
use crate::walk::WalkOptions;

fn scan_plan(a: &ScanArgs) -> anyhow::Result<ScanPlan> {
    let mut config = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    if let Some(k) = a.keyframes {
        config.scan.keyframes = match k {
            KeyframesArg::Off => KeyframeMode::Off,
            KeyframesArg::Boundary => KeyframeMode::Boundary,
            KeyframesArg::All => KeyframeMode::All,
        };
    }
    config.zone()?;
    crate::pathinfo::PathPatterns::new(&config.path_patterns, config.zone()?)?;
    let threads = super::threads_or_cpus(a.threads);
    if threads == 0 {
        anyhow::bail!("--threads must be at least 1");
    }
    let io = match a.io {
        IoArg::Parallel => IoMode::Parallel,
        IoArg::Sequential => IoMode::Sequential,
    };
    let read = ReadOptions {
        mmap_min_bytes: config.scan.mmap_min_bytes,
        chunk_bytes: config.scan.chunk_bytes.clamp(4096, 64 << 20),
        use_mmap: !a.no_mmap && io == IoMode::Parallel,
        parallel_hash: true,
    };
    // Absolute roots, so that paths in the catalog mean the same thing from any working folder.
    let roots = a
        .roots
        .iter()
        .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone()))
        .collect();
    let retired_roots = a
        .retire_root
        .iter()
        .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone()))
        .collect();
    let (warehouse, publish) = match &a.node {
        None => (a.warehouse.clone(), None),
        Some(id) => {
            crate::store::shared::check_node_id(id).map_err(anyhow::Error::msg)?;
            let shared = crate::store::shared::Shared::open(&a.warehouse, &config.storage)?;
            let writer = crate::store::shared::Writer::Node(id.clone());
            let own = a.state.clone().or_else(|| shared.writer_dir(&writer)).ok_or_else(|| {
                anyhow::anyhow!(
                    "a shared warehouse in a bucket needs --state DIR: this node's own warehouse on a local disk"
                )
            })?;
            (
                own,
                Some(scan::Publish {
                    shared: a.warehouse.clone(),
                    node: id.clone(),
                }),
            )
        }
    };
    Ok(ScanPlan {
        roots,
        retired_roots,
        warehouse,
        config,
        threads,
        io,
        read,
        walk: WalkOptions {
            follow_symlinks: a.follow_symlinks,
            allow_empty_root: a.allow_empty_root,
            skip_dirs: Vec::new(),
        },
        verify: if a.verify {
            VerifyPlan::All
        } else {
            a.verify_budget.unwrap_or_default()
        },
        context: a.context.clone(),
        chain: super::chain_options(&a.chain, a.new_chain),
        publish,
    })
}

/// Progress on stderr. Workers only add to atomic counters; the bar is redrawn from them every
/// 64 MiB or 64 files, so the hot read loop never takes the bar's lock.
struct Bar {
    bar: ProgressBar,
    show: bool,
    files: AtomicU64,
    bytes: AtomicU64,
    total_files: AtomicU64,
}

impl Bar {
    fn redraw(&self) {
        let done = self.files.load(Ordering::Relaxed);
        self.bar.set_position(self.bytes.load(Ordering::Relaxed));
        self.bar.set_message(format!(
            "{done}/{} files",
            self.total_files.load(Ordering::Relaxed)
        ));
    }
}

impl Progress for Bar {
    fn walked(&self, files: u64, bytes: u64) {
        self.total_files.store(files, Ordering::Relaxed);
        if self.show {
            self.bar.set_length(bytes);
            self.redraw();
        }
    }
    fn bytes(&self, n: u64) {
        let before = self.bytes.fetch_add(n, Ordering::Relaxed);
        if self.show && (before >> 26) != ((before + n) >> 26) {
            self.redraw();
        }
    }
    fn file_done(&self) {
        let done = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        if self.show
            && (done.is_multiple_of(64) || done == self.total_files.load(Ordering::Relaxed))
        {
            self.redraw();
        }
    }
    fn analysing(&self) {
        self.bar.set_message("building sessions and findings");
    }
    fn committing(&self) {
        self.bar.set_message("writing the warehouse");
    }
}

pub(super) fn run(a: ScanArgs) -> i32 {
    let plan = match scan_plan(&a) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("recaudit scan: {e:#}");
            return exit_codes::USAGE;
        }
    };
    let show = !a.quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if show {
        bar.enable_steady_tick(Duration::from_millis(200));
    }
    let progress = Bar {
        bar,
        show,
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        total_files: AtomicU64::new(0),
    };
    let result = scan::run_scan(&plan, &progress);
    progress.bar.finish_and_clear();
    match result {
        Ok(s) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                print_summary(&s);
            }
            if let Some(e) = &s.anchor_error {
                eprintln!(
                    "recaudit scan: run {} is committed, but its chain head could not be appended to the anchor log: {e}",
                    s.run.run_id
                );
                return exit_codes::RUN_FAILED;
            }
            if let Some(level) = a.fail_on {
                let r = &s.run;
                let worst = [
                    (r.findings_high, Severity::High),
                    (r.findings_warn, Severity::Warn),
                    (r.findings_info, Severity::Info),
                ]
                .into_iter()
                .find(|&(n, _)| n > 0)
                .map(|(_, sev)| sev);
                if worst.is_some_and(|w| w >= level.severity()) {
                    eprintln!(
                        "recaudit scan: findings at or above '{}' (--fail-on): exit 1",
                        level.severity().name()
                    );
                    return exit_codes::FINDINGS;
                }
            }
            exit_codes::OK
        }
        Err(e) => {
            eprintln!("recaudit scan: {e}");
            eprintln!(
                "recaudit scan: nothing was committed; the warehouse is as it was before this run"
            );
            if e.is_broken_chain() {
                eprintln!(
                    "recaudit scan: `recaudit verify {}` re-hashes everything and names each difference; \
                     `--new-chain` starts a new chain that records this break as a finding",
                    a.warehouse.display()
                );
                return exit_codes::CHAIN_BROKEN;
            }
            match e {
                ScanError::Config(_) | ScanError::Context(_) | ScanError::Retire(..) => {
                    exit_codes::USAGE
                }
                e if e.is_key() => exit_codes::USAGE,
                _ => exit_codes::RUN_FAILED,
            }
        }
    }
}

fn print_summary(s: &RunSummary) {
    let r = &s.run;
    let rate = if r.elapsed_s > 0.0 {
        r.hashed_bytes as f64 / r.elapsed_s
    } else {
        0.0
    };
    println!(
        "recaudit scan: run {} committed to {}",
        r.run_id,
        s.warehouse.display()
    );
    println!(
        "  files   {:>10}  ok {}, corrupt {}, truncated {}, unreadable {}, unsupported {}",
        r.files,
        r.files_ok,
        r.files_corrupt,
        r.files_truncated,
        r.files_unreadable,
        r.files_unsupported
    );
    println!(
        "  bytes   {:>10}  {} hashed in {:.2} s ({}/s, {} threads, {} I/O)",
        human_bytes(r.bytes as f64),
        human_bytes(r.hashed_bytes as f64),
        r.elapsed_s,
        human_bytes(rate),
        r.threads,
        r.io_mode
    );
    println!(
        "  custody  {:>9}  carried unread {}, new {}, verified {}, modified {}, metadata changed {}, deleted {}, moved {}, restored {}",
        r.mode,
        r.files_carried,
        r.files_new,
        r.files_verified,
        r.files_modified,
        r.files_metadata_changed,
        r.files_deleted,
        r.files_moved,
        r.files_restored
    );
    if s.paths_read_again {
        println!(
            "  paths    read again  the path patterns or the zone changed since the previous scan: every carried row's device, officer, unit, name time and segment number were read again from its path"
        );
    }
    println!(
        "  sessions {:>9}  findings: high {}, warn {}, info {}",
        r.sessions, r.findings_high, r.findings_warn, r.findings_info
    );
    println!(
        "  chain    {:>9}  head {}{}",
        format!("#{}", s.chain.seq),
        s.chain.head,
        if s.chain.signature.is_some() {
            " (signed)"
        } else {
            ""
        }
    );
    for ((k, art), n) in &s.finding_kinds {
        println!("           {n:>6} {k} ({art})");
    }
    if let Some(p) = &s.published {
        println!(
            "  published {:>8}  into the shared warehouse (run `recaudit analyse` for sessions and findings)",
            p.writer
        );
    }
    if r.files_changed_during_read > 0 {
        println!(
            "  changed while read: {} (see files.changed_during_read)",
            r.files_changed_during_read
        );
    }
    println!(
        "  tables  {}/{{files,streams,sessions,findings,runs,custody_events,case_items}}/*.parquet",
        s.warehouse.display()
    );
    if !s.finding_kinds.is_empty() {
        println!("  details: recaudit findings {}", s.warehouse.display());
    }
}
