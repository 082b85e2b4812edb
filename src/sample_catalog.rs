//! `recaudit sample-catalog`: a synthetic warehouse without footage, for benchmarking the
//! query layer at the bureau's scale (issue 4: ten million files, a million findings). It
//! writes the same tables a scan writes (`files`, `sessions`, `findings`, `custody_events`,
//! `runs`; `streams` empty), through the same schemas and the same atomic commit, plus matching
//! context tables (`devices`, `officers`, `cases`, `case_media`) as Parquet in
//! `<OUT>/context/`. Values are drawn from a seeded generator: recorders of 20 units recording
//! 5-minute segments in sessions on working hours over 2024-2026, cases tied to sessions, and
//! findings spread over files with a realistic mix of kinds.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::context::{self, Loaded};
use crate::rules::rule_by_id;
use crate::sample::Rng;
use crate::store::tables::{CustodyEvent, FileRow, FindingRow, RunRow, SessionRow};
use crate::store::{self, StoreError, warehouse::Warehouse};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("context tables: {0}")]
    Context(#[from] crate::context::ContextError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid settings: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct CatalogPlan {
    pub out: PathBuf,
    pub files: u64,
    pub findings: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CatalogSummary {
    pub files: u64,
    pub sessions: u64,
    pub findings: u64,
    pub cases: u64,
    pub devices: u64,
    pub officers: u64,
}

const UNITS: usize = 20;
const FILES_PER_DEVICE: u64 = 5000;
const SEGMENT_S: i64 = 300;
/// 2024-01-01T00:00:00+08:00.
const PERIOD_START: i64 = 1_704_038_400;
const PERIOD_DAYS: i64 = 1030;
const INDUSTRIES: [&str; 6] = [
    "危险化学品",
    "非煤矿山",
    "烟花爆竹",
    "工贸",
    "冶金",
    "粉尘涉爆",
];
const CASE_KINDS: [&str; 4] = ["permit", "inspection", "penalty", "coercion"];
/// (rule id, share of findings in per mille).
const FINDING_MIX: [(&str, u64); 10] = [
    ("CONT-GAP", 300),
    ("CONT-MISSING", 100),
    ("CONT-OVERLAP", 50),
    ("TIME-SAMPLES", 100),
    ("ENC-FINGERPRINT", 50),
    ("CLK-MISMATCH", 100),
    ("CLK-RESET", 50),
    ("META-DEVICE", 100),
    ("INT-UNREADABLE", 50),
    ("DL-UPLOAD", 100),
];

fn unit_name(u: usize) -> String {
    format!("执法{:02}大队", u + 1)
}

fn device_name(d: u64) -> String {
    format!("DSJ-S{:02}-{:07}", d % 97, d)
}

fn hex(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(64);
    for _ in 0..4 {
        s.push_str(&format!("{:016x}", rng.next()));
    }
    s
}

/// One device's rows.
#[derive(Default)]
struct DeviceRows {
    files: Vec<FileRow>,
    sessions: Vec<SessionRow>,
    findings: Vec<FindingRow>,
    custody: Vec<CustodyEvent>,
    cases: Vec<String>,
    case_media: Vec<String>,
}

fn device_rows(
    d: u64,
    n_files: u64,
    finding_per_mille: u64,
    seed: u64,
    run_id: &str,
    now_us: i64,
) -> DeviceRows {
    let mut rng = Rng(seed ^ d.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let dev = device_name(d);
    let unit = unit_name((d as usize) % UNITS);
    let officers = [format!("OF{:05}", d * 2), format!("OF{:05}", d * 2 + 1)];
    let mut out = DeviceRows::default();
    let sessions_n = n_files.div_ceil(6).max(1);
    let spacing = PERIOD_DAYS * 86_400 / sessions_n as i64;
    let mut made = 0u64;
    let mut s = 0u64;
    while made < n_files {
        let k = rng.range(1, 11).min(n_files - made);
        // A session in working hours (08:00-17:00 local) somewhere in its slot.
        let day_start = PERIOD_START + (s as i64 * spacing) / 86_400 * 86_400;
        let start = day_start + 8 * 3600 + rng.range(0, 9 * 3600) as i64;
        let officer = &officers[(s % 2) as usize];
        let session_id = format!(
            "{dev}@{}",
            chrono::DateTime::from_timestamp(start, 0)
                .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
                .unwrap_or_default()
        );
        let local = |t: i64| {
            chrono::DateTime::from_timestamp(t + 8 * 3600, 0)
                .map(|x| x.naive_utc())
                .unwrap_or_default()
        };
        // Every sixteenth session is a case's footage.
        let case_id = s.is_multiple_of(16).then(|| format!("AJ-{d:05}-{s:05}"));
        let mut first_path = String::new();
        let mut last_path = String::new();
        let mut recorded = 0.0;
        let mut finding_count = 0;
        let mut missing = 0.0;
        for seq in 1..=k {
            let t = start + (seq as i64 - 1) * SEGMENT_S;
            let dur = if seq == k {
                rng.range(30, 300) as f64
            } else {
                SEGMENT_S as f64
            };
            let lt = local(t);
            let name = format!("{dev}_{officer}_{}_{seq:04}.MP4", lt.format("%Y%m%d%H%M%S"));
            let rel = format!("{unit}/{dev}/{}/{name}", lt.format("%Y%m%d"));
            let path = format!("/evidence/{rel}");
            let roll = rng.range(0, 999);
            let (status, kind) = match roll {
                0..=4 => ("corrupt", "video"),
                5..=7 => ("truncated", "video"),
                8..=59 => ("ok", "photo"),
                60..=99 => ("ok", "audio"),
                _ => ("ok", "video"),
            };
            let blake3 = hex(&mut rng);
            let size = rng.range(50_000_000, 300_000_000) as i64;
            let row = synthetic_file(&Segment {
                d,
                dev: &dev,
                unit: &unit,
                officer,
                run_id,
                now_us,
                seq,
                t,
                dur,
                lt,
                name: &name,
                rel,
                path: &path,
                status,
                kind,
                blake3: &blake3,
                size,
                session_id: &session_id,
                case_id: case_id.as_deref(),
                inode: (d * 10_000_000 + made) as i64,
            });
            if rng.range(0, 999) < finding_per_mille
                && let Some(f) = synthetic_finding(&mut rng, run_id, &row, t)
            {
                if f.kind == "gap" || f.kind == "missing_segment" {
                    missing += f.magnitude_s.unwrap_or(0.0);
                }
                finding_count += 1;
                out.findings.push(f);
            }
            out.custody.push(CustodyEvent {
                run_id: run_id.to_string(),
                at_us: (t + 86_400) * 1_000_000,
                event: "new".into(),
                path: path.clone(),
                blake3: Some(blake3),
                size_bytes: Some(size),
                device_id: Some(dev.clone()),
                ..Default::default()
            });
            if kind != "photo" {
                recorded += dur;
            }
            if first_path.is_empty() {
                first_path = path.clone();
            }
            last_path = path;
            out.files.push(row);
            made += 1;
        }
        out.sessions.push(SessionRow {
            run_id: run_id.to_string(),
            session_id: session_id.clone(),
            device_id: dev.clone(),
            officer_ids: Some(officer.clone()),
            unit: Some(unit.clone()),
            start_us: start * 1_000_000,
            end_us: (start + k as i64 * SEGMENT_S) * 1_000_000,
            file_count: k as i64,
            recorded_s: recorded,
            missing_s: missing,
            finding_count,
            first_path,
            last_path,
            live: false,
        });
        if let Some(case_id) = case_id {
            let window = (local(start - 60), local(start + k as i64 * SEGMENT_S + 60));
            case_rows(
                &mut rng,
                &case_id,
                &dev,
                local(start).date(),
                window,
                &mut out,
            );
        }
        s += 1;
    }
    out
}

/// One synthetic segment's facts, for [`synthetic_file`].
struct Segment<'a> {
    d: u64,
    dev: &'a str,
    unit: &'a str,
    officer: &'a str,
    run_id: &'a str,
    now_us: i64,
    seq: u64,
    t: i64,
    dur: f64,
    lt: chrono::NaiveDateTime,
    name: &'a str,
    rel: String,
    path: &'a str,
    status: &'a str,
    kind: &'a str,
    blake3: &'a str,
    size: i64,
    session_id: &'a str,
    case_id: Option<&'a str>,
    inode: i64,
}

/// The `files` row of one synthetic segment, as a scan of a recorder's file would fill it.
fn synthetic_file(g: &Segment) -> FileRow {
    let (d, t, dur, kind, status) = (g.d, g.t, g.dur, g.kind, g.status);
    FileRow {
        run_id: g.run_id.to_string(),
        path: g.path.to_string(),
        path_bytes: g.path.as_bytes().to_vec(),
        root: "/evidence".into(),
        rel_path: g.rel.clone(),
        file_name: g.name.to_string(),
        extension: "mp4".into(),
        size_bytes: g.size,
        mtime_us: Some((t + dur as i64) * 1_000_000),
        fs_dev: Some(2049),
        fs_inode: Some(g.inode),
        blake3: Some(g.blake3.to_string()),
        status: status.into(),
        error: (status != "ok").then(|| "moov box extends past the end of the file".into()),
        read_method: Some("read".into()),
        container: Some("mp4".into()),
        extension_matches: Some(true),
        media_kind: Some(kind.into()),
        major_brand: Some("isom".into()),
        duration_s: (kind != "photo").then_some(dur),
        creation_time_us: Some(t * 1_000_000),
        creation_time_basis: Some("utc".into()),
        encoder: Some("DSJ firmware 2.1".into()),
        video_codec: (kind == "video").then(|| "h264".into()),
        width: (kind == "video").then_some(1920),
        height: (kind == "video").then_some(1080),
        frame_rate: (kind == "video").then_some(25.0),
        audio_codec: (kind != "photo").then(|| "aac".into()),
        gps_lat: Some(30.0 + (d % 100) as f64 * 0.01),
        gps_lon: Some(120.0 + (d % 100) as f64 * 0.01),
        device_id: Some(g.dev.to_string()),
        officer_id: Some(g.officer.to_string()),
        unit: Some(g.unit.to_string()),
        name_time_us: Some(t * 1_000_000),
        name_time_raw: Some(g.lt.format("%Y%m%d%H%M%S").to_string()),
        segment_seq: Some(g.seq as i32),
        path_pattern: Some("device_officer_datetime_seq".into()),
        session_id: Some(g.session_id.to_string()),
        case_ids: g.case_id.map(str::to_string),
        first_seen_us: Some((t + 86_400) * 1_000_000),
        last_seen_us: Some(g.now_us),
        last_verified_us: Some(g.now_us),
        upload_time_us: Some((t + 20 * 3600) * 1_000_000),
        upload_time_source: Some("ingest_log".into()),
        retention_class: Some("standard".into()),
        keep_until_us: Some((t + 2 * 366 * 86_400) * 1_000_000),
        ..Default::default()
    }
}

/// A finding on the file `f` (recorded at `t`), its rule drawn from the realistic mix.
fn synthetic_finding(rng: &mut Rng, run_id: &str, f: &FileRow, t: i64) -> Option<FindingRow> {
    let mut pick = rng.range(0, 999);
    let rule = FINDING_MIX
        .iter()
        .find(|(_, share)| {
            if pick < *share {
                true
            } else {
                pick -= share;
                false
            }
        })
        .map_or("CONT-GAP", |(r, _)| r);
    let r = rule_by_id(rule)?;
    let magnitude = rng.range(1, 120) as f64;
    Some(FindingRow {
        run_id: run_id.to_string(),
        finding_id: format!("F{:016x}", rng.next()),
        kind: r.kind.into(),
        severity: r.severity.name().into(),
        rule_id: r.id.into(),
        article: r.article.into(),
        article_gloss: r.gloss.into(),
        message: format!("{}: {magnitude:.0} s", r.what),
        path: Some(f.path.clone()),
        session_id: f.session_id.clone(),
        device_id: f.device_id.clone(),
        officer_id: f.officer_id.clone(),
        unit: f.unit.clone(),
        at_us: Some(t * 1_000_000),
        offset_s: None,
        magnitude_s: Some(magnitude),
        details: "{}".into(),
        case_id: None,
    })
}

/// The `cases` and `case_media` lines (CSV) of a session's case: the device's footage from a
/// minute before to a minute after the session (`window`, local times).
fn case_rows(
    rng: &mut Rng,
    case_id: &str,
    dev: &str,
    opened: chrono::NaiveDate,
    window: (chrono::NaiveDateTime, chrono::NaiveDateTime),
    out: &mut DeviceRows,
) {
    let kind = CASE_KINDS[rng.range(0, 3) as usize];
    let ent = rng.range(0, 19_999);
    let closed = opened + chrono::Duration::days(rng.range(0, 60) as i64);
    let conf = rng.range(0, 99) < 2;
    let haz = rng.range(0, 9) == 0;
    let long = if rng.range(0, 99) < 5 { "dispute" } else { "" };
    out.cases.push(format!(
        "{case_id},{kind},企业{ent:05}有限公司,91{ent:016}X,{},{opened},{closed},站点{ent},{haz},{long},{conf},false,",
        INDUSTRIES[(ent % 6) as usize]
    ));
    out.case_media.push(format!(
        "{case_id},{dev},{},{}",
        window.0.format("%Y-%m-%d %H:%M:%S"),
        window.1.format("%Y-%m-%d %H:%M:%S")
    ));
}

/// The context tables of the synthetic catalogue: written as CSV, checked and typed by the
/// context loader, stored as Parquet in `OUT/context` (what a bureau at this scale would keep).
fn write_context(
    out: &Path,
    devices: u64,
    cases: Vec<String>,
    case_media: Vec<String>,
) -> Result<(), CatalogError> {
    let ctx = out.join("context");
    let csv_dir = out.join(".context-csv");
    std::fs::create_dir_all(&ctx).map_err(io(&ctx))?;
    std::fs::create_dir_all(&csv_dir).map_err(io(&csv_dir))?;
    let mut devices_csv =
        vec!["device_id,unit,model,explosion_proof,commissioned,retired".to_string()];
    for d in 0..devices {
        devices_csv.push(format!(
            "{},{},DSJ-S{},{},2023-06-01,",
            device_name(d),
            unit_name((d as usize) % UNITS),
            d % 97,
            d % 3 == 0
        ));
    }
    let mut officers_csv = vec!["officer_id,name,unit,active".to_string()];
    for o in 0..devices * 2 {
        officers_csv.push(format!(
            "OF{o:05},执法员{o:05},{},true",
            unit_name(((o / 2) as usize) % UNITS)
        ));
    }
    for (name, lines) in [
        ("devices", devices_csv),
        ("officers", officers_csv),
        ("cases", cases),
        ("case_media", case_media),
    ] {
        let p = csv_dir.join(format!("{name}.csv"));
        std::fs::write(&p, lines.join("\n") + "\n").map_err(io(&p))?;
    }
    for (name, loaded) in context::load(Some(&csv_dir), chrono_tz::Asia::Shanghai)? {
        if let Loaded::Batch(b) = loaded
            && b.num_rows() > 0
            && ["devices", "officers", "cases", "case_media"].contains(&name)
        {
            store::write_parquet_file(&ctx.join(format!("{name}.parquet")), &b)?;
        }
    }
    std::fs::remove_dir_all(&csv_dir).map_err(io(&csv_dir))?;
    Ok(())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CatalogError + '_ {
    move |source| CatalogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub fn generate_catalog(plan: &CatalogPlan) -> Result<CatalogSummary, CatalogError> {
    if plan.files == 0 || plan.findings > plan.files {
        return Err(CatalogError::Invalid(
            "--files must be positive and --findings at most --files".into(),
        ));
    }
    let now_us = chrono::Utc::now().timestamp_micros();
    let run_id = format!("synthetic-{}", plan.seed);
    let devices = plan.files.div_ceil(FILES_PER_DEVICE).max(1);
    let per_mille = (plan.findings * 1000).div_ceil(plan.files);
    let wh = Warehouse::open(&plan.out)?;
    let mut staging = wh.stage(&run_id)?;
    staging.expect_rows(plan.files as usize);
    let mut files_w = staging.writer(
        "files",
        "part-00000.parquet",
        store::files_batch(&[])?.schema(),
    )?;
    let mut sess_w = staging.writer(
        "sessions",
        "part-00000.parquet",
        store::sessions_batch(&[])?.schema(),
    )?;
    let mut find_w = staging.writer(
        "findings",
        "part-00000.parquet",
        store::findings_batch(&[])?.schema(),
    )?;
    let mut cust_w = staging.writer(
        "custody_events",
        &format!("run-{run_id}.parquet"),
        store::custody_batch(&[])?.schema(),
    )?;
    staging.write("streams", "part-00000.parquet", &store::streams_batch(&[])?)?;
    let mut sum = CatalogSummary {
        devices,
        officers: devices * 2,
        ..Default::default()
    };
    let mut cases = vec!["case_id,kind,enterprise,credit_code,industry,opened,closed,site,hazardous_site,long_term_reason,confidential,special_circumstances,archived".to_string()];
    let mut case_media = vec!["case_id,device_id,from,to".to_string()];
    // Devices in groups written as row groups of at most ~64k rows; each group built in parallel.
    let group = 12u64;
    let mut d0 = 0;
    while d0 < devices {
        let d1 = (d0 + group).min(devices);
        let parts: Vec<DeviceRows> = (d0..d1)
            .into_par_iter()
            .map(|d| {
                let n = FILES_PER_DEVICE.min(plan.files - d * FILES_PER_DEVICE);
                device_rows(d, n, per_mille, plan.seed, &run_id, now_us)
            })
            .collect();
        for p in parts {
            sum.files += p.files.len() as u64;
            sum.sessions += p.sessions.len() as u64;
            sum.findings += p.findings.len() as u64;
            sum.cases += p.cases.len() as u64;
            files_w.write(&store::files_batch(&p.files)?)?;
            sess_w.write(&store::sessions_batch(&p.sessions)?)?;
            find_w.write(&store::findings_batch(&p.findings)?)?;
            cust_w.write(&store::custody_batch(&p.custody)?)?;
            cases.extend(p.cases);
            case_media.extend(p.case_media);
        }
        d0 = d1;
    }
    files_w.finish()?;
    sess_w.finish()?;
    find_w.finish()?;
    cust_w.finish()?;
    let run = RunRow {
        run_id: run_id.clone(),
        started_us: now_us,
        finished_us: now_us,
        roots: vec!["/evidence".into()],
        files: sum.files as i64,
        sessions: sum.sessions as i64,
        recaudit_version: env!("CARGO_PKG_VERSION").into(),
        settings: "{\"synthetic\": true}".into(),
        mode: "synthetic".into(),
        ..Default::default()
    };
    staging.write(
        "runs",
        &format!("run-{run_id}.parquet"),
        &store::runs_batch(&[run])?,
    )?;
    let base = wh.check_chain(crate::chain::Depth::Cheap { budget: 0 }, false, &run_id, 0)?;
    let seal = crate::chain::write::Seal {
        command: "scan",
        settings: serde_json::json!({ "synthetic": true }),
        key: None,
    };
    wh.commit(staging, &base, &seal)?;
    write_context(&plan.out, devices, cases, case_media)?;
    Ok(sum)
}
