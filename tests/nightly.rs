//! Nightly runs: incremental rescans, the chain of custody, deadlines in working days,
//! retention and evidence export, played out over scripted nights on temporary trees.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

/// A private copy of the sample evidence tree (tests modify it).
fn sample_context() -> PathBuf {
    project().join("sample-data").join("context")
}

struct Night {
    _t: tempfile::TempDir,
    ev: PathBuf,
    wh: PathBuf,
}

impl Night {
    fn new() -> Night {
        let t = tmp();
        let ev = t.path().join("ev");
        copy_tree(&sample_data(), &ev);
        let wh = t.path().join("wh");
        Night { _t: t, ev, wh }
    }
    fn scan(&self, extra: &[&str]) -> Row {
        let ctx = sample_context();
        let mut args = vec!["--context", ctx.to_str().expect("utf-8")];
        args.extend_from_slice(extra);
        scan(&[&self.ev], &self.wh, &args);
        self.last_run()
    }
    fn last_run(&self) -> Row {
        rows(&self.wh.join("runs"))
            .into_iter()
            .max_by_key(|r| get(r, "run_id").map(str::to_string))
            .expect("a run")
    }
    fn file(&self, rel: &str) -> PathBuf {
        self.ev.join(rel)
    }
    fn events(&self) -> Vec<Row> {
        rows(&self.wh.join("custody_events"))
    }
    /// The first custody event of this kind.
    fn event(&self, kind: &str) -> Row {
        self.events()
            .into_iter()
            .find(|e| get(e, "event") == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} event"))
    }
    fn events_of_run(&self, run: &Row) -> Vec<(String, String)> {
        let id = get(run, "run_id");
        let mut v: Vec<(String, String)> = self
            .events()
            .iter()
            .filter(|e| get(e, "run_id") == id)
            .map(|e| {
                let p = get(e, "path").expect("path");
                (
                    get(e, "event").expect("event").to_string(),
                    p.rsplit('/').next().unwrap_or(p).to_string(),
                )
            })
            .collect();
        v.sort();
        v
    }
}

const A1: &str = "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093015_0001.MP4";
const A2: &str = "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093021_0002.MP4";
const A3: &str = "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093027_0003.MP4";
const WAV: &str =
    "执法一大队/AUD-R1-0000009/20260312/AUD-R1-0000009_OF1023_20260312101500_0001.WAV";
const TS: &str = "执法二大队/DSJ-C3-0000100/20260313/DSJ-C3-0000100_20260313080000_0001.TS";

fn n(r: &Row, col: &str) -> i64 {
    num(r, col) as i64
}

/// Overwrites one byte in place and puts the modification time back: only re-hashing can tell.
fn flip_byte_keep_mtime(p: &Path, at: u64) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mtime = fs::metadata(p).expect("meta").modified().expect("mtime");
    let mut f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(p)
        .expect("open");
    f.seek(SeekFrom::Start(at)).expect("seek");
    let mut b = [0u8; 1];
    f.read_exact(&mut b).expect("read");
    f.seek(SeekFrom::Start(at)).expect("seek");
    f.write_all(&[b[0] ^ 0xFF]).expect("write");
    f.set_modified(mtime).expect("set mtime");
}

#[test]
fn scripted_nights_follow_every_file() {
    let night = Night::new();
    // Night 1: everything is new and hashed.
    let r1 = night.scan(&[]);
    assert_eq!(get(&r1, "mode"), Some("full"));
    assert_eq!((n(&r1, "files_new"), n(&r1, "files_carried")), (12, 0));
    assert_eq!(n(&r1, "hashed_bytes"), n(&r1, "bytes"));

    // Night 2: nothing changed: nothing is read, nothing happens.
    let r2 = night.scan(&[]);
    assert_eq!(get(&r2, "mode"), Some("incremental"));
    assert_eq!((n(&r2, "files_carried"), n(&r2, "hashed_bytes")), (12, 0));
    assert!(night.events_of_run(&r2).is_empty());
    let files = rows(&night.wh.join("files"));
    assert_eq!(files.len(), 12);
    assert!(
        files
            .iter()
            .all(|f| get(f, "last_seen") == get(&r2, "started"))
    );
    assert!(
        files
            .iter()
            .all(|f| get(f, "first_seen") == get(&r1, "started"))
    );
    assert!(
        files
            .iter()
            .all(|f| get(f, "last_verified") == get(&r1, "started"))
    );

    // Night 3: A1 rewritten (new mtime), A3 deleted, A2 moved, WAV touched, a new file added.
    let a1 = night.file(A1);
    let mut bytes = fs::read(&a1).expect("read");
    bytes[4000] ^= 0x55;
    std::thread::sleep(Duration::from_millis(20));
    fs::write(&a1, &bytes).expect("write");
    fs::remove_file(night.file(A3)).expect("rm");
    let moved = night.ev.join("执法一大队/DSJ-A8-0001234/moved-0002.MP4");
    fs::rename(night.file(A2), &moved).expect("mv");
    let wav = fs::File::options()
        .write(true)
        .open(night.file(WAV))
        .expect("open");
    wav.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .expect("touch");
    drop(wav);
    fs::copy(
        night.file(TS),
        night
            .ev
            .join("执法二大队/DSJ-C3-0000100/20260313/DSJ-C3-0000100_20260313090000_0002.TS"),
    )
    .expect("copy");
    let r3 = night.scan(&[]);
    assert_eq!(
        night.events_of_run(&r3),
        vec![
            (
                "deleted".into(),
                "DSJ-A8-0001234_OF1023_20260312093027_0003.MP4".into()
            ),
            (
                "metadata_changed".into(),
                "AUD-R1-0000009_OF1023_20260312101500_0001.WAV".into()
            ),
            (
                "modified".into(),
                "DSJ-A8-0001234_OF1023_20260312093015_0001.MP4".into()
            ),
            ("moved".into(), "moved-0002.MP4".into()),
            ("new".into(), "DSJ-C3-0000100_20260313090000_0002.TS".into()),
        ]
    );
    assert_eq!(n(&r3, "files_carried"), 8);
    // The new copy of the TS has the same bytes as the original: a duplicate, not a move,
    // since the original is still there.
    let moved_ev = night.event("moved");
    assert!(get(&moved_ev, "previous_path").is_some_and(|p| p.ends_with("_0002.MP4")));
    // The moved file keeps its first_seen.
    let files = rows(&night.wh.join("files"));
    assert_eq!(files.len(), 12);
    assert_eq!(
        get(by_name(&files, "moved-0002.MP4"), "first_seen"),
        get(&r1, "started")
    );
    // Findings: modified and deleted are high, under 第二十八条(三); the deletion was early.
    let findings = rows(&night.wh.join("findings"));
    let kind = |k: &str| -> Vec<&Row> {
        findings
            .iter()
            .filter(|f| get(f, "kind") == Some(k))
            .collect()
    };
    for k in ["modified", "deleted"] {
        let f = kind(k);
        assert_eq!(f.len(), 1, "{k}: {f:?}");
        assert_eq!(get(f[0], "severity"), Some("high"));
        assert_eq!(get(f[0], "article"), Some("第二十八条(三)"));
    }
    assert!(get(kind("deleted")[0], "message").is_some_and(|m| m.contains("standard")));
    assert_eq!(kind("deleted_before_retention").len(), 1);

    // Night 4: the deleted file comes back: restored. The offences stay on record.
    fs::write(
        night.file(A3),
        fs::read(sample_data().join(A3)).expect("read"),
    )
    .expect("write");
    let r4 = night.scan(&[]);
    assert_eq!(
        night.events_of_run(&r4),
        vec![(
            "restored".into(),
            "DSJ-A8-0001234_OF1023_20260312093027_0003.MP4".into()
        )]
    );
    let findings = rows(&night.wh.join("findings"));
    assert_eq!(
        findings
            .iter()
            .filter(|f| get(f, "kind") == Some("deleted"))
            .count(),
        1,
        "a deletion stays reported after the file is restored"
    );
    // The hash history of a file is one query away.
    let out = recaudit(&[
        "query",
        night.wh.to_str().expect("utf-8"),
        &format!(
            "SELECT event, blake3, previous_blake3 FROM custody_events WHERE path LIKE '%{}' ORDER BY at",
            A1.rsplit('/').next().expect("name")
        ),
        "--format",
        "csv",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].starts_with("new,") && lines[2].starts_with("modified,"));
    let new_hash = lines[1].split(',').nth(1).expect("hash");
    assert_eq!(
        lines[2].split(',').nth(2),
        Some(new_hash),
        "modified names the old hash"
    );
}

#[test]
fn verify_catches_in_place_changes_that_keep_size_and_mtime() {
    let night = Night::new();
    night.scan(&[]);
    flip_byte_keep_mtime(&night.file(A2), 3000);
    // An ordinary night cannot see it: size, mtime and inode are unchanged.
    let r = night.scan(&[]);
    assert!(night.events_of_run(&r).is_empty());
    assert_eq!(n(&r, "hashed_bytes"), 0);
    // --verify re-hashes everything.
    let r = night.scan(&["--verify"]);
    assert_eq!(get(&r, "mode"), Some("verify"));
    let ev = night.events_of_run(&r);
    assert_eq!(ev.iter().filter(|(e, _)| e == "verified").count(), 11);
    assert_eq!(
        ev.iter()
            .filter(|(e, _)| e == "modified")
            .collect::<Vec<_>>(),
        vec![&(
            "modified".to_string(),
            "DSJ-A8-0001234_OF1023_20260312093021_0002.MP4".to_string()
        )]
    );
    let e = night.event("modified");
    assert!(get(&e, "details").is_some_and(|d| d.contains("did not")));
}

