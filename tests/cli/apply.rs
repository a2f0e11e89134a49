//! `nacl-drift apply` against the local EC2 emulator, run as a process.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use crate::support::{Emulator, dir_arg, id, nacl_drift, run};
use aws_sdk_ec2::types::{PortRange, RuleAction, Tag};
use serde_json::{Value, json};

fn nacl(emulator: &Emulator, dir: &Path, args: &[&str]) -> crate::support::Run {
    let mut all = vec![
        args[0],
        "--baseline-dir",
        dir_arg(dir),
        "--endpoint-url",
        &emulator.endpoint,
    ];
    all.extend(&args[1..]);
    run(&mut nacl_drift(), &all)
}

fn snapshot(emulator: &Emulator, dir: &Path) {
    let result = nacl(
        emulator,
        dir,
        &["snapshot", "--region", "us-east-1", "--region", "eu-west-1"],
    );
    assert_eq!(result.code, 0, "{result:?}");
}

/// The example estate on a fresh emulator, snapshotted into a new folder.
fn snapshotted() -> (Emulator, Value, tempfile::TempDir) {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    snapshot(&emulator, dir.path());
    (emulator, estate, dir)
}

fn diff_json(emulator: &Emulator, dir: &Path) -> (i32, Value) {
    let result = nacl(emulator, dir, &["diff", "--format", "json"]);
    assert!(result.code == 0 || result.code == 2, "{result:?}");
    (
        result.code,
        serde_json::from_str(&result.stdout).expect("JSON report"),
    )
}

/// What `describe-network-acls` says of both regions.
fn exports(emulator: &Emulator) -> String {
    emulator.export("us-east-1") + &emulator.export("eu-west-1")
}

#[test]
fn the_drill_incidents_are_restored_and_a_second_apply_is_a_no_op() {
    let (emulator, estate, dir) = snapshotted();
    let before = exports(&emulator);
    emulator.incident(&estate);

    let applied = nacl(&emulator, dir.path(), &["apply", "--yes", "--prune"]);
    assert_eq!(applied.code, 0, "{applied:?}");
    assert!(
        applied
            .stdout
            .contains("Verified: the live state matches the baselines."),
        "{applied:?}"
    );
    assert_eq!(
        diff_json(&emulator, dir.path()),
        (
            0,
            json!({"in_sync": true, "severity": null, "changes": [], "effects": [], "skipped": [], "errors": []})
        )
    );

    // Entries, subnets and tags as before the incidents (association ids aside).
    let after = exports(&emulator);
    let mut before_acls: Value =
        serde_json::from_str(&emulator_export_first(&before)).expect("json");
    let mut after_acls: Value = serde_json::from_str(&emulator_export_first(&after)).expect("json");
    normalise(&mut before_acls);
    normalise(&mut after_acls);
    assert_eq!(after_acls, before_acls);

    let again = nacl(&emulator, dir.path(), &["apply", "--yes", "--prune"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        again.stdout,
        "Nothing to do: the live state matches the baselines.\n"
    );
}

/// The first region's export (us-east-1) out of the concatenated text.
fn emulator_export_first(text: &str) -> String {
    let end = text.find("}\n{").map_or(text.len(), |at| at + 1);
    text[..end].to_owned()
}

/// Sorts what the endpoint may return in any order, and drops association
/// ids, which change on every move.
fn normalise(export: &mut Value) {
    let acls = export["NetworkAcls"].as_array_mut().expect("NetworkAcls");
    for acl in acls.iter_mut() {
        for list in ["Entries", "Associations", "Tags"] {
            if let Some(items) = acl[list].as_array_mut() {
                for item in items.iter_mut() {
                    if let Some(object) = item.as_object_mut() {
                        object.remove("NetworkAclAssociationId");
                    }
                }
                items.sort_by_key(|item| item.to_string());
            }
        }
    }
    acls.sort_by_key(|acl| acl["NetworkAclId"].to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_drift_kind_is_restored() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let ec2 = emulator.ec2("us-east-1");
    let vpc = id(&estate, "/us-east-1/vpc_id");
    // A NACL with no subnets, to be deleted and recreated.
    let legacy = emulator.create_network_acl(vpc).await;
    ec2.create_tags()
        .resources(&legacy)
        .tags(Tag::builder().key("Name").value("legacy").build())
        .send()
        .await
        .expect("tag");
    ec2.create_network_acl_entry()
        .network_acl_id(&legacy)
        .egress(false)
        .rule_number(100)
        .protocol("17")
        .rule_action(RuleAction::Deny)
        .cidr_block("192.0.2.0/24")
        .port_range(PortRange::builder().from(161).to(161).build())
        .send()
        .await
        .expect("entry");
    let dir = tempfile::tempdir().expect("temp dir");
    snapshot(&emulator, dir.path());

    emulator.incident(&estate);
    let web = id(&estate, "/us-east-1/network_acls/web");
    ec2.create_network_acl_entry()
        .network_acl_id(web)
        .egress(true)
        .rule_number(90)
        .protocol("-1")
        .rule_action(RuleAction::Allow)
        .cidr_block("0.0.0.0/0")
        .send()
        .await
        .expect("rogue entry");
    ec2.create_tags()
        .resources(web)
        .tags(Tag::builder().key("Owner").value("mallory").build())
        .tags(Tag::builder().key("Backdoor").value("yes").build())
        .send()
        .await
        .expect("retag");
    ec2.delete_network_acl()
        .network_acl_id(&legacy)
        .send()
        .await
        .expect("delete NACL");
    let (code, report) = diff_json(&emulator, dir.path());
    assert_eq!(code, 2);
    let kinds: std::collections::BTreeSet<&str> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "association_changed",
            "entry_added",
            "entry_deleted",
            "entry_modified",
            "network_acl_deleted",
            "tags_changed"
        ]
    );

    let applied = nacl(
        &emulator,
        dir.path(),
        &["apply", "--yes", "--prune", "--recreate-missing"],
    );
    assert_eq!(applied.code, 0, "{applied:?}");
    assert!(
        applied
            .stdout
            .contains("Recorded the recreated NACLs' new ids in "),
        "{applied:?}"
    );
    assert_eq!(diff_json(&emulator, dir.path()).0, 0);

    // The baseline now names the recreated NACL, which holds the old one's content.
    let baselines = nacl_drift_model::read_baseline_dir(dir.path(), None).expect("valid baselines");
    let recreated = baselines
        .iter()
        .flat_map(|(_, b)| &b.network_acls)
        .find(|acl| acl.tags.get("Name").map(String::as_str) == Some("legacy"))
        .expect("the legacy NACL is still in the baseline");
    assert_ne!(recreated.id, legacy, "the baseline records the new id");
    assert_eq!(recreated.entries.len(), 1);
}

