//! `recaudit report`: the supervisor's page for a period, from the named analyses.

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};

use super::args::{LangArg, ReportArgs, SectionArg};
use super::output::open_engine;
use crate::exit_codes;
use crate::report::data::{self, Options, Section};
use crate::report::text::Lang;
use crate::report::{page, pdf};

fn date(flag: &str, s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("--{flag} '{s}' is not a date (YYYY-MM-DD)"))
}

/// The period: the given days, else the last full month (or the month after --from).
fn period(a: &ReportArgs, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), String> {
    let month_after = |d: NaiveDate| {
        let (y, m) = if d.month() == 12 {
            (d.year() + 1, 1)
        } else {
            (d.year(), d.month() + 1)
        };
        NaiveDate::from_ymd_opt(y, m, d.day().min(28)).unwrap_or(d)
    };
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let from = match &a.from {
        Some(s) => date("from", s)?,
        None => {
            let last = this_month.pred_opt().unwrap_or(this_month);
            NaiveDate::from_ymd_opt(last.year(), last.month(), 1).unwrap_or(last)
        }
    };
    let to = match &a.to {
        Some(s) => date("to", s)?,
        None if a.from.is_some() => month_after(from),
        None => this_month,
    };
    if to <= from {
        return Err(format!("--to {to} must be after --from {from}"));
    }
    if (to - from).num_days() > 366 {
        return Err("the period is at most 366 days".into());
    }
    Ok((from, to))
}

pub(super) fn run(a: ReportArgs) -> i32 {
    let (_, tz) = match super::config_and_zone("report", a.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let (from, to) = match period(&a, today) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("recaudit report: {e}");
            return exit_codes::USAGE;
        }
    };
    let wanted: Vec<Section> = a
        .only
        .iter()
        .map(|o| match o {
            SectionArg::Summary => Section::Summary,
            SectionArg::People => Section::People,
            SectionArg::Devices => Section::Devices,
            SectionArg::Cases => Section::Cases,
            SectionArg::Findings => Section::Findings,
        })
        .collect();
    // In the report's own order, whatever the order of --only.
    let sections: Vec<Section> = Section::ALL
        .into_iter()
        .filter(|s| wanted.is_empty() || wanted.contains(s))
        .collect();
    let lang = match a.lang {
        LangArg::Zh => Lang::Zh,
        LangArg::En => Lang::En,
    };
    let opts = Options {
        from,
        to,
        units: a.unit.clone(),
        sections,
        tz,
        max_findings: a.max_findings,
    };
    let clock = Instant::now();
    let engine = match open_engine(
        "report",
        &a.warehouse,
        a.context.as_deref(),
        tz,
        super::threads_or_cpus(None),
        &[],
        &crate::query::Reach {
            storage: &Default::default(),
            workers: &[],
        },
    ) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let model = match data::gather(&engine, &opts) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("recaudit report: {e}");
            return exit_codes::RUN_FAILED;
        }
    };
    let generated = chrono::Utc::now()
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let html = page::render(
        &model,
        &opts,
        lang,
        &a.warehouse.display().to_string(),
        &generated,
    );
    if let Err(e) = std::fs::write(&a.out, &html) {
        eprintln!("recaudit report: cannot write {}: {e}", a.out.display());
        return exit_codes::RUN_FAILED;
    }
    eprintln!(
        "recaudit report: {} ({} KiB, {} recorder(s), {} case(s), {} finding(s) listed) in {:.2} s",
        a.out.display(),
        html.len().div_ceil(1024),
        model.devices.len(),
        model.cases.len(),
        model.findings.len(),
        clock.elapsed().as_secs_f64()
    );
    if let Some(out) = &a.pdf {
        let Some(browser) = pdf::find_browser(a.chromium.as_deref()) else {
            eprintln!("recaudit report: {}", pdf::PdfError::NoBrowser);
            return exit_codes::USAGE;
        };
        let clock = Instant::now();
        if let Err(e) = pdf::print(&browser, &a.out, out, Duration::from_secs(180)) {
            eprintln!("recaudit report: {e}");
            return exit_codes::RUN_FAILED;
        }
        eprintln!(
            "recaudit report: {} printed in {:.2} s",
            out.display(),
            clock.elapsed().as_secs_f64()
        );
    }
    exit_codes::OK
}
