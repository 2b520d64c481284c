//! Executes a compiled action program on one packet (placeholder; see
//! the actions issue work).
