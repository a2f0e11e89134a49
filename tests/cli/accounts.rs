//! Many accounts in one run, on an organization on the emulator: four
//! member accounts, two regions each, a role assumed in every one
//! (moto lets any role be assumed, and its credentials act as that
//! account). Failures come from `tests/emulator/proxy.py`, which answers
//! chosen calls with AWS's own errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{
    Emulator, MALLORY, Run, dir_arg, entry_call, files_below, nacl_drift, nacl_drift_on_a_terminal,
    run,
};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// The member accounts' ids, in the order they were made.
fn members(org: &Value) -> Vec<String> {
    org["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|member| member["id"].as_str().expect("id").to_owned())
        .collect()
}

/// An accounts file for the members: the role of the defaults, both
/// regions, and env:prod on all but the last.
fn accounts_file(dir: &Path, org: &Value) -> String {
    let ids = members(org);
    let mut text = String::from(
        "defaults:\n  role: arn:aws:iam::{account_id}:role/NaclDriftReadOnly\n  \
         regions: [us-east-1, eu-west-1]\naccounts:\n",
    );
    for (index, id) in ids.iter().enumerate() {
        let env = if index + 1 == ids.len() {
            "dev"
        } else {
            "prod"
        };
        text.push_str(&format!(
            "  - account_id: \"{id}\"\n    name: member-{}\n    tags: [env:{env}]\n",
            index + 1
        ));
    }
    let path = dir.join("accounts.yaml");
    std::fs::write(&path, text).expect("write the accounts file");
    path.to_str().expect("utf-8 path").to_owned()
}

/// Deletes ingress entry `rule` of `acl`, in `account`'s `region`, as that
/// account (the emulator's organization script).
fn delete_entry(emulator: &Emulator, account: &str, region: &str, acl: &str, rule: &str) {
    emulator.python(&[
        "tests/emulator/organization.py",
        "--endpoint-url",
        &emulator.endpoint,
        "delete-entry",
        account,
        region,
        acl,
        rule,
    ]);
}

/// The account folders below a baseline folder.
fn accounts_below(dir: &Path) -> BTreeSet<String> {
    files_below(dir)
        .keys()
        .map(|path| {
            path.split('/')
                .next()
                .expect("an account folder")
                .to_owned()
        })
        .collect()
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).expect("a JSON report")
}

/// An emulator with an organization of four members in both regions, a
/// work folder holding its accounts file, and the members' ids.
struct Organization {
    emulator: Emulator,
    org: Value,
    ids: Vec<String>,
    work: tempfile::TempDir,
    accounts: String,
}

impl Organization {
    fn seed() -> Self {
        let emulator = Emulator::start();
        let org = emulator.seed_organization(4, &REGIONS);
        let ids = members(&org);
        let work = tempfile::tempdir().expect("temp dir");
        let accounts = accounts_file(work.path(), &org);
        Organization {
            emulator,
            org,
            ids,
            work,
            accounts,
        }
    }
}

