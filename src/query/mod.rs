//! SQL over the warehouse with DataFusion. One function builds the session and registers every
//! warehouse table (each folder of Parquet files under the warehouse) and every context table;
//! one runs SQL and returns record batches; printing lives in `cli`. Named analyses are the
//! `queries/*.sql` files, compiled into the binary so it works from any folder.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::execution::context::SessionContext;
use datafusion::prelude::{ParquetReadOptions, SessionConfig};

use crate::context::{self, ContextError, Loaded};

mod distributed;
mod shared;
mod translate;

pub use translate::Target;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Sql(String),
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error("warehouse {path}: {message}")]
    Warehouse {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("query '{name}' needs parameter '{param}' ({doc}): pass --param {param}=VALUE")]
    MissingParam {
        name: String,
        param: String,
        doc: String,
    },
    #[error("unknown query '{0}'; `recaudit query --list` shows the named analyses")]
    UnknownQuery(String),
    #[error("query '{name}' has no parameter '{param}'; it takes: {known}")]
    UnknownParam {
        name: String,
        param: String,
        known: String,
    },
    #[error("cannot start the query runtime: {0}")]
    Runtime(String),
}

/// A named analysis from `queries/`.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: &'static str,
    pub sql: &'static str,
    pub purpose: String,
    pub article: String,
    /// (name, default, description)
    pub params: Vec<(String, Option<String>, String)>,
}

const QUERIES: &[(&str, &str)] = &[
    ("case_review", include_str!("../../queries/case_review.sql")),
    (
        "case_completeness",
        include_str!("../../queries/case_completeness.sql"),
    ),
    ("supervision", include_str!("../../queries/supervision.sql")),
    ("evaluation", include_str!("../../queries/evaluation.sql")),
    (
        "public_opinion",
        include_str!("../../queries/public_opinion.sql"),
    ),
    ("decision", include_str!("../../queries/decision.sql")),
    ("credit_feed", include_str!("../../queries/credit_feed.sql")),
    (
        "equipment_ratio",
        include_str!("../../queries/equipment_ratio.sql"),
    ),
    (
        "hazard_devices",
        include_str!("../../queries/hazard_devices.sql"),
    ),
    ("retention", include_str!("../../queries/retention.sql")),
    (
        "period_summary",
        include_str!("../../queries/period_summary.sql"),
    ),
];

/// Reads the header comment: `-- purpose: ...`, `-- article: ...`,
/// `-- param: NAME [= DEFAULT] : description`.
fn parse(name: &'static str, sql: &'static str) -> Named {
    let mut n = Named {
        name,
        sql,
        purpose: String::new(),
        article: String::new(),
        params: Vec::new(),
    };
    for l in sql.lines() {
        let Some(c) = l.trim().strip_prefix("--") else {
            break;
        };
        let c = c.trim();
        if let Some(v) = c.strip_prefix("purpose:") {
            n.purpose = v.trim().to_string();
        } else if let Some(v) = c.strip_prefix("article:") {
            n.article = v.trim().to_string();
        } else if let Some(v) = c.strip_prefix("param:") {
            let (head, doc) = v.split_once(" : ").unwrap_or((v, ""));
            let (pname, default) = match head.split_once('=') {
                Some((a, b)) => (a.trim().to_string(), Some(b.trim().to_string())),
                None => (head.trim().to_string(), None),
            };
            n.params.push((pname, default, doc.trim().to_string()));
        }
    }
    n
}

pub fn named() -> Vec<Named> {
    QUERIES.iter().map(|(n, s)| parse(n, s)).collect()
}

