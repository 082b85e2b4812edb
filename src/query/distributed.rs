//! The query engine across a cluster of `recaudit worker` processes: the same session, with
//! `datafusion-distributed`'s planner and the workers' addresses (see [`crate::worker`]).

use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;
use datafusion_distributed::{DistributedExt, SessionStateBuilderExt, WorkerResolver};

use super::QueryError;

/// A fixed list of workers.
struct Workers(Vec<url::Url>);

impl WorkerResolver for Workers {
    fn get_urls(&self) -> Result<Vec<url::Url>, datafusion::error::DataFusionError> {
        Ok(self.0.clone())
    }
}

/// A session that plans here and runs on `workers` (`http://host:port` each); `planner`:
/// `distributed.*` settings applied once the planner's options exist.
pub(super) fn context(
    config: SessionConfig,
    workers: &[String],
    planner: &[&(String, String)],
) -> Result<SessionContext, QueryError> {
    let urls = workers
        .iter()
        .map(|w| {
            let u = url::Url::parse(w).map_err(|e| {
                QueryError::Sql(format!("worker {w:?}: {e} (give http://HOST:PORT)"))
            })?;
            if u.scheme() != "http" || u.host().is_none() || u.port().is_none() {
                return Err(QueryError::Sql(format!(
                    "worker {w:?}: give http://HOST:PORT"
                )));
            }
            Ok(u)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_distributed_worker_resolver(Workers(urls))
        .with_distributed_planner()
        .build();
    for (k, v) in planner {
        state
            .config_mut()
            .options_mut()
            .set(k, v.trim())
            .map_err(|e| QueryError::Sql(format!("setting {k}={v}: {e}")))?;
    }
    Ok(SessionContext::new_with_state(state))
}
