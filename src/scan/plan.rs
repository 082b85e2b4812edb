//! Plan: walk the roots and decide, for every entry, whether to read it (new, changed, or due
//! for re-verification) or carry its row from the previous catalogue unread.

use rayon::prelude::*;

use super::setup::Run;
use super::{VerifyPlan, display_path};
use crate::custody::{self, Action, Verify};
use crate::store::prior::Prior;
use crate::walk::{self, Entry};

/// The walked tree and what to do with each entry.
pub(super) struct Tree {
    pub entries: Vec<Entry>,
    /// Each entry's path as text, to compare with the previous catalogue; empty on a first
    /// scan, which has nothing to compare.
    pub paths: Vec<String>,
    pub actions: Vec<Action>,
    /// Indexes of the entries to read, in walk order.
    pub to_read: Vec<usize>,
    /// `full`, `verify` or `incremental` (`runs.mode`).
    pub mode: &'static str,
}

impl Tree {
    pub fn bytes_to_read(&self) -> u64 {
        self.to_read.iter().map(|&i| self.entries[i].size).sum()
    }
}

pub(super) fn walk_and_compare(run: &Run, prior: &Prior) -> Tree {
    let plan = run.plan;
    let entries = run.pool.install(|| walk::walk(&plan.roots, &run.walk));
    let paths: Vec<String> = if prior.files.is_empty() {
        Vec::new()
    } else {
        run.pool
            .install(|| entries.par_iter().map(|e| display_path(&e.path)).collect())
    };
    let total_bytes: u64 = entries.iter().map(|e| e.size).sum();
    let verify = match plan.verify {
        VerifyPlan::None => Verify::None,
        VerifyPlan::All => Verify::All,
        VerifyPlan::Bytes(b) => Verify::Budget(b),
        VerifyPlan::Percent(p) => Verify::Budget((total_bytes as f64 * p / 100.0).ceil() as u64),
    };
    let actions = custody::plan(&entries, &paths, prior, verify);
    let to_read: Vec<usize> = (0..entries.len())
        .filter(|&i| actions[i] != Action::Carry)
        .collect();
    let mode = if prior.snapshot.is_none() {
        "full"
    } else if matches!(verify, Verify::All) {
        "verify"
    } else {
        "incremental"
    };
    Tree {
        entries,
        paths,
        actions,
        to_read,
        mode,
    }
}
