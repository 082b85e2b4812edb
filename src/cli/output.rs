//! What several commands share: opening the query engine with the command's own error
//! messages, and writing record batches as a table, CSV, JSON or Parquet.

use std::path::Path;

use super::args::OutFormat;
use crate::exit_codes;
use crate::query::{Engine, QueryError};

/// The query engine over a warehouse and its context folder (default `WAREHOUSE/context`);
/// on failure the message is printed and the exit code returned: 3 for an unreadable
/// warehouse, 2 for a bad context table.
pub(super) fn open_engine(
    command: &str,
    warehouse: &Path,
    context: Option<&Path>,
    tz: chrono_tz::Tz,
    threads: usize,
    settings: &[(String, String)],
    reach: &crate::query::Reach,
) -> Result<Engine, i32> {
    let context_dir = context
        .map(Path::to_path_buf)
        .unwrap_or_else(|| warehouse.join("context"));
    Engine::open_with(warehouse, Some(&context_dir), tz, threads, settings, reach).map_err(|e| {
        eprintln!("recaudit {command}: {e}");
        match e {
            QueryError::Warehouse { .. } => exit_codes::RUN_FAILED,
            _ => exit_codes::USAGE,
        }
    })
}

/// Writes the rows to `out` (standard output without one) in the chosen format.
pub(super) fn write_batches(
    batches: &[arrow_array::RecordBatch],
    format: OutFormat,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    use datafusion::arrow;
    use std::io::Write;
    let mut sink: Box<dyn Write> = match out {
        Some(_) if matches!(format, OutFormat::Parquet) => Box::new(std::io::sink()),
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        OutFormat::Table => writeln!(
            sink,
            "{}",
            arrow::util::pretty::pretty_format_batches(batches)?
        )?,
        OutFormat::Csv => {
            // Batches are turned into CSV text in parallel, a window at a time, and written in
            // order: a few million rows would otherwise format on one core.
            use rayon::prelude::*;
            let window = rayon::current_num_threads().max(1) * 4;
            for (w, group) in batches.chunks(window).enumerate() {
                let texts: Vec<Result<Vec<u8>, arrow_schema::ArrowError>> = group
                    .par_iter()
                    .enumerate()
                    .map(|(i, b)| {
                        let mut buf = Vec::new();
                        let mut cw = arrow::csv::WriterBuilder::new()
                            .with_header(w == 0 && i == 0)
                            .build(&mut buf);
                        cw.write(b)?;
                        drop(cw);
                        Ok(buf)
                    })
                    .collect();
                for t in texts {
                    sink.write_all(&t?)?;
                }
            }
        }
        OutFormat::Json => {
            let mut w = arrow::json::ArrayWriter::new(&mut sink);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            writeln!(sink)?;
        }
        OutFormat::Parquet => {
            // Parquet needs a file of its own (checked by the caller); the sink is unused.
            let p = out.ok_or_else(|| anyhow::anyhow!("--format parquet needs --out FILE"))?;
            let f = std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", p.display()))?;
            let schema = batches
                .first()
                .map(|b| b.schema())
                .unwrap_or_else(|| std::sync::Arc::new(arrow_schema::Schema::empty()));
            let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, None)?;
            for b in batches {
                w.write(b)?;
            }
            w.close()?;
            return Ok(());
        }
    }
    sink.flush()?;
    Ok(())
}
