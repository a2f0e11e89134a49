//! Golden tests of each `diff` format, offline, on a fixed estate with the
//! drill's incidents (`tests/fixtures/diff`). `UPDATE_GOLDEN=1` rewrites the
//! golden files in `tests/golden/diff`.

use std::fs;

use crate::support::{Run, files_below, nacl_drift, repo_root, run};

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

/// The fixed estate, in a folder with a second account's copy of it: the
/// same drift, under other ids.
fn two_accounts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = repo_root().join("tests/fixtures/diff");
    let other = |text: &str| {
        text.replace("111122223333", "999988887777")
            .replace("acl-0", "acl-9")
            .replace("vpc-0", "vpc-9")
            .replace("subnet-0", "subnet-9")
    };
    for (relative, bytes) in files_below(&fixtures) {
        let text = String::from_utf8(bytes).expect("UTF-8");
        let copy = match other(&relative) {
            same if same == relative => format!("other-{relative}"),
            renamed => renamed,
        };
        for (path, text) in [(relative.clone(), text.clone()), (copy, other(&text))] {
            let target = dir.path().join(path);
            fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            fs::write(target, text).expect("write");
        }
    }
    dir
}

#[test]
fn many_accounts_are_grouped_by_account() {
    let dir = two_accounts();
    let diff = |format: &str| {
        run(
            nacl_drift().current_dir(dir.path()),
            &[
                "diff",
                "--baseline-dir",
                "baselines",
                "--live-file",
                "live-us-east-1.json",
                "--live-file",
                "other-live-us-east-1.json",
                "--format",
                format,
            ],
        )
    };
    let json = diff("json");
    assert_eq!(json.code, 2, "{json:?}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let accounts: Vec<&str> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| change["account"].as_str().expect("account"))
        .collect();
    assert_eq!(
        accounts,
        ["111122223333"; 4]
            .into_iter()
            .chain(["999988887777"; 4])
            .collect::<Vec<_>>(),
        "sorted by account first"
    );
    let table = diff("table");
    // Piped, the table keeps to 160 columns: the place wraps between words.
    for words in [
        "111122223333 us-east-1",
        "vpc-0a1b2c3d4e5f60718",
        "999988887777 us-east-1",
        "vpc-9a1b2c3d4e5f60718",
    ] {
        assert!(table.stdout.contains(words), "{table:?}");
    }
    let markdown = diff("markdown");
    assert!(
        markdown
            .stdout
            .contains("### acl-92db (shop-prod-db) · 999988887777 · us-east-1"),
        "{markdown:?}"
    );
}
