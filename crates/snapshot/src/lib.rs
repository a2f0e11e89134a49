//! Capture: live network ACLs into baseline files, one per VPC.
//!
//! - [`capture`] reads the live state of each account's regions through
//!   the reconcile core's `LiveSource` (the AWS edge implements it for EC2,
//!   and [`SubnetLabelSource`] for the subnets' names and CIDRs), and
//!   answers which account-regions were read whole and which failed.
//! - [`write`] turns a [`Capture`] into baseline files: each written only
//!   when its bytes change (the model's writer keeps file modes and
//!   labels), the baseline of a VPC that no longer exists within the
//!   snapshot's scope removed, and a region read whole with no VPC of an
//!   account recorded (`no-vpcs.yaml`). An account-region that could not
//!   be read answers for nothing: its files stay byte for byte. Exports
//!   answer only for the VPCs they hold unless they are said to be
//!   complete: other VPCs' baselines are kept, and a NACL that a baseline
//!   of an exported VPC has but the export lacks stops the snapshot before
//!   anything is written.
//!
//! Depends on: model, reconcile, terraform; no AWS SDK: tested on the in-memory EC2.

#![deny(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::Path;

use nacl_drift_model::{
    AccountId, AclNotes, BaselineError, NetworkAclId, ObservedAcl, ReadError, Region, RegionRecord,
    Scope, SubnetLabels, VpcId, WriteOutcome, baseline_path, baselines_for_region, read_baseline,
    remove_baseline, remove_region_record, vpc_ids_with_baselines, write_noted_baseline,
    write_region_record,
};
use nacl_drift_reconcile::{Completeness, LiveSource, ReadScope, SourceError};
use tokio::task::JoinSet;

/// Why a snapshot failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The live state could not be read.
    #[error(transparent)]
    Source(SourceError),
    /// A baseline could not be written or removed.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// An export holds a VPC without some NACLs its baseline has: it may
    /// have been filtered, so they are not known to be gone.
    #[error(
        "{}: the exports hold VPC {vpc_id} without {}, which this baseline has; an export filtered by NACL cannot tell a deleted NACL from one left out: export the whole VPC, or pass --export-is-complete if they are gone. Nothing was written",
        path.display(),
        missing.iter().map(NetworkAclId::as_str).collect::<Vec<_>>().join(", ")
    )]
    NaclsNotHeld {
        /// The baseline file.
        path: std::path::PathBuf,
        /// Its VPC.
        vpc_id: VpcId,
        /// The NACLs it has that the exports lack.
        missing: Vec<NetworkAclId>,
    },
}

/// The names and CIDRs of subnets, written beside their ids.
pub trait SubnetLabelSource: Clone + Send + 'static {
    /// The labels of the subnets of `vpc_ids` (every VPC when empty) in
    /// `account`'s `region`.
    fn subnet_labels(
        &self,
        account: &AccountId,
        region: &Region,
        vpc_ids: &BTreeSet<VpcId>,
    ) -> impl Future<Output = Result<SubnetLabels, SourceError>> + Send;
}

/// What one region's read answers for: the accounts whose baselines there
/// it may rewrite or remove, and the NACLs it found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionCapture {
    /// The accounts read whole in the region.
    pub accounts: BTreeSet<AccountId>,
    /// Their NACLs there.
    pub acls: Vec<ObservedAcl>,
}

/// Everything read, by region, and the account-regions that failed: their
/// baselines are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capture {
    /// What each region's read answers for.
    pub regions: BTreeMap<Region, RegionCapture>,
    /// Each account's scope: the regions asked of it, read or not, so that
    /// a region that failed this time does not rewrite the rest.
    pub scopes: BTreeMap<AccountId, Scope>,
    /// Each account-region's subnet labels.
    pub labels: BTreeMap<(AccountId, Region), SubnetLabels>,
    /// The account-regions whose subnets could not be described, and why:
    /// their files keep the labels they had.
    pub unlabelled: Vec<ReadError>,
    /// A note after each NACL's Name: its Terraform address, for a capture
    /// of a state.
    pub notes: AclNotes,
    /// The account-regions that could not be read.
    pub errors: Vec<ReadError>,
    /// The VPCs asked for; empty for every VPC.
    pub vpc_filter: BTreeSet<VpcId>,
    /// What the read says of a VPC or NACL it does not hold.
    pub completeness: Completeness,
}

