//! The warehouse directory and its atomic commit.
//!
//! ```text
//! WAREHOUSE/
//!   snapshots/<run_id>/<table>/*.parquet   one complete, immutable set of tables per run
//!   current -> snapshots/<run_id>          the last committed run (a symlink)
//!   files -> current/files                 stable paths for SQL tools, one per table
//!   runs -> current/runs
//!   chain -> current/chain                 every commit's manifest (see `crate::chain`)
//!   .lock                                  held while a run writes
//! ```
//! A run writes its tables into `snapshots/.tmp-<run_id>`, syncs them, renames that folder into
//! place, and then replaces the `current` link with one `rename(2)`, which is atomic: a reader
//! (or a run killed at any instant) sees either the old set of tables or the new one, never a
//! mix. History tables (`runs`) carry earlier runs' files forward by hard link, so nothing is
//! copied. Only the current and the previous snapshot are kept.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::page_index::offset_index::OffsetIndexMetaData;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use super::StoreError;
use crate::chain::write::{Committed, Seal};
use crate::chain::{self, Base, Depth};

pub struct Warehouse {
    root: PathBuf,
    _lock: File,
}

/// A Parquet error about the file at `path`.
fn parquet_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> StoreError + Copy + '_ {
    move |source| StoreError::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sync_dir(p: &Path) -> Result<(), StoreError> {
    File::open(p).and_then(|f| f.sync_all()).map_err(io(p))
}

impl Warehouse {
    /// Opens (creating if needed) the warehouse and takes its lock.
    pub fn open(root: &Path) -> Result<Warehouse, StoreError> {
        fs::create_dir_all(root.join("snapshots")).map_err(io(root))?;
        let lock_path = root.join(".lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        let r = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            return Err(StoreError::Locked(root.to_path_buf()));
        }
        let wh = Warehouse {
            root: root.to_path_buf(),
            _lock: lock,
        };
        // Leftovers of runs that were killed before their commit.
        let snaps = wh.root.join("snapshots");
        for e in fs::read_dir(&snaps).map_err(io(&snaps))?.flatten() {
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                let _ = fs::remove_dir_all(e.path());
            }
        }
        Ok(wh)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The snapshot folder of the last committed run, if any.
    pub fn current(&self) -> Option<PathBuf> {
        let link = self.root.join("current");
        fs::read_link(&link).ok().map(|t| self.root.join(t))
    }

    /// Checks the chain of the runs a commit will build on ([`Depth::Cheap`] before a scan or
    /// an export) and returns what the commit extends; a history that does not verify is
    /// refused ([`chain::ChainError::Broken`]) unless `restart`.
    pub fn check_chain(
        &self,
        depth: Depth,
        restart: bool,
        run_id: &str,
        now_us: i64,
    ) -> Result<Base, StoreError> {
        let report = chain::check(&self.root, depth, None)?;
        Ok(Base::from_report(report, restart, run_id, now_us)?)
    }

