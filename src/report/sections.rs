//! The report's sections after the summary: units and officers, each recorder's days, the
//! cases, and the findings in detail. Laid out like the summary ([`super::page`]), from the
//! rows gathered by [`super::data`].

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde_json::Value;

use super::cells::{article, fmt_num, head_row, local, share};
use super::data::{Model, Options, Row, day_start, int, text};
use super::svg;
use super::text::{Lang, esc, t};

pub(super) fn people(h: &mut String, m: &Model, lang: Lang) {
    let l = |k: &str| esc(&t(lang, k));
    let null = Value::Null;
    let g = |r: &Row, k: &str| fmt_num(r.get(k).unwrap_or(&null));
    let _ = write!(
        h,
        "<h3>{}</h3><table>{}",
        l("trend"),
        head_row(
            lang,
            &[
                "unit",
                "officer",
                "#files",
                "#hours",
                "#findings_n",
                "#per_100h",
                "#prev_per_100h",
                "#change"
            ]
        )
    );
    for r in &m.supervision {
        let ch = r.get("change_per_100h").unwrap_or(&null);
        let cls = match ch.as_f64() {
            Some(v) if v > 0.0 => "up",
            Some(v) if v < 0.0 => "down",
            _ => "",
        };
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n {cls}">{}</td></tr>"#,
            esc(text(r, "unit")),
            esc(text(r, "officer_id")),
            g(r, "files"),
            g(r, "hours"),
            g(r, "findings"),
            g(r, "per_100h"),
            g(r, "prev_per_100h"),
            g(r, "change_per_100h")
        );
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        r#"<h3>{}</h3><p class="muted">score = 100 × (0.4 {} + 0.3 {} + 0.2 {} + 0.1 {})</p><table>{}"#,
        l("evaluation"),
        l("continuity"),
        l("integrity"),
        l("clean"),
        l("metadata"),
        head_row(
            lang,
            &[
                "month",
                "unit",
                "officer",
                "name",
                "#files",
                "#continuity",
                "#integrity",
                "#clean",
                "#metadata",
                "#score"
            ]
        )
    );
    for r in &m.evaluation {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n"><b>{}</b></td></tr>"#,
            esc(text(r, "month")),
            esc(text(r, "unit")),
            esc(text(r, "officer_id")),
            esc(text(r, "name")),
            g(r, "files"),
            g(r, "continuity"),
            g(r, "integrity"),
            g(r, "clean"),
            g(r, "metadata"),
            g(r, "score")
        );
    }
    h.push_str("</table>");
}

/// The local days of the period.
fn period_days(o: &Options) -> Vec<NaiveDate> {
    let mut v = Vec::new();
    let mut d = o.from;
    while d < o.to {
        v.push(d);
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }
    v
}

fn legend(h: &mut String, lang: Lang) {
    let l = |k: &str| esc(&t(lang, k));
    let _ = write!(
        h,
        r#"<p class="legend"><b>{}:</b> <span><i class="sw" style="background:#3b6fb6"></i>{}</span><span><i class="sw" style="background:#c62828"></i>{}</span><span><i class="sw" style="background:#e08e00"></i>{}</span><span>▼ {}</span><span><i class="sw" style="background:#2e7d32;width:3px"></i>{}</span></p>"#,
        l("legend"),
        l("legend_session"),
        l("legend_gap"),
        l("legend_overlap"),
        l("legend_finding"),
        l("legend_photo")
    );
}

