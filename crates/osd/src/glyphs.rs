//! Finding the burned-in text line in a decoded picture and cutting it into glyphs.
//!
//! Recorders draw their on-screen display in a bright fixed-pitch font with a dark outline (or
//! on a dark box), so that it stays legible over any scene: a text pixel is bright and has a
//! much darker pixel within a few pixels of it. The bands at the top and at the bottom of the
//! picture are searched; their text lines are row bands of glyphs of about one height, and
//! those that can hold a date and time are the candidates for the clock (which of them it is
//! is learned per display, from how its glyphs change). A line is cut on the font's fixed
//! pitch, and each glyph scaled to the grid of [`crate::shape`].

pub use crate::shape::{COLS, Glyph, ROWS};

use crate::cells::cut;

/// A picture's luma plane, borrowed.
pub struct Luma<'a> {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub y: &'a [u8],
}

impl<'a> Luma<'a> {
    /// The same rows taken as the first rows of a picture `height` rows high (a decoder that
    /// stopped early gives fewer rows than the picture has): the masks scale with the
    /// picture's height, not with the rows at hand.
    fn of_height(&self, height: usize) -> Luma<'a> {
        Luma {
            width: self.width,
            height,
            stride: self.stride,
            y: self.y,
        }
    }
}

/// The text line found in one picture.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    /// Top and bottom row of the line in the picture.
    pub y0: u32,
    pub y1: u32,
    pub glyphs: Vec<Glyph>,
    /// Per glyph: a space stands before it (an empty cell of the display's grid, or in a
    /// proportional font a gap wider than the one between two digits).
    pub spaced: Vec<bool>,
}

/// How a display's text is told from the scene behind it, learned with its font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ink {
    /// Every stroke has dark on both sides (an outline, a box, or a dark scene): most
    /// displays, and the only kind looked for until a display teaches nothing so.
    #[default]
    Edged,
    /// The text is brighter than anything behind it, with dark on one side of a stroke at most:
    /// a drop shadow, or plain text over a lighter scene. Tried for a display that teaches
    /// nothing as [`Ink::Edged`]; not first, since a scene brighter than the text anywhere in
    /// the band hides it (see `bright_mask`).
    Bright,
    /// Dark text on a light box or a light scene (black digits on a white strip): the picture's
    /// levels turned over, then read as [`Ink::Edged`]. Tried last, for a display that teaches
    /// nothing as light text.
    Dark,
    /// Edged text drawn by a display chip from a bitmap font, its pixels doubled or tripled to
    /// the picture: as [`Ink::Edged`], with the pieces that touch only at their corners (the
    /// steps of a slant, a rounded corner) joined into their glyphs (see `join_pieces`).
    /// Tried after every other ink, so that a display any of them reads is read as before.
    Blocky,
}

impl Ink {
    /// Every kind, in the order a display is learned with them, which is their declaration
    /// order (`ink as usize` indexes it).
    pub const ALL: [Ink; 4] = [Ink::Edged, Ink::Bright, Ink::Dark, Ink::Blocky];