    pub fn stage(&self, run_id: &str) -> Result<Staging, StoreError> {
        let dir = self.root.join("snapshots").join(format!(".tmp-{run_id}"));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Staging {
            dir,
            run_id: run_id.to_string(),
            previous: self.current(),
            tables: Vec::new(),
            row_group_rows: ROW_GROUP_MIN,
            written: Arc::default(),
            carried: HashSet::new(),
        })
    }

    /// Publishes a staged run: seals it with its manifest on the chain `base`, then after this
    /// returns every table path shows the new run.
    pub fn commit(
        &self,
        mut staging: Staging,
        base: &Base,
        seal: &Seal,
    ) -> Result<Committed, StoreError> {
        // The earlier manifests are carried like a history table; the new one joins them.
        staging.carry(chain::manifest::DIR)?;
        staging.table_dir(chain::manifest::DIR)?;
        let written = staging
            .written
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        let committed = chain::write::seal(
            &staging.dir,
            &staging.run_id,
            &written,
            &staging.carried,
            base,
            seal,
        )?;
        for t in &staging.tables {
            sync_dir(&staging.dir.join(t))?;
        }
        sync_dir(&staging.dir)?;
        let snaps = self.root.join("snapshots");
        let final_dir = snaps.join(&staging.run_id);
        fs::rename(&staging.dir, &final_dir).map_err(io(&final_dir))?;
        sync_dir(&snaps)?;
        let tmp_link = self.root.join(".current.tmp");
        let _ = fs::remove_file(&tmp_link);
        std::os::unix::fs::symlink(Path::new("snapshots").join(&staging.run_id), &tmp_link)
            .map_err(io(&tmp_link))?;
        let cur = self.root.join("current");
        fs::rename(&tmp_link, &cur).map_err(io(&cur))?;
        sync_dir(&self.root)?;
        for t in &staging.tables {
            let link = self.root.join(t);
            match fs::symlink_metadata(&link) {
                Ok(m) if m.file_type().is_symlink() => {}
                Ok(_) => {
                    return Err(StoreError::Invalid {
                        path: link,
                        message: "expected a symbolic link to current/<table>; something else is in the way".into(),
                    });
                }
                Err(_) => std::os::unix::fs::symlink(Path::new("current").join(t), &link)
                    .map_err(io(&link))?,
            }
        }
        // Keep the new snapshot and the one before it (a reader may still be on it).
        let keep_prev = staging
            .previous
            .as_ref()
            .and_then(|p| p.file_name().map(|n| n.to_os_string()));
        for e in fs::read_dir(&snaps).map_err(io(&snaps))?.flatten() {
            let name = e.file_name();
            if name.to_string_lossy() != staging.run_id
                && Some(&name) != keep_prev.as_ref()
                && !name.to_string_lossy().starts_with(".tmp-")
            {
                let _ = fs::remove_dir_all(e.path());
            }
        }
        Ok(Committed {
            dir: final_dir,
            ..committed
        })
    }
}

/// A run's tables being written, invisible until [`Warehouse::commit`].
pub struct Staging {
    dir: PathBuf,
    run_id: String,
    previous: Option<PathBuf>,
    tables: Vec<String>,
    row_group_rows: usize,
    /// `table/file` -> size and BLAKE3, for the files this run's writers hashed as they wrote.
    written: Arc<Mutex<HashMap<String, (u64, String)>>>,
    /// `table/file` carried unchanged from the previous snapshot.
    carried: HashSet<String>,
}

impl Staging {
    /// Sizes the row groups of writers opened from now on for a table of about `rows` rows:
    /// a sixteenth of it, within 4Ki..64Ki rows.
    pub fn expect_rows(&mut self, rows: usize) {
        self.row_group_rows = (rows / 16).clamp(ROW_GROUP_MIN, ROW_GROUP_MAX);
    }

    fn table_dir(&mut self, table: &str) -> Result<PathBuf, StoreError> {
        let d = self.dir.join(table);
        if !self.tables.iter().any(|t| t == table) {
            fs::create_dir_all(&d).map_err(io(&d))?;
            self.tables.push(table.to_string());
        }
        Ok(d)
    }

