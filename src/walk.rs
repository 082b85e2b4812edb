//! The directory walk: every root, level by level, each level's directories listed in
//! parallel. Nothing is opened for reading here; the walk only lists and `lstat`s, so the
//! read stage knows every file and the total bytes before it starts (for progress and ETA).
//!
//! Symbolic links are not followed unless asked; when they are, each directory is entered at
//! most once (by device and inode), so a link loop can neither hang the walk nor repeat files.
//! Whatever cannot be listed or inspected becomes an entry with its error, never a silent gap.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

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

#[derive(Debug, Clone)]
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
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> Vec<Entry> {
    let visited: Mutex<HashSet<(u64, u64)>> = Mutex::new(HashSet::new());
    let mut out: Vec<Entry> = Vec::new();
    let mut level: Vec<(PathBuf, usize)> = Vec::new();
    for (i, r) in roots.iter().enumerate() {
        match fs::metadata(r) {
            Ok(m) if m.is_dir() => {
                if visit(&visited, m.dev(), m.ino()) {
                    level.push((r.clone(), i));
                }
            }
            Ok(m) if m.is_file() => out.push(Entry::from_meta(r.clone(), i, EntryKind::File, &m)),
            Ok(m) => out.push(Entry::from_meta(
                r.clone(),
                i,
                EntryKind::Special(special_kind(&m.file_type())),
                &m,
            )),
            Err(e) => out.push(Entry::failed(r.clone(), i, EntryKind::Dir, e.to_string())),
        }
    }
    while !level.is_empty() {
        let results: Vec<Listing> = level
            .par_iter()
            .map(|(dir, root)| list_dir(dir, *root, opts, &visited))
            .collect();
        level = Vec::new();
        // Room for the whole level at once: growing by doubling would hold the old and the new
        // buffer together, up to three times the entries.
        out.reserve(results.iter().map(|r| r.0.len()).sum());
        for (entries, dirs) in results {
            out.extend(entries);
            level.extend(dirs);
        }
    }
    out.par_sort_unstable_by(|a, b| {
        a.path
            .as_os_str()
            .as_encoded_bytes()
            .cmp(b.path.as_os_str().as_encoded_bytes())
    });
    out
}

fn visit(visited: &Mutex<HashSet<(u64, u64)>>, dev: u64, ino: u64) -> bool {
    match visited.lock() {
        Ok(mut v) => v.insert((dev, ino)),
        Err(poisoned) => poisoned.into_inner().insert((dev, ino)),
    }
}

/// What listing one directory gives: its entries, and the subdirectories still to list.
type Listing = (Vec<Entry>, Vec<(PathBuf, usize)>);

/// Whether `dir` is one of the directories never entered.
fn skipped(dir: &Path, opts: &WalkOptions) -> bool {
    !opts.skip_dirs.is_empty()
        && fs::symlink_metadata(dir).is_ok_and(|m| opts.skip_dirs.contains(&(m.dev(), m.ino())))
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
    let mut names: Vec<(PathBuf, std::io::Result<fs::FileType>)> = Vec::new();
    for item in rd {
        match item {
            Ok(de) => names.push((de.path(), de.file_type())),
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
    for (path, ft) in names {
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
            if !skipped(&path, opts) {
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
            match fs::symlink_metadata(&path) {
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
