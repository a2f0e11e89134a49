//! Which traffic effects follow from which changes. An entry change has the
//! effects of its NACL and direction that its rule decides (else every one
//! of that direction, when its rule decides none); a moved subnet has the
//! effects of that subnet. Both ways read the same relation, over any list
//! that holds changes or effects (as they are, or with what was decided of
//! them).

use crate::report::{Change, TrafficEffect};

/// Whether `effect` is of the NACL of `change`, and `change` is a cause of
/// it at all: its subnet moved, or it is an entry of the same direction.
fn related(change: &Change, effect: &TrafficEffect) -> bool {
    let same_acl = effect.region == change.region && effect.network_acl_id == change.network_acl_id;
    if !same_acl {
        return false;
    }
    match (change.drift.subnet(), change.drift.entry_key()) {
        (Some(subnet), _) => effect.subnet_ids.contains(subnet),
        (None, Some(key)) => {
            effect.subnet_ids.is_empty() && effect.effect.direction == key.direction
        }
        (None, None) => false,
    }
}

/// Whether the rule `change` is at decides `effect` (before or after).
fn decides(change: &Change, effect: &TrafficEffect) -> bool {
    change.drift.entry_key().is_some_and(|key| {
        [effect.effect.baseline_rule, effect.effect.live_rule].contains(&Some(key.rule_number))
    })
}

/// Of `related`, those that `deciding` picks, or all when it picks none.
fn deciding_else_all<T>(related: Vec<T>, deciding: impl Fn(&T) -> bool) -> Vec<T> {
    if related.iter().any(&deciding) {
        related.into_iter().filter(deciding).collect()
    } else {
        related
    }
}

/// The effects among `effects` that follow from `change`.
pub fn effects_of<'a, E: AsRef<TrafficEffect>>(change: &Change, effects: &'a [E]) -> Vec<&'a E> {
    let related: Vec<&E> = effects
        .iter()
        .filter(|effect| related(change, effect.as_ref()))
        .collect();
    if change.drift.subnet().is_some() {
        return related;
    }
    deciding_else_all(related, |effect| decides(change, effect.as_ref()))
}

/// The changes among `changes` that `effect` follows from.
pub fn causes_of<'a, C: AsRef<Change>>(effect: &TrafficEffect, changes: &'a [C]) -> Vec<&'a C> {
    let related: Vec<&C> = changes
        .iter()
        .filter(|change| related(change.as_ref(), effect))
        .collect();
    if !effect.subnet_ids.is_empty() {
        return related;
    }
    deciding_else_all(related, |change| decides(change.as_ref(), effect))
}
