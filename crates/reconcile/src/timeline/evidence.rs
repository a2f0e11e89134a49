//! What a timeline adds to each window beyond the trail, through the
//! assets of now (an [`AssetSource`]), each account-region with a window
//! read once: the flows each window admitted (VPC Flow Logs: records placed
//! by the interfaces read now), and the interfaces it reached (as they are
//! now: the JSON says when they were read).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use nacl_drift_analysis::EffectKind;
use nacl_drift_assets::{Assets, Interface, Sides, assets_behind};
use nacl_drift_attribution::{InterfaceChange, InterfaceEvent};
use nacl_drift_flowlogs::{Evidence, FlowLogError, Interfaces, Query, Scan, scan};
use nacl_drift_model::{
    Baseline, Entry, EntryKey, InterfaceId, NetworkAclId, Place, ReadError, SubnetId,
};

use super::Replayed;
use crate::AssetSource;
use crate::replay::{Moment, Timeline, Window};

/// What to add to each window.
pub struct WindowEvidence<'a> {
    /// The interfaces, security groups and route tables of each
    /// account-region with a window: those of now.
    pub assets: &'a dyn AssetSource,
    /// The flow logs to count each window's flows in (a folder in S3's
    /// layout, plain files, or one file).
    pub flow_logs: Option<&'a Path>,
    /// Whether to find the interfaces each window reached (`--assets`).
    pub reached: bool,
}

/// An interface made or deleted in a window's subnets while it held, as
/// CloudTrail recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// The interface.
    pub interface: InterfaceId,
    /// Its subnet.
    pub subnet: SubnetId,
    /// Made (else deleted: by itself, or with its instance).
    pub made: bool,
    /// The call: when, and who.
    pub call: Moment,
}

/// What the flow logs hold of the windows.
#[derive(Debug)]
pub struct Flows {
    /// Each window's evidence, in the windows' order; `None` for a window
    /// that admitted nothing (a deny added, an allow removed).
    pub windows: Vec<Option<Evidence>>,
    /// What was read, and what was passed over, malformed or unreadable.
    pub read: Scan,
}

impl Replayed {
    /// Adds what `evidence` asks of each window.
    pub(super) async fn add(
        &mut self,
        evidence: WindowEvidence<'_>,
        files: &[(PathBuf, Baseline)],
    ) -> Result<(), FlowLogError> {
        let now = self.period.now;
        let windows = &self.timeline.windows;
        let places: BTreeSet<Place> = windows.iter().map(place_of).collect();
        let mut read = BTreeMap::new();
        for place in places {
            match evidence.assets.assets(&place).await {
                Ok(assets) => {
                    read.insert(place, assets);
                }
                Err(error) => self.asset_errors.push(ReadError {
                    account: place.account.clone(),
                    region: place.region.clone(),
                    operation: "assets".to_owned(),
                    code: None,
                    message: nacl_drift_model::with_causes(error.as_ref()),
                }),
            }
        }
        let baseline_acls: HashMap<
            &NetworkAclId,
            (&BTreeSet<SubnetId>, &BTreeMap<EntryKey, Entry>),
        > = files
            .iter()
            .flat_map(|(_, baseline)| &baseline.network_acls)
            .map(|acl| (&acl.id, (&acl.subnets, &acl.entries)))
            .collect();
        // The subnets each window is of: those that moved, else its NACL's.
        let subnets: Vec<BTreeSet<SubnetId>> = windows
            .iter()
            .map(|window| {
                let effect = &window.effect;
                if effect.subnet_ids.is_empty() {
                    baseline_acls
                        .get(&effect.network_acl_id)
                        .map(|(subnets, _)| (*subnets).clone())
                        .unwrap_or_default()
                } else {
                    effect.subnet_ids.iter().cloned().collect()
                }
            })
            .collect();
        if evidence.reached {
            let by_subnet: BTreeMap<&Place, HashMap<&SubnetId, Vec<&Interface>>> = read
                .iter()
                .map(|(place, assets)| (place, assets.by_subnet()))
                .collect();
            let none = BTreeMap::new();
            self.reached = windows
                .iter()
                .zip(&subnets)
                .map(|(window, subnets)| {
                    let place = place_of(window);
                    let (assets, by_subnet) = (read.get(&place)?, by_subnet.get(&place)?);
                    let behind: Vec<&Interface> = subnets
                        .iter()
                        .filter_map(|subnet| by_subnet.get(subnet))
                        .flatten()
                        .copied()
                        .collect();
                    let baseline = baseline_acls
                        .get(&window.effect.network_acl_id)
                        .map_or(&none, |(_, entries)| *entries);
                    let sides = Sides {
                        baseline,
                        live: &window.entries,
                    };
                    assets_behind(&window.effect.effect, &behind, sides, assets)
                })
                .collect();
            if let Some(events) = &self.interface_events {
                self.lifecycle = lifecycle(windows, &subnets, events, now);
            }
        }
        if let Some(path) = evidence.flow_logs {
            self.flows = Some(flows(&self.timeline, &subnets, path, &read, now)?);
        }
        Ok(())
    }
}

