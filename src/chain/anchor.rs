//! The anchor: an append-only log kept outside the warehouse (a WORM share, a mail drop, a
//! ticket system's attachment) that receives one line per commit:
//!
//! ```text
//! recaudit-chain <TAB> seq <TAB> run_id <TAB> committed (UTC, RFC 3339) <TAB> head <TAB> signature or -
//! ```
//!
//! Whoever can rewrite the warehouse cannot rewrite the log as well, so a head in the log that
//! the warehouse no longer has shows a rewritten, truncated or rolled-back history.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ChainError;
use super::report::{Problem, Report};
use super::write::Committed;

const TAG: &str = "recaudit-chain";

/// The log, opened for appending before the run starts (so that a log that cannot be written
/// stops the run before any work).
pub struct AnchorLog {
    file: File,
    path: PathBuf,
}

impl AnchorLog {
    pub fn open(path: &Path) -> Result<AnchorLog, ChainError> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|source| ChainError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(AnchorLog {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends the commit's line and syncs it to disk.
    pub fn append(&mut self, c: &Committed) -> Result<(), ChainError> {
        let at = chrono::DateTime::from_timestamp_micros(c.committed_us)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
            .unwrap_or_default();
        let line = format!(
            "{TAG}\t{}\t{}\t{at}\t{}\t{}\n",
            c.seq,
            c.run_id,
            c.head,
            c.signature.as_deref().unwrap_or("-")
        );
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_all())
            .map_err(|source| ChainError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Anchored {
    pub line: usize,
    pub seq: u64,
    pub run_id: String,
    pub head: String,
}

/// Reads the log; lines that are not anchors (blank, comments, other tools' lines) are skipped,
/// malformed anchor lines are problems.
pub fn read(path: &Path) -> Result<(Vec<Anchored>, Vec<Problem>), ChainError> {
    let text = std::fs::read_to_string(path).map_err(|source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if !l.starts_with(TAG) {
            continue;
        }
        let f: Vec<&str> = l.split('\t').collect();
        let seq = f.get(1).and_then(|s| s.parse::<u64>().ok());
        match (seq, f.get(2), f.get(4)) {
            (Some(seq), Some(run), Some(head)) if f.len() == 6 && head.len() == 64 => {
                out.push(Anchored {
                    line: i + 1,
                    seq,
                    run_id: run.to_string(),
                    head: head.to_string(),
                })
            }
            _ => problems.push(Problem {
                seq: None,
                run_id: None,
                table: None,
                file: Some(format!("{}:{}", path.display(), i + 1)),
                what: "a malformed anchor line".into(),
            }),
        }
    }
    Ok((out, problems))
}

fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}

/// Holds the log against the chain: every anchored head must be the BLAKE3 of the manifest of
/// that run at that place. Returns how many lines matched.
pub fn check(path: &Path, report: &mut Report) -> Result<usize, ChainError> {
    let (lines, mut problems) = read(path)?;
    let mut matched = 0;
    for a in &lines {
        let at = |what: String| Problem {
            seq: Some(a.seq),
            run_id: Some(a.run_id.clone()),
            table: None,
            file: Some(format!("{}:{}", path.display(), a.line)),
            what,
        };
        match report.manifests.iter().find(|m| m.run_id == a.run_id) {
            None => problems.push(at(format!(
                "anchored with head {}…, but the warehouse's chain has no manifest of this run: the history was rewritten, truncated or rolled back",
                short(&a.head)
            ))),
            Some(m) if m.blake3 != a.head || m.seq != a.seq => problems.push(at(format!(
                "anchored as #{} with head {}…, but the chain has #{} with BLAKE3 {}…: the manifest was rewritten after it was anchored",
                a.seq,
                short(&a.head),
                m.seq,
                short(&m.blake3)
            ))),
            Some(_) => matched += 1,
        }
    }
    report.problems.extend(problems);
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::report::Sealed;

    #[test]
    fn a_log_with_odd_lines_is_read_without_panicking_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("anchor.log");
        let good = "a".repeat(64);
        // A head of 64 bytes that is not hex (multi-byte characters), a short line, a comment.
        let odd = "é".repeat(32);
        std::fs::write(
            &log,
            format!(
                "# kept by the archive\nrecaudit-chain\t0\tR0\tT\t{good}\t-\nrecaudit-chain\t1\tR1\tT\t{odd}\t-\nrecaudit-chain\tx\n"
            ),
        )
        .unwrap();
        let mut r = Report::default();
        r.manifests.push(Sealed {
            seq: 0,
            run_id: "R0".into(),
            blake3: good.clone(),
            command: "scan".into(),
            committed_us: 0,
            signer: None,
            export_manifest_blake3: None,
        });
        assert_eq!(check(&log, &mut r).unwrap(), 1);
        // The odd head names a run the chain lacks; the short line is malformed.
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.problems.iter().any(|p| p.what.contains("rolled back")));
        assert!(r.problems.iter().any(|p| p.what.contains("malformed")));
    }
}
