//! Cutting a display line into glyphs: the font's fixed pitch found from the line's ink, each
//! cell's own ink kept (not a wider neighbour's), and each glyph scaled to the grid of
//! [`crate::shape`]. A line in a proportional font (no pitch fits it) is cut glyph by glyph
//! instead, every glyph scaled to the digits' width.

use crate::glyphs::{COLS, Glyph, Line, ROWS, neighbours};

/// Most glyphs kept from one line: a recorder's display line is far shorter.
const MAX_GLYPHS: usize = 96;

/// Column spans of rows `a..b` of the mask that hold ink, split at the empty columns.
fn spans(m: &[u8], w: usize, a: usize, b: usize) -> Vec<(usize, usize)> {
    if w == 0 {
        return Vec::new();
    }
    inked_runs(&column_ink(m, w, a, b), 0, w - 1).collect()
}

/// Marked pixels of each column over rows `a..b` of the mask (row by row, as it lies in memory).
fn column_ink(m: &[u8], w: usize, a: usize, b: usize) -> Vec<u32> {
    let mut ink = vec![0u32; w];
    for row in m[a * w..b * w].chunks_exact(w) {
        for (n, &v) in ink.iter_mut().zip(row) {
            *n += u32::from(v == 1);
        }
    }
    ink
}

/// Cuts rows `a..b` of the mask into glyphs. The row band found may have taken in a little of
/// the scene above or below; the line's own top and bottom are those most of its glyphs share
/// (digits are most of a display line), and the glyphs are cut again between them.
pub(crate) fn cut(m: &[u8], w: usize, a: usize, b: usize, r0: usize) -> Line {
    let mut extents: Vec<(usize, usize)> = spans(m, w, a, b)
        .iter()
        .filter_map(|&(s, e)| {
            let has = |r: &usize| m[r * w + s..r * w + e].contains(&1);
            let top = (a..b).find(has)?;
            let bottom = (a..b).rev().find(has).unwrap_or(top) + 1;
            Some((top, bottom))
        })
        .collect();
    let median = |v: &mut Vec<usize>| {
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    };
    let mut heights: Vec<usize> = extents.iter().map(|(t, b)| b - t).collect();
    let (a, b) = match median(&mut heights) {
        Some(mh) => {
            extents.retain(|(t, b)| (b - t) * 10 >= mh * 7);
            let mut tops: Vec<usize> = extents.iter().map(|e| e.0).collect();
            let mut bottoms: Vec<usize> = extents.iter().map(|e| e.1).collect();
            match (median(&mut tops), median(&mut bottoms)) {
                (Some(t), Some(bt)) if bt > t + 3 => (t, bt),
                _ => (a, b),
            }
        }
        None => (a, b),
    };
    let lh = b - a;
    // Ink per column over the line's rows.
    let profile = column_ink(m, w, a, b);
    let Some(first) = profile.iter().position(|&v| v > 0) else {
        return Line {
            y0: (r0 + a) as u32,
            y1: (r0 + b) as u32,
            glyphs: Vec::new(),
            spaced: Vec::new(),
        };
    };
    let last = profile.iter().rposition(|&v| v > 0).unwrap_or(first);
    let (pitch, phase) = grid(&profile, first, last, lh);
    let on_grid = grid_cells(&profile, first, last, pitch, phase, w, lh);
    // A display's own grid puts its cuts in the gaps (at most a pixel or two of ink where
    // glyphs touch); a proportional line's ink defeats every grid. The proportional cut is
    // taken only when the grid cuts through about half a glyph's height of ink or more and
    // the proportional cut through a quarter of that at most (a Chinese display's full-width
    // characters, a grid of their own, cost both cuts alike).
    //
    // The proportional cut has no pitch to hold it to the glyphs, so shapes of the scene that
    // touch the line's columns (a busy picture behind a display without a box) would join
    // glyphs into one run: it leaves out every shape that reaches beyond the line's rows, as
    // glyphs do not.
    let mut scene: Option<Vec<bool>> = None;
    let cells = if on_grid.cost * 2 >= lh as u64 {
        let beyond = reaching_beyond(m, w, a, b);
        let clean: Vec<u32> = (0..w)
            .map(|x| {
                (a..b)
                    .filter(|&r| m[r * w + x] == 1 && !beyond[(r - a) * w + x])
                    .count() as u32
            })
            .collect();
        // Both cuts' costs over the line without those shapes: a Chinese display's full-width
        // characters stand taller than its digits, and leaving them out must not make its
        // grid look worse than it is.
        let grid_cost = grid_cost(&clean, first, last, pitch, phase);
        match proportional_cells(&clean, first, last, lh) {
            Some(p) if p.cost * 4 < grid_cost && grid_cost * 2 >= lh as u64 => {
                scene = Some(beyond);
                p
            }
            _ => on_grid,
        }
    } else {
        on_grid
    };
    let owners = Owners::of(m, w, a, b);
    let mut glyphs = Vec::new();
    let mut spaced = Vec::new();
    for cell in &cells.cells {
        let (x0, x1) = cell.draw;
        let (o0, o1) = cell.own;
        // The cell's own ink: a stroke of a wider neighbour (a full-width `年` beside a digit)
        // that reaches into the cell belongs to the shape whose middle lies outside it.
        let cw = x1 - x0;
        let mut own = vec![0u8; cw * lh];
        for r in 0..lh {
            for x in x0..x1 {
                let i = (a + r) * w + x;
                let of_scene = scene.as_ref().is_some_and(|s| s[r * w + x]);
                // Two glyphs that touch are one shape, whose middle lies in one of them: in a
                // run cut in pieces, a shape wider than a glyph's cell gives each piece its
                // own columns (a narrower one, a speck of scene beside a glyph, still goes
                // by its middle).
                let mine = owners.shape(i).is_some_and(|(c, width)| {
                    if cell.by_column && width > cw {
                        (o0..o1).contains(&x)
                    } else {
                        (o0..o1).contains(&c)
                    }
                });
                if m[i] == 1 && !of_scene && mine {
                    own[r * cw + x - x0] = 1;
                }
            }
        }
        let mut g = render(&own, cw, 0, lh, 0, cw);
        (g.x0, g.x1) = (o0 as u32, o1 as u32);
        glyphs.push(g);
        spaced.push(cell.spaced);
        if glyphs.len() >= MAX_GLYPHS {
            break;
        }
    }
    Line {
        y0: (r0 + a) as u32,
        y1: (r0 + b) as u32,
        glyphs,
        spaced,
    }
}

