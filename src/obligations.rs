//! What the rules oblige for each file, worked out from the catalogue and the context tables:
//! which cases it belongs to, when it was uploaded (第十六条), when it was classified and
//! described (第十七条), and how long it must be kept (第二十一、二十二条). Pure: the scan
//! stage passes in the loaded context, and the results become columns of `files` and the
//! input of the deadline and retention rules.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, TimeZone};

use crate::catalog::FileFacts;
use crate::config::RuleSettings;
use crate::context::{Case, PathFacts, Typed};
use crate::counter::Counter;

/// Minimum keeping time for footage that is not kept long-term (第二十二条), in years.
pub const STANDARD_YEARS: i32 = 2;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obligation {
    /// Indices into the context's `cases`.
    pub cases: Vec<usize>,
    pub upload_us: Option<i64>,
    /// `ingest_log`, `birth_time`, or `unknown`.
    pub upload_source: Option<&'static str>,
    pub described_at_us: Option<i64>,
    /// `sidecar` or `media_notes`; None when nothing describes the file.
    pub description_source: Option<&'static str>,
    /// The description exists but says when it was written nowhere.
    pub described_undated: bool,
    pub retention_class: Option<&'static str>,
    pub keep_until_us: Option<i64>,
    /// The classification of footage (sidecar first, then `media_notes`), whose words name the
    /// moments it shows (第七条).
    pub category: Option<crate::catalog::Sym>,
    /// What a document of the tree is (a checklist document type), from the words of its
    /// path; only for files that are not recordings.
    pub document_type: Option<crate::catalog::Sym>,
}

/// Why a case's footage is kept long-term (第二十一条), if it is: a coercive measure, or the
/// reason the bureau recorded (dispute, complaint, obstruction, mass incident, other).
pub fn long_term_reason(c: &Case) -> Option<String> {
    if let Some(r) = c
        .long_term_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        return Some(r.to_string());
    }
    (c.kind.as_deref() == Some("coercion")).then(|| "coercive measure (第二十一条(一))".into())
}

fn is_sidecar(f: &FileFacts) -> bool {
    f.media_kind.as_deref() == Some("sidecar")
}

/// What the ingest log's times say of their zone: of the files with both a logged upload and
/// a birth time on the server, how many were born within [`LOG_MATCH_S`] of their logged time
/// read as local time (`local`), and how many of it read as UTC (`utc`: one zone offset later).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogZone {
    pub pairs: usize,
    pub local: usize,
    pub utc: usize,
}

/// How well the ingest log's lines name the scan's files: a log written with other names for
/// the roots (an upload station's drive or share) names none of them, and every file falls
/// back to its birth time and goes undescribed (DL-LOGPATHS says so).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCover {
    /// The lines with an upload time.
    pub lines: usize,
    /// Of them, those that name no file of the scan.
    pub unnamed: usize,
    /// The scan's files.
    pub files: usize,
    /// Of them, those a line names.
    pub logged: usize,
}

impl LogCover {
    /// Whether the log misses the scan's files: ten lines and ten files at least, more than
    /// nine lines in ten naming no file, and fewer than one file in ten named. A log of
    /// another node's files too, or of the last weeks only, names most of its lines' files
    /// or most files of the scan: no word.
    pub fn misses(&self) -> bool {
        self.lines >= 10
            && self.files >= 10
            && self.unnamed * 10 > self.lines * 9
            && self.logged * 10 < self.files
    }
}

/// How near its logged upload a file's birth on the server is, when the log says when it was
/// written: an upload station logs the copy it makes.
pub const LOG_MATCH_S: i64 = 900;

impl LogZone {
    /// Counts `(logged, born)` pairs (UTC microseconds, the logged time read as local time of
    /// `tz`).
    pub fn of(pairs: impl IntoIterator<Item = (i64, i64)>, tz: chrono_tz::Tz) -> LogZone {
        use chrono::Offset;
        let near = LOG_MATCH_S * 1_000_000;
        let mut z = LogZone::default();
        for (logged, born) in pairs {
            z.pairs += 1;
            let Some(t) = chrono::DateTime::from_timestamp_micros(logged) else {
                continue;
            };
            let offset = i64::from(t.with_timezone(&tz).offset().fix().local_minus_utc());
            if (born - logged).abs() <= near {
                z.local += 1;
            } else if offset != 0 && (born - logged - offset * 1_000_000).abs() <= near {
                z.utc += 1;
            }
        }
        z
    }

