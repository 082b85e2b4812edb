//! The analysis of a shared (province) warehouse: sessions, findings and case completeness over
//! the union of every node's published `files`, as one scan of the whole estate would judge
//! them. A session, a duplicate or a case may cross nodes, so the node scanners leave all of
//! them to this step ([`crate::store::shared`] describes the layout).
//!
//! The analysis can be split into shards (`--shard K/N`), each its own process: shard `k`
//! judges and publishes the devices that hash to `k` (files without a device go by their path)
//! and the cases that hash to `k`. It holds the facts of those files only, plus the two kinds
//! of files that rules look at across devices: every copy of a file whose content is held more
//! than once (the duplicate rule), and every file linked to one of its cases (case
//! completeness, case deadlines). Those are found in a first pass over two columns of every
//! node's `files` (content hashes and case links). Each result row goes to exactly one shard:
//! a session, finding or file session by its device (by its case, then its path, when it has
//! none), a case item by its case; the union of the shards equals a single analysis.
//!
//! The same pure stages as the scan ([`crate::obligations`], [`crate::sessions`],
//! [`crate::completeness`], [`crate::analyse`]); this module does the reading and the
//! committing around them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::catalog::FileFacts;
use crate::chain::write::Seal;
use crate::config::Config;
use crate::store::shared::{Pointer, Shared, Writer};
use crate::store::tables::{FileSessionRow, RunRow};
use crate::store::warehouse::Warehouse;
use crate::store::{self, StoreError, prior};

#[derive(Debug, thiserror::Error)]
pub enum EstateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("context tables: {0}")]
    Context(#[from] crate::context::ContextError),
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
    #[error("cannot start {0} worker threads: {1}")]
    Threads(usize, String),
    #[error(
        "shared warehouse {0}: no node has published yet (run `recaudit scan --node ID` on each storage node first)"
    )]
    NoNodes(PathBuf),
    #[error("shard {k}/{of}: give K/N with 0 <= K < N <= 4096")]
    Shard { k: u32, of: u32 },
    #[error(
        "shared warehouse {0}: in a bucket, give --state DIR (the analysis shard's own warehouse on a local disk)"
    )]
    NoState(PathBuf),
}

impl EstateError {
    /// The analysis's own history does not verify (exit 4).
    pub fn is_broken_chain(&self) -> bool {
        matches!(
            self,
            EstateError::Chain(crate::chain::ChainError::Broken(_))
                | EstateError::Store(StoreError::Chain(crate::chain::ChainError::Broken(_)))
        )
    }
}

/// What `recaudit analyse` was asked to do, validated by the command line.
#[derive(Debug, Clone)]
pub struct AnalysePlan {
    /// The shared warehouse folder.
    pub shared: PathBuf,
    pub config: Config,
    pub threads: usize,
    /// Context tables [default: SHARED/context].
    pub context: Option<PathBuf>,
    pub chain: crate::chain::Options,
    /// This process's shard `k` of `of`.
    pub shard: (u32, u32),
    /// The shard's own warehouse [default: `SHARED/_writers/shard=K` of a shared folder].
    pub state: Option<PathBuf>,
}

/// What an analysis run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AnalyseSummary {
    pub run_id: String,
    pub shared: PathBuf,
    /// The node publications read (node and run).
    pub nodes: Vec<(String, String)>,
    pub files: usize,
    pub sessions: usize,
    pub findings_high: usize,
    pub findings_warn: usize,
    pub findings_info: usize,
    pub case_items: usize,
    pub elapsed_s: f64,
    pub published: Pointer,
    /// The analysis shard's own warehouse snapshot.
    pub snapshot: PathBuf,
}

/// The shard (of `of`) that `key` belongs to: the first four bytes of its BLAKE3, modulo.
pub fn shard_of(key: &str, of: u32) -> u32 {
    let h = blake3::hash(key.as_bytes());
    let b = h.as_bytes();
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) % of.max(1)
}

