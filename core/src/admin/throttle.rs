//! Sign-in throttling: the pure logic of the `LoginGuard` Durable Object, with time passed in.
//!
//! An attempt is checked against several buckets at once (see [`Bucket`]): the account, the
//! client IP and, for IPv6, the client's /64 network. A username that names no admin gets an
//! account bucket of its own too (keyed by a hash of the name, so it locks exactly like a real
//! account and the lock reveals nothing) and also counts in one global bucket shared by every
//! unknown username, which caps how much hashing (and how many records) a flood of random names
//! can cause. An attempt is **counted when it is admitted**, in the same object call,
//! before the password is hashed, so concurrent attempts cannot all slip in before the first
//! failure is recorded: at most [`Limits::max`] attempts per bucket are ever evaluated in a
//! window. A success clears the account's bucket and refunds its own count in the network
//! buckets. Once a bucket reaches its limit it locks for [`BASE_LOCK_MS`]; every refused attempt
//! doubles the lock, up to [`MAX_LOCK_MS`]. A bucket expires (and its record is deleted) once
//! its window and lock have both passed.

use serde::{Deserialize, Serialize};
use std::net::Ipv6Addr;

/// Length of the counting window.
pub const WINDOW_MS: u64 = 15 * 60 * 1000;
/// First lock once a bucket reaches its limit.
pub const BASE_LOCK_MS: u64 = 30 * 1000;
/// Longest lock.
pub const MAX_LOCK_MS: u64 = 60 * 60 * 1000;

/// Attempts evaluated per window for one admin account (or the setup form).
pub const ACCOUNT_MAX: u32 = 5;
/// Attempts evaluated per window from one client IP address, whatever the usernames.
pub const IP_MAX: u32 = 20;
/// Attempts evaluated per window from one IPv6 /64 (one customer's network).
pub const NET_MAX: u32 = 40;
/// Attempts with usernames that name no admin, per window, from everywhere together.
pub const UNKNOWN_MAX: u32 = 100;

/// Which kind of bucket a key names; each kind has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Ip,
    Net,
    Unknown,
}

impl Scope {
    pub fn limit(self) -> u32 {
        match self {
            Scope::Account => ACCOUNT_MAX,
            Scope::Ip => IP_MAX,
            Scope::Net => NET_MAX,
            Scope::Unknown => UNKNOWN_MAX,
        }
    }
}

/// What is signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    /// An existing admin, by id (ids never change, usernames are case-insensitive).
    Admin(i64),
    /// A username that names no admin, by a hash of its lowercased form. Besides its own
    /// bucket it counts in the global unknown-username bucket.
    Unknown(String),
    /// The first-run setup form.
    Setup,
}

/// The bucket keys one attempt is counted in, with their scopes.
pub fn bucket_keys(subject: &Subject, client_ip: &str) -> Vec<(String, Scope)> {
    let mut keys = match subject {
        Subject::Admin(id) => vec![(format!("admin:{id}"), Scope::Account)],
        Subject::Unknown(name) => {
            vec![(format!("name:{name}"), Scope::Account), ("unknown".to_string(), Scope::Unknown)]
        }
        Subject::Setup => vec![("setup".to_string(), Scope::Account)],
    };
    keys.push((format!("ip:{client_ip}"), Scope::Ip));
    if let Some(net) = ipv6_net64(client_ip) {
        keys.push((format!("net:{net}"), Scope::Net));
    }
    keys
}

/// The /64 prefix of an IPv6 address (`2001:db8:1:2::/64`); `None` for anything else.
pub fn ipv6_net64(ip: &str) -> Option<String> {
    let addr: Ipv6Addr = ip.trim().parse().ok()?;
    if addr.to_ipv4_mapped().is_some() {
        return None;
    }
    let s = addr.segments();
    Some(format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)))
}

/// One bucket's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Attempts counted in the current window (admitted and refused).
    pub attempts: u32,
    pub window_start_ms: u64,
    pub locked_until_ms: u64,
}

impl Bucket {
    /// Whether the record can be deleted: its window and its lock are both over.
    pub fn expired(&self, now_ms: u64) -> bool {
        now_ms >= self.window_start_ms.saturating_add(WINDOW_MS) && now_ms >= self.locked_until_ms
    }

    /// `Some(ms until unlocked)` while locked.
    pub fn locked(&self, now_ms: u64) -> Option<u64> {
        (now_ms < self.locked_until_ms).then(|| self.locked_until_ms - now_ms)
    }

    fn count(&mut self, now_ms: u64, limit: u32) {
        if self.expired(now_ms) {
            *self = Bucket { window_start_ms: now_ms, ..Default::default() };
        }
        self.attempts += 1;
        if self.attempts >= limit {
            self.locked_until_ms = now_ms + lock_for(self.attempts, limit);
        }
    }

    /// Takes back one admitted attempt (the attempt succeeded).
    fn refund(&mut self, limit: u32) {
        self.attempts = self.attempts.saturating_sub(1);
        if self.attempts < limit {
            self.locked_until_ms = 0;
        }
    }
}

fn lock_for(attempts: u32, limit: u32) -> u64 {
    let doublings = attempts.saturating_sub(limit).min(20);
    (BASE_LOCK_MS << doublings).min(MAX_LOCK_MS)
}

