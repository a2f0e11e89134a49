//! Terraform and OpenTofu state as the source of intent, on the emulator:
//! a VPC that terraform-aws-modules/vpc would make, and its state in the
//! three forms Terraform prints (`tests/emulator/terraform.py`).

use std::path::Path;

use serde_json::Value;

use crate::support::{Emulator, dir_arg, files_below, nacl_drift, repo_root, run};

/// The emulator with a Terraform-managed VPC, its state's folder (the
/// three forms), an empty baseline folder, and the ids made.
fn managed() -> (Emulator, tempfile::TempDir, tempfile::TempDir, Value) {
    let emulator = Emulator::start();
    let state = tempfile::tempdir().expect("temp dir");
    let output = emulator.python(&[
        "tests/emulator/terraform.py",
        "--endpoint-url",
        &emulator.endpoint,
        "seed",
        dir_arg(state.path()),
    ]);
    let ids = serde_json::from_slice(&output.stdout).expect("terraform.py prints JSON");
    (emulator, state, tempfile::tempdir().expect("temp dir"), ids)
}

/// nacl-drift's `args`, then the emulator, `baselines` and the state.
fn with_state(
    emulator: &Emulator,
    baselines: &Path,
    state: &Path,
    args: &[&str],
) -> crate::support::Run {
    let mut all = args.to_vec();
    all.extend([
        "--endpoint-url",
        &emulator.endpoint,
        "--baseline-dir",
        dir_arg(baselines),
        "--terraform-state",
        dir_arg(state),
    ]);
    run(&mut nacl_drift(), &all)
}

/// `diff --format json` of `state` against the emulator, with `baselines`.
fn diff(emulator: &Emulator, baselines: &Path, state: &Path) -> crate::support::Run {
    with_state(emulator, baselines, state, &["diff", "--format", "json"])
}

/// Someone adds ingress 104 (tcp 8443 from anywhere) to `acl` in the
/// console.
fn add_console_rule(emulator: &Emulator, acl: &str) {
    emulator.python(&[
        "-c",
        &format!(
            "import boto3; boto3.client('ec2', region_name='us-east-1', endpoint_url='{}')\
             .create_network_acl_entry(NetworkAclId='{acl}', RuleNumber=104, Egress=False, \
             Protocol='6', RuleAction='allow', CidrBlock='0.0.0.0/0', PortRange={{'From': 8443, 'To': 8443}})",
            emulator.endpoint
        ),
    ]);
}

