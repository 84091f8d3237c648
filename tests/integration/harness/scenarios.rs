//! Ready-made, deterministic scenarios. All end at [`END`] (use `--at 2026-11-01T00:00:00Z`
//! or `time=1793491200`). Unless said otherwise they use [`standard_grid`]: 30 d + 1 h of
//! history at 5 m spacing, and 1 m spacing for the last 6 h, so `[30d]` windows at END
//! are fully covered and 5m / 1h rates at END are exact. Series:
//! `http_requests_total{job="demo-api",handler="/items",status="2xx"|"5xx"}`.

use super::data::{DataBuilder, Dataset, Grid, Integerizer, unit_hash};

/// 2026-11-01T00:00:00Z.
pub const END: i64 = 1_793_491_200;
pub const END_RFC3339: &str = "2026-11-01T00:00:00Z";
pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;
pub const JOB: &str = "demo-api";
pub const REQUESTS: &str = "http_requests_total";
pub const LATENCY: &str = "http_request_duration_seconds";

/// Start of the data of the 30-day scenarios.
pub const HISTORY_START: i64 = END - 30 * DAY - HOUR;
/// Where the standard grid switches from 5 m to 1 m spacing.
pub const FINE_FROM: i64 = END - 6 * HOUR;

/// Incident scenario: 20 % errors in `[INCIDENT_START, INCIDENT_END)`.
pub const INCIDENT_START: i64 = END - 5 * HOUR;
pub const INCIDENT_END: i64 = END - 3 * HOUR;

/// 5 m spacing from `HISTORY_START`, 1 m spacing over the last 6 h up to and incl. END.
pub fn standard_grid() -> Grid {
    Grid::two_phase(HISTORY_START, FINE_FROM, END, 5 * MINUTE, MINUTE)
}

/// ±5 % deterministic jitter around `per_min` requests/min, as a per-second rate.
fn jittered(per_min: f64, t: i64) -> f64 {
    per_min / 60.0 * (1.0 + 0.1 * (unit_hash((t / 60) as u64) - 0.5))
}

/// Adds 2xx/5xx counters for one handler, from a total rate and an error fraction.
fn requests(
    b: &mut DataBuilder,
    grid: &Grid,
    handler: &str,
    resets: &[i64],
    total_rate: impl Fn(i64) -> f64,
    error_fraction: impl Fn(i64) -> f64,
) {
    let lbl = |status| [("job", JOB), ("handler", handler), ("status", status)];
    b.counter_rate(REQUESTS, &lbl("2xx"), grid, resets, |t| {
        total_rate(t) * (1.0 - error_fraction(t))
    });
    b.counter_rate(REQUESTS, &lbl("5xx"), grid, resets, |t| {
        total_rate(t) * error_fraction(t)
    });
}

/// 30 d of ~1000 req/min (±5 %) to `/items`, restarting at `resets`.
fn items_traffic(resets: &[i64], error_fraction: impl Fn(i64) -> f64) -> Dataset {
    let mut b = DataBuilder::new();
    requests(
        &mut b,
        &standard_grid(),
        "/items",
        resets,
        |t| jittered(1000.0, t),
        error_fraction,
    );
    b.build()
}

/// 30 d, ~1000 req/min (±5 %), 0.1 % errors.
pub fn steady() -> Dataset {
    items_traffic(&[], |_| 0.001)
}

/// True if `t` is in the daytime half (06:00–18:00 UTC).
pub fn is_day(t: i64) -> bool {
    (6 * HOUR..18 * HOUR).contains(&t.rem_euclid(DAY))
}

/// 30 d, 100 req/min by day (06–18 UTC) and 10 req/min by night (10× swing); errors
/// only at night, 5 % of night traffic.
pub fn diurnal() -> Dataset {
    let mut b = DataBuilder::new();
    requests(
        &mut b,
        &standard_grid(),
        "/items",
        &[],
        |t| if is_day(t) { 100.0 / 60.0 } else { 10.0 / 60.0 },
        |t| if is_day(t) { 0.0 } else { 0.05 },
    );
    b.build()
}