#[test]
fn verify_budget_rolls_through_the_tree_oldest_first() {
    let night = Night::new();
    night.scan(&[]);
    let total: i64 = rows(&night.wh.join("files"))
        .iter()
        .map(|f| n(f, "size_bytes"))
        .sum();
    let mut verified_paths = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let r = night.scan(&["--verify-budget", "40%"]);
        let hashed = n(&r, "hashed_bytes");
        assert!(
            hashed >= total * 40 / 100,
            "at least the budget: {hashed} of {total}"
        );
        for e in night.events() {
            if get(&e, "run_id") == get(&r, "run_id") {
                assert_eq!(get(&e, "event"), Some("verified"));
                verified_paths.insert(get(&e, "path").expect("path").to_string());
            }
        }
    }
    assert_eq!(
        verified_paths.len(),
        12,
        "three nights of 40% cover every file"
    );
    // A bad budget is a usage error.
    let out = recaudit(&[
        "scan",
        night.ev.to_str().expect("utf-8"),
        "-w",
        night.wh.to_str().expect("utf-8"),
        "--verify-budget",
        "lots",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_incremental_run_finds_what_a_full_run_finds() {
    let t = tmp();
    let lab = project().join("tests").join("fixtures").join("labelled");
    let cfg = no_birth_time();
    let full = t.path().join("full");
    scan(&[&sample_data(), &lab], &full, &["-c", &cfg]);
    let inc = t.path().join("inc");
    scan(&[&sample_data(), &lab], &inc, &["-c", &cfg]);
    scan(&[&sample_data(), &lab], &inc, &["-c", &cfg]);
    // A third night links the previous streams file instead of rewriting it (a big tree's
    // case, forced here for a small one).
    let out = cmd()
        .arg("scan")
        .arg(sample_data())
        .arg(&lab)
        .arg("-w")
        .arg(&inc)
        .args(["-q", "-c", &cfg])
        .env("RECAUDIT_TEST_LINK_MIN_ROWS", "1")
        .env("RECAUDIT_TIMINGS", "1")
        .output()
        .expect("scan");
    assert!(out.status.success());
    let streams_dir = fs::canonicalize(inc.join("streams")).expect("streams");
    let linked = fs::read_dir(&streams_dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| {
            use std::os::unix::fs::MetadataExt;
            e.metadata().is_ok_and(|m| m.nlink() > 1)
        })
        .count();
    assert!(linked >= 1, "a carried streams file is a hard link");
    // The third night's carried `files` rows were all carried the night before too: their
    // row groups are spliced from the previous snapshot (column chunks copied byte for byte,
    // only the per-run columns written anew), none decoded.
    let timings = String::from_utf8_lossy(&out.stderr);
    let spliced = timings
        .lines()
        .find_map(|l| l.strip_prefix("recaudit: carried files rows: "))
        .unwrap_or_else(|| panic!("no carried-rows line in {timings}"));
    let count = |what: &str| -> usize {
        spliced
            .split([',', ';'])
            .find(|p| p.contains(what))
            .and_then(|p| p.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{what} in {spliced}"))
    };
    assert!(count("spliced") > 20, "{spliced}");
    assert_eq!(count("decoded"), 0, "{spliced}");
    let key = |rows: Vec<Row>, cols: &[&str]| -> Vec<Vec<Option<String>>> {
        let mut v: Vec<Vec<Option<String>>> = rows
            .iter()
            .map(|r| cols.iter().map(|c| get(r, c).map(str::to_string)).collect())
            .collect();
        v.sort();
        v
    };
    let fcols = [
        "finding_id",
        "kind",
        "path",
        "session_id",
        "magnitude_s",
        "message",
    ];
    let a = key(rows(&full.join("findings")), &fcols);
    assert!(a.len() > 20);
    assert_eq!(a, key(rows(&inc.join("findings")), &fcols));
    let scols = ["session_id", "start", "end", "file_count", "missing_s"];
    assert_eq!(
        key(rows(&full.join("sessions")), &scols),
        key(rows(&inc.join("sessions")), &scols)
    );
    // Every column of every file row except the per-run ones is carried unchanged.
    let all: Vec<String> = rows(&full.join("files"))[0]
        .keys()
        .filter(|k| !["run_id", "last_seen", "first_seen", "last_verified"].contains(&k.as_str()))
        .cloned()
        .collect();
    let cols: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(
        key(rows(&full.join("files")), &cols),
        key(rows(&inc.join("files")), &cols)
    );
    let streams: Vec<String> = rows(&full.join("streams"))[0]
        .keys()
        .filter(|k| k.as_str() != "run_id")
        .cloned()
        .collect();
    let cols: Vec<&str> = streams.iter().map(String::as_str).collect();
    assert_eq!(
        key(rows(&full.join("streams")), &cols),
        key(rows(&inc.join("streams")), &cols)
    );
}

#[test]
fn a_missing_root_is_fatal_never_a_mass_deletion() {
    let night = Night::new();
    night.scan(&[]);
    let before = fs::read_link(night.wh.join("current")).expect("current");
    let moved_away = night.ev.with_extension("unmounted");
    fs::rename(&night.ev, &moved_away).expect("mv");
    let refused = || {
        let out = recaudit(&[
            "scan",
            night.ev.to_str().expect("utf-8"),
            "-w",
            night.wh.to_str().expect("utf-8"),
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(3));
    };
    refused();
    // An empty mount point looks the same: refused too.
    fs::create_dir(&night.ev).expect("mkdir");
    refused();
    assert_eq!(
        fs::read_link(night.wh.join("current")).expect("current"),
        before
    );
    assert!(
        night
            .events()
            .iter()
            .all(|e| get(e, "event") == Some("new"))
    );
    // Back in place: an ordinary night, nothing deleted.
    fs::remove_dir(&night.ev).expect("rmdir");
    fs::rename(&moved_away, &night.ev).expect("mv back");
    let r = night.scan(&[]);
    assert_eq!((n(&r, "files_deleted"), n(&r, "files_carried")), (0, 12));
}

#[test]
fn a_killed_incremental_run_changes_nothing_and_the_next_one_records_once() {
    let night = Night::new();
    night.scan(&[]);
    let before = fs::read_link(night.wh.join("current")).expect("current");
    fs::remove_file(night.file(A3)).expect("rm");
    let ctx = sample_context();
    let mut child = spawn_parked_scan(
        &night.ev,
        &night.wh,
        &["--context", ctx.to_str().expect("utf-8")],
    );
    wait_until_staged(&night.wh);
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert_eq!(
        fs::read_link(night.wh.join("current")).expect("current"),
        before
    );
    assert_eq!(rows(&night.wh.join("files")).len(), 12);
    assert!(
        night
            .events()
            .iter()
            .all(|e| get(e, "event") == Some("new"))
    );
    let r = night.scan(&[]);
    assert_eq!(
        night.events_of_run(&r),
        vec![(
            "deleted".into(),
            "DSJ-A8-0001234_OF1023_20260312093027_0003.MP4".into()
        )]
    );
    assert_eq!(
        night
            .events()
            .iter()
            .filter(|e| get(e, "event") == Some("deleted"))
            .count(),
        1
    );
}

/// Writes a file tree and context for the deadline rules around the 2026 Labour Day holiday
/// (1-5 May off, Saturday 9 May a make-up working day).
#[test]
fn deadlines_count_working_days_with_holidays_and_make_up_days() {
    let t = tmp();
    let ev = t.path().join("ev");
    let mp4 = fs::read(sample_data().join(A1)).expect("sample mp4");
    let put = |rel: &str| {
        let p = ev.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, &mp4).expect("write");
    };
    let a = "一大队/DSJ-A-0000001/20260430";
    let b = "一大队/DSJ-B-0000002/20260430";
    let f1 = format!("{a}/DSJ-A-0000001_OF1_20260430100000_0001.MP4");
    let f2 = format!("{a}/DSJ-A-0000001_OF1_20260430100010_0002.MP4");
    let f6 = format!("{a}/DSJ-A-0000001_OF1_20260430100020_0003.MP4");
    let f7 = format!("{a}/DSJ-A-0000001_OF1_20260430100030_0004.MP4");
    let f3 = format!("{b}/DSJ-B-0000002_OF2_20260430160000_0001.MP4");
    let f4 = format!("{b}/DSJ-B-0000002_OF2_20260430160100_0002.MP4");
    let f5 = format!("{b}/DSJ-B-0000002_OF2_20260430160200_0003.MP4");
    for f in [&f1, &f2, &f3, &f4, &f5, &f6, &f7] {
        put(f);
    }
    // F6 is described by a sidecar (late); the rest by the media_notes table, or not at all (F7).
    fs::write(
        ev.join(format!("{f6}.json")),
        r#"{"category": "inspection", "description": "现场检查", "described_at": "2026-05-08 09:00:00"}"#,
    )
    .expect("sidecar");
    let ctx = t.path().join("ctx");
    fs::create_dir(&ctx).expect("mkdir");
    fs::write(
        ctx.join("ingest_log.csv"),
        format!(
            "path,uploaded\n{f1},2026-05-01 09:00:00\n{f2},2026-05-01 11:00:00\n{f6},2026-05-01 09:00:00\n{f7},2026-05-01 09:00:00\n{f3},2026-05-08 17:00:00\n{f4},2026-05-09 10:00:00\n{f5},2026-05-08 17:00:00\n"
        ),
    )
    .expect("ingest");
    fs::write(
        ctx.join("media_notes.csv"),
        format!(
            "path,category,description,described_at\n{f1},inspection,到达现场,2026-05-07 18:00:00\n{f2},inspection,检查,2026-05-07 19:00:00\n{f3},penalty,送达,2026-05-11 20:00:00\n{f4},penalty,送达,2026-05-12 09:00:00\n{f5},penalty,处置,2026-05-12 09:00:00\n"
        ),
    )
    .expect("notes");
    fs::write(
        ctx.join("cases.csv"),
        "case_id,kind,opened,closed,special_circumstances,archived\nSPECIAL,penalty,2026-04-30,,true,\nARC-OK,inspection,2026-04-01,2026-04-20,false,2026-06-03\nARC-LATE,inspection,2026-04-01,2026-04-20,false,2026-06-04\nARC-NONE,inspection,2026-04-01,2026-04-20,false,\n",
    )
    .expect("cases");
    fs::write(
        ctx.join("case_media.csv"),
        "case_id,device_id,from,to\nSPECIAL,DSJ-B-0000002,2026-04-30 15:00:00,2026-04-30 17:00:00\n",
    )
    .expect("case_media");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &["--context", ctx.to_str().expect("utf-8")]);
    let findings = rows(&wh.join("findings"));
    let of = |k: &str| -> Vec<String> {
        let mut v: Vec<String> = findings
            .iter()
            .filter(|f| get(f, "kind") == Some(k))
            .map(|f| {
                get(f, "path")
                    .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
                    .or_else(|| get(f, "case_id").map(str::to_string))
                    .unwrap_or_default()
            })
            .collect();
        v.sort();
        v
    };
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    // 24 hours are hours; the special case's 3 working days skip 1-5 May.
    assert_eq!(of("late_upload"), vec![name(&f2), name(&f4)]);
    // 2 working days: from 1 May (holiday) they end on 7 May; from 8 May, Saturday 9 May
    // counts, so they end on 11 May.
    let mut late = vec![name(&f5), name(&f6), name(&f7)];
    late.sort();
    assert_eq!(of("late_classification"), late);
    // 30 working days from 20 April end on 3 June.
    assert_eq!(
        of("late_archive"),
        vec!["ARC-LATE".to_string(), "ARC-NONE".to_string()]
    );
    let files = rows(&wh.join("files"));
    let f6row = by_name(&files, &name(&f6));
    assert_eq!(get(f6row, "description_source"), Some("sidecar"));
    assert_eq!(get(f6row, "upload_time_source"), Some("ingest_log"));
    assert_eq!(
        get(by_name(&files, &name(&f3)), "case_ids"),
        Some("SPECIAL")
    );
    let sidecar = by_name(&files, &format!("{}.json", name(&f6)));
    assert_eq!(
        (
            get(sidecar, "status"),
            get(sidecar, "media_kind"),
            get(sidecar, "sidecar_category")
        ),
        (Some("ok"), Some("sidecar"), Some("inspection"))
    );
    // A year the calendar does not cover is reported, never guessed.
    let far = ev.join("一大队/DSJ-A-0000001/20300102/DSJ-A-0000001_OF1_20300102100000_0009.MP4");
    fs::create_dir_all(far.parent().expect("parent")).expect("mkdir");
    fs::write(&far, &mp4).expect("write");
    let mut log = fs::read_to_string(ctx.join("ingest_log.csv")).expect("log");
    log.push_str("一大队/DSJ-A-0000001/20300102/DSJ-A-0000001_OF1_20300102100000_0009.MP4,2030-01-02 12:00:00\n");
    fs::write(ctx.join("ingest_log.csv"), log).expect("log");
    scan(&[&ev], &wh, &["--context", ctx.to_str().expect("utf-8")]);
    let findings = rows(&wh.join("findings"));
    let unknown: Vec<&Row> = findings
        .iter()
        .filter(|f| get(f, "kind") == Some("deadline_unknown"))
        .collect();
    assert_eq!(unknown.len(), 1);
    assert!(get(unknown[0], "message").is_some_and(|m| m.contains("2030")));
}

/// A fresh tree with one recorder's day folder (`ev/一大队/DSJ-A-0000001/20260430`): the temp
/// dir (kept alive by the caller), the tree's root and the folder.
fn device_day() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tmp();
    let ev = t.path().join("ev");
    let dir = ev.join("一大队/DSJ-A-0000001/20260430");
    fs::create_dir_all(&dir).expect("mkdir");
    (t, ev, dir)
}

/// The custody events of warehouse `wh` but `new`, as (event, file name), in the table's order.
fn custody_changes(wh: &Path) -> Vec<(String, String)> {
    rows(&wh.join("custody_events"))
        .iter()
        .filter(|e| get(e, "event") != Some("new"))
        .map(|e| {
            let p = get(e, "path").unwrap_or_default();
            (
                get(e, "event").unwrap_or_default().to_string(),
                p.rsplit('/').next().unwrap_or(p).to_string(),
            )
        })
        .collect()
}

/// The findings of warehouse `wh` whose rule `wanted` picks, as `RULE file-name`, sorted.
fn rule_files(wh: &Path, wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let mut v: Vec<String> = rows(&wh.join("findings"))
        .iter()
        .filter(|f| get(f, "rule_id").is_some_and(&wanted))
        .map(|f| {
            let p = get(f, "path").unwrap_or_default();
            format!(
                "{} {}",
                get(f, "rule_id").unwrap_or(""),
                p.rsplit('/').next().unwrap_or(p)
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_recording_named_from_a_clock_set_back_is_kept_and_linked_by_its_counter() {
    // Recorder C's clock came back at 2025-01-01 after a flat battery between recordings 1
    // and 3 (numbered in turn), all docked that evening: recording 2 was made between the
    // end of 1 and 11:00, when 3 began, not on New Year's Day 2025.
    let t = tmp();
    let ev = t.path().join("ev");
    let mp4 = fs::read(sample_data().join(A1)).expect("sample mp4");
    let dir = "三大队/DSJ-C-0000003/20260430";
    let names = [
        format!("{dir}/DSJ-C-0000003_OF3_20260430100000_0001.MP4"),
        format!("{dir}/DSJ-C-0000003_OF3_20250101000500_0002.MP4"),
        format!("{dir}/DSJ-C-0000003_OF3_20260430110000_0003.MP4"),
    ];
    let mut log = String::from("path,uploaded\n");
    for n in &names {
        let p = ev.join(n);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, &mp4).expect("write");
        log.push_str(&format!("{n},2026-04-30 18:00:00\n"));
    }
    let ctx = t.path().join("ctx");
    fs::create_dir(&ctx).expect("mkdir");
    fs::write(ctx.join("ingest_log.csv"), log).expect("ingest");
    fs::write(
        ctx.join("cases.csv"),
        "case_id,kind,opened,closed\nMORNING,inspection,2026-04-30,2026-05-06\nNEWYEAR,inspection,2025-01-01,2025-01-02\n",
    )
    .expect("cases");
    fs::write(
        ctx.join("case_media.csv"),
        "case_id,device_id,from,to\nMORNING,DSJ-C-0000003,2026-04-30 09:30:00,2026-04-30 10:30:00\nNEWYEAR,DSJ-C-0000003,2025-01-01 00:00:00,2025-01-01 01:00:00\n",
    )
    .expect("case_media");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &["--context", ctx.to_str().expect("utf-8")]);
    let findings = rows(&wh.join("findings"));
    let setback: Vec<&str> = findings
        .iter()
        .filter(|f| get(f, "rule_id") == Some("CLK-SETBACK"))
        .filter_map(|f| get(f, "path"))
        .collect();
    assert_eq!(setback.len(), 1, "{setback:?}");
    assert!(setback[0].ends_with("_0002.MP4"));
    let files = rows(&wh.join("files"));
    let file = |k: usize| by_name(&files, names[k].rsplit('/').next().unwrap_or_default());
    // Linked to the morning's inspection (it may have begun inside its window), not to the
    // case of the date its clock showed.
    assert_eq!(get(file(1), "case_ids"), Some("MORNING"));
    assert_eq!(get(file(0), "case_ids"), Some("MORNING"));
    // Kept two years from the latest it can have ended (11:00 on 30 April 2026, Shanghai
    // time), to the end of that day: as recording 1, not from 2025.
    let keep = |k: usize| get(file(k), "keep_until").and_then(|v| v.parse::<i64>().ok());
    assert!(keep(0).is_some());
    assert_eq!(keep(1), keep(0));
}

#[test]
fn files_an_operating_system_writes_beside_the_records_are_no_offence_when_they_go() {
    // A clerk browsed the tree from Windows (Thumbs.db, desktop.ini) and copied a recording
    // from a Mac (its AppleDouble `._` file beside it, named as the recording).
    let (t, ev, dir) = device_day();
    let mp4 = fs::read(sample_data().join(A1)).expect("sample mp4");
    let name = "DSJ-A-0000001_OF1_20260430100000_0001.MP4";
    fs::write(dir.join(name), &mp4).expect("write");
    let mut apple = vec![0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00];
    apple.extend_from_slice(b"Mac OS X        ");
    apple.resize(4096, 0);
    fs::write(dir.join(format!("._{name}")), &apple).expect("write");
    fs::write(dir.join("Thumbs.db"), b"\xd0\xcf\x11\xe0 thumbnails").expect("write");
    fs::write(dir.join("desktop.ini"), "[.ShellClassInfo]\r\n").expect("write");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let files = rows(&wh.join("files"));
    let apple_row = by_name(&files, &format!("._{name}"));
    assert_eq!(get(apple_row, "status"), Some("unsupported"));
    assert!(get(apple_row, "error").is_some_and(|e| e.contains("AppleDouble")));
    let judged = |wh: &Path| {
        rule_files(wh, |r| {
            r.starts_with("INT-") || r.starts_with("CUST-") || r.starts_with("RET-")
        })
    };
    assert!(judged(&wh).is_empty(), "{:?}", judged(&wh));
    // Explorer rewrote its thumbnails; the Mac's file and the folder settings were cleaned
    // away: recorded, no offence.
    fs::write(dir.join("Thumbs.db"), b"\xd0\xcf\x11\xe0 thumbnails, more").expect("write");
    fs::remove_file(dir.join(format!("._{name}"))).expect("rm");
    fs::remove_file(dir.join("desktop.ini")).expect("rm");
    scan(&[&ev], &wh, &[]);
    assert!(judged(&wh).is_empty(), "{:?}", judged(&wh));
    let events: Vec<String> = rows(&wh.join("custody_events"))
        .iter()
        .filter(|e| {
            matches!(
                get(e, "event"),
                Some("transient_deleted") | Some("transient_modified")
            )
        })
        .map(|e| get(e, "event").unwrap_or("").to_string())
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    // The recording itself is still a record: its deletion is an offence.
    fs::remove_file(dir.join(name)).expect("rm");
    scan(&[&ev], &wh, &[]);
    assert!(
        judged(&wh)
            .iter()
            .any(|f| f.starts_with("CUST-DELETED") && f.ends_with(name))
    );
}

#[test]
fn a_storage_servers_own_folders_are_no_records_and_its_recycle_bin_is_a_deletion() {
    // The tree is a share on a storage server: a Synology keeps thumbnails and a film preview
    // of each video in `@eaDir/<name>/`, a QNAP its thumbnails in `.@__thumb/`, and the share
    // shows its snapshots in `#snapshot/`. Nights 2 and 3: a clerk deletes segment 2 through
    // the share (into `#recycle/`, its thumbnails going with it), the server re-makes a
    // thumbnail, then the bin is emptied.
    let t = tmp();
    let ev = t.path().join("ev");
    let jpg =
        fs::read(sample_data().join(
            "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093100_0001.JPG",
        ))
        .expect("sample jpg");
    let film =
        fs::read(sample_data().join(
            "执法一大队/DSJ-F5-0000321/20260312/DSJ-F5-0000321_OF1024_20260312140000_0001.MP4",
        ))
        .expect("sample mp4");
    let put = |rel: &str, bytes: &[u8]| {
        let p = ev.join(rel);
        fs::create_dir_all(p.parent().expect("folder")).expect("mkdir");
        fs::write(&p, bytes).expect("write");
    };
    let day = "执法一大队/DSJ-A8-0001234/20260312";
    for a in [A1, A2, A3] {
        let name = a.rsplit('/').next().unwrap_or(a);
        put(a, &fs::read(sample_data().join(a)).expect("sample mp4"));
        put(&format!("{day}/@eaDir/{name}/SYNOFILE_THUMB_M.jpg"), &jpg);
        put(&format!("{day}/@eaDir/{name}/SYNOPHOTO_FILM_M.mp4"), &film);
        let stem = name.trim_end_matches(".MP4");
        put(&format!("{day}/.@__thumb/s800{stem}.jpg"), &jpg);
    }
    put(
        &format!("#snapshot/GMT+08_2026-03-12-2300/{A1}"),
        &fs::read(sample_data().join(A1)).expect("sample mp4"),
    );
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let files = rows(&wh.join("files"));
    // The snapshot folder is a row of its own, not entered.
    let snap = by_name(&files, "#snapshot");
    assert_eq!(get(snap, "status"), Some("unsupported"));
    assert!(get(snap, "error").is_some_and(|e| e.contains("snapshot")));
    assert!(
        files
            .iter()
            .all(|f| !get(f, "path").is_some_and(|p| p.contains("#snapshot/"))),
        "nothing below the snapshot folder is catalogued"
    );
    // The server's thumbnails and previews are catalogued, of no device, judged by no rule.
    let servers = |p: &str| p.contains("@eaDir") || p.contains(".@__thumb");
    let theirs: Vec<&Row> = files
        .iter()
        .filter(|f| get(f, "path").is_some_and(servers))
        .collect();
    assert_eq!(theirs.len(), 9);
    assert!(theirs.iter().all(|f| get(f, "device_id").is_none()));
    let judged = |wh: &Path| {
        rule_files(wh, |r| {
            ["INT-", "CUST-", "RET-", "CONT-", "META-", "CLK-"]
                .iter()
                .any(|p| r.starts_with(p))
        })
    };
    assert!(judged(&wh).is_empty(), "{:?}", judged(&wh));
    // Night 2: segment 2 deleted through the share; a thumbnail made again.
    let a2_name = A2.rsplit('/').next().unwrap_or(A2);
    let bin = ev.join(format!("#recycle/{A2}"));
    fs::create_dir_all(bin.parent().expect("folder")).expect("mkdir");
    fs::rename(ev.join(A2), &bin).expect("to the bin");
    fs::remove_dir_all(ev.join(format!("{day}/@eaDir/{a2_name}"))).expect("rm");
    let a1_name = A1.rsplit('/').next().unwrap_or(A1);
    let mut other = jpg.clone();
    other.extend_from_slice(b"remade");
    put(
        &format!("{day}/@eaDir/{a1_name}/SYNOFILE_THUMB_M.jpg"),
        &other,
    );
    scan(&[&ev], &wh, &[]);
    let a3_name = A3.rsplit('/').next().unwrap_or(A3);
    assert_eq!(
        judged(&wh),
        [
            format!("CONT-MISSING {a3_name}"),
            format!("CUST-DELETED {a2_name}"),
            format!("RET-EARLY {a2_name}"),
        ],
        "the deletion at the record's own path, its footage missing from the record"
    );
    let events = |wh: &Path| {
        let mut v: Vec<String> = rows(&wh.join("custody_events"))
            .iter()
            .filter_map(|e| get(e, "event").filter(|e| *e != "new").map(str::to_string))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        events(&wh),
        [
            "recycled",
            "transient_deleted",
            "transient_deleted",
            "transient_modified"
        ]
    );
    let recycled = rows(&wh.join("custody_events"))
        .into_iter()
        .find(|e| get(e, "event") == Some("recycled"))
        .expect("recycled");
    assert!(get(&recycled, "previous_path").is_some_and(|p| p.ends_with(A2)));
    // Night 3: the bin emptied. Its going is no second deletion.
    fs::remove_dir_all(ev.join("#recycle")).expect("empty the bin");
    scan(&[&ev], &wh, &[]);
    assert!(events(&wh).contains(&"purged".to_string()));
    assert_eq!(
        judged(&wh)
            .iter()
            .filter(|f| f.starts_with("CUST-"))
            .count(),
        1
    );
}

#[test]
fn a_root_migrated_to_a_new_volume_is_retired_its_files_moved_not_copied() {
    // The evidence moves from an old volume to a new one; one recording did not make it.
    // Scanned at its new place with the same warehouse and the old root retired, each file
    // copied over is `moved` (no offence, its first sighting kept), the one left behind
    // `deleted`; without retiring the old root its rows would be carried beside the new ones
    // (every file INT-DUPLICATE of its old self).
    let t = tmp();
    let old = t.path().join("old/ev");
    let new = t.path().join("new/ev");
    for rel in [A1, A2, A3, WAV] {
        let p = old.join(rel);
        fs::create_dir_all(p.parent().expect("folder")).expect("mkdir");
        fs::copy(sample_data().join(rel), &p).expect("copy");
    }
    let wh = t.path().join("wh");
    scan(&[&old], &wh, &[]);
    for rel in [A1, A2, A3] {
        let p = new.join(rel);
        fs::create_dir_all(p.parent().expect("folder")).expect("mkdir");
        fs::copy(old.join(rel), &p).expect("copy");
    }
    fs::remove_dir_all(t.path().join("old")).expect("the old volume gone");
    // A root no earlier run scanned is refused (exit 2), nothing committed.
    let typo = cmd()
        .arg("scan")
        .arg(&new)
        .arg("-w")
        .arg(&wh)
        .arg("-q")
        .arg("--retire-root")
        .arg(t.path().join("old/evidence"))
        .output()
        .expect("run");
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("--retire-root"));
    assert_eq!(rows(&wh.join("runs")).len(), 1);
    scan(&[&new], &wh, &["--retire-root", &old.to_string_lossy()]);
    let mut events = custody_changes(&wh);
    events.sort();
    let name = |rel: &'static str| rel.rsplit('/').next().unwrap_or(rel).to_string();
    assert_eq!(
        events,
        [
            ("deleted".to_string(), name(WAV)),
            ("moved".to_string(), name(A1)),
            ("moved".to_string(), name(A2)),
            ("moved".to_string(), name(A3)),
        ]
    );
    let files = rows(&wh.join("files"));
    assert_eq!(files.len(), 3);
    let new_root = new.to_string_lossy();
    assert!(files.iter().all(|f| get(f, "root") == Some(&*new_root)));
    let judged = rule_files(&wh, |r| r.starts_with("INT-") || r.starts_with("CUST-"));
    assert_eq!(judged, [format!("CUST-DELETED {}", name(WAV))]);
}

#[test]
fn a_file_read_while_an_upload_was_writing_it_is_completed_not_modified() {
    // The nightly run overlapped an upload station: it read segment 2 cut short (its first
    // 40,000 bytes) and segment 3 too (72,000). By the next night both were whole: segment 2
    // as the recorder wrote it, segment 3 replaced by other bytes.
    let (t, ev, dir) = device_day();
    let a1 = fs::read(sample_data().join(A1)).expect("sample mp4");
    let a2 = fs::read(sample_data().join(A2)).expect("sample mp4");
    let names = [
        "DSJ-A-0000001_OF1_20260430100000_0001.MP4",
        "DSJ-A-0000001_OF1_20260430100006_0002.MP4",
        "DSJ-A-0000001_OF1_20260430100012_0003.MP4",
    ];
    fs::write(dir.join(names[0]), &a1).expect("write");
    fs::write(dir.join(names[1]), &a1[..40_000]).expect("write");
    fs::write(dir.join(names[2]), &a1[..72_000]).expect("write");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let files = rows(&wh.join("files"));
    assert_eq!(get(by_name(&files, names[1]), "status"), Some("truncated"));
    fs::write(dir.join(names[1]), &a1).expect("write");
    fs::write(dir.join(names[2]), &a2).expect("write");
    scan(&[&ev], &wh, &[]);
    let events = custody_changes(&wh);
    assert_eq!(
        events,
        [
            ("completed".to_string(), names[1].to_string()),
            ("modified".to_string(), names[2].to_string())
        ]
    );
    // Only the replaced one is an offence.
    assert_eq!(
        rule_files(&wh, |r| r.starts_with("CUST-")),
        [format!("CUST-MODIFIED {}", names[2])]
    );
}

/// Segment 1 of a device's day whole in `dir`, segment 2 its first 40,000 bytes (an upload's
/// copy cut short): the two names, and segment 2's path.
fn segment_two_cut_short(dir: &Path) -> ([&'static str; 2], PathBuf) {
    let a1 = fs::read(sample_data().join(A1)).expect("sample mp4");
    let names = [
        "DSJ-A-0000001_OF1_20260430100000_0001.MP4",
        "DSJ-A-0000001_OF1_20260430100006_0002.MP4",
    ];
    fs::write(dir.join(names[0]), &a1).expect("write");
    let cut = dir.join(names[1]);
    fs::write(&cut, &a1[..40_000]).expect("write");
    (names, cut)
}

#[test]
fn an_upload_that_stalled_is_held_a_day_then_judged_damaged() {
    // A station's copy stopped three hours before the run (its network dropped): segment 2 cut
    // short, not growing while read. A segment cut off by a power cut looks the same, so the
    // first night holds it as in flight; a run after it has lain still `upload_settle_s`
    // judges it damaged. Here the second run is told the file has settled (a setting of two
    // hours, the file three hours still): the carried row is judged without a read.
    let (t, ev, dir) = device_day();
    let (names, stalled) = segment_two_cut_short(&dir);
    fs::File::options()
        .write(true)
        .open(&stalled)
        .and_then(|f| f.set_modified(std::time::SystemTime::now() - Duration::from_secs(3 * 3600)))
        .expect("set mtime");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    assert_eq!(
        rule_files(&wh, |r| r.starts_with("INT-")),
        [format!("INT-INFLIGHT {}", names[1])]
    );
    let f = rows(&wh.join("findings"))
        .into_iter()
        .find(|f| get(f, "rule_id") == Some("INT-INFLIGHT"))
        .expect("in flight");
    let d: serde_json::Value =
        serde_json::from_str(get(&f, "details").unwrap_or("{}")).expect("details");
    assert_eq!(d["stalled"], serde_json::json!(true));
    let ago = d["last_written_s_before_run"].as_f64().unwrap_or(0.0);
    assert!((3.0 * 3600.0..3.5 * 3600.0).contains(&ago), "{ago}");
    let settled = t.path().join("settled.toml");
    fs::write(&settled, "[rules]\nupload_settle_s = 7200\n").expect("config");
    scan(&[&ev], &wh, &["--config", &settled.to_string_lossy()]);
    let last = rows(&wh.join("runs"))
        .into_iter()
        .max_by_key(|r| get(r, "run_id").map(str::to_string))
        .expect("a run");
    assert_eq!(n(&last, "files_carried"), 2);
    assert_eq!(
        rule_files(&wh, |r| r.starts_with("INT-")),
        [format!("INT-UNREADABLE {}", names[1])]
    );
}

#[test]
fn a_segment_cut_short_between_two_is_damaged_footage_not_a_gap() {
    // Segment 2 of three cut off before its movie box was written (a power cut, a copy cut
    // off), lying still: no length can be read, and sessions, which place recordings by their
    // lengths, leave it out. Its time is its damaged footage's: INT-UNREADABLE on it, and no
    // CONT-GAP on segment 3 (before 2026-12-07 both: the damage counted twice).
    let (t, ev, dir) = device_day();
    let (names, _) = segment_two_cut_short(&dir);
    let third = "DSJ-A-0000001_OF1_20260430100012_0003.MP4";
    fs::copy(dir.join(names[0]), dir.join(third)).expect("copy");
    let settled = t.path().join("settled.toml");
    fs::write(&settled, "[rules]\nupload_settle_s = 0\n").expect("config");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &["--config", &settled.to_string_lossy()]);
    assert_eq!(
        rule_files(&wh, |r| r.starts_with("INT-U") || r.starts_with("CONT-")),
        [format!("INT-UNREADABLE {}", names[1])]
    );
    // Without it, its number is missing.
    fs::remove_file(dir.join(names[1])).expect("remove");
    let wh = t.path().join("wh2");
    scan(&[&ev], &wh, &["--config", &settled.to_string_lossy()]);
    assert_eq!(
        rule_files(&wh, |r| r.starts_with("INT-U") || r.starts_with("CONT-")),
        [format!("CONT-MISSING {third}")]
    );
}

/// Scans `ev` into `wh` while another thread appends `chunk` to `file` every fifth of a
/// millisecond, from before the scan starts until it is over (an upload the run overlaps).
fn scan_while_appending(ev: &Path, wh: &Path, file: &Path, chunk: &[u8]) {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (done, file, chunk) = (done.clone(), file.to_path_buf(), chunk.to_vec());
        std::thread::spawn(move || {
            let mut f = fs::OpenOptions::new()
                .append(true)
                .open(&file)
                .expect("open");
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::io::Write::write_all(&mut f, &chunk).expect("append");
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    scan(&[ev], wh, &[]);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
}

#[test]
fn a_file_an_upload_is_still_writing_during_the_run_is_in_flight_not_damaged() {
    // An upload station copies segment 2 while the run reads the tree: its first 40,000
    // bytes are there, and bytes keep coming (a byte every fifth of a millisecond) until the
    // run is over. Read cut short, grown by the time the read is done.
    let (t, ev, dir) = device_day();
    let (names, copying) = segment_two_cut_short(&dir);
    let wh = t.path().join("wh");
    scan_while_appending(&ev, &wh, &copying, &[0]);
    assert_eq!(
        rule_files(&wh, |r| r.starts_with("INT-")),
        [format!("INT-INFLIGHT {}", names[1])]
    );
}

#[test]
fn a_transfers_temporary_copies_are_no_damaged_records_and_no_deletions() {
    // The run read a transfer's temporary copies (WinSCP's `.filepart`, rsync's
    // `.NAME.XXXXXX`), cut short; by the next night the transfers were done and renamed them.
    let (t, ev, dir) = device_day();
    let a1 = fs::read(sample_data().join(A1)).expect("sample mp4");
    let name = "DSJ-A-0000001_OF1_20260430100006_0002.MP4";
    let temps = [format!("{name}.filepart"), format!(".{name}.Xy7Q2a")];
    fs::write(dir.join("DSJ-A-0000001_OF1_20260430100000_0001.MP4"), &a1).expect("write");
    for t in &temps {
        fs::write(dir.join(t), &a1[..30_000]).expect("write");
    }
    let wh = t.path().join("wh");
    let judged = |wh: &Path| rule_files(wh, |r| r.starts_with("INT-") || r.starts_with("CUST-"));
    scan(&[&ev], &wh, &[]);
    assert_eq!(
        judged(&wh),
        [
            format!("INT-INFLIGHT {}", temps[1]),
            format!("INT-INFLIGHT {}", temps[0])
        ]
    );
    for t in &temps {
        fs::remove_file(dir.join(t)).expect("rm");
    }
    fs::write(
        dir.join(name),
        fs::read(sample_data().join(A2)).expect("sample mp4"),
    )
    .expect("write");
    scan(&[&ev], &wh, &[]);
    assert!(judged(&wh).is_empty(), "{:?}", judged(&wh));
}

#[test]
fn a_recording_a_platform_is_still_writing_reads_whole_yet_is_completed_not_modified() {
    // A platform records a live upload into MPEG-TS, which reads whole at any packet: the
    // run reads it while packets keep coming (null packets, a fifth of a millisecond apart),
    // and the next night it is longer, its bytes of then unchanged.
    let t = tmp();
    let ev = t.path().join("ev");
    let dir = ev.join("二大队/DSJ-C3-0000100/20260313");
    fs::create_dir_all(&dir).expect("mkdir");
    let ts = fs::read(sample_data().join(TS)).expect("sample ts");
    let live = dir.join("DSJ-C3-0000100_20260313080000_0001.TS");
    fs::write(&live, &ts).expect("write");
    let mut null = vec![0xFFu8; 188];
    null[..4].copy_from_slice(&[0x47, 0x1F, 0xFF, 0x10]);
    let wh = t.path().join("wh");
    scan_while_appending(&ev, &wh, &live, &null);
    let files = rows(&wh.join("files"));
    let row = by_name(&files, "DSJ-C3-0000100_20260313080000_0001.TS");
    assert_eq!(
        (get(row, "status"), get(row, "being_written")),
        (Some("ok"), Some("true"))
    );
    // The recording ends: more packets, then nothing.
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .expect("open");
    std::io::Write::write_all(&mut f, &null).expect("append");
    drop(f);
    scan(&[&ev], &wh, &[]);
    let events: Vec<String> = rows(&wh.join("custody_events"))
        .iter()
        .filter(|e| get(e, "event") != Some("new"))
        .filter_map(|e| get(e, "event").map(str::to_string))
        .collect();
    assert_eq!(events, ["completed"]);
    let files = rows(&wh.join("files"));
    let row = by_name(&files, "DSJ-C3-0000100_20260313080000_0001.TS");
    assert_eq!(get(row, "being_written"), Some("false"));
    assert!(
        !rows(&wh.join("findings"))
            .iter()
            .any(|f| get(f, "rule_id").is_some_and(|r| r.starts_with("CUST-")))
    );
}

#[test]
fn a_record_hidden_under_a_transient_name_is_still_an_offence_when_it_goes() {
    // A recording renamed `..._0001.MP4.tmp` one night (moved: no offence) and deleted the
    // next: a record under a borrowed name, its going an offence. A real temporary file's
    // going is not.
    let (t, ev, dir) = device_day();
    let name = "DSJ-A-0000001_OF1_20260430100000_0001.MP4";
    fs::write(
        dir.join(name),
        fs::read(sample_data().join(A1)).expect("sample mp4"),
    )
    .expect("write");
    fs::write(dir.join("upload.tmp"), b"partial").expect("write");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let hidden = format!("{name}.tmp");
    fs::rename(dir.join(name), dir.join(&hidden)).expect("mv");
    scan(&[&ev], &wh, &[]);
    fs::remove_file(dir.join(&hidden)).expect("rm");
    fs::remove_file(dir.join("upload.tmp")).expect("rm");
    scan(&[&ev], &wh, &[]);
    assert_eq!(
        rule_files(&wh, |r| r == "CUST-DELETED"),
        [format!("CUST-DELETED {hidden}")]
    );
}

#[test]
fn retention_lists_disposable_and_early_deletions() {
    let night = Night::new();
    night.scan(&[]);
    let wh = night.wh.to_str().expect("utf-8").to_string();
    let ctx = sample_context();
    let ctx = ctx.to_str().expect("utf-8");
    let run = |extra: &[&str]| {
        let mut a = vec![
            "retention",
            wh.as_str(),
            "--context",
            ctx,
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        recaudit(&a)
    };
    let parse = |o: &std::process::Output| -> Vec<serde_json::Value> {
        serde_json::from_slice(&o.stdout).unwrap_or_default()
    };
    // Nothing is due yet: sample footage is from March 2026, kept at least until 2028.
    let now = run(&[]);
    assert_eq!(now.status.code(), Some(0));
    assert!(
        parse(&now).is_empty(),
        "{}",
        String::from_utf8_lossy(&now.stdout)
    );
    // By mid-2028 the standard files are disposable; the long-term ones (case AJ-2026-032,
    // a dispute) never are, nor are those of case AJ-2026-034 (open).
    let later = parse(&run(&["--as-of", "2028-06-01"]));
    let names: Vec<&str> = later
        .iter()
        .filter(|r| r["status"] == "disposable")
        .filter_map(|r| r["path"].as_str())
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .collect();
    assert!(names.contains(&"DSJ-A8-0001234_OF1023_20260312093015_0001.MP4"));
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with(".MOV") || n.ends_with(".TS")),
        "{names:?}"
    );
    // Deleting the long-term MOV is early: listed, and --fail-on-early exits 1.
    fs::remove_file(night.file("执法二大队/DSJ-B2-0000077/20260312_235800_0001.MOV")).expect("rm");
    night.scan(&[]);
    let out = run(&["--fail-on-early"]);
    assert_eq!(out.status.code(), Some(1));
    let rows = parse(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0]["status"].as_str(),
            rows[0]["retention_class"].as_str()
        ),
        (Some("deleted_early"), Some("long_term"))
    );
    let findings = crate::util::rows(&night.wh.join("findings"));
    assert!(
        findings
            .iter()
            .any(|f| get(f, "kind") == Some("deleted_before_retention")
                && get(f, "message").is_some_and(|m| m.contains("long-term")))
    );
}

fn export_args<'a>(wh: &'a str, ctx: &'a str, to: &'a str, sel: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["export", wh, "--context", ctx, "--to", to];
    a.extend_from_slice(sel);
    a.extend_from_slice(&[
        "--approved-by",
        "王局长",
        "--reason",
        "administrative review",
    ]);
    a
}

