//! The management interface `ferroctl` uses: a unix socket (mode 0600) in
//! the run directory speaking line-delimited JSON.
pub mod client;
pub mod proto;
pub mod render;
pub mod server;
