//! The keyframe stage on real H.264 clips with a burned-in clock (tests/fixtures/make-osd.sh):
//! the digits are learned from the footage and the clock is read to the second; hostile and
//! truncated files give a note, never a crash or a hang.

use std::path::{Path, PathBuf};

use recaudit::keyframes::{self, Input, Output};

use crate::util::{evidence, findings_of};
use recaudit::osd::Ink;

fn clip(name: &str) -> PathBuf {
    crate::util::project().join("tests/fixtures/osd").join(name)
}

/// A file for the stage, its index found as the scan finds it: a transport stream's noted by
/// its read ([`ts_index`]), any other's from its headers.
fn input(path: PathBuf, group: &str) -> Input {
    let head = std::fs::read(&path).expect("read");
    let index = match recaudit::media::ts::detect(&head) {
        Some(_) => ts_index(&path),
        None => keyframes::find_index(&path)
            .expect("opens")
            .expect("an index"),
    };
    Input {
        path,
        index,
        group: group.into(),
        stretch: None,
        seams: Default::default(),
    }
}

/// A tree of device `device`'s files, each (name, fixture), scanned with `extra`: the
/// temporary folder and the warehouse.
fn tree_scanned(
    device: &str,
    files: &[(&str, &str)],
    extra: &[&str],
) -> (tempfile::TempDir, PathBuf) {
    let (t, root, wh) = tree_of(device, files);
    crate::util::scan(&[&root], &wh, extra);
    (t, wh)
}

/// Device `device`'s tree of fixtures copied under the names given (`(name, fixture)`), not
/// scanned: its folder (removed when the first value drops), the tree's root and the
/// warehouse's path.
fn tree_of(device: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (t, root, wh, d) = evidence(device);
    for (to, from) in files {
        std::fs::copy(clip(from), d.join(to)).expect("copy");
    }
    (t, root, wh)
}

