//! `nacl-drift export --format terraform`: the baselines' NACLs that no
//! given Terraform state holds, as Terraform configuration with `import {}`
//! blocks, to bring console-made NACLs under Terraform. The association
//! ids of the imports are read live (EC2, or `--live-file` exports).

use anyhow::Result;
use nacl_drift_config::Config;
use nacl_drift_model::VpcId;
use nacl_drift_printer::Printer;
use nacl_drift_printer::accounts::print_read_errors;
use nacl_drift_reconcile::Events;
use nacl_drift_terraform::hcl_of;

use crate::aws::TargetArgs;
use crate::baseline_dir::IntentArgs;
use crate::comparison::Live;
use crate::exit_status::ExitStatus;
use crate::live::LiveFileArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    intent: IntentArgs,

    /// Only this VPC's NACLs; repeat for several [default: every VPC of the
    /// baselines].
    #[arg(long = "vpc-id", value_name = "VPC")]
    vpc_ids: Vec<VpcId>,

    /// What to write: terraform (aws_network_acl, aws_network_acl_rule and
    /// aws_network_acl_association resources, with Terraform 1.5 import
    /// blocks).
    #[arg(long, value_enum)]
    format: ExportFormat,

    #[command(flatten)]
    live: LiveFileArgs,

    #[command(flatten)]
    target: TargetArgs,
}

/// The formats of `export`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ExportFormat {
    /// HCL, in terraform-aws-modules/vpc's style.
    Terraform,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let ExportFormat::Terraform = args.format;
    let (live_files, target) = (args.live.resolve(), args.target.resolve(config));
    let intent = args.intent.resolve(config, &target.aws);
    let live = Live::choose(&live_files, &target).await?;
    let (comparison, _) = live
        .compare(
            &intent,
            &args.intent.regions.regions,
            config,
            false,
            Events::NotAsked,
        )
        .await?;
    let unheld = comparison.not_in_terraform(&args.vpc_ids);
    let associations = comparison
        .association_subnets()
        .into_iter()
        .map(|(association, subnet)| (subnet, association))
        .collect();
    printer.text(&hcl_of(&unheld, &associations));
    if comparison.errors.is_empty() {
        return Ok(ExitStatus::Success);
    }
    // Their associations' import blocks are missing.
    print_read_errors(printer, &comparison.errors);
    Ok(ExitStatus::Failure)
}
