//! The command line: clap definitions, their translation into validated plans for the stages
//! below, progress display and summaries. No module below this one imports clap.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Config;
use crate::exit_codes;
use crate::read::{IoMode, ReadOptions};
use crate::report;
use crate::rules::Severity;
use crate::sample::{self, SamplePlan};
use crate::scan::{self, Progress, RunSummary, ScanError, ScanPlan, VerifyPlan};
use crate::walk::WalkOptions;

#[derive(Parser, Debug)]
#[command(
    name = "recaudit",
    version,
    about = "Audit body-worn recorder footage: hash, parse and catalogue an evidence tree into Parquet",
    long_about = "recaudit walks an evidence tree read-only, hashes every byte with BLAKE3, parses each \
container (MP4/MOV/3GP/M4A, MPEG-TS, JPEG/EXIF, WAV/BWF, AVI) and writes a Parquet catalog that \
SQL tools (DataFusion, DuckDB, pandas) read directly.",
    after_help = "Exit codes: 0 completed; 1 scan --fail-on found findings at that severity; 2 invalid \
command line or configuration; 3 the run failed (missing root, warehouse unwritable or locked) and \
nothing was committed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Hash and parse every file under the roots and commit the catalog as one run.
    #[command(after_help = "Examples:
  recaudit scan /srv/evidence --warehouse /srv/recaudit
  recaudit scan /mnt/share1 /mnt/share2 --warehouse wh --config recaudit.toml --quiet
  recaudit scan /mnt/usb-disk --warehouse wh --io sequential --threads 2
  recaudit scan /srv/evidence -w /srv/recaudit --verify-budget 5% --fail-on high   # nightly

A scan against an existing warehouse reads only new and changed files (size, mtime or inode)
and records what changed in custody_events: new, verified, modified, metadata_changed, deleted,
moved, restored. --verify re-hashes everything; --verify-budget re-hashes the files verified
longest ago up to a byte or percentage budget (a rolling re-verification).

The warehouse holds one Parquet folder per table (files, streams, sessions, findings, runs,
custody_events); a run becomes visible only when it is complete, so a killed run leaves the
previous catalog intact. Open it with
  duckdb -c \"SELECT status, count(*) FROM read_parquet('wh/files/*.parquet') GROUP BY 1\"

Exit codes: 0 the run was committed (corrupt or unreadable files are rows, not failures);
1 the run was committed and --fail-on found findings at or above that severity;
2 invalid command line, configuration or context table; 3 the run failed (a root is missing,
not mounted or empty; the warehouse is unwritable or locked by another run) and nothing was
committed.")]
    Scan(ScanArgs),
    /// Show the findings of the last run, grouped by unit, device and session.
    #[command(after_help = "Examples:
  recaudit findings /srv/recaudit
  recaudit findings wh --severity high --format csv > high.csv
  recaudit findings wh --kind gap --kind missing_segment --device DSJ-A8-0001234
  recaudit findings wh --format json | jq '.[] | select(.kind == \"reencoded\")'

Kinds: gap, missing_segment, overlap, internal_discontinuity, inserted_footage, reencoded,
clock_reset, time_mismatch, missing_timestamp, missing_metadata, unreadable, duplicate_content,
modified, deleted, deleted_before_retention, late_upload, late_classification, late_archive,
deadline_unknown.
Each finding names its article (e.g. 第十二条(五)) with an English gloss.

Exit codes: 0 printed (even if there are no findings); 2 invalid command line; 3 the
warehouse cannot be read.")]
    Findings(FindingsArgs),
    /// Run SQL over the warehouse tables and the context tables.
    #[command(after_help = "Examples:
  recaudit query wh \"SELECT status, count(*) FROM files GROUP BY status\"
  recaudit query wh --name case_review --param case_id=AJ-2026-031
  recaudit query wh --name supervision --param from=2026-03-01 --param to=2026-04-01 --format csv --out sup.csv
  recaudit query wh -f my-analysis.sql --format json
  recaudit query --list

Tables: files, streams, sessions, findings, runs, custody_events, exports (the warehouse) and
devices, officers, cases, case_media, ingest_log, media_notes, calendar (the context folder,
default WAREHOUSE/context; CSV or Parquet).

