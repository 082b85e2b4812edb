//! The path-keyed context tables (`ingest_log`, `media_notes`) joined to a scan's files: each
//! table streamed once, row by row, against an index of the files' paths, keeping only what
//! the tables say of each file (8 bytes a file for the upload times, 12 for the notes, each
//! only when its table has rows). Neither table is held: at ten million lines each they would
//! cost more than everything else a scan keeps per file.
//!
//! A table's row names a file as [`Typed::upload_of`] and [`Typed::note_of`] find it: by its
//! whole path, or by its path below one of the scan's roots. The index holds each file's
//! whole path (as its key), so a row is looked up as it is written and, joined to each root,
//! as a path below that root: the same matches, asked from the other side.

use std::path::Path;

use crate::catalog::{FileFacts, MISSING, Numbered, Sym};
#[cfg(doc)]
use crate::context::Typed;
use crate::context::{ContextError, Note, NoteRow, PathFacts, PathSink, Rebase, read_path_table};
use crate::pathtable::{PathTable, head};

/// What the path-keyed tables say of each file of a scan, by its row: the tables joined to the
/// scan's files as they are read ([`join_paths`]), so that neither table is held. 8 bytes a
/// file for the upload times and 12 for the notes, each only when its table has rows.
#[derive(Debug, Default)]
pub struct Joined {
    /// Earliest upload by row ([`MISSING`] for none).
    upload: Vec<i64>,
    /// Description time of the row's last note ([`MISSING`] for none).
    described: Vec<i64>,
    /// The row's last note: 0 for none, else `1 + (category << 1 | has_text)`, `category` being
    /// 0 for none, else its number in `categories`.
    note: Vec<u32>,
    categories: Numbered<Sym>,
    /// How well the ingest log's lines name the files ([`crate::obligations::LogCover`]).
    pub cover: crate::obligations::LogCover,
    /// How well the media notes' lines name the files.
    pub notes_cover: crate::obligations::LogCover,
}

impl Joined {
    /// Every logged upload read again as UTC ([`crate::obligations::as_utc`]): the log's
    /// times were UTC printed without their zone.
    pub fn uploads_as_utc(&mut self, tz: chrono_tz::Tz) {
        for t in self.upload.iter_mut().filter(|t| **t != MISSING) {
            *t = crate::obligations::as_utc(*t, tz);
        }
    }

    /// The earliest logged upload of row `row`.
    pub fn upload_of(&self, row: usize) -> Option<i64> {
        self.upload.get(row).copied().filter(|&t| t != MISSING)
    }

    /// The last `media_notes` row of row `row`.
    pub fn note_of(&self, row: usize) -> Option<Note> {
        let code = self.note.get(row).copied().filter(|&c| c != 0)? - 1;
        let category = self.categories.get(code >> 1).cloned();
        Some(Note {
            described_at_us: self.described.get(row).copied().filter(|&t| t != MISSING),
            has_text: code & 1 == 1,
            category,
        })
    }
}

/// Joins the path-keyed tables of `dir` to a scan's files, known by their paths' keys in row
/// order (`files`, indexed). A table's row names a file as [`Typed::upload_of`] and
/// [`Typed::note_of`] find it: by its whole path, or by its path below one of `roots` (given
/// without a trailing `/`); the earliest upload counts, and the last note.
pub fn join_paths(
    dir: Option<&Path>,
    tz: chrono_tz::Tz,
    files: &FileIndex,
    roots: &[String],
    prefixes: &[String],
) -> Result<Joined, ContextError> {
    // The two tables fill separate columns: each is read on a thread of its own.
    let sink = || JoinSink {
        files,
        roots,
        out: Joined::default(),
        buf: String::new(),
        hits: Vec::new(),
    };
    let (mut uploads, mut notes) = (sink(), sink());
    let (u, n) = std::thread::scope(|scope| {
        let u = scope.spawn(|| {
            let mut sink = Rebase::new(prefixes, &mut uploads);
            read_path_table(dir, tz, "ingest_log", &mut sink)
        });
        let n = read_path_table(
            dir,
            tz,
            "media_notes",
            &mut Rebase::new(prefixes, &mut notes),
        );
        (u.join(), n)
    });
    u.map_err(|_| ContextError::Panicked("ingest_log"))??;
    n?;
    let mut out = notes.out;
    out.upload = uploads.out.upload;
    out.cover = uploads.out.cover;
    out.cover.files = files.len();
    out.cover.logged = out.upload.iter().filter(|&&t| t != MISSING).count();
    out.notes_cover.files = files.len();
    out.notes_cover.logged = out.note.iter().filter(|&&n| n != 0).count();
    Ok(out)
}

