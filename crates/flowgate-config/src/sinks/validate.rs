//! Checks of `sinks:` serde cannot express: key, value and fix in each message.

use flowgate_record::FieldId;

use super::serde_impl::env_key;
use super::{KafkaSinkConfig, PrometheusSinkConfig, SinkConfig, SinksConfig};
use crate::schema::StdoutSinkConfig;

/// librdkafka properties that have a key of their own here.
const MANAGED: &[(&str, &str)] = &[
    ("bootstrap.servers", "brokers"),
    ("compression.codec", "compression"),
    ("compression.type", "compression"),
    ("queue.buffering.max.messages", "buffer_messages"),
    ("queue.buffering.max.kbytes", "buffer_size"),
    ("message.timeout.ms", "delivery_timeout"),
    ("delivery.timeout.ms", "delivery_timeout"),
    ("security.protocol", "tls and sasl"),
    ("sasl.mechanism", "sasl.mechanism"),
    ("sasl.mechanisms", "sasl.mechanism"),
    ("sasl.username", "sasl.username"),
    ("sasl.password", "sasl.password_env or sasl.password_file"),
    (
        "ssl.key.password",
        "tls.key_password_env or tls.key_password_file",
    ),
];

pub(crate) fn validate(sinks: &SinksConfig, bad: &mut Vec<String>, warn: &mut Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut prefixes: Vec<&str> = Vec::new();
    for (i, s) in sinks.iter().enumerate() {
        let c = s.common();
        let key = if c.name == s.type_name() {
            format!("sinks[{i}] ({})", c.name)
        } else {
            format!("sinks[{i}] ({} {})", s.type_name(), c.name)
        };
        if c.name.is_empty()
            || !c
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "_-".contains(ch))
        {
            bad.push(format!(
                "{key}.name: '{}' is not a metric label value; fix: use letters, digits, '-' and '_'",
                c.name
            ));
        }
        if names.contains(&env_key(c.name)) {
            bad.push(format!(
                "{key}.name: '{}' is taken by an earlier sink; fix: give each sink of one type its own `name`",
                c.name
            ));
        }
        names.push(env_key(c.name));
        let ms = c.flush_interval.get().as_millis();
        if !(10..=60_000).contains(&ms) {
            bad.push(format!(
                "{key}.flush_interval: {} is out of range; fix: use 10ms to 60s (1s is the default)",
                c.flush_interval
            ));
        }
        range(bad, &key, "queue_batches", c.queue_batches, 1, 1_000_000);
        match s {
            SinkConfig::Stdout(s) => stdout(&key, s, bad),
            SinkConfig::Kafka(k) => kafka(&key, k, bad),
            SinkConfig::Prometheus(p) => {
                if p.enabled {
                    if prefixes.contains(&p.metric_prefix.as_str()) {
                        bad.push(format!(
                            "{key}.metric_prefix: '{}' is used by an earlier prometheus sink; fix: give each its own prefix",
                            p.metric_prefix
                        ));
                    }
                    prefixes.push(&p.metric_prefix);
                }
                prometheus(&key, p, bad)
            }
        }
    }
    if !sinks.iter().any(|s| s.common().enabled) {
        warn.push("no sink is enabled: records are decoded and counted, then discarded".to_owned());
    }
}

fn range(bad: &mut Vec<String>, key: &str, field: &str, v: usize, lo: usize, hi: usize) {
    if v < lo || v > hi {
        bad.push(format!(
            "{key}.{field}: {v} is out of range; fix: use {lo} to {hi}"
        ));
    }
}

fn field_names(bad: &mut Vec<String>, key: &str, names: &[String], what: &str) {
    for f in names {
        if FieldId::from_name(f).is_none() || f == "extra" {
            let known: Vec<&str> = FieldId::ALL
                .iter()
                .map(|f| f.name())
                .filter(|n| *n != "extra")
                .collect();
            bad.push(format!(
                "{key}.{what}: unknown field '{f}'; fix: use names from docs/record.md: {}",
                known.join(", ")
            ));
        }
    }
}

/// More render threads than this is a typo, not a machine.
const MAX_RENDER_THREADS: usize = 64;

fn stdout(key: &str, s: &StdoutSinkConfig, bad: &mut Vec<String>) {
    if s.render_threads > MAX_RENDER_THREADS {
        bad.push(format!(
            "{key}.render_threads: {} is more than {MAX_RENDER_THREADS}; fix: at most the cores the receive workers leave idle (0 renders on the workers only)",
            s.render_threads
        ));
    }
    let Some(fields) = &s.fields else { return };
    if fields.is_empty() {
        bad.push(format!(
            "{key}.fields: empty list; fix: name at least one field, or remove the key for all fields"
        ));
    }
    for f in fields {
        if FieldId::from_name(f).is_none() {
            let known: Vec<&str> = FieldId::ALL.iter().map(|f| f.name()).collect();
            bad.push(format!(
                "{key}.fields: unknown field '{f}'; fix: use names from docs/record.md: {}",
                known.join(", ")
            ));
        }
    }
}

