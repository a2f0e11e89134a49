//! What the guard is handed: EventBridge events, as an SQS message's body
//! or as a Lambda's payload. Either a NACL call that CloudTrail recorded
//! (reconcile where it happened) or a schedule's tick (sweep everything).
//!
//! Read leniently: CloudTrail records vary by call and by year, so only the
//! fields the guard needs are required, and the envelope's `account` and
//! `region` stand in for a record that lacks its own.

use std::collections::BTreeSet;

use nacl_drift_model::sanitize::bounded;
use nacl_drift_model::{AccountId, NetworkAclId, Operation, Region, VpcId};
use serde::Deserialize;
use serde_json::Value;

use crate::record::{NaclEvent, Record, RecordError};

/// What an EventBridge event asks of the guard.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// A successful call that changed (or may have changed) a NACL.
    Change(Box<NaclEvent>),
    /// A scheduled event: sweep every baseline.
    Schedule,
    /// Nothing to act on, and why.
    Ignored(String),
}

/// The largest event read: an EventBridge event of a NACL call is a few
/// kilobytes; SQS takes up to 1 MiB.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// Why an EventBridge event cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Larger than any event of a NACL call.
    #[error(
        "an event of {0} bytes, more than the {MAX_EVENT_BYTES} an event of a NACL call can be"
    )]
    TooLarge(usize),
    /// The body is not a JSON object.
    #[error("not an EventBridge event (a JSON object): {0}")]
    NotJson(#[source] serde_json::Error),
    /// A NACL call's record lacks what the guard needs.
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// The EventBridge envelope; only `detail-type` and `source` are required.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
    account: Option<String>,
    region: Option<String>,
    #[serde(default)]
    detail: Value,
}

const CLOUDTRAIL_CALL: &str = "AWS API Call via CloudTrail";
const SCHEDULE: &str = "Scheduled Event";
/// The source of EC2's calls as CloudTrail records them: only AWS can put
/// an event of an `aws.` source on a bus.
const EC2: &str = "aws.ec2";
/// The source of EventBridge's scheduled events.
const SCHEDULER: &str = "aws.events";

/// Reads one EventBridge event from its JSON text, of at most
/// [`MAX_EVENT_BYTES`].
pub fn read_delivery(text: &str) -> Result<Delivery, DeliveryError> {
    if text.len() > MAX_EVENT_BYTES {
        return Err(DeliveryError::TooLarge(text.len()));
    }
    read_delivery_value(serde_json::from_str(text).map_err(DeliveryError::NotJson)?)
}

/// Reads one EventBridge event, already parsed. A CloudTrail call must come
/// from `aws.ec2` and a schedule from `aws.events`: anyone may put an event
/// of their own source (or send a message to the queue), and such an event
/// asks nothing.
pub fn read_delivery_value(event: Value) -> Result<Delivery, DeliveryError> {
    let envelope: Envelope = serde_json::from_value(event).map_err(DeliveryError::NotJson)?;
    let expected = match envelope.detail_type.as_str() {
        SCHEDULE => SCHEDULER,
        CLOUDTRAIL_CALL => EC2,
        other => {
            return Ok(Delivery::Ignored(format!(
                "an event of type `{}`",
                bounded(other, 64)
            )));
        }
    };
    if envelope.source != expected {
        return Ok(Delivery::Ignored(format!(
            "a `{}` event of source `{}`, not {expected}",
            envelope.detail_type,
            bounded(&envelope.source, 64)
        )));
    }
    if envelope.detail_type == SCHEDULE {
        return Ok(Delivery::Schedule);
    }
    let mut record: Record =
        serde_json::from_value(envelope.detail).map_err(DeliveryError::NotJson)?;
    let name = record.event_name.clone().unwrap_or_default();
    if let Some(code) = &record.error_code {
        return Ok(Delivery::Ignored(format!("{name} failed ({code})")));
    }
    record.recipient_account_id = record.recipient_account_id.or(envelope.account);
    record.aws_region = record.aws_region.or(envelope.region);
    let Some(event) = record.into_event()? else {
        let tags = matches!(
            Operation::from_name(&name),
            Some(Operation::CreateTags | Operation::DeleteTags)
        );
        return Ok(Delivery::Ignored(if tags {
            format!("{name} on no network ACL")
        } else {
            format!("{} is not a NACL call", bounded(&name, 64))
        }));
    };
    Ok(Delivery::Change(Box::new(event)))
}

