//! Nightly runs: incremental rescans, the chain of custody, deadlines in working days,
//! retention and evidence export, played out over scripted nights on temporary trees.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

/// A private copy of the sample evidence tree (tests modify it).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            fs::copy(e.path(), &dst).expect("copy");
        }
    }
}

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
    assert_eq!((n(&r1, "files_new"), n(&r1, "files_carried")), (10, 0));
    assert_eq!(n(&r1, "hashed_bytes"), n(&r1, "bytes"));

    // Night 2: nothing changed: nothing is read, nothing happens.
    let r2 = night.scan(&[]);
    assert_eq!(get(&r2, "mode"), Some("incremental"));
    assert_eq!((n(&r2, "files_carried"), n(&r2, "hashed_bytes")), (10, 0));
    assert!(night.events_of_run(&r2).is_empty());
    let files = rows(&night.wh.join("files"));
    assert_eq!(files.len(), 10);
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
    assert_eq!(n(&r3, "files_carried"), 6);
    // The new copy of the TS has the same bytes as the original: a duplicate, not a move,
    // since the original is still there.
    let moved_ev = night
        .events()
        .into_iter()
        .find(|e| get(e, "event") == Some("moved"))
        .expect("moved");
    assert!(get(&moved_ev, "previous_path").is_some_and(|p| p.ends_with("_0002.MP4")));
    // The moved file keeps its first_seen.
    let files = rows(&night.wh.join("files"));
    assert_eq!(files.len(), 10);
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
    assert_eq!(ev.iter().filter(|(e, _)| e == "verified").count(), 9);
    assert_eq!(
        ev.iter()
            .filter(|(e, _)| e == "modified")
            .collect::<Vec<_>>(),
        vec![&(
            "modified".to_string(),
            "DSJ-A8-0001234_OF1023_20260312093021_0002.MP4".to_string()
        )]
    );
    let e = night
        .events()
        .into_iter()
        .find(|e| get(e, "event") == Some("modified"))
        .expect("modified");
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
        10,
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
    let out = recaudit(&[
        "scan",
        night.ev.to_str().expect("utf-8"),
        "-w",
        night.wh.to_str().expect("utf-8"),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(3));
    // An empty mount point looks the same: refused too.
    fs::create_dir(&night.ev).expect("mkdir");
    let out = recaudit(&[
        "scan",
        night.ev.to_str().expect("utf-8"),
        "-w",
        night.wh.to_str().expect("utf-8"),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(3));
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
    assert_eq!((n(&r, "files_deleted"), n(&r, "files_carried")), (0, 10));
}

#[test]
fn a_killed_incremental_run_changes_nothing_and_the_next_one_records_once() {
    let night = Night::new();
    night.scan(&[]);
    let before = fs::read_link(night.wh.join("current")).expect("current");
    fs::remove_file(night.file(A3)).expect("rm");
    let ctx = sample_context();
    let mut child = cmd()
        .arg("scan")
        .arg(&night.ev)
        .arg("-w")
        .arg(&night.wh)
        .arg("--context")
        .arg(&ctx)
        .arg("-q")
        .env("RECAUDIT_TEST_PAUSE_BEFORE_COMMIT_MS", "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let staged = fs::read_dir(night.wh.join("snapshots"))
            .expect("dir")
            .filter_map(|e| e.ok())
            .any(|e| {
                e.file_name().to_string_lossy().starts_with(".tmp-")
                    && fs::read_dir(e.path().join("runs")).is_ok_and(|d| d.count() > 1)
            });
        if staged {
            break;
        }
        assert!(Instant::now() < deadline, "the run never staged its tables");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert_eq!(
        fs::read_link(night.wh.join("current")).expect("current"),
        before
    );
    assert_eq!(rows(&night.wh.join("files")).len(), 10);
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