/// Admits or refuses one attempt over the given buckets (loaded by the caller, `None` when
/// there is no record), updating them in place. Admitted: every bucket counts the attempt.
/// Refused (some bucket is locked): every locked bucket counts it and its lock grows; the
/// others are left alone. `Err` carries the milliseconds until the longest lock ends.
pub fn admit(buckets: &mut [(Scope, Bucket)], now_ms: u64) -> Result<(), u64> {
    let locked = buckets.iter().any(|(_, b)| b.locked(now_ms).is_some());
    if locked {
        let mut retry = 0;
        for (scope, b) in buckets.iter_mut() {
            if b.locked(now_ms).is_some() {
                b.attempts += 1;
                b.locked_until_ms = now_ms + lock_for(b.attempts, scope.limit());
                retry = retry.max(b.locked_until_ms - now_ms);
            }
        }
        return Err(retry);
    }
    for (scope, b) in buckets.iter_mut() {
        b.count(now_ms, scope.limit());
    }
    Ok(())
}

/// A successful sign-in: the account's bucket is cleared; the attempt is refunded in the others.
pub fn succeed(buckets: &mut [(Scope, Bucket)]) {
    for (scope, b) in buckets.iter_mut() {
        match scope {
            Scope::Account => *b = Bucket::default(),
            other => b.refund(other.limit()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(subject: &Subject, ip: &str) -> Vec<(Scope, Bucket)> {
        bucket_keys(subject, ip).into_iter().map(|(_, s)| (s, Bucket::default())).collect()
    }

    #[test]
    fn at_most_the_limit_is_admitted_and_the_lock_grows() {
        let mut b = fresh(&Subject::Admin(1), "192.0.2.1");
        let now = 1_000_000;
        for i in 0..ACCOUNT_MAX as u64 {
            assert_eq!(admit(&mut b, now + i), Ok(()), "attempt {i}");
        }
        // The fifth admitted attempt locked the account while it is being evaluated.
        assert_eq!(admit(&mut b, now + 5), Err(60_000));
        assert_eq!(admit(&mut b, now + 6), Err(120_000));
        // The IP bucket counted only the admitted attempts.
        assert_eq!(b[1].1.attempts, ACCOUNT_MAX);
        // After the lock, a success clears the account and refunds the IP.
        let later = now + 6 + 120_000;
        assert_eq!(admit(&mut b, later), Ok(()));
        succeed(&mut b);
        assert_eq!(b[0].1, Bucket::default());
        assert_eq!(b[1].1.attempts, ACCOUNT_MAX);
    }

    #[test]
    fn a_success_before_the_limit_undoes_the_lock_it_set() {
        let mut b = fresh(&Subject::Admin(1), "192.0.2.1");
        for _ in 0..ACCOUNT_MAX {
            admit(&mut b, 0).unwrap();
        }
        succeed(&mut b);
        assert_eq!(admit(&mut b, 1), Ok(()));
    }

    #[test]
    fn ip_limit_holds_across_usernames() {
        let mut ip = Bucket::default();
        let mut admitted = 0;
        for _ in 0..100 {
            let mut b = vec![(Scope::Account, Bucket::default()), (Scope::Ip, ip.clone())];
            if admit(&mut b, 10).is_ok() {
                admitted += 1;
            }
            ip = b[1].1.clone();
        }
        assert_eq!(admitted, IP_MAX);
    }

    #[test]
    fn records_expire_after_window_and_lock() {
        let mut b = Bucket::default();
        b.count(0, 3);
        assert!(!b.expired(WINDOW_MS - 1));
        assert!(b.expired(WINDOW_MS));
        b.count(0, 3);
        b.count(0, 3);
        b.locked_until_ms = WINDOW_MS + 5;
        assert!(!b.expired(WINDOW_MS));
        assert!(b.expired(WINDOW_MS + 5));
        // An expired record starts a new window when counted again.
        let mut b = Bucket { attempts: 9, window_start_ms: 0, locked_until_ms: 0 };
        b.count(WINDOW_MS, 5);
        assert_eq!(b.attempts, 1);
    }

    #[test]
    fn an_unknown_name_locks_like_an_account_and_counts_globally() {
        let mut b = fresh(&Subject::Unknown("n".into()), "192.0.2.1");
        for _ in 0..ACCOUNT_MAX {
            admit(&mut b, 0).unwrap();
        }
        assert_eq!(admit(&mut b, 1), Err(60_000));
        assert_eq!(b[1].1.attempts, ACCOUNT_MAX, "the global bucket counted the admitted attempts");
    }

    #[test]
    fn lock_is_capped() {
        let mut b = fresh(&Subject::Setup, "local");
        for _ in 0..ACCOUNT_MAX {
            admit(&mut b, 0).unwrap();
        }
        let mut last = 0;
        for i in 1..40 {
            last = admit(&mut b, i).unwrap_err();
        }
        assert_eq!(last, MAX_LOCK_MS);
    }

    #[test]
    fn keys_per_subject_and_network() {
        let k = |s: &Subject, ip: &str| bucket_keys(s, ip).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(k(&Subject::Admin(7), "192.0.2.1"), ["admin:7", "ip:192.0.2.1"]);
        assert_eq!(
            k(&Subject::Unknown("ab12".into()), "2001:db8:1:2:3:4:5:6"),
            ["name:ab12", "unknown", "ip:2001:db8:1:2:3:4:5:6", "net:2001:db8:1:2::/64"]
        );
        assert_eq!(k(&Subject::Setup, "::ffff:192.0.2.1"), ["setup", "ip:::ffff:192.0.2.1"]);
        assert_eq!(ipv6_net64("2001:db8:1:2:ffff::1"), ipv6_net64("2001:db8:1:2::9"));
        assert_eq!(ipv6_net64("local"), None);
    }
}
