//! `recaudit query`: SQL, a file of SQL or a named analysis over the warehouse and the context
//! tables; `--list` describes the named analyses.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::args::{OutFormat, QueryArgs};
use super::output::{open_engine, write_batches};
use crate::exit_codes;
use crate::query::{self, Engine, QueryError};

pub(super) fn run(a: QueryArgs) -> i32 {
    if a.list {
        print_list();
        return exit_codes::OK;
    }
    let Some(wh) = a.warehouse.clone() else {
        eprintln!("recaudit query: a WAREHOUSE is required");
        return exit_codes::USAGE;
    };
    let (config, tz) = match super::config_and_zone("query", a.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (params, settings) = match (
        key_values("--param", &a.params),
        key_values("--set", &a.settings),
    ) {
        (Ok(p), Ok(s)) => (p.into_iter().collect::<BTreeMap<_, _>>(), s),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("recaudit query: {e}");
            return exit_codes::USAGE;
        }
    };
    let sql = match sql_of(&a, &params) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("recaudit query: {e}");
            return exit_codes::USAGE;
        }
    };
    if matches!(a.format, OutFormat::Parquet) && a.out.is_none() {
        eprintln!("recaudit query: --format parquet needs --out FILE");
        return exit_codes::USAGE;
    }
    let threads = super::threads_or_cpus(a.threads);
    let t0 = Instant::now();
    let engine = match open_engine(
        "query",
        &wh,
        a.context.as_deref(),
        tz,
        threads,
        &settings,
        &crate::query::Reach {
            storage: &config.storage,
            workers: &a.workers,
        },
    ) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let opened = t0.elapsed();
    if let Some(target) = a.sql_for {
        let target = match target {
            super::args::SqlEngineArg::Duckdb => query::Target::DuckDb,
            super::args::SqlEngineArg::Spark => query::Target::Spark,
        };
        return match engine.translate(&sql, target) {
            Ok(text) => {
                println!("{text};");
                exit_codes::OK
            }
            Err(e) => {
                eprintln!("recaudit query: {e}");
                exit_codes::USAGE
            }
        };
    }
    match run_and_write(&engine, &sql, &a) {
        Ok((run_ms, write_ms, rows)) => {
            if a.timing {
                eprintln!(
                    "recaudit query: open {:.1} ms, run {run_ms:.1} ms, write {write_ms:.1} ms ({rows} rows), total {:.1} ms",
                    ms(opened),
                    ms(t0.elapsed())
                );
            }
            exit_codes::OK
        }
        Err(code) => code,
    }
}

/// `--list`: each named analysis with its purpose, article and parameters.
fn print_list() {
    for q in query::named() {
        println!("{:<16} {}", q.name, q.purpose);
        println!("{:<16} article: {}", "", q.article);
        for (p, d, doc) in &q.params {
            println!(
                "{:<16} --param {p}=...{}  {doc}",
                "",
                d.as_ref()
                    .map(|d| format!(" (default {d})"))
                    .unwrap_or_default()
            );
        }
    }
}

/// The SQL to run: a named analysis with its parameters, a file, or the text given.
fn sql_of(a: &QueryArgs, params: &BTreeMap<String, String>) -> Result<String, String> {
    if let Some(n) = &a.name {
        query::named()
            .into_iter()
            .find(|q| q.name == n.as_str())
            .ok_or_else(|| QueryError::UnknownQuery(n.clone()))
            .and_then(|q| query::instantiate(&q, params))
            .map_err(|e| e.to_string())
    } else if let Some(f) = &a.file {
        std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))
    } else if let Some(s) = &a.sql {
        Ok(s.clone())
    } else {
        Err("give SQL, -f FILE or --name NAME (or --list)".to_string())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the SQL `--repeat` times, writing the rows each time (so a run's time is what one
/// query costs). Returns the milliseconds spent running and writing, and the rows of a run;
/// on failure the message is printed and the exit code returned.
fn run_and_write(engine: &Engine, sql: &str, a: &QueryArgs) -> Result<(f64, f64, usize), i32> {
    let (mut run_ms, mut write_ms, mut rows) = (0.0, 0.0, 0);
    for i in 0..a.repeat {
        let t = Instant::now();
        let batches = match engine.run(sql) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("recaudit query: {e}");
                return Err(exit_codes::USAGE);
            }
        };
        let ran = t.elapsed();
        if let Err(e) = write_batches(&batches, a.format, a.out.as_deref()) {
            eprintln!("recaudit query: {e}");
            return Err(exit_codes::RUN_FAILED);
        }
        run_ms += ms(ran);
        write_ms += ms(t.elapsed() - ran);
        rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
        if a.timing && a.repeat > 1 {
            eprintln!(
                "recaudit query: run {} of {}: {:.1} ms (with writing)",
                i + 1,
                a.repeat,
                ms(t.elapsed())
            );
        }
    }
    Ok((run_ms, write_ms, rows))
}

/// `KEY=VALUE` arguments of a repeatable option, as (trimmed key, value as given).
fn key_values(option: &str, items: &[String]) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| format!("{option} '{p}' must be KEY=VALUE"))
        })
        .collect()
}
