//! Reloading site configs when their files change (inotify and friends) or on SIGHUP.
//!
//! A watch is on a folder's inode, not its name: once the folder is deleted or moved aside the
//! watch is dead, and one on a folder renamed into its place was never made. So each reload
//! first re-arms the watches whose target changed, and while a configured path is gone its
//! parent is watched (to see it come back) and it is polled (for when the parent is gone too).

use crate::metrics::{Metrics, ResultLabels};
use crate::registry::Registry;
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc;

/// Editors save in bursts (write, rename, chmod): wait for quiet before reloading.
const SETTLE: Duration = Duration::from_millis(300);

/// How often a configured path that is gone is checked for its return. One `stat` (and, for a
/// folder, one listing) per missing path: nothing while all is well.
const POLL: Duration = Duration::from_secs(1);

/// Keeps the watch alive; dropping it stops reloading.
pub struct Reloader {
    task: tokio::task::JoinHandle<()>,
    poll: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(poll) = &self.poll {
            poll.abort();
        }
    }
}

/// Which file system object a watch was put on; a different one under the same name (a folder
/// deleted and made again, or another renamed over it) needs a new watch.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Without inode numbers only a return is noticed, not a folder renamed over another.
#[cfg(not(unix))]
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|_| (0, 0))
}

/// What to watch for a configured path: a folder itself (its files change), or else the folder
/// it is in (editors replace a file by renaming over it; a missing path appears there).
fn target(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_path_buf();
    }
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

struct Watch {
    watcher: notify::RecommendedWatcher,
    /// The configured paths, absolute: the watcher reports absolute paths.
    roots: Vec<PathBuf>,
    /// Each watched folder and the object it was armed on (`None`: not armed, try again).
    armed: BTreeMap<PathBuf, Option<(u64, u64)>>,
}

impl Watch {
    fn new(roots: Vec<PathBuf>, tx: mpsc::Sender<()>) -> Option<Watch> {
        let relevant = Relevant::new(&roots);
        let made = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            if let Ok(ev) = ev
                && !ev.kind.is_access()
                && ev.paths.iter().any(|p| relevant.is(p))
            {
                let _ = tx.try_send(());
            }
        });
        match made {
            Ok(watcher) => {
                let mut w = Watch {
                    watcher,
                    roots,
                    armed: BTreeMap::new(),
                };
                w.rearm();
                Some(w)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for config changes; SIGHUP still reloads");
                None
            }
        }
    }

    /// Watches what each configured path needs now, replacing watches whose folder is no
    /// longer the one under that name. Run before a reload, so that a change made while the
    /// reload reads is seen by the new watch and reloads again.
    fn rearm(&mut self) {
        let wanted: BTreeMap<PathBuf, Option<(u64, u64)>> = self
            .roots
            .iter()
            .map(|r| {
                let t = target(r);
                let id = identity(&t);
                (t, id)
            })
            .collect();
        for (dir, id) in &wanted {
            if id.is_some() && self.armed.get(dir) == Some(id) {
                continue;
            }
            // The old watch may already be gone with its folder; either way it must not stay.
            let _ = self.watcher.unwatch(dir);
            let armed = match id {
                None => None,
                Some(_) => match self.watcher.watch(dir, RecursiveMode::NonRecursive) {
                    Ok(()) => *id,
                    Err(e) => {
                        tracing::warn!(path = %dir.display(), error = %e, "cannot watch for config changes; SIGHUP still reloads");
                        None
                    }
                },
            };
            self.armed.insert(dir.clone(), armed);
        }
        let stale: Vec<PathBuf> = self
            .armed
            .keys()
            .filter(|d| !wanted.contains_key(*d))
            .cloned()
            .collect();
        for dir in stale {
            let _ = self.watcher.unwatch(&dir);
            self.armed.remove(&dir);
        }
    }
}

/// Which changes are about the configs: a configured path itself (deleted, moved, created,
/// renamed over), its parent folder itself, or a `*.json` file in a configured folder.
struct Relevant {
    roots: Vec<PathBuf>,
    parents: Vec<PathBuf>,
}

impl Relevant {
    fn new(roots: &[PathBuf]) -> Relevant {
        Relevant {
            roots: roots.to_vec(),
            parents: roots
                .iter()
                .filter_map(|r| r.parent().map(Path::to_path_buf))
                .collect(),
        }
    }

    fn is(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| r == path)
            || self.parents.iter().any(|p| p == path)
            || (path.extension().is_some_and(|e| e == "json")
                && path
                    .parent()
                    .is_some_and(|d| self.roots.iter().any(|r| r == d)))
    }
}

pub fn start(registry: Registry, metrics: Arc<Metrics>, watch_files: bool) -> Reloader {
    let (tx, mut rx) = mpsc::channel::<()>(16);
    let roots: Vec<PathBuf> = registry
        .paths()
        .iter()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let watching = watch_files && !roots.is_empty();
    let watch = if watching {
        Watch::new(roots, tx.clone()).map(|w| Arc::new(Mutex::new(w)))
    } else {
        None
    };

    #[cfg(unix)]
    {
        // Installed before returning (so before the banner), not inside the task: a SIGHUP
        // that came before the task first ran would end the process.
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut hup) = signal(SignalKind::hangup()) {
            let tx = tx.clone();
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading site configs");
                    if tx.send(()).await.is_err() {
                        break;
                    }
                }
            });
        }
    }

    // Polled even when the watcher could not be made: a path's return is then still seen.
    let poll = watching.then(|| {
        let registry = registry.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                let reg = registry.clone();
                if let Ok(true) = tokio::task::spawn_blocking(move || reg.a_path_is_back()).await {
                    let _ = tx.try_send(());
                }
            }
        })
    });
    drop(tx);

    let task = tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(SETTLE).await;
            while rx.try_recv().is_ok() {}
            let reg = registry.clone();
            let watch = watch.clone();
            let reloaded = tokio::task::spawn_blocking(move || {
                if let Some(w) = &watch {
                    w.lock().unwrap_or_else(PoisonError::into_inner).rearm();
                }
                let summary = reg.reload();
                (summary, reg.problems().len())
            })
            .await;
            let Ok((summary, problems)) = reloaded else {
                continue;
            };
            let result = if summary.refused == 0 && summary.unreadable == 0 {
                "ok"
            } else {
                "refused"
            };
            metrics
                .reloads
                .get_or_create(&ResultLabels { result })
                .inc();
            metrics.sites.set(summary.sites as i64);
            metrics.config_problems.set(problems as i64);
        }
    });
    Reloader { task, poll }
}
