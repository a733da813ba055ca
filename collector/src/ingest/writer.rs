//! Group commit. Requests hand their write to one background task, which applies whatever has
//! queued up in one transaction and then answers each request. Under load a commit (one fsync
//! on SQLite) covers hundreds of requests; when idle a batch is a single write. A request's
//! 2xx is sent only after the transaction holding its write has committed.

use crate::storage::{Outcome, Store, StoreError, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Most writes per transaction: big enough to amortize the commit, small enough that one
/// batch's latency stays in milliseconds.
const MAX_BATCH: usize = 512;
/// Writes waiting beyond this make new requests wait for room (backpressure, not memory growth).
const QUEUE: usize = 8192;

type Job = (Write, oneshot::Sender<Result<Outcome, StoreError>>);

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    health: Arc<WriteHealth>,
}

/// Resolves when every queued write has been applied (after all `Writer` clones are dropped).
pub struct WriterTask(tokio::task::JoinHandle<()>);

impl WriterTask {
    pub async fn finished(self) {
        let _ = self.0.await;
    }
}

/// Observes batch sizes, for metrics.
pub type BatchObserver = Arc<dyn Fn(usize) + Send + Sync>;

/// Whether writes commit, as the last failed one and a probe tell. Readiness reads it: a
/// collector whose disk is full must stop getting traffic it can only refuse, and get it back
/// by itself once a write commits again.
#[derive(Debug, Default)]
pub struct WriteHealth {
    /// Why the last write failed and when, until a probe write commits.
    failure: Mutex<Option<(String, Instant)>>,
}

/// How long a failed write speaks for itself before readiness asks a probe write instead.
/// Other writes committing meanwhile do not clear it: on a nearly full disk a display fits
/// where an answer with a comment does not, and some of the writes failing is not ready.
const TRUST_A_FAILURE_FOR: Duration = Duration::from_secs(2);

impl WriteHealth {
    /// Why the last write failed, until a probe write has committed since.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .ok()
            .and_then(|f| f.as_ref().map(|(e, _)| e.clone()))
    }

    fn fresh_failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| {
            f.as_ref()
                .filter(|(_, at)| at.elapsed() < TRUST_A_FAILURE_FOR)
                .map(|(e, _)| e.clone())
        })
    }

    fn failed(&self, e: &StoreError) {
        if let Ok(mut f) = self.failure.lock() {
            *f = Some((e.to_string(), Instant::now()));
        }
    }

    fn probed(&self, result: Result<(), &StoreError>) {
        match result {
            Ok(()) => {
                if let Ok(mut f) = self.failure.lock()
                    && f.take().is_some()
                {
                    tracing::info!("writes commit again");
                }
            }
            Err(e) => self.failed(e),
        }
    }
}

impl Writer {
    pub fn start(store: Arc<dyn Store>, observe: Option<BatchObserver>) -> (Writer, WriterTask) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let health = Arc::new(WriteHealth::default());
        let task = tokio::spawn(run(store, rx, observe, health.clone()));
        (Writer { tx, health }, WriterTask(task))
    }

    /// Queues a write and waits until it is committed (or failed).
    pub async fn write(&self, write: Write) -> Result<Outcome, StoreError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((write, done))
            .await
            .map_err(|_| StoreError::Database("the writer has stopped".into()))?;
        wait.await
            .map_err(|_| StoreError::Database("the writer has stopped".into()))?
    }

    /// `None` when writes commit; else why not. A failure more than a moment old is checked
    /// again with a probe write, so that readiness comes back once the cause is gone even
    /// when no traffic arrives to show it (a load balancer sends none to a collector it
    /// took out).
    pub async fn check(&self, store: &dyn Store) -> Option<String> {
        self.health.failure()?;
        if let Some(fresh) = self.health.fresh_failure() {
            return Some(fresh);
        }
        let probe = store.probe_write().await;
        self.health.probed(probe.as_ref().map(|_| ()));
        self.health.failure()
    }
}

async fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Job>,
    observe: Option<BatchObserver>,
    health: Arc<WriteHealth>,
) {
    let mut writes = Vec::with_capacity(MAX_BATCH);
    let mut waiters = Vec::with_capacity(MAX_BATCH);
    while let Some((w, done)) = rx.recv().await {
        writes.push(w);
        waiters.push(done);
        while writes.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok((w, done)) => {
                    writes.push(w);
                    waiters.push(done);
                }
                Err(_) => break,
            }
        }
        if let Some(o) = &observe {
            o(writes.len());
        }
        let results = commit(store.as_ref(), &writes).await;
        if let Err(e) = &results {
            health.failed(e);
        }
        match results {
            Ok(results) => {
                for (done, result) in waiters.drain(..).zip(results) {
                    let _ = done.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, writes = writes.len(), "write failed; nothing was committed");
                for done in waiters.drain(..) {
                    let _ = done.send(Err(e.clone()));
                }
            }
        }
        writes.clear();
    }
}

/// Commits a batch. When it fails as a whole, it is tried once more with each write under a
/// savepoint of its own, in one transaction: a write the database refuses for its content
/// then fails alone and its neighbours commit together. (Retrying each write in a
/// transaction of its own would cost one commit, one fsync, per write.) The outer `Err`
/// means nothing was committed.
async fn commit(
    store: &dyn Store,
    writes: &[Write],
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    match store.apply(writes).await {
        Ok(outcomes) => Ok(outcomes.into_iter().map(Ok).collect()),
        Err(e @ StoreError::Refused(_)) if writes.len() == 1 => Ok(vec![Err(e)]),
        Err(e) if writes.len() == 1 => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, batch = writes.len(), "write batch failed; retrying it with a savepoint per write");
            let results = store.apply_each(writes).await?;
            for e in results.iter().filter_map(|r| r.as_ref().err()) {
                tracing::warn!(error = %e, "a write was refused; its neighbours committed");
            }
            Ok(results)
        }
    }
}
