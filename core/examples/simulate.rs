//! Prints the edge hot-path simulation's tables (docs/architecture.md quotes them):
//! `cargo run -p poise-core --example simulate --release`.

use poise_core::log::batch::BatchConfig;
use poise_core::log::mode::LogMode;
use poise_core::sim::{cost_table, run, table, Report, Scenario, TokenAdmission};

fn main() {
    let base = Scenario::default();
    let busy = Scenario { keys: 500, rate_per_s: 80.0, ..base.clone() };
    let big = Scenario { keys: 10_000, rate_per_s: 500.0, regions: 5, isolates_per_region: 10, ..base.clone() };
    let behaviour: Vec<(String, Report)> = vec![
        ("1k keys, 50 req/s, 3×4 isolates".into(), run(&base)),
        ("500 keys near quota (80 req/s)".into(), run(&busy)),
        ("same, no cooldown sharing".into(), run(&Scenario { share_cooldowns: false, ..busy.clone() })),
        ("same, sync every 5 s".into(), run(&Scenario { sync_interval_ms: 5_000, ..busy.clone() })),
        ("10k keys, 500 req/s, 5×10 isolates".into(), run(&big)),
        ("same, token table cached whole".into(), run(&Scenario { token_snapshot: true, ..big.clone() })),
        ("1k keys, every key RPM-capped".into(), run(&Scenario { capped_share: 1.0, ..base.clone() })),
        (
            "token limits counted per isolate".into(),
            run(&Scenario { token_admission: TokenAdmission::LocalOnly, ..base.clone() }),
        ),
    ];
    println!("## Behaviour ({} s simulated per row)\n", base.duration_s);
    println!("{}", table(&behaviour));

    let mut costs = Vec::new();
    for (rate, keys, regions, per_region) in [(10.0, 1_000, 3, 2), (100.0, 2_000, 3, 5), (1_000.0, 10_000, 5, 20)] {
        // Fewer simulated seconds at the high rate keep the run short; the day is extrapolated either way.
        let duration_s = if rate >= 1_000.0 { 60 } else { base.duration_s };
        let sc =
            Scenario { rate_per_s: rate, keys, regions, isolates_per_region: per_region, duration_s, ..base.clone() };
        let today = BatchConfig::default();
        let lean = BatchConfig { touch_every_ms: None, rollup_per_key: false, ..today };
        for (label, rows, mode, batch) in [
            ("log all, today's schema", 7, LogMode::All, today),
            ("log all, 2 indexes, lean rollups", 3, LogMode::All, lean),
            ("errors_only, lean", 3, LogMode::ErrorsOnly, lean),
            ("sample:0.1, lean", 3, LogMode::Sample { per_million: 100_000 }, lean),
        ] {
            let r = run(&Scenario { rows_written_per_log_row: rows, log_mode: mode, batch, ..sc.clone() });
            costs.push((format!("{rate} req/s, {keys} keys, {label}"), r));
        }
    }
    println!("## Cost per day\n");
    println!("{}", cost_table(&costs));
    println!("{}", table(&costs));
}
