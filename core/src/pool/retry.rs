//! The one policy table of the attempt loop: after a failed attempt, what happens to the key
//! and whether (and how) the request is tried again.
//!
//! [`after_failure`] turns [`FailureClass::action`] plus the facts of this request (does it
//! create a resource, is it pinned to one key, how many attempts are left) into a
//! [`Decision`]; [`outcome`] turns the decision's penalty into the report the key's shard
//! applies. The worker only executes what these functions say.

use super::classify::{cooldown_until_ms, Action, Classification, FailureClass, MINUTE_FALLBACK_MS};
use super::shard::Outcome;

/// Backoff before the first retry after a transient failure; it doubles per attempt.
pub const BACKOFF_BASE_MS: u64 = 100;
/// Longest backoff between two attempts.
pub const BACKOFF_MAX_MS: u64 = 1_000;

/// Backoff before the retry that follows failed attempt `attempt` (0-based): 100, 200, 400,
/// 800 ms, then 1 s.
pub fn backoff_ms(attempt: u32) -> u64 {
    (BACKOFF_BASE_MS << attempt.min(4)).min(BACKOFF_MAX_MS)
}

/// The facts about one failed attempt that the policy needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed {
    /// Whose fault the failure is.
    pub class: FailureClass,
    /// A 2xx generation reply without any content (classified [`FailureClass::Transient`]): the
    /// key is fine and the call had no effect, so another key is tried at once.
    pub empty_reply: bool,
    /// The call creates something upstream ([`crate::proxy::affinity::creates_resource`]): after
    /// a 5xx or a dropped connection it may have run, so it is never sent again.
    pub creates_resource: bool,
    /// Only one key may serve this request (an upload chunk continues the session its key
    /// opened): never retried on another key.
    pub pinned: bool,
    /// The failed attempt's index (0 for the first).
    pub attempt: u32,
    /// Attempts allowed for this request (1 for a streamed request body).
    pub allowed: u32,
}

/// What happens to the key (or its project) that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Penalty {
    /// Nothing: not the key's fault.
    None,
    /// Disable the key until an admin (or the hourly re-check) brings it back.
    DisableKey,
    /// Cool (project, model) down until [`cooldown_until_ms`].
    CoolDown,
    /// The model has a zero quota on the key's project: skip the model there (no free-up time is
    /// promised; it is probed again after [`super::classify::QUOTA_ZERO_COOLDOWN_MS`]).
    SkipModel,
    /// Count a failure on the key (reset by its next success); no cooldown.
    CountFailure,
    /// Penalise nothing, tell the operator (region block, gateway fault).
    Alert,
}

/// Whether the request goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try a key not tried yet, after `backoff_ms`. With `avoid_project`, keys of the failed
    /// key's project come last (quota and resources are per project).
    Retry { backoff_ms: u64, avoid_project: bool },
    /// Stop: the client gets this failure's reply.
    Stop,
}

/// The verdict on one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub penalty: Penalty,
    pub next: Next,
}

/// The policy table. By [`FailureClass::action`]:
///
/// | action | penalty | next |
/// |---|---|---|
/// | `DisableKey` | disable | retry, other project first |
/// | `CoolDown` | cool down | retry, other project first |
/// | `SkipModel` | skip model on the project | retry, other project first |
/// | `Backoff` | count a failure | retry after [`backoff_ms`]; stop for a create (it may have run) |
/// | `RouteToOwner` | none | the resource belongs to another project: the gateway routes to a known owner before the first attempt, so here the owner is unknown and a key of another project is tried (it may be the owner); stop when pinned |
/// | `ReturnToClient` | none | stop |
/// | `Alert` | alert | stop |
///
/// An empty reply penalises nothing and retries at once. A pinned request and the last
/// allowed attempt always stop (the penalty still applies).
pub fn after_failure(f: &Failed) -> Decision {
    let retry = |backoff_ms, avoid_project| Next::Retry { backoff_ms, avoid_project };
    let (penalty, next) = if f.empty_reply {
        (Penalty::None, retry(0, false))
    } else {
        match f.class.action() {
            Action::DisableKey => (Penalty::DisableKey, retry(0, true)),
            Action::CoolDown => (Penalty::CoolDown, retry(0, true)),
            Action::SkipModel => (Penalty::SkipModel, retry(0, true)),
            Action::Backoff if f.creates_resource => (Penalty::CountFailure, Next::Stop),
            Action::Backoff => (Penalty::CountFailure, retry(backoff_ms(f.attempt), false)),
            Action::RouteToOwner => (Penalty::None, retry(0, true)),
            Action::ReturnToClient => (Penalty::None, Next::Stop),
            Action::Alert => (Penalty::Alert, Next::Stop),
        }
    };
    let last = f.pinned || f.attempt.saturating_add(1) >= f.allowed;
    Decision { penalty, next: if last { Next::Stop } else { next } }
}