impl Capture {
    /// The NACLs a Terraform state declares, each with its address as its
    /// note: every VPC of the state, read whole (its baselines then say
    /// what the state says), and no other.
    pub fn of_state(intent: &nacl_drift_terraform::StateIntent) -> Capture {
        let mut capture = Capture {
            completeness: Completeness::AccountRegions,
            ..Capture::default()
        };
        for held in intent.acls.values() {
            let region = capture.regions.entry(held.region.clone()).or_default();
            region.accounts.insert(held.account.clone());
            region.acls.push(ObservedAcl {
                account: held.account.clone(),
                vpc_id: held.vpc_id.clone(),
                acl: held.acl.clone(),
                association_ids: BTreeMap::new(),
            });
            let scope = capture
                .scopes
                .entry(held.account.clone())
                .or_insert_with(|| Scope {
                    regions: BTreeSet::new(),
                    vpc_ids: Some(BTreeSet::new()),
                });
            scope.regions.insert(held.region.clone());
            scope
                .vpc_ids
                .get_or_insert_default()
                .insert(held.vpc_id.clone());
            capture.vpc_filter.insert(held.vpc_id.clone());
            capture
                .notes
                .insert(held.acl.id.clone(), held.address.clone());
        }
        capture
    }

    /// The NACLs of exports, as `region`'s, answering for `accounts`, and
    /// with [`Completeness::HeldOnly`] only for the VPCs they hold.
    pub fn of_exports(
        region: Region,
        accounts: BTreeSet<AccountId>,
        mut acls: Vec<ObservedAcl>,
        vpc_filter: BTreeSet<VpcId>,
        completeness: Completeness,
    ) -> Capture {
        if !vpc_filter.is_empty() {
            acls.retain(|acl| vpc_filter.contains(&acl.vpc_id));
        }
        Capture {
            regions: BTreeMap::from([(region, RegionCapture { accounts, acls })]),
            vpc_filter,
            completeness,
            ..Capture::default()
        }
    }
}

/// Reads `regions` of each account (with the VPC filter) from `source`, and
/// the subnet labels of each account-region that holds NACLs from
/// `labels`, concurrently. A region whose subnets cannot be described is
/// written without new labels (its files keep the ones they had), and
/// listed in `unlabelled`.
pub async fn capture<S: LiveSource, L: SubnetLabelSource>(
    source: S,
    labels: L,
    regions: BTreeMap<AccountId, BTreeSet<Region>>,
    vpc_filter: BTreeSet<VpcId>,
) -> Result<Capture, SnapshotError> {
    let scope: ReadScope = regions
        .iter()
        .map(|(account, regions)| {
            let regions = regions
                .iter()
                .map(|region| (region.clone(), vpc_filter.clone()))
                .collect();
            (account.clone(), regions)
        })
        .collect();
    let read = source.read(scope).await.map_err(SnapshotError::Source)?;
    let failed: BTreeSet<(&AccountId, &Region)> = read
        .errors
        .iter()
        .map(|error| (&error.account, &error.region))
        .collect();
    let mut captured: BTreeMap<Region, RegionCapture> = BTreeMap::new();
    for (account, account_regions) in &regions {
        for region in account_regions {
            if !failed.contains(&(account, region)) {
                let region_capture = captured.entry(region.clone()).or_default();
                region_capture.accounts.insert(account.clone());
            }
        }
    }
    for live in read.acls {
        let region = live.region.expect("EC2 says the region of what it reads");
        captured.entry(region).or_default().acls.push(live.observed);
    }
    let holding: BTreeSet<(AccountId, Region)> = captured
        .iter()
        .flat_map(|(region, capture)| {
            capture
                .acls
                .iter()
                .map(|acl| (acl.account.clone(), region.clone()))
        })
        .collect();
    let scopes = regions
        .into_iter()
        .map(|(account, regions)| {
            let scope = Scope {
                regions,
                vpc_ids: (!vpc_filter.is_empty()).then(|| vpc_filter.clone()),
            };
            (account, scope)
        })
        .collect();
    let (labels, unlabelled) = labels_of(labels, holding, &vpc_filter).await;
    Ok(Capture {
        regions: captured,
        scopes,
        labels,
        unlabelled,
        errors: read.errors,
        vpc_filter,
        completeness: Completeness::AccountRegions,
        notes: AclNotes::new(),
    })
}