/// The rule numbers of `acl`'s inbound entries, as the emulator holds them.
fn inbound_rules(emulator: &Emulator, acl: &str) -> String {
    let output = emulator.python(&[
        "-c",
        &format!(
            "import boto3; print(sorted(e['RuleNumber'] for e in boto3.client('ec2', region_name='us-east-1', endpoint_url='{}').describe_network_acls(NetworkAclIds=['{acl}'])['NetworkAcls'][0]['Entries'] if not e['Egress']))",
            emulator.endpoint
        ),
    ]);
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The S3 backend's bucket on the emulator, and its DynamoDB lock table.
const BUCKET: &str = "acme-tfstate";
const LOCK_TABLE: &str = "tf-locks";

/// `terraform.py`'s `command` (push, lock, unlock) for the S3 backend's
/// `key`, with the lock table, on the state written in `state`.
fn backend(emulator: &Emulator, state: &Path, command: &str, key: &str) {
    emulator.python(&[
        "tests/emulator/terraform.py",
        "--endpoint-url",
        &emulator.endpoint,
        command,
        dir_arg(state),
        "--bucket",
        BUCKET,
        "--key",
        key,
        "--lock-table",
        LOCK_TABLE,
    ]);
}

/// doctor's report with the state at `url` and the lock table, and the
/// status and detail of its state's check.
fn doctor_of_s3(emulator: &Emulator, state: &Path, url: &str) -> (Value, (String, String)) {
    let args = [
        "--terraform-state",
        url,
        "--terraform-lock-table",
        LOCK_TABLE,
    ];
    let (_, report) = crate::doctor::doctor(&emulator.endpoint, state, &args);
    let check = crate::doctor::check(&report, "terraform state", None);
    let text = |field: &str| check[field].as_str().unwrap_or_default().to_owned();
    let check = (text("status"), text("detail"));
    (report, check)
}

/// Someone adds ingress 104 to the public NACL in the console, and a
/// refresh writes it into the ACL's inline list of the state in `state`,
/// as the provider does for a module-style ACL.
fn add_refreshed_console_rule(emulator: &Emulator, state: &Path, ids: &Value) {
    add_console_rule(emulator, ids["public_acl"].as_str().expect("an id"));
    emulator.python(&[
        "tests/emulator/terraform.py",
        "--endpoint-url",
        &emulator.endpoint,
        "refresh",
        dir_arg(state),
    ]);
}

/// The state in `state` pushed to the S3 backend: its key and URL.
fn pushed(emulator: &Emulator, state: &Path) -> (&'static str, String) {
    let key = "network/terraform.tfstate";
    backend(emulator, state, "push", key);
    (key, format!("s3://{BUCKET}/{key}"))
}

/// The S3 backend's lock file of `key` deleted, its table's item left.
fn delete_lock_file(emulator: &Emulator, key: &str) {
    emulator.python(&[
        "-c",
        &format!(
            "import boto3; boto3.client('s3', region_name='us-east-1', endpoint_url='{}').delete_object(Bucket='{BUCKET}', Key='{key}.tflock')",
            emulator.endpoint
        ),
    ]);
}

/// `snapshot` of the emulator's us-east-1 into `baselines`, with `extra`.
fn snapshot_of_emulator(
    emulator: &Emulator,
    baselines: &Path,
    extra: &[&str],
) -> crate::support::Run {
    let mut args = vec!["snapshot", "--endpoint-url", &emulator.endpoint];
    args.extend([
        "--region",
        "us-east-1",
        "--baseline-dir",
        dir_arg(baselines),
    ]);
    args.extend(extra);
    run(&mut nacl_drift(), &args)
}

/// `snapshot --from-terraform STATE` into `baselines`, with `extra`.
fn snapshot_of_state(baselines: &Path, state: &str, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["snapshot", "--baseline-dir", dir_arg(baselines)];
    args.extend(["--from-terraform", state]);
    args.extend(extra);
    run(&mut nacl_drift(), &args)
}

fn json(result: &crate::support::Run) -> Value {
    serde_json::from_str(&result.stdout).unwrap_or_else(|_| panic!("JSON: {result:?}"))
}

#[test]
fn an_out_of_band_rule_on_a_module_style_acl_is_added_and_nothing_else() {
    let (emulator, state, baselines, ids) = managed();
    let raw = state.path().join("terraform.tfstate");
    let result = with_state(&emulator, baselines.path(), &raw, &["diff"]);
    assert_eq!(
        result.code, 0,
        "in sync with what the state declares: {result:?}"
    );
    assert_eq!(
        result.stdout,
        "In sync: 2 NACLs in 1 Terraform state match the live state.\n"
    );

    // Someone adds ingress 104 in the console, refreshed into the state.
    add_refreshed_console_rule(&emulator, state.path(), &ids);
    let result = diff(&emulator, baselines.path(), &raw);
    assert_eq!(result.code, 2, "{result:?}");
    let report = json(&result);
    let changes: Vec<(&str, &str, i64)> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| {
            (
                change["kind"].as_str().unwrap_or_default(),
                change["network_acl_id"].as_str().unwrap_or_default(),
                change["rule_number"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [(
            "entry_added",
            ids["public_acl"].as_str().expect("an id"),
            104
        )],
        "the refreshed inline list is no intent: {report:#}"
    );
    assert_eq!(report["changes"][0]["live"]["ports"], 8443);
    assert_eq!(
        report["changes"][0]["terraform_address"], "module.vpc.aws_network_acl.public[0]",
        "no rule resource declares it: its ACL's address"
    );

    // The same report from `terraform show -json` and from a plan's JSON.
    for form in ["show.json", "plan.json"] {
        let result = diff(&emulator, baselines.path(), &state.path().join(form));
        assert_eq!(result.code, 2, "{form}: {result:?}");
        assert_eq!(json(&result), report, "{form}");
    }
    // The plan's own refresh saw it too, and says so.
    let plan = state.path().join("plan.json");
    let result = diff(&emulator, baselines.path(), &plan);
    assert_eq!(
        result.stderr,
        format!(
            "note: {}: the plan's refresh found module.vpc.aws_network_acl.public[0] (update) changed outside Terraform; judged against its planned values\n",
            plan.display()
        )
    );

    // A rule that Terraform declares, deleted out of band: named by the
    // rule resource's address, in the JSON and the table.
    emulator.python(&[
        "-c",
        &format!(
            "import boto3; boto3.client('ec2', region_name='us-east-1', endpoint_url='{}')\
             .delete_network_acl_entry(NetworkAclId='{}', RuleNumber=110, Egress=False)",
            emulator.endpoint,
            ids["public_acl"].as_str().expect("an id")
        ),
    ]);
    let report = json(&diff(&emulator, baselines.path(), &raw));
    let deleted = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|change| change["kind"] == "entry_deleted")
        .expect("rule 110's deletion");
    assert_eq!(
        deleted["terraform_address"],
        "module.vpc.aws_network_acl_rule.public_inbound[1]"
    );
    let table = with_state(&emulator, baselines.path(), &raw, &["diff"]);
    assert_eq!(table.code, 2, "{table:?}");
    assert!(
        table
            .stdout
            .contains("module.vpc.aws_network_acl_rule.public_inbound[1]"),
        "{table:?}"
    );
}

#[test]
fn a_nacl_held_by_a_state_and_a_baseline_is_refused_naming_both() {
    let (emulator, state, baselines, ids) = managed();
    let snapshot = snapshot_of_emulator(&emulator, baselines.path(), &[]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    let before = files_below(baselines.path());
    let result = diff(
        &emulator,
        baselines.path(),
        &state.path().join("terraform.tfstate"),
    );
    assert_eq!(result.code, 1, "{result:?}");
    // The first NACL both hold, by id.
    let (acl, address) = [
        (&ids["public_acl"], "module.vpc.aws_network_acl.public[0]"),
        (
            &ids["default_acl"],
            "module.vpc.aws_default_network_acl.this[0]",
        ),
    ]
    .into_iter()
    .map(|(id, address)| (id.as_str().expect("an id"), address))
    .min()
    .expect("two NACLs");
    let vpc = ids["vpc_id"].as_str().expect("an id");
    let expected = format!(
        "error: network ACL {acl} is held by {}/123456789012/us-east-1/{vpc}.yaml and by the Terraform state {}/terraform.tfstate ({address}): a NACL has one source of intent, so remove it from one of them",
        baselines.path().display(),
        state.path().display()
    );
    assert_eq!(result.stderr, format!("{expected}\n"));
    assert_eq!(files_below(baselines.path()), before, "nothing written");
}

#[test]
fn a_state_that_cannot_be_read_is_an_error_with_its_fix_and_nothing_changes() {
    let (emulator, _state, baselines, _ids) = managed();
    let encrypted = repo_root().join("tests/fixtures/terraform/encrypted.tfstate");
    let result = diff(&emulator, baselines.path(), &encrypted);
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: {} is an OpenTofu encrypted state: nacl-drift cannot read it; where its key is configured, give it `tofu show -json > state.json` (or `tofu state pull > state.json`) instead\n",
            encrypted.display()
        )
    );
    assert!(result.stdout.is_empty(), "{result:?}");
    assert!(files_below(baselines.path()).is_empty(), "nothing written");

    // The same state named by the environment.
    let by_env = run(
        nacl_drift()
            .env("NACL_DRIFT_TERRAFORM_STATE", &encrypted)
            .env("AWS_ENDPOINT_URL", &emulator.endpoint),
        &["diff", "--baseline-dir", dir_arg(baselines.path())],
    );
    assert_eq!(by_env.code, 1, "{by_env:?}");
    assert_eq!(by_env.stderr, result.stderr);

    let half = tempfile::NamedTempFile::new().expect("temp file");
    let result = diff(&emulator, baselines.path(), half.path());
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result
            .stderr
            .ends_with("(a state that terraform is writing reads empty or cut off: try again once it is done)\n"),
        "{result:?}"
    );

    // An S3 URL that names no object, or no bucket S3 would accept:
    // refused before anything is read.
    for (state, why) in [
        (
            "s3://infra-state",
            "s3://infra-state names no state object: give s3://bucket/key, the backend's bucket and key (a workspace's: s3://bucket/env:/WORKSPACE/key)",
        ),
        (
            "s3://Infra_State/prod.tfstate",
            "Infra_State is not an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit",
        ),
    ] {
        let result = run(&mut nacl_drift(), &["diff", "--terraform-state", state]);
        assert_eq!(result.code, 1, "{result:?}");
        assert!(
            result.stderr.starts_with(&format!(
                "error: invalid value '{state}' for '--terraform-state <PATH|s3://BUCKET/KEY>': {why}\n"
            )),
            "{result:?}"
        );
    }
}

