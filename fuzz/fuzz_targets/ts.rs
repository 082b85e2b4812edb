//! The container parsers on arbitrary bytes named `.ts`. Inputs that do not begin like the
//! format still exercise the sniffing and the unrecognised-file path; the seed corpus
//! (`fuzz/seeds.sh`) starts from real files of the format.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = recaudit_fuzz::parse_as(data, "ts");
});
