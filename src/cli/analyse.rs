//! `recaudit analyse`: the analysis of a shared warehouse (one shard of it), its summary and
//! exit code.

use super::args::AnalyseArgs;
use crate::estate::{self, AnalysePlan, AnalyseSummary, EstateError};
use crate::exit_codes;
use crate::rules::Severity;

pub(super) fn run(a: AnalyseArgs) -> i32 {
    let (config, _tz) = match super::config_and_zone("analyse", a.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let threads = super::threads_or_cpus(a.threads);
    if threads == 0 {
        eprintln!("recaudit analyse: --threads must be at least 1");
        return exit_codes::USAGE;
    }
    if !estate::is_shared(&a.warehouse) {
        eprintln!(
            "recaudit analyse: {} is not a shared warehouse (no _current/ folder): run `recaudit scan --node ID --warehouse {}` on the storage nodes first",
            a.warehouse.display(),
            a.warehouse.display()
        );
        return exit_codes::RUN_FAILED;
    }
    let plan = AnalysePlan {
        shared: a.warehouse.clone(),
        config,
        threads,
        context: a.context.clone(),
        chain: super::chain_options(&a.chain, a.new_chain),
        shard: a.shard,
        state: a.state.clone(),
    };
    match estate::run(&plan) {
        Ok(s) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                print_summary(&s);
            }
            let worst = [
                (s.findings_high, Severity::High),
                (s.findings_warn, Severity::Warn),
                (s.findings_info, Severity::Info),
            ]
            .into_iter()
            .find(|(n, _)| *n > 0)
            .map(|(_, sev)| sev);
            if let Some(level) = a.fail_on
                && worst.is_some_and(|w| w >= level.severity())
            {
                eprintln!(
                    "recaudit analyse: findings at or above '{}' (--fail-on): exit 1",
                    level.severity().name()
                );
                return exit_codes::FINDINGS;
            }
            exit_codes::OK
        }
        Err(e) => {
            eprintln!("recaudit analyse: {e}");
            eprintln!(
                "recaudit analyse: nothing was published; the shared warehouse is as it was before this run"
            );
            match e {
                e if e.is_broken_chain() => exit_codes::CHAIN_BROKEN,
                EstateError::Config(_)
                | EstateError::Context(_)
                | EstateError::Shard { .. }
                | EstateError::NoState(_) => exit_codes::USAGE,
                EstateError::Chain(crate::chain::ChainError::Key { .. }) => exit_codes::USAGE,
                _ => exit_codes::RUN_FAILED,
            }
        }
    }
}

fn print_summary(s: &AnalyseSummary) {
    println!(
        "recaudit analyse: run {} published to {} as {}",
        s.run_id,
        s.shared.display(),
        s.published.writer
    );
    let nodes: Vec<String> = s.nodes.iter().map(|(n, r)| format!("{n} ({r})")).collect();
    println!("  nodes    {:>9}  {}", s.nodes.len(), nodes.join(", "));
    println!(
        "  files    {:>9}  read from every node in {:.2} s",
        s.files, s.elapsed_s
    );
    println!(
        "  sessions {:>9}  findings: high {}, warn {}, info {}; case items {}",
        s.sessions, s.findings_high, s.findings_warn, s.findings_info, s.case_items
    );
    println!(
        "  query    recaudit query {} --name supervision",
        s.shared.display()
    );
}
