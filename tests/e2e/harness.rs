//! The real-exporter lab harness shared by the end-to-end tests: `lab.sh`
//! (network-namespace pods, Open vSwitch, softflowd) and a `flowgate run`
//! child on free loopback ports, both torn down on drop.
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

// One HTTP GET helper and one free-port helper for every test binary.
#[path = "../server_support/mod.rs"]
mod server_support;
pub use server_support::{free_tcp_port, free_udp_port, http_get};

pub const BIN: &str = env!("CARGO_BIN_EXE_flowgate");

/// One lab at a time in this process.
pub static LAB_LOCK: Mutex<()> = Mutex::new(());

/// How long any one lab.sh subcommand may take (`up` may wait up to 120 s for
/// another lab on this host to go down).
pub const LAB_COMMAND_LIMIT: Duration = Duration::from_secs(150);

// ---------------------------------------------------------------- prerequisites

pub fn lab_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/lab.sh")
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// True when the lab can run. Otherwise prints a loud SKIPPED naming what is
/// missing and returns false, or fails the test under CI.
pub fn lab_available(test: &str) -> bool {
    let missing = match Command::new("bash").arg(lab_script()).arg("check").output() {
        Ok(o) if o.status.success() => return true,
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            if text.is_empty() {
                format!(
                    "`lab.sh check` failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                )
            } else {
                text
            }
        }
        Err(e) => format!("bash ({e})"),
    };
    if under_ci() {
        panic!(
            "{test}: CI=true but the exporter lab cannot run ({missing}); .ci/run installs \
             openvswitch-switch softflowd iproute2 ethtool iputils-ping and runs as root"
        );
    }
    eprintln!(
        "\n########################################################################\n\
         ## SKIPPED {test}\n\
         ## the real-exporter lab cannot run here: {missing}\n\
         ## (run as root with openvswitch-switch, softflowd, iproute2, ethtool,\n\
         ##  iputils-ping and python3 installed; under CI=true this fails)\n\
         ########################################################################\n"
    );
    false
}

pub fn lock_lab() -> MutexGuard<'static, ()> {
    LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------- the lab

/// The lab of one test. Drop always runs `lab.sh down`.
pub struct Lab {
    env: Vec<(String, String)>,
    pub facts: HashMap<String, String>,
}

impl Lab {
    /// `lab.sh up` with `FG_LAB_NAME=name` and the given FG_LAB_* settings.
    pub fn up(name: &str, settings: &[(&str, String)]) -> Lab {
        let mut env = vec![
            ("FG_LAB_NAME".to_owned(), name.to_owned()),
            // every daemon the lab starts dies by itself after this, whatever happens to us
            ("FG_LAB_LIFETIME".to_owned(), "240".to_owned()),
        ];
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let mut lab = Lab {
            env,
            facts: HashMap::new(),
        };
        let out = lab.run(&["up"]);
        lab.facts = parse_facts(&out);
        lab
    }

    /// Runs one lab.sh subcommand to completion (bounded) and returns its stdout;
    /// panics with its stderr when it fails.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.try_run(args).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "lab.sh {} failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs one lab.sh subcommand, killing it after LAB_COMMAND_LIMIT. Never panics
    /// (Drop uses it).
    pub fn try_run(&self, args: &[&str]) -> Result<Output, String> {
        let mut cmd = Command::new("bash");
        cmd.arg(lab_script())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().map_err(|e| format!("bash lab.sh: {e}"))?;
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(LAB_COMMAND_LIMIT) {
            Ok(out) => out.map_err(|e| format!("lab.sh {}: {e}", args.join(" "))),
            Err(_) => {
                // Only the script we started, by its pid; its daemons are bounded by FG_LAB_LIFETIME.
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
                Err(format!(
                    "lab.sh {} did not finish in {LAB_COMMAND_LIMIT:?}",
                    args.join(" ")
                ))
            }
        }
    }

    pub fn fact(&self, key: &str) -> &str {
        self.facts
            .get(key)
            .unwrap_or_else(|| panic!("lab.sh up printed no {key}: {:?}", self.facts))
    }

    pub fn num(&self, key: &str) -> u64 {
        self.fact(key)
            .parse()
            .unwrap_or_else(|_| panic!("{key}={} is not a number", self.fact(key)))
    }

    /// The exporters' own counts (`lab.sh stats`).
    pub fn stats(&self) -> HashMap<String, u64> {
        parse_facts(&self.run(&["stats"]))
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
            .collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        match self.try_run(&["down"]) {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "lab.sh down failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("{e}"),
        }
    }
}

pub fn parse_facts(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

// ---------------------------------------------------------------- flowgate

/// `flowgate run` on loopback, its stdout read on a thread. Drop kills it.
pub struct Flowgate {
    pub child: Child,
    pub http: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl Flowgate {
    /// `flowgate run` on a free loopback HTTP port with one `--listen` per listener.
    pub fn listening(listeners: &[String]) -> Flowgate {
        let args: Vec<String> = listeners.iter().map(|l| format!("--listen={l}")).collect();
        Flowgate::start(&args)
    }

    /// `flowgate run --http 127.0.0.1:FREE ARGS…`, returned once /readyz says 200.
    pub fn start(args: &[String]) -> Flowgate {
        let http: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("run")
            .arg("--http")
            .arg(http.to_string())
            .args(args);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("flowgate starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut fg = Flowgate {
            child,
            http,
            lines,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = fg.child.try_wait() {
                panic!("flowgate exited ({status}) before ready:\n{}", fg.stderr());
            }
            if matches!(http_get(fg.http, "/readyz"), Ok((200, _))) {
                return fg;
            }
            assert!(
                Instant::now() < deadline,
                "flowgate not ready:\n{}",
                fg.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Every stdout line so far, parsed.
    pub fn records(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l}"))
            })
            .collect()
    }

    /// The Prometheus text of one GET /metrics.
    pub fn metrics_text(&self) -> String {
        let (status, body) = http_get(self.http, "/metrics").expect("GET /metrics");
        assert_eq!(status, 200, "GET /metrics: {body}");
        body
    }
}

impl Drop for Flowgate {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
