//! The raw command line, as clap parses it: every subcommand, flag, default, help text and
//! example. Nothing here does work; each command's module in `cli/` turns these into the plans
//! and options of the stages below (as ripgrep keeps its raw flags apart from resolved ones).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::rules::Severity;
use crate::scan::VerifyPlan;

#[derive(Parser, Debug)]
#[command(
    name = "recaudit",
    version,
    about = "Audit body-worn recorder footage: hash, parse and catalogue an evidence tree into Parquet",
    long_about = "recaudit walks an evidence tree read-only, hashes every byte with BLAKE3, parses each \
container (MP4/MOV/3GP/M4A, MPEG-TS, MPEG-PS, Dahua DAV, Matroska/WebM, FLV, JPEG/EXIF, WAV/BWF, AVI, \
AMR, MP3/AAC) and writes a Parquet catalog that \
SQL tools (DataFusion, DuckDB, pandas) read directly.",
    after_help = "Exit codes: 0 completed; 1 scan --fail-on found findings at that severity; 2 invalid \
command line or configuration; 3 the run failed (missing root, warehouse unwritable or locked) and \
nothing was committed; 4 the warehouse's history does not verify (verify found a difference, or scan \
and export refused to build on it)."
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
  recaudit scan /mnt/usb-disk --warehouse wh --keyframes off   # no decoding: hash and parse only
  recaudit scan /evidence/case-0427 --warehouse wh --keyframes all   # the clock at every keyframe
  recaudit scan /mnt/new-volume/evidence -w wh --retire-root /mnt/old-volume/evidence   # migrated

H.264 and HEVC recordings (MP4/MOV) have their first and last keyframe decoded and the recorder's
burned-in clock read (files.osd_start, osd_end, osd_offset_s, osd_confidence); the digits are
learned per device model from its own recordings, never assumed.

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
2 invalid command line, configuration, context table or key file; 3 the run failed (a root is
missing, not mounted or empty; the warehouse is unwritable or locked by another run; the anchor
log cannot be written) and nothing was committed; 4 the warehouse's history does not verify
(a committed table file changed, a run missing or inserted, a manifest edited): nothing was
committed; `recaudit verify` names each difference, and --new-chain starts a new chain that
records the break.

Each commit adds a manifest to the warehouse's hash chain and prints the new chain head;
--anchor also appends it to a log kept elsewhere, --sign-key signs it (see `recaudit verify`).")]
    Scan(ScanArgs),
    /// Show the findings of the last run, grouped by unit, device and session.
    #[command(after_help = "Examples:
  recaudit findings /srv/recaudit
  recaudit findings wh --severity high --format csv > high.csv
  recaudit findings wh --kind gap --kind missing_segment --device DSJ-A8-0001234
  recaudit findings wh --format json | jq '.[] | select(.kind == \"reencoded\")'

Kinds: gap, live_gap, missing_segment, overlap, internal_discontinuity, inserted_footage, reencoded,
clock_reset, time_mismatch, missing_timestamp, missing_metadata, unreadable, access_denied,
duplicate_content, second_version, modified, deleted, deleted_before_retention, late_upload,
late_classification, late_archive, incomplete_record, history_broken; information only:
timeline_short, capture_stall, prerecord, recorded_twice, renamed_segment, numbering_skip,
rate_change, setting_change, firmware_change, device_namesake, in_flight, log_zone, log_paths,
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

Tables: files, streams, sessions, findings, runs, custody_events, exports, case_items (the
warehouse) and devices, officers, cases, case_media, case_documents, case_events, ingest_log,
media_notes, calendar, checklist (the context folder, default WAREHOUSE/context; CSV or
Parquet).

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
    /// Write the supervisor's report: one self-contained HTML page (and a PDF) for a period.
    #[command(after_help = "Examples:
  recaudit report /srv/recaudit --out report.html                      # the last full month
  recaudit report wh --from 2026-03-01 --to 2026-04-01 --out march.html --pdf march.pdf
  recaudit report wh --from 2026-03-01 --to 2026-04-01 --unit 执法一大队 --lang en --out unit1.html

