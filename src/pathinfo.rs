//! Device, officer, unit, recording time and segment number taken from a file's path, by the
//! configured patterns. Recorders encode these in names because their containers often lack
//! them; the rules compare the two.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use regex::Regex;

use crate::config::{ConfigError, GROUPS, PathPattern};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathFacts {
    pub device_id: Option<String>,
    pub officer_id: Option<String>,
    pub unit: Option<String>,
    /// The time as written in the name (digits only, `YYYYMMDDhhmmss`).
    pub name_time_raw: Option<String>,
    /// That time read as local time of the configured zone, as Unix seconds UTC.
    pub name_time: Option<i64>,
    pub segment_seq: Option<u32>,
    /// Names of the patterns that contributed, comma-separated.
    pub pattern: Option<String>,
}

impl PathFacts {
    /// The name's time as `files.name_time` holds it (microseconds).
    pub fn name_time_us(&self) -> Option<i64> {
        self.name_time.map(|s| s * 1_000_000)
    }

    /// The segment number as `files.segment_seq` holds it.
    pub fn seq(&self) -> Option<i32> {
        self.segment_seq.and_then(|s| i32::try_from(s).ok())
    }
}

#[derive(Clone)]
pub struct PathPatterns {
    /// Each pattern's name, regex and the fields it can give ([`slots`]).
    pats: Vec<(String, Regex, u8)>,
    tz: chrono_tz::Tz,
}

/// The fields of [`PathFacts`] a pattern's groups can fill, one bit each: device, officer,
/// unit, the date (with its time: `datetime`, or `date` and `time`; a `time` alone is never
/// taken) and the segment number. A pattern none of whose fields is still empty is not tried.
fn slots(re: &Regex) -> u8 {
    re.capture_names().flatten().fold(0, |m, g| {
        m | match g {
            "device" => 1,
            "officer" => 2,
            "unit" => 4,
            "datetime" | "date" => 8,
            "seq" => 16,
            _ => 0,
        }
    })
}

impl PathPatterns {
    pub fn new(patterns: &[PathPattern], tz: chrono_tz::Tz) -> Result<Self, ConfigError> {
        let mut pats = Vec::new();
        for p in patterns {
            let re = Regex::new(&p.regex).map_err(|e| ConfigError::Regex {
                name: p.name.clone(),
                message: e.to_string(),
            })?;
            for g in re.capture_names().flatten() {
                if !GROUPS.contains(&g) {
                    return Err(ConfigError::Group {
                        name: p.name.clone(),
                        group: g.to_string(),
                        allowed: "device, officer, unit, datetime, date, time, seq",
                    });
                }
            }
            let fills = slots(&re);
            pats.push((p.name.clone(), re, fills));
        }
        Ok(PathPatterns { pats, tz })
    }

    /// `rel` is the path below the scan root, `/`-separated.
    pub fn extract(&self, rel: &str) -> PathFacts {
        let mut f = PathFacts::default();
        if is_no_record(rel) {
            // A thumbnail named after its recording, a record in a recycle bin: no device's.
            return f;
        }
        let mut date: Option<String> = None;
        let mut time: Option<String> = None;
        let mut used = Vec::new();
        for (name, re, fills) in &self.pats {
            let filled = u8::from(f.device_id.is_some())
                | u8::from(f.officer_id.is_some()) << 1
                | u8::from(f.unit.is_some()) << 2
                | u8::from(date.is_some()) << 3
                | u8::from(f.segment_seq.is_some()) << 4;
            if fills & !filled == 0 {
                continue; // it could give nothing more
            }
            let Some(c) = re.captures(rel) else { continue };
            // An "officer" that is a date and a time is the end of a recording named by its
            // start and end (`ch01_20260312100000_20260312100500.mp4`, as video recorders
            // and CCTV exports name files): this pattern's reading is not the name's (the start
            // would be taken for the officer and the end for the time).
            if c.name("officer").is_some_and(|o| is_datetime(o.as_str())) {
                continue;
            }
            let mut contributed = false;
            let mut take = |slot: &mut Option<String>, g: &str| {
                if slot.is_none()
                    && let Some(m) = c.name(g)
                {
                    *slot = Some(m.as_str().to_string());
                    contributed = true;
                }
            };
            // A folder named by a day, with or without a word (`20260310-补传`: a station's
            // second upload of that day), holds files of devices and is none itself; nor is a
            // camera's DCF folder (`100ANDRO`).
            if !c
                .name("device")
                .is_some_and(|d| is_day_led(d.as_str()) || is_dcf_folder(d.as_str()))
            {
                take(&mut f.device_id, "device");
            }
            take(&mut f.officer_id, "officer");
            take(&mut f.unit, "unit");
            if date.is_none() {
                if let Some(dt) = c.name("datetime") {
                    let d = dt.as_str();
                    date = Some(d.get(..8).unwrap_or_default().to_string());
                    time = Some(d.get(8..).unwrap_or_default().to_string());
                    contributed = true;
                } else if let Some(d) = c.name("date") {
                    // YYYYMMDD, YYYY-MM-DD, YYYY_MMDD, or YYMMDD (a two-digit year: 20YY).
                    let d = d.as_str().replace(['-', '_'], "");
                    date = Some(if d.len() == 6 { format!("20{d}") } else { d });
                    time = c
                        .name("time")
                        .map(|t| t.as_str().replace([':', '-', '.', '_'], ""));
                    contributed = true;
                }
            }
            if f.segment_seq.is_none()
                && let Some(s) = c.name("seq")
            {
                f.segment_seq = s.as_str().parse().ok();
                contributed = true;
            }
            if contributed {
                used.push(name.as_str());
            }
        }
        if let Some(d) = date {
            let t = time.unwrap_or_else(|| "000000".into());
            f.name_time_raw = Some(format!("{d}{t}"));
            let nd = NaiveDate::parse_from_str(&d, "%Y%m%d").ok();
            let nt = NaiveTime::parse_from_str(&t, "%H%M%S").ok();
            if let (Some(nd), Some(nt)) = (nd, nt) {
                f.name_time = local_to_utc(NaiveDateTime::new(nd, nt), self.tz);
            }
        }
        if !used.is_empty() {
            f.pattern = Some(used.join(","));
        }
        f
    }
}

