//! Context tables the bureau maintains beside the footage: devices, officers, cases, which
//! recordings belong to which case, and the working-day calendar. Loaded from a folder of CSV
//! (checked row by row: a malformed value is an error naming file, line and column) or Parquet
//! files, into Arrow batches for the query layer. A table whose file is absent is empty.
//!
//! (Over 600 lines because each table's column specification sits beside the loader that
//! checks it and the typed form the rules read, including the streamed loaders of the two
//! path-keyed tables; splitting them would put a table's three views in three files.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime};

use crate::calendar::{Calendar, CalendarError};
use crate::pathinfo::local_to_utc;
use crate::pathtable::PathTable;

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("{path}: line {line}, column '{column}': {message}")]
    Value {
        path: PathBuf,
        line: u64,
        column: String,
        message: String,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Checklist(#[from] crate::checklist::ChecklistError),
    #[error("reading the context table {0} failed unexpectedly (a bug: please report it)")]
    Panicked(&'static str),
}

#[derive(Clone, Copy)]
enum Ty {
    /// Text; `true` when a value is required.
    Str(bool),
    Bool,
    Date,
    /// Local time of the configured zone (`YYYY-MM-DD hh:mm:ss`) or RFC 3339 with an offset.
    Time,
    Choice(&'static [&'static str]),
}

struct TableSpec {
    name: &'static str,
    columns: &'static [(&'static str, Ty)],
}

/// What a device is (`devices.kind`): a recorder an officer carries (`recorder`, the default
/// when the column is empty: 第五条's main device, counted by 第十五条's one to every two
/// officers), or a fixed camera of a video-surveillance system (`cctv`: the permit hall's of
/// 第十五条's second paragraph), whose exports are footage like any other but no officer's
/// recording at a site (第十二条(五)) nor brought back from one (第十六条).
const DEVICE_KINDS: &[&str] = &["recorder", "cctv"];

const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "devices",
        columns: &[
            ("device_id", Ty::Str(true)),
            ("unit", Ty::Str(false)),
            ("model", Ty::Str(false)),
            ("explosion_proof", Ty::Bool),
            ("commissioned", Ty::Date),
            ("retired", Ty::Date),
            ("kind", Ty::Choice(DEVICE_KINDS)),
        ],
    },
    TableSpec {
        name: "officers",
        columns: &[
            ("officer_id", Ty::Str(true)),
            ("name", Ty::Str(false)),
            ("unit", Ty::Str(false)),
            ("active", Ty::Bool),
        ],
    },
    TableSpec {
        name: "cases",
        columns: &[
            ("case_id", Ty::Str(true)),
            (
                "kind",
                Ty::Choice(&["permit", "inspection", "penalty", "coercion"]),
            ),
            ("enterprise", Ty::Str(false)),
            ("credit_code", Ty::Str(false)),
            ("industry", Ty::Str(false)),
            ("opened", Ty::Date),
            ("closed", Ty::Date),
            ("site", Ty::Str(false)),
            ("hazardous_site", Ty::Bool),
            ("long_term_reason", Ty::Str(false)),
            ("confidential", Ty::Bool),
            ("special_circumstances", Ty::Bool),
            ("archived", Ty::Date),
        ],
    },
    TableSpec {
        name: "case_media",
        columns: &[
            ("case_id", Ty::Str(true)),
            ("device_id", Ty::Str(true)),
            ("from", Ty::Time),
            ("to", Ty::Time),
        ],
    },
    TableSpec {
        name: "ingest_log",
        columns: &[("path", Ty::Str(true)), ("uploaded", Ty::Time)],
    },
    TableSpec {
        name: "media_notes",
        columns: &[
            ("path", Ty::Str(true)),
            ("category", Ty::Str(false)),
            ("description", Ty::Str(false)),
            ("described_at", Ty::Time),
        ],
    },
    TableSpec {
        name: "case_documents",
        columns: &[
            ("case_id", Ty::Str(true)),
            ("document_type", Ty::Str(true)),
            ("number", Ty::Str(false)),
            ("title", Ty::Str(false)),
            ("date", Ty::Date),
            ("path", Ty::Str(false)),
        ],
    },
    TableSpec {
        name: "case_events",
        columns: &[
            ("case_id", Ty::Str(true)),
            ("event", Ty::Str(true)),
            ("date", Ty::Date),
            ("note", Ty::Str(false)),
        ],
    },
];

fn field(name: &str, t: Ty) -> Field {
    let dt = match t {
        Ty::Str(_) | Ty::Choice(_) => DataType::Utf8,
        Ty::Bool => DataType::Boolean,
        Ty::Date => DataType::Date32,
        Ty::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    };
    Field::new(name, dt, !matches!(t, Ty::Str(true)))
}

