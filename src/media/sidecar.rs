//! Description sidecars: a small JSON file beside a recording (`<file>.json`, for example
//! `20260312_101500_0001.MP4.json`) in which the uploader classifies and describes it, as
//! 第十七条 asks within two working days of upload. Recognised keys (all optional):
//!
//! ```json
//! {"category": "inspection", "description": "site sign, briefing, inspection of the store",
//!  "described_at": "2026-03-13 09:30:00"}
//! ```
//! `described_at` is local time of the configured zone or RFC 3339 with an offset; when it is
//! absent the sidecar's modification time stands for it. Other keys are ignored.

use super::{Container, MediaInfo, MediaKind, Parsed, Problem, Sink};

/// Largest sidecar read; a description has no business being bigger.
pub const MAX_LEN: usize = 1 << 20;

/// What a sidecar says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SidecarInfo {
    pub category: Option<String>,
    pub description: Option<String>,
    pub described_at: Option<String>,
}

/// Whether a file named with extension `ext` starting with `head` is a JSON sidecar.
pub fn detect(head: &[u8], ext: &str) -> bool {
    ext == "json"
        && head
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{')
}

#[derive(Default)]
pub struct SidecarSink {
    bytes: Vec<u8>,
    too_long: bool,
}

impl Sink for SidecarSink {
    fn feed(&mut self, data: &[u8]) {
        if self.bytes.len() + data.len() > MAX_LEN {
            self.too_long = true;
        } else {
            self.bytes.extend_from_slice(data);
        }
    }

    fn finish(self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(Container::Json);
        info.kind = MediaKind::Sidecar;
        if self.too_long {
            return Parsed {
                info,
                problem: Some(Problem::unsupported(format!(
                    "JSON sidecar of {total} bytes is larger than the {MAX_LEN}-byte limit for descriptions"
                ))),
            };
        }
        let v: serde_json::Value = match serde_json::from_slice(&self.bytes) {
            Ok(v) => v,
            Err(e) => {
                return Parsed {
                    info,
                    problem: Some(Problem::corrupt(format!(
                        "JSON sidecar is not valid JSON: {e}"
                    ))),
                };
            }
        };
        let Some(obj) = v.as_object() else {
            return Parsed {
                info,
                problem: Some(Problem::corrupt("JSON sidecar is not an object")),
            };
        };
        let text = |k: &str| {
            obj.get(k)
                .and_then(|x| x.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(4096).collect::<String>())
        };
        info.sidecar = Some(SidecarInfo {
            category: text("category"),
            description: text("description"),
            described_at: text("described_at"),
        });
        Parsed {
            info,
            problem: None,
        }
    }
}
