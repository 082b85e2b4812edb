//! The tables of a shared (province) warehouse, as the pointers of its writers name them
//! ([`crate::store::shared::View`]): each table is the union of its partitions' current parts,
//! registered by file so a part being published or left by a killed writer is never read.
//! `files` is the nodes' rows with each file's session (found by the analysis over every node,
//! `file_sessions`) joined back in, so the named analyses run unchanged.

use std::path::Path;
use std::sync::Arc;

use datafusion::common::JoinType;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::options::ReadOptions;
use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::context::SessionContext;
use datafusion::prelude::{ParquetReadOptions, coalesce, col};

use super::QueryError;
use crate::store::shared::Shared;

fn sql(e: impl std::fmt::Display) -> QueryError {
    QueryError::Sql(e.to_string())
}

/// The provider of one table.
type Provider = Arc<dyn datafusion::catalog::TableProvider>;

/// Registers every documented table of the shared warehouse at `root` (a folder or an
/// `s3://` bucket); returns their names, the nodes' `files` rows as published (before the
/// sessions are joined in), and the open warehouse.
pub(super) fn register(
    rt: &tokio::runtime::Runtime,
    ctx: &SessionContext,
    root: &Path,
    storage: &crate::config::StorageSettings,
) -> Result<(Vec<String>, Provider, Shared), QueryError> {
    let unreadable = |e: crate::store::StoreError| QueryError::Warehouse {
        path: root.to_path_buf(),
        message: e.to_string(),
    };
    let shared = Shared::open(root, storage).map_err(unreadable)?;
    let view = shared.view().map_err(unreadable)?;
    if let Some(b) = shared.bucket() {
        let url = datafusion::execution::object_store::ObjectStoreUrl::parse(&b.store_url)
            .map_err(sql)?;
        ctx.register_object_store(url.as_ref(), Arc::clone(&b.store));
    }
    if view.nodes.is_empty() {
        return Err(QueryError::Warehouse {
            path: root.to_path_buf(),
            message: "no node has published yet; run `recaudit scan --node ID` first".into(),
        });
    }
    let mut tables = Vec::new();
    let known = crate::store::schemas();
    let mut files = None;
    for (name, schema) in &known {
        let provider: Provider = match shared.locations(&view, name).as_slice() {
            [] => Arc::new(MemTable::try_new(schema.clone(), vec![vec![]]).map_err(sql)?),
            parts => {
                let urls = parts
                    .iter()
                    .map(ListingTableUrl::parse)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(sql)?;
                let declared = Arc::new(super::view_types(schema));
                let options = ParquetReadOptions::default()
                    .to_listing_options(&ctx.copied_config(), ctx.copied_table_options());
                let config = ListingTableConfig::new_with_multi_paths(urls)
                    .with_listing_options(options)
                    .with_schema(declared);
                Arc::new(ListingTable::try_new(config).map_err(sql)?)
            }
        };
        if *name == "files" {
            files = Some(provider);
        } else {
            ctx.register_table(*name, provider).map_err(sql)?;
        }
        tables.push(name.to_string());
    }
    let published = files.ok_or_else(|| QueryError::Sql("no files table".into()))?;
    {
        let rows = ctx.read_table(Arc::clone(&published)).map_err(sql)?;
        let names: Vec<String> = rows
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let sessions = rt
            .block_on(ctx.table("file_sessions"))
            .map_err(sql)?
            .select(vec![
                col("path").alias("fs_path__"),
                col("session_id").alias("fs_session__"),
            ])
            .map_err(sql)?;
        let joined = rows
            .join(sessions, JoinType::Left, &["path"], &["fs_path__"], None)
            .map_err(sql)?;
        let cols = names
            .iter()
            .map(|n| {
                if n == "session_id" {
                    coalesce(vec![col("session_id"), col("fs_session__")]).alias("session_id")
                } else {
                    col(n.as_str())
                }
            })
            .collect::<Vec<_>>();
        let view = joined.select(cols).map_err(sql)?.into_view();
        ctx.register_table("files", view).map_err(sql)?;
    }
    Ok((tables, published, shared))
}
