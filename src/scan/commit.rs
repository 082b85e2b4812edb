//! Commit: carry the tables this run does not change (`exports`, earlier `runs`), add the
//! run's own `runs` row with its settings and counts (its `sessions` and `findings` were
//! written by the analyse stage), and make the staged snapshot current in one atomic step.
//! Until that step nothing of the run is visible; a killed run leaves the previous warehouse
//! as it was.

use serde::Serialize;

use super::analyse::Analysed;
use super::custody::Custody;
use super::setup::Run;
use super::{RunSummary, ScanError, display_path, hostname, io_name, now_us};
use crate::chain::write::Seal;
use crate::config::Config;
use crate::store::tables::RunRow;
use crate::store::{self, warehouse::Staging};

/// The run's settings as recorded in `runs.settings` (JSON).
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
    /// Where the checklist of 第六、七条 and the evidence words came from (`built-in` or a
    /// context file).
    checklist: &'a str,
    evidence_words: &'a str,
    /// Bytes of earlier table files the chain check re-hashes (the key and the anchor log are
    /// not recorded: only whether they were used).
    chain_budget: u64,
    new_chain: bool,
    signed: bool,
    anchored: bool,
}

pub(super) fn commit(
    run: Run,
    mut staging: Staging,
    analysed: Analysed,
    custody: &Custody,
    carried_rows: usize,
    mode: &str,
) -> Result<RunSummary, ScanError> {
    let Analysed {
        sessions,
        severities: [high, warn, info],
        finding_kinds,
        tally,
    } = analysed;
    let (high, warn, info) = (high as i64, warn as i64, info as i64);
    staging.carry("exports")?;
    let plan = run.plan;
    let settings = Settings {
        config: &plan.config,
        threads: plan.threads,
        io_mode: io_name(plan.io),
        mmap: plan.read.use_mmap,
        follow_symlinks: plan.walk.follow_symlinks,
        allow_empty_root: plan.walk.allow_empty_root,
        verify: format!("{:?}", plan.verify),
        context: run.context_dir.as_ref().map(|d| display_path(d)),
        checklist: &run.context.checklist.checklist_source,
        evidence_words: &run.context.checklist.words_source,
        chain_budget: plan.chain.budget,
        new_chain: plan.chain.restart,
        signed: run.sealer.key.is_some(),
        anchored: run.sealer.anchor.is_some(),
    };
    let counts = &custody.counts;
    let mut row = RunRow {
        run_id: run.id.clone(),
        started_us: run.started,
        finished_us: 0,
        elapsed_s: 0.0,
        roots: run.roots.clone(),
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
        chain_seq: Some(run.base.next_seq as i64),
        chain_previous: run.base.head.as_ref().map(|h| h.blake3.clone()),
        host: hostname(),
        threads: plan.threads as i32,
        io_mode: io_name(plan.io).to_string(),
        sessions: sessions as i64,
        findings_high: high,
        findings_warn: warn,
        findings_info: info,
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
    staging.carry("runs")?;
    row.finished_us = now_us();
    row.elapsed_s = run.clock.elapsed().as_secs_f64();
    staging.write(
        "runs",
        &format!("run-{}.parquet", run.id),
        &store::runs_batch(std::slice::from_ref(&row))?,
    )?;
    // Test hook: hold the finished-but-uncommitted run so a test can kill the process here.
    if let Some(ms) = std::env::var("RECAUDIT_TEST_PAUSE_BEFORE_COMMIT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let seal = Seal {
        command: "scan",
        settings: serde_json::to_value(&settings).unwrap_or_default(),
        key: run.sealer.key.as_ref(),
    };
    run.phase("tables written");
    let committed = run.wh.commit(staging, &run.base, &seal)?;
    run.phase("commit (manifest sealed, snapshot switched)");
    let mut sealer = run.sealer;
    let anchor_error = sealer.anchor(&committed);
    Ok(RunSummary {
        run: row,
        warehouse: run.wh.root().to_path_buf(),
        snapshot: committed.dir.clone(),
        chain: committed,
        anchor_error,
        finding_kinds,
        published: None,
        paths_read_again: false,
    })
}