#[test]
fn export_copies_verifies_and_records() {
    let night = Night::new();
    night.scan(&[]);
    let t = tmp();
    let wh = night.wh.to_str().expect("utf-8").to_string();
    let ctx = sample_context().to_str().expect("utf-8").to_string();
    let to = t.path().join("out");
    let to_s = to.to_str().expect("utf-8").to_string();
    let out = recaudit(&export_args(
        &wh,
        &ctx,
        &to_s,
        &["--case", "AJ-2026-031", "--json"],
    ));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files = summary["files"].as_array().expect("files");
    assert_eq!(
        files.len(),
        6,
        "three A8 segments, the A8 photo, the F5 segment and the inspection record under the case folder"
    );
    // Each copy is byte-identical to its original, and the manifest's hashes are right.
    let manifest = fs::read_to_string(to.join("MANIFEST.csv")).expect("manifest");
    assert_eq!(manifest.lines().count(), 7);
    assert!(
        manifest.contains("现场检查记录.pdf"),
        "the case's documents go with its footage: {manifest}"
    );
    for f in files {
        let copy = fs::read(to.join(f["file"].as_str().expect("file"))).expect("copy");
        let orig = fs::read(f["original_path"].as_str().expect("orig")).expect("orig");
        assert_eq!(copy, orig);
        assert_eq!(
            f["blake3"].as_str(),
            Some(crate::blake3_ref::hex(&copy).as_str())
        );
        assert!(manifest.contains(f["sha256"].as_str().expect("sha")));
    }
    // SHA-256 against an independent implementation (coreutils) where available.
    if let Ok(o) = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&to)
        .output()
    {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
    let note = fs::read_to_string(to.join("NOTE.txt")).expect("note");
    for s in ["AJ-2026-031", "王局长", "administrative review", "第二十条"] {
        assert!(note.contains(s), "note lacks {s}: {note}");
    }
    // Nothing was written outside the destination; the evidence is untouched.
    let exports = rows(&night.wh.join("exports"));
    assert_eq!(exports.len(), 1);
    assert_eq!(
        (
            get(&exports[0], "status"),
            get(&exports[0], "case_id"),
            get(&exports[0], "approved_by")
        ),
        (Some("ok"), Some("AJ-2026-031"), Some("王局长"))
    );
    // The export record survives the next scan.
    night.scan(&[]);
    assert_eq!(rows(&night.wh.join("exports")).len(), 1);

    // Refusals (exit 2, nothing copied): a confidential case, an unknown case, a used folder,
    // SQL without a path column.
    let to2 = t.path().join("out2");
    let to2_s = to2.to_str().expect("utf-8").to_string();
    let refused = |sel: &[&str], dest: &str| {
        let o = recaudit(&export_args(&wh, &ctx, dest, sel));
        assert_eq!(
            o.status.code(),
            Some(2),
            "{sel:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert!(refused(&["--case", "AJ-2026-033"], &to2_s).contains("第二十四条"));
    assert!(!to2.exists() || fs::read_dir(&to2).expect("dir").next().is_none());
    assert!(refused(&["--case", "NO-SUCH"], &to2_s).contains("NO-SUCH"));
    assert!(refused(&["--case", "AJ-2026-031"], &to_s).contains("not empty"));
    assert!(refused(&["--sql", "SELECT 1 AS x"], &to2_s).contains("path"));
    // With the explicit flag the confidential case goes out, and says so.
    let o = recaudit(&export_args(
        &wh,
        &ctx,
        &to2_s,
        &["--case", "AJ-2026-033", "--include-confidential"],
    ));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        fs::read_to_string(to2.join("NOTE.txt"))
            .expect("note")
            .contains("第二十四条")
    );
    // A selection by SQL.
    let to3 = t.path().join("out3");
    let o = recaudit(&export_args(
        &wh,
        &ctx,
        to3.to_str().expect("utf-8"),
        &["--sql", "SELECT path FROM files WHERE extension = 'ts'"],
    ));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        fs::read_to_string(to3.join("BLAKE3SUMS"))
            .expect("sums")
            .lines()
            .count(),
        1
    );
    assert_eq!(rows(&night.wh.join("exports")).len(), 3);
}

