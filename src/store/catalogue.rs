//! The previous run's files as a compact index sorted by path: what each nightly run compares
//! the walked tree against ([`super::prior::Prior::files`]).
//!
//! A million files must take little memory here, since the index lives through the walk and
//! the read: the paths are front-coded in one buffer (a sorted tree's paths share most of
//! their bytes: 19 bytes a path are left of 102 on a `recaudit sample` tree), every hash kept
//! as its 32 bytes in one column ([`Content`]; not the 64 characters of its text), the numbers
//! in one column each, and the few distinct roots, device ids, retention classes, file systems
//! and custody times (run starts, keep-until days) numbered once: about 84 bytes a file by its
//! layout plus its path's rest. Lookups binary-search the blocks' whole paths, then read at
//! most 15 more.

use std::collections::HashMap;

use crate::catalog::{Numbered, Sym, pack, unpack};

/// One file of the previous catalogue, as it is built (loading, tests).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriorRow {
    pub root: Sym,
    pub size_bytes: i64,
    pub mtime_us: Option<i64>,
    pub fs_dev: Option<i64>,
    pub fs_inode: Option<i64>,
    pub blake3: Option<Box<str>>,
    pub first_seen_us: Option<i64>,
    pub last_verified_us: Option<i64>,
    pub device_id: Option<Sym>,
    pub retention_class: Option<Sym>,
    pub keep_until_us: Option<i64>,
    /// Read last time cut short (`files.status` `truncated`): an upload still going on, or a
    /// recording cut off.
    pub cut_short: bool,
}

/// A file's content hash as the catalogue keeps it: the 32 bytes that the `files.blake3` text's
/// 64 lower-case hex digits spell (half the text's size, and no offset beside it), or, for a
/// text of any other form (none that recaudit writes), the text as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Content<'a> {
    Digest([u8; 32]),
    Text(&'a str),
}

impl<'a> Content<'a> {
    /// `text` as a digest when it is 64 lower-case hex digits (the all-zero one excepted: it
    /// marks a file without a hash in the index), else as text.
    pub fn of(text: &'a str) -> Content<'a> {
        let b = text.as_bytes();
        if b.len() != 64 {
            return Content::Text(text);
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut d = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(h), Some(l)) => d[i] = (h << 4) | l,
                _ => return Content::Text(text),
            }
        }
        if d == NO_DIGEST {
            return Content::Text(text);
        }
        Content::Digest(d)
    }
}

impl std::fmt::Display for Content<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Digest(d) => d.iter().try_for_each(|b| write!(f, "{b:02x}")),
            Content::Text(t) => f.write_str(t),
        }
    }
}

/// In [`PriorFiles::digests`], a file without a hash (or with one kept as text).
const NO_DIGEST: [u8; 32] = [0; 32];

/// One file of the previous catalogue, as read from the index (borrowing its text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriorFile<'a> {
    pub root: &'a str,
    pub size_bytes: i64,
    pub mtime_us: Option<i64>,
    pub fs_dev: Option<i64>,
    pub fs_inode: Option<i64>,
    pub blake3: Option<Content<'a>>,
    pub first_seen_us: Option<i64>,
    pub last_verified_us: Option<i64>,
    pub device_id: Option<&'a str>,
    pub retention_class: Option<&'a str>,
    pub keep_until_us: Option<i64>,
    /// Read last time cut short ([`PriorRow::cut_short`]).
    pub cut_short: bool,
}

/// Paths in byte order, front-coded: each stored as the length of the start it shares with
/// the path before it and the rest of its bytes (a tree's sorted paths share most of their
/// bytes: device, day and file-name prefix), every [`BLOCK`]th path in full, so that a lookup
/// binary-searches the full ones and reads at most `BLOCK - 1` more.
#[derive(Debug, Default)]
struct Sorted {
    /// Per path: shared length and rest length (LEB128), then the rest.
    bytes: Vec<u8>,
    /// Where each block's first path (stored in full) starts in `bytes`.
    blocks: Vec<u64>,
    len: usize,
    /// The last path pushed, in full.
    last: Vec<u8>,
}

