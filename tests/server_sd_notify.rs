//! Running under systemd (`Type=notify`, `WatchdogSec=`): the collector
//! says READY=1 only once its ports are open, pings the watchdog, and says
//! RELOADING=1 / READY=1 around SIGHUP and STOPPING=1 at SIGTERM. The test
//! plays the service manager with a datagram socket of its own.

mod server_support;

use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use server_support::*;

/// The manager's end: the socket flowgate is told about in NOTIFY_SOCKET.
struct Manager {
    sock: UnixDatagram,
    path: PathBuf,
}

impl Manager {
    fn new(name: &str) -> Manager {
        let path = scratch(name).join("notify");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Manager { sock, path }
    }

    fn recv(&self) -> Option<String> {
        let mut buf = [0u8; 4096];
        let n = self.sock.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Messages until one whose first line is `first` (included), failing
    /// after PATIENCE.
    fn until(&self, first: &str, server: &Server) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Some(m) = self.recv() {
                let done = m.lines().next() == Some(first);
                seen.push(m);
                if done {
                    return seen;
                }
            }
        }
        panic!(
            "no {first} in time; got {seen:?}; stderr:\n{}",
            server.stderr()
        );
    }

    /// Every message that arrives within `d`.
    fn during(&self, d: Duration) -> Vec<String> {
        let end = Instant::now() + d;
        let mut seen = Vec::new();
        while Instant::now() < end {
            seen.extend(self.recv());
        }
        seen
    }
}

fn start(manager: &Manager, watchdog_pid: Option<String>) -> (Server, u16) {
    let udp = free_udp_port();
    let state = manager.path.with_file_name("state");
    let mut env = vec![
        ("NOTIFY_SOCKET", manager.path.to_str().unwrap().to_owned()),
        ("WATCHDOG_USEC", "200000".to_owned()),
    ];
    if let Some(pid) = watchdog_pid {
        env.push(("WATCHDOG_PID", pid));
    }
    let server = Server::spawn_with(Options {
        args: vec![
            "--listen".into(),
            format!("netflow://127.0.0.1:{udp}"),
            "--workers".into(),
            "1".into(),
            "--state-dir".into(),
            state.to_str().unwrap().to_owned(),
        ],
        env,
        stdout_unread: false,
    });
    (server, udp)
}

#[test]
fn ready_only_once_listening_then_watchdog_reload_and_stopping() {
    let manager = Manager::new("sd-notify");
    let (mut server, udp) = start(&manager, None);

    let before_ready = manager.until("READY=1", &server);
    // Checked the moment READY=1 is read: the port is taken (flowgate's
    // socket has SO_REUSEPORT, this one does not, so the bind must fail)
    // and /readyz already says 200.
    let taken = UdpSocket::bind(("127.0.0.1", udp));
    assert!(
        taken.is_err(),
        "READY=1 came before 127.0.0.1:{udp} was bound"
    );
    assert_eq!(server.get("/readyz").unwrap().0, 200);
    assert_eq!(
        before_ready.len(),
        1,
        "nothing before READY=1: {before_ready:?}"
    );
    let ready = &before_ready[0];
    assert!(
        ready.contains("\nSTATUS=") && ready.contains(&format!("127.0.0.1:{udp}")),
        "the status names the listener: {ready:?}"
    );

    // WATCHDOG_USEC=200000: a ping every 100 ms.
    let pings = manager
        .during(Duration::from_secs(1))
        .iter()
        .filter(|m| *m == "WATCHDOG=1")
        .count();
    assert!(pings >= 2, "{pings} watchdog pings in 1 s");

    server.signal("HUP");
    let reload = manager.until("RELOADING=1", &server);
    let reload_msg = reload.last().unwrap();
    assert!(
        reload_msg.contains("\nMONOTONIC_USEC="),
        "newer systemd wants the clock: {reload_msg:?}"
    );
    manager.until("READY=1", &server);

    server.signal("TERM");
    let stopping = manager.until("STOPPING=1", &server);
    assert!(stopping.last().unwrap().contains("\nSTATUS=stopping"));
    assert!(server.wait_exit().success(), "{}", server.stderr());
}

#[test]
fn no_watchdog_pings_when_watchdog_pid_names_another_process() {
    let manager = Manager::new("sd-notify-pid");
    // PID 1 is never the collector: the variables were meant for a parent.
    let (mut server, _) = start(&manager, Some("1".to_owned()));
    manager.until("READY=1", &server);
    let seen = manager.during(Duration::from_millis(600));
    assert!(
        !seen.iter().any(|m| m == "WATCHDOG=1"),
        "pinged for another process: {seen:?}"
    );
    server.signal("TERM");
    assert!(server.wait_exit().success(), "{}", server.stderr());
}
