//! Chain of custody (第二十八条(三)): what a run must re-read, and what changed since the last
//! run. Pure: it compares the walk's metadata and the hashes just taken with the previous
//! catalogue ([`Prior`]), and returns custody events. The scan stage does the reading.
//!
//! A file is carried over without being opened when its size, mtime and inode are what the
//! catalogue recorded and it is not due for verification; everything else is read and hashed.

use std::collections::HashMap;

use crate::store::catalogue::Content;
use crate::store::prior::{Prior, PriorFile};
use crate::store::tables::CustodyEvent;
use crate::walk::{EntryKind, Meta, Walked};

/// Why a file is read this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Not in the previous catalogue.
    New,
    /// Size, mtime or inode differ from the catalogue.
    Changed,
    /// Unchanged metadata, re-hashed to prove the bytes are still the same.
    Verify,
    /// In the catalogue without a hash (it could not be read last time): read again.
    Retry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Carry,
    Read(Reason),
}

/// How much of the unchanged tree to re-hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verify {
    #[default]
    None,
    All,
    /// Re-hash the files verified longest ago, up to this many bytes.
    Budget(u64),
}

fn same_identity(e: &Meta, p: &PriorFile<'_>) -> bool {
    let mtime = e.mtime_ns.map(|n| n.div_euclid(1000));
    let inode_same = match (p.fs_dev, p.fs_inode) {
        (Some(d), Some(i)) => d == e.dev as i64 && i == e.ino as i64,
        _ => true,
    };
    p.size_bytes == e.size as i64 && p.mtime_us == mtime && inode_same
}

/// Whether one walked entry (its numbers, kind and listing error) is carried or read, given
/// the previous catalogue's row of its path, before any verification is asked for.
pub fn decide(meta: &Meta, kind: &EntryKind, error: Option<&str>, p: Option<&PriorFile>) -> Action {
    match p {
        None => Action::Read(Reason::New),
        Some(p) if p.blake3.is_none() => Action::Read(Reason::Retry),
        // Was a readable file; now a link, a folder, a device, or unlistable.
        Some(_) if !matches!(kind, EntryKind::File) || error.is_some() => {
            Action::Read(Reason::Changed)
        }
        Some(p) if !same_identity(meta, p) => Action::Read(Reason::Changed),
        Some(_) => Action::Carry,
    }
}

/// Decides, for every walked entry (by index), whether to carry it or read it. `path` gives
/// entry `i`'s path as the catalogue has it.
pub fn plan(
    entries: &Walked,
    prior: &Prior,
    verify: Verify,
    path: impl Fn(usize) -> String,
) -> Vec<Action> {
    if prior.files.is_empty() {
        return vec![Action::Read(Reason::New); entries.len()];
    }
    // Each carried entry's last verification (for a verification budget).
    let mut verified: Vec<(Option<i64>, usize)> = Vec::new();
    let mut actions: Vec<Action> = (0..entries.len())
        .map(|i| {
            let p = prior.files.get(&path(i));
            let a = decide(
                &entries.meta(i),
                entries.kind(i),
                entries.error(i),
                p.as_ref(),
            );
            if let (Action::Carry, Some(p), Verify::Budget(_)) = (a, p, verify) {
                verified.push((p.last_verified_us, i));
            }
            a
        })
        .collect();
    match verify {
        Verify::None => {}
        Verify::All => {
            for a in actions.iter_mut().filter(|a| **a == Action::Carry) {
                *a = Action::Read(Reason::Verify);
            }
        }
        Verify::Budget(budget) => {
            // Oldest verification first (never verified before anything), then by path (the
            // walk's order: stable sort), so that successive nights walk the whole tree in a
            // rolling cycle.
            verified.sort_by_key(|(at, _)| *at);
            let mut spent = 0u64;
            for (_, i) in verified {
                if spent >= budget {
                    break;
                }
                spent = spent.saturating_add(entries.size(i));
                actions[i] = Action::Read(Reason::Verify);
            }
        }
    }
    actions
}

