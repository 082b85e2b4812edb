//! Which recorder made each file, decided before the sessions ([`attribute`]): a case's folder
//! is no device, and one device number may name two recorders.
//!
//! A clerk who files a case's recordings into its folder (第十八条) with their names kept
//! leaves a folder the path patterns read as a device's (`案卷/AJ-2026-031/20260309_..._0002.MP4`):
//! a device number that names a case of the `cases` table is none
//! ([`case_folders_are_no_devices`]), and continuity may find such a file in the place of its
//! device's missing number (CONT-RENAMED).
//!
//! The rules group a device's files by its device number (continuity and numbering,
//! 第十二条(五); the clock, the display, the encoder's habits, the upload deadline). A bureau
//! whose units number their recorders each from one (`一大队/DSJ001/`, `二大队/DSJ001/`) has two
//! recorders behind one number, and their files side by side read as one recorder's: numbers
//! far apart are "segments 4..50 missing", recordings made at once an overlap.
//!
//! A number's files are placed by their folders ([`place`]: the folders above the device's
//! folder, or the file's own folders less their date and mark folders). A content held in
//! several places (a clerk's copy in a case folder) is its home's: the place holding most of
//! the number's files among those holding it. Two places of one number are two recorders when
//! their recordings say so twice or more ([`WITNESSES`]), in one of two ways no single recorder
//! can: two recordings of theirs overlap in time (beyond the overlap tolerance; two files that
//! start and last alike, within `sessions::COMPANION_S`, are one recording, a copy or another
//! stream of it filed apart, and witness nothing), or one place numbers two recordings `n` and
//! `n + 1` and a recording of the other place began between them (of one kind, video or
//! audio, and where neither place's counter ever runs back: a counter that starts again each
//! day, session or kind orders nothing). Places are read below the scan roots: one layout on
//! two storage nodes or volumes is one place. Recordings named from a
//! clock that cannot be right witness nothing, and two places whose numbers are one counter's
//! (none shared, together running on: one recorder whose clock was set back between two docks)
//! are not told apart. A recorder that moved between units, docked at another station or had
//! files copied into a case folder gives neither, and keeps its one number.
//!
//! The files of a place that is one of two such recorders are given the device number
//! qualified with the place's last folder (`一大队/DSJ001`; more folders where the last is
//! alike) for the analysis: sessions, findings and the rules see two devices. `files` keeps the
//! number as the path gives it; [`bare`] is the number of a qualified one. Continuity still
//! counts the other recorder's numbers as present where the two never share one
//! (`continuity::siblings`), so that telling one counter apart never makes a number missing.
//! META-NAMESAKE (information) says which numbers were told apart.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::catalog::{FileFacts, Sym, TextFacts};
use crate::config::RuleSettings;

/// How many witnesses (overlapping pairs, recordings between another's `n` and `n + 1`) make
/// two places of a number two recorders.
pub const WITNESSES: u32 = 2;

/// How far past a recording the witnesses are looked for (files of the number in time order):
/// enough to find two, and no quadratic cost on a number with many files.
const LOOK: usize = 64;

/// The device number of a device id as the analysis gives it: `一大队/DSJ001` -> `DSJ001`.
pub fn bare(device: &str) -> &str {
    device.rsplit('/').next().unwrap_or(device)
}

/// Whether a folder's name is a date or part of one (`2026`, `202603`, `20260309`,
/// `2026-03-09`, `03`), or a day and a word (`20260310-补传`, a station's second upload of a
/// day): a station's day folders are no place of their own.
fn is_date(c: &str) -> bool {
    if crate::pathinfo::is_day_led(c) {
        return true;
    }
    let digits: String = c.chars().filter(|ch| !matches!(ch, '-' | '_')).collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let year = || {
        digits
            .get(..4)
            .and_then(|y| y.parse::<u32>().ok())
            .is_some_and(|y| (1990..2100).contains(&y))
    };
    match digits.len() {
        1 | 2 => true,
        4 | 6 | 8 => year(),
        _ => false,
    }
}

