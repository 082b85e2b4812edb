//! From keyframes to display lines: decoding cut to the rows the display is read in where
//! that suffices.

use super::{budget, decode};
use crate::media::keyplan::{self, Codec, Plan};
use crate::media::{h264_cut, hevc_cut};
use crate::osd::{self, Ink, Line, Luma};

/// Decodes keyframes, each an access unit with its parameter sets first, and finds the lines
/// in them that may hold the clock ([`osd::find_lines`], as `ink` tells text). `rows` is where
/// a known font says the display's clock line stands. Its pictures are then first looked at
/// only around those rows ([`osd::line_at_rows`]), and when the line is in the top band a
/// frame-coded H.264 picture, or an HEVC picture without tiles, is decoded only down to just
/// below it ([`h264_cut`], [`hevc_cut`]); those where
/// no line stands there are searched in the whole band (top or bottom, [`osd::lines_at`]),
/// decoded down to the band's end. Without `rows` (a display not learned yet) the whole
/// picture is decoded and both its bands searched: the clock may stand at the bottom while the
/// scene makes lines at the top. Returns each unit's lines, how many units gave a picture, and
/// the whole decode's error.
pub(super) fn keyframe_lines(
    plan: &Plan,
    units: &[Vec<u8>],
    rows: Option<(u32, u32)>,
    ink: Ink,
) -> (Vec<Vec<Line>>, u32, Option<decode::DecodeError>) {
    let mut lines: Vec<Vec<Line>> = vec![Vec::new(); units.len()];
    let mut pictures = vec![false; units.len()];
    // A unit whose picture does not decode alone (an index's sync sample that is no intra
    // picture) is never decoded: after the unit before it, it would show that one's picture.
    let alone: Vec<usize> = (0..units.len())
        .filter(|&i| keyplan::unit_decodes_alone(plan, &units[i]))
        .collect();
    // Pictures whose band has been searched (cut to it).
    let mut searched = vec![false; units.len()];
    if let Some((rows, (band, height))) = rows.and_then(|r| Some((r, cut_of(plan, r)?))) {
        let line_end = osd::rows_at(height, rows).1;
        let tight = cut_to(plan, line_end).filter(|c| c.height() < band.height());
        // Without the tight cut every unit goes to the band; with it, those it decoded and
        // found no line in (a unit it could not decode goes straight to the whole decode
        // below, as one the band cut could not decode did before: a hostile unit is tried
        // twice at most, and each time-out counts against the run's decoding).
        let rest: Vec<usize> = match &tight {
            Some(tight) => {
                let mut rest = Vec::new();
                for (i, p) in decode_cut(plan, units, &alone, tight) {
                    match osd::line_at_rows(&luma(&p), height, rows, ink) {
                        Some(line) => {
                            pictures[i] = true;
                            lines[i] = vec![line];
                        }
                        None => rest.push(i),
                    }
                }
                rest
            }
            None => alone.clone(),
        };
        if !rest.is_empty() {
            for (i, p) in decode_cut(plan, units, &rest, &band) {
                pictures[i] = true;
                searched[i] = true;
                lines[i] = match tight {
                    // Looked at around its rows already.
                    Some(_) => osd::lines_at(&luma(&p), height, rows, ink),
                    None => around(&p, height, rows, ink),
                };
            }
        }
    }
    // Pictures the cut did not give (or not tried), and those with no line at a known clock
    // line's rows (a display moved: the whole picture is searched, see `osd::read_lines`):
    // decoded whole. A cut picture's band has been searched already.
    let moved = |l: &Vec<Line>| rows.is_some_and(|r| osd::on_rows(l, r).is_none());
    let whole: Vec<usize> = alone
        .iter()
        .copied()
        .filter(|&i| !pictures[i] || moved(&lines[i]))
        .collect();
    let mut error = None;
    if !whole.is_empty() {
        let again = whole.iter().map(|&i| (units[i].clone(), true)).collect();
        let (pics, err) = decode::decode_run(plan.codec, again, budget(whole.len()));
        for (p, &i) in pics.iter().zip(&whole) {
            if let Some(p) = p {
                pictures[i] = true;
                lines[i] = match rows
                    .filter(|_| !searched[i])
                    .map(|r| around(p, p.height, r, ink))
                {
                    Some(near) if !moved(&near) => near,
                    _ => lines_of(p, ink),
                };
            }
        }
        error = err;
    }
    let decoded = pictures.iter().filter(|&&p| p).count() as u32;
    (lines, decoded, error)
}

