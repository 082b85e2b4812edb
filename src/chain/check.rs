//! Walking the chain and holding it against the disk: the check every commit makes of the runs
//! it builds on (cheap: the links, the sizes, re-hashing the files whose time moved and a
//! rolling budget of the others) and the one `recaudit verify` makes (every file re-hashed).
//!
//! Everything that does not verify is a [`Problem`](super::report::Problem) naming the manifest (its place and run),
//! the table and the file, and what differs; an I/O error on the warehouse itself is a
//! [`ChainError`].

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use super::disk::{compare_listing, cross_check_runs, hash_all, runs_rows};
use super::manifest::{self, DIR, Manifest, State, digest};
use super::report::{Depth, Report, Sealed};
use super::report::{io, problem, short};
use super::{ChainError, HistoryBreak, sign};

/// A manifest read from disk, with the BLAKE3 of its bytes.
struct Read_ {
    name: String,
    hash: String,
    bytes: Vec<u8>,
    sig: Option<Vec<u8>>,
    m: Manifest,
}

/// Checks the chain of the warehouse at `root` and its current (and previous) snapshot.
/// `trusted`: a public key the head must be signed with.
pub fn check(
    root: &Path,
    depth: Depth,
    trusted: Option<&ed25519_dalek::VerifyingKey>,
) -> Result<Report, ChainError> {
    let mut r = Report::default();
    let snaps = root.join("snapshots");
    if !root.is_dir() {
        return Err(ChainError::Io {
            path: root.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such warehouse"),
        });
    }
    let committed: Vec<String> = match fs::read_dir(&snaps) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with(".tmp-"))
            .collect(),
        Err(_) => Vec::new(),
    };
    let current = fs::read_link(root.join("current"))
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
    let Some(cur) = current else {
        if !committed.is_empty() {
            r.problems.push(problem(
                None,
                None,
                Some("current"),
                format!(
                    "the `current` link is missing, but {} snapshot(s) are committed: the warehouse was taken apart",
                    committed.len()
                ),
            ));
        }
        return Ok(r);
    };
    r.snapshot = Some(cur.clone());
    let cur_dir = snaps.join(&cur);
    if !cur_dir.is_dir() {
        r.problems.push(problem(
            None,
            Some(&cur),
            Some("current"),
            format!(
                "`current` points at snapshots/{cur}, which is missing: the run folder was deleted"
            ),
        ));
        return Ok(r);
    }
    let read = read_manifests(&cur_dir.join(DIR), &mut r)?;
    if read.is_empty() {
        let chained = runs_rows(&cur_dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, seq)| seq.is_some())
            .count();
        if chained > 0 {
            r.problems.push(problem(
                None,
                Some(&cur),
                Some(DIR),
                format!(
                    "the snapshot has no manifests, but {chained} run(s) in `runs` recorded their place in a chain: the history was removed"
                ),
            ));
        } else {
            r.unchained = true;
            r.notes.push(format!(
                "the snapshot of run {cur} was committed before chains existed: the next commit starts one"
            ));
        }
        return Ok(r);
    }
    let (state, prev_state, added_in) = walk_links(&read, trusted, &mut r);
    let head = r.head.clone();
    let Some(head) = head else {
        r.state = state;
        return Ok(r);
    };
    if head.run_id != cur {
        r.problems.push(problem(
            Some(head.seq),
            Some(&head.run_id),
            None,
            format!(
                "the current snapshot is run {cur}, but the chain's last manifest is this one: a commit without its manifest, or manifests removed"
            ),
        ));
    }
    // The current snapshot against the head's state, then the previous one (kept for readers
    // still on it) against the state before the head.
    let mut to_hash = compare_listing(&cur_dir, &state, &head, depth, &added_in, &mut r)?;
    // The commit before the head: its snapshot is kept; it is checked when it is in the chain.
    let previous = r.manifests.iter().rev().nth(1).cloned();
    let prev = previous
        .clone()
        .filter(|p| r.from_seq.is_some_and(|s| p.seq >= s));
    if let (Some(p), Some(ps)) = (prev, prev_state) {
        let pdir = snaps.join(&p.run_id);
        if pdir.is_dir() {
            let more = compare_listing(&pdir, &ps, &p, depth, &added_in, &mut r)?;
            if depth == Depth::Full {
                to_hash.extend(more);
            }
        } else {
            r.problems.push(problem(
                Some(p.seq),
                Some(&p.run_id),
                None,
                format!(
                    "the snapshot of run {} (the commit before the current one, kept for readers) is missing: the run folder was deleted",
                    p.run_id
                ),
            ));
        }
    }
    for n in &committed {
        let keep = n == &cur || previous.as_ref().is_some_and(|p| &p.run_id == n);
        if !keep {
            r.notes.push(format!(
                "snapshots/{n} is left over from an interrupted clean-up; not checked (the next commit removes it)"
            ));
        }
    }
    hash_all(to_hash, &mut r);
    if depth == Depth::Full {
        cross_check_runs(&cur_dir, &mut r);
    }
    r.state = state;
    Ok(r)
}