Sections: summary of the period against the previous period of equal length (footage, findings
by article and severity, deadlines of 第十六、十七、十八条, retention, custody events, recorders
per officer, cases without footage), units and officers (supervision trend, evaluation score),
each recorder's days on 24-hour timelines (sessions, gaps and missing segments, overlaps,
findings, photos), cases (case_review, missing records, the case's recordings), and the findings
in detail. Every number comes from the named analyses (period_summary, supervision,
evaluation, equipment_ratio, case_review, case_completeness): `recaudit query` returns the same.

The HTML needs no network and no script; it prints with a page break before each section.
--pdf prints it with a headless Chromium (Debian's `chromium`, or --chromium PATH, or
$RECAUDIT_CHROMIUM); without one the HTML is still written and the command exits 2.

Exit codes: 0 written; 2 invalid command line or context, or no Chromium for --pdf; 3 the
warehouse cannot be read or the report cannot be written.")]
    Report(ReportArgs),
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
    /// Serve distributed query tasks: one process of a query cluster that `recaudit query
    /// --workers` runs the analyses across.
    #[command(after_help = "Examples:
  recaudit worker --listen 127.0.0.1:50051 &
  recaudit worker --listen 127.0.0.1:50052 &
  recaudit query /shared/wh --name supervision --workers http://127.0.0.1:50051,http://127.0.0.1:50052
  recaudit worker --listen 0.0.0.0:50051 --warehouse s3://evidence-catalogue/province   # bucket credentials from AWS_* or --config

The query is planned by the `recaudit query` process, cut into stages at its exchanges, and each
stage's tasks run on the workers (gRPC, Arrow Flight); the rows stream back to the query. A
worker keeps nothing between queries. Every worker reads the warehouse's Parquet files itself:
mount a shared folder at the same path on every machine, or give the bucket with --warehouse.
The worker runs until stopped (SIGINT or SIGTERM end it cleanly); it prints the address it
listens on to stderr once ready.

Exit codes: 0 stopped by a signal; 2 invalid command line or configuration; 3 the address cannot
be bound or the bucket cannot be set up.")]
    Worker(WorkerArgs),
    /// Judge a shared (province) warehouse: sessions, findings and case completeness over every
    /// storage node's published files, as one scan of the whole estate would.
    #[command(after_help = "Examples:
  recaudit scan /srv/evidence --warehouse /shared/wh --node store-01   # on each storage node
  recaudit analyse /shared/wh                                         # then, once the nodes are done
  recaudit analyse /shared/wh --shard 0/4 & recaudit analyse /shared/wh --shard 1/4 & ...
  recaudit query /shared/wh --name supervision

A shared warehouse holds each table as Hive-style partitions: files/node=<id>/ and the other
per-file tables from each node's scanner, sessions/shard=<k>/, findings/shard=<k>/,
case_items/shard=<k>/ and file_sessions/shard=<k>/ from the analysis. Every writer commits to its
own warehouse under _writers/ (atomic, on its own hash chain) and then publishes by replacing
one pointer file in _current/; a writer killed at any instant leaves every other partition, and
its own last publication, readable.

--shard K/N: this process judges the devices (and the cases) that hash to K and holds only their
files, plus the copies of shared content and the files of its cases that the rules compare
across devices; run N of them (K = 0..N-1) for the whole answer, which equals a single analysis.

Exit codes: 0 the analysis was published; 1 --fail-on found findings at that severity in this
shard; 2 invalid command line, configuration or context table; 3 no node has published, or the
warehouse cannot be read or written; 4 the analysis's own history does not verify.")]
    Analyse(AnalyseArgs),
    /// Check the warehouse's history: the hash chain of its commits, every table file
    /// re-hashed, signatures, an anchor log and export folders.
    #[command(after_help = "Examples:
  recaudit verify /srv/recaudit
  recaudit verify wh --public-key chain.pub.pem --anchor /mnt/worm/recaudit.anchor
  recaudit verify wh --export /media/usb/case-2026-0113 --json

Every commit (scan or export) writes a manifest into the warehouse's chain/ folder: the BLAKE3
and size of each table file it wrote, the files it dropped, and the BLAKE3 of the manifest
before it. verify walks that chain from its start to its head, re-hashes every table file of
the current and the previous snapshot in parallel, and names the run, table and file of each
difference: a row removed or a value changed (the file's BLAKE3), a file replaced or added, a
run folder deleted, the runs table rewritten, a run inserted, removed or reordered, a manifest
edited. With --public-key the chain head must carry a valid signature by that key; with
--anchor every head in the log must still be in the chain (a rewritten or rolled-back
history); with --export the folder's MANIFEST.csv must name a run and head of this chain, be
recorded by the export's own commit, and every copy must still hash as listed.

Exit codes: 0 the history verifies; 2 invalid command line or key file; 3 the warehouse,
anchor log or export folder cannot be read; 4 something does not verify (each problem is
printed, or listed under \"problems\" with --json).")]
    Verify(VerifyArgs),
    /// Make an Ed25519 key pair for signing the chain (FILE, and FILE.pub for verifiers).
    #[command(after_help = "Examples:
  recaudit keygen /etc/recaudit/chain.pem
  recaudit scan /srv/evidence -w /srv/recaudit --sign-key /etc/recaudit/chain.pem
  recaudit verify /copy/of/warehouse --public-key chain.pem.pub

The private key is written with mode 0600 and never overwritten; give the .pub file to anyone
who should check a copy of the warehouse. OpenSSL makes and reads the same files:
  openssl genpkey -algorithm ed25519 -out chain.pem
  openssl pkey -in chain.pem -pubout -out chain.pem.pub")]
    Keygen(KeygenArgs),
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
    /// A root earlier runs catalogued that is gone for good (its storage migrated to one of the
    /// ROOTs, or taken out of service): its files are judged missing by this run, `moved`
    /// where their bytes are under the ROOTs, else `deleted`. Without it such a root's rows are
    /// carried as a root not scanned this run. Not walked; need not exist.
    #[arg(long, value_name = "OLD_ROOT")]
    pub retire_root: Vec<PathBuf>,
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
    /// Decode H.264 and HEVC keyframes (MP4/MOV/3GP, AVI, MPEG-TS, MPEG-PS, Matroska, DAV, FLV) to
    /// read the
    /// recorder's burned-in clock: `boundary` reads
    /// each recording's first and last keyframe (and those between where the clock jumps; each
    /// device model's digits are learned once from two of its recordings), `all` every keyframe
    /// of the recordings read (a `keyframes` row each: for case review), `off` decodes nothing
    /// [default: the config's scan.keyframes, boundary].
    #[arg(long, value_enum, value_name = "MODE")]
    pub keyframes: Option<KeyframesArg>,
    #[command(flatten)]
    pub chain: ChainArgs,
    /// When the warehouse's history does not verify, start a new chain instead of refusing:
    /// the new chain records what did not verify, and the break becomes a finding
    /// (CHAIN-RESTART, 第二十八条(三)).
    #[arg(long)]
    pub new_chain: bool,
    /// Scan as storage node ID of a shared (province) warehouse: WAREHOUSE is then the shared
    /// folder; this node's tables are published into its `node=ID` partitions, and sessions and
    /// findings are left to `recaudit analyse` over every node's files (letters, digits, - and _).
    #[arg(long, value_name = "ID")]
    pub node: Option<String>,
    /// With --node: this node's own warehouse, where it commits before publishing [default:
    /// SHARED/_writers/node=ID; required when SHARED is an s3:// bucket: a local folder].
    #[arg(long, value_name = "DIR", requires = "node")]
    pub state: Option<PathBuf>,
}