/// A stream's pictures cut to their top rows before decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cut {
    H264(h264_cut::Cut),
    Hevc(hevc_cut::Cut),
}

impl Cut {
    /// Rows of a cut picture (after cropping).
    fn height(&self) -> u32 {
        match self {
            Cut::H264(c) => c.height,
            Cut::Hevc(c) => c.height,
        }
    }

    /// The access unit as decoded under the cut; `None` when it cannot be cut.
    fn unit(&self, annex_b: &[u8]) -> Option<Vec<u8>> {
        match self {
            Cut::H264(c) => Some(h264_cut::access_unit(annex_b, c)),
            Cut::Hevc(c) => hevc_cut::access_unit(annex_b, c),
        }
    }
}

/// Decodes units `which`, each cut to `cut`'s rows: the pictures that came, by unit (a unit
/// that cannot be cut gives none here).
fn decode_cut(
    plan: &Plan,
    units: &[Vec<u8>],
    which: &[usize],
    cut: &Cut,
) -> Vec<(usize, decode::Picture)> {
    let (which, cut_units): (Vec<usize>, Vec<(Vec<u8>, bool)>) = which
        .iter()
        .filter_map(|&i| Some((i, (cut.unit(&units[i])?, true))))
        .unzip();
    if which.is_empty() {
        return Vec::new();
    }
    let (pics, _) = decode::decode_cut_run(plan.codec, cut_units, budget(which.len()));
    which
        .iter()
        .zip(pics)
        .filter_map(|(&i, p)| Some((i, p?)))
        .collect()
}

/// The clock line of a picture (whole, or its first rows) at a known clock line's rows
/// ([`osd::line_at_rows`]), else the lines of the band it stands in ([`osd::lines_at`]);
/// `height` is the whole picture's.
fn around(p: &decode::Picture, height: usize, rows: (u32, u32), ink: Ink) -> Vec<Line> {
    match osd::line_at_rows(&luma(p), height, rows, ink) {
        Some(line) => vec![line],
        None => osd::lines_at(&luma(p), height, rows, ink),
    }
}

/// A decoded picture's luma plane as the line search takes it.
fn luma(p: &decode::Picture) -> Luma<'_> {
    Luma {
        width: p.width,
        height: p.height,
        stride: p.width,
        y: &p.y,
    }
}

/// The cut of a file's pictures to the rows a known clock line is searched in, and the whole
/// picture's height: one SPS only, a line in the top band, and only where the cut saves
/// decoding.
fn cut_of(plan: &Plan, rows: (u32, u32)) -> Option<(Cut, usize)> {
    let height = match plan.codec {
        Codec::H264 => plan.h264.as_ref()?.0.height as usize,
        Codec::Hevc => hevc_cut::picture_height(one_sps(plan)?)? as usize,
    };
    let (r0, r1) = osd::band_of(height, rows);
    if r0 > 0 {
        return None;
    }
    Some((cut_to(plan, r1)?, height))
}

/// The stream's sequence parameter set, when it has only one.
fn one_sps(plan: &Plan) -> Option<&[u8]> {
    let mut sets = sets_of(plan, 7, 33);
    match (sets.next(), sets.next()) {
        (Some(nal), None) => Some(nal),
        _ => None,
    }
}

/// The plan's parameter sets of NAL unit type `h264` or `hevc`, as its codec has them.
fn sets_of(plan: &Plan, h264: u8, hevc: u8) -> impl Iterator<Item = &[u8]> {
    let is = move |h: u8| match plan.codec {
        Codec::H264 => h & 0x1f == h264,
        Codec::Hevc => (h >> 1) & 0x3f == hevc,
    };
    plan.params
        .iter()
        .map(Vec::as_slice)
        .filter(move |p| p.first().is_some_and(|&h| is(h)))
}

