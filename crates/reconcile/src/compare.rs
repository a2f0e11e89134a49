//! The first steps: the baselines, the live state of their scope, and the
//! report on them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use nacl_drift_diff::{
    AssessedChange, Change, Report, Severity, SkipCause, Skipped, coverage, diff_covering,
    effects_of,
};
use nacl_drift_model::{
    AccountId, AssociationId, Baseline, BaselineError, Entry, EntryKey, LiveAcl, LiveVpcs,
    NetworkAcl, NetworkAclId, ObservedAcl, ParseCache, Place, ReadError, Region, Scope, SubnetId,
    Vpc, VpcId, read_baseline_dir, read_region_records,
};

use crate::assess::AssessedEffect;
use crate::source::{Completeness, LiveRead, LiveSource, ReadScope, SourceError};
use crate::terraform::Addresses;

/// A NACL a comparison read whole: its account, region and id.
pub type ReadNacl = (AccountId, Region, NetworkAclId);

/// Why the comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// A baseline file is unreadable or invalid.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// A Terraform state gives no intent.
    #[error(transparent)]
    Terraform(#[from] nacl_drift_terraform::TerraformError),
    /// A NACL that a Terraform state and a baseline file both hold: it
    /// would have two intents.
    #[error(
        "network ACL {network_acl_id} is held by {} and by the Terraform state {state} ({address}): a NACL has one source of intent, so remove it from one of them",
        baseline.display()
    )]
    HeldByBoth {
        /// The NACL.
        network_acl_id: NetworkAclId,
        /// The baseline file that holds it.
        baseline: PathBuf,
        /// The state that holds it.
        state: String,
        /// Its address there.
        address: String,
    },
    /// A state in S3 could not be read, or whether its lock is held could
    /// not be told: unknown, never "no intent" or "free".
    #[error("cannot read {what}")]
    StateStore {
        /// `the Terraform state s3://...` or `Terraform's lock ...`.
        what: String,
        /// Why: the AWS edge's error.
        #[source]
        source: SourceError,
    },
    /// The S3 backend has no object at a state's key.
    #[error(
        "the Terraform state {0} is not there: check the backend's bucket and key (a workspace's state is s3://BUCKET/env:/WORKSPACE/KEY)"
    )]
    StateMissing(String),
    /// A Terraform run holds a state's lock: what it applies is not yet in
    /// the state, so a restore now would revert a reviewed apply.
    #[error(
        "{0} is held: a terraform run may be changing these NACLs, and a restore now could revert it; nothing was restored: run again once it is done"
    )]
    Locked(Box<nacl_drift_terraform::StateLock>),
    /// `--recreate-missing` of a deleted NACL that a Terraform state
    /// declares: the new NACL would have an id the state does not know.
    #[error(
        "network ACL {network_acl_id} is declared in Terraform ({address}): --recreate-missing would make a NACL whose id the state does not know; run `terraform apply` to recreate it"
    )]
    RecreateDeclared {
        /// The deleted NACL.
        network_acl_id: NetworkAclId,
        /// Its address.
        address: String,
    },
    /// The directory holds no baseline.
    #[error(
        "no baseline files in {}: run `nacl-drift snapshot` first, or pass --baseline-dir",
        .0.display()
    )]
    NoBaselines(PathBuf),
    /// No baseline is of the regions asked for.
    #[error(
        "no baselines of {asked} in {}: the baselines are of {known}",
        dir.display()
    )]
    NoBaselinesInRegions {
        /// The regions asked for, joined.
        asked: String,
        /// The baseline directory.
        dir: PathBuf,
        /// The regions the baselines are of, joined.
        known: String,
    },
    /// The live state could not be read.
    #[error(transparent)]
    Source(SourceError),
    /// The events behind the changes could not be read.
    #[error(transparent)]
    Events(#[from] nacl_drift_attribution::EventsError),
    /// A timeline's `--until` before its `--since`.
    #[error("--until {until} is before --since {since}: nothing can open in that period")]
    PeriodBackwards {
        /// The start.
        since: String,
        /// The end.
        until: String,
    },
    /// The flow logs given could not be read at all.
    #[error(transparent)]
    FlowLogs(#[from] nacl_drift_flowlogs::FlowLogError),
    /// The fresh read after a restore failed: what was made is not
    /// verified.
    #[error("cannot verify the restore")]
    Verify(#[source] Box<ReconcileError>),
    /// A baseline names a live NACL or subnet of another account, region
    /// or VPC: restoring it would rewrite what the file does not speak for.
    #[error(
        "{}: {what} is in {live}, not in this file's {file}: a baseline speaks only for its own VPC",
        path.display()
    )]
    Elsewhere {
        /// The baseline file.
        path: PathBuf,
        /// `network ACL acl-...`, or `subnet subnet-... (on acl-...)`.
        what: String,
        /// Where it lives.
        live: String,
        /// The file's account, region and VPC.
        file: String,
    },
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
    /// The regions that held no VPC of an account when a snapshot read
    /// them: covered, every NACL there is added.
    empty_regions: Vec<(AccountId, Region)>,
    /// A region the baselines name.
    region: Region,
    /// Where each NACL and entry of a Terraform state is declared.
    pub(crate) addresses: Addresses,
    /// What reading the intent says besides (a plan's changes found outside
    /// Terraform).
    pub(crate) notes: Vec<String>,
}

