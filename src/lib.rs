//! `slo`: SLO definitions in, trustworthy numbers, Prometheus rules and Grafana dashboards out.
