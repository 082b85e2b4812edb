//! The directory walk: every root, level by level, each level's directories listed in
//! parallel. Nothing is opened for reading here; the walk only lists and `lstat`s, so the
//! read stage knows every file and the total bytes before it starts (for progress and ETA).
//!
//! Symbolic links are not followed unless asked; when they are, each directory is entered at
//! most once (by device and inode), so a link loop can neither hang the walk nor repeat files.
//! Whatever cannot be listed or inspected becomes an entry with its error, never a silent gap.

use std::collections::{HashMap, HashSet};
#[cfg(test)]
use std::ffi::OsStr;
use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::catalog::{pack, unpack};

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("scan root {0} does not exist (is the evidence share mounted?)")]
    Missing(PathBuf),
    #[error("scan root {path} cannot be read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "scan root {0} is an empty directory: if the evidence share is not mounted this would look like every file is gone; pass --allow-empty-root if it really is empty"
    )]
    Empty(PathBuf),
    #[error("{0} scan roots given; a scan takes at most {ROOTS_MAX}")]
    TooManyRoots(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    File,
    /// A symbolic link that was not followed, with its target.
    Symlink(PathBuf),
    /// A directory that could not be listed.
    Dir,
    /// A FIFO, socket or device node: never opened (reading a FIFO would block).
    Special(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: PathBuf,
    /// Index of the root this entry was found under.
    pub root: usize,
    pub kind: EntryKind,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: Option<i64>,
    pub dev: u64,
    pub ino: u64,
    /// Birth (creation) time, microseconds since the epoch, where the file system keeps one.
    pub btime_us: Option<i64>,
    pub error: Option<String>,
}

impl Entry {
    /// The entry's numbers, as [`Walked::meta`] gives them for a kept one.
    pub fn meta(&self) -> Meta {
        Meta {
            size: self.size,
            mtime_ns: self.mtime_ns,
            dev: self.dev,
            ino: self.ino,
            btime_us: self.btime_us,
            root: u32::try_from(self.root).unwrap_or(u32::MAX),
        }
    }

    fn from_meta(path: PathBuf, root: usize, kind: EntryKind, m: &fs::Metadata) -> Self {
        Entry {
            path,
            root,
            kind,
            size: m.len(),
            mtime_ns: Some(
                m.mtime()
                    .saturating_mul(1_000_000_000)
                    .saturating_add(m.mtime_nsec()),
            ),
            dev: m.dev(),
            ino: m.ino(),
            btime_us: m
                .created()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_micros()).ok()),
            error: None,
        }
    }
    fn failed(path: PathBuf, root: usize, kind: EntryKind, error: String) -> Self {
        Entry {
            path,
            root,
            kind,
            size: 0,
            mtime_ns: None,
            dev: 0,
            ino: 0,
            btime_us: None,
            error: Some(error),
        }
    }
}

/// Every entry a walk found, sorted by path (bytewise), kept compact for trees of millions
/// of files: each folder's path once, each entry's name (the path after its folder's `/`) in
/// one arena, each entry's numbers in a fixed-size record that points into both, and the rare
/// parts (a kind other than a regular file, an error) aside. Sorting moves the records only,
/// never the paths. About 56 bytes a file plus its name (a recorder's names are 30-50 bytes,
/// its folders' paths twice that and shared by thousands of files), where a `Vec<Entry>` held
/// some 230 and more, and the whole paths of the walk before this 110 at a million files.
/// Records and names grow in chunks, never by copying ([`Chunks`], [`Names`]).
#[derive(Debug, Default)]
pub struct Walked {
    /// Folders' paths one after another; folder `k` ends at `dir_ends[k]`.
    dirs: Vec<u8>,
    dir_ends: Vec<u64>,
    names: Names,
    recs: Chunks<Rec>,
    /// By the start of the entry's name in `names` (names are never empty, so each entry's
    /// start is its own; it does not move when sorting).
    rare: HashMap<u64, Rare>,
}

/// Entries a chunk of [`Chunks`] holds.
const CHUNK: usize = 1 << 16;

/// A vector kept in chunks of fixed size, grown a chunk at a time and never by copying: a walk
/// of ten million entries in one vector doubling its room would, at its last doubling, hold
/// the old and the new buffer together (twice 470 MB of records).
#[derive(Debug)]
struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunks<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, v: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(c) = self.chunks.last_mut() {
            c.push(v);
            self.len += 1;
        }
    }
}

impl<T> std::ops::Index<usize> for Chunks<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> std::ops::IndexMut<usize> for Chunks<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