/// Device `device`'s recordings by officer `officer`, named on 2026-03-12 at each of `times`
/// (hhmmss) and numbered from 1, made from fixtures `{stem}1.mp4` on, scanned.
fn numbered_scanned(
    device: &str,
    officer: &str,
    times: &[&str],
    stem: &str,
) -> (tempfile::TempDir, PathBuf) {
    let named: Vec<(String, String)> = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let n = i + 1;
            (
                format!("{device}_{officer}_20260312{t}_{n:04}.MP4"),
                format!("{stem}{n}.mp4"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = named
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    tree_scanned(device, &files, &[])
}

/// Device A's two honest segments to learn the display from (the recordings with the most
/// keyframes) and a joined recording made from `fixture`, named 10:02:00, scanned with
/// `extra`: the temporary folder, the warehouse and the joined file's name.
fn join_scanned(fixture: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf, &'static str) {
    let name = "DSJ-A0012_OF001234_20260312100200_0003.MP4";
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        (name, fixture),
    ];
    let (t, wh) = tree_scanned("DSJ-A0012", &files, extra);
    (t, wh, name)
}

/// Each `files` row's values of `columns` (`-` for a null), space-separated, in row order.
fn file_values(wh: &Path, columns: &[&str]) -> Vec<String> {
    use crate::util::{get, rows};
    rows(&wh.join("files"))
        .iter()
        .map(|f| {
            let values: Vec<&str> = columns.iter().map(|c| get(f, c).unwrap_or("-")).collect();
            values.join(" ")
        })
        .collect()
}

/// The values of `column` (`date_order`, `ink`) among a warehouse's learned fonts.
fn font_values(wh: &Path, column: &str) -> std::collections::BTreeSet<String> {
    use crate::util::{get, rows};
    rows(&wh.join("osd_fonts"))
        .iter()
        .filter_map(|f| get(f, column).map(str::to_string))
        .collect()
}

/// The rules that accuse on the display's word: none may fire on an honest display that is
/// read in a new way.
const DISPLAY_RULES: [&str; 5] = [
    "OSD-JUMP",
    "OSD-OFFSET",
    "OSD-SEAM",
    "OSD-RESET",
    "OSD-DEVICE",
];

/// The findings of the OSD rules: rule and file name each.
fn osd_findings(wh: &Path) -> Vec<String> {
    use crate::util::{get, rows};
    rows(&wh.join("findings"))
        .iter()
        .filter(|f| get(f, "rule_id").is_some_and(|r| r.starts_with("OSD-")))
        .filter_map(|f| {
            Some(format!(
                "{} {}",
                get(f, "rule_id")?,
                get(f, "path")?.rsplit('/').next()?
            ))
        })
        .collect()
}

/// The `keyframes` row of the file named `name` at keyframe `k`.
fn keyframe_row(wh: &Path, name: &str, k: usize) -> crate::util::Row {
    use crate::util::{get, rows};
    let k = k.to_string();
    rows(&wh.join("keyframes"))
        .into_iter()
        .find(|r| {
            get(r, "path").is_some_and(|p| p.ends_with(name)) && get(r, "gop_index") == Some(&k)
        })
        .unwrap_or_else(|| panic!("keyframe {k} of {name} read"))
}

/// The joined fixtures' jump (10:02:00-10:02:05, then 10:20:00 on; `join_scanned`) found: 1074 s
/// at the first keyframe after the last that shows the old clock, where the recordings meet
/// (6 s), and no other finding of the OSD rules.
fn joined_at_six(wh: &Path, name: &str) {
    use crate::util::{by_name, num, rows};
    let files = rows(&wh.join("files"));
    let file = by_name(&files, name);
    let (jump, at) = (num(file, "osd_jump_s"), num(file, "osd_jump_at_s"));
    assert!((jump - 1074.0).abs() <= 1.5, "jump {jump}");
    assert!((5.5..=6.5).contains(&at), "at {at}");
    // The weakest reading it rests on: at least the stage's 0.5, and the keyframes read on
    // both sides of it (the file's ends among them) take part.
    let weakest = num(file, "osd_jump_confidence");
    let ends = num(file, "osd_confidence");
    assert!((0.5..=ends).contains(&weakest), "{weakest} (ends {ends})");
    assert_eq!(osd_findings(wh), [format!("OSD-JUMP {name}")]);
}

/// The wall-clock second the clip's display shows at `t_s` (make-osd.sh's epochs, UTC).
fn shown(epoch: i64, t_s: f64) -> i64 {
    epoch + t_s.floor() as i64
}

fn assert_reads(out: &Output, epoch: i64, what: &str) {
    for seen in [out.first(), out.last()] {
        let seen = seen
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: a keyframe decoded ({:?})", out.note));
        let r = seen
            .reading
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: a reading at {} s", seen.t_s));
        assert_eq!(
            r.civil_s,
            Some(shown(epoch, seen.t_s)),
            "{what} at {} s: read {:?}",
            seen.t_s,
            r.text
        );
        assert!(
            r.confidence > 0.5,
            "{what}: confidence {} for {:?}",
            r.confidence,
            r.text
        );
    }
}

/// The first keyframe's text after the time ends with the officer number.
fn assert_officer(out: &Output, number: &str) {
    let r = out
        .first()
        .and_then(|s| s.reading.as_ref())
        .expect("reading");
    assert!(r.rest.ends_with(number), "the officer number: {:?}", r.rest);
}

/// `clip` as group `group` learns its display (shown from `epoch` at its first picture) and
/// reads it; then a later night, the font known, reads it as the first did without learning
/// again. The first night's output and fonts.
fn learned_then_read_again(clip_name: &str, group: &str, epoch: i64) -> (Output, keyframes::Fonts) {
    let (mut outs, fonts) =
        keyframes::run_with(&[input(clip(clip_name), group)], &Default::default());
    assert_reads(&outs[0], epoch, clip_name);
    let (again, relearned) = keyframes::run_with(&[input(clip(clip_name), group)], &fonts);
    assert!(
        relearned.is_empty(),
        "{clip_name}: a known font is not learned again"
    );
    assert_reads(&again[0], epoch, &format!("{clip_name}, its font known"));
    (outs.swap_remove(0), fonts)
}

#[test]
fn the_clock_is_learned_from_the_footage_and_read_to_the_second() {
    let outs = keyframes::run(&[
        input(clip("day.mp4"), "A 640x360"),
        input(clip("later.mp4"), "A 640x360"),
        input(clip("night.mp4"), "B 640x360"),
    ]);
    assert_reads(&outs[0], 1773309607, "day.mp4");
    // Read with the digits day.mp4 taught: another picture behind the same display.
    assert_reads(&outs[1], 1773312005, "later.mp4");
    // Keyframes two seconds apart: the run of consecutive pictures decides odd from even.
    assert_reads(&outs[2], 1773345603, "night.mp4");
    assert_officer(&outs[0], " 001234");
    assert_eq!(outs[0].decoded, 2, "first and last keyframe only");
}

#[test]
fn a_joined_recording_among_the_first_a_display_is_learned_from_does_not_keep_it_unread() {
    use crate::util::{get, rows};
    // Device A's first night: one honest recording and the joined one (10:02:00-10:02:05,
    // then 10:20:00 on). Both are learning runs; the joined one's clock turns back at the join,
    // so the two runs label digits differently and no font passes with both. Left out, the
    // honest run teaches the display alone, and the join is then found with it.
    let (_t, root, wh, d) = evidence("DSJ-A0012");
    let name = "DSJ-A0012_OF001234_20260312100200_0002.MP4";
    std::fs::copy(
        clip("day.mp4"),
        d.join("DSJ-A0012_OF001234_20260312100007_0001.MP4"),
    )
    .expect("copy");
    std::fs::copy(clip("joined.mp4"), d.join(name)).expect("copy");
    crate::util::scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    let read = files
        .iter()
        .filter(|f| get(f, "osd_start").is_some())
        .count();
    assert_eq!(read, 2, "both recordings' displays read");
    joined_at_six(&wh, name);
}

/// The findings of INS-RATE and OSD-RATE: rule, severity and file name each.
fn rate_findings(wh: &Path) -> Vec<String> {
    findings_of(wh, &["INS-RATE", "OSD-RATE"], '/')
}

#[test]
fn a_recorder_that_lowers_its_frame_rate_keeps_its_clock_running_and_is_not_accused() {
    use crate::util::{by_name, num, rows};
    // lowlight.mp4: 10 fps, 5 fps from 4 s to 10 s (as a recorder in low light), the clock
    // running on through it. The container alone cannot tell it from a splice: without the
    // keyframe stage it is INS-RATE.
    let (_t, wh, name) = join_scanned("lowlight.mp4", &["--keyframes", "off"]);
    assert_eq!(rate_findings(&wh), [format!("INS-RATE high {name}")]);
    // With the stage, a keyframe inside the stretch is read: its offset to the file's
    // timestamps is the start's, so the stretch is the recorder's own (information).
    let (_t, wh, name) = join_scanned("lowlight.mp4", &[]);
    assert_eq!(rate_findings(&wh), [format!("OSD-RATE info {name}")]);
    let files = rows(&wh.join("files"));
    let file = by_name(&files, name);
    let step = num(file, "osd_stretch_step_s");
    assert!(step.abs() <= 1.0, "step {step}");
    assert!(num(file, "osd_stretch_confidence") >= 0.5);
    assert_eq!(osd_findings(&wh), [format!("OSD-RATE {name}")]);
    let keyframes = rows(&wh.join("keyframes"));
    let inside: Vec<f64> = keyframes
        .iter()
        .filter(|k| crate::util::get(k, "path").is_some_and(|p| p.ends_with(name)))
        .filter(|k| crate::util::get(k, "purpose") == Some("stretch"))
        .map(|k| num(k, "t_s"))
        .collect();
    assert!(
        !inside.is_empty() && inside.iter().all(|t| (4.0..10.0).contains(t)),
        "{inside:?}"
    );
}

#[test]
fn a_recorder_showing_its_position_as_it_walks_is_held_to_its_numbers_not_its_position() {
    // lowlight-gps.mp4: lowlight.mp4's stretch, the display showing the position after the
    // device and officer numbers, changing each second. The numbers alike at the file's two
    // ends are the device's and the officer's; the position is left out.
    let (_t, wh, name) = join_scanned("lowlight-gps.mp4", &[]);
    assert_eq!(rate_findings(&wh), [format!("OSD-RATE info {name}")]);
}

#[test]
fn footage_at_another_frame_rate_from_another_time_is_still_inserted() {
    use crate::util::{by_name, num, rows};
    // rate-spliced.mp4: 10:02:00-10:02:03 at 10 fps, 6 s at 5 fps showing 10:20:00 on, then
    // 10:02:10 on at 10 fps. The ends agree (no jump); the stretch shows another time.
    let (_t, wh, name) = join_scanned("rate-spliced.mp4", &[]);
    assert_eq!(rate_findings(&wh), [format!("INS-RATE high {name}")]);
    let files = rows(&wh.join("files"));
    let step = num(by_name(&files, name), "osd_stretch_step_s");
    // 10:20:00 shown 4.2 s into the file, 18 minutes (1080 s) after the start's clock: a
    // step of 1080 s less the 4.2 s and up to a second of the display's whole seconds.
    assert!((1074.0..=1077.0).contains(&step), "step {step}");
}

#[test]
fn another_recorders_footage_of_the_same_moments_at_another_rate_is_still_inserted() {
    use crate::util::{by_name, get, rows};
    // rate-foreign.mp4: device A at 10 fps, then 6 s at 5 fps whose display shows the same
    // clock but device B0345 and its officer, then device A again. The clock alone would clear
    // the stretch; the other numbers keep it INS-RATE.
    let (_t, wh, name) = join_scanned("rate-foreign.mp4", &[]);
    assert_eq!(rate_findings(&wh), [format!("INS-RATE high {name}")]);
    let files = rows(&wh.join("files"));
    assert_eq!(get(by_name(&files, name), "osd_stretch_step_s"), None);
    // The stretch was read (and shows B0345's numbers).
    let keyframes = rows(&wh.join("keyframes"));
    let inside = keyframes
        .iter()
        .filter(|k| get(k, "path").is_some_and(|p| p.ends_with(name)))
        .find(|k| get(k, "purpose") == Some("stretch"))
        .expect("a keyframe read inside the stretch");
    let text = get(inside, "osd_text").unwrap_or_default();
    assert!(text.ends_with("0345 009876"), "{text}");
}

/// Device A's two honest segments to learn from and a session of two more from 10:20:00,
/// made from `first` (named 10:20:00) and drift-b.mp4 (named 10:20:25), scanned with `extra`:
/// the temporary folder, the warehouse, and the gap findings (CONT-GAP, OSD-GAP) as rule,
/// severity and file name.
fn drift_scanned(first: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let (t, root, wh) = tree_of(
        "DSJ-A0012",
        &[
            ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
            ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
            ("DSJ-A0012_OF001234_20260312102000_0003.MP4", first),
            ("DSJ-A0012_OF001234_20260312102025_0004.MP4", "drift-b.mp4"),
        ],
    );
    let gaps = || findings_of(&wh, &["CONT-GAP", "OSD-GAP"], '_');
    crate::util::scan(&[&root], &wh, extra);
    let first = gaps();
    // A rescan judges again from the facts it carries (the display's end offset among them).
    crate::util::scan(&[&root], &wh, extra);
    assert_eq!(gaps(), first, "the rescan's");
    (t, wh, first)
}

#[test]
fn a_gap_the_names_leave_but_the_pictures_clock_runs_through_is_no_missing_footage() {
    use crate::util::{by_name, num, rows};
    // drift-a.mp4 (20 s of timeline showing 25 s of clock: a recorder that drops one picture in
    // five and stamps the rest at its nominal rate) and drift-b.mp4, named 10:20:25 as the
    // recorder's clock says: the names leave 5 s between them. Without the picture that is a
    // gap.
    let (_t, _wh, gaps) = drift_scanned("drift-a.mp4", &["--keyframes", "off"]);
    assert_eq!(gaps, ["CONT-GAP high 0004.MP4"]);
    // The picture's clock runs on from one into the next (drift-a's display, carried from its
    // last keyframe, ends where drift-b's begins): information. Its offset at the start
    // alone would leave the 5 s.
    let (_t, wh, gaps) = drift_scanned("drift-a.mp4", &[]);
    assert_eq!(gaps, ["OSD-GAP info 0004.MP4"]);
    let files = rows(&wh.join("files"));
    let a = by_name(&files, "DSJ-A0012_OF001234_20260312102000_0003.MP4");
    // The display runs ahead of the timeline: at the last keyframe (19 s) it shows 23 s.
    let (start, end) = (num(a, "osd_offset_s"), num(a, "osd_end_offset_s"));
    assert!(
        start.abs() < 1.0 && (3.0..5.0).contains(&end),
        "{start} {end}"
    );
    assert_eq!(
        osd_findings(&wh),
        ["OSD-GAP DSJ-A0012_OF001234_20260312102025_0004.MP4"]
    );
}

#[test]
fn a_clock_drifting_steadily_against_the_timestamps_is_no_jump_and_costs_two_more_pictures() {
    use crate::util::scan;
    // drift-long.mp4: five minutes whose timestamps run 3% short of the clock (the display 9 s
    // ahead by the end), filed after device A's day and later recordings (its font learned
    // from them). Before, the search by halves took the drift for a jump, decoded 28 of its 30
    // keyframes and kept a "jump" of 1 s. The display at its ends: 11:00:00 and 11:04:58 (the
    // last keyframe at 290 s of timeline).
    let t = tempfile::tempdir().expect("tmp");
    let (root, wh) = (t.path().join("ev"), t.path().join("wh"));
    recorder_tree(&root);
    let d = root.join("DSJ-A0012/20260312");
    std::fs::copy(
        clip("drift-long.mp4"),
        d.join("DSJ-A0012_OF001234_20260312110000_0003.MP4"),
    )
    .expect("copy");
    scan(&[&root], &wh, &[]);
    let values = file_values(
        &wh,
        &[
            "file_name",
            "keyframes_decoded",
            "osd_jump_s",
            "osd_start",
            "osd_end",
        ],
    );
    assert!(
        values.contains(
            &"DSJ-A0012_OF001234_20260312110000_0003.MP4 4 - 1773284400000000 1773284698000000"
                .to_string()
        ),
        "{values:?}"
    );
    let notes = file_values(&wh, &["keyframe_note"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("changes steadily, by +8 s over the file")),
        "{notes:?}"
    );
    assert!(osd_findings(&wh).is_empty(), "{:?}", osd_findings(&wh));
}

#[test]
fn footage_cut_from_the_end_of_a_segment_is_still_a_gap_with_the_picture_as_witness() {
    // drift-cut.mp4: drift-a.mp4 cut at 12.3 s of timeline (15 s of clock): the names leave
    // 12.7 s before drift-b.mp4 and the picture some 10 s, beyond the tolerance and a second.
    let (_t, _wh, gaps) = drift_scanned("drift-cut.mp4", &[]);
    assert_eq!(gaps, ["CONT-GAP high 0004.MP4"]);
}

#[test]
fn a_chinese_display_with_its_weekday_is_read() {
    // 2026年03月12日  星期四  10:00:07  DSJ-A0012 警号001234: full-width characters between the
    // digits and a weekday between date and time.
    let outs = keyframes::run(&[input(clip("cjk.mp4"), "D 1280x720")]);
    assert_reads(&outs[0], 1773309607, "cjk.mp4");
    assert_officer(&outs[0], "001234");
}

#[test]
fn a_display_chips_bitmap_font_doubled_to_the_picture_is_read() {
    // 2026-03-12 10:30:07  DSJ-U0032 003232 in Unifont, each of its pixels drawn as 2 x 2 at
    // 1080p: a slant or a rounded corner is blocks that touch only at their corners. Joined
    // side to side only, a `3` falls apart into specks and the line was never learned ("no
    // display line was read"). Learned as `blocky` ink, tried only after every other ink
    // taught nothing, so that no display read before reads otherwise.
    // A later night reads it with the kept font as the first did.
    let group = "U 1920x1080";
    let (out, fonts) = learned_then_read_again("bitmap.mp4", group, 1773311407);
    assert_officer(&out, "003232");
    assert_eq!(fonts.get(group).map(|f| f.ink), Some(Ink::Blocky));
}

#[test]
fn a_display_in_a_proportional_font_is_read() {
    // 2026-03-12 11:11:07  DSJ-P0061 006161 in DejaVu Sans: digits of one width, the `-`,
    // `:` and spaces narrower, so no single grid fits the line; a `1` beside a `1` leaves a
    // gap that is not a space.
    let outs = keyframes::run(&[input(clip("prop.mp4"), "P 1280x720")]);
    assert_reads(&outs[0], 1773313867, "prop.mp4");
    assert_officer(&outs[0], " 006161");
}

#[test]
fn the_clock_line_of_a_display_of_two_lines_is_the_one_that_behaves_as_a_clock() {
    // 2026-03-12 11:20:00 above `DSJ-T0088  警号 008888  某某县应急管理局`: the second line has
    // more glyphs, and only the first shows a clock.
    // A later run with the font known: its files' keyframes are searched in that band only
    // (and decoded down to it), and read as before.
    let group = "T 1280x720";
    let (_, fonts) = learned_then_read_again("twoline.mp4", group, 1773314400);
    let rows = fonts[group]
        .rows
        .expect("the clock line's rows are learned");
    assert!(rows.1 < 60, "the upper line: {rows:?}");
    // A font kept before fonts had their rows is learned again, rows and all.
    let mut old = fonts.clone();
    old.get_mut(group).expect("the group's font").rows = None;
    let (_, relearned) = keyframes::run_with(&[input(clip("twoline.mp4"), group)], &old);
    assert_eq!(relearned.get(group).and_then(|f| f.rows), Some(rows));
}

#[test]
fn a_display_that_moved_is_read_with_its_old_font_and_learned_again() {
    // day.mp4 teaches the display at the top; bottom.mp4 (10:05:00) is the same display drawn
    // at the bottom, as after a firmware update: no line stands at the font's rows, so its
    // pictures are searched whole and the line showing a time is read; when most of the
    // group's files show it there, the group learns again.
    let (_, fonts) = keyframes::run_with(&[input(clip("day.mp4"), "A")], &Default::default());
    let rows = fonts["A"].rows.expect("rows learned");
    assert!(rows.1 < 100, "{rows:?}");
    // With two files of the group still showing it at the top, the font is kept and reads it.
    let (outs, relearned) = keyframes::run_with(
        &[
            input(clip("bottom.mp4"), "A"),
            input(clip("day.mp4"), "A"),
            input(clip("short.mp4"), "A"),
        ],
        &fonts,
    );
    assert!(
        relearned.is_empty(),
        "most files show the clock where it was"
    );
    assert_reads(
        &outs[0],
        1773309900,
        "bottom.mp4 with the top display's font",
    );
    assert_reads(&outs[2], 1773309611, "short.mp4 beside it");
    // When most of the group's new files show it elsewhere, the group learns its display
    // again: the new font knows the bottom rows.
    let (outs, relearned) = keyframes::run_with(&[input(clip("bottom.mp4"), "A")], &fonts);
    let moved = relearned
        .get("A")
        .and_then(|f| f.rows)
        .expect("learned again");
    assert!(moved.0 > 500, "{moved:?}");
    assert_reads(&outs[0], 1773309900, "bottom.mp4 with its own font");
}

#[test]
fn a_display_whose_font_changed_is_learned_again() {
    // day.mp4 teaches DejaVu Sans Mono at the top; night.mp4 shows the clock at the same place
    // in Liberation Mono Bold (as after a firmware update that changed the font): the known
    // font reads no time there, so the group learns again and reads it.
    let (_, fonts) = keyframes::run_with(&[input(clip("day.mp4"), "A")], &Default::default());
    let (outs, relearned) = keyframes::run_with(&[input(clip("night.mp4"), "A")], &fonts);
    assert!(
        relearned.get("A").is_some_and(|f| f.digits_known() == 10),
        "learned again, every digit"
    );
    assert_reads(&outs[0], 1773345603, "night.mp4 with its own font");
    // A font that still reads the group's display is kept. (DejaVu Sans's digits are DejaVu
    // Sans Mono's: the same font reads prop.mp4.)
    for kept in ["day2.mp4", "prop.mp4"] {
        let (outs, relearned) = keyframes::run_with(&[input(clip(kept), "A")], &fonts);
        assert!(relearned.is_empty(), "{kept}");
        assert!(
            outs[0]
                .first()
                .and_then(|s| s.reading.as_ref()?.civil_s)
                .is_some()
        );
    }
}

#[test]
fn a_display_with_a_drop_shadow_is_learned_as_bright_text() {
    // 2026-03-12 11:30:07  DSJ-S0051 005151, white with a shadow down and right and no outline,
    // over a light scene: its strokes have dark on one side only, so the display teaches
    // nothing as edged text and is learned as text brighter than the scene.
    let shadow = || input(clip("shadow.mp4"), "S");
    let (outs, fonts) = keyframes::run_with(&[shadow()], &Default::default());
    let font = fonts.get("S").expect("a font");
    assert_eq!(font.digits_known(), 10);
    assert_eq!(font.ink, Ink::Bright);
    assert_reads(&outs[0], 1773315007, "shadow.mp4");
    assert_officer(&outs[0], " 005151");
    // Its ends were searched for edged text before the font was learned, then again as bright
    // text: four pictures.
    assert_eq!(outs[0].decoded, 4);
    // A later night knows the font and searches its way at once: two pictures.
    let (outs, relearned) = keyframes::run_with(&[shadow()], &fonts);
    assert!(relearned.is_empty(), "nothing learned again");
    assert_reads(&outs[0], 1773315007, "shadow.mp4 with the known font");
    assert_eq!(outs[0].decoded, 2);
    // An edged display is still learned as edged.
    let (_, fonts) = keyframes::run_with(&[input(clip("day.mp4"), "A")], &Default::default());
    assert_eq!(fonts.get("A").map(|f| f.ink), Some(Ink::Edged));
}

/// Two copies of one recording read the same at their first and last keyframes, `b`'s times
/// `shift_s` before `a`'s.
fn same_ends(a: &Output, b: &Output, shift_s: f64) {
    for (a, b) in [(a.first(), b.first()), (a.last(), b.last())] {
        let (a, b) = (a.expect("read"), b.expect("read"));
        assert!(
            (a.t_s - b.t_s - shift_s).abs() < 1e-9,
            "{} {}",
            a.t_s,
            b.t_s
        );
        assert_eq!(a.reading, b.reading);
    }
}

#[test]
fn a_fragmented_recording_is_read_like_its_plain_copy() {
    // day.mp4 copied into movie fragments (an empty sample table, a `moof` per keyframe), as
    // recorders that must survive a power cut write: its keyframes are found in the fragments.
    let outs = keyframes::run(&[
        input(clip("day.mp4"), "A"),
        input(clip("fragmented.mp4"), "A"),
    ]);
    assert_eq!(outs[1].note, None);
    assert_reads(&outs[1], 1773309607, "fragmented.mp4");
    assert_eq!(outs[1].decoded, 2, "first and last keyframe only");
    same_ends(&outs[0], &outs[1], 0.0);
    // Cut off in its last fragment's data (a power cut): read up to its last whole keyframe.
    let t = tempfile::tempdir().expect("tmp");
    let cut = t.path().join("cut.mp4");
    let bytes = std::fs::read(clip("fragmented.mp4")).expect("read");
    // Into the last keyframe: 100 bytes into the data after the last `moof`.
    let moof = bytes
        .windows(4)
        .rposition(|w| w == b"moof")
        .expect("a moof")
        - 4;
    let size = u32::from_be_bytes(bytes[moof..moof + 4].try_into().expect("4 bytes")) as usize;
    std::fs::write(&cut, &bytes[..moof + size + 108]).expect("write");
    let out = &keyframes::run(&[input(cut, "A"), input(clip("day.mp4"), "A")])[0];
    assert_eq!(out.note, None);
    assert_reads(out, 1773309607, "fragmented.mp4 cut off");
    let last = out.last().expect("a last keyframe").t_s;
    assert!(
        (11.0..13.0).contains(&last),
        "the keyframe before the cut one: {last}"
    );
    // The same encoder's habits: the keyframe interval and B-frames come from the fragments.
    assert!(outs[1].habits.is_some());
    assert_eq!(outs[0].habits, outs[1].habits);
    assert_eq!(outs[0].slice_habits, outs[1].slice_habits);
}

#[test]
fn an_avi_recording_is_read_like_its_mp4_copy() {
    // day.mp4 copied into AVI (Annex B pictures in `00dc` chunks, keyframes flagged in `idx1`),
    // as older recorders write: planned from its index, read at the same keyframes.
    let avi = input(clip("day.avi"), "A");
    assert!(matches!(avi.index, keyframes::Index::Avi { .. }), "{avi:?}");
    let outs = keyframes::run(&[input(clip("day.mp4"), "A"), avi]);
    assert_eq!(outs[1].note, None);
    assert_reads(&outs[1], 1773309607, "day.avi");
    assert_eq!(outs[1].decoded, 2, "first and last keyframe only");
    // The MP4's times are presentation times, two pictures (0.2 s) after decoding for its
    // B-frames; an AVI keeps pictures in decoding order with no times of their own.
    same_ends(&outs[0], &outs[1], 0.2);
    // The slice habits come from the same slice headers; the coding habits need presentation
    // times (B-frames), which an AVI does not keep: unknown, not different.
    assert_eq!(outs[0].slice_habits, outs[1].slice_habits);
    assert!(outs[0].habits.is_some());
    assert_eq!(outs[1].habits, None);
    // Its keyframes as the index flags them: the same pictures (numbered by the AVI's frame
    // slots, which ffmpeg's writer makes at twice this clip's rate, the empty ones included).
    let places = |o: &Output| -> Vec<usize> { o.keyframes.iter().map(|k| k.gop_index).collect() };
    assert_eq!(places(&outs[1]), places(&outs[0]));
    // An index cut off (a file copied short) plans from what is left, or says why not; never
    // a panic.
    let t = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(clip("day.avi")).expect("read");
    for keep in [64usize, 4096, bytes.len() / 2, bytes.len() - 100] {
        let cut = t.path().join(format!("cut-{keep}.avi"));
        std::fs::write(&cut, &bytes[..keep]).expect("write");
        assert_eq!(
            keyframes::find_index(&cut).expect("opens"),
            None,
            "cut at {keep}: no idx1"
        );
    }
}

/// A RIFF chunk's header: id and size, little-endian.
fn riff_header(id: &[u8; 4], size: usize) -> Vec<u8> {
    [&id[..], &(size as u32).to_le_bytes()].concat()
}

/// day.avi laid out as an OpenDML writer lays out a recording past its first gigabyte: the
/// video stream's super index (`indx`, written into the room ffmpeg's writer keeps for one as
/// `JUNK` in the `strl`) names two standard indexes (`ix00`) of half the frames each, in a
/// second RIFF form (`AVIX`) after the first; `idx1` is renamed `JUNK`, so that only the
/// OpenDML indexes say where the frames are. With `super_index` false the `indx` is left
/// out (an OpenDML file whose later pictures cannot be found).
fn odml_copy(avi: &[u8], super_index: bool) -> Vec<u8> {
    let le32 =
        |at: usize| u32::from_le_bytes(avi[at..at + 4].try_into().expect("4 bytes")) as usize;
    let find = |from: usize, to: usize, id: &[u8; 4], list: Option<&[u8; 4]>| -> usize {
        let mut at = from;
        while at + 12 <= to {
            if &avi[at..at + 4] == id && list.is_none_or(|l| &avi[at + 8..at + 12] == l) {
                return at;
            }
            at += 8 + le32(at + 4) + (le32(at + 4) & 1);
        }
        panic!("no {id:?} in day.avi")
    };
    let hdrl = find(12, avi.len(), b"LIST", Some(b"hdrl"));
    let strl = find(hdrl + 12, hdrl + 8 + le32(hdrl + 4), b"LIST", Some(b"strl"));
    let junk = find(strl + 12, strl + 8 + le32(strl + 4), b"JUNK", None);
    let movi = find(12, avi.len(), b"LIST", Some(b"movi")) + 8;
    let idx1 = find(12, avi.len(), b"idx1", None);
    let frames: Vec<(u64, u32, bool)> = avi[idx1 + 8..idx1 + 8 + le32(idx1 + 4)]
        .chunks_exact(16)
        .filter(|e| &e[..4] == b"00dc")
        .map(|e| {
            let (flags, off, size) = (
                u32::from_le_bytes(e[4..8].try_into().expect("4")),
                u32::from_le_bytes(e[8..12].try_into().expect("4")),
                u32::from_le_bytes(e[12..16].try_into().expect("4")),
            );
            ((movi + off as usize + 8) as u64, size, flags & 0x10 != 0)
        })
        .collect();
    assert!(frames.len() > 20);
    assert_eq!(
        frames[0].0,
        movi as u64 + 12,
        "idx1 offsets relative to movi"
    );
    let mut out = avi.to_vec();
    out[idx1..idx1 + 4].copy_from_slice(b"JUNK");
    // The second RIFF form: a `movi` list holding the two standard indexes.
    let halves = [&frames[..frames.len() / 2], &frames[frames.len() / 2..]];
    let base = movi as u64;
    let ix: Vec<Vec<u8>> = halves
        .iter()
        .map(|half| {
            let mut body = vec![2, 0, 0, 1];
            body.extend_from_slice(&(half.len() as u32).to_le_bytes());
            body.extend_from_slice(b"00dc");
            body.extend_from_slice(&base.to_le_bytes());
            body.extend_from_slice(&[0; 4]);
            for &(data, size, key) in *half {
                body.extend_from_slice(&((data - base) as u32).to_le_bytes());
                body.extend_from_slice(&(size | if key { 0 } else { 0x8000_0000 }).to_le_bytes());
            }
            [riff_header(b"ix00", body.len()), body].concat()
        })
        .collect();
    let list_len = 4 + ix.iter().map(Vec::len).sum::<usize>();
    let riff_at = out.len();
    assert_eq!(riff_at, 8 + le32(4), "day.avi is one RIFF form");
    out.extend(riff_header(b"RIFF", 4 + 8 + list_len));
    out.extend_from_slice(b"AVIX");
    out.extend(riff_header(b"LIST", list_len));
    out.extend_from_slice(b"movi");
    let mut at = out.len();
    let mut entries = Vec::new();
    for (chunk, half) in ix.iter().zip(halves) {
        entries.push((at as u64, chunk.len() as u32, half.len() as u32));
        out.extend_from_slice(chunk);
        at += chunk.len();
    }
    if super_index {
        // The super index in the `JUNK` room, the rest of the room still `JUNK`.
        let room = 8 + le32(junk + 4);
        let mut indx = vec![4, 0, 0, 0];
        indx.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        indx.extend_from_slice(b"00dc");
        indx.extend_from_slice(&[0; 12]);
        for (offset, size, duration) in entries {
            indx.extend_from_slice(&offset.to_le_bytes());
            indx.extend_from_slice(&size.to_le_bytes());
            indx.extend_from_slice(&duration.to_le_bytes());
        }
        let chunk = [riff_header(b"indx", indx.len()), indx].concat();
        let filler = riff_header(b"JUNK", room - chunk.len() - 8);
        out[junk..junk + chunk.len()].copy_from_slice(&chunk);
        out[junk + chunk.len()..junk + chunk.len() + 8].copy_from_slice(&filler);
    }
    out
}

#[test]
fn an_opendml_avi_is_planned_from_its_standard_indexes() {
    let t = tempfile::tempdir().expect("tmp");
    let avi = std::fs::read(clip("day.avi")).expect("read");
    let odml = t.path().join("odml.avi");
    std::fs::write(&odml, odml_copy(&avi, true)).expect("write");
    let odml = input(odml, "A");
    assert!(
        matches!(odml.index, keyframes::Index::Avi { idx1: None, .. }),
        "{odml:?}"
    );
    let outs = keyframes::run(&[
        input(clip("day.mp4"), "A"),
        input(clip("day.avi"), "A"),
        odml,
    ]);
    assert_eq!(outs[2].note, None);
    assert_reads(&outs[2], 1773309607, "odml.avi");
    // The same frames, numbered and timed as the idx1 of the same file numbers and times them.
    same_ends(&outs[1], &outs[2], 0.0);
    let places = |o: &Output| -> Vec<(u64, usize)> {
        o.keyframes
            .iter()
            .map(|k| (k.sample, k.gop_index))
            .collect()
    };
    assert_eq!(places(&outs[2]), places(&outs[1]));
    // A second RIFF form and no super index to find its pictures by: not planned in part.
    let unindexed = t.path().join("unindexed.avi");
    std::fs::write(&unindexed, odml_copy(&avi, false)).expect("write");
    assert_eq!(keyframes::find_index(&unindexed).expect("opens"), None);
    // A super index that names no standard index where it points: a note, not a panic.
    let mut wrong = odml_copy(&avi, true);
    let n = wrong.len();
    wrong[n - 8..].fill(0);
    let at = avi.len() + 24;
    wrong[at..at + 2].copy_from_slice(b"xx");
    let wrong_path = t.path().join("wrong.avi");
    std::fs::write(&wrong_path, &wrong).expect("write");
    let index = keyframes::find_index(&wrong_path)
        .expect("opens")
        .expect("an index");
    let outs = keyframes::run(&[Input {
        path: wrong_path,
        index,
        group: "W".into(),
        stretch: None,
        seams: Default::default(),
    }]);
    assert!(
        outs[0]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("standard index")),
        "{:?}",
        outs[0].note
    );
}

