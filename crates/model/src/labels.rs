//! What a reviewer reads beside the ids of a baseline file: each NACL's
//! Name, and each subnet's Name and CIDRs, as YAML comments
//! (`- subnet-0db1  # prod-db-a (10.20.2.0/24)`). Readers skip comments, so
//! they change nothing a baseline means; a rewrite keeps the labels the
//! file had unless it is given newer ones.

use std::collections::BTreeMap;

use crate::baseline::Baseline;
use crate::ids::{NetworkAclId, SubnetId};
use crate::sanitize;

/// Each subnet's label: its Name, then its CIDRs in parentheses.
pub type SubnetLabels = BTreeMap<SubnetId, String>;

/// A note after a NACL's Name: where it is declared, when a Terraform
/// state declares it (`module.vpc.aws_network_acl.public[0]`).
pub type AclNotes = BTreeMap<NetworkAclId, String>;

/// Where a label starts on its line.
const MARK: &str = "  # ";

/// `prod-db-a (10.20.2.0/24, 2600:1f18::/64)`; the Name escaped and cut,
/// since a tag is anyone's text.
pub fn subnet_label(name: Option<&str>, cidrs: &[String]) -> String {
    let cidrs = cidrs.join(", ");
    match name.filter(|name| !name.trim().is_empty()) {
        Some(name) if cidrs.is_empty() => one_line(name),
        Some(name) => format!("{} ({cidrs})", one_line(name)),
        None => format!("({cidrs})"),
    }
}

fn one_line(text: &str) -> String {
    sanitize::cut(&sanitize::shown(text))
}

/// The labels of `text`, a baseline file: those its subnet lines carry.
/// One with an unsafe character (an edit by hand) is dropped.
pub fn labels_in(text: &str) -> SubnetLabels {
    text.lines()
        .filter_map(|line| {
            let (item, label) = line.trim_start().strip_prefix("- ")?.split_once(MARK)?;
            let id = SubnetId::parse(item.trim()).ok()?;
            (!label.chars().any(sanitize::is_unsafe)).then(|| (id, label.to_owned()))
        })
        .collect()
}

/// `yaml`, the serialised `baseline`, with each NACL's Name and note after
/// its id and each subnet's label after its id.
pub(crate) fn with_labels(
    yaml: &str,
    baseline: &Baseline,
    labels: &SubnetLabels,
    notes: &AclNotes,
) -> String {
    let names: BTreeMap<&str, String> = baseline
        .network_acls
        .iter()
        .filter_map(|acl| {
            let name = acl.tags.get("Name").map(|name| one_line(name));
            let note = notes.get(&acl.id).map(|note| one_line(note));
            let label = match (name, note) {
                (Some(name), Some(note)) => format!("{name} · {note}"),
                (Some(label), None) | (None, Some(label)) => label,
                (None, None) => return None,
            };
            Some((acl.id.as_str(), label))
        })
        .collect();
    let mut out = String::with_capacity(yaml.len() + 64 * labels.len());
    for line in yaml.lines() {
        out.push_str(line);
        let item = line.trim_start().strip_prefix("- ");
        let label = match item.and_then(|item| item.strip_prefix("id: ")) {
            Some(acl) => names.get(acl).cloned(),
            None => item
                .and_then(|item| SubnetId::parse(item).ok())
                .and_then(|subnet| labels.get(&subnet).cloned()),
        };
        if let Some(label) = label.filter(|label| !label.is_empty()) {
            out.push_str(MARK);
            out.push_str(&label);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_one_escaped_line_and_read_back() {
        assert_eq!(
            subnet_label(Some("prod-db-a"), &["10.20.2.0/24".to_owned()]),
            "prod-db-a (10.20.2.0/24)"
        );
        assert_eq!(
            subnet_label(None, &["10.0.0.0/24".to_owned()]),
            "(10.0.0.0/24)"
        );
        let hostile = subnet_label(Some("a\nb: c\x1b[31m"), &[]);
        assert!(!hostile.contains('\n') && !hostile.chars().any(sanitize::is_unsafe));
        let text = "  subnets:\n  - subnet-0db1  # prod-db-a (10.20.2.0/24)\n  - subnet-0db2\n  - subnet-0db3  # bad \u{1b}\n";
        let read = labels_in(text);
        assert_eq!(read.len(), 1);
        assert_eq!(
            read[&SubnetId::parse("subnet-0db1").expect("id")],
            "prod-db-a (10.20.2.0/24)"
        );
    }
}
