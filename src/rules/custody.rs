//! Chain-of-custody findings, 第二十八条(三) (deliberate damage, deletion or modification) and
//! 第二十二条 (keeping time). Every `modified` and `deleted` custody event ever recorded stays
//! a finding: an offence does not expire because the next night's scan no longer sees it.
//! A deletion before the file's keep-until date, or of a file kept long-term (第二十一条), is
//! also reported as `deleted_before_retention`. Files that come and go by themselves
//! (`Thumbs.db`, a Mac's `._NAME`, a transfer's `NAME.part`: [`crate::pathinfo::is_transient`])
//! are recorded as `transient_modified` and `transient_deleted`, no offence, unless a record
//! was moved to such a name ([`crate::custody`]). A record moved into a recycle bin (`recycled`,
//! [`crate::pathinfo::in_recycle_bin`]) was deleted through the share: `deleted` at its own path,
//! and emptying the bin later (`purged`) is no second offence.

use serde_json::json;

use super::{Ctx, Findings, Target, local};

pub fn check(ctx: &Ctx, out: &mut Findings) {
    for e in ctx.env.offences {
        let t = || Target {
            path: Some(e.path.as_str()),
            device: e.device_id.as_deref(),
            ..Default::default()
        };
        let details = json!({
            "event": e.event,
            "previous_path": e.previous_path,
            "run_id": e.run_id,
            "blake3": e.blake3,
            "previous_blake3": e.previous_blake3,
            "size_bytes": e.size_bytes,
            "previous_size_bytes": e.previous_size_bytes,
            "retention_class": e.retention_class,
            "keep_until": e.keep_until_us,
        });
        match e.event.as_str() {
            "modified" => out.add(
                "CUST-MODIFIED",
                t(),
                Some(e.at_us),
                None,
                None,
                format!(
                    "bytes changed (BLAKE3 {} -> {}), seen by the run of {}: {}",
                    short(e.previous_blake3.as_deref()),
                    short(e.blake3.as_deref()),
                    local(ctx, e.at_us),
                    e.details
                ),
                details,
            ),
            "deleted" | "recycled" => {
                let class = e.retention_class.as_deref().unwrap_or("unknown");
                // A record deleted into a recycle bin is reported at its own path.
                let (target, how) = match (e.event.as_str(), e.previous_path.as_deref()) {
                    ("recycled", Some(old)) => (
                        Target {
                            path: Some(old),
                            device: e.device_id.as_deref(),
                            ..Default::default()
                        },
                        format!(
                            "deleted into a recycle bin ({}; recoverable until the bin is emptied), seen by the run of {}",
                            e.path,
                            local(ctx, e.at_us)
                        ),
                    ),
                    _ => (
                        t(),
                        format!("deleted: missing from the run of {}", local(ctx, e.at_us)),
                    ),
                };
                let path = target.path;
                out.add(
                    "CUST-DELETED",
                    target,
                    Some(e.at_us),
                    None,
                    None,
                    format!("{how} (retention class {class})"),
                    details.clone(),
                );
                let t = || Target {
                    path,
                    device: e.device_id.as_deref(),
                    ..Default::default()
                };
                let early = match (class, e.keep_until_us) {
                    ("long_term", _) => Some("it was to be kept long-term".to_string()),
                    (_, Some(k)) if e.at_us < k => {
                        Some(format!("it was to be kept until {}", local(ctx, k)))
                    }
                    // Standard class with no due date: a case it belongs to is still open.
                    ("standard", None) => Some("a case it belongs to is still open".to_string()),
                    _ => None,
                };
                if let Some(why) = early {
                    out.add(
                        "RET-EARLY",
                        t(),
                        Some(e.at_us),
                        None,
                        None,
                        format!("deleted before its time: {why}"),
                        details,
                    );
                }
            }
            _ => {}
        }
    }
}

fn short(h: Option<&str>) -> &str {
    h.map_or("none", |h| &h[..h.len().min(16)])
}