/// Paths per block of [`Sorted`].
const BLOCK: usize = 16;

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A length written by [`put_len`] at `*at`, which moves past it. The bytes are the index's
/// own (never read from a file), so they are well formed.
fn get_len(bytes: &[u8], at: &mut usize) -> usize {
    let (mut n, mut shift) = (0usize, 0);
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    n
}

impl Sorted {
    /// Appends `path`, which sorts after every path pushed before.
    fn push(&mut self, path: &[u8]) {
        let shared = if self.len.is_multiple_of(BLOCK) {
            self.blocks.push(self.bytes.len() as u64);
            0
        } else {
            self.last
                .iter()
                .zip(path)
                .take_while(|(a, b)| a == b)
                .count()
        };
        put_len(&mut self.bytes, shared);
        put_len(&mut self.bytes, path.len() - shared);
        self.bytes.extend_from_slice(&path[shared..]);
        self.last.clear();
        self.last.extend_from_slice(path);
        self.len += 1;
    }

    fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.blocks.shrink_to_fit();
        self.last = Vec::new();
    }

    /// The first path of block `b` (stored whole).
    fn head(&self, b: usize) -> &[u8] {
        let mut at = self.blocks[b] as usize;
        let _shared = get_len(&self.bytes, &mut at);
        let n = get_len(&self.bytes, &mut at);
        self.bytes.get(at..at + n).unwrap_or_default()
    }

    /// Calls `each` with the index and bytes of every path from block `b`'s first on, in
    /// order, until it returns false.
    fn walk_from(&self, b: usize, mut each: impl FnMut(usize, &[u8]) -> bool) {
        let mut r = self.reader(b);
        let mut i = b * BLOCK;
        while let Some(p) = r.next() {
            if !each(i, p) {
                return;
            }
            i += 1;
        }
    }

    /// The paths from block `b`'s first on, one at a time.
    fn reader(&self, b: usize) -> Reader<'_> {
        Reader {
            bytes: &self.bytes,
            at: self.blocks.get(b).map_or(self.bytes.len(), |&o| o as usize),
            buf: Vec::new(),
        }
    }

    fn position(&self, path: &[u8]) -> Option<usize> {
        // The last block whose first path is not after `path`.
        let (mut lo, mut hi) = (0, self.blocks.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.head(mid) <= path {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let b = lo.checked_sub(1)?;
        let mut found = None;
        self.walk_from(b, |i, p| {
            if i >= (b + 1) * BLOCK || p > path {
                return false;
            }
            if p == path {
                found = Some(i);
                return false;
            }
            true
        });
        found
    }
}

/// Reads a [`Sorted`]'s paths in order.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    buf: Vec<u8>,
}

impl Reader<'_> {
    fn next(&mut self) -> Option<&[u8]> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let shared = get_len(self.bytes, &mut self.at);
        let n = get_len(self.bytes, &mut self.at);
        self.buf.truncate(shared);
        self.buf
            .extend_from_slice(self.bytes.get(self.at..self.at + n).unwrap_or_default());
        self.at += n;
        Some(&self.buf)
    }
}

/// The previous catalogue's files, sorted by path.
#[derive(Debug, Default)]
pub struct PriorFiles {
    paths: Sorted,
    /// Each file's hash ([`NO_DIGEST`] for none, or one kept in `odd`).
    digests: Vec<[u8; 32]>,
    /// Hashes not of the usual form, by row.
    odd: HashMap<u32, Box<str>>,
    size: Vec<i64>,
    /// mtime and fs_inode ([`crate::catalog::MISSING`] when missing).
    numbers: Vec<[i64; 2]>,
    /// first_seen, last_verified and keep_until, as numbers into `times` (0: none): the first
    /// two are the start times of the runs that saw and verified the file, the last a day, so
    /// a catalogue holds few distinct ones. (`last_seen` is not kept: nothing compares it; a
    /// carried row keeps its own in `files`.)
    times_of: Vec<[u32; 3]>,
    times: Vec<i64>,
    /// Each file's file system (`fs_dev`), as a number into `devs` (0: none): a tree lies on
    /// a few.
    dev_of: Vec<u32>,
    devs: Vec<i64>,
    /// Root, device id and retention class of each file, as numbers into `names` (0: none).
    names_of: Vec<[u32; 3]>,
    names: Vec<Sym>,
    /// The rows read cut short last time (few in any catalogue).
    cut_short: std::collections::HashSet<u32>,
}

