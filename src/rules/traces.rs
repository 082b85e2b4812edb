//! Traces of the software that wrote a file: the names of editing and transcoding tools, and
//! the software strings a file carries (its fingerprint). Shared by the re-encoding rules
//! (`software.rs`) and the inserted-footage rule (`coding.rs`), which tells a segment
//! re-encoded in place from foreign footage by them.

use crate::catalog::FileFacts;

/// Names of editing and transcoding tools, matched case-insensitively as substrings.
const EDITORS: &[&str] = &[
    "premiere",
    "after effects",
    "adobe media encoder",
    "final cut",
    "imovie",
    "davinci",
    "resolve",
    "handbrake",
    "shotcut",
    "kdenlive",
    "openshot",
    "avidemux",
    "vegas",
    "camtasia",
    "capcut",
    "剪映",
    "爱剪辑",
    "会声会影",
    "videostudio",
    "格式工厂",
    "format factory",
    "formatfactory",
    "mediacoder",
    "movavi",
    "filmora",
    "wondershare",
    "pinnacle",
    "lightworks",
    "vsdc",
    "快剪辑",
    "必剪",
    "videoproc",
    "xmedia recode",
    "any video converter",
];

pub fn editor(f: &FileFacts) -> Option<(&'static str, String)> {
    for v in [
        &f.encoder,
        &f.software,
        &f.handler_names,
        &f.compressor_names,
    ]
    .into_iter()
    .flatten()
    {
        let low = v.to_lowercase();
        if let Some(e) = EDITORS.iter().find(|e| low.contains(*e)) {
            return Some((e, v.to_string()));
        }
    }
    None
}

/// The software that wrote a file, as its strings say. Not the brand or the box layout: a
/// recorder writes fragmented segments in its crash-safe mode, and a layout alone is no trace
/// of editing.
pub fn fingerprint(f: &FileFacts) -> String {
    format!(
        "encoder={} | software={} | handlers={} | compressors={}",
        f.encoder.as_deref().unwrap_or(""),
        f.software.as_deref().unwrap_or(""),
        f.handler_names.as_deref().unwrap_or(""),
        f.compressor_names.as_deref().unwrap_or(""),
    )
}
