//! Continuity between a device's segments — 第十二条(五): once recording starts at a site,
//! no intermittent recording and no selective cutting.
//!
//! What it checks: for consecutive segments of a session, `gap` (the next starts later than the
//! previous ended, beyond `gap_tolerance_s`, and no segment number is missing),
//! `missing_segment` (a segment number is skipped, also across a session boundary when the
//! numbering did not restart) and `overlap` (the next starts before the previous ended, beyond
//! `overlap_tolerance_s`). Example: `..._0002.MP4` ends 09:30:27, `..._0003.MP4` starts
//! 09:30:40: a 13 s gap. Start times are the file-name times (or container times), ends are
//! start plus duration; a segment of unknown duration is not compared. A gap through which the
//! picture's burned-in clock runs on from one segment into the next (read at both ends of
//! both, see `display::picture_gap`) is the container's timeline running short of the
//! recorder's clock (pictures dropped under load, the rest stamped at the nominal rate), and
//! is reported as information (OSD-GAP), not as a gap.

use serde_json::json;

use std::collections::{BTreeSet, HashMap};

use super::{Ctx, Findings, Target, local};
use crate::catalog::FileFacts;
use crate::sessions::end_us;

/// The segment numbers of a device's files that are no segment of a session (photos and
/// sub-streams, which many recorders number in the same sequence as their videos), with
/// their times. Few in any tree: the index does not grow with the segments.
fn numbered_others<'a>(ctx: &Ctx<'a>) -> HashMap<&'a str, Vec<(i32, i64)>> {
    let mut out: HashMap<&str, Vec<(i32, i64)>> = HashMap::new();
    let photos = ctx.facts.iter().filter(|f| !f.is_recording());
    let companions = ctx.sessions.companions.iter().map(|&i| &ctx.facts[i]);
    for f in photos.chain(companions) {
        if let (Some(d), Some(n), Some(t)) = (f.device_id.as_deref(), f.segment_seq, f.start_us()) {
            out.entry(d).or_default().push((n, t));
        }
    }
    out
}

/// The segment numbers skipped between two consecutive segments of a device, less those a
/// file of the device taken between their starts carries (a photo numbered in the sequence).
struct Skipped {
    /// How many numbers no file carries.
    count: i64,
    /// The numbers skipped: `from..=to`.
    from: i32,
    to: i32,
}

impl Skipped {
    /// Between segment `a` (number `x`) and segment `b` (number `y`); `None` when every
    /// number between is carried by some file.
    fn between(
        others: Option<&Vec<(i32, i64)>>,
        a: &FileFacts,
        b: &FileFacts,
        x: i32,
        y: i32,
    ) -> Option<Skipped> {
        if y <= x.saturating_add(1) {
            return None;
        }
        let (from, to) = (
            a.start_us().unwrap_or(i64::MIN),
            b.start_us().unwrap_or(i64::MAX),
        );
        let held: BTreeSet<i32> = others
            .into_iter()
            .flatten()
            .filter(|&&(n, t)| x < n && n < y && from <= t && t <= to)
            .map(|&(n, _)| n)
            .collect();
        let count = i64::from(y) - i64::from(x) - 1 - held.len() as i64;
        (count > 0).then_some(Skipped {
            count,
            from: x + 1,
            to: y - 1,
        })
    }

    /// As a message names them: `segment 3`, `segments 3..5`, or how many of a range.
    fn named(&self) -> String {
        let whole = i64::from(self.to) - i64::from(self.from) + 1;
        match (self.count, self.count == whole) {
            (1, true) => format!("segment {}", self.from),
            (_, true) => format!("segments {}..{}", self.from, self.to),
            (n, false) => format!(
                "{n} of segments {}..{} (the others are photos)",
                self.from, self.to
            ),
        }
    }
}

