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
    AccountSession, SdkConfig, account_of, configured_region, ec2_client, enabled_regions,
    every_vpc, read_accounts, read_regions, subnet_labels,
};
use nacl_drift_diff::ReadError;
use nacl_drift_model::{
    AccountId, ObservedAcl, Region, RegionRecord, Scope, SubnetLabels, VpcId, WriteOutcome,
    baselines_for_region, remove_baseline, remove_region_record, vpc_ids_with_baselines,
    write_baseline, write_region_record,
};
use tokio::task::JoinSet;

use nacl_drift_config::Config;

use crate::accounts::{AccountArgs, print_read_errors};
use crate::aws::AwsArgs;
use crate::baseline_dir::BaselineDir;
use crate::exit_status::ExitStatus;
use crate::live::LiveFileArgs;
use crate::printer::Printer;

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

/// What the snapshot found and did in one region.
#[derive(Default)]
struct RegionSummary {
    vpcs: usize,
    acls: usize,
    entries: usize,
    files: BTreeMap<&'static str, usize>,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let baseline_dir = args.baselines.resolve(config);
    let vpc_filter: BTreeSet<VpcId> = args.vpc_ids.iter().cloned().collect();
    let read = if !args.live.live_files.is_empty() {
        read_exports(&args, &vpc_filter)?
    } else if args.accounts.many() {
        read_many_accounts(&args, &vpc_filter).await?
    } else {
        read_caller_account(&args, &vpc_filter).await?
    };
    let scope = Scope {
        regions: read.regions.keys().cloned().collect(),
        vpc_ids: (!vpc_filter.is_empty()).then(|| vpc_filter.clone()),
    };

    let mut summaries = BTreeMap::new();
    for (region, RegionRead { mut accounts, acls }) in read.regions {
        accounts.extend(acls.iter().map(|acl| acl.account.clone()));
        let mut summary = RegionSummary {
            acls: acls.len(),
            entries: acls.iter().map(|observed| observed.acl.entries.len()).sum(),
            ..RegionSummary::default()
        };
        let mut by_account: BTreeMap<AccountId, Vec<ObservedAcl>> = BTreeMap::new();
        for acl in acls {
            by_account.entry(acl.account.clone()).or_default().push(acl);
        }
        let mut written: BTreeSet<(AccountId, VpcId)> = BTreeSet::new();
        for (account, acls) in by_account {
            // An account's scope is the regions asked of it, read or not, so
            // that a region that failed this time does not rewrite the rest.
            let scope = read.scopes.get(&account).unwrap_or(&scope);
            let no_labels = SubnetLabels::new();
            let labels = read
                .labels
                .get(&(account.clone(), region.clone()))
                .unwrap_or(&no_labels);
            for baseline in baselines_for_region(&region, scope, acls) {
                let (path, outcome) = write_baseline(&baseline_dir, &baseline, labels)?;
                tracing::debug!(path = %path.display(), ?outcome, "baseline");
                *summary.files.entry(outcome_label(outcome)).or_default() += 1;
                written.insert((baseline.account, baseline.vpc_id));
            }
        }
        summary.vpcs = written.len();
        for account in &accounts {
            for vpc_id in vpc_ids_with_baselines(&baseline_dir, account, &region)? {
                let gone = !written.contains(&(account.clone(), vpc_id.clone()));
                if gone && scope.covers_vpc(&vpc_id) {
                    let path = remove_baseline(&baseline_dir, account, &region, &vpc_id)?;
                    tracing::info!(path = %path.display(), "removed the baseline of a VPC that no longer exists");
                    *summary.files.entry("removed").or_default() += 1;
                }
            }
        }
        for vpc_id in &vpc_filter {
            if !written.iter().any(|(_, written_vpc)| written_vpc == vpc_id) {
                tracing::warn!("{region}: no network ACLs found for {vpc_id}");
            }
        }
        if vpc_filter.is_empty() {
            record_empty_region(&baseline_dir, &region, &accounts, &written, &mut summary)?;
        }
        summaries.insert(region, summary);
    }

