//! The first week with nacl-drift (issue 21): an explicit profile wins over
//! the environment's credentials, what an export did not hold is never
//! "deleted", a permission check changes nothing where DryRun is ignored,
//! and a restore removes an attacker's added allow.

use std::fs;
use std::path::Path;

use aws_sdk_ec2::types::RuleAction;
use serde_json::Value;

use crate::support::{
    Emulator, copy_dir, dir_arg, files_below, id, nacl_drift, nacl_drift_on_a_zero_column_terminal,
    repo_root, run,
};

/// `--profile` wins over `AWS_ACCESS_KEY_ID` in the environment, as with
/// the AWS CLI; a profile that does not exist is one error naming it.
/// The example estate behind a proxy that records the key signing each
/// call (`keys`), and an AWS config file (`config`) of `profiles`.
struct Profiles {
    /// Kept running while the profiles are used.
    _emulator: Emulator,
    keys: tempfile::NamedTempFile,
    proxy: crate::support::Proxy,
    home: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Profiles {
    /// `snapshot --profile PROFILE` of us-east-1 into `baselines`, every
    /// call through the proxy (a role's own STS call too).
    fn snapshot(&self, profile: &str, baselines: &Path) -> crate::support::Run {
        run(
            nacl_drift()
                .env("AWS_CONFIG_FILE", &self.config)
                .env("AWS_ENDPOINT_URL", &self.proxy.endpoint),
            &[
                "snapshot",
                "--profile",
                profile,
                "--region",
                "us-east-1",
                "--baseline-dir",
                dir_arg(baselines),
                "--endpoint-url",
                &self.proxy.endpoint,
            ],
        )
    }
}

fn profiles(text: &str) -> Profiles {
    let emulator = Emulator::start();
    emulator.seed_estate();
    let keys = tempfile::NamedTempFile::new().expect("temp file");
    let proxy = emulator.proxy(&["--keys", dir_arg(keys.path())]);
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("config");
    fs::write(&config, text).expect("write the AWS config");
    Profiles {
        _emulator: emulator,
        keys,
        proxy,
        home,
        config,
    }
}

#[test]
fn an_explicit_profile_wins_over_credentials_in_the_environment() {
    let profiles = profiles(
        "[profile other]\naws_access_key_id = AKIDPROFILEOTHER\naws_secret_access_key = secret\n",
    );
    let keys = &profiles.keys;
    let baselines = profiles.home.path().join("baselines");
    let snapshot = |profile: &str| profiles.snapshot(profile, &baselines);

    let missing = snapshot("nosuch");
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(
        missing.stderr.starts_with(
            "error: no profile `nosuch` in the AWS config files (~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE)"
        ),
        "{missing:?}"
    );
    assert!(!baselines.exists(), "nothing written");
    assert_eq!(fs::read_to_string(keys.path()).unwrap_or_default(), "");

    let other = snapshot("other");
    assert_eq!(other.code, 0, "{other:?}");
    let signed = fs::read_to_string(keys.path()).expect("keys");
    assert!(!signed.is_empty());
    for line in signed.lines() {
        assert!(line.ends_with(" AKIDPROFILEOTHER"), "{line}: {signed}");
    }
}

/// A role profile (`role_arn` with `source_profile`, or with
/// `credential_source`) works: STS is asked in the profile's region, else
/// the environment's, else us-east-1, with the source's keys, and EC2 with
/// the role's. It failed with "missing signing region".
#[test]
fn a_role_profile_assumes_its_role() {
    let profiles = profiles(
        "[profile base]\naws_access_key_id = AKIDPROFILEBASE\naws_secret_access_key = secret\n\n\
         [profile role]\nrole_arn = arn:aws:iam::123456789012:role/NaclDriftReadOnly\nsource_profile = base\n\n\
         [profile from-env]\nrole_arn = arn:aws:iam::123456789012:role/NaclDriftReadOnly\ncredential_source = Environment\nregion = eu-west-1\n",
    );
    let keys = &profiles.keys;
    for (profile, source_key) in [("role", "AKIDPROFILEBASE"), ("from-env", "testing")] {
        fs::write(keys.path(), "").expect("truncate");
        let baselines = profiles.home.path().join(profile);
        let snapshot = profiles.snapshot(profile, &baselines);
        assert_eq!(snapshot.code, 0, "{profile}: {snapshot:?}");
        let signed = fs::read_to_string(keys.path()).expect("keys");
        assert!(
            signed
                .lines()
                .any(|line| line == format!("sts {source_key}")),
            "{profile}: the role assumed with the source's keys: {signed}"
        );
        let ec2: Vec<&str> = signed
            .lines()
            .filter(|line| line.starts_with("ec2 "))
            .collect();
        assert!(!ec2.is_empty(), "{signed}");
        assert!(
            ec2.iter().all(|line| *line != format!("ec2 {source_key}")),
            "{profile}: EC2 with the role's keys, not the source's: {signed}"
        );
        assert!(
            baselines.join("123456789012/us-east-1").is_dir(),
            "{profile}"
        );
    }
}

/// A one-region export against baselines of two regions: the other
/// region's baselines are skipped with the reason, never reported deleted.
#[test]
fn a_one_region_export_never_reports_the_other_regions_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baselines = dir.path().join("baselines");
    copy_dir(
        &repo_root().join("tests/fixtures/diff/baselines"),
        &baselines,
    );
    let frankfurt = baselines.join("111122223333/eu-central-1");
    fs::create_dir_all(&frankfurt).expect("mkdir");
    fs::write(
        frankfurt.join("vpc-0e1e2e3e4e5e6e7e8.yaml"),
        "schema_version: 1\naccount: '111122223333'\nregion: eu-central-1\nvpc_id: vpc-0e1e2e3e4e5e6e7e8\n\
         scope: {regions: [eu-central-1]}\nnetwork_acls:\n- {id: acl-0e1e2e3e4e5e6e7e8, is_default: true, entries: []}\n",
    )
    .expect("write");
    let before = files_below(dir.path());
    let live = repo_root().join("tests/fixtures/diff/live-us-east-1.json");
    let diff = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(&baselines),
            "--live-file",
            dir_arg(&live),
            "--format",
            "json",
        ],
    );
    // The drift is reported, and the gate is not green for what was not
    // compared.
    assert_eq!(diff.code, 1, "{diff:?}");
    let report: Value = serde_json::from_str(&diff.stdout).expect("JSON");
    let changes = report["changes"].as_array().expect("changes");
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|change| change["region"] == "us-east-1"),
        "{report:#}"
    );
    assert_eq!(
        report["skipped"][0]["reason"],
        "not compared: the exports hold no NACL of its VPC vpc-0e1e2e3e4e5e6e7e8 (export it too; an export answers only for what it holds)"
    );
    // Narrowed to the exported region on purpose: the drift's own exit.
    let narrowed = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(&baselines),
            "--live-file",
            dir_arg(&live),
            "--region",
            "us-east-1",
        ],
    );
    assert_eq!(narrowed.code, 2, "{narrowed:?}");
    // Said complete, the other region is still unread: exports carry no
    // region.
    let complete = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(&baselines),
            "--live-file",
            dir_arg(&live),
            "--export-is-complete",
            "--format",
            "json",
        ],
    );
    assert_eq!(complete.code, 1, "{complete:?}");
    let report: Value = serde_json::from_str(&complete.stdout).expect("JSON");
    assert_eq!(
        report["skipped"][0]["reason"],
        "not compared: the exports hold no NACL of account 111122223333 in eu-central-1 (export that region too)"
    );
    assert_eq!(files_below(dir.path()), before);
}

