//! Findings: what is wrong in the catalog, each tied to the article of the bureau's rules it
//! serves. One file per rule family; every rule has a stable id, a `kind` from the documented
//! vocabulary, a default severity and its article. Rules read the catalog facts and sessions
//! only: they never open a file.
//!
//! (Over 600 lines because the registry [`RULES`], one entry per rule with its article, is
//! most of it: the one list a new rule is added to.)

pub mod chain;
pub mod clock;
pub mod coding;
pub mod completeness;
pub mod continuity;
pub mod custody;
pub mod deadlines;
pub mod display;
pub mod encoder;
pub mod habits;
pub mod integrity;
pub mod metadata;
pub mod software;
pub mod timing;
pub mod traces;

use std::collections::HashMap;

use serde_json::Value;

use crate::catalog::FileFacts;
use crate::config::RuleSettings;
use crate::context::Typed;
use crate::counter::Counter;
use crate::obligations::Obligation;
use crate::sessions::Sessions;
use crate::store::tables::{CustodyEvent, FindingRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warn,
    High,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::High => "high",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warn" => Some(Severity::Warn),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// One rule of the registry.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub kind: &'static str,
    pub severity: Severity,
    pub article: &'static str,
    pub gloss: &'static str,
    pub what: &'static str,
}

const A12_3: (&str, &str) = (
    "第十二条(三)",
    "Art.12(3) records complete, objective and true: time, place, parties, officers",
);
const A12_5: (&str, &str) = (
    "第十二条(五)",
    "Art.12(5) no intermittent recording, no selective cutting, no re-recording, no inserted footage",
);
const A28_3: (&str, &str) = (
    "第二十八条(三)",
    "Art.28(3) records deliberately damaged, deleted or modified",
);
const A16: (&str, &str) = (
    "第十六条",
    "Art.16 originals uploaded within 24 h (special circumstances: 3 working days)",
);
const A17: (&str, &str) = (
    "第十七条",
    "Art.17 classified, named and described within 2 working days of upload",
);
const A18: (&str, &str) = (
    "第十八条",
    "Art.18 case records archived within 30 working days of closing the case",
);
const A22: (&str, &str) = (
    "第二十二条",
    "Art.22 footage kept at least two years (Art.21: long-term for listed cases)",
);
const A28_1: (&str, &str) = (
    "第二十八条(一)",
    "Art.28(1) a record not made, or not made as required",
);
const A28_4: (&str, &str) = (
    "第二十八条(四)",
    "Art.28(4) records damaged or lost through improper storage",
);

const fn rule(
    id: &'static str,
    kind: &'static str,
    severity: Severity,
    a: (&'static str, &'static str),
    what: &'static str,
) -> Rule {
    Rule {
        id,
        kind,
        severity,
        article: a.0,
        gloss: a.1,
        what,
    }
}

