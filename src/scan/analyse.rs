//! Analyse: over every row of the catalogue (read and carried), rebuild the recording
//! sessions, compute each file's obligations (case links, deadlines, retention) and custody
//! dates, and run the rules ([`crate::analyse`], [`crate::rules`], which do no I/O).
//!
//! The facts are read back from the staged and carried Parquet a part of the catalogue at a
//! time, so that memory holds one part's facts, not the tree's ([`Parts`]). A part is every
//! file of some devices (a file without a device goes by its path), with every copy of
//! content held more than once beside them, since the duplicate rule looks across devices;
//! each part's results are kept for its own files only. The rules over the run's history and
//! the cases run once, over the case-linked files gathered from every part. What `files` needs
//! of the analysis is kept per row ([`Kept`], 64 bytes a file) until `files` is written, on
//! one thread, beside the carried `streams` rows filtered on another.

use std::collections::HashSet;

use arrow_array::RecordBatch;

use super::carry::{self, Carried};
use super::custody::Custody;
use super::parts::{Part, Parts, RowKeys, part_rows};
use super::read::Read;
use super::setup::Run;
use super::{FILES_STAGED, OSD_STAGED, ScanError, Tally};
use crate::analyse;
use crate::catalog::{self, Interner, Numbered, Sym};
use crate::completeness;
use crate::obligations::{self, Obligation, Sidecars};
use crate::rules::{Env, Scope};
use crate::sessions;
use crate::store::prior::{self, Prior};
use crate::store::spill::FindingSink;
use crate::store::tables::{Derived, FindingRow, SessionRow};
use crate::store::{self, StoreError, warehouse::Staging};

/// What the analyse stage hands on to the commit: its judgements are written (`sessions`,
/// `findings`, `case_items`, beside the `files` rewrite); their counts.
pub(super) struct Analysed {
    pub sessions: usize,
    /// Findings by severity: high, warn, info.
    pub severities: [usize; 3],
    /// Findings counted by kind and article.
    pub finding_kinds: std::collections::BTreeMap<(String, String), usize>,
    pub tally: Tally,
}

