//! Where the CloudTrail events behind the changes come from: a port, so
//! that the core attributes a comparison whatever the source. Log files
//! under a folder are read here ([`LogFolder`]); LookupEvents is the AWS
//! edge's.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use nacl_drift_model::{Operation, Region};

use crate::{InterfaceEvent, LogError, NaclEvent, read_log_dir};

/// The NACL events a source found, and what it passed over.
#[derive(Debug, Default)]
pub struct FoundEvents {
    /// The events.
    pub events: Vec<NaclEvent>,
    /// The interfaces made and deleted (and instances terminated), when
    /// the source reads them: log files do, LookupEvents is not asked.
    pub interfaces: Option<Vec<InterfaceEvent>>,
    /// Files and records passed over as unreadable (when allowed), with why.
    pub skipped: Vec<LogError>,
}

/// Why a source could not give its events.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    /// The log files could not be read.
    #[error("cannot read the CloudTrail logs")]
    Logs(#[source] LogError),
    /// LookupEvents failed in a region.
    #[error("cannot look up CloudTrail events in {region}")]
    Lookup {
        /// The region.
        region: Region,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The events a source is finding.
pub type Finding<'a> = Pin<Box<dyn Future<Output = Result<FoundEvents, EventsError>> + Send + 'a>>;

/// A source of CloudTrail's NACL events; one source or another, chosen at
/// run time, is held as `&dyn EventSource`.
pub trait EventSource: Sync {
    /// The events named `names` (successful or not) in `regions`, from
    /// `since` (seconds since the epoch) on, as far as the source keeps them.
    fn events<'a>(
        &'a self,
        regions: &'a BTreeSet<Region>,
        names: &'a BTreeSet<Operation>,
        since: i64,
    ) -> Finding<'a>;
}

/// The CloudTrail log files under a folder (an organization trail's
/// `AWSLogs/...`, `*.json.gz` or `*.json`); with `ignore_bad`, files and
/// records that are not CloudTrail's are passed over and said.
#[derive(Clone, Debug)]
pub struct LogFolder {
    /// The folder.
    pub dir: PathBuf,
    /// Pass over what is not CloudTrail's, rather than fail.
    pub ignore_bad: bool,
}

impl EventSource for LogFolder {
    fn events<'a>(
        &'a self,
        _regions: &'a BTreeSet<Region>,
        _names: &'a BTreeSet<Operation>,
        _since: i64,
    ) -> Finding<'a> {
        Box::pin(async move {
            // Matching picks the names, regions and times: a folder is read whole.
            let logs = read_log_dir(&self.dir, self.ignore_bad).map_err(EventsError::Logs)?;
            Ok(FoundEvents {
                events: logs.events,
                interfaces: Some(logs.interfaces),
                skipped: logs.skipped,
            })
        })
    }
}