/// Every rule recaudit applies. Ids are stable: queries and reports may rely on them.
pub const RULES: &[Rule] = &[
    rule(
        "CONT-GAP",
        "gap",
        Severity::High,
        A12_5,
        "the next segment of a session starts later than the previous one ended",
    ),
    rule(
        "CONT-MISSING",
        "missing_segment",
        Severity::High,
        A12_5,
        "a segment number is skipped",
    ),
    rule(
        "CONT-OVERLAP",
        "overlap",
        Severity::Warn,
        A12_5,
        "the next segment starts before the previous one ended",
    ),
    rule(
        "TIME-SAMPLES",
        "internal_discontinuity",
        Severity::High,
        A12_5,
        "a jump between consecutive sample timestamps inside a file",
    ),
    rule(
        "CONT-LIVE",
        "live_gap",
        Severity::Warn,
        A12_5,
        "a gap between two pieces of a live stream's recording (FLV, as a media server writes it): the stream did not reach the server, or its push was stopped",
    ),
    rule(
        "TIME-LIVE",
        "internal_discontinuity",
        Severity::Warn,
        A12_5,
        "a jump between consecutive timestamps inside a live stream's recording (FLV, as a media server writes it): the stream did not reach the server, or was cut",
    ),
    rule(
        "TIME-STALL",
        "capture_stall",
        Severity::Info,
        A12_5,
        "one track of a file stands still while the other kind runs on through it: the recorder stalled, no cut",
    ),
    rule(
        "TIME-FRAGMENTS",
        "internal_discontinuity",
        Severity::High,
        A12_5,
        "a fragment's decode time does not follow the previous fragment",
    ),
    rule(
        "TIME-PCR",
        "internal_discontinuity",
        Severity::High,
        A12_5,
        "an MPEG-TS program clock jump",
    ),
    rule(
        "TIME-CC",
        "internal_discontinuity",
        Severity::Warn,
        A12_5,
        "MPEG-TS continuity-counter errors: packets missing or inserted",
    ),
    rule(
        "INS-STSD",
        "inserted_footage",
        Severity::High,
        A12_5,
        "a track with several sample descriptions (coding parameters change inside the file)",
    ),
    rule(
        "INS-SPS",
        "inserted_footage",
        Severity::High,
        A12_5,
        "sequence parameter sets that change mid-stream",
    ),
    rule(
        "INS-RATE",
        "inserted_footage",
        Severity::High,
        A12_5,
        "a stretch of the video at another steady frame rate between runs of its usual one",
    ),
    rule(
        "OSD-GAP",
        "timeline_short",
        Severity::Info,
        A12_5,
        "a gap the names leave between two segments of a session through which the picture's clock runs on: the container's timeline runs short of the recorder's clock; no footage missing",
    ),
    rule(
        "OSD-PRERECORD",
        "prerecord",
        Severity::Info,
        A12_5,
        "an overlap the names leave after a recording's first segment, or a gap before a recording started again within the pause, through which the picture's footage runs on: the file holds its pre-record buffer and was named at the button press; no footage recorded twice or missing",
    ),
    rule(
        "OSD-TWICE",
        "recorded_twice",
        Severity::Info,
        A12_5,
        "an overlap the names leave between two segments of a session that their pictures show too, each display at its own name's time: the recorder's clock runs through both, which hold the same moments (a recorder overlapping its segments, or its clock set back between them); no footage of another time",
    ),
    rule(
        "CONT-RENAMED",
        "renamed_segment",
        Severity::Info,
        A17,
        "a segment number skipped whose time a recording without a number in the same folder fills, coded alike: a segment renamed by hand, its recorder's number lost, not missing",
    ),
    rule(
        "CONT-NUMBERING",
        "numbering_skip",
        Severity::Info,
        A12_5,
        "segment numbers skipped between two segments of a session whose recording runs on from one into the next: numbers given to files not in the tree; no footage missing",
    ),
    rule(
        "TIME-RATE",
        "rate_change",
        Severity::Info,
        A12_5,
        "a stretch of the video at another steady frame rate across whose edges the encoder numbered its pictures on: the recorder changed its capture rate (as in low light); no footage copied in",
    ),
    rule(
        "OSD-RATE",
        "rate_change",
        Severity::Info,
        A12_5,
        "a stretch of the video, or a segment of a session, at another frame rate through which the picture's clock runs on: the recorder changed its rate (as in low light); not a splice",
    ),
    rule(
        "INS-SESSION",
        "inserted_footage",
        Severity::High,
        A12_5,
        "a segment whose coding parameters differ from the rest of its session",
    ),
    rule(
        "ENC-TOOL",
        "reencoded",
        Severity::High,
        A12_5,
        "written by editing software (encoder, software, handler or compressor names)",
    ),
    rule(
        "ENC-FINGERPRINT",
        "reencoded",
        Severity::High,
        A12_5,
        "software strings or box layout differ from the device's other files",
    ),
    rule(
        "ENC-EDITS",
        "reencoded",
        Severity::High,
        A12_5,
        "edit lists beyond what the device's other files carry",
    ),
    rule(
        "ENC-PARAMS",
        "reencoded",
        Severity::High,
        A12_5,
        "coding parameters unlike the files around it (the device's habit, or the rest of its session with other software's traces)",
    ),
    rule(
        "ENC-SETTING",
        "setting_change",
        Severity::Info,
        A12_5,
        "a recording on its own at other coding parameters than the device's files before and after it, written by the device's own software with its encoder's habits: a setting changed for one recording (information)",
    ),
    rule(
        "ENC-HABIT",
        "reencoded",
        Severity::High,
        A12_5,
        "coding habits (entropy coder, references, B-frames, keyframe interval, QP) unlike the device's files before and after it",
    ),
    rule(
        "FW-CHANGE",
        "firmware_change",
        Severity::Info,
        A12_5,
        "a device's software strings or container changed from this file on and stayed: a firmware update, not an edit (information)",
    ),
    rule(
        "CLK-RESET",
        "clock_reset",
        Severity::Warn,
        A12_5,
        "an implausible recording time (device clock default, or in the future)",
    ),
    rule(
        "CLK-SETBACK",
        "clock_reset",
        Severity::Warn,
        A12_3,
        "a recording numbered after one that ended later than it says it began: the recorder's clock was set back (as to a default date when its battery ran flat); its times are not true",
    ),
    rule(
        "CLK-AHEAD",
        "clock_reset",
        Severity::Warn,
        A12_3,
        "a recording named (or stamped) after it reached the server: the recorder's clock was ahead; its times are not true",
    ),
    rule(
        "CLK-MISMATCH",
        "time_mismatch",
        Severity::Warn,
        A12_3,
        "container time and file-name time disagree",
    ),
    rule(
        "OSD-JUMP",
        "inserted_footage",
        Severity::High,
        A12_5,
        "the time burned into the picture jumps inside the file while the file's own timestamps run on",
    ),
    rule(
        "OSD-SEAM",
        "inserted_footage",
        Severity::High,
        A12_5,
        "the picture's clock does not run on from the previous segment that the names call contiguous",
    ),
    rule(
        "OSD-DEVICE",
        "inserted_footage",
        Severity::High,
        A12_5,
        "the picture names another device than the device's other recordings show",
    ),
    rule(
        "OSD-NUMBER",
        "setting_change",
        Severity::Info,
        A12_5,
        "the picture names another device number from some recording on, in every later recording of two sessions at least: the recorder was given a new number (information)",
    ),
    rule(
        "OSD-OFFSET",
        "time_mismatch",
        Severity::Warn,
        A12_3,
        "the picture's clock disagrees with the file name unlike the device's recordings before and after it",
    ),
    rule(
        "OSD-RESET",
        "clock_reset",
        Severity::Warn,
        A12_5,
        "the picture shows an implausible time (the recorder's clock was reset), or its clock steps while the recording runs on: to or from an implausible time, or inside a group of pictures (the clock set while recording)",
    ),
    rule(
        "CLK-MISSING",
        "missing_timestamp",
        Severity::Warn,
        A12_3,
        "no usable recording time in the container",
    ),
    rule(
        "META-DEVICE",
        "missing_metadata",
        Severity::Warn,
        A12_3,
        "no device id: the footage cannot be attributed",
    ),
    rule(
        "META-NAMESAKE",
        "device_namesake",
        Severity::Info,
        A12_3,
        "one device number names two recorders (in two folders whose recordings overlap in time, or whose counters interleave): each is judged on its own under the number and its folder (information)",
    ),
    rule(
        "META-OFFICER",
        "missing_metadata",
        Severity::Info,
        A12_3,
        "no officer id in the path (only with require_officer)",
    ),
    rule(
        "META-LOCATION",
        "missing_metadata",
        Severity::Info,
        A12_3,
        "no GPS position in any file of a session (only with require_location)",
    ),
    rule(
        "INT-UNREADABLE",
        "unreadable",
        Severity::High,
        A28_4,
        "corrupt, truncated, empty, unreadable, or not the media its name says",
    ),
    rule(
        "INT-NOACCESS",
        "access_denied",
        Severity::Warn,
        A28_4,
        "a file or folder the run was refused (permission denied: written by an upload station for its own user, say): not read, not judged; the scanner's account needs read access",
    ),
    rule(
        "INT-INFLIGHT",
        "in_flight",
        Severity::Info,
        A28_4,
        "a file still being written when read (read cut short, or modified shortly before the run, and grown by the end of the run's read: an upload the run overlapped), a file read cut short and last written less than `upload_settle_s` (24 h) before the run (an upload that stalled), or a file transfer's temporary copy: not judged until a later run reads it whole, or it has lain still that long",
    ),
    rule(
        "INT-DUPLICATE",
        "duplicate_content",
        Severity::Warn,
        A12_5,
        "identical bytes under more than one path",
    ),
    rule(
        "INT-VERSION",
        "second_version",
        Severity::Warn,
        A12_5,
        "one device's recording under one file name and time in two folders with other bytes (a second upload re-muxed, or one of them altered)",
    ),
    rule(
        "CHAIN-RESTART",
        "history_broken",
        Severity::High,
        A28_3,
        "the warehouse's own history (its hash chain of runs) did not verify and a new chain was started: a committed record was changed, removed or inserted",
    ),
    rule(
        "CUST-MODIFIED",
        "modified",
        Severity::High,
        A28_3,
        "a catalogued file's bytes changed (same path, different BLAKE3)",
    ),
    rule(
        "CUST-DELETED",
        "deleted",
        Severity::High,
        A28_3,
        "a catalogued file is gone from the tree (not moved: its bytes are nowhere else)",
    ),
    rule(
        "RET-EARLY",
        "deleted_before_retention",
        Severity::High,
        A22,
        "a file was deleted before its keep-until date, or while it was to be kept long-term",
    ),
    rule(
        "DL-UPLOAD",
        "late_upload",
        Severity::Warn,
        A16,
        "uploaded more than 24 h after the recording ended (3 working days for special cases)",
    ),
    rule(
        "DL-LOGZONE",
        "log_zone",
        Severity::Info,
        A16,
        "the ingest log's times were read as UTC (ingest_times = \"auto\"): most logged uploads fall one zone offset before their files were created on the server (information)",
    ),
    rule(
        "DL-LOGPATHS",
        "log_paths",
        Severity::Info,
        A16,
        "the ingest log's (or the media notes') lines name almost none of the scan's files (more than nine in ten name none, fewer than one file in ten is named): written with other names for the roots; `ingest_path_prefixes` says which (information)",
    ),
    rule(
        "DL-CLASSIFY",
        "late_classification",
        Severity::Warn,
        A17,
        "classified and described after 2 working days from upload, or not at all by now",
    ),
    rule(
        "REC-INCOMPLETE",
        "incomplete_record",
        Severity::Warn,
        A28_1,
        "a closed case lacks a written or audio-visual record its checklist requires (第六、七条); each finding cites the item's clause",
    ),
    rule(
        "DL-ARCHIVE",
        "late_archive",
        Severity::Warn,
        A18,
        "a closed case archived after 30 working days, or not archived by now",
    ),
    rule(
        "DL-CALENDAR",
        "deadline_unknown",
        Severity::Info,
        A16,
        "a working-day deadline falls in a year the calendar does not cover",
    ),
];

pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Everything a rule may look at.
pub struct Ctx<'a> {
    pub facts: &'a [FileFacts],
    pub sessions: &'a Sessions,
    pub settings: &'a RuleSettings,
    pub tz: chrono_tz::Tz,
    /// When the scan ran (UTC microseconds): later recording times are in the future.
    pub now_us: i64,
    pub run_id: &'a str,
    /// Each file's coding signature and software fingerprint, computed once.
    pub signatures: Interned,
    pub fingerprints: Interned,
    /// For each distinct fingerprint, whether it names an editing tool ([`Ctx::edited`]).
    edited: Vec<bool>,
    pub env: &'a Env<'a>,
    /// For each file of a session (by row), the row of the first segment of the recording it
    /// belongs to (see [`Ctx::starts_recording`]).
    recording_first: Vec<Option<usize>>,
}

/// For each file (by row), the row of the file that starts its recording: its session's first
/// segment, or the last one before it (or itself) that starts more than `gap_tolerance`
/// seconds after the segments before it in its session ended. One pass over the sessions.
fn recording_first(
    facts: &[FileFacts],
    sessions: &Sessions,
    gap_tolerance: f64,
) -> Vec<Option<usize>> {
    let mut out = vec![None; facts.len()];
    for sess in &sessions.list {
        let mut reach: Option<i64> = None;
        let mut first: Option<usize> = None;
        for (k, &m) in sess.members.iter().enumerate() {
            let f = &facts[m];
            let starts = match (reach, f.start_us()) {
                (None, _) => k == 0,
                (Some(end), Some(start)) => (start - end) as f64 / 1e6 > gap_tolerance,
                (Some(_), None) => false,
            };
            if starts {
                first = Some(m);
            }
            if let Some(slot) = out.get_mut(m) {
                *slot = first;
            }
            if let Some(end) = crate::sessions::end_us(f) {
                reach = Some(reach.map_or(end, |r| r.max(end)));
            }
        }
    }
    out
}

