//! `nacl-drift watch --sqs-queue-url`, the guard's event mode, against the
//! emulator's EC2, EventBridge and SQS. The emulator emits no CloudTrail
//! events, so each test makes the change on EC2, then puts the event that
//! CloudTrail would have sent (`tests/emulator/events.py`).

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{
    Emulator, MALLORY, Run, dir_arg, entry_call, files_below, id, nacl_drift, run,
};
use crate::watch::{Watching, restored_calls, snapshotted};

/// A queue fed by the guard's EventBridge rule; its URL.
pub fn guard_queue(emulator: &Emulator) -> String {
    let made = emulator.events(&["queue"]);
    made["queue_url"].as_str().expect("queue_url").to_owned()
}

/// `watch --once` on `queue`, through `endpoint` (the emulator's, or a
/// proxy's), on the baselines of `dir`.
pub fn watch_queue(endpoint: &str, dir: &Path, queue: &str, extra: &[&str]) -> Run {
    let baselines = dir.join("baselines");
    let mut args = vec![
        "watch",
        "--once",
        "--sqs-queue-url",
        queue,
        "--baseline-dir",
        dir_arg(&baselines),
        "--endpoint-url",
        endpoint,
    ];
    args.extend(extra);
    run(nacl_drift().env("AWS_REGION", "us-east-1"), &args)
}

pub fn lines(result: &Run) -> Vec<Value> {
    result
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn messages_left(emulator: &Emulator, queue: &str) -> u64 {
    let count = emulator.events(&["count", queue]);
    count["visible"].as_u64().expect("visible") + count["in_flight"].as_u64().expect("in flight")
}

pub async fn delete_ssh_deny(emulator: &Emulator, acl: &str) {
    emulator
        .ec2("us-east-1")
        .delete_network_acl_entry()
        .network_acl_id(acl)
        .egress(false)
        .rule_number(80)
        .send()
        .await
        .expect("delete the SSH deny");
}

pub async fn ssh_deny_present(emulator: &Emulator, acl: &str) -> bool {
    let described = emulator
        .ec2("us-east-1")
        .describe_network_acls()
        .network_acl_ids(acl)
        .send()
        .await
        .expect("describe");
    described.network_acls()[0]
        .entries()
        .iter()
        .any(|entry| entry.rule_number() == Some(80) && entry.egress() == Some(false))
}

/// The incident of the drill, by event: the SSH deny deleted, restored from
/// the event's VPC alone, the principal named, and the message gone.
#[tokio::test]
async fn an_event_restores_its_vpc_names_the_principal_and_is_deleted() {
    let (emulator, estate, dir) = snapshotted();
    let queue = guard_queue(&emulator);
    let db = id(&estate, "/us-east-1/network_acls/db");
    delete_ssh_deny(&emulator, db).await;
    emulator.events(&[
        "put",
        &entry_call(
            "us-east-1",
            "DeleteNetworkAclEntry",
            "e-incident",
            db,
            80,
            MALLORY,
        ),
    ]);

    let result = watch_queue(&emulator.endpoint, dir.path(), &queue, &["--restore"]);
    assert_eq!(result.code, 0, "{result:?}");
    let lines = lines(&result);
    assert_eq!(lines.len(), 1, "one reconcile: {result:?}");
    let line = &lines[0];
    assert_eq!(line["trigger"], "event");
    assert_eq!(line["event"]["event_name"], "DeleteNetworkAclEntry");
    assert_eq!(line["event"]["event_id"], "e-incident");
    assert_eq!(line["event"]["principal_arn"], MALLORY);
    assert_eq!(line["event"]["source_ip"], "198.51.100.7");
    assert_eq!(line["account"], "123456789012");
    assert_eq!(line["region"], "us-east-1");
    assert_eq!(line["vpc_id"], id(&estate, "/us-east-1/vpc_id"));
    assert_eq!(line["in_sync"], true, "verified: {line}");
    assert_eq!(
        restored_calls(line),
        [(db.to_owned(), "done".to_owned())],
        "{line}"
    );
    assert_eq!(line["restored"][0]["call"], "CreateNetworkAclEntry");
    assert!(line["latency_ms"].as_u64().is_some(), "{line}");
    let changes = line["changes"].as_array().expect("changes");
    assert!(
        changes.iter().all(|c| c["vpc_id"] == line["vpc_id"]),
        "only the event's VPC was compared: {line}"
    );
    assert_eq!(
        changes[0]["attribution"]["principal_arn"], MALLORY,
        "the change is the event's: {line}"
    );
    assert!(ssh_deny_present(&emulator, db).await);
    assert_eq!(messages_left(&emulator, &queue), 0);
}

/// A failed call, a NACL outside every baseline and a second delivery of an
/// event ask nothing (notes on stderr, every message deleted); an event
/// naming nacl-drift's own principal is said to be its own, and is checked
/// like any other: anyone who can send to the queue could name it.
#[tokio::test]
async fn events_that_ask_nothing_change_nothing() {
    let (emulator, estate, dir) = snapshotted();
    let queue = guard_queue(&emulator);
    let db = id(&estate, "/us-east-1/network_acls/db");
    delete_ssh_deny(&emulator, db).await;

    let mut failed: Value = serde_json::from_str(&entry_call(
        "us-east-1",
        "DeleteNetworkAclEntry",
        "e-failed",
        db,
        80,
        MALLORY,
    ))
    .expect("JSON");
    failed["errorCode"] = json!("Client.UnauthorizedOperation");
    emulator.events(&["send", &queue, &failed.to_string()]);
    let outside = "acl-0123456789abcdef0";
    emulator.events(&[
        "put",
        &entry_call(
            "us-east-1",
            "DeleteNetworkAclEntry",
            "e-outside",
            outside,
            80,
            MALLORY,
        ),
    ]);
    let own = emulator.events(&["whoami"]);
    let own = own["arn"].as_str().expect("arn");
    let own_call = entry_call("us-east-1", "CreateNetworkAclEntry", "e-own", db, 80, own);
    emulator.events(&["put", &own_call]);
    emulator.events(&["put", &own_call]);
    let before = files_below(dir.path());

    let result = watch_queue(&emulator.endpoint, dir.path(), &queue, &["--restore"]);
    assert_eq!(
        result.code, 0,
        "the state check finds the drift: {result:?}"
    );
    let lines = lines(&result);
    assert_eq!(
        lines.len(),
        1,
        "one reconcile, for the own call: {result:?}"
    );
    assert_eq!(lines[0]["event"]["principal_arn"], own);
    assert_eq!(lines[0]["own_calls"], true);
    assert_eq!(lines[0]["in_sync"], true);
    assert_eq!(lines[0]["restored"][0]["status"], "done", "{}", lines[0]);
    for why in [
        "DeleteNetworkAclEntry failed (Client.UnauthorizedOperation)",
        "no baseline holds acl-0123456789abcdef0 in us-east-1",
        "event e-own was delivered before",
    ] {
        assert!(result.stderr.contains(why), "{why}: {}", result.stderr);
    }
    assert!(ssh_deny_present(&emulator, db).await, "restored");
    assert_eq!(messages_left(&emulator, &queue), 0);
    assert_eq!(files_below(dir.path()), before, "no file changed");
}

/// Bad input: a queue URL that is not one, and a queue that does not
/// exist, fail with one clear line before anything is read or changed.
#[test]
fn a_bad_queue_is_refused() {
    let (emulator, _estate, dir) = snapshotted();
    let before = files_below(dir.path());
    let result = watch_queue(&emulator.endpoint, dir.path(), "sqs/guard", &[]);
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result
            .stderr
            .contains("`sqs/guard` is not an SQS queue URL"),
        "{result:?}"
    );
    let missing = format!("{}/123456789012/no-such-queue", emulator.endpoint);
    let result = watch_queue(&emulator.endpoint, dir.path(), &missing, &["--restore"]);
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result
            .stderr
            .contains(&format!("cannot receive from {missing}")),
        "{result:?}"
    );
    assert!(
        result
            .stderr
            .contains("failed: AWS.SimpleQueueService.NonExistentQueue"),
        "{result:?}"
    );
    assert_eq!(files_below(dir.path()), before);
}

