//! Sessions and findings over a finished catalog: the pure step between the scan and the
//! store. Takes the compact facts of every file, returns the `sessions` and `findings` rows and
//! each file's session. No I/O, so it is benchmarked on synthetic catalogs of a million files.

use std::collections::{BTreeSet, HashMap};

use crate::catalog::FileFacts;
use crate::config::RuleSettings;
use crate::context::Typed;
use crate::counter::Counter;
use crate::obligations::{self, Obligation};
use crate::rules::{self, Ctx, Env};
use crate::sessions::{self, Sessions};
use crate::store::tables::{Derived, FindingRow, SessionRow};

pub struct Analysis {
    pub sessions: Vec<SessionRow>,
    pub findings: Vec<FindingRow>,
    /// Session id of each file, by its row in `files`.
    pub session_of: Vec<Option<String>>,
}

/// Sessions, findings and session ids in one call, with empty context tables and no custody
/// history.
pub fn analyse(
    facts: &[FileFacts],
    settings: &RuleSettings,
    tz: chrono_tz::Tz,
    run_id: &str,
    now_us: i64,
) -> Analysis {
    analyse_in(facts, settings, tz, run_id, now_us, &Typed::default())
}

/// [`analyse`] with the context tables `context` (the device registry's kinds, cases).
pub fn analyse_in(
    facts: &[FileFacts],
    settings: &RuleSettings,
    tz: chrono_tz::Tz,
    run_id: &str,
    now_us: i64,
    context: &Typed,
) -> Analysis {
    let mut facts = facts.to_vec();
    sessions::starts_from_names(&mut facts);
    crate::recorders::attribute(&mut facts, settings, context, now_us);
    let facts = &facts[..];
    let sess = sessions::build(facts, settings.session_pause_s);
    let mut obligations = obligations::compute(facts, context, tz, settings.birth_time_is_upload);
    let counter = counted(
        facts,
        &sess,
        &mut obligations,
        settings,
        now_us,
        context,
        tz,
    );
    let env = Env {
        context,
        obligations: &obligations,
        offences: &[],
        history_breaks: &[],
        case_items: &[],
        counter: &counter,
        log_zone: None,
        log_cover: None,
        notes_cover: None,
    };
    let (sessions, findings) = analyse_sessions(
        facts,
        &sess,
        settings,
        tz,
        run_id,
        now_us,
        &env,
        rules::Scope::All,
    );
    Analysis {
        sessions,
        findings,
        session_of: session_ids(&sess),
    }
}

/// What the recorders' counters say of `facts` (by row, with the uploads of `obligations`),
/// and the obligations of the files whose recording time is not their own settled by it
/// ([`obligations::settle`]). After the sessions (a segment's companions are not counted) and
/// the obligations, before the rules, which read the counter through [`Env::counter`].
#[allow(clippy::too_many_arguments)]
pub fn counted(
    facts: &[FileFacts],
    sess: &Sessions,
    obligations: &mut [Obligation],
    settings: &RuleSettings,
    now_us: i64,
    context: &Typed,
    tz: chrono_tz::Tz,
) -> Counter {
    let counter = Counter::of(
        facts,
        |row| sess.main_of(row).is_some(),
        settings,
        |row| obligations.get(row).and_then(|o| o.upload_us),
        now_us,
    );
    obligations::settle(obligations, facts, &counter, settings, now_us, context, tz);
    counter
}

/// Each file's session id, by its row in `files`.
pub fn session_ids(sess: &Sessions) -> Vec<Option<String>> {
    sess.of_file
        .iter()
        .map(|k| k.map(|k| sess.list[k].id.clone()))
        .collect()
}

/// Each file's per-run columns of `files` that come from the analysis (its session and its
/// obligations), made row by row as `files` is written: a million files' [`Derived`] held at
/// once would cost some 200 MB at the scan's peak.
pub struct DerivedRows<'a> {
    sess: &'a Sessions,
    obligations: &'a [Obligation],
    context: &'a Typed,
    /// Each session's id, shared by its files' rows.
    ids: Vec<crate::catalog::Sym>,
}

