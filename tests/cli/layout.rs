//! The workspace keeps the dependency rules its book states: each row of
//! the crate table (`docs/src/architecture.md`) says which of our crates
//! the crate depends on, and whether it may touch the AWS SDK; `cargo
//! metadata` must agree, and so must the crate's own doc (its line
//! `Depends on: ...; no AWS SDK.`).

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::support::repo_root;

/// Our crates, by the short names the table uses.
const OURS: [&str; 17] = [
    "model",
    "analysis",
    "assets",
    "diff",
    "apply",
    "attribution",
    "config",
    "reconcile",
    "snapshot",
    "guard",
    "printer",
    "aws",
    "doctor",
    "findings",
    "fixtures",
    "terraform",
    "flowlogs",
];

/// Each crate of the table: its folder, the crates of ours it says it
/// depends on, and whether it says the AWS SDK.
fn stated() -> Vec<(String, BTreeSet<String>, bool)> {
    let book = std::fs::read_to_string(repo_root().join("docs/src/architecture.md"))
        .expect("the crate table");
    book.lines()
        .filter(|line| line.starts_with("| [`crates/"))
        .map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            let folder = cells[0]
                .split('`')
                .nth(1)
                .and_then(|path| path.strip_prefix("crates/"))
                .expect("a crate folder");
            let (ours, sdk) = rule(cells.last().expect("a cell").trim_end_matches(" |"));
            (folder.to_owned(), ours, sdk)
        })
        .collect()
}

/// The crates of ours a rule names (`model, analysis; pure`), as package
/// names, and whether it names the AWS SDK.
fn rule(depends: &str) -> (BTreeSet<String>, bool) {
    let named = depends.split(';').next().unwrap_or_default();
    let ours = named
        .split(',')
        .map(str::trim)
        .filter(|name| OURS.contains(name))
        .map(|name| format!("nacl-drift-{name}"))
        .collect();
    let sdk = depends.contains("the AWS SDK") && !depends.contains("no AWS SDK");
    (ours, sdk)
}

/// The rule a crate's doc states, on its line `//! Depends on: ...`.
fn documented(folder: &str) -> (BTreeSet<String>, bool) {
    let path = repo_root().join("crates").join(folder).join("src/lib.rs");
    let source = std::fs::read_to_string(&path).expect("the crate's lib.rs");
    let line = source
        .lines()
        .find_map(|line| line.strip_prefix("//! Depends on: "))
        .unwrap_or_else(|| panic!("{}: no line `//! Depends on: ...`", path.display()));
    rule(line)
}

/// `cargo metadata` of the workspace alone.
fn metadata() -> Value {
    let metadata = Command::new(env!("CARGO"))
        .current_dir(repo_root())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .expect("cargo metadata");
    assert!(metadata.status.success(), "{metadata:?}");
    serde_json::from_slice(&metadata.stdout).expect("JSON")
}

#[test]
fn each_crate_depends_on_what_the_book_says_and_no_more() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().expect("packages");
    let rows = stated();
    assert_eq!(
        rows.len(),
        packages.len() - 1,
        "the table has a row per library crate"
    );
    for (folder, ours, sdk) in rows {
        assert_eq!(
            documented(&folder),
            (ours.clone(), sdk),
            "crates/{folder}: its doc's rule differs from the crate table's"
        );
        let name = format!("nacl-drift-{folder}");
        let package = packages
            .iter()
            .find(|package| package["name"] == name.as_str())
            .unwrap_or_else(|| panic!("the crate table names {name}, which the workspace lacks"));
        let normal: Vec<&str> = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|dependency| dependency["kind"].is_null())
            .filter_map(|dependency| dependency["name"].as_str())
            .collect();
        let actual: BTreeSet<String> = normal
            .iter()
            .filter(|dependency| dependency.starts_with("nacl-drift-"))
            .map(|dependency| (*dependency).to_owned())
            .collect();
        assert_eq!(actual, ours, "{name}: the crate table says otherwise");
        let touches_sdk = normal
            .iter()
            .any(|dependency| dependency.starts_with("aws-"));
        assert_eq!(
            touches_sdk,
            sdk,
            "{name}: the crate table says it {} the AWS SDK",
            if sdk { "uses" } else { "does not use" }
        );
    }
}

/// The crates that must build without the AWS SDK: the core and what it
/// stands on, and the guard and the snapshot, which the edge feeds.
const SDK_FREE: [&str; 5] = [
    "nacl-drift-analysis",
    "nacl-drift-diff",
    "nacl-drift-reconcile",
    "nacl-drift-snapshot",
    "nacl-drift-guard",
];

