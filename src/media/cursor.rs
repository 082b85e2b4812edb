//! A bounds-checked reader over a byte slice.
//!
//! Every parser in `media/` reads through this type so that no length, count or offset taken
//! from a file can index past the data actually present: a short read is an `Err`, never a
//! panic, and nothing is allocated from a count the file declares.

/// Not enough bytes for the field being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short;

pub type R<T> = Result<T, Short>;

#[derive(Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }
    pub fn take(&mut self, n: usize) -> R<&'a [u8]> {
        if n > self.remaining() {
            return Err(Short);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn skip(&mut self, n: usize) -> R<()> {
        self.take(n).map(|_| ())
    }
    pub fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn be16(&mut self) -> R<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn be24(&mut self) -> R<u32> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    pub fn be32(&mut self) -> R<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn be64(&mut self) -> R<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    pub fn le16(&mut self) -> R<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn le32(&mut self) -> R<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn le64(&mut self) -> R<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub fn fourcc(&mut self) -> R<[u8; 4]> {
        let b = self.take(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }
}

/// Reads bits MSB-first, as H.264 parameter sets are written, with Exp-Golomb codes.
pub struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, bit: 0 }
    }
    /// Bits read so far.
    pub fn position(&self) -> usize {
        self.bit
    }
    pub fn bit(&mut self) -> R<u32> {
        let byte = *self.data.get(self.bit / 8).ok_or(Short)?;
        let v = (byte >> (7 - (self.bit % 8))) & 1;
        self.bit += 1;
        Ok(u32::from(v))
    }
    pub fn bits(&mut self, n: u32) -> R<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Ok(v)
    }
    /// Unsigned Exp-Golomb; codes longer than 31 leading zeros are rejected as malformed.
    pub fn ue(&mut self) -> R<u32> {
        let mut zeros = 0u32;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(Short);
            }
        }
        if zeros == 0 {
            return Ok(0);
        }
        let rest = self.bits(zeros)?;
        Ok(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }
    /// Whether syntax follows before the RBSP's stop bit (`more_rbsp_data()`, H.264 §7.2): a
    /// set bit after the current position other than the last set bit of the data.
    pub fn more_rbsp_data(&self) -> bool {
        let last_one = self
            .data
            .iter()
            .rposition(|&b| b != 0)
            .map(|i| i * 8 + 7 - self.data[i].trailing_zeros() as usize);
        last_one.is_some_and(|stop| self.bit < stop)
    }
    pub fn se(&mut self) -> R<i32> {
        let k = self.ue()?;
        let mag = k.div_ceil(2) as i32;
        Ok(if k % 2 == 1 { mag } else { -mag })
    }
}

/// A four-character code as text; bytes outside printable ASCII are shown as `\xNN`, and the
/// QuickTime copyright sign (0xA9) as `©`.
pub fn fourcc_str(t: &[u8; 4]) -> String {
    let mut s = String::new();
    for &b in t {
        if b == 0xA9 {
            s.push('©');
        } else if (0x20..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

/// Text from a file field: stops at the first NUL, trims spaces, replaces invalid UTF-8, and
/// returns `None` when nothing printable is left.
pub fn text(bytes: &[u8]) -> Option<String> {
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
    let s = String::from_utf8_lossy(&bytes[..end]);
    let t = s.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_reads_are_errors() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.be16(), Ok(0x0102));
        assert_eq!(c.be16(), Err(Short));
        assert_eq!(c.u8(), Ok(3));
        assert_eq!(c.u8(), Err(Short));
    }

    #[test]
    fn exp_golomb() {
        // 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3
        let mut b = BitReader::new(&[0b1010_0110, 0b0100_0000]);
        assert_eq!(b.ue(), Ok(0));
        assert_eq!(b.ue(), Ok(1));
        assert_eq!(b.ue(), Ok(2));
        assert_eq!(b.ue(), Ok(3));
        let mut z = BitReader::new(&[0, 0, 0, 0, 0]);
        assert_eq!(z.ue(), Err(Short));
    }

    #[test]
    fn fourcc_and_text() {
        assert_eq!(fourcc_str(&[0xA9, b't', b'o', b'o']), "©too");
        assert_eq!(fourcc_str(&[0, b'a', b'b', b'c']), "\\x00abc");
        assert_eq!(text(b"  Lavf60 \0junk"), Some("Lavf60".into()));
        assert_eq!(text(b"\0\0"), None);
    }
}
