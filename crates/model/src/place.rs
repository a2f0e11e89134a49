//! The nouns every layer shares: where calls are made (`Place`), a VPC of
//! the baselines (`Vpc`), a live NACL with the region it was read in
//! (`LiveAcl`) and their VPCs (`LiveVpcs`), an account-region that could not be read
//! (`ReadError`), the names people know accounts by (`AccountNames`), and
//! who a run is (`Identity`).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::baseline::{Baseline, ObservedAcl};
use crate::ids::{AccountId, Region, VpcId};

/// Where calls are made: one account, in one region. The executor takes
/// an EC2 client for each place of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place {
    /// The account.
    pub account: AccountId,
    /// The region.
    pub region: Region,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "account {} in {}", self.account, self.region)
    }
}

/// Who a run of nacl-drift is: the accounts it reads, and the principals
/// CloudTrail names for the calls it makes (the guard's restores, so that
/// it knows its own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The accounts it reads.
    pub accounts: BTreeSet<AccountId>,
    /// The ARNs of its own principals.
    pub principals: BTreeSet<String>,
}

/// The names of accounts, from an accounts file or the organization, for
/// people: `111122223333 (prod-network)`. A name is untrusted text (a
/// member account's administrator sets it): every format sanitises it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountNames(pub std::collections::BTreeMap<AccountId, String>);

impl AccountNames {
    /// The account with its name when it has one: `111122223333
    /// (prod-network)`, else `111122223333`.
    pub fn label(&self, account: &AccountId) -> String {
        match self.0.get(account) {
            Some(name) if !name.trim().is_empty() => format!("{account} ({name})"),
            _ => account.to_string(),
        }
    }
}

/// One VPC of the baselines: what the guard reconciles after an event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Vpc {
    /// Its account.
    pub account: AccountId,
    /// Its region.
    pub region: Region,
    /// The VPC.
    pub vpc_id: VpcId,
}

impl Vpc {
    /// The VPC `baseline` is of.
    pub fn of(baseline: &Baseline) -> Vpc {
        Vpc {
            account: baseline.account.clone(),
            region: baseline.region.clone(),
            vpc_id: baseline.vpc_id.clone(),
        }
    }
}

/// A live NACL, with the region it was read in: `None` when it came from an
/// export, which carries no region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveAcl {
    /// The region it was read in; `None` from an export, which has none.
    pub region: Option<Region>,
    /// The NACL, with its account and VPC.
    pub observed: ObservedAcl,
}

impl LiveAcl {
    /// Whether it is of `baseline`'s account and VPC, and of its region
    /// when the region is known.
    pub fn is_in(&self, baseline: &Baseline) -> bool {
        self.observed.vpc_id == baseline.vpc_id
            && self.observed.account == baseline.account
            && self
                .region
                .as_ref()
                .is_none_or(|region| *region == baseline.region)
    }
}

/// The VPCs of live NACLs, to ask of many baselines what
/// [`LiveAcl::is_in`] asks of one NACL, with one lookup each: whether any
/// of the NACLs is in the baseline's VPC.
pub struct LiveVpcs<'a> {
    /// Each VPC's regions; `None` for a NACL from an export, which names
    /// none and so is in that VPC of every region.
    regions: HashMap<(&'a AccountId, &'a VpcId), BTreeSet<Option<&'a Region>>>,
}

impl<'a> LiveVpcs<'a> {
    /// The VPCs of `live`.
    pub fn of(live: &'a [LiveAcl]) -> LiveVpcs<'a> {
        let mut regions: HashMap<_, BTreeSet<_>> = HashMap::new();
        for acl in live {
            regions
                .entry((&acl.observed.account, &acl.observed.vpc_id))
                .or_default()
                .insert(acl.region.as_ref());
        }
        LiveVpcs { regions }
    }

    /// Whether any live NACL [`LiveAcl::is_in`] `baseline`.
    pub fn hold(&self, baseline: &Baseline) -> bool {
        self.regions
            .get(&(&baseline.account, &baseline.vpc_id))
            .is_some_and(|regions| {
                regions.contains(&None) || regions.contains(&Some(&baseline.region))
            })
    }
}

/// Where it lives: `account A, region R, VPC V` (no region from an export).
impl std::fmt::Display for LiveAcl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "account {}", self.observed.account)?;
        if let Some(region) = &self.region {
            write!(f, ", region {region}")?;
        }
        write!(f, ", VPC {}", self.observed.vpc_id)
    }
}

/// An account-region whose live state could not be read. Its baselines
/// are skipped, never compared: nothing of it is reported deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadError {
    /// The account.
    pub account: AccountId,
    /// The region.
    pub region: Region,
    /// The AWS operation that failed: `AssumeRole`, `DescribeNetworkAcls`.
    pub operation: String,
    /// AWS's error code; `null` when the call got no answer.
    pub code: Option<String>,
    /// AWS's message, or why there was no answer.
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "account {} in {}: {} failed: ",
            self.account, self.region, self.operation
        )?;
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)
    }
}