/// Damaged copies of a recording, planned by its intact `index`: cut after each of `cuts`
/// bytes (`cut-N.EXT`), and overwritten with noise (`noise.EXT`: from byte `from`, every
/// `step`th byte, from `seed`).
fn damaged(
    dir: &Path,
    ext: &str,
    bytes: &[u8],
    index: &keyframes::Index,
    cuts: &[usize],
    (from, step, seed): (usize, usize, u32),
) -> Vec<Input> {
    let mut inputs = Vec::new();
    let mut add = |name: String, b: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, b).expect("write");
        inputs.push(Input {
            path,
            index: index.clone(),
            group: "T".into(),
            stretch: None,
            seams: Default::default(),
        });
    };
    for &keep in cuts {
        add(format!("cut-{keep}.{ext}"), &bytes[..keep]);
    }
    let mut noisy = bytes.to_vec();
    let noise = crate::util::pseudo_random(noisy.len(), seed);
    for (b, n) in noisy.iter_mut().zip(noise).skip(from).step_by(step) {
        *b = n;
    }
    add(format!("noise.{ext}"), &noisy);
    inputs
}

/// What the read pass notes of a transport stream's pictures as its packets go past (a
/// transport stream has no index to find afterwards).
fn ts_index(path: &Path) -> keyframes::Index {
    use recaudit::media::Sink;
    let bytes = std::fs::read(path).expect("read");
    let packet = recaudit::media::ts::detect(&bytes).expect("a transport stream");
    // Fed in uneven pieces, as reads of any size cut packets anywhere: larger and smaller
    // than a packet, the same notes.
    let notes = |piece: usize| {
        let mut sink = Box::new(recaudit::media::ts::TsSink::new(packet));
        for piece in bytes.chunks(piece) {
            sink.feed(piece);
        }
        let parsed = sink.finish(bytes.len() as u64);
        assert_eq!(parsed.problem, None);
        match parsed.info.noted {
            Some(index) => index,
            other => panic!("the video's pictures noted: {other:?}"),
        }
    };
    let index = notes(65_537);
    assert_eq!(index, notes(101));
    keyframes::Index::Noted(std::sync::Arc::from(index))
}

#[test]
fn a_transport_stream_is_read_like_its_mp4_copy() {
    // day.mp4 copied into MPEG-TS with an AAC track interleaved, as recorders and CCTV
    // exports write it: planned from the pictures the read noted, read at the same keyframes.
    let both = [input(clip("day.mp4"), "A"), input(clip("day.ts"), "A")];
    let keyframes::Index::Noted(ts) = &both[1].index else {
        panic!("{:?}", both[1])
    };
    assert!(matches!(ts.packets, Some(recaudit::media::keyplan::Packing::Ts(p)) if p.size == 188));
    assert!(ts.reordered, "presentation times of B-frames kept");
    let outs = keyframes::run(&both);
    assert_eq!(outs[1].note, None);
    assert_reads(&outs[1], 1773309607, "day.ts");
    assert_eq!(outs[1].decoded, 2, "first and last keyframe only");
    // Presentation times as the MP4's (from the first decoding time, as its sample table
    // counts without its edit list), so the same times, and habits read as from the MP4.
    same_ends(&outs[0], &outs[1], 0.0);
    assert_eq!(outs[0].slice_habits, outs[1].slice_habits);
    assert!(outs[1].habits.is_some());
    assert_eq!(outs[0].habits, outs[1].habits);
    let places = |o: &Output| -> Vec<usize> { o.keyframes.iter().map(|k| k.gop_index).collect() };
    assert_eq!(places(&outs[1]), places(&outs[0]));
    // Every keyframe read: each the MP4's reading at the same time.
    let prepared = both.iter().map(keyframes::prepare).collect();
    let (all, _) = keyframes::run_prepared(&both, prepared, &Default::default(), true);
    let seen = |o: &Output| -> Vec<(u64, Option<i64>)> {
        o.keyframes
            .iter()
            .map(|k| {
                let civil = k.seen.reading.as_ref().and_then(|r| r.civil_s);
                ((k.seen.t_s * 1000.0).round() as u64, civil)
            })
            .collect()
    };
    assert_eq!(seen(&all[1]), seen(&all[0]));
    assert!(all[1].keyframes.len() >= 7, "{}", all[1].keyframes.len());
}

#[test]
fn parameter_sets_missing_from_the_first_keyframe_are_taken_from_the_next() {
    // day.ts with its first keyframe's sequence and picture parameter sets made filler (NAL
    // type 12), as a segment cut from a longer stream may begin: the sets of the second
    // keyframe serve, and the first keyframe is read with them.
    let t = tempfile::tempdir().expect("tmp");
    let mut bytes = std::fs::read(clip("day.ts")).expect("read");
    let at = |b: &[u8], nal: u8| {
        b.windows(4)
            .position(|w| w == [0, 0, 1, nal])
            .expect("a parameter set")
            + 3
    };
    let sps = at(&bytes, 0x67);
    bytes[sps] = 0x0c;
    let pps = at(&bytes, 0x68);
    assert!(pps < 188 * 8, "both in the first keyframe's first packets");
    bytes[pps] = 0x0c;
    let cut = t.path().join("cut.ts");
    std::fs::write(&cut, &bytes).expect("write");
    let outs = keyframes::run(&[input(clip("day.mp4"), "A"), input(cut, "A")]);
    assert_eq!(outs[1].note, None);
    assert_reads(&outs[1], 1773309607, "cut.ts");
}

#[test]
fn an_hevc_transport_stream_in_m2ts_packets_is_read() {
    // hevc.mp4 in 192-byte packets (a 4-byte arrival time before each), as camcorders write.
    let both = [
        input(clip("hevc.mp4"), "C 1280x720"),
        input(clip("hevc.m2ts"), "C 1280x720"),
    ];
    let keyframes::Index::Noted(ts) = &both[1].index else {
        panic!("{:?}", both[1])
    };
    assert!(matches!(ts.packets, Some(recaudit::media::keyplan::Packing::Ts(p)) if p.size == 192));
    let outs = keyframes::run(&both);
    assert_reads(&outs[1], 1773313200, "hevc.m2ts");
    same_ends(&outs[0], &outs[1], 0.0);
    assert_eq!(outs[0].habits, outs[1].habits);
    assert!(outs[1].slice_habits.is_some());
    assert_eq!(outs[0].slice_habits, outs[1].slice_habits);
    let slices = |o: &keyframes::Output| {
        let s: Vec<_> = o
            .keyframes
            .iter()
            .map(|k| k.slice.map(|s| (s.kind, s.qp)))
            .collect();
        assert!(s.iter().all(Option::is_some), "{s:?}");
        s
    };
    assert_eq!(slices(&outs[0]), slices(&outs[1]));
}

#[test]
fn a_transport_stream_cut_short_or_garbled_gives_a_note_or_readings_never_a_panic() {
    let t = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(clip("day.ts")).expect("read");
    let index = ts_index(&clip("day.ts"));
    // The file cut after the read noted its pictures (a copy made short: the pictures past
    // the cut are not there to read), and packets overwritten with noise after the first.
    let cuts = [188usize * 4, bytes.len() / 2, bytes.len() - 1000];
    let inputs = damaged(t.path(), "ts", &bytes, &index, &cuts, (188, 5, 11));
    let outs = keyframes::run(&inputs);
    assert_eq!(outs.len(), inputs.len());
    assert!(
        outs[0].note.is_some(),
        "nothing to read: {:?}",
        outs[0].keyframes
    );
}

