//! Checking an export folder against the warehouse's chain: its MANIFEST.csv names the run and
//! the chain head the selection came from, the chain holds the export's own commit (whose
//! settings record the BLAKE3 of that MANIFEST.csv), and every exported file still has the
//! BLAKE3 and size the manifest lists.

use std::path::{Component, Path};

use super::ChainError;
use super::disk::hash_file;
use super::report::{Problem, Report};

/// What was checked of an export folder.
#[derive(Debug, Default, serde::Serialize)]
pub struct ExportCheck {
    pub folder: String,
    pub files: u64,
    pub bytes: u64,
    pub source_run: Option<String>,
    pub chain_head: Option<String>,
    /// The chain place of the export's own commit.
    pub recorded_at: Option<u64>,
}

pub fn check(dir: &Path, report: &mut Report) -> Result<ExportCheck, ChainError> {
    let mpath = dir.join("MANIFEST.csv");
    let bytes = std::fs::read(&mpath).map_err(|source| ChainError::Io {
        path: mpath.clone(),
        source,
    })?;
    let invalid = |message: String| ChainError::Invalid {
        path: mpath.clone(),
        message,
    };
    let mut out = ExportCheck {
        folder: dir.display().to_string(),
        ..Default::default()
    };
    let problem = |file: Option<String>, what: String| Problem {
        seq: None,
        run_id: None,
        table: Some("export".into()),
        file,
        what,
    };
    let mut rd = csv::Reader::from_reader(bytes.as_slice());
    let headers = rd
        .headers()
        .map_err(|e| invalid(format!("not a CSV manifest: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(fc), Some(sc), Some(bc)) = (col("file"), col("size_bytes"), col("blake3")) else {
        return Err(invalid("no file, size_bytes and blake3 columns".into()));
    };
    let (rc, hc) = (col("run_id"), col("chain_head"));
    if rc.is_none() || hc.is_none() {
        report.problems.push(problem(
            Some("MANIFEST.csv".into()),
            "names no run and chain head (an export made before chains existed)".into(),
        ));
    }
    let mut problems = Vec::new();
    for row in rd.records() {
        let row = row.map_err(|e| invalid(format!("unreadable row: {e}")))?;
        let file = row.get(fc).unwrap_or_default().to_string();
        let rel = Path::new(&file);
        if file.is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            problems.push(problem(
                Some(file.clone()),
                "not a path inside the export folder".into(),
            ));
            continue;
        }
        for (c, slot) in [(rc, &mut out.source_run), (hc, &mut out.chain_head)] {
            if let Some(v) = c.and_then(|c| row.get(c)) {
                if slot.is_none() {
                    *slot = Some(v.to_string());
                } else if slot.as_deref() != Some(v) {
                    problems.push(problem(
                        Some(file.clone()),
                        "names another run or head than the rows before it".into(),
                    ));
                }
            }
        }
        let size: u64 = row.get(sc).and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
        let want = row.get(bc).unwrap_or_default();
        match hash_file(&dir.join(rel)) {
            Ok((h, n)) => {
                out.files += 1;
                out.bytes += n;
                report.hashed_files += 1;
                report.hashed_bytes += n;
                if n != size || h != want {
                    problems.push(problem(
                        Some(file.clone()),
                        format!("{n} bytes with BLAKE3 {}…, but MANIFEST.csv lists {size} bytes with BLAKE3 {}…: the copy was changed", &h[..16], want.get(..16).unwrap_or(want)),
                    ));
                }
            }
            Err(e) => problems.push(problem(Some(file.clone()), format!("cannot be read: {e}"))),
        }
    }
    if let (Some(run), Some(head)) = (&out.source_run, &out.chain_head) {
        match report.manifests.iter().find(|m| &m.run_id == run) {
            Some(m) if &m.blake3 == head => {}
            Some(m) => problems.push(problem(
                Some("MANIFEST.csv".into()),
                format!("came from run {run} with chain head {}…, but that run's manifest (#{}) has BLAKE3 {}…: the warehouse's history changed since", head.get(..16).unwrap_or(head), m.seq, &m.blake3[..16]),
            )),
            None => problems.push(problem(
                Some("MANIFEST.csv".into()),
                format!("came from run {run}, which this warehouse's chain does not hold: another warehouse, or its history was rewritten"),
            )),
        }
    }
    let own = blake3::hash(&bytes).to_hex().to_string();
    match report
        .manifests
        .iter()
        .find(|m| m.export_manifest_blake3.as_deref() == Some(own.as_str()))
    {
        Some(m) => out.recorded_at = Some(m.seq),
        None => problems.push(problem(
            Some("MANIFEST.csv".into()),
            format!("its BLAKE3 {}… is not recorded by any export in the warehouse's chain: the manifest was edited, or the export is not from this warehouse", &own[..16]),
        )),
    }
    report.problems.extend(problems);
    Ok(out)
}
