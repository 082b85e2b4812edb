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

/// Whether `b`'s [`fingerprint`] is `a`'s: the same shared text facts.
pub fn same_fingerprint(a: &FileFacts, b: &FileFacts) -> bool {
    std::sync::Arc::ptr_eq(&a.text, &b.text)
}

/// Whether fingerprint `odd` differs from `usual` only by what is missing: no encoder or
/// software string where the usual file has one, and handler and compressor names that are a
/// subset of the usual ones (a file without its audio track: muted, or a video-only mode). A
/// missing part is no trace of other software; a different or an added one is.
pub fn only_missing(odd: &str, usual: &str) -> bool {
    let fields = |s: &str| -> Vec<(String, String)> {
        s.split(" | ")
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let (a, b) = (fields(odd), fields(usual));
    a.len() == b.len()
        && a.iter().zip(&b).all(|((ka, va), (kb, vb))| {
            ka == kb
                && (va.is_empty()
                    || va == vb
                    || (matches!(ka.as_str(), "handlers" | "compressors")
                        && va.split(';').all(|x| vb.split(';').any(|y| y == x))))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_track_is_no_trace_of_other_software() {
        let usual =
            "encoder=DSJ 2.1 | software= | handlers=VideoHandler;SoundHandler | compressors=";
        let muted = "encoder=DSJ 2.1 | software= | handlers=VideoHandler | compressors=";
        assert!(only_missing(muted, usual));
        let remuxed =
            "encoder=Lavf59.27.100 | software= | handlers=VideoHandler;SoundHandler | compressors=";
        assert!(!only_missing(remuxed, usual));
        let other =
            "encoder=DSJ 2.1 | software= | handlers=VideoHandler;Core Media Audio | compressors=";
        assert!(!only_missing(other, usual));
        // Something added where the usual file has nothing is a trace.
        let bare = "encoder= | software= | handlers=VideoHandler | compressors=";
        assert!(!only_missing(
            "encoder=Lavf | software= | handlers=VideoHandler | compressors=",
            bare
        ));
    }
}
