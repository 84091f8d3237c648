//! OpenMetrics generation with exact ground truth.
//!
//! Model: a series is sampled on a [`Grid`] of timestamps `t0 < t1 < ... < tn`.
//! The first sample (at `t0`) has value 0 (the process just started). For each later
//! sample `ti` the closure yields the number of events in `(t(i-1), ti]`; the builder
//! records it as the *increment at `ti`*. A counter's sample value is the cumulative sum
//! of increments since the last reset. `Dataset::true_increase(name, matchers, from, to)`
//! sums the increments whose timestamps fall in `(from, to]`.
//!
//! Counter resets: for a reset time `r`, the counter restarts from 0 just after the last
//! sample before `r`, so the first sample at `t >= r` has value = its own increment
//! (the events of that step are counted by the new process; none are lost).
//!
//! Output rules (checked against promtool 2.42): every family has one `# TYPE` line,
//! families are not interleaved, each series' samples are contiguous and strictly
//! time-ascending (promtool *silently drops* out-of-order samples), timestamps are in
//! seconds (milliseconds are silently accepted as seconds!), and the text ends with
//! `# EOF` (required, else promtool fails).

use std::fmt::Write as _;

/// Sample timestamps (unix seconds), strictly increasing.
#[derive(Clone, Debug)]
pub struct Grid {
    pub ts: Vec<i64>,
}

impl Grid {
    /// `start, start+step, ...` up to and including `end` (if aligned).
    pub fn uniform(start: i64, end: i64, step: i64) -> Grid {
        assert!(step > 0 && start <= end);
        Grid {
            ts: (0..)
                .map(|k| start + k * step)
                .take_while(|&t| t <= end)
                .collect(),
        }
    }
    /// `coarse` step from `start` until `fine_from`, then `fine` step until `end` (inclusive).
    /// `fine_from - start` should be a multiple of `coarse` for a seamless switch.
    pub fn two_phase(start: i64, fine_from: i64, end: i64, coarse: i64, fine: i64) -> Grid {
        assert!(start <= fine_from && fine_from <= end && coarse > 0 && fine > 0);
        let mut ts: Vec<i64> = (0..)
            .map(|k| start + k * coarse)
            .take_while(|&t| t < fine_from)
            .collect();
        ts.extend(
            (0..)
                .map(|k| fine_from + k * fine)
                .take_while(|&t| t <= end),
        );
        Grid { ts }
    }
    pub fn start(&self) -> i64 {
        self.ts[0]
    }
    /// Iterate `(t, dt)` for every sample after the first (`dt = t - previous t`).
    pub fn steps(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.ts.windows(2).map(|w| (w[1], w[1] - w[0]))
    }
}

/// Turns a rate (events per second) into integer increments deterministically,
/// carrying the fractional remainder between steps.
#[derive(Default, Clone, Debug)]
pub struct Integerizer {
    acc: f64,
}

impl Integerizer {
    pub fn step(&mut self, events: f64) -> f64 {
        let before = self.acc.floor();
        self.acc += events.max(0.0);
        self.acc.floor() - before
    }
}

/// Deterministic pseudo-random in `[0, 1)` from an integer (splitmix64).
pub fn unit_hash(x: u64) -> f64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Counter,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
        }
    }
}

/// One concrete time series with its samples and (for counters) increments.
#[derive(Clone, Debug)]
pub struct SeriesData {
    pub name: String,
    pub labels: Vec<(String, String)>,
    /// `(timestamp_secs, value)` as written.
    pub samples: Vec<(i64, f64)>,
    /// Increment timestamps and prefix sums: `cum[i]` = sum of increments at `inc_ts[..=i]`.
    inc_ts: Vec<i64>,
    cum: Vec<f64>,
}

impl SeriesData {
    fn new(name: &str, labels: &[(String, String)]) -> SeriesData {
        SeriesData {
            name: name.to_string(),
            labels: labels.to_vec(),
            samples: Vec::new(),
            inc_ts: Vec::new(),
            cum: Vec::new(),
        }
    }
    fn push_counter(&mut self, t: i64, value: f64, inc: f64) {
        self.samples.push((t, value));
        let prev = self.cum.last().copied().unwrap_or(0.0);
        self.inc_ts.push(t);
        self.cum.push(prev + inc);
    }
    fn cum_at(&self, t: i64) -> f64 {
        let n = self.inc_ts.partition_point(|&x| x <= t);
        if n == 0 { 0.0 } else { self.cum[n - 1] }
    }
    /// Exact number of events with timestamps in `(from, to]`.
    pub fn true_increase(&self, from: i64, to: i64) -> f64 {
        self.cum_at(to) - self.cum_at(from)
    }
    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn matches(&self, name: &str, matchers: &[(&str, &str)]) -> bool {
        self.name == name && matchers.iter().all(|(k, v)| self.label(k) == Some(*v))
    }
}

