//! `findings`: one row per finding, each tied to the article it serves; and reading the table
//! back into rows for `recaudit findings`.
use std::borrow::Cow;

use arrow_array::{Array, RecordBatch};
use serde::Serialize;

use super::Cols;
use crate::store::{StoreError, read_parquet};

/// One row of `findings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingRow {
    pub run_id: String,
    pub finding_id: String,
    // The rule's words, the same for each of its findings: borrowed from the rule registry
    // where a rule makes the finding (not a copy a finding), owned where read from a table.
    pub kind: Cow<'static, str>,
    pub severity: Cow<'static, str>,
    pub rule_id: Cow<'static, str>,
    pub article: Cow<'static, str>,
    pub article_gloss: Cow<'static, str>,
    pub message: String,
    pub path: Option<String>,
    pub session_id: Option<String>,
    pub device_id: Option<String>,
    pub officer_id: Option<String>,
    pub unit: Option<String>,
    pub at_us: Option<i64>,
    pub offset_s: Option<f64>,
    pub magnitude_s: Option<f64>,
    pub details: String,
    pub case_id: Option<String>,
}

impl FindingRow {
    /// The findings' order in the table: by device, session, file, time, rule (and id, so that
    /// findings gathered from the parts of a catalogue come out as from the whole).
    pub fn order(&self, other: &Self) -> std::cmp::Ordering {
        (
            &self.device_id,
            &self.session_id,
            &self.path,
            self.at_us,
            &self.rule_id,
            &self.finding_id,
        )
            .cmp(&(
                &other.device_id,
                &other.session_id,
                &other.path,
                other.at_us,
                &other.rule_id,
                &other.finding_id,
            ))
    }
}

pub fn findings_batch(rows: &[FindingRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str(
        "finding_id",
        rows.iter().map(|r| Some(r.finding_id.as_str())),
    );
    c.str("kind", rows.iter().map(|r| Some(&*r.kind)));
    c.str("severity", rows.iter().map(|r| Some(&*r.severity)));
    c.str("rule_id", rows.iter().map(|r| Some(&*r.rule_id)));
    c.str("article", rows.iter().map(|r| Some(&*r.article)));
    c.str(
        "article_gloss",
        rows.iter().map(|r| Some(&*r.article_gloss)),
    );
    c.str("message", rows.iter().map(|r| Some(r.message.as_str())));
    c.str("path", rows.iter().map(|r| r.path.as_deref()));
    c.str("session_id", rows.iter().map(|r| r.session_id.as_deref()));
    c.str("device_id", rows.iter().map(|r| r.device_id.as_deref()));
    c.str("officer_id", rows.iter().map(|r| r.officer_id.as_deref()));
    c.str("unit", rows.iter().map(|r| r.unit.as_deref()));
    c.ts("at", rows.iter().map(|r| r.at_us));
    c.f64("offset_s", rows.iter().map(|r| r.offset_s));
    c.f64("magnitude_s", rows.iter().map(|r| r.magnitude_s));
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str("details", rows.iter().map(|r| Some(r.details.as_str())));
    c.str("case_id", rows.iter().map(|r| r.case_id.as_deref()));
    c.finish("findings")
}

/// Reads the `findings` table of a warehouse back into rows: a single-server warehouse's
/// folder, or the parts a shared warehouse's analysis shards publish (a bucket's downloaded).
pub fn read_findings(warehouse: &std::path::Path) -> Result<Vec<FindingRow>, StoreError> {
    // Kept until the parts are read: a bucket's parts are local copies that live as long.
    let mut shared = None;
    let files = if crate::store::shared::is_shared(warehouse) {
        let sh = shared.insert(crate::store::shared::Shared::open(
            warehouse,
            &crate::config::StorageSettings::default(),
        )?);
        let view = sh.view()?;
        sh.local_parts(&view, "findings")?
    } else {
        let dir = warehouse.join("findings");
        let rd = std::fs::read_dir(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut files: Vec<std::path::PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        files.sort();
        files
    };
    let rows = findings_of(&files);
    drop(shared);
    rows
}

/// The rows of these `findings` files.
fn findings_of(files: &[std::path::PathBuf]) -> Result<Vec<FindingRow>, StoreError> {
    let mut out = Vec::new();
    for f in files {
        for b in read_parquet(f)? {
            rows_of_batch(&b, f, &mut out)?;
        }
    }
    Ok(out)
}

/// Appends the rows of one batch of a `findings` file (`f`, named in errors) to `out`.
pub(crate) fn rows_of_batch(
    b: &RecordBatch,
    f: &std::path::Path,
    out: &mut Vec<FindingRow>,
) -> Result<(), StoreError> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, TimestampMicrosecondType};
    let col = |name: &str| {
        b.column_by_name(name).ok_or_else(|| StoreError::Invalid {
            path: f.to_path_buf(),
            message: format!("findings table has no column {name}"),
        })
    };
    let s = |name: &str| -> Result<Vec<Option<String>>, StoreError> {
        let c = col(name)?;
        let a = c
            .as_string_opt::<i32>()
            .ok_or_else(|| StoreError::Invalid {
                path: f.to_path_buf(),
                message: format!("column {name} is not text"),
            })?;
        Ok((0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
            .collect())
    };
    let fl = |name: &str| -> Result<Vec<Option<f64>>, StoreError> {
        let c = col(name)?;
        let a = c
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| StoreError::Invalid {
                path: f.to_path_buf(),
                message: format!("column {name} is not a double"),
            })?;
        Ok((0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i)))
            .collect())
    };
    let at = {
        let c = col("at")?;
        let a = c
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| StoreError::Invalid {
                path: f.to_path_buf(),
                message: "column at is not a timestamp".into(),
            })?;
        (0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i)))
            .collect::<Vec<_>>()
    };
    let (
        mut id,
        mut kind,
        mut sev,
        mut rule,
        mut art,
        mut gloss,
        mut msg,
        mut path,
        mut sess,
        mut dev,
        mut off,
        mut unit,
        mut run,
        mut det,
    ) = (
        s("finding_id")?,
        s("kind")?,
        s("severity")?,
        s("rule_id")?,
        s("article")?,
        s("article_gloss")?,
        s("message")?,
        s("path")?,
        s("session_id")?,
        s("device_id")?,
        s("officer_id")?,
        s("unit")?,
        s("run_id")?,
        s("details")?,
    );
    let mut case = if b.column_by_name("case_id").is_some() {
        s("case_id")?
    } else {
        vec![None; b.num_rows()]
    };
    let (offset, mag) = (fl("offset_s")?, fl("magnitude_s")?);
    for i in 0..b.num_rows() {
        out.push(FindingRow {
            run_id: run[i].take().unwrap_or_default(),
            finding_id: id[i].take().unwrap_or_default(),
            kind: kind[i].take().unwrap_or_default().into(),
            severity: sev[i].take().unwrap_or_default().into(),
            rule_id: rule[i].take().unwrap_or_default().into(),
            article: art[i].take().unwrap_or_default().into(),
            article_gloss: gloss[i].take().unwrap_or_default().into(),
            message: msg[i].take().unwrap_or_default(),
            path: path[i].take(),
            session_id: sess[i].take(),
            device_id: dev[i].take(),
            officer_id: off[i].take(),
            unit: unit[i].take(),
            at_us: at[i],
            offset_s: offset[i],
            magnitude_s: mag[i],
            details: det[i].take().unwrap_or_default(),
            case_id: case[i].take(),
        });
    }
    Ok(())
}
