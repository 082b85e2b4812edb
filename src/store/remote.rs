//! A shared warehouse in an S3-compatible bucket (`s3://bucket/prefix`), through the
//! `object_store` crate datafusion itself reads with. Credentials and the endpoint come from the
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`, `AWS_REGION`,
//! `AWS_ALLOW_HTTP`, as every S3 client reads them) or from the configuration file's
//! `[storage]` table, never from the command line; the secrets are never written anywhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use super::StoreError;
use crate::config::StorageSettings;

/// A bucket and the prefix the warehouse lives under.
pub struct Bucket {
    /// `s3://bucket` or `s3://bucket/prefix`, without a trailing `/`.
    pub url: String,
    /// `s3://bucket`: what a query engine registers the store under.
    pub store_url: String,
    pub store: Arc<dyn ObjectStore>,
    prefix: String,
    rt: tokio::runtime::Runtime,
}

/// Whether `location` names a bucket rather than a folder.
pub fn is_bucket(location: &Path) -> bool {
    location.to_string_lossy().starts_with("s3://")
}

fn invalid(url: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        path: PathBuf::from(url),
        message: message.into(),
    }
}

fn remote(url: &str, what: &str, e: impl std::fmt::Display) -> StoreError {
    invalid(url, format!("{what}: {e}"))
}

/// Files up to this size are sent in one request; larger ones in parts.
const ONE_REQUEST: u64 = 16 << 20;

impl Bucket {
    /// Connects to `s3://bucket[/prefix]` with the settings (each unset one from the
    /// environment).
    pub fn open(location: &Path, settings: &StorageSettings) -> Result<Bucket, StoreError> {
        let text = location.to_string_lossy().trim_end_matches('/').to_string();
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| invalid(&text, "not an s3:// location"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid(&text, "no bucket name (s3://BUCKET/PREFIX)"));
        }
        if prefix.split('/').any(|c| c == ".." || c == ".") {
            return Err(invalid(&text, "the prefix may not hold '.' or '..'"));
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(e) = &settings.endpoint {
            b = b.with_endpoint(e);
        }
        if let Some(r) = &settings.region {
            b = b.with_region(r);
        }
        if let Some(h) = settings.allow_http {
            b = b.with_allow_http(h);
        }
        if let Some(k) = &settings.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = &settings.secret_access_key {
            b = b.with_secret_access_key(k);
        }
        let store = b.build().map_err(|e| remote(&text, "S3 settings", e))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| remote(&text, "runtime", e))?;
        Ok(Bucket {
            url: text.clone(),
            store_url: format!("s3://{bucket}"),
            store: Arc::new(store),
            prefix: prefix.to_string(),
            rt,
        })
    }

    fn key(&self, rel: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(rel)
        } else {
            Key::from(format!("{}/{rel}", self.prefix))
        }
    }

    /// The object's full URL, as a query engine reads it.
    pub fn url_of(&self, rel: &str) -> String {
        format!("{}/{rel}", self.url)
    }

    /// Uploads the local file `from` as `rel`: one request for a small file, parts for a
    /// large one; the object appears only once complete.
    pub fn upload(&self, from: &Path, rel: &str) -> Result<(), StoreError> {
        use std::io::Read;
        let key = self.key(rel);
        let size = std::fs::metadata(from)
            .map_err(|source| StoreError::Io {
                path: from.to_path_buf(),
                source,
            })?
            .len();
        let io = |source| StoreError::Io {
            path: from.to_path_buf(),
            source,
        };
        if size <= ONE_REQUEST {
            let bytes = std::fs::read(from).map_err(io)?;
            self.rt
                .block_on(self.store.put(&key, PutPayload::from(bytes)))
                .map_err(|e| remote(&self.url_of(rel), "upload", e))?;
            return Ok(());
        }
        let mut f = std::fs::File::open(from).map_err(io)?;
        self.rt.block_on(async {
            let upload = self
                .store
                .put_multipart(&key)
                .await
                .map_err(|e| remote(&self.url_of(rel), "upload", e))?;
            let mut w = WriteMultipart::new(upload);
            let mut buf = vec![0u8; 8 << 20];
            loop {
                let n = f.read(&mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                w.wait_for_capacity(4)
                    .await
                    .map_err(|e| remote(&self.url_of(rel), "upload", e))?;
                w.write(&buf[..n]);
            }
            w.finish()
                .await
                .map_err(|e| remote(&self.url_of(rel), "upload", e))?;
            Ok(())
        })
    }

    /// Writes a small object (a pointer) in one request: S3 replaces it whole.
    pub fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.rt
            .block_on(self.store.put(&self.key(rel), PutPayload::from(bytes)))
            .map(|_| ())
            .map_err(|e| remote(&self.url_of(rel), "write", e))
    }

    pub fn get(&self, rel: &str) -> Result<Vec<u8>, StoreError> {
        self.rt
            .block_on(async {
                let r = self.store.get(&self.key(rel)).await?;
                r.bytes().await
            })
            .map(|b| b.to_vec())
            .map_err(|e| remote(&self.url_of(rel), "read", e))
    }

    /// Downloads `rel` into the local file `to`.
    pub fn download(&self, rel: &str, to: &Path) -> Result<(), StoreError> {
        let bytes = self.get(rel)?;
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(to, bytes).map_err(|source| StoreError::Io {
            path: to.to_path_buf(),
            source,
        })
    }

    /// The objects directly in folder `dir` (relative to the warehouse), as relative names,
    /// sorted.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, StoreError> {
        let base = self.key(dir);
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let listed = self
            .rt
            .block_on(self.store.list_with_delimiter(Some(&base)))
            .map_err(|e| remote(&self.url_of(dir), "list", e))?;
        let mut names: Vec<String> = listed
            .objects
            .into_iter()
            .map(|m| {
                let full = m.location.to_string();
                full.strip_prefix(&strip).unwrap_or(&full).to_string()
            })
            .collect();
        names.sort();
        Ok(names)
    }

    pub fn delete(&self, rel: &str) -> Result<(), StoreError> {
        self.rt
            .block_on(self.store.delete(&self.key(rel)))
            .map_err(|e| remote(&self.url_of(rel), "delete", e))
    }
}