/// The shard report for a penalty, if it has one. `model` is the model the client asked for;
/// the model Google named in a quota error is added when it differs (an alias such as
/// `gemini-flash-latest`). `project_known`: the key has a project label, so a quota penalty
/// covers every key of the project.
pub fn outcome(penalty: Penalty, c: &Classification, model: &str, project_known: bool, now_ms: u64) -> Option<Outcome> {
    let models = || {
        let mut models = vec![model.to_string()];
        if let Some(m) = c.model.as_deref().filter(|m| *m != model) {
            models.push(m.to_string());
        }
        models
    };
    let reason = || format!("{}: {}", c.class.as_str(), c.reason);
    let until_ms = cooldown_until_ms(c, now_ms).unwrap_or(now_ms + MINUTE_FALLBACK_MS);
    match penalty {
        Penalty::CoolDown => {
            Some(Outcome::Cooldown { models: models(), until_ms, reason: reason(), project_wide: project_known })
        }
        Penalty::SkipModel => Some(Outcome::SkipModel { models: models(), until_ms, reason: reason() }),
        Penalty::CountFailure => Some(Outcome::Failure),
        Penalty::None | Penalty::DisableKey | Penalty::Alert => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::classify::QUOTA_ZERO_COOLDOWN_MS;
    use FailureClass::*;

    fn failed(class: FailureClass) -> Failed {
        Failed { class, empty_reply: false, creates_resource: false, pinned: false, attempt: 0, allowed: 3 }
    }

    fn retry(backoff_ms: u64, avoid_project: bool) -> Next {
        Next::Retry { backoff_ms, avoid_project }
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let got: Vec<u64> = (0..7).map(backoff_ms).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000, 1000]);
        assert_eq!(backoff_ms(u32::MAX), 1000);
    }

    #[test]
    fn table_by_class() {
        let cases = [
            (KeyInvalid, Penalty::DisableKey, retry(0, true)),
            (QuotaMinute, Penalty::CoolDown, retry(0, true)),
            (QuotaDay, Penalty::CoolDown, retry(0, true)),
            (QuotaUnknown, Penalty::CoolDown, retry(0, true)),
            (QuotaZero, Penalty::SkipModel, retry(0, true)),
            (Transient, Penalty::CountFailure, retry(100, false)),
            (Affinity, Penalty::None, retry(0, true)),
            (RequestBad, Penalty::None, Next::Stop),
            (RegionBlocked, Penalty::Alert, Next::Stop),
            (ProxyFault, Penalty::Alert, Next::Stop),
        ];
        for (class, penalty, next) in cases {
            assert_eq!(after_failure(&failed(class)), Decision { penalty, next }, "{class:?}");
        }
    }

    #[test]
    fn a_create_that_may_have_run_is_not_sent_again() {
        let d = after_failure(&Failed { creates_resource: true, ..failed(Transient) });
        assert_eq!(d, Decision { penalty: Penalty::CountFailure, next: Next::Stop });
        // A quota error proves nothing ran: a create may go to another key.
        let d = after_failure(&Failed { creates_resource: true, ..failed(QuotaMinute) });
        assert_eq!(d.next, retry(0, true));
    }

    #[test]
    fn empty_replies_retry_at_once_without_penalty() {
        let d = after_failure(&Failed { empty_reply: true, attempt: 2, allowed: 5, ..failed(Transient) });
        assert_eq!(d, Decision { penalty: Penalty::None, next: retry(0, false) });
    }

    #[test]
    fn pinned_and_last_attempts_stop_but_keep_the_penalty() {
        let d = after_failure(&Failed { pinned: true, ..failed(KeyInvalid) });
        assert_eq!(d, Decision { penalty: Penalty::DisableKey, next: Next::Stop });
        let d = after_failure(&Failed { attempt: 2, allowed: 3, ..failed(QuotaMinute) });
        assert_eq!(d, Decision { penalty: Penalty::CoolDown, next: Next::Stop });
        let d = after_failure(&Failed { attempt: 0, allowed: 1, ..failed(Transient) });
        assert_eq!(d.next, Next::Stop);
        let d = after_failure(&Failed { attempt: 3, allowed: 9, ..failed(Transient) });
        assert_eq!(d.next, retry(800, false));
    }

    fn quota(class: FailureClass, model: Option<&str>) -> Classification {
        Classification {
            class,
            reason: "q".into(),
            model: model.map(str::to_string),
            retry_after_ms: Some(5_000),
            message: String::new(),
        }
    }

    #[test]
    fn outcomes() {
        let now = 1_000_000;
        let c = quota(QuotaMinute, Some("gemini-flash-latest"));
        assert_eq!(
            outcome(Penalty::CoolDown, &c, "m", true, now),
            Some(Outcome::Cooldown {
                models: vec!["m".into(), "gemini-flash-latest".into()],
                until_ms: now + 5_000,
                reason: "quota_minute: q".into(),
                project_wide: true,
            })
        );
        // A zero quota marks the model unavailable on the project, not a plain cooldown.
        let c = quota(QuotaZero, Some("m"));
        assert_eq!(
            outcome(Penalty::SkipModel, &c, "m", false, now),
            Some(Outcome::SkipModel {
                models: vec!["m".into()],
                until_ms: now + QUOTA_ZERO_COOLDOWN_MS,
                reason: "quota_zero: q".into()
            })
        );
        assert_eq!(outcome(Penalty::CountFailure, &c, "m", false, now), Some(Outcome::Failure));
        for p in [Penalty::None, Penalty::DisableKey, Penalty::Alert] {
            assert_eq!(outcome(p, &c, "m", true, now), None);
        }
    }
}
