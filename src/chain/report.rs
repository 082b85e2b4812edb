//! What a check of the chain found ([`Report`]: the manifests seen, every [`Problem`] and
//! where), how deep it looked ([`Depth`]), and the small helpers the check and the disk
//! comparison both use to say so.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::manifest::State;
use super::{ChainError, HistoryBreak};

/// How much of the table files to re-hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Depth {
    /// Links, sizes and the state digests; files whose modification time moved since their
    /// manifest are re-hashed, and others in a rolling order up to this many bytes.
    Cheap { budget: u64 },
    /// Every table file of the current and the previous snapshot re-hashed.
    Full,
}

/// One thing that does not verify, and where.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// The manifest it is found at (its place in the chain) and that manifest's run.
    pub seq: Option<u64>,
    pub run_id: Option<String>,
    pub table: Option<String>,
    pub file: Option<String>,
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.seq, &self.run_id) {
            (Some(s), Some(r)) => write!(f, "chain #{s} (run {r}): ")?,
            (None, Some(r)) => write!(f, "run {r}: ")?,
            (Some(s), None) => write!(f, "chain #{s}: ")?,
            (None, None) => {}
        }
        match (&self.table, &self.file) {
            (Some(t), Some(n)) => write!(f, "{t}/{n}: ")?,
            (None, Some(n)) => write!(f, "{n}: ")?,
            _ => {}
        }
        f.write_str(&self.what)
    }
}

/// A manifest as seen by the check: its place, run, BLAKE3 and what the anchor and export
/// checks need of it.
#[derive(Debug, Clone, Serialize)]
pub struct Sealed {
    pub seq: u64,
    pub run_id: String,
    pub blake3: String,
    pub command: String,
    pub committed_us: i64,
    pub signer: Option<String>,
    /// An export's MANIFEST.csv BLAKE3, from its settings.
    pub export_manifest_blake3: Option<String>,
}

/// What the check found.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The last manifest (the chain head), if the warehouse has one.
    pub head: Option<Sealed>,
    /// Every manifest in order, also those before a restart.
    pub manifests: Vec<Sealed>,
    /// The place of the manifest the chain vouches from (its last start).
    pub from_seq: Option<u64>,
    pub problems: Vec<Problem>,
    /// Facts worth saying that are not problems (a restart on record, stale snapshots).
    pub notes: Vec<String>,
    #[serde(skip)]
    pub breaks: Vec<HistoryBreak>,
    /// The files of the current snapshot as the head's manifest records them.
    #[serde(skip)]
    pub state: State,
    /// The current snapshot was committed before chains existed (no manifest yet).
    pub unchained: bool,
    pub hashed_files: u64,
    pub hashed_bytes: u64,
    /// The current snapshot's run id.
    pub snapshot: Option<String>,
    /// The highest place any manifest file's name claims (readable or not).
    #[serde(skip)]
    pub last_seq_seen: Option<u64>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

pub(super) fn problem(
    seq: Option<u64>,
    run: Option<&str>,
    file: Option<&str>,
    what: String,
) -> Problem {
    let (table, file) = match file.and_then(|f| f.split_once('/')) {
        Some((t, n)) => (Some(t.to_string()), Some(n.to_string())),
        None => (None, file.map(str::to_string)),
    };
    Problem {
        seq,
        run_id: run.map(str::to_string),
        table,
        file,
        what,
    }
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ChainError + '_ {
    move |source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}