Exit codes: 0 printed; 2 SQL error (DataFusion's message), missing or unknown parameter,
malformed context file (file, line and column named); 3 the warehouse cannot be read.")]
    Query(QueryArgs),
    /// List footage that may be disposed of and footage deleted before its time (第二十一、二十二条).
    #[command(after_help = "Examples:
  recaudit retention /srv/recaudit
  recaudit retention wh --as-of 2028-06-01 --format csv > disposable.csv
  recaudit retention wh --fail-on-early        # nightly: exit 1 if anything was deleted early

Rows: status 'disposable' (a standard-class file past its keep_until: two years after the
recording, or after the closing of its latest case) and 'deleted_early' (a deletion recorded in
custody_events before keep_until, of a long_term file, or while its case was open). The same
SQL is the named analysis `retention` (recaudit query wh --name retention).

Exit codes: 0 listed; 1 --fail-on-early and something was deleted early; 2 invalid command
line or context; 3 the warehouse cannot be read.")]
    Retention(RetentionArgs),
    /// Copy evidence to a folder with a verified hash manifest and an explanatory note (第二十条).
    #[command(after_help = "Examples:
  recaudit export /srv/recaudit --case AJ-2026-031 --to /media/usb/AJ-2026-031 \\
      --approved-by \"王局长\" --reason \"evidence for the administrative review hearing\"
  recaudit export wh --sql \"SELECT path FROM files WHERE device_id = 'DSJ-A8-0001234'\" \\
      --to /tmp/out --approved-by \"李科长\" --reason \"party's request, 第二十三条\"

The destination must be new or empty. Every copy is hashed as it is written (BLAKE3 and
SHA-256), read back and checked against the catalogue's BLAKE3; then MANIFEST.csv,
BLAKE3SUMS, SHA256SUMS and NOTE.txt are written (check later with `b3sum -c BLAKE3SUMS` or
`sha256sum -c SHA256SUMS` inside the folder). Footage of confidential cases is refused unless
--include-confidential (第二十四条). Every export, verified or failed, is recorded in the
warehouse's `exports` table (第二十三条).

Exit codes: 0 exported and verified; 2 refused (unknown case, confidential material, nothing
selected, destination not empty, bad SQL) and nothing copied; 3 a copy did not verify or a
source changed since the last scan (recorded as failed, FAILED.txt in the folder), or the
warehouse cannot be read or written.")]
    Export(ExportArgs),
    /// Write a synthetic evidence tree of recorder-like MP4 segments (for benchmarks and demos).
    #[command(after_help = "Examples:
  recaudit sample --out /tmp/evidence
  recaudit sample --out /tmp/small --devices 50 --hours 2 --segment-seconds 4 --bitrate-kbps 4000
  recaudit sample --out /tmp/big --devices 2 --hours 0.6 --segment-seconds 2100 --bitrate-kbps 4000

Files are laid out as <unit>/<device>/<YYYYMMDD>/<device>_<officer>_<YYYYMMDDhhmmss>_<seq>.MP4,
one session of 10-40 minutes after another with pauses between; each segment is real ISO BMFF
(ftyp, mdat, moov; H.264 and AAC tracks) whose payload is pseudo-random and does not decode.
File size is about bitrate x segment length.")]
    Sample(SampleArgs),
    /// Write a synthetic warehouse (no footage) at the bureau's scale, for query benchmarks.
    #[command(after_help = "Examples:
  recaudit sample-catalog --out /tmp/catalog                     # 10 million files, 1 million findings
  recaudit sample-catalog --out /tmp/small-catalog --files 100000 --findings 10000
  recaudit query /tmp/catalog --name case_review

Writes files, sessions, findings, custody_events and runs (streams empty) with the warehouse's
own schemas and atomic commit, and devices, officers, cases and case_media as Parquet in
OUT/context/ (the default context folder of the warehouse). 5,000 files per recorder, 20 units,
5-minute segments in sessions over 2024-2026, one case per 16 sessions. The same seed gives the
same catalogue (apart from the run time).")]
    SampleCatalog(SampleCatalogArgs),
}

