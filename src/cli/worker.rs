//! `recaudit worker`: serve distributed query tasks until stopped.

use super::args::WorkerArgs;
use crate::exit_codes;

pub(super) fn run(a: WorkerArgs) -> i32 {
    let (config, _tz) = match super::config_and_zone("worker", a.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let threads = super::threads_or_cpus(a.threads);
    let served = crate::worker::serve(
        a.listen,
        threads,
        a.warehouse.as_deref(),
        &config.storage,
        |addr| eprintln!("recaudit worker: listening on http://{addr} ({threads} threads)"),
    );
    match served {
        Ok(()) => {
            eprintln!("recaudit worker: stopped");
            exit_codes::OK
        }
        Err(e) => {
            eprintln!("recaudit worker: {e}");
            exit_codes::RUN_FAILED
        }
    }
}
