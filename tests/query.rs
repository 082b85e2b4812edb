//! `recaudit query`: the SQL layer, the context tables and every named analysis, checked by
//! their rows on the sample data (and on the labelled corpus where findings are needed).

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::*;

/// The sample tree scanned once, with the sample context tables.
fn sample_wh() -> &'static crate::util::Shared {
    static W: OnceLock<crate::util::Shared> = OnceLock::new();
    W.get_or_init(|| {
        let t = crate::util::shared_tmp("query");
        let ctx = project().join("sample-data").join("context");
        scan(
            &[&sample_data()],
            &t.path().join("wh"),
            &["--context", &ctx.to_string_lossy()],
        );
        t
    })
}

fn q(wh: &Path, args: &[&str]) -> Vec<Value> {
    q_with(wh, &project().join("sample-data").join("context"), args)
}

/// Runs `recaudit query` with a context folder and returns the JSON rows.
fn q_with(wh: &Path, ctx: &Path, args: &[&str]) -> Vec<Value> {
    let ctx = ctx.to_string_lossy();
    let mut all = args.to_vec();
    all.extend(["--context", &ctx]);
    crate::util::query_json(wh, &all)
}

fn named(name: &str, params: &[&str]) -> Vec<Value> {
    let mut args = vec!["--name", name];
    for p in params {
        args.push("--param");
        args.push(p);
    }
    q(&sample_wh().path().join("wh"), &args)
}

fn by<'a>(rows: &'a [Value], col: &str, val: &str) -> &'a Value {
    rows.iter()
        .find(|r| r[col] == val)
        .unwrap_or_else(|| panic!("no row with {col} = {val}: {rows:?}"))
}

#[test]
fn plain_sql_over_warehouse_and_context() {
    let wh = sample_wh().path().join("wh");
    let rows = q(
        &wh,
        &["SELECT status, count(*) AS n FROM files GROUP BY status"],
    );
    assert_eq!(rows, vec![serde_json::json!({"status": "ok", "n": 12})]);
    let rows = q(
        &wh,
        &["SELECT count(*) AS n FROM sessions JOIN devices USING (device_id)"],
    );
    assert_eq!(rows[0]["n"], 6);
    // The calendar: 2026-01-01 is a holiday, 2026-01-04 (a Sunday) a make-up workday.
    let rows = q(
        &wh,
        &[
            "SELECT CAST(date AS VARCHAR) AS d, is_workday FROM calendar WHERE date IN (DATE '2026-01-01', DATE '2026-01-04', DATE '2026-03-12') ORDER BY date",
        ],
    );
    let got: Vec<(String, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["d"].as_str().unwrap_or("").to_string(),
                r["is_workday"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("2026-01-01".into(), false),
            ("2026-01-04".into(), true),
            ("2026-03-12".into(), true)
        ]
    );
}

