//! Finding the burned-in text line in a decoded picture and cutting it into glyphs.
//!
//! Recorders draw their on-screen display in a bright fixed-pitch font with a dark outline (or
//! on a dark box), so that it stays legible over any scene: a text pixel is bright and has a
//! much darker pixel within a few pixels of it. The band at the top of the picture is tried
//! first, then the band at the bottom; the text line is the row band with the most glyphs of
//! one height. The line is cut on the font's fixed pitch, and each glyph scaled to the grid of
//! [`crate::shape`].

pub use crate::shape::{COLS, Glyph, ROWS};

/// A picture's luma plane, borrowed.
pub struct Luma<'a> {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub y: &'a [u8],
}

/// The text line found in one picture.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    /// Top and bottom row of the line in the picture.
    pub y0: u32,
    pub y1: u32,
    pub glyphs: Vec<Glyph>,
}

/// A bright pixel at least this much brighter than the darkest pixel near it is text.
const MIN_LEVEL: u8 = 140;
const MIN_CONTRAST: u8 = 70;
/// A marked shape this much dimmer on average than the display's brightest tenth is scene.
const DIMMER_THAN_TEXT: u8 = 45;
/// How near the darker pixel must be (pixels, each way), at least: a tall picture's font has
/// thicker strokes, so the reach grows with the picture's height.
const REACH: usize = 3;
/// Share of the picture's height searched at the top and at the bottom.
const BAND: f32 = 0.2;
/// Most glyphs kept from one line: a recorder's display line is far shorter.
const MAX_GLYPHS: usize = 96;

/// The text line of a picture: the top band's, or the bottom band's when the top has none.
/// `None` when neither band holds a line of at least four glyphs.
pub fn find_line(p: &Luma) -> Option<Line> {
    if p.width < 16 || p.height < 16 || p.y.len() < p.stride * (p.height - 1) + p.width {
        return None;
    }
    let band = top_band(p.height);
    let top = best_line(p, 0, band);
    if top.as_ref().is_some_and(|l| l.glyphs.len() >= DECISIVE) {
        return top;
    }
    let bottom = best_line(p, p.height - band, p.height);
    match (top, bottom) {
        (Some(t), Some(b)) => Some(if b.glyphs.len() > t.glyphs.len() {
            b
        } else {
            t
        }),
        (t, b) => t.or(b),
    }
}

/// A top-band line of this many glyphs is the picture's line, and the bottom is not searched.
const DECISIVE: usize = 8;

/// Rows at the top of a picture `height` rows high that [`find_line`] searches first.
pub fn top_band(height: usize) -> usize {
    ((height as f32 * BAND) as usize).max(8).min(height)
}

/// The line [`find_line`] returns for a picture `height` rows high when its top band decides
/// it, found from `top`, which holds only the picture's top rows (at least [`top_band`]): a
/// decoder that stops after those rows gives the same line. `None` when the top band does not
/// decide, and the whole picture is needed.
pub fn find_top_line(top: &Luma, height: usize) -> Option<Line> {
    let band = top_band(height);
    if top.width < 16
        || height < 16
        || top.height < band
        || top.y.len() < top.stride * (band - 1) + top.width
    {
        return None;
    }
    let p = Luma {
        width: top.width,
        height,
        stride: top.stride,
        y: top.y,
    };
    best_line(&p, 0, band).filter(|l| l.glyphs.len() >= DECISIVE)
}

