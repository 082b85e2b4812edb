//! Times reading a known display's clock line at its rows ([`line_at_rows`], the path a
//! night's keyframes take once the model's font is kept) on raw grey pictures, for measuring
//! and profiling the reading apart from decoding. Make the pictures as for `osd_line`.
//!
//! ```text
//! cargo run --release -p recaudit-osd --example osd_cost -- 1920x1080 30-60 200 /tmp/k*.gray
//! ```

use recaudit_osd::{Ink, Luma, line_at_rows};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |s: &str, sep: char| -> Option<(usize, usize)> {
        let (a, b) = s.split_once(sep)?;
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    let (Some((w, h)), Some((y0, y1)), Some(times)) = (
        args.first().and_then(|s| parse(s, 'x')),
        args.get(1).and_then(|s| parse(s, '-')),
        args.get(2).and_then(|s| s.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: osd_cost WIDTHxHEIGHT Y0-Y1 TIMES PICTURE.gray...");
        std::process::exit(2);
    };
    let pictures: Vec<Vec<u8>> = args[3..]
        .iter()
        .filter_map(|p| std::fs::read(p).ok().filter(|y| y.len() >= w * h))
        .collect();
    let rows = (y0 as u32, y1 as u32);
    let start = std::time::Instant::now();
    let mut found = 0usize;
    for _ in 0..times {
        for y in &pictures {
            let p = Luma {
                width: w,
                height: h,
                stride: w,
                y,
            };
            found += usize::from(line_at_rows(&p, h, rows, Ink::Edged).is_some());
        }
    }
    let n = times * pictures.len();
    let took = start.elapsed();
    println!(
        "{n} readings, {found} lines found: {:.1} us a picture",
        took.as_secs_f64() * 1e6 / n.max(1) as f64
    );
}
