//! Helpers: temp dirs, running the real binary, reading the warehouse back with the parquet
//! crate (no recaudit code involved in reading).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_data() -> PathBuf {
    project().join("sample-data").join("evidence")
}

/// A configuration for trees checked out or copied into place: their birth times are not
/// upload times, so the upload deadlines are not judged from them.
pub fn no_birth_time() -> String {
    project()
        .join("tests/fixtures/birth-time-not-upload.toml")
        .to_string_lossy()
        .into_owned()
}

pub fn real_media() -> PathBuf {
    project().join("..").join("shared").join("real-media")
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("recaudit-test-")
        .tempdir()
        .expect("temp dir")
}

/// A directory for a warehouse that a test binary shares between its tests (held in a
/// `static`, which is never dropped, so a `TempDir` there would be left in /tmp after every
/// run). It lives under cargo's `CARGO_TARGET_TMPDIR` as `NAME-PID`; making one removes those
/// of earlier runs whose process is gone.
pub struct Shared(PathBuf);

impl Shared {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

pub fn shared_tmp(name: &str) -> Shared {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let prefix = format!("{name}-");
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            let file_name = e.file_name();
            let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
                continue;
            };
            let gone = pid.parse::<u32>().is_ok_and(|p| {
                p == std::process::id() || !Path::new(&format!("/proc/{p}")).exists()
            });
            if gone {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = root.join(format!("{prefix}{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("shared test dir");
    Shared(dir)
}

pub fn recaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .args(args)
        .output()
        .expect("run recaudit")
}

pub fn cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_recaudit"))
}

/// Runs `recaudit scan` and insists it succeeded.
pub fn scan(roots: &[&Path], wh: &Path, extra: &[&str]) -> Output {
    let mut c = cmd();
    c.arg("scan");
    for r in roots {
        c.arg(r);
    }
    c.arg("--warehouse").arg(wh).arg("--quiet").args(extra);
    let out = c.output().expect("run recaudit scan");
    assert!(
        out.status.success(),
        "scan failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    keyframes_read_once(wh);
    out
}

/// No keyframe of a file is read twice in a scan (a keyframe read inward from a weak end is
/// not decoded again to place a jump): at most one `keyframes` row per file and keyframe.
fn keyframes_read_once(wh: &Path) {
    let dir = wh.join("keyframes");
    if !dir.is_dir() {
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for r in rows(&dir) {
        let key = (
            get(&r, "path").map(str::to_string),
            get(&r, "gop_index").map(str::to_string),
        );
        assert!(
            seen.insert(key.clone()),
            "keyframe read twice: {key:?} in {}",
            wh.display()
        );
    }
}

pub fn read_table(dir: &Path) -> Vec<RecordBatch> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let r = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).expect("open parquet"))
            .expect("parquet")
            .build()
            .expect("reader");
        for b in r {
            out.push(b.expect("batch"));
        }
    }
    out
}

/// A table as rows of column name -> value rendered as text (null -> None).
pub type Row = HashMap<String, Option<String>>;

pub fn rows(dir: &Path) -> Vec<Row> {
    let mut out = Vec::new();
    for b in read_table(dir) {
        let schema = b.schema();
        for i in 0..b.num_rows() {
            let mut row = HashMap::new();
            for (c, f) in schema.fields().iter().enumerate() {
                let col = b.column(c);
                let v = if col.is_null(i) {
                    None
                } else {
                    Some(match f.data_type() {
                        arrow_schema::DataType::Utf8 => col.as_string::<i32>().value(i).to_string(),
                        arrow_schema::DataType::Int64 => {
                            col.as_primitive::<Int64Type>().value(i).to_string()
                        }
                        arrow_schema::DataType::Int32 => {
                            col.as_primitive::<Int32Type>().value(i).to_string()
                        }
                        arrow_schema::DataType::Float64 => {
                            col.as_primitive::<Float64Type>().value(i).to_string()
                        }
                        arrow_schema::DataType::Boolean => col.as_boolean().value(i).to_string(),
                        arrow_schema::DataType::Timestamp(_, _) => col
                            .as_primitive::<TimestampMicrosecondType>()
                            .value(i)
                            .to_string(),
                        arrow_schema::DataType::Binary => col
                            .as_binary::<i32>()
                            .value(i)
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect(),
                        other => format!("<{other}>"),
                    })
                };
                row.insert(f.name().clone(), v);
            }
            out.push(row);
        }
    }
    out
}