impl Baselines {
    /// Reads every baseline and region record under `dir`, the parses
    /// from `cache` where it holds them; an error when there is neither.
    pub fn read(dir: &Path, cache: Option<&ParseCache>) -> Result<Baselines, ReconcileError> {
        let files = read_baseline_dir(dir, cache)?;
        let empty_regions: Vec<(AccountId, Region)> = read_region_records(dir)?
            .into_iter()
            .map(|(_, record)| (record.account, record.region))
            .collect();
        Baselines::of(dir, files, empty_regions)
    }

    /// The baselines `files` and the regions recorded as holding no VPC of
    /// an account, from `dir`; an error when there is neither.
    pub fn of(
        dir: &Path,
        files: Vec<(PathBuf, Baseline)>,
        empty_regions: Vec<(AccountId, Region)>,
    ) -> Result<Baselines, ReconcileError> {
        let region = files
            .first()
            .map(|(_, first)| &first.region)
            .or(empty_regions.first().map(|(_, region)| region))
            .ok_or_else(|| ReconcileError::NoBaselines(dir.to_owned()))?
            .clone();
        Ok(Baselines {
            dir: dir.to_owned(),
            region,
            files,
            empty_regions,
            addresses: Addresses::default(),
            notes: Vec::new(),
        })
    }

    /// The baselines of `regions` alone (all of them when `regions` is
    /// empty), each one's scope narrowed to those regions: a run with
    /// `--region` reads nothing else. An error when none is of them.
    pub fn in_regions(self, regions: &[Region]) -> Result<Baselines, ReconcileError> {
        if regions.is_empty() {
            return Ok(self);
        }
        let Baselines {
            dir,
            files,
            mut empty_regions,
            addresses,
            notes,
            ..
        } = self;
        let known: BTreeSet<Region> = files
            .iter()
            .map(|(_, b)| b.region.clone())
            .chain(empty_regions.iter().map(|(_, region)| region.clone()))
            .collect();
        empty_regions.retain(|(_, region)| regions.contains(region));
        let files: Vec<(PathBuf, Baseline)> = files
            .into_iter()
            .filter(|(_, baseline)| regions.contains(&baseline.region))
            .map(|(path, mut baseline)| {
                baseline
                    .scope
                    .regions
                    .retain(|region| regions.contains(region));
                (path, baseline)
            })
            .collect();
        let join = |regions: &mut dyn Iterator<Item = &Region>| {
            regions.map(Region::as_str).collect::<Vec<_>>().join(", ")
        };
        let first = files
            .first()
            .map(|(_, first)| &first.region)
            .or(empty_regions.first().map(|(_, region)| region));
        let Some(region) = first.cloned() else {
            return Err(ReconcileError::NoBaselinesInRegions {
                asked: join(&mut regions.iter()),
                dir,
                known: join(&mut known.iter()),
            });
        };
        Ok(Baselines {
            region,
            dir,
            files,
            empty_regions,
            addresses,
            notes,
        })
    }