/// The interfaces made or deleted in each window's subnets while it held.
/// A deleted interface's subnet is the one the trail made it in (itself,
/// or with its instance); one the trail did not make is not placed.
fn lifecycle(
    windows: &[Window],
    subnets: &[BTreeSet<SubnetId>],
    events: &[InterfaceEvent],
    now: i64,
) -> Vec<Vec<Lifecycle>> {
    let mut made_in: HashMap<&InterfaceId, &SubnetId> = HashMap::new();
    let mut of_instance: HashMap<&str, Vec<(&InterfaceId, &SubnetId)>> = HashMap::new();
    for event in events {
        if let InterfaceChange::Made {
            interface,
            subnet,
            instance,
        } = &event.change
        {
            made_in.insert(interface, subnet);
            if let Some(instance) = instance {
                of_instance
                    .entry(instance)
                    .or_default()
                    .push((interface, subnet));
            }
        }
    }
    let mut placed: Vec<(&InterfaceEvent, &InterfaceId, &SubnetId, bool)> = Vec::new();
    for event in events {
        match &event.change {
            InterfaceChange::Made {
                interface, subnet, ..
            } => placed.push((event, interface, subnet, true)),
            InterfaceChange::Deleted { interface } => {
                if let Some(subnet) = made_in.get(interface) {
                    placed.push((event, interface, subnet, false));
                }
            }
            InterfaceChange::Terminated { instance } => {
                for (interface, subnet) in of_instance.get(instance.as_str()).into_iter().flatten()
                {
                    placed.push((event, interface, subnet, false));
                }
            }
        }
    }
    placed.sort_by_key(|(event, ..)| event.at);
    windows
        .iter()
        .zip(subnets)
        .map(|(window, subnets)| {
            let until = window.closed.as_ref().map_or(now, |closed| closed.at);
            let effect = &window.effect;
            placed
                .iter()
                .filter(|(event, _, subnet, _)| {
                    (window.opened.at..=until).contains(&event.at)
                        && subnets.contains(*subnet)
                        && event.region == effect.region
                        && event
                            .account
                            .as_ref()
                            .is_none_or(|account| *account == effect.account)
                })
                .map(|(event, interface, subnet, made)| Lifecycle {
                    interface: (*interface).clone(),
                    subnet: (*subnet).clone(),
                    made: *made,
                    call: Moment {
                        at: event.at,
                        by: event.by.clone(),
                    },
                })
                .collect()
        })
        .collect()
}

/// The account-region of a window.
fn place_of(window: &Window) -> Place {
    Place {
        account: window.effect.account.clone(),
        region: window.effect.region.clone(),
    }
}

/// The flows each window that let traffic through admitted: on the
/// interfaces of its subnets, while it held (until `now`, while open).
fn flows(
    timeline: &Timeline,
    subnets: &[BTreeSet<SubnetId>],
    path: &Path,
    read: &BTreeMap<Place, Assets>,
    now: i64,
) -> Result<Flows, FlowLogError> {
    let mut asked = Vec::new();
    let mut queries = Vec::new();
    for (window, subnets) in timeline.windows.iter().zip(subnets) {
        let effect = &window.effect;
        if effect.effect.kind != EffectKind::NewlyAllowed {
            asked.push(None);
            continue;
        }
        asked.push(Some(queries.len()));
        queries.push(Query {
            account: effect.account.clone(),
            region: effect.region.clone(),
            subnets: subnets.clone(),
            effect: effect.effect.clone(),
            from: window.opened.at,
            until: window.closed.as_ref().map_or(now, |closed| closed.at),
        });
    }
    let interfaces: Interfaces = read
        .values()
        .flat_map(|assets| &assets.interfaces)
        .map(|interface| {
            let addresses = (interface.private_ipv4.iter().copied().map(Into::into))
                .chain(interface.ipv6.iter().copied().map(Into::into))
                .collect();
            let placed = nacl_drift_flowlogs::Interface {
                subnet_id: interface.subnet_id.clone(),
                addresses,
            };
            (interface.id.clone(), placed)
        })
        .collect();
    let mut read = scan(path, &queries, &interfaces)?;
    let mut evidence: Vec<Option<Evidence>> = std::mem::take(&mut read.evidence)
        .into_iter()
        .map(Some)
        .collect();
    let windows = asked
        .into_iter()
        .map(|index| index.and_then(|index| evidence[index].take()))
        .collect();
    Ok(Flows { windows, read })
}
