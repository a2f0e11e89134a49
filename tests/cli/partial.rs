//! A partial read is never "gone": an export filtered to one VPC, or to
//! one NACL, answers only for what it holds. `diff` never reports the rest
//! deleted (and its gate is not green), and `snapshot` never removes their
//! baselines. Only `--export-is-complete` says otherwise.

use std::path::Path;

use serde_json::Value;

use crate::support::{Emulator, dir_arg, files_below, id, nacl_drift, run};

/// `export` (describe-network-acls JSON) with only the NACLs `keep` takes,
/// as `--filters Name=vpc-id,...` or `--network-acl-ids` would print it.
fn filtered(export: &str, keep: impl Fn(&Value) -> bool) -> String {
    let mut export: Value = serde_json::from_str(export).expect("export JSON");
    let acls = export["NetworkAcls"].as_array_mut().expect("NetworkAcls");
    acls.retain(|acl| keep(acl));
    assert!(!acls.is_empty(), "the filter keeps some NACL");
    export.to_string()
}

fn snapshot_of(dir: &Path, export: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "snapshot",
        "--baseline-dir",
        dir_arg(dir),
        "--live-file",
        dir_arg(export),
        "--region",
        "us-east-1",
    ];
    args.extend(extra);
    run(&mut nacl_drift(), &args)
}

/// `snapshot` of us-east-1 on the emulator, with `extra` flags.
fn snapshot_online(emulator: &Emulator, dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "snapshot",
        "--baseline-dir",
        dir_arg(dir),
        "--endpoint-url",
        &emulator.endpoint,
        "--region",
        "us-east-1",
    ];
    args.extend(extra);
    let online = run(&mut nacl_drift(), &args);
    assert_eq!(online.code, 0, "{online:?}");
}

fn diff_of(dir: &Path, export: &Path) -> crate::support::Run {
    run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(dir),
            "--live-file",
            dir_arg(export),
            "--format",
            "json",
        ],
    )
}

#[test]
fn an_export_filtered_to_one_vpc_deletes_nothing_and_passes_no_gate() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    snapshot_online(&emulator, dir.path(), &[]);
    let before = files_below(dir.path());
    assert_eq!(before.len(), 2, "the shop's VPC and the default one");

    let prod = id(&estate, "/us-east-1/vpc_id");
    let exports = tempfile::tempdir().expect("temp dir");
    let one_vpc = exports.path().join("one-vpc.json");
    std::fs::write(
        &one_vpc,
        filtered(&emulator.export("us-east-1"), |acl| acl["VpcId"] == prod),
    )
    .expect("write export");

    // diff: the other VPC is not compared, never deleted; exit 1.
    let diff = diff_of(dir.path(), &one_vpc);
    assert_eq!(diff.code, 1, "{diff:?}");
    let report: Value = serde_json::from_str(&diff.stdout).expect("JSON");
    assert_eq!(report["changes"], serde_json::json!([]), "{report:#}");
    let skipped = report["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{report:#}");
    let reason = skipped[0]["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("not compared: the exports hold no NACL of its VPC vpc-")
            && reason.ends_with("(export it too; an export answers only for what it holds)"),
        "{reason}"
    );
    assert!(
        diff.stderr
            .contains("error: 1 baselines, NACLs or subnets were not compared"),
        "{diff:?}"
    );

    // snapshot: the other VPC's baseline is kept, byte for byte.
    let snapshot = snapshot_of(dir.path(), &one_vpc, &[]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    assert_eq!(files_below(dir.path()), before, "{snapshot:?}");
    assert!(
        snapshot.stdout.contains("Kept the baselines of vpc-")
            && snapshot
                .stdout
                .contains("which the exports do not hold: an export answers only for what it holds (pass --export-is-complete if they are gone)"),
        "{snapshot:?}"
    );
    assert!(!snapshot.stdout.contains("Removed "), "{snapshot:?}");

    // Said complete, the export speaks for the whole region: the other
    // VPC is gone, its baseline removed, and the summary names it.
    let complete = snapshot_of(dir.path(), &one_vpc, &["--export-is-complete"]);
    assert_eq!(complete.code, 0, "{complete:?}");
    assert_eq!(files_below(dir.path()).len(), 1, "{complete:?}");
    assert!(
        complete.stdout.contains("Removed ")
            && complete
                .stdout
                .contains(".yaml: no longer in the live state"),
        "{complete:?}"
    );
}

#[test]
fn an_export_filtered_to_one_nacl_deletes_none_of_its_vpcs_others() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    let prod = id(&estate, "/us-east-1/vpc_id");
    snapshot_online(&emulator, dir.path(), &["--vpc-id", prod]);
    let before = files_below(dir.path());

    let db = id(&estate, "/us-east-1/network_acls/db");
    let exports = tempfile::tempdir().expect("temp dir");
    let one_acl = exports.path().join("one-acl.json");
    std::fs::write(
        &one_acl,
        filtered(&emulator.export("us-east-1"), |acl| {
            acl["NetworkAclId"] == db
        }),
    )
    .expect("write export");

    // diff: the VPC's other NACLs are not compared, never deleted.
    let diff = diff_of(dir.path(), &one_acl);
    assert_eq!(diff.code, 1, "{diff:?}");
    let report: Value = serde_json::from_str(&diff.stdout).expect("JSON");
    assert_eq!(report["changes"], serde_json::json!([]), "{report:#}");
    let skipped = report["skipped"].as_array().expect("skipped");
    assert!(
        skipped.len() >= 3,
        "web, app and the default NACL: {report:#}"
    );
    for skip in skipped {
        assert_eq!(skip["vpc_id"], prod, "{report:#}");
        let reason = skip["reason"].as_str().expect("reason");
        assert!(
            reason.starts_with("network ACL acl-")
                && reason.ends_with(
                    " not compared: the exports do not hold it (pass --export-is-complete if they are whole)"
                ),
            "{reason}"
        );
    }

    // snapshot: refused before anything is written, naming the fix.
    let snapshot = snapshot_of(dir.path(), &one_acl, &[]);
    assert_eq!(snapshot.code, 1, "{snapshot:?}");
    assert!(
        snapshot.stderr.contains(&format!("the exports hold VPC {prod} without acl-"))
            && snapshot.stderr.contains(
                "an export filtered by NACL cannot tell a deleted NACL from one left out: export the whole VPC, or pass --export-is-complete if they are gone. Nothing was written"
            ),
        "{snapshot:?}"
    );
    assert_eq!(files_below(dir.path()), before);
}
