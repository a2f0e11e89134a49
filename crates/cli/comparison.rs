//! Reading the baselines and the live state, and comparing them: the first
//! steps of `diff` and `apply`, and what attribution and the renderers read.
//!
//! Live state is read for exactly the scope the baselines record (their
//! regions and VPC filters) and only for the caller's account, which STS
//! names before anything else is read; or from exports, whose owners are
//! the accounts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nacl_drift_aws::{caller_account, sts_client};
use nacl_drift_diff::{LiveAcl, Report, coverage, diff};
use nacl_drift_model::{AccountId, Baseline, read_baseline_dir};

use crate::aws::AwsArgs;
use crate::live::{LiveFileArgs, fetch_regions};

/// The baselines, the live state, and the report on them.
pub struct Comparison {
    /// The accounts compared: the caller's, or the exports' owners.
    pub accounts: BTreeSet<AccountId>,
    pub files: Vec<(PathBuf, Baseline)>,
    pub live: Vec<LiveAcl>,
    pub report: Report,
}

/// Reads the baselines and the live state, and compares them.
pub async fn compare(
    baseline_dir: &Path,
    live_files: &LiveFileArgs,
    aws: &AwsArgs,
) -> Result<Comparison> {
    // Exports and baselines are independent: parse them side by side.
    let (files, exports) = rayon::join(|| read_baseline_dir(baseline_dir), || live_files.read());
    let files = files?;
    let Some((_, first)) = files.first() else {
        bail!(
            "no baseline files in {}: run `nacl-drift snapshot` first",
            baseline_dir.display()
        );
    };
    let (accounts, live): (BTreeSet<AccountId>, Vec<LiveAcl>) = if live_files.live_files.is_empty()
    {
        let config = aws.load().await;
        let account = caller_account(&sts_client(&config, &first.region))
            .await
            .context("cannot tell which account the credentials belong to")?;
        let accounts = BTreeSet::from([account]);
        check_known_accounts(&accounts, &files, baseline_dir)?;
        let mine = files.iter().filter(|(_, b)| accounts.contains(&b.account));
        let plan = coverage(mine.map(|(_, baseline)| baseline))
            .into_iter()
            .map(|(region, covered)| (region, covered.vpc_filter().cloned().unwrap_or_default()))
            .collect();
        let live = fetch_regions(&config, plan)
            .await?
            .into_iter()
            .flat_map(|(region, acls)| {
                acls.into_iter().map(move |observed| LiveAcl {
                    region: Some(region.clone()),
                    observed,
                })
            })
            .collect();
        (accounts, live)
    } else {
        let observed = exports?;
        let accounts: BTreeSet<AccountId> =
            observed.iter().map(|acl| acl.account.clone()).collect();
        if accounts.is_empty() {
            bail!("the live files hold no network ACLs");
        }
        check_known_accounts(&accounts, &files, baseline_dir)?;
        let live = observed
            .into_iter()
            .map(|observed| LiveAcl {
                region: None,
                observed,
            })
            .collect();
        (accounts, live)
    };
    let report = diff(&accounts, &files, &live);
    Ok(Comparison {
        accounts,
        files,
        live,
        report,
    })
}

/// Refuses to compare when no baseline is of the live state's account:
/// reporting "in sync" for credentials of the wrong account would hide
/// every drift.
fn check_known_accounts(
    accounts: &BTreeSet<AccountId>,
    files: &[(PathBuf, Baseline)],
    baseline_dir: &Path,
) -> Result<()> {
    if files
        .iter()
        .any(|(_, baseline)| accounts.contains(&baseline.account))
    {
        return Ok(());
    }
    let known: BTreeMap<&str, ()> = files
        .iter()
        .map(|(_, b)| (b.account.as_str(), ()))
        .collect();
    bail!(
        "no baselines for account {} in {}: the baselines there are of account {}",
        accounts
            .iter()
            .map(AccountId::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        baseline_dir.display(),
        known.keys().copied().collect::<Vec<_>>().join(", ")
    )
}