fn schema(spec: &TableSpec) -> SchemaRef {
    Arc::new(Schema::new(
        spec.columns
            .iter()
            .map(|(n, t)| field(n, *t))
            .collect::<Vec<_>>(),
    ))
}

/// A loaded context table: from CSV (as batches) or a Parquet file to register directly.
pub enum Loaded {
    Batch(RecordBatch),
    Parquet(PathBuf),
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "是" => Some(true),
        "false" | "no" | "n" | "0" | "否" => Some(false),
        _ => None,
    }
}

fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

pub fn parse_time(s: &str, tz: chrono_tz::Tz) -> Option<i64> {
    // The common `YYYY-MM-DD hh:mm:ss` without chrono's format interpreter (ingest logs run to
    // millions of lines).
    let b = s.as_bytes();
    if b.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
    {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        if let Some(n) = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
            .and_then(|d| d.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?))
        {
            return local_to_utc(n, tz).map(|s| s * 1_000_000);
        }
        return None;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    local_to_utc(n, tz).map(|s| s * 1_000_000)
}

/// One column's values as they are parsed.
enum Column {
    Str(StringBuilder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Time(TimestampMicrosecondBuilder),
}

impl Column {
    fn new(t: Ty) -> Column {
        match t {
            Ty::Str(_) | Ty::Choice(_) => Column::Str(StringBuilder::new()),
            Ty::Bool => Column::Bool(BooleanBuilder::new()),
            Ty::Date => Column::Date(Date32Builder::new()),
            Ty::Time => Column::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
        }
    }

