//! The recorder's own file counter as a witness of when a recording was made where its clock
//! lied (第十二条(三): records show the true time). A recorder numbers its recordings one after
//! the other whatever its clock says, and records one at a time, so recording `n` began no
//! earlier than recording `n - 1` ended and ended no later than recording `n + 1` began. The
//! rules use this to tell a clock set back from footage out of order (CLK-SETBACK, and no
//! CONT-MISSING for it), the upload deadline to judge such a recording from when it can have
//! ended, and the obligations to keep it and link it to its case by that time rather than by
//! the name's ([`crate::obligations::settle`]).
//!
//! Computed once per catalogue (or part of one, a device's files all in one part) after the
//! sessions and the uploads, before the rules; pure, no I/O.

use std::collections::HashMap;

use crate::catalog::FileFacts;
use crate::config::RuleSettings;

/// What the counter says of each file (by row): see [`Counter::of`].
#[derive(Debug, Default)]
pub struct Counter {
    start: Vec<Option<i64>>,
    latest_end: Vec<Option<i64>>,
}

impl Counter {
    /// For each file (by row), the earliest start its recorder's file counter allows, where that
    /// is more than `time_mismatch_tolerance_s` after the start its name (or container) gives:
    /// the clock was set back between the file before it and it. A clock that came back at a
    /// plausible default date when its battery ran flat (2025-01-01, the firmware's date) names
    /// the next recordings months before the ones numbered ahead of them, and every recording
    /// after it until the clock is set (each carried from the one before: the counter's start
    /// plus the recording's length). Only a device's recordings whose number no other of its
    /// recordings carries are chained (a counter that restarts each day or when the card is
    /// formatted gives numbers twice, which say nothing of order), and only from one number to
    /// the next; a file whose name time is implausible (2000-01-01) gets its start too, for the
    /// deadlines, but is CLK-RESET's, not CLK-SETBACK's; and the chain stops at a file whose end
    /// as carried would be after its own upload or after the scan (a clock ahead before it was
    /// set back: the counter's start would be too late), nor into one it would carry past its
    /// own upload (two recorders left at one device number, each counting its own).
    ///
    /// Second, for each such file and each file named from a reset clock, the latest its
    /// recording can have ended: before the recording numbered next began, where that one's
    /// time is its own (or, through recordings whose times are not, the latest that one can
    /// have begun). `None` where no such recording follows. The upload deadline is judged from
    /// this end: a recording whose clock lied is late only if it is late however late in that
    /// span it was made.
    ///
    /// `is_companion`: whether a row is a companion of a segment (a sub-stream, a copy), left
    /// out; `uploads`: each row's upload time; `now_us`: when the scan ran.
    pub fn of(
        facts: &[FileFacts],
        is_companion: impl Fn(usize) -> bool,
        settings: &RuleSettings,
        uploads: impl Fn(usize) -> Option<i64>,
        now_us: i64,
    ) -> Counter {
        let mut out = vec![None; facts.len()];
        let mut latest = vec![None; facts.len()];
        let tol_us = (settings.time_mismatch_tolerance_s * 1e6) as i64;
        let mut by_device: HashMap<&str, Vec<(i32, usize)>> = HashMap::new();
        for f in facts {
            if let (Some(d), Some(n), Some(_)) =
                (f.device_id.as_deref(), f.segment_seq, f.start_us())
                && f.is_recording()
                && !is_companion(f.row)
            {
                by_device.entry(d).or_default().push((n, f.row));
            }
        }
        for files in by_device.values_mut() {
            files.sort_unstable();
            // Numbers another recording of the device carries too order nothing: left out,
            // which breaks every chain through them (a chain steps from `n - 1` to `n` only).
            let unique: Vec<(i32, usize)> = files
                .chunk_by(|a, b| a.0 == b.0)
                .filter(|run| run.len() == 1)
                .flatten()
                .copied()
                .collect();
            // The number before this one and where its recording ended, as far as the counter
            // knows.
            let mut before: Option<(i32, i64)> = None;
            for &(n, row) in &unique {
                let f = &facts[row];
                let (Some(named), Some(named_end)) = (f.start_us(), f.end_us()) else {
                    before = None;
                    continue;
                };
                let uploaded = uploads(row);
                // Where a recording starting at `start` would end, and whether that is after
                // its upload or the scan.
                let ends = |start: i64| {
                    let end = start + (named_end - named);
                    (end, uploaded.is_some_and(|u| end > u) || end > now_us)
                };
                let mut start = match before {
                    Some((m, end)) if m.checked_add(1) == Some(n) && end > named => end,
                    _ => named,
                };
                let (mut end, mut ahead) = ends(start);
                if ahead && start != named {
                    // Carried past its own upload: the order is not this recorder's counter
                    // (two recorders left at one device number) or the clock before was ahead.
                    start = named;
                    (end, ahead) = ends(named);
                }
                if start - named > tol_us {
                    out[row] = Some(start);
                }
                before = (!ahead).then_some((n, end));
            }
            // Backwards: the latest start of the recording numbered after this one.
            let mut after: Option<(i32, i64)> = None;
            for &(n, row) in unique.iter().rev() {
                let f = &facts[row];
                let (Some(named), Some(named_end)) = (f.start_us(), f.end_us()) else {
                    after = None;
                    continue;
                };
                if out[row].is_some() || settings.implausible(named, now_us) {
                    let last = after
                        .filter(|&(m, _)| n.checked_add(1) == Some(m))
                        .map(|(_, s)| s);
                    latest[row] = last;
                    after = last.map(|e| (n, e - (named_end - named)));
                } else {
                    after = Some((n, named));
                }
            }
        }
        Counter {
            start: out,
            latest_end: latest,
        }
    }

    /// The earliest start file `row`'s recorder's counter allows, where its name and container
    /// say more than `time_mismatch_tolerance_s` earlier: the recorder's clock was set back
    /// before it was recorded. `None` for every other file.
    pub fn start(&self, row: usize) -> Option<i64> {
        self.start.get(row).copied().flatten()
    }

    /// The latest file `row`'s recording can have ended by its recorder's counter, where its
    /// own time is not true (set back, or a reset clock): before the recording numbered next
    /// began. `None` when unknown, and for every other file.
    pub fn latest_end(&self, row: usize) -> Option<i64> {
        self.latest_end.get(row).copied().flatten()
    }
}