/// What the rules know beyond the catalogue: the context tables, each file's obligations (by
/// row), and the custody offences on record (this run's and every earlier run's).
pub struct Env<'a> {
    pub context: &'a Typed,
    pub obligations: &'a [Obligation],
    pub offences: &'a [CustodyEvent],
    /// Restarts of the warehouse's hash chain on record (each after a history that did not
    /// verify).
    pub history_breaks: &'a [crate::chain::HistoryBreak],
    /// Each case held against the checklist of 第六、七条 ([`crate::completeness`]).
    pub case_items: &'a [crate::store::tables::CaseItemRow],
    /// What each file's recorder's counter says of when it was made, where its clock lied
    /// ([`Counter::of`], computed with the uploads of `obligations`).
    pub counter: &'a Counter,
    /// The ingest log's times read as UTC, judged so by its files' births on the server
    /// ([`crate::obligations::LogZone`]; DL-LOGZONE).
    pub log_zone: Option<crate::obligations::LogZone>,
    /// The ingest log's lines naming almost none of the files
    /// ([`crate::obligations::LogCover::misses`]; DL-LOGPATHS).
    pub log_cover: Option<&'a crate::obligations::LogCover>,
    /// The media notes' lines naming almost none of the files (DL-LOGPATHS).
    pub notes_cover: Option<&'a crate::obligations::LogCover>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        facts: &'a [FileFacts],
        sessions: &'a Sessions,
        settings: &'a RuleSettings,
        tz: chrono_tz::Tz,
        now_us: i64,
        run_id: &'a str,
        env: &'a Env<'a>,
    ) -> Self {
        let signatures = Interned::new(facts, coding::signature, coding::same_signature);
        let fingerprints = Interned::new(facts, traces::fingerprint, traces::same_fingerprint);
        // A fingerprint holds every string an editing tool's name is looked for in.
        let edited = fingerprints
            .values
            .iter()
            .map(|v| traces::names_an_editor(v))
            .collect();
        let recording_first = recording_first(facts, sessions, settings.gap_tolerance_s);
        Ctx {
            facts,
            sessions,
            settings,
            tz,
            now_us,
            run_id,
            signatures,
            fingerprints,
            edited,
            env,
            recording_first,
        }
    }

    /// Whether file `f`'s recording time is not its own: named from a clock set back
    /// ([`Ctx::counter_start`]) or reset ([`Ctx::implausible`]).
    pub fn time_not_own(&self, f: &FileFacts) -> bool {
        self.counter_start(f.row).is_some() || f.start_us().is_some_and(|t| self.implausible(t))
    }

    /// The latest file `row`'s recording can have ended by its recorder's counter, where its
    /// own time is not true (CLK-SETBACK, or a reset clock): before the recording numbered
    /// next began. `None` when unknown, and for every other file.
    pub fn counter_latest_end(&self, row: usize) -> Option<i64> {
        self.env.counter.latest_end(row)
    }

    /// The earliest start file `row`'s recorder's counter allows, where its name and
    /// container say more than `time_mismatch_tolerance_s` earlier: the recorder's clock was
    /// set back before it was recorded ([`Counter::of`]). `None` for every other
    /// file.
    pub fn counter_start(&self, row: usize) -> Option<i64> {
        self.env.counter.start(row)
    }

    pub fn obligation(&self, f: &FileFacts) -> Option<&Obligation> {
        self.env.obligations.get(f.row)
    }

    pub fn sig(&self, f: &FileFacts) -> &str {
        self.signatures.get(f.row)
    }

    pub fn fp(&self, f: &FileFacts) -> &str {
        self.fingerprints.get(f.row)
    }

    /// The editing tool file `f`'s software strings name, and the string that names it
    /// ([`traces::editor`]), looked for once per distinct fingerprint.
    pub fn editor(&self, f: &FileFacts) -> Option<(&'static str, String)> {
        let id = *self.fingerprints.ids.get(f.row)?;
        if self.edited.get(id as usize).copied().unwrap_or(true) {
            traces::editor(f)
        } else {
            None
        }
    }
}

