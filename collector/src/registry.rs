//! The live set of sites. Requests read it without locking; a reload swaps in a new set.
//! A file that fails to load on reload keeps its last good version live, with every problem
//! in the log: a typo in production never takes a site down. A configured folder or file that
//! goes missing, unreadable or (a folder) empty keeps every site last loaded from it, for the
//! same reason: an unmounted volume or a folder moved aside would otherwise answer 404 to every
//! widget, and a widget takes a 404 as final and discards the answers it queued.

use crate::encoding::Encoded;
use crate::sites::{self, Report, SiteFileError};
use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
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
    /// Configured paths missing, unreadable or emptied (their sites stay live).
    pub unreadable: usize,
}

/// What the last load left behind, beyond the live sites.
#[derive(Default)]
struct Loads {
    /// The last version of each file that loaded cleanly (or was kept for its path).
    last_good: BTreeMap<PathBuf, SiteConfig>,
    /// Configured paths that yielded nothing, with what `/readyz` says about them.
    unreadable: BTreeMap<PathBuf, String>,
    /// Files refused at the last reload, with what `/readyz` says about them.
    refused: BTreeMap<PathBuf, String>,
}

#[derive(Clone)]
pub struct Registry {
    current: Arc<ArcSwap<Sites>>,
    paths: Arc<Vec<PathBuf>>,
    loads: Arc<Mutex<Loads>>,
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
        let reg = Registry::empty(paths);
        reg.install(good);
        Ok(reg)
    }

    /// A registry over configs built in code (tests, benchmarks).
    pub fn from_configs(configs: Vec<SiteConfig>) -> Registry {
        let reg = Registry::empty(Vec::new());
        let good = configs
            .into_iter()
            .map(|c| (PathBuf::from(format!("<{}>", c.site)), c))
            .collect();
        reg.install(good);
        reg
    }

    fn empty(paths: Vec<PathBuf>) -> Registry {
        Registry {
            current: Arc::new(ArcSwap::from_pointee(Sites::default())),
            paths: Arc::new(paths),
            loads: Arc::new(Mutex::new(Loads::default())),
        }
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

    /// Where what is served differs from what is on disk, one line each, naming the path: a
    /// configured path that yielded nothing, a file that was refused.
    pub fn problems(&self) -> Vec<String> {
        let loads = self.loads();
        loads
            .unreadable
            .values()
            .chain(loads.refused.values())
            .cloned()
            .collect()
    }

    /// Whether a configured path that yielded nothing at the last reload would now: the cheap
    /// check that is polled while one is gone, since a watch cannot see a folder come back
    /// when its parent is gone too.
    pub fn a_path_is_back(&self) -> bool {
        let gone: Vec<PathBuf> = self.loads().unreadable.keys().cloned().collect();
        gone.iter()
            .any(|p| sites::list(p).is_ok_and(|files| !files.is_empty()))
    }

    /// Re-reads the files. Good files replace their old version; bad ones keep it and are
    /// logged with every problem; deleted files drop their site. A configured path that is
    /// missing, unreadable, or a folder left with no configs keeps all it had: that is an
    /// accident (an unmounted volume, a folder moved aside, a restore half done), not an
    /// owner removing sites one file at a time. Its error is logged when it starts (or
    /// changes) and its return when it ends, not at every reload in between.
    pub fn reload(&self) -> ReloadSummary {
        let (previous, was_unreadable) = {
            let loads = self.loads();
            (loads.last_good.clone(), loads.unreadable.clone())
        };
        let mut next = BTreeMap::new();
        let mut unreadable = BTreeMap::new();
        let mut refused = BTreeMap::new();
        for root in self.paths.iter() {
            let kept: Vec<(&PathBuf, &SiteConfig)> = previous
                .iter()
                .filter(|(file, _)| came_from(file, root))
                .collect();
            let trouble = match sites::list(root) {
                Err(e) => Some(format!("cannot read ({e})")),
                Ok(files) if files.is_empty() && !kept.is_empty() => {
                    Some("no site configs in it".to_owned())
                }
                Ok(files) => {
                    for file in files {
                        load_file(file, &previous, &mut next, &mut refused);
                    }
                    None
                }
            };
            if let Some(trouble) = trouble {
                let n = kept.len();
                let serving = match n {
                    0 => "no site was loaded from it".to_owned(),
                    1 => "serving the site last loaded from it".to_owned(),
                    n => format!("serving the {n} sites last loaded from it"),
                };
                let line = format!("{}: {trouble}; {serving}", root.display());
                if was_unreadable.get(root) != Some(&line) {
                    tracing::error!(
                        path = %root.display(),
                        error = %trouble,
                        kept_sites = n,
                        "site config path is missing, unreadable or empty; its sites stay live as last loaded until it is back"
                    );
                }
                unreadable.insert(root.clone(), line);
                next.extend(kept.into_iter().map(|(f, c)| (f.clone(), c.clone())));
            } else if was_unreadable.contains_key(root) {
                tracing::info!(path = %root.display(), "site config path is back");
            }
        }
        // Two files claiming one site: the first (in path order) wins, the other is refused.
        let mut owner: BTreeMap<String, PathBuf> = BTreeMap::new();
        next.retain(|file, cfg| match owner.get(&cfg.site) {
            Some(other) => {
                let err = SiteFileError::DuplicateSite {
                    site: cfg.site.clone(),
                    other: other.clone(),
                };
                tracing::error!(file = %file.display(), "{err}");
                refused.insert(
                    file.clone(),
                    format!("{}: {err}; not served", file.display()),
                );
                false
            }
            None => {
                owner.insert(cfg.site.clone(), file.clone());
                true
            }
        });
        let summary = ReloadSummary {
            sites: next.len(),
            refused: refused.len(),
            unreadable: unreadable.len(),
        };
        self.install(next);
        {
            let mut loads = self.loads();
            loads.unreadable = unreadable;
            loads.refused = refused;
        }
        tracing::info!(
            sites = summary.sites,
            refused = summary.refused,
            unreadable = summary.unreadable,
            "site configs reloaded"
        );
        summary
    }

    fn install(&self, good: BTreeMap<PathBuf, SiteConfig>) {
        let by_id = good
            .values()
            .map(|c| (c.site.clone(), Arc::new(Site::new(c.clone()))))
            .collect();
        self.current.store(Arc::new(Sites { by_id }));
        self.loads().last_good = good;
    }

    /// Every writer leaves `Loads` whole, so a panic elsewhere while it was held does not
    /// make it wrong: keep using it rather than lose the last good configs.
    fn loads(&self) -> MutexGuard<'_, Loads> {
        self.loads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Loads one file into `next`, or keeps its last good version there and records the refusal.
fn load_file(
    file: PathBuf,
    previous: &BTreeMap<PathBuf, SiteConfig>,
    next: &mut BTreeMap<PathBuf, SiteConfig>,
    refused: &mut BTreeMap<PathBuf, String>,
) {
    let loaded = sites::load(std::slice::from_ref(&file));
    if loaded.is_ok() {
        next.extend(loaded.sites.into_values());
        return;
    }
    let kept = previous.get(&file).cloned();
    tracing::error!(
        file = %file.display(),
        kept_previous = kept.is_some(),
        "refusing an invalid site config:\n{}",
        Report(&loaded.errors).to_string().trim_end()
    );
    let outcome = if kept.is_some() {
        "serving its last good version"
    } else {
        "not served"
    };
    refused.insert(
        file.clone(),
        format!("{}: invalid; {outcome}", file.display()),
    );
    if let Some(cfg) = kept {
        next.insert(file, cfg);
    }
}

/// Whether `file` was listed from the configured path `root` (the path itself, or a file in
/// the folder it names): `sites::list` builds the names, so comparing them is exact.
fn came_from(file: &Path, root: &Path) -> bool {
    file == root || file.parent() == Some(root)
}
