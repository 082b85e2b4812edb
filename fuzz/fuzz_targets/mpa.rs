//! The MPEG audio and ADTS parser on arbitrary bytes named `.mp3`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = recaudit_fuzz::parse_as(data, "mp3");
});