/// Bytes of names per chunk of [`Names`] (a name is at most a path, 4,096 bytes on Linux; a
/// longer one gets a chunk of its own).
const NAME_CHUNK: usize = 1 << 20;

/// Entries' names one after another, in chunks (grown without copying, as [`Chunks`]); a
/// name's start is its chunk in the high 32 bits and its offset in the low.
#[derive(Debug, Default)]
struct Names(Vec<Vec<u8>>);

impl Names {
    /// Adds `name` and gives its start.
    fn push(&mut self, name: &[u8]) -> u64 {
        let fits = self
            .0
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= name.len());
        if !fits {
            self.0.push(Vec::with_capacity(NAME_CHUNK.max(name.len())));
        }
        let k = self.0.len() - 1;
        let c = &mut self.0[k];
        let start = ((k as u64) << 32) | c.len() as u64;
        c.extend_from_slice(name);
        start
    }

    /// The `len` bytes from `start` (empty if they are not there, which `push` rules out).
    fn span(&self, start: u64, len: u64) -> &[u8] {
        let (k, at) = (
            (start >> 32) as usize,
            (start & u64::from(u32::MAX)) as usize,
        );
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        self.0
            .get(k)
            .and_then(|c| c.get(at..at.saturating_add(len)))
            .unwrap_or_default()
    }
}

/// An entry whose path has no `/`: its name is the whole path.
const NO_DIR: u32 = u32::MAX;

/// One entry: where its name lies in [`Walked::names`], its folder, and its numbers
/// ([`crate::catalog::MISSING`] for a time not known).
#[derive(Debug, Clone, Copy)]
struct Rec {
    name: u64,
    /// A name is one path component (at most 255 bytes on Linux), or a whole path without `/`.
    name_len: u16,
    root: u16,
    dir: u32,
    size: u64,
    mtime_ns: i64,
    dev: u64,
    ino: u64,
    btime_us: i64,
}

/// The numbers of one walked entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Meta {
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: Option<i64>,
    pub dev: u64,
    pub ino: u64,
    /// Birth (creation) time, microseconds since the epoch, where the file system keeps one.
    pub btime_us: Option<i64>,
    /// Index of the root this entry was found under.
    pub root: u32,
}

/// What only a few entries have: a kind other than a regular file, or an error.
#[derive(Debug)]
struct Rare {
    kind: EntryKind,
    error: Option<String>,
}

static FILE: EntryKind = EntryKind::File;

/// Most roots a walk takes (a record keeps its root's index in 16 bits).
pub const ROOTS_MAX: usize = u16::MAX as usize;

