//! Queries on the request log: `request_logs` (one row per client request), `usage_hourly`
//! (rollups kept longer than raw rows) and `log_health`, one file per job: [`write`] (the
//! proxy's side), [`read`] (the log page), [`stats`] (the dashboard's series and totals) and
//! [`retention`] (the cron's pruning).

mod read;
mod retention;
mod stats;
mod write;

pub use read::{get, health, page};
pub use retention::{prune_beyond, prune_older_than, prune_rollups, record_prune};
pub use stats::{counters, latency_samples, totals};
pub use write::write_or_record;
