//! The encoder's own hand — 第十二条(五) (no re-recording, no inserted footage): a recorder's
//! hardware encoder codes every recording the same way (entropy coder, reference frames,
//! B-frames, keyframe interval, 8x8 transform, weighted prediction, initial QP), whatever the
//! scene. A recording re-encoded with the same picture size, frame rate and profile keeps the
//! container plausible, but another encoder, or the same one with other settings, leaves
//! other habits (`files.coding_habits`, read by the keyframe stage from the parameter sets and
//! the sample table).
//!
//! What it checks: `reencoded` (ENC-HABIT), a one-off — a file whose coding habits differ from
//! those of the device's recordings of the same kind and container family before and after
//! it, which agree (the device-habit comparison of [`super::habits`]), among the device's
//! files of the same picture size, profile and frame rate. A change that stays (a
//! firmware update, a new resolution setting) is no finding. Example: `A A B A A`, where B
//! codes with CAVLC, one reference and no B-frames and A with CABAC, three references and
//! B-frames. An encoder that also keys at scene changes keys a busy recording sooner: a file
//! whose keyframes are so placed (`gop225s`) is held to be keyed at most as far apart as the
//! device's fixed interval (`keyed_by_scene_as_fixed`), not to be keyed alike. A one-off
//! whose habits differ in its settings alone (keyframe interval, initial QP), its slices
//! written alike, is its own encoder at another setting: `setting_change` (ENC-SETTING,
//! information), not ENC-HABIT.
//! The same comparison is made of `files.slice_habits` (slices per picture, how slice types are
//! written, the reference priority of intra and P pictures), so that a re-encode that copied
//! the parameter sets is still found by how its encoder writes slices. Example: `A A B A A`
//! where A writes four slices a picture and B one.

use serde_json::json;

use std::collections::{BTreeMap, HashSet};

use super::{Ctx, Findings, habits};
use crate::catalog::FileFacts;

/// One picture format of a device's group: size, profile and frame rate (in tenths).
type Format<'a> = (Option<i32>, Option<i32>, Option<&'a str>, Option<i64>);

pub fn check(ctx: &Ctx, out: &mut Findings) {
    for g in habits::groups(ctx.facts) {
        // Like with like: the files of one picture size, profile and frame rate (an encoder
        // may set itself differently for another resolution, and a recorder that keys a
        // picture each second codes a night at half rate with half the keyframe interval in
        // pictures: a file at another rate is judged by ENC-PARAMS or ENC-SETTING), in the
        // group's order.
        let mut by_format: BTreeMap<Format, Vec<&FileFacts>> = BTreeMap::new();
        for f in g.files.iter() {
            let rate = f.frame_rate.map(|r| (r * 10.0).round() as i64);
            by_format
                .entry((f.width, f.height, f.video_profile.as_deref(), rate))
                .or_default()
                .push(f);
        }
        for files in by_format.values() {
            let mut found: HashSet<&str> = HashSet::new();
            let mut set_apart: Vec<SetApart> = Vec::new();
            for habit in [Habit::Coding, Habit::Slices] {
                // Each comparison among the files that have that habit read (files scanned
                // before the slice habits were read have none: an unknown is no difference).
                let with: Vec<&FileFacts> = files
                    .iter()
                    .copied()
                    .filter(|f| habit.of(f).is_some())
                    .collect();
                one_offs(g.device, habit, &with, &mut found, &mut set_apart, out);
            }
            // Keyed at another interval or started at another QP, coded alike otherwise, its
            // slices written alike: the same encoder at another setting.
            for k in set_apart {
                if found.contains(k.file.path.as_ref()) {
                    continue;
                }
                out.file(
                    "ENC-SETTING",
                    k.file,
                    format!(
                        "{}: coded with `{}` where the device's recordings before and after it have `{}`, alike otherwise (`{}`): its own encoder at another setting (its keyframe interval or its quality set otherwise, or a codec keying a calm scene less often); no other hand",
                        k.file.file_name(),
                        k.odd,
                        k.usual,
                        k.habits
                    ),
                    json!({"coding_habits": k.habits, "device_habits": k.device_habits, "settings": k.odd, "device_settings": k.usual, "device": g.device, "habit": "coding_habits"}),
                );
            }
        }
    }
}

/// The two habits compared: the parameter sets' and sample table's, and the slice headers'.
#[derive(Clone, Copy)]
enum Habit {
    Coding,
    Slices,
}

impl Habit {
    fn of(self, f: &FileFacts) -> Option<&str> {
        match self {
            Habit::Coding => f.coding_habits.as_deref(),
            Habit::Slices => f.slice_habits.as_deref(),
        }
    }
}

