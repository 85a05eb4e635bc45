//! The Worker's clock. `CLOCK_SKEW_MS` (a var, unset in deployments) shifts it so the test
//! suite can reach session expiry, cooldown ends and Pacific midnight without waiting.

use worker::Env;

/// Current time in Unix milliseconds, plus the configured skew.
pub fn now_ms(env: &Env) -> u64 {
    let skew =
        env.var(crate::bindings::CLOCK_SKEW_MS).ok().and_then(|v| v.to_string().parse::<i64>().ok()).unwrap_or(0);
    (worker::Date::now().as_millis() as i64 + skew).max(0) as u64
}
