//! `file_sessions`: in a shared (province) warehouse, the recording session of each file, as the
//! analysis over every node's files found it. A node's scanner cannot know a session that
//! continues on another node, so its `files` rows leave `session_id` empty and the analysis
//! publishes it here; a query engine opening the shared warehouse joins it back into `files`.
//! A single-server warehouse fills `files.session_id` directly and leaves this table empty.
use arrow_array::RecordBatch;

use super::Cols;
use crate::store::StoreError;

/// One file's session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileSessionRow {
    /// The analysis run.
    pub run_id: String,
    pub path: String,
    pub session_id: String,
}

pub fn file_sessions_batch(rows: &[FileSessionRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str("run_id", rows.iter().map(|r| Some(r.run_id.as_str())));
    c.str("path", rows.iter().map(|r| Some(r.path.as_str())));
    c.str(
        "session_id",
        rows.iter().map(|r| Some(r.session_id.as_str())),
    );
    c.finish("file_sessions")
}
