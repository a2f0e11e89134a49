//! `nacl-drift watch` in poll mode, against the local EC2 emulator: an
//! incident restored with no event at all, a monitor-only NACL left alone,
//! and the flapping brake.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Stdio};

use serde_json::Value;

use crate::support::{Emulator, dir_arg, id, nacl_drift, run};

/// The example estate, snapshotted into a new folder.
pub fn snapshotted() -> (Emulator, Value, tempfile::TempDir) {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--baseline-dir",
            dir_arg(&dir.path().join("baselines")),
            "--endpoint-url",
            &emulator.endpoint,
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    (emulator, estate, dir)
}

/// One reconcile of `watch --once` with `extra` flags: its exit code and
/// its line.
pub fn watch_once(emulator: &Emulator, dir: &Path, extra: &[&str]) -> (i32, Value) {
    let baselines = dir.join("baselines");
    let mut args = vec![
        "watch",
        "--once",
        "--baseline-dir",
        dir_arg(&baselines),
        "--endpoint-url",
        &emulator.endpoint,
    ];
    args.extend(extra);
    let result = run(&mut nacl_drift(), &args);
    let lines: Vec<&str> = result.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line per reconcile: {result:?}");
    let line = serde_json::from_str(lines[0]).expect("a JSON line");
    (result.code, line)
}

pub fn restored_calls(line: &Value) -> Vec<(String, String)> {
    line["restored"]
        .as_array()
        .expect("restored")
        .iter()
        .map(|call| {
            let text = |key: &str| call[key].as_str().expect(key).to_owned();
            (text("network_acl_id"), text("status"))
        })
        .collect()
}

#[test]
fn poll_mode_restores_an_incident_with_no_event() {
    let (emulator, estate, dir) = snapshotted();
    emulator.incident(&estate);

    let (code, line) = watch_once(&emulator, dir.path(), &[]);
    assert_eq!(code, 2, "{line}");
    assert_eq!(line["trigger"], "poll");
    assert_eq!(line["in_sync"], false);
    assert_eq!(line["severity"], "critical");
    assert!(line["changes"].as_array().expect("changes").len() >= 4);
    assert!(restored_calls(&line).is_empty(), "report only: {line}");

    let (code, line) = watch_once(&emulator, dir.path(), &["--restore", "--prune"]);
    assert_eq!(code, 0, "{line}");
    assert_eq!(line["in_sync"], true, "verified: {line}");
    let calls = restored_calls(&line);
    assert!(!calls.is_empty(), "{line}");
    assert!(calls.iter().all(|(_, status)| status == "done"), "{line}");
    let db = id(&estate, "/us-east-1/network_acls/db");
    assert!(calls.iter().any(|(acl, _)| acl == db), "{line}");

    let (code, line) = watch_once(&emulator, dir.path(), &[]);
    assert_eq!(code, 0, "{line}");
    assert_eq!(line["changes"], Value::Array(Vec::new()));
}

#[test]
fn a_monitor_only_nacl_is_reported_and_not_restored() {
    let (emulator, estate, dir) = snapshotted();
    let db = id(&estate, "/us-east-1/network_acls/db");
    let config = dir.path().join("nacl-drift.toml");
    std::fs::write(
        &config,
        format!(
            "[[monitor_only]]\nnetwork_acl = \"{db}\"\nreason = \"Managed by Firewall Manager\"\n"
        ),
    )
    .expect("write the config");
    emulator.incident(&estate);

    let (code, line) = watch_once(
        &emulator,
        dir.path(),
        &["--restore", "--prune", "--config", dir_arg(&config)],
    );
    assert_eq!(code, 2, "the db tier's drift remains: {line}");
    let calls = restored_calls(&line);
    assert!(!calls.is_empty(), "the other tiers are restored: {line}");
    assert!(calls.iter().all(|(acl, _)| acl != db), "{line}");
    let db_changes: Vec<&Value> = line["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|change| change["network_acl_id"] == db)
        .collect();
    assert!(!db_changes.is_empty(), "{line}");
    for change in db_changes {
        assert_eq!(change["monitor_only"], "Managed by Firewall Manager");
    }
}

/// A NACL that keeps being broken is restored 3 times (the default
/// --flap-limit), then held: reported as flapping, never restored again;
/// SIGTERM ends watch with exit 0.
#[tokio::test]
async fn the_flapping_brake_stops_restoring_a_nacl_that_keeps_changing() {
    let (emulator, estate, dir) = snapshotted();
    let db = id(&estate, "/us-east-1/network_acls/db").to_owned();
    let ec2 = emulator.ec2("us-east-1");
    let break_it = || async {
        ec2.delete_network_acl_entry()
            .network_acl_id(&db)
            .egress(false)
            .rule_number(80)
            .send()
            .await
            .expect("delete the SSH deny");
    };
    let mut watch = Watching::start(&emulator, dir.path(), &["--interval", "1s", "--restore"]);
    let mut restores = 0;
    let mut held = None;
    for _ in 0..20 {
        let line = watch.next_line();
        let calls = restored_calls(&line);
        if !line["flapping"].as_array().expect("flapping").is_empty() {
            held = Some(line);
            break;
        }
        if calls
            .iter()
            .any(|(acl, status)| acl == &db && status == "done")
        {
            restores += 1;
        }
        if line["in_sync"] == true {
            break_it().await;
        }
    }
    let held = held.expect("the brake held the NACL");
    assert_eq!(restores, 3, "{held}");
    assert!(restored_calls(&held).is_empty(), "{held}");
    assert_eq!(held["in_sync"], false);
    let flapping = &held["flapping"][0];
    assert_eq!(flapping["network_acl_id"], db.as_str());
    assert_eq!(flapping["flapping"], true);
    assert_eq!(flapping["severity"], "critical");
    assert_eq!(flapping["restores"], 3);
    let change = held["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|change| change["network_acl_id"] == db.as_str())
        .expect("the db tier's drift is still reported");
    assert!(
        change["held"]
            .as_str()
            .is_some_and(|reason| reason.starts_with("flapping: restored 3 times in 600s")),
        "{change}"
    );
    assert_eq!(
        change["monitor_only"],
        Value::Null,
        "the config says nothing of it"
    );
    assert_eq!(watch.terminate(), Some(0), "SIGTERM ends watch cleanly");
}

/// `nacl-drift watch` left running on the emulator, its lines read as they
/// come; killed when dropped, so that a failing test leaves no process
/// behind (it would hold the test's output open).
pub struct Watching {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Watching {
    /// Starts `watch --baseline-dir DIR/baselines` with `args`.
    pub fn start(emulator: &Emulator, dir: &Path, args: &[&str]) -> Self {
        let baselines = dir.join("baselines");
        let mut child = nacl_drift()
            .env("AWS_REGION", "us-east-1")
            .arg("watch")
            .args(args)
            .args(["--baseline-dir", dir_arg(&baselines)])
            .args(["--endpoint-url", &emulator.endpoint])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start watch");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Watching { child, lines }
    }

    /// The next line, as JSON.
    pub fn next_line(&mut self) -> Value {
        let line = self.lines.next().expect("a line").expect("utf-8");
        serde_json::from_str(&line).expect("a JSON line")
    }

    /// Sends SIGTERM; the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        self.child.wait().expect("watch ends").code()
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
