//! Learning a display's digits from the footage: the glyphs of a run of pictures are grouped
//! into shapes, the place on the line that behaves as a clock's seconds beside its tens is
//! found, and the reading of the run that fits the pictures' own times labels each shape.

use super::{Font, Glyph, Line, Sighting, centre, nearest_digit, read};

/// Two glyphs whose shapes differ in at most this share of their ink are one shape.
const SAME: f32 = 0.12;

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

/// How far a shape not seen at the seconds place may be from a learned digit's shape to be
/// taken as that digit drawn a little differently.
const VARIANT: f32 = 0.25;

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
    // Only a variant of a digit (within [`VARIANT`] of its shape) takes its digit: a glyph the
    // scene has broken (a `2` whose bottom stroke is gone) is nearest to some digit too, but
    // is none of them, and must read as `?`, not as the `7` it then resembles.
    for (g, d) in font.shapes.iter_mut() {
        if d.is_none() {
            *d = nearest_digit(&labelled, g)
                .map(|(digit, _)| digit)
                .filter(|&digit| {
                    labelled
                        .shapes
                        .iter()
                        .any(|(s, ld)| *ld == Some(digit) && s.distance(g) <= VARIANT)
                });
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
