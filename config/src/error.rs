//! The one error type of this crate.

use std::io;
use std::path::PathBuf;

/// Why a configuration could not be loaded. Every message names the file,
/// the key (as a path such as `bridge[0].port[1].ofport`) and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read config file: {source}", .path.display())]
    Io {
        /// The file that was being read.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// Not valid TOML, an unknown key, or a value of the wrong type.
    #[error("{}", syntax_text(.origin, *.line, *.column, .key.as_deref(), .message))]
    Syntax {
        /// File name (or other origin) of the text.
        origin: String,
        /// 1-based line of the offending text, when known.
        line: Option<usize>,
        /// 1-based column (in characters) of the offending text, when known.
        column: Option<usize>,
        /// Key path of the offending value, when it could be located.
        key: Option<String>,
        /// What toml/serde said, e.g. "unknown field `foo`, expected one of ...".
        message: String,
    },
    /// Well-formed TOML whose values break a rule of the schema.
    #[error("{}{}: {}: {}", .origin, at_line(*.line), .key, .message)]
    Invalid {
        /// File name (or other origin) of the text.
        origin: String,
        /// Key path, e.g. `bridge[0].port[1].ofport`.
        key: String,
        /// 1-based line of the key (or of its enclosing table when the key is absent).
        line: Option<usize>,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl ConfigError {
    /// Key path the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Io { .. } => None,
            ConfigError::Syntax { key, .. } => key.as_deref(),
            ConfigError::Invalid { key, .. } => Some(key),
        }
    }
}

fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn syntax_text(
    origin: &str,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<&str>,
    message: &str,
) -> String {
    let mut text = origin.to_string();
    if let Some(line) = line {
        text.push_str(&format!(":{line}"));
        if let Some(column) = column {
            text.push_str(&format!(":{column}"));
        }
    }
    if let Some(key) = key {
        text.push_str(&format!(": {key}"));
    }
    text.push_str(&format!(": {message}"));
    text
}

/// A rule broken at a key, before the origin and line are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_display_with_and_without_line() {
        let e = ConfigError::Invalid {
            origin: "a.toml".into(),
            key: "switch.pmd_cores".into(),
            line: Some(3),
            message: "must not be empty".into(),
        };
        assert_eq!(
            e.to_string(),
            "a.toml:3: switch.pmd_cores: must not be empty"
        );
        let e = ConfigError::Invalid {
            origin: "a.toml".into(),
            key: "bridge".into(),
            line: None,
            message: "x".into(),
        };
        assert_eq!(e.to_string(), "a.toml: bridge: x");
        assert_eq!(e.key(), Some("bridge"));
    }

    #[test]
    fn syntax_display() {
        let e = ConfigError::Syntax {
            origin: "a.toml".into(),
            line: Some(2),
            column: Some(5),
            key: Some("switch.foo".into()),
            message: "unknown field `foo`".into(),
        };
        assert_eq!(e.to_string(), "a.toml:2:5: switch.foo: unknown field `foo`");
    }

    #[test]
    fn io_display_names_file() {
        let e = ConfigError::Io {
            path: "/nope/x.toml".into(),
            source: io::Error::new(io::ErrorKind::NotFound, "gone"),
        };
        assert_eq!(e.to_string(), "/nope/x.toml: cannot read config file: gone");
    }
}
