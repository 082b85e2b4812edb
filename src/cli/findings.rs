//! `recaudit findings`: the last run's findings, filtered, as a table, JSON or CSV.

use super::args::{FindingsArgs, FormatArg, SeverityArg};
use crate::exit_codes;
use crate::report;
use crate::rules::Severity;

pub(super) fn run(a: FindingsArgs) -> i32 {
    let tz = match super::config_and_zone("findings", a.config.as_deref()) {
        Ok((_, tz)) => tz,
        Err(code) => return code,
    };
    let known: Vec<&str> = crate::rules::RULES.iter().map(|r| r.kind).collect();
    if let Some(k) = a.kind.iter().find(|k| !known.contains(&k.as_str())) {
        eprintln!("recaudit findings: unknown kind '{k}'; kinds are {}", {
            let mut v = known.clone();
            v.dedup();
            v.join(", ")
        });
        return exit_codes::USAGE;
    }
    let rows = match crate::store::read_findings(&a.warehouse) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("recaudit findings: {e} (is this a warehouse written by `recaudit scan`?)");
            return exit_codes::RUN_FAILED;
        }
    };
    let min = a.severity.map(SeverityArg::severity);
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| a.kind.is_empty() || a.kind.iter().any(|k| *k == r.kind))
        .filter(|r| {
            // A number told apart (`一大队/DSJ001`) is shown by its number or in full.
            a.device.is_empty()
                || r.device_id.as_deref().is_some_and(|d| {
                    a.device
                        .iter()
                        .any(|w| w == d || w == crate::recorders::bare(d))
                })
        })
        .filter(|r| min.is_none_or(|m| Severity::parse(&r.severity).is_some_and(|s| s >= m)))
        .collect();
    let format = match a.format {
        FormatArg::Table => report::findings::Format::Table,
        FormatArg::Json => report::findings::Format::Json,
        FormatArg::Csv => report::findings::Format::Csv,
    };
    print!("{}", report::findings::render(&rows, format, tz));
    exit_codes::OK
}