fn read_manifests(dir: &Path, r: &mut Report) -> Result<Vec<Read_>, ChainError> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut names: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        if name.ends_with(".json.sig") {
            continue;
        }
        let Some((seq, run)) = manifest::parse_name(&name) else {
            r.problems.push(problem(
                None,
                None,
                Some(&format!("{DIR}/{name}")),
                "not a manifest of this chain (an unexpected file in the chain folder)".into(),
            ));
            continue;
        };
        r.last_seq_seen = r.last_seq_seen.max(Some(seq));
        let path = dir.join(&name);
        let mut bytes = Vec::new();
        fs::File::open(&path)
            .and_then(|f| f.take(manifest::MAX_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io(&path))?;
        let at = |what: String| problem(Some(seq), Some(run), Some(&format!("{DIR}/{name}")), what);
        if bytes.len() as u64 > manifest::MAX_BYTES {
            r.problems
                .push(at("larger than any manifest (64 MiB)".into()));
            continue;
        }
        let m: Manifest = match serde_json::from_slice(&bytes) {
            Ok(m) => m,
            Err(e) => {
                r.problems
                    .push(at(format!("not a readable manifest ({e}): it was edited")));
                continue;
            }
        };
        if m.format != manifest::FORMAT {
            r.problems
                .push(at(format!("unknown format `{}`", m.format)));
            continue;
        }
        if m.seq != seq || m.run_id != run {
            r.problems.push(at(format!(
                "its file name says #{seq} of run {run}, its content #{} of run {}: renamed or edited",
                m.seq, m.run_id
            )));
        }
        let sig = fs::read(dir.join(format!("{name}.sig"))).ok();
        out.push(Read_ {
            name,
            hash: manifest::hash(&bytes),
            bytes,
            sig,
            m,
        });
    }
    out.sort_by_key(|x| x.m.seq);
    Ok(out)
}

/// Follows the links from the last start to the head, replaying the states and checking the
/// signatures. Returns the head's state, the state before the head, and where each file of the
/// head's state was added (its manifest's place).
fn walk_links(
    read: &[Read_],
    trusted: Option<&ed25519_dalek::VerifyingKey>,
    r: &mut Report,
) -> (State, Option<State>, HashMap<String, u64>) {
    let start = read.iter().rposition(|x| x.m.start.is_some());
    let s = start.unwrap_or(0);
    if start.is_none() {
        let first = &read[0].m;
        r.problems.push(problem(
            Some(first.seq),
            Some(&first.run_id),
            None,
            "no manifest starts the chain: the first one kept names a previous one that is missing (manifests were removed)".into(),
        ));
    }
    if s > 0 {
        r.notes.push(format!(
            "the chain was restarted at #{} (run {}); the {} manifest(s) before it are kept but not vouched for",
            read[s].m.seq, read[s].m.run_id, s
        ));
    }
    r.from_seq = Some(read[s].m.seq);
    let mut state = State::new();
    let mut prev_state = None;
    let mut added_in: HashMap<String, u64> = HashMap::new();
    let dir_name = |x: &Read_| format!("{DIR}/{}", x.name);
    for (i, x) in read.iter().enumerate() {
        let m = &x.m;
        r.manifests.push(Sealed {
            seq: m.seq,
            run_id: m.run_id.clone(),
            blake3: x.hash.clone(),
            command: m.command.clone(),
            committed_us: m.committed_us,
            signer: m.signer.clone(),
            export_manifest_blake3: m
                .settings
                .get("manifest_blake3")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        });
        if let Some(st) = &m.start
            && !st.problems.is_empty()
        {
            r.breaks.push(HistoryBreak {
                run_id: m.run_id.clone(),
                at_us: m.committed_us,
                problems: st.problems.clone(),
            });
        }
        if i < s {
            continue;
        }
        let at = |what: String| problem(Some(m.seq), Some(&m.run_id), Some(&dir_name(x)), what);
        if i > 0 {
            let before = &read[i - 1];
            if m.seq == before.m.seq {
                r.problems.push(at(format!(
                    "two manifests claim place #{}: a run was inserted",
                    m.seq
                )));
            } else if m.seq != before.m.seq.saturating_add(1) {
                r.problems.push(at(format!(
                    "manifest(s) #{}..#{} are missing between run {} and this one: removed",
                    before.m.seq.saturating_add(1),
                    m.seq.saturating_sub(1),
                    before.m.run_id
                )));
            }
        }
        if i > s {
            let before = &read[i - 1];
            match &m.previous {
                None => r.problems.push(at(
                    "names no previous manifest but does not start a chain: a run was inserted"
                        .into(),
                )),
                Some(l) if l.blake3 != before.hash || l.run_id != before.m.run_id => {
                    r.problems.push(at(format!(
                        "it builds on #{} of run {} with BLAKE3 {}, but the manifest before it is #{} of run {} with BLAKE3 {}: that manifest was edited or replaced, or a run was inserted or removed here",
                        l.seq,
                        l.run_id,
                        short(&l.blake3),
                        before.m.seq,
                        before.m.run_id,
                        short(&before.hash)
                    )))
                }
                Some(_) => {}
            }
        }
        if i + 1 == read.len() {
            prev_state = Some(state.clone());
        }
        if m.start.is_some() {
            added_in.clear();
        }
        m.apply(&mut state);
        for a in &m.added {
            added_in.insert(a.path.clone(), m.seq);
        }
        if digest(&state) != m.state {
            r.problems.push(at(
                "the files it adds and removes do not give the state digest it records: the manifest was edited".into(),
            ));
        }
        if let Some(signer) = &m.signer {
            match &x.sig {
                None => r.problems.push(at(format!(
                    "signed by {} but its signature {}.sig is missing: removed",
                    short(signer),
                    x.name
                ))),
                Some(sig) if !sign::check(signer, &x.bytes, sig) => r.problems.push(at(format!(
                    "its signature by {} does not verify: the manifest or the signature was changed",
                    short(signer)
                ))),
                Some(_) => {}
            }
        }
    }
    if let Some(last) = r.manifests.last().cloned() {
        if let Some(k) = trusted {
            let want = sign::public_hex(k);
            if last.signer.as_deref() != Some(want.as_str()) {
                r.problems.push(problem(
                    Some(last.seq),
                    Some(&last.run_id),
                    None,
                    "the chain head is not signed with the given public key".into(),
                ));
            }
        }
        r.head = Some(last);
    }
    (state, prev_state, added_in)
}
