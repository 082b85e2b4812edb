//! What every fuzz target shares: the input's first byte picks the chunk size, the rest is
//! the file, parsed as the reader parses it ([`recaudit::media::parse_bytes`]), so that chunk
//! boundaries fall everywhere.

use recaudit::media;

/// Splits `data` into a chunk size (from its first byte) and the file's bytes.
pub fn split(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((&b, rest)) => (usize::from(b % 64) * 61 + 1, rest),
        None => (1, data),
    }
}

/// Sniffs and parses `data` as a file named with extension `ext`.
pub fn parse_as(data: &[u8], ext: &str) -> media::Parsed {
    let (chunk, bytes) = split(data);
    media::parse_bytes(bytes, ext, chunk)
}