impl Walked {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.len() == 0
    }

    /// A record's folder path (without its trailing `/`) and name: its path is the folder's,
    /// `/`, and the name; or the name alone when there is no folder.
    fn parts(&self, r: &Rec) -> (Option<&[u8]>, &[u8]) {
        let name = self.names.span(r.name, u64::from(r.name_len));
        if r.dir == NO_DIR {
            return (None, name);
        }
        (Some(self.dir(r.dir as usize)), name)
    }

    /// Folder `k`'s path (without its trailing `/`).
    fn dir(&self, k: usize) -> &[u8] {
        let end = self.dir_ends.get(k).copied().unwrap_or(0);
        let start = match k.checked_sub(1) {
            Some(before) => self.dir_ends.get(before).copied().unwrap_or(end),
            None => 0,
        };
        span(&self.dirs, start, end.saturating_sub(start))
    }

    /// Entry `i`'s path, its bytes written into `buf` (cleared first).
    pub fn path_into<'b>(&self, i: usize, buf: &'b mut Vec<u8>) -> &'b [u8] {
        buf.clear();
        let (dir, name) = self.parts(&self.recs[i]);
        if let Some(dir) = dir {
            buf.extend_from_slice(dir);
            buf.push(b'/');
        }
        buf.extend_from_slice(name);
        buf
    }

    /// Entry `i`'s path.
    pub fn path(&self, i: usize) -> PathBuf {
        let mut buf = Vec::new();
        self.path_into(i, &mut buf);
        PathBuf::from(OsString::from_vec(buf))
    }

    pub fn meta(&self, i: usize) -> Meta {
        let r = &self.recs[i];
        Meta {
            size: r.size,
            mtime_ns: unpack(r.mtime_ns),
            dev: r.dev,
            ino: r.ino,
            btime_us: unpack(r.btime_us),
            root: u32::from(r.root),
        }
    }

    pub fn size(&self, i: usize) -> u64 {
        self.recs[i].size
    }

    fn rare(&self, i: usize) -> Option<&Rare> {
        if self.rare.is_empty() {
            return None;
        }
        self.rare.get(&self.recs[i].name)
    }

    pub fn kind(&self, i: usize) -> &EntryKind {
        self.rare(i).map_or(&FILE, |r| &r.kind)
    }

    pub fn error(&self, i: usize) -> Option<&str> {
        self.rare(i).and_then(|r| r.error.as_deref())
    }

    /// Entry `i` as an owned [`Entry`] (for the few entries read at a time).
    pub fn entry(&self, i: usize) -> Entry {
        let m = self.meta(i);
        Entry {
            path: self.path(i),
            root: m.root as usize,
            kind: self.kind(i).clone(),
            size: m.size,
            mtime_ns: m.mtime_ns,
            dev: m.dev,
            ino: m.ino,
            btime_us: m.btime_us,
            error: self.error(i).map(str::to_string),
        }
    }

    /// Adds an entry (in any order: [`Walked::sorted`] sorts them).
    pub fn push(&mut self, e: Entry) {
        let bytes = e.path.as_os_str().as_bytes();
        // The folder is the path before its last `/`; a path ending in `/` (a root given so)
        // or without one is kept whole as its name, so that no name is empty.
        let (dir, name) = match bytes.iter().rposition(|&b| b == b'/') {
            Some(p) if p + 1 < bytes.len() && bytes.len() - p - 1 <= u16::MAX as usize => {
                (Some(&bytes[..p]), &bytes[p + 1..])
            }
            _ => (None, bytes),
        };
        let dir = match dir {
            None => NO_DIR,
            // Entries come a folder's listing at a time: the last folder is nearly always it.
            Some(d) if self.last_dir() == Some(d) => (self.dir_ends.len() - 1) as u32,
            Some(d) if self.dir_ends.len() < NO_DIR as usize => {
                self.dirs.extend_from_slice(d);
                self.dir_ends.push(self.dirs.len() as u64);
                (self.dir_ends.len() - 1) as u32
            }
            Some(_) => NO_DIR,
        };
        let name = if dir == NO_DIR { bytes } else { name };
        let start = self.names.push(name);
        self.recs.push(Rec {
            name: start,
            // A path is at most PATH_MAX (4096) bytes long on Linux.
            name_len: u16::try_from(name.len()).unwrap_or(u16::MAX),
            // `check_roots` refuses more roots than fit.
            root: u16::try_from(e.root).unwrap_or(u16::MAX),
            dir,
            size: e.size,
            mtime_ns: pack(e.mtime_ns),
            dev: e.dev,
            ino: e.ino,
            btime_us: pack(e.btime_us),
        });
        if e.kind != EntryKind::File || e.error.is_some() {
            self.rare.insert(
                start,
                Rare {
                    kind: e.kind,
                    error: e.error,
                },
            );
        }
    }

    fn last_dir(&self) -> Option<&[u8]> {
        let k = self.dir_ends.len().checked_sub(1)?;
        Some(self.dir(k))
    }

    /// Records `a` and `b` in the order of their whole paths' bytes.
    fn cmp_recs(&self, a: &Rec, b: &Rec) -> std::cmp::Ordering {
        let (da, na) = self.parts(a);
        let (db, nb) = self.parts(b);
        if a.dir == b.dir {
            return na.cmp(nb);
        }
        cmp_pieces(&pieces(da, na), &pieces(db, nb))
    }

    /// The same entries sorted by path (bytewise): the records move, the paths stay. Their
    /// order is sorted as indexes (4 bytes an entry), then the records are moved into it in
    /// place ([`crate::permute::gather_in_place`]).
    pub fn sorted(mut self) -> Walked {
        let n = self.recs.len();
        if (1..n).all(|i| self.cmp_recs(&self.recs[i - 1], &self.recs[i]).is_le()) {
            return self;
        }
        // More than 4 billion entries cannot be walked in memory anyway.
        let Ok(n32) = u32::try_from(n) else {
            return self;
        };
        let mut order: Vec<u32> = (0..n32).collect();
        order.par_sort_unstable_by(|&a, &b| {
            self.cmp_recs(&self.recs[a as usize], &self.recs[b as usize])
        });
        crate::permute::gather_in_place(&mut self.recs, n, &order);
        self
    }

    /// Entries as given, in their order (tests of the stages after the walk).
    #[cfg(test)]
    pub(crate) fn from_entries(entries: impl IntoIterator<Item = Entry>) -> Walked {
        let mut w = Walked::default();
        for e in entries {
            w.push(e);
        }
        w
    }
}

