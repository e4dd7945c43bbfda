//! The messages a user sees for a bad config are part of the interface:
//! they must name the key and say what to do.

use super::*;

fn load_str(yaml: &str) -> Result<Loaded, ConfigError> {
    load_with(yaml, &[], &RunArgs::default())
}

fn load_with(yaml: &str, vars: &[(&str, &str)], args: &RunArgs) -> Result<Loaded, ConfigError> {
    let dir = std::env::temp_dir().join(format!("flowgate-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "c{}.yaml",
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, yaml).unwrap();
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let r = load(Some(&path), vars, args);
    let _ = std::fs::remove_file(&path);
    r
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn problems(r: Result<Loaded, ConfigError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn no_file_gives_the_documented_defaults() {
    let l = load(None, Vec::new(), &RunArgs::default()).unwrap();
    let c = l.config;
    let uris: Vec<String> = c.listeners.iter().map(|u| u.to_string()).collect();
    assert_eq!(
        uris,
        [
            "netflow://:2055",
            "nfl://:2056",
            "ipfix://:4739",
            "sflow://:6343"
        ]
    );
    assert_eq!(format_bind_addr(&c.http.address), ":8080");
    assert_eq!(c.log.level, "info");
    let SinkConfig::Stdout(stdout) = &c.sinks.0[0] else {
        panic!("the default sink is stdout")
    };
    assert!(stdout.enabled && c.sinks.0.len() == 1);
    assert_eq!(stdout.flush_interval, HumanDuration::secs(1));
}

#[test]
fn unknown_keys_name_the_key_and_the_fix() {
    let e = problems(load_str("http:\n  adress: ':9090'\n"));
    assert!(
        e.contains("http: unknown field `adress`, expected `address`"),
        "{e}"
    );
    assert!(e.contains("fix: correct or remove the key"), "{e}");
    let e = problems(load_str("sink:\n  stdout: {}\n"));
    assert!(
        e.contains("unknown field `sink`") && e.contains("`sinks`"),
        "{e}"
    );
}

#[test]
fn bad_values_name_the_key_and_the_fix() {
    let e = problems(load_str("sinks:\n  - type: stdout\n    format: xml\n"));
    assert!(
        e.contains("sinks: [0] stdout: format: unknown variant `xml`, expected `json` or `text`"),
        "{e}"
    );
    let e = problems(load_str("log:\n  level: verbose\n"));
    assert!(
        e.contains("log.level: 'verbose' is not a level; fix: use off, error"),
        "{e}"
    );
    let e = problems(load_str("listeners: [netflw://:2055]\n"));
    assert!(
        e.contains("listeners") && e.contains("unknown protocol 'netflw'"),
        "{e}"
    );
    let e = problems(load_str(
        "sinks:\n  - type: stdout\n    fields: [src_addr, byts]\n",
    ));
    assert!(
        e.contains("sinks[0] (stdout).fields: unknown field 'byts'; fix:"),
        "{e}"
    );
    let e = problems(load_str(
        "receive:\n  batch_size: 0\n  receive_buffer: 8 parsecs\n",
    ));
    assert!(
        e.contains("receive.receive_buffer") && e.contains("unknown unit"),
        "{e}"
    );
    let e = problems(load_str("receive:\n  batch_size: 0\n"));
    assert!(
        e.contains("receive.batch_size: 0 is out of range; fix: use 1 to 1024"),
        "{e}"
    );
    let e = problems(load_str(
        "state:\n  save_interval: 10\n  dir: /x\nhttp:\n  address: 'localhost:80'\n",
    ));
    assert!(e.contains("http.address") && e.contains(":PORT"), "{e}");
    let e = problems(load_str("- a\n- b\n"));
    assert!(e.contains("must be a YAML mapping"), "{e}");
}

#[test]
fn several_problems_are_reported_together() {
    let e = problems(load_str(
        "receive:\n  batch_size: 0\n  workers: 1000\nlog:\n  level: loud\n",
    ));
    assert!(
        e.contains("receive.batch_size")
            && e.contains("receive.workers")
            && e.contains("log.level"),
        "{e}"
    );
}

#[test]
fn environment_beats_the_file_and_flags_beat_both() {
    let yaml = "http:\n  address: ':9000'\nlog:\n  level: warn\n";
    let vars = [
        ("FLOWGATE_HTTP_ADDRESS", "127.0.0.1:9001"),
        ("FLOWGATE_LOG_LEVEL", "debug"),
        (
            "FLOWGATE_LISTENERS",
            "sflow://127.0.0.1:7000,ipfix://127.0.0.1:7001",
        ),
        ("FLOWGATE_SINKS_STDOUT_FIELDS", "src_addr,bytes"),
    ];
    let l = load_with(yaml, &vars, &RunArgs::default()).unwrap();
    assert_eq!(l.config.http.address, "127.0.0.1:9001".parse().unwrap());
    assert_eq!(l.config.log.level, "debug");
    assert_eq!(l.config.listeners.len(), 2);
    let SinkConfig::Stdout(stdout) = &l.config.sinks.0[0] else {
        panic!("stdout")
    };
    assert_eq!(stdout.fields, Some(vec!["src_addr".into(), "bytes".into()]));
    assert_eq!(l.env_applied.len(), 4);

    let args = RunArgs {
        http: Some(":9002".into()),
        listen: vec!["netflow://127.0.0.1:7002".into()],
        ..Default::default()
    };
    let l = load_with(yaml, &vars, &args).unwrap();
    assert_eq!(format_bind_addr(&l.config.http.address), ":9002");
    assert_eq!(
        l.config.listeners[0].to_string(),
        "netflow://127.0.0.1:7002"
    );
    assert_eq!(l.config.log.level, "debug");
}

#[test]
fn env_mistakes_name_the_variable() {
    let e = problems(load_with(
        "",
        &[("FLOWGATE_HTTP_ADRESS", "x")],
        &RunArgs::default(),
    ));
    assert!(
        e.contains("FLOWGATE_HTTP_ADRESS names no config key")
            && e.contains("FLOWGATE_HTTP_ADDRESS"),
        "{e}"
    );
    let e = problems(load_with(
        "",
        &[("FLOWGATE_RECEIVE_WORKERS", "many")],
        &RunArgs::default(),
    ));
    assert!(
        e.contains("receive.workers") && e.contains("FLOWGATE_RECEIVE_WORKERS"),
        "{e}"
    );
}

#[test]
fn flag_mistakes_name_the_flag() {
    let args = RunArgs {
        listen: vec!["udp://:1".into()],
        ..Default::default()
    };
    let e = problems(load_with("", &[], &args));
    assert!(
        e.contains("--listen: 'udp://:1': unknown protocol 'udp'"),
        "{e}"
    );
}

#[test]
fn effective_config_round_trips_through_yaml() {
    let l = load_with("sinks:\n  stdout:\n    fields: src_addr, bytes\n    path: /tmp/x\nstate:\n  dir: /var/lib/flowgate\n", &[], &RunArgs::default()).unwrap();
    let yaml = l.config.to_yaml();
    let again = load_str(&yaml).unwrap();
    assert_eq!(again.config, l.config);
}

/// The example file documents every key: each key of the defaults must
/// appear in it, and it must load.
#[test]
fn the_example_config_loads_and_has_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/flowgate.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    load(Some(&path), Vec::new(), &RunArgs::default()).unwrap();
    let example: Value = serde_norway::from_str(&text).unwrap();
    let defaults = serde_norway::to_value(Config::default()).unwrap();
    let mut missing = Vec::new();
    walk(&defaults, &example, "", &mut missing);
    assert!(missing.is_empty(), "config/flowgate.yaml lacks {missing:?}");
}

fn walk(defaults: &Value, example: &Value, prefix: &str, missing: &mut Vec<String>) {
    let Value::Mapping(m) = defaults else { return };
    for (k, v) in m {
        let k = k.as_str().unwrap();
        let key = if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        };
        match example.get(k) {
            None => missing.push(key),
            Some(e) => walk(v, e, &key, missing),
        }
    }
}
