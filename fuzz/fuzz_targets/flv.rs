//! The Flash Video parser on arbitrary bytes named `.flv`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = recaudit_fuzz::parse_as(data, "flv");
});
