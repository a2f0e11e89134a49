//! Bad baselines: each kind is an error that names the file and line, with
//! exit 1. `validate` reads baselines the way every command does.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{nacl_drift, repo_root, run};

const VALID: &str = include_str!("../fixtures/valid-baseline.yaml");
const RELATIVE_PATH: &str = "111122223333/us-east-1/vpc-0prod.yaml";

/// A baseline folder holding `text` where the fixture belongs.
fn baseline_dir_with(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(RELATIVE_PATH);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, text).expect("write baseline");
    (dir, path)
}

fn validate(dir: &Path) -> crate::support::Run {
    run(
        &mut nacl_drift(),
        &["validate", "--baseline-dir", dir.to_str().expect("utf-8")],
    )
}

/// Replaces `from` with `to` in the valid fixture, validates, and checks
/// for exit 1 and exactly `message` after `error: <path>`.
fn assert_rejected(from: &str, to: &str, message: &str) {
    assert!(VALID.contains(from), "the fixture lacks {from:?}");
    let (dir, path) = baseline_dir_with(&VALID.replacen(from, to, 1));
    let result = validate(dir.path());
    assert_eq!(result.code, 1, "{result:?}");
    let expected = format!(
        "error: {}{message}\nerror: 1 of 1 baseline file is invalid\n",
        path.display()
    );
    assert_eq!(result.stderr, expected, "{result:?}");
    assert_eq!(result.stdout, "", "nothing printed on success's channel");
}

#[test]
fn a_valid_baseline_passes() {
    let (dir, path) = baseline_dir_with(VALID);
    let result = validate(dir.path());
    assert_eq!(result.code, 0, "{result:?}");
    assert!(
        result.stdout.contains(&path.display().to_string()),
        "{result:?}"
    );
    assert!(
        result.stdout.ends_with("1 baseline file is valid\n"),
        "{result:?}"
    );
}

#[test]
fn the_committed_example_baselines_are_valid() {
    let result = validate(&repo_root().join("baselines"));
    assert_eq!(result.code, 0, "{result:?}");
}

#[test]
fn unknown_schema_version() {
    assert_rejected(
        "schema_version: 1",
        "schema_version: 7",
        ":1:1: unsupported schema_version 7: this nacl-drift reads version 1",
    );
}

#[test]
fn malformed_yaml() {
    assert_rejected(
        "schema_version: 1",
        "schema_version: [1",
        ":2:8: did not find expected ',' or ']', while parsing a flow sequence at line 1 column 17",
    );
}

#[test]
fn ids_that_could_name_a_path_elsewhere() {
    assert_rejected(
        "vpc_id: vpc-0prod",
        "vpc_id: ../../pwned",
        ":4:9: vpc_id: \"../../pwned\" is not a VPC id: expected vpc- followed by lowercase letters and digits",
    );
    assert_rejected(
        "account: '111122223333'",
        "account: '../111122223333'",
        ":2:10: account: \"../111122223333\" is not an AWS account id: expected exactly 12 digits",
    );
}

#[test]
fn not_a_baseline_at_all() {
    let (dir, path) = baseline_dir_with("- just\n- a list\n");
    let result = validate(dir.path());
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.starts_with(&format!(
            "error: {}:1:1: invalid type: sequence, expected struct Baseline",
            path.display()
        )),
        "{result:?}"
    );
}

#[test]
fn rule_number_outside_the_user_range() {
    assert_rejected(
        "rule_number: 90",
        "rule_number: 32767",
        ":22:5: network_acls[0].entries[1]: rule number 32767 is outside 1..=32766 \
         (32767 and 32768 are AWS's read-only catch-all denies, which baselines leave out)",
    );
    assert_rejected(
        "rule_number: 90",
        "rule_number: 0",
        ":22:5: network_acls[0].entries[1]: rule number 0 is outside 1..=32766 \
         (32767 and 32768 are AWS's read-only catch-all denies, which baselines leave out)",
    );
}

