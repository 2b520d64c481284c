//! Message-level tests: golden bytes, round trips, error codes, fuzzing.
