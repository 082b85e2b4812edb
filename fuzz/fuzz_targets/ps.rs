//! The MPEG program stream parser (with or without Hikvision's media header) on arbitrary
//! bytes named `.mpg`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = recaudit_fuzz::parse_as(data, "mpg");
});