/// 30 d steady (~1000 req/min, 0.1 % errors) with 20 % errors in
/// `[INCIDENT_START, INCIDENT_END)` (END-5h .. END-3h, inside the 1 m part of the grid).
pub fn incident() -> Dataset {
    items_traffic(&[], |t| {
        if (INCIDENT_START..INCIDENT_END).contains(&t) {
            0.2
        } else {
            0.001
        }
    })
}

/// Restart times of [`counter_resets`]: every 3 days, at 07:00 UTC, within the history.
pub fn reset_times() -> Vec<i64> {
    (0..10).map(|k| END - k * 3 * DAY - 17 * HOUR).collect()
}

/// Steady traffic (0.1 % errors), but the process restarts at [`reset_times`], so both
/// counters drop to (almost) 0 every 3 days.
pub fn counter_resets() -> Dataset {
    items_traffic(&reset_times(), |_| 0.001)
}

/// Bucket bounds of [`latency`] (+Inf added): le="0.05","0.1","0.3","1","3","+Inf".
pub const LATENCY_BOUNDS: [f64; 5] = [0.05, 0.1, 0.3, 1.0, 3.0];
/// Share of requests per bucket (non-cumulative, last = above 3 s): 99 % are ≤ 0.3 s.
pub const LATENCY_SHARES: [f64; 6] = [0.60, 0.25, 0.14, 0.007, 0.002, 0.001];

/// Adds a 30 d histogram of ~1000 events/min spread over [`LATENCY_BOUNDS`] as [`LATENCY_SHARES`].
fn latency_histogram(b: &mut DataBuilder, name: &str, labels: &[(&str, &str)]) {
    let mut ints = vec![Integerizer::default(); LATENCY_SHARES.len()];
    b.histogram(
        name,
        labels,
        &LATENCY_BOUNDS,
        &standard_grid(),
        &[],
        |t, dt| {
            let n = jittered(1000.0, t - dt / 2) * dt as f64;
            LATENCY_SHARES
                .iter()
                .zip(ints.iter_mut())
                .map(|(s, i)| i.step(n * s))
                .collect()
        },
    );
}

/// 30 d histogram `http_request_duration_seconds{job="demo-api",handler="/items"}`,
/// ~1000 req/min, 99 % of requests ≤ 0.3 s.
pub fn latency() -> Dataset {
    let mut b = DataBuilder::new();
    latency_histogram(&mut b, LATENCY, &[("job", JOB), ("handler", "/items")]);
    b.build()
}

/// The demo's database SLIs (stack/app/db.py): 30 d histogram
/// `db_call_duration_seconds{job="demo-api",operation="get"}` shaped like [`latency`]
/// (60 % of calls ≤ 0.05 s), and `db_call_errors_total` at 0.1 % of the calls.
pub fn database() -> Dataset {
    let mut b = DataBuilder::new();
    let labels = [("job", JOB), ("operation", "get")];
    latency_histogram(&mut b, "db_call_duration_seconds", &labels);
    b.counter_rate(
        "db_call_errors_total",
        &labels,
        &standard_grid(),
        &[],
        |t| jittered(1000.0, t) * 0.001,
    );
    b.build()
}

/// Two handlers: `/items` ~1000 req/min with 0.1 % errors, `/health` 100 req/min with
/// 1 % errors (for `group_by: [handler]`).
pub fn two_handlers() -> Dataset {
    let mut b = DataBuilder::new();
    let g = standard_grid();
    requests(
        &mut b,
        &g,
        "/items",
        &[],
        |t| jittered(1000.0, t),
        |_| 0.001,
    );
    requests(&mut b, &g, "/health", &[], |_| 100.0 / 60.0, |_| 0.01);
    b.build()
}

/// Series exist (2xx and 5xx) but never increase.
pub fn zero_traffic() -> Dataset {
    let mut b = DataBuilder::new();
    requests(&mut b, &standard_grid(), "/items", &[], |_| 0.0, |_| 0.0);
    b.build()
}

/// No series at all (Prometheus starts with an empty TSDB).
pub fn no_data() -> Dataset {
    Dataset::default()
}
