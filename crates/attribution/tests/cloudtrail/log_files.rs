//! Attribution from CloudTrail log files (gzipped and plain), with records
//! of an IAM user, an assumed role, an SSO user and an AWS service, and
//! records that must not match.

use std::fs;

use crate::support::{accounts, changes, fixtures};
use nacl_drift_attribution::{read_log_dir, read_log_dir_within};
use nacl_drift_diff::{AssessedChange, Attributed};
use serde_json::{Value, json};

/// (kind, NACL, position, attribution as JSON) of each change.
fn attributed(changes: &[AssessedChange]) -> Vec<(String, String, String, Value)> {
    changes
        .iter()
        .map(
            |AssessedChange {
                 change: c,
                 verdict: v,
                 ..
             }| {
                let position = match (c.drift.entry_key(), c.drift.subnet()) {
                    (Some(key), _) => format!("{} {}", key.direction, key.rule_number),
                    (_, Some(subnet)) => subnet.to_string(),
                    _ => String::new(),
                };
                let attribution = serde_json::to_value(&v.attribution).expect("serialises");
                (
                    c.kind().label().to_owned(),
                    c.network_acl_id.to_string(),
                    position,
                    attribution,
                )
            },
        )
        .collect()
}

#[test]
fn every_change_goes_to_the_most_recent_matching_event() {
    let logs = read_log_dir(&fixtures(), false).expect("the fixtures are valid logs");
    assert_eq!(logs.files, 2);
    let mut drift = changes();
    drift.attribute(&logs.events, &accounts(), 0);
    let mallory = |time: &str, event: &str, id: u32| {
        json!({
            "principal_arn": "arn:aws:iam::111122223333:user/mallory", "principal_type": "IAMUser",
            "user_name": "mallory", "event_name": event, "event_time": time,
            "event_id": format!("00000000-0000-0000-0000-{id:012}"),
            "source_ip": "203.0.113.66", "user_agent": "aws-cli/2.17.20"
        })
    };
    assert_eq!(
        attributed(&drift.changes),
        [
            (
                "entry deleted".to_owned(),
                "acl-0app".to_owned(),
                "egress 120".to_owned(),
                json!({
                    "principal_arn": "arn:aws:sts::111122223333:assumed-role/ops-automation/terraform-run-4711",
                    "principal_type": "AssumedRole",
                    "role_arn": "arn:aws:iam::111122223333:role/ops-automation",
                    "session_name": "terraform-run-4711",
                    "event_name": "DeleteNetworkAclEntry", "event_time": "2026-11-20T09:58:00Z",
                    "event_id": "00000000-0000-0000-0000-000000000010",
                    "source_ip": "10.0.5.20", "user_agent": "Terraform/1.9.5"
                })
            ),
            (
                "entry deleted".to_owned(),
                "acl-0db".to_owned(),
                "ingress 80".to_owned(),
                mallory("2026-11-20T10:00:00Z", "DeleteNetworkAclEntry", 1)
            ),
            (
                "entry modified".to_owned(),
                "acl-0db".to_owned(),
                "ingress 100".to_owned(),
                json!({
                    "principal_arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_NetworkAdmin_89abcdef01234567/jane.doe@example.com",
                    "principal_type": "AssumedRole",
                    "role_arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_NetworkAdmin_89abcdef01234567",
                    "session_name": "jane.doe@example.com",
                    "user_name": "jane.doe@example.com",
                    "event_name": "ReplaceNetworkAclEntry", "event_time": "2026-11-20T10:05:00Z",
                    "event_id": "00000000-0000-0000-0000-000000000002",
                    "source_ip": "198.51.100.23", "user_agent": "console.ec2.amazonaws.com"
                })
            ),
            (
                "subnet moved".to_owned(),
                "acl-0db".to_owned(),
                "subnet-0dbb".to_owned(),
                mallory("2026-11-20T10:06:00Z", "ReplaceNetworkAclAssociation", 3)
            ),
            (
                "tags changed".to_owned(),
                "acl-0db".to_owned(),
                String::new(),
                json!({
                    "principal_arn": null, "principal_type": "AWSService",
                    "invoked_by": "cloudformation.amazonaws.com",
                    "event_name": "CreateTags", "event_time": "2026-11-20T10:07:00Z",
                    "event_id": "00000000-0000-0000-0000-000000000004",
                    "source_ip": "cloudformation.amazonaws.com", "user_agent": "cloudformation.amazonaws.com"
                })
            ),
        ]
    );
    let who: Vec<String> = drift
        .verdicts()
        .filter_map(|v| match &v.attribution {
            Attributed::To(by) => Some(by.who()),
            _ => None,
        })
        .collect();
    assert_eq!(
        who,
        [
            "role/ops-automation session terraform-run-4711",
            "user/mallory",
            "jane.doe@example.com (SSO, NetworkAdmin)",
            "user/mallory",
            "service cloudformation.amazonaws.com",
        ]
    );
}