/// Whether a folder's name is where a storage server or file system shows its snapshots of the
/// share (Synology `#snapshot`, QNAP `@Recently-Snapshot`, NetApp `.snapshot` and `~snapshot`,
/// ZFS `.zfs`, Snapper `.snapshots`): copies of the tree as it was at earlier times, kept by
/// the storage, not records of the tree. The walk does not enter one (it is a row of its own).
pub fn is_storage_snapshot(name: &str) -> bool {
    matches!(
        name,
        "#snapshot" | "@Recently-Snapshot" | ".snapshot" | "~snapshot" | ".zfs" | ".snapshots"
    )
}

/// Whether some folder of `path` may be one that [`is_os_metadata`] or [`in_recycle_bin`] looks
/// for: its name begins with `.`, `@`, `#`, `$`, `Sy`, `RE` or `Df`. One pass over the bytes, so
/// that the common path is not split (these run for every file of every night, several times;
/// a first letter alone let every device folder named `DSJ-…` through to the split).
fn may_be_special(path: &str) -> bool {
    let special = |rest: &[u8]| {
        matches!(
            rest,
            [b'.' | b'@' | b'#' | b'$', ..]
                | [b'S', b'y', ..]
                | [b'R', b'E', ..]
                | [b'D', b'f', ..]
        )
    };
    let b = path.as_bytes();
    special(b) || memchr::memchr2_iter(b'/', b'\\', b).any(|i| special(&b[i + 1..]))
}

/// The last component of `path` (its file's name), after its last `/` or `\`.
pub fn last_component(path: &str) -> &str {
    match memchr::memrchr2(b'/', b'\\', path.as_bytes()) {
        // A separator is one byte of ASCII: the byte after it begins a character.
        Some(i) => path.get(i + 1..).unwrap_or(path),
        None => path,
    }
}

/// The extension of the file `path` names, as written: what follows the last `.` of its last
/// component, unless that dot begins it (`.lock` has none).
pub fn extension(path: &str) -> Option<&str> {
    let name = last_component(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 => name.get(dot + 1..),
        _ => None,
    }
}

