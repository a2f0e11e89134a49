//! What drift does to traffic: the exact effects of a NACL's changed
//! entries and of subnets that moved, and the severity of each change,
//! computed as the changes are built.

use nacl_drift_analysis::{Effect, EffectKind, Severity, traffic_difference};
use nacl_drift_model::{Direction, NetworkAcl, RuleNumber};

use crate::report::TrafficEffect;

/// The exact effects of a NACL's entry changes in one direction: the
/// baseline's rule list against the live one.
pub(crate) struct EntryEffects {
    found: Vec<Effect>,
}

impl EntryEffects {
    pub(crate) fn new(direction: Direction, baseline: &NetworkAcl, live: &NetworkAcl) -> Self {
        EntryEffects {
            found: traffic_difference(direction, &baseline.entries, &live.entries),
        }
    }

    /// The severity of the change to `rule`, and whether it alters traffic
    /// at all: the worst effect that the rule decides, before or after.
    pub(crate) fn rate(&self, rule: RuleNumber) -> (Severity, bool) {
        let involved = self
            .found
            .iter()
            .filter(|effect| effect.baseline_rule == Some(rule) || effect.live_rule == Some(rule));
        let severity = involved.clone().map(Effect::severity).max();
        (severity.unwrap_or_default(), severity.is_some())
    }

    pub(crate) fn into_effects(self) -> Vec<Effect> {
        self.found
    }
}

/// What subnets that moved from `from` (as the baseline has it) to `to` (as
/// it is live) see, in both directions, and the severity of the move: at
/// least high when anything is newly allowed.
pub(crate) fn move_effects(from: &NetworkAcl, to: &NetworkAcl) -> (Vec<Effect>, Severity) {
    let found: Vec<Effect> = [Direction::Ingress, Direction::Egress]
        .into_iter()
        .flat_map(|direction| traffic_difference(direction, &from.entries, &to.entries))
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
    (found, severity)
}

/// Most severe first; then by place, and by the traffic itself.
pub(crate) fn sort_effects(effects: &mut Vec<TrafficEffect>) {
    // Each effect's severity is worked out once, not at each comparison.
    let mut rated: Vec<(Severity, TrafficEffect)> = effects
        .drain(..)
        .map(|effect| (effect.effect.severity(), effect))
        .collect();
    rated.sort_by(|(a_severity, a), (b_severity, b)| {
        b_severity.cmp(a_severity).then_with(|| {
            (
                &a.account,
                &a.region,
                &a.vpc_id,
                &a.network_acl_id,
                &a.live_network_acl_id,
                &a.effect,
            )
                .cmp(&(
                    &b.account,
                    &b.region,
                    &b.vpc_id,
                    &b.network_acl_id,
                    &b.live_network_acl_id,
                    &b.effect,
                ))
        })
    });
    effects.extend(rated.into_iter().map(|(_, effect)| effect));
}
