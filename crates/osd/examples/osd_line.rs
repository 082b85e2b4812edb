//! Prints the display line found in raw grey pictures, glyph by glyph: where each was cut and
//! its shape on the grid. For looking at a display the keyframe stage does not read.
//!
//! Make the pictures with ffmpeg (keyframes only, the luma plane as decoded, one file per
//! picture; `-pix_fmt gray` would stretch video range to full range, which the keyframe
//! stage never sees):
//!
//! ```text
//! ffmpeg -skip_frame nokey -i clip.mp4 -vsync vfr -vf extractplanes=y -c:v rawvideo \
//!     -f image2 /tmp/k%03d.gray
//! cargo run --release -p recaudit-osd --example osd_line -- 1920x1080 /tmp/k*.gray
//! ```

use recaudit_osd::{Font, Glyph, Ink, Luma, find_lines, read, text_mask, top_band};

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
    // Every line that may hold the clock (`find_lines`, as the keyframe stage searches a
    // display not learned yet) is printed with where each glyph was cut. SHAPES=1 prints each
    // glyph's shape; MASK=1 the text mask of the top band's first columns (MASK_COLS, 160), `#`
    // for text, and the picture's brightness beside it as ` .:-=+*%@`.
    // FONT=FILE reads each line with a model's shapes: FILE holds `shape,digit` lines as
    // `recaudit query WH "select shape, digit from osd_fonts where display_group = '...'"
    // --format csv` writes them (the digit empty for a glyph that is no digit); each glyph
    // not read as a digit is printed with its distance to the nearest shape of each digit.
    let font: Option<Font> = std::env::var_os("FONT").and_then(|f| {
        let text = std::fs::read_to_string(f).ok()?;
        let shapes = text
            .lines()
            .filter_map(|l| {
                let (shape, digit) = l.split_once(',')?;
                Some((Glyph::from_hex(shape)?, digit.trim().parse::<u8>().ok()))
            })
            .collect();
        Some(Font {
            shapes,
            ..Font::default()
        })
    });
    // INK=bright finds the lines as for a display whose text is brighter than the scene (a drop
    // shadow, plain text): `Ink::Bright`.
    let ink = std::env::var("INK")
        .ok()
        .and_then(|i| Ink::from_name(&i))
        .unwrap_or_default();
    let shapes = std::env::var_os("SHAPES").is_some();
    let mask_cols: Option<usize> = std::env::var_os("MASK").map(|_| {
        std::env::var("MASK_COLS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(160)
    });
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
        if let Some(cols) = mask_cols {
            let band = top_band(h);
            let m = text_mask(&p, 0, band, ink);
            let shade = b" .:-=+*%@";
            for r in 0..band {
                let marks: String = (0..cols.min(w))
                    .map(|x| if m[r * w + x] == 1 { '#' } else { '.' })
                    .collect();
                let light: String = (0..cols.min(w))
                    .map(|x| shade[usize::from(y[r * w + x]) * 9 / 256] as char)
                    .collect();
                println!("{r:4} {marks}  {light}");
            }
        }
        let lines = find_lines(&p, ink);
        if lines.is_empty() {
            println!("{path}: no line of fourteen glyphs or more");
        }
        for line in &lines {
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
            if let Some(font) = &font {
                let r = read(font, line);
                println!(
                    "  read {:?} time {:?} confidence {}",
                    r.text, r.civil_s, r.confidence
                );
                for g in &line.glyphs {
                    let mut near = [f32::MAX; 10];
                    for (s, d) in &font.shapes {
                        if let Some(d) = d {
                            let n = &mut near[usize::from(*d) % 10];
                            *n = n.min(s.distance(g));
                        }
                    }
                    let mut order: Vec<(usize, f32)> = near.iter().copied().enumerate().collect();
                    order.sort_by(|a, b| a.1.total_cmp(&b.1));
                    println!(
                        "  glyph {}-{}: nearest {} {:.2}, then {} {:.2}",
                        g.x0, g.x1, order[0].0, order[0].1, order[1].0, order[1].1
                    );
                }
            }
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
}
