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

use flowgate_record::{FieldId, FlowRecord, OutputFormat, RenderOptions, Renderer, Value};

/// Writes the canonical bytes of chosen fields of a record.
#[derive(Debug, Clone)]
pub struct FieldKey {
    fields: Vec<(FieldId, Renderer)>,
}

impl FieldKey {
    pub fn new(fields: &[FieldId]) -> Self {
        let fields = fields
            .iter()
            .map(|&id| {
                let r = Renderer::new(RenderOptions {
                    format: OutputFormat::Text,
                    fields: Some(vec![id]),
                    names: false,
                });
                (id, r)
            })
            .collect();
        FieldKey { fields }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn fields(&self) -> impl Iterator<Item = FieldId> + '_ {
        self.fields.iter().map(|(id, _)| *id)
    }

    /// Appends the canonical bytes of every key field of `rec` to `out`.
    pub fn write(&self, rec: &FlowRecord, out: &mut Vec<u8>) {
        for (id, renderer) in &self.fields {
            write_value(rec, *id, renderer, out);
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

fn write_value(rec: &FlowRecord, id: FieldId, renderer: &Renderer, out: &mut Vec<u8>) {
    let number = |out: &mut Vec<u8>, n: u64| {
        out.push(1);
        out.extend_from_slice(&n.to_be_bytes());
    };
    let string = |out: &mut Vec<u8>, tag: u8, s: &[u8]| {
        out.push(tag);
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s);
    };
    match rec.value(id) {
        None | Some(Value::Ip(None)) => out.push(0),
        Some(Value::U64(n)) | Some(Value::Mac(n)) => number(out, n),
        Some(Value::Proto(p)) => number(out, p.into()),
        Some(Value::Etype(e)) => number(out, e.into()),
        Some(Value::Ip(Some(a))) => {
            out.push(2);
            let v6 = match a {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            out.extend_from_slice(&v6.octets());
        }
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
            in_if_name: "eth0".into(),
            src_net: 24,
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
}
