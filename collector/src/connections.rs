//! Accepting and keeping connections: caps on how many are open, and timeouts for clients that
//! stop sending or reading.
//!
//! Without them, a client that opens connections and sends nothing holds a file descriptor
//! each until the process runs out; then `accept` fails and every other client (the load
//! balancer's `/healthz` too) hangs in the kernel's backlog.
//!
//! Why it is built this way:
//!
//! - **Own accept loop over hyper's HTTP/1 server** rather than `axum::serve`: `axum::serve`
//!   has no timeouts, no cap, and logs every failed `accept` (once per second while out of
//!   descriptors). The loop here is what `axum::serve` does (a hyper connection task per
//!   socket, graceful shutdown that finishes requests in flight) plus the limits. It speaks
//!   HTTP/1.1 only, as `axum::serve` did with the features this crate enables.
//! - **Timeouts in an IO wrapper, by phase.** hyper's own `header_read_timeout` starts when a
//!   connection becomes idle, so it is the keep-alive timeout as well and the two cannot
//!   differ. The wrapper knows the phase of its connection: *waiting* (from accept, or from
//!   the first byte after a response, until the request head is complete: the header
//!   timeout), *busy* (a request is being handled; no read deadline, since a handler may read
//!   its body later and the body timeout and the 30 s request timeout bound that), *idle*
//!   (after a response, before the next byte: the keep-alive timeout). A write that makes no
//!   progress for the idle timeout (a client that stopped reading) also ends the connection.
//! - **The body timeout is where the body is read** ([`crate::http`]'s body reader), so a
//!   slow body gets a 408 with the usual JSON error instead of a silent close.
//! - **Caps make room first, then refuse at accept.** At a cap, the connection idle longest
//!   (keep-alive, between requests) is closed to make room: idle connections are free
//!   capacity, which lets the keep-alive timeout stay longer than a proxy's (nginx's upstream
//!   keep-alive and cloud load balancers keep 60 s; a server that closes first races the
//!   proxy's next request). Failing that, the connection that has waited longest for a request
//!   head (over a second) is closed: honest clients send theirs right after connecting, so a
//!   flood of silent connections recycles itself instead of locking everyone out for the
//!   header timeout. Only when every connection is busy or fresh is the new one refused: it is
//!   accepted, answered with a canned 503 (global cap) or 429 (per address) and closed at
//!   once. It never waits in the backlog, where an honest client cannot tell a busy server
//!   from a dead one.
//! - **The global cap follows the descriptor limit**: the soft `RLIMIT_NOFILE` minus
//!   [`FD_RESERVE`] for the database, its files, site configs, the watcher, the listener and
//!   the one descriptor a refusal needs; and at most [`DEFAULT_MAX_CONNECTIONS`], so that the
//!   memory of a full cap stays bounded: a connection reading a body holds up to about
//!   100 KiB (the body, at most 64 KiB, and hyper's read buffer, at most [`MAX_BUF_SIZE`]);
//!   960 slow bodies took a debug build from 30 to 119 MB.
//! - **The per-address cap keys IPv6 clients by their /64**, since one host usually has a
//!   whole /64 to pick addresses from. Behind a proxy (`--trust-forwarded-for`) every
//!   connection comes from the proxy, so the per-address cap is off; the proxy must cap
//!   clients itself (nginx `limit_conn`).
//! - **`accept` errors back off** (50 ms doubling to 1 s) and are logged at most once a
//!   minute with a count, instead of once per failure.

use crate::error::ApiError;
use crate::metrics::{Metrics, ReasonLabels};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use futures_util::task::AtomicWaker;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// Descriptors kept back from the global cap: the database pool (up to 16 connections, three
/// files each for SQLite), site config files, the file watcher, the listener, stdio, and the
/// one that accepting a connection over the cap needs before it can be refused.
pub const FD_RESERVE: u64 = 64;

/// The global cap when the descriptor limit allows more: a bound on memory (about 100 KiB for
/// each connection reading a body).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// hyper's read buffer grows up to this (its default is about 400 KiB); request heads must fit.
pub const MAX_BUF_SIZE: usize = 32 * 1024;

