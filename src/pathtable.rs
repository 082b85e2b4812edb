//! A context table keyed by file path (`ingest_log`, `media_notes`), held for the scan's
//! lookups without one allocation per row, and without the paths themselves: each row is
//! known by its path's BLAKE3 hash cut to 128 bits (16 bytes, where the path's text was about a
//! hundred), found through an open-addressing index on the hash, the values beside in table
//! order. A row costs 28-36 bytes plus its value (the key, the chain, and two to four slots).
//!
//! Only exact matches are ever asked for, so a hash serves as well as the text: two different
//! paths share a 128-bit BLAKE3 prefix with a chance of about 2^-128 per pair, and making two
//! that do on purpose (a file named to borrow another's upload time) would take some 2^64
//! BLAKE3 computations: out of reach.
//!
//! Paths are kept as the table gives them: absolute, or relative to whichever scan root holds
//! the file; [`PathTable::find`] tries the file's absolute path, then its path below each root.

/// A path's key: the first 16 bytes of its BLAKE3 hash.
pub(crate) fn key(path: &str) -> u128 {
    let h = blake3::hash(path.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&h.as_bytes()[..16]);
    u128::from_le_bytes(k)
}

/// A path's first component, with its leading `/` for an absolute path (`/ev` of
/// `/ev/u/a.MP4`, `tree` of `tree/u/a.MP4`).
pub fn head(path: &str) -> &str {
    let from = usize::from(path.starts_with('/'));
    match path[from..].find('/') {
        Some(i) => &path[..from + i],
        None => path,
    }
}

#[derive(Debug, Clone)]
pub struct PathTable<V> {
    /// Each row's key, in table order.
    keys: Vec<u128>,
    /// In table order.
    values: Vec<V>,
    /// Open addressing on the key's low bits (it is a hash already): each slot holds 1 + the
    /// first row of a path, 0 when empty. A power of two, at least twice the rows.
    slots: Vec<u32>,
    /// 1 + the next row with the same path, 0 at the last: a path's rows in table order.
    next: Vec<u32>,
}

impl<V> Default for PathTable<V> {
    fn default() -> Self {
        PathTable {
            keys: Vec::new(),
            values: Vec::new(),
            slots: Vec::new(),
            next: Vec::new(),
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

    /// Every row's value, to change in place (the paths stay as they are).
    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, V> {
        self.values.iter_mut()
    }

    /// Adds a row; [`PathTable::finish`] must be called before lookups. At most `u32::MAX - 1`
    /// rows.
    pub fn push(&mut self, path: &str, value: V) {
        self.push_key(key(path), value);
    }

    /// [`PathTable::push`] of a path known by its [`key`] alone.
    pub fn push_key(&mut self, key: u128, value: V) {
        if self.values.len() >= (u32::MAX - 1) as usize {
            return;
        }
        self.keys.push(key);
        self.values.push(value);
    }

    /// Indexes the rows (one lookup then costs a slot and a key, where a binary search over a
    /// million keys cost some eight cache misses).
    pub fn finish(&mut self) {
        let n = self.keys.len();
        if self.next.len() == n && !self.slots.is_empty() {
            return;
        }
        let cap = (2 * n).max(16).next_power_of_two();
        let mask = cap - 1;
        let mut slots = vec![0u32; cap];
        let mut next = vec![0u32; n];
        // Last row first, each put in front of its path's chain: the chain is in table order.
        for row in (0..n).rev() {
            let k = self.keys[row];
            let mut h = (k as usize) & mask;
            loop {
                let s = slots[h];
                if s == 0 {
                    slots[h] = row as u32 + 1;
                    break;
                }
                if self.keys[s as usize - 1] == k {
                    next[row] = s;
                    slots[h] = row as u32 + 1;
                    break;
                }
                h = (h + 1) & mask;
            }
        }
        self.slots = slots;
        self.next = next;
        self.keys.shrink_to_fit();
        self.values.shrink_to_fit();
    }

    /// The first row whose path has the key `k` (1 + row; 0 for none).
    fn first(&self, k: u128) -> u32 {
        if self.slots.is_empty() {
            return 0;
        }
        let mask = self.slots.len() - 1;
        let mut h = (k as usize) & mask;
        loop {
            let s = self.slots[h];
            if s == 0 || self.keys[s as usize - 1] == k {
                return s;
            }
            h = (h + 1) & mask;
        }
    }

    /// The rows whose path is exactly `path`, in table order.
    pub(crate) fn exact(&self, path: &str) -> impl Iterator<Item = u32> + '_ {
        self.exact_key(key(path))
    }

    /// The rows whose path has the key `k`, in table order.
    pub(crate) fn exact_key(&self, k: u128) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.first(k);
        std::iter::from_fn(move || {
            let row = at.checked_sub(1)?;
            at = self.next[row as usize];
            Some(row)
        })
    }

    /// The value of row `row` (as [`PathTable::exact_key`] gives rows).
    pub(crate) fn value(&self, row: u32) -> Option<&V> {
        self.values.get(row as usize)
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
            .flat_map(move |p| self.exact(p))
            .map(move |r| (r, &self.values[r as usize]))
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
