//! Where the intended state comes from: a port. `compare` takes
//! [`Baselines`] whatever their source, so that a second source of intent
//! (a Terraform state: `WithTerraform`) or a second notion of time (the
//! baselines as they stood when an incident began) plugs in here, and
//! nowhere else.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use nacl_drift_model::{ParseCache, Region};
use nacl_drift_terraform::StateLock;

use crate::{Baselines, ReconcileError};

/// Reading the intent, or whether it is being changed: a boxed future, so
/// that a front-end holds its source as `dyn IntentSource`.
pub type IntentRead<'a, T> = Pin<Box<dyn Future<Output = Result<T, ReconcileError>> + Send + 'a>>;

/// A source of intent: what every NACL of the VPCs it covers should be.
pub trait IntentSource: Send + Sync {
    /// Where the intent is, for people: the baseline folder.
    fn location(&self) -> &Path;

    /// The intent, read afresh: of `regions` alone (each one's scope
    /// narrowed to them) when `regions` is not empty.
    fn intent<'a>(&'a self, regions: &'a [Region]) -> IntentRead<'a, Baselines>;

    /// Whether the intent is being changed right now (a `terraform apply`
    /// holds a state's lock): then nothing may be restored to it.
    fn lock(&self) -> IntentRead<'_, Option<StateLock>> {
        Box::pin(async { Ok(None) })
    }
}

/// The YAML baselines under a folder, as `snapshot` writes them and people
/// review them: the first source of intent.
#[derive(Clone, Debug, Default)]
pub struct BaselineFolder {
    /// The folder.
    pub path: PathBuf,
    /// Where parses of its files are kept between runs, if anywhere.
    pub cache: Option<ParseCache>,
}

impl BaselineFolder {
    /// The baselines under `path`, parsed afresh at every read.
    pub fn new(path: impl Into<PathBuf>) -> BaselineFolder {
        BaselineFolder {
            path: path.into(),
            cache: None,
        }
    }
}

impl IntentSource for BaselineFolder {
    fn location(&self) -> &Path {
        &self.path
    }

    fn intent<'a>(&'a self, regions: &'a [Region]) -> IntentRead<'a, Baselines> {
        Box::pin(
            async move { Baselines::read(&self.path, self.cache.as_ref())?.in_regions(regions) },
        )
    }
}