    /// A folder of this run's staged snapshot for files that are not tables (a spill), named
    /// `.name`: the caller makes it and removes it, with what it wrote there, before the
    /// commit.
    pub fn scratch_dir(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}"))
    }

    /// Where `<table>/<file_name>` of this run is being written.
    pub fn path_of(&self, table: &str, file_name: &str) -> PathBuf {
        self.dir.join(table).join(file_name)
    }

    /// Writes one Parquet file `<table>/<file_name>` holding `batch`.
    pub fn write(
        &mut self,
        table: &str,
        file_name: &str,
        batch: &RecordBatch,
    ) -> Result<(), StoreError> {
        let mut w = self.writer(table, file_name, batch.schema())?;
        w.write(batch)?;
        w.finish()
    }

    /// Opens `<table>/<file_name>` for writing in batches; each batch becomes a row group, so
    /// a run never holds more than one batch of rows in memory.
    pub fn writer(
        &mut self,
        table: &str,
        file_name: &str,
        schema: SchemaRef,
    ) -> Result<TableWriter, StoreError> {
        self.writer_with(table, file_name, schema, true)
    }

    /// Like [`Staging::writer`]; `compress = false` for an intermediate file that will be
    /// rewritten before the commit (compressing it would be work thrown away).
    pub fn writer_with(
        &mut self,
        table: &str,
        file_name: &str,
        schema: SchemaRef,
        compress: bool,
    ) -> Result<TableWriter, StoreError> {
        let (w, file, path) = self.arrow_writer(table, file_name, schema, compress)?;
        Ok(TableWriter {
            w,
            file,
            path,
            flush_each: !compress,
            rel: format!("{table}/{file_name}"),
            written: Arc::clone(&self.written),
        })
    }

    /// Opens `<table>/<file_name>` for writing row group by row group, some of them spliced
    /// from another Parquet file's column chunks as they are ([`SplicingWriter`]).
    pub fn splicing_writer(
        &mut self,
        table: &str,
        file_name: &str,
        schema: SchemaRef,
    ) -> Result<SplicingWriter, StoreError> {
        let (w, file, path) = self.arrow_writer(table, file_name, schema.clone(), true)?;
        let (fw, factory) = w
            .into_serialized_writer()
            .map_err(|source| StoreError::Parquet {
                path: path.clone(),
                source,
            })?;
        Ok(SplicingWriter {
            fw,
            factory,
            row_groups: 0,
            open: None,
            group_rows: self.row_group_rows,
            schema,
            file,
            path,
            rel: format!("{table}/{file_name}"),
            written: Arc::clone(&self.written),
        })
    }

    fn arrow_writer(
        &mut self,
        table: &str,
        file_name: &str,
        schema: SchemaRef,
        compress: bool,
    ) -> Result<(ArrowWriter<Hashing>, File, PathBuf), StoreError> {
        let path = self.table_dir(table)?.join(file_name);
        let f = File::create(&path).map_err(io(&path))?;
        let compression = if compress {
            Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default())
        } else {
            Compression::UNCOMPRESSED
        };
        // Column-chunk statistics are enough for pruning and much cheaper to compute than
        // per-page ones; columns that are nearly unique per row skip dictionary encoding.
        let mut props = WriterProperties::builder()
            .set_compression(compression)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(format!("recaudit {}", env!("CARGO_PKG_VERSION")));
        for c in [
            "path",
            "path_bytes",
            "rel_path",
            "file_name",
            "blake3",
            "fs_inode",
            "mtime",
            "creation_time",
            "creation_time_raw",
            "name_time",
            "name_time_raw",
            "finding_id",
            "message",
            "details",
        ] {
            props = props.set_column_dictionary_enabled(ColumnPath::from(c), false);
        }
        // Final tables get row groups of up to 64Ki rows (a footer stays small even for ten
        // million files); an intermediate file is flushed batch by batch to keep memory flat.
        let props = props
            .set_max_row_group_row_count(Some(self.row_group_rows))
            .build();
        let clone = f.try_clone().map_err(io(&path))?;
        let hashing = Hashing {
            file: clone,
            hasher: blake3::Hasher::new(),
        };
        let w = ArrowWriter::try_new(hashing, schema, Some(props)).map_err(|source| {
            StoreError::Parquet {
                path: path.clone(),
                source,
            }
        })?;
        Ok((w, f, path))
    }

    /// Carries the previous snapshot's files of a history table into this run (hard links).
    /// Carries every table of the previous snapshot except `except` (for a commit that only
    /// adds rows to one table, such as an export record).
    pub fn carry_all(&mut self, except: &[&str]) -> Result<(), StoreError> {
        let Some(prev) = self.previous.clone() else {
            return Ok(());
        };
        let rd = fs::read_dir(&prev).map_err(io(&prev))?;
        let mut names: Vec<String> = rd
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !except.contains(&n.as_str()))
            .collect();
        names.sort();
        for n in names {
            self.carry(&n)?;
        }
        Ok(())
    }

    /// A table with nothing to carry gets no folder (query tools refuse empty ones).
    pub fn carry(&mut self, table: &str) -> Result<(), StoreError> {
        let Some(prev) = self.previous.clone() else {
            return Ok(());
        };
        let from = prev.join(table);
        let Ok(rd) = fs::read_dir(&from) else {
            return Ok(());
        };
        let files: Vec<_> = rd.flatten().collect();
        if files.is_empty() {
            return Ok(());
        }
        let d = self.table_dir(table)?;
        for e in files {
            let target = d.join(e.file_name());
            // Never copy onto a name that is already there: it may be a link to the very file
            // being carried, and a copy would truncate it.
            if target.exists() {
                continue;
            }
            if fs::hard_link(e.path(), &target).is_err() {
                fs::copy(e.path(), &target).map_err(io(&target))?;
            }
            self.carried
                .insert(format!("{table}/{}", e.file_name().to_string_lossy()));
        }
        Ok(())
    }
}

