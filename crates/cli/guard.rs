//! What `watch` and `lambda` share in the binary: the guard's flags,
//! resolved into its settings, and EC2 and SQS as the guard's edge. The
//! guard itself is the `nacl-drift-guard` crate.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use nacl_drift_aws::{AwsEdge, SecurityHub, SnsTopic};
use nacl_drift_config::Config;
use nacl_drift_guard::{Guard, Said, Settings, Standing};
use nacl_drift_model::TopicArn;
use nacl_drift_reconcile::WithTerraform;

use crate::aws::{Aws, RunTarget};
use crate::baseline_dir::IntentArgs;
use crate::comparison::Live;
use crate::exit_status::ExitStatus;
use crate::live::LiveFiles;
use nacl_drift_printer::Printer;

/// What the guard may do, for `watch` and `lambda` alike. Each flag can
/// also come from the environment, as a Lambda takes no arguments.
#[derive(clap::Args, Debug)]
pub struct GuardArgs {
    #[command(flatten)]
    intent: IntentArgs,

    /// Restore drift (as `apply --yes` would), then verify; without it,
    /// report only.
    #[arg(long, env = "NACL_DRIFT_RESTORE")]
    restore: bool,

    /// With --restore: also delete live entries that the baseline lacks.
    #[arg(long, env = "NACL_DRIFT_PRUNE", requires = "restore")]
    prune: bool,

    /// Stop restoring a NACL restored this many times within --flap-window.
    #[arg(long, value_name = "N", default_value_t = 3, env = "NACL_DRIFT_FLAP_LIMIT",
          value_parser = clap::value_parser!(u16).range(1..))]
    flap_limit: u16,

    /// The window of the flapping brake: 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "10m", env = "NACL_DRIFT_FLAP_WINDOW",
          value_parser = humantime::parse_duration)]
    flap_window: Duration,

    /// Publish a message to this SNS topic for each reconcile that finds
    /// drift (a failed publish never stops a restore; the line says so).
    #[arg(long, value_name = "ARN", env = "NACL_DRIFT_SNS_TOPIC_ARN")]
    sns_topic_arn: Option<TopicArn>,

    /// Import a Security Hub finding for each change found (BatchImportFindings,
    /// in the NACL's region): NEW while the drift stands, RESOLVED once a
    /// restore is verified.
    #[arg(long, env = "NACL_DRIFT_SECURITY_HUB")]
    security_hub: bool,

    /// The network interfaces each effect newly exposes or cuts off, in the
    /// line and the alert [default: the config file's `[assets] enabled`].
    #[arg(long, env = "NACL_DRIFT_ASSETS")]
    assets: bool,
}

/// The guard's settings, and where its alerts go.
pub struct GuardSettings {
    pub guard: Settings,
    /// The baselines and Terraform states: the guard's intent.
    pub intent: WithTerraform,
    pub topic: Option<TopicArn>,
    pub security_hub: bool,
}

impl GuardArgs {
    /// The guard's settings, with the config file's baseline folder, else
    /// `default_dir`; states in S3 read as `aws` says.
    pub fn resolve(self, config: &Config, aws: &Aws, default_dir: PathBuf) -> GuardSettings {
        GuardSettings {
            intent: self.intent.resolve_or(config, aws, default_dir),
            guard: Settings {
                regions: self.intent.regions.regions,
                restore: self.restore,
                prune: self.prune,
                flap_limit: usize::from(self.flap_limit),
                flap_window: self.flap_window,
                assets: self.assets || config.assets,
            },
            topic: self.sns_topic_arn,
            security_hub: self.security_hub,
        }
    }
}

/// The guard of `settings`, on EC2 as `target` says, alerting its topic
/// with the credentials in use and importing each finding in its own
/// account: asks STS who nacl-drift is, to know its own calls.
pub async fn start(
    settings: GuardSettings,
    target: &RunTarget,
    config: &Config,
) -> Result<Guard<AwsEdge>> {
    let no_exports = LiveFiles::default();
    let live = Live::choose(&no_exports, target).await?;
    let identity = live.identity().await?;
    let Some(source) = live.source() else {
        anyhow::bail!("the guard reads live state from AWS, not from exports");
    };
    let topic = match settings.topic {
        Some(arn) => Some(SnsTopic::new(&target.aws.load().await?, arn)),
        None => None,
    };
    // Each finding is imported in its own account, as its live state is read.
    let hub = settings
        .security_hub
        .then(|| SecurityHub::new(source.clone()));
    let edge = AwsEdge { source, topic, hub };
    let intent = settings.intent;
    Ok(Guard::new(settings.guard, intent, edge, identity, config))
}

/// How the line of a reconcile is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LineFormat {
    /// One JSON object per reconcile.
    Ndjson,
    /// One sentence.
    Text,
}

/// Prints what the guard says: a line on stdout at once, notes, warnings
/// and errors on stderr.
pub fn print_said(printer: &mut Printer, format: LineFormat, said: Said) {
    match said {
        Said::Line(line) => {
            if let Some(unalerted) = line.unalerted() {
                printer.warning(&unalerted);
            }
            if let Some(unimported) = line.unimported() {
                printer.warning(&unimported);
            }
            match format {
                LineFormat::Ndjson => printer.line(line.json()),
                LineFormat::Text => printer.line(line.text()),
            }
            printer.flush();
        }
        Said::Note(note) => printer.note(&note),
        Said::Warning(warning) => printer.warning(&warning),
        Said::Error { context, error } => printer.failure(with_context(error, context).as_ref()),
    }
}

/// `error`, after what could not be done (when said).
pub fn with_context(error: nacl_drift_guard::GuardError, context: String) -> anyhow::Error {
    let error = anyhow::Error::new(error);
    if context.is_empty() {
        error
    } else {
        error.context(context)
    }
}

/// How a command ends on `standing`.
pub fn exit_status(standing: Standing) -> ExitStatus {
    match standing {
        Standing::InSync => ExitStatus::Success,
        Standing::Drifted => ExitStatus::Found,
        Standing::Failed => ExitStatus::Failure,
    }
}
