//! What the changes do to traffic: the exact effects of changed entries and
//! of subnets that moved, and the severity of each change.

use std::collections::{BTreeMap, HashMap};

use nacl_drift_analysis::{Effect, EffectKind, Severity, compare};
use nacl_drift_model::{Direction, NetworkAcl, NetworkAclId, SubnetId};

use crate::report::{Change, Drift, TrafficEffect};

/// Sets each change's severity (and whether it is effective), and returns
/// the effects, most severe first.
pub(crate) fn assess(
    changes: &mut [Change],
    baseline_acls: &HashMap<&str, &NetworkAcl>,
    live_acls: &HashMap<&str, &NetworkAcl>,
) -> Vec<TrafficEffect> {
    let mut effects = Vec::new();

    // Entry changes: the NACL's policy before and after, per direction.
    let mut by_acl: BTreeMap<(NetworkAclId, Direction), Vec<usize>> = BTreeMap::new();
    for (index, change) in changes.iter().enumerate() {
        if let Some(key) = change.drift.entry_key() {
            by_acl
                .entry((change.network_acl_id.clone(), key.direction))
                .or_default()
                .push(index);
        }
    }
    for ((acl_id, direction), indexes) in by_acl {
        let (Some(baseline), Some(live)) = (
            baseline_acls.get(acl_id.as_str()),
            live_acls.get(acl_id.as_str()),
        ) else {
            continue;
        };
        let found = compare(direction, &baseline.entries, &live.entries);
        for &index in &indexes {
            let rule = changes[index].drift.entry_key().map(|key| key.rule_number);
            let involved: Vec<&Effect> = found
                .iter()
                .filter(|effect| effect.baseline_rule == rule || effect.live_rule == rule)
                .collect();
            changes[index].severity = involved
                .iter()
                .map(|e| e.severity())
                .max()
                .unwrap_or_default();
            changes[index].effective = Some(!involved.is_empty());
        }
        let change = &changes[indexes[0]];
        effects.extend(found.into_iter().map(|effect| TrafficEffect {
            region: change.region.clone(),
            vpc_id: change.vpc_id.clone(),
            network_acl_id: acl_id.clone(),
            live_network_acl_id: None,
            subnet_ids: Vec::new(),
            effect,
        }));
    }

    // Subnets that moved: the policy of the NACL they left, as the baseline
    // has it, against that of the NACL they are on now.
    let mut moves: BTreeMap<(NetworkAclId, NetworkAclId), Vec<usize>> = BTreeMap::new();
    for (index, change) in changes.iter().enumerate() {
        if let Drift::SubnetMoved {
            now_on: Some(now_on),
            ..
        } = &change.drift
        {
            moves
                .entry((change.network_acl_id.clone(), now_on.clone()))
                .or_default()
                .push(index);
        }
    }
    for ((from, to), indexes) in moves {
        let (Some(baseline), Some(live)) =
            (baseline_acls.get(from.as_str()), live_acls.get(to.as_str()))
        else {
            continue;
        };
        let found: Vec<Effect> = [Direction::Ingress, Direction::Egress]
            .into_iter()
            .flat_map(|direction| compare(direction, &baseline.entries, &live.entries))
            .collect();
        let worst = found.iter().map(Effect::severity).max().unwrap_or_default();
        let opens = found
            .iter()
            .any(|effect| effect.kind == EffectKind::NewlyAllowed);
        let severity = if opens {
            worst.max(Severity::High)
        } else {
            worst
        };
        let subnet_ids: Vec<SubnetId> = indexes
            .iter()
            .filter_map(|&i| changes[i].drift.subnet().cloned())
            .collect();
        for &index in &indexes {
            changes[index].severity = severity;
            changes[index].effective = Some(!found.is_empty());
        }
        let change = &changes[indexes[0]];
        effects.extend(found.into_iter().map(|effect| TrafficEffect {
            region: change.region.clone(),
            vpc_id: change.vpc_id.clone(),
            network_acl_id: from.clone(),
            live_network_acl_id: Some(to.clone()),
            subnet_ids: subnet_ids.clone(),
            effect,
        }));
    }

    effects.sort_by(|a, b| {
        (
            b.effect.severity(),
            &a.region,
            &a.vpc_id,
            &a.network_acl_id,
            &a.live_network_acl_id,
            &a.effect,
        )
            .cmp(&(
                a.effect.severity(),
                &b.region,
                &b.vpc_id,
                &b.network_acl_id,
                &b.live_network_acl_id,
                &b.effect,
            ))
    });
    effects
}