/// Whether a folder's name is a mark a recorder or station gives a folder of files (`EVENT`,
/// `LOCK`, `Normal`, `video`): letters alone.
fn is_mark(c: &str) -> bool {
    !c.is_empty() && c.len() <= 12 && c.bytes().all(|b| b.is_ascii_alphabetic())
}

/// The folders that place a file of `device`: those above the first folder named as the
/// device, else the file's own folders less the date and mark folders at their end; date
/// folders anywhere are left out.
fn place<'p>(path: &'p str, device: &str) -> Vec<&'p str> {
    let folders: Vec<&str> = match path.rsplit_once('/') {
        Some((d, _)) => d.split('/').filter(|c| !c.is_empty()).collect(),
        None => Vec::new(),
    };
    let mut kept: Vec<&str> = match folders.iter().position(|c| c.eq_ignore_ascii_case(device)) {
        Some(k) => folders[..k].to_vec(),
        None => {
            let mut f = folders;
            while f.last().is_some_and(|c| is_date(c) || is_mark(c)) {
                f.pop();
            }
            f
        }
    };
    kept.retain(|c| !is_date(c));
    kept
}

/// A recording of a number that can witness: its place, time and number.
struct Seen {
    place: usize,
    /// Video or audio: a recorder may number and record each kind on its own.
    video: bool,
    start: i64,
    end: i64,
    seq: Option<i32>,
}

/// Who made each file, for the analysis: a case's folder is no device
/// ([`case_folders_are_no_devices`]), then one number's two recorders are told apart
/// ([`tell_apart`]). Before the sessions and the obligations, in every pipeline.
pub fn attribute(
    facts: &mut [FileFacts],
    settings: &RuleSettings,
    context: &crate::context::Typed,
    now_us: i64,
) {
    case_folders_are_no_devices(facts, context);
    tell_apart(facts, settings, context, now_us);
}

/// A clerk who files a case's recordings into its folder (第十八条), names kept
/// (`案卷/AJ-2026-031/20260309_090020_0002.MP4`), leaves a case folder where the path patterns
/// look for a device's (a letter and a digit in its name): a device number that names a case
/// of the `cases` table (as a whole token, as case folders are found) is no device. Its files
/// are recordings of no device (META-DEVICE), which continuity may find in the place of a
/// device's missing numbers (CONT-RENAMED). Returns how many files lost a device so.
pub fn case_folders_are_no_devices(
    facts: &mut [FileFacts],
    context: &crate::context::Typed,
) -> usize {
    if context.cases.is_empty() {
        return 0;
    }
    let folders = crate::obligations::CaseFolders::new(context);
    let mut judged: HashMap<Sym, bool> = HashMap::new();
    let mut copies: HashMap<*const TextFacts, Arc<TextFacts>> = HashMap::new();
    let mut lost = 0;
    for f in facts.iter_mut() {
        let Some(d) = f.device_id.clone() else {
            continue;
        };
        let case = *judged
            .entry(d.clone())
            .or_insert_with(|| !folders.cases_in(&d).is_empty());
        if case {
            let text = copies.entry(Arc::as_ptr(&f.text)).or_insert_with(|| {
                let mut t = (*f.text).clone();
                t.device_id = None;
                Arc::new(t)
            });
            f.text = text.clone();
            lost += 1;
        }
    }
    lost
}

