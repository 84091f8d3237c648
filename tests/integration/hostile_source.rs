//! Issue #11, the data-source half: a hostile or broken server must never make the gate pass,
//! eat memory, flood the terminal, receive headers meant for another origin, or take minutes
//! to be found dead. One fake server with a mode per fault, plus real Prometheus where it can
//! produce the fault (a NaN counter sample).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use slo::exit;

use crate::harness::fake::Mode;
use crate::harness::process::spawn_guarded;
use crate::harness::*;

/// An errors-ratio SLO over `errors_total` and `requests_total`, whose names a
/// [`Mode::ByQuery`] server tells apart; `group_by` empty or e.g. `[handler]`.
fn counters_spec(group_by: &str) -> String {
    let mut slo = specs::ratio_slo(
        "availability",
        99.5,
        "30d",
        "errors_total",
        "requests_total",
    );
    if !group_by.is_empty() {
        slo.push_str(&format!("        group_by: {group_by}\n"));
    }
    specs::spec("hostile", "", &[slo])
}

/// A success answer: one series per `(labels JSON, value)`, plus `extra` top-level fields.
fn vector(series: &[(&str, &str)], extra: &str) -> String {
    let result: Vec<String> = series
        .iter()
        .map(|(labels, value)| format!(r#"{{"metric":{labels},"value":[1793491200,"{value}"]}}"#))
        .collect();
    format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}{extra}}}"#,
        result.join(",")
    )
}

/// A server answering the errors query with `errors` and the total query with `total`.
fn counting(errors: &[(&str, &str)], total: &[(&str, &str)]) -> FakeServer {
    FakeServer::start(Mode::ByQuery(vec![
        ("errors_total".into(), vector(errors, "")),
        ("requests_total".into(), vector(total, "")),
    ]))
}

fn check(source: &(impl slo_run::DataSource + ?Sized), spec: &str) -> SloRun {
    SloRun::new().arg("check").spec(spec).prometheus(source)
}

#[track_caller]
fn assert_no_pass(out: &CmdOutput) {
    out.status(exit::DATA_SOURCE);
    assert!(!out.stdout.contains("PASS"), "{out}");
    assert!(!out.stderr.contains("panicked"), "{out}");
}

