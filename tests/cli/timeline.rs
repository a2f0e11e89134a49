//! `timeline` on the emulator: the drill's incidents with the CloudTrail log
//! files that record them, and a window that a restore closed.

use std::path::Path;

use serde_json::{Value, json};

use crate::assets::Exposed;
use crate::support::{Emulator, dir_arg, id, in_browser, nacl_drift, run};

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

/// A CloudTrail record of the emulator's account.
fn record(name: &str, at: u64, principal: &str, request: Value) -> Value {
    let mut record = nacl_drift_fixtures::cloudtrail_record(name, at, principal, request);
    record["recipientAccountId"] = ACCOUNT.into();
    record
}

/// A folder of CloudTrail log files, as a trail delivers them to S3,
/// holding `records`.
fn trail(records: Vec<Value>) -> tempfile::TempDir {
    let logs = tempfile::tempdir().expect("temp dir");
    let day = logs
        .path()
        .join(format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/12/07"));
    std::fs::create_dir_all(&day).expect("the log folder");
    let file = day.join(format!(
        "{ACCOUNT}_CloudTrail_us-east-1_20261207T1200Z_a1b2c3d4.json"
    ));
    std::fs::write(&file, json!({"Records": records}).to_string()).expect("the log file");
    logs
}

/// Seconds since the epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs()
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
    // window of its own. The subnet moved onto the default NACL is
    // replayed (found backwards from its association read now): its
    // windows name it, and the replay ends in the live state.
    let subnet = id(&estate, "/us-east-1/subnets/db-b");
    let moved: Vec<&Value> = report["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .filter(|window| window["opened"]["by"]["event_name"] == "ReplaceNetworkAclAssociation")
        .collect();
    assert!(!moved.is_empty(), "{report:#}");
    assert!(
        moved
            .iter()
            .all(|window| window["effect"]["subnet_ids"] == json!([subnet])),
        "{report:#}"
    );
    assert_eq!(report["not_replayed"], json!([]), "{report:#}");
    assert_eq!(report["not_the_live_state"], json!([]), "{report:#}");

    // The text says the same, each value escaped.
    let text = timeline(&emulator, baselines.path(), logs.path(), "text");
    assert_eq!(text.code, 2, "{text:?}");
    assert!(
        text.stdout.contains("  opened ") && text.stdout.contains("  open still, for "),
        "{text:?}"
    );
    assert!(
        !text
            .stderr
            .contains("warning: the replay does not end in the live state"),
        "{text:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_that_opened_and_closed_between_two_diffs_has_its_exact_duration_and_both_principals()
 {
    let (emulator, estate, baselines) = estate();
    let app = id(&estate, "/us-east-1/network_acls/app");
    let ec2 = emulator.ec2("us-east-1");
    let diff = || {
        let folder = baselines.path().join("baselines");
        let args = [
            "diff",
            "--baseline-dir",
            dir_arg(&folder),
            "--endpoint-url",
            &emulator.endpoint,
        ];
        run(&mut nacl_drift(), &args)
    };
    assert_eq!(diff().code, 0, "in sync before");
    // Mallory deletes the app tier's DNS egress; the guard (a real `watch
    // --restore --once`) makes it again.
    ec2.delete_network_acl_entry()
        .network_acl_id(app)
        .rule_number(120)
        .egress(true)
        .send()
        .await
        .expect("delete");
    let (code, line) = crate::watch::watch_once(&emulator, baselines.path(), &["--restore"]);
    assert_eq!(code, 0, "{line:#}");
    assert_eq!(
        crate::watch::restored_calls(&line),
        [(app.to_owned(), "done".to_owned())],
        "{line:#}"
    );
    let now = now();
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
    .map(|(name, at, principal, request)| record(name, at, principal, request))
    .collect();
    let logs = trail(records.clone());
    assert_eq!(diff().code, 0, "in sync after: diff saw nothing");

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

    // A trail that lacks the restore does not end in the live state: it
    // says which NACL differs, and how.
    let partial = trail(records[..1].to_vec());
    let result = timeline(&emulator, baselines.path(), partial.path(), "json");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let differs = &report["not_the_live_state"];
    assert_eq!(differs.as_array().map(Vec::len), Some(1), "{report:#}");
    assert_eq!(differs[0]["network_acl_id"], app);
    assert_eq!(differs[0]["position"], "egress 120");
    assert_eq!(differs[0]["replayed"], "—", "{differs:#}");
    assert_eq!(differs[0]["live"], "allow udp 53 to 10.0.0.2/32");
}

#[test]
fn flows_in_the_window_on_its_port_are_counted_and_all_others_are_not() {
    // The SSH deny of a public subnet deleted an hour ago by mallory, and
    // open still; the flow logs of the instance "open" in that subnet.
    let exposed = Exposed::seed();
    let acl = exposed.seeded["network_acl"].as_str().expect("network_acl");
    let opened = now() - 3_600;
    let deleted = json!({"networkAclId": acl, "ruleNumber": 80, "egress": false});
    // A hostile principal and event id: text in every format.
    let mallory = "arn:aws:iam::123456789012:user/<img src=x onerror=alert(1)>";
    let mut deletion = record("DeleteNetworkAclEntry", opened, mallory, deleted);
    deletion["eventID"] = "<script>alert(2)</script>\u{7f}\u{202e}".into();
    // An instance launched into the exposed subnet while it was open, and
    // terminated; one launched before; an interface the trail never made.
    let subnet = exposed.instance("open", "subnet_id");
    let launched = |at: u64, instance: &str, eni: &str| {
        let mut run = record(
            "RunInstances",
            at,
            mallory,
            json!({"instanceType": "t3.micro"}),
        );
        run["responseElements"] = json!({"instancesSet": {"items": [{"instanceId": instance,
            "networkInterfaceSet": {"items": [{"networkInterfaceId": eni, "subnetId": subnet}]}}]}});
        run
    };
    let terminated = record(
        "TerminateInstances",
        opened + 900,
        mallory,
        json!({"instancesSet": {"items": [{"instanceId": "i-0beacon"}]}}),
    );
    let unknown = record(
        "DeleteNetworkInterface",
        opened + 960,
        mallory,
        json!({"networkInterfaceId": "eni-0neverseen"}),
    );
    let logs = trail(vec![
        deletion,
        launched(opened + 300, "i-0beacon", "eni-0beacon"),
        launched(opened - 600, "i-0before", "eni-0before"),
        terminated,
        unknown,
    ]);
    let eni = exposed.instance("open", "interface_id");
    let ip = exposed.instance("open", "private_ip");
    let flow = |src: &str, dst: &str, port: u16, at: u64, action: &str| {
        format!(
            "2 {ACCOUNT} {eni} {src} {dst} 50123 {port} 6 12 1000 {at} {} {action} OK",
            at + 40
        )
    };
    let mut records = vec![
        // Counted: in the window, ACCEPTed, into the instance on port 22.
        flow("203.0.113.9", &ip, 22, opened + 600, "ACCEPT"),
        flow("198.51.100.7", &ip, 22, opened + 1_200, "ACCEPT"),
        flow("203.0.113.9", &ip, 22, opened + 1_800, "ACCEPT"),
        // Not counted: a REJECT, another port, before the window, going out.
        flow("192.0.2.1", &ip, 22, opened + 700, "REJECT"),
        flow("203.0.113.9", &ip, 443, opened + 800, "ACCEPT"),
        flow("203.0.113.9", &ip, 22, opened - 1_800, "ACCEPT"),
        flow(&ip, "203.0.113.9", 22, opened + 900, "ACCEPT"),
        format!("2 {ACCOUNT} {eni} 203.0.113.9"),
    ];
    // A quiet interface still has a record each interval: NODATA.
    let until = now() + 120;
    records.extend(
        (opened - 2_400..until)
            .step_by(300)
            .map(|at| format!("2 {ACCOUNT} {eni} - - - - - - - {at} {} - NODATA", at + 299)),
    );
    let flows = tempfile::tempdir().expect("temp dir");
    let spec = flows.path().join("records.json");
    let spec_json = json!({"account": ACCOUNT, "region": "us-east-1",
        "flow_log_id": "fl-0a1b2c3d", "records": records});
    std::fs::write(&spec, spec_json.to_string()).expect("written");
    let folder = flows.path().join("bucket");
    exposed.emulator.python(&[
        "tests/emulator/flowlogs.py",
        "write",
        dir_arg(&folder),
        dir_arg(&spec),
    ]);

    let args = [
        "timeline",
        "--cloudtrail-logs",
        dir_arg(logs.path()),
        "--flow-logs",
        dir_arg(&folder),
        "--since",
        "2d",
        "--format",
        "json",
    ];
    let result = exposed.nacl_drift(&args);
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let [window] = report["windows"].as_array().expect("windows").as_slice() else {
        panic!("one window: {report:#}");
    };
    let summary = window["effect"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("ingress tcp 22 from 0.0.0.0/0"),
        "{window:#}"
    );
    assert!(window["closed"].is_null(), "open still");
    let flows_seen = &window["flows"];
    assert_eq!(flows_seen["records"], 3, "{flows_seen:#}");
    assert_eq!(
        (flows_seen["packets"].as_u64(), flows_seen["bytes"].as_u64()),
        (Some(36), Some(3_000))
    );
    assert_eq!(
        flows_seen["top_sources"],
        json!([{"address": "203.0.113.9", "records": 2}, {"address": "198.51.100.7", "records": 1}])
    );
    assert_eq!(
        flows_seen["unknown"],
        json!([]),
        "the NODATA records cover it: {flows_seen:#}"
    );
    let read = &report["flow_logs"];
    assert_eq!(read["malformed"], 1, "{read:#}");
    assert_eq!(
        read["unreadable"],
        json!([]),
        "the spec is no .log: {read:#}"
    );

    // With --assets: the interfaces the window reached, those of now (the
    // JSON says when they were read), as diff --assets finds them.
    let with_assets = exposed.nacl_drift(&[&args[..], &["--assets"]].concat());
    assert_eq!(with_assets.code, 2, "{with_assets:?}");
    let report: Value = serde_json::from_str(&with_assets.stdout).expect("JSON");
    let reached: std::collections::BTreeSet<String> =
        report["windows"][0]["effect"]["assets"]["exposed"]
            .as_array()
            .unwrap_or_else(|| panic!("assets: {report:#}"))
            .iter()
            .map(|interface| interface["interface_id"].as_str().expect("id").to_owned())
            .collect();
    let expected = ["open", "office"]
        .iter()
        .map(|name| exposed.instance(name, "interface_id"))
        .collect();
    assert_eq!(reached, expected, "{report:#}");
    assert!(
        report["assets_read_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );
    let lifecycle: Vec<(&str, &str, &str)> = report["windows"][0]["interfaces_made_or_deleted"]
        .as_array()
        .unwrap_or_else(|| panic!("{report:#}"))
        .iter()
        .map(|made| {
            let text = |key: &str| made[key].as_str().unwrap_or_default();
            (text("interface_id"), text("subnet_id"), text("event"))
        })
        .collect();
    assert_eq!(
        lifecycle,
        [
            ("eni-0beacon", subnet.as_str(), "made"),
            ("eni-0beacon", subnet.as_str(), "deleted")
        ],
        "made and terminated inside the window; not the one before, nor one the trail never made"
    );
    assert_eq!(
        report["windows"][0]["flows"]["records"], 3,
        "flows and assets together"
    );

    // Text: the same, in words.
    let text_args = &args[..args.len() - 2];
    let text = exposed.nacl_drift(text_args);
    assert!(
        text.stdout.starts_with(&format!("critical {acl} web (")),
        "the NACL with its Name: {text:?}"
    );
    assert!(
        text.stdout.contains("  flows: 3 ACCEPT records (36 packets, 3000 bytes) from 2 sources: 203.0.113.9 (2), 198.51.100.7 (1)"),
        "{text:?}"
    );
    assert!(text.stdout.contains("  logs: cover all of it"), "{text:?}");
    let text = exposed.nacl_drift(&[text_args, &["--assets"]].concat());
    assert!(
        text.stdout
            .contains("  assets, as they are now: reaches 2 interfaces: "),
        "{text:?}"
    );
    assert!(
        text.stdout
            .contains(&format!("  eni-0beacon made in {subnet} while it held: ")),
        "{text:?}"
    );

    // Markdown, for the ticket: the hostile values escaped.
    let markdown = exposed.nacl_drift(&[text_args, &["--format", "markdown"]].concat());
    assert_eq!(markdown.code, 2, "{markdown:?}");
    assert!(
        markdown.stdout.contains("| NACL | severity | traffic |"),
        "{markdown:?}"
    );
    assert!(
        markdown
            .stdout
            .contains("user/&lt;img src=x onerror=alert(1)&gt;")
            && !markdown.stdout.contains("<img"),
        "{markdown:?}"
    );

    // HTML: one file, read in a real browser; the hostile values stay text.
    let html = exposed.nacl_drift(&[text_args, &["--format", "html"]].concat());
    assert_eq!(html.code, 2, "{html:?}");
    let page = exposed.work.path().join("timeline.html");
    std::fs::write(&page, &html.stdout).expect("written");
    let shown = in_browser(&page);
    assert_eq!(shown["title"], "nacl-drift timeline");
    assert_eq!(shown["console"], json!([]), "no console error: {shown:#}");
    assert_eq!(shown["alert"], Value::Null, "{shown:#}");
    let elements = &shown["elements"];
    assert_eq!(
        (&elements["img"], &elements["script"], &elements["iframe"]),
        (&json!(0), &json!(0), &json!(0)),
        "{shown:#}"
    );
    assert_eq!(elements["svg"], 1);
    assert_eq!(elements["windows"], 1, "the window's bar: {shown:#}");
    assert_eq!(elements["flows"], 2, "first and last flow: {shown:#}");
    assert_eq!(elements["rows"], 2, "the table: a header and the window");
    assert!(
        shown["svg"]["width"].as_f64() > Some(900.0),
        "laid out: {shown:#}"
    );
    let body = shown["text"].as_str().expect("text");
    assert!(
        body.contains("user/<img src=x onerror=alert(1)>")
            && body.contains("<script>alert(2)</script>"),
        "as text: {body}"
    );
}

#[test]
fn apply_says_what_it_closed_and_when_in_text_and_json() {
    let (emulator, estate, baselines) = estate();
    let logs = tempfile::tempdir().expect("temp dir");
    emulator.incident_logged(&estate, Some(logs.path()));
    let folder = baselines.path().join("baselines");
    let args = [
        "apply",
        "--yes",
        "--prune",
        "--format",
        "json",
        "--baseline-dir",
        dir_arg(&folder),
        "--endpoint-url",
        &emulator.endpoint,
        "--cloudtrail-logs",
        dir_arg(logs.path()),
    ];
    let applied = run(&mut nacl_drift(), &args);
    assert_eq!(applied.code, 0, "{applied:?}");
    // stdout: one JSON record; the text for people went to stderr.
    let record: Value = serde_json::from_str(&applied.stdout).expect("one JSON record");
    assert_eq!(record["before"]["in_sync"], false);
    assert_eq!(record["after"]["in_sync"], true, "{record:#}");
    assert!(
        record["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .all(|call| call["outcome"] == "done"),
        "{record:#}"
    );
    let app = id(&estate, "/us-east-1/network_acls/app");
    let closed = record["closed"].as_array().expect("closed");
    let dns = closed
        .iter()
        .find(|closed| closed["network_acl_id"] == app && closed["position"] == "egress 120")
        .unwrap_or_else(|| panic!("the DNS egress restored: {record:#}"));
    assert_eq!(dns["kind"], "entry deleted");
    assert_eq!(
        dns["opened"]["by"]["principal_arn"],
        "arn:aws:sts::123456789012:assumed-role/ops-automation/terraform-run-4711"
    );
    assert!(dns["duration_seconds"].as_i64() >= Some(0), "{dns:#}");
    assert!(
        dns["closed_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{dns:#}"
    );
    assert!(
        applied.stderr.contains("Closed at ")
            && applied
                .stderr
                .contains(&format!("{app} egress 120 (entry deleted): open since ")),
        "{applied:?}"
    );
    assert!(
        applied
            .stderr
            .contains("Verified: the live state matches the baselines."),
        "{applied:?}"
    );
}

#[test]
fn flow_logs_that_are_not_there_are_an_error_naming_them_and_nothing_is_written() {
    let (emulator, _, baselines) = estate();
    let logs = tempfile::tempdir().expect("temp dir");
    let before = crate::support::files_below(baselines.path());
    let folder = baselines.path().join("baselines");
    let common = [
        "timeline",
        "--baseline-dir",
        dir_arg(&folder),
        "--endpoint-url",
        &emulator.endpoint,
        "--cloudtrail-logs",
        dir_arg(logs.path()),
    ];
    let refused = |extra: &[&str], expected: &str| {
        let result = run(&mut nacl_drift(), &[&common[..], extra].concat());
        assert_eq!(result.code, 1, "{result:?}");
        assert_eq!(result.stderr, expected);
        assert_eq!(result.stdout, "");
        assert_eq!(
            crate::support::files_below(baselines.path()),
            before,
            "nothing changed"
        );
    };
    let missing = logs.path().join("no-such-folder");
    refused(
        &["--flow-logs", dir_arg(&missing)],
        &format!(
            "error: cannot read the flow logs at {}\n  caused by: No such file or directory (os error 2)\n",
            missing.display()
        ),
    );
    // An --until before --since: refused, naming both.
    refused(
        &[
            "--since",
            "2026-12-01T00:00:00Z",
            "--until",
            "2026-11-30T00:00:00Z",
        ],
        "error: --until 2026-11-30T00:00:00Z is before --since 2026-12-01T00:00:00Z: nothing can open in that period\n",
    );
}
