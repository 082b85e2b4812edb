//! The warehouse on disk: Parquet files written and read, the staged snapshot and its atomic
//! commit ([`warehouse`]), the previous catalogue a rescan builds on ([`prior`]). Each table's
//! row type and columns are in [`tables`], one file per table.

pub mod catalogue;
pub mod prior;
pub mod remote;
pub mod shared;
pub mod spill;
pub mod tables;
pub mod warehouse;

use arrow_array::{ArrayRef, RecordBatch};

pub use tables::{
    CaseItemRow, CustodyEvent, Derived, ExportRow, FileRow, FindingRow, PATH_COLUMNS, RunRow,
    SessionRow, StreamRow, case_items_batch, custody_batch, derived_columns, exports_batch,
    files_batch, findings_batch, osd_batch, path_columns, read_findings, runs_batch, schemas,
    sessions_batch, streams_batch, with_derived, with_osd,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("warehouse {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("Parquet file {path}: {source}")]
    Parquet {
        path: std::path::PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("building table {table}: {source}")]
    Arrow {
        table: &'static str,
        source: arrow_schema::ArrowError,
    },
    #[error("warehouse {0} is in use by another recaudit process (lock held on its .lock file)")]
    Locked(std::path::PathBuf),
    #[error("warehouse {path}: {message}")]
    Invalid {
        path: std::path::PathBuf,
        message: String,
    },
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
}

/// Writes a run's judgements: its `sessions`, `findings` and `case_items` tables (one file
/// each), as the analysis of a shared warehouse does.
pub fn write_judgements(
    staging: &mut warehouse::Staging,
    sessions: &[SessionRow],
    findings: &[FindingRow],
    case_items: &[CaseItemRow],
) -> Result<(), StoreError> {
    JudgementWriters::open(staging)?.write(sessions, case_items, |write| {
        findings.chunks(JUDGEMENT_BATCH).try_for_each(write)
    })
}

/// Sessions and findings are written in batches of this many rows, each a row group: built
/// whole, the findings of a tree where every file was late (a finding each, about 1.4 KB of
/// text apiece) were held twice at the commit, as rows and as one batch (at 202,219 files the
/// run's peak went from 340 to 620 MiB there).
const JUDGEMENT_BATCH: usize = 32_768;

/// The run's judgement tables opened in the staged snapshot, to be written apart from it (on
/// a thread of their own, beside the `files` table's rewrite).
pub struct JudgementWriters {
    case_items: warehouse::TableWriter,
    sessions: warehouse::TableWriter,
    findings: warehouse::TableWriter,
}

impl JudgementWriters {
    pub fn open(staging: &mut warehouse::Staging) -> Result<Self, StoreError> {
        const PART: &str = "part-00000.parquet";
        Ok(JudgementWriters {
            case_items: staging.writer("case_items", PART, case_items_batch(&[])?.schema())?,
            sessions: staging.writer("sessions", PART, sessions_batch(&[])?.schema())?,
            findings: staging.writer("findings", PART, findings_batch(&[])?.schema())?,
        })
    }

    /// The run's judgements into these writers, the findings gathered in a
    /// [`spill::FindingSink`] (a scan's) merged into the table's order as they are written.
    pub fn write_gathered(
        self,
        sessions: &[SessionRow],
        findings: spill::FindingSink,
        case_items: &[CaseItemRow],
    ) -> Result<(), StoreError> {
        self.write(sessions, case_items, |write| {
            findings.finish(JUDGEMENT_BATCH, write)
        })
    }

    /// Writes the case items, the sessions in batches, and the findings `findings` hands over
    /// in batches, then closes each table.
    fn write(
        self,
        sessions: &[SessionRow],
        case_items: &[CaseItemRow],
        findings: impl FnOnce(
            &mut dyn FnMut(&[FindingRow]) -> Result<(), StoreError>,
        ) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let JudgementWriters {
            case_items: mut case_items_w,
            sessions: mut sessions_w,
            findings: mut findings_w,
        } = self;
        case_items_w.write(&case_items_batch(case_items)?)?;
        case_items_w.finish()?;
        for rows in sessions.chunks(JUDGEMENT_BATCH) {
            sessions_w.write(&sessions_batch(rows)?)?;
        }
        sessions_w.finish()?;
        findings(&mut |rows| findings_w.write(&findings_batch(rows)?))?;
        findings_w.finish()
    }
}

/// Writes one batch as a standalone Parquet file (ZSTD), e.g. a context table.
pub fn write_parquet_file(path: &std::path::Path, batch: &RecordBatch) -> Result<(), StoreError> {
    let f = std::fs::File::create(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let perr = |source| StoreError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::try_new(3).unwrap_or_default(),
        ))
        .build();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props)).map_err(perr)?;
    w.write(batch).map_err(perr)?;
    w.close().map_err(perr)?;
    Ok(())
}

