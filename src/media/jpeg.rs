//! JPEG photos (ITU-T T.81) with EXIF metadata (CIPA DC-008, a TIFF structure in APP1).
//!
//! The marker segments before the scan are kept (bounded) and parsed; the entropy-coded data is
//! only searched for the end-of-image marker, so a photo cut off in transfer is reported as
//! truncated.

use chrono::NaiveDateTime;

use super::cursor::{Cursor, text};
use super::{Container, MediaInfo, MediaKind, Parsed, Problem, RecordedTime, Sink, StreamInfo};

/// Header segments kept before the first scan (EXIF is at most 64 KiB; thumbnails and ICC
/// profiles add some).
const HEADER_LIMIT: usize = 4 << 20;

pub struct JpegSink {
    head: Vec<u8>,
    head_done: bool,
    pos: u64,
    scan_start: Option<u64>,
    last_ff: bool,
    eoi_at: Option<u64>,
    /// Where the walk over the header's marker segments stopped for want of bytes: the next
    /// feed resumes there. (Walking from the start on every feed made a header of fill bytes
    /// quadratic in its length: found by the `jpeg` fuzz target.)
    walk: usize,
    /// The header stopped looking like marker segments: no scan will be found in it.
    walk_failed: bool,
}

impl JpegSink {
    pub fn new() -> Self {
        JpegSink {
            head: Vec::new(),
            head_done: false,
            pos: 0,
            scan_start: None,
            last_ff: false,
            eoi_at: None,
            walk: 2,
            walk_failed: false,
        }
    }

    /// Offset just past the SOS segment header, once the header bytes contain it. Resumes the
    /// walk where the last call stopped: the header only grows, so the steps already taken
    /// stay the same.
    fn find_scan(&mut self) -> Option<u64> {
        if self.walk_failed {
            return None;
        }
        let h = &self.head;
        let mut i = self.walk;
        while i + 4 <= h.len() {
            if h[i] != 0xFF {
                self.walk_failed = true;
                return None;
            }
            let m = h[i + 1];
            if m == 0xFF {
                i += 1;
                continue;
            }
            if (0xD0..=0xD7).contains(&m) || m == 0x01 {
                i += 2;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([h[i + 2], h[i + 3]]));
            if m == 0xDA {
                return Some((i + 2 + len) as u64);
            }
            i += 2 + len;
        }
        self.walk = i;
        None
    }
}

impl Default for JpegSink {
    fn default() -> Self {
        Self::new()
    }
}

impl Sink for JpegSink {
    fn feed(&mut self, data: &[u8]) {
        let start = self.pos;
        self.pos += data.len() as u64;
        if !self.head_done {
            let room = HEADER_LIMIT - self.head.len();
            self.head.extend_from_slice(&data[..data.len().min(room)]);
            if let Some(s) = self.find_scan() {
                self.scan_start = Some(s);
                self.head_done = true;
            } else if self.head.len() >= HEADER_LIMIT {
                self.head_done = true;
            }
        }
        // Look for FF D9 in the entropy-coded data (after the scan header).
        let Some(scan) = self.scan_start else { return };
        if self.eoi_at.is_some() {
            return;
        }
        let from = scan.saturating_sub(start).min(data.len() as u64) as usize;
        if from == 0 && self.last_ff && data.first() == Some(&0xD9) && start > scan {
            self.eoi_at = Some(start - 1);
            return;
        }
        let mut d = &data[from..];
        let mut base = start + from as u64;
        while let Some(i) = memchr::memchr(0xFF, d) {
            if d.get(i + 1) == Some(&0xD9) {
                self.eoi_at = Some(base + i as u64);
                return;
            }
            base += i as u64 + 1;
            d = &d[i + 1..];
        }
        self.last_ff = data.last() == Some(&0xFF);
    }