impl Ctx<'_> {
    /// The files `keep` picks that share their recording start with another such file, as
    /// runs of indices into the facts (each run one start, two files or more, in index order
    /// within it): where copies, streams and versions of one recording are found, without a
    /// map keyed by every file.
    pub fn same_start(&self, keep: impl Fn(&FileFacts) -> bool) -> Vec<Vec<usize>> {
        let mut starts: Vec<(i64, usize)> = self
            .facts
            .iter()
            .enumerate()
            .filter(|(_, f)| keep(f))
            .filter_map(|(i, f)| Some((f.start_us()?, i)))
            .collect();
        starts.sort_unstable();
        starts
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
            .map(|run| run.iter().map(|&(_, i)| i).collect())
            .collect()
    }

    /// Whether file `row` starts a recording (the button pressed): its session's first
    /// segment, or one that starts more than `gap_tolerance_s` after the segments before it in
    /// its session ended (the recorder stopped and started again within `session_pause_s`).
    /// Such a file may hold a pre-record buffer of footage from before its name.
    pub fn starts_recording(&self, row: usize) -> bool {
        self.recording_start(row) == Some(row)
    }

    /// The row of the file that starts the recording file `row` belongs to
    /// ([`Ctx::starts_recording`]); `None` for a file in no session.
    pub fn recording_start(&self, row: usize) -> Option<usize> {
        self.recording_first.get(row).copied().flatten()
    }

    /// Whether `device` is one the registry calls a fixed camera (`devices.kind` `cctv`): a
    /// video-surveillance camera whose exports a clerk cuts (第十五条, second paragraph), not
    /// a recorder an officer carries to a site and brings back.
    pub fn fixed_camera(&self, device: &str) -> bool {
        self.env.context.fixed_cameras.contains(device)
    }

    /// Whether file `f` is of a device the registry calls a fixed camera.
    pub fn of_fixed_camera(&self, f: &FileFacts) -> bool {
        f.device_id.as_deref().is_some_and(|d| self.fixed_camera(d))
    }

    /// Whether a recording time (UTC microseconds) is one no recorder records at
    /// ([`RuleSettings::implausible`], as of the scan).
    pub fn implausible(&self, t_us: i64) -> bool {
        self.settings.implausible(t_us, self.now_us)
    }

    /// UTC offset of the configured zone at `t_us`, in seconds.
    pub fn zone_offset_s(&self, t_us: i64) -> i64 {
        use chrono::Offset;
        use chrono::TimeZone;
        chrono::DateTime::from_timestamp_micros(t_us)
            .map(|t| {
                i64::from(
                    self.tz
                        .offset_from_utc_datetime(&t.naive_utc())
                        .fix()
                        .local_minus_utc(),
                )
            })
            .unwrap_or(0)
    }

    pub fn session_of(&self, file: usize) -> Option<&str> {
        self.sessions
            .of_file
            .get(file)
            .copied()
            .flatten()
            .map(|k| self.sessions.list[k].id.as_str())
    }
}