/// A scan's files known by their paths, row by row, for the path-keyed tables to be joined to:
/// each path's key (no text), and the first component of every path (a handful: one or two a
/// root), so that most of a table's rows are looked up in one form, not in each.
#[derive(Debug, Default)]
pub struct FileIndex {
    paths: PathTable<()>,
    /// The earlier paths of records that moved (custody's `moved`, `restored`), by key, each
    /// with the row of the file now: a table names a file where it lay when the line was
    /// written (an upload logged before the recording was filed into its case's folder).
    aliases: PathTable<u32>,
    /// The paths' first components ([`head`]), emptied once there are more than
    /// [`HEADS_MAX`] (`many_heads`: then every form is looked up).
    heads: std::collections::HashSet<Box<str>>,
    many_heads: bool,
}

/// Distinct first components [`FileIndex`] keeps before it stops telling forms apart.
const HEADS_MAX: usize = 64;

/// The most earlier paths a record is known by (a chain of moves is followed no further).
pub(crate) const MOVES_MAX: usize = 16;

impl FileIndex {
    /// Adds the next row's path and gives its key; [`FileIndex::finish`] must be called
    /// before a join.
    pub fn push(&mut self, path: &str) -> u128 {
        let k = crate::pathtable::key(path);
        self.paths.push_key(k, ());
        self.hold_head(head(path));
        k
    }

    /// Makes the file of the row last pushed (whose path's key is `key`) known also by the
    /// paths its record lay at before: `moved_from`, where this run found it moved from, then
    /// back through `moves` (an earlier path's key by the key of the path its record moved
    /// to, from the custody history), at most [`MOVES_MAX`] paths. `heads` must hold the
    /// first components of the paths in `moves` ([`FileIndex::hold_heads`]).
    pub fn alias_moves(
        &mut self,
        key: u128,
        moved_from: Option<&str>,
        moves: &std::collections::HashMap<u128, u128>,
    ) {
        let Some(row) = self.paths.len().checked_sub(1) else {
            return;
        };
        let mut at = key;
        let mut known = 0usize;
        if let Some(from) = moved_from {
            at = crate::pathtable::key(from);
            self.hold_head(head(from));
            self.aliases.push_key(at, row as u32);
            known += 1;
        }
        while known < MOVES_MAX {
            match moves.get(&at) {
                // A record moved away and back again is known by its own path already.
                Some(&earlier) if earlier != key => {
                    self.aliases.push_key(earlier, row as u32);
                    at = earlier;
                    known += 1;
                }
                _ => break,
            }
        }
    }

    /// Holds `heads` among the first components looked up ([`FileIndex::alias_moves`]).
    pub fn hold_heads<'h>(&mut self, heads: impl IntoIterator<Item = &'h str>) {
        for h in heads {
            self.hold_head(h);
        }
    }

    fn hold_head(&mut self, h: &str) {
        if self.many_heads {
            return;
        }
        if self.heads.contains(h) {
            return;
        }
        if self.heads.len() >= HEADS_MAX {
            self.heads = Default::default();
            self.many_heads = true;
            return;
        }
        self.heads.insert(h.into());
    }

    pub fn finish(&mut self) {
        self.paths.finish();
        self.aliases.finish();
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The rows whose path is exactly `path`, then those of the records that lay there.
    fn rows(&self, path: &str) -> impl Iterator<Item = u32> + '_ {
        let held = self.many_heads || self.heads.contains(head(path));
        held.then(|| {
            let k = crate::pathtable::key(path);
            let moved = self.aliases.exact_key(k);
            let moved = moved.filter_map(|a| self.aliases.value(a).copied());
            self.paths.exact_key(k).chain(moved)
        })
        .into_iter()
        .flatten()
    }
}

struct JoinSink<'a> {
    files: &'a FileIndex,
    roots: &'a [String],
    out: Joined,
    buf: String,
    hits: Vec<u32>,
}

impl JoinSink<'_> {
    /// The rows of the files that `path` names: its whole path, or below a root.
    fn hits(&mut self, path: &str) {
        self.hits.clear();
        self.hits.extend(self.files.rows(path));
        for r in self.roots {
            self.buf.clear();
            self.buf.push_str(r);
            self.buf.push('/');
            self.buf.push_str(path);
            self.hits.extend(self.files.rows(&self.buf));
        }
    }
}