/// Tells apart the recorders behind one device number (see the module's text) and gives each
/// place's files its qualified number. Returns how many numbers were told apart.
pub fn tell_apart(
    facts: &mut [FileFacts],
    settings: &RuleSettings,
    context: &crate::context::Typed,
    now_us: i64,
) -> usize {
    // Each number's files, and whether they lie in more than one place.
    let mut by_device: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in facts.iter().enumerate() {
        if let Some(d) = f.device_id.as_deref() {
            by_device.entry(d).or_default().push(i);
        }
    }
    let mut given: Vec<(usize, Sym)> = Vec::new();
    let mut told = 0;
    let mut devices: Vec<(&str, Vec<usize>)> = by_device.into_iter().collect();
    devices.sort_unstable_by_key(|(d, _)| *d);
    for (device, files) in devices {
        if device.contains('/') {
            continue; // told apart already
        }
        // Most numbers lie in one folder a day: a place is worked out once per folder, and a
        // number whose folders all give one place goes on at once. Places are numbered as
        // they come, then in their names' order (the same whatever the files' order).
        let folder = |i: usize| facts[i].path.rsplit_once('/').map_or("", |(d, _)| d);
        let mut found: Vec<Vec<&str>> = Vec::new();
        let mut of: Vec<usize> = Vec::with_capacity(files.len());
        let mut last: Option<(&str, usize)> = None;
        for &i in &files {
            let d = folder(i);
            let p = match last {
                Some((l, p)) if l == d => p,
                _ => {
                    // Below its scan root: one layout on two storage nodes or volumes is
                    // one place.
                    let p = place(context.relative(&facts[i].path), device);
                    found.iter().position(|q| *q == p).unwrap_or_else(|| {
                        found.push(p);
                        found.len() - 1
                    })
                }
            };
            last = Some((d, p));
            of.push(p);
        }
        if found.len() < 2 {
            continue;
        }
        let mut order: Vec<usize> = (0..found.len()).collect();
        order.sort_by(|&a, &b| found[a].cmp(&found[b]));
        let mut rank = vec![0; found.len()];
        for (r, &p) in order.iter().enumerate() {
            rank[p] = r;
        }
        for p in &mut of {
            *p = rank[*p];
        }
        let names: Vec<&Vec<&str>> = order.iter().map(|&p| &found[p]).collect();
        // A content held in several places (a clerk's copy in a case folder) is its home's:
        // the place holding most of the number's files among those holding it.
        let mut count = vec![0usize; names.len()];
        for &p in &of {
            count[p] += 1;
        }
        let mut content: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, &i) in files.iter().enumerate() {
            if let Some(h) = facts[i].blake3.as_deref() {
                content.entry(h).or_default().push(of[k]);
            }
        }
        for (k, &i) in files.iter().enumerate() {
            let held = facts[i].blake3.as_deref().and_then(|h| content.get(h));
            if let Some(home) = held.and_then(|ps| {
                ps.iter()
                    .copied()
                    .max_by_key(|&p| (count[p], usize::MAX - p))
            }) {
                of[k] = home;
            }
        }
        let Some(pairs) = witnesses(facts, &files, &of, names.len(), settings, now_us) else {
            continue;
        };
        let apart: Vec<bool> = (0..names.len())
            .map(|p| pairs.iter().any(|&(a, b)| a == p || b == p))
            .collect();
        let qualified = qualifiers(&names, &apart, device);
        for (k, &i) in files.iter().enumerate() {
            if let Some(q) = &qualified[of[k]] {
                given.push((i, q.clone()));
            }
        }
        told += 1;
    }
    // One copy of the text facts per (facts, number) given.
    let mut copies: HashMap<(*const TextFacts, *const str), Arc<TextFacts>> = HashMap::new();
    for (i, q) in given {
        let f = &mut facts[i];
        let key = (Arc::as_ptr(&f.text), Arc::as_ptr(&q));
        let text = copies
            .entry(key)
            .or_insert_with(|| {
                let mut t = (*f.text).clone();
                t.device_id = Some(q.clone());
                Arc::new(t)
            })
            .clone();
        f.text = text;
    }
    told
}

