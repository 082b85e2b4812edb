//! Recording times — 第十二条(三) (records must show the true time) and 第十二条(五)
//! (no back-dated or after-the-fact recording).
//!
//! What it checks: `clock_reset`, a container or file-name time before
//! `earliest_plausible_year` (device defaults such as 1970, 2000 or 2004) or more than
//! `future_tolerance_s` after the scan; `time_mismatch`, container time and file-name time
//! further apart than `time_mismatch_tolerance_s` once the recorder conventions are allowed
//! for (creation time written in UTC or in the configured zone's local time, at the start or
//! at the end of the recording, or the start of the recording a segment was cut from);
//! `missing_timestamp`, an ISO BMFF or JPEG file whose container has no recording time
//! (MPEG-TS, WAV without `bext` and AVI carry none by design and are not reported), nor is a
//! file of a device whose other files of its container, two at least, carry none either: a
//! recorder that never writes the time there (its muxer leaves the field at 0) is a model's
//! habit, not a stripped file. Example: a file named 20260312100000 whose
//! `mvhd` says 05:00 UTC (13:00 local): three hours apart.

use std::collections::HashMap;

use serde_json::json;

use super::{Ctx, Findings, Target, local};

/// The container families with a recording-time field.
fn has_time_field(container: Option<&str>) -> bool {
    matches!(
        container,
        Some("mp4") | Some("mov") | Some("3gp") | Some("m4a") | Some("heif") | Some("jpeg")
    )
}