/// The keyframe interval of coding habits `h`: its usual step in pictures and whether its
/// keyframes are placed by the scene as well (`gop250s`); `None` without one.
fn gop_of(h: &str) -> Option<(u64, bool)> {
    let t = h.split(' ').find_map(|t| t.strip_prefix("gop"))?;
    match t.strip_suffix('s') {
        Some(n) => Some((n.parse().ok()?, true)),
        None => Some((t.parse().ok()?, false)),
    }
}

/// Coding habits as they are compared: an encoder that places keyframes by the scene as well
/// (x264 and x265 by default; hardware encoders with scene-change detection) keys a busy
/// recording sooner than a calm one, at most at its fixed interval. A file whose keyframes are
/// so placed is taken as keyed at the least fixed interval among the files compared that is at
/// least its usual step (the encoder keys at least that often, and sooner where the scene
/// changes), or as `gop~` where no file of them keys at a fixed interval that long. A file
/// keyed at one fixed step throughout is compared as it is: keyed at another fixed interval,
/// or by the scene less often than the device's fixed interval, it still differs (and where
/// nothing else differs, [`settings_only`] tells a setting from another hand).
fn keyed_by_scene_as_fixed(values: &[&str]) -> Vec<String> {
    let with_gop = |h: &str, gop: &str| {
        h.split(' ')
            .map(|t| if t.starts_with("gop") { gop } else { t })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let fixed: std::collections::BTreeSet<u64> = values
        .iter()
        .filter_map(|h| gop_of(h))
        .filter(|&(_, scene)| !scene)
        .map(|(n, _)| n)
        .collect();
    values
        .iter()
        .map(|h| match gop_of(h) {
            Some((n, true)) => {
                let as_fixed = fixed
                    .range(n..)
                    .next()
                    .map_or_else(|| "gop~".to_string(), |f| format!("gop{f}"));
                with_gop(h, &as_fixed)
            }
            _ => h.to_string(),
        })
        .collect()
}

/// A one-off whose coding habits differ from the device's in its settings alone
/// ([`settings_only`]).
struct SetApart<'a> {
    file: &'a FileFacts,
    habits: String,
    device_habits: String,
    /// The tokens that differ, as `coding_habits` writes them (`gop100`, `qp24`), and the
    /// device's.
    odd: String,
    usual: String,
}

/// Whether a token of coding habits is a setting: the keyframe interval (`gop50`, `gop50s`,
/// `gop~`) or the initial QP (`qp26`).
fn is_setting(t: &str) -> bool {
    t.starts_with("gop")
        || t.strip_prefix("qp")
            .is_some_and(|n| n.parse::<i32>().is_ok())
}

/// Whether compared coding habits `odd` and `usual` differ in their settings only: the
/// keyframe interval and the initial QP. A recorder's keyframe interval (`I帧间隔`) and its
/// picture quality are settings, "smart" codecs (H.264+, H.265+) key a calm scene far less
/// often than a busy one, and an encoder's rate control starts from a QP that follows the
/// quality asked: a recording keyed every 4 s among recordings keyed every 2 s, or coded at a
/// higher quality, its entropy coder, references, B-frames, transform, weighted prediction,
/// picture order and deblocking all alike (HEVC: its coding tree and partition settings), and
/// its slices written alike, is its own encoder at another setting (ENC-SETTING,
/// information). Until 2026-12-06 (afternoon) it was ENC-HABIT (`high`). Another encoder
/// leaves other habits beside these.
fn settings_only(odd: &str, usual: &str) -> bool {
    fn rest(h: &str) -> impl Iterator<Item = &str> {
        h.split(' ').filter(|t| !is_setting(t))
    }
    odd != usual && rest(odd).eq(rest(usual))
}

