//! Whether CloudTrail records a region's NACL calls: a trail that logs the
//! region's write management events. Without one, EventBridge receives no
//! "AWS API Call via CloudTrail" event (the guard's event mode would never
//! fire) and attribution has nothing to read.

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventSelector, ReadWriteType};

use crate::ApiError;

/// A trail that covers the client's region, and what it records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trail {
    /// Its name.
    pub name: String,
    /// Whether it is logging now.
    pub logging: bool,
    /// Whether its selectors keep write management events (NACL calls).
    pub management_writes: bool,
}

impl Trail {
    /// Whether it records NACL calls now.
    pub fn records_nacl_calls(&self) -> bool {
        self.logging && self.management_writes
    }
}

/// The trails that cover the client's region (its own, and other regions'
/// multi-region and organization trails), each with its status and
/// selectors.
pub async fn region_trails(client: &Client) -> Result<Vec<Trail>, ApiError> {
    let described = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|error| ApiError::new("DescribeTrails", error))?;
    let mut trails = Vec::new();
    for trail in described.trail_list() {
        let Some(arn) = trail.trail_arn() else {
            continue;
        };
        let status = client
            .get_trail_status()
            .name(arn)
            .send()
            .await
            .map_err(|error| ApiError::new("GetTrailStatus", error))?;
        let selectors = client
            .get_event_selectors()
            .trail_name(arn)
            .send()
            .await
            .map_err(|error| ApiError::new("GetEventSelectors", error))?;
        trails.push(Trail {
            name: trail.name().unwrap_or(arn).to_owned(),
            logging: status.is_logging().unwrap_or(false),
            management_writes: keeps_management_writes(
                selectors.event_selectors(),
                selectors.advanced_event_selectors(),
            ),
        });
    }
    Ok(trails)
}

/// Whether a trail's selectors keep write management events. A trail with
/// neither kind of selector has CloudTrail's default, which keeps every
/// management event.
fn keeps_management_writes(basic: &[EventSelector], advanced: &[AdvancedEventSelector]) -> bool {
    if basic.is_empty() && advanced.is_empty() {
        return true;
    }
    let basic_keeps = basic.iter().any(|selector| {
        selector.include_management_events().unwrap_or(true)
            && !matches!(selector.read_write_type(), Some(ReadWriteType::ReadOnly))
    });
    let advanced_keeps = advanced.iter().any(|selector| {
        let fields = selector.field_selectors();
        let management = fields.iter().any(|field| {
            field.field() == "eventCategory" && field.equals().iter().any(|v| v == "Management")
        });
        let reads_only = fields
            .iter()
            .any(|field| field.field() == "readOnly" && field.equals().iter().any(|v| v == "true"));
        management && !reads_only
    });
    basic_keeps || advanced_keeps
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::types::AdvancedFieldSelector;

    use super::*;

    fn basic(management: bool, kind: ReadWriteType) -> EventSelector {
        EventSelector::builder()
            .include_management_events(management)
            .read_write_type(kind)
            .build()
    }

    fn advanced(fields: &[(&str, &str)]) -> AdvancedEventSelector {
        let mut selector = AdvancedEventSelector::builder();
        for (field, value) in fields {
            selector = selector.field_selectors(
                AdvancedFieldSelector::builder()
                    .field(*field)
                    .equals(*value)
                    .build()
                    .expect("a field"),
            );
        }
        selector.build().expect("a selector")
    }

    #[test]
    fn write_management_events_are_kept_by_default_all_and_write_only() {
        assert!(keeps_management_writes(&[], &[]));
        assert!(keeps_management_writes(
            &[basic(true, ReadWriteType::All)],
            &[]
        ));
        assert!(keeps_management_writes(
            &[basic(true, ReadWriteType::WriteOnly)],
            &[]
        ));
        assert!(!keeps_management_writes(
            &[basic(true, ReadWriteType::ReadOnly)],
            &[]
        ));
        assert!(!keeps_management_writes(
            &[basic(false, ReadWriteType::All)],
            &[]
        ));
        assert!(keeps_management_writes(
            &[],
            &[advanced(&[("eventCategory", "Management")])]
        ));
        assert!(!keeps_management_writes(
            &[],
            &[advanced(&[
                ("eventCategory", "Management"),
                ("readOnly", "true")
            ])]
        ));
        assert!(!keeps_management_writes(
            &[],
            &[advanced(&[("eventCategory", "Data")])]
        ));
    }
}