#[derive(clap::Args, Debug)]
pub struct SampleCatalogArgs {
    /// Warehouse folder to create (must not hold a warehouse yet).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Rows of `files`.
    #[arg(long, default_value_t = 10_000_000)]
    pub files: u64,
    /// Rows of `findings` (approximately).
    #[arg(long, default_value_t = 1_000_000)]
    pub findings: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IoArg {
    /// Read many files at once, one per thread (SSD, RAID, page cache).
    Parallel,
    /// Read one file at a time front to back (spinning disks, tape-backed shares).
    Sequential,
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Folders (or single files) to scan. Each must exist; an empty folder is refused unless
    /// --allow-empty-root, since an unmounted share looks empty.
    #[arg(required = true, value_name = "ROOT")]
    pub roots: Vec<PathBuf>,
    /// Warehouse folder for the Parquet tables (created if missing).
    #[arg(long, short = 'w', value_name = "DIR")]
    pub warehouse: PathBuf,
    /// Configuration file (time zone, path patterns, read sizes); defaults apply without it.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Print only the final summary (also the default when stderr is not a terminal).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// How to schedule reads.
    #[arg(long, value_enum, default_value = "parallel")]
    pub io: IoArg,
    /// Never memory-map files; read them in chunks (safer on shares where files may shrink).
    #[arg(long)]
    pub no_mmap: bool,
    /// Follow symbolic links (each directory is still visited once, so loops are harmless).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Accept a root that is an empty folder.
    #[arg(long)]
    pub allow_empty_root: bool,
    /// Print the run summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Exit with code 1 when the run has findings at least this severe (for nightly jobs).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Re-hash every file, even those whose size, mtime and inode are unchanged since the last
    /// run (by default only new and changed files are read).
    #[arg(long, conflicts_with = "verify_budget")]
    pub verify: bool,
    /// Also re-hash unchanged files, those verified longest ago first, up to this much: bytes
    /// (with an optional K/M/G/T suffix, powers of 1024) or a percentage of the tree ("5%").
    /// A nightly 5% re-verifies the whole tree every 20 nights.
    #[arg(long, value_name = "BYTES|PERCENT", value_parser = parse_budget)]
    pub verify_budget: Option<VerifyPlan>,
    /// Context tables for the deadline and retention rules (cases, case_media, ingest_log,
    /// media_notes, calendar) [default: WAREHOUSE/context when it exists].
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
}

/// `--verify-budget`: `5%`, `500G`, `1048576`.
pub fn parse_budget(s: &str) -> Result<VerifyPlan, String> {
    let t = s.trim();
    if let Some(p) = t.strip_suffix('%') {
        let v: f64 = p
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a percentage"))?;
        if !(0.0..=100.0).contains(&v) {
            return Err(format!("'{s}': a percentage must be between 0 and 100"));
        }
        return Ok(VerifyPlan::Percent(v));
    }
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                'B' => 1,
                _ => return Err(format!("'{s}': unknown unit '{c}' (use K, M, G, T or %)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of bytes or a percentage"))?;
    n.checked_mul(mult)
        .map(VerifyPlan::Bytes)
        .ok_or_else(|| format!("'{s}' is too large"))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warn,
    High,
}

impl SeverityArg {
    fn severity(self) -> Severity {
        match self {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warn => Severity::Warn,
            SeverityArg::High => Severity::High,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct FindingsArgs {
    /// The warehouse folder written by `recaudit scan`.
    #[arg(value_name = "WAREHOUSE")]
    pub warehouse: PathBuf,
    /// Only these kinds (repeatable).
    #[arg(long, value_name = "KIND")]
    pub kind: Vec<String>,
    /// Only findings at least this severe.
    #[arg(long, value_enum)]
    pub severity: Option<SeverityArg>,
    /// Only this device (repeatable).
    #[arg(long, value_name = "DEVICE")]
    pub device: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,
    /// Time zone for times in the table [default: the configuration's, Asia/Shanghai].
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct RetentionArgs {
    /// The warehouse folder written by `recaudit scan`.
    #[arg(value_name = "WAREHOUSE")]
    pub warehouse: PathBuf,
    /// Judge at the start of this local day (YYYY-MM-DD) instead of now.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutFormat,
    /// Write the rows to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with code 1 when anything was deleted before its time.
    #[arg(long)]
    pub fail_on_early: bool,
    /// Context tables [default: WAREHOUSE/context].
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("selection").required(true).args(["case", "sql"])))]
pub struct ExportArgs {
    /// The warehouse folder written by `recaudit scan`.
    #[arg(value_name = "WAREHOUSE")]
    pub warehouse: PathBuf,
    /// Export the footage of this case (files whose `case_ids` include it).
    #[arg(long, value_name = "ID")]
    pub case: Option<String>,
    /// Export the files whose paths this query returns (a text column `path`).
    #[arg(long, value_name = "QUERY")]
    pub sql: Option<String>,
    /// Destination folder: new or empty. Nothing is written outside it.
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// The leader who approved the copy (第二十三条).
    #[arg(long, value_name = "NAME")]
    pub approved_by: String,
    /// Why the copy is made; goes into the note and the exports table.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Include footage of confidential cases (第二十四条); refused without it.
    #[arg(long)]
    pub include_confidential: bool,
    /// Context tables [default: WAREHOUSE/context].
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// Configuration file (time zone of the note).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutFormat {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(clap::Args, Debug)]
pub struct QueryArgs {
    /// The warehouse folder written by `recaudit scan`.
    #[arg(value_name = "WAREHOUSE", required_unless_present = "list")]
    pub warehouse: Option<PathBuf>,
    /// SQL to run (several statements may be separated by ';': the last one's rows are printed).
    #[arg(value_name = "SQL", conflicts_with_all = ["file", "name"], allow_hyphen_values = true)]
    pub sql: Option<String>,
    /// Read the SQL from a file.
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "name")]
    pub file: Option<PathBuf>,
    /// Run a named analysis (see --list).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A parameter of the named analysis, as key=value (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutFormat,
    /// Write the result to this file instead of stdout (required for parquet).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Folder of context tables [default: WAREHOUSE/context].
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// List the named analyses with purpose, article and parameters.
    #[arg(long)]
    pub list: bool,
    /// Configuration file (for the time zone of context times).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Print to stderr how long opening the warehouse, running the SQL and writing the rows
    /// took (milliseconds).
    #[arg(long)]
    pub timing: bool,
    /// A DataFusion setting, as key=value (repeatable), applied before the warehouse is opened,
    /// e.g. --set datafusion.execution.parquet.pushdown_filters=true.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// Run the SQL this many times in the one process, writing its rows each time (for
    /// benchmarking: with --timing each run's time, writing included, is printed).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
}

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// Folder to write the tree into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of recorders.
    #[arg(long, default_value_t = 4)]
    pub devices: u32,
    /// Hours of recording per recorder.
    #[arg(long, default_value_t = 1.0)]
    pub hours: f64,
    /// Seed: the same seed gives the same tree.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Segment length in seconds (a session's last segment is shorter).
    #[arg(long, default_value_t = 300)]
    pub segment_seconds: u32,
    /// Video bitrate in kbit/s (sets the file size).
    #[arg(long, default_value_t = 4000)]
    pub bitrate_kbps: u32,
    #[arg(long, default_value_t = 1920)]
    pub width: u32,
    #[arg(long, default_value_t = 1080)]
    pub height: u32,
    #[arg(long, default_value_t = 25)]
    pub fps: u32,
    /// Fixed session length in seconds [default: drawn between 10 and 40 minutes].
    #[arg(long)]
    pub session_seconds: Option<u32>,
    /// Also write context tables for the tree into this folder (outside --out): ingest_log.csv
    /// (each segment uploaded an hour after it ends) and media_notes.csv (described a day
    /// later), so that a scan with --context DIR judges the deadlines on realistic data.
    #[arg(long, value_name = "DIR")]
    pub context_out: Option<PathBuf>,
    /// Write the payload as a hole (sparse files): full-size, structurally complete recordings
    /// that take almost no disk, for benchmarks at realistic sizes.
    #[arg(long)]
    pub sparse: bool,
}

/// Parses the process arguments, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
            };
        }
    };
    match cli.command {
        Command::Scan(a) => run_scan(a),
        Command::Sample(a) => run_sample(a),
        Command::SampleCatalog(a) => run_sample_catalog(a),
        Command::Findings(a) => run_findings(a),
        Command::Query(a) => run_query(a),
        Command::Retention(a) => run_retention(a),
        Command::Export(a) => run_export(a),
    }
}

