//! The IAM roles nacl-drift needs in every account: the StackSet template
//! passes cfn-lint, and its policies are exactly the JSON policies the
//! book documents (docs/src/iam.md), so the two cannot drift apart.

use serde_json::Value;

use crate::support::{assert_cfn_lint, repo_root};

const TEMPLATE: &str = "examples/iam/stackset-roles.yaml";

#[test]
fn the_stackset_template_passes_cfn_lint() {
    assert_cfn_lint(TEMPLATE);
}

#[test]
fn the_template_grants_exactly_the_documented_policies() {
    let text = std::fs::read_to_string(repo_root().join(TEMPLATE)).expect("template");
    let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let policy_of = |role: &str| -> Value {
        let document = &template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"];
        serde_json::to_value(document).expect("a policy document")
    };
    let file = |name: &str| -> Value {
        let text = std::fs::read_to_string(repo_root().join("examples/iam").join(name))
            .expect("policy file");
        serde_json::from_str(&text).expect("JSON policy")
    };
    assert_eq!(policy_of("ReadOnlyRole"), file("diff-policy.json"));
    assert_eq!(policy_of("RestoreRole"), file("restore-policy.json"));
}
