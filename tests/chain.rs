//! The warehouse's hash chain (第二十八条(三)): every way of tampering with a committed
//! warehouse is found by `recaudit verify` and refused by the next scan, with the run, table and
//! file named; an honest warehouse verifies, also after a killed run, on a copy, with a
//! signature and against an anchor log.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::util::{
    cmd, recaudit, rows, sample_data, scan, spawn_parked_scan, tmp, wait_until_staged,
};

fn s(p: &Path) -> String {
    p.to_str().expect("utf-8").to_string()
}

/// The run ids of the chain, in order, from the current snapshot's chain folder.
fn chain_runs(wh: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(wh.join("current/chain"))
        .expect("chain folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| n[9..n.len() - 5].to_string())
        .collect()
}

fn manifest_path(wh: &Path, seq: usize) -> PathBuf {
    let runs = chain_runs(wh);
    wh.join("current/chain")
        .join(format!("{seq:08}-{}.json", runs[seq]))
}

/// A warehouse with `n` scans of the sample tree; returns it with its run ids.
fn scanned(n: usize, extra: &[&str]) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let t = tmp();
    let wh = t.path().join("wh");
    for _ in 0..n {
        scan(&[&sample_data()], &wh, extra);
    }
    let runs = chain_runs(&wh);
    assert_eq!(runs.len(), n);
    (t, wh, runs)
}