#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// From accept, or from the first byte of a request after a response, until its head is in.
    pub header_timeout: Duration,
    /// For the whole body of a submission, once its handler starts reading it.
    pub body_timeout: Duration,
    /// Keep-alive: between a response and the first byte of the next request. Also the longest
    /// a write may make no progress.
    pub idle_timeout: Duration,
    /// Open connections at most; `None`: from the descriptor limit (see [`default_max_connections`]).
    pub max_connections: Option<usize>,
    /// Open connections from one client address (an IPv6 /64) at most; 0: no cap.
    pub max_per_address: usize,
    /// A connection still without a request head this long after connecting (or after its
    /// first byte) may be closed to make room under a cap: clients send the head right after
    /// connecting, so the connection waiting longest is the least likely to be an honest one.
    pub evict_waiting_after: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: None,
            max_per_address: 32,
            evict_waiting_after: Duration::from_secs(1),
        }
    }
}

/// The soft limit on open files, where there is one to read.
pub fn fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The global cap when none is configured: the descriptor limit less [`FD_RESERVE`], at most
/// [`DEFAULT_MAX_CONNECTIONS`], at least 8.
pub fn default_max_connections(fd_limit: Option<u64>) -> usize {
    let from_fds = fd_limit.map_or(u64::MAX, |n| n.saturating_sub(FD_RESERVE).max(8));
    usize::try_from(from_fds)
        .unwrap_or(usize::MAX)
        .min(DEFAULT_MAX_CONNECTIONS)
}

/// Serves `router` on `listener` with `limits` until `shutdown` resolves; then stops accepting,
/// lets requests in flight finish and closes idle connections, and returns when every
/// connection is closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    per_address: bool,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let fds = fd_limit();
    let max = limits
        .max_connections
        .unwrap_or_else(|| default_max_connections(fds));
    let per_address_cap = if per_address {
        limits.max_per_address
    } else {
        0
    };
    tracing::info!(
        max_connections = max,
        fd_limit = fds,
        max_per_address = per_address_cap,
        header_timeout_s = limits.header_timeout.as_secs_f64(),
        body_timeout_s = limits.body_timeout.as_secs_f64(),
        idle_timeout_s = limits.idle_timeout.as_secs_f64(),
        "connection limits"
    );
    if let (Some(fds), Some(_)) = (fds, limits.max_connections)
        && max as u64 + FD_RESERVE > fds
    {
        tracing::warn!(
            max_connections = max,
            fd_limit = fds,
            "max connections is above what the open-file limit allows; raise the limit \
                 (ulimit -n, LimitNOFILE=) or accepting will fail when it is reached"
        );
    }
    if !per_address && limits.max_per_address > 0 {
        tracing::info!(
            "no per-address connection cap: behind a proxy every connection comes from the proxy"
        );
    }
    let tracker = Arc::new(Tracker {
        max,
        evict_waiting_after: limits.evict_waiting_after,
        per_address: per_address_cap,
        table: Mutex::new(Table::default()),
        next_id: AtomicU64::new(0),
        metrics: metrics.clone(),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // The wrapper's timeouts replace hyper's (which would need a timer and would also be the
    // keep-alive timeout).
    http.header_read_timeout(None).max_buf_size(MAX_BUF_SIZE);
    let graceful = GracefulShutdown::new();
    let mut errors = AcceptErrors::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => {
                errors.succeeded();
                x
            }
            Err(e) => {
                if let Some(pause) = errors.failed(&e) {
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = &mut shutdown => break,
                    }
                }
                continue;
            }
        };
        let conn = match tracker.admit(peer.ip()) {
            Ok(conn) => conn,
            Err(refusal) => {
                refuse(stream, refusal, &metrics);
                continue;
            }
        };
        let service = ConnService {
            router: router.clone(),
            peer,
            conn: Arc::clone(&conn),
        };
        let io = GuardedIo::new(stream, conn, &limits, metrics.clone());
        let connection = graceful.watch(http.serve_connection(
            TokioIo::new(io),
            hyper::service::service_fn(move |req| service.call(req)),
        ));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The request's peer address for `ConnectInfo`, and the connection's phase around each request.
