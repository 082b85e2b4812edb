//! The command as cron and people meet it: help, exit codes, roots that are missing, empty or
//! looping, names that are not UTF-8, hashes against an independent BLAKE3, and an evidence tree
//! left exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::blake3_ref;
use crate::util::*;

#[test]
fn help_is_complete_with_examples_and_exit_codes() {
    for args in [&["--help"][..], &["scan", "--help"], &["sample", "--help"]] {
        let out = recaudit(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Exit codes") || args[0] == "sample",
            "{args:?}: {text}"
        );
        if args.len() == 2 {
            assert!(text.contains("Examples:"), "{args:?}");
        }
    }
    let scan_help = String::from_utf8_lossy(&recaudit(&["scan", "--help"]).stdout).to_string();
    for flag in [
        "--warehouse",
        "--config",
        "--threads",
        "--quiet",
        "--io",
        "--no-mmap",
        "--follow-symlinks",
        "--allow-empty-root",
        "--json",
    ] {
        assert!(scan_help.contains(flag), "scan --help lacks {flag}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(recaudit(&["scan"]).status.code(), Some(2));
    assert_eq!(
        recaudit(&["scan", "/tmp"]).status.code(),
        Some(2),
        "--warehouse is required"
    );
    assert_eq!(recaudit(&["frobnicate"]).status.code(), Some(2));
    let t = tmp();
    let cfg = t.path().join("bad.toml");
    fs::write(&cfg, "timezone = \"Mars/Olympus\"\n").expect("write");
    let out = recaudit(&[
        "scan",
        &sample_data().to_string_lossy(),
        "-w",
        &t.path().join("wh").to_string_lossy(),
        "-c",
        &cfg.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Mars/Olympus"));
    fs::write(&cfg, "[scan]\nmmap_min_bytse = 1\n").expect("write");
    let out = recaudit(&[
        "scan",
        &sample_data().to_string_lossy(),
        "-w",
        &t.path().join("wh").to_string_lossy(),
        "-c",
        &cfg.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2), "unknown keys are errors");
    assert!(String::from_utf8_lossy(&out.stderr).contains("mmap_min_bytse"));
}

#[test]
fn missing_or_empty_root_is_fatal_and_commits_nothing() {
    let t = tmp();
    let wh = t.path().join("wh");
    scan(&[&sample_data()], &wh, &[]);
    let before = fs::read_link(wh.join("current")).expect("current");
    let gone = t.path().join("not-mounted");
    let out = recaudit(&[
        "scan",
        &gone.to_string_lossy(),
        "-w",
        &wh.to_string_lossy(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not exist") && err.contains("not-mounted"),
        "{err}"
    );
    assert!(err.contains("nothing was committed"));
    let empty = t.path().join("empty-mountpoint");
    fs::create_dir(&empty).expect("mkdir");
    let out = recaudit(&[
        "scan",
        &empty.to_string_lossy(),
        "-w",
        &wh.to_string_lossy(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    assert_eq!(
        fs::read_link(wh.join("current")).expect("current"),
        before,
        "the old run is still current"
    );
    assert_eq!(rows(&wh.join("files")).len(), 12);
    // Explicitly allowed, an empty root is a valid run. The files catalogued under the other
    // root were not looked at, so they stay in the catalogue as they were: not deleted.
    scan(&[&empty], &wh, &["--allow-empty-root"]);
    let r = rows(&wh.join("files"));
    assert_eq!(r.len(), 12);
    let runs = rows(&wh.join("runs"));
    let last = runs
        .iter()
        .max_by_key(|r| get(r, "run_id").map(str::to_string))
        .expect("runs");
    assert_eq!(get(last, "files_deleted"), Some("0"));
    assert_eq!(get(last, "files_carried"), Some("12"));
}

#[test]
fn symlink_loops_neither_hang_nor_repeat() {
    let t = tmp();
    let ev = t.path().join("ev");
    let deep = ev.join("a").join("b");
    fs::create_dir_all(&deep).expect("mkdir");
    fs::copy(
        sample_data().join("执法二大队/DSJ-B2-0000077/20260312_235800_0001.MOV"),
        deep.join("clip.MOV"),
    )
    .expect("copy");
    std::os::unix::fs::symlink("../..", deep.join("loop")).expect("symlink");
    std::os::unix::fs::symlink("clip.MOV", deep.join("alias.MOV")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", deep.join("dangling.MOV")).expect("symlink");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let r = rows(&wh.join("files"));
    assert_eq!(r.len(), 4, "clip plus three links as rows: {r:?}");
    let link = by_name(&r, "loop");
    assert_eq!(get(link, "status"), Some("unsupported"));
    assert!(get(link, "error").is_some_and(|e| e.contains("not followed")));

    scan(&[&ev], &wh, &["--follow-symlinks"]);
    let r = rows(&wh.join("files"));
    let mut names: Vec<&str> = r.iter().filter_map(|x| get(x, "rel_path")).collect();
    names.sort();
    assert_eq!(
        names,
        vec!["a/b/alias.MOV", "a/b/clip.MOV", "a/b/dangling.MOV"],
        "the loop is entered never twice"
    );
    assert_eq!(
        get(by_name(&r, "alias.MOV"), "blake3"),
        get(by_name(&r, "clip.MOV"), "blake3")
    );
    let dangling = by_name(&r, "dangling.MOV");
    assert_eq!(get(dangling, "status"), Some("unreadable"));
    assert!(get(dangling, "error").is_some_and(|e| e.contains("nowhere")));
}

#[test]
fn special_files_are_rows_and_never_opened() {
    let t = tmp();
    let ev = t.path().join("ev");
    fs::create_dir(&ev).expect("mkdir");
    let fifo = ev.join("pipe.MP4");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).expect("cstring");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]); // would block forever if the FIFO were opened
    let r = rows(&wh.join("files"));
    assert_eq!(get(&r[0], "status"), Some("unsupported"));
    assert!(get(&r[0], "error").is_some_and(|e| e.contains("fifo")));
}

#[test]
fn non_utf8_names_are_kept_byte_for_byte() {
    let t = tmp();
    let ev = t.path().join("ev");
    fs::create_dir(&ev).expect("mkdir");
    let name = std::ffi::OsStr::from_bytes(b"clip-\xff\xfe gbk-\xd6\xd0.MP4");
    let p = ev.join(name);
    fs::copy(
        sample_data().join("执法二大队/DSJ-B2-0000077/20260312_235800_0001.MOV"),
        &p,
    )
    .expect("copy");
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let r = &rows(&wh.join("files"))[0];
    let hex: String = p
        .as_os_str()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(get(r, "path_bytes"), Some(hex.as_str()));
    assert!(
        get(r, "path").is_some_and(|s| s.ends_with("clip-\\xFF\\xFE gbk-\\xD6\\xD0.MP4")),
        "{:?}",
        get(r, "path")
    );
    assert_eq!(get(r, "status"), Some("ok"));
}

#[test]
fn hashes_match_an_independent_blake3_on_every_read_path() {
    let t = tmp();
    let ev = t.path().join("ev");
    fs::create_dir(&ev).expect("mkdir");
    // Sizes around BLAKE3's block (64) and chunk (1024) sizes, the read buffer (64 KiB here) and
    // the mmap threshold (1 MiB here).
    let sizes = [
        0usize, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 3073, 65_535, 65_536, 65_537, 1_048_575,
        1_048_576, 1_048_577, 3_000_001,
    ];
    let mut want = BTreeMap::new();
    for (i, &n) in sizes.iter().enumerate() {
        let data = pseudo_random(n, i as u32 + 1);
        let name = format!("f{i:02}-{n}.bin");
        fs::write(ev.join(&name), &data).expect("write");
        want.insert(name, blake3_ref::hex(&data));
    }
    let cfg = t.path().join("c.toml");
    fs::write(
        &cfg,
        "[scan]\nmmap_min_bytes = 1048576\nchunk_bytes = 65536\n",
    )
    .expect("write");
    let cfg_s = cfg.to_string_lossy().to_string();
    // With one thread a file above the threshold is mapped (the mapped path, asserted below);
    // with two, a small file is read and a large one mapped or read as the other thread's
    // files leave it (`read::worth_mapping`, unit-tested): its hash is checked either way.
    for (k, extra) in [
        &["-c", cfg_s.as_str(), "-j", "1"][..],
        &["-c", cfg_s.as_str(), "-j", "2"],
        &["-c", cfg_s.as_str(), "--no-mmap"],
        &["-c", cfg_s.as_str(), "--io", "sequential"],
        &["-j", "1"],
    ]
    .into_iter()
    .enumerate()
    {
        let wh = t.path().join(format!("wh{k}"));
        scan(&[&ev], &wh, extra);
        let r = rows(&wh.join("files"));
        assert_eq!(r.len(), sizes.len());
        for row in &r {
            let name = get(row, "file_name").expect("name");
            assert_eq!(
                get(row, "blake3"),
                Some(want[name].as_str()),
                "{name} with {extra:?}"
            );
            let size: usize = get(row, "size_bytes").expect("size").parse().expect("n");
            let method = get(row, "read_method");
            if k == 0 {
                assert_eq!(
                    method,
                    Some(if size >= 1_048_576 { "mmap" } else { "read" }),
                    "{name}"
                );
            } else if (k == 1 && size < 1_048_576)
                || extra.contains(&"--no-mmap")
                || extra.contains(&"sequential")
            {
                assert_eq!(method, Some("read"), "{name}");
            }
        }
    }
    // The reference itself agrees with the library at a size with a deep tree.
    let d = pseudo_random(5 * 1024 * 1024 + 17, 99);
    assert_eq!(blake3_ref::hex(&d), blake3::hash(&d).to_hex().as_str());
}

fn tree_state(root: &Path) -> BTreeMap<PathBuf, (u64, i64, i64, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            let m = fs::symlink_metadata(&p).expect("meta");
            out.insert(p.clone(), (m.len(), m.mtime(), m.mtime_nsec(), m.mode()));
            if m.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

#[test]
fn the_evidence_tree_is_left_as_it_was() {
    let t = tmp();
    let ev = t.path().join("ev");
    fs::create_dir(&ev).expect("mkdir");
    for (i, e) in fs::read_dir(sample_data().join("执法一大队/DSJ-A8-0001234/20260312"))
        .expect("dir")
        .enumerate()
    {
        let p = e.expect("entry").path();
        fs::copy(
            &p,
            ev.join(format!(
                "{i}-{}",
                p.file_name().expect("name").to_string_lossy()
            )),
        )
        .expect("copy");
    }
    // Access times older than the modification times: any read that is not O_NOATIME moves
    // them (relatime), so the check below cannot pass by a read landing in the same second.
    for e in fs::read_dir(&ev).expect("dir") {
        let f = fs::File::options()
            .write(true)
            .open(e.expect("entry").path())
            .expect("open");
        let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        let later = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        f.set_times(fs::FileTimes::new().set_accessed(old).set_modified(later))
            .expect("times");
    }
    let before = tree_state(&ev);
    let atimes: Vec<i64> = before
        .keys()
        .map(|p| fs::metadata(p).expect("meta").atime())
        .collect();
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    scan(&[&ev], &wh, &["--io", "sequential"]);
    assert_eq!(
        tree_state(&ev),
        before,
        "no file added, removed, resized, touched or re-moded"
    );
    let after: Vec<i64> = before
        .keys()
        .map(|p| fs::metadata(p).expect("meta").atime())
        .collect();
    assert_eq!(atimes, after, "reads use O_NOATIME");
}

#[test]
fn a_warehouse_inside_a_scanned_root_is_never_scanned() {
    // Its own files change on every run: scanned, they would be `modified` evidence.
    let t = tmp();
    let ev = t.path().join("ev");
    let dev = ev.join("执法一大队/DSJ-A8-0001234/20260312");
    fs::create_dir_all(&dev).expect("mkdir");
    let src = sample_data().join("执法一大队/DSJ-A8-0001234/20260312");
    for e in fs::read_dir(&src).expect("dir") {
        let p = e.expect("entry").path();
        fs::copy(&p, dev.join(p.file_name().expect("name"))).expect("copy");
    }
    let wh = ev.join("recaudit-warehouse");
    scan(&[&ev], &wh, &[]);
    scan(&[&ev], &wh, &[]);
    let files = rows(&wh.join("files"));
    assert_eq!(files.len(), 4, "only the evidence: {files:?}");
    assert!(
        files
            .iter()
            .all(|r| !get(r, "path").unwrap().contains("recaudit-warehouse"))
    );
    let events = rows(&wh.join("custody_events"));
    assert!(
        events.iter().all(|e| get(e, "event") == Some("new")),
        "the second run records nothing: {events:?}"
    );
    assert!(
        rows(&wh.join("findings"))
            .iter()
            .all(|f| get(f, "kind") != Some("unreadable"))
    );
}

#[test]
fn quiet_non_tty_prints_only_the_summary_and_json_is_machine_readable() {
    let t = tmp();
    let wh = t.path().join("wh");
    let out = scan(&[&sample_data()], &wh, &[]);
    assert!(
        out.stderr.is_empty(),
        "no progress output without a terminal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ok 12, corrupt 0"), "{text}");
    let out = scan(&[&sample_data()], &wh, &["--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["run"]["files"], 12);
    assert_eq!(v["run"]["files_ok"], 12);
}

/// Three recorders, half an hour each in 2-minute 640x360 segments, seed 7.
fn generate_sample(out: &Path) -> std::process::Output {
    recaudit(&[
        "sample",
        "--out",
        &out.to_string_lossy(),
        "--devices",
        "3",
        "--hours",
        "0.5",
        "--segment-seconds",
        "120",
        "--bitrate-kbps",
        "200",
        "--width",
        "640",
        "--height",
        "360",
        "--seed",
        "7",
    ])
}

#[test]
fn generated_sample_tree_is_consistent_recorder_footage() {
    let t = tmp();
    let ev = t.path().join("gen");
    let out = generate_sample(&ev);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let r = rows(&wh.join("files"));
    assert!(
        r.len() >= 45,
        "3 devices x 30 min in 2-minute segments: {}",
        r.len()
    );
    for row in &r {
        assert_eq!(get(row, "status"), Some("ok"), "{:?}", get(row, "error"));
        assert_eq!(
            get(row, "name_time"),
            get(row, "creation_time"),
            "file name and mvhd agree"
        );
        assert_eq!(
            (get(row, "width"), get(row, "height")),
            (Some("640"), Some("360"))
        );
        assert_eq!(get(row, "top_level_layout"), Some("ftyp,mdat,moov"));
        let d = num(row, "duration_s");
        assert!(d > 0.0 && d <= 120.0);
        assert!(get(row, "device_id").is_some_and(|d| d.starts_with("DSJ-A8-")));
        assert!(get(row, "unit").is_some());
    }
    let total: f64 = r.iter().map(|x| num(x, "duration_s")).sum();
    assert!(
        (total - 3.0 * 1800.0).abs() < 1.0,
        "recorded seconds add up: {total}"
    );
    // Same seed, same tree.
    let ev2 = t.path().join("gen2");
    generate_sample(&ev2);
    let wh2 = t.path().join("wh2");
    scan(&[&ev2], &wh2, &[]);
    let h1: Vec<Option<&str>> = r.iter().map(|x| get(x, "blake3")).collect();
    let r2 = rows(&wh2.join("files"));
    let h2: Vec<Option<&str>> = r2.iter().map(|x| get(x, "blake3")).collect();
    assert_eq!(h1, h2);
}
