//! Learning a display's digits from the footage: the glyphs of a run of pictures are grouped
//! into shapes, the place on the line that behaves as a clock's seconds beside its tens is
//! found, and the reading of the run that fits the pictures' own times labels each shape.

use super::{DateOrder, Font, Glyph, Line, Sighting, centre, nearest_digit, read};

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
        let placed = g.shifted();
        let best = self
            .leaders
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.distance_to(&placed)))
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

/// `font` with no digit but `1` on a shape that is one upright stroke
/// ([`Glyph::is_one_stroke`]): the learning labels a glyph with the digit the clock showed
/// where it stood, and a `0` whose other side the scene took is labelled `0`; a `9` cut down
/// alike later reads as that `0`, surely (a 16-pixel display over a bright scene read a
/// recording's hour `09` as `00` so, and the rules accused it). Such a glyph reads `?`.
pub fn without_strokes(mut font: Font) -> Font {
    for (g, d) in font.shapes.iter_mut() {
        if d.is_some_and(|d| d != 1) && g.is_one_stroke() {
            *d = None;
        }
    }
    font
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
    let mut font = Font {
        shapes,
        ..Font::default()
    };
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
        ..Font::default()
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
/// Each way of reading the run (the second shown first, tens and all, and where in it the run
/// began) is scored by the pictures that disagree with it: a shape showing another digit than
/// most of its sightings do, at either place. The tens are drawn in the same font as the
/// seconds, so a shape seen at both places shows one digit at both: keyframes seconds apart
/// (a keyframe each three seconds shows each seconds digit once in a run) fit a reading one
/// digit off at the seconds place alone as well as the true one, but not the digits the same
/// shapes show among the tens. A blurred picture may put one glyph with the wrong shapes; a
/// wrong reading of the run disagrees with many pictures.
fn clock_labels(grid: &[Vec<Option<usize>>], s: usize, t: usize, times: &[f64]) -> Vec<Labels> {
    // The shapes seen at the two places, numbered from 0 here.
    let mut seen_here: Vec<usize> = grid.iter().flat_map(|r| [r[s], r[t]]).flatten().collect();
    seen_here.sort_unstable();
    seen_here.dedup();
    let Some(&last) = seen_here.last() else {
        return Vec::new();
    };
    let local = |k: usize| seen_here.binary_search(&k).unwrap_or(0);
    let rows: Vec<(Option<usize>, Option<usize>)> = grid
        .iter()
        .map(|r| (r[s].map(local), r[t].map(local)))
        .collect();
    let n = seen_here.len();
    let off =
        |v: &[u32; 10]| (v.iter().sum::<u32>() - v.iter().max().copied().unwrap_or(0)) as usize;
    let (mut ones, mut digits) = (vec![[0u32; 10]; n], vec![[0u32; 10]; n]);
    let mut all: Vec<(usize, Vec<(usize, u8)>)> = Vec::new();
    for phase in (0..20).map(|k| k as f64 / 20.0) {
        for start in 0..60i64 {
            ones.iter_mut().for_each(|v| *v = [0; 10]);
            digits.iter_mut().for_each(|v| *v = [0; 10]);
            for (&(at_s, at_t), d) in rows.iter().zip(times) {
                let c = start + (phase + d).floor() as i64;
                if let Some(k) = at_s {
                    let digit = c.rem_euclid(10) as usize;
                    ones[k][digit] += 1;
                    digits[k][digit] += 1;
                }
                if let Some(k) = at_t {
                    digits[k][c.div_euclid(10).rem_euclid(6) as usize] += 1;
                }
            }
            let score: usize = digits.iter().map(off).sum();
            // A shape's digit: what two thirds of its sightings at the seconds place show.
            let labels: Vec<(usize, u8)> = ones
                .iter()
                .enumerate()
                .filter_map(|(k, v)| {
                    let total: u32 = v.iter().sum();
                    let (d, n) = v.iter().enumerate().max_by_key(|(_, n)| **n)?;
                    (total > 0 && n * 3 >= total * 2).then_some((seen_here[k], d as u8))
                })
                .collect();
            all.push((score, labels));
        }
    }
    let Some((best_score, best)) = all.iter().min_by_key(|(score, _)| *score).cloned() else {
        return Vec::new();
    };
    // Sightings of each shape at the seconds place.
    let mut seen = vec![0u32; last + 1];
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

/// The order `font`'s display writes its date in, from the runs it was learned from: the
/// order under which it reads them back as a clock ([`reads_back`]). Year first when it does
/// so (GA/T 947's order; a line that reads with the year first never does with it last);
/// else month/day/year or day.month.year when only one of the two does (a day after the
/// 12th, seen in a run, tells them apart), or [`DateOrder::DayMonthUnknown`] when both do;
/// year first again when none does (the font reads nothing back either way). The date is
/// looked for before the time first, and after it (`10:00:05 2026/03/12`) only when no order
/// reads the runs back so. Returns the font with that order.
pub fn date_order(font: Font, runs: &[Vec<Sighting>]) -> Font {
    [false, true]
        .into_iter()
        .find_map(|time_first| {
            order_of(
                &Font {
                    time_first,
                    ..font.clone()
                },
                runs,
            )
        })
        .unwrap_or_else(|| Font {
            time_first: false,
            ..font.in_order(DateOrder::Ymd)
        })
}

/// [`date_order`] with the time where `font` puts it; `None` when no order reads the runs
/// back.
fn order_of(font: &Font, runs: &[Vec<Sighting>]) -> Option<Font> {
    let with = |order| font.in_order(order);
    if reads_back(&with(DateOrder::Ymd), runs) {
        return Some(with(DateOrder::Ymd));
    }
    match (
        reads_back(&with(DateOrder::Mdy), runs),
        reads_back(&with(DateOrder::Dmy), runs),
    ) {
        (true, true) => Some(with(DateOrder::DayMonthUnknown)),
        (true, false) => Some(with(DateOrder::Mdy)),
        (false, true) => Some(with(DateOrder::Dmy)),
        (false, false) => None,
    }
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
    // Month and day in an order not known: read back as the one or the other.
    if font.date_order == DateOrder::DayMonthUnknown {
        return [DateOrder::Mdy, DateOrder::Dmy]
            .into_iter()
            .any(|order| reads_back(&font.in_order(order), runs));
    }
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

/// Most shapes [`harvest`] adds to a font.
const HARVEST_MAX: usize = 32;
/// Most glyphs of a picture's fourteen digits of the time that [`harvest`] learns from at
/// once: every other one must read the digit the clock shows there.
const UNREAD_MAX: usize = 4;
/// A glyph the clock says shows digit `d` becomes a shape of `d` only when `d`'s learned shapes
/// are the nearest to it of all the font's shapes, and within this distance.
const HARVEST_NEAR: f32 = 0.5;

/// The font with the shapes its own learning runs show of digits it did not read: a picture of
/// a run whose time was not read because some glyphs of it (four at most, [`UNREAD_MAX`])
/// matched no digit, while every other glyph of the date and time reads the very digit the
/// run's clock says it shows there (the run's steady offset to the pictures' own times gives
/// that time to the second, or leaves a place undecided across a second's boundary, which is
/// then not used). Each glyph the clock names is then that digit drawn over another scene.
/// When the nearest of the font's shapes to it is a shape the learning left without a digit
/// (seen only where the seconds never are, and unlike every labelled shape), that shape takes
/// the digit, provided that wherever the runs show it, it stands at a place of the time where
/// the clock shows that digit, or after the time between digits (in the officer's number: a
/// glyph beside it on the same word reads as a digit, and none beside it does not). A shape
/// seen anywhere else, a letter of the device's name, say (beside a letter, which reads as no
/// digit), keeps no digit. Otherwise the glyph itself is kept as a shape of the digit when that
/// digit's shapes are its nearest, of every shape, within [`HARVEST_NEAR`]. A place that reads
/// another digit than the clock's, or a fifth unread glyph, and the picture teaches nothing.
/// Passes are repeated ([`HARVEST_PASSES`]): the digits one pass learns may leave another
/// picture few enough unread glyphs, or give a run no picture read before enough to time it.
/// Returns `font` unchanged when it does not know every digit.
pub fn harvest(font: &Font, runs: &[Vec<Sighting>]) -> Font {
    let mut out = font.clone();
    // The clock's digits at the date's places depend on the order: not known, none is taught.
    if font.date_order == DateOrder::DayMonthUnknown {
        return out;
    }
    for _ in 0..HARVEST_PASSES {
        let more = harvest_once(&out, runs, font.shapes.len() + HARVEST_MAX);
        let labels = |f: &Font| f.shapes.iter().map(|(_, d)| *d).collect::<Vec<_>>();
        if labels(&more) == labels(&out) {
            break;
        }
        out = more;
    }
    out
}

/// Passes of [`harvest`] at most: a picture that had too many unread glyphs to teach may teach
/// once an earlier pass has given some of them their digit.
const HARVEST_PASSES: usize = 4;

/// One pass of [`harvest`]: the font grows to `limit` shapes at most.
fn harvest_once(font: &Font, runs: &[Vec<Sighting>], limit: usize) -> Font {
    let mut out = font.clone();
    if font.digits_known() < 10 {
        return out;
    }
    let timed: Vec<Timed> = runs.iter().filter_map(|run| timed_run(font, run)).collect();
    // Shapes without a digit that an unread glyph of the time came nearest to, and the digit
    // the clock says each time.
    let mut relabel: Vec<(usize, u8)> = Vec::new();
    for run in &timed {
        for pic in &run.pictures {
            let Some(at) = pic.at.as_ref().filter(|_| !pic.read) else {
                continue;
            };
            let mut unread: Vec<usize> = Vec::new();
            let mut agrees = true;
            for (p, &g) in at.iter().enumerate() {
                match super::nearest_digit(font, &pic.line.glyphs[g]) {
                    Some((d, _)) => agrees &= d == pic.a[p] || d == pic.b[p],
                    None if pic.a[p] == pic.b[p] && unread.len() < UNREAD_MAX => unread.push(p),
                    None => agrees = false,
                }
            }
            if !agrees {
                continue;
            }
            for p in unread {
                let (glyph, want) = (&pic.line.glyphs[at[p]], pic.a[p]);
                let Some((k, dist)) = nearest_shape(font, glyph) else {
                    continue;
                };
                match font.shapes[k].1 {
                    None if dist <= SAME => relabel.push((k, want)),
                    Some(d)
                        if d == want
                            && dist <= HARVEST_NEAR
                            && !out
                                .shapes
                                .iter()
                                .any(|(s, sd)| *sd == Some(want) && s.distance(glyph) <= SAME)
                            && out.shapes.len() < limit =>
                    {
                        out.shapes.push((glyph.clone(), Some(want)));
                    }
                    _ => {}
                }
            }
        }
    }
    relabel.sort_unstable();
    relabel.dedup();
    for &(k, want) in &relabel {
        // One digit only, and wherever the runs show the shape, at a place of the time that
        // shows that digit or after the time between digits.
        let one = relabel.iter().filter(|(j, _)| *j == k).count() == 1;
        let is_k =
            |glyph: &Glyph| nearest_shape(font, glyph).is_some_and(|(j, d)| j == k && d <= SAME);
        let everywhere = timed.iter().all(|run| {
            run.pictures.iter().all(|pic| {
                let time_ends = pic.at.as_ref().and_then(|at| at.iter().max().copied());
                pic.line.glyphs.iter().enumerate().all(|(g, glyph)| {
                    if !is_k(glyph) {
                        return true;
                    }
                    let place = pic
                        .at
                        .as_ref()
                        .and_then(|at| at.iter().position(|&i| i == g));
                    match place {
                        Some(p) => pic.a[p] == want || pic.b[p] == want,
                        None => {
                            time_ends.is_some_and(|end| g > end)
                                && between_digits(font, pic.line, g, &is_k)
                        }
                    }
                })
            })
        });
        if one && everywhere {
            out.shapes[k].1 = Some(want);
        }
    }
    out
}

/// Whether glyph `g` of `line` stands among digits: it has a neighbour on its word (no space
/// between), and each neighbour there reads as a digit with `font` or is the same shape
/// (`same`).
fn between_digits(font: &Font, line: &Line, g: usize, same: &dyn Fn(&Glyph) -> bool) -> bool {
    let joined = |i: usize| !line.spaced.get(i).copied().unwrap_or(true);
    let left = (g > 0 && joined(g)).then(|| g - 1);
    let right = (g + 1 < line.glyphs.len() && joined(g + 1)).then_some(g + 1);
    let neighbours: Vec<&Glyph> = [left, right]
        .into_iter()
        .flatten()
        .filter_map(|i| line.glyphs.get(i))
        .collect();
    !neighbours.is_empty()
        && neighbours
            .iter()
            .all(|n| same(n) || super::nearest_digit(font, n).is_some())
}

/// A picture of a run as the font reads it: its line, time in the file, the time read, and
/// the glyphs of the time's fourteen digits.
type ReadPicture<'a> = (&'a Line, f64, Option<i64>, Option<Vec<usize>>);

/// One learning run's pictures with the time its clock says each shows.
struct Timed<'a> {
    pictures: Vec<TimedPicture<'a>>,
}

struct TimedPicture<'a> {
    line: &'a Line,
    /// Whether the font read a time in it.
    read: bool,
    /// The fourteen digits the clock shows at the picture, at both ends of what the run
    /// says of its phase (alike but where the picture falls near a second's boundary).
    a: [u8; 14],
    b: [u8; 14],
    /// The glyph at each of the fourteen places of the time, when every place has one.
    at: Option<Vec<usize>>,
}