#[derive(Clone, Debug)]
struct Family {
    name: String,
    kind: Kind,
    series: Vec<SeriesData>,
}

/// Builds an OpenMetrics document. Series of the same family may be added in any order;
/// output groups them per family (first-added family first).
#[derive(Default, Clone, Debug)]
pub struct DataBuilder {
    families: Vec<Family>,
}

fn owned(labels: &[(&str, &str)]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Bucket bound formatted as promtool 2.42 stores it (no normalisation!): `0.3`, `1`, `+Inf`.
pub fn le_label(bound: f64) -> String {
    if bound.is_infinite() {
        "+Inf".into()
    } else {
        format!("{bound}")
    }
}

impl DataBuilder {
    pub fn new() -> DataBuilder {
        DataBuilder::default()
    }

    fn family(&mut self, name: &str, kind: Kind) -> &mut Family {
        let i = match self.families.iter().position(|f| f.name == name) {
            Some(i) => {
                assert_eq!(
                    self.families[i].kind, kind,
                    "family {name} used with two types"
                );
                i
            }
            None => {
                self.families.push(Family {
                    name: name.to_string(),
                    kind,
                    series: Vec::new(),
                });
                self.families.len() - 1
            }
        };
        &mut self.families[i]
    }

    /// Counter from per-step increments: `inc(t, dt)` = events in `(t-dt, t]`.
    /// `name` should end in `_total`; the family (`# TYPE`) name drops that suffix.
    /// `resets`: times at which the process restarts (see module docs).
    pub fn counter(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        grid: &Grid,
        resets: &[i64],
        mut inc: impl FnMut(i64, i64) -> f64,
    ) -> &mut Self {
        let family = name.strip_suffix("_total").unwrap_or(name);
        let mut s = SeriesData::new(name, &owned(labels));
        let mut resets: Vec<i64> = resets.to_vec();
        resets.sort_unstable();
        let mut next_reset = 0;
        let mut value = 0.0;
        s.push_counter(grid.start(), 0.0, 0.0);
        for (t, dt) in grid.steps() {
            let d = inc(t, dt);
            assert!(d >= 0.0 && d.is_finite(), "counter increment {d} at {t}");
            let mut reset = false;
            while next_reset < resets.len() && resets[next_reset] <= t {
                reset |= resets[next_reset] > t - dt;
                next_reset += 1;
            }
            if reset {
                value = 0.0;
            }
            value += d;
            s.push_counter(t, value, d);
        }
        self.family(family, Kind::Counter).series.push(s);
        self
    }

    /// Counter from a rate in events/second, integerised with carry so values are whole
    /// numbers. The rate is evaluated at the step midpoint `t - dt/2`.
    pub fn counter_rate(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        grid: &Grid,
        resets: &[i64],
        rate: impl Fn(i64) -> f64,
    ) -> &mut Self {
        let mut int = Integerizer::default();
        self.counter(name, labels, grid, resets, |t, dt| {
            int.step(rate(t - dt / 2) * dt as f64)
        })
    }

    /// Classic histogram `name` (e.g. `http_request_duration_seconds`) with finite upper
    /// `bounds` (ascending; `+Inf` is added). `obs(t, dt)` returns the *non-cumulative*
    /// number of observations per bucket for the step, `bounds.len() + 1` entries (the
    /// last is the overflow above the highest bound). Written series: `name_bucket{le}`
    /// (cumulative), `name_count`, `name_sum`; `_sum` assumes every observation sits at
    /// its bucket's midpoint (overflow: 1.5 × the highest bound). Truth is recorded for
    /// every written series, so `true_increase("name_bucket", &[("le","0.3")], ..)` works.
    pub fn histogram(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        bounds: &[f64],
        grid: &Grid,
        resets: &[i64],
        mut obs: impl FnMut(i64, i64) -> Vec<f64>,
    ) -> &mut Self {
        assert!(
            bounds.windows(2).all(|w| w[0] < w[1]) && !bounds.is_empty(),
            "bounds must be ascending"
        );
        let nb = bounds.len() + 1;
        let mids: Vec<f64> = (0..nb)
            .map(|i| {
                if i == bounds.len() {
                    bounds[i - 1] * 1.5
                } else {
                    let lo = if i == 0 { 0.0 } else { bounds[i - 1] };
                    (lo + bounds[i]) / 2.0
                }
            })
            .collect();
        let mut per_step: Vec<(i64, i64, Vec<f64>)> = Vec::with_capacity(grid.ts.len());
        for (t, dt) in grid.steps() {
            let v = obs(t, dt);
            assert_eq!(
                v.len(),
                nb,
                "histogram obs must have bounds.len()+1 entries"
            );
            per_step.push((t, dt, v));
        }
        let base = owned(labels);
        let mut written: Vec<(String, Option<String>, Vec<f64>)> = Vec::new();
        for (i, b) in bounds.iter().chain([f64::INFINITY].iter()).enumerate() {
            let incs = per_step
                .iter()
                .map(|(_, _, v)| v[..=i].iter().sum())
                .collect();
            written.push((format!("{name}_bucket"), Some(le_label(*b)), incs));
        }
        let count = per_step.iter().map(|(_, _, v)| v.iter().sum()).collect();
        written.push((format!("{name}_count"), None, count));
        let sum = per_step
            .iter()
            .map(|(_, _, v)| v.iter().zip(&mids).map(|(c, m)| c * m).sum())
            .collect();
        written.push((format!("{name}_sum"), None, sum));
        for (sname, le, incs) in written {
            let mut l = base.clone();
            if let Some(le) = le {
                l.push(("le".into(), le));
            }
            let lr: Vec<(&str, &str)> = l.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let mut tmp = DataBuilder::new();
            let mut it = incs.into_iter();
            tmp.counter(&sname, &lr, grid, resets, |_, _| it.next().unwrap());
            let series = tmp.families.pop().unwrap().series.pop().unwrap();
            self.family(name, Kind::Histogram).series.push(series);
        }
        self
    }

    pub fn build(&self) -> Dataset {
        Dataset {
            families: self.families.clone(),
        }
    }
}

/// Generated data: OpenMetrics text via [`Dataset::openmetrics`] plus exact truth.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    families: Vec<Family>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Dataset {
    /// All series (every family).
    pub fn series(&self) -> impl Iterator<Item = &SeriesData> {
        self.families.iter().flat_map(|f| f.series.iter())
    }
    pub fn sample_count(&self) -> usize {
        self.series().map(|s| s.samples.len()).sum()
    }

    /// Sum over series named `name` whose labels include all `matchers` of the events
    /// with timestamps in `(from, to]` — what `sum(increase(name{matchers}[to-from]))`
    /// evaluated at `to` should ideally be.
    pub fn true_increase(&self, name: &str, matchers: &[(&str, &str)], from: i64, to: i64) -> f64 {
        let mut found = false;
        let v = self
            .series()
            .filter(|s| s.matches(name, matchers))
            .inspect(|_| found = true)
            .map(|s| s.true_increase(from, to))
            .sum();
        assert!(found, "no series {name}{matchers:?} in dataset");
        v
    }

    /// `true_increase(num) / true_increase(den)` over the same window.
    pub fn true_ratio(
        &self,
        name: &str,
        num: &[(&str, &str)],
        den: &[(&str, &str)],
        from: i64,
        to: i64,
    ) -> f64 {
        self.true_increase(name, num, from, to) / self.true_increase(name, den, from, to)
    }

    /// Render as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
    pub fn openmetrics(&self) -> String {
        let mut out = String::with_capacity(self.sample_count() * 64 + 64);
        for f in &self.families {
            if f.series.is_empty() {
                continue;
            }
            let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
            for s in &f.series {
                let mut head = s.name.clone();
                if !s.labels.is_empty() {
                    head.push('{');
                    for (i, (k, v)) in s.labels.iter().enumerate() {
                        if i > 0 {
                            head.push(',');
                        }
                        let _ = write!(head, "{k}=\"{}\"", escape(v));
                    }
                    head.push('}');
                }
                let mut last = i64::MIN;
                for &(t, v) in &s.samples {
                    assert!(t > last, "samples of {head} not strictly ascending");
                    last = t;
                    let _ = writeln!(out, "{head} {v} {t}");
                }
            }
        }
        out.push_str("# EOF\n");
        out
    }

    /// Merge another dataset (families with the same name are concatenated).
    pub fn merge(mut self, other: Dataset) -> Dataset {
        for f in other.families {
            match self.families.iter_mut().find(|g| g.name == f.name) {
                Some(g) => {
                    assert_eq!(g.kind, f.kind, "family {} used with two types", f.name);
                    g.series.extend(f.series);
                }
                None => self.families.push(f),
            }
        }
        self
    }
}