#[derive(Clone)]
struct ConnService {
    router: Router,
    peer: SocketAddr,
    conn: Arc<Conn>,
}

impl ConnService {
    fn call(
        &self,
        req: hyper::Request<Incoming>,
    ) -> impl Future<Output = Result<hyper::Response<TrackedBody>, Infallible>> + Send + use<> {
        self.conn.set(Phase::Busy);
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let conn = self.conn.clone();
        let router = self.router.clone();
        async move {
            let res = router.oneshot(req).await?;
            Ok(res.map(|inner| TrackedBody { inner, conn }))
        }
    }
}

/// A response body that marks its connection idle when hyper is done with it (the response is
/// written): the keep-alive timeout starts there.
struct TrackedBody {
    inner: Body,
    conn: Arc<Conn>,
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.conn.set(Phase::Idle);
        // hyper read last while the connection was busy (no deadline then) and may not read
        // again until the socket is readable: make it poll, so the keep-alive timer starts.
        self.conn.waker.wake();
    }
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request head: the header timeout runs.
    Waiting,
    /// A request is being handled.
    Busy,
    /// Between a response and the next byte: the keep-alive timeout runs; may be evicted.
    Idle,
}

/// What the accept loop, the connection's IO and its service share.
struct Conn {
    id: u64,
    key: Option<AddrKey>,
    phase: Mutex<(Phase, Instant)>,
    /// Closed to make room for a new connection (checked by the IO on its next read).
    evicted: AtomicBool,
    /// The connection task, to wake it when it is evicted.
    waker: AtomicWaker,
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, (Phase, Instant)> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, phase: Phase) {
        *self.lock() = (phase, Instant::now());
    }

    fn phase(&self) -> (Phase, Instant) {
        *self.lock()
    }

    /// The first bytes after a response start the next request's header timeout.
    fn received(&self) {
        let mut p = self.lock();
        if p.0 == Phase::Idle {
            *p = (Phase::Waiting, Instant::now());
        }
    }
}

/// Per-address caps count an IPv4 address, or an IPv6 /64 (one host's usual allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AddrKey {
    V4(Ipv4Addr),
    V6(u64),
}

impl AddrKey {
    fn of(ip: IpAddr) -> AddrKey {
        match ip.to_canonical() {
            IpAddr::V4(a) => AddrKey::V4(a),
            IpAddr::V6(a) => AddrKey::V6((u128::from(a) >> 64) as u64),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    Global,
    Address,
}

impl Refusal {
    fn reason(self) -> &'static str {
        match self {
            Refusal::Global => "max_connections",
            Refusal::Address => "max_per_address",
        }
    }
}

struct Tracker {
    max: usize,
    evict_waiting_after: Duration,
    /// 0: no per-address cap.
    per_address: usize,
    table: Mutex<Table>,
    next_id: AtomicU64,
    metrics: Arc<Metrics>,
}

#[derive(Default)]
struct Table {
    conns: HashMap<u64, Arc<Conn>>,
    per_address: HashMap<AddrKey, usize>,
}

impl Table {
    fn remove(&mut self, id: u64) -> Option<Arc<Conn>> {
        let conn = self.conns.remove(&id)?;
        if let Some(key) = conn.key
            && let Some(n) = self.per_address.get_mut(&key)
        {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&key);
            }
        }
        Some(conn)
    }

    /// Closes a connection (of `key`, if given) to make room: the one idle longest, or else
    /// the one that has waited longest for a request head, if for more than `waiting_after`.
    /// Returns the reason, or `None` if no connection qualifies. The
    /// connection leaves the count at once; its socket closes as soon as its task runs.
    fn evict(&mut self, key: Option<AddrKey>, waiting_after: Duration) -> Option<&'static str> {
        let now = Instant::now();
        let mut idle = None;
        let mut waiting = None;
        for c in self.conns.values() {
            if key.is_some() && c.key != key {
                continue;
            }
            let older = |best: Option<(Instant, u64)>, since| {
                Some(best.map_or((since, c.id), |b| b.min((since, c.id))))
            };
            match c.phase() {
                (Phase::Idle, since) => idle = older(idle, since),
                (Phase::Waiting, since) if now.duration_since(since) >= waiting_after => {
                    waiting = older(waiting, since)
                }
                _ => {}
            }
        }
        let (id, reason) = match (idle, waiting) {
            (Some((_, id)), _) => (id, "evicted_idle"),
            (None, Some((_, id))) => (id, "evicted_waiting"),
            (None, None) => return None,
        };
        let conn = self.remove(id)?;
        conn.evicted.store(true, Ordering::Release);
        conn.waker.wake();
        Some(reason)
    }
}

