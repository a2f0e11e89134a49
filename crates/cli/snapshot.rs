//! `nacl-drift snapshot`: capture live network ACLs into baseline files.
//!
//! Live state comes from EC2, or from `aws ec2 describe-network-acls`
//! exports (`--live-file`). Every region is read before any file is written,
//! so a failure leaves the baselines as they were. Files are written
//! atomically and only when their bytes change, and baselines of VPCs that
//! no longer exist within the snapshot's scope are removed: in every region
//! it read, for the caller's account (or `--account`) and every account it
//! saw, even when a region holds no VPC of that account any more.
//!
//! With `--accounts` or `--org`, every account is read in its regions,
//! concurrently. An account-region that cannot be read is reported (exit 1)
//! and its baselines are left byte for byte as they were; the others are
//! written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use nacl_drift_aws::{
    AwsSource, Ec2Live, OrgLive, SdkConfig, account_of, account_sessions, configured_region,
    enabled_regions, enabled_regions_of, home_region, list_accounts,
};
use nacl_drift_config::Config;
use nacl_drift_model::{AccountId, Region, VpcId};
use nacl_drift_reconcile::TerraformStates;
use nacl_drift_snapshot::{Capture, capture};
use nacl_drift_terraform::StateLocation;

use crate::aws::{RunTarget, TargetArgs};
use crate::baseline_dir::BaselineDir;
use crate::exit_status::ExitStatus;
use crate::live::{LiveFileArgs, LiveFiles};
use nacl_drift_printer::Printer;
use nacl_drift_printer::accounts::{print_read_errors, progress};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    /// A region to snapshot; repeat for several (default: the configured region).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<Region>,

    /// Every region enabled in each account (EC2 DescribeRegions), instead
    /// of --region or the accounts file's.
    #[arg(long, conflicts_with_all = ["regions", "live_files"])]
    all_regions: bool,

    /// Only this VPC; repeat for several (default: every VPC in the regions).
    #[arg(long = "vpc-id", value_name = "VPC")]
    vpc_ids: Vec<VpcId>,

    /// With --live-file, exactly one --region: an export does not say
    /// which region it is of.
    #[command(flatten)]
    live: LiveFileArgs,

    /// Write the baselines of what a Terraform or OpenTofu state declares
    /// (a state, `terraform show -json` or plan JSON; a local file or the
    /// S3 backend's s3://BUCKET/KEY), each NACL's address beside it,
    /// instead of reading EC2.
    #[arg(
        long,
        value_name = "PATH|s3://BUCKET/KEY",
        conflicts_with_all = ["all_regions", "live_files", "vpc_ids"]
    )]
    from_terraform: Option<StateLocation>,

    #[command(flatten)]
    target: TargetArgs,
}

/// `snapshot`, resolved: where to read, and where to write.
struct Settings {
    baseline_dir: PathBuf,
    /// `--region` (empty: the configured region).
    regions: Vec<Region>,
    all_regions: bool,
    /// `--vpc-id` (empty: every VPC).
    vpc_filter: BTreeSet<VpcId>,
    live_files: LiveFiles,
    from_terraform: Option<StateLocation>,
    target: RunTarget,
}

impl Args {
    /// The flags, with the config file's baseline folder.
    fn resolve(self, config: &Config) -> Settings {
        Settings {
            baseline_dir: self.baselines.resolve(config),
            regions: self.regions,
            all_regions: self.all_regions,
            vpc_filter: self.vpc_ids.into_iter().collect(),
            live_files: self.live.resolve(),
            from_terraform: self.from_terraform,
            target: self.target.resolve(config),
        }
    }
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let settings = args.resolve(config);
    let capture = if let Some(state) = &settings.from_terraform {
        let states = TerraformStates::new(vec![state.clone()], None)
            .reading_s3_through(settings.target.aws.state_store());
        Capture::of_state(&*states.intent_of(state, &settings.regions).await?)
    } else if settings.live_files.any() {
        read_exports(&settings)?
    } else if settings.target.accounts.many() {
        read_many_accounts(&settings).await?
    } else {
        read_caller_account(&settings).await?
    };
    let errors = capture.errors.clone();
    nacl_drift_printer::snapshot::warn_unlabelled(printer, &capture.unlabelled);
    let summaries = nacl_drift_snapshot::write(&settings.baseline_dir, capture)?;
    nacl_drift_printer::snapshot::print_summary(printer, &settings.baseline_dir, &summaries);
    if errors.is_empty() {
        return Ok(ExitStatus::Success);
    }
    print_read_errors(printer, &errors);
    Ok(ExitStatus::Failure)
}

