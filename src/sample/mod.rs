//! `recaudit sample`: a synthetic evidence tree of recorder-like MP4 segments, for benchmarks
//! and demos. Each file is real ISO BMFF, laid out as recorders write it (`ftyp`, `mdat`, then
//! `moov`), with an H.264 video track whose parameter sets are valid and an AAC audio track;
//! the sample payload is pseudo-random bytes (it does not decode, but every structure around it
//! does). Segments of one session follow each other exactly, the last is shorter, and segment
//! numbers restart with each session, as on real recorders.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone};
use rayon::prelude::*;

pub(crate) mod boxes;

use boxes::{AAC_FRAME, AUDIO_PER_CHUNK, AUDIO_RATE, Moov, bx, moov, parameter_sets};

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid sample settings: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct SamplePlan {
    pub out: PathBuf,
    pub devices: u32,
    pub hours: f64,
    /// Days the hours are spread over (each day's recording starts about 08:00).
    pub days: u32,
    pub seed: u64,
    pub segment_seconds: u32,
    pub bitrate_kbps: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Fixed session length in seconds; `None` draws 10 to 40 minutes per session.
    pub session_seconds: Option<u32>,
    /// Also write context tables for the deadline rules into this folder: `ingest_log.csv`
    /// (each segment uploaded an hour after it ends) and `media_notes.csv` (described the day
    /// after), paths relative to `out`.
    pub context_out: Option<PathBuf>,
    /// Leave the sample payload as a hole (a sparse file): full-size recordings that take no
    /// disk space, for benchmarks at realistic file sizes. Structure and metadata are complete.
    pub sparse: bool,
}

#[derive(Debug, Default, Clone)]
pub struct SampleSummary {
    pub files: u64,
    pub bytes: u64,
    pub sessions: u64,
}

/// splitmix64: small, fast, reproducible from a seed.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1).max(1)
    }
}

struct Segment {
    path: PathBuf,
    start_utc: i64,
    seconds: u32,
    seed: u64,
}

const UNITS: [&str; 3] = ["执法一大队", "执法二大队", "危化监察科"];

