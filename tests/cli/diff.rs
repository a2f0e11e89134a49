//! `nacl-drift diff` against the local EC2 emulator and offline, run as a
//! process: every drift kind, exactly once, online and from exports.

use std::fs;
use std::path::Path;

use crate::support::{Emulator, dir_arg, files_below, id, nacl_drift, repo_root, run};
use aws_sdk_ec2::types::{PortRange, RuleAction, Tag};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";

fn snapshot(emulator: &Emulator, dir: &Path) {
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--baseline-dir",
            dir_arg(dir),
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
}

fn diff(emulator: &Emulator, dir: &Path, format: &str) -> crate::support::Run {
    run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(dir),
            "--endpoint-url",
            &emulator.endpoint,
            "--format",
            format,
        ],
    )
}

fn diff_offline(dir: &Path, live_files: &[&Path], format: &str) -> crate::support::Run {
    diff_offline_with(dir, live_files, &["--format", format])
}

fn diff_offline_with(dir: &Path, live_files: &[&Path], extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["diff", "--baseline-dir", dir_arg(dir)];
    for file in live_files {
        args.extend(["--live-file", file.to_str().expect("utf-8 path")]);
    }
    args.extend(extra);
    run(&mut nacl_drift(), &args)
}

/// The drill's incidents, plus every other kind of drift, done with the SDK
/// behind nacl-drift's back.
async fn drift_everything(emulator: &Emulator, estate: &Value, doomed_acl: &str) -> String {
    let ec2 = emulator.ec2("us-east-1");
    emulator.incident(estate);
    let web = id(estate, "/us-east-1/network_acls/web");
    ec2.create_network_acl_entry()
        .network_acl_id(web)
        .egress(true)
        .rule_number(90)
        .protocol("6")
        .rule_action(RuleAction::Allow)
        .cidr_block("0.0.0.0/0")
        .port_range(PortRange::builder().from(22).to(22).build())
        .send()
        .await
        .expect("create entry");
    ec2.create_tags()
        .resources(web)
        .tags(Tag::builder().key("Owner").value("someone-else").build())
        .send()
        .await
        .expect("retag");
    ec2.delete_network_acl()
        .network_acl_id(doomed_acl)
        .send()
        .await
        .expect("delete NACL");
    emulator
        .create_network_acl(id(estate, "/us-east-1/vpc_id"))
        .await
}

/// Seeds, adds a NACL to be deleted later, and snapshots.
async fn seeded_and_snapshotted(emulator: &Emulator, dir: &Path) -> (Value, String) {
    let estate = emulator.seed_estate();
    let doomed = emulator
        .create_network_acl(id(&estate, "/us-east-1/vpc_id"))
        .await;
    snapshot(emulator, dir);
    (estate, doomed)
}