/// Left running: a sweep on start, then a burst of two calls on one VPC is
/// one reconcile (both events named), restored; SIGTERM ends it with 0.
#[tokio::test]
async fn a_burst_on_one_vpc_is_one_reconcile_after_the_start_sweep() {
    let (emulator, estate, dir) = snapshotted();
    let queue = guard_queue(&emulator);
    let db = id(&estate, "/us-east-1/network_acls/db");
    let mut watch = Watching::start(
        &emulator,
        dir.path(),
        &["--sqs-queue-url", &queue, "--restore", "--debounce", "5s"],
    );
    let sweep = watch.next_line();
    assert_eq!(sweep["trigger"], "sweep", "{sweep}");
    assert_eq!(sweep["in_sync"], true, "{sweep}");
    assert_eq!(sweep["vpc_id"], Value::Null);

    let ec2 = emulator.ec2("us-east-1");
    for (rule, event_id) in [(80, "e-burst-1"), (90, "e-burst-2")] {
        ec2.delete_network_acl_entry()
            .network_acl_id(db)
            .egress(false)
            .rule_number(rule)
            .send()
            .await
            .expect("delete a deny");
        emulator.events(&[
            "put",
            &entry_call(
                "us-east-1",
                "DeleteNetworkAclEntry",
                event_id,
                db,
                rule as u16,
                MALLORY,
            ),
        ]);
    }
    let line = watch.next_line();
    assert_eq!(line["trigger"], "event", "{line}");
    assert_eq!(line["event"]["event_id"], "e-burst-1", "{line}");
    assert_eq!(line["more_events"][0]["event_id"], "e-burst-2", "{line}");
    assert_eq!(
        line["changes"].as_array().expect("changes").len(),
        2,
        "{line}"
    );
    assert_eq!(restored_calls(&line).len(), 2, "{line}");
    assert_eq!(line["in_sync"], true, "{line}");
    assert!(ssh_deny_present(&emulator, db).await);

    assert_eq!(watch.terminate(), Some(0), "SIGTERM ends watch cleanly");
    assert_eq!(messages_left(&emulator, &queue), 0);
}
