//! The librdkafka producer configuration a Kafka sink entry stands for,
//! secrets read from the environment or files at start.

use std::path::Path;

use flowgate_config::KafkaSinkConfig;
use rdkafka::ClientConfig;

/// `var` reads an environment variable (the process's, or a test's map).
pub fn producer_config(
    name: &str,
    cfg: &KafkaSinkConfig,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<ClientConfig, String> {
    let mut c = ClientConfig::new();
    c.set("client.id", format!("flowgate-{name}"))
        .set("bootstrap.servers", cfg.brokers.join(","))
        .set("compression.codec", cfg.compression.as_str())
        .set(
            "queue.buffering.max.messages",
            cfg.buffer_messages.to_string(),
        )
        .set(
            "queue.buffering.max.kbytes",
            (cfg.buffer_size.0 >> 10).max(1).to_string(),
        )
        .set(
            "message.timeout.ms",
            cfg.delivery_timeout.get().as_millis().to_string(),
        );
    let tls = &cfg.tls;
    let sasl = &cfg.sasl;
    let protocol = match (tls.enabled, sasl.mechanism.is_some()) {
        (false, false) => "plaintext",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (true, true) => "sasl_ssl",
    };
    c.set("security.protocol", protocol);
    if tls.enabled {
        let path = |p: &Path| p.display().to_string();
        if let Some(p) = &tls.ca_file {
            c.set("ssl.ca.location", path(p));
        }
        if let Some(p) = &tls.cert_file {
            c.set("ssl.certificate.location", path(p));
        }
        if let Some(p) = &tls.key_file {
            c.set("ssl.key.location", path(p));
        }
        let pass = secret(
            "tls.key_password",
            tls.key_password_env.as_deref(),
            tls.key_password_file.as_deref(),
            var,
        )?;
        if let Some(p) = pass {
            c.set("ssl.key.password", p);
        }
        let check = if tls.verify_hostname { "https" } else { "none" };
        c.set("ssl.endpoint.identification.algorithm", check);
    }
    if let Some(m) = sasl.mechanism {
        let pass = secret(
            "sasl.password",
            sasl.password_env.as_deref(),
            sasl.password_file.as_deref(),
            var,
        )?
        .unwrap_or_default();
        c.set("sasl.mechanism", m.as_str())
            .set("sasl.username", &sasl.username)
            .set("sasl.password", pass);
    }
    for (k, v) in &cfg.producer {
        c.set(k, v.to_string());
    }
    Ok(c)
}

/// A secret from `<key>_env` (a variable name) or `<key>_file` (a file;
/// one trailing newline is not part of it).
fn secret(
    key: &str,
    env: Option<&str>,
    file: Option<&Path>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    if let Some(name) = env {
        return var(name).map(Some).ok_or_else(|| {
            format!("{key}_env: the variable {name} is not set; fix: export it, or use {key}_file")
        });
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{key}_file {}: {e}", path.display()))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        return Ok(Some(text.strip_suffix('\r').unwrap_or(text).to_owned()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowgate_config::{KafkaCompression, PropertyValue, SaslMechanism};

    #[test]
    fn settings_secrets_and_pass_through() {
        let dir =
            std::env::temp_dir().join(format!("flowgate-kafka-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key_pass = dir.join("key.pass");
        std::fs::write(&key_pass, "hunter2\n").unwrap();
        let mut cfg = KafkaSinkConfig {
            brokers: vec!["a:9092".into(), "b:9093".into()],
            compression: KafkaCompression::Lz4,
            ..Default::default()
        };
        cfg.tls.enabled = true;
        cfg.tls.ca_file = Some("/etc/ca.pem".into());
        cfg.tls.key_password_file = Some(key_pass);
        cfg.tls.verify_hostname = false;
        cfg.sasl.mechanism = Some(SaslMechanism::ScramSha256);
        cfg.sasl.username = "flowgate".into();
        cfg.sasl.password_env = Some("KAFKA_PW".into());
        cfg.producer
            .insert("linger.ms".into(), PropertyValue::Int(20));
        let env = |k: &str| (k == "KAFKA_PW").then(|| "s3cret".to_string());
        let c = producer_config("k", &cfg, &env).unwrap();
        for (k, v) in [
            ("bootstrap.servers", "a:9092,b:9093"),
            ("compression.codec", "lz4"),
            ("security.protocol", "sasl_ssl"),
            ("ssl.ca.location", "/etc/ca.pem"),
            ("ssl.key.password", "hunter2"),
            ("ssl.endpoint.identification.algorithm", "none"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            ("sasl.username", "flowgate"),
            ("sasl.password", "s3cret"),
            ("linger.ms", "20"),
            ("queue.buffering.max.messages", "100000"),
            ("queue.buffering.max.kbytes", "65536"),
            ("message.timeout.ms", "300000"),
        ] {
            assert_eq!(c.get(k), Some(v), "{k}");
        }
        let e = producer_config("k", &cfg, &|_| None).unwrap_err();
        assert!(
            e.contains("sasl.password_env: the variable KAFKA_PW is not set"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
