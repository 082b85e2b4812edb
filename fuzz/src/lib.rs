//! What every fuzz target shares: feeding bytes to a parser the way the reader does (first the
//! sniffing head, then every byte in order, in chunks), with the chunk size taken from the
//! input so that chunk boundaries fall everywhere.

use recaudit::media::{self, Sink};

/// Splits `data` into a chunk size (from its first byte) and the file's bytes.
pub fn split(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((&b, rest)) => (usize::from(b % 64) * 61 + 1, rest),
        None => (1, data),
    }
}

/// Feeds `bytes` to `sink` in chunks of `chunk` bytes, serves the ranges it asks to revisit,
/// and returns the verdict, as `recaudit::read` does for a file of that content.
pub fn feed(mut sink: Box<dyn Sink>, bytes: &[u8], chunk: usize) -> media::Parsed {
    for piece in bytes.chunks(chunk.max(1)) {
        sink.feed(piece);
    }
    let ranges = sink.revisit();
    assert!(ranges.len() <= media::REVISIT_MAX, "too many revisits");
    for (off, len) in ranges {
        let start = usize::try_from(off).unwrap_or(usize::MAX).min(bytes.len());
        let end = start.saturating_add(len as usize).min(bytes.len());
        sink.revisited(off, &bytes[start..end]);
    }
    sink.finish(bytes.len() as u64)
}

/// Sniffs and parses `data` as a file named with extension `ext`.
pub fn parse_as(data: &[u8], ext: &str) -> media::Parsed {
    let (chunk, bytes) = split(data);
    let head = &bytes[..bytes.len().min(media::SNIFF_LEN)];
    feed(media::sniff(head, ext), bytes, chunk)
}