/// What drifted, as `diff` reports it: the state a permission check must
/// leave as it found (the emulator gives a subnet moved onto its own NACL
/// a new association id, as AWS does, and lists a replaced entry last).
fn drift(emulator: &Emulator, dir: &Path) -> Value {
    let baselines = dir.join("baselines");
    let diff = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(&baselines),
            "--endpoint-url",
            &emulator.endpoint,
            "--format",
            "json",
        ],
    );
    assert_eq!(diff.code, 2, "{diff:?}");
    let report: Value = serde_json::from_str(&diff.stdout).expect("JSON");
    report["changes"].clone()
}

fn apply(endpoint: &str, dir: &Path, args: &[&str]) -> crate::support::Run {
    let baselines = dir.join("baselines");
    let mut all = vec!["apply", "--baseline-dir", dir_arg(&baselines)];
    all.extend(["--endpoint-url", endpoint]);
    all.extend(args);
    run(&mut nacl_drift(), &all)
}

async fn add_entry(emulator: &Emulator, acl: &str, rule: i32, action: RuleAction) {
    emulator
        .ec2("us-east-1")
        .create_network_acl_entry()
        .network_acl_id(acl)
        .egress(false)
        .rule_number(rule)
        .protocol("-1")
        .rule_action(action)
        .cidr_block("0.0.0.0/0")
        .send()
        .await
        .expect("add an entry");
}

