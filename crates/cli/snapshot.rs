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

use anyhow::{Context, Result, bail};
use nacl_drift_aws::{
    AccountSession, Ec2Live, OrgLive, SdkConfig, account_of, configured_region, enabled_regions,
};
use nacl_drift_config::Config;
use nacl_drift_model::{AccountId, ReadError, Region, VpcId};
use nacl_drift_snapshot::{Capture, FileOutcome, RegionSummary, capture};
use tokio::task::JoinSet;

use crate::accounts::{AccountArgs, print_read_errors};
use crate::aws::AwsArgs;
use crate::baseline_dir::BaselineDir;
use crate::exit_status::ExitStatus;
use crate::live::LiveFileArgs;
use nacl_drift_printer::Printer;

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

    #[command(flatten)]
    accounts: AccountArgs,

    #[command(flatten)]
    aws: AwsArgs,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let baseline_dir = args.baselines.resolve(config);
    let vpc_filter: BTreeSet<VpcId> = args.vpc_ids.iter().cloned().collect();
    let capture = if !args.live.live_files.is_empty() {
        read_exports(&args, vpc_filter)?
    } else if args.accounts.many() {
        read_many_accounts(&args, vpc_filter).await?
    } else {
        read_caller_account(&args, vpc_filter).await?
    };
    let errors = capture.errors.clone();
    let summaries = nacl_drift_snapshot::write(&baseline_dir, capture)?;
    print_summary(printer, &baseline_dir, &summaries);
    if errors.is_empty() {
        return Ok(ExitStatus::Success);
    }
    print_read_errors(printer, &errors);
    Ok(ExitStatus::Failure)
}

/// The exports of `--live-file`, as the one region `--region` names.
fn read_exports(args: &Args, vpc_filter: BTreeSet<VpcId>) -> Result<Capture> {
    let [region] = args.regions.as_slice() else {
        bail!(
            "--live-file needs exactly one --region: an export does not say which region it is of"
        );
    };
    let acls = args.live.read(&args.accounts.account_ids)?;
    let accounts = args.accounts.account_ids.iter().cloned().collect();
    Ok(Capture::of_exports(
        region.clone(),
        accounts,
        acls,
        vpc_filter,
    ))
}

/// The caller's account, in `--region` (else the configured region); STS
/// is asked in the first. Any region that fails fails the snapshot.
async fn read_caller_account(args: &Args, vpc_filter: BTreeSet<VpcId>) -> Result<Capture> {
    let config = args.aws.load().await?;
    let first = first_region(args, &config)?;
    let regions: BTreeSet<Region> = if args.all_regions {
        enabled_regions(&config, &first)
            .await
            .context("cannot list the enabled regions")?
            .into_iter()
            .collect()
    } else {
        args.regions.iter().cloned().collect()
    };
    let regions: BTreeSet<Region> = regions.into_iter().chain([first.clone()]).collect();
    let caller = account_of(&config, &first).await?;
    let source = Ec2Live::new(config);
    let regions = BTreeMap::from([(caller, regions)]);
    Ok(capture(source.clone(), source, regions, vpc_filter).await?)
}

