//! What nacl-drift ships for GitHub and pre-commit, checked by the real
//! validators: actionlint on the workflows, SchemaStore's GitHub Action
//! schema (through check-jsonschema) on action.yml, and the pre-commit
//! hooks' commands run against the example baselines.

use std::process::Command;

use serde_json::Value;

use crate::support::{assert_passes, nacl_drift, repo_root, run, tool};

#[test]
fn actionlint_passes_every_workflow_and_the_action_meets_its_schema() {
    let workflows = ["examples/ci/github-actions.yml"];
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
        "--format",
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
        // The example estate has critical findings: lint fails it, as it should.
        let expected = if args[0] == "lint" { 2 } else { 0 };
        assert_eq!(ran.code, expected, "{} {args:?}: {ran:?}", hook["id"]);
    }
}
