//! A property: after any sequence of changes to the tree (create, modify, touch, delete,
//! move, restore), an incremental rescan holds exactly what a full scan of the same tree holds,
//! and records exactly the custody event each change calls for. Sequences are drawn from a
//! seeded generator, so a failure names its seed and step and replays.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::util::*;

/// xorshift64*: small, seeded, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The sample tree's files: the pool new files are made from.
fn pool() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&sample_data(), &sample_data(), &mut out);
    out.sort();
    out
}

/// Bytes no other file of the run has had: flip one byte in the second half (headers stay
/// readable more often), chosen by a counter that never repeats.
fn unique(mut bytes: Vec<u8>, counter: u64) -> Vec<u8> {
    let len = bytes.len() as u64;
    let at = (len / 2 + (counter * 7919) % (len / 2)) as usize;
    bytes[at] ^= (counter % 255 + 1) as u8;
    bytes
}

/// What the tree holds now (relative path -> bytes), and what was deleted (for restores).
struct Tree {
    root: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
    deleted: BTreeMap<String, Vec<u8>>,
    counter: u64,
}

impl Tree {
    fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    /// A path for a new file: in a pool file's folder, under a name no file has had.
    fn fresh_path(&mut self, like: &str) -> String {
        self.counter += 1;
        let (dir, name) = like.rsplit_once('/').unwrap_or(("", like));
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        let stem = format!("new{:04}.{ext}", self.counter);
        if dir.is_empty() {
            stem
        } else {
            format!("{dir}/{stem}")
        }
    }
    /// Applies one random change to a file not yet changed this step; returns the custody
    /// event it must cause (kind, relative path).
    fn change(
        &mut self,
        rng: &mut Rng,
        pool: &[(String, Vec<u8>)],
        touched: &mut Vec<String>,
    ) -> Option<(&'static str, String)> {
        let free: Vec<String> = self
            .files
            .keys()
            .filter(|k| !touched.contains(k))
            .cloned()
            .collect();
        let op = rng.below(6);
        let pick = |rng: &mut Rng| free.get(rng.below(free.len().max(1))).cloned();
        let (event, rel) = match op {
            0 => {
                let (like, bytes) = &pool[rng.below(pool.len())];
                let rel = self.fresh_path(like);
                self.counter += 1;
                let bytes = unique(bytes.clone(), self.counter);
                self.write(&rel, &bytes);
                self.files.insert(rel.clone(), bytes);
                ("new", rel)
            }
            1 => {
                let rel = pick(rng)?;
                self.counter += 1;
                let bytes = unique(self.files[&rel].clone(), self.counter);
                self.write(&rel, &bytes);
                self.files.insert(rel.clone(), bytes);
                ("modified", rel)
            }
            2 => {
                let rel = pick(rng)?;
                let p = self.root.join(&rel);
                let t =
                    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + self.counter * 60);
                self.counter += 1;
                fs::File::options()
                    .write(true)
                    .open(&p)
                    .unwrap()
                    .set_modified(t)
                    .unwrap();
                ("metadata_changed", rel)
            }
            3 => {
                let rel = pick(rng)?;
                fs::remove_file(self.root.join(&rel)).unwrap();
                let bytes = self.files.remove(&rel).unwrap();
                self.deleted.insert(rel.clone(), bytes);
                ("deleted", rel)
            }
            4 => {
                let from = pick(rng)?;
                let to = self.fresh_path(&from);
                fs::create_dir_all(self.root.join(&to).parent().unwrap()).unwrap();
                fs::rename(self.root.join(&from), self.root.join(&to)).unwrap();
                let bytes = self.files.remove(&from).unwrap();
                self.files.insert(to.clone(), bytes);
                touched.push(from);
                ("moved", to)
            }
            _ => {
                let rel = self
                    .deleted
                    .keys()
                    .find(|k| !touched.contains(k))
                    .cloned()?;
                let bytes = self.deleted.remove(&rel).unwrap();
                // Another file may hold these bytes now only if it was made from them: never,
                // since every new file's bytes are unique.
                self.write(&rel, &bytes);
                self.files.insert(rel.clone(), bytes);
                ("restored", rel)
            }
        };
        touched.push(rel.clone());
        Some((event, rel))
    }
}

