//! The first steps: the baselines, the live state of their scope, and the
//! report on them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nacl_drift_apply::Place;
use nacl_drift_diff::{LiveAcl, Report, Skipped, coverage, diff};
use nacl_drift_model::{AccountId, Baseline, BaselineError, Region, read_baseline_dir};

use crate::source::{LiveRead, LiveSource, ReadScope, SourceError};

/// Why the comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// A baseline file is unreadable or invalid.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// The directory holds no baseline.
    #[error("no baseline files in {}: run `nacl-drift snapshot` first", .0.display())]
    NoBaselines(PathBuf),
    /// The live state could not be read.
    #[error(transparent)]
    Source(SourceError),
    /// Reporting "in sync" for credentials of the wrong account would hide
    /// every drift.
    #[error(
        "no baselines for account {accounts} in {}: the baselines there are of account {known}",
        dir.display()
    )]
    UnknownAccount {
        /// The live state's accounts, joined.
        accounts: String,
        /// The baseline directory.
        dir: PathBuf,
        /// The accounts the baselines are of, joined.
        known: String,
    },
}

/// The baseline files of a directory, read and validated; never empty.
#[derive(Clone, Debug)]
pub struct Baselines {
    dir: PathBuf,
    files: Vec<(PathBuf, Baseline)>,
    /// A region the baselines name.
    region: Region,
}

impl Baselines {
    /// Reads every baseline under `dir`; an error when there is none.
    pub fn read(dir: &Path) -> Result<Baselines, ReconcileError> {
        let files = read_baseline_dir(dir)?;
        let Some((_, first)) = files.first() else {
            return Err(ReconcileError::NoBaselines(dir.to_owned()));
        };
        Ok(Baselines {
            dir: dir.to_owned(),
            region: first.region.clone(),
            files,
        })
    }

    /// Every account and region the baselines are of: where a restore may
    /// make calls.
    pub fn places(&self) -> BTreeSet<Place> {
        self.files
            .iter()
            .map(|(_, baseline)| Place {
                account: baseline.account.clone(),
                region: baseline.region.clone(),
            })
            .collect()
    }

    /// The same baselines, with `updated` in place of the files of the same
    /// account, region and VPC (after a restore recreated NACLs).
    pub fn with_updated(mut self, updated: &[Baseline]) -> Baselines {
        for (_, baseline) in &mut self.files {
            let place = (&baseline.account, &baseline.region, &baseline.vpc_id);
            if let Some(new) = updated
                .iter()
                .find(|new| (&new.account, &new.region, &new.vpc_id) == place)
            {
                *baseline = new.clone();
            }
        }
        self
    }
}

/// The baselines, the live state, and the report on them.
pub struct Comparison {
    /// The accounts compared: the caller's, or the exports' owners.
    pub accounts: BTreeSet<AccountId>,
    /// Every baseline file, with its path.
    pub files: Vec<(PathBuf, Baseline)>,
    /// The live NACLs read.
    pub live: Vec<LiveAcl>,
    /// What drifted, and what it does to traffic.
    pub report: Report,
}

/// Asks `source` whose live state it holds, reads it for exactly the scope
/// the baselines of those accounts record (their regions and VPC filters),
/// and compares. The baselines of an account-region that could not be
/// read are skipped, not compared, and the report lists its error.
pub async fn compare<S: LiveSource>(
    baselines: Baselines,
    source: S,
) -> Result<Comparison, ReconcileError> {
    let Baselines { dir, files, region } = baselines;
    let accounts = source
        .accounts(&region)
        .await
        .map_err(ReconcileError::Source)?;
    check_known_accounts(&accounts, &files, &dir)?;
    let scope: ReadScope = accounts
        .iter()
        .map(|account| {
            let theirs = files.iter().filter(|(_, b)| &b.account == account);
            let regions = coverage(theirs.map(|(_, baseline)| baseline))
                .into_iter()
                .map(|(region, covered)| {
                    (region, covered.vpc_filter().cloned().unwrap_or_default())
                })
                .collect();
            (account.clone(), regions)
        })
        .collect();
    let LiveRead { acls: live, errors } =
        source.read(scope).await.map_err(ReconcileError::Source)?;
    let (unread, readable): (Vec<_>, Vec<_>) = files.iter().cloned().partition(|(_, b)| {
        errors
            .iter()
            .any(|error| error.account == b.account && error.region == b.region)
    });
    let mut report = diff(&accounts, &readable, &live);
    report
        .skipped
        .extend(unread.into_iter().map(|(path, baseline)| Skipped {
            path: Some(path),
            vpc_id: None,
            account: baseline.account,
            reason: format!(
                "not compared: its live state in {} could not be read",
                baseline.region
            ),
        }));
    report.errors = errors;
    Ok(Comparison {
        accounts,
        files,
        live,
        report,
    })
}

/// Refuses to compare when no baseline is of the live state's accounts.
fn check_known_accounts(
    accounts: &BTreeSet<AccountId>,
    files: &[(PathBuf, Baseline)],
    dir: &Path,
) -> Result<(), ReconcileError> {
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
    let join = |ids: Vec<&str>| ids.join(", ");
    Err(ReconcileError::UnknownAccount {
        accounts: join(accounts.iter().map(AccountId::as_str).collect()),
        dir: dir.to_owned(),
        known: join(known.keys().copied().collect()),
    })
}
