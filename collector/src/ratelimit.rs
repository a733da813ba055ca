//! Rate limits per client IP and per site, as token buckets (governor). They live in each
//! collector's memory: behind a load balancer the effective limit is per collector, which is
//! what protects each one; the database is not the place for per-request counters.

use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per second from one IP address, and the burst it may save up.
    pub per_ip: u32,
    pub per_ip_burst: u32,
    /// Submissions per second to one site, from everyone together.
    pub per_site: u32,
    pub per_site_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_ip: 20,
            per_ip_burst: 100,
            per_site: 2000,
            per_site_burst: 4000,
        }
    }
}

#[derive(Clone)]
pub struct RateLimits {
    ip: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    site: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    rate: u32,
    burst: u32,
) -> Option<Arc<DefaultKeyedRateLimiter<K>>> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst.max(rate.get())).unwrap_or(rate);
    Some(Arc::new(governor::RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    )))
}

/// Seconds to wait, rounded up; at least 1.
fn retry_after(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    (wait.as_secs_f64().ceil() as u64).max(1)
}

impl RateLimits {
    /// A rate of 0 turns that limit off (benchmarks).
    pub fn new(l: Limits) -> Self {
        RateLimits {
            ip: limiter(l.per_ip, l.per_ip_burst),
            site: limiter(l.per_site, l.per_site_burst),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        match &self.ip {
            Some(l) => l.check_key(&ip).map_err(|n| ApiError::RateLimited {
                retry_after: retry_after(n),
            }),
            None => Ok(()),
        }
    }

    pub fn check_site(&self, site: &str) -> Result<(), ApiError> {
        match &self.site {
            Some(l) => l
                .check_key(&site.to_owned())
                .map_err(|n| ApiError::RateLimited {
                    retry_after: retry_after(n),
                }),
            None => Ok(()),
        }
    }

    /// Forgets idle keys now and then, so memory follows active clients, not all clients ever.
    pub fn spawn_cleanup(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                if let Some(l) = &this.ip {
                    l.retain_recent();
                }
                if let Some(l) = &this.site {
                    l.retain_recent();
                }
            }
        })
    }
}
