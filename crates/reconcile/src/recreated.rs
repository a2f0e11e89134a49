//! After a restore that recreated deleted NACLs: the baselines with their
//! new ids, for the caller to write and the user to commit.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nacl_drift_model::{Baseline, NetworkAclId, Region};

/// The baselines that hold a NACL of `recreated` (by region and old id),
/// each with the new id in place of the old. Baselines of no recreated
/// NACL are left out.
pub fn with_recreated_ids(
    files: &[(PathBuf, Baseline)],
    recreated: &BTreeMap<(Region, NetworkAclId), NetworkAclId>,
) -> Vec<Baseline> {
    let mut updated = Vec::new();
    for (_, baseline) in files {
        let new_id = |old: &NetworkAclId| recreated.get(&(baseline.region.clone(), old.clone()));
        if !baseline
            .network_acls
            .iter()
            .any(|acl| new_id(&acl.id).is_some())
        {
            continue;
        }
        let mut acls = baseline.network_acls.clone();
        for acl in &mut acls {
            if let Some(new_id) = new_id(&acl.id) {
                acl.id = new_id.clone();
            }
        }
        updated.push(Baseline::new(
            baseline.account.clone(),
            baseline.region.clone(),
            baseline.vpc_id.clone(),
            baseline.scope.clone(),
            acls,
        ));
    }
    updated
}
