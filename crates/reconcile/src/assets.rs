//! The assets behind a comparison's traffic effects (`--assets`): each
//! account-region with an effect that can reach an interface is read once
//! (an [`AssetSource`]: EC2, or exports), and each effect is matched
//! against the interfaces of its NACL's live subnets, with the NACL's live
//! entries for the replies.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;

use nacl_drift_analysis::{EffectKind, Severity};
use nacl_drift_assets::{Assets, EffectAssets, Interface, Sides, assets_behind};
use nacl_drift_diff::{Change, TrafficEffect};
use nacl_drift_model::{AccountId, LiveAcl, NetworkAcl, NetworkAclId, Place, ReadError, SubnetId};

use crate::compare::Comparison;
use crate::source::SourceError;

/// The assets a source is reading.
pub type AssetsRead<'a> = Pin<Box<dyn Future<Output = Result<Assets, SourceError>> + Send + 'a>>;

/// Where the assets of an account-region come from; one source or
/// another, chosen at run time, is held as `&dyn AssetSource`.
pub trait AssetSource: Sync {
    /// The interfaces, security groups, route tables and prefix lists of
    /// `place`.
    fn assets<'a>(&'a self, place: &'a Place) -> AssetsRead<'a>;
}

impl Comparison {
    /// Finds the assets behind each effect of the report, reading each
    /// account-region that has one once. Those that could not be read go
    /// to `asset_errors`, with why; their effects have no assets: not
    /// "none".
    pub(crate) async fn find_assets(&mut self, source: &dyn AssetSource) {
        let places: BTreeSet<Place> = self
            .effects
            .iter()
            .map(|assessed| &assessed.effect)
            .filter(|effect| may_reach(effect))
            .map(|effect| Place {
                account: effect.account.clone(),
                region: effect.region.clone(),
            })
            .collect();
        let mut read = BTreeMap::new();
        let mut errors = Vec::new();
        for place in places {
            match source.assets(&place).await {
                Ok(assets) => {
                    read.insert(place, assets);
                }
                Err(error) => errors.push(ReadError {
                    account: place.account.clone(),
                    region: place.region.clone(),
                    operation: "assets".to_owned(),
                    code: None,
                    message: nacl_drift_model::with_causes(error.as_ref()),
                }),
            }
        }
        let mut live_by_id: HashMap<&NetworkAclId, Vec<&LiveAcl>> = HashMap::new();
        for acl in &self.live {
            live_by_id
                .entry(&acl.observed.acl.id)
                .or_default()
                .push(acl);
        }
        let indexed: BTreeMap<&Place, _> = read
            .iter()
            .map(|(place, assets)| (place, assets.by_subnet()))
            .collect();
        // Where the baselines put each subnet, and each NACL's entries
        // there: a subnet that moved onto a NACL is judged by its own move
        // (from the NACL it left), never by its new NACL's entry changes.
        let baseline_acls: HashMap<&NetworkAclId, &NetworkAcl> = self
            .files
            .iter()
            .flat_map(|(_, baseline)| &baseline.network_acls)
            .map(|acl| (&acl.id, acl))
            .collect();
        let baseline_acl_of: HashMap<&SubnetId, &NetworkAclId> = baseline_acls
            .values()
            .flat_map(|acl| acl.subnets.iter().map(|subnet| (subnet, &acl.id)))
            .collect();
        let none = BTreeMap::new();
        let behind_of = |effect: &TrafficEffect| {
            let place = Place {
                account: effect.account.clone(),
                region: effect.region.clone(),
            };
            let (assets, by_subnet) = (read.get(&place)?, indexed.get(&place)?);
            let live = live_nacl(&live_by_id, effect)?;
            let behind: Vec<&Interface> = if effect.subnet_ids.is_empty() {
                live.observed
                    .acl
                    .subnets
                    .iter()
                    .filter(|subnet| {
                        baseline_acl_of
                            .get(subnet)
                            .is_none_or(|acl| **acl == effect.network_acl_id)
                    })
                    .collect::<Vec<_>>()
            } else {
                effect.subnet_ids.iter().collect()
            }
            .into_iter()
            .filter_map(|subnet| by_subnet.get(subnet))
            .flatten()
            .copied()
            .collect();
            let sides = Sides {
                baseline: baseline_acls
                    .get(&effect.network_acl_id)
                    .map_or(&none, |acl| &acl.entries),
                live: &live.observed.acl.entries,
            };
            assets_behind(&effect.effect, &behind, sides, assets)
        };
        for assessed in &mut self.effects {
            assessed.assets = behind_of(&assessed.effect);
        }
        self.asset_errors = errors;
    }
}

