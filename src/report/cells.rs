//! The small pieces of HTML the supervisor's page ([`super::page`]) and its sections
//! ([`super::sections`]) both write: numbers, shares, wall-clock times, header rows, articles.

use std::fmt::Write as _;

use chrono::TimeZone;
use serde_json::Value;

use super::text::{Lang, esc, t};

/// A time (seconds since the epoch) as the zone's wall clock.
pub(super) fn local(t_s: i64, tz: chrono_tz::Tz) -> String {
    tz.timestamp_opt(t_s, 0)
        .single()
        .map(|x| x.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A number as a table shows it (whole, or to two places; a dash for none).
pub(super) fn fmt_num(v: &Value) -> String {
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 => format!("{f:.0}"),
            (None, Some(f)) => format!("{f:.2}"),
            _ => n.to_string(),
        },
        Value::Null => "–".into(),
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

/// A fraction as a percentage to one place (a dash for none).
pub(super) fn share(v: &Value) -> String {
    v.as_f64()
        .map_or("–".into(), |f| format!("{:.1}%", f * 100.0))
}

/// A table's header row of labels; a `#` before a key makes the column numeric (right-aligned).
pub(super) fn head_row(lang: Lang, keys: &[&str]) -> String {
    let mut s = String::from("<tr>");
    for k in keys {
        let (class, key) = match k.strip_prefix('#') {
            Some(key) => (r#" class="n""#, key),
            None => ("", *k),
        };
        let _ = write!(s, "<th{class}>{}</th>", esc(&t(lang, key)));
    }
    s.push_str("</tr>");
    s
}

/// An article's number, and its gloss under it where there is one.
pub(super) fn article(a: &str, gloss: &str) -> String {
    if gloss.is_empty() {
        esc(a)
    } else {
        format!(r#"{}<br><span class="gloss">{}</span>"#, esc(a), esc(gloss))
    }
}