    /// Whether the log's times are UTC printed without their zone: ten uploads or more, most
    /// of them, born one zone offset after the logged time, three times as many as at it.
    pub fn is_utc(&self) -> bool {
        self.utc >= 10 && self.utc * 2 >= self.pairs && self.utc >= 3 * self.local
    }

    /// Whether to read the log as UTC under `setting`.
    pub fn read_as_utc(&self, setting: crate::config::IngestTimes) -> bool {
        match setting {
            crate::config::IngestTimes::Local => false,
            crate::config::IngestTimes::Utc => true,
            crate::config::IngestTimes::Auto => self.is_utc(),
        }
    }
}

/// A logged time read as local time of `tz` read again as UTC: the same wall-clock figures,
/// one zone offset later.
pub fn as_utc(logged: i64, tz: chrono_tz::Tz) -> i64 {
    use chrono::Offset;
    chrono::DateTime::from_timestamp_micros(logged).map_or(logged, |t| {
        let offset = i64::from(t.with_timezone(&tz).offset().fix().local_minus_utc());
        logged + offset * 1_000_000
    })
}

/// Finds case ids in folder names: a case id counts where it stands as a whole token (not
/// followed or preceded by another letter or digit, so `AJ-2026-031` is not found in
/// `AJ-2026-0310`).
pub(crate) struct CaseFolders {
    matcher: Option<aho_corasick::AhoCorasick>,
    /// The case (index into the context's `cases`) of each pattern.
    cases: Vec<usize>,
}

impl CaseFolders {
    pub(crate) fn new(ctx: &Typed) -> CaseFolders {
        let (ids, cases): (Vec<&str>, Vec<usize>) = ctx
            .cases
            .iter()
            .enumerate()
            .map(|(k, c)| (c.case_id.trim(), k))
            .filter(|(id, _)| id.chars().count() >= 4)
            .unzip();
        let matcher = (!ids.is_empty())
            .then(|| aho_corasick::AhoCorasick::new(&ids).ok())
            .flatten();
        CaseFolders { matcher, cases }
    }

    /// Cases named by the folders of `dir` (relative to the scan root).
    pub(crate) fn cases_in(&self, dir: &str) -> Vec<usize> {
        let Some(m) = &self.matcher else {
            return Vec::new();
        };
        // Chinese folder names run words into ids (`案卷AJ-2026-031`): only ASCII letters and
        // digits continue an id.
        let token = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        let hits: Vec<(usize, usize, usize)> = m
            .find_overlapping_iter(dir)
            .map(|h| (h.start(), h.end(), h.pattern().as_usize()))
            .filter(|&(s, e, _)| {
                !token(dir[..s].chars().next_back()) && !token(dir[e..].chars().next())
            })
            .collect();
        let mut out = Vec::new();
        for &(s, e, k) in &hits {
            // `AJ-2026-031-1` names that case, not also `AJ-2026-031`.
            let inside_longer = hits
                .iter()
                .any(|&(s2, e2, _)| s2 <= s && e <= e2 && e2 - s2 > e - s);
            if inside_longer {
                continue;
            }
            let c = self.cases[k];
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

fn add_years(d: NaiveDate, years: i32) -> NaiveDate {
    d.with_year(d.year() + years)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + years, 2, 28))
        .unwrap_or(d)
}

/// Start of the day after `d` in `tz`, as UTC microseconds: the end of `d`.
pub fn end_of_day_us(d: NaiveDate, tz: chrono_tz::Tz) -> Option<i64> {
    let next = d.succ_opt()?.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&next)
        .earliest()
        .map(|t| t.timestamp_micros())
}

pub fn local_date(us: i64, tz: chrono_tz::Tz) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp_micros(us).map(|t| t.with_timezone(&tz).date_naive())
}