#[test]
fn list_names_every_analysis_with_its_article() {
    let out = recaudit(&["query", "--list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for n in [
        "case_review",
        "case_completeness",
        "supervision",
        "evaluation",
        "public_opinion",
        "decision",
        "credit_feed",
        "equipment_ratio",
        "hazard_devices",
    ] {
        assert!(text.contains(n), "--list lacks {n}");
    }
    assert!(text.contains("第十五条") && text.contains("第八条") && text.contains("第二十六条"));
}

#[test]
fn case_review_rows() {
    let rows = named("case_review", &[]);
    assert_eq!(rows.len(), 4);
    let c31 = by(&rows, "case_id", "AJ-2026-031");
    assert_eq!(
        (
            c31["files"].as_i64(),
            c31["sessions"].as_i64(),
            c31["integrity"].as_str()
        ),
        (Some(5), Some(2), Some("complete"))
    );
    let c34 = by(&rows, "case_id", "AJ-2026-034");
    assert_eq!(
        (c34["files"].as_i64(), c34["integrity"].as_str()),
        (Some(0), Some("no footage"))
    );
    let one = named("case_review", &["case_id=AJ-2026-032"]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["files"], 2);
}

#[test]
fn case_review_counts_findings_by_kind() {
    let t = tmp();
    let wh = t.path().join("wh");
    let ctx = t.path().join("ctx");
    fs::create_dir(&ctx).expect("mkdir");
    fs::write(ctx.join("cases.csv"), "case_id,kind,enterprise,opened\nT-1,inspection,某公司,2026-03-12\nT-2,penalty,某公司,2026-03-12\n").expect("write");
    fs::write(
        ctx.join("case_media.csv"),
        "case_id,device_id,from,to\nT-1,GAP-01,2026-03-12 09:59:00,2026-03-12 10:30:00\nT-2,TRN-01,2026-03-12 09:59:00,2026-03-12 10:30:00\n",
    )
    .expect("write");
    // The scan links files to cases (files.case_ids) from the context it is given.
    scan(
        &[&project().join("tests/fixtures/labelled")],
        &wh,
        &[
            "--config",
            &no_birth_time(),
            "--context",
            &ctx.to_string_lossy(),
        ],
    );
    let rows = q_with(&wh, &ctx, &["--name", "case_review"]);
    let t1 = by(&rows, "case_id", "T-1");
    assert_eq!(
        (
            t1["files"].as_i64(),
            t1["findings_by_kind"].as_str(),
            t1["integrity"].as_str()
        ),
        (Some(2), Some("gap:1"), Some("findings"))
    );
    let t2 = by(&rows, "case_id", "T-2");
    assert_eq!(
        (t2["damaged_files"].as_i64(), t2["integrity"].as_str()),
        (Some(1), Some("damaged"))
    );
}

#[test]
fn supervision_rows() {
    let rows = named("supervision", &["from=2026-03-12", "to=2026-03-13"]);
    let r = by(&rows, "officer_id", "OF1023");
    assert_eq!(
        (r["unit"].as_str(), r["kind"].as_str(), r["files"].as_i64()),
        (Some("执法一大队"), Some("(all)"), Some(5))
    );
    assert!((r["hours"].as_f64().unwrap_or(0.0) - 0.005).abs() < 1e-9);
    // The next day holds only the TS segment (recorded 08:00 on 13 March, local time).
    // Officers with findings only in the previous day still get rows (files 0), so that
    // the change shows.
    let next = named("supervision", &["from=2026-03-13", "to=2026-03-14"]);
    let with_files: Vec<&Value> = next
        .iter()
        .filter(|r| r["kind"] == "(all)" && r["files"].as_i64() > Some(0))
        .collect();
    assert_eq!(with_files.len(), 1, "{next:?}");
    assert_eq!(with_files[0]["files"], 1);
    let of1024 = next
        .iter()
        .find(|r| r["officer_id"] == "OF1024" && r["kind"] == "late_upload")
        .expect("OF1024's late upload on the 12th is the previous period's");
    assert_eq!(
        (of1024["files"].as_i64(), of1024["prev_findings"].as_i64()),
        (Some(0), Some(1))
    );
}

#[test]
fn evaluation_rows() {
    let rows = named("evaluation", &["month=2026-03"]);
    let r = by(&rows, "officer_id", "OF1023");
    assert_eq!(
        (r["name"].as_str(), r["files"].as_i64(), r["score"].as_f64()),
        (Some("张伟"), Some(5), Some(100.0))
    );
    let unknown = by(&rows, "officer_id", "(unknown)");
    assert_eq!(unknown["metadata"].as_f64(), Some(0.0));
    assert_eq!(
        unknown["score"].as_f64(),
        Some(90.0),
        "0.4 + 0.3 + 0.2 + 0.1 * 0"
    );
    assert!(named("evaluation", &["month=2026-04"]).is_empty());
}

#[test]
fn public_opinion_rows() {
    let rows = named(
        "public_opinion",
        &["from=2026-03-12 09:00:00", "to=2026-03-12 10:00:00"],
    );
    assert_eq!(
        rows.len(),
        4,
        "three segments and a photo between 09:00 and 10:00"
    );
    assert!(
        rows.iter().all(|r| r["case_id"] == "AJ-2026-031"
            && r["blake3"].as_str().is_some_and(|h| h.len() == 64))
    );
    let mining = named("public_opinion", &["enterprise=明达%"]);
    assert_eq!(mining.len(), 2);
}

#[test]
fn decision_rows() {
    let rows = named("decision", &[]);
    assert_eq!(rows.len(), 4);
    let nf = by(&rows, "unit", "(no footage)");
    assert_eq!(
        (
            nf["case_kind"].as_str(),
            nf["cases_without_footage"].as_i64()
        ),
        (Some("coercion"), Some(1))
    );
    let insp = by(&rows, "case_kind", "inspection");
    assert_eq!(
        (insp["industry"].as_str(), insp["files"].as_i64()),
        (Some("危险化学品"), Some(5))
    );
}

#[test]
fn credit_feed_leaves_confidential_cases_out() {
    let rows = named("credit_feed", &[]);
    assert_eq!(
        rows.len(),
        2,
        "the fireworks permit is confidential: {rows:?}"
    );
    let hd = by(&rows, "credit_code", "91310000MA1FL8XQ3K");
    assert_eq!(
        (
            hd["actions"].as_i64(),
            hd["evidenced"].as_i64(),
            hd["evidenced_share"].as_f64()
        ),
        (Some(2), Some(1), Some(0.5))
    );
}

#[test]
fn equipment_ratio_rows() {
    let rows = named("equipment_ratio", &[]);
    let short = by(&rows, "unit", "危化监察科");
    assert_eq!(
        (
            short["devices"].as_i64(),
            short["officers"].as_i64(),
            short["meets_standard"].as_bool()
        ),
        (Some(1), Some(3), Some(false))
    );
    let ok = by(&rows, "unit", "执法二大队");
    assert_eq!(
        (
            ok["devices"].as_i64(),
            ok["officers"].as_i64(),
            ok["meets_standard"].as_bool()
        ),
        (Some(3), Some(2), Some(true))
    );
    // The permit hall's camera (the registry's `cctv`) is no recorder: its unit has none.
    assert!(
        rows.iter()
            .all(|r| r["unit"].as_str() != Some("行政审批科")),
        "{rows:?}"
    );
}

#[test]
fn hazard_devices_rows() {
    let rows = named("hazard_devices", &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["device_id"].as_str(), rows[0]["case_id"].as_str()),
        (Some("DSJ-F5-0000321"), Some("AJ-2026-031"))
    );
}