/// The (kind, NACL, position) of every change in a JSON report.
fn kinds(report: &Value) -> Vec<(String, String, String)> {
    report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| {
            let text = |key: &str| {
                change
                    .get(key)
                    .map(|v| v.to_string().trim_matches('"').to_owned())
            };
            let position = text("subnet_id")
                .or_else(|| Some(format!("{} {}", text("direction")?, text("rule_number")?)))
                .unwrap_or_default();
            (
                text("kind").unwrap_or_default(),
                text("network_acl_id").unwrap_or_default(),
                position,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn in_sync_right_after_a_snapshot() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("temp dir");
    seeded_and_snapshotted(&emulator, dir.path()).await;

    let result = diff(&emulator, dir.path(), "table");
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(
        result.stdout,
        "In sync: 9 NACLs in 4 baseline files match the live state.\n"
    );
    let json = diff(&emulator, dir.path(), "json");
    assert_eq!(json.code, 0, "{json:?}");
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON report");
    assert_eq!(
        report,
        json!({"in_sync": true, "severity": null, "changes": [], "effects": [], "skipped": [], "errors": []})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_drift_kind_exactly_once_online_and_offline() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let (estate, doomed) = seeded_and_snapshotted(&emulator, dir.path()).await;
    let rogue = drift_everything(&emulator, &estate, &doomed).await;

    let result = diff(&emulator, dir.path(), "json");
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON report");
    assert_eq!(report["in_sync"], json!(false));

    let db = id(&estate, "/us-east-1/network_acls/db");
    let app = id(&estate, "/us-east-1/network_acls/app");
    let web = id(&estate, "/us-east-1/network_acls/web");
    let db_b = id(&estate, "/us-east-1/subnets/db-b");
    let mut expected = vec![
        ("entry_deleted", db, "ingress 80".to_owned()),
        ("entry_modified", db, "ingress 100".to_owned()),
        ("association_changed", db, db_b.to_owned()),
        ("entry_deleted", app, "egress 120".to_owned()),
        ("entry_added", web, "egress 90".to_owned()),
        ("tags_changed", web, String::new()),
        ("network_acl_deleted", doomed.as_str(), String::new()),
        ("network_acl_added", rogue.as_str(), String::new()),
    ];
    let mut found = kinds(&report);
    found.sort();
    let mut expected: Vec<(String, String, String)> = expected
        .drain(..)
        .map(|(kind, acl, position)| (kind.to_owned(), acl.to_owned(), position))
        .collect();
    expected.sort();
    assert_eq!(found, expected, "{}", result.stdout);

    // The fields of the incidents that matter most.
    let changes = report["changes"].as_array().expect("changes");
    let find = |kind: &str, acl: &str| {
        changes
            .iter()
            .find(|c| c["kind"] == kind && c["network_acl_id"] == acl)
            .unwrap_or_else(|| panic!("no {kind} on {acl}"))
    };
    let deleted = find("entry_deleted", db);
    assert_eq!(deleted["region"], "us-east-1");
    assert_eq!(deleted["vpc_id"], id(&estate, "/us-east-1/vpc_id"));
    assert_eq!(
        deleted["baseline"],
        json!({"rule_number": 80, "direction": "ingress", "action": "deny", "protocol": "tcp", "ports": 22, "cidr": "0.0.0.0/0"})
    );
    assert_eq!(deleted["live"], Value::Null);
    let widened = find("entry_modified", db);
    assert_eq!(widened["baseline"]["cidr"], "10.0.16.0/20");
    assert_eq!(widened["live"]["cidr"], "0.0.0.0/0");
    assert_eq!(widened["live"]["ports"], "0-65535");
    let moved = find("association_changed", db);
    assert_eq!(moved["subnet_id"], db_b);
    assert_eq!(
        moved["live_network_acl_id"],
        id(&estate, "/us-east-1/default_network_acl")
    );
    let added = find("network_acl_added", &rogue);
    assert_eq!(added["baseline"], Value::Null);
    assert_eq!(added["live"]["id"], rogue.as_str());
    let retagged = find("tags_changed", web);
    assert_eq!(retagged["live"]["tags"]["Owner"], "someone-else");
    assert_eq!(retagged["baseline"]["tags"]["Owner"], "platform-team");

    // The same, offline, from exports of both regions.
    let exports = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for region in ["us-east-1", "eu-west-1"] {
        let path = exports.path().join(format!("{region}.json"));
        fs::write(&path, emulator.export(region)).expect("write export");
        files.push(path);
    }
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let complete = ["--format", "json", "--export-is-complete"];
    let offline = diff_offline_with(dir.path(), &paths, &complete);
    assert_eq!(offline.code, 2, "{offline:?}");
    let offline_report: Value = serde_json::from_str(&offline.stdout).expect("JSON report");
    assert_eq!(offline_report, report, "offline and online reports differ");

    // Without --export-is-complete, an export answers only for what it
    // holds: the deleted NACL is not compared, never "deleted", and the
    // gate is not green.
    let held_only = diff_offline(dir.path(), &paths, "json");
    assert_eq!(held_only.code, 1, "{held_only:?}");
    let held_report: Value = serde_json::from_str(&held_only.stdout).expect("JSON report");
    assert!(
        kinds(&held_report)
            .iter()
            .all(|(kind, ..)| kind != "network_acl_deleted"),
        "{held_report:#}"
    );
    let reason = held_report["skipped"][0]["reason"]
        .as_str()
        .expect("reason");
    assert!(
        reason.starts_with(&format!("network ACL {doomed} of "))
            && reason.ends_with(
                " not compared: the exports do not hold it (pass --export-is-complete if they are whole)"
            ),
        "{held_report:#}"
    );
    assert!(
        held_only.stderr.contains(
            "error: 1 baselines, NACLs or subnets were not compared (listed as skipped): a gate that skipped something is not green"
        ),
        "{held_only:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_other_formats_show_the_drift() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let (estate, _) = seeded_and_snapshotted(&emulator, dir.path()).await;
    emulator.incident(&estate);
    let db = id(&estate, "/us-east-1/network_acls/db");

    let table = diff(&emulator, dir.path(), "table");
    assert_eq!(table.code, 2, "{table:?}");
    assert!(
        table.stdout.contains(&format!("{db} (shop-prod-db)")),
        "{table:?}"
    );
    assert!(
        table.stdout.contains("deny tcp 22 from 0.0.0.0/0"),
        "{table:?}"
    );
    assert!(
        table.stdout.contains("allow tcp all ports from 0.0.0.0/0"),
        "{table:?}"
    );
    assert!(
        table.stdout.ends_with(
            "Drift: 4 changes in 2 NACLs, critical: 2 entries deleted, 1 entry modified, 1 subnet moved\n"
        ),
        "{table:?}"
    );
    assert!(!table.stdout.contains('\x1b'), "no colour off a terminal");

    let markdown = diff(&emulator, dir.path(), "markdown");
    assert_eq!(markdown.code, 2, "{markdown:?}");
    assert!(
        markdown
            .stdout
            .starts_with("## ❌ NACL drift: 4 changes in 2 NACLs, critical"),
        "{markdown:?}"
    );
    assert!(
        markdown
            .stdout
            .contains("| entry deleted | ingress 80 | deny tcp 22 from 0.0.0.0/0 | — | critical |"),
        "{markdown:?}"
    );

    let unified = diff(&emulator, dir.path(), "unified");
    assert_eq!(unified.code, 2, "{unified:?}");
    let prod = id(&estate, "/us-east-1/vpc_id");
    assert!(
        unified.stdout.contains(&format!(
            "--- {}",
            dir.path()
                .join(ACCOUNT)
                .join("us-east-1")
                .join(format!("{prod}.yaml"))
                .display()
        )),
        "{unified:?}"
    );
    assert!(
        unified.stdout.contains("-  - rule_number: 80\n"),
        "{unified:?}"
    );
    assert!(
        unified.stdout.contains("+    ports: 0-65535\n"),
        "{unified:?}"
    );
}

/// `text` with the first hex digit of every NACL and subnet id changed.
fn other_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["acl-", "subnet-"]
        .iter()
        .filter_map(|prefix| rest.find(prefix).map(|at| at + prefix.len()))
        .min()
    {
        out.push_str(&rest[..at]);
        let digit = rest[at..].chars().next().unwrap_or('0');
        out.push(if digit == 'f' { '0' } else { 'f' });
        rest = &rest[at + digit.len_utf8()..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn baselines_of_other_accounts_are_skipped_never_reported() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("temp dir");
    seeded_and_snapshotted(&emulator, dir.path()).await;
    // Another account's baselines of the same shape, as a multi-account
    // repo has (NACL and subnet ids are unique across accounts, so theirs
    // differ in a digit).
    let other = dir.path().join("999988887777");
    for (relative, bytes) in files_below(&dir.path().join(ACCOUNT)) {
        let target = other.join(relative);
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        let text = String::from_utf8(bytes)
            .expect("UTF-8")
            .replace(ACCOUNT, "999988887777");
        fs::write(&target, other_ids(&text)).expect("write");
    }

    // A gate that skipped the other account's baselines is not green.
    let result = diff(&emulator, dir.path(), "json");
    assert_eq!(result.code, 1, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    assert_eq!(report["changes"], json!([]));
    let skipped = report["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 4);
    assert!(skipped.iter().all(|s| s["account"] == "999988887777"
        && s["reason"] == "the live state is of account 123456789012"));
    assert!(
        result.stderr.contains("error: 4 baselines, NACLs or subnets were not compared (listed as skipped): a gate that skipped something is not green; name the accounts on purpose (--account, --accounts), narrow with --region, or export what is missing"),
        "{result:?}"
    );

    let table = diff(&emulator, dir.path(), "table");
    assert_eq!(table.code, 1, "{table:?}");
    assert!(table.stdout.contains("Skipped "), "{table:?}");

    // Named on purpose, the run covers the caller's account alone.
    let narrowed = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(dir.path()),
            "--endpoint-url",
            &emulator.endpoint,
            "--account",
            ACCOUNT,
        ],
    );
    assert_eq!(narrowed.code, 0, "{narrowed:?}");
    assert!(narrowed.stdout.contains("Skipped "), "{narrowed:?}");
}

#[test]
fn an_unknown_account_is_an_error() {
    let emulator = Emulator::start();
    // The committed example baselines are of the emulator's account; these are not.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("999988887777/us-east-1/vpc-0prod.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    fs::write(
        &file,
        include_str!("../fixtures/valid-baseline.yaml").replace("111122223333", "999988887777"),
    )
    .expect("write");

    let result = diff(&emulator, dir.path(), "table");
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: no baselines for account 123456789012 in {}: the baselines there are of account 999988887777\n",
            dir.path().display()
        )
    );
}

#[test]
fn a_bad_baseline_is_an_error_before_any_call() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    fs::write(
        &file,
        include_str!("../fixtures/valid-baseline.yaml")
            .replace("rule_number: 90", "rule_number: 80"),
    )
    .expect("write");
    // No endpoint listens here: the error must come from the baseline.
    let result = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(dir.path()),
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: {}:16:3: network_acls[0].entries: duplicate ingress rule 80: each (direction, rule number) appears once\n",
            file.display()
        )
    );
}