/// The warehouse's hash chain, for the commands that commit (scan, export).
#[derive(clap::Args, Debug, Clone)]
pub struct ChainArgs {
    /// Before committing, re-hash up to this much of the earlier table files (bytes with an
    /// optional K/M/G/T suffix, or `all`); files whose time changed are always re-hashed.
    #[arg(long, value_name = "BYTES|all", value_parser = parse_chain_budget, default_value = "64M")]
    pub chain_budget: u64,
    /// Sign the commit's manifest with this Ed25519 private key (PKCS#8 PEM as `recaudit keygen`
    /// or `openssl genpkey -algorithm ed25519` writes it, or 64 hex digits). Only the fact of
    /// signing is recorded, never the key.
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
    /// Append the commit's chain head (run id, time, head, signature) to this append-only log,
    /// kept outside the warehouse (a WORM share, a mailed file).
    #[arg(long, value_name = "FILE")]
    pub anchor: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    /// Address to serve on (IP:PORT; port 0 picks a free one, printed once ready).
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// A shared warehouse in a bucket (s3://bucket/prefix) whose files the tasks read.
    #[arg(long, value_name = "SHARED")]
    pub warehouse: Option<PathBuf>,
    /// Configuration file (its [storage] table for a bucket).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Threads running tasks [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(clap::Args, Debug)]
pub struct AnalyseArgs {
    /// The shared warehouse: a folder, or s3://bucket/prefix (the --warehouse of the node scans).
    #[arg(value_name = "SHARED")]
    pub warehouse: PathBuf,
    /// Configuration file (time zone, rule settings); use the one the nodes use.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Context tables [default: SHARED/context when it exists].
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// This process's shard of the analysis, K/N (0 <= K < N).
    #[arg(long, value_name = "K/N", value_parser = parse_shard, default_value = "0/1")]
    pub shard: (u32, u32),
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Exit with code 1 when this shard has findings at least this severe.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    #[command(flatten)]
    pub chain: ChainArgs,
    /// When the analysis's own history does not verify, start a new chain instead of refusing.
    #[arg(long)]
    pub new_chain: bool,
    /// This shard's own warehouse, where it commits before publishing [default:
    /// SHARED/_writers/shard=K; required when SHARED is an s3:// bucket: a local folder].
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: give K/N, e.g. 0/4"))?;
    let k: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: K is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: N is not a number"))?;
    if n == 0 || k >= n || n > 4096 {
        return Err(format!("{s:?}: need 0 <= K < N <= 4096"));
    }
    Ok((k, n))
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The warehouse folder.
    #[arg(value_name = "WAREHOUSE")]
    pub warehouse: PathBuf,
    /// The chain head must be signed with this Ed25519 public key (PEM or 64 hex digits).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// An anchor log (written by `scan --anchor`): every head in it must be in the chain.
    #[arg(long, value_name = "FILE")]
    pub anchor: Option<PathBuf>,
    /// An export folder to check against the warehouse (repeatable).
    #[arg(long, value_name = "DIR")]
    pub export: Vec<PathBuf>,
    /// Only the cheap check a scan makes: links, sizes, and files whose time changed.
    #[arg(long)]
    pub quick: bool,
    /// Hashing threads [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the private key (FILE.pub gets the public key).
    #[arg(value_name = "FILE")]
    pub out: PathBuf,
}

/// `--chain-budget`: `all`, `64M`, `0`.
pub fn parse_chain_budget(s: &str) -> Result<u64, String> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(u64::MAX);
    }
    match parse_budget(s)? {
        VerifyPlan::Bytes(n) => Ok(n),
        _ => Err(format!("'{s}': give bytes (64M, 1G) or `all`")),
    }
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
pub enum KeyframesArg {
    Off,
    Boundary,
    All,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warn,
    High,
}

