//! `recaudit report`: the supervisor's page. Its numbers are held against `recaudit query` (in
//! the HTML as written and in the DOM a real headless Chromium renders), its timelines against
//! the findings, and its PDF is printed by the same browser.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::*;

const FROM: &str = "2026-03-01";
const TO: &str = "2026-04-01";

/// The sample tree and the labelled corpus (which has gaps, missing segments and overlaps)
/// scanned once, with the sample context.
fn warehouse() -> &'static (crate::util::Shared, PathBuf) {
    static W: OnceLock<(crate::util::Shared, PathBuf)> = OnceLock::new();
    W.get_or_init(|| {
        let t = crate::util::shared_tmp("report");
        let wh = t.path().join("wh");
        let labelled = project().join("tests/fixtures/labelled");
        scan(
            &[&sample_data(), &labelled],
            &wh,
            &[
                "--context",
                &context().to_string_lossy(),
                "--config",
                &no_birth_time(),
            ],
        );
        (t, wh)
    })
}

fn context() -> PathBuf {
    project().join("sample-data").join("context")
}

/// `recaudit report` of the period on the scanned warehouse, writing `name` in its folder.
fn report_cmd(name: &str) -> (Command, PathBuf) {
    let (t, wh) = warehouse();
    let out = t.path().join(name);
    let mut c = cmd();
    c.arg("report")
        .arg(wh)
        .args(["--from", FROM, "--to", TO, "--context"])
        .arg(context())
        .arg("--out")
        .arg(&out);
    (c, out)
}

/// Writes the report with `extra` flags; returns its path and text.
fn report(name: &str, extra: &[&str]) -> (PathBuf, String) {
    let (mut c, out) = report_cmd(name);
    let o = c.args(extra).output().expect("report");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("html");
    (out, text)
}

/// The `period_summary` rows as `recaudit query` prints them, by `section.measure.article`.
fn summary_rows(units: &str) -> BTreeMap<String, Value> {
    let (_, wh) = warehouse();
    let o = cmd()
        .arg("query")
        .arg(wh)
        .args(["--name", "period_summary", "--format", "json"])
        .args([
            "--param",
            &format!("from={FROM}"),
            "--param",
            &format!("to={TO}"),
        ])
        .args(["--param", &format!("units={units}"), "--context"])
        .arg(context())
        .output()
        .expect("query");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&o.stdout).expect("json");
    rows.into_iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (
                format!("{}.{}.{}", s("section"), s("measure"), s("article")),
                r,
            )
        })
        .collect()
}

/// Every `(data-key, data-period, data-value)` of a page (HTML as written or as a browser
/// serialised it).
fn cells(html: &str) -> Vec<(String, String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[at..].find('"')?;
        Some(
            tag[at..at + end]
                .replace("&quot;", "\"")
                .replace("&amp;", "&"),
        )
    };
    html.split("<td ")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            Some((
                attr(tag, "data-key")?,
                attr(tag, "data-period")?,
                attr(tag, "data-value")?,
            ))
        })
        .collect()
}

/// Each cell's value is the query's, and every row of the query is on the page.
fn assert_page_equals_query(html: &str, rows: &BTreeMap<String, Value>) {
    let cells = cells(html);
    assert!(
        cells.len() >= rows.len(),
        "{} cells for {} rows",
        cells.len(),
        rows.len()
    );
    for (key, period, value) in &cells {
        let row = rows
            .get(key)
            .unwrap_or_else(|| panic!("the page shows {key}, the query has no such row"));
        let want = match &row[period.as_str()] {
            Value::Null => String::new(),
            v => v.to_string(),
        };
        assert_eq!(value, &want, "{key} {period}");
    }
    for key in rows.keys() {
        assert!(
            cells.iter().any(|c| &c.0 == key),
            "the query's row {key} is not on the page"
        );
    }
}

