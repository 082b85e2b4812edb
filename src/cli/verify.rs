//! `recaudit verify`: the warehouse's history checked end to end — the chain, every table file
//! re-hashed, the head's signature, an anchor log, export folders.

use std::time::Instant;

use super::args::VerifyArgs;
use super::human_bytes;
use crate::chain::{self, ChainError, Depth};
use crate::exit_codes;

#[derive(serde::Serialize)]
struct Output<'a> {
    ok: bool,
    warehouse: String,
    #[serde(flatten)]
    report: &'a chain::Report,
    anchored_heads: Option<usize>,
    exports: Vec<chain::export::ExportCheck>,
    seconds: f64,
}

pub(super) fn run(a: VerifyArgs) -> i32 {
    let threads = super::threads_or_cpus(a.threads).max(1);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("recaudit verify: cannot start {threads} threads: {e}");
            return exit_codes::RUN_FAILED;
        }
    };
    let key = match a
        .public_key
        .as_deref()
        .map(chain::sign::load_verifying_key)
        .transpose()
    {
        Ok(k) => k,
        Err(e) => {
            eprintln!("recaudit verify: {e}");
            return exit_codes::USAGE;
        }
    };
    // The time reported is the check's, not the wait for a running scan.
    let _lock = shared_lock(&a.warehouse);
    let clock = Instant::now();
    let depth = if a.quick {
        Depth::Cheap { budget: 0 }
    } else {
        Depth::Full
    };
    let result = pool.install(|| -> Result<_, ChainError> {
        let mut report = chain::check(&a.warehouse, depth, key.as_ref())?;
        let anchored = a
            .anchor
            .as_deref()
            .map(|p| chain::anchor::check(p, &mut report))
            .transpose()?;
        let mut exports = Vec::new();
        for d in &a.export {
            exports.push(chain::export::check(d, &mut report)?);
        }
        Ok((report, anchored, exports))
    });
    let (report, anchored, exports) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("recaudit verify: {e}");
            return exit_codes::RUN_FAILED;
        }
    };
    let seconds = clock.elapsed().as_secs_f64();
    if report.head.is_none() && report.problems.is_empty() && !report.unchained {
        eprintln!(
            "recaudit verify: {} holds no committed run",
            a.warehouse.display()
        );
        return exit_codes::RUN_FAILED;
    }
    let ok = report.ok();
    if a.json {
        let out = Output {
            ok,
            warehouse: a.warehouse.display().to_string(),
            report: &report,
            anchored_heads: anchored,
            exports,
            seconds,
        };
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        print_human(&a, &report, anchored, &exports, seconds);
    }
    if ok {
        exit_codes::OK
    } else {
        exit_codes::CHAIN_BROKEN
    }
}

fn print_human(
    a: &VerifyArgs,
    r: &chain::Report,
    anchored: Option<usize>,
    exports: &[chain::export::ExportCheck],
    seconds: f64,
) {
    let w = a.warehouse.display();
    match &r.head {
        Some(h) => println!(
            "recaudit verify: {w}: chain of {} manifest(s) from #{} to #{}, head {} (run {}){}",
            r.manifests.len(),
            r.from_seq.unwrap_or(0),
            h.seq,
            h.blake3,
            h.run_id,
            if h.signer.is_some() { ", signed" } else { "" }
        ),
        None => println!("recaudit verify: {w}: no chain"),
    }
    println!(
        "  re-hashed {} table file(s), {} in {seconds:.2} s ({}/s)",
        r.hashed_files,
        human_bytes(r.hashed_bytes as f64),
        human_bytes(if seconds > 0.0 {
            r.hashed_bytes as f64 / seconds
        } else {
            0.0
        })
    );
    if let Some(n) = anchored {
        println!("  anchor log: {n} head(s) match the chain");
    }
    if a.public_key.is_some() && r.ok() {
        println!("  the chain head's signature verifies with the given public key");
    }
    for e in exports {
        println!(
            "  export {}: {} file(s), {} re-hashed{}",
            e.folder,
            e.files,
            human_bytes(e.bytes as f64),
            e.recorded_at
                .map(|s| format!("; recorded at #{s}"))
                .unwrap_or_default()
        );
    }
    for n in &r.notes {
        println!("  note: {n}");
    }
    if r.ok() {
        println!("OK: the history verifies");
    } else {
        println!("FAILED: {} problem(s):", r.problems.len());
        for p in &r.problems {
            println!("  {p}");
        }
    }
}

/// A shared lock on the warehouse's `.lock`, so that a scan committing meanwhile (which
/// removes the snapshot before the previous one) does not pass for tampering. A read-only copy
/// without a lock file is checked without one.
fn shared_lock(root: &std::path::Path) -> Option<std::fs::File> {
    use std::os::unix::io::AsRawFd;
    let f = std::fs::File::open(root.join(".lock")).ok()?;
    // SAFETY: flock on a descriptor this function owns.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
    if r != 0 {
        eprintln!("recaudit verify: a run is writing the warehouse; waiting for it to finish");
        // SAFETY: as above, now blocking.
        unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH) };
    }
    Some(f)
}
