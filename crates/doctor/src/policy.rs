//! Who a resource policy admits: the guard's queue (EventBridge, for the
//! guard's rule alone) and the organization guard's event bus (the
//! organization's accounts alone). Both read IAM's JSON leniently: a
//! field may be one value or a list, and an Allow statement that does not
//! say who it admits admits others.

use nacl_drift_model::sanitize;
use serde_json::Value;

/// Who an SQS access policy lets send messages.
#[derive(Debug, PartialEq, Eq)]
pub enum Senders {
    /// EventBridge, for the rules its conditions name (`aws:SourceArn`).
    RuleOnly,
    /// Someone else too: who.
    Others(String),
    /// Nobody that matters here.
    Nobody,
}

/// Who an event bus's policy lets put events on it.
#[derive(Debug, PartialEq, Eq)]
pub enum BusSenders {
    /// The organization's accounts, and nobody else.
    Organization,
    /// Someone outside that condition too: who.
    Others(String),
    /// Nobody from another account.
    Nobody,
}

/// The strings of `value`: one string, or a list of them.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether IAM's pattern matches `text` as IAM matches an action: without
/// regard to case, `*` any run of characters and `?` any one.
fn matches(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (
        pattern.to_lowercase().chars().collect(),
        text.to_lowercase().chars().collect(),
    );
    // Positions of `pattern` that can have matched all of `text` so far.
    let mut reach = vec![false; pattern.len() + 1];
    reach[0] = true;
    for at in 0..pattern.len() {
        if pattern[at] == '*' && reach[at] {
            reach[at + 1] = true;
        }
    }
    for c in text {
        let mut next = vec![false; pattern.len() + 1];
        for at in 0..pattern.len() {
            if !reach[at] {
                continue;
            }
            match pattern[at] {
                '*' => {
                    next[at] = true;
                    next[at + 1] = true;
                }
                '?' => next[at + 1] = true,
                other if other == c => next[at + 1] = true,
                _ => {}
            }
        }
        for at in 0..pattern.len() {
            if pattern[at] == '*' && next[at] {
                next[at + 1] = true;
            }
        }
        reach = next;
    }
    reach[pattern.len()]
}

/// Whether the statement's `Action` (or everything but its `NotAction`)
/// covers `action`.
fn grants(statement: &Value, action: &str) -> bool {
    if let Some(actions) = statement.get("Action") {
        return strings(actions)
            .iter()
            .any(|pattern| matches(pattern, action));
    }
    statement
        .get("NotAction")
        .is_some_and(|not| !strings(not).iter().any(|pattern| matches(pattern, action)))
}

/// The Allow statements of `policy` (JSON) that grant `action`, read as
/// IAM reads them; none when it is not JSON.
fn allowing(policy: &str, action: &str) -> Vec<Value> {
    let Ok(policy) = serde_json::from_str::<Value>(policy) else {
        return Vec::new();
    };
    let statements = match &policy["Statement"] {
        Value::Array(many) => many.clone(),
        one => vec![one.clone()],
    };
    statements
        .into_iter()
        .filter(|statement| statement["Effect"] == "Allow" && grants(statement, action))
        .collect()
}

/// The values a statement's condition requires of `key` with one of
/// `operators` (without regard to case). An `...IfExists` operator, or a
/// `ForAnyValue:`/`ForAllValues:` one, requires nothing of a request that
/// lacks the key, so it is not one of them.
fn required<'a>(statement: &'a Value, operators: &[&str], key: &str) -> Option<Vec<&'a str>> {
    let conditions = statement["Condition"].as_object()?;
    conditions
        .iter()
        .filter(|(operator, _)| {
            operators
                .iter()
                .any(|wanted| operator.eq_ignore_ascii_case(wanted))
        })
        .filter_map(|(_, keys)| keys.as_object())
        .flat_map(|keys| keys.iter())
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|(_, values)| strings(values))
        .filter(|values| !values.is_empty())
}

/// Whom a statement's `Principal` (or everyone but its `NotPrincipal`)
/// names, in words, cut short.
fn principal_in_words(statement: &Value) -> String {
    if let Some(not) = statement.get("NotPrincipal") {
        return sanitize::cut(&format!("anyone but {not}"));
    }
    let principal = &statement["Principal"];
    // PutPermission's Principal "*" is kept as every account's root.
    let every_account = strings(&principal["AWS"])
        .iter()
        .any(|arn| *arn == "*" || (arn.starts_with("arn:") && arn.ends_with(":iam::*:root")));
    let who = if principal == "*" || every_account {
        "anyone".to_owned()
    } else {
        principal.to_string()
    };
    sanitize::cut(&who)
}

