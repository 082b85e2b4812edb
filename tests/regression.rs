//! One test per bug found by the fuzzers (`fuzz/`), named after it, on the input that found
//! it (`tests/fixtures/regression/*.fuzz`: the fuzz target's input, whose first byte picks
//! the chunk size and the rest is the file). Each is parsed as the fuzz target parses it, and
//! scanned as a file by the real binary: no panic, and a row with a status.

use std::fs;
use std::path::Path;

use crate::util::*;

/// The fuzz input split as the targets split it: (chunk size, file bytes).
fn fuzz_input(name: &str) -> (usize, Vec<u8>) {
    let p = project().join("tests/fixtures/regression").join(name);
    let data = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (&first, rest) = data.split_first().expect("a non-empty input");
    (usize::from(first % 64) * 61 + 1, rest.to_vec())
}

/// Parses the input like the fuzz target, then scans it as `file_name`; returns its status.
fn parse_and_scan(input: &str, ext: &str, file_name: &str) -> String {
    let (chunk, bytes) = fuzz_input(input);
    let parsed = recaudit::media::parse_bytes(&bytes, ext, chunk);
    let t = tmp();
    let ev = t.path().join("ev");
    fs::create_dir(&ev).expect("mkdir");
    fs::write(ev.join(file_name), &bytes).expect("write");
    let out = scan(&[Path::new(&ev)], &t.path().join("wh"), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = rows(&t.path().join("wh/files"));
    assert_eq!(files.len(), 1);
    let status = get(&files[0], "status").expect("status").to_string();
    assert_eq!(
        parsed.problem.is_none(),
        status == "ok",
        "the scan and the in-memory parse agree"
    );
    status
}

/// `media::samples::rate_stretch` multiplied a run's sample duration by its sample count, both
/// from the file: a hostile `stts` overflowed it (found by the `bmff` target).
#[test]
fn bmff_rate_stretch_length_overflow() {
    let status = parse_and_scan("bmff-rate-stretch-length-overflow.fuzz", "mp4", "x.MP4");
    // Its movie box holds a box larger than itself. (Before 2026-12-07 the bytes after the
    // movie, which make no box, were taken for a box cut short, and that was reported first.)
    assert_eq!(status, "corrupt");
}

/// An `ID3` whose size bytes were no ID3v2 size left ten bytes in the MPEG audio parser's
/// header window where seven were wanted: the next read subtracted past zero (found by the
/// `mpa` target within a minute of its first run).
#[test]
fn mpa_id3_window_overrun() {
    let status = parse_and_scan("mpa-id3-window-overrun.fuzz", "mp3", "x.MP3");
    // Its frames read past the bytes that were no tag.
    assert_eq!(status, "ok");
}

/// The EXIF reader added 4 to an offset taken from the file before checking it against the
/// buffer: an IFD entry pointing at the end of the address space overflowed (found by the
/// `jpeg` target).
#[test]
fn jpeg_exif_offset_overflow() {
    let status = parse_and_scan("jpeg-exif-offset-overflow.fuzz", "jpg", "x.JPG");
    assert_eq!(status, "corrupt");
}

/// Whatever bug a parser still has, it costs one file, not the run: the file is a row that
/// says recaudit failed on it, and every other file is catalogued.
#[test]
fn a_parser_panic_costs_one_file_not_the_run() {
    let t = tmp();
    let wh = t.path().join("wh");
    let out = cmd()
        .arg("scan")
        .arg(sample_data())
        .args(["-w", wh.to_str().expect("utf-8"), "-q"])
        .env(
            "RECAUDIT_TEST_PANIC_ON",
            "DSJ-A8-0001234_OF1023_20260312093021_0002.MP4",
        )
        .output()
        .expect("scan");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = rows(&wh.join("files"));
    assert_eq!(files.len(), 12);
    let hit = by_name(&files, "DSJ-A8-0001234_OF1023_20260312093021_0002.MP4");
    assert_eq!(get(hit, "status"), Some("unsupported"));
    assert!(
        get(hit, "error")
            .unwrap()
            .contains("failed inside its parser")
    );
    assert_eq!(
        files
            .iter()
            .filter(|r| get(r, "status") == Some("ok"))
            .count(),
        11
    );
}

/// The SPS reader added a scaling-list delta from the stream to the previous scale without
/// bounds: a delta near `i32::MAX` overflowed (found by the `h264_sps` target, whose input is
/// the NAL unit itself, also inside MPEG-TS and MP4 files).
#[test]
fn h264_scaling_list_delta_overflow() {
    use recaudit::media::h264;
    let p = project().join("tests/fixtures/regression/h264-scaling-list-delta-overflow.fuzz");
    let data = fs::read(&p).expect("input");
    // Read as the target reads it; before the fix the first call panicked. None of it is a
    // parameter set a picture size can be taken from.
    assert_eq!(h264::parse_sps(&data), None);
    assert_eq!(h264::parse_sps(&h264::unescape(&data)), None);
    let nals: Vec<_> = h264::annexb_nals(&data).take(64).collect();
    assert_eq!(nals.len(), 8);
    assert!(nals.iter().all(|n| h264::parse_sps(n).is_none()));
}

/// An HEVC intra slice's QP was `26 + init_qp_minus26 + slice_qp_delta` with the delta as
/// read: a hostile delta near `i32::MAX` overflowed (found by the `h264_sps` target the night
/// the HEVC slice headers came to be read; H.264's `pic_init_qp` and slice QP had the same
/// sum and are bounded the same way now). The QP is checked and kept only in its range.
#[test]
fn hevc_slice_qp_delta_overflow() {
    use recaudit::media::{h264, hevc};
    let p = project().join("tests/fixtures/regression/hevc-slice-qp-delta-overflow.fuzz");
    let data = fs::read(&p).expect("input");
    // Read as the target reads it: before the fix the CRA slice's QP panicked.
    let nals: Vec<&[u8]> = h264::annexb_nals(&data).take(64).collect();
    let kind = |t: u8| {
        nals.iter()
            .find(|n| n.first().map(|h| (h >> 1) & 0x3f) == Some(t))
            .copied()
    };
    let syntax = hevc::slice_syntax(kind(33).expect("an SPS"), kind(34).expect("a PPS"))
        .expect("their syntax reads");
    let segments: Vec<hevc::Segment> = nals
        .iter()
        .filter_map(|n| hevc::segment(n, &syntax))
        .collect();
    let cra = segments
        .iter()
        .find(|s| s.kind() == "CRA" && s.first)
        .expect("the CRA slice");
    assert_eq!(cra.slice_type, Some(2));
    assert_eq!(cra.qp, None, "a QP out of range is not kept");
}

/// The JPEG header walk (finding the start of scan) began again at the first marker on every
/// chunk fed, so a header of fill bytes cost the square of its length: 23 s of CPU for this
/// 237 KB input fed a byte at a time, and seconds per file for a hostile 4 MB header at the
/// reader's chunk size (found by the `jpeg` target as a timeout). The walk now resumes where it
/// stopped; what it finds is the same for every chunk size.
#[test]
fn jpeg_header_walk_quadratic() {
    let (chunk, bytes) = fuzz_input("jpeg-header-walk-quadratic.fuzz");
    assert_eq!(chunk, 1, "the input feeds the parser a byte at a time");
    let byte_at_a_time = recaudit::media::parse_bytes(&bytes, "jpg", 1);
    let whole = recaudit::media::parse_bytes(&bytes, "jpg", bytes.len());
    assert_eq!(
        format!("{:?}", byte_at_a_time.problem),
        format!("{:?}", whole.problem)
    );
    assert_eq!(
        format!("{:?}", byte_at_a_time.info),
        format!("{:?}", whole.info)
    );
    let status = parse_and_scan("jpeg-header-walk-quadratic.fuzz", "jpg", "x.JPG");
    assert_ne!(status, "ok", "not a whole photo: {status}");
}

/// The keyframe stage's planner walked a track's samples up to the last one it wanted, and a
/// hostile `moov` can want sample four billion of a table whose samples share one size (a few
/// bytes say so): minutes of walking for one file, on the pool that prepares the night's
/// files (found by the `keyplan` target as a timeout). The walk now stops after
/// `SAMPLES_MAX` samples, as does the walk of a fragmented track's runs.
#[test]
fn keyplan_sample_walk_unbounded() {
    use recaudit::media::keyplan;
    let p = project().join("tests/fixtures/regression/keyplan-sample-walk-unbounded.fuzz");
    let data = fs::read(&p).expect("input");
    // Before the fix this call did not return for minutes (a test that hangs fails CI's).
    let plan = keyplan::plan(&data, keyplan::LEAD_MAX);
    assert!(plan.is_some_and(|p| p.sync.len() <= keyplan::SYNC_MAX));
}