    /// Checks and appends one value; `Err` is the reason it is malformed.
    fn push(&mut self, t: Ty, v: Option<&str>, tz: chrono_tz::Tz) -> Result<(), String> {
        match (self, v) {
            (Column::Str(b), Some(s)) => {
                if let Ty::Choice(c) = t
                    && !c.contains(&s)
                {
                    return Err(format!("'{s}' is not one of {}", c.join(", ")));
                }
                b.append_value(s);
            }
            (Column::Str(_), None) if matches!(t, Ty::Str(true)) => {
                return Err("a value is required".into());
            }
            (Column::Str(b), None) => b.append_null(),
            (Column::Bool(b), Some(s)) => {
                b.append_value(parse_bool(s).ok_or_else(|| format!("'{s}' is not true/false"))?)
            }
            (Column::Bool(b), None) => b.append_null(),
            (Column::Date(b), Some(s)) => {
                let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| format!("'{s}' is not a date (YYYY-MM-DD)"))?;
                b.append_value(days_since_epoch(d));
            }
            (Column::Date(b), None) => b.append_null(),
            (Column::Time(b), Some(s)) => {
                b.append_value(parse_time(s, tz).ok_or_else(|| not_a_time(s))?)
            }
            (Column::Time(b), None) => b.append_null(),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Str(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Time(b) => Arc::new(b.finish()),
        }
    }
}

fn load_csv(spec: &TableSpec, path: &Path, tz: chrono_tz::Tz) -> Result<RecordBatch, ContextError> {
    let file = std::fs::File::open(path).map_err(|e| ContextError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    read_csv(spec, std::io::BufReader::new(file), path, tz)
}

/// Parses the CSV text of context table `table` as if read from `path` (which only names it
/// in errors). For fuzzing and tests: the scan and queries load context tables from files.
pub fn parse_csv(
    table: &str,
    text: &[u8],
    path: &Path,
    tz: chrono_tz::Tz,
) -> Result<RecordBatch, ContextError> {
    let spec = TABLES
        .iter()
        .find(|t| t.name == table)
        .ok_or_else(|| ContextError::File {
            path: path.to_path_buf(),
            message: format!("no context table is called '{table}'"),
        })?;
    read_csv(spec, text, path, tz)
}

fn read_csv(
    spec: &TableSpec,
    input: impl std::io::Read,
    path: &Path,
    tz: chrono_tz::Tz,
) -> Result<RecordBatch, ContextError> {
    let ferr = |message: String| ContextError::File {
        path: path.to_path_buf(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = rdr.headers().map_err(|e| ferr(e.to_string()))?.clone();
    let index: Vec<Option<usize>> = spec
        .columns
        .iter()
        .map(|(name, _)| column_index(&headers, name))
        .collect();
    if let Some((name, _)) = spec
        .columns
        .iter()
        .zip(&index)
        .find(|(c, i)| i.is_none() && matches!(c.1, Ty::Str(true)))
        .map(|(c, _)| c)
    {
        return Err(ferr(format!(
            "missing required column '{name}' (header has: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut cols: Vec<Column> = spec.columns.iter().map(|(_, t)| Column::new(*t)).collect();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ferr(e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        for (k, (name, t)) in spec.columns.iter().enumerate() {
            let v = index[k].and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
            cols[k]
                .push(*t, v, tz)
                .map_err(|message| ContextError::Value {
                    path: path.to_path_buf(),
                    line,
                    column: name.to_string(),
                    message,
                })?;
        }
    }
    let arrays: Vec<ArrayRef> = cols.iter_mut().map(Column::finish).collect();
    RecordBatch::try_new(schema(spec), arrays).map_err(|e| ferr(e.to_string()))
}

fn calendar_batch(cal: &Calendar) -> RecordBatch {
    let days = cal.days();
    let mut d = Date32Builder::new();
    let mut w = BooleanBuilder::new();
    let mut n = StringBuilder::new();
    for (date, work, note) in days {
        d.append_value(days_since_epoch(date));
        w.append_value(work);
        if note.is_empty() {
            n.append_null()
        } else {
            n.append_value(note)
        }
    }
    let schema = Schema::new(vec![
        Field::new("date", DataType::Date32, false),
        Field::new("is_workday", DataType::Boolean, false),
        Field::new("note", DataType::Utf8, true),
    ]);
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(d.finish()),
        Arc::new(w.finish()),
        Arc::new(n.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), arrays)
        .unwrap_or_else(|_| RecordBatch::new_empty(Arc::new(Schema::empty())))
}

/// The checklist in force, one row per item and case kind, for queries.
fn checklist_batch(c: &crate::checklist::Checklist) -> RecordBatch {
    let names = [
        "item",
        "kind",
        "record",
        "clause",
        "name",
        "gloss",
        "requirement",
        "evidence",
        "condition",
    ];
    let mut cols: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
    for i in &c.items {
        for k in &i.kinds {
            let cond: Vec<String> = i.condition.iter().map(|c| c.text()).collect();
            let values = [
                i.id.as_str(),
                k,
                i.record.name(),
                &i.clause,
                &i.name,
                &i.gloss,
                if i.required() {
                    "required"
                } else {
                    "conditional"
                },
                &i.evidence.join("|"),
                &cond.join("|"),
            ];
            for (b, v) in cols.iter_mut().zip(values) {
                b.append_value(v);
            }
        }
    }
    let schema = Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    );
    let arrays: Vec<ArrayRef> = cols
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    RecordBatch::try_new(Arc::new(schema), arrays)
        .unwrap_or_else(|_| RecordBatch::new_empty(Arc::new(Schema::empty())))
}

/// The working-day calendar: the built-in one plus any `calendar*.csv` (recaudit's format) or
/// `holiday-cn/*.json` / `*.json` (public format) files in the context folder.
pub fn load_calendar(dir: Option<&Path>) -> Result<Calendar, ContextError> {
    let mut cal = Calendar::built_in();
    if let Some(dir) = dir {
        let mut files = Vec::new();
        for sub in [dir.to_path_buf(), dir.join("holiday-cn")] {
            if let Ok(rd) = std::fs::read_dir(&sub) {
                for e in rd.flatten() {
                    let p = e.path();
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    if (name.starts_with("calendar") && name.ends_with(".csv"))
                        || (sub != dir && name.ends_with(".json"))
                    {
                        files.push(p);
                    }
                }
            }
        }
        files.sort();
        for f in files {
            cal.load_file(&f)?;
        }
    }
    Ok(cal)
}

/// One context table from `dir`: its CSV checked into a batch, its Parquet file, or empty.
fn load_one(
    spec: &TableSpec,
    dir: Option<&Path>,
    tz: chrono_tz::Tz,
) -> Result<Loaded, ContextError> {
    let csv = dir.map(|d| d.join(format!("{}.csv", spec.name)));
    let pq = dir.map(|d| d.join(format!("{}.parquet", spec.name)));
    Ok(match (csv, pq) {
        (Some(c), _) if c.is_file() => Loaded::Batch(load_csv(spec, &c, tz)?),
        (_, Some(p)) if p.is_file() => Loaded::Parquet(p),
        _ => Loaded::Batch(RecordBatch::new_empty(schema(spec))),
    })
}

/// Loads every context table from `dir` (absent files give empty tables).
pub fn load(
    dir: Option<&Path>,
    tz: chrono_tz::Tz,
) -> Result<Vec<(&'static str, Loaded)>, ContextError> {
    let mut out = Vec::new();
    for spec in TABLES {
        out.push((spec.name, load_one(spec, dir, tz)?));
    }
    out.push((
        "calendar",
        Loaded::Batch(calendar_batch(&load_calendar(dir)?)),
    ));
    out.push((
        "checklist",
        Loaded::Batch(checklist_batch(&crate::checklist::Checklist::load(dir)?)),
    ));
    Ok(out)
}

/// A case as the scan's rules need it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Case {
    pub case_id: String,
    pub kind: Option<String>,
    pub closed: Option<NaiveDate>,
    pub archived: Option<NaiveDate>,
    pub long_term_reason: Option<String>,
    pub confidential: bool,
    pub special_circumstances: bool,
}

/// Which recordings belong to a case: a device's footage between two instants (either may be
/// open).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseMedia {
    pub case_id: String,
    pub device_id: String,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

/// A classification and description kept in the `media_notes` table instead of a sidecar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Note {
    pub described_at_us: Option<i64>,
    pub has_text: bool,
    /// The classification (shared by many files, so kept once each).
    pub category: Option<crate::catalog::Sym>,
}

/// A written record of a case, from the case-management system (`case_documents`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseDocument {
    pub case_id: String,
    pub document_type: String,
    pub number: Option<String>,
    pub title: Option<String>,
    pub date: Option<NaiveDate>,
    /// A file of the evidence tree (absolute after [`Typed::anchor`]) or another reference.
    pub path: Option<String>,
}

/// The context tables in typed form, for the scan's rules (which never read files
/// themselves).
#[derive(Debug, Clone)]
pub struct Typed {
    pub cases: Vec<Case>,
    pub case_media: Vec<CaseMedia>,
    /// Upload times by path (absolute, or relative to a scanned root); the earliest counts.
    pub ingest: PathTable<i64>,
    /// Classifications by path; the last row of a path counts.
    pub notes: PathTable<Note>,
    pub calendar: Calendar,
    pub documents: Vec<CaseDocument>,
    /// (case id, event), events lower-cased: what happened in a case (`case_events`).
    pub events: std::collections::HashSet<(String, String)>,
    pub checklist: crate::checklist::Checklist,
    /// The scan roots, without trailing `/` (set by [`Typed::anchor`]).
    pub roots: Vec<String>,
    /// Where each moved record lay before, by the path it moved to (the custody history's
    /// events that name an earlier path, [`crate::store::tables::names_an_earlier_path`]; set by a
    /// province's analysis): the path tables' lines under an earlier path name it too, as
    /// the scan's join finds them ([`crate::pathjoin::FileIndex::alias_moves`]).
    pub moves: std::collections::HashMap<Box<str>, Box<str>>,
    /// The devices the registry calls fixed cameras (`devices.kind` `cctv`).
    pub fixed_cameras: std::collections::HashSet<String>,
}

impl Default for Typed {
    fn default() -> Self {
        Typed {
            cases: Vec::new(),
            case_media: Vec::new(),
            ingest: PathTable::default(),
            notes: PathTable::default(),
            calendar: Calendar::built_in(),
            documents: Vec::new(),
            events: Default::default(),
            checklist: crate::checklist::Checklist::built_in(),
            roots: Vec::new(),
            moves: Default::default(),
            fixed_cameras: Default::default(),
        }
    }
}

impl Typed {
    /// Records the scan roots: a relative path of `ingest_log`, `media_notes` or
    /// `case_documents` names a file below whichever root holds it.
    pub fn anchor(&mut self, roots: &[String]) {
        self.roots = roots
            .iter()
            .map(|r| r.trim_end_matches('/').to_string())
            .collect();
    }