#[test]
fn an_organization_is_snapshotted_diffed_and_restored_account_by_account() {
    let Organization {
        emulator,
        org,
        ids,
        work,
        accounts,
    } = Organization::seed();
    let baselines = work.path().join("baselines");
    let endpoint = ["--endpoint-url", emulator.endpoint.as_str()];
    let with = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(endpoint.iter().map(|a| (*a).to_owned()));
        all.extend(["--baseline-dir".to_owned(), dir_arg(&baselines).to_owned()]);
        all
    };
    let go = |args: &[&str]| {
        let args = with(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&mut nacl_drift(), &args)
    };

    let result = go(&["snapshot", "--accounts", &accounts]);
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(result.stderr, "", "no progress bar off a terminal");
    assert_eq!(accounts_below(&baselines), ids.iter().cloned().collect());

    // The config file's `accounts` names the accounts of a run that names
    // none: a plain diff then covers every member, in sync.
    let config = work.path().join("nacl-drift.toml");
    std::fs::write(&config, format!("accounts = \"{accounts}\"\n")).expect("write the config");
    let configured = go(&["diff", "--config", dir_arg(&config)]);
    assert_eq!(configured.code, 0, "{configured:?}");
    assert!(configured.stdout.starts_with("In sync: "), "{configured:?}");
    std::fs::remove_file(&config).expect("remove the config");

    // On a terminal, a progress bar on stderr; with --quiet, none.
    let elsewhere = work.path().join("elsewhere");
    let on_terminal = |quiet: &[&str]| {
        let mut args = vec![
            "snapshot",
            "--accounts",
            &accounts,
            "--endpoint-url",
            &emulator.endpoint,
            "--baseline-dir",
            dir_arg(&elsewhere),
        ];
        args.extend(quiet);
        nacl_drift_on_a_terminal(&args)
    };
    let shown = on_terminal(&[]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(
        shown.stdout.contains("8/8 account-regions read"),
        "{shown:?}"
    );
    let quiet = on_terminal(&["--quiet"]);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert_eq!(quiet.stdout, "", "{quiet:?}");
    for id in &ids {
        for region in REGIONS {
            let vpc = org["members"]
                .as_array()
                .and_then(|m| m.iter().find(|m| m["id"] == id.as_str()))
                .and_then(|m| m["regions"][region]["vpc_id"].as_str())
                .expect("the member's VPC");
            let file = baselines.join(id).join(region).join(format!("{vpc}.yaml"));
            assert!(file.is_file(), "no {}", file.display());
        }
    }

    // --org finds the same members, and the management account, which it
    // reads with the caller's own credentials: a service-managed StackSet
    // deploys no role there (the proxy refuses to assume one).
    let management = org["management"].as_str().expect("management");
    let no_role_in_management = emulator.proxy(&["--deny-assume-role", management]);
    let from_org = work.path().join("from-org");
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--org",
            "--role-name",
            "NaclDriftReadOnly",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--endpoint-url",
            &no_role_in_management.endpoint,
            "--baseline-dir",
            dir_arg(&from_org),
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let mut expected: BTreeSet<String> = ids.iter().cloned().collect();
    expected.insert(org["management"].as_str().expect("management").to_owned());
    assert_eq!(accounts_below(&from_org), expected);

    // `accounts --org` prints an accounts file that reads back.
    let result = run(
        &mut nacl_drift(),
        &[
            "accounts",
            "--org",
            "--role-name",
            "NaclDriftReadOnly",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &emulator.endpoint,
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    assert!(
        result.stdout.contains(&format!(
            "  - account_id: \"{}\"\n    name: \"member-2\"\n    role: arn:aws:iam::{}:role/NaclDriftReadOnly\n    regions: [us-east-1]\n",
            ids[1], ids[1]
        )),
        "{result:?}"
    );
    assert!(
        result
            .stdout
            .contains(&format!("  - account_id: \"{management}\"\n    name: "))
            && !result
                .stdout
                .contains(&format!("arn:aws:iam::{management}:role/")),
        "the management account, with the caller's credentials: {result:?}"
    );
    let printed = work.path().join("printed.yaml");
    std::fs::write(&printed, &result.stdout).expect("write");
    let result = run(
        &mut nacl_drift(),
        &[
            "accounts",
            "--accounts",
            dir_arg(&printed),
            "--account",
            &ids[2],
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(result.stdout.matches("account_id").count(), 1, "{result:?}");

    // --all-regions: every region the account has enabled.
    let everywhere = work.path().join("everywhere");
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--accounts",
            &accounts,
            "--account",
            &ids[0],
            "--all-regions",
            "--endpoint-url",
            &emulator.endpoint,
            "--baseline-dir",
            dir_arg(&everywhere),
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let regions: BTreeSet<String> = files_below(&everywhere.join(&ids[0]))
        .keys()
        .map(|path| path.split('/').next().expect("a region").to_owned())
        .collect();
    assert!(
        regions.len() > 10 && regions.contains("ap-southeast-2"),
        "{regions:?}"
    );

    // --account-tag selects a subset.
    let tagged = work.path().join("tagged");
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--accounts",
            &accounts,
            "--account-tag",
            "env:dev",
            "--endpoint-url",
            &emulator.endpoint,
            "--baseline-dir",
            dir_arg(&tagged),
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(accounts_below(&tagged), BTreeSet::from([ids[3].clone()]));

    // lint reads only the selected accounts' baselines, and never asks AWS.
    let lint = |args: &[&str]| {
        let mut all = vec!["lint", "--baseline-dir", dir_arg(&baselines)];
        all.extend(args);
        run(&mut nacl_drift(), &all)
    };
    let result = lint(&["--accounts", &accounts, "--account-tag", "env:dev"]);
    assert!(matches!(result.code, 0 | 2), "{result:?}");
    let result = lint(&["--account", "999999999999"]);
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: no baseline files of the selected accounts in {}\n",
            baselines.display()
        )
    );
    let result = lint(&["--org", "--role-name", "R"]);
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.starts_with(
            "error: --org asks AWS for the accounts, and this command never calls AWS"
        ),
        "{result:?}"
    );

    // The incident, in the second and third members' us-east-1: the SSH
    // deny is gone.
    let acl_of = |member: usize| {
        org["members"][member]["regions"]["us-east-1"]["network_acl"]
            .as_str()
            .expect("acl")
    };
    for member in [1, 2] {
        delete_entry(&emulator, &ids[member], "us-east-1", acl_of(member), "80");
    }
    let result = go(&["diff", "--accounts", &accounts, "--format", "json"]);
    assert_eq!(result.code, 2, "{result:?}");
    let report = json(&result.stdout);
    let changes = report["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2, "{result:?}");
    for member in [1, 2] {
        let change = changes
            .iter()
            .find(|change| change["account"] == ids[member].as_str())
            .unwrap_or_else(|| panic!("member {member}'s change: {result:?}"));
        assert_eq!(change["kind"], "entry_deleted");
        assert_eq!(change["network_acl_id"], acl_of(member));
        assert_eq!(change["rule_number"], 80);
    }
    assert_eq!(report["errors"], serde_json::json!([]));
    // More than one account in play: each NACL shows its account, with the
    // name the accounts file gives it, in the table and the markdown.
    for format in ["table", "markdown"] {
        let result = go(&["diff", "--accounts", &accounts, "--format", format]);
        assert_eq!(result.code, 2, "{result:?}");
        for member in [1, 2] {
            let label = format!("{} (member-{}) us-east-1", ids[member], member + 1);
            let label = match format {
                "markdown" => label.replace(" us-east-1", " · us-east-1"),
                _ => label,
            };
            assert!(result.stdout.contains(&label), "{label}: {result:?}");
        }
    }

    // Another account alone is in sync; the others' baselines are skipped.
    let result = go(&[
        "diff",
        "--accounts",
        &accounts,
        "--account",
        &ids[0],
        "--format",
        "json",
    ]);
    assert_eq!(result.code, 0, "{result:?}");
    let skipped = json(&result.stdout)["skipped"]
        .as_array()
        .expect("skipped")
        .len();
    assert_eq!(
        skipped,
        3 * 2 * 2,
        "three accounts, two regions, two VPCs each"
    );

    let result = go(&["apply", "--accounts", &accounts, "--yes"]);
    assert_eq!(result.code, 0, "{result:?}");
    assert!(
        result.stdout.contains("CreateNetworkAclEntry"),
        "{result:?}"
    );
    for member in [1, 2] {
        let step = format!(
            "{} {} (member-{}) us-east-1",
            acl_of(member),
            ids[member],
            member + 1
        );
        assert!(
            result.stdout.contains(&step),
            "the plan: {step}: {result:?}"
        );
    }
    assert!(
        result
            .stdout
            .contains("Verified: the live state matches the baselines."),
        "{result:?}"
    );
    let result = go(&["diff", "--accounts", &accounts]);
    assert_eq!(result.code, 0, "{result:?}");
}

#[test]
fn an_account_region_that_cannot_be_read_is_reported_and_left_alone() {
    let Organization {
        emulator,
        org,
        ids,
        work,
        accounts,
    } = Organization::seed();
    let baselines = work.path().join("baselines");
    let baseline_dir = dir_arg(&baselines);
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--accounts",
            &accounts,
            "--endpoint-url",
            &emulator.endpoint,
            "--baseline-dir",
            baseline_dir,
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let before = files_below(&baselines);

    // eu-west-1 refuses every account, and the last account's role cannot
    // be assumed. Behind that, the NACL of member 1 in eu-west-1 loses an
    // entry, and member 3's us-east-1 NACL too.
    let denied = emulator.proxy(&["--deny-region", "eu-west-1", "--deny-assume-role", &ids[3]]);
    for (member, region) in [(0, "eu-west-1"), (2, "us-east-1")] {
        let acl = org["members"][member]["regions"][region]["network_acl"]
            .as_str()
            .expect("acl");
        delete_entry(&emulator, &ids[member], region, acl, "100");
    }

    let through_proxy = |command: &str, extra: &[&str]| {
        let mut args = vec![
            command,
            "--accounts",
            &accounts,
            "--endpoint-url",
            &denied.endpoint,
            "--baseline-dir",
            baseline_dir,
        ];
        args.extend(extra);
        run(&mut nacl_drift(), &args)
    };

    let result = through_proxy("diff", &["--format", "json"]);
    assert_eq!(result.code, 1, "{result:?}");
    let report = json(&result.stdout);
    let errors = report["errors"].as_array().expect("errors");
    let failed: BTreeSet<(String, String, String, String)> = errors
        .iter()
        .map(|e| {
            let text = |key: &str| e[key].as_str().expect(key).to_owned();
            (
                text("account"),
                text("region"),
                text("operation"),
                text("code"),
            )
        })
        .collect();
    let mut expected = BTreeSet::new();
    for id in &ids[..3] {
        expected.insert((
            id.clone(),
            "eu-west-1".to_owned(),
            "DescribeNetworkAcls".to_owned(),
            "UnauthorizedOperation".to_owned(),
        ));
    }
    for region in REGIONS {
        expected.insert((
            ids[3].clone(),
            region.to_owned(),
            "AssumeRole".to_owned(),
            "AccessDenied".to_owned(),
        ));
    }
    assert_eq!(failed, expected);
    let changes = report["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "only what could be read: {result:?}");
    assert_eq!(changes[0]["account"], ids[2].as_str());
    assert_eq!(changes[0]["region"], "us-east-1");
    assert!(
        changes
            .iter()
            .all(|change| change["kind"] != "network_acl_deleted"),
        "{result:?}"
    );
    assert!(
        result.stderr.contains(&format!(
            "warning: could not read account {} in us-east-1: AssumeRole failed: AccessDenied: ",
            ids[3]
        )),
        "{result:?}"
    );

    let result = through_proxy("snapshot", &[]);
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stdout.contains(&format!(
            "account {} in eu-west-1: DescribeNetworkAcls failed: UnauthorizedOperation: You are not authorized to perform this operation.",
            ids[0]
        )),
        "{result:?}"
    );
    let after = files_below(&baselines);
    let changed: Vec<&String> = before
        .keys()
        .filter(|path| before.get(*path) != after.get(*path))
        .collect();
    let member_3_us = format!("{}/us-east-1/", ids[2]);
    assert_eq!(after.len(), before.len(), "nothing removed");
    assert!(
        changed.len() == 1 && changed[0].starts_with(&member_3_us),
        "only member 3's us-east-1 baseline changes: {changed:?}"
    );
}

#[test]
fn a_bad_accounts_file_is_refused_before_any_call() {
    let work = tempfile::tempdir().expect("temp dir");
    let file = work.path().join("accounts.yaml");
    std::fs::write(
        &file,
        "accounts:\n  - account_id: \"111122223333\"\n    role: arn:aws:iam::444455556666:role/R\n",
    )
    .expect("write");
    let baselines = work.path().join("baselines");
    for command in ["snapshot", "diff", "apply"] {
        let result = run(
            &mut nacl_drift(),
            &[
                command,
                "--accounts",
                dir_arg(&file),
                "--endpoint-url",
                "http://127.0.0.1:9",
                "--baseline-dir",
                dir_arg(&baselines),
            ],
        );
        assert_eq!(result.code, 1, "{result:?}");
        assert_eq!(
            result.stderr,
            format!(
                "error: {}: account 111122223333: the role arn:aws:iam::444455556666:role/R is in account 444455556666, not 111122223333\n",
                file.display()
            ),
            "{command}"
        );
        assert!(!baselines.exists(), "{command} wrote nothing");
    }
}

/// `--role-name` names the role of `--org`; with an accounts file (which
/// names each account's role) it is refused, from a flag or from the
/// environment, never silently ignored.
#[test]
fn a_role_name_with_an_accounts_file_is_refused() {
    let work = tempfile::tempdir().expect("temp dir");
    let file = work.path().join("accounts.yaml");
    std::fs::write(&file, "accounts:\n  - account_id: \"111122223333\"\n").expect("write");
    let baselines = work.path().join("baselines");
    let before = files_below(work.path());
    let base = [
        "--accounts",
        dir_arg(&file),
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--baseline-dir",
        dir_arg(&baselines),
    ];
    for command in ["snapshot", "diff", "apply"] {
        let mut flag = vec![command, "--role-name", "NaclDriftReadOnly"];
        flag.extend(base);
        for result in [
            run(&mut nacl_drift(), &flag),
            run(
                nacl_drift().env("NACL_DRIFT_ROLE_NAME", "NaclDriftReadOnly"),
                &[&[command][..], &base[..]].concat(),
            ),
        ] {
            assert_eq!(result.code, 1, "{command}: {result:?}");
            let first_line = result.stderr.lines().next().unwrap_or_default();
            assert!(
                first_line.starts_with("error: the argument '--")
                    && first_line.contains("' cannot be used with '--")
                    && first_line.contains("'--accounts <FILE>'")
                    && first_line.contains("'--role-name <NAME>'"),
                "{command}: {result:?}"
            );
        }
    }
    assert_eq!(files_below(work.path()), before);
}

/// An organization snapshotted, with the guard's queue: what the guard's
/// tests over many accounts start from.
struct Guarded {
    org: Organization,
    baselines: PathBuf,
    queue: String,
}

impl Guarded {
    fn seed() -> Self {
        let org = Organization::seed();
        let baselines = org.work.path().join("baselines");
        let snapshot = run(
            &mut nacl_drift(),
            &[
                "snapshot",
                "--accounts",
                &org.accounts,
                "--baseline-dir",
                dir_arg(&baselines),
                "--endpoint-url",
                &org.emulator.endpoint,
            ],
        );
        assert_eq!(snapshot.code, 0, "{snapshot:?}");
        let queue = org.emulator.events(&["queue"]);
        let queue = queue["queue_url"].as_str().expect("queue_url").to_owned();
        Guarded {
            org,
            baselines,
            queue,
        }
    }

    /// The guard NACL of member `index` in `region`.
    fn acl(&self, index: usize, region: &str) -> String {
        self.org.org["members"][index]["regions"][region]["network_acl"]
            .as_str()
            .expect("network_acl")
            .to_owned()
    }

    /// Puts the CloudTrail event of `principal` deleting ingress rule 80 of
    /// member `index`'s NACL in `region`.
    fn put_deletion(&self, index: usize, region: &str, event_id: &str, principal: &str) {
        let acl = self.acl(index, region);
        let call = entry_call(
            region,
            "DeleteNetworkAclEntry",
            event_id,
            &acl,
            80,
            principal,
        );
        let mut call: Value = serde_json::from_str(&call).expect("JSON");
        call["recipientAccountId"] = Value::from(self.org.ids[index].as_str());
        self.org.emulator.events(&["put", &call.to_string()]);
    }

    /// `watch --once --restore` on the queue, over the accounts file,
    /// against `endpoint`.
    fn watch_once(&self, endpoint: &str) -> Run {
        run(
            nacl_drift().env("AWS_REGION", "us-east-1"),
            &[
                "watch",
                "--once",
                "--restore",
                "--sqs-queue-url",
                &self.queue,
                "--accounts",
                &self.org.accounts,
                "--baseline-dir",
                dir_arg(&self.baselines),
                "--endpoint-url",
                endpoint,
            ],
        )
    }
}

/// The guard over an organization: an event in a member account restores
/// that account's NACL through its role; an event naming nacl-drift's own
/// session in another member (which anyone who can send to the queue could
/// forge) is said to be its own, and restores all the same.
#[test]
fn the_guard_restores_a_member_account_from_its_event() {
    let guarded = Guarded::seed();
    let Organization { emulator, ids, .. } = &guarded.org;
    let (attacked, own) = (&ids[1], &ids[2]);
    let own_session = format!("arn:aws:sts::{own}:assumed-role/NaclDriftReadOnly/nacl-drift");
    for (index, principal, event_id) in
        [(1, MALLORY, "e-member"), (2, own_session.as_str(), "e-own")]
    {
        let acl = guarded.acl(index, "us-east-1");
        delete_entry(emulator, &ids[index], "us-east-1", &acl, "80");
        guarded.put_deletion(index, "us-east-1", event_id, principal);
    }

    let result = guarded.watch_once(&emulator.endpoint);
    assert_eq!(result.code, 0, "both restored: {result:?}");
    let lines: Vec<Value> = result.stdout.lines().map(json).collect();
    assert_eq!(lines.len(), 2, "{result:?}");
    let line_of = |account: &str| {
        lines
            .iter()
            .find(|line| line["account"] == account)
            .unwrap_or_else(|| panic!("a line for {account}: {result:?}"))
    };
    let restored = line_of(attacked);
    assert_eq!(restored["event"]["principal_arn"], MALLORY);
    assert_eq!(restored["in_sync"], true, "{restored}");
    assert_eq!(
        restored["restored"][0]["network_acl_id"],
        guarded.acl(1, "us-east-1").as_str()
    );
    assert_eq!(restored["restored"][0]["status"], "done");
    let checked = line_of(own);
    assert_eq!(checked["event"]["principal_arn"], own_session.as_str());
    assert_eq!(checked["own_calls"], true, "{checked}");
    assert_eq!(checked["event"]["unverified"], true, "{checked}");
    assert_eq!(checked["restored"][0]["status"], "done", "{checked}");
    assert_eq!(checked["in_sync"], true);
}

/// An event whose account-region cannot be read is not acted on blindly:
/// the line says why, `--once` exits 1, and the message stays in the queue
/// to come back.
#[test]
fn an_event_in_an_unreadable_region_stays_in_the_queue() {
    let guarded = Guarded::seed();
    guarded.put_deletion(0, "eu-west-1", "e-unread", MALLORY);

    let proxy = guarded.org.emulator.proxy(&["--deny-region", "eu-west-1"]);
    let result = guarded.watch_once(&proxy.endpoint);
    assert_eq!(result.code, 1, "{result:?}");
    let line = json(result.stdout.lines().next().expect("a line"));
    assert_eq!(line["errors"][0]["region"], "eu-west-1", "{line}");
    assert_eq!(line["errors"][0]["code"], "UnauthorizedOperation");
    assert_eq!(line["in_sync"], false, "what was not read is not in sync");
    let left = guarded.org.emulator.events(&["count", &guarded.queue]);
    assert_eq!(left["in_flight"], 1, "the message comes back: {left}");
}