/// The sidecars of a catalogue by the path they describe: a sidecar `X.json` describes `X`;
/// a sidecar `name.json` also describes `name.<ext>`. Built from every file, so that a part of
/// the catalogue analysed alone still finds the sidecars of its files; each kept as what the
/// obligations read of it, under its path's 128-bit key ([`crate::pathtable`]'s), some 50
/// bytes a sidecar.
#[derive(Default)]
pub struct Sidecars(HashMap<u128, Sidecar>);

/// What a file's obligations take from its sidecar.
#[derive(Debug, Clone)]
struct Sidecar {
    has_text: bool,
    /// When it was written: the date it gives, else its modification time.
    described_at_us: Option<i64>,
    category: Option<crate::catalog::Sym>,
}

impl Sidecars {
    /// The sidecars among `facts`.
    pub fn of<'a>(facts: impl IntoIterator<Item = &'a FileFacts>) -> Sidecars {
        let mut out = Sidecars::default();
        for f in facts {
            out.add(f);
        }
        out
    }

    /// Keeps `f` when it is a sidecar (a later sidecar of the same path replaces it).
    pub fn add(&mut self, f: &FileFacts) {
        if is_sidecar(f)
            && let Some(base) = f.path.strip_suffix(".json")
        {
            let s = Sidecar {
                has_text: f.sidecar_has_text,
                described_at_us: f.odd().sidecar_described_at_us.or(f.mtime_us),
                category: f.sidecar_category.clone(),
            };
            self.0.insert(crate::pathtable::key(base), s);
        }
    }

    fn of_file(&self, path: &str) -> Option<&Sidecar> {
        if self.0.is_empty() {
            return None;
        }
        let stem = path.rsplit_once('.').map(|(s, _)| s);
        self.0
            .get(&crate::pathtable::key(path))
            .or_else(|| stem.and_then(|s| self.0.get(&crate::pathtable::key(s))))
    }
}

/// Works out every file's obligations. `facts` is the whole catalogue.
/// `birth_time_is_upload`: whether a file's birth time stands for its upload when the ingest
/// log does not have it.
pub fn compute(
    facts: &[FileFacts],
    ctx: &Typed,
    tz: chrono_tz::Tz,
    birth_time_is_upload: bool,
) -> Vec<Obligation> {
    compute_with(
        facts,
        &Sidecars::of(facts),
        ctx,
        ctx,
        tz,
        birth_time_is_upload,
    )
}

