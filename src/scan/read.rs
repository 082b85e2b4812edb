//! Read: every entry to read is opened once, its bytes fed to the hasher and the container
//! parser together ([`crate::read`]), and turned into its `files` row, its `streams` rows and
//! the compact facts that sessions and rules use. Batches are read in parallel and encoded to
//! Parquet on a writer thread while the next batch is read.

use rayon::prelude::*;

use super::osd_rows::OsdRows;
use super::plan::Tree;
use super::row::{Made, RowMaker};
use super::setup::Run;
use super::{FILES_STAGED, Progress, ScanError, Tally};
use crate::catalog::{FileFacts, Interner};
use crate::read::IoMode;
use crate::store::tables::{FileRow, StreamRow};
use crate::store::{self, warehouse::Staging};
use crate::walk::{Entry, EntryKind};

thread_local! {
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What the read stage hands on: how many rows it staged, the keyframe stage's work, and the
/// run's counts so far. It keeps nothing else of the files read: the stages after it read
/// what they need back from the staged rows.
pub(super) struct Read {
    /// The keyframe stage's findings for the files read (row `i` of the staged `files`), filled
    /// in as their jobs end and written beside the staged rows ([`OsdRows`]).
    pub osd: OsdRows,
    /// The keyframes the keyframe stage read, for the `keyframes` table, until they are
    /// written to it ([`super::keyframes::flush_keyframes`]).
    pub keyframes: Vec<crate::store::tables::KeyframeRow>,
    /// The staged `keyframes` table, once rows have been written to it.
    pub keyframes_w: Option<crate::store::warehouse::TableWriter>,
    /// The keyframe stage's work started as files were read.
    pub early: Option<super::keyframes::Early>,
    pub read_rows: usize,
    pub tally: Tally,
    pub interner: Interner,
}

pub(super) fn read_files(
    run: &Run,
    tree: &mut Tree,
    staging: &mut Staging,
    progress: &dyn Progress,
) -> Result<Read, ScanError> {
    let plan = run.plan;
    let backlog = crate::read::Backlog::default();
    let maker = RowMaker {
        plan,
        patterns: &run.patterns,
        tz: run.tz,
        run_id: &run.id,
        progress,
        backlog: &backlog,
    };
    // `files` is staged uncompressed: the analyse stage rewrites it with each file's per-run
    // columns (and compresses it then) once sessions and obligations are known.
    let files_schema = store::files_batch(&[])?.schema();
    let streams_schema = store::streams_batch(&[])?.schema();
    let mut files_w = staging.writer_with("files", FILES_STAGED, files_schema, false)?;
    let mut streams_w = staging.writer("streams", "part-00000.parquet", streams_schema)?;
    let mut out = Read {
        osd: OsdRows::default(),
        keyframes: Vec::new(),
        keyframes_w: None,
        early: super::keyframes::Early::new(run)?,
        read_rows: 0,
        tally: Tally::default(),
        interner: Interner::default(),
    };
    let mut buf = Vec::new();
    let mut spill_error = None;
    let mut flush_error = None;
    // The channel holds one batch, so at most three are ever in memory: the one being read,
    // the one waiting, the one being encoded.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<FileRow>, Vec<StreamRow>)>(1);
    let written: Result<(), ScanError> = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(), ScanError> {
            for (files, streams) in rx {
                files_w.write(&store::files_batch(&files)?)?;
                streams_w.write(&store::streams_batch(&streams)?)?;
            }
            files_w.finish()?;
            streams_w.finish()?;
            Ok(())
        });
        loop {
            let batch = match tree.batch() {
                Ok(b) if b.is_empty() => break,
                Ok(b) => b,
                Err(e) => {
                    spill_error = Some(e);
                    break;
                }
            };
            backlog.set(
                batch
                    .iter()
                    .filter(|e| matches!(e.kind, EntryKind::File) && e.error.is_none())
                    .map(|e| e.size)
                    .sum(),
            );
            // Each file's keyframe work starts as soon as the file is read (its row is the
            // batch's first row plus its place in the batch), from the compact facts taken
            // here and, for a transport stream, the pictures the read saw go past.
            let base = out.read_rows;
            let early = out.early.as_ref();
            let started = |j: usize, e: &Entry, (f, s, ts, seams): Made| {
                if let Some(early) = early {
                    early.start(base + j, &FileFacts::from_row(0, &f), &e.path, ts, seams);
                }
                (f, s)
            };
            let results: Vec<(FileRow, Vec<StreamRow>)> = match plan.io {
                // One read buffer per worker thread for the whole run. Each file is a piece
                // of its own: left to split the batch as it likes, rayon can end a batch with
                // one thread reading a run of files alone while the others wait (seen in a
                // profile; 2 MiB files in batches of 512, the read phase 0.73-0.85 s before,
                // 0.72 s after).
                IoMode::Parallel => run.pool.install(|| {
                    batch
                        .par_iter()
                        .enumerate()
                        .with_max_len(1)
                        .map(|(j, e)| started(j, e, READ_BUF.with_borrow_mut(|b| maker.make(e, b))))
                        .collect()
                }),
                IoMode::Sequential => batch
                    .iter()
                    .enumerate()
                    .map(|(j, e)| started(j, e, maker.make(e, &mut buf)))
                    .collect(),
            };
            let mut files = Vec::with_capacity(results.len());
            let mut streams = Vec::new();
            for (f, s) in results {
                out.tally.add(&f);
                out.read_rows += 1;
                files.push(f);
                streams.extend(s);
            }
            if tx.send((files, streams)).is_err() {
                break; // the writer failed; its error is reported below
            }
            // The keyframe jobs finished so far become their rows' `osd_*` columns now,
            // rather than waiting in their channel until the read ends.
            if let Some(early) = &out.early {
                early.absorb(&mut out.osd, &mut out.keyframes, &mut out.interner);
            }
            if let Err(e) = super::keyframes::flush_keyframes(&mut out, staging, false)
                .and_then(|()| out.osd.flush(out.read_rows, staging))
            {
                flush_error = Some(e);
                break;
            }
        }
        drop(tx);
        writer
            .join()
            .unwrap_or_else(|_| Err(ScanError::WriterPanicked))
    });
    written?;
    if let Some(e) = flush_error {
        return Err(e);
    }
    if let Some(e) = spill_error {
        return Err(ScanError::Spill(run.wh.root().to_path_buf(), e));
    }
    Ok(out)
}
