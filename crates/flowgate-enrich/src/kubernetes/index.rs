//! From the watched objects to one lookup table: a pure function of the
//! reflector stores, rebuilt whole after each burst of changes.
//!
//! - Pods: every address of `status.podIPs` (and `status.podIP`), unless
//!   the pod uses the host's network (its address is the node's) or has
//!   ended (`Succeeded`/`Failed`: its address is free for another pod).
//!   When pods still claim one address, the running one wins over a pending
//!   one, one not being deleted over one being deleted, then the newest.
//! - Owner: the controller reference followed up one step where the
//!   workload is higher: ReplicaSet → Deployment, Job → CronJob (from the
//!   watched ReplicaSets and Jobs; without them, a ReplicaSet whose name
//!   ends in the pod's `pod-template-hash` is taken for its Deployment's).
//!   A pod without owner is its own.
//! - Services: `spec.clusterIPs` (and `clusterIP`), headless ones have none.
//! - Nodes: `InternalIP` addresses. The exporter of a flow is looked up in
//!   the same table, so an OVS exporter on a node's address names the node.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use flowgate_record::{EndpointMeta, EndpointRef};
use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::table::{IpNet, IpTable};

/// Controller owners of ReplicaSets and Jobs, by (namespace, name). A
/// known object without a controller maps to `None`.
#[derive(Debug, Default, Clone)]
pub struct Owners {
    map: HashMap<(String, String), Option<(String, String)>>,
}

impl Owners {
    /// Adds one ReplicaSet or Job from its metadata.
    pub fn add(&mut self, meta: &ObjectMeta) {
        let key = (
            meta.namespace.clone().unwrap_or_default(),
            meta.name.clone().unwrap_or_default(),
        );
        let owner = controller(meta).map(|o| (o.kind.clone(), o.name.clone()));
        self.map.insert(key, owner);
    }

    fn get(&self, ns: &str, name: &str) -> Option<&Option<(String, String)>> {
        self.map.get(&(ns.to_owned(), name.to_owned()))
    }
}

fn controller(meta: &ObjectMeta) -> Option<&OwnerReference> {
    let refs = meta.owner_references.as_deref()?;
    refs.iter()
        .find(|o| o.controller == Some(true))
        .or_else(|| refs.first())
}

/// What the table is built from, with the pod labels to copy.
pub struct Sources<'a> {
    pub pods: &'a [Arc<Pod>],
    pub services: &'a [Arc<Service>],
    pub nodes: &'a [Arc<Node>],
    pub replicasets: &'a Owners,
    pub jobs: &'a Owners,
    pub labels: &'a [String],
}

/// How many objects of each kind made it into the table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub pods: usize,
    pub services: usize,
    pub nodes: usize,
    /// Addresses claimed by more than one live pod (the winner is kept).
    pub contested: usize,
}

/// Ranks pods that claim one address: higher wins.
type Rank = (bool, bool, i128);

pub fn build(s: &Sources<'_>) -> (IpTable, Counts) {
    let mut counts = Counts::default();
    let mut pod_ips: HashMap<IpAddr, (Rank, EndpointRef)> = HashMap::new();
    for pod in s.pods {
        let Some((rank, meta, ips)) = pod_entry(pod, s) else {
            continue;
        };
        counts.pods += 1;
        let meta = Arc::new(meta);
        for ip in ips {
            match pod_ips.get(&ip) {
                Some((r, _)) if *r >= rank => counts.contested += 1,
                Some(_) => {
                    counts.contested += 1;
                    pod_ips.insert(ip, (rank, meta.clone()));
                }
                None => {
                    pod_ips.insert(ip, (rank, meta.clone()));
                }
            }
        }
    }
    let mut table = IpTable::new();
    for (ip, (_, meta)) in pod_ips {
        table.insert(IpNet::host(ip), meta);
    }
    for svc in s.services {
        let spec = svc.spec.as_ref();
        let ips = spec
            .and_then(|s| s.cluster_ips.clone())
            .or_else(|| spec.and_then(|s| s.cluster_ip.clone()).map(|ip| vec![ip]))
            .unwrap_or_default();
        let ips: Vec<IpAddr> = ips.iter().filter_map(|ip| ip.parse().ok()).collect();
        if ips.is_empty() {
            continue;
        }
        counts.services += 1;
        let meta = Arc::new(self_owned(&svc.metadata, "Service", "", s.labels));
        for ip in ips {
            insert_free(&mut table, ip, &meta);
        }
    }
    for node in s.nodes {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        let ips: Vec<IpAddr> = node
            .status
            .as_ref()
            .and_then(|st| st.addresses.as_ref())
            .into_iter()
            .flatten()
            .filter(|a| a.type_ == "InternalIP")
            .filter_map(|a| a.address.parse().ok())
            .collect();
        if ips.is_empty() {
            continue;
        }
        counts.nodes += 1;
        let meta = Arc::new(self_owned(&node.metadata, "Node", name, s.labels));
        for ip in ips {
            insert_free(&mut table, ip, &meta);
        }
    }
    (table, counts)
}

