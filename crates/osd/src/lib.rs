//! Reading the recorder's burned-in clock (OSD) from decoded keyframes — the picture as a
//! witness beside the file name and the container (第十二条(三), (五)).
//!
//! No font is built in: recorders differ. The glyphs are learned per device model from the
//! footage itself. A run of keyframes a second or two apart shows the seconds digit stepping
//! one second per second; the glyph at that place in each picture is therefore known up to
//! the digit the run started on, and the moment the tens digit beside it changes is the moment
//! the seconds digit shows `0`. That pins every digit glyph the run shows ([`learn`]). Every
//! other picture of the model is then read by matching each glyph against those shapes
//! ([`read`]), and its date and time taken from the digits in the usual display order
//! (year-month-day hours:minutes:seconds, GA/T 947). Nothing here guesses: a glyph that matches
//! no learned shape well is `?`, and a reading without all fourteen digits of the time has no
//! time.
//!
//! Pure: pictures come in, readings go out. Decoding is the keyframe stage's (recaudit's
//! `keyframes` module), which also bounds what it hands over.

mod cells;
mod glyphs;
mod learn;
pub mod numbers;
pub mod shape;

pub use glyphs::{
    Glyph, Ink, Line, Luma, band_of, find_lines, line_at_rows, lines_at, lines_in, rows_at,
    text_mask, top_band,
};
pub use learn::{date_order, harvest, learn, reads_back, tens_change, without_strokes};

/// A glyph is read as a learned digit up to this distance, when no other shape is near.
const READ_NEAR: f32 = 0.45;
/// ... and only when every shape of another digit is at least this much farther. The
/// quality of a reading grows with that margin up to [`MARGIN_FULL`].
const MARGIN_MIN: f32 = 0.05;
const MARGIN_FULL: f32 = 0.15;
/// ... and as near its shape as the display's digits come: the quality is full up to
/// [`FIT_FULL`] from the nearest shape and none from [`FIT_NONE`]. A glyph farther than that
/// from every learned shape is drawn as no picture taught (a hook or serif that a keyframe's
/// finer coding keeps and the learning pictures lost), and which digit it is nearest to then
/// rests on part of its strokes: it is still read, at a confidence the rules do not use. On
/// the accuracy harness's twelfth generation, 18,648 digits read right: 99% within 0.11 of
/// their shape and 99.9% within 0.15; the manipulation bench's hooked 3 stood 0.19-0.23 from
/// the learned 3 and 8 alike.
const FIT_FULL: f32 = 0.10;
const FIT_NONE: f32 = 0.20;

/// One decoded keyframe of a file: its time in the file (seconds) and the text line found.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub t_s: f64,
    pub line: Option<Line>,
}

/// The order a display writes the date in. GA/T 947 asks year, month, day; recorders sold
/// abroad as well offer month/day/year and day.month.year (the year then after two numbers of
/// two digits). A display whose month and day were never seen apart (every date learned from
/// has a day of 12 or less) is `DayMonthUnknown`: only dates that read one way are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateOrder {
    #[default]
    Ymd,
    Mdy,
    Dmy,
    /// The year last, month and day in an order not yet known: a date reads only when one of
    /// the two orders makes it a date, or both make it the same one (day and month alike).
    DayMonthUnknown,
}

impl DateOrder {
    /// As the `osd_fonts` table writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::Ymd => "ymd",
            DateOrder::Mdy => "mdy",
            DateOrder::Dmy => "dmy",
            DateOrder::DayMonthUnknown => "year last",
        }
    }

    /// From [`DateOrder::as_str`]; anything else (a font kept before the order was) is `Ymd`.
    pub fn parse(s: &str) -> DateOrder {
        match s {
            "mdy" => DateOrder::Mdy,
            "dmy" => DateOrder::Dmy,
            "year last" => DateOrder::DayMonthUnknown,
            _ => DateOrder::Ymd,
        }
    }
}