/// How far from no gap the pictures' clocks may be for a gap the names leave to be the
/// timeline running short of the clock (OSD-GAP): the display shows whole seconds at both
/// ends (a second either way), and the drift after the last keyframe read is not counted
/// (half a second more). The gap the pictures show must also stay that far under the names':
/// footage truly missing shows the same gap in the picture as in the names.
const PICTURE_GAP_S: f64 = 1.5;

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let s = ctx.settings;
    let others = numbered_others(ctx);
    let mut prev_session_last: Option<(usize, &str)> = None; // (file index, device)
    for sess in &ctx.sessions.list {
        // Across sessions of one device: numbering that jumps without restarting.
        if let (Some((a, dev)), Some(&b)) = (prev_session_last, sess.members.first())
            && dev == sess.device
        {
            let (fa, fb) = (&ctx.facts[a], &ctx.facts[b]);
            if let (Some(sa), Some(sb)) = (fa.segment_seq, fb.segment_seq)
                && let Some(missing) = Skipped::between(others.get(dev), fa, fb, sa, sb)
            {
                out.add(
                    "CONT-MISSING",
                    Target { file: Some(fb), session: Some(&sess.id), ..Default::default() },
                    end_us(fa),
                    None,
                    None,
                    format!(
                        "{} missing between {} and {} (a pause of more than {:.0} min separates them)",
                        missing.named(),
                        fa.file_name(),
                        fb.file_name(),
                        s.session_pause_s / 60.0
                    ),
                    json!({"previous": fa.path, "previous_seq": sa, "seq": sb, "missing_segments": missing.count}),
                );
            }
        }
        let mut last_end: Option<i64> = None;
        for w in sess.members.windows(2) {
            let (fa, fb) = (&ctx.facts[w[0]], &ctx.facts[w[1]]);
            let a_end = end_us(fa).unwrap_or(0);
            // Against the furthest end so far (an earlier long segment may still be running).
            let reach = last_end.map_or(a_end, |l| l.max(a_end));
            last_end = Some(reach);
            let Some(b_start) = fb.start_us() else {
                continue;
            };
            if fa.duration_s.is_none() {
                continue;
            }
            let delta_s = (b_start - reach) as f64 / 1e6;
            let skipped = match (fa.segment_seq, fb.segment_seq) {
                (Some(x), Some(y)) => {
                    Skipped::between(others.get(sess.device.as_str()), fa, fb, x, y)
                        .map(|k| (x, y, k))
                }
                _ => None,
            };
            let t = Target {
                file: Some(fb),
                session: Some(&sess.id),
                ..Default::default()
            };
            // Made only for a finding: a tree's every pair of segments is looked at.
            let base = || json!({"previous": fa.path, "previous_end": local(ctx, reach), "start": local(ctx, b_start), "delta_s": delta_s});
            if let Some((x, y, numbers)) = skipped {
                let missing = delta_s.max(0.0);
                out.add(
                    "CONT-MISSING",
                    t,
                    Some(reach),
                    None,
                    Some(missing),
                    format!(
                        "{} missing between {} and {}: {missing:.1} s of recording absent",
                        numbers.named(),
                        fa.file_name(),
                        fb.file_name()
                    ),
                    json!({"previous": fa.path, "previous_seq": x, "seq": y, "missing_segments": numbers.count, "missing_s": missing}),
                );
            } else if delta_s > s.gap_tolerance_s {
                let (a_name, a_end) = (fa.file_name(), local(ctx, reach));
                let (b_name, b_begins) = (fb.file_name(), local(ctx, b_start));
                // The picture as the second witness: when its clock runs on from one segment
                // into the next (within PICTURE_GAP_S, and that far under the names' gap), the
                // names' gap is the container's timeline running short of the recorder's
                // clock, not footage missing.
                let shown = super::display::picture_gap(ctx, fa, fb, delta_s)
                    .filter(|g| g.abs() <= PICTURE_GAP_S.min(delta_s - PICTURE_GAP_S));
                let (id, message, details) = match shown {
                    Some(shown) => {
                        let mut details = base();
                        details["picture_gap_s"] = json!(shown);
                        (
                            "OSD-GAP",
                            format!(
                                "{delta_s:.1} s between {a_name} (ends {a_end}) and {b_name} (starts {b_begins}) by the names, but the picture's clock runs on from one into the next ({shown:+.0} s): the recording's timeline runs short of the recorder's clock; no footage missing"
                            ),
                            details,
                        )
                    }
                    None => (
                        "CONT-GAP",
                        format!(
                            "{delta_s:.1} s gap: {a_name} ends {a_end}, {b_name} starts {b_begins}"
                        ),
                        base(),
                    ),
                };
                out.add(id, t, Some(reach), None, Some(delta_s), message, details);
            } else if delta_s < -s.overlap_tolerance_s {
                out.add(
                    "CONT-OVERLAP",
                    t,
                    Some(b_start),
                    None,
                    Some(-delta_s),
                    format!(
                        "{:.1} s overlap: {} starts {} before {} ends {}",
                        -delta_s,
                        fb.file_name(),
                        local(ctx, b_start),
                        fa.file_name(),
                        local(ctx, reach)
                    ),
                    base(),
                );
            }
        }
        prev_session_last = sess.members.last().map(|&l| (l, sess.device.as_str()));
    }
}
