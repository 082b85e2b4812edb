//! A glyph's shape on a small grid, and how two shapes are compared: with strokes of one
//! width (thinned to centre lines, then grown a cell) and at the best of nine placements a
//! cell apart, since how thick a stroke comes out and where its ink starts both depend on the
//! scene behind it.

/// Thins a shape (with a one-cell empty border) to lines one cell wide (Zhang and Suen's
/// two-step thinning: border cells are removed while that keeps every stroke connected and
/// every line end in place).
fn thin(b: &mut [[bool; COLS + 2]; ROWS + 2]) {
    loop {
        let mut changed = false;
        for step in 0..2 {
            let mut remove = Vec::new();
            for r in 1..=ROWS {
                for c in 1..=COLS {
                    if !b[r][c] {
                        continue;
                    }
                    // Neighbours clockwise from the one above.
                    let n = [
                        b[r - 1][c],
                        b[r - 1][c + 1],
                        b[r][c + 1],
                        b[r + 1][c + 1],
                        b[r + 1][c],
                        b[r + 1][c - 1],
                        b[r][c - 1],
                        b[r - 1][c - 1],
                    ];
                    let count = n.iter().filter(|&&v| v).count();
                    let turns = (0..8).filter(|&i| !n[i] && n[(i + 1) % 8]).count();
                    let (p2, p4, p6, p8) = (n[0], n[2], n[4], n[6]);
                    // Step one keeps a cell with its east and south neighbours and either its
                    // north or its west; step two the mirror of that.
                    let open = if step == 0 {
                        !(p4 && p6 && (p2 || p8))
                    } else {
                        !(p2 && p8 && (p4 || p6))
                    };
                    if (2..=6).contains(&count) && turns == 1 && open {
                        remove.push((r, c));
                    }
                }
            }
            changed |= !remove.is_empty();
            for (r, c) in remove {
                b[r][c] = false;
            }
        }
        if !changed {
            return;
        }
    }
}

/// Grid a glyph is scaled to: [`ROWS`] rows of up to [`COLS`] columns, one bit each.
pub const ROWS: usize = 20;
pub const COLS: usize = 16;
/// The most columns one upright stroke spans on the grid ([`Glyph::is_one_stroke`]): a bar
/// leaning a little, at most a third of the cell.
pub const STROKE_SPAN: u32 = 6;

/// 64-bit words a glyph's grid packs into: four rows of sixteen columns each.
const WORDS: usize = ROWS.div_ceil(4);

/// A glyph's rows, four to a word.
fn pack(rows: &[u16; ROWS]) -> [u64; WORDS] {
    let mut out = [0u64; WORDS];
    for (r, &row) in rows.iter().enumerate() {
        out[r / 4] |= u64::from(row) << (16 * (r % 4));
    }
    out
}

/// A glyph placed its nine ways ([`Glyph::shifted`]).
#[derive(Debug, Clone)]
pub struct Shifted {
    placed: [[u64; WORDS]; 9],
    /// The ink of each placement still on the grid, and the glyph's whole ink.
    kept: [u32; 9],
    ink: u32,
}

/// One glyph's shape on the grid, and where it stood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glyph {
    /// One row of the grid per entry, column `c` in bit `c`.
    pub rows: [u16; ROWS],
    /// Left and right edge in the picture, pixels.
    pub x0: u32,
    pub x1: u32,
}

impl Glyph {
    pub fn ink(&self) -> u32 {
        self.rows.iter().map(|w| w.count_ones()).sum()
    }

    /// The shape grown by one cell each way.
    fn grown(&self) -> [u16; ROWS] {
        let mut out = [0u16; ROWS];
        for (r, o) in out.iter_mut().enumerate() {
            let mut v = self.rows[r];
            if r > 0 {
                v |= self.rows[r - 1];
            }
            if r + 1 < ROWS {
                v |= self.rows[r + 1];
            }
            *o = (v | (v << 1) | (v >> 1)) & ((1 << COLS) - 1) as u16;
        }
        out
    }

    /// Share of the two shapes' ink that only one of them has (0 = the same shape), at the
    /// best of the nine placements a cell apart: where a glyph's ink starts is known to a
    /// pixel, no better.
    pub fn distance(&self, other: &Glyph) -> f32 {
        self.distance_to(&other.shifted())
    }

