//! Evidence export (第二十条: footage used as evidence is transferred to a medium with an
//! explanatory note; 第二十三条: copies need a leader's approval; 第二十四条: confidential
//! material stays out unless explicitly included).
//!
//! An export copies the selected files into a new, empty folder, hashing every byte as it is
//! read (BLAKE3 and SHA-256); a source whose BLAKE3 no longer matches the catalogue is not
//! exported. After all copies are on disk each one is read back and checked against the
//! catalogue's BLAKE3. Only then are `MANIFEST.csv`, `BLAKE3SUMS`, `SHA256SUMS` and `NOTE.txt`
//! written; a failed export gets `FAILED.txt` instead. Either way the export is recorded in the
//! warehouse's `exports` table. Nothing is ever written outside the destination folder, and the
//! evidence is only read.
//!
//! (Just over 600 lines with its unit tests, which are the last 20.)

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use arrow_array::RecordBatch;
use sha2::Digest;

use crate::query::{Engine, QueryError};
use crate::store::prior::Cols;
use crate::store::tables::ExportRow;
use crate::store::warehouse::Warehouse;
use crate::store::{self, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request cannot be carried out as given (exit 2); nothing was copied.
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Copies were made but did not verify; the export is recorded as failed.
    #[error("export {export_id} failed and is recorded as failed: {message}")]
    Failed { export_id: String, message: String },
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
}

impl ExportError {
    /// True when nothing was attempted because the request itself was refused.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ExportError::Refused(_) | ExportError::Query(QueryError::Sql(_))
        )
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone)]
pub enum Selection {
    Case(String),
    Sql(String),
}

#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub warehouse: PathBuf,
    pub context: Option<PathBuf>,
    pub tz: chrono_tz::Tz,
    pub selection: Selection,
    pub to: PathBuf,
    pub approved_by: String,
    pub reason: String,
    pub include_confidential: bool,
    pub threads: usize,
    /// The chain check before the export's commit, its signature and anchor (a broken history
    /// is refused: a restart is a scan's decision).
    pub chain: crate::chain::Options,
}

/// One file of an export.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// Path inside the export folder, `/`-separated.
    pub file: String,
    pub original_path: String,
    pub size_bytes: i64,
    pub blake3: String,
    pub sha256: String,
    pub case_ids: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportSummary {
    pub export: ExportRow,
    pub files: Vec<Exported>,
}

/// A catalogued file chosen for export.
struct Chosen {
    path: String,
    root: String,
    rel_path: String,
    blake3: Option<String>,
    case_ids: Option<String>,
}

fn rows(batches: &[RecordBatch]) -> Vec<Chosen> {
    let mut out = Vec::new();
    for b in batches {
        let c = Cols(b);
        for i in 0..b.num_rows() {
            let s = |n: &str| c.str(n, i).map(str::to_string);
            out.push(Chosen {
                path: s("path").unwrap_or_default(),
                root: s("root").unwrap_or_default(),
                rel_path: s("rel_path").unwrap_or_default(),
                blake3: s("blake3"),
                case_ids: s("case_ids"),
            });
        }
    }
    out
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn new_export_id() -> String {
    let now = chrono::Utc::now();
    let salt = (now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("X{}-{salt:04x}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// The relative path's parts, refusing anything that could leave the export folder.
fn safe_parts(rel: &str) -> Option<Vec<&str>> {
    let p = Path::new(rel);
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(x) => parts.push(x.to_str()?),
            _ => return None,
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// Copies `src` to a new file `dst`, returning (BLAKE3, SHA-256, bytes) of what was read.
fn copy_hashing(src: &Path, dst: &Path) -> Result<(String, String, u64), ExportError> {
    let mut input = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOATIME)
        .open(src)
    {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => File::open(src).map_err(io(src))?,
        Err(e) => return Err(io(src)(e)),
    };
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)
        .map_err(io(dst))?;
    let mut b3 = blake3::Hasher::new();
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(src)(e)),
        };
        b3.update(&buf[..n]);
        sha.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io(dst))?;
        total += n as u64;
    }
    out.sync_all().map_err(io(dst))?;
    let sha_hex: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((b3.finalize().to_hex().to_string(), sha_hex, total))
}

