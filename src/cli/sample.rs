//! `recaudit sample`: a synthetic evidence tree for benchmarks and demos.

use super::args::SampleArgs;
use super::human_bytes;
use crate::exit_codes;
use crate::sample::{self, SamplePlan};

pub(super) fn run(a: SampleArgs) -> i32 {
    let plan = SamplePlan {
        out: a.out.clone(),
        devices: a.devices,
        hours: a.hours,
        days: a.days,
        seed: a.seed,
        segment_seconds: a.segment_seconds,
        bitrate_kbps: a.bitrate_kbps,
        width: a.width,
        height: a.height,
        fps: a.fps,
        session_seconds: a.session_seconds,
        context_out: a.context_out.clone(),
        sparse: a.sparse,
    };
    match sample::generate(&plan) {
        Ok(s) => {
            println!(
                "recaudit sample: wrote {} files ({}) in {} sessions under {}",
                s.files,
                human_bytes(s.bytes as f64),
                s.sessions,
                a.out.display()
            );
            exit_codes::OK
        }
        Err(e @ sample::SampleError::Invalid(_)) => {
            eprintln!("recaudit sample: {e}");
            exit_codes::USAGE
        }
        Err(e) => {
            eprintln!("recaudit sample: {e}");
            exit_codes::RUN_FAILED
        }
    }
}
