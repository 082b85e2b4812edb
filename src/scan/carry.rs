//! Carry: the rows of files that were not read this run — unchanged since the previous run,
//! or under a root not scanned now — are taken from the previous snapshot. Only their fact
//! columns are decoded here (for sessions and rules); the analyse stage writes their rows
//! again with this run's per-run columns, splicing each previous row group whose every row is
//! carried (its other columns copied byte for byte: [`Carried::pieces`]).

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{Array, BooleanArray, RecordBatch};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::metadata::{PageIndexPolicy, RowGroupMetaData};
use parquet::file::page_index::offset_index::OffsetIndexMetaData;

use super::ScanError;
use super::custody::Custody;
use super::plan::Tree;
use super::setup::Run;
use crate::custody::Action;
use crate::store::prior::{self, Prior};
use crate::store::warehouse::{Staging, TableWriter};
use crate::store::{self, StoreError};

/// Moves the carried paths out of the walked tree (which is freed here, before the analysis,
/// where memory peaks). The carried rows are counted, and their facts read, by the analysis,
/// a part of the catalogue at a time.
pub(super) fn carry(
    run: &Run,
    tree: Tree,
    prior: &Prior,
    custody: &Custody,
) -> Result<Carried, ScanError> {
    let in_scope = |root: &str| run.judged_roots.iter().any(|r| r == root);
    // The previous rows NOT carried, which on a nightly run are few: those read again, and
    // those under a scanned root that were not found (custody recorded each as deleted, or
    // as moved to a new path). Every other previous row is carried, including those under
    // roots not scanned this run.
    let mut not_carried: HashSet<Box<str>> = custody
        .deleted
        .iter()
        .chain(custody.moved_from.values())
        .map(|p| Box::from(p.as_str()))
        .collect();
    for i in 0..tree.entries.len() {
        if tree.actions[i] == Action::Carry {
            continue;
        }
        let path = tree.path(i);
        if prior.files.contains_key(&path) {
            not_carried.insert(Box::from(path));
        }
    }
    drop(tree);
    // Copied (usually none: every root is scanned), so that the previous catalogue's index can
    // be dropped once the custody dates are known.
    let mut out_of_scope: HashSet<Box<str>> = HashSet::new();
    prior.files.each(|path, p| {
        if !in_scope(p.root) {
            out_of_scope.insert(Box::from(path));
        }
    });
    // A path reading other than the previous run's (patterns or zone): the carried rows'
    // path columns are read again from their paths as they are carried.
    let config = &run.plan.config;
    let repath = match &prior.path_reading {
        Some(previous) if *previous != config.path_reading() => Some(run.patterns.clone()),
        _ => None,
    };
    if repath.is_some() {
        run.phase("carried rows' paths to be read again (path patterns or zone changed)");
    }
    let carried = Carried {
        not_carried,
        any: !prior.files.is_empty(),
        previous_rows: prior.files.len(),
        out_of_scope,
        rows: 0,
        repath,
    };
    Ok(carried)
}

/// The rows carried over unread: unchanged files, and files under roots not scanned now.
pub(super) struct Carried {
    /// Paths of the previous catalogue whose rows are not carried (read again, deleted or
    /// moved); every other previous row is.
    not_carried: HashSet<Box<str>>,
    /// Whether the previous catalogue had rows at all.
    pub(super) any: bool,
    /// How many rows the previous catalogue had (the carried rows are at most as many).
    pub previous_rows: usize,
    /// Paths of the previous catalogue under roots not scanned this run (kept as they were).
    pub out_of_scope: HashSet<Box<str>>,
    /// How many `files` rows were carried (they follow the rows read): counted by the
    /// analysis as it reads them.
    pub rows: usize,
    /// This run's path reading, when it differs from the previous run's: every carried row's
    /// path columns are then read again from its path ([`Carried::reread`]), and no row group
    /// is spliced as it was.
    pub repath: Option<crate::pathinfo::PathPatterns>,
}

/// A previous `streams` file with at least this many rows, all carried, is linked rather than
/// rewritten.
const LINK_MIN_ROWS: usize = 10_000;

/// The carried files' `streams` rows still to be written: the previous files that hold some
/// carried rows among others, and the writer of the one file they are filtered into.
pub(super) struct StreamsToRewrite {
    parts: Vec<PathBuf>,
    writer: TableWriter,
}

