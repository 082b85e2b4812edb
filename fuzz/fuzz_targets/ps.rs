//! The MPEG program stream parser (with or without Hikvision's media header) on arbitrary
//! bytes named `.mpg`; then each access unit it noted for the keyframe stage taken out of its
//! span of packets (`media::ps::payload`), as the stage takes it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use recaudit::media::keyplan::Packing;

fuzz_target!(|data: &[u8]| {
    let parsed = recaudit_fuzz::parse_as(data, "mpg");
    let (_, bytes) = recaudit_fuzz::split(data);
    let Some(index) = parsed.info.noted.as_deref() else {
        return;
    };
    let Some(Packing::Ps(stream)) = index.packets else {
        return;
    };
    for s in index.sync.iter().chain(&index.lead).take(64) {
        let from = usize::try_from(s.offset).unwrap_or(usize::MAX).min(bytes.len());
        let to = from.saturating_add(s.size as usize).min(bytes.len());
        let unit = recaudit::media::ps::payload(&bytes[from..to], stream, index.codec);
        assert!(unit.len() <= to - from);
    }
});
