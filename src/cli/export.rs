//! `recaudit export`: a verified copy of a case's (or a query's) footage with its manifest
//! and note (第二十、二十三、二十四条).

use super::args::ExportArgs;
use super::human_bytes;
use crate::exit_codes;
use crate::export::{ExportError, ExportPlan, Selection};

pub(super) fn run(a: ExportArgs) -> i32 {
    let tz = match super::config_and_zone("export", a.config.as_deref()) {
        Ok((_, tz)) => tz,
        Err(code) => return code,
    };
    if a.approved_by.trim().is_empty() || a.reason.trim().is_empty() {
        eprintln!(
            "recaudit export: --approved-by and --reason must not be empty (第二十、二十三条)"
        );
        return exit_codes::USAGE;
    }
    let plan = ExportPlan {
        warehouse: a.warehouse.clone(),
        context: Some(
            a.context
                .clone()
                .unwrap_or_else(|| a.warehouse.join("context")),
        ),
        tz,
        selection: match (&a.case, &a.sql) {
            (Some(c), _) => Selection::Case(c.clone()),
            (None, Some(q)) => Selection::Sql(q.clone()),
            (None, None) => {
                eprintln!("recaudit export: give --case ID or --sql QUERY");
                return exit_codes::USAGE;
            }
        },
        to: a.to.clone(),
        approved_by: a.approved_by.clone(),
        reason: a.reason.clone(),
        include_confidential: a.include_confidential,
        threads: 2,
        chain: super::chain_options(&a.chain, false),
    };
    match crate::export::run_export(&plan) {
        Ok(s) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                println!(
                    "recaudit export: {} file(s), {} copied to {} and verified (export {})",
                    s.export.files,
                    human_bytes(s.export.bytes as f64),
                    s.export.destination,
                    s.export.export_id
                );
                println!("  manifest: MANIFEST.csv, BLAKE3SUMS, SHA256SUMS; note: NOTE.txt");
            }
            exit_codes::OK
        }
        Err(e) => {
            eprintln!("recaudit export: {e}");
            match e {
                ExportError::Chain(crate::chain::ChainError::Broken(_))
                | ExportError::Store(crate::store::StoreError::Chain(
                    crate::chain::ChainError::Broken(_),
                )) => exit_codes::CHAIN_BROKEN,
                ExportError::Chain(crate::chain::ChainError::Key { .. }) => exit_codes::USAGE,
                ExportError::Query(crate::query::QueryError::Warehouse { .. })
                | ExportError::Store(_)
                | ExportError::Chain(_) => exit_codes::RUN_FAILED,
                e if e.is_refusal() => exit_codes::USAGE,
                ExportError::Query(_) => exit_codes::USAGE,
                _ => exit_codes::RUN_FAILED,
            }
        }
    }
}
