//! The index built from the watched objects, without an API server: the
//! rules for addresses that are not a plain single-stack running pod.
//! Objects are the recorded ones of tests/data/k8s, or derived from them by
//! changing values (the cases no public recording has are listed in
//! tests/data/k8s/README.md).

mod support;

use std::sync::Arc;

use flowgate_enrich::k8s_index::{build, Owners, Sources};
use flowgate_enrich::IpTable;
use k8s_openapi::api::core::v1::{Node, Pod, Service};
use serde_json::{json, Value};
use support::fixture;

fn typed<T: serde::de::DeserializeOwned>(v: Value) -> Arc<T> {
    Arc::new(serde_json::from_value(v).unwrap())
}

fn table(pods: Vec<Value>, services: Vec<Value>, nodes: Vec<Value>, rs: &Owners) -> IpTable {
    let pods: Vec<Arc<Pod>> = pods.into_iter().map(typed).collect();
    let services: Vec<Arc<Service>> = services.into_iter().map(typed).collect();
    let nodes: Vec<Arc<Node>> = nodes.into_iter().map(typed).collect();
    let labels = vec!["app".to_owned()];
    build(&Sources {
        pods: &pods,
        services: &services,
        nodes: &nodes,
        replicasets: rs,
        jobs: &Owners::default(),
        labels: &labels,
    })
    .0
}

fn at<'a>(t: &'a IpTable, ip: &str) -> Option<(&'a str, &'a str, &'a str, &'a str)> {
    t.get(ip.parse().unwrap())
        .map(|m| (&*m.kind, &*m.name, &*m.owner_kind, &*m.node))
}

#[test]
fn dual_stack_pods_answer_on_every_address() {
    // po_sidecar.json is single-stack; a second podIPs entry makes it dual.
    let mut p = fixture("realistic/k9s/po_sidecar.json");
    p["status"]["podIPs"] = json!([{"ip": "10.244.0.8"}, {"ip": "fd00:10:244::8"}]);
    let t = table(vec![p], vec![], vec![], &Owners::default());
    assert_eq!(
        at(&t, "10.244.0.8"),
        Some(("Pod", "sleep", "Pod", "kind-control-plane"))
    );
    assert_eq!(at(&t, "fd00:10:244::8"), at(&t, "10.244.0.8"));
    assert_eq!(t.len(), 2);
}

#[test]
fn host_network_pods_are_their_node() {
    // po.json on the host's network (its address becomes the host's).
    let mut p = fixture("realistic/k9s/po.json");
    p["spec"]["hostNetwork"] = json!(true);
    let host_ip = p["status"]["hostIP"].clone();
    p["status"]["podIP"] = host_ip.clone();
    // no.json is node minikube; give it po.json's host address.
    let mut n = fixture("realistic/k9s/no.json");
    n["status"]["addresses"][0]["address"] = host_ip.clone();
    let t = table(vec![p], vec![], vec![n], &Owners::default());
    let ip = host_ip.as_str().unwrap();
    assert_eq!(at(&t, ip), Some(("Node", "minikube", "Node", "minikube")));
}

#[test]
fn claims_on_one_address_go_to_the_live_running_pod() {
    let p1 = fixture("realistic/k9s/p1.json");
    let ip = "10.44.0.229";
    let variant = |name: &str, phase: &str, created: &str, deleting: bool| {
        let mut p = p1.clone();
        p["metadata"]["name"] = json!(name);
        p["metadata"]["creationTimestamp"] = json!(created);
        p["status"]["phase"] = json!(phase);
        if deleting {
            p["metadata"]["deletionTimestamp"] = json!("2020-01-02T00:00:00Z");
        }
        p
    };
    let newer_pending = variant("newer-pending", "Pending", "2020-01-03T00:00:00Z", false);
    let newer_failed = variant("newer-failed", "Failed", "2020-01-04T00:00:00Z", false);
    let newer_deleting = variant("newer-deleting", "Running", "2020-01-05T00:00:00Z", true);
    let t = table(
        vec![
            newer_pending.clone(),
            newer_failed.clone(),
            p1.clone(),
            newer_deleting.clone(),
        ],
        vec![],
        vec![],
        &Owners::default(),
    );
    assert_eq!(at(&t, ip).unwrap().1, "nginx-7fb78fb6d8-2w75j");
    // Among two running pods not being deleted, the newer one.
    let newer_running = variant("newer-running", "Running", "2020-01-06T00:00:00Z", false);
    let t = table(
        vec![p1.clone(), newer_running],
        vec![],
        vec![],
        &Owners::default(),
    );
    assert_eq!(at(&t, ip).unwrap().1, "newer-running");
    // Ended pods never answer, even alone.
    let t = table(vec![newer_failed], vec![], vec![], &Owners::default());
    assert_eq!(at(&t, ip), None);
}

#[test]
fn owners_are_followed_one_level_up() {
    let rs = fixture("realistic/k9s/rs.json");
    let mut owners = Owners::default();
    owners.add(&serde_json::from_value(rs["metadata"].clone()).unwrap());
    let mut pod = fixture("realistic/k9s/p1.json");
    pod["metadata"]["namespace"] = json!("icx");
    pod["metadata"]["ownerReferences"][0]["name"] = json!("icx-db-7d4b578979");
    let t = table(vec![pod.clone()], vec![], vec![], &owners);
    assert_eq!(at(&t, "10.44.0.229").unwrap().2, "Deployment");
    assert_eq!(
        &*t.get("10.44.0.229".parse().unwrap()).unwrap().owner_name,
        "icx-db"
    );
    // StatefulSet and DaemonSet pods name their workload directly.
    for kind in ["StatefulSet", "DaemonSet"] {
        let mut p = pod.clone();
        p["metadata"]["ownerReferences"][0]["kind"] = json!(kind);
        p["metadata"]["ownerReferences"][0]["name"] = json!("nginx-sts");
        let t = table(vec![p], vec![], vec![], &owners);
        let m = t.get("10.44.0.229".parse().unwrap()).unwrap();
        assert_eq!((&*m.owner_kind, &*m.owner_name), (kind, "nginx-sts"));
    }
}

#[test]
fn services_with_several_cluster_ips_and_headless_ones() {
    let mut svc = fixture("realistic/k9s/svc.json");
    svc["spec"]["clusterIPs"] = json!(["10.47.248.116", "fd00:47::116"]);
    let mut headless = fixture("realistic/kubectl-edit/service-kubernetes-default.json");
    headless["spec"]["clusterIP"] = json!("None");
    let t = table(vec![], vec![svc, headless], vec![], &Owners::default());
    assert_eq!(
        at(&t, "fd00:47::116"),
        Some(("Service", "dictionary1", "Service", ""))
    );
    assert_eq!(t.len(), 2);
}

/// kubernetes/api's round-trip objects set every field (placeholders for
/// addresses): they must deserialize, and placeholder addresses be skipped.
#[test]
fn every_field_of_the_roundtrip_objects_deserializes() {
    let pod: Pod = serde_json::from_value(fixture("roundtrip/core.v1.Pod.json")).unwrap();
    let svc: Service = serde_json::from_value(fixture("roundtrip/core.v1.Service.json")).unwrap();
    let node: Node = serde_json::from_value(fixture("roundtrip/core.v1.Node.json")).unwrap();
    assert_eq!(pod.spec.as_ref().unwrap().host_network, Some(true));
    let t = table(
        vec![serde_json::to_value(&pod).unwrap()],
        vec![serde_json::to_value(&svc).unwrap()],
        vec![serde_json::to_value(&node).unwrap()],
        &Owners::default(),
    );
    assert!(t.is_empty());
}
