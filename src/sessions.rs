//! Recording sessions: a device's files in time order, grouped where each segment follows the
//! previous one. A recorder splits one continuous recording into segment files (lengths differ
//! by model; the last is usually shorter); a new session starts after a long pause or when the
//! recorder restarts its segment numbering. Photos taken during a session are attached to it.
//! Pure computation over the catalog: no file is read here.

use std::collections::HashMap;

use crate::catalog::FileFacts;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub device: String,
    /// Indices into the facts slice of the session's recordings, in time order.
    pub members: Vec<usize>,
    pub start_us: i64,
    pub end_us: i64,
    /// The session is of a live stream's recordings ([`is_live`]), not of the recorder's own.
    pub live: bool,
}

#[derive(Debug, Default)]
pub struct Sessions {
    pub list: Vec<Session>,
    /// For each file (by index into the facts), its session.
    pub of_file: Vec<Option<usize>>,
    /// The companions (sub-streams, copies: recordings placed in their main stream's session
    /// but no segment of it), each with its main stream (or the file it copies), in order.
    pub mains: Vec<(usize, usize)>,
}

impl Sessions {
    /// The companions, in order.
    pub fn companions(&self) -> impl Iterator<Item = usize> + '_ {
        self.mains.iter().map(|&(c, _)| c)
    }

    /// The main stream of companion `i` (or the file it is a copy of); `None` for a file that
    /// is no companion.
    pub fn main_of(&self, i: usize) -> Option<usize> {
        self.mains
            .binary_search_by_key(&i, |&(c, _)| c)
            .ok()
            .map(|k| self.mains[k].1)
    }
}

/// End of a recording in microseconds (its start when the duration is unknown).
pub fn end_us(f: &FileFacts) -> Option<i64> {
    let s = f.start_us()?;
    Some(
        s + f
            .duration_s
            .filter(|d| d.is_finite() && *d > 0.0)
            .map_or(0, |d| (d * 1e6).round() as i64),
    )
}

/// Whether `f` is a live stream's recording: Flash Video, which a media server writes as a
/// recorder's live stream reaches it (a 4G recorder pushing to the command centre). Such files
/// are the server's copy of what the recorder sent, beside the recording on its card: they
/// make sessions of their own ([`build`]), neither overlapping the card's segments nor
/// breaking their session's parameters.
pub fn is_live(f: &FileFacts) -> bool {
    f.container.as_deref() == Some("flv")
}

/// How far apart a main stream's and its sub-stream's starts and durations may be, seconds.
pub const COMPANION_S: f64 = 1.5;

/// The sub-streams among a device's recordings `idx` (in time order), each with its main
/// stream: two video files that start and last alike (within [`COMPANION_S`]) at different
/// picture sizes, the smaller being the sub-stream. And the copies: files of the same bytes
/// (the same BLAKE3) that start alike (a copy a file manager made beside its file,
/// `..._0002(1).MP4`, or one in a second folder) are companions of the one among them with
/// the shortest name, not segments that overlap it or start its numbering again
/// (INT-DUPLICATE reports the copies). Two other files alike in size stay what they are (an
/// overlap).
fn companions(facts: &[FileFacts], idx: &[usize]) -> HashMap<usize, usize> {
    let pixels = |f: &FileFacts| -> Option<i64> {
        (f.media_kind.as_deref() == Some("video"))
            .then(|| Some(i64::from(f.width?) * i64::from(f.height?)))
            .flatten()
            .filter(|&p| p > 0)
    };
    let near_us = (COMPANION_S * 1e6) as i64;
    let mut out = HashMap::new();
    for (n, &a) in idx.iter().enumerate() {
        let fa = &facts[a];
        let Some(sa) = fa.start_us() else { continue };
        let near = || {
            idx[n + 1..]
                .iter()
                .map(|&b| (b, &facts[b]))
                .take_while(move |(_, fb)| fb.start_us().is_none_or(|sb| sb - sa <= near_us))
        };
        // A file and its copies: the one with the shortest name (a copy's name adds to the
        // original's) keeps its place, the others are its companions.
        if fa.blake3.is_some() && !out.contains_key(&a) {
            let mut copies: Vec<usize> = near()
                .filter(|(_, fb)| fb.blake3 == fa.blake3)
                .map(|(b, _)| b)
                .collect();
            if !copies.is_empty() {
                copies.push(a);
                let key = |i: usize| (facts[i].file_name().len(), &facts[i].path);
                if let Some(&main) = copies.iter().min_by(|&&x, &&y| key(x).cmp(&key(y))) {
                    for c in copies.into_iter().filter(|&c| c != main) {
                        out.insert(c, main);
                    }
                }
            }
        }
        // A copy pairs with no sub-stream: its file does, if it has one.
        let (false, Some(pa), Some(da)) = (out.contains_key(&a), pixels(fa), fa.duration_s) else {
            continue;
        };
        for (b, fb) in near() {
            if fb.start_us().is_none() || (fa.blake3.is_some() && fa.blake3 == fb.blake3) {
                continue;
            }
            let (Some(pb), Some(db)) = (pixels(fb), fb.duration_s) else {
                continue;
            };
            if pa == pb || (da - db).abs() > COMPANION_S {
                continue;
            }
            let (main, sub) = if pa > pb { (a, b) } else { (b, a) };
            if !out.contains_key(&main) {
                out.entry(sub).or_insert(main);
            }
        }
    }
    out
}

