//! `flowgate check-config` and `flowgate healthcheck`.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use flowgate_config::{format_bind_addr, load, load_for_process, parse_bind_addr, RunArgs};

/// Validates `file` (with the FLOWGATE_* environment on top) and prints the
/// effective configuration as YAML. Exit 0 when valid, 1 with every
/// problem on stderr when not.
pub fn check_config(file: &Path) -> ExitCode {
    match load(Some(file), std::env::vars(), &RunArgs::default()) {
        Ok(l) => {
            for w in &l.warnings {
                eprintln!("flowgate: warning: {w}");
            }
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "# effective configuration: {} + FLOWGATE_* environment",
                file.display()
            );
            for a in &l.env_applied {
                let _ = writeln!(out, "# {} sets {}", a.var, a.key);
            }
            let _ = out.write_all(l.config.to_yaml().as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("flowgate: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// The instance's HTTP address (default: http.address of the configuration)
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,

    /// Config file to take http.address from (default: $FLOWGATE_CONFIG)
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Path to ask: /healthz (the process works) or /readyz (it receives)
    #[arg(long, default_value = "/healthz")]
    pub path: String,

    /// Seconds to wait for the answer
    #[arg(long, default_value_t = 2)]
    pub timeout: u64,
}

/// Exit 0 when the instance answers 200, 1 otherwise (for container
/// HEALTHCHECKs and scripts).
pub fn healthcheck(args: HealthcheckArgs) -> ExitCode {
    let addr = match &args.http {
        Some(a) => parse_bind_addr(a),
        None => {
            let run = RunArgs {
                config: args.config.clone(),
                ..Default::default()
            };
            load_for_process(&run)
                .map(|l| l.config.http.address)
                .map_err(|e| e.to_string())
        }
    };
    let addr = match addr {
        Ok(a) => connectable(a),
        Err(e) => {
            eprintln!("flowgate: healthcheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    match get_status(addr, &args.path, Duration::from_secs(args.timeout.max(1))) {
        Ok((200, body)) => {
            println!("{} {}: {}", format_bind_addr(&addr), args.path, body.trim());
            ExitCode::SUCCESS
        }
        Ok((status, body)) => {
            eprintln!(
                "flowgate: healthcheck: {addr}{}: HTTP {status}: {}",
                args.path,
                body.trim()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("flowgate: healthcheck: {addr}{}: {e}", args.path);
            ExitCode::FAILURE
        }
    }
}

/// A listening address of "every interface" is reached on loopback.
fn connectable(a: SocketAddr) -> SocketAddr {
    match a.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), a.port())
        }
        // [::] is dual-stack, and 127.0.0.1 works where IPv6 is off.
        IpAddr::V6(ip) if ip == Ipv6Addr::UNSPECIFIED => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), a.port())
        }
        _ => a,
    }
}

/// A minimal HTTP/1.1 GET: the status code and the body.
pub fn get_status(
    addr: SocketAddr,
    path: &str,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP answer"))?;
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}