#[test]
fn events_before_the_window_or_of_other_accounts_do_not_count() {
    let logs = read_log_dir(&fixtures(), false).expect("valid logs");
    let mut drift = changes();
    // 2026-11-20T10:01:00Z: after the deletion of rule 80 and the older replace.
    drift.attribute(&logs.events, &accounts(), 1_795_168_860);
    let db_80 = &drift
        .changes
        .iter()
        .find(|a| a.change.drift.entry_key().map(|key| key.rule_number.get()) == Some(80))
        .expect("rule 80")
        .verdict;
    assert_eq!(db_80.attribution, Attributed::Unattributed);
    assert_eq!(
        serde_json::to_value(&db_80.attribution).expect("json"),
        Value::Null
    );

    let mut drift = changes();
    let others = ["999988887777".parse().expect("account")]
        .into_iter()
        .collect();
    drift.attribute(&logs.events, &others, 0);
    assert!(
        drift
            .verdicts()
            .all(|v| v.attribution == Attributed::Unattributed)
    );
}

#[test]
fn a_malformed_log_file_is_an_error_that_names_it_or_is_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let day = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21");
    fs::create_dir_all(&day).expect("mkdir");
    let gz = day.join("broken.json.gz");
    fs::write(&gz, b"this is not gzip").expect("write");
    let error = read_log_dir(dir.path(), false).expect_err("not a log");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: not a gzipped CloudTrail log: invalid gzip header",
            gz.display()
        )
    );
    fs::remove_file(&gz).expect("remove");

    let json = day.join("not-records.json");
    fs::write(&json, r#"{"records": []}"#).expect("write");
    let error = read_log_dir(dir.path(), false).expect_err("not a log");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: not a CloudTrail log", json.display())),
        "{error}"
    );

    let incomplete = day.join("incomplete.json");
    fs::write(&incomplete, r#"{"Records": [{"eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry"}]}"#).expect("write");
    fs::remove_file(&json).expect("remove");
    let error = read_log_dir(dir.path(), false).expect_err("incomplete record");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: record 0: a DeleteNetworkAclEntry record has no eventTime",
            incomplete.display()
        )
    );

    let logs = read_log_dir(dir.path(), true).expect("bad files are skipped");
    assert_eq!(logs.files, 1);
    assert_eq!(logs.skipped.len(), 1);
    assert!(logs.events.is_empty());
}

/// A folder with one plain log file holding `records`.
fn log_dir_with(records: Value) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let day = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21");
    fs::create_dir_all(&day).expect("mkdir");
    let file = day.join("records.json");
    fs::write(&file, json!({ "Records": records }).to_string()).expect("write");
    (dir, file)
}

