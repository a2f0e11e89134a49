//! `nacl-drift lint` on baseline files, run as a process.

use std::fs;

use crate::support::{nacl_drift, repo_root, run};
use serde_json::Value;

fn lint(dir: &std::path::Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["lint", "--baseline-dir", dir.to_str().expect("utf-8 path")];
    args.extend(extra);
    run(&mut nacl_drift(), &args)
}

#[test]
fn the_example_estate_has_critical_findings() {
    let result = lint(&repo_root().join("baselines"), &["--format", "json"]);
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    // The default NACLs allow all, but no subnet uses them: medium, and
    // every finding says the NACL is the default.
    assert_eq!(report["severity"], "medium");
    let findings = report["findings"].as_array().expect("findings");
    let default_acl = findings
        .iter()
        .find(|f| {
            f["message"] == "ingress all traffic from 0.0.0.0/0 is allowed by rule 100 (every port); no subnet uses this default NACL now, but every new subnet of the VPC starts on it"
        })
        .expect("the default NACL's allow-all");
    assert_eq!(default_acl["kind"], "internet_exposure");
    assert_eq!(default_acl["is_default"], true);
    assert_eq!(default_acl["severity"], "medium");
    assert_eq!(default_acl["direction"], "ingress");
    assert_eq!(default_acl["rule_number"], 100);
    assert!(
        default_acl["network_acl_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("acl-"))
    );

    let table = lint(&repo_root().join("baselines"), &[]);
    assert_eq!(table.code, 2);
    assert!(
        table.stdout.ends_with("6 findings in 6 NACLs: 6 medium\n"),
        "{table:?}"
    );
    let markdown = lint(&repo_root().join("baselines"), &["--format", "markdown"]);
    assert!(
        markdown
            .stdout
            .starts_with("## nacl-drift lint\n\n6 findings in 6 NACLs: 6 medium\n"),
        "{markdown:?}"
    );
}

#[test]
fn a_tidy_baseline_passes_and_fail_on_sets_the_bar() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    // The fixture: a deny of SSH from anywhere, ICMP echo from 10/8, all egress to IPv6.
    fs::write(&file, include_str!("../fixtures/valid-baseline.yaml")).expect("write");
    let tidy = lint(dir.path(), &[]);
    assert_eq!(tidy.code, 0, "{tidy:?}");
    assert_eq!(tidy.stdout, "No findings in 1 NACL.\n");

    // An allow from the VPC shadowed by an earlier allow: a low finding.
    let shadowed = include_str!("../fixtures/valid-baseline.yaml").replace(
        "  - rule_number: 90\n",
        "  - rule_number: 85\n    direction: ingress\n    action: allow\n    protocol: icmp\n    cidr: 10.0.0.0/8\n  - rule_number: 90\n",
    );
    fs::write(&file, shadowed).expect("write");
    let low = lint(dir.path(), &[]);
    assert_eq!(low.code, 2, "{low:?}");
    assert!(
        low.stdout.contains(
            "ingress rule 90 (allow icmp type 8 code any from 10.0.0.0/8) is never reached"
        ),
        "{low:?}"
    );
    let gated = lint(dir.path(), &["--fail-on", "medium"]);
    assert_eq!(
        gated.code, 0,
        "a low finding passes a medium gate: {gated:?}"
    );
}

#[test]
fn a_bad_baseline_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    fs::write(
        &file,
        include_str!("../fixtures/valid-baseline.yaml")
            .replace("cidr: 10.0.0.0/8", "cidr: 10.0.0.1/8"),
    )
    .expect("write");
    let result = lint(dir.path(), &[]);
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.contains("`10.0.0.1/8` is not canonical"),
        "{result:?}"
    );
}

/// A tcp deny before an allow-all still lets every udp port in.
#[test]
fn udp_open_behind_a_tcp_deny_is_critical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    fs::write(
        &file,
        "schema_version: 1\naccount: '111122223333'\nregion: us-east-1\nvpc_id: vpc-0prod\n\
         scope: {regions: [us-east-1]}\nnetwork_acls:\n- id: acl-0db\n  is_default: false\n  entries:\n\
         \x20 - {rule_number: 90, direction: ingress, action: deny, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0}\n\
         \x20 - {rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}\n",
    )
    .expect("write");
    let result = lint(dir.path(), &["--format", "json", "--fail-on", "critical"]);
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let finding = &report["findings"][0];
    assert_eq!(finding["kind"], "internet_exposure");
    assert_eq!(finding["severity"], "critical");
    assert_eq!(
        finding["message"],
        "ingress all protocols but tcp from 0.0.0.0/0 is allowed by rule 100 (reaching 22, 23, 135, 139, 445, and 15 more)"
    );
}

#[test]
fn aws_recommended_nacls_pass_fail_on_high_and_ssh_from_anywhere_does_not() {
    let recommended = repo_root().join("tests/fixtures/aws-recommended");
    let result = lint(&recommended, &["--fail-on", "high", "--format", "json"]);
    assert_eq!(result.code, 0, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    assert_eq!(report["severity"], "medium");
    let findings = report["findings"].as_array().expect("findings");
    let rules: Vec<(String, u64)> = findings
        .iter()
        .map(|f| {
            assert_eq!(f["kind"], "ephemeral_ports_open", "{f}");
            assert_eq!(f["severity"], "medium");
            (
                f["network_acl_id"].as_str().expect("id").to_owned(),
                f["rule_number"].as_u64().expect("rule"),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("acl-0public".to_owned(), 140),
            ("acl-0public".to_owned(), 145),
            ("acl-0private".to_owned(), 140),
            ("acl-0private".to_owned(), 150),
        ]
    );
    assert_eq!(
        findings[0]["message"],
        "ingress rule 140 (allow tcp 1024-65535 from 0.0.0.0/0) lets return traffic in from the internet, and with it any connection to 1433, 1521, 2049, 2375, 2376, 3306, 3389, 5432, 5900, 5984, 6379, 9042, 9200, 11211, 27017: the security groups must guard these database and administration ports"
    );

    // The same estate with SSH open to the internet.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("111122223333/us-east-1/vpc-0aws.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    let text = fs::read_to_string(recommended.join("111122223333/us-east-1/vpc-0aws.yaml"))
        .expect("fixture");
    let ssh = "  entries:\n  - rule_number: 90\n    direction: ingress\n    action: allow\n    protocol: tcp\n    ports: 22\n    cidr: 0.0.0.0/0\n";
    fs::write(&file, text.replacen("  entries:\n", ssh, 1)).expect("write");
    let opened = lint(dir.path(), &["--fail-on", "high", "--format", "json"]);
    assert_eq!(opened.code, 2, "{opened:?}");
    let report: Value = serde_json::from_str(&opened.stdout).expect("JSON");
    assert_eq!(report["severity"], "critical");
    let ssh = &report["findings"][0];
    assert_eq!(ssh["kind"], "internet_exposure");
    assert_eq!(ssh["rule_number"], 90);
    assert_eq!(
        ssh["message"],
        "ingress tcp 22 from 0.0.0.0/0 is allowed by rule 90 (reaching 22)"
    );
}
