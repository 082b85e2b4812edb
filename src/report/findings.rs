//! Findings for people and scripts: a table grouped by unit, device and session for
//! supervisors, CSV and JSON for tools. Printing only; the rows come from the warehouse.

use std::fmt::Write as _;

use crate::store::tables::FindingRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

fn time(us: Option<i64>, tz: chrono_tz::Tz) -> String {
    us.and_then(chrono::DateTime::from_timestamp_micros)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn render(rows: &[FindingRow], format: Format, tz: chrono_tz::Tz) -> String {
    let mut out = String::new();
    match format {
        Format::Json => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or_default();
                    if let Some(m) = v.as_object_mut() {
                        m.remove("at_us");
                        m.insert(
                            "at".into(),
                            serde_json::Value::String(
                                r.at_us
                                    .and_then(chrono::DateTime::from_timestamp_micros)
                                    .map(|t| t.to_rfc3339())
                                    .unwrap_or_default(),
                            ),
                        );
                        m.insert(
                            "details".into(),
                            serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
                        );
                    }
                    v
                })
                .collect();
            out = serde_json::to_string_pretty(&v).unwrap_or_default();
            out.push('\n');
        }
        Format::Csv => {
            out.push_str("finding_id,severity,kind,rule_id,article,unit,device_id,session_id,officer_id,path,at,offset_s,magnitude_s,message\n");
            for r in rows {
                let fields = [
                    r.finding_id.clone(),
                    r.severity.to_string(),
                    r.kind.to_string(),
                    r.rule_id.to_string(),
                    r.article.to_string(),
                    r.unit.clone().unwrap_or_default(),
                    r.device_id.clone().unwrap_or_default(),
                    r.session_id.clone().unwrap_or_default(),
                    r.officer_id.clone().unwrap_or_default(),
                    r.path.clone().unwrap_or_default(),
                    r.at_us
                        .and_then(chrono::DateTime::from_timestamp_micros)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default(),
                    r.offset_s.map(|x| format!("{x:.3}")).unwrap_or_default(),
                    r.magnitude_s.map(|x| format!("{x:.3}")).unwrap_or_default(),
                    r.message.clone(),
                ];
                out.push_str(
                    &fields
                        .iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push('\n');
            }
        }
        Format::Table => {
            let mut sorted: Vec<&FindingRow> = rows.iter().collect();
            sorted.sort_by(|a, b| {
                (&a.unit, &a.device_id, &a.session_id, a.at_us).cmp(&(
                    &b.unit,
                    &b.device_id,
                    &b.session_id,
                    b.at_us,
                ))
            });
            let (mut unit, mut dev, mut sess) = (None, None, None);
            for r in sorted {
                if unit != Some(&r.unit) {
                    let _ = writeln!(
                        out,
                        "\n单位 unit: {}",
                        r.unit.as_deref().unwrap_or("(unknown)")
                    );
                    unit = Some(&r.unit);
                    dev = None;
                }
                if dev != Some(&r.device_id) {
                    let _ = writeln!(
                        out,
                        "  记录仪 device: {}",
                        r.device_id.as_deref().unwrap_or("(unknown)")
                    );
                    dev = Some(&r.device_id);
                    sess = None;
                }
                if sess != Some(&r.session_id) {
                    let _ = writeln!(
                        out,
                        "    session: {}",
                        r.session_id.as_deref().unwrap_or("(none)")
                    );
                    sess = Some(&r.session_id);
                }
                let _ = writeln!(
                    out,
                    "      [{}] {} {} {}  {}",
                    r.severity.to_uppercase(),
                    r.kind,
                    r.article,
                    r.article_gloss,
                    time(r.at_us, tz)
                );
                let _ = writeln!(out, "        {}", r.message);
            }
            let count = |s: &str| rows.iter().filter(|r| r.severity == s).count();
            let _ = writeln!(
                out,
                "\n{} findings: high {}, warn {}, info {}",
                rows.len(),
                count("high"),
                count("warn"),
                count("info")
            );
        }
    }
    out
}
