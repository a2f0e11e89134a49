//! The assets behind one or more effects, in words, for every report that
//! people read: tables, markdown, SARIF, Security Hub findings, alerts.

use std::collections::BTreeSet;

use crate::{EffectAssets, Owner, Reached, Why};

/// What `found` (the assets of one or more effects) reach, in words:
/// `reaches 2 interfaces: i-0a1b (web-1), i-0c2d (bastion) from
/// 203.0.113.0/24`, `reaches none now`, `cuts off 1 interface: ...`;
/// `None` when there is nothing to say (no assets were found).
pub fn in_words(found: &[&EffectAssets]) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let mut exposed: Vec<String> = Vec::new();
    let mut cut_off: Vec<String> = Vec::new();
    let mut reply_blocked = BTreeSet::new();
    let mut unknown = BTreeSet::new();
    for assets in found {
        for interface in &assets.exposed {
            let narrow: Vec<String> = interface
                .admitted_by
                .iter()
                .filter(|admission| !admission.sources.is_internet())
                .map(|admission| admission.sources.to_string())
                .collect();
            let label = owner_label(&interface.interface);
            let words = if narrow.len() == interface.admitted_by.len() {
                format!("{label} from {}", narrow.join(", "))
            } else {
                label
            };
            if !exposed.contains(&words) {
                exposed.push(words);
            }
        }
        for interface in &assets.cut_off {
            let label = owner_label(interface);
            if !cut_off.contains(&label) {
                cut_off.push(label);
            }
        }
        for not in &assets.not_exposed {
            match &not.why {
                Why::ReplyBlocked { .. } => {
                    reply_blocked.insert(not.interface.interface_id.as_str())
                }
                why => unknown.insert(format!(
                    "{}: {}",
                    owner_label(&not.interface),
                    why.in_words()
                )),
            };
        }
    }
    let interfaces = |n: usize| format!("{n} {}", if n == 1 { "interface" } else { "interfaces" });
    if !cut_off.is_empty() {
        return Some(format!(
            "cuts off {}: {}",
            interfaces(cut_off.len()),
            cut_off.join(", ")
        ));
    }
    let mut words = if exposed.is_empty() && found.iter().all(|assets| assets.denies) {
        "cuts off none".to_owned()
    } else if exposed.is_empty() {
        "reaches none now".to_owned()
    } else {
        format!(
            "reaches {}: {}",
            interfaces(exposed.len()),
            exposed.join(", ")
        )
    };
    if !reply_blocked.is_empty() {
        words.push_str(&format!(
            " ({} more but for the NACL's egress, which blocks the reply)",
            reply_blocked.len()
        ));
    }
    if !unknown.is_empty() {
        words.push_str(&format!(
            " (unknown: {})",
            unknown.into_iter().collect::<Vec<_>>().join("; ")
        ));
    }
    Some(words)
}

/// An interface by its owner: `i-0a1b (web-1)`, or the interface id and
/// what it belongs to.
fn owner_label(interface: &Reached) -> String {
    match &interface.owner {
        Owner::Instance { .. } => interface.owner.label(),
        owner => format!("{} ({})", interface.interface_id, owner.label()),
    }
}