/// A sorted walk written out to a scratch file, read back a batch at a time: a first scan reads
/// every entry in path order and needs nothing else of the walk, so the walked tree is not
/// held beside what the read keeps (at ten million files, 1.2 GB). The file is unlinked as
/// soon as it is made: nothing is left behind, even by a killed run.
#[derive(Debug)]
pub struct Spilled {
    file: std::io::BufReader<fs::File>,
    /// Where the file is, for errors (it no longer exists by that name).
    at: PathBuf,
    len: usize,
    left: usize,
    bytes: u64,
}

/// Longest path or text read back from a spilled walk (Linux allows 4,096 bytes a path).
const SPILL_TEXT_MAX: usize = 1 << 16;

impl Walked {
    /// Writes the entries, in their order, to a new scratch file in `dir` and gives them back
    /// from it ([`Spilled::batch`]).
    pub fn spill(self, dir: &Path) -> std::io::Result<Spilled> {
        use std::io::{Seek, Write};
        let at = dir.join(format!(
            ".walk-{}-{}.spill",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&at)?;
        fs::remove_file(&at)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut bytes = 0u64;
        let mut path = Vec::new();
        for i in 0..self.len() {
            let r = &self.recs[i];
            bytes = bytes.saturating_add(r.size);
            self.path_into(i, &mut path);
            w.write_all(&r.root.to_le_bytes())?;
            for n in [
                r.size as i64,
                r.mtime_ns,
                r.dev as i64,
                r.ino as i64,
                r.btime_us,
            ] {
                w.write_all(&n.to_le_bytes())?;
            }
            put_text(&mut w, &path)?;
            match self.rare(i) {
                None => w.write_all(&[0])?,
                Some(rare) => {
                    let (tag, text): (u8, &[u8]) = match &rare.kind {
                        EntryKind::File => (1, b""),
                        EntryKind::Symlink(t) => (2, t.as_os_str().as_bytes()),
                        EntryKind::Dir => (3, b""),
                        EntryKind::Special(k) => (4, k.as_bytes()),
                    };
                    w.write_all(&[tag])?;
                    put_text(&mut w, text)?;
                    match &rare.error {
                        None => w.write_all(&[0])?,
                        Some(e) => {
                            w.write_all(&[1])?;
                            put_text(&mut w, e.as_bytes())?;
                        }
                    }
                }
            }
        }
        let len = self.len();
        drop(self);
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok(Spilled {
            file: std::io::BufReader::with_capacity(1 << 20, file),
            at,
            len,
            left: len,
            bytes,
        })
    }
}

fn put_text(w: &mut impl std::io::Write, text: &[u8]) -> std::io::Result<()> {
    w.write_all(&(text.len() as u32).to_le_bytes())?;
    w.write_all(text)
}

impl Spilled {
    /// Entries spilled.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Their sizes added up.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The next `n` entries (fewer at the end, none after it).
    pub fn batch(&mut self, n: usize) -> std::io::Result<Vec<Entry>> {
        let take = n.min(self.left);
        let mut out = Vec::with_capacity(take);
        for _ in 0..take {
            out.push(self.entry().map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "reading back the walk spilled to {}: {e}",
                        self.at.display()
                    ),
                )
            })?);
        }
        self.left -= take;
        Ok(out)
    }

    fn entry(&mut self) -> std::io::Result<Entry> {
        use std::io::Read;
        let f = &mut self.file;
        let mut root = [0u8; 2];
        f.read_exact(&mut root)?;
        let mut n = [0i64; 5];
        for v in &mut n {
            let mut b = [0u8; 8];
            f.read_exact(&mut b)?;
            *v = i64::from_le_bytes(b);
        }
        let path = PathBuf::from(OsString::from_vec(get_text(f)?));
        let mut tag = [0u8; 1];
        f.read_exact(&mut tag)?;
        let (kind, error) = match tag[0] {
            0 => (EntryKind::File, None),
            t => {
                let text = get_text(f)?;
                let kind = match t {
                    1 => EntryKind::File,
                    2 => EntryKind::Symlink(PathBuf::from(OsString::from_vec(text))),
                    3 => EntryKind::Dir,
                    _ => EntryKind::Special(special_name(&text)),
                };
                let mut has = [0u8; 1];
                f.read_exact(&mut has)?;
                let error = match has[0] {
                    0 => None,
                    _ => Some(String::from_utf8_lossy(&get_text(f)?).into_owned()),
                };
                (kind, error)
            }
        };
        Ok(Entry {
            path,
            root: usize::from(u16::from_le_bytes(root)),
            kind,
            size: n[0] as u64,
            mtime_ns: unpack(n[1]),
            dev: n[2] as u64,
            ino: n[3] as u64,
            btime_us: unpack(n[4]),
            error,
        })
    }
}

