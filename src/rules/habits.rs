//! A device's habits, compared like with like and in time order — the ground the re-encoding
//! rules (第十二条(五)) stand on, and the source of `firmware_change` (information only).
//!
//! A recorder writes several kinds of file under one device id: video segments, voice-mode
//! audio, photos; and its firmware changes over its life, and with it the software strings,
//! sometimes the container (MPEG-TS before an update, MOV after). So a habit is learned per
//! *comparable group* — one device, one media kind, one container family — over the group's
//! files in recording order, and a difference is judged by its shape in that order:
//!
//! - a **deviation**: a run of files with a value the group shows nowhere else, with the same
//!   value before and after it (the habit resumes), where the surrounding value is the larger
//!   share. That is evidence: a file that passed through other software, or other settings,
//!   than every file around it. Example: `A A B A A` (B is one re-encoded segment).
//! - a **change**: a new value that takes over from a habit of at least two files and stays
//!   for the files that follow. That is a firmware update or a settings change, not an edit of
//!   every later file; it is reported once as `firmware_change` where it concerns the software
//!   or the container. Example: `A A B B B`.
//!
//! Anything else (values alternating between known modes, a first file unlike the rest) is
//! neither: no finding. A layout difference alone (fragmented or not, `moov` before or after
//! `mdat`) is not part of the compared values at all.

use std::collections::{BTreeMap, HashMap};

use crate::catalog::FileFacts;

/// One device's readable recordings of one media kind in one container family, in recording
/// order (start time, then path).
pub struct Group<'a> {
    pub device: &'a str,
    pub kind: &'a str,
    pub family: &'static str,
    pub files: Vec<&'a FileFacts>,
}

/// Container families: one family's files can be compared box for box.
pub fn family(container: &str) -> &'static str {
    match container {
        "mp4" | "mov" | "3gp" | "m4a" | "heif" => "iso-bmff",
        "mpegts" | "hik-ts" => "mpeg-ts",
        "wav" | "avi" => "riff",
        "jpeg" => "jpeg",
        "matroska" => "matroska",
        "flv" => "flv",
        "amr" => "amr",
        "mp3" => "mpeg-audio",
        "aac" => "adts",
        _ => "other",
    }
}

/// Recording order: start time (files without one last), then path.
fn order(a: &&FileFacts, b: &&FileFacts) -> std::cmp::Ordering {
    (a.start_us().is_none(), a.start_us(), &a.path).cmp(&(
        b.start_us().is_none(),
        b.start_us(),
        &b.path,
    ))
}

/// Every device's readable recordings (video and audio) grouped by `key` (device and kind
/// first), each group in recording order, groups in key order.
fn grouped<'a, K: Ord>(
    facts: &'a [FileFacts],
    key: impl Fn(&'a str, &'a str, &'a FileFacts) -> K,
) -> Vec<(K, Vec<&'a FileFacts>)> {
    let mut by: BTreeMap<K, Vec<&FileFacts>> = BTreeMap::new();
    for f in facts
        .iter()
        .filter(|f| f.status.as_ref() == "ok" && f.is_recording())
    {
        if let (Some(d), Some(k)) = (f.device_id.as_deref(), f.media_kind.as_deref()) {
            by.entry(key(d, k, f)).or_default().push(f);
        }
    }
    by.into_iter()
        .map(|(k, mut files)| {
            files.sort_by(order);
            (k, files)
        })
        .collect()
}

/// The comparable groups: one device, one media kind, one container family.
pub fn groups(facts: &[FileFacts]) -> Vec<Group<'_>> {
    grouped(facts, |d, k, f| {
        (d, k, family(f.container.as_deref().unwrap_or("")))
    })
    .into_iter()
    .map(|((device, kind, family), files)| Group {
        device,
        kind,
        family,
        files,
    })
    .collect()
}

/// Each device's recordings of each media kind, all container families together: where a
/// change of container shows.
pub fn by_kind(facts: &[FileFacts]) -> Vec<(&str, &str, Vec<&FileFacts>)> {
    grouped(facts, |d, k, _| (d, k))
        .into_iter()
        .map(|((d, k), files)| (d, k, files))
        .collect()
}