fn scan_plan(a: &ScanArgs) -> anyhow::Result<ScanPlan> {
    let config = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    config.zone()?;
    crate::pathinfo::PathPatterns::new(&config.path_patterns, config.zone()?)?;
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if threads == 0 {
        anyhow::bail!("--threads must be at least 1");
    }
    let io = match a.io {
        IoArg::Parallel => IoMode::Parallel,
        IoArg::Sequential => IoMode::Sequential,
    };
    let read = ReadOptions {
        mmap_min_bytes: config.scan.mmap_min_bytes,
        chunk_bytes: config.scan.chunk_bytes.clamp(4096, 64 << 20),
        use_mmap: !a.no_mmap && io == IoMode::Parallel,
        parallel_hash: true,
    };
    // Absolute roots, so that paths in the catalog mean the same thing from any working folder.
    let roots = a
        .roots
        .iter()
        .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone()))
        .collect();
    Ok(ScanPlan {
        roots,
        warehouse: a.warehouse.clone(),
        config,
        threads,
        io,
        read,
        walk: WalkOptions {
            follow_symlinks: a.follow_symlinks,
            allow_empty_root: a.allow_empty_root,
        },
        verify: if a.verify {
            VerifyPlan::All
        } else {
            a.verify_budget.unwrap_or_default()
        },
        context: a.context.clone(),
    })
}

/// Progress on stderr. Workers only add to atomic counters; the bar is redrawn from them every
/// 64 MiB or 64 files, so the hot read loop never takes the bar's lock.
struct Bar {
    bar: ProgressBar,
    show: bool,
    files: AtomicU64,
    bytes: AtomicU64,
    total_files: AtomicU64,
}

impl Bar {
    fn redraw(&self) {
        let done = self.files.load(Ordering::Relaxed);
        self.bar.set_position(self.bytes.load(Ordering::Relaxed));
        self.bar.set_message(format!(
            "{done}/{} files",
            self.total_files.load(Ordering::Relaxed)
        ));
    }
}

