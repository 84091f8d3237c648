//! `slo generate-dashboard`: the dashboard's structure for every example spec, its queries
//! against the rules `slo generate-rules` writes (in a real Prometheus), the golden file of
//! the demo spec (`UPDATE_GOLDEN=1` rewrites it), and the provisioning files.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use slo::dashboard;
use slo::exit;
use slo::promql::LabelStyle;

use crate::harness::prom::RuleBackfill;
use crate::harness::scenarios::{self, END, HOUR};
use crate::harness::{DataBuilder, Grid, Prometheus, SloRun, TempDir, assert_golden, rel_err};

pub const STYLES: [(LabelStyle, &str); 2] =
    [(LabelStyle::Native, "native"), (LabelStyle::Sloth, "sloth")];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo spec and every valid example.
pub fn example_specs() -> Vec<PathBuf> {
    let mut specs = vec![root().join("slo.yaml")];
    if let Ok(entries) = std::fs::read_dir(root().join("examples")) {
        let mut examples: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        examples.sort();
        specs.extend(examples);
    }
    specs
}

pub fn generate(spec: &Path, style: LabelStyle) -> Value {
    let spec = slo::spec::load(spec).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
    serde_json::to_value(dashboard::dashboard(&spec, style)).unwrap()
}

fn panels(board: &Value) -> &Vec<Value> {
    board["panels"].as_array().expect("panels")
}

fn variables(board: &Value) -> &Vec<Value> {
    board["templating"]["list"]
        .as_array()
        .expect("templating.list")
}

/// `expr` as Grafana sends it: template variables at their "All" value, Grafana's interval
/// variables at what a 1h range on a 1m step gives.
fn substitute(board: &Value, expr: &str) -> String {
    let mut names: Vec<(String, String)> = variables(board)
        .iter()
        .filter(|v| v["type"] == "query")
        .map(|v| {
            let all = v["allValue"]
                .as_str()
                .expect("query variables set allValue");
            (v["name"].as_str().unwrap().to_string(), all.to_string())
        })
        .chain(
            [
                ("__rate_interval", "4m"),
                ("__interval", "1m"),
                ("__range", "1h"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        )
        .collect();
    // Longest first, so `$a_b` is not taken for `$a` followed by `_b`.
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut out = expr.to_string();
    for (name, value) in names {
        out = out
            .replace(&format!("${{{name}}}"), &value)
            .replace(&format!("${name}"), &value);
    }
    assert!(!out.contains('$'), "an undefined variable is left in {out}");
    out
}

fn overlaps(a: &Value, b: &Value) -> bool {
    let r = |g: &Value, k: &str| g[k].as_u64().unwrap();
    r(a, "x") < r(b, "x") + r(b, "w")
        && r(b, "x") < r(a, "x") + r(a, "w")
        && r(a, "y") < r(b, "y") + r(b, "h")
        && r(b, "y") < r(a, "y") + r(a, "h")
}

#[test]
fn every_example_dashboard_is_well_formed() {
    let specs = example_specs();
    assert!(specs.len() > 1, "no examples found: {specs:?}");
    let datasource = json!({"type": "prometheus", "uid": "${datasource}"});
    for spec in &specs {
        for (style, style_name) in STYLES {
            let board = generate(spec, style);
            let what = format!("{} ({style_name})", spec.display());
            let model = slo::spec::load(spec).unwrap();

            assert_eq!(board["schemaVersion"], 39, "{what}");
            let uid = board["uid"].as_str().unwrap();
            assert!(
                uid.len() <= 40
                    && uid
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{what}: uid {uid}"
            );
            let longest = model.slos.iter().map(|s| s.window).max().unwrap();
            assert_eq!(board["time"]["from"], format!("now-{longest}"), "{what}");
            assert!(board["refresh"].as_str().is_some_and(|r| !r.is_empty()));
            let vars = variables(&board);
            assert!(
                vars.iter().any(|v| v["name"] == "datasource"
                    && v["type"] == "datasource"
                    && v["query"] == "prometheus"),
                "{what}: no datasource variable"
            );
            for v in vars.iter().filter(|v| v["type"] == "query") {
                assert_eq!(
                    v["datasource"], datasource,
                    "{what}: variable {}",
                    v["name"]
                );
                let query = v["query"].as_str().unwrap();
                assert!(
                    query.starts_with("label_values(") && query.contains(style.service_label())
                );
            }

            let panels = panels(&board);
            let mut ids: Vec<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), panels.len(), "{what}: duplicate panel ids");
            for (i, a) in panels.iter().enumerate() {
                let g = &a["gridPos"];
                let (x, w, h) = (
                    g["x"].as_u64().unwrap(),
                    g["w"].as_u64().unwrap(),
                    g["h"].as_u64().unwrap(),
                );
                assert!(
                    w > 0 && h > 0 && x + w <= 24,
                    "{what}: panel {} at {g}",
                    a["title"]
                );
                for b in &panels[i + 1..] {
                    assert!(
                        !overlaps(g, &b["gridPos"]),
                        "{what}: panels {} and {} overlap",
                        a["title"],
                        b["title"]
                    );
                }
                if a["type"] == "row" {
                    assert_eq!(
                        a["collapsed"], false,
                        "{what}: collapsed rows hide panels from this check"
                    );
                    continue;
                }
                assert_eq!(a["datasource"], datasource, "{what}: panel {}", a["title"]);
                let targets = a["targets"].as_array().unwrap();
                assert!(
                    !targets.is_empty(),
                    "{what}: panel {} has no query",
                    a["title"]
                );
                let mut ref_ids = Vec::new();
                for t in targets {
                    assert_eq!(t["datasource"], datasource);
                    let ref_id = t["refId"].as_str().unwrap();
                    assert!(!ref_ids.contains(&ref_id), "{what}: refId {ref_id} twice");
                    ref_ids.push(ref_id);
                    let expr = substitute(&board, t["expr"].as_str().unwrap());
                    promql_parser::parser::parse(&expr)
                        .unwrap_or_else(|e| panic!("{what}: {expr}: {e}"));
                    let other = match style {
                        LabelStyle::Native => "sloth_",
                        LabelStyle::Sloth => "slo_service",
                    };
                    assert!(
                        expr.contains(style.service_label()) && !expr.contains(other),
                        "{what}: {expr} does not select the {style_name} labels"
                    );
                }
            }
            // Every SLO has its overview stat and its row.
            for slo in &model.slos {
                assert!(
                    panels
                        .iter()
                        .any(|p| p["type"] == "stat" && p["title"] == slo.name.as_str())
                );
                assert!(panels.iter().any(|p| {
                    p["type"] == "row"
                        && p["title"]
                            .as_str()
                            .unwrap()
                            .starts_with(&format!("{}:", slo.name))
                }));
            }
        }
    }
}

