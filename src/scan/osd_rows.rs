//! The keyframe stage's `osd_*` columns of the files read, kept by row until they are written
//! beside the staged `files` rows ([`super::OSD_STAGED`], in row order).
//!
//! A file's columns come back when its keyframe job ends, out of row order: within a few
//! thousand rows of the read's front for most files, at the read's end for the files of a
//! display group too small to be decided while the read goes on. Holding every row until the
//! read ends cost some 0.4 KB a decodable file (0.4 GB a million recordings on a first scan),
//! so the rows well behind the read's front are written as they stand, and a row that comes
//! back after its place was written is kept aside ("late"). At the end, when there are late
//! rows, the file is written again with them in their places (a run whose rows all came back
//! in time, or with `--keyframes off`, writes its rows once). A run of fewer rows than the
//! window writes them all at the end, as before.

use std::collections::BTreeMap;

use arrow_array::RecordBatch;

use super::ScanError;
use crate::store::tables::Osd;
use crate::store::warehouse::{Staging, TableWriter};
use crate::store::{self, StoreError};

/// Rows kept in memory behind the read's front before the oldest are written to the draft.
const WINDOW: usize = 2 * super::BATCH_FILES;
/// The staged file written again with the late rows in their places, then renamed over it.
const PATCHED: &str = "osd-patched.parquet.part";

#[derive(Default)]
pub(super) struct OsdRows {
    /// Rows before `base` are written.
    base: usize,
    /// Rows `base..base + window.len()`.
    window: Vec<Osd>,
    /// Rows that came back after their place was written.
    late: BTreeMap<usize, Osd>,
    /// The staged file, once rows are written to it.
    staged: Option<TableWriter>,
}

impl OsdRows {
    /// Row `k`'s columns, to be filled in (default until then).
    pub fn get_mut(&mut self, k: usize) -> &mut Osd {
        if k < self.base {
            return self.late.entry(k).or_default();
        }
        let i = k - self.base;
        if self.window.len() <= i {
            self.window.resize(i + 1, Osd::default());
        }
        &mut self.window[i]
    }

    /// Rows held in memory (the window and the late ones).
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.window.len() + self.late.len()
    }

    /// Called as the read goes on, `read` rows read so far: writes the rows more than
    /// [`WINDOW`] behind to the staged file, as they stand.
    pub fn flush(&mut self, read: usize, staging: &mut Staging) -> Result<(), ScanError> {
        let upto = read.saturating_sub(WINDOW / 2);
        if upto < self.base + WINDOW / 2 {
            return Ok(());
        }
        let n = upto - self.base;
        if self.window.len() < n {
            self.window.resize(n, Osd::default());
        }
        let w = match &mut self.staged {
            Some(w) => w,
            None => self.staged.insert(staging.writer_with(
                "files",
                super::OSD_STAGED,
                schema()?,
                false,
            )?),
        };
        let refs: Vec<&Osd> = self.window[..n].iter().collect();
        w.write(&store::osd_batch(&refs)?)?;
        self.window.drain(..n);
        self.base = upto;
        Ok(())
    }

    /// Writes the `rows` rows' columns, in row order, to [`super::OSD_STAGED`]: the rest of
    /// them, then, when some came back late, the file again with those in their places.
    pub fn finish(self, rows: usize, staging: &mut Staging) -> Result<(), ScanError> {
        let OsdRows {
            base,
            mut window,
            late,
            staged,
        } = self;
        window.resize(rows.saturating_sub(base), Osd::default());
        let mut w = match staged {
            Some(w) => w,
            None => staging.writer_with("files", super::OSD_STAGED, schema()?, false)?,
        };
        for part in window.chunks(super::BATCH_FILES) {
            let refs: Vec<&Osd> = part.iter().collect();
            w.write(&store::osd_batch(&refs)?)?;
        }
        w.finish()?;
        if late.is_empty() {
            return Ok(());
        }
        let path = staging.path_of("files", super::OSD_STAGED);
        let mut patched = staging.writer_with("files", PATCHED, schema()?, false)?;
        let mut row = 0usize;
        for batch in store::parquet_reader(&path, super::BATCH_FILES, None)? {
            let batch = batch.map_err(arrow)?;
            let n = batch.num_rows();
            patched.write(&with_late(&batch, row, &late)?)?;
            row += n;
        }
        patched.finish()?;
        if row != rows {
            return Err(StoreError::Invalid {
                path,
                message: format!("{row} rows written where {rows} were read"),
            }
            .into());
        }
        let from = staging.path_of("files", PATCHED);
        std::fs::rename(&from, &path).map_err(|source| StoreError::Io { path, source })?;
        Ok(())
    }
}

fn schema() -> Result<arrow_schema::SchemaRef, StoreError> {
    Ok(store::osd_batch(&[])?.schema())
}

