//! Is each case's record complete (第六、七条, 第二十八条(一))? The sample's cases held against the
//! built-in checklist, the bureau's own checklist and words from the context folder, sidecar
//! classifications, and documents of the evidence tree as evidence in their own right.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::*;

fn sample_context() -> PathBuf {
    project().join("sample-data").join("context")
}

/// `recaudit query` with the context tables `ctx`, as JSON rows ([`query_json`]).
fn query(wh: &Path, ctx: &Path, args: &[&str]) -> Vec<Value> {
    let ctx = ctx.to_str().expect("utf-8");
    let args: Vec<&str> = args.iter().copied().chain(["--context", ctx]).collect();
    query_json(wh, &args)
}

fn item<'a>(rows: &'a [Value], case: &str, item: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["case_id"] == case && r["item"] == item)
        .unwrap_or_else(|| panic!("no row for {case} {item}"))
}

/// (case, article) of every `incomplete_record` finding.
fn incomplete(wh: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = rows(&wh.join("findings"))
        .iter()
        .filter(|f| get(f, "kind") == Some("incomplete_record"))
        .map(|f| {
            (
                get(f, "case_id").unwrap_or("").to_string(),
                get(f, "article").unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sample_cases_against_the_built_in_checklist() {
    let t = tmp();
    let wh = t.path().join("wh");
    let ctx = sample_context();
    scan(
        &[&sample_data()],
        &wh,
        &["--context", &ctx.to_string_lossy()],
    );
    let rows = query(&wh, &ctx, &["--name", "case_completeness"]);

    // The inspection: its record is there (the PDF under its case folder is the enforcement
    // document; the photo shows the site's sign), except the receipt for the rectification
    // order it issued.
    let pdf = item(&rows, "AJ-2026-031", "enforcement_documents");
    assert_eq!(pdf["status"], "present");
    assert!(
        pdf["evidence"]
            .as_str()
            .is_some_and(|e| e.contains("案卷 AJ-2026-031/现场检查记录.pdf")),
        "{pdf}"
    );
    let sign = item(&rows, "AJ-2026-031", "av_site_sign");
    assert!(
        sign["evidence"]
            .as_str()
            .is_some_and(|e| e.contains("DSJ-A8-0001234_OF1023_20260312093100_0001.JPG")),
        "{sign}"
    );
    let receipt = item(&rows, "AJ-2026-031", "service_receipt");
    assert_eq!(
        (
            receipt["status"].as_str(),
            receipt["requirement"].as_str(),
            receipt["condition_met"].as_str(),
            receipt["clause"].as_str()
        ),
        (
            Some("missing"),
            Some("conditional"),
            Some("document:rectification_order"),
            Some("第六条(二)4")
        )
    );
    // No interview record and no interview event: the interview item does not apply.
    assert_eq!(
        item(&rows, "AJ-2026-031", "av_interview")["status"],
        "not_applicable"
    );
    // The re-inspection was filmed though nothing said it must be: present all the same.
    assert_eq!(
        item(&rows, "AJ-2026-031", "av_reinspection")["status"],
        "present"
    );

    // The penalty: an interview record in the case file, no recording of the interview.
    let interview = item(&rows, "AJ-2026-032", "av_interview");
    assert_eq!(
        (
            interview["status"].as_str(),
            interview["condition_met"].as_str()
        ),
        (Some("missing"), Some("document:interview_record"))
    );
    let receipt = item(&rows, "AJ-2026-032", "service_receipt");
    assert_eq!(receipt["status"], "present");
    assert!(
        receipt["evidence"]
            .as_str()
            .is_some_and(|e| e.starts_with("case_documents: 送达回执")),
        "{receipt}"
    );

    // The permit: complete, its acceptance notice a DOCX under the case folder.
    let permit: Vec<&Value> = rows
        .iter()
        .filter(|r| r["case_id"] == "AJ-2026-033")
        .collect();
    assert!(
        permit.iter().all(|r| r["status"] != "missing"),
        "{permit:?}"
    );
    assert_eq!(permit[0]["completeness"].as_f64(), Some(1.0));
    assert!(
        item(&rows, "AJ-2026-033", "permit_acceptance_notice")["evidence"]
            .as_str()
            .is_some_and(|e| e.contains("受理通知书.docx"))
    );
    // Every item of every kind cites 第六条 or 第七条.
    assert!(rows.iter().all(|r| {
        let c = r["clause"].as_str().unwrap_or("");
        c.starts_with("第六条(") || c.starts_with("第七条(")
    }));

    // Findings: one per missing item of a closed case; the open coercion case has none.
    assert_eq!(
        incomplete(&wh),
        vec![
            (
                "AJ-2026-031".to_string(),
                "第六条(二)4; 第二十八条(一)".to_string()
            ),
            (
                "AJ-2026-032".to_string(),
                "第七条(二)6; 第二十八条(一)".to_string()
            ),
        ]
    );
    assert!(
        rows.iter()
            .any(|r| r["case_id"] == "AJ-2026-034" && r["status"] == "missing")
    );

    // `recaudit findings` shows them with the clause and its gloss.
    let out = recaudit(&[
        "findings",
        &wh.to_string_lossy(),
        "--kind",
        "incomplete_record",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("第七条(二)6") && text.contains("Art.7(2)6") && text.contains("AJ-2026-032"),
        "{text}"
    );

    // case_review gains the share and the documents.
    let review = query(&wh, &ctx, &["--name", "case_review"]);
    let c31 = review
        .iter()
        .find(|r| r["case_id"] == "AJ-2026-031")
        .expect("031");
    assert_eq!(c31["items_missing"], 1);
    assert_eq!(c31["documents"], 1);
    assert_eq!(c31["files"], 5, "documents are not footage");
    let share = c31["completeness"].as_f64().expect("share");
    assert!(share > 0.8 && share < 1.0, "{share}");

    // The documents are catalogued like footage.
    let files = crate::util::rows(&wh.join("files"));
    let doc = by_name(&files, "现场检查记录.pdf");
    assert_eq!(
        (
            get(doc, "status"),
            get(doc, "media_kind"),
            get(doc, "container"),
            get(doc, "document_type"),
            get(doc, "case_ids"),
        ),
        (
            Some("ok"),
            Some("document"),
            Some("pdf"),
            Some("inspection_record"),
            Some("AJ-2026-031")
        )
    );
    assert_eq!(get(doc, "blake3").map(str::len), Some(64));
    let docx = by_name(&files, "受理通知书.docx");
    assert_eq!(get(docx, "container"), Some("ooxml"));
}

#[test]
fn a_bureau_changes_its_checklist_and_words_without_rebuilding() {
    let t = tmp();
    let ev = t.path().join("ev");
    copy_tree(&sample_data(), &ev);
    let ctx = t.path().join("ctx");
    copy_tree(&sample_context(), &ctx);
    let wh = t.path().join("wh");
    let ctx_s = ctx.to_string_lossy().to_string();
    let run = || scan(&[&ev], &wh, &["--context", &ctx_s]);
    run();
    assert_eq!(incomplete(&wh).len(), 2);

    // The case-management system calls the receipt 回执单, a word the default does not know;
    // the bureau adds it to its own copy of the words.
    let mut docs = fs::read_to_string(ctx.join("case_documents.csv")).expect("docs");
    docs.push_str("AJ-2026-031,回执单,,整改指令书回执单,2026-03-13,\n");
    fs::write(ctx.join("case_documents.csv"), docs).expect("write");
    run();
    assert_eq!(incomplete(&wh).len(), 2, "an unknown word proves nothing");
    let mut words = fs::read_to_string(project().join("data/evidence_words.csv")).expect("words");
    words.push_str("document,回执单,service_receipt\n");
    fs::write(ctx.join("evidence_words.csv"), words).expect("write");
    // A sidecar's classification names the moment too, ahead of media_notes: the penalty's
    // MOV turns out to hold the interview.
    fs::write(
        ev.join("执法二大队/DSJ-B2-0000077/20260312_235800_0001.MOV.json"),
        r#"{"category": "询问；送达文书", "description": "询问并送达", "described_at": "2026-03-14 09:00:00"}"#,
    )
    .expect("sidecar");
    run();
    assert_eq!(incomplete(&wh), vec![], "both items now have evidence");

    // Its own checklist: the interview required in every inspection.
    let mut list = fs::read_to_string(project().join("data/checklist.csv")).expect("list");
    list = list.replace(
        "av_interview,inspection|penalty|coercion,",
        "av_interview,penalty|coercion,",
    );
    list.push_str(
        "av_interview,inspection,audio_visual,第七条(二)6,询问,interviews in every inspection,,\n",
    );
    fs::write(ctx.join("checklist.csv"), list).expect("write");
    run();
    assert_eq!(
        incomplete(&wh),
        vec![(
            "AJ-2026-031".to_string(),
            "第七条(二)6; 第二十八条(一)".to_string()
        )]
    );
    let runs = rows(&wh.join("runs"));
    let last = runs
        .iter()
        .max_by_key(|r| get(r, "run_id").map(str::to_string))
        .expect("runs");
    let settings = get(last, "settings").expect("settings");
    assert!(
        settings.contains("checklist.csv") && settings.contains("evidence_words.csv"),
        "{settings}"
    );

    // A bad row stops the scan before it reads anything, naming the file and line.
    fs::write(
        ctx.join("checklist.csv"),
        "item,kinds,record,clause,name,gloss,evidence,condition\nx,inspection,video,第七条(二)1,n,g,,\n",
    )
    .expect("write");
    let before = fs::read_link(wh.join("current")).expect("current");
    let out = cmd()
        .arg("scan")
        .arg(&ev)
        .args(["-w", &wh.to_string_lossy(), "-q", "--context", &ctx_s])
        .output()
        .expect("scan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("checklist.csv") && err.contains("line 2") && err.contains("'video'"),
        "{err}"
    );
    assert_eq!(fs::read_link(wh.join("current")).expect("current"), before);
}

#[test]
fn a_document_is_followed_like_footage() {
    let t = tmp();
    let ev = t.path().join("ev");
    copy_tree(&sample_data(), &ev);
    let wh = t.path().join("wh");
    let ctx = sample_context().to_string_lossy().to_string();
    scan(&[&ev], &wh, &["--context", &ctx]);
    let pdf = ev.join("执法一大队/案卷 AJ-2026-031/现场检查记录.pdf");
    let mut bytes = fs::read(&pdf).expect("pdf");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    fs::write(&pdf, bytes).expect("write");
    scan(&[&ev], &wh, &["--context", &ctx]);
    let modified: Vec<_> = rows(&wh.join("custody_events"))
        .into_iter()
        .filter(|e| get(e, "event") == Some("modified"))
        .collect();
    assert_eq!(modified.len(), 1, "{modified:?}");
    assert!(get(&modified[0], "path").is_some_and(|p| p.ends_with("现场检查记录.pdf")));
    assert!(
        rows(&wh.join("findings"))
            .iter()
            .any(|f| get(f, "kind") == Some("modified")
                && get(f, "path").is_some_and(|p| p.ends_with("现场检查记录.pdf")))
    );
}

#[test]
fn a_bad_ingest_or_notes_row_stops_the_scan_naming_file_line_and_column() {
    let t = tmp();
    let ctx = t.path().join("ctx");
    copy_tree(&sample_context(), &ctx);
    let wh = t.path().join("wh");
    let run = || {
        cmd()
            .arg("scan")
            .arg(sample_data())
            .args(["-w", &wh.to_string_lossy(), "-q", "--context"])
            .arg(&ctx)
            .output()
            .expect("scan")
    };
    fs::write(
        ctx.join("ingest_log.csv"),
        "path,uploaded\na.MP4,2026-03-12 10:00:00\nb.MP4,yesterday\n",
    )
    .expect("write");
    let out = run();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ingest_log.csv")
            && err.contains("line 3")
            && err.contains("'uploaded'")
            && err.contains("yesterday"),
        "{err}"
    );
    fs::write(ctx.join("ingest_log.csv"), "path,uploaded\n").expect("write");
    fs::write(
        ctx.join("media_notes.csv"),
        "path,category,description,described_at\n,现场检查,x,2026-03-13 10:00:00\n",
    )
    .expect("write");
    let out = run();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("media_notes.csv") && err.contains("line 2") && err.contains("'path'"),
        "{err}"
    );
    // A table without a path column is refused at the start (its header is checked there).
    fs::write(
        ctx.join("media_notes.csv"),
        "file,category
a.MP4,现场检查
",
    )
    .expect("write");
    let out = run();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("media_notes.csv") && err.contains("missing required column 'path'"),
        "{err}"
    );
    assert!(!wh.join("current").exists(), "nothing committed");
}
