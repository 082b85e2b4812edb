//! The report's charts as inline SVG: a recorder's days on 24-hour axes, a case's recordings on
//! one axis, and paired bars (this period beside the previous one). Plain markup, no script:
//! a finding's mark is a link to its details, with a tooltip (`<title>`).

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate, TimeZone};

use super::data::{CaseTimeline, DeviceTimeline, day_start};
use super::text::{Lang, esc, t};

const LABEL_W: f64 = 86.0;
const PLOT_W: f64 = 864.0;
const ROW_H: f64 = 16.0;
const DAY_S: f64 = 86_400.0;

pub const SEVERITY_COLOURS: [(&str, &str); 3] = [
    ("high", "#c62828"),
    ("warn", "#e08e00"),
    ("info", "#757575"),
];

fn severity_colour(s: &str) -> &'static str {
    SEVERITY_COLOURS
        .iter()
        .find(|(k, _)| *k == s)
        .map_or("#757575", |(_, c)| c)
}

fn weekday(d: NaiveDate, lang: Lang) -> String {
    let i = d.weekday().num_days_from_monday() as usize;
    match lang {
        Lang::Zh => format!(
            "{} 周{}",
            d.format("%m-%d"),
            ["一", "二", "三", "四", "五", "六", "日"][i]
        ),
        Lang::En => format!(
            "{} {}",
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
            d.format("%m-%d")
        ),
    }
}

/// The hour axis along the top: a label every 3 hours.
fn hour_axis(out: &mut String, y: f64) {
    for h in (0..=24).step_by(3) {
        let x = LABEL_W + PLOT_W * f64::from(h) / 24.0;
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y:.1}" class="ax" text-anchor="middle">{h:02}</text>"#
        );
    }
}

