//! `nacl-drift doctor` on the emulator: a healthy setup, then each check
//! failing in turn. The emulator ignores DryRun and lacks LookupEvents, so
//! the healthy run goes through `tests/emulator/proxy.py`, which answers
//! those as AWS does; `--dry-run refuse` gives AWS's refusal.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{Emulator, dir_arg, files_below, nacl_drift, run};
use crate::watch::snapshotted;

/// `doctor --format json` against `endpoint`; the exit code and the report.
pub fn doctor(endpoint: &str, dir: &Path, extra: &[&str]) -> (i32, Value) {
    doctor_with(&mut nacl_drift(), endpoint, dir, extra)
}

/// The same, run by `command`.
fn doctor_with(command: &mut Command, endpoint: &str, dir: &Path, extra: &[&str]) -> (i32, Value) {
    let baselines = dir.join("baselines");
    let mut args = vec![
        "doctor",
        "--format",
        "json",
        "--baseline-dir",
        dir_arg(&baselines),
        "--endpoint-url",
        endpoint,
    ];
    args.extend(extra);
    let result = run(
        command.current_dir(dir).env("AWS_REGION", "us-east-1"),
        &args,
    );
    let report = serde_json::from_str(&result.stdout).unwrap_or_else(|_| panic!("{result:?}"));
    (result.code, report)
}

/// The checks of `name`, as (region, status).
fn statuses(report: &Value, name: &str) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|check| check["check"] == name)
        .map(|check| {
            (
                check["region"].as_str().unwrap_or_default().to_owned(),
                check["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

/// The first check of `name` (in `region`, when given).
pub fn check(report: &Value, name: &str, region: Option<&str>) -> Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["check"] == name && region.is_none_or(|r| check["region"] == r))
        .unwrap_or_else(|| panic!("a {name} check: {report:#}"))
        .clone()
}

/// The text of a check's `field`.
fn text<'a>(check: &'a Value, field: &str) -> &'a str {
    check[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field}: {check}"))
}

fn trails(emulator: &Emulator) {
    for region in ["us-east-1", "eu-west-1"] {
        emulator.events(&["--region", region, "trail"]);
    }
}

/// The guard's queue in us-east-1, and in eu-west-1 a rule of its own.
fn guard_queue(emulator: &Emulator, us_east_1: &[&str]) -> String {
    emulator.events(&["--region", "eu-west-1", "queue"]);
    let mut args = vec!["--region", "us-east-1", "queue"];
    args.extend(us_east_1);
    let made = emulator.events(&args);
    made["queue_url"].as_str().expect("queue_url").to_owned()
}

#[test]
fn a_healthy_setup_is_all_ok() {
    let (emulator, _estate, dir) = snapshotted();
    trails(&emulator);
    let queue = guard_queue(&emulator, &[]);
    let topic = emulator.events(&["topic"]);
    let topic = topic["topic_arn"].as_str().expect("topic_arn");
    let proxy = emulator.proxy(&["--dry-run", "permit", "--lookup-events", "empty"]);
    let before = files_below(dir.path());

    let (code, report) = doctor(
        &proxy.endpoint,
        dir.path(),
        &["--sqs-queue-url", &queue, "--sns-topic-arn", topic],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "ok");
    for name in [
        "config",
        "queue",
        "topic",
        "baselines",
        "regions",
        "credentials",
        "accounts",
    ] {
        assert_eq!(
            statuses(&report, name),
            [(String::new(), "ok".to_owned())],
            "{name}"
        );
    }
    let both = |status: &str| {
        vec![
            ("eu-west-1".to_owned(), status.to_owned()),
            ("us-east-1".to_owned(), status.to_owned()),
        ]
    };
    for name in [
        "read",
        "restore",
        "attribution",
        "cloudtrail",
        "eventbridge",
    ] {
        assert_eq!(statuses(&report, name), both("ok"), "{name}: {report:#}");
    }
    assert_eq!(files_below(dir.path()), before, "doctor changes nothing");
}