fn blake3_of(path: &Path) -> Result<String, ExportError> {
    let mut h = blake3::Hasher::new();
    h.update_mmap_rayon(path).map_err(io(path))?;
    Ok(h.finalize().to_hex().to_string())
}

fn write_new(path: &Path, text: &str) -> Result<(), ExportError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(text.as_bytes()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn run_export(plan: &ExportPlan) -> Result<ExportSummary, ExportError> {
    let started = chrono::Utc::now();
    let export_id = new_export_id();
    let mut sealer = plan.chain.open()?;
    let wh = Warehouse::open(&plan.warehouse)?;
    let base = wh.check_chain(
        plan.chain.depth(),
        false,
        &export_id,
        started.timestamp_micros(),
    )?;
    let Some(current) = wh.current() else {
        return Err(ExportError::Refused(format!(
            "warehouse {} has no committed run: run `recaudit scan` first",
            plan.warehouse.display()
        )));
    };
    let engine = Engine::open(
        &plan.warehouse,
        plan.context.as_deref(),
        plan.tz,
        plan.threads,
        &[],
    )?;
    let (chosen, case_id, sql) = select(plan, &engine)?;
    check_selection(plan, &engine, &chosen)?;
    drop(engine);
    let to = prepare_destination(&plan.to)?;
    let (files, mut failure) = copy_all(&chosen, &to)?;
    // Test hook: hold the copies before verification so a test can tamper with one.
    if let Some(ms) = std::env::var("RECAUDIT_TEST_PAUSE_BEFORE_VERIFY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    if failure.is_none() {
        failure = verify_copies(&files, &to)?;
    }
    let what = Described {
        export_id: &export_id,
        started,
        case_id: case_id.as_deref(),
        sql: sql.as_deref(),
        catalogue_run: current
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        chain_head: base.head.as_ref().map(|h| (h.seq, h.blake3.clone())),
    };
    let manifest_blake3 = match &failure {
        None => Some(write_manifest(plan, &what, &files, &to)?),
        Some(msg) => {
            write_new(
                &to.join("FAILED.txt"),
                &format!(
                    "export {export_id} FAILED: {msg}\nThe files in this folder are not a verified copy of the evidence.\n"
                ),
            )?;
            None
        }
    };
    let row = ExportRow {
        export_id: export_id.clone(),
        at_us: started.timestamp_micros(),
        case_id,
        selection_sql: sql,
        approved_by: plan.approved_by.clone(),
        reason: plan.reason.clone(),
        destination: to.display().to_string(),
        files: files.len() as i64,
        bytes: files.iter().map(|f| f.size_bytes).sum(),
        include_confidential: plan.include_confidential,
        status: if failure.is_some() { "failed" } else { "ok" }.into(),
        error: failure.clone(),
        manifest_blake3,
        host: crate::scan::hostname(),
    };
    let mut staging = wh.stage(&export_id)?;
    staging.carry_all(&[])?;
    staging.write(
        "exports",
        &format!("export-{export_id}.parquet"),
        &store::exports_batch(std::slice::from_ref(&row))?,
    )?;
    let settings = serde_json::json!({
        "export_id": row.export_id,
        "case_id": row.case_id,
        "destination": row.destination,
        "approved_by": row.approved_by,
        "status": row.status,
        "files": row.files,
        "manifest_blake3": row.manifest_blake3,
    });
    let seal = crate::chain::write::Seal {
        command: "export",
        settings,
        key: sealer.key.as_ref(),
    };
    let committed = wh.commit(staging, &base, &seal)?;
    if let Some(e) = sealer.anchor(&committed) {
        eprintln!(
            "recaudit export: the export is committed, but its chain head could not be anchored: {e}"
        );
    }
    match failure {
        Some(message) => Err(ExportError::Failed { export_id, message }),
        None => Ok(ExportSummary { export: row, files }),
    }
}

/// Chosen files, the case id or the SQL that chose them.
type Selected = (Vec<Chosen>, Option<String>, Option<String>);

/// The files selected (by case or by query), with the case id or the SQL that chose them.
fn select(plan: &ExportPlan, engine: &Engine) -> Result<Selected, ExportError> {
    let cols = "path, root, rel_path, blake3, case_ids";
    Ok(match &plan.selection {
        Selection::Case(id) => {
            let known = engine.run(&format!(
                "SELECT case_id FROM cases WHERE case_id = {}",
                sql_text(id)
            ))?;
            if known.iter().map(|b| b.num_rows()).sum::<usize>() == 0 {
                return Err(ExportError::Refused(format!(
                    "case {id} is not in the cases table (context folder {})",
                    plan.context
                        .as_ref()
                        .map_or("WAREHOUSE/context".into(), |p| p.display().to_string())
                )));
            }
            let all = rows(&engine.run(&format!(
                "SELECT {cols} FROM files WHERE case_ids IS NOT NULL ORDER BY path"
            ))?);
            let chosen: Vec<Chosen> = all
                .into_iter()
                .filter(|c| {
                    c.case_ids
                        .as_deref()
                        .is_some_and(|ids| ids.split(',').any(|x| x == id))
                })
                .collect();
            (chosen, Some(id.clone()), None)
        }
        Selection::Sql(q) => {
            let result = engine.run(q)?;
            let mut wanted = BTreeSet::new();
            for b in &result {
                if b.column_by_name("path").is_none() {
                    return Err(ExportError::Refused(
                        "the --sql query must return a text column named `path` (the files to export)".into(),
                    ));
                }
                let c = Cols(b);
                for i in 0..b.num_rows() {
                    if let Some(p) = c.str("path", i) {
                        wanted.insert(p.to_string());
                    }
                }
            }
            let all = rows(&engine.run(&format!("SELECT {cols} FROM files ORDER BY path"))?);
            let known: HashSet<&str> = all.iter().map(|c| c.path.as_str()).collect();
            if let Some(missing) = wanted.iter().find(|p| !known.contains(p.as_str())) {
                return Err(ExportError::Refused(format!(
                    "{missing} (returned by --sql) is not in the catalogue's files table"
                )));
            }
            let chosen = all
                .into_iter()
                .filter(|c| wanted.contains(&c.path))
                .collect();
            (chosen, None, Some(q.clone()))
        }
    })
}

/// Refuses an empty selection, confidential footage without its flag (第二十四条), and files
/// whose copy cannot be verified (no catalogued hash).
fn check_selection(
    plan: &ExportPlan,
    engine: &Engine,
    chosen: &[Chosen],
) -> Result<(), ExportError> {
    if chosen.is_empty() {
        return Err(ExportError::Refused(
            "the selection holds no catalogued file: nothing to export".into(),
        ));
    }
    // 第二十四条: confidential cases stay out unless explicitly included.
    let confidential: HashSet<String> =
        rows_of_case_ids(&engine.run("SELECT case_id FROM cases WHERE confidential")?);
    let secret: BTreeSet<&str> = chosen
        .iter()
        .flat_map(|c| c.case_ids.as_deref().unwrap_or("").split(','))
        .filter(|id| confidential.contains(*id))
        .collect();
    if !secret.is_empty() && !plan.include_confidential {
        return Err(ExportError::Refused(format!(
            "the selection includes footage of confidential case(s) {} (第二十四条): refused; pass --include-confidential only with the approval that requires",
            secret.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(c) = chosen.iter().find(|c| c.blake3.is_none()) {
        return Err(ExportError::Refused(format!(
            "{} has no catalogued hash (it could not be read by the last scan), so its copy cannot be verified",
            c.path
        )));
    }
    Ok(())
}

/// The destination: new or empty (created here), as a canonical path every copy must stay in.
fn prepare_destination(to: &Path) -> Result<PathBuf, ExportError> {
    if to.exists() {
        let empty = fs::read_dir(to).map_err(io(to))?.next().is_none();
        if !empty {
            return Err(ExportError::Refused(format!(
                "{} is not empty: an export goes into a new or empty folder",
                to.display()
            )));
        }
    }
    fs::create_dir_all(to).map_err(io(to))?;
    fs::canonicalize(to).map_err(io(to))
}

/// A folder name under `files/` for each root of the selection: its last component, made
/// unique.
fn root_names(chosen: &[Chosen]) -> HashMap<&str, String> {
    let mut root_names: HashMap<&str, String> = HashMap::new();
    let mut used = HashSet::new();
    for c in chosen {
        if root_names.contains_key(c.root.as_str()) {
            continue;
        }
        let base = Path::new(&c.root)
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| safe_parts(n).is_some())
            .unwrap_or("root")
            .to_string();
        let mut name = base.clone();
        let mut k = 2;
        while !used.insert(name.clone()) {
            name = format!("{base}-{k}");
            k += 1;
        }
        root_names.insert(c.root.as_str(), name);
    }
    root_names
}

/// Copies every chosen file into `to`, hashing as it writes. Stops at the first file that
/// cannot be placed safely or whose source no longer matches the catalogue (the message).
fn copy_all(chosen: &[Chosen], to: &Path) -> Result<(Vec<Exported>, Option<String>), ExportError> {
    let root_names = root_names(chosen);
    let mut files = Vec::new();
    for c in chosen {
        let Some(parts) = safe_parts(&c.rel_path) else {
            let msg = format!("{}: its relative path cannot be placed safely", c.path);
            return Ok((files, Some(msg)));
        };
        let mut rel = vec!["files", root_names[c.root.as_str()].as_str()];
        rel.extend(parts);
        let dst = rel.iter().fold(to.to_path_buf(), |p, x| p.join(x));
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let (b3, sha, n) = copy_hashing(Path::new(&c.path), &dst)?;
        let want = c.blake3.as_deref().unwrap_or("");
        if b3 != want {
            let msg = format!(
                "{}: the source's BLAKE3 {b3} is not the catalogued {want}: it changed after the last scan; not exported",
                c.path
            );
            return Ok((files, Some(msg)));
        }
        files.push(Exported {
            file: rel.join("/"),
            original_path: c.path.clone(),
            size_bytes: n as i64,
            blake3: b3,
            sha256: sha,
            case_ids: c.case_ids.clone(),
        });
    }
    Ok((files, None))
}

/// Reads every copy back and checks it against the catalogue: the message names each one
/// that does not verify.
fn verify_copies(files: &[Exported], to: &Path) -> Result<Option<String>, ExportError> {
    let mut bad = Vec::new();
    for f in files {
        let p = f.file.split('/').fold(to.to_path_buf(), |p, x| p.join(x));
        let got = blake3_of(&p)?;
        if got != f.blake3 {
            bad.push(format!("{} (BLAKE3 {got}, catalogue {})", f.file, f.blake3));
        }
    }
    if bad.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} cop{} did not verify against the catalogue: {}",
        bad.len(),
        if bad.len() == 1 { "y" } else { "ies" },
        bad.join("; ")
    )))
}

