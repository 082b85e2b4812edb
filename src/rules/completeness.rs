//! Records not made as required, 第二十八条(一), against the lists of 第六条 (written records)
//! and 第七条 (moments on audio or video). A closed case whose checklist item applies (always,
//! or because its condition holds: a hearing was held, an interview record is in the file)
//! and for which nothing was found is an `incomplete_record`, citing the item's clause. Open
//! cases are still being recorded: they appear in `case_items` and the `case_completeness`
//! analysis, never as findings.

use serde_json::json;

use super::{Ctx, Findings, Target};
use crate::obligations::end_of_day_us;

pub fn check(ctx: &Ctx, out: &mut Findings) {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    for r in ctx.env.case_items.iter().filter(|r| r.status == "missing") {
        let Some(closed) = r
            .case_closed
            .and_then(|d| epoch.checked_add_signed(chrono::Duration::days(i64::from(d))))
        else {
            continue;
        };
        let what = match r.record {
            "written" => {
                "no document of this type was found in case_documents or under a case folder"
            }
            _ => "no recording or photo linked to the case is classified as showing this moment",
        };
        let why = r
            .condition_met
            .as_deref()
            .map_or("required for every such case".to_string(), |c| {
                format!("required because of {c}")
            });
        out.add(
            "REC-INCOMPLETE",
            Target {
                case: Some(&r.case_id),
                ..Default::default()
            },
            end_of_day_us(closed, ctx.tz),
            None,
            None,
            format!(
                "case {} ({}, closed {closed}) lacks {} {} {} ({}): {what}; {why}",
                r.case_id,
                r.case_kind,
                if r.record == "written" {
                    "the written record"
                } else {
                    "the audio-visual record of"
                },
                r.clause,
                r.name,
                r.gloss
            ),
            json!({
                "case_id": r.case_id,
                "item": r.item,
                "record": r.record,
                "clause": r.clause,
                "requirement": r.requirement,
                "condition_met": r.condition_met,
            }),
        );
        out.cite_last(
            &format!("{}; 第二十八条(一)", r.clause),
            &format!(
                "{} must be recorded ({}); Art.28(1) a record not made as required",
                english_clause(&r.clause),
                r.gloss
            ),
        );
    }
}

/// `第七条(二)6` as `Art.7(2)6`: Chinese numerals (up to 99) become digits, the rest is kept.
fn english_clause(clause: &str) -> String {
    fn digit(c: char) -> Option<u32> {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|p| p as u32)
    }
    let mut out = String::new();
    let mut chars = clause.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '第' {
            out.push_str("Art.");
            continue;
        }
        if c == '条' {
            continue;
        }
        if digit(c).is_some() || c == '十' {
            // A run of numerals: 七, 十, 十二, 二十, 二十八.
            let mut run = vec![c];
            while let Some(&n) = chars.peek() {
                if digit(n).is_some() || n == '十' {
                    run.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let value = match run.iter().position(|&x| x == '十') {
                Some(p) => {
                    let tens = if p == 0 {
                        1
                    } else {
                        run[..p].iter().filter_map(|&d| digit(d)).sum()
                    };
                    let ones: u32 = run[p + 1..].iter().filter_map(|&d| digit(d)).sum();
                    tens * 10 + ones
                }
                None => run
                    .iter()
                    .filter_map(|&d| digit(d))
                    .fold(0, |a, d| a * 10 + d),
            };
            out.push_str(&value.to_string());
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn clauses_in_english() {
        assert_eq!(super::english_clause("第七条(二)6"), "Art.7(2)6");
        assert_eq!(super::english_clause("第六条(二)1-3"), "Art.6(2)1-3");
        assert_eq!(super::english_clause("第二十八条(一)"), "Art.28(1)");
        assert_eq!(super::english_clause("第十七条"), "Art.17");
    }
}
