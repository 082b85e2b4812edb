//! Sealing a staged snapshot: carry the earlier manifests, list the snapshot's table files,
//! hash those the run wrote (unless the writer already did), and write the manifest that
//! links them to the chain head, with its signature when a key is given. Called by
//! `store::warehouse` just before the atomic switch, so a manifest is committed with its run
//! or not at all.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use ed25519_dalek::SigningKey;

use super::disk::{list_snapshot_files, mtime_ns};
use super::manifest::{self, DIR, Entry, Link, Manifest, State, digest};
use super::{Base, ChainError, sign};

/// What the commit is, for its manifest.
pub struct Seal<'a> {
    /// `scan` or `export`.
    pub command: &'a str,
    pub settings: serde_json::Value,
    pub key: Option<&'a SigningKey>,
}

/// The manifest a commit wrote: its place, the new chain head and the signature (hex).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Committed {
    /// The snapshot folder (the staging folder until the switch).
    pub dir: std::path::PathBuf,
    pub committed_us: i64,
    pub seq: u64,
    pub run_id: String,
    pub head: String,
    pub signature: Option<String>,
    pub manifest: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ChainError + '_ {
    move |source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Seals the staged snapshot `dir` of run `run_id`. `written`: the size and BLAKE3 of files the
/// run's writers hashed as they wrote; `carried`: files hard-linked from the previous snapshot
/// `previous` unchanged (their entries come from the base's state).
pub fn seal(
    dir: &Path,
    run_id: &str,
    written: &HashMap<String, (u64, String)>,
    carried: &std::collections::HashSet<String>,
    base: &Base,
    seal: &Seal,
) -> Result<Committed, ChainError> {
    let chain_dir = dir.join(DIR);
    let mut state = State::new();
    let mut added = Vec::new();
    for (rel, md) in list_snapshot_files(dir)? {
        let mtime = mtime_ns(&md);
        let kept = base
            .state
            .get(&rel)
            .filter(|e| carried.contains(&rel) && e.size == md.len());
        let entry = match kept {
            Some(e) => Entry {
                mtime_ns: mtime,
                ..e.clone()
            },
            None => {
                let (size, blake3) = match written.get(&rel) {
                    Some((s, h)) if *s == md.len() => (*s, h.clone()),
                    _ => {
                        let p = dir.join(&rel);
                        let (h, n) = super::disk::hash_file(&p).map_err(io(&p))?;
                        (n, h)
                    }
                };
                let e = Entry {
                    path: rel.clone(),
                    size,
                    blake3,
                    run: run_id.to_string(),
                    mtime_ns: mtime,
                };
                added.push(e.clone());
                e
            }
        };
        state.insert(rel, entry);
    }
    // A start has an empty base state: every file is added and none removed.
    let removed = base
        .state
        .keys()
        .filter(|k| !state.contains_key(*k))
        .cloned()
        .collect();
    let committed_us = chrono::Utc::now().timestamp_micros();
    let m = Manifest {
        format: manifest::FORMAT.to_string(),
        seq: base.next_seq,
        run_id: run_id.to_string(),
        command: seal.command.to_string(),
        committed_us,
        previous: base.head.as_ref().map(|h| Link {
            seq: h.seq,
            run_id: h.run_id.clone(),
            blake3: h.blake3.clone(),
        }),
        start: base.start.clone(),
        signer: seal.key.map(|k| sign::public_hex(&k.verifying_key())),
        settings: seal.settings.clone(),
        added,
        removed,
        state: digest(&state),
    };
    let bytes = m.to_bytes();
    let name = m.file_name();
    let path = chain_dir.join(&name);
    write_new(&path, &bytes)?;
    let signature = match seal.key {
        Some(k) => {
            let sig = sign::sign(k, &bytes);
            write_new(&chain_dir.join(format!("{name}.sig")), &sig)?;
            Some(sign::hex(&sig))
        }
        None => None,
    };
    Ok(Committed {
        dir: dir.to_path_buf(),
        committed_us,
        seq: m.seq,
        run_id: run_id.to_string(),
        head: manifest::hash(&bytes),
        signature,
        manifest: name,
    })
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), ChainError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(io(path))
}