fn session_id(device: &str, start_us: i64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(start_us)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| start_us.to_string());
    format!("{device}@{t}")
}

/// Files' names read as their recordings' starts before sessions are built: a device that
/// names every segment of a recording by the recording's start with a part number after it
/// ([`parts_named_at_one_start`]), and one that names each file at its close
/// ([`names_at_close`]).
pub fn starts_from_names(facts: &mut [FileFacts]) {
    parts_named_at_one_start(facts);
    names_at_close(facts);
}

/// The recordings with a device, a name time and a segment number (by index), in the order
/// of device, name time, number and path: one sorted list of indices (8 bytes a file), read
/// by runs, rather than a map holding an entry and a list for every file.
fn named_in_order(facts: &[FileFacts]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..facts.len())
        .filter(|&i| {
            let f = &facts[i];
            f.device_id.is_some()
                && f.name_time_us.is_some()
                && f.segment_seq.is_some()
                && f.is_recording()
        })
        .collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (&facts[a], &facts[b]);
        (
            x.device_id.as_deref(),
            x.name_time_us,
            x.segment_seq,
            &x.path,
        )
            .cmp(&(
                y.device_id.as_deref(),
                y.name_time_us,
                y.segment_seq,
                &y.path,
            ))
    });
    idx
}

/// `f` taken to start `by_s` seconds later than its name says: its name time moved on, and
/// its display offsets, held against the name as a start, back by as much.
fn start_later(f: &mut FileFacts, by_s: f64) {
    f.name_time_us = f.name_time_us.map(|n| n + (by_s * 1e6).round() as i64);
    if let Some(o) = f.osd.offset_s.as_mut() {
        *o -= by_s as f32;
    }
    if let Some(e) = f.rare.as_mut().and_then(|r| r.osd_end_offset_s.as_mut()) {
        *e -= by_s as f32;
    }
}

/// Recorders that name every segment of a recording by the recording's start, the segment
/// number after it (`..._20260312100000_0001.MP4`, `..._20260312100000_0002.MP4`): two files
/// of a device or more, numbered one after the other, of one kind and picture size, whose
/// names give the same second. One recorder starts no two recordings at one second, so they
/// are parts of one recording: each part after the first starts where the one before it ends
/// ([`start_later`] by the lengths of the parts before it). Until 2026-12-06 (afternoon) they
/// all started at the name, each overlapping the ones before it (CONT-OVERLAP, warn,
/// OSD-PRERECORD). Parts of unknown length leave the rest of their run as named. A copy or a
/// sub-stream sharing a part's number starts with it; a sub-stream numbered after its main
/// stream is no part (another picture size): it stays its main stream's companion. Returns
/// the devices whose names were read so.
pub fn parts_named_at_one_start(facts: &mut [FileFacts]) -> Vec<String> {
    let order = named_in_order(facts);
    fn shape(f: &FileFacts) -> (Option<&str>, Option<i32>, Option<i32>) {
        (f.media_kind.as_deref(), f.width, f.height)
    }
    // Runs of parts: each part the files of one number (in path order), the parts numbered
    // one after the other, of one device, name second, kind and picture size.
    let mut runs: Vec<Vec<&[usize]>> = Vec::new();
    for second in order.chunk_by(|&a, &b| {
        let (x, y) = (&facts[a], &facts[b]);
        x.device_id == y.device_id && x.name_time_us == y.name_time_us
    }) {
        let mut run: Vec<&[usize]> = Vec::new();
        for part in second.chunk_by(|&a, &b| facts[a].segment_seq == facts[b].segment_seq) {
            let follows = run.last().is_some_and(|p: &&[usize]| {
                let (x, y) = (&facts[p[0]], &facts[part[0]]);
                y.segment_seq == x.segment_seq.map(|q| q.wrapping_add(1)) && shape(x) == shape(y)
            });
            if !follows {
                if run.len() >= 2 {
                    runs.push(std::mem::take(&mut run));
                }
                run.clear();
            }
            run.push(part);
        }
        if run.len() >= 2 {
            runs.push(run);
        }
    }
    let mut devices: Vec<String> = Vec::new();
    for run in runs {
        let mut before = 0.0_f64;
        for part in &run {
            let length = facts[part[0]]
                .duration_s
                .filter(|d| d.is_finite() && *d > 0.0);
            if before > 0.0 {
                for &i in *part {
                    start_later(&mut facts[i], before);
                }
            }
            match length {
                Some(dur) => before += dur,
                None => break,
            }
        }
        if let Some(d) = facts[run[0][0]].device_id.as_deref() {
            devices.push(d.to_string());
        }
    }
    devices.dedup();
    devices
}

