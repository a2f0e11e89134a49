//! `nacl-drift snapshot`: capture live network ACLs into baseline files.
//!
//! Live state comes from EC2, or from `aws ec2 describe-network-acls`
//! exports (`--live-file`). Every region is read before any file is written,
//! so a failure leaves the baselines as they were. Files are written
//! atomically and only when their bytes change, and baselines of VPCs that
//! no longer exist within the snapshot's scope are removed: in every region
//! it read, for the caller's account (or `--account`) and every account it
//! saw, even when a region holds no VPC of that account any more.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use nacl_drift_aws::{account_of, configured_region, read_regions};
use nacl_drift_model::{
    AccountId, Region, Scope, VpcId, WriteOutcome, baselines_for_region, remove_baseline,
    vpc_ids_with_baselines, write_baseline,
};

use nacl_drift_config::Config;

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

    /// Only this VPC; repeat for several (default: every VPC in the regions).
    #[arg(long = "vpc-id", value_name = "VPC")]
    vpc_ids: Vec<VpcId>,

    /// With --live-file, exactly one --region: an export does not say
    /// which region it is of.
    #[command(flatten)]
    live: LiveFileArgs,

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
    // The accounts whose baselines this snapshot answers for, in each region
    // it read: the caller's (or --account), and every owner it saw.
    let mut accounts: BTreeSet<AccountId> = BTreeSet::new();
    let observed = if args.live.live_files.is_empty() {
        let config = args.aws.load().await;
        // STS is asked in the first region; without --region, the configured one.
        let first = match args.regions.first() {
            Some(region) => region.clone(),
            None => {
                let Some(configured) = configured_region(&config) else {
                    bail!(
                        "no AWS region: pass --region, or set AWS_REGION or a region in your profile"
                    );
                };
                Region::parse(configured).context("the configured AWS region is unusable")?
            }
        };
        let regions: BTreeSet<Region> = args
            .regions
            .iter()
            .cloned()
            .chain([first.clone()])
            .collect();
        let plan = regions
            .into_iter()
            .map(|region| (region, vpc_filter.clone()))
            .collect();
        let (caller, observed) =
            tokio::join!(account_of(&config, &first), read_regions(&config, plan));
        let observed = observed?;
        accounts.insert(caller?);
        observed
    } else {
        let [region] = args.regions.as_slice() else {
            bail!(
                "--live-file needs exactly one --region: an export does not say which region it is of"
            );
        };
        let mut acls = args.live.read()?;
        if !vpc_filter.is_empty() {
            acls.retain(|acl| vpc_filter.contains(&acl.vpc_id));
        }
        accounts.extend(args.live.account.clone());
        BTreeMap::from([(region.clone(), acls)])
    };
    let scope = Scope {
        regions: observed.keys().cloned().collect(),
        vpc_ids: (!vpc_filter.is_empty()).then(|| vpc_filter.clone()),
    };

    accounts.extend(observed.values().flatten().map(|acl| acl.account.clone()));
    let mut summaries = BTreeMap::new();
    for (region, acls) in observed {
        let mut summary = RegionSummary {
            acls: acls.len(),
            entries: acls.iter().map(|observed| observed.acl.entries.len()).sum(),
            ..RegionSummary::default()
        };
        let mut written: BTreeSet<(AccountId, VpcId)> = BTreeSet::new();
        for baseline in baselines_for_region(&region, &scope, acls) {
            let (path, outcome) = write_baseline(&baseline_dir, &baseline)?;
            tracing::debug!(path = %path.display(), ?outcome, "baseline");
            *summary.files.entry(outcome_label(outcome)).or_default() += 1;
            written.insert((baseline.account, baseline.vpc_id));
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
        summaries.insert(region, summary);
    }

    print_summary(printer, &baseline_dir, &summaries);
    Ok(ExitStatus::Success)
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
    printer.print_table(&table);
    printer.line(format!("Baselines in {}", dir.display()));
}
