//! Reading a file once: open read-only (with `O_NOATIME` where the kernel permits, so the
//! evidence tree's access times stay as they were), then feed every byte, in order, to the
//! BLAKE3 hasher and to the container parser together. Nothing is read twice.
//!
//! Large files are memory-mapped when there are too few files left to keep the cores busy
//! ([`worth_mapping`]): BLAKE3 then splits a mapped file across the idle threads (rayon's work
//! stealing decides). While the other threads have files of their own, a large file is read
//! like a small one: hashing a read buffer costs less than hashing mapped pages. Smaller files
//! are read with plain `read` calls into a per-thread buffer of 2 MiB: mapping them costs more
//! in page faults than it saves, and reads of 2 MiB cost the kernel less than reads of 256 KiB
//! (measured: [`CHUNK_BYTES`]). Files that cannot be mapped (special file systems) fall back to
//! reads.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::media::{self, Parsed, SNIFF_LEN};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoMode {
    /// Many files at once, one per thread.
    Parallel,
    /// One file at a time, read front to back (spinning disks).
    Sequential,
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub mmap_min_bytes: u64,
    pub chunk_bytes: usize,
    pub use_mmap: bool,
    /// Let BLAKE3 spread one file's hashing over idle threads.
    pub parallel_hash: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            mmap_min_bytes: 64 << 20,
            chunk_bytes: CHUNK_BYTES,
            use_mmap: true,
            parallel_hash: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Mmap,
    Read,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Mmap => "mmap",
            Method::Read => "read",
        }
    }
}

/// Why a file could not be read to the end.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open: {0}")]
    Open(std::io::Error),
    #[error("read failed after {offset} bytes: {source}")]
    Read { offset: u64, source: std::io::Error },
}

/// Whether an error's text (as a `files` row keeps it: [`ReadError`], or the walk's listing and
/// stat errors) says the operating system refused the run access (EACCES or EPERM): a setting
/// of the storage, not a damaged file.
pub fn access_denied(error: &str) -> bool {
    error.contains("(os error 13)") || error.contains("(os error 1)")
}

/// What one pass over a file produced.
#[derive(Debug)]
pub struct FileRead {
    pub blake3: Option<blake3::Hash>,
    pub bytes: u64,
    pub method: Method,
    pub parsed: Option<Parsed>,
    pub error: Option<ReadError>,
    /// Set when size or mtime differed between the open and the end of the read.
    pub changed: Option<String>,
}

/// Bytes a read asks for (`scan.chunk_bytes`): 2,000 recorder files of 2 MiB from the page
/// cache took 0.65 s read 2 MiB at a time against 0.70 s 256 KiB at a time (medians of seven
/// interleaved runs, 2026-12-07; the kernel's time 0.29-0.39 s against 0.39-0.44 s in five
/// runs each with the keyframe stage off): each file in one read.
pub const CHUNK_BYTES: usize = 2 << 20;

/// The slices a mapped file is fed to the hasher and the parser in: large enough for BLAKE3's
/// parallel tree, small enough that the parser sees bytes while they are still in cache.
const MAP_STEP: usize = 4 << 20;

/// Smallest file whose hashing is offered to idle threads.
const PARALLEL_HASH_MIN: usize = 16 << 20;

/// Files up to this size are pre-faulted when mapped (see `read_file`).
const POPULATE_MAX: u64 = 64 << 20;

/// Whether a file at least `mmap_min_bytes` long is worth mapping, when `others` bytes of the
/// files being read besides it are still unread and `threads` threads read them. Mapping spares
/// the kernel's copy, but hashing straight from the page cache's pages costs the processor more
/// than hashing a read buffer the copy has just brought into cache: four 1 GiB files from the
/// page cache hashed in 0.63 s mapped against 0.56 s read 2 MiB at a time (user time 1.08 s
/// against 0.70 s, the kernel's 0.11 s against 0.35 s; 2026-12-07, 2 cores). What a map buys
/// is BLAKE3's tree spread over threads with nothing else to do: one such file alone hashed in
/// 0.20 s mapped against 0.29 s read. So a file is mapped when the others' unread bytes are
/// fewer than half its own for each other thread (the other threads run dry before half of it
/// is hashed and take parts of the rest), or with a single thread (nothing to keep busy: as
/// configured).
pub fn worth_mapping(size: u64, others: u64, threads: usize) -> bool {
    threads <= 1 || others.saturating_mul(2) < size.saturating_mul(threads as u64 - 1)
}