#[test]
fn each_failing_check_says_so_with_its_fix() {
    let (emulator, _estate, dir) = snapshotted();

    // Straight to the emulator: DryRun ignored and no LookupEvents are
    // warnings, as is a region no trail covers, unless the guard needs it.
    let (code, report) = doctor(&emulator.endpoint, dir.path(), &[]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(statuses(&report, "restore")[0].1, "warn");
    let diff = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(&dir.path().join("baselines")),
            "--endpoint-url",
            &emulator.endpoint,
        ],
    );
    assert_eq!(
        diff.code, 0,
        "the calls the emulator made changed nothing: {diff:?}"
    );
    assert_eq!(statuses(&report, "attribution")[0].1, "warn");
    assert_eq!(statuses(&report, "cloudtrail")[0].1, "warn");
    let (code, report) = doctor(&emulator.endpoint, dir.path(), &["--guard"]);
    assert_eq!(code, 1, "{report:#}");
    let trail = check(&report, "cloudtrail", None);
    assert_eq!(trail["status"], "fail");
    assert!(
        text(&trail, "detail").contains("the guard's event mode would never fire"),
        "{trail}"
    );
    assert!(text(&trail, "fix").contains("create a trail"));

    // A trail that is not logging is no trail.
    emulator.events(&["--region", "us-east-1", "trail", "--not-logging"]);
    let (_, report) = doctor(&emulator.endpoint, dir.path(), &["--guard"]);
    assert!(
        statuses(&report, "cloudtrail").contains(&("us-east-1".to_owned(), "fail".to_owned())),
        "{report:#}"
    );

    // A region that cannot be read, and a restore that is refused.
    let proxy = emulator.proxy(&["--deny-region", "eu-west-1", "--dry-run", "refuse"]);
    let (code, report) = doctor(&proxy.endpoint, dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        statuses(&report, "read"),
        [
            ("eu-west-1".to_owned(), "fail".to_owned()),
            ("us-east-1".to_owned(), "ok".to_owned())
        ]
    );
    let restore = check(&report, "restore", None);
    assert_eq!(restore["status"], "fail");
    assert!(
        text(&restore, "detail")
            .contains("CreateNetworkAclEntry: CreateNetworkAclEntry failed: UnauthorizedOperation"),
        "{restore}"
    );
    assert!(text(&restore, "fix").contains("restore-policy.json"));

    // The guard: no rule at all, then a rule that leaves out a call and a
    // queue whose policy keeps EventBridge out.
    let (_, report) = doctor(&emulator.endpoint, dir.path(), &["--guard"]);
    assert_eq!(statuses(&report, "eventbridge")[0].1, "fail", "{report:#}");
    let queue = guard_queue(
        &emulator,
        &["--no-policy", "--leave-out", "DeleteNetworkAclEntry"],
    );
    let (code, report) = doctor(&emulator.endpoint, dir.path(), &["--sqs-queue-url", &queue]);
    assert_eq!(code, 1, "{report:#}");
    let queue_check = check(&report, "queue", None);
    assert_eq!(queue_check["status"], "fail");
    assert!(
        text(&queue_check, "detail")
            .ends_with("its policy does not let EventBridge send to it, so every event is dropped"),
        "{queue_check}"
    );
    let rule = check(&report, "eventbridge", Some("us-east-1"));
    assert_eq!(rule["status"], "fail");
    // A policy that lets any rule, of any account, send fails too.
    let open = emulator.events(&["--region", "us-east-1", "queue", "--open-policy"]);
    let open = open["queue_url"].as_str().expect("queue_url");
    let (code, report) = doctor(&emulator.endpoint, dir.path(), &["--sqs-queue-url", open]);
    assert_eq!(code, 1, "{report:#}");
    let open_check = check(&report, "queue", None);
    assert_eq!(open_check["status"], "fail");
    assert!(
        text(&open_check, "detail").ends_with(
            "its policy lets any EventBridge rule (of any account) send to it: whoever may send can make the guard act, and what it does costs API calls"
        ),
        "{open_check}"
    );
    assert!(
        text(&open_check, "fix").contains("aws:SourceArn"),
        "{open_check}"
    );
    assert!(
        text(&rule, "detail")
            .contains("rule nacl-drift-guard: it leaves out DeleteNetworkAclEntry"),
        "{rule}"
    );
    assert_eq!(
        check(&report, "eventbridge", Some("eu-west-1"))["status"],
        "ok"
    );

    // No baselines, and a bad config file.
    let empty = tempfile::tempdir().expect("temp dir");
    std::fs::write(empty.path().join("nacl-drift.toml"), "fail_on = \"loud\"\n").expect("write");
    let (code, report) = doctor(&emulator.endpoint, empty.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(statuses(&report, "config")[0].1, "fail");
    assert_eq!(statuses(&report, "baselines")[0].1, "fail");
    assert!(
        text(&check(&report, "baselines", None), "detail")
            .contains("run `nacl-drift snapshot` first"),
        "{report:#}"
    );
}