pub fn generate(plan: &SamplePlan) -> Result<SampleSummary, SampleError> {
    if plan.devices == 0
        || plan.segment_seconds == 0
        || plan.fps == 0
        || plan.width < 16
        || plan.height < 16
        || plan.hours.is_nan()
        || plan.hours <= 0.0
        || plan.days == 0
        || plan.days > 3660
    {
        return Err(SampleError::Invalid(
            "devices, hours, days (at most 3660), segment length, fps must be positive; width and height at least 16"
                .into(),
        ));
    }
    if plan.width > 8192 || plan.height > 8192 || plan.fps > 240 {
        return Err(SampleError::Invalid(
            "width/height at most 8192, fps at most 240".into(),
        ));
    }
    let tz = chrono_tz::Asia::Shanghai;
    let mut rng = Rng(plan.seed);
    let mut segs = Vec::new();
    let mut days_of: Vec<DeviceDay> = Vec::new();
    let mut summary = SampleSummary::default();
    let base = NaiveDate::from_ymd_opt(2026, 3, 12)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .ok_or_else(|| SampleError::Invalid("date".into()))?;
    let per_day = ((plan.hours * 3600.0) as i64 / i64::from(plan.days)).max(1);
    for d in 0..plan.devices {
        let device = format!("DSJ-A8-{:07}", 1_200 + d);
        let officer = officer_of(d);
        let unit = UNITS[d as usize % UNITS.len()];
        for day in 0..plan.days {
            let mut t = tz
                .from_local_datetime(&(base + chrono::Duration::days(i64::from(day))))
                .earliest()
                .map(|x| x.timestamp())
                .unwrap_or(0)
                + rng.range(0, 1800) as i64;
            let mut left = per_day;
            let first_seg = segs.len();
            while left > 0 {
                // A session of 10 to 40 minutes (or what is left), then a pause of 15 to 90 minutes.
                let drawn = rng.range(600, 2400) as i64;
                let len = plan
                    .session_seconds
                    .map_or(drawn, i64::from)
                    .min(left)
                    .max(1);
                summary.sessions += 1;
                let mut off = 0i64;
                let mut seq = 1u32;
                while off < len {
                    let secs = (len - off).min(i64::from(plan.segment_seconds)) as u32;
                    let start = t + off;
                    let local = tz
                        .timestamp_opt(start, 0)
                        .single()
                        .map(|x| x.naive_local())
                        .unwrap_or(base);
                    let stamp = local.format("%Y%m%d%H%M%S").to_string();
                    let day = local.format("%Y%m%d").to_string();
                    let path = plan
                        .out
                        .join(unit)
                        .join(&device)
                        .join(day)
                        .join(format!("{device}_{officer}_{stamp}_{seq:04}.MP4"));
                    segs.push(Segment {
                        path,
                        start_utc: start,
                        seconds: secs,
                        seed: rng.next(),
                    });
                    off += i64::from(secs);
                    seq += 1;
                }
                left -= len;
                t += len + rng.range(900, 5400) as i64;
            }
            if segs.len() > first_seg {
                days_of.push(DeviceDay {
                    device: d,
                    day,
                    first: segs[first_seg].start_utc,
                    last: segs
                        .last()
                        .map_or(0, |s| s.start_utc + i64::from(s.seconds)),
                });
            }
        }
    }
    // One pseudo-random block shared by all payloads (content does not matter to a hasher).
    let mut block = vec![0u8; 1 << 20];
    let mut r = Rng(plan.seed ^ 0xA5A5);
    for c in block.chunks_mut(8) {
        let v = r.next().to_le_bytes();
        c.copy_from_slice(&v[..c.len()]);
    }
    let sizes: Result<Vec<u64>, SampleError> = segs
        .par_iter()
        .map(|s| write_segment(s, plan, &block))
        .collect();
    let sizes = sizes?;
    if let Some(dir) = &plan.context_out {
        let local = |t: i64| {
            tz.timestamp_opt(t, 0)
                .single()
                .map(|x| x.naive_local().format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default()
        };
        let mut log = String::from("path,uploaded\n");
        let mut notes = String::from("path,category,description,described_at\n");
        for (k, sg) in segs.iter().enumerate() {
            let rel = sg
                .path
                .strip_prefix(&plan.out)
                .unwrap_or(&sg.path)
                .display();
            let end = sg.start_utc + i64::from(sg.seconds);
            log.push_str(&format!("{rel},{}\n", local(end + 3600)));
            // A session's first segment shows the arrival, its last the close: the moments of
            // an inspection (第七条(二)), in the bureau's words.
            let first = sg.path.to_string_lossy().ends_with("_0001.MP4");
            let last = segs
                .get(k + 1)
                .is_none_or(|n| n.path.to_string_lossy().ends_with("_0001.MP4"));
            let category = match (first, last) {
                (true, true) => {
                    "单位标识；介绍执法目的；告知权利义务；现场检查；交换意见；签字确认"
                }
                (true, false) => "单位标识；介绍执法目的；告知权利义务",
                (false, true) => "交换意见；签字确认",
                (false, false) => "现场检查",
            };
            notes.push_str(&format!(
                "{rel},{category},synthetic recording,{}\n",
                local(end + 86_400)
            ));
        }
        fs::create_dir_all(dir).map_err(|source| SampleError::Io {
            path: dir.clone(),
            source,
        })?;
        let (devices, officers, cases, case_media) = registry(plan, &days_of, &local);
        for (name, text) in [
            ("ingest_log.csv", log),
            ("media_notes.csv", notes),
            ("devices.csv", devices),
            ("officers.csv", officers),
            ("cases.csv", cases),
            ("case_media.csv", case_media),
        ] {
            let p = dir.join(name);
            fs::write(&p, text).map_err(|source| SampleError::Io { path: p, source })?;
        }
    }
    summary.files = sizes.len() as u64;
    summary.bytes = sizes.iter().sum();
    Ok(summary)
}

/// The officer who carries recorder `d`.
fn officer_of(d: u32) -> String {
    format!("OF{}", 1_000 + d * 7 % 97)
}

/// A recorder's recording day: its first start and last end (UTC seconds).
struct DeviceDay {
    device: u32,
    day: u32,
    first: i64,
    last: i64,
}

/// The registries and cases of the context folder: every recorder and officer (with a few
/// officers more than recorders in one unit, so that 第十五条's ratio is not met everywhere),
/// a case on every fifth recording day of each recorder (kinds in turn; cases of the first
/// days closed and archived, later ones open), and one case no recording is linked to.
fn registry(
    plan: &SamplePlan,
    days: &[DeviceDay],
    local: &dyn Fn(i64) -> String,
) -> (String, String, String, String) {
    let mut devices = String::from("device_id,unit,model,explosion_proof,commissioned\n");
    let mut officers = String::from("officer_id,name,unit,active\n");
    let mut seen = std::collections::HashSet::new();
    for d in 0..plan.devices {
        let unit = UNITS[d as usize % UNITS.len()];
        devices.push_str(&format!(
            "DSJ-A8-{:07},{unit},DSJ-A8,{},2025-01-01\n",
            1_200 + d,
            d % 2 == 0 && unit == "危化监察科"
        ));
        let o = officer_of(d);
        if seen.insert(o.clone()) {
            officers.push_str(&format!("{o},执法员{},{unit},true\n", d + 1));
        }
        // A partner officer in the same unit: two officers per recorder meets the ratio.
        let partner = format!("OF{}", 5_000 + d);
        officers.push_str(&format!("{partner},协管员{},{unit},true\n", d + 1));
    }
    // One unit with more officers than its recorders cover.
    for k in 0..3 {
        officers.push_str(&format!(
            "OF{},新进人员{},{},true\n",
            9_000 + k,
            k + 1,
            UNITS[2]
        ));
    }
    let kinds = ["inspection", "penalty", "inspection", "coercion", "permit"];
    let mut cases = String::from(
        "case_id,kind,enterprise,credit_code,industry,opened,closed,site,hazardous_site,long_term_reason,confidential,special_circumstances,archived\n",
    );
    let mut media = String::from("case_id,device_id,from,to\n");
    let base = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap_or_default();
    let mut n = 0u32;
    for dd in days.iter().filter(|dd| (dd.day + dd.device) % 5 == 0) {
        n += 1;
        let id = format!("SJ-2026-{n:04}");
        let kind = kinds[n as usize % kinds.len()];
        let opened = base + chrono::Duration::days(i64::from(dd.day));
        let (closed, archived) = if dd.day + 10 < plan.days {
            (
                (opened + chrono::Duration::days(5)).to_string(),
                (opened + chrono::Duration::days(12)).to_string(),
            )
        } else {
            (String::new(), String::new())
        };
        cases.push_str(&format!(
            "{id},{kind},样例企业{n}有限公司,91330000MA{n:08},{},{opened},{closed},样例园区{n}号,{},,false,false,{archived}\n",
            if kind == "permit" { "烟花爆竹" } else { "危险化学品" },
            n.is_multiple_of(7)
        ));
        media.push_str(&format!(
            "{id},DSJ-A8-{:07},{},{}\n",
            1_200 + dd.device,
            local(dd.first - 60),
            local(dd.last + 60)
        ));
    }
    n += 1;
    cases.push_str(&format!(
        "SJ-2026-{n:04},penalty,无记录企业有限公司,91330000MA{n:08},非煤矿山,{base},,某矿区,false,,false,false,\n"
    ));
    (devices, officers, cases, media)
}

fn write_segment(seg: &Segment, plan: &SamplePlan, block: &[u8]) -> Result<u64, SampleError> {
    let io = |source| SampleError::Io {
        path: seg.path.clone(),
        source,
    };
    if let Some(d) = seg.path.parent() {
        fs::create_dir_all(d).map_err(io)?;
    }
    let fps = plan.fps;
    let frames = seg.seconds * fps;
    let (vsizes, asizes) = sample_sizes(seg, plan);
    let f = File::create(&seg.path).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let ftyp = bx(
        b"ftyp",
        &[b"isom", &512u32.to_be_bytes(), b"isomiso2avc1mp41"],
    );
    w.write_all(&ftyp).map_err(io)?;
    let start = ftyp.len() as u64;
    let (voff, aoff, pos, large) = write_mdat(&mut w, &vsizes, &asizes, seg, plan, block, start)?;
    let created = (seg.start_utc + crate::media::bmff::EPOCH_1904) as u32;
    let vts = 90_000u32;
    let vdur = u64::from(frames) * u64::from(vts / fps);
    let movie_ms = u64::from(seg.seconds) * 1000;
    let (sps, pps) = parameter_sets(plan.width, plan.height);
    let moov = moov(&Moov {
        created,
        movie_ms,
        width: plan.width,
        height: plan.height,
        vts,
        vdelta: vts / fps,
        vdur,
        vsizes: &vsizes,
        fps,
        voff: &voff,
        asizes: &asizes,
        aoff: &aoff,
        sps: &sps,
        pps: &pps,
        large,
    });
    w.write_all(&moov).map_err(io)?;
    w.flush().map_err(io)?;
    Ok(pos + moov.len() as u64)
}

/// Sample sizes of a segment: video frames about the bitrate (keyframes three times larger),
/// AAC frames of 40-90 bytes.
fn sample_sizes(seg: &Segment, plan: &SamplePlan) -> (Vec<u32>, Vec<u32>) {
    let mut rng = Rng(seg.seed);
    let fps = plan.fps;
    let frames = seg.seconds * fps;
    let frame_bytes = (u64::from(plan.bitrate_kbps) * 1000 / 8 / u64::from(fps)).max(64);
    let vsizes: Vec<u32> = (0..frames)
        .map(|i| {
            let base = if i % fps == 0 {
                frame_bytes * 3
            } else {
                frame_bytes * 9 / 10
            };
            (base + rng.range(0, base / 5)) as u32
        })
        .collect();
    let aframes =
        (u64::from(seg.seconds) * u64::from(AUDIO_RATE)).div_ceil(u64::from(AAC_FRAME)) as u32;
    let asizes: Vec<u32> = (0..aframes).map(|_| rng.range(40, 90) as u32).collect();

    (vsizes, asizes)
}

/// Writes `mdat` (its header and the samples, a second of video then its audio, in turn; or
/// only the header and a hole with `--sparse`) at `pos`. Returns the chunk offsets of video and
/// audio, the position after `mdat`, and whether it needed a 64-bit size.
fn write_mdat(
    w: &mut BufWriter<File>,
    vsizes: &[u32],
    asizes: &[u32],
    seg: &Segment,
    plan: &SamplePlan,
    block: &[u8],
    mut pos: u64,
) -> Result<(Vec<u64>, Vec<u64>, u64, bool), SampleError> {
    let io = |source| SampleError::Io {
        path: seg.path.clone(),
        source,
    };
    let fps = plan.fps;
    let vchunks: Vec<&[u32]> = vsizes.chunks(fps as usize).collect();
    let achunks: Vec<&[u32]> = asizes.chunks(AUDIO_PER_CHUNK as usize).collect();
    let payload: u64 = vsizes
        .iter()
        .chain(asizes.iter())
        .map(|&x| u64::from(x))
        .sum();
    let large = payload + 16 > u64::from(u32::MAX);
    if large {
        w.write_all(&1u32.to_be_bytes()).map_err(io)?;
        w.write_all(b"mdat").map_err(io)?;
        w.write_all(&(payload + 16).to_be_bytes()).map_err(io)?;
        pos += 16;
    } else {
        w.write_all(&((payload + 8) as u32).to_be_bytes())
            .map_err(io)?;
        w.write_all(b"mdat").map_err(io)?;
        pos += 8;
    }
    let mut voff = Vec::with_capacity(vchunks.len());
    let mut aoff = Vec::with_capacity(achunks.len());
    let mut cursor = (seg.seed as usize) % block.len();
    // Each video sample is one length-prefixed NAL unit of type 12 (filler data), which decoders
    // skip, so players and ffprobe read the file without decoding errors.
    let mut emit = |sizes: &[u32],
                    video: bool,
                    w: &mut BufWriter<File>,
                    pos: &mut u64|
     -> Result<(), SampleError> {
        for &s in sizes {
            let mut left = s as usize;
            if video && s > 5 {
                w.write_all(&(s - 4).to_be_bytes()).map_err(io)?;
                w.write_all(&[0x0C]).map_err(io)?;
                left -= 5;
            }
            while left > 0 {
                let n = left.min(block.len() - cursor);
                w.write_all(&block[cursor..cursor + n]).map_err(io)?;
                cursor = (cursor + n) % block.len();
                left -= n;
            }
            *pos += u64::from(s);
        }
        Ok(())
    };
    if plan.sparse {
        let skip = |sizes: &[u32], pos: &mut u64| {
            *pos += sizes.iter().map(|&x| u64::from(x)).sum::<u64>();
        };
        for i in 0..vchunks.len().max(achunks.len()) {
            if let Some(c) = vchunks.get(i) {
                voff.push(pos);
                skip(c, &mut pos);
            }
            if let Some(c) = achunks.get(i) {
                aoff.push(pos);
                skip(c, &mut pos);
            }
        }
        use std::io::Seek;
        w.seek(std::io::SeekFrom::Start(pos)).map_err(io)?;
    } else {
        for i in 0..vchunks.len().max(achunks.len()) {
            if let Some(c) = vchunks.get(i) {
                voff.push(pos);
                emit(c, true, w, &mut pos)?;
            }
            if let Some(c) = achunks.get(i) {
                aoff.push(pos);
                emit(c, false, w, &mut pos)?;
            }
        }
    }
    Ok((voff, aoff, pos, large))
}