/// `apply --check-permissions` on an endpoint that ignores DryRun (the
/// emulator) changes nothing, even with --prune; on one that honours it
/// (the proxy, answering as AWS does), every call is permitted.
#[tokio::test]
async fn a_permission_check_changes_nothing_where_dry_run_is_ignored() {
    let (emulator, estate, dir) = crate::watch::snapshotted();
    emulator.incident(&estate);
    let db = id(&estate, "/us-east-1/network_acls/db");
    add_entry(&emulator, db, 11, RuleAction::Deny).await;
    let before = drift(&emulator, dir.path());
    let files = files_below(dir.path());

    let checked = apply(
        &emulator.endpoint,
        dir.path(),
        &["--check-permissions", "--prune"],
    );
    assert_eq!(checked.code, 2, "{checked:?}");
    assert!(
        checked
            .stdout
            .contains("the endpoint ignores DryRun, so permission cannot be told"),
        "{checked:?}"
    );
    assert!(
        checked
            .stdout
            .ends_with("planned calls could not be checked (see above). Nothing was changed.\n"),
        "{checked:?}"
    );
    assert_eq!(drift(&emulator, dir.path()), before, "nothing changed");

    let proxy = emulator.proxy(&["--dry-run", "permit"]);
    let permitted = apply(
        &proxy.endpoint,
        dir.path(),
        &["--check-permissions", "--prune"],
    );
    assert_eq!(permitted.code, 0, "{permitted:?}");
    assert!(
        permitted
            .stdout
            .ends_with("Every planned call is permitted. Nothing was changed.\n"),
        "{permitted:?}"
    );
    assert_eq!(drift(&emulator, dir.path()), before);
    assert_eq!(files_below(dir.path()), files);
}

/// The malicious widening the seed names, undone by default: an added
/// allow is removed (that only closes traffic), an added deny stays unless
/// --prune (removing it would reopen traffic).
#[tokio::test]
async fn a_restore_removes_an_added_allow_and_keeps_an_added_deny() {
    let (emulator, estate, dir) = crate::watch::snapshotted();
    let db = id(&estate, "/us-east-1/network_acls/db");
    add_entry(&emulator, db, 10, RuleAction::Allow).await;
    add_entry(&emulator, db, 11, RuleAction::Deny).await;

    let dry = apply(&emulator.endpoint, dir.path(), &["--dry-run"]);
    assert_eq!(dry.code, 2, "{dry:?}");
    assert!(
        dry.stdout
            .ends_with("Dry run: 1 call planned, none made.\n"),
        "one call, in the singular: {dry:?}"
    );
    assert!(
        dry.stdout
            .contains("ingress rule 10: allow all from 0.0.0.0/0 (added; removing an allow only closes traffic)"),
        "{dry:?}"
    );
    assert!(
        dry.stdout.contains(&format!(
            "Left alone: entry added on {db} ingress 11: an added deny stays without --prune: removing it would reopen the traffic it blocks"
        )),
        "{dry:?}"
    );

    let applied = apply(&emulator.endpoint, dir.path(), &["--yes"]);
    assert_eq!(applied.code, 2, "the deny remains: {applied:?}");
    let described = emulator
        .ec2("us-east-1")
        .describe_network_acls()
        .network_acl_ids(db)
        .send()
        .await
        .expect("describe");
    let rules: Vec<i32> = described.network_acls()[0]
        .entries()
        .iter()
        .filter(|entry| entry.egress() == Some(false))
        .filter_map(|entry| entry.rule_number())
        .collect();
    assert!(!rules.contains(&10), "the added allow is gone: {rules:?}");
    assert!(rules.contains(&11), "the added deny stays: {rules:?}");

    let pruned = apply(&emulator.endpoint, dir.path(), &["--yes", "--prune"]);
    assert_eq!(pruned.code, 0, "{pruned:?}");
}

