//! `recaudit.toml`: the settings a bureau tunes to its own recorders and file layout. Everything
//! has a documented default, so the file is optional; an unknown key is an error rather than a
//! silently ignored typo.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config: time zone '{0}' is not a known IANA zone name (for example Asia/Shanghai)")]
    Zone(String),
    #[error("config: path pattern '{name}' is not a valid regex: {message}")]
    Regex { name: String, message: String },
    #[error(
        "config: path pattern '{name}' uses capture group '{group}'; allowed groups are {allowed}"
    )]
    Group {
        name: String,
        group: String,
        allowed: &'static str,
    },
}

/// A named regex applied to a file's path relative to its scan root (with `/` separators).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PathPattern {
    pub name: String,
    pub regex: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// IANA zone of the wall-clock times in file names and in zone-less metadata.
    pub timezone: String,
    /// Tried in order; each field is taken from the first pattern that matches and names it.
    pub path_patterns: Vec<PathPattern>,
    pub scan: ScanSettings,
    pub rules: RuleSettings,
    /// Where a shared warehouse on S3-compatible storage is reached (each unset key from the
    /// standard `AWS_*` environment variables).
    pub storage: StorageSettings,
}

/// `[storage]`: an S3-compatible object store for a shared warehouse (`s3://bucket/prefix`).
/// The keys are never recorded (`runs.settings` shows only the endpoint and region).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// The endpoint URL, e.g. `http://127.0.0.1:8333` [default: `AWS_ENDPOINT_URL`, else AWS].
    pub endpoint: Option<String>,
    /// [default: `AWS_REGION`, else us-east-1]
    pub region: Option<String>,
    /// Allow a plain-HTTP endpoint [default: `AWS_ALLOW_HTTP`, else no].
    pub allow_http: Option<bool>,
    /// [default: `AWS_ACCESS_KEY_ID`]
    #[serde(skip_serializing)]
    pub access_key_id: Option<String>,
    /// [default: `AWS_SECRET_ACCESS_KEY`]
    #[serde(skip_serializing)]
    pub secret_access_key: Option<String>,
}

/// Thresholds of the sessions and findings rules (see the README's findings section).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RuleSettings {
    /// A pause longer than this (seconds) between a device's recordings starts a new session.
    pub session_pause_s: f64,
    /// A pause longer than this (seconds) between a device's recordings, or an upload of the
    /// device's files between them, ends an enforcement stage (阶段执法, 第十六条): the
    /// upload deadline runs from the end of the stage's last recording.
    pub stage_pause_s: f64,
    /// The next segment may start this many seconds after the previous ended without a `gap`.
    pub gap_tolerance_s: f64,
    /// ... or this many seconds before it ended without an `overlap`.
    pub overlap_tolerance_s: f64,
    /// A jump between consecutive timestamps inside a file larger than this is an
    /// `internal_discontinuity` (seconds beyond the usual sample duration).
    pub internal_jump_s: f64,
    /// Container time and file-name time may differ by this much (seconds) without a
    /// `time_mismatch`, after allowing for UTC-vs-local and start-vs-end conventions.
    pub time_mismatch_tolerance_s: f64,
    /// Recording times before this year are device clock defaults: `clock_reset`.
    pub earliest_plausible_year: i32,
    /// Recording times more than this many seconds after the scan are `clock_reset`.
    pub future_tolerance_s: f64,
    /// Report sessions in which no file carries a GPS position (`missing_metadata`).
    pub require_location: bool,
    /// Report files without an officer id in their path (`missing_metadata`).
    pub require_officer: bool,
    /// Without an ingest-log entry, a file's birth time on the server is its upload time
    /// (第十六、十七条). Set false for a tree restored from backup or migrated, where birth
    /// times say when the copy was made: upload times are then unknown unless logged.
    pub birth_time_is_upload: bool,
    /// How the ingest log's times without a zone are read: `local` (the configured zone),
    /// `utc` (a platform's database times printed without their zone), or `auto`: local,
    /// unless most of the logged uploads fall one zone offset before their files were created
    /// on the server (birth time) and few at it (`obligations::ingest_in_utc`; DL-LOGZONE says
    /// so).
    pub ingest_times: IngestTimes,
    /// Where the ingest log and the media notes were written, the scan roots as the upload
    /// station saw them (`D:\证据`, `\\10.0.0.5\evidence`, `/mnt/nas/evidence`): a
    /// line's path that begins with one is read as relative to the scan roots, its `\` as
    /// `/` (a Windows prefix matched without regard to ASCII case). Empty: paths as written.
    pub ingest_path_prefixes: Vec<String>,
    /// A file read cut short (`truncated`) whose last write was less than this many seconds
    /// before the run began is held as an upload in flight (INT-INFLIGHT, information), not
    /// judged damaged (INT-UNREADABLE): an upload station's copy that stalled, to be completed
    /// or redone. The first run after it has lain still this long judges it. 0 judges at once
    /// (for trees copied into place, whose modification times say when the copy was made).
    pub upload_settle_s: f64,
    /// Burned-in clock readings below this confidence (0-1) are not used by the OSD rules.
    pub osd_min_confidence: f64,
    /// A file's display-to-name offset this far (seconds) from both neighbours' is a
    /// `time_mismatch` (OSD-OFFSET).
    pub osd_offset_tolerance_s: f64,
    /// The display's clock jumping by more than this (seconds) inside a file is
    /// `inserted_footage` (OSD-JUMP).
    pub osd_jump_tolerance_s: f64,
}

