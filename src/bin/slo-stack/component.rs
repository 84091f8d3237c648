//! The stack's components: start order, ports, readiness endpoints, and the host names
//! docker-compose gives them (which the shared config templates use).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    Sink,
    App,
    Alertmanager,
    NodeExporter,
    Prometheus,
}

impl Component {
    /// Start order; `down` stops them in reverse. Prometheus comes last so that its first
    /// scrape finds every target up.
    pub const START_ORDER: [Component; 5] = [
        Component::Sink,
        Component::App,
        Component::Alertmanager,
        Component::NodeExporter,
        Component::Prometheus,
    ];

    /// The name of its pid and log files, and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Component::Sink => "sink",
            Component::App => "app",
            Component::Alertmanager => "alertmanager",
            Component::NodeExporter => "node-exporter",
            Component::Prometheus => "prometheus",
        }
    }

    /// The path that answers 2xx once it is ready.
    pub fn readiness_path(self) -> &'static str {
        match self {
            Component::Sink | Component::App => "/health",
            Component::Alertmanager | Component::Prometheus => "/-/ready",
            Component::NodeExporter => "/metrics",
        }
    }

    /// The component a `host` of the compose network stands for (`localhost` is
    /// Prometheus scraping itself).
    pub fn from_compose_host(host: &str) -> Option<Component> {
        match host {
            "alert-sink" => Some(Component::Sink),
            "app" => Some(Component::App),
            "alertmanager" => Some(Component::Alertmanager),
            "node-exporter" => Some(Component::NodeExporter),
            "localhost" | "prometheus" => Some(Component::Prometheus),
            _ => None,
        }
    }
}

/// The loopback port of each component; a running stack remembers them in its state file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    pub app: u16,
    pub prometheus: u16,
    pub alertmanager: u16,
    pub sink: u16,
    pub node_exporter: u16,
    /// Used with `--postgres` only.
    pub postgres: u16,
}

impl Ports {
    pub fn of(&self, component: Component) -> u16 {
        match component {
            Component::Sink => self.sink,
            Component::App => self.app,
            Component::Alertmanager => self.alertmanager,
            Component::NodeExporter => self.node_exporter,
            Component::Prometheus => self.prometheus,
        }
    }

    /// `http://127.0.0.1:PORT` of `component`.
    pub fn base_url(&self, component: Component) -> String {
        format!("http://127.0.0.1:{}", self.of(component))
    }
}