#[test]
fn apply_never_recreates_a_nacl_that_terraform_declares() {
    let (emulator, state, baselines, ids) = managed();
    let public = ids["public_acl"].as_str().expect("an id");
    // The public NACL deleted out of band, its subnets back on the default.
    emulator.python(&[
        "-c",
        &format!(
            "import boto3\n\
             ec2 = boto3.client('ec2', region_name='us-east-1', endpoint_url='{}')\n\
             acl = ec2.describe_network_acls(NetworkAclIds=['{public}'])['NetworkAcls'][0]\n\
             for a in acl['Associations']:\n    \
                 ec2.replace_network_acl_association(AssociationId=a['NetworkAclAssociationId'], NetworkAclId='{}')\n\
             ec2.delete_network_acl(NetworkAclId='{public}')",
            emulator.endpoint,
            ids["default_acl"].as_str().expect("an id"),
        ),
    ]);
    let result = with_state(
        &emulator,
        baselines.path(),
        &state.path().join("terraform.tfstate"),
        &["apply", "--yes", "--recreate-missing"],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: network ACL {public} is declared in Terraform (module.vpc.aws_network_acl.public[0]): --recreate-missing would make a NACL whose id the state does not know; run `terraform apply` to recreate it\n"
        )
    );
    let left = emulator.python(&[
        "-c",
        &format!(
            "import boto3; print(len(boto3.client('ec2', region_name='us-east-1', endpoint_url='{}').describe_network_acls()['NetworkAcls']))",
            emulator.endpoint
        ),
    ]);
    let count = String::from_utf8_lossy(&left.stdout).trim().to_owned();
    assert!(files_below(baselines.path()).is_empty(), "nothing written");
    // The default NACL of each VPC, and nothing made.
    assert_eq!(count, "2", "no NACL was made");
}