/// A change whose call is older than `--since` is unattributed, and the
/// note says the window is why.
#[test]
fn an_unattributed_change_says_when_the_window_is_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baselines = dir.path().join("baselines");
    copy_dir(
        &repo_root().join("tests/fixtures/diff/baselines"),
        &baselines,
    );
    let logs = dir
        .path()
        .join("logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/01");
    fs::create_dir_all(&logs).expect("mkdir");
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    let record = serde_json::json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
        "eventTime": humantime::format_rfc3339_seconds(two_days_ago).to_string(),
        "eventID": "e-old", "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"},
        "requestParameters": {"networkAclId": "acl-02db", "ruleNumber": 80, "egress": false},
    });
    fs::write(
        logs.join("log.json"),
        serde_json::json!({"Records": [record]}).to_string(),
    )
    .expect("write");
    let live = repo_root().join("tests/fixtures/diff/live-us-east-1.json");
    let diff = |since: &str| {
        run(
            &mut nacl_drift(),
            &[
                "diff",
                "--baseline-dir",
                dir_arg(&baselines),
                "--live-file",
                dir_arg(&live),
                "--cloudtrail-logs",
                dir_arg(&dir.path().join("logs")),
                "--since",
                since,
                "--format",
                "json",
            ],
        )
    };
    let narrow = diff("1d");
    assert_eq!(narrow.code, 2, "{narrow:?}");
    assert_eq!(
        narrow.stderr,
        "note: 1 unattributed change matches an event older than --since 1d: widen --since to see who made them\n"
    );
    let wide = diff("3d");
    assert_eq!(wide.code, 2, "{wide:?}");
    assert_eq!(wide.stderr, "");
    assert!(wide.stdout.contains("user/mallory"), "{wide:?}");
}

/// Tags that YAML 1.1 readers (PyYAML, many CI tools) would take for
/// booleans, dates or numbers are written so that they read back as the
/// strings they are; nacl-drift reads them back too, byte for byte.
#[tokio::test]
async fn tags_read_back_as_strings_in_yaml_1_1() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let db = id(&estate, "/us-east-1/network_acls/db");
    let tags = [
        ("Backup", "no"),
        ("off", "1_000"),
        ("Since", "2024-01-01"),
        ("Window", "12:30:00"),
        ("Note", "first line\nno: off"),
        ("Merge", "<<"),
        ("=", "value"),
        ("Value", "="),
    ];
    let mut create = emulator.ec2("us-east-1").create_tags().resources(db);
    for (key, value) in tags {
        create = create.tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        );
    }
    create.send().await.expect("tag");
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = || {
        run(
            &mut nacl_drift(),
            &[
                "snapshot",
                "--region",
                "us-east-1",
                "--baseline-dir",
                dir_arg(dir.path()),
                "--endpoint-url",
                &emulator.endpoint,
            ],
        )
    };
    let first = snapshot();
    assert_eq!(first.code, 0, "{first:?}");
    let written = files_below(dir.path());
    let (file, _) = written
        .iter()
        .find(|(_, bytes)| String::from_utf8_lossy(bytes).contains(db))
        .expect("the db NACL's file");
    let path = dir.path().join(file);
    let read = emulator.python(&[
        "-c",
        &format!(
            "import json, yaml; doc = yaml.safe_load(open({:?})); \
             print(json.dumps([acl['tags'] for acl in doc['network_acls'] if acl['id'] == {db:?}][0]))",
            path.display().to_string()
        ),
    ]);
    let read: Value = serde_json::from_slice(&read.stdout).expect("JSON");
    for (key, value) in tags {
        assert_eq!(read[key], Value::String(value.to_owned()), "{key}: {read}");
    }
    let again = snapshot();
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(files_below(dir.path()), written, "no byte changed");
}

