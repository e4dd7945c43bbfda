//! What enrichment costs per record: the same batch of 32 records through
//! an empty chain (the baseline: clearing the fields a reused batch slot
//! had), the static enricher, the Kubernetes enricher, and both chained;
//! and, for scale, decoding as many IPFIX records.
//! Results and their ratio to the baseline: docs/enrich.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgate_decode::{Decoder, Exporter};
use flowgate_enrich::{Enricher, EnricherChain};
use flowgate_record::RecordBatch;

#[path = "data.rs"]
mod data;
#[path = "../../../benches/wire.rs"]
#[allow(dead_code)]
mod wire;

const BATCH: usize = 32;

fn chain(c: &mut Criterion) {
    let chains: [(&str, Vec<Box<dyn Enricher>>); 4] = [
        ("empty", vec![]),
        ("static", vec![Box::new(data::static_enricher())]),
        ("kubernetes", vec![Box::new(data::kubernetes_enricher())]),
        (
            "static+kubernetes",
            vec![
                Box::new(data::static_enricher()),
                Box::new(data::kubernetes_enricher()),
            ],
        ),
    ];
    let mut g = c.benchmark_group("enrich_chain");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, enrichers) in chains {
        let chain = EnricherChain::new(enrichers);
        let mut batch = data::records(BATCH);
        g.bench_function(name, |b| {
            b.iter(|| {
                data::clear(&mut batch);
                chain.apply(std::hint::black_box(&mut batch));
            })
        });
    }
    // The work enrichment adds to: decoding the same number of records
    // (Open vSwitch's IPFIX template) into a reused batch.
    let exporter = Exporter {
        addr: "192.0.2.1:4739".parse().unwrap(),
        received_ns: 1,
    };
    let mut decoder = Decoder::default();
    let mut out = RecordBatch::new();
    let template = wire::ipfix_template(wire::OVS_IPV4_TCP_INGRESS);
    decoder.decode(exporter, &template, &mut out).unwrap();
    let data = wire::ipfix_data(wire::OVS_IPV4_TCP_INGRESS, BATCH);
    g.bench_function("decode_ipfix_ovs", |b| {
        b.iter(|| {
            out.clear();
            decoder
                .decode(exporter, std::hint::black_box(&data), &mut out)
                .unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
