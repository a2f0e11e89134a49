//! One invocation of the guard as an AWS Lambda function. Each is one of:
//!
//! - an EventBridge CloudTrail event: reconcile the VPCs of its NACL call;
//! - an EventBridge scheduled event: sweep every baseline;
//! - an SQS batch of either: each message on its own, and the messages
//!   whose reconcile failed reported back (`batchItemFailures`), so that
//!   only they come again.
//!
//! Every event goes through event mode's own handling (`queue`): the VPCs
//! of one account and region are reconciled together, a schedule sweeps at
//! most once per [`SWEEP_GAP`], and a call that could have changed every
//! VPC of its account and region at most once per `WHOLE_PLACE_GAP` there,
//! across invocations (the guard keeps the times).
//!
//! The answer is the reconcile's line, as `watch` prints it, or
//! `{"ignored": why}` for an event that asks nothing. A reconcile whose
//! alert or findings could not be sent (after [`crate::HUB_RETRY_WAITS`]
//! for Security Hub) fails its message or event, so that it comes again. The binary runs the
//! Runtime API loop and prints what is said.

use std::time::Duration;

use serde_json::{Value, json};

use crate::queue::{Message, handle_batch};
use crate::{Edge, Guard, GuardError, Said, Standing};

/// The shortest time between two sweeps a schedule asks for: EventBridge
/// schedules fire at most once a minute, so more are duplicates, or
/// forged by whoever may invoke the function or send to its queue.
pub const SWEEP_GAP: Duration = Duration::from_secs(60);

/// One invocation's answer to `payload`. Its events go through event
/// mode's handling ([`handle_batch`]): merged by account and region, and
/// rate-limited across invocations as `watch` does.
pub async fn answer<E: Edge>(
    guard: &mut Guard<E>,
    payload: Value,
    say: &mut impl FnMut(Said),
) -> Result<Value, GuardError> {
    let records = sqs_records(&payload);
    let batch: Vec<Message<String>> = match records {
        Some(records) => records
            .iter()
            .map(|record| {
                let id = record["messageId"].as_str().unwrap_or_default().to_owned();
                let body = record["body"].as_str().unwrap_or_default().to_owned();
                Message {
                    id: id.clone(),
                    body,
                    receipt: id,
                }
            })
            .collect(),
        None => vec![Message {
            id: "event".to_owned(),
            body: payload.to_string(),
            receipt: "event".to_owned(),
        }],
    };
    let ids: Vec<String> = batch.iter().map(|message| message.id.clone()).collect();
    let mut lines = Vec::new();
    let mut unsent = false;
    let handled = handle_batch(guard, batch, SWEEP_GAP, &mut |said| {
        if let Said::Line(line) = &said {
            lines.push(serde_json::to_value(line).expect("a line always serialises"));
            unsent |= line.read_everything() && line.standing() == Standing::Failed;
        }
        say(said);
    })
    .await?;
    if records.is_none() {
        // One event: its line, why it asks nothing, or an error, so that
        // Lambda delivers it again.
        return match (handled.ignored.first(), lines.pop()) {
            (Some((_, why)), _) => Ok(json!({ "ignored": why })),
            _ if !handled.held.is_empty() => Err(GuardError::Held),
            _ if handled.done.is_empty() && unsent => Err(GuardError::Unsent),
            _ if handled.done.is_empty() => Err(GuardError::Unread),
            (None, Some(line)) => Ok(line),
            (None, None) => Err(GuardError::Unread),
        };
    }
    let failures: Vec<Value> = ids
        .iter()
        .filter(|id| !handled.done.contains(id))
        .map(|id| json!({ "itemIdentifier": id }))
        .collect();
    lines.extend(
        handled
            .ignored
            .into_iter()
            .map(|(_, why)| json!({ "ignored": why })),
    );
    Ok(json!({ "batchItemFailures": failures, "reconciles": lines }))
}

/// The records of an SQS batch; `None` for any other payload.
fn sqs_records(payload: &Value) -> Option<&Vec<Value>> {
    let records = payload.get("Records")?.as_array()?;
    records
        .iter()
        .all(|record| record["eventSource"] == "aws:sqs")
        .then_some(records)
}
