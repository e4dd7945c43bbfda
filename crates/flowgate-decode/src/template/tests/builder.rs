//! Hand-built v9 / IPFIX datagrams for the tests.

use std::net::SocketAddr;

use flowgate_record::RecordBatch;

use crate::{DatagramReport, Decoder, Exporter};

pub(crate) const EXPORT_SECS: u32 = 1_700_000_000;
pub(crate) const UPTIME_MS: u32 = 100_000;
pub(crate) const VAR: u16 = 65535;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub pen: u32,
    pub id: u16,
    pub len: u16,
}

pub(crate) const fn f(id: u16, len: u16) -> Field {
    Field { pen: 0, id, len }
}

pub(crate) const fn e(pen: u32, id: u16, len: u16) -> Field {
    Field { pen, id, len }
}

fn put_fields(b: &mut Vec<u8>, fields: &[Field], ipfix: bool) {
    for fl in fields {
        if ipfix && fl.pen != 0 {
            b.extend((fl.id | 0x8000).to_be_bytes());
            b.extend(fl.len.to_be_bytes());
            b.extend(fl.pen.to_be_bytes());
        } else {
            b.extend(fl.id.to_be_bytes());
            b.extend(fl.len.to_be_bytes());
        }
    }
}

/// A message under construction: header fields, then sets in order.
#[derive(Clone)]
pub(crate) struct Msg {
    ipfix: bool,
    pub domain: u32,
    pub sequence: u32,
    pub export_secs: u32,
    pub uptime_ms: u32,
    pub count: Option<u16>,
    pub length: Option<u16>,
    sets: Vec<u8>,
    nsets: u16,
}

impl Msg {
    pub(crate) fn v9(domain: u32) -> Msg {
        Msg {
            ipfix: false,
            domain,
            sequence: 7,
            export_secs: EXPORT_SECS,
            uptime_ms: UPTIME_MS,
            count: None,
            length: None,
            sets: Vec::new(),
            nsets: 0,
        }
    }

    pub(crate) fn ipfix(domain: u32) -> Msg {
        Msg {
            ipfix: true,
            ..Msg::v9(domain)
        }
    }

    /// A set with any id and body, padded to 4 bytes.
    pub(crate) fn set(mut self, id: u16, body: &[u8]) -> Msg {
        let pad = (4 - body.len() % 4) % 4;
        self.sets.extend(id.to_be_bytes());
        self.sets
            .extend(((4 + body.len() + pad) as u16).to_be_bytes());
        self.sets.extend(body);
        self.sets.extend(std::iter::repeat_n(0, pad));
        self.nsets += 1;
        self
    }

    pub(crate) fn template(self, id: u16, fields: &[Field]) -> Msg {
        let mut b = Vec::new();
        b.extend(id.to_be_bytes());
        b.extend((fields.len() as u16).to_be_bytes());
        put_fields(&mut b, fields, self.ipfix);
        let set_id = if self.ipfix { 2 } else { 0 };
        self.set(set_id, &b)
    }

    pub(crate) fn options(self, id: u16, scope: &[Field], fields: &[Field]) -> Msg {
        let mut b = Vec::new();
        b.extend(id.to_be_bytes());
        if self.ipfix {
            b.extend(((scope.len() + fields.len()) as u16).to_be_bytes());
            b.extend((scope.len() as u16).to_be_bytes());
        } else {
            b.extend(((scope.len() * 4) as u16).to_be_bytes());
            b.extend(((fields.len() * 4) as u16).to_be_bytes());
        }
        put_fields(&mut b, scope, self.ipfix);
        put_fields(&mut b, fields, self.ipfix);
        let set_id = if self.ipfix { 3 } else { 1 };
        self.set(set_id, &b)
    }

    /// IPFIX template withdrawal (field count 0).
    pub(crate) fn withdraw(self, set_id: u16, template_id: u16) -> Msg {
        let mut b = template_id.to_be_bytes().to_vec();
        b.extend([0, 0]);
        self.set(set_id, &b)
    }

    pub(crate) fn data(self, id: u16, records: &[Rec]) -> Msg {
        let body: Vec<u8> = records.iter().flat_map(|r| r.0.iter().copied()).collect();
        self.set(id, &body)
    }

