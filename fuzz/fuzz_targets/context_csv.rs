//! The bureau's context tables as CSV (cases, case_media, ingest_log, media_notes, devices,
//! officers): the first byte picks the table, the rest is the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

const TABLES: [&str; 6] = ["cases", "case_media", "ingest_log", "media_notes", "devices", "officers"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let table = TABLES[usize::from(pick) % TABLES.len()];
    let path = std::path::Path::new("fuzz.csv");
    let _ = recaudit::context::parse_csv(table, text, path, chrono_tz::Asia::Shanghai);
});
