//! The keyframe stage's plan of an MP4 (`media::keyplan`): the input as a `moov` box's body,
//! then as a movie fragment added to the plan of a fragmented file (the fixture
//! `fragmented.mp4`'s `moov`; the input's first eight bytes, big-endian, are where the
//! fragment stands in the file), then as a sample's bytes cut into NAL units.
#![no_main]
use libfuzzer_sys::fuzz_target;
use recaudit::media::keyplan;

static FRAGMENTED: &[u8] = include_bytes!("../../tests/fixtures/osd/fragmented.mp4");

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
