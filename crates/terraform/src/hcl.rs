//! NACLs as Terraform configuration (`export --format terraform`), in
//! terraform-aws-modules/vpc's style: an `aws_network_acl` with one
//! `aws_network_acl_rule` per entry and an `aws_network_acl_association`
//! per subnet, or an `aws_default_network_acl` with its rules inline (the
//! provider refuses to import a default NACL otherwise); and Terraform 1.5
//! `import {}` blocks with the ids the provider expects. Every value is
//! written explicitly: ICMP type and code (-1 for any), ports, the protocol
//! as its number.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use nacl_drift_model::{
    AssociationId, Baseline, Cidr, Direction, Entry, EntryKey, NetworkAcl, SubnetId,
};

/// The configuration and import blocks of the NACLs of `baselines`;
/// `associations` gives each subnet's live association id, for the import
/// of its association (a subnet without one gets the resource and no
/// import).
pub fn hcl_of(baselines: &[Baseline], associations: &BTreeMap<SubnetId, AssociationId>) -> String {
    let mut out = String::new();
    let mut imports = String::new();
    for baseline in baselines {
        for acl in &baseline.network_acls {
            let name = resource_name(acl.id.as_str());
            let _ = writeln!(
                out,
                "# {} in account {}, region {}, VPC {}",
                acl.id, baseline.account, baseline.region, baseline.vpc_id
            );
            if acl.is_default {
                default_acl(&mut out, &name, acl);
                import(
                    &mut imports,
                    &format!("aws_default_network_acl.{name}"),
                    acl.id.as_str(),
                );
                continue;
            }
            let _ = writeln!(out, "resource \"aws_network_acl\" \"{name}\" {{");
            let _ = writeln!(out, "  vpc_id = {}", string(baseline.vpc_id.as_str()));
            tags(&mut out, acl);
            out.push_str("}\n\n");
            import(
                &mut imports,
                &format!("aws_network_acl.{name}"),
                acl.id.as_str(),
            );
            for (key, entry) in &acl.entries {
                let rule = format!(
                    "{name}_{}_{}",
                    direction_word(key.direction),
                    key.rule_number
                );
                let _ = writeln!(out, "resource \"aws_network_acl_rule\" \"{rule}\" {{");
                let _ = writeln!(out, "  network_acl_id = aws_network_acl.{name}.id");
                let _ = writeln!(out, "  rule_number    = {}", key.rule_number);
                let _ = writeln!(
                    out,
                    "  egress         = {}",
                    key.direction == Direction::Egress
                );
                fields(&mut out, "rule_action", entry, "  ");
                out.push_str("}\n\n");
                import(
                    &mut imports,
                    &format!("aws_network_acl_rule.{rule}"),
                    &format!(
                        "{}:{}:{}:{}",
                        acl.id,
                        key.rule_number,
                        entry.traffic().protocol().api_code(),
                        key.direction == Direction::Egress
                    ),
                );
            }
            for subnet in &acl.subnets {
                let association = format!("{name}_{}", resource_name(subnet.as_str()));
                let _ = writeln!(
                    out,
                    "resource \"aws_network_acl_association\" \"{association}\" {{"
                );
                let _ = writeln!(out, "  network_acl_id = aws_network_acl.{name}.id");
                let _ = writeln!(out, "  subnet_id      = {}", string(subnet.as_str()));
                out.push_str("}\n\n");
                if let Some(id) = associations.get(subnet) {
                    import(
                        &mut imports,
                        &format!("aws_network_acl_association.{association}"),
                        id.as_str(),
                    );
                }
            }
        }
    }
    out + &imports
}

/// A default NACL: exclusive, its rules inline.
fn default_acl(out: &mut String, name: &str, acl: &NetworkAcl) {
    let _ = writeln!(out, "resource \"aws_default_network_acl\" \"{name}\" {{");
    let _ = writeln!(
        out,
        "  default_network_acl_id = {}",
        string(acl.id.as_str())
    );
    if !acl.subnets.is_empty() {
        let subnets: Vec<String> = acl.subnets.iter().map(|s| string(s.as_str())).collect();
        let _ = writeln!(out, "  subnet_ids = [{}]", subnets.join(", "));
    }
    tags(out, acl);
    for (
        EntryKey {
            direction,
            rule_number,
        },
        entry,
    ) in &acl.entries
    {
        let _ = writeln!(out, "  {} {{", direction_word(*direction));
        let _ = writeln!(out, "    rule_no    = {rule_number}");
        fields(out, "action", entry, "    ");
        out.push_str("  }\n");
    }
    out.push_str("}\n\n");
}

/// An entry's fields, each explicit.
fn fields(out: &mut String, action: &str, entry: &Entry, indent: &str) {
    let traffic = entry.traffic();
    let _ = writeln!(
        out,
        "{indent}{action} = {}",
        string(&entry.action().to_string())
    );
    let _ = writeln!(
        out,
        "{indent}protocol = {}",
        string(&traffic.protocol().api_code())
    );
    let (from, to) = traffic
        .ports()
        .map_or((0, 0), |ports| (ports.from(), ports.to()));
    let _ = writeln!(out, "{indent}from_port = {from}");
    let _ = writeln!(out, "{indent}to_port = {to}");
    if let Some(icmp) = traffic.icmp() {
        let _ = writeln!(out, "{indent}icmp_type = {}", icmp.icmp_type());
        let _ = writeln!(out, "{indent}icmp_code = {}", icmp.code());
    }
    let field = match entry.cidr() {
        Cidr::V4(_) => "cidr_block",
        Cidr::V6(_) => "ipv6_cidr_block",
    };
    let _ = writeln!(
        out,
        "{indent}{field} = {}",
        string(&entry.cidr().to_string())
    );
}

fn tags(out: &mut String, acl: &NetworkAcl) {
    if acl.tags.is_empty() {
        return;
    }
    out.push_str("  tags = {\n");
    for (key, value) in &acl.tags {
        let _ = writeln!(out, "    {} = {}", string(key), string(value));
    }
    out.push_str("  }\n");
}

fn import(out: &mut String, to: &str, id: &str) {
    let _ = writeln!(out, "import {{\n  to = {to}\n  id = {}\n}}\n", string(id));
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    }
}

/// `acl-0ab` as a resource name: `acl_0ab`.
fn resource_name(id: &str) -> String {
    id.replace('-', "_")
}

/// An HCL string: quoted, with quotes, backslashes, line breaks, control
/// characters and template sequences (`${`, `%{`) escaped, since a tag is
/// anyone's text.
fn string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                quoted.push(c);
                quoted.push(c);
            }
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::string;

    #[test]
    fn a_tag_is_text_in_hcl_never_a_template_or_a_second_line() {
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            string("${file(\"/etc/passwd\")}"),
            r#""$${file(\"/etc/passwd\")}""#
        );
        assert_eq!(string("%{ if x }"), r#""%%{ if x }""#);
        assert_eq!(string("two\nlines\u{1b}"), r#""two\nlines\u001B""#);
    }
}