#[test]
fn no_aws_sdk_crate_is_under_the_core_the_snapshot_or_the_guard() {
    for package in SDK_FREE {
        let tree = Command::new(env!("CARGO"))
            .current_dir(repo_root())
            .args([
                "tree",
                "-e",
                "normal",
                "--offline",
                "--prefix",
                "none",
                "-p",
                package,
            ])
            .output()
            .expect("cargo tree");
        assert!(tree.status.success(), "{tree:?}");
        let tree = String::from_utf8(tree.stdout).expect("UTF-8");
        assert!(tree.starts_with(package), "{tree}");
        let sdk: Vec<&str> = tree
            .lines()
            .filter(|line| line.starts_with("aws-"))
            .collect();
        assert!(sdk.is_empty(), "{package} depends on {sdk:?}");
    }
}

/// The Rust below `folder`, every file joined.
fn rust_below(folder: &std::path::Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(folder).expect("a folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            text.push_str(&rust_below(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            text.push_str(&std::fs::read_to_string(&path).expect("Rust source"));
        }
    }
    text
}

/// Each test target costs every `cargo test` a link (a unit-test binary)
/// or a rustdoc run (doctests): a library builds the one only when it has
/// unit tests, the other only when its docs hold Rust examples
/// (`test = false`, `doctest = false` under `[lib]`).
#[test]
fn each_library_builds_only_the_test_targets_it_has() {
    let metadata = metadata();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("a name");
        for target in package["targets"].as_array().expect("targets") {
            if target["kind"] != serde_json::json!(["lib"]) {
                continue;
            }
            let src = std::path::Path::new(target["src_path"].as_str().expect("a path"))
                .parent()
                .expect("its folder");
            let rust = rust_below(src);
            let unit_tests = rust.contains("#[cfg(test)]");
            // The opening fences of doc comments' code blocks, and the
            // languages they name: an unnamed one is Rust.
            let languages: Vec<&str> = rust
                .lines()
                .filter_map(|line| {
                    let line = line.trim_start();
                    let doc = line
                        .strip_prefix("//!")
                        .or_else(|| line.strip_prefix("///"))?;
                    doc.trim().strip_prefix("```")
                })
                .step_by(2)
                .collect();
            let examples = languages
                .iter()
                .any(|language| matches!(*language, "" | "rust"));
            assert_eq!(
                target["test"].as_bool(),
                Some(unit_tests),
                "{name}: test = {unit_tests} under [lib], as it has {}unit tests",
                if unit_tests { "" } else { "no " }
            );
            assert_eq!(
                target["doctest"].as_bool(),
                Some(examples),
                "{name}: doctest = {examples} under [lib], as its docs hold {}Rust examples",
                if examples { "" } else { "no " }
            );
        }
    }
}

/// The binary parses flags, makes a library call and prints: at most
/// 3,000 lines of Rust (it has no tests of its own; tests/cli tests it).
#[test]
fn the_binary_stays_thin() {
    let lines = rust_below(&repo_root().join("crates/cli")).lines().count();
    assert!(lines <= 3_000, "crates/cli holds {lines} lines of Rust");
}

/// `cargo tree`'s lines for `args`: each package and its features.
fn features(args: &[&str]) -> BTreeSet<String> {
    let tree = Command::new(env!("CARGO"))
        .current_dir(repo_root())
        .args(["tree", "--offline", "--prefix", "none", "-f", "{p} {f}"])
        .args(args)
        .output()
        .expect("cargo tree");
    assert!(tree.status.success(), "{tree:?}");
    String::from_utf8(tree.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| line.trim_end_matches(" (*)").to_owned())
        .collect()
}

/// `cargo test` after `cargo build` (the drill) must not build the AWS SDK
/// again: no dev-dependency may turn on a feature of anything under it.
#[test]
fn tests_build_the_aws_sdk_with_the_binarys_features() {
    let under_the_sdk: BTreeSet<String> = features(&["-e", "normal", "-p", "aws-sdk-ec2"])
        .into_iter()
        .filter_map(|line| line.split(' ').next().map(str::to_owned))
        .collect();
    let of = |lines: BTreeSet<String>| -> BTreeSet<String> {
        lines
            .into_iter()
            .filter(|line| {
                line.split(' ')
                    .next()
                    .is_some_and(|name| under_the_sdk.contains(name))
            })
            .collect()
    };
    let built = of(features(&["-e", "normal,build", "-p", "nacl-drift"]));
    let tested = of(features(&["-e", "normal,build,dev", "--workspace"]));
    let differ: Vec<&String> = tested.symmetric_difference(&built).collect();
    assert!(
        differ.is_empty(),
        "a dev-dependency changes features under the AWS SDK: {differ:#?}"
    );
}