impl Tracker {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let key = (self.per_address > 0).then(|| AddrKey::of(ip));
        let mut table = self.lock();
        let mut evicted = None;
        if let Some(key) = key {
            let open = table.per_address.get(&key).copied().unwrap_or(0);
            if open >= self.per_address {
                evicted = Some(
                    table
                        .evict(Some(key), self.evict_waiting_after)
                        .ok_or(Refusal::Address)?,
                );
            }
        }
        if table.conns.len() >= self.max {
            evicted = Some(
                table
                    .evict(None, self.evict_waiting_after)
                    .ok_or(Refusal::Global)?,
            );
        }
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            key,
            phase: Mutex::new((Phase::Waiting, Instant::now())),
            evicted: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        table.conns.insert(conn.id, conn.clone());
        if let Some(key) = key {
            *table.per_address.entry(key).or_insert(0) += 1;
        }
        self.metrics.connections_open.set(table.conns.len() as i64);
        drop(table);
        if let Some(reason) = evicted {
            self.metrics
                .connections_closed
                .get_or_create(&ReasonLabels { reason })
                .inc();
        }
        Ok(Slot {
            conn,
            tracker: self.clone(),
        })
    }
}

/// A connection's place in the count, given back when its socket is dropped.
struct Slot {
    conn: Arc<Conn>,
    tracker: Arc<Tracker>,
}

impl std::ops::Deref for Slot {
    type Target = Arc<Conn>;
    fn deref(&self) -> &Arc<Conn> {
        &self.conn
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut table = self.tracker.lock();
        // An evicted connection has left the table already.
        table.remove(self.conn.id);
        self.tracker
            .metrics
            .connections_open
            .set(table.conns.len() as i64);
    }
}

/// Answers a connection over a cap without reading it and closes it: a write into the empty
/// send buffer of a fresh socket does not block. If the request is already in, closing may
/// reset the connection before the client reads the answer; it sees an error either way,
/// and at once.
fn refuse(stream: TcpStream, refusal: Refusal, metrics: &Metrics) {
    metrics
        .connections_refused
        .get_or_create(&ReasonLabels {
            reason: refusal.reason(),
        })
        .inc();
    let error = match refusal {
        Refusal::Global => ApiError::Overloaded,
        Refusal::Address => ApiError::TooManyConnections,
    };
    let status = error.status();
    let body = error.body_json();
    let advice = error
        .advice()
        .and_then(|(name, value)| Some(format!("{name}: {}\r\n", value.to_str().ok()?)))
        .unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         {advice}connection: close\r\n\r\n{body}",
        status.as_str(),
        status.canonical_reason().unwrap_or_default(),
        body.len()
    );
    let _ = stream.try_write(answer.as_bytes());
}

/// Backs off after `accept` fails and keeps the log to one line a minute: out of descriptors,
/// it would otherwise fail (and log) as fast as it is retried.
#[derive(Default)]
struct AcceptErrors {
    backoff: Option<Duration>,
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    const FIRST: Duration = Duration::from_millis(50);
    const MAX: Duration = Duration::from_secs(1);
    const LOG_EVERY: Duration = Duration::from_secs(60);

    fn succeeded(&mut self) {
        self.backoff = None;
    }

