//! The assessment: what is decided of a comparison's changes and effects
//! once compared, by one pipeline ([`Comparison::assess`]) that each
//! front-end feeds its options ([`Enrichers`]). In order:
//!
//! - the config's verdicts: accepted drift, monitor-only NACLs;
//! - the flapping brake's: the NACLs it holds;
//! - each effect's acceptance, from the changes it follows from;
//! - who made each change, from the CloudTrail events of an
//!   [`EventSource`] (log files, or LookupEvents at the edge), or from the
//!   events in hand (the guard's);
//! - the assets behind each effect, from an [`AssetSource`] (`--assets`).
//!
//! An enrichment added later is a field of [`Enrichers`], a step here, a
//! field of the record it fills, and its printing: nothing else.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_assets::EffectAssets;
use nacl_drift_attribution::{
    EventSource, EventsError, LogError, NaclEvent, attribute, attribute_made_by, event_names,
};
use nacl_drift_config::{Config, Date, Exemption, Subject};
use nacl_drift_diff::{Accepted, AssessedChange, TrafficEffect, causes_of};
use nacl_drift_model::{NetworkAclId, Region};

use crate::assets::AssetSource;
use crate::compare::Comparison;

/// A traffic effect with what was assessed of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssessedEffect {
    /// The effect, as compared.
    pub effect: TrafficEffect,
    /// When every change it follows from is accepted: the acceptance of
    /// the first.
    pub accepted: Option<Accepted>,
    /// The interfaces behind it, once found (`--assets`); `None` when not
    /// asked, or not read (then `asset_errors` says why): never "none".
    pub assets: Option<EffectAssets>,
}

impl From<TrafficEffect> for AssessedEffect {
    /// An effect nothing was assessed of yet.
    fn from(effect: TrafficEffect) -> AssessedEffect {
        AssessedEffect {
            effect,
            accepted: None,
            assets: None,
        }
    }
}

impl AsRef<TrafficEffect> for AssessedEffect {
    fn as_ref(&self) -> &TrafficEffect {
        &self.effect
    }
}

/// What a front-end asks the assessment to add, and from where.
#[derive(Clone, Copy)]
pub struct Enrichers<'a> {
    /// The project's config: accepted drift, monitor-only NACLs.
    pub config: &'a Config,
    /// The day an acceptance is judged on.
    pub today: Date,
    /// The NACLs the flapping brake holds, and why: their drift is
    /// reported, marked `held`, and not restored.
    pub held: &'a BTreeMap<NetworkAclId, String>,
    /// Where to learn who made each change.
    pub events: Events<'a>,
    /// Where to read the assets behind each effect (`--assets`).
    pub assets: Option<&'a dyn AssetSource>,
}

impl<'a> Enrichers<'a> {
    /// The config's verdicts alone, on `today`: no brake, no events, no
    /// assets.
    pub fn judging(config: &'a Config, today: Date) -> Enrichers<'a> {
        static NONE_HELD: BTreeMap<NetworkAclId, String> = BTreeMap::new();
        Enrichers {
            config,
            today,
            held: &NONE_HELD,
            events: Events::NotAsked,
            assets: None,
        }
    }
}

/// Where the events behind the changes come from.
#[derive(Clone, Copy)]
pub enum Events<'a> {
    /// Attribution was not asked for.
    NotAsked,
    /// Every change is attributed to the most recent event of `source`
    /// that matches it, from `since` (seconds since the epoch) on, or
    /// marked unattributed.
    Source {
        /// Log files, or LookupEvents.
        source: &'a dyn EventSource,
        /// How far back.
        since: i64,
    },
    /// The events a guard was handed: the changes one of them made are
    /// attributed, the others left as they are (not all of CloudTrail is
    /// in hand).
    InHand(&'a [NaclEvent]),
}

/// What assessing says besides the records.
#[derive(Debug, Default)]
pub struct Assessing {
    /// How many unattributed changes match an event older than `since`:
    /// widening it would name who made them.
    pub before_the_window: usize,
    /// Log files and records the event source passed over, with why.
    pub skipped: Vec<LogError>,
}

impl Comparison {
    /// Assesses the comparison with `with`: every step of this module, in
    /// its order. Only the event source can fail.
    pub async fn assess(&mut self, with: &Enrichers<'_>) -> Result<Assessing, EventsError> {
        self.judge(with);
        self.enrich(with).await
    }

    /// The verdicts of the config and the brake, each effect's acceptance,
    /// and where each change's intent is declared (its Terraform address):
    /// what plans need, read from nothing.
    pub(crate) fn judge(&mut self, with: &Enrichers<'_>) {
        for AssessedChange {
            change, verdict, ..
        } in &mut self.changes
        {
            let subject = Subject::of_change(change);
            verdict.accepted = with
                .config
                .accepting(&subject, with.today)
                .map(Exemption::accepted);
            verdict.monitor_only = with
                .config
                .monitor_only(&subject)
                .map(|rule| rule.reason.clone());
            verdict.held = with.held.get(&change.network_acl_id).cloned();
        }
        for assessed in &mut self.changes {
            assessed.address = self.addresses.of(&assessed.change).map(str::to_owned);
        }
        for assessed in &mut self.effects {
            assessed.accepted = acceptance(&assessed.effect, &self.changes);
        }
    }

    /// Who made each change and the assets behind each effect, as `with`
    /// asks: the steps that read.
    pub(crate) async fn enrich(&mut self, with: &Enrichers<'_>) -> Result<Assessing, EventsError> {
        let mut assessing = Assessing::default();
        match with.events {
            Events::NotAsked => {}
            Events::Source { source, since } if !self.changes.is_empty() => {
                assessing = self.attribute(source, since).await?;
            }
            Events::Source { .. } => {}
            Events::InHand(events) => {
                let subnets = self.association_subnets();
                attribute_made_by(&mut self.changes, events, &self.accounts, &subnets);
            }
        }
        if let Some(source) = with.assets {
            self.find_assets(source).await;
        }
        Ok(assessing)
    }

    /// Attributes each change to the most recent event of `source` that
    /// matches it, from `since` on; the events asked for are those of the
    /// changes' regions and kinds alone.
    async fn attribute(
        &mut self,
        source: &dyn EventSource,
        since: i64,
    ) -> Result<Assessing, EventsError> {
        let changes = || self.changes.iter().map(|assessed| &assessed.change);
        let regions: BTreeSet<Region> = changes().map(|change| change.region.clone()).collect();
        let names = event_names(changes());
        let found = source.events(&regions, &names, since).await?;
        let subnets = self.association_subnets();
        let before_the_window = attribute(
            &mut self.changes,
            &found.events,
            &self.accounts,
            &subnets,
            since,
        );
        Ok(Assessing {
            before_the_window,
            skipped: found.skipped,
        })
    }
}

/// The acceptance of `effect`: that of the changes it follows from, when
/// they are all accepted.
fn acceptance(effect: &TrafficEffect, changes: &[AssessedChange]) -> Option<Accepted> {
    let causes = causes_of(effect, changes);
    let mut acceptances = causes.iter().map(|cause| cause.verdict.accepted.clone());
    let first = acceptances.next()??;
    acceptances
        .all(|accepted| accepted.is_some())
        .then_some(first)
}
