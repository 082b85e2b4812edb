//! Findings accuracy on a labelled corpus of real encoder-made files
//! (`tests/fixtures/labelled`, built by `make-labelled.sh`, plus `sample-data/evidence`):
//! a positive case for every kind and look-alike negatives (other segment lengths, a session
//! over midnight, creation times in local time or at the end of the recording, fragmented MP4,
//! MPEG-TS, WAV, JPEG; a video recorder's voice-mode audio and photos, a crash-safe fragmented
//! segment among regular ones, a model without edit lists, a muted segment; a firmware update
//! and a container change, which are `firmware_change` information only). Precision and recall
//! must be 1.0 for every kind.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::sync::OnceLock;

use crate::util::*;

const KINDS: &[&str] = &[
    "gap",
    "live_gap",
    "missing_segment",
    "overlap",
    "internal_discontinuity",
    "inserted_footage",
    "reencoded",
    "clock_reset",
    "time_mismatch",
    "missing_timestamp",
    "missing_metadata",
    "unreadable",
    "duplicate_content",
    "firmware_change",
    "capture_stall",
    "rate_change",
];

fn labelled() -> std::path::PathBuf {
    project().join("tests").join("fixtures").join("labelled")
}

/// The scanned corpus: its temp dir, and the findings, sessions and files tables.
type Scanned = (crate::util::Shared, Vec<Row>, Vec<Row>, Vec<Row>);

fn scanned() -> &'static Scanned {
    static S: OnceLock<Scanned> = OnceLock::new();
    S.get_or_init(|| {
        let t = crate::util::shared_tmp("findings");
        let wh = t.path().join("wh");
        scan(
            &[&sample_data(), &labelled()],
            &wh,
            &["--config", &no_birth_time()],
        );
        (
            t,
            rows(&wh.join("findings")),
            rows(&wh.join("sessions")),
            rows(&wh.join("files")),
        )
    })
}

#[test]
fn precision_and_recall_are_one_for_every_kind() {
    let text = fs::read_to_string(labelled().join("labels.csv")).expect("labels.csv");
    let want: BTreeSet<(String, String)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (k, f) = l.split_once(',').expect("kind,file_name");
            (k.to_string(), f.to_string())
        })
        .collect();
    let got: BTreeSet<(String, String)> = scanned()
        .1
        .iter()
        .map(|r| {
            let path = get(r, "path").expect("every finding here concerns a file");
            (
                get(r, "kind").expect("kind").to_string(),
                path.rsplit('/').next().unwrap_or(path).to_string(),
            )
        })
        .collect();
    let mut table = BTreeMap::new();
    for k in KINDS {
        let w: BTreeSet<_> = want.iter().filter(|(kind, _)| kind == k).collect();
        let g: BTreeSet<_> = got.iter().filter(|(kind, _)| kind == k).collect();
        assert!(!w.is_empty(), "the corpus has no positive case of {k}");
        let tp = w.intersection(&g).count() as f64;
        let precision = if g.is_empty() {
            0.0
        } else {
            tp / g.len() as f64
        };
        let recall = tp / w.len() as f64;
        table.insert(
            *k,
            (
                precision,
                recall,
                g.difference(&w).cloned().collect::<Vec<_>>(),
                w.difference(&g).cloned().collect::<Vec<_>>(),
            ),
        );
    }
    let bad: Vec<_> = table
        .iter()
        .filter(|(_, (p, r, _, _))| *p < 1.0 || *r < 1.0)
        .collect();
    assert!(
        bad.is_empty(),
        "per kind (precision, recall, false positives, missed): {bad:#?}"
    );
    assert!(
        got.iter().all(|(k, _)| KINDS.contains(&k.as_str())),
        "only documented kinds: {got:?}"
    );
}