fn get_text(f: &mut impl std::io::Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    f.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > SPILL_TEXT_MAX {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a text of {len} bytes"),
        ));
    }
    let mut out = vec![0; len];
    f.read_exact(&mut out)?;
    Ok(out)
}

/// The kind of a storage snapshot folder ([`crate::pathinfo::is_storage_snapshot`]): listed as
/// a row of its own, not entered.
pub const SNAPSHOT: &str = "storage snapshot folder";

/// The kind names [`special_kind`] gives, back from their text.
fn special_name(text: &[u8]) -> &'static str {
    [
        "fifo",
        "socket",
        "block device",
        "character device",
        SNAPSHOT,
    ]
    .into_iter()
    .find(|k| k.as_bytes() == text)
    .unwrap_or("unknown file type")
}

/// A path as its pieces: folder, `/`, name.
fn pieces<'a>(dir: Option<&'a [u8]>, name: &'a [u8]) -> [&'a [u8]; 3] {
    match dir {
        Some(d) => [d, b"/", name],
        None => [name, b"", b""],
    }
}

/// Two byte strings, each given as consecutive pieces, in the order of the strings joined.
fn cmp_pieces(a: &[&[u8]], b: &[&[u8]]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut i, mut at_a, mut j, mut at_b) = (0, 0, 0, 0);
    loop {
        while i < a.len() && at_a == a[i].len() {
            (i, at_a) = (i + 1, 0);
        }
        while j < b.len() && at_b == b[j].len() {
            (j, at_b) = (j + 1, 0);
        }
        let (x, y) = match (a.get(i), b.get(j)) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (&x[at_a..], &y[at_b..]),
        };
        let n = x.len().min(y.len());
        match x[..n].cmp(&y[..n]) {
            Ordering::Equal => (at_a, at_b) = (at_a + n, at_b + n),
            other => return other,
        }
    }
}

/// `len` bytes of `buf` from `start` (empty if they do not fit it, which `push` rules out).
fn span(buf: &[u8], start: u64, len: u64) -> &[u8] {
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    buf.get(start..start.saturating_add(len))
        .unwrap_or_default()
}

#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub follow_symlinks: bool,
    pub allow_empty_root: bool,
    /// Directories never entered, by (device, inode): the warehouse, when it lies inside a
    /// scanned root (its own files change on every run and are not evidence).
    pub skip_dirs: Vec<(u64, u64)>,
}

fn special_kind(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "unknown file type"
    }
}

/// Checks every root before anything is walked: a missing or unmounted root is fatal.
pub fn check_roots(roots: &[PathBuf], opts: &WalkOptions) -> Result<(), WalkError> {
    if roots.len() > ROOTS_MAX {
        return Err(WalkError::TooManyRoots(roots.len()));
    }
    for r in roots {
        let m = match fs::metadata(r) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(WalkError::Missing(r.clone()));
            }
            Err(source) => {
                return Err(WalkError::Unreadable {
                    path: r.clone(),
                    source,
                });
            }
        };
        if m.is_dir() {
            let mut it = fs::read_dir(r).map_err(|source| WalkError::Unreadable {
                path: r.clone(),
                source,
            })?;
            if it.next().is_none() && !opts.allow_empty_root {
                return Err(WalkError::Empty(r.clone()));
            }
        }
    }
    Ok(())
}

/// Lists every entry under `roots`, sorted by path (bytewise). Call [`check_roots`] first.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> Walked {
    let mut out = Walked::default();
    walk_each(roots, opts, |e| out.push(e));
    out.sorted()
}

