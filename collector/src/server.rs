//! Starting and stopping the server: open the database, load the sites, set up the admin
//! token, bind, serve until a shutdown signal, then drain requests and pending writes.
//! Connections are accepted, capped and timed out by [`crate::connections`].

use crate::auth::{AdminToken, SetupError, TokenSource};
use crate::connections::{self, ConnLimits};
use crate::http::{AppState, router};
use crate::ingest::{Writer, WriterTask};
use crate::metrics::Metrics;
use crate::ratelimit::{Limits, RateLimits};
use crate::registry::Registry;
use crate::reload::{self, Reloader};
use crate::storage::{self, Store, StoreError};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub database: String,
    pub sites: Vec<PathBuf>,
    pub admin_token: Option<String>,
    pub limits: Limits,
    pub trust_forwarded_for: bool,
    /// The dashboard's session cookie is `Secure` (served over HTTPS by a proxy).
    pub secure_cookies: bool,
    pub static_dir: Option<PathBuf>,
    /// Reload site configs when their files change (SIGHUP always works).
    pub watch: bool,
    /// Caps on open connections and the header, body and keep-alive timeouts.
    pub connections: ConnLimits,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("site configs are invalid:\n{0}")]
    Sites(String),
    #[error(transparent)]
    Token(#[from] SetupError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    connections: ConnLimits,
    state: Arc<AppState>,
    writer_task: WriterTask,
    _reloader: Reloader,
    _cleanup: tokio::task::JoinHandle<()>,
    pub token: TokenSource,
}

impl Application {
    pub async fn build(cfg: ServeConfig) -> Result<Application, StartError> {
        let registry = Registry::load(cfg.sites.clone()).map_err(StartError::Sites)?;
        tracing::info!(sites = registry.current().len(), "site configs loaded");
        let store = storage::connect(&cfg.database).await?;
        // A database that answers but cannot take writes (a read-only file or mount, a
        // PostgreSQL standby) would start "ready" and refuse every answer: say so now.
        store.probe_write().await.map_err(|e| {
            StartError::Store(StoreError::Connect(format!(
                "cannot write to the database: {e}"
            )))
        })?;
        Self::build_with(cfg, store, registry).await
    }

    /// With a store and sites made by the caller (tests and benchmarks).
    pub async fn build_with(
        cfg: ServeConfig,
        store: Arc<dyn Store>,
        registry: Registry,
    ) -> Result<Application, StartError> {
        let (admin, token) = AdminToken::setup(cfg.admin_token.as_deref(), store.as_ref()).await?;
        let metrics = Arc::new(Metrics::new());
        let batch_metrics = metrics.clone();
        let (writer, writer_task) = Writer::start(
            store.clone(),
            Some(Arc::new(move |n| {
                batch_metrics.batch_size.observe(n as f64)
            })),
        );
        let limits = RateLimits::new(cfg.limits);
        let cleanup = limits.spawn_cleanup();
        let reloader = reload::start(registry.clone(), metrics.clone(), cfg.watch);
        let listener = TcpListener::bind(cfg.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: cfg.listen,
                source,
            })?;
        let state = Arc::new(AppState {
            store,
            writer,
            sites: registry,
            admin,
            limits,
            metrics,
            trust_forwarded_for: cfg.trust_forwarded_for,
            secure_cookies: cfg.secure_cookies,
            static_dir: cfg.static_dir,
            body_timeout: cfg.connections.body_timeout,
            sign_in_links: Default::default(),
        });
        Ok(Application {
            listener,
            connections: cfg.connections,
            state,
            writer_task,
            _reloader: reloader,
            _cleanup: cleanup,
            token,
        })
    }

    /// Writes demo answers for `sites` unless this database has them (`serve --demo`).
    pub async fn seed_demo(
        &self,
        sites: impl IntoIterator<Item = String>,
        plan: &crate::seed::Plan,
    ) -> Result<(), crate::seed::SeedError> {
        crate::seed_cli::seed_demo_once(self.state.store.as_ref(), &self.state.sites, sites, plan)
            .await
    }

    /// A one-time link (path and query) that signs its first visitor in to the dashboard as
    /// the admin, within the hour (`http/dashboard/link.rs`).
    pub fn sign_in_link(&self) -> Result<String, getrandom::Error> {
        let code = self.state.sign_in_links.issue()?;
        Ok(format!("/dashboard/sign-in/link?code={code}"))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The sites whose `origins` do not include `origin` (pages served from there are refused).
    pub fn sites_refusing(&self, origin: &str) -> Vec<String> {
        let sites = self.state.sites.current();
        sites
            .ids()
            .filter(|id| sites.get(id).is_some_and(|s| !s.origins.contains(origin)))
            .map(str::to_owned)
            .collect()
    }

    pub fn sites(&self) -> Vec<String> {
        self.state
            .sites
            .current()
            .ids()
            .map(str::to_owned)
            .collect()
    }

    /// Serves until `shutdown` resolves; then finishes in-flight requests and commits every
    /// queued write before returning.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Application {
            listener,
            connections,
            state,
            writer_task,
            _reloader,
            _cleanup,
            ..
        } = self;
        let metrics = state.metrics.clone();
        // Behind a proxy every connection is the proxy's: a per-address cap would cap them all.
        let per_address = !state.trust_forwarded_for;
        connections::serve(
            listener,
            router(state),
            connections,
            per_address,
            metrics,
            shutdown,
        )
        .await;
        // The router (and with it every Writer handle) is gone: the writer drains and stops.
        writer_task.finished().await;
        _cleanup.abort();
        tracing::info!("stopped; every acknowledged write is committed");
        Ok(())
    }
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the future is
/// first polled: a SIGTERM between the banner and the first poll would otherwise kill the
/// process with the default action instead of draining it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}
