//! CloudTrail records: the fields attribution reads, from the JSON that
//! both log files and `LookupEvents` carry.

use nacl_drift_diff::Attribution;
use nacl_drift_model::sanitize::bounded;
use nacl_drift_model::{AccountId, AssociationId, IdError, NetworkAclId, Operation, Region};
use serde::Deserialize;
use serde_json::Value;

/// The most characters kept of a field of a record: an ARN of the
/// longest role path fits.
const FIELD_MAX: usize = 512;

/// A CloudTrail record, as delivered. Only records of EC2's NACL events are
/// checked for the fields attribution needs; others are passed over.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The service, `ec2.amazonaws.com` for NACL events.
    pub event_source: Option<String>,
    /// The API call, `DeleteNetworkAclEntry` say.
    pub event_name: Option<String>,
    /// When, ISO 8601 in UTC.
    pub event_time: Option<String>,
    /// CloudTrail's id of the event.
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    /// The region the call was made in.
    pub aws_region: Option<String>,
    /// Where the call came from: an IP address, or a service's name.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    /// The caller's client.
    pub user_agent: Option<String>,
    /// The account the call was made in.
    pub recipient_account_id: Option<String>,
    /// Set on calls that failed: those changed nothing.
    pub error_code: Option<String>,
    /// Who made the call.
    #[serde(default)]
    pub user_identity: UserIdentity,
    /// The call's parameters, in CloudTrail's lowercase keys.
    #[serde(default)]
    pub request_parameters: Value,
    /// What the call answered.
    #[serde(default)]
    pub response_elements: Value,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub arn: Option<String>,
    pub user_name: Option<String>,
    pub account_id: Option<String>,
    pub invoked_by: Option<String>,
    pub session_context: Option<SessionContext>,
    pub on_behalf_of: Option<OnBehalfOf>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    pub session_issuer: Option<SessionIssuer>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer {
    pub arn: Option<String>,
    pub user_name: Option<String>,
}

/// IAM Identity Center's own principals name the user here.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnBehalfOf {
    pub user_id: Option<String>,
}

/// Why a NACL event's record cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A field matching needs is absent.
    #[error("a {event} record has no {field}")]
    Missing {
        /// The event's name.
        event: String,
        /// The field the record lacks.
        field: &'static str,
    },
    /// `eventTime` is not a time.
    #[error("a {event} record's eventTime `{time}` is not an ISO 8601 time")]
    BadTime {
        /// The event's name.
        event: String,
        /// The time, as the record has it.
        time: String,
    },
    /// An id in the record is not an AWS id.
    #[error("the {event} record {event_id}: {field} is unusable: {error}")]
    BadId {
        /// The event's name.
        event: String,
        /// The record's `eventID`.
        event_id: String,
        /// The field that holds the id.
        field: &'static str,
        /// Why it is not an AWS id.
        error: IdError,
    },
}

/// A successful NACL event, checked and ready to match.
#[derive(Clone, Debug)]
pub struct NaclEvent {
    /// The call.
    pub name: Operation,
    /// Seconds since the epoch.
    pub time: i64,
    /// The region the call was made in.
    pub region: Region,
    /// The account the call was made in, when the record says.
    pub account: Option<AccountId>,
    /// The whole record, for the attribution.
    pub record: Record,
}

impl Record {
    /// The record as a NACL event: `None` for other events and for calls
    /// that failed; an error when a NACL event lacks what matching needs.
    pub fn into_event(self) -> Result<Option<NaclEvent>, RecordError> {
        let (Some(source), Some(name)) = (&self.event_source, &self.event_name) else {
            return Ok(None);
        };
        let Some(operation) = Operation::from_name(name) else {
            return Ok(None);
        };
        if source != "ec2.amazonaws.com" || self.error_code.is_some() {
            return Ok(None);
        }
        // Tags of other resources (instances, volumes) are no NACL event,
        // however odd the rest of their record.
        let tags = matches!(operation, Operation::CreateTags | Operation::DeleteTags);
        if tags && !self.tags_a_nacl() {
            return Ok(None);
        }
        let (time, region, account) = self.when_and_where(name)?;
        self.check_ids()
            .map_err(|(field, error)| self.bad_id(name, field)(error))?;
        Ok(Some(NaclEvent {
            name: operation,
            time,
            region,
            account,
            record: self,
        }))
    }

