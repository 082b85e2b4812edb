//! What the report shows, gathered through the query engine: the named analyses
//! (`period_summary`, `supervision`, `evaluation`, `equipment_ratio`, `case_review`,
//! `case_completeness`) and plain reads of the warehouse tables for the timelines. Nothing
//! here computes a number of its own: a figure in the report is a value some query returned.

use chrono::{NaiveDate, TimeZone};
use serde_json::Value;

use crate::query::{Engine, QueryError};

pub type Row = serde_json::Map<String, Value>;

/// Which part of the report to build (all of them by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Summary,
    People,
    Devices,
    Cases,
    Findings,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Summary,
        Section::People,
        Section::Devices,
        Section::Cases,
        Section::Findings,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Section::Summary => "summary",
            Section::People => "people",
            Section::Devices => "devices",
            Section::Cases => "cases",
            Section::Findings => "findings_list",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// First day (inclusive) and first day after (exclusive), local dates.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Empty: every unit.
    pub units: Vec<String>,
    pub sections: Vec<Section>,
    pub tz: chrono_tz::Tz,
    /// At most this many findings are listed in detail (the rest are counted).
    pub max_findings: usize,
}

/// One recorder's period: its sessions, its findings with a time, its photos; times in seconds
/// since the Unix epoch.
#[derive(Debug, Clone, Default)]
pub struct DeviceTimeline {
    pub device: String,
    pub unit: String,
    pub sessions: Vec<(i64, i64, String)>,
    /// (at, length in seconds, kind, severity, finding id)
    pub marks: Vec<(i64, f64, String, String, String)>,
    pub photos: Vec<i64>,
}

/// A case's recordings: (device, start, end, path).
#[derive(Debug, Clone, Default)]
pub struct CaseTimeline {
    pub case_id: String,
    pub recordings: Vec<(String, i64, i64, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub summary: Vec<Row>,
    pub supervision: Vec<Row>,
    pub evaluation: Vec<Row>,
    pub equipment: Vec<Row>,
    pub cases: Vec<Row>,
    pub missing_items: Vec<Row>,
    pub devices: Vec<DeviceTimeline>,
    pub case_timelines: Vec<CaseTimeline>,
    pub findings: Vec<Row>,
    pub findings_total: i64,
    pub last_run: Option<Row>,
}

/// The start of local day `d` in `tz`, UTC seconds.
pub fn day_start(d: NaiveDate, tz: chrono_tz::Tz) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map_or(0, |t| t.timestamp())
}

/// A SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `AND <col> IN (...)` for the unit filter, or nothing.
fn unit_filter(o: &Options, col: &str) -> String {
    if o.units.is_empty() {
        return String::new();
    }
    let list: Vec<String> = o.units.iter().map(|u| lit(u)).collect();
    format!(" AND {col} IN ({})", list.join(", "))
}

fn epoch(col: &str) -> String {
    format!("CAST(date_part('epoch', {col}) AS BIGINT)")
}

pub fn int(r: &Row, k: &str) -> Option<i64> {
    r.get(k)
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

pub fn text<'a>(r: &'a Row, k: &str) -> &'a str {
    r.get(k).and_then(Value::as_str).unwrap_or("")
}

