//! The comparison itself: one pass over the baselines, one over live state.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;

use nacl_drift_analysis::{Effect, EffectKind, Severity, traffic_difference};
use nacl_drift_model::{
    AccountId, Action, Baseline, Direction, Entry, EntryKey, LiveAcl, NetworkAcl, NetworkAclId,
    Region, SubnetId, VpcId,
};

use crate::report::{Change, Drift, Report, SkipCause, Skipped, TrafficEffect};
use crate::scope::{Coverage, coverage};
use crate::traffic::{EntryEffects, move_effects, sort_effects};

/// Compares the baselines of `accounts` with live state. Baselines of other
/// accounts are skipped, and so are live NACLs of other owners.
pub fn diff(
    accounts: &BTreeSet<AccountId>,
    files: &[(PathBuf, Baseline)],
    live: &[LiveAcl],
) -> Report {
    diff_covering(accounts, files, &[], live)
}

/// [`diff`], where the regions of `empty_regions` (account and region) held
/// no VPC when a snapshot read them: every NACL there is added.
pub fn diff_covering<File: Borrow<(PathBuf, Baseline)>>(
    accounts: &BTreeSet<AccountId>,
    files: &[File],
    empty_regions: &[(AccountId, Region)],
    live: &[LiveAcl],
) -> Report {
    let mut skipped = Vec::new();
    let mut baselines = Vec::new();
    let live_accounts = accounts
        .iter()
        .map(AccountId::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    for (path, baseline) in files.iter().map(Borrow::borrow) {
        if accounts.contains(&baseline.account) {
            baselines.push(baseline);
        } else {
            skipped.push(Skipped {
                path: Some(path.clone()),
                vpc_id: None,
                account: baseline.account.clone(),
                reason: format!("the live state is of account {live_accounts}"),
                cause: SkipCause::OtherAccount,
            });
        }
    }
    let live: Vec<&LiveAcl> = live
        .iter()
        .filter(|acl| accounts.contains(&acl.observed.account))
        .collect();
    let mut pairing = Pairing::new(&baselines, &live);
    // Each baseline on its own core; in their order, then sorted, as one.
    let found: Vec<Found> = baselines
        .par_iter()
        .map(|baseline| {
            let mut found = Found::default();
            for acl in &baseline.network_acls {
                pairing.compare_acl(baseline, acl, &mut found);
            }
            found
        })
        .collect();
    for found in found {
        pairing.changes.extend(found.changes);
        pairing.effects.extend(found.effects);
    }
    let empty_regions: Vec<&Region> = empty_regions
        .iter()
        .filter(|(account, _)| accounts.contains(account))
        .map(|(_, region)| region)
        .collect();
    pairing.find_added(&baselines, &empty_regions, &mut skipped);

    let Pairing {
        mut changes,
        mut effects,
        ..
    } = pairing;
    changes.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    sort_effects(&mut effects);
    Report {
        in_sync: changes.is_empty(),
        severity: changes.iter().map(|change| change.severity).max(),
        changes,
        effects,
        skipped,
        errors: Vec::new(),
    }
}

/// The live counterpart of a baseline file: the live NACLs of its VPC, as a
/// baseline of the same account, region and scope.
pub fn live_baseline(baseline: &Baseline, live: &[LiveAcl]) -> Baseline {
    let acls = live
        .iter()
        .filter(|acl| acl.is_in(baseline))
        .map(|acl| acl.observed.acl.clone())
        .collect();
    Baseline::new(
        baseline.account.clone(),
        baseline.region.clone(),
        baseline.vpc_id.clone(),
        baseline.scope.clone(),
        acls,
    )
}

/// What comparing one baseline found.
#[derive(Default)]
struct Found {
    changes: Vec<Change>,
    effects: Vec<TrafficEffect>,
}

/// Indexes of both sides, and the changes found so far.
struct Pairing<'a> {
    live_by_id: HashMap<&'a str, &'a LiveAcl>,
    /// For each live subnet, the NACL it is on.
    live_acl_of_subnet: HashMap<&'a str, &'a NetworkAclId>,
    baseline_acl_ids: HashSet<&'a str>,
    baseline_subnets: HashSet<&'a str>,
    changes: Vec<Change>,
    effects: Vec<TrafficEffect>,
}

