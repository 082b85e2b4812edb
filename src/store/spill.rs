//! Findings gathered part by part in bounded memory. A run whose every file draws a finding (a
//! tree of old recordings uploaded late, each a DL-UPLOAD) made about 1.1 KB of rows a finding,
//! all held until the commit: a million such files would have held over a gigabyte. The
//! [`FindingSink`] holds up to a limit of rows; past it, it sorts them and writes them to a
//! file of its own beside the run's tables (a sorted run), and at the commit merges the runs
//! and the rows still held into the table's order. A run that never reaches the limit (almost
//! every run) sorts and writes its rows as before.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::PathBuf;

use super::tables::finding_rows_of_batch as rows_of_batch;
use super::{FindingRow, StoreError, findings_batch};

/// Rows held before they are spilled as a sorted run (about 70 MB of findings).
pub const SPILL_ROWS: usize = 65_536;

/// Rows read back from a spilled run at a time while merging.
const READ_ROWS: usize = 1_024;

/// Findings gathered for a run's `findings` table; see the module's text.
pub struct FindingSink {
    dir: PathBuf,
    limit: usize,
    held: Vec<FindingRow>,
    spilled: Vec<PathBuf>,
    rows: usize,
    /// Findings of `high`, `warn` and `info` severity, counted as they come.
    severities: [usize; 3],
    /// Findings by kind and article, counted as they come.
    kinds: BTreeMap<(Cow<'static, str>, Cow<'static, str>), usize>,
}

