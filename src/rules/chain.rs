//! The warehouse's own history, 第二十八条(三) (records deliberately damaged, deleted or
//! modified). recaudit's tables are the bureau's proof that footage was never altered; when the
//! hash chain over its runs does not verify and a run starts a new chain (`scan --new-chain`),
//! the break stays a finding in every later run, with what did not verify, so that nobody can
//! start over quietly.

use serde_json::json;

use super::{Ctx, Findings, Target, local};

pub fn check(ctx: &Ctx, out: &mut Findings) {
    for b in ctx.env.history_breaks {
        let first = b.problems.first().map_or("", String::as_str);
        out.add(
            "CHAIN-RESTART",
            Target::default(),
            Some(b.at_us),
            None,
            None,
            format!(
                "the warehouse's history did not verify and run {} started a new chain ({}): {} problem(s), first: {first}",
                b.run_id,
                local(ctx, b.at_us),
                b.problems.len()
            ),
            json!({ "run_id": b.run_id, "problems": b.problems }),
        );
    }
}