    print_summary(printer, &baseline_dir, &summaries);
    if read.errors.is_empty() {
        return Ok(ExitStatus::Success);
    }
    print_read_errors(printer, &read.errors);
    Ok(ExitStatus::Failure)
}

/// Records each account that the region, read whole, held no VPC of
/// ([`RegionRecord`]), so that the baselines still cover the region; and
/// removes the record of an account that has a VPC there again.
fn record_empty_region(
    baseline_dir: &std::path::Path,
    region: &Region,
    accounts: &BTreeSet<AccountId>,
    written: &BTreeSet<(AccountId, VpcId)>,
    summary: &mut RegionSummary,
) -> Result<()> {
    for account in accounts {
        if written.iter().any(|(holder, _)| holder == account) {
            if remove_region_record(baseline_dir, account, region)?.is_some() {
                *summary.files.entry("removed").or_default() += 1;
            }
            continue;
        }
        let scope = Scope {
            regions: BTreeSet::from([region.clone()]),
            vpc_ids: None,
        };
        let record = RegionRecord::new(account.clone(), region.clone(), scope);
        let (_, outcome) = write_region_record(baseline_dir, &record)?;
        *summary.files.entry(outcome_label(outcome)).or_default() += 1;
    }
    Ok(())
}

/// What one region's read answers for: the accounts whose baselines there
/// it may rewrite or remove, and the NACLs it found.
#[derive(Default)]
struct RegionRead {
    accounts: BTreeSet<AccountId>,
    acls: Vec<ObservedAcl>,
}

/// Everything read, by region, and the account-regions that failed: their
/// baselines are left as they are.
#[derive(Default)]
struct SnapshotRead {
    regions: BTreeMap<Region, RegionRead>,
    /// Over many accounts, each account's scope: its regions.
    scopes: BTreeMap<AccountId, Scope>,
    /// Each account-region's subnet labels (DescribeSubnets).
    labels: BTreeMap<(AccountId, Region), SubnetLabels>,
    errors: Vec<ReadError>,
}

/// The subnet labels of each account-region that holds NACLs, read
/// concurrently. A region whose subnets cannot be described is written
/// without new labels (its files keep the ones they had), with a warning.
async fn labels_of(
    reads: Vec<(AccountId, Region, SdkConfig, BTreeSet<VpcId>)>,
) -> BTreeMap<(AccountId, Region), SubnetLabels> {
    let mut asked = JoinSet::new();
    for (account, region, config, vpc_filter) in reads {
        asked.spawn(async move {
            let labels = subnet_labels(&ec2_client(&config, &region), &vpc_filter).await;
            (account, region, labels)
        });
    }
    let mut labels = BTreeMap::new();
    for (account, region, read) in asked.join_all().await {
        match read {
            Ok(read) => {
                labels.insert((account, region), read);
            }
            Err(error) => tracing::warn!(
                "{account} {region}: subnets are written without their names and CIDRs: {}",
                nacl_drift_model::sanitize::shown(&error.to_string())
            ),
        }
    }
    labels
}

/// The exports of `--live-file`, as the one region `--region` names.
fn read_exports(args: &Args, vpc_filter: &BTreeSet<VpcId>) -> Result<SnapshotRead> {
    let [region] = args.regions.as_slice() else {
        bail!(
            "--live-file needs exactly one --region: an export does not say which region it is of"
        );
    };
    let mut acls = args.live.read(&args.accounts.account_ids)?;
    if !vpc_filter.is_empty() {
        acls.retain(|acl| vpc_filter.contains(&acl.vpc_id));
    }
    let accounts = args.accounts.account_ids.iter().cloned().collect();
    Ok(SnapshotRead {
        regions: BTreeMap::from([(region.clone(), RegionRead { accounts, acls })]),
        ..SnapshotRead::default()
    })
}

