//! The `nacl-drift` command line: snapshot AWS network ACLs into versioned
//! YAML baselines, compare live state with them, and check baselines.
//!
//! One module per subcommand, each with an `Args` struct and a `run`
//! function. Only this binary loads AWS configuration ([`aws`]); the library
//! crates take clients that are already built. Everything meant for the
//! user's eyes, errors included, goes through `nacl_drift_printer`; logs go
//! to stderr.

mod accounts;
mod apply;
mod attribution;
mod aws;
mod baseline_dir;
mod comparison;
mod completions;
mod diff;
mod doctor;
mod exit_status;
mod export;
mod guard;
mod lambda;
mod lint;
mod live;
mod logging;
mod man;
mod project;
mod snapshot;
mod timeline;
mod validate;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use nacl_drift_config::Config;

use crate::exit_status::ExitStatus;
use nacl_drift_printer::Printer;

/// mimalloc: parsing an estate makes and frees millions of small strings,
/// which it does in a third less time than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Guards AWS network ACLs against drift.
#[derive(Parser)]
#[command(name = "nacl-drift", version, about, long_about = None)]
pub struct Cli {
    /// More logging on stderr: -v for nacl-drift's debug logs and the AWS
    /// SDK's warnings, -vv for everything. RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    /// The project's config file [default: nacl-drift.toml in the current
    /// folder or the nearest one above it, up to the repository root or the
    /// home folder, owned by you and writable by you alone].
    #[arg(long, global = true, value_name = "FILE", env = "NACL_DRIFT_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Project(Box<ProjectCommand>),
    /// Print the completion script for a shell.
    Completions(completions::Args),
    /// Print the manual page (roff), or a subcommand's.
    Man(man::Args),
    /// Check what the commands and the guard rely on: the config, the
    /// baselines, credentials, permissions, CloudTrail (exit 0 ok, 2 warn, 1 fail).
    Doctor(Box<doctor::Args>),
}

/// The commands that work on a project: its config file applies.
#[derive(Subcommand)]
enum ProjectCommand {
    /// Capture every network ACL into YAML baselines, one file per VPC.
    Snapshot(snapshot::Args),
    /// Compare live network ACLs with the baselines (exit 0 in sync, 2 on drift).
    Diff(diff::Args),
    /// Restore the baselines after an incident: plan, confirm, apply, verify.
    #[command(visible_alias = "restore")]
    Apply(apply::Args),
    /// The restore's plan, and nothing made: `apply --dry-run`.
    #[command(hide = true)]
    Plan(apply::Args),
    /// Check the baselines for exposure and mistakes, without calling AWS.
    Lint(lint::Args),
    /// Check baseline files without calling AWS.
    Validate(validate::Args),
    /// Print the accounts of --accounts or --org as an accounts file.
    Accounts(accounts::ListArgs),
    /// Print the baselines' NACLs that no Terraform state holds as
    /// Terraform configuration, with import blocks.
    Export(export::Args),
    /// Each NACL's history since --since, replayed from its baseline through
    /// CloudTrail: how long each exposure was open, who opened and closed it
    /// (exit 0 none, 2 windows).
    Timeline(timeline::Args),
    /// Guard the baselines: reconcile every --interval or on each event from
    /// --sqs-queue-url, and restore with --restore.
    Watch(watch::Args),
    /// Guard the baselines as an AWS Lambda function (what `bootstrap` runs
    /// when Lambda starts it with no arguments).
    Lambda(lambda::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(arguments()) {
        Ok(cli) => cli,
        Err(mut error) => {
            if let Some(tip) = tip_for(&error) {
                use clap::error::{ContextKind, ContextValue};
                error.insert(
                    ContextKind::Suggested,
                    ContextValue::StyledStrs(vec![tip.into()]),
                );
            }
            // clap exits 2 on a usage error, which nacl-drift keeps for drift.
            let _ = error.print();
            let status = if error.use_stderr() {
                ExitStatus::Failure
            } else {
                ExitStatus::Success
            };
            return status.into();
        }
    };
    logging::init(cli.verbose);
    let mut printer = Printer::stdout();
    let outcome = match cli.command {
        Command::Completions(args) => completions::run(args, &mut printer),
        Command::Man(args) => man::run(args, &mut printer),
        Command::Doctor(args) => {
            block_on(|| doctor::run(*args, cli.config.as_deref(), &mut printer))
        }
        Command::Project(command) => project::load(cli.config.as_deref(), &printer)
            .and_then(|config| block_on(|| run(*command, &config, &mut printer))),
    };
    match outcome {
        Ok(status) => status.into(),
        Err(error) => {
            printer.failure(error.as_ref());
            ExitStatus::Failure.into()
        }
    }
}

/// A tip for a flag people bring from other tools, which clap's own
/// suggestions (by spelling) do not find.
fn tip_for(error: &clap::Error) -> Option<&'static str> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(flag)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    match flag.split('=').next().unwrap_or_default() {
        "--output" | "-o" => Some("nacl-drift names it --format (table, json, ...)"),
        "--all-regions" => Some(
            "snapshot takes --all-regions; the other commands cover every region of the baselines, and --region narrows them",
        ),
        _ => None,
    }
}

/// Runs a command on the runtime of the AWS calls.
fn block_on<Fut: Future<Output = Result<ExitStatus>>>(
    make: impl FnOnce() -> Fut + Send,
) -> Result<ExitStatus> {
    nacl_drift_aws::block_on(make)?
}

/// The command line; when Lambda starts the binary (as `bootstrap`, with
/// no arguments), `nacl-drift lambda`.
fn arguments() -> Vec<std::ffi::OsString> {
    let mut arguments: Vec<_> = std::env::args_os().collect();
    if arguments.len() == 1 && std::env::var_os(lambda::RUNTIME_API).is_some() {
        arguments.push("lambda".into());
    }
    arguments
}

async fn run(
    command: ProjectCommand,
    config: &Config,
    printer: &mut Printer,
) -> Result<ExitStatus> {
    match command {
        ProjectCommand::Snapshot(args) => snapshot::run(args, config, printer).await,
        ProjectCommand::Diff(args) => diff::run(args, config, printer).await,
        ProjectCommand::Apply(args) => apply::run(args, config, printer).await,
        ProjectCommand::Plan(args) => apply::run(args.dry_run(), config, printer).await,
        ProjectCommand::Lint(args) => lint::run(args, config, printer),
        ProjectCommand::Validate(args) => validate::run(args, config, printer),
        ProjectCommand::Accounts(args) => accounts::run(args, printer).await,
        ProjectCommand::Export(args) => export::run(args, config, printer).await,
        ProjectCommand::Timeline(args) => timeline::run(args, config, printer).await,
        ProjectCommand::Watch(args) => watch::run(args, config, printer).await,
        ProjectCommand::Lambda(args) => lambda::run(args, config, printer).await,
    }
}
