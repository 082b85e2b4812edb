//! Criterion benches for the two halves of the single pass: hashing a file through recaudit's
//! read path (plain reads and memory-mapped), and parsing container structure from bytes.
//! Whole-process comparisons against b3sum live in `benches/compare.sh`.

use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

criterion_group!(benches, hashing, parsing);
criterion_main!(benches);