/// Ids in a record are input like any other: one that no AWS id looks like
/// is an error naming the file, the record and the field.
#[test]
fn a_record_with_ids_that_are_not_aws_ids_is_an_error() {
    let record = |field: &str, value: &str| {
        let mut record = json!({
            "eventSource": "ec2.amazonaws.com",
            "eventName": "ReplaceNetworkAclAssociation",
            "eventTime": "2026-11-21T10:00:00Z",
            "eventID": "e-1",
            "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333",
            "requestParameters": {"networkAclId": "acl-0db", "associationId": "aclassoc-0a"},
            "responseElements": {"newAssociationId": "aclassoc-0b"},
        });
        *record.pointer_mut(field).expect("field") = json!(value);
        record
    };
    for (field, value, expected) in [
        (
            "/awsRegion",
            "../../pwned",
            "awsRegion is unusable: \"../../pwned\" is not an AWS region",
        ),
        (
            "/recipientAccountId",
            "../pwned",
            "recipientAccountId is unusable: \"../pwned\" is not an AWS account id",
        ),
        (
            "/requestParameters/networkAclId",
            "acl-0db/../x",
            "requestParameters.networkAclId is unusable: \"acl-0db/../x\" is not a network ACL id",
        ),
        (
            "/requestParameters/associationId",
            "../aclassoc-0a",
            "requestParameters.associationId is unusable: \"../aclassoc-0a\" is not a network ACL association id",
        ),
        (
            "/responseElements/newAssociationId",
            "aclassoc-0b\n",
            "responseElements.newAssociationId is unusable: \"aclassoc-0b\\n\" is not a network ACL association id",
        ),
    ] {
        let (dir, file) = log_dir_with(json!([record(field, value)]));
        let error = read_log_dir(dir.path(), false).expect_err("a hostile id");
        let prefix = format!(
            "{}: record 0: the ReplaceNetworkAclAssociation record e-1: {expected}",
            file.display()
        );
        assert!(error.to_string().starts_with(&prefix), "{error}");
    }
}

/// A gzip bomb: a few KB that decompress past the bound are refused by
/// name, before they are held in memory.
#[test]
fn a_log_file_that_decompresses_past_the_bound_is_refused() {
    use std::io::Write;
    const MIB: u64 = 1024 * 1024;
    let (dir, file) = log_dir_with(json!([]));
    let bomb = file.with_file_name("bomb.json.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(b"{\"Records\": [").expect("compress");
    for _ in 0..2 * 1024 {
        encoder.write_all(&[b' '; 1024]).expect("compress");
    }
    encoder.write_all(b"]}").expect("compress");
    let compressed = encoder.finish().expect("compress");
    assert!(compressed.len() < 16 * 1024, "{} bytes", compressed.len());
    fs::write(&bomb, compressed).expect("write");

    let error = read_log_dir_within(dir.path(), false, MIB).expect_err("over the bound");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: holds more than 1 MiB once decompressed: too large for a CloudTrail log",
            bomb.display()
        )
    );
    let within = read_log_dir_within(dir.path(), false, 3 * MIB).expect("within the bound");
    assert_eq!(within.files, 2);
}

