//! The PrometheusRule manifest's name and namespace, checked as Kubernetes checks them.

/// The manifest's name: `name` when given, else `<service>-slos`; checked as Kubernetes
/// checks object names (a DNS subdomain).
pub fn manifest_name(service: &str, name: Option<&str>) -> Result<String, String> {
    let name = match name {
        Some(n) => n.to_string(),
        None => format!("{}-slos", service.replace('_', "-")),
    };
    if is_dns_subdomain(&name) {
        Ok(name)
    } else {
        Err(format!(
            "`{name}` is not a valid Kubernetes object name: use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, at most 253 characters"
        ))
    }
}

/// Checks a namespace as Kubernetes does (a DNS label).
pub fn check_namespace(namespace: &str) -> Result<(), String> {
    if namespace.len() <= 63 && is_dns_label(namespace) {
        Ok(())
    } else {
        Err(format!(
            "`{namespace}` is not a valid Kubernetes namespace: use lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters"
        ))
    }
}

fn is_dns_label(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.starts_with(edge)
        && s.ends_with(edge)
        && s.chars().all(|c| edge(c) || c == '-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names_are_checked_like_kubernetes_does() {
        assert_eq!(
            manifest_name("demo_api", None).unwrap(),
            "demo_api-slos".replace('_', "-")
        );
        assert_eq!(manifest_name("x", Some("a.b-c")).unwrap(), "a.b-c");
        assert!(manifest_name("x", Some("Upper")).is_err());
        assert!(manifest_name("x", Some("-a")).is_err());
        assert!(check_namespace("monitoring").is_ok());
        assert!(check_namespace("a.b").is_err());
        assert!(check_namespace(&"a".repeat(64)).is_err());
    }
}