impl Progress for Bar {
    fn walked(&self, files: u64, bytes: u64) {
        self.total_files.store(files, Ordering::Relaxed);
        if self.show {
            self.bar.set_length(bytes);
            self.redraw();
        }
    }
    fn bytes(&self, n: u64) {
        let before = self.bytes.fetch_add(n, Ordering::Relaxed);
        if self.show && (before >> 26) != ((before + n) >> 26) {
            self.redraw();
        }
    }
    fn file_done(&self) {
        let done = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        if self.show
            && (done.is_multiple_of(64) || done == self.total_files.load(Ordering::Relaxed))
        {
            self.redraw();
        }
    }
    fn analysing(&self) {
        self.bar.set_message("building sessions and findings");
    }
    fn committing(&self) {
        self.bar.set_message("writing the warehouse");
    }
}

fn run_scan(a: ScanArgs) -> i32 {
    let plan = match scan_plan(&a) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("recaudit scan: {e:#}");
            return exit_codes::USAGE;
        }
    };
    let show = !a.quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if show {
        bar.enable_steady_tick(Duration::from_millis(200));
    }
    let progress = Bar {
        bar,
        show,
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        total_files: AtomicU64::new(0),
    };
    let result = scan::run_scan(&plan, &progress);
    progress.bar.finish_and_clear();
    match result {
        Ok(s) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                print_summary(&s);
            }
            if let Some(level) = a.fail_on {
                let worst = s
                    .findings
                    .iter()
                    .filter_map(|f| Severity::parse(&f.severity))
                    .max();
                if worst.is_some_and(|w| w >= level.severity()) {
                    eprintln!(
                        "recaudit scan: findings at or above '{}' (--fail-on): exit 1",
                        level.severity().name()
                    );
                    return exit_codes::FINDINGS;
                }
            }
            exit_codes::OK
        }
        Err(e) => {
            eprintln!("recaudit scan: {e}");
            eprintln!(
                "recaudit scan: nothing was committed; the warehouse is as it was before this run"
            );
            match e {
                ScanError::Config(_) | ScanError::Context(_) => exit_codes::USAGE,
                _ => exit_codes::RUN_FAILED,
            }
        }
    }
}

pub fn human_bytes(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b:.0} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

fn print_summary(s: &RunSummary) {
    let r = &s.run;
    let rate = if r.elapsed_s > 0.0 {
        r.hashed_bytes as f64 / r.elapsed_s
    } else {
        0.0
    };
    println!(
        "recaudit scan: run {} committed to {}",
        r.run_id,
        s.warehouse.display()
    );
    println!(
        "  files   {:>10}  ok {}, corrupt {}, truncated {}, unreadable {}, unsupported {}",
        r.files,
        r.files_ok,
        r.files_corrupt,
        r.files_truncated,
        r.files_unreadable,
        r.files_unsupported
    );
    println!(
        "  bytes   {:>10}  {} hashed in {:.2} s ({}/s, {} threads, {} I/O)",
        human_bytes(r.bytes as f64),
        human_bytes(r.hashed_bytes as f64),
        r.elapsed_s,
        human_bytes(rate),
        r.threads,
        r.io_mode
    );
    println!(
        "  custody  {:>9}  carried unread {}, new {}, verified {}, modified {}, metadata changed {}, deleted {}, moved {}, restored {}",
        r.mode,
        r.files_carried,
        r.files_new,
        r.files_verified,
        r.files_modified,
        r.files_metadata_changed,
        r.files_deleted,
        r.files_moved,
        r.files_restored
    );
    println!(
        "  sessions {:>9}  findings: high {}, warn {}, info {}",
        r.sessions, r.findings_high, r.findings_warn, r.findings_info
    );
    let mut kinds: std::collections::BTreeMap<(&str, &str), usize> =
        std::collections::BTreeMap::new();
    for f in &s.findings {
        *kinds
            .entry((f.kind.as_str(), f.article.as_str()))
            .or_insert(0) += 1;
    }
    for ((k, art), n) in kinds {
        println!("           {n:>6} {k} ({art})");
    }
    if r.files_changed_during_read > 0 {
        println!(
            "  changed while read: {} (see files.changed_during_read)",
            r.files_changed_during_read
        );
    }
    println!(
        "  tables  {}/{{files,streams,sessions,findings,runs,custody_events}}/*.parquet",
        s.warehouse.display()
    );
    if !s.findings.is_empty() {
        println!("  details: recaudit findings {}", s.warehouse.display());
    }
}