/// The bytes of the files being read that no thread has read yet, shared by the threads
/// reading them (see [`worth_mapping`]).
#[derive(Debug, Default)]
pub struct Backlog(std::sync::atomic::AtomicU64);

impl Backlog {
    /// A new batch of `bytes` to read.
    pub fn set(&self, bytes: u64) {
        self.0.store(bytes, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn left(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// `n` bytes read (or given up on).
    pub fn take(&self, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let _ = self
            .0
            .fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(n)));
    }
}

/// Opens a file of the evidence tree read-only, leaving its access time as it was where the
/// kernel permits (every stage that reads the evidence opens it this way).
pub fn open_noatime(path: &Path) -> std::io::Result<File> {
    // O_NOATIME is refused (EPERM) for files the caller does not own unless privileged.
    match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOATIME)
        .open(path)
    {
        Ok(f) => Ok(f),
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => File::open(path),
        Err(e) => Err(e),
    }
}

/// Fills `buf` as far as the file allows; returns the number of bytes read.
fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads `path` once, hashing and parsing. `ext` is the lower-case extension (for the parser's
/// expectations); `progress` is told each chunk's size; `buf` is the caller's reusable buffer.
pub fn read_file(
    path: &Path,
    ext: &str,
    opts: &ReadOptions,
    buf: &mut Vec<u8>,
    progress: &(dyn Fn(u64) + Sync),
) -> FileRead {
    read_file_upto(path, ext, opts, buf, progress, u64::MAX)
}

/// [`read_file`] of the first `limit` bytes at most: the size the walk found, so that the hash
/// is of the bytes the catalogue's size says even when the file grew since (an upload still
/// writing it; the read then says the file changed). A later run can then tell whether those
/// bytes are still the file's first ones.
pub fn read_file_upto(
    path: &Path,
    ext: &str,
    opts: &ReadOptions,
    buf: &mut Vec<u8>,
    progress: &(dyn Fn(u64) + Sync),
    limit: u64,
) -> FileRead {
    let mut f = match open_noatime(path) {
        Ok(f) => f,
        Err(e) => {
            return FileRead {
                blake3: None,
                bytes: 0,
                method: Method::Read,
                parsed: None,
                error: Some(ReadError::Open(e)),
                changed: None,
            };
        }
    };
    let before = f.metadata().ok();
    let size = before.as_ref().map_or(0, |m| m.len()).min(limit);
    let mut out = None;
    if opts.use_mmap && size >= opts.mmap_min_bytes && size > 0 {
        // SAFETY: the map is read-only and private to this function. If another process
        // truncates the file while it is mapped, touching the lost pages raises SIGBUS and ends
        // the process; the warehouse is only ever replaced by an atomic rename after a complete
        // run, so such a crash loses the run in progress, never the previous catalog. Evidence
        // files are write-once, and `--no-mmap` avoids the risk entirely where that is not so.
        let mut mo = memmap2::MmapOptions::new();
        if size <= POPULATE_MAX {
            // Map every page in one call instead of taking a fault per page.
            mo.populate();
        }
        if let Ok(map) = unsafe { mo.map(&f) } {
            let _ = map.advise(memmap2::Advice::Sequential);
            let upto = usize::try_from(size).unwrap_or(usize::MAX).min(map.len());
            out = Some(hash_mapped(&map[..upto], ext, opts, progress));
        }
    }
    let mut r = match out {
        Some(r) => r,
        None => hash_read(&mut f, ext, opts, buf, progress, limit),
    };
    if let Some(b) = before {
        // fstat on the open descriptor: no second path lookup, same inode we read.
        match f.metadata() {
            Ok(a)
                if a.len() != b.len()
                    || a.mtime() != b.mtime()
                    || a.mtime_nsec() != b.mtime_nsec() =>
            {
                r.changed = Some(format!(
                    "file changed while it was read: size {} -> {} bytes, mtime {}.{:09} -> {}.{:09}",
                    b.len(),
                    a.len(),
                    b.mtime(),
                    b.mtime_nsec(),
                    a.mtime(),
                    a.mtime_nsec()
                ));
            }
            Ok(_) if r.error.is_none() && r.bytes != b.len() => {
                r.changed = Some(format!(
                    "read {} bytes but the file's size is {}",
                    r.bytes,
                    b.len()
                ));
            }
            Err(e) => r.changed = Some(format!("cannot stat the file after reading it: {e}")),
            _ => {}
        }
    }
    r
}

/// Serves the parser's revisits with positioned reads: a few hundred bytes at each of at most
/// [`media::REVISIT_MAX`] places of a file just read (normally still in the page cache). A
/// range that cannot be read is skipped: the parser then knows less, never something wrong.
fn revisit_read(f: &File, sink: &mut dyn media::Sink, buf: &mut [u8]) {
    use std::os::unix::fs::FileExt;
    for (off, len) in media::revisits(sink) {
        let want = (len as usize).min(buf.len());
        let mut got = 0;
        while got < want {
            match f.read_at(&mut buf[got..want], off + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        sink.revisited(off, &buf[..got]);
    }
}

fn hash_mapped(
    map: &[u8],
    ext: &str,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> FileRead {
    let mut hasher = blake3::Hasher::new();
    let mut sink = media::sniff(&map[..map.len().min(SNIFF_LEN)], ext);
    // Splitting a file across threads only pays for large files; small ones are hashed by the
    // thread that reads them while the other threads take other files.
    let split = opts.parallel_hash && map.len() >= PARALLEL_HASH_MIN;
    for piece in map.chunks(MAP_STEP) {
        if split {
            hasher.update_rayon(piece);
        } else {
            hasher.update(piece);
        }
        sink.feed(piece);
        progress(piece.len() as u64);
    }
    let total = map.len() as u64;
    media::revisit_from(map, sink.as_mut());
    FileRead {
        blake3: Some(hasher.finalize()),
        bytes: total,
        method: Method::Mmap,
        parsed: Some(sink.finish(total)),
        error: None,
        changed: None,
    }
}

fn hash_read(
    f: &mut File,
    ext: &str,
    opts: &ReadOptions,
    buf: &mut Vec<u8>,
    progress: &(dyn Fn(u64) + Sync),
    limit: u64,
) -> FileRead {
    let chunk = opts.chunk_bytes.max(SNIFF_LEN);
    if buf.len() < chunk {
        buf.resize(chunk, 0);
    }
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    let mut sink: Option<Box<dyn media::Sink>> = None;
    let error = loop {
        let want = usize::try_from(limit - total).map_or(chunk, |left| left.min(chunk));
        let n = match read_full(f, &mut buf[..want]) {
            Ok(n) => n,
            Err(source) => {
                break Some(ReadError::Read {
                    offset: total,
                    source,
                });
            }
        };
        let data = &buf[..n];
        if sink.is_none() {
            sink = Some(media::sniff(&data[..n.min(SNIFF_LEN)], ext));
        }
        if n == 0 {
            break None;
        }
        if opts.parallel_hash && n >= PARALLEL_HASH_MIN {
            hasher.update_rayon(data);
        } else {
            hasher.update(data);
        }
        if let Some(s) = sink.as_mut() {
            s.feed(data);
        }
        total += n as u64;
        progress(n as u64);
        if n < want || total >= limit {
            break None;
        }
    };
    if error.is_some() {
        return FileRead {
            blake3: None,
            bytes: total,
            method: Method::Read,
            parsed: None,
            error,
            changed: None,
        };
    }
    if let Some(s) = sink.as_mut() {
        if total <= chunk as u64 {
            // The whole file came in one read and is still in the buffer.
            media::revisit_from(&buf[..total as usize], s.as_mut());
        } else {
            revisit_read(f, s.as_mut(), buf);
        }
    }
    let parsed = sink.map(|s| s.finish(total));
    FileRead {
        blake3: Some(hasher.finalize()),
        bytes: total,
        method: Method::Read,
        parsed,
        error: None,
        changed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_file_is_mapped_only_where_its_hashing_can_be_shared() {
        let gib = 1u64 << 30;
        // Alone in its batch, or among files that leave the other thread idle soon: mapped.
        assert!(worth_mapping(gib, 0, 2));
        assert!(worth_mapping(gib, gib / 2 - 1, 2));
        // While the other threads have as much as half of it to read each: read.
        assert!(!worth_mapping(gib, gib / 2, 2));
        assert!(!worth_mapping(gib, 3 * gib, 2));
        assert!(worth_mapping(gib, gib, 4));
        assert!(!worth_mapping(gib, 3 * gib / 2, 4));
        // One thread: as configured.
        assert!(worth_mapping(gib, 3 * gib, 1));
    }

    #[test]
    fn the_backlog_counts_down_to_nothing() {
        let b = Backlog::default();
        b.set(10);
        b.take(4);
        assert_eq!(b.left(), 6);
        b.take(7);
        assert_eq!(b.left(), 0);
        b.set(3);
        assert_eq!(b.left(), 3);
    }
}
