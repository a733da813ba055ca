//! Group commit. Requests hand their write to one background task, which applies whatever has
//! queued up in one transaction and then answers each request. Under load a commit (one fsync
//! on SQLite) covers hundreds of requests; when idle a batch is a single write. A request's
//! 2xx is sent only after the transaction holding its write has committed.

use crate::storage::{Outcome, Store, StoreError, Write};
use std::sync::Arc;
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

impl Writer {
    pub fn start(store: Arc<dyn Store>, observe: Option<BatchObserver>) -> (Writer, WriterTask) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(store, rx, observe));
        (Writer { tx }, WriterTask(task))
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
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>, observe: Option<BatchObserver>) {
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
        match store.apply(&writes).await {
            Ok(outcomes) => {
                for (done, outcome) in waiters.drain(..).zip(outcomes) {
                    let _ = done.send(Ok(outcome));
                }
            }
            Err(e) if writes.len() == 1 => {
                tracing::error!(error = %e, "write failed; nothing was committed");
                for done in waiters.drain(..) {
                    let _ = done.send(Err(e.clone()));
                }
            }
            Err(e) => {
                // One bad write must not fail its neighbours: retry them one by one.
                tracing::warn!(error = %e, batch = writes.len(), "write batch failed; retrying its writes one by one");
                for (w, done) in writes.iter().zip(waiters.drain(..)) {
                    let result = store
                        .apply(std::slice::from_ref(w))
                        .await
                        .and_then(|mut o| {
                            o.pop().ok_or_else(|| {
                                StoreError::Database("no outcome for a write".into())
                            })
                        });
                    if let Err(e) = &result {
                        tracing::error!(error = %e, "write failed; nothing was committed");
                    }
                    let _ = done.send(result);
                }
            }
        }
        writes.clear();
    }
}
