//! Plan: walk the roots and decide, for every entry, whether to read it (new, changed, or due
//! for re-verification) or carry its row from the previous catalogue unread.

use super::setup::Run;
use super::{VerifyPlan, path_text};
use crate::custody::{self, Action, Verify};
use crate::store::prior::Prior;
use crate::walk::{self, Walked};

/// The walked tree and what to do with each entry.
pub(super) struct Tree {
    /// Sorted by path. Each one's path as text is [`Tree::path`] (not kept: a million paths'
    /// copies cost more than making the rare non-UTF-8 one again).
    pub entries: Walked,
    pub actions: Vec<Action>,
    /// Indexes of the entries to read, in walk order.
    pub to_read: Vec<usize>,
    /// `full`, `verify` or `incremental` (`runs.mode`).
    pub mode: &'static str,
}

impl Tree {
    pub fn bytes_to_read(&self) -> u64 {
        self.to_read.iter().map(|&i| self.entries.size(i)).sum()
    }

    /// Entry `i`'s path as the catalogue has it.
    pub fn path(&self, i: usize) -> std::borrow::Cow<'_, str> {
        path_text(self.entries.path(i))
    }
}

pub(super) fn walk_and_compare(run: &Run, prior: &Prior) -> Tree {
    let plan = run.plan;
    let entries = run.pool.install(|| walk::walk(&plan.roots, &run.walk));
    let paths: Vec<std::borrow::Cow<str>> = if prior.files.is_empty() {
        Vec::new()
    } else {
        (0..entries.len())
            .map(|i| path_text(entries.path(i)))
            .collect()
    };
    let total_bytes: u64 = (0..entries.len()).map(|i| entries.size(i)).sum();
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
    drop(paths);
    Tree {
        entries,
        actions,
        to_read,
        mode,
    }
}