    fn finish(self: Box<Self>, total: u64) -> Parsed {
        let mut info = MediaInfo::new(Container::Jpeg);
        info.kind = MediaKind::Photo;
        info.layout.push("SOI".into());
        let mut stream = StreamInfo {
            kind: "video".into(),
            codec: Some("mjpeg".into()),
            sample_count: Some(1),
            sample_descriptions: 1,
            ..Default::default()
        };
        let mut problem = None;
        let h = &self.head;
        let mut i = 2usize;
        while i + 4 <= h.len() {
            if h[i] != 0xFF {
                problem = Some(Problem::corrupt(format!(
                    "ITU-T T.81 §B.1.1.2: expected a marker at offset {i}, found byte 0x{:02x}",
                    h[i]
                )));
                break;
            }
            let m = h[i + 1];
            if m == 0xFF {
                i += 1;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([h[i + 2], h[i + 3]]));
            if len < 2 {
                problem = Some(Problem::corrupt(format!(
                    "ITU-T T.81 §B.1.1.4: segment 0xFF{m:02X} at offset {i} has length {len}"
                )));
                break;
            }
            let seg = h.get(i + 4..i + 2 + len);
            if info.layout.len() < 64 {
                info.layout.push(marker_name(m));
            }
            match (m, seg) {
                (0xE1, Some(s)) if s.starts_with(b"Exif\0\0") => exif(&s[6..], &mut info),
                (0xC0..=0xCF, Some(s)) if m != 0xC4 && m != 0xC8 && m != 0xCC => {
                    let mut c = Cursor::new(s);
                    if let (Ok(_), Ok(hh), Ok(ww)) = (c.u8(), c.be16(), c.be16()) {
                        stream.width = Some(u32::from(ww));
                        stream.height = Some(u32::from(hh));
                        stream.profile =
                            Some(if m == 0xC2 { "progressive" } else { "baseline" }.into());
                    }
                }
                _ => {}
            }
            if m == 0xDA {
                break;
            }
            i += 2 + len;
        }
        info.streams.push(stream);
        if problem.is_none() {
            problem = if self.scan_start.is_none() {
                if total as usize > self.head.len() || self.head.len() >= HEADER_LIMIT {
                    Some(Problem::corrupt(format!(
                        "ITU-T T.81 §B.2.1: no start-of-scan marker within the first {HEADER_LIMIT} bytes"
                    )))
                } else {
                    Some(Problem::truncated(
                        "ITU-T T.81 §B.2.1: the file ends before the image data (no start-of-scan marker)",
                    ))
                }
            } else if self.eoi_at.is_none() {
                Some(Problem::truncated(
                    "ITU-T T.81 §B.2.1: no end-of-image marker (FFD9): the image data is cut off",
                ))
            } else {
                None
            };
        }
        if let Some(e) = self.eoi_at {
            info.layout.push("EOI".into());
            if total > e + 2 {
                info.layout.push(format!("trailer {} bytes", total - e - 2));
            }
        }
        Parsed { info, problem }
    }
}

fn marker_name(m: u8) -> String {
    match m {
        0xE0..=0xEF => format!("APP{}", m - 0xE0),
        0xC0 => "SOF0".into(),
        0xC2 => "SOF2".into(),
        0xC4 => "DHT".into(),
        0xDB => "DQT".into(),
        0xDA => "SOS".into(),
        0xDD => "DRI".into(),
        0xFE => "COM".into(),
        _ => format!("FF{m:02X}"),
    }
}