/// Reads every batch of a Parquet file (the warehouse's own tables only).
pub fn read_parquet(path: &std::path::Path) -> Result<Vec<RecordBatch>, StoreError> {
    parquet_reader(path, 8192, None)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Arrow {
            table: "read",
            source: e,
        })
}

/// Replaces the named columns of `batch` (each must exist in its schema).
pub fn replace_columns(
    batch: &RecordBatch,
    table: &'static str,
    cols: Vec<(&str, ArrayRef)>,
) -> Result<RecordBatch, StoreError> {
    let schema = batch.schema();
    let mut arrays = batch.columns().to_vec();
    for (name, a) in cols {
        let idx = schema
            .index_of(name)
            .map_err(|source| StoreError::Arrow { table, source })?;
        arrays[idx] = a;
    }
    RecordBatch::try_new(schema, arrays).map_err(|source| StoreError::Arrow { table, source })
}

/// Brings a batch written by an earlier recaudit to `schema`: columns are matched by name,
/// columns the earlier version did not have become nulls. Lets a warehouse outlive schema
/// additions without rewriting history.
pub fn conform(
    batch: &RecordBatch,
    table: &'static str,
    schema: &arrow_schema::SchemaRef,
) -> Result<RecordBatch, StoreError> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let arrays = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(a) if a.data_type() == f.data_type() => a.clone(),
            _ => arrow_array::new_null_array(f.data_type(), batch.num_rows()),
        })
        .collect();
    RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|source| StoreError::Arrow { table, source })
}

