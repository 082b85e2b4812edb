//! `recaudit sample-catalog`: a synthetic warehouse at the bureau's scale, for query
//! benchmarks.

use super::args::SampleCatalogArgs;
use crate::exit_codes;
use crate::sample_catalog::{CatalogError, CatalogPlan, generate_catalog};

pub(super) fn run(a: SampleCatalogArgs) -> i32 {
    if a.out.join("current").exists() {
        eprintln!(
            "recaudit sample-catalog: {} already holds a warehouse; choose a new folder",
            a.out.display()
        );
        return exit_codes::USAGE;
    }
    let t = std::time::Instant::now();
    let plan = CatalogPlan {
        out: a.out.clone(),
        files: a.files,
        findings: a.findings,
        seed: a.seed,
    };
    match generate_catalog(&plan) {
        Ok(s) => {
            println!(
                "recaudit sample-catalog: {} files, {} sessions, {} findings, {} cases, {} devices, {} officers in {} ({:.1} s)",
                s.files,
                s.sessions,
                s.findings,
                s.cases,
                s.devices,
                s.officers,
                a.out.display(),
                t.elapsed().as_secs_f64()
            );
            exit_codes::OK
        }
        Err(e @ CatalogError::Invalid(_)) => {
            eprintln!("recaudit sample-catalog: {e}");
            exit_codes::USAGE
        }
        Err(e) => {
            eprintln!("recaudit sample-catalog: {e}");
            exit_codes::RUN_FAILED
        }
    }
}