/// Log trees and records as trails deliver them: digest files beside the
/// logs (log file validation), a tag call on an instance whose record is
/// odd, an older record with no eventID and `egress` as a string, and one
/// bad record among good ones, which `ignore_bad` skips alone.
#[test]
fn log_trees_and_records_as_they_really_come() {
    let dir = tempfile::tempdir().expect("temp dir");
    let account = dir.path().join("AWSLogs/111122223333");
    let day = account.join("CloudTrail/us-east-1/2026/11/21");
    let digests = account.join("CloudTrail-Digest/us-east-1/2026/11/21");
    fs::create_dir_all(&day).expect("mkdir");
    fs::create_dir_all(&digests).expect("mkdir");
    fs::write(
        digests.join("111122223333_CloudTrail-Digest_us-east-1_20261121T1000Z.json.gz"),
        b"a digest, not a log",
    )
    .expect("write");
    let records = json!([
        {"eventSource": "ec2.amazonaws.com", "eventName": "CreateTags",
         "requestParameters": {"resourcesSet": {"items": [{"resourceId": "i-0abc"}]}}},
        {"eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
         "eventTime": "2026-11-21T10:00:00Z", "awsRegion": "us-east-1",
         "recipientAccountId": "111122223333",
         "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "userName": "mallory"},
         "requestParameters": {"networkAclId": "acl-0db", "ruleNumber": "80", "egress": "false"}},
        {"eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
         "eventID": "e-bad", "awsRegion": "us-east-1"},
    ]);
    let file = day.join("records.json");
    fs::write(&file, json!({ "Records": records }).to_string()).expect("write");

    let error = read_log_dir(dir.path(), false).expect_err("a bad record");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: record 2: a DeleteNetworkAclEntry record has no eventTime",
            file.display()
        )
    );
    let logs = read_log_dir(dir.path(), true).expect("the bad record is skipped");
    assert_eq!(logs.files, 1, "digests are no logs");
    assert_eq!(logs.skipped.len(), 1, "{:?}", logs.skipped);
    assert_eq!(logs.events.len(), 1);

    let mut drift = changes();
    drift.attribute(&logs.events, &accounts(), 0);
    let deleted = &drift
        .changes
        .iter()
        .find(|AssessedChange { change: c, .. }| {
            c.network_acl_id == "acl-0db"
                && c.drift
                    .entry_key()
                    .is_some_and(|key| key.to_string() == "ingress rule 80")
        })
        .expect("the SSH deny's deletion")
        .verdict;
    match &deleted.attribution {
        Attributed::To(by) => {
            assert_eq!(by.user_name.as_deref(), Some("mallory"));
            assert_eq!(by.event_id, "");
        }
        other => panic!("not attributed: {other:?}"),
    }
}

/// The identities CloudTrail gives no ARN are still named.
#[test]
fn principals_without_an_arn_are_named() {
    let record = |identity: Value| {
        json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
            "eventTime": "2026-11-21T10:00:00Z", "eventID": "e-1", "awsRegion": "us-east-1",
            "userIdentity": identity,
            "requestParameters": {"networkAclId": "acl-0db", "ruleNumber": 80, "egress": false},
        })
    };
    let (dir, _) = log_dir_with(json!([
        record(
            json!({"type": "IdentityCenterUser", "accountId": "111122223333",
                      "onBehalfOf": {"userId": "jane@example.com"}})
        ),
        record(json!({"type": "SAMLUser", "principalId": "x:jane", "userName": "jane"})),
        record(
            json!({"type": "WebIdentityUser", "principalId": "accounts.google.com:x", "userName": "x"})
        ),
        record(
            json!({"type": "AWSAccount", "accountId": "444455556666", "principalId": "AIDA..."})
        ),
        record(json!({"type": "Unknown"})),
    ]));
    let logs = read_log_dir(dir.path(), false).expect("valid");
    let who: Vec<String> = logs.events.iter().map(|e| e.attribution().who()).collect();
    assert_eq!(
        who,
        [
            "jane@example.com (Identity Center)",
            "jane (SAML)",
            "x (web identity)",
            "account 444455556666",
            "unknown principal",
        ]
    );
}

/// Hostile input: a link back up the log folder is named, not followed
/// (it once recursed until the stack overflowed).
#[test]
fn a_link_to_a_folder_is_named_not_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).expect("mkdir");
    for item in fs::read_dir(fixtures()).expect("fixtures") {
        let path = item.expect("fixture").path();
        if path.is_file() {
            fs::copy(&path, logs.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let expected = read_log_dir(&logs, false).expect("valid logs").events.len();
    let link = logs.join("loop");
    std::os::unix::fs::symlink(dir.path(), &link).expect("symlink");
    let read = read_log_dir(&logs, false).expect("the link is not an error");
    assert_eq!(read.events.len(), expected);
    assert_eq!(read.skipped.len(), 1, "{:?}", read.skipped);
    assert_eq!(read.skipped[0].path, link);
    assert!(read.skipped[0].to_string().contains("not followed"));
}