#[test]
fn a_transport_stream_after_hikvisions_media_header_gets_its_clock_read() {
    // day.ts after a 40-byte `IMKH` header announcing a transport stream (system format 3),
    // named `.mp4` as the vendor's clients name their exports: read as a transport stream
    // whose offsets are the file's, its display read as the plain stream's (before, read as a
    // program stream: `corrupt`, INT-UNREADABLE `high`).
    use crate::util::{get, rows, scan, utc_us};
    let (_t, root, wh, dir) = evidence("DSJ-A0012");
    let mut header = std::fs::read(crate::util::project().join(
        "tests/fixtures/labelled/单位甲/NEG-HIK/20260312/NEG-HIK_OF3021_20260312100000_0001.MP4",
    ))
    .expect("read")[..40]
        .to_vec();
    header[8..10].copy_from_slice(&3u16.to_le_bytes());
    header.extend(std::fs::read(clip("day.ts")).expect("read"));
    std::fs::write(
        dir.join("DSJ-A0012_OF001234_20260312100007_0001.MP4"),
        &header,
    )
    .expect("write");
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    let f = &files[0];
    assert_eq!(get(f, "status"), Some("ok"), "{f:?}");
    assert_eq!(get(f, "container"), Some("hik-ts"));
    assert_eq!(get(f, "extension_matches"), Some("true"));
    assert_eq!(get(f, "make"), Some("Hikvision"));
    let shown = utc_us("2026-03-12 02:00:07").to_string();
    assert_eq!(get(f, "osd_start"), Some(shown.as_str()), "{f:?}");
    assert_eq!(get(f, "osd_offset_s"), Some("-0.2"), "{f:?}");
    assert_eq!(
        rows(&wh.join("findings"))
            .iter()
            .filter(|r| get(r, "severity") == Some("high"))
            .count(),
        0
    );
}

#[test]
fn a_transport_stream_in_the_evidence_tree_gets_its_clock_read() {
    use crate::util::{get, rows, scan, utc_us};
    let (_t, root, wh, dir) = evidence("DSJ-A0012");
    std::fs::copy(
        clip("day.ts"),
        dir.join("DSJ-A0012_OF001234_20260312100007_0001.TS"),
    )
    .expect("copy");
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    assert_eq!(files.len(), 1);
    let f = &files[0];
    assert_eq!(get(f, "container"), Some("mpegts"));
    assert_eq!(get(f, "keyframe_note"), None, "{f:?}");
    let shown = utc_us("2026-03-12 02:00:07").to_string();
    assert_eq!(get(f, "osd_start"), Some(shown.as_str()), "{f:?}");
    assert_eq!(get(f, "osd_confidence"), Some("1"), "{f:?}");
    // Its pictures' times counted as the MP4's are (from the first decoding time): the first
    // keyframe is presented 0.2 s in, showing the name's second.
    assert_eq!(get(f, "osd_offset_s"), Some("-0.2"), "{f:?}");
    assert!(
        get(f, "coding_habits").is_some_and(|h| h.contains(" bframes gop10 ")),
        "{f:?}"
    );
    let kf = rows(&wh.join("keyframes"));
    assert_eq!(kf.len(), 2, "{kf:?}");
    // A camcorder's M2TS (192-byte packets, HEVC) of another device, named `.MTS`.
    let other = root.join("DSJ-C0001").join("20260312");
    std::fs::create_dir_all(&other).expect("mkdir");
    std::fs::copy(
        clip("hevc.m2ts"),
        other.join("DSJ-C0001_OF001234_20260312110000_0001.MTS"),
    )
    .expect("copy");
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    let m2ts = files
        .iter()
        .find(|f| get(f, "device_id") == Some("DSJ-C0001"))
        .expect("the M2TS row");
    assert_eq!(get(m2ts, "container"), Some("mpegts"));
    assert_eq!(get(m2ts, "video_codec"), Some("hevc"));
    let shown = utc_us("2026-03-12 03:00:00").to_string();
    assert_eq!(get(m2ts, "osd_start"), Some(shown.as_str()), "{m2ts:?}");
}

/// `short` (a copy of short.mp4 in another container, stored as the second segment with
/// extension `ext`) scanned beside day.mp4 of the same recorder (which teaches the tens digits
/// short.mp4 never shows change); its display read as short.mp4's: 10:00:11 to 10:00:14 at
/// confidence 1, its first keyframe at 0 s showing its name's second. The MP4's row and its.
fn short_beside_day(short: &str, ext: &str) -> (crate::util::Row, crate::util::Row) {
    short_bytes_beside_day(&std::fs::read(clip(short)).expect("read"), ext, "0")
}

/// [`short_beside_day`] of a clip given as its bytes, its first keyframe's display `offset`
/// seconds from its container time (a stream whose times start at its first decoding time
/// presents its first picture later where pictures are reordered, as day.mp4 does).
fn short_bytes_beside_day(
    short: &[u8],
    ext: &str,
    offset: &str,
) -> (crate::util::Row, crate::util::Row) {
    use crate::util::{get, rows, scan, utc_us};
    let (_t, root, wh, dir) = evidence("DSJ-A0012");
    let (day, other) = (
        "DSJ-A0012_OF001234_20260312100007_0001.MP4".to_string(),
        format!("DSJ-A0012_OF001234_20260312100011_0002.{ext}"),
    );
    std::fs::copy(clip("day.mp4"), dir.join(&day)).expect("copy");
    std::fs::write(dir.join(&other), short).expect("write");
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    let by_file = |name: &str| {
        files
            .iter()
            .find(|f| get(f, "file_name") == Some(name))
            .cloned()
            .expect("a row")
    };
    let (mp4, row) = (by_file(&day), by_file(&other));
    assert_eq!(get(&row, "keyframe_note"), None, "{row:?}");
    let (start, end) = (
        utc_us("2026-03-12 02:00:11").to_string(),
        utc_us("2026-03-12 02:00:14").to_string(),
    );
    assert_eq!(
        (get(&row, "osd_start"), get(&row, "osd_end")),
        (Some(start.as_str()), Some(end.as_str())),
        "{row:?}"
    );
    assert_eq!(get(&row, "osd_confidence"), Some("1"), "{row:?}");
    assert_eq!(get(&row, "osd_offset_s"), Some(offset), "{row:?}");
    (mp4, row)
}

#[test]
fn a_matroska_recording_gets_its_clock_read_from_the_blocks_the_read_noted() {
    use crate::util::get;
    // short.mp4 remuxed into Matroska: its first keyframe is its first block.
    let (mp4, mkv) = short_beside_day("short.mkv", "MKV");
    assert_eq!(get(&mkv, "container"), Some("matroska"));
    // The same encoder's hand as the recorder's MP4.
    assert_eq!(get(&mkv, "coding_habits"), get(&mp4, "coding_habits"));
    assert!(get(&mkv, "coding_habits").is_some(), "{mkv:?}");
}

#[test]
fn a_dahua_export_gets_its_clock_read_from_the_frames_the_read_noted() {
    use crate::util::get;
    // short.mp4 laid out in DAV frames as a Dahua recorder exports it: its first keyframe is
    // its first frame.
    let (mp4, dav) = short_beside_day("short.dav", "DAV");
    assert_eq!(get(&dav, "container"), Some("dav"));
    // Its frames are timed in decoding order (as `dav.py` lays them out): whether its pictures
    // are reordered is unknown, so no habits to compare (an unknown is no difference); its
    // slices are cut as the MP4's.
    assert_eq!(get(&dav, "coding_habits"), None, "{dav:?}");
    assert!(get(&mp4, "coding_habits").is_some(), "{mp4:?}");
    assert_eq!(get(&dav, "slice_habits"), get(&mp4, "slice_habits"));
}

#[test]
fn a_program_stream_gets_its_clock_read_from_the_units_the_read_noted() {
    use crate::util::get;
    // short.mp4's pictures laid out a pack each as a CCTV recorder writes its program stream
    // (before 2026-12-08 the stage read no program stream: no display, no habits).
    let ps = std::fs::read(clip("short.ps")).expect("read");
    // Presented from its first decoding time on, as day.mp4: its first picture two pictures'
    // times after it.
    let (mp4, row) = short_bytes_beside_day(&ps, "PS", "-0.2");
    assert_eq!(get(&mp4, "osd_offset_s"), Some("-0.2"));
    assert_eq!(get(&row, "container"), Some("mpeg-ps"));
    // Its packets carry decoding times beside the presentation times: the pictures' order is
    // known, and the encoder's hand is the MP4's.
    assert!(get(&mp4, "coding_habits").is_some(), "{mp4:?}");
    assert_eq!(get(&row, "coding_habits"), get(&mp4, "coding_habits"));
    assert_eq!(get(&row, "slice_habits"), get(&mp4, "slice_habits"));
    // The same after Hikvision's media header, named .mp4 as the vendor's exports are: the
    // units' offsets are the file's.
    let header = std::fs::read(crate::util::project().join(
        "tests/fixtures/labelled/单位甲/NEG-HIK/20260312/NEG-HIK_OF3021_20260312100000_0001.MP4",
    ))
    .expect("read");
    let (_, hik) = short_bytes_beside_day(&[&header[..40], &ps[..]].concat(), "MP4", "-0.2");
    assert_eq!(get(&hik, "container"), Some("hik-ps"));
    assert_eq!(get(&hik, "coding_habits"), get(&mp4, "coding_habits"));
}

#[test]
fn a_live_streams_recording_gets_its_clock_read_from_the_tags_the_read_noted() {
    use crate::util::get;
    // short.mp4 as a media server records a live stream (ffmpeg's FLV muxer, the pictures
    // untouched; before 2026-12-08 the file was `unsupported`: no row's facts, no display).
    let flv = std::fs::read(clip("short.flv")).expect("read");
    let (mp4, row) = short_bytes_beside_day(&flv, "FLV", "-0.2");
    assert_eq!(get(&row, "container"), Some("flv"));
    assert_eq!(get(&row, "status"), Some("ok"));
    // Composition times beside the tags' decoding times: the pictures' order is known, and
    // the encoder's hand is the MP4's.
    assert!(get(&mp4, "coding_habits").is_some(), "{mp4:?}");
    assert_eq!(get(&row, "coding_habits"), get(&mp4, "coding_habits"));
    assert_eq!(get(&row, "slice_habits"), get(&mp4, "slice_habits"));
}

#[test]
fn a_grainy_display_whose_digits_split_is_learned_from_two_recordings() {
    let outs = keyframes::run(&[
        input(clip("grain1.mp4"), "G 1280x720"),
        input(clip("grain2.mp4"), "G 1280x720"),
    ]);
    assert_reads(&outs[0], 1773309989, "grain1.mp4");
    assert_reads(&outs[1], 1773310992, "grain2.mp4");
}

#[test]
fn hevc_recordings_are_read_too() {
    // x265 Main, a keyframe a second: learned from itself and read to the second.
    let outs = keyframes::run(&[input(clip("hevc.mp4"), "C 1280x720")]);
    assert_reads(&outs[0], 1773313200, "hevc.mp4");
    // x265's settings from its parameter sets, B-frames from the sample table, a keyframe
    // every ten pictures.
    let habits = outs[0].habits.as_deref().expect("HEVC habits");
    assert!(
        habits.starts_with("hevc ctb64 cb8 tb4-32 ")
            && habits.ends_with(" wpp1 dss0 bframes gop10"),
        "{habits}"
    );
    // x265's slice habits: one segment a picture, P pictures as TRAIL_R in layer 0, each
    // picture's reference set written in its own header (checked against ffmpeg's
    // trace_headers on the fixture).
    assert_eq!(
        outs[0].slice_habits.as_deref(),
        Some("hevc segs1 inter:P P:1/0 rps:own")
    );
    // Each end's kind and QP (x265 begins with an IDR_N_LP picture and goes on with CRA
    // pictures; ffmpeg's trace_headers reads slice_qp_delta 6 and 5 with init_qp 26).
    let end = |purpose: &str| {
        let k = outs[0].keyframes.iter().find(|k| k.purpose == purpose);
        k.and_then(|k| k.slice).map(|s| (s.kind, s.qp))
    };
    assert_eq!(end("first"), Some(("IDR", 32)));
    assert_eq!(end("last"), Some(("CRA", 31)));
}

#[test]
fn a_model_never_taught_reads_nothing() {
    // Alone in its group, short.mp4 (four seconds, 10:00:11 to 10:00:14) never shows its tens
    // digit change: no digit is pinned, so nothing is read rather than something guessed.
    let outs = keyframes::run(&[input(clip("short.mp4"), "C")]);
    let first = outs[0].first().expect("decoded");
    assert!(first.reading.is_none(), "{:?}", first.reading);
    // With a recorder of its model that did teach them, the same file is read.
    let outs = keyframes::run(&[input(clip("short.mp4"), "A"), input(clip("day.mp4"), "A")]);
    assert_reads(&outs[0], 1773309611, "short.mp4");
}

#[test]
fn hostile_and_truncated_files_give_a_note_not_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    let day = std::fs::read(clip("day.mp4")).expect("clip");
    // The moov kept, the pictures cut away, or cut through; pictures overwritten with noise.
    let moov = keyframes::find_index(&clip("day.mp4"))
        .expect("opens")
        .expect("moov");
    let cuts = [4096usize, day.len() * 2 / 3];
    let mut inputs = damaged(dir.path(), "mp4", &day, &moov, &cuts, (200, 3, 7));
    // Pictures that are filler (the media data zeroed, the sample table intact): nothing to
    // decode, and said so.
    let mut filler = day.clone();
    let mut at = 0usize;
    while at + 8 <= filler.len() {
        let size = u32::from_be_bytes(filler[at..at + 4].try_into().expect("4 bytes")) as usize;
        if size < 8 {
            break;
        }
        if &filler[at + 4..at + 8] == b"mdat" {
            let end = (at + size).min(filler.len());
            filler[at + 8..end].fill(0);
        }
        at += size;
    }
    let p = dir.path().join("filler.mp4");
    std::fs::write(&p, &filler).expect("write");
    inputs.push(Input {
        path: p,
        index: moov,
        group: "T".into(),
        stretch: None,
        seams: Default::default(),
    });
    let hostile = crate::util::real_media().join("hostile");
    for e in std::fs::read_dir(&hostile).expect("hostile corpus") {
        let path = e.expect("entry").path();
        if let Some(moov) = keyframes::find_index(&path).expect("opens") {
            inputs.push(Input {
                path,
                index: moov,
                group: "H".into(),
                stretch: None,
                seams: Default::default(),
            });
        }
    }
    let outs = keyframes::run(&inputs);
    assert_eq!(outs.len(), inputs.len());
    let noted = outs.iter().filter(|o| o.note.is_some()).count();
    assert!(
        noted >= 2,
        "the cut files are noted: {:?}",
        outs.iter().map(|o| &o.note).collect::<Vec<_>>()
    );
    let filler = &outs[3];
    assert_eq!(filler.decoded, 0);
    assert!(
        filler
            .note
            .as_deref()
            .is_some_and(|n| n.contains("no coded slice")),
        "{:?}",
        filler.note
    );
    for (o, i) in outs.iter().zip(&inputs) {
        if let Some(r) = o.first().and_then(|s| s.reading.as_ref()) {
            assert!(
                r.civil_s.is_none() || r.confidence > 0.5,
                "{}: {r:?}",
                i.path.display()
            );
        }
    }
}

