//! Serialising one record, per sink format: protobuf (the Kafka sink's
//! delimited FlowMessage) and JSON lines (stdout), for records of each
//! protocol, so that a change to either encoder shows as a ratio against
//! the other in the same run.

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgate_decode::{Decoder, Exporter};
use flowgate_record::{RecordBatch, Renderer};
use flowgate_server::sink::proto::ProtoEncoder;

// Shared with benches/decode.rs, which uses the builders this one does not.
#[allow(dead_code)]
mod wire;

fn records(template: Option<Vec<u8>>, data: Vec<u8>) -> RecordBatch {
    let exporter = Exporter {
        addr: "192.0.2.1:4739".parse::<SocketAddr>().unwrap(),
        received_ns: 1_700_000_000_000_000_000,
    };
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::new();
    if let Some(t) = template {
        decoder.decode(exporter, &t, &mut batch).unwrap();
        batch.clear();
    }
    decoder.decode(exporter, &data, &mut batch).unwrap();
    assert!(!batch.is_empty());
    batch
}

fn serialise(c: &mut Criterion) {
    let kinds = [
        ("v5", records(None, wire::v5_datagram(30))),
        (
            "ipfix_ovs",
            records(
                Some(wire::ipfix_template(wire::OVS_IPV4_TCP_INGRESS)),
                wire::ipfix_data(wire::OVS_IPV4_TCP_INGRESS, 20),
            ),
        ),
        ("sflow", records(None, wire::sflow_datagram(6))),
    ];
    let renderer = Renderer::new(Default::default());
    let mut proto = ProtoEncoder;
    let mut out = Vec::with_capacity(64 * 1024);
    let mut group = c.benchmark_group("serialise");
    for (name, batch) in &kinds {
        group.throughput(Throughput::Elements(batch.len() as u64));
        group.bench_function(format!("protobuf_{name}"), |b| {
            b.iter(|| {
                out.clear();
                for r in batch {
                    proto.encode_delimited(r, &mut out);
                }
                black_box(out.len());
            })
        });
        group.bench_function(format!("json_{name}"), |b| {
            b.iter(|| {
                out.clear();
                for r in batch {
                    renderer.write(r, &mut out);
                }
                black_box(out.len());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, serialise);
criterion_main!(benches);
