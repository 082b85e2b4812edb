//! The warehouse's tables, one file each: the row type, and its Arrow columns in the order and
//! with the names documented in the README ("Tables"). Those names are a public interface:
//! change them only by adding columns. The schema of a table is whatever its `*_batch`
//! function builds, so the schema and the row builder cannot drift apart.

mod case_items;
mod custody_events;
mod exports;
mod file_sessions;
mod files;
mod findings;
mod keyframes;
mod osd_fonts;
mod runs;
mod sessions;
mod streams;

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

pub use case_items::{CaseItemRow, case_items_batch};
pub use custody_events::{CustodyEvent, custody_batch, is_offence, names_an_earlier_path};
pub use exports::{ExportRow, exports_batch};
pub use file_sessions::{FileSessionRow, file_sessions_batch};
pub use files::{
    Derived, FileRow, Osd, OsdReading, PATH_COLUMNS, derived_columns, files_batch, osd_batch,
    path_columns, with_derived, with_osd,
};
pub(crate) use findings::rows_of_batch as finding_rows_of_batch;
pub use findings::{FindingRow, findings_batch, read_findings};
pub use keyframes::{KeyframeRow, keyframes_batch};
pub use osd_fonts::{FontRow, osd_fonts_batch};
pub use runs::{RunRow, runs_batch};
pub use sessions::{SessionRow, sessions_batch};
pub use streams::{StreamRow, streams_batch};

use super::StoreError;

/// Every table's schema, in order, for documentation checks.
pub fn schemas() -> Vec<(&'static str, Arc<Schema>)> {
    let mut v = Vec::new();
    if let Ok(b) = files_batch(&[]) {
        v.push(("files", b.schema()));
    }
    if let Ok(b) = streams_batch(&[]) {
        v.push(("streams", b.schema()));
    }
    if let Ok(b) = runs_batch(&[]) {
        v.push(("runs", b.schema()));
    }
    if let Ok(b) = sessions_batch(&[]) {
        v.push(("sessions", b.schema()));
    }
    if let Ok(b) = findings_batch(&[]) {
        v.push(("findings", b.schema()));
    }
    if let Ok(b) = custody_batch(&[]) {
        v.push(("custody_events", b.schema()));
    }
    if let Ok(b) = exports_batch(&[]) {
        v.push(("exports", b.schema()));
    }
    if let Ok(b) = case_items_batch(&[]) {
        v.push(("case_items", b.schema()));
    }
    if let Ok(b) = keyframes_batch(&[]) {
        v.push(("keyframes", b.schema()));
    }
    if let Ok(b) = osd_fonts_batch(&[]) {
        v.push(("osd_fonts", b.schema()));
    }
    if let Ok(b) = file_sessions_batch(&[]) {
        v.push(("file_sessions", b.schema()));
    }
    v
}

/// Collects named columns, deriving the schema as they are added.
struct Cols {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Cols {
    fn new() -> Self {
        Cols {
            fields: Vec::new(),
            arrays: Vec::new(),
        }
    }
    fn push(&mut self, name: &str, dt: DataType, a: ArrayRef) {
        self.fields.push(Field::new(name, dt, true));
        self.arrays.push(a);
    }
    fn str<'a>(&mut self, name: &str, v: impl Iterator<Item = Option<&'a str>>) {
        self.push(name, DataType::Utf8, Arc::new(v.collect::<StringArray>()));
    }
    fn bin<'a>(&mut self, name: &str, v: impl Iterator<Item = Option<&'a [u8]>>) {
        self.push(name, DataType::Binary, Arc::new(v.collect::<BinaryArray>()));
    }
    fn i64(&mut self, name: &str, v: impl Iterator<Item = Option<i64>>) {
        self.push(name, DataType::Int64, Arc::new(v.collect::<Int64Array>()));
    }
    fn i32(&mut self, name: &str, v: impl Iterator<Item = Option<i32>>) {
        self.push(name, DataType::Int32, Arc::new(v.collect::<Int32Array>()));
    }
    fn f64(&mut self, name: &str, v: impl Iterator<Item = Option<f64>>) {
        self.push(
            name,
            DataType::Float64,
            Arc::new(v.collect::<Float64Array>()),
        );
    }
    fn bool(&mut self, name: &str, v: impl Iterator<Item = Option<bool>>) {
        self.push(
            name,
            DataType::Boolean,
            Arc::new(v.collect::<BooleanArray>()),
        );
    }
    /// Days since the Unix epoch, as a date column.
    fn date(&mut self, name: &str, v: impl Iterator<Item = Option<i32>>) {
        self.push(
            name,
            DataType::Date32,
            Arc::new(v.collect::<arrow_array::Date32Array>()),
        );
    }
    /// Microseconds since the Unix epoch, as a UTC timestamp column.
    fn ts(&mut self, name: &str, v: impl Iterator<Item = Option<i64>>) {
        let a = v
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC");
        self.push(
            name,
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Arc::new(a),
        );
    }
    fn str_list<'a>(&mut self, name: &str, v: impl Iterator<Item = &'a [String]>) {
        let mut b = ListBuilder::new(StringBuilder::new());
        for items in v {
            for s in items {
                b.values().append_value(s);
            }
            b.append(true);
        }
        let a = b.finish();
        self.push(name, a.data_type().clone(), Arc::new(a));
    }
    fn finish(self, table: &'static str) -> Result<RecordBatch, StoreError> {
        RecordBatch::try_new(Arc::new(Schema::new(self.fields)), self.arrays)
            .map_err(|source| StoreError::Arrow { table, source })
    }
}

fn ts_array(v: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        v.collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    )
}