/// Every account of `--accounts` or `--org`, each in its own regions (else
/// `--region`, else the configured region), concurrently. An account-region
/// that fails is reported and answers for nothing.
async fn read_many_accounts(args: &Args, vpc_filter: BTreeSet<VpcId>) -> Result<Capture> {
    let config = args.aws.load().await?;
    let mut accounts = args.accounts.list(&config).await?;
    // Each account's own regions, else --region, else the configured one;
    // with --all-regions, only the region DescribeRegions is asked in.
    let unlisted = accounts
        .accounts
        .iter()
        .find(|account| args.all_regions || account.regions.is_empty());
    if let Some(unlisted) = unlisted {
        let default_regions = if !args.regions.is_empty() {
            args.regions.clone()
        } else if args.all_regions {
            let asked = first_region(args, &config).ok();
            vec![asked.unwrap_or_else(|| Region::parse("us-east-1").expect("a region"))]
        } else {
            let region = first_region(args, &config)
                .with_context(|| format!("account {} lists no regions", unlisted.id))?;
            vec![region]
        };
        for account in &mut accounts.accounts {
            if args.all_regions || account.regions.is_empty() {
                account.regions = default_regions.clone();
            }
        }
    }
    let fallback = accounts.accounts[0].regions[0].clone();
    let sessions = args.accounts.sessions(&config, &accounts, &fallback).await;
    let mut errors = Vec::new();
    let mut targets: Vec<(AccountId, Vec<Region>)> = accounts
        .accounts
        .iter()
        .map(|account| (account.id.clone(), account.regions.clone()))
        .collect();
    if args.all_regions {
        (targets, errors) = all_enabled_regions(&sessions, targets).await;
    }
    let total = targets.iter().map(|(_, regions)| regions.len()).sum();
    let (bar, on_read) = args.accounts.progress(Some(total));
    let concurrency = usize::from(args.accounts.concurrency);
    let source = OrgLive::new(sessions.clone(), concurrency, Some(on_read));
    let labels = OrgLive::new(sessions, concurrency, None);
    let regions = targets
        .into_iter()
        .map(|(account, regions)| (account, regions.into_iter().collect()))
        .collect();
    let captured = capture(source, labels, regions, vpc_filter).await;
    bar.finish_and_clear();
    let mut captured = captured?;
    errors.append(&mut captured.errors);
    captured.errors = errors;
    Ok(captured)
}

/// Each account's enabled regions, asked in the first region it was given;
/// an account whose regions cannot be listed is an error, not read.
async fn all_enabled_regions(
    sessions: &[AccountSession],
    targets: Vec<(AccountId, Vec<Region>)>,
) -> (Vec<(AccountId, Vec<Region>)>, Vec<ReadError>) {
    let mut asked = JoinSet::new();
    for ((account, regions), session) in targets.into_iter().zip(sessions) {
        let config = session.config.clone();
        asked.spawn(async move {
            let region = regions[0].clone();
            let enabled = enabled_regions(&config, &region).await;
            (account, region, enabled)
        });
    }
    let (mut targets, mut errors) = (Vec::new(), Vec::new());
    for (account, region, enabled) in asked.join_all().await {
        match enabled {
            Ok(regions) => targets.push((account, regions)),
            Err(error) => errors.push(ReadError {
                account,
                region,
                operation: error.operation.to_owned(),
                code: error.code,
                message: error.message,
            }),
        }
    }
    targets.sort();
    (targets, errors)
}

/// The first `--region`, else the configured one.
fn first_region(args: &Args, config: &SdkConfig) -> Result<Region> {
    if let Some(region) = args.regions.first() {
        return Ok(region.clone());
    }
    let Some(configured) = configured_region(config) else {
        bail!("no AWS region: pass --region, or set AWS_REGION or a region in your profile");
    };
    Region::parse(configured).context("the configured AWS region is unusable")
}

fn print_summary(
    printer: &mut Printer,
    dir: &std::path::Path,
    summaries: &BTreeMap<Region, RegionSummary>,
) {
    let mut header = vec!["region", "VPCs", "NACLs", "entries"];
    header.extend(FileOutcome::ALL.map(FileOutcome::label));
    let mut table = printer.table(header);
    let mut totals = RegionSummary::default();
    for (region, summary) in summaries {
        let mut row = vec![
            region.to_string(),
            summary.vpcs.to_string(),
            summary.acls.to_string(),
            summary.entries.to_string(),
        ];
        for column in FileOutcome::ALL {
            let count = summary.files.get(&column).copied().unwrap_or(0);
            *totals.files.entry(column).or_default() += count;
            row.push(count.to_string());
        }
        totals.vpcs += summary.vpcs;
        totals.acls += summary.acls;
        totals.entries += summary.entries;
        table.add_row(row);
    }
    if summaries.len() > 1 {
        let mut row = vec![
            "total".to_owned(),
            totals.vpcs.to_string(),
            totals.acls.to_string(),
            totals.entries.to_string(),
        ];
        row.extend(
            FileOutcome::ALL
                .map(|column| totals.files.get(&column).copied().unwrap_or(0).to_string()),
        );
        table.add_row(row);
    }
    printer.print_table(table);
    printer.line(format!("Baselines in {}", dir.display()));
}
