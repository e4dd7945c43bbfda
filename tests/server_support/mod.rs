//! Runs the real `flowgate` binary on loopback for the server_* tests:
//! free ports, a reader thread per output stream, a tiny HTTP client, and
//! a Drop that never leaves a process behind.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_flowgate");

/// How long any wait in these tests may take before it fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A UDP port free right now on 127.0.0.1 (bound and released).
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A scratch directory for one test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The UDP payloads of a capture, in order, with their original source.
pub fn datagrams(path: &Path) -> Vec<(SocketAddr, Vec<u8>)> {
    let mut r = flowgate_pcap::open(path).unwrap();
    let mut out = Vec::new();
    while let Some(d) = r.next_datagram().unwrap() {
        out.push((d.src, d.payload.to_vec()));
    }
    out
}

/// Sends payloads from one socket, pausing now and then so that loopback
/// and the receive buffer keep up.
pub fn send_all(to: SocketAddr, payloads: &[Vec<u8>]) -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (i, p) in payloads.iter().enumerate() {
        s.send_to(p, to).unwrap();
        if i % 64 == 63 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    s
}

pub struct Server {
    pub child: Child,
    pub http: SocketAddr,
    lines: Option<Receiver<String>>,
    stderr: Arc<Mutex<String>>,
}

pub struct Options<'a> {
    pub args: Vec<String>,
    pub env: Vec<(&'a str, String)>,
    /// Leave stdout unread (to make the stdout sink block).
    pub stdout_unread: bool,
}

impl Server {
    /// Starts `flowgate run` with `--http` on a free port and `args`, and
    /// waits until /readyz answers 200.
    pub fn start(args: &[&str]) -> Server {
        Self::start_with(Options {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            stdout_unread: false,
        })
    }

    pub fn start_with(o: Options<'_>) -> Server {
        let mut server = Self::spawn_with(o);
        server.wait_ready();
        server
    }

    /// Starts `flowgate run` like [`Server::start_with`] but returns at
    /// once, for tests that watch the start-up itself.
    pub fn spawn_with(o: Options<'_>) -> Server {
        let http: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("run")
            .arg("--http")
            .arg(http.to_string())
            .args(&o.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &o.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("flowgate starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let mut err = child.stderr.take().unwrap();
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let out = child.stdout.take().unwrap();
        let lines = if o.stdout_unread {
            // Kept open and never read: the pipe fills and the sink blocks.
            std::mem::forget::<ChildStdout>(out);
            None
        } else {
            Some(read_lines(out))
        };
        Server {
            child,
            http,
            lines,
            stderr,
        }
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "flowgate exited ({status}) before ready:\n{}",
                    self.stderr()
                );
            }
            if matches!(self.get("/readyz"), Ok((200, _))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not ready in time:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str) -> std::io::Result<(u16, String)> {
        http_get(self.http, path)
    }

    pub fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics").unwrap();
        assert_eq!(status, 200);
        body
    }

    /// The value of one series: `name` followed by its exact label set,
    /// e.g. `flowgate_records_total{exporter="127.0.0.1",protocol="ipfix"}`.
    pub fn metric(&self, series: &str) -> Option<f64> {
        metric_value(&self.metrics(), series)
    }

    /// Waits until `series` reaches at least `want`; returns the last value.
    pub fn wait_metric(&self, series: &str, want: f64) -> f64 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let v = self.metric(series).unwrap_or(0.0);
            if v >= want || Instant::now() > deadline {
                return v;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for `n` lines on stdout (fewer if they do not come in time).
    pub fn lines(&self, n: usize) -> Vec<String> {
        let rx = self.lines.as_ref().expect("stdout is read");
        let deadline = Instant::now() + PATIENCE;
        let mut out = Vec::new();
        while out.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => out.push(l),
                Err(_) => break,
            }
        }
        out
    }

    /// Every stdout line until the process closes it.
    pub fn remaining_lines(&self) -> Vec<String> {
        let rx = self.lines.as_ref().expect("stdout is read");
        let deadline = Instant::now() + PATIENCE;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => out.push(l),
                Err(_) => return out,
            }
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits for the process to exit on its own.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn read_lines(out: ChildStdout) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
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
        .unwrap_or(0);
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, body.to_owned()))
}

pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Runs the binary to completion with `args` (for check-config, healthcheck).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An IPFIX message: header, then the given sets.
pub fn ipfix(domain: u32, seq: u32, sets: &[Vec<u8>]) -> Vec<u8> {
    let len = 16 + sets.iter().map(Vec::len).sum::<usize>();
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&10u16.to_be_bytes());
    m.extend_from_slice(&(len as u16).to_be_bytes());
    m.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&domain.to_be_bytes());
    for s in sets {
        m.extend_from_slice(s);
    }
    m
}

/// Template 256: sourceIPv4Address, destinationIPv4Address, octetDeltaCount(8), packetDeltaCount(8).
pub fn ipfix_template_set() -> Vec<u8> {
    let fields: [(u16, u16); 4] = [(8, 4), (12, 4), (1, 8), (2, 8)];
    let mut s = Vec::new();
    s.extend_from_slice(&2u16.to_be_bytes());
    s.extend_from_slice(&((4 + 4 + 4 * fields.len()) as u16).to_be_bytes());
    s.extend_from_slice(&256u16.to_be_bytes());
    s.extend_from_slice(&(fields.len() as u16).to_be_bytes());
    for (id, len) in fields {
        s.extend_from_slice(&id.to_be_bytes());
        s.extend_from_slice(&len.to_be_bytes());
    }
    s
}

/// A data set of template 256, one record per `bytes` value.
pub fn ipfix_data_set(src: [u8; 4], bytes: &[u64]) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(&256u16.to_be_bytes());
    s.extend_from_slice(&((4 + 24 * bytes.len()) as u16).to_be_bytes());
    for &b in bytes {
        s.extend_from_slice(&src);
        s.extend_from_slice(&[198, 51, 100, 1]);
        s.extend_from_slice(&b.to_be_bytes());
        s.extend_from_slice(&1u64.to_be_bytes());
    }
    s
}

/// A NetFlow v5 datagram with `records` records whose bytes are `tag`.
pub fn v5(seq: u32, records: u16, tag: u32) -> Vec<u8> {
    let mut d = vec![0u8; 24 + 48 * records as usize];
    d[1] = 5;
    d[2..4].copy_from_slice(&records.to_be_bytes());
    d[16..20].copy_from_slice(&seq.to_be_bytes());
    for r in 0..records as usize {
        let rec = &mut d[24 + 48 * r..];
        rec[0..4].copy_from_slice(&[10, 0, 0, 1]);
        rec[20..24].copy_from_slice(&tag.to_be_bytes());
    }
    d
}

pub fn write(path: &Path, text: &str) {
    std::fs::File::create(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}