/// How near (seconds) the step between two consecutive segments' names must come to one of
/// their lengths to say which end of a file its name is: names are whole seconds.
const NAME_END_TOLERANCE_S: f64 = 1.5;

/// Recorders that name each file when they close it: its name is its end, not its start.
/// Between two consecutive segments of one recording (numbered one after the other) whose
/// lengths differ by more than twice [`NAME_END_TOLERANCE_S`] (a recording's last segment is
/// shorter), the names step by the first one's length when a recorder names a file at its
/// start and by the second's when it names it at its close. A device is taken to name files
/// at their close when two such pairs or more say so and none says the other; and, where its
/// displays were read, when no such pair's pictures say otherwise: named at the close, each
/// picture begins its length before its name (display offset plus length alike, within
/// [`NAME_END_TOLERANCE_S`], whatever the clock's own offset to the names, a zone where the
/// display keeps UTC); named at the start, at it (offsets alike). A pre-record buffer
/// lengthens a recording's first segment, whose name step to the next then matches the next
/// one's length, but whose picture begins before its name by the buffer alone.
///
/// Each such file is taken to start its length before its name ([`start_later`] by minus its
/// length), so that sessions and every rule see the recording's start. Until 2026-12-06
/// (afternoon) such names were taken as starts: each recording's last, shorter segment
/// overlapped the one before (CONT-OVERLAP, warn). Returns the devices so taken.
pub fn names_at_close(facts: &mut [FileFacts]) -> Vec<String> {
    let tol = NAME_END_TOLERANCE_S;
    let length = |f: &FileFacts| f.duration_s.filter(|d| d.is_finite() && *d > 0.0);
    let order: Vec<usize> = named_in_order(facts)
        .into_iter()
        .filter(|&i| facts[i].status.as_ref() == "ok" && length(&facts[i]).is_some())
        .collect();
    let mut marked: Vec<&[usize]> = Vec::new();
    for device in order.chunk_by(|&a, &b| facts[a].device_id == facts[b].device_id) {
        let (mut at_start, mut at_close, mut shown_start) = (0usize, 0usize, 0usize);
        for w in device.windows(2) {
            let (a, b) = (&facts[w[0]], &facts[w[1]]);
            let (Some(sa), Some(sb), Some(na), Some(nb), Some(da), Some(db)) = (
                a.segment_seq,
                b.segment_seq,
                a.name_time_us,
                b.name_time_us,
                length(a),
                length(b),
            ) else {
                continue;
            };
            if sb != sa.wrapping_add(1) || (da - db).abs() <= 2.0 * tol {
                continue;
            }
            let step = (nb - na) as f64 / 1e6;
            if (step - da).abs() <= tol {
                at_start += 1;
            } else if (step - db).abs() <= tol {
                at_close += 1;
            }
            // The pictures of the two, where read: named at the close, each begins its
            // length before its name (offset plus length alike); named at the start, at it
            // (offsets alike).
            if let (Some(oa), Some(ob)) = (a.osd.offset_s, b.osd.offset_s) {
                let (oa, ob) = (f64::from(oa), f64::from(ob));
                if ((ob + db) - (oa + da)).abs() > tol && (ob - oa).abs() <= tol {
                    shown_start += 1;
                }
            }
        }
        if at_close >= 2 && at_start == 0 && shown_start == 0 {
            marked.push(device);
        }
    }
    let mut devices = Vec::with_capacity(marked.len());
    for device in marked {
        for &i in device {
            if let Some(dur) = length(&facts[i]) {
                start_later(&mut facts[i], -dur);
            }
        }
        if let Some(d) = facts[device[0]].device_id.as_deref() {
            devices.push(d.to_string());
        }
    }
    devices
}

