//! What docs/upgrade.md promises across versions: a template store saved
//! by an earlier release still loads (so a rolling upgrade decodes IPFIX at
//! once), and configuration written for earlier releases still loads.

use std::net::SocketAddr;
use std::path::Path;

use flowgate_config::{load, RunArgs};
use flowgate_decode::{Limits, TemplateStore};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// tests/data/templates-v1.json was saved by the first release with state
/// persistence. If this fails, the store format changed: keep reading
/// version 1 (or convert it) and say what happens in docs/upgrade.md; do
/// not regenerate the file.
#[test]
fn a_template_store_saved_by_format_version_1_still_loads() {
    let store = TemplateStore::load_from_file(data("templates-v1.json"), Limits::default())
        .unwrap_or_else(|e| panic!("templates-v1.json no longer loads: {e}"));
    assert_eq!(store.exporter_count(), 2);
    for exporter in ["127.0.0.1:40729", "127.0.0.1:59480"] {
        let addr: SocketAddr = exporter.parse().unwrap();
        assert_eq!(store.template_count(addr), 5, "{exporter}");
    }
}

/// The first sinks syntax was a mapping keyed by name (the key being the
/// type when `type` is absent); it loads as the list form does.
#[test]
fn the_older_name_keyed_sinks_mapping_still_loads() {
    let dir = std::env::temp_dir().join(format!("flowgate-upgrade-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let load_text = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        load(Some(&path), Vec::new(), &RunArgs::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .config
    };
    let old = load_text(
        "old.yaml",
        "sinks:\n  stdout:\n    format: text\n  prom:\n    type: prometheus\n    metric_prefix: fg\n",
    );
    let new = load_text(
        "new.yaml",
        "sinks:\n  - type: stdout\n    format: text\n  - type: prometheus\n    name: prom\n    metric_prefix: fg\n",
    );
    assert_eq!(old, new);
    let _ = std::fs::remove_dir_all(&dir);
}