/// The shapes learned for one device model: each with the digit it shows, or `None` for a
/// glyph that is not a digit (letters, separators); where its clock line stands; the order its
/// date is written in.
#[derive(Debug, Clone, Default)]
pub struct Font {
    pub shapes: Vec<(Glyph, Option<u8>)>,
    /// The top and bottom row of the display's clock line in the picture, as learned (a
    /// display of several lines is read on this one); `None` for a font kept before the rows
    /// were (every line of a picture is then read, and the one that shows a time taken).
    pub rows: Option<(u32, u32)>,
    /// How the display's text is told from the scene: its lines are found so.
    pub ink: Ink,
    /// The order of the date's numbers ([`learn::date_order`] decides it).
    pub date_order: DateOrder,
    /// Whether the time stands before the date (`10:00:05 2026/03/12`; [`learn::date_order`]
    /// decides it too).
    pub time_first: bool,
}

impl Font {
    /// The font with its date read in `order`.
    pub fn in_order(&self, order: DateOrder) -> Font {
        Font {
            date_order: order,
            ..self.clone()
        }
    }

    /// How the `osd_fonts` table writes where the display puts its date and time: the date's
    /// order ([`DateOrder::as_str`]), after `time, ` when the time stands first.
    pub fn layout(&self) -> String {
        let order = self.date_order.as_str();
        if self.time_first {
            format!("{TIME_FIRST}{order}")
        } else {
            order.to_string()
        }
    }

    /// Sets the layout [`Font::layout`] wrote as `s` (anything it does not write: the date
    /// first, year first, as a font kept before the layout was).
    pub fn set_layout(&mut self, s: &str) {
        let (time_first, order) = match s.strip_prefix(TIME_FIRST) {
            Some(order) => (true, order),
            None => (false, s),
        };
        self.date_order = DateOrder::parse(order);
        self.time_first = time_first;
    }

    /// How many digits (of ten) have a learned shape.
    pub fn digits_known(&self) -> usize {
        let mut seen = [false; 10];
        for (_, d) in &self.shapes {
            if let Some(d) = d {
                seen[*d as usize % 10] = true;
            }
        }
        seen.iter().filter(|&&s| s).count()
    }
}

/// What one picture's display says.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The line as read: digits, `?` for other glyphs, a space at each wide gap.
    pub text: String,
    /// The date and time shown, as seconds from 1970-01-01 00:00 of the same wall clock
    /// (no zone: the recorder shows local time).
    pub civil_s: Option<i64>,
    /// The text after the time (device and officer numbers), as read.
    pub rest: String,
    /// [`Reading::rest`] with every digit read less surely than [`SURE`] as `?`, character for
    /// character: what may be said of one digit alone (another device's number differing from
    /// the device's own in that digit).
    pub rest_sure: String,
    /// 0-1: how well the worst of the time's glyphs matched its shape: how much nearer it was
    /// to its digit's shapes than to any other, and how near.
    pub confidence: f32,
}

/// What [`Font::layout`] writes before the date's order when the time stands first.
const TIME_FIRST: &str = "time, ";

/// A digit read at least this well (its match quality: how much nearer its digit's shapes
/// than any other, and how near) is sure. A digit misread in a small or blurred display lies
/// between two shapes, well under it.
pub const SURE: f32 = 0.9;

/// Centre of a glyph, pixels.
fn centre(g: &Glyph) -> f32 {
    (g.x0 + g.x1) as f32 / 2.0
}

/// Reads one picture's line with a model's shapes.
pub fn read(font: &Font, line: &Line) -> Reading {
    read_glyphs(font, line).0
}

/// Reads the clock line among a picture's lines ([`find_lines`], [`lines_in`]): the line at the
/// font's rows ([`on_rows`]). When no line stands there (a font without rows, kept before
/// fonts had them; or a display moved by a firmware update, whose picture the keyframe stage
/// then searches whole), the line whose reading shows a time most surely (else the first
/// line's reading): the font's shapes read a date and time only where the display draws them.
/// `None` when there is no line to read.
pub fn read_lines(font: &Font, lines: &[Line]) -> Option<Reading> {
    if let Some(line) = font.rows.and_then(|rows| on_rows(lines, rows)) {
        return Some(read(font, line));
    }
    let readings: Vec<Reading> = lines.iter().map(|l| read(font, l)).collect();
    let timed = readings
        .iter()
        .enumerate()
        .filter(|(_, r)| r.civil_s.is_some())
        .max_by(|a, b| {
            a.1.confidence
                .total_cmp(&b.1.confidence)
                .then(b.0.cmp(&a.0))
        })
        .map(|(i, _)| i);
    readings.into_iter().nth(timed.unwrap_or(0))
}