pub(super) fn analyse(
    run: &Run,
    prior: &Prior,
    read: Read,
    carried: &mut Carried,
    custody: &Custody,
    staging: &mut Staging,
) -> Result<Analysed, ScanError> {
    let rules = &run.plan.config.rules;
    let Read {
        keyframes,
        keyframes_w,
        read_rows,
        mut tally,
        ..
    } = read;
    // A node of a shared warehouse leaves sessions, rules and case completeness to the
    // analysis of every node's files: a session, a duplicate or a case may cross nodes.
    let node = run.plan.publish.is_some();
    let spill_dir = staging.scratch_dir("findings-spill");
    let source = Source {
        staging: &*staging,
        carried: &*carried,
        prior,
        read_rows,
        carried_masks: Vec::new(),
    };
    let mut first = first_pass(run, &source, custody, &mut tally)?;
    super::give_back();
    run.phase("first pass over every row (parts, custody dates, sidecars)");
    let mut joined = run.join_path_tables(&std::mem::take(&mut first.paths))?;
    // The ingest log's zone, judged by the files' births on the server.
    let births = std::mem::take(&mut first.births);
    let log_zone = obligations::LogZone::of(
        births.iter().enumerate().filter_map(|(row, &born)| {
            Some((joined.upload_of(row)?, born)).filter(|_| born != crate::catalog::MISSING)
        }),
        run.tz,
    );
    drop(births);
    let log_utc = log_zone.read_as_utc(rules.ingest_times);
    if log_utc {
        joined.uploads_as_utc(run.tz);
    }
    let log_zone =
        (log_utc && rules.ingest_times == crate::config::IngestTimes::Auto).then_some(log_zone);
    super::give_back();
    run.phase("path-keyed context tables (ingest log, media notes) joined to the rows");
    let rows = read_rows + first.carried_rows;
    carried.rows = first.carried_rows;
    let mut source = Source {
        staging: &*staging,
        carried: &*carried,
        prior,
        read_rows,
        carried_masks: std::mem::take(&mut first.carried_masks),
    };
    let parts = first.parts;
    let mut got = Gathered {
        kept: first.kept,
        texts: std::mem::take(&mut first.texts),
        sessions: Vec::new(),
        findings: FindingSink::new(spill_dir),
        of_run: Vec::new(),
        linked: completeness::Gathered::new(&run.context),
    };
    let (parts, source_ref) = (&parts, &source);
    std::thread::scope(|scope| -> Result<(), ScanError> {
        // The next part is read on a thread of its own while this one is analysed.
        let mut next = Some(scope.spawn(move || parts.read(source_ref, 0)));
        for k in 0..parts.count {
            let part = match next.take().map(|h| h.join()) {
                Some(Ok(part)) => part?,
                _ => return Err(ScanError::ReaderPanicked),
            };
            if k + 1 < parts.count {
                next = Some(scope.spawn(move || parts.read(source_ref, k + 1)));
            }
            let facts = part.facts.len();
            let beside = Beside {
                log_zone,
                log_cover: joined.cover.misses().then_some(&joined.cover),
                notes_cover: joined.notes_cover.misses().then_some(&joined.notes_cover),
                sidecars: &first.sidecars,
                joined: &joined,
                being_written: &custody.being_written,
            };
            got.analyse(run, parts, k, part, &beside, node)?;
            super::give_back();
            run.phase(&format!("part {k} ({facts} files)"));
        }
        Ok(())
    })?;
    let Gathered {
        kept,
        texts,
        sessions: mut sessions_out,
        mut findings,
        mut of_run,
        linked,
    } = got;
    run.phase(&match findings.spilled() {
        0 => "sessions, obligations and rules over the files, part by part".to_string(),
        n => format!(
            "sessions, obligations and rules over the files, part by part ({} findings, spilled in {n} sorted runs)",
            findings.len()
        ),
    });
    if parts.count > 1 {
        once(&mut of_run);
    }
    findings.extend(of_run)?;
    // Each device's sessions came from one part, in time order.
    sessions_out.sort_by(|a, b| a.device_id.cmp(&b.device_id));
    let case_items = if node {
        Vec::new()
    } else {
        linked.finish(&run.id)
    };
    if !node {
        let env = Env {
            context: &run.context,
            obligations: &[],
            offences: &custody.offences,
            history_breaks: &run.base.breaks,
            case_items: &case_items,
            counter: &crate::counter::Counter::default(),
            log_zone: None,
            log_cover: None,
            notes_cover: None,
        };
        let none = sessions::Sessions::default();
        let (_, f) = analyse::analyse_sessions(
            &[],
            &none,
            rules,
            run.tz,
            &run.id,
            run.started,
            &env,
            Scope::Run,
        );
        // The sink writes them in the table's order.
        findings.extend(f)?;
    }
    // Which previous rows are carried, by part: the carry merges the runs with them.
    let masks = std::mem::take(&mut source.carried_masks);
    drop(source);
    let derived = |i: usize| {
        let mut d = kept
            .get(i)
            .map_or_else(Derived::default, |k| k.derived(&texts));
        d.being_written = i < read_rows && custody.being_written.binary_search(&i).is_ok();
        d
    };
    let (carried, prior): (&Carried, &Prior) = (carried, prior);
    let streams = carry::link_streams(prior, carried, staging)?;
    super::keyframes::write_keyframes(run, (&keyframes, keyframes_w), carried, staging)?;
    drop(keyframes);
    // The run's judgements are written on a thread of their own beside the `files` rewrite
    // (their writers opened first: the staged snapshot hands out one at a time).
    let judgements = store::JudgementWriters::open(staging)?;
    let analysed = Analysed {
        sessions: sessions_out.len(),
        severities: ["high", "warn", "info"].map(|s| findings.count(s)),
        finding_kinds: findings.kinds(),
        tally,
    };
    let written = std::thread::scope(|scope| {
        let streams = scope.spawn(|| streams.map_or(Ok(()), |s| s.write(carried)));
        let judged =
            scope.spawn(|| judgements.write_gathered(&sessions_out, findings, &case_items));
        let filled = write_files(run, prior, carried, &derived, &masks, read_rows, staging);
        let streamed = streams.join().map_err(|_| ScanError::WriterPanicked);
        let judged = judged.join().map_err(|_| ScanError::WriterPanicked);
        filled
            .and(streamed.and_then(|s| s))
            .and(judged.and_then(|j| j.map_err(ScanError::from)))
    });
    written?;
    run.phase(&format!(
        "files, streams, sessions and findings written ({rows} rows, {} parts)",
        parts.count
    ));
    Ok(analysed)
}

/// What is said of the files beside them, gathered over every row before the parts: the
/// sidecars' descriptions, and the path-keyed context tables' word on each row.
struct Beside<'a> {
    /// The ingest log read as UTC by its files' births (`rules.ingest_times = "auto"`).
    log_zone: Option<obligations::LogZone>,
    /// The ingest log naming almost none of the files (DL-LOGPATHS).
    log_cover: Option<&'a obligations::LogCover>,
    /// The media notes naming almost none of the files (DL-LOGPATHS).
    notes_cover: Option<&'a obligations::LogCover>,
    sidecars: &'a Sidecars,
    joined: &'a crate::pathjoin::Joined,
    /// The rows read cut short while an upload was still writing them
    /// ([`super::custody::Custody::being_written`]), in order.
    being_written: &'a [usize],
}

