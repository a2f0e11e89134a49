//! One invocation of the guard as an AWS Lambda function. Each is one of:
//!
//! - an EventBridge CloudTrail event: reconcile the VPCs of its NACL call;
//! - an EventBridge scheduled event: sweep every baseline;
//! - an SQS batch of either: each message on its own, and the messages
//!   whose reconcile failed reported back (`batchItemFailures`), so that
//!   only they come again.
//!
//! The answer is the reconcile's line, as `watch` prints it, or
//! `{"ignored": why}` for an event that asks nothing. The binary runs the
//! Runtime API loop and prints what is said.

use nacl_drift_attribution::{Delivery, DeliveryError, read_delivery, read_delivery_value};
use serde_json::{Value, json};

use crate::{Ask, Edge, Guard, GuardError, Reach, Said, Trigger};

/// One invocation's answer to `payload`.
pub async fn answer<E: Edge>(
    guard: &mut Guard<E>,
    payload: Value,
    say: &mut impl FnMut(Said),
) -> Result<Value, GuardError> {
    let Some(records) = sqs_records(&payload) else {
        return answer_one(guard, read_delivery_value(payload), say).await;
    };
    let mut failures = Vec::new();
    let mut answers = Vec::new();
    for record in records {
        let id = record["messageId"].as_str().unwrap_or_default();
        let body = record["body"].as_str().unwrap_or_default();
        match answer_one(guard, read_delivery(body), say).await {
            Ok(answer) => answers.push(answer),
            Err(error) => {
                say(Said::Error {
                    context: format!("message {id}"),
                    error,
                });
                failures.push(json!({ "itemIdentifier": id }));
            }
        }
    }
    Ok(json!({ "batchItemFailures": failures, "reconciles": answers }))
}

/// The records of an SQS batch; `None` for any other payload.
fn sqs_records(payload: &Value) -> Option<&Vec<Value>> {
    let records = payload.get("Records")?.as_array()?;
    records
        .iter()
        .all(|record| record["eventSource"] == "aws:sqs")
        .then_some(records)
}

/// What one EventBridge event asks, done: the reconcile's line, or why
/// nothing was done. An error when the reconcile failed (the event comes
/// again, and is then acted on).
async fn answer_one<E: Edge>(
    guard: &mut Guard<E>,
    delivery: Result<Delivery, DeliveryError>,
    say: &mut impl FnMut(Said),
) -> Result<Value, GuardError> {
    let baselines = guard.baselines()?;
    let line = match guard.ask(&baselines, delivery) {
        Ask::Nothing(why) => {
            say(Said::Note(format!("the event asks nothing: {why}")));
            return Ok(json!({ "ignored": why }));
        }
        Ask::Sweep => {
            guard
                .reconcile(&baselines, Reach::Everything, Trigger::Sweep, Vec::new())
                .await?
        }
        Ask::Reconcile { event, vpcs, .. } => {
            let event_id = event.attribution().event_id;
            let line = guard
                .reconcile(&baselines, Reach::Vpcs(vpcs), Trigger::Event, vec![*event])
                .await
                .and_then(|line| {
                    let read_everything = line.read_everything();
                    let value = serde_json::to_value(&line).expect("a line always serialises");
                    say(Said::Line(Box::new(line)));
                    if read_everything {
                        Ok(value)
                    } else {
                        Err(GuardError::Unread)
                    }
                });
            if line.is_err() {
                // Forgotten, so that the event is acted on when it comes
                // again.
                guard.forget(&event_id);
            }
            return line;
        }
    };
    let value = serde_json::to_value(&line).expect("a line always serialises");
    say(Said::Line(Box::new(line)));
    Ok(value)
}
