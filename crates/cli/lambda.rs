//! `nacl-drift lambda`: the guard as an AWS Lambda function, on a custom
//! runtime (`provided.al2023`, this binary packaged as `bootstrap`). The
//! Runtime API loop is `lambda_runtime`'s; each invocation's answer is the
//! guard's (`nacl_drift_guard::lambda`), and each line is also printed to
//! the function's log. Flags come from the environment too (`NACL_DRIFT_RESTORE`,
//! ...), as Lambda passes no arguments; the baselines are
//! `$LAMBDA_TASK_ROOT/baselines` unless told otherwise. The flapping brake
//! and the duplicate check live as long as the function's instance does.

use std::path::PathBuf;

use anyhow::Result;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use nacl_drift_config::Config;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::aws::TargetArgs;
use crate::exit_status::ExitStatus;
use crate::guard::{GuardArgs, LineFormat, print_said, start, with_context};
use nacl_drift_printer::Printer;

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
    target: TargetArgs,
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
    let target = args.target.resolve(config);
    let settings = args
        .guard
        .resolve(config, &target.aws, task_root.join("baselines"));
    let guard = start(settings, &target, config).await?;
    let guard = Mutex::new(guard);
    let printer = Mutex::new(printer);
    let handler = service_fn(|event: LambdaEvent<Value>| {
        let (guard, printer) = (&guard, &printer);
        async move {
            let mut guard = guard.lock().await;
            let mut printer = printer.lock().await;
            let mut say = |said| print_said(&mut printer, LineFormat::Ndjson, said);
            nacl_drift_guard::lambda::answer(&mut guard, event.payload, &mut say)
                .await
                .map_err(|error| {
                    let error = with_context(error, String::new());
                    printer.failure(error.as_ref());
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