/// Rows per row group of the warehouse tables: at least this many...
const ROW_GROUP_MIN: usize = 4096;
/// ... and at most this many (a footer then stays small even for ten million files, while a
/// writer's buffered row group stays small for a hundred thousand).
const ROW_GROUP_MAX: usize = 65_536;

/// The file under a table writer: every byte written is also hashed, so the manifest has the
/// file's BLAKE3 without reading it back.
struct Hashing {
    file: File,
    hasher: blake3::Hasher,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// One Parquet file written row group by row group, each either encoded from batches (filled
/// up to the table's row-group size) or spliced: another file's column chunks copied byte for
/// byte, with a few columns encoded anew. A nightly run carries a million unchanged `files`
/// rows this way, re-encoding only the per-run columns. Only flat schemas (one Parquet column
/// per field), as recaudit's tables are.
pub struct SplicingWriter {
    fw: SerializedFileWriter<Hashing>,
    factory: ArrowRowGroupWriterFactory,
    row_groups: usize,
    /// The row group being filled by [`SplicingWriter::write`]: its column writers and rows.
    open: Option<(Vec<ArrowColumnWriter>, usize)>,
    /// Rows after which [`SplicingWriter::write`] closes its row group.
    group_rows: usize,
    schema: SchemaRef,
    file: File,
    path: PathBuf,
    rel: String,
    written: Arc<Mutex<HashMap<String, (u64, String)>>>,
}

impl SplicingWriter {
    /// Encodes `columns` (field index and values, in field order) as column chunks.
    fn encode(
        &self,
        columns: &[(usize, &ArrayRef)],
    ) -> Result<Vec<Option<ArrowColumnChunk>>, StoreError> {
        let perr = parquet_err(&self.path);
        // One writer per column of the row group; those of the columns copied as they are go
        // unused.
        let writers = self
            .factory
            .create_column_writers(self.row_groups)
            .map_err(perr)?;
        if writers.len() != self.schema.fields().len() {
            return Err(perr(parquet::errors::ParquetError::General(
                "a table with nested columns cannot be spliced".into(),
            )));
        }
        let mut writers: Vec<Option<_>> = writers.into_iter().map(Some).collect();
        let mut chunks: Vec<Option<ArrowColumnChunk>> =
            (0..self.schema.fields().len()).map(|_| None).collect();
        for (i, values) in columns {
            let Some(mut w) = writers.get_mut(*i).and_then(Option::take) else {
                continue;
            };
            for leaf in compute_leaves(self.schema.field(*i), values).map_err(perr)? {
                w.write(&leaf).map_err(perr)?;
            }
            chunks[*i] = Some(w.close().map_err(perr)?);
        }
        Ok(chunks)
    }

