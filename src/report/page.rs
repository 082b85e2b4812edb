//! The report as one HTML file: the gathered rows ([`super::data::Model`]) laid out in
//! sections, with the styles inline and the charts as inline SVG. No script, no network: it
//! reads the same in a browser, a mail client or on paper (a page break before each section).
//! Every number taken from `period_summary` carries its key (`data-key`, `data-period`,
//! `data-value`) so that a test can hold the rendered page against the query.

use std::fmt::Write as _;

use serde_json::Value;

use super::cells::{article, fmt_num, head_row, share};
use super::data::{Model, Options, Row, Section, text};
use super::text::{Lang, t};
use super::{sections, svg};

pub use super::text::esc;

const STYLE: &str = r#"
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "Helvetica Neue", Arial, sans-serif; font-size: 13px; color: #1f2328; margin: 18px; line-height: 1.45; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; border-bottom: 2px solid #3b6fb6; padding-bottom: 3px; margin: 26px 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
header p { margin: 2px 0; color: #444; }
nav ol { margin: 6px 0; padding-left: 20px; }
section { break-before: page; }
section:first-of-type { break-before: auto; }
table { border-collapse: collapse; margin: 4px 0 10px; }
th, td { border-bottom: 1px solid #d8dee4; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f4f8; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr, .dev, .case, svg { break-inside: avoid; }
.gloss { color: #57606a; font-size: 11px; }
.up { color: #c62828; } .down { color: #2e7d32; }
.sev-high { color: #c62828; font-weight: 600; } .sev-warn { color: #a86a00; font-weight: 600; } .sev-info { color: #616161; }
.legend span { display: inline-block; margin-right: 16px; }
.sw { display: inline-block; width: 14px; height: 9px; margin-right: 4px; vertical-align: middle; }
.muted { color: #6e7781; }
.path { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11px; word-break: break-all; }
svg .se { fill: #3b6fb6; } svg .gp { fill: #c62828; } svg .ov { fill: #e08e00; opacity: .85; }
svg .ph { stroke: #2e7d32; stroke-width: 1.6; } svg .wd { fill: #f3f5f8; } svg .we { fill: #e3e7ed; }
svg .ax, svg .dl { font-size: 10px; fill: #57606a; } svg .cur { fill: #3b6fb6; } svg .prev { fill: #b4c0cc; }
.dev h3 { margin-bottom: 2px; }
.nw { white-space: nowrap; }
.case p.ct { margin: 8px 0 0; font-weight: 600; }
"#;

/// A cell holding one `period_summary` value, marked with its key.
fn cell(key: &str, period: &str, v: &Value, shown: String) -> String {
    let raw = match v {
        Value::Null => String::new(),
        other => other.to_string(),
    };
    format!(
        r#"<td class="n" data-key="{}" data-period="{period}" data-value="{}">{shown}</td>"#,
        esc(key),
        esc(&raw)
    )
}

fn key(r: &Row) -> String {
    format!(
        "{}.{}.{}",
        text(r, "section"),
        text(r, "measure"),
        text(r, "article")
    )
}

/// A `period_summary` row's value for `period`, shown by `shown`, as a keyed cell.
fn value_cell(r: &Row, period: &str, shown: fn(&Value) -> String) -> String {
    let v = r.get(period).cloned().unwrap_or(Value::Null);
    cell(&key(r), period, &v, shown(&v))
}

/// The current and previous values of a `period_summary` row and the change between them.
fn measure_cells(r: &Row, more_is_worse: bool) -> String {
    let null = Value::Null;
    let (c, p) = (
        r.get("current").unwrap_or(&null),
        r.get("previous").unwrap_or(&null),
    );
    format!(
        "{}{}{}",
        value_cell(r, "current", fmt_num),
        value_cell(r, "previous", fmt_num),
        change(c, p, more_is_worse)
    )
}

/// The change against the previous period; coloured (red up, green down) where more is worse.
fn change(cur: &Value, prev: &Value, more_is_worse: bool) -> String {
    match (cur.as_f64(), prev.as_f64()) {
        (Some(c), Some(p)) if (c - p).abs() > 1e-9 => {
            let d = c - p;
            let s = if d.fract() == 0.0 {
                format!("{d:+.0}")
            } else {
                format!("{d:+.2}")
            };
            let class = match (more_is_worse, d > 0.0) {
                (false, _) => "",
                (true, true) => "up",
                (true, false) => "down",
            };
            format!(r#"<td class="n {class}">{s}</td>"#)
        }
        (Some(_), Some(_)) => r#"<td class="n">0</td>"#.into(),
        _ => r#"<td class="n">–</td>"#.into(),
    }
}

pub fn render(m: &Model, o: &Options, lang: Lang, warehouse: &str, generated: &str) -> String {
    let mut h = String::with_capacity(64 << 10);
    let l = |k: &str| esc(&t(lang, k));
    let last_day = o.to.pred_opt().unwrap_or(o.to);
    let days = (o.to - o.from).num_days();
    let prev_from = o.from - chrono::Duration::days(days);
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} {} – {}</title><style>{STYLE}</style></head><body>"#,
        lang.code(),
        l("title"),
        o.from,
        last_day
    );
    let units = if o.units.is_empty() {
        t(lang, "all_units")
    } else {
        o.units.join("、")
    };
    let _ = write!(
        h,
        r#"<header><h1>{}</h1><p>{}: <b id="period" data-from="{}" data-to="{}">{} – {}</b> ({} {} – {})</p><p>{}: {}</p><p>{}: {} · {}: <span class="path">{}</span>{}</p>"#,
        l("title"),
        l("period"),
        o.from,
        o.to,
        o.from,
        last_day,
        l("previous"),
        prev_from,
        o.from.pred_opt().unwrap_or(o.from),
        l("units"),
        esc(&units),
        l("generated"),
        esc(generated),
        l("warehouse"),
        esc(warehouse),
        m.last_run
            .as_ref()
            .map(|r| format!(" · {}: {}", l("last_run"), esc(text(r, "run_id"))))
            .unwrap_or_default()
    );
    h.push_str(&format!("<nav><b>{}</b><ol>", l("contents")));
    for s in &o.sections {
        let _ = write!(h, r##"<li><a href="#{}">{}</a></li>"##, s.id(), l(s.id()));
    }
    h.push_str("</ol></nav></header>");
    for s in &o.sections {
        let _ = write!(h, r#"<section id="{}"><h2>{}</h2>"#, s.id(), l(s.id()));
        match s {
            Section::Summary => summary(&mut h, m, lang),
            Section::People => sections::people(&mut h, m, lang),
            Section::Devices => sections::devices(&mut h, m, o, lang),
            Section::Cases => sections::cases(&mut h, m, o, lang),
            Section::Findings => sections::findings(&mut h, m, o, lang),
        }
        h.push_str("</section>");
    }
    h.push_str("</body></html>\n");
    h
}

fn rows_of<'a>(m: &'a Model, section: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
    m.summary
        .iter()
        .filter(move |r| text(r, "section") == section)
}

fn summary(h: &mut String, m: &Model, lang: Lang) {
    let l = |k: &str| esc(&t(lang, k));
    let null = Value::Null;
    let get = |r: &Row, k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    let head = head_row(lang, &["measure", "#current", "#previous", "#change"]);
    // Footage.
    let _ = write!(h, "<h3>{}</h3><table>{head}", l("footage"));
    for r in rows_of(m, "footage") {
        let _ = write!(
            h,
            "<tr><td>{}</td>{}</tr>",
            l(text(r, "measure")),
            measure_cells(r, false)
        );
    }
    h.push_str("</table>");
    // Findings by article and severity, with bars per article.
    let _ = write!(
        h,
        "<h3>{}</h3><table>{}",
        l("findings_by_article"),
        head_row(
            lang,
            &["article", "severity", "#current", "#previous", "#change"]
        )
    );
    let mut bars: Vec<(String, f64, f64)> = Vec::new();
    for r in rows_of(m, "findings") {
        let (c, p) = (get(r, "current"), get(r, "previous"));
        let sev = text(r, "measure");
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="sev-{}">{}</td>{}</tr>"#,
            article(text(r, "article"), text(r, "article_gloss")),
            esc(sev),
            l(sev),
            measure_cells(r, true)
        );
        let a = text(r, "article").to_string();
        let (cv, pv) = (c.as_f64().unwrap_or(0.0), p.as_f64().unwrap_or(0.0));
        match bars.iter_mut().find(|b| b.0 == a) {
            Some(b) => {
                b.1 += cv;
                b.2 += pv;
            }
            None => bars.push((a, cv, pv)),
        }
    }
    if bars.is_empty() {
        let _ = write!(
            h,
            r#"<tr><td colspan="5" class="muted">{}</td></tr>"#,
            l("none")
        );
    }
    h.push_str("</table>");
    if !bars.is_empty() {
        h.push_str(&svg::paired_bars(&bars, lang));
    }
    // Deadlines: due, late and on-time share for each.
    let _ = write!(
        h,
        "<h3>{}</h3><table>{}",
        l("deadlines"),
        head_row(
            lang,
            &[
                "measure",
                "article",
                "#judged",
                "#late",
                "#on_time_share",
                "#on_time_share_previous"
            ]
        )
    );
    for d in ["upload", "classification", "archive"] {
        let find = |suffix: &str| {
            rows_of(m, "deadlines").find(|r| text(r, "measure") == format!("{d}_{suffix}"))
        };
        let (Some(j), Some(late), Some(sh)) = (find("judged"), find("late"), find("on_time_share"))
        else {
            continue;
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td>{}{}{}{}</tr>",
            l(d),
            esc(text(j, "article")),
            value_cell(j, "current", fmt_num),
            value_cell(late, "current", fmt_num),
            value_cell(sh, "current", share),
            value_cell(sh, "previous", share)
        );
    }
    h.push_str("</table>");
    // Retention and custody.
    let _ = write!(
        h,
        "<h3>{} (第二十一、二十二条)</h3><table>{head}",
        l("retention")
    );
    for r in rows_of(m, "retention") {
        let _ = write!(
            h,
            "<tr><td>{}</td>{}</tr>",
            l(text(r, "measure")),
            measure_cells(r, text(r, "measure") == "deleted_early")
        );
    }
    h.push_str("</table>");
    let _ = write!(h, "<h3>{} (第二十八条(三))</h3><table>{head}", l("custody"));
    let mut any = false;
    for r in rows_of(m, "custody") {
        any = true;
        let worse = matches!(
            text(r, "measure"),
            "modified" | "deleted" | "recycled" | "moved" | "metadata_changed"
        );
        let _ = write!(
            h,
            "<tr><td>{}</td>{}</tr>",
            l(text(r, "measure")),
            measure_cells(r, worse)
        );
    }
    if !any {
        let _ = write!(
            h,
            r#"<tr><td colspan="4" class="muted">{}</td></tr>"#,
            l("none")
        );
    }
    h.push_str("</table>");
    // Equipment (第十五条).
    let _ = write!(
        h,
        "<h3>{} (第十五条)</h3><table>{}",
        l("equipment"),
        head_row(
            lang,
            &["unit", "#devices_n", "#officers_n", "#required_n", "meets"]
        )
    );
    for r in &m.equipment {
        let meets = r.get("meets_standard").and_then(Value::as_bool);
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="{}">{}</td></tr>"#,
            esc(text(r, "unit")),
            fmt_num(r.get("devices").unwrap_or(&null)),
            fmt_num(r.get("officers").unwrap_or(&null)),
            fmt_num(r.get("devices_required").unwrap_or(&null)),
            if meets == Some(false) { "up" } else { "" },
            match meets {
                Some(true) => l("yes"),
                Some(false) => l("no"),
                None => "–".into(),
            }
        );
    }
    h.push_str("</table>");
    // Cases without footage (第二十八条(一)).
    let none: Vec<&Row> = m
        .cases
        .iter()
        .filter(|r| text(r, "integrity") == "no footage")
        .collect();
    let _ = write!(
        h,
        r#"<h3>{} (第二十八条(一))</h3><p data-key="cases.no_footage" data-value="{}">"#,
        l("no_footage_cases"),
        none.len()
    );
    if none.is_empty() {
        h.push_str(&l("none"));
    } else {
        let list: Vec<String> = none
            .iter()
            .map(|r| {
                format!(
                    r##"<a href="#c-{}">{}</a> ({}, {})"##,
                    esc(text(r, "case_id")),
                    esc(text(r, "case_id")),
                    l(text(r, "kind")),
                    esc(text(r, "enterprise"))
                )
            })
            .collect();
        h.push_str(&list.join("; "));
    }
    h.push_str("</p>");
}
