//! What a case's record must hold, as data: the written records of 第六条 and the audio-visual
//! moments of 第七条, per case kind, each required or required only when a condition holds
//! (a hearing was held, an interview record exists); and the bureau's own words that name a
//! moment in a recording's classification (第十七条) or a type in a document's name.
//!
//! The defaults are `data/checklist.csv` and `data/evidence_words.csv`, built in; a context
//! folder's `checklist.csv` or `evidence_words.csv` replaces the matching default, so a bureau
//! changes either without rebuilding. Parsing is checked row by row: a bad row is an error
//! naming the file, the line and what is wrong.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

const BUILT_IN_CHECKLIST: &str = include_str!("../data/checklist.csv");
const BUILT_IN_WORDS: &str = include_str!("../data/evidence_words.csv");

/// Case kinds of the `cases` table.
pub const KINDS: &[&str] = &["permit", "inspection", "penalty", "coercion"];

#[derive(Debug, thiserror::Error)]
pub enum ChecklistError {
    #[error("{path}: line {line}: {message}")]
    Row {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

/// Which record an item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// A document (第六条).
    Written,
    /// A recording or photo classified as showing the moment (第七条).
    AudioVisual,
}

impl Record {
    pub fn name(self) -> &'static str {
        match self {
            Record::Written => "written",
            Record::AudioVisual => "audio_visual",
        }
    }
}

/// A fact about a case that makes a conditional item required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The case has this event in `case_events` (a hearing was held, say).
    Event(String),
    /// The case has a document of this type (an interview record means an interview).
    Document(String),
    /// A recording of the case is classified as this moment.
    Moment(String),
}

