//! Globs over ids: `acl-0abc*`, `eu-*`.

use std::fmt;

use nacl_drift_model::sanitize::cut;

/// A glob over an id: `*` for any run of characters, `?` for one, `[...]`
/// for one of a set. Without any of those, the id itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern(glob::Pattern);

impl Pattern {
    /// The glob `text`, or why it is not one.
    pub fn new(text: &str) -> Result<Self, String> {
        glob::Pattern::new(text)
            .map(Pattern)
            .map_err(|error| format!("`{}` is not a valid glob: {}", cut(text), error.msg))
    }

    /// Whether `id` matches.
    pub fn matches(&self, id: &str) -> bool {
        self.0.matches(id)
    }

    /// Whether it matches every one of `probes`: ids of every first
    /// character, last character and length their kind has. A glob that
    /// does (`*`, `acl-*`, `[!z]*`) names no id in particular.
    pub fn matches_all(&self, probes: &[&str]) -> bool {
        probes.iter().all(|id| self.matches(id))
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}