/// The run's pictures timed by its clock: its steady offset to the pictures' own times (from
/// the pictures the font reads), and the places of the time's digits (from one of them).
/// `None` when fewer than three pictures read or they do not keep one offset.
fn timed_run<'a>(font: &Font, run: &'a [Sighting]) -> Option<Timed<'a>> {
    let read: Vec<ReadPicture> = run
        .iter()
        .filter_map(|s| {
            let line = s.line.as_ref()?;
            let (r, digits) = super::read_glyphs(font, line);
            Some((line, s.t_s, r.civil_s, digits))
        })
        .collect();
    let mut offsets: Vec<f64> = read
        .iter()
        .filter_map(|(_, t, c, _)| c.map(|c| c as f64 - t))
        .collect();
    if offsets.len() < 3 {
        return None;
    }
    offsets.sort_by(f64::total_cmp);
    let usual = offsets[offsets.len() / 2];
    offsets.retain(|o| (o - usual).abs() <= 1.5);
    // A picture showing second `c` at time `t` in the file says the clock's phase `p` (the
    // displayed second is floor(t + p)) lies in (c - t - 1, c - t]; all together, in
    // [hi, lo + 1).
    let (lo, hi) = (*offsets.first()?, *offsets.last()?);
    if hi >= lo + 1.0 {
        return None;
    }
    let places: Vec<f32> = read.iter().find_map(|(line, t, c, digits)| {
        let off = (*c)? as f64 - t;
        let digits = digits.as_ref().filter(|d| d.len() == 14)?;
        ((off - usual).abs() <= 1.5).then(|| {
            digits
                .iter()
                .map(|&i| super::centre(&line.glyphs[i]))
                .collect()
        })
    })?;
    // A digit's width: the least step between the time's neighbouring places.
    let pitch = places
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f32::MAX, f32::min);
    let pictures = read
        .into_iter()
        .filter_map(|(line, t, c, _)| {
            let a = clock_digits((t + hi).floor() as i64, font)?;
            let b = clock_digits((t + lo + 1.0 - 1e-6).floor() as i64, font)?;
            let at = places
                .iter()
                .map(|&x| {
                    line.glyphs
                        .iter()
                        .position(|g| (super::centre(g) - x).abs() <= pitch / 3.0)
                })
                .collect();
            Some(TimedPicture {
                line,
                read: c.is_some(),
                a,
                b,
                at,
            })
        })
        .collect();
    Some(Timed { pictures })
}

