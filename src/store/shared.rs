//! A shared warehouse: one set of tables written by many processes — a scanner per storage
//! node and one or more analysis processes — and read as one.
//!
//! ```text
//! SHARED/
//!   <table>/node=<id>/part-<hash>-<file>.parquet  what node <id>'s scanner published: files, streams,
//!                                                 custody_events, keyframes, osd_fonts, runs
//!   <table>/shard=<k>/part-<hash>-<file>.parquet  what analysis shard k published: sessions, findings,
//!                                                 case_items, file_sessions
//!   _current/node=<id>.json                       each writer's published parts: replacing this one
//!   _current/shard=<k>.json                       file (write, sync, rename) is the writer's commit
//!   _writers/node=<id>/, _writers/shard=<k>/      each writer's own warehouse (the county layout:
//!                                                 snapshots, hash chain, lock), from which it publishes;
//!                                                 in a bucket, a local folder given with --state instead
//!   context/                                      the bureau's context tables, shared by every writer
//! ```
//!
//! The shared warehouse is a folder or a prefix of an S3-compatible bucket ([`super::remote`]).
//! Every writer commits to its own warehouse first (atomic, sealed on its own chain, exactly as
//! a county scan), then publishes: its tables' files are linked (a folder) or uploaded (a
//! bucket) into its partition under names that carry a hash of their content (a file already
//! published, such as an earlier run's history, is not sent again), its pointer is replaced in
//! one step (`rename`; a single PUT, which S3 applies whole), and only then are its earlier
//! parts removed. A writer killed at any instant leaves its pointer on parts that
//! still exist, and never touches another writer's partition or pointer; its next run
//! publishes again and removes what the killed one left. Readers that follow the pointers
//! ([`View`]) always see each writer's last publication whole; tools that read the folders
//! directly (DuckDB, Spark) see the same rows except while a writer is publishing or after
//! one was killed mid-publication, until its next run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StoreError;

/// The tables a node's scanner publishes (its own files and their history).
pub const NODE_TABLES: [&str; 6] = [
    "files",
    "streams",
    "custody_events",
    "keyframes",
    "osd_fonts",
    "runs",
];

/// The tables the analysis publishes (judgements over the union of the nodes).
pub const ANALYSIS_TABLES: [&str; 4] = ["sessions", "findings", "case_items", "file_sessions"];

/// Which writer a partition belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Writer {
    /// A scanner, by its node id.
    Node(String),
    /// Analysis shard `k` of `of`.
    Shard { k: u32, of: u32 },
}

impl Writer {
    /// The partition folder name, `node=<id>` or `shard=<k>`.
    pub fn partition(&self) -> String {
        match self {
            Writer::Node(id) => format!("node={id}"),
            Writer::Shard { k, .. } => format!("shard={k}"),
        }
    }

    fn tables(&self) -> &'static [&'static str] {
        match self {
            Writer::Node(_) => &NODE_TABLES,
            Writer::Shard { .. } => &ANALYSIS_TABLES,
        }
    }
}

/// A node id as given on the command line: it names folders, so it is kept to letters,
/// digits, `-` and `_` (1-64 of them).
pub fn check_node_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 {
        return Err(format!("node id {id:?}: give 1 to 64 characters"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "node id {id:?}: {c:?} is not allowed (letters, digits, '-' and '_' only: the id names folders)"
        ));
    }
    Ok(())
}

/// One writer's published state: the content of `_current/<partition>.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pointer {
    /// `node=<id>` or `shard=<k>`.
    pub writer: String,
    /// The run whose tables are published.
    pub run_id: String,
    /// For an analysis shard, how many shards the analysis was split into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u32>,
    /// When the pointer was written (microseconds since the epoch).
    pub published_us: i64,
    /// A node's scan roots (the analysis resolves the context tables' relative paths against
    /// every node's roots).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<String>,
    /// Per table, its parts relative to the shared warehouse.
    pub parts: BTreeMap<String, Vec<String>>,
}

/// Where the shared warehouse lives.
enum Place {
    Folder(PathBuf),
    Bucket(super::remote::Bucket),
}

/// An open shared warehouse.
pub struct Shared {
    place: Place,
    /// Local copies of objects read from a bucket (removed when dropped).
    scratch: Option<Scratch>,
}

