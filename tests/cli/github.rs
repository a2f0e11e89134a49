//! What nacl-drift ships for GitHub and pre-commit, checked by the real
//! validators: actionlint on the workflows, SchemaStore's GitHub Action
//! schema (through check-jsonschema) on action.yml, and the pre-commit
//! hooks' commands run against the example baselines.

use std::process::Command;

use serde_json::Value;

use crate::support::{assert_passes, nacl_drift, repo_root, run, tool};

/// zizmor (offline: no GitHub API) finds nothing above "low" in the
/// action and the release workflows: every third-party action pinned by
/// commit, no template injection, no excessive permissions. What it must
/// not see in dist's generated workflow is in `.github/zizmor.yml`, line
/// by line, each with why.
#[test]
fn zizmor_finds_nothing_above_low() {
    assert_passes(
        Command::new(tool("zizmor")).current_dir(repo_root()).args([
            "--offline",
            "--no-progress",
            "--min-severity",
            "medium",
            "--config",
            ".github/zizmor.yml",
            "action.yml",
            ".github/",
        ]),
        "zizmor action.yml .github/",
    );
}

#[test]
fn actionlint_passes_every_workflow_and_the_action_meets_its_schema() {
    let workflows = [
        "examples/ci/github-actions.yml",
        ".github/workflows/release.yml",
        ".github/workflows/publish-pypi.yml",
    ];
    for workflow in workflows {
        assert_passes(
            Command::new(tool("actionlint"))
                .current_dir(repo_root())
                .args(["-no-color", "-oneline", workflow]),
            &format!("actionlint {workflow}"),
        );
    }
    assert_passes(
        Command::new(tool("check-jsonschema"))
            .current_dir(repo_root())
            .args(["--builtin-schema", "vendor.github-actions", "action.yml"]),
        "check-jsonschema (GitHub Action schema) on action.yml",
    );
    // actionlint reads workflows only: check the action's steps (their
    // expressions, contexts and scripts) as the steps of a reusable workflow
    // whose inputs are the action's.
    let action: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("action.yml")).expect("action.yml"),
    )
    .expect("action.yml is YAML");
    let mut inputs = serde_yaml::Mapping::new();
    for (name, input) in action["inputs"].as_mapping().expect("inputs") {
        let mut declared = serde_yaml::Mapping::new();
        declared.insert("type".into(), "string".into());
        declared.insert("required".into(), false.into());
        declared.insert("default".into(), input["default"].clone());
        inputs.insert(name.clone(), declared.into());
    }
    let workflow = serde_json::json!({
        "name": "the steps of action.yml",
        "on": {"workflow_call": {"inputs": serde_json::to_value(&inputs).expect("inputs")}},
        "jobs": {"action": {
            "runs-on": "ubuntu-latest",
            "steps": serde_json::to_value(&action["runs"]["steps"]).expect("steps"),
        }},
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("action-steps.yml");
    std::fs::write(&path, serde_yaml::to_string(&workflow).expect("YAML")).expect("write");
    assert_passes(
        Command::new(tool("actionlint"))
            .args(["-no-color", "-oneline"])
            .arg(&path),
        "actionlint on the steps of action.yml",
    );

    // The action's scripts run nacl-drift with these flags; each must exist.
    let action = std::fs::read_to_string(repo_root().join("action.yml")).expect("action.yml");
    let help = run(&mut nacl_drift(), &["diff", "--help"]).stdout;
    for flag in [
        "--config",
        "--baseline-dir",
        "--fail-on",
        "--attribute",
        "--accounts",
        "--format",
        "--write",
    ] {
        assert!(action.contains(flag), "action.yml uses {flag}");
        assert!(help.contains(flag), "diff takes {flag}");
    }
}

#[test]
fn the_pre_commit_hooks_run_offline_on_the_baselines() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml");
    let hooks: Value = serde_yaml::from_str(&text).expect("YAML");
    let hooks = hooks.as_array().expect("a list of hooks");
    assert_eq!(hooks.len(), 2);
    for hook in hooks {
        for key in ["id", "name", "entry", "language", "files"] {
            assert!(hook[key].is_string(), "{hook} has {key}");
        }
        let entry: Vec<&str> = hook["entry"].as_str().expect("entry").split(' ').collect();
        assert_eq!(entry[0], "nacl-drift");
        let mut args: Vec<&str> = entry[1..].to_vec();
        if hook["pass_filenames"] != false {
            args.push("baselines/123456789012/us-east-1/vpc-0fdb95690278abf19.yaml");
        }
        let ran = run(nacl_drift().current_dir(repo_root()), &args);
        // The example estate's findings are medium (its open default NACLs
        // have no subnet): `lint --fail-on high` passes it.
        assert_eq!(ran.code, 0, "{} {args:?}: {ran:?}", hook["id"]);
    }
}

/// The run script of action.yml's step named `name`.
fn action_step_script(name: &str) -> String {
    let action: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("action.yml")).expect("action.yml"),
    )
    .expect("action.yml is YAML");
    action["runs"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|step| step["name"] == name)
        .and_then(|step| step["run"].as_str())
        .unwrap_or_else(|| panic!("action.yml has a step {name:?} that runs a script"))
        .to_owned()
}

/// A static file server on a free loopback port (Python's http.server),
/// serving `folder`; stopped when dropped.
struct FileServer {
    child: std::process::Child,
    url: String,
}