impl StreamsToRewrite {
    /// Filters the carried rows into the new file (run on its own thread beside the rules).
    pub fn write(mut self, carried: &Carried) -> Result<(), ScanError> {
        let schema = store::streams_batch(&[])?.schema();
        carried.batches(&self.parts, "streams", &schema, |b| {
            self.writer.write(&b)?;
            Ok(())
        })?;
        self.writer.finish()?;
        Ok(())
    }
}

/// Streams of carried files: a previous Parquet file whose rows are all carried and that is
/// big enough is linked as it is (its rows keep the run that read them); the rest are left to
/// [`StreamsToRewrite`], which filters them into one file, so small files do not pile up night
/// after night.
pub(super) fn link_streams(
    prior: &Prior,
    carried: &Carried,
    staging: &mut Staging,
) -> Result<Option<StreamsToRewrite>, ScanError> {
    let link_min_rows = std::env::var("RECAUDIT_TEST_LINK_MIN_ROWS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(LINK_MIN_ROWS)
        .max(1);
    let mut relink = Vec::new();
    let mut rewrite = Vec::new();
    if carried.rows > 0 {
        for part in &prior.streams_parts {
            match carried.all_carried(part)? {
                Some(n) if n >= link_min_rows => relink.push(part.clone()),
                Some(0) => {}
                _ => rewrite.push(part.clone()),
            }
        }
    }
    for (k, part) in relink.iter().enumerate() {
        let to = staging.path_of("streams", &format!("carried-{k:05}.parquet"));
        if std::fs::hard_link(part, &to).is_err() {
            std::fs::copy(part, &to).map_err(|source| StoreError::Io {
                path: to.clone(),
                source,
            })?;
        }
    }
    if rewrite.is_empty() {
        return Ok(None);
    }
    let schema = store::streams_batch(&[])?.schema();
    let writer = staging.writer("streams", "carried-rewritten.parquet", schema)?;
    Ok(Some(StreamsToRewrite {
        parts: rewrite,
        writer,
    }))
}

/// A piece of the carried `files` rows, in their order ([`Carried::pieces`]).
pub(super) enum Piece<'a> {
    /// A whole row group of a previous file, every row carried, in this version's schema: to
    /// be spliced. `offsets` is its offset index.
    Whole {
        source: &'a File,
        group: &'a RowGroupMetaData,
        offsets: &'a [OffsetIndexMetaData],
    },
    /// Rows decoded, cut down to the carried ones and brought to this version's schema.
    Rows(RecordBatch),
    /// Rows decoded from every run of the previous rows and merged into path order
    /// ([`Carried::merged`]), each with its place among the carried rows (`rows`, from 0).
    Merged {
        batch: RecordBatch,
        rows: Vec<usize>,
    },
}

/// Runs of ascending paths in the previous `files` rows past which the carried rows are
/// written again in path order, as one run ([`Carried::merged`]); `RECAUDIT_COMPACT_RUNS`
/// sets another count (the tests set 1). As many small row groups do the same: each night's
/// rows are spliced as their own row group ever after, and a part of the analysis reading
/// back its rows sets up a decompressor for each column of each group it touches (forty
/// nights of 91 new files each made an unchanged rescan of 21,677 files 3.4 times slower).
const COMPACT_RUNS: usize = 8;