#[test]
fn findings_carry_articles_and_magnitudes() {
    let f = &scanned().1;
    let find = |kind: &str, name: &str| {
        f.iter()
            .find(|r| {
                get(r, "kind") == Some(kind) && get(r, "path").is_some_and(|p| p.ends_with(name))
            })
            .unwrap_or_else(|| panic!("no {kind} for {name}"))
    };
    let gap = find("gap", "GAP-01_OF2001_20260312100010_0002.MP4");
    assert_eq!(get(gap, "article"), Some("第十二条(五)"));
    assert_eq!(get(gap, "severity"), Some("high"));
    assert_eq!(get(gap, "rule_id"), Some("CONT-GAP"));
    assert!((num(gap, "magnitude_s") - 4.0).abs() < 0.1, "{gap:?}");
    assert_eq!(
        get(gap, "at"),
        Some(utc_us("2026-03-12 02:00:06").to_string().as_str())
    );
    assert_eq!(get(gap, "session_id"), Some("GAP-01@20260312T020000Z"));
    assert!(get(gap, "message").is_some_and(|m| m.contains("4.0 s gap")));
    let miss = find("missing_segment", "MIS-01_OF2002_20260312100012_0003.MP4");
    assert!((num(miss, "magnitude_s") - 6.0).abs() < 0.1);
    let ovl = find("overlap", "OVL-01_OF2003_20260312100003_0002.MP4");
    assert!((num(ovl, "magnitude_s") - 3.0).abs() < 0.1);
    let jump = find(
        "internal_discontinuity",
        "JMP-01_OF2004_20260312100000_0001.MP4",
    );
    assert!((num(jump, "magnitude_s") - 4.6).abs() < 0.2, "{jump:?}");
    assert!((num(jump, "offset_s") - 3.2).abs() < 0.2, "{jump:?}");
    // A cut out of picture and sound alike is an accusation; the picture standing still
    // while the sound runs on is the recorder's stall, said as information.
    let cut = find(
        "internal_discontinuity",
        "CUT-01_OF2019_20260312100000_0001.MP4",
    );
    assert_eq!(get(cut, "rule_id"), Some("TIME-SAMPLES"));
    assert_eq!(get(cut, "severity"), Some("high"));
    assert!((num(cut, "magnitude_s") - 2.0).abs() < 0.2, "{cut:?}");
    let stall = find("capture_stall", "STL-01_OF2018_20260312100000_0001.MP4");
    assert_eq!(get(stall, "rule_id"), Some("TIME-STALL"));
    assert_eq!(get(stall, "severity"), Some("info"));
    assert_eq!(get(stall, "article"), Some("第十二条(五)"));
    assert!((num(stall, "magnitude_s") - 0.9).abs() < 0.05, "{stall:?}");
    // (in decoding order: the encoder's B-frames put the long step a picture or two on)
    assert!((num(stall, "offset_s") - 3.0).abs() < 0.25, "{stall:?}");
    // Without sound nothing runs beside the picture: a jump after its first picture alone is
    // the recorder starting (information), a jump further in (JMP-01 above) stays a cut.
    for name in [
        "STL-02_OF2020_20260312100000_0001.MP4",
        "STL-02_OF2020_20260312110000_0001.TS",
    ] {
        let start = find("capture_stall", name);
        assert_eq!(get(start, "rule_id"), Some("TIME-STALL"));
        assert_eq!(get(start, "severity"), Some("info"));
        assert!((num(start, "magnitude_s") - 0.8).abs() < 0.05, "{start:?}");
        assert_eq!(num(start, "offset_s"), 0.0, "{start:?}");
        assert!(get(start, "details").is_some_and(|d| d.contains("\"after_first_sample\":true")));
    }
    assert_eq!(get(jump, "rule_id"), Some("TIME-SAMPLES"));
    assert_eq!(get(jump, "severity"), Some("high"));
    // A recorder that froze, picture and sound together (FRZ-01), or whose capture stalled in
    // a recording without sound (STL-03), hands its encoder the next picture late: the
    // pictures either side are numbered one after the other, which no cut leaves (JMP-01 and
    // CUT-01 resume at a keyframe, as a copy of the stream after a cut must).
    for (name, jump_s, at_s) in [
        ("FRZ-01_OF2021_20260312100000_0001.MP4", 2.0, 2.0),
        ("FRZ-01_OF2021_20260312110000_0001.TS", 2.0, 2.0),
        ("FRZ-01_OF2021_20260312120000_0001.MP4", 2.0, 2.0),
        ("STL-03_OF2022_20260312100000_0001.MP4", 1.5, 3.1),
    ] {
        let stood = find("capture_stall", name);
        assert_eq!(get(stood, "rule_id"), Some("TIME-STALL"));
        assert_eq!(get(stood, "severity"), Some("info"));
        assert!(
            (num(stood, "magnitude_s") - jump_s).abs() < 0.1,
            "{stood:?}"
        );
        assert!((num(stood, "offset_s") - at_s).abs() < 0.25, "{stood:?}");
        assert!(get(stood, "details").is_some_and(|d| d.contains("\"coded_across\":true")));
    }
    let coded = |name: &str| get(file_row(name), "jump_coded_across").map(str::to_string);
    assert_eq!(
        coded("FRZ-01_OF2021_20260312100000_0001.MP4").as_deref(),
        Some("true")
    );
    // A fragmented file's pictures, found in its movie fragments.
    assert_eq!(
        coded("FRZ-01_OF2021_20260312120000_0001.MP4").as_deref(),
        Some("true")
    );
    assert_eq!(
        coded("JMP-01_OF2004_20260312100000_0001.MP4").as_deref(),
        Some("false")
    );
    assert_eq!(
        coded("CUT-01_OF2019_20260312100000_0001.MP4").as_deref(),
        Some("false")
    );
    // A transport stream's pictures around the jump, noted by the read as they went past.
    assert_eq!(
        coded("FRZ-01_OF2021_20260312110000_0001.TS").as_deref(),
        Some("true")
    );
    assert_eq!(
        coded("JMP-01_OF2004_20260312110000_0001.TS").as_deref(),
        Some("false")
    );
    // Not read: a file whose timestamps do not jump.
    assert_eq!(coded("GAP-01_OF2001_20260312100000_0001.MP4"), None);
    let tm = find("time_mismatch", "TMM-01_OF2010_20260312100000_0001.MP4");
    assert_eq!(get(tm, "article"), Some("第十二条(三)"));
    assert!((num(tm, "magnitude_s") - 10_800.0).abs() < 1.0);
    let un = find("unreadable", "TRN-01_OF2012_20260312100000_0001.MP4");
    assert_eq!(get(un, "article"), Some("第二十八条(四)"));
    for r in f {
        let d: serde_json::Value =
            serde_json::from_str(get(r, "details").expect("details")).expect("details is JSON");
        assert!(d.is_object());
        assert!(get(r, "finding_id").is_some_and(|i| i.starts_with('F') && i.len() == 17));
    }
}