    /// [`Glyph::distance`] to a glyph already placed its nine ways ([`Glyph::shifted`]): a
    /// glyph read is compared with every shape of a font, and is placed once for all of them.
    pub fn distance_to(&self, other: &Shifted) -> f32 {
        let a = pack(&self.rows);
        let mut best = f32::MAX;
        for (b, &kept) in other.placed.iter().zip(&other.kept) {
            let (mut diff, mut union) = (0u32, 0u32);
            for (x, y) in a.iter().zip(b) {
                diff += (x ^ y).count_ones();
                union += (x | y).count_ones();
            }
            // Cells shifted off the grid count as differences.
            let lost = other.ink.saturating_sub(kept);
            let d = if union == 0 {
                0.0
            } else {
                (diff + lost) as f32 / (union + lost) as f32
            };
            best = best.min(d);
        }
        best
    }

    /// The glyph at each of the nine placements a cell apart (rows and columns shifted by -1, 0
    /// or 1; what leaves the grid is dropped), each with the ink still on the grid.
    pub fn shifted(&self) -> Shifted {
        let mut placed = [[0u64; WORDS]; 9];
        let mut kept = [0u32; 9];
        let mut k = 0;
        for dy in -1i32..=1 {
            for dx in -1i32..=1 {
                let mut rows = [0u16; ROWS];
                for (r, row) in rows.iter_mut().enumerate() {
                    let rr = r as i32 + dy;
                    let b = if (0..ROWS as i32).contains(&rr) {
                        self.rows[rr as usize]
                    } else {
                        0
                    };
                    // Widened first: a column shifted past the grid's last is dropped by the mask.
                    let b = u32::from(b);
                    *row =
                        ((if dx >= 0 { b << dx } else { b >> -dx }) & ((1u32 << COLS) - 1)) as u16;
                }
                placed[k] = pack(&rows);
                kept[k] = rows.iter().map(|w| w.count_ones()).sum();
                k += 1;
            }
        }
        Shifted {
            placed,
            kept,
            ink: self.ink(),
        }
    }

    /// The shape drawn with strokes of one width: thinned to its centre lines, then each
    /// line grown by a cell each way. How thick a stroke comes out of the mask depends on the
    /// scene behind it (a brightening background keeps one edge of a stroke and loses the
    /// other); its centre line does not.
    pub fn with_even_strokes(&self) -> Glyph {
        let mut bits = [[false; COLS + 2]; ROWS + 2];
        for (r, row) in bits.iter_mut().enumerate().skip(1).take(ROWS) {
            for (c, b) in row.iter_mut().enumerate().skip(1).take(COLS) {
                *b = self.get(r - 1, c - 1);
            }
        }
        thin(&mut bits);
        let mut out = Glyph {
            rows: [0; ROWS],
            x0: self.x0,
            x1: self.x1,
        };
        for r in 0..ROWS {
            let mut line = 0u16;
            for c in 0..COLS {
                if bits[r + 1][c + 1] {
                    line |= 1 << c;
                }
            }
            out.rows[r] = line;
        }
        out.rows = out.grown();
        out
    }

    /// The shape as text: each row as four hex digits, top row first.
    pub fn to_hex(&self) -> String {
        self.rows.iter().map(|r| format!("{r:04x}")).collect()
    }

    /// A shape written by [`Glyph::to_hex`]; `None` for any other text.
    pub fn from_hex(s: &str) -> Option<Glyph> {
        if s.len() != ROWS * 4 || !s.is_ascii() {
            return None;
        }
        let mut g = Glyph {
            rows: [0; ROWS],
            x0: 0,
            x1: 0,
        };
        for (r, row) in g.rows.iter_mut().enumerate() {
            *row = u16::from_str_radix(&s[r * 4..r * 4 + 4], 16).ok()?;
        }
        Some(g)
    }