/// What the parts' analyses gather for the run: the rows kept for `files`, and each part's own
/// sessions, findings and case-linked files.
struct Gathered<'c> {
    kept: Vec<Kept>,
    texts: KeptText,
    sessions: Vec<SessionRow>,
    /// The findings of a device or a file.
    findings: FindingSink,
    /// The findings of the run (no device, no file), which several parts may each find.
    of_run: Vec<FindingRow>,
    /// The case-linked files' evidence: the checklist looks across parts.
    linked: completeness::Gathered<'c>,
}

impl Gathered<'_> {
    /// Sessions, obligations and the file rules over part `k`; keeps what is its own.
    fn analyse(
        &mut self,
        run: &Run,
        parts: &Parts,
        k: usize,
        part: Part,
        beside: &Beside,
        node: bool,
    ) -> Result<(), StoreError> {
        let rules = &run.plan.config.rules;
        let mut part = part;
        if !beside.being_written.is_empty() {
            for (f, &g) in part.facts.iter_mut().zip(&part.rows) {
                if beside.being_written.binary_search(&(g as usize)).is_ok() {
                    f.rare.get_or_insert_with(Default::default).being_written = true;
                }
            }
        }
        // One device number's two recorders told apart, before sessions and obligations.
        if !node {
            crate::recorders::attribute(&mut part.facts, rules, &run.context, run.started);
        }
        let sess = if node {
            sessions::Sessions::default()
        } else {
            sessions::build(&part.facts, rules.session_pause_s)
        };
        let mut obligations = run.pool.install(|| {
            obligations::compute_with(
                &part.facts,
                beside.sidecars,
                &run.context,
                &crate::pathjoin::PartPaths {
                    joined: beside.joined,
                    rows: &part.rows,
                },
                run.tz,
                rules.birth_time_is_upload,
            )
        });
        let counter = analyse::counted(
            &part.facts,
            &sess,
            &mut obligations,
            rules,
            run.started,
            &run.context,
            run.tz,
        );
        // Each session's place in the run's list of session ids, when it is this part's.
        let own_session: Vec<Option<u32>> = sess
            .list
            .iter()
            .map(|s| {
                parts
                    .owns(k, Some(&s.device), "")
                    .then(|| self.texts.session(&s.id))
            })
            .collect();
        // A node's scan builds no sessions: its rows' obligations are kept all the same.
        let session_of = |i: usize| sess.of_file.get(i).copied().flatten();
        let mine = part.facts.iter().zip(&obligations).zip(&part.rows);
        for (i, ((f, o), &row)) in mine.enumerate() {
            let row = row as usize;
            // Read back from the run's own staged and previous files, numbered by the first
            // pass: a row it did not number is not this part's.
            let (Some(&p), Some(kept)) = (parts.of_row.get(row), self.kept.get_mut(row)) else {
                continue;
            };
            if p as usize != k {
                continue;
            }
            let session = session_of(i).and_then(|s| own_session.get(s).copied().flatten());
            kept.fill(session, o, &run.context, &mut self.texts);
            self.linked.add(row, &f.path, o);
        }
        if node {
            return Ok(());
        }
        let env = Env {
            context: &run.context,
            obligations: &obligations,
            offences: &[],
            history_breaks: &[],
            case_items: &[],
            counter: &counter,
            log_zone: beside.log_zone,
            log_cover: beside.log_cover,
            notes_cover: beside.notes_cover,
        };
        let (s, f) = run.pool.install(|| {
            analyse::analyse_sessions(
                &part.facts,
                &sess,
                rules,
                run.tz,
                &run.id,
                run.started,
                &env,
                Scope::Files,
            )
        });
        // The rows come in the order of the sessions built.
        self.sessions.extend(
            s.into_iter()
                .zip(&own_session)
                .filter_map(|(s, own)| own.map(|_| s)),
        );
        // A finding of a file, session or device is its part's; one of the run (a case's
        // archive deadline, a year the calendar does not cover) comes from every part that
        // saw it, and is kept once ([`once`]).
        let (of_run, own): (Vec<FindingRow>, Vec<FindingRow>) = f
            .into_iter()
            .partition(|f| f.device_id.is_none() && f.path.is_none());
        self.of_run.extend(of_run);
        self.findings.extend(own.into_iter().filter(|f| {
            parts.owns(
                k,
                f.device_id.as_deref(),
                f.path.as_deref().unwrap_or_default(),
            )
        }))
    }
}

