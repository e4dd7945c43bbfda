//! systemd's readiness protocol (sd_notify), without libsystemd: one
//! datagram per state change to the socket named by `NOTIFY_SOCKET`, a path
//! or `@name` for an abstract socket. With `Type=notify` systemd starts the
//! units that depend on flowgate only once READY=1 says the ports are open,
//! and with `WatchdogSec=` it restarts a collector whose pings stop.
//!
//! Everything here is best effort: a collector that cannot tell systemd it
//! is ready must still collect, so a failed send is logged once and never
//! stops anything.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The notification socket of the service manager, or nothing (every call
/// is then a no-op) when flowgate was not started by one.
pub struct SdNotify {
    target: Option<(UnixDatagram, SocketAddr)>,
    /// Set after the first failed send, so a gone manager does not fill the
    /// log with one line per watchdog ping.
    failed: AtomicBool,
}

impl SdNotify {
    /// From `NOTIFY_SOCKET`. A value that cannot be used is logged and
    /// ignored.
    pub fn from_env() -> SdNotify {
        let target = std::env::var_os("NOTIFY_SOCKET").and_then(|v| {
            let name = v.to_string_lossy().into_owned();
            match connect(&name) {
                Ok(t) => Some(t),
                Err(e) => {
                    tracing::warn!("NOTIFY_SOCKET={name}: not used, systemd will not hear that flowgate is ready: {e}");
                    None
                }
            }
        });
        SdNotify {
            target,
            failed: AtomicBool::new(false),
        }
    }

    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// Sends `state`, newline-separated `KEY=VALUE` assignments.
    pub fn send(&self, state: &str) {
        let Some((sock, addr)) = &self.target else {
            return;
        };
        if let Err(e) = sock.send_to_addr(state.as_bytes(), addr) {
            if !self.failed.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "telling systemd {:?} failed (logged once): {e}",
                    first_line(state)
                );
            }
        }
    }

    /// RELOADING=1 with the clock reading newer systemd versions require
    /// (older ones ignore it); READY=1 must follow when the reload is done.
    pub fn reloading(&self) {
        self.send(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration",
            monotonic_usec()
        ));
    }
}

/// Sends WATCHDOG=1 every `every` while `healthy()` holds. A watchdog
/// restart is for a collector that no longer receives: a hung event loop
/// (this task runs on it, beside the signal and HTTP handling) or a receive
/// worker that died. A failing sink is not a reason: restarting would not
/// bring its brokers back, and /healthz already reports it.
pub async fn watchdog(notify: Arc<SdNotify>, every: Duration, healthy: impl Fn() -> bool) {
    let mut tick = tokio::time::interval(every);
    let mut warned = false;
    loop {
        tick.tick().await;
        if healthy() {
            notify.send("WATCHDOG=1");
        } else if !warned {
            warned = true;
            tracing::error!(
                "a receive worker stopped: no more watchdog pings, systemd will restart flowgate"
            );
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// An unbound datagram socket and the manager's address. `@name` is the
/// abstract namespace (Linux); anything else must be an absolute path.
fn connect(name: &str) -> io::Result<(UnixDatagram, SocketAddr)> {
    let addr = if let Some(abstract_name) = name.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(abstract_name.as_bytes())?
    } else if name.starts_with('/') {
        SocketAddr::from_pathname(name)?
    } else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "only a socket path or an @abstract name is supported",
        ));
    };
    Ok((UnixDatagram::unbound()?, addr))
}

/// How often to send WATCHDOG=1: half of `WATCHDOG_USEC`, as sd_notify(3)
/// advises, when that is set and `WATCHDOG_PID` is unset or this process
/// (the variables are inherited, and a child must not ping for its parent).
pub fn watchdog_interval() -> Option<Duration> {
    interval_from(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
    )
}

fn interval_from(usec: Option<&str>, pid: Option<&str>, me: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok() != Some(me) {
            return None;
        }
    }
    Some(Duration::from_micros(usec / 2))
}

fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_interval_is_half_and_only_for_this_process() {
        let half = Some(Duration::from_millis(15_000));
        assert_eq!(interval_from(Some("30000000"), None, 7), half);
        assert_eq!(interval_from(Some("30000000"), Some("7"), 7), half);
        assert_eq!(interval_from(Some("30000000"), Some("8"), 7), None);
        assert_eq!(interval_from(Some("0"), None, 7), None);
        assert_eq!(interval_from(Some("soon"), None, 7), None);
        assert_eq!(interval_from(None, Some("7"), 7), None);
    }

    #[test]
    fn sends_to_a_path_and_to_an_abstract_socket() {
        let dir = std::env::temp_dir().join(format!("flowgate-sdnotify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let by_path = UnixDatagram::bind(&path).unwrap();
        let name = format!("flowgate-sdnotify-test-{}", std::process::id());
        let by_name = {
            use std::os::linux::net::SocketAddrExt;
            let a = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
            UnixDatagram::bind_addr(&a).unwrap()
        };
        for (listener, target) in [
            (&by_path, path.to_str().unwrap().to_owned()),
            (&by_name, format!("@{name}")),
        ] {
            let n = SdNotify {
                target: Some(connect(&target).unwrap()),
                failed: AtomicBool::new(false),
            };
            n.send("READY=1\nSTATUS=x");
            let mut buf = [0u8; 64];
            listener
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let len = listener.recv(&mut buf).unwrap();
            assert_eq!(&buf[..len], b"READY=1\nSTATUS=x", "{target}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_relative_path_is_refused_and_a_failed_send_is_not_fatal() {
        assert!(connect("notify.sock").is_err());
        let n = SdNotify {
            target: Some(connect("/nonexistent/flowgate/notify").unwrap()),
            failed: AtomicBool::new(false),
        };
        n.send("READY=1");
        n.send("WATCHDOG=1");
        assert!(n.failed.load(Ordering::Relaxed));
    }
}