    /// When the call `name` was made (seconds since the epoch), in which
    /// region, and in which account when the record says.
    pub(crate) fn when_and_where(
        &self,
        name: &str,
    ) -> Result<(i64, Region, Option<AccountId>), RecordError> {
        let missing = |field| RecordError::Missing {
            event: name.to_owned(),
            field,
        };
        let time_text = self
            .event_time
            .clone()
            .ok_or_else(|| missing("eventTime"))?;
        let bad_id = |field| self.bad_id(name, field);
        let region = Region::parse(
            self.aws_region
                .as_deref()
                .ok_or_else(|| missing("awsRegion"))?,
        )
        .map_err(bad_id("awsRegion"))?;
        let account = self
            .recipient_account_id
            .as_deref()
            .map(AccountId::parse)
            .transpose()
            .map_err(bad_id("recipientAccountId"))?;
        let time = humantime::parse_rfc3339_weak(&time_text)
            .ok()
            .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|since_epoch| i64::try_from(since_epoch.as_secs()).ok())
            .ok_or_else(|| RecordError::BadTime {
                event: name.to_owned(),
                time: time_text.clone(),
            })?;
        Ok((time, region, account))
    }

    /// The error of the id in `field` of this `name` record, which is not
    /// one. (AWS's own older examples have no eventID: matching does not
    /// need it.)
    pub(crate) fn bad_id<'a>(
        &'a self,
        name: &'a str,
        field: &'static str,
    ) -> impl FnOnce(IdError) -> RecordError + 'a {
        move |error| RecordError::BadId {
            event: name.to_owned(),
            event_id: self.event_id.clone().unwrap_or_default(),
            field,
            error,
        }
    }

    /// Whether a tag call's resources include a NACL.
    fn tags_a_nacl(&self) -> bool {
        self.request_parameters
            .pointer("/resourcesSet/items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|item| item.pointer("/resourceId").and_then(Value::as_str))
            .any(|id| id.starts_with("acl-"))
    }

    /// Checks the NACL and association ids that matching reads, where the
    /// record has them: an id in a record is input like any other. The
    /// error names the field.
    fn check_ids(&self) -> Result<(), (&'static str, IdError)> {
        let text = |value: &'_ Value, pointer: &str| -> Option<String> {
            value
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let (request, response) = (&self.request_parameters, &self.response_elements);
        for (field, id) in [
            (
                "requestParameters.networkAclId",
                text(request, "/networkAclId"),
            ),
            (
                "responseElements.networkAcl.networkAclId",
                text(response, "/networkAcl/networkAclId"),
            ),
        ] {
            if let Some(id) = id {
                NetworkAclId::parse(&id).map_err(|error| (field, error))?;
            }
        }
        for (field, id) in [
            (
                "requestParameters.associationId",
                text(request, "/associationId"),
            ),
            (
                "responseElements.newAssociationId",
                text(response, "/newAssociationId"),
            ),
        ] {
            if let Some(id) = id {
                AssociationId::parse(&id).map_err(|error| (field, error))?;
            }
        }
        Ok(())
    }

    /// The principal and the call, as reported.
    pub fn attribution(&self) -> Attribution {
        let identity = &self.user_identity;
        let issuer = identity
            .session_context
            .as_ref()
            .and_then(|c| c.session_issuer.as_ref());
        let assumed_role = identity.kind.as_deref() == Some("AssumedRole");
        // arn:aws:sts::123456789012:assumed-role/ROLE/SESSION
        let session_name = identity
            .arn
            .as_deref()
            .filter(|_| assumed_role)
            .and_then(|arn| arn.rsplit('/').next())
            .map(str::to_owned);
        let sso = issuer
            .and_then(|issuer| issuer.user_name.as_deref())
            .is_some_and(|role| role.starts_with("AWSReservedSSO_"));
        let user_name = match identity.kind.as_deref() {
            Some("IAMUser") => identity.user_name.clone(),
            Some("IdentityCenterUser") => identity
                .on_behalf_of
                .as_ref()
                .and_then(|o| o.user_id.clone())
                .or_else(|| identity.user_name.clone()),
            Some("AssumedRole") if sso => session_name.clone(),
            Some("SAMLUser" | "WebIdentityUser") => identity.user_name.clone(),
            _ => None,
        };
        let account_id = identity
            .account_id
            .clone()
            .filter(|_| identity.kind.as_deref() == Some("AWSAccount"));
        // Each field bounded: a record is untrusted input, and its fields
        // are kept (the ids of events seen) and printed.
        let field = |text: &str| bounded(text, FIELD_MAX).into_owned();
        let optional = |text: &Option<String>| text.as_deref().map(field);
        Attribution {
            principal_arn: optional(&identity.arn),
            principal_type: field(identity.kind.as_deref().unwrap_or("Unknown")),
            role_arn: optional(&issuer.and_then(|issuer| issuer.arn.clone()))
                .filter(|_| assumed_role),
            session_name: optional(&session_name),
            user_name: optional(&user_name),
            account_id: optional(&account_id),
            invoked_by: optional(&identity.invoked_by)
                .filter(|_| identity.kind.as_deref() == Some("AWSService")),
            event_name: field(self.event_name.as_deref().unwrap_or_default()),
            event_time: field(self.event_time.as_deref().unwrap_or_default()),
            event_id: field(self.event_id.as_deref().unwrap_or_default()),
            source_ip: optional(&self.source_ip_address),
            user_agent: optional(&self.user_agent),
            unverified: false,
        }
    }
}

/// An event from LookupEvents that is not a usable CloudTrail record.
#[derive(Debug, thiserror::Error)]
#[error("LookupEvents returned an event that is not a CloudTrail record: {0}")]
pub struct BadEvent(String);

/// The NACL events among CloudTrail records as LookupEvents returns them:
/// each event's `CloudTrailEvent`, the same JSON as a log file's records.
pub fn events_from_lookup(records: &[String]) -> Result<Vec<NaclEvent>, BadEvent> {
    let mut events = Vec::new();
    for text in records {
        let record: Record =
            serde_json::from_str(text).map_err(|error| BadEvent(error.to_string()))?;
        if let Some(event) = record
            .into_event()
            .map_err(|error| BadEvent(error.to_string()))?
        {
            events.push(event);
        }
    }
    Ok(events)
}
