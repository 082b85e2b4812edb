//! Custody: what this run read, held against the previous catalogue, becomes the run's
//! `custody_events` (new, verified, modified, metadata_changed, deleted, moved, restored,
//! completed; [`crate::custody`] decides which). Events stream to Parquet as they are found;
//! only their counts, the offences and the moves stay in memory (a first scan has a `new`
//! event per file).

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;

use super::plan::Tree;
use super::setup::Run;
use super::{BATCH_FILES, ScanError};
use crate::custody::{self, Reason, Seen};
use crate::store::prior::{Cols, Prior};
use crate::store::tables::CustodyEvent;
use crate::store::warehouse::{Staging, TableWriter};
use crate::store::{self};

/// The event kinds, in the order of [`Custody::counts`] (and of the `runs.files_*` columns).
pub(super) const KINDS: [&str; 7] = [
    "new",
    "verified",
    "modified",
    "metadata_changed",
    "deleted",
    "moved",
    "restored",
];

/// What the custody stage hands on.
pub(super) struct Custody {
    /// Events of this run per kind, in the order of [`KINDS`].
    pub counts: [i64; 7],
    /// Every `modified` and `deleted` event ever recorded, this run's included.
    pub offences: Vec<CustodyEvent>,
    /// A moved file's new path -> its previous path.
    pub moved_from: HashMap<String, String>,
    /// Paths of the previous catalogue under a scanned root that were not found (`deleted`,
    /// `transient_deleted`).
    pub deleted: Vec<String>,
    /// Each file read, in the staged rows' order: when the catalogue first saw it (at its
    /// path, or at the path it moved from), packed ([`crate::catalog::pack`]). Empty when
    /// there is no previous catalogue. Taken here so that the catalogue can go before the
    /// analysis.
    pub first_seen: Vec<i64>,
    /// The files read cut short (`truncated`), or modified shortly before the run or during
    /// it, that had grown or changed by the time the read was done (looked at again here,
    /// after the read stage): still being written, by staged row, in order.
    pub being_written: Vec<usize>,
}

pub(super) fn record(
    run: &Run,
    tree: &Tree,
    prior: &Prior,
    staging: &mut Staging,
) -> Result<Custody, ScanError> {
    let mut out = Custody {
        counts: [0; 7],
        offences: prior.offences.clone(),
        moved_from: HashMap::new(),
        deleted: Vec::new(),
        first_seen: Vec::new(),
        being_written: Vec::new(),
    };
    let mut first_seen = Vec::new();
    staging.carry("custody_events")?;
    let mut sink = EventSink {
        file: format!("run-{}.parquet", run.id),
        schema: store::custody_batch(&[])?.schema(),
        writer: None,
        chunk: Vec::new(),
    };
    // What the walk found, by row of the previous catalogue.
    let mut judge = custody::Judge::new(
        &run.id,
        run.started,
        |row, _| tree.found.get(row),
        &run.judged_roots,
        prior,
    );
    let mut emit = |e: CustodyEvent, staging: &mut Staging| {
        // A record deleted into a recycle bin, and a copy deleted, count as deleted in the
        // run's figures.
        let kind = if matches!(e.event.as_str(), "recycled" | "duplicate_deleted") {
            "deleted"
        } else {
            e.event.as_str()
        };
        if let Some(k) = KINDS.iter().position(|x| *x == kind) {
            out.counts[k] += 1;
        }
        if crate::store::tables::is_offence(&e.event) {
            out.offences.push(e.clone());
        }
        if matches!(e.event.as_str(), "deleted" | "transient_deleted" | "purged") {
            out.deleted.push(e.path.clone());
        }
        if crate::store::tables::names_an_earlier_path(&e.event)
            && let Some(p) = &e.previous_path
        {
            out.moved_from.insert(e.path.clone(), p.clone());
        }
        sink.push(e, staging)
    };
    // The files read, from their staged rows (the read stage keeps none of them).
    let staged = staging.path_of("files", super::FILES_STAGED);
    let mut k = 0usize;
    if tree.reads() > 0 {
        for b in store::parquet_reader(&staged, 4096, Some(SEEN_COLUMNS))? {
            let b = b.map_err(|source| store::StoreError::Arrow {
                table: "files",
                source,
            })?;
            let c = Cols(&b);
            let (path, status, hash, device) = (
                c.text("path"),
                c.text("status"),
                c.text("blake3"),
                c.text("device_id"),
            );
            let size = c.prim::<arrow_array::types::Int64Type>("size_bytes");
            // The path's own bytes, for looking at the file again (its text may be lossy).
            let raw = b
                .column_by_name("path_bytes")
                .and_then(|a| a.as_any().downcast_ref::<arrow_array::BinaryArray>());
            let mtime = c.prim::<arrow_array::types::TimestampMicrosecondType>("mtime");
            for i in 0..b.num_rows() {
                let reason = tree.reason(k).unwrap_or(Reason::Verify);
                k += 1;
                let (p, n) = (path.get(i).unwrap_or_default(), size.get(i).unwrap_or(0));
                let on_disk: std::path::PathBuf =
                    match raw.filter(|a| arrow_array::Array::is_valid(*a, i)) {
                        Some(a) => std::ffi::OsStr::from_bytes(a.value(i)).into(),
                        None => p.into(),
                    };
                let seen = Seen {
                    path: p,
                    status: status.get(i).unwrap_or_default(),
                    reason,
                    blake3: hash.get(i),
                    size_bytes: n,
                    mtime_us: mtime.get(i),
                    device_id: device.get(i),
                    kept_its_start: (reason != Reason::New)
                        .then(|| kept_its_start(prior, p, &on_disk, n))
                        .flatten(),
                };
                let read_whole_or_cut = matches!(seen.status, "ok" | "truncated" | "corrupt");
                if read_whole_or_cut
                    && (seen.status == "truncated" || young(seen.mtime_us, run.started))
                    && still_written(&on_disk, n, seen.mtime_us)
                {
                    out.being_written.push(k - 1);
                }
                let judged = judge.seen(&seen);
                if !prior.files.is_empty() {
                    first_seen.push(crate::catalog::pack(judged.first_seen_us));
                }
                if let Some(e) = judged.event {
                    emit(e, staging)?;
                }
            }
        }
    }
    for e in judge.deletions() {
        emit(e, staging)?;
    }
    sink.finish(staging)?;
    out.first_seen = first_seen;
    Ok(out)
}

