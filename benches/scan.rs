//! Criterion benches for the two halves of the single pass: hashing a file through recaudit's
//! read path (plain reads and memory-mapped), and parsing container structure from bytes.
//! Whole-process comparisons against b3sum live in `benches/compare.sh`.

use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recaudit::analyse::analyse;
use recaudit::catalog::FileFacts;
use recaudit::config::RuleSettings;
use recaudit::media;
use recaudit::read::{ReadOptions, read_file};

fn write_file(path: &Path, n: usize) {
    let mut f = std::fs::File::create(path).expect("create");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        for c in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            c.copy_from_slice(&x.to_le_bytes()[..c.len()]);
        }
        let k = left.min(buf.len());
        f.write_all(&buf[..k]).expect("write");
        left -= k;
    }
}

fn hashing(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut g = c.benchmark_group("read_and_hash");
    for (name, size, mmap) in [
        ("2MiB_read", 2usize << 20, false),
        ("64MiB_read", 64 << 20, false),
        ("64MiB_mmap", 64 << 20, true),
    ] {
        let p = dir.path().join(format!("{name}.bin"));
        write_file(&p, size);
        let opts = ReadOptions {
            mmap_min_bytes: if mmap { 1 } else { u64::MAX },
            ..ReadOptions::default()
        };
        let mut buf = Vec::new();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(read_file(&p, "bin", &opts, &mut buf, &|_| {}).blake3))
        });
    }
    g.finish();
}

fn parsing(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join("evidence");
    let files = [
        (
            "mp4",
            "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093015_0001.MP4",
        ),
        (
            "fragmented_mp4",
            "执法一大队/DSJ-F5-0000321/20260312/DSJ-F5-0000321_OF1024_20260312140000_0001.MP4",
        ),
        (
            "mpegts",
            "执法二大队/DSJ-C3-0000100/20260313/DSJ-C3-0000100_20260313080000_0001.TS",
        ),
        (
            "jpeg",
            "执法一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093100_0001.JPG",
        ),
    ];
    let mut g = c.benchmark_group("parse");
    for (name, rel) in files {
        let bytes = std::fs::read(root.join(rel)).expect("sample file");
        let ext = rel.rsplit('.').next().unwrap_or_default().to_lowercase();
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sink = media::sniff(&bytes[..bytes.len().min(media::SNIFF_LEN)], &ext);
                for piece in bytes.chunks(256 << 10) {
                    sink.feed(piece);
                }
                black_box(sink.finish(bytes.len() as u64))
            })
        });
    }
    g.finish();
}

/// A synthetic catalog of `n` files: recorders with 5-minute segments in sessions, a few gaps,
/// skipped numbers and odd files, shaped like the facts a real scan produces.
fn synthetic_catalog(n: usize) -> Vec<FileFacts> {
    let mut out = Vec::with_capacity(n);
    let per_device = 300;
    let mut x: u64 = 42;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let dev = i / per_device;
        let k = (i % per_device) as i64;
        let session = k / 6;
        let seq = (k % 6) as i32 + 1;
        let start = 1_773_280_800_000_000i64
            + dev as i64 * 1_000
            + session * 4 * 3_600_000_000
            + (k % 6) * 300_000_000;
        let r = rnd() % 1000;
        let start = if r == 0 { start + 30_000_000 } else { start };
        let seq = if r == 1 { seq + 1 } else { seq };
        out.push(FileFacts {
            row: i,
            path: format!(
                "/srv/evidence/unit{}/DSJ-{dev:07}/20260312/DSJ-{dev:07}_OF{}_{start}_{seq:04}.MP4",
                dev % 17,
                dev % 997
            )
            .into(),
            size_bytes: 150_000_000,
            blake3: Some(format!("{:016x}{:016x}{:016x}{:016x}", rnd(), rnd(), rnd(), i).into()),
            extension_matches: Some(true),
            segment_seq: Some(seq),
            name_time_us: Some(start),
            creation_time_us: Some(start - if r == 3 { 7_200_000_000 } else { 0 }),
            duration_s: Some(300.0),
            edit_list_entries: Some(2),
            stream_count: Some(2),
            width: Some(if r == 4 { 1280 } else { 1920 }),
            height: Some(if r == 4 { 720 } else { 1080 }),
            frame_rate: Some(25.0),
            audio_sample_rate: Some(16000),
            audio_channels: Some(1),
            sample_descriptions_max: Some(1),
            parameter_sets_max: Some(1),
            rare: (r == 5).then(|| {
                Box::new(recaudit::catalog::Rare {
                    max_jump_s: Some(3.0),
                    ..Default::default()
                })
            }),
            text: recaudit::catalog::TextFacts {
                status: if r == 2 {
                    "truncated".into()
                } else {
                    "ok".into()
                },
                container: Some("mp4".into()),
                media_kind: Some("video".into()),
                device_id: Some(format!("DSJ-{dev:07}").into()),
                officer_id: Some(format!("OF{}", dev % 997).into()),
                unit: Some(format!("unit{}", dev % 17).into()),
                creation_time_basis: Some("utc".into()),
                encoder: Some("ZFZX DSJ V2.1".into()),
                handler_names: Some("VideoHandler;SoundHandler".into()),
                compressor_names: Some("H.264".into()),
                major_brand: Some("isom".into()),
                top_level_layout: Some("ftyp,mdat,moov".into()),
                video_codec: Some("h264".into()),
                video_profile: Some("Main".into()),
                audio_codec: Some("aac".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        });
    }
    out
}

fn analysis(c: &mut Criterion) {
    let settings = RuleSettings::default();
    let mut g = c.benchmark_group("sessions_and_rules");
    g.sample_size(10);
    for n in [100_000usize, 1_000_000] {
        let facts = synthetic_catalog(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("{n}_files"), |b| {
            b.iter(|| {
                black_box(
                    analyse(
                        &facts,
                        &settings,
                        chrono_tz::Asia::Shanghai,
                        "bench",
                        1_800_000_000_000_000,
                    )
                    .findings
                    .len(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, hashing, parsing, analysis);
criterion_main!(benches);
