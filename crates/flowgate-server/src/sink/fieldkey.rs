//! Record fields as bytes, for keys: the Kafka message key and the
//! Prometheus sink's series key are built from these into a reused buffer,
//! so neither allocates per record.
//!
//! Canonical bytes of one field (docs/server.md repeats this, so that a
//! consumer can compute the same key):
//!
//! | value | bytes |
//! |---|---|
//! | absent (optional field not sent, or an unset address) | `00` |
//! | number (ports, proto, etype, counters, MAC as a 48-bit number) | `01` + 8 bytes big-endian |
//! | address | `02` + 16 bytes (IPv4 as `::ffff:a.b.c.d`) |
//! | string, and `type` (`"IPFIX"`) | `03` + 4-byte big-endian length + UTF-8 |
//! | anything else (prefixes, lists, labels, hex) | `04` + 4-byte big-endian length + its `--format text` rendering `name=value\n` |
//!
//! The Kafka key is FNV-1a 64 over the concatenation of the key fields'
//! bytes, in the configured order, written as 8 bytes big-endian.

use std::net::IpAddr;

use flowgate_record::{
    EndpointMeta, EndpointRef, FieldId, FlowRecord, OutputFormat, RenderOptions, Renderer, Value,
};

/// Writes the canonical bytes of chosen fields of a record.
#[derive(Debug, Clone)]
pub struct FieldKey {
    fields: Vec<(FieldId, Part)>,
}

type Write = fn(&FlowRecord, &mut Vec<u8>);

/// How one key field is written.
#[derive(Debug, Clone)]
enum Part {
    /// Its own writer (see [`direct`]).
    Direct(Write),
    /// Through [`FlowRecord::value`], with the text rendering for values
    /// that have no canonical bytes of their own.
    Value(Renderer),
}

impl Part {
    fn of(id: FieldId) -> Part {
        direct(id).map_or_else(|| Part::Value(text_renderer(id)), Part::Direct)
    }
}

fn text_renderer(id: FieldId) -> Renderer {
    Renderer::new(RenderOptions {
        format: OutputFormat::Text,
        fields: Some(vec![id]),
        names: false,
    })
}

impl FieldKey {
    pub fn new(fields: &[FieldId]) -> Self {
        FieldKey {
            fields: fields.iter().map(|&id| (id, Part::of(id))).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn fields(&self) -> impl Iterator<Item = FieldId> + '_ {
        self.fields.iter().map(|(id, _)| *id)
    }

    /// Appends the canonical bytes of every key field of `rec` to `out`.
    pub fn write(&self, rec: &FlowRecord, out: &mut Vec<u8>) {
        for (id, part) in &self.fields {
            match part {
                Part::Direct(w) => w(rec, out),
                Part::Value(renderer) => write_value(rec, *id, renderer, out),
            }
        }
    }

    /// The Kafka message key: FNV-1a 64 of the fields' bytes, big-endian.
    /// `scratch` is reused between calls.
    pub fn hash(&self, rec: &FlowRecord, scratch: &mut Vec<u8>) -> [u8; 8] {
        scratch.clear();
        self.write(rec, scratch);
        fnv1a64(scratch).to_be_bytes()
    }
}

/// Writers for the fields keys are usually made of (the Prometheus sink's
/// default labels, the usual Kafka keys), reading the field itself rather
/// than going through [`FlowRecord::value`]'s match on every record. They
/// write exactly what [`write_value`] writes (a test holds them to it).
fn direct(id: FieldId) -> Option<Write> {
    use FieldId::*;
    fn k8s(out: &mut Vec<u8>, m: &Option<EndpointRef>, f: fn(&EndpointMeta) -> &str) {
        match m.as_deref().map(f) {
            Some(s) if !s.is_empty() => string(out, 3, s.as_bytes()),
            _ => out.push(0),
        }
    }
    Some(match id {
        Proto => |r, o| number(o, r.proto.into()),
        SrcPort => |r, o| number(o, r.src_port.into()),
        DstPort => |r, o| number(o, r.dst_port.into()),
        InIf => |r, o| number(o, r.in_if.into()),
        OutIf => |r, o| number(o, r.out_if.into()),
        Etype => |r, o| number(o, r.etype.into()),
        SrcAddr => |r, o| ip(o, r.src_addr),
        DstAddr => |r, o| ip(o, r.dst_addr),
        SamplerAddress => |r, o| ip(o, r.sampler_address),
        Type => |r, o| string(o, 3, r.flow_type.as_str().as_bytes()),
        SrcK8sNamespace => |r, o| k8s(o, &r.src_k8s, |m| &m.namespace),
        SrcK8sName => |r, o| k8s(o, &r.src_k8s, |m| &m.name),
        SrcK8sOwnerName => |r, o| k8s(o, &r.src_k8s, |m| &m.owner_name),
        SrcK8sNode => |r, o| k8s(o, &r.src_k8s, |m| &m.node),
        DstK8sNamespace => |r, o| k8s(o, &r.dst_k8s, |m| &m.namespace),
        DstK8sName => |r, o| k8s(o, &r.dst_k8s, |m| &m.name),
        DstK8sOwnerName => |r, o| k8s(o, &r.dst_k8s, |m| &m.owner_name),
        DstK8sNode => |r, o| k8s(o, &r.dst_k8s, |m| &m.node),
        SamplerK8sNode => |r, o| k8s(o, &r.sampler_k8s, |m| &m.node),
        _ => return None,
    })
}

fn number(out: &mut Vec<u8>, n: u64) {
    let mut b = [1u8; 9];
    b[1..].copy_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&b);
}

