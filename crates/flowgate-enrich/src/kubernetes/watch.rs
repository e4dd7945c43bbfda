//! The watches and the table rebuild, on the enricher's own runtime.

use std::sync::Arc;
use std::time::Duration;

use flowgate_config::KubernetesEnricherConfig;
use futures_util::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, NodeSpec, NodeStatus, Pod, PodSpec, PodStatus, Service};
use kube::api::{Api, ListParams, PartialObjectMeta};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, watcher, Event};
use kube::runtime::WatchStreamExt;
use kube::{Client, Config, Resource};
use tokio::sync::{oneshot, Notify};

use super::index::{self, Owners, Sources};
use super::{Settings, Shared};

/// A client for the configured cluster. The errors say what was tried.
pub(crate) async fn client(c: &KubernetesEnricherConfig) -> Result<Client, String> {
    let options = KubeConfigOptions {
        context: c.context.clone(),
        ..Default::default()
    };
    let config = match &c.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?;
            Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?
        }
        None if c.context.is_some() => Config::from_kubeconfig(&options)
            .await
            .map_err(|e| format!("kubeconfig ($KUBECONFIG or ~/.kube/config): {e}"))?,
        None => Config::infer().await.map_err(|e| {
            format!("no cluster configuration found ({e}); fix: run in a pod with a service account, or set kubeconfig")
        })?,
    };
    Client::try_from(config).map_err(|e| format!("building the API client: {e}"))
}

/// Runs the watches until `stop`, rebuilding the table after changes.
pub(crate) async fn run(
    client: Client,
    shared: Arc<Shared>,
    settings: Settings,
    mut stop: oneshot::Receiver<()>,
) {
    let changed = Arc::new(Notify::new());
    let cfg = watcher::Config::default();
    let (pods, w) = reflector::store::<Pod>();
    let stream = watcher(Api::<Pod>::all(client.clone()), cfg.clone()).modify(slim_pod);
    tokio::spawn(drive(
        0,
        stream.default_backoff().reflect(w),
        &shared,
        &changed,
    ));
    let (services, w) = reflector::store::<Service>();
    let stream = watcher(Api::<Service>::all(client.clone()), cfg.clone()).modify(slim_service);
    tokio::spawn(drive(
        1,
        stream.default_backoff().reflect(w),
        &shared,
        &changed,
    ));
    let (nodes, w) = reflector::store::<Node>();
    let stream = watcher(Api::<Node>::all(client.clone()), cfg.clone()).modify(slim_node);
    tokio::spawn(drive(
        2,
        stream.default_backoff().reflect(w),
        &shared,
        &changed,
    ));
    let (replicasets, w) = reflector::store::<PartialObjectMeta<ReplicaSet>>();
    let api = Api::<PartialObjectMeta<ReplicaSet>>::all(client.clone());
    let stream = watcher(api, cfg.clone()).modify(slim_meta);
    tokio::spawn(drive(
        3,
        stream.default_backoff().reflect(w),
        &shared,
        &changed,
    ));
    let (jobs, w) = reflector::store::<PartialObjectMeta<Job>>();
    let stream = watcher(Api::<PartialObjectMeta<Job>>::all(client.clone()), cfg).modify(slim_meta);
    tokio::spawn(drive(
        4,
        stream.default_backoff().reflect(w),
        &shared,
        &changed,
    ));

    let stores = Stores {
        pods,
        services,
        nodes,
        replicasets,
        jobs,
    };
    let rebuild = async {
        loop {
            changed.notified().await;
            // Gather the rest of the burst (a rollout, a re-list) first.
            tokio::time::sleep(settings.rebuild_delay).await;
            stores.rebuild(&shared, &settings.labels);
        }
    };
    tokio::select! {
        _ = rebuild => {}
        _ = probe(&client, &shared) => {}
        _ = &mut stop => {}
    }
}

