//! Prints a learned font's shapes, each with the four shapes nearest to it and their digits:
//! for looking at a font that reads a display wrongly (a shape labelled with one digit that
//! lies among another digit's, or apart from every shape of its own). FILE holds `shape,digit`
//! lines as `recaudit query WH "select shape, digit from osd_fonts where display_group =
//! '...'" --format csv` writes them.
//!
//! ```text
//! cargo run --release -p recaudit-osd --example font_check -- FILE
//! ```
//!
//! DRAW=1 draws each shape; SUMMARY=1 prints only the nearest two shapes of different digits.

use recaudit_osd::Glyph;
fn main() {
    let Some(text) = std::env::args()
        .nth(1)
        .and_then(|f| std::fs::read_to_string(f).ok())
    else {
        eprintln!("usage: font_check FILE (shape,digit lines)");
        std::process::exit(2);
    };
    let shapes: Vec<(Glyph, Option<u8>)> = text
        .lines()
        .filter_map(|l| {
            let (shape, digit) = l.split_once(',')?;
            Some((Glyph::from_hex(shape)?, digit.trim().parse::<u8>().ok()))
        })
        .collect();
    if std::env::var_os("SUMMARY").is_some() {
        let mut best = (f32::MAX, 0, 0);
        for (i, (g, d)) in shapes.iter().enumerate() {
            for (j, (h, e)) in shapes.iter().enumerate() {
                if i < j && d.is_some() && e.is_some() && d != e {
                    let x = g.distance(h);
                    if x < best.0 {
                        best = (x, i, j);
                    }
                }
            }
        }
        println!(
            "min cross-digit {:.2} between {}:{:?} and {}:{:?}",
            best.0, best.1, shapes[best.1].1, best.2, shapes[best.2].1
        );
        return;
    }
    for (i, (g, d)) in shapes.iter().enumerate() {
        let mut near: Vec<(f32, usize)> = shapes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(j, (h, _))| (g.distance(h), j))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n: Vec<String> = near
            .iter()
            .take(4)
            .map(|(x, j)| format!("{}:{:?}@{:.2}", j, shapes[*j].1, x))
            .collect();
        println!("shape {i} digit {d:?}: {}", n.join(" "));
        if std::env::var_os("DRAW").is_some() {
            for r in 0..20 {
                let row: String = (0..16)
                    .map(|c| if g.get(r, c) { '#' } else { '.' })
                    .collect();
                println!("   {row}");
            }
        }
    }
}
