//! Live network ACLs, as read from EC2 or exports: merged across sources,
//! and grouped into baselines.

use std::collections::BTreeMap;

use crate::baseline::{Baseline, NetworkAcl, ObservedAcl, Scope};
use crate::ids::{AccountId, NetworkAclId, Region, VpcId};

/// The same network ACL twice, with different content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "network ACL {acl} appears in {} with different content: the live state is inconsistent",
    if first == second { format!("{first} twice") } else { format!("both {first} and {second}") }
)]
pub struct DuplicateAcl {
    /// The NACL.
    pub acl: NetworkAclId,
    /// Where each copy came from: a file, or an API call.
    pub first: String,
    /// Where the other copy came from.
    pub second: String,
}

/// The NACLs of several sources (files, pages), each named for errors,
/// sorted by id. A NACL found twice with the same content is kept once;
/// found twice with different content, it is an error, since either copy
/// could be the wrong one.
pub fn merge_sources(
    sources: Vec<(String, Vec<ObservedAcl>)>,
) -> Result<Vec<ObservedAcl>, DuplicateAcl> {
    let mut merged: BTreeMap<NetworkAclId, (String, ObservedAcl)> = BTreeMap::new();
    for (source, observed) in sources {
        for acl in observed {
            match merged.get(&acl.acl.id) {
                Some((_, kept)) if *kept == acl => {}
                Some((first, _)) => {
                    return Err(DuplicateAcl {
                        acl: acl.acl.id,
                        first: first.clone(),
                        second: source,
                    });
                }
                None => {
                    merged.insert(acl.acl.id.clone(), (source.clone(), acl));
                }
            }
        }
    }
    Ok(merged.into_values().map(|(_, acl)| acl).collect())
}

/// Groups one region's observed NACLs into a baseline per (account, VPC).
pub fn baselines_for_region(
    region: &Region,
    scope: &Scope,
    observed: Vec<ObservedAcl>,
) -> Vec<Baseline> {
    let mut by_vpc: BTreeMap<(AccountId, VpcId), Vec<NetworkAcl>> = BTreeMap::new();
    for ObservedAcl {
        account,
        vpc_id,
        acl,
        ..
    } in observed
    {
        by_vpc.entry((account, vpc_id)).or_default().push(acl);
    }
    by_vpc
        .into_iter()
        .map(|((account, vpc_id), acls)| {
            Baseline::new(account, region.clone(), vpc_id, scope.clone(), acls)
        })
        .collect()
}