#[test]
fn the_page_shows_the_numbers_the_query_returns() {
    let (_, html) = report("zh.html", &[]);
    let rows = summary_rows("%");
    assert_page_equals_query(&html, &rows);
    // Something real was counted: footage, findings and deadlines.
    assert!(rows["footage.files."]["current"].as_f64() > Some(10.0));
    assert!(rows.keys().any(|k| k.starts_with("findings.high.")));
    // One file: no script, nothing fetched.
    for bad in ["<script", "http://", "https://", "<link", "<img"] {
        assert!(!html.contains(bad), "{bad}");
    }
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"zh-CN\">"));
    assert!(html.contains("一、期间概况") && html.contains("第十二条(五)"));
    // Cases without footage (第二十八条(一)): the same count as case_review says.
    assert!(html.contains(r#"data-key="cases.no_footage" data-value="1""#));
}

#[test]
fn a_unit_report_counts_only_that_unit() {
    let (_, html) = report("unit.html", &["--unit", "执法一大队"]);
    let rows = summary_rows("执法一大队");
    assert_page_equals_query(&html, &rows);
    let all = summary_rows("%");
    assert!(rows["footage.files."]["current"].as_f64() < all["footage.files."]["current"].as_f64());
    assert!(
        !html.contains(r#"id="d-GAP-01""#),
        "GAP-01 belongs to another unit (单位甲)"
    );
}

#[test]
fn english_keeps_the_articles_in_chinese() {
    let (_, html) = report("en.html", &["--lang", "en"]);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("1. Summary of the period") && html.contains("Deadline compliance"));
    assert!(html.contains("第十六条") && html.contains("Art.16"));
    assert!(!html.contains("一、期间概况"));
    assert_page_equals_query(&html, &summary_rows("%"));
}

#[test]
fn every_continuity_finding_is_drawn_and_links_to_its_details() {
    let (_, html) = report("marks.html", &[]);
    let (_, wh) = warehouse();
    let findings = rows(&wh.join("findings"));
    let continuity: Vec<&Row> = findings
        .iter()
        .filter(|f| {
            matches!(
                get(f, "kind"),
                Some("gap") | Some("missing_segment") | Some("overlap")
            )
        })
        .collect();
    assert!(continuity.len() >= 3, "{continuity:?}");
    let devices = &html[html.find(r#"<section id="devices">"#).expect("devices")..];
    for f in continuity {
        let id = get(f, "finding_id").expect("id");
        assert!(
            devices.contains(&format!(r##"<a href="#f-{id}">"##)),
            "{id} is not marked on its timeline"
        );
        assert!(
            html.contains(&format!(r#"<tr id="f-{id}">"#)),
            "{id} has no details row"
        );
    }
    // The device of a gap has its own timeline.
    assert!(devices.contains(r#"id="d-GAP-01""#));
}

/// A headless Chromium, or None with the reason printed (the test then checks nothing more).
/// With RECAUDIT_REQUIRE_CHROMIUM set (CI installs it), a missing browser fails the test.
fn chromium() -> Option<PathBuf> {
    let found = recaudit::report::pdf::find_browser(None);
    if found.is_none() {
        assert!(
            std::env::var_os("RECAUDIT_REQUIRE_CHROMIUM").is_none(),
            "RECAUDIT_REQUIRE_CHROMIUM is set but no Chromium was found"
        );
        eprintln!(
            "skipped: no Chromium (install Debian's chromium, or set RECAUDIT_CHROMIUM) to render the report"
        );
    }
    found
}

/// The DOM Chromium renders from `html`, within two minutes (a hung browser fails the test
/// rather than stalling the suite).
fn dump_dom(browser: &Path, html: &Path) -> String {
    use std::io::Read;
    let profile = tmp();
    let dom_file = profile.path().join("dom.html");
    let mut child = Command::new(browser)
        .args(recaudit::report::pdf::headless_args(
            &profile.path().join("profile"),
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .stdout(std::fs::File::create(&dom_file).expect("dom file"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not render {} within 120 s", html.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "chromium: {status}");
    let mut dom = String::new();
    std::fs::File::open(&dom_file)
        .expect("dom")
        .read_to_string(&mut dom)
        .expect("utf-8");
    dom
}

#[test]
fn a_real_browser_renders_the_same_numbers() {
    let Some(browser) = chromium() else { return };
    let (path, _) = report("browser.html", &[]);
    let dom = dump_dom(&browser, &path);
    assert!(dom.contains("<svg"), "the timelines are in the DOM");
    assert_page_equals_query(&dom, &summary_rows("%"));
    // The case table's footage counts are case_review's.
    let (_, wh) = warehouse();
    let o = cmd()
        .arg("query")
        .arg(wh)
        .args(["--name", "case_review", "--format", "json", "--context"])
        .arg(context())
        .output()
        .expect("query");
    let review: Vec<Value> = serde_json::from_slice(&o.stdout).expect("json");
    for r in &review {
        let id = r["case_id"].as_str().expect("id");
        let cell = format!(r#"data-case="{id}" data-col="files">{}<"#, r["files"]);
        assert!(dom.contains(&cell), "{cell}");
    }
}

#[test]
fn the_pdf_prints_every_section() {
    let Some(_) = chromium() else { return };
    let (t, _) = warehouse();
    let pdf = t.path().join("report.pdf");
    // In English, so that the headings can be read back without a Chinese font installed.
    let (_, html) = report(
        "print.html",
        &["--lang", "en", "--pdf", &pdf.to_string_lossy()],
    );
    let bytes = std::fs::read(&pdf).expect("pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    // A page break before each of the five sections: at least five pages.
    let pages = bytes
        .windows(12)
        .filter(|w| w.starts_with(b"/Type /Page") && w[11] != b's')
        .count();
    assert!(pages >= 5, "{pages} pages");
    assert!(html.contains("section { break-before: page; }"));
    // Where poppler is installed, the text of every section heading is in the PDF.
    if let Ok(o) = Command::new("pdftotext").arg(&pdf).arg("-").output()
        && o.status.success()
    {
        let text = String::from_utf8_lossy(&o.stdout);
        for h in [
            "Summary of the period",
            "Units and officers",
            "recorder's days",
            "4. Cases",
            "Findings in detail",
        ] {
            assert!(text.contains(h), "{h} not in the PDF text");
        }
    }
}

#[test]
fn a_missing_browser_is_named_and_the_html_still_written() {
    let (t, wh) = warehouse();
    let (mut c, out) = report_cmd("nobrowser.html");
    let o = c
        .args(["--pdf", "/nonexistent/x.pdf"])
        .env("PATH", "/nonexistent")
        .env_remove("RECAUDIT_CHROMIUM")
        .output()
        .expect("report");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no Chromium found"));
    assert!(out.is_file());
    let bad = cmd()
        .arg("report")
        .arg(wh)
        .args(["--from", "2026-04-01", "--to", "2026-03-01", "--out"])
        .arg(t.path().join("bad.html"))
        .output()
        .expect("report");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must be after"));
}