impl FindingSink {
    /// A sink that spills into `dir` (a folder of its own in the run's staged snapshot, made
    /// at the first spill and removed with the runs) past
    /// [`SPILL_ROWS`] rows, or past the count `RECAUDIT_SPILL_FINDINGS` says (tests).
    pub fn new(dir: PathBuf) -> Self {
        let limit = std::env::var("RECAUDIT_SPILL_FINDINGS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(SPILL_ROWS);
        Self::with_limit(dir, limit)
    }

    pub fn with_limit(dir: PathBuf, limit: usize) -> Self {
        FindingSink {
            dir,
            limit: limit.max(1),
            held: Vec::new(),
            spilled: Vec::new(),
            rows: 0,
            severities: [0; 3],
            kinds: BTreeMap::new(),
        }
    }

    /// Every finding the sink was given.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// How many of the findings are of `severity` (`high`, `warn` or `info`).
    pub fn count(&self, severity: &str) -> usize {
        match severity {
            "high" => self.severities[0],
            "warn" => self.severities[1],
            "info" => self.severities[2],
            _ => 0,
        }
    }

    /// How many findings of each kind and article.
    pub fn kinds(&self) -> BTreeMap<(String, String), usize> {
        self.kinds
            .iter()
            .map(|((k, a), &n)| ((k.to_string(), a.to_string()), n))
            .collect()
    }

    /// How many sorted runs were written to disk.
    pub fn spilled(&self) -> usize {
        self.spilled.len()
    }

    pub fn extend(&mut self, rows: impl IntoIterator<Item = FindingRow>) -> Result<(), StoreError> {
        for r in rows {
            if let Some(k) = ["high", "warn", "info"]
                .iter()
                .position(|s| r.severity == *s)
            {
                self.severities[k] += 1;
            }
            *self
                .kinds
                .entry((r.kind.clone(), r.article.clone()))
                .or_insert(0) += 1;
            self.held.push(r);
            self.rows += 1;
            if self.held.len() >= self.limit {
                self.spill()?;
            }
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), StoreError> {
        self.held.sort_by(FindingRow::order);
        std::fs::create_dir_all(&self.dir).map_err(|source| StoreError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let path = self
            .dir
            .join(format!("spill-{:05}.parquet.part", self.spilled.len()));
        let file = std::fs::File::create(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        let perr = |source| StoreError::Parquet {
            path: path.clone(),
            source,
        };
        // Read back once, within the run: compressed lightly (text, most of it repeated).
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(
                parquet::basic::ZstdLevel::try_new(1).unwrap_or_default(),
            ))
            .set_max_row_group_row_count(Some(READ_ROWS * 8))
            .build();
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::io::BufWriter::new(file),
            findings_batch(&[])?.schema(),
            Some(props),
        )
        .map_err(perr)?;
        for rows in self.held.chunks(READ_ROWS * 8) {
            w.write(&findings_batch(rows)?).map_err(perr)?;
        }
        w.close().map_err(perr)?;
        self.held = Vec::new();
        self.spilled.push(path);
        Ok(())
    }

    /// Hands every finding, in the table's order ([`FindingRow::order`]; rows that compare
    /// equal in the order they were given), to `write` in slices of at most `batch` rows,
    /// and removes the spilled runs.
    pub fn finish(
        mut self,
        batch: usize,
        mut write: impl FnMut(&[FindingRow]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let batch = batch.max(1);
        self.held.sort_by(FindingRow::order);
        if self.spilled.is_empty() {
            for rows in self.held.chunks(batch) {
                write(rows)?;
            }
            return Ok(());
        }
        // The runs in the order they were made, the rows still held last: on a tie the
        // earlier run's row goes first, as a stable sort of all the rows would place it.
        let mut runs = Vec::with_capacity(self.spilled.len() + 1);
        for path in &self.spilled {
            runs.push(Run::spilled(path.clone())?);
        }
        runs.push(Run::held(std::mem::take(&mut self.held)));
        let mut heap = BinaryHeap::new();
        for (k, run) in runs.iter_mut().enumerate() {
            if let Some(row) = run.next()? {
                heap.push(Next { row, run: k });
            }
        }
        let mut out = Vec::with_capacity(batch);
        while let Some(Next { row, run: k }) = heap.pop() {
            out.push(row);
            if out.len() == batch {
                write(&out)?;
                out.clear();
            }
            if let Some(row) = runs[k].next()? {
                heap.push(Next { row, run: k });
            }
        }
        if !out.is_empty() {
            write(&out)?;
        }
        drop(runs);
        self.remove_spilled()
    }

    fn remove_spilled(&mut self) -> Result<(), StoreError> {
        for path in std::mem::take(&mut self.spilled) {
            std::fs::remove_file(&path).map_err(|source| StoreError::Io { path, source })?;
        }
        // The folder is the sink's own (nothing else is written there).
        let _ = std::fs::remove_dir(&self.dir);
        Ok(())
    }
}

impl Drop for FindingSink {
    /// A run that failed before its commit leaves no spilled run behind in its staged folder.
    fn drop(&mut self) {
        for path in &self.spilled {
            let _ = std::fs::remove_file(path);
        }
        if !self.spilled.is_empty() {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// One sorted run being merged: a spilled file read back a few rows at a time, or the rows
/// still held.
struct Run {
    path: Option<PathBuf>,
    reader: Option<parquet::arrow::arrow_reader::ParquetRecordBatchReader>,
    rows: std::vec::IntoIter<FindingRow>,
}

impl Run {
    fn spilled(path: PathBuf) -> Result<Run, StoreError> {
        let reader = super::parquet_reader(&path, READ_ROWS, None)?;
        Ok(Run {
            path: Some(path),
            reader: Some(reader),
            rows: Vec::new().into_iter(),
        })
    }

    fn held(rows: Vec<FindingRow>) -> Run {
        Run {
            path: None,
            reader: None,
            rows: rows.into_iter(),
        }
    }

    fn next(&mut self) -> Result<Option<FindingRow>, StoreError> {
        loop {
            if let Some(r) = self.rows.next() {
                return Ok(Some(r));
            }
            let (Some(reader), Some(path)) = (self.reader.as_mut(), self.path.as_ref()) else {
                return Ok(None);
            };
            let Some(b) = reader.next() else {
                return Ok(None);
            };
            let b = b.map_err(|source| StoreError::Arrow {
                table: "findings",
                source,
            })?;
            let mut rows = Vec::with_capacity(b.num_rows());
            rows_of_batch(&b, path, &mut rows)?;
            self.rows = rows.into_iter();
        }
    }
}

/// A run's next row in the merge's heap: the least row first, and of equal rows the earlier
/// run's.
struct Next {
    row: FindingRow,
    run: usize,
}

impl Ord for Next {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap pops the greatest: reversed.
        other
            .row
            .order(&self.row)
            .then_with(|| other.run.cmp(&self.run))
    }
}

impl PartialOrd for Next {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Next {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Next {}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(device: Option<&str>, path: Option<&str>, at: i64, n: usize) -> FindingRow {
        FindingRow {
            run_id: "r".into(),
            finding_id: format!("f{n:04}"),
            kind: "late_upload".into(),
            severity: "high".into(),
            rule_id: "DL-UPLOAD".into(),
            message: format!("message {n}"),
            path: path.map(str::to_string),
            device_id: device.map(str::to_string),
            at_us: Some(at),
            details: format!("{{\"n\":{n}}}"),
            ..FindingRow::default()
        }
    }

    /// Rows given in an order of their own, with equal keys among them.
    fn rows() -> Vec<FindingRow> {
        let mut out = Vec::new();
        for n in 0..97 {
            let device = ["D3", "D1", "D2"][n % 3];
            let path = format!("/e/{device}/{:03}.mp4", (n * 37) % 11);
            let mut f = finding(Some(device), Some(&path), ((n * 53) % 7) as i64, n);
            if n % 10 == 0 {
                // A finding of the run: no device, no file.
                f.device_id = None;
                f.path = None;
            }
            if n % 4 == 0 {
                // Same key as another row, told apart only by the order given.
                f.finding_id = "same".into();
                f.at_us = Some(1);
                f.path = Some("/e/same.mp4".into());
                f.device_id = Some("D1".into());
            }
            out.push(f);
        }
        out
    }

    fn gathered(limit: usize, batch: usize) -> (Vec<FindingRow>, usize, usize) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let spill_dir = dir.path().join("findings");
        let mut sink = FindingSink::with_limit(spill_dir.clone(), limit);
        let all = rows();
        // Given in uneven pieces, as parts of a run give theirs.
        let mut rest = all.as_slice();
        let mut k = 1;
        while !rest.is_empty() {
            let n = k.min(rest.len());
            sink.extend(rest[..n].iter().cloned()).expect("extend");
            rest = &rest[n..];
            k = k * 2 + 1;
        }
        let spilled = sink.spilled();
        let mut out = Vec::new();
        let mut largest = 0;
        sink.finish(batch, |rows| {
            largest = largest.max(rows.len());
            out.extend_from_slice(rows);
            Ok(())
        })
        .expect("finish");
        assert!(!spill_dir.exists(), "spilled runs and their folder removed");
        (out, spilled, largest)
    }

    #[test]
    fn spilled_runs_merge_into_the_order_of_one_sort() {
        let mut expected = rows();
        expected.sort_by(FindingRow::order);
        let (alone, spilled, _) = gathered(1_000, 32);
        assert_eq!(spilled, 0);
        assert_eq!(alone, expected);
        for limit in [1, 2, 7, 40] {
            let (out, spilled, largest) = gathered(limit, 10);
            assert!(
                spilled >= 97 / limit.max(1) - 1,
                "limit {limit}: {spilled} runs"
            );
            assert!(largest <= 10);
            assert_eq!(out.len(), expected.len(), "limit {limit}");
            // Row for row, ties (the `same` rows) included in the order given.
            assert!(out == expected, "limit {limit}: order differs");
        }
    }
}