/// Whether `path` lies in a recycle bin (Synology `#recycle`, QNAP `@Recycle`, Samba's
/// `.recycle`, Windows' `$RECYCLE.BIN` and `RECYCLER`, a Linux desktop's `.Trash-1000`, a
/// Mac's `.Trash` and a volume's `.Trashes`, Syncthing's `.stversions`): a file deleted through the share, kept until the bin is emptied. Moving a
/// record there deletes it (custody `recycled`); emptying the bin later is no second
/// deletion (`purged`); a file in a bin is no record of the tree (no device, no findings).
pub fn in_recycle_bin(path: &str) -> bool {
    may_be_special(path)
        && path.split(['/', '\\']).rev().skip(1).any(|d| {
            matches!(
                d,
                "#recycle"
                    | "@Recycle"
                    | ".recycle"
                    | "$RECYCLE.BIN"
                    | "RECYCLER"
                    | ".Trash"
                    | ".Trashes"
                    | ".stversions"
            ) || d
                .strip_prefix(".Trash-")
                .is_some_and(|u| !u.is_empty() && u.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Whether the file at `path` is no record of the tree for the analysis: written beside the
/// records by an operating system or a storage server ([`is_os_metadata`]), or deleted into a
/// recycle bin ([`in_recycle_bin`]). Catalogued and followed by custody like every file; no
/// device, no session, no finding of its own.
pub fn is_no_record(path: &str) -> bool {
    is_os_metadata(path) || in_recycle_bin(path)
}

/// Whether a name begins with a day (`20260310`, `2026-03-10`, its year 1990-2099) and goes on,
/// if at all, with something other than a digit: a day's folder (`20260310-补传`,
/// `2026-03-10 redock`, `20260310`), never a device. A serial of more digits is no day.
pub fn is_day_led(name: &str) -> bool {
    let day = |len: usize, format: &str| {
        name.get(..len)
            .and_then(|d| NaiveDate::parse_from_str(d, format).ok())
            .is_some_and(|d| (1990..2100).contains(&d.year()))
            && !name.as_bytes().get(len).is_some_and(u8::is_ascii_digit)
    };
    day(10, "%Y-%m-%d") || day(8, "%Y%m%d")
}

/// Whether `s` is fourteen digits that make a date and a time (`YYYYMMDDhhmmss`).
fn is_datetime(s: &str) -> bool {
    s.len() == 14
        && s.bytes().all(|b| b.is_ascii_digit())
        && NaiveDate::parse_from_str(&s[..8], "%Y%m%d").is_ok()
        && NaiveTime::parse_from_str(&s[8..], "%H%M%S").is_ok()
}

/// Whether a folder's name is a camera's DCF directory (`100ANDRO`, `100MEDIA`, `101_PANA`:
/// three digits from 100, then five letters, digits or `_`), as phones and cameras keep their
/// pictures under `DCIM/`: a camera's numbering, never a recorder's id.
pub fn is_dcf_folder(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 8
        && (b'1'..=b'9').contains(&b[0])
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && b[3..].iter().any(u8::is_ascii_uppercase)
}

/// Whether the file at `path` comes and goes by itself: one an operating system writes beside
/// the records ([`is_os_metadata`]) or a file transfer's temporary copy ([`is_transfer_temp`]).
pub fn is_transient(path: &str) -> bool {
    is_os_metadata(path) || is_transfer_temp(path)
}

/// Whether the file at `path` is a file transfer's temporary copy, which the transfer renames
/// to its real name when it is done (or leaves behind when it is given up): `NAME.part`,
/// `.partial`, `.filepart` (WinSCP), `.crdownload` (a browser), `.download`, `.tmp`
/// (Syncthing's `.syncthing.NAME.tmp` too), and rsync's `.NAME.XXXXXX` (a dot before the name,
/// six letters or digits after its extension). Cut short while it is written, then gone: no
/// record of its own, judged as the file it becomes.
pub fn is_transfer_temp(path: &str) -> bool {
    let name = last_component(path);
    let nb = name.as_bytes();
    let temp_ext = [
        ".part",
        ".partial",
        ".filepart",
        ".crdownload",
        ".download",
        ".tmp",
    ]
    .iter()
    .any(|e| nb.len() > e.len() && nb[nb.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes()));
    let rsync = name
        .strip_prefix('.')
        .and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(stem, tail)| {
            stem.contains('.') && tail.len() == 6 && tail.chars().all(|c| c.is_ascii_alphanumeric())
        });
    temp_ext || rsync
}

/// Whether the file at `path` is one an operating system writes beside the files it shows or
/// copies, not a record: Windows Explorer's thumbnail caches and folder settings (`Thumbs.db`,
/// `ehthumbs.db`, `desktop.ini`), macOS Finder's folder settings (`.DS_Store`, `.localized`,
/// `Icon\r`) and the AppleDouble file a Mac writes for each file it copies to a share or a card
/// (`._NAME`), and the lock files office programs keep beside an open document (`~$NAME`,
/// `.~lock.NAME#`), and what stands in the folders a Mac or Windows keeps on a card or share
/// (`.Spotlight-V100/`, `.fseventsd/`, `System Volume Information/`; not a recycle bin, since
/// 2026-12-06 (night) not a Mac's `.Trashes/` either: a record put there was deleted, see
/// [`in_recycle_bin`]), and what a storage server keeps beside the files it serves (`@eaDir/`,
/// `.@__thumb/`, a Windows server's replication folder `DfsrPrivate/`) and its snapshot folders ([`is_storage_snapshot`]). They come and go as people browse and copy the
/// tree: their changes and deletions are no custody offence (第二十八条(三) is about the records).
pub fn is_os_metadata(path: &str) -> bool {
    // Folders a Mac or Windows keeps on a card or a share it has used (the index, the event
    // log, the volume's settings), copied with a card's contents; folders a storage server
    // keeps beside the files it serves (a Synology's `@eaDir` of thumbnails and film previews
    // per file, a QNAP's `.@__thumb`); a storage snapshot folder (not entered: its row alone).
    let mut folders = path.split(['/', '\\']).rev().skip(1);
    if may_be_special(path)
        && folders.any(|d| {
            matches!(
                d,
                ".Spotlight-V100"
                    | ".fseventsd"
                    | ".TemporaryItems"
                    | "System Volume Information"
                    | "@eaDir"
                    | ".@__thumb"
                    | "@__thumb"
                    | ".@__qini"
                    | ".AppleDouble"
                    | ".AppleDB"
                    | ".AppleDesktop"
                    | "DfsrPrivate"
            )
        })
    {
        return true;
    }
    let name = last_component(path);
    if is_storage_snapshot(name) {
        return true;
    }
    // The file system's own folder at a volume's top (ext4 makes one; root's alone, so a
    // service account cannot list it): what a check of the volume recovered, no record.
    if name == "lost+found" || path.contains("lost+found/") {
        return true;
    }
    [
        "thumbs.db",
        "ehthumbs.db",
        "ehthumbs_vista.db",
        "desktop.ini",
        ".ds_store",
        ".localized",
        "icon\r",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
        || name.starts_with("._")
        || name.starts_with("~$")
        || (name.starts_with(".~lock.") && name.ends_with('#'))
}

/// Local wall-clock time in `tz` as Unix seconds; in a repeated hour, the earlier instant.
pub fn local_to_utc(n: NaiveDateTime, tz: chrono_tz::Tz) -> Option<i64> {
    tz.from_local_datetime(&n).earliest().map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_patterns;

    fn pp() -> PathPatterns {
        PathPatterns::new(&default_patterns(), chrono_tz::Asia::Shanghai).expect("patterns")
    }

    #[test]
    fn device_officer_time_seq() {
        let f = pp().extract(
            "一大队/DSJ-A8-0001234/20260312/DSJ-A8-0001234_OF1023_20260312093015_0003.MP4",
        );
        assert_eq!(f.device_id.as_deref(), Some("DSJ-A8-0001234"));
        assert_eq!(f.officer_id.as_deref(), Some("OF1023"));
        assert_eq!(f.unit.as_deref(), Some("一大队"));
        assert_eq!(f.segment_seq, Some(3));
        // 09:30:15 in Shanghai is 01:30:15 UTC
        assert_eq!(f.name_time, Some(1_773_279_015));
        assert_eq!(f.name_time_raw.as_deref(), Some("20260312093015"));
    }

    #[test]
    fn a_storage_servers_folders_and_bins_are_no_records() {
        for p in [
            "/ev/DSJ1/20260309/@eaDir/DSJ1_20260309_090000_0001.MP4/SYNOPHOTO_FILM_M.mp4",
            "/ev/DSJ1/20260309/.@__thumb/s800DSJ1_20260309_090000_0001.jpg",
            "/ev/DfsrPrivate/ConflictAndDeleted/DSJ1_20260309_090000_0001-{1A2B}-v12.MP4",
            "/ev/#snapshot",
            // Each folder name the quick look by its first two letters lets through, at the
            // start of a path and after either separator.
            "System Volume Information/IndexerVolumeGuid",
            r"E:\card\System Volume Information\WPSettings.dat",
            r"E:\DfsrPrivate\Staging\DSJ1_20260309_090000_0001.MP4",
            "/mnt/evidence/lost+found",
            "/mnt/evidence/lost+found/#1234567",
        ] {
            assert!(
                is_os_metadata(p) && is_no_record(p) && !in_recycle_bin(p),
                "{p}"
            );
        }
        for p in [
            "/ev/#recycle/DSJ1/20260309/DSJ1_20260309_090000_0001.MP4",
            "/ev/$RECYCLE.BIN/S-1-5-21-1/$RA1B2C3.MP4",
            "/ev/.Trash-1000/files/DSJ1_20260309_090000_0001.MP4",
            "/ev/DSJ1/.stversions/DSJ1_20260309_090000_0001~20260310-020000.MP4",
            "RECYCLER/S-1-5-21/Dc1.MP4",
            r"D:\RECYCLER\S-1-5-21\Dc1.MP4",
        ] {
            assert!(
                in_recycle_bin(p) && is_no_record(p) && !is_os_metadata(p),
                "{p}"
            );
        }
        // Records, whatever their names hold.
        for p in [
            "/ev/一大队/DSJ1/20260309/DSJ1_20260309_090000_0001.MP4",
            "/ev/Station-2/Recycle/DSJ1_20260309_090000_0001.MP4",
            "/ev/.Trash-x/DSJ1_20260309_090000_0001.MP4",
            "/srv/DSJ-S01-0000001/snapshot/DSJ1_20260309_090000_0001.MP4",
        ] {
            assert!(!is_no_record(p), "{p}");
        }
        assert!(is_storage_snapshot(".zfs") && !is_storage_snapshot("snapshot"));
    }

    #[test]
    fn a_days_folder_with_a_word_is_no_device() {
        // A station's second upload of a day, in a folder named by the day and a word.
        for p in [
            "一大队/DSJ001/20260310-补传/20260309_090000_0001.MP4",
            "一大队/DSJ001/20260310补传/20260309_090000_0001.MP4",
            "DSJ001/2026-03-10 redock/20260309_090000_0001.MP4",
            "DSJ001/20260310_二次上传/20260309_090000.MP4",
            "DSJ001/20260310-redock/EVENT/20260309_090000_0001.MP4",
        ] {
            let f = pp().extract(p);
            assert_eq!(f.device_id.as_deref(), Some("DSJ001"), "{p}");
            assert_eq!(f.name_time_raw.as_deref(), Some("20260309090000"), "{p}");
        }
        // With no device's folder above it, the day's folder names none; the name's time stays.
        let f = pp().extract("20260310-redock/20260309_090000_0001.MP4");
        assert_eq!(f.device_id, None);
        assert_eq!(f.name_time_raw.as_deref(), Some("20260309090000"));
        assert_eq!(f.segment_seq, Some(1));
        assert!(is_day_led("20260310") && is_day_led("2026-03-10 补传"));
        // A serial is no day: more digits, or no date in them.
        assert!(
            !is_day_led("202603101")
                && !is_day_led("20261340-A")
                && !is_day_led("20260231-A")
                && !is_day_led("DSJ20260310")
        );
    }

    #[test]
    fn without_officer_and_in_device_folder() {
        let f = pp().extract("DSJ-X_20260312093015_12.mov");
        assert_eq!(
            (
                f.device_id.as_deref(),
                f.officer_id.as_deref(),
                f.segment_seq
            ),
            (Some("DSJ-X"), None, Some(12))
        );
        let g = pp().extract("unitB/CAM 7/20260312_093015_0001.MP4");
        assert_eq!(g.device_id.as_deref(), Some("CAM 7"));
        assert_eq!(g.name_time, Some(1_773_279_015));
        assert_eq!(g.unit, None);
        let h = pp().extract("notes.txt");
        assert_eq!(h, PathFacts::default());
    }

    #[test]
    fn names_without_a_number_or_with_the_date_and_time_apart() {
        let read = |p: &str| {
            let f = pp().extract(p);
            (
                f.device_id,
                f.officer_id,
                f.name_time_raw,
                f.segment_seq,
                f.pattern,
            )
        };
        let owned = |d: &str, o: Option<&str>, t: &str, n: Option<u32>, p: &str| {
            (
                Some(d.to_string()),
                o.map(str::to_string),
                Some(t.to_string()),
                n,
                Some(p.to_string()),
            )
        };
        assert_eq!(
            read("DSJ-N0001/DSJ-N0001_001234_20260312100000.MP4"),
            owned(
                "DSJ-N0001",
                Some("001234"),
                "20260312100000",
                None,
                "device_officer_date_time"
            )
        );
        assert_eq!(
            read("DSJ-N0008_OF1023_20260312_100000_0007.mp4"),
            owned(
                "DSJ-N0008",
                Some("OF1023"),
                "20260312100000",
                Some(7),
                "device_officer_date_time"
            )
        );
        assert_eq!(
            read("x/DSJ-N0002_20260312-100000.MOV"),
            owned(
                "DSJ-N0002",
                None,
                "20260312100000",
                None,
                "device_date_time"
            )
        );
        assert_eq!(
            read("DSJ-N0003/20260312/20260312_100000.MP4"),
            owned(
                "DSJ-N0003",
                None,
                "20260312100000",
                None,
                "device_folder_date_time"
            )
        );
        assert_eq!(
            read("CAM 7/20260312100000.MP4"),
            owned(
                "CAM 7",
                None,
                "20260312100000",
                None,
                "device_folder_date_time"
            )
        );
        // The names the first patterns read are read as before, by them alone.
        assert_eq!(
            read("DSJ-X_20260312093015_12.mov").4.as_deref(),
            Some("device_datetime_seq")
        );
        // The names of low-cost recorders' camera chipsets, in the device's folder.
        assert_eq!(
            read("DSJ-U0002/2026_0312_100000_001.MP4"),
            owned(
                "DSJ-U0002",
                None,
                "20260312100000",
                Some(1),
                "device_folder_year_apart"
            )
        );
        assert_eq!(
            read("DSJ-U0002/20260312/2026_0312_100000_002F.MP4").3,
            Some(2)
        );
        assert_eq!(
            read("DSJ-U0003/FILE260312-100000F.MP4"),
            owned(
                "DSJ-U0003",
                None,
                "20260312100000",
                None,
                "device_folder_short_year"
            )
        );
        // A copy made beside its file by a file manager is its recording's.
        for copy in [
            "(1)",
            " (2)",
            " - Copy",
            " - 副本",
            " - 副本 (2)",
            " copy",
            " copy 2",
        ] {
            let f = pp().extract(&format!(
                "DSJ-U0001/DSJ-U0001_001234_20260312100020_0002{copy}.MP4"
            ));
            assert_eq!(
                (
                    f.device_id.as_deref(),
                    f.segment_seq,
                    f.name_time_raw.as_deref()
                ),
                (Some("DSJ-U0001"), Some(2), Some("20260312100020")),
                "{copy}"
            );
        }
        // A folder of digits alone names no device, whatever the file's name.
        assert_eq!(
            pp().extract("20260312/FILE260312-100000F.MP4").device_id,
            None
        );
        // A phone's name has no serial in it, and a folder of digits is a date: no device.
        assert_eq!(pp().extract("VID_20260312_100000.mp4").device_id, None);
        assert_eq!(pp().extract("20260312/20260312_100000.mp4").device_id, None);
    }

    #[test]
    fn names_by_start_and_end_hyphens_underscores_or_the_time_first_are_read() {
        // Before 2026-12-07 (eighteenth round) the first read its start as the officer and its
        // end as its time (every session of such files shifted by their length); the others
        // named no device and no time.
        reads_as(&[
            (
                "NVR/ch01_20260312100000_20260312100500.mp4",
                want("ch01", "20260312100000", None, "device_date_time"),
            ),
            (
                "DSJA005_20260312100000_20260312100020.mp4",
                want("DSJA005", "20260312100000", None, "device_date_time"),
            ),
            (
                "DSJ-A003-20260312-100000-0001.MP4",
                want(
                    "DSJ-A003",
                    "20260312100000",
                    Some(1),
                    "device_date_time_dashed",
                ),
            ),
            (
                "X/DSJ-A3-20260312100006.MP4",
                want("DSJ-A3", "20260312100006", None, "device_date_time_dashed"),
            ),
            (
                "DSJ-A009_2026_03_12_10_00_00_0001.MP4",
                want(
                    "DSJ-A009",
                    "20260312100000",
                    Some(1),
                    "device_date_time_apart",
                ),
            ),
            (
                "20260312_100000_DSJ-A010_0001.MP4",
                want("DSJ-A010", "20260312100000", Some(1), "datetime_device"),
            ),
        ]);
        let f = pp().extract("20260312100000_DSJ-A001_010203.MP4");
        assert_eq!(
            (
                f.device_id.as_deref(),
                f.officer_id.as_deref(),
                f.segment_seq
            ),
            (Some("DSJ-A001"), Some("010203"), None)
        );
        // An officer's number that is no date and time is still one.
        assert_eq!(
            pp().extract("DSJ001_0102030405_20260312100000_0001.MP4")
                .officer_id
                .as_deref(),
            Some("0102030405")
        );
        assert!(is_datetime("20260312100000") && !is_datetime("20261312100000"));
        assert!(!is_datetime("2026031210000") && !is_datetime("20260312250000"));
    }

    /// A path's reading: device, name time, number, patterns.
    type Reading = (String, String, Option<u32>, String);

    /// Asserts what the default patterns read from each path ([`read`]).
    fn reads_as(cases: &[(&str, Reading)]) {
        for (path, expected) in cases {
            assert_eq!(&read(path), expected, "{path}");
        }
    }

    /// What the default patterns read from a path: device, name time, number, patterns.
    fn read(p: &str) -> Reading {
        let f = pp().extract(p);
        (
            f.device_id.unwrap_or_default(),
            f.name_time_raw.unwrap_or_default(),
            f.segment_seq,
            f.pattern.unwrap_or_default(),
        )
    }

    fn want(d: &str, t: &str, n: Option<u32>, p: &str) -> Reading {
        (d.to_string(), t.to_string(), n, p.to_string())
    }

    #[test]
    fn names_with_milliseconds_or_a_time_written_for_people_are_read_to_the_second() {
        // Before 2026-12-07 none of these named a device or a time (META-DEVICE on each, and
        // no session).
        reads_as(&[
            (
                "A/DSJ0301_20260312100000123_0001.MP4",
                want("DSJ0301", "20260312100000", Some(1), "device_datetime_seq"),
            ),
            (
                "A/DSJ-A8_OF1023_20260312100000123_0001.MP4",
                want(
                    "DSJ-A8",
                    "20260312100000",
                    Some(1),
                    "device_officer_datetime_seq",
                ),
            ),
            (
                "B/DSJ0302_20260312100006456.MP4",
                want("DSJ0302", "20260312100006", None, "device_date_time"),
            ),
            (
                "DSJ0309/20260312/20260312100000123_0001.MP4",
                want(
                    "DSJ0309",
                    "20260312100000",
                    Some(1),
                    "device_folder_date_time",
                ),
            ),
            (
                "D/DSJ0304 2026-03-12 10.00.00.mp4",
                want("DSJ0304", "20260312100000", None, "device_date_time_apart"),
            ),
            (
                "E/DSJ0305_2026-03-12_10-00-07_0002.mp4",
                want(
                    "DSJ0305",
                    "20260312100007",
                    Some(2),
                    "device_date_time_apart",
                ),
            ),
            (
                "DSJ0310/2026-03-12/2026-03-12_10-00-00_IMP.MP4",
                want(
                    "DSJ0310",
                    "20260312100000",
                    None,
                    "device_folder_date_time_apart",
                ),
            ),
        ]);
        // An Android-based recorder's camera names, in the device's folder; a phone's DCF
        // folder is no device.
        reads_as(&[
            (
                "DSJ0401/VID_20260312_100000.mp4",
                want("DSJ0401", "20260312100000", None, "device_folder_date_time"),
            ),
            (
                "DSJ0401/20260312/IMG_20260312_100006.jpg",
                want("DSJ0401", "20260312100006", None, "device_folder_date_time"),
            ),
            (
                "DSJ0402/IMP_20260312_100000_0001.MP4",
                want(
                    "DSJ0402",
                    "20260312100000",
                    Some(1),
                    "device_folder_date_time",
                ),
            ),
        ]);
        // A card copied whole into its device's folder: the device above `DCIM`, the time
        // from the name where it has one (since 2026-12-07, twentieth round; before, no
        // device, META-DEVICE on each).
        reads_as(&[
            (
                "单位甲/DSJ-D0001/DCIM/100MEDIA/DSCF0001.MOV",
                want("DSJ-D0001", "", None, "device_card_folder"),
            ),
            (
                "DSJ0401/DCIM/100ANDRO/VID_20260312_100000.mp4",
                want(
                    "DSJ0401",
                    "20260312100000",
                    None,
                    "device_folder_date_time,device_card_folder",
                ),
            ),
        ]);
        // The card's `DCIM` contents copied, or its camera folders kept above the names a
        // low-cost recorder's chipset writes (as a dash camera keeps them in `DCIM/Movie`);
        // two folders of letters between the device's and its files.
        reads_as(&[
            (
                "DSJ-A0004/100MEDIA/20260312_100000_0001.MP4",
                want(
                    "DSJ-A0004",
                    "20260312100000",
                    Some(1),
                    "device_folder_date_time_seq,device_card_folder",
                ),
            ),
            (
                "DSJ-A0006/Video/2026_0312_100000_001.MP4",
                want(
                    "DSJ-A0006",
                    "20260312100000",
                    Some(1),
                    "device_folder_year_apart",
                ),
            ),
            (
                "DSJ-A0006/DCIM/Movie/2026_0312_100000_001F.MP4",
                want(
                    "DSJ-A0006",
                    "20260312100000",
                    Some(1),
                    "device_folder_year_apart",
                ),
            ),
            (
                "DSJ-A0011/DCIM/Movie/20260312_100000_0003.MP4",
                want(
                    "DSJ-A0011",
                    "20260312100000",
                    Some(3),
                    "device_marked_folder_date_time",
                ),
            ),
        ]);
        // A day's folder under a device's is no camera folder; nor a folder of eight digits.
        assert_eq!(
            pp().extract("DSJ-A0012/20260312/DSCF0001.MOV").device_id,
            None
        );
        assert_eq!(pp().extract("DCIM/100MEDIA/DSCF0001.MOV").device_id, None);
        // A name's extension: after its last dot, unless the dot begins the name.
        assert_eq!(extension("/ev/a.b/x_0001.MP4.ok"), Some("ok"));
        assert_eq!(extension("/ev/a.b/_SUCCESS"), None);
        assert_eq!(extension("/ev/DSJ2/.lock"), None);
        assert_eq!(extension("D:\\证据\\x.JPG"), Some("JPG"));
        assert_eq!(
            pp().extract("DCIM/100ANDRO/VID_20260312_100000.mp4")
                .device_id,
            None
        );
        assert_eq!(
            pp().extract("DCIM/100MEDIA/20260312_100000.mp4").device_id,
            None
        );
        assert!(
            is_dcf_folder("101_PANA") && !is_dcf_folder("DSJ0401") && !is_dcf_folder("10000001")
        );
        // Separators mixed within the time are no time; a phone's name still names no device.
        assert_eq!(
            pp().extract("E/DSJ0305_2026-03-12_10-00.00.mp4")
                .name_time_raw,
            None
        );
        assert_eq!(pp().extract("VID_2026-03-12_10-00-00.mp4").device_id, None);
    }

    #[test]
    fn a_mark_after_the_number_or_a_folder_of_marked_files_hides_nothing() {
        let cases = [
            (
                "DSJ-R0010/DSJ-R0010_001010_20260312100020_0002_IMP.MP4",
                want(
                    "DSJ-R0010",
                    "20260312100020",
                    Some(2),
                    "device_officer_datetime_seq",
                ),
            ),
            (
                "DSJ-R0010/EVENT/DSJ-R0010_001010_20260312100040_0003.MP4",
                want(
                    "DSJ-R0010",
                    "20260312100040",
                    Some(3),
                    "device_officer_datetime_seq",
                ),
            ),
            (
                "DSJ-N0008_OF1023_20260312_100000_0007-LOCK.mp4",
                want(
                    "DSJ-N0008",
                    "20260312100000",
                    Some(7),
                    "device_officer_date_time",
                ),
            ),
            (
                "DSJ-A8_20260312093015_0003_S.MP4",
                want("DSJ-A8", "20260312093015", Some(3), "device_datetime_seq"),
            ),
            (
                "DSJ-R0010/IMP_DSJ-R0010_001010_20260312100020_0002.MP4",
                want(
                    "DSJ-R0010",
                    "20260312100020",
                    Some(2),
                    "device_officer_datetime_seq",
                ),
            ),
            (
                "LOCK_DSJ-N0002_20260312-100000.MOV",
                want("DSJ-N0002", "20260312100000", None, "device_date_time"),
            ),
            (
                "张三_DSJ-A0012_20260312100000_0001.MP4",
                want(
                    "DSJ-A0012",
                    "20260312100000",
                    Some(1),
                    "device_datetime_seq",
                ),
            ),
            (
                "OF1023_DSJ-A8_20260312093015_0003.MP4",
                want("DSJ-A8", "20260312093015", Some(3), "device_datetime_seq"),
            ),
            (
                "u/DSJ-R0015/EVENT/20260312_100020_0002.MP4",
                want(
                    "DSJ-R0015",
                    "20260312100020",
                    Some(2),
                    "device_marked_folder_date_time",
                ),
            ),
            // A platform's previews in a folder of their own under the day's (was: a device
            // named `preview`).
            (
                "DSJ-R0015/20260312/preview/20260312_100020_0002.mp4",
                want(
                    "DSJ-R0015",
                    "20260312100020",
                    Some(2),
                    "device_marked_folder_date_time",
                ),
            ),
            (
                "DSJ-R0015/EMR/20260312/20260312100020_EMR.MP4",
                want(
                    "DSJ-R0015",
                    "20260312100020",
                    None,
                    "device_marked_folder_date_time",
                ),
            ),
            // As before: a device's own folder, and a device folder without a digit.
            (
                "DSJ-R0015/20260312_100000_0001.MP4",
                want(
                    "DSJ-R0015",
                    "20260312100000",
                    Some(1),
                    "device_folder_date_time_seq",
                ),
            ),
            (
                "unitA/devB/20260312_100000_0001.MP4",
                want(
                    "devB",
                    "20260312100000",
                    Some(1),
                    "device_folder_date_time_seq",
                ),
            ),
        ];
        reads_as(&cases);
        // A name's own words are no mark: the officer is still read, the phone still names no
        // device.
        let cam = pp().extract("CAM7_OF1_20260312093015_0003.MP4");
        assert_eq!(
            (cam.device_id.as_deref(), cam.officer_id.as_deref()),
            (Some("CAM7"), Some("OF1"))
        );
        let officer = pp().extract("张三_DSJ-A0012_001234_20260312100000_0001.MP4");
        assert_eq!(
            (officer.device_id.as_deref(), officer.officer_id.as_deref()),
            (Some("DSJ-A0012"), Some("001234"))
        );
        assert_eq!(pp().extract("IMP_VID_20260312_100000.mp4").device_id, None);
        // A folder of digits is a date, one of letters alone holds marked files: no device.
        assert_eq!(
            pp().extract("20260312/EVENT/20260312_100000.mp4").device_id,
            None
        );
        assert_eq!(pp().extract("EVENT/20260312_100000.mp4").device_id, None);
    }

    #[test]
    fn unknown_group_is_rejected() {
        let bad = [PathPattern {
            name: "x".into(),
            regex: "(?P<dev>.*)".into(),
        }];
        assert!(matches!(
            PathPatterns::new(&bad, chrono_tz::UTC),
            Err(ConfigError::Group { .. })
        ));
    }

    #[test]
    fn a_clerks_description_after_the_number_leaves_the_name_read() {
        let read = |name: &str| {
            let f = pp().extract(&format!("一大队/DSJ-A8-0001234/20260312/{name}"));
            (f.device_id, f.officer_id, f.name_time, f.segment_seq)
        };
        let whole = (
            Some("DSJ-A8-0001234".to_string()),
            Some("OF1023".to_string()),
            Some(1_773_279_015),
            Some(3),
        );
        let base = "DSJ-A8-0001234_OF1023_20260312093015_0003";
        for tail in [
            "_现场检查",
            " 现场检查",
            "-张三-现场",
            "(现场检查)",
            "（现场检查）",
            "【重要】",
            "_inspection at the gate",
            "_现场检查2",
            "_IMP",
            "_现场检查 - 副本",
            "_S",
            "_20260313080000",
            "-20260313",
            "_20260313080000_已上传",
            // A word that begins with a full-width digit, as a clerk types on a Chinese
            // keyboard: a word, not a number (a digit of the names is an ASCII digit).
            "_１号现场",
            "（２号）",
        ] {
            assert_eq!(read(&format!("{base}{tail}.MP4")), whole, "{tail}");
        }
        // A mark glued to the number, or a number after it, is not a description: not read
        // (the number would be another).
        for tail in ["A", "_2", "-1", " 2"] {
            assert_eq!(read(&format!("{base}{tail}.MP4")).3, None, "{tail}");
        }
    }

    #[test]
    fn a_transfers_temporary_copies_are_told_by_name() {
        for p in [
            "/ev/DSJ001/20260312/DSJ001_20260312100006_0002.MP4.part",
            "/ev/DSJ001/20260312/DSJ001_20260312100006_0002.MP4.filepart",
            "/ev/DSJ001/20260312/DSJ001_20260312100006_0002.mp4.crdownload",
            "/ev/DSJ001/20260312/.DSJ001_20260312100012_0003.MP4.Xy7Q2a",
            "/ev/DSJ001/20260312/.syncthing.DSJ001_0003.MP4.tmp",
        ] {
            assert!(is_transfer_temp(p), "{p}");
        }
        for p in [
            "/ev/DSJ001/20260312/DSJ001_20260312100006_0002.MP4",
            "/ev/DSJ001/20260312/.DS_Store",
            "/ev/DSJ001/20260312/DSJ001_0002.MP4.Xy7Q2a",
            "/ev/DSJ001/.part",
            "/ev/案卷/part.pdf",
        ] {
            assert!(!is_transfer_temp(p), "{p}");
        }
    }

    #[test]
    fn files_an_operating_system_writes_beside_the_records_are_told_by_name() {
        for p in [
            "/ev/DSJ-A0001/20260312/Thumbs.db",
            "/ev/DSJ-A0001/desktop.ini",
            "/ev/DSJ-A0001/20260312/.DS_Store",
            "/ev/DSJ-A0001/20260312/._DSJ-A0001_20260312100000_0001.MP4",
            "/ev/案卷 AJ-2026-031/~$送达回执.docx",
            "/ev/案卷 AJ-2026-031/.~lock.送达回执.docx#",
            "DESKTOP.INI",
            "/ev/card/.Spotlight-V100/Store-V2/1A/store.db",
            "/ev/card/System Volume Information/IndexerVolumeGuid",
        ] {
            assert!(is_os_metadata(p), "{p}");
        }
        for p in [
            "/ev/DSJ-A0001/20260312/DSJ-A0001_20260312100000_0001.MP4",
            "/ev/DSJ-A0001/thumbs/DSJ-A0001_0001.JPG",
            "/ev/案卷 AJ-2026-031/送达回执.docx",
            "/ev/a.DS_Store.mp4",
            "/ev/card/$RECYCLE.BIN/S-1-5-21/$RABC123.MP4",
        ] {
            assert!(!is_os_metadata(p), "{p}");
        }
    }
}
