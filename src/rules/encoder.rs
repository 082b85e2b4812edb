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
//! files of the same picture size and profile. A change that stays (a
//! firmware update, a new resolution setting) is no finding. Example: `A A B A A`, where B
//! codes with CAVLC, one reference and no B-frames and A with CABAC, three references and
//! B-frames.

use serde_json::json;

use std::collections::BTreeMap;

use super::{Ctx, Findings, habits};
use crate::catalog::FileFacts;

/// One picture format of a device's group: size and profile.
type Format<'a> = (Option<i32>, Option<i32>, Option<&'a str>);

pub fn check(ctx: &Ctx, out: &mut Findings) {
    for g in habits::groups(ctx.facts) {
        // Like with like: the files whose habits were read, of one picture size and profile
        // (an encoder may set itself differently for another resolution), in the group's order.
        let mut by_format: BTreeMap<Format, Vec<&FileFacts>> = BTreeMap::new();
        for f in g.files.iter().filter(|f| f.osd.habits.is_some()) {
            by_format
                .entry((f.width, f.height, f.video_profile.as_deref()))
                .or_default()
                .push(f);
        }
        for files in by_format.values() {
            one_offs(g.device, files, out);
        }
    }
}

fn one_offs(device: &str, files: &[&FileFacts], out: &mut Findings) {
    let values: Vec<&str> = files
        .iter()
        .filter_map(|f| f.osd.habits.as_deref())
        .collect();
    for (p, h) in habits::shape(&values).deviations {
        let f = files[p];
        out.file(
            "ENC-HABIT",
            f,
            format!(
                "{}: coded as `{}` where the device's recordings before and after it are coded as `{}`",
                f.file_name(),
                values[p],
                values[h]
            ),
            json!({"coding_habits": values[p], "device_habits": values[h], "device": device}),
        );
    }
}