impl<'a> Pairing<'a> {
    fn new(baselines: &[&'a Baseline], live: &[&'a LiveAcl]) -> Self {
        let mut live_by_id = HashMap::with_capacity(live.len());
        let mut live_acl_of_subnet = HashMap::new();
        for acl in live {
            let acl_id = &acl.observed.acl.id;
            live_by_id.insert(acl_id.as_str(), *acl);
            for subnet in &acl.observed.acl.subnets {
                live_acl_of_subnet.insert(subnet.as_str(), acl_id);
            }
        }
        let baseline_acls = baselines.iter().flat_map(|baseline| &baseline.network_acls);
        Pairing {
            live_by_id,
            live_acl_of_subnet,
            baseline_acl_ids: baseline_acls.clone().map(|acl| acl.id.as_str()).collect(),
            baseline_subnets: baseline_acls
                .flat_map(|acl| &acl.subnets)
                .map(|subnet| subnet.as_str())
                .collect(),
            changes: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn compare_acl(&self, baseline: &Baseline, acl: &NetworkAcl, seen: &mut Found) {
        let change = |drift, severity, effective| Change {
            account: baseline.account.clone(),
            region: baseline.region.clone(),
            vpc_id: baseline.vpc_id.clone(),
            network_acl_id: acl.id.clone(),
            drift,
            severity,
            effective,
            latent: None,
        };
        let effect = |effect, live_network_acl_id, subnet_ids| TrafficEffect {
            account: baseline.account.clone(),
            region: baseline.region.clone(),
            vpc_id: baseline.vpc_id.clone(),
            network_acl_id: acl.id.clone(),
            live_network_acl_id,
            subnet_ids,
            effect,
        };

        // Subnets that moved, by the NACL they are on now: what they see is
        // that NACL's policy instead of the baseline's.
        let mut moved: BTreeMap<Option<&NetworkAclId>, Vec<SubnetId>> = BTreeMap::new();
        for subnet in &acl.subnets {
            let now_on = self.live_acl_of_subnet.get(subnet.as_str()).copied();
            if now_on != Some(&acl.id) {
                moved.entry(now_on).or_default().push(subnet.clone());
            }
        }
        for (now_on, subnets) in moved {
            let to = now_on.and_then(|id| self.live_by_id.get(id.as_str()));
            let (found, severity, effective) = match to {
                Some(to) => {
                    let (found, severity) = move_effects(acl, &to.observed.acl);
                    let effective = Some(!found.is_empty());
                    (found, severity, effective)
                }
                // The subnet is gone: nothing reaches it any more.
                None => (Vec::new(), Severity::Low, None),
            };
            for subnet in &subnets {
                let drift = Drift::SubnetMoved {
                    subnet: subnet.clone(),
                    now_on: now_on.cloned(),
                };
                seen.changes.push(change(drift, severity, effective));
            }
            seen.effects.extend(
                found
                    .into_iter()
                    .map(|found| effect(found, now_on.cloned(), subnets.clone())),
            );
        }

        let Some(live) = self
            .live_by_id
            .get(acl.id.as_str())
            .map(|live| &live.observed.acl)
        else {
            let drift = Drift::NetworkAclDeleted {
                baseline: Box::new(acl.clone()),
            };
            seen.changes.push(change(drift, Severity::Low, None));
            return;
        };
        // A subnet the baseline does not know at all, now on this NACL.
        for subnet in &live.subnets {
            if !self.baseline_subnets.contains(subnet.as_str()) {
                let drift = Drift::SubnetUnknown {
                    subnet: subnet.clone(),
                };
                seen.changes.push(change(drift, Severity::Low, None));
            }
        }

        let mut entries = Vec::new();
        for (key, entry) in &acl.entries {
            match live.entries.get(key) {
                None => entries.push(Drift::EntryDeleted {
                    key: *key,
                    baseline: *entry,
                }),
                Some(live_entry) if live_entry != entry => entries.push(Drift::EntryModified {
                    key: *key,
                    baseline: *entry,
                    live: *live_entry,
                }),
                Some(_) => {}
            }
        }
        for (key, entry) in &live.entries {
            if !acl.entries.contains_key(key) {
                entries.push(Drift::EntryAdded {
                    key: *key,
                    live: *entry,
                });
            }
        }
        // Each direction whose entries changed: its rule lists compared once.
        for direction in [Direction::Ingress, Direction::Egress] {
            let in_direction = |drift: &&Drift| {
                drift
                    .entry_key()
                    .is_some_and(|key| key.direction == direction)
            };
            if !entries.iter().any(|drift| in_direction(&drift)) {
                continue;
            }
            let rated = EntryEffects::new(direction, acl, live);
            for drift in entries.iter().filter(in_direction) {
                let Some(key) = drift.entry_key() else {
                    continue;
                };
                let (severity, effective) = rated.rate(key.rule_number);
                let latent = if effective {
                    None
                } else {
                    latent_severity(drift)
                };
                // A latent critical counts as high: it exposes nothing today.
                let severity = latent.map_or(severity, |alone| alone.min(Severity::High));
                seen.changes.push(Change {
                    latent,
                    ..change(drift.clone(), severity, Some(effective))
                });
            }
            seen.effects.extend(
                rated
                    .into_effects()
                    .into_iter()
                    .map(|found| effect(found, None, Vec::new())),
            );
        }

        if acl.tags != live.tags {
            let drift = Drift::TagsChanged {
                baseline: acl.tags.clone(),
                live: live.tags.clone(),
            };
            seen.changes.push(change(drift, Severity::Low, None));
        }
    }

    /// Live NACLs that no baseline holds: "added" when a baseline's scope
    /// covers them. A NACL from an export, in a VPC that has no baseline,
    /// cannot be placed in a region, so its VPC is skipped instead.
    fn find_added(
        &mut self,
        baselines: &[&'a Baseline],
        empty_regions: &[&Region],
        skipped: &mut Vec<Skipped>,
    ) {
        let baseline_of_vpc: HashMap<(&AccountId, &VpcId), &Baseline> = baselines
            .iter()
            .map(|baseline| ((&baseline.account, &baseline.vpc_id), *baseline))
            .collect();
        let mut covered = coverage(baselines.iter().copied());
        for region in empty_regions {
            covered.insert((*region).clone(), Coverage::AllVpcs);
        }
        let mut unplaced: BTreeMap<(&AccountId, &VpcId), ()> = BTreeMap::new();
        let mut added = Vec::new();
        for live in self.live_by_id.values() {
            let observed = &live.observed;
            if self.baseline_acl_ids.contains(observed.acl.id.as_str()) {
                continue;
            }
            let vpc = (&observed.account, &observed.vpc_id);
            let region = match (baseline_of_vpc.get(&vpc), &live.region) {
                (Some(baseline), _) if live.is_in(baseline) => baseline.region.clone(),
                (_, Some(region)) => {
                    let in_scope = covered
                        .get(region)
                        .is_some_and(|coverage| coverage.covers(&observed.vpc_id));
                    if !in_scope {
                        continue;
                    }
                    region.clone()
                }
                (_, None) => {
                    unplaced.insert(vpc, ());
                    continue;
                }
            };
            added.push(Change {
                account: observed.account.clone(),
                region,
                vpc_id: observed.vpc_id.clone(),
                network_acl_id: observed.acl.id.clone(),
                drift: Drift::NetworkAclAdded {
                    live: Box::new(observed.acl.clone()),
                },
                severity: added_acl_severity(&observed.acl),
                effective: None,
                latent: None,
            });
        }
        self.changes.extend(added);
        skipped.extend(unplaced.into_keys().map(|(account, vpc_id)| Skipped {
            path: None,
            vpc_id: Some(vpc_id.clone()),
            account: account.clone(),
            reason: "no baseline holds this VPC, and a live file carries no region to place it in a snapshot's scope"
                .to_owned(),
            cause: SkipCause::Unplaced,
        }));
    }
}

/// The severity an allow that a broader rule makes ineffective would carry
/// alone: what it newly allows next to the baseline's entry at its place
/// (none, for an added one), as if no other rule were there. `None` for a
/// deny, a deletion, or an allow that allows nothing more alone.
fn latent_severity(drift: &Drift) -> Option<Severity> {
    let (key, before, after) = match drift {
        Drift::EntryAdded { key, live } => (key, None, live),
        Drift::EntryModified {
            key,
            baseline,
            live,
        } => (key, Some(baseline), live),
        _ => return None,
    };
    if after.action() != Action::Allow {
        return None;
    }
    let alone = |entry: Option<&Entry>| -> BTreeMap<EntryKey, Entry> {
        entry.map(|entry| (*key, *entry)).into_iter().collect()
    };
    traffic_difference(key.direction, &alone(before), &alone(Some(after)))
        .iter()
        .filter(|effect| effect.kind == EffectKind::NewlyAllowed)
        .map(Effect::severity)
        .max()
}

/// How bad a NACL outside the baselines is: by what it lets through to the
/// subnets on it (a new VPC's allow-all default NACL exposes them to the
/// internet), measured against a NACL that allows nothing; low when no
/// subnet uses it.
fn added_acl_severity(acl: &NetworkAcl) -> Severity {
    if acl.subnets.is_empty() {
        return Severity::Low;
    }
    let nothing = BTreeMap::new();
    [Direction::Ingress, Direction::Egress]
        .into_iter()
        .flat_map(|direction| traffic_difference(direction, &nothing, &acl.entries))
        .map(|effect| effect.severity())
        .max()
        .unwrap_or(Severity::Low)
}