/// `--region` narrows diff, apply, lint, watch and doctor to those regions
/// of the baselines; a region no baseline is of is one error naming both.
#[test]
fn region_narrows_every_command_to_those_regions() {
    let (emulator, estate, dir) = crate::watch::snapshotted();
    emulator.incident(&estate);
    let baselines = dir.path().join("baselines");
    let nacl = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--baseline-dir", dir_arg(&baselines)]);
        if args[0] != "lint" {
            all.extend(["--endpoint-url", &emulator.endpoint]);
        }
        run(nacl_drift().env("AWS_REGION", "us-east-1"), &all)
    };
    let before = files_below(dir.path());

    let drifted = nacl(&["diff", "--region", "us-east-1"]);
    assert_eq!(drifted.code, 2, "{drifted:?}");
    let quiet = nacl(&["diff", "--region", "eu-west-1"]);
    assert_eq!(quiet.code, 0, "the incidents are in us-east-1: {quiet:?}");
    assert_eq!(
        quiet.stdout,
        "In sync: 3 NACLs in 2 baseline files match the live state.\n"
    );
    let apply = nacl(&["apply", "--dry-run", "--region", "eu-west-1"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(apply.stdout.starts_with("Nothing to do"), "{apply:?}");
    let watch = nacl(&["watch", "--once", "--region", "eu-west-1"]);
    assert_eq!(watch.code, 0, "{watch:?}");
    let line: Value = serde_json::from_str(watch.stdout.trim()).expect("a line");
    assert_eq!(line["in_sync"], true, "{line}");

    let lint = nacl(&["lint", "--region", "eu-west-1", "--format", "json"]);
    let report: Value = serde_json::from_str(&lint.stdout).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings.iter().all(|f| f["region"] == "eu-west-1"),
        "{report:#}"
    );
    let doctor = nacl(&["doctor", "--region", "eu-west-1", "--format", "json"]);
    let report: Value = serde_json::from_str(&doctor.stdout).expect("JSON");
    let regions = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["check"] == "regions")
        .expect("a regions check");
    assert_eq!(
        regions["detail"], "eu-west-1 (the baselines')",
        "{report:#}"
    );

    for command in ["diff", "apply", "lint", "watch"] {
        let mut args = vec![command, "--region", "ap-south-1"];
        if command == "watch" {
            args.push("--once");
        }
        let none = nacl(&args);
        assert_eq!(none.code, 1, "{command}: {none:?}");
        assert!(
            none.stderr.ends_with(&format!(
                "error: no baselines of ap-south-1 in {}: the baselines are of eu-west-1, us-east-1\n",
                baselines.display()
            )),
            "{command}: {none:?}"
        );
    }
    assert_eq!(files_below(dir.path()), before);
}

/// The words people bring from other tools: `restore` is `apply`, `plan`
/// is `apply --dry-run`, and `--output` or `--all-regions` get a tip.
#[test]
fn restore_plan_and_the_flags_people_guess() {
    let (emulator, estate, dir) = crate::watch::snapshotted();
    emulator.incident(&estate);
    let baselines = dir.path().join("baselines");
    let nacl = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--baseline-dir", dir_arg(&baselines)]);
        all.extend(["--endpoint-url", &emulator.endpoint]);
        run(&mut nacl_drift(), &all)
    };
    let applied = nacl(&["apply", "--dry-run"]);
    assert_eq!(applied.code, 2, "{applied:?}");
    for same in [nacl(&["restore", "--dry-run"]), nacl(&["plan"])] {
        assert_eq!(same.code, 2, "{same:?}");
        assert_eq!(same.stdout, applied.stdout);
    }
    for (flag, tip) in [
        (
            "--output",
            "tip: nacl-drift names it --format (table, json, ...)",
        ),
        (
            "--all-regions",
            "tip: snapshot takes --all-regions; the other commands cover every region of the baselines, and --region narrows them",
        ),
    ] {
        let guessed = run(&mut nacl_drift(), &["diff", flag]);
        assert_eq!(guessed.code, 1, "{guessed:?}");
        assert!(guessed.stderr.contains(tip), "{guessed:?}");
    }
}

