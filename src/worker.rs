//! `recaudit worker`: one process of a distributed query cluster. The query engine of
//! `recaudit query --workers URL,...` plans a query once, cuts it into stages at its exchanges
//! (the `datafusion-distributed` planner) and sends the stages' tasks to the workers over gRPC
//! (Arrow Flight); each worker runs the tasks it is given with DataFusion and streams the rows
//! back. A worker holds no state between queries and reads the warehouse's Parquet files itself,
//! so every worker must reach the warehouse at the same path or URL as the coordinator: a
//! shared folder mounted at one path, or the bucket (`--warehouse s3://…`, credentials from the
//! environment or `[storage]`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion_distributed::Worker;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot start the worker's runtime: {0}")]
    Runtime(String),
    #[error("warehouse {path}: {message}")]
    Warehouse {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("serving on {addr}: {message}")]
    Serve { addr: SocketAddr, message: String },
}

/// Serves distributed query tasks on `listen` until the process is stopped (SIGINT or
/// SIGTERM end it cleanly). `warehouse`: a bucket whose objects the tasks read (a folder
/// needs nothing). `ready` is called once the socket is bound, with its address.
pub fn serve(
    listen: SocketAddr,
    threads: usize,
    warehouse: Option<&Path>,
    storage: &crate::config::StorageSettings,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), WorkerError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| WorkerError::Runtime(e.to_string()))?;
    let env = RuntimeEnvBuilder::new()
        .build()
        .map_err(|e| WorkerError::Runtime(e.to_string()))?;
    // Kept for the whole life of the worker: a bucket's store is registered from it.
    let shared = match warehouse.filter(|w| crate::store::remote::is_bucket(w)) {
        Some(w) => {
            let b = crate::store::remote::Bucket::open(w, storage).map_err(|e| {
                WorkerError::Warehouse {
                    path: w.to_path_buf(),
                    message: e.to_string(),
                }
            })?;
            let url = datafusion::execution::object_store::ObjectStoreUrl::parse(&b.store_url)
                .map_err(|e| WorkerError::Warehouse {
                    path: w.to_path_buf(),
                    message: e.to_string(),
                })?;
            env.register_object_store(url.as_ref(), Arc::clone(&b.store));
            Some(b)
        }
        None => None,
    };
    let worker = Worker::default().with_runtime_env(Arc::new(env));
    rt.block_on(async move {
        let incoming = tonic::transport::server::TcpIncoming::bind(listen).map_err(|e| {
            WorkerError::Serve {
                addr: listen,
                message: e.to_string(),
            }
        })?;
        let addr = incoming.local_addr().map_err(|e| WorkerError::Serve {
            addr: listen,
            message: e.to_string(),
        })?;
        ready(addr);
        let stop = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
        };
        tonic::transport::Server::builder()
            .add_service(worker.into_worker_server())
            .serve_with_incoming_shutdown(incoming, stop)
            .await
            .map_err(|e| WorkerError::Serve {
                addr,
                message: e.to_string(),
            })
    })?;
    drop(shared);
    Ok(())
}