/// Whether two row spans overlap by at least half of the shorter.
pub fn same_rows(a: (u32, u32), b: (u32, u32)) -> bool {
    let overlap = a.1.min(b.1).saturating_sub(a.0.max(b.0));
    let shorter = a.1.saturating_sub(a.0).min(b.1.saturating_sub(b.0));
    overlap * 2 >= shorter.max(1)
}

/// The line standing at `rows` (overlapping them by at least half of the shorter; of several,
/// the one overlapping most).
pub fn on_rows(lines: &[Line], rows: (u32, u32)) -> Option<&Line> {
    lines
        .iter()
        .filter(|l| same_rows((l.y0, l.y1), rows))
        .max_by_key(|l| l.y1.min(rows.1).saturating_sub(l.y0.max(rows.0)))
}

/// The places where lines stand across a run of pictures (each picture's lines as
/// [`find_lines`] gives them): each place's rows (those of its first line) and how many
/// pictures show a line there; most shown first, then top to bottom.
pub fn tracks<'a>(pictures: impl IntoIterator<Item = &'a [Line]>) -> Vec<((u32, u32), usize)> {
    let mut found: Vec<((u32, u32), usize)> = Vec::new();
    for lines in pictures {
        let mut counted = vec![false; found.len()];
        for l in lines {
            match found.iter().position(|(r, _)| same_rows(*r, (l.y0, l.y1))) {
                Some(k) => {
                    if !counted.get(k).copied().unwrap_or(true) {
                        found[k].1 += 1;
                        counted[k] = true;
                    }
                }
                None => found.push(((l.y0, l.y1), 1)),
            }
        }
    }
    found.sort_by_key(|&((y0, _), n)| (std::cmp::Reverse(n), y0));
    found
}

/// [`read`], and the glyphs (indices into `line.glyphs`) that show the date and time's fourteen
/// digits, in order, when a time was read.
pub(crate) fn read_glyphs(font: &Font, line: &Line) -> (Reading, Option<Vec<usize>>) {
    let mut text = String::new();
    // Per character of `text`: the match quality of a digit, or None; and its glyph.
    let mut quality: Vec<Option<f32>> = Vec::new();
    let mut glyph_of: Vec<Option<usize>> = Vec::new();
    for (i, g) in line.glyphs.iter().enumerate() {
        if i > 0 && line.spaced.get(i).copied().unwrap_or(false) {
            text.push(' ');
            quality.push(None);
            glyph_of.push(None);
        }
        glyph_of.push(Some(i));
        match nearest_digit(font, g) {
            Some((d, q)) => {
                text.push((b'0' + d) as char);
                quality.push(Some(q));
            }
            None => {
                text.push('?');
                quality.push(None);
            }
        }
    }
    let (civil_s, span, confidence) = match find_time(&text, font.date_order, font.time_first) {
        Some((civil, start, end)) => {
            let worst = quality[start..end]
                .iter()
                .flatten()
                .fold(1.0f32, |a, &q| a.min(q));
            (Some(civil), Some((start, end)), worst)
        }
        None => (None, None, 0.0),
    };
    let rest = span.map_or(String::new(), |(_, end)| text[end..].trim().to_string());
    // The same characters, digits read less surely than SURE as `?` (every character of the
    // text is one byte: digits, `?` and spaces).
    let sure: String = text
        .chars()
        .zip(&quality)
        .map(|(c, q)| match q {
            Some(q) if c.is_ascii_digit() && *q < SURE => '?',
            _ => c,
        })
        .collect();
    let rest_sure = span.map_or(String::new(), |(_, end)| sure[end..].trim().to_string());
    let digits = span.map(|(start, end)| {
        (start..end)
            .filter(|&c| text.as_bytes()[c].is_ascii_digit())
            .filter_map(|c| glyph_of[c])
            .collect()
    });
    (
        Reading {
            text,
            civil_s,
            rest,
            rest_sure,
            confidence,
        },
        digits,
    )
}

