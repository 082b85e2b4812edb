//! The Matroska/WebM parser on arbitrary bytes named `.mkv`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = recaudit_fuzz::parse_as(data, "mkv");
});