/// The scanned corpus's `files` row of file `name`.
fn file_row(name: &str) -> &'static Row {
    scanned()
        .3
        .iter()
        .find(|r| get(r, "file_name") == Some(name))
        .unwrap_or_else(|| panic!("no row for {name}"))
}

#[test]
fn a_recorders_own_change_of_frame_rate_is_coded_across_but_footage_copied_in_is_not() {
    let (_, findings, _, _) = scanned();
    let row = file_row;
    let rule = |name: &str| -> Vec<&str> {
        findings
            .iter()
            .filter(|r| get(r, "path").is_some_and(|p| p.ends_with(name)))
            .filter_map(|r| get(r, "rule_id"))
            .filter(|id| id.contains("RATE"))
            .collect()
    };
    // Pictures dropped before the encoder, which numbers on across both edges: with B-frames
    // and sound, in HEVC, and with a keyframe on the stretch's last picture.
    for name in [
        "EAS-01_OF3023_20260312100000_0001.MP4",
        "EAS-02_OF3024_20260312100000_0001.MP4",
        "EAS-03_OF3025_20260312100000_0001.MP4",
    ] {
        assert_eq!(
            get(row(name), "stretch_coded_across"),
            Some("true"),
            "{name}"
        );
        assert_eq!(rule(name), ["TIME-RATE"], "{name}");
        let f = findings
            .iter()
            .find(|r| {
                get(r, "rule_id") == Some("TIME-RATE")
                    && get(r, "path").is_some_and(|p| p.ends_with(name))
            })
            .expect("TIME-RATE");
        assert_eq!(get(f, "severity"), Some("info"));
        assert_eq!(get(f, "article"), Some("第十二条(五)"));
        assert!(get(f, "details").is_some_and(|d| d.contains("\"coded_across\":true")));
    }
    // Footage copied in from another recording begins at a keyframe of its own: an IDR
    // picture, or (FRM-02) a keyframe of open groups of pictures numbered as its recording
    // numbered it.
    for name in [
        "FRM-01_OF2016_20260312100000_0001.MP4",
        "FRM-02_OF2023_20260312100000_0001.MP4",
    ] {
        assert_eq!(
            get(row(name), "stretch_coded_across"),
            Some("false"),
            "{name}"
        );
        assert_eq!(rule(name), ["INS-RATE"], "{name}");
    }
    // Not read: a file without a stretch.
    assert_eq!(
        get(
            row("GAP-01_OF2001_20260312100000_0001.MP4"),
            "stretch_coded_across"
        ),
        None
    );
}

#[test]
fn dahua_exports_are_read_frame_by_frame_and_judged_as_recordings() {
    let (_, findings, _, _) = scanned();
    let row = file_row;
    let first = row("NEG-DAV_OF3026_20260312100000_0001.DAV");
    let second = row("NEG-DAV_OF3026_20260312100004_0002.DAV");
    for r in [first, second] {
        assert_eq!(get(r, "status"), Some("ok"), "{r:?}");
        assert_eq!(get(r, "container"), Some("dav"));
        assert_eq!(get(r, "video_codec"), Some("h264"));
        assert_eq!(
            (get(r, "width"), get(r, "height")),
            (Some("160"), Some("120"))
        );
        assert_eq!(get(r, "frame_rate"), Some("25"));
        assert_eq!(get(r, "duration_s"), Some("4"));
        assert_eq!(get(r, "creation_time_source"), Some("dav:date"));
    }
    assert_eq!(get(first, "stream_count"), Some("2"));
    assert_eq!(get(second, "stream_count"), Some("1"));
    // One recording of two contiguous exports.
    assert!(get(first, "session_id").is_some());
    assert_eq!(get(first, "session_id"), get(second, "session_id"));
    // The export with two seconds of pictures left out: its times jump there.
    let cut = row("JMP-02_OF2024_20260312110000_0001.DAV");
    assert_eq!(get(cut, "max_jump_s"), Some("2"));
    // Resuming at a keyframe, as a copy of the stream after a cut must: not coded across.
    assert_eq!(get(cut, "jump_coded_across"), Some("false"));
    let jump = findings
        .iter()
        .find(|r| {
            get(r, "path").is_some_and(|p| p.ends_with("JMP-02_OF2024_20260312110000_0001.DAV"))
        })
        .expect("a finding");
    assert_eq!(get(jump, "rule_id"), Some("TIME-SAMPLES"));
    assert_eq!(get(jump, "severity"), Some("high"));
}