/// A tree of recorder files named as the default path patterns expect: the clips of make-osd.sh
/// under two devices, file-name times in the default zone (Asia/Shanghai, UTC+8) matching what
/// the display shows.
fn recorder_tree(root: &Path) {
    let put = |dir: &str, name: &str, from: &str| {
        let d = root.join(dir);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::copy(clip(from), d.join(name)).expect("copy");
    };
    put(
        "DSJ-A0012/20260312",
        "DSJ-A0012_OF001234_20260312100007_0001.MP4",
        "day.mp4",
    );
    put(
        "DSJ-A0012/20260312",
        "DSJ-A0012_OF001234_20260312104005_0002.MP4",
        "later.mp4",
    );
    put(
        "DSJ-B0345/20260312",
        "DSJ-B0345_OF009876_20260312200003_0001.MP4",
        "night.mp4",
    );
}

#[test]
fn a_scan_fills_the_osd_columns_and_a_rescan_carries_them() {
    use crate::util::{by_name, get, num, rows, scan, utc_us};
    let t = tempfile::tempdir().expect("tmp");
    let (root, wh) = (t.path().join("ev"), t.path().join("wh"));
    recorder_tree(&root);
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    for (name, shown_utc) in [
        (
            "DSJ-A0012_OF001234_20260312100007_0001.MP4",
            "2026-03-12 02:00:07",
        ),
        (
            "DSJ-A0012_OF001234_20260312104005_0002.MP4",
            "2026-03-12 02:40:05",
        ),
        (
            "DSJ-B0345_OF009876_20260312200003_0001.MP4",
            "2026-03-12 12:00:03",
        ),
    ] {
        let r = by_name(&files, name);
        assert_eq!(
            get(r, "osd_start"),
            Some(utc_us(shown_utc).to_string().as_str()),
            "{name}: {r:?}"
        );
        assert!(get(r, "osd_end").is_some(), "{name}");
        // The display and the name agree: the offset is under a second (the display shows
        // whole seconds; the first keyframe is shown a fraction of a second into the file).
        assert!(
            num(r, "osd_offset_s").abs() < 1.0,
            "{name}: {:?}",
            get(r, "osd_offset_s")
        );
        assert!(num(r, "osd_confidence") > 0.5, "{name}");
        assert_eq!(get(r, "keyframes_decoded"), Some("2"), "{name}");
        assert_eq!(get(r, "keyframe_note"), None, "{name}");
        assert!(
            get(r, "osd_officer").is_some_and(|o| o.contains("12") || o.contains("98")),
            "{name}"
        );
    }
    // Each keyframe read is a row of `keyframes`: the first and last of each recording.
    let keyframes = rows(&wh.join("keyframes"));
    assert_eq!(keyframes.len(), 6, "{keyframes:?}");
    let first_of_night = keyframes
        .iter()
        .find(|k| {
            get(k, "purpose") == Some("first")
                && get(k, "path").is_some_and(|p| p.contains("DSJ-B0345"))
        })
        .expect("night's first keyframe");
    assert_eq!(get(first_of_night, "gop_index"), Some("0"));
    assert_eq!(get(first_of_night, "frame_type"), Some("IDR"));
    // x264 at CRF 40 (night.mp4): the keyframe's QP is in the encoder's range for that quality.
    let qp: i32 = get(first_of_night, "slice_qp")
        .expect("qp")
        .parse()
        .expect("number");
    assert!((25..=51).contains(&qp), "slice QP {qp}");
    assert_eq!(
        get(first_of_night, "osd_time"),
        Some(utc_us("2026-03-12 12:00:03").to_string().as_str())
    );
    // Rescanned unchanged: the values are carried, nothing is decoded again.
    scan(&[&root], &wh, &[]);
    assert_eq!(
        rows(&wh.join("keyframes")).len(),
        6,
        "keyframe rows carried"
    );
    let again = rows(&wh.join("files"));
    for r in &files {
        let name = get(r, "file_name").expect("name");
        let a = by_name(&again, name);
        for col in [
            "osd_start",
            "osd_end",
            "osd_offset_s",
            "osd_text",
            "osd_confidence",
            "keyframes_decoded",
        ] {
            assert_eq!(get(a, col), get(r, col), "{name} {col}");
        }
    }
    // Every keyframe read: a row each, each showing the time its place in the file says.
    let wh_all = t.path().join("wh_all");
    scan(&[&root], &wh_all, &["--keyframes", "all"]);
    let every = rows(&wh_all.join("keyframes"));
    // day.mp4 14 keyframes a second apart, later.mp4 8, night.mp4 12 two seconds apart.
    assert_eq!(every.len(), 14 + 8 + 12, "{every:?}");
    for k in &every {
        let path = get(k, "path").expect("path");
        let start = every
            .iter()
            .find(|o| get(o, "path") == Some(path) && get(o, "purpose") == Some("first"))
            .and_then(|o| get(o, "osd_time"))
            .and_then(|v| v.parse::<i64>().ok())
            .expect("the first keyframe's time");
        let shown: i64 = get(k, "osd_time")
            .unwrap_or_else(|| panic!("every keyframe reads: {k:?}"))
            .parse()
            .expect("number");
        let t_s = num(k, "t_s");
        assert!(
            ((shown - start) as f64 / 1e6 - t_s).abs() < 1.0,
            "{path}: {shown} at {t_s} s"
        );
    }
    let decoded: i64 = rows(&wh_all.join("files"))
        .iter()
        .filter_map(|f| get(f, "keyframes_decoded")?.parse::<i64>().ok())
        .sum();
    assert_eq!(decoded, 34);
    // Switched off: nothing decoded, nothing read.
    let wh2 = t.path().join("wh2");
    scan(&[&root], &wh2, &["--keyframes", "off"]);
    for r in rows(&wh2.join("files")) {
        assert_eq!(get(&r, "osd_start"), None);
        assert_eq!(get(&r, "keyframes_decoded"), None);
    }
}

#[test]
fn the_picture_finds_what_the_container_hides() {
    use crate::util::{get, rows, scan};
    let t = tempfile::tempdir().expect("tmp");
    let (root, wh) = (t.path().join("ev"), t.path().join("wh"));
    recorder_tree(&root);
    let put = |name: &str, from: &str| {
        let d = root.join("DSJ-A0012/20260312");
        std::fs::copy(clip(from), d.join(name)).expect("copy");
    };
    // Healthy: the next segment of day.mp4.
    put("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4");
    // Joined by stream copy: the display jumps 18 minutes at 6 s.
    put("DSJ-A0012_OF001234_20260312100200_0003.MP4", "joined.mp4");
    // Another device's footage: its display names DSJ-B0345.
    put("DSJ-A0012_OF001234_20260312100300_0004.MP4", "foreign.mp4");
    // Footage of a recorder numbered next, DSJ-A0013: one digit of the serial unlike.
    put(
        "DSJ-A0012_OF001234_20260312100500_0008.MP4",
        "neighbour.mp4",
    );
    // Re-encoded with the same size, frame rate and profile, other settings (CAVLC, one
    // reference, no B-frames, a keyframe each 3 s); its display is honest (10:35:00).
    put(
        "DSJ-A0012_OF001234_20260312103500_0007.MP4",
        "reencoded.mp4",
    );
    // Re-encoded with device A's parameter sets by an encoder writing eight slices a picture.
    put("DSJ-A0012_OF001234_20260312100400_0006.MP4", "sliced.mp4");
    // Renamed and re-stamped: recorded at 10:01:00, named (and its creation time) 10:30:00.
    put(
        "DSJ-A0012_OF001234_20260312103000_0005.MP4",
        "restamped.mp4",
    );
    scan(&[&root], &wh, &[]);
    let findings = rows(&wh.join("findings"));
    let osd: Vec<(String, String)> = findings
        .iter()
        .filter(|f| get(f, "rule_id").is_some_and(|r| r.starts_with("OSD-") || r == "ENC-HABIT"))
        .map(|f| {
            let path = get(f, "path").unwrap_or_default();
            let name = path.rsplit('/').next().unwrap_or_default().to_string();
            (get(f, "rule_id").unwrap_or_default().to_string(), name)
        })
        .collect();
    let mut expected = vec![
        (
            "OSD-JUMP".to_string(),
            "DSJ-A0012_OF001234_20260312100200_0003.MP4".to_string(),
        ),
        (
            "OSD-DEVICE".to_string(),
            "DSJ-A0012_OF001234_20260312100300_0004.MP4".to_string(),
        ),
        (
            "OSD-DEVICE".to_string(),
            "DSJ-A0012_OF001234_20260312100500_0008.MP4".to_string(),
        ),
        (
            "OSD-OFFSET".to_string(),
            "DSJ-A0012_OF001234_20260312103000_0005.MP4".to_string(),
        ),
        (
            "ENC-HABIT".to_string(),
            "DSJ-A0012_OF001234_20260312100400_0006.MP4".to_string(),
        ),
        (
            "ENC-HABIT".to_string(),
            "DSJ-A0012_OF001234_20260312103500_0007.MP4".to_string(),
        ),
    ];
    let mut got = osd.clone();
    got.sort();
    expected.sort();
    assert_eq!(
        got, expected,
        "the OSD findings, each with its kind, and none on a healthy file"
    );
    // The re-encodes, each by the habit that tells it.
    let message = |name: &str| {
        findings
            .iter()
            .find(|f| {
                get(f, "rule_id") == Some("ENC-HABIT")
                    && get(f, "path").is_some_and(|p| p.ends_with(name))
            })
            .and_then(|f| get(f, "message"))
            .unwrap_or_default()
            .to_string()
    };
    let sliced = message("_0006.MP4");
    assert!(
        sliced.contains("sliced as `slices:many types+5 nri:I3/P2`")
            && sliced.contains("`slices1 types+5 nri:I3/P2`"),
        "{sliced}"
    );
    let recoded = message("_0007.MP4");
    assert!(
        recoded.contains("coded as `cavlc ref1 no-bframes gop30"),
        "{recoded}"
    );
    let files = rows(&wh.join("files"));
    let sliced_row = crate::util::by_name(&files, "DSJ-A0012_OF001234_20260312100400_0006.MP4");
    assert_eq!(
        get(sliced_row, "coding_habits"),
        get(
            crate::util::by_name(&files, "DSJ-A0012_OF001234_20260312100021_0002.MP4"),
            "coding_habits"
        )
    );
    let joined = crate::util::by_name(&files, "DSJ-A0012_OF001234_20260312100200_0003.MP4");
    let jump: f64 = get(joined, "osd_jump_s")
        .expect("jump")
        .parse()
        .expect("number");
    let at: f64 = get(joined, "osd_jump_at_s")
        .expect("at")
        .parse()
        .expect("number");
    assert!((jump - 1074.0).abs() <= 1.5, "jump {jump}");
    let read_by_halves = rows(&wh.join("keyframes"))
        .iter()
        .filter(|k| get(k, "purpose") == Some("jump"))
        .count();
    assert!(
        // Three by halves, and the two beyond the jump's neighbours that confirm it.
        (1..=6).contains(&read_by_halves),
        "keyframes read to place the jump: {read_by_halves}"
    );
    assert!((5.5..=6.5).contains(&at), "at {at}");
}

/// A join where the scene spoils the display as the second recording starts (a box over it for
/// its first second): the keyframe where the two meet reads nothing, and the jump is placed
/// between the keyframes on either side that read, each side still confirmed by the keyframe
/// beyond it.
#[test]
fn a_join_whose_first_new_keyframe_does_not_read_is_found() {
    use crate::util::get;
    let (_t, wh, name) = join_scanned("joined-spoiled.mp4", &["--keyframes", "all"]);
    // The keyframe at 6 s, where the second recording starts, reads no time.
    let at_six = keyframe_row(&wh, name, 6);
    assert_eq!(get(&at_six, "osd_time"), None, "{at_six:?}");
    joined_at_six(&wh, name);
}

/// A join whose second recording's first keyframe shows a time that agrees with neither side
/// (10:20:05, then 10:20:01 on: as a first IDR misread `53` as `58` reads): the odd picture
/// stands between the sides as one that does not read, and the jump is placed past it, with
/// only the ends read to begin with (`--keyframes boundary`, the default).
#[test]
fn a_join_with_an_odd_picture_where_the_recordings_meet_is_found() {
    use crate::util::{get, num};
    let (_t, wh, name) = join_scanned("joined-odd.mp4", &[]);
    // Keyframe 6 was read, shows 10:20:05 (5 s ahead of the second recording's clock), and
    // well enough for the rules: an odd reading, not one that does not read.
    let odd = keyframe_row(&wh, name, 6);
    assert!(
        get(&odd, "osd_text").is_some_and(|t| t.starts_with("2026?03?12 10 20 05")),
        "{odd:?}"
    );
    assert!(num(&odd, "osd_confidence") >= 0.5, "{odd:?}");
    joined_at_six(&wh, name);
}

/// Contiguous segments: the clock in the picture runs on from one into the next (day, day2),
/// or does not (the third segment shows 10:00:11 where the names say 10:00:35).
#[test]
fn a_segment_whose_clock_does_not_run_on_is_inserted_footage() {
    use crate::util::{get, rows};
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312100035_0003.MP4", "short.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    let found: Vec<(String, String)> = rows(&wh.join("findings"))
        .iter()
        .filter(|f| get(f, "rule_id").is_some_and(|r| r.starts_with("OSD-") || r == "ENC-HABIT"))
        .map(|f| {
            let path = get(f, "path").unwrap_or_default();
            (
                get(f, "rule_id").unwrap_or_default().to_string(),
                path.rsplit('/').next().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "OSD-SEAM".to_string(),
            "DSJ-A0012_OF001234_20260312100035_0003.MP4".to_string()
        )]
    );
    let seam = rows(&wh.join("findings"))
        .into_iter()
        .find(|f| get(f, "rule_id") == Some("OSD-SEAM"))
        .expect("the finding");
    assert_eq!(get(&seam, "kind"), Some("inserted_footage"));
    assert!(
        get(&seam, "message").is_some_and(|m| m.contains("-24 s") && m.contains("_0002.MP4")),
        "{seam:?}"
    );
}

#[test]
fn a_later_night_reads_with_the_digits_an_earlier_run_learned() {
    use crate::util::{by_name, get, rows, scan, utc_us};
    let (_t, root, wh, dir) = evidence("DSJ-A0012");
    std::fs::copy(
        clip("day.mp4"),
        dir.join("DSJ-A0012_OF001234_20260312100007_0001.MP4"),
    )
    .expect("copy");
    scan(&[&root], &wh, &[]);
    let fonts = rows(&wh.join("osd_fonts"));
    let digits: std::collections::BTreeSet<&str> =
        fonts.iter().filter_map(|r| get(r, "digit")).collect();
    assert_eq!(digits.len(), 10, "all ten digits kept: {digits:?}");
    assert!(fonts.iter().all(
        |r| get(r, "display_group") == Some("device DSJ-A0012 1280x720")
            && get(r, "ink") == Some("edged")
    ));
    // The next night brings only four seconds of footage, too little to learn from: it is read
    // with what the first night learned.
    let short = "DSJ-A0012_OF001234_20260312100011_0002.MP4";
    std::fs::copy(clip("short.mp4"), dir.join(short)).expect("copy");
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    assert_eq!(
        get(by_name(&files, short), "osd_start"),
        Some(utc_us("2026-03-12 02:00:11").to_string().as_str())
    );
    // The fonts are carried to the next run, with the run that learned them.
    let again = rows(&wh.join("osd_fonts"));
    assert_eq!(again.len(), fonts.len());
    assert_eq!(
        get(&again[0], "learned_run_id"),
        get(&fonts[0], "learned_run_id")
    );
}

