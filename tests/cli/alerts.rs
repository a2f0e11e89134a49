//! The guard's alerts on the emulator: SNS delivers each message to an SQS
//! subscriber, which the test drains; a topic that cannot be published to
//! never stops a restore.

use serde_json::Value;

use crate::support::{Emulator, MALLORY, entry_call, id};
use crate::watch::snapshotted;
use crate::watch_queue::{delete_ssh_deny, guard_queue, lines, ssh_deny_present, watch_queue};

/// The drill's incident on the event path: the SSH deny deleted, and the
/// event of its deletion (`event_id`) on the guard's queue. Returns the
/// queue and the db tier's NACL.
async fn incident<'a>(emulator: &Emulator, estate: &'a Value, event_id: &str) -> (String, &'a str) {
    let queue = guard_queue(emulator);
    let db = id(estate, "/us-east-1/network_acls/db");
    delete_ssh_deny(emulator, db).await;
    emulator.events(&[
        "put",
        &entry_call(
            "us-east-1",
            "DeleteNetworkAclEntry",
            event_id,
            db,
            80,
            MALLORY,
        ),
    ]);
    (queue, db)
}

#[tokio::test]
async fn a_restore_is_announced_on_the_topic_with_its_attributes() {
    let (emulator, estate, dir) = snapshotted();
    let (queue, db) = incident(&emulator, &estate, "e-alert").await;
    let topic = emulator.events(&["topic"]);
    let (topic_arn, inbox) = (
        topic["topic_arn"].as_str().expect("topic_arn"),
        topic["queue_url"].as_str().expect("queue_url"),
    );

    let result = watch_queue(
        &emulator.endpoint,
        dir.path(),
        &queue,
        &["--restore", "--sns-topic-arn", topic_arn],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let line = &lines(&result)[0];
    assert_eq!(line["in_sync"], true, "{line}");
    assert_eq!(line["alert"]["topic"], topic_arn);
    assert_eq!(line["alert"]["published"], true, "{line}");

    let drained = emulator.events(&["drain", inbox]);
    let messages = drained["messages"].as_array().expect("messages");
    assert_eq!(
        messages.len(),
        1,
        "one message for one reconcile: {drained}"
    );
    let message = &messages[0];
    let severity = line["severity"].as_str().expect("a severity");
    let subject = message["Subject"].as_str().expect("Subject");
    assert_eq!(
        subject,
        format!(
            "nacl-drift: restored 1 change ({severity}) in shop-prod-db, 123456789012/us-east-1"
        ),
        "the NACL by its Name"
    );
    let body = message["Message"].as_str().expect("Message");
    for part in [
        format!("NACL {db} (shop-prod-db)"),
        format!(
            "- [{severity}] entry deleted, ingress 80: the baseline has deny tcp 22 from 0.0.0.0/0"
        ),
        "made by user/mallory from 198.51.100.7".to_owned(),
        "(unverified: from the event alone)".to_owned(),
        "What nacl-drift did: restored with 1 of 1 calls, verified in sync".to_owned(),
    ] {
        assert!(body.contains(&part), "{part}:\n{body}");
    }
    let attribute = |name: &str| message["MessageAttributes"][name]["Value"].clone();
    assert_eq!(attribute("severity"), severity, "{message}");
    assert_eq!(attribute("account"), "123456789012");
    assert_eq!(attribute("action"), "restored");

    // In sync now: nothing to say.
    let result = watch_queue(
        &emulator.endpoint,
        dir.path(),
        &queue,
        &["--restore", "--sns-topic-arn", topic_arn],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let drained = emulator.events(&["drain", inbox]);
    assert_eq!(drained["messages"], Value::Array(Vec::new()));
}

/// Bad input: a topic that does not exist. The restore happens all the
/// same; the line and stderr name the topic and the error, and `--once`
/// exits 1.
#[tokio::test]
async fn a_topic_that_does_not_exist_never_stops_the_restore() {
    let (emulator, estate, dir) = snapshotted();
    let (queue, db) = incident(&emulator, &estate, "e-lost").await;
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic";

    let result = watch_queue(
        &emulator.endpoint,
        dir.path(),
        &queue,
        &["--restore", "--sns-topic-arn", missing],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        ssh_deny_present(&emulator, db).await,
        "restored all the same"
    );
    let line = &lines(&result)[0];
    assert_eq!(line["in_sync"], true, "{line}");
    assert_eq!(line["alert"]["published"], false, "{line}");
    let error = line["alert"]["error"].as_str().expect("error");
    assert!(error.starts_with("Publish failed: NotFound"), "{error}");
    assert!(
        result.stderr.contains(&format!(
            "warning: could not alert {missing}: Publish failed: NotFound"
        )),
        "{result:?}"
    );

    let result = watch_queue(
        &emulator.endpoint,
        dir.path(),
        &queue,
        &[
            "--sns-topic-arn",
            "arn:aws:sqs:us-east-1:123456789012:a-queue",
        ],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.contains("an SNS topic ARN"),
        "a bad ARN is refused before anything runs: {result:?}"
    );
}

/// `--security-hub`: the finding of a drift is NEW while it stands (a
/// guard that reports only), and RESOLVED once a restore is verified; the
/// re-import updates the same finding; the restore's alert reaches the
/// topic's subscriber.
#[tokio::test]
async fn a_finding_is_new_while_the_drift_stands_and_resolved_once_restored() {
    let (emulator, estate, dir) = snapshotted();
    emulator.events(&["hub"]);
    let db = id(&estate, "/us-east-1/network_acls/db");
    delete_ssh_deny(&emulator, db).await;
    let baselines = dir.path().join("baselines");
    let guard = |extra: &[&str]| {
        let mut args = vec![
            "watch",
            "--once",
            "--security-hub",
            "--baseline-dir",
            crate::support::dir_arg(&baselines),
            "--endpoint-url",
            &emulator.endpoint,
        ];
        args.extend(extra);
        crate::support::run(
            crate::support::nacl_drift().env("AWS_REGION", "us-east-1"),
            &args,
        )
    };
    let finding_id = format!("nacl-drift/123456789012/us-east-1/{db}/entry_deleted/ingress/80");
    let finding = || {
        let held = emulator.events(&["findings"]);
        let findings = held["findings"].as_array().expect("findings").clone();
        let matching: Vec<Value> = findings
            .into_iter()
            .filter(|finding| finding["Id"] == finding_id.as_str())
            .collect();
        assert_eq!(matching.len(), 1, "one finding for the drift: {held}");
        matching[0].clone()
    };

    let result = guard(&[]);
    assert_eq!(result.code, 2, "drift, reported: {result:?}");
    let line = &lines(&result)[0];
    assert_eq!(line["security_hub"]["findings"], 1, "{line}");
    assert_eq!(line["security_hub"]["resolved"], 0, "{line}");
    let reported = finding();
    assert_eq!(reported["Workflow"]["Status"], "NEW", "{reported}");
    assert_eq!(reported["Compliance"]["Status"], "FAILED");
    assert_eq!(reported["Resources"][0]["Type"], "AwsEc2NetworkAcl");

    // The guard: `watch --once --restore --sns-topic-arn T --security-hub`.
    let topic = emulator.events(&["topic"]);
    let topic_arn = topic["topic_arn"].as_str().expect("topic_arn");
    let result = guard(&["--restore", "--sns-topic-arn", topic_arn]);
    assert_eq!(result.code, 0, "{result:?}");
    let line = &lines(&result)[0];
    assert_eq!(line["security_hub"]["resolved"], 1, "{line}");
    assert_eq!(line["alert"]["published"], true, "{line}");
    assert!(ssh_deny_present(&emulator, db).await);
    let resolved = finding();
    assert_eq!(resolved["Workflow"]["Status"], "RESOLVED", "{resolved}");
    assert_eq!(resolved["Compliance"]["Status"], "PASSED");
    let inbox = topic["queue_url"].as_str().expect("queue_url");
    let drained = emulator.events(&["drain", inbox]);
    let body = drained["messages"][0]["Message"]
        .as_str()
        .unwrap_or_else(|| panic!("one message: {drained}"));
    for part in [
        format!("NACL {db}"),
        "entry deleted, ingress 80".to_owned(),
        "restored with 1 of 1 calls, verified in sync".to_owned(),
    ] {
        assert!(body.contains(&part), "{part}:\n{body}");
    }
}

/// One region that refuses the import (Security Hub not enabled there)
/// stops none of the others: the finding of us-east-1 is imported after
/// eu-west-1 refused, and the line names the region that refused.
#[tokio::test]
async fn a_region_that_refuses_findings_stops_no_other_region() {
    let (emulator, estate, dir) = snapshotted();
    emulator.events(&["hub"]);
    let db = id(&estate, "/us-east-1/network_acls/db");
    delete_ssh_deny(&emulator, db).await;
    emulator
        .ec2("eu-west-1")
        .delete_network_acl_entry()
        .network_acl_id(id(&estate, "/eu-west-1/network_acls/web"))
        .egress(false)
        .rule_number(100)
        .send()
        .await
        .expect("delete the DR tier's HTTPS allow");
    let proxy = emulator.proxy(&["--hub-off-in", "eu-west-1"]);
    let baselines = dir.path().join("baselines");
    let result = crate::support::run(
        crate::support::nacl_drift().env("AWS_REGION", "us-east-1"),
        &[
            "watch",
            "--once",
            "--security-hub",
            "--baseline-dir",
            crate::support::dir_arg(&baselines),
            "--endpoint-url",
            &proxy.endpoint,
        ],
    );
    assert_eq!(result.code, 1, "an import failed: {result:?}");
    let line = &lines(&result)[0];
    let error = line["security_hub"]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        error.contains("eu-west-1") && error.contains("InvalidAccessException"),
        "{error}"
    );
    assert!(!error.contains("/us-east-1"), "{error}");
    let held = emulator.events(&["findings"]);
    let finding_id = format!("nacl-drift/123456789012/us-east-1/{db}/entry_deleted/ingress/80");
    assert!(
        held["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|finding| finding["Id"] == finding_id.as_str()),
        "us-east-1's finding, imported after eu-west-1 refused: {held}"
    );
}

/// A finding is resolved at the first reconcile that reads its NACL in
/// sync, whoever fixed the drift (here, a person, while the guard only
/// reports): re-imported as PASSED, and RESOLVED through
/// BatchUpdateFindings, which Security Hub requires of a workflow change
/// (the emulator does not implement it: the proxy answers it as AWS does,
/// and records what was asked).
#[tokio::test]
async fn a_finding_is_resolved_once_a_person_fixes_the_drift() {
    let (emulator, estate, dir) = snapshotted();
    emulator.events(&["hub"]);
    let db = id(&estate, "/us-east-1/network_acls/db");
    let updates = tempfile::NamedTempFile::new().expect("temp file");
    let proxy = emulator.proxy(&["--hub-updates", crate::support::dir_arg(updates.path())]);
    let baselines = dir.path().join("baselines");
    let guard = || {
        crate::support::run(
            crate::support::nacl_drift().env("AWS_REGION", "us-east-1"),
            &[
                "watch",
                "--once",
                "--security-hub",
                "--region",
                "us-east-1",
                "--baseline-dir",
                crate::support::dir_arg(&baselines),
                "--endpoint-url",
                &proxy.endpoint,
            ],
        )
    };
    delete_ssh_deny(&emulator, db).await;
    let reported = guard();
    assert_eq!(reported.code, 2, "{reported:?}");
    let finding_id = format!("nacl-drift/123456789012/us-east-1/{db}/entry_deleted/ingress/80");

    // A person puts the deny back.
    emulator
        .ec2("us-east-1")
        .create_network_acl_entry()
        .network_acl_id(db)
        .egress(false)
        .rule_number(80)
        .protocol("6")
        .port_range(
            aws_sdk_ec2::types::PortRange::builder()
                .from(22)
                .to(22)
                .build(),
        )
        .cidr_block("0.0.0.0/0")
        .rule_action(aws_sdk_ec2::types::RuleAction::Deny)
        .send()
        .await
        .expect("put the deny back");
    let resolved = guard();
    assert_eq!(resolved.code, 0, "{resolved:?}");
    let line = &lines(&resolved)[0];
    assert_eq!(line["security_hub"]["resolved"], 1, "{line}");
    let held = emulator.events(&["findings"]);
    let finding = held["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["Id"] == finding_id.as_str())
        .unwrap_or_else(|| panic!("{held}"))
        .clone();
    assert_eq!(finding["Compliance"]["Status"], "PASSED", "{finding}");
    let asked = std::fs::read_to_string(updates.path()).expect("BatchUpdateFindings asked");
    let asked: Value = serde_json::from_str(asked.lines().next().expect("one call")).expect("JSON");
    assert_eq!(
        asked["FindingIdentifiers"][0]["Id"],
        finding_id.as_str(),
        "{asked}"
    );
    assert_eq!(asked["Workflow"]["Status"], "RESOLVED", "{asked}");

    // In sync, nothing more to resolve.
    let again = guard();
    assert_eq!(again.code, 0, "{again:?}");
}
