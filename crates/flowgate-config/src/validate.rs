//! Checks serde cannot express. Each message names the key, the value and
//! the fix, and every problem is reported at once rather than one per start.

use std::net::IpAddr;

use crate::listen::{format_bind_addr, ListenUri};
use crate::Config;

const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// `Ok(warnings)` or `Err(problems)`.
pub fn validate(c: &Config) -> Result<Vec<String>, Vec<String>> {
    let mut bad = Vec::new();
    let mut warn = Vec::new();

    if let Err(e) = check_log_level(&c.log.level) {
        bad.push(format!("log.level: {e}"));
    }
    check_listeners(&c.listeners, &mut bad);
    let r = &c.receive;
    range(
        &mut bad,
        "receive.workers",
        r.workers,
        0,
        256,
        "0 means one per core",
    );
    range(
        &mut bad,
        "receive.batch_size",
        r.batch_size,
        1,
        1024,
        "32 is a good start",
    );
    range(
        &mut bad,
        "receive.max_datagram_size",
        r.max_datagram_size,
        512,
        65535,
        "UDP carries at most 65535",
    );
    range(
        &mut bad,
        "receive.receive_buffer",
        r.receive_buffer.0 as usize,
        4096,
        1 << 30,
        "write e.g. 8MiB; the kernel caps it at net.core.rmem_max",
    );
    for (i, l) in c.listeners.iter().enumerate() {
        if let Some(w) = l.workers {
            range(
                &mut bad,
                &format!("listeners[{i}] workers"),
                w,
                0,
                256,
                "0 means one per core",
            );
        }
        if let Some(b) = l.receive_buffer {
            let key = format!("listeners[{i}] receive_buffer");
            range(
                &mut bad,
                &key,
                b.0 as usize,
                4096,
                1 << 30,
                "write e.g. 8MiB",
            );
        }
    }
    let d = &c.decoder;
    range(
        &mut bad,
        "decoder.max_exporters",
        d.max_exporters,
        1,
        10_000_000,
        "",
    );
    range(
        &mut bad,
        "decoder.max_templates_per_exporter",
        d.max_templates_per_exporter,
        1,
        65_536,
        "",
    );
    range(
        &mut bad,
        "decoder.max_pending_sets_per_exporter",
        d.max_pending_sets_per_exporter,
        0,
        1_000_000,
        "",
    );
    if c.state.save_interval.get().as_millis() < 1000 {
        bad.push(format!(
            "state.save_interval: {} is too short; fix: use 1s or more (60s is the default)",
            c.state.save_interval
        ));
    }
    range(
        &mut bad,
        "metrics.max_exporters",
        c.metrics.max_exporters,
        1,
        1_000_000,
        "each exporter adds a few series",
    );

    crate::sinks::validate(&c.sinks, &mut bad, &mut warn);
    crate::enrich::validate(&c.enrich, &mut bad);
    if c.shutdown.drain_timeout.get().as_secs() > 600 {
        bad.push(format!(
            "shutdown.drain_timeout: {} is too long; fix: use 10m or less",
            c.shutdown.drain_timeout
        ));
    }
    if bad.is_empty() {
        Ok(warn)
    } else {
        Err(bad)
    }
}

fn range(bad: &mut Vec<String>, key: &str, v: usize, lo: usize, hi: usize, hint: &str) {
    if v < lo || v > hi {
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!(" ({hint})")
        };
        bad.push(format!(
            "{key}: {v} is out of range; fix: use {lo} to {hi}{hint}"
        ));
    }
}

/// A level (`info`) or env-filter directives (`flowgate_server=debug,warn`).
/// A bare word must be a level: env-filter would read `verbose` as "trace
/// for the target named verbose, nothing else", which is never meant.
pub fn check_log_level(spec: &str) -> Result<(), String> {
    let fix = "fix: use off, error, warn, info, debug or trace, or directives like 'flowgate_server=debug,info'";
    if spec.trim().is_empty() {
        return Err(format!("empty; {fix}"));
    }
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (target, level) = match part.rsplit_once('=') {
            Some((t, l)) => (Some(t), l),
            None => (None, part),
        };
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            let within = if level == spec.trim() {
                String::new()
            } else {
                format!(" in '{spec}'")
            };
            return Err(format!("'{level}'{within} is not a level; {fix}"));
        }
        if let Some(t) = target {
            let ok = !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_:-.[]{}\"".contains(c));
            if !ok {
                return Err(format!("'{t}' in '{spec}' is not a target name; {fix}"));
            }
        }
    }
    Ok(())
}

fn check_listeners(listeners: &[ListenUri], bad: &mut Vec<String>) {
    if listeners.is_empty() {
        bad.push("listeners: empty; fix: list at least one URI such as netflow://:2055".into());
    }
    for (i, a) in listeners.iter().enumerate() {
        for b in &listeners[..i] {
            if a.addr.port() != b.addr.port() || a.addr.port() == 0 {
                continue;
            }
            // [::] with IPV6_V6ONLY off also takes the port on every IPv4 address.
            let wild6 = |u: &ListenUri| u.addr.ip() == IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);
            let v4 = |u: &ListenUri| u.addr.is_ipv4();
            let clash = a.addr.ip() == b.addr.ip()
                || a.addr.ip().is_unspecified() && a.addr.is_ipv4() == b.addr.is_ipv4()
                || b.addr.ip().is_unspecified() && a.addr.is_ipv4() == b.addr.is_ipv4()
                || (wild6(a) && v4(b))
                || (wild6(b) && v4(a));
            if clash {
                bad.push(format!(
                    "listeners: '{a}' and '{b}' both take UDP port {} on {}; fix: give each listener its own port, or one URI with both protocols (e.g. netflow+sflow://{})",
                    a.addr.port(),
                    format_bind_addr(&a.addr),
                    format_bind_addr(&a.addr),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_directives() {
        for ok in [
            "info",
            "DEBUG",
            "flowgate_server=debug,info",
            "warn,flowgate=trace",
        ] {
            check_log_level(ok).unwrap();
        }
        for bad in ["verbose", "", "flowgate=loud", "=info"] {
            assert!(check_log_level(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn listeners_on_one_port_clash() {
        let mut c = Config {
            listeners: crate::listen::parse_uri_list(&[
                "netflow://:2055,sflow://127.0.0.1:2055".into()
            ])
            .unwrap(),
            ..Default::default()
        };
        let e = validate(&c).unwrap_err();
        assert!(e[0].contains("both take UDP port 2055"), "{e:?}");
        c.listeners = crate::listen::parse_uri_list(&[
            "netflow://127.0.0.1:2055,sflow://127.0.0.2:2055".into(),
        ])
        .unwrap();
        validate(&c).unwrap();
    }
}