fn insert_free(table: &mut IpTable, ip: IpAddr, meta: &EndpointRef) {
    let net = IpNet::host(ip);
    if table.get_exact(net).is_none() {
        table.insert(net, meta.clone());
    }
}

fn self_owned(m: &ObjectMeta, kind: &str, node: &str, labels: &[String]) -> EndpointMeta {
    let name: Box<str> = m.name.as_deref().unwrap_or_default().into();
    EndpointMeta {
        namespace: m.namespace.as_deref().unwrap_or_default().into(),
        name: name.clone(),
        kind: kind.into(),
        owner_name: name,
        owner_kind: kind.into(),
        node: node.into(),
        labels: Box::default(),
    }
    .with_labels(selected(m, labels))
}

fn selected(m: &ObjectMeta, keys: &[String]) -> Vec<(String, String)> {
    let Some(labels) = &m.labels else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|k| labels.get(k).map(|v| (k.clone(), v.clone())))
        .collect()
}

fn pod_entry(pod: &Pod, s: &Sources<'_>) -> Option<(Rank, EndpointMeta, Vec<IpAddr>)> {
    let spec = pod.spec.as_ref();
    if spec.and_then(|s| s.host_network).unwrap_or(false) {
        return None;
    }
    let status = pod.status.as_ref()?;
    let phase = status.phase.as_deref().unwrap_or("");
    if matches!(phase, "Succeeded" | "Failed") {
        return None;
    }
    let mut ips: Vec<IpAddr> = status
        .pod_ips
        .iter()
        .flatten()
        .filter_map(|p| p.ip.parse().ok())
        .collect();
    if let Some(ip) = status.pod_ip.as_deref().and_then(|ip| ip.parse().ok()) {
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    if ips.is_empty() {
        return None;
    }
    let m = &pod.metadata;
    let ns = m.namespace.as_deref().unwrap_or_default();
    let name = m.name.as_deref().unwrap_or_default();
    let (owner_kind, owner_name) = workload(pod, s).unwrap_or(("Pod".into(), name.into()));
    let created = m
        .creation_timestamp
        .as_ref()
        .map_or(0, |t| t.0.as_nanosecond());
    let rank = (m.deletion_timestamp.is_none(), phase == "Running", created);
    let meta = EndpointMeta {
        namespace: ns.into(),
        name: name.into(),
        kind: "Pod".into(),
        owner_name: owner_name.into(),
        owner_kind: owner_kind.into(),
        node: spec
            .and_then(|s| s.node_name.as_deref())
            .unwrap_or_default()
            .into(),
        labels: Box::default(),
    }
    .with_labels(selected(m, s.labels));
    Some((rank, meta, ips))
}

/// The pod's workload (kind, name): its controller, one level up for
/// ReplicaSets and Jobs.
fn workload(pod: &Pod, s: &Sources<'_>) -> Option<(String, String)> {
    let owner = controller(&pod.metadata)?;
    let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
    let up = match owner.kind.as_str() {
        "ReplicaSet" => s.replicasets.get(ns, &owner.name),
        "Job" => s.jobs.get(ns, &owner.name),
        _ => None,
    };
    match up {
        Some(Some(higher)) => Some(higher.clone()),
        Some(None) => Some((owner.kind.clone(), owner.name.clone())),
        None if owner.kind == "ReplicaSet" => {
            // ReplicaSet not (yet) known: Deployments name theirs
            // <deployment>-<pod-template-hash>, and label the pods with it.
            let hash = pod
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("pod-template-hash"));
            let deployment = hash.and_then(|h| owner.name.strip_suffix(&format!("-{h}")));
            Some(match deployment {
                Some(d) if !d.is_empty() => ("Deployment".into(), d.into()),
                _ => (owner.kind.clone(), owner.name.clone()),
            })
        }
        None => Some((owner.kind.clone(), owner.name.clone())),
    }
}
