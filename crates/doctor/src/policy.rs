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

/// Whether `value` (one string or a list of them) holds one of `wanted`.
fn listed(value: &Value, wanted: &[&str]) -> bool {
    match value {
        Value::String(one) => wanted.contains(&one.as_str()),
        Value::Array(many) => many
            .iter()
            .any(|v| v.as_str().is_some_and(|v| wanted.contains(&v))),
        _ => false,
    }
}

/// The Allow statements of `policy` (JSON) that grant one of `actions`;
/// none when it is not JSON.
fn allowing(policy: &str, actions: &[&str]) -> Vec<Value> {
    let Ok(policy) = serde_json::from_str::<Value>(policy) else {
        return Vec::new();
    };
    let statements = match &policy["Statement"] {
        Value::Array(many) => many.clone(),
        one => vec![one.clone()],
    };
    statements
        .into_iter()
        .filter(|statement| statement["Effect"] == "Allow" && listed(&statement["Action"], actions))
        .collect()
}

/// Whom a statement's `Principal` names, in words, cut short.
fn principal_in_words(statement: &Value) -> String {
    let principal = &statement["Principal"];
    // PutPermission's Principal "*" is kept as every account's root.
    let every_account = principal["AWS"]
        .as_str()
        .is_some_and(|arn| arn.starts_with("arn:") && arn.ends_with(":iam::*:root"));
    let who = if principal == "*" || principal["AWS"] == "*" || every_account {
        "anyone".to_owned()
    } else {
        principal.to_string()
    };
    sanitize::cut(&who)
}

/// Who the SQS access policy `policy` (JSON) lets call `sqs:SendMessage`:
/// a statement that allows it must name the sending rule in an
/// `aws:SourceArn` condition, or it admits others too.
pub fn queue_senders(policy: &str) -> Senders {
    let mut senders = Senders::Nobody;
    for statement in allowing(policy, &["sqs:SendMessage", "sqs:*", "*"]) {
        let names_the_rule = statement["Condition"]
            .as_object()
            .into_iter()
            .flat_map(|operators| operators.values())
            .filter_map(Value::as_object)
            .any(|keys| {
                keys.keys()
                    .any(|key| key.eq_ignore_ascii_case("aws:SourceArn"))
            });
        if names_the_rule {
            senders = Senders::RuleOnly;
            continue;
        }
        if listed(
            &statement["Principal"]["Service"],
            &["events.amazonaws.com"],
        ) {
            return Senders::Others("any EventBridge rule (of any account)".to_owned());
        }
        return Senders::Others(principal_in_words(&statement));
    }
    senders
}

/// Who the event bus policy `policy` (JSON; `None`: no policy) lets call
/// `events:PutEvents`: each statement that allows it must hold the
/// condition `StringEquals` `aws:PrincipalOrgID` = `organization` and
/// nothing but it, or it admits others.
pub fn bus_senders(policy: Option<&str>, organization: &str) -> BusSenders {
    let mut senders = BusSenders::Nobody;
    for statement in allowing(
        policy.unwrap_or_default(),
        &["events:PutEvents", "events:*", "*"],
    ) {
        let org_ids = statement["Condition"]["StringEquals"]
            .as_object()
            .into_iter()
            .flatten()
            .find(|(key, _)| key.eq_ignore_ascii_case("aws:PrincipalOrgID"))
            .map(|(_, value)| value);
        let only_ours = match org_ids {
            Some(Value::String(one)) => one == organization,
            Some(Value::Array(many)) => !many.is_empty() && many.iter().all(|v| v == organization),
            _ => false,
        };
        if only_ours {
            senders = BusSenders::Organization;
            continue;
        }
        let who = principal_in_words(&statement);
        return BusSenders::Others(match org_ids {
            Some(other) => sanitize::cut(&format!("{who} in the organizations {other}")),
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