/// Where one glyph is taken from: the columns whose shapes (by their middles) are its own,
/// the columns drawn onto the glyph grid (one character's width, so that every digit is
/// scaled alike), and whether a space stands before it.
struct Cell {
    own: (usize, usize),
    draw: (usize, usize),
    spaced: bool,
    /// The columns `own` are the glyph's whatever shape their ink belongs to (a piece of a
    /// run of touching glyphs), rather than the shapes whose middles lie in them.
    by_column: bool,
}

/// A way of cutting a line, and its cost: the ink of the columns it cuts through.
struct Cells {
    cells: Vec<Cell>,
    cost: u64,
}

/// The ink of the columns that the grid of `pitch` and `phase` cuts through.
fn grid_cost(profile: &[u32], first: usize, last: usize, pitch: f32, phase: f32) -> u64 {
    let mut cost = 0u64;
    let mut k = ((first as f32 - phase) / pitch).floor() as i64;
    loop {
        let x0 = (phase + k as f32 * pitch).round().max(0.0) as usize;
        k += 1;
        if x0 > last {
            return cost;
        }
        if x0 > first {
            cost += u64::from(profile[x0]);
        }
    }
}

/// The line cut on one grid of `pitch` and `phase`: an empty cell is a space, a cell of a few
/// pixels a speck of scene.
fn grid_cells(
    profile: &[u32],
    first: usize,
    last: usize,
    pitch: f32,
    phase: f32,
    w: usize,
    lh: usize,
) -> Cells {
    let mut cells = Vec::new();
    let mut k = ((first as f32 - phase) / pitch).floor() as i64;
    let mut skipped = false;
    loop {
        let x0 = (phase + k as f32 * pitch).round().max(0.0) as usize;
        let x1 = ((phase + (k + 1) as f32 * pitch).round() as usize).min(w);
        k += 1;
        if x0 > last || x0 >= x1 {
            break;
        }
        let ink: u32 = profile[x0..x1].iter().sum();
        // An empty cell is a space; a few pixels are a speck of scene, not a glyph.
        if (ink as usize) < lh / 3 {
            skipped = true;
            continue;
        }
        cells.push(Cell {
            own: (x0, x1),
            draw: (x0, x1),
            spaced: skipped && !cells.is_empty(),
            by_column: false,
        });
        skipped = false;
        if cells.len() >= MAX_GLYPHS {
            break;
        }
    }
    Cells {
        cells,
        cost: grid_cost(profile, first, last, pitch, phase),
    }
}

/// In a proportional line, a step between two glyphs' middles over this many digit widths,
/// with a gap between their ink over [`SPACE_GAP`] of a digit's width, holds a space.
const SPACE_STEP: f32 = 1.25;
const SPACE_GAP: f32 = 0.3;