#[test]
fn a_copy_tampered_before_verification_fails_the_export() {
    let night = Night::new();
    night.scan(&[]);
    let t = tmp();
    let to = t.path().join("out");
    let child = cmd()
        .args(export_args(
            night.wh.to_str().expect("utf-8"),
            sample_context().to_str().expect("utf-8"),
            to.to_str().expect("utf-8"),
            &["--case", "AJ-2026-031"],
        ))
        .env("RECAUDIT_TEST_PAUSE_BEFORE_VERIFY_MS", "5000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait for the five copies, then damage one.
    let victim = to.join("files/ev").join(A2);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(victim.exists()
        && fs::read_dir(victim.parent().expect("dir")).is_ok_and(|d| d.count() == 4))
    {
        assert!(Instant::now() < deadline, "the copies never appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    flip_byte_keep_mtime(&victim, 100);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not verify"));
    assert!(to.join("FAILED.txt").exists());
    assert!(!to.join("MANIFEST.csv").exists() && !to.join("NOTE.txt").exists());
    let exports = rows(&night.wh.join("exports"));
    assert_eq!(get(&exports[0], "status"), Some("failed"));
    assert!(get(&exports[0], "error").is_some_and(|e| e.contains("0002.MP4")));
    // The evidence itself is untouched.
    assert_eq!(
        fs::read(night.file(A2)).expect("orig"),
        fs::read(sample_data().join(A2)).expect("sample")
    );

    // A source changed since the last scan is not exported either.
    flip_byte_keep_mtime(&night.file(A1), 100);
    let to2 = t.path().join("out2");
    let out = recaudit(&export_args(
        night.wh.to_str().expect("utf-8"),
        sample_context().to_str().expect("utf-8"),
        to2.to_str().expect("utf-8"),
        &["--case", "AJ-2026-031"],
    ));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("changed after the last scan"));
}