#[test]
fn tables_keep_their_content_whole_and_fit_a_log() {
    let folder = repo_root().join("tests/fixtures/diff");
    let args = [
        "diff",
        "--baseline-dir",
        "baselines",
        "--live-file",
        "live-us-east-1.json",
    ];
    let json = run(
        nacl_drift().current_dir(&folder),
        &[&args[..], &["--format", "json"]].concat(),
    );
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let ids: Vec<&str> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .flat_map(|change| [&change["network_acl_id"], &change["vpc_id"]])
        .filter_map(Value::as_str)
        .collect();
    assert!(ids.len() >= 8, "{ids:?}");
    // A terminal that reports 0 columns: as wide as the content needs,
    // never squeezed into columns narrower than an id.
    let terminal = nacl_drift_on_a_zero_column_terminal(&folder, &args);
    assert_eq!(terminal.code, 2, "{terminal:?}");
    // Piped, without COLUMNS: at most 160 columns, wrapped between words.
    let mut piped_command = nacl_drift();
    piped_command.current_dir(&folder).env_remove("COLUMNS");
    let piped = run(&mut piped_command, &args);
    assert_eq!(piped.code, 2, "{piped:?}");
    for (how, output) in [("on a 0-column terminal", &terminal), ("piped", &piped)] {
        for id in &ids {
            assert!(output.stdout.contains(id), "{how}: {id} is cut: {output:?}");
        }
        assert!(
            output.stdout.contains("ingress 100") && output.stdout.contains("entry deleted"),
            "{how}: {output:?}"
        );
    }
    let widest = piped
        .stdout
        .lines()
        .filter(|line| line.starts_with(['│', '┌', '╞', '└']))
        .map(|line| line.chars().count())
        .max();
    assert!(
        widest.is_some_and(|width| width <= 160),
        "{widest:?}: {piped:?}"
    );
    // A moved subnet's effects: one line per direction.
    let moves: Vec<&str> = piped
        .stdout
        .lines()
        .filter(|line| line.contains("subnet-0db2 moved from"))
        .collect();
    assert_eq!(moves.len(), 2, "{moves:#?}");
    assert!(
        moves[0].contains("ingress newly allowed: tcp 0-5431, tcp 5433-65535"),
        "{moves:#?}"
    );
    assert!(moves[1].contains("egress newly allowed"), "{moves:#?}");
}

#[test]
fn day_one_lint_tells_default_nacls_apart_and_accept_selects_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("baselines");
    copy_dir(&repo_root().join("tests/fixtures/diff/baselines"), &folder);
    let file = folder.join("111122223333/us-east-1/vpc-0a1b2c3d4e5f60718.yaml");
    // The first VPC's default NACL, which allows all, holds a subnet.
    let mut used: nacl_drift_model::Baseline =
        nacl_drift_model::Baseline::from_yaml(&file, &fs::read_to_string(&file).expect("read"))
            .expect("baseline");
    let subnet: nacl_drift_model::SubnetId = "subnet-0db2".parse().expect("subnet");
    for acl in &mut used.network_acls {
        acl.subnets.remove(&subnet);
        if acl.is_default {
            acl.subnets.insert(subnet.clone());
        }
    }
    fs::write(&file, used.to_yaml()).expect("write");
    // A second VPC whose default NACL allows all and has no subnet.
    let unused = fs::read_to_string(&file)
        .expect("read")
        .replace("vpc-0a1b2c3d4e5f60718", "vpc-0unused")
        .replace("acl-0", "acl-9")
        .replace("subnet-0", "subnet-9");
    let mut unused: nacl_drift_model::Baseline =
        nacl_drift_model::Baseline::from_yaml(Path::new("x"), &unused).expect("baseline");
    unused.network_acls.retain(|acl| acl.is_default);
    for acl in &mut unused.network_acls {
        acl.subnets.clear();
    }
    fs::write(
        folder.join("111122223333/us-east-1/vpc-0unused.yaml"),
        unused.to_yaml(),
    )
    .expect("write");
    let before = files_below(dir.path());
    let lint = |extra: &[&str]| {
        run(
            nacl_drift().current_dir(dir.path()),
            &[&["lint"][..], extra].concat(),
        )
    };
    let json = lint(&["--format", "json"]);
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let on = |acl: &str| -> Vec<Value> {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|finding| finding["network_acl_id"] == acl)
            .cloned()
            .collect()
    };
    // The default NACL a subnet uses: critical. The unused one: medium.
    let used = on("acl-03default");
    assert!(
        used.iter()
            .any(|f| f["severity"] == "critical" && f["is_default"] == true),
        "{used:#?}"
    );
    let idle = on("acl-93default");
    assert!(!idle.is_empty());
    assert!(
        idle.iter().all(|f| f["severity"] == "medium"
            && f["is_default"] == true
            && f["message"]
                .as_str()
                .is_some_and(|m| m.contains("no subnet uses this default NACL now"))),
        "{idle:#?}"
    );
    // The table names the kind that [[accept]] takes, and says "default".
    let table = lint(&[]);
    assert!(table.stdout.contains("┆ kind "), "{table:?}");
    assert!(table.stdout.contains("internet_exposure"), "{table:?}");
    assert!(
        table.stdout.contains("acl-93default (default)"),
        "{table:?}"
    );
    // With `selector` in an [[accept]] of internet exposure, exactly the
    // findings `expected` says are accepted.
    let accepting = |selector: &str, expected: &dyn Fn(&Value) -> bool| {
        fs::write(
            dir.path().join("nacl-drift.toml"),
            format!(
                "[[accept]]\n{selector}kind = \"internet_exposure\"\nreason = \"reviewed\"\nexpires = 2999-12-31\n"
            ),
        )
        .expect("write");
        let json = lint(&["--format", "json"]);
        let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
        for finding in report["findings"].as_array().expect("findings") {
            let is_exposure = finding["kind"] == "internet_exposure";
            let accepted = finding["accepted"].is_object();
            assert_eq!(accepted, is_exposure && expected(finding), "{finding:#}");
        }
    };
    // [[accept]] selects default NACLs.
    accepting("is_default = true\n", &|finding| {
        finding["is_default"] == true
    });
    // The book's example: the unused default NACLs alone. The default NACL
    // that holds a subnet stays checked, and the gate fails on it.
    accepting("is_default = true\nunused = true\n", &|finding| {
        finding["network_acl_id"] == "acl-93default"
    });
    assert_eq!(
        lint(&["--fail-on", "critical"]).code,
        2,
        "the used default NACL"
    );
    fs::remove_file(dir.path().join("nacl-drift.toml")).expect("remove");
    assert_eq!(files_below(dir.path()), before, "lint changes nothing");
}

