//! The shape of the code as ARCHITECTURE.md states it, checked on the source: the command line
//! is the only place that knows clap, the pure stages do no I/O, and clap's own consistency
//! checks pass for every command.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn only_the_cli_knows_clap() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    assert!(files.len() > 40, "found only {} source files", files.len());
    let cli = src().join("cli");
    let offenders: Vec<_> = files
        .iter()
        .filter(|f| !f.starts_with(&cli))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains("clap::"))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "clap used outside cli/: {offenders:?}"
    );
}

#[test]
fn pure_stages_do_no_io() {
    let mut files = Vec::new();
    sources(&src().join("rules"), &mut files);
    for f in [
        "sessions.rs",
        "recorders.rs",
        "obligations.rs",
        "analyse.rs",
        "custody.rs",
        "completeness.rs",
    ] {
        files.push(src().join(f));
    }
    // The burned-in clock reader: pictures in, readings out.
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/osd/src"),
        &mut files,
    );
    let forbidden = [
        "std::fs",
        "File::",
        "read_dir",
        "std::process",
        "std::net",
        "std::env",
        "memmap2",
        "parquet",
        "store::warehouse",
    ];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for word in forbidden {
                assert!(
                    !line.contains(word),
                    "{}:{}: a pure stage uses `{word}`: {line}",
                    f.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn the_command_line_is_consistent() {
    use clap::CommandFactory;
    recaudit::cli::Cli::command().debug_assert();
}