/// Gives every entry under `roots` to `each`, a folder's listing at a time, in no particular
/// order (the caller keeps what it needs: [`Walked::push`], then [`Walked::sorted`]). Call
/// [`check_roots`] first.
pub fn walk_each(roots: &[PathBuf], opts: &WalkOptions, mut each: impl FnMut(Entry)) {
    let visited: Mutex<HashSet<(u64, u64)>> = Mutex::new(HashSet::new());
    let mut level: Vec<(PathBuf, usize)> = Vec::new();
    for (i, r) in roots.iter().enumerate() {
        match fs::metadata(r) {
            Ok(m) if m.is_dir() => {
                if visit(&visited, m.dev(), m.ino()) {
                    level.push((r.clone(), i));
                }
            }
            Ok(m) if m.is_file() => each(Entry::from_meta(r.clone(), i, EntryKind::File, &m)),
            Ok(m) => each(Entry::from_meta(
                r.clone(),
                i,
                EntryKind::Special(special_kind(&m.file_type())),
                &m,
            )),
            Err(e) => each(Entry::failed(r.clone(), i, EntryKind::Dir, e.to_string())),
        }
    }
    while !level.is_empty() {
        let mut next = Vec::new();
        // A few directories per thread listed side by side at a time: a level of a whole
        // tree's folders listed at once would hold every file of the level as an `Entry`
        // together (a recorder's day folder holds thousands of files).
        for dirs in level.chunks(rayon::current_num_threads().max(1) * 4) {
            let results: Vec<Listing> = dirs
                .par_iter()
                .map(|(dir, root)| list_dir(dir, *root, opts, &visited))
                .collect();
            for (entries, dirs) in results {
                for e in entries {
                    each(e);
                }
                next.extend(dirs);
            }
        }
        level = next;
    }
}

fn visit(visited: &Mutex<HashSet<(u64, u64)>>, dev: u64, ino: u64) -> bool {
    match visited.lock() {
        Ok(mut v) => v.insert((dev, ino)),
        Err(poisoned) => poisoned.into_inner().insert((dev, ino)),
    }
}

/// What listing one directory gives: its entries, and the subdirectories still to list.
type Listing = (Vec<Entry>, Vec<(PathBuf, usize)>);

/// Whether folder `dir` is one of the directories never entered (stat'ed through its parent's
/// handle, as the files are).
fn skipped(dir: &fs::DirEntry, opts: &WalkOptions) -> bool {
    !opts.skip_dirs.is_empty()
        && dir
            .metadata()
            .is_ok_and(|m| opts.skip_dirs.contains(&(m.dev(), m.ino())))
}

