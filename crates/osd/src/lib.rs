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
pub mod shape;

pub use glyphs::{Glyph, Line, Luma, find_line, find_top_line, text_mask, top_band};
pub use learn::{harvest, learn, reads_back, tens_change};

/// A glyph is read as a learned digit up to this distance, when no other shape is near.
const READ_NEAR: f32 = 0.45;
/// ... and only when every shape of another digit is at least this much farther. The
/// quality of a reading grows with that margin up to [`MARGIN_FULL`].
const MARGIN_MIN: f32 = 0.05;
const MARGIN_FULL: f32 = 0.15;

/// One decoded keyframe of a file: its time in the file (seconds) and the text line found.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub t_s: f64,
    pub line: Option<Line>,
}

/// The shapes learned for one device model: each with the digit it shows, or `None` for a
/// glyph that is not a digit (letters, separators).
#[derive(Debug, Clone, Default)]
pub struct Font {
    pub shapes: Vec<(Glyph, Option<u8>)>,
}

impl Font {
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
    /// 0-1: how well the worst of the time's glyphs matched its shape.
    pub confidence: f32,
}

/// Centre of a glyph, pixels.
fn centre(g: &Glyph) -> f32 {
    (g.x0 + g.x1) as f32 / 2.0
}

/// Reads one picture's line with a model's shapes.
pub fn read(font: &Font, line: &Line) -> Reading {
    read_glyphs(font, line).0
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
    let (civil_s, span, confidence) = match find_time(&text) {
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
            confidence,
        },
        digits,
    )
}

/// A glyph read as a digit: the nearest learned shape is a digit's, near enough
/// ([`READ_NEAR`]), and every shape of another digit, or of a glyph that is no digit, is
/// clearly farther. The quality is 1 for the same shape, falling to 0 at the limit.
fn nearest_digit(font: &Font, g: &Glyph) -> Option<(u8, f32)> {
    let mut best: Option<(f32, Option<u8>)> = None;
    let mut runner_up = f32::MAX;
    for (shape, d) in &font.shapes {
        let dist = shape.distance(g);
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
    Some((digit, (margin / MARGIN_FULL).min(1.0)))
}

/// Characters at most between a display's date and its time: spaces and a weekday (`星期四`
/// is six cells, `THURSDAY` eight).
const DATE_TIME_GAP: usize = 14;

/// The first date and time in a read line: six runs of digits of 4, 2, 2, 2, 2 and 2
/// (year, month, day, hours, minutes, seconds), each apart from the next by one to three
/// other characters (separators, read or not, and spaces; a full-width `年` takes two cells),
/// the date from the time by up to [`DATE_TIME_GAP`] (a weekday may stand between them, as
/// `星期四` does on many recorders), valid as a date and time. Its seconds from 1970 and its
/// span in the text.
fn find_time(text: &str) -> Option<(i64, usize, usize)> {
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
    const SHAPE: [usize; 6] = [4, 2, 2, 2, 2, 2];
    for k in 0..runs.len().saturating_sub(5) {
        let w = &runs[k..k + 6];
        let shaped = w.iter().zip(SHAPE).all(|(r, n)| r.1 - r.0 == n);
        let close = w.windows(2).enumerate().all(|(k, p)| {
            let most = if k == 2 { DATE_TIME_GAP } else { 3 };
            (1..=most).contains(&(p[1].0 - p[0].1))
        });
        if !shaped || !close {
            continue;
        }
        let v: Vec<u32> = w.iter().map(|&r| value(r)).collect();
        let date = chrono::NaiveDate::from_ymd_opt(v[0] as i32, v[1], v[2]);
        let time = chrono::NaiveTime::from_hms_opt(v[3], v[4], v[5]);
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

    #[test]
    fn time_is_found_with_any_separators() {
        let (t, a, b) = find_time("2026?12?03 01?02?03 ????0012").expect("time");
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
        let (t2, _, _) =
            find_time("2026??12??03?? ?????? 01 02 03 853?40012").expect("with a weekday");
        assert_eq!(t2, t);
        assert!(
            find_time("2026?12?03 ??????????????? 01?02?03").is_none(),
            "fifteen characters between date and time"
        );
        assert!(find_time("2026?13?03 01?02?03").is_none(), "month 13");
        assert!(find_time("2026?12?03 01?02").is_none(), "no seconds");
        assert!(
            find_time("12026?12?03 01?02?03").is_none(),
            "a five-digit year"
        );
        // Separators dropped or read as two glyphs, and the Chinese form.
        assert_eq!(
            find_time("2026??12 03 01 02 03").map(|t| t.0),
            find_time("2026?12?03 01?02?03").map(|t| t.0)
        );
        assert!(find_time("2026?12?03? 01?02?03").is_some());
        assert!(
            find_time("2026?12?03 01?0??03").is_none(),
            "a digit not read"
        );
    }
}
