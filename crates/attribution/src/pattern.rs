//! Whether an EventBridge rule's event pattern sends the guard every NACL
//! call CloudTrail records: `source` aws.ec2, `detail-type` "AWS API Call
//! via CloudTrail", every NACL call's `eventName`, and failed calls left
//! out (`errorCode: [{"exists": false}]`). A field a pattern leaves out
//! matches anything.

use nacl_drift_model::Operation;
use serde_json::Value;

/// What a pattern misses, or lets through that it need not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternGap {
    /// It matches no EC2 event.
    NotEc2,
    /// It matches no call CloudTrail records.
    NotCloudTrailCalls,
    /// It leaves out these NACL calls.
    MissingCalls(Vec<Operation>),
    /// It lets failed calls through (the guard passes over them).
    FailedCallsIncluded,
}

impl PatternGap {
    /// Whether the guard misses NACL calls because of it.
    pub fn misses_calls(&self) -> bool {
        !matches!(self, PatternGap::FailedCallsIncluded)
    }
}

impl std::fmt::Display for PatternGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternGap::NotEc2 => f.write_str("its source is not aws.ec2"),
            PatternGap::NotCloudTrailCalls => {
                f.write_str("its detail-type is not \"AWS API Call via CloudTrail\"")
            }
            PatternGap::MissingCalls(calls) => {
                let names: Vec<&str> = calls.iter().map(|call| call.name()).collect();
                write!(f, "it leaves out {}", names.join(", "))
            }
            PatternGap::FailedCallsIncluded => {
                f.write_str("it lets failed calls through (add errorCode: [{\"exists\": false}])")
            }
        }
    }
}

/// What `pattern` (an EventBridge event pattern, as JSON) misses of the
/// NACL calls, or lets through; empty when it is the guard's pattern.
pub fn pattern_gaps(pattern: &Value) -> Vec<PatternGap> {
    let mut gaps = Vec::new();
    if !matches_value(pattern.get("source"), "aws.ec2") {
        gaps.push(PatternGap::NotEc2);
    }
    if !matches_value(pattern.get("detail-type"), "AWS API Call via CloudTrail") {
        gaps.push(PatternGap::NotCloudTrailCalls);
    }
    let detail = pattern.get("detail");
    let names = detail.and_then(|detail| detail.get("eventName"));
    let missing: Vec<Operation> = Operation::ALL
        .into_iter()
        .filter(|operation| !matches_value(names, operation.name()))
        .collect();
    if !missing.is_empty() {
        gaps.push(PatternGap::MissingCalls(missing));
    }
    let error_code = detail.and_then(|detail| detail.get("errorCode"));
    let excludes_failed = error_code
        .and_then(Value::as_array)
        .is_some_and(|matchers| {
            matchers
                .iter()
                .any(|matcher| matcher.get("exists") == Some(&Value::Bool(false)))
        });
    if !excludes_failed {
        gaps.push(PatternGap::FailedCallsIncluded);
    }
    gaps
}

/// Whether a pattern field (absent: anything; an array of values or
/// matchers) matches `value`. Matchers other than exact values and
/// `prefix` are taken to match, as the guard cannot tell.
fn matches_value(field: Option<&Value>, value: &str) -> bool {
    let Some(field) = field else {
        return true;
    };
    let Some(options) = field.as_array() else {
        return false;
    };
    options.iter().any(|option| match option {
        Value::String(exact) => exact == value,
        Value::Object(matcher) => match matcher.get("prefix") {
            Some(Value::String(prefix)) => value.starts_with(prefix.as_str()),
            Some(_) => false,
            None => !matcher.contains_key("anything-but") && !matcher.contains_key("exists"),
        },
        _ => false,
    })
}
