//! `nacl-drift doctor`: checks what the other commands and the guard rely
//! on, for the accounts and regions of the baselines, and says how to fix
//! what fails. Each check is `ok`, `warn` or `fail`; the exit code is 0
//! when all are ok, 2 when one warns, 1 when one fails.
//!
//! The checks themselves are the `nacl-drift-doctor` crate's; this module
//! resolves the config, the credentials and the accounts, and prints.

use std::path::Path;

use anyhow::Result;
use nacl_drift_aws::configured_region;
use nacl_drift_config::Config;
use nacl_drift_doctor::{
    AWS_COMMANDS, CheckStatus, Checks, GuardSetup, check_accounts, check_assets, check_baselines,
    check_event_bus, check_identity, check_places, check_queue, check_regions, check_security_hub,
    check_terraform_states, check_topic,
};
use nacl_drift_model::{EventBusArn, Region, TopicArn};
use nacl_drift_printer::Printer;
use nacl_drift_reconcile::{IntentSource, WithTerraform};

use crate::aws::{RunTarget, TargetArgs};
use crate::baseline_dir::IntentArgs;
use crate::comparison::Live;
use crate::exit_status::ExitStatus;
use crate::live::LiveFiles;
use crate::project;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    intent: IntentArgs,

    /// Check for the guard too (`watch --sqs-queue-url`, `lambda`): in each
    /// region, a trail that records NACL calls and an EventBridge rule that
    /// sends them on.
    #[arg(long)]
    guard: bool,

    /// The guard's queue (`watch --sqs-queue-url`): a rule must send NACL
    /// calls to it, and its policy must let EventBridge do so. Implies --guard.
    #[arg(long, value_name = "URL")]
    sqs_queue_url: Option<String>,

    /// The topic of the guard's alerts (`--sns-topic-arn`): it must exist,
    /// and the credentials must reach it (GetTopicAttributes).
    #[arg(long, value_name = "ARN")]
    sns_topic_arn: Option<TopicArn>,

    /// The guard's `--security-hub`: Security Hub must be enabled in each
    /// region of the baselines (DescribeHub).
    #[arg(long)]
    security_hub: bool,

    /// The reads of `--assets` (network interfaces, security groups, route
    /// tables) in each region of the baselines [default: the config file's
    /// `[assets] enabled`].
    #[arg(long)]
    assets: bool,

    /// The organization guard's central event bus (examples/org-guard):
    /// its policy must admit the organization of the credentials in use
    /// (aws:PrincipalOrgID) and nobody else.
    #[arg(long, value_name = "ARN")]
    event_bus_arn: Option<EventBusArn>,

    /// Lines for people, or one JSON object.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    format: TextOrJson,

    #[command(flatten)]
    target: TargetArgs,
}

/// `--format` of the commands that print text or JSON (doctor, apply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

/// `doctor`, resolved once the config file is read (which is one of its
/// checks).
struct Settings {
    intent: WithTerraform,
    regions: Vec<Region>,
    /// Check for the guard too.
    guard: bool,
    queue_url: Option<String>,
    topic: Option<TopicArn>,
    security_hub: bool,
    event_bus: Option<EventBusArn>,
    assets: bool,
    format: TextOrJson,
    target: RunTarget,
}

impl Args {
    /// The flags, with `config`'s baseline folder.
    fn resolve(self, config: &Config) -> Settings {
        let target = self.target.resolve(config);
        Settings {
            intent: self.intent.resolve(config, &target.aws),
            regions: self.intent.regions.regions,
            guard: self.guard || self.sqs_queue_url.is_some(),
            queue_url: self.sqs_queue_url,
            topic: self.sns_topic_arn,
            security_hub: self.security_hub,
            event_bus: self.event_bus_arn,
            assets: self.assets || config.assets,
            format: self.format,
            target,
        }
    }
}

pub async fn run(
    args: Args,
    config_path: Option<&Path>,
    printer: &mut Printer,
) -> Result<ExitStatus> {
    let mut checks = Checks::default();
    let config = match project::load(config_path, printer) {
        Ok(config) => {
            let detail = if config.path.as_os_str().is_empty() {
                "no nacl-drift.toml: the defaults apply".to_owned()
            } else {
                format!("{} is valid", config.path.display())
            };
            checks.add("config", "every command", CheckStatus::Ok, detail);
            config
        }
        Err(error) => {
            checks.add(
                "config",
                "every command",
                CheckStatus::Fail,
                format!("{error:#}"),
            );
            Config::none()
        }
    };
    let settings = args.resolve(&config);
    check_terraform_states(&mut checks, &settings.intent.states, &settings.regions).await;
    let read = settings.intent.intent(&settings.regions).await;
    let baselines = check_baselines(&mut checks, &settings.intent.folder, read);
    let loaded = settings.target.aws.load().await;
    let configured = loaded.as_ref().ok().and_then(configured_region);
    check_regions(&mut checks, baselines.as_ref(), configured);
    let aws_config = match loaded {
        Ok(aws_config) => aws_config,
        Err(error) => {
            let detail = error.to_string();
            checks.add("credentials", AWS_COMMANDS, CheckStatus::Fail, detail);
            print(printer, settings.format, &checks);
            return Ok(ExitStatus::Failure);
        }
    };
    let no_exports = LiveFiles::default();
    let live = Live::choose(&no_exports, &settings.target).await?;
    match live.identity().await {
        Ok(identity) => {
            check_identity(&mut checks, &identity);
            let queue = match &settings.queue_url {
                Some(url) => check_queue(&mut checks, &aws_config, url).await,
                None => None,
            };
            if let Some(topic) = &settings.topic {
                check_topic(&mut checks, &aws_config, topic).await;
            }
            if let Some(bus) = &settings.event_bus {
                check_event_bus(&mut checks, &aws_config, bus).await;
            }
            if let (Some(baselines), Some(source)) = (&baselines, live.source()) {
                let places: Vec<_> = baselines.places().into_iter().collect();
                if settings.security_hub {
                    check_security_hub(&mut checks, &source, &places).await;
                }
                if settings.assets {
                    check_assets(&mut checks, &source, &places).await;
                }
                check_accounts(&mut checks, baselines, &identity);
                let guard = settings.guard.then_some(GuardSetup { queue });
                check_places(&mut checks, &source, baselines, &identity, guard.as_ref()).await;
            }
        }
        Err(error) => {
            let detail = format!("{error:#}");
            checks.add("credentials", AWS_COMMANDS, CheckStatus::Fail, detail);
        }
    }
    print(printer, settings.format, &checks);
    Ok(match checks.worst() {
        CheckStatus::Ok => ExitStatus::Success,
        CheckStatus::Warn => ExitStatus::Found,
        CheckStatus::Fail => ExitStatus::Failure,
    })
}

fn print(printer: &mut Printer, format: TextOrJson, checks: &Checks) {
    match format {
        TextOrJson::Json => printer.line(checks.json()),
        TextOrJson::Text => {
            for line in checks.lines() {
                printer.line(line);
            }
        }
    }
}
