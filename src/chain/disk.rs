//! The snapshots on disk held against the states the manifests record: listing a snapshot,
//! comparing it with a state, re-hashing table files in parallel, and checking the `runs` table
//! against the chain. Used by `check` (and `write` and `export` for listing and hashing).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::ChainError;
use super::manifest::{DIR, State};
use super::report::{Depth, Report, Sealed, io, problem, short};
/// A table file to re-hash, with what its manifest says of it.
pub(super) struct ToHash {
    path: PathBuf,
    rel: String,
    expected: String,
    seq: u64,
    run: String,
    dev_ino: (u64, u64),
}

/// `table/file` -> its metadata, for every entry of a snapshot but the chain folder.
pub(super) fn list_snapshot_files(
    dir: &Path,
) -> Result<BTreeMap<String, fs::Metadata>, ChainError> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == DIR {
            continue;
        }
        let p = e.path();
        let md = fs::symlink_metadata(&p).map_err(io(&p))?;
        if !md.is_dir() {
            out.insert(name, md);
            continue;
        }
        for f in fs::read_dir(&p).map_err(io(&p))?.flatten() {
            let fp = f.path();
            let fmd = fs::symlink_metadata(&fp).map_err(io(&fp))?;
            out.insert(format!("{name}/{}", f.file_name().to_string_lossy()), fmd);
        }
    }
    Ok(out)
}

pub(super) fn mtime_ns(md: &fs::Metadata) -> i64 {
    md.mtime().saturating_mul(1_000_000_000) + md.mtime_nsec()
}

/// Holds a snapshot's listing against the state its manifest records; returns the files to
/// re-hash (all of them for [`Depth::Full`]).
pub(super) fn compare_listing(
    dir: &Path,
    state: &State,
    at: &Sealed,
    depth: Depth,
    added_in: &HashMap<String, u64>,
    r: &mut Report,
) -> Result<Vec<ToHash>, ChainError> {
    let disk = list_snapshot_files(dir)?;
    let mut forced = Vec::new();
    let mut others = Vec::new();
    for (rel, e) in state {
        let seq = added_in.get(rel).copied().unwrap_or(at.seq);
        match disk.get(rel) {
            None => r.problems.push(problem(
                Some(seq),
                Some(&e.run),
                Some(rel),
                format!(
                    "missing from snapshots/{}: its manifest records it ({} bytes), so it was deleted after the commit",
                    at.run_id, e.size
                ),
            )),
            Some(md) if !md.is_file() || md.len() != e.size => r.problems.push(problem(
                Some(seq),
                Some(&e.run),
                Some(rel),
                format!(
                    "{} bytes in snapshots/{}, but its manifest records {}: the file was changed after its commit",
                    md.len(),
                    at.run_id,
                    e.size
                ),
            )),
            Some(md) => {
                let t = ToHash {
                    path: dir.join(rel),
                    rel: rel.clone(),
                    expected: e.blake3.clone(),
                    seq,
                    run: e.run.clone(),
                    dev_ino: (md.dev(), md.ino()),
                };
                if depth == Depth::Full || mtime_ns(md) != e.mtime_ns {
                    forced.push(t);
                } else {
                    others.push((md.len(), t));
                }
            }
        }
    }
    for rel in disk.keys().filter(|k| !state.contains_key(*k)) {
        r.problems.push(problem(
            Some(at.seq),
            Some(&at.run_id),
            Some(rel),
            format!(
                "in snapshots/{} but not in its manifest: added or put in place after the commit",
                at.run_id
            ),
        ));
    }
    if let Depth::Cheap { budget } = depth {
        // A rolling order: each head draws another sample, so over the nights every file
        // gets its turn.
        others.sort_by_cached_key(|(_, t)| {
            let mut h = blake3::Hasher::new();
            h.update(at.blake3.as_bytes());
            h.update(t.rel.as_bytes());
            *h.finalize().as_bytes()
        });
        let mut left = budget;
        for (size, t) in others {
            if size <= left {
                left -= size;
                forced.push(t);
            }
        }
    }
    Ok(forced)
}

/// BLAKE3 and length of a file: blake3's own reader maps large files and hashes them on every
/// core, small ones it reads.
pub(super) fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut h = blake3::Hasher::new();
    h.update_mmap_rayon(path)?;
    Ok((h.finalize().to_hex().to_string(), h.count()))
}

