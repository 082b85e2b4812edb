//! Broken and hostile input: every file must become a row with a status and a specific error,
//! the run must complete, and nothing may crash, hang or allocate without bound.

use std::fs;
use std::path::Path;

use crate::util::*;

fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(typ);
    v.extend_from_slice(body);
    v
}

/// Deterministic pseudo-random bytes (no dependency on a RNG crate).
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn sample_file(rel: &str) -> Vec<u8> {
    fs::read(sample_data().join(rel)).expect("sample file")
}

const MP4: &str =
    "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093015_0001.MP4";
const TS: &str = "执法二大队/DSJ-C3-0000100/20260313/DSJ-C3-0000100_20260313080000_0001.TS";
const JPG: &str =
    "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093100_0001.JPG";
const WAV: &str =
    "执法一大队/AUD-R1-0000009/20260312/AUD-R1-0000009_OF1023_20260312101500_0001.WAV";

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).expect("write fixture");
}

#[test]
fn broken_files_are_rows_with_specific_errors() {
    let t = tmp();
    let ev = t.path().join("ev");
    fs::create_dir_all(&ev).expect("mkdir");
    let mp4 = sample_file(MP4);
    write(&ev, "cut-in-mdat.MP4", &mp4[..mp4.len() / 2]);
    write(&ev, "empty.MP4", b"");
    write(&ev, "random.MP4", &noise(4096, 7));
    // ftyp, then a moov claiming 4 GiB: refused by size, never allocated.
    let mut huge = bx(b"ftyp", b"isom\0\0\0\0");
    huge.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, b'm', b'o', b'o', b'v']);
    huge.extend_from_slice(&noise(1000, 3));
    write(&ev, "huge-moov.MP4", &huge);
    // A 64-bit size near 2^63.
    let mut large = bx(b"ftyp", b"isom\0\0\0\0");
    large.extend_from_slice(&[0, 0, 0, 1, b'm', b'd', b'a', b't']);
    large.extend_from_slice(&(1u64 << 63).to_be_bytes());
    write(&ev, "largesize.MP4", &large);
    // A box smaller than its own header.
    let mut tiny = bx(b"ftyp", b"isom\0\0\0\0");
    tiny.extend_from_slice(&[0, 0, 0, 4, b'f', b'r', b'e', b'e']);
    write(&ev, "undersized.MP4", &tiny);
    // A nesting bomb: 200,000 moov boxes inside each other (1.6 MB), and an AVI of nested LISTs.
    let depth = 200_000usize;
    let mut bomb = bx(b"ftyp", b"isom\0\0\0\0");
    for i in 0..depth {
        bomb.extend_from_slice(&(((depth - i) * 8) as u32).to_be_bytes());
        bomb.extend_from_slice(b"moov");
    }
    write(&ev, "nesting-bomb.MP4", &bomb);
    let mut riff = Vec::new();
    let n = 100_000usize;
    for i in 0..n {
        riff.extend_from_slice(b"LIST");
        riff.extend_from_slice(&(((n - i) * 12 - 8) as u32).to_le_bytes());
        riff.extend_from_slice(b"hdrl");
    }
    let mut avi = b"RIFF".to_vec();
    avi.extend_from_slice(&((riff.len() + 4) as u32).to_le_bytes());
    avi.extend_from_slice(b"AVI ");
    avi.extend(riff);
    write(&ev, "nesting-bomb.AVI", &avi);
    let ts = sample_file(TS);
    write(&ev, "cut.TS", &ts[..188 * 10 + 100]);
    let jpg = sample_file(JPG);
    write(&ev, "cut.JPG", &jpg[..jpg.len() - 300]);
    let wav = sample_file(WAV);
    write(&ev, "cut.WAV", &wav[..wav.len() - 1000]);
    write(&ev, "notes.txt", b"plain text, not media");

    let wh = t.path().join("wh");
    scan(&[&ev], &wh, &[]);
    let rows = rows(&wh.join("files"));
    assert_eq!(rows.len(), 12, "one row per file");
    let expect = |name: &str, status: &str, needle: &str| {
        let r = by_name(&rows, name);
        let err = get(r, "error").unwrap_or("");
        assert_eq!(get(r, "status"), Some(status), "{name}: {err}");
        assert!(
            err.contains(needle),
            "{name}: error {err:?} should mention {needle:?}"
        );
        assert_eq!(
            get(r, "blake3").map(str::len),
            Some(64),
            "{name} is still hashed"
        );
    };
    expect("cut-in-mdat.MP4", "truncated", "'mdat'");
    expect("empty.MP4", "truncated", "empty");
    expect("random.MP4", "corrupt", "name says mp4");
    expect("huge-moov.MP4", "corrupt", "bound");
    expect("largesize.MP4", "truncated", "'mdat'");
    expect(
        "undersized.MP4",
        "corrupt",
        "smaller than its 8-byte header",
    );
    // The bomb's outer moov holds nothing recaudit descends into: parsed, no crash.
    // Nothing recaudit reads is inside the nested boxes: a movie without tracks, fully hashed.
    let bomb_row = by_name(&rows, "nesting-bomb.MP4");
    assert_eq!(
        (get(bomb_row, "status"), get(bomb_row, "stream_count")),
        (Some("ok"), Some("0")),
        "{bomb_row:?}"
    );
    assert_eq!(get(bomb_row, "top_level_layout"), Some("ftyp,moov"));
    let avi_row = by_name(&rows, "nesting-bomb.AVI");
    assert_eq!(get(avi_row, "container"), Some("avi"));
    assert!(
        get(avi_row, "notes")
            .unwrap_or("")
            .contains("nesting deeper"),
        "{avi_row:?}"
    );
    expect("cut.TS", "truncated", "ends inside a packet");
    expect("cut.JPG", "truncated", "end-of-image");
    expect("cut.WAV", "truncated", "'data'");
    expect(
        "notes.txt",
        "unsupported",
        "not a recognised media container",
    );
}

