//! H.264 sequence parameter sets (as found in `avcC` records and in-band in TS streams), and
//! the Annex B splitter that finds them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use recaudit::media::h264;

fuzz_target!(|data: &[u8]| {
    let _ = h264::parse_sps(data);
    let _ = h264::parse_sps(&h264::unescape(data));
    for nal in h264::annexb_nals(data).take(64) {
        let _ = h264::parse_sps(nal);
    }
});
