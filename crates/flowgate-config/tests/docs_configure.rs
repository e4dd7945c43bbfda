//! docs/configure.md's key tables must list exactly the keys the schema
//! accepts (every sink and enricher type included), each with its real
//! default, its environment variable and its flag. The keys come from the
//! serialized defaults, the flags from the clap definition, so nothing here
//! is a second hand-kept list. On a mismatch the expected row is printed.

use std::collections::BTreeMap;

use clap::{Args, Command};
use flowgate_config::{Config, EnricherConfig, RunArgs, SinkConfig};
use serde_norway::Value;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configure.md");

/// The flag that sets each key (`--config` sets none: it names the file).
const FLAGS: &[(&str, &str)] = &[
    ("--listen", "listeners"),
    ("--http", "http.address"),
    ("--log-level", "log.level"),
    ("--log-format", "log.format"),
    ("--workers", "receive.workers"),
    ("--receive-buffer", "receive.receive_buffer"),
    ("--state-dir", "state.dir"),
    ("--output", "sinks[stdout].path"),
    ("--format", "sinks[stdout].format"),
    ("--fields", "sinks[stdout].fields"),
    ("--names", "sinks[stdout].names"),
    ("--static-map", "enrich[static].path"),
    ("--kubernetes", "enrich[kubernetes].enabled"),
    ("--kubeconfig", "enrich[kubernetes].kubeconfig"),
];

/// One documented key: default, variable and flag cells as written.
#[derive(Debug, PartialEq)]
struct Row {
    default: String,
    env: String,
    flag: String,
}

fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Sequence(s) => format!("[{}]", s.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Value::Mapping(m) if m.is_empty() => "{}".into(),
        other => panic!("no inline form for {other:?}"),
    }
}

/// (key path, default) of every leaf under `v`; lists and maps that hold
/// user data (not keys) are leaves.
fn leaves(v: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, v) in m {
                leaves(v, &format!("{prefix}.{}", k.as_str().unwrap()), out);
            }
        }
        _ => out.push((prefix.to_owned(), v.clone())),
    }
}

fn expected() -> BTreeMap<String, Row> {
    let mut keys = Vec::new();
    let defaults = serde_norway::to_value(Config::default()).unwrap();
    for (section, v) in defaults.as_mapping().unwrap() {
        let section = section.as_str().unwrap();
        if section != "sinks" && section != "enrich" {
            if v.is_mapping() {
                for (k, v) in v.as_mapping().unwrap() {
                    leaves(v, &format!("{section}.{}", k.as_str().unwrap()), &mut keys);
                }
            } else {
                keys.push((section.to_owned(), v.clone()));
            }
        }
    }
    for ty in SinkConfig::TYPES {
        let d = serde_norway::to_value(SinkConfig::default_of(ty).unwrap()).unwrap();
        for (k, v) in d.as_mapping().unwrap() {
            leaves(
                v,
                &format!("sinks[{ty}].{}", k.as_str().unwrap()),
                &mut keys,
            );
        }
    }
    for e in [
        EnricherConfig::Static(Default::default()),
        EnricherConfig::Kubernetes(Default::default()),
    ] {
        let d = serde_norway::to_value(&e).unwrap();
        let ty = d["type"].as_str().unwrap().to_owned();
        for (k, v) in d.as_mapping().unwrap() {
            leaves(
                v,
                &format!("enrich[{ty}].{}", k.as_str().unwrap()),
                &mut keys,
            );
        }
    }
    keys.into_iter()
        .map(|(key, default)| {
            let env = if key.starts_with("enrich[") {
                // Only the whole list: FLOWGATE_ENRICH.
                "-".to_owned()
            } else if let Some(rest) = key.strip_prefix("sinks[") {
                let (_, path) = rest.split_once("].").unwrap();
                format!(
                    "FLOWGATE_SINKS_<NAME>_{}",
                    path.replace('.', "_").to_uppercase()
                )
            } else {
                format!("FLOWGATE_{}", key.replace('.', "_").to_uppercase())
            };
            let flag = FLAGS
                .iter()
                .find(|(_, k)| *k == key)
                .map_or("-".to_owned(), |(f, _)| f.to_string());
            let row = Row {
                default: inline(&default),
                env,
                flag,
            };
            (key, row)
        })
        .collect()
}

/// Rows of the key tables: `| `key` | `default` | `VAR` | `--flag` | meaning |`.
fn documented() -> BTreeMap<String, Row> {
    let doc = std::fs::read_to_string(DOC).expect("docs/configure.md");
    let mut out = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches(['|', ' ']))
            .collect();
        if cells.len() < 5 {
            continue; // another table (variables), not keys
        }
        let unquote = |c: &str| c.trim_matches('`').to_owned();
        let key = unquote(cells[0]);
        let row = Row {
            default: unquote(cells[1]),
            env: unquote(cells[2]),
            flag: unquote(cells[3]),
        };
        assert!(out.insert(key.clone(), row).is_none(), "{key} listed twice");
    }
    out
}

#[test]
fn configure_md_lists_every_key_with_its_default_variable_and_flag() {
    let want = expected();
    let got = documented();
    let mut problems = Vec::new();
    for (key, row) in &want {
        match got.get(key) {
            None => problems.push(format!(
                "missing: | `{key}` | `{}` | `{}` | `{}` | ... |",
                row.default, row.env, row.flag
            )),
            Some(g) if g != row => problems.push(format!(
                "differs: | `{key}` | `{}` | `{}` | `{}` | ... | (the doc has {g:?})",
                row.default, row.env, row.flag
            )),
            Some(_) => {}
        }
    }
    for key in got.keys().filter(|k| !want.contains_key(*k)) {
        problems.push(format!("not a key of the schema: {key}"));
    }
    assert!(
        problems.is_empty(),
        "docs/configure.md is out of step with the schema (crates/flowgate-config):\n{}",
        problems.join("\n")
    );
}

/// Every flag of `flowgate run` is either mapped to its key above or is
/// `--config`, so a new flag cannot go undocumented.
#[test]
fn every_run_flag_is_documented() {
    let cmd = RunArgs::augment_args(Command::new("run"));
    let doc = std::fs::read_to_string(DOC).unwrap();
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        let flag = format!("--{long}");
        assert!(
            flag == "--config" || FLAGS.iter().any(|(f, _)| *f == flag),
            "{flag} sets which key? Add it to FLAGS here and to docs/configure.md"
        );
        assert!(
            doc.contains(&format!("`{flag}")),
            "docs/configure.md lacks {flag}"
        );
    }
}
