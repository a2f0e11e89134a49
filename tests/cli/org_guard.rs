//! One guard for an organization (examples/org-guard) on the emulator: a
//! member account's NACL call goes through the member's rule to the
//! central bus, its rule and queue, and the Lambda guard, which assumes the
//! member's guard role, restores, alerts the central topic and resolves the
//! finding in the member's Security Hub. The wiring is read from the
//! templates (tests/emulator/organization.py's `deploy-guard`), which pass
//! cfn-lint; doctor checks the bus's policy.

use serde_json::{Value, json};

use crate::doctor::{check, doctor};
use crate::lambda::{RuntimeApi, package, start_function};
use crate::support::{Emulator, assert_cfn_lint, dir_arg, nacl_drift, run};
use crate::watch::restored_calls;

const MEMBER_TEMPLATE: &str = "examples/org-guard/member.yaml";
const CENTRAL_TEMPLATE: &str = "examples/org-guard/central.yaml";
/// The member guard role, as the templates name it by default.
const GUARD_ROLE: &str = "NaclDriftGuard";
const REGION: &str = "us-east-1";

/// An organization of two members, its baselines (snapshotted through the
/// guard role), and the guard's event path wired as the templates say.
struct OrgGuard {
    emulator: Emulator,
    work: tempfile::TempDir,
    members: Vec<Value>,
    wired: Value,
}

impl OrgGuard {
    fn deploy() -> Self {
        let emulator = Emulator::start();
        let org = emulator.seed_organization(2, &[REGION]);
        let members = org["members"].as_array().expect("members").clone();
        let work = tempfile::tempdir().expect("temp dir");
        let snapshot = run(
            nacl_drift().env("AWS_REGION", REGION),
            &[
                "snapshot",
                "--org",
                "--role-name",
                GUARD_ROLE,
                "--region",
                REGION,
                "--baseline-dir",
                dir_arg(&work.path().join("baselines")),
                "--endpoint-url",
                &emulator.endpoint,
            ],
        );
        assert_eq!(snapshot.code, 0, "{snapshot:?}");
        let mut deploy = vec!["deploy-guard", "--role", GUARD_ROLE];
        deploy.extend(
            members
                .iter()
                .map(|member| member["id"].as_str().expect("id")),
        );
        let wired = organization(&emulator, &deploy);
        OrgGuard {
            emulator,
            work,
            members,
            wired,
        }
    }