/// The findings of the run (of no device and no file) found by several parts, kept once.
fn once(findings: &mut Vec<FindingRow>) {
    let mut seen = HashSet::new();
    findings.retain(|f| {
        f.device_id.is_some()
            || f.path.is_some()
            || seen.insert((
                f.rule_id.clone(),
                f.finding_id.clone(),
                f.case_id.clone(),
                f.message.clone(),
                f.details.clone(),
            ))
    });
}

/// Where every row's facts are: the rows read (staged, with the keyframe stage's columns
/// beside them), then the carried rows (the previous snapshot's).
struct Source<'a> {
    staging: &'a Staging,
    carried: &'a Carried,
    prior: &'a Prior,
    read_rows: usize,
    /// For each previous `files` part, which of its rows are carried ([`Source::each`] finds
    /// them; empty before).
    carried_masks: Vec<Vec<bool>>,
}

impl Source<'_> {
    /// Every row's `columns`, in `files` order, in batches; `each` is given whether the
    /// batch's rows were carried. Returns which rows of each previous `files` part are carried.
    fn each(
        &self,
        columns: &[&str],
        mut each: impl FnMut(bool, &RecordBatch) -> Result<(), ScanError>,
    ) -> Result<Vec<Vec<bool>>, ScanError> {
        if self.read_rows > 0 {
            self.read_batches(columns, None, |b| each(false, &b))?;
        }
        let mut masks = Vec::new();
        if !self.carried.any {
            return Ok(masks);
        }
        let mut columns = self.carried.columns_to_read(columns);
        if !columns.contains(&"path") {
            columns.push("path");
        }
        for part in &self.prior.files_parts {
            let mut mask = Vec::new();
            for b in store::parquet_reader(part, 8192, Some(&columns))? {
                let b = b.map_err(arrow)?;
                let keep = self.carried.carried_rows(&b);
                let kept = keep.iter().filter(|&&k| k).count();
                mask.extend_from_slice(&keep);
                if kept == 0 {
                    continue;
                }
                let b = if kept == b.num_rows() {
                    b
                } else {
                    let keep = arrow_array::BooleanArray::from(keep);
                    arrow_select::filter::filter_record_batch(&b, &keep).map_err(arrow)?
                };
                each(true, &self.carried.reread(b)?)?;
            }
            masks.push(mask);
        }
        Ok(masks)
    }

    /// The rows read (those `keep` marks, or all), with the keyframe stage's columns put in
    /// place of the staged (empty) ones. Both files were written in batches of the same size:
    /// row `i` of one is row `i` of the other, so one selection serves both.
    fn read_batches(
        &self,
        columns: &[&str],
        keep: Option<&[bool]>,
        mut each: impl FnMut(RecordBatch) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        let staged = self.staging.path_of("files", FILES_STAGED);
        let osd = self.staging.path_of("files", OSD_STAGED);
        let (staged, mut osd) = match keep {
            Some(keep) => (
                store::parquet_reader_rows(&staged, 4096, columns, keep)?,
                store::parquet_reader_rows(&osd, 4096, columns, keep)?,
            ),
            None => (
                store::parquet_reader(&staged, 4096, Some(columns))?,
                store::parquet_reader(&osd, 4096, None)?,
            ),
        };
        for b in staged {
            let b = b.map_err(arrow)?;
            let b = match osd.next() {
                Some(o) => with_osd_facts(&b, &o.map_err(arrow)?)?,
                None => b,
            };
            each(b)?;
        }
        Ok(())
    }

    /// The `columns` of the rows `want` wants (by their row in `files`), in `files` order;
    /// `each` is given each batch's rows. Of the carried rows, only the wanted ones are
    /// decoded (the others skipped in the Parquet reader).
    fn each_of(
        &self,
        columns: &[&str],
        want: impl Fn(usize) -> bool,
        mut each: impl FnMut(&[u32], &RecordBatch) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        // The rows read: only the wanted ones decoded, of the staged rows and of the keyframe
        // stage's columns beside them (the same selection of two files of as many rows).
        let mut row = 0usize;
        if self.read_rows > 0 {
            let keep: Vec<bool> = (0..self.read_rows).map(&want).collect();
            let rows: Vec<u32> = (0..self.read_rows as u32)
                .filter(|&g| keep[g as usize])
                .collect();
            if !rows.is_empty() {
                let mut at = 0;
                self.read_batches(columns, Some(&keep), |b| {
                    let n = b.num_rows();
                    let Some(rows) = rows.get(at..at + n) else {
                        let staged = self.staging.path_of("files", FILES_STAGED);
                        return Err(more_than_selected(&staged));
                    };
                    at += n;
                    each(rows, &b)
                })?;
            }
            row = self.read_rows;
        }
        for (part, carried) in self.prior.files_parts.iter().zip(&self.carried_masks) {
            let mut rows: Vec<u32> = Vec::new();
            let keep: Vec<bool> = carried
                .iter()
                .map(|&c| {
                    if !c {
                        return false;
                    }
                    let wanted = want(row);
                    if wanted {
                        rows.push(row as u32);
                    }
                    row += 1;
                    wanted
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut at = 0;
            let columns = self.carried.columns_to_read(columns);
            for b in store::parquet_reader_rows(part, 8192, &columns, &keep)? {
                let b = self.carried.reread(b.map_err(arrow)?)?;
                let n = b.num_rows();
                let Some(rows) = rows.get(at..at + n) else {
                    return Err(more_than_selected(part));
                };
                each(rows, &b)?;
                at += n;
            }
        }
        Ok(())
    }
}

/// A selective reader gave more rows than were selected.
fn more_than_selected(file: &std::path::Path) -> ScanError {
    ScanError::Store(StoreError::Arrow {
        table: "files",
        source: arrow_schema::ArrowError::InvalidArgumentError(format!(
            "{}: more rows read than selected",
            file.display()
        )),
    })
}

fn arrow(source: arrow_schema::ArrowError) -> StoreError {
    StoreError::Arrow {
        table: "files",
        source,
    }
}

/// The keyframe stage's columns of the rows read put in place of the staged (empty) ones
/// among `columns`.
fn with_osd_facts(b: &RecordBatch, osd: &RecordBatch) -> Result<RecordBatch, ScanError> {
    if osd.num_rows() != b.num_rows() {
        return Err(StoreError::Arrow {
            table: "files",
            source: arrow_schema::ArrowError::InvalidArgumentError(format!(
                "{} rows of keyframe columns beside {} staged rows",
                osd.num_rows(),
                b.num_rows()
            )),
        }
        .into());
    }
    let schema = osd.schema();
    let cols = schema
        .fields()
        .iter()
        .zip(osd.columns())
        .filter(|(f, _)| b.schema().index_of(f.name()).is_ok())
        .map(|(f, a)| (f.name().as_str(), a.clone()))
        .collect();
    Ok(store::replace_columns(b, "files", cols)?)
}

/// What the first pass over every row finds: each row's part and custody dates, the
/// sidecars, the carried rows' count.
struct First {
    parts: Parts,
    kept: Vec<Kept>,
    sidecars: Sidecars,
    carried_rows: usize,
    /// Which rows of each previous `files` part are carried.
    carried_masks: Vec<Vec<bool>>,
    /// Every row's path, as its key (only when there are path-keyed context tables to join).
    paths: crate::pathjoin::FileIndex,
    /// The kept rows' text so far (their custody times).
    texts: KeptText,
    /// Every row's birth time on the server ([`crate::catalog::MISSING`] for none), only when
    /// there are path-keyed context tables to join: what the ingest log's zone is judged by.
    births: Vec<i64>,
}

/// The columns the first pass reads: the part's key, the content hash, what the counts and
/// the custody dates need, and a sidecar's description.
const FIRST_COLUMNS: &[&str] = &[
    "path",
    "status",
    "blake3",
    "media_kind",
    "device_id",
    "size_bytes",
    "mtime",
    "sidecar_category",
    "sidecar_description",
    "sidecar_described_at",
    "birth_time",
    "first_seen",
    "last_seen",
    "last_verified",
];

fn first_pass(
    run: &Run,
    source: &Source,
    custody: &Custody,
    tally: &mut Tally,
) -> Result<First, ScanError> {
    let total = source.read_rows + source.carried.previous_rows;
    let count = total.div_ceil(part_rows()).clamp(1, u16::MAX as usize);
    let mut keys = RowKeys::with_capacity(total);
    // Each row's content hash (its first 128 bits, 0 for none), only when there are parts.
    let mut hash_of_row: Vec<u128> = Vec::new();
    let mut kept: Vec<Kept> = Vec::with_capacity(total);
    let mut texts = KeptText::default();
    let mut sidecars = Sidecars::default();
    let joining = crate::context::has_path_tables(run.context_dir.as_deref());
    let mut paths = crate::pathjoin::FileIndex::default();
    let prior = source.prior;
    paths.hold_heads(prior.move_heads.iter().map(|h| &**h));
    // Records moved: by their earlier paths too (this run's moves, then the history's).
    let moved = !custody.moved_from.is_empty() || !prior.moves.is_empty();
    let mut carried_rows = 0usize;
    let mut births: Vec<i64> = Vec::new();
    // Rows read so far (custody's first-seen dates are by row read).
    let mut read = 0usize;
    let started = run.started;
    // Rows of no device (or of a case's folder taken for one, `recorders::attribute`) that
    // are readable recordings: beside every part, where continuity looks for a segment moved
    // out of its device's folder.
    let mut loose: Vec<bool> = Vec::new();
    let cases = crate::obligations::CaseFolders::new(&run.context);
    let mut names_case: std::collections::HashMap<Box<str>, bool> = Default::default();
    let carried_masks = source.each(FIRST_COLUMNS, |is_carried, b| {
        let c = prior::Cols(b);
        let (path, status, hash, kind, device) = (
            c.text("path"),
            c.text("status"),
            c.text("blake3"),
            c.text("media_kind"),
            c.text("device_id"),
        );
        let size = c.prim::<arrow_array::types::Int64Type>("size_bytes");
        let ts = |n: &str| c.prim::<arrow_array::types::TimestampMicrosecondType>(n);
        let (first_seen, last_seen, last_verified) =
            (ts("first_seen"), ts("last_seen"), ts("last_verified"));
        let birth = ts("birth_time");
        let mut sidecar_rows = Vec::new();
        for i in 0..b.num_rows() {
            let p = path.get(i).unwrap_or_default();
            let d = device.get(i).filter(|d| match names_case.get(*d) {
                Some(&case) => !case,
                None => {
                    let case = !cases.cases_in(d).is_empty();
                    names_case.insert((*d).into(), case);
                    !case
                }
            });
            keys.push(d, p, is_carried);
            if count > 1 {
                loose.push(
                    d.is_none()
                        && status.get(i) == Some("ok")
                        && matches!(kind.get(i), Some("video" | "audio"))
                        && !crate::pathinfo::is_no_record(p),
                );
            }
            if joining {
                let key = paths.push(p);
                if moved {
                    let from = custody.moved_from.get(p).map(String::as_str);
                    paths.alias_moves(key, from, &prior.moves);
                }
                births.push(birth.get(i).unwrap_or(crate::catalog::MISSING));
            }
            if count > 1 {
                let h = hash.get(i).and_then(crate::estate::hash_key);
                hash_of_row.push(h.unwrap_or(0));
            }
            if kind.get(i) == Some("sidecar") {
                sidecar_rows.push(i as u32);
            }
            if is_carried {
                carried_rows += 1;
                tally.add_carried(status.get(i).unwrap_or_default(), size.get(i).unwrap_or(0));
            }
            // Custody dates: first seen (a moved file keeps its original's), last seen, last
            // verified. A carried row has the previous run's in its own columns; a file read
            // has the first-seen date custody took from the previous catalogue.
            let dates = if !is_carried {
                let prev = custody
                    .first_seen
                    .get(read)
                    .copied()
                    .and_then(catalog::unpack);
                read += 1;
                let first = Some(prev.unwrap_or(started));
                [first, Some(started), hash.get(i).map(|_| started)]
            } else {
                let first = Some(first_seen.get(i).unwrap_or(started));
                let out_of_scope = !source.carried.out_of_scope.is_empty()
                    && source.carried.out_of_scope.contains(p);
                let last = if out_of_scope {
                    last_seen.get(i)
                } else {
                    Some(started)
                };
                [first, last, last_verified.get(i)]
            };
            kept.push(Kept {
                dates: dates.map(|d| texts.time(d)),
                ..Kept::default()
            });
        }
        if !sidecar_rows.is_empty() {
            let rows = arrow_array::UInt32Array::from(sidecar_rows);
            let b = arrow_select::take::take_record_batch(b, &rows).map_err(arrow)?;
            for f in prior::facts_from_batch(&b, 0) {
                sidecars.add(&f);
            }
        }
        Ok(())
    })?;
    // Contents held more than once: the keys sorted, equal neighbours (a sorted copy of 16
    // bytes a row, where a map of the keys seen took four times that at a million rows).
    let mut parts = keys.into_parts(count);
    let copied = held_twice(&hash_of_row);
    if !copied.is_empty() {
        parts.copied = hash_of_row
            .iter()
            .map(|h| *h != 0 && copied.binary_search(h).is_ok())
            .collect();
    }
    if loose.iter().filter(|&&l| l).count() <= LOOSE_MAX {
        parts.loose = loose;
    }
    paths.finish();
    Ok(First {
        parts,
        kept,
        sidecars,
        carried_rows,
        carried_masks,
        paths,
        texts,
        births,
    })
}

/// The most rows of no device put beside every part ([`Parts::loose`]): past it, a segment
/// moved out of its device's folder is looked for in its device's part alone.
const LOOSE_MAX: usize = 20_000;

/// The keys (0 for none) that occur more than once, sorted.
fn held_twice(keys: &[u128]) -> Vec<u128> {
    let mut sorted: Vec<u128> = keys.iter().copied().filter(|&k| k != 0).collect();
    sorted.sort_unstable();
    let mut twice: Vec<u128> = sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    twice.dedup();
    twice
}

impl Parts {
    /// Part `k`'s facts: its own rows, every copy of content held more than once and the
    /// readable recordings of no device ([`Parts::loose`]).
    fn read(&self, source: &Source, k: usize) -> Result<Part, ScanError> {
        // Sized for its own rows at once: grown by doubling, a part of 100,000 files was
        // copied whole several times over, into freshly zeroed pages each time.
        let own = self.sizes.get(k).copied().unwrap_or(0);
        let mut part = Part {
            facts: Vec::with_capacity(own),
            rows: Vec::with_capacity(own),
        };
        let mut interner = Interner::default();
        let want = |g: usize| {
            self.of_row.get(g).is_some_and(|&p| p as usize == k)
                || self.copied.get(g).copied().unwrap_or(false)
                || self.loose.get(g).copied().unwrap_or(false)
        };
        source.each_of(prior::FACT_COLUMNS, want, |rows, b| {
            let at = part.facts.len();
            for mut f in prior::facts_from_batch(b, at) {
                interner.facts(&mut f);
                part.facts.push(f);
            }
            part.rows.extend_from_slice(rows);
            Ok(())
        })?;
        // Names that are ends taken back to starts, before sessions and rules see them.
        sessions::starts_from_names(&mut part.facts);
        Ok(part)
    }
}

/// What `files` needs of the analysis for one row, kept from its part's analysis until
/// `files` is written: custody dates, session, obligations. Text is by index into
/// [`KeptText`].
#[derive(Clone, Copy)]
struct Kept {
    /// First seen, last seen, last verified, and keep-until: index + 1 into the times
    /// ([`KeptText::time`]: run starts and days, few distinct ones); 0 for none.
    dates: [u32; 3],
    keep_until: u32,
    upload_us: i64,
    described_at_us: i64,
    /// Index + 1 into the session ids; 0 for none.
    session: u32,
    /// Index + 1 into the case lists; 0 for none.
    cases: u32,
    /// Index + 1 into the document types; 0 for none.
    document_type: u32,
    /// Index + 1 into the fixed words (sources, retention classes); 0 for none.
    upload_source: u8,
    description_source: u8,
    retention_class: u8,
}

impl Default for Kept {
    fn default() -> Kept {
        Kept {
            dates: [0; 3],
            keep_until: 0,
            upload_us: catalog::MISSING,
            described_at_us: catalog::MISSING,
            session: 0,
            cases: 0,
            document_type: 0,
            upload_source: 0,
            description_source: 0,
            retention_class: 0,
        }
    }
}

/// The text of the [`Kept`] rows, each value once.
#[derive(Default)]
struct KeptText {
    sessions: Vec<Sym>,
    /// Lists of case ids (a case's files share one).
    cases: Numbered<Box<str>>,
    document_types: Numbered<Sym>,
    words: Vec<&'static str>,
    /// Custody times and keep-until days (run starts and days: few distinct ones).
    times: Numbered<i64>,
}

impl KeptText {
    fn time(&mut self, t: Option<i64>) -> u32 {
        t.map_or(0, |t| self.times.number(t))
    }

    fn session(&mut self, id: &str) -> u32 {
        self.sessions.push(Sym::from(id));
        self.sessions.len() as u32
    }

    fn word(&mut self, w: Option<&'static str>) -> u8 {
        let Some(w) = w else { return 0 };
        let k = match self.words.iter().position(|x| *x == w) {
            Some(k) => k,
            None => {
                self.words.push(w);
                self.words.len() - 1
            }
        };
        (k + 1) as u8
    }

    fn get<T: Clone>(list: &[T], k: u32) -> Option<T> {
        (k as usize)
            .checked_sub(1)
            .and_then(|i| list.get(i))
            .cloned()
    }
}

impl Kept {
    /// The row's session (index + 1 into the session ids) and obligations.
    fn fill(
        &mut self,
        session: Option<u32>,
        o: &Obligation,
        ctx: &crate::context::Typed,
        t: &mut KeptText,
    ) {
        self.session = session.unwrap_or(0);
        self.upload_us = catalog::pack(o.upload_us);
        self.described_at_us = catalog::pack(o.described_at_us);
        self.keep_until = t.time(o.keep_until_us);
        self.upload_source = t.word(o.upload_source);
        self.description_source = t.word(o.description_source);
        self.retention_class = t.word(o.retention_class);
        self.document_type = o
            .document_type
            .as_ref()
            .map_or(0, |d| t.document_types.number(d.clone()));
        if !o.cases.is_empty() {
            let ids: Vec<&str> = o
                .cases
                .iter()
                .map(|&c| ctx.cases[c].case_id.as_str())
                .collect();
            self.cases = t.cases.number(ids.join(",").into());
        }
    }

    /// The row's per-run columns of `files`.
    fn derived(&self, t: &KeptText) -> Derived {
        let [first, last, verified] = self.dates.map(|k| t.times.get(k).copied());
        let word = |k: u8| KeptText::get(&t.words, u32::from(k));
        Derived {
            session_id: KeptText::get(&t.sessions, self.session),
            first_seen_us: first,
            last_seen_us: last,
            last_verified_us: verified,
            upload_time_us: catalog::unpack(self.upload_us),
            upload_time_source: word(self.upload_source),
            described_at_us: catalog::unpack(self.described_at_us),
            description_source: word(self.description_source),
            case_ids: t.cases.get(self.cases).map(|c| String::from(&**c)),
            retention_class: word(self.retention_class),
            keep_until_us: t.times.get(self.keep_until).copied(),
            document_type: t.document_types.get(self.document_type).cloned(),
            being_written: false,
        }
    }
}

/// The final `files` table: the rows read (staged uncompressed by the read stage) and the
/// carried rows, each with this run's per-run columns.
fn write_files(
    run: &Run,
    prior: &Prior,
    carried: &Carried,
    derived: &(dyn Fn(usize) -> Derived + Sync),
    masks: &[Vec<bool>],
    read_rows: usize,
    staging: &mut Staging,
) -> Result<(), ScanError> {
    store::fill_derived(
        staging,
        FILES_STAGED,
        OSD_STAGED,
        "part-00000.parquet",
        &run.id,
        read_rows,
        derived,
    )?;
    if carried.rows == 0 {
        return Ok(());
    }
    let schema = store::files_batch(&[])?.schema();
    let mut w = staging.splicing_writer("files", "carried-00000.parquet", schema.clone())?;
    let mut row = read_rows;
    let (mut spliced, mut rewritten, mut merged) = (0usize, 0usize, false);
    carried.pieces(
        &prior.files_parts,
        &schema,
        &prior.files_layout,
        masks,
        |piece| {
            match piece {
                carry::Piece::Whole {
                    source,
                    group,
                    offsets,
                } => {
                    let n = group.num_rows() as usize;
                    let rows: Vec<Derived> = (row..row + n).map(derived).collect();
                    w.splice(
                        source,
                        group,
                        offsets,
                        &store::derived_columns(&run.id, &rows),
                    )?;
                    row += n;
                    spliced += n;
                }
                carry::Piece::Rows(b) => {
                    let n = b.num_rows();
                    let rows: Vec<Derived> = (row..row + n).map(derived).collect();
                    w.write(&store::with_derived(&b, &run.id, &rows)?)?;
                    row += n;
                    rewritten += n;
                }
                carry::Piece::Merged { batch, rows } => {
                    let values: Vec<Derived> =
                        rows.iter().map(|&r| derived(read_rows + r)).collect();
                    w.write(&store::with_derived(&batch, &run.id, &values)?)?;
                    rewritten += rows.len();
                    merged = true;
                }
            }
            // Each piece's per-run values and their encoding are freed here: their pages back
            // before the next piece's (the allocator would keep them for a while, piece on piece).
            super::give_back();
            Ok(())
        },
    )?;
    w.finish()?;
    run.phase(&format!(
        "carried files rows: {spliced} spliced from the previous snapshot, {rewritten} decoded and written again ({} runs of ascending paths before{});",
        prior.files_layout.runs.len(),
        if merged { ", merged into path order" } else { "" }
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::held_twice;

    #[test]
    fn contents_held_twice_are_the_repeated_keys_once_each_never_the_empty_one() {
        assert_eq!(held_twice(&[]), Vec::<u128>::new());
        assert_eq!(held_twice(&[5, 0, 0, 7]), Vec::<u128>::new());
        assert_eq!(held_twice(&[9, 3, 5, 3, 0, 9, 9, 0, 1]), vec![3, 9]);
    }
}
