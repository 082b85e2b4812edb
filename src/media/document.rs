//! Documents of a case file kept in the evidence tree (第六条: notices, records, receipts,
//! scans): PDF, Office (OOXML and the older OLE2 compound files, which WPS also writes), OFD
//! (the Chinese fixed-layout standard, GB/T 33190) and scanned images (TIFF, PNG). They are
//! hashed and catalogued like footage; recaudit does not read inside them. What they are is
//! told by their first bytes (and, for the zip-based formats, the name's extension); what
//! they record is told by their path ([`crate::checklist`]).

use super::{Container, MediaInfo, MediaKind, Parsed, Sink};

/// The document container `head` begins with, if any. Zip files count only when the
/// extension names a zip-based document format: a plain `.zip` is not a document.
pub fn detect(head: &[u8], ext: &str) -> Option<Container> {
    if head.starts_with(b"%PDF-") {
        return Some(Container::Pdf);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some(Container::Ole2);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some(Container::Tiff);
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(Container::Png);
    }
    if head.starts_with(b"PK\x03\x04") {
        return match ext {
            "docx" | "xlsx" | "pptx" | "docm" | "xlsm" => Some(Container::Ooxml),
            "ofd" => Some(Container::Ofd),
            _ => None,
        };
    }
    None
}

/// Takes nothing from the bytes beyond what [`detect`] saw: a PDF's version from its header.
pub struct DocumentSink {
    container: Container,
    version: Option<String>,
}

impl DocumentSink {
    pub fn new(container: Container, head: &[u8]) -> DocumentSink {
        // `%PDF-1.7`: the version is the few characters after the dash.
        let version = (container == Container::Pdf).then(|| {
            head.iter()
                .skip(5)
                .take_while(|b| b.is_ascii_digit() || **b == b'.')
                .take(8)
                .map(|&b| char::from(b))
                .collect::<String>()
        });
        DocumentSink {
            container,
            version: version.filter(|v| !v.is_empty()),
        }
    }
}

impl Sink for DocumentSink {
    fn feed(&mut self, _data: &[u8]) {}
    fn finish(self: Box<Self>, _total: u64) -> Parsed {
        let mut info = MediaInfo::new(self.container);
        info.kind = MediaKind::Document;
        info.major_brand = self.version.map(|v| format!("PDF-{v}"));
        Parsed {
            info,
            problem: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_by_their_first_bytes() {
        assert_eq!(detect(b"%PDF-1.4\n", "pdf"), Some(Container::Pdf));
        assert_eq!(detect(b"%PDF-1.4\n", "jpg"), Some(Container::Pdf));
        assert_eq!(detect(b"PK\x03\x04rest", "docx"), Some(Container::Ooxml));
        assert_eq!(detect(b"PK\x03\x04rest", "ofd"), Some(Container::Ofd));
        assert_eq!(detect(b"PK\x03\x04rest", "zip"), None);
        assert_eq!(detect(b"II*\0....", "tif"), Some(Container::Tiff));
        assert_eq!(detect(b"random", "pdf"), None);
        let p = super::super::parse_bytes(b"%PDF-1.7\n%%EOF\n", "pdf", 4);
        assert_eq!(p.info.kind, MediaKind::Document);
        assert_eq!(p.info.major_brand.as_deref(), Some("PDF-1.7"));
        assert!(p.problem.is_none());
    }
}