/// The cache of parsed baselines: in use, off, or not used and why.
#[test]
fn the_parse_cache_check_says_whether_the_cache_is_used_and_why_not() {
    let (emulator, _estate, dir) = snapshotted();
    let (_, report) = doctor(&emulator.endpoint, dir.path(), &[]);
    let cache = check(&report, "parse cache", None);
    assert_eq!(cache["status"], "ok", "{cache}");
    assert!(
        text(&cache, "detail").contains("target/tmp/parse-cache"),
        "{cache}"
    );
    let (_, report) = doctor(&emulator.endpoint, dir.path(), &["--no-cache"]);
    let cache = check(&report, "parse cache", None);
    assert!(
        text(&cache, "detail").contains("not used (--no-cache"),
        "{cache}"
    );

    let shared = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let mut command = nacl_drift();
    command.env("NACL_DRIFT_CACHE_DIR", shared.path());
    let (_, report) = doctor_with(&mut command, &emulator.endpoint, dir.path(), &[]);
    let cache = check(&report, "parse cache", None);
    assert_eq!(cache["status"], "warn", "{cache}");
    assert!(
        text(&cache, "detail").contains("group or others may write to it (mode 777)"),
        "{cache}"
    );
    assert!(
        std::fs::read_dir(shared.path())
            .expect("list")
            .next()
            .is_none()
    );
}

#[test]
fn baselines_of_another_account_fail() {
    let (emulator, _estate, dir) = snapshotted();
    let other = tempfile::tempdir().expect("temp dir");
    for (path, bytes) in files_below(&dir.path().join("baselines")) {
        let text = String::from_utf8(bytes).expect("utf-8");
        let moved = other
            .path()
            .join("baselines")
            .join(path.replace("123456789012", "111122223333"));
        std::fs::create_dir_all(moved.parent().expect("a folder")).expect("mkdir");
        std::fs::write(moved, text.replace("'123456789012'", "'111122223333'")).expect("write");
    }
    let (code, report) = doctor(&emulator.endpoint, other.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    let accounts = &check(&report, "accounts", None);
    assert_eq!(accounts["status"], "fail");
    assert!(
        text(accounts, "detail")
            .contains("the baselines are of account 111122223333, the credentials of 123456789012"),
        "{accounts}"
    );
}

/// Bad input: a topic that does not exist fails, with its fix; nothing
/// is changed.
#[test]
fn a_missing_topic_fails_with_its_fix() {
    let (emulator, _estate, dir) = snapshotted();
    let before = files_below(dir.path());
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    let (code, report) = doctor(
        &emulator.endpoint,
        dir.path(),
        &["--sns-topic-arn", missing],
    );
    assert_eq!(code, 1, "{report:#}");
    let check = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["check"] == "topic")
        .expect("a topic check");
    assert_eq!(check["status"], "fail");
    let detail = check["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with(&format!("{missing}: GetTopicAttributes failed: NotFound")),
        "{detail}"
    );
    assert!(
        check["fix"]
            .as_str()
            .is_some_and(|fix| fix.contains("sns:Publish")),
        "{check}"
    );
    assert_eq!(files_below(dir.path()), before);
}

/// `--security-hub`: Security Hub must be enabled in each region of the
/// baselines; a region without it fails, naming it, with the fix.
#[test]
fn security_hub_must_be_enabled_in_each_region() {
    let (emulator, _estate, dir) = snapshotted();
    emulator.events(&["--region", "us-east-1", "hub"]);
    let (code, report) = doctor(&emulator.endpoint, dir.path(), &["--security-hub"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        statuses(&report, "security hub"),
        [
            ("eu-west-1".to_owned(), "fail".to_owned()),
            ("us-east-1".to_owned(), "ok".to_owned()),
        ],
        "{report:#}"
    );
    let failed = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["check"] == "security hub" && check["status"] == "fail")
        .expect("the region without it");
    let detail = failed["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with("DescribeHub failed: InvalidAccessException"),
        "{detail}"
    );
    assert!(
        failed["fix"]
            .as_str()
            .is_some_and(|fix| fix.contains("enable Security Hub in this region")),
        "{failed}"
    );
}