/// One string per file where most files share a handful of values (a device's coding
/// signature, its software fingerprint): each distinct value is kept once.
pub struct Interned {
    values: Vec<String>,
    ids: Vec<u32>,
}

impl Interned {
    /// `value` of every file, computed in parallel a slice at a time (so that only one slice's
    /// strings exist before they are interned). `same(a, b)` says that `b`'s value is `a`'s
    /// without computing it: a device's files follow one another and share their text facts,
    /// so most files are not formatted at all.
    fn new(
        facts: &[FileFacts],
        value: fn(&FileFacts) -> String,
        same: fn(&FileFacts, &FileFacts) -> bool,
    ) -> Interned {
        use rayon::prelude::*;
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut values = Vec::new();
        let mut ids = Vec::with_capacity(facts.len());
        for part in facts.chunks(8192) {
            let fresh = |i: usize| i == 0 || !same(&part[i - 1], &part[i]);
            let rows: Vec<usize> = (0..part.len()).filter(|&i| fresh(i)).collect();
            let strings: Vec<String> = rows.par_iter().map(|&i| value(&part[i])).collect();
            let mut strings = strings.into_iter();
            let mut id = 0u32;
            for i in 0..part.len() {
                if fresh(i)
                    && let Some(v) = strings.next()
                {
                    id = *index.entry(v).or_insert_with_key(|k| {
                        values.push(k.clone());
                        (values.len() - 1) as u32
                    });
                }
                ids.push(id);
            }
        }
        Interned { values, ids }
    }