/// Where a NACL call happened: what the guard reconciles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The account, from the record or its envelope.
    pub account: Option<AccountId>,
    /// The region.
    pub region: Region,
    /// The NACLs the call named.
    pub network_acl_ids: BTreeSet<NetworkAclId>,
    /// The VPC, when the call names it (CreateNetworkAcl).
    pub vpc_id: Option<VpcId>,
}

impl NaclEvent {
    /// Where the call happened, for the guard to reconcile.
    pub fn target(&self) -> Target {
        let request = &self.record.request_parameters;
        let response = &self.record.response_elements;
        let vpc_id = [
            request.pointer("/vpcId"),
            response.pointer("/networkAcl/vpcId"),
        ]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|id| VpcId::parse(id).ok());
        Target {
            account: self.account.clone(),
            region: self.region.clone(),
            network_acl_ids: self.network_acl_ids(),
            vpc_id,
        }
    }

    /// The NACLs the call named: the one it changed or made, or, for tags,
    /// the NACLs among the resources tagged.
    pub fn network_acl_ids(&self) -> BTreeSet<NetworkAclId> {
        let request = &self.record.request_parameters;
        let response = &self.record.response_elements;
        let tagged = request
            .pointer("/resourcesSet/items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|item| item.pointer("/resourceId"));
        [
            request.pointer("/networkAclId"),
            response.pointer("/networkAcl/networkAclId"),
        ]
        .into_iter()
        .flatten()
        .chain(tagged)
        .filter_map(Value::as_str)
        .filter_map(|id| NetworkAclId::parse(id).ok())
        .collect()
    }

    /// Who made the call, when, and from where, as the delivered event
    /// says: unverified.
    pub fn attribution(&self) -> nacl_drift_diff::Attribution {
        nacl_drift_diff::Attribution {
            unverified: true,
            ..self.record.attribution()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cloudtrail(detail: Value) -> String {
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.ec2",
            "account": "123456789012",
            "time": "2026-11-30T08:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        })
        .to_string()
    }

    fn change(text: &str) -> NaclEvent {
        match read_delivery(text).expect("readable") {
            Delivery::Change(event) => *event,
            other => panic!("not a change: {other:?}"),
        }
    }

    #[test]
    fn a_deleted_entry_targets_its_nacl_in_the_envelopes_account() {
        let event = change(&cloudtrail(json!({
            "eventVersion": "1.09",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "DeleteNetworkAclEntry",
            "eventTime": "2026-11-30T07:59:58Z",
            "eventID": "e1",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory"},
            "requestParameters": {"networkAclId": "acl-0123456789abcdef0", "ruleNumber": 80, "egress": false},
            "responseElements": {"_return": true},
        })));
        let target = event.target();
        assert_eq!(
            target.account,
            Some(AccountId::parse("123456789012").expect("id"))
        );
        assert_eq!(target.region.as_str(), "us-east-1");
        let ids: Vec<&str> = target
            .network_acl_ids
            .iter()
            .map(NetworkAclId::as_str)
            .collect();
        assert_eq!(ids, ["acl-0123456789abcdef0"]);
        assert_eq!(target.vpc_id, None);
        let who = event.attribution();
        assert_eq!(
            who.principal_arn.as_deref(),
            Some("arn:aws:iam::123456789012:user/mallory")
        );
        assert_eq!(who.source_ip.as_deref(), Some("198.51.100.7"));
    }

    #[test]
    fn a_created_nacl_targets_its_vpc_and_tags_their_nacls() {
        let created = change(&cloudtrail(json!({
            "eventSource": "ec2.amazonaws.com",
            "eventName": "CreateNetworkAcl",
            "eventTime": "2026-11-30T07:59:58Z",
            "eventID": "e2",
            "requestParameters": {"vpcId": "vpc-0123456789abcdef0"},
            "responseElements": {"networkAcl": {"networkAclId": "acl-0fedcba9876543210", "vpcId": "vpc-0123456789abcdef0"}},
        })));
        let target = created.target();
        assert_eq!(
            target.vpc_id.as_ref().map(VpcId::as_str),
            Some("vpc-0123456789abcdef0")
        );
        assert_eq!(
            target.region.as_str(),
            "us-east-1",
            "from the envelope when the record has no awsRegion"
        );
        let tagged = change(&cloudtrail(json!({
            "eventSource": "ec2.amazonaws.com",
            "eventName": "CreateTags",
            "eventTime": "2026-11-30T07:59:58Z",
            "eventID": "e3",
            "awsRegion": "us-east-1",
            "requestParameters": {"resourcesSet": {"items": [
                {"resourceId": "i-0123456789abcdef0"},
                {"resourceId": "acl-0123456789abcdef0"}
            ]}, "tagSet": {"items": [{"key": "Owner", "value": "x"}]}},
        })));
        assert_eq!(tagged.network_acl_ids().len(), 1);
    }

    #[test]
    fn failed_calls_other_calls_and_other_resources_are_ignored() {
        let ignored = |detail: Value| match read_delivery(&cloudtrail(detail)).expect("readable") {
            Delivery::Ignored(why) => why,
            other => panic!("acted on: {other:?}"),
        };
        let failed = ignored(json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
            "eventTime": "2026-11-30T07:59:58Z", "eventID": "e4", "awsRegion": "us-east-1",
            "errorCode": "Client.UnauthorizedOperation",
            "requestParameters": {"networkAclId": "acl-0123456789abcdef0", "ruleNumber": 80, "egress": false},
        }));
        assert_eq!(
            failed,
            "DeleteNetworkAclEntry failed (Client.UnauthorizedOperation)"
        );
        let other = ignored(json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
            "eventTime": "2026-11-30T07:59:58Z", "eventID": "e5", "awsRegion": "us-east-1",
        }));
        assert_eq!(other, "RunInstances is not a NACL call");
        let tags = ignored(json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "CreateTags",
            "eventTime": "2026-11-30T07:59:58Z", "eventID": "e6", "awsRegion": "us-east-1",
            "requestParameters": {"resourcesSet": {"items": [{"resourceId": "sg-0123456789abcdef0"}]}},
        }));
        assert_eq!(tags, "CreateTags on no network ACL");
    }

    #[test]
    fn a_schedule_sweeps_and_bad_bodies_are_errors() {
        let tick = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
        assert!(matches!(
            read_delivery(&tick.to_string()),
            Ok(Delivery::Schedule)
        ));
        let forged = json!({"detail-type": "Scheduled Event", "source": "mallory", "detail": {}});
        assert!(matches!(
            read_delivery(&forged.to_string()),
            Ok(Delivery::Ignored(why)) if why == "a `Scheduled Event` event of source `mallory`, not aws.events"
        ));
        let huge = format!("{{\"detail-type\": \"{}\"}}", "x".repeat(MAX_EVENT_BYTES));
        assert!(matches!(
            read_delivery(&huge),
            Err(DeliveryError::TooLarge(_))
        ));
        assert!(matches!(
            read_delivery("not json"),
            Err(DeliveryError::NotJson(_))
        ));
        let bad_id = cloudtrail(json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
            "eventTime": "2026-11-30T07:59:58Z", "eventID": "e7", "awsRegion": "us-east-1",
            "requestParameters": {"networkAclId": "acl-../../etc", "ruleNumber": 80, "egress": false},
        }));
        let error = read_delivery(&bad_id).expect_err("a bad id");
        assert!(error.to_string().contains("requestParameters.networkAclId"));
    }
}