#[test]
fn no_baselines_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(
        &mut nacl_drift(),
        &["diff", "--baseline-dir", dir_arg(dir.path())],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: no baseline files in {}: run `nacl-drift snapshot` first, or pass --baseline-dir\n",
            dir.path().display()
        )
    );
    let missing = dir.path().join("baselines");
    let result = run(
        &mut nacl_drift(),
        &["diff", "--baseline-dir", dir_arg(&missing)],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: no baseline folder {}: run `nacl-drift snapshot` first, or pass --baseline-dir\n",
            missing.display()
        )
    );
}

#[test]
fn a_live_file_that_is_not_an_export_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let not_export = dir.path().join("subnets.json");
    fs::write(&not_export, r#"{"Subnets": []}"#).expect("write");
    let result = diff_offline(&repo_root().join("baselines"), &[&not_export], "table");
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: {}: unusable live file\n  caused by: not an `aws ec2 describe-network-acls --output json` export: \
             missing field `NetworkAcls` at line 1 column 15 (expected an object with a \"NetworkAcls\" list)\n",
            not_export.display()
        )
    );

    let garbage = dir.path().join("garbage.json");
    fs::write(&garbage, "NetworkAcls: [").expect("write");
    let result = diff_offline(&repo_root().join("baselines"), &[&garbage], "table");
    assert_eq!(result.code, 1, "{result:?}");
    assert!(result.stderr.contains("not an `aws ec2 describe-network-acls --output json` export: expected value at line 1 column 1"), "{result:?}");

    let missing = dir.path().join("missing.json");
    let result = diff_offline(&repo_root().join("baselines"), &[&missing], "table");
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.starts_with(&format!(
            "error: cannot read the live file {}\n  caused by: No such file",
            missing.display()
        )),
        "{result:?}"
    );
}

