//! CloudTrail `LookupEvents`: the last 90 days of management events, one
//! event name per request, 50 per page, at most 2 requests a second per
//! account and region. The events come back as CloudTrail's own JSON
//! records, which the attribution crate reads like log files;
//! [`CloudTrailLookup`] is the core's `EventSource` for them.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use nacl_drift_attribution::{EventSource, EventsError, Finding, FoundEvents, events_from_lookup};
use nacl_drift_model::{Operation, Region};
use tokio::task::JoinSet;

use crate::{ApiError, cloudtrail_client};

/// The pause between two requests: LookupEvents allows 2 a second.
pub const LOOKUP_PAUSE: Duration = Duration::from_millis(500);

/// A lookup that failed.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// LookupEvents failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request could not be built.
    #[error("cannot build a LookupEvents request: {0}")]
    Request(String),
}

/// Whether the credentials may call LookupEvents in the client's region:
/// one request for one event, which needs the same permission as any.
pub async fn check_lookup_events(client: &Client) -> Result<(), ApiError> {
    client
        .lookup_events()
        .max_results(1)
        .send()
        .await
        .map(|_| ())
        .map_err(|error| ApiError::new("LookupEvents", error))
}

/// The CloudTrail records (each event's `CloudTrailEvent` JSON) of the
/// events named `event_names` since `since` (seconds since the epoch), in
/// the client's region: each name looked up once, every page followed with
/// the same parameters, `pause` between requests.
pub async fn lookup_events(
    client: &Client,
    event_names: &BTreeSet<Operation>,
    since: i64,
    pause: Duration,
) -> Result<Vec<String>, LookupError> {
    let mut events = Vec::new();
    let mut first = true;
    let now = DateTime::from_secs(since.max(nacl_drift_attribution::now()));
    for name in event_names {
        let mut next_token: Option<String> = None;
        loop {
            if !first {
                tokio::time::sleep(pause).await;
            }
            first = false;
            let page = client
                .lookup_events()
                .lookup_attributes(
                    LookupAttribute::builder()
                        .attribute_key(LookupAttributeKey::EventName)
                        .attribute_value(name.name())
                        .build()
                        .map_err(|e| LookupError::Request(e.to_string()))?,
                )
                .start_time(DateTime::from_secs(since))
                .end_time(now)
                .max_results(50)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(|error| ApiError::new("LookupEvents", error))?;
            events.extend(
                page.events()
                    .iter()
                    .filter_map(|event| event.cloud_trail_event().map(str::to_owned)),
            );
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
    }
    Ok(events)
}

/// LookupEvents as the core's [`EventSource`]: the regions of the changes
/// asked at once, each within LookupEvents' pace ([`LOOKUP_PAUSE`]). It
/// answers for the credentials' account alone.
#[derive(Clone, Debug)]
pub struct CloudTrailLookup {
    config: SdkConfig,
}

impl CloudTrailLookup {
    /// LookupEvents with the credentials of `config`.
    pub fn new(config: SdkConfig) -> CloudTrailLookup {
        CloudTrailLookup { config }
    }
}

impl EventSource for CloudTrailLookup {
    fn events<'a>(
        &'a self,
        regions: &'a BTreeSet<Region>,
        names: &'a BTreeSet<Operation>,
        since: i64,
    ) -> Finding<'a> {
        Box::pin(self.look_up(regions, names, since))
    }
}

impl CloudTrailLookup {
    /// LookupEvents in each of `regions` at once.
    async fn look_up(
        &self,
        regions: &BTreeSet<Region>,
        names: &BTreeSet<Operation>,
        since: i64,
    ) -> Result<FoundEvents, EventsError> {
        let failed = |region: Region, source: Box<dyn std::error::Error + Send + Sync>| {
            EventsError::Lookup { region, source }
        };
        let mut lookups = JoinSet::new();
        let mut region_of = HashMap::new();
        for region in regions {
            let client = cloudtrail_client(&self.config, region);
            let names = names.clone();
            let task = lookups
                .spawn(async move { lookup_events(&client, &names, since, LOOKUP_PAUSE).await });
            region_of.insert(task.id(), region.clone());
        }
        let mut events = Vec::new();
        while let Some(joined) = lookups.join_next_with_id().await {
            let (id, found) = match joined {
                Ok((id, found)) => (id, found),
                Err(error) => return Err(failed(region_of[&error.id()].clone(), error.into())),
            };
            let region = region_of[&id].clone();
            let records = found.map_err(|error| failed(region.clone(), error.into()))?;
            events.extend(
                events_from_lookup(&records).map_err(|error| failed(region, error.into()))?,
            );
        }
        // Interfaces made and deleted are not looked up: log files only.
        Ok(FoundEvents {
            events,
            interfaces: None,
            skipped: Vec::new(),
        })
    }
}