#[test]
fn without_prune_an_added_deny_stays_and_apply_exits_2() {
    let (emulator, estate, dir) = snapshotted();
    emulator.incident(&estate);
    let db = id(&estate, "/us-east-1/network_acls/db");
    emulator.python(&[
        "-c",
        &format!(
            "import boto3; boto3.client('ec2', region_name='us-east-1', endpoint_url='{}').create_network_acl_entry(\
             NetworkAclId='{db}', Egress=False, RuleNumber=10, Protocol='-1', RuleAction='deny', CidrBlock='0.0.0.0/0')",
            emulator.endpoint
        ),
    ]);
    let applied = nacl(&emulator, dir.path(), &["apply", "--yes"]);
    assert_eq!(applied.code, 2, "{applied:?}");
    assert!(
        applied.stdout.contains(&format!(
            "Left alone: entry added on {db} ingress 10: an added deny stays without --prune: removing it would reopen the traffic it blocks"
        )),
        "{applied:?}"
    );
    assert!(
        applied.stdout.contains("Drift that remains:"),
        "{applied:?}"
    );
    let (code, report) = diff_json(&emulator, dir.path());
    assert_eq!(code, 2);
    assert_eq!(report["changes"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["changes"][0]["kind"], "entry_added");
}

#[test]
fn a_dry_run_changes_nothing() {
    let (emulator, estate, dir) = snapshotted();
    let in_sync = nacl(&emulator, dir.path(), &["apply", "--dry-run"]);
    assert_eq!(in_sync.code, 0, "nothing to do: {in_sync:?}");

    emulator.incident(&estate);
    let before = exports(&emulator);
    let dry = nacl(&emulator, dir.path(), &["apply", "--dry-run", "--prune"]);
    assert_eq!(dry.code, 2, "{dry:?}");
    assert!(
        dry.stdout.contains("Dry run: 4 calls planned, none made."),
        "{dry:?}"
    );
    for operation in [
        "CreateNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
    ] {
        assert!(dry.stdout.contains(operation), "{dry:?}");
    }
    assert_eq!(exports(&emulator), before, "a dry run changed the estate");
}

#[test]
fn without_yes_it_refuses_off_a_terminal() {
    let (emulator, estate, dir) = snapshotted();
    emulator.incident(&estate);
    let before = exports(&emulator);
    let refused = nacl(&emulator, dir.path(), &["apply"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .ends_with("error: refusing to apply without --yes: there is no terminal to ask on\n"),
        "{refused:?}"
    );
    assert_eq!(exports(&emulator), before);
}

#[test]
fn a_bad_baseline_stops_apply_before_any_call() {
    let (emulator, estate, dir) = snapshotted();
    emulator.incident(&estate);
    let before = exports(&emulator);
    let prod = id(&estate, "/us-east-1/vpc_id");
    let file = dir
        .path()
        .join("123456789012/us-east-1")
        .join(format!("{prod}.yaml"));
    let text = fs::read_to_string(&file).expect("read");
    fs::write(
        &file,
        text.replacen("rule_number: 100", "rule_number: 40000", 1),
    )
    .expect("write");

    let applied = nacl(&emulator, dir.path(), &["apply", "--yes", "--prune"]);
    assert_eq!(applied.code, 1, "{applied:?}");
    assert!(
        applied
            .stderr
            .starts_with(&format!("error: {}:", file.display())),
        "{applied:?}"
    );
    assert!(
        applied
            .stderr
            .contains("rule number 40000 is outside 1..=32766"),
        "{applied:?}"
    );
    assert_eq!(
        exports(&emulator),
        before,
        "a bad baseline must mean no mutation at all"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_killed_midway_converges_when_run_again() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let ec2 = emulator.ec2("us-east-1");
    let vpc = id(&estate, "/us-east-1/vpc_id");
    // Twenty NACLs of twenty entries, all deleted: 400 calls to restore.
    let mut acls = Vec::new();
    for _ in 0..20 {
        let acl = emulator.create_network_acl(vpc).await;
        for rule in 1..=20 {
            ec2.create_network_acl_entry()
                .network_acl_id(&acl)
                .egress(false)
                .rule_number(rule * 10)
                .protocol("6")
                .rule_action(if rule % 4 == 0 {
                    RuleAction::Deny
                } else {
                    RuleAction::Allow
                })
                .cidr_block(format!("10.{rule}.0.0/16"))
                .port_range(PortRange::builder().from(443).to(443).build())
                .send()
                .await
                .expect("entry");
        }
        acls.push(acl);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    snapshot(&emulator, dir.path());
    for acl in &acls {
        for rule in 1..=20 {
            ec2.delete_network_acl_entry()
                .network_acl_id(acl)
                .egress(false)
                .rule_number(rule * 10)
                .send()
                .await
                .expect("delete");
        }
    }

    let mut child = nacl_drift()
        .args([
            "-v",
            "apply",
            "--yes",
            "--baseline-dir",
            dir_arg(dir.path()),
            "--endpoint-url",
            &emulator.endpoint,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    let stderr = child.stderr.take().expect("stderr");
    let mut made = 0;
    for line in BufReader::new(stderr).lines() {
        if line.expect("stderr line").contains("call made") {
            made += 1;
            if made == 25 {
                child.kill().expect("kill apply");
                break;
            }
        }
    }
    let _ = child.wait();
    assert_eq!(made, 25, "apply ended before it could be killed");
    let (code, report) = diff_json(&emulator, dir.path());
    assert_eq!(code, 2);
    let remaining = report["changes"].as_array().map_or(0, Vec::len);
    assert!(
        remaining > 0 && remaining < 400,
        "killed midway: {remaining} of 400 entries still missing"
    );

    // The emulator has no token bucket: the rest need not wait for one.
    let again = nacl(
        &emulator,
        dir.path(),
        &["apply", "--yes", "--call-rate", "1000"],
    );
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(diff_json(&emulator, dir.path()).0, 0);
}
