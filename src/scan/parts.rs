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
    /// Each part's own rows (those of its devices), counted.
    pub(super) sizes: Vec<usize>,
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
    /// By key: where its rows begin, as [first carried row, first row] (`u32::MAX` for
    /// none). The carried rows lie in `files` in path order, a device's together.
    device_first: Vec<[u32; 2]>,
    bucket_first: Vec<[u32; 2]>,
}

impl RowKeys {
    const BUCKETS: u32 = u32::MAX - PATH_BUCKETS;

    pub(super) fn with_capacity(rows: usize) -> RowKeys {
        RowKeys {
            of_row: Vec::with_capacity(rows),
            devices: HashMap::new(),
            device_rows: Vec::new(),
            bucket_rows: vec![0; PATH_BUCKETS as usize],
            device_first: Vec::new(),
            bucket_first: vec![[u32::MAX; 2]; PATH_BUCKETS as usize],
        }
    }

    /// The next row: of `device` (else of no device, at `path`), carried from the previous
    /// catalogue or not.
    pub(super) fn push(&mut self, device: Option<&str>, path: &str, carried: bool) {
        let key = match device {
            Some(d) => match self.devices.get(d) {
                Some(&k) => k,
                None if self.devices.len() < Self::BUCKETS as usize => {
                    let k = self.devices.len() as u32;
                    self.devices.insert(d.into(), k);
                    self.device_rows.push(0);
                    self.device_first.push([u32::MAX; 2]);
                    k
                }
                None => Self::BUCKETS + path_bucket(d),
            },
            None => Self::BUCKETS + path_bucket(path),
        };
        let row = u32::try_from(self.of_row.len()).unwrap_or(u32::MAX);
        let first = match key.checked_sub(Self::BUCKETS) {
            Some(b) => {
                self.bucket_rows[b as usize] += 1;
                &mut self.bucket_first[b as usize]
            }
            None => {
                self.device_rows[key as usize] += 1;
                &mut self.device_first[key as usize]
            }
        };
        if carried {
            first[0] = first[0].min(row);
        }
        first[1] = first[1].min(row);
        self.of_row.push(key);
    }

    /// The rows shared into `count` parts: the devices (and buckets) in the order their rows
    /// begin in the previous catalogue (path order; then those with no carried row, in the
    /// order they were read), cut into runs of about `1/count` of the rows each, a device's
    /// rows all in one part. So each part is a stretch of the carried `files` rows, which it
    /// reads back decoding only the row groups and pages of that stretch: shared out by size
    /// alone (largest first, each to the part with fewest), every part took devices from all
    /// over the table, and every part decoded and decompressed pages of every row group. A
    /// part holds at most its share and the rows of one device more, as sharing by size did
    /// (by a hash of the device alone, a part could get several large devices: at ten million
    /// files, four times the rows of another).
    pub(super) fn into_parts(self, count: usize) -> Parts {
        let RowKeys {
            of_row,
            devices,
            device_rows,
            bucket_rows,
            device_first,
            bucket_first,
        } = self;
        // ([first carried row, first row], rows, key)
        let mut order: Vec<([u32; 2], u64, u32)> = (0..device_rows.len())
            .map(|k| (device_first[k], device_rows[k], k as u32))
            .chain(
                (0..PATH_BUCKETS)
                    .filter(|&b| bucket_rows[b as usize] > 0)
                    .map(|b| {
                        (
                            bucket_first[b as usize],
                            bucket_rows[b as usize],
                            Self::BUCKETS + b,
                        )
                    }),
            )
            .collect();
        order.sort_unstable();
        let total: u64 = order.iter().map(|o| o.1).sum();
        let count = count.max(1);
        let mut part_of_key: HashMap<u32, u16> = HashMap::with_capacity(order.len());
        let (mut p, mut done, mut in_part) = (0usize, 0u64, 0u64);
        for &(_, rows, key) in &order {
            // The next part begins with this key when its middle lies past the current
            // part's share of the rows.
            let share_end = total * (p as u64 + 1) / count as u64;
            if p + 1 < count && in_part > 0 && done + rows / 2 >= share_end {
                p += 1;
                in_part = 0;
            }
            part_of_key.insert(key, p as u16);
            done += rows;
            in_part += rows;
        }
        let part = |key: u32| part_of_key.get(&key).copied().unwrap_or(0);
        let buckets = (0..PATH_BUCKETS)
            .map(|b| match part_of_key.get(&(Self::BUCKETS + b)) {
                Some(&p) => p,
                None => (b as usize % count.max(1)) as u16,
            })
            .collect();
        let of_row: Vec<u16> = of_row.into_iter().map(part).collect();
        let mut sizes = vec![0usize; count];
        for &p in &of_row {
            if let Some(n) = sizes.get_mut(p as usize) {
                *n += 1;
            }
        }
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
            sizes,
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
        // that interleaves them (as rows read tonight may come).
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
            keys.push(d.as_deref(), p, false);
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
        assert_eq!(parts.sizes, load);
        // In the order the devices begin (DEV0 to DEV7, then the rows without a device in
        // buckets of a few), cut where a device's middle passes a third of the rows: every
        // part within the largest device (900 rows) of its share.
        let share = total / count;
        for &l in &load {
            assert!(l.abs_diff(share) <= 900, "{load:?}");
        }
        assert_eq!(load, vec![900, 1100, 1070]);
        // A device with no row still has one part, the same every time it is asked.
        let p = parts.part_of(Some("DEV-NONE"), "");
        assert!(p < count && p == parts.part_of(Some("DEV-NONE"), "/x"));
        // One part alone takes everything.
        let mut one = RowKeys::with_capacity(2);
        one.push(Some("A"), "/a", true);
        one.push(None, "/b", true);
        let one = one.into_parts(1);
        assert_eq!(one.of_row, vec![0, 0]);
    }

    /// Carried rows lie in `files` in path order, each device's together: each part is one
    /// stretch of them, whatever order tonight's rows (read first) came in, so that reading a
    /// part back decodes only the row groups of its stretch.
    #[test]
    fn each_part_is_one_stretch_of_the_carried_rows() {
        let devices: Vec<String> = (0..40).map(|d| format!("DSJ-{d:03}")).collect();
        let mut keys = RowKeys::with_capacity(0);
        // Tonight's rows first: a few devices', in another order.
        for d in [37, 3, 21, 3] {
            keys.push(
                Some(&devices[d]),
                &format!("/ev/{}/new.MP4", devices[d]),
                false,
            );
        }
        let read = 4;
        // Then the carried rows, by path: devices of 10 to 49 rows.
        let mut carried_device = Vec::new();
        for (d, name) in devices.iter().enumerate() {
            for n in 0..(10 + (d * 7) % 40) {
                keys.push(Some(name), &format!("/ev/{name}/{n:04}.MP4"), true);
                carried_device.push(d);
            }
        }
        let parts = keys.into_parts(4);
        let carried = &parts.of_row[read..];
        // The part numbers never go back along the carried rows: one stretch each.
        assert!(carried.windows(2).all(|w| w[0] <= w[1]), "{carried:?}");
        assert_eq!(carried.first(), Some(&0));
        assert_eq!(carried.last(), Some(&3));
        // Tonight's rows went with their devices.
        for (i, d) in [37, 3, 21, 3].into_iter().enumerate() {
            let at = carried_device.iter().position(|&c| c == d).unwrap();
            assert_eq!(parts.of_row[i], carried[at]);
        }
        let share = parts.of_row.len() / 4;
        assert!(
            parts.sizes.iter().all(|&n| n.abs_diff(share) <= 50),
            "{:?}",
            parts.sizes
        );
    }
}