    /// How long to wait before the next `accept`; `None` for errors of one connection only
    /// (reset or aborted before it was accepted).
    fn failed(&mut self, e: &io::Error) -> Option<Duration> {
        if matches!(
            e.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
        ) {
            return None;
        }
        let now = Instant::now();
        if self
            .last_logged
            .is_none_or(|t| now.duration_since(t) >= Self::LOG_EVERY)
        {
            tracing::error!(
                error = %e,
                failures_since_last_logged = self.unlogged,
                "cannot accept connections; retrying (logged at most once a minute)"
            );
            self.last_logged = Some(now);
            self.unlogged = 0;
        } else {
            self.unlogged += 1;
        }
        let pause = self.backoff.map_or(Self::FIRST, |b| (b * 2).min(Self::MAX));
        self.backoff = Some(pause);
        Some(pause)
    }
}

/// The socket with the phase timeouts; ends the connection (as end of input, which hyper
/// takes as the client closing) when one expires or when it is evicted.
struct GuardedIo {
    io: TcpStream,
    conn: Slot,
    header_timeout: Duration,
    idle_timeout: Duration,
    read_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
    /// When the current write stopped making progress.
    write_stalled: Option<Instant>,
    /// Why it was ended, once ended (every later read is end of input).
    ended: Option<&'static str>,
    metrics: Arc<Metrics>,
}

impl GuardedIo {
    fn new(io: TcpStream, conn: Slot, limits: &ConnLimits, metrics: Arc<Metrics>) -> GuardedIo {
        GuardedIo {
            io,
            conn,
            header_timeout: limits.header_timeout,
            idle_timeout: limits.idle_timeout,
            read_timer: None,
            write_timer: None,
            write_stalled: None,
            ended: None,
            metrics,
        }
    }

    fn end(&mut self, reason: &'static str) {
        if self.ended.is_none() {
            self.ended = Some(reason);
            if reason != "evicted" {
                // Evictions are counted where they are decided.
                self.metrics
                    .connections_closed
                    .get_or_create(&ReasonLabels { reason })
                    .inc();
            }
        }
    }
}

/// Whether `deadline` has passed; if not, `cx` is woken when it does.
fn expired(timer: &mut Option<Pin<Box<Sleep>>>, deadline: Instant, cx: &mut Context<'_>) -> bool {
    let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
    if timer.deadline() != deadline {
        timer.as_mut().reset(deadline);
    }
    timer.as_mut().poll(cx).is_ready()
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.ended.is_some() {
            return Poll::Ready(Ok(()));
        }
        this.conn.waker.register(cx.waker());
        // A request that started just as its connection was chosen is finished first (the
        // connection is out of the count already); the connection closes when it is idle.
        if this.conn.evicted.load(Ordering::Acquire) && this.conn.phase().0 != Phase::Busy {
            this.end("evicted");
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.conn.received();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let (deadline, reason) = match this.conn.phase() {
                    (Phase::Waiting, since) => (since + this.header_timeout, "header_timeout"),
                    (Phase::Idle, since) => (since + this.idle_timeout, "idle_timeout"),
                    (Phase::Busy, _) => return Poll::Pending,
                };
                if expired(&mut this.read_timer, deadline, cx) {
                    this.end(reason);
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
        }
    }
}

impl GuardedIo {
    /// A write that stays pending for the idle timeout ends the connection: the client has
    /// stopped reading.
    fn watch_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        res: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match res {
            Poll::Pending => {
                let since = *self.write_stalled.get_or_insert_with(Instant::now);
                if expired(&mut self.write_timer, since + self.idle_timeout, cx) {
                    self.end("send_timeout");
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client stopped reading",
                    )));
                }
                Poll::Pending
            }
            ready => {
                self.write_stalled = None;
                ready
            }
        }
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch_write(cx, res)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch_write(cx, res)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_descriptors_and_bounds_memory() {
        assert_eq!(default_max_connections(Some(256)), 192);
        assert_eq!(default_max_connections(Some(1024)), 960);
        assert_eq!(
            default_max_connections(Some(1_048_576)),
            DEFAULT_MAX_CONNECTIONS
        );
        assert_eq!(default_max_connections(None), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(default_max_connections(Some(20)), 8);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(AddrKey::of(a), AddrKey::of(b));
        assert_ne!(AddrKey::of(a), AddrKey::of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            AddrKey::of(mapped),
            AddrKey::V4(Ipv4Addr::new(192, 0, 2, 7))
        );
    }
}