#[test]
fn baselines_carry_names_and_cidrs_and_a_narrower_snapshot_rewrites_nothing() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = |regions: &[&str]| {
        let mut args = vec![
            "snapshot",
            "--baseline-dir",
            dir_arg(dir.path()),
            "--endpoint-url",
            &emulator.endpoint,
        ];
        for region in regions {
            args.extend(["--region", region]);
        }
        run(&mut nacl_drift(), &args)
    };
    let both = snapshot(&["us-east-1", "eu-west-1"]);
    assert_eq!(both.code, 0, "{both:?}");
    let file = dir.path().join(format!(
        "123456789012/us-east-1/{}.yaml",
        id(&estate, "/us-east-1/vpc_id")
    ));
    let text = fs::read_to_string(&file).expect("read");
    // A reviewer reads each subnet's Name and CIDR, and each NACL's Name.
    let db_a = id(&estate, "/us-east-1/subnets/db-a");
    assert!(
        text.contains(&format!("  - {db_a}  # db-a (10.0.33.0/24)\n")),
        "{text}"
    );
    let db_acl = id(&estate, "/us-east-1/network_acls/db");
    assert!(
        text.contains(&format!("- id: {db_acl}  # shop-prod-db\n")),
        "{text}"
    );
    // The labels are comments: the file means what it meant.
    let validate = run(
        &mut nacl_drift(),
        &["validate", "--baseline-dir", dir_arg(dir.path())],
    );
    assert_eq!(validate.code, 0, "{validate:?}");

    // A plain snapshot of one region leaves every file as it was, though
    // the files' scope names two regions.
    let before = files_below(dir.path());
    let one = snapshot(&["us-east-1"]);
    assert_eq!(one.code, 0, "{one:?}");
    assert_eq!(files_below(dir.path()), before, "{one:?}");
    assert!(one.stdout.contains("unchanged"), "{one:?}");
}