impl PathSink for JoinSink<'_> {
    fn upload(&mut self, path: &str, uploaded: Option<i64>) {
        let Some(t) = uploaded else { return };
        self.out.cover.lines += 1;
        self.hits(path);
        if self.hits.is_empty() {
            self.out.cover.unnamed += 1;
            return;
        }
        if self.out.upload.is_empty() {
            self.out.upload = vec![MISSING; self.files.len()];
        }
        for &row in &self.hits {
            let u = &mut self.out.upload[row as usize];
            if *u == MISSING || t < *u {
                *u = t;
            }
        }
    }

    fn note(&mut self, path: &str, row: NoteRow<'_>) {
        self.out.notes_cover.lines += 1;
        self.hits(path);
        if self.hits.is_empty() {
            self.out.notes_cover.unnamed += 1;
            return;
        }
        if self.out.note.is_empty() {
            self.out.note = vec![0; self.files.len()];
            self.out.described = vec![MISSING; self.files.len()];
        }
        let cat = row
            .category
            .map_or(0, |c| self.out.categories.number_of(c, |c| Sym::from(c)));
        let code = 1 + ((cat << 1) | u32::from(row.has_text));
        for &at in &self.hits {
            self.out.note[at as usize] = code;
            self.out.described[at as usize] = row.described.unwrap_or(MISSING);
        }
    }
}

/// [`Joined`] for one part of a scan's files: fact `i` of the part is row `rows[i]` of the scan.
pub struct PartPaths<'a> {
    pub joined: &'a Joined,
    pub rows: &'a [u32],
}

