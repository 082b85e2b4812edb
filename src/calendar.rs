//! China's official working-day calendar: public holidays are days off, make-up
//! Saturdays/Sundays (调休) are workdays, every other Monday-Friday is a workday. The calendar is
//! data: recaudit embeds its own copy (`data/calendar-cn.csv`, the years whose State Council
//! notice is out) and accepts newer years in the public holiday-cn JSON format. A date in a year
//! the calendar does not cover is an error, never a guess.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Weekday};

const BUILT_IN: &str = include_str!("../data/calendar-cn.csv");

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "the working-day calendar does not cover {0} (covered years: {1}); load that year's official notice with a holiday-cn JSON file in the context folder"
    )]
    Unknown(NaiveDate, String),
    #[error("{path}: line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeSet<i32>,
    /// Exceptions: true = make-up workday, false = holiday off; with the holiday's name.
    exceptions: BTreeMap<NaiveDate, (bool, String)>,
}

impl Calendar {
    /// The calendar recaudit ships.
    pub fn built_in() -> Calendar {
        let mut c = Calendar::default();
        // The embedded file is checked by a unit test; a parse failure here is a build defect.
        let _ = c.add_csv(BUILT_IN, Path::new("data/calendar-cn.csv"));
        c
    }

    /// Adds exceptions in recaudit's format (`date,day,name` with day `off` or `work`, and a
    /// `# years: A-B` comment naming the years covered).
    pub fn add_csv(&mut self, text: &str, path: &Path) -> Result<(), CalendarError> {
        let err = |line: usize, message: String| CalendarError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut saw_years = false;
        for (i, l) in text.lines().enumerate() {
            let line = i + 1;
            let l = l.trim();
            if let Some(rest) = l.strip_prefix("# years:") {
                let (a, b) = rest
                    .trim()
                    .split_once('-')
                    .ok_or_else(|| err(line, "expected '# years: FIRST-LAST'".into()))?;
                let (a, b): (i32, i32) = (
                    a.trim()
                        .parse()
                        .map_err(|_| err(line, format!("bad year '{a}'")))?,
                    b.trim()
                        .parse()
                        .map_err(|_| err(line, format!("bad year '{b}'")))?,
                );
                self.years.extend(a..=b);
                saw_years = true;
                continue;
            }
            if l.is_empty() || l.starts_with('#') || l == "date,day,name" {
                continue;
            }
            let mut parts = l.splitn(3, ',');
            let (d, kind, name) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| err(line, format!("column 1 (date): '{d}' is not YYYY-MM-DD")))?;
            let work = match kind {
                "work" => true,
                "off" => false,
                k => {
                    return Err(err(
                        line,
                        format!("column 2 (day): '{k}' must be 'off' or 'work'"),
                    ));
                }
            };
            self.exceptions.insert(date, (work, name.to_string()));
        }
        if !saw_years {
            return Err(err(
                1,
                "no '# years: FIRST-LAST' line: the years covered must be stated".into(),
            ));
        }
        Ok(())
    }

    /// Adds one year in the public holiday-cn JSON format (`year`, `papers`, `days` with
    /// `date`, `isOffDay`, `name`). A year without `papers` (notice not out yet) is refused.
    pub fn add_holiday_cn_json(&mut self, text: &str, path: &Path) -> Result<(), CalendarError> {
        let err = |message: String| CalendarError::Parse {
            path: path.to_path_buf(),
            line: 1,
            message,
        };
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CalendarError::Parse {
                path: path.to_path_buf(),
                line: e.line(),
                message: e.to_string(),
            })?;
        let year = v["year"].as_i64().ok_or_else(|| err("no 'year'".into()))? as i32;
        if v["papers"].as_array().is_none_or(|p| p.is_empty()) {
            return Err(err(format!(
                "year {year} has no 'papers': its official notice is not out, so its calendar is unknown"
            )));
        }
        for d in v["days"]
            .as_array()
            .ok_or_else(|| err("no 'days' list".into()))?
        {
            let ds = d["date"]
                .as_str()
                .ok_or_else(|| err("a day without 'date'".into()))?;
            let date = NaiveDate::parse_from_str(ds, "%Y-%m-%d")
                .map_err(|_| err(format!("bad date '{ds}'")))?;
            let off = d["isOffDay"]
                .as_bool()
                .ok_or_else(|| err(format!("{ds}: no 'isOffDay'")))?;
            self.exceptions
                .insert(date, (!off, d["name"].as_str().unwrap_or("").to_string()));
        }
        self.years.insert(year);
        Ok(())
    }

    pub fn load_file(&mut self, path: &Path) -> Result<(), CalendarError> {
        let text = std::fs::read_to_string(path).map_err(|source| CalendarError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if path.extension().is_some_and(|e| e == "json") {
            self.add_holiday_cn_json(&text, path)
        } else {
            self.add_csv(&text, path)
        }
    }

    pub fn years(&self) -> String {
        match (self.years.first(), self.years.last()) {
            (Some(a), Some(b)) if b - a + 1 == self.years.len() as i32 => format!("{a}-{b}"),
            _ => self
                .years
                .iter()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    pub fn covers(&self, d: NaiveDate) -> bool {
        self.years.contains(&d.year())
    }

    pub fn is_workday(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        if !self.covers(d) {
            return Err(CalendarError::Unknown(d, self.years()));
        }
        Ok(match self.exceptions.get(&d) {
            Some((work, _)) => *work,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// The `n`th working day after `d` (not counting `d` itself): the last day allowed by a
    /// rule of "within n working days". Holidays are skipped and make-up working days count.
    pub fn nth_workday_after(&self, d: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = d;
        let mut counted = 0;
        while counted < n {
            day = day
                .succ_opt()
                .ok_or_else(|| CalendarError::Unknown(day, self.years()))?;
            if self.is_workday(day)? {
                counted += 1;
            }
        }
        Ok(day)
    }

    /// Every date of the covered years: (date, is_workday, note).
    pub fn days(&self) -> Vec<(NaiveDate, bool, String)> {
        let mut out = Vec::new();
        for &y in &self.years {
            let (Some(mut d), Some(end)) = (
                NaiveDate::from_ymd_opt(y, 1, 1),
                NaiveDate::from_ymd_opt(y, 12, 31),
            ) else {
                continue;
            };
            while d <= end {
                let (work, note) = match self.exceptions.get(&d) {
                    Some((w, n)) => (
                        *w,
                        format!(
                            "{n}{}",
                            if *w {
                                " 调休 make-up workday"
                            } else {
                                " 假日 holiday"
                            }
                        ),
                    ),
                    None => (
                        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
                        String::new(),
                    ),
                };
                out.push((d, work, note));
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn built_in_calendar_knows_holidays_and_make_up_days() {
        let mut c = Calendar::default();
        c.add_csv(BUILT_IN, Path::new("built-in"))
            .expect("the embedded calendar parses");
        assert_eq!(c.years(), "2018-2026");
        assert_eq!(
            c.is_workday(d("2026-01-01")).ok(),
            Some(false),
            "New Year's Day"
        );
        assert_eq!(
            c.is_workday(d("2026-03-12")).ok(),
            Some(true),
            "an ordinary Thursday"
        );
        assert_eq!(
            c.is_workday(d("2026-03-14")).ok(),
            Some(false),
            "an ordinary Saturday"
        );
        // 2026-01-04 is a Sunday worked in exchange for the New Year holiday.
        assert_eq!(c.is_workday(d("2026-01-04")).ok(), Some(true));
        assert!(matches!(
            c.is_workday(d("2027-03-01")),
            Err(CalendarError::Unknown(..))
        ));
        assert_eq!(
            c.days().len(),
            (2018..=2026)
                .map(|y| if y % 4 == 0 { 366 } else { 365 })
                .sum::<usize>()
        );
    }

    #[test]
    fn a_year_without_its_notice_is_refused() {
        let mut c = Calendar::built_in();
        let e = c.add_holiday_cn_json(
            r#"{"year": 2027, "papers": [], "days": []}"#,
            Path::new("2027.json"),
        );
        assert!(e.is_err_and(|e| e.to_string().contains("not out")));
        let ok = c.add_holiday_cn_json(r#"{"year": 2027, "papers": ["x"], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#, Path::new("2027.json"));
        assert!(ok.is_ok());
        assert_eq!(c.is_workday(d("2027-01-01")).ok(), Some(false));
        assert_eq!(c.is_workday(d("2027-01-04")).ok(), Some(true));
    }
}

#[cfg(test)]
mod workday_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn working_days_skip_holidays_and_count_make_up_days() {
        let cal = Calendar::built_in();
        // Labour Day 2026: 1-5 May off, Saturday 9 May worked.
        assert_eq!(
            cal.nth_workday_after(d("2026-04-30"), 1).ok(),
            Some(d("2026-05-06"))
        );
        assert_eq!(
            cal.nth_workday_after(d("2026-05-08"), 1).ok(),
            Some(d("2026-05-09"))
        );
        assert_eq!(
            cal.nth_workday_after(d("2026-05-08"), 2).ok(),
            Some(d("2026-05-11"))
        );
        // An ordinary week: Friday + 2 = Tuesday.
        assert_eq!(
            cal.nth_workday_after(d("2026-03-13"), 2).ok(),
            Some(d("2026-03-17"))
        );
        // Past the calendar's last year: an error, not a guess.
        assert!(cal.nth_workday_after(d("2026-12-30"), 5).is_err());
    }
}