/// Runs one analysis shard over every node's current publication and publishes its result.
pub fn run(plan: &AnalysePlan) -> Result<AnalyseSummary, EstateError> {
    let (k, of) = plan.shard;
    if of == 0 || k >= of || of > 4096 {
        return Err(EstateError::Shard { k, of });
    }
    let clock = Instant::now();
    let started = crate::scan::now_us();
    let tz = plan.config.zone()?;
    let mut sealer = plan.chain.open()?;
    let mut shared = Shared::open(&plan.shared, &plan.config.storage)?;
    let view = shared.view()?;
    if view.nodes.is_empty() {
        return Err(EstateError::NoNodes(plan.shared.clone()));
    }
    let writer = Writer::Shard { k, of };
    let state = plan
        .state
        .clone()
        .or_else(|| shared.writer_dir(&writer))
        .ok_or_else(|| EstateError::NoState(plan.shared.clone()))?;
    let wh = Warehouse::open(&state)?;
    let run_id = crate::scan::new_run_id();
    let base = wh.check_chain(plan.chain.depth(), plan.chain.restart, &run_id, started)?;
    let context_dir = match &plan.context {
        Some(c) => Some(c.clone()),
        None => shared.context_dir()?,
    };
    let prefixes = &plan.config.rules.ingest_path_prefixes;
    let mut context = crate::context::load_typed(context_dir.as_deref(), tz, prefixes)?;
    let roots: Vec<String> = view.nodes.iter().flat_map(|p| p.roots.clone()).collect();
    context.anchor(&roots);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| EstateError::Threads(plan.threads, e.to_string()))?;

    let parts = shared.local_parts(&view, "files")?;
    let share = Share::find(k, of, &parts, &context)?;
    let mut facts = read_facts(&parts, &share)?;
    crate::sessions::starts_from_names(&mut facts);
    crate::recorders::attribute(&mut facts, &plan.config.rules, &context, started);
    let history = prior::history(&shared.local_parts(&view, "custody_events")?)?;
    let offences = history.offences;
    // A moved record is named by the path tables where it lay, as the scan's join finds it.
    context.moves = history.moved_paths;
    let rules = &plan.config.rules;
    // The ingest log's zone, judged by the shard's files' births on the server.
    let log_zone = crate::obligations::LogZone::of(
        facts
            .iter()
            .filter_map(|f| Some((context.upload_of(&f.path)?, f.birth_time_us?))),
        tz,
    );
    // How well the path tables' lines name the shard's files (a line of another shard's file
    // names none of these: the rule asks that most of the shard's files be unnamed too).
    let log_cover = cover_of(&context.ingest, &facts, &context.roots);
    let notes_cover = cover_of(&context.notes, &facts, &context.roots);
    let log_utc = log_zone.read_as_utc(rules.ingest_times);
    if log_utc {
        for t in context.ingest.values_mut() {
            *t = crate::obligations::as_utc(*t, tz);
        }
    }
    let log_zone =
        (log_utc && rules.ingest_times == crate::config::IngestTimes::Auto).then_some(log_zone);
    let mut obligations = pool
        .install(|| crate::obligations::compute(&facts, &context, tz, rules.birth_time_is_upload));
    let sess = crate::sessions::build(&facts, rules.session_pause_s);
    let counter = crate::analyse::counted(
        &facts,
        &sess,
        &mut obligations,
        rules,
        started,
        &context,
        tz,
    );
    let case_items = crate::completeness::evaluate(&facts, &obligations, &context, &run_id);
    let env = crate::rules::Env {
        context: &context,
        obligations: &obligations,
        offences: &offences,
        history_breaks: &base.breaks,
        case_items: &case_items,
        counter: &counter,
        log_zone,
        log_cover: log_cover.misses().then_some(&log_cover),
        notes_cover: notes_cover.misses().then_some(&notes_cover),
    };
    let (sessions, findings) = pool.install(|| {
        crate::analyse::analyse_sessions(
            &facts,
            &sess,
            rules,
            tz,
            &run_id,
            started,
            &env,
            crate::rules::Scope::All,
        )
    });
    let ids = crate::analyse::session_ids(&sess);

    // This shard's part of each result.
    // A device number told apart ([`crate::recorders`]) is its number's shard's.
    let mine = |key: Option<&str>, fallback: &str| shard_of(key.unwrap_or(fallback), of) == k;
    let sessions: Vec<_> = sessions
        .into_iter()
        .filter(|s| mine(Some(crate::recorders::bare(&s.device_id)), ""))
        .collect();
    let findings: Vec<_> = findings
        .into_iter()
        .filter(|f| {
            let fallback = f.path.as_deref().unwrap_or(&f.finding_id);
            mine(
                f.device_id
                    .as_deref()
                    .map(crate::recorders::bare)
                    .or(f.case_id.as_deref()),
                fallback,
            )
        })
        .collect();
    let case_items: Vec<_> = case_items
        .into_iter()
        .filter(|c| shard_of(&c.case_id, of) == k)
        .collect();
    let file_sessions: Vec<FileSessionRow> = facts
        .iter()
        .zip(&ids)
        .filter_map(|(f, id)| {
            let id = id.as_ref()?;
            mine(f.device_id.as_deref().map(crate::recorders::bare), &f.path).then(|| {
                FileSessionRow {
                    run_id: run_id.clone(),
                    path: f.path.to_string(),
                    session_id: id.clone(),
                }
            })
        })
        .collect();

    let mut staging = wh.stage(&run_id)?;
    store::write_judgements(&mut staging, &sessions, &findings, &case_items)?;
    staging.write(
        "file_sessions",
        "part-00000.parquet",
        &store::tables::file_sessions_batch(&file_sessions)?,
    )?;
    let count = |s: &str| findings.iter().filter(|f| f.severity == s).count();
    let nodes: Vec<(String, String)> = view
        .nodes
        .iter()
        .map(|p| (p.writer.clone(), p.run_id.clone()))
        .collect();
    let settings = serde_json::json!({
        "config": &plan.config,
        "threads": plan.threads,
        "shard": k,
        "shards": of,
        "context": context_dir.as_ref().map(|d| d.display().to_string()),
        "nodes": &nodes,
        "chain_budget": plan.chain.budget,
        "new_chain": plan.chain.restart,
        "signed": sealer.key.is_some(),
        "anchored": sealer.anchor.is_some(),
    });
    let row = RunRow {
        run_id: run_id.clone(),
        started_us: started,
        finished_us: crate::scan::now_us(),
        elapsed_s: clock.elapsed().as_secs_f64(),
        roots,
        files: facts.len() as i64,
        recaudit_version: env!("CARGO_PKG_VERSION").to_string(),
        settings: settings.to_string(),
        chain_seq: Some(base.next_seq as i64),
        chain_previous: base.head.as_ref().map(|h| h.blake3.clone()),
        host: crate::scan::hostname(),
        threads: plan.threads as i32,
        sessions: sessions.len() as i64,
        findings_high: count("high") as i64,
        findings_warn: count("warn") as i64,
        findings_info: count("info") as i64,
        mode: "analysis".to_string(),
        ..Default::default()
    };
    staging.carry("runs")?;
    staging.write(
        "runs",
        &format!("run-{run_id}.parquet"),
        &store::runs_batch(std::slice::from_ref(&row))?,
    )?;
    let seal = Seal {
        command: "analyse",
        settings,
        key: sealer.key.as_ref(),
    };
    let committed = wh.commit(staging, &base, &seal)?;
    let _ = sealer.anchor(&committed);
    let published = shared.publish(&writer, &committed.dir, &run_id, crate::scan::now_us(), &[])?;
    Ok(AnalyseSummary {
        run_id,
        shared: plan.shared.clone(),
        nodes,
        files: facts.len(),
        sessions: sessions.len(),
        findings_high: count("high"),
        findings_warn: count("warn"),
        findings_info: count("info"),
        case_items: case_items.len(),
        elapsed_s: clock.elapsed().as_secs_f64(),
        published,
        snapshot: committed.dir,
    })
}

