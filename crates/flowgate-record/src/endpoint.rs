//! What an enricher knows about one address: the Kubernetes object (or the
//! static map entry) behind it. Enrichers build one per object, share it
//! through an `Arc`, and a record only clones the `Arc` (an atomic
//! increment): enriching allocates nothing per record.

use std::sync::Arc;

/// Metadata of one endpoint (a pod, service, node, or a static map entry).
/// Empty strings are "unknown" and are left out of the output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointMeta {
    pub namespace: Box<str>,
    /// Pod, service or node name; the static map's `name`.
    pub name: Box<str>,
    /// `Pod`, `Service`, `Node`, or the static map's `kind`.
    pub kind: Box<str>,
    /// The workload at the top of the owner chain (Deployment `web`, not
    /// ReplicaSet `web-5d8f…`); a service or node is its own owner.
    pub owner_name: Box<str>,
    pub owner_kind: Box<str>,
    /// The node the pod runs on (the node itself for a node).
    pub node: Box<str>,
    /// Selected labels, sorted by key.
    pub labels: Box<[(Box<str>, Box<str>)]>,
}

/// How records hold endpoint metadata: shared, never copied.
pub type EndpointRef = Arc<EndpointMeta>;

impl EndpointMeta {
    /// Sorts the labels by key, so output is stable whatever order they came in.
    pub fn with_labels(mut self, labels: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut l: Vec<(Box<str>, Box<str>)> = labels
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
            .collect();
        l.sort();
        l.dedup_by(|a, b| a.0 == b.0);
        self.labels = l.into_boxed_slice();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldId, FlowRecord, OutputFormat, RenderOptions, Renderer};

    fn render(opts: RenderOptions, r: &FlowRecord) -> String {
        let mut out = Vec::new();
        Renderer::new(opts).write(r, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn endpoint_metadata_renders_its_fields_and_nothing_when_absent() {
        let pod = EndpointMeta {
            namespace: "shop".into(),
            name: "web-5d8f-x2x".into(),
            kind: "Pod".into(),
            owner_name: "web".into(),
            owner_kind: "Deployment".into(),
            node: "node-a".into(),
            ..Default::default()
        }
        .with_labels([
            ("tier".into(), "front end".into()),
            ("app".into(), "web".into()),
        ]);
        let r = FlowRecord {
            src_k8s: Some(std::sync::Arc::new(pod)),
            ..Default::default()
        };
        let v: serde_json::Value =
            serde_json::from_str(&render(RenderOptions::default(), &r)).unwrap();
        assert_eq!(v["src_k8s_namespace"], "shop");
        assert_eq!(v["src_k8s_owner_kind"], "Deployment");
        assert_eq!(v["src_k8s_node"], "node-a");
        assert_eq!(
            v["src_k8s_labels"],
            serde_json::json!({"app": "web", "tier": "front end"})
        );
        assert!(v.get("dst_k8s_name").is_none() && v.get("sampler_k8s_node").is_none());
        let fields = ["src_k8s_name", "src_k8s_labels", "dst_k8s_name"]
            .iter()
            .map(|n| FieldId::from_name(n).unwrap())
            .collect();
        let opts = RenderOptions {
            format: OutputFormat::Text,
            fields: Some(fields),
            names: false,
        };
        assert_eq!(
            render(opts, &r),
            "src_k8s_name=web-5d8f-x2x src_k8s_labels=app:web,tier:front_end dst_k8s_name=\n"
        );
        let mut reused = r.clone();
        reused.reset();
        assert!(reused.src_k8s.is_none());
    }
}