pub fn gather(engine: &Engine, o: &Options) -> Result<Model, QueryError> {
    let mut m = Model::default();
    let (from, to) = (o.from.to_string(), o.to.to_string());
    let units = if o.units.is_empty() {
        "%".to_string()
    } else {
        o.units.join("|")
    };
    let wants = |s: Section| o.sections.contains(&s);
    let (start, end) = (day_start(o.from, o.tz), day_start(o.to, o.tz));
    m.last_run = engine
        .json_rows("SELECT run_id, started, files, mode FROM runs ORDER BY started DESC LIMIT 1")?
        .into_iter()
        .next();
    if wants(Section::Summary) {
        m.summary = engine.named_rows(
            "period_summary",
            &[("from", from.clone()), ("to", to.clone()), ("units", units)],
        )?;
        m.equipment = engine.named_rows("equipment_ratio", &[])?;
        if !o.units.is_empty() {
            m.equipment
                .retain(|r| o.units.iter().any(|u| u == text(r, "unit")));
        }
    }
    if wants(Section::Summary) || wants(Section::Cases) {
        m.cases = engine.named_rows("case_review", &[])?;
        // Cases open at some time in the period.
        m.cases.retain(|r| {
            let opened = text(r, "opened");
            let closed = text(r, "closed");
            (opened.is_empty() || opened < to.as_str())
                && (closed.is_empty() || closed >= from.as_str())
        });
        m.missing_items =
            engine.named_rows("case_completeness", &[("status", "missing".to_string())])?;
    }
    if wants(Section::People) {
        m.supervision =
            engine.named_rows("supervision", &[("from", from.clone()), ("to", to.clone())])?;
        m.supervision.retain(|r| {
            text(r, "kind") == "(all)"
                && (o.units.is_empty() || o.units.iter().any(|u| u == text(r, "unit")))
        });
        // The months the period touches.
        let months: Vec<String> = {
            let mut v = Vec::new();
            let mut d = o.from;
            while d < o.to {
                let k = d.format("%Y-%m").to_string();
                if !v.contains(&k) {
                    v.push(k);
                }
                d = d.succ_opt().unwrap_or(o.to);
            }
            v
        };
        m.evaluation = engine.named_rows("evaluation", &[])?;
        m.evaluation.retain(|r| {
            months.iter().any(|mo| mo == text(r, "month"))
                && (o.units.is_empty() || o.units.iter().any(|u| u == text(r, "unit")))
        });
    }
    let in_period = |col: &str| format!("{} >= {start} AND {} < {end}", epoch(col), epoch(col));
    if wants(Section::Devices) {
        let sessions = engine.json_rows(&format!(
            "SELECT device_id, COALESCE(unit, '') AS unit, session_id, {} AS s, {} AS e
             FROM sessions WHERE {} >= {start} AND {} < {end}{}
             ORDER BY device_id, start",
            epoch("start"),
            epoch("\"end\""),
            epoch("\"end\""),
            epoch("start"),
            unit_filter(o, "unit")
        ))?;
        for r in &sessions {
            let dev = text(r, "device_id");
            if m.devices.last().is_none_or(|d| d.device != dev) {
                m.devices.push(DeviceTimeline {
                    device: dev.to_string(),
                    unit: text(r, "unit").to_string(),
                    ..Default::default()
                });
            }
            if let (Some(d), Some(s), Some(e)) = (m.devices.last_mut(), int(r, "s"), int(r, "e")) {
                d.sessions.push((s, e, text(r, "session_id").to_string()));
            }
        }
        let marks = engine.json_rows(&format!(
            "SELECT device_id, finding_id, kind, severity, {} AS t, COALESCE(magnitude_s, 0) AS len
             FROM findings WHERE device_id IS NOT NULL AND at IS NOT NULL AND {}{}
               -- on a recording's timeline, only what happened while recording: deadline and
               -- custody findings are dated by their deadline or by the run that saw them
               AND kind NOT IN ('late_upload', 'late_classification', 'late_archive',
                                'deadline_unknown', 'modified', 'deleted',
                                'deleted_before_retention', 'history_broken', 'incomplete_record')
             ORDER BY device_id, at",
            epoch("at"),
            in_period("at"),
            unit_filter(o, "unit")
        ))?;
        // Marks and photos go on the timeline of a recorder with sessions in the period.
        let index: std::collections::HashMap<String, usize> = m
            .devices
            .iter()
            .enumerate()
            .map(|(k, d)| (d.device.clone(), k))
            .collect();
        let timeline = |r: &Row| index.get(text(r, "device_id")).copied();
        for r in &marks {
            if let (Some(k), Some(t)) = (timeline(r), int(r, "t")) {
                let d = &mut m.devices[k];
                let len = r.get("len").and_then(Value::as_f64).unwrap_or(0.0);
                d.marks.push((
                    t,
                    len,
                    text(r, "kind").to_string(),
                    text(r, "severity").to_string(),
                    text(r, "finding_id").to_string(),
                ));
            }
        }
        let photos = engine.json_rows(&format!(
            "SELECT device_id, {} AS t FROM files
             WHERE media_kind = 'photo' AND device_id IS NOT NULL
               AND COALESCE(name_time, creation_time) IS NOT NULL AND {}{}",
            epoch("COALESCE(name_time, creation_time)"),
            in_period("COALESCE(name_time, creation_time)"),
            unit_filter(o, "unit")
        ))?;
        for r in &photos {
            if let (Some(k), Some(t)) = (timeline(r), int(r, "t")) {
                m.devices[k].photos.push(t);
            }
        }
    }
    if wants(Section::Cases) {
        let ids: Vec<String> = m.cases.iter().map(|r| lit(text(r, "case_id"))).collect();
        if !ids.is_empty() {
            let rows = engine.json_rows(&format!(
                "SELECT case_id, COALESCE(device_id, '') AS device_id, {} AS s,
                        COALESCE(duration_s, 0) AS d, path
                 FROM (SELECT unnest(string_to_array(case_ids, ',')) AS case_id, device_id,
                              name_time, creation_time, duration_s, path
                       FROM files WHERE case_ids IS NOT NULL
                         AND media_kind IN ('video', 'audio', 'photo')) x
                 WHERE case_id IN ({}) AND COALESCE(name_time, creation_time) IS NOT NULL
                 ORDER BY case_id, device_id, s",
                epoch("COALESCE(name_time, creation_time)"),
                ids.join(", ")
            ))?;
            for r in &rows {
                let case = text(r, "case_id");
                if m.case_timelines.last().is_none_or(|c| c.case_id != case) {
                    m.case_timelines.push(CaseTimeline {
                        case_id: case.to_string(),
                        ..Default::default()
                    });
                }
                if let (Some(c), Some(s)) = (m.case_timelines.last_mut(), int(r, "s")) {
                    let d = r.get("d").and_then(Value::as_f64).unwrap_or(0.0);
                    c.recordings.push((
                        text(r, "device_id").to_string(),
                        s,
                        s + d.round() as i64,
                        text(r, "path").to_string(),
                    ));
                }
            }
        }
    }
    if wants(Section::Findings) || wants(Section::Devices) {
        let filter = format!("{}{}", in_period("fi.at"), unit_filter(o, "fi.unit"));
        m.findings_total = engine
            .json_rows(&format!(
                "SELECT count(*) AS n FROM findings fi WHERE fi.at IS NOT NULL AND {filter}"
            ))?
            .first()
            .and_then(|r| int(r, "n"))
            .unwrap_or(0);
        m.findings = engine.json_rows(&format!(
            "SELECT fi.finding_id, fi.kind, fi.severity, fi.article, fi.article_gloss, fi.message,
                    fi.path, fi.device_id, fi.case_id, {} AS t, f.blake3
             FROM findings fi LEFT JOIN files f ON f.path = fi.path
             WHERE fi.at IS NOT NULL AND {filter}
             ORDER BY CASE fi.severity WHEN 'high' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END,
                      fi.at, fi.finding_id
             LIMIT {}",
            epoch("fi.at"),
            o.max_findings
        ))?;
    }
    Ok(m)
}
