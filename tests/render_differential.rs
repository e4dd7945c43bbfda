//! The fast renderer against the one it replaced (kept unchanged as
//! `flowgate_record::render_reference`): every record decoded from every
//! capture in tests/data and, when present, ../shared/corpus — decoded the
//! way `flowgate decode` does it — must render to the same bytes under
//! every kind of option: the default, names, text, explicit field lists.
//! Each record is rendered a second time with enrichment metadata attached
//! (strings that need escaping included), since captures carry none, and
//! each datagram's records once more all at once (`write_batch`).

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowgate::{replay, Pipeline};
use flowgate_decode::Decoder;
use flowgate_record::{
    render_reference, EndpointMeta, FieldId, FlowRecord, OutputFormat, RenderOptions, Renderer,
};
use support::{capture_name, corpus_absent, corpus_dir};

fn option_sets() -> Vec<RenderOptions> {
    let list = |names: &[&str]| {
        Some(
            names
                .iter()
                .map(|n| FieldId::from_name(n).expect("a field name"))
                .collect::<Vec<_>>(),
        )
    };
    let mut v = Vec::new();
    for format in [OutputFormat::Json, OutputFormat::Text] {
        for names in [false, true] {
            for fields in [
                None,
                Some(FieldId::ALL.to_vec()),
                list(&[
                    "src_net",
                    "dst_addr",
                    "extra",
                    "in_if_name",
                    "flow_end_reason",
                ]),
                list(&["proto", "etype", "src_k8s_labels", "sampler_name", "bytes"]),
            ] {
                v.push(RenderOptions {
                    format,
                    fields,
                    names,
                });
            }
        }
    }
    v
}

fn endpoint(name: &str) -> Arc<EndpointMeta> {
    Arc::new(
        EndpointMeta {
            namespace: "shop".into(),
            name: name.into(),
            kind: "Pod".into(),
            owner_name: "web \"blue\"".into(),
            owner_kind: "Deployment".into(),
            node: "node\ta=1".into(),
            ..Default::default()
        }
        .with_labels([
            ("app".into(), "web\\x".into()),
            ("tier".into(), "front end\u{1}".into()),
        ]),
    )
}

struct Checker {
    renderers: Vec<(RenderOptions, Renderer, render_reference::Renderer)>,
    meta: [Arc<EndpointMeta>; 3],
    new: Vec<u8>,
    old: Vec<u8>,
    records: usize,
    /// The first mismatch: capture, options and both lines.
    mismatch: Option<String>,
}

impl Checker {
    fn new() -> Self {
        Checker {
            renderers: option_sets()
                .into_iter()
                .map(|o| {
                    (
                        o.clone(),
                        Renderer::new(o.clone()),
                        render_reference::Renderer::new(o),
                    )
                })
                .collect(),
            meta: [endpoint("web-1"), endpoint("db-ü"), endpoint("")],
            new: Vec::new(),
            old: Vec::new(),
            records: 0,
            mismatch: None,
        }
    }

    fn check(&mut self, capture: &str, rec: &FlowRecord) {
        self.records += 1;
        self.compare(capture, rec);
        let mut enriched = rec.clone();
        enriched.src_k8s = Some(self.meta[0].clone());
        enriched.dst_k8s = Some(self.meta[1].clone());
        enriched.sampler_k8s = Some(self.meta[2].clone());
        self.compare(capture, &enriched);
    }

    /// A datagram's records rendered at once (sharing what they have in
    /// common) against the reference's lines one by one.
    fn compare_batch<'a>(
        &mut self,
        capture: &str,
        recs: impl IntoIterator<Item = &'a FlowRecord> + Clone,
    ) {
        let what = format!("{capture}, a datagram's records at once");
        self.compare_with(
            &what,
            |new, out| new.write_batch(recs.clone(), out),
            |old, out| {
                for rec in recs.clone() {
                    old.write(rec, out);
                }
            },
        );
    }

    fn compare(&mut self, capture: &str, rec: &FlowRecord) {
        self.compare_with(
            capture,
            |new, out| new.write(rec, out),
            |old, out| old.write(rec, out),
        );
    }

    /// Renders with every option set through both renderers; keeps the first difference.
    fn compare_with(
        &mut self,
        what: &str,
        new_lines: impl Fn(&Renderer, &mut Vec<u8>),
        old_lines: impl Fn(&render_reference::Renderer, &mut Vec<u8>),
    ) {
        for (opts, new, old) in &self.renderers {
            self.new.clear();
            self.old.clear();
            new_lines(new, &mut self.new);
            old_lines(old, &mut self.old);
            if self.new != self.old && self.mismatch.is_none() {
                self.mismatch = Some(format!(
                    "{what}, {opts:?}\n new: {}\n old: {}",
                    String::from_utf8_lossy(&self.new),
                    String::from_utf8_lossy(&self.old)
                ));
            }
        }
    }
}

/// Renders every record of `path` through both renderers; returns how many.
fn check_capture(checker: &mut Checker, path: &Path) -> usize {
    let name = capture_name(path);
    let mut reader = flowgate_pcap::open(path)
        .unwrap_or_else(|e| panic!("{}: not a readable capture: {e}", path.display()));
    let mut pipeline = Pipeline::new(Decoder::default());
    let before = checker.records;
    // A capture that breaks off still had its earlier records checked.
    let _ = replay(
        &mut reader,
        &mut pipeline,
        &mut |_: &_, _: &_, _: &_| Ok(()),
        &mut |d| {
            for rec in d.batch {
                checker.check(&name, rec);
            }
            checker.compare_batch(&name, d.batch);
        },
    );
    if let Some(m) = &checker.mismatch {
        panic!("renderers disagree on a record of {m}");
    }
    checker.records - before
}

/// Captures in tests/data that hold no flow export, so decode to no record.
const NOT_FLOW_EXPORT: &[&str] = &[
    // The pods' own traffic, which softflowd reads to make the flow captures.
    "pod-traffic.pcap",
];

fn captures_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            captures_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            out.push(p);
        }
    }
    out.sort();
}

#[test]
fn project_captures_render_as_the_reference_renderer() {
    let mut paths = Vec::new();
    captures_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        &mut paths,
    );
    assert!(paths.len() >= 8, "tests/data has its captures: {paths:?}");
    let mut checker = Checker::new();
    for p in &paths {
        let n = check_capture(&mut checker, p);
        let flow_export = !NOT_FLOW_EXPORT.iter().any(|x| p.ends_with(x));
        assert!(
            n > 0 || !flow_export,
            "{} decodes to no flow record",
            p.display()
        );
    }
    eprintln!(
        "{} records of {} captures: identical",
        checker.records,
        paths.len()
    );
}

#[test]
fn corpus_captures_render_as_the_reference_renderer() {
    let Some(corpus) = corpus_dir() else {
        return corpus_absent("corpus_captures_render_as_the_reference_renderer");
    };
    let mut paths = Vec::new();
    captures_under(&corpus, &mut paths);
    let mut checker = Checker::new();
    for p in &paths {
        check_capture(&mut checker, p);
    }
    assert!(
        checker.records > 1000,
        "the corpus decodes to {} records only",
        checker.records
    );
    eprintln!(
        "{} records of {} corpus captures: identical",
        checker.records,
        paths.len()
    );
}