    pub(crate) fn build(&self) -> Vec<u8> {
        let mut d = Vec::new();
        if self.ipfix {
            let len = self.length.unwrap_or((16 + self.sets.len()) as u16);
            d.extend(10u16.to_be_bytes());
            d.extend(len.to_be_bytes());
            d.extend(self.export_secs.to_be_bytes());
            d.extend(self.sequence.to_be_bytes());
            d.extend(self.domain.to_be_bytes());
        } else {
            d.extend(9u16.to_be_bytes());
            d.extend(self.count.unwrap_or(self.nsets).to_be_bytes());
            d.extend(self.uptime_ms.to_be_bytes());
            d.extend(self.export_secs.to_be_bytes());
            d.extend(self.sequence.to_be_bytes());
            d.extend(self.domain.to_be_bytes());
        }
        d.extend(&self.sets);
        d
    }
}

/// One data record, field by field.
#[derive(Clone, Default)]
pub(crate) struct Rec(pub Vec<u8>);

impl Rec {
    pub(crate) fn new() -> Rec {
        Rec::default()
    }
    pub(crate) fn u8(mut self, v: u8) -> Rec {
        self.0.push(v);
        self
    }
    pub(crate) fn u16(mut self, v: u16) -> Rec {
        self.0.extend(v.to_be_bytes());
        self
    }
    pub(crate) fn u32(mut self, v: u32) -> Rec {
        self.0.extend(v.to_be_bytes());
        self
    }
    pub(crate) fn u64(mut self, v: u64) -> Rec {
        self.0.extend(v.to_be_bytes());
        self
    }
    pub(crate) fn bytes(mut self, v: &[u8]) -> Rec {
        self.0.extend(v);
        self
    }
    pub(crate) fn ip(self, s: &str) -> Rec {
        match s.parse::<std::net::IpAddr>().unwrap() {
            std::net::IpAddr::V4(a) => self.bytes(&a.octets()),
            std::net::IpAddr::V6(a) => self.bytes(&a.octets()),
        }
    }
    /// A variable-length value with its 1- or 3-byte length prefix.
    pub(crate) fn var(mut self, v: &[u8]) -> Rec {
        if v.len() < 255 {
            self.0.push(v.len() as u8);
        } else {
            self.0.push(255);
            self.0.extend((v.len() as u16).to_be_bytes());
        }
        self.bytes(v)
    }
}

pub(crate) const ADDR: &str = "192.0.2.1:4739";

pub(crate) fn exporter_at(addr: &str, received_ns: u64) -> Exporter {
    Exporter {
        addr: addr.parse::<SocketAddr>().unwrap(),
        received_ns,
    }
}

/// A decoder plus a batch, fed datagrams from one exporter.
pub(crate) struct Harness {
    pub dec: Decoder,
    pub out: RecordBatch,
    pub now: u64,
}

impl Harness {
    pub(crate) fn new() -> Harness {
        Harness::with(crate::Limits::default())
    }

    pub(crate) fn with(limits: crate::Limits) -> Harness {
        Harness {
            dec: Decoder::new(limits),
            out: RecordBatch::new(),
            now: EXPORT_SECS as u64 * 1_000_000_000,
        }
    }

    pub(crate) fn feed_from(&mut self, addr: &str, msg: &Msg) -> DatagramReport {
        self.feed_raw(addr, &msg.build())
    }

    pub(crate) fn feed(&mut self, msg: &Msg) -> DatagramReport {
        self.feed_from(ADDR, msg)
    }

    pub(crate) fn feed_raw(&mut self, addr: &str, datagram: &[u8]) -> DatagramReport {
        self.now += 1_000_000;
        self.dec
            .decode(exporter_at(addr, self.now), datagram, &mut self.out)
            .expect("datagram accepted")
    }

    pub(crate) fn records(&self) -> &[flowgate_record::FlowRecord] {
        self.out.as_slice()
    }

    pub(crate) fn last(&self) -> &flowgate_record::FlowRecord {
        self.out.as_slice().last().expect("a record")
    }
}

/// The value of extra element (pen, id) in a record, if present.
pub(crate) fn extra(r: &flowgate_record::FlowRecord, pen: u32, id: u16) -> Option<&[u8]> {
    r.extras
        .iter()
        .find(|x| x.pen == pen && x.id == id)
        .map(|x| r.extra_value(x))
}
