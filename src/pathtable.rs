//! A context table keyed by file path (`ingest_log`, `media_notes`), held for the scan's
//! lookups without one allocation per row, and without the paths themselves: each row is
//! known by its path's BLAKE3 hash cut to 128 bits (16 bytes, where the path's text was about a
//! hundred), the hashes sorted for binary search, the values beside in table order. A million
//! rows cost 20 bytes each plus the value.
//!
//! Only exact matches are ever asked for, so a hash serves as well as the text: two different
//! paths share a 128-bit BLAKE3 prefix with a chance of about 2^-128 per pair, and no one can
//! make two that do (the hash is collision-resistant: a file named to borrow another's upload
//! time is not possible).
//!
//! Paths are kept as the table gives them: absolute, or relative to whichever scan root holds
//! the file; [`PathTable::find`] tries the file's absolute path, then its path below each root.

use rayon::prelude::*;

/// A path's key: the first 16 bytes of its BLAKE3 hash.
fn key(path: &str) -> u128 {
    let h = blake3::hash(path.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&h.as_bytes()[..16]);
    u128::from_le_bytes(k)
}

#[derive(Debug, Clone)]
pub struct PathTable<V> {
    /// Each row's key, in table order until [`PathTable::finish`], then sorted.
    keys: Vec<u128>,
    /// The row number of each sorted key; rows with equal paths in table order.
    rows: Vec<u32>,
    /// In table order.
    values: Vec<V>,
    sorted: bool,
}

impl<V> Default for PathTable<V> {
    fn default() -> Self {
        PathTable {
            keys: Vec::new(),
            rows: Vec::new(),
            values: Vec::new(),
            sorted: true,
        }
    }
}

impl<V: Send + Sync> PathTable<V> {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds a row; [`PathTable::finish`] must be called before lookups. At most `u32::MAX`
    /// rows.
    pub fn push(&mut self, path: &str, value: V) {
        if self.values.len() >= u32::MAX as usize {
            return;
        }
        self.keys.push(key(path));
        self.values.push(value);
        self.sorted = false;
    }

    /// Sorts the rows by key (in parallel; equal paths keep their table order).
    pub fn finish(&mut self) {
        if self.sorted {
            return;
        }
        let mut pairs: Vec<(u128, u32)> = self
            .keys
            .iter()
            .enumerate()
            .map(|(r, &k)| (k, r as u32))
            .collect();
        pairs.par_sort_unstable();
        self.keys = pairs.iter().map(|p| p.0).collect();
        self.rows = pairs.iter().map(|p| p.1).collect();
        self.sorted = true;
    }

    /// The rows whose path is exactly `path`, in table order.
    fn exact(&self, path: &str) -> &[u32] {
        if !self.sorted {
            return &[];
        }
        let k = key(path);
        let lo = self.keys.partition_point(|&x| x < k);
        let hi = lo + self.keys[lo..].partition_point(|&x| x == k);
        &self.rows[lo..hi]
    }

    /// The values of the rows naming the file at absolute path `path`: as written, or relative
    /// to one of `roots` (given without a trailing `/`). Table order within each form.
    /// Looked up for every file of a scan: allocates nothing.
    pub fn find<'t, 'p>(
        &'t self,
        path: &'p str,
        roots: &'p [String],
    ) -> impl Iterator<Item = (u32, &'t V)> {
        let below = roots.iter().filter_map(move |r| {
            path.strip_prefix(r.as_str())
                .and_then(|p| p.strip_prefix('/'))
        });
        std::iter::once(path)
            .chain(below)
            .flat_map(move |p| self.exact(p).iter())
            .map(move |&r| (r, &self.values[r as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_absolute_and_relative_rows_in_table_order() {
        let mut t = PathTable::default();
        t.push("u/d/b.MP4", 3);
        t.push("/ev/u/d/a.MP4", 1);
        t.push("u/d/a.MP4", 2);
        t.push("u/d/b.MP4", 4);
        t.finish();
        let roots = vec!["/ev".to_string()];
        let got: Vec<i32> = t.find("/ev/u/d/a.MP4", &roots).map(|(_, v)| *v).collect();
        assert_eq!(got, vec![1, 2]);
        let got: Vec<(u32, i32)> = t
            .find("/ev/u/d/b.MP4", &roots)
            .map(|(r, v)| (r, *v))
            .collect();
        assert_eq!(got, vec![(0, 3), (3, 4)]);
        assert_eq!(t.find("/other/u/d/b.MP4", &roots).count(), 0);
        assert_eq!(t.find("/ev/u/d/c.MP4", &roots).count(), 0);
        assert_eq!(t.len(), 4);
    }
}
