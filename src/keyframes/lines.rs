//! From keyframes to display lines: decoding cut to the top band where that suffices.

use super::{budget, decode};
use crate::media::h264_cut;
use crate::media::keyplan::{Codec, Plan};
use crate::osd::{self, Line, Luma};

/// Decodes keyframes, each an access unit with its parameter sets first, and finds their
/// display lines. A frame-coded H.264 picture is decoded cut to its top band first
/// ([`h264_cut`]): where the top band holds the line that gives the same line as the whole
/// picture, at a fraction of the decoding. Pictures whose top band does not decide it (a
/// display at the bottom, none at all) are decoded whole. Returns each unit's line, how many
/// of them gave a picture, and the whole decode's error.
pub(super) fn keyframe_lines(
    plan: &Plan,
    units: &[Vec<u8>],
) -> (Vec<Option<Line>>, u32, Option<decode::DecodeError>) {
    let mut lines: Vec<Option<Line>> = vec![None; units.len()];
    let mut pictures = vec![false; units.len()];
    if let Some((cut, height)) = cut_of(plan) {
        let cut_units = units
            .iter()
            .map(|u| (h264_cut::access_unit(u, &cut), true))
            .collect();
        let (pics, _) = decode::decode_run(plan.codec, cut_units, budget(units.len()));
        for (i, p) in pics.iter().enumerate() {
            let top = p.as_ref().and_then(|p| {
                osd::find_top_line(
                    &Luma {
                        width: p.width,
                        height: p.height,
                        stride: p.width,
                        y: &p.y,
                    },
                    height,
                )
            });
            if let Some(l) = top {
                lines[i] = Some(l);
                pictures[i] = true;
            }
        }
    }
    let whole: Vec<usize> = (0..units.len()).filter(|&i| lines[i].is_none()).collect();
    let mut error = None;
    if !whole.is_empty() {
        let again = whole.iter().map(|&i| (units[i].clone(), true)).collect();
        let (pics, err) = decode::decode_run(plan.codec, again, budget(whole.len()));
        for (p, &i) in pics.iter().zip(&whole) {
            if let Some(p) = p {
                pictures[i] = true;
                lines[i] = line_of(p);
            }
        }
        error = err;
    }
    let decoded = pictures.iter().filter(|&&p| p).count() as u32;
    (lines, decoded, error)
}

/// The cut of a file's pictures to the rows the display is searched in first, and the whole
/// picture's height: H.264 with one SPS only.
fn cut_of(plan: &Plan) -> Option<(h264_cut::Cut, usize)> {
    if plan.codec != Codec::H264 {
        return None;
    }
    let (sps, _) = plan.h264.as_ref()?;
    let height = sps.height as usize;
    let mut sets = plan
        .params
        .iter()
        .filter(|p| p.first().map(|h| h & 0x1f) == Some(7));
    let (Some(nal), None) = (sets.next(), sets.next()) else {
        return None;
    };
    let cut = h264_cut::top_rows(nal, osd::top_band(height) as u32)?;
    Some((cut, height))
}

pub(super) fn line_of(p: &decode::Picture) -> Option<Line> {
    osd::find_line(&Luma {
        width: p.width,
        height: p.height,
        stride: p.width,
        y: &p.y,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyframes::{Input, find_moov, open, picture, plan_of};
    use std::path::PathBuf;

    fn fixture(name: &str) -> (Plan, Vec<Vec<u8>>) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/osd")
            .join(name);
        let input = Input {
            moov: find_moov(&path).expect("a moov box"),
            path,
            group: String::new(),
        };
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
        let jobs = units.iter().map(|u| (u.clone(), true)).collect();
        let (pics, err) = decode::decode_run(plan.codec, jobs, budget(units.len()));
        assert_eq!(err, None);
        pics.into_iter().map(|p| p.expect("a picture")).collect()
    }

    #[test]
    fn a_cut_keyframe_gives_the_whole_pictures_top_rows_and_line() {
        for name in [
            "day.mp4",
            "later.mp4",
            "night.mp4",
            "joined.mp4",
            "foreign.mp4",
        ] {
            let (plan, units) = fixture(name);
            let (cut, height) = cut_of(&plan).expect("an H.264 frame-coded file is cut");
            let band = osd::top_band(height);
            assert!(
                (cut.height as usize) < height / 2,
                "{name}: cut to {}",
                cut.height
            );
            let cut_units: Vec<Vec<u8>> = units
                .iter()
                .map(|u| h264_cut::access_unit(u, &cut))
                .collect();
            let tops = whole(&plan, &cut_units);
            let full = whole(&plan, &units);
            for (top, full) in tops.iter().zip(&full) {
                assert_eq!((top.width, top.height), (full.width, cut.height as usize));
                let w = full.width;
                // Every row the top band is searched in, pixel for pixel.
                assert!(
                    top.y[..band * w] == full.y[..band * w],
                    "{name}: rows differ"
                );
                assert_eq!(
                    osd::find_top_line(
                        &Luma {
                            width: w,
                            height: top.height,
                            stride: w,
                            y: &top.y
                        },
                        height
                    ),
                    line_of(full),
                    "{name}"
                );
            }
            let (lines, decoded, err) = keyframe_lines(&plan, &units);
            assert_eq!((decoded, err), (2, None));
            assert!(lines.iter().all(|l| l.as_ref().is_some_and(|l| l.y1 < 100)));
            assert_eq!(lines, full.iter().map(line_of).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_display_at_the_bottom_is_read_from_the_whole_picture() {
        let (plan, units) = fixture("bottom.mp4");
        let full = whole(&plan, &units);
        let (lines, decoded, err) = keyframe_lines(&plan, &units);
        assert_eq!((decoded, err), (2, None));
        assert!(lines.iter().all(|l| l.as_ref().is_some_and(|l| l.y0 > 600)));
        assert_eq!(lines, full.iter().map(line_of).collect::<Vec<_>>());
    }

    #[test]
    fn hevc_is_decoded_whole() {
        let (plan, _) = fixture("hevc.mp4");
        assert_eq!(cut_of(&plan), None);
    }
}