impl Condition {
    fn parse(s: &str) -> Option<Condition> {
        let (k, v) = s.split_once(':')?;
        let v = v.trim().to_lowercase();
        if v.is_empty() {
            return None;
        }
        match k.trim() {
            "event" => Some(Condition::Event(v)),
            "document" => Some(Condition::Document(v)),
            "moment" => Some(Condition::Moment(v)),
            _ => None,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Condition::Event(v) => format!("event:{v}"),
            Condition::Document(v) => format!("document:{v}"),
            Condition::Moment(v) => format!("moment:{v}"),
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub kinds: Vec<String>,
    pub record: Record,
    /// The clause it comes from, as `第七条(二)6`.
    pub clause: String,
    pub name: String,
    pub gloss: String,
    /// Document types (written) or moments (audio-visual) that satisfy it.
    pub evidence: Vec<String>,
    /// Empty: always required. Otherwise required when any of these holds.
    pub condition: Vec<Condition>,
}

impl Item {
    pub fn required(&self) -> bool {
        self.condition.is_empty()
    }
}

/// The bureau's words for one kind of evidence, matched as substrings (ASCII letters without
/// regard to case).
#[derive(Debug, Clone)]
pub struct Words {
    /// (word, type), in file order.
    pub entries: Vec<(String, String)>,
    matcher: Option<AhoCorasick>,
}

impl Default for Words {
    fn default() -> Self {
        Words::new(Vec::new())
    }
}

impl Words {
    fn new(entries: Vec<(String, String)>) -> Words {
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(entries.iter().map(|(w, _)| w.as_str()))
            .ok();
        Words { entries, matcher }
    }

    /// Every type whose word occurs in `text`, each once, in the order of the words.
    pub fn all(&self, text: &str) -> Vec<&str> {
        let Some(m) = &self.matcher else {
            return Vec::new();
        };
        let mut hit: Vec<usize> = m
            .find_overlapping_iter(text)
            .map(|h| h.pattern().as_usize())
            .collect();
        hit.sort_unstable();
        let mut out: Vec<&str> = Vec::new();
        for k in hit {
            let t = self.entries[k].1.as_str();
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// The one type `text` names: of the words in it, the one that ends last (a Chinese
    /// document title ends with what it is: `行政处罚决定书送达回执` is a receipt), then the
    /// longest.
    pub fn best(&self, text: &str) -> Option<&str> {
        let m = self.matcher.as_ref()?;
        m.find_overlapping_iter(text)
            .max_by_key(|h| (h.end(), h.end() - h.start()))
            .map(|h| self.entries[h.pattern().as_usize()].1.as_str())
    }
}

/// The checklist and the words that map evidence to it.
#[derive(Debug, Clone, Default)]
pub struct Checklist {
    pub items: Vec<Item>,
    /// Classification words (`media_notes.category`, a sidecar's `category`) to moments.
    pub category: Words,
    /// Document-type words (`case_documents.document_type`, a document's path) to types.
    pub document: Words,
    /// Where each part came from: `built-in` or the file, for `runs.settings`.
    pub checklist_source: String,
    pub words_source: String,
}

impl Checklist {
    /// The built-in checklist and words (`data/`).
    pub fn built_in() -> Checklist {
        let p = Path::new("data/checklist.csv");
        let w = Path::new("data/evidence_words.csv");
        Checklist {
            items: parse_items(BUILT_IN_CHECKLIST.as_bytes(), p).unwrap_or_default(),
            category: Words::default(),
            document: Words::default(),
            checklist_source: "built-in".into(),
            words_source: "built-in".into(),
        }
        .with_words(parse_words(BUILT_IN_WORDS.as_bytes(), w).unwrap_or_default())
    }

    fn with_words(mut self, (category, document): WordLists) -> Checklist {
        self.category = Words::new(category);
        self.document = Words::new(document);
        self
    }

    /// The built-in checklist and words, each replaced by `checklist.csv` /
    /// `evidence_words.csv` of the context folder when there is one.
    pub fn load(dir: Option<&Path>) -> Result<Checklist, ChecklistError> {
        let mut c = Checklist::built_in();
        let Some(dir) = dir else { return Ok(c) };
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| ChecklistError::File {
                path: p.to_path_buf(),
                message: e.to_string(),
            })
        };
        let items = dir.join("checklist.csv");
        if items.is_file() {
            c.items = parse_items(&read(&items)?, &items)?;
            c.checklist_source = items.display().to_string();
        }
        let words = dir.join("evidence_words.csv");
        if words.is_file() {
            let w = parse_words(&read(&words)?, &words)?;
            c = c.with_words(w);
            c.words_source = words.display().to_string();
        }
        Ok(c)
    }

    /// Every document type the checklist or the words name (a `case_documents` row may give
    /// one of these directly instead of the bureau's own title).
    pub fn document_types(&self) -> HashSet<&str> {
        let mut s: HashSet<&str> = self
            .document
            .entries
            .iter()
            .map(|(_, t)| t.as_str())
            .collect();
        for i in self.items.iter().filter(|i| i.record == Record::Written) {
            s.insert(&i.id);
            s.extend(i.evidence.iter().map(String::as_str));
        }
        s
    }

    /// The document type of a `case_documents` row or a document's path: a type named
    /// exactly, else the one its words name.
    pub fn document_type<'a>(&'a self, text: &str, known: &HashSet<&'a str>) -> Option<&'a str> {
        let t = text.trim();
        if let Some(k) = known.get(t.to_lowercase().as_str()) {
            return Some(*k);
        }
        self.document.best(t)
    }
}

/// The non-blank rows of a CSV text as (line, values of `want` in that order). `Err` names a
/// missing column or a row the CSV reader cannot read.
fn records(
    text: &[u8],
    want: &[&str],
    path: &Path,
) -> Result<Vec<(u64, Vec<String>)>, ChecklistError> {
    let ferr = |message: String| ChecklistError::File {
        path: path.to_path_buf(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text);
    let headers = rdr.headers().map_err(|e| ferr(e.to_string()))?.clone();
    let idx: Vec<Option<usize>> = want
        .iter()
        .map(|w| crate::context::column_index(&headers, w))
        .collect();
    let missing: Vec<&str> = want
        .iter()
        .zip(&idx)
        .filter(|(_, i)| i.is_none())
        .map(|(w, _)| *w)
        .collect();
    if !missing.is_empty() {
        return Err(ferr(format!(
            "missing column(s) {} (header has: {})",
            missing.join(", "),
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ferr(e.to_string()))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = rec.position().map_or(0, |p| p.line());
        let values = idx
            .iter()
            .map(|i| i.and_then(|i| rec.get(i)).unwrap_or("").trim().to_string())
            .collect();
        out.push((line, values));
    }
    Ok(out)
}

fn split_list(s: &str) -> Vec<String> {
    s.split('|')
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Parses a checklist (`item,kinds,record,clause,name,gloss,evidence,condition`).
pub fn parse_items(text: &[u8], path: &Path) -> Result<Vec<Item>, ChecklistError> {
    const COLS: &[&str] = &[
        "item",
        "kinds",
        "record",
        "clause",
        "name",
        "gloss",
        "evidence",
        "condition",
    ];
    let mut items: Vec<Item> = Vec::new();
    for (line, values) in records(text, COLS, path)? {
        let err = |message: String| ChecklistError::Row {
            path: path.to_path_buf(),
            line,
            message,
        };
        let get = |k: usize| values[k].as_str();
        let id = get(0).to_lowercase();
        if id.is_empty() {
            return Err(err("column 'item' is empty".into()));
        }
        let kinds = split_list(get(1));
        if kinds.is_empty() {
            return Err(err(format!(
                "item '{id}': column 'kinds' is empty (one or more of {}, separated by |)",
                KINDS.join(", ")
            )));
        }
        if let Some(k) = kinds.iter().find(|k| !KINDS.contains(&k.as_str())) {
            return Err(err(format!(
                "item '{id}': kind '{k}' is not one of {}",
                KINDS.join(", ")
            )));
        }
        let record = match get(2) {
            "written" => Record::Written,
            "audio_visual" => Record::AudioVisual,
            r => {
                return Err(err(format!(
                    "item '{id}': record '{r}' is not written or audio_visual"
                )));
            }
        };
        for (k, what) in [(3, "clause"), (4, "name")] {
            if get(k).is_empty() {
                return Err(err(format!("item '{id}': column '{what}' is empty")));
            }
        }
        let mut condition = Vec::new();
        for c in get(7).split('|').map(str::trim).filter(|c| !c.is_empty()) {
            condition.push(Condition::parse(c).ok_or_else(|| {
                err(format!(
                    "item '{id}': condition '{c}' is not event:NAME, document:TYPE or moment:TYPE"
                ))
            })?);
        }
        let mut evidence = split_list(get(6));
        if evidence.is_empty() {
            evidence.push(id.clone());
        }
        if let Some(prev) = items
            .iter()
            .find(|i| i.id == id && i.kinds.iter().any(|k| kinds.contains(k)))
        {
            return Err(err(format!(
                "item '{id}' is listed twice for kind(s) {}",
                prev.kinds
                    .iter()
                    .filter(|k| kinds.contains(k))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        items.push(Item {
            id,
            kinds,
            record,
            clause: get(3).to_string(),
            name: get(4).to_string(),
            gloss: get(5).to_string(),
            evidence,
            condition,
        });
    }
    Ok(items)
}

/// Words of `category` and `document` evidence (`source,word,type`).
type WordLists = (Vec<(String, String)>, Vec<(String, String)>);

/// Parses the evidence words (`source,word,type`).
pub fn parse_words(text: &[u8], path: &Path) -> Result<WordLists, ChecklistError> {
    let (mut category, mut document) = (Vec::new(), Vec::new());
    for (line, values) in records(text, &["source", "word", "type"], path)? {
        let get = |k: usize| values[k].as_str();
        let err = |message: String| ChecklistError::Row {
            path: path.to_path_buf(),
            line,
            message,
        };
        let (word, ty) = (get(1).to_string(), get(2).to_lowercase());
        if word.is_empty() || ty.is_empty() {
            return Err(err("columns 'word' and 'type' need a value".into()));
        }
        match get(0) {
            "category" => category.push((word, ty)),
            "document" => document.push((word, ty)),
            s => {
                return Err(err(format!("source '{s}' is not category or document")));
            }
        }
    }
    Ok((category, document))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_checklist_parses_and_cites_articles_6_and_7() {
        let p = Path::new("data/checklist.csv");
        let items = parse_items(BUILT_IN_CHECKLIST.as_bytes(), p).expect("built-in parses");
        assert!(items.len() > 30);
        for i in &items {
            let want = match i.record {
                Record::Written => "第六条(",
                Record::AudioVisual => "第七条(",
            };
            assert!(i.clause.starts_with(want), "{}: {}", i.id, i.clause);
            assert!(!i.gloss.is_empty(), "{}", i.id);
        }
        let (c, d) = parse_words(BUILT_IN_WORDS.as_bytes(), Path::new("w")).expect("words");
        // Every moment and document type the checklist asks for has words that name it.
        let named: HashSet<&str> = c.iter().chain(&d).map(|(_, t)| t.as_str()).collect();
        for i in &items {
            for e in &i.evidence {
                assert!(named.contains(e.as_str()), "{}: no words for {e}", i.id);
            }
        }
    }

    #[test]
    fn a_document_title_names_what_it_ends_with() {
        let c = Checklist::built_in();
        assert_eq!(
            c.document.best("行政处罚决定书送达回执"),
            Some("service_receipt")
        );
        assert_eq!(c.document.best("行政处罚决定书"), Some("penalty_decision"));
        assert_eq!(c.document.best("会议纪要"), None);
        let mut m = c.category.all("到达现场；告知权利义务、现场检查");
        m.sort_unstable();
        assert_eq!(m, vec!["av_inspection", "av_rights_duties"]);
    }

    #[test]
    fn bad_rows_are_named() {
        let p = Path::new("ctx/checklist.csv");
        let head = "item,kinds,record,clause,name,gloss,evidence,condition\n";
        let bad = |row: &str| {
            parse_items(format!("{head}{row}\n").as_bytes(), p)
                .expect_err(row)
                .to_string()
        };
        assert!(bad("x,parade,written,第六条(一)1,n,g,,").contains("kind 'parade'"));
        assert!(bad("x,permit,video,第六条(一)1,n,g,,").contains("record 'video'"));
        assert!(bad("x,permit,written,第六条(一)1,n,g,,when:hearing").contains("condition"));
        assert!(
            bad("x,permit,written,第六条(一)1,n,g,,\nx,permit|penalty,written,c,n,g,,")
                .contains("listed twice")
        );
        let e = parse_items(b"item,kinds\nx,permit\n", p).expect_err("columns");
        assert!(e.to_string().contains("missing column(s) record"), "{e}");
        let e = parse_words(b"source,word,type\nfolder,x,y\n", p).expect_err("source");
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("folder"),
            "{e}"
        );
    }
}