/// A glyph read as a digit: the nearest learned shape is a digit's, near enough
/// ([`READ_NEAR`]), and every shape of another digit, or of a glyph that is no digit, is
/// clearly farther. The quality is the lesser of how clearly ([`MARGIN_FULL`]: 1 at that
/// margin or more, falling to 0 at none) and how near ([`FIT_FULL`], [`FIT_NONE`]).
fn nearest_digit(font: &Font, g: &Glyph) -> Option<(u8, f32)> {
    let mut best: Option<(f32, Option<u8>)> = None;
    let mut runner_up = f32::MAX;
    let placed = g.shifted();
    for (shape, d) in &font.shapes {
        let dist = shape.distance_to(&placed);
        match best {
            Some((b, bd)) if dist < b => {
                if bd != *d {
                    runner_up = runner_up.min(b);
                }
                best = Some((dist, *d));
            }
            Some((_, bd)) if bd != *d => runner_up = runner_up.min(dist),
            Some(_) => {}
            None => best = Some((dist, *d)),
        }
    }
    let (dist, digit) = best?;
    let digit = digit?;
    let margin = runner_up - dist;
    if dist > READ_NEAR || margin < MARGIN_MIN {
        return None;
    }
    let fit = ((FIT_NONE - dist) / (FIT_NONE - FIT_FULL)).clamp(0.0, 1.0);
    Some((digit, (margin / MARGIN_FULL).min(1.0).min(fit)))
}

/// Characters at most between a display's date and its time: spaces and a weekday (`星期四`
/// is six cells, `THURSDAY` eight).
const DATE_TIME_GAP: usize = 14;