fn run_sample(a: SampleArgs) -> i32 {
    let plan = SamplePlan {
        out: a.out.clone(),
        devices: a.devices,
        hours: a.hours,
        seed: a.seed,
        segment_seconds: a.segment_seconds,
        bitrate_kbps: a.bitrate_kbps,
        width: a.width,
        height: a.height,
        fps: a.fps,
        session_seconds: a.session_seconds,
        context_out: a.context_out.clone(),
        sparse: a.sparse,
    };
    match sample::generate(&plan) {
        Ok(s) => {
            println!(
                "recaudit sample: wrote {} files ({}) in {} sessions under {}",
                s.files,
                human_bytes(s.bytes as f64),
                s.sessions,
                a.out.display()
            );
            exit_codes::OK
        }
        Err(e @ sample::SampleError::Invalid(_)) => {
            eprintln!("recaudit sample: {e}");
            exit_codes::USAGE
        }
        Err(e) => {
            eprintln!("recaudit sample: {e}");
            exit_codes::RUN_FAILED
        }
    }
}

fn run_findings(a: FindingsArgs) -> i32 {
    let config = match &a.config {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("recaudit findings: {e}");
                return exit_codes::USAGE;
            }
        },
        None => Config::default(),
    };
    let tz = match config.zone() {
        Ok(z) => z,
        Err(e) => {
            eprintln!("recaudit findings: {e}");
            return exit_codes::USAGE;
        }
    };
    let known: Vec<&str> = crate::rules::RULES.iter().map(|r| r.kind).collect();
    if let Some(k) = a.kind.iter().find(|k| !known.contains(&k.as_str())) {
        eprintln!("recaudit findings: unknown kind '{k}'; kinds are {}", {
            let mut v = known.clone();
            v.dedup();
            v.join(", ")
        });
        return exit_codes::USAGE;
    }
    let rows = match crate::store::read_findings(&a.warehouse) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("recaudit findings: {e} (is this a warehouse written by `recaudit scan`?)");
            return exit_codes::RUN_FAILED;
        }
    };
    let min = a.severity.map(SeverityArg::severity);
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| a.kind.is_empty() || a.kind.contains(&r.kind))
        .filter(|r| {
            a.device.is_empty() || r.device_id.as_ref().is_some_and(|d| a.device.contains(d))
        })
        .filter(|r| min.is_none_or(|m| Severity::parse(&r.severity).is_some_and(|s| s >= m)))
        .collect();
    let format = match a.format {
        FormatArg::Table => report::Format::Table,
        FormatArg::Json => report::Format::Json,
        FormatArg::Csv => report::Format::Csv,
    };
    print!("{}", report::render(&rows, format, tz));
    exit_codes::OK
}

fn run_query(a: QueryArgs) -> i32 {
    use crate::query::{self, QueryError};
    if a.list {
        for q in query::named() {
            println!("{:<16} {}", q.name, q.purpose);
            println!("{:<16} article: {}", "", q.article);
            for (p, d, doc) in &q.params {
                println!(
                    "{:<16} --param {p}=...{}  {doc}",
                    "",
                    d.as_ref()
                        .map(|d| format!(" (default {d})"))
                        .unwrap_or_default()
                );
            }
        }
        return exit_codes::OK;
    }
    let Some(wh) = a.warehouse.clone() else {
        eprintln!("recaudit query: a WAREHOUSE is required");
        return exit_codes::USAGE;
    };
    let config = match a.config.as_deref().map(Config::load).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => {
            eprintln!("recaudit query: {e}");
            return exit_codes::USAGE;
        }
    };
    let tz = match config.zone() {
        Ok(z) => z,
        Err(e) => {
            eprintln!("recaudit query: {e}");
            return exit_codes::USAGE;
        }
    };
    let (params, settings) = match (
        key_values("--param", &a.params),
        key_values("--set", &a.settings),
    ) {
        (Ok(p), Ok(s)) => (
            p.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
            s,
        ),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("recaudit query: {e}");
            return exit_codes::USAGE;
        }
    };
    let sql = if let Some(n) = &a.name {
        match query::named()
            .into_iter()
            .find(|q| q.name == n.as_str())
            .ok_or_else(|| QueryError::UnknownQuery(n.clone()))
            .and_then(|q| query::instantiate(&q, &params))
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("recaudit query: {e}");
                return exit_codes::USAGE;
            }
        }
    } else if let Some(f) = &a.file {
        match std::fs::read_to_string(f) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("recaudit query: cannot read {}: {e}", f.display());
                return exit_codes::USAGE;
            }
        }
    } else if let Some(s) = &a.sql {
        s.clone()
    } else {
        eprintln!("recaudit query: give SQL, -f FILE or --name NAME (or --list)");
        return exit_codes::USAGE;
    };
    if matches!(a.format, OutFormat::Parquet) && a.out.is_none() {
        eprintln!("recaudit query: --format parquet needs --out FILE");
        return exit_codes::USAGE;
    }
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let t0 = std::time::Instant::now();
    let engine = match open_engine("query", &wh, a.context.as_deref(), tz, threads, &settings) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let t1 = std::time::Instant::now();
    let (mut run_ms, mut write_ms, mut rows) = (0.0, 0.0, 0);
    for i in 0..a.repeat {
        // Each repetition runs and writes, so a run's time is what one query costs.
        let t = std::time::Instant::now();
        let batches = match engine.run(&sql) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("recaudit query: {e}");
                return exit_codes::USAGE;
            }
        };
        let ran = t.elapsed();
        if let Err(e) = write_batches(&batches, a.format, a.out.as_deref()) {
            eprintln!("recaudit query: {e}");
            return exit_codes::RUN_FAILED;
        }
        run_ms += ms(ran);
        write_ms += ms(t.elapsed() - ran);
        rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
        if a.timing && a.repeat > 1 {
            eprintln!(
                "recaudit query: run {} of {}: {:.1} ms (with writing)",
                i + 1,
                a.repeat,
                ms(t.elapsed())
            );
        }
    }
    if a.timing {
        eprintln!(
            "recaudit query: open {:.1} ms, run {run_ms:.1} ms, write {write_ms:.1} ms ({rows} rows), total {:.1} ms",
            ms(t1 - t0),
            ms(t0.elapsed())
        );
    }
    exit_codes::OK
}

