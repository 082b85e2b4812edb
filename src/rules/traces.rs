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

/// Whether a text (a file's strings, or its [`fingerprint`], whose labels name no tool) names
/// an editing tool.
pub fn names_an_editor(text: &str) -> bool {
    let low = text.to_lowercase();
    EDITORS.iter().any(|e| low.contains(e))
}

/// The editing tool a file's software strings name, and the string that names it. The rules
/// ask [`crate::rules::Ctx::editor`], which looks once per distinct set of strings.
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

/// Whether fingerprint `odd` differs from `usual` only by tracks one of them lacks: no encoder
/// or software string where the usual file has one, compressor names that are a subset of the
/// usual ones, and handler names that are a subset or a superset of the usual ones. A file
/// without its audio track (muted, or a video-only mode) lacks a handler; a file with a track
/// the recorder adds only now and then (a position track while it has a satellite fix, a
/// timecode or a second camera) has one more, named by the same writer. Neither is a trace of
/// other software; a string changed, or a compressor name added, is.
pub fn only_tracks_apart(odd: &str, usual: &str) -> bool {
    let fields = |s: &str| -> Vec<(String, String)> {
        s.split(" | ")
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let within = |a: &str, b: &str| a.split(';').all(|x| b.split(';').any(|y| y == x));
    let (a, b) = (fields(odd), fields(usual));
    a.len() == b.len()
        && a.iter().zip(&b).all(|((ka, va), (kb, vb))| {
            ka == kb
                && (va.is_empty()
                    || va == vb
                    || (ka == "compressors" && within(va, vb))
                    || (ka == "handlers" && (within(va, vb) || (!vb.is_empty() && within(vb, va)))))
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
        assert!(only_tracks_apart(muted, usual));
        let remuxed =
            "encoder=Lavf59.27.100 | software= | handlers=VideoHandler;SoundHandler | compressors=";
        assert!(!only_tracks_apart(remuxed, usual));
        let other =
            "encoder=DSJ 2.1 | software= | handlers=VideoHandler;Core Media Audio | compressors=";
        assert!(!only_tracks_apart(other, usual));
        // Something added where the usual file has nothing is a trace.
        let bare = "encoder= | software= | handlers=VideoHandler | compressors=";
        assert!(!only_tracks_apart(
            "encoder=Lavf | software= | handlers=VideoHandler | compressors=",
            bare
        ));
    }

    #[test]
    fn a_track_added_by_the_same_writer_is_no_trace_of_other_software() {
        let usual = "encoder=Lavf59.27.100 | software= | handlers=VideoHandler;SoundHandler | compressors=Lavc59.37.100 libx264";
        // A position track while the recorder had a satellite fix, and the other way round.
        let with_gps = "encoder=Lavf59.27.100 | software= | handlers=VideoHandler;SoundHandler;SubtitleHandler | compressors=Lavc59.37.100 libx264";
        assert!(only_tracks_apart(with_gps, usual));
        assert!(only_tracks_apart(usual, with_gps));
        // A handler renamed is another writer, even beside an added one.
        let renamed = "encoder=Lavf59.27.100 | software= | handlers=VideoHandler;Core Media Audio;SubtitleHandler | compressors=Lavc59.37.100 libx264";
        assert!(!only_tracks_apart(renamed, usual));
        // Another muxer's string, with the track added.
        let remuxed = "encoder=Lavf60.3.100 | software= | handlers=VideoHandler;SoundHandler;SubtitleHandler | compressors=Lavc59.37.100 libx264";
        assert!(!only_tracks_apart(remuxed, usual));
        // Another encoder's name beside the usual one is a trace.
        let coded = "encoder=Lavf59.27.100 | software= | handlers=VideoHandler;SoundHandler | compressors=Lavc59.37.100 libx264;x265";
        assert!(!only_tracks_apart(coded, usual));
        // Handlers where the usual file names none are something added by other software.
        let bare =
            "encoder=Lavf59.27.100 | software= | handlers= | compressors=Lavc59.37.100 libx264";
        assert!(!only_tracks_apart(usual, bare));
    }
}
