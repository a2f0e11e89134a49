//! The EventBridge rules of a region's default event bus, with their event
//! patterns and targets: for `doctor` to find the rule that sends the
//! guard CloudTrail's NACL calls; and an event bus's resource policy, for
//! `doctor` to check who may send to the organization guard's bus.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::RuleState;

use crate::ApiError;

/// An enabled rule, its pattern and where it sends what matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// Its event pattern, as JSON; `None` for a schedule.
    pub pattern: Option<String>,
    /// The ARNs of its targets: queues, functions, event buses.
    pub targets: Vec<String>,
}

/// Every enabled rule of the default event bus of the client's region.
pub async fn event_rules(client: &Client) -> Result<Vec<Rule>, ApiError> {
    let mut rules = Vec::new();
    let mut next_token = None;
    loop {
        let page = client
            .list_rules()
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|error| ApiError::new("ListRules", error))?;
        for rule in page.rules() {
            let Some(name) = rule.name() else { continue };
            if rule.state() == Some(&RuleState::Disabled) {
                continue;
            }
            let targets = client
                .list_targets_by_rule()
                .rule(name)
                .send()
                .await
                .map_err(|error| ApiError::new("ListTargetsByRule", error))?;
            rules.push(Rule {
                name: name.to_owned(),
                pattern: rule.event_pattern().map(str::to_owned),
                targets: targets
                    .targets()
                    .iter()
                    .map(|target| target.arn().to_owned())
                    .collect(),
            });
        }
        match page.next_token() {
            Some(token) => next_token = Some(token.to_owned()),
            None => return Ok(rules),
        }
    }
}

/// The resource policy of the event bus `arn` (DescribeEventBus), as JSON;
/// `None` when it has none, which admits no other account.
pub async fn event_bus_policy(client: &Client, arn: &str) -> Result<Option<String>, ApiError> {
    let described = client
        .describe_event_bus()
        .name(arn)
        .send()
        .await
        .map_err(|error| ApiError::new("DescribeEventBus", error))?;
    Ok(described.policy().map(str::to_owned))
}
