//! Errors from reading and writing baseline files.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A baseline file that could not be read, parsed, validated or written.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file is not a valid baseline. Displays as `path:line:column: message`
    /// where the line is known, as compilers do.
    #[error("{location}: {message}")]
    Invalid {
        /// The file, and where in it.
        location: FileLocation,
        /// What is wrong.
        message: String,
    },
    /// The baseline folder does not exist.
    #[error(
        "no baseline folder {}: run `nacl-drift snapshot` first, or pass --baseline-dir",
        .0.display()
    )]
    NoFolder(PathBuf),
    /// The file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A path that is not strictly inside the baseline directory: refused.
    #[error(
        "refusing to write {}: it is not strictly inside the baseline directory {}",
        path.display(),
        dir.display()
    )]
    OutsideDir {
        /// The path a write or removal was asked for.
        path: PathBuf,
        /// The baseline directory it must be inside.
        dir: PathBuf,
    },
    /// Two files hold the same NACL or subnet: they would fight.
    #[error(
        "{}: {what} is in {} too: a NACL or a subnet belongs to the one file of its VPC",
        path.display(),
        other.display()
    )]
    HeldTwice {
        /// The file that holds it second, by path.
        path: PathBuf,
        /// What both hold: `network ACL acl-...` or `subnet subnet-...`.
        what: String,
        /// The file that holds it first.
        other: PathBuf,
    },
    /// The file could not be written or removed.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// A file, and the line and column within it where they are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocation {
    /// The file.
    pub path: PathBuf,
    /// The line and column, from 1, when the parser knows them.
    pub line_column: Option<(usize, usize)>,
}

impl fmt::Display for FileLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.line_column {
            write!(f, ":{line}:{column}")?;
        }
        Ok(())
    }
}

impl BaselineError {
    pub(crate) fn invalid(path: PathBuf, message: impl Into<String>) -> Self {
        BaselineError::Invalid {
            location: FileLocation {
                path,
                line_column: None,
            },
            message: message.into(),
        }
    }

    /// Turns a YAML error into `path:line:column: message`, moving the
    /// parser's own " at line L column C" into the location.
    pub(crate) fn from_yaml(path: PathBuf, error: &serde_yaml::Error) -> Self {
        let mut message = error.to_string();
        let line_column = error.location().map(|at| (at.line(), at.column()));
        if let Some((line, column)) = line_column {
            message = message.replacen(&format!(" at line {line} column {column}"), "", 1);
        }
        BaselineError::Invalid {
            location: FileLocation { path, line_column },
            message,
        }
    }
}

/// `error` and its causes, in one line: `what: why: why`.
pub fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(&format!(": {error}"));
        cause = error.source();
    }
    text
}