pub fn build(facts: &[FileFacts], pause_s: f64) -> Sessions {
    // A device's own recordings, and apart from them its live stream's ([`is_live`]).
    let mut by_device: HashMap<(&str, bool), Vec<usize>> = HashMap::new();
    let mut photos: Vec<usize> = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        let (Some(d), Some(_)) = (f.device_id.as_deref(), f.start_us()) else {
            continue;
        };
        if f.is_recording() {
            by_device.entry((d, is_live(f))).or_default().push(i);
        } else if f.media_kind.as_deref() == Some("photo") {
            photos.push(i);
        }
    }
    let mut devices: Vec<(&str, bool)> = by_device.keys().copied().collect();
    devices.sort_unstable();
    let mut out = Sessions {
        list: Vec::new(),
        of_file: vec![None; facts.len()],
        mains: Vec::new(),
    };
    let mut used_ids: HashMap<String, u32> = HashMap::new();
    let mut companion_of: Vec<(usize, usize)> = Vec::new();
    let pause_us = (pause_s * 1e6) as i64;
    for key in devices {
        let Some(idx) = by_device.get_mut(&key) else {
            continue;
        };
        let (d, live) = key;
        idx.sort_by(|&a, &b| {
            let (fa, fb) = (&facts[a], &facts[b]);
            fa.start_us()
                .cmp(&fb.start_us())
                .then_with(|| fa.segment_seq.cmp(&fb.segment_seq))
                .then_with(|| fa.path.cmp(&fb.path))
        });
        // A recorder that writes each recording twice, a main stream and a smaller sub-stream
        // (双码流), files the two side by side: the sub-stream is the main one's companion,
        // placed in its session but not a segment of its own (it neither overlaps the main
        // stream nor breaks the session's parameters).
        let companions = companions(facts, idx);
        for (&c, &main) in &companions {
            companion_of.push((c, main));
        }
        idx.retain(|i| !companions.contains_key(i));
        let mut cur: Option<Session> = None;
        let mut last_seq: Option<i32> = None;
        for &i in idx.iter() {
            let f = &facts[i];
            let (Some(start), Some(end)) = (f.start_us(), end_us(f)) else {
                continue;
            };
            let restart = matches!((last_seq, f.segment_seq), (Some(p), Some(s)) if s <= p);
            let split = match &cur {
                None => true,
                Some(s) => restart || start - s.end_us > pause_us,
            };
            if split {
                if let Some(s) = cur.take() {
                    out.list.push(s);
                }
                let mut id = session_id(d, start);
                let n = used_ids.entry(id.clone()).or_insert(0);
                *n += 1;
                if *n > 1 {
                    id = format!("{id}-{n}");
                }
                cur = Some(Session {
                    id,
                    device: d.to_string(),
                    members: Vec::new(),
                    start_us: start,
                    end_us: end,
                    live,
                });
            }
            if let Some(s) = cur.as_mut() {
                s.members.push(i);
                s.end_us = s.end_us.max(end);
            }
            last_seq = f.segment_seq;
        }
        if let Some(s) = cur.take() {
            out.list.push(s);
        }
    }
    for (k, s) in out.list.iter().enumerate() {
        for &m in &s.members {
            out.of_file[m] = Some(k);
        }
    }
    for &(c, main) in &companion_of {
        out.of_file[c] = out.of_file[main];
    }
    companion_of.sort_unstable();
    out.mains = companion_of;
    // A photo belongs to the session of its device that was recording when it was taken
    // (sessions looked up per device, not over the whole list).
    let mut by_dev: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, s) in out.list.iter().enumerate() {
        by_dev.entry(s.device.as_str()).or_default().push(k);
    }
    for p in photos {
        let f = &facts[p];
        let (Some(d), Some(t)) = (f.device_id.as_deref(), f.start_us()) else {
            continue;
        };
        out.of_file[p] = by_dev.get(d).and_then(|ks| {
            ks.iter()
                .copied()
                .find(|&k| out.list[k].start_us <= t && t <= out.list[k].end_us)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(dev: &str, start_s: i64, dur: f64, seq: i32) -> FileFacts {
        FileFacts {
            path: format!("{dev}_{start_s}_{seq}.MP4").into(),
            name_time_us: Some(start_s * 1_000_000),
            duration_s: Some(dur),
            segment_seq: Some(seq),
            text: crate::catalog::TextFacts {
                device_id: Some(dev.into()),
                media_kind: Some("video".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        }
    }

    /// Device `dev`'s recordings `(name, length)`, numbered from 1 in order, read.
    fn named(dev: &str, files: &[(i64, f64)]) -> Vec<FileFacts> {
        files
            .iter()
            .zip(1..)
            .map(|(&(at, dur), seq)| {
                let mut f = seg(dev, at, dur, seq);
                f.status = "ok".into();
                f
            })
            .collect()
    }

    #[test]
    fn a_live_streams_recordings_make_sessions_of_their_own() {
        let mut facts = named("A", &[(0, 10.0), (10, 10.0)]);
        for at in [2, 17] {
            let mut f = seg("A", at, 8.0, 0);
            f.segment_seq = None;
            f.status = "ok".into();
            f.text = crate::catalog::TextFacts {
                container: Some("flv".into()),
                ..(*f.text).clone()
            }
            .into();
            facts.push(f);
        }
        let s = build(&facts, 300.0);
        let shape: Vec<(bool, Vec<usize>)> =
            s.list.iter().map(|s| (s.live, s.members.clone())).collect();
        assert_eq!(shape, [(false, vec![0, 1]), (true, vec![2, 3])]);
        assert_ne!(s.list[0].id, s.list[1].id);
    }

    #[test]
    fn a_device_naming_its_files_at_their_close_is_told_by_its_shorter_last_segments() {
        // Two recordings of five-minute segments, each ending in a shorter one, named at the
        // close: the names step by the later segment's length.
        let close = [
            (300, 300.0),
            (600, 300.0),
            (720, 120.0),
            (4000, 300.0),
            (4090, 90.0),
        ];
        let mut f = named("A", &close);
        f[2].osd.offset_s = Some(-120.0);
        f[4].osd.offset_s = Some(-90.0);
        assert_eq!(names_at_close(&mut f), ["A"]);
        let starts: Vec<i64> = f.iter().filter_map(FileFacts::start_us).collect();
        assert_eq!(
            starts,
            [0, 300, 600, 3700, 4000].map(|s: i64| s * 1_000_000)
        );
        assert_eq!(
            (f[2].osd.offset_s, f[4].osd.offset_s),
            (Some(0.0), Some(0.0))
        );
        let s = build(&f, 600.0);
        assert_eq!(
            s.list.iter().map(|x| x.members.len()).collect::<Vec<_>>(),
            [3, 2]
        );
        // Named at the start, with a pre-record buffer lengthening each recording's first
        // segment by 10 s: the first step matches the next one's length, the last the
        // previous one's. Nothing moved.
        let start = [
            (0, 310.0),
            (300, 300.0),
            (600, 120.0),
            (4000, 310.0),
            (4300, 90.0),
        ];
        let mut f = named("B", &start);
        assert!(names_at_close(&mut f).is_empty());
        assert_eq!(f[2].start_us(), Some(600_000_000));
        // One pair alone says nothing; nor do steps whose lengths are alike.
        let mut f = named(
            "C",
            &[(300, 300.0), (420, 120.0), (900, 300.0), (1200, 300.0)],
        );
        assert!(names_at_close(&mut f).is_empty());
        // The lengths say close, the pictures say start (they begin at their names): not moved.
        let mut f = named("D", &close);
        for g in f.iter_mut() {
            g.osd.offset_s = Some(0.0);
        }
        assert!(names_at_close(&mut f).is_empty());
        // A display kept in UTC, eight hours behind the names, beginning a length before them.
        let mut f = named("E", &close);
        for g in f.iter_mut() {
            g.osd.offset_s = g.duration_s.map(|d| (-28_800.0 - d) as f32);
        }
        assert_eq!(names_at_close(&mut f), ["E"]);
        assert_eq!(f[2].osd.offset_s, Some(-28_800.0));
    }

    #[test]
    fn segments_named_at_their_recordings_start_follow_one_another() {
        // Three parts of one recording all named at 100 s, numbered 1-3, then a recording of
        // one part; a copy of part 2 under another path (the same number) is no fourth part,
        // and starts with part 2.
        let mut f = named(
            "A",
            &[(100, 300.0), (100, 300.0), (100, 45.0), (5000, 60.0)],
        );
        f[1].osd.offset_s = Some(300.0);
        let mut copy = f[1].clone();
        copy.path = "copy/A_100_2.MP4".into();
        f.push(copy);
        assert_eq!(parts_named_at_one_start(&mut f), ["A"]);
        let starts: Vec<i64> = f.iter().filter_map(FileFacts::start_us).collect();
        assert_eq!(
            starts,
            [100, 400, 700, 5000, 400].map(|s: i64| s * 1_000_000)
        );
        assert_eq!(f[1].osd.offset_s, Some(0.0));
        // Files alike in name and number (a copy, a sub-stream) are no parts.
        let mut f = named("B", &[(100, 300.0)]);
        f.push(f[0].clone());
        assert!(parts_named_at_one_start(&mut f).is_empty());
        // A sub-stream numbered after its main stream, at another picture size: no part.
        let mut f = named("C", &[(100, 300.0), (100, 300.0)]);
        (f[0].width, f[1].width) = (Some(1920), Some(640));
        assert!(parts_named_at_one_start(&mut f).is_empty());
        assert_eq!(f[1].start_us(), Some(100_000_000));
    }

    #[test]
    fn a_copy_of_a_segment_beside_it_is_its_companion_not_a_restart() {
        // Three contiguous segments, the second copied beside itself by a file manager
        // (`_2(1).MP4`, the same bytes): one session of three segments, the copy with them.
        let mut f = named("A", &[(0, 300.0), (300, 300.0), (600, 300.0)]);
        for (g, h) in f.iter_mut().zip(["h1", "h2", "h3"]) {
            g.blake3 = Some(h.into());
        }
        let mut copy = f[1].clone();
        copy.path = "A_300_2(1).MP4".into();
        f.push(copy);
        let s = build(&f, 600.0);
        assert_eq!(s.list.len(), 1);
        assert_eq!(s.list[0].members, [0, 1, 2]);
        assert_eq!(s.companions().collect::<Vec<_>>(), [3]);
        assert_eq!(s.of_file[3], Some(0));
        // Other bytes under the same name and number (no copy): the numbering starts again.
        f[3].blake3 = Some("other".into());
        assert_eq!(build(&f, 600.0).list.len(), 2);
    }

    #[test]
    fn splits_on_long_pause_and_on_numbering_restart() {
        let f = vec![
            seg("A", 0, 300.0, 1),
            seg("A", 300, 300.0, 2),
            seg("A", 600, 120.0, 3),
            // 20 minutes later, numbering continues: a new session because of the pause
            seg("A", 1920, 60.0, 4),
            // right after, numbering restarts: another session
            seg("A", 1980, 60.0, 1),
            seg("B", 5, 10.0, 1),
        ];
        let s = build(&f, 600.0);
        let shape: Vec<(String, Vec<usize>)> = s
            .list
            .iter()
            .map(|x| (x.device.clone(), x.members.clone()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("A".into(), vec![0, 1, 2]),
                ("A".into(), vec![3]),
                ("A".into(), vec![4]),
                ("B".into(), vec![5])
            ]
        );
        assert_eq!(s.list[0].id, "A@19700101T000000Z");
        assert_eq!(s.list[0].end_us, 720_000_000);
        assert_eq!(
            s.of_file,
            vec![Some(0), Some(0), Some(0), Some(1), Some(2), Some(3)]
        );
    }

    #[test]
    fn a_session_crosses_midnight_and_photos_attach() {
        // 23:59:50 for 10 s, then 00:00:00 for 10 s (next day's folder)
        let day = 86_400;
        let mut f = vec![seg("A", day - 10, 10.0, 1), seg("A", day, 10.0, 2)];
        let mut photo = seg("A", day + 3, 0.0, 1);
        photo.media_kind = Some("photo".into());
        f.push(photo);
        let s = build(&f, 600.0);
        assert_eq!(s.list.len(), 1);
        assert_eq!(s.of_file, vec![Some(0), Some(0), Some(0)]);
    }
}
