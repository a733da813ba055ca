//! Reloading site configs when their files change (inotify and friends) or on SIGHUP.

use crate::metrics::{Metrics, ResultLabels};
use crate::registry::Registry;
use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Editors save in bursts (write, rename, chmod): wait for quiet before reloading.
const SETTLE: Duration = Duration::from_millis(300);

/// Keeps the watch alive; dropping it stops reloading.
pub struct Reloader {
    _watcher: Option<notify::RecommendedWatcher>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn is_config_event(paths: &[PathBuf], watched: &[PathBuf]) -> bool {
    paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "json") || watched.iter().any(|w| w == p))
}

pub fn start(registry: Registry, metrics: Arc<Metrics>, watch_files: bool) -> Reloader {
    let (tx, mut rx) = mpsc::channel::<()>(16);
    let watched: Vec<PathBuf> = registry.paths().to_vec();
    let watcher = if watch_files && !watched.is_empty() {
        let tx = tx.clone();
        let watched_for_events = watched.clone();
        let made = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            if let Ok(ev) = ev {
                if !ev.kind.is_access() && is_config_event(&ev.paths, &watched_for_events) {
                    let _ = tx.try_send(());
                }
            }
        });
        match made {
            Ok(mut w) => {
                // Watch folders, not files: editors replace files by renaming over them.
                for p in &watched {
                    let dir = if p.is_dir() {
                        p.as_path()
                    } else {
                        p.parent().unwrap_or(Path::new("."))
                    };
                    let dir = if dir.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        dir
                    };
                    if let Err(e) = w.watch(dir, RecursiveMode::NonRecursive) {
                        tracing::warn!(path = %dir.display(), error = %e, "cannot watch for config changes; SIGHUP still reloads");
                    }
                }
                Some(w)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for config changes; SIGHUP still reloads");
                None
            }
        }
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
    drop(tx);

    let task = tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(SETTLE).await;
            while rx.try_recv().is_ok() {}
            let reg = registry.clone();
            let Ok(summary) = tokio::task::spawn_blocking(move || reg.reload()).await else {
                continue;
            };
            let result = if summary.refused == 0 {
                "ok"
            } else {
                "refused"
            };
            metrics
                .reloads
                .get_or_create(&ResultLabels { result })
                .inc();
            metrics.sites.set(summary.sites as i64);
        }
    });
    Reloader {
        _watcher: watcher,
        task,
    }
}
