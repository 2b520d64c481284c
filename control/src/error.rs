//! The control crate's one error type.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] fsconfig::ConfigError),
    #[error("run directory {path}: {message}")]
    RunDir { path: PathBuf, message: String },
    #[error("another ferroswitch (pid {pid}) is already running with run directory {path}; stop it first or use another --run-dir")]
    AlreadyRunning { path: PathBuf, pid: String },
    #[error("hugepages: {0}")]
    Hugepages(String),
    #[error("port {port:?}: {source}")]
    Port {
        port: String,
        #[source]
        source: fastpath::Error,
    },
    #[error(transparent)]
    Fastpath(#[from] fastpath::Error),
    #[error("bridge {bridge:?}: {message}")]
    Flows { bridge: String, message: String },
    #[error("management socket {path}: {source}")]
    Mgmt {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
