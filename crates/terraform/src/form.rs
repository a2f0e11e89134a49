//! Which form a file is, by its top-level keys, and its managed resources
//! in one shape whatever the form.

use serde_json::{Map, Value};

use crate::TerraformError;

/// The readable forms of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `terraform.tfstate` as the backend stores it (`"version": 4`).
    RawV4,
    /// `terraform show -json` of a state.
    ShowJson,
    /// `terraform show -json PLAN`: its `planned_values` are the intent.
    Plan,
}

/// A managed resource object the state holds: its address, type and
/// attributes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resource {
    /// `module.vpc.aws_network_acl_rule.public_inbound[2]`.
    pub address: String,
    /// `aws_network_acl`, `aws_network_acl_rule`, ...
    pub kind: String,
    /// Its attributes.
    pub values: Map<String, Value>,
}

/// The form of `document`, or why it is none that can be read.
fn form(label: &str, document: &Map<String, Value>) -> Result<Form, TerraformError> {
    let has = |key: &str| document.contains_key(key);
    let unknown = |what: &str| TerraformError::UnknownForm {
        label: label.to_owned(),
        what: what.to_owned(),
    };
    let encrypted = document
        .get("encryption_version")
        .and_then(Value::as_str)
        .is_some_and(|version| !version.is_empty());
    if encrypted && has("encrypted_data") {
        return Err(TerraformError::Encrypted {
            label: label.to_owned(),
        });
    }
    if has("planned_values") {
        return Ok(Form::Plan);
    }
    if has("format_version") && has("values") {
        return Ok(Form::ShowJson);
    }
    match document.get("version").and_then(Value::as_i64) {
        Some(4) if has("resources") => Ok(Form::RawV4),
        Some(4) => Err(unknown("a version 4 state without `resources`")),
        Some(version @ ..=3) => Err(unknown(&format!(
            "a version {version} state, from Terraform before 0.12 (upgrade it with Terraform 0.12 or later)"
        ))),
        Some(version) => Err(unknown(&format!("a version {version} state, newer than 4"))),
        None => Err(unknown("JSON of no Terraform form")),
    }
}

/// The NACL resources a plan's refresh found changed outside Terraform
/// (its `resource_drift`), each `address (actions)`.
fn changed_outside(document: &Map<String, Value>) -> Vec<String> {
    let drift = document.get("resource_drift").and_then(Value::as_array);
    drift
        .into_iter()
        .flatten()
        .filter(|change| NACL_TYPES.contains(&text_of(change, "type")))
        .map(|change| {
            let actions: Vec<&str> = change
                .pointer("/change/actions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!("{} ({})", text_of(change, "address"), actions.join(", "))
        })
        .collect()
}

/// The managed, current resource objects of the state `bytes`: no data
/// sources, no deposed objects (an old object beside the current one is
/// not what the configuration declares); tainted ones are kept (the
/// configuration still declares them). And, of a plan, what its refresh
/// found changed outside Terraform.
pub(crate) fn resources(
    label: &str,
    bytes: &[u8],
) -> Result<(Vec<Resource>, Vec<String>), TerraformError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|error| TerraformError::NotJson {
            label: label.to_owned(),
            problem: error.to_string(),
        })?;
    let Value::Object(mut document) = document else {
        return Err(TerraformError::UnknownForm {
            label: label.to_owned(),
            what: "JSON but not an object".to_owned(),
        });
    };
    // The attributes are moved out of the document, never copied: a state
    // of thousands of NACLs is held once.
    let mut found = Vec::new();
    let mut outside = Vec::new();
    match form(label, &document)? {
        Form::RawV4 => raw_v4(&mut document, &mut found),
        Form::ShowJson => {
            if let Some(root) = document
                .get_mut("values")
                .and_then(|v| v.get_mut("root_module"))
            {
                module_tree(root, &mut found);
            }
        }
        Form::Plan => {
            outside = changed_outside(&document);
            if let Some(root) = document
                .get_mut("planned_values")
                .and_then(|v| v.get_mut("root_module"))
            {
                module_tree(root, &mut found);
            }
        }
    }
    Ok((found, outside))
}

/// The resource types that hold NACL intent; the others are passed over.
const NACL_TYPES: [&str; 4] = [
    "aws_network_acl",
    "aws_default_network_acl",
    "aws_network_acl_rule",
    "aws_network_acl_association",
];

/// A string field of `object`; empty when absent.
fn text_of<'a>(object: &'a Value, key: &str) -> &'a str {
    object.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The resources of a raw v4 state: each resource's instances, addressed
/// by module, type, name and index key.
fn raw_v4(document: &mut Map<String, Value>, found: &mut Vec<Resource>) {
    let resources = document.get_mut("resources").and_then(Value::as_array_mut);
    for resource in resources.into_iter().flatten() {
        let text = |key: &str| text_of(resource, key).to_owned();
        let kind = text("type");
        if text("mode") != "managed" || !NACL_TYPES.contains(&kind.as_str()) {
            continue;
        }
        let base = match resource.get("module").and_then(Value::as_str) {
            Some(module) => format!("{module}.{kind}.{}", text("name")),
            None => format!("{kind}.{}", text("name")),
        };
        let instances = resource.get_mut("instances").and_then(Value::as_array_mut);
        for instance in instances.into_iter().flatten() {
            if instance.get("deposed").is_some() {
                continue;
            }
            let address = match instance.get("index_key") {
                Some(Value::Number(index)) => format!("{base}[{index}]"),
                Some(Value::String(key)) => format!("{base}[{}]", Value::String(key.clone())),
                _ => base.clone(),
            };
            let Some(Value::Object(values)) = instance.get_mut("attributes").map(Value::take)
            else {
                continue;
            };
            found.push(Resource {
                address,
                kind: kind.clone(),
                values,
            });
        }
    }
}

/// The resources of a module of `terraform show -json`'s tree, and of its
/// child modules: each with its own `address`.
fn module_tree(module: &mut Value, found: &mut Vec<Resource>) {
    let resources = module.get_mut("resources").and_then(Value::as_array_mut);
    for resource in resources.into_iter().flatten() {
        let text = |key: &str| text_of(resource, key).to_owned();
        let kind = text("type");
        let current = resource.get("deposed_key").is_none();
        if text("mode") != "managed" || !current || !NACL_TYPES.contains(&kind.as_str()) {
            continue;
        }
        let address = text("address");
        let Some(Value::Object(values)) = resource.get_mut("values").map(Value::take) else {
            continue;
        };
        found.push(Resource {
            address,
            kind,
            values,
        });
    }
    let children = module
        .get_mut("child_modules")
        .and_then(Value::as_array_mut);
    for child in children.into_iter().flatten() {
        module_tree(child, found);
    }
}