/// The default `osd_min_confidence`; the keyframe stage reads up to three keyframes in from an
/// end of a file that reads below it. 0.65 since 2026-12-06 (night; 0.5 before): a 16-pixel
/// display over a bright scene, whose every reading stood at 0.55-0.61, read a recording's
/// hour `09` as `00` in both its pictures (the `9` cut down to its right stroke, which the
/// learning had seen as a `0` cut down alike) and accused an honest file (OSD-SEAM).
pub const OSD_MIN_CONFIDENCE: f64 = 0.65;

impl RuleSettings {
    /// Whether a recording time `t_us` cannot be true: before `earliest_plausible_year` (a
    /// device's default after a reset: 1970, 2000) or more than `future_tolerance_s` after
    /// `now_us`, when the scan ran.
    pub fn implausible(&self, t_us: i64, now_us: i64) -> bool {
        let year =
            chrono::DateTime::from_timestamp_micros(t_us).map(|t| chrono::Datelike::year(&t));
        year.is_some_and(|y| y < self.earliest_plausible_year)
            || t_us > now_us.saturating_add((self.future_tolerance_s * 1e6) as i64)
    }

    /// Whether a recording said to begin at `named_us` was named more than
    /// `time_mismatch_tolerance_s` after `uploaded_us`, when it reached the server: a recording
    /// is uploaded after it is made, so its recorder's clock was ahead (CLK-AHEAD).
    pub fn named_after_upload(&self, named_us: i64, uploaded_us: i64) -> bool {
        named_us - uploaded_us > (self.time_mismatch_tolerance_s * 1e6) as i64
    }
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            session_pause_s: 600.0,
            stage_pause_s: 43_200.0,
            gap_tolerance_s: 2.0,
            overlap_tolerance_s: 2.0,
            internal_jump_s: 0.5,
            time_mismatch_tolerance_s: 60.0,
            earliest_plausible_year: 2010,
            future_tolerance_s: 86_400.0,
            require_location: false,
            require_officer: false,
            birth_time_is_upload: true,
            ingest_times: IngestTimes::Auto,
            ingest_path_prefixes: Vec::new(),
            upload_settle_s: 86_400.0,
            osd_min_confidence: OSD_MIN_CONFIDENCE,
            osd_offset_tolerance_s: 30.0,
            osd_jump_tolerance_s: 2.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSettings {
    /// Files at least this large are memory-mapped; smaller ones are read in chunks.
    pub mmap_min_bytes: u64,
    /// Size of each read of a file that is not mapped.
    pub chunk_bytes: usize,
    /// The keyframe stage: `boundary` decodes each H.264 or HEVC recording's first and last
    /// keyframe to read its burned-in clock (and, per device model, the first seconds of two
    /// recordings to learn the display's digits); `all` reads every keyframe as well (a row of
    /// `keyframes` each); `off` decodes nothing.
    pub keyframes: KeyframeMode,
}

/// How the ingest log's times without a zone are read ([`RuleSettings::ingest_times`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum IngestTimes {
    #[default]
    Auto,
    Local,
    Utc,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum KeyframeMode {
    Off,
    #[default]
    Boundary,
    All,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            mmap_min_bytes: 64 << 20,
            chunk_bytes: crate::read::CHUNK_BYTES,
            keyframes: KeyframeMode::Boundary,
        }
    }
}

pub const GROUPS: &[&str] = &[
    "device", "officer", "unit", "datetime", "date", "time", "seq",
];

