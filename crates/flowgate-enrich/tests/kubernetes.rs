//! The Kubernetes enricher against an in-process fake API server serving
//! recorded API objects (tests/data/k8s). No real kube-apiserver can be
//! installed on the build machines (not in Debian, PyPI, npm or crates.io,
//! and there is no container engine), so the fake stands in, speaking list
//! and watch as the real one does.

mod support;

use std::time::Duration;

use flowgate_config::KubernetesEnricherConfig;
use flowgate_enrich::{Enricher, KubernetesEnricher};
use flowgate_record::FlowRecord;
use serde_json::{json, Value};
use support::fake_api::FakeApi;
use support::{fixture, flow, rendered, wait_for};

const LIMIT: Duration = Duration::from_secs(20);

/// The recorded cluster: three pods, three services, a node, the
/// ReplicaSet of rs.json and the Job of job.json.
fn seed(api: &FakeApi) {
    for p in ["k9s/p1.json", "k9s/po.json", "k9s/po_sidecar.json"] {
        api.apply("pods", fixture(&format!("realistic/{p}")));
    }
    api.apply("services", fixture("realistic/k9s/svc.json"));
    api.apply(
        "services",
        fixture("realistic/kubectl-edit/service-kubernetes-default.json"),
    );
    // A list item has no kind/apiVersion; as a watch event it has them.
    let mut svc1 = fixture("realistic/kubectl-edit/servicelist-edit-test.json")["items"][0].clone();
    svc1["kind"] = json!("Service");
    svc1["apiVersion"] = json!("v1");
    api.apply("services", svc1);
    api.apply("nodes", fixture("realistic/k9s/no.json"));
    api.apply("replicasets", fixture("realistic/k9s/rs.json"));
    api.apply("jobs", fixture("realistic/k9s/job.json"));
}

fn enricher(api: &FakeApi) -> KubernetesEnricher {
    let c = KubernetesEnricherConfig {
        kubeconfig: Some(api.kubeconfig()),
        labels: vec!["app".into(), "app.kubernetes.io/managed-by".into()],
        rebuild_delay: flowgate_config::HumanDuration(Duration::from_millis(20)),
        ..Default::default()
    };
    KubernetesEnricher::start("kubernetes", &c).unwrap()
}

/// The enriched record's `src_k8s_*` / `dst_k8s_*` fields as printed.
fn enrich(e: &KubernetesEnricher, src: &str, dst: &str, sampler: &str) -> Value {
    let mut r = flow(src, dst, sampler);
    e.enrich_one(&mut r);
    rendered(&r)
}

fn src_name(e: &KubernetesEnricher, ip: &str) -> Option<String> {
    let mut r = FlowRecord {
        src_addr: Some(ip.parse().unwrap()),
        ..Default::default()
    };
    e.enrich_one(&mut r);
    r.src_k8s.map(|m| m.name.to_string())
}

/// A pod derived from a recorded one: only values change, never the shape.
fn derived_pod(from: &str, name: &str, ns: &str, ip: &str, phase: &str) -> Value {
    let mut p = fixture(from);
    p["metadata"]["name"] = json!(name);
    p["metadata"]["namespace"] = json!(ns);
    p["metadata"]["uid"] = json!(format!("uid-{name}"));
    p["status"]["podIP"] = json!(ip);
    p["status"]["phase"] = json!(phase);
    if let Some(ips) = p["status"].get_mut("podIPs") {
        *ips = json!([{"ip": ip}]);
    }
    p
}