/// SQL text with `{{param}}` replaced by SQL string literals (quotes doubled).
pub fn instantiate(q: &Named, given: &BTreeMap<String, String>) -> Result<String, QueryError> {
    for k in given.keys() {
        if !q.params.iter().any(|(p, _, _)| p == k) {
            return Err(QueryError::UnknownParam {
                name: q.name.into(),
                param: k.clone(),
                known: q
                    .params
                    .iter()
                    .map(|(p, _, _)| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let mut sql = q.sql.to_string();
    for (p, default, doc) in &q.params {
        let v = given
            .get(p)
            .or(default.as_ref())
            .ok_or_else(|| QueryError::MissingParam {
                name: q.name.into(),
                param: p.clone(),
                doc: doc.clone(),
            })?;
        sql = sql.replace(
            &format!("{{{{{p}}}}}"),
            &format!("'{}'", v.replace('\'', "''")),
        );
    }
    Ok(sql)
}

/// How an engine reaches what is not on this machine: a bucket's settings, the workers.
pub struct Reach<'a> {
    pub storage: &'a crate::config::StorageSettings,
    /// `http://host:port` of `recaudit worker` processes (none: run here).
    pub workers: &'a [String],
}

pub struct Engine {
    rt: tokio::runtime::Runtime,
    pub ctx: SessionContext,
    pub tables: Vec<String>,
    warehouse: std::path::PathBuf,
    /// A shared warehouse's `files` as the nodes published them (before `file_sessions` is
    /// joined in): what another engine's `files` view stands for when a query is translated.
    published_files: Option<Arc<dyn datafusion::catalog::TableProvider>>,
    /// A shared warehouse kept open: a bucket's downloaded context tables live as long as it.
    _shared: Option<crate::store::shared::Shared>,
}

impl Engine {
    /// [`Engine::open_with`] reaching a bucket with the environment's settings only.
    pub fn open(
        warehouse: &Path,
        context_dir: Option<&Path>,
        tz: chrono_tz::Tz,
        threads: usize,
        settings: &[(String, String)],
    ) -> Result<Engine, QueryError> {
        let reach = Reach {
            storage: &crate::config::StorageSettings::default(),
            workers: &[],
        };
        Engine::open_with(warehouse, context_dir, tz, threads, settings, &reach)
    }

    /// Registers every table folder of the warehouse and every context table. `settings`
    /// (`datafusion.…` key, value) are applied before any table is registered, so table-level
    /// options such as Parquet reading take effect. A shared warehouse in a bucket is reached
    /// with `storage` (each unset key from the environment). With `workers` (`http://host:port`
    /// of `recaudit worker` processes) queries are planned here and run across the workers
    /// (see [`crate::worker`]); `distributed.*` settings then tune the distributed planner.
    pub fn open_with(
        warehouse: &Path,
        context_dir: Option<&Path>,
        tz: chrono_tz::Tz,
        threads: usize,
        settings: &[(String, String)],
        reach: &Reach,
    ) -> Result<Engine, QueryError> {
        let (storage, workers) = (reach.storage, reach.workers);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .enable_all()
            .build()
            .map_err(|e| QueryError::Runtime(e.to_string()))?;
        let mut config = SessionConfig::new()
            .with_target_partitions(threads.max(1))
            .with_information_schema(true);
        // Joins whose smaller side is up to a few million rows build one shared hash table and
        // probe it from every partition, instead of hash-partitioning both sides: the large
        // side (files, tens of millions of rows keyed by long paths) is then never shuffled.
        // Measured on the 10M-file benchmark warehouse (README, "Performance").
        let opts = config.options_mut();
        opts.optimizer.hash_join_single_partition_threshold_rows = 4 << 20;
        opts.optimizer.hash_join_single_partition_threshold = 256 << 20;
        // Filters are applied while Parquet is decoded, so the other columns of rows they drop
        // (paths and hashes of files outside a window or linked to no case) are not built:
        // public_opinion -22%, case_review -10%, no analysis slower (README, "Performance").
        opts.execution.parquet.pushdown_filters = true;
        let (planner, settings): (Vec<_>, Vec<_>) = settings
            .iter()
            .partition(|(k, _)| k.starts_with("distributed."));
        for (k, v) in settings {
            opts.set(k, v.trim())
                .map_err(|e| QueryError::Sql(format!("setting {k}={v}: {e}")))?;
        }
        let ctx = if workers.is_empty() {
            if let Some((k, _)) = planner.first() {
                return Err(QueryError::Sql(format!(
                    "setting {k}: distributed.* settings need --workers"
                )));
            }
            SessionContext::new_with_config(config)
        } else {
            distributed::context(config, workers, &planner)?
        };
        let (mut tables, published_files, mut shared) =
            if crate::store::shared::is_shared(warehouse) {
                let (t, f, sh) = shared::register(&rt, &ctx, warehouse, storage)?;
                (t, Some(f), Some(sh))
            } else {
                (register_single(&rt, &ctx, warehouse)?, None, None)
            };
        // The context folder of a warehouse in a bucket is the bucket's `context/`, fetched.
        let fetched;
        let context_dir = match (&mut shared, context_dir) {
            (Some(sh), Some(c)) if c.to_string_lossy().starts_with("s3://") => {
                fetched = sh.context_dir().map_err(|e| QueryError::Warehouse {
                    path: warehouse.to_path_buf(),
                    message: e.to_string(),
                })?;
                fetched.as_deref()
            }
            (_, c) => c,
        };
        for (name, loaded) in context::load(context_dir, tz)? {
            match loaded {
                Loaded::Batch(b) => {
                    let t = MemTable::try_new(b.schema(), vec![vec![b]])
                        .map_err(|e| QueryError::Sql(e.to_string()))?;
                    ctx.register_table(name, Arc::new(t))
                        .map_err(|e| QueryError::Sql(e.to_string()))?;
                }
                Loaded::Parquet(p) => {
                    rt.block_on(ctx.register_parquet(
                        name,
                        p.to_string_lossy().as_ref(),
                        ParquetReadOptions::default(),
                    ))
                    .map_err(|e| QueryError::Sql(e.to_string()))?;
                }
            }
            tables.push(name.to_string());
        }
        Ok(Engine {
            rt,
            ctx,
            tables,
            warehouse: warehouse.to_path_buf(),
            published_files,
            _shared: shared,
        })
    }

    /// Runs one or more `;`-separated statements; returns the last one's rows.
    pub fn run(&self, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
        self.rt.block_on(async {
            let mut last = Vec::new();
            for stmt in split_statements(sql) {
                let df = self
                    .ctx
                    .sql(&stmt)
                    .await
                    .map_err(|e| QueryError::Sql(e.to_string()))?;
                let schema = Arc::new(df.schema().as_arrow().clone());
                last = df.collect().await.map_err(|e| {
                    let mut m = e.to_string();
                    if m.contains("Parquet error") {
                        m.push_str(&self.damaged_files());
                    }
                    QueryError::Sql(m)
                })?;
                // An empty result still has its columns (a CSV header, a Parquet schema).
                if last.is_empty() {
                    last.push(RecordBatch::new_empty(schema));
                }
            }
            Ok(last)
        })
    }

    /// Runs `sql` and returns its rows as JSON objects, values as `recaudit query --format
    /// json` prints them (so a report built from them shows the numbers the query shows).
    pub fn json_rows(
        &self,
        sql: &str,
    ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, QueryError> {
        let batches = self.run(sql)?;
        let mut buf = Vec::new();
        {
            let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
            for b in &batches {
                w.write(b).map_err(|e| QueryError::Sql(e.to_string()))?;
            }
            w.finish().map_err(|e| QueryError::Sql(e.to_string()))?;
        }
        if buf.is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_slice(&buf).map_err(|e| QueryError::Sql(e.to_string()))
    }

    /// Runs the named analysis `name` with `params`.
    pub fn named_rows(
        &self,
        name: &str,
        params: &[(&str, String)],
    ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, QueryError> {
        let q = named()
            .into_iter()
            .find(|q| q.name == name)
            .ok_or_else(|| QueryError::UnknownQuery(name.to_string()))?;
        let given: BTreeMap<String, String> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.json_rows(&instantiate(&q, &given)?)
    }

    /// After a Parquet error (DataFusion's message does not name the file): which warehouse
    /// files cannot be opened, and why. Tables are only read when a query uses them, so this
    /// looks only once something failed.
    fn damaged_files(&self) -> String {
        let mut bad = Vec::new();
        for t in &self.tables {
            let Ok(rd) = std::fs::read_dir(self.warehouse.join(t)) else {
                continue;
            };
            let mut paths: Vec<_> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            paths.sort();
            for p in paths {
                if let Err(e) = crate::store::parquet_reader(&p, 1, Some(&[])) {
                    bad.push(e.to_string());
                }
            }
        }
        if bad.is_empty() {
            String::new()
        } else {
            format!(" (damaged warehouse files: {})", bad.join("; "))
        }
    }
}

/// Registers the tables of a single-server warehouse: one folder per table under `current`.
fn register_single(
    rt: &tokio::runtime::Runtime,
    ctx: &SessionContext,
    warehouse: &Path,
) -> Result<Vec<String>, QueryError> {
    let mut tables = Vec::new();
    let current = warehouse.join("current");
    let rd = std::fs::read_dir(&current).map_err(|e| QueryError::Warehouse {
        path: warehouse.to_path_buf(),
        message: format!("no committed run ({e}); run `recaudit scan` first"),
    })?;
    let mut dirs: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            std::fs::read_dir(p).is_ok_and(|mut r| {
                r.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet")))
            })
        })
        .collect();
    dirs.sort();
    let known = crate::store::schemas();
    for d in dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let path = warehouse.join(&name);
        // A known table is registered with its documented schema, so opening the warehouse
        // reads no Parquet footer (only the tables a query uses are read, when it runs),
        // and files written before a column was added read it as NULL. Unknown folders
        // (added by hand) get their schema from their files.
        let declared = known
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| view_types(s));
        let mut opts = ParquetReadOptions::default();
        if let Some(s) = &declared {
            opts = opts.schema(s);
        }
        rt.block_on(ctx.register_parquet(&name, path.to_string_lossy().as_ref(), opts))
            .map_err(|e| QueryError::Sql(e.to_string()))?;
        tables.push(name);
    }
    // Warehouse tables with no rows yet (no custody event, no export) are still there to
    // query, empty, with their documented columns.
    for (name, schema) in known {
        if !tables.iter().any(|t| t == name) {
            let t = MemTable::try_new(schema, vec![vec![]])
                .map_err(|e| QueryError::Sql(e.to_string()))?;
            ctx.register_table(name, Arc::new(t))
                .map_err(|e| QueryError::Sql(e.to_string()))?;
            tables.push(name.to_string());
        }
    }
    Ok(tables)
}

/// The schema DataFusion reads a Parquet file as (strings and binaries as view types, its
/// default `schema_force_view_types`), so a declared schema scans exactly like an inferred one.
pub(crate) fn view_types(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 => DataType::Utf8View,
                DataType::Binary | DataType::LargeBinary => DataType::BinaryView,
                t => t.clone(),
            };
            f.as_ref().clone().with_data_type(t)
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// Splits on `;` outside quotes and comments; drops empty statements.
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut sq, mut dq, mut line_comment) = (false, false, false);
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if line_comment {
            if c == '\n' {
                line_comment = false;
            }
            cur.push(c);
        } else if c == '-' && !sq && !dq && chars.get(i + 1) == Some(&'-') {
            line_comment = true;
            cur.push(c);
        } else if c == '\'' && !dq {
            sq = !sq;
            cur.push(c);
        } else if c == '"' && !sq {
            dq = !dq;
            cur.push(c);
        } else if c == ';' && !sq && !dq {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
        i += 1;
    }
    out.push(cur);
    out.into_iter()
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
        })
        .collect()
}