/// What a read established about one file, for the custody comparison.
pub struct Seen<'a> {
    pub path: &'a str,
    /// The `files.status` the read gave.
    pub status: &'a str,
    pub reason: Reason,
    pub blake3: Option<&'a str>,
    pub size_bytes: i64,
    pub mtime_us: Option<i64>,
    pub device_id: Option<&'a str>,
    /// For a file the catalogue had read cut short ([`PriorFile::cut_short`]) and that is
    /// larger now: whether its first bytes, as many as it had then, are the bytes it had then
    /// (their BLAKE3 the catalogued one). `None` when not asked.
    pub kept_its_start: Option<bool>,
}

/// What [`Judge::seen`] says of a file read.
pub struct Judged {
    pub event: Option<CustodyEvent>,
    pub first_seen_us: Option<i64>,
}

/// The events of one run, one file at a time: [`Judge::seen`] for each file read this run (in
/// path order), then [`Judge::deletions`]. `walked` tells whether the walk found a file of the
/// previous catalogue, given by its row (and path), asked in row order,
/// `roots` the roots scanned (files of the catalogue under other roots were not looked at, so
/// they are not deleted). Events come as they are found, so a first scan's million `new`
/// events never sit in memory together; the scan feeds it the files read a batch at a time.
pub struct Judge<'p> {
    run_id: String,
    at_us: i64,
    prior: &'p Prior,
    missing: Missing<'p>,
    /// Paths of the catalogue read this run with other bytes than it held: they no longer
    /// keep a copy of what they held.
    changed: std::collections::HashSet<Box<str>>,
    /// The `recycled` events, by the index of their record among the missing files, held
    /// back to [`Judge::deletions`]: whether another path keeps the bytes is known only once
    /// every file has been seen.
    recycled: Vec<(usize, CustodyEvent)>,
}

impl<'p> Judge<'p> {
    pub fn new(
        run_id: &str,
        at_us: i64,
        walked: impl FnMut(usize, &str) -> bool,
        roots: &[String],
        prior: &'p Prior,
    ) -> Self {
        Judge {
            run_id: run_id.to_string(),
            at_us,
            prior,
            missing: Missing::new(prior, walked, roots),
            changed: Default::default(),
            recycled: Vec::new(),
        }
    }

    fn ev(&self, event: &str, path: &str) -> CustodyEvent {
        CustodyEvent {
            run_id: self.run_id.clone(),
            at_us: self.at_us,
            event: event.to_string(),
            path: path.to_string(),
            ..Default::default()
        }
    }

    /// The event of a file read, if it has one, and when the catalogue first saw the file (at
    /// its path, or at the path it moved from).
    pub fn seen(&mut self, s: &Seen) -> Judged {
        let prior = self.prior;
        let prev = prior.files.get(s.path);
        let mut e = self.ev("", s.path);
        e.blake3 = s.blake3.map(str::to_string);
        e.size_bytes = Some(s.size_bytes);
        e.mtime_us = s.mtime_us;
        e.device_id = s.device_id.map(str::to_string);
        if let Some(p) = prev {
            e.previous_blake3 = p.blake3.map(|h| h.to_string());
            e.previous_size_bytes = Some(p.size_bytes);
            e.previous_mtime_us = p.mtime_us;
            e.retention_class = p.retention_class.map(str::to_string);
            e.keep_until_us = p.keep_until_us;
        }
        let mut first_seen_us = prev.and_then(|p| p.first_seen_us);
        let news = match (s.reason, prev) {
            (Reason::New, _) => {
                let moved_from = self.missing.judge_new(&mut e, s, prior);
                if let (None, Some((_, m))) = (prev, moved_from) {
                    first_seen_us = m.first_seen_us;
                }
                match moved_from {
                    Some((k, _)) if e.event == "recycled" => {
                        self.recycled.push((k, e.clone()));
                        false
                    }
                    _ => true,
                }
            }
            (_, None) => false,
            (reason, Some(p)) => {
                let news = judge_known(&mut e, reason, s, &p);
                if e.event == "modified" {
                    self.changed.insert(s.path.into());
                }
                if e.event == "modified" && transient(prior, s.path) {
                    e.event = "transient_modified".into();
                }
                news
            }
        };
        Judged {
            event: news.then_some(e),
            first_seen_us,
        }
    }

