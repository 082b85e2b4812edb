//! Is each case's record complete? 第六条 lists the written records and 第七条 the moments on
//! audio or video that each kind of procedure needs; 第二十八条(一) sanctions a record not
//! made, or not made as required. This step holds every case against the checklist
//! ([`crate::checklist`]) and says, item by item, what was found: documents from the
//! case-management export (`case_documents`) and from the evidence tree (files linked to the
//! case whose path names a document type), and recordings linked to the case whose
//! classification (第十七条) names the moment. Pure: the rows become `case_items` and the
//! input of the `incomplete_record` rule.

use std::collections::{HashMap, HashSet};

use crate::catalog::FileFacts;
use crate::checklist::{Condition, Record};
use crate::context::Typed;
use crate::obligations::Obligation;
use crate::store::tables::CaseItemRow;

/// Pieces of evidence listed per item (all are counted).
const EVIDENCE_LISTED: usize = 20;

/// Evidence of one type for one case: how many pieces, and the first few in catalogue order (a
/// case linked to a month of a recorder's footage has thousands; only [`EVIDENCE_LISTED`] are
/// ever shown). Each listed piece keeps its place (a file's row; a case document comes after
/// every file, in its table's order), so that files gathered a part of the catalogue at a
/// time list the same first pieces as the whole catalogue in order would.
#[derive(Default)]
struct Pieces {
    count: usize,
    first: Vec<(u64, String)>,
}

impl Pieces {
    fn add(&mut self, at: u64, e: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.len() == EVIDENCE_LISTED && self.first.last().is_some_and(|l| l.0 < at) {
            return;
        }
        let i = self.first.partition_point(|(k, _)| *k < at);
        self.first.insert(i, (at, e()));
        self.first.truncate(EVIDENCE_LISTED);
    }
}

/// What was found for one case: evidence by document type and by moment.
#[derive(Default)]
struct Found {
    documents: HashMap<String, Pieces>,
    moments: HashMap<String, Pieces>,
}

fn days(d: chrono::NaiveDate) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as i32
}

/// The evidence of the files linked to cases, gathered file by file in any order (the scan
/// gives it a part of the catalogue at a time): per case, per document type and moment, a
/// count and the first pieces. Holds nothing per file.
pub struct Gathered<'c> {
    ctx: &'c Typed,
    found: Vec<Found>,
    /// Moments of each distinct classification, worked out once.
    moments_of: HashMap<String, Vec<&'c str>>,
}

impl<'c> Gathered<'c> {
    pub fn new(ctx: &'c Typed) -> Self {
        Gathered {
            ctx,
            found: ctx.cases.iter().map(|_| Found::default()).collect(),
            moments_of: HashMap::new(),
        }
    }

    /// The file at `path`, row `row` of the catalogue, with its obligations.
    pub fn add(&mut self, row: usize, path: &str, o: &Obligation) {
        if o.cases.is_empty() {
            return;
        }
        let checklist = &self.ctx.checklist;
        let moments: &[&str] = match o.category.as_deref() {
            Some(c) => {
                if !self.moments_of.contains_key(c) {
                    self.moments_of
                        .insert(c.to_string(), checklist.category.all(c));
                }
                self.moments_of.get(c).map_or(&[], Vec::as_slice)
            }
            None => &[],
        };
        let at = row as u64;
        for &c in &o.cases {
            let Some(fd) = self.found.get_mut(c) else {
                continue;
            };
            for m in moments {
                add_piece(&mut fd.moments, m, at, || path.to_string());
            }
            if let Some(t) = o.document_type.as_deref() {
                add_piece(&mut fd.documents, t, at, || path.to_string());
            }
        }
    }

    /// The `case_items` rows ([`evaluate`]).
    pub fn finish(self, run_id: &str) -> Vec<CaseItemRow> {
        rows(self.ctx, self.found, run_id)
    }
}

/// Adds a piece to `pool`'s pieces of `key`.
fn add_piece(pool: &mut HashMap<String, Pieces>, key: &str, at: u64, e: impl FnOnce() -> String) {
    if let Some(p) = pool.get_mut(key) {
        p.add(at, e);
        return;
    }
    let mut p = Pieces::default();
    p.add(at, e);
    pool.insert(key.to_string(), p);
}

/// The `case_items` rows: every case with a kind, against every checklist item of that kind.
/// `facts` and `obligations` are the catalogue's files in order (those linked to no case add
/// nothing).
pub fn evaluate(
    facts: &[FileFacts],
    obligations: &[Obligation],
    ctx: &Typed,
    run_id: &str,
) -> Vec<CaseItemRow> {
    let mut g = Gathered::new(ctx);
    for (row, (f, o)) in facts.iter().zip(obligations).enumerate() {
        g.add(row, &f.path, o);
    }
    g.finish(run_id)
}