    /// Loads the path-keyed tables (`ingest_log`, `media_notes`) from `dir`, replacing any
    /// held: a CSV file streamed row by row (one reused record, each value checked as
    /// [`load_csv`] checks it), a Parquet file batch by batch; each path hashed where it lies.
    pub fn load_paths(
        &mut self,
        dir: Option<&Path>,
        tz: chrono_tz::Tz,
        prefixes: &[String],
    ) -> Result<(), ContextError> {
        self.drop_paths();
        let mut rows = PathRows {
            out: self,
            categories: crate::catalog::Interner::default(),
            last: None,
        };
        read_path_tables(dir, tz, &mut Rebase::new(prefixes, &mut rows))?;
        self.ingest.finish();
        self.notes.finish();
        Ok(())
    }

    /// Forgets the path-keyed tables (they are loaded again by [`Typed::load_paths`]).
    fn drop_paths(&mut self) {
        self.ingest = PathTable::default();
        self.notes = PathTable::default();
    }

    /// `path`, then the paths its record lay at before ([`Typed::moves`]), at most
    /// [`crate::pathjoin::MOVES_MAX`] (as the scan's join follows them).
    fn laid_at<'s>(&'s self, path: &'s str) -> impl Iterator<Item = &'s str> + 's {
        let mut at = Some(path);
        std::iter::from_fn(move || {
            let now = at?;
            at = self.moves.get(now).map(|p| &**p).filter(|&p| p != path);
            Some(now)
        })
        .take(1 + crate::pathjoin::MOVES_MAX)
    }

    /// The earliest logged upload of the file at absolute path `path` (or where its record
    /// lay before).
    pub fn upload_of(&self, path: &str) -> Option<i64> {
        self.laid_at(path)
            .flat_map(|p| self.ingest.find(p, &self.roots))
            .map(|(_, t)| *t)
            .min()
    }

