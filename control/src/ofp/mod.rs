//! OpenFlow 1.3 protocol definitions shared by the pipeline, the flow
//! syntax and (later) the wire codec.
pub mod channel;
pub mod client;
pub mod codec;
pub mod error;
pub mod error_names;
pub mod ofctl;
pub mod port;

pub use error::{OfpError, OfpErrorKind};
pub use port::PortNo;
