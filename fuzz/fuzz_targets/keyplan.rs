//! The keyframe stage's plan of an MP4 (`media::keyplan`): the input as a `moov` box's body,
//! then as a movie fragment added to the plan of a fragmented file (the fixture
//! `fragmented.mp4`'s `moov`; the input's first eight bytes, big-endian, are where the
//! fragment stands in the file), then as a sample's bytes cut into NAL units; and as an AVI's
//! header list and index (the first two bytes, big-endian, the length of an `hdrl` body that
//! follows, the rest an `idx1` body), and whole as the index of the fixture `day.avi`'s stream;
//! as OpenDML standard indexes, and its `hdrl` part searched for a super index; and as a span
//! of transport-stream packets a picture is taken out of (188 and 192 bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use recaudit::media::keyplan;

static FRAGMENTED: &[u8] = include_bytes!("../../tests/fixtures/osd/fragmented.mp4");
static DAY_AVI: &[u8] = include_bytes!("../../tests/fixtures/osd/day.avi");

/// The body of an AVI's `hdrl` list after its type (the first chunk of the RIFF form, as the
/// fixture has it).
fn hdrl_body(file: &[u8]) -> Option<&[u8]> {
    let size = u32::from_le_bytes(file.get(16..20)?.try_into().ok()?) as usize;
    (file.get(12..16)? == b"LIST" && file.get(20..24)? == b"hdrl")
        .then(|| file.get(24..20 + size))
        .flatten()
}

/// The body of a file's top-level `moov` box (32-bit sizes, as the fixture has).
fn moov_body(file: &[u8]) -> Option<&[u8]> {
    let mut at = 0usize;
    while at + 8 <= file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().ok()?) as usize;
        if size < 8 || at + size > file.len() {
            return None;
        }
        if &file[at + 4..at + 8] == b"moov" {
            return Some(&file[at + 8..at + size]);
        }
        at += size;
    }
    None
}

fuzz_target!(|data: &[u8]| {
    for size in [188, 192] {
        let _ = keyplan::ts_payload(data, keyplan::TsPackets { size, pid: 0x100 });
    }
    let (len, rest) = data.split_at(data.len().min(2));
    let n = len.iter().fold(0usize, |a, &b| a << 8 | usize::from(b));
    let (hdrl, idx1) = rest.split_at(n.min(rest.len()));
    if let Some(mut plan) = keyplan::avi_plan(hdrl, idx1, 4096, keyplan::LEAD_MAX) {
        keyplan::params_in_band(&mut plan, idx1);
        let _ = keyplan::annex_b(&plan, idx1, true);
    }
    if let Some(hdrl) = hdrl_body(DAY_AVI) {
        let _ = keyplan::avi_plan(hdrl, data, 4096, keyplan::LEAD_MAX);
        // The input as two OpenDML standard indexes of the fixture's stream.
        let (a, b) = data.split_at(data.len() / 2);
        let _ = keyplan::avi_plan_indexed(hdrl, &[a, b], keyplan::LEAD_MAX);
    }
    let _ = keyplan::avi_standard_indexes(hdrl);
    if let Some(plan) = keyplan::plan(data, keyplan::LEAD_MAX) {
        for s in plan.sync.iter().take(4) {
            let _ = plan.seconds(s);
        }
    }
    let Some(mut plan) = moov_body(FRAGMENTED).and_then(|m| keyplan::plan(m, keyplan::LEAD_MAX))
    else {
        return;
    };
    let (head, moof) = data.split_at(data.len().min(8));
    let mut at = [0u8; 8];
    at[..head.len()].copy_from_slice(head);
    let at = u64::from_be_bytes(at);
    // Twice: a fragment's samples continue the previous one's numbers and times.
    if keyplan::add_fragment(&mut plan, at, moof) {
        keyplan::add_fragment(&mut plan, at, moof);
    }
    let _ = keyplan::nals(&plan, data).count();
    let _ = keyplan::annex_b(&plan, data, true);
});
