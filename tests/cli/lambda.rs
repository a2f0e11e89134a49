//! `nacl-drift lambda` as Lambda runs it: the package that
//! `examples/lambda/build.sh` makes, its `bootstrap` started with no
//! arguments in its task root, its settings in the environment, against a
//! loopback Lambda Runtime API (`tests/emulator/lambda_runtime_api.py`)
//! and the emulator. And the SAM template that deploys it passes cfn-lint.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use nacl_drift_model::Operation;
use serde_json::{Value, json};

use crate::support::{
    Emulator, MALLORY, assert_cfn_lint, assert_passes, clean_aws_env, dir_arg, entry_call,
    files_below, id, moto_venv, nacl_drift, repo_root, run,
};

const TEMPLATE: &str = "examples/lambda/template.yaml";
use crate::watch::{restored_calls, snapshotted};

/// The loopback Runtime API, handing out `events` in turn.
pub struct RuntimeApi {
    child: Child,
    address: String,
    reports: Lines<BufReader<ChildStdout>>,
    _events: tempfile::NamedTempFile,
}

impl RuntimeApi {
    pub fn start(events: &[Value]) -> Self {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), Value::from(events.to_vec()).to_string()).expect("write");
        let mut child = Command::new(moto_venv().join("bin/python"))
            .arg("tests/emulator/lambda_runtime_api.py")
            .arg(file.path())
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run lambda_runtime_api.py");
        let mut reports = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let port = reports.next().expect("the port").expect("utf-8");
        RuntimeApi {
            child,
            address: format!("127.0.0.1:{}", port.trim()),
            reports,
            _events: file,
        }
    }

    /// The next answer of the function: `("response" | "error", body)`.
    pub fn answer(&mut self) -> (String, Value) {
        loop {
            let line = self.reports.next().expect("a report").expect("utf-8");
            let report: Value = serde_json::from_str(&line).expect("JSON");
            let kind = report["kind"].as_str().expect("kind").to_owned();
            if kind != "next" {
                return (kind, report["body"].clone());
            }
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The function's package, as `examples/lambda/build.sh` makes it from the
/// baselines of `dir` and this build of nacl-drift.
pub fn package(dir: &Path) -> PathBuf {
    let out = dir.join("package");
    let baselines = dir.join("baselines");
    assert_passes(
        Command::new("bash")
            .arg("examples/lambda/build.sh")
            .args(["--baseline-dir", dir_arg(&baselines)])
            .args(["--binary", env!("CARGO_BIN_EXE_nacl-drift")])
            .args(["--out", dir_arg(&out)])
            .current_dir(repo_root()),
        "examples/lambda/build.sh",
    );
    assert!(out.join("bootstrap").is_file());
    assert_eq!(
        files_below(&out.join("baselines")),
        files_below(&baselines),
        "every baseline, unchanged"
    );
    out
}

/// The function, started as Lambda starts it: `bootstrap` with no
/// arguments in its task root, the Runtime API's address and the
/// function's settings in the environment: restoring, and `settings`.
pub fn start_function(
    api: &RuntimeApi,
    task_root: &Path,
    endpoint: &str,
    settings: &[(&str, &str)],
) -> Child {
    clean_aws_env(Command::new(task_root.join("bootstrap")))
        .envs(settings.iter().copied())
        .current_dir(task_root)
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "nacl-drift-guard")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("LAMBDA_TASK_ROOT", task_root)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("NACL_DRIFT_RESTORE", "true")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the function")
}

/// An EventBridge event of CloudTrail's, as Lambda or SQS hand it over.
fn eventbridge(detail: &str, region: &str) -> Value {
    json!({
        "version": "0",
        "id": "0d8c2c5c-7f8e-4a4e-9c1e-0a0b0c0d0e0f",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2026-11-30T08:00:00Z",
        "region": region,
        "resources": [],
        "detail": serde_json::from_str::<Value>(detail).expect("JSON"),
    })
}

/// The EventBridge event of mallory's deletion of ingress `rule` of `acl`.
fn deleted(region: &str, event_id: &str, acl: &str, rule: u16) -> Value {
    let call = entry_call(
        region,
        "DeleteNetworkAclEntry",
        event_id,
        acl,
        rule,
        MALLORY,
    );
    eventbridge(&call, region)
}

/// An SQS batch, as Lambda's event source mapping hands it over.
fn sqs_batch(messages: &[(&str, Value)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id,
                "receiptHandle": format!("handle-{id}"),
                "body": body.to_string(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:nacl-drift-guard",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

async fn delete_ingress(emulator: &Emulator, region: &str, acl: &str, rule: i32) {
    emulator
        .ec2(region)
        .delete_network_acl_entry()
        .network_acl_id(acl)
        .egress(false)
        .rule_number(rule)
        .send()
        .await
        .expect("delete an entry");
}

#[tokio::test]
async fn the_lambda_answers_an_event_a_schedule_and_an_sqs_batch() {
    let (emulator, estate, dir) = snapshotted();
    let db = id(&estate, "/us-east-1/network_acls/db");
    let dr_web = id(&estate, "/eu-west-1/network_acls/web");
    delete_ingress(&emulator, "us-east-1", db, 80).await;
    delete_ingress(&emulator, "eu-west-1", dr_web, 100).await;
    let outside = "acl-0123456789abcdef0";
    let events = [
        deleted("us-east-1", "e-db", db, 80),
        sqs_batch(&[
            ("m-dr-web", deleted("eu-west-1", "e-dr", dr_web, 100)),
            ("m-outside", deleted("us-east-1", "e-out", outside, 80)),
        ]),
        json!({
            "version": "0", "id": "5b3a1d2e-0000-4000-8000-000000000000",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-30T08:10:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/nacl-drift-sweep"],
            "detail": {},
        }),
    ];
    let mut api = RuntimeApi::start(&events);
    let mut function = start_function(&api, &package(dir.path()), &emulator.endpoint, &[]);

    let (kind, line) = api.answer();
    assert_eq!(kind, "response", "{line}");
    assert_eq!(line["trigger"], "event");
    assert_eq!(line["event"]["principal_arn"], MALLORY);
    assert_eq!(line["vpc_id"], id(&estate, "/us-east-1/vpc_id"));
    assert_eq!(restored_calls(&line), [(db.to_owned(), "done".to_owned())]);
    assert_eq!(line["in_sync"], true, "{line}");

    let (kind, batch) = api.answer();
    assert_eq!(kind, "response", "{batch}");
    assert_eq!(batch["batchItemFailures"], json!([]), "{batch}");
    let dr_line = &batch["reconciles"][0];
    assert_eq!(dr_line["region"], "eu-west-1", "{batch}");
    assert_eq!(
        restored_calls(dr_line),
        [(dr_web.to_owned(), "done".to_owned())]
    );
    assert!(
        batch["reconciles"][1]["ignored"]
            .as_str()
            .is_some_and(|why| why.contains("no baseline holds acl-0123456789abcdef0")),
        "{batch}"
    );

    let (kind, sweep) = api.answer();
    assert_eq!(kind, "response", "{sweep}");
    assert_eq!(sweep["trigger"], "sweep");
    assert_eq!(sweep["in_sync"], true, "{sweep}");
    assert_eq!(
        sweep["changes"],
        json!([]),
        "everything is restored: {sweep}"
    );

    let _ = function.kill();
    let _ = function.wait();
}

/// A message whose reconcile fails (its region cannot be read) is reported
/// back on its own, so that SQS delivers only it again; the other is done.
#[tokio::test]
async fn an_sqs_batch_reports_the_message_that_failed() {
    let (emulator, estate, dir) = snapshotted();
    let db = id(&estate, "/us-east-1/network_acls/db");
    let dr_web = id(&estate, "/eu-west-1/network_acls/web");
    delete_ingress(&emulator, "us-east-1", db, 80).await;
    let proxy = emulator.proxy(&["--deny-region", "eu-west-1"]);
    let events = [sqs_batch(&[
        ("m-db", deleted("us-east-1", "e-db", db, 80)),
        ("m-dr-web", deleted("eu-west-1", "e-dr", dr_web, 100)),
    ])];
    let mut api = RuntimeApi::start(&events);
    let mut function = start_function(&api, &package(dir.path()), &proxy.endpoint, &[]);

    let (kind, batch) = api.answer();
    assert_eq!(kind, "response", "{batch}");
    assert_eq!(
        batch["batchItemFailures"],
        json!([{"itemIdentifier": "m-dr-web"}]),
        "{batch}"
    );
    let reconciles = batch["reconciles"].as_array().expect("reconciles");
    assert_eq!(reconciles.len(), 1, "{batch}");
    assert_eq!(
        restored_calls(&reconciles[0]),
        [(db.to_owned(), "done".to_owned())]
    );

    let _ = function.kill();
    let _ = function.wait();
}

/// Security Hub fails every import for a while (HTTP 500, nine times: the
/// SDK's three attempts, its standard mode, each of the guard's three): the event's restore
/// stands, but it fails, so that Lambda delivers it again; delivered again
/// (the NACL in sync by then), the function imports the finding it could
/// not send. Without that, a restore would lose its incident's finding.
#[tokio::test]
async fn a_finding_that_security_hub_refused_is_sent_when_the_event_comes_again() {
    let (emulator, estate, dir) = snapshotted();
    emulator.events(&["hub"]);
    let db = id(&estate, "/us-east-1/network_acls/db");
    delete_ingress(&emulator, "us-east-1", db, 80).await;
    let proxy = emulator.proxy(&["--hub-fail-imports", "9"]);
    let event = deleted("us-east-1", "e-db", db, 80);
    let mut api = RuntimeApi::start(&[event.clone(), event]);
    let mut function = start_function(
        &api,
        &package(dir.path()),
        &proxy.endpoint,
        &[
            ("NACL_DRIFT_SECURITY_HUB", "true"),
            ("AWS_MAX_ATTEMPTS", "3"),
        ],
    );

    let (kind, error) = api.answer();
    assert_eq!(kind, "error", "{error}");
    assert!(
        error
            .to_string()
            .contains("alert or findings could not be sent"),
        "{error}"
    );
    let (kind, line) = api.answer();
    let _ = function.kill();
    let _ = function.wait();
    assert_eq!(kind, "response", "{line}");
    assert_eq!(
        line["changes"],
        json!([]),
        "restored the first time: {line}"
    );
    assert_eq!(line["security_hub"]["findings"], 1, "{line}");
    assert!(line["security_hub"].get("error").is_none(), "{line}");
    let held = emulator.events(&["findings"]);
    let finding_id = format!("nacl-drift/123456789012/us-east-1/{db}/entry_deleted/ingress/80");
    let finding = held["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["Id"] == finding_id.as_str())
        .unwrap_or_else(|| panic!("the finding: {held}"));
    assert_eq!(finding["Compliance"]["Status"], "PASSED", "{finding}");
}

/// Outside Lambda, `nacl-drift lambda` says so and changes nothing.
#[test]
fn the_lambda_outside_lambda_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = files_below(dir.path());
    let result = run(
        &mut nacl_drift(),
        &["lambda", "--baseline-dir", dir_arg(dir.path())],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.contains(
            "nacl-drift lambda runs inside AWS Lambda, which sets AWS_LAMBDA_RUNTIME_API; it is not set"
        ),
        "{result:?}"
    );
    assert_eq!(files_below(dir.path()), before);
}

#[test]
fn the_sam_template_passes_cfn_lint() {
    assert_cfn_lint(TEMPLATE);
}

/// The rule sends every NACL call nacl-drift knows, successful ones only.
#[test]
fn the_templates_rule_matches_every_nacl_call_and_no_failed_one() {
    let text = std::fs::read_to_string(repo_root().join(TEMPLATE)).expect("template");
    let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let pattern = &template["Resources"]["Guard"]["Properties"]["Events"]["NaclCall"]["Properties"]
        ["Pattern"];
    let names: BTreeSet<&str> = pattern["detail"]["eventName"]
        .as_sequence()
        .expect("eventName")
        .iter()
        .map(|name| name.as_str().expect("a name"))
        .collect();
    let known: BTreeSet<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    assert_eq!(names, known);
    assert_eq!(
        pattern["detail"]["errorCode"][0]["exists"],
        serde_yaml::Value::Bool(false)
    );
    let function = &template["Resources"]["Guard"]["Properties"];
    assert_eq!(function["ReservedConcurrentExecutions"], 1);
    assert_eq!(function["Runtime"], "provided.al2023");
}