/// [`compute`] for a part of the catalogue, with the sidecars of the whole and the path-keyed
/// tables' word on each file as `paths` holds it.
pub fn compute_with(
    facts: &[FileFacts],
    sidecars: &Sidecars,
    ctx: &Typed,
    paths: &dyn PathFacts,
    tz: chrono_tz::Tz,
    birth_time_is_upload: bool,
) -> Vec<Obligation> {
    let links = Links::new(ctx);
    let known_types = ctx.checklist.document_types();
    // In slices on the worker pool; each slice keeps its own folder cache.
    use rayon::prelude::*;
    facts
        .par_chunks(8192)
        .flat_map_iter(|slice| {
            let mut last_dir: (String, Vec<usize>) = (String::from("\0"), Vec::new());
            let mut doc_types = crate::catalog::Interner::default();
            let out: Vec<Obligation> = slice
                .iter()
                .map(|f| {
                    let mut o = Obligation::default();
                    // A file below a folder that names a case (`案卷 AJ-2026-031/送达回执.pdf`), or
                    // named by a `case_documents` row, belongs to that case. Files come in path order,
                    // so a folder is looked at once.
                    let rel = ctx.relative(&f.path);
                    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
                    if dir != last_dir.0 {
                        last_dir = (dir.to_string(), links.folders.cases_in(dir));
                    }
                    o.cases.extend(last_dir.1.iter().copied());
                    if let Some(cs) = links.named.get(&*f.path) {
                        o.cases.extend(cs.iter().copied());
                    }
                    if !f.is_recording() && !is_sidecar(f) {
                        let stem = rel.rsplit_once('.').map_or(rel, |(s, _)| s);
                        o.document_type =
                            ctx.checklist.document_type(stem, &known_types).map(|t| {
                                let mut t = crate::catalog::Sym::from(t);
                                doc_types.sym(&mut t);
                                t
                            });
                    }
                    if let (Some(dev), Some(start)) = (f.device_id.as_deref(), f.start_us()) {
                        links.window_cases(ctx, dev, (start, start), &mut o.cases);
                    }
                    o.cases.sort_unstable();
                    o.cases.dedup();
                    if !f.is_footage() {
                        return o;
                    }
                    // Upload time.
                    // Relative paths of the ingest log were anchored at the scan roots on loading.
                    let logged = paths.upload_of(f);
                    let birth = f.birth_time_us.filter(|_| birth_time_is_upload);
                    (o.upload_us, o.upload_source) = match (logged, birth) {
                        (Some(t), _) => (Some(t), Some("ingest_log")),
                        (None, Some(t)) => (Some(t), Some("birth_time")),
                        (None, None) => (None, Some("unknown")),
                    };
                    // Classification and description.
                    let sidecar = sidecars.of_file(&f.path);
                    let note = paths.note_of(f);
                    if let Some(s) = sidecar.filter(|s| s.has_text) {
                        o.description_source = Some("sidecar");
                        o.described_at_us = s.described_at_us;
                    } else if let Some(n) = note.as_ref().filter(|n| n.has_text) {
                        o.description_source = Some("media_notes");
                        o.described_at_us = n.described_at_us;
                        o.described_undated = n.described_at_us.is_none();
                    }
                    o.category = sidecar
                        .and_then(|s| s.category.clone())
                        .or_else(|| note.and_then(|n| n.category));
                    keep(&mut o, f.end_us().or(f.mtime_us), ctx, tz);
                    o
                })
                .collect();
            out
        })
        .collect()
}

/// The context's ways of linking a file to a case, indexed once: the `case_media` windows of
/// each device, the folders that name a case, and the files `case_documents` names.
struct Links<'c> {
    by_device: HashMap<&'c str, Vec<usize>>,
    case_index: HashMap<&'c str, usize>,
    folders: CaseFolders,
    /// Files a `case_documents` row names (a relative path may be below any root).
    named: HashMap<String, Vec<usize>>,
}

impl<'c> Links<'c> {
    fn new(ctx: &'c Typed) -> Links<'c> {
        let mut by_device: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, m) in ctx.case_media.iter().enumerate() {
            by_device.entry(m.device_id.as_str()).or_default().push(k);
        }
        let case_index: HashMap<&str, usize> = ctx
            .cases
            .iter()
            .enumerate()
            .map(|(i, c)| (c.case_id.as_str(), i))
            .collect();
        let mut named: HashMap<String, Vec<usize>> = HashMap::new();
        for d in &ctx.documents {
            let (Some(p), Some(&c)) = (d.path.as_deref(), case_index.get(d.case_id.as_str()))
            else {
                continue;
            };
            let keys: Vec<String> = if p.starts_with('/') {
                vec![p.to_string()]
            } else {
                ctx.roots.iter().map(|r| format!("{r}/{p}")).collect()
            };
            for k in keys {
                named.entry(k).or_default().push(c);
            }
        }
        Links {
            by_device,
            case_index,
            folders: CaseFolders::new(ctx),
            named,
        }
    }

    /// Adds to `cases` those of device `dev` whose `case_media` window (bounds inclusive; an
    /// open bound is unlimited) holds a start in `from..=to`: a recording of the device that
    /// started inside it (any file, a damaged recording too). The analyses join cases through
    /// this (`files.case_ids`).
    fn window_cases(&self, ctx: &Typed, dev: &str, (from, to): (i64, i64), cases: &mut Vec<usize>) {
        // A number told apart ([`crate::recorders`]) is held to the windows of its number
        // and of itself.
        let bare = crate::recorders::bare(dev);
        let of = |d: &str| self.by_device.get(d).map(Vec::as_slice).unwrap_or(&[]);
        let also = if bare == dev { &[][..] } else { of(bare) };
        for &k in of(dev).iter().chain(also) {
            let m = &ctx.case_media[k];
            let after_from = m.from_us.is_none_or(|w| to >= w);
            let before_to = m.to_us.is_none_or(|w| from <= w);
            if after_from
                && before_to
                && let Some(&c) = self.case_index.get(m.case_id.as_str())
                && !cases.contains(&c)
            {
                cases.push(c);
            }
        }
    }
}