/// The end every name pattern shares: a mark or a description after the name's last number,
/// after a `_`, `-` or space, or in brackets (`_IMP`, `-LOCK`, `_S`, `_现场检查`, ` 张三 送达`,
/// `(现场检查)`, `【重要】`: a word that does not begin with a digit, or a date of eight digits or
/// more, as an upload station adds its upload time: `_20260313080000`), a file manager's copy
/// suffix (`(1)`, ` - 副本`, ` copy 2`), the extension.
const END: &str = r"(?:[_ -]+[^/0-9_ .-][^/]*?|[_ -]+[0-9]{8,}[^/]*?|[(（【\[][^/0-9][^/]*?)?(?: ?\([0-9]{1,3}\)| - (?:[Cc]opy|副本)(?: \([0-9]{1,3}\))?| copy(?: [0-9]{1,3})?)?\.[A-Za-z0-9]+$";
/// A day's folder between a device's folder and its files, if any: a date (`20260312`,
/// `2026-03-12`), or a date and a word, as an upload station names a day's second upload
/// (`20260312-补传`, `2026-03-12 redock`).
const DAY: &str = r"(?:(?:[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[_ -]*[^/0-9_ -][^/]*)?/)?";
/// A device's folder: a letter and a digit in its name (a folder of digits alone is a date,
/// one of letters alone a folder of marked files).
/// Up to two folders of letters alone between a device's folder (or its day's) and its files:
/// where a recorder or an upload station keeps marked files (`EVENT`, `EMR`) or a card's
/// camera folders copied with it (`DCIM/Movie`, `VIDEO`).
const MARKED: &str = r"(?:[^/0-9]+/){0,2}";
/// A camera's DCF folder (`100MEDIA`, `101_PANA`: three digits from 100, then five capitals,
/// digits or `_`, a capital or `_` among them), as [`crate::pathinfo::is_dcf_folder`] tells it.
const DCF: &str = r"[1-9][0-9]{2}(?:[A-Z_][A-Z0-9_]{4}|[0-9][A-Z_][A-Z0-9_]{3}|[0-9]{2}[A-Z_][A-Z0-9_]{2}|[0-9]{3}[A-Z_][A-Z0-9_]|[0-9]{4}[A-Z_])";
const FOLDER: &str = r"(?P<device>[^/]*(?:[^/0-9_-][^/]*[0-9]|[0-9][^/]*[^/0-9_-])[^/]*)";

/// A date and a time written apart with separators: `2026-03-12_09-30-15`, `2026-03-12
/// 09.30.15`, `2026-03-12T09-30-15`, `2026_03_12_09_30_15`, and a segment number after them
/// if any.
const APART: &str = r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}_[0-9]{2}_[0-9]{2})[_ T](?P<time>[0-9]{2}-[0-9]{2}-[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}_[0-9]{2}_[0-9]{2})(?:_(?P<seq>[0-9]{1,6}))?";

