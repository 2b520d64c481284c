//! The fast path crate's one error type.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("DPDK's EAL is already initialised in this process (it can start only once)")]
    EalAlreadyInitialised,
    #[error("DPDK EAL initialisation failed: {message}")]
    EalInit { message: String },
    #[error("devargs {devargs:?}: {message}")]
    Devargs { devargs: String, message: String },
    #[error("{op}: {message}")]
    Dpdk { op: String, message: String },
    #[error("{0}")]
    Config(String),
    #[error("PMD thread for core {core}: {message}")]
    Pmd { core: usize, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
