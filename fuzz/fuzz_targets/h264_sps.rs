//! Parameter sets and slice headers: H.264 sequence and picture parameter sets (as found in
//! `avcC` records and in-band in TS streams), intra slice headers and any slice's picture
//! numbering (`picture_order`) read with them, and the
//! Annex B splitter that finds them; HEVC sequence and
//! picture parameter sets and slice segment headers (the picture size refused before a decode,
//! the habits and the slice habits), from the NAL units the splitter finds in the input; and
//! the cuts of both codecs to a picture's top rows (the SPS rewritten, the input taken as an
//! access unit under the cut).
#![no_main]
use libfuzzer_sys::fuzz_target;
use recaudit::media::{h264, h264_cut, hevc, hevc_cut};

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
    // Cuts to the top rows, at a few heights, from every SPS-looking unit; the input as an
    // access unit under each.
    let rows = u32::from(data.first().copied().unwrap_or(0)) * 8;
    let pps: Vec<&[u8]> = nals
        .iter()
        .filter(|n| n.first().map(|h| (h >> 1) & 0x3f) == Some(34))
        .copied()
        .collect();
    for nal in &nals {
        if let Some(cut) = h264_cut::top_rows(nal, rows) {
            let _ = h264_cut::access_unit(data, &cut);
        }
        let _ = hevc_cut::picture_height(nal);
        if let Some(cut) = hevc_cut::top_rows(nal, &pps, rows) {
            let _ = hevc_cut::access_unit(data, &cut);
        }
    }
    // H.264 intra slice headers, read with the input's first SPS and PPS that parse.
    let sps = nals.iter().find_map(|n| h264::parse_sps(n));
    let pps = nals.iter().find_map(|n| h264::parse_pps(n));
    if let (Some(sps), Some(pps)) = (sps, pps) {
        for nal in &nals {
            let _ = h264::intra_slice(nal, &sps, &pps);
            let _ = h264::picture_order(nal, &sps);
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