/// A recorder's days, one row per day of `days`, 24 hours across: sessions as bars, gaps and
/// missing segments (red) and overlaps (orange) over them, other findings as marks coloured by
/// severity, photos as ticks below. Each finding links to `#f-<finding id>`.
pub fn device_days(
    d: &DeviceTimeline,
    days: &[NaiveDate],
    tz: chrono_tz::Tz,
    lang: Lang,
) -> String {
    let top = 16.0;
    let h = top + ROW_H * days.len() as f64 + 4.0;
    let w = LABEL_W + PLOT_W + 8.0;
    let mut s = format!(
        r#"<svg class="tl" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(&d.device)
    );
    hour_axis(&mut s, 11.0);
    let x_of = |t: i64, day0: i64| LABEL_W + PLOT_W * ((t - day0) as f64 / DAY_S).clamp(0.0, 1.0);
    for (k, day) in days.iter().enumerate() {
        let y = top + ROW_H * k as f64;
        let (d0, d1) = (
            day_start(*day, tz),
            day_start(*day + chrono::Duration::days(1), tz),
        );
        let _ = write!(
            s,
            r#"<text x="0" y="{:.1}" class="dl">{}</text><rect x="{LABEL_W}" y="{:.1}" width="{PLOT_W}" height="{:.1}" class="{}"/>"#,
            y + 11.0,
            weekday(*day, lang),
            y + 2.0,
            ROW_H - 4.0,
            if day.weekday().num_days_from_monday() >= 5 {
                "we"
            } else {
                "wd"
            }
        );
        // The day's sessions as one path (a month of a busy recorder is thousands of bars).
        let bars: Vec<(f64, f64)> = d
            .sessions
            .iter()
            .filter(|(a, b, _)| *b >= d0 && *a < d1)
            .map(|(a, b, _)| (x_of(*a, d0), x_of((*b).max(*a), d0)))
            .collect();
        bar_path(&mut s, &bars, y + 4.0, 8.0, "se");
        for (at, len, kind, sev, id) in d.marks.iter().filter(|m| m.0 >= d0 && m.0 < d1) {
            let x0 = x_of(*at, d0);
            let title = format!("{kind} ({sev}) {id}");
            let shape = match kind.as_str() {
                "gap" | "missing_segment" | "overlap" => {
                    let x1 = x_of(*at + len.max(0.0).round() as i64, d0);
                    format!(
                        r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="12" class="{}"/>"#,
                        y + 2.0,
                        (x1 - x0).max(2.0),
                        if kind == "overlap" { "ov" } else { "gp" }
                    )
                }
                _ => format!(
                    r#"<path d="M{x0:.1} {:.1}l-4 -6h8z" fill="{}"/>"#,
                    y + 8.0,
                    severity_colour(sev)
                ),
            };
            let _ = write!(
                s,
                r##"<a href="#f-{}"><title>{}</title>{shape}</a>"##,
                esc(id),
                esc(&title)
            );
        }
        for p in d.photos.iter().filter(|p| **p >= d0 && **p < d1) {
            let x = x_of(*p, d0);
            let _ = write!(
                s,
                r#"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" class="ph"/>"#,
                y + 11.0,
                y + 15.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A case's recordings, one row per recorder, on one axis from the first to the last.
pub fn case_recordings(c: &CaseTimeline, tz: chrono_tz::Tz) -> String {
    let Some(first) = c.recordings.iter().map(|r| r.1).min() else {
        return String::new();
    };
    let last = c
        .recordings
        .iter()
        .map(|r| r.2.max(r.1))
        .max()
        .unwrap_or(first);
    let span = ((last - first) as f64).max(60.0);
    let (lo, hi) = (first as f64 - span * 0.03, last as f64 + span * 0.03);
    let mut devices: Vec<&str> = c.recordings.iter().map(|r| r.0.as_str()).collect();
    devices.dedup();
    let top = 18.0;
    let h = top + ROW_H * devices.len() as f64 + 4.0;
    let w = LABEL_W + PLOT_W + 8.0;
    let label_w = 130.0;
    let plot_w = w - label_w - 8.0;
    let x_of = |t: f64| label_w + plot_w * ((t - lo) / (hi - lo)).clamp(0.0, 1.0);
    let local = |t: i64, f: &str| {
        tz.timestamp_opt(t, 0)
            .single()
            .map(|x| x.format(f).to_string())
            .unwrap_or_default()
    };
    let mut s = format!(
        r#"<svg class="tl" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(&c.case_id)
    );
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="11" class="ax">{}</text><text x="{:.1}" y="11" class="ax" text-anchor="end">{}</text>"#,
        x_of(first as f64),
        local(first, "%Y-%m-%d %H:%M"),
        x_of(last as f64),
        local(last, "%m-%d %H:%M")
    );
    for (k, dev) in devices.iter().enumerate() {
        let y = top + ROW_H * k as f64;
        let _ = write!(
            s,
            r#"<text x="0" y="{:.1}" class="dl">{}</text><rect x="{label_w}" y="{:.1}" width="{plot_w:.1}" height="{:.1}" class="wd"/>"#,
            y + 11.0,
            esc(if dev.is_empty() { "?" } else { dev }),
            y + 2.0,
            ROW_H - 4.0
        );
        let mine: Vec<&(String, i64, i64, String)> =
            c.recordings.iter().filter(|r| r.0 == *dev).collect();
        let bars: Vec<(f64, f64)> = mine
            .iter()
            .map(|r| (x_of(r.1 as f64), x_of(r.2 as f64)))
            .collect();
        let _ = write!(
            s,
            "<g><title>{dev}: {} · {} – {}</title>",
            mine.len(),
            mine.first()
                .map_or(String::new(), |r| local(r.1, "%m-%d %H:%M")),
            mine.last()
                .map_or(String::new(), |r| local(r.2, "%m-%d %H:%M")),
            dev = esc(dev)
        );
        bar_path(&mut s, &bars, y + 4.0, 8.0, "se");
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// Bars from `x0` to `x1` (at least a pixel wide), `h` high at `y`, as one path.
fn bar_path(s: &mut String, bars: &[(f64, f64)], y: f64, h: f64, class: &str) {
    if bars.is_empty() {
        return;
    }
    let _ = write!(s, r#"<path class="{class}" d=""#);
    for (x0, x1) in bars {
        let w = (x1 - x0).max(1.0);
        let _ = write!(s, "M{x0:.1} {y:.0}h{w:.1}v{h:.0}h-{w:.1}z");
    }
    s.push_str(r#""/>"#);
}

/// Bars of this period beside the previous one, one pair per row: (label, current, previous).
pub fn paired_bars(rows: &[(String, f64, f64)], lang: Lang) -> String {
    let max = rows
        .iter()
        .map(|r| r.1.max(r.2))
        .fold(0.0f64, f64::max)
        .max(1.0);
    let label_w = 330.0;
    let plot_w = 420.0;
    let row = 26.0;
    let h = 22.0 + row * rows.len() as f64;
    let w = label_w + plot_w + 60.0;
    let mut s =
        format!(r#"<svg class="bars" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">"#);
    let _ = write!(
        s,
        r#"<rect x="{label_w}" y="4" width="10" height="8" class="cur"/><text x="{:.1}" y="12" class="ax">{}</text><rect x="{:.1}" y="4" width="10" height="8" class="prev"/><text x="{:.1}" y="12" class="ax">{}</text>"#,
        label_w + 14.0,
        esc(&t(lang, "current")),
        label_w + 120.0,
        label_w + 134.0,
        esc(&t(lang, "previous"))
    );
    for (k, (label, cur, prev)) in rows.iter().enumerate() {
        let y = 22.0 + row * k as f64;
        let wc = plot_w * cur / max;
        let wp = plot_w * prev / max;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" class="dl" text-anchor="end">{}</text><rect x="{label_w}" y="{y:.1}" width="{wc:.1}" height="10" class="cur"/><text x="{:.1}" y="{:.1}" class="ax">{}</text><rect x="{label_w}" y="{:.1}" width="{wp:.1}" height="8" class="prev"/><text x="{:.1}" y="{:.1}" class="ax">{}</text>"#,
            label_w - 6.0,
            y + 12.0,
            esc(label),
            label_w + wc + 4.0,
            y + 9.0,
            num(*cur),
            y + 11.0,
            label_w + wp + 4.0,
            y + 19.0,
            num(*prev)
        );
    }
    s.push_str("</svg>");
    s
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