/// Re-hashes the files (a hard-linked file once) in parallel and records every difference.
pub(super) fn hash_all(list: Vec<ToHash>, r: &mut Report) {
    let mut seen = HashSet::new();
    let list: Vec<ToHash> = list
        .into_iter()
        .filter(|t| seen.insert(t.dev_ino))
        .collect();
    let results: Vec<(usize, std::io::Result<(String, u64)>)> = list
        .par_iter()
        .enumerate()
        .map(|(i, t)| (i, hash_file(&t.path)))
        .collect();
    for (i, res) in results {
        let t = &list[i];
        match res {
            Ok((h, n)) => {
                r.hashed_files += 1;
                r.hashed_bytes += n;
                if h != t.expected {
                    r.problems.push(problem(
                        Some(t.seq),
                        Some(&t.run),
                        Some(&t.rel),
                        format!(
                            "BLAKE3 {}…, but its manifest records {}…: the file was changed after its commit",
                            short(&h),
                            short(&t.expected)
                        ),
                    ));
                }
            }
            Err(e) => r.problems.push(problem(
                Some(t.seq),
                Some(&t.run),
                Some(&t.rel),
                format!("cannot be read to check it: {e}"),
            )),
        }
    }
}

/// `run_id` and `chain_seq` of every row of the snapshot's `runs` table.
pub(super) fn runs_rows(dir: &Path) -> Result<Vec<(String, Option<i64>)>, String> {
    use arrow_array::{Array, Int64Array, StringArray};
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let runs = dir.join("runs");
    let Ok(rd) = fs::read_dir(&runs) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let f = fs::File::open(&p).map_err(|e| format!("{name}: {e}"))?;
        let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| format!("{name}: {e}"))?;
        let schema = b.schema().clone();
        let want: Vec<usize> = ["run_id", "chain_seq"]
            .iter()
            .filter_map(|c| schema.index_of(c).ok())
            .collect();
        let mask = ProjectionMask::roots(b.parquet_schema(), want);
        let reader = b
            .with_projection(mask)
            .build()
            .map_err(|e| format!("{name}: {e}"))?;
        for batch in reader {
            let batch = batch.map_err(|e| format!("{name}: {e}"))?;
            let ids = batch
                .column_by_name("run_id")
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .ok_or_else(|| format!("{name}: no text column run_id"))?;
            let seqs = batch
                .column_by_name("chain_seq")
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>().cloned());
            for i in 0..batch.num_rows() {
                let seq = seqs
                    .as_ref()
                    .and_then(|s| (!s.is_null(i)).then(|| s.value(i)));
                out.push((ids.value(i).to_string(), seq));
            }
        }
    }
    Ok(out)
}

/// Every scan in the chain has its `runs` row, and every `runs` row that took a place in the
/// chain has that place.
pub(super) fn cross_check_runs(dir: &Path, r: &mut Report) {
    let rows = match runs_rows(dir) {
        Ok(rows) => rows,
        Err(e) => {
            r.problems.push(problem(
                None,
                None,
                Some("runs"),
                format!("the runs table cannot be read: {e}"),
            ));
            return;
        }
    };
    let from = r.from_seq.unwrap_or(0);
    let by_run: HashMap<&str, Option<i64>> = rows.iter().map(|(id, s)| (id.as_str(), *s)).collect();
    let mut problems = Vec::new();
    for m in r
        .manifests
        .iter()
        .filter(|m| m.seq >= from && m.command == "scan")
    {
        if !by_run.contains_key(m.run_id.as_str()) {
            problems.push(problem(
                Some(m.seq),
                Some(&m.run_id),
                Some("runs"),
                "the chain records this scan, but the runs table has no row for it: the row was removed".into(),
            ));
        }
    }
    let by_seq: HashMap<u64, &str> = r
        .manifests
        .iter()
        .map(|m| (m.seq, m.run_id.as_str()))
        .collect();
    for (id, seq) in &rows {
        let Some(q) = seq.and_then(|q| u64::try_from(q).ok()) else {
            continue;
        };
        if q >= from && by_seq.get(&q) != Some(&id.as_str()) {
            problems.push(problem(
                Some(q),
                Some(id),
                Some("runs"),
                format!(
                    "the runs table places this run at #{q} of the chain, where the chain has {}: a run was inserted or renumbered",
                    by_seq.get(&q).map_or("nothing".to_string(), |o| format!("run {o}"))
                ),
            ));
        }
    }
    r.problems.extend(problems);
}