    /// The files, each with its path, sorted by path.
    pub fn into_files(self) -> Vec<(PathBuf, Baseline)> {
        self.files
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

    /// Every VPC the baselines are of.
    pub fn vpcs(&self) -> BTreeSet<Vpc> {
        self.files.iter().map(|(_, b)| Vpc::of(b)).collect()
    }

    /// The VPCs of `account` in `region` whose baseline holds one of
    /// `network_acl_ids` or is of `vpc_id`: where a call on them shows.
    pub fn vpcs_holding(
        &self,
        account: &AccountId,
        region: &Region,
        network_acl_ids: &BTreeSet<NetworkAclId>,
        vpc_id: Option<&VpcId>,
    ) -> BTreeSet<Vpc> {
        self.files
            .iter()
            .map(|(_, baseline)| baseline)
            .filter(|b| &b.account == account && &b.region == region)
            .filter(|b| {
                Some(&b.vpc_id) == vpc_id
                    || b.network_acls
                        .iter()
                        .any(|acl| network_acl_ids.contains(&acl.id))
            })
            .map(Vpc::of)
            .collect()
    }

    /// The baselines of `vpcs` alone, each one's scope narrowed to its VPC:
    /// a reconcile of them reads those VPCs only. `None` when no baseline
    /// is of them.
    pub fn only(&self, vpcs: &BTreeSet<Vpc>) -> Option<Baselines> {
        let files: Vec<(PathBuf, Baseline)> = self
            .files
            .iter()
            .filter(|(_, baseline)| vpcs.contains(&Vpc::of(baseline)))
            .map(|(path, baseline)| {
                let mut baseline = baseline.clone();
                baseline.scope = Scope {
                    regions: BTreeSet::from([baseline.region.clone()]),
                    vpc_ids: Some(BTreeSet::from([baseline.vpc_id.clone()])),
                };
                (path.clone(), baseline)
            })
            .collect();
        Some(Baselines {
            dir: self.dir.clone(),
            region: files.first()?.1.region.clone(),
            files,
            empty_regions: Vec::new(),
            addresses: self.addresses.clone(),
            notes: self.notes.clone(),
        })
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

/// The baselines, the live state, and what differs between them: diff's
/// report, each change and effect held with what was assessed of it since
/// ([`Comparison::assess`]).
#[derive(Clone)]
pub struct Comparison {
    /// The accounts compared: the caller's, or the exports' owners.
    pub accounts: BTreeSet<AccountId>,
    /// Every baseline file, with its path.
    pub files: Vec<(PathBuf, Baseline)>,
    /// The regions recorded as holding no VPC of an account, with it.
    pub empty_regions: Vec<(AccountId, Region)>,
    /// The live NACLs read.
    pub live: Vec<LiveAcl>,
    /// Every change, by NACL, in the order of diff's listing, with what was
    /// decided of it: accepted or monitor-only (the config), held (the
    /// brake), who made it (CloudTrail).
    pub changes: Vec<AssessedChange>,
    /// What the changes do to traffic, most severe first, each with its
    /// acceptance and the assets behind it.
    pub effects: Vec<AssessedEffect>,
    /// What was not compared, and why.
    pub skipped: Vec<Skipped>,
    /// The account-regions that could not be read.
    pub errors: Vec<ReadError>,
    /// The account-regions whose assets could not be read, and why.
    pub asset_errors: Vec<ReadError>,
    /// Where each NACL and entry of a Terraform state is declared.
    pub addresses: Addresses,
    /// What reading the intent says besides, for people: a plan's changes
    /// that its refresh found outside Terraform.
    pub intent_notes: Vec<String>,
}

impl Comparison {
    /// The comparison `report` made of `files` against `live` for
    /// `accounts`, nothing assessed of it yet.
    pub fn unassessed(
        accounts: BTreeSet<AccountId>,
        files: Vec<(PathBuf, Baseline)>,
        empty_regions: Vec<(AccountId, Region)>,
        live: Vec<LiveAcl>,
        report: Report,
    ) -> Comparison {
        Comparison {
            accounts,
            files,
            empty_regions,
            live,
            changes: report.unassessed_changes(),
            effects: report
                .effects
                .into_iter()
                .map(AssessedEffect::from)
                .collect(),
            skipped: report.skipped,
            errors: report.errors,
            asset_errors: Vec::new(),
            addresses: Addresses::default(),
            intent_notes: Vec::new(),
        }
    }

    /// The subnet of each live association id: CloudTrail's association
    /// events name association ids, not subnets.
    pub fn association_subnets(&self) -> HashMap<AssociationId, SubnetId> {
        self.live
            .iter()
            .flat_map(|acl| acl.observed.association_ids.clone())
            .collect()
    }

    /// The baselines' NACLs that no Terraform state holds, each baseline
    /// with those alone, of the VPCs `vpcs` when not empty: what `export
    /// --format terraform` brings under Terraform.
    pub fn not_in_terraform(&self, vpcs: &[VpcId]) -> Vec<Baseline> {
        self.files
            .iter()
            .map(|(_, baseline)| baseline)
            .filter(|baseline| vpcs.is_empty() || vpcs.contains(&baseline.vpc_id))
            .filter_map(|baseline| {
                let mut unheld = baseline.clone();
                unheld
                    .network_acls
                    .retain(|acl| !self.addresses.holds(&acl.id));
                (!unheld.network_acls.is_empty()).then_some(unheld)
            })
            .collect()
    }

    /// The NACL `id`, as its baseline has it, else as it is live.
    pub fn nacl(&self, id: &NetworkAclId) -> Option<&NetworkAcl> {
        let baseline_acls = self.files.iter().flat_map(|(_, b)| &b.network_acls);
        let live_acls = self.live.iter().map(|live| &live.observed.acl);
        baseline_acls.chain(live_acls).find(|acl| &acl.id == id)
    }

    /// The NACLs it read whole: of the baselines it compared (not
    /// skipped, their account-region read), and live in their VPCs.
    /// Only on these may a finding be resolved, or a window be said closed,
    /// because its drift is gone.
    pub fn read_whole(&self) -> BTreeSet<ReadNacl> {
        let unread = |account: &AccountId, region: &Region| {
            self.errors
                .iter()
                .any(|error| &error.account == account && &error.region == region)
        };
        let compared: Vec<&Baseline> = self
            .files
            .iter()
            .filter(|(path, baseline)| {
                self.accounts.contains(&baseline.account)
                    && !unread(&baseline.account, &baseline.region)
                    && !self
                        .skipped
                        .iter()
                        .any(|skipped| skipped.path.as_ref() == Some(path))
            })
            .map(|(_, baseline)| baseline)
            .collect();
        let baseline_acls = compared.iter().flat_map(|baseline| {
            baseline.network_acls.iter().map(|acl| {
                (
                    baseline.account.clone(),
                    baseline.region.clone(),
                    acl.id.clone(),
                )
            })
        });
        // Live NACLs of the compared VPCs alone: a read may hold more.
        let live_acls = self.live.iter().filter_map(|acl| {
            let baseline = compared.iter().find(|baseline| acl.is_in(baseline))?;
            Some((
                baseline.account.clone(),
                baseline.region.clone(),
                acl.observed.acl.id.clone(),
            ))
        });
        baseline_acls.chain(live_acls).collect()
    }

    /// The live entries of each NACL read.
    pub fn live_entries(&self) -> HashMap<NetworkAclId, BTreeMap<EntryKey, Entry>> {
        self.live
            .iter()
            .map(|acl| {
                (
                    acl.observed.acl.id.clone(),
                    acl.observed.acl.entries.clone(),
                )
            })
            .collect()
    }

    /// Each live NACL read from EC2, with its account and region (exports
    /// have no region: none of theirs).
    pub fn live_by_place(&self) -> Vec<(Place, ObservedAcl)> {
        self.live
            .iter()
            .filter_map(|acl| {
                let place = Place {
                    account: acl.observed.account.clone(),
                    region: acl.region.clone()?,
                };
                Some((place, acl.observed.clone()))
            })
            .collect()
    }

    /// Each NACL's Name tag, as its baseline has it, else as it is live.
    pub fn nacl_names(&self) -> BTreeMap<&str, &str> {
        let baseline_acls = self.files.iter().flat_map(|(_, b)| &b.network_acls);
        let live_acls = self.live.iter().map(|live| &live.observed.acl);
        live_acls
            .chain(baseline_acls)
            .filter_map(|acl| Some((acl.id.as_str(), acl.tags.get("Name")?.as_str())))
            .collect()
    }

    /// The baselines, NACLs and subnets this comparison left unchecked: a
    /// gate that skipped them is not green. Another account's baselines
    /// count unless the run was `narrowed` to its accounts on purpose
    /// (`--account`, an accounts file).
    pub fn unchecked(&self, narrowed: bool) -> Vec<&Skipped> {
        self.skipped
            .iter()
            .filter(|skipped| match skipped.cause {
                SkipCause::OtherAccount => !narrowed,
                SkipCause::Unread | SkipCause::NotExported => true,
                SkipCause::Unplaced => false,
            })
            .collect()
    }

    /// Whether there is no change at all.
    pub fn in_sync(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes nobody accepted.
    pub fn unaccepted(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|assessed| assessed.verdict.accepted.is_none())
            .map(|assessed| &assessed.change)
    }

    /// The highest severity of a change nobody accepted.
    pub fn severity(&self) -> Option<Severity> {
        self.unaccepted().map(|change| change.severity).max()
    }

    /// The effects that follow from `change`.
    pub fn effects_of(&self, change: &Change) -> Vec<&AssessedEffect> {
        effects_of(change, &self.effects)
    }

    /// Takes out the changes the config accepts and the effects that follow
    /// from them alone: what is left is what people are shown unless they
    /// ask for the accepted drift.
    pub fn remove_accepted(&mut self) {
        self.changes
            .retain(|assessed| assessed.verdict.accepted.is_none());
        self.effects.retain(|assessed| assessed.accepted.is_none());
    }
}

/// Asks `source` whose live state it holds, reads it for exactly the scope
/// the baselines of those accounts record (their regions and VPC filters),
/// and compares. The baselines of an account-region that could not be
/// read are skipped, not compared, and the report lists its error.
pub async fn compare<S: LiveSource>(
    baselines: Baselines,
    source: S,
) -> Result<Comparison, ReconcileError> {
    let Baselines {
        dir,
        files,
        region,
        empty_regions,
        addresses,
        notes,
    } = baselines;
    let accounts = source
        .accounts(&region)
        .await
        .map_err(ReconcileError::Source)?;
    check_known_accounts(&accounts, &files, &empty_regions, &dir)?;
    let scope: ReadScope = accounts
        .iter()
        .map(|account| {
            let theirs = files.iter().filter(|(_, b)| &b.account == account);
            let mut regions: BTreeMap<Region, BTreeSet<VpcId>> =
                coverage(theirs.map(|(_, baseline)| baseline))
                    .into_iter()
                    .map(|(region, covered)| {
                        (region, covered.vpc_filter().cloned().unwrap_or_default())
                    })
                    .collect();
            for (_, empty) in empty_regions.iter().filter(|(holder, _)| holder == account) {
                // Every VPC of the region: an empty filter.
                regions.insert(empty.clone(), BTreeSet::new());
            }
            (account.clone(), regions)
        })
        .collect();
    let completeness = source.completeness();
    let LiveRead { acls: live, errors } =
        source.read(scope).await.map_err(ReconcileError::Source)?;
    let mut files = files;
    let unheld = trim_to_held(&mut files, &live, completeness);
    let (unread, readable): (Vec<&File>, Vec<&File>) = files.iter().partition(|(_, b)| {
        errors
            .iter()
            .any(|error| error.account == b.account && error.region == b.region)
    });
    let (unexported, readable) = exported(readable, &live, completeness);
    check_places(&readable, &live)?;
    let mut report = diff_covering(&accounts, &readable, &empty_regions, &live);
    let skipped = &mut report.skipped;
    let empty_regions = empty_regions
        .into_iter()
        .filter(|(account, _)| accounts.contains(account))
        .collect();
    skipped.extend(unexported.into_iter().map(|(path, baseline)| Skipped {
        path: Some(path.clone()),
        vpc_id: None,
        reason: if completeness == Completeness::HeldOnly {
            format!(
                "not compared: the exports hold no NACL of its VPC {} (export it too; an export answers only for what it holds)",
                baseline.vpc_id
            )
        } else {
            format!(
                "not compared: the exports hold no NACL of account {} in {} (export that region too)",
                baseline.account, baseline.region
            )
        },
        account: baseline.account.clone(),
        cause: SkipCause::NotExported,
    }));
    skipped.extend(unheld);
    skipped.extend(unread.into_iter().map(|(path, baseline)| Skipped {
        path: Some(path.clone()),
        vpc_id: None,
        account: baseline.account.clone(),
        reason: format!(
            "not compared: its live state in {} could not be read",
            baseline.region
        ),
        cause: SkipCause::Unread,
    }));
    report.errors = errors;
    let comparison = Comparison::unassessed(accounts, files, empty_regions, live, report);
    Ok(Comparison {
        addresses,
        intent_notes: notes,
        ..comparison
    })
}

/// A baseline file and its path.
type File = (PathBuf, Baseline);

/// The baselines that the live state does not cover, and the others.
/// What was not read is never "gone". A read of EC2 covers every region it
/// was asked. Exports carry no region: an account-region none of whose
/// baselines' VPCs has a NACL in them was not exported; and unless they are
/// said to be complete, neither was a VPC they hold no NACL of.
fn exported<'a>(
    files: Vec<&'a File>,
    live: &[LiveAcl],
    completeness: Completeness,
) -> (Vec<&'a File>, Vec<&'a File>) {
    let live_vpcs = LiveVpcs::of(live);
    let holds_vpc = |baseline: &Baseline| live_vpcs.hold(baseline);
    match completeness {
        Completeness::AccountRegions => (Vec::new(), files),
        Completeness::HeldOnly => {
            let (readable, unexported) = files.into_iter().partition(|(_, b)| holds_vpc(b));
            (unexported, readable)
        }
        Completeness::ExportedRegions => {
            let covered: BTreeSet<(AccountId, Region)> = files
                .iter()
                .filter(|(_, baseline)| holds_vpc(baseline))
                .map(|(_, baseline)| (baseline.account.clone(), baseline.region.clone()))
                .collect();
            let (readable, unexported) = files.into_iter().partition(|(_, baseline)| {
                covered.iter().any(|(account, region)| {
                    *account == baseline.account && *region == baseline.region
                })
            });
            (unexported, readable)
        }
    }
}

/// With exports that answer only for what they hold, takes out of the
/// baselines of the VPCs they hold each NACL they lack and each subnet on
/// none of their NACLs, and says so: an export filtered by NACL or subnet
/// cannot tell a deleted NACL from one left out.
fn trim_to_held(files: &mut [File], live: &[LiveAcl], completeness: Completeness) -> Vec<Skipped> {
    if completeness != Completeness::HeldOnly {
        return Vec::new();
    }
    let held_acls: BTreeSet<&NetworkAclId> = live.iter().map(|acl| &acl.observed.acl.id).collect();
    let held_subnets: BTreeSet<&SubnetId> = live
        .iter()
        .flat_map(|acl| &acl.observed.acl.subnets)
        .collect();
    let live_vpcs = LiveVpcs::of(live);
    let mut skipped = Vec::new();
    for (path, baseline) in files.iter_mut() {
        if !live_vpcs.hold(baseline) {
            continue;
        }
        let (vpc_id, account) = (baseline.vpc_id.clone(), baseline.account.clone());
        let unheld = |what: String| Skipped {
            path: None,
            vpc_id: Some(vpc_id.clone()),
            account: account.clone(),
            reason: format!(
                "{what} of {} not compared: the exports do not hold it (pass --export-is-complete if they are whole)",
                path.display()
            ),
            cause: SkipCause::NotExported,
        };
        let mut found = Vec::new();
        baseline.network_acls.retain(|acl| {
            let held = held_acls.contains(&acl.id);
            if !held {
                found.push(unheld(format!("network ACL {}", acl.id)));
            }
            held
        });
        for acl in &mut baseline.network_acls {
            acl.subnets.retain(|subnet| {
                let held = held_subnets.contains(subnet);
                if !held {
                    found.push(unheld(format!("subnet {subnet} (on {})", acl.id)));
                }
                held
            });
        }
        skipped.append(&mut found);
    }
    skipped
}

/// Refuses a baseline that names a live NACL, or a subnet on a live NACL,
/// outside its own account, region and VPC: matched by id alone, a
/// restore would rewrite another VPC's NACL or move another VPC's subnet.
fn check_places<F: std::borrow::Borrow<File>>(
    files: &[F],
    live: &[LiveAcl],
) -> Result<(), ReconcileError> {
    let by_id: HashMap<&NetworkAclId, &LiveAcl> =
        live.iter().map(|acl| (&acl.observed.acl.id, acl)).collect();
    let on: HashMap<&SubnetId, &LiveAcl> = live
        .iter()
        .flat_map(|acl| {
            acl.observed
                .acl
                .subnets
                .iter()
                .map(move |subnet| (subnet, acl))
        })
        .collect();
    for (path, baseline) in files.iter().map(std::borrow::Borrow::borrow) {
        let elsewhere = |what: String, live: &LiveAcl| ReconcileError::Elsewhere {
            path: path.clone(),
            what,
            live: live.to_string(),
            file: format!(
                "account {}, region {}, VPC {}",
                baseline.account, baseline.region, baseline.vpc_id
            ),
        };
        for acl in &baseline.network_acls {
            if let Some(live) = by_id.get(&acl.id).filter(|live| !live.is_in(baseline)) {
                return Err(elsewhere(format!("network ACL {}", acl.id), live));
            }
            for subnet in &acl.subnets {
                if let Some(live) = on.get(subnet).filter(|live| !live.is_in(baseline)) {
                    let what = format!("subnet {subnet} (on {})", live.observed.acl.id);
                    return Err(elsewhere(what, live));
                }
            }
        }
    }
    Ok(())
}

/// Refuses to compare when no baseline is of the live state's accounts.
fn check_known_accounts(
    accounts: &BTreeSet<AccountId>,
    files: &[(PathBuf, Baseline)],
    empty_regions: &[(AccountId, Region)],
    dir: &Path,
) -> Result<(), ReconcileError> {
    let known: BTreeMap<&str, ()> = files
        .iter()
        .map(|(_, b)| &b.account)
        .chain(empty_regions.iter().map(|(account, _)| account))
        .map(|account| (account.as_str(), ()))
        .collect();
    if known
        .keys()
        .any(|known| accounts.iter().any(|account| account.as_str() == *known))
    {
        return Ok(());
    }
    let join = |ids: Vec<&str>| ids.join(", ");
    Err(ReconcileError::UnknownAccount {
        accounts: join(accounts.iter().map(AccountId::as_str).collect()),
        dir: dir.to_owned(),
        known: join(known.keys().copied().collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(vpc: &str, acl: &str) -> String {
        format!(
            "schema_version: 1\naccount: '111122223333'\nregion: us-east-1\nvpc_id: {vpc}\n\
             scope: {{regions: [us-east-1, eu-west-1]}}\nnetwork_acls:\n\
             - {{id: {acl}, is_default: true, entries: []}}\n"
        )
    }

    /// An empty live NACL `acl` of `vpc` in `account`, read in `region`
    /// (`None`: from an export).
    fn live_acl(region: Option<&str>, account: &str, vpc: &str, acl: &str) -> LiveAcl {
        LiveAcl {
            region: region.map(|region| Region::parse(region).expect("region")),
            observed: ObservedAcl {
                account: AccountId::parse(account).expect("id"),
                vpc_id: VpcId::parse(vpc).expect("id"),
                acl: NetworkAcl {
                    id: NetworkAclId::parse(acl).expect("id"),
                    is_default: true,
                    tags: BTreeMap::new(),
                    subnets: BTreeSet::new(),
                    entries: BTreeMap::new(),
                },
                association_ids: BTreeMap::new(),
            },
        }
    }

    fn two_vpcs() -> (tempfile::TempDir, Baselines) {
        let dir = tempfile::tempdir().expect("temp dir");
        let region = dir.path().join("111122223333/us-east-1");
        std::fs::create_dir_all(&region).expect("dirs");
        for (vpc, acl) in [("vpc-0a", "acl-0a"), ("vpc-0b", "acl-0b")] {
            std::fs::write(region.join(format!("{vpc}.yaml")), baseline(vpc, acl)).expect("write");
        }
        let baselines = Baselines::read(dir.path(), None).expect("baselines");
        (dir, baselines)
    }

    #[test]
    fn a_call_names_the_vpc_whose_baseline_holds_its_nacl() {
        let (_dir, baselines) = two_vpcs();
        let account = AccountId::parse("111122223333").expect("id");
        let region = Region::parse("us-east-1").expect("region");
        let acls = |ids: &[&str]| {
            ids.iter()
                .map(|id| NetworkAclId::parse(id).expect("id"))
                .collect::<BTreeSet<_>>()
        };
        let vpc_ids = |found: BTreeSet<Vpc>| {
            found
                .into_iter()
                .map(|vpc| vpc.vpc_id.to_string())
                .collect::<Vec<_>>()
        };
        let by_acl = baselines.vpcs_holding(&account, &region, &acls(&["acl-0b"]), None);
        assert_eq!(vpc_ids(by_acl), ["vpc-0b"]);
        let vpc = VpcId::parse("vpc-0a").expect("id");
        let by_vpc = baselines.vpcs_holding(&account, &region, &acls(&[]), Some(&vpc));
        assert_eq!(vpc_ids(by_vpc), ["vpc-0a"]);
        let elsewhere = Region::parse("eu-west-1").expect("region");
        let none = baselines.vpcs_holding(&account, &elsewhere, &acls(&["acl-0b"]), None);
        assert!(none.is_empty());
        assert_eq!(baselines.vpcs().len(), 2);
    }

    #[test]
    fn a_live_nacl_of_another_region_or_vpc_is_refused_naming_both() {
        let (_dir, baselines) = two_vpcs();
        let live = |region: &str, vpc: &str| live_acl(Some(region), "111122223333", vpc, "acl-0a");
        assert!(check_places(&baselines.files, &[live("us-east-1", "vpc-0a")]).is_ok());
        for (region, vpc) in [("eu-west-1", "vpc-0a"), ("us-east-1", "vpc-0b")] {
            let error = check_places(&baselines.files, &[live(region, vpc)])
                .expect_err("elsewhere")
                .to_string();
            assert!(
                error.ends_with(&format!(
                    "vpc-0a.yaml: network ACL acl-0a is in account 111122223333, region {region}, VPC {vpc}, not in this file's account 111122223333, region us-east-1, VPC vpc-0a: a baseline speaks only for its own VPC"
                )),
                "{error}"
            );
        }
    }

    /// The lookup the exports' coverage uses answers as `is_in` would,
    /// for NACLs of each region, of none (an export), of each VPC and
    /// account.
    #[test]
    fn live_vpcs_hold_a_baseline_exactly_when_a_nacl_is_in_it() {
        let (_dir, baselines) = two_vpcs();
        let live = |region, account, vpc| live_acl(region, account, vpc, "acl-0c");
        for region in [None, Some("us-east-1"), Some("eu-west-1")] {
            for account in ["111122223333", "444455556666"] {
                for vpc in ["vpc-0a", "vpc-0b", "vpc-0c"] {
                    let live = [live(region, account, vpc)];
                    let vpcs = LiveVpcs::of(&live);
                    for (_, baseline) in &baselines.files {
                        assert_eq!(
                            vpcs.hold(baseline),
                            live[0].is_in(baseline),
                            "{region:?} {account} {vpc} against {}",
                            baseline.vpc_id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn one_vpcs_baselines_cover_that_vpc_alone() {
        let (_dir, baselines) = two_vpcs();
        let vpc = baselines.vpcs().into_iter().next_back().expect("a VPC");
        let only = baselines
            .only(&BTreeSet::from([vpc.clone()]))
            .expect("its baseline");
        assert_eq!(only.files.len(), 1);
        let scope = &only.files[0].1.scope;
        assert_eq!(scope.regions, BTreeSet::from([vpc.region.clone()]));
        assert_eq!(scope.vpc_ids, Some(BTreeSet::from([vpc.vpc_id.clone()])));
        assert_eq!(only.places().len(), 1);
        assert!(baselines.only(&BTreeSet::new()).is_none());
    }
}
