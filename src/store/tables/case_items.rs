//! `case_items`: per case and checklist item, whether the record the rules ask for
//! (第六、七条) is there, and what was found for it. Rebuilt every run from the catalogue and
//! the context tables.
use arrow_array::RecordBatch;

use super::Cols;
use crate::store::StoreError;

/// One row of `case_items`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseItemRow {
    pub run_id: String,
    pub case_id: String,
    pub case_kind: String,
    pub case_closed: Option<i32>,
    pub item: String,
    /// The item's line in the checklist (its order: 第六条 then 第七条, clause by clause).
    pub position: i32,
    pub record: &'static str,
    pub clause: String,
    pub name: String,
    pub gloss: String,
    /// `required` or `conditional`.
    pub requirement: &'static str,
    /// The item's condition as written in the checklist (`event:hearing|document:…`).
    pub condition: Option<String>,
    /// The first alternative of the condition that holds for the case.
    pub condition_met: Option<String>,
    /// Whether the item applies to the case: required, or its condition holds, or evidence
    /// for it was found.
    pub applies: bool,
    /// `present`, `missing` or `not_applicable`.
    pub status: &'static str,
    pub evidence_count: i64,
    /// Up to 20 pieces of evidence, `; `-separated: file paths, or `case_documents` entries as
    /// `case_documents: <type> <number> <date>`.
    pub evidence: Option<String>,
}

pub fn case_items_batch(rows: &[CaseItemRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str("case_id", rows.iter().map(|r| Some(r.case_id.as_str())));
    c.str("case_kind", rows.iter().map(|r| Some(r.case_kind.as_str())));
    c.date("case_closed", rows.iter().map(|r| r.case_closed));
    c.str("item", rows.iter().map(|r| Some(r.item.as_str())));
    c.i32("position", rows.iter().map(|r| Some(r.position)));
    c.str("record", rows.iter().map(|r| Some(r.record)));
    c.str("clause", rows.iter().map(|r| Some(r.clause.as_str())));
    c.str("name", rows.iter().map(|r| Some(r.name.as_str())));
    c.str("gloss", rows.iter().map(|r| Some(r.gloss.as_str())));
    c.str("requirement", rows.iter().map(|r| Some(r.requirement)));
    c.str("condition", rows.iter().map(|r| r.condition.as_deref()));
    c.str(
        "condition_met",
        rows.iter().map(|r| r.condition_met.as_deref()),
    );
    c.bool("applies", rows.iter().map(|r| Some(r.applies)));
    c.str("status", rows.iter().map(|r| Some(r.status)));
    c.i64(
        "evidence_count",
        rows.iter().map(|r| Some(r.evidence_count)),
    );
    c.str("evidence", rows.iter().map(|r| r.evidence.as_deref()));
    c.finish("case_items")
}