/// The line cut as a proportional font sets it: digits of one width (tabular figures, as
/// nearly every font draws them), separators and spaces narrower, so no single grid fits the
/// whole line. Each run of inked columns is a glyph, or as many glyphs of the digits' width as
/// it holds (touching glyphs, cut at the column of least ink near where the width puts the
/// cut). The digits' width is the step between neighbouring glyphs that recurs most. A space
/// stands between two glyphs whose middles are further apart than two digits' by a good part
/// of a space ([`SPACE_STEP`]; a space is a third to a half of a digit's width in most fonts)
/// and whose ink is clearly apart ([`SPACE_GAP`]: two wide letters are not spaced). Not the
/// gap alone: a `1` beside a `1` leaves most of both cells empty. `None` when the line has too
/// few glyphs to tell the width.
fn proportional_cells(profile: &[u32], first: usize, last: usize, lh: usize) -> Option<Cells> {
    // Runs of inked columns holding more than a speck (one more than a line may hold, at most).
    let runs: Vec<(usize, usize)> = inked_runs(profile, first, last)
        .filter(|&(s, x)| profile[s..x].iter().sum::<u32>() as usize >= lh / 3)
        .take(MAX_GLYPHS + 1)
        .collect();
    let middle = |(s, e): (usize, usize)| (s + e) as f32 / 2.0;
    let steps: Vec<f32> = runs
        .windows(2)
        .map(|p| middle(p[1]) - middle(p[0]))
        .filter(|&d| d >= lh as f32 * 0.3 && d <= lh as f32 * 1.2)
        .collect();
    // The step with the most others within a twentieth of it (ties: the wider).
    let near = |d: f32| {
        steps
            .iter()
            .filter(|&&e| (e - d).abs() <= d * 0.05 + 0.5)
            .count()
    };
    let (best, count) = steps
        .iter()
        .map(|&d| (d, near(d)))
        .max_by(|x, y| x.1.cmp(&y.1).then(x.0.total_cmp(&y.0)))?;
    if count < 4 {
        return None;
    }
    // The recurring step's mean over the steps near it.
    let close: Vec<f32> = steps
        .iter()
        .copied()
        .filter(|&e| (e - best).abs() <= best * 0.05 + 0.5)
        .collect();
    let pitch = close.iter().sum::<f32>() / close.len() as f32;
    let w = profile.len();
    let mut cells = Vec::new();
    let mut cost = 0u64;
    // The previous glyph's right edge and middle.
    let mut prev: Option<(usize, f32)> = None;
    for (s, e) in runs {
        let n = (((e - s) as f32 / pitch).round() as usize).max(1);
        let mut bounds = vec![s];
        for k in 1..n {
            let at = s as f32 + k as f32 * (e - s) as f32 / n as f32;
            let reach = pitch / 4.0;
            let lo = ((at - reach).max(s as f32 + 1.0)) as usize;
            let hi = ((at + reach) as usize).min(e - 1);
            let cut = (lo..=hi.max(lo))
                .min_by_key(|&x| (profile[x], (x as f32 - at).abs() as u32))
                .unwrap_or(at as usize);
            cost += u64::from(profile[cut]);
            bounds.push(cut);
        }
        bounds.push(e);
        for p in bounds.windows(2) {
            let (x0, x1) = (p[0], p[1]);
            let c = (x0 + x1) as f32 / 2.0;
            let d0 = (c - pitch / 2.0).round().max(0.0) as usize;
            let d1 = ((c + pitch / 2.0).round() as usize).min(w).max(d0 + 1);
            cells.push(Cell {
                own: (x0, x1),
                draw: (d0, d1),
                spaced: prev.is_some_and(|(pe, pc)| {
                    c - pc > pitch * SPACE_STEP && (x0 - pe) as f32 > pitch * SPACE_GAP
                }),
                by_column: n > 1,
            });
            prev = Some((x1, c));
        }
    }
    Some(Cells { cells, cost })
}

