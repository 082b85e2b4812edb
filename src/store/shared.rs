//! A shared warehouse: one set of tables written by many processes — a scanner per storage
//! node and one or more analysis processes — and read as one.
//!
//! ```text
//! SHARED/
//!   <table>/node=<id>/part-<run>-<file>.parquet   what node <id>'s scanner published: files, streams,
//!                                                 custody_events, keyframes, osd_fonts, runs
//!   <table>/shard=<k>/part-<run>-<file>.parquet   what analysis shard k published: sessions, findings,
//!                                                 case_items, file_sessions
//!   _current/node=<id>.json                       each writer's published parts: replacing this one
//!   _current/shard=<k>.json                       file (write, sync, rename) is the writer's commit
//!   _writers/node=<id>/, _writers/shard=<k>/      each writer's own warehouse (the county layout:
//!                                                 snapshots, hash chain, lock), from which it publishes
//!   context/                                      the bureau's context tables, shared by every writer
//! ```
//!
//! Every writer commits to its own warehouse first (atomic, sealed on its own chain, exactly as
//! a county scan), then publishes: its tables' files are linked (or copied) into its partition
//! under names that carry the run id, its pointer is replaced in one rename, and only then are
//! its earlier parts removed. A writer killed at any instant leaves its pointer on parts that
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