/// A TIFF/EXIF structure: byte order, IFD0, the EXIF and GPS sub-IFDs. Every offset is checked
/// against the buffer; each IFD is read at most once.
fn exif(t: &[u8], info: &mut MediaInfo) {
    let le = match t.get(0..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => {
            info.notes
                .push("EXIF block without a TIFF byte-order mark".into());
            return;
        }
    };
    let rd16 = |o: usize| {
        t.get(o..o.checked_add(2)?).map(|b| {
            if le {
                u16::from_le_bytes([b[0], b[1]])
            } else {
                u16::from_be_bytes([b[0], b[1]])
            }
        })
    };
    let rd32 = |o: usize| {
        t.get(o..o.checked_add(4)?).map(|b| {
            if le {
                u32::from_le_bytes([b[0], b[1], b[2], b[3]])
            } else {
                u32::from_be_bytes([b[0], b[1], b[2], b[3]])
            }
        })
    };
    // (tag, type, count, value-or-offset position)
    let ifd = |off: usize| -> Vec<(u16, u16, u32, usize)> {
        let mut out = Vec::new();
        let Some(n) = rd16(off) else { return out };
        for k in 0..usize::from(n).min(512) {
            let e = off + 2 + k * 12;
            let (Some(tag), Some(typ), Some(cnt)) = (rd16(e), rd16(e + 2), rd32(e + 4)) else {
                break;
            };
            let unit = match typ {
                1 | 2 | 6 | 7 => 1usize,
                3 | 8 => 2,
                4 | 9 | 11 => 4,
                5 | 10 | 12 => 8,
                _ => 0,
            };
            let size = unit.saturating_mul(cnt as usize);
            let at = if size <= 4 {
                e + 8
            } else {
                rd32(e + 8).map(|o| o as usize).unwrap_or(usize::MAX)
            };
            out.push((tag, typ, cnt, at));
        }
        out
    };
    let string = |at: usize, cnt: u32| t.get(at..at.saturating_add(cnt as usize)).and_then(text);
    let rational = |at: usize| -> Option<f64> {
        let (n, d) = (rd32(at)?, rd32(at.saturating_add(4))?);
        if d == 0 {
            None
        } else {
            Some(f64::from(n) / f64::from(d))
        }
    };
    let Some(ifd0) = rd32(4) else { return };
    let mut exif_off = None;
    let mut gps_off = None;
    let mut datetime = None;
    for (tag, _ty, cnt, at) in ifd(ifd0 as usize) {
        match tag {
            0x010F => info.make = string(at, cnt),
            0x0110 => info.model = string(at, cnt),
            0x0131 => info.software = string(at, cnt),
            0x0132 => datetime = string(at, cnt),
            0x8769 => exif_off = rd32(at).map(|o| o as usize).filter(|&o| o != ifd0 as usize),
            0x8825 => gps_off = rd32(at).map(|o| o as usize).filter(|&o| o != ifd0 as usize),
            _ => {}
        }
    }
    let mut original = None;
    let mut offset_text = None;
    if let Some(o) = exif_off {
        for (tag, _ty, cnt, at) in ifd(o) {
            match tag {
                0x9003 => original = string(at, cnt),
                0x9011 => offset_text = string(at, cnt),
                _ => {}
            }
        }
    }
    if let Some(o) = gps_off.filter(|&g| Some(g) != exif_off) {
        let (mut lat, mut lon, mut alt) = (None, None, None);
        let (mut lat_ref, mut lon_ref, mut alt_below) = ('N', 'E', false);
        let dms = |at: usize| -> Option<f64> {
            Some(
                rational(at)?
                    + rational(at.saturating_add(8))? / 60.0
                    + rational(at.saturating_add(16))? / 3600.0,
            )
        };
        for (tag, _ty, cnt, at) in ifd(o) {
            match tag {
                1 => {
                    lat_ref = string(at, cnt)
                        .and_then(|s| s.chars().next())
                        .unwrap_or('N')
                }
                2 if cnt >= 3 => lat = dms(at),
                3 => {
                    lon_ref = string(at, cnt)
                        .and_then(|s| s.chars().next())
                        .unwrap_or('E')
                }
                4 if cnt >= 3 => lon = dms(at),
                5 => alt_below = t.get(at) == Some(&1),
                6 => alt = rational(at),
                _ => {}
            }
        }
        if let (Some(mut la), Some(mut lo)) = (lat, lon) {
            if lat_ref == 'S' {
                la = -la;
            }
            if lon_ref == 'W' {
                lo = -lo;
            }
            if (-90.0..=90.0).contains(&la)
                && (-180.0..=180.0).contains(&lo)
                && !(la == 0.0 && lo == 0.0)
            {
                info.gps = Some((la, lo, alt.map(|a| if alt_below { -a } else { a })));
            } else {
                info.notes
                    .push(format!("EXIF GPS position out of range ({la}, {lo})"));
            }
        }
    }
    let (raw, source) = match (original, datetime) {
        (Some(o), _) => (o, "exif:DateTimeOriginal"),
        (None, Some(d)) => (d, "exif:DateTime"),
        _ => return,
    };
    if let Ok(n) = NaiveDateTime::parse_from_str(raw.trim(), "%Y:%m:%d %H:%M:%S") {
        info.creation_time = Some(match offset_text.as_deref().and_then(parse_offset) {
            Some(off) => RecordedTime::Offset(n, off),
            None => RecordedTime::Local(n),
        });
    }
    info.creation_time_raw = Some(match &offset_text {
        Some(o) => format!("{raw} {o}"),
        None => raw,
    });
    info.creation_time_source = Some(source);
}

