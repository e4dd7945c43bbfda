//! The tables and records the chain bench and the allocation test share: a
//! static map of exporters and external prefixes, and a cluster of 5000
//! pods, 500 services and 50 nodes.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use flowgate_enrich::{IpNet, IpTable, KubernetesEnricher, StaticEnricher, StaticMap};
use flowgate_record::{EndpointMeta, FlowRecord};

fn meta(kind: &str, name: String, node: &str) -> Arc<EndpointMeta> {
    Arc::new(
        EndpointMeta {
            namespace: "shop".into(),
            name: name.clone().into(),
            kind: kind.into(),
            owner_name: name.into(),
            owner_kind: "Deployment".into(),
            node: node.into(),
            labels: Box::default(),
        }
        .with_labels([("app".to_owned(), "web".to_owned())]),
    )
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

pub fn pod_ip(i: u32) -> IpAddr {
    v4(10, 128 + (i >> 8) as u8, i as u8, 10)
}

pub fn static_enricher() -> StaticEnricher {
    let mut map = StaticMap::default();
    for n in 0..50u8 {
        map.exporters.insert(
            IpNet::host(v4(192, 168, 1, n)),
            meta("Exporter", format!("ovs-{n}"), "node"),
        );
    }
    for n in 0..100u8 {
        let net = IpNet {
            addr: v4(198, 51, n, 0),
            len: 24,
        };
        map.endpoints
            .insert(net, meta("Subnet", format!("partner-{n}"), ""));
    }
    map.endpoints.insert(
        "203.0.113.0/24".parse().unwrap(),
        meta("Subnet", "internet".into(), ""),
    );
    StaticEnricher::from_map("static", map)
}

pub fn kubernetes_enricher() -> KubernetesEnricher {
    let mut t = IpTable::new();
    for i in 0..5000 {
        t.insert(
            IpNet::host(pod_ip(i)),
            meta("Pod", format!("web-{i}"), "node-1"),
        );
    }
    for i in 0..500u32 {
        t.insert(
            IpNet::host(v4(172, 30, (i >> 8) as u8, i as u8)),
            meta("Service", format!("svc-{i}"), ""),
        );
    }
    for n in 0..50u8 {
        t.insert(
            IpNet::host(v4(192, 168, 2, n)),
            meta("Node", format!("node-{n}"), "node"),
        );
    }
    KubernetesEnricher::from_table("kubernetes", t)
}

/// One datagram's worth: pod to service, pod to pod, pod to a partner
/// subnet, and an unknown address, exported by OVS on a node.
pub fn records(n: usize) -> Vec<FlowRecord> {
    (0..n)
        .map(|i| {
            let i = i as u32;
            let dst = match i % 4 {
                0 => v4(172, 30, 0, (i % 200) as u8),
                1 => pod_ip((i * 7) % 5000),
                2 => v4(198, 51, (i % 100) as u8, 7),
                _ => v4(100, 64, 0, i as u8),
            };
            FlowRecord {
                src_addr: Some(pod_ip((i * 13) % 5000)),
                dst_addr: Some(dst),
                sampler_address: Some(v4(192, 168, 2, (i % 50) as u8)),
                ..Default::default()
            }
        })
        .collect()
}

/// What a reused batch slot looks like before a decoder fills it again.
pub fn clear(records: &mut [FlowRecord]) {
    for r in records {
        r.src_k8s = None;
        r.dst_k8s = None;
        r.sampler_k8s = None;
    }
}