impl PathFacts for PartPaths<'_> {
    fn upload_of(&self, f: &FileFacts) -> Option<i64> {
        let row = *self.rows.get(f.row)?;
        self.joined.upload_of(row as usize)
    }
    fn note_of(&self, f: &FileFacts) -> Option<Note> {
        let row = *self.rows.get(f.row)?;
        self.joined.note_of(row as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of `files`, a row each in their order.
    fn index_of(files: &[&str]) -> FileIndex {
        let mut index = FileIndex::default();
        for f in files {
            index.push(f);
        }
        index.finish();
        index
    }

    /// Holds the scan's join (`joined`, a row each of `files` in their order) and the held
    /// tables (`typed`, a province's) to one answer for every file; gives how many files have
    /// an upload and how many a note.
    fn held_as_joined(
        joined: &Joined,
        typed: &crate::context::Typed,
        files: &[&str],
    ) -> (usize, usize) {
        let rows: Vec<u32> = (0..files.len() as u32).collect();
        let part = PartPaths {
            joined,
            rows: &rows,
        };
        let (mut uploads, mut notes) = (0, 0);
        for (row, path) in files.iter().enumerate() {
            let f = FileFacts {
                row,
                path: (*path).into(),
                ..FileFacts::default()
            };
            assert_eq!(part.upload_of(&f), typed.upload_of(path), "{path}");
            assert_eq!(part.note_of(&f), typed.note_of(path).cloned(), "{path}");
            uploads += usize::from(part.upload_of(&f).is_some());
            notes += usize::from(part.note_of(&f).is_some());
        }
        (uploads, notes)
    }

    /// Lines written by an upload station that saw the roots under another name (a Windows
    /// drive or share, another mount) are read below the roots when a prefix says so; others
    /// stay as written, and a prefix matches whole components only.
    #[test]
    fn a_stations_own_names_for_the_roots_are_read_below_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ingest_log.csv"),
            "path,uploaded\n\
             d:\\证据\\一大队\\DSJ1\\a.MP4,2026-03-12 09:00:00\n\
             \\\\10.0.0.5\\evidence\\一大队\\DSJ1\\b.MP4,2026-03-12 09:01:00\n\
             /mnt/nas/evidence/二大队/DSJ2/c.MP4,2026-03-12 09:02:00\n\
             /mnt/nas/evidence-old/二大队/DSJ2/d.MP4,2026-03-12 09:03:00\n\
             /ev/二大队/DSJ2/e.MP4,2026-03-12 09:04:00\n",
        )
        .unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let files = [
            "/ev/一大队/DSJ1/a.MP4",
            "/ev/一大队/DSJ1/b.MP4",
            "/ev/二大队/DSJ2/c.MP4",
            "/ev/二大队/DSJ2/d.MP4",
            "/ev/二大队/DSJ2/e.MP4",
        ];
        let index = index_of(&files);
        let roots = ["/ev".to_string()];
        let prefixes = [
            "D:\\证据".to_string(),
            "\\\\10.0.0.5\\evidence\\".to_string(),
            "/mnt/nas/evidence".to_string(),
        ];
        let joined = join_paths(Some(dir.path()), tz, &index, &roots, &prefixes).unwrap();
        let at = |m: u32| crate::context::parse_time(&format!("2026-03-12 09:{m:02}:00"), tz);
        let got: Vec<Option<i64>> = (0..files.len()).map(|r| joined.upload_of(r)).collect();
        assert_eq!(got, [at(0), at(1), at(2), None, at(4)]);
        // The held tables read the same lines alike (a province's analysis).
        let mut typed = crate::context::load_typed(Some(dir.path()), tz, &prefixes).unwrap();
        typed.anchor(&roots);
        let held: Vec<Option<i64>> = files.iter().map(|f| typed.upload_of(f)).collect();
        assert_eq!(held, got);
        // Without the prefixes, only the line written as the scan sees it.
        let bare = join_paths(Some(dir.path()), tz, &index, &roots, &[]).unwrap();
        let got: Vec<Option<i64>> = (0..files.len()).map(|r| bare.upload_of(r)).collect();
        assert_eq!(got, [None, None, None, None, at(4)]);
    }

    /// A province's held tables find a moved record by its earlier paths as the scan's join
    /// does: the same uploads and notes, a relative line under an earlier path included.
    #[test]
    fn the_held_tables_know_a_moved_record_as_the_join_does() {
        use crate::pathtable::key;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ingest_log.csv"),
            "path,uploaded\n\
             一大队/DSJ1/a.MP4,2026-03-12 09:00:00\n\
             /ev/case/b.MP4,2026-03-12 09:01:00\n\
             /ev/c.MP4,2026-03-12 09:02:00\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("media_notes.csv"),
            "path,category,description,described_at\n\
             一大队/DSJ1/a.MP4,现场检查,first,2026-03-13 08:00:00\n",
        )
        .unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let roots = vec!["/ev".to_string()];
        // a: moved twice (device folder, case, archive); b: once; c: never.
        let moved = [
            ("/ev/case/a.MP4", "/ev/一大队/DSJ1/a.MP4"),
            ("/ev/archive/a.MP4", "/ev/case/a.MP4"),
            ("/ev/archive/b.MP4", "/ev/case/b.MP4"),
        ];
        let files = ["/ev/archive/a.MP4", "/ev/archive/b.MP4", "/ev/c.MP4"];
        let keys: std::collections::HashMap<u128, u128> = moved
            .iter()
            .map(|(to, from)| (key(to), key(from)))
            .collect();
        let mut index = FileIndex::default();
        for f in files {
            let k = index.push(f);
            index.alias_moves(k, None, &keys);
        }
        index.finish();
        let joined = join_paths(Some(dir.path()), tz, &index, &roots, &[]).unwrap();
        let mut typed = crate::context::load_typed(Some(dir.path()), tz, &[]).unwrap();
        typed.anchor(&roots);
        typed.moves = moved
            .iter()
            .map(|(to, from)| ((*to).into(), (*from).into()))
            .collect();
        assert_eq!(held_as_joined(&joined, &typed, &files), (3, 1));
        assert!(typed.note_of("/ev/archive/a.MP4").is_some());
        // Without the moves, the held tables know only the file that never moved.
        typed.moves.clear();
        let bare: Vec<bool> = files.iter().map(|f| typed.upload_of(f).is_some()).collect();
        assert_eq!(bare, [false, false, true]);
    }

    /// A record moved is found by the paths it lay at, back through the history's moves;
    /// a record moved away and back, and a loop of moves, end the chain.
    #[test]
    fn a_moved_record_is_known_by_the_paths_it_lay_at() {
        use crate::pathtable::key;
        let mut moves = std::collections::HashMap::new();
        // /ev/a -> /ev/case/a -> /ev/archive/a (history), then tonight /ev/archive/a -> /ev/x/a.
        moves.insert(key("/ev/case/a"), key("/ev/a"));
        moves.insert(key("/ev/archive/a"), key("/ev/case/a"));
        // A loop: /ev/p and /ev/q moved onto each other.
        moves.insert(key("/ev/p"), key("/ev/q"));
        moves.insert(key("/ev/q"), key("/ev/p"));
        let mut index = FileIndex::default();
        let k = index.push("/ev/x/a");
        index.alias_moves(k, Some("/ev/archive/a"), &moves);
        let k = index.push("/ev/p");
        index.alias_moves(k, None, &moves);
        let k = index.push("/ev/other");
        index.alias_moves(k, None, &moves);
        index.finish();
        let rows = |p: &str| index.rows(p).collect::<Vec<u32>>();
        for p in ["/ev/x/a", "/ev/archive/a", "/ev/case/a", "/ev/a"] {
            assert_eq!(rows(p), [0], "{p}");
        }
        assert_eq!(rows("/ev/p"), [1]);
        assert_eq!(rows("/ev/q"), [1]);
        assert_eq!(rows("/ev/other"), [2]);
        assert!(rows("/ev/b").is_empty());
    }

    /// Every file's upload and note as the join gives them equal what the held tables give
    /// (absolute and relative rows, repeated paths, two roots, rows naming no file, a path
    /// that is relative itself).
    #[test]
    fn the_join_says_of_each_file_what_the_held_tables_say() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ingest_log.csv"),
            "path,uploaded\n\
             u/d/a.MP4,2026-03-12 09:00:00\n\
             /ev/u/d/a.MP4,2026-03-12 08:00:00\n\
             u/d/a.MP4,2026-03-12 10:00:00\n\
             u/d/b.MP4,\n\
             x/c.MP4,2026-03-13 07:00:00\n\
             rel/tree/f.MP4,2026-03-14 07:00:00\n\
             gone/z.MP4,2026-03-14 07:00:00\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("media_notes.csv"),
            "path,category,description,described_at\n\
             u/d/a.MP4,现场检查,first,2026-03-13 08:00:00\n\
             /ev/u/d/a.MP4,,,\n\
             u/d/b.MP4,告知权利义务,,2026-03-13 09:00:00\n\
             /ev/u/d/b.MP4,现场检查,second,\n\
             x/c.MP4,,words,2026-03-15 01:00:00\n\
             f.MP4,现场检查,,\n",
        )
        .unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let roots = vec![
            "/ev".to_string(),
            "/other".to_string(),
            "rel/tree".to_string(),
        ];
        let files = [
            "/ev/u/d/a.MP4",
            "/ev/u/d/b.MP4",
            "/other/x/c.MP4",
            "/ev/x/c.MP4",
            "rel/tree/f.MP4",
            "/ev/u/d/none.MP4",
        ];
        let mut typed = crate::context::load_typed(Some(dir.path()), tz, &[]).unwrap();
        typed.anchor(&roots);
        let joined =
            join_paths(Some(dir.path()), tz, &index_of(&files), &typed.roots, &[]).unwrap();
        // Not vacuous: most files have both, the earliest upload is the absolute row's.
        let (uploads, notes) = held_as_joined(&joined, &typed, &files);
        assert_eq!(uploads + notes, 9);
        // a.MP4, row 0.
        let eight = crate::context::parse_time("2026-03-12 08:00:00", tz);
        assert_eq!(joined.upload_of(0), eight);
        // The last note row of a.MP4 is the absolute one: no text.
        assert_eq!(joined.note_of(0).map(|n| n.has_text), Some(false));
    }

    #[test]
    fn a_path_is_looked_up_only_in_the_forms_a_file_has() {
        assert_eq!(head("/ev/u/a.MP4"), "/ev");
        assert_eq!(head("tree/u/a.MP4"), "tree");
        assert_eq!(head("a.MP4"), "a.MP4");
        assert_eq!(head("/a.MP4"), "/a.MP4");
        let mut index = FileIndex::default();
        index.push("/ev/u/a.MP4");
        index.push("/ev2/u/a.MP4");
        index.finish();
        assert_eq!(index.rows("/ev/u/a.MP4").collect::<Vec<_>>(), vec![0]);
        assert_eq!(index.rows("/ev2/u/a.MP4").collect::<Vec<_>>(), vec![1]);
        assert_eq!(index.rows("/ev3/u/a.MP4").count(), 0);
        assert_eq!(index.rows("u/a.MP4").count(), 0);
        // Past the bound of first components, every form is looked up (and still found).
        let mut many = FileIndex::default();
        for k in 0..=HEADS_MAX {
            many.push(&format!("/r{k}/a.MP4"));
        }
        many.finish();
        assert!(many.many_heads && many.heads.is_empty());
        assert_eq!(
            many.rows(&format!("/r{HEADS_MAX}/a.MP4"))
                .collect::<Vec<_>>(),
            vec![HEADS_MAX as u32]
        );
        assert_eq!(many.rows("/r0/a.MP4").collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn no_tables_give_nothing_for_any_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = FileIndex::default();
        index.push("/ev/a.MP4");
        index.finish();
        let joined = join_paths(
            Some(dir.path()),
            chrono_tz::Asia::Shanghai,
            &index,
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(joined.upload_of(0), None);
        assert_eq!(joined.note_of(0), None);
        assert!(joined.upload.is_empty() && joined.note.is_empty());
    }
}
