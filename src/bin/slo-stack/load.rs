//! The two load generators aimed at the app: stack/loadgen/loadgen.py (stdlib, the default:
//! its per-request tally is the ground truth the e2e test compares with) and Locust in a
//! named profile (stack/locust/run.sh, whose CSV stats are the tally on that path).

use std::path::PathBuf;
use std::process::Command;

use crate::component::Component;
use crate::error::{Error, Result};
use crate::settings::Settings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Tool {
    /// stack/loadgen/loadgen.py: a fixed rate, its own tally
    Loadgen,
    /// stack/locust/locustfile.py in a --profile, CSV stats under the run directory
    Locust,
}

/// Locust's load profiles, as stack/locust/run.sh names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// 50 users, spawning 5/s
    Baseline,
    /// 100 users, spawning 10/s
    Contention,
    /// 1000 users, spawning 20/s
    Overload,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Baseline => "baseline",
            Profile::Contention => "contention",
            Profile::Overload => "overload",
        }
    }
}

pub fn loadgen(settings: &Settings) -> (Command, PathBuf) {
    let script = settings.stack_dir.join("loadgen/loadgen.py");
    let mut command = Command::new(&settings.python);
    command
        .arg(&script)
        .arg("--url")
        .arg(settings.ports.base_url(Component::App));
    (command, script)
}

/// Locust in `profile` against the app; its stats go to [`locust_stats`].
pub fn locust(settings: &Settings, profile: Profile) -> (Command, PathBuf) {
    let script = settings.stack_dir.join("locust/run.sh");
    let mut command = Command::new("bash");
    command
        .arg(&script)
        .arg(profile.name())
        .arg("--host")
        .arg(settings.ports.base_url(Component::App))
        .env("SLO_STACK_RUN_DIR", &settings.run_dir)
        .env("SLO_STACK_PYTHON", &settings.python);
    (command, script)
}

/// The CSV whose `Aggregated` row is the tally of a Locust run in `profile`.
pub fn locust_stats(settings: &Settings, profile: Profile) -> PathBuf {
    settings
        .run_dir
        .join(format!("locust-{}_stats.csv", profile.name()))
}

/// A Locust run's requests and failures (5xx answers and transport errors alike).
#[derive(Debug, PartialEq, Eq)]
pub struct LocustTally {
    pub requests: u64,
    pub failures: u64,
}

/// The `Aggregated` row of Locust's `PREFIX_stats.csv` (route names hold no commas).
pub fn parse_locust_stats(csv: &str) -> std::result::Result<LocustTally, String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().ok_or("empty")?.split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no column '{name}'"))
    };
    let (name, requests, failures) = (
        column("Name")?,
        column("Request Count")?,
        column("Failure Count")?,
    );
    let row: Vec<&str> = lines
        .map(|line| line.split(',').collect::<Vec<_>>())
        .find(|row| row.get(name) == Some(&"Aggregated"))
        .ok_or("no Aggregated row")?;
    let count = |index: usize| {
        row.get(index)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or(format!(
                "the Aggregated row has no count in column {}",
                index + 1
            ))
    };
    Ok(LocustTally {
        requests: count(requests)?,
        failures: count(failures)?,
    })
}

pub fn read_locust_stats(settings: &Settings, profile: Profile) -> Result<LocustTally> {
    let path = locust_stats(settings, profile);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))?;
    parse_locust_stats(&text).map_err(|e| Error::new(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATS: &str = "\
Type,Name,Request Count,Failure Count,Median Response Time
GET,/items,120,2,4
POST,/items,240,5,6
,Aggregated,360,7,5
";

    #[test]
    fn the_aggregated_row_is_the_tally() {
        assert_eq!(
            parse_locust_stats(STATS),
            Ok(LocustTally {
                requests: 360,
                failures: 7
            })
        );
    }

    #[test]
    fn stats_without_a_total_say_what_is_missing() {
        assert_eq!(
            parse_locust_stats("Type,Name,Request Count\n"),
            Err("no column 'Failure Count'".to_string())
        );
        let no_total = STATS.replace("Aggregated", "/items/[id]");
        assert_eq!(
            parse_locust_stats(&no_total),
            Err("no Aggregated row".to_string())
        );
    }
}
