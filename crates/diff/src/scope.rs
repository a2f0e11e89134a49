//! What a set of baselines covers: which regions, and which VPCs in each.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_model::{Baseline, Region, VpcId};

/// Which VPCs of a region the baselines cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// A snapshot without a VPC filter covered the region: every VPC.
    AllVpcs,
    /// Only these VPCs (the union of the snapshots' `--vpc-id` filters).
    Vpcs(BTreeSet<VpcId>),
}

impl Coverage {
    /// Whether the coverage includes `vpc_id`.
    pub fn covers(&self, vpc_id: &str) -> bool {
        match self {
            Coverage::AllVpcs => true,
            Coverage::Vpcs(ids) => ids.contains(vpc_id),
        }
    }

    /// The VPC filter to read this region's live state with, if any.
    pub fn vpc_filter(&self) -> Option<&BTreeSet<VpcId>> {
        match self {
            Coverage::AllVpcs => None,
            Coverage::Vpcs(ids) => Some(ids),
        }
    }
}

/// The regions the baselines' snapshots covered, and their VPCs. A
/// snapshot's scope may name a region where it found nothing: that region
/// is covered all the same, so NACLs that appear there are "added".
pub fn coverage<'a>(
    baselines: impl IntoIterator<Item = &'a Baseline>,
) -> BTreeMap<Region, Coverage> {
    let mut regions: BTreeMap<Region, Coverage> = BTreeMap::new();
    for baseline in baselines {
        for region in &baseline.scope.regions {
            let covered = regions
                .entry(region.clone())
                .or_insert_with(|| Coverage::Vpcs(BTreeSet::new()));
            match (&baseline.scope.vpc_ids, &mut *covered) {
                (None, _) => *covered = Coverage::AllVpcs,
                (Some(filter), Coverage::Vpcs(ids)) => ids.extend(filter.iter().cloned()),
                (Some(_), Coverage::AllVpcs) => {}
            }
        }
    }
    regions
}
