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
