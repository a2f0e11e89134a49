//! `diff --attribute` on the emulator: the drill's incidents, with the
//! CloudTrail log files that record those calls.

use std::fs;
use std::path::Path;

use crate::support::{Emulator, dir_arg, id, nacl_drift, run};
use aws_sdk_ec2::types::Tag;
use serde_json::{Value, json};

/// Runs `command` (diff or apply) on the baselines, the emulator and the
/// CloudTrail logs, with `extra` arguments.
fn attributed(
    command: &str,
    baselines: &Path,
    emulator: &Emulator,
    logs: &Path,
    extra: &[&str],
) -> crate::support::Run {
    let mut args = vec![
        command,
        "--baseline-dir",
        dir_arg(baselines),
        "--endpoint-url",
        &emulator.endpoint,
        "--cloudtrail-logs",
        dir_arg(logs),
    ];
    args.extend(extra);
    run(&mut nacl_drift(), &args)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_change_is_attributed_to_the_right_principal_time_and_source() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let baselines = tempfile::tempdir().expect("temp dir");
    let logs = tempfile::tempdir().expect("temp dir");
    let snapshot = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--baseline-dir",
            dir_arg(baselines.path()),
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
        ],
    );
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    emulator.incident_logged(&estate, Some(logs.path()));
    // A change that no log records.
    let app = id(&estate, "/us-east-1/network_acls/app");
    emulator
        .ec2("us-east-1")
        .create_tags()
        .resources(app)
        .tags(Tag::builder().key("Owner").value("nobody-knows").build())
        .send()
        .await
        .expect("tag");

    let result = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(baselines.path()),
            "--endpoint-url",
            &emulator.endpoint,
            "--attribute",
            "--cloudtrail-logs",
            dir_arg(logs.path()),
            "--format",
            "json",
        ],
    );
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON report");
    let changes = report["changes"].as_array().expect("changes");
    let db = id(&estate, "/us-east-1/network_acls/db");
    let who = |kind: &str, acl: &str| -> Value {
        let change = changes
            .iter()
            .find(|c| c["kind"] == kind && c["network_acl_id"] == acl)
            .unwrap_or_else(|| panic!("no {kind} on {acl}"));
        let attribution = &change["attribution"];
        if attribution.is_null() {
            return Value::Null;
        }
        json!([
            attribution["principal_arn"],
            attribution["event_name"],
            attribution["source_ip"],
            attribution["event_time"].as_str().map(|t| t.len())
        ])
    };
    assert_eq!(
        who("entry_deleted", db),
        json!([
            "arn:aws:iam::123456789012:user/mallory",
            "DeleteNetworkAclEntry",
            "203.0.113.66",
            20
        ])
    );
    assert_eq!(
        who("entry_deleted", app),
        json!([
            "arn:aws:sts::123456789012:assumed-role/ops-automation/terraform-run-4711",
            "DeleteNetworkAclEntry",
            "10.0.5.20",
            20
        ])
    );
    assert_eq!(
        who("entry_modified", db),
        json!([
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jane.doe@example.com",
            "ReplaceNetworkAclEntry",
            "198.51.100.23",
            20
        ])
    );
    assert_eq!(
        who("association_changed", db),
        json!([
            "arn:aws:iam::123456789012:user/mallory",
            "ReplaceNetworkAclAssociation",
            "203.0.113.66",
            20
        ])
    );
    assert_eq!(who("tags_changed", app), Value::Null, "unattributed");
    // Mallory's deletion at 9 minutes ago, not the failed call after it, nor yesterday's replace.
    let deletion = changes
        .iter()
        .find(|c| c["kind"] == "entry_deleted" && c["network_acl_id"] == db)
        .expect("the deletion");
    let sso = changes
        .iter()
        .find(|c| c["kind"] == "entry_modified")
        .expect("the widening");
    assert!(
        deletion["attribution"]["event_time"].as_str() < sso["attribution"]["event_time"].as_str()
    );
    assert_eq!(sso["attribution"]["user_name"], "jane.doe@example.com");

    let table = attributed("diff", baselines.path(), &emulator, logs.path(), &[]);
    assert_eq!(table.code, 2, "{table:?}");
    assert!(table.stdout.contains("who / when / from"), "{table:?}");
    assert!(table.stdout.contains("user/mallory"), "{table:?}");
    assert!(
        table
            .stdout
            .contains("jane.doe@example.com (SSO, AdministratorAccess)"),
        "{table:?}"
    );
    assert!(table.stdout.contains("unattributed"), "{table:?}");

    // apply says who made the drift before its plan.
    let plan = attributed(
        "apply",
        baselines.path(),
        &emulator,
        logs.path(),
        &["--dry-run"],
    );
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout.starts_with("The drift, and who made it:\n"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("role/ops-automation session terraform-run-4711"),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("Dry run: "), "{plan:?}");

    // A log file that is not one: an error naming it, or a warning with --ignore-bad-logs.
    let bad = logs
        .path()
        .join("AWSLogs/123456789012/CloudTrail/us-east-1/broken.json.gz");
    fs::write(&bad, b"this is not gzip").expect("write");
    let failed = attributed("diff", baselines.path(), &emulator, logs.path(), &[]);
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(
        failed.stderr,
        format!(
            "error: cannot read the CloudTrail logs\n  caused by: {}: not a gzipped CloudTrail log: invalid gzip header\n",
            bad.display()
        )
    );
    let ignored = attributed(
        "diff",
        baselines.path(),
        &emulator,
        logs.path(),
        &["--ignore-bad-logs"],
    );
    assert_eq!(ignored.code, 2, "{ignored:?}");
    assert!(
        ignored
            .stderr
            .starts_with(&format!("warning: skipped {}: ", bad.display())),
        "{ignored:?}"
    );
    assert!(ignored.stdout.contains("user/mallory"), "{ignored:?}");
}

#[test]
fn a_bad_since_is_an_error() {
    let result = run(
        &mut nacl_drift(),
        &["diff", "--attribute", "--since", "last tuesday"],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.contains(
            "`last tuesday` is neither a duration (90d, 12h, 30m) nor a time (2026-11-01T00:00:00Z)"
        ),
        "{result:?}"
    );
}
