//! A streaming walker over a flat sequence of length-prefixed chunks: ISO BMFF boxes (32-bit
//! big-endian size, type, optional 64-bit size) and RIFF chunks (id, 32-bit little-endian size,
//! even padding). The walker sees the file in arbitrary pieces, keeps the bodies its caller
//! asks for (bounded), skips the rest without copying, and reports a chunk that runs past the
//! end of the file as truncation.

use super::Problem;
use super::cursor::fourcc_str;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Bmff,
    Riff,
}

#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub typ: [u8; 4],
    /// File offset of the first header byte.
    pub start: u64,
    pub header_len: u64,
    /// Total size including the header, or `None` for a box that runs to the end of the file.
    pub size: Option<u64>,
}

impl Header {
    pub fn body_len(&self) -> Option<u64> {
        self.size.map(|s| s - self.header_len)
    }
}

/// What to do with a chunk whose header has just been read.
pub enum Decision {
    /// Buffer its body (at most `limit` bytes, else it is reported and skipped) and hand it over.
    Keep { limit: u64 },
    /// Skip its body.
    Skip,
    /// Skip a body of another extent than the header declares: `Some(n)` bytes, or `None`
    /// for all the bytes to the end of the file (a RIFF `data` chunk whose length a writer
    /// left open).
    SkipBody(Option<u64>),
    /// Read `extra` more bytes (a RIFF form type), hand them over, and walk the body's children;
    /// `open`: the form's length is left open (its field 0 or 0xFFFFFFFF), so the form runs
    /// to the end of the file.
    Descend { extra: u64, open: bool },
    /// A RIFF `LIST`: keep it like `Keep`, unless its list type is `skip_form` (AVI's `movi`).
    KeepList { limit: u64, skip_form: [u8; 4] },
}

/// Whether the first four body bytes (a RIFF form or list type) are still to be looked at.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Ignore,
    Name,
    NameOrSkip { limit: u64, skip: [u8; 4] },
}

enum State {
    Header,
    Body {
        h: Header,
        end: Option<u64>,
        keep: Option<Vec<u8>>,
        descend: bool,
        form: Form,
    },
    Dead,
}

/// Upper bound on the recorded layout entries; beyond it only a count is kept.
const MAX_LAYOUT: usize = 100_000;

pub struct ChunkStream {
    format: Format,
    pos: u64,
    hdr: Vec<u8>,
    state: State,
    pub problem: Option<Problem>,
    pub layout: Vec<String>,
    pub layout_overflow: u64,
    /// End offset of the chunk being descended into (RIFF form); children beyond it are not its.
    descend_end: Option<u64>,
    /// Where the walk met a RIFF chunk id that is no four printable characters, and that id.
    pub unprintable: Option<(u64, [u8; 4])>,
}

impl ChunkStream {
    pub fn new(format: Format) -> Self {
        ChunkStream {
            format,
            pos: 0,
            hdr: Vec::with_capacity(16),
            state: State::Header,
            problem: None,
            layout: Vec::new(),
            layout_overflow: 0,
            descend_end: None,
            unprintable: None,
        }
    }