    /// The records moved into a recycle bin (`recycled`, or `duplicate_deleted` where another
    /// path keeps their bytes), then the catalogued files not found and not moved: `deleted`,
    /// in path order.
    pub fn deletions(self) -> impl Iterator<Item = CustodyEvent> + 'p {
        let Judge {
            run_id,
            at_us,
            missing,
            prior,
            changed,
            recycled,
        } = self;
        let Missing {
            files, moved_away, ..
        } = missing;
        let mut binned = vec![false; files.len()];
        for (k, _) in &recycled {
            if let Some(b) = binned.get_mut(*k) {
                *b = true;
            }
        }
        let kept = kept_copies(prior, &files, &moved_away, &binned, &changed);
        let recycled: Vec<CustodyEvent> = recycled
            .into_iter()
            .map(|(k, e)| match kept.get(&k) {
                Some(other) => {
                    let from = e.previous_path.clone().unwrap_or_default();
                    let how = format!("deleted into a recycle bin ({}) from {from}", e.path);
                    copy_deleted(e, from, other, &how)
                }
                None => e,
            })
            .collect();
        recycled.into_iter().chain(
            files
                .into_iter()
                .zip(moved_away)
                .enumerate()
                .filter(|(_, (_, moved))| !moved)
                .map(move |(k, ((path, p), _))| {
                    let e = CustodyEvent {
                        run_id: run_id.clone(),
                        at_us,
                        event: if transient(prior, &path) {
                            "transient_deleted"
                        } else if crate::pathinfo::in_recycle_bin(&path) {
                            // Emptied from a recycle bin: its deletion was recorded when it went in.
                            "purged"
                        } else {
                            "deleted"
                        }
                        .into(),
                        path: path.to_string(),
                        previous_blake3: p.blake3.map(|h| h.to_string()),
                        blake3: p.blake3.map(|h| h.to_string()),
                        previous_size_bytes: Some(p.size_bytes),
                        previous_mtime_us: p.mtime_us,
                        device_id: p.device_id.map(str::to_string),
                        retention_class: p.retention_class.map(str::to_string),
                        keep_until_us: p.keep_until_us,
                        details: "catalogued by an earlier run, not found in this one".into(),
                        ..Default::default()
                    };
                    match kept.get(&k) {
                        // Its bytes are still held at another path: a copy, or another name of
                        // the same file (a hard link), was deleted, not the record.
                        Some(other) if e.event == "deleted" => {
                            let from = e.path.clone();
                            let how = format!("deleted at {from}");
                            copy_deleted(e, from, other, &how)
                        }
                        _ => e,
                    }
                }),
        )
    }
}

/// Event `e` of the record that lay at `from`, whose bytes `kept` still holds, as
/// `duplicate_deleted` at `kept` (`how` says what became of `from`, in the details).
fn copy_deleted(e: CustodyEvent, from: String, kept: &str, how: &str) -> CustodyEvent {
    CustodyEvent {
        event: "duplicate_deleted".into(),
        details: format!(
            "{how}; the same bytes are kept at {kept} (a copy or another name of the file): the record is not lost"
        ),
        path: kept.to_string(),
        previous_path: Some(from),
        ..e
    }
}

