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

mod glyphs;
pub mod shape;

pub use glyphs::{Glyph, Line, Luma, find_line, find_top_line, top_band};

/// Two glyphs whose shapes differ in at most this share of their ink are one shape.
const SAME: f32 = 0.12;
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

/// Shapes of one model, grouped as they are met: each new glyph joins the first shape within
/// [`SAME`] of it or starts a new one.
#[derive(Default)]
struct Shapes {
    leaders: Vec<Glyph>,
}

impl Shapes {
    const MAX: usize = 512;

    /// Each picture of a run with a line: its time, and each glyph's centre and shape.
    fn classify(&mut self, run: &[Sighting]) -> Vec<Classified> {
        run.iter()
            .filter_map(|s| {
                let line = s.line.as_ref()?;
                Some((
                    s.t_s,
                    line.glyphs
                        .iter()
                        .map(|g| (centre(g), self.class(g)))
                        .collect(),
                ))
            })
            .collect()
    }

    fn class(&mut self, g: &Glyph) -> Option<usize> {
        let best = self
            .leaders
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.distance(g)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((i, d)) if d <= SAME => Some(i),
            _ if self.leaders.len() < Self::MAX => {
                self.leaders.push(g.clone());
                Some(self.leaders.len() - 1)
            }
            _ => None,
        }
    }
}

/// One picture of a learning run: its time, and each glyph's centre and shape number.
type Classified = (f64, Vec<(f32, Option<usize>)>);

/// Centre of a glyph, pixels.
fn centre(g: &Glyph) -> f32 {
    (g.x0 + g.x1) as f32 / 2.0
}

/// Learns a model's digits from runs of keyframes (one run per file, in time order). Files
/// whose run cannot pin the digits (too short to see the tens change, glyphs that do not
/// behave as a clock) add nothing; the digits learned must agree between files.
pub fn learn(runs: &[Vec<Sighting>]) -> Font {
    let mut shapes = Shapes::default();
    // Each run's readings: one when the run decides its digits, several when it leaves two or
    // three readings about equally good, none when it shows no clock.
    let mut per_run: Vec<Vec<Labels>> = Vec::new();
    for run in runs {
        let classified = shapes.classify(run);
        per_run.push(label_run(&classified));
    }
    let leaders = shapes.leaders;
    let decided: Vec<&Labels> = per_run
        .iter()
        .filter(|c| c.len() == 1)
        .map(|c| &c[0])
        .collect();
    if per_run.iter().all(|c| c.len() <= 1) {
        return font_of(&leaders, &decided);
    }
    // A run left undecided (a digit's shape split in two over it, so that a reading a second
    // off fits as well): of the fonts its readings give, the one that reads the runs back as a
    // clock advancing with the pictures, when exactly one does.
    let mut combos: Vec<Vec<&Labels>> = vec![Vec::new()];
    for candidates in per_run.iter().filter(|c| !c.is_empty()) {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                candidates.iter().map(move |l| {
                    let mut c = c.clone();
                    c.push(l);
                    c
                })
            })
            .take(COMBOS_MAX)
            .collect();
    }
    let passing: Vec<Font> = combos
        .iter()
        .map(|c| font_of(&leaders, c))
        .filter(|f| f.digits_known() == 10 && reads_back(f, runs))
        .collect();
    match <[Font; 1]>::try_from(passing) {
        Ok([font]) => font,
        Err(_) => font_of(&leaders, &decided),
    }
}

/// Readings of a learning run tried together at most.
const COMBOS_MAX: usize = 8;

/// A run's reading: the digit of each shape seen at the seconds place.
type Labels = Vec<(usize, u8)>;