/// The cut of a file's pictures to their first `r1` rows: one SPS only.
fn cut_to(plan: &Plan, r1: usize) -> Option<Cut> {
    let sps = one_sps(plan)?;
    match plan.codec {
        Codec::H264 => h264_cut::top_rows(sps, r1 as u32).map(Cut::H264),
        Codec::Hevc => {
            let pps: Vec<&[u8]> = sets_of(plan, 8, 34).collect();
            hevc_cut::top_rows(sps, &pps, r1 as u32).map(Cut::Hevc)
        }
    }
}

/// Every line of a whole picture that may hold the clock.
pub(super) fn lines_of(p: &decode::Picture, ink: Ink) -> Vec<Line> {
    osd::find_lines(&luma(p), ink)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyframes::{open, picture, plan_of};

    fn fixture(name: &str) -> (Plan, Vec<Vec<u8>>) {
        let input = crate::keyframes::tests::osd_input(name);
        let f = open(&input).expect("opens");
        let plan = plan_of(&f, &input).expect("a plan");
        let ends = [plan.sync[0], plan.sync[plan.sync.len() - 1]];
        let units = ends
            .iter()
            .map(|s| picture(&f, &plan, s, true).expect("reads"))
            .collect();
        (plan, units)
    }

    fn whole(plan: &Plan, units: &[Vec<u8>]) -> Vec<decode::Picture> {
        every_picture(plan, units, false)
    }

    /// Pictures of units cut to their top rows, decoded as the stage decodes them.
    fn cut_whole(plan: &Plan, units: &[Vec<u8>]) -> Vec<decode::Picture> {
        every_picture(plan, units, true)
    }

    /// Every unit's picture, decoded as cut units or not, with no error.
    fn every_picture(plan: &Plan, units: &[Vec<u8>], cut: bool) -> Vec<decode::Picture> {
        let jobs = units.iter().map(|u| (u.clone(), true)).collect();
        let run = if cut {
            decode::decode_cut_run
        } else {
            decode::decode_run
        };
        let (pics, err) = run(plan.codec, jobs, budget(units.len()));
        assert_eq!(err, None);
        pics.into_iter().map(|p| p.expect("a picture")).collect()
    }

    /// The clock line of a whole picture with one display line.
    fn clock_of(full: &decode::Picture) -> (u32, u32) {
        let lines = lines_of(full, Ink::Edged);
        assert_eq!(lines.len(), 1, "one line that may hold the clock");
        (lines[0].y0, lines[0].y1)
    }

    #[test]
    fn a_keyframe_cut_to_a_known_clock_line_gives_the_whole_pictures_line() {
        for name in [
            "day.mp4",
            "later.mp4",
            "night.mp4",
            "joined.mp4",
            "foreign.mp4",
            "hevc.mp4",
        ] {
            let (plan, units) = fixture(name);
            let full = whole(&plan, &units);
            let rows = clock_of(&full[0]);
            let (cut, height) = cut_of(&plan, rows).expect("the file is cut");
            let (_, r1) = osd::band_of(height, rows);
            assert!(
                (cut.height() as usize) < height / 2 && cut.height() as usize >= r1,
                "{name}: cut to {} for rows {rows:?}",
                cut.height()
            );
            // First, cut to just below the line: its rows and those looked at around them.
            let end = osd::rows_at(height, rows).1;
            let tight = cut_to(&plan, end).expect("cut below the line");
            assert!(
                tight.height() < cut.height() && tight.height() as usize >= end,
                "{name}: cut to {} below rows {rows:?}",
                tight.height()
            );
            let tight_units: Vec<Vec<u8>> = units
                .iter()
                .map(|u| tight.unit(u).expect("the unit is cut"))
                .collect();
            for (top, full) in cut_whole(&plan, &tight_units).iter().zip(&full) {
                let at = |p: &decode::Picture, h| osd::line_at_rows(&luma(p), h, rows, Ink::Edged);
                let line = at(top, height);
                assert!(line.is_some(), "{name}: the line read at its rows");
                assert_eq!(line, at(full, full.height), "{name}");
            }
            let cut_units: Vec<Vec<u8>> = units
                .iter()
                .map(|u| cut.unit(u).expect("the unit is cut"))
                .collect();
            let tops = cut_whole(&plan, &cut_units);
            for (top, full) in tops.iter().zip(&full) {
                assert_eq!((top.width, top.height), (full.width, cut.height() as usize));
                let w = full.width;
                // Every row searched, pixel for pixel.
                assert!(top.y[..r1 * w] == full.y[..r1 * w], "{name}: rows differ");
                let near = around(top, height, rows, Ink::Edged);
                assert_eq!(near, around(full, full.height, rows, Ink::Edged), "{name}");
                // The clock line searched around its rows is the line the whole picture shows.
                assert_eq!(
                    osd::on_rows(&near, rows),
                    osd::on_rows(&lines_of(full, Ink::Edged), rows),
                    "{name}"
                );
            }
            // Every row a cut promises is the whole picture's, pixel for pixel, whichever row
            // within a coding block row the rows asked for end at (the filters' reach across
            // the cut's bottom edge).
            for want in end..end + 64 {
                let c = cut_to(&plan, want).expect("a cut of the picture's top");
                let cut_units: Vec<Vec<u8>> = units
                    .iter()
                    .map(|u| c.unit(u).expect("the unit is cut"))
                    .collect();
                for (top, full) in cut_whole(&plan, &cut_units).iter().zip(&full) {
                    let n = want * full.width;
                    assert!(top.y[..n] == full.y[..n], "{name}: {want} rows differ");
                }
            }
            let (lines, decoded, err) = keyframe_lines(&plan, &units, Some(rows), Ink::Edged);
            assert_eq!((decoded, err), (2, None));
            assert!(lines.iter().all(|l| l.len() == 1 && l[0].y1 < 100));
            assert_eq!(
                lines,
                full.iter()
                    .map(|f| around(f, f.height, rows, Ink::Edged))
                    .collect::<Vec<_>>()
            );
            // Without a known line, the whole picture.
            let (lines, decoded, err) = keyframe_lines(&plan, &units, None, Ink::Edged);
            assert_eq!((decoded, err), (2, None));
            assert_eq!(
                lines,
                full.iter()
                    .map(|f| lines_of(f, Ink::Edged))
                    .collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_line_not_found_at_its_rows_alone_is_searched_for_in_its_band() {
        let (plan, units) = fixture("day.mp4");
        let full = whole(&plan, &units);
        let (y0, y1) = clock_of(&full[0]);
        // The display a few rows lower than its font says (a firmware that moved it a
        // little): what stands around those rows is not taken for the line; the band search
        // finds the whole line reaching into them.
        let rows = (y0 + 4, y1 + 4);
        for f in &full {
            assert_eq!(
                osd::line_at_rows(&luma(f), f.height, rows, Ink::Edged),
                None
            );
        }
        let (lines, decoded, err) = keyframe_lines(&plan, &units, Some(rows), Ink::Edged);
        assert_eq!((decoded, err), (2, None));
        for (l, f) in lines.iter().zip(&full) {
            let line = osd::on_rows(l, rows).expect("the line, from the band");
            assert_eq!((line.y0, line.y1), (y0, y1));
            assert_eq!(l, &osd::lines_at(&luma(f), f.height, rows, Ink::Edged));
        }
    }

    #[test]
    fn a_display_at_the_bottom_is_read_from_the_whole_picture() {
        let (plan, units) = fixture("bottom.mp4");
        let full = whole(&plan, &units);
        let rows = clock_of(&full[0]);
        assert!(rows.0 > 600, "{rows:?}");
        assert_eq!(cut_of(&plan, rows), None, "nothing to cut below the middle");
        for known in [None, Some(rows)] {
            let (lines, decoded, err) = keyframe_lines(&plan, &units, known, Ink::Edged);
            assert_eq!((decoded, err), (2, None));
            assert!(lines.iter().all(|l| l.len() == 1 && l[0].y0 > 600));
            assert_eq!(
                lines,
                full.iter()
                    .map(|f| lines_of(f, Ink::Edged))
                    .collect::<Vec<_>>()
            );
        }
    }
}
