//! Serialising one record, per sink format: protobuf (the Kafka sink's
//! delimited FlowMessage) and JSON lines (stdout), for records of each
//! protocol, so that a change to either encoder shows as a ratio against
//! the other in the same run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgate_record::Renderer;
use flowgate_server::sink::proto::ProtoEncoder;

// Shared with benches/decode.rs, which uses the builders this one does not.
#[allow(dead_code)]
mod wire;

fn serialise(c: &mut Criterion) {
    let kinds = wire::records_per_protocol();
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
                renderer.write_batch(batch, &mut out);
                black_box(out.len());
            })
        });
        // One by one: the head the records of a datagram share is rendered for each.
        group.bench_function(format!("json_each_{name}"), |b| {
            b.iter(|| {
                out.clear();
                for r in batch {
                    renderer.write(r, &mut out);
                }
                black_box(out.len());
            })
        });
    }
    // Records that differ as real traffic does: the widths of numbers and
    // addresses vary, so the branches on them are not learnt.
    let varied = wire::v5_varied_records(16);
    group.throughput(Throughput::Elements(varied.len() as u64));
    group.bench_function("json_v5_varied", |b| {
        b.iter(|| {
            out.clear();
            renderer.write_batch(&varied, &mut out);
            black_box(out.len());
        })
    });
    group.finish();
}

criterion_group!(benches, serialise);
criterion_main!(benches);