    fn spec(&self) -> &'static str {
        match self.format {
            Format::Bmff => "ISO/IEC 14496-12 §4.2",
            Format::Riff => "RIFF (Multimedia Programming Interface 1991) §2",
        }
    }

    fn die(&mut self, p: Problem) {
        if self.problem.is_none() {
            self.problem = Some(p);
        }
        self.state = State::Dead;
    }

    /// Needed header length once the first 8 bytes are known.
    fn header_need(&self) -> usize {
        if self.format == Format::Bmff && self.hdr.len() >= 8 && self.hdr[0..4] == [0, 0, 0, 1] {
            16
        } else {
            8
        }
    }

    fn parse_header(&mut self) -> Result<Header, Problem> {
        let h = &self.hdr;
        let typ = [h[4], h[5], h[6], h[7]];
        let start = self.pos - h.len() as u64;
        match self.format {
            Format::Bmff => {
                let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
                let (size, header_len) = match size32 {
                    0 => (None, 8),
                    1 => {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&h[8..16]);
                        (Some(u64::from_be_bytes(b)), 16)
                    }
                    n => (Some(u64::from(n)), 8),
                };
                if let Some(s) = size
                    && s < header_len
                {
                    return Err(Problem::corrupt(format!(
                        "{}: box '{}' at offset {start} declares size {s}, smaller than its {header_len}-byte header",
                        self.spec(),
                        fourcc_str(&typ)
                    )));
                }
                Ok(Header {
                    typ,
                    start,
                    header_len,
                    size,
                })
            }
            Format::Riff => {
                let typ = [h[0], h[1], h[2], h[3]];
                let size = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
                if !typ.iter().all(|b| (0x20..0x7f).contains(b)) {
                    self.unprintable = Some((start, typ));
                    return Err(Problem::corrupt(format!(
                        "{}: chunk id at offset {start} is not four printable characters ({})",
                        self.spec(),
                        fourcc_str(&typ)
                    )));
                }
                let padded = size + (size & 1);
                Ok(Header {
                    typ,
                    start,
                    header_len: 8,
                    size: Some(8 + padded),
                })
            }
        }
    }

    pub fn feed(
        &mut self,
        mut data: &[u8],
        decide: &mut dyn FnMut(&Header) -> Decision,
        done: &mut dyn FnMut(&Header, &[u8], bool),
    ) {
        while !data.is_empty() {
            match &mut self.state {
                State::Dead => return,
                State::Header => {
                    let need = self.header_need();
                    let n = (need - self.hdr.len()).min(data.len());
                    self.hdr.extend_from_slice(&data[..n]);
                    self.pos += n as u64;
                    data = &data[n..];
                    if self.hdr.len() < self.header_need() {
                        continue;
                    }
                    let h = match self.parse_header() {
                        Ok(h) => h,
                        Err(p) => {
                            self.die(p);
                            return;
                        }
                    };
                    self.hdr.clear();
                    if self.layout.len() < MAX_LAYOUT {
                        self.layout.push(fourcc_str(&h.typ));
                    } else {
                        self.layout_overflow += 1;
                    }
                    let end = h.size.map(|s| h.start.saturating_add(s));
                    let spec = self.spec();
                    self.state = match decide(&h) {
                        Decision::Skip => State::Body {
                            h,
                            end,
                            keep: None,
                            descend: false,
                            form: Form::Ignore,
                        },
                        Decision::SkipBody(body) => {
                            let end = body.map(|b| h.start.saturating_add(h.header_len + b));
                            State::Body {
                                h: Header {
                                    size: body.map(|b| h.header_len + b),
                                    ..h
                                },
                                end,
                                keep: None,
                                descend: false,
                                form: Form::Ignore,
                            }
                        }
                        Decision::KeepList { limit, skip_form } => State::Body {
                            h,
                            end,
                            keep: Some(Vec::new()),
                            descend: false,
                            form: Form::NameOrSkip {
                                limit,
                                skip: skip_form,
                            },
                        },
                        Decision::Keep { limit } => match h.body_len() {
                            Some(b) if b > limit => {
                                if self.problem.is_none() {
                                    self.problem = Some(Problem::corrupt(format!(
                                        "{spec}: '{}' at offset {} declares {b} bytes, over the {limit}-byte bound recaudit accepts for metadata",
                                        fourcc_str(&h.typ),
                                        h.start
                                    )));
                                }
                                State::Body {
                                    h,
                                    end,
                                    keep: None,
                                    descend: false,
                                    form: Form::Ignore,
                                }
                            }
                            _ => State::Body {
                                h,
                                end,
                                keep: Some(Vec::new()),
                                descend: false,
                                form: Form::Ignore,
                            },
                        },
                        Decision::Descend { extra, open } => {
                            self.descend_end = if open { None } else { end };
                            let end = Some(h.start + h.header_len + extra);
                            State::Body {
                                h,
                                end,
                                keep: Some(Vec::new()),
                                descend: true,
                                form: Form::Name,
                            }
                        }
                    };
                    // A zero-length body completes at once.
                    self.complete_if_done(done);
                }
                State::Body {
                    h, end, keep, form, ..
                } => {
                    let mut want = match end {
                        Some(e) => (*e - self.pos).min(data.len() as u64) as usize,
                        None => data.len(),
                    };
                    if *form != Form::Ignore {
                        // Take just enough to learn the form type first.
                        let have = keep.as_ref().map_or(0, |b| b.len());
                        want = want.min(4usize.saturating_sub(have).max(1));
                    }
                    if let Some(buf) = keep {
                        buf.extend_from_slice(&data[..want]);
                        if *form != Form::Ignore && buf.len() >= 4 {
                            let name = [buf[0], buf[1], buf[2], buf[3]];
                            if let Some(l) = self.layout.last_mut() {
                                l.push_str(&format!("({})", fourcc_str(&name)));
                            }
                            if let Form::NameOrSkip { limit, skip } = *form {
                                let too_big = h.body_len().is_some_and(|b| b > limit);
                                if name == skip || too_big {
                                    *keep = None;
                                }
                            }
                            *form = Form::Ignore;
                        }
                    }
                    self.pos += want as u64;
                    data = &data[want..];
                    self.complete_if_done(done);
                }
            }
        }
    }

    fn complete_if_done(&mut self, done: &mut dyn FnMut(&Header, &[u8], bool)) {
        if let State::Body {
            h,
            end: Some(e),
            keep,
            descend,
            ..
        } = &self.state
            && self.pos >= *e
        {
            // Only kept (or descended) chunks are handed over; skipped ones are just passed.
            if let Some(body) = keep {
                done(h, body, *descend);
            }
            self.state = State::Header;
        }
    }

    /// Where the walk stands at the end of the bytes fed: the offset and type of a chunk it is
    /// inside (`Some(type)`), or of a header not yet whole (`None`); nothing between chunks or
    /// once the walk has failed.
    pub fn unfinished(&self) -> Option<(u64, Option<[u8; 4]>)> {
        if self.problem.is_some() {
            return None;
        }
        match &self.state {
            State::Header if !self.hdr.is_empty() => Some((self.pos - self.hdr.len() as u64, None)),
            State::Body {
                h, end: Some(e), ..
            } if *e > self.pos => Some((h.start, Some(h.typ))),
            _ => None,
        }
    }

    /// Where the RIFF form the walk descended into ends (its declared size), if it did.
    pub fn form_end(&self) -> Option<u64> {
        self.descend_end
    }

    /// Ends the walk at `total` bytes; returns what was left unfinished, if anything.
    pub fn finish(&mut self, total: u64) -> Option<Problem> {
        if let Some(p) = self.problem.take() {
            return Some(p);
        }
        match &self.state {
            State::Header if !self.hdr.is_empty() => Some(Problem::truncated(format!(
                "{}: the file ends {} bytes into a header at offset {}",
                self.spec(),
                self.hdr.len(),
                total - self.hdr.len() as u64
            ))),
            State::Body {
                h, end: Some(e), ..
            } if *e > total => {
                // A RIFF chunk missing only its pad byte is complete.
                let missing = e - total;
                if self.format == Format::Riff && missing == 1 {
                    return None;
                }
                Some(Problem::truncated(format!(
                    "{}: '{}' at offset {} declares {} bytes but the file ends after {} ({} bytes missing)",
                    self.spec(),
                    fourcc_str(&h.typ),
                    h.start,
                    h.size.unwrap_or(0),
                    total - h.start,
                    missing
                )))
            }
            _ => {
                if let Some(e) = self.descend_end
                    && e > total + 1
                {
                    return Some(Problem::truncated(format!(
                        "{}: the RIFF form declares it ends at offset {e} but the file ends at {total}",
                        self.spec()
                    )));
                }
                None
            }
        }
    }
}