#[test]
fn an_export_with_no_nacls_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.json");
    fs::write(&empty, r#"{"NetworkAcls": []}"#).expect("write");
    let result = diff_offline(&repo_root().join("baselines"), &[&empty], "table");
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        "error: the live files hold no network ACLs\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drill_report_names_the_exposure_and_the_disruption() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let (estate, _) = seeded_and_snapshotted(&emulator, dir.path()).await;
    emulator.incident(&estate);
    let db = id(&estate, "/us-east-1/network_acls/db");
    let app = id(&estate, "/us-east-1/network_acls/app");

    let result = diff(&emulator, dir.path(), "json");
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON report");
    assert_eq!(report["severity"], "critical");
    let effects = report["effects"].as_array().expect("effects");
    let ssh = effects
        .iter()
        .find(|e| {
            e["network_acl_id"] == db && e["ports"] == 22 && e["live_network_acl_id"].is_null()
        })
        .expect("SSH on the db tier");
    assert_eq!(ssh["effect"], "newly_allowed");
    assert_eq!(ssh["severity"], "critical");
    assert_eq!(ssh["direction"], "ingress");
    assert_eq!(ssh["cidrs"], json!(["0.0.0.0/0"]));
    assert_eq!(
        ssh["except_cidrs"],
        json!(["10.0.0.0/16"]),
        "the VPC's own SSH was allowed already"
    );
    assert_eq!(
        ssh["summary"],
        "ingress tcp 22 from 0.0.0.0/0 except 10.0.0.0/16: was denied by rule 80, now allowed by rule 100"
    );
    let dns = effects
        .iter()
        .find(|e| e["network_acl_id"] == app)
        .expect("DNS on the app tier");
    assert_eq!(
        (
            &dns["effect"],
            &dns["severity"],
            &dns["protocol"],
            &dns["ports"],
            &dns["direction"]
        ),
        (
            &json!("newly_denied"),
            &json!("medium"),
            &json!("udp"),
            &json!(53),
            &json!("egress")
        )
    );
    let changes = report["changes"].as_array().expect("changes");
    let severity_of = |kind: &str, acl: &str| {
        changes
            .iter()
            .find(|c| c["kind"] == kind && c["network_acl_id"] == acl)
            .map(|c| c["severity"].clone())
    };
    assert_eq!(severity_of("entry_deleted", db), Some(json!("critical")));
    assert_eq!(severity_of("entry_deleted", app), Some(json!("medium")));
    assert_eq!(
        severity_of("association_changed", db),
        Some(json!("critical"))
    );

    let gate = |level: &str| {
        run(
            &mut nacl_drift(),
            &[
                "diff",
                "--baseline-dir",
                dir_arg(dir.path()),
                "--endpoint-url",
                &emulator.endpoint,
                "--fail-on",
                level,
            ],
        )
    };
    assert_eq!(gate("critical").code, 2);
    // Only the DNS deletion left: medium, below a high gate.
    let ec2 = emulator.ec2("us-east-1");
    let applied = run(
        &mut nacl_drift(),
        &[
            "apply",
            "--yes",
            "--baseline-dir",
            dir_arg(dir.path()),
            "--endpoint-url",
            &emulator.endpoint,
        ],
    );
    assert_eq!(applied.code, 0, "{applied:?}");
    ec2.delete_network_acl_entry()
        .network_acl_id(app)
        .egress(true)
        .rule_number(120)
        .send()
        .await
        .expect("delete");
    let high = gate("high");
    assert_eq!(high.code, 0, "medium drift passes a high gate: {high:?}");
    assert!(high.stdout.contains("medium"), "{high:?}");
    assert_eq!(gate("medium").code, 2);
    let bad = gate("severe");
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(
        bad.stderr
            .contains("`severe` is not a severity: expected critical, high, medium or low"),
        "{bad:?}"
    );
}