/// Which `files` rows a shard reads: its devices' (its paths' when a file has none), every
/// copy of content held more than once, and every file linked to one of its cases.
struct Share {
    k: u32,
    of: u32,
    /// The first 128 bits of each content hash held by two or more files.
    copied: std::collections::HashSet<u128>,
    /// The case ids that make a folder a case's, not a device's (`recorders::attribute`).
    cases: crate::obligations::CaseFolders,
}

/// A content hash's first 128 bits (32 hex digits), the key of [`Share::copied`] (and of
/// the copies a scan analysed in parts reads into every part).
pub(crate) fn hash_key(blake3: &str) -> Option<u128> {
    blake3
        .get(..32)
        .and_then(|h| u128::from_str_radix(h, 16).ok())
}

impl Share {
    /// A single shard reads everything; a split one first counts the content hashes.
    fn find(
        k: u32,
        of: u32,
        parts: &[PathBuf],
        context: &crate::context::Typed,
    ) -> Result<Share, StoreError> {
        let mut copied = std::collections::HashSet::new();
        if of > 1 {
            let mut seen: std::collections::HashMap<u128, bool> = std::collections::HashMap::new();
            for part in parts {
                for b in store::parquet_reader(part, 65_536, Some(&["blake3"]))? {
                    let b = b.map_err(|source| StoreError::Arrow {
                        table: "files",
                        source,
                    })?;
                    let hashes = prior::Cols(&b).text("blake3");
                    for i in 0..b.num_rows() {
                        if let Some(h) = hashes.get(i).and_then(hash_key) {
                            seen.entry(h)
                                .and_modify(|twice| *twice = true)
                                .or_insert(false);
                        }
                    }
                }
            }
            copied = seen
                .into_iter()
                .filter(|(_, twice)| *twice)
                .map(|(h, _)| h)
                .collect();
        }
        Ok(Share {
            k,
            of,
            copied,
            cases: crate::obligations::CaseFolders::new(context),
        })
    }