/// Files modified this long before the run began, or since, are looked at again after the
/// read ([`still_written`]): an upload may still be writing them (a recording in MPEG-TS or
/// fragmented MP4 reads whole at any moment, as a file cut short does not).
const YOUNG_US: i64 = 600 * 1_000_000;

/// Whether a file modified at `mtime_us` was young when the run that began at `started` read
/// it ([`YOUNG_US`]).
fn young(mtime_us: Option<i64>, started: i64) -> bool {
    mtime_us.is_some_and(|m| m >= started.saturating_sub(YOUNG_US))
}

/// Whether the file at `path`, read cut short with `size` bytes and mtime `mtime_us`, is
/// another size or time now, after the run's read stage: an upload still writing it.
fn still_written(path: &std::path::Path, size: i64, mtime_us: Option<i64>) -> bool {
    use std::os::unix::fs::MetadataExt;
    // The entry itself, as the walk saw it (a link is not followed).
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return false;
    };
    let now_us = m.mtime().saturating_mul(1_000_000) + m.mtime_nsec() / 1000;
    i64::try_from(m.len()).ok() != Some(size) || Some(now_us) != mtime_us
}

/// For a file the previous catalogue read cut short (`truncated`) and that is larger now:
/// whether its first bytes, as many as the catalogue had, hash to the catalogued BLAKE3 (a
/// second read of those bytes, for such files only: an upload the last run overlapped).
/// `path` as the catalogue has it, `on_disk` its own bytes. `None` for every other file, or
/// when the bytes cannot be read.
fn kept_its_start(prior: &Prior, path: &str, on_disk: &std::path::Path, size: i64) -> Option<bool> {
    use std::io::Read;
    // Most catalogues hold no file read cut short: no second lookup then.
    if !prior.files.any_cut_short() {
        return None;
    }
    let p = prior.files.get(path)?;
    let (then, Some(hash)) = (u64::try_from(p.size_bytes).ok()?, p.blake3) else {
        return None;
    };
    if !p.cut_short || size <= p.size_bytes {
        return None;
    }
    // Read-only, without touching its access time, as the read stage opens it.
    let f = crate::read::open_noatime(on_disk).ok()?;
    let mut h = blake3::Hasher::new();
    h.update_reader(f.take(then)).ok()?;
    let now = h.finalize().to_hex();
    Some(crate::store::catalogue::Content::of(now.as_str()) == hash)
}

/// What the custody comparison reads of each staged row.
const SEEN_COLUMNS: &[&str] = &[
    "path",
    "path_bytes",
    "status",
    "blake3",
    "size_bytes",
    "mtime",
    "device_id",
];

/// This run's `custody_events` file, written a chunk at a time and created only when the run
/// has an event.
struct EventSink {
    file: String,
    schema: arrow_schema::SchemaRef,
    writer: Option<TableWriter>,
    chunk: Vec<CustodyEvent>,
}

impl EventSink {
    fn push(&mut self, e: CustodyEvent, staging: &mut Staging) -> Result<(), ScanError> {
        self.chunk.push(e);
        if self.chunk.len() >= BATCH_FILES * 4 {
            self.flush(staging)?;
        }
        Ok(())
    }

    fn flush(&mut self, staging: &mut Staging) -> Result<(), ScanError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            let w = staging.writer("custody_events", &self.file, self.schema.clone())?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write(&store::custody_batch(&self.chunk)?)?;
        }
        self.chunk.clear();
        Ok(())
    }

    fn finish(mut self, staging: &mut Staging) -> Result<(), ScanError> {
        self.flush(staging)?;
        if let Some(w) = self.writer {
            w.finish()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::still_written;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn a_file_is_still_written_when_its_size_or_time_moved_since_it_was_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.MP4");
        std::fs::write(&p, b"0123456789").expect("write");
        let m = std::fs::metadata(&p).expect("stat");
        let mtime = m.mtime() * 1_000_000 + m.mtime_nsec() / 1000;
        assert!(!still_written(&p, 10, Some(mtime)));
        // Read at 4 bytes, or at another time: it moved on since.
        assert!(still_written(&p, 4, Some(mtime)));
        assert!(still_written(&p, 10, Some(mtime - 1)));
        // Gone since: nothing to say it is still written.
        assert!(!still_written(&p.with_extension("gone"), 10, Some(mtime)));
    }
}