#[test]
fn a_shadowed_deletion_is_no_effective_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    // Rule 50 already denies all SSH, so deleting rule 80 changes nothing.
    let baseline = include_str!("../fixtures/valid-baseline.yaml").replace(
        "  entries:\n",
        "  entries:\n  - rule_number: 50\n    direction: ingress\n    action: deny\n    protocol: tcp\n    ports: 22\n    cidr: 0.0.0.0/0\n",
    );
    fs::write(&file, &baseline).expect("write");
    let export = dir.path().join("live.json");
    fs::write(
        &export,
        r#"{"NetworkAcls": [{"NetworkAclId": "acl-0db", "VpcId": "vpc-0prod", "OwnerId": "111122223333", "IsDefault": false,
            "Associations": [{"SubnetId": "subnet-0a"}], "Tags": [{"Key": "Name", "Value": "db-tier"}],
            "Entries": [
              {"RuleNumber": 50, "Egress": false, "RuleAction": "deny", "Protocol": "6", "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 22, "To": 22}},
              {"RuleNumber": 90, "Egress": false, "RuleAction": "allow", "Protocol": "1", "CidrBlock": "10.0.0.0/8", "IcmpTypeCode": {"Type": 8, "Code": -1}},
              {"RuleNumber": 100, "Egress": true, "RuleAction": "allow", "Protocol": "-1", "Ipv6CidrBlock": "::/0"}]}]}"#,
    )
    .expect("write export");
    let result = diff_offline(dir.path(), &[&export], "table");
    assert_eq!(result.code, 2, "{result:?}");
    assert!(
        result.stdout.contains("low (no effective change)"),
        "{result:?}"
    );
    assert!(!result.stdout.contains("Effects on traffic"), "{result:?}");
    let gated = diff_offline_with(dir.path(), &[&export], &["--fail-on", "medium"]);
    assert_eq!(gated.code, 0, "{gated:?}");
}