fn list_dir(
    dir: &Path,
    root: usize,
    opts: &WalkOptions,
    visited: &Mutex<HashSet<(u64, u64)>>,
) -> Listing {
    let mut entries = Vec::new();
    let mut dirs = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            entries.push(Entry::failed(
                dir.to_path_buf(),
                root,
                EntryKind::Dir,
                format!("cannot list directory: {e}"),
            ));
            return (entries, dirs);
        }
    };
    // Each entry is stat'ed through its folder's open handle (`DirEntry::metadata`: statx
    // relative to the folder, no link followed), not by its full path, which the kernel would
    // resolve from the root again for every file.
    let mut names: Vec<(fs::DirEntry, std::io::Result<fs::FileType>)> = Vec::new();
    for item in rd {
        match item {
            Ok(de) => {
                let ft = de.file_type();
                names.push((de, ft));
            }
            Err(e) => {
                entries.push(Entry::failed(
                    dir.to_path_buf(),
                    root,
                    EntryKind::Dir,
                    format!("error while listing directory: {e}"),
                ));
                break;
            }
        }
    }
    for (de, ft) in names {
        let path = de.path();
        let ft = match ft {
            Ok(ft) => ft,
            Err(e) => {
                entries.push(Entry::failed(
                    path,
                    root,
                    EntryKind::File,
                    format!("cannot read file type: {e}"),
                ));
                continue;
            }
        };
        if ft.is_dir() {
            let snapshot = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(crate::pathinfo::is_storage_snapshot);
            if snapshot {
                // The storage's copies of the tree at earlier times: a row of its own, not
                // entered (read, they would be catalogued again each time they rotate).
                match de.metadata() {
                    Ok(m) => entries.push(Entry::from_meta(
                        path,
                        root,
                        EntryKind::Special(SNAPSHOT),
                        &m,
                    )),
                    Err(e) => entries.push(Entry::failed(
                        path,
                        root,
                        EntryKind::Special(SNAPSHOT),
                        format!("cannot stat: {e}"),
                    )),
                }
            } else if !skipped(&de, opts) {
                dirs.push((path, root));
            }
        } else if ft.is_symlink() {
            let target = fs::read_link(&path).unwrap_or_default();
            if !opts.follow_symlinks {
                match fs::symlink_metadata(&path) {
                    Ok(m) => {
                        let mut e =
                            Entry::from_meta(path, root, EntryKind::Symlink(target.clone()), &m);
                        e.size = 0;
                        entries.push(e);
                    }
                    Err(e) => entries.push(Entry::failed(
                        path,
                        root,
                        EntryKind::Symlink(target),
                        e.to_string(),
                    )),
                }
                continue;
            }
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    if !opts.skip_dirs.contains(&(m.dev(), m.ino())) {
                        dirs.push((path, root));
                    }
                }
                Ok(m) if m.is_file() => {
                    entries.push(Entry::from_meta(path, root, EntryKind::File, &m))
                }
                Ok(m) => entries.push(Entry::from_meta(
                    path,
                    root,
                    EntryKind::Special(special_kind(&m.file_type())),
                    &m,
                )),
                Err(e) => entries.push(Entry::failed(
                    path,
                    root,
                    EntryKind::Symlink(target.clone()),
                    format!(
                        "symbolic link to {} cannot be followed: {e}",
                        target.display()
                    ),
                )),
            }
        } else {
            match de.metadata() {
                Ok(m) if ft.is_file() => {
                    entries.push(Entry::from_meta(path, root, EntryKind::File, &m))
                }
                Ok(m) => entries.push(Entry::from_meta(
                    path,
                    root,
                    EntryKind::Special(special_kind(&ft)),
                    &m,
                )),
                Err(e) => entries.push(Entry::failed(
                    path,
                    root,
                    EntryKind::File,
                    format!("cannot stat: {e}"),
                )),
            }
        }
    }
    // Directories entered through the normal walk are marked too, so a followed link back to
    // one of them is recognised as a repeat.
    if opts.follow_symlinks {
        dirs.retain(|(d, _)| match fs::metadata(d) {
            Ok(m) => visit(visited, m.dev(), m.ino()),
            Err(_) => true,
        });
    }
    (entries, dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &[u8], size: u64) -> Entry {
        Entry {
            path: PathBuf::from(OsStr::from_bytes(path)),
            root: 1,
            kind: EntryKind::File,
            size,
            mtime_ns: Some(size as i64 * 7),
            dev: 3,
            ino: size,
            btime_us: None,
            error: None,
        }
    }

    /// A link not followed, and an entry with a non-UTF-8 name that could not be inspected.
    fn link_and_broken() -> (Entry, Entry) {
        let mut link = file(b"/r/b-link", 2);
        link.kind = EntryKind::Symlink(PathBuf::from("/elsewhere"));
        let mut broken = file(b"/r/a\xff-not-utf8", 1);
        broken.error = Some("cannot stat: gone".into());
        (link, broken)
    }

    #[test]
    fn the_compact_walk_sorts_by_bytes_and_keeps_every_part() {
        let (link, broken) = link_and_broken();
        let entries = vec![
            file(b"/r/c", 3),
            link.clone(),
            broken.clone(),
            file(b"/r/a", 4),
        ];
        let w = Walked::from_entries(entries.clone()).sorted();
        let order: Vec<Vec<u8>> = (0..w.len())
            .map(|i| w.path(i).as_os_str().as_bytes().to_vec())
            .collect();
        assert_eq!(
            order,
            [&b"/r/a"[..], b"/r/a\xff-not-utf8", b"/r/b-link", b"/r/c"]
        );
        // Each entry comes back whole, its rare parts with it.
        for i in 0..w.len() {
            let e = w.entry(i);
            let original = entries.iter().find(|o| o.path == e.path).unwrap();
            assert_eq!(
                (&e.kind, &e.error, e.size, e.mtime_ns, e.ino, e.root, e.dev),
                (
                    &original.kind,
                    &original.error,
                    original.size,
                    original.mtime_ns,
                    original.ino,
                    original.root,
                    original.dev
                )
            );
        }
        assert_eq!(w.error(1), Some("cannot stat: gone"));
        assert!(matches!(w.kind(2), EntryKind::Symlink(_)));
        assert_eq!(w.kind(3), &EntryKind::File);
    }

    #[test]
    fn entries_over_several_chunks_sort_whole() {
        // More entries than a chunk holds, given in descending order with long names, so that
        // sorting moves records across chunks and names fill several name chunks.
        let n = CHUNK * 2 + 77;
        let long = "x".repeat(300);
        let mut entries: Vec<Entry> = (0..n)
            .rev()
            .map(|k| file(format!("/r/d{}/{long}{k:07}", k % 3).as_bytes(), k as u64))
            .collect();
        entries[5].error = Some("odd".into());
        let odd = entries[5].path.clone();
        let w = Walked::from_entries(entries).sorted();
        assert!(w.names.0.len() > 1, "names span chunks");
        assert_eq!(w.len(), n);
        let mut last = Vec::new();
        let mut buf = Vec::new();
        for i in 0..n {
            let p = w.path_into(i, &mut buf).to_vec();
            assert!(p > last, "in order at {i}");
            // Each record still carries its own numbers (the size is its number in the name).
            let k: u64 = std::str::from_utf8(&p[p.len() - 7..])
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(w.size(i), k);
            assert_eq!(w.error(i).is_some(), w.path(i) == odd);
            last = p;
        }
    }

    #[test]
    fn a_spilled_walk_gives_back_every_entry_whole_in_order_in_batches() {
        let (link, broken) = link_and_broken();
        let mut fifo = file(b"/r/q/pipe", 0);
        fifo.kind = EntryKind::Special("fifo");
        let mut dir = file(b"/r/locked", 0);
        dir.kind = EntryKind::Dir;
        dir.error = Some("Permission denied".into());
        dir.mtime_ns = None;
        dir.btime_us = Some(-5);
        let mut entries = vec![file(b"/r/c", 3), link, broken, fifo, dir, file(b"/r/a", 4)];
        entries.extend((0..9).map(|k| file(format!("/r/d/{k}").as_bytes(), 100 + k)));
        let w = Walked::from_entries(entries).sorted();
        let want: Vec<Entry> = (0..w.len()).map(|i| w.entry(i)).collect();
        let t = tempfile::tempdir().unwrap();
        let mut s = w.spill(t.path()).unwrap();
        // Nothing is left in the folder: the file is unlinked as it is made.
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
        assert_eq!(s.len(), want.len());
        assert_eq!(s.bytes(), want.iter().map(|e| e.size).sum::<u64>());
        let mut got = Vec::new();
        loop {
            let b = s.batch(4).unwrap();
            if b.is_empty() {
                break;
            }
            assert!(b.len() <= 4);
            got.extend(b);
        }
        assert_eq!(got, want);
    }

    #[test]
    fn folders_kept_once_give_back_every_path_whole_and_in_byte_order() {
        // Folders that are prefixes of one another's names and of files' names, a folder's
        // files between its subfolders' (`/` sorts after `-` and `.`, before letters), a
        // path without `/`, one ending in `/`, the root folder.
        let mut paths: Vec<&[u8]> = vec![
            b"/r/b/x",
            b"/r/b-x/y",
            b"/r/b.mp4",
            b"/r/b",
            b"/r/bz",
            b"/r/b/x/deeper",
            b"/r/a/b/c\xfe",
            b"/top",
            b"relative",
            b"/r/trailing/",
            b"/r/b/0",
            b"/r/b/x.txt",
        ];
        // Each folder's entries together (as a walk gives them), then shuffled a little.
        let entries: Vec<Entry> = paths.iter().map(|p| file(p, p.len() as u64)).collect();
        let mut again = entries.clone();
        again.reverse();
        for given in [entries, again] {
            let w = Walked::from_entries(given).sorted();
            paths.sort();
            let got: Vec<Vec<u8>> = (0..w.len())
                .map(|i| w.path(i).as_os_str().as_bytes().to_vec())
                .collect();
            assert_eq!(got, paths.iter().map(|p| p.to_vec()).collect::<Vec<_>>());
            for (i, path) in got.iter().enumerate() {
                assert_eq!(w.size(i), path.len() as u64, "{:?}", w.path(i));
            }
        }
    }

    #[test]
    fn a_walk_lists_files_links_and_folders_in_path_order() {
        let t = tempfile::tempdir().unwrap();
        for d in ["b", "a/x", "a/y"] {
            fs::create_dir_all(t.path().join(d)).unwrap();
        }
        for f in ["b/2.mp4", "a/y/1.mp4", "a/x/9.mp4", "top.txt"] {
            fs::write(t.path().join(f), f.as_bytes()).unwrap();
        }
        std::os::unix::fs::symlink("top.txt", t.path().join("a/link")).unwrap();
        let w = walk(&[t.path().to_path_buf()], &WalkOptions::default());
        let rel: Vec<String> = (0..w.len())
            .map(|i| {
                w.path(i)
                    .strip_prefix(t.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            rel,
            ["a/link", "a/x/9.mp4", "a/y/1.mp4", "b/2.mp4", "top.txt"]
        );
        assert!(matches!(w.kind(0), EntryKind::Symlink(_)));
        assert_eq!(w.size(3), 7);
    }
}