pub(super) fn devices(h: &mut String, m: &Model, o: &Options, lang: Lang) {
    let l = |k: &str| esc(&t(lang, k));
    if m.devices.is_empty() {
        let _ = write!(h, r#"<p class="muted">{}</p>"#, l("no_devices"));
        return;
    }
    legend(h, lang);
    let days = period_days(o);
    for d in &m.devices {
        // Only the days this recorder has anything on, when the period is long: a month of
        // empty rows says nothing a reader needs.
        let shown: Vec<NaiveDate> = if days.len() <= 7 {
            days.clone()
        } else {
            days.iter()
                .copied()
                .filter(|day| {
                    let a = day_start(*day, o.tz);
                    let b = day_start(*day + chrono::Duration::days(1), o.tz);
                    d.sessions.iter().any(|s| s.1 >= a && s.0 < b)
                        || d.marks.iter().any(|k| k.0 >= a && k.0 < b)
                        || d.photos.iter().any(|p| *p >= a && *p < b)
                })
                .collect()
        };
        let _ = write!(
            h,
            r#"<div class="dev" id="d-{}"><h3>{} <span class="muted">{}</span></h3>{}</div>"#,
            esc(&d.device),
            esc(&d.device),
            esc(&d.unit),
            svg::device_days(d, &shown, o.tz, lang)
        );
    }
}

pub(super) fn cases(h: &mut String, m: &Model, o: &Options, lang: Lang) {
    let l = |k: &str| esc(&t(lang, k));
    let null = Value::Null;
    if m.cases.is_empty() {
        let _ = write!(h, r#"<p class="muted">{}</p>"#, l("no_cases"));
        return;
    }
    // One row per case (its case_review row and the records it lacks), then each case's
    // recordings on one axis.
    let _ = write!(
        h,
        "<table>{}",
        head_row(
            lang,
            &[
                "case",
                "kind",
                "enterprise",
                "opened",
                "closed",
                "integrity_status",
                "#files",
                "#sessions",
                "#hours",
                "#findings_n",
                "#completeness",
                "missing_items"
            ]
        )
    );
    for r in &m.cases {
        let id = text(r, "case_id");
        let missing: Vec<String> = m
            .missing_items
            .iter()
            .filter(|i| text(i, "case_id") == id)
            .map(|i| {
                format!(
                    r#"<span title="{}">{} {}</span>"#,
                    esc(text(i, "gloss")),
                    esc(text(i, "clause")),
                    esc(text(i, "name"))
                )
            })
            .collect();
        let status = text(r, "integrity");
        let _ = write!(
            h,
            r#"<tr id="c-{}"><td class="nw">{}</td><td class="nw">{}</td><td>{}</td><td class="nw">{}</td><td class="nw">{}</td><td class="{}">{}</td><td class="n" data-case="{}" data-col="files">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td></tr>"#,
            esc(id),
            esc(id),
            l(text(r, "kind")),
            esc(text(r, "enterprise")),
            esc(text(r, "opened")),
            esc(text(r, "closed")),
            if status == "complete" { "" } else { "up" },
            l(status),
            esc(id),
            fmt_num(r.get("files").unwrap_or(&null)),
            fmt_num(r.get("sessions").unwrap_or(&null)),
            r.get("recorded_s")
                .and_then(Value::as_f64)
                .map_or("–".into(), |s| format!("{:.2}", s / 3600.0)),
            fmt_num(r.get("findings").unwrap_or(&null)),
            r.get("completeness").map_or("–".to_string(), share),
            missing.join("<br>")
        );
    }
    h.push_str("</table>");
    let _ = write!(h, "<h3>{}</h3>", l("recordings"));
    for c in &m.case_timelines {
        let _ = write!(
            h,
            r##"<div class="case"><p class="ct"><a href="#c-{}">{}</a></p>{}</div>"##,
            esc(&c.case_id),
            esc(&c.case_id),
            svg::case_recordings(c, o.tz)
        );
    }
}

pub(super) fn findings(h: &mut String, m: &Model, o: &Options, lang: Lang) {
    let l = |k: &str| esc(&t(lang, k));
    if m.findings.is_empty() {
        let _ = write!(h, r#"<p class="muted">{}</p>"#, l("no_findings"));
        return;
    }
    let _ = write!(
        h,
        "<table>{}",
        head_row(lang, &["at", "severity", "article", "message", "file"])
    );
    for r in &m.findings {
        let sev = text(r, "severity");
        let file = text(r, "path");
        let _ = write!(
            h,
            r#"<tr id="f-{}"><td class="n">{}</td><td class="sev-{}">{}<br><span class="gloss">{}</span></td><td>{}</td><td>{}{}</td><td><span class="path">{}</span>{}</td></tr>"#,
            esc(text(r, "finding_id")),
            int(r, "t").map(|s| local(s, o.tz)).unwrap_or_default(),
            esc(sev),
            l(sev),
            esc(text(r, "kind")),
            article(text(r, "article"), text(r, "article_gloss")),
            esc(text(r, "message")),
            match text(r, "case_id") {
                "" => String::new(),
                c => format!(r##" (<a href="#c-{}">{}</a>)"##, esc(c), esc(c)),
            },
            esc(file),
            match text(r, "blake3") {
                "" => String::new(),
                b => format!(r#"<br><span class="path muted">BLAKE3 {}</span>"#, esc(b)),
            }
        );
    }
    h.push_str("</table>");
    let more = m.findings_total - m.findings.len() as i64;
    if more > 0 {
        let _ = write!(h, r#"<p class="muted">{more} {}</p>"#, l("more_findings"));
    }
}