/// Iterates over boxes inside a buffered body (ISO BMFF); stops with an error on a malformed box.
pub struct BoxIter<'a> {
    data: &'a [u8],
    pos: usize,
    pub base: u64,
}

pub struct InnerBox<'a> {
    pub typ: [u8; 4],
    pub body: &'a [u8],
    pub offset: u64,
}

impl<'a> BoxIter<'a> {
    pub fn new(data: &'a [u8], base: u64) -> Self {
        BoxIter { data, pos: 0, base }
    }
}

impl<'a> Iterator for BoxIter<'a> {
    type Item = Result<InnerBox<'a>, Problem>;
    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let offset = self.base + self.pos as u64;
        // Some writers pad a container with up to 7 zero bytes (QuickTime's terminator).
        if rest.len() < 8 {
            self.pos = self.data.len();
            if rest.iter().all(|&b| b == 0) {
                return None;
            }
            return Some(Err(Problem::corrupt(format!(
                "ISO/IEC 14496-12 §4.2: {} stray bytes at offset {offset} are too short for a box header",
                rest.len()
            ))));
        }
        let size32 = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let typ = [rest[4], rest[5], rest[6], rest[7]];
        let (size, hl) = match size32 {
            0 => (rest.len() as u64, 8usize),
            1 => {
                if rest.len() < 16 {
                    self.pos = self.data.len();
                    return Some(Err(Problem::corrupt(format!(
                        "ISO/IEC 14496-12 §4.2: box '{}' at offset {offset} has a 64-bit size cut off",
                        fourcc_str(&typ)
                    ))));
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&rest[8..16]);
                (u64::from_be_bytes(b), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < hl as u64 || size > rest.len() as u64 {
            self.pos = self.data.len();
            // QuickTime allows a 32-bit zero terminator inside udta.
            if size32 == 0 && rest.len() == 4 {
                return None;
            }
            return Some(Err(Problem::corrupt(format!(
                "ISO/IEC 14496-12 §4.2: box '{}' at offset {offset} declares size {size}, outside its parent's remaining {} bytes",
                fourcc_str(&typ),
                rest.len()
            ))));
        }
        let size = size as usize;
        self.pos += size;
        Some(Ok(InnerBox {
            typ,
            body: &rest[hl..size],
            offset,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(bytes: &[u8], pieces: usize) -> (Vec<String>, Vec<(String, usize)>, Option<Problem>) {
        let mut cs = ChunkStream::new(Format::Bmff);
        let mut kept = Vec::new();
        let step = bytes.len().div_ceil(pieces).max(1);
        for piece in bytes.chunks(step) {
            cs.feed(
                piece,
                &mut |h| {
                    if &h.typ == b"moov" {
                        Decision::Keep { limit: 1 << 20 }
                    } else {
                        Decision::Skip
                    }
                },
                &mut |h, body, _| kept.push((fourcc_str(&h.typ), body.len())),
            );
        }
        let p = cs.finish(bytes.len() as u64);
        (cs.layout, kept, p)
    }

    fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn same_result_whatever_the_chunking() {
        let mut f = bx(b"ftyp", b"isom\0\0\0\0");
        f.extend(bx(b"mdat", &[7u8; 100]));
        f.extend(bx(b"moov", &[1u8; 33]));
        for pieces in [1, 2, 3, 7, 50, f.len()] {
            let (layout, kept, p) = walk(&f, pieces);
            assert_eq!(layout, vec!["ftyp", "mdat", "moov"], "pieces {pieces}");
            assert_eq!(kept, vec![("moov".to_string(), 33)]);
            assert!(p.is_none());
        }
    }

    #[test]
    fn truncation_and_undersized_boxes() {
        let mut f = bx(b"ftyp", b"isom\0\0\0\0");
        f.extend(bx(b"mdat", &[7u8; 100]));
        f.truncate(f.len() - 10);
        let p = walk(&f, 3).2.expect("problem");
        assert_eq!(p.kind, super::super::ProblemKind::Truncated);
        assert!(
            p.message.contains("'mdat'") && p.message.contains("10 bytes missing"),
            "{}",
            p.message
        );

        let mut g = bx(b"ftyp", b"isom\0\0\0\0");
        g.extend_from_slice(&[0, 0, 0, 3, b'b', b'a', b'd', b'!']);
        let p = walk(&g, 1).2.expect("problem");
        assert_eq!(p.kind, super::super::ProblemKind::Corrupt);
        assert!(p.message.contains("smaller than its 8-byte header"));
    }

    #[test]
    fn absurd_metadata_size_is_refused_without_allocating() {
        let mut f = bx(b"ftyp", b"isom\0\0\0\0");
        f.extend_from_slice(&[0, 0, 0, 1, b'm', b'o', b'o', b'v']);
        f.extend_from_slice(&(1u64 << 60).to_be_bytes());
        let (_, kept, p) = walk(&f, 1);
        assert!(kept.is_empty());
        let p = p.expect("problem");
        assert!(p.message.contains("bound"), "{}", p.message);
    }
}