/// The assets of exports, by account: exports carry no region, and a
/// subnet id names one subnet in every region, so an effect finds its
/// interfaces among them all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportedAssets(pub BTreeMap<AccountId, Assets>);

impl AssetSource for ExportedAssets {
    fn assets<'a>(&'a self, place: &'a Place) -> AssetsRead<'a> {
        let found = self.0.get(&place.account).cloned().ok_or_else(|| {
            format!(
                "the exports hold no network interfaces, security groups or route tables of account {}",
                place.account
            )
            .into()
        });
        Box::pin(std::future::ready(found))
    }
}

impl Comparison {
    /// The assets found behind the effects of `change`.
    pub fn change_assets(&self, change: &Change) -> Vec<&EffectAssets> {
        self.effects_of(change)
            .into_iter()
            .filter_map(|assessed| assessed.assets.as_ref())
            .collect()
    }

    /// Whether some effect nobody accepted, at `level` or above (any, when
    /// `None`), newly exposes an interface, and what could not be told:
    /// `--fail-on-exposed`. An effect whose assets were not read, or an
    /// interface behind an unread group, route table or prefix list, is
    /// unknown, never "none".
    pub fn exposure(&self, level: Option<Severity>) -> Exposure {
        let mut unknown = Vec::new();
        for assessed in &self.effects {
            let effect = &assessed.effect;
            let counts = can_expose(effect)
                && level.is_none_or(|level| effect.effect.severity() >= level)
                && assessed.accepted.is_none();
            if !counts {
                continue;
            }
            let Some(assets) = &assessed.assets else {
                let unread = self
                    .asset_errors
                    .iter()
                    .find(|error| error.account == effect.account && error.region == effect.region)
                    .map_or_else(|| "no live NACL".to_owned(), ToString::to_string);
                unknown.push(format!(
                    "{} of {}: its assets were not read ({unread})",
                    effect.effect, effect.network_acl_id
                ));
                continue;
            };
            if !assets.exposed.is_empty() {
                return Exposure::Exposed;
            }
            unknown.extend(assets.unknown().map(|not| {
                format!(
                    "{} of {}: {} ({})",
                    effect.effect,
                    effect.network_acl_id,
                    not.interface.interface_id,
                    not.why.in_words()
                )
            }));
        }
        if unknown.is_empty() {
            Exposure::None
        } else {
            Exposure::Unknown(unknown)
        }
    }
}

/// What `--fail-on-exposed` finds among the effects that count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Some effect newly exposes an interface.
    Exposed,
    /// None is known to, but these could not be told, each in words.
    Unknown(Vec<String>),
    /// None does.
    None,
}

/// Whether an effect can newly expose an interface: a newly allowed
/// inbound flow from some public source, or newly allowed replies to one.
fn can_expose(effect: &TrafficEffect) -> bool {
    let effect = &effect.effect;
    effect.kind == EffectKind::NewlyAllowed && effect.addresses.has_public()
}

/// Whether an effect can reach or cut off an interface at all: a newly
/// denied one, or a newly allowed one from or to some public addresses
/// (inbound flows, or the replies that let them complete).
fn may_reach(effect: &TrafficEffect) -> bool {
    effect.effect.kind == EffectKind::NewlyDenied || can_expose(effect)
}

/// The live NACL an effect is about: the one its subnets moved to, else
/// its own (of its account, and of its region when read from EC2).
fn live_nacl<'a>(
    live: &HashMap<&NetworkAclId, Vec<&'a LiveAcl>>,
    effect: &TrafficEffect,
) -> Option<&'a LiveAcl> {
    let id = effect
        .live_network_acl_id
        .as_ref()
        .unwrap_or(&effect.network_acl_id);
    live.get(id)?.iter().copied().find(|acl| {
        acl.observed.account == effect.account
            && acl
                .region
                .as_ref()
                .is_none_or(|region| region == &effect.region)
    })
}