/// A maximal run of equal values: positions `start..start + len`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    start: usize,
    len: usize,
}

fn runs<K: PartialEq>(values: &[K]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match out.last_mut() {
            Some(r) if values[r.start] == *v => r.len += 1,
            _ => out.push(Run { start: i, len: 1 }),
        }
    }
    out
}

/// The shape of a group's values in recording order.
#[derive(Debug, Default, PartialEq)]
pub struct Shape {
    /// Positions whose value is a one-off deviation, each with the value around it (the
    /// habit).
    pub deviations: Vec<(usize, usize)>,
    /// Persistent changes: (position of the first file with the new value, position of the
    /// last file with the old one). Only the first time a value appears.
    pub changes: Vec<(usize, usize)>,
}

/// Reads the shape of `values` (see the module comment). The value of a deviation's habit and
/// of a change's old and new sides are `values[j]` at the positions returned.
pub fn shape<K: PartialEq + Eq + std::hash::Hash>(values: &[K]) -> Shape {
    let runs = runs(values);
    let mut count: HashMap<&K, (usize, usize)> = HashMap::new(); // value -> (files, runs)
    for r in &runs {
        let c = count.entry(&values[r.start]).or_insert((0, 0));
        c.0 += r.len;
        c.1 += 1;
    }
    let mut out = Shape::default();
    let mut deviating = vec![false; runs.len()];
    for i in 1..runs.len().saturating_sub(1) {
        let (before, here, after) = (&runs[i - 1], &runs[i], &runs[i + 1]);
        let (vb, vh, va) = (
            &values[before.start],
            &values[here.start],
            &values[after.start],
        );
        let habit = count[vb].0;
        if vb == va && count[vh].1 == 1 && here.len < habit && habit >= 2 {
            deviating[i] = true;
            out.deviations
                .extend((here.start..here.start + here.len).map(|p| (p, here.start - 1)));
        }
    }
    let mut seen: Vec<&K> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let v = &values[r.start];
        let new = !seen.contains(&v);
        seen.push(v);
        // A change needs a habit to change from: at least two files of the old value.
        if i == 0 || deviating[i] || deviating[i - 1] || !new || runs[i - 1].len < 2 {
            continue;
        }
        out.changes.push((r.start, r.start - 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Shape {
        shape(&v.chars().collect::<Vec<_>>())
    }

    #[test]
    fn a_one_off_that_reverts_is_a_deviation() {
        assert_eq!(
            s("AABAA"),
            Shape {
                deviations: vec![(2, 1)],
                changes: vec![]
            }
        );
        // Two files re-encoded in a row, still the minority.
        assert_eq!(s("AAABBAAA").deviations, vec![(3, 2), (4, 2)]);
    }

    #[test]
    fn a_value_that_stays_is_a_change_reported_once() {
        assert_eq!(
            s("AAABBBB"),
            Shape {
                deviations: vec![],
                changes: vec![(3, 2)]
            }
        );
        // Two updates; the last file alone on a new value is a change too (nothing says it
        // reverts).
        assert_eq!(s("AABBBC").changes, vec![(2, 1), (5, 4)]);
        // A deviation, then an update.
        assert_eq!(
            s("AAXAACC"),
            Shape {
                deviations: vec![(2, 1)],
                changes: vec![(5, 4)]
            }
        );
    }

    #[test]
    fn alternating_modes_and_uniform_groups_are_neither() {
        assert_eq!(s("AAAA"), Shape::default());
        assert_eq!(s(""), Shape::default());
        // A value seen in several runs is a mode of the device, never a deviation; and one
        // file is no habit to change from.
        assert_eq!(s("ABABAB"), Shape::default());
        assert_eq!(s("AB"), Shape::default());
        assert_eq!(s("AABAB").changes, vec![(2, 1)]);
        // A deviation is smaller than the habit around it: ABA has one, ABBA (as many files
        // as the habit) has none.
        assert_eq!(s("ABA").deviations, vec![(1, 0)]);
        assert_eq!(s("ABBA").deviations, vec![]);
    }
}
