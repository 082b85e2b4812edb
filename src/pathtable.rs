//! A context table keyed by file path (`ingest_log`, `media_notes`), held for the scan's
//! lookups without one allocation per row: every path in one text arena, the rows in path
//! order for binary search, the values beside. A million paths cost their bytes plus 8 bytes
//! and the value, where a map of owned strings cost about twice that and took seconds to fill.
//!
//! Paths are kept as the table gives them: absolute, or relative to whichever scan root holds
//! the file; [`PathTable::find`] tries the file's absolute path, then its path below each root.

use rayon::prelude::*;

#[derive(Debug, Clone)]
pub struct PathTable<V> {
    text: String,
    /// Where each row's path ends in `text` (it starts where the previous one ended).
    ends: Vec<u64>,
    /// Row numbers in path order; rows with equal paths in table order.
    order: Vec<u32>,
    values: Vec<V>,
}

impl<V> Default for PathTable<V> {
    fn default() -> Self {
        PathTable {
            text: String::new(),
            ends: Vec::new(),
            order: Vec::new(),
            values: Vec::new(),
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
        self.text.push_str(path);
        self.ends.push(self.text.len() as u64);
        self.values.push(value);
    }

    fn path(&self, row: u32) -> &str {
        let r = row as usize;
        let start = if r == 0 { 0 } else { self.ends[r - 1] as usize };
        self.text.get(start..self.ends[r] as usize).unwrap_or("")
    }

    /// Sorts the rows by path (in parallel; equal paths keep their table order).
    pub fn finish(&mut self) {
        // Every push adds a row the order does not have yet.
        if self.order.len() == self.values.len() {
            return;
        }
        let mut order: Vec<u32> = (0..self.values.len() as u32).collect();
        order.par_sort_by(|&a, &b| self.path(a).cmp(self.path(b)));
        self.order = order;
        self.text.shrink_to_fit();
    }

    /// The rows whose path is exactly `path`, in table order.
    fn exact(&self, path: &str) -> &[u32] {
        let lo = self.order.partition_point(|&r| self.path(r) < path);
        let hi = lo + self.order[lo..].partition_point(|&r| self.path(r) == path);
        &self.order[lo..hi]
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
