//! Plan: walk the roots and decide, for every entry, whether to read it (new, changed, or due
//! for re-verification) or carry its row from the previous catalogue unread.

use std::os::unix::ffi::OsStrExt;

use super::setup::Run;
use super::{ScanError, VerifyPlan, path_text};
use crate::custody::{self, Action, Reason, Verify};
use crate::store::prior::Prior;
use crate::walk::{self, Entry, Walked};

/// The entries to read, what to do with each, and which files of the previous catalogue the
/// walk found. A nightly run keeps only the entries it reads: an unchanged file is decided as
/// its listing comes (its previous row looked up by path) and leaves nothing behind but its
/// row's mark in [`Tree::found`], so that the walked tree and the previous catalogue are never
/// held together (at ten million files they would be 1.2 and 1.4 GB).
pub(super) struct Tree {
    /// Sorted by path: every entry walked on a first scan or when every file is verified;
    /// on a run with a verification budget every entry read or carried (the budget picks
    /// among the carried ones by their last verification); on other nightly runs only the
    /// entries read. Each one's path as text is [`Tree::path`].
    pub entries: Walked,
    pub actions: Vec<Action>,
    /// Indexes of the entries to read, in walk order.
    pub to_read: Vec<usize>,
    /// By row of the previous catalogue: whether the walk found that path.
    pub found: Found,
    /// `full`, `verify` or `incremental` (`runs.mode`).
    pub mode: &'static str,
    /// On a first scan, every entry (each read as new) written out in path order: `entries`,
    /// `actions` and `to_read` are then empty.
    spilled: Option<walk::Spilled>,
    /// Entries of `to_read` handed to the read so far.
    handed: usize,
}

/// Entries to read handed over at a time ([`Tree::batch`]).
const BATCH: usize = super::BATCH_FILES;

impl Tree {
    /// How many entries are read.
    pub fn reads(&self) -> usize {
        self.spilled
            .as_ref()
            .map_or(self.to_read.len(), walk::Spilled::len)
    }

    pub fn bytes_to_read(&self) -> u64 {
        match &self.spilled {
            Some(s) => s.bytes(),
            None => self.to_read.iter().map(|&i| self.entries.size(i)).sum(),
        }
    }

    /// Why the `k`th entry read is read.
    pub fn reason(&self, k: usize) -> Option<Reason> {
        if self.spilled.is_some() {
            return (k < self.reads()).then_some(Reason::New);
        }
        match self.to_read.get(k).map(|&e| self.actions[e]) {
            Some(Action::Read(r)) => Some(r),
            _ => None,
        }
    }

    /// The next entries to read, in path order (none once all are handed over).
    pub fn batch(&mut self) -> std::io::Result<Vec<Entry>> {
        if let Some(s) = &mut self.spilled {
            return s.batch(BATCH);
        }
        let end = (self.handed + BATCH).min(self.to_read.len());
        let out = self.to_read[self.handed..end]
            .iter()
            .map(|&i| self.entries.entry(i))
            .collect();
        self.handed = end;
        Ok(out)
    }

    /// Entry `i`'s path as the catalogue has it.
    pub fn path(&self, i: usize) -> String {
        path_string(&self.entries, i)
    }
}

/// One bit per row of the previous catalogue.
#[derive(Debug, Default)]
pub(super) struct Found(Vec<u64>);

impl Found {
    fn new(rows: usize) -> Found {
        Found(vec![0; rows.div_ceil(64)])
    }

    fn set(&mut self, row: usize) {
        if let Some(w) = self.0.get_mut(row / 64) {
            *w |= 1 << (row % 64);
        }
    }

    pub fn get(&self, row: usize) -> bool {
        self.0
            .get(row / 64)
            .is_some_and(|w| w & (1 << (row % 64)) != 0)
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

pub(super) fn walk_and_compare(run: &Run, prior: &Prior) -> Result<Tree, ScanError> {
    let plan = run.plan;
    let verify_all = matches!(plan.verify, VerifyPlan::All);
    let budget = matches!(plan.verify, VerifyPlan::Bytes(_) | VerifyPlan::Percent(_));
    // Entries carried unread are kept only where the plan below still chooses among them.
    let keep_carried = prior.files.is_empty() || verify_all || budget;
    let mut entries = Walked::default();
    let mut found = Found::new(prior.files.len());
    let mut total_bytes = 0u64;
    let walk_opts = &run.walk;
    run.pool.install(|| {
        walk::walk_each(&plan.roots, walk_opts, |e| {
            total_bytes = total_bytes.saturating_add(e.size);
            if prior.files.is_empty() {
                entries.push(e);
                return;
            }
            let row = prior.files.get_row(&path_text(&e.path));
            if let Some((r, _)) = row {
                found.set(r);
            }
            let p = row.map(|(_, p)| p);
            let carried = custody::decide(&e.meta(), &e.kind, e.error.as_deref(), p.as_ref())
                == Action::Carry;
            if keep_carried || !carried {
                entries.push(e);
            }
        });
    });
    let entries = entries.sorted();
    if prior.snapshot.is_none() && prior.files.is_empty() {
        // A first scan: every entry is read, as new, in path order.
        let dir = run.wh.root();
        let spilled = entries
            .spill(dir)
            .map_err(|e| ScanError::Spill(dir.to_path_buf(), e))?;
        return Ok(Tree {
            entries: Walked::default(),
            actions: Vec::new(),
            to_read: Vec::new(),
            found,
            mode: "full",
            spilled: Some(spilled),
            handed: 0,
        });
    }
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
    Ok(Tree {
        entries,
        actions,
        to_read,
        found,
        mode,
        spilled: None,
        handed: 0,
    })
}