/// What the note says about the export besides the plan.
struct Described<'a> {
    export_id: &'a str,
    started: chrono::DateTime<chrono::Utc>,
    case_id: Option<&'a str>,
    sql: Option<&'a str>,
    catalogue_run: String,
    /// The chain place and head of the catalogue snapshot the files were chosen from.
    chain_head: Option<(u64, String)>,
}

/// Writes MANIFEST.csv, BLAKE3SUMS, SHA256SUMS and NOTE.txt; returns the manifest's BLAKE3.
fn write_manifest(
    plan: &ExportPlan,
    what: &Described,
    files: &[Exported],
    to: &Path,
) -> Result<String, ExportError> {
    let mut m =
        String::from("file,original_path,size_bytes,blake3,sha256,case_ids,run_id,chain_head\n");
    let head = what.chain_head.as_ref().map_or("", |h| h.1.as_str());
    let mut b3sums = String::new();
    let mut shasums = String::new();
    for f in files {
        m.push_str(&format!(
            "{},{},{},{},{},{},{},{head}\n",
            csv_field(&f.file),
            csv_field(&f.original_path),
            f.size_bytes,
            f.blake3,
            f.sha256,
            csv_field(f.case_ids.as_deref().unwrap_or("")),
            csv_field(&what.catalogue_run),
        ));
        b3sums.push_str(&format!("{}  {}\n", f.blake3, f.file));
        shasums.push_str(&format!("{}  {}\n", f.sha256, f.file));
    }
    write_new(&to.join("MANIFEST.csv"), &m)?;
    write_new(&to.join("BLAKE3SUMS"), &b3sums)?;
    write_new(&to.join("SHA256SUMS"), &shasums)?;
    let manifest_blake3 = blake3::hash(m.as_bytes()).to_hex().to_string();
    let bytes: i64 = files.iter().map(|f| f.size_bytes).sum();
    let local = what.started.with_timezone(&plan.tz);
    let note = format!(
        "音像资料证据导出说明 / Evidence export note (第二十条)\n\n\
         export id:        {}\n\
         case:             {}\n\
         selection:        {}\n\
         approved by:      {} (第二十三条)\n\
         reason:           {}\n\
         exported at:      {} ({}), {} UTC\n\
         files:            {} ({} bytes)\n\
         confidential:     {}\n\
         catalogue:        {} (run {})\n\
         chain head:       {}\n\
         MANIFEST.csv:     BLAKE3 {}\n\
         made by:          recaudit {} on {}\n\n\
         Every copy was read back after copying and matched the BLAKE3 recorded for the\n\
         original in the catalogue. To check this folder again, inside it run\n\
         `b3sum -c BLAKE3SUMS` or `sha256sum -c SHA256SUMS`.\n",
        what.export_id,
        what.case_id.unwrap_or("-"),
        what.sql
            .map_or("case footage".to_string(), |q| format!("SQL: {q}")),
        plan.approved_by,
        plan.reason,
        local.format("%Y-%m-%d %H:%M:%S"),
        plan.tz.name(),
        what.started.format("%Y-%m-%d %H:%M:%S"),
        files.len(),
        bytes,
        if plan.include_confidential {
            "included on explicit request (第二十四条)"
        } else {
            "none"
        },
        fs::canonicalize(&plan.warehouse)
            .unwrap_or_else(|_| plan.warehouse.clone())
            .display(),
        what.catalogue_run,
        what.chain_head.as_ref().map_or(
            "none (the warehouse had no chain yet)".to_string(),
            |(seq, h)| format!(
                "{h} (manifest #{seq}; `recaudit verify WAREHOUSE --export THIS_FOLDER` checks it)"
            )
        ),
        manifest_blake3,
        env!("CARGO_PKG_VERSION"),
        crate::scan::hostname(),
    );
    write_new(&to.join("NOTE.txt"), &note)?;
    Ok(manifest_blake3)
}

fn rows_of_case_ids(batches: &[RecordBatch]) -> HashSet<String> {
    let mut out = HashSet::new();
    for b in batches {
        let c = Cols(b);
        for i in 0..b.num_rows() {
            if let Some(s) = c.str("case_id", i) {
                out.insert(s.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_cannot_leave_the_export_folder() {
        assert_eq!(safe_parts("a/b/c.MP4"), Some(vec!["a", "b", "c.MP4"]));
        assert_eq!(safe_parts("./a"), None, "only plain names");
        assert_eq!(safe_parts("../etc/passwd"), None);
        assert_eq!(safe_parts("a/../../b"), None);
        assert_eq!(safe_parts("/etc/passwd"), None);
        assert_eq!(safe_parts(""), None);
    }

    #[test]
    fn manifest_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
