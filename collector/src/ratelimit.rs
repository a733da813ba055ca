//! Rate limits per client address, per client network and per site, as token buckets
//! (governor). They live in each collector's memory: behind a load balancer the effective
//! limit is per collector, which is what protects each one; the database is not the place for
//! per-request counters.
//!
//! The network limit keys on the address's /24 (IPv4) or /64 (IPv6, the smallest network one
//! subscriber gets): rotating source addresses within what one attacker controls, trivial
//! with IPv6, then buys nothing. It is set higher than the address limit, since many honest
//! visitors can share a network (a carrier's NAT pool, an office).

use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per second from one IP address, and the burst it may save up.
    pub per_ip: u32,
    pub per_ip_burst: u32,
    /// Requests per second from one network (an IPv4 /24, an IPv6 /64), and its burst.
    pub per_network: u32,
    pub per_network_burst: u32,
    /// Submissions per second to one site, from everyone together.
    pub per_site: u32,
    pub per_site_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_ip: 20,
            per_ip_burst: 100,
            per_network: 100,
            per_network_burst: 400,
            per_site: 2000,
            per_site_burst: 4000,
        }
    }
}

#[derive(Clone)]
pub struct RateLimits {
    ip: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    network: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
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

/// Which limit refused a request, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Address,
    Network,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Address => "ip",
            Scope::Network => "network",
        }
    }
}

/// The network an address belongs to for the network limit: its /24 or /64.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

impl RateLimits {
    /// A rate of 0 turns that limit off (benchmarks).
    pub fn new(l: Limits) -> Self {
        RateLimits {
            ip: limiter(l.per_ip, l.per_ip_burst),
            network: limiter(l.per_network, l.per_network_burst),
            site: limiter(l.per_site, l.per_site_burst),
        }
    }

    /// Checks the address's own limit, then its network's; `Err` says which refused.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), (ApiError, Scope)> {
        let refuse = |scope| {
            move |n| {
                (
                    ApiError::RateLimited {
                        retry_after: retry_after(n),
                    },
                    scope,
                )
            }
        };
        // An IPv4 address written as IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports)
        // is the IPv4 address: otherwise its /64 would put every IPv4 client in one network.
        let ip = ip.to_canonical();
        if let Some(l) = &self.ip {
            l.check_key(&ip).map_err(refuse(Scope::Address))?;
        }
        if let Some(l) = &self.network {
            l.check_key(&network(ip)).map_err(refuse(Scope::Network))?;
        }
        Ok(())
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
                if let Some(l) = &this.network {
                    l.retain_recent();
                }
                if let Some(l) = &this.site {
                    l.retain_recent();
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn networks_are_the_24_and_the_64_and_mapped_addresses_are_ipv4() {
        assert_eq!(network(ip("203.0.113.77")), ip("203.0.113.0"));
        assert_eq!(
            network(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        // A dual-stack socket's IPv4 client is limited as the IPv4 address it is.
        let limits = RateLimits::new(Limits {
            per_ip: 1,
            per_ip_burst: 1,
            per_network: 0,
            per_network_burst: 0,
            per_site: 0,
            per_site_burst: 0,
        });
        assert!(limits.check_ip(ip("203.0.113.77")).is_ok());
        assert!(limits.check_ip(ip("::ffff:203.0.113.77")).is_err());
    }

    #[test]
    fn new_addresses_in_one_network_share_its_limit() {
        let limits = RateLimits::new(Limits {
            per_ip: 1,
            per_ip_burst: 1,
            per_network: 1,
            per_network_burst: 3,
            per_site: 0,
            per_site_burst: 0,
        });
        for host in 1..=3 {
            assert!(limits.check_ip(ip(&format!("198.51.100.{host}"))).is_ok());
        }
        let refused = limits.check_ip(ip("198.51.100.4"));
        assert!(matches!(refused, Err((_, Scope::Network))));
        assert!(limits.check_ip(ip("198.51.101.1")).is_ok(), "another /24");
        // The address limit still holds on its own.
        assert!(matches!(
            limits.check_ip(ip("198.51.101.1")),
            Err((_, Scope::Address))
        ));
        // IPv6: a fresh address per request within one /64 gets nowhere.
        for host in 1..=3 {
            assert!(
                limits
                    .check_ip(ip(&format!("2001:db8:5:6::{host}")))
                    .is_ok()
            );
        }
        assert!(limits.check_ip(ip("2001:db8:5:6::99")).is_err());
        assert!(limits.check_ip(ip("2001:db8:5:7::1")).is_ok());
    }
}