/// Per pixel of rows `a..b` (row-major from row `a`): marked, and part of a shape of the
/// mask that reaches more than a row above `a` or below `b` (searched half a line's height
/// each way).
fn reaching_beyond(m: &[u8], w: usize, a: usize, b: usize) -> Vec<bool> {
    let rows = m.len() / w.max(1);
    let half = (b - a) / 2;
    let (lo, hi) = (a.saturating_sub(half), (b + half).min(rows));
    let h = hi - lo;
    let mut seen = vec![false; w * h];
    let mut out = vec![false; w * (b - a)];
    let mut stack = Vec::new();
    let mut members = Vec::new();
    for start in (a - lo) * w..(b - lo) * w {
        if m[lo * w + start] != 1 || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        members.clear();
        let mut leaves = false;
        while let Some(i) = stack.pop() {
            members.push(i);
            let r = i / w;
            let x = i - r * w;
            leaves |= lo + r + 1 < a || lo + r > b;
            for j in neighbours(i, r, x, w, h).into_iter().flatten() {
                if m[lo * w + j] == 1 && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        if leaves {
            for &i in &members {
                let r = lo + i / w;
                if (a..b).contains(&r) {
                    out[(r - a) * w + i % w] = true;
                }
            }
        }
    }
    out
}

/// The connected shapes of the mask in rows `a..b` (four-connected), each with the column of
/// its ink's middle: which cell of the grid a stroke belongs to.
struct Owners {
    /// Per pixel of rows `a..b` (row-major from row `a`), its shape, or `u32::MAX`.
    label: Vec<u32>,
    centre: Vec<usize>,
    /// Per shape, its width in columns.
    width: Vec<usize>,
    w: usize,
    a: usize,
}

impl Owners {
    fn of(m: &[u8], w: usize, a: usize, b: usize) -> Owners {
        let h = b - a;
        let mut label = vec![u32::MAX; w * h];
        let mut centre = Vec::new();
        let mut width = Vec::new();
        let mut stack = Vec::new();
        let band = &m[a * w..b * w];
        let mut next = 0;
        while let Some(skip) = memchr::memchr(1, &band[next..]) {
            let start = next + skip;
            next = start + 1;
            if label[start] != u32::MAX {
                continue;
            }
            let id = centre.len() as u32;
            label[start] = id;
            stack.push(start);
            let (mut sum, mut n) = (0usize, 0usize);
            let (mut left, mut right) = (usize::MAX, 0usize);
            while let Some(i) = stack.pop() {
                let r = i / w;
                let x = i - r * w;
                sum += x;
                n += 1;
                left = left.min(x);
                right = right.max(x);
                for j in neighbours(i, r, x, w, h).into_iter().flatten() {
                    if m[a * w + j] == 1 && label[j] == u32::MAX {
                        label[j] = id;
                        stack.push(j);
                    }
                }
            }
            centre.push(sum / n.max(1));
            width.push(right + 1 - left);
        }
        Owners {
            label,
            centre,
            width,
            w,
            a,
        }
    }

    /// The middle column and the width of the shape that pixel `i` of the whole mask belongs
    /// to.
    fn shape(&self, i: usize) -> Option<(usize, usize)> {
        let l = *self.label.get(i.checked_sub(self.a * self.w)?)? as usize;
        Some((*self.centre.get(l)?, *self.width.get(l)?))
    }
}

/// The display's character grid: pitch and phase (pixels) whose cell boundaries fall where
/// the line has least ink. A display draws every character in a cell of one width, so the
/// boundaries sit in the gaps between glyphs, even where two glyphs touch. Of pitches that fit
/// equally well (twice the pitch fits as well as the pitch), the smallest is taken.
fn grid(profile: &[u32], first: usize, last: usize, lh: usize) -> (f32, f32) {
    let lo = (lh as f32 * 0.4).max(3.0);
    let hi = (lh as f32 * 1.1).max(lo + 1.0);
    // Ink of the column a boundary at `x` falls in (cells are cut at rounded positions).
    let at = |x: f32| -> u64 {
        if x < 0.0 {
            return 0;
        }
        u64::from(profile.get(round(x)).copied().unwrap_or(0))
    };
    // Every (pitch, phase) is scored, but one whose ink already shows it cannot come within
    // [`near_best`] of the best cost found so far is left unfinished: the best found so far is
    // never below the final best, so that bound only narrows, and a candidate left out could
    // neither be the best nor near it. The choice is the same as scoring all of them, at a
    // fraction of the work (most offsets land on ink at once).
    //
    // Which candidates are left unfinished depends on the order they are scored in, the
    // choice does not: the pitches nearest a guess from the line's own gaps are scored first,
    // so that the bound is near the best from the start and most candidates stop after a
    // boundary or two. (Each pitch's phases in rising order, as before: of two candidates of
    // one pitch and one cost, the first is chosen.)
    let mut pitches = Vec::new();
    let mut pitch = lo;
    while pitch <= hi {
        pitches.push(pitch);
        pitch += 0.1;
    }
    if let Some(guess) = pitch_guess(profile, first, last, (lo, hi)) {
        pitches.sort_by(|a, b| (a - guess).abs().total_cmp(&(b - guess).abs()));
    }
    let mut scored: Vec<(f32, f32, f32)> = Vec::new();
    let mut best_so_far: Option<f32> = None;
    let span = (last - first) as f32;
    for pitch in pitches {
        // More boundaries than any phase of this pitch places between `first` and
        // `last + pitch`.
        let most = (span / pitch) as u64 + 4;
        let mut phase = 0.0;
        while phase < pitch {
            // Ink past which the mean over at most `most` boundaries is beyond the bound,
            // rounded well up (the costs are means of whole numbers of pixels).
            let margin = best_so_far.map_or(u64::MAX, |b| {
                (f64::from(near_best(b)) * most as f64 * 1.001 + 1.0) as u64
            });
            let mut k = ((first as f32 - phase) / pitch).floor();
            // Whole pixels: the sum is exact, as the float sum of whole numbers below 2^24 was.
            let (mut ink, mut n) = (0u64, 0u32);
            let finished = loop {
                let x = phase + k * pitch;
                if x > last as f32 + pitch {
                    break true;
                }
                ink += at(x);
                n += 1;
                k += 1.0;
                if ink > margin {
                    break false;
                }
            };
            if finished {
                let cost = ink as f32 / n.max(1) as f32;
                best_so_far = Some(best_so_far.map_or(cost, |b| b.min(cost)));
                scored.push((cost, pitch, phase));
            }
            phase += 0.5;
        }
    }
    choose(&scored, lo)
}

/// The runs of inked columns of `profile[first..=last]`, left to right: `(start, end)`.
fn inked_runs(profile: &[u32], first: usize, last: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut x = first;
    std::iter::from_fn(move || {
        while x <= last && profile[x] == 0 {
            x += 1;
        }
        if x > last {
            return None;
        }
        let s = x;
        while x <= last && profile[x] > 0 {
            x += 1;
        }
        Some((s, x))
    })
}

/// A guess at a line's pitch from its ink profile: the median distance, within `lo..=hi`,
/// between the middles of neighbouring runs of inked columns (glyphs apart; a space between
/// two makes a distance of two pitches, scene specks short ones, both fewer than the glyphs).
fn pitch_guess(profile: &[u32], first: usize, last: usize, (lo, hi): (f32, f32)) -> Option<f32> {
    let middles: Vec<f32> = inked_runs(profile, first, last)
        .map(|(s, x)| (s + x) as f32 / 2.0)
        .collect();
    let mut apart: Vec<f32> = middles
        .windows(2)
        .map(|m| m[1] - m[0])
        .filter(|d| (lo..=hi).contains(d))
        .collect();
    apart.sort_by(f32::total_cmp);
    apart.get(apart.len() / 2).copied()
}

/// Costs this close to the best fit as well as the best: the grid's choice among them is
/// the smallest pitch.
fn near_best(best: f32) -> f32 {
    best * 1.05 + 0.01
}

/// The grid of the smallest pitch among the scored `(cost, pitch, phase)` near the best cost
/// (`lo` with phase 0 when none was scored).
fn choose(scored: &[(f32, f32, f32)], lo: f32) -> (f32, f32) {
    let best = scored.iter().map(|s| s.0).fold(f32::MAX, f32::min);
    scored
        .iter()
        .filter(|s| s.0 <= near_best(best))
        .min_by(|x, y| x.1.total_cmp(&y.1).then(x.0.total_cmp(&y.0)))
        .map_or((lo, 0.0), |s| (s.1, s.2))
}

/// `x.round()` of a non-negative `x` below 2^23, without the library call that
/// `f32::round` is on a baseline x86-64 build (the grid search makes a million of them): the
/// fraction above the integer part is exact, and a half rounds up, as `round` does.
fn round(x: f32) -> usize {
    let i = x as usize;
    if x - i as f32 >= 0.5 { i + 1 } else { i }
}

/// One cell of the mask, rows `a..b` and columns `x0..x1`, scaled to the glyph grid with the
/// ink centred: the cell grid is found to a fraction of a pixel, the glyph is drawn on whole
/// pixels, so its place in the cell wanders by a pixel from cell to cell.
fn render(m: &[u8], w: usize, a: usize, b: usize, x0: usize, x1: usize) -> Glyph {
    let mut g = Glyph {
        rows: [0; ROWS],
        x0: x0 as u32,
        x1: x1 as u32,
    };
    let inked = |x: usize| (a..b).any(|r| m[r * w + x] == 1);
    // A glyph as tall as most of the line (every digit) is scaled to its own height: the
    // line's top and bottom come from whatever else the line says, and a pixel more or less
    // there would change every digit's shape.
    let row_inked = |r: usize| m[r * w + x0..r * w + x1].contains(&1);
    let (a, b) = match (
        (a..b).find(|&r| row_inked(r)),
        (a..b).rev().find(|&r| row_inked(r)),
    ) {
        (Some(ta), Some(tb)) if (tb + 1 - ta) * 10 >= (b - a) * 6 => (ta, tb + 1),
        _ => (a, b),
    };
    let (lh, cw) = ((b - a) as f32, (x1 - x0) as f32);
    let (Some(ia), Some(ib)) = (
        (x0..x1).find(|&x| inked(x)),
        (x0..x1).rev().find(|&x| inked(x)),
    ) else {
        return g;
    };
    let centre = (ia + ib + 1) as f32 / 2.0;
    let step = cw / COLS as f32;
    let left = centre - step * COLS as f32 / 2.0;
    for r in 0..ROWS {
        let ya = a + (r as f32 * lh / ROWS as f32) as usize;
        let yb = (a + ((r + 1) as f32 * lh / ROWS as f32) as usize)
            .max(ya + 1)
            .min(b);
        for c in 0..COLS {
            let fa = left + c as f32 * step;
            let fb = fa + step;
            if fb <= x0 as f32 || fa >= x1 as f32 {
                continue;
            }
            let xa = (fa.max(x0 as f32)) as usize;
            let xb = (fb.min(x1 as f32) as usize).max(xa + 1).min(x1);
            let (mut on, mut all) = (0, 0);
            for yy in ya..yb {
                for xx in xa..xb {
                    on += usize::from(m[yy * w + xx]);
                    all += 1;
                }
            }
            if all > 0 && on * 3 >= all {
                g.set(r, c);
            }
        }
    }
    g.with_even_strokes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid search as it was before candidates were left unfinished: every (pitch, phase)
    /// scored in full, as a float sum (the choice among the scores is shared).
    fn grid_scoring_all(profile: &[u32], first: usize, last: usize, lh: usize) -> (f32, f32) {
        let lo = (lh as f32 * 0.4).max(3.0);
        let hi = (lh as f32 * 1.1).max(lo + 1.0);
        let at = |x: f32| -> f32 {
            if x < 0.0 {
                return 0.0;
            }
            profile.get(round(x)).copied().unwrap_or(0) as f32
        };
        let mut scored: Vec<(f32, f32, f32)> = Vec::new();
        let mut pitch = lo;
        while pitch <= hi {
            let mut phase = 0.0;
            while phase < pitch {
                let mut k = ((first as f32 - phase) / pitch).floor();
                let (mut cost, mut n) = (0.0f32, 0u32);
                loop {
                    let x = phase + k * pitch;
                    if x > last as f32 + pitch {
                        break;
                    }
                    cost += at(x);
                    n += 1;
                    k += 1.0;
                }
                scored.push((cost / n.max(1) as f32, pitch, phase));
                phase += 0.5;
            }
            pitch += 0.1;
        }
        choose(&scored, lo)
    }

    #[test]
    fn leaving_candidates_unfinished_chooses_the_same_grid() {
        // Ink profiles of display lines (glyphs on a pitch, touching or apart, with scene
        // noise between them) and of plain noise, from a fixed pseudo-random sequence.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u32| (crate::tests::xorshift(&mut state) % u64::from(m.max(1))) as u32;
        let mut compared = 0;
        for case in 0..400 {
            let w = 200 + next(1700) as usize;
            let lh = 6 + next(60) as usize;
            let mut profile = vec![0u32; w];
            let pitch = (lh as f32 * (0.45 + next(60) as f32 / 100.0)).max(3.0);
            let ink_w = (pitch * (0.5 + next(50) as f32 / 100.0)).max(1.0);
            let start = next(w as u32 / 4) as f32;
            let glyphs = 4 + next(30) as usize;
            for g in 0..glyphs {
                let x0 = start + g as f32 * pitch;
                let mut x = x0 as usize;
                while (x as f32) < x0 + ink_w && x < w {
                    profile[x] += 1 + next(lh as u32);
                    x += 1;
                }
            }
            let noise = if case % 4 == 0 { w } else { next(40) as usize };
            for _ in 0..noise {
                let x = next(w as u32) as usize;
                profile[x] += next(lh as u32);
            }
            let (Some(first), Some(last)) = (
                profile.iter().position(|&v| v > 0),
                profile.iter().rposition(|&v| v > 0),
            ) else {
                continue;
            };
            let (p, q) = (
                grid(&profile, first, last, lh),
                grid_scoring_all(&profile, first, last, lh),
            );
            assert_eq!(p.0.to_bits(), q.0.to_bits(), "pitch, case {case}");
            assert_eq!(p.1.to_bits(), q.1.to_bits(), "phase, case {case}");
            compared += 1;
        }
        assert!(compared > 350);
    }

    /// A text mask of a line set in a proportional font: digits (a ring `0`, a stem `1`) on
    /// an advance of 14 pixels, dashes on 8, spaces of 7. Returns the mask, its width and
    /// height, and per glyph drawn: its kind (`0`, `1`, `-`) and whether a space preceded it.
    fn proportional_line(layout: &str) -> (Vec<u8>, usize, usize, Vec<(char, bool)>) {
        let (w, h) = (400, 24);
        let mut m = vec![0u8; w * h];
        let mut x = 10;
        let mut drawn = Vec::new();
        let mut space = false;
        for ch in layout.chars() {
            let mut set = |r: usize, c: usize| m[r * w + c] = 1;
            match ch {
                '0' => {
                    for r in 4..20 {
                        for c in x + 2..x + 12 {
                            if !(6..18).contains(&r) || !(x + 4..x + 10).contains(&c) {
                                set(r, c);
                            }
                        }
                    }
                }
                '1' => {
                    for r in 4..20 {
                        for c in x + 6..x + 8 {
                            set(r, c);
                        }
                    }
                    for c in x + 4..x + 10 {
                        set(19, c);
                    }
                }
                '-' => {
                    for r in 11..14 {
                        for c in x + 1..x + 7 {
                            set(r, c);
                        }
                    }
                }
                _ => {}
            }
            match ch {
                ' ' => {
                    x += 7;
                    space = true;
                }
                '-' => {
                    x += 8;
                    drawn.push((ch, space));
                    space = false;
                }
                _ => {
                    x += 14;
                    drawn.push((ch, space));
                    space = false;
                }
            }
        }
        (m, w, h, drawn)
    }

    #[test]
    fn a_proportional_line_is_cut_glyph_by_glyph() {
        let (m, w, h, drawn) = proportional_line("1010-01-10 01 10 0110 0001");
        let line = cut(&m, w, 0, h, 0);
        let kinds: Vec<(char, bool)> = drawn.clone();
        assert_eq!(line.glyphs.len(), kinds.len(), "{line:?}");
        let spaced: Vec<bool> = kinds.iter().map(|k| k.1).collect();
        assert_eq!(line.spaced, spaced);
        // Every ring has one shape, every stem another, wherever the separators put them.
        let of = |kind: char| -> Vec<&Glyph> {
            kinds
                .iter()
                .zip(&line.glyphs)
                .filter(|(k, _)| k.0 == kind)
                .map(|(_, g)| g)
                .collect()
        };
        let (rings, stems) = (of('0'), of('1'));
        for g in &rings {
            assert!(rings[0].distance(g) < 0.1, "{g:?}");
            assert!(stems[0].distance(g) > 0.2, "{g:?}");
        }
        for g in &stems {
            assert!(stems[0].distance(g) < 0.1, "{g:?}");
        }
    }

    #[test]
    fn scene_reaching_into_a_proportional_line_is_left_out() {
        // Bright scene shapes that come down from above into the line's rows and fill the
        // gaps between glyphs (a busy picture behind a display without a box): without them
        // the line cuts as it does alone.
        let layout = "1010-01-10 01 10 0110 0001";
        let (alone, w, h, drawn) = proportional_line(layout);
        let mut m = alone.clone();
        let (mut x, mut blobs) = (10, 0);
        let chars: Vec<char> = layout.chars().collect();
        for (i, &ch) in chars.iter().enumerate() {
            let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            let advance = match ch {
                ' ' => 7,
                '-' => 8,
                _ => 14,
            };
            // A blob in every third gap between two digits, touching neither: two columns,
            // from the top row down to the line's middle.
            if ch.is_ascii_digit() && next_digit && blobs % 3 == 0 {
                for r in 0..12 {
                    for c in x + advance - 1..x + advance + 1 {
                        m[r * w + c] = 1;
                    }
                }
            }
            blobs += usize::from(ch.is_ascii_digit());
            x += advance;
        }
        let line = cut(&m, w, 0, h, 0);
        let clean = cut(&alone, w, 0, h, 0);
        assert_eq!(line.glyphs.len(), drawn.len(), "{line:?}");
        assert_eq!(line.spaced, clean.spaced);
        for (g, c) in line.glyphs.iter().zip(&clean.glyphs) {
            assert!(g.distance(c) < 0.05, "{g:?} against {c:?}");
        }
    }

    #[test]
    fn glyphs_that_touch_in_a_proportional_line_each_keep_their_half() {
        // Two rings joined by a bar at their feet are one shape, whose middle lies between
        // them: each piece of the run keeps its own columns rather than one piece taking the
        // whole shape and the other nothing.
        let layout = "1010-01-10 01 10 00 0110";
        let (mut m, w, h, drawn) = proportional_line(layout);
        // The "00" is characters 17 and 18: the bar from the first's right foot to the
        // second's left.
        let mut x = 10;
        for (i, ch) in layout.chars().enumerate() {
            if i == 17 {
                for r in 17..20 {
                    for c in x + 11..x + 17 {
                        m[r * w + c] = 1;
                    }
                }
            }
            x += match ch {
                ' ' => 7,
                '-' => 8,
                _ => 14,
            };
        }
        let line = cut(&m, w, 0, h, 0);
        assert_eq!(line.glyphs.len(), drawn.len(), "{line:?}");
        // Glyph 0 is a `1`, glyph 1 a `0`; the joined pair are glyphs 14 and 15.
        let (stem, ring) = (&line.glyphs[0], &line.glyphs[1]);
        for g in &line.glyphs[14..16] {
            assert!(g.ink() > 20, "an empty half: {g:?}");
            assert!(ring.distance(g) < stem.distance(g), "{g:?}");
        }
    }

    #[test]
    fn a_fixed_pitch_line_keeps_its_grid_and_its_spaces() {
        // The same glyphs on one pitch of 14 (a separator and a space a whole cell each).
        let (w, h) = (400, 24);
        let mut m = vec![0u8; w * h];
        let layout = "1010-01-10 01 10";
        let mut spaced = Vec::new();
        let mut space = false;
        for (i, ch) in layout.chars().enumerate() {
            let x = 10 + i * 14;
            let (glyph, _, _, _) = proportional_line(&ch.to_string());
            if ch == ' ' {
                space = true;
                continue;
            }
            // The glyph drawn at 10 moved to its cell.
            for r in 0..h {
                for c in 0..30 {
                    if glyph[r * w + 10 + c] == 1 {
                        m[r * w + x + c] = 1;
                    }
                }
            }
            spaced.push(space);
            space = false;
        }
        let line = cut(&m, w, 0, h, 0);
        assert_eq!(line.spaced, spaced, "{line:?}");
        for g in &line.glyphs {
            assert!((13..=15).contains(&(g.x1 - g.x0)), "{g:?}");
        }
    }

    #[test]
    fn any_mask_cuts_without_panicking_into_a_bounded_line() {
        // Masks of random bars and specks, some laid out as a line, some as noise, some
        // reaching beyond the rows cut: both cuts run on them (a grid that fits no glyph sends
        // most to the proportional one), and the line holds together.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: u64| crate::tests::xorshift(&mut state) % m.max(1);
        for case in 0..300 {
            let w = 20 + next(600) as usize;
            let rows = 8 + next(60) as usize;
            let mut m = vec![0u8; w * rows];
            let (a, b) = {
                let a = next(rows as u64 / 3) as usize;
                (
                    a,
                    (a + 6 + next((rows - a - 6) as u64 + 1) as usize).min(rows),
                )
            };
            let shapes = next(80);
            for _ in 0..shapes {
                let (x, y) = (next(w as u64) as usize, next(rows as u64) as usize);
                let (bw, bh) = (1 + next(12) as usize, 1 + next(rows as u64) as usize);
                for r in y..(y + bh).min(rows) {
                    for c in x..(x + bw).min(w) {
                        m[r * w + c] = 1;
                    }
                }
            }
            if case % 3 == 0 {
                // A line: glyph-high bars on an uneven pitch.
                let mut x = next(20) as usize;
                while x + 4 < w {
                    for r in a..b {
                        for c in x..x + 3 {
                            m[r * w + c] = 1;
                        }
                    }
                    x += 5 + next(9) as usize;
                }
            }
            let line = cut(&m, w, a, b, 0);
            assert_eq!(line.spaced.len(), line.glyphs.len(), "case {case}");
            assert!(line.glyphs.len() <= MAX_GLYPHS, "case {case}");
            assert!(
                line.y0 <= line.y1 && (line.y1 as usize) <= rows,
                "case {case}"
            );
            for g in &line.glyphs {
                assert!(g.x0 <= g.x1 && (g.x1 as usize) <= w, "case {case}: {g:?}");
            }
        }
    }

    #[test]
    fn the_grid_rounds_as_f32_round_does() {
        // Boundaries are phase + k * pitch, pitch stepped by 0.1 and phase by 0.5.
        let mut pitch = 3.0f32;
        while pitch < 60.0 {
            let mut phase = 0.0f32;
            while phase < pitch {
                for k in 0..200 {
                    let x = phase + k as f32 * pitch;
                    assert_eq!(round(x), x.round() as usize, "{x}");
                }
                phase += 0.5;
            }
            pitch += 0.1;
        }
        for x in [0.0f32, 0.5, 1.5, 2.4999998, 2.5, 8_388_607.5, 0.49999997] {
            assert_eq!(round(x), x.round() as usize, "{x}");
        }
    }
}