#[test]
fn a_bright_display_font_is_kept_with_its_ink_and_reads_the_next_night() {
    use crate::util::{by_name, get, rows, scan, utc_us};
    let (_t, root, wh, dir) = evidence("DSJ-S0051");
    let copy = |name: &str| {
        std::fs::copy(clip("shadow.mp4"), dir.join(name)).expect("copy");
    };
    copy("DSJ-S0051_OF005151_20260312113007_0001.MP4");
    scan(&[&root], &wh, &[]);
    let fonts = rows(&wh.join("osd_fonts"));
    assert!(!fonts.is_empty());
    assert!(fonts.iter().all(|r| get(r, "ink") == Some("bright")));
    // The next night's file is searched as bright text with the kept font: read without
    // learning (the font keeps the run that learned it).
    let next = "DSJ-S0051_OF005151_20260312113021_0002.MP4";
    copy(next);
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    assert_eq!(
        get(by_name(&files, next), "osd_start"),
        Some(utc_us("2026-03-12 03:30:07").to_string().as_str())
    );
    let again = rows(&wh.join("osd_fonts"));
    assert_eq!(
        get(&again[0], "learned_run_id"),
        get(&fonts[0], "learned_run_id")
    );
    assert!(again.iter().all(|r| get(r, "ink") == Some("bright")));
}

/// A group with more files in a run than the scan holds before deciding its font (64) is
/// decided while the read goes on, from its first files, and its later files are read as
/// they come: on a first scan the font learned so is kept (`osd_fonts`), on the next night a
/// kept font reads such a group without learning; every file is read either way.
#[test]
fn clock_columns_that_come_back_after_many_rows_are_written_in_their_places() {
    // Two recordings of a small group, first in path order, are read when the read has
    // ended (a group under 64 files is decided then), long after the rows behind them were
    // written (8,600 small notes after them): their columns are put in their places.
    use crate::util::{get, rows, scan, utc_us};
    let (_t, root, wh, dir) = evidence("DSJ-A0012");
    for (i, name) in [
        "DSJ-A0012_OF001234_20260312100007_0001.MP4",
        "DSJ-A0012_OF001234_20260312100021_0002.MP4",
    ]
    .iter()
    .enumerate()
    {
        let mut bytes = std::fs::read(clip("day.mp4")).expect("clip");
        bytes.extend_from_slice(&16u32.to_be_bytes());
        bytes.extend_from_slice(b"free");
        bytes.extend_from_slice(&(i as u64).to_be_bytes());
        std::fs::write(dir.join(name), bytes).expect("write");
    }
    let notes = root.join("zz-notes");
    std::fs::create_dir_all(&notes).expect("mkdir");
    for i in 0..8_600 {
        std::fs::write(notes.join(format!("note-{i:05}.txt")), format!("note {i}")).expect("write");
    }
    scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    assert_eq!(files.len(), 8_602);
    let shown = utc_us("2026-03-12 02:00:07").to_string();
    let read: Vec<_> = files
        .iter()
        .filter(|f| get(f, "osd_start").is_some())
        .map(|f| (get(f, "file_name"), get(f, "osd_start")))
        .collect();
    assert_eq!(read.len(), 2, "{read:?}");
    assert!(
        read.iter().all(|(_, s)| *s == Some(shown.as_str())),
        "{read:?}"
    );
    assert!(
        read.iter()
            .all(|(n, _)| n.is_some_and(|n| n.ends_with(".MP4"))),
        "{read:?}"
    );
}

#[test]
fn a_group_larger_than_the_scan_holds_is_read_while_the_read_goes_on() {
    use crate::util::{get, rows, scan, utc_us};
    let (_t, root, wh, dir) = evidence("DSJ-A0012");
    let day = std::fs::read(clip("day.mp4")).expect("clip");
    // Copies of one recording made distinct by a `free` box at the end, one every 14 seconds.
    let copies = |from: usize, n: usize| {
        for i in from..from + n {
            let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 12)
                .and_then(|d| d.and_hms_opt(10, 0, 7))
                .expect("time")
                + chrono::Duration::seconds(14 * i as i64);
            let name = format!(
                "DSJ-A0012_OF001234_{}_{:04}.MP4",
                at.format("%Y%m%d%H%M%S"),
                i + 1
            );
            let mut bytes = day.clone();
            bytes.extend_from_slice(&16u32.to_be_bytes());
            bytes.extend_from_slice(b"free");
            bytes.extend_from_slice(&(i as u64).to_be_bytes());
            std::fs::write(dir.join(name), bytes).expect("write");
        }
    };
    let shown = utc_us("2026-03-12 02:00:07").to_string();
    let check = |n: usize| {
        let files = rows(&wh.join("files"));
        assert_eq!(files.len(), n);
        for f in &files {
            assert_eq!(get(f, "osd_start"), Some(shown.as_str()), "{f:?}");
        }
        let kf = rows(&wh.join("keyframes"));
        for purpose in ["first", "last"] {
            let n_of = kf
                .iter()
                .filter(|r| get(r, "purpose") == Some(purpose))
                .count();
            assert_eq!(n_of, n, "{purpose} keyframes");
        }
        rows(&wh.join("osd_fonts"))
    };
    copies(0, 70);
    scan(&[&root], &wh, &[]);
    let fonts = check(70);
    assert!(!fonts.is_empty(), "the font learned while reading is kept");
    copies(70, 70);
    scan(&[&root], &wh, &[]);
    let again = check(140);
    assert_eq!(
        get(&again[0], "learned_run_id"),
        get(&fonts[0], "learned_run_id"),
        "the kept font read the new files: nothing learned again"
    );
}

/// Device A's session of `day.mp4` and `day2.mp4` and a third segment made from `third`, named
/// 10:00:35 (where day2 ends), scanned with `extra`: the session findings of the coding and
/// display rules, each as `rule severity name`.
fn third_segment_scanned(third: &str, extra: &[&str]) -> Vec<String> {
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312100035_0003.MP4", third),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, extra);
    let ids = [
        "INS-SESSION",
        "ENC-PARAMS",
        "OSD-RATE",
        "OSD-SEAM",
        "OSD-DEVICE",
        "OSD-JUMP",
        "CONT-GAP",
        "CONT-OVERLAP",
    ];
    let mut found = findings_of(&wh, &ids, '_');
    found.sort();
    found
}

#[test]
fn a_whole_segment_at_half_rate_in_the_dark_is_the_recorders_own_when_its_clock_runs_on() {
    // dark3.mp4: the 10 s after day2.mp4, one picture in two kept (5 fps against the
    // session's 10), as a recorder in the dark. Without the picture it differs from its
    // session by its frame rate alone, with the session's own software: inserted footage.
    let off = third_segment_scanned("dark3.mp4", &["--keyframes", "off"]);
    assert_eq!(off, ["INS-SESSION high 0003.MP4"]);
    // The picture's clock runs on from day2's into it, and its display names device A.
    let on = third_segment_scanned("dark3.mp4", &[]);
    assert_eq!(on, ["OSD-RATE info 0003.MP4"]);
}

#[test]
fn a_half_rate_segment_of_another_time_or_another_recorder_is_still_inserted() {
    // dark-other.mp4: the same kind of segment, showing 10:20:00: the clock does not run on.
    let other = third_segment_scanned("dark-other.mp4", &[]);
    assert_eq!(
        other,
        ["INS-SESSION high 0003.MP4", "OSD-SEAM high 0003.MP4"]
    );
    // dark-foreign.mp4: the same moments on another recorder (its display names B0345).
    let foreign = third_segment_scanned("dark-foreign.mp4", &[]);
    assert!(
        foreign.contains(&"INS-SESSION high 0003.MP4".to_string())
            && !foreign.iter().any(|f| f.starts_with("OSD-RATE")),
        "{foreign:?}"
    );
}

/// Device A's recordings day.mp4 and day2.mp4 (a session at 10:00), a recording made from
/// `alone` at 10:20:00 and later.mp4 at 10:40:05, scanned: the findings of ENC-PARAMS and
/// ENC-SETTING.
fn one_off_scanned(alone: &str, extra: &[&str]) -> Vec<String> {
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312102000_0003.MP4", alone),
        ("DSJ-A0012_OF001234_20260312104005_0004.MP4", "later.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, extra);
    findings_of(&wh, &["ENC-PARAMS", "ENC-SETTING", "ENC-HABIT"], '_')
}

#[test]
fn one_recording_at_a_lower_resolution_by_the_recorders_own_hand_is_a_setting_not_a_reencode() {
    // setting480.mp4: 848x480 among 1280x720 recordings, by the same software with the same
    // encoder habits (CABAC, B-frames): a setting changed for one recording.
    assert_eq!(
        one_off_scanned("setting480.mp4", &[]),
        ["ENC-SETTING info 0003.MP4"]
    );
    // The recording before it in the device's order another's remux (rate-spliced.mp4, a
    // stream-copy splice with other software strings): the recording after it still names the
    // device's software.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        (
            "DSJ-A0012_OF001234_20260312100200_0003.MP4",
            "rate-spliced.mp4",
        ),
        (
            "DSJ-A0012_OF001234_20260312102000_0004.MP4",
            "setting480.mp4",
        ),
        ("DSJ-A0012_OF001234_20260312104005_0005.MP4", "later.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(
        findings_of(&wh, &["ENC-PARAMS", "ENC-SETTING"], '_'),
        ["ENC-SETTING info 0004.MP4"]
    );
    // The same recording coded by another hand (CAVLC, no B-frames): re-encoded.
    assert_eq!(
        one_off_scanned("setting480-cavlc.mp4", &[]),
        ["ENC-PARAMS high 0003.MP4"]
    );
}

#[test]
fn a_position_shown_before_the_device_number_is_not_taken_for_it() {
    use crate::util::{get, rows};
    // position1-5.mp4: a display showing the position first (N30.02.., one recording at
    // N29.99..), then device DSJ-C0077 and its officer. Taken as the device number, the
    // position's degrees differ in two digits on the recording south of the parallel.
    let (_t, wh) = numbered_scanned(
        "DSJ-C0077",
        "OF004321",
        &["130005", "140017", "150029", "160041", "170053"],
        "position",
    );
    let shown: Vec<String> = rows(&wh.join("files"))
        .iter()
        .filter_map(|f| get(f, "osd_device").map(str::to_string))
        .collect();
    assert!(
        shown.len() == 5 && shown.iter().all(|d| d.ends_with("0077")),
        "{shown:?}"
    );
    assert_eq!(osd_findings(&wh), Vec::<String>::new());
}

#[test]
fn a_small_displays_digit_misread_in_one_picture_makes_no_finding() {
    use crate::util::{get, rows};
    // small1-5.mp4: five honest 640x360 recordings whose 16-pixel display the learned font
    // misreads now and then at a confidence over the rules': in small4 the month at the first
    // keyframe and a minute near the end (whose last two keyframes read no date), in small5 a
    // digit of the device number at the first keyframe. Before, the misread near small4's
    // end confirmed itself as a jump (the weak last keyframe took its stand-in's offset), and
    // small5's first reading alone named another device.
    let (_t, wh) = numbered_scanned(
        "DSJ-W0014",
        "OF000114",
        &["100000", "100020", "100040", "110000", "110020"],
        "small",
    );
    assert_eq!(osd_findings(&wh), Vec::<String>::new());
    let files = rows(&wh.join("files"));
    // Every file still read at both ends (the misread month set aside).
    let read = files
        .iter()
        .filter(|f| get(f, "osd_start").is_some() && get(f, "osd_end").is_some())
        .count();
    assert!(read >= 4, "{read} of 5 read");
}

#[test]
fn seconds_lost_at_a_cut_that_the_picture_shows_too_are_a_gap() {
    // day.mp4 (10:00:07-10:00:21) and day-late.mp4, whose display starts at 10:00:24, named
    // as it shows: the names leave 3 s, and so does the picture's clock. Footage missing.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100024_0002.MP4", "day-late.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(
        findings_of(&wh, &["CONT-GAP", "OSD-GAP"], '_'),
        ["CONT-GAP high 0002.MP4"]
    );
}

#[test]
fn names_without_a_segment_number_still_make_the_devices_sessions() {
    use crate::util::{get, rows};
    // Recorders that name their files by time alone, or write the date and time apart, with
    // the default patterns: each file has its device and officer (no META-DEVICE), the files
    // make one session, and the continuity rules judge the seams as for numbered names.
    let named = [
        [
            "DSJ-A0012_OF001234_20260312100007.MP4",
            "DSJ-A0012_OF001234_20260312100021.MP4",
        ],
        [
            "DSJ-A0012_OF001234_20260312_100007_0001.MP4",
            "DSJ-A0012_OF001234_20260312_100021_0002.MP4",
        ],
        [
            "DSJ-A0012_20260312-100007.MP4",
            "DSJ-A0012_20260312-100021.MP4",
        ],
        ["20260312_100007.MP4", "20260312_100021.MP4"],
    ];
    for [first, second] in named {
        let files = [(first, "day.mp4"), (second, "day2.mp4")];
        let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
        let got = rows(&wh.join("files"));
        for f in &got {
            assert_eq!(get(f, "device_id"), Some("DSJ-A0012"), "{first}");
        }
        let sessions: std::collections::BTreeSet<_> =
            got.iter().filter_map(|f| get(f, "session_id")).collect();
        assert_eq!(sessions.len(), 1, "{first}: {sessions:?}");
        let ids = [
            "META-DEVICE",
            "CONT-GAP",
            "CONT-OVERLAP",
            "OSD-SEAM",
            "OSD-OFFSET",
        ];
        assert_eq!(findings_of(&wh, &ids, '/'), Vec::<String>::new(), "{first}");
    }
    // Three seconds lost between them, in the names and the picture: the gap is found.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100024.MP4", "day-late.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(
        findings_of(&wh, &["CONT-GAP", "OSD-GAP", "META-DEVICE"], '_'),
        ["CONT-GAP high 20260312100024.MP4"]
    );
}

