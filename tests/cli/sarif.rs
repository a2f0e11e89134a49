//! `--format sarif` of `lint` and `diff`, checked by Microsoft's SARIF
//! validator (the `@microsoft/sarif-multitool` npm package) against the
//! SARIF 2.1.0 schema and its rules, and every result's file and line
//! checked to exist and to be the entry or NACL the result is about.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::diff_formats::fixture_diff;
use crate::support::{nacl_drift, repo_root, run, tool};

/// Runs the validator on `sarif`; panics with every error it reports.
fn validate(sarif: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("report.sarif");
    let output = dir.path().join("validation.sarif");
    fs::write(&input, sarif).expect("write SARIF");
    let multitool = tool("sarif-multitool");
    let schema = multitool
        .parent()
        .and_then(Path::parent)
        .expect("the tools folder")
        .join("node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json");
    let ran = Command::new(&multitool)
        .arg("validate")
        .arg(&input)
        .arg("--json-schema")
        .arg(&schema)
        .arg("--output")
        .arg(&output)
        .args(["--log", "ForceOverwrite"])
        .output()
        .expect("run the SARIF validator");
    assert!(
        ran.status.success(),
        "the SARIF validator failed: {}\n{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    let validation: Value =
        serde_json::from_str(&fs::read_to_string(&output).expect("the validator's log"))
            .expect("the validator's log is JSON");
    let problems: Vec<String> = validation["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|result| result["level"] != "note")
        // The one piece of advice left: name the tool's home page
        // (`informationUri`). nacl-drift has no public one to name yet.
        .filter(|result| result["ruleId"] != "SARIF2005")
        .map(|result| {
            format!(
                "{} {}: {}",
                result["level"], result["ruleId"], result["message"]
            )
        })
        .collect();
    assert!(
        problems.is_empty(),
        "the SARIF validator found:\n{}",
        problems.join("\n")
    );
}

/// Checks that each result points at a line of an existing file, that the
/// line is where the entry (`- rule_number: N`) or NACL (`- id: acl-…`) it
/// names starts, and that fingerprints are unique.
fn assert_locations(sarif: &Value, folder: &Path) -> usize {
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let mut fingerprints = std::collections::BTreeSet::new();
    for result in results {
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().expect("uri");
        let line = location["region"]["startLine"].as_u64().expect("startLine") as usize;
        let text =
            fs::read_to_string(folder.join(uri)).unwrap_or_else(|error| panic!("{uri}: {error}"));
        let at = text
            .lines()
            .nth(line - 1)
            .unwrap_or_else(|| panic!("{uri} has no line {line}"));
        assert!(
            at.trim_start().starts_with("- rule_number: ")
                || at.trim_start().starts_with("- id: acl-"),
            "{uri}:{line} is {at:?}, for {result}"
        );
        let fingerprint = result["partialFingerprints"]["naclDrift/v1"]
            .as_str()
            .expect("fingerprint");
        assert!(
            fingerprints.insert(fingerprint.to_owned()),
            "{fingerprint} twice"
        );
    }
    results.len()
}

#[test]
fn lint_sarif_is_valid_and_points_at_each_entry() {
    let result = run(
        nacl_drift().current_dir(repo_root()),
        &["lint", "--format", "sarif", "--baseline-dir", "baselines"],
    );
    assert_eq!(result.code, 2, "{result:?}");
    validate(&result.stdout);
    let sarif: Value = serde_json::from_str(&result.stdout).expect("JSON");
    assert_eq!(assert_locations(&sarif, repo_root()), 6);
    let rule = &sarif["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "internet_exposure");
    // The default NACLs' allow-all: medium, since no subnet uses them.
    assert_eq!(rule["properties"]["security-severity"], "5.5");
    let first = &sarif["runs"][0]["results"][0];
    assert_eq!(first["level"], "warning");
    assert!(
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|uri| uri.starts_with("baselines/123456789012/"))
    );

    let recommended = run(
        nacl_drift().current_dir(repo_root().join("tests/fixtures")),
        &[
            "lint",
            "--format",
            "sarif",
            "--baseline-dir",
            "aws-recommended",
        ],
    );
    assert_eq!(
        recommended.code, 2,
        "medium findings fail the default bar: {recommended:?}"
    );
    validate(&recommended.stdout);
    let sarif: Value = serde_json::from_str(&recommended.stdout).expect("JSON");
    assert_eq!(
        assert_locations(&sarif, &repo_root().join("tests/fixtures")),
        4
    );
    assert_eq!(
        sarif["runs"][0]["results"][0]["partialFingerprints"]["naclDrift/v1"],
        "111122223333/us-east-1/acl-0public/ingress/140/ephemeral_ports_open"
    );
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "warning");
}

#[test]
fn diff_sarif_is_valid_and_points_at_each_entry_and_nacl() {
    let fixtures = repo_root().join("tests/fixtures/diff");
    let result = fixture_diff("sarif");
    assert_eq!(result.code, 2, "{result:?}");
    assert_eq!(result.stderr, "");
    validate(&result.stdout);
    let sarif: Value = serde_json::from_str(&result.stdout).expect("JSON");
    assert_eq!(assert_locations(&sarif, &fixtures), 4);
    let ids: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["ruleId"].as_str().expect("ruleId"))
        .collect();
    assert_eq!(
        ids,
        [
            "entry_deleted",
            "entry_deleted",
            "entry_modified",
            "association_changed"
        ]
    );
    let deleted_deny = &sarif["runs"][0]["results"][1];
    assert_eq!(deleted_deny["level"], "error");
    assert_eq!(deleted_deny["properties"]["security-severity"], "9.5");
}
