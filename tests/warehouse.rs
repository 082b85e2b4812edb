//! The warehouse as a public interface: atomic runs, history, locking, and a README that
//! documents every column.

use std::fs;

use crate::util::*;

#[test]
fn runs_accumulate_and_files_show_the_latest_run() {
    let t = tmp();
    let wh = t.path().join("wh");
    scan(&[&sample_data()], &wh, &[]);
    scan(&[&sample_data()], &wh, &[]);
    scan(&[&sample_data()], &wh, &[]);
    let runs = rows(&wh.join("runs"));
    assert_eq!(runs.len(), 3);
    let latest = runs
        .iter()
        .filter_map(|r| get(r, "run_id"))
        .max()
        .expect("run id");
    let files = rows(&wh.join("files"));
    assert_eq!(files.len(), 12);
    assert!(files.iter().all(|f| get(f, "run_id") == Some(latest)));
    for r in &runs {
        assert_eq!(get(r, "files"), Some("12"));
        assert_eq!(get(r, "files_ok"), Some("12"));
        assert!(get(r, "settings").is_some_and(|s| s.contains("Asia/Shanghai")));
    }
    let snaps: Vec<_> = fs::read_dir(wh.join("snapshots")).expect("dir").collect();
    assert_eq!(snaps.len(), 2, "the current snapshot and the one before");
}

#[test]
fn a_run_killed_before_commit_leaves_the_old_warehouse_intact() {
    let t = tmp();
    let wh = t.path().join("wh");
    scan(&[&sample_data()], &wh, &[]);
    let old_current = fs::read_link(wh.join("current")).expect("current");
    let old_run = rows(&wh.join("runs"));

    let mut child = spawn_parked_scan(&sample_data(), &wh, &[]);
    // Wait until the new run's tables are fully written but not yet committed.
    let staged = wait_until_staged(&wh);
    // A second run meanwhile is refused: the warehouse is locked.
    let out = recaudit(&[
        "scan",
        &sample_data().to_string_lossy(),
        "-w",
        &wh.to_string_lossy(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use"));
    child.kill().expect("kill");
    child.wait().expect("wait");

    assert_eq!(
        fs::read_link(wh.join("current")).expect("current"),
        old_current
    );
    assert_eq!(rows(&wh.join("runs")), old_run);
    assert_eq!(
        rows(&wh.join("files")).len(),
        12,
        "still the sample tree's catalog"
    );
    assert!(
        staged.exists(),
        "the killed run's staging is left behind..."
    );
    scan(&[&sample_data()], &wh, &[]);
    assert!(!staged.exists(), "...and cleared by the next run");
    assert_eq!(rows(&wh.join("runs")).len(), 2);
}

#[test]
fn column_types_are_the_documented_ones() {
    let t = tmp();
    let wh = t.path().join("wh");
    scan(&[&sample_data()], &wh, &[]);
    let b = &read_table(&wh.join("files"))[0];
    let s = b.schema();
    let ty = |c: &str| {
        s.field_with_name(c)
            .expect("column")
            .data_type()
            .to_string()
    };
    assert_eq!(ty("mtime"), "Timestamp(µs, \"UTC\")");
    assert_eq!(ty("creation_time"), "Timestamp(µs, \"UTC\")");
    assert_eq!(ty("blake3"), "Utf8");
    assert_eq!(ty("size_bytes"), "Int64");
    assert_eq!(ty("path_bytes"), "Binary");
    for r in rows(&wh.join("files")) {
        let h = get(&r, "blake3").expect("hash");
        assert!(
            h.len() == 64
                && h.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
    }
}

#[test]
fn readme_documents_every_column_of_every_table() {
    let readme = fs::read_to_string(project().join("README.md")).expect("README.md");
    for (table, schema) in recaudit::store::schemas() {
        let heading = format!("### `{table}`");
        let start = readme
            .find(&heading)
            .unwrap_or_else(|| panic!("README has no section {heading}"));
        let section = &readme[start + heading.len()..];
        let section = &section[..section.find("\n### ").unwrap_or(section.len())];
        for f in schema.fields() {
            assert!(
                section.contains(&format!("| `{}` |", f.name())),
                "README section {table} does not document column {}",
                f.name()
            );
        }
    }
}