/// `KEY=VALUE` arguments of a repeatable option, as (trimmed key, value as given).
fn key_values(option: &str, items: &[String]) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| format!("{option} '{p}' must be KEY=VALUE"))
        })
        .collect()
}

/// The query engine over a warehouse and its context folder (default `WAREHOUSE/context`);
/// on failure the message is printed and the exit code returned: 3 for an unreadable
/// warehouse, 2 for a bad context table.
fn open_engine(
    command: &str,
    warehouse: &std::path::Path,
    context: Option<&std::path::Path>,
    tz: chrono_tz::Tz,
    threads: usize,
    settings: &[(String, String)],
) -> Result<crate::query::Engine, i32> {
    use crate::query::{Engine, QueryError};
    let context_dir = context
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| warehouse.join("context"));
    Engine::open(warehouse, Some(&context_dir), tz, threads, settings).map_err(|e| {
        eprintln!("recaudit {command}: {e}");
        match e {
            QueryError::Warehouse { .. } => exit_codes::RUN_FAILED,
            _ => exit_codes::USAGE,
        }
    })
}

fn run_sample_catalog(a: SampleCatalogArgs) -> i32 {
    if a.out.join("current").exists() {
        eprintln!(
            "recaudit sample-catalog: {} already holds a warehouse; choose a new folder",
            a.out.display()
        );
        return exit_codes::USAGE;
    }
    let t = std::time::Instant::now();
    let plan = crate::sample_catalog::CatalogPlan {
        out: a.out.clone(),
        files: a.files,
        findings: a.findings,
        seed: a.seed,
    };
    match crate::sample_catalog::generate_catalog(&plan) {
        Ok(s) => {
            println!(
                "recaudit sample-catalog: {} files, {} sessions, {} findings, {} cases, {} devices, {} officers in {} ({:.1} s)",
                s.files,
                s.sessions,
                s.findings,
                s.cases,
                s.devices,
                s.officers,
                a.out.display(),
                t.elapsed().as_secs_f64()
            );
            exit_codes::OK
        }
        Err(e @ crate::sample_catalog::CatalogError::Invalid(_)) => {
            eprintln!("recaudit sample-catalog: {e}");
            exit_codes::USAGE
        }
        Err(e) => {
            eprintln!("recaudit sample-catalog: {e}");
            exit_codes::RUN_FAILED
        }
    }
}

fn run_retention(a: RetentionArgs) -> i32 {
    use crate::query::{self, QueryError};
    let mut params = std::collections::BTreeMap::new();
    if let Some(d) = &a.as_of {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            eprintln!("recaudit retention: --as-of '{d}' is not a date (YYYY-MM-DD)");
            return exit_codes::USAGE;
        }
        params.insert("as_of".to_string(), d.clone());
    }
    let sql = match query::named()
        .into_iter()
        .find(|q| q.name == "retention")
        .ok_or_else(|| QueryError::UnknownQuery("retention".into()))
        .and_then(|q| query::instantiate(&q, &params))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("recaudit retention: {e}");
            return exit_codes::USAGE;
        }
    };
    let tz = Config::default()
        .zone()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let engine = match open_engine("retention", &a.warehouse, a.context.as_deref(), tz, 2, &[]) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let batches = match engine.run(&sql) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("recaudit retention: {e}");
            return exit_codes::RUN_FAILED;
        }
    };
    let early = batches
        .iter()
        .map(|b| {
            let c = crate::store::prior::Cols(b);
            (0..b.num_rows())
                .filter(|&i| c.str("status", i) == Some("deleted_early"))
                .count()
        })
        .sum::<usize>();
    if let Err(e) = write_batches(&batches, a.format, a.out.as_deref()) {
        eprintln!("recaudit retention: {e}");
        return exit_codes::RUN_FAILED;
    }
    if a.fail_on_early && early > 0 {
        eprintln!(
            "recaudit retention: {early} file(s) deleted before their time (--fail-on-early): exit 1"
        );
        return exit_codes::FINDINGS;
    }
    exit_codes::OK
}