    /// The classification of the file at `path` in `media_notes` (the table's last row for it).
    pub fn note_of(&self, path: &str) -> Option<&Note> {
        self.laid_at(path)
            .flat_map(|p| self.notes.find(p, &self.roots))
            .max_by_key(|(row, _)| *row)
            .map(|(_, n)| n)
    }

    /// `path` below the scan root that holds it (the whole path when none does).
    pub fn relative<'p>(&self, path: &'p str) -> &'p str {
        self.roots
            .iter()
            .filter_map(|r| path.strip_prefix(r.as_str())?.strip_prefix('/'))
            .min_by_key(|rel| rel.len())
            .unwrap_or(path)
    }
}

/// What the path-keyed tables say of a file of the catalogue, however they are held: by path
/// ([`Typed`]) or joined to the scan's rows beforehand ([`crate::pathjoin::PartPaths`]).
pub trait PathFacts: Sync {
    /// The earliest logged upload of `f`.
    fn upload_of(&self, f: &crate::catalog::FileFacts) -> Option<i64>;
    /// The last `media_notes` row naming `f`.
    fn note_of(&self, f: &crate::catalog::FileFacts) -> Option<Note>;
}

impl PathFacts for Typed {
    fn upload_of(&self, f: &crate::catalog::FileFacts) -> Option<i64> {
        Typed::upload_of(self, &f.path)
    }
    fn note_of(&self, f: &crate::catalog::FileFacts) -> Option<Note> {
        Typed::note_of(self, &f.path).cloned()
    }
}

