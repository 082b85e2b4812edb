//! The default file-name patterns (device, officer, unit, time, sequence) on arbitrary
//! relative paths, including times that do not exist in the zone.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use recaudit::config::Config;
use recaudit::pathinfo::PathPatterns;

static PATTERNS: OnceLock<PathPatterns> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(rel) = std::str::from_utf8(data) else {
        return;
    };
    let patterns = PATTERNS.get_or_init(|| {
        // The defaults are valid: failing here is a bug the target should report.
        PathPatterns::new(&Config::default().path_patterns, chrono_tz::Asia::Shanghai).unwrap()
    });
    let _ = patterns.extract(rel);
});