#[test]
fn errors_are_specific_and_exit_2() {
    let wh = sample_wh().path().join("wh");
    let w = wh.to_string_lossy().to_string();
    let out = recaudit(&["query", &w, "SELECT nope FROM files"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
    let out = recaudit(&[
        "query",
        &w,
        "--name",
        "supervision",
        "--param",
        "form=2026-03-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'form'"));
    let out = recaudit(&["query", &w, "--name", "no_such_query"]);
    assert_eq!(out.status.code(), Some(2));
    let t = tmp();
    fs::write(t.path().join("devices.csv"), "device_id,unit,model,explosion_proof,commissioned\nD1,u,m,true,2024-01-01\nD2,u,m,maybe,2024-01-01\n").expect("write");
    let out = cmd()
        .arg("query")
        .arg(&wh)
        .arg("SELECT 1")
        .arg("--context")
        .arg(t.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("devices.csv")
            && err.contains("line 3")
            && err.contains("explosion_proof")
            && err.contains("maybe"),
        "{err}"
    );
    assert_eq!(
        recaudit(&[
            "query",
            &t.path().join("none").to_string_lossy(),
            "SELECT 1"
        ])
        .status
        .code(),
        Some(3)
    );
}

#[test]
fn csv_and_parquet_output() {
    let wh = sample_wh().path().join("wh");
    let out = cmd()
        .arg("query")
        .arg(&wh)
        .args([
            "SELECT device_id FROM sessions ORDER BY device_id",
            "--format",
            "csv",
        ])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().next(), Some("device_id"));
    assert_eq!(text.lines().count(), 7);
    let t = tmp();
    let p = t.path().join("out.parquet");
    let out = cmd()
        .arg("query")
        .arg(&wh)
        .args([
            "SELECT path, blake3 FROM files",
            "--format",
            "parquet",
            "--out",
        ])
        .arg(&p)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = t.path().to_path_buf();
    assert_eq!(rows(&dir).len(), 12);
}

#[test]
fn settings_timing_repeat_and_sql_starting_with_a_comment() {
    let wh = sample_wh().path().join("wh");
    let w = wh.to_string_lossy().to_string();
    // SQL that starts with a comment is SQL, not an option
    let rows = q(&wh, &["-- how many files\nSELECT count(*) AS n FROM files"]);
    assert!(rows[0]["n"].as_i64().is_some_and(|n| n > 0), "{rows:?}");
    // --set reaches DataFusion's configuration before the query runs
    let rows = q(
        &wh,
        &[
            "--set",
            "datafusion.execution.batch_size=1234",
            "SELECT value FROM information_schema.df_settings WHERE name = 'datafusion.execution.batch_size'",
        ],
    );
    assert_eq!(rows[0]["value"].as_str(), Some("1234"));
    // Parquet filter pushdown is on unless turned off
    let pushdown = "SELECT value FROM information_schema.df_settings WHERE name = 'datafusion.execution.parquet.pushdown_filters'";
    assert_eq!(q(&wh, &[pushdown])[0]["value"].as_str(), Some("true"));
    let off = q(
        &wh,
        &[
            "--set",
            "datafusion.execution.parquet.pushdown_filters=false",
            pushdown,
        ],
    );
    assert_eq!(off[0]["value"].as_str(), Some("false"));
    let out = recaudit(&["query", &w, "--set", "datafusion.no_such.key=1", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("datafusion.no_such.key"));
    let out = recaudit(&["query", &w, "--set", "batch_size", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    // --repeat runs (and writes) N times; --timing reports each run and the phases
    let t = tmp();
    let csv = t.path().join("n.csv");
    let out = recaudit(&[
        "query",
        &w,
        "SELECT count(*) AS n FROM files",
        "--format",
        "csv",
        "--out",
        &csv.to_string_lossy(),
        "--timing",
        "--repeat",
        "3",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for i in 1..=3 {
        assert!(err.contains(&format!("run {i} of 3: ")), "{err}");
    }
    assert!(err.contains("open ") && err.contains("(1 rows)"), "{err}");
    let text = fs::read_to_string(&csv).expect("csv");
    assert_eq!(text.lines().count(), 2, "{text}");
    let out = recaudit(&["query", &w, "SELECT 1", "--repeat", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn files_written_before_a_column_existed_read_it_as_null() {
    let t = tmp();
    let wh = t.path().join("wh");
    scan(&[&sample_data()], &wh, &[]);
    let w = wh.to_string_lossy().to_string();
    // an older `runs` file: only some of today's columns
    let old = wh.join("runs").join("run-old.parquet");
    let out = recaudit(&[
        "query",
        &w,
        "SELECT 'old-run' AS run_id, started, finished FROM runs",
        "--format",
        "parquet",
        "--out",
        &old.to_string_lossy(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = q(
        &wh,
        &["SELECT run_id, files, mode FROM runs ORDER BY run_id = 'old-run' DESC"],
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["run_id"].as_str(), Some("old-run"));
    assert!(
        rows[0]["files"].is_null() && rows[0]["mode"].is_null(),
        "{rows:?}"
    );
    assert!(rows[1]["files"].as_i64().is_some_and(|n| n > 0), "{rows:?}");
}

#[test]
fn csv_of_many_batches_keeps_row_order_and_one_header() {
    let wh = sample_wh().path().join("wh");
    let w = wh.to_string_lossy().to_string();
    let sql = "SELECT path, size_bytes, mtime FROM files ORDER BY path";
    let csv = |extra: &[&str]| {
        let mut args = vec!["query", &w, sql, "--format", "csv"];
        args.extend_from_slice(extra);
        let out = recaudit(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let one_batch = csv(&[]);
    // one row per batch: more batches than the writer formats at a time (4 per core)
    let many = csv(&["--set", "datafusion.execution.batch_size=1"]);
    assert!(one_batch.lines().count() > 9, "{one_batch}");
    assert_eq!(many, one_batch);
    assert_eq!(many.matches("path,size_bytes,mtime").count(), 1);
}

#[test]
fn a_query_reads_only_the_tables_it_uses() {
    let t = tmp();
    let wh = t.path().join("wh");
    scan(&[&sample_data()], &wh, &[]);
    let w = wh.to_string_lossy().to_string();
    // a damaged file in a table the query does not name: opening the warehouse does not read it
    fs::write(
        wh.join("streams").join("damaged.parquet"),
        b"not parquet at all",
    )
    .expect("write");
    let rows = q(&wh, &["SELECT count(*) AS n FROM files"]);
    assert!(rows[0]["n"].as_i64().is_some_and(|n| n > 0), "{rows:?}");
    // the query that does read it fails, naming the file
    let out = recaudit(&["query", &w, "SELECT count(*) FROM streams"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damaged.parquet"), "{err}");
}
