//! A plan played out, call by call, on the live entries, through the exact
//! analysis: what each call does to traffic, and any window in which a NACL
//! would let through what neither its live state nor its baseline allows.

use std::collections::{BTreeMap, HashMap};

use nacl_drift_analysis::{self as analysis, traffic_difference};
use nacl_drift_model::{Direction, Entry, EntryKey, NetworkAclId};

use crate::plan::{Call, Plan};

/// Plays an entry call on a NACL's entries; `false` for calls that do not
/// touch entries.
fn play(entries: &mut BTreeMap<EntryKey, Entry>, call: &Call) -> bool {
    match call {
        Call::CreateEntry { key, entry } | Call::ReplaceEntry { key, entry, .. } => {
            entries.insert(*key, *entry);
            true
        }
        Call::DeleteEntry { key, .. } => {
            entries.remove(key);
            true
        }
        _ => false,
    }
}

fn both_directions(
    before: &BTreeMap<EntryKey, Entry>,
    after: &BTreeMap<EntryKey, Entry>,
) -> Vec<analysis::Effect> {
    [Direction::Ingress, Direction::Egress]
        .into_iter()
        .flat_map(|direction| traffic_difference(direction, before, after))
        .collect()
}

/// What each step does to traffic, exactly: the plan played out, in order,
/// on `live` (each NACL's entries, by id). A step that moves a subnet is
/// judged as the subnet sees it: the NACL it leaves against the one it joins.
pub fn traffic_effects(
    plan: &Plan,
    live: &HashMap<NetworkAclId, BTreeMap<EntryKey, Entry>>,
) -> Vec<Vec<analysis::Effect>> {
    let mut state = live.clone();
    plan.steps
        .iter()
        .map(|step| match &step.call {
            Call::CreateNetworkAcl => {
                state.insert(step.network_acl_id.clone(), BTreeMap::new());
                Vec::new()
            }
            Call::MoveSubnet { from, .. } => {
                let empty = BTreeMap::new();
                let leaves = state.get(from).unwrap_or(&empty);
                both_directions(leaves, state.get(&step.network_acl_id).unwrap_or(&empty))
            }
            call => {
                let entries = state.entry(step.network_acl_id.clone()).or_default();
                let before = entries.clone();
                if play(entries, call) {
                    both_directions(&before, entries)
                } else {
                    Vec::new()
                }
            }
        })
        .collect()
}

/// Traffic that a NACL would let through between two calls of the plan
/// although neither its live state nor its restored state does: a window of
/// extra exposure, with the step after which it opens. Empty for a plan
/// whose every intermediate state stays within "before or after".
pub fn exposure_windows(
    plan: &Plan,
    live: &HashMap<NetworkAclId, BTreeMap<EntryKey, Entry>>,
) -> Vec<(usize, analysis::Effect)> {
    let mut by_acl: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        by_acl
            .entry(step.network_acl_id.as_str())
            .or_default()
            .push(index);
    }
    let mut windows = Vec::new();
    for (acl, indexes) in by_acl {
        let before = live.get(acl).cloned().unwrap_or_default();
        let mut entries = before.clone();
        let mut states = Vec::new();
        for &index in &indexes {
            if play(&mut entries, &plan.steps[index].call) {
                states.push((index, entries.clone()));
            }
        }
        let Some((_, after)) = states.last().cloned() else {
            continue;
        };
        for (index, state) in states {
            let beyond = |reference: &BTreeMap<EntryKey, Entry>| -> Vec<analysis::Effect> {
                both_directions(reference, &state)
                    .into_iter()
                    .filter(|effect| effect.kind == analysis::EffectKind::NewlyAllowed)
                    .collect()
            };
            let beyond_after = beyond(&after);
            windows.extend(beyond(&before).iter().flat_map(|extra| {
                beyond_after
                    .iter()
                    .filter_map(|other| extra.intersection(other))
                    .map(|window| (index, window))
            }));
        }
    }
    windows
}