pub fn default_patterns() -> Vec<PathPattern> {
    // Each regex in full in the README's configuration block (test
    // `the_readmes_path_patterns_are_the_defaults`); the shared pieces once here.
    let p = |name: &str, regex: &str| PathPattern {
        name: name.into(),
        regex: regex.into(),
    };
    vec![
        // DSJ-A8-0001234_OF1023_20260312093015_0003.MP4. Every name pattern allows a mark
        // after the name's last number, as recorders add to a file marked important or
        // locked, or to a sub-stream (`_IMP`, `_EMR`, `-LOCK`, `_S`): up to eight letters and
        // digits, a letter first, after `_` or `-`; and a word before the name, up to sixteen
        // characters and a `_`, as recorders and upload stations add a mark or an officer's or
        // unit's name (`IMP_`, `张三_`); and the suffix a file manager gives a copy made beside
        // its file (`(1)`, ` (2)`, ` - Copy`, ` - 副本`, ` - 副本 (2)`, ` copy`, ` copy 2`): the
        // copy is its recording's (INT-DUPLICATE says it is one), not a file of no device.
        p(
            "device_officer_datetime_seq",
            &[r"(?:^|/)(?:[^/_.]{1,16}_)?(?P<device>[A-Za-z0-9][A-Za-z0-9-]*)_(?P<officer>[A-Za-z0-9]+)_(?P<datetime>[0-9]{14})(?:[0-9]{3})?_(?P<seq>[0-9]{1,6})", END].concat(),
        ),
        // DSJ-A8-0001234_20260312093015_0003.MP4
        p(
            "device_datetime_seq",
            &[r"(?:^|/)(?:[^/_.]{1,16}_)?(?P<device>[A-Za-z0-9][A-Za-z0-9-]*)_(?P<datetime>[0-9]{14})(?:[0-9]{3})?_(?P<seq>[0-9]{1,6})", END].concat(),
        ),
        // <device>/[<date>/]EVENT/[<date>/]20260312_093015[_0003].MP4: a folder of letters
        // alone between a device's folder (a digit and a letter in its name) and its files is
        // where the recorder or the upload station keeps marked or locked files (EVENT, EMR,
        // LOCK, IMP, Normal) or a platform its previews (`preview`), not a device.
        p(
            "device_marked_folder_date_time",
            &[r"(?:^|/)", FOLDER, r"/", DAY, r"(?:[^/0-9]+/){1,2}", DAY, r"(?P<date>[0-9]{8})[_-]?(?P<time>[0-9]{6})(?:[0-9]{3})?(?:_(?P<seq>[0-9]{1,6}))?", END].concat(),
        ),
        // <device>/[<date>/]20260312_093015_0003.MP4
        p(
            "device_folder_date_time_seq",
            &[r"(?:^|/)(?P<device>[^/]+)/", DAY, r"(?P<date>[0-9]{8})_(?P<time>[0-9]{6})_(?P<seq>[0-9]{1,6})", END].concat(),
        ),
        // Names many recorders write beside the three above: the segment number left out
        // (a recorder that names its files by time alone), or the date and time apart
        // (`20260312_093015`). A device number taken from a name starts with a letter and has
        // a digit (a serial), so a phone's `VID_20260312_093015.mp4` names no device.
        // DSJ-A8-0001234_OF1023_20260312_093015[_0003].MP4, ..._20260312093015.MP4
        p(
            "device_officer_date_time",
            &[r"(?:^|/)(?:[^/_.]{1,16}_)?(?P<device>[A-Za-z][A-Za-z0-9-]*[0-9][A-Za-z0-9-]*)_(?P<officer>[A-Za-z0-9]+)_(?P<date>[0-9]{8})[_-]?(?P<time>[0-9]{6})(?:[0-9]{3})?(?:_(?P<seq>[0-9]{1,6}))?", END].concat(),
        ),
        // DSJ-A8-0001234_20260312_093015[_0003].MP4, DSJ-A8-0001234_20260312093015.MP4
        p(
            "device_date_time",
            &[r"(?:^|/)(?:[^/_.]{1,16}_)?(?P<device>[A-Za-z][A-Za-z0-9-]*[0-9][A-Za-z0-9-]*)_(?P<date>[0-9]{8})[_-]?(?P<time>[0-9]{6})(?:[0-9]{3})?(?:_(?P<seq>[0-9]{1,6}))?", END].concat(),
        ),
        // <device>/[<date>/]20260312_093015.MP4 or 20260312093015.MP4 (a device's folder has
        // a letter and a digit in its name: a folder of digits alone is a date, one of letters
        // alone a folder of marked files)
        // Since 2026-12-07 a word of up to eight letters and a `_` may lead the name, as the
        // camera of an Android-based recorder names its files (`VID_20260312_093015.mp4`,
        // `IMG_`, `AUD_`) and a recorder marks one (`IMP_`); a camera's DCF folder
        // (`100ANDRO`, `100MEDIA`) is no device (`pathinfo::is_dcf_folder`).
        p(
            "device_folder_date_time",
            &[r"(?:^|/)", FOLDER, r"/", DAY, r"(?:[A-Za-z]{1,8}_)?(?P<date>[0-9]{8})[_-]?(?P<time>[0-9]{6})(?:[0-9]{3})?(?:_(?P<seq>[0-9]{1,6}))?", END].concat(),
        ),
        // Names written by the camera chipsets of low-cost recorders (as dash cameras name
        // theirs), in a device's folder as above: the year apart from the month and day
        // (`2026_0312_093015_001.MP4`) or a two-digit year after a word
        // (`FILE260312-093015F.MP4`), a lens letter (F, R) after the number or the time.
        // <device>/[<date>/][Movie/]2026_0312_093015[_001][F].MP4 (since 2026-12-07, twentieth
        // round, under up to two marked or camera folders, `DCIM/Movie/`, as such a card
        // keeps them)
        p(
            "device_folder_year_apart",
            &[r"(?:^|/)", FOLDER, r"/", DAY, MARKED, r"(?P<date>[0-9]{4}_[0-9]{4})_(?P<time>[0-9]{6})(?:[0-9]{3})?(?:_(?P<seq>[0-9]{1,6}))?[A-Z]?", END].concat(),
        ),
        // <device>/[<date>/]FILE260312-093015[-001][F].MP4 (the year 20yy)
        p(
            "device_folder_short_year",
            &[r"(?:^|/)", FOLDER, r"/", DAY, MARKED, r"[A-Za-z]{1,8}(?P<date>[0-9]{6})-(?P<time>[0-9]{6})(?:-(?P<seq>[0-9]{1,6}))?[A-Z]?", END].concat(),
        ),
        // Since 2026-12-07 (seventeenth round): the date and the time written apart with
        // separators, as recorders and platforms name files for people to read
        // (`DSJ-A8-0001234_2026-03-12_09-30-15[_0003].MP4`, `DSJ-A8-0001234 2026-03-12
        // 09.30.15.MP4`); above, a time may carry its milliseconds (`20260312093015123`,
        // `20260312_093015123`), which are left out (names are read to the second).
        p(
            "device_date_time_apart",
            &[r"(?:^|/)(?:[^/_.]{1,16}_)?(?P<device>[A-Za-z][A-Za-z0-9-]*[0-9][A-Za-z0-9-]*)[_ ]", APART, END].concat(),
        ),
        // <device>/[<date>/]2026-03-12_09-30-15[_0003].MP4
        p(
            "device_folder_date_time_apart",
            &[r"(?:^|/)", FOLDER, r"/", DAY, APART, END].concat(),
        ),
        // Since 2026-12-07 (eighteenth round): every part apart by hyphens
        // (`DSJ-A8-0001234-20260312-093015[-0003].MP4`), and the time first
        // (`20260312093015_DSJ-A8-0001234[_010203][_0003].MP4`, `20260312_093015_...`: an
        // officer's number of five digits or more, a segment number of four or fewer).
        p(
            "device_date_time_dashed",
            &[r"(?:^|/)(?:[^/_.]{1,16}_)?(?P<device>[A-Za-z][A-Za-z0-9-]*?[0-9][A-Za-z0-9]*)-(?P<date>[0-9]{8})-?(?P<time>[0-9]{6})(?:[0-9]{3})?(?:-(?P<seq>[0-9]{1,6}))?", END].concat(),
        ),
        p(
            "datetime_device",
            &[r"(?:^|/)(?P<date>[0-9]{8})_?(?P<time>[0-9]{6})(?:[0-9]{3})?_(?P<device>[A-Za-z][A-Za-z0-9-]*[0-9][A-Za-z0-9-]*)(?:_(?P<officer>[0-9]{5,12}))?(?:_(?P<seq>[0-9]{1,4}))?", END].concat(),
        ),
        // Since 2026-12-07 (twentieth round): a recorder's card copied whole into its
        // device's folder, its camera folders kept (`DSJ-A8-0001234/DCIM/100MEDIA/<file>`):
        // the device from the folder above `DCIM` (the camera folder is none, and the name
        // gives the time, if any, by the patterns above).
        // <device>/DCIM/<camera folder>/<file>, or <device>/<camera folder>/<file> (the card's
        // `DCIM` folder's contents copied)
        p(
            "device_card_folder",
            &[r"(?:^|/)", FOLDER, r"/(?:DCIM/[^/]+|", DCF, r")/[^/]+$"].concat(),
        ),
        // <unit>/<device>/<date>/<file> (the device's folder as above)
        p(
            "unit_device_date_folders",
            &[r"^(?P<unit>[^/]+)/", FOLDER, r"/(?:[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]+$"].concat(),
        ),
    ]
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timezone: "Asia/Shanghai".into(),
            path_patterns: default_patterns(),
            scan: ScanSettings::default(),
            rules: RuleSettings::default(),
            storage: StorageSettings::default(),
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.into(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// What a file's path is read with (the zone and the path patterns), as `runs.settings`
    /// records it under `config`: a run whose reading differs from the previous run's reads
    /// the carried rows' paths again.
    pub fn path_reading(&self) -> serde_json::Value {
        serde_json::json!({"timezone": self.timezone, "path_patterns": self.path_patterns})
    }

    pub fn zone(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.timezone
            .parse()
            .map_err(|_| ConfigError::Zone(self.timezone.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's configuration example lists the default path patterns: it must say what
    /// the code does, pattern for pattern.
    #[test]
    fn the_readmes_path_patterns_are_the_defaults() {
        let readme = include_str!("../README.md");
        let block = readme
            .split("### Configuration (`recaudit.toml`, optional)")
            .nth(1)
            .and_then(|s| s.split("```toml").nth(1))
            .and_then(|s| s.split("```").next())
            .expect("the README's configuration block");
        let config = Config::parse(block).expect("the README's configuration parses");
        assert_eq!(config.path_patterns, default_patterns());
    }
}
