//! The records of the records (第二十八条(三)): a hash chain over the warehouse's commits.
//!
//! Every commit (a scan or an export) writes a manifest into its snapshot's `chain/` folder:
//! the size and BLAKE3 of each table file it wrote, the files it dropped, a digest of every
//! file the snapshot then holds, its settings, and the BLAKE3 of the manifest before it. The
//! manifests of earlier commits are carried forward by hard link like the history tables, so
//! the current snapshot holds the whole chain, and the BLAKE3 of its last manifest (the chain
//! head) stands for the whole history: a change to any committed file, a missing, inserted or
//! reordered run, or an edited manifest breaks the chain at a named place.
//!
//! - `manifest`: the manifest's fields (pure data);
//! - `check`: walking the chain (cheap before a commit, full for `recaudit verify`); `disk`:
//!   holding the states against the snapshots on disk, re-hashing;
//! - `write`: sealing a staged snapshot with its manifest (and signature);
//! - `sign`: Ed25519 keys and signatures; `anchor`: the append-only log kept elsewhere;
//! - `export`: checking an export folder against the chain.

pub mod anchor;
pub mod check;
mod disk;
pub mod export;
pub mod manifest;
pub mod report;
pub mod sign;
pub mod write;

use std::path::PathBuf;

pub use check::check;
pub use manifest::{Manifest, Start, State};
pub use report::{Depth, Problem, Report, Sealed};

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A key file that cannot be used; the message never quotes the file.
    #[error("{path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    /// The history does not verify: the check's report, with every problem.
    #[error("{}", broken_message(.0))]
    Broken(Box<Report>),
}

fn broken_message(r: &Report) -> String {
    let mut s = format!(
        "the warehouse's history does not verify ({} problem{}):",
        r.problems.len(),
        if r.problems.len() == 1 { "" } else { "s" }
    );
    for p in r.problems.iter().take(20) {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    if r.problems.len() > 20 {
        s.push_str(&format!("\n  ... and {} more", r.problems.len() - 20));
    }
    s
}

/// How a commit treats the chain: `--chain-budget`, `--new-chain`, `--sign-key`, `--anchor`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Bytes of earlier table files re-hashed by the check before the commit (besides those
    /// whose time moved); `u64::MAX` re-hashes all.
    pub budget: u64,
    /// Start a new chain when the history does not verify (recorded as a finding).
    pub restart: bool,
    /// Ed25519 private key file to sign the manifest with.
    pub sign_key: Option<PathBuf>,
    /// Append-only log that receives the commit's chain head.
    pub anchor: Option<PathBuf>,
}

/// The default `--chain-budget`: 64 MiB of table files re-hashed per commit.
pub const DEFAULT_BUDGET: u64 = 64 << 20;

impl Options {
    pub fn depth(&self) -> Depth {
        match self.budget {
            u64::MAX => Depth::Full,
            budget => Depth::Cheap { budget },
        }
    }

    /// Loads the key and opens the anchor log, before any work: a run that cannot seal or
    /// anchor its result should not start.
    pub fn open(&self) -> Result<Sealer, ChainError> {
        Ok(Sealer {
            key: self
                .sign_key
                .as_deref()
                .map(sign::load_signing_key)
                .transpose()?,
            anchor: self
                .anchor
                .as_deref()
                .map(anchor::AnchorLog::open)
                .transpose()?,
        })
    }
}

/// The signing key and the anchor log of a commit.
pub struct Sealer {
    pub key: Option<ed25519_dalek::SigningKey>,
    pub anchor: Option<anchor::AnchorLog>,
}

impl Sealer {
    /// Anchors a commit; an error here comes after the commit (which stands).
    pub fn anchor(&mut self, c: &write::Committed) -> Option<String> {
        self.anchor
            .as_mut()
            .and_then(|a| a.append(c).err())
            .map(|e| e.to_string())
    }
}

/// A restart of the chain on record: when, by which run, and what had not verified. The
/// rules turn each into a finding (`rules::chain`).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryBreak {
    pub run_id: String,
    pub at_us: i64,
    pub problems: Vec<String>,
}

/// What a commit builds on: the chain head it extends and the state after it, or a start.
#[derive(Debug, Clone, Default)]
pub struct Base {
    pub head: Option<Sealed>,
    pub state: State,
    pub start: Option<Start>,
    /// The restarts on record, this commit's own included.
    pub breaks: Vec<HistoryBreak>,
    /// Bytes of table files the check re-hashed.
    pub checked_bytes: u64,
    /// The place the next manifest takes.
    pub next_seq: u64,
}

impl Base {
    /// The base for a commit by `run_id` from the check of the warehouse. A history that does
    /// not verify is refused unless `restart`: the new chain then starts with the problems on
    /// record.
    pub fn from_report(
        report: Report,
        restart: bool,
        run_id: &str,
        now_us: i64,
    ) -> Result<Base, ChainError> {
        let checked_bytes = report.hashed_bytes;
        let next_seq = report.last_seq_seen.map_or(0, |s| s + 1);
        if report.ok() {
            let start = match (&report.head, report.unchained) {
                (Some(_), _) => None,
                (None, true) => Some(Start {
                    reason:
                        "first commit with a chain: earlier runs of this warehouse are not covered"
                            .into(),
                    problems: Vec::new(),
                }),
                (None, false) => Some(Start {
                    reason: "a new warehouse".into(),
                    problems: Vec::new(),
                }),
            };
            // Without a head there is no state: a start builds on nothing.
            return Ok(Base {
                head: report.head,
                state: report.state,
                start,
                breaks: report.breaks,
                checked_bytes,
                next_seq,
            });
        }
        if !restart {
            return Err(ChainError::Broken(Box::new(report)));
        }
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        let mut breaks = report.breaks;
        breaks.push(HistoryBreak {
            run_id: run_id.to_string(),
            at_us: now_us,
            problems: problems.clone(),
        });
        Ok(Base {
            head: report.head,
            state: State::new(),
            start: Some(Start {
                reason: "restarted: the history this run found did not verify".into(),
                problems,
            }),
            breaks,
            checked_bytes,
            next_seq,
        })
    }
}