    /// Whether the shape is one upright stroke: ink in at least seven rows in ten, each such
    /// row one run, all of them within [`STROKE_SPAN`] columns. A digit cut down to one of its
    /// sides (a `0` or a `9` whose other side the scene took) is such a stroke, which a `0`,
    /// a `4` and a `9` share: it names no digit but a `1` drawn as a bar.
    pub fn is_one_stroke(&self) -> bool {
        let inked: Vec<u16> = self.rows.iter().copied().filter(|&r| r != 0).collect();
        let one_run = |r: u16| {
            let r = r >> r.trailing_zeros();
            r & r.wrapping_add(1) == 0
        };
        let (lo, hi) = inked.iter().fold((COLS as u32, 0u32), |(lo, hi), &r| {
            (lo.min(r.trailing_zeros()), hi.max(15 - r.leading_zeros()))
        });
        inked.len() * 10 >= ROWS * 7
            && inked.iter().all(|&r| one_run(r))
            && hi.saturating_sub(lo) < STROKE_SPAN
    }

    pub(crate) fn set(&mut self, r: usize, c: usize) {
        self.rows[r] |= 1 << c;
    }

    pub fn get(&self, r: usize, c: usize) -> bool {
        self.rows[r] >> c & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_upright_stroke_is_told_from_a_digit_with_a_foot_or_a_bowl() {
        let shape = |rows: &[&str]| {
            let mut g = Glyph {
                rows: [0; ROWS],
                x0: 0,
                x1: 0,
            };
            for (r, row) in rows.iter().enumerate() {
                for (c, ch) in row.chars().enumerate() {
                    if ch == '#' {
                        g.set(r, c);
                    }
                }
            }
            g
        };
        // A `0` cut down to its right side, leaning a column: a stroke.
        let bar: Vec<&str> = (0..20)
            .map(|r| {
                if r < 8 {
                    "......###......."
                } else {
                    ".......###......"
                }
            })
            .collect();
        assert!(shape(&bar).is_one_stroke());
        // A `1` with its foot; a `0`; a stroke too short to be a digit's side: none is one.
        let mut one = bar.clone();
        one[18] = "...###########..";
        one[19] = "...###########..";
        assert!(!shape(&one).is_one_stroke());
        let zero: Vec<&str> = (0..20)
            .map(|r| match r {
                0 | 19 => ".....######.....",
                _ => "...###.....###..",
            })
            .collect();
        assert!(!shape(&zero).is_one_stroke());
        assert!(!shape(&bar[..10]).is_one_stroke());
    }

    /// The distance as first written: the ink shifted off the grid counted in a pass of its own.
    fn distance_in_two_passes(g: &Glyph, other: &Glyph) -> f32 {
        let mut best = f32::MAX;
        for dy in -1i32..=1 {
            for dx in -1i32..=1 {
                let shifted = |r: i32| {
                    let b = if (0..ROWS as i32).contains(&(r + dy)) {
                        other.rows[(r + dy) as usize]
                    } else {
                        0
                    };
                    (if dx >= 0 { b << dx } else { b >> -dx }) & ((1u32 << COLS) - 1) as u16
                };
                let (mut diff, mut union) = (0u32, 0u32);
                for r in 0..ROWS as i32 {
                    diff += (g.rows[r as usize] ^ shifted(r)).count_ones();
                    union += (g.rows[r as usize] | shifted(r)).count_ones();
                }
                let on_grid: u32 = (0..ROWS as i32)
                    .filter(|r| (0..ROWS as i32).contains(&(r + dy)))
                    .map(|r| shifted(r).count_ones())
                    .sum();
                let lost = other.ink().saturating_sub(on_grid);
                let d = if union == 0 {
                    0.0
                } else {
                    (diff + lost) as f32 / (union + lost) as f32
                };
                best = best.min(d);
            }
        }
        best
    }

    #[test]
    fn distance_in_one_pass_is_the_same() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut glyph = |density: u64| {
            let mut g = Glyph {
                rows: [0; ROWS],
                x0: 0,
                x1: 0,
            };
            for row in g.rows.iter_mut() {
                for c in 0..COLS {
                    if crate::tests::xorshift(&mut state) % 100 < density {
                        *row |= 1 << c;
                    }
                }
            }
            g
        };
        for k in 0..2000u64 {
            let (a, b) = (glyph(k % 60), glyph((k * 7) % 60));
            assert_eq!(
                a.distance(&b).to_bits(),
                distance_in_two_passes(&a, &b).to_bits()
            );
            assert_eq!(a.distance(&a), 0.0);
        }
    }
}