/// Whether `arn` names EventBridge rules of `account` alone: no wildcard
/// before the resource, and that account.
fn own_rule(arn: &str, account: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "events", region, owner, resource] => {
            !format!("{partition}{region}{owner}").contains(['*', '?'])
                && *owner == account
                && resource.starts_with("rule/")
        }
        _ => false,
    }
}

/// Who the SQS access policy `policy` (JSON) of a queue in `account` lets
/// call `sqs:SendMessage`: a statement that allows it must require, with
/// `ArnEquals`/`ArnLike`/`StringEquals`/`StringLike` (never `...IfExists`),
/// an `aws:SourceArn` that names rules of `account` alone, or it admits
/// others too.
pub fn queue_senders(policy: &str, account: &str) -> Senders {
    const SOURCE_OPERATORS: [&str; 4] = ["ArnEquals", "ArnLike", "StringEquals", "StringLike"];
    let mut senders = Senders::Nobody;
    for statement in allowing(policy, "sqs:SendMessage") {
        let principal = principal_in_words(&statement);
        if statement.get("NotPrincipal").is_some() {
            return Senders::Others(principal);
        }
        match required(&statement, &SOURCE_OPERATORS, "aws:SourceArn") {
            Some(rules) if rules.iter().all(|rule| own_rule(rule, account)) => {
                senders = Senders::RuleOnly;
            }
            Some(rules) => {
                return Senders::Others(sanitize::cut(&format!(
                    "{principal} with aws:SourceArn {} (not rules of account {account} alone)",
                    rules.join(", ")
                )));
            }
            None if strings(&statement["Principal"]["Service"])
                .iter()
                .any(|service| service.eq_ignore_ascii_case("events.amazonaws.com")) =>
            {
                return Senders::Others("any EventBridge rule (of any account)".to_owned());
            }
            None => return Senders::Others(principal),
        }
    }
    senders
}