/// A temporary folder of this process, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sync_dir(p: &Path) -> Result<(), StoreError> {
    fs::File::open(p).and_then(|f| f.sync_all()).map_err(io(p))
}

/// Whether `dir` is laid out as a shared warehouse (it has `_current/`, or is a bucket).
pub fn is_shared(dir: &Path) -> bool {
    super::remote::is_bucket(dir) || dir.join(CURRENT).is_dir()
}

const CURRENT: &str = "_current";
const WRITERS: &str = "_writers";

/// The published name of a snapshot file: a hash of its content, then its own name.
fn published_name(file: &Path, name: &str) -> Result<String, StoreError> {
    let mut h = blake3::Hasher::new();
    h.update_reader(fs::File::open(file).map_err(io(file))?)
        .map_err(io(file))?;
    Ok(format!("part-{}-{name}", &h.finalize().to_hex()[..16]))
}

impl Shared {
    /// Opens (creating if needed) a shared warehouse: a folder, or `s3://bucket/prefix`. A
    /// county warehouse (one with a `current` snapshot) is refused: the layouts do not mix.
    pub fn open(
        location: &Path,
        storage: &crate::config::StorageSettings,
    ) -> Result<Shared, StoreError> {
        if super::remote::is_bucket(location) {
            return Ok(Shared {
                place: Place::Bucket(super::remote::Bucket::open(location, storage)?),
                scratch: None,
            });
        }
        let root = location;
        if root.join("current").exists() || root.join("snapshots").exists() {
            return Err(StoreError::Invalid {
                path: root.to_path_buf(),
                message: "this is a single-server warehouse (it has current/ and snapshots/); \
                          give a shared warehouse its own folder"
                    .into(),
            });
        }
        let cur = root.join(CURRENT);
        fs::create_dir_all(&cur).map_err(io(&cur))?;
        Ok(Shared {
            place: Place::Folder(root.to_path_buf()),
            scratch: None,
        })
    }

    /// The bucket, when the warehouse is in one.
    pub fn bucket(&self) -> Option<&super::remote::Bucket> {
        match &self.place {
            Place::Bucket(b) => Some(b),
            Place::Folder(_) => None,
        }
    }

    /// The writer's own warehouse (county layout) where it commits before publishing:
    /// `_writers/<partition>` of a shared folder; none for a bucket (give one with --state).
    pub fn writer_dir(&self, w: &Writer) -> Option<PathBuf> {
        match &self.place {
            Place::Folder(root) => Some(root.join(WRITERS).join(w.partition())),
            Place::Bucket(_) => None,
        }
    }

    /// Publishes the writer's committed `snapshot` (a county snapshot folder) as run `run_id`:
    /// puts its tables into the writer's partition, replaces the writer's pointer, then
    /// removes the writer's parts the pointer no longer names.
    pub fn publish(
        &self,
        w: &Writer,
        snapshot: &Path,
        run_id: &str,
        published_us: i64,
        roots: &[String],
    ) -> Result<Pointer, StoreError> {
        let part = w.partition();
        let before: BTreeSet<String> = self
            .pointer(&part)?
            .map(|p| p.parts.into_values().flatten().collect())
            .unwrap_or_default();
        let mut parts: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for &table in w.tables() {
            let files = super::prior::parts(&snapshot.join(table));
            if files.is_empty() {
                continue;
            }
            let mut names = Vec::new();
            for f in files {
                let Some(name) = f.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                let rel = format!("{table}/{part}/{}", published_name(&f, &name)?);
                if !before.contains(&rel) {
                    self.put_part(&f, &rel)?;
                }
                names.push(rel);
            }
            if let Place::Folder(root) = &self.place {
                sync_dir(&root.join(table).join(&part))?;
            }
            parts.insert(table.to_string(), names);
        }
        // Test hook: hold a publication whose parts are in place but whose pointer is not yet
        // replaced, so a test can kill the writer there.
        if let Some(ms) = std::env::var("RECAUDIT_TEST_PAUSE_BEFORE_POINTER_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        let pointer = Pointer {
            writer: part.clone(),
            run_id: run_id.to_string(),
            shards: match w {
                Writer::Shard { of, .. } => Some(*of),
                Writer::Node(_) => None,
            },
            published_us,
            roots: roots.to_vec(),
            parts,
        };
        self.write_pointer(&pointer)?;
        self.remove_unlisted(w, &pointer)?;
        Ok(pointer)
    }