fn compact_runs() -> usize {
    std::env::var("RECAUDIT_COMPACT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(COMPACT_RUNS)
}

/// Small row groups the head of a tiered merge may hold ([`head_end`]): the one a full write
/// leaves at its end, and one more.
const HEAD_SMALL_GROUPS: usize = 2;

/// Where a tiered merge's tail begins among the previous rows, or `None` for a merge of
/// every row. The previous parts are read in name order (`carried-*` before `part-*`), and
/// each night writes the rows it read after the rows it carried: the table is its first run
/// (the table as first written, or as last merged whole), then each night's rows, oldest
/// first. Merging only the runs after the first rewrites a few nights' rows, not the table (at
/// a million files a merge of every row made an unchanged night 12.0 s against 8.3-8.4 s).
/// The tail begins at the row group in which the second run begins, so the head's row groups
/// are spliced whole; every row is merged when the tail is a third of the rows or more (it
/// has grown by many nights), when the head holds more than [`HEAD_SMALL_GROUPS`] small row
/// groups (they would never be merged away), or when there is one run.
fn head_end(layout: &prior::FilesLayout) -> Option<u64> {
    let &second = layout.runs.get(1)?;
    let (mut at, mut end, mut small) = (0u64, 0u64, 0usize);
    for &rows in &layout.group_rows {
        if at + rows <= second {
            end = at + rows;
            small += usize::from(rows < prior::SMALL_GROUP_ROWS);
        }
        at += rows;
    }
    let tail = at.saturating_sub(end);
    (end > 0 && tail * 3 < at && small <= HEAD_SMALL_GROUPS).then_some(end)
}

/// One sorted stretch of previous rows being merged: its reader, the batch at hand and where
/// in it, and the carried rows' places.
struct Stream {
    rows: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    /// The stretch's rows, carried or not (from the first pass).
    mask: Vec<bool>,
    /// The next row of the stretch to look at.
    at: usize,
    /// The carried place of the next carried row.
    place: usize,
    /// The batch at hand: its slot among the batches held for the next output, its paths,
    /// and the row in it.
    slot: usize,
    paths: Option<arrow_array::StringArray>,
    row: usize,
}

impl Carried {
    /// The carried rows of the previous `files` parts, in the order [`Carried::batches`] gives
    /// them: a row group whose rows are all carried as a whole (when its file has this
    /// version's schema and an offset index), the rest decoded.
    ///
    /// Each night that reads files leaves its rows as a run of their own after the carried
    /// ones; past [`COMPACT_RUNS`] runs or small row groups (`layout`; `masks`, which previous
    /// rows are carried, by part) the carried rows after the first run are decoded and the runs
    /// merged into path order instead ([`Carried::merged`]; the first run's row groups spliced
    /// first, [`head_end`]; every row where that does not apply), so that the table stays in a
    /// few runs and a part of the analysis reads a stretch of it.
    pub fn pieces(
        &self,
        parts: &[PathBuf],
        schema: &arrow_schema::SchemaRef,
        layout: &prior::FilesLayout,
        masks: &[Vec<bool>],
        mut each: impl FnMut(Piece) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        if !self.any {
            return Ok(());
        }
        let most = compact_runs();
        // Rows from here on are merged (the table's length: none).
        let mut tail_from = u64::MAX;
        if masks.len() == parts.len() && (layout.runs.len() > most || layout.small_groups() > most)
        {
            match head_end(layout) {
                Some(end) => tail_from = end,
                None => return self.merged(parts, schema, &layout.runs, masks, 0, each),
            }
        }
        let table = "files";
        // The first row of the part at hand among the previous rows.
        let mut part_start = 0u64;
        for (p, part) in parts.iter().enumerate() {
            let part_rows = masks.get(p).map(|m| m.len() as u64);
            let this_start = part_start;
            part_start += part_rows.unwrap_or(0);
            if this_start >= tail_from {
                break;
            }
            let perr = |source| StoreError::Parquet {
                path: part.clone(),
                source,
            };
            let file = File::open(part).map_err(|source| StoreError::Io {
                path: part.clone(),
                source,
            })?;
            let meta = ArrowReaderMetadata::load(
                &file,
                ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional),
            )
            .map_err(perr)?;
            let same_schema = meta.schema().fields() == schema.fields();
            let parquet = meta.metadata().clone();
            let reader = |groups: Vec<usize>, columns: Option<&[&str]>| {
                let f = file.try_clone().map_err(|source| StoreError::Io {
                    path: part.clone(),
                    source,
                })?;
                let mut b = ParquetRecordBatchReaderBuilder::new_with_metadata(f, meta.clone())
                    .with_row_groups(groups)
                    .with_batch_size(8192);
                if let Some(cols) = columns {
                    let mask = store::projection(b.parquet_schema(), cols);
                    b = b.with_projection(mask);
                }
                b.build().map_err(perr)
            };
            // Before a merged tail, only the row groups that begin before it (it begins where
            // one does).
            let groups = if tail_from == u64::MAX {
                parquet.num_row_groups()
            } else {
                let mut at = this_start;
                (0..parquet.num_row_groups())
                    .take_while(|&g| {
                        let begins = at;
                        at += parquet.row_group(g).num_rows() as u64;
                        begins < tail_from
                    })
                    .count()
            };
            let offsets = |g: usize| {
                parquet
                    .offset_index()
                    .and_then(|o| o.get(g))
                    .filter(|o| o.len() == parquet.row_group(g).num_columns())
            };
            // Which row groups are carried whole: one pass over the part's paths. None when
            // the carried rows' paths are read again.
            let mut whole: Vec<bool> = (0..groups)
                .map(|g| same_schema && offsets(g).is_some() && self.repath.is_none())
                .collect();
            // With no previous row left behind (a night that read, moved and deleted nothing)
            // every row is carried: no path need be looked at (a row recaudit wrote always
            // has its path).
            if whole.contains(&true) && !self.not_carried.is_empty() {
                let ends: Vec<usize> = (0..groups)
                    .scan(0usize, |end, g| {
                        *end += parquet.row_group(g).num_rows() as usize;
                        Some(*end)
                    })
                    .collect();
                let (mut row, mut g) = (0usize, 0usize);
                for b in reader((0..groups).collect(), Some(&["path"]))? {
                    let b = b.map_err(|source| StoreError::Arrow { table, source })?;
                    let paths = prior::Cols(&b).text("path");
                    for i in 0..b.num_rows() {
                        while g < groups && row >= ends[g] {
                            g += 1;
                        }
                        if g < groups && whole[g] {
                            whole[g] = paths.get(i).is_some_and(|p| self.carries(p));
                        }
                        row += 1;
                    }
                }
            }
            // Row groups in order: each whole one spliced, each run of the others decoded by
            // one reader.
            let mut g = 0;
            while g < groups {
                if whole[g]
                    && let Some(offsets) = offsets(g)
                {
                    each(Piece::Whole {
                        source: &file,
                        group: parquet.row_group(g),
                        offsets,
                    })?;
                    g += 1;
                    continue;
                }
                let run: Vec<usize> = std::iter::once(g)
                    .chain((g + 1..groups).take_while(|&k| !whole[k]))
                    .collect();
                g += run.len();
                // Decoded and cut on a thread of its own while the batch before is encoded.
                let rows = reader(run, None)?;
                let (tx, rx) = std::sync::mpsc::sync_channel::<Result<RecordBatch, ScanError>>(1);
                let decoded = std::thread::scope(|scope| {
                    scope.spawn(move || {
                        for b in rows {
                            let cut = b
                                .map_err(|source| {
                                    ScanError::from(StoreError::Arrow { table, source })
                                })
                                .and_then(|b| self.cut(&b, table))
                                .and_then(|b| match b {
                                    Some(b) => {
                                        Ok(Some(self.reread(store::conform(&b, table, schema)?)?))
                                    }
                                    None => Ok(None),
                                })
                                .transpose();
                            // A closed channel: the receiving side stopped on an error.
                            if let Some(cut) = cut
                                && tx.send(cut).is_err()
                            {
                                break;
                            }
                        }
                    });
                    for b in rx {
                        each(Piece::Rows(b?))?;
                    }
                    Ok::<(), ScanError>(())
                });
                decoded?;
            }
        }
        if tail_from != u64::MAX {
            return self.merged(parts, schema, &layout.runs, masks, tail_from, each);
        }
        Ok(())
    }

    /// The carried rows of every run merged into path order (runs split where a part ends;
    /// rows of one path in run order), in batches of 8,192, each row with its carried place.
    /// Memory: a batch of 1,024 rows of each run and the batches the next output draws on.
    /// Rows before `from` (among the previous rows) are left out: the head a tiered merge
    /// carries as on any night ([`head_end`]); the places go on from its carried rows.
    fn merged(
        &self,
        parts: &[PathBuf],
        schema: &arrow_schema::SchemaRef,
        runs: &[u64],
        masks: &[Vec<bool>],
        from: u64,
        mut each: impl FnMut(Piece) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
        let table = "files";
        let arrow = |source| ScanError::from(StoreError::Arrow { table, source });
        // Stretches: each run cut where a part ends.
        let mut streams: Vec<Stream> = Vec::new();
        let (mut start, mut place) = (0u64, 0usize);
        for (part, mask) in parts.iter().zip(masks) {
            let end = start + mask.len() as u64;
            if end <= from {
                place += mask.iter().filter(|&&c| c).count();
                start = end;
                continue;
            }
            let first = start.max(from);
            if first > start {
                place += mask[..(first - start) as usize]
                    .iter()
                    .filter(|&&c| c)
                    .count();
            }
            let mut cuts: Vec<u64> = runs
                .iter()
                .copied()
                .filter(|&r| r > first && r < end)
                .collect();
            cuts.insert(0, first);
            cuts.push(end);
            for w in cuts.windows(2) {
                let (lo, hi) = ((w[0] - start) as usize, (w[1] - start) as usize);
                if hi <= lo {
                    continue;
                }
                let file = File::open(part).map_err(|source| StoreError::Io {
                    path: part.clone(),
                    source,
                })?;
                let select =
                    RowSelection::from(vec![RowSelector::skip(lo), RowSelector::select(hi - lo)]);
                let rows = ParquetRecordBatchReaderBuilder::try_new(file)
                    .and_then(|b| b.with_row_selection(select).with_batch_size(1024).build())
                    .map_err(|source| StoreError::Parquet {
                        path: part.clone(),
                        source,
                    })?;
                let mask = mask[lo..hi].to_vec();
                let carried_here = mask.iter().filter(|&&c| c).count();
                streams.push(Stream {
                    rows,
                    mask,
                    at: 0,
                    place,
                    slot: 0,
                    paths: None,
                    row: 0,
                });
                place += carried_here;
            }
            start = end;
        }
        let mut held: Vec<RecordBatch> = Vec::new();
        // Brings stream `s` to its next carried row (loading batches as needed); false at its
        // end.
        let next = |st: &mut Stream, held: &mut Vec<RecordBatch>| -> Result<bool, ScanError> {
            loop {
                while st.row < st.paths.as_ref().map_or(0, |p| p.len()) {
                    if st.mask.get(st.at).copied().unwrap_or(false) {
                        return Ok(true);
                    }
                    st.row += 1;
                    st.at += 1;
                }
                let Some(b) = st.rows.next() else {
                    st.paths = None;
                    return Ok(false);
                };
                let b = self.reread(store::conform(&b.map_err(arrow)?, table, schema)?)?;
                let paths = b
                    .column_by_name("path")
                    .and_then(|a| a.as_any().downcast_ref::<arrow_array::StringArray>())
                    .cloned()
                    .ok_or_else(|| {
                        arrow(arrow_schema::ArrowError::SchemaError(
                            "a carried files row without a text path".into(),
                        ))
                    })?;
                st.paths = Some(paths);
                (st.row, st.slot) = (0, held.len());
                held.push(b);
            }
        };
        let mut live: Vec<usize> = Vec::new();
        for (k, st) in streams.iter_mut().enumerate() {
            if next(st, &mut held)? {
                live.push(k);
            }
        }
        fn path_of(st: &Stream) -> &str {
            st.paths.as_ref().map_or("", |p| p.value(st.row))
        }
        let (mut picks, mut places): (Vec<(usize, usize)>, Vec<usize>) = (Vec::new(), Vec::new());
        let mut flush = |picks: &mut Vec<(usize, usize)>,
                         places: &mut Vec<usize>,
                         held: &mut Vec<RecordBatch>,
                         streams: &mut [Stream]|
         -> Result<(), ScanError> {
            if picks.is_empty() {
                return Ok(());
            }
            let refs: Vec<&RecordBatch> = held.iter().collect();
            let batch =
                arrow_select::interleave::interleave_record_batch(&refs, picks).map_err(arrow)?;
            each(Piece::Merged {
                batch,
                rows: std::mem::take(places),
            })?;
            picks.clear();
            // Only the batches at hand stay held.
            let mut kept = Vec::new();
            for st in streams.iter_mut().filter(|st| st.paths.is_some()) {
                kept.push(held[st.slot].clone());
                st.slot = kept.len() - 1;
            }
            *held = kept;
            Ok(())
        };
        while !live.is_empty() {
            // The least path; among equal ones the earlier run's first.
            let mut best = 0;
            for j in 1..live.len() {
                if path_of(&streams[live[j]]) < path_of(&streams[live[best]]) {
                    best = j;
                }
            }
            let k = live[best];
            let st = &mut streams[k];
            picks.push((st.slot, st.row));
            places.push(st.place);
            st.place += 1;
            st.row += 1;
            st.at += 1;
            if !next(st, &mut held)? {
                live.remove(best);
            }
            if picks.len() >= 8192 {
                flush(&mut picks, &mut places, &mut held, &mut streams)?;
            }
        }
        flush(&mut picks, &mut places, &mut held, &mut streams)?;
        Ok(())
    }

    /// `b`, carried `files` rows, with their path columns read again when this run reads
    /// paths otherwise than the previous one ([`read_paths_again`]); else `b` as it is.
    pub(super) fn reread(&self, b: RecordBatch) -> Result<RecordBatch, ScanError> {
        match &self.repath {
            Some(patterns) => read_paths_again(&b, patterns),
            None => Ok(b),
        }
    }

    /// The columns to read of carried rows for `columns`: with `rel_path` when their paths
    /// are read again and some of `columns` come from the path.
    pub(super) fn columns_to_read<'c>(&self, columns: &[&'c str]) -> Vec<&'c str> {
        if self.repath.is_some() && columns.iter().any(|c| store::PATH_COLUMNS.contains(c)) {
            let mut out = columns.to_vec();
            if !out.contains(&"rel_path") {
                out.push("rel_path");
            }
            out
        } else {
            columns.to_vec()
        }
    }

    /// `b` cut down to its carried rows (None when none is).
    fn cut(&self, b: &RecordBatch, table: &'static str) -> Result<Option<RecordBatch>, ScanError> {
        let keep = BooleanArray::from(self.carried_rows(b));
        let b = arrow_select::filter::filter_record_batch(b, &keep)
            .map_err(|source| StoreError::Arrow { table, source })?;
        Ok((b.num_rows() > 0).then_some(b))
    }

    /// Which rows of `b`, a batch of the previous snapshot with its `path` column, are
    /// carried (none without that column).
    pub(super) fn carried_rows(&self, b: &RecordBatch) -> Vec<bool> {
        let paths = prior::Cols(b).text("path");
        (0..b.num_rows())
            .map(|i| paths.get(i).is_some_and(|p| self.carries(p)))
            .collect()
    }

    /// Whether the previous row of `path` is carried.
    fn carries(&self, path: &str) -> bool {
        !self.not_carried.contains(path)
    }

    /// `Some(rows)` when every row of the Parquet file `part` belongs to a carried path.
    pub fn all_carried(&self, part: &Path) -> Result<Option<usize>, ScanError> {
        if self.not_carried.is_empty() {
            // Every previous row is carried (see [`Carried::pieces`]).
            let rows = store::parquet_rows(part)?;
            return Ok(Some(usize::try_from(rows).unwrap_or(usize::MAX)));
        }
        let mut n = 0;
        for b in store::parquet_reader(part, 8192, Some(&["path"]))? {
            let b = b.map_err(|source| StoreError::Arrow {
                table: "streams",
                source,
            })?;
            let paths = prior::Cols(&b).text("path");
            if (0..b.num_rows()).any(|i| paths.get(i).is_none_or(|p| !self.carries(p))) {
                return Ok(None);
            }
            n += b.num_rows();
        }
        Ok(Some(n))
    }

    /// The previous snapshot's batches of `table`, cut down to the carried paths and brought to
    /// this version's schema.
    pub fn batches(
        &self,
        parts: &[PathBuf],
        table: &'static str,
        schema: &arrow_schema::SchemaRef,
        mut each: impl FnMut(RecordBatch) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        if !self.any {
            return Ok(());
        }
        for part in parts {
            for b in store::parquet_reader(part, 8192, None)? {
                let b = b.map_err(|source| StoreError::Arrow { table, source })?;
                if let Some(b) = self.cut(&b, table)? {
                    each(store::conform(&b, table, schema)?)?;
                }
            }
        }
        Ok(())
    }
}

