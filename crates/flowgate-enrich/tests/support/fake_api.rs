//! An in-process stand-in for kube-apiserver: list and watch of pods,
//! services, nodes, replicasets and jobs, serving recorded object JSON.
//!
//! It behaves as the real server does where kube-rs can tell: one global
//! resourceVersion stamped on every write; lists carry it in
//! `metadata.resourceVersion` and their items have no kind/apiVersion;
//! `?watch=true&resourceVersion=N` streams every later event as chunked
//! JSON lines (`{"type":"ADDED","object":{...}}`) until `timeoutSeconds`;
//! `Accept: ...;as=PartialObjectMetadata...` gets `meta.k8s.io/v1`
//! PartialObjectMetadata(List) objects. [`FakeApi::stop`] makes it
//! unreachable (listener closed, watches cut, connection refused) and
//! [`FakeApi::start`] brings it back on the same port with the same state.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::watch;

/// Resource name to (list path prefix, kind).
const RESOURCES: [(&str, &str, &str); 5] = [
    ("pods", "/api/v1", "Pod"),
    ("services", "/api/v1", "Service"),
    ("nodes", "/api/v1", "Node"),
    ("replicasets", "/apis/apps/v1", "ReplicaSet"),
    ("jobs", "/apis/batch/v1", "Job"),
];