fn run_export(a: ExportArgs) -> i32 {
    use crate::export::{ExportError, ExportPlan, Selection};
    let config = match a.config.as_deref().map(Config::load).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => {
            eprintln!("recaudit export: {e}");
            return exit_codes::USAGE;
        }
    };
    let tz = match config.zone() {
        Ok(z) => z,
        Err(e) => {
            eprintln!("recaudit export: {e}");
            return exit_codes::USAGE;
        }
    };
    if a.approved_by.trim().is_empty() || a.reason.trim().is_empty() {
        eprintln!(
            "recaudit export: --approved-by and --reason must not be empty (第二十、二十三条)"
        );
        return exit_codes::USAGE;
    }
    let plan = ExportPlan {
        warehouse: a.warehouse.clone(),
        context: Some(
            a.context
                .clone()
                .unwrap_or_else(|| a.warehouse.join("context")),
        ),
        tz,
        selection: match (&a.case, &a.sql) {
            (Some(c), _) => Selection::Case(c.clone()),
            (None, Some(q)) => Selection::Sql(q.clone()),
            (None, None) => {
                eprintln!("recaudit export: give --case ID or --sql QUERY");
                return exit_codes::USAGE;
            }
        },
        to: a.to.clone(),
        approved_by: a.approved_by.clone(),
        reason: a.reason.clone(),
        include_confidential: a.include_confidential,
        threads: 2,
    };
    match crate::export::run_export(&plan) {
        Ok(s) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                println!(
                    "recaudit export: {} file(s), {} copied to {} and verified (export {})",
                    s.export.files,
                    human_bytes(s.export.bytes as f64),
                    s.export.destination,
                    s.export.export_id
                );
                println!("  manifest: MANIFEST.csv, BLAKE3SUMS, SHA256SUMS; note: NOTE.txt");
            }
            exit_codes::OK
        }
        Err(e) => {
            eprintln!("recaudit export: {e}");
            match e {
                ExportError::Query(crate::query::QueryError::Warehouse { .. })
                | ExportError::Store(_) => exit_codes::RUN_FAILED,
                e if e.is_refusal() => exit_codes::USAGE,
                ExportError::Query(_) => exit_codes::USAGE,
                _ => exit_codes::RUN_FAILED,
            }
        }
    }
}

fn write_batches(
    batches: &[arrow_array::RecordBatch],
    format: OutFormat,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use datafusion::arrow;
    use std::io::Write;
    let mut sink: Box<dyn Write> = match out {
        Some(_) if matches!(format, OutFormat::Parquet) => Box::new(std::io::sink()),
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        OutFormat::Table => writeln!(
            sink,
            "{}",
            arrow::util::pretty::pretty_format_batches(batches)?
        )?,
        OutFormat::Csv => {
            // Batches are turned into CSV text in parallel, a window at a time, and written in
            // order: a few million rows would otherwise format on one core.
            use rayon::prelude::*;
            let window = rayon::current_num_threads().max(1) * 4;
            for (w, group) in batches.chunks(window).enumerate() {
                let texts: Vec<Result<Vec<u8>, arrow_schema::ArrowError>> = group
                    .par_iter()
                    .enumerate()
                    .map(|(i, b)| {
                        let mut buf = Vec::new();
                        let mut cw = arrow::csv::WriterBuilder::new()
                            .with_header(w == 0 && i == 0)
                            .build(&mut buf);
                        cw.write(b)?;
                        drop(cw);
                        Ok(buf)
                    })
                    .collect();
                for t in texts {
                    sink.write_all(&t?)?;
                }
            }
        }
        OutFormat::Json => {
            let mut w = arrow::json::ArrayWriter::new(&mut sink);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            writeln!(sink)?;
        }
        OutFormat::Parquet => {
            // Parquet needs a file of its own (checked by the caller); the sink is unused.
            let p = out.ok_or_else(|| anyhow::anyhow!("--format parquet needs --out FILE"))?;
            let f = std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", p.display()))?;
            let schema = batches
                .first()
                .map(|b| b.schema())
                .unwrap_or_else(|| std::sync::Arc::new(arrow_schema::Schema::empty()));
            let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, None)?;
            for b in batches {
                w.write(b)?;
            }
            w.close()?;
            return Ok(());
        }
    }
    sink.flush()?;
    Ok(())
}
