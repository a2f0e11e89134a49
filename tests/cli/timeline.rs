//! `timeline` on the emulator: the drill's incidents with the CloudTrail log
//! files that record them, and a window that a restore closed.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Emulator, dir_arg, id, nacl_drift, run};

/// The emulator's account.
const ACCOUNT: &str = "123456789012";

/// The drill's estate on the emulator, and its baselines.
fn estate() -> (Emulator, Value, tempfile::TempDir) {
    crate::watch::snapshotted()
}

/// `timeline` of the baselines under `folder` over the last two days, from
/// the log files under `logs`.
fn timeline(emulator: &Emulator, folder: &Path, logs: &Path, format: &str) -> crate::support::Run {
    let baselines = folder.join("baselines");
    let args = [
        "timeline",
        "--baseline-dir",
        dir_arg(&baselines),
        "--endpoint-url",
        &emulator.endpoint,
        "--cloudtrail-logs",
        dir_arg(logs),
        "--since",
        "2d",
        "--format",
        format,
    ];
    run(&mut nacl_drift(), &args)
}

#[test]
fn the_drills_incidents_are_windows_open_still_with_who_opened_them() {
    let (emulator, estate, baselines) = estate();
    let logs = tempfile::tempdir().expect("temp dir");
    let quiet = timeline(&emulator, baselines.path(), logs.path(), "text");
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert_eq!(
        quiet.stdout,
        "No window: no call in the trail changed what a NACL lets through.\n"
    );
    emulator.incident_logged(&estate, Some(logs.path()));
    let result = timeline(&emulator, baselines.path(), logs.path(), "json");
    assert_eq!(result.code, 2, "windows: {result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let app = id(&estate, "/us-east-1/network_acls/app");
    let db = id(&estate, "/us-east-1/network_acls/db");
    let windows: Vec<(&str, &str, &str, bool)> = report["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .map(|window| {
            (
                window["effect"]["network_acl_id"]
                    .as_str()
                    .unwrap_or_default(),
                window["effect"]["summary"].as_str().unwrap_or_default(),
                window["opened"]["by"]["event_name"]
                    .as_str()
                    .unwrap_or_default(),
                window["closed"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        windows[0],
        (
            app,
            "egress udp 53 to 10.0.0.2/32: was allowed by rule 120, now denied by the default deny",
            "DeleteNetworkAclEntry",
            true
        ),
        "{report:#}"
    );
    assert!(
        windows.iter().any(|window| window.0 == db
            && window.1.starts_with("ingress tcp 22 from 0.0.0.0/0")
            && window.2 == "ReplaceNetworkAclEntry"),
        "the widening, by jane: {report:#}"
    );
    // Deleting the SSH deny alone exposed nothing (the drill's note): no
    // window of its own. The subnet moved is not replayed, and said so.
    let not_replayed = &report["not_replayed"];
    assert_eq!(not_replayed.as_array().map(Vec::len), Some(1), "{report:#}");
    assert_eq!(
        not_replayed[0]["call"]["by"]["event_name"],
        "ReplaceNetworkAclAssociation"
    );
    let subnet = id(&estate, "/us-east-1/subnets/db-b");
    assert_eq!(
        report["not_the_live_state"],
        json!([{
            "network_acl_id": db,
            "position": subnet,
            "replayed": format!("on {db}"),
            "live": format!("on {}", id(&estate, "/us-east-1/default_network_acl")),
        }]),
        "where the replay ends: the subnet it could not move"
    );

    // The text says the same, each value escaped.
    let text = timeline(&emulator, baselines.path(), logs.path(), "text");
    assert_eq!(text.code, 2, "{text:?}");
    assert!(
        text.stdout.contains("  opened ") && text.stdout.contains("  open still, for "),
        "{text:?}"
    );
    assert!(
        text.stderr
            .contains("warning: the replay does not end in the live state: "),
        "{text:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_closed_by_the_restore_has_its_exact_duration_and_both_principals() {
    let (emulator, estate, baselines) = estate();
    let app = id(&estate, "/us-east-1/network_acls/app");
    let ec2 = emulator.ec2("us-east-1");
    // Mallory deletes the app tier's DNS egress; the guard makes it again.
    let describe = ec2
        .describe_network_acls()
        .network_acl_ids(app)
        .send()
        .await
        .expect("describe");
    let dns = describe.network_acls()[0]
        .entries()
        .iter()
        .find(|entry| entry.rule_number() == Some(120) && entry.egress() == Some(true))
        .expect("egress 120")
        .clone();
    ec2.delete_network_acl_entry()
        .network_acl_id(app)
        .rule_number(120)
        .egress(true)
        .send()
        .await
        .expect("delete");
    ec2.create_network_acl_entry()
        .network_acl_id(app)
        .rule_number(120)
        .egress(true)
        .protocol(dns.protocol().expect("protocol"))
        .rule_action(dns.rule_action().expect("action").clone())
        .cidr_block(dns.cidr_block().expect("cidr"))
        .set_port_range(dns.port_range().cloned())
        .send()
        .await
        .expect("create");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs();
    let key = json!({"networkAclId": app, "ruleNumber": 120, "egress": true});
    let mut made = key.clone();
    let extra = json!({"ruleAction": "allow", "aclProtocol": "17", "cidrBlock": "10.0.0.2/32",
        "portRange": {"from": 53, "to": 53}});
    made.as_object_mut()
        .expect("an object")
        .extend(extra.as_object().expect("an object").clone());
    const MALLORY: &str = "arn:aws:iam::123456789012:user/mallory";
    const GUARD: &str = "arn:aws:sts::123456789012:assumed-role/nacl-drift-guard/guard";
    let records: Vec<Value> = [
        ("DeleteNetworkAclEntry", now - 1_800, MALLORY, key),
        ("CreateNetworkAclEntry", now - 1_337, GUARD, made),
    ]
    .into_iter()
    .map(|(name, at, principal, request)| {
        let mut record = nacl_drift_fixtures::cloudtrail_record(name, at, principal, request);
        record["recipientAccountId"] = ACCOUNT.into();
        record
    })
    .collect();
    let logs = tempfile::tempdir().expect("temp dir");
    let day = logs
        .path()
        .join(format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/12/07"));
    std::fs::create_dir_all(&day).expect("the log folder");
    let file = day.join(format!(
        "{ACCOUNT}_CloudTrail_us-east-1_20261207T1200Z_a1b2c3d4.json"
    ));
    std::fs::write(&file, json!({"Records": records}).to_string()).expect("the log file");

    let result = timeline(&emulator, baselines.path(), logs.path(), "json");
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let [window] = report["windows"].as_array().expect("windows").as_slice() else {
        panic!("one window: {report:#}");
    };
    assert_eq!(window["duration_seconds"], 463, "{window:#}");
    assert_eq!(window["opened"]["by"]["principal_arn"], MALLORY);
    assert_eq!(window["closed"]["by"]["principal_arn"], GUARD);
    assert_eq!(window["effect"]["severity"], "medium");
    assert_eq!(
        report["not_the_live_state"],
        json!([]),
        "the replay ends in live state"
    );
    assert_eq!(report["not_replayed"], json!([]));
}