#[test]
fn a_region_read_with_no_vpc_is_recorded_and_covered() {
    let emulator = Emulator::start();
    let region = "ap-south-1";
    // Through the proxy, the region holds no VPC, as one whose default VPC
    // was deleted; the emulator itself has its default VPC there.
    let empty = emulator.proxy(&["--no-vpcs-in", region]);
    let dir = tempfile::tempdir().expect("temp dir");
    let nacl = |endpoint: &str, args: &[&str]| {
        let mut all = args.to_vec();
        all.extend([
            "--baseline-dir",
            dir_arg(dir.path()),
            "--endpoint-url",
            endpoint,
            "--region",
            region,
        ]);
        run(&mut nacl_drift(), &all)
    };
    let snapshot = nacl(&empty.endpoint, &["snapshot"]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    let record = dir.path().join("123456789012/ap-south-1/no-vpcs.yaml");
    assert!(record.is_file(), "{snapshot:?}");
    assert_eq!(
        files_below(dir.path()).len(),
        1,
        "the record alone: {snapshot:?}"
    );
    let validate = run(
        &mut nacl_drift(),
        &["validate", "--baseline-dir", dir_arg(dir.path())],
    );
    assert_eq!(validate.code, 0, "{validate:?}");
    assert!(
        validate
            .stdout
            .contains("0 baseline files are valid, and 1 record of a region that held no VPC"),
        "{validate:?}"
    );
    // A second snapshot changes nothing.
    let before = files_below(dir.path());
    assert_eq!(nacl(&empty.endpoint, &["snapshot"]).code, 0);
    assert_eq!(files_below(dir.path()), before);

    // diff compares, rather than asking for a snapshot.
    let diff = nacl(&empty.endpoint, &["diff"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    assert_eq!(
        diff.stdout,
        "In sync: 0 NACLs in 0 baseline files match the live state; 1 region still holds no VPC, as recorded.\n"
    );

    // A VPC there (the emulator's default one, without the proxy) is drift.
    let diff = nacl(&emulator.endpoint, &["diff", "--format", "json"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    let report: Value = serde_json::from_str(&diff.stdout).expect("JSON");
    let changes = report["changes"].as_array().expect("changes");
    assert!(!changes.is_empty(), "{report:#}");
    assert!(
        changes
            .iter()
            .all(|change| change["kind"] == "network_acl_added" && change["region"] == region),
        "{report:#}"
    );

    // The next snapshot writes the VPC's baseline and drops the record.
    let snapshot = nacl(&emulator.endpoint, &["snapshot"]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    assert!(!record.exists(), "{snapshot:?}");
    let files = files_below(dir.path());
    assert!(
        files
            .keys()
            .all(|name| name.starts_with("123456789012/ap-south-1/vpc-")),
        "{files:?}"
    );
}

/// Latent exposure: an attacker's added `allow tcp 3389 from 0.0.0.0/0`
/// behind a broad ephemeral-port allow changes no traffic today, but is
/// critical the day that rule is narrowed. It is reported latent, with the
/// severity it carries alone, and counts as high: the recommended
/// `--fail-on high` gate fails on it (it passed, as "low").
#[test]
fn an_allow_a_broader_rule_hides_is_latent_and_fails_a_high_gate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baselines = dir.path().join("baselines");
    let file = baselines.join("111122223333/us-east-1/vpc-0a1b2c.yaml");
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    fs::write(
        &file,
        "schema_version: 1\naccount: '111122223333'\nregion: us-east-1\nvpc_id: vpc-0a1b2c\n\
         scope: {regions: [us-east-1]}\nnetwork_acls:\n- id: acl-0a1b2c\n  is_default: false\n  entries:\n\
         \x20 - {rule_number: 110, direction: ingress, action: allow, protocol: tcp, ports: 1024-65535, cidr: 0.0.0.0/0}\n",
    )
    .expect("write the baseline");
    let entry = |rule: u16, ports: (u16, u16)| {
        serde_json::json!({"RuleNumber": rule, "Egress": false, "RuleAction": "allow", "Protocol": "6",
            "PortRange": {"From": ports.0, "To": ports.1}, "CidrBlock": "0.0.0.0/0"})
    };
    let export = dir.path().join("live.json");
    fs::write(
        &export,
        serde_json::json!({"NetworkAcls": [{
            "NetworkAclId": "acl-0a1b2c", "VpcId": "vpc-0a1b2c", "OwnerId": "111122223333",
            "IsDefault": false, "Associations": [], "Tags": [],
            "Entries": [entry(105, (3389, 3389)), entry(110, (1024, 65535))],
        }]})
        .to_string(),
    )
    .expect("write the export");
    let before = files_below(dir.path());
    let diff = |extra: &[&str]| {
        let mut args = vec![
            "diff",
            "--baseline-dir",
            dir_arg(&baselines),
            "--live-file",
            dir_arg(&export),
        ];
        args.extend(extra);
        run(&mut nacl_drift(), &args)
    };
    let gate = diff(&["--fail-on", "high"]);
    assert_eq!(gate.code, 2, "{gate:?}");
    assert!(
        gate.stdout.contains(
            "high (latent: critical alone, once a broader rule is narrowed; no effective change today)"
        ),
        "{gate:?}"
    );
    assert_eq!(
        diff(&["--fail-on", "critical"]).code,
        0,
        "it exposes nothing today"
    );
    let json = diff(&["--format", "json"]);
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let added = &report["changes"][0];
    assert_eq!(added["kind"], "entry_added", "{report:#}");
    assert_eq!(added["severity"], "high");
    assert_eq!(added["latent"], "critical");
    assert_eq!(added["effective"], false);
    assert_eq!(files_below(dir.path()), before);
}
