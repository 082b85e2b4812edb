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
//! B-frames.
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
            for habit in [Habit::Coding, Habit::Slices] {
                // Each comparison among the files that have that habit read (files scanned
                // before the slice habits were read have none: an unknown is no difference).
                let with: Vec<&FileFacts> = files
                    .iter()
                    .copied()
                    .filter(|f| habit.of(f).is_some())
                    .collect();
                one_offs(g.device, habit, &with, &mut found, out);
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

/// Reports each one-off once: a file found by its coding habits is not reported again for
/// its slices.
fn one_offs<'a>(
    device: &str,
    habit: Habit,
    files: &[&'a FileFacts],
    found: &mut HashSet<&'a str>,
    out: &mut Findings,
) {
    let values: Vec<&str> = files.iter().filter_map(|f| habit.of(f)).collect();
    for (p, h) in habits::shape(&values).deviations {
        let f = files[p];
        if !found.insert(f.path.as_ref()) {
            continue;
        }
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
