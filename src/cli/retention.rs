//! `recaudit retention`: footage that may be disposed of and footage deleted before its time
//! (第二十一、二十二条), through the named analysis `retention`.

use super::args::RetentionArgs;
use super::output::{open_engine, write_batches};
use crate::config::Config;
use crate::exit_codes;
use crate::query::{self, QueryError};

pub(super) fn run(a: RetentionArgs) -> i32 {
    let mut params = std::collections::BTreeMap::new();
    if let Some(d) = &a.as_of {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            eprintln!("recaudit retention: --as-of '{d}' is not a date (YYYY-MM-DD)");
            return exit_codes::USAGE;
        }
        params.insert("as_of".to_string(), d.clone());
    }
    let sql = match query::named()
        .into_iter()
        .find(|q| q.name == "retention")
        .ok_or_else(|| QueryError::UnknownQuery("retention".into()))
        .and_then(|q| query::instantiate(&q, &params))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("recaudit retention: {e}");
            return exit_codes::USAGE;
        }
    };
    let tz = Config::default()
        .zone()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let engine = match open_engine(
        "retention",
        &a.warehouse,
        a.context.as_deref(),
        tz,
        2,
        &[],
        &crate::query::Reach {
            storage: &Default::default(),
            workers: &[],
        },
    ) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let batches = match engine.run(&sql) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("recaudit retention: {e}");
            return exit_codes::RUN_FAILED;
        }
    };
    let early = batches
        .iter()
        .map(|b| {
            let c = crate::store::prior::Cols(b);
            (0..b.num_rows())
                .filter(|&i| c.str("status", i) == Some("deleted_early"))
                .count()
        })
        .sum::<usize>();
    if let Err(e) = write_batches(&batches, a.format, a.out.as_deref()) {
        eprintln!("recaudit retention: {e}");
        return exit_codes::RUN_FAILED;
    }
    if a.fail_on_early && early > 0 {
        eprintln!(
            "recaudit retention: {early} file(s) deleted before their time (--fail-on-early): exit 1"
        );
        return exit_codes::FINDINGS;
    }
    exit_codes::OK
}
