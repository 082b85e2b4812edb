//! recaudit's integration tests: one binary, one module per area (see `util` for helpers).

mod blake3_ref;
mod chain;
mod completeness;
mod findings;
mod formats;
mod hostile;
mod keyframes;
mod layout;
mod nightly;
mod province;
mod query;
mod regression;
mod report;
mod rescan_property;
mod scan_cli;
mod util;
mod warehouse;