#[test]
fn files_marked_important_or_kept_in_an_event_folder_stay_their_devices_segments() {
    // Recorders and upload stations mark a file important or locked by a mark after its
    // number (`_IMP`, `-LOCK`) or before its name (`IMP_`, or an officer's name), or keep it
    // in a folder of its own (`EVENT/`, `EMR/`) under the device's. Read with the default patterns, each file is still device A's, numbered and
    // timed: one session, no device missing, no segment missing.
    use crate::util::{get, rows};
    let trees = [
        [
            "DSJ-A0012/DSJ-A0012_OF001234_20260312100007_0001.MP4",
            "DSJ-A0012/DSJ-A0012_OF001234_20260312100021_0002_IMP.MP4",
            "DSJ-A0012/EVENT/DSJ-A0012_OF001234_20260312100035_0003-LOCK.MP4",
        ],
        [
            "DSJ-A0012/20260312_100007_0001.MP4",
            "DSJ-A0012/EMR/20260312_100021_0002_IMP.MP4",
            "DSJ-A0012/EVENT/20260312/20260312100035.MP4",
        ],
        // A word before the name: an upload station's officer name, a mark.
        [
            "DSJ-A0012/张三_DSJ-A0012_OF001234_20260312100007_0001.MP4",
            "DSJ-A0012/IMP_DSJ-A0012_OF001234_20260312100021_0002.MP4",
            "DSJ-A0012/DSJ-A0012_OF001234_20260312100035_0003.MP4",
        ],
    ];
    for names in trees {
        let t = crate::util::tmp();
        let (root, wh) = (t.path().join("ev"), t.path().join("wh"));
        // Three contiguous 14-s recordings (10:00:07, 10:00:21, 10:00:35).
        for (name, from) in names.iter().zip(["day.mp4", "day2.mp4", "cjk.mp4"]) {
            let to = root.join(name);
            std::fs::create_dir_all(to.parent().expect("a folder")).expect("mkdir");
            std::fs::copy(clip(from), to).expect("copy");
        }
        crate::util::scan(&[&root], &wh, &["--keyframes", "off"]);
        let got = rows(&wh.join("files"));
        let read: Vec<(Option<&str>, Option<&str>)> = got
            .iter()
            .map(|f| (get(f, "device_id"), get(f, "segment_seq")))
            .collect();
        assert!(
            read.iter().all(|(d, _)| *d == Some("DSJ-A0012")),
            "{names:?}: {read:?}"
        );
        let sessions: std::collections::BTreeSet<_> =
            got.iter().filter_map(|f| get(f, "session_id")).collect();
        assert_eq!(sessions.len(), 1, "{names:?}: {sessions:?}");
        let ids = [
            "META-DEVICE",
            "CONT-MISSING",
            "CONT-GAP",
            "CONT-OVERLAP",
            "CONT-NUMBERING",
        ];
        assert_eq!(
            findings_of(&wh, &ids, '/'),
            Vec::<String>::new(),
            "{names:?}"
        );
    }
}

#[test]
fn a_changed_path_reading_is_applied_to_the_carried_rows_without_reading_them_again() {
    // A tree first scanned with a pattern that does not fit its names (a recorder nobody
    // configured for), then with the defaults, then in UTC: each rescan reads no byte, and
    // every carried row says what the new reading says (device, officer, name time, session),
    // as a first scan with that reading would.
    use crate::util::{get, rows};
    let (t, root, wh) = tree_of(
        "DSJ-A0012",
        &[
            ("DSJ-A0012_OF001234_20260312100007.MP4", "day.mp4"),
            ("DSJ-A0012_OF001234_20260312100021.MP4", "day2.mp4"),
        ],
    );
    let config = |name: &str, text: &str| {
        let p = t.path().join(name);
        std::fs::write(&p, text).expect("config");
        p
    };
    let narrow = config(
        "narrow.toml",
        "[[path_patterns]]\nname = \"numbered\"\nregex = '(?P<device>[A-Z0-9-]+)_(?P<officer>[A-Z0-9]+)_(?P<datetime>\\d{14})_(?P<seq>\\d+)\\.MP4$'\n",
    );
    let utc = config("utc.toml", "timezone = \"UTC\"\n");
    let scan_with = |extra: &[&str]| {
        let args: Vec<&str> = extra.iter().copied().chain(["--json"]).collect();
        let out = crate::util::scan(&[&root], &wh, &args);
        let summary: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("the run summary as JSON");
        let reread = summary["paths_read_again"].as_bool();
        let runs = rows(&wh.join("runs"));
        let last = runs
            .iter()
            .max_by_key(|r| get(r, "started").map(str::to_string));
        let hashed = last
            .and_then(|r| get(r, "hashed_bytes"))
            .map(str::to_string);
        let files = rows(&wh.join("files"));
        let facts: Vec<[Option<String>; 4]> = files
            .iter()
            .map(|f| {
                let g = |c: &str| get(f, c).map(str::to_string);
                [
                    g("device_id"),
                    g("officer_id"),
                    g("name_time"),
                    g("session_id"),
                ]
            })
            .collect();
        let unattributed = findings_of(&wh, &["META-DEVICE"], '_').len();
        (hashed, facts, unattributed, reread)
    };
    let narrow = narrow.to_str().expect("utf-8");
    let (_, facts, unattributed, reread) = scan_with(&["--config", narrow]);
    assert_eq!(reread, Some(false), "a first scan carries nothing");
    assert!(
        facts.iter().all(|f| f[0].is_none() && f[3].is_none()),
        "{facts:?}"
    );
    assert_eq!(unattributed, 2);
    let (hashed, facts, unattributed, reread) = scan_with(&[]);
    assert_eq!(
        reread,
        Some(true),
        "the summary says the paths were read again"
    );
    assert_eq!(hashed.as_deref(), Some("0"), "nothing read again");
    assert_eq!(unattributed, 0);
    let session = "DSJ-A0012@20260312T020007Z";
    for f in &facts {
        assert_eq!(f[0].as_deref(), Some("DSJ-A0012"));
        assert_eq!(f[1].as_deref(), Some("OF001234"));
        assert_eq!(f[3].as_deref(), Some(session));
    }
    let at = |t: &str| crate::util::utc_us(t).to_string();
    let times: Vec<_> = facts.iter().filter_map(|f| f[2].clone()).collect();
    assert!(times.contains(&at("2026-03-12 02:00:07")), "{times:?}");
    // The same reading again: the rows as they were.
    let (hashed, again, _, reread) = scan_with(&[]);
    assert_eq!(
        (hashed.as_deref(), &again, reread),
        (Some("0"), &facts, Some(false))
    );
    // Another zone: the names' times move by eight hours, read from the paths again.
    let (hashed, facts, _, _) = scan_with(&["--config", utc.to_str().expect("utf-8")]);
    assert_eq!(hashed.as_deref(), Some("0"));
    let times: Vec<_> = facts.iter().filter_map(|f| f[2].clone()).collect();
    assert!(times.contains(&at("2026-03-12 10:00:07")), "{times:?}");
}

