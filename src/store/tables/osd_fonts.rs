//! `osd_fonts`: the display shapes the keyframe stage learned, per group of recordings that
//! share a display (one device model, else one device, at one picture size), so that a later
//! run reads that group's new recordings without learning again: a night that brings one short
//! recording of a model can still read its clock. Carried from run to run; a group learned
//! again replaces its rows.
use arrow_array::RecordBatch;

use super::Cols;
use crate::store::StoreError;

/// One learned shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FontRow {
    /// The group, as the keyframe stage names it (`device DSJ-A0012 1280x720`).
    pub display_group: String,
    /// The shape: 20 rows of 16 cells, each row four hex digits (cell `c` in bit `c`).
    pub shape: String,
    /// The digit it shows; null for a shape that is no digit (letters, separators).
    pub digit: Option<i32>,
    /// The run that learned it.
    pub learned_run_id: String,
    /// Top and bottom row of the display's clock line in the picture (the same on every row
    /// of a group); null in fonts kept before the rows were.
    pub line_top: Option<i32>,
    pub line_bottom: Option<i32>,
    /// How the display's text was told from the scene: `edged` (dark on both sides of every
    /// stroke: an outline, a box, a dark scene) or `bright` (brighter than the scene: a drop
    /// shadow, plain text). The same on every row of a group; null in fonts kept before it was
    /// (read as `edged`).
    pub ink: Option<String>,
    /// The order the display writes its date in: `ymd`, `mdy`, `dmy`, or `year last` (month
    /// and day in an order not yet seen: only dates that read one way are read). The same on
    /// every row of a group; null in fonts kept before it was (read as `ymd`).
    pub date_order: Option<String>,
}

pub fn osd_fonts_batch(rows: &[FontRow]) -> Result<RecordBatch, StoreError> {
    let mut c = Cols::new();
    c.str(
        "display_group",
        rows.iter().map(|r| Some(r.display_group.as_str())),
    );
    c.str("shape", rows.iter().map(|r| Some(r.shape.as_str())));
    c.i32("digit", rows.iter().map(|r| r.digit));
    c.str(
        "learned_run_id",
        rows.iter().map(|r| Some(r.learned_run_id.as_str())),
    );
    c.i32("line_top", rows.iter().map(|r| r.line_top));
    c.i32("line_bottom", rows.iter().map(|r| r.line_bottom));
    c.str("ink", rows.iter().map(|r| r.ink.as_deref()));
    c.str("date_order", rows.iter().map(|r| r.date_order.as_deref()));
    c.finish("osd_fonts")
}