/// The pairs of places (`a < b`) with [`WITNESSES`] or more witnesses that they are two
/// recorders; `None` when no pair has.
fn witnesses(
    facts: &[FileFacts],
    files: &[usize],
    of: &[usize],
    places: usize,
    settings: &RuleSettings,
    now_us: i64,
) -> Option<Vec<(usize, usize)>> {
    let mut seen: Vec<Seen> = files
        .iter()
        .zip(of)
        .filter_map(|(&i, &place)| {
            let f = &facts[i];
            let (start, end) = (f.start_us()?, f.end_us()?);
            (f.is_recording() && end > start && !settings.implausible(start, now_us)).then_some(
                Seen {
                    place,
                    video: f.media_kind.as_deref() == Some("video"),
                    start,
                    end,
                    seq: f.segment_seq,
                },
            )
        })
        .collect();
    seen.sort_unstable_by_key(|s| (s.start, s.place));
    let mut count: HashMap<(usize, usize), u32> = HashMap::new();
    let mut witness = |a: usize, b: usize| {
        *count.entry((a.min(b), a.max(b))).or_default() += 1;
    };
    let tolerance = (settings.overlap_tolerance_s.max(0.0) * 1e6) as i64;
    // One recording's two streams or copies: starting and lasting alike (as the sessions pair
    // a sub-stream with its main stream), a station may file them apart (`HD/`, `SD/`).
    let near = (crate::sessions::COMPANION_S * 1e6) as i64;
    let alike = |a: &Seen, b: &Seen| {
        (a.start - b.start).abs() <= near && ((a.end - a.start) - (b.end - b.start)).abs() <= near
    };
    // Two recordings at once.
    for (k, a) in seen.iter().enumerate() {
        for b in seen[k + 1..].iter().take(LOOK) {
            if b.start >= a.end {
                break;
            }
            if a.place != b.place
                && a.video == b.video
                && !alike(a, b)
                && a.end.min(b.end) - b.start > tolerance
            {
                witness(a.place, b.place);
            }
        }
    }
    // A recording of another place between one place's n and n + 1, of one kind, where both
    // places' counters (of that kind, in time order) only run on: a counter that starts
    // again (each day, each session, each kind) orders nothing.
    let key = |s: &Seen| s.place * 2 + usize::from(s.video);
    let mut last: Vec<Option<usize>> = vec![None; places * 2];
    let mut runs_back = vec![false; places * 2];
    for (k, c) in seen.iter().enumerate() {
        if let (Some(j), Some(y)) = (last[key(c)], c.seq)
            && seen[j].seq.is_some_and(|x| y < x)
        {
            runs_back[key(c)] = true;
        }
        if c.seq.is_some() {
            last[key(c)] = Some(k);
        }
    }
    let mut last: Vec<Option<usize>> = vec![None; places * 2];
    for (k, c) in seen.iter().enumerate() {
        if let Some(j) = last[key(c)] {
            let a = &seen[j];
            if let (Some(x), Some(y)) = (a.seq, c.seq)
                && x.checked_add(1) == Some(y)
                && !runs_back[key(c)]
            {
                for b in seen[j + 1..k].iter().take(LOOK) {
                    if b.place != c.place
                        && b.video == c.video
                        && !runs_back[key(b)]
                        && b.start > a.start
                        && b.start < c.start
                        && !alike(a, b)
                        && !alike(b, c)
                    {
                        witness(c.place, b.place);
                    }
                }
            }
        }
        if c.seq.is_some() {
            last[key(c)] = Some(k);
        }
    }
    let mut numbers: Vec<BTreeSet<i32>> = vec![BTreeSet::new(); places];
    for (&i, &p) in files.iter().zip(of) {
        if let Some(n) = facts[i].segment_seq {
            numbers[p].insert(n);
        }
    }
    let mut pairs: Vec<(usize, usize)> = count
        .into_iter()
        .filter(|&((a, b), n)| n >= WITNESSES && !one_counter(&numbers[a], &numbers[b]))
        .map(|(p, _)| p)
        .collect();
    pairs.sort_unstable();
    (!pairs.is_empty()).then_some(pairs)
}