/// Text mask of rows `r0..r1`: one byte per pixel, 1 for text.
///
/// A stroke of the display is narrower than twice the reach, and dark lies on both sides of
/// it (its outline, or the dark scene): left and right, or above and below. A bright scene
/// beside an outline has dark on one side only, and is left out.
pub(crate) fn mask(p: &Luma, r0: usize, r1: usize) -> Vec<u8> {
    let (w, h) = (p.width, r1 - r0);
    let reach = (p.height / 120).max(REACH).min(w.saturating_sub(1));
    let at = |r: usize, x: usize| p.y[(r0 + r) * p.stride + x];
    let band = |r: usize| &p.y[(r0 + r) * p.stride..(r0 + r) * p.stride + w];
    let lower =
        |dst: &mut [u8], src: &[u8]| dst.iter_mut().zip(src).for_each(|(m, &v)| *m = (*m).min(v));
    let mut m = vec![0u8; w * h];
    // The darkest pixel within reach in eight directions of each pixel of one row, a row at a
    // time so that the eight rows of minima stay in the cache: left, right, above, below, and
    // along both diagonals (the slanted strokes of 2, 4, 7) above and below. Whole rows per
    // distance `k`, which the compiler vectorises.
    let mut near = vec![255u8; 8 * w];
    for r in 0..h {
        near.fill(255);
        let [
            left,
            right,
            up,
            down,
            up_right,
            down_right,
            up_left,
            down_left,
        ] = {
            let mut parts = near.chunks_exact_mut(w);
            [(); 8].map(|_| parts.next().unwrap_or_default())
        };
        let row = band(r);
        for k in 1..=reach {
            lower(&mut left[k..], &row[..w - k]);
            lower(&mut right[..w - k], &row[k..]);
            if let Some(o) = r.checked_sub(k) {
                let src = band(o);
                lower(up, src);
                lower(&mut up_right[..w - k], &src[k..]);
                lower(&mut up_left[k..], &src[..w - k]);
            }
            if r + k < h {
                let src = band(r + k);
                lower(down, src);
                lower(&mut down_right[..w - k], &src[k..]);
                lower(&mut down_left[k..], &src[..w - k]);
            }
        }
        // Without branches, so that this too runs many pixels at a time.
        let out = &mut m[r * w..(r + 1) * w];
        let (left, right, up, down) = (&left[..w], &right[..w], &up[..w], &down[..w]);
        let (up_right, down_right) = (&up_right[..w], &down_right[..w]);
        let (up_left, down_left) = (&up_left[..w], &down_left[..w]);
        for x in 0..w {
            let v = row[x];
            let dark = v.saturating_sub(MIN_CONTRAST);
            let across = (left[x] <= dark) & (right[x] <= dark);
            let along = (up[x] <= dark) & (down[x] <= dark);
            let slant = ((up_right[x] <= dark) & (down_left[x] <= dark))
                | ((up_left[x] <= dark) & (down_right[x] <= dark));
            out[x] = u8::from((v >= MIN_LEVEL) & (across | along | slant));
        }
    }
    // The display's own level: the brightest tenth of what is marked.
    let mut levels = [0usize; 256];
    for (i, &v) in m.iter().enumerate() {
        if v == 1 {
            levels[usize::from(at(i / w, i % w))] += 1;
        }
    }
    let total: usize = levels.iter().sum();
    let (mut seen, mut text) = (0usize, 255u8);
    for (v, n) in levels.iter().enumerate().rev() {
        seen += n;
        if seen * 10 >= total {
            text = v as u8;
            break;
        }
    }
    keep_enclosed(p, r0, &mut m, w, h, text.saturating_sub(DIMMER_THAN_TEXT));
    m
}

/// Keeps the marked shapes that are enclosed by dark pixels, as a glyph's strokes are by its
/// outline or by a dark scene. A bright scene next to an outline is marked too, but the shape
/// it makes runs on into unmarked bright pixels, and it is dropped; so are shapes taller than
/// a display line can be.
fn keep_enclosed(p: &Luma, r0: usize, m: &mut [u8], w: usize, h: usize, level: u8) {
    const SEEN: u8 = 2;
    let max_h = (p.height / 8).max(8);
    let min_dim = (p.height / 100).max(4);
    let at = |i: usize| p.y[(r0 + i / w) * p.stride + i % w];
    let mut stack: Vec<usize> = Vec::new();
    let mut members: Vec<usize> = Vec::new();
    for start in 0..w * h {
        if m[start] != 1 {
            continue;
        }
        m[start] = SEEN;
        stack.push(start);
        members.clear();
        let (mut top, mut bottom) = (start / w, start / w);
        let (mut left, mut right) = (start % w, start % w);
        let mut sum = 0usize;
        while let Some(i) = stack.pop() {
            members.push(i);
            sum += usize::from(at(i));
            let r = i / w;
            let x = i - r * w;
            top = top.min(r);
            bottom = bottom.max(r);
            left = left.min(x);
            right = right.max(x);
            for j in neighbours(i, r, x, w, h).into_iter().flatten() {
                if m[j] == 1 {
                    m[j] = SEEN;
                    stack.push(j);
                }
            }
        }
        // Around a stroke lie its outline and its blurred edge, darker than the stroke; around
        // a patch of bright scene lies more of the same scene.
        let bright_as = (sum / members.len()).saturating_sub(20);
        let (mut border, mut bright) = (0usize, 0usize);
        for &i in &members {
            let r = i / w;
            for j in neighbours(i, r, i - r * w, w, h).into_iter().flatten() {
                if m[j] == 0 {
                    border += 1;
                    if usize::from(at(j)) >= bright_as {
                        bright += 1;
                    }
                }
            }
        }
        let enclosed = bright * 4 <= border;
        // Scene seen between two glyphs' outlines is dark on both sides too, but dimmer than
        // the display's strokes.
        let dim = sum / members.len() < usize::from(level);
        // A speck of scene (grain, a bright leaf) is small both ways; a `-` is small one way.
        let speck = bottom - top + 1 < min_dim && right - left + 1 < min_dim;
        let keep = if enclosed && !dim && !speck && bottom - top < max_h {
            3
        } else {
            4
        };
        for &i in &members {
            m[i] = keep;
        }
    }
    for v in m.iter_mut() {
        *v = u8::from(*v == 3);
    }
}

