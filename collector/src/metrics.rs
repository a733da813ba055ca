//! Prometheus metrics (`GET /metrics`), one registry per server instance.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WriteLabels {
    pub kind: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScopeLabels {
    pub scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RequestLabels, Histogram>,
    pub writes: Family<WriteLabels, Counter>,
    pub batch_size: Histogram,
    pub rate_limited: Family<ScopeLabels, Counter>,
    pub reloads: Family<ResultLabels, Counter>,
    pub sites: Gauge,
    /// What `/readyz` lists as problems, for alerting: it stays ready while there are some.
    pub config_problems: Gauge,
    pub connections_open: Gauge,
    /// Connections answered 503/429 at accept: `max_connections`, `max_per_address`.
    pub connections_refused: Family<ReasonLabels, Counter>,
    /// Connections the server ended: `header_timeout`, `idle_timeout`, `send_timeout`, and
    /// `evicted` (idle, closed to make room under a cap).
    pub connections_closed: Family<ReasonLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tenpoint");
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        let writes = Family::<WriteLabels, Counter>::default();
        let batch_size =
            Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0]);
        let rate_limited = Family::<ScopeLabels, Counter>::default();
        let reloads = Family::<ResultLabels, Counter>::default();
        let sites = Gauge::default();
        let config_problems = Gauge::default();
        let connections_open = Gauge::default();
        let connections_refused = Family::<ReasonLabels, Counter>::default();
        let connections_closed = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            request_seconds.clone(),
        );
        registry.register(
            "writes",
            "Displays and responses written, by outcome",
            writes.clone(),
        );
        registry.register(
            "write_batch_size",
            "Writes committed per transaction",
            batch_size.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit",
            rate_limited.clone(),
        );
        registry.register("config_reloads", "Site config reloads", reloads.clone());
        registry.register("sites", "Sites currently loaded", sites.clone());
        registry.register(
            "config_problems",
            "Site config paths missing or unreadable, and files refused, at the last reload",
            config_problems.clone(),
        );
        registry.register(
            "connections_open",
            "Client connections open",
            connections_open.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections refused at accept, by the cap that was reached",
            connections_refused.clone(),
        );
        registry.register(
            "connections_closed",
            "Connections closed by the server: timeouts, and idle ones evicted under a cap",
            connections_closed.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            writes,
            batch_size,
            rate_limited,
            reloads,
            sites,
            config_problems,
            connections_open,
            connections_refused,
            connections_closed,
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