/// The shared warehouse's folder.
pub struct Shared {
    root: PathBuf,
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

/// Whether `dir` is laid out as a shared warehouse (it has `_current/`).
pub fn is_shared(dir: &Path) -> bool {
    dir.join(CURRENT).is_dir()
}

const CURRENT: &str = "_current";
const WRITERS: &str = "_writers";

impl Shared {
    /// Opens (creating if needed) a shared warehouse folder. A county warehouse (one with a
    /// `current` snapshot) is refused: the two layouts do not mix.
    pub fn open(root: &Path) -> Result<Shared, StoreError> {
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
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The writer's own warehouse (county layout), where it commits before publishing.
    pub fn writer_dir(&self, w: &Writer) -> PathBuf {
        self.root.join(WRITERS).join(w.partition())
    }

    /// Publishes the writer's committed `snapshot` (a county snapshot folder) as run `run_id`:
    /// links its tables into the writer's partition, replaces the writer's pointer, then
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
        let mut parts: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for &table in w.tables() {
            let from = snapshot.join(table);
            let files = super::prior::parts(&from);
            if files.is_empty() {
                continue;
            }
            let dir = self.root.join(table).join(&part);
            fs::create_dir_all(&dir).map_err(io(&dir))?;
            let mut names = Vec::new();
            for f in files {
                let Some(name) = f.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                let target_name = format!("part-{run_id}-{name}");
                let target = dir.join(&target_name);
                if !target.exists() && fs::hard_link(&f, &target).is_err() {
                    // Another file system: copy under a temporary name, then rename, so a
                    // half-copied part never carries a final name.
                    let tmp = dir.join(format!(".tmp-{target_name}"));
                    fs::copy(&f, &tmp).map_err(io(&tmp))?;
                    fs::File::open(&tmp)
                        .and_then(|h| h.sync_all())
                        .map_err(io(&tmp))?;
                    fs::rename(&tmp, &target).map_err(io(&target))?;
                }
                names.push(format!("{table}/{part}/{target_name}"));
            }
            sync_dir(&dir)?;
            parts.insert(table.to_string(), names);
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

    fn write_pointer(&self, p: &Pointer) -> Result<(), StoreError> {
        let cur = self.root.join(CURRENT);
        let tmp = cur.join(format!(".{}.json.tmp", p.writer));
        let text = serde_json::to_vec_pretty(p).map_err(|e| StoreError::Invalid {
            path: tmp.clone(),
            message: e.to_string(),
        })?;
        fs::write(&tmp, text).map_err(io(&tmp))?;
        fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        let fin = cur.join(format!("{}.json", p.writer));
        fs::rename(&tmp, &fin).map_err(io(&fin))?;
        sync_dir(&cur)
    }

    /// Removes the writer's files that its pointer does not name (the previous publication,
    /// and whatever a killed publication left).
    fn remove_unlisted(&self, w: &Writer, p: &Pointer) -> Result<(), StoreError> {
        let keep: BTreeSet<&str> = p.parts.values().flatten().map(String::as_str).collect();
        let part = w.partition();
        for &table in w.tables() {
            let dir = self.root.join(table).join(&part);
            let Ok(rd) = fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let rel = format!("{table}/{part}/{}", e.file_name().to_string_lossy());
                if !keep.contains(rel.as_str()) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    }

    /// Every writer's current publication, read from the pointers.
    pub fn view(&self) -> Result<View, StoreError> {
        View::read(&self.root)
    }
}

/// What a reader sees: per table, the parts every writer currently publishes.
#[derive(Debug, Default)]
pub struct View {
    pub nodes: Vec<Pointer>,
    /// The shards of the latest analysis (shards of an earlier split into another number of
    /// shards are left out).
    pub shards: Vec<Pointer>,
    /// Absolute paths of the parts, per table, in writer then name order.
    pub tables: BTreeMap<String, Vec<PathBuf>>,
}

impl View {
    /// Reads the pointers of the shared warehouse at `root` (none yet: an empty view).
    pub fn read(root: &Path) -> Result<View, StoreError> {
        let cur = root.join(CURRENT);
        let mut names: Vec<PathBuf> = match fs::read_dir(&cur) {
            Ok(rd) => rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "json")
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        let mut view = View::default();
        for p in names {
            let text = fs::read(&p).map_err(io(&p))?;
            let ptr: Pointer = serde_json::from_slice(&text).map_err(|e| StoreError::Invalid {
                path: p.clone(),
                message: format!("not a publication pointer: {e}"),
            })?;
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
                let v = view.tables.entry(table.clone()).or_default();
                for rel in parts {
                    if rel.split('/').any(|c| c == ".." || c.is_empty()) {
                        return Err(StoreError::Invalid {
                            path: cur.join(format!("{}.json", ptr.writer)),
                            message: format!("part {rel:?} leaves the warehouse"),
                        });
                    }
                    v.push(root.join(rel));
                }
            }
        }
        Ok(view)
    }

    /// The parts of `table` (none when no writer published it).
    pub fn parts(&self, table: &str) -> &[PathBuf] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(dir: &Path, tables: &[(&str, &str)]) {
        for (t, f) in tables {
            fs::create_dir_all(dir.join(t)).unwrap();
            fs::write(dir.join(t).join(f), b"PAR1").unwrap();
        }
    }

    #[test]
    fn a_publication_replaces_the_writers_parts_and_leaves_others_alone() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("shared");
        let sh = Shared::open(&root).unwrap();
        let a = Writer::Node("a".into());
        let b = Writer::Node("b".into());
        let s1 = d.path().join("s1");
        snapshot(
            &s1,
            &[("files", "part-00000.parquet"), ("sessions", "x.parquet")],
        );
        sh.publish(&a, &s1, "r1", 1, &[]).unwrap();
        sh.publish(&b, &s1, "r2", 2, &[]).unwrap();
        let s3 = d.path().join("s3");
        snapshot(
            &s3,
            &[("files", "part-00000.parquet"), ("runs", "run-r3.parquet")],
        );
        sh.publish(&a, &s3, "r3", 3, &[]).unwrap();
        let v = sh.view().unwrap();
        assert_eq!(v.nodes.len(), 2);
        let files: Vec<String> = v
            .parts("files")
            .iter()
            .map(|p| {
                p.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            files,
            [
                "files/node=a/part-r3-part-00000.parquet",
                "files/node=b/part-r2-part-00000.parquet"
            ]
        );
        // A node publishes only node tables; r1's part is gone, b's is untouched.
        assert!(!root.join("sessions").exists());
        assert!(
            !root
                .join("files/node=a/part-r1-part-00000.parquet")
                .exists()
        );
        assert!(
            root.join("files/node=b/part-r2-part-00000.parquet")
                .exists()
        );
        assert_eq!(v.parts("runs").len(), 1);
    }

    #[test]
    fn only_the_newest_split_of_the_analysis_is_read() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("shared");
        let sh = Shared::open(&root).unwrap();
        let s = d.path().join("s");
        snapshot(&s, &[("findings", "part-00000.parquet")]);
        for k in 0..3 {
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
    fn node_ids_name_folders_safely() {
        assert!(check_node_id("store-07_b").is_ok());
        for bad in ["", "a/b", "..", "a b", "节点"] {
            assert!(check_node_id(bad).is_err(), "{bad}");
        }
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("current")).unwrap();
        assert!(Shared::open(d.path()).is_err());
    }
}