/// The exports of `--live-file`, as the one region `--region` names.
fn read_exports(settings: &Settings) -> Result<Capture> {
    let [region] = settings.regions.as_slice() else {
        bail!(
            "--live-file needs exactly one --region: an export does not say which region it is of"
        );
    };
    let (acls, assets) = settings.live_files.read(&settings.target.accounts.only)?;
    if !assets.is_empty() {
        bail!(
            "snapshot records network ACLs only: exports of network interfaces, security groups, route tables or instances are for diff --assets"
        );
    }
    let accounts = settings.target.accounts.only.iter().cloned().collect();
    let vpc_filter = settings.vpc_filter.clone();
    let completeness = settings.live_files.completeness;
    let capture = Capture::of_exports(region.clone(), accounts, acls, vpc_filter, completeness);
    Ok(capture)
}

/// The caller's account, in `--region` (else the configured region); STS
/// is asked in the first. Any region that fails fails the snapshot.
async fn read_caller_account(settings: &Settings) -> Result<Capture> {
    let config = settings.target.aws.load().await?;
    let first = first_region(settings, &config)?;
    let regions: BTreeSet<Region> = if settings.all_regions {
        enabled_regions(&config, &first)
            .await
            .context("cannot list the enabled regions")?
            .into_iter()
            .collect()
    } else {
        settings.regions.iter().cloned().collect()
    };
    let regions: BTreeSet<Region> = regions.into_iter().chain([first.clone()]).collect();
    let caller = account_of(&config, &first).await?;
    let source = Ec2Live::new(config);
    let labels = AwsSource::Caller(Box::new(source.clone()));
    let regions = BTreeMap::from([(caller, regions)]);
    let vpc_filter = settings.vpc_filter.clone();
    Ok(capture(source, labels, regions, vpc_filter).await?)
}

/// Every account of `--accounts` or `--org`, each in its own regions (else
/// `--region`, else the configured region), concurrently. An account-region
/// that fails is reported and answers for nothing.
async fn read_many_accounts(settings: &Settings) -> Result<Capture> {
    let config = settings.target.aws.load().await?;
    let mut accounts = list_accounts(&config, &settings.target.accounts).await?;
    let all_regions = settings.all_regions;
    // Each account's own regions, else --region, else the configured one;
    // with --all-regions, only the region DescribeRegions is asked in.
    accounts.give_regions(all_regions, |unlisted| -> Result<_> {
        Ok(match settings.regions.is_empty() {
            false => settings.regions.clone(),
            true if all_regions => vec![home_region(&config)],
            true => vec![
                first_region(settings, &config)
                    .with_context(|| format!("account {unlisted} lists no regions"))?,
            ],
        })
    })?;
    let fallback = accounts.accounts[0].regions[0].clone();
    let sessions = account_sessions(&config, &accounts, &fallback).await;
    let mut errors = Vec::new();
    let mut targets: Vec<(AccountId, Vec<Region>)> = accounts
        .accounts
        .iter()
        .map(|account| (account.id.clone(), account.regions.clone()))
        .collect();
    if all_regions {
        (targets, errors) = enabled_regions_of(&sessions, targets).await;
    }
    let total = targets.iter().map(|(_, regions)| regions.len()).sum();
    let (bar, on_read) = progress(Some(total), settings.target.accounts.quiet);
    let concurrency = settings.target.accounts.concurrency;
    let source = OrgLive::new(sessions.clone(), concurrency, Some(on_read));
    let labels = AwsSource::Accounts(OrgLive::new(sessions, concurrency, None));
    let regions = targets
        .into_iter()
        .map(|(account, regions)| (account, regions.into_iter().collect()))
        .collect();
    let captured = capture(source, labels, regions, settings.vpc_filter.clone()).await;
    bar.finish_and_clear();
    let mut captured = captured?;
    errors.append(&mut captured.errors);
    captured.errors = errors;
    Ok(captured)
}

/// The first `--region`, else the configured one.
fn first_region(settings: &Settings, config: &SdkConfig) -> Result<Region> {
    if let Some(region) = settings.regions.first() {
        return Ok(region.clone());
    }
    let Some(configured) = configured_region(config) else {
        bail!("no AWS region: pass --region, or set AWS_REGION or a region in your profile");
    };
    Region::parse(configured).context("the configured AWS region is unusable")
}