fn table_key(dir: &Path, skip: &[&str], skip_kinds: &[&str]) -> Vec<Vec<(String, Option<String>)>> {
    let mut v: Vec<Vec<(String, Option<String>)>> = rows(dir)
        .into_iter()
        .filter(|r| {
            !r.get("kind")
                .and_then(|k| k.as_deref())
                .is_some_and(|k| skip_kinds.contains(&k))
        })
        .map(|r| {
            let mut cols: Vec<(String, Option<String>)> = r
                .into_iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()))
                .collect();
            cols.sort();
            cols
        })
        .collect();
    v.sort();
    v
}

#[test]
fn an_incremental_rescan_equals_a_full_scan_after_any_changes() {
    let pool = pool();
    assert!(pool.len() >= 8, "the sample tree is the pool");
    let cfg = no_birth_time();
    let per_run = ["run_id", "first_seen", "last_seen", "last_verified"];
    // Findings that come from the custody history, which a fresh warehouse does not have.
    let history = ["modified", "deleted", "deleted_before_retention"];
    let mut steps_checked = 0;
    let mut kinds_seen = std::collections::BTreeSet::new();
    for seed in [1u64, 7, 42] {
        let t = tmp();
        let mut tree = Tree {
            root: t.path().join("ev"),
            files: BTreeMap::new(),
            deleted: BTreeMap::new(),
            counter: seed * 1000,
        };
        for (rel, bytes) in &pool {
            tree.write(rel, bytes);
            tree.files.insert(rel.clone(), bytes.clone());
        }
        let inc = t.path().join("inc");
        let ev = tree.root.clone();
        let run = |wh: &Path| {
            let out = scan(&[&ev], wh, &["-c", &cfg]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&inc);
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for step in 0..5 {
            let mut touched = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..1 + rng.below(4) {
                if let Some(e) = tree.change(&mut rng, &pool, &mut touched) {
                    expected.push(e);
                }
            }
            run(&inc);
            let full = t.path().join(format!("full-{step}"));
            run(&full);
            let at = format!("seed {seed}, step {step}, changes {expected:?}");
            // The custody events of the incremental run are exactly the changes made.
            let runs = rows(&inc.join("runs"));
            let last = runs
                .iter()
                .filter_map(|r| get(r, "run_id"))
                .max()
                .unwrap()
                .to_string();
            let root = format!("{}/", tree.root.display());
            let mut got: Vec<(String, String)> = rows(&inc.join("custody_events"))
                .iter()
                .filter(|e| get(e, "run_id") == Some(last.as_str()))
                .map(|e| {
                    let p = get(e, "path").unwrap();
                    (
                        get(e, "event").unwrap().to_string(),
                        p.strip_prefix(&root).unwrap_or(p).to_string(),
                    )
                })
                .collect();
            got.sort();
            let mut want: Vec<(String, String)> = expected
                .iter()
                .map(|(k, p)| (k.to_string(), p.clone()))
                .collect();
            want.sort();
            kinds_seen.extend(expected.iter().map(|(k, _)| *k));
            assert_eq!(got, want, "custody events at {at}");
            // The catalogue is the one a full scan makes.
            assert_eq!(
                table_key(&inc.join("files"), &per_run, &[]),
                table_key(&full.join("files"), &per_run, &[]),
                "files at {at}"
            );
            assert_eq!(
                table_key(&inc.join("streams"), &["run_id"], &[]),
                table_key(&full.join("streams"), &["run_id"], &[]),
                "streams at {at}"
            );
            assert_eq!(
                table_key(&inc.join("sessions"), &["run_id"], &[]),
                table_key(&full.join("sessions"), &["run_id"], &[]),
                "sessions at {at}"
            );
            let fcols = ["run_id", "finding_id", "details"];
            assert_eq!(
                table_key(&inc.join("findings"), &fcols, &history),
                table_key(&full.join("findings"), &fcols, &history),
                "findings at {at}"
            );
            steps_checked += 1;
        }
    }
    assert_eq!(steps_checked, 15);
    // The seeds are chosen so that every kind of change happens (the property is not vacuous).
    assert_eq!(
        kinds_seen.into_iter().collect::<Vec<_>>(),
        [
            "deleted",
            "metadata_changed",
            "modified",
            "moved",
            "new",
            "restored"
        ]
    );
}