/// Per device and container: how many of its readable files carry a container time, and how
/// many do not.
fn time_habits<'a>(ctx: &Ctx<'a>) -> HashMap<(&'a str, &'a str), (usize, usize)> {
    let mut out: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    for f in ctx.facts {
        if f.status.as_ref() != "ok" || !has_time_field(f.container.as_deref()) {
            continue;
        }
        if let (Some(d), Some(c)) = (f.device_id.as_deref(), f.container.as_deref()) {
            let e = out.entry((d, c)).or_default();
            if f.creation_time_us.is_some() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    out
}

/// When file `f` reached the server, where its name (or container) says it began more than
/// `time_mismatch_tolerance_s` after that: a recording is uploaded after it is made, so the
/// recorder's clock was ahead (as at a default date after a flat battery that lies ahead of
/// the true one). Not for a time that is implausible already (CLK-RESET's).
pub fn ahead_of_upload(ctx: &Ctx, f: &crate::catalog::FileFacts) -> Option<i64> {
    let named = f.start_us()?;
    let uploaded = ctx.obligation(f)?.upload_us?;
    (ctx.settings.named_after_upload(named, uploaded) && !ctx.implausible(named))
        .then_some(uploaded)
}

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let s = ctx.settings;
    let habits = time_habits(ctx);
    // Whether a file without a container time is one of a device that writes none: its other
    // files of the container, two at least, carry none either.
    let never_written = |f: &crate::catalog::FileFacts| {
        let key = f.device_id.as_deref().zip(f.container.as_deref());
        key.and_then(|k| habits.get(&k))
            .is_some_and(|&(with, without)| with == 0 && without >= 3)
    };
    // Whether a file without a container time is a later version of a recording another file
    // of the device's, under the same name, carries the time of (a station's second upload
    // re-muxed without it: INT-VERSION says there are two). Built at the first such file.
    let timed = std::cell::OnceCell::new();
    let timed_by_version = |f: &crate::catalog::FileFacts| {
        let Some(d) = f.device_id.as_deref() else {
            return false;
        };
        timed
            .get_or_init(|| {
                ctx.facts
                    .iter()
                    .filter(|g| g.status.as_ref() == "ok" && g.creation_time_us.is_some())
                    .filter_map(|g| Some((g.device_id.as_deref()?, g.file_name())))
                    .collect::<std::collections::HashSet<_>>()
            })
            .contains(&(d, f.file_name()))
    };
    for f in ctx.facts {
        if f.status.as_ref() != "ok" || !f.is_footage() {
            continue;
        }
        let implausible = |t: Option<i64>| t.filter(|&t| ctx.implausible(t));
        let bad_ct = implausible(f.creation_time_us);
        let bad_nt = implausible(f.name_time_us);
        if bad_ct.is_some() || bad_nt.is_some() {
            let which: Vec<String> = [("container time", bad_ct), ("file-name time", bad_nt)]
                .iter()
                .filter_map(|(n, t)| t.map(|t| format!("{n} {}", local(ctx, t))))
                .collect();
            out.add(
                "CLK-RESET",
                Target {
                    file: Some(f),
                    ..Default::default()
                },
                bad_ct.or(bad_nt),
                None,
                None,
                format!(
                    "{}: implausible {} (device clock reset or wrong)",
                    f.file_name(),
                    which.join(" and ")
                ),
                json!({"creation_time_us": f.creation_time_us, "name_time_us": f.name_time_us}),
            );
            continue;
        }
        if let (Some(uploaded), Some(named)) = (ahead_of_upload(ctx, f), f.start_us()) {
            let ahead_s = (named - uploaded) as f64 / 1e6;
            out.add(
                "CLK-AHEAD",
                Target {
                    file: Some(f),
                    ..Default::default()
                },
                Some(named),
                None,
                Some(ahead_s),
                format!(
                    "{}: named {}, {:.1} days after it reached the server ({}): the recorder's clock was ahead (as at a default date after a flat battery); its recording time is not true",
                    f.file_name(),
                    local(ctx, named),
                    ahead_s / 86_400.0,
                    local(ctx, uploaded)
                ),
                json!({"name_time_us": f.name_time_us, "creation_time_us": f.creation_time_us, "upload_us": uploaded, "ahead_s": ahead_s}),
            );
        }
        if let (Some(at), Some(named)) = (ctx.counter_start(f.row), f.start_us()) {
            let back_s = (at - named) as f64 / 1e6;
            out.add(
                "CLK-SETBACK",
                Target {
                    file: Some(f),
                    ..Default::default()
                },
                Some(named),
                None,
                Some(back_s),
                format!(
                    "{}: numbered after recordings that ended at {} by the recorder's own counter, it is named {}, {:.1} days earlier: the recorder's clock was set back (as to a default date when its battery ran flat); its recording time is not true",
                    f.file_name(),
                    local(ctx, at),
                    local(ctx, named),
                    back_s / 86_400.0
                ),
                json!({"name_time_us": f.name_time_us, "creation_time_us": f.creation_time_us, "counter_start_us": at, "set_back_s": back_s}),
            );
        }
        if let (Some(ct), Some(nt)) = (f.creation_time_us, f.name_time_us) {
            let diff = (ct - nt) as f64 / 1e6;
            let dur = f.duration_s.unwrap_or(0.0);
            let zone = ctx.zone_offset_s(nt) as f64;
            let tol = s.time_mismatch_tolerance_s;
            // A muxer that gives every segment of a recording the recording's start as its
            // time (ffmpeg's segment muxer copies it): the name of the recording's first
            // segment, as written (until 2026-12-06, afternoon, CLK-MISMATCH on every segment
            // more than `time_mismatch_tolerance_s` into a recording).
            let first = ctx
                .recording_start(f.row)
                .and_then(|r| ctx.facts.get(r)?.name_time_us)
                .map_or(0.0, |t| (t - nt) as f64 / 1e6);
            let explained = [0.0, dur, zone, zone + dur, first, first + zone]
                .iter()
                .any(|c| (diff - c).abs() <= tol);
            if !explained {
                out.add(
                    "CLK-MISMATCH",
                    Target { file: Some(f), ..Default::default() },
                    Some(nt),
                    None,
                    Some(diff),
                    format!(
                        "{}: container time {} and file-name time {} differ by {diff:.0} s",
                        f.file_name(),
                        local(ctx, ct),
                        local(ctx, nt)
                    ),
                    json!({"creation_time_us": ct, "name_time_us": nt, "difference_s": diff, "zone_offset_s": zone, "duration_s": dur}),
                );
            }
        }
        // A companion (a sub-stream, a platform's preview) whose main stream carries a time
        // is timed by it: its own container says nothing of the recording.
        let timed_by_main = ctx
            .sessions
            .main_of(f.row)
            .is_some_and(|m| ctx.facts[m].creation_time_us.is_some());
        if has_time_field(f.container.as_deref())
            && f.creation_time_us.is_none()
            && !never_written(f)
            && !timed_by_main
            && !timed_by_version(f)
        {
            out.add(
                "CLK-MISSING",
                Target {
                    file: Some(f),
                    ..Default::default()
                },
                f.name_time_us,
                None,
                None,
                format!("{}: no recording time in the container", f.file_name()),
                json!({"container": f.container}),
            );
        }
    }
}

/// The clock rules, and the upload deadline (`deadlines`) where it rests on the recorder's
/// clock and counter and on when its files reached the server, on one device's recordings.
#[cfg(test)]
mod tests {
    use crate::catalog::{FileFacts, TextFacts};

    /// 2026-03-09 09:00:00 UTC, and a day.
    const MARCH_9: i64 = 1_773_046_800_000_000;
    const DAY: i64 = 86_400_000_000;
    /// 2025-01-01 00:00:00 UTC: a plausible date a recorder's clock may come back at.
    const NEW_YEAR_2025: i64 = 1_735_689_600_000_000;

    /// Device A's 20-second recordings: (number, name time, upload time), its files named
    /// `A_<number>.MP4`. The findings of the clock, continuity and upload rules, as `rule
    /// file`, sorted (scanned 2026-03-20).
    fn findings(files: &[(i32, i64, i64)]) -> Vec<String> {
        findings_in(&facts_of(files))
    }

    /// [`findings`]' files.
    fn facts_of(files: &[(i32, i64, i64)]) -> Vec<FileFacts> {
        files
            .iter()
            .enumerate()
            .map(|(row, &(n, named, uploaded))| FileFacts {
                row,
                path: format!("A_{n:04}.MP4").into(),
                segment_seq: Some(n),
                name_time_us: Some(named),
                creation_time_us: Some(named),
                duration_s: Some(20.0),
                birth_time_us: Some(uploaded),
                text: TextFacts {
                    status: "ok".into(),
                    container: Some("mp4".into()),
                    device_id: Some("A".into()),
                    media_kind: Some("video".into()),
                    ..Default::default()
                }
                .into(),
                ..Default::default()
            })
            .collect()
    }

    /// [`findings`] of `facts`.
    fn findings_in(facts: &[FileFacts]) -> Vec<String> {
        let a = crate::analyse::analyse(
            facts,
            &crate::rules::RuleSettings::default(),
            chrono_tz::UTC,
            "r",
            MARCH_9 + 11 * DAY,
        );
        let mut found: Vec<String> = a
            .findings
            .iter()
            .filter(|f| {
                ["CLK-", "CONT-", "DL-UPLOAD"]
                    .iter()
                    .any(|p| f.rule_id.starts_with(p))
            })
            .map(|f| format!("{} {}", f.rule_id, f.path.as_deref().unwrap_or("")))
            .collect();
        found.sort();
        found
    }

    /// Three contiguous recordings each morning from 2026-03-09 09:00 for `days` days,
    /// numbered on from `first` (or from 1 each morning when `daily`), each day's docked that
    /// evening at 18:00 (or `dock(day)`'s evening).
    fn mornings(days: i64, daily: bool, dock: impl Fn(i64) -> i64) -> Vec<(i32, i64, i64)> {
        let mut out = Vec::new();
        for day in 0..days {
            for k in 0..3i32 {
                let n = if daily {
                    k + 1
                } else {
                    (day * 3) as i32 + k + 1
                };
                let named = MARCH_9 + day * DAY + i64::from(k) * 20_000_000;
                out.push((n, named, MARCH_9 + dock(day) * DAY + 9 * 3_600_000_000));
            }
        }
        out
    }

    /// [`mornings`] of four days docked each evening, the battery run flat at noon on the
    /// third: three recordings from its clock come back at `at` (numbered 10-12 after the
    /// morning's 7-9, docked that evening with them), the clock set right by the next morning
    /// (13-15).
    fn come_back_at(at: i64) -> Vec<(i32, i64, i64)> {
        let mut files = mornings(4, false, |d| d);
        for f in files.iter_mut().filter(|f| f.0 >= 10) {
            f.0 += 3;
        }
        for k in 0..3i64 {
            let evening = MARCH_9 + 2 * DAY + 9 * 3_600_000_000;
            files.push((10 + k as i32, at + k * 20_000_000, evening));
        }
        files
    }

    /// The paths of `facts`' findings of `rule`, sorted, scanned at `now`.
    fn paths_of(facts: &[FileFacts], rule: &str, now: i64) -> Vec<String> {
        let mut v: Vec<String> = crate::analyse::analyse(
            facts,
            &crate::rules::RuleSettings::default(),
            chrono_tz::UTC,
            "r",
            now,
        )
        .findings
        .into_iter()
        .filter(|f| f.rule_id == rule)
        .filter_map(|f| f.path)
        .collect();
        v.sort();
        v
    }

    /// Asserts that no finding of `found` is of a rule whose id starts with `rule`.
    fn none_of(found: &[String], rule: &str) {
        assert!(!found.iter().any(|f| f.starts_with(rule)), "{found:?}");
    }

    #[test]
    fn a_clock_come_back_at_a_plausible_date_is_set_back_by_the_counter_not_a_late_upload() {
        // The clock came back at 2025-01-01 00:00 (named from 00:05).
        let mut files = come_back_at(NEW_YEAR_2025 + 300_000_000);
        // The clock's set-back, and no upload 434 days late, no numbers missing on the 4th.
        assert_eq!(
            findings(&files),
            [
                "CLK-SETBACK A_0010.MP4",
                "CLK-SETBACK A_0011.MP4",
                "CLK-SETBACK A_0012.MP4"
            ]
        );
        // Docked on the fourth evening instead: the 11th's morning recordings are late; the
        // set-back ones were made between that morning and the 12th's 09:00 (when 13 began),
        // 9 h before the dock at the latest: not shown late.
        for f in files.iter_mut().filter(|f| (7..=12).contains(&f.0)) {
            f.2 += DAY;
        }
        let late: Vec<String> = findings(&files)
            .into_iter()
            .filter(|f| f.starts_with("DL-UPLOAD"))
            .collect();
        assert_eq!(
            late,
            [
                "DL-UPLOAD A_0007.MP4",
                "DL-UPLOAD A_0008.MP4",
                "DL-UPLOAD A_0009.MP4"
            ]
        );
        // Docked two days later still: late even at the span's end (the 12th's 09:00).
        for f in files.iter_mut().filter(|f| (10..=12).contains(&f.0)) {
            f.2 += 2 * DAY;
        }
        let late = findings(&files);
        assert!(
            late.contains(&"DL-UPLOAD A_0010.MP4".to_string()),
            "{late:?}"
        );
    }

    #[test]
    fn numbers_in_the_clocks_order_or_given_twice_say_nothing_of_a_set_back() {
        // The clock right, the first two days docked only on the third evening: late, as
        // the names say (numbered in order: no set-back).
        let files = mornings(3, false, |d| d.max(2));
        let found = findings(&files);
        assert_eq!(
            found.iter().filter(|f| f.starts_with("DL-UPLOAD")).count(),
            6,
            "{found:?}"
        );
        none_of(&found, "CLK-");
        // Numbering from 1 each morning, docked every other evening: a number given on two
        // days orders nothing; the first mornings' uploads stay late.
        let files = mornings(4, true, |d| d / 2 * 2 + 1);
        let found = findings(&files);
        none_of(&found, "CLK-");
        // Docked once, on the last evening, so that no upload bounds a chain: the last
        // morning's `1` is still not the first morning's `2`'s predecessor.
        none_of(&findings(&mornings(4, true, |_| 3)), "CLK-");
        assert_eq!(
            found.iter().filter(|f| f.starts_with("DL-UPLOAD")).count(),
            6,
            "{found:?}"
        );
    }

    #[test]
    fn two_recorders_at_one_device_number_do_not_set_each_others_clocks_back() {
        // Recorder X numbers 5-7 at 14:00 on the 9th, docked at 18:00; recorder Y, left at
        // the same device number, numbers 8-10 at 09:00 that morning, docked at 10:00: its
        // recordings cannot have begun after X's 14:01, before their own upload.
        let files: Vec<(i32, i64, i64)> = (0..3i32)
            .map(|k| {
                let at = MARCH_9 + 5 * 3_600_000_000 + i64::from(k) * 20_000_000;
                (5 + k, at, MARCH_9 + 9 * 3_600_000_000)
            })
            .chain((0..3i32).map(|k| {
                let at = MARCH_9 + i64::from(k) * 20_000_000;
                (8 + k, at, MARCH_9 + 3_600_000_000)
            }))
            .collect();
        let found = findings(&files);
        none_of(&found, "CLK-SETBACK");
    }

    #[test]
    fn a_clock_come_back_at_a_date_ahead_is_ahead_of_its_upload_and_its_numbers_are_no_gap() {
        // As the set-back, but the clock came back at a date ahead, 2026-03-17 (before the
        // scan, so not CLK-RESET's future): named after they were docked that evening.
        assert_eq!(
            findings(&come_back_at(MARCH_9 + 8 * DAY)),
            [
                "CLK-AHEAD A_0010.MP4",
                "CLK-AHEAD A_0011.MP4",
                "CLK-AHEAD A_0012.MP4"
            ]
        );
    }

    #[test]
    fn a_clock_corrected_back_inside_a_recording_leaves_no_number_missing() {
        // Network time moved the clock 90 s back after the first segment of the second
        // morning: the next two named before it, the counter after it.
        let mut files = mornings(2, false, |d| d);
        for f in files.iter_mut().filter(|f| f.0 >= 5) {
            f.1 -= 90_000_000;
        }
        assert_eq!(
            findings(&files),
            ["CLK-SETBACK A_0005.MP4", "CLK-SETBACK A_0006.MP4"]
        );
    }

    #[test]
    fn a_clock_reset_to_an_implausible_date_is_no_late_upload() {
        // The set-back's recorder, its clock come back at 2000-01-01: CLK-RESET, and the
        // counter's start for the deadline (on time), not a 26-year-late upload.
        let mut files = come_back_at(946_684_800_000_000);
        let reset = [
            "CLK-RESET A_0010.MP4",
            "CLK-RESET A_0011.MP4",
            "CLK-RESET A_0012.MP4",
        ];
        assert_eq!(findings(&files), reset);
        // Its counter restarted with the clock (numbers from 1 again, given twice): when
        // they were recorded is unknown, and no deadline is judged from 2000.
        for (k, f) in files.iter_mut().filter(|f| f.1 < MARCH_9).enumerate() {
            f.0 = k as i32 + 1;
        }
        let found = findings(&files);
        none_of(&found, "DL-UPLOAD");
    }

    #[test]
    fn a_copy_made_on_the_server_later_is_no_late_upload_of_footage_uploaded_on_time() {
        // Docked each evening; a week later a clerk copies recording 4 into a case folder
        // (its birth time the copy's): the bytes reached the server with the original.
        let mut files = mornings(2, false, |d| d);
        files.push((4, files[3].1, MARCH_9 + 8 * DAY));
        let mut facts = facts_of(&files);
        for f in facts.iter_mut().filter(|f| f.segment_seq == Some(4)) {
            f.blake3 = Some("b3-of-4".into());
        }
        facts[6].path = "case-031/A_0004.MP4".into();
        let found = findings_in(&facts);
        none_of(&found, "DL-UPLOAD");
        // Nor is the copy's classification judged again: the recording's is, on its first
        // copy (never described here: late).
        let classify: Vec<String> = paths_of(&facts, "DL-CLASSIFY", MARCH_9 + 11 * DAY)
            .into_iter()
            .filter(|p| p.ends_with("A_0004.MP4"))
            .collect();
        assert_eq!(classify, ["A_0004.MP4"]);
        // Copied from footage uploaded late itself: late as the original, from its upload.
        for f in facts.iter_mut().filter(|f| f.segment_seq == Some(4)) {
            f.birth_time_us = f.birth_time_us.map(|t| t.max(MARCH_9 + 3 * DAY));
        }
        let found = findings_in(&facts);
        assert_eq!(
            found
                .iter()
                .filter(|f| f.starts_with("DL-UPLOAD"))
                .collect::<Vec<_>>(),
            ["DL-UPLOAD A_0004.MP4", "DL-UPLOAD case-031/A_0004.MP4"]
        );
    }

    /// An hour in microseconds.
    const HOUR: i64 = 3_600_000_000;

    /// A day of two stages of enforcement: three recordings (20 s apart) at 09:00 and three at
    /// 16:00 on the 9th, numbered 1 to 6, docked `dock` hours after the 9th's 09:00.
    fn two_stages(dock: i64) -> Vec<(i32, i64, i64)> {
        (0..6i32)
            .map(|k| {
                let at = MARCH_9 + i64::from(k / 3) * 7 * HOUR + i64::from(k % 3) * 20_000_000;
                (k + 1, at, MARCH_9 + dock * HOUR)
            })
            .collect()
    }

    #[test]
    fn the_upload_deadline_runs_from_the_end_of_the_stage_of_enforcement() {
        // 第十六条: within 24 h of returning after the stage. Three recordings at 09:00 and
        // three at 16:00 on the 9th, docked at `dock` hours after the 9th's 09:00.
        let hour = HOUR;
        let day = two_stages;
        let late_ones = |files: &[(i32, i64, i64)]| -> Vec<String> {
            findings(files)
                .into_iter()
                .filter(|f| f.starts_with("DL-UPLOAD"))
                .collect()
        };
        let late = |files: &[(i32, i64, i64)]| late_ones(files).len();
        let mornings_late = [
            "DL-UPLOAD A_0001.MP4",
            "DL-UPLOAD A_0002.MP4",
            "DL-UPLOAD A_0003.MP4",
        ];
        // Docked the next day at 15:00: 30 h after the morning's recordings, 23 h after the
        // stage's last one: on time.
        assert_eq!(late(&day(30)), 0);
        // At 17:00: 25 h after the stage: all six late.
        assert_eq!(late(&day(32)), 6);
        // The afternoon's recordings two days later instead (no stage spans 55 h): the
        // morning's are late, the afternoon's not.
        let mut files = day(30 + 48);
        for f in files.iter_mut().filter(|f| f.0 > 3) {
            f.1 += 2 * DAY;
        }
        assert_eq!(late_ones(&files), mornings_late);
        // Back at the dock at noon between them (an 08:00 recording uploaded then): the
        // morning's stage ended before noon, and its recordings, docked the next day at 15:00,
        // are late.
        let mut files = day(30);
        files.push((0, MARCH_9 - hour, MARCH_9 + 3 * hour));
        assert_eq!(late_ones(&files), mornings_late);
    }

    #[test]
    fn a_second_upload_of_a_recording_with_other_bytes_is_a_version_not_a_late_upload() {
        // Docked each evening; a week later a station uploads recording 4 again, re-muxed
        // (other bytes), under its name in another folder.
        let mut files = mornings(2, false, |d| d);
        files.push((4, files[3].1, MARCH_9 + 8 * DAY));
        let mut facts = facts_of(&files);
        for (k, f) in facts.iter_mut().enumerate() {
            (f.blake3, f.size_bytes) = (Some(format!("b3-{k}").into()), 1000);
        }
        facts[6].path = "redock/A_0004.MP4".into();
        let found = findings_in(&facts);
        none_of(&found, "DL-UPLOAD");
        let of = |facts: &[FileFacts], rule: &str| paths_of(facts, rule, MARCH_9 + 11 * DAY);
        assert_eq!(
            of(&facts, "INT-VERSION"),
            ["A_0004.MP4", "redock/A_0004.MP4"]
        );
        // Its classification is judged once, on the first upload.
        assert_eq!(
            of(&facts, "DL-CLASSIFY")
                .iter()
                .filter(|p| p.ends_with("A_0004.MP4"))
                .count(),
            1
        );
        // A recorder's two lenses, files of their own names at one time: no version.
        let mut lenses = facts_of(&files[..6]);
        for (k, f) in lenses.iter_mut().enumerate() {
            (f.blake3, f.size_bytes) = (Some(format!("b3-{k}").into()), 1000);
        }
        let mut back = lenses[3].clone();
        (back.row, back.path, back.blake3) = (6, "A_0004_B.MP4".into(), Some("back".into()));
        lenses.push(back);
        // Nor a platform's preview under the segment's own name in a folder of its own.
        let mut preview = lenses[4].clone();
        (preview.row, preview.path) = (7, "preview/A_0005.MP4".into());
        (preview.blake3, preview.width, preview.height) =
            (Some("small".into()), Some(320), Some(180));
        for f in lenses.iter_mut() {
            (f.width, f.height) = (f.width.or(Some(1280)), f.height.or(Some(720)));
        }
        lenses.push(preview);
        assert!(of(&lenses, "INT-VERSION").is_empty());
    }

    #[test]
    fn a_platforms_preview_made_later_is_no_late_upload_nor_a_dock() {
        // 第十六条: three recordings at 09:00 and three at 16:00 on the 9th, docked the next
        // day at 15:00 (23 h after the stage: on time). A platform makes a small preview of
        // each, beside it, at noon on the 9th... of the day before's recordings, and of these
        // three weeks later.
        let hour = HOUR;
        let files = two_stages(30);
        let mut facts = facts_of(&files);
        let day_before = facts_of(&[(0, MARCH_9 - DAY, MARCH_9 - DAY + 9 * hour)]);
        // Its container carries no time (the transcoder wrote none); made twice, the same
        // bytes in `preview/` too.
        let preview = |of: &FileFacts, made: i64, row: usize| FileFacts {
            row,
            path: of.path.replace(".MP4", "_preview.mp4").into(),
            width: Some(320),
            height: Some(180),
            birth_time_us: Some(made),
            creation_time_us: None,
            blake3: Some(format!("preview of {}", of.path).into()),
            ..of.clone()
        };
        for f in facts.iter_mut() {
            (f.width, f.height) = (Some(1280), Some(720));
        }
        let mut all = facts.clone();
        let mut before = day_before[0].clone();
        (before.row, before.width, before.height) = (all.len(), Some(1280), Some(720));
        all.push(before.clone());
        all.push(preview(&before, MARCH_9 + 3 * hour, all.len()));
        for f in &facts {
            all.push(preview(f, MARCH_9 + 21 * DAY, all.len()));
            let mut again = preview(f, MARCH_9 + 21 * DAY + 5_000_000, all.len());
            again.path = format!("preview/{}", f.path.replace(".MP4", ".mp4")).into();
            all.push(again);
        }
        let found = findings_in(&all);
        none_of(&found, "DL-UPLOAD");
        none_of(&found, "CLK-MISSING");
        // Nor is a preview's classification judged: its recording's is.
        let classify = paths_of(&all, "DL-CLASSIFY", MARCH_9 + 30 * DAY)
            .iter()
            .filter(|p| p.ends_with("_preview.mp4"))
            .count();
        assert_eq!(classify, 0);
    }

    #[test]
    fn a_live_streams_pieces_are_no_upload_nor_a_dock() {
        // The card's three recordings at 09:00 and three at 16:00 on the 9th, docked the next
        // day at 15:00 (23 h after the stage: on time). The live stream's pieces of them,
        // written by the media server as they arrived (at 09:00, and at noon a piece of a
        // live view), and one moved into the tree by the platform a week later.
        let hour = HOUR;
        let mut all = facts_of(&two_stages(30));
        for (at, born) in [
            (MARCH_9, MARCH_9 + 60_000_000),
            (MARCH_9 + 3 * hour, MARCH_9 + 3 * hour + 60_000_000),
            (MARCH_9 + 7 * hour, MARCH_9 + 7 * DAY),
        ] {
            let mut live = all[0].clone();
            live.row = all.len();
            live.path = format!("live/A_{at}.flv").into();
            (live.segment_seq, live.name_time_us, live.creation_time_us) = (None, Some(at), None);
            live.birth_time_us = Some(born);
            live.text = TextFacts {
                container: Some("flv".into()),
                ..(*live.text).clone()
            }
            .into();
            all.push(live);
        }
        // Before 2026-12-08: the noon piece's arrival ended the morning's stage (its
        // recordings late), and the piece moved in a week later was late itself.
        none_of(&findings_in(&all), "DL-UPLOAD");
        // Nor is a piece's classification judged (as a preview's is not): its recording's is.
        let classify = paths_of(&all, "DL-CLASSIFY", MARCH_9 + 30 * DAY);
        assert_eq!(classify.len(), 6, "{classify:?}");
        assert!(classify.iter().all(|p| !p.ends_with(".flv")));
    }

    #[test]
    fn a_second_version_remuxed_without_its_time_is_timed_by_the_first() {
        // A station's second upload of three segments into `20260310-补传/`, re-muxed without
        // the movie header's time (other bytes, the same names); and a file of the device's
        // own without a time beside them, which stays CLK-MISSING.
        let files: Vec<(i32, i64, i64)> = (1..=4i32)
            .map(|n| (n, MARCH_9 + i64::from(n) * 20_000_000, MARCH_9 + DAY))
            .collect();
        let mut all = facts_of(&files);
        all[3].creation_time_us = None;
        for k in 0..3 {
            let mut again = all[k].clone();
            again.row = all.len();
            again.path = format!("20260310-补传/{}", all[k].path).into();
            again.creation_time_us = None;
            again.blake3 = Some(format!("remuxed {k}").into());
            all.push(again);
        }
        let missing = paths_of(&all, "CLK-MISSING", MARCH_9 + 11 * DAY);
        assert_eq!(missing, ["A_0004.MP4"]);
    }

    #[test]
    fn a_clock_ahead_and_then_set_right_is_not_set_back_by_a_recording_named_after_its_upload() {
        // Recording 4's clock a week ahead (named after its own upload that evening); the
        // clock set right for 5 and 6: the counter cannot carry 4's end into them.
        let mut files = mornings(2, false, |d| d);
        files[3].1 += 7 * DAY;
        let found = findings(&files);
        none_of(&found, "CLK-SETBACK");
    }
}