/// The subnet labels of each of `places`, read concurrently, and the
/// places whose subnets could not be described.
async fn labels_of<L: SubnetLabelSource>(
    source: L,
    places: BTreeSet<(AccountId, Region)>,
    vpc_filter: &BTreeSet<VpcId>,
) -> (BTreeMap<(AccountId, Region), SubnetLabels>, Vec<ReadError>) {
    let mut asked = JoinSet::new();
    for (account, region) in places {
        let (source, vpc_filter) = (source.clone(), vpc_filter.clone());
        asked.spawn(async move {
            let labels = source.subnet_labels(&account, &region, &vpc_filter).await;
            (account, region, labels)
        });
    }
    let mut labels = BTreeMap::new();
    let mut unlabelled = Vec::new();
    for (account, region, read) in asked.join_all().await {
        match read {
            Ok(read) => {
                labels.insert((account, region), read);
            }
            Err(error) => unlabelled.push(ReadError {
                account,
                region,
                operation: "DescribeSubnets".to_owned(),
                code: None,
                message: nacl_drift_model::with_causes(error.as_ref()),
            }),
        }
    }
    (labels, unlabelled)
}

/// What became of the files of a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileOutcome {
    /// A new file.
    Created,
    /// A file whose bytes changed.
    Updated,
    /// A file left as it was.
    Unchanged,
    /// The file of a VPC (or a record of a region) that is gone.
    Removed,
}

impl FileOutcome {
    /// Every outcome, in the order a summary shows them.
    pub const ALL: [FileOutcome; 4] = [
        FileOutcome::Created,
        FileOutcome::Updated,
        FileOutcome::Unchanged,
        FileOutcome::Removed,
    ];

    /// Its name, for a column.
    pub fn label(self) -> &'static str {
        match self {
            FileOutcome::Created => "created",
            FileOutcome::Updated => "updated",
            FileOutcome::Unchanged => "unchanged",
            FileOutcome::Removed => "removed",
        }
    }
}

impl From<WriteOutcome> for FileOutcome {
    fn from(outcome: WriteOutcome) -> Self {
        match outcome {
            WriteOutcome::Created => FileOutcome::Created,
            WriteOutcome::Updated => FileOutcome::Updated,
            WriteOutcome::Unchanged => FileOutcome::Unchanged,
        }
    }
}

/// What the snapshot found and did in one region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionSummary {
    /// The VPCs written.
    pub vpcs: usize,
    /// The NACLs found.
    pub acls: usize,
    /// Their entries.
    pub entries: usize,
    /// How many files had each outcome.
    pub files: BTreeMap<FileOutcome, usize>,
    /// The files removed: of VPCs gone, or region records.
    pub removed: Vec<std::path::PathBuf>,
    /// The VPCs whose baselines were kept because exports that answer only
    /// for what they hold do not hold them.
    pub kept_unheld: Vec<VpcId>,
    /// The VPCs asked for (`--vpc-id`) that hold no NACL in the region.
    pub not_found: Vec<VpcId>,
}

impl RegionSummary {
    fn count(&mut self, outcome: impl Into<FileOutcome>) {
        *self.files.entry(outcome.into()).or_default() += 1;
    }
}