/// Who the event bus policy `policy` (JSON; `None`: no policy) lets call
/// `events:PutEvents`: each statement that allows it must require
/// `StringEquals` `aws:PrincipalOrgID` = `organization` (never
/// `...IfExists`), or it admits others.
pub fn bus_senders(policy: Option<&str>, organization: &str) -> BusSenders {
    let mut senders = BusSenders::Nobody;
    for statement in allowing(policy.unwrap_or_default(), "events:PutEvents") {
        let org_ids = required(&statement, &["StringEquals"], "aws:PrincipalOrgID");
        let only_ours = org_ids
            .as_ref()
            .is_some_and(|ids| ids.iter().all(|id| *id == organization));
        if only_ours && statement.get("NotPrincipal").is_none() {
            senders = BusSenders::Organization;
            continue;
        }
        let who = principal_in_words(&statement);
        return BusSenders::Others(match org_ids {
            Some(other) => sanitize::cut(&format!(
                "{who} in the organizations {}",
                serde_json::to_string(&other).unwrap_or_default()
            )),
            None => who,
        });
    }
    senders
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "o-a1b2c3d4e5";

    fn bus_policy(statements: Value) -> String {
        serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }

    fn org_statement(org: Value) -> Value {
        serde_json::json!({
            "Sid": "OrganizationPutEvents", "Effect": "Allow", "Principal": "*",
            "Action": "events:PutEvents",
            "Resource": "arn:aws:events:us-east-1:111122223333:event-bus/nacl-drift",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}},
        })
    }

    #[test]
    fn a_bus_that_admits_the_organization_alone_passes() {
        for org in [Value::from(ORG), serde_json::json!([ORG])] {
            let policy = bus_policy(serde_json::json!([org_statement(org)]));
            assert_eq!(bus_senders(Some(&policy), ORG), BusSenders::Organization);
        }
    }

    #[test]
    fn a_bus_that_admits_anyone_else_fails_naming_whom() {
        let open = bus_policy(serde_json::json!([
            org_statement(Value::from(ORG)),
            {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "*"},
        ]));
        assert_eq!(
            bus_senders(Some(&open), ORG),
            BusSenders::Others("anyone".to_owned())
        );
        let every_root = bus_policy(serde_json::json!([
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "events:PutEvents", "Resource": "*"},
        ]));
        assert_eq!(
            bus_senders(Some(&every_root), ORG),
            BusSenders::Others("anyone".to_owned())
        );
        let account = bus_policy(serde_json::json!([
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "events:*", "Resource": "*"},
        ]));
        assert_eq!(
            bus_senders(Some(&account), ORG),
            BusSenders::Others(r#"{"AWS":"arn:aws:iam::444455556666:root"}"#.to_owned())
        );
        let other_org = bus_policy(serde_json::json!([org_statement(serde_json::json!([
            ORG,
            "o-zzzzzzzzzz"
        ]))]));
        assert_eq!(
            bus_senders(Some(&other_org), ORG),
            BusSenders::Others(
                r#"anyone in the organizations ["o-a1b2c3d4e5","o-zzzzzzzzzz"]"#.to_owned()
            )
        );
    }

    const ACCOUNT: &str = "111122223333";
    const RULE: &str = "arn:aws:events:us-east-1:111122223333:rule/nacl-drift-guard";

    fn queue_statement(overrides: Value) -> String {
        let mut statement = serde_json::json!({
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:111122223333:nacl-drift",
            "Condition": {"ArnEquals": {"aws:SourceArn": RULE}},
        });
        for (key, value) in overrides.as_object().expect("an object") {
            if value.is_null() {
                statement.as_object_mut().expect("an object").remove(key);
            } else {
                statement[key] = value.clone();
            }
        }
        bus_policy(serde_json::json!([statement]))
    }

    #[test]
    fn a_queue_for_the_guards_rule_alone_passes() {
        assert_eq!(
            queue_senders(&queue_statement(serde_json::json!({})), ACCOUNT),
            Senders::RuleOnly
        );
        let like = queue_statement(serde_json::json!({
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/*"}},
        }));
        assert_eq!(queue_senders(&like, ACCOUNT), Senders::RuleOnly);
    }

    /// The red team's open queue policies: each is read as IAM reads it.
    #[test]
    fn every_open_queue_policy_fails() {
        let open = [
            // AWS's own casing, without a condition.
            serde_json::json!({"Action": "SQS:SendMessage", "Condition": null, "Principal": "*"}),
            serde_json::json!({"Action": "sqs:Send*", "Condition": null, "Principal": "*"}),
            serde_json::json!({"Action": "sqs:*", "Condition": null}),
            // Passes any request without a SourceArn: a principal's own.
            serde_json::json!({"Condition": {"ArnLikeIfExists": {"aws:SourceArn": RULE}}, "Principal": "*"}),
            // Any account's rule.
            serde_json::json!({"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/*"}}}),
            serde_json::json!({"Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:444455556666:rule/x"}}}),
            // Everything but another action.
            serde_json::json!({"Action": null, "NotAction": "sqs:DeleteQueue", "Condition": null, "Principal": "*"}),
            serde_json::json!({"Principal": null, "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}}),
        ];
        for overrides in open {
            let policy = queue_statement(overrides.clone());
            assert!(
                matches!(queue_senders(&policy, ACCOUNT), Senders::Others(_)),
                "{overrides}: {:?}",
                queue_senders(&policy, ACCOUNT)
            );
        }
        let unrelated =
            queue_statement(serde_json::json!({"Action": ["sqs:ReceiveMessage", "sqs:Delete*"]}));
        assert_eq!(queue_senders(&unrelated, ACCOUNT), Senders::Nobody);
    }

    #[test]
    fn every_open_bus_policy_fails() {
        let open = [
            serde_json::json!({"Effect": "Allow", "Principal": "*", "Action": "events:Put*", "Resource": "*"}),
            serde_json::json!({"Effect": "Allow", "Principal": "*", "Action": "EVENTS:PUTEVENTS", "Resource": "*"}),
            serde_json::json!({"Effect": "Allow", "Principal": "*", "NotAction": "events:DeleteRule", "Resource": "*"}),
            serde_json::json!({"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "*",
                "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}}),
            serde_json::json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "events:PutEvents", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}),
        ];
        for statement in open {
            let policy = bus_policy(serde_json::json!([statement.clone()]));
            assert!(
                matches!(bus_senders(Some(&policy), ORG), BusSenders::Others(_)),
                "{statement}"
            );
        }
    }

    #[test]
    fn actions_match_as_iam_matches_them() {
        for (pattern, action, expected) in [
            ("sqs:SendMessage", "sqs:SendMessage", true),
            ("SQS:sendmessage", "sqs:SendMessage", true),
            ("sqs:Send*", "sqs:SendMessage", true),
            ("sqs:*Message", "sqs:SendMessage", true),
            ("sqs:Send?essage", "sqs:SendMessage", true),
            ("*", "sqs:SendMessage", true),
            ("sqs:SendMessageBatch", "sqs:SendMessage", false),
            ("sqs:Receive*", "sqs:SendMessage", false),
            ("events:Put*", "events:PutEvents", true),
        ] {
            assert_eq!(matches(pattern, action), expected, "{pattern} ~ {action}");
        }
    }

    #[test]
    fn a_bus_without_a_policy_admits_nobody() {
        assert_eq!(bus_senders(None, ORG), BusSenders::Nobody);
        let denies = bus_policy(serde_json::json!([
            {"Effect": "Deny", "Principal": "*", "Action": "events:PutEvents", "Resource": "*"},
        ]));
        assert_eq!(bus_senders(Some(&denies), ORG), BusSenders::Nobody);
        assert_eq!(bus_senders(Some("not json"), ORG), BusSenders::Nobody);
    }
}