    /// Appends `batch` to the row group being filled (a new one when none is), which is
    /// closed once it holds the table's row-group size: a column writer and its compressor
    /// serve many batches.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        let perr = parquet_err(&self.path);
        let (mut writers, rows) = match self.open.take() {
            Some(open) => open,
            None => (
                self.factory
                    .create_column_writers(self.row_groups)
                    .map_err(perr)?,
                0,
            ),
        };
        if writers.len() != batch.num_columns() {
            return Err(perr(parquet::errors::ParquetError::General(
                "a table with nested columns cannot be spliced".into(),
            )));
        }
        // The columns are encoded and compressed side by side.
        let fields = self.schema.fields();
        writers
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(i, w)| {
                for leaf in compute_leaves(&fields[i], batch.column(i))? {
                    w.write(&leaf)?;
                }
                Ok(())
            })
            .map_err(perr)?;
        self.open = Some((writers, rows + batch.num_rows()));
        if rows + batch.num_rows() >= self.group_rows {
            self.close_open()?;
        }
        Ok(())
    }

    /// Closes the row group [`SplicingWriter::write`] was filling, if any.
    fn close_open(&mut self) -> Result<(), StoreError> {
        let Some((writers, _)) = self.open.take() else {
            return Ok(());
        };
        let perr = parquet_err(&self.path);
        let chunks = writers
            .into_par_iter()
            .map(ArrowColumnWriter::close)
            .collect::<Result<Vec<_>, _>>()
            .map_err(perr)?;
        let mut rg = self.fw.next_row_group().map_err(perr)?;
        for c in chunks {
            c.append_to_row_group(&mut rg).map_err(perr)?;
        }
        rg.close().map_err(perr)?;
        self.row_groups += 1;
        Ok(())
    }

    /// One row group made of row group `source_rg` of the Parquet file `source` (whose schema
    /// is this file's), its columns copied as they are except `replaced` (field name and
    /// new values), which are encoded anew. `offsets` is the source row group's offset index.
    pub fn splice(
        &mut self,
        source: &File,
        source_rg: &RowGroupMetaData,
        offsets: &[OffsetIndexMetaData],
        replaced: &[(&str, ArrayRef)],
    ) -> Result<(), StoreError> {
        self.close_open()?;
        let mut columns = Vec::with_capacity(replaced.len());
        for (name, values) in replaced {
            let i = self
                .schema
                .index_of(name)
                .map_err(|source| StoreError::Arrow {
                    table: "files",
                    source,
                })?;
            columns.push((i, values));
        }
        columns.sort_by_key(|(i, _)| *i);
        let mut chunks = self.encode(&columns)?.into_iter();
        let perr = parquet_err(&self.path);
        let n = self.schema.fields().len();
        if source_rg.num_columns() != n || offsets.len() != n {
            return Err(perr(parquet::errors::ParquetError::General(format!(
                "cannot splice a row group of {} columns into a table of {n}",
                source_rg.num_columns()
            ))));
        }
        let mut rg = self.fw.next_row_group().map_err(perr)?;
        for (i, meta) in source_rg.columns().iter().enumerate() {
            match chunks.next().flatten() {
                Some(c) => c.append_to_row_group(&mut rg).map_err(perr)?,
                None => {
                    let close = ColumnCloseResult {
                        bytes_written: meta.compressed_size() as u64,
                        rows_written: source_rg.num_rows() as u64,
                        metadata: meta.clone(),
                        bloom_filter: None,
                        column_index: None,
                        offset_index: Some(offsets[i].clone()),
                    };
                    rg.append_column(source, close).map_err(perr)?;
                }
            }
        }
        rg.close().map_err(perr)?;
        self.row_groups += 1;
        Ok(())
    }

    /// Writes the footer and syncs the file to disk.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.close_open()?;
        let hashing = self.fw.into_inner().map_err(|source| StoreError::Parquet {
            path: self.path.clone(),
            source,
        })?;
        sealed(&self.file, &self.path, hashing, self.rel, &self.written)
    }
}

/// One Parquet file being written batch by batch.
pub struct TableWriter {
    w: ArrowWriter<Hashing>,
    file: File,
    path: PathBuf,
    flush_each: bool,
    rel: String,
    written: Arc<Mutex<HashMap<String, (u64, String)>>>,
}

impl TableWriter {
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        let perr = |source| StoreError::Parquet {
            path: self.path.clone(),
            source,
        };
        self.w.write(batch).map_err(perr)?;
        if !self.flush_each {
            return Ok(());
        }
        self.w.flush().map_err(|source| StoreError::Parquet {
            path: self.path.clone(),
            source,
        })
    }

    /// Writes the footer and syncs the file to disk.
    pub fn finish(self) -> Result<(), StoreError> {
        let hashing = self.w.into_inner().map_err(|source| StoreError::Parquet {
            path: self.path.clone(),
            source,
        })?;
        sealed(&self.file, &self.path, hashing, self.rel, &self.written)
    }
}

/// A table file whose footer is written: synced to disk, and its size and BLAKE3 (hashed as it
/// was written) recorded as `rel` for the run's manifest.
fn sealed(
    file: &File,
    path: &Path,
    hashing: Hashing,
    rel: String,
    written: &Mutex<HashMap<String, (u64, String)>>,
) -> Result<(), StoreError> {
    file.sync_all().map_err(io(path))?;
    if let Ok(mut w) = written.lock() {
        w.insert(
            rel,
            (
                hashing.hasher.count(),
                hashing.hasher.finalize().to_hex().to_string(),
            ),
        );
    }
    Ok(())
}