/// The first date and time in a read line: six runs of digits of 4, 2, 2, 2, 2 and 2
/// (year, month, day, hours, minutes, seconds; in `order`, the year after two runs of 2
/// for the others), each apart from the next by one to three other characters (separators,
/// read or not, and spaces; a full-width `年` takes two cells), the date from the time by up to
/// [`DATE_TIME_GAP`] (a weekday may stand between them, as `星期四` does on many recorders),
/// valid as a date and time; with `time_first`, the three runs of the time first, then the
/// date's. Its seconds from 1970 and its span in the text.
fn find_time(text: &str, order: DateOrder, time_first: bool) -> Option<(i64, usize, usize)> {
    let b = text.as_bytes();
    // Runs of digits: (start, end).
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((s, i));
        } else {
            i += 1;
        }
    }
    let value = |(s, e): (usize, usize)| {
        b[s..e]
            .iter()
            .fold(0u32, |a, d| a * 10 + u32::from(d - b'0'))
    };
    let date_shape: [usize; 3] = match order {
        DateOrder::Ymd => [4, 2, 2],
        _ => [2, 2, 4],
    };
    // Where the date's and the time's three runs stand among the six.
    let (at_date, at_time) = if time_first { (3, 0) } else { (0, 3) };
    let mut shape = [2usize; 6];
    shape[at_date..at_date + 3].copy_from_slice(&date_shape);
    for k in 0..runs.len().saturating_sub(5) {
        let w = &runs[k..k + 6];
        let shaped = w.iter().zip(shape).all(|(r, n)| r.1 - r.0 == n);
        let close = w.windows(2).enumerate().all(|(k, p)| {
            let most = if k == 2 { DATE_TIME_GAP } else { 3 };
            (1..=most).contains(&(p[1].0 - p[0].1))
        });
        if !shaped || !close {
            continue;
        }
        let all: Vec<u32> = w.iter().map(|&r| value(r)).collect();
        let (v, hms) = (&all[at_date..at_date + 3], &all[at_time..at_time + 3]);
        let ymd = |y: u32, m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(y as i32, m, d);
        let date = match order {
            DateOrder::Ymd => ymd(v[0], v[1], v[2]),
            DateOrder::Mdy => ymd(v[2], v[0], v[1]),
            DateOrder::Dmy => ymd(v[2], v[1], v[0]),
            DateOrder::DayMonthUnknown => match (ymd(v[2], v[0], v[1]), ymd(v[2], v[1], v[0])) {
                (Some(a), Some(b)) => (a == b).then_some(a),
                (a, b) => a.or(b),
            },
        };
        let time = chrono::NaiveTime::from_hms_opt(hms[0], hms[1], hms[2]);
        if let (Some(date), Some(time)) = (date, time) {
            return Some((date.and_time(time).and_utc().timestamp(), w[0].0, w[5].1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The next number of a fixed pseudo-random sequence (xorshift64), for tests that compare
    /// two forms of a computation on many made-up inputs.
    pub(crate) fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    fn line(y0: u32, y1: u32) -> Line {
        Line {
            y0,
            y1,
            ..Line::default()
        }
    }

    #[test]
    fn lines_are_followed_by_their_rows_across_pictures() {
        // A clock line in every picture at about rows 20-40, a second line in two, a scene
        // strip once at the bottom.
        let pictures = [
            vec![line(20, 40), line(50, 70)],
            vec![line(21, 41), line(50, 71), line(600, 610)],
            vec![line(19, 40)],
        ];
        let tracks = tracks(pictures.iter().map(Vec::as_slice));
        assert_eq!(tracks, vec![((20, 40), 3), ((50, 70), 2), ((600, 610), 1)]);
        // The line standing at a learned clock line's rows, not its neighbour.
        assert_eq!(on_rows(&pictures[1], (20, 40)), Some(&line(21, 41)));
        assert_eq!(on_rows(&pictures[2], (50, 70)), None);
        assert!(!same_rows((20, 40), (35, 55)), "a quarter overlap");
        assert!(same_rows((20, 40), (28, 48)));
    }

    /// `n` made-up shapes: sparse pseudo-random bits from `seed` (far apart from each other,
    /// as the tests that use them check).
    pub(crate) fn random_shapes(n: usize, seed: u64) -> Vec<Glyph> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                let mut rows = [0u16; shape::ROWS];
                for r in rows.iter_mut() {
                    let a = xorshift(&mut state);
                    *r = (a & xorshift(&mut state)) as u16 & 0x7ffe;
                }
                Glyph { rows, x0: 0, x1: 0 }
            })
            .collect()
    }

    #[test]
    fn a_glyph_unlike_every_shape_is_read_without_confidence() {
        let shapes = random_shapes(12, 0x2545_f491_4f6c_dd1d);
        let font = Font {
            shapes: (0..10u8)
                .map(|d| (shapes[usize::from(d)].clone(), Some(d)))
                .collect(),
            ..Font::default()
        };
        let others = |g: &Glyph, d: usize| {
            (0..10)
                .filter(|&k| k != d)
                .map(|k| shapes[k].distance(g))
                .fold(f32::MAX, f32::min)
        };
        // The 8 as learned: read at full confidence.
        let (d, q) = nearest_digit(&font, &shapes[8]).expect("read");
        assert_eq!((d, q), (8, 1.0));
        // The 8 with strokes of a shape no digit has, row by row, until it stands apart from
        // its learned shape as the hooked 3 stood from the 3 and 8 learned (0.19-0.23), while
        // every other digit is still much farther: read as 8, clearly nearer, but not near.
        let mut drawn = shapes[8].clone();
        let mut apart = None;
        for r in 0..shape::ROWS {
            drawn.rows[r] |= shapes[11].rows[r];
            let dist = shapes[8].distance(&drawn);
            if (0.19..0.23).contains(&dist) {
                apart = Some(dist);
                break;
            }
        }
        let dist = apart.expect("a glyph 0.19-0.23 from the learned 8");
        assert!(
            others(&drawn, 8) >= dist + MARGIN_FULL,
            "clearly nearer the 8"
        );
        let (d, q) = nearest_digit(&font, &drawn).expect("still read");
        assert_eq!(d, 8);
        assert!(q < 0.5, "confidence {q} at distance {dist}");
        // Nearer its shape, the confidence comes back: full within FIT_FULL.
        let mut near = shapes[8].clone();
        near.rows[10] |= shapes[11].rows[10];
        let dist = shapes[8].distance(&near);
        assert!(dist <= FIT_FULL, "{dist}");
        assert_eq!(nearest_digit(&font, &near), Some((8, 1.0)));
    }

    #[test]
    fn time_is_found_with_any_separators() {
        let (t, a, b) =
            find_time("2026?12?03 01?02?03 ????0012", DateOrder::Ymd, false).expect("time");
        assert_eq!((a, b), (0, 19));
        assert_eq!(
            t,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
                .unwrap()
                .and_hms_opt(1, 2, 3)
                .unwrap()
                .and_utc()
                .timestamp()
        );
        // A weekday between date and time (Chinese: 年月日 and 星期四, full-width, two cells each).
        let (t2, _, _) = find_time(
            "2026??12??03?? ?????? 01 02 03 853?40012",
            DateOrder::Ymd,
            false,
        )
        .expect("with a weekday");
        assert_eq!(t2, t);
        assert!(
            find_time("2026?12?03 ??????????????? 01?02?03", DateOrder::Ymd, false).is_none(),
            "fifteen characters between date and time"
        );
        assert!(
            find_time("2026?13?03 01?02?03", DateOrder::Ymd, false).is_none(),
            "month 13"
        );
        assert!(
            find_time("2026?12?03 01?02", DateOrder::Ymd, false).is_none(),
            "no seconds"
        );
        assert!(
            find_time("12026?12?03 01?02?03", DateOrder::Ymd, false).is_none(),
            "a five-digit year"
        );
        // Separators dropped or read as two glyphs, and the Chinese form.
        assert_eq!(
            find_time("2026??12 03 01 02 03", DateOrder::Ymd, false).map(|t| t.0),
            find_time("2026?12?03 01?02?03", DateOrder::Ymd, false).map(|t| t.0)
        );
        assert!(find_time("2026?12?03? 01?02?03", DateOrder::Ymd, false).is_some());
        assert!(
            find_time("2026?12?03 01?0??03", DateOrder::Ymd, false).is_none(),
            "a digit not read"
        );
    }

    #[test]
    fn a_date_with_the_year_last_is_read_in_the_displays_order() {
        let at = |y, m, d| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(10, 0, 5))
                .map(|t| t.and_utc().timestamp())
        };
        let read = |text: &str, order| find_time(text, order, false).map(|t| t.0);
        use DateOrder::*;
        // 03/15/2026: only month/day/year makes it a date.
        let us = "03/15/2026 10:00:05 DSJ?R0017";
        assert_eq!(read(us, Mdy), at(2026, 3, 15));
        assert_eq!(read(us, Dmy), None);
        assert_eq!(read(us, DayMonthUnknown), at(2026, 3, 15));
        assert_eq!(
            read(us, Ymd),
            None,
            "a display in year-first order reads no year last"
        );
        // 12.03.2026: either order makes a date; unknown, it is not read.
        let eu = "12?03?2026 10?00?05";
        assert_eq!(read(eu, Dmy), at(2026, 3, 12));
        assert_eq!(read(eu, Mdy), at(2026, 12, 3));
        assert_eq!(read(eu, DayMonthUnknown), None);
        // Day and month alike: one date either way.
        assert_eq!(read("03/03/2026 10:00:05", DayMonthUnknown), at(2026, 3, 3));
        // Year first is never read as year last.
        assert_eq!(read("2026/03/12 10:00:05", Dmy), None);
        for o in [Ymd, Mdy, Dmy, DayMonthUnknown] {
            assert_eq!(DateOrder::parse(o.as_str()), o);
        }
        assert_eq!(DateOrder::parse(""), Ymd);
    }

    #[test]
    fn a_time_shown_before_the_date_is_read_once_the_layout_is_known() {
        let at = |h, m, s| {
            chrono::NaiveDate::from_ymd_opt(2026, 3, 12)
                .and_then(|d| d.and_hms_opt(h, m, s))
                .map(|t| t.and_utc().timestamp())
        };
        let read = |text: &str, order, time_first| find_time(text, order, time_first);
        let line = "10?00?05 2026?03?12 ?????0005 001234";
        assert_eq!(
            read(line, DateOrder::Ymd, true),
            Some((at(10, 0, 5).unwrap_or(0), 0, 19))
        );
        // Not with the date first (`00 05 2026 03 12 ...` makes no date either way).
        assert_eq!(read(line, DateOrder::Ymd, false), None);
        // The date first is never read with the time first: `2026` is no hour.
        assert_eq!(read("2026?03?12 10?00?05", DateOrder::Ymd, true), None);
        // With the date year last.
        assert_eq!(
            read("10?00?05 03?15?2026", DateOrder::Mdy, true).map(|t| t.0),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 15)
                .and_then(|d| d.and_hms_opt(10, 0, 5))
                .map(|t| t.and_utc().timestamp())
        );
        // The layout as the osd_fonts table writes it, and back.
        for (order, time_first) in [(DateOrder::Ymd, false), (DateOrder::Dmy, true)] {
            let font = Font {
                date_order: order,
                time_first,
                ..Font::default()
            };
            let mut back = Font::default();
            back.set_layout(&font.layout());
            assert_eq!((back.date_order, back.time_first), (order, time_first));
        }
        let mut old = Font::default();
        old.set_layout("ymd");
        assert!(!old.time_first);
        assert_eq!(
            Font {
                time_first: true,
                ..Font::default()
            }
            .layout(),
            "time, ymd"
        );
    }
}