/// One context table's rows as batches, every column cast to its documented type (a
/// Parquet file may store a date as text, say). Absent optional columns become nulls.
fn typed_batches(
    spec: &TableSpec,
    loaded: &Loaded,
    dir: &Path,
) -> Result<Vec<RecordBatch>, ContextError> {
    let raw = match loaded {
        Loaded::Batch(b) => return Ok(vec![b.clone()]),
        Loaded::Parquet(p) => crate::store::read_parquet(p).map_err(|e| ContextError::File {
            path: p.clone(),
            message: e.to_string(),
        })?,
    };
    let path = dir.join(format!("{}.parquet", spec.name));
    let want = schema(spec);
    raw.iter()
        .map(|b| {
            let cols = want
                .fields()
                .iter()
                .map(|f| match b.column_by_name(f.name()) {
                    Some(a) => arrow_cast::cast(a, f.data_type()).map_err(|e| ContextError::File {
                        path: path.clone(),
                        message: format!("column '{}': {e}", f.name()),
                    }),
                    None if f.is_nullable() => {
                        Ok(arrow_array::new_null_array(f.data_type(), b.num_rows()))
                    }
                    None => Err(ContextError::File {
                        path: path.clone(),
                        message: format!("missing required column '{}'", f.name()),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?;
            RecordBatch::try_new(want.clone(), cols).map_err(|e| ContextError::File {
                path: path.clone(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// Loads the context tables the scan needs from `dir` (absent files give empty tables).
/// `prefixes`: [`crate::config::RuleSettings::ingest_path_prefixes`].
pub fn load_typed(
    dir: Option<&Path>,
    tz: chrono_tz::Tz,
    prefixes: &[String],
) -> Result<Typed, ContextError> {
    let mut out = load_typed_but_paths(dir, tz)?;
    out.load_paths(dir, tz, prefixes)?;
    Ok(out)
}

/// The two tables keyed by a file's path, which grow with the footage (a line per file).
const PATH_TABLES: [&str; 2] = ["ingest_log", "media_notes"];

/// [`load_typed`] without the two path-keyed tables (`ingest_log`, `media_notes`: some 140
/// bytes a file between them, held): a scan joins those to its rows instead
/// ([`crate::pathjoin`]), never holding them. Their CSV headers are checked here
/// ([`check_path_headers`]), so that a table without a `path` column stops the run before
/// anything is read.
pub fn load_typed_but_paths(dir: Option<&Path>, tz: chrono_tz::Tz) -> Result<Typed, ContextError> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, TimestampMicrosecondType};
    let mut out = Typed::default();
    let Some(dir) = dir else { return Ok(out) };
    out.calendar = load_calendar(Some(dir))?;
    out.checklist = crate::checklist::Checklist::load(Some(dir))?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    check_path_headers(dir)?;
    for spec in TABLES {
        let name = spec.name;
        if PATH_TABLES.contains(&name) {
            continue;
        }
        let loaded = load_one(spec, Some(dir), tz)?;
        for b in typed_batches(spec, &loaded, dir)? {
            let col = |n: &str| b.column_by_name(n);
            let text = |n: &str, i: usize| {
                col(n)
                    .and_then(|c| c.as_string_opt::<i32>())
                    .filter(|a| a.is_valid(i))
                    .map(|a| a.value(i).to_string())
            };
            let flag = |n: &str, i: usize| {
                col(n)
                    .and_then(|c| c.as_boolean_opt())
                    .is_some_and(|a| a.is_valid(i) && a.value(i))
            };
            let date = |n: &str, i: usize| {
                col(n)
                    .and_then(|c| c.as_primitive_opt::<Date32Type>())
                    .filter(|a| a.is_valid(i))
                    .and_then(|a| {
                        epoch.checked_add_signed(chrono::Duration::days(i64::from(a.value(i))))
                    })
            };
            let time = |n: &str, i: usize| {
                col(n)
                    .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
                    .filter(|a| a.is_valid(i))
                    .map(|a| a.value(i))
            };
            for i in 0..b.num_rows() {
                match name {
                    "cases" => out.cases.push(Case {
                        case_id: text("case_id", i).unwrap_or_default(),
                        kind: text("kind", i),
                        closed: date("closed", i),
                        archived: date("archived", i),
                        long_term_reason: text("long_term_reason", i),
                        confidential: flag("confidential", i),
                        special_circumstances: flag("special_circumstances", i),
                    }),
                    "case_media" => out.case_media.push(CaseMedia {
                        case_id: text("case_id", i).unwrap_or_default(),
                        device_id: text("device_id", i).unwrap_or_default(),
                        from_us: time("from", i),
                        to_us: time("to", i),
                    }),
                    "case_documents" => out.documents.push(CaseDocument {
                        case_id: text("case_id", i).unwrap_or_default(),
                        document_type: text("document_type", i).unwrap_or_default(),
                        number: text("number", i),
                        title: text("title", i),
                        date: date("date", i),
                        path: text("path", i),
                    }),
                    "devices" => {
                        if let Some(d) = text("device_id", i)
                            && text("kind", i).as_deref() == Some("cctv")
                        {
                            out.fixed_cameras.insert(d);
                        }
                    }
                    "case_events" => {
                        if let (Some(c), Some(e)) = (text("case_id", i), text("event", i)) {
                            out.events.insert((c, e.trim().to_lowercase()));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(out)
}

/// Each path-keyed table's CSV header names a `path` column (its rows are checked as they are
/// loaded, by [`Typed::load_paths`]).
fn check_path_headers(dir: &Path) -> Result<(), ContextError> {
    for name in PATH_TABLES {
        let csv = dir.join(format!("{name}.csv"));
        if !csv.is_file() {
            continue;
        }
        let ferr = |message: String| ContextError::File {
            path: csv.clone(),
            message,
        };
        let file = std::fs::File::open(&csv).map_err(|e| ferr(e.to_string()))?;
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(file);
        let headers = rdr.headers().map_err(|e| ferr(e.to_string()))?;
        if column_index(headers, "path").is_none() {
            return Err(ferr(missing_path(headers)));
        }
    }
    Ok(())
}

fn missing_path(headers: &csv::StringRecord) -> String {
    format!(
        "missing required column 'path' (header has: {})",
        headers.iter().collect::<Vec<_>>().join(", ")
    )
}

/// Where column `name` is in a CSV header (a byte-order mark before the first name ignored).
pub(crate) fn column_index(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == name)
}

fn not_a_time(v: &str) -> String {
    format!("'{v}' is not a time (YYYY-MM-DD hh:mm:ss local, or RFC 3339)")
}

/// An `ingest_log` or `media_notes` CSV file read row by row (one reused record) into the path
/// tables, with the checks [`read_csv`] makes: a required path, times that parse.
fn stream_paths_csv(
    spec: &TableSpec,
    path: &Path,
    tz: chrono_tz::Tz,
    rows: &mut dyn PathSink,
) -> Result<(), ContextError> {
    let ferr = |message: String| ContextError::File {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| ferr(e.to_string()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let headers = rdr.headers().map_err(|e| ferr(e.to_string()))?.clone();
    let col = |name: &str| column_index(&headers, name);
    let Some(path_col) = col("path") else {
        return Err(ferr(missing_path(&headers)));
    };
    let notes = spec.name == "media_notes";
    let time_name = if notes { "described_at" } else { "uploaded" };
    let (time_col, cat_col, desc_col) = (col(time_name), col("category"), col("description"));
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ferr(e.to_string())),
        }
        let line = rec.position().map_or(0, |p| p.line());
        let value = |c: Option<usize>| c.and_then(|c| rec.get(c)).filter(|v| !v.is_empty());
        let verr = |column: &str, message: String| ContextError::Value {
            path: path.to_path_buf(),
            line,
            column: column.to_string(),
            message,
        };
        let Some(p) = value(Some(path_col)) else {
            return Err(verr("path", "a value is required".into()));
        };
        let t = match value(time_col) {
            Some(v) => Some(parse_time(v, tz).ok_or_else(|| verr(time_name, not_a_time(v)))?),
            None => None,
        };
        if notes {
            rows.note(
                p,
                NoteRow::new(t, value(cat_col), value(desc_col).is_some()),
            );
        } else {
            rows.upload(p, t);
        }
    }
    Ok(())
}

/// Receives the rows of the path-keyed tables (`ingest_log`, `media_notes`) in table order, from
/// CSV records or from batches alike.
pub(crate) trait PathSink {
    /// An `ingest_log` row (its upload time, when it has one).
    fn upload(&mut self, path: &str, uploaded: Option<i64>);
    /// A `media_notes` row.
    fn note(&mut self, path: &str, row: NoteRow<'_>);
}

/// A [`PathSink`] that reads each row's path as below the scan roots where it begins with one
/// of the upload station's prefixes ([`crate::config::RuleSettings::ingest_path_prefixes`]):
/// `D:\证据\一大队\a.MP4` under the prefix `D:\证据` is `一大队/a.MP4`, anchored at the roots
/// as any relative row. Other rows pass as they are.
pub(crate) struct Rebase<'a> {
    /// The prefixes with `/` for `\`, no trailing `/`, and whether each is a Windows one
    /// (matched without regard to ASCII case).
    prefixes: Vec<(String, bool)>,
    inner: &'a mut dyn PathSink,
    buf: String,
}

impl<'a> Rebase<'a> {
    pub(crate) fn new(prefixes: &[String], inner: &'a mut dyn PathSink) -> Self {
        let prefixes = prefixes
            .iter()
            .map(|p| {
                let windows = p.contains('\\') || p.as_bytes().get(1) == Some(&b':');
                (
                    p.replace('\\', "/").trim_end_matches('/').to_string(),
                    windows,
                )
            })
            .filter(|(p, _)| !p.is_empty())
            .collect();
        Rebase {
            prefixes,
            inner,
            buf: String::new(),
        }
    }

    /// Whether `path` begins with a prefix; if so `buf` holds the rest below it.
    fn rebased(&mut self, path: &str) -> bool {
        if self.prefixes.is_empty() {
            return false;
        }
        let flipped: std::borrow::Cow<str> = if path.contains('\\') {
            path.replace('\\', "/").into()
        } else {
            path.into()
        };
        for (p, windows) in &self.prefixes {
            let Some(head) = flipped.get(..p.len()) else {
                continue;
            };
            let same = if *windows {
                head.eq_ignore_ascii_case(p)
            } else {
                head == p
            };
            if let (true, Some(rest)) = (same, flipped[p.len()..].strip_prefix('/')) {
                self.buf.clear();
                self.buf.push_str(rest.trim_start_matches('/'));
                return !self.buf.is_empty();
            }
        }
        false
    }
}

impl Rebase<'_> {
    /// Gives the row to the inner sink with its path read ([`Rebase::rebased`]).
    fn pass(&mut self, path: &str, give: impl FnOnce(&mut dyn PathSink, &str)) {
        if self.rebased(path) {
            let p = std::mem::take(&mut self.buf);
            give(&mut *self.inner, &p);
            self.buf = p;
        } else {
            give(&mut *self.inner, path);
        }
    }
}

impl PathSink for Rebase<'_> {
    fn upload(&mut self, path: &str, uploaded: Option<i64>) {
        self.pass(path, |sink, p| sink.upload(p, uploaded));
    }

    fn note(&mut self, path: &str, row: NoteRow<'_>) {
        self.pass(path, |sink, p| sink.note(p, row));
    }
}

/// A `media_notes` row as read: when it was described, its category, and whether it says
/// anything (a category or a description).
pub(crate) struct NoteRow<'a> {
    pub described: Option<i64>,
    pub category: Option<&'a str>,
    pub has_text: bool,
}

impl<'a> NoteRow<'a> {
    fn new(described: Option<i64>, category: Option<&'a str>, description: bool) -> Self {
        NoteRow {
            described,
            category,
            has_text: category.is_some() || description,
        }
    }
}

/// Reads the path-keyed tables of `dir` into `sink`, one table at a time: a CSV file streamed
/// row by row (one reused record, each value checked as [`load_csv`] checks it), a Parquet
/// file batch by batch, each batch dropped once its rows are in (a ten-million-line ingest log
/// is never in memory as text).
pub(crate) fn read_path_tables(
    dir: Option<&Path>,
    tz: chrono_tz::Tz,
    sink: &mut dyn PathSink,
) -> Result<(), ContextError> {
    for name in PATH_TABLES {
        read_path_table(dir, tz, name, sink)?;
    }
    Ok(())
}

/// [`read_path_tables`] for one of them (`ingest_log` or `media_notes`).
pub(crate) fn read_path_table(
    dir: Option<&Path>,
    tz: chrono_tz::Tz,
    name: &str,
    sink: &mut dyn PathSink,
) -> Result<(), ContextError> {
    let Some(dir) = dir else { return Ok(()) };
    let Some(spec) = TABLES
        .iter()
        .find(|s| s.name == name && PATH_TABLES.contains(&name))
    else {
        return Ok(());
    };
    let csv = dir.join(format!("{}.csv", spec.name));
    if csv.is_file() {
        return stream_paths_csv(spec, &csv, tz, sink);
    }
    let loaded = load_one(spec, Some(dir), tz)?;
    for b in typed_batches(spec, &loaded, dir)? {
        paths_from_batch(spec.name, &b, sink);
    }
    Ok(())
}

/// Whether `dir` holds a path-keyed table (`ingest_log` or `media_notes`, CSV or Parquet).
pub fn has_path_tables(dir: Option<&Path>) -> bool {
    dir.is_some_and(|d| {
        PATH_TABLES.iter().any(|n| {
            d.join(format!("{n}.csv")).is_file() || d.join(format!("{n}.parquet")).is_file()
        })
    })
}

/// The two path tables of a [`Typed`] being filled.
struct PathRows<'a> {
    out: &'a mut Typed,
    categories: crate::catalog::Interner,
    /// The last category seen, so that a run of equal categories is interned once.
    last: Option<crate::catalog::Sym>,
}

impl PathSink for PathRows<'_> {
    fn upload(&mut self, path: &str, uploaded: Option<i64>) {
        if let Some(t) = uploaded {
            self.out.ingest.push(path, t);
        }
    }

    fn note(&mut self, path: &str, row: NoteRow<'_>) {
        let category = row.category.map(|c| match &self.last {
            Some(l) if &**l == c => l.clone(),
            _ => {
                let mut sym = crate::catalog::Sym::from(c);
                self.categories.sym(&mut sym);
                self.last = Some(sym.clone());
                sym
            }
        });
        self.out.notes.push(
            path,
            Note {
                described_at_us: row.described,
                has_text: row.has_text,
                category,
            },
        );
    }
}

/// The rows of an `ingest_log` or `media_notes` batch into the path tables, column by column
/// (no string is copied: each path is hashed to its key where it lies).
fn paths_from_batch(name: &str, b: &RecordBatch, rows: &mut dyn PathSink) {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    let strings = |n: &str| b.column_by_name(n).and_then(|c| c.as_string_opt::<i32>());
    let times = |n: &str| {
        b.column_by_name(n)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
    };
    let Some(paths) = strings("path") else { return };
    fn text(a: Option<&arrow_array::StringArray>, i: usize) -> Option<&str> {
        a.filter(|a| a.is_valid(i) && !a.value(i).is_empty())
            .map(|a| a.value(i))
    }
    fn time(a: Option<&arrow_array::TimestampMicrosecondArray>, i: usize) -> Option<i64> {
        a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
    }
    let (uploaded, category, description, described) = (
        times("uploaded"),
        strings("category"),
        strings("description"),
        times("described_at"),
    );
    for i in 0..b.num_rows() {
        let Some(p) = text(Some(paths), i) else {
            continue;
        };
        if name == "ingest_log" {
            rows.upload(p, time(uploaded, i));
        } else {
            rows.note(
                p,
                NoteRow::new(
                    time(described, i),
                    text(category, i),
                    text(description, i).is_some(),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_names_its_fixed_cameras_and_refuses_an_unknown_kind() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let devices = dir.path().join("devices.csv");
        std::fs::write(
            &devices,
            "device_id,unit,kind\nDSJ-A8-0001234,一大队,recorder\nDSJ-A8-0001235,一大队,\nHALL-CAM-01,审批科,cctv\n",
        )
        .expect("write");
        let typed = load_typed_but_paths(Some(dir.path()), chrono_tz::UTC).expect("loads");
        assert_eq!(
            typed.fixed_cameras,
            ["HALL-CAM-01".to_string()].into_iter().collect()
        );
        // A registry without the column (written before it was added) names none.
        std::fs::write(&devices, "device_id,unit\nHALL-CAM-01,审批科\n").expect("write");
        let typed = load_typed_but_paths(Some(dir.path()), chrono_tz::UTC).expect("loads");
        assert!(typed.fixed_cameras.is_empty());
        std::fs::write(&devices, "device_id,kind\nHALL-CAM-01,camera\n").expect("write");
        let err = load_typed_but_paths(Some(dir.path()), chrono_tz::UTC)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("devices.csv") && err.contains("kind") && err.contains("'camera'"),
            "{err}"
        );
    }
}