/// Writes the baselines of `capture` under `baseline_dir`, removes those
/// of VPCs gone within its scope, and records regions read whole with no
/// VPC of an account. Returns each region's summary.
pub fn write(
    baseline_dir: &Path,
    capture: Capture,
) -> Result<BTreeMap<Region, RegionSummary>, SnapshotError> {
    let vpc_filter = &capture.vpc_filter;
    let held_only = capture.completeness == Completeness::HeldOnly;
    if held_only {
        check_held(baseline_dir, &capture)?;
    }
    let scope = Scope {
        regions: capture.regions.keys().cloned().collect(),
        vpc_ids: (!vpc_filter.is_empty()).then(|| vpc_filter.clone()),
    };
    let mut summaries = BTreeMap::new();
    for (region, RegionCapture { mut accounts, acls }) in capture.regions {
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
            let scope = capture.scopes.get(&account).unwrap_or(&scope);
            let no_labels = SubnetLabels::new();
            let labels = capture
                .labels
                .get(&(account.clone(), region.clone()))
                .unwrap_or(&no_labels);
            for baseline in baselines_for_region(&region, scope, acls) {
                let (path, outcome) =
                    write_noted_baseline(baseline_dir, &baseline, labels, &capture.notes)?;
                tracing::debug!(path = %path.display(), ?outcome, "baseline");
                summary.count(outcome);
                written.insert((baseline.account, baseline.vpc_id));
            }
        }
        summary.vpcs = written.len();
        for account in &accounts {
            for vpc_id in vpc_ids_with_baselines(baseline_dir, account, &region)? {
                let gone = !written.contains(&(account.clone(), vpc_id.clone()));
                if !gone || !scope.covers_vpc(&vpc_id) {
                    continue;
                }
                if held_only {
                    summary.kept_unheld.push(vpc_id);
                    continue;
                }
                let path = remove_baseline(baseline_dir, account, &region, &vpc_id)?;
                summary.count(FileOutcome::Removed);
                summary.removed.push(path);
            }
        }
        summary.not_found = vpc_filter
            .iter()
            .filter(|vpc_id| {
                !written
                    .iter()
                    .any(|(_, written_vpc)| written_vpc == *vpc_id)
            })
            .cloned()
            .collect();
        if vpc_filter.is_empty() && !held_only {
            record_empty_region(baseline_dir, &region, &accounts, &written, &mut summary)?;
        }
        summaries.insert(region, summary);
    }
    Ok(summaries)
}

/// Refuses exports that hold a VPC without some NACLs its baseline has.
fn check_held(baseline_dir: &Path, capture: &Capture) -> Result<(), SnapshotError> {
    for (region, RegionCapture { acls, .. }) in &capture.regions {
        let mut held: BTreeMap<(&AccountId, &VpcId), BTreeSet<&NetworkAclId>> = BTreeMap::new();
        for observed in acls {
            held.entry((&observed.account, &observed.vpc_id))
                .or_default()
                .insert(&observed.acl.id);
        }
        for ((account, vpc_id), ids) in held {
            let path = baseline_path(baseline_dir, account, region, vpc_id)?;
            if !path.is_file() {
                continue;
            }
            let baseline = read_baseline(&path)?;
            let missing: Vec<NetworkAclId> = baseline
                .network_acls
                .into_iter()
                .map(|acl| acl.id)
                .filter(|id| !ids.contains(id))
                .collect();
            if !missing.is_empty() {
                return Err(SnapshotError::NaclsNotHeld {
                    path,
                    vpc_id: vpc_id.clone(),
                    missing,
                });
            }
        }
    }
    Ok(())
}

/// Records each account that the region, read whole, held no VPC of
/// ([`RegionRecord`]), so that the baselines still cover the region; and
/// removes the record of an account that has a VPC there again.
fn record_empty_region(
    baseline_dir: &Path,
    region: &Region,
    accounts: &BTreeSet<AccountId>,
    written: &BTreeSet<(AccountId, VpcId)>,
    summary: &mut RegionSummary,
) -> Result<(), SnapshotError> {
    for account in accounts {
        if written.iter().any(|(holder, _)| holder == account) {
            if let Some(path) = remove_region_record(baseline_dir, account, region)? {
                summary.count(FileOutcome::Removed);
                summary.removed.push(path);
            }
            continue;
        }
        let scope = Scope {
            regions: BTreeSet::from([region.clone()]),
            vpc_ids: None,
        };
        let record = RegionRecord::new(account.clone(), region.clone(), scope);
        let (_, outcome) = write_region_record(baseline_dir, &record)?;
        summary.count(outcome);
    }
    Ok(())
}