/// The four neighbours of pixel `i` (row `r`, column `x`) in a `w` x `h` mask.
fn neighbours(i: usize, r: usize, x: usize, w: usize, h: usize) -> [Option<usize>; 4] {
    [
        (r > 0).then(|| i - w),
        (r + 1 < h).then(|| i + w),
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
    ]
}

/// The line with the most glyphs in rows `r0..r1`.
fn best_line(p: &Luma, r0: usize, r1: usize) -> Option<Line> {
    let m = mask(p, r0, r1);
    let (w, h) = (p.width, r1 - r0);
    let counts: Vec<usize> = (0..h)
        .map(|r| m[r * w..(r + 1) * w].iter().filter(|&&b| b == 1).count())
        .collect();
    // The scene's own edges (a pole, a door frame) mark a few pixels in every row: a text row
    // has clearly more than the band's usual row.
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let usual = sorted[sorted.len() / 2];
    let min_count = usual + (w / 200).max(4);
    // Row runs holding text, joined across gaps of two rows.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (r, &c) in counts.iter().enumerate() {
        if c < min_count {
            continue;
        }
        match runs.last_mut() {
            Some(last) if r <= last.1 + 3 => last.1 = r + 1,
            _ => runs.push((r, r + 1)),
        }
    }
    let mut best: Option<Line> = None;
    for (a, b) in runs {
        let lh = b - a;
        if lh < 6 || lh > p.height / 6 {
            continue;
        }
        let line = cut(&m, w, a, b, r0);
        if line.glyphs.len() >= 4
            && best
                .as_ref()
                .is_none_or(|l| line.glyphs.len() > l.glyphs.len())
        {
            best = Some(line);
        }
    }
    best
}

/// Column spans of rows `a..b` of the mask that hold ink, split at the empty columns.
fn spans(m: &[u8], w: usize, a: usize, b: usize) -> Vec<(usize, usize)> {
    let inked = |x: usize| (a..b).any(|r| m[r * w + x] == 1);
    let mut out = Vec::new();
    let mut x = 0;
    while x < w {
        if !inked(x) {
            x += 1;
            continue;
        }
        let s = x;
        while x < w && inked(x) {
            x += 1;
        }
        out.push((s, x));
    }
    out
}

/// Cuts rows `a..b` of the mask into glyphs. The row band found may have taken in a little of
/// the scene above or below; the line's own top and bottom are those most of its glyphs share
/// (digits are most of a display line), and the glyphs are cut again between them.
fn cut(m: &[u8], w: usize, a: usize, b: usize, r0: usize) -> Line {
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
    let profile: Vec<u32> = (0..w)
        .map(|x| (a..b).map(|r| u32::from(m[r * w + x])).sum())
        .collect();
    let Some(first) = profile.iter().position(|&v| v > 0) else {
        return Line {
            y0: (r0 + a) as u32,
            y1: (r0 + b) as u32,
            glyphs: Vec::new(),
        };
    };
    let last = profile.iter().rposition(|&v| v > 0).unwrap_or(first);
    let (pitch, phase) = grid(&profile, first, last, lh);
    let owners = Owners::of(m, w, a, b);
    let mut glyphs = Vec::new();
    let mut k = ((first as f32 - phase) / pitch).floor() as i64;
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
            continue;
        }
        // The cell's own ink: a stroke of a wider neighbour (a full-width `年` beside a digit)
        // that reaches into the cell belongs to the shape whose middle lies outside it.
        let cw = x1 - x0;
        let mut own = vec![0u8; cw * lh];
        for r in 0..lh {
            for x in x0..x1 {
                let i = (a + r) * w + x;
                if m[i] == 1 && owners.centre(i).is_some_and(|c| (x0..x1).contains(&c)) {
                    own[r * cw + x - x0] = 1;
                }
            }
        }
        let mut g = render(&own, cw, 0, lh, 0, cw);
        (g.x0, g.x1) = (x0 as u32, x1 as u32);
        glyphs.push(g);
        if glyphs.len() >= MAX_GLYPHS {
            break;
        }
    }
    Line {
        y0: (r0 + a) as u32,
        y1: (r0 + b) as u32,
        glyphs,
    }
}

