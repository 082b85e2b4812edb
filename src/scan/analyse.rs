//! Analyse: over every fact of the catalogue (read and carried), rebuild the recording
//! sessions, compute each file's obligations (case links, deadlines, retention) and custody
//! dates, and run the rules ([`crate::analyse`], [`crate::rules`], which do no I/O). The
//! per-run `files` columns are written on one thread, carried `streams` rows filtered on
//! another, while the rules run on the worker pool.

use std::collections::HashMap;

use super::carry::{self, Carried};
use super::custody::Custody;
use super::read::Read;
use super::setup::Run;
use super::{FILES_STAGED, OSD_STAGED, ScanError, Tally};
use crate::analyse;
use crate::catalog::{self, FileFacts};
use crate::completeness;
use crate::obligations;
use crate::rules::Env;
use crate::sessions;
use crate::store::prior::{Prior, PriorFile};
use crate::store::tables::{CaseItemRow, Derived, FindingRow, SessionRow};
use crate::store::{self, warehouse::Staging};

/// What the analyse stage hands on to the commit.
pub(super) struct Analysed {
    pub sessions: Vec<SessionRow>,
    pub findings: Vec<FindingRow>,
    pub case_items: Vec<CaseItemRow>,
    pub tally: Tally,
}

pub(super) fn analyse(
    run: &Run,
    prior: &mut Prior,
    read: Read,
    carried: &Carried,
    custody: &Custody,
    staging: &mut Staging,
) -> Result<Analysed, ScanError> {
    let rules = &run.plan.config.rules;
    let facts = read.facts;
    // A node of a shared warehouse leaves sessions, rules and case completeness to the
    // analysis of every node's files: a session, a duplicate or a case may cross nodes.
    let node = run.plan.publish.is_some();
    // The previous catalogue's index is not needed past the custody dates: freed before the
    // sessions, obligations and rules, where memory peaks (156 bytes a file plus its path).
    let dates = custody_dates(run, prior, &facts, read.read_rows, carried, custody);
    prior.files = Default::default();
    prior.gone = Default::default();
    let prior: &Prior = prior;
    let sess = if node {
        sessions::Sessions::default()
    } else {
        sessions::build(&facts, rules.session_pause_s)
    };
    let obligations = run
        .pool
        .install(|| obligations::compute(&facts, &run.context, run.tz, rules.birth_time_is_upload));
    let analysed = analyse::DerivedRows::new(&sess, &obligations, &run.context);
    let derived = |i: usize| {
        dates
            .get(i)
            .map_or_else(Derived::default, |d| d.fill(analysed.row(i)))
    };
    run.phase("obligations and per-run columns");
    let case_items = if node {
        Vec::new()
    } else {
        completeness::evaluate(&facts, &obligations, &run.context, &run.id)
    };
    let env = Env {
        context: &run.context,
        obligations: &obligations,
        offences: &custody.offences,
        history_breaks: &run.base.breaks,
        case_items: &case_items,
    };
    let streams = carry::link_streams(prior, carried, staging)?;
    super::keyframes::write_keyframes(run, &read.keyframes, carried, staging)?;
    let (rules_out, written) = std::thread::scope(|scope| {
        let fill = scope.spawn(|| {
            let r = write_files(run, prior, carried, &derived, read.read_rows, staging);
            run.phase("files and streams written");
            r
        });
        let streams = scope.spawn(|| streams.map_or(Ok(()), |s| s.write(carried)));
        let out = if node {
            (Vec::new(), Vec::new())
        } else {
            run.pool.install(|| {
                analyse::analyse_sessions(&facts, &sess, rules, run.tz, &run.id, run.started, &env)
            })
        };
        let filled = fill.join().map_err(|_| ScanError::WriterPanicked);
        let streamed = streams.join().map_err(|_| ScanError::WriterPanicked);
        (out, filled.and_then(|f| f).and(streamed.and_then(|s| s)))
    });
    written?;
    drop(facts);
    run.phase("sessions, rules and per-run columns of files");
    let (sessions, findings) = rules_out;
    Ok(Analysed {
        sessions,
        findings,
        case_items,
        tally: read.tally,
    })
}

/// A file's custody dates (`first_seen`, `last_seen`, `last_verified`), packed: they must
/// outlive the previous catalogue's index, which is freed before the rules run.
#[derive(Clone, Copy)]
struct Dates([i64; 3]);

impl Dates {
    fn new(first: Option<i64>, last: Option<i64>, verified: Option<i64>) -> Dates {
        Dates([first, last, verified].map(catalog::pack))
    }

    /// `d` with these dates.
    fn fill(self, mut d: Derived) -> Derived {
        let [first, last, verified] = self.0.map(catalog::unpack);
        d.first_seen_us = first;
        d.last_seen_us = last;
        d.last_verified_us = verified;
        d
    }
}

/// Custody dates of every file: first seen (a moved file keeps its original's), last seen,
/// last verified. Rows `..read_rows` were read this run.
fn custody_dates(
    run: &Run,
    prior: &Prior,
    facts: &[FileFacts],
    read_rows: usize,
    carried: &Carried,
    custody: &Custody,
) -> Vec<Dates> {
    let moved_from: &HashMap<String, String> = &custody.moved_from;
    let started = run.started;
    facts
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let path: &str = &f.path;
            let prev: Option<PriorFile> = prior.files.get(path).or_else(|| {
                moved_from
                    .get(path)
                    .and_then(|p| prior.files.get(p.as_str()))
            });
            let first = Some(prev.and_then(|p| p.first_seen_us).unwrap_or(started));
            if k < read_rows {
                Dates::new(first, Some(started), f.blake3.as_ref().map(|_| started))
            } else if carried.out_of_scope.contains(path) {
                Dates::new(
                    first,
                    prev.and_then(|p| p.last_seen_us),
                    prev.and_then(|p| p.last_verified_us),
                )
            } else {
                Dates::new(first, Some(started), prev.and_then(|p| p.last_verified_us))
            }
        })
        .collect()
}

/// The final `files` table: the rows read (staged uncompressed by the read stage) and the
/// carried rows, each with this run's per-run columns.
fn write_files(
    run: &Run,
    prior: &Prior,
    carried: &Carried,
    derived: &(dyn Fn(usize) -> Derived + Sync),
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
    let (mut spliced, mut rewritten) = (0usize, 0usize);
    carried.pieces(&prior.files_parts, &schema, |piece| {
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
        }
        Ok(())
    })?;
    w.finish()?;
    run.phase(&format!(
        "carried files rows: {spliced} spliced from the previous snapshot, {rewritten} decoded and written again;"
    ));
    Ok(())
}