/// `+08:00` -> 28800 seconds.
fn parse_offset(s: &str) -> Option<i32> {
    let b = s.trim().as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = std::str::from_utf8(&b[1..3]).ok()?.parse().ok()?;
    let m: i32 = std::str::from_utf8(&b[4..6]).ok()?.parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8], step: usize) -> Parsed {
        let mut s = Box::new(JpegSink::new());
        for c in bytes.chunks(step.max(1)) {
            s.feed(c);
        }
        s.finish(bytes.len() as u64)
    }

    /// SOI, an EXIF APP1 (big-endian TIFF with Make and an EXIF IFD holding DateTimeOriginal
    /// and OffsetTimeOriginal), SOF0 40x30, SOS, two data bytes, EOI.
    fn tiny_jpeg() -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        // IFD0: 2 entries
        tiff.extend_from_slice(&[0, 2]);
        tiff.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 4]);
        tiff.extend_from_slice(b"ACM\0");
        tiff.extend_from_slice(&[0x87, 0x69, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
        tiff.extend_from_slice(&[0, 0, 0, 0]); // next IFD
        assert_eq!(tiff.len(), 38);
        tiff.extend_from_slice(&[0, 2]);
        tiff.extend_from_slice(&[0x90, 0x03, 0, 2, 0, 0, 0, 20, 0, 0, 0, 68]);
        tiff.extend_from_slice(&[0x90, 0x11, 0, 2, 0, 0, 0, 7, 0, 0, 0, 88]);
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(tiff.len(), 68);
        tiff.extend_from_slice(b"2026:03:12 09:30:15\0");
        tiff.extend_from_slice(b"+08:00\0");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE1];
        j.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        j.extend(app1);
        j.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 30, 0, 40, 1, 1, 0x11, 0]);
        j.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
        j.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
        j
    }

    #[test]
    fn exif_fields_and_dimensions() {
        let j = tiny_jpeg();
        for step in [1, 3, 7, j.len()] {
            let p = run(&j, step);
            assert_eq!(p.problem, None, "step {step}");
            assert_eq!(p.info.make.as_deref(), Some("ACM"));
            let n = NaiveDateTime::parse_from_str("2026:03:12 09:30:15", "%Y:%m:%d %H:%M:%S")
                .expect("date");
            assert_eq!(
                p.info.creation_time,
                Some(RecordedTime::Offset(n, 8 * 3600))
            );
            assert_eq!(p.info.streams[0].width, Some(40));
            assert_eq!(p.info.streams[0].height, Some(30));
        }
    }

    #[test]
    fn cut_off_photo_is_truncated() {
        let mut j = tiny_jpeg();
        j.truncate(j.len() - 2);
        assert_eq!(
            run(&j, 5).problem.map(|p| p.kind),
            Some(super::super::ProblemKind::Truncated)
        );
    }
}
