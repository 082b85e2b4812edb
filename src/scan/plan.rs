//! Plan: walk the roots and decide, for every entry, whether to read it (new, changed, or due
//! for re-verification) or carry its row from the previous catalogue unread.

use std::os::unix::ffi::OsStrExt;

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
    pub fn path(&self, i: usize) -> String {
        path_string(&self.entries, i)
    }

    /// Whether paths were walked, asked in ascending order ([`Walk::contains`]).
    pub fn walked(&self) -> Walk<'_> {
        Walk::new(&self.entries)
    }
}

/// Entry `i`'s path as text ([`path_text`]).
fn path_string(entries: &Walked, i: usize) -> String {
    let mut buf = Vec::new();
    entries.path_into(i, &mut buf);
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => path_text(std::path::Path::new(std::ffi::OsStr::from_bytes(
            e.as_bytes(),
        )))
        .into_owned(),
    }
}

/// Answers whether a path was walked, for paths asked in ascending order, in one pass over
/// the walk beside the asking (no path is held): the walk's UTF-8 paths in their order (byte
/// order, which is text order), the rare others' text aside, sorted (an escaped byte may sort
/// elsewhere as text).
pub(super) struct Walk<'w> {
    entries: &'w Walked,
    at: usize,
    buf: Vec<u8>,
    others: Vec<String>,
}

impl<'w> Walk<'w> {
    fn new(entries: &'w Walked) -> Self {
        let mut buf = Vec::new();
        let mut others: Vec<String> = (0..entries.len())
            .filter(|&i| std::str::from_utf8(entries.path_into(i, &mut buf)).is_err())
            .map(|i| path_string(entries, i))
            .collect();
        others.sort_unstable();
        Walk {
            entries,
            at: 0,
            buf,
            others,
        }
    }

    /// Whether `path` was walked; each path asked must not sort before the one asked before.
    pub fn contains(&mut self, path: &str) -> bool {
        while self.at < self.entries.len() {
            match std::str::from_utf8(self.entries.path_into(self.at, &mut self.buf)) {
                Ok(p) if p < path => self.at += 1,
                Ok(p) if p == path => return true,
                Ok(_) => break,
                Err(_) => self.at += 1,
            }
        }
        self.others
            .binary_search_by(|o| o.as_str().cmp(path))
            .is_ok()
    }
}

pub(super) fn walk_and_compare(run: &Run, prior: &Prior) -> Tree {
    let plan = run.plan;
    let opts = walk::WalkOptions {
        expect: prior.files.len(),
        ..run.walk.clone()
    };
    let entries = run.pool.install(|| walk::walk(&plan.roots, &opts));
    let total_bytes: u64 = (0..entries.len()).map(|i| entries.size(i)).sum();
    let verify = match plan.verify {
        VerifyPlan::None => Verify::None,
        VerifyPlan::All => Verify::All,
        VerifyPlan::Bytes(b) => Verify::Budget(b),
        VerifyPlan::Percent(p) => Verify::Budget((total_bytes as f64 * p / 100.0).ceil() as u64),
    };
    let actions = custody::plan(&entries, prior, verify, |i| path_string(&entries, i));
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
        actions,
        to_read,
        mode,
    }
}
