//! `nacl-drift lambda`: the guard as an AWS Lambda function, on a custom
//! runtime (`provided.al2023`, this binary packaged as `bootstrap`). The
//! Runtime API loop is `lambda_runtime`'s; each invocation is one of:
//!
//! - an EventBridge CloudTrail event: reconcile the VPCs of its NACL call;
//! - an EventBridge scheduled event: sweep every baseline;
//! - an SQS batch of either: each message on its own, and the messages
//!   whose reconcile failed reported back (`batchItemFailures`), so that
//!   only they come again.
//!
//! The answer is the reconcile's line, as `watch` prints it (also printed
//! to the function's log), or `{"ignored": why}` for an event that asks
//! nothing. Flags come from the environment too (`NACL_DRIFT_RESTORE`,
//! ...), as Lambda passes no arguments; the baselines are
//! `$LAMBDA_TASK_ROOT/baselines` unless told otherwise. The flapping brake
//! and the duplicate check live as long as the function's instance does.

use std::path::PathBuf;

use anyhow::Result;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use nacl_drift_attribution::{Delivery, DeliveryError, read_delivery, read_delivery_value};
use nacl_drift_config::Config;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::accounts::AccountArgs;
use crate::aws::AwsArgs;
use crate::comparison::Live;
use crate::exit_status::ExitStatus;
use crate::guard::{Ask, Guard, GuardArgs, Scope, Trigger};
use crate::live::LiveFileArgs;
use crate::printer::{Printer, print_error};

/// Where Lambda's Runtime API listens: set by Lambda, never by a person.
pub const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";

/// What Lambda sets for a function, and `lambda_runtime` reads.
const LAMBDA_ENVIRONMENT: [&str; 4] = [
    RUNTIME_API,
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    guard: GuardArgs,

    #[command(flatten)]
    accounts: AccountArgs,

    #[command(flatten)]
    aws: AwsArgs,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    if let Some(missing) = LAMBDA_ENVIRONMENT
        .iter()
        .find(|name| std::env::var_os(name).is_none())
    {
        anyhow::bail!(
            "nacl-drift lambda runs inside AWS Lambda, which sets {missing}; it is not set (to guard from a shell, run `nacl-drift watch`)"
        );
    }
    let task_root = std::env::var_os("LAMBDA_TASK_ROOT").map_or_else(PathBuf::new, PathBuf::from);
    let baseline_dir = args
        .guard
        .baselines
        .resolve_or(config, task_root.join("baselines"));
    let no_exports = LiveFileArgs::default();
    let live = Live::choose(&no_exports, &args.accounts, &args.aws).await?;
    let guard = Mutex::new(Guard::new(&args.guard, baseline_dir, live, config).await?);
    let printer = Mutex::new(printer);
    let handler = service_fn(|event: LambdaEvent<Value>| {
        let (guard, printer) = (&guard, &printer);
        async move {
            let mut guard = guard.lock().await;
            let mut printer = printer.lock().await;
            invocation(&mut guard, &mut printer, event.payload)
                .await
                .map_err(|error| {
                    print_error(&error);
                    Diagnostic {
                        error_type: "NaclDriftError".to_owned(),
                        error_message: format!("{error:#}"),
                    }
                })
        }
    });
    lambda_runtime::run(handler)
        .await
        .map_err(|error| anyhow::anyhow!("the Lambda Runtime API loop ended: {error}"))?;
    Ok(ExitStatus::Success)
}

/// One invocation's answer.
async fn invocation(guard: &mut Guard<'_>, printer: &mut Printer, payload: Value) -> Result<Value> {
    let Some(records) = sqs_records(&payload) else {
        let answer = answer(guard, printer, read_delivery_value(payload)).await?;
        return Ok(answer);
    };
    let mut failures = Vec::new();
    let mut answers = Vec::new();
    for record in records {
        let id = record["messageId"].as_str().unwrap_or_default();
        let body = record["body"].as_str().unwrap_or_default();
        match answer(guard, printer, read_delivery(body)).await {
            Ok(answer) => answers.push(answer),
            Err(error) => {
                print_error(&error.context(format!("message {id}")));
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
async fn answer(
    guard: &mut Guard<'_>,
    printer: &mut Printer,
    delivery: Result<Delivery, DeliveryError>,
) -> Result<Value> {
    let baselines = guard.baselines()?;
    let line = match guard.ask(&baselines, delivery) {
        Ask::Nothing(why) => {
            printer.note(&format!("the event asks nothing: {why}"));
            return Ok(json!({ "ignored": why }));
        }
        Ask::Sweep => {
            guard
                .reconcile(&baselines, Scope::Everything, Trigger::Sweep, Vec::new())
                .await?
        }
        Ask::Reconcile { event, vpcs, .. } => {
            let event_id = event.attribution().event_id;
            let line = guard
                .reconcile(&baselines, Scope::Vpcs(vpcs), Trigger::Event, vec![*event])
                .await
                .and_then(|line| {
                    printer.line(line.json());
                    printer.flush();
                    if line.read_everything() {
                        Ok(line)
                    } else {
                        anyhow::bail!("an account-region of the event could not be read")
                    }
                });
            return match line {
                Ok(line) => Ok(serde_json::to_value(&line)?),
                Err(error) => {
                    // Forgotten, so that the event is acted on when it
                    // comes again.
                    guard.forget(&event_id);
                    Err(error)
                }
            };
        }
    };
    printer.line(line.json());
    printer.flush();
    Ok(serde_json::to_value(&line)?)
}