fn rows(ctx: &Typed, mut found: Vec<Found>, run_id: &str) -> Vec<CaseItemRow> {
    let checklist = &ctx.checklist;
    let index: HashMap<&str, usize> = ctx
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.case_id.as_str(), i))
        .collect();
    let known = checklist.document_types();
    for (k, d) in ctx.documents.iter().enumerate() {
        let Some(&c) = index.get(d.case_id.as_str()) else {
            continue;
        };
        let ty = checklist
            .document_type(&d.document_type, &known)
            .or_else(|| d.title.as_deref().and_then(|t| checklist.document.best(t)));
        let Some(ty) = ty else { continue };
        let mut e = format!("case_documents: {}", d.document_type);
        let title = d.title.as_deref().filter(|t| *t != d.document_type);
        for part in [d.number.as_deref(), title].into_iter().flatten() {
            e.push(' ');
            e.push_str(part);
        }
        if let Some(date) = d.date {
            e.push_str(&format!(" {date}"));
        }
        if let Some(p) = &d.path {
            e.push_str(&format!(" ({p})"));
        }
        add_piece(&mut found[c].documents, ty, u64::MAX / 2 + k as u64, || e);
    }
    let mut rows = Vec::new();
    for (c, case) in ctx.cases.iter().enumerate() {
        let Some(kind) = case.kind.as_deref() else {
            continue;
        };
        let fd = &found[c];
        let holds = |cond: &Condition| match cond {
            Condition::Event(e) => ctx.events.contains(&(case.case_id.clone(), e.clone())),
            Condition::Document(t) => fd.documents.contains_key(t.as_str()),
            Condition::Moment(m) => fd.moments.contains_key(m.as_str()),
        };
        let of_kind = checklist
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kinds.iter().any(|k| k == kind));
        for (position, item) in of_kind {
            let pool = match item.record {
                Record::Written => &fd.documents,
                Record::AudioVisual => &fd.moments,
            };
            // Each piece has one document type, and a recording counts once per moment: the
            // count over an item's evidence types is the pieces found for it.
            let mut evidence: Vec<&str> = Vec::new();
            let mut count = 0;
            let mut seen = HashSet::new();
            for p in item.evidence.iter().filter_map(|t| pool.get(t.as_str())) {
                count += p.count;
                for (_, e) in &p.first {
                    if seen.insert(e.as_str()) {
                        evidence.push(e);
                    }
                }
            }
            let met = item
                .condition
                .iter()
                .find(|c| holds(c))
                .map(Condition::text);
            let applies = item.required() || met.is_some() || count > 0;
            let status = if count > 0 {
                "present"
            } else if applies {
                "missing"
            } else {
                "not_applicable"
            };
            rows.push(CaseItemRow {
                run_id: run_id.to_string(),
                case_id: case.case_id.clone(),
                case_kind: kind.to_string(),
                case_closed: case.closed.map(days),
                item: item.id.clone(),
                position: position as i32 + 1,
                record: item.record.name(),
                clause: item.clause.clone(),
                name: item.name.clone(),
                gloss: item.gloss.clone(),
                requirement: if item.required() {
                    "required"
                } else {
                    "conditional"
                },
                condition: (!item.condition.is_empty()).then(|| {
                    item.condition
                        .iter()
                        .map(Condition::text)
                        .collect::<Vec<_>>()
                        .join("|")
                }),
                condition_met: met,
                applies,
                status,
                evidence_count: count as i64,
                evidence: (!evidence.is_empty()).then(|| {
                    evidence
                        .iter()
                        .take(EVIDENCE_LISTED)
                        .copied()
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
            });
        }
    }
    rows
}

#[cfg(test)]
mod gather_tests {
    use super::{EVIDENCE_LISTED, Pieces};

    #[test]
    fn pieces_given_out_of_order_list_the_first_in_catalogue_order_and_count_all() {
        // Rows 0..50 as three parts would give them: each part's rows ascending, parts
        // interleaved over the catalogue.
        let mut order: Vec<u64> = (0..50).filter(|r| r % 3 == 2).collect();
        order.extend((0..50).filter(|r| r % 3 == 0));
        order.extend((0..50).filter(|r| r % 3 == 1));
        let mut p = Pieces::default();
        for r in order {
            p.add(r, || format!("/ev/{r:02}.mp4"));
        }
        p.add(u64::MAX / 2, || "case_documents: 询问笔录".into());
        assert_eq!(p.count, 51);
        let listed: Vec<&str> = p.first.iter().map(|(_, e)| e.as_str()).collect();
        let expected: Vec<String> = (0..EVIDENCE_LISTED as u64)
            .map(|r| format!("/ev/{r:02}.mp4"))
            .collect();
        assert_eq!(listed, expected);
    }
}