#[test]
fn invalid_cidr() {
    assert_rejected(
        "cidr: 10.0.0.0/8",
        "cidr: 10.0.0.300/8",
        ":22:5: network_acls[0].entries[1]: `10.0.0.300/8` is not a CIDR block (expected e.g. 10.0.0.0/16 or 2001:db8::/56)",
    );
}

#[test]
fn non_canonical_cidr() {
    assert_rejected(
        "cidr: 10.0.0.0/8",
        "cidr: 10.0.0.7/8",
        ":22:5: network_acls[0].entries[1]: `10.0.0.7/8` is not canonical: AWS stores it as `10.0.0.0/8`",
    );
}

#[test]
fn both_kinds_of_cidr() {
    assert_rejected(
        "    cidr: 10.0.0.0/8\n",
        "    cidr: 10.0.0.0/8\n    ipv6_cidr: ::/0\n",
        ":22:5: network_acls[0].entries[1]: entry has both `cidr` and `ipv6_cidr`: an entry has exactly one",
    );
}

#[test]
fn neither_kind_of_cidr() {
    assert_rejected(
        "    ipv6_cidr: ::/0\n",
        "",
        ":30:5: network_acls[0].entries[2]: entry has neither `cidr` nor `ipv6_cidr`: an entry has exactly one",
    );
}

#[test]
fn ports_on_a_protocol_without_ports() {
    assert_rejected(
        "    protocol: all\n",
        "    protocol: all\n    ports: 0-65535\n",
        ":30:5: network_acls[0].entries[2]: protocol all has no ports: remove `ports` (only tcp and udp have ports)",
    );
    assert_rejected(
        "    protocol: icmp\n",
        "    protocol: icmp\n    ports: 8\n",
        ":22:5: network_acls[0].entries[1]: protocol icmp has no ports: remove `ports` (only tcp and udp have ports)",
    );
}

#[test]
fn duplicate_direction_and_rule_number() {
    assert_rejected(
        "rule_number: 90",
        "rule_number: 80",
        ":16:3: network_acls[0].entries: duplicate ingress rule 80: each (direction, rule number) appears once",
    );
}

#[test]
fn a_baseline_in_the_wrong_place() {
    let (dir, path) = baseline_dir_with(&VALID.replace("vpc_id: vpc-0prod", "vpc_id: vpc-0other"));
    let result = validate(dir.path());
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr.lines().next(),
        Some(format!(
            "error: {}: holds account 111122223333, region us-east-1, VPC vpc-0other, so it belongs at <baseline-dir>/111122223333/us-east-1/vpc-0other.yaml",
            path.display()
        ).as_str())
    );
}

#[test]
fn every_invalid_file_is_reported() {
    let (dir, first) = baseline_dir_with(&VALID.replace("rule_number: 90", "rule_number: 80"));
    let second = dir.path().join("111122223333/eu-west-1/vpc-0prod.yaml");
    fs::create_dir_all(second.parent().expect("parent")).expect("mkdir");
    fs::write(
        &second,
        VALID.replace("schema_version: 1", "schema_version: 0"),
    )
    .expect("write");
    let result = validate(dir.path());
    assert_eq!(result.code, 1, "{result:?}");
    let errors: Vec<&str> = result.stderr.lines().collect();
    assert_eq!(errors.len(), 3, "{result:?}");
    assert!(
        errors[0].starts_with(&format!("error: {}:", second.display())),
        "{result:?}"
    );
    assert!(
        errors[1].starts_with(&format!("error: {}:", first.display())),
        "{result:?}"
    );
    assert_eq!(errors[2], "error: 2 of 2 baseline files are invalid");
}

#[test]
fn a_missing_baseline_folder() {
    let result = run(
        &mut nacl_drift(),
        &["validate", "--baseline-dir", "/nonexistent/baselines"],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        "error: no baseline folder /nonexistent/baselines: run `nacl-drift snapshot` first, or pass --baseline-dir\n"
    );
}

#[test]
fn an_empty_baseline_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = validate(dir.path());
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!("error: no baseline files in {}\n", dir.path().display())
    );
}