#[test]
fn nan_negative_or_more_bad_than_total_is_an_error_naming_query_and_series() {
    let ungrouped = counters_spec("");
    for (errors, total, said) in [
        ("NaN", "1000", "returned NaN for the series {}"),
        ("-5", "1000", "returned -5 for the series {}"),
        ("1000", "NaN", "returned NaN for the series {}"),
        (
            "1200",
            "1000",
            "1200 bad events for the series {} but 1000 in total",
        ),
    ] {
        let server = counting(&[("{}", errors)], &[("{}", total)]);
        let out = check(&server, &ungrouped).run();
        assert_no_pass(&out);
        assert!(out.stdout.contains(said), "{errors}/{total}: {out}");
        assert!(out.stdout.contains("errors_total") || out.stdout.contains("requests_total"));
    }
    // A NaN total in one group does not make the group vanish while the others pass.
    let server = counting(
        &[(r#"{"handler":"/a"}"#, "0")],
        &[
            (r#"{"handler":"/a"}"#, "1000"),
            (r#"{"handler":"/b"}"#, "NaN"),
        ],
    );
    let out = check(&server, &counters_spec("[handler]")).run();
    assert_no_pass(&out);
    assert!(
        out.stdout
            .contains(r#"returned NaN for the series {handler="/b"}"#),
        "{out}"
    );
}

#[test]
fn a_nan_or_negative_series_in_a_split_answer_is_an_error_naming_the_query_and_series() {
    // Errors are the total's series with one more matcher: one query per window, whose
    // series carry a mark where they are errors.
    let split = specs::spec(
        "hostile",
        "",
        &[specs::ratio_slo(
            "availability",
            99.5,
            "30d",
            r#"requests_total{code="5xx"}"#,
            "requests_total",
        )],
    );
    let marked = r#"{"__slo_match_0":"1"}"#;
    for (errors, others, said) in [
        (
            "NaN",
            "1000",
            r#"returned NaN for the series {__slo_match_0="1"}"#,
        ),
        ("5", "-5", "returned -5 for the series {}"),
    ] {
        let server = FakeServer::start(Mode::ByQuery(vec![(
            "label_replace".into(),
            vector(&[(marked, errors), ("{}", others)], ""),
        )]));
        let out = check(&server, &split).run();
        assert_no_pass(&out);
        assert!(out.stdout.contains(said), "{errors}/{others}: {out}");
        assert!(
            out.stdout.contains(
                r#"(query: sum by (__slo_match_0) (label_replace(increase(requests_total["#
            ),
            "{out}"
        );
    }
}

#[test]
fn a_nan_raw_ratio_is_no_data_and_a_ratio_outside_0_to_1_an_error() {
    let raw = specs::spec(
        "hostile",
        "",
        &["  - name: raw
    objective: 99
    sli:
      raw:
        error_ratio: sum(rate(errors_total[{{window}}])) / sum(rate(requests_total[{{window}}]))
"
        .to_string()],
    );
    let nan = FakeServer::start(Mode::ByQuery(vec![(
        "errors_total".into(),
        vector(&[("{}", "NaN")], ""),
    )]));
    let out = SloRun::new()
        .args(["report", "--format", "json"])
        .spec(&raw)
        .prometheus(&nan)
        .run();
    out.assert_success("a NaN ratio is no data");
    assert_eq!(out.json()["slos"][0]["status"], "no_data");
    assert_no_pass(&check(&nan, &raw).run());
    check(&nan, &raw)
        .arg("--allow-no-data")
        .run()
        .status(exit::OK);

    let above = FakeServer::start(Mode::ByQuery(vec![(
        "errors_total".into(),
        vector(&[("{}", "1.5")], ""),
    )]));
    let out = check(&above, &raw).run();
    assert_no_pass(&out);
    assert!(
        out.stdout.contains("an error ratio is between 0 and 1"),
        "{out}"
    );
}

/// Runs `slo report` against `server` and returns its output and peak RSS in KiB, from
/// `wait4`'s rusage: the kernel's high-water mark, what /proc/<pid>/status shows as VmHWM.
#[expect(
    clippy::zombie_processes,
    reason = "wait4 reaps the child, which Child::wait cannot do while returning its rusage"
)]
fn report_peak_rss(server: &FakeServer) -> (CmdOutput, i64) {
    let dir = TempDir::new("hostile-memory");
    let spec = dir.join("slo.yaml");
    std::fs::write(&spec, counters_spec("")).unwrap();
    let stderr = dir.join("stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slo"));
    cmd.args(["report", "--prometheus-url", &server.url(), "--config"])
        .arg(&spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap());
    let child = spawn_guarded(cmd).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data, filled in by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let out = CmdOutput {
        command: "slo report".into(),
        exit_status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: String::new(),
        stderr: std::fs::read_to_string(&stderr).unwrap(),
    };
    (out, usage.ru_maxrss)
}

#[test]
fn memory_stays_bounded_against_an_endless_body_and_a_4_gib_length() {
    for mode in [Mode::EndlessBody, Mode::HugeContentLength] {
        let server = FakeServer::start(mode.clone());
        let started = Instant::now();
        let (out, peak_kib) = report_peak_rss(&server);
        out.status(exit::DATA_SOURCE)
            .stderr_contains("(--max-response-bytes, a bound on the answers held at once)");
        assert!(
            peak_kib < 256 * 1024,
            "{mode:?}: peak RSS {peak_kib} KiB\n{out}"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "{mode:?}");
    }
}

#[test]
fn series_over_the_limit_and_long_warnings_are_refused_or_clipped() {
    let series: Vec<String> = (0..10_001).map(|i| format!(r#"{{"i":"{i}"}}"#)).collect();
    let many: Vec<(&str, &str)> = series.iter().map(|s| (s.as_str(), "1")).collect();
    let server = FakeServer::start(Mode::ByQuery(vec![(
        "requests_total".into(),
        vector(&many, ""),
    )]));
    let out = check(&server, &counters_spec("")).run();
    assert_no_pass(&out);
    assert!(
        out.stdout
            .contains("returned 10001 series, more than --max-series 10000"),
        "{out}"
    );

    // A 2 MB warning on every answer, to two SLOs sharing their queries.
    let warning = format!(r#","warnings":["{}"]"#, "w".repeat(2_000_000));
    let server = FakeServer::start(Mode::ByQuery(vec![
        ("errors_total".into(), vector(&[("{}", "0")], &warning)),
        ("requests_total".into(), vector(&[("{}", "1000")], &warning)),
    ]));
    let twins = specs::spec(
        "hostile",
        "",
        &[
            specs::ratio_slo("a", 99.5, "30d", "errors_total", "requests_total"),
            specs::ratio_slo("b", 99.0, "30d", "errors_total", "requests_total"),
        ],
    );
    let out = check(&server, &twins).run();
    out.status(exit::OK);
    let echoed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(echoed.len(), 12, "once per distinct query: {}", out.stderr);
    assert!(
        echoed
            .iter()
            .all(|l| l.starts_with("warning: SLO a, b: ") && l.len() < 1024)
    );
    assert!(echoed[0].contains("w…"), "{}", echoed[0]);

    let out = check(&server, &twins).arg("--fail-on-warnings").run();
    assert_no_pass(&out);
    assert!(out.stdout.contains("(--fail-on-warnings)"), "{out}");
}

#[test]
fn redirects_to_another_origin_are_not_followed_same_origin_ones_are() {
    let elsewhere = FakeServer::start(Mode::ByQuery(vec![]));
    for status in [302, 307] {
        let server = FakeServer::start(Mode::Redirect {
            status,
            location: format!("{}/api/v1/query", elsewhere.url()),
            then: String::new(),
        });
        let out = check(&server, &counters_spec(""))
            .args([
                "--header",
                "X-Api-Key: k-never-leaves",
                "--header",
                "X-Scope-OrgID: t1",
            ])
            .run();
        assert_no_pass(&out);
        assert!(out.stdout.contains("which is not followed"), "{out}");
    }
    assert!(
        elsewhere.requests().is_empty(),
        "a header left for another origin"
    );

    let moved = FakeServer::start(Mode::Redirect {
        status: 307,
        location: "/moved/api/v1/query".into(),
        then: vector(&[("{}", "0")], ""),
    });
    check(&moved, &counters_spec(""))
        .arg("--allow-no-data")
        .run()
        .status(exit::OK);
    assert!(
        moved
            .requests()
            .iter()
            .any(|r| r.path == "/moved/api/v1/query")
    );
}

/// `count` SLOs over distinct series, 6 distinct queries each (one per window, split).
fn many_slos(count: usize) -> String {
    let slos: Vec<String> = (0..count)
        .map(|i| specs::requests_slo(&format!("s{i}"), 99.0, "30d", &format!("job{i}")))
        .collect();
    specs::spec("hostile", "", &slos)
}

#[test]
fn a_refused_port_fails_300_slos_within_10_seconds() {
    let started = Instant::now();
    let out = SloRun::new()
        .arg("report")
        .spec(&many_slos(300))
        .prometheus(&refused_url())
        .run();
    let took = started.elapsed();
    out.status(exit::DATA_SOURCE).stdout_empty();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let errors = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: SLO s"))
        .count();
    assert_eq!(errors, 300, "{}", out.stderr);
    assert!(out.stderr.contains("Connection refused"), "{}", out.stderr);
    assert!(!out.stderr.contains("gave up after"), "refused was retried");
}

#[test]
fn a_tls_failure_is_not_retried_and_stops_every_query() {
    let server = FakeServer::start(Mode::NotTls);
    let url = server.url().replace("http://", "https://");
    let out = check(&url, &many_slos(20)).run();
    assert_no_pass(&out);
    assert!(
        out.stdout
            .contains("not retried; no further queries were sent"),
        "{out}"
    );
    // 120 queries, at most 8 in flight when the first handshake failed.
    assert!(
        server.connections() <= 8,
        "{} connections",
        server.connections()
    );
}

#[test]
fn the_deadline_turns_unfinished_slos_into_errors() {
    let server = FakeServer::start(Mode::Hang);
    let started = Instant::now();
    let out = check(&server, &counters_spec(""))
        .args(["--timeout", "60s", "--deadline", "2s"])
        .run();
    assert_no_pass(&out);
    assert!(
        out.stdout.contains("not answered within --deadline 2s"),
        "{out}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn credentials_from_the_environment_are_checked_before_any_query() {
    let server = counting(&[("{}", "0")], &[("{}", "1000")]);
    check(&server, &counters_spec(""))
        .args(["--basic-auth-user", "me"])
        .env("SLO_PROMETHEUS_TOKEN", "")
        .env("SLO_PROMETHEUS_PASSWORD", "pw")
        .run()
        .status(exit::OK);
    let asked = server.requests().len();
    check(&server, &counters_spec(""))
        .env("SLO_PROMETHEUS_TOKEN", "abc\nX-Injected: 1")
        .run()
        .status(exit::INVALID)
        .stderr_contains("SLO_PROMETHEUS_TOKEN: the token holds a line break");
    for flag in ["--bearer-token-file", "--ca-cert"] {
        check(&server, &counters_spec(""))
            .args([flag, "/dev/zero"])
            .run()
            .status(exit::INVALID)
            .stderr_contains(&format!("{flag}: /dev/zero is larger than"));
    }
    for at in ["1970-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"] {
        check(&server, &counters_spec(""))
            .args(["--at", at])
            .run()
            .status(exit::INVALID)
            .stderr_contains("outside 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
    }
    assert_eq!(
        server.requests().len(),
        asked,
        "a usage error still queried"
    );
}

#[test]
fn http_proxy_and_no_proxy_are_honoured() {
    let proxy = FakeServer::start(Mode::ByQuery(vec![(
        "requests_total".into(),
        vector(&[("{}", "1000")], ""),
    )]));
    check("http://prometheus.invalid:9090", &counters_spec(""))
        .env("HTTP_PROXY", proxy.url())
        .run()
        .status(exit::OK);
    assert!(
        proxy
            .requests()
            .iter()
            .all(|r| r.path == "http://prometheus.invalid:9090/api/v1/query"),
        "{:?}",
        proxy.requests()
    );
    let direct = counting(&[("{}", "0")], &[("{}", "1000")]);
    check(&direct, &counters_spec(""))
        .env("HTTP_PROXY", refused_url())
        .env("NO_PROXY", "127.0.0.1")
        .run()
        .status(exit::OK);
}

/// A real Prometheus answers increase() with NaN when the newest counter sample is NaN.
#[test]
fn a_nan_counter_sample_in_real_prometheus_fails_the_gate() {
    let mut om = String::new();
    for family in ["requests", "errors"] {
        om.push_str(&format!("# TYPE {family} counter\n"));
        for (i, t) in (END - 3600..=END).step_by(60).enumerate() {
            let value = match family {
                "errors" if t == END => "NaN".to_string(),
                "errors" => i.to_string(),
                _ => (i * 10).to_string(),
            };
            om.push_str(&format!("{family}_total{{job=\"nan\"}} {value} {t}\n"));
        }
    }
    om.push_str("# EOF\n");
    let prom = Prometheus::start(&om);
    let out = check(&prom, &counters_spec("")).at(END).run();
    assert_no_pass(&out);
    assert!(
        out.stdout.contains("returned NaN for the series {}"),
        "{out}"
    );
}