/// A batch of carried `files` rows with its path columns read again from each row's
/// `rel_path` by this run's patterns and zone, as the read stage takes them from a file read
/// ([`super::row`]): for a run whose path reading differs from the previous run's (a pattern
/// added for a recorder's names, another zone, a recaudit whose default patterns read more),
/// so that the carried rows say what the new reading says without their bytes being read
/// again. A batch with a `rel_path` missing, or without path columns, is as it was.
pub(super) fn read_paths_again(
    b: &RecordBatch,
    patterns: &crate::pathinfo::PathPatterns,
) -> Result<RecordBatch, ScanError> {
    let table = "files";
    let rel = prior::Cols(b).text("rel_path");
    // Without a path to read (a column or a value missing), the rows keep what they say.
    if (0..b.num_rows()).any(|i| rel.get(i).is_none()) {
        return Ok(b.clone());
    }
    let facts: Vec<crate::pathinfo::PathFacts> = (0..b.num_rows())
        .map(|i| patterns.extract(rel.get(i).unwrap_or_default()))
        .collect();
    // Only the path columns the batch holds (a projection may hold some), in its own types.
    let schema = b.schema();
    let fresh = store::path_columns(&facts)
        .into_iter()
        .filter_map(|(name, a)| {
            let field = schema.field_with_name(name).ok()?;
            Some(arrow_cast::cast(&a, field.data_type()).map(|a| (name, a)))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| StoreError::Arrow { table, source })?;
    Ok(store::replace_columns(b, table, fresh)?)
}