fn kafka(key: &str, k: &KafkaSinkConfig, bad: &mut Vec<String>) {
    if k.brokers.is_empty() {
        bad.push(format!(
            "{key}.brokers: empty; fix: list at least one host:port"
        ));
    }
    for b in &k.brokers {
        let ok = b
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p != 0));
        if !ok {
            bad.push(format!(
                "{key}.brokers: '{b}' is not host:port; fix: write e.g. 127.0.0.1:9092 or kafka-0.kafka:9092"
            ));
        }
    }
    let topic_ok = !k.topic.is_empty()
        && k.topic.len() <= 249
        && k.topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !topic_ok {
        bad.push(format!(
            "{key}.topic: '{}' is not a Kafka topic name; fix: use 1 to 249 of letters, digits, '.', '_' and '-'",
            k.topic
        ));
    }
    field_names(bad, key, &k.key_fields, "key_fields");
    range(
        bad,
        key,
        "records_per_message",
        k.records_per_message,
        1,
        1024,
    );
    if k.records_per_message > 1 && !k.key_fields.is_empty() {
        bad.push(format!(
            "{key}.records_per_message: {} packs records of different flows into one message, which cannot have one key; fix: set key_fields: [] as well, or records_per_message: 1",
            k.records_per_message
        ));
    }
    range(
        bad,
        key,
        "buffer_messages",
        k.buffer_messages,
        1,
        10_000_000,
    );
    let kib = k.buffer_size.0 >> 10;
    if !(1..=2_097_151).contains(&kib) {
        bad.push(format!(
            "{key}.buffer_size: {} is out of range; fix: use 1KiB to 2047MiB",
            k.buffer_size.0
        ));
    }
    let ms = k.delivery_timeout.get().as_millis();
    if !(1_000..=3_600_000).contains(&ms) {
        bad.push(format!(
            "{key}.delivery_timeout: {} is out of range; fix: use 1s to 1h (5m is the default)",
            k.delivery_timeout
        ));
    }
    for p in k.producer.keys() {
        if let Some((_, ours)) = MANAGED.iter().find(|(name, _)| name == p) {
            bad.push(format!(
                "{key}.producer: '{p}' has its own key; fix: set {ours} instead"
            ));
        }
    }
    let sasl = &k.sasl;
    if sasl.mechanism.is_some() {
        if sasl.username.is_empty() {
            bad.push(format!(
                "{key}.sasl.username: empty; fix: name the SASL user"
            ));
        }
        if sasl.password_env.is_some() == sasl.password_file.is_some() {
            bad.push(format!(
                "{key}.sasl: set exactly one of password_env and password_file; fix: name the variable or the file that holds the password"
            ));
        }
    }
    let tls = &k.tls;
    if tls.key_password_env.is_some() && tls.key_password_file.is_some() {
        bad.push(format!(
            "{key}.tls: both key_password_env and key_password_file are set; fix: keep one"
        ));
    }
    if tls.cert_file.is_some() != tls.key_file.is_some() {
        bad.push(format!(
            "{key}.tls: cert_file and key_file go together; fix: set both for mutual TLS, or neither"
        ));
    }
}

fn prometheus(key: &str, p: &PrometheusSinkConfig, bad: &mut Vec<String>) {
    let prefix_ok = p
        .metric_prefix
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && p.metric_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !prefix_ok {
        bad.push(format!(
            "{key}.metric_prefix: '{}' is not a metric name prefix; fix: use letters, digits and '_', not starting with a digit",
            p.metric_prefix
        ));
    }
    field_names(bad, key, &p.labels, "labels");
    let mut seen = Vec::new();
    for l in &p.labels {
        if seen.contains(&l) {
            bad.push(format!(
                "{key}.labels: '{l}' is listed twice; fix: list each field once"
            ));
        }
        seen.push(l);
    }
    range(bad, key, "max_series", p.max_series, 1, 1_000_000);
    range(bad, key, "max_interfaces", p.max_interfaces, 1, 1_000_000);
    let s = p.series_ttl.get().as_secs();
    if !(10..=86_400).contains(&s) {
        bad.push(format!(
            "{key}.series_ttl: {} is out of range; fix: use 10s to 24h (5m is the default)",
            p.series_ttl
        ));
    }
}