/// The font's shape nearest to `glyph`, and its distance.
fn nearest_shape(font: &Font, glyph: &Glyph) -> Option<(usize, f32)> {
    let placed = glyph.shifted();
    font.shapes
        .iter()
        .enumerate()
        .map(|(k, (s, _))| (k, s.distance_to(&placed)))
        .min_by(|x, y| x.1.total_cmp(&y.1))
}

/// The fourteen digits of the wall-clock second `civil` (seconds from 1970 of the display's own
/// clock) as `font`'s display shows them: the date in its order (none when the order is not
/// known), then hours, minutes, seconds; or the time first.
fn clock_digits(civil: i64, font: &Font) -> Option<[u8; 14]> {
    let date = match font.date_order {
        DateOrder::Ymd => "%Y%m%d",
        DateOrder::Mdy => "%m%d%Y",
        DateOrder::Dmy => "%d%m%Y",
        DateOrder::DayMonthUnknown => return None,
    };
    let format = if font.time_first {
        format!("%H%M%S{date}")
    } else {
        format!("{date}%H%M%S")
    };
    let text = chrono::DateTime::from_timestamp(civil, 0)?
        .naive_utc()
        .format(&format)
        .to_string();
    let mut out = [0u8; 14];
    if text.len() != 14 {
        return None;
    }
    for (o, c) in out.iter_mut().zip(text.bytes()) {
        *o = c.checked_sub(b'0')?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stroke_keeps_no_digit_but_one() {
        let mut bar = Glyph {
            rows: [0; crate::shape::ROWS],
            x0: 0,
            x1: 0,
        };
        for r in 0..crate::shape::ROWS {
            bar.set(r, 7);
            bar.set(r, 8);
        }
        let others = crate::tests::random_shapes(1, 0x2545_f491_4f6c_dd1d);
        let font = Font {
            shapes: vec![
                (bar.clone(), Some(0)),
                (bar, Some(1)),
                (others[0].clone(), Some(0)),
            ],
            ..Font::default()
        };
        let digits: Vec<Option<u8>> = without_strokes(font).shapes.iter().map(|s| s.1).collect();
        assert_eq!(digits, [None, Some(1), Some(0)]);
    }

    /// A made-up shape per digit (and five more): sparse pseudo-random bits, far apart from
    /// each other at every placement.
    fn shapes() -> Vec<Glyph> {
        let shapes = crate::tests::random_shapes(15, 0x5851_f42d_4c95_7f2d);
        for a in 0..shapes.len() {
            for b in a + 1..shapes.len() {
                assert!(shapes[a].distance(&shapes[b]) > 0.3, "{a} {b}");
            }
        }
        shapes
    }

    /// A display line: `2026 03 12 10 13 ss` then `extra` (shape numbers), each digit drawn
    /// with `shapes[d]` but the minutes' tens with `shapes[ten]`.
    fn line(shapes: &[Glyph], secs: u8, ten: usize, extra: &[usize]) -> Line {
        let mut digits: Vec<usize> = vec![2, 0, 2, 6, 0, 3, 1, 2, 1, 0, 1, 3];
        digits.extend([usize::from(secs / 10), usize::from(secs % 10)]);
        digits[10] = ten;
        digits.extend(extra);
        let mut glyphs = Vec::new();
        let mut spaced = Vec::new();
        let mut x = 0u32;
        for (i, &s) in digits.iter().enumerate() {
            let space = matches!(i, 4 | 6 | 8 | 10 | 12 | 14);
            x += if space { 20 } else { 10 };
            let mut g = shapes[s].clone();
            (g.x0, g.x1) = (x, x + 8);
            glyphs.push(g);
            spaced.push(space);
        }
        Line {
            y0: 0,
            y1: 20,
            glyphs,
            spaced,
        }
    }

    fn run(shapes: &[Glyph], odd: &[u8], extra: &[usize]) -> Vec<Sighting> {
        (0..8u8)
            .map(|k| Sighting {
                t_s: f64::from(k) + 0.4,
                line: Some(line(
                    shapes,
                    20 + k,
                    if odd.contains(&k) { 10 } else { 1 },
                    extra,
                )),
            })
            .collect()
    }

    fn font(shapes: &[Glyph]) -> Font {
        Font {
            shapes: shapes
                .iter()
                .enumerate()
                .map(|(d, g)| (g.clone(), (d < 10).then_some(d as u8)))
                .collect(),
            ..Font::default()
        }
    }

    #[test]
    fn a_font_reads_the_line_at_its_rows_or_else_the_one_showing_a_time() {
        let shapes = shapes();
        let mut clock = line(&shapes, 25, 1, &[]);
        (clock.y0, clock.y1) = (40, 60);
        // A longer line above it of glyphs that are no digits (a unit's name).
        let mut name = line(&shapes, 25, 1, &[10; 6]);
        name.glyphs
            .iter_mut()
            .for_each(|g| g.rows = shapes[10].rows);
        let lines = [name, clock];
        let time = read(&font(&shapes), &lines[1]).civil_s;
        assert!(time.is_some());
        // A font kept without rows: the line that shows a time.
        let mut f = font(&shapes);
        assert_eq!(crate::read_lines(&f, &lines).and_then(|r| r.civil_s), time);
        // A font that knows its clock line reads that line only.
        f.rows = Some((41, 59));
        assert_eq!(crate::read_lines(&f, &lines).and_then(|r| r.civil_s), time);
        f.rows = Some((0, 20));
        let r = crate::read_lines(&f, &lines).expect("the line at those rows is read");
        assert_eq!((r.civil_s, r.text.contains('?')), (None, true));
        // No line at the font's rows (the display moved): the line showing a time.
        f.rows = Some((200, 220));
        assert_eq!(crate::read_lines(&f, &lines).and_then(|r| r.civil_s), time);
        assert_eq!(crate::read_lines(&f, &[]), None, "no line at all");
    }

    #[test]
    fn a_digit_the_clock_names_where_the_font_read_none_is_learned() {
        let shapes = shapes();
        // The minutes' tens drawn another way in two pictures of eight: a shape the learning
        // left without a digit (number 10), and those two pictures read no time.
        let runs = vec![run(&shapes, &[2, 5], &[])];
        let f = font(&shapes);
        assert_eq!(read(&f, runs[0][2].line.as_ref().unwrap()).civil_s, None);
        let more = harvest(&f, &runs);
        assert_eq!(more.shapes[10].1, Some(1));
        let r = read(&more, runs[0][2].line.as_ref().unwrap());
        let shown = chrono::NaiveDate::from_ymd_opt(2026, 3, 12)
            .and_then(|d| d.and_hms_opt(10, 13, 22))
            .map(|t| t.and_utc().timestamp());
        assert_eq!(r.civil_s, shown);
        // The same shape also after the time beside a glyph that reads as no digit (a letter
        // of the device's name, `MX`): not a digit.
        let runs = vec![run(&shapes, &[2, 5], &[11, 10, 4])];
        assert_eq!(harvest(&f, &runs).shapes[10].1, None);
        let runs = vec![run(&shapes, &[2, 5], &[10, 11])];
        assert_eq!(harvest(&f, &runs).shapes[10].1, None);
        // Alone after the time, nothing beside it on its word: not a digit either.
        let runs = vec![run(&shapes, &[2, 5], &[10])];
        assert_eq!(harvest(&f, &runs).shapes[10].1, None);
        // Between digits (the officer's number, `103456`): the digit the clock names.
        let runs = vec![run(&shapes, &[2, 5], &[1, 10, 3, 4])];
        assert_eq!(harvest(&f, &runs).shapes[10].1, Some(1));
        // Where the clock says another digit than the pictures around it read, nothing.
        let mut wrong = run(&shapes, &[2], &[]);
        if let Some(l) = wrong[2].line.as_mut() {
            l.glyphs[13].rows = shapes[9].rows;
        }
        assert_eq!(harvest(&f, &[wrong]).shapes[10].1, None);
    }

    #[test]
    fn several_digits_the_clock_names_in_one_picture_are_learned_but_not_too_many() {
        let shapes = shapes();
        // From the fifth picture on, the scene behind a translucent box changes how the
        // date's digits are cut: the year's first 2, the month's 3 and the day's 2 take shapes
        // the learning left without a digit (10, 11, 12), and `redrawn` more places take
        // others (13, 14).
        let run_with = |redrawn: &[(usize, usize)]| {
            let mut r = run(&shapes, &[], &[]);
            for s in r.iter_mut().skip(4) {
                if let Some(l) = s.line.as_mut() {
                    for &(place, shape) in [(0, 10), (5, 11), (7, 12)].iter().chain(redrawn) {
                        l.glyphs[place].rows = shapes[shape].rows;
                    }
                }
            }
            vec![r]
        };
        let f = font(&shapes);
        let runs = run_with(&[]);
        assert_eq!(read(&f, runs[0][5].line.as_ref().unwrap()).civil_s, None);
        assert!(!crate::reads_back(&f, &runs));
        let more = harvest(&f, &runs);
        let digits: Vec<Option<u8>> = (10..13).map(|k| more.shapes[k].1).collect();
        assert_eq!(digits, [Some(2), Some(3), Some(2)]);
        assert!(crate::reads_back(&more, &runs));
        // Four places unread at once still teach; five leave too little of the time read to
        // trust the clock's word for them.
        let more = harvest(&f, &run_with(&[(1, 13)]));
        assert_eq!(more.shapes[13].1, Some(0));
        let more = harvest(&f, &run_with(&[(1, 13), (3, 14)]));
        assert!(more.shapes[10..].iter().all(|(_, d)| d.is_none()));
    }

    /// A display line showing 2026-03-12 `hh:mm:ss`, each digit drawn with `shapes[d]` but
    /// the seconds' tens with `shapes[tens]`.
    fn clock_line(shapes: &[Glyph], t: u32, tens: usize) -> Line {
        let (h, m, sec) = (t / 3600, t / 60 % 60, t % 60);
        let mut digits: Vec<usize> = vec![2, 0, 2, 6, 0, 3, 1, 2];
        digits.extend([h / 10, h % 10, m / 10, m % 10].map(|d| d as usize));
        digits.extend([tens, sec as usize % 10]);
        let mut line = line(shapes, 0, 0, &[]);
        for (g, d) in line.glyphs.iter_mut().zip(digits) {
            g.rows = shapes[d].rows;
        }
        line
    }

    #[test]
    fn a_tens_digit_drawn_two_ways_does_not_pass_for_the_tens_changing() {
        // A learning run as the keyframe stage makes it where keyframes are three seconds
        // apart: every picture a quarter of a second apart over the first eleven seconds,
        // from 10:21:56. The scene behind the display changes at two keyframes, and with it
        // how the tens digit is cut: the 5 of :56-:58 and the 0 from :02 on take shapes of
        // their own (10 and 11). Each change of shape at the tens place then fits a reading
        // of the run whose seconds are one or two digits off as well as the true carry does,
        // at that place alone; the true 5 and 0 are the shapes the seconds place shows too.
        let shapes = shapes();
        let at = |h: u32, m: u32, s: u32| 3600 * h + 60 * m + s;
        let start = at(10, 21, 56);
        let redrawn: Vec<Sighting> = (0..44u32)
            .map(|k| {
                let t = start + k / 4;
                let tens = match t - start {
                    0..3 => 10,
                    6.. => 11,
                    _ => (t % 60 / 10) as usize,
                };
                Sighting {
                    t_s: f64::from(k) * 0.25 + 0.1,
                    line: Some(clock_line(&shapes, t, tens)),
                }
            })
            .collect();
        // And a run drawn plainly, a second each from 10:05:13.
        let plain: Vec<Sighting> = (0..12u32)
            .map(|k| {
                let t = at(10, 5, 13) + k;
                Sighting {
                    t_s: f64::from(k) + 0.4,
                    line: Some(clock_line(&shapes, t, (t % 60 / 10) as usize)),
                }
            })
            .collect();
        for runs in [vec![redrawn.clone()], vec![redrawn, plain]] {
            let learned = learn(&runs);
            for t in [at(10, 21, 56), at(10, 5, 13), at(11, 47, 39)] {
                let shown = chrono::NaiveDate::from_ymd_opt(2026, 3, 12)
                    .and_then(|d| d.and_hms_opt(t / 3600, t / 60 % 60, t % 60))
                    .map(|t| t.and_utc().timestamp());
                let line = clock_line(&shapes, t, (t % 60 / 10) as usize);
                assert_eq!(
                    read(&learned, &line).civil_s,
                    shown,
                    "{} runs, {t}",
                    runs.len()
                );
            }
        }
    }
}