/// A baseline of one NACL with `entries` (flow-style YAML lines), and an
/// export of the same NACL with `live_entries` (JSON), in a temp folder.
fn one_nacl(entries: &[&str], live_entries: Value) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    let mut baseline = String::from(
        "schema_version: 1\naccount: '111122223333'\nregion: us-east-1\nvpc_id: vpc-0prod\n\
         scope: {regions: [us-east-1]}\nnetwork_acls:\n- id: acl-0db\n  is_default: false\n  entries:\n",
    );
    for entry in entries {
        baseline.push_str(&format!("  - {{{entry}}}\n"));
    }
    fs::write(&file, baseline).expect("write baseline");
    let export = dir.path().join("live.json");
    let live = json!({"NetworkAcls": [{
        "NetworkAclId": "acl-0db", "VpcId": "vpc-0prod", "OwnerId": "111122223333",
        "IsDefault": false, "Associations": [], "Tags": [], "Entries": live_entries,
    }]});
    fs::write(&export, live.to_string()).expect("write export");
    (dir, export)
}

/// ICMP "any" written as no type/code and as -1/-1 is one value: no
/// perpetual diff between them, in either direction.
#[test]
fn icmp_any_in_either_form_is_in_sync() {
    let omitted =
        "rule_number: 90, direction: ingress, action: allow, protocol: icmp, cidr: 10.0.0.0/8";
    let explicit = "rule_number: 90, direction: ingress, action: allow, protocol: icmp, icmp: {type: -1, code: -1}, cidr: 10.0.0.0/8";
    let entry = |icmp: Option<Value>| {
        let mut entry = json!({"RuleNumber": 90, "Egress": false, "RuleAction": "allow",
                               "Protocol": "1", "CidrBlock": "10.0.0.0/8"});
        if let Some(icmp) = icmp {
            entry["IcmpTypeCode"] = icmp;
        }
        entry
    };
    let cases = [
        (omitted, entry(Some(json!({"Type": -1, "Code": -1})))),
        (explicit, entry(None)),
        (explicit, entry(Some(json!({})))),
        (omitted, entry(None)),
    ];
    for (baseline, live) in cases {
        let (dir, export) = one_nacl(&[baseline], json!([live]));
        let result = diff_offline(dir.path(), &[&export], "table");
        assert_eq!(result.code, 0, "{baseline} against {live}: {result:?}");
    }
}

/// Every udp port is open to the internet when "all" follows a tcp allow:
/// critical, as the book's severity table says (docs/src/commands/diff.md), whatever shape the box has.
#[test]
fn all_protocols_but_tcp_from_the_internet_is_critical() {
    let tcp_all = json!({"RuleNumber": 100, "Egress": false, "RuleAction": "allow", "Protocol": "6",
                         "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 0, "To": 65535}});
    let all = json!({"RuleNumber": 200, "Egress": false, "RuleAction": "allow", "Protocol": "-1",
                     "CidrBlock": "0.0.0.0/0"});
    let (dir, export) = one_nacl(
        &[
            "rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0",
        ],
        json!([tcp_all, all]),
    );
    let gated = diff_offline_with(
        dir.path(),
        &[&export],
        &["--fail-on", "critical", "--format", "json"],
    );
    assert_eq!(gated.code, 2, "{gated:?}");
    let report: Value = serde_json::from_str(&gated.stdout).expect("JSON");
    assert_eq!(report["severity"], "critical");
    assert_eq!(report["changes"][0]["kind"], "entry_added");
    assert_eq!(report["changes"][0]["severity"], "critical");
    let effect = &report["effects"][0];
    assert_eq!(effect["protocol"], "other");
    assert_eq!(effect["other_than"], json!(["tcp"]));
    assert_eq!(effect["severity"], "critical");
}

/// A numbered protocol is a number everywhere in the JSON, as in baselines.
#[test]
fn a_numbered_protocol_is_a_number_in_changes_and_effects() {
    let esp = json!({"RuleNumber": 100, "Egress": false, "RuleAction": "allow", "Protocol": "50",
                     "CidrBlock": "0.0.0.0/0"});
    let (dir, export) = one_nacl(&[], json!([esp]));
    let result = diff_offline(dir.path(), &[&export], "json");
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    assert_eq!(report["changes"][0]["live"]["protocol"], 50);
    assert_eq!(report["effects"][0]["protocol"], 50);
    assert_eq!(report["effects"][0]["severity"], "high");
}
