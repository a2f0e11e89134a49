//! Where each NACL and entry is written in a baseline file, for reports
//! that point into the file (SARIF, for code scanning).

use std::collections::HashMap;

use yaml_rust2::Event;
use yaml_rust2::parser::Parser;

use crate::entry::{Direction, EntryKey, RuleNumber};
use crate::ids::NetworkAclId;

/// The line (1-based) of each NACL and entry of a baseline file, whatever
/// its YAML style (block or flow, any key order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    acls: HashMap<String, usize>,
    entries: HashMap<(String, Direction, u16), usize>,
}

impl Lines {
    /// The lines of the baseline file `text`. A file that is not valid YAML
    /// has no known lines (such a file never reaches a report).
    pub fn of(text: &str) -> Lines {
        let mut lines = Lines::default();
        let Some(root) = tree(text) else {
            return lines;
        };
        for acl in root
            .get("network_acls")
            .map(Node::items)
            .unwrap_or_default()
        {
            let Some(id) = acl.get("id").and_then(Node::scalar) else {
                continue;
            };
            lines.acls.insert(id.to_owned(), acl.line);
            for entry in acl.get("entries").map(Node::items).unwrap_or_default() {
                let direction = match entry.get("direction").and_then(Node::scalar) {
                    Some("ingress") => Direction::Ingress,
                    Some("egress") => Direction::Egress,
                    _ => continue,
                };
                let Some(rule) = entry
                    .get("rule_number")
                    .and_then(Node::scalar)
                    .and_then(|rule| rule.parse().ok())
                else {
                    continue;
                };
                lines
                    .entries
                    .insert((id.to_owned(), direction, rule), entry.line);
            }
        }
        lines
    }

    /// The line where the NACL `id` starts.
    pub fn acl(&self, id: &NetworkAclId) -> Option<usize> {
        self.acls.get(id.as_str()).copied()
    }

    /// The line where the NACL's entry `key` starts.
    pub fn entry(&self, id: &NetworkAclId, key: EntryKey) -> Option<usize> {
        let rule: RuleNumber = key.rule_number;
        self.entries
            .get(&(id.as_str().to_owned(), key.direction, rule.get()))
            .copied()
    }
}

/// A YAML node and the line it starts on.
struct Node {
    line: usize,
    value: Value,
}

enum Value {
    Scalar(String),
    Sequence(Vec<Node>),
    Mapping(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Mapping(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn items(&self) -> Vec<&Node> {
        match &self.value {
            Value::Sequence(items) => items.iter().collect(),
            _ => Vec::new(),
        }
    }

    fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(text) => Some(text),
            _ => None,
        }
    }
}

/// The document of `text` as a tree of nodes with lines.
fn tree(text: &str) -> Option<Node> {
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token().ok()?.0 {
            Event::DocumentStart => return node(&mut parser),
            Event::StreamEnd => return None,
            _ => {}
        }
    }
}

/// The node whose first event is next.
fn node(parser: &mut Parser<std::str::Chars<'_>>) -> Option<Node> {
    let (event, mark) = parser.next_token().ok()?;
    let line = mark.line();
    let value = match event {
        Event::Scalar(text, ..) => Value::Scalar(text),
        Event::SequenceStart(..) => {
            let mut items = Vec::new();
            while !matches!(parser.peek(), Ok((Event::SequenceEnd, _))) {
                items.push(node(parser)?);
            }
            parser.next_token().ok()?;
            Value::Sequence(items)
        }
        Event::MappingStart(..) => {
            let mut pairs = Vec::new();
            while !matches!(parser.peek(), Ok((Event::MappingEnd, _))) {
                let key = node(parser)?;
                let value = node(parser)?;
                if let Value::Scalar(key) = key.value {
                    pairs.push((key, value));
                }
            }
            parser.next_token().ok()?;
            Value::Mapping(pairs)
        }
        _ => return None,
    };
    Some(Node { line, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_and_flow_styles_in_any_key_order() {
        let text = "schema_version: 1\n\
                    network_acls:\n\
                    - entries:\n  \
                      - {direction: egress, rule_number: 100, action: allow}\n  \
                      - rule_number: 90\n    \
                        direction: ingress\n  \
                      id: acl-0a\n\
                    - id: acl-0b\n  \
                      entries: []\n";
        let lines = Lines::of(text);
        let a: NetworkAclId = "acl-0a".parse().expect("id");
        let b: NetworkAclId = "acl-0b".parse().expect("id");
        let key = |direction, rule| EntryKey {
            direction,
            rule_number: RuleNumber::new(rule).expect("rule"),
        };
        assert_eq!(lines.acl(&a), Some(3));
        assert_eq!(lines.acl(&b), Some(8));
        assert_eq!(lines.entry(&a, key(Direction::Egress, 100)), Some(4));
        assert_eq!(lines.entry(&a, key(Direction::Ingress, 90)), Some(5));
        assert_eq!(lines.entry(&b, key(Direction::Ingress, 90)), None);
        assert_eq!(
            Lines::of("network_acls: [").acl(&a),
            None,
            "not YAML: no lines"
        );
    }
}