impl PriorFiles {
    pub fn len(&self) -> usize {
        self.paths.len
    }

    pub fn is_empty(&self) -> bool {
        self.paths.len == 0
    }

    fn position(&self, path: &str) -> Option<usize> {
        self.paths.position(path.as_bytes())
    }

    /// Whether any row was read cut short last time ([`PriorRow::cut_short`]).
    pub fn any_cut_short(&self) -> bool {
        !self.cut_short.is_empty()
    }

    pub fn contains_key(&self, path: &str) -> bool {
        self.position(path).is_some()
    }

    pub fn get(&self, path: &str) -> Option<PriorFile<'_>> {
        self.position(path).map(|i| self.at(i))
    }

    /// The row of `path` (rows are in path order) and its file.
    pub fn get_row(&self, path: &str) -> Option<(usize, PriorFile<'_>)> {
        self.position(path).map(|i| (i, self.at(i)))
    }

    fn at(&self, i: usize) -> PriorFile<'_> {
        let [mtime, ino] = self.numbers[i];
        let time = |k: usize| match self.times_of[i][k] as usize {
            0 => None,
            t => self.times.get(t - 1).copied(),
        };
        let dev = match self.dev_of[i] as usize {
            0 => None,
            k => self.devs.get(k - 1).copied(),
        };
        let name = |k: usize| -> Option<&str> {
            let n = self.names_of[i][k] as usize;
            (n > 0).then(|| self.names.get(n - 1).map_or("", |s| &**s))
        };
        let hash = match &self.digests[i] {
            d if *d != NO_DIGEST => Some(Content::Digest(*d)),
            _ if self.odd.is_empty() => None,
            _ => self.odd.get(&(i as u32)).map(|t| Content::Text(t)),
        };
        PriorFile {
            root: name(0).unwrap_or(""),
            size_bytes: self.size[i],
            mtime_us: unpack(mtime),
            fs_dev: dev,
            fs_inode: unpack(ino),
            blake3: hash,
            first_seen_us: time(0),
            last_verified_us: time(1),
            device_id: name(1),
            retention_class: name(2),
            keep_until_us: time(2),
            cut_short: !self.cut_short.is_empty() && self.cut_short.contains(&(i as u32)),
        }
    }

    /// Every file, in path order (the path is decoded for the call only).
    pub fn each<'s>(&'s self, mut each: impl FnMut(&str, PriorFile<'s>)) {
        self.each_row(|_, path, p| each(path, p));
    }

    /// [`PriorFiles::each`] with each file's row.
    pub fn each_row<'s>(&'s self, mut each: impl FnMut(usize, &str, PriorFile<'s>)) {
        self.paths.walk_from(0, |i, p| {
            // Only whole `&str`s are pushed.
            each(i, std::str::from_utf8(p).unwrap_or_default(), self.at(i));
            true
        });
    }

    /// The index of `rows` (a path that comes twice keeps its last row, as a later row of the
    /// same path replaces an earlier one).
    pub fn from_rows<S: AsRef<str>>(rows: impl IntoIterator<Item = (S, PriorRow)>) -> Self {
        let mut b = Builder::default();
        for (path, row) in rows {
            b.push(path.as_ref(), &row);
        }
        b.finish()
    }
}

/// Gathers rows in any order; [`Builder::finish`] sorts them into a [`PriorFiles`].
#[derive(Default)]
pub struct Builder {
    files: PriorFiles,
    /// The paths as pushed, front-coded in runs of ascending order (a run ends where a path
    /// does not sort after the one before): a catalogue comes as a few such runs (this run's
    /// files read, then those carried), which [`Builder::finish`] merges.
    runs: Vec<Sorted>,
    names: Numbered<Sym>,
    devs: Numbered<i64>,
    times: Numbered<i64>,
    /// Rows still to come, as [`Builder::reserve`] was told: room for their paths is made
    /// when a run starts.
    rows_left: usize,
}