    /// Whether the shard reads a row: its device's (a case's folder is none), or its path's
    /// where it has none, a copy of content held twice, a file of one of the shard's cases,
    /// and every readable recording of no device (`loose`: continuity looks among them for a
    /// segment moved out of its device's folder, as a scan's parts do).
    fn keeps(
        &self,
        device: Option<&str>,
        path: &str,
        blake3: Option<&str>,
        cases: Option<&str>,
        recording: bool,
    ) -> bool {
        let device = device.filter(|d| self.cases.cases_in(d).is_empty());
        self.of == 1
            || (device.is_none() && recording && !crate::pathinfo::is_no_record(path))
            || shard_of(device.unwrap_or(path), self.of) == self.k
            || blake3
                .and_then(hash_key)
                .is_some_and(|h| self.copied.contains(&h))
            || cases.is_some_and(|c| c.split(',').any(|c| shard_of(c.trim(), self.of) == self.k))
    }
}

/// The per-file facts of the shard's rows of every node's `files` parts, in the order of the
/// parts.
fn read_facts(parts: &[PathBuf], share: &Share) -> Result<Vec<FileFacts>, StoreError> {
    let mut facts: Vec<FileFacts> = Vec::new();
    let mut interner = crate::catalog::Interner::default();
    let mut columns: Vec<&str> = prior::FACT_COLUMNS.to_vec();
    columns.push("case_ids");
    for part in parts {
        for b in store::parquet_reader(part, 8192, Some(&columns))? {
            let b = b.map_err(|source| StoreError::Arrow {
                table: "files",
                source,
            })?;
            let b = if share.of > 1 {
                let c = prior::Cols(&b);
                let (device, path, hash, cases, status, kind) = (
                    c.text("device_id"),
                    c.text("path"),
                    c.text("blake3"),
                    c.text("case_ids"),
                    c.text("status"),
                    c.text("media_kind"),
                );
                let keep: arrow_array::BooleanArray = (0..b.num_rows())
                    .map(|i| {
                        let recording = status.get(i) == Some("ok")
                            && matches!(kind.get(i), Some("video" | "audio"));
                        Some(share.keeps(
                            device.get(i),
                            path.get(i).unwrap_or_default(),
                            hash.get(i),
                            cases.get(i),
                            recording,
                        ))
                    })
                    .collect();
                arrow_select::filter::filter_record_batch(&b, &keep).map_err(|source| {
                    StoreError::Arrow {
                        table: "files",
                        source,
                    }
                })?
            } else {
                b
            };
            let at = facts.len();
            for mut f in prior::facts_from_batch(&b, at) {
                interner.facts(&mut f);
                facts.push(f);
            }
        }
    }
    Ok(facts)
}

/// Whether `dir` is a shared warehouse (for the commands that read one).
pub fn is_shared(dir: &Path) -> bool {
    crate::store::shared::is_shared(dir)
}

/// How the rows of a path-keyed table name the files `facts` (as the held tables find a file:
/// by its path, or below one of `roots`): [`crate::obligations::LogCover`].
fn cover_of<V: Send + Sync>(
    table: &crate::pathtable::PathTable<V>,
    facts: &[crate::catalog::FileFacts],
    roots: &[String],
) -> crate::obligations::LogCover {
    let mut named = vec![false; table.len()];
    let mut logged = 0usize;
    for f in facts {
        let mut any = false;
        for (row, _) in table.find(&f.path, roots) {
            if let Some(n) = named.get_mut(row as usize) {
                *n = true;
            }
            any = true;
        }
        logged += usize::from(any);
    }
    crate::obligations::LogCover {
        lines: table.len(),
        unnamed: named.iter().filter(|&&n| !n).count(),
        files: facts.len(),
        logged,
    }
}