    /// The name kept with a font (`osd_fonts.ink`).
    pub fn name(self) -> &'static str {
        match self {
            Ink::Edged => "edged",
            Ink::Bright => "bright",
            Ink::Dark => "dark",
            Ink::Blocky => "blocky",
        }
    }

    pub fn from_name(name: &str) -> Option<Ink> {
        Ink::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// A bright pixel at least this much brighter than the darkest pixel near it is text. (70
/// lost the foot of a glyph drawn on a box that ends at its bottom stroke, over a scene of
/// luma ~177 just below: 60 reads that display and changed no other reading measured.)
const MIN_LEVEL: u8 = 140;
const MIN_CONTRAST: u8 = 60;
/// A marked shape this much dimmer on average than the display's brightest tenth is scene.
const DIMMER_THAN_TEXT: u8 = 45;
/// ... or whose own brightest tenth is this much dimmer than that.
const TENTH_BELOW_TEXT: u8 = 15;
/// How near the darker pixel must be (pixels, each way), at least: a tall picture's font has
/// thicker strokes, so the reach grows with the picture's height.
const REACH: usize = 3;
/// Share of the picture's height searched at the top and at the bottom.
const BAND: f32 = 0.2;

/// Fewest glyphs of a line that can show a date and time: its fourteen digits.
pub const CLOCK_GLYPHS: usize = 14;

/// Every line of a picture that may hold the clock (at least [`CLOCK_GLYPHS`] glyphs), in the
/// top band and in the bottom band, top to bottom. A display may have several lines (the
/// clock above the device, officer and unit numbers, or below them, or the clock alone in a
/// corner while the other lines stand elsewhere); which of them is the clock is learned
/// per display from how its glyphs change ([`crate::tracks`], the keyframe stage's learning).
pub fn find_lines(p: &Luma, ink: Ink) -> Vec<Line> {
    if p.height < 16 || p.y.len() < p.stride * (p.height - 1) + p.width {
        return Vec::new();
    }
    let band = top_band(p.height);
    let mut lines = lines_in(p, p.height, 0, band, ink);
    if p.height - band >= band {
        lines.extend(lines_in(p, p.height, p.height - band, p.height, ink));
    }
    lines
}

/// The lines of rows `r0..r1` of a picture `height` rows high, of which `p` may hold only the
/// first rows (at least `r1`: a decoder that stopped after them), that may hold the clock: a
/// display whose clock line is known is searched only in the band it stands in.
pub fn lines_in(p: &Luma, height: usize, r0: usize, r1: usize, ink: Ink) -> Vec<Line> {
    lines_near(p, height, r0, r1, ink, None)
}

/// The lines that may hold the clock in the band of a picture `height` rows high where a known
/// clock line stands at `rows` ([`band_of`]), of which `p` may hold only the first rows:
/// [`lines_in`] over that band, but only the row runs that reach into `rows` cut into glyphs
/// (cutting the scene's runs is much of the search's cost over a busy scene, and a reading
/// wants the line at `rows` alone). The line at `rows` is the one [`lines_in`] finds there,
/// also when a taller line elsewhere in the band would have had it set aside as too short.
pub fn lines_at(p: &Luma, height: usize, rows: (u32, u32), ink: Ink) -> Vec<Line> {
    let (r0, r1) = band_of(height, rows);
    lines_near(p, height, r0, r1, ink, Some(rows))
}

/// The clock line of a display known to stand at `rows`, found without searching its band: the
/// text mask is made only around those rows (half a line above and below, and the mask's reach
/// beyond that), and the line is the run of text rows there that reaches into `rows`, text rows
/// told from the scene's by the rows around the line rather than by the whole band. `p` may
/// hold only the first rows of a picture `height` rows high. `None` when no such line stands
/// there, at those rows, with a clock's glyphs, and always for an [`Ink::Bright`] display: then
/// the band is searched ([`lines_at`]).
///
/// Most of a known display's keyframes read this way at a fraction of the band's cost (the
/// mask, the cut, and the decoding of rows below the line); a scene that spoils the line's
/// rows, a display that moved, or text about the line fall back to the search.
pub fn line_at_rows(p: &Luma, height: usize, rows: (u32, u32), ink: Ink) -> Option<Line> {
    // A bright display's text level is that of the brightest few pixels of what is looked at
    // (`bright_mask`): around one line they are its brightest strokes' cores, which would
    // leave the dimmer strokes out. Its band is searched.
    if ink == Ink::Bright {
        return None;
    }
    let (y0, y1) = (rows.0 as usize, rows.1 as usize);
    let lh = y1.checked_sub(y0).filter(|&h| h >= 6)?;
    let (pad, r1) = rows_at(height, rows);
    let r0 = y0.saturating_sub(pad + reach(height));
    if r1 > p.height.min(height)
        || p.width < 16
        || p.y.len() < p.stride * (r1 - 1) + p.width
        || y1 + pad > r1
    {
        return None;
    }
    let m = text_mask(&p.of_height(height), r0, r1, ink);
    let w = p.width;
    let counts = row_counts(&m, w);
    let count = |r: usize| counts[r - r0];
    // The scene's usual row: the rows of the pads above and below the line (the mask's reach
    // beyond them left out: the mask there saw less around it).
    let (lo, hi) = (y0.saturating_sub(pad).max(r0), y1 + pad);
    let usual = median((lo..y0).chain(y1..hi).map(count).collect())?;
    // Runs of text rows within the pads, as the band search finds them; the line is the one
    // that overlaps `rows` most.
    let (a, b) = text_runs((lo..hi).map(|r| (r, count(r))), usual, w)
        .into_iter()
        .filter(|&(a, b)| a < y1 && b > y0)
        .max_by_key(|&(a, b)| b.min(y1) - a.max(y0))?;
    // A run that fills a pad to its edge may go on beyond what was looked at (text above or
    // below the line, or scene joined to it): not this line alone.
    if (a == lo && lo > 0) || b == hi || b - a < 6 || b - a > lh * 2 {
        return None;
    }
    let line = cut(&m, w, a - r0, b - r0, r0);
    // The line stands where the font says, to a pixel or two: a display that stands a few rows
    // off (or rows that take in only part of it) makes the rows around it text too, and what is
    // found there is not trusted; the band search finds such a line whole.
    let near = |found: u32, known: u32| found.abs_diff(known) <= ROWS_SLACK;
    (line.glyphs.len() >= CLOCK_GLYPHS && near(line.y0, rows.0) && near(line.y1, rows.1))
        .then_some(line)
}

/// How far (rows) the line [`line_at_rows`] finds may stand from its known rows, at each edge.
const ROWS_SLACK: u32 = 2;

/// For a clock line known at `rows` of a picture `height` rows high: the pad looked at above and
/// below it by [`line_at_rows`], and the row its mask ends at (the pad and the mask's reach
/// below the line): a decoder may stop there.
pub fn rows_at(height: usize, rows: (u32, u32)) -> (usize, usize) {
    let lh = rows.1.saturating_sub(rows.0) as usize;
    let pad = (lh / 2).max(4);
    (pad, (rows.1 as usize + pad + reach(height)).min(height))
}

/// How near the darker pixel of a stroke must be in a picture `height` rows high ([`REACH`]
/// at least): the mask looks this far each way.
fn reach(height: usize) -> usize {
    (height / 120).max(REACH)
}

fn lines_near(
    p: &Luma,
    height: usize,
    r0: usize,
    r1: usize,
    ink: Ink,
    near: Option<(u32, u32)>,
) -> Vec<Line> {
    let r1 = r1.min(p.height).min(height);
    if p.width < 16 || height < 16 || r1 < r0 + 8 || p.y.len() < p.stride * (r1 - 1) + p.width {
        return Vec::new();
    }
    let mut lines = band_lines(&p.of_height(height), r0, r1, ink, near);
    lines.retain(|l| l.glyphs.len() >= CLOCK_GLYPHS);
    lines
}

/// The band of a picture `height` rows high that [`find_lines`] finds a line standing at
/// `rows` in: the top band when the line lies within it, else the bottom band. Searching that
/// band alone ([`lines_in`]) finds the line as [`find_lines`] did; a narrower band around the
/// line would not (the line search tells text rows by how much more they hold than the band's
/// usual row, and a display's other lines can fill half of a narrow band).
pub fn band_of(height: usize, rows: (u32, u32)) -> (usize, usize) {
    let band = top_band(height);
    if rows.1 as usize <= band {
        (0, band)
    } else {
        (height.saturating_sub(band), height)
    }
}

/// Rows at the top of a picture `height` rows high searched for lines (and as many at the
/// bottom).
pub fn top_band(height: usize) -> usize {
    ((height as f32 * BAND) as usize).max(8).min(height)
}

/// The text mask of rows `r0..r1` as the line search makes it for `ink` (one byte per pixel, 1
/// for text); public for looking at a display that is not read (the `osd_line` example).
#[doc(hidden)]
pub fn text_mask(p: &Luma, r0: usize, r1: usize, ink: Ink) -> Vec<u8> {
    match ink {
        Ink::Edged => mask(p, r0, r1, false),
        Ink::Blocky => mask(p, r0, r1, true),
        Ink::Bright => bright_mask(p, r0, r1),
        Ink::Dark => {
            // Rows `r0..r1` turned over, as the first rows of a picture as high as `p` (the
            // mask's reach scales with the picture's height); rows the picture lacks mark
            // nothing.
            let (w, h) = (p.width, r1.saturating_sub(r0));
            let mut y = Vec::with_capacity(w * h);
            for r in r0..r1 {
                let row = p.y.get(r * p.stride..r * p.stride + w).unwrap_or_default();
                y.extend(row.iter().map(|v| 255 - v));
            }
            if y.len() < w * h {
                return vec![0; w * h];
            }
            let turned = Luma {
                width: w,
                height: p.height,
                stride: w,
                y: &y,
            };
            mask(&turned, 0, h, false)
        }
    }
}

/// Text mask of rows `r0..r1`: one byte per pixel, 1 for text.
///
/// A stroke of the display is narrower than twice the reach, and dark lies on both sides of
/// it (its outline, or the dark scene): left and right, or above and below. A bright scene
/// beside an outline has dark on one side only, and is left out.
pub(crate) fn mask(p: &Luma, r0: usize, r1: usize, join: bool) -> Vec<u8> {
    let (w, h) = (p.width, r1 - r0);
    let reach = reach(p.height).min(w.saturating_sub(1));
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
    // Only the marked pixels are counted (a few in a hundred): counting every pixel by a
    // branch-free add stalls on the bins of the scene's common levels.
    for (r, marks) in m.chunks_exact(w).enumerate() {
        for (&v, &y) in marks.iter().zip(band(r)) {
            if v == 1 {
                levels[usize::from(y)] += 1;
            }
        }
    }
    let text = level_of_brightest(&levels, 100);
    keep_enclosed(p, r0, &mut m, w, h, text, join);
    m
}

/// Share of a band's pixels, per thousand, that the brightest text of a [`Ink::Bright`] display
/// is taken to fill at least: a clock line of fourteen glyphs fills some 1-2% of its band.
const BRIGHT_PER_MILLE: usize = 5;
/// A pixel of a [`Ink::Bright`] display is text when it is no more than this below that level:
/// the strokes' cores, not their edges, which blend with whatever lies beside them (the scene
/// on one side and the shadow on the other, differently in each picture).
const BRIGHT_BELOW_TOP: u8 = 20;

/// Text mask of rows `r0..r1` of a display whose text is brighter than the scene
/// ([`Ink::Bright`]): the pixels near the level the band's brightest few pixels reach, and of
/// those the shapes [`keep_enclosed`] keeps. Where the scene is as bright as the text, the
/// text is lost (it is joined to the scene's patch, which is dropped), never misread.
pub(crate) fn bright_mask(p: &Luma, r0: usize, r1: usize) -> Vec<u8> {
    let (w, h) = (p.width, r1 - r0);
    let band = |r: usize| &p.y[(r0 + r) * p.stride..(r0 + r) * p.stride + w];
    let mut levels = [0usize; 256];
    for r in 0..h {
        for &y in band(r) {
            levels[usize::from(y)] += 1;
        }
    }
    let top = level_of_brightest(&levels, BRIGHT_PER_MILLE);
    let text = top.saturating_sub(BRIGHT_BELOW_TOP).max(MIN_LEVEL);
    let mut m = vec![0u8; w * h];
    for r in 0..h {
        for (o, &y) in m[r * w..(r + 1) * w].iter_mut().zip(band(r)) {
            *o = u8::from(y >= text);
        }
    }
    keep_enclosed(p, r0, &mut m, w, h, top, false);
    m
}

/// The level that the brightest `per_mille` thousandths of the pixels counted in `levels` (a
/// histogram) reach or pass; 255 when none is counted.
fn level_of_brightest(levels: &[usize; 256], per_mille: usize) -> u8 {
    let total: usize = levels.iter().sum();
    let mut seen = 0usize;
    for (v, n) in levels.iter().enumerate().rev() {
        seen += n;
        if seen * 1000 >= total * per_mille {
            return v as u8;
        }
    }
    255
}

/// Keeps the marked shapes that are enclosed by dark pixels, as a glyph's strokes are by its
/// outline or by a dark scene. A bright scene next to an outline is marked too, but the shape
/// it makes runs on into unmarked bright pixels, and it is dropped; so are shapes taller than
/// a display line can be, and shapes whose brightest pixels fall short of the display's level
/// (scene closed in by outlines).
/// With `join`, the pieces too small to be text alone are joined at their corners
/// ([`join_pieces`]).
fn keep_enclosed(p: &Luma, r0: usize, m: &mut [u8], w: usize, h: usize, text: u8, join: bool) {
    let level = text.saturating_sub(DIMMER_THAN_TEXT);
    const SEEN: u8 = 2;
    let max_h = (p.height / 8).max(8);
    let min_dim = (p.height / 100).max(4);
    // The rows' pixels indexed as the mask is (`r * w + x`): the picture's own rows when they
    // lie one after another, else a copy.
    let from = r0 * p.stride;
    let lum: std::borrow::Cow<[u8]> = if p.stride == w {
        std::borrow::Cow::Borrowed(&p.y[from..from + w * h])
    } else {
        std::borrow::Cow::Owned(
            (0..h)
                .flat_map(|r| &p.y[from + r * p.stride..from + r * p.stride + w])
                .copied()
                .collect(),
        )
    };
    let at = |i: usize| lum[i];
    let mut stack: Vec<usize> = Vec::new();
    let mut members: Vec<usize> = Vec::new();
    let mut values: Vec<u8> = Vec::new();
    let mut next = 0;
    // Each marked pixel not yet taken into a shape starts one (found a run of bytes at a time).
    while let Some(skip) = memchr::memchr(1, &m[next..]) {
        let start = next + skip;
        next = start + 1;
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
        // A speck of scene (grain, a bright leaf) is small both ways; a `-` is small one way.
        let speck = bottom - top + 1 < min_dim && right - left + 1 < min_dim;
        // Scene seen between two glyphs' outlines is dark on both sides too, but dimmer than
        // the display's strokes.
        let dim = sum / members.len() < usize::from(level);
        // Around a stroke lie its outline and its blurred edge, darker than the stroke; around
        // a patch of bright scene lies more of the same scene. (Asked of the shapes the
        // questions above leave: most of a busy scene's shapes are specks or dim.)
        let enclosed = || {
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
            bright * 4 <= border
        };
        // And a patch of bright scene closed in by the outlines of neighbouring strokes (the
        // hollow of a `2` or a `3` beside the next glyph) is as dark around as a stroke and,
        // over a light scene, nearly as bright on average: but a stroke's middle pixels are
        // the display's own level, the patch's the scene's. (Asked last: it orders the
        // shape's pixels.)
        // (A speck is asked no more unless pieces are joined: most of a busy scene's shapes
        // are specks.)
        let like_text = (join || !speck) && !dim && bottom - top < max_h && enclosed() && {
            values.clear();
            values.extend(members.iter().map(|&i| at(i)));
            brightest_tenth(&mut values) >= text.saturating_sub(TENTH_BELOW_TEXT)
        };
        let keep = match (like_text, speck) {
            (true, false) => KEPT,
            (true, true) => PIECE,
            (false, _) => DROPPED,
        };
        for &i in &members {
            m[i] = keep;
        }
    }
    if join {
        join_pieces(m, w, h, min_dim);
    }
    for v in m.iter_mut() {
        *v = u8::from(*v == KEPT);
    }
}

/// [`keep_enclosed`]'s marks: a shape kept as text, a piece too small to be text on its own
/// that is like text otherwise, a shape dropped.
const KEPT: u8 = 3;
const PIECE: u8 = 4;
const DROPPED: u8 = 5;

/// Keeps the pieces that join, corner to corner, into a shape as large as text, or onto kept
/// text.
///
/// A display chip draws its digits from a bitmap font, its pixels doubled or tripled to the
/// picture's size: the steps of a diagonal stroke, and the rounded corners of a `0` or a `3`,
/// are blocks that touch only at their corners. Joined side to side only, a `2`'s slant falls
/// apart into blocks each smaller than any glyph, and a `3` wholly; kept alone they would be
/// specks of scene. Joined at their corners as well they are the glyph again: kept when that
/// shape is no speck, or touches a kept one. Pieces that join into nothing larger stay specks
/// and are dropped.
fn join_pieces(m: &mut [u8], w: usize, h: usize, min_dim: usize) {
    const JOINING: u8 = 6;
    if !m.contains(&PIECE) {
        return;
    }
    let mut stack: Vec<usize> = Vec::new();
    let mut members: Vec<usize> = Vec::new();
    let mut next = 0;
    while let Some(skip) = memchr::memchr(PIECE, &m[next..]) {
        let start = next + skip;
        next = start + 1;
        m[start] = JOINING;
        stack.push(start);
        members.clear();
        let (mut top, mut bottom, mut left, mut right) = (h, 0, w, 0);
        let mut onto_kept = false;
        while let Some(i) = stack.pop() {
            members.push(i);
            let (r, x) = (i / w, i % w);
            (top, bottom) = (top.min(r), bottom.max(r));
            (left, right) = (left.min(x), right.max(x));
            for rr in r.saturating_sub(1)..(r + 2).min(h) {
                for xx in x.saturating_sub(1)..(x + 2).min(w) {
                    let j = rr * w + xx;
                    match m[j] {
                        PIECE => {
                            m[j] = JOINING;
                            stack.push(j);
                        }
                        KEPT => onto_kept = true,
                        _ => {}
                    }
                }
            }
        }
        let speck = bottom - top + 1 < min_dim && right - left + 1 < min_dim;
        let keep = if onto_kept || !speck { KEPT } else { DROPPED };
        for &i in &members {
            m[i] = keep;
        }
    }
}

/// The value a tenth of some pixels reach or pass (the pixels reordered).
fn brightest_tenth(v: &mut [u8]) -> u8 {
    let at = v.len() * 9 / 10;
    *v.select_nth_unstable(at).1
}

/// The four neighbours of pixel `i` (row `r`, column `x`) in a `w` x `h` mask.
pub(crate) fn neighbours(i: usize, r: usize, x: usize, w: usize, h: usize) -> [Option<usize>; 4] {
    [
        (r > 0).then(|| i - w),
        (r + 1 < h).then(|| i + w),
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
    ]
}

/// The lines in rows `r0..r1`, top to bottom: each of at least four glyphs, and nearly as tall
/// as the tallest.
pub(crate) fn band_lines(
    p: &Luma,
    r0: usize,
    r1: usize,
    ink: Ink,
    near: Option<(u32, u32)>,
) -> Vec<Line> {
    let m = text_mask(p, r0, r1, ink);
    let w = p.width;
    let counts = row_counts(&m, w);
    // The band's usual row, and the runs of rows holding text ([`text_runs`]).
    let Some(usual) = median(counts.clone()) else {
        return Vec::new();
    };
    let runs = text_runs(counts.iter().copied().enumerate(), usual, w);
    // The display's lines are among those nearly as tall as the tallest: a strip of grainy
    // scene a few rows high (a fractal's speckled edge) cuts into as many tiny cells as a line
    // has glyphs, or more, but a display's glyphs are taller.
    // A run gives no line taller than itself, so the runs are cut tallest first, and those
    // too short to stand beside the tallest line found are not cut at all (cutting is most
    // of the cost of finding a line; a busy scene makes many short runs).
    let reaches = |a: usize, b: usize| {
        near.is_none_or(|(y0, y1)| (r0 + a) < y1 as usize && (r0 + b) > y0 as usize)
    };
    let mut runs: Vec<(usize, usize, usize)> = runs
        .into_iter()
        .filter(|&(a, b)| b - a >= 6 && b - a <= p.height / 6 && reaches(a, b))
        .enumerate()
        .map(|(i, (a, b))| (i, a, b))
        .collect();
    runs.sort_by_key(|&(i, a, b)| (std::cmp::Reverse(b - a), i));
    let mut lines: Vec<(usize, Line)> = Vec::new();
    let mut tallest = 0u32;
    for (i, a, b) in runs {
        if (b - a) as u32 * 10 < tallest * TALL_TENTHS {
            break;
        }
        let line = cut(&m, w, a, b, r0);
        if line.glyphs.len() >= 4 {
            tallest = tallest.max(line.y1 - line.y0);
            lines.push((i, line));
        }
    }
    lines.sort_by_key(|(i, _)| *i);
    lines
        .into_iter()
        .map(|(_, l)| l)
        .filter(|l| (l.y1 - l.y0) * 10 >= tallest * TALL_TENTHS)
        .collect()
}

/// Marked pixels in each row of a text mask `w` pixels wide.
fn row_counts(m: &[u8], w: usize) -> Vec<usize> {
    m.chunks_exact(w)
        .map(|row| row.iter().fold(0u32, |n, &b| n + u32::from(b == 1)) as usize)
        .collect()
}

/// The middle value (the upper of the two middle ones); `None` of none.
fn median(mut v: Vec<usize>) -> Option<usize> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// The runs of text rows among `rows` (row, marked pixels; in order), `(first, end)`, joined
/// across gaps of two rows. The scene's own edges (a pole, a door frame) mark a few pixels in
/// every row: a text row has clearly more than the scene's `usual` row of a mask `w` wide.
fn text_runs(
    rows: impl Iterator<Item = (usize, usize)>,
    usual: usize,
    w: usize,
) -> Vec<(usize, usize)> {
    let min_count = usual + (w / 200).max(4);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (r, _) in rows.filter(|&(_, c)| c >= min_count) {
        match runs.last_mut() {
            Some(last) if r <= last.1 + 3 => last.1 = r + 1,
            _ => runs.push((r, r + 1)),
        }
    }
    runs
}

/// A line shorter than this many tenths of the tallest line found in a band is not the
/// display's (see [`band_lines`]).
const TALL_TENTHS: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether glyph `i` of the made lines has ink at row `r` (20-33) and column `c` (0-7)
    /// of its cell: a hollow box (a `0`), every other one a plain stem (a `1`).
    fn inked(i: usize, r: usize, c: usize) -> bool {
        let ring = !(22..32).contains(&r) || !(2..6).contains(&c);
        let stem = (3..5).contains(&c);
        if i.is_multiple_of(2) { ring } else { stem }
    }

    /// A 320x240 picture's luma plane.
    fn luma(y: &[u8]) -> Luma<'_> {
        Luma {
            width: 320,
            height: 240,
            stride: 320,
            y,
        }
    }

    /// A 320x240 picture with a line of ten outlined glyphs at the top, on a fixed pitch of
    /// 12 pixels ([`inked`]).
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
                    if inked(i, r, c - x) {
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
        let p = luma(&y);
        let lines = band_lines(&p, 0, top_band(240), Ink::Edged, None);
        let [line] = &lines[..] else {
            panic!("one line: {lines:?}");
        };
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
    fn every_ink_is_named_and_indexed_in_learning_order() {
        for (i, ink) in Ink::ALL.into_iter().enumerate() {
            assert_eq!(ink as usize, i);
            assert_eq!(Ink::from_name(ink.name()), Some(ink));
        }
        assert_eq!(Ink::from_name("shadowed"), None);
    }

    /// [`picture`] with its line twice as long: twenty glyphs, as many as a clock line has
    /// (`lines_at` wants fourteen).
    fn twenty() -> Vec<u8> {
        let mut y = picture();
        let w = 320;
        for r in 18..36 {
            for x in 0..120 {
                y[r * w + 140 + x] = y[r * w + 20 + x];
            }
        }
        y
    }

    #[test]
    fn a_known_line_is_read_at_its_rows_without_its_band() {
        let y = twenty();
        let p = luma(&y);
        let all = lines_in(&p, 240, 0, top_band(240), Ink::Edged);
        let [line] = &all[..] else {
            panic!("one line: {all:?}")
        };
        let rows = (line.y0, line.y1);
        assert_eq!(line_at_rows(&p, 240, rows, Ink::Edged).as_ref(), Some(line));
        // From only the rows a decoder cut to them gives: the mask's reach below the pad.
        let (pad, end) = rows_at(240, rows);
        assert_eq!(pad, (line.y1 - line.y0) as usize / 2);
        assert_eq!(end, line.y1 as usize + pad + 3);
        let top = Luma {
            height: end,
            y: &y[..end * 320],
            ..luma(&y)
        };
        assert_eq!(
            line_at_rows(&top, 240, rows, Ink::Edged).as_ref(),
            Some(line)
        );
        // One row fewer than that: not looked at, rather than looked at with less around it.
        let short = Luma {
            height: end - 1,
            y: &y[..(end - 1) * 320],
            ..luma(&y)
        };
        assert_eq!(line_at_rows(&short, 240, rows, Ink::Edged), None);
        // Rows where no text stands: nothing.
        assert_eq!(line_at_rows(&p, 240, (60, 76), Ink::Edged), None);
        // A bright display's band is always searched.
        assert_eq!(line_at_rows(&p, 240, rows, Ink::Bright), None);
        // Rows no font of this picture could hold (a warehouse's `osd_fonts` edited by hand):
        // nothing, and no panic.
        for odd in [
            (50, 10),
            (0, 0),
            (0, 5),
            (230, 240),
            (235, 300),
            (u32::MAX - 1, u32::MAX),
        ] {
            assert_eq!(line_at_rows(&p, 240, odd, Ink::Edged), None, "{odd:?}");
        }
        // A second line five rows below the clock's, in the pad: a line of its own, as the
        // band search finds it.
        let mut two = y.clone();
        two.copy_within(18 * 320..36 * 320, 37 * 320);
        let p = luma(&two);
        assert_eq!(line_at_rows(&p, 240, rows, Ink::Edged).as_ref(), Some(line));
        assert_eq!(
            crate::on_rows(&lines_at(&p, 240, rows, Ink::Edged), rows),
            Some(line)
        );
        // Two rows below: the runs of text rows join and go on past what is looked at, so
        // the band is searched instead.
        let mut joined = y.clone();
        joined.copy_within(18 * 320..36 * 320, 34 * 320);
        let p = luma(&joined);
        assert_eq!(line_at_rows(&p, 240, rows, Ink::Edged), None);
    }

    #[test]
    fn a_known_line_is_searched_for_at_its_rows_only() {
        let y = twenty();
        let p = luma(&y);
        let all = lines_in(&p, 240, 0, top_band(240), Ink::Edged);
        assert_eq!(all.len(), 1, "{all:?}");
        let at = lines_at(&p, 240, (all[0].y0, all[0].y1), Ink::Edged);
        assert_eq!(at, all);
        // Rows of the same band where no text stands: nothing is cut.
        assert!(lines_at(&p, 240, (38, 46), Ink::Edged).is_empty());
    }

    /// The glyphs of [`picture`] in strokes two pixels wide with a drop shadow (two pixels
    /// down and right) and no outline, over a light scene that varies along the line.
    fn shadowed() -> Vec<u8> {
        let (w, h) = (320, 240);
        let mut y: Vec<u8> = (0..w * h).map(|i| 180 + (i % w % 23) as u8).collect();
        let mut text = vec![false; w * h];
        for i in 0..10 {
            let x = 20 + i * 12;
            for r in 20..34 {
                for c in x..x + 8 {
                    text[r * w + c] = inked(i, r, c - x);
                }
            }
        }
        for i in 0..w * h {
            if text[i] {
                y[i] = 235;
            } else if i >= 2 * w + 2 && text[i - 2 * w - 2] {
                y[i] = 20;
            }
        }
        y
    }

    #[test]
    fn a_shadowed_line_over_a_light_scene_is_found_as_bright_text() {
        let y = shadowed();
        let p = luma(&y);
        // Dark on one side of each stroke only: no line of ten alike glyphs as edged text.
        let edged = band_lines(&p, 0, top_band(240), Ink::Edged, None);
        assert!(edged.iter().all(|l| l.glyphs.len() != 10), "{edged:?}");
        let lines = band_lines(&p, 0, top_band(240), Ink::Bright, None);
        let [line] = &lines[..] else {
            panic!("one line: {lines:?}");
        };
        assert_eq!(line.glyphs.len(), 10, "{line:?}");
        assert!(line.glyphs[0].distance(&line.glyphs[4]) < 0.1);
        assert!(line.glyphs[1].distance(&line.glyphs[7]) < 0.1);
        assert!(line.glyphs[0].distance(&line.glyphs[1]) > 0.1);
        // Where the scene is as bright as the text, the text is not found at all.
        let mut lit = y.clone();
        for v in lit.iter_mut().take(320 * 48) {
            if *v > 150 {
                *v = 235;
            }
        }
        let p = Luma { y: &lit, ..p };
        assert!(band_lines(&p, 0, top_band(240), Ink::Bright, None).is_empty());
    }

    /// `y` (320 pixels a row) copied into rows `pad` bytes longer, as a decoder may hand them.
    fn padded(y: &[u8], pad: usize) -> Vec<u8> {
        y.chunks_exact(320)
            .flat_map(|row| row.iter().copied().chain(std::iter::repeat_n(7u8, pad)))
            .collect()
    }

    #[test]
    fn rows_padded_beyond_the_picture_read_as_packed_rows() {
        // The masks read the pixels of a band at their place in the rows; padding after each
        // row (a decoder's stride) is never read, for either ink, at any band's start.
        for (y, ink) in [(twenty(), Ink::Edged), (shadowed(), Ink::Bright)] {
            let wide = padded(&y, 13);
            let p = luma(&y);
            let q = Luma {
                stride: 333,
                y: &wide,
                ..p
            };
            for r0 in [0, 5, 17] {
                assert_eq!(
                    text_mask(&p, r0, r0 + 40, ink),
                    text_mask(&q, r0, r0 + 40, ink)
                );
            }
            let lines = band_lines(&p, 0, top_band(240), ink, None);
            assert!(!lines.is_empty());
            assert_eq!(band_lines(&q, 0, top_band(240), ink, None), lines);
        }
    }

    #[test]
    fn a_short_strip_of_many_shapes_is_not_the_line() {
        // Below the line of ten glyphs, a strip six rows high of twenty bright bars with dark
        // between them (a grainy scene's speckled edge): more cells than the line has glyphs,
        // but under half its height.
        let strip = |y: &mut [u8]| {
            let w = 320;
            for i in 0..20 {
                let x = 20 + i * 6;
                for r in 37..47 {
                    for c in x - 2..x + 4 {
                        y[r * w + c] = 10;
                    }
                }
                for r in 39..45 {
                    for c in x..x + 2 {
                        y[r * w + c] = 235;
                    }
                }
            }
        };
        let lines_of = |y: &[u8]| band_lines(&luma(y), 0, top_band(240), Ink::Edged, None);
        let mut alone = vec![90u8; 320 * 240];
        strip(&mut alone);
        let strip_lines = lines_of(&alone);
        assert!(
            strip_lines.len() == 1 && strip_lines[0].glyphs.len() > 10,
            "the strip alone is a line: {strip_lines:?}"
        );
        let mut y = picture();
        strip(&mut y);
        let lines = lines_of(&y);
        let found: Vec<(u32, usize)> = lines.iter().map(|l| (l.y0, l.glyphs.len())).collect();
        assert_eq!(found, [(20, 10)], "the strip beside the line: {lines:?}");
    }

    /// Outlined rings (a `0` without its dot) over a light scene: the scene seen through each
    /// ring's hollow is closed in by the inner outline, as dark around as a stroke, and nearly
    /// as bright: it is not text.
    #[test]
    fn a_light_scene_in_a_hollow_is_not_text() {
        let (w, h) = (1280, 720);
        let mut y = vec![222u8; w * h];
        let rings = || (0..8).map(|i| 40 + i * 20);
        for x in rings() {
            let stroke = |r: usize, c: usize| {
                (21..39).contains(&r) && (x + 1..x + 11).contains(&c) && {
                    !(23..37).contains(&r) || !(x + 3..x + 9).contains(&c)
                }
            };
            for r in 18..42 {
                for c in x - 2..x + 14 {
                    let near = (r - 1..=r + 1).any(|rr| (c - 1..=c + 1).any(|cc| stroke(rr, cc)));
                    if stroke(r, c) {
                        y[r * w + c] = 250;
                    } else if near {
                        y[r * w + c] = 12;
                    }
                }
            }
        }
        let p = Luma {
            width: w,
            height: h,
            stride: w,
            y: &y,
        };
        let m = mask(&p, 0, top_band(h), false);
        for x in rings() {
            let marked = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
                rows.flat_map(|r| cols.clone().map(move |c| (r, c)))
                    .filter(|&(r, c)| m[r * w + c] == 1)
                    .count()
            };
            assert_eq!(marked(24..36, x + 4..x + 8), 0, "hollow of the ring at {x}");
            assert!(
                marked(21..39, x + 1..x + 3) > 20,
                "left stroke of the ring at {x}"
            );
        }
    }

    #[test]
    fn a_plain_picture_has_no_line() {
        let y = vec![128u8; 320 * 240];
        let p = luma(&y);
        assert!(band_lines(&p, 0, top_band(240), Ink::Edged, None).is_empty());
        assert!(find_lines(&p, Ink::Edged).is_empty());
        let short = Luma {
            width: 320,
            height: 240,
            stride: 320,
            y: &y[..100],
        };
        assert!(find_lines(&short, Ink::Edged).is_empty());
    }
}