impl<'a> DerivedRows<'a> {
    pub fn new(sess: &'a Sessions, obligations: &'a [Obligation], context: &'a Typed) -> Self {
        let ids = sess.list.iter().map(|s| s.id.as_str().into()).collect();
        DerivedRows {
            sess,
            obligations,
            context,
            ids,
        }
    }

    /// Row `i`'s columns (the custody dates are the caller's to fill in).
    pub fn row(&self, i: usize) -> Derived {
        let none = Obligation::default();
        let o = self.obligations.get(i).unwrap_or(&none);
        Derived {
            session_id: self
                .sess
                .of_file
                .get(i)
                .copied()
                .flatten()
                .and_then(|k| self.ids.get(k).cloned()),
            upload_time_us: o.upload_us,
            upload_time_source: o.upload_source,
            described_at_us: o.described_at_us,
            description_source: o.description_source,
            case_ids: (!o.cases.is_empty()).then(|| {
                o.cases
                    .iter()
                    .map(|&c| self.context.cases[c].case_id.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }),
            retention_class: o.retention_class,
            keep_until_us: o.keep_until_us,
            document_type: o.document_type.clone(),
            ..Default::default()
        }
    }
}

/// The rules of `scope` over built sessions: the `sessions` and `findings` rows. A whole
/// catalogue runs every family ([`rules::Scope::All`]); a part of one runs the file families,
/// and the run's families run once, over no file.
#[allow(clippy::too_many_arguments)]
pub fn analyse_sessions(
    facts: &[FileFacts],
    sess: &Sessions,
    settings: &RuleSettings,
    tz: chrono_tz::Tz,
    run_id: &str,
    now_us: i64,
    env: &Env,
    scope: rules::Scope,
) -> (Vec<SessionRow>, Vec<FindingRow>) {
    let ctx = Ctx::new(facts, sess, settings, tz, now_us, run_id, env);
    session_rows(facts, sess, run_id, rules::evaluate_scope(&ctx, scope))
}

/// The `sessions` rows, with the count and missing seconds of each session's `findings`.
fn session_rows(
    facts: &[FileFacts],
    sess: &Sessions,
    run_id: &str,
    findings: Vec<FindingRow>,
) -> (Vec<SessionRow>, Vec<FindingRow>) {
    // Findings and missing seconds per session, in one pass over the findings.
    let mut per_session = HashMap::<&str, (i64, f64)>::new();
    for f in &findings {
        if let Some(s) = f.session_id.as_deref() {
            let e = per_session.entry(s).or_insert((0, 0.0));
            e.0 += 1;
            if f.kind == "gap" || f.kind == "missing_segment" {
                e.1 += f.magnitude_s.unwrap_or(0.0);
            }
        }
    }
    let rows = sess
        .list
        .iter()
        .map(|s| {
            let members: Vec<&FileFacts> = s.members.iter().map(|&i| &facts[i]).collect();
            let officers: BTreeSet<&str> = members
                .iter()
                .filter_map(|f| f.officer_id.as_deref())
                .collect();
            let units: BTreeSet<&str> = members.iter().filter_map(|f| f.unit.as_deref()).collect();
            let (count, missing) = per_session.get(s.id.as_str()).copied().unwrap_or((0, 0.0));
            SessionRow {
                run_id: run_id.to_string(),
                session_id: s.id.clone(),
                device_id: s.device.clone(),
                officer_ids: (!officers.is_empty())
                    .then(|| officers.into_iter().collect::<Vec<_>>().join(",")),
                unit: (!units.is_empty()).then(|| units.into_iter().collect::<Vec<_>>().join(",")),
                start_us: s.start_us,
                end_us: s.end_us,
                file_count: members.len() as i64,
                recorded_s: members
                    .iter()
                    .filter_map(|f| f.duration_s)
                    .filter(|d| d.is_finite())
                    .sum(),
                missing_s: missing,
                finding_count: count,
                first_path: members
                    .first()
                    .map(|f| f.path.to_string())
                    .unwrap_or_default(),
                last_path: members
                    .last()
                    .map(|f| f.path.to_string())
                    .unwrap_or_default(),
                live: s.live,
            }
        })
        .collect();
    (rows, findings)
}
