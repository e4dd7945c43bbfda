//! Decode-only throughput, records per second, per protocol. A baseline for
//! the performance work: compare ratios between runs on the same machine.

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgate_decode::{Decoder, Exporter};
use flowgate_record::{RecordBatch, Renderer};

mod wire;

fn exporter() -> Exporter {
    Exporter {
        addr: "192.0.2.1:4739".parse::<SocketAddr>().unwrap(),
        received_ns: 1_700_000_000_000_000_000,
    }
}

fn bench_one(c: &mut Criterion, name: &str, template: Option<Vec<u8>>, data: Vec<u8>) {
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::with_capacity(64);
    if let Some(t) = template {
        decoder
            .decode(exporter(), &t, &mut batch)
            .expect("template decodes");
    }
    batch.clear();
    let report = decoder
        .decode(exporter(), &data, &mut batch)
        .expect("data decodes");
    let records = report.records as u64;
    assert!(
        records > 0,
        "{name}: the bench datagram decodes to no record"
    );
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(records));
    group.bench_function(name, |b| {
        b.iter(|| {
            batch.clear();
            black_box(
                decoder
                    .decode(exporter(), black_box(&data), &mut batch)
                    .ok(),
            );
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    bench_one(c, "netflow_v5_30", None, wire::v5_datagram(30));
    bench_one(
        c,
        "netflow_v9_fixed_20",
        Some(wire::v9_template(wire::FIXED_IPV4)),
        wire::v9_data(wire::FIXED_IPV4, 20),
    );
    bench_one(
        c,
        "ipfix_fixed_20",
        Some(wire::ipfix_template(wire::FIXED_IPV4)),
        wire::ipfix_data(wire::FIXED_IPV4, 20),
    );
    bench_one(
        c,
        "ipfix_ovs_ingress_tcp_20",
        Some(wire::ipfix_template(wire::OVS_IPV4_TCP_INGRESS)),
        wire::ipfix_data(wire::OVS_IPV4_TCP_INGRESS, 20),
    );
    bench_one(
        c,
        "sflow_6_samples_128b_headers",
        None,
        wire::sflow_datagram(6),
    );
}

fn render(c: &mut Criterion) {
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::new();
    decoder
        .decode(exporter(), &wire::v5_datagram(30), &mut batch)
        .unwrap();
    let renderer = Renderer::new(Default::default());
    let mut out = Vec::with_capacity(64 * 1024);
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("json_v5_30", |b| {
        b.iter(|| {
            out.clear();
            for r in &batch {
                renderer.write(r, &mut out);
            }
            black_box(out.len());
        })
    });
    group.finish();
}

criterion_group!(benches, decode, render);
criterion_main!(benches);