#[test]
fn an_encoder_that_keys_at_scene_changes_keys_a_busy_recording_sooner_by_its_own_hand() {
    // scene1-5.mp4: five contiguous recordings of an encoder that keys every 20 pictures and
    // at scene changes; the third cuts between scenes every 1.5 s, so its keyframes come
    // sooner (usual step 15, `gop15s`). Keyed at most as far apart as the others: no other
    // encoder's hand.
    use crate::util::{get, rows};
    let names: Vec<(String, String)> = (1..=5)
        .map(|k| {
            let t = 100000 + (k - 1) * 12;
            (
                format!("DSJ-A0077_004321_20260312{t:06}_{k:04}.MP4"),
                format!("scene{k}.mp4"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (_t, wh) = tree_scanned("DSJ-A0077", &files, &[]);
    let habits: Vec<String> = rows(&wh.join("files"))
        .iter()
        .filter_map(|f| {
            Some(format!(
                "{} {}",
                get(f, "file_name")?,
                get(f, "coding_habits")?
            ))
        })
        .collect();
    let gops = |tag: &str| habits.iter().filter(|h| h.contains(tag)).count();
    assert_eq!((gops(" gop20 "), gops(" gop15s ")), (4, 1), "{habits:?}");
    let ids = [
        "ENC-HABIT",
        "ENC-PARAMS",
        "INS-SESSION",
        "OSD-SEAM",
        "OSD-JUMP",
        "CONT-GAP",
    ];
    assert_eq!(findings_of(&wh, &ids, '_'), Vec::<String>::new());
}

#[test]
fn a_first_segment_named_at_the_button_press_after_its_pre_record_overlaps_no_footage() {
    // day.mp4's picture starts at 10:00:07; named 10:00:17 (10 s of pre-record before the
    // press), it overlaps day2.mp4 (10:00:21) by 10 s by the names, while the picture's clock
    // runs on from its end into day2's start.
    let files = [
        ("DSJ-A0012_OF001234_20260312100017_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    let ids = ["CONT-OVERLAP", "OSD-PRERECORD", "OSD-OFFSET", "OSD-SEAM"];
    assert_eq!(findings_of(&wh, &ids, '_'), ["OSD-PRERECORD info 0002.MP4"]);
    // Footage of another time overlapping by the names (later.mp4 shows 10:40:05) overlaps
    // in the picture too: still an overlap.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100015_0002.MP4", "later.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(
        findings_of(&wh, &ids[..2], '_'),
        ["CONT-OVERLAP warn 0002.MP4"]
    );
}

#[test]
fn a_clock_set_while_recording_is_a_reset_clock_not_a_join_and_its_number_is_no_gap() {
    // clockset.mp4 shows 2000-01-01 00:00:00 for 6 s, then 10:20:00 (set by satellite time),
    // and is named from the reset clock, between two of the day's recordings, in the
    // device's numbering: the clock was set (OSD-RESET, CLK-RESET), nothing was joined, and
    // number 0002 is there, though its name puts it in 2000.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20000101000000_0002.MP4", "clockset.mp4"),
        ("DSJ-A0012_OF001234_20260312104005_0003.MP4", "later.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    let ids = ["OSD-JUMP", "OSD-RESET", "CLK-RESET", "CONT-MISSING"];
    let mut found = findings_of(&wh, &ids, '_');
    found.sort();
    assert_eq!(
        found,
        ["CLK-RESET warn 0002.MP4", "OSD-RESET warn 0002.MP4"]
    );
    let message = crate::util::rows(&wh.join("findings"))
        .iter()
        .find(|f| crate::util::get(f, "rule_id") == Some("OSD-RESET"))
        .and_then(|f| crate::util::get(f, "message").map(str::to_owned))
        .unwrap_or_default();
    assert!(
        message.contains("10:20:05") && message.contains("set while it recorded"),
        "{message}"
    );
}

#[test]
fn segment_numbers_a_recorder_gives_to_files_not_kept_are_no_missing_footage() {
    // A recorder numbering every recording two apart (its sub-stream takes the number
    // between, and is not kept): day.mp4, day2.mp4 and dark3.mp4 run on from one into the
    // next, later.mp4 comes after a pause. No footage is missing.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0003.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312100035_0005.MP4", "dark3.mp4"),
        ("DSJ-A0012_OF001234_20260312104005_0007.MP4", "later.mp4"),
    ];
    let ids = ["CONT-MISSING", "CONT-NUMBERING", "CONT-GAP"];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(findings_of(&wh, &ids, '_'), Vec::<String>::new());
    // One such skip alone is no habit: information, as the recording runs on.
    let (_t, wh) = tree_scanned("DSJ-A0012", &files[..2], &[]);
    assert_eq!(
        findings_of(&wh, &ids, '_'),
        ["CONT-NUMBERING info 0003.MP4"]
    );
    // A recording missing from that numbering leaves its number and its time: still missing.
    let files = [
        files[0],
        files[1],
        files[2],
        ("DSJ-A0012_OF001234_20260312104005_0009.MP4", "later.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(findings_of(&wh, &ids, '_'), ["CONT-MISSING high 0009.MP4"]);
    // Numbers skipped where the names overlap (later.mp4, of 10:40, named 10:00:15): the
    // overlap is what is reported.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100015_0003.MP4", "later.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    let with_overlap = ["CONT-MISSING", "CONT-NUMBERING", "CONT-GAP", "CONT-OVERLAP"];
    assert_eq!(
        findings_of(&wh, &with_overlap, '_'),
        ["CONT-OVERLAP warn 0003.MP4"]
    );
    // A segment deleted from the middle of a recording numbered one by one: its number and
    // its 14 s are missing.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100035_0003.MP4", "dark3.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(findings_of(&wh, &ids, '_'), ["CONT-MISSING high 0003.MP4"]);
}

#[test]
fn a_pooled_recorder_showing_only_the_officers_number_names_no_other_device() {
    // One recorder, checked out by officer 071234 in the morning and 072345 in the
    // afternoon; its display shows the officer's number alone. That number changing is no
    // other device's footage.
    let files = [
        ("DSJ-Q0099_071234_20260312100007_0001.MP4", "pooled1.mp4"),
        ("DSJ-Q0099_071234_20260312103007_0002.MP4", "pooled2.mp4"),
        ("DSJ-Q0099_072345_20260312150007_0003.MP4", "pooled3.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-Q0099", &files, &[]);
    assert_eq!(osd_findings(&wh), Vec::<String>::new());
    let rows = crate::util::rows(&wh.join("files"));
    let f = crate::util::by_name(&rows, "DSJ-Q0099_072345_20260312150007_0003.MP4");
    assert!(crate::util::get(f, "osd_start").is_some(), "{f:?}");
    assert_eq!(
        (
            crate::util::get(f, "osd_device"),
            crate::util::get(f, "osd_officer")
        ),
        (None, Some("072345"))
    );
}

#[test]
fn a_night_at_half_rate_keyed_each_second_is_no_other_encoders_hand() {
    // night5.mp4: device A's encoder at 5 fps with a keyframe each second (`gop5`) between
    // its 10 fps recordings (`gop10`, also a keyframe each second): a setting of the
    // recorder's (ENC-SETTING), not a re-encode (ENC-HABIT).
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312100500_0003.MP4", "bottom.mp4"),
        ("DSJ-A0012_OF001234_20260312102000_0004.MP4", "night5.mp4"),
        ("DSJ-A0012_OF001234_20260312104005_0005.MP4", "later.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    let ids = ["ENC-HABIT", "ENC-PARAMS", "ENC-SETTING"];
    assert_eq!(findings_of(&wh, &ids, '_'), ["ENC-SETTING info 0004.MP4"]);
}

#[test]
fn a_recovery_point_listed_as_a_sync_sample_is_never_read_as_a_picture_of_its_own() {
    // refresh1-2.mp4: an encoder refreshing its picture a column at a time, one IDR at the
    // start and a recovery point (a P picture the muxer lists as a sync sample) every 2 s.
    // Decoded after the IDR, the second recording's last recovery point (18 s in) showed
    // 10:10:06, its references' picture: read as the recording's end, a clock 12 s behind
    // (on other footage, the IDR's own clock: a clock standing still). Only the IDR is read.
    let files = [
        ("DSJ-A0078_007878_20260312100000_0001.MP4", "refresh1.mp4"),
        ("DSJ-A0078_007878_20260312101000_0002.MP4", "refresh2.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0078", &files, &[]);
    assert_eq!(
        file_values(&wh, &["osd_start", "osd_end", "keyframes_decoded"]),
        [
            // 2026-03-12 10:00:00 and 10:10:00 in Shanghai, in microseconds
            "1773280800000000 - 1",
            "1773281400000000 - 1"
        ]
    );
    let ids = [
        "OSD-JUMP",
        "OSD-OFFSET",
        "OSD-RATE",
        "OSD-SEAM",
        "ENC-HABIT",
    ];
    assert_eq!(findings_of(&wh, &ids, '_'), Vec::<String>::new());
}

/// A copy of `from` at `to` whose sync-sample table (`stss`) is renamed `free`, as a muxer
/// that writes none leaves it: every picture a sync sample by the standard.
fn without_sync_table(from: &Path, to: &Path) {
    let mut bytes = std::fs::read(from).expect("read");
    let at = bytes
        .windows(4)
        .position(|w| w == b"stss")
        .expect("an stss box");
    bytes[at..at + 4].copy_from_slice(b"free");
    std::fs::write(to, bytes).expect("write");
}

#[test]
fn an_mp4_without_a_sync_sample_table_is_keyed_where_its_pictures_decode_alone() {
    // day.mp4 and day2.mp4 (a keyframe every 10 pictures) as a muxer writing no `stss` leaves
    // them: read as their copies with the table are, the clock at both ends, keyed every 10.
    use crate::util::{get, rows};
    let (_t, root, wh, d) = evidence("DSJ-A0012");
    for (to, from) in [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
    ] {
        without_sync_table(&clip(from), &d.join(to));
    }
    crate::util::scan(&[&root], &wh, &[]);
    let read: Vec<String> = rows(&wh.join("files"))
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                get(f, "osd_start").unwrap_or("-"),
                get(f, "osd_end").unwrap_or("-"),
                get(f, "coding_habits")
                    .and_then(|h| h.split(' ').find(|w| w.starts_with("gop")))
                    .unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            // 10:00:07-10:00:20 and 10:00:21-10:00:34 in Shanghai, in microseconds
            "1773280807000000 1773280820000000 gop10",
            "1773280821000000 1773280834000000 gop10"
        ]
    );
}

/// A copy of `from` at `to` whose sync-sample table (`stss`) names the picture after each
/// keyframe instead (a P picture), as a broken muxer might: no keyframe it names decodes alone.
fn with_sync_samples_one_late(from: &Path, to: &Path) {
    let mut bytes = std::fs::read(from).expect("read");
    let at = bytes
        .windows(4)
        .position(|w| w == b"stss")
        .expect("an stss box");
    let count = u32::from_be_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes")) as usize;
    for k in 0..count {
        let e = at + 12 + 4 * k;
        let n = u32::from_be_bytes(bytes[e..e + 4].try_into().expect("4 bytes"));
        bytes[e..e + 4].copy_from_slice(&(n + 1).to_be_bytes());
    }
    std::fs::write(to, bytes).expect("write");
}

#[test]
fn keyframes_none_of_which_decodes_alone_are_said_so() {
    // day.mp4 with its sync samples moved one picture on: the stage decodes none (each would
    // show its references' moment) and says why; before, `keyframes_decoded` 0 and no note.
    use crate::util::{get, rows};
    let (_t, root, wh, d) = evidence("DSJ-A0012");
    with_sync_samples_one_late(
        &clip("day.mp4"),
        &d.join("DSJ-A0012_OF001234_20260312100007_0001.MP4"),
    );
    crate::util::scan(&[&root], &wh, &[]);
    let files = rows(&wh.join("files"));
    let f = &files[0];
    assert_eq!(get(f, "keyframes_decoded"), Some("0"), "{f:?}");
    assert_eq!(get(f, "osd_start"), None);
    assert!(
        get(f, "keyframe_note").is_some_and(|n| n.contains("decodes alone")),
        "{f:?}"
    );
}

#[test]
fn a_display_writing_the_year_last_is_read_in_its_own_order_once_the_order_is_known() {
    // dmy1-2.mp4: a display writing day.month.year, on 15 March (15.03.2026: only day first
    // makes it a date) and on 12 March (12.03.2026, read day first as the device's order).
    // amb1-2.mp4: month/day/year on 12 March only (03/12/2026): either order makes a date, so
    // none is read rather than one that may be nine months off.
    let starts = |wh: &Path| file_values(wh, &["osd_start"]);
    let orders = |wh: &Path| font_values(wh, "date_order");
    let files = [
        ("DSJ-A0079_007979_20260312100000_0001.MP4", "dmy2.mp4"),
        ("DSJ-A0079_007979_20260315100000_0002.MP4", "dmy1.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0079", &files, &[]);
    // 2026-03-12 and 2026-03-15 at 10:00:00 in Shanghai, in microseconds.
    assert_eq!(starts(&wh), ["1773280800000000", "1773540000000000"]);
    assert_eq!(orders(&wh), ["dmy".to_string()].into());
    assert_eq!(findings_of(&wh, &DISPLAY_RULES, '_'), Vec::<String>::new());
    let files = [
        ("DSJ-A0080_008080_20260312100000_0001.MP4", "amb1.mp4"),
        ("DSJ-A0080_008080_20260312101000_0002.MP4", "amb2.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0080", &files, &[]);
    assert_eq!(starts(&wh), ["-", "-"]);
    assert_eq!(orders(&wh), ["year last".to_string()].into());
    assert_eq!(findings_of(&wh, &DISPLAY_RULES, '_'), Vec::<String>::new());
}

#[test]
fn black_digits_on_a_white_strip_are_read() {
    // dark1-2.mp4: `2026-03-12 10:00:00  DSJ-A0082 008282` in black on a white strip, 12 s at
    // 10:00:00 and 10:10:00. Before, only light text was looked for and nothing was read.
    let files = [
        ("DSJ-A0082_008282_20260312100000_0001.MP4", "dark1.mp4"),
        ("DSJ-A0082_008282_20260312101000_0002.MP4", "dark2.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0082", &files, &[]);
    assert_eq!(
        file_values(&wh, &["osd_start", "osd_end", "osd_device_sure"]),
        [
            "1773280800000000 1773280811000000 ?????0082",
            "1773281400000000 1773281411000000 ?????0082"
        ]
    );
    assert_eq!(font_values(&wh, "ink"), ["dark".to_string()].into());
    assert_eq!(findings_of(&wh, &DISPLAY_RULES, '_'), Vec::<String>::new());
}

#[test]
fn a_display_showing_the_time_before_the_date_is_read() {
    // tfirst1-2.mp4: `10:00:00 2026/03/12  DSJ-A0081 008181`, 12 s at 10:00:00 and 10:10:00.
    // Before, the display was not learned (no date before the time) and nothing was read.
    let files = [
        ("DSJ-A0081_008181_20260312100000_0001.MP4", "tfirst1.mp4"),
        ("DSJ-A0081_008181_20260312101000_0002.MP4", "tfirst2.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0081", &files, &[]);
    // 10:00:00 and 10:10:00 in Shanghai, in microseconds; the device number after the date.
    assert_eq!(
        file_values(&wh, &["osd_start", "osd_device_sure"]),
        ["1773280800000000 ?????0081", "1773281400000000 ?????0081"]
    );
    assert_eq!(
        font_values(&wh, "date_order"),
        ["time, ymd".to_string()].into()
    );
    assert_eq!(findings_of(&wh, &DISPLAY_RULES, '_'), Vec::<String>::new());
}

/// Each session of a warehouse as `start end file_count`, sorted.
fn session_values(wh: &Path) -> Vec<String> {
    use crate::util::{get, rows};
    let mut out: Vec<String> = rows(&wh.join("sessions"))
        .iter()
        .map(|s| {
            ["start", "end", "file_count"]
                .map(|c| get(s, c).unwrap_or("-"))
                .join(" ")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_recorder_naming_files_at_their_close_or_at_their_recordings_start_has_no_overlaps() {
    // Device A's files named at their close: day.mp4 (the clock 10:00:07 to 10:00:20, 14 s)
    // as 10:00:21, day2.mp4 as 10:00:35, close0.mp4 (6 s) as 10:00:41; close1.mp4 (11:00:00,
    // 12 s) as 11:00:12 and close2.mp4 (5 s) as 11:00:17. Before, each recording's shorter
    // last segment overlapped the one before (CONT-OVERLAP, warn, on close0; OSD-PRERECORD on
    // close2, after its session's first segment).
    let files = [
        ("DSJ-A0012_OF001234_20260312100021_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100035_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312100041_0003.MP4", "close0.mp4"),
        ("DSJ-A0012_OF001234_20260312110012_0004.MP4", "close1.mp4"),
        ("DSJ-A0012_OF001234_20260312110017_0005.MP4", "close2.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    let rules = [
        "CONT-OVERLAP",
        "CONT-GAP",
        "CONT-MISSING",
        "OSD-PRERECORD",
        "OSD-GAP",
        "CLK-MISMATCH",
        "INS-SESSION",
    ];
    assert_eq!(findings_of(&wh, &rules, '_'), Vec::<String>::new());
    assert_eq!(findings_of(&wh, &DISPLAY_RULES, '_'), Vec::<String>::new());
    // Two sessions, from each recording's start (10:00:07 and 11:00:00 in Shanghai) to its
    // end, three segments and two.
    assert_eq!(
        session_values(&wh),
        [
            "1773280807000000 1773280841000000 3",
            "1773284400000000 1773284417000000 2"
        ]
    );
    // The files table keeps the names as written.
    let names = file_values(&wh, &["name_time"]);
    assert_eq!(names[2], "1773280841000000");

    // A recorder naming every segment by its recording's start, a part number after it: the
    // same three files all named 10:00:07. Before, CONT-OVERLAP (warn) on the third and
    // OSD-PRERECORD on the second.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100007_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312100007_0003.MP4", "close0.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(findings_of(&wh, &rules, '_'), Vec::<String>::new());
    assert_eq!(findings_of(&wh, &DISPLAY_RULES, '_'), Vec::<String>::new());
    assert_eq!(session_values(&wh), ["1773280807000000 1773280841000000 3"]);
}

#[test]
fn a_recording_keyed_or_coded_at_another_setting_by_the_devices_own_encoder_is_a_setting() {
    // calm.mp4: device A's encoder keying every 2 s (20 pictures) where its other recordings
    // key every second, coded alike otherwise, between day2.mp4 and later.mp4. Before,
    // ENC-HABIT (`high`). reencoded.mp4 (CAVLC, one reference, no B-frames, every 3 s) in
    // its place is still ENC-HABIT.
    let mut files = vec![
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312102000_0003.MP4", "calm.mp4"),
        ("DSJ-A0012_OF001234_20260312104005_0004.MP4", "later.mp4"),
    ];
    let rules = ["ENC-HABIT", "ENC-SETTING", "ENC-PARAMS"];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(findings_of(&wh, &rules, '_'), ["ENC-SETTING info 0003.MP4"]);
    // hq.mp4: keyed every second, at a higher quality (its initial QP 24 where the device's
    // is 32). Before, ENC-HABIT (`high`).
    files[2].1 = "hq.mp4";
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(findings_of(&wh, &rules, '_'), ["ENC-SETTING info 0003.MP4"]);
    files[2].1 = "reencoded.mp4";
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    assert_eq!(findings_of(&wh, &rules, '_'), ["ENC-HABIT high 0003.MP4"]);
}

#[test]
fn a_twelve_hour_clock_turning_at_one_and_at_midnight_is_no_join() {
    // twelve0-2.mp4: `2026-03-12 09:59:54 AM  DSJ-A0091 009191`, 12 s each: in the morning,
    // across 1 pm, and from 11:59:54 PM to 12:00:05 AM of the 13th. AM and PM are letters,
    // which are not read: the second steps back twelve hours at 01:00:00, the third a day on
    // at midnight (12:00:00 of the 13th read as its noon). Before, the midnight step was
    // OSD-JUMP (`high`).
    let files = [
        ("DSJ-A0091_009191_20260312095954_0001.MP4", "twelve0.mp4"),
        ("DSJ-A0091_009191_20260312125954_0002.MP4", "twelve1.mp4"),
        ("DSJ-A0091_009191_20260312235954_0003.MP4", "twelve2.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0091", &files, &[]);
    // The display as read: 09:59:54, 12:59:54 and 11:59:54 (in the morning, for want of the
    // marker).
    assert_eq!(
        file_values(&wh, &["osd_start", "osd_jump_s", "osd_jump_inside_gop"]),
        [
            "1773280794000000 - -",
            "1773291594000000 -43200 false",
            "1773287994000000 86400 false"
        ]
    );
    assert_eq!(findings_of(&wh, &DISPLAY_RULES, '_'), Vec::<String>::new());
}

#[test]
fn a_clock_corrected_inside_a_group_of_pictures_is_set_while_recording_not_a_join() {
    // clockfix.mp4: device A's display steps 6 s ahead at 6.2 s, inside the group of pictures
    // from 6 s to 7 s (a recorder setting its clock by satellite time at its first fix): the
    // pictures before the keyframe at 7 s show the new time already, where footage joined by
    // stream copy (joined.mp4: at a keyframe) would still show the old one.
    let files = [
        ("DSJ-A0012_OF001234_20260312100007_0001.MP4", "day.mp4"),
        ("DSJ-A0012_OF001234_20260312100021_0002.MP4", "day2.mp4"),
        ("DSJ-A0012_OF001234_20260312100300_0003.MP4", "clockfix.mp4"),
    ];
    let (_t, wh) = tree_scanned("DSJ-A0012", &files, &[]);
    let jump = file_values(&wh, &["osd_jump_s", "osd_jump_inside_gop"]);
    assert_eq!(jump, ["- -", "- -", "6 true"]);
    assert_eq!(
        osd_findings(&wh),
        ["OSD-RESET DSJ-A0012_OF001234_20260312100300_0003.MP4"]
    );
    // The join by stream copy: its step at a keyframe, still OSD-JUMP.
    let (_t, wh, name) = join_scanned("joined.mp4", &[]);
    assert_eq!(
        file_values(&wh, &["osd_jump_inside_gop"]),
        ["-", "-", "false"]
    );
    assert_eq!(osd_findings(&wh), [format!("OSD-JUMP {name}")]);
}

#[test]
fn a_transport_stream_flagging_every_picture_is_keyed_where_its_pictures_decode_alone() {
    // day.ts as the read noted it, and again with every picture noted as a random-access point
    // (as a muxer setting the flag on every PES packet would have it): the stage finds the
    // same keyframes from each picture's first packets, so the same habits and the same ends.
    let normal = input(clip("day.ts"), "A");
    let keyframes::Index::Noted(ts) = &normal.index else {
        panic!("a transport stream's index");
    };
    let mut every = (**ts).clone();
    assert!(
        every.lead.len() > every.sync.len() * 5,
        "the lead holds every picture"
    );
    every.sync = every.lead.clone();
    let dense = Input {
        index: keyframes::Index::Noted(std::sync::Arc::from(every)),
        ..input(clip("day.ts"), "A")
    };
    let out = keyframes::run(&[normal, dense]);
    let ends = |o: &Output| (o.first().map(|s| s.t_s), o.last().map(|s| s.t_s));
    assert!(
        out[0]
            .habits
            .as_deref()
            .is_some_and(|h| h.contains(" gop10 "))
    );
    assert_eq!(out[1].habits, out[0].habits);
    assert_eq!(ends(&out[1]), ends(&out[0]));
    assert_eq!(out[1].decoded, out[0].decoded);
}