impl SeverityArg {
    pub(crate) fn severity(self) -> Severity {
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
    /// Only this device (repeatable). A number two recorders share is shown with its folder
    /// (`一大队/DSJ001`): either form selects it.
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

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangArg {
    /// Chinese
    Zh,
    /// English (article numbers stay in Chinese, with their gloss)
    En,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionArg {
    Summary,
    People,
    Devices,
    Cases,
    Findings,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The warehouse folder written by `recaudit scan`.
    #[arg(value_name = "WAREHOUSE")]
    pub warehouse: PathBuf,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// First day of the period (local date YYYY-MM-DD) [default: the first day of last month].
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// First day after the period (exclusive) [default: the first day of this month, or one
    /// month after --from].
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Only these units (repeat for several) [default: every unit].
    #[arg(long, value_name = "UNIT")]
    pub unit: Vec<String>,
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// Only these sections (repeat for several) [default: all, in order].
    #[arg(long, value_enum, value_name = "SECTION")]
    pub only: Vec<SectionArg>,
    /// Also print the report to this PDF file with a headless Chromium.
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,
    /// The Chromium (or Chrome) executable for --pdf [default: $RECAUDIT_CHROMIUM, then
    /// chromium, chromium-browser, google-chrome on PATH].
    #[arg(long, value_name = "PATH")]
    pub chromium: Option<PathBuf>,
    /// List at most this many findings in detail (the rest are counted).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub max_findings: usize,
    /// Context tables [default: WAREHOUSE/context].
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// Configuration file (for the time zone).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    #[command(flatten)]
    pub chain: ChainArgs,
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
    /// Print the query (a named analysis with its parameters filled in) as ENGINE's SQL instead
    /// of running it: planned against this warehouse's tables and written back in that
    /// engine's dialect, for running the same analysis outside recaudit.
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub sql_for: Option<SqlEngineArg>,
    /// Run the query across these `recaudit worker` processes (comma-separated
    /// http://HOST:PORT): planned here, its stages' tasks executed on the workers.
    #[arg(long, value_name = "URL,...", value_delimiter = ',')]
    pub workers: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SqlEngineArg {
    /// DuckDB (tables as views of the same names: see the README's "A province").
    Duckdb,
    /// Spark SQL 4 (tables as temporary views of the same names).
    Spark,
}

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// Folder to write the tree into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of recorders.
    #[arg(long, default_value_t = 4)]
    pub devices: u32,
    /// Hours of recording per recorder (spread evenly over --days).
    #[arg(long, default_value_t = 1.0)]
    pub hours: f64,
    /// Days the recording is spread over, from 2026-03-12, each starting about 08:00.
    #[arg(long, default_value_t = 1)]
    pub days: u32,
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
    /// (each segment uploaded an hour after it ends), media_notes.csv (classified and described
    /// a day later), devices.csv, officers.csv, cases.csv and case_media.csv (a case every few
    /// recording days per recorder, and one case without footage), so that a scan with
    /// --context DIR judges deadlines, cases and their records on realistic data.
    #[arg(long, value_name = "DIR")]
    pub context_out: Option<PathBuf>,
    /// Write the payload as a hole (sparse files): full-size, structurally complete recordings
    /// that take almost no disk, for benchmarks at realistic sizes.
    #[arg(long)]
    pub sparse: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_findings_help_names_every_kind() {
        use clap::CommandFactory;
        let mut cli = super::Cli::command();
        let help = cli
            .find_subcommand_mut("findings")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        let words: std::collections::HashSet<&str> = help
            .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .collect();
        for r in crate::rules::RULES {
            assert!(
                words.contains(r.kind),
                "`recaudit findings --help` does not name {}",
                r.kind
            );
        }
    }
}