    pub fn get(&self, row: usize) -> &str {
        self.ids
            .get(row)
            .and_then(|&i| self.values.get(i as usize))
            .map_or("", |s| s.as_str())
    }
}

/// Where a finding applies.
#[derive(Default)]
pub struct Target<'a> {
    pub file: Option<&'a FileFacts>,
    pub session: Option<&'a str>,
    pub device: Option<&'a str>,
    /// A path no longer in the catalogue (a deleted file).
    pub path: Option<&'a str>,
    pub case: Option<&'a str>,
}

pub struct Findings<'a> {
    ctx: &'a Ctx<'a>,
    pub rows: Vec<FindingRow>,
}

impl<'a> Findings<'a> {
    pub fn new(ctx: &'a Ctx<'a>) -> Self {
        Findings {
            ctx,
            rows: Vec::new(),
        }
    }

    /// A finding about one file as a whole: at its recording start, no offset or magnitude.
    pub fn file(&mut self, rule_id: &str, f: &FileFacts, message: String, details: Value) {
        self.add(
            rule_id,
            Target {
                file: Some(f),
                ..Default::default()
            },
            f.start_us(),
            None,
            None,
            message,
            details,
        );
    }

    /// Cites a more precise clause than the rule's own article for the finding just added
    /// (an `incomplete_record` cites the clause of 第六条 or 第七条 its item comes from).
    pub fn cite_last(&mut self, article: &str, gloss: &str) {
        if let Some(r) = self.rows.last_mut() {
            r.article = article.to_string().into();
            r.article_gloss = gloss.to_string().into();
        }
    }

    /// Records a finding of rule `rule_id`. `at_us` is the UTC time of the problem, `offset_s`
    /// its position inside the file, `magnitude_s` its size.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        rule_id: &str,
        t: Target,
        at_us: Option<i64>,
        offset_s: Option<f64>,
        magnitude_s: Option<f64>,
        message: String,
        details: Value,
    ) {
        let Some(r) = rule_by_id(rule_id) else { return };
        let file = t.file;
        // A thumbnail a storage server made, a record deleted into a recycle bin: catalogued,
        // followed by custody, judged by no file rule ([`crate::pathinfo::is_no_record`]).
        if file.is_some_and(|f| crate::pathinfo::is_no_record(&f.path)) {
            return;
        }
        let session = t.session.map(str::to_string).or_else(|| {
            file.and_then(|f| self.ctx.session_of(f.row))
                .map(str::to_string)
        });
        let device = t.device.map(str::to_string).or_else(|| {
            file.and_then(|f| f.device_id.as_deref())
                .map(str::to_string)
        });
        let path = file
            .map(|f| f.path.to_string())
            .or(t.path.map(str::to_string));
        let key = format!(
            "{}|{}|{}|{}|{}|{}",
            r.id,
            path.as_deref().unwrap_or(""),
            session.as_deref().unwrap_or(""),
            offset_s.map(|o| format!("{o:.3}")).unwrap_or_default(),
            t.case.unwrap_or(""),
            at_us.map(|a| a.to_string()).unwrap_or_default()
        );
        let finding_id = format!("F{}", &blake3::hash(key.as_bytes()).to_hex()[..16]);
        self.rows.push(FindingRow {
            run_id: self.ctx.run_id.to_string(),
            finding_id,
            kind: r.kind.into(),
            severity: r.severity.name().into(),
            rule_id: r.id.into(),
            article: r.article.into(),
            article_gloss: r.gloss.into(),
            message,
            path,
            session_id: session,
            device_id: device,
            officer_id: file
                .and_then(|f| f.officer_id.as_deref())
                .map(str::to_string),
            unit: file.and_then(|f| f.unit.as_deref()).map(str::to_string),
            at_us,
            offset_s,
            magnitude_s,
            details: details.to_string(),
            case_id: t.case.map(str::to_string),
        });
    }
}

/// Which rule families to run: those over the run's history and cases, which see no file
/// (the hash chain's breaks, custody offences, case completeness), those over the files, or
/// both. A catalogue analysed in parts runs the file families on each part and the run's
/// families once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Files,
    Run,
}