    fn wired(&self, key: &str) -> &str {
        self.wired[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {}", self.wired))
    }

    fn member(&self, index: usize, key: &str) -> &str {
        let member = &self.members[index];
        match key {
            "id" => member["id"].as_str(),
            _ => member["regions"][REGION][key].as_str(),
        }
        .unwrap_or_else(|| panic!("{key}: {member}"))
    }

    /// CloudTrail's record of `principal` deleting ingress rule 80 of
    /// member `index`'s NACL, put on that member's default bus.
    fn put_deletion(&self, index: usize, event_id: &str, user_identity: Value) {
        let record = json!({
            "eventVersion": "1.09",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "DeleteNetworkAclEntry",
            "eventTime": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            "eventID": event_id,
            "awsRegion": REGION,
            "recipientAccountId": self.member(index, "id"),
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.17.0",
            "userIdentity": user_identity,
            "requestParameters": {"networkAclId": self.member(index, "network_acl"), "ruleNumber": 80, "egress": false},
            "responseElements": {"_return": true},
        });
        organization(
            &self.emulator,
            &[
                "put-event",
                "--role",
                GUARD_ROLE,
                self.member(index, "id"),
                REGION,
                &record.to_string(),
            ],
        );
    }
}

/// `tests/emulator/organization.py ARGS`, its JSON.
fn organization(emulator: &Emulator, args: &[&str]) -> Value {
    let mut all = vec![
        "tests/emulator/organization.py",
        "--endpoint-url",
        &emulator.endpoint,
    ];
    all.extend(args);
    let output = emulator.python(&all);
    serde_json::from_slice(&output.stdout).expect("organization.py prints JSON")
}

#[tokio::test]
async fn a_members_deleted_ssh_deny_is_restored_by_the_central_guard() {
    let org = OrgGuard::deploy();
    let (attacked, guarded) = (org.member(0, "id"), org.member(1, "id"));
    organization(
        &org.emulator,
        &[
            "delete-entry",
            "--role",
            GUARD_ROLE,
            attacked,
            REGION,
            org.member(0, "network_acl"),
            "80",
        ],
    );
    let mallory = format!("arn:aws:iam::{attacked}:user/mallory");
    org.put_deletion(
        0,
        "e-member",
        json!({"type": "IAMUser", "arn": mallory, "userName": "mallory"}),
    );
    // The guard's own call in the other member: its rule leaves it out.
    let own_role = format!("arn:aws:iam::{guarded}:role/{GUARD_ROLE}");
    org.put_deletion(
        1,
        "e-own",
        json!({
            "type": "AssumedRole",
            "arn": format!("arn:aws:sts::{guarded}:assumed-role/{GUARD_ROLE}/nacl-drift"),
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": own_role}},
        }),
    );

    let batch = organization(&org.emulator, &["lambda-batch", org.wired("queue_url")]);
    let records = batch["Records"].as_array().expect("Records");
    assert_eq!(
        records.len(),
        1,
        "the member's call, not the guard's own: {batch}"
    );

    let mut api = RuntimeApi::start(std::slice::from_ref(&batch));
    let mut function = start_function(
        &api,
        &package(org.work.path()),
        &org.emulator.endpoint,
        &[
            ("NACL_DRIFT_ORG", "true"),
            ("NACL_DRIFT_ROLE_NAME", GUARD_ROLE),
            ("NACL_DRIFT_SNS_TOPIC_ARN", org.wired("topic_arn")),
            ("NACL_DRIFT_SECURITY_HUB", "true"),
        ],
    );
    let (kind, answer) = api.answer();
    let _ = function.kill();
    let _ = function.wait();
    assert_eq!(kind, "response", "{answer}");
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let line = &answer["reconciles"][0];
    assert_eq!(line["account"], attacked, "{line}");
    assert_eq!(line["event"]["principal_arn"], mallory.as_str(), "{line}");
    assert_eq!(
        restored_calls(line),
        [(org.member(0, "network_acl").to_owned(), "done".to_owned())]
    );
    assert_eq!(line["in_sync"], true, "restored and verified: {line}");
    assert_eq!(line["alert"]["published"], true, "{line}");

    let inbox = org.emulator.events(&["drain", org.wired("inbox_url")]);
    let messages = inbox["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{inbox}");
    let message = &messages[0];
    let subject = message["Subject"].as_str().expect("Subject");
    assert!(
        subject.starts_with("nacl-drift: restored 1 change")
            && subject.ends_with(&format!("{attacked}/{REGION}")),
        "{subject}"
    );
    let body = message["Message"].as_str().expect("Message");
    for part in [
        format!("NACL {}", org.member(0, "network_acl")),
        "entry deleted, ingress 80".to_owned(),
        "restored with 1 of 1 calls, verified in sync".to_owned(),
    ] {
        assert!(body.contains(&part), "{part}:\n{body}");
    }
    assert_eq!(message["MessageAttributes"]["account"]["Value"], attacked);

    // The finding is the member's, in its own Security Hub.
    let findings = organization(
        &org.emulator,
        &["findings", "--role", GUARD_ROLE, attacked, REGION],
    );
    let findings = findings["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["AwsAccountId"], attacked);
    assert_eq!(
        findings[0]["Workflow"]["Status"], "RESOLVED",
        "{:#}",
        findings[0]
    );
    assert_eq!(findings[0]["Compliance"]["Status"], "PASSED");
}

/// doctor reads the central bus's policy: the organization alone passes;
/// a statement that lets anyone put events fails, naming whom.
#[test]
fn doctor_checks_that_the_bus_admits_the_organization_alone() {
    let org = OrgGuard::deploy();
    let bus = org.wired("bus_arn");
    let organization_id = org.wired("organization_id");
    let args = ["--org", "--role-name", GUARD_ROLE, "--event-bus-arn", bus];
    let (_, report) = doctor(&org.emulator.endpoint, org.work.path(), &args);
    let checked = check(&report, "event bus", None);
    assert_eq!(checked["status"], "ok", "{checked}");
    assert_eq!(
        checked["detail"],
        format!("{bus} admits the organization {organization_id} and nobody else")
    );

    organization(&org.emulator, &["widen-bus", "nacl-drift-guard"]);
    let (code, report) = doctor(&org.emulator.endpoint, org.work.path(), &args);
    assert_eq!(code, 1, "{report:#}");
    let checked = check(&report, "event bus", None);
    assert_eq!(checked["status"], "fail", "{checked}");
    assert!(
        checked["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("its policy lets anyone put events on it")),
        "{checked}"
    );
    assert!(
        checked["fix"]
            .as_str()
            .is_some_and(|fix| fix.contains("aws:PrincipalOrgID")),
        "{checked}"
    );
}

/// Bad input: a bus ARN that is not one is refused before any call.
#[test]
fn doctor_refuses_an_event_bus_arn_that_is_not_one() {
    let result = run(
        &mut nacl_drift(),
        &[
            "doctor",
            "--event-bus-arn",
            "arn:aws:events:us-east-1:123456789012:rule/x",
        ],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert!(result.stdout.is_empty(), "no check ran: {result:?}");
    assert!(
        result.stderr.contains(
            "\"arn:aws:events:us-east-1:123456789012:rule/x\" is not an EventBridge event bus ARN"
        ),
        "{result:?}"
    );
}

#[test]
fn the_org_templates_pass_cfn_lint() {
    assert_cfn_lint(MEMBER_TEMPLATE);
    assert_cfn_lint(CENTRAL_TEMPLATE);
}

/// The member's rule forwards the same calls as the single-account
/// template's, and both central and member rules admit no failed call.
#[test]
fn the_org_rules_forward_every_nacl_call() {
    let pattern_of = |path: &str, resource: &str| {
        let text =
            std::fs::read_to_string(crate::support::repo_root().join(path)).expect("template");
        let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
        template["Resources"][resource]["Properties"]["EventPattern"].clone()
    };
    let single: serde_yaml::Value = {
        let text = std::fs::read_to_string(
            crate::support::repo_root().join("examples/lambda/template.yaml"),
        )
        .expect("template");
        let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
        template["Resources"]["Guard"]["Properties"]["Events"]["NaclCall"]["Properties"]["Pattern"]
            .clone()
    };
    for (path, resource) in [
        (MEMBER_TEMPLATE, "NaclCall"),
        (CENTRAL_TEMPLATE, "NaclCall"),
    ] {
        let pattern = pattern_of(path, resource);
        assert_eq!(
            pattern["detail"]["eventName"], single["detail"]["eventName"],
            "{path}"
        );
        assert_eq!(
            pattern["detail"]["errorCode"],
            single["detail"]["errorCode"]
        );
    }
}