/// The font the runs' readings give: each shape labelled where the readings that saw it agree
/// (four in five at least), and, once all ten digits are known, every other shape the digit of
/// the labelled shape it is clearly nearest to.
fn font_of(leaders: &[Glyph], readings: &[&Labels]) -> Font {
    let mut votes: Vec<[u32; 10]> = vec![[0; 10]; leaders.len()];
    for labels in readings {
        for &(class, digit) in labels.iter() {
            if let Some(v) = votes.get_mut(class) {
                v[usize::from(digit)] += 1;
            }
        }
    }
    let shapes = leaders
        .iter()
        .cloned()
        .zip(votes)
        .map(|(g, v)| {
            let total: u32 = v.iter().sum();
            let (digit, most) = v
                .iter()
                .enumerate()
                .max_by_key(|(_, n)| **n)
                .map_or((0, 0), |(d, n)| (d, *n));
            // A shape is a digit only when the runs that saw it agree (four in five at least).
            let d = (total > 0 && most * 5 >= total * 4).then_some(digit as u8);
            (g, d)
        })
        .collect();
    let mut font = Font { shapes };
    if font.digits_known() < 10 {
        // Nearest of some digits is no reading: a 2 would pass for the 3 it resembles.
        return font;
    }
    // A digit is drawn a little differently at other places of the line (a place the clock's
    // seconds never reach, such as the year): a shape the runs did not label takes the digit
    // of the labelled shape it is clearly nearest to.
    let labelled = Font {
        shapes: font
            .shapes
            .iter()
            .filter(|(_, d)| d.is_some())
            .cloned()
            .collect(),
    };
    for (g, d) in font.shapes.iter_mut() {
        if d.is_none() {
            *d = nearest_digit(&labelled, g).map(|(digit, _)| digit);
        }
    }
    font
}

/// The line's places (glyph centres of the fullest picture), the font's pitch, and each
/// picture's shape at each place: each glyph is put at the place within a third of a pitch.
type Grid = (Vec<f32>, f32, Vec<Vec<Option<usize>>>);

fn grid_of(run: &[Classified]) -> Option<Grid> {
    let fullest = run.iter().max_by_key(|(_, g)| g.len())?;
    let places: Vec<f32> = fullest.1.iter().map(|(x, _)| *x).collect();
    if places.len() < 4 {
        return None;
    }
    // The font's pitch: the usual step between neighbouring glyphs.
    let mut steps: Vec<f32> = places.windows(2).map(|w| w[1] - w[0]).collect();
    steps.sort_by(f32::total_cmp);
    let pitch = steps.get(steps.len() / 2).copied().unwrap_or(1.0).max(1.0);
    let grid = run
        .iter()
        .map(|(_, glyphs)| {
            let mut row = vec![None; places.len()];
            for (x, class) in glyphs {
                if let Some((k, _)) = places
                    .iter()
                    .enumerate()
                    .map(|(k, p)| (k, (p - x).abs()))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .filter(|(_, d)| *d <= pitch / 3.0)
                {
                    row[k] = *class;
                }
            }
            row
        })
        .collect();
    Some((places, pitch, grid))
}

/// Changes of shape at place `k` between consecutive pictures: the row after each change.
fn changes_at(grid: &[Vec<Option<usize>>], k: usize) -> Vec<usize> {
    (1..grid.len())
        .filter(|&i| matches!((grid[i - 1][k], grid[i][k]), (Some(a), Some(b)) if a != b))
        .collect()
}

/// Between which two pictures of a run (keyframes, in time order) the tens of seconds change:
/// a place that changes at nearly every picture (the seconds) beside one that changes once or
/// twice (the first change is taken). The keyframe stage decodes every picture between those two, so that the learning
/// run sees the seconds digit roll over at the tens change (keyframes alone, an even number
/// of seconds apart, cannot tell an odd second from an even one). Their times, or `None`.
pub fn tens_change(run: &[Sighting]) -> Option<(f64, f64)> {
    let classified = Shapes::default().classify(run);
    let (places, pitch, grid) = grid_of(&classified)?;
    (1..places.len()).rev().find_map(|s| {
        if places[s] - places[s - 1] > pitch * 1.6 || changes_at(&grid, s).len() * 2 < grid.len() {
            return None;
        }
        // Sixteen seconds may hold two changes of the tens (from :29, at :30 and :40): the first.
        match changes_at(&grid, s - 1)[..] {
            [i] | [i, _] => Some((classified[i - 1].0, classified[i].0)),
            _ => None,
        }
    })
}