/// A watch that failed and then resumed says nothing until its next event,
/// which may be minutes away for nodes: while a kind is failing, ask the
/// API server for one object of it every 2 s, and call it healthy again
/// when that works (the watch itself resumes on its own back-off).
async fn probe(client: &Client, shared: &Shared) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let one = ListParams::default().limit(1);
    loop {
        tick.tick().await;
        for kind in shared.failing() {
            let answered = match kind {
                0 => Api::<Pod>::all(client.clone())
                    .list_metadata(&one)
                    .await
                    .is_ok(),
                1 => Api::<Service>::all(client.clone())
                    .list_metadata(&one)
                    .await
                    .is_ok(),
                2 => Api::<Node>::all(client.clone())
                    .list_metadata(&one)
                    .await
                    .is_ok(),
                3 => Api::<ReplicaSet>::all(client.clone())
                    .list_metadata(&one)
                    .await
                    .is_ok(),
                _ => Api::<Job>::all(client.clone())
                    .list_metadata(&one)
                    .await
                    .is_ok(),
            };
            if answered {
                shared.watch_ok(kind, false);
            }
        }
    }
}

struct Stores {
    pods: Store<Pod>,
    services: Store<Service>,
    nodes: Store<Node>,
    replicasets: Store<PartialObjectMeta<ReplicaSet>>,
    jobs: Store<PartialObjectMeta<Job>>,
}

impl Stores {
    fn rebuild(&self, shared: &Shared, labels: &[String]) {
        let mut replicasets = Owners::default();
        for m in self.replicasets.state() {
            replicasets.add(&m.metadata);
        }
        let mut jobs = Owners::default();
        for m in self.jobs.state() {
            jobs.add(&m.metadata);
        }
        let (pods, services, nodes) =
            (self.pods.state(), self.services.state(), self.nodes.state());
        let (table, counts) = index::build(&Sources {
            pods: &pods,
            services: &services,
            nodes: &nodes,
            replicasets: &replicasets,
            jobs: &jobs,
            labels,
        });
        tracing::debug!(
            enricher = %shared.name,
            addresses = table.len(),
            pods = counts.pods,
            services = counts.services,
            nodes = counts.nodes,
            contested = counts.contested,
            "lookup table rebuilt"
        );
        shared.table.store(Arc::new(table));
    }
}

/// Polls one reflected watch for ever, reporting its health and waking the
/// rebuild on every change.
fn drive<K, S>(
    kind: usize,
    stream: S,
    shared: &Arc<Shared>,
    changed: &Arc<Notify>,
) -> impl std::future::Future<Output = ()> + Send + 'static
where
    K: Send + 'static,
    S: Stream<Item = Result<Event<K>, watcher::Error>> + Send + 'static,
{
    let (shared, changed) = (shared.clone(), changed.clone());
    async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(ev) => {
                    let listed = matches!(ev, Event::InitDone);
                    shared.watch_ok(kind, listed);
                    if matches!(ev, Event::Apply(_) | Event::Delete(_) | Event::InitDone) {
                        changed.notify_one();
                    }
                }
                Err(e) => shared.watch_failed(kind, e.to_string()),
            }
        }
    }
}

// The stores keep every object of the cluster: keep only what the index reads.

fn slim_meta<K: Resource>(o: &mut K) {
    let m = o.meta_mut();
    m.managed_fields = None;
    m.annotations = None;
}

fn slim_pod(p: &mut Pod) {
    slim_meta(p);
    if let Some(spec) = &mut p.spec {
        *spec = PodSpec {
            host_network: spec.host_network,
            node_name: spec.node_name.take(),
            ..Default::default()
        };
    }
    if let Some(st) = &mut p.status {
        *st = PodStatus {
            phase: st.phase.take(),
            pod_ip: st.pod_ip.take(),
            pod_ips: st.pod_ips.take(),
            ..Default::default()
        };
    }
}

fn slim_service(s: &mut Service) {
    slim_meta(s);
    s.status = None;
    if let Some(spec) = &mut s.spec {
        spec.ports = None;
        spec.selector = None;
    }
}

fn slim_node(n: &mut Node) {
    slim_meta(n);
    n.spec = Some(NodeSpec::default());
    if let Some(st) = &mut n.status {
        *st = NodeStatus {
            addresses: st.addresses.take(),
            ..Default::default()
        };
    }
}