/// A process that holds Terraform's local lock on `state` (an fcntl write
/// lock, as `terraform apply` takes, and its lock info beside it) until
/// dropped.
struct HeldLock(std::process::Child);

impl HeldLock {
    fn on(state: &Path) -> HeldLock {
        use std::io::BufRead;
        let info = state.with_file_name(".terraform.tfstate.lock.info");
        std::fs::write(
            &info,
            r#"{"ID":"5f0e8c1a-1b2c-4d5e-8f90-a1b2c3d4e5f6","Operation":"OperationTypeApply","Info":"","Who":"alice@build-7","Version":"1.5.7","Created":"2026-12-07T10:11:12.345678Z","Path":"terraform.tfstate"}"#,
        )
        .expect("write the lock info");
        let mut child = std::process::Command::new(crate::support::moto_venv().join("bin/python"))
            .args([
                "-c",
                "import fcntl, sys, time\n\
                 f = open(sys.argv[1], 'r+')\n\
                 fcntl.lockf(f, fcntl.LOCK_EX)\n\
                 print('locked', flush=True)\n\
                 time.sleep(600)",
                dir_arg(state),
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run python");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().expect("its stdout"))
            .read_line(&mut line)
            .expect("it says it holds the lock");
        assert_eq!(line, "locked\n");
        HeldLock(child)
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn apply_restores_nothing_while_terraform_holds_the_state_lock() {
    let (emulator, state, baselines, ids) = managed();
    let raw = state.path().join("terraform.tfstate");
    let public = ids["public_acl"].as_str().expect("an id");
    add_console_rule(&emulator, public);
    let apply = || with_state(&emulator, baselines.path(), &raw, &["apply", "--yes"]);
    let entries = || inbound_rules(&emulator, public);
    {
        let _lock = HeldLock::on(&raw);
        let result = apply();
        assert_eq!(result.code, 1, "{result:?}");
        assert!(
            result.stderr.ends_with(&format!(
                "error: Terraform's lock on {} (OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12.345678Z) is held: a terraform run may be changing these NACLs, and a restore now could revert it; nothing was restored: run again once it is done\n",
                raw.display()
            )),
            "{result:?}"
        );
        assert_eq!(entries(), "[100, 104, 110]", "nothing restored");
    }
    // The lock released (its info file left behind, as a crashed run
    // leaves it: no lock): the rule Terraform never declared is removed.
    let result = apply();
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(entries(), "[100, 110]");
}

#[test]
fn doctor_says_whether_each_state_is_readable_and_its_lock_free() {
    let (emulator, state, _baselines, _ids) = managed();
    let raw = state.path().join("terraform.tfstate");
    let encrypted = repo_root().join("tests/fixtures/terraform/encrypted.tfstate");
    let (_, report) = crate::doctor::doctor(
        &emulator.endpoint,
        state.path(),
        &[
            "--terraform-state",
            dir_arg(&raw),
            "--terraform-state",
            dir_arg(&encrypted),
        ],
    );
    let checks: Vec<(String, String)> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|check| check["check"] == "terraform state")
        .map(|check| {
            (
                check["status"].as_str().unwrap_or_default().to_owned(),
                check["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            (
                "ok".to_owned(),
                format!("{} declares 2 NACLs; its lock is free", raw.display())
            ),
            (
                "fail".to_owned(),
                format!(
                    "{} is an OpenTofu encrypted state: nacl-drift cannot read it; where its key is configured, give it `tofu show -json > state.json` (or `tofu state pull > state.json`) instead",
                    encrypted.display()
                )
            ),
        ]
    );
    let _lock = HeldLock::on(&raw);
    let (_, report) = crate::doctor::doctor(
        &emulator.endpoint,
        state.path(),
        &["--terraform-state", dir_arg(&raw)],
    );
    let held = crate::doctor::check(&report, "terraform state", None);
    assert_eq!(held["status"], "warn", "{held}");
    assert_eq!(
        held["detail"],
        format!(
            "Terraform's lock on {} (OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12.345678Z) is held now: nothing is restored to it until the run ends",
            raw.display()
        )
    );
}

#[test]
fn snapshot_from_terraform_writes_what_the_state_declares_with_its_addresses() {
    let (emulator, state, baselines, ids) = managed();
    let raw = state.path().join("terraform.tfstate");
    let snapshot = || snapshot_of_state(baselines.path(), dir_arg(&raw), &[]);
    let first = snapshot();
    assert_eq!(first.code, 0, "{first:?}");
    let written = files_below(baselines.path());
    let vpc = ids["vpc_id"].as_str().expect("an id");
    let file = format!("123456789012/us-east-1/{vpc}.yaml");
    let text = String::from_utf8(written[&file].clone()).expect("UTF-8");
    let public = ids["public_acl"].as_str().expect("an id");
    assert!(
        text.contains(&format!(
            "- id: {public}  # tf-public · module.vpc.aws_network_acl.public[0]\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("# tf-default · module.vpc.aws_default_network_acl.this[0]"),
        "{text}"
    );
    // A second run changes no byte.
    let second = snapshot();
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(files_below(baselines.path()), written);
    // And the baselines say what the live NACLs are: in sync.
    let diff = run(
        &mut nacl_drift(),
        &[
            "diff",
            "--endpoint-url",
            &emulator.endpoint,
            "--baseline-dir",
            dir_arg(baselines.path()),
        ],
    );
    assert_eq!(diff.code, 0, "{diff:?}");

    // A state that cannot be read writes nothing.
    let empty = tempfile::tempdir().expect("temp dir");
    let encrypted = repo_root().join("tests/fixtures/terraform/encrypted.tfstate");
    let refused = snapshot_of_state(empty.path(), dir_arg(&encrypted), &[]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("is an OpenTofu encrypted state"),
        "{refused:?}"
    );
    assert!(files_below(empty.path()).is_empty(), "nothing written");
}

#[test]
fn export_writes_hcl_that_an_independent_parser_reads_back_as_the_baselines() {
    let (emulator, state, baselines, ids) = managed();
    // A NACL made in the console, which no state holds.
    let vpc = ids["vpc_id"].as_str().expect("an id");
    let console = emulator.python(&[
        "-c",
        &format!(
            "import boto3\n\
             ec2 = boto3.client('ec2', region_name='us-east-1', endpoint_url='{}')\n\
             acl = ec2.create_network_acl(VpcId='{vpc}')['NetworkAcl']['NetworkAclId']\n\
             ec2.create_tags(Resources=[acl], Tags=[{{'Key': 'Name', 'Value': 'console \"made\" ${{x}}'}}])\n\
             ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False, Protocol='6', RuleAction='allow', CidrBlock='10.0.0.0/16', PortRange={{'From': 5432, 'To': 5432}})\n\
             ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=110, Egress=False, Protocol='1', RuleAction='allow', CidrBlock='10.0.0.0/16', IcmpTypeCode={{'Type': -1, 'Code': -1}})\n\
             ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=True, Protocol='-1', RuleAction='deny', Ipv6CidrBlock='::/0')\n\
             print(acl)",
            emulator.endpoint
        ),
    ]);
    let console = String::from_utf8(console.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned();
    let snapshot = snapshot_of_emulator(&emulator, baselines.path(), &["--vpc-id", vpc]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    // The state's NACLs leave the baselines: the state holds them.
    let file = baselines
        .path()
        .join(format!("123456789012/us-east-1/{vpc}.yaml"));
    let yaml = std::fs::read_to_string(&file).expect("the baseline");
    let mut baseline = nacl_drift_model::Baseline::from_yaml(&file, &yaml).expect("valid");
    baseline.network_acls.retain(|acl| acl.id == console);
    std::fs::write(&file, baseline.to_yaml()).expect("rewrite the baseline");

    let result = with_state(
        &emulator,
        baselines.path(),
        &state.path().join("terraform.tfstate"),
        &["export", "--format", "terraform"],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let hcl = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(hcl.path(), &result.stdout).expect("write the HCL");
    // python-hcl2 keeps each literal as written: its strings unquoted and
    // unescaped here, as Terraform reads them.
    let parsed = std::process::Command::new(crate::support::tool("python"))
        .args([
            "-c",
            "import hcl2, json, sys\n\
             def text(v):\n    \
                 if isinstance(v, str) and len(v) > 1 and v[0] == v[-1] == '\"':\n        \
                     return json.loads(v).replace('$${', '${').replace('%%{', '%{')\n    \
                 return v\n\
             def walk(x):\n    \
                 if isinstance(x, dict):\n        \
                     return {text(k): walk(v) for k, v in x.items() if k != '__is_block__'}\n    \
                 if isinstance(x, list):\n        \
                     return [walk(i) for i in x]\n    \
                 return text(x)\n\
             print(json.dumps(walk(hcl2.load(open(sys.argv[1])))))",
            dir_arg(hcl.path()),
        ])
        .output()
        .expect("run python-hcl2");
    assert!(
        parsed.status.success(),
        "python-hcl2 refuses the HCL: {}\n{}",
        String::from_utf8_lossy(&parsed.stderr),
        result.stdout
    );
    let parsed: Value = serde_json::from_slice(&parsed.stdout).expect("JSON");
    let of_type = |kind: &str| -> Vec<Value> {
        parsed["resource"]
            .as_array()
            .expect("resources")
            .iter()
            .filter_map(|resource| resource.get(kind))
            .flat_map(|named| named.as_object().expect("named").values().cloned())
            .collect()
    };
    let name = console.replace('-', "_");
    assert_eq!(
        of_type("aws_network_acl").len(),
        1,
        "the console's NACL alone"
    );
    let acl = &of_type("aws_network_acl")[0];
    assert_eq!(acl["vpc_id"], vpc);
    assert_eq!(
        acl["tags"]["Name"], "console \"made\" ${x}",
        "text, not a template"
    );
    // Every rule, read back, is the baseline's entry.
    let mut rules: Vec<String> = of_type("aws_network_acl_rule")
        .iter()
        .map(|rule| {
            let field = |name: &str| match &rule[name] {
                Value::String(text) => text.clone(),
                Value::Null => "-".to_owned(),
                other => other.to_string(),
            };
            let cidr = if rule["cidr_block"].is_null() {
                field("ipv6_cidr_block")
            } else {
                field("cidr_block")
            };
            format!(
                "{} egress={} {} {} protocol {} ports {}-{} icmp {}/{} {cidr}",
                field("network_acl_id"),
                field("egress"),
                field("rule_number"),
                field("rule_action"),
                field("protocol"),
                field("from_port"),
                field("to_port"),
                field("icmp_type"),
                field("icmp_code"),
            )
        })
        .collect();
    rules.sort();
    let reference = format!("${{aws_network_acl.{name}.id}}");
    assert_eq!(
        rules,
        [
            format!(
                "{reference} egress=false 100 allow protocol 6 ports 5432-5432 icmp -/- 10.0.0.0/16"
            ),
            format!(
                "{reference} egress=false 110 allow protocol 1 ports 0-0 icmp -1/-1 10.0.0.0/16"
            ),
            format!("{reference} egress=true 100 deny protocol -1 ports 0-0 icmp -/- ::/0"),
        ]
    );
    // One import a resource, with the ids the provider expects.
    let imports: Vec<String> = parsed["import"]
        .as_array()
        .expect("imports")
        .iter()
        .map(|import| {
            format!(
                "{} {}",
                import["to"].as_str().unwrap_or_default(),
                import["id"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        imports.contains(&format!("${{aws_network_acl.{name}}} {console}")),
        "{imports:?}"
    );
    assert!(
        imports.contains(&format!(
            "${{aws_network_acl_rule.{name}_ingress_110}} {console}:110:1:false"
        )),
        "{imports:?}"
    );
    assert_eq!(imports.len(), 4, "{imports:?}");
}

#[test]
fn a_hostile_address_in_a_state_stays_text_in_every_format() {
    let (emulator, state, baselines, ids) = managed();
    let raw = state.path().join("terraform.tfstate");
    // The public ACL keyed by a for_each key that holds a terminal escape,
    // markup and a line break.
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(&raw).expect("the state")).expect("JSON");
    let public = document["resources"]
        .as_array_mut()
        .expect("resources")
        .iter_mut()
        .find(|resource| resource["name"] == "public")
        .expect("the public ACL");
    public["each"] = "map".into();
    public["instances"][0]["index_key"] = "\u{1b}[2J<img src=x onerror=alert(1)>\n|".into();
    std::fs::write(&raw, document.to_string()).expect("write the state");
    add_console_rule(&emulator, ids["public_acl"].as_str().expect("an id"));
    for format in ["table", "json", "markdown", "sarif"] {
        let result = with_state(
            &emulator,
            baselines.path(),
            &raw,
            &["diff", "--format", format],
        );
        assert_eq!(result.code, 2, "{format}: {result:?}");
        assert!(!result.stdout.contains('\u{1b}'), "{format}: a raw escape");
        let address = if format == "markdown" {
            r"module.vpc.aws\_network\_acl.public\["
        } else {
            "module.vpc.aws_network_acl.public["
        };
        assert!(
            result.stdout.contains(address),
            "{format}: {}",
            result.stdout
        );
        if format == "markdown" {
            assert!(!result.stdout.contains("<img"), "{}", result.stdout);
        }
    }
}

#[test]
fn a_state_in_the_s3_backend_is_intent_as_a_local_one_is() {
    let (emulator, state, baselines, ids) = managed();
    // A workspace's state: env:/<workspace>/<key>.
    let key = "env:/prod/network/terraform.tfstate";
    let url = format!("s3://{BUCKET}/{key}");
    let in_s3 = Path::new(&url);
    backend(&emulator, state.path(), "push", key);
    let result = with_state(&emulator, baselines.path(), in_s3, &["diff"]);
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(
        result.stdout,
        "In sync: 2 NACLs in 1 Terraform state match the live state.\n"
    );

    // A console rule, refreshed into the state and pushed: the report of
    // the object is the local file's.
    add_refreshed_console_rule(&emulator, state.path(), &ids);
    backend(&emulator, state.path(), "push", key);
    let local = diff(
        &emulator,
        baselines.path(),
        &state.path().join("terraform.tfstate"),
    );
    let remote = diff(&emulator, baselines.path(), in_s3);
    assert_eq!(remote.code, 2, "{remote:?}");
    assert_eq!(json(&remote), json(&local));

    // doctor reads it, sees both locks free, and reads the intent again
    // (a conditional GET on the ETag it has).
    let (report, check) = doctor_of_s3(&emulator, state.path(), &url);
    assert_eq!(
        check,
        (
            "ok".to_owned(),
            format!(
                "{url} declares 2 NACLs; its lock file {url}.tflock is absent and the DynamoDB table {LOCK_TABLE} holds no lock on it: free"
            )
        )
    );
    assert_eq!(
        crate::doctor::check(&report, "baselines", None)["status"],
        "ok"
    );

    // snapshot --from-terraform writes from the object what it writes
    // from the file.
    let snapshot = |from: &str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let result = snapshot_of_state(dir.path(), from, &["--endpoint-url", &emulator.endpoint]);
        assert_eq!(result.code, 0, "{result:?}");
        files_below(dir.path())
    };
    let raw = state.path().join("terraform.tfstate");
    assert_eq!(snapshot(&url), snapshot(dir_arg(&raw)));

    // A key the bucket does not hold: an error, never "no intent".
    let wrong = format!("s3://{BUCKET}/prod/network/terraform.tfstate");
    let result = with_state(&emulator, baselines.path(), Path::new(&wrong), &["diff"]);
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: the Terraform state {wrong} is not there: check the backend's bucket and key (a workspace's state is s3://BUCKET/env:/WORKSPACE/KEY)\n"
        )
    );
    assert!(files_below(baselines.path()).is_empty(), "nothing written");
}

#[test]
fn apply_and_doctor_see_the_s3_backends_lock_file_and_its_lock_table() {
    let (emulator, state, baselines, ids) = managed();
    let (key, url) = pushed(&emulator, state.path());
    let public = ids["public_acl"].as_str().expect("an id");
    add_console_rule(&emulator, public);
    let apply = |lock_table: &[&str]| {
        let mut args = vec!["apply", "--yes"];
        args.extend(lock_table);
        with_state(&emulator, baselines.path(), Path::new(&url), &args)
    };
    const HELD: &str = "(OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12.345678Z) is held: a terraform run may be changing these NACLs, and a restore now could revert it; nothing was restored: run again once it is done";

    // `terraform apply` holds both locks.
    backend(&emulator, state.path(), "lock", key);
    let result = apply(&[]);
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.ends_with(&format!(
            "error: Terraform's lock file {url}.tflock {HELD}\n"
        )),
        "{result:?}"
    );
    assert_eq!(inbound_rules(&emulator, public), "[100, 104, 110]");

    // The lock file gone, the table's item held: seen with the table.
    delete_lock_file(&emulator, key);
    let table = ["--terraform-lock-table", LOCK_TABLE];
    let result = apply(&table);
    assert_eq!(result.code, 1, "{result:?}");
    let lock = format!("Terraform's lock on {url} in the DynamoDB table {LOCK_TABLE}");
    assert!(
        result.stderr.ends_with(&format!("error: {lock} {HELD}\n")),
        "{result:?}"
    );
    assert_eq!(inbound_rules(&emulator, public), "[100, 104, 110]");
    let (_, check) = doctor_of_s3(&emulator, state.path(), &url);
    assert_eq!(
        check,
        (
            "warn".to_owned(),
            format!(
                "{lock} (OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12.345678Z) is held now: nothing is restored to it until the run ends"
            )
        )
    );

    // Released: the rule Terraform never declared is removed.
    backend(&emulator, state.path(), "unlock", key);
    let result = apply(&table);
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(inbound_rules(&emulator, public), "[100, 110]");
}

#[test]
fn a_backend_in_another_region_is_read_there_and_so_is_its_lock_table() {
    let (emulator, state, baselines, ids) = managed();
    let (key, url) = pushed(&emulator, state.path());
    backend(&emulator, state.path(), "lock", key);
    delete_lock_file(&emulator, key);
    let public = ids["public_acl"].as_str().expect("an id");
    add_console_rule(&emulator, public);
    // The run's region is eu-west-1; the backend, bucket and table, is in
    // us-east-1, and AWS says so.
    let proxy = emulator.proxy(&["--backend-in", &format!("{BUCKET}=us-east-1")]);
    let apply = || {
        let args = [
            "apply",
            "--yes",
            "--endpoint-url",
            &proxy.endpoint,
            "--baseline-dir",
            dir_arg(baselines.path()),
            "--terraform-state",
            &url,
            "--terraform-lock-table",
            LOCK_TABLE,
        ];
        run(nacl_drift().env("AWS_REGION", "eu-west-1"), &args)
    };
    let result = apply();
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.ends_with(&format!(
            "error: Terraform's lock on {url} in the DynamoDB table {LOCK_TABLE} (OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12.345678Z) is held: a terraform run may be changing these NACLs, and a restore now could revert it; nothing was restored: run again once it is done\n"
        )),
        "the state read in its bucket's region, the table asked there: {result:?}"
    );
    backend(&emulator, state.path(), "unlock", key);
    let result = apply();
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(inbound_rules(&emulator, public), "[100, 110]");
}

#[test]
fn the_guard_waits_out_the_s3_lock_and_never_reverts_the_reviewed_apply() {
    let (emulator, state, baselines, ids) = managed();
    let (key, url) = pushed(&emulator, state.path());
    let public = ids["public_acl"].as_str().expect("an id");
    // A reviewed `terraform apply` takes the lock and makes ingress 104;
    // the state comes last.
    backend(&emulator, state.path(), "lock", key);
    add_console_rule(&emulator, public);
    let requests = tempfile::NamedTempFile::new().expect("temp file");
    let proxy = emulator.proxy(&["--count", dir_arg(requests.path())]);
    let watch = nacl_drift()
        .args([
            "watch",
            "--once",
            "--restore",
            "--endpoint-url",
            &proxy.endpoint,
        ])
        .args(["--baseline-dir", dir_arg(baselines.path())])
        .args(["--terraform-state", &url])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start watch");
    // Once it read the state and found the lock file (two S3 reads), the
    // apply ends: the state declares 104, then the lock is released.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(requests.path())
        .unwrap_or_default()
        .lines()
        .filter(|line| line.starts_with("s3 "))
        .count()
        < 2
    {
        assert!(std::time::Instant::now() < deadline, "watch read no state");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    emulator.python(&[
        "tests/emulator/terraform.py",
        "--endpoint-url",
        &emulator.endpoint,
        "applied",
        dir_arg(state.path()),
    ]);
    backend(&emulator, state.path(), "push", key);
    backend(&emulator, state.path(), "unlock", key);
    let output = watch.wait_with_output().expect("watch ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "in sync: {stdout}");
    let line: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(line["terraform_lock"]["released"], true, "{line}");
    assert_eq!(
        line["terraform_lock"]["lock"],
        format!(
            "Terraform's lock file {url}.tflock (OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12.345678Z)"
        )
    );
    assert_eq!(
        inbound_rules(&emulator, public),
        "[100, 104, 110]",
        "the reviewed change stands"
    );
}