impl FileServer {
    fn start(folder: &std::path::Path) -> FileServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(folder)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 serves files");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("the server says its port");
        // "Serving HTTP on 127.0.0.1 port 38233 (http://127.0.0.1:38233/) ..."
        let port = first
            .split_whitespace()
            .skip_while(|word| *word != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        FileServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_action_installs_the_released_binary_after_verifying_its_attestation() {
    let script = action_step_script("Install nacl-drift");
    let releases = tempfile::tempdir().expect("temp dir");
    // A release as cargo-dist lays it out: an archive per target, holding
    // a folder named after it.
    let target = "nacl-drift-x86_64-unknown-linux-musl";
    let archive_of = |version: &str, says: &str| {
        let release = releases.path().join(version);
        std::fs::create_dir_all(release.join(target)).expect("mkdir");
        let binary = release.join(target).join("nacl-drift");
        std::fs::write(&binary, format!("#!/bin/sh\necho '{says}'\n")).expect("write");
        assert_passes(
            Command::new("tar").current_dir(&release).args([
                "-cJf",
                &format!("{target}.tar.xz"),
                target,
            ]),
            "tar",
        );
        let sha256 = Command::new("sha256sum")
            .arg(release.join(format!("{target}.tar.xz")))
            .output()
            .expect("sha256sum");
        String::from_utf8_lossy(&sha256.stdout)
            .split_whitespace()
            .next()
            .expect("a digest")
            .to_owned()
    };
    let digest = archive_of("v0.1.0", "nacl-drift 0.1.0 (released)");
    // A tampered release: another archive, which the release workflow
    // never attested.
    let tampered = archive_of("v0.1.1", "tampered");

    // GitHub's attestations, as `gh attestation verify` answers for them:
    // the digests the release workflow attested, and no other (recorded
    // here: the test reaches no GitHub).
    let work = tempfile::tempdir().expect("temp dir");
    let tools = work.path().join("tools");
    std::fs::create_dir_all(&tools).expect("mkdir");
    std::fs::write(work.path().join("attested"), format!("{digest}\n")).expect("write");
    std::fs::write(
        tools.join("gh"),
        format!(
            "#!/bin/sh\necho \"$@\" >> {work}/gh-args\n\
             digest=$(sha256sum \"$3\" | cut -d ' ' -f 1)\n\
             grep -qx \"$digest\" {work}/attested && exit 0\n\
             echo 'Error: no attestations found for subject' >&2\nexit 1\n",
            work = work.path().display()
        ),
    )
    .expect("write");
    assert_passes(
        Command::new("chmod").arg("+x").arg(tools.join("gh")),
        "chmod",
    );
    let server = FileServer::start(releases.path());

    // `cargo install`, only recorded: the fallback must not compile here.
    let cargo = work.path().join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" > {}/cargo-args\n",
            work.path().display()
        ),
    )
    .expect("write");
    assert_passes(Command::new("chmod").arg("+x").arg(&cargo), "chmod");
    let install = |version: &str| {
        let bin_root = work.path().join(format!("bin-{version}"));
        let _ = std::fs::remove_file(work.path().join("cargo-args"));
        let output = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", work.path())
            .env("ACTION_PATH", repo_root())
            .env("BIN_ROOT", &bin_root)
            .env("VERSION", version)
            .env("REPOSITORY", "OWNER/nacl-drift")
            .env("RELEASES", &server.url)
            .env("CARGO", &cargo)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    tools.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .output()
            .expect("bash");
        let cargo_args = std::fs::read_to_string(work.path().join("cargo-args")).ok();
        (output, bin_root.join("bin/nacl-drift"), cargo_args)
    };

    let (output, installed, cargo_args) = install("v0.1.0");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(cargo_args, None, "no build when a release matches");
    let ran = Command::new(&installed)
        .output()
        .expect("the installed binary");
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "nacl-drift 0.1.0 (released)\n"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&format!(
            "SHA-256 {digest}, attested by OWNER/nacl-drift's release workflow"
        )),
        "{output:?}"
    );
    let asked = std::fs::read_to_string(work.path().join("gh-args")).expect("gh was asked");
    assert!(
        asked.starts_with("attestation verify ")
            && asked.contains(&format!("{target}.tar.xz --repo OWNER/nacl-drift --signer-workflow OWNER/nacl-drift/.github/workflows/release.yml")),
        "{asked}"
    );

    let (output, installed, cargo_args) = install("v0.1.1");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&format!(
            "::error::{target}.tar.xz of v0.1.1 (SHA-256 {tampered}) has no attestation from OWNER/nacl-drift's release workflow: not installed"
        )),
        "{output:?}"
    );
    assert!(!installed.exists(), "nothing installed");
    assert_eq!(cargo_args, None, "an unattested archive never falls back");

    for version in ["v9.9.9", "main"] {
        let (output, _, cargo_args) = install(version);
        assert!(output.status.success(), "{version}: {output:?}");
        assert_eq!(
            cargo_args.as_deref(),
            Some(
                format!(
                    "install --locked --path {} --root {}\n",
                    repo_root().display(),
                    work.path().join(format!("bin-{version}")).display()
                )
                .as_str()
            ),
            "{version}: built from source only when no release matches"
        );
    }
}