fn string(out: &mut Vec<u8>, tag: u8, s: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

fn ip(out: &mut Vec<u8>, a: Option<IpAddr>) {
    let Some(a) = a else {
        out.push(0);
        return;
    };
    let v6 = match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    let mut b = [2u8; 17];
    b[1..].copy_from_slice(&v6.octets());
    out.extend_from_slice(&b);
}

fn write_value(rec: &FlowRecord, id: FieldId, renderer: &Renderer, out: &mut Vec<u8>) {
    match rec.value(id) {
        None => out.push(0),
        Some(Value::U64(n)) | Some(Value::Mac(n)) => number(out, n),
        Some(Value::Proto(p)) => number(out, p.into()),
        Some(Value::Etype(e)) => number(out, e.into()),
        Some(Value::Ip(a)) => ip(out, a),
        Some(Value::Str(s)) => string(out, 3, s.as_bytes()),
        Some(Value::Type(t)) => string(out, 3, t.as_str().as_bytes()),
        Some(_) => {
            out.push(4);
            let at = out.len();
            out.extend_from_slice(&[0; 4]);
            renderer.write(rec, out);
            let len = (out.len() - at - 4) as u32;
            out[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
    }
}

/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_and_hash_are_as_documented() {
        let rec = FlowRecord {
            src_addr: Some("10.0.0.1".parse().unwrap()),
            dst_addr: None,
            proto: 6,
            src_port: 443,
            src_net: 24,
            ext: flowgate_record::Extended {
                in_if_name: "eth0".into(),
                ..flowgate_record::Extended::EMPTY
            }
            .into(),
            ..Default::default()
        };
        let ids: Vec<FieldId> = ["src_addr", "dst_addr", "proto", "src_port", "in_if_name"]
            .iter()
            .map(|n| FieldId::from_name(n).unwrap())
            .collect();
        let key = FieldKey::new(&ids);
        let mut out = Vec::new();
        key.write(&rec, &mut out);
        let mut want = vec![2];
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
        want.push(0);
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 6]);
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 1, 0xbb]);
        want.extend_from_slice(&[3, 0, 0, 0, 4, b'e', b't', b'h', b'0']);
        assert_eq!(out, want);
        assert_eq!(
            key.hash(&rec, &mut Vec::new()),
            fnv1a64(&want).to_be_bytes()
        );
        // The published FNV-1a test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        let net = FieldKey::new(&[FieldId::SrcNet]);
        out.clear();
        net.write(&rec, &mut out);
        assert_eq!(out, b"\x04\x00\x00\x00\x14src_net=10.0.0.0/24\n");
    }

    #[test]
    fn direct_writers_write_what_the_generic_path_writes() {
        use std::sync::Arc;
        let meta = |ns: &str, owner: &str| {
            Some(Arc::new(EndpointMeta {
                namespace: ns.into(),
                name: "web-1".into(),
                owner_name: owner.into(),
                node: "node-a".into(),
                ..Default::default()
            }))
        };
        let mut records = vec![FlowRecord::default()];
        let mut full = FlowRecord {
            src_addr: Some("10.0.0.1".parse().unwrap()),
            dst_addr: Some("2001:db8::7".parse().unwrap()),
            sampler_address: Some("192.0.2.1".parse().unwrap()),
            proto: 17,
            src_port: 53,
            dst_port: 40000,
            in_if: 3,
            out_if: u32::MAX,
            etype: 0x86dd,
            flow_type: flowgate_record::FlowType::Ipfix,
            src_k8s: meta("shop", "web"),
            dst_k8s: meta("", ""),
            sampler_k8s: meta("x", "y"),
            ..Default::default()
        };
        records.push(full.clone());
        full.src_k8s = None;
        full.dst_k8s = meta("db", "pg");
        full.flow_type = flowgate_record::FlowType::Sflow5;
        records.push(full);
        let mut checked = 0;
        for &id in FieldId::ALL {
            let Some(w) = direct(id) else { continue };
            checked += 1;
            let generic = text_renderer(id);
            for rec in &records {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                w(rec, &mut a);
                write_value(rec, id, &generic, &mut b);
                assert_eq!(a, b, "{} of {rec:?}", id.name());
            }
        }
        assert_eq!(checked, 19, "every direct writer was compared");
    }
}
