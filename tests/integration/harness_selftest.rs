//! Proves the shared harness works: backfilled data in a real Prometheus
//! matches the generator's ground truth, children never outlive the test binary, and the
//! fake server answers as designed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::scenarios::{self, DAY, HOUR, JOB, REQUESTS};
use crate::harness::*;

static STEADY: OnceLock<(Prometheus, Dataset)> = OnceLock::new();

/// One shared Prometheus for this binary (never dropped; killed by PDEATHSIG at exit).
fn steady() -> &'static (Prometheus, Dataset) {
    STEADY.get_or_init(|| {
        let data = scenarios::steady();
        let t0 = Instant::now();
        let text = data.openmetrics();
        let gen_time = t0.elapsed();
        let prom = Prometheus::start(&text);
        eprintln!(
            "steady: {} samples, generate {:?}, backfill {:?}, startup {:?}",
            data.sample_count(),
            gen_time,
            prom.backfill_time,
            prom.startup_time
        );
        (prom, data)
    })
}

/// Compares the 30-day error ratio (and both counts) at END with the truth.
fn check_30d_ratio(name: &str, prom: &Prometheus, data: &Dataset) {
    let q_err = format!(r#"sum(increase({REQUESTS}{{job="{JOB}",status="5xx"}}[30d]))"#);
    let q_all = format!(r#"sum(increase({REQUESTS}{{job="{JOB}"}}[30d]))"#);
    let errs = prom.query_scalar(&q_err, END);
    let all = prom.query_scalar(&q_all, END);
    let from = END - 30 * DAY;
    let t_errs = data.true_increase(REQUESTS, &[("job", JOB), ("status", "5xx")], from, END);
    let t_all = data.true_increase(REQUESTS, &[("job", JOB)], from, END);
    let ratio_err = rel_err(errs / all, t_errs / t_all);
    eprintln!(
        "{name}: errors {errs} (truth {t_errs}, rel err {:.2e}), total {all} (truth {t_all}, rel err {:.2e}), ratio {:.6} (truth {:.6}, rel err {ratio_err:.2e})",
        rel_err(errs, t_errs),
        rel_err(all, t_all),
        errs / all,
        t_errs / t_all
    );
    assert!(t_errs > 0.0 && t_all > 0.0);
    assert!(ratio_err < 1e-3, "{name}: ratio rel err {ratio_err}");
    assert!(rel_err(all, t_all) < 1e-3, "{name}: total {all} vs {t_all}");
}

#[test]
fn steady_error_ratio_matches_truth() {
    let (prom, data) = steady();
    check_30d_ratio("steady", prom, data);
    let ratio = data.true_ratio(REQUESTS, &[("status", "5xx")], &[], END - 30 * DAY, END);
    assert!((ratio - 0.001).abs() < 1e-5, "steady truth ratio {ratio}");
}

#[test]
fn steady_short_windows_and_series_start_extrapolation() {
    let (prom, data) = steady();
    // 5m and 1h windows in the 1m-spaced tail are exact.
    for w in [5 * 60, HOUR] {
        let got = prom.query_scalar(
            &format!(r#"sum(increase({REQUESTS}{{job="{JOB}"}}[{w}s]))"#),
            END,
        );
        let truth = data.true_increase(REQUESTS, &[("job", JOB)], END - w, END);
        eprintln!(
            "steady [{w}s]: {got} vs truth {truth}, rel err {:.2e}",
            rel_err(got, truth)
        );
        assert!(rel_err(got, truth) < 1e-3);
    }
    // A window reaching before the first sample: the counter's first sample is 0, so the
    // zero-clamp stops extrapolation at the series start and the result is still exact.
    let got = prom.query_scalar(
        &format!(r#"sum(increase({REQUESTS}{{job="{JOB}"}}[31d]))"#),
        END,
    );
    let truth = data.true_increase(REQUESTS, &[("job", JOB)], END - 31 * DAY, END);
    eprintln!(
        "steady [31d] (starts before data): {got} vs truth {truth}, rel err {:.2e}",
        rel_err(got, truth)
    );
    assert!(rel_err(got, truth) < 1e-3);
}

#[test]
fn diurnal_error_ratio_matches_truth() {
    let data = scenarios::diurnal();
    let prom = Prometheus::start(&data.openmetrics());
    check_30d_ratio("diurnal", &prom, &data);
}

#[test]
fn counter_reset_error_ratio_matches_truth() {
    let data = scenarios::counter_resets();
    let prom = Prometheus::start(&data.openmetrics());
    check_30d_ratio("counter_resets", &prom, &data);
    // The raw counter really drops: resets() sees them.
    let resets = prom.query_scalar(
        &format!(r#"sum(resets({REQUESTS}{{job="{JOB}",status="2xx"}}[30d]))"#),
        END,
    );
    let expected = scenarios::reset_times()
        .iter()
        .filter(|&&r| r > END - 30 * DAY)
        .count() as f64;
    assert_eq!(resets, expected);
}

#[test]
fn incident_and_latency_scenarios_match_truth() {
    let inc = scenarios::incident();
    let lat = scenarios::latency();
    let prom = Prometheus::start(&inc.clone().merge(lat.clone()).openmetrics());
    let at = scenarios::INCIDENT_END;
    let got = prom.query_scalar(
        &format!(
            r#"sum(increase({REQUESTS}{{status="5xx"}}[1h])) / sum(increase({REQUESTS}[1h]))"#
        ),
        at,
    );
    let truth = inc.true_ratio(REQUESTS, &[("status", "5xx")], &[], at - HOUR, at);
    eprintln!("incident 1h ratio at INCIDENT_END: {got} vs {truth}");
    assert!(rel_err(got, truth) < 1e-3 && (truth - 0.2).abs() < 0.01);

    let b = "http_request_duration_seconds_bucket";
    let got = prom.query_scalar(
        &format!(r#"sum(increase({b}{{le="0.3"}}[30d])) / sum(increase({b}{{le="+Inf"}}[30d]))"#),
        END,
    );
    let truth = lat.true_ratio(b, &[("le", "0.3")], &[("le", "+Inf")], END - 30 * DAY, END);
    eprintln!("latency le=0.3 share over 30d: {got} vs {truth}");
    assert!(rel_err(got, truth) < 1e-3 && (truth - 0.99).abs() < 1e-3);
    let count = prom.query_scalar(
        "sum(increase(http_request_duration_seconds_count[30d]))",
        END,
    );
    assert!(
        rel_err(
            count,
            lat.true_increase(
                "http_request_duration_seconds_count",
                &[],
                END - 30 * DAY,
                END
            )
        ) < 1e-3
    );
}

#[test]
fn rules_backfill_into_second_instance() {
    let (src, _) = steady();
    let rules = r#"groups:
- name: sli
  rules:
  - record: job:http_requests:rate5m
    expr: sum by (job) (rate(http_requests_total[5m]))
"#;
    let rules_path = TempDir::new("rules");
    std::fs::write(rules_path.join("r.yml"), rules).unwrap();
    promtool(&["check", "rules", rules_path.join("r.yml").to_str().unwrap()])
        .assert_success("promtool check rules");
    let blocks = src.backfill_rules(rules, END - 2 * HOUR, END, "1m");
    let prom = Prometheus::builder()
        .openmetrics(scenarios::steady().openmetrics())
        .blocks_from(blocks.path())
        .start();
    let v = prom.query_scalar("job:http_requests:rate5m", END - HOUR);
    assert!((v - 1000.0 / 60.0).abs() < 2.0, "recorded rate {v}");
}

#[test]
fn owned_prometheus_is_killed_on_drop() {
    let prom = Prometheus::start(&scenarios::no_data().openmetrics());
    let pid = prom.pid();
    assert!(prom.query_vector("up", END).is_empty());
    drop(prom);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

/// The test `static_prometheus_dies_with_test_binary` runs as a child process.
const CHILD_TEST: &str = "harness_selftest::child_holds_static_prometheus";

/// Helper run as a child process by `static_prometheus_dies_with_test_binary`.
#[test]
#[ignore = "run only as a child of static_prometheus_dies_with_test_binary"]
fn child_holds_static_prometheus() {
    let (prom, _) = steady();
    println!("PROM_PID={}", prom.pid());
    if std::env::var_os("HARNESS_CHILD_HANG").is_some() {
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn child_cmd(hang: bool) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", CHILD_TEST, "--ignored", "--nocapture"]);
    if hang {
        c.env("HARNESS_CHILD_HANG", "1");
    }
    c
}

fn wait_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for init to reap it.
        if stat.is_empty()
            || stat
                .rsplit(')')
                .next()
                .unwrap()
                .trim_start()
                .starts_with('Z')
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "prometheus {pid} outlived its test binary"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn static_prometheus_dies_with_test_binary() {
    // Normal exit: the static is never dropped, PDEATHSIG kills prometheus.
    let out = run(child_cmd(false));
    out.assert_success("child test binary");
    let pid: u32 = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("PROM_PID="))
        .unwrap_or_else(|| panic!("no PROM_PID in {}", out.stdout))
        .parse()
        .unwrap();
    wait_gone(pid);

    // SIGKILL of the test binary: same.
    let mut cmd = child_cmd(true);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = process::spawn_guarded(cmd).unwrap();
    let mut line = String::new();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let pid: u32 = loop {
        line.clear();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "child ended without PROM_PID"
        );
        if let Some(p) = line.trim().strip_prefix("PROM_PID=") {
            break p.parse().unwrap();
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    wait_gone(pid);
}

#[test]
fn fake_server_modes() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let post = |url: String| {
            let c = client.clone();
            async move {
                c.post(format!("{url}/api/v1/query"))
                    .form(&[("query", "up"), ("time", "1793491200")])
                    .send()
                    .await
            }
        };

        let s = FakeServer::start(Mode::Status500);
        let r = post(s.url()).await.unwrap();
        assert_eq!(r.status(), 500);
        let req = &s.requests()[0];
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/api/v1/query")
        );
        assert!(req.body.contains("query=up"), "{}", req.body);

        let s = FakeServer::start(Mode::HtmlBody);
        let r = post(s.url()).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().starts_with("<!DOCTYPE html>"));

        let s = FakeServer::start(Mode::MalformedJson);
        let r = post(s.url()).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.json::<serde_json::Value>().await.is_err());

        for code in [200, 400, 422, 503] {
            let s = FakeServer::start(Mode::PrometheusError { http_status: code });
            let r = post(s.url()).await.unwrap();
            assert_eq!(r.status(), code);
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["status"], "error");
            assert_eq!(v["errorType"], "bad_data");
            assert_eq!(v["error"], fake::PROM_ERROR_MESSAGE);
        }

        let s = FakeServer::start(Mode::Hang);
        let t0 = Instant::now();
        let e = post(s.url()).await.unwrap_err();
        assert!(e.is_timeout(), "{e:?}");
        assert!(t0.elapsed() < Duration::from_secs(5));

        let e = post(refused_url()).await.unwrap_err();
        assert!(e.is_connect(), "{e:?}");
    });
}

#[test]
fn two_handlers_group_by_and_rule_file() {
    let data = scenarios::two_handlers();
    let prom = Prometheus::builder()
        .openmetrics(data.openmetrics())
        .rule_file(
            "slo.yml",
            "groups:\n- name: g\n  rules:\n  - record: x:up\n    expr: vector(1)\n",
        )
        .start();
    let v = prom.query_vector(
        &format!(
            r#"sum by (handler) (increase({REQUESTS}{{status="5xx"}}[30d])) / sum by (handler) (increase({REQUESTS}[30d]))"#
        ),
        END,
    );
    assert_eq!(v.len(), 2);
    for (labels, got) in v {
        let h = labels["handler"].as_str().unwrap();
        let truth = data.true_ratio(
            REQUESTS,
            &[("handler", h), ("status", "5xx")],
            &[("handler", h)],
            END - 30 * DAY,
            END,
        );
        eprintln!("two_handlers {h}: {got} vs {truth}");
        assert!(rel_err(got, truth) < 1e-3);
    }
    let (code, body) = prom::http_get(prom.port(), "/api/v1/rules").unwrap();
    assert_eq!(code, 200);
    assert!(body.contains("x:up"), "{body}");
}

#[test]
fn zero_traffic_is_flat() {
    let data = scenarios::zero_traffic();
    let prom = Prometheus::start(&data.openmetrics());
    let v = prom.query_vector(&format!("increase({REQUESTS}[30d])"), END);
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|(_, x)| *x == 0.0));
    assert_eq!(data.true_increase(REQUESTS, &[], END - 30 * DAY, END), 0.0);
}