#[test]
fn a_file_replaced_by_a_link_is_modified_not_silently_skipped() {
    let night = Night::new();
    night.scan(&[]);
    let wav = night.file(WAV);
    fs::remove_file(&wav).expect("rm");
    std::os::unix::fs::symlink(night.file(TS), &wav).expect("symlink");
    let r = night.scan(&[]);
    assert_eq!(
        night.events_of_run(&r),
        vec![(
            "modified".into(),
            "AUD-R1-0000009_OF1023_20260312101500_0001.WAV".into()
        )]
    );
    let e = night.event("modified");
    assert!(get(&e, "details").is_some_and(|d| d.contains("no longer a regular file")));
}

/// A big catalogue is analysed a part at a time (each device's files in one part, copied
/// content in every part, the case-linked files gathered for the cases); on the sample tree,
/// the labelled corpus and the display fixtures, cut into parts of three files, every
/// finding, session, case item and per-file column is the one the analysis of the whole gives,
/// on a first scan and on the night after (rows carried).
#[test]
fn an_analysis_in_parts_finds_what_one_of_the_whole_finds() {
    let t = tmp();
    let lab = project().join("tests").join("fixtures").join("labelled");
    let osd = project().join("tests").join("fixtures").join("osd");
    let ev = sample_data();
    let ctx = project().join("sample-data").join("context");
    let cfg = no_birth_time();
    // Copies of a recording under names no device is read from: content held twice across
    // parts (a file without a device goes by its path).
    let extra = t.path().join("extra");
    fs::create_dir_all(&extra).expect("mkdir");
    let original = lab.join("单位甲/DUP-01/20260312/DUP-01_OF2014_20260312100000_0001.MP4");
    for k in 1..=3 {
        fs::copy(&original, extra.join(format!("copy-{k}.MP4"))).expect("copy");
    }
    let run = |wh: &Path, part_rows: Option<&str>| -> String {
        let mut c = cmd();
        c.arg("scan")
            .args([&ev, &lab, &osd, &extra])
            .arg("-w")
            .arg(wh)
            .args(["-q", "-c", &cfg, "--context"])
            .arg(&ctx)
            .env("RECAUDIT_TIMINGS", "1");
        match part_rows {
            Some(n) => c.env("RECAUDIT_PART_ROWS", n),
            None => c.env_remove("RECAUDIT_PART_ROWS"),
        };
        let out = c.output().expect("scan");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let parts_of = |timings: &str| number_after(timings, " rows, ");
    let (whole, parts) = (t.path().join("whole"), t.path().join("parts"));
    // A deadline's lateness is counted to the run's start: the two runs start apart.
    let late = |r: &Row, k: &str| {
        k == "magnitude_s" && get(r, "rule_id").is_some_and(|id| id.starts_with("DL-"))
    };
    let key = |rows: Vec<Row>, skip: &[&str]| -> Vec<Vec<(String, Option<String>)>> {
        let mut v: Vec<Vec<(String, Option<String>)>> = rows
            .iter()
            .map(|r| {
                let mut cols: Vec<(String, Option<String>)> = r
                    .iter()
                    .filter(|(k, _)| !skip.contains(&k.as_str()) && !late(r, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                cols.sort();
                cols
            })
            .collect();
        v.sort();
        v
    };
    for night in 0..2 {
        assert_eq!(parts_of(&run(&whole, None)), 1);
        if night == 0 {
            // Every display group of the tree is decided from all its files (fewer than the
            // keyframe stage's hold, 128): a larger group learns from the files the read's
            // threads deliver first, which differ from run to run, and the two analyses with
            // it. The fixtures without a device id are one group per picture size.
            let mut groups: std::collections::HashMap<(String, String, String), usize> =
                Default::default();
            for r in rows(&whole.join("files")) {
                let g = |k: &str| get(&r, k).unwrap_or("").to_string();
                *groups
                    .entry((g("device_id"), g("width"), g("height")))
                    .or_default() += 1;
            }
            let largest = groups.iter().max_by_key(|(_, n)| **n);
            assert!(
                largest.is_some_and(|(_, n)| *n < 128),
                "a display group of 128 files or more: {largest:?}; give new fixtures a device name"
            );
        }
        assert!(parts_of(&run(&parts, Some("3"))) > 10);
        let per_run = [
            "run_id",
            "first_seen",
            "last_seen",
            "last_verified",
            "started",
        ];
        for table in ["findings", "sessions", "case_items", "files"] {
            let (a, b) = (rows(&whole.join(table)), rows(&parts.join(table)));
            assert!(!a.is_empty(), "{table} is empty: the test would not bite");
            let (a, b) = (key(a, &per_run), key(b, &per_run));
            let only = |x: &[Vec<(String, Option<String>)>],
                        y: &[Vec<(String, Option<String>)>]| {
                x.iter()
                    .filter(|r| !y.contains(r))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert!(
                a == b,
                "{table} differs on night {night}: only in the whole's {:?}\nonly in the parts' {:?}",
                only(&a, &b),
                only(&b, &a)
            );
        }
    }
    // What crosses the parts was there to be found: content held twice, case links.
    let findings = rows(&whole.join("findings"));
    let copies = findings
        .iter()
        .filter(|f| get(f, "rule_id") == Some("INT-DUPLICATE"))
        .count();
    assert_eq!(copies, 5, "the recording and its backup, three copies");
    assert!(
        rows(&whole.join("files"))
            .iter()
            .any(|f| get(f, "case_ids").is_some())
    );
}

/// Writes sample recording `from` at `rel` below `ev` with bytes of its own (a `free` box
/// numbered `k` after the movie): one recording's footage, another file's content.
fn put_own(ev: &Path, rel: &str, from: &str, k: u32) -> PathBuf {
    let mut b = fs::read(sample_data().join(from)).expect("sample mp4");
    b.extend_from_slice(&[0, 0, 0, 12, b'f', b'r', b'e', b'e']);
    b.extend_from_slice(&k.to_be_bytes());
    let p = ev.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(&p, b).expect("write");
    p
}

/// Scans `ev` into `wh` analysed in parts of `rows` files, and insists on two parts at least.
fn scan_in_parts(ev: &Path, wh: &Path, rows: &str, extra: &[&str]) {
    let out = cmd()
        .arg("scan")
        .arg(ev)
        .args(["-q", "-w"])
        .arg(wh)
        .args(extra)
        .env("RECAUDIT_PART_ROWS", rows)
        .env("RECAUDIT_TIMINGS", "1")
        .output()
        .expect("scan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.contains("part 1 "), "{err}");
}

#[test]
fn one_device_number_in_two_units_is_two_recorders_judged_apart() {
    // 一大队 and 二大队 each number a recorder DSJ005, their counters far apart: 一大队's
    // recordings 3 and 4 have 二大队's 51..53 between them in time. Judged as one recorder,
    // "segments 4..50 missing" (high) twice. Each file its own content (a `free` box of its
    // own after the movie).
    let t = tmp();
    let ev = t.path().join("ev");
    let mut files = Vec::new();
    for (unit, first, hour) in [
        ("一大队", 1, 9),
        ("二大队", 51, 10),
        ("一大队", 4, 12),
        ("二大队", 54, 14),
    ] {
        for k in 0..3 {
            let n = first + k;
            files.push(format!(
                "{unit}/DSJ005/20260430/DSJ005_OF1_20260430{hour:02}00{:02}_{n:04}.MP4",
                6 * k
            ));
        }
    }
    for (k, name) in files.iter().enumerate() {
        put_own(&ev, name, A1, k as u32);
    }
    // Another recorder beside, so that the catalogue comes in more than one part below.
    for a in [A1, A2, A3] {
        let p = ev.join(a);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::copy(sample_data().join(a), &p).expect("copy");
    }
    let findings = |wh: &Path| -> Vec<String> {
        let mut v: Vec<String> = rows(&wh.join("findings"))
            .iter()
            .filter(|f| {
                get(f, "rule_id").is_some_and(|r| r.starts_with("CONT-") || r.starts_with("META-"))
            })
            .map(|f| {
                format!(
                    "{} {}",
                    get(f, "rule_id").unwrap_or(""),
                    get(f, "device_id").unwrap_or("")
                )
            })
            .collect();
        v.sort();
        v
    };
    let devices = |wh: &Path| -> Vec<String> {
        let mut v: Vec<String> = rows(&wh.join("sessions"))
            .iter()
            .filter_map(|s| get(s, "device_id").map(str::to_string))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let want = ["META-NAMESAKE 一大队/DSJ005", "META-NAMESAKE 二大队/DSJ005"];
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    assert_eq!(findings(&wh), want);
    let both = ["DSJ-A8-0001234", "一大队/DSJ005", "二大队/DSJ005"];
    assert_eq!(devices(&wh), both);
    // `files` keeps the number as the path gives it.
    let numbers: Vec<String> = rows(&wh.join("files"))
        .iter()
        .filter(|r| get(r, "path").is_some_and(|p| p.contains("大队/DSJ005/")))
        .filter_map(|r| get(r, "device_id").map(str::to_string))
        .collect();
    assert_eq!(numbers, vec!["DSJ005".to_string(); 12]);
    // The same in parts of a few files each (the number's files in one part), and on an
    // unchanged night's rescan.
    let parted = t.path().join("parted");
    scan_in_parts(&ev, &parted, "4", &[]);
    assert_eq!(findings(&parted), want);
    assert_eq!(devices(&parted), both);
    scan(&[&ev], &wh, &[]);
    assert_eq!(findings(&wh), want);
    // `findings --device` selects a recorder by its number.
    let out = recaudit(&[
        "findings",
        wh.to_str().expect("utf-8"),
        "--device",
        "DSJ005",
        "--format",
        "csv",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("META-NAMESAKE")
            .count(),
        2
    );
}

#[test]
fn a_segment_filed_into_its_case_folder_is_not_missing() {
    // A clerk files recording 2 of DSJ-X0001 into its case's folder (第十八条), name kept, the
    // case folder then looking like a device's to the path patterns; another recorder beside,
    // so that the catalogue comes in parts below. Was CONT-MISSING (high) on segment 3.
    let t = tmp();
    let ev = t.path().join("ev");
    put_own(
        &ev,
        "一大队/DSJ-X0001/20260312/20260312_093015_0001.MP4",
        A1,
        1,
    );
    put_own(&ev, "案卷/AJ-2026-031/20260312_093021_0002.MP4", A2, 2);
    put_own(
        &ev,
        "一大队/DSJ-X0001/20260312/20260312_093027_0003.MP4",
        A3,
        3,
    );
    for (k, a) in [A1, A2, A3].into_iter().enumerate() {
        let name = a
            .rsplit('/')
            .next()
            .expect("name")
            .replace("DSJ-A8-0001234", "DSJ-Y0002");
        put_own(&ev, &format!("二大队/{name}"), a, 10 + k as u32);
    }
    let ctx = t.path().join("ctx");
    fs::create_dir(&ctx).expect("mkdir");
    fs::write(
        ctx.join("cases.csv"),
        "case_id,kind,opened,closed\nAJ-2026-031,inspection,2026-03-12,2026-03-13\n",
    )
    .expect("cases");
    let ctx = ctx.to_str().expect("utf-8");
    let found = |wh: &Path| rule_files(wh, |r| r.starts_with("CONT-") || r.starts_with("META-"));
    let want = [
        "CONT-RENAMED 20260312_093027_0003.MP4",
        "META-DEVICE 20260312_093021_0002.MP4",
    ];
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &["--context", ctx]);
    assert_eq!(found(&wh), want);
    let parted = t.path().join("parted");
    scan_in_parts(&ev, &parted, "2", &["--context", ctx]);
    assert_eq!(found(&parted), want);
    // Without the case in `cases`, its folder is a device of one file: the segment is missing
    // (nothing says that folder is not a recorder's).
    let bare = t.path().join("bare");
    scan(&[&ev], &bare, &[]);
    assert!(found(&bare).contains(&"CONT-MISSING 20260312_093027_0003.MP4".to_string()));
}

#[test]
fn an_ingest_log_printed_in_utc_is_read_as_utc_by_its_files_births() {
    // A platform's export of its upload times in UTC without their zone: read as local time
    // (UTC+8), every upload would seem eight hours earlier than it was, before the recordings
    // it uploads had ended (CLK-AHEAD on each). The files' births on the server say when they
    // came: the log is read as UTC, and DL-LOGZONE says so.
    let t = tmp();
    let ev = t.path().join("ev");
    let mut born = Vec::new();
    for k in 0..12u32 {
        let rel = format!(
            "一大队/DSJ-L0001/20260312/20260312_09{:02}00_{:04}.MP4",
            k * 2,
            k + 1
        );
        let p = put_own(&ev, &rel, A1, k);
        let created = fs::metadata(&p)
            .and_then(|m| m.created())
            .expect("this file system keeps birth times");
        let us = created
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_micros() as i64;
        born.push((rel, us));
    }
    let log = |shift_h: i64| -> PathBuf {
        let dir = t.path().join(format!("ctx{shift_h}"));
        fs::create_dir_all(&dir).expect("mkdir");
        let mut csv = String::from("path,uploaded\n");
        for (rel, us) in &born {
            let wall = chrono::DateTime::from_timestamp_micros(us + shift_h * 3_600_000_000)
                .expect("time")
                .format("%Y-%m-%d %H:%M:%S");
            csv.push_str(&format!("{rel},{wall}\n"));
        }
        fs::write(dir.join("ingest_log.csv"), csv).expect("log");
        dir
    };
    let run = |ctx: &Path, name: &str, extra: &[&str]| -> (Vec<String>, Vec<i64>) {
        let wh = t.path().join(name);
        let mut args = vec![
            "--context",
            ctx.to_str().expect("utf-8"),
            "--keyframes",
            "off",
        ];
        args.extend_from_slice(extra);
        scan(&[&ev], &wh, &args);
        let mut rules: Vec<String> = rows(&wh.join("findings"))
            .iter()
            .filter_map(|f| get(f, "rule_id").map(str::to_string))
            .filter(|r| r == "DL-LOGZONE" || r == "CLK-AHEAD")
            .collect();
        rules.sort();
        rules.dedup();
        // Each file's upload less its birth, in whole seconds.
        let files = rows(&wh.join("files"));
        let lag: Vec<i64> = born
            .iter()
            .map(|(rel, us)| {
                let r = by_name(&files, rel.rsplit('/').next().expect("name"));
                let up: i64 = get(r, "upload_time")
                    .and_then(|u| u.parse().ok())
                    .expect("upload time");
                (up - us).div_euclid(1_000_000)
            })
            .collect();
        (rules, lag)
    };
    // Printed in UTC: read as UTC, each upload at its file's birth (within the second).
    let (rules, lag) = run(&log(0), "utc", &[]);
    assert_eq!(rules, ["DL-LOGZONE"]);
    assert!(lag.iter().all(|&s| (-1..=0).contains(&s)), "{lag:?}");
    // Printed in local time: read so, nothing said.
    let (rules, lag) = run(&log(8), "local", &[]);
    assert!(rules.is_empty(), "{rules:?}");
    assert!(lag.iter().all(|&s| (-1..=0).contains(&s)), "{lag:?}");
    // Told the log is local time, the UTC one is read so: eight hours early.
    let cfg = t.path().join("local.toml");
    fs::write(&cfg, "[rules]\ningest_times = \"local\"\n").expect("config");
    let (rules, lag) = run(&log(0), "told", &["-c", cfg.to_str().expect("utf-8")]);
    assert!(!rules.contains(&"DL-LOGZONE".to_string()), "{rules:?}");
    assert!(
        lag.iter()
            .all(|&s| (-8 * 3600 - 1..=-8 * 3600).contains(&s)),
        "{lag:?}"
    );
}

/// Segments 1-3 of the sample's recorder, each with its upload logged (by its path in the
/// device's folder, an hour and a half after it was recorded), and case AJ-2026-031 open:
/// the temporary folder, the evidence root and the context folder.
fn logged_day_in_a_case() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tmp();
    let ev = t.path().join("ev");
    for rel in [A1, A2, A3] {
        let p = ev.join(rel);
        fs::create_dir_all(p.parent().expect("folder")).expect("mkdir");
        fs::copy(sample_data().join(rel), &p).expect("copy");
    }
    let ctx = t.path().join("ctx");
    fs::create_dir(&ctx).expect("mkdir");
    fs::write(
        ctx.join("ingest_log.csv"),
        format!(
            "path,uploaded\n{A1},2026-03-12 11:00:00\n{A2},2026-03-12 11:00:10\n{A3},2026-03-12 11:00:20\n"
        ),
    )
    .expect("log");
    fs::write(
        ctx.join("cases.csv"),
        "case_id,kind,opened,closed\nAJ-2026-031,inspection,2026-03-12,\n",
    )
    .expect("cases");
    (t, ev, ctx)
}

#[test]
fn a_recording_filed_into_its_case_folder_keeps_its_logged_upload_and_description() {
    // Segment 2 was uploaded and described on time under its device's folder; a clerk then
    // files it into its case's folder (第十八条) by a copy (the server's birth time is the
    // copy's), and later into the archive. The ingest log and the notes name it where it lay
    // when they were written: the record keeps their word through each move. Was DL-UPLOAD
    // (uploaded by its birth, months late) on the copy, and DL-CLASSIFY (never described)
    // once its two working days from that birth had passed.
    let (t, ev, ctx) = logged_day_in_a_case();
    fs::write(
        ctx.join("media_notes.csv"),
        format!(
            "path,category,description,described_at\n{A1},inspection,到达现场,2026-03-13 09:00:00\n{A2},inspection,现场检查,2026-03-13 09:10:00\n{A3},inspection,签字确认,2026-03-13 09:20:00\n"
        ),
    )
    .expect("notes");
    let ctx = ctx.to_str().expect("utf-8");
    let name = A2.rsplit('/').next().expect("name");
    let wh = t.path().join("wh");
    let night = |wh: &Path| {
        scan(&[&ev], wh, &["--context", ctx]);
        let files = rows(&wh.join("files"));
        let f = by_name(&files, name);
        let said = [
            get(f, "upload_time_source").map(str::to_string),
            get(f, "description_source").map(str::to_string),
        ];
        (said, rule_files(wh, |r| r.starts_with("DL-")))
    };
    let logged = [
        Some("ingest_log".to_string()),
        Some("media_notes".to_string()),
    ];
    assert_eq!(night(&wh), (logged.clone(), vec![]));
    let file_to = |from: &Path, to: &Path| {
        fs::create_dir_all(to.parent().expect("folder")).expect("mkdir");
        fs::copy(from, to).expect("copy");
        fs::remove_file(from).expect("remove");
    };
    let filed = ev.join("案卷/AJ-2026-031").join(name);
    file_to(&ev.join(A2), &filed);
    // The night it moved, the night after (carried), and the night it moved again.
    assert_eq!(night(&wh), (logged.clone(), vec![]));
    assert_eq!(
        custody_changes(&wh),
        [("moved".to_string(), name.to_string())]
    );
    assert_eq!(night(&wh), (logged.clone(), vec![]));
    file_to(&filed, &ev.join("归档/2026").join(name));
    assert_eq!(night(&wh), (logged.clone(), vec![]));
    // A first scan of the tree as it is now has no word of the log on it: its birth stands.
    let fresh = t.path().join("fresh");
    let (said, _) = night(&fresh);
    assert_eq!(said[0].as_deref(), Some("birth_time"));
}

#[test]
fn a_copy_or_second_name_deleted_while_the_bytes_stay_is_no_deletion_of_the_record() {
    // A clerk files two segments into their case's folder: segment 1 by a second name (a hard
    // link), segment 2 by a copy; the next night the device folder's names are deleted. The
    // bytes stay in the catalogue at the case's paths: `duplicate_deleted`, no offence, and
    // the ingest log's line (naming the device folder) still dates their upload. Was
    // INT-DUPLICATE on the hard link's two names, then CUST-DELETED and RET-EARLY (high) on
    // each device-folder path and DL-UPLOAD on the copies (their births months late).
    let (t, ev, ctx) = logged_day_in_a_case();
    let ctx = ctx.to_str().expect("utf-8");
    let wh = t.path().join("wh");
    let accused = |wh: &Path| {
        rule_files(wh, |r| {
            r.starts_with("CUST-")
                || r.starts_with("RET-")
                || r == "DL-UPLOAD"
                || r == "INT-DUPLICATE"
        })
    };
    scan(&[&ev], &wh, &["--context", ctx]);
    let name = |rel: &'static str| rel.rsplit('/').next().expect("name");
    let case = ev.join("案卷/AJ-2026-031");
    fs::create_dir_all(&case).expect("mkdir");
    fs::hard_link(ev.join(A1), case.join(name(A1))).expect("link");
    fs::copy(ev.join(A2), case.join(name(A2))).expect("copy");
    scan(&[&ev], &wh, &["--context", ctx]);
    // A copy is a copy; a second name of one file is not.
    assert_eq!(
        accused(&wh),
        [
            format!("INT-DUPLICATE {}", name(A2)),
            format!("INT-DUPLICATE {}", name(A2))
        ]
    );
    fs::remove_file(ev.join(A1)).expect("rm");
    fs::remove_file(ev.join(A2)).expect("rm");
    for _ in 0..2 {
        scan(&[&ev], &wh, &["--context", ctx]);
        assert_eq!(accused(&wh), Vec::<String>::new());
    }
    let copies: Vec<(String, String)> = rows(&wh.join("custody_events"))
        .iter()
        .filter(|e| get(e, "event") == Some("duplicate_deleted"))
        .map(|e| {
            let p = |c: &str| get(e, c).unwrap_or_default().to_string();
            (p("path"), p("previous_path"))
        })
        .collect();
    let at = |p: &Path| p.to_string_lossy().into_owned();
    assert_eq!(
        copies,
        [
            (at(&case.join(name(A1))), at(&ev.join(A1))),
            (at(&case.join(name(A2))), at(&ev.join(A2))),
        ]
    );
    let runs = rows(&wh.join("runs"));
    let deleted: Vec<Option<&str>> = runs.iter().map(|r| get(r, "files_deleted")).collect();
    assert!(deleted.contains(&Some("2")), "{deleted:?}");
}

#[test]
fn an_ingest_log_written_under_an_upload_stations_names_is_said_and_read_by_its_prefix() {
    // A Windows upload station exports the log and the notes with its own names for the share
    // (`D:\证据\…`): no line names a file as the server sees it. The run says so of each table
    // (DL-LOGPATHS, information), and with the station's prefix in the settings
    // reads every line below the roots.
    let t = tmp();
    let ev = t.path().join("ev");
    let mut csv = String::from("path,uploaded\n");
    let mut notes = String::from("path,category,description,described_at\n");
    for k in 0..12u32 {
        let rel = format!(
            "一大队/DSJ-L0001/20260312/20260312_09{:02}00_{:04}.MP4",
            k * 2,
            k + 1
        );
        put_own(&ev, &rel, A1, k);
        csv.push_str(&format!(
            "D:\\证据\\{},2026-03-12 10:{:02}:00\n",
            rel.replace('/', "\\"),
            k * 2
        ));
        notes.push_str(&format!(
            "D:\\证据\\{},inspection,现场检查,2026-03-13 09:00:00\n",
            rel.replace('/', "\\")
        ));
    }
    let ctx = t.path().join("ctx");
    fs::create_dir(&ctx).expect("mkdir");
    fs::write(ctx.join("ingest_log.csv"), csv).expect("log");
    fs::write(ctx.join("media_notes.csv"), notes).expect("notes");
    let ctx = ctx.to_str().expect("utf-8");
    let config = t.path().join("station.toml");
    fs::write(&config, "[rules]\ningest_path_prefixes = ['d:\\证据']\n").expect("config");
    let run = |name: &str, extra: &[&str]| -> (Vec<String>, Vec<String>) {
        let wh = t.path().join(name);
        let mut args = vec!["--context", ctx, "--keyframes", "off"];
        args.extend_from_slice(extra);
        scan(&[&ev], &wh, &args);
        let said: Vec<String> = rows(&wh.join("findings"))
            .iter()
            .filter(|f| get(f, "rule_id") == Some("DL-LOGPATHS"))
            .map(|f| get(f, "message").unwrap_or_default().to_string())
            .collect();
        let mut sources: Vec<String> = rows(&wh.join("files"))
            .iter()
            .map(|f| {
                let said = |c: &str| get(f, c).unwrap_or("none").to_string();
                format!(
                    "{} {}",
                    said("upload_time_source"),
                    said("description_source")
                )
            })
            .collect();
        sources.dedup();
        (said, sources)
    };
    let (mut said, sources) = run("bare", &[]);
    said.sort();
    assert_eq!(said.len(), 2, "{said:?}");
    for (s, table) in said.iter().zip(["ingest log", "media notes"]) {
        assert!(
            s.contains(&format!(
                "the {table}'s 12 lines name almost none of the files"
            )) && s.contains("ingest_path_prefixes"),
            "{s}"
        );
    }
    assert_eq!(sources, ["birth_time none"]);
    let (said, sources) = run("told", &["--config", config.to_str().expect("utf-8")]);
    assert_eq!(said, Vec::<String>::new());
    assert_eq!(sources, ["ingest_log media_notes"]);
}

/// Each night that reads files leaves its rows as a run of ascending paths of their own beside
/// the carried rows; past `RECAUDIT_COMPACT_RUNS` runs (8 by default, 2 here) the carry merges
/// the nights' runs back into path order, the first run's row groups spliced as they are (a
/// tiered merge; since the twenty-second session: before, every carried row was merged). The
/// table stays in a few runs, so that a part of the analysis reads a stretch of it rather than
/// a piece of every night's rows, and says what a full scan of the same tree says. Without the
/// merge the third night left four runs.
#[test]
fn nights_that_add_files_leave_the_files_table_in_a_few_runs() {
    let t = tmp();
    let ev = t.path().join("ev");
    copy_tree(&sample_data(), &ev);
    let cfg = no_birth_time();
    let night = |wh: &Path| -> String {
        let out = cmd()
            .arg("scan")
            .arg(&ev)
            .arg("-w")
            .arg(wh)
            .args(["-q", "-c", &cfg])
            .env("RECAUDIT_COMPACT_RUNS", "2")
            .env("RECAUDIT_TIMINGS", "1")
            .output()
            .expect("scan");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Runs of ascending paths in the table's rows, in its files' order.
    let runs = |wh: &Path| -> usize {
        let paths: Vec<String> = rows(&wh.join("files"))
            .iter()
            .map(|r| get(r, "path").expect("path").to_string())
            .collect();
        1 + paths.windows(2).filter(|w| w[0] >= w[1]).count()
    };
    let inc = t.path().join("inc");
    night(&inc);
    let mut merged_nights = 0;
    for k in 0..5 {
        // Tonight's new file sorts before every file there: its row cannot extend a run.
        let dir = ev.join(format!("0{}-upload", 9 - k));
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("note.bin"), pseudo_random(2000 + k, k as u32)).expect("write");
        let said = night(&inc);
        if said.contains("merged into path order") {
            merged_nights += 1;
            // Only the nights' runs are merged: the first run's row group is spliced whole.
            let spliced = number_after(&said, "carried files rows: ");
            assert!(
                spliced >= 12,
                "night {k}: {spliced} rows spliced on a merge night"
            );
        }
        // The carried rows in one run or two (or three, the night before a merge), tonight's
        // in one.
        let n = runs(&inc);
        assert!(n <= 3, "night {k}: {n} runs");
    }
    assert!(merged_nights >= 2, "{merged_nights} nights merged");
    // What a full scan of the tree holds, row for row.
    let full = t.path().join("full");
    night(&full);
    let key = |wh: &Path| -> Vec<Vec<Option<String>>> {
        let mut v: Vec<Vec<Option<String>>> = rows(&wh.join("files"))
            .iter()
            .map(|r| {
                [
                    "path",
                    "blake3",
                    "status",
                    "device_id",
                    "name_time",
                    "session_id",
                ]
                .iter()
                .map(|c| get(r, c).map(String::from))
                .collect()
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&inc), key(&full));
    assert_eq!(key(&inc).len(), rows(&full.join("files")).len());
}

/// The findings of a run are held up to a limit (65,536) and past it spilled as sorted runs
/// beside the staged tables, then merged as the table is written: a tree where every file drew
/// a finding held all of them to the commit (about 1.1 KB each). With a limit of five, and the
/// analysis in parts of three files, the labelled corpus's findings table is the one a run
/// that held them all writes, row for row and in the same order, and no spilled run is left.
#[test]
fn findings_spilled_in_sorted_runs_are_written_as_when_held() {
    let t = tmp();
    let lab = project().join("tests").join("fixtures").join("labelled");
    let cfg = no_birth_time();
    let run = |wh: &Path, spill: bool| -> String {
        let mut c = cmd();
        c.arg("scan")
            .arg(&lab)
            .arg(sample_data())
            .arg("-w")
            .arg(wh)
            .args(["-q", "-c", &cfg])
            .env("RECAUDIT_TIMINGS", "1");
        if spill {
            c.env("RECAUDIT_SPILL_FINDINGS", "5")
                .env("RECAUDIT_PART_ROWS", "3");
        } else {
            c.env_remove("RECAUDIT_SPILL_FINDINGS")
                .env_remove("RECAUDIT_PART_ROWS");
        }
        let out = c.output().expect("scan");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let (held, spilled) = (t.path().join("held"), t.path().join("spilled"));
    let said = run(&held, false);
    assert!(!said.contains("spilled in"), "{said}");
    let said = run(&spilled, true);
    let runs = number_after(&said, "spilled in ");
    // A deadline's lateness is counted to the run's start: the two runs start apart.
    let table = |wh: &Path| -> Vec<Vec<(String, Option<String>)>> {
        rows(&wh.join("findings"))
            .into_iter()
            .map(|r| {
                let dl = get(&r, "rule_id").is_some_and(|id| id.starts_with("DL-"));
                let mut cols: Vec<(String, Option<String>)> = r
                    .into_iter()
                    .filter(|(k, _)| k != "run_id" && !(dl && k == "magnitude_s"))
                    .collect();
                cols.sort();
                cols
            })
            .collect()
    };
    let (a, b) = (table(&held), table(&spilled));
    assert!(
        a.len() > 20,
        "{} findings: the test would not bite",
        a.len()
    );
    assert!(
        runs >= a.len() / 5 / 2,
        "{runs} spilled runs for {} findings",
        a.len()
    );
    assert_eq!(a.len(), b.len());
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "finding {k} differs");
    }
    // The run's counts are the rows', and the staged folder's spill went with the commit.
    let count = |wh: &Path, sev: &str| {
        let r = rows(&wh.join("runs"));
        get(&r[0], &format!("findings_{sev}")).map(str::to_string)
    };
    for sev in ["high", "warn", "info"] {
        assert_eq!(count(&held, sev), count(&spilled, sev), "{sev}");
    }
    let snapshot = fs::read_link(spilled.join("current")).expect("current");
    let left: Vec<_> = fs::read_dir(spilled.join(snapshot))
        .expect("snapshot")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "left in the snapshot: {left:?}");
}