    /// One part into place under its final name, never seen half-written.
    fn put_part(&self, from: &Path, rel: &str) -> Result<(), StoreError> {
        match &self.place {
            Place::Bucket(b) => b.upload(from, rel),
            Place::Folder(root) => {
                let target = root.join(rel);
                if let Some(dir) = target.parent() {
                    fs::create_dir_all(dir).map_err(io(dir))?;
                }
                if target.exists() || fs::hard_link(from, &target).is_ok() {
                    return Ok(());
                }
                // Another file system: copy under a temporary name, then rename.
                let tmp = target.with_file_name(format!(
                    ".tmp-{}",
                    target
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ));
                fs::copy(from, &tmp).map_err(io(&tmp))?;
                fs::File::open(&tmp)
                    .and_then(|h| h.sync_all())
                    .map_err(io(&tmp))?;
                fs::rename(&tmp, &target).map_err(io(&target))
            }
        }
    }

    fn pointer(&self, partition: &str) -> Result<Option<Pointer>, StoreError> {
        let rel = format!("{CURRENT}/{partition}.json");
        let text = match &self.place {
            Place::Folder(root) => match fs::read(root.join(&rel)) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io(&root.join(&rel))(e)),
            },
            Place::Bucket(b) => {
                if !b.list(CURRENT)?.contains(&rel) {
                    return Ok(None);
                }
                b.get(&rel)?
            }
        };
        parse_pointer(&text, &rel).map(Some)
    }

    fn write_pointer(&self, p: &Pointer) -> Result<(), StoreError> {
        let rel = format!("{CURRENT}/{}.json", p.writer);
        let text = serde_json::to_vec_pretty(p).map_err(|e| StoreError::Invalid {
            path: PathBuf::from(&rel),
            message: e.to_string(),
        })?;
        match &self.place {
            Place::Bucket(b) => b.put(&rel, text),
            Place::Folder(root) => {
                let cur = root.join(CURRENT);
                let tmp = cur.join(format!(".{}.json.tmp", p.writer));
                fs::write(&tmp, text).map_err(io(&tmp))?;
                fs::File::open(&tmp)
                    .and_then(|f| f.sync_all())
                    .map_err(io(&tmp))?;
                let fin = root.join(&rel);
                fs::rename(&tmp, &fin).map_err(io(&fin))?;
                sync_dir(&cur)
            }
        }
    }

    /// Removes the writer's files that its pointer does not name (the previous publication,
    /// and whatever a killed publication left).
    fn remove_unlisted(&self, w: &Writer, p: &Pointer) -> Result<(), StoreError> {
        let keep: BTreeSet<&str> = p.parts.values().flatten().map(String::as_str).collect();
        let part = w.partition();
        for &table in w.tables() {
            let dir = format!("{table}/{part}");
            match &self.place {
                Place::Folder(root) => {
                    let Ok(rd) = fs::read_dir(root.join(&dir)) else {
                        continue;
                    };
                    for e in rd.flatten() {
                        let rel = format!("{dir}/{}", e.file_name().to_string_lossy());
                        if !keep.contains(rel.as_str()) {
                            let _ = fs::remove_file(e.path());
                        }
                    }
                }
                Place::Bucket(b) => {
                    for rel in b.list(&dir)? {
                        if !keep.contains(rel.as_str()) {
                            b.delete(&rel)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Every writer's current publication, read from the pointers.
    pub fn view(&self) -> Result<View, StoreError> {
        let names: Vec<String> = match &self.place {
            Place::Folder(root) => match fs::read_dir(root.join(CURRENT)) {
                Ok(rd) => rd
                    .flatten()
                    .map(|e| format!("{CURRENT}/{}", e.file_name().to_string_lossy()))
                    .collect(),
                Err(_) => Vec::new(),
            },
            Place::Bucket(b) => b.list(CURRENT)?,
        };
        let mut names: Vec<String> = names
            .into_iter()
            .filter(|n| {
                n.ends_with(".json") && !n.rsplit('/').next().is_some_and(|f| f.starts_with('.'))
            })
            .collect();
        names.sort();
        let mut pointers = Vec::new();
        for rel in names {
            let text = match &self.place {
                Place::Folder(root) => fs::read(root.join(&rel)).map_err(io(&root.join(&rel)))?,
                Place::Bucket(b) => b.get(&rel)?,
            };
            pointers.push(parse_pointer(&text, &rel)?);
        }
        View::from_pointers(pointers)
    }

    /// Where a query engine reads each part of `table`: a file path, or an `s3://` URL.
    pub fn locations(&self, view: &View, table: &str) -> Vec<String> {
        view.parts(table)
            .iter()
            .map(|rel| match &self.place {
                Place::Folder(root) => root.join(rel).to_string_lossy().into_owned(),
                Place::Bucket(b) => b.url_of(rel),
            })
            .collect()
    }

    /// The parts of `table` as local files: in place for a folder, downloaded from a bucket.
    pub fn local_parts(&mut self, view: &View, table: &str) -> Result<Vec<PathBuf>, StoreError> {
        match &self.place {
            Place::Folder(root) => Ok(view.parts(table).iter().map(|r| root.join(r)).collect()),
            Place::Bucket(_) => {
                let scratch = self.scratch()?;
                let mut out = Vec::new();
                for rel in view.parts(table) {
                    let to = scratch.join(rel);
                    if let Place::Bucket(b) = &self.place {
                        b.download(rel, &to)?;
                    }
                    out.push(to);
                }
                Ok(out)
            }
        }
    }

    /// The shared context folder: `context/` of a folder, or the bucket's `context/` objects
    /// downloaded; none when there is none.
    pub fn context_dir(&mut self) -> Result<Option<PathBuf>, StoreError> {
        match &self.place {
            Place::Folder(root) => Ok(Some(root.join("context")).filter(|d| d.is_dir())),
            Place::Bucket(_) => {
                let names = match &self.place {
                    Place::Bucket(b) => b.list("context")?,
                    Place::Folder(_) => Vec::new(),
                };
                if names.is_empty() {
                    return Ok(None);
                }
                let dir = self.scratch()?;
                for rel in &names {
                    if let Place::Bucket(b) = &self.place {
                        b.download(rel, &dir.join(rel))?;
                    }
                }
                Ok(Some(dir.join("context")))
            }
        }
    }

    fn scratch(&mut self) -> Result<PathBuf, StoreError> {
        if self.scratch.is_none() {
            let dir = std::env::temp_dir().join(format!(
                "recaudit-shared-{}-{}",
                std::process::id(),
                crate::scan::now_us()
            ));
            fs::create_dir_all(&dir).map_err(io(&dir))?;
            self.scratch = Some(Scratch(dir));
        }
        Ok(self
            .scratch
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or_default())
    }
}

fn parse_pointer(text: &[u8], rel: &str) -> Result<Pointer, StoreError> {
    let ptr: Pointer = serde_json::from_slice(text).map_err(|e| StoreError::Invalid {
        path: PathBuf::from(rel),
        message: format!("not a publication pointer: {e}"),
    })?;
    for r in ptr.parts.values().flatten() {
        if r.split('/').any(|c| c == ".." || c == "." || c.is_empty()) || r.starts_with('/') {
            return Err(StoreError::Invalid {
                path: PathBuf::from(rel),
                message: format!("part {r:?} leaves the warehouse"),
            });
        }
    }
    Ok(ptr)
}

/// What a reader sees: per table, the parts every writer currently publishes.
#[derive(Debug, Default)]
pub struct View {
    pub nodes: Vec<Pointer>,
    /// The shards of the latest analysis (shards of an earlier split into another number of
    /// shards are left out).
    pub shards: Vec<Pointer>,
    /// The parts (relative to the warehouse), per table, in writer then name order.
    pub tables: BTreeMap<String, Vec<String>>,
}

impl View {
    fn from_pointers(pointers: Vec<Pointer>) -> Result<View, StoreError> {
        let mut view = View::default();
        for ptr in pointers {
            if ptr.writer.starts_with("node=") {
                view.nodes.push(ptr);
            } else {
                view.shards.push(ptr);
            }
        }
        // Only the shards of the newest split: after a change from 4 shards to 2, the old
        // shards 2 and 3 are no longer part of the answer.
        if let Some(latest) = view.shards.iter().max_by_key(|p| p.published_us) {
            let n = latest.shards;
            view.shards.retain(|p| p.shards == n);
        }
        for ptr in view.nodes.iter().chain(&view.shards) {
            for (table, parts) in &ptr.parts {
                view.tables
                    .entry(table.clone())
                    .or_default()
                    .extend(parts.iter().cloned());
            }
        }
        Ok(view)
    }

    /// The parts of `table` (none when no writer published it), relative to the warehouse.
    pub fn parts(&self, table: &str) -> &[String] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(dir: &Path, tables: &[(&str, &str, &str)]) {
        for (t, f, content) in tables {
            fs::create_dir_all(dir.join(t)).unwrap();
            fs::write(dir.join(t).join(f), content).unwrap();
        }
    }

    fn open(root: &Path) -> Shared {
        Shared::open(root, &crate::config::StorageSettings::default()).unwrap()
    }

    #[test]
    fn a_publication_replaces_the_writers_parts_and_leaves_others_alone() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("shared");
        let sh = open(&root);
        let a = Writer::Node("a".into());
        let b = Writer::Node("b".into());
        let s1 = d.path().join("s1");
        snapshot(
            &s1,
            &[
                ("files", "part-00000.parquet", "one"),
                ("sessions", "x.parquet", "x"),
                ("runs", "run-r1.parquet", "r1"),
            ],
        );
        sh.publish(&a, &s1, "r1", 1, &[]).unwrap();
        sh.publish(&b, &s1, "r2", 2, &[]).unwrap();
        let first: Vec<String> = sh.view().unwrap().parts("files").to_vec();
        let s3 = d.path().join("s3");
        snapshot(
            &s3,
            &[
                ("files", "part-00000.parquet", "three"),
                ("runs", "run-r1.parquet", "r1"),
                ("runs", "run-r3.parquet", "r3"),
            ],
        );
        sh.publish(&a, &s3, "r3", 3, &[]).unwrap();
        let v = sh.view().unwrap();
        assert_eq!(v.nodes.len(), 2);
        let files = v.parts("files");
        assert_eq!(files.len(), 2);
        assert!(
            files[0].starts_with("files/node=a/part-") && files[0].ends_with("-part-00000.parquet")
        );
        assert_ne!(files[0], first[0], "new content, new name");
        assert_eq!(files[1], first[1], "node b untouched");
        // A node publishes only node tables; a's first part is gone, b's is there.
        assert!(!root.join("sessions").exists());
        assert!(!root.join(&first[0]).exists());
        assert!(root.join(&first[1]).exists());
        // The history file published before keeps its name; the new one joins it.
        let runs: Vec<&String> = v
            .parts("runs")
            .iter()
            .filter(|r| r.contains("node=a"))
            .collect();
        assert_eq!(runs.len(), 2);
        assert_eq!(v.nodes[0].run_id, "r3");
    }

    #[test]
    fn only_the_newest_split_of_the_analysis_is_read() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("shared");
        let sh = open(&root);
        for k in 0..3 {
            let s = d.path().join(format!("s{k}"));
            snapshot(&s, &[("findings", "part-00000.parquet", "f")]);
            sh.publish(
                &Writer::Shard { k, of: 3 },
                &s,
                &format!("r{k}"),
                10 + i64::from(k),
                &[],
            )
            .unwrap();
        }
        for k in 0..2 {
            let s = d.path().join(format!("q{k}"));
            snapshot(&s, &[("findings", "part-00000.parquet", "g")]);
            sh.publish(
                &Writer::Shard { k, of: 2 },
                &s,
                &format!("q{k}"),
                20 + i64::from(k),
                &[],
            )
            .unwrap();
        }
        let v = sh.view().unwrap();
        assert_eq!(v.shards.len(), 2);
        assert_eq!(v.parts("findings").len(), 2);
    }

    #[test]
    fn a_pointer_naming_a_part_outside_the_warehouse_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("shared");
        let sh = open(&root);
        fs::write(
            root.join("_current/node=x.json"),
            r#"{"writer":"node=x","run_id":"r","published_us":1,"parts":{"files":["../../etc/passwd"]}}"#,
        )
        .unwrap();
        let e = sh.view().unwrap_err().to_string();
        assert!(e.contains("leaves the warehouse"), "{e}");
    }

    #[test]
    fn node_ids_name_folders_safely() {
        assert!(check_node_id("store-07_b").is_ok());
        for bad in ["", "a/b", "..", "a b", "节点"] {
            assert!(check_node_id(bad).is_err(), "{bad}");
        }
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("current")).unwrap();
        assert!(Shared::open(d.path(), &crate::config::StorageSettings::default()).is_err());
    }
}
