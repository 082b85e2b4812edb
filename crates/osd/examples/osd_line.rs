//! Prints the display line found in raw grey pictures, glyph by glyph: where each was cut and
//! its shape on the grid. For looking at a display the keyframe stage does not read.
//!
//! Make the pictures with ffmpeg (keyframes only, luma only, one file per picture):
//!
//! ```text
//! ffmpeg -skip_frame nokey -i clip.mp4 -vsync vfr -pix_fmt gray -f image2 /tmp/k%03d.gray
//! cargo run -p recaudit-osd --example osd_line -- 1920x1080 /tmp/k*.gray
//! ```

use recaudit_osd::{Luma, find_line};

fn main() {
    let mut args = std::env::args().skip(1);
    let size = args.next().unwrap_or_default();
    let Some((w, h)) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<usize>().ok()?, h.parse::<usize>().ok()?)))
    else {
        eprintln!("usage: osd_line WIDTHxHEIGHT PICTURE.gray...");
        std::process::exit(2);
    };
    let shapes = std::env::var_os("SHAPES").is_some();
    for path in args {
        let y = match std::fs::read(&path) {
            Ok(y) if y.len() >= w * h => y,
            Ok(y) => {
                eprintln!("{path}: {} bytes, {w}x{h} needs {}", y.len(), w * h);
                continue;
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let p = Luma {
            width: w,
            height: h,
            stride: w,
            y: &y,
        };
        let Some(line) = find_line(&p) else {
            println!("{path}: no line");
            continue;
        };
        let cells: Vec<String> = line
            .glyphs
            .iter()
            .zip(&line.spaced)
            .map(|(g, sp)| format!("{}{}-{}", if *sp { "_ " } else { "" }, g.x0, g.x1))
            .collect();
        println!(
            "{path}: rows {}-{}, {} glyphs: {}",
            line.y0,
            line.y1,
            line.glyphs.len(),
            cells.join(" ")
        );
        if shapes {
            for g in &line.glyphs {
                println!("glyph {}-{}", g.x0, g.x1);
                for r in g.rows {
                    let row: String = (0..16)
                        .map(|c| if r & (1 << c) != 0 { '#' } else { '.' })
                        .collect();
                    println!("  {row}");
                }
            }
        }
    }
}