pub fn get<'a>(r: &'a Row, col: &str) -> Option<&'a str> {
    r.get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .as_deref()
}

pub fn num(r: &Row, col: &str) -> f64 {
    get(r, col)
        .unwrap_or_else(|| panic!("{col} is null"))
        .parse()
        .expect("number")
}

/// The `files` row whose file name is `name`.
pub fn by_name<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| get(r, "file_name") == Some(name))
        .unwrap_or_else(|| panic!("no row for {name}"))
}

/// Microseconds since the epoch for a UTC time `YYYY-MM-DD hh:mm:ss`.
pub fn utc_us(s: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .expect("time")
        .and_utc()
        .timestamp_micros()
}

/// Starts `recaudit scan ROOT -w WH -q EXTRA...` that stops before its commit (for a minute,
/// through the test hook `RECAUDIT_TEST_PAUSE_BEFORE_COMMIT_MS`), so a test can kill it there.
pub fn spawn_parked_scan(root: &Path, wh: &Path, extra: &[&str]) -> std::process::Child {
    cmd()
        .arg("scan")
        .arg(root)
        .arg("-w")
        .arg(wh)
        .arg("-q")
        .args(extra)
        .env("RECAUDIT_TEST_PAUSE_BEFORE_COMMIT_MS", "60000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn")
}

/// Waits (up to a minute) until a run parked by `RECAUDIT_TEST_PAUSE_BEFORE_COMMIT_MS` has
/// written all its tables into `WAREHOUSE/snapshots/.tmp-*`; returns that folder.
pub fn wait_until_staged(wh: &Path) -> PathBuf {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let found = std::fs::read_dir(wh.join("snapshots"))
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(".tmp-"))
                    && std::fs::read_dir(p.join("runs")).is_ok_and(|d| d.count() > 1)
            });
        if let Some(p) = found {
            return p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never staged its tables"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Copies a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).expect("copy");
        }
    }
}

/// `n` bytes of deterministic noise (xorshift) for a seed.
pub fn pseudo_random(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// `recaudit query WH ARGS... --format json`, which must succeed: the rows.
pub fn query_json(wh: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let out = cmd()
        .arg("query")
        .arg(wh)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v.as_array().cloned().unwrap_or_default()
}

/// A scratch evidence tree: its folder (removed when the first value drops), the tree's root,
/// a warehouse path beside it, and `device`'s folder of 2026-03-12 in the tree, made.
pub fn evidence(device: &str) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let t = tmp();
    let (root, wh) = (t.path().join("ev"), t.path().join("wh"));
    let dir = root.join(device).join("20260312");
    std::fs::create_dir_all(&dir).expect("mkdir");
    (t, root, wh, dir)
}

/// The findings of rules `ids`: rule, severity and the file's name after its last `cut` each.
pub fn findings_of(wh: &Path, ids: &[&str], cut: char) -> Vec<String> {
    rows(&wh.join("findings"))
        .iter()
        .filter(|f| get(f, "rule_id").is_some_and(|r| ids.contains(&r)))
        .filter_map(|f| {
            Some(format!(
                "{} {} {}",
                get(f, "rule_id")?,
                get(f, "severity")?,
                get(f, "path")?.rsplit(cut).next()?
            ))
        })
        .collect()
}

/// The number right after the first `phrase` in `text` (a run's timings or summary), or a
/// panic that shows the text.
pub fn number_after(text: &str, phrase: &str) -> usize {
    text.split(phrase)
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {phrase:?} in {text}"))
}
