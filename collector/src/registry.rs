//! The live set of sites. Requests read it without locking; a reload swaps in a new set.
//! A file that fails to load on reload keeps its last good version live, with every problem
//! in the log: a typo in production never takes a site down.

use crate::encoding::Encoded;
use crate::sites::{self, Report, SiteFileError};
use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tenpoint_shared::config::{PublicConfig, SiteConfig};

/// One site as requests need it: the config, and its public part pre-serialized.
#[derive(Debug)]
pub struct Site {
    pub config: SiteConfig,
    pub origins: HashSet<String>,
    /// `PublicConfig` as JSON, served as is, precompressed: every page view fetches it.
    pub public_json: Encoded,
    /// A strong validator of `public_json`.
    pub etag: String,
}

impl Site {
    fn new(config: SiteConfig) -> Site {
        let public = PublicConfig::from(&config);
        let json = serde_json::to_vec(&public).unwrap_or_default();
        let digest = Sha256::digest(&json);
        Site {
            origins: config.origins.iter().cloned().collect(),
            etag: format!("\"{}\"", hex::encode(&digest[..12])),
            public_json: Encoded::new(json),
            config,
        }
    }
}

#[derive(Debug, Default)]
pub struct Sites {
    by_id: BTreeMap<String, Arc<Site>>,
}

impl Sites {
    pub fn get(&self, id: &str) -> Option<Arc<Site>> {
        self.by_id.get(id).cloned()
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// What a reload did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    pub sites: usize,
    /// Files refused (their last good version, if any, stays live).
    pub refused: usize,
}

#[derive(Clone)]
pub struct Registry {
    current: Arc<ArcSwap<Sites>>,
    paths: Arc<Vec<PathBuf>>,
    /// The last version of each file that loaded cleanly.
    last_good: Arc<Mutex<BTreeMap<PathBuf, SiteConfig>>>,
}

impl Registry {
    /// Loads every file under `paths` (folders are read for `*.json`). At startup every file
    /// must be valid: there is no earlier version to fall back on.
    pub fn load(paths: Vec<PathBuf>) -> Result<Registry, String> {
        let files =
            sites::expand(&paths).map_err(|(p, e)| format!("{}: cannot read: {e}", p.display()))?;
        let loaded = sites::load(&files);
        if !loaded.is_ok() {
            return Err(Report(&loaded.errors).to_string());
        }
        let good: BTreeMap<PathBuf, SiteConfig> = loaded.sites.into_values().collect();
        let reg = Registry {
            current: Arc::new(ArcSwap::from_pointee(Sites::default())),
            paths: Arc::new(paths),
            last_good: Arc::new(Mutex::new(BTreeMap::new())),
        };
        reg.install(good);
        Ok(reg)
    }

    /// A registry over configs built in code (tests, benchmarks).
    pub fn from_configs(configs: Vec<SiteConfig>) -> Registry {
        let reg = Registry {
            current: Arc::new(ArcSwap::from_pointee(Sites::default())),
            paths: Arc::new(Vec::new()),
            last_good: Arc::new(Mutex::new(BTreeMap::new())),
        };
        let good = configs
            .into_iter()
            .map(|c| (PathBuf::from(format!("<{}>", c.site)), c))
            .collect();
        reg.install(good);
        reg
    }

    pub fn current(&self) -> Arc<Sites> {
        self.current.load_full()
    }

    pub fn get(&self, id: &str) -> Option<Arc<Site>> {
        self.current.load().get(id)
    }

    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Re-reads the files. Good files replace their old version; bad ones keep it and are
    /// logged with every problem; deleted files drop their site.
    pub fn reload(&self) -> ReloadSummary {
        let files = match sites::expand(&self.paths) {
            Ok(f) => f,
            Err((p, e)) => {
                tracing::error!(path = %p.display(), error = %e, "config reload failed; keeping the current sites");
                return ReloadSummary {
                    sites: self.current().len(),
                    refused: 1,
                };
            }
        };
        let previous = self.last_good.lock().map(|g| g.clone()).unwrap_or_default();
        let mut next = BTreeMap::new();
        let mut refused = 0;
        for file in files {
            match sites::load(std::slice::from_ref(&file)) {
                loaded if loaded.is_ok() => next.extend(loaded.sites.into_values()),
                loaded => {
                    refused += 1;
                    let kept = previous.get(&file).cloned();
                    tracing::error!(
                        file = %file.display(),
                        kept_previous = kept.is_some(),
                        "refusing an invalid site config:\n{}",
                        Report(&loaded.errors).to_string().trim_end()
                    );
                    if let Some(cfg) = kept {
                        next.insert(file, cfg);
                    }
                }
            }
        }
        // Two files claiming one site: the first (in path order) wins, the other is refused.
        let mut owner: BTreeMap<String, PathBuf> = BTreeMap::new();
        next.retain(|file, cfg| match owner.get(&cfg.site) {
            Some(other) => {
                refused += 1;
                let err = SiteFileError::DuplicateSite {
                    site: cfg.site.clone(),
                    other: other.clone(),
                };
                tracing::error!(file = %file.display(), "{err}");
                false
            }
            None => {
                owner.insert(cfg.site.clone(), file.clone());
                true
            }
        });
        let sites = next.len();
        self.install(next);
        tracing::info!(sites, refused, "site configs reloaded");
        ReloadSummary { sites, refused }
    }

    fn install(&self, good: BTreeMap<PathBuf, SiteConfig>) {
        let by_id = good
            .values()
            .map(|c| (c.site.clone(), Arc::new(Site::new(c.clone()))))
            .collect();
        self.current.store(Arc::new(Sites { by_id }));
        if let Ok(mut g) = self.last_good.lock() {
            *g = good;
        }
    }
}
