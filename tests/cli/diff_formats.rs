//! Golden tests of each `diff` format, offline, on a fixed estate with the
//! drill's incidents (`tests/fixtures/diff`). `UPDATE_GOLDEN=1` rewrites the
//! golden files in `tests/golden/diff`.

use std::fs;

use crate::support::{Run, nacl_drift, repo_root, run};

/// `diff --format FORMAT` of the fixed estate, run in its folder: relative
/// paths, so the output is the same on every machine.
pub fn fixture_diff(format: &str) -> Run {
    run(
        nacl_drift().current_dir(repo_root().join("tests/fixtures/diff")),
        &[
            "diff",
            "--baseline-dir",
            "baselines",
            "--live-file",
            "live-us-east-1.json",
            "--format",
            format,
        ],
    )
}

fn assert_format(format: &str, golden: &str) {
    let result = fixture_diff(format);
    assert_eq!(result.code, 2, "{result:?}");
    assert_eq!(result.stderr, "");
    let path = repo_root().join("tests/golden/diff").join(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, &result.stdout).expect("write golden");
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(result.stdout, expected, "{} differs", path.display());
}

#[test]
fn table() {
    assert_format("table", "table.txt");
}

#[test]
fn json() {
    assert_format("json", "report.json");
}

#[test]
fn unified() {
    assert_format("unified", "unified.diff");
}

#[test]
fn markdown() {
    assert_format("markdown", "report.md");
}

#[test]
fn table_is_the_default() {
    let fixtures = repo_root().join("tests/fixtures/diff");
    let result = run(
        nacl_drift().current_dir(&fixtures),
        &[
            "diff",
            "--baseline-dir",
            "baselines",
            "--live-file",
            "live-us-east-1.json",
        ],
    );
    let table =
        fs::read_to_string(repo_root().join("tests/golden/diff/table.txt")).expect("golden");
    assert_eq!(result.stdout, table);
}