/// The caller's account, in `--region` (else the configured region); STS
/// is asked in the first. Any region that fails fails the snapshot.
async fn read_caller_account(args: &Args, vpc_filter: &BTreeSet<VpcId>) -> Result<SnapshotRead> {
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
    let plan = regions
        .into_iter()
        .map(|region| (region, vpc_filter.clone()))
        .collect();
    let (caller, observed) = tokio::join!(account_of(&config, &first), read_regions(&config, plan));
    let observed = observed?;
    let caller = caller?;
    let labels = labels_of(
        observed
            .iter()
            .filter(|(_, acls)| !acls.is_empty())
            .map(|(region, _)| {
                let (caller, config) = (caller.clone(), config.clone());
                (caller, region.clone(), config, vpc_filter.clone())
            })
            .collect(),
    )
    .await;
    let regions = observed
        .into_iter()
        .map(|(region, acls)| {
            let accounts = BTreeSet::from([caller.clone()]);
            (region, RegionRead { accounts, acls })
        })
        .collect();
    Ok(SnapshotRead {
        regions,
        labels,
        ..SnapshotRead::default()
    })
}

/// Every account of `--accounts` or `--org`, each in its own regions (else
/// `--region`, else the configured region), concurrently. An account-region
/// that fails is reported and answers for nothing.
async fn read_many_accounts(args: &Args, vpc_filter: &BTreeSet<VpcId>) -> Result<SnapshotRead> {
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
    let scopes = targets
        .iter()
        .map(|(account, regions)| {
            let scope = Scope {
                regions: regions.iter().cloned().collect(),
                vpc_ids: (!vpc_filter.is_empty()).then(|| vpc_filter.clone()),
            };
            (account.clone(), scope)
        })
        .collect();
    let scope = every_vpc(&targets, vpc_filter);
    let total = scope.values().map(BTreeMap::len).sum();
    let (bar, on_read) = args.accounts.progress(Some(total));
    let concurrency = usize::from(args.accounts.concurrency);
    let read = read_accounts(&sessions, &scope, concurrency, Some(on_read)).await;
    bar.finish_and_clear();
    let configs: BTreeMap<&AccountId, &SdkConfig> = sessions
        .iter()
        .map(|session| (&session.account, &session.config))
        .collect();
    let labels = labels_of(
        read.observed
            .iter()
            .filter(|(_, acls)| !acls.is_empty())
            .filter_map(|((account, region), _)| {
                let config = (*configs.get(account)?).clone();
                Some((account.clone(), region.clone(), config, vpc_filter.clone()))
            })
            .collect(),
    )
    .await;
    let mut regions: BTreeMap<Region, RegionRead> = BTreeMap::new();
    for ((account, region), acls) in read.observed {
        let region_read = regions.entry(region).or_default();
        region_read.accounts.insert(account);
        region_read.acls.extend(acls);
    }
    errors.extend(read.errors);
    Ok(SnapshotRead {
        regions,
        scopes,
        labels,
        errors,
    })
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

fn outcome_label(outcome: WriteOutcome) -> &'static str {
    match outcome {
        WriteOutcome::Created => "created",
        WriteOutcome::Updated => "updated",
        WriteOutcome::Unchanged => "unchanged",
    }
}

fn print_summary(
    printer: &mut Printer,
    dir: &std::path::Path,
    summaries: &BTreeMap<Region, RegionSummary>,
) {
    const FILE_COLUMNS: [&str; 4] = ["created", "updated", "unchanged", "removed"];
    let mut header = vec!["region", "VPCs", "NACLs", "entries"];
    header.extend(FILE_COLUMNS);
    let mut table = printer.table(header);
    let mut totals = RegionSummary::default();
    for (region, summary) in summaries {
        let mut row = vec![
            region.to_string(),
            summary.vpcs.to_string(),
            summary.acls.to_string(),
            summary.entries.to_string(),
        ];
        for column in FILE_COLUMNS {
            let count = summary.files.get(column).copied().unwrap_or(0);
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
            FILE_COLUMNS.map(|column| totals.files.get(column).copied().unwrap_or(0).to_string()),
        );
        table.add_row(row);
    }
    printer.print_table(table);
    printer.line(format!("Baselines in {}", dir.display()));
}