/// `batch` (rows `first..`) with the late rows in its range put in their places.
fn with_late(
    batch: &RecordBatch,
    first: usize,
    late: &BTreeMap<usize, Osd>,
) -> Result<RecordBatch, StoreError> {
    let end = first + batch.num_rows();
    let mut parts: Vec<RecordBatch> = Vec::new();
    let mut at = first;
    for (&k, osd) in late.range(first..end) {
        if k > at {
            parts.push(batch.slice(at - first, k - at));
        }
        parts.push(store::osd_batch(&[osd])?);
        at = k + 1;
    }
    if parts.is_empty() {
        return Ok(batch.clone());
    }
    if at < end {
        parts.push(batch.slice(at - first, end - at));
    }
    arrow_select::concat::concat_batches(&batch.schema(), &parts).map_err(arrow)
}

fn arrow(source: arrow_schema::ArrowError) -> StoreError {
    StoreError::Arrow {
        table: "files",
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Sym;
    use arrow_array::Array;

    /// A run's staging folder in a new warehouse (kept while the directory lives).
    fn staging() -> (tempfile::TempDir, Staging) {
        let t = tempfile::tempdir().expect("tmp");
        let wh = crate::store::warehouse::Warehouse::open(t.path()).expect("warehouse");
        let staging = wh.stage("test-run").expect("staging");
        (t, staging)
    }

    /// The staged osd file's `keyframes_decoded`, row by row.
    fn decoded(staging: &Staging) -> Vec<Option<i32>> {
        let path = staging.path_of("files", super::super::OSD_STAGED);
        let mut out = Vec::new();
        for batch in store::parquet_reader(&path, 1000, None).expect("read") {
            let batch = batch.expect("batch");
            let column = batch
                .column_by_name("keyframes_decoded")
                .expect("column")
                .as_any()
                .downcast_ref::<arrow_array::Int32Array>()
                .expect("int32")
                .clone();
            out.extend((0..column.len()).map(|i| column.is_valid(i).then(|| column.value(i))));
        }
        out
    }

    fn noted(k: usize) -> Osd {
        Osd {
            note: Some(Sym::from(format!("row {k}").as_str())),
            keyframes_decoded: Some(k as i32),
            ..Osd::default()
        }
    }

    #[test]
    fn rows_come_back_in_any_order_and_are_written_in_row_order() {
        let (_t, mut staging) = staging();
        let rows = 3 * WINDOW + 123;
        let mut osd = OsdRows::default();
        // Rows every third one has keyframes; each comes back a little after it is read,
        // some (every 1000th) only when the read has ended, as a small group's files do.
        let wanted = |k: usize| k.is_multiple_of(3);
        let mut read = 0usize;
        let mut pending: Vec<usize> = Vec::new();
        while read < rows {
            let batch = (read + 1000).min(rows);
            pending.extend((read..batch).filter(|&k| wanted(k) && !k.is_multiple_of(1000)));
            read = batch;
            // The older half of what is pending comes back, newest first.
            let back: Vec<usize> = pending.drain(..pending.len() / 2).rev().collect();
            for k in back {
                *osd.get_mut(k) = noted(k);
            }
            osd.flush(read, &mut staging).expect("flush");
            assert!(osd.held() <= WINDOW + 1000 + rows / 1000, "{}", osd.held());
        }
        for k in pending
            .into_iter()
            .chain((0..rows).filter(|&k| k.is_multiple_of(1000) && wanted(k)))
        {
            *osd.get_mut(k) = noted(k);
        }
        assert!(
            !osd.late.is_empty(),
            "some rows came back after their place was written"
        );
        osd.finish(rows, &mut staging).expect("finish");
        let want: Vec<Option<i32>> = (0..rows).map(|k| wanted(k).then_some(k as i32)).collect();
        assert_eq!(decoded(&staging), want);
        assert!(
            !staging.path_of("files", PATCHED).exists(),
            "renamed over the staged file"
        );
    }

    #[test]
    fn rows_that_all_come_back_in_time_are_written_once() {
        // As with `--keyframes off`: no row ever filled in; every row default, in place, and
        // the file written while the read went on is the one kept (not written again: the
        // same file, not one renamed over it).
        let (_t, mut staging) = staging();
        let rows = 2 * WINDOW + 7;
        let mut osd = OsdRows::default();
        for read in (0..=rows).step_by(1000).chain([rows]) {
            osd.flush(read, &mut staging).expect("flush");
        }
        assert!(osd.staged.is_some(), "rows written while the read went on");
        assert!(osd.late.is_empty());
        let path = staging.path_of("files", super::super::OSD_STAGED);
        let inode = |p: &std::path::Path| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p).expect("staged").ino()
        };
        let before = inode(&path);
        osd.finish(rows, &mut staging).expect("finish");
        assert_eq!(inode(&path), before);
        assert_eq!(decoded(&staging), vec![None; rows]);
    }
}