/// The connected shapes of the mask in rows `a..b` (four-connected), each with the column of
/// its ink's middle: which cell of the grid a stroke belongs to.
struct Owners {
    /// Per pixel of rows `a..b` (row-major from row `a`), its shape, or `u32::MAX`.
    label: Vec<u32>,
    centre: Vec<usize>,
    w: usize,
    a: usize,
}

impl Owners {
    fn of(m: &[u8], w: usize, a: usize, b: usize) -> Owners {
        let h = b - a;
        let mut label = vec![u32::MAX; w * h];
        let mut centre = Vec::new();
        let mut stack = Vec::new();
        for start in 0..w * h {
            if m[a * w + start] != 1 || label[start] != u32::MAX {
                continue;
            }
            let id = centre.len() as u32;
            label[start] = id;
            stack.push(start);
            let (mut sum, mut n) = (0usize, 0usize);
            while let Some(i) = stack.pop() {
                let r = i / w;
                let x = i - r * w;
                sum += x;
                n += 1;
                for j in neighbours(i, r, x, w, h).into_iter().flatten() {
                    if m[a * w + j] == 1 && label[j] == u32::MAX {
                        label[j] = id;
                        stack.push(j);
                    }
                }
            }
            centre.push(sum / n.max(1));
        }
        Owners {
            label,
            centre,
            w,
            a,
        }
    }

    /// The middle column of the shape that pixel `i` of the whole mask belongs to.
    fn centre(&self, i: usize) -> Option<usize> {
        let l = *self.label.get(i.checked_sub(self.a * self.w)?)?;
        self.centre.get(l as usize).copied()
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
    let best = scored.iter().map(|s| s.0).fold(f32::MAX, f32::min);
    // The smallest pitch within a hair of the best cost.
    scored
        .iter()
        .filter(|s| s.0 <= best * 1.05 + 0.01)
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

    /// A 320x240 picture with a line of ten outlined glyphs at the top, on a fixed pitch of
    /// 12 pixels: hollow boxes (a `0`), every other one a plain stem (a `1`).
    fn picture() -> Vec<u8> {
        let (w, h) = (320, 240);
        let mut y = vec![90u8; w * h];
        for i in 0..10 {
            let x = 20 + i * 12;
            let mut stroke = |r: usize, c: usize| {
                for rr in r - 1..=r + 1 {
                    for cc in c - 1..=c + 1 {
                        if y[rr * w + cc] != 235 {
                            y[rr * w + cc] = 10;
                        }
                    }
                }
                y[r * w + c] = 235;
            };
            for r in 20..34 {
                for c in x..x + 8 {
                    let ring = !(22..32).contains(&r) || !(x + 2..x + 6).contains(&c);
                    let stem = (x + 3..x + 5).contains(&c);
                    if (i % 2 == 0 && ring) || (i % 2 == 1 && stem) {
                        stroke(r, c);
                    }
                }
            }
        }
        y
    }

    #[test]
    fn finds_outlined_glyphs_at_the_top() {
        let y = picture();
        let p = Luma {
            width: 320,
            height: 240,
            stride: 320,
            y: &y,
        };
        let line = find_line(&p).expect("a line");
        assert_eq!(line.glyphs.len(), 10, "{line:?}");
        assert!(
            (18..=22).contains(&line.glyphs[0].x0),
            "{:?}",
            line.glyphs[0]
        );
        // Same shape at another place of the line; another shape.
        assert!(line.glyphs[0].distance(&line.glyphs[4]) < 0.1);
        assert!(line.glyphs[1].distance(&line.glyphs[7]) < 0.1);
        let apart = line.glyphs[0].distance(&line.glyphs[1]);
        assert!(apart > 0.1, "{apart}");
    }

    #[test]
    fn a_plain_picture_has_no_line() {
        let y = vec![128u8; 320 * 240];
        let p = Luma {
            width: 320,
            height: 240,
            stride: 320,
            y: &y,
        };
        assert!(find_line(&p).is_none());
        let short = Luma {
            width: 320,
            height: 240,
            stride: 320,
            y: &y[..100],
        };
        assert!(find_line(&short).is_none());
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