/// For each file of `files` (the catalogued files the walk did not find, in path order) not
/// moved, or moved into a recycle bin (`binned`, by index), by its index: a path of the
/// catalogue that still holds its bytes, found by the walk (or under a root not scanned), not
/// read with other bytes this run (`changed`), and no bin's nor the storage's own.
fn kept_copies(
    prior: &Prior,
    files: &[(Box<str>, PriorFile<'_>)],
    moved_away: &[bool],
    binned: &[bool],
    changed: &std::collections::HashSet<Box<str>>,
) -> HashMap<usize, String> {
    let mut wanted: HashMap<Content<'_>, Vec<usize>> = HashMap::new();
    for (k, (_, p)) in files.iter().enumerate() {
        if let (false, Some(c)) = (moved_away[k] && !binned[k], p.blake3) {
            wanted.entry(c).or_default().push(k);
        }
    }
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    // Both in path order: a merge tells the missing rows.
    let mut at = 0usize;
    prior.files.each_row(|_, path, p| {
        while files.get(at).is_some_and(|(f, _)| &**f < path) {
            at += 1;
        }
        let missing = files.get(at).is_some_and(|(f, _)| &**f == path);
        // A copy in a recycle bin (or among the storage's own files) keeps no record.
        if missing || changed.contains(path) || crate::pathinfo::is_no_record(path) {
            return;
        }
        if let Some(ks) = p.blake3.and_then(|c| wanted.get(&c)) {
            for &k in ks {
                out.entry(k).or_insert_with(|| path.to_string());
            }
        }
    });
    out
}

/// Catalogued files under the scanned roots that the walk did not find: deleted, unless their
/// bytes turn up at a new path (moved). Also the files deleted by earlier runs, by hash, so
/// that their bytes coming back are `restored`.
struct Missing<'p> {
    /// In path order.
    files: Vec<(Box<str>, PriorFile<'p>)>,
    /// The missing files by hash: kept as bytes, and the rare ones kept as text.
    by_digest: HashMap<[u8; 32], Vec<usize>>,
    by_text: HashMap<&'p str, Vec<usize>>,
    gone_by_hash: HashMap<&'p str, &'p str>,
    moved_away: Vec<bool>,
}

impl<'p> Missing<'p> {
    fn new(prior: &'p Prior, mut found: impl FnMut(usize, &str) -> bool, roots: &[String]) -> Self {
        // The catalogue in path order, as the index keeps it; whether the walk found each
        // file is asked by its row (no path is searched for).
        let mut files: Vec<(Box<str>, PriorFile)> = Vec::new();
        prior.files.each_row(|row, path, p| {
            if roots.iter().any(|r| **r == *p.root) && !found(row, path) {
                files.push((Box::from(path), p));
            }
        });
        let (mut by_digest, mut by_text) = (HashMap::new(), HashMap::new());
        for (k, (_, p)) in files.iter().enumerate() {
            match p.blake3 {
                Some(Content::Digest(d)) => by_digest.entry(d).or_insert_with(Vec::new).push(k),
                Some(Content::Text(t)) => by_text.entry(t).or_insert_with(Vec::new).push(k),
                None => {}
            }
        }
        let mut gone_by_hash: HashMap<&str, &str> = HashMap::new();
        for g in prior.gone.values() {
            if let Some(h) = g.blake3.as_deref() {
                gone_by_hash.insert(h, g.path.as_str());
            }
        }
        let moved_away = vec![false; files.len()];
        Missing {
            files,
            by_digest,
            by_text,
            gone_by_hash,
            moved_away,
        }
    }

    /// A path the previous catalogue did not have: moved here (the bytes of a missing file),
    /// restored (deleted earlier, at this path or with these bytes), or new. The file it moved
    /// from, if it did.
    fn judge_new(
        &mut self,
        e: &mut CustodyEvent,
        s: &Seen,
        prior: &Prior,
    ) -> Option<(usize, PriorFile<'p>)> {
        let from_missing = s
            .blake3
            .and_then(|h| match Content::of(h) {
                Content::Digest(d) => self.by_digest.get_mut(&d),
                Content::Text(t) => self.by_text.get_mut(t),
            })
            .and_then(|v| v.pop());
        if let Some(k) = from_missing {
            let (old, p) = (&self.files[k].0, self.files[k].1);
            self.moved_away[k] = true;
            e.event = "moved".into();
            e.previous_path = Some(old.to_string());
            e.previous_blake3 = p.blake3.map(|h| h.to_string());
            e.previous_size_bytes = Some(p.size_bytes);
            e.previous_mtime_us = p.mtime_us;
            e.retention_class = p.retention_class.map(str::to_string);
            e.keep_until_us = p.keep_until_us;
            e.details = format!("same bytes as {old}, which is no longer there");
            let (bin_now, bin_then) = (
                crate::pathinfo::in_recycle_bin(s.path),
                crate::pathinfo::in_recycle_bin(old),
            );
            if bin_now && !bin_then {
                // Deleted through the share: the storage keeps it in its bin for a while.
                e.event = "recycled".into();
                e.details = format!(
                    "deleted: moved from {old} into a recycle bin (recoverable until the bin is emptied)"
                );
            } else if bin_then && !bin_now {
                e.event = "restored".into();
                e.details = format!("back from a recycle bin ({old})");
            }
            return Some((k, p));
        } else if let Some(g) = prior.gone.get(s.path) {
            e.event = "restored".into();
            e.previous_blake3 = g.blake3.clone();
            e.details = if g.blake3.as_deref() == s.blake3 {
                "deleted earlier; back with the same bytes".into()
            } else {
                "deleted earlier; back at the same path with different bytes".into()
            };
        } else if let Some(old) = s.blake3.and_then(|h| self.gone_by_hash.get(h)) {
            e.event = "restored".into();
            e.previous_path = Some(old.to_string());
            e.previous_blake3 = s.blake3.map(str::to_string);
            e.details = format!("same bytes as {old}, deleted earlier");
        } else {
            e.event = "new".into();
        }
        None
    }
}

/// Whether a change or deletion at `path` is no offence: a file that comes and goes by itself
/// ([`crate::pathinfo::is_transient`]: Explorer's thumbnails, a Mac's `._NAME`, a transfer's
/// `NAME.part`), unless a file of another name was moved to that name (a record hidden under
/// a borrowed name: its going stays `deleted`). Recorded as `transient_modified` or
/// `transient_deleted`, no finding.
fn transient(prior: &Prior, path: &str) -> bool {
    crate::pathinfo::is_transient(path) && !prior.moved_in.contains(path)
}

/// A path the previous catalogue had, read again for `reason`: sets the event and returns
/// whether there is one to record.
fn judge_known(e: &mut CustodyEvent, reason: Reason, s: &Seen, p: &PriorFile<'_>) -> bool {
    // Read cut short last time (an upload still writing it when the run read it), whole now,
    // its earlier bytes unchanged: the copy was completed, nothing of the record changed.
    if p.cut_short && s.kept_its_start == Some(true) {
        e.event = "completed".into();
        e.details = "read cut short by an earlier run (still being written, or cut off); now longer, its bytes of then unchanged".into();
        return true;
    }
    let (event, details) = match (reason, p.blake3, s.blake3.map(Content::of)) {
        // Unreadable last time: only a hash that now differs from a known one is news.
        (Reason::Retry, Some(a), Some(b)) if a != b => {
            ("modified", "bytes differ from the catalogued hash")
        }
        (Reason::Retry, _, _) => return false,
        (Reason::Verify, Some(a), Some(b)) if a == b => ("verified", ""),
        (_, Some(a), Some(b)) if a == b => (
            "metadata_changed",
            "size, mtime or inode changed; the bytes are the same",
        ),
        (Reason::Verify, Some(_), Some(_)) => (
            "modified",
            "bytes changed although size, mtime and inode did not",
        ),
        (_, Some(_), Some(_)) => ("modified", "bytes changed"),
        (_, _, None) if s.status == "unsupported" => (
            "modified",
            "no longer a regular file (now a link, folder or special file)",
        ),
        (_, _, None) => (
            "metadata_changed",
            "the file could not be read to compare its bytes",
        ),
        (_, None, Some(_)) => return false,
    };
    e.event = event.into();
    e.details = details.into();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::prior::{Gone, PriorFiles, PriorRow};
    use crate::store::tables::is_offence;
    use crate::walk::Entry;
    use std::path::PathBuf;

    /// Every event of a run whose files read are `seen`, as the scan gets them from [`Judge`].
    fn events<E>(
        run_id: &str,
        at_us: i64,
        seen: &[Seen],
        walked: &[impl AsRef<str>],
        roots: &[String],
        prior: &Prior,
        mut emit: impl FnMut(CustodyEvent) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut at = 0;
        let found = |_row: usize, path: &str| {
            while walked.get(at).is_some_and(|w| w.as_ref() < path) {
                at += 1;
            }
            walked.get(at).is_some_and(|w| w.as_ref() == path)
        };
        let mut judge = Judge::new(run_id, at_us, found, roots, prior);
        for s in seen {
            if let Some(e) = judge.seen(s).event {
                emit(e)?;
            }
        }
        for e in judge.deletions() {
            emit(e)?;
        }
        Ok(())
    }

    fn entry(path: &str, size: u64, mtime_s: i64, ino: u64) -> Entry {
        Entry {
            path: PathBuf::from(path),
            root: 0,
            kind: EntryKind::File,
            size,
            mtime_ns: Some(mtime_s * 1_000_000_000),
            dev: 1,
            ino,
            btime_us: None,
            error: None,
        }
    }

    fn known(size: i64, mtime_s: i64, ino: i64, hash: &str, verified: i64) -> PriorRow {
        PriorRow {
            root: "/r".into(),
            size_bytes: size,
            mtime_us: Some(mtime_s * 1_000_000),
            fs_dev: Some(1),
            fs_inode: Some(ino),
            blake3: Some(hash.into()),
            last_verified_us: Some(verified),
            ..Default::default()
        }
    }

    fn prior(files: &[(&str, PriorRow)]) -> Prior {
        Prior {
            files: PriorFiles::from_rows(files.iter().map(|(p, f)| (p, f.clone()))),
            ..Default::default()
        }
    }

    #[test]
    fn only_new_and_changed_files_are_read() {
        let p = prior(&[
            ("/r/same", known(10, 100, 1, "aa", 5)),
            ("/r/grown", known(10, 100, 2, "bb", 5)),
            ("/r/touched", known(10, 100, 3, "cc", 5)),
            ("/r/replaced", known(10, 100, 4, "dd", 5)),
        ]);
        let es = [
            entry("/r/same", 10, 100, 1),
            entry("/r/grown", 11, 100, 2),
            entry("/r/touched", 10, 101, 3),
            entry("/r/replaced", 10, 100, 40),
            entry("/r/new", 10, 100, 5),
        ];
        let paths: Vec<String> = es.iter().map(|e| e.path.display().to_string()).collect();
        let es = Walked::from_entries(es);
        assert_eq!(
            plan(&es, &p, Verify::None, |i| paths[i].clone()),
            vec![
                Action::Carry,
                Action::Read(Reason::Changed),
                Action::Read(Reason::Changed),
                Action::Read(Reason::Changed),
                Action::Read(Reason::New),
            ]
        );
        assert_eq!(
            plan(&es, &p, Verify::All, |i| paths[i].clone())[0],
            Action::Read(Reason::Verify)
        );
    }

    #[test]
    fn the_budget_goes_to_the_longest_unverified_first() {
        let p = prior(&[
            ("/r/a", known(10, 1, 1, "a", 300)),
            ("/r/b", known(10, 1, 2, "b", 100)),
            ("/r/c", known(10, 1, 3, "c", 200)),
        ]);
        let es = [
            entry("/r/a", 10, 1, 1),
            entry("/r/b", 10, 1, 2),
            entry("/r/c", 10, 1, 3),
        ];
        let paths: Vec<String> = es.iter().map(|e| e.path.display().to_string()).collect();
        let es = Walked::from_entries(es);
        let got = plan(&es, &p, Verify::Budget(15), |i| paths[i].clone());
        assert_eq!(
            got,
            vec![
                Action::Carry,
                Action::Read(Reason::Verify),
                Action::Read(Reason::Verify)
            ]
        );
    }

    fn seen<'a>(path: &'a str, reason: Reason, hash: &'a str) -> Seen<'a> {
        Seen {
            path,
            status: "ok",
            reason,
            blake3: Some(hash),
            size_bytes: 10,
            mtime_us: None,
            device_id: None,
            kept_its_start: None,
        }
    }

    /// The events of a run under root `/r` that saw `s` among `walked`, against `p`, sorted
    /// by path, as (event, path, previous path).
    fn judged(s: &[Seen], walked: &[&str], p: &Prior) -> Vec<CustodyEvent> {
        let mut ev = Vec::new();
        let pushed: Result<(), ()> = events("run", 7, s, walked, &["/r".to_string()], p, |e| {
            ev.push(e);
            Ok(())
        });
        assert!(pushed.is_ok());
        ev.sort_by(|a, b| a.path.cmp(&b.path));
        ev
    }

    /// Events as (event, path, previous path).
    fn view(ev: &[CustodyEvent]) -> Vec<(&str, &str, Option<&str>)> {
        ev.iter()
            .map(|e| {
                (
                    e.event.as_str(),
                    e.path.as_str(),
                    e.previous_path.as_deref(),
                )
            })
            .collect()
    }

    #[test]
    fn events_tell_moves_from_deletions_and_restores() {
        let mut p = prior(&[
            ("/r/kept", known(10, 1, 1, "k", 0)),
            ("/r/old-name", known(10, 1, 2, "m", 0)),
            ("/r/gone", known(10, 1, 3, "g", 0)),
            ("/r/edited", known(10, 1, 4, "e1", 0)),
            (
                "/other/untouched",
                PriorRow {
                    root: "/other".into(),
                    ..known(10, 1, 5, "o", 0)
                },
            ),
        ]);
        p.gone.insert(
            "/r/back".into(),
            Gone {
                path: "/r/back".into(),
                blake3: Some("b".into()),
            },
        );
        let s = [
            seen("/r/new-name", Reason::New, "m"),
            seen("/r/edited", Reason::Changed, "e2"),
            seen("/r/back", Reason::New, "b"),
            seen("/r/fresh", Reason::New, "f"),
        ];
        let mut walked = ["/r/kept", "/r/new-name", "/r/edited", "/r/back", "/r/fresh"];
        walked.sort_unstable();
        let ev = judged(&s, &walked, &p);
        assert_eq!(
            view(&ev),
            vec![
                ("restored", "/r/back", None),
                ("modified", "/r/edited", None),
                ("new", "/r/fresh", None),
                ("deleted", "/r/gone", None),
                ("moved", "/r/new-name", Some("/r/old-name")),
            ]
        );
        // The file under a root this run did not scan is not deleted.
        assert!(ev.iter().all(|e| !e.path.starts_with("/other")));
    }

    #[test]
    fn a_path_deleted_whose_bytes_another_path_keeps_is_a_copy_deleted_not_the_record() {
        // `a` had a copy (or a second name) in its case's folder; `b`'s copy was changed this
        // run, `c` had none: only `a`'s record is kept. `d` went into the recycle bin with a
        // copy kept in the case's folder, `e` with none.
        let p = prior(&[
            ("/r/DSJ1/a.MP4", known(10, 1, 1, "a", 0)),
            ("/r/DSJ1/b.MP4", known(10, 1, 2, "b", 0)),
            ("/r/DSJ1/c.MP4", known(10, 1, 3, "c", 0)),
            ("/r/DSJ1/d.MP4", known(10, 1, 5, "d", 0)),
            ("/r/DSJ1/e.MP4", known(10, 1, 7, "e", 0)),
            ("/r/case/a.MP4", known(10, 1, 1, "a", 0)),
            ("/r/case/b.MP4", known(10, 1, 4, "b", 0)),
            ("/r/case/d.MP4", known(10, 1, 6, "d", 0)),
            // `f`'s only copy lies in the bin already: deleted.
            ("/r/DSJ1/f.MP4", known(10, 1, 8, "f", 0)),
            ("/r/#recycle/DSJ1/f-copy.MP4", known(10, 1, 9, "f", 0)),
        ]);
        let s = [
            seen("/r/#recycle/DSJ1/d.MP4", Reason::New, "d"),
            seen("/r/#recycle/DSJ1/e.MP4", Reason::New, "e"),
            seen("/r/case/b.MP4", Reason::Changed, "b2"),
        ];
        let walked = [
            "/r/#recycle/DSJ1/d.MP4",
            "/r/#recycle/DSJ1/e.MP4",
            "/r/#recycle/DSJ1/f-copy.MP4",
            "/r/case/a.MP4",
            "/r/case/b.MP4",
            "/r/case/d.MP4",
        ];
        let ev = judged(&s, &walked, &p);
        assert_eq!(
            view(&ev),
            vec![
                ("recycled", "/r/#recycle/DSJ1/e.MP4", Some("/r/DSJ1/e.MP4")),
                ("deleted", "/r/DSJ1/b.MP4", None),
                ("deleted", "/r/DSJ1/c.MP4", None),
                ("deleted", "/r/DSJ1/f.MP4", None),
                ("duplicate_deleted", "/r/case/a.MP4", Some("/r/DSJ1/a.MP4")),
                ("modified", "/r/case/b.MP4", None),
                ("duplicate_deleted", "/r/case/d.MP4", Some("/r/DSJ1/d.MP4")),
            ]
        );
        assert!(!is_offence("duplicate_deleted"));
        let details = |path: &str| {
            ev.iter()
                .find(|e| e.path == path)
                .map(|e| e.details.as_str())
        };
        assert_eq!(
            details("/r/case/a.MP4"),
            Some(
                "deleted at /r/DSJ1/a.MP4; the same bytes are kept at /r/case/a.MP4 (a copy or another name of the file): the record is not lost"
            )
        );
        assert_eq!(
            details("/r/case/d.MP4"),
            Some(
                "deleted into a recycle bin (/r/#recycle/DSJ1/d.MP4) from /r/DSJ1/d.MP4; the same bytes are kept at /r/case/d.MP4 (a copy or another name of the file): the record is not lost"
            )
        );
    }

    #[test]
    fn a_recycle_bin_takes_a_deletion_gives_back_a_restore_and_its_emptying_is_none() {
        // A record deleted through the share (into `#recycle/`), one taken back out of the
        // bin, one the bin let go of.
        let p = prior(&[
            ("/r/DSJ1/a.MP4", known(10, 1, 1, "a", 0)),
            ("/r/#recycle/DSJ1/b.MP4", known(10, 1, 2, "b", 0)),
            ("/r/#recycle/DSJ1/c.MP4", known(10, 1, 3, "c", 0)),
        ]);
        let s = [
            seen("/r/#recycle/DSJ1/a.MP4", Reason::New, "a"),
            seen("/r/DSJ1/b.MP4", Reason::New, "b"),
        ];
        let mut walked = ["/r/#recycle/DSJ1/a.MP4", "/r/DSJ1/b.MP4"];
        walked.sort_unstable();
        let ev = judged(&s, &walked, &p);
        assert_eq!(
            view(&ev),
            vec![
                ("recycled", "/r/#recycle/DSJ1/a.MP4", Some("/r/DSJ1/a.MP4")),
                ("purged", "/r/#recycle/DSJ1/c.MP4", None),
                ("restored", "/r/DSJ1/b.MP4", Some("/r/#recycle/DSJ1/b.MP4")),
            ]
        );
        assert!(is_offence("recycled") && !is_offence("purged") && !is_offence("restored"));
    }
}