#[test]
fn a_live_streams_recordings_are_read_and_make_sessions_of_their_own() {
    let (_, findings, sessions, _) = scanned();
    let row = file_row;
    // Two contiguous pieces of a live stream, G.711 sound (before 2026-12-08 `unsupported`).
    let first = row("NEG-FLV_OF3028_20260312100000_0001.FLV");
    let second = row("NEG-FLV_OF3028_20260312100002_0002.FLV");
    for r in [first, second] {
        assert_eq!(get(r, "status"), Some("ok"), "{r:?}");
        assert_eq!(get(r, "container"), Some("flv"));
        assert_eq!(
            (get(r, "video_codec"), get(r, "audio_codec")),
            (Some("h264"), Some("pcm_alaw"))
        );
        assert_eq!(get(r, "frame_rate"), Some("10"));
        assert_eq!(get(r, "duration_s"), Some("2"));
    }
    assert!(get(first, "session_id").is_some());
    assert_eq!(get(first, "session_id"), get(second, "session_id"));
    // LIV-02: the card's two segments one session, the live pieces beside them another.
    let of = |device: &str| -> Vec<(Option<&str>, Option<&str>)> {
        let mut v: Vec<_> = sessions
            .iter()
            .filter(|r| get(r, "device_id") == Some(device))
            .map(|r| (get(r, "live"), get(r, "file_count")))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        of("LIV-02"),
        [(Some("false"), Some("2")), (Some("true"), Some("2"))]
    );
    assert_eq!(of("NEG-FLV"), [(Some("true"), Some("2"))]);
    // The hole between the pieces: CONT-LIVE, and nothing on the card's segments.
    let on = |name: &str| -> Vec<&str> {
        findings
            .iter()
            .filter(|r| get(r, "path").is_some_and(|p| p.ends_with(name)))
            .filter_map(|r| get(r, "rule_id"))
            .filter(|id| *id != "DL-UPLOAD")
            .collect()
    };
    assert_eq!(on("LIV-02_OF2026_20260312100004.FLV"), ["CONT-LIVE"]);
    assert!(on("LIV-02_OF2026_20260312100003_0002.MP4").is_empty());
}

#[test]
fn sessions_table_and_file_session_ids() {
    let (_, _, sessions, files) = scanned();
    let s = sessions
        .iter()
        .find(|r| get(r, "session_id") == Some("GAP-01@20260312T020000Z"))
        .expect("GAP-01 session");
    assert_eq!(get(s, "file_count"), Some("2"));
    assert_eq!(get(s, "officer_ids"), Some("OF2001"));
    assert!((num(s, "recorded_s") - 12.0).abs() < 0.2);
    assert!((num(s, "missing_s") - 4.0).abs() < 0.1);
    assert_eq!(get(s, "finding_count"), Some("1"));
    let mid = sessions
        .iter()
        .filter(|r| get(r, "device_id") == Some("NEG-MID"))
        .count();
    assert_eq!(mid, 1, "a session crossing midnight stays one session");
    assert_eq!(
        sessions
            .iter()
            .filter(|r| get(r, "device_id") == Some("NEG-PAU"))
            .count(),
        2
    );
    let a8: Vec<&Row> = files
        .iter()
        .filter(|r| {
            get(r, "device_id") == Some("DSJ-A8-0001234") && get(r, "media_kind") == Some("video")
        })
        .collect();
    assert_eq!(a8.len(), 3);
    assert!(
        a8.iter()
            .all(|r| get(r, "session_id") == Some("DSJ-A8-0001234@20260312T013015Z"))
    );
    // The photo was taken at 09:31:00, 30 s after the session's last segment ended.
    assert_eq!(
        get(
            by_name(files, "DSJ-A8-0001234_OF1023_20260312093100_0001.JPG"),
            "session_id"
        ),
        None
    );
    let loose = by_name(files, "现场 照片 1.jpg");
    assert_eq!(get(loose, "session_id"), None);
}

