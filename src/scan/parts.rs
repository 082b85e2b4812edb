//! Parts: the catalogue shared into parts the analysis reads back one at a time, each
//! device's files in one part (a file without a device goes by its path's bucket), the parts
//! made alike in size once the first pass has counted every device's rows.

use std::collections::HashMap;

use crate::catalog::FileFacts;

/// Files per part of the catalogue analysed at once (two parts are in memory at a time: the
/// one analysed and the next one read).
pub(super) const PART_ROWS: usize = 100_000;

/// How many files a part holds: [`PART_ROWS`], or `RECAUDIT_PART_ROWS` (for the tests that
/// hold an analysis in parts against one of the whole, and for measuring).
pub(super) fn part_rows() -> usize {
    std::env::var("RECAUDIT_PART_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(PART_ROWS)
}

/// The catalogue's parts: each device's files in one part (a file without a device by its
/// path), each copied content and each readable recording of no device in every part.
pub(super) struct Parts {
    pub(super) count: usize,
    /// Each row's part.
    pub(super) of_row: Vec<u16>,
    /// By row: whether its content is held by two or more files (empty when none is).
    pub(super) copied: Vec<bool>,
    /// By row: a readable recording of no device, read into every part (empty when there
    /// are more than `analyse::LOOSE_MAX`).
    pub(super) loose: Vec<bool>,
    /// Each device's part (a device without a row goes by its name's hash).
    pub(super) devices: HashMap<Box<str>, u16>,
    /// The part of each bucket of the rows without a device ([`path_bucket`]).
    pub(super) buckets: Vec<u16>,
}

/// Buckets the rows without a device are put in by their path's hash, each bucket going to a
/// part as a device would.
pub(super) const PATH_BUCKETS: u32 = 1024;

pub(super) fn path_bucket(path: &str) -> u32 {
    crate::estate::shard_of(path, PATH_BUCKETS)
}

/// What the first pass notes of each row to share the rows into parts once it has counted
/// them: its device, or its path's bucket when it has none, by number.
pub(super) struct RowKeys {
    /// Each row's key: a device's number, or [`RowKeys::BUCKETS`] plus a bucket.
    of_row: Vec<u32>,
    devices: HashMap<Box<str>, u32>,
    /// Rows by key (the buckets' after the devices').
    device_rows: Vec<u64>,
    bucket_rows: Vec<u64>,
}

impl RowKeys {
    const BUCKETS: u32 = u32::MAX - PATH_BUCKETS;

    pub(super) fn with_capacity(rows: usize) -> RowKeys {
        RowKeys {
            of_row: Vec::with_capacity(rows),
            devices: HashMap::new(),
            device_rows: Vec::new(),
            bucket_rows: vec![0; PATH_BUCKETS as usize],
        }
    }

    pub(super) fn push(&mut self, device: Option<&str>, path: &str) {
        let key = match device {
            Some(d) => match self.devices.get(d) {
                Some(&k) => k,
                None if self.devices.len() < Self::BUCKETS as usize => {
                    let k = self.devices.len() as u32;
                    self.devices.insert(d.into(), k);
                    self.device_rows.push(0);
                    k
                }
                None => Self::BUCKETS + path_bucket(d),
            },
            None => Self::BUCKETS + path_bucket(path),
        };
        match key.checked_sub(Self::BUCKETS) {
            Some(b) => self.bucket_rows[b as usize] += 1,
            None => self.device_rows[key as usize] += 1,
        }
        self.of_row.push(key);
    }

    /// The rows shared into `count` parts: the devices (and buckets) with the most rows first,
    /// each to the part with the fewest so far, so that the parts come out alike in size (by
    /// a hash of the device alone, a part could get several large devices: at ten million
    /// files, four times the rows of another). A device's rows all go to one part.
    pub(super) fn into_parts(self, count: usize) -> Parts {
        let RowKeys {
            of_row,
            devices,
            device_rows,
            bucket_rows,
        } = self;
        let mut names: Vec<(&str, u32)> = devices.iter().map(|(d, &k)| (&**d, k)).collect();
        names.sort_unstable_by_key(|&(_, k)| k);
        // (rows, device name or empty for a bucket, bucket, key)
        let mut order: Vec<(u64, &str, u32, u32)> = names
            .iter()
            .map(|&(d, k)| (device_rows[k as usize], d, 0, k))
            .chain(
                (0..PATH_BUCKETS)
                    .filter(|&b| bucket_rows[b as usize] > 0)
                    .map(|b| (bucket_rows[b as usize], "", b, Self::BUCKETS + b)),
            )
            .collect();
        order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
        let mut part_of_key: HashMap<u32, u16> = HashMap::with_capacity(order.len());
        let mut load = std::collections::BinaryHeap::new();
        for p in 0..count {
            load.push(std::cmp::Reverse((0u64, p as u16)));
        }
        for &(rows, _, _, key) in &order {
            let Some(std::cmp::Reverse((l, p))) = load.pop() else {
                break;
            };
            part_of_key.insert(key, p);
            load.push(std::cmp::Reverse((l + rows, p)));
        }
        let part = |key: u32| part_of_key.get(&key).copied().unwrap_or(0);
        let buckets = (0..PATH_BUCKETS)
            .map(|b| match part_of_key.get(&(Self::BUCKETS + b)) {
                Some(&p) => p,
                None => (b as usize % count.max(1)) as u16,
            })
            .collect();
        let of_row = of_row.into_iter().map(part).collect();
        let devices = devices
            .into_iter()
            .map(|(d, k)| {
                let p = part(k);
                (d, p)
            })
            .collect();
        Parts {
            count,
            of_row,
            copied: Vec::new(),
            loose: Vec::new(),
            devices,
            buckets,
        }
    }
}

/// One part's facts (`row` is the place in `facts`) and each one's row in `files`.
pub(super) struct Part {
    pub(super) facts: Vec<FileFacts>,
    pub(super) rows: Vec<u32>,
}

impl Parts {
    /// The part of a file or finding of `device` (else of `path`).
    pub(super) fn part_of(&self, device: Option<&str>, path: &str) -> usize {
        if self.count == 1 {
            return 0;
        }
        let bucket = |key: &str| {
            let b = path_bucket(key) as usize;
            self.buckets.get(b).map_or(0, |&p| p as usize)
        };
        // A device number told apart ([`crate::recorders`]) goes with its number.
        match device.map(crate::recorders::bare) {
            Some(d) => match self.devices.get(d) {
                Some(&p) => p as usize,
                // Past the devices numbered, a device went by its name's bucket.
                None if self.devices.len() >= RowKeys::BUCKETS as usize => bucket(d),
                None => crate::estate::shard_of(d, self.count as u32) as usize,
            },
            None => bucket(path),
        }
    }

    /// Whether what belongs to `device` (else to `path`) is part `k`'s.
    pub(super) fn owns(&self, k: usize, device: Option<&str>, path: &str) -> bool {
        self.part_of(device, path) == k
    }
}

#[cfg(test)]
mod tests {
    use super::RowKeys;

    #[test]
    fn parts_come_out_alike_in_size_and_keep_each_device_whole() {
        // Eight devices of very different sizes and some rows without a device, in an order
        // that interleaves them.
        let sizes = [900usize, 700, 400, 300, 300, 200, 100, 50];
        let mut rows: Vec<(Option<String>, String)> = Vec::new();
        for n in 0..*sizes.iter().max().unwrap() {
            for (d, &size) in sizes.iter().enumerate() {
                if n < size {
                    rows.push((Some(format!("DEV{d}")), format!("/ev/DEV{d}/{n}.MP4")));
                }
            }
            if n < 120 {
                rows.push((None, format!("/ev/docs/{n}.pdf")));
            }
        }
        let total = rows.len();
        let count = 3;
        let mut keys = RowKeys::with_capacity(total);
        for (d, p) in &rows {
            keys.push(d.as_deref(), p);
        }
        let parts = keys.into_parts(count);
        assert_eq!(parts.of_row.len(), total);
        let mut load = vec![0usize; count];
        for (i, (d, p)) in rows.iter().enumerate() {
            let part = parts.of_row[i] as usize;
            load[part] += 1;
            // What owns a row's findings and sessions is the row's own part.
            assert_eq!(parts.part_of(d.as_deref(), p), part, "{p}");
        }
        // Largest first, each to the part with fewest: 900 | 700 300 | 400 300 200 50 (plus
        // 100 on the first), then the 120 rows without a device in buckets of one to a few
        // even them out to within a bucket.
        let (max, min) = (*load.iter().max().unwrap(), *load.iter().min().unwrap());
        assert!(max - min <= 5, "{load:?}");
        // A device with no row still has one part, the same every time it is asked.
        let p = parts.part_of(Some("DEV-NONE"), "");
        assert!(p < count && p == parts.part_of(Some("DEV-NONE"), "/x"));
        // One part alone takes everything.
        let mut one = RowKeys::with_capacity(2);
        one.push(Some("A"), "/a");
        one.push(None, "/b");
        let one = one.into_parts(1);
        assert_eq!(one.of_row, vec![0, 0]);
    }
}
