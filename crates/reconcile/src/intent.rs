//! Where the intended state comes from: a port. `compare` takes
//! [`Baselines`] whatever their source, so that a second source of intent
//! (a Terraform state) or a second notion of time (the baselines as they
//! stood when an incident began) plugs in here, and nowhere else.

use std::path::{Path, PathBuf};

use nacl_drift_model::Region;

use crate::{Baselines, ReconcileError};

/// A source of intent: what every NACL of the VPCs it covers should be.
pub trait IntentSource: Send + Sync {
    /// Where the intent is, for people: the baseline folder.
    fn location(&self) -> &Path;

    /// The intent, read afresh: of `regions` alone (each one's scope
    /// narrowed to them) when `regions` is not empty.
    fn intent(&self, regions: &[Region]) -> Result<Baselines, ReconcileError>;
}

/// The YAML baselines under a folder, as `snapshot` writes them and people
/// review them: the first source of intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaselineFolder(pub PathBuf);

impl IntentSource for BaselineFolder {
    fn location(&self) -> &Path {
        &self.0
    }

    fn intent(&self, regions: &[Region]) -> Result<Baselines, ReconcileError> {
        Baselines::read(&self.0)?.in_regions(regions)
    }
}