/// Puts a column in the order `order` gives ([`crate::permute::gather_in_place`]), then keeps
/// the first `keep`; a column `order` is no permutation of is left as it is.
fn gather_in_place<T: Copy>(v: &mut Vec<T>, order: &[u32], keep: usize) {
    let len = v.len();
    if crate::permute::gather_in_place(v.as_mut_slice(), len, order) {
        v.truncate(keep);
    }
}

impl Builder {
    pub fn reserve(&mut self, n: usize) {
        let f = &mut self.files;
        f.digests.reserve(n);
        f.size.reserve(n);
        f.numbers.reserve(n);
        f.names_of.reserve(n);
        f.dev_of.reserve(n);
        f.times_of.reserve(n);
        self.rows_left = self.rows_left.max(n);
    }

    fn id(&mut self, s: Option<&str>) -> u32 {
        s.map_or(0, |s| self.names.number_of(s, |s| Sym::from(s)))
    }

    /// Adds the previous row of `path`; true when it begins a run of ascending paths (its path
    /// does not sort after the last one pushed).
    pub fn push(&mut self, path: &str, r: &PriorRow) -> bool {
        let names = [
            self.id(Some(&r.root)),
            self.id(r.device_id.as_deref()),
            self.id(r.retention_class.as_deref()),
        ];
        let times = [r.first_seen_us, r.last_verified_us, r.keep_until_us]
            .map(|t| t.map_or(0, |t| self.times.number(t)));
        let dev = r.fs_dev.map_or(0, |d| self.devs.number(d));
        let path = path.as_bytes();
        let new_run = self
            .runs
            .last()
            .is_none_or(|r| r.len > 0 && r.last.as_slice() >= path);
        if new_run {
            // Room for the paths of every row still to come (at 24 bytes each, where a sorted
            // tree's front-coded paths take about 20), rather than doubling, which holds the
            // old and the new buffer together and leaves up to half unused; room never written
            // to is not resident.
            let mut run = Sorted::default();
            run.bytes.reserve(self.rows_left.saturating_mul(24));
            self.runs.push(run);
        }
        self.rows_left = self.rows_left.saturating_sub(1);
        if let Some(run) = self.runs.last_mut() {
            run.push(path);
        }
        let f = &mut self.files;
        // An empty text is no hash, as a null is.
        let digest = match r
            .blake3
            .as_deref()
            .filter(|h| !h.is_empty())
            .map(Content::of)
        {
            None => NO_DIGEST,
            Some(Content::Digest(d)) => d,
            Some(Content::Text(t)) => {
                f.odd.insert(f.digests.len() as u32, Box::from(t));
                NO_DIGEST
            }
        };
        if r.cut_short {
            f.cut_short.insert(f.digests.len() as u32);
        }
        f.digests.push(digest);
        f.size.push(r.size_bytes);
        let n = pack;
        f.numbers.push([n(r.mtime_us), n(r.fs_inode)]);
        f.times_of.push(times);
        f.names_of.push(names);
        f.dev_of.push(dev);
        new_run
    }