/// The setting tokens of `odd` unlike `usual`'s, and `usual`'s, each joined by spaces.
fn settings_apart(odd: &str, usual: &str) -> (String, String) {
    let set = |h: &str| -> Vec<String> {
        h.split(' ')
            .filter(|t| is_setting(t))
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (set(odd), set(usual));
    let differ: Vec<usize> = (0..a.len().max(b.len()))
        .filter(|&i| a.get(i) != b.get(i))
        .collect();
    let pick = |v: &[String]| {
        differ
            .iter()
            .filter_map(|&i| v.get(i).cloned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    (pick(&a), pick(&b))
}

/// Reports each one-off once: a file found by its coding habits is not reported again for
/// its slices. A file whose coding habits differ in their settings alone is set aside in
/// `set_apart` ([`settings_only`]), for its slices to judge first.
fn one_offs<'a>(
    device: &str,
    habit: Habit,
    files: &[&'a FileFacts],
    found: &mut HashSet<&'a str>,
    set_apart: &mut Vec<SetApart<'a>>,
    out: &mut Findings,
) {
    let values: Vec<&str> = files.iter().filter_map(|f| habit.of(f)).collect();
    let compared = match habit {
        Habit::Coding => keyed_by_scene_as_fixed(&values),
        Habit::Slices => values.iter().map(|v| v.to_string()).collect(),
    };
    let compared: Vec<&str> = compared.iter().map(String::as_str).collect();
    for (p, h) in habits::shape(&compared).deviations {
        let f = files[p];
        if found.contains(f.path.as_ref()) {
            continue;
        }
        if matches!(habit, Habit::Coding) && settings_only(compared[p], compared[h]) {
            let (odd, usual) = settings_apart(compared[p], compared[h]);
            set_apart.push(SetApart {
                file: f,
                habits: values[p].to_string(),
                device_habits: values[h].to_string(),
                odd,
                usual,
            });
            continue;
        }
        found.insert(f.path.as_ref());
        let (what, column) = match habit {
            Habit::Coding => ("coded", "coding_habits"),
            Habit::Slices => ("sliced", "slice_habits"),
        };
        out.file(
            "ENC-HABIT",
            f,
            format!(
                "{}: {what} as `{}` where the device's recordings before and after it are {what} as `{}`",
                f.file_name(),
                values[p],
                values[h]
            ),
            json!({column: values[p], "device_habits": values[h], "device": device, "habit": column}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{keyed_by_scene_as_fixed, settings_apart, settings_only};

    #[test]
    fn the_keyframe_interval_and_the_initial_qp_are_settings_the_rest_the_encoders_hand() {
        let a = "cabac ref4 bframes gop50 8x8:- wp:1/2 qp32 poc0 dbk1";
        assert!(settings_only(
            "cabac ref4 bframes gop100 8x8:- wp:1/2 qp24 poc0 dbk1",
            a
        ));
        assert_eq!(
            settings_apart("cabac ref4 bframes gop50 8x8:- wp:1/2 qp24 poc0 dbk1", a),
            ("qp24".to_string(), "qp32".to_string())
        );
        // Another entropy coder, reference count or B-frames: another hand.
        assert!(!settings_only(
            "cavlc ref1 nobframes gop75 8x8:- wp:0/0 qp32 poc2 dbk1",
            a
        ));
        assert!(!settings_only(
            "cabac ref1 bframes gop50 8x8:- wp:1/2 qp32 poc0 dbk1",
            a
        ));
        assert!(!settings_only(a, a));
        // HEVC: `cuqp` is the coding tree's, not the initial QP.
        let h = "shide1 cinit0 qp30 cip0 tskip0 cuqp1/0 wp0/0 tqb0 tiles0 wpp0 dss0";
        assert!(settings_only(&h.replace("qp30", "qp26"), h));
        assert!(!settings_only(&h.replace("cuqp1/0", "cuqp0/0"), h));
    }

    #[test]
    fn keyframes_placed_by_the_scene_are_held_to_the_fixed_interval_as_a_most() {
        let h = |gop: &str| format!("cabac ref4 bframes {gop} 8x8:1 wp:1/2 qp28 poc0 dbk1");
        let compared = |gops: &[&str]| {
            let files: Vec<String> = gops.iter().map(|g| h(g)).collect();
            let values: Vec<&str> = files.iter().map(String::as_str).collect();
            keyed_by_scene_as_fixed(&values)
        };
        // x264 keying at scene changes: calm files every 250 pictures, one busy file sooner.
        let one = compared(&["gop250", "gop250", "gop225s", "gop250", "gop250"]);
        assert!(one.iter().all(|v| *v == h("gop250")), "{one:?}");
        // A recorder keying each 30 pictures and a re-encode keyed by the scene every 200 or
        // so: still unlike.
        assert_eq!(
            compared(&["gop30", "gop30", "gop200s", "gop30"])[2],
            h("gop~")
        );
        // Several busy files among calm ones: each at most the fixed interval, all alike.
        let busy = compared(&[
            "gop250", "gop225s", "gop250", "gop200s", "gop250s", "gop250",
        ]);
        assert!(busy.iter().all(|v| *v == h("gop250")), "{busy:?}");
        // A re-encode keyed every 50 pictures among them: unlike.
        let recoded = compared(&["gop250", "gop225s", "gop250", "gop50", "gop250", "gop200s"]);
        assert_eq!(recoded[3], h("gop50"));
        assert_eq!(
            recoded[1],
            h("gop250"),
            "the least fixed interval at least 225"
        );
        // Every file keyed by the scene: no fixed interval to hold them to, all alike.
        let scene = compared(&["gop60s", "gop45s", "gop30s"]);
        assert!(scene.iter().all(|v| *v == h("gop~")), "{scene:?}");
        // Fixed intervals are compared as they are.
        let files = ["gop30", "gop25", "gop30"];
        assert_eq!(compared(&files), files.map(h));
    }
}