/// Whether two places' numbers are one counter's: none carried by both, and together they
/// run on with no step over [`COUNTER_STEP`]. One recorder whose clock was set back seems to
/// record at once in the two places it docked at; its numbers still follow on.
fn one_counter(a: &BTreeSet<i32>, b: &BTreeSet<i32>) -> bool {
    if a.is_empty() || b.is_empty() || !a.is_disjoint(b) {
        return false;
    }
    let all: Vec<i32> = a.union(b).copied().collect();
    all.windows(2)
        .all(|w| i64::from(w[1]) - i64::from(w[0]) <= COUNTER_STEP)
}

/// The largest step between two places' numbers that still reads as one counter: a number or
/// two missing between them is the continuity rules' to judge.
const COUNTER_STEP: i64 = 3;

/// Each place's qualified number, where it is `apart`: the fewest last folders that tell it
/// from the number's other places, then the number (`一大队/DSJ001`).
fn qualifiers(names: &[&Vec<&str>], apart: &[bool], device: &str) -> Vec<Option<Sym>> {
    let longest = names.iter().map(|n| n.len()).max().unwrap_or(0).max(1);
    let suffix = |n: &[&str], k: usize| -> String { n[n.len().saturating_sub(k)..].join("/") };
    let k = (1..=longest)
        .find(|&k| {
            let mut s: Vec<String> = names.iter().map(|n| suffix(n, k)).collect();
            s.sort();
            s.windows(2).all(|w| w[0] != w[1])
        })
        .unwrap_or(longest);
    names
        .iter()
        .zip(apart)
        .map(|(n, &a)| {
            let s = suffix(n, k);
            (a && !s.is_empty()).then(|| Sym::from(format!("{s}/{device}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-09 01:00:00 UTC (09:00 in Shanghai).
    const AT: i64 = 1_773_018_000_000_000;

    /// A 20-s segment in folder `dir` (below `/ev`), numbered `n`, named `at_s` seconds after
    /// [`AT`]; its content its own unless `hash` is given.
    fn seg(dir: &str, device: &str, n: i32, at_s: i64) -> FileFacts {
        let start = AT + at_s * 1_000_000;
        FileFacts {
            path: format!("/ev/{dir}/20260309/{device}_{start}_{n:04}.MP4").into(),
            segment_seq: Some(n),
            name_time_us: Some(start),
            creation_time_us: Some(start),
            duration_s: Some(20.0),
            size_bytes: 1_000_000,
            blake3: Some(format!("{dir}{n}{at_s}").into()),
            text: TextFacts {
                status: "ok".into(),
                container: Some("mp4".into()),
                device_id: Some(device.into()),
                media_kind: Some("video".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        }
    }

    /// `count` segments back to back from number `n`, at `at_s`.
    fn run(dir: &str, device: &str, n: i32, at_s: i64, count: i32) -> Vec<FileFacts> {
        (0..count)
            .map(|k| seg(dir, device, n + k, at_s + 20 * i64::from(k)))
            .collect()
    }

    /// The analysis of `parts` (rows numbered in order): its findings as `rule device file`
    /// (no file: `-`), sorted, and its sessions' devices.
    fn analysed(parts: Vec<Vec<FileFacts>>) -> (Vec<String>, Vec<String>) {
        let mut facts: Vec<FileFacts> = parts.into_iter().flatten().collect();
        for (row, f) in facts.iter_mut().enumerate() {
            f.row = row;
        }
        let a = crate::analyse::analyse(
            &facts,
            &RuleSettings::default(),
            chrono_tz::Asia::Shanghai,
            "r",
            AT + 30 * 86_400_000_000,
        );
        let mut found: Vec<String> = a
            .findings
            .iter()
            .filter(|f| !f.rule_id.starts_with("DL-"))
            .map(|f| {
                let p = f
                    .path
                    .as_deref()
                    .map_or("-", |p| p.rsplit('/').next().unwrap_or(p));
                let what = if f.rule_id == "CONT-MISSING" {
                    let m = f.message.split(" missing").next().unwrap_or("");
                    format!(": {m}")
                } else {
                    String::new()
                };
                format!(
                    "{} {} {p}{what}",
                    f.rule_id,
                    f.device_id.as_deref().unwrap_or("-")
                )
            })
            .collect();
        found.sort();
        let mut devices: Vec<String> = a.sessions.iter().map(|s| s.device_id.clone()).collect();
        devices.sort();
        devices.dedup();
        (found, devices)
    }

    const DAY: i64 = 86_400;

    #[test]
    fn two_recorders_numbered_alike_in_two_units_are_judged_apart() {
        // Counters far apart, never at once: 一大队's 3 and 4 have 二大队's 51..53 between them.
        let (found, devices) = analysed(vec![
            run("一大队/DSJ005", "DSJ005", 1, 0, 3),
            run("二大队/DSJ005", "DSJ005", 51, 1800, 3),
            run("一大队/DSJ005", "DSJ005", 4, 3 * 3600, 3),
            run("二大队/DSJ005", "DSJ005", 54, 5 * 3600, 3),
        ]);
        assert_eq!(
            found,
            [
                "META-NAMESAKE 一大队/DSJ005 -",
                "META-NAMESAKE 二大队/DSJ005 -"
            ]
        );
        assert_eq!(devices, ["一大队/DSJ005", "二大队/DSJ005"]);
        // Counters alike, both on shift at once (二大队 starts 30 s after 一大队): no overlap;
        // a segment 一大队 lost is still its own gap.
        let mut one = run("一大队/DSJ001", "DSJ001", 1, 0, 6);
        one.remove(3);
        let (found, _) = analysed(vec![one, run("二大队/DSJ001", "DSJ001", 1, 30, 6)]);
        assert_eq!(
            found,
            [
                "CONT-MISSING 一大队/DSJ001 DSJ001_1773018080000000_0005.MP4: segment 4",
                "META-NAMESAKE 一大队/DSJ001 -",
                "META-NAMESAKE 二大队/DSJ001 -"
            ]
        );
    }

    #[test]
    fn a_recorder_moved_between_units_or_docked_at_two_stations_keeps_its_number() {
        // Moved after the first day, its counter running on.
        let moved = vec![
            run("一大队/DSJ003", "DSJ003", 1, 0, 3),
            run("二大队/DSJ003", "DSJ003", 4, DAY, 3),
        ];
        // Docked wherever a station was free, station above the device folder.
        let docked = vec![
            run("站1/DSJ-A8-0004444", "DSJ-A8-0004444", 1, 0, 3),
            run("站2/DSJ-A8-0004444", "DSJ-A8-0004444", 4, DAY, 3),
            run("站1/DSJ-A8-0004444", "DSJ-A8-0004444", 7, 2 * DAY, 3),
        ];
        // A clerk's copy of a day in a case folder, and one segment copied alone.
        let mut copied = vec![run("一大队/DSJ007", "DSJ007", 1, 0, 3)];
        copied.push(
            copied[0]
                .iter()
                .map(|f| FileFacts {
                    path: f.path.replace("一大队", "案卷/AJ-2026-031").into(),
                    ..f.clone()
                })
                .collect(),
        );
        for (parts, device) in [
            (moved, "DSJ003"),
            (docked, "DSJ-A8-0004444"),
            (copied, "DSJ007"),
        ] {
            let copies = if device == "DSJ007" { 6 } else { 0 };
            let (found, devices) = analysed(parts);
            assert_eq!(found.len(), copies, "{device}: {found:?}");
            assert!(
                found.iter().all(|f| f.starts_with("INT-DUPLICATE DSJ007 ")),
                "{device}: {found:?}"
            );
            assert_eq!(devices, [device]);
        }
    }

    /// [`tell_apart`] of `facts` with the default settings, scanned a month after [`AT`].
    fn apart(facts: &mut [FileFacts], context: &crate::context::Typed) {
        tell_apart(
            facts,
            &RuleSettings::default(),
            context,
            AT + 30 * 86_400_000_000,
        );
    }

    #[test]
    fn one_recorders_files_on_two_storage_nodes_are_one_recorder() {
        // One recorder numbering each recording's files from 1, video and voice each on its
        // own, its files shared between two storage nodes by the station (as the province's
        // test tree is): `n` and `n + 1` of one node with the other's files between them.
        let file = |node: &str, n: i32, at_s: i64, kind: &str| {
            let mut f = seg("x", "NEG-K", n, at_s);
            f.path = format!("/{node}/ev/单位甲/NEG-K/20260312/NEG-K_{at_s}_{n:04}.MP4").into();
            f.duration_s = Some(6.0);
            if kind == "audio" {
                let mut t = (*f.text).clone();
                t.media_kind = Some("audio".into());
                f.text = t.into();
            }
            f
        };
        let facts = || {
            vec![
                file("a", 1, 0, "video"),
                file("b", 2, 6, "video"),
                file("a", 3, 12, "video"),
                file("b", 1, 1200, "audio"),
                file("a", 1, 2100, "audio"),
                file("a", 1, 3600, "video"),
                file("b", 2, 3606, "video"),
            ]
        };
        let devices = |facts: &[FileFacts]| -> Vec<String> {
            let mut d: Vec<String> = facts
                .iter()
                .filter_map(|f| f.device_id.as_deref().map(str::to_string))
                .collect();
            d.sort();
            d.dedup();
            d
        };
        // Read below the nodes' roots: one place.
        let mut context = crate::context::Typed::default();
        context.anchor(&["/a/ev".to_string(), "/b/ev".to_string()]);
        let mut on_nodes = facts();
        apart(&mut on_nodes, &context);
        assert_eq!(devices(&on_nodes), ["NEG-K"]);
        // Even read as two places, its counters run back (each recording, each kind from 1):
        // no witness.
        let mut two_places = facts();
        apart(&mut two_places, &Default::default());
        assert_eq!(devices(&two_places), ["NEG-K"]);
        // Two recordings of two segments each, numbered from 1 each, split between the nodes
        // so that one node holds 1 and 2 of two recordings with the other's files between.
        let mut split = vec![
            file("a", 1, 0, "video"),
            file("b", 2, 6, "video"),
            file("b", 1, 1000, "video"),
            file("a", 2, 1006, "video"),
        ];
        apart(&mut split, &Default::default());
        assert_eq!(devices(&split), ["NEG-K"]);
    }

    #[test]
    fn a_recorders_two_streams_filed_apart_are_one_recorder() {
        // A station files the main streams under `HD/` and the sub-streams (named a second
        // later) under `SD/`: one recording's two streams, at once, are no witness.
        let main = run("HD/DSJ008", "DSJ008", 1, 0, 6);
        let sub: Vec<FileFacts> = main
            .iter()
            .map(|f| {
                let n = f.segment_seq.unwrap_or(0);
                FileFacts {
                    width: Some(640),
                    ..seg("SD/DSJ008", "DSJ008", n, 20 * i64::from(n - 1) + 1)
                }
            })
            .collect();
        let main = main
            .into_iter()
            .map(|f| FileFacts {
                width: Some(1920),
                ..f
            })
            .collect();
        let (found, devices) = analysed(vec![main, sub]);
        assert!(
            found.iter().all(|f| !f.starts_with("META-NAMESAKE")),
            "{found:?}"
        );
        assert_eq!(devices, ["DSJ008"]);
    }

    #[test]
    fn a_copy_goes_with_its_recorder_and_a_counter_told_apart_by_mistake_misses_no_number() {
        // 二大队's recording copied into a case folder is 二大队's.
        let copy = {
            let f = seg("二大队/DSJ001", "DSJ001", 2, 50);
            FileFacts {
                path: f.path.replace("二大队", "案卷/AJ-1").into(),
                ..f
            }
        };
        let (found, _) = analysed(vec![
            run("一大队/DSJ001", "DSJ001", 1, 0, 3),
            run("二大队/DSJ001", "DSJ001", 1, 30, 3),
            vec![copy],
        ]);
        assert!(
            found.contains(
                &"INT-DUPLICATE 二大队/DSJ001 DSJ001_1773018050000000_0002.MP4".to_string()
            ),
            "{found:?}"
        );
        // One recorder, its clock set back an hour after docking at 站1: what it made after,
        // docked at 站2, seems made at once with what it made before. Its numbers run on from
        // one station into the other: one counter, one recorder, its clock set back.
        let setback = |lost: i32| {
            let mut after = run("站2/DSJ009", "DSJ009", 7, 3610, 6);
            after.drain(..lost as usize);
            analysed(vec![
                run("站1/DSJ009", "DSJ009", 1, 3600, 6),
                after,
                run("站1/DSJ009", "DSJ009", 13, DAY, 3),
            ])
            .0
        };
        let found = setback(0);
        assert!(
            found.iter().any(|f| f.starts_with("CLK-SETBACK DSJ009 ")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .all(|f| !f.starts_with("CONT-MISSING") && !f.starts_with("META-NAMESAKE")),
            "{found:?}"
        );
        // Four of them lost (7..10): the numbers no longer run on, and the stations are told
        // apart; 站1 misses the four, not 站2's two.
        let found = setback(4);
        assert!(
            found.contains(&"CONT-MISSING 站1/DSJ009 DSJ009_1773104400000000_0013.MP4: 4 of segments 7..12 (the others carried by photos or other files of the number)".to_string()),
            "{found:?}"
        );
    }

    #[test]
    fn a_case_folder_taken_for_a_device_is_none() {
        let context = crate::context::Typed {
            cases: vec![crate::context::Case {
                case_id: "AJ-2026-031".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut facts = vec![
            seg("案卷/AJ-2026-031", "AJ-2026-031", 2, 20),
            seg("案卷/AJ-2026-0310", "AJ-2026-0310", 2, 20),
            seg("一大队/DSJ001", "DSJ001", 1, 0),
        ];
        assert_eq!(case_folders_are_no_devices(&mut facts, &context), 1);
        let devices: Vec<Option<&str>> = facts.iter().map(|f| f.device_id.as_deref()).collect();
        assert_eq!(devices, [None, Some("AJ-2026-0310"), Some("DSJ001")]);
        // Without a `cases` table, nothing is known of case folders.
        let mut facts = vec![seg("案卷/AJ-2026-031", "AJ-2026-031", 2, 20)];
        assert_eq!(
            case_folders_are_no_devices(&mut facts, &Default::default()),
            0
        );
    }

    #[test]
    fn a_files_place_is_above_its_device_folder_or_its_own_less_dates_and_marks() {
        let p = |path: &str, d: &str| place(path, d).join("/");
        assert_eq!(p("/ev/一大队/DSJ001/20260309/a.MP4", "DSJ001"), "ev/一大队");
        assert_eq!(p("/ev/一大队/dsj001/a.MP4", "DSJ001"), "ev/一大队");
        assert_eq!(p("/ev/站1/20260309/DSJ001/a.MP4", "DSJ001"), "ev/站1");
        assert_eq!(
            p("/ev/一大队/2026/03/09/DSJ001_x.MP4", "DSJ001"),
            "ev/一大队"
        );
        assert_eq!(p("/ev/二大队/EVENT/DSJ001_x.MP4", "DSJ001"), "ev/二大队");
        assert_eq!(p("/ev/3301/DSJ001_x.MP4", "DSJ001"), "ev/3301");
        assert!(is_date("2026-03-09") && is_date("202603") && !is_date("3301"));
    }
}