    /// Sorted by path, the last row of a repeated path kept. Reordered a column at a time, so
    /// that at most one column is ever held twice (a catalogue already in path order, as an
    /// unchanged night leaves it, is not copied at all).
    pub fn finish(self) -> PriorFiles {
        let (mut f, mut runs) = (self.files, self.runs);
        f.names = self.names.into_values();
        f.devs = self.devs.into_values();
        f.times = self.times.into_values();
        if runs.len() <= 1 {
            f.paths = runs.pop().unwrap_or_default();
            f.paths.shrink();
            f.digests.shrink_to_fit();
            return f;
        }
        // The runs merged by path (the row pushed first first among equal paths), keeping
        // the last row of each path.
        let mut readers: Vec<(Reader, usize)> = Vec::with_capacity(runs.len());
        let mut first = 0;
        for r in &runs {
            readers.push((r.reader(0), first));
            first += r.len;
        }
        let mut heap = std::collections::BinaryHeap::new();
        for (k, (r, at)) in readers.iter_mut().enumerate() {
            if let Some(p) = r.next() {
                heap.push(std::cmp::Reverse((p.to_vec(), *at, k)));
                *at += 1;
            }
        }
        let mut keep: Vec<u32> = Vec::with_capacity(f.size.len());
        let mut paths = Sorted::default();
        // Merged, the paths take about what the runs took (a run's first path is whole).
        paths
            .bytes
            .reserve(runs.iter().map(|r| r.bytes.len()).sum::<usize>());
        while let Some(std::cmp::Reverse((path, row, k))) = heap.pop() {
            let last_of_path = heap
                .peek()
                .is_none_or(|std::cmp::Reverse((next, _, _))| *next != path);
            if last_of_path {
                paths.push(&path);
                keep.push(row as u32);
            }
            let (r, at) = &mut readers[k];
            if let Some(p) = r.next() {
                let mut path = path;
                path.clear();
                path.extend_from_slice(p);
                heap.push(std::cmp::Reverse((path, *at, k)));
                *at += 1;
            }
        }
        drop(readers);
        runs.clear();
        paths.shrink();
        f.paths = paths;
        if !f.odd.is_empty() {
            let mut odd = HashMap::new();
            for (row, &i) in keep.iter().enumerate() {
                if let Some(t) = f.odd.remove(&i) {
                    odd.insert(row as u32, t);
                }
            }
            f.odd = odd;
        }
        if !f.cut_short.is_empty() {
            let was = std::mem::take(&mut f.cut_short);
            f.cut_short = keep
                .iter()
                .enumerate()
                .filter(|&(_, i)| was.contains(i))
                .map(|(row, _)| row as u32)
                .collect();
        }
        // Each column put in path order where it lies (a copy of each, one at a time, took
        // as much again as the largest, the numbers, beside everything else): the rows kept,
        // then those dropped (a path's earlier rows), which are cut off.
        let kept = keep.len();
        let mut order = keep;
        let mut taken = vec![false; f.size.len()];
        for &i in &order {
            if let Some(t) = taken.get_mut(i as usize) {
                *t = true;
            }
        }
        order.extend((0..f.size.len() as u32).filter(|&i| !taken[i as usize]));
        drop(taken);
        gather_in_place(&mut f.digests, &order, kept);
        gather_in_place(&mut f.size, &order, kept);
        gather_in_place(&mut f.numbers, &order, kept);
        gather_in_place(&mut f.names_of, &order, kept);
        gather_in_place(&mut f.dev_of, &order, kept);
        gather_in_place(&mut f.times_of, &order, kept);
        f.digests.shrink_to_fit();
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In place, a column comes out as a copy gathered in the same order would.
    #[test]
    fn a_column_is_put_in_order_in_place_as_a_copy_would_be() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in [0usize, 1, 2, 7, 64, 65, 1000] {
            let mut order: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                order.swap(i, (next() % (i as u64 + 1)) as usize);
            }
            let keep = if n == 0 {
                0
            } else {
                (next() % n as u64) as usize
            };
            let v: Vec<[i64; 2]> = (0..n as i64).map(|i| [i, -i]).collect();
            let want: Vec<[i64; 2]> = order[..keep].iter().map(|&i| v[i as usize]).collect();
            let mut got = v.clone();
            gather_in_place(&mut got, &order, keep);
            assert_eq!(got, want, "n = {n}");
        }
        // An order that is no permutation of the column leaves it as it is.
        let mut v = vec![1, 2, 3];
        gather_in_place(&mut v, &[0, 1], 1);
        assert_eq!(v, vec![1, 2, 3]);
    }

    const HEX: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    #[test]
    fn a_hash_is_kept_as_bytes_only_in_the_form_recaudit_writes() {
        assert!(matches!(Content::of(HEX), Content::Digest(_)));
        assert_eq!(Content::of(HEX).to_string(), HEX);
        for odd in [
            "",
            "aa",
            &HEX.to_uppercase(),
            &HEX[1..],
            &format!("{HEX}0"),
            &"0".repeat(64),
            &format!("{}g", &HEX[..63]),
        ] {
            assert_eq!(Content::of(odd), Content::Text(odd), "{odd}");
            assert_eq!(Content::of(odd).to_string(), odd);
        }
    }

    fn row(size: i64, hash: Option<&str>, device: Option<&str>) -> PriorRow {
        PriorRow {
            root: "/r".into(),
            size_bytes: size,
            mtime_us: Some(size * 10),
            blake3: hash.map(Box::from),
            device_id: device.map(Sym::from),
            ..Default::default()
        }
    }

    #[test]
    fn rows_are_found_by_path_whatever_their_order_and_the_last_of_a_path_wins() {
        let files = PriorFiles::from_rows([
            ("/r/b", row(2, Some("bb"), Some("DSJ-2"))),
            ("/r/a", row(1, None, None)),
            ("/r/执法/c", row(3, Some(HEX), Some("DSJ-2"))),
            ("/r/b", row(4, Some("b2"), Some("DSJ-1"))),
        ]);
        assert_eq!(files.len(), 3);
        let b = files.get("/r/b").expect("b");
        assert_eq!(
            (b.size_bytes, b.blake3, b.device_id, b.root),
            (4, Some(Content::Text("b2")), Some("DSJ-1"), "/r")
        );
        // A hash of the usual form is kept as its 32 bytes and written back the same.
        let c = files.get("/r/执法/c").expect("c");
        assert!(matches!(c.blake3, Some(Content::Digest(_))));
        assert_eq!(c.blake3.map(|h| h.to_string()).as_deref(), Some(HEX));
        let a = files.get("/r/a").expect("a");
        assert_eq!(
            (a.blake3, a.device_id, a.mtime_us, a.fs_dev),
            (None, None, Some(10), None)
        );
        assert_eq!(files.get("/r/执法/c").map(|c| c.size_bytes), Some(3));
        assert!(files.get("/r/z").is_none() && files.get("").is_none());
        let mut order: Vec<String> = Vec::new();
        files.each(|p, _| order.push(p.to_string()));
        assert_eq!(order, ["/r/a", "/r/b", "/r/执法/c"]);
        assert!(PriorFiles::default().get("/r/a").is_none());
        // Already in path order (an unchanged night's catalogue): kept as pushed.
        let sorted = PriorFiles::from_rows([
            ("/r/a", row(1, Some("aa"), None)),
            ("/r/b", row(2, None, Some("DSJ-1"))),
        ]);
        // An empty hash text is no hash (as the catalogue took it before hashes were bytes).
        let empty = PriorFiles::from_rows([("/r/e", row(5, Some(""), None))]);
        assert_eq!(empty.get("/r/e").map(|f| f.blake3), Some(None));
        let mut got: Vec<(String, i64, Option<String>)> = Vec::new();
        sorted.each(|p, f| got.push((p.into(), f.size_bytes, f.blake3.map(|h| h.to_string()))));
        assert_eq!(
            got,
            [
                ("/r/a".into(), 1, Some("aa".into())),
                ("/r/b".into(), 2, None)
            ]
        );
        assert_eq!(sorted.get("/r/b").and_then(|f| f.device_id), Some("DSJ-1"));
    }

    #[test]
    fn front_coded_paths_find_every_path_and_nothing_between() {
        // Several blocks; paths that are prefixes of others, share all but the last byte,
        // or share nothing; multi-byte characters cut mid-character by a shared prefix.
        let mut paths: Vec<String> = Vec::new();
        for d in ["/r/DSJ-1", "/r/DSJ-10", "/r/执法", "/r/执行", "/s"] {
            for k in 0..23 {
                paths.push(format!("{d}/2026031{}_{k:04}.MP4", k % 3));
            }
            paths.push(d.to_string());
        }
        let files = PriorFiles::from_rows(
            paths
                .iter()
                .enumerate()
                .map(|(k, p)| (p.as_str(), row(k as i64, None, None))),
        );
        assert_eq!(files.len(), paths.len());
        for (k, p) in paths.iter().enumerate() {
            assert_eq!(files.get(p).map(|f| f.size_bytes), Some(k as i64), "{p}");
            let shorter = p.char_indices().last().map_or("", |(at, _)| &p[..at]);
            for absent in [format!("{p}0"), format!("{p}/"), shorter.to_string()] {
                if !paths.contains(&absent) {
                    assert!(files.get(&absent).is_none(), "{absent}");
                }
            }
        }
        assert!(files.get("/").is_none() && files.get("/z").is_none());
        let mut walked: Vec<String> = Vec::new();
        files.each(|p, _| walked.push(p.to_string()));
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(walked, sorted);
    }
}