/// Retention of footage `o` whose recording ended at `end` (or was first seen then): long-term
/// through any case, else at least two years from it, extended to two years after the closure
/// of every case it belongs to; a case still open keeps it with no due date yet.
fn keep(o: &mut Obligation, end: Option<i64>, ctx: &Typed, tz: chrono_tz::Tz) {
    let long = o
        .cases
        .iter()
        .any(|&c| long_term_reason(&ctx.cases[c]).is_some());
    if long {
        o.retention_class = Some("long_term");
        o.keep_until_us = None;
        return;
    }
    o.retention_class = Some("standard");
    let base = end.and_then(|t| local_date(t, tz));
    let mut until = base.map(|d| add_years(d, STANDARD_YEARS));
    let mut open_case = false;
    for &c in &o.cases {
        match ctx.cases[c].closed {
            Some(closed) => {
                let d = add_years(closed, STANDARD_YEARS);
                until = Some(until.map_or(d, |u| u.max(d)));
            }
            None => open_case = true,
        }
    }
    o.keep_until_us = if open_case {
        None
    } else {
        until.and_then(|d| end_of_day_us(d, tz))
    };
}

/// Settles the obligations of footage whose recording time is not its own — named from a
/// clock set back (the counter puts it later: [`Counter::start`]), reset to an implausible
/// date, or ahead of its own upload — by when it can have been made, not by its name
/// (第二十二条, 第六、七条): it is kept two years from the latest it can have ended (before the
/// recording numbered next began, [`Counter::latest_end`], else its upload, else when the
/// server first had it), so that no recording is let go early because its clock lied; and its
/// case windows (`case_media`) are held against the span its start can lie in, where the
/// counter bounds it on both sides (else against nothing: a window its false name falls in
/// says nothing). Links by folder and by `case_documents` stay. `facts` and `obligations` by
/// row, as [`compute_with`] gives them; `now_us` when the scan ran.
pub fn settle(
    obligations: &mut [Obligation],
    facts: &[FileFacts],
    counter: &Counter,
    settings: &RuleSettings,
    now_us: i64,
    ctx: &Typed,
    tz: chrono_tz::Tz,
) {
    let mut links: Option<Links> = None;
    for f in facts {
        let (Some(o), Some(named), Some(named_end)) =
            (obligations.get_mut(f.row), f.start_us(), f.end_us())
        else {
            continue;
        };
        if !f.is_footage() {
            continue;
        }
        let earliest = counter.start(f.row);
        let ahead = o
            .upload_us
            .is_some_and(|u| settings.named_after_upload(named, u));
        if earliest.is_none() && !ahead && !settings.implausible(named, now_us) {
            continue;
        }
        let latest_end = match (counter.latest_end(f.row), o.upload_us) {
            (Some(e), Some(u)) => Some(e.min(u)),
            (e, u) => e.or(u),
        };
        let links = links.get_or_insert_with(|| Links::new(ctx));
        let rel = ctx.relative(&f.path);
        let mut cases = links
            .folders
            .cases_in(rel.rsplit_once('/').map_or("", |(d, _)| d));
        cases.extend(links.named.get(&*f.path).into_iter().flatten().copied());
        if let (Some(dev), Some(lo), Some(end)) = (f.device_id.as_deref(), earliest, latest_end) {
            let hi = (end - (named_end - named)).max(lo);
            links.window_cases(ctx, dev, (lo, hi), &mut cases);
        }
        cases.sort_unstable();
        cases.dedup();
        o.cases = cases;
        keep(o, latest_end.or(f.mtime_us), ctx, tz);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Case, CaseMedia};

    #[test]
    fn a_log_is_said_to_miss_the_files_only_when_it_names_almost_none_of_them() {
        let cover = |lines, unnamed, files, logged| LogCover {
            lines,
            unnamed,
            files,
            logged,
        };
        // Written under other names: no line names a file.
        assert!(cover(100, 100, 100, 0).misses());
        // A province's log on one node (most lines another node's, this node's files named),
        // a log of the last weeks only (its lines name files), a small tree: no word.
        assert!(!cover(1000, 900, 100, 100).misses());
        assert!(!cover(50, 0, 1000, 50).misses());
        assert!(!cover(9, 9, 100, 0).misses());
        assert!(!cover(100, 100, 9, 0).misses());
        // Borders: nine in ten lines unnamed is not more than nine in ten.
        assert!(!cover(100, 90, 100, 0).misses());
        assert!(!cover(100, 95, 100, 10).misses());
        assert!(cover(100, 95, 100, 9).misses());
    }

    #[test]
    fn an_ingest_log_in_utc_is_told_by_its_files_births_on_the_server() {
        use crate::config::IngestTimes;
        let tz = chrono_tz::Asia::Shanghai;
        const H: i64 = 3_600_000_000;
        // Twelve uploads logged as local time; each file born 40 s after its logged time, or
        // (the log printing UTC without its zone) eight hours and 40 s after.
        let logged: Vec<i64> = (0..12).map(|k| at("2026-03-09 18:00:00") + k * H).collect();
        let local = LogZone::of(logged.iter().map(|&t| (t, t + 40_000_000)), tz);
        let utc = LogZone::of(logged.iter().map(|&t| (t, t + 8 * H + 40_000_000)), tz);
        assert_eq!((local.pairs, local.local, local.utc), (12, 12, 0));
        assert_eq!((utc.pairs, utc.local, utc.utc), (12, 0, 12));
        assert!(!local.is_utc() && utc.is_utc());
        // Births days later (a tree migrated: the births are the copies'): no word either way.
        let moved = LogZone::of(logged.iter().map(|&t| (t, t + 72 * H)), tz);
        assert!(!moved.is_utc() && moved.local == 0);
        // Too few, or as many at the logged time: local stays.
        assert!(!LogZone::of(logged[..9].iter().map(|&t| (t, t + 8 * H)), tz).is_utc());
        let half = LogZone::of(
            logged
                .iter()
                .enumerate()
                .map(|(k, &t)| (t, t + if k % 2 == 0 { 8 * H } else { 0 })),
            tz,
        );
        assert!(!half.is_utc());
        // The setting decides where it says so.
        assert!(utc.read_as_utc(IngestTimes::Auto) && !utc.read_as_utc(IngestTimes::Local));
        assert!(local.read_as_utc(IngestTimes::Utc));
        assert_eq!(
            as_utc(at("2026-03-09 10:00:00"), tz),
            at("2026-03-09 18:00:00")
        );
        // In UTC itself there is nothing to tell.
        assert_eq!(
            LogZone::of(logged.iter().map(|&t| (t, t)), chrono_tz::UTC).utc,
            0
        );
    }

    fn at(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .map(|t| t.and_utc().timestamp_micros())
            .unwrap_or(0)
    }

    fn clip(device: &str, start: &str) -> FileFacts {
        FileFacts {
            path: format!("/ev/{device}/{start}.MP4").into(),
            name_time_us: Some(at(start)),
            duration_s: Some(60.0),
            text: crate::catalog::TextFacts {
                status: "ok".into(),
                media_kind: Some("video".into()),
                device_id: Some(device.into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        }
    }

    fn case(id: &str, kind: &str, closed: Option<&str>, reason: Option<&str>) -> Case {
        Case {
            case_id: id.into(),
            kind: Some(kind.into()),
            closed: closed.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            long_term_reason: reason.map(str::to_string),
            ..Default::default()
        }
    }

    fn link(case: &str, device: &str, from: &str, to: &str) -> CaseMedia {
        CaseMedia {
            case_id: case.into(),
            device_id: device.into(),
            from_us: Some(at(from)),
            to_us: Some(at(to)),
        }
    }

    #[test]
    fn a_folder_naming_a_case_links_its_files_as_a_whole_token_below_the_root() {
        let mut ctx = Typed {
            cases: vec![
                case("AJ-2026-031", "inspection", None, None),
                case("AJ-2026-0310", "inspection", None, None),
                case("AJ-2026-031-1", "inspection", None, None),
            ],
            ..Default::default()
        };
        // The root's own name is not looked at: only folders below it.
        ctx.anchor(&["/srv/AJ-2026-031-export".to_string()]);
        let doc = |rel: &str| FileFacts {
            path: format!("/srv/AJ-2026-031-export/{rel}").into(),
            text: crate::catalog::TextFacts {
                status: "ok".into(),
                media_kind: Some("document".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        };
        let facts = [
            doc("案卷 AJ-2026-031/送达回执.pdf"),
            doc("案卷 AJ-2026-0310/送达回执.pdf"),
            doc("案卷AJ-2026-031（补充）/扫描件/询问笔录.pdf"),
            doc("misc/会议纪要.pdf"),
            doc("AJ-2026-031-1/现场检查记录.pdf"),
        ];
        let o = compute(&facts, &ctx, chrono_tz::UTC, true);
        assert_eq!(o[0].cases, vec![0]);
        assert_eq!(o[1].cases, vec![1], "AJ-2026-031 is not in AJ-2026-0310");
        assert_eq!(
            o[2].cases,
            vec![0],
            "Chinese run into an id does not hide it"
        );
        assert!(o[3].cases.is_empty(), "and not in the root's name");
        assert_eq!(o[4].cases, vec![2], "the longest id that fits");
        assert_eq!(o[0].document_type.as_deref(), Some("service_receipt"));
        assert_eq!(o[2].document_type.as_deref(), Some("interview_record"));
        assert_eq!(o[3].document_type, None);
    }

    #[test]
    fn retention_keeps_the_longest_and_long_term_wins() {
        let ctx = Typed {
            cases: vec![
                case("A", "inspection", Some("2026-04-01"), None),
                case("B", "penalty", Some("2027-01-10"), None),
                case("C", "inspection", None, Some("complaint")),
                case("D", "coercion", Some("2026-05-01"), None),
            ],
            case_media: vec![
                link("A", "D1", "2026-03-01 00:00:00", "2026-03-02 00:00:00"),
                link("B", "D1", "2026-03-01 00:00:00", "2026-03-02 00:00:00"),
                link("C", "D2", "2026-03-01 00:00:00", "2026-03-02 00:00:00"),
                link("D", "D3", "2026-03-01 00:00:00", "2026-03-02 00:00:00"),
            ],
            ..Default::default()
        };
        let tz = chrono_tz::UTC;
        let facts = [
            clip("D1", "2026-03-01 10:00:00"), // cases A and B
            clip("D2", "2026-03-01 10:00:00"), // C: a complaint
            clip("D3", "2026-03-01 10:00:00"), // D: a coercive measure
            clip("D4", "2026-03-01 10:00:00"), // no case
            clip("D1", "2026-03-05 10:00:00"), // outside the window
        ];
        let o = compute(&facts, &ctx, tz, true);
        assert_eq!(o[0].cases, vec![0, 1]);
        assert_eq!(o[0].retention_class, Some("standard"));
        // Two years after the later closing (B, 2027-01-10), to the end of that day.
        assert_eq!(o[0].keep_until_us, Some(at("2029-01-11 00:00:00")));
        assert_eq!(o[1].retention_class, Some("long_term"));
        assert_eq!(o[1].keep_until_us, None);
        assert_eq!(o[2].retention_class, Some("long_term"));
        assert_eq!(o[3].keep_until_us, Some(at("2028-03-02 00:00:00")));
        assert!(o[4].cases.is_empty());
        // No ingest log, no birth time: the upload is unknown, not guessed.
        assert_eq!(o[3].upload_source, Some("unknown"));
        assert_eq!(o[3].upload_us, None);
    }

    #[test]
    fn footage_whose_clock_lied_is_kept_and_linked_by_when_its_counter_says_it_was_made() {
        let ctx = Typed {
            cases: vec![
                case("W", "inspection", None, None),
                case("X", "inspection", Some("2025-02-01"), None),
                case("Y", "inspection", Some("2026-07-01"), None),
            ],
            case_media: vec![
                // The morning's inspection, when the recordings were made.
                link("W", "D1", "2026-03-10 08:00:00", "2026-03-10 12:00:00"),
                // Windows that only the clocks' false dates fall in.
                link("X", "D1", "2025-01-01 00:00:00", "2025-01-01 01:00:00"),
                link("Y", "D2", "2026-06-01 09:00:00", "2026-06-01 11:00:00"),
            ],
            ..Default::default()
        };
        let recording = |row: usize, device: &str, n: i32, named: &str, docked: &str| FileFacts {
            row,
            segment_seq: Some(n),
            birth_time_us: Some(at(docked)),
            ..clip(device, named)
        };
        let evening = "2026-03-10 18:00:00";
        let facts = [
            recording(0, "D1", 1, "2026-03-10 09:00:00", evening),
            // The battery ran flat: the clock came back at 2025-01-01 (CLK-SETBACK).
            recording(1, "D1", 2, "2025-01-01 00:05:00", evening),
            recording(2, "D1", 3, "2025-01-01 00:06:00", evening),
            // Set again by the next morning.
            recording(3, "D1", 4, "2026-03-11 09:00:00", "2026-03-11 18:00:00"),
            // Another recorder's clock ahead, at 2026-06-01 (CLK-AHEAD).
            recording(4, "D2", 1, "2026-06-01 10:00:00", evening),
        ];
        let settings = RuleSettings::default();
        let now = at("2026-03-20 00:00:00");
        let tz = chrono_tz::UTC;
        let mut o = compute(&facts, &ctx, tz, true);
        // By the names: case X and kept two years from 2025-01-01; case Y and kept from June.
        assert_eq!(o[1].cases, vec![1]);
        assert_eq!(o[4].cases, vec![2]);
        let counter = Counter::of(&facts, |_| false, &settings, |r| o[r].upload_us, now);
        assert_eq!(counter.start(1), Some(at("2026-03-10 09:01:00")));
        settle(&mut o, &facts, &counter, &settings, now, &ctx, tz);
        // Made between 09:01 and that evening's dock: linked to the morning's case, not to
        // the case of the date the clock came back at, and kept two years from the dock.
        for k in [1, 2] {
            assert_eq!(o[k].cases, vec![0], "{k}");
            assert_eq!(o[k].retention_class, Some("standard"));
        }
        assert_eq!(o[1].keep_until_us, None, "case W is open");
        // The ahead recording: made before its upload, but when is not bounded from below:
        // no window by its false date; kept two years from its upload.
        assert!(o[4].cases.is_empty());
        assert_eq!(o[4].keep_until_us, Some(at("2028-03-11 00:00:00")));
        // The recordings whose times are their own keep theirs.
        assert_eq!(o[0].cases, vec![0]);
        assert_eq!(o[3].cases, Vec::<usize>::new());
        assert_eq!(o[3].keep_until_us, Some(at("2028-03-12 00:00:00")));
        // Case W closed: the set-back recordings are kept to two years after the latest they
        // can have been made (the dock, before the next recording at 09:00 on the 11th), not
        // to two years after 2025-01-01.
        let mut closed = ctx;
        closed.cases[0].closed = NaiveDate::from_ymd_opt(2026, 3, 10);
        let mut o = compute(&facts, &closed, tz, true);
        assert_eq!(
            o[2].keep_until_us,
            Some(at("2027-02-02 00:00:00")),
            "by case X"
        );
        let counter = Counter::of(&facts, |_| false, &settings, |r| o[r].upload_us, now);
        settle(&mut o, &facts, &counter, &settings, now, &closed, tz);
        assert_eq!(o[2].keep_until_us, Some(at("2028-03-11 00:00:00")));
    }
}