#[test]
fn findings_command_filters_and_formats() {
    let t = tmp();
    let wh = t.path().join("wh");
    scan(&[&labelled()], &wh, &["--config", &no_birth_time()]);
    let w = wh.to_string_lossy().to_string();
    let out = recaudit(&["findings", &w]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("单位 unit: 单位甲")
            && text.contains("记录仪 device: GAP-01")
            && text.contains("第十二条(五)"),
        "{text}"
    );
    let out = recaudit(&["findings", &w, "--kind", "gap", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), 1);
    assert_eq!(arr[0]["kind"], "gap");
    assert!(arr[0]["details"].is_object());
    let out = recaudit(&["findings", &w, "--severity", "high", "--format", "csv"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("finding_id,severity,kind"))
    );
    assert!(lines.clone().count() > 3 && lines.all(|l| l.contains(",high,")));
    let out = recaudit(&["findings", &w, "--device", "CLK-01", "--format", "csv"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert_eq!(
        recaudit(&["findings", &w, "--kind", "nonsense"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        recaudit(&["findings", &t.path().join("nowhere").to_string_lossy()])
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn fail_on_sets_the_exit_code_for_nightly_jobs() {
    let t = tmp();
    // Separate warehouses: a warehouse keeps the files of every root it was given.
    let wh = t.path().join("wh").to_string_lossy().to_string();
    let wh2 = t.path().join("wh2").to_string_lossy().to_string();
    let cfg = no_birth_time();
    let lab = labelled().to_string_lossy().to_string();
    let clean = sample_data()
        .join("执法二大队")
        .to_string_lossy()
        .to_string();
    let code = |args: &[&str]| recaudit(args).status.code();
    assert_eq!(
        code(&[
            "scan",
            &lab,
            "-w",
            &wh,
            "-q",
            "-c",
            &cfg,
            "--fail-on",
            "high"
        ]),
        Some(1)
    );
    assert_eq!(
        code(&[
            "scan",
            &clean,
            "-w",
            &wh2,
            "-q",
            "-c",
            &cfg,
            "--fail-on",
            "warn"
        ]),
        Some(0)
    );
    assert_eq!(
        code(&["scan", &clean, "-w", &wh2, "-q", "-c", &cfg]),
        Some(0)
    );
}

#[test]
fn voice_recordings_in_mp3_and_adts_aac_are_read_and_judged_as_recordings() {
    // A recorder whose voice mode writes MP3 (an ID3v2 tag and LAME's information frame first)
    // or ADTS AAC. Before 2026-12-07 such files were hashed but not parsed (`unsupported`): no
    // length, no session, no rule. Read now, two continuous segments are one session with
    // nothing to say, and the second moved 10 s later leaves a gap the continuity rule names.
    let (_t, root, wh, d) = evidence("DSJ-A0013");
    let voice = labelled().join("单位甲/NEG-MP3/20260312");
    for (from, to) in [
        (
            "NEG-MP3_OF3018_20260312151000_0001.MP3",
            "DSJ-A0013_OF001235_20260312100000_0001.MP3",
        ),
        (
            "NEG-MP3_OF3018_20260312151003_0002.MP3",
            "DSJ-A0013_OF001235_20260312100003_0002.MP3",
        ),
        (
            "../../NEG-AAC/20260312/NEG-AAC_OF3019_20260312153000_0001.AAC",
            "DSJ-A0013_OF001235_20260312110000_0001.AAC",
        ),
    ] {
        fs::copy(voice.join(from), d.join(to)).expect("copy");
    }
    scan(&[&root], &wh, &["--config", &no_birth_time()]);
    let files = rows(&wh.join("files"));
    for f in &files {
        let name = get(f, "file_name").unwrap_or_default();
        let container = if name.ends_with(".AAC") { "aac" } else { "mp3" };
        assert_eq!(get(f, "status"), Some("ok"), "{name}");
        assert_eq!(get(f, "container"), Some(container), "{name}");
        assert_eq!(get(f, "media_kind"), Some("audio"), "{name}");
        let length: f64 = get(f, "duration_s")
            .and_then(|d| d.parse().ok())
            .unwrap_or(0.0);
        // 3 s of sound, give or take the encoder's priming and last frame.
        assert!((3.0..3.2).contains(&length), "{name}: {length}");
    }
    let sessions = rows(&wh.join("sessions"));
    assert!(
        sessions.iter().any(|s| get(s, "file_count") == Some("2")),
        "{sessions:?}"
    );
    let said = findings_of(
        &wh,
        &[
            "CONT-GAP",
            "CONT-OVERLAP",
            "CONT-MISSING",
            "INT-UNREADABLE",
            "INS-SESSION",
        ],
        '_',
    );
    assert!(said.is_empty(), "{said:?}");
    fs::rename(
        d.join("DSJ-A0013_OF001235_20260312100003_0002.MP3"),
        d.join("DSJ-A0013_OF001235_20260312100013_0002.MP3"),
    )
    .expect("rename");
    scan(&[&root], &wh, &["--config", &no_birth_time()]);
    let said = findings_of(&wh, &["CONT-GAP"], '_');
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("0002.MP3"), "{said:?}");
}

#[test]
fn a_photo_numbered_in_the_sequence_and_a_voice_recording_in_a_session_are_no_findings() {
    // A recorder that numbers photos and sound-only recordings in one sequence with its videos:
    // video 0001, a photo 0002 taken while recording, video 0003 recorded on, a voice
    // recording 0004 right after it. No segment number is missing (the photo carries 0002),
    // and the voice recording is no footage of other parameters among the videos.
    let (_t, root, wh, d) = evidence("DSJ-A0012");
    let osd = project().join("tests/fixtures/osd");
    let kinds = labelled().join("单位甲/NEG-KND/20260312");
    for (from, to) in [
        (
            osd.join("day.mp4"),
            "DSJ-A0012_OF001234_20260312100007_0001.MP4",
        ),
        (
            kinds.join("NEG-KND_OF3009_20260312154500_0001.JPG"),
            "DSJ-A0012_OF001234_20260312100015_0002.JPG",
        ),
        (
            osd.join("day2.mp4"),
            "DSJ-A0012_OF001234_20260312100021_0003.MP4",
        ),
        (
            kinds.join("NEG-KND_OF3009_20260312153500_0001.WAV"),
            "DSJ-A0012_OF001234_20260312100035_0004.WAV",
        ),
    ] {
        fs::copy(&from, d.join(to)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    scan(&[&root], &wh, &["--config", &no_birth_time()]);
    let sessions: Vec<String> = rows(&wh.join("findings"))
        .iter()
        .filter_map(|f| {
            let rule = get(f, "rule_id")?;
            let name = get(f, "path")?.rsplit('_').next()?;
            Some(format!("{rule} {name}"))
        })
        .filter(|f| ["CONT-", "INS-", "ENC-"].iter().any(|p| f.starts_with(p)))
        .collect();
    assert!(sessions.is_empty(), "{sessions:?}");
    // The photo's number is what kept the numbering quiet: without the photo, 0002 is
    // skipped. As 0003 starts where 0001 ends there was no time for a missing recording:
    // information (CONT-NUMBERING), not CONT-MISSING (before 2026-12-05, night, CONT-MISSING).
    fs::remove_file(d.join("DSJ-A0012_OF001234_20260312100015_0002.JPG")).expect("rm");
    scan(&[&root], &wh, &["--config", &no_birth_time()]);
    let skipped: Vec<String> = rows(&wh.join("findings"))
        .iter()
        .filter(|f| get(f, "rule_id").is_some_and(|r| r.starts_with("CONT-")))
        .filter_map(|f| Some(format!("{} {}", get(f, "rule_id")?, get(f, "message")?)))
        .collect();
    assert!(
        skipped.len() == 1
            && skipped[0].starts_with("CONT-NUMBERING the numbering skips segment 2 "),
        "{skipped:?}"
    );
}

#[test]
fn a_sub_stream_beside_its_main_stream_is_its_companion_not_an_overlap() {
    // A recorder writing each recording twice (双码流): day.mp4 (1280x720) and day-sub.mp4
    // (the same 14 s at 640x360, named `_S`), then day2.mp4, filed in unit, device and date
    // folders (the folders name the device of the `_S` file, whose name no pattern reads).
    let t = tmp();
    let (root, wh) = (t.path().join("ev"), t.path().join("wh"));
    let d = root.join("单位").join("DSJ-A0012").join("20260312");
    fs::create_dir_all(&d).expect("mkdir");
    let osd = project().join("tests/fixtures/osd");
    for (from, to) in [
        ("day.mp4", "DSJ-A0012_OF001234_20260312100007_0001.MP4"),
        (
            "day-sub.mp4",
            "DSJ-A0012_OF001234_20260312100007_0001_S.MP4",
        ),
        ("day2.mp4", "DSJ-A0012_OF001234_20260312100021_0002.MP4"),
    ] {
        fs::copy(osd.join(from), d.join(to)).expect("copy");
    }
    scan(
        &[&root],
        &wh,
        &["--config", &no_birth_time(), "--keyframes", "off"],
    );
    let found: Vec<String> = rows(&wh.join("findings"))
        .iter()
        .filter_map(|f| get(f, "rule_id").map(str::to_string))
        .filter(|r| ["CONT-", "INS-", "ENC-"].iter().any(|p| r.starts_with(p)))
        .collect();
    assert!(found.is_empty(), "{found:?}");
    // The sub-stream sits in its main stream's session; the session counts the segments.
    let files = rows(&wh.join("files"));
    let session = |name: &str| {
        files
            .iter()
            .find(|f| get(f, "path").is_some_and(|p| p.ends_with(name)))
            .and_then(|f| get(f, "session_id"))
            .map(str::to_string)
    };
    let main = session("_0001.MP4");
    assert!(main.is_some() && session("_0001_S.MP4") == main);
    let sessions = rows(&wh.join("sessions"));
    assert_eq!(sessions.len(), 1);
    assert_eq!(get(&sessions[0], "file_count"), Some("2"));
}

/// A copy of `from` at `to` whose movie header's creation time (a version 0 `mvhd`, as
/// ffmpeg writes it) says `raw`, as a recorder's muxer would have written it.
fn with_movie_time(from: &std::path::Path, to: &std::path::Path, raw: u32) {
    let mut bytes = fs::read(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    let at = bytes
        .windows(4)
        .position(|w| w == b"mvhd")
        .expect("an mvhd box");
    assert_eq!(bytes[at + 4], 0, "a version 0 mvhd");
    bytes[at + 8..at + 12].copy_from_slice(&raw.to_be_bytes());
    fs::write(to, bytes).expect("write");
}

/// The clock findings (CLK-*) of a warehouse: rule, severity and the file's last name part.
fn clock_findings(wh: &std::path::Path) -> Vec<String> {
    let mut out = findings_of(wh, &["CLK-RESET", "CLK-MISMATCH", "CLK-MISSING"], '_');
    out.sort();
    out
}

#[test]
fn a_movie_time_counted_from_1970_is_read_as_the_time_it_is() {
    // A muxer that writes Unix seconds into the movie header (which counts from 1904): read
    // from 1904, 2026-03-12 02:00:07Z would be 1960, a reset clock 66 years from the name.
    let (_t, root, wh, d) = evidence("DSJ-A0012");
    let osd = project().join("tests/fixtures/osd");
    let unix = 1_773_280_807; // 2026-03-12T02:00:07Z
    for (from, to, raw) in [
        (
            "day.mp4",
            "DSJ-A0012_OF001234_20260312100007_0001.MP4",
            unix,
        ),
        (
            "day2.mp4",
            "DSJ-A0012_OF001234_20260312100021_0002.MP4",
            unix + 14,
        ),
    ] {
        with_movie_time(&osd.join(from), &d.join(to), raw);
    }
    scan(
        &[&root],
        &wh,
        &["--config", &no_birth_time(), "--keyframes", "off"],
    );
    assert_eq!(clock_findings(&wh), Vec::<String>::new());
    let files = rows(&wh.join("files"));
    let f = by_name(&files, "DSJ-A0012_OF001234_20260312100007_0001.MP4");
    assert_eq!(get(f, "creation_time_basis"), Some("utc from 1970"));
    assert_eq!(get(f, "creation_time"), Some("1773280807000000"));
    assert_eq!(get(f, "creation_time_raw"), Some(unix.to_string().as_str()));
}

#[test]
fn segments_carrying_their_recordings_start_as_their_movie_time_are_no_clock_mismatch() {
    // A muxer that writes the recording's start into the movie header of every segment it
    // cuts (ffmpeg's segment muxer copies it): six contiguous 14-s segments from 10:00:07, the
    // sixth 70 s after the first. Before, CLK-MISMATCH (warn) on the sixth. A file of another
    // recording an hour later with that time is still a mismatch.
    let (_t, root, wh, d) = evidence("DSJ-A0012");
    let day = project().join("tests/fixtures/osd/day.mp4");
    let start = 1_773_280_807_u32 + 2_082_844_800; // 2026-03-12T02:00:07Z, counted from 1904
    for name in [
        "100007_0001",
        "100021_0002",
        "100035_0003",
        "100049_0004",
        "100103_0005",
        "100117_0006",
        "110000_0007",
    ] {
        // The same picture under each name (INT-DUPLICATE, which is not asked here).
        let to = d.join(format!("DSJ-A0012_OF001234_20260312{name}.MP4"));
        with_movie_time(&day, &to, start);
    }
    scan(
        &[&root],
        &wh,
        &["--config", &no_birth_time(), "--keyframes", "off"],
    );
    assert_eq!(clock_findings(&wh), ["CLK-MISMATCH warn 0007.MP4"]);
}

#[test]
fn a_recorder_that_never_writes_a_movie_time_is_not_reported_file_by_file() {
    // Three recordings of a device whose muxer leaves the movie header's time at 0: its
    // habit, not stripped files. One such file among files that carry the time is reported.
    let (t, root, wh, d) = evidence("DSJ-A0012");
    let osd = project().join("tests/fixtures/osd");
    let files = [
        ("day.mp4", "DSJ-A0012_OF001234_20260312100007_0001.MP4"),
        ("day2.mp4", "DSJ-A0012_OF001234_20260312100021_0002.MP4"),
        ("later.mp4", "DSJ-A0012_OF001234_20260312104005_0003.MP4"),
    ];
    for (from, to) in files {
        with_movie_time(&osd.join(from), &d.join(to), 0);
    }
    let run = |wh: &std::path::Path| {
        scan(
            &[&root],
            wh,
            &["--config", &no_birth_time(), "--keyframes", "off"],
        );
        clock_findings(wh)
    };
    assert_eq!(run(&wh), Vec::<String>::new());
    // The middle one as recorded, the others without: two files without a time are no habit.
    fs::copy(osd.join("day2.mp4"), d.join(files[1].1)).expect("copy");
    assert_eq!(
        run(&t.path().join("wh2")),
        ["CLK-MISSING warn 0001.MP4", "CLK-MISSING warn 0003.MP4"]
    );
}

/// `recaudit query WH SQL-or-args --format json` on the labelled corpus's warehouse.
fn labelled_query(args: &[&str]) -> Vec<serde_json::Value> {
    query_json(&scanned().0.path().join("wh"), args)
}

#[test]
fn supervision_totals_count_findings_above_information_only() {
    // '(all)' is the officer's findings that accuse: information findings (a firmware
    // update, a pre-record buffer) explain, and keep their own kind rows.
    let rows = labelled_query(&[
        "--name",
        "supervision",
        "--param",
        "from=2026-03-12",
        "--param",
        "to=2026-03-14",
    ]);
    let counted = labelled_query(&[
        "SELECT COALESCE(fl.officer_id, '(unknown)') AS officer_id, fl.unit, \
           sum(CASE WHEN fi.severity = 'info' THEN 0 ELSE 1 END) AS accusing, \
           sum(CASE WHEN fi.severity = 'info' THEN 1 ELSE 0 END) AS informing \
         FROM findings fi JOIN files fl ON fl.path = fi.path \
         WHERE fl.media_kind IN ('video', 'audio', 'photo') \
           AND COALESCE(fl.name_time, fl.creation_time) >= TIMESTAMP '2026-03-11T16:00:00Z' \
           AND COALESCE(fl.name_time, fl.creation_time) < TIMESTAMP '2026-03-13T16:00:00Z' \
         GROUP BY 1, 2",
    ]);
    assert!(
        counted.iter().any(|c| c["informing"].as_i64() > Some(0)),
        "the corpus's two days hold information findings: {counted:?}"
    );
    for c in &counted {
        let all = rows
            .iter()
            .find(|r| {
                r["officer_id"] == c["officer_id"] && r["unit"] == c["unit"] && r["kind"] == "(all)"
            })
            .unwrap_or_else(|| panic!("{c}: no (all) row"));
        assert_eq!(all["findings"], c["accusing"], "{c}: {all}");
    }
}

#[test]
fn decisions_count_findings_above_information_only() {
    // FWU-01's firmware update (FW-CHANGE, information) on footage linked to a case: the
    // monthly decision figures count no finding for it.
    let t = tmp();
    let (root, wh, ctx) = (
        t.path().join("ev"),
        t.path().join("wh"),
        t.path().join("ctx"),
    );
    let from = labelled().join("单位甲").join("FWU-01");
    let mut copied = 0;
    for day in ["20260312", "20260313"] {
        let d = root.join("单位甲").join("FWU-01").join(day);
        fs::create_dir_all(&d).expect("mkdir");
        for e in fs::read_dir(from.join(day)).expect("read_dir") {
            let e = e.expect("entry");
            fs::copy(e.path(), d.join(e.file_name())).expect("copy");
            copied += 1;
        }
    }
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(
        ctx.join("cases.csv"),
        "case_id,kind,enterprise,credit_code,industry,opened,closed,site,hazardous_site,long_term_reason,confidential,special_circumstances,archived\n\
         AJ-T-1,inspection,某化工有限公司,91310000MA1FL8XQ3K,危险化学品,2026-03-12,,某化工园区,true,,false,false,\n",
    )
    .expect("cases");
    fs::write(
        ctx.join("case_media.csv"),
        "case_id,device_id,from,to\nAJ-T-1,FWU-01,2026-03-12 08:00:00,2026-03-13 23:00:00\n",
    )
    .expect("case_media");
    let ctx_arg = ctx.to_string_lossy().to_string();
    scan(
        &[&root],
        &wh,
        &["--config", &no_birth_time(), "--context", &ctx_arg],
    );
    let kinds: Vec<String> = rows(&wh.join("findings"))
        .iter()
        .filter_map(|f| Some(format!("{} {}", get(f, "rule_id")?, get(f, "severity")?)))
        .collect();
    assert_eq!(kinds, ["FW-CHANGE info"]);
    let rows = query_json(&wh, &["--name", "decision", "--context", &ctx_arg]);
    let case = rows
        .iter()
        .find(|r| r["case_kind"] == "inspection")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(
        (case["files"].as_i64(), case["findings"].as_i64()),
        (Some(copied), Some(0)),
        "{case}"
    );
    // Nor does the public-opinion list count one against the updated file.
    let listed = query_json(&wh, &["--name", "public_opinion", "--context", &ctx_arg]);
    assert_eq!(listed.len() as i64, copied, "{listed:?}");
    assert!(listed.iter().all(|r| r["findings"] == 0), "{listed:?}");
}