/// Opens a Parquet file of the warehouse for reading in batches of `batch` rows, optionally
/// only some columns.
pub fn parquet_reader(
    path: &std::path::Path,
    batch: usize,
    columns: Option<&[&str]>,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, StoreError> {
    let mut b = reader_builder(path, batch)?;
    if let Some(cols) = columns {
        let mask = projection(b.parquet_schema(), cols);
        b = b.with_projection(mask);
    }
    b.build().map_err(|source| parquet_error(path, source))
}

/// The number of rows of a Parquet file, from its footer (nothing else is read).
pub fn parquet_rows(path: &std::path::Path) -> Result<u64, StoreError> {
    let b = reader_builder(path, 1)?;
    Ok(u64::try_from(b.metadata().file_metadata().num_rows()).unwrap_or(0))
}

/// The rows of each row group of a Parquet file, from its footer.
pub fn parquet_group_rows(path: &std::path::Path) -> Result<Vec<u64>, StoreError> {
    let b = reader_builder(path, 1)?;
    Ok(b.metadata()
        .row_groups()
        .iter()
        .map(|g| u64::try_from(g.num_rows()).unwrap_or(0))
        .collect())
}

type ReaderBuilder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<std::fs::File>;

fn reader_builder(path: &std::path::Path, batch: usize) -> Result<ReaderBuilder, StoreError> {
    let f = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(ReaderBuilder::try_new(f)
        .map_err(|source| parquet_error(path, source))?
        .with_batch_size(batch))
}

fn parquet_error(path: &std::path::Path, source: parquet::errors::ParquetError) -> StoreError {
    StoreError::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// [`parquet_reader`] of the rows `keep` marks only (one flag per row of the file): the other
/// rows' values are skipped, not decoded.
pub fn parquet_reader_rows(
    path: &std::path::Path,
    batch: usize,
    columns: &[&str],
    keep: &[bool],
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, StoreError> {
    let b = reader_builder(path, batch)?;
    let mask = projection(b.parquet_schema(), columns);
    let keep = arrow_array::BooleanArray::from(keep.to_vec());
    let selection = parquet::arrow::arrow_reader::RowSelection::from_filters(&[keep]);
    b.with_projection(mask)
        .with_row_selection(selection)
        .build()
        .map_err(|source| parquet_error(path, source))
}

/// The Parquet columns named `cols` (by their top-level field) of a file with schema `schema`.
pub fn projection(
    schema: &parquet::schema::types::SchemaDescriptor,
    cols: &[&str],
) -> parquet::arrow::ProjectionMask {
    let idx: Vec<usize> = (0..schema.num_columns())
        .filter(|&i| {
            let c = schema.column(i);
            cols.contains(&c.path().parts()[0].as_str())
        })
        .collect();
    parquet::arrow::ProjectionMask::leaves(schema, idx)
}

/// Rewrites the staged `files` table `staged` into `file_name` with each row's per-run columns
/// (`derived(i)` for row `i` of the first `rows`) and the keyframe stage's columns, which came
/// after the rows were staged and were spilled beside them as `osd` (an [`osd_batch`] file of
/// as many rows), batch by batch; then removes both. Only recaudit's own staged files are
/// read, never the evidence.
pub fn fill_derived(
    staging: &mut warehouse::Staging,
    staged: &str,
    osd: &str,
    file_name: &str,
    run_id: &str,
    rows: usize,
    derived: &dyn Fn(usize) -> Derived,
) -> Result<(), StoreError> {
    let src = staging.path_of("files", staged);
    let osd_src = staging.path_of("files", osd);
    // Both read in batches of the same size: row `i` of one is row `i` of the other.
    let reader = parquet_reader(&src, 4096, None)?;
    let mut osd_reader = parquet_reader(&osd_src, 4096, None)?;
    let mut w = staging.writer(
        "files",
        file_name,
        arrow_array::RecordBatchReader::schema(&reader),
    )?;
    let arrow = |source| StoreError::Arrow {
        table: "files",
        source,
    };
    let mut row = 0usize;
    for b in reader {
        let b = b.map_err(arrow)?;
        let n = b.num_rows();
        let seen = match osd_reader.next() {
            Some(o) => o.map_err(arrow)?,
            None => osd_batch(&vec![&tables::Osd::default(); n])?,
        };
        if seen.num_rows() != n {
            return Err(StoreError::Arrow {
                table: "files",
                source: arrow_schema::ArrowError::InvalidArgumentError(format!(
                    "{}: {} rows of keyframe columns beside {n} staged rows",
                    osd_src.display(),
                    seen.num_rows()
                )),
            });
        }
        let made: Vec<Derived> = (row..row + n)
            .map(|i| {
                if i < rows {
                    derived(i)
                } else {
                    Derived::default()
                }
            })
            .collect();
        w.write(&with_osd(&with_derived(&b, run_id, &made)?, &seen)?)?;
        row += n;
    }
    w.finish()?;
    for f in [&src, &osd_src] {
        std::fs::remove_file(f).map_err(|source| StoreError::Io {
            path: f.clone(),
            source,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Int64Array, StringArray};
    use std::sync::Arc;

    /// The selective reader passes over the rows (and pages) not kept: what it gives must be
    /// exactly the kept rows, across page and row-group edges, for plain and dictionary pages.
    #[test]
    fn a_selective_read_gives_exactly_the_kept_rows_across_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let n = 50_000usize;
        let ids: Int64Array = (0..n as i64).collect();
        let words: StringArray = (0..n).map(|i| Some(format!("w{}", i % 7))).collect();
        let names: StringArray = (0..n).map(|i| Some(format!("name-{i:08}"))).collect();
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(ids) as ArrayRef),
            ("word", Arc::new(words) as ArrayRef),
            ("name", Arc::new(names) as ArrayRef),
        ])
        .unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_data_page_row_count_limit(1000)
            .set_write_batch_size(500)
            .set_max_row_group_row_count(Some(12_000))
            .set_column_dictionary_enabled("name".into(), false)
            .build();
        let f = std::fs::File::create(&path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        // Runs of kept rows as a part's devices lie in a table, and single rows between.
        let keep: Vec<bool> = (0..n)
            .map(|i| (3_100..7_900).contains(&i) || (23_999..24_001).contains(&i) || i % 4_999 == 0)
            .collect();
        let mut got = Vec::new();
        for b in parquet_reader_rows(&path, 777, &["id", "word", "name"], &keep).unwrap() {
            let b = b.unwrap();
            let id = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            let word = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
            let name = b.column(2).as_any().downcast_ref::<StringArray>().unwrap();
            for r in 0..b.num_rows() {
                let i = id.value(r);
                assert_eq!(word.value(r), format!("w{}", i % 7));
                assert_eq!(name.value(r), format!("name-{i:08}"));
                got.push(i as usize);
            }
        }
        let want: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        assert_eq!(got, want);
    }
}