fn owned_by(mut pod: Value, kind: &str, name: &str, uid: &Value, api_version: &str) -> Value {
    pod["metadata"]["ownerReferences"] = json!([{"apiVersion": api_version, "kind": kind,
        "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]);
    pod
}

#[test]
fn listed_pods_services_and_nodes_enrich_flows_and_exporters() {
    let mut api = FakeApi::new();
    seed(&api);
    api.start();
    let e = enricher(&api);
    wait_for("the first sync", LIMIT, || e.health().is_ok().then_some(()));
    wait_for("the table", LIMIT, || (e.entries() >= 7).then_some(()));

    let v = enrich(&e, "10.44.0.229", "10.47.248.116", "192.168.64.107");
    assert_eq!(v["src_k8s_namespace"], "default");
    assert_eq!(v["src_k8s_name"], "nginx-7fb78fb6d8-2w75j");
    assert_eq!(v["src_k8s_kind"], "Pod");
    // Its ReplicaSet is not in the recording: named by pod-template-hash.
    assert_eq!(v["src_k8s_owner_kind"], "Deployment");
    assert_eq!(v["src_k8s_owner_name"], "nginx");
    assert_eq!(v["src_k8s_node"], "gke-k9s-default-pool-0fa2fb89-lbtf");
    assert_eq!(v["src_k8s_labels"], json!({"app": "nginx"}));
    assert_eq!(v["dst_k8s_namespace"], "default");
    assert_eq!(v["dst_k8s_name"], "dictionary1");
    assert_eq!(v["dst_k8s_kind"], "Service");
    assert_eq!(v["dst_k8s_owner_kind"], "Service");
    assert!(v.get("dst_k8s_node").is_none());
    assert_eq!(v["sampler_k8s_node"], "minikube");
    assert_eq!(v["sampler_name"], "minikube");

    let v = enrich(&e, "172.17.0.6", "10.0.0.248", "");
    assert_eq!(v["src_k8s_name"], "nginx");
    assert_eq!(
        (&v["src_k8s_owner_kind"], &v["src_k8s_owner_name"]),
        (&json!("Pod"), &json!("nginx"))
    );
    assert_eq!(v["src_k8s_node"], "minikube");
    assert_eq!(v["dst_k8s_namespace"], "edit-test");
    assert_eq!(v["dst_k8s_name"], "svc1");
    let v = enrich(&e, "10.244.0.8", "10.0.0.1", "");
    assert_eq!(v["src_k8s_node"], "kind-control-plane");
    assert_eq!(v["dst_k8s_name"], "kubernetes");
    let v = enrich(&e, "192.0.2.1", "2001:db8::1", "192.0.2.2");
    assert!(v.get("src_k8s_name").is_none() && v.get("sampler_k8s_node").is_none());

    let s = e.stats();
    assert_eq!((s.seen, s.enriched, s.missed, s.unavailable), (4, 3, 1, 0));
}

#[test]
fn watch_events_add_delete_recreate_and_reuse_addresses() {
    let mut api = FakeApi::new();
    seed(&api);
    api.start();
    let e = enricher(&api);
    wait_for("the first sync", LIMIT, || e.health().is_ok().then_some(()));

    // The recorded watch of a pod from Pending to Running.
    let recorded =
        support::fixture_dir().join("realistic/pulumi-await/watch-pod-createSuccess.jsonl");
    api.replay("pods", &recorded);
    wait_for("foo from its watch events", LIMIT, || {
        (src_name(&e, "10.1.3.217").as_deref() == Some("foo")).then_some(())
    });
    let v = enrich(&e, "10.1.3.217", "", "");
    assert_eq!(v["src_k8s_node"], "docker-desktop");
    assert_eq!(
        v["src_k8s_labels"],
        json!({"app.kubernetes.io/managed-by": "pulumi"})
    );

    // DELETED (the last recorded state, as the server sends it on delete).
    let last = std::fs::read_to_string(&recorded).unwrap();
    let last: Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    api.delete("pods", last["object"].clone());
    wait_for("foo to stop matching", LIMIT, || {
        src_name(&e, "10.1.3.217").is_none().then_some(())
    });

    // A pod deleted and created again under its name, with a new address.
    let states = fixture("realistic/pulumi-await/workflow-pod-imagePullErrorResolved.json");
    let mut uid = Value::Null;
    for s in states.as_array().unwrap() {
        if !uid.is_null() && s["metadata"]["uid"] != uid {
            api.delete("pods", states[0].clone());
        }
        uid = s["metadata"]["uid"].clone();
        api.apply("pods", s.clone());
    }
    wait_for("the recreated foo", LIMIT, || {
        (src_name(&e, "10.1.3.228").as_deref() == Some("foo")).then_some(())
    });
    assert_eq!(src_name(&e, "10.1.3.227"), None);

    // Owner chains through the recorded ReplicaSet and Job (pods derived
    // from p1.json: only names, addresses and owner references changed).
    let rs = fixture("realistic/k9s/rs.json");
    let job = fixture("realistic/k9s/job.json");
    let mut icx = derived_pod(
        "realistic/k9s/p1.json",
        "icx-db-7d4b578979-x7k2p",
        "icx",
        "10.44.1.5",
        "Running",
    );
    icx["metadata"]["labels"] = json!({"app": "icx-db"});
    api.apply(
        "pods",
        owned_by(
            icx,
            "ReplicaSet",
            "icx-db-7d4b578979",
            &rs["metadata"]["uid"],
            "apps/v1",
        ),
    );
    let hello = derived_pod(
        "realistic/k9s/p1.json",
        "hello-1567179180-tmk4b",
        "default",
        "10.44.1.6",
        "Running",
    );
    api.apply(
        "pods",
        owned_by(
            hello,
            "Job",
            "hello-1567179180",
            &job["metadata"]["uid"],
            "batch/v1",
        ),
    );
    // IP reuse: a Job pod that ended, still listed, on p1's address, and
    // created after p1: it must not take the address from the running p1.
    let mut done = derived_pod(
        "realistic/k9s/p1.json",
        "hello-1567179120-zq8vd",
        "default",
        "10.44.0.229",
        "Succeeded",
    );
    done["metadata"]["creationTimestamp"] = json!("2020-01-01T00:00:00Z");
    api.apply(
        "pods",
        owned_by(
            done,
            "Job",
            "hello-1567179180",
            &job["metadata"]["uid"],
            "batch/v1",
        ),
    );
    wait_for("the derived pods", LIMIT, || {
        src_name(&e, "10.44.1.6").map(|_| ())
    });
    let v = enrich(&e, "10.44.1.5", "10.44.1.6", "");
    assert_eq!(
        (&v["src_k8s_owner_kind"], &v["src_k8s_owner_name"]),
        (&json!("Deployment"), &json!("icx-db"))
    );
    assert_eq!(
        (&v["dst_k8s_owner_kind"], &v["dst_k8s_owner_name"]),
        (&json!("CronJob"), &json!("hello"))
    );
    assert_eq!(
        src_name(&e, "10.44.0.229").as_deref(),
        Some("nginx-7fb78fb6d8-2w75j")
    );

    // The running pod goes: the ended one still does not answer for it.
    api.delete("pods", fixture("realistic/k9s/p1.json"));
    wait_for("p1 to go", LIMIT, || {
        src_name(&e, "10.44.0.229").is_none().then_some(())
    });
}

#[test]
fn unreachable_api_server_passes_flows_and_the_cache_catches_up() {
    let mut api = FakeApi::new();
    seed(&api);
    // Not started: connection refused.
    let e = enricher(&api);
    let mut batch = vec![flow("10.44.0.229", "10.47.248.116", "192.168.64.107"); 8];
    e.enrich(&mut batch);
    assert!(batch
        .iter()
        .all(|r| r.src_k8s.is_none() && r.dst_k8s.is_none()));
    let s = e.stats();
    assert_eq!((s.seen, s.enriched, s.missed, s.unavailable), (8, 0, 8, 8));
    std::thread::sleep(Duration::from_millis(300));
    assert!(matches!(e.health(), flowgate_enrich::Health::Failing(why) if why.contains("pods")));

    api.start();
    wait_for(
        "enrichment after the server came up",
        Duration::from_secs(40),
        || (src_name(&e, "10.44.0.229").is_some() && e.health().is_ok()).then_some(()),
    );

    // Down again after the sync: the cache keeps answering; a pod created
    // meanwhile (dual-stack, derived from po_sidecar.json) is not known...
    api.stop();
    let mut dual = derived_pod(
        "realistic/k9s/po_sidecar.json",
        "sleep-2",
        "default",
        "10.244.0.9",
        "Running",
    );
    dual["status"]["podIPs"] = json!([{"ip": "10.244.0.9"}, {"ip": "fd00:10:244::9"}]);
    api.apply("pods", dual);
    wait_for("the watch failure to be noticed", LIMIT, || {
        (!e.health().is_ok()).then_some(())
    });
    assert_eq!(
        src_name(&e, "10.44.0.229").as_deref(),
        Some("nginx-7fb78fb6d8-2w75j")
    );
    let before = e.stats();
    assert_eq!(src_name(&e, "fd00:10:244::9"), None);
    assert_eq!(e.stats().unavailable, before.unavailable + 1);

    // ...until the server is back and the watch resumes.
    api.start();
    wait_for(
        "the pod created during the outage",
        Duration::from_secs(60),
        || (src_name(&e, "fd00:10:244::9").as_deref() == Some("sleep-2")).then_some(()),
    );
    assert_eq!(src_name(&e, "10.244.0.9").as_deref(), Some("sleep-2"));
    wait_for("health", LIMIT, || e.health().is_ok().then_some(()));
}

#[test]
fn a_missing_kubeconfig_fails_the_start_and_names_the_file() {
    let c = KubernetesEnricherConfig {
        kubeconfig: Some("/nonexistent/kubeconfig".into()),
        ..Default::default()
    };
    let err = KubernetesEnricher::start("kubernetes", &c).err().unwrap();
    assert!(err.contains("/nonexistent/kubeconfig"), "{err}");
}