/// The families that read only [`Env`]'s history and case items, never a file.
pub const RUN_FAMILIES: usize = 3;

/// Runs every rule family over the catalog.
pub fn evaluate(ctx: &Ctx) -> Vec<FindingRow> {
    evaluate_scope(ctx, Scope::All)
}

/// Runs the families of `scope` over the catalog.
pub fn evaluate_scope(ctx: &Ctx, scope: Scope) -> Vec<FindingRow> {
    use rayon::prelude::*;
    type Family = fn(&Ctx, &mut Findings);
    // The run's families first ([`RUN_FAMILIES`]).
    let families: [Family; 13] = [
        chain::check,
        completeness::check,
        custody::check,
        deadlines::check,
        continuity::check,
        timing::check,
        coding::check,
        software::check,
        clock::check,
        display::check,
        encoder::check,
        metadata::check,
        integrity::check,
    ];
    let families = match scope {
        Scope::All => &families[..],
        Scope::Run => &families[..RUN_FAMILIES],
        Scope::Files => &families[RUN_FAMILIES..],
    };
    // The families are independent: run them side by side.
    let parts: Vec<Vec<FindingRow>> = families
        .par_iter()
        .map(|check| {
            let mut out = Findings::new(ctx);
            check(ctx, &mut out);
            out.rows
        })
        .collect();
    let mut rows: Vec<FindingRow> = parts.into_iter().flatten().collect();
    sort_findings(&mut rows);
    rows
}

/// The findings' order: by device, session, file, time, rule (and id, so that findings
/// gathered from the parts of a catalogue come out as from the whole).
pub fn sort_findings(rows: &mut [FindingRow]) {
    rows.sort_by(FindingRow::order);
}

/// Formats a UTC instant as local wall-clock time of `tz` for messages.
pub fn local(ctx: &Ctx, us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| {
            t.with_timezone(&ctx.tz)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| us.to_string())
}

/// The most common value among `items` when it covers at least `min` items and more than half.
pub fn majority<K: std::hash::Hash + Eq + Clone>(
    items: impl Iterator<Item = K>,
    min: usize,
) -> Option<K> {
    let mut n = 0usize;
    let mut counts: HashMap<K, usize> = HashMap::new();
    for k in items {
        n += 1;
        *counts.entry(k).or_insert(0) += 1;
    }
    let (k, c) = counts.into_iter().max_by_key(|(_, c)| *c)?;
    (c >= min && c * 2 > n).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_values_skip_only_what_is_the_row_befores() {
        let text = std::sync::Arc::new(crate::catalog::TextFacts {
            video_codec: Some("avc1".into()),
            encoder: Some("Lavf".into()),
            ..Default::default()
        });
        let other = std::sync::Arc::new(crate::catalog::TextFacts {
            video_codec: Some("hvc1".into()),
            encoder: Some("Lavf".into()),
            ..Default::default()
        });
        let file =
            |text: &std::sync::Arc<crate::catalog::TextFacts>, width: i32, fps: f64| FileFacts {
                text: text.clone(),
                width: Some(width),
                frame_rate: Some(fps),
                ..Default::default()
            };
        // Runs of shared text with a number changing inside a run, and text changing with
        // the same numbers, across the boundary of a slice of 8192.
        let mut facts = Vec::new();
        for i in 0..9000 {
            let t = if (i / 700) % 2 == 0 { &text } else { &other };
            facts.push(file(t, if i % 333 == 0 { 1280 } else { 1920 }, 25.0));
        }
        facts[8191].frame_rate = Some(30.0);
        let never = |_: &FileFacts, _: &FileFacts| false;
        for (value, same) in [
            (
                coding::signature as fn(&FileFacts) -> String,
                coding::same_signature as fn(&FileFacts, &FileFacts) -> bool,
            ),
            (traces::fingerprint, traces::same_fingerprint),
        ] {
            let quick = Interned::new(&facts, value, same);
            let slow = Interned::new(&facts, value, never);
            for (i, f) in facts.iter().enumerate() {
                assert_eq!(quick.get(i), slow.get(i), "row {i}");
                assert_eq!(quick.get(i), value(f), "row {i}");
            }
        }
    }
}
