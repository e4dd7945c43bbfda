//! The `enrich:` section: an ordered list of enrichers, each a mapping with
//! a `type` and that type's own keys. Order is priority: an earlier
//! enricher's answer for an address is kept, a later one only fills what is
//! still unknown.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::units::HumanDuration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EnricherConfig {
    Static(StaticEnricherConfig),
    Kubernetes(KubernetesEnricherConfig),
}

impl EnricherConfig {
    pub fn type_name(&self) -> &'static str {
        match self {
            EnricherConfig::Static(_) => "static",
            EnricherConfig::Kubernetes(_) => "kubernetes",
        }
    }

    /// The label of its metrics and logs: `name`, else the type.
    pub fn name(&self) -> &str {
        let n = match self {
            EnricherConfig::Static(c) => &c.name,
            EnricherConfig::Kubernetes(c) => &c.name,
        };
        n.as_deref().unwrap_or(self.type_name())
    }

    pub fn enabled(&self) -> bool {
        match self {
            EnricherConfig::Static(c) => c.enabled,
            EnricherConfig::Kubernetes(c) => c.enabled,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StaticFormat {
    /// From the file name: `.csv` is CSV, anything else YAML.
    #[default]
    Auto,
    Yaml,
    Csv,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaticEnricherConfig {
    /// Label of its metrics and logs (default: `static`); unique in the list.
    pub name: Option<String>,
    pub enabled: bool,
    /// The map file (YAML or CSV).
    pub path: PathBuf,
    pub format: StaticFormat,
    /// How often the file is checked for changes; 0s = only on SIGHUP.
    pub watch_interval: HumanDuration,
}

impl Default for StaticEnricherConfig {
    fn default() -> Self {
        StaticEnricherConfig {
            name: None,
            enabled: true,
            path: PathBuf::new(),
            format: StaticFormat::Auto,
            watch_interval: HumanDuration::secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesEnricherConfig {
    /// Label of its metrics and logs (default: `kubernetes`).
    pub name: Option<String>,
    pub enabled: bool,
    /// A kubeconfig file; none = in-cluster service account (or $KUBECONFIG).
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context; none = its current context.
    pub context: Option<String>,
    /// Pod labels copied into `src_k8s_labels` / `dst_k8s_labels`.
    #[serde(deserialize_with = "crate::schema::string_list")]
    pub labels: Vec<String>,
    /// Changes seen on the watches are gathered this long before the lookup
    /// table is rebuilt (one rebuild per burst of pod churn).
    pub rebuild_delay: HumanDuration,
}

impl Default for KubernetesEnricherConfig {
    fn default() -> Self {
        KubernetesEnricherConfig {
            name: None,
            enabled: true,
            kubeconfig: None,
            context: None,
            labels: vec!["app".into(), "app.kubernetes.io/name".into()],
            rebuild_delay: HumanDuration(std::time::Duration::from_millis(500)),
        }
    }
}

/// Checks serde cannot express, in the style of `validate`: key, value, fix.
pub(crate) fn validate(list: &[EnricherConfig], bad: &mut Vec<String>) {
    let mut names: Vec<&str> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let key = format!("enrich[{i}] ({})", e.type_name());
        let name = e.name();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
        {
            bad.push(format!(
                "{key}.name: '{name}' is not a metric label value; fix: use letters, digits, '-' and '_'"
            ));
        }
        if names.contains(&name) {
            bad.push(format!(
                "{key}.name: '{name}' is used by an earlier enricher; fix: give each enricher of one type its own `name`"
            ));
        }
        names.push(name);
        match e {
            EnricherConfig::Static(s) => {
                if s.path.as_os_str().is_empty() {
                    bad.push(format!(
                        "{key}.path: missing; fix: name the YAML or CSV map file (see config/flowgate.yaml)"
                    ));
                }
                let ms = s.watch_interval.get().as_millis();
                if ms != 0 && !(100..=3_600_000).contains(&ms) {
                    bad.push(format!(
                        "{key}.watch_interval: {} is out of range; fix: use 100ms to 1h, or 0s to reload on SIGHUP only",
                        s.watch_interval
                    ));
                }
            }
            EnricherConfig::Kubernetes(k) => {
                if k.kubeconfig
                    .as_ref()
                    .is_some_and(|p| p.as_os_str().is_empty())
                {
                    bad.push(format!(
                        "{key}.kubeconfig: empty; fix: name a kubeconfig file, or null for the in-cluster service account"
                    ));
                }
                for l in &k.labels {
                    if !valid_label_key(l) {
                        bad.push(format!(
                            "{key}.labels: '{l}' is not a Kubernetes label key; fix: use [prefix/]name, e.g. app or app.kubernetes.io/name"
                        ));
                    }
                }
                let ms = k.rebuild_delay.get().as_millis();
                if !(10..=60_000).contains(&ms) {
                    bad.push(format!(
                        "{key}.rebuild_delay: {} is out of range; fix: use 10ms to 60s (500ms is the default)",
                        k.rebuild_delay
                    ));
                }
            }
        }
    }
}

/// `[prefix/]name`: a DNS subdomain prefix, a name of at most 63
/// characters of alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
fn valid_label_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let edge_ok = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && edge_ok(name)
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                edge_ok(part)
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
    });
    name_ok && prefix_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load, Config, RunArgs};

    fn load_yaml(yaml: &str, vars: &[(&str, &str)], args: &RunArgs) -> Result<Config, String> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "flowgate-enrich-config-{}-{n}.yaml",
            std::process::id()
        ));
        std::fs::write(&path, yaml).unwrap();
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let r = load(Some(&path), vars, args);
        let _ = std::fs::remove_file(&path);
        r.map(|l| l.config).map_err(|e| e.to_string())
    }

    #[test]
    fn an_ordered_list_of_typed_enrichers() {
        let c = load_yaml(
            "enrich:\n  - type: static\n    path: /etc/flowgate/map.yaml\n    watch_interval: 0s\n  - type: kubernetes\n    kubeconfig: /k\n    labels: app,tier\n",
            &[],
            &RunArgs::default(),
        )
        .unwrap();
        assert_eq!(c.enrich.len(), 2);
        let EnricherConfig::Static(s) = &c.enrich[0] else {
            panic!()
        };
        assert_eq!(s.path, PathBuf::from("/etc/flowgate/map.yaml"));
        assert!(s.enabled && s.watch_interval.get().is_zero());
        let EnricherConfig::Kubernetes(k) = &c.enrich[1] else {
            panic!()
        };
        assert_eq!(k.labels, ["app", "tier"]);
        assert_eq!(c.enrich[1].name(), "kubernetes");
    }

    #[test]
    fn mistakes_name_the_key_and_the_fix() {
        let none = RunArgs::default();
        let e = load_yaml("enrich:\n  - type: static\n    pth: /x\n", &[], &none).unwrap_err();
        assert!(
            e.contains("unknown field `pth`") && e.contains("fix:"),
            "{e}"
        );
        let e = load_yaml("enrich:\n  - type: geoip\n", &[], &none).unwrap_err();
        assert!(
            e.contains("unknown variant `geoip`") && e.contains("`static`"),
            "{e}"
        );
        let e = load_yaml("enrich:\n  - type: static\n", &[], &none).unwrap_err();
        assert!(e.contains("enrich[0] (static).path: missing; fix:"), "{e}");
        let e = load_yaml(
            "enrich:\n  - {type: kubernetes, labels: [Bad Key], rebuild_delay: 0s}\n  - {type: kubernetes}\n",
            &[],
            &none,
        )
        .unwrap_err();
        assert!(
            e.contains("enrich[0] (kubernetes).labels: 'Bad Key'"),
            "{e}"
        );
        assert!(
            e.contains("enrich[0] (kubernetes).rebuild_delay: 0s"),
            "{e}"
        );
        assert!(
            e.contains("enrich[1] (kubernetes).name: 'kubernetes' is used"),
            "{e}"
        );
    }

    #[test]
    fn environment_and_flags() {
        let vars = [(
            "FLOWGATE_ENRICH",
            "[{type: static, path: /from/env.csv}, {type: kubernetes, enabled: false}]",
        )];
        let c = load_yaml("", &vars, &RunArgs::default()).unwrap();
        assert_eq!(c.enrich.len(), 2);
        assert!(!c.enrich[1].enabled());
        let args = RunArgs {
            static_map: Some("/flag.yaml".into()),
            kubeconfig: Some("/kc".into()),
            ..Default::default()
        };
        let c = load_yaml("", &vars, &args).unwrap();
        let EnricherConfig::Static(s) = &c.enrich[0] else {
            panic!()
        };
        assert_eq!(s.path, PathBuf::from("/flag.yaml"));
        let EnricherConfig::Kubernetes(k) = &c.enrich[1] else {
            panic!()
        };
        assert!(k.enabled && k.kubeconfig == Some("/kc".into()));
        let c = load_yaml("", &[], &args).unwrap();
        let types: Vec<&str> = c.enrich.iter().map(|e| e.type_name()).collect();
        assert_eq!(types, ["static", "kubernetes"]);
    }

    /// config/flowgate.yaml shows one enricher of each type with every key.
    #[test]
    fn the_example_config_documents_every_enricher_key() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/flowgate.yaml");
        let example: serde_norway::Value =
            serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let listed = example["enrich"].as_sequence().expect("enrich: is a list");
        let defaults = [
            EnricherConfig::Static(Default::default()),
            EnricherConfig::Kubernetes(Default::default()),
        ];
        for d in defaults {
            let d = serde_norway::to_value(&d).unwrap();
            let ty = &d["type"];
            let entry = listed
                .iter()
                .find(|e| &e["type"] == ty)
                .unwrap_or_else(|| panic!("no {ty:?} enricher in config/flowgate.yaml"));
            for (k, _) in d.as_mapping().unwrap() {
                assert!(entry.get(k).is_some(), "enrich {ty:?} lacks {k:?}");
            }
        }
    }

    #[test]
    fn label_keys() {
        for ok in [
            "app",
            "app.kubernetes.io/name",
            "pod-template-hash",
            "a_b.c",
        ] {
            assert!(valid_label_key(ok), "{ok}");
        }
        for bad in ["", "-app", "app/", "/app", "App.io/x", "a b"] {
            assert!(!valid_label_key(bad), "{bad}");
        }
    }
}