#[derive(Default)]
struct Store {
    rv: u64,
    objects: BTreeMap<(String, String, String), Value>,
    /// Every event ever, in order: (rv, resource, type, object).
    log: Vec<(u64, String, &'static str, Value)>,
    /// Requests served, by "resource watch|list".
    requests: HashMap<String, usize>,
}

struct Shared {
    store: Mutex<Store>,
    /// Bumped on every write: wakes the watch streams.
    changed: watch::Sender<u64>,
    /// False while "unreachable": ends every watch stream.
    up: watch::Sender<bool>,
}

pub struct FakeApi {
    shared: Arc<Shared>,
    pub addr: SocketAddr,
    rt: tokio::runtime::Runtime,
    server: Option<tokio::task::JoinHandle<()>>,
    dir: PathBuf,
}

fn key(resource: &str, obj: &Value) -> (String, String, String) {
    let m = &obj["metadata"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (resource.to_owned(), s(&m["namespace"]), s(&m["name"]))
}

impl FakeApi {
    /// Picks a free port and does not listen yet: the API server is
    /// "unreachable" until [`FakeApi::start`].
    pub fn new() -> FakeApi {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "flowgate-fake-api-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        FakeApi {
            shared: Arc::new(Shared {
                store: Mutex::new(Store {
                    rv: 1000,
                    ..Default::default()
                }),
                changed: watch::channel(0).0,
                up: watch::channel(false).0,
            }),
            addr,
            rt,
            server: None,
            dir,
        }
    }

    pub fn start(&mut self) {
        let shared = self.shared.clone();
        let addr = self.addr;
        let listener = self.rt.block_on(async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match tokio::net::TcpListener::bind(addr).await {
                    Ok(l) => return l,
                    Err(e) if Instant::now() > deadline => panic!("rebinding {addr}: {e}"),
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        shared.up.send_replace(true);
        let router = Router::new()
            .route("/api/v1/{resource}", get(serve_core))
            .route("/apis/{group}/{version}/{resource}", get(serve_group))
            .with_state(shared);
        self.server = Some(self.rt.spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
    }

    /// Unreachable: the listener closes and every watch stream ends.
    pub fn stop(&mut self) {
        self.shared.up.send_replace(false);
        if let Some(s) = self.server.take() {
            s.abort();
            let _ = self.rt.block_on(s);
        }
    }

    /// A kubeconfig for this server (plain HTTP, no credentials).
    pub fn kubeconfig(&self) -> PathBuf {
        let path = self.dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: reader\ncurrent-context: fake\nusers:\n- name: reader\n  user: {{}}\n",
            self.addr
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Creates or replaces an object (ADDED or MODIFIED on the watches).
    pub fn apply(&self, resource: &str, obj: Value) {
        self.write(resource, None, obj);
    }

    pub fn delete(&self, resource: &str, obj: Value) {
        self.write(resource, Some("DELETED"), obj);
    }

    /// Replays a recorded watch stream (`{"type","object"}` lines) as writes.
    pub fn replay(&self, resource: &str, jsonl: &Path) {
        for line in std::fs::read_to_string(jsonl).unwrap().lines() {
            let ev: Value = serde_json::from_str(line).unwrap();
            let ty = ev["type"].as_str().unwrap();
            let obj = ev["object"].clone();
            self.write(resource, (ty == "DELETED").then_some("DELETED"), obj);
        }
    }

    fn write(&self, resource: &str, deleted: Option<&'static str>, mut obj: Value) {
        assert!(RESOURCES.iter().any(|r| r.0 == resource), "{resource}");
        let mut s = self.shared.store.lock().unwrap();
        s.rv += 1;
        let rv = s.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let k = key(resource, &obj);
        let ty = match deleted {
            Some(t) => {
                s.objects.remove(&k);
                t
            }
            None => match s.objects.insert(k, obj.clone()) {
                Some(_) => "MODIFIED",
                None => "ADDED",
            },
        };
        s.log.push((rv, resource.to_owned(), ty, obj));
        drop(s);
        self.shared.changed.send_replace(rv);
    }

    /// Requests served so far for `resource`, e.g. ("pods", "watch").
    pub fn requests(&self, resource: &str, verb: &str) -> usize {
        let s = self.shared.store.lock().unwrap();
        s.requests
            .get(&format!("{resource} {verb}"))
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn serve_core(
    State(s): State<Arc<Shared>>,
    UrlPath(resource): UrlPath<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    serve(s, "/api/v1", resource, q, headers)
}

async fn serve_group(
    State(s): State<Arc<Shared>>,
    UrlPath((group, version, resource)): UrlPath<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    serve(s, &format!("/apis/{group}/{version}"), resource, q, headers)
}

/// The object as served: whole, or as PartialObjectMetadata.
fn shape(obj: &Value, meta_only: bool) -> Value {
    if meta_only {
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
    } else {
        obj.clone()
    }
}

fn serve(
    s: Arc<Shared>,
    prefix: &str,
    resource: String,
    q: HashMap<String, String>,
    headers: HeaderMap,
) -> Response {
    let Some(&(_, _, kind)) = RESOURCES
        .iter()
        .find(|(r, p, _)| *r == resource && *p == prefix)
    else {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    };
    let meta_only = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadata"));
    let watching = matches!(q.get("watch").map(String::as_str), Some("true" | "1"));
    let verb = if watching { "watch" } else { "list" };
    let mut store = s.store.lock().unwrap();
    *store
        .requests
        .entry(format!("{resource} {verb}"))
        .or_default() += 1;
    // One response per connection: when "unreachable", no kept-alive
    // connection may outlive the listener.
    let close = [
        (header::CONNECTION, "close"),
        (header::CONTENT_TYPE, "application/json"),
    ];
    if !watching {
        let items: Vec<Value> = store
            .objects
            .iter()
            .filter(|((r, _, _), _)| *r == resource)
            .map(|(_, o)| {
                let mut o = shape(o, meta_only);
                // Items of a real list response carry no kind/apiVersion.
                if let Some(m) = o.as_object_mut() {
                    m.remove("kind");
                    m.remove("apiVersion");
                }
                o
            })
            .collect();
        let (list_kind, api_version) = if meta_only {
            (
                "PartialObjectMetadataList".to_owned(),
                "meta.k8s.io/v1".to_owned(),
            )
        } else {
            (
                format!("{kind}List"),
                prefix
                    .trim_start_matches("/api/")
                    .trim_start_matches("/apis/")
                    .to_owned(),
            )
        };
        let body = json!({"kind": list_kind, "apiVersion": api_version,
            "metadata": {"resourceVersion": store.rv.to_string()}, "items": items});
        return (close, body.to_string()).into_response();
    }
    let from: u64 = q
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // resourceVersion 0 or none: the current state as ADDED, then changes.
    let mut pending: VecDeque<Value> = VecDeque::new();
    let mut cursor = store.log.len();
    if from == 0 {
        for ((r, _, _), o) in &store.objects {
            if *r == resource {
                pending.push_back(json!({"type": "ADDED", "object": shape(o, meta_only)}));
            }
        }
    } else {
        cursor = store.log.partition_point(|(rv, ..)| *rv <= from);
    }
    drop(store);
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .unwrap_or(290u64);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let state = (
        s.clone(),
        pending,
        cursor,
        s.changed.subscribe(),
        s.up.subscribe(),
    );
    let stream = futures_util::stream::unfold(
        state,
        move |(s, mut pending, mut cursor, mut changed, mut up)| {
            let resource = resource.clone();
            async move {
                loop {
                    if !*up.borrow() {
                        return None;
                    }
                    if let Some(ev) = pending.pop_front() {
                        let line = Bytes::from(format!("{ev}\n"));
                        return Some((
                            Ok::<_, std::io::Error>(line),
                            (s, pending, cursor, changed, up),
                        ));
                    }
                    {
                        let store = s.store.lock().unwrap();
                        let next = store.log[cursor..]
                            .iter()
                            .enumerate()
                            .find(|(_, (_, r, _, _))| *r == resource);
                        if let Some((i, (_, _, ty, obj))) = next {
                            cursor += i + 1;
                            pending.push_back(json!({"type": ty, "object": shape(obj, meta_only)}));
                            continue;
                        }
                        cursor = store.log.len();
                    }
                    tokio::select! {
                        _ = changed.changed() => {}
                        _ = up.changed() => {}
                        _ = tokio::time::sleep_until(deadline) => return None,
                    }
                }
            }
        },
    );
    (close, Body::from_stream(stream)).into_response()
}
