//! recaudit: audits body-worn recorder footage. The stages, in the order data flows through
//! them: [`walk`] -> [`read`] (hash + [`media`] parse, one pass) -> [`scan`] (rows) ->
//! [`store`] (Parquet warehouse). [`cli`] is the only module that knows about the command line.

pub mod analyse;
pub mod calendar;
pub mod catalog;
pub mod chain;
pub mod checklist;
pub mod cli;
pub mod completeness;
pub mod config;
pub mod context;
pub mod counter;
pub mod custody;
pub mod estate;
pub mod exit_codes;
pub mod export;
pub mod keyframes;
pub mod media;
pub mod obligations;
/// Reading the burned-in clock: a crate of its own (`crates/osd`), see its documentation.
pub use recaudit_osd as osd;
pub mod pathinfo;
pub mod pathjoin;
pub mod pathtable;
pub mod permute;
pub mod query;
pub mod read;
pub mod recorders;
pub mod report;
pub mod rules;
pub mod sample;
pub mod sample_catalog;
pub mod scan;
pub mod sessions;
pub mod store;
pub mod walk;
pub mod worker;

/// The message of a caught panic (what a parser or decoder bug said), for a file's note.
pub fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}