/// `slo generate-rules` with `args`, parsed.
fn generated_rules(args: &[&str]) -> Value {
    let out = SloRun::new().arg("generate-rules").args(args).run();
    out.assert_success("slo generate-rules");
    serde_saphyr::from_str(&out.stdout).expect("rules YAML")
}

/// The demo spec's rules in label style `style`, parsed.
fn demo_rules(style: &str) -> Value {
    generated_rules(&["--config", "slo.yaml", "--label-style", style])
}

/// The factors the generated alerts compare burn rates with, per SLO in spec order: the
/// `F` of every `> (F * budget)` in the burn alerts' expressions.
fn alert_factors(spec: &str) -> Vec<Vec<f64>> {
    let rules = generated_rules(&["--config", spec]);
    rules["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["name"].as_str().unwrap().starts_with("slo-alerts-"))
        .map(|g| {
            let mut factors: Vec<f64> = g["rules"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["alert"] == "SLOErrorBudgetBurn")
                .flat_map(|r| {
                    r["expr"]
                        .as_str()
                        .unwrap()
                        .split("> (")
                        .skip(1)
                        .map(|rest| rest.split_once(" * ").unwrap().0.parse::<f64>().unwrap())
                        .collect::<Vec<_>>()
                })
                .collect();
            factors.sort_by(f64::total_cmp);
            factors.dedup();
            factors
        })
        .collect()
}

#[test]
fn burn_rate_thresholds_are_the_alert_factors_of_the_window() {
    for spec in ["examples/windows.yaml", "examples/latency.yaml"] {
        let board = generate(&root().join(spec), LabelStyle::Native);
        let thresholds: Vec<Vec<f64>> = panels(&board)
            .iter()
            .filter(|p| p["title"] == "Burn rate")
            .map(|p| {
                p["fieldConfig"]["defaults"]["thresholds"]["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|s| s["value"].as_f64())
                    .collect()
            })
            .collect();
        assert_eq!(thresholds, alert_factors(spec), "{spec}");
        if spec == "examples/windows.yaml" {
            // 7d, then 28d: 2% of the budget in 1h, 5% in 6h, 10% in 1d and in 3d, but never
            // a factor below 1.
            assert_eq!(
                thresholds,
                [vec![1.0, 1.4, 3.36], vec![1.0, 2.8, 5.6, 13.44]]
            );
        }
    }
}

#[test]
fn the_demo_dashboard_matches_its_golden_file() {
    for (_, style_name) in STYLES {
        let demo_dashboard = || {
            SloRun::new()
                .args(["generate-dashboard", "--config", "slo.yaml"])
                .args(["--label-style", style_name])
                .run()
        };
        let out = demo_dashboard();
        out.assert_success("slo generate-dashboard");
        assert_golden(
            format!("tests/golden/dashboard/demo-api.{style_name}.json"),
            &out.stdout,
        );
        // Deterministic: a second run writes the same bytes.
        assert_eq!(demo_dashboard().stdout, out.stdout);
    }
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn provisioning_files_reference_each_other() {
    let dir = TempDir::new("provisioning");
    let out = SloRun::new()
        .args([
            "generate-dashboard",
            "--config",
            "slo.yaml",
            "--provisioning",
        ])
        .arg(dir.path())
        .prometheus("http://prometheus:9090")
        .run();
    out.assert_success("slo generate-dashboard --provisioning");
    let board: Value = serde_json::from_str(&out.stdout).unwrap();

    // The provider loads a folder that, with the directory mounted where Grafana reads
    // provisioning from, holds the dashboard file.
    let providers = read_yaml(&dir.join("dashboards/slo.yaml"));
    assert_eq!(providers["apiVersion"], 1);
    let provider = &providers["providers"][0];
    assert_eq!(provider["type"], "file");
    let path = provider["options"]["path"].as_str().unwrap();
    let inside = path
        .strip_prefix("/etc/grafana/provisioning/")
        .unwrap_or_else(|| panic!("provider path {path} is outside the mounted directory"));
    let uid = board["uid"].as_str().unwrap();
    let file = dir.join(inside).join(format!("{uid}.json"));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        written,
        board,
        "{} differs from the printed dashboard",
        file.display()
    );

    // The dashboard's default datasource is the provisioned one.
    let datasources = read_yaml(&dir.join("datasources/slo-prometheus.yaml"));
    assert_eq!(datasources["apiVersion"], 1);
    let ds = &datasources["datasources"][0];
    assert_eq!(ds["type"], "prometheus");
    assert_eq!(ds["url"], "http://prometheus:9090");
    let var = variables(&board)
        .iter()
        .find(|v| v["name"] == "datasource")
        .unwrap();
    assert_eq!(var["current"]["value"], ds["uid"]);
    assert_eq!(var["current"]["text"], ds["name"]);

    // No other files: Grafana would try to load anything in these folders.
    let mut files = Vec::new();
    let mut todo = vec![dir.path().to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else {
                files.push(e.path().strip_prefix(dir.path()).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    assert_eq!(
        files,
        [
            PathBuf::from(format!("dashboards/slo/{uid}.json")),
            PathBuf::from("dashboards/slo.yaml"),
            PathBuf::from("datasources/slo-prometheus.yaml"),
        ]
    );
}

#[test]
fn unwritable_output_exits_2() {
    let dir = TempDir::new("unwritable");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let file_as_dir = blocker.to_str().unwrap().to_string();
    let below_file = blocker.join("x.json").to_str().unwrap().to_string();
    for (flag, path) in [("--provisioning", file_as_dir), ("--output", below_file)] {
        let out = SloRun::new()
            .args(["generate-dashboard", "--config", "slo.yaml", flag, &path])
            .run();
        out.status(exit::INVALID);
        assert!(out.stderr.contains("cannot write"), "{}", out.stderr);
    }
}

// ---- the queries against a real Prometheus ----

/// The recording rules of the rule files, each with the style it was generated in.
fn recording_rules<'a>(files: &'a [(&'a str, Value)]) -> Vec<(&'a str, &'a Value)> {
    files
        .iter()
        .flat_map(|(style, file)| {
            file["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .flat_map(|g| g["rules"].as_array().unwrap())
                .filter(|r| r.get("record").is_some())
                .map(move |r| (*style, r))
        })
        .collect()
}

/// How many recording rules stand between a rule and the raw series: 0 for rules that read
/// only raw series, 1 for rules reading those, and so on.
fn depths(rules: &[(&str, &Value)]) -> Vec<usize> {
    let names = |r: &Value| r["record"].as_str().unwrap().to_string();
    let reads = |r: &Value, name: &str| {
        r["expr"]
            .as_str()
            .unwrap()
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .any(|token| token == name)
    };
    let mut depth = vec![0; rules.len()];
    // Relax until stable; rule files have no cycles (Prometheus would reject them).
    for _ in 0..rules.len() {
        for (i, (_, r)) in rules.iter().enumerate() {
            depth[i] = rules
                .iter()
                .enumerate()
                .filter(|(_, (_, dep))| reads(r, &names(dep)))
                .map(|(j, _)| depth[j] + 1)
                .max()
                .unwrap_or(0);
        }
    }
    depth
}

/// GET on Prometheus' HTTP API (the label values endpoint of 2.42 takes no POST).
fn api(prom: &Prometheus, path: &str, params: &[(&str, String)]) -> Value {
    let url = reqwest::Url::parse_with_params(&format!("{}{path}", prom.url()), params).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::Client::new()
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
}

/// A Prometheus holding two handlers' traffic, a latency histogram, and what the demo spec's
/// recording rules (both label styles) record from them.
///
/// Rules are backfilled one dependency level at a time (see
/// [`Prometheus::with_rules_backfilled`]). The levels above 0 cover the last hour, which the range queries ask for; level 0
/// (the 5m rates and alert-window ratios) an hour more, so that the window-long ratio has
/// rates to sum. (Whether that ratio is right over 30 days is the rules' tests' business;
/// 30 days of rule evaluations take promtool minutes.)
fn prometheus_with_rules() -> Prometheus {
    let files: Vec<(&str, Value)> = STYLES
        .iter()
        .map(|(_, name)| (*name, demo_rules(name)))
        .collect();
    let rules = recording_rules(&files);
    let depths = depths(&rules);
    let data = scenarios::two_handlers()
        .merge(scenarios::latency())
        .merge(scenarios::database())
        .openmetrics();
    let mut levels = Vec::new();
    for level in 0..=depths.iter().copied().max().unwrap() {
        let groups: Vec<Value> = STYLES
            .iter()
            .map(|(_, style)| {
                let level_rules: Vec<&Value> = rules
                    .iter()
                    .zip(&depths)
                    .filter(|((s, _), d)| s == style && **d == level)
                    .map(|((_, r), _)| *r)
                    .collect();
                json!({"name": format!("{style}-level-{level}"), "rules": level_rules})
            })
            .collect();
        // JSON is YAML.
        let file = json!({ "groups": groups }).to_string();
        let from = if level == 0 {
            END - 2 * HOUR
        } else {
            END - HOUR
        };
        levels.push(RuleBackfill { rules: file, from });
    }
    Prometheus::with_rules_backfilled(&data, &levels, END)
}

#[test]
fn every_query_runs_on_the_generated_rules() {
    let prom = prometheus_with_rules();
    for (style, style_name) in STYLES {
        let board = generate(&root().join("slo.yaml"), style);
        let mut checked = 0;
        for var in variables(&board).iter().filter(|v| v["type"] == "query") {
            // label_values(series, label) is Grafana's call of the label values API.
            let query = var["query"].as_str().unwrap();
            let (series, label) = query
                .strip_prefix("label_values(")
                .and_then(|q| q.strip_suffix(')'))
                .and_then(|q| q.rsplit_once(", "))
                .unwrap();
            let body = api(
                &prom,
                &format!("/api/v1/label/{label}/values"),
                &[
                    ("match[]", series.to_string()),
                    ("start", (END - HOUR).to_string()),
                    ("end", END.to_string()),
                ],
            );
            assert_eq!(
                body["data"],
                json!(["/health", "/items"]),
                "{style_name}: {query}"
            );
        }
        for panel in panels(&board).iter().filter(|p| p["type"] != "row") {
            let title = panel["title"].as_str().unwrap();
            // What an SLO dashboard is for: these must show data.
            let core = panel["type"] == "stat"
                || ["SLI", "Burn rate"].contains(&title)
                || title.starts_with("Error budget remaining");
            for target in panel["targets"].as_array().unwrap() {
                let expr = substitute(&board, target["expr"].as_str().unwrap());
                let body = if target["instant"] == true {
                    api(
                        &prom,
                        "/api/v1/query",
                        &[("query", expr.clone()), ("time", END.to_string())],
                    )
                } else {
                    api(
                        &prom,
                        "/api/v1/query_range",
                        &[
                            ("query", expr.clone()),
                            ("start", (END - HOUR).to_string()),
                            ("end", END.to_string()),
                            ("step", "60".to_string()),
                        ],
                    )
                };
                assert_eq!(
                    body["status"], "success",
                    "{style_name} {title}: {expr}: {body}"
                );
                let result = body["data"]["result"].as_array().unwrap();
                if core {
                    assert!(
                        !result.is_empty(),
                        "{style_name} {title}: no data for {expr}"
                    );
                }
                // A grouped SLO's panels show each handler.
                if expr.contains("handler=~") {
                    assert_eq!(result.len(), 2, "{style_name} {title}: {expr}: {body}");
                }
                checked += check_known_values(&expr, result);
            }
        }
        assert_eq!(
            checked, 3,
            "{style_name}: the panels of known value were not all found"
        );
    }
}

/// Compares the panels whose value the scenario fixes: two handlers, `/items` at ~1000/min
/// with 0.1% errors and `/health` at 100/min with 1%. Returns how many it compared.
fn check_known_values(expr: &str, result: &[Value]) -> usize {
    let last = |series: &Value| {
        let value = series
            .get("value")
            .unwrap_or_else(|| series["values"].as_array().unwrap().last().unwrap());
        value[1].as_str().unwrap().parse::<f64>().unwrap()
    };
    let availability = |name: &str| {
        expr.contains(&format!("slo_name=\"{name}\""))
            || expr.contains(&format!("sloth_slo=\"{name}\""))
    };
    let record = |w: &str| expr.contains(&format!("slo:sli_error:ratio_rate{w}{{"));
    if availability("availability") && record("30d") && expr.starts_with("1 - max(") {
        // The overview's SLI: (1 + 1) errors in ~1100 requests a minute.
        let error_ratio = 1.0 - last(&result[0]);
        assert!(
            rel_err(error_ratio, 2.0 / 1100.0) < 0.02,
            "{expr}: {error_ratio}"
        );
        return 1;
    }
    if availability("availability-by-handler") && record("1h") && !expr.starts_with("1 - ") {
        // Burn rates against a 1% budget: 1 for /health, 0.1 for /items.
        for series in result {
            let expected = match series["metric"]["handler"].as_str().unwrap() {
                "/health" => 1.0,
                _ => 0.1,
            };
            assert!(rel_err(last(series), expected) < 0.02, "{expr}: {series}");
        }
        return 2;
    }
    0
}

/// Two hours of `/items` traffic up to now with 20% errors: every burn alert of the demo
/// spec's availability SLOs fires at once; the latency histogram is missing, so its
/// absent-metrics alert fires.
fn incident_until_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = now - now % 60;
    let grid = Grid::uniform(end - 2 * HOUR, end, 60);
    let mut data = DataBuilder::new();
    for (status, share) in [("2xx", 0.8), ("5xx", 0.2)] {
        let labels = [
            ("job", "demo-api"),
            ("handler", "/items"),
            ("status", status),
        ];
        data.counter_rate("http_requests_total", &labels, &grid, &[], |_| {
            1000.0 / 60.0 * share
        });
    }
    data.build().openmetrics()
}

#[test]
fn firing_alerts_show_in_the_overview() {
    // Rules of both styles in one file, evaluated every second by Prometheus itself: the
    // only way to get ALERTS series, which promtool does not backfill.
    let mut groups = Vec::new();
    for (_, style) in STYLES {
        let file = demo_rules(style);
        for group in file["groups"].as_array().unwrap() {
            let mut group = group.clone();
            group["name"] = json!(format!("{style}-{}", group["name"].as_str().unwrap()));
            group["interval"] = json!("1s");
            groups.push(group);
        }
    }
    let prom = Prometheus::builder()
        .openmetrics(incident_until_now())
        .rule_file("rules.json", &json!({ "groups": groups }).to_string())
        .start();

    for (style, style_name) in STYLES {
        let board = generate(&root().join("slo.yaml"), style);
        for stat in panels(&board).iter().filter(|p| p["type"] == "stat") {
            let target = stat["targets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["legendFormat"] == "firing alerts")
                .unwrap();
            let expr = target["expr"].as_str().unwrap();
            // Rules need a few evaluations (ratios, then alerts reading them).
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            let firing = loop {
                let body = api(&prom, "/api/v1/query", &[("query", expr.to_string())]);
                let firing: f64 = body["data"]["result"][0]["value"][1]
                    .as_str()
                    .unwrap_or_else(|| panic!("{expr}: {body}"))
                    .parse()
                    .unwrap();
                if firing > 0.0 || std::time::Instant::now() > deadline {
                    break firing;
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            };
            assert!(
                firing >= 1.0,
                "{style_name} {}: no firing alert counted by {expr}; ALERTS: {}",
                stat["title"],
                api(&prom, "/api/v1/query", &[("query", "ALERTS".to_string())])
            );
        }
    }
}