fn verify(wh: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut a = vec!["verify".to_string(), s(wh), "--json".into()];
    a.extend(extra.iter().map(|x| x.to_string()));
    let args: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = recaudit(&args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

/// Asserts that verify fails (exit 4) and that one problem names this run, table and file.
fn assert_named(v: &Value, code: Option<i32>, run: &str, table: &str, file: &str) -> String {
    assert_eq!(code, Some(4), "{v:#}");
    assert_eq!(v["ok"], false);
    let problems = v["problems"].as_array().expect("problems");
    let hit = problems.iter().find(|p| {
        p["run_id"].as_str() == Some(run)
            && p["table"].as_str() == Some(table)
            && p["file"].as_str() == Some(file)
    });
    match hit {
        Some(p) => p["what"].as_str().unwrap_or_default().to_string(),
        None => panic!("no problem names run {run}, {table}/{file}: {problems:#?}"),
    }
}

/// A scan of the sample tree that must be refused because the history does not verify.
fn refused_scan(wh: &Path, must_name: &str) {
    let before = fs::read_link(wh.join("current")).expect("current");
    let mut c = cmd();
    c.arg("scan").arg(sample_data()).arg("-w").arg(wh).arg("-q");
    let out = c.output().expect("scan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains(must_name),
        "the refusal names {must_name}: {err}"
    );
    assert!(err.contains("nothing was committed"), "{err}");
    assert_eq!(fs::read_link(wh.join("current")).expect("current"), before);
}

/// `cp -a` (links, times and modes kept) or `cp -R` (a plain copy: new files and times, as a
/// third party would receive it).
fn copy_tree(from: &Path, to: &Path, keep: bool) {
    let out = std::process::Command::new("cp")
        .arg(if keep { "-a" } else { "-R" })
        .arg(from)
        .arg(to)
        .output()
        .expect("cp");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let f = fs::File::open(path).expect("open");
    ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// Writes `batches` to `path`: in place (same inode: every snapshot linking it changes), or
/// as a new file renamed over it.
fn write_parquet(path: &Path, batches: &[RecordBatch], in_place: bool) {
    let target = if in_place {
        path.to_path_buf()
    } else {
        path.with_extension("new")
    };
    let f = fs::File::create(&target).expect("create");
    let mut w = ArrowWriter::try_new(f, batches[0].schema(), None).expect("writer");
    for b in batches {
        w.write(b).expect("write");
    }
    w.close().expect("close");
    if !in_place {
        fs::rename(&target, path).expect("rename");
    }
}

#[test]
fn an_honest_warehouse_verifies_and_each_run_records_its_place() {
    let (_t, wh, runs) = scanned(2, &[]);
    let (code, v) = verify(&wh, &["--quick"]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(
        v["hashed_files"], 0,
        "--quick re-hashes only files whose time moved"
    );
    let (code, v) = verify(&wh, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["ok"], true);
    assert_eq!(v["head"]["seq"], 1);
    assert_eq!(v["head"]["run_id"].as_str(), Some(runs[1].as_str()));
    // Every table file of both snapshots was re-hashed (hard links once).
    assert!(v["hashed_files"].as_u64().unwrap_or(0) >= 8, "{v:#}");
    // The head is the BLAKE3 of the last manifest's bytes.
    let last = fs::read(manifest_path(&wh, 1)).expect("manifest");
    assert_eq!(
        v["head"]["blake3"].as_str(),
        Some(crate::blake3_ref::hex(&last).as_str())
    );
    // runs records each run's place and the head it built on.
    let first = fs::read(manifest_path(&wh, 0)).expect("manifest");
    let rs = rows(&wh.join("runs"));
    for r in &rs {
        let id = crate::util::get(r, "run_id").expect("run_id");
        let seq = crate::util::get(r, "chain_seq").expect("chain_seq");
        let prev = crate::util::get(r, "chain_previous");
        if id == runs[0] {
            assert_eq!((seq, prev), ("0", None));
        } else {
            assert_eq!(seq, "1");
            assert_eq!(prev, Some(crate::blake3_ref::hex(&first).as_str()));
        }
    }
    // The second manifest lists what its run wrote, not what it carried, and its state
    // counts every table file of the snapshot.
    let m: Value = serde_json::from_slice(&last).expect("json");
    let added: Vec<&str> = m["added"]
        .as_array()
        .expect("added")
        .iter()
        .map(|e| e["path"].as_str().expect("path"))
        .collect();
    let carried_runs_file = format!("runs/run-{}.parquet", runs[0]);
    assert!(!added.contains(&carried_runs_file.as_str()), "{added:?}");
    assert!(added.contains(&format!("runs/run-{}.parquet", runs[1]).as_str()));
    let on_disk: usize = [
        "files",
        "streams",
        "sessions",
        "findings",
        "runs",
        "custody_events",
        "case_items",
        "keyframes",
        "osd_fonts",
    ]
    .iter()
    .map(|t| fs::read_dir(wh.join("current").join(t)).map_or(0, |d| d.count()))
    .sum();
    assert_eq!(m["state"]["files"].as_u64(), Some(on_disk as u64));
}

#[test]
fn a_row_removed_in_place_is_named_refused_and_a_new_chain_records_the_break() {
    // The issue's own trial: the first run's custody_events rewritten in place with one `new`
    // event dropped (the file is hard-linked into both snapshots, so both change).
    let (_t, wh, runs) = scanned(2, &[]);
    let name = format!("run-{}.parquet", runs[0]);
    let path = wh.join("current/custody_events").join(&name);
    let batches = read_parquet(&path);
    let rows_before: usize = batches.iter().map(|b| b.num_rows()).sum();
    let cut = batches[0].slice(1, batches[0].num_rows() - 1);
    let mut rest = vec![cut];
    rest.extend_from_slice(&batches[1..]);
    write_parquet(&path, &rest, true);
    assert_eq!(
        read_parquet(&path)
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>(),
        rows_before - 1
    );
    let (code, v) = verify(&wh, &[]);
    assert_named(&v, code, &runs[0], "custody_events", &name);
    refused_scan(&wh, &format!("custody_events/{name}"));

    // Told to, a scan starts a new chain that records the break as a finding...
    let out = scan(&[&sample_data()], &wh, &["--new-chain"]);
    assert!(out.status.success());
    let restart = |wh: &Path| {
        rows(&wh.join("findings"))
            .into_iter()
            .filter(|f| crate::util::get(f, "rule_id") == Some("CHAIN-RESTART"))
            .collect::<Vec<_>>()
    };
    let found = restart(&wh);
    assert_eq!(found.len(), 1);
    assert_eq!(
        crate::util::get(&found[0], "article"),
        Some("第二十八条(三)")
    );
    assert!(
        crate::util::get(&found[0], "message")
            .is_some_and(|m| m.contains(&format!("custody_events/{name}"))),
        "{:?}",
        found[0]
    );
    // ...the new chain verifies (saying it restarted) and the finding stays in later runs.
    let (code, v) = verify(&wh, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert!(
        v["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("restarted"))),
        "{v:#}"
    );
    scan(&[&sample_data()], &wh, &[]);
    assert_eq!(restart(&wh).len(), 1);
}

#[test]
fn a_value_changed_with_size_and_time_kept_is_found_by_its_hash() {
    let (_t, wh, runs) = scanned(2, &[]);
    let path = wh.join("current/files/part-00000.parquet");
    let md = fs::metadata(&path).expect("md");
    let mtime = md.modified().expect("mtime");
    let mut bytes = fs::read(&path).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    fs::write(&path, &bytes).expect("write");
    fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(mtime))
        .expect("set mtime");
    let (code, v) = verify(&wh, &[]);
    let what = assert_named(&v, code, &runs[1], "files", "part-00000.parquet");
    assert!(what.contains("BLAKE3"), "{what}");
    // The scan's cheap check re-hashes within its budget (the whole of this small warehouse).
    refused_scan(&wh, "files/part-00000.parquet");
}

#[test]
fn a_table_file_replaced_by_a_rewritten_copy_with_the_same_rows_is_found() {
    // The runs table rewritten: same rows, other bytes (another encoding), a new file.
    let (_t, wh, runs) = scanned(2, &[]);
    let name = format!("run-{}.parquet", runs[0]);
    let path = wh.join("current/runs").join(&name);
    let before = rows(&wh.join("runs"));
    write_parquet(&path, &read_parquet(&path), false);
    assert_eq!(rows(&wh.join("runs")), before, "the rows are the same");
    let (code, v) = verify(&wh, &[]);
    assert_named(&v, code, &runs[0], "runs", &name);
    refused_scan(&wh, &format!("runs/{name}"));
}

#[test]
fn a_deleted_run_folder_or_chain_is_named() {
    let (t, wh, runs) = scanned(2, &[]);
    // The previous run's snapshot (kept for readers) deleted.
    let copy = t.path().join("copy");
    copy_tree(&wh, &copy, true);
    fs::remove_dir_all(wh.join("snapshots").join(&runs[0])).expect("rm");
    let (code, v) = verify(&wh, &[]);
    assert_eq!(code, Some(4));
    let problems = v["problems"].to_string();
    assert!(
        problems.contains(&runs[0]) && problems.contains("missing"),
        "{problems}"
    );
    refused_scan(&wh, &runs[0]);
    // The current one deleted.
    fs::remove_dir_all(copy.join("snapshots").join(&runs[1])).expect("rm");
    let (code, v) = verify(&copy, &[]);
    assert_eq!(code, Some(4));
    assert!(v["problems"].to_string().contains(&runs[1]), "{v:#}");
    refused_scan(&copy, &runs[1]);
    // The chain itself removed from a copy: the runs table says there was one.
    let copy2 = t.path().join("copy2");
    copy_tree(&wh, &copy2, true);
    for r in &runs {
        let _ = fs::remove_dir_all(copy2.join("snapshots").join(r).join("chain"));
    }
    let (code, v) = verify(&copy2, &[]);
    assert_eq!(code, Some(4));
    assert!(
        v["problems"].to_string().contains("history was removed"),
        "{v:#}"
    );
    refused_scan(&copy2, "history was removed");
}

#[test]
fn a_run_inserted_removed_or_reordered_breaks_the_chain_where_it_happened() {
    let (t, wh, runs) = scanned(3, &[]);
    let chain = wh.join("current/chain");
    let fresh = |name: &str| {
        let c = t.path().join(name);
        copy_tree(&wh, &c, true);
        c
    };
    // Inserted: a forged manifest claiming place #1.
    let ins = fresh("inserted");
    let m1 = fs::read_to_string(manifest_path(&wh, 1)).expect("m1");
    let forged = m1.replace(&runs[1], "20261202T000000.000Z-f0f0");
    fs::write(
        ins.join("current/chain/00000001-20261202T000000.000Z-f0f0.json"),
        forged,
    )
    .expect("write");
    let (code, v) = verify(&ins, &[]);
    assert_eq!(code, Some(4));
    assert!(v["problems"].to_string().contains("place #1"), "{v:#}");
    refused_scan(&ins, "place #1");
    // Removed: manifest #1 gone.
    let rem = fresh("removed");
    fs::remove_file(
        rem.join("current/chain")
            .join(format!("00000001-{}.json", runs[1])),
    )
    .expect("rm");
    let (code, v) = verify(&rem, &[]);
    assert_eq!(code, Some(4));
    let p = v["problems"].to_string();
    assert!(
        p.contains("#1..#1 are missing") && p.contains(&runs[2]),
        "{p}"
    );
    refused_scan(&rem, "#1..#1 are missing");
    // Reordered: #1 and #2 swap places.
    let a = chain.join(format!("00000001-{}.json", runs[1]));
    let b = chain.join(format!("00000002-{}.json", runs[2]));
    let (ma, mb) = (fs::read(&a).expect("a"), fs::read(&b).expect("b"));
    fs::write(&a, mb).expect("write");
    fs::write(&b, ma).expect("write");
    let (code, v) = verify(&wh, &[]);
    assert_eq!(code, Some(4));
    assert!(
        v["problems"].to_string().contains("file name says #1"),
        "{v:#}"
    );
    refused_scan(&wh, "file name says #1");
}

#[test]
fn an_edited_manifest_breaks_the_link_after_it() {
    let (_t, wh, runs) = scanned(3, &[]);
    let p0 = manifest_path(&wh, 0);
    let text = fs::read_to_string(&p0).expect("m0");
    // An edit that keeps the JSON valid: the first run's settings say another thread count.
    let edited = text.replacen("\"threads\": ", "\"threads\": 1", 1);
    assert_ne!(edited, text);
    fs::write(&p0, edited).expect("write");
    let (code, v) = verify(&wh, &[]);
    assert_eq!(code, Some(4));
    let problems = v["problems"].as_array().expect("problems");
    assert!(
        problems.iter().any(|p| p["seq"] == 1
            && p["run_id"].as_str() == Some(runs[1].as_str())
            && p["what"]
                .as_str()
                .is_some_and(|w| w.contains("builds on #0"))),
        "{problems:#?}"
    );
    refused_scan(&wh, "builds on #0");
}

#[test]
fn a_signed_chain_verifies_on_a_copy_with_the_public_key_only() {
    let t = tmp();
    let key = t.path().join("chain.pem");
    let out = recaudit(&["keygen", &s(&key)]);
    assert!(out.status.success());
    let public = t.path().join("chain.pem.pub");
    let wh = t.path().join("wh");
    let key_s = s(&key);
    scan(&[&sample_data()], &wh, &["--sign-key", &key_s]);
    scan(&[&sample_data()], &wh, &["--sign-key", &key_s]);
    let pem = fs::read_to_string(&key).expect("key");
    for r in rows(&wh.join("runs")) {
        let settings = crate::util::get(&r, "settings").expect("settings");
        assert!(settings.contains("\"signed\":true"), "{settings}");
        assert!(
            !settings.contains(&key_s) && !settings.contains(pem.lines().nth(1).unwrap_or("-"))
        );
    }
    // A third party: a plain copy (new inodes and times, no hard links) and the public key.
    let copy = t.path().join("copy");
    copy_tree(&wh, &copy, false);
    let (code, v) = verify(&copy, &["--public-key", &s(&public)]);
    assert_eq!(code, Some(0), "{v:#}");
    // Another key does not vouch for it.
    let other = t.path().join("other.pem");
    assert!(recaudit(&["keygen", &s(&other)]).status.success());
    let (code, v) = verify(
        &copy,
        &["--public-key", &s(&t.path().join("other.pem.pub"))],
    );
    assert_eq!(code, Some(4));
    assert!(
        v["problems"]
            .to_string()
            .contains("not signed with the given public key")
    );
    // The head's manifest edited (nothing links to it yet): its signature no longer verifies.
    let head = manifest_path(&copy, 1);
    let text = fs::read_to_string(&head).expect("head");
    fs::write(&head, text.replacen("\"threads\": ", "\"threads\": 1", 1)).expect("write");
    let (code, v) = verify(&copy, &["--public-key", &s(&public)]);
    assert_eq!(code, Some(4));
    assert!(
        v["problems"].to_string().contains("does not verify"),
        "{v:#}"
    );
    // A bad key file is refused before any work, without quoting it.
    let bad = t.path().join("bad.pem");
    fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    let mut c = cmd();
    c.arg("scan")
        .arg(sample_data())
        .arg("-w")
        .arg(&wh)
        .arg("-q");
    let out = c.arg("--sign-key").arg(&bad).output().expect("scan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.pem") && !err.contains("c2VjcmV0"),
        "{err}"
    );
}

#[test]
fn an_anchor_log_catches_a_rolled_back_warehouse() {
    let t = tmp();
    let wh = t.path().join("wh");
    let log = t.path().join("worm/anchor.log");
    fs::create_dir_all(log.parent().expect("parent")).expect("mkdir");
    let log_s = s(&log);
    let out = scan(&[&sample_data()], &wh, &["--anchor", &log_s]);
    let backup = t.path().join("backup");
    copy_tree(&wh, &backup, true);
    scan(&[&sample_data()], &wh, &["--anchor", &log_s]);
    let text = fs::read_to_string(&log).expect("log");
    assert_eq!(text.lines().count(), 2, "{text}");
    // The head each scan printed is the one anchored.
    let printed = String::from_utf8_lossy(&out.stdout);
    let first_head = text
        .lines()
        .next()
        .and_then(|l| l.split('\t').nth(4))
        .expect("head");
    assert!(printed.contains(first_head), "{printed}");
    let (code, v) = verify(&wh, &["--anchor", &log_s]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["anchored_heads"], 2);
    // The warehouse rolled back to the copy taken after the first run: locally consistent,
    // but the log knows of a later run.
    let (code, _) = verify(&backup, &[]);
    assert_eq!(code, Some(0));
    let (code, v) = verify(&backup, &["--anchor", &log_s]);
    assert_eq!(code, Some(4));
    assert!(v["problems"].to_string().contains("rolled back"), "{v:#}");
}

#[test]
fn an_export_names_its_run_and_head_and_is_checked_against_the_warehouse() {
    let ctx = sample_data().parent().expect("sample-data").join("context");
    let (t, wh, runs) = scanned(1, &["--context", &s(&ctx)]);
    let to = t.path().join("out");
    let out = recaudit(&[
        "export",
        &s(&wh),
        "--context",
        &s(&ctx),
        "--case",
        "AJ-2026-031",
        "--to",
        &s(&to),
        "--approved-by",
        "王局长",
        "--reason",
        "review",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = crate::blake3_ref::hex(&fs::read(manifest_path(&wh, 0)).expect("m0"));
    let manifest = fs::read_to_string(to.join("MANIFEST.csv")).expect("manifest");
    let mut lines = manifest.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.ends_with(",run_id,chain_head"))
    );
    for l in lines {
        assert!(l.ends_with(&format!(",{},{head}", runs[0])), "{l}");
    }
    assert!(
        fs::read_to_string(to.join("NOTE.txt"))
            .expect("note")
            .contains(&head)
    );
    // The export's own commit is the chain's next link.
    let (code, v) = verify(&wh, &["--export", &s(&to)]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["head"]["seq"], 1);
    assert_eq!(v["exports"][0]["recorded_at"], 1);
    assert_eq!(v["exports"][0]["files"], 6);
    // A copy changed afterwards is named.
    let first = manifest
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("file");
    let p = to.join(first);
    let mut b = fs::read(&p).expect("copy");
    b[0] ^= 1;
    fs::write(&p, b).expect("write");
    let (code, v) = verify(&wh, &["--export", &s(&to)]);
    assert_eq!(code, Some(4));
    assert!(
        v["problems"].to_string().contains("the copy was changed"),
        "{v:#}"
    );
    // An edited MANIFEST.csv is recorded by no export of this warehouse.
    fs::write(
        to.join("MANIFEST.csv"),
        manifest.replace("AJ-2026-031", "AJ-2026-032"),
    )
    .expect("write");
    let mut b = fs::read(&p).expect("copy");
    b[0] ^= 1;
    fs::write(&p, b).expect("restore the copy");
    let (code, v) = verify(&wh, &["--export", &s(&to)]);
    assert_eq!(code, Some(4));
    assert!(
        v["problems"]
            .to_string()
            .contains("not recorded by any export"),
        "{v:#}"
    );
}

#[test]
fn an_honest_warehouse_still_verifies_after_a_killed_scan_and_the_next_run() {
    let (_t, wh, _) = scanned(1, &[]);
    let mut child = spawn_parked_scan(&sample_data(), &wh, &[]);
    let staged = wait_until_staged(&wh);
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    assert!(staged.exists());
    let (code, v) = verify(&wh, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    let out: Output = scan(&[&sample_data()], &wh, &[]);
    assert!(out.status.success());
    let (code, v) = verify(&wh, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["head"]["seq"], 1);
}