#[test]
fn every_public_real_and_hostile_file_scans() {
    let t = tmp();
    let wh = t.path().join("wh");
    let root = real_media();
    scan(&[&root], &wh, &[]);
    let rows = rows(&wh.join("files"));
    let mut on_disk = 0;
    for dir in ["camera", "hostile"] {
        on_disk += fs::read_dir(root.join(dir)).expect("dir").count();
    }
    on_disk += 1; // README.md
    assert_eq!(rows.len(), on_disk, "every file is a row");
    for r in &rows {
        let status = get(r, "status").expect("status");
        assert!(["ok", "corrupt", "truncated", "unreadable", "unsupported"].contains(&status));
        assert_eq!(get(r, "blake3").map(str::len), Some(64));
        if status != "ok" {
            assert!(get(r, "error").is_some_and(|e| !e.is_empty()), "{r:?}");
        }
    }
    // Read since 2026-12-07 (twentieth round): as long as ffprobe says, at its frame rate.
    let mkv = by_name(&rows, "mkv_640x360.mkv");
    assert_eq!(
        (
            get(mkv, "status"),
            get(mkv, "container"),
            get(mkv, "duration_s"),
            get(mkv, "video_sample_count"),
            get(mkv, "width"),
        ),
        (
            Some("ok"),
            Some("matroska"),
            Some("13.346"),
            Some("400"),
            Some("640")
        ),
        "{mkv:?}"
    );
    assert_eq!(
        get(by_name(&rows, "sony-a7-xavc.MP4"), "status"),
        Some("truncated")
    );
    let clusterfuzz = by_name(
        &rows,
        "mp4parse-clusterfuzz-testcase-minimized-mp4-6093954524250112",
    );
    assert_eq!(get(clusterfuzz, "status"), Some("corrupt"));
    // Real camera facts.
    let iphone = by_name(&rows, "meta.mov");
    assert_eq!(
        (get(iphone, "make"), get(iphone, "model")),
        (Some("Apple"), Some("iPhone X"))
    );
    assert!(
        (num(iphone, "gps_lat") - 27.1281).abs() < 1e-6
            && (num(iphone, "gps_lon") - 100.2508).abs() < 1e-6
    );
    let gopro = by_name(&rows, "gopro-karma.mp4");
    assert_eq!(
        (get(gopro, "status"), get(gopro, "video_codec")),
        (Some("ok"), Some("h264"))
    );
    assert_eq!(
        (get(gopro, "width"), get(gopro, "height")),
        (Some("854"), Some("480"))
    );
    let three = by_name(&rows, "3gp_640x360.3gp");
    assert_eq!(
        (get(three, "container"), get(three, "width")),
        (Some("3gp"), Some("640"))
    );
    let exif = by_name(&rows, "exif-no-tz.jpg");
    assert_eq!(
        get(exif, "creation_time_basis"),
        Some("local Asia/Shanghai"),
        "no offset in EXIF: configured zone"
    );
    assert_eq!(get(exif, "make"), Some("vivo"));
}

/// A small deterministic mutation fuzzer over every sample container: flipped bytes, random
/// cuts, inflated length fields, fed in random-sized pieces. The parsers must never panic and
/// must always give a verdict.
#[test]
fn mutated_containers_never_panic() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let mut files = Vec::new();
    let mut stack = vec![sample_data()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut verdicts = 0;
    for p in &files {
        let original = fs::read(p).expect("read");
        let ext = p
            .extension()
            .map(|x| x.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        for round in 0..150 {
            let mut b = original.clone();
            match round % 3 {
                0 => {
                    for _ in 0..1 + rnd(16) {
                        let i = rnd(b.len());
                        b[i] = rnd(256) as u8;
                    }
                }
                1 => b.truncate(rnd(b.len())),
                _ => {
                    // overwrite a 4-byte field with a huge or tiny length
                    let i = rnd(b.len().saturating_sub(4));
                    let v: [u8; 4] = [
                        [0xFF, 0xFF, 0xFF, 0xFF],
                        [0, 0, 0, 1],
                        [0, 0, 0, 0],
                        [0x7F, 0xFF, 0xFF, 0xF0],
                    ][rnd(4)];
                    b[i..i + 4].copy_from_slice(&v);
                }
            }
            let mut sink =
                recaudit::media::sniff(&b[..b.len().min(recaudit::media::SNIFF_LEN)], &ext);
            let mut rest = &b[..];
            while !rest.is_empty() {
                let k = 1 + rnd(rest.len().min(70_000));
                sink.feed(&rest[..k]);
                rest = &rest[k..];
            }
            let _ = sink.finish(b.len() as u64);
            verdicts += 1;
        }
    }
    assert_eq!(verdicts, files.len() * 150);
}
