//! Parameter sets and slice headers: H.264 sequence and picture parameter sets (as found in
//! `avcC` records and in-band in TS streams), intra slice headers read with them, and the
//! Annex B splitter that finds them; HEVC sequence and
//! picture parameter sets and slice segment headers (the picture size refused before a decode,
//! the habits and the slice habits), from the NAL units the splitter finds in the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use recaudit::media::{h264, hevc};

fuzz_target!(|data: &[u8]| {
    let _ = h264::parse_sps(data);
    let _ = h264::parse_sps(&h264::unescape(data));
    let nals: Vec<&[u8]> = h264::annexb_nals(data).take(64).collect();
    for nal in &nals {
        let _ = h264::parse_sps(nal);
        let _ = h264::parse_pps(nal);
        let _ = h264::slice_start(nal);
        let _ = hevc::sps_size(nal);
    }
    // H.264 intra slice headers, read with the input's first SPS and PPS that parse.
    let sps = nals.iter().find_map(|n| h264::parse_sps(n));
    let pps = nals.iter().find_map(|n| h264::parse_pps(n));
    if let (Some(sps), Some(pps)) = (sps, pps) {
        for nal in &nals {
            let _ = h264::intra_slice(nal, &sps, &pps);
        }
    }
    let kind = |t: u8| {
        nals.iter()
            .find(|n| n.first().map(|h| (h >> 1) & 0x3f) == Some(t))
            .copied()
    };
    if let (Some(sps), Some(pps)) = (kind(33), kind(34)) {
        let _ = hevc::habits(sps, pps);
        if let Some(syntax) = hevc::slice_syntax(sps, pps) {
            for nal in &nals {
                let _ = hevc::segment(nal, &syntax);
            }
        }
    }
});
