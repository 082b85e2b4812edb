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

/// Evidence of one type for one case: how many pieces, and the first few (a case linked to a
/// month of a recorder's footage has thousands; only [`EVIDENCE_LISTED`] are ever shown).
#[derive(Default)]
struct Pieces {
    count: usize,
    first: Vec<String>,
}

impl Pieces {
    fn add(&mut self, e: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.len() < EVIDENCE_LISTED {
            self.first.push(e());
        }
    }
}

/// What was found for one case: evidence by document type and by moment. Types are borrowed
/// (the checklist's words, the catalogue's document types): nothing is allocated per file.
#[derive(Default)]
struct Found<'a> {
    documents: HashMap<&'a str, Pieces>,
    moments: HashMap<&'a str, Pieces>,
}

fn days(d: chrono::NaiveDate) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as i32
}

/// The `case_items` rows: every case with a kind, against every checklist item of that kind.
pub fn evaluate(
    facts: &[FileFacts],
    obligations: &[Obligation],
    ctx: &Typed,
    run_id: &str,
) -> Vec<CaseItemRow> {
    let checklist = &ctx.checklist;
    let mut found: Vec<Found> = ctx.cases.iter().map(|_| Found::default()).collect();
    // Moments of each distinct classification, worked out once.
    let mut moments_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (f, o) in facts.iter().zip(obligations) {
        if o.cases.is_empty() {
            continue;
        }
        let moments: &[&str] = match o.category.as_deref() {
            Some(c) => moments_of
                .entry(c)
                .or_insert_with(|| checklist.category.all(c)),
            None => &[],
        };
        for &c in &o.cases {
            let Some(fd) = found.get_mut(c) else { continue };
            for m in moments {
                fd.moments.entry(*m).or_default().add(|| f.path.to_string());
            }
            if let Some(t) = o.document_type.as_deref() {
                fd.documents
                    .entry(t)
                    .or_default()
                    .add(|| f.path.to_string());
            }
        }
    }
    let index: HashMap<&str, usize> = ctx
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.case_id.as_str(), i))
        .collect();
    let known = checklist.document_types();
    for d in &ctx.documents {
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
        found[c].documents.entry(ty).or_default().add(|| e);
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
                for e in &p.first {
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