/// The digit each shape at the seconds place shows, from one run: one reading when the run
/// decides, the two to four about equally good readings when it does not, none when no place
/// behaves as a clock's seconds.
fn label_run(run: &[Classified]) -> Vec<Labels> {
    if run.len() < 3 {
        return Vec::new();
    }
    let Some((places, pitch, grid)) = grid_of(run) else {
        return Vec::new();
    };
    // The seconds place is the one that behaves as a clock's seconds digit beside its tens
    // digit; when several do (a second clock elsewhere on the line), the one showing most
    // digits, then the rightmost; a place that decides before one that does not.
    // To the millisecond: a picture on a second's boundary must not fall either side of it by
    // a rounding error.
    let times: Vec<f64> = run
        .iter()
        .map(|(t, _)| ((*t - run[0].0) * 1000.0).round() / 1000.0)
        .collect();
    let digits = |l: &Labels| {
        l.iter()
            .map(|l| l.1)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let mut best: Vec<Labels> = Vec::new();
    for s in 1..places.len() {
        if places[s] - places[s - 1] > pitch * 1.6 {
            continue;
        }
        if changes_at(&grid, s).len() < 2 {
            continue;
        }
        let candidates: Vec<Labels> = clock_labels(&grid, s, s - 1, &times)
            .into_iter()
            .filter(|l| digits(l) >= 3)
            .collect();
        let Some(first) = candidates.first() else {
            continue;
        };
        let better = match best.first() {
            None => true,
            Some(b) => (candidates.len() == 1, first.len()) >= (best.len() == 1, b.len()),
        };
        if better {
            best = candidates;
        }
    }
    best
}

/// The digit each shape at place `s` shows, if the places `s` (seconds) and `t` (tens) behave
/// as a clock over the run's `times` in one way clearly better than any other.
///
/// Each way of reading the run (the digit shown first, and where in its second the run began)
/// is scored by the pictures that disagree with it: a shape seen at the seconds place showing
/// another digit than most of its sightings do, or a shape at the tens place another tens
/// digit. A blurred picture may put one glyph with the wrong shapes; a wrong reading of the
/// run disagrees with many pictures.
fn clock_labels(grid: &[Vec<Option<usize>>], s: usize, t: usize, times: &[f64]) -> Vec<Labels> {
    let Some(shapes) = grid.iter().flat_map(|r| [r[s], r[t]]).flatten().max() else {
        return Vec::new();
    };
    let shapes = shapes + 1;
    let mut all: Vec<(usize, Vec<(usize, u8)>)> = Vec::new();
    for phase in (0..20).map(|k| k as f64 / 20.0) {
        for start in 0..10i64 {
            let count: Vec<i64> = times
                .iter()
                .map(|d| start + (phase + d).floor() as i64)
                .collect();
            let mut ones = vec![[0u32; 10]; shapes];
            let mut tens = vec![[0u32; 6]; shapes];
            for (row, c) in grid.iter().zip(&count) {
                if let Some(k) = row[s] {
                    ones[k][c.rem_euclid(10) as usize] += 1;
                }
                if let Some(k) = row[t] {
                    tens[k][c.div_euclid(10).rem_euclid(6) as usize] += 1;
                }
            }
            let off =
                |v: &[u32]| (v.iter().sum::<u32>() - v.iter().max().copied().unwrap_or(0)) as usize;
            let score: usize = ones.iter().map(|v| off(v)).sum::<usize>()
                + tens.iter().map(|v| off(v)).sum::<usize>();
            // A shape's digit: what two thirds of its sightings show.
            let labels: Vec<(usize, u8)> = ones
                .iter()
                .enumerate()
                .filter_map(|(k, v)| {
                    let total: u32 = v.iter().sum();
                    let (d, n) = v.iter().enumerate().max_by_key(|(_, n)| **n)?;
                    (total > 0 && n * 3 >= total * 2).then_some((k, d as u8))
                })
                .collect();
            all.push((score, labels));
        }
    }
    let Some((best_score, best)) = all.iter().min_by_key(|(score, _)| *score).cloned() else {
        return Vec::new();
    };
    // Sightings of each shape at the seconds place.
    let mut seen = vec![0u32; shapes];
    for row in grid {
        if let Some(k) = row[s] {
            seen[k] += 1;
        }
    }
    let differs =
        |l: &[(usize, u8)], k: usize, d: u8| l.iter().any(|(lk, ld)| *lk == k && *ld != d);
    // Every other reading of the run that labels a shape seen twice or more otherwise must be
    // clearly worse (two pictures more disagree with it): else the run does not decide (it
    // cannot tell an odd second from an even one, say).
    let runner_up = all
        .iter()
        .filter(|(_, l)| best.iter().any(|&(k, d)| seen[k] >= 2 && differs(l, k, d)))
        .map(|(s, _)| *s)
        .min()
        .unwrap_or(usize::MAX);
    if best_score * 10 > grid.len() {
        return Vec::new();
    }
    if runner_up < best_score + 2 {
        // Not decided: the readings within a picture of the best, for the caller to try.
        let mut near: Vec<Labels> = Vec::new();
        let mut sorted: Vec<&(usize, Labels)> =
            all.iter().filter(|(sc, _)| *sc < best_score + 2).collect();
        sorted.sort_by_key(|(sc, _)| *sc);
        for (_, l) in sorted {
            if !near.contains(l) {
                near.push(l.clone());
            }
        }
        near.truncate(4);
        return near;
    }
    // A shape seen once that a nearly as good reading labels otherwise (a picture right at a
    // second's boundary) is left out.
    let near: Vec<&Vec<(usize, u8)>> = all
        .iter()
        .filter(|(s, _)| *s < best_score + 2)
        .map(|(_, l)| l)
        .collect();
    vec![
        best.into_iter()
            .filter(|&(k, d)| near.iter().all(|l| !differs(l, k, d)))
            .collect(),
    ]
}

/// Reads one picture's line with a model's shapes.
pub fn read(font: &Font, line: &Line) -> Reading {
    let mut text = String::new();
    // Per character of `text`: the match quality of a digit, or None.
    let mut quality: Vec<Option<f32>> = Vec::new();
    // A space is a step between glyph centres well over the line's usual pitch.
    let mut steps: Vec<f32> = line
        .glyphs
        .windows(2)
        .map(|w| centre(&w[1]) - centre(&w[0]))
        .collect();
    steps.sort_by(f32::total_cmp);
    let pitch = steps.get(steps.len() / 2).copied().unwrap_or(f32::MAX);
    let mut last: Option<f32> = None;
    for g in &line.glyphs {
        if let Some(prev) = last
            && centre(g) - prev > pitch * 1.5
        {
            text.push(' ');
            quality.push(None);
        }
        last = Some(centre(g));
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
    Reading {
        text,
        civil_s,
        rest,
        confidence,
    }
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

/// Share of a learning run's display lines that a font must read with a time, and most share
/// of those that may keep another offset to the picture's clock, for [`reads_back`].
const READ_BACK_MIN: f64 = 0.8;
const READ_BACK_ASTRAY: f64 = 0.05;

/// Whether `font` reads back the runs it was learned from: in each run, at least four fifths
/// of the pictures whose line was found give a date and time, and those keep one offset to
/// the picture's own clock (within a second and a half: the display shows whole seconds)
/// but for a twentieth at most. A font whose digits were labelled wrongly (a picture's own
/// moving numbers taken for the clock, a run whose change of tens was missed) reads its own
/// footage as dates that do not advance with it, and is not used: a model that reads nothing
/// is better than one that reads wrong.
pub fn reads_back(font: &Font, runs: &[Vec<Sighting>]) -> bool {
    !runs.is_empty()
        && runs.iter().all(|run| {
            let lines: Vec<(&Line, f64)> = run
                .iter()
                .filter_map(|s| s.line.as_ref().map(|l| (l, s.t_s)))
                .collect();
            let mut offsets: Vec<f64> = lines
                .iter()
                .filter_map(|(l, t)| read(font, l).civil_s.map(|c| c as f64 - t))
                .collect();
            if lines.is_empty() || (offsets.len() as f64) < READ_BACK_MIN * lines.len() as f64 {
                return false;
            }
            offsets.sort_by(f64::total_cmp);
            let usual = offsets[offsets.len() / 2];
            let astray = offsets.iter().filter(|o| (*o - usual).abs() > 1.5).count();
            (astray as f64) <= READ_BACK_ASTRAY * offsets.len() as f64
        })
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
