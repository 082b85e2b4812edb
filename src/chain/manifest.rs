//! The manifest a commit writes: what the run added to the warehouse and what it dropped, the
//! digest of every table file that the snapshot then holds, and the hash of the manifest before
//! it. Pure data: reading and writing happen in `chain::check` and `store::warehouse`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The value of `format` in every manifest this version writes.
pub const FORMAT: &str = "recaudit-chain/1";
/// The folder of a snapshot that holds the manifests (and their signatures).
pub const DIR: &str = "chain";
/// A manifest larger than this is not read (a real one is a few hundred bytes per table file
/// it lists: even a start manifest after years of nightly runs is a few MB).
pub const MAX_BYTES: u64 = 64 << 20;

/// One table file: where it is in the snapshot, its size and BLAKE3, the run that wrote it,
/// and its modification time when it was recorded (a hint for the cheap check: a file whose
/// time moved is re-hashed; the time is never evidence by itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub blake3: String,
    pub run: String,
    pub mtime_ns: i64,
}

/// The manifest before this one, by its place in the chain and the BLAKE3 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub seq: u64,
    pub run_id: String,
    pub blake3: String,
}

/// Set on the first manifest of a chain: a new warehouse, a warehouse written before chains
/// existed, or a restart after a broken history (`problems` then says what did not verify).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    pub reason: String,
    pub problems: Vec<String>,
}

/// How many table files the snapshot holds after the commit, their bytes, and the BLAKE3 of
/// their sorted list (see [`digest`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDigest {
    pub files: u64,
    pub bytes: u64,
    pub blake3: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// 0, 1, 2, ... in commit order; the file is `chain/<seq, 8 digits>-<run_id>.json`.
    pub seq: u64,
    pub run_id: String,
    /// `scan` or `export`.
    pub command: String,
    pub committed_us: i64,
    pub previous: Option<Link>,
    pub start: Option<Start>,
    /// The Ed25519 public key (hex) whose signature of this file's bytes is beside it as
    /// `<name>.sig`; absent when the run was not signed.
    pub signer: Option<String>,
    /// The run's settings, as in `runs.settings` (an export's: its id, destination, status and
    /// the BLAKE3 of its MANIFEST.csv).
    pub settings: serde_json::Value,
    /// The files this commit wrote (a start manifest: every file of the snapshot).
    pub added: Vec<Entry>,
    /// The files of the previous snapshot that this one no longer holds.
    pub removed: Vec<String>,
    pub state: StateDigest,
}

/// The snapshot's table files by path.
pub type State = BTreeMap<String, Entry>;

impl Manifest {
    /// The state after this commit, from the state after the previous one.
    pub fn apply(&self, state: &mut State) {
        if self.start.is_some() {
            state.clear();
        }
        for r in &self.removed {
            state.remove(r);
        }
        for a in &self.added {
            state.insert(a.path.clone(), a.clone());
        }
    }

    /// The bytes written to disk (and hashed into the next manifest's `previous`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    pub fn file_name(&self) -> String {
        file_name(self.seq, &self.run_id)
    }
}

pub fn file_name(seq: u64, run_id: &str) -> String {
    format!("{seq:08}-{run_id}.json")
}

/// `00000012-<run_id>.json` -> (12, run_id).
pub fn parse_name(name: &str) -> Option<(u64, &str)> {
    let stem = name.strip_suffix(".json")?;
    let (seq, run) = stem.split_once('-')?;
    if seq.len() != 8 || !seq.bytes().all(|b| b.is_ascii_digit()) || run.is_empty() {
        return None;
    }
    Some((seq.parse().ok()?, run))
}

/// The digest of a state: BLAKE3 over one `path\tsize\tblake3\n` line per file in path order
/// (the writing run and the time are not part of it: they say nothing about the bytes).
pub fn digest(state: &State) -> StateDigest {
    let mut h = blake3::Hasher::new();
    let mut bytes = 0u64;
    for e in state.values() {
        h.update(e.path.as_bytes());
        h.update(b"\t");
        h.update(e.size.to_string().as_bytes());
        h.update(b"\t");
        h.update(e.blake3.as_bytes());
        h.update(b"\n");
        bytes += e.size;
    }
    StateDigest {
        files: state.len() as u64,
        bytes,
        blake3: h.finalize().to_hex().to_string(),
    }
}

/// BLAKE3 of a manifest's bytes: its place in the chain as the next one names it.
pub fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(p: &str, b: &str) -> Entry {
        Entry {
            path: p.into(),
            size: 3,
            blake3: b.into(),
            run: "r".into(),
            mtime_ns: 0,
        }
    }

    #[test]
    fn names_round_trip_and_odd_names_are_refused() {
        assert_eq!(
            file_name(12, "20261202T1-ab"),
            "00000012-20261202T1-ab.json"
        );
        assert_eq!(
            parse_name("00000012-20261202T1-ab.json"),
            Some((12, "20261202T1-ab"))
        );
        for bad in [
            "12-x.json",
            "0000001a-x.json",
            "00000012-.json",
            "00000012-x.sig",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_digest_changes_with_any_byte_of_any_file_and_not_with_times() {
        let mut s = State::new();
        s.insert("a/1".into(), entry("a/1", "aa"));
        s.insert("b/2".into(), entry("b/2", "bb"));
        let d = digest(&s);
        assert_eq!((d.files, d.bytes), (2, 6));
        let mut t = s.clone();
        t.get_mut("b/2").unwrap().blake3 = "bc".into();
        assert_ne!(digest(&t).blake3, d.blake3);
        let mut u = s.clone();
        u.get_mut("a/1").unwrap().mtime_ns = 99;
        assert_eq!(digest(&u).blake3, d.blake3);
    }
}
