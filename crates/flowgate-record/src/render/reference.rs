//! The renderer as it was before the fast one (`super`), kept unchanged as
//! the oracle: the differential tests render every record with both and
//! require identical bytes, and the `render` bench prints old against new.
//! Test and bench builds only (`reference-renderer` feature).

use std::io::Write;
use std::net::IpAddr;

use super::{OutputFormat, RenderOptions};
use crate::{etype_name, proto_name, FieldId, FlowRecord, Value};

#[derive(Debug, Clone)]
pub struct Renderer {
    fields: Vec<FieldId>,
    explicit: bool,
    format: OutputFormat,
    names: bool,
}

impl Renderer {
    pub fn new(opts: RenderOptions) -> Self {
        let explicit = opts.fields.is_some();
        Renderer {
            fields: opts.fields.unwrap_or_else(|| FieldId::ALL.to_vec()),
            explicit,
            format: opts.format,
            names: opts.names,
        }
    }

    /// Appends one line (with its trailing newline) for `rec` to `out`.
    pub fn write(&self, rec: &FlowRecord, out: &mut Vec<u8>) {
        let json = self.format == OutputFormat::Json;
        if json {
            out.push(b'{');
        }
        let mut first = true;
        for &id in &self.fields {
            if id == FieldId::Extra {
                if rec.extras.is_empty() && !self.explicit {
                    continue;
                }
                sep(out, &mut first, json);
                key(out, "extra", json);
                write_extras(rec, out, json);
                continue;
            }
            let value = rec.value(id);
            if value.is_none() && !self.explicit {
                continue;
            }
            sep(out, &mut first, json);
            key(out, id.name(), json);
            match value {
                Some(v) => self.write_value(v, out, json),
                None if json => out.extend_from_slice(b"null"),
                None => {}
            }
        }
        if json {
            out.push(b'}');
        }
        out.push(b'\n');
    }

    fn write_value(&self, v: Value<'_>, out: &mut Vec<u8>, json: bool) {
        match v {
            Value::U64(n) => write_u64(out, n),
            Value::Str(s) => write_str(out, s, json),
            Value::Type(t) => write_str(out, t.as_str(), json),
            Value::Ip(a) => write_ip(out, a, json),
            Value::Mac(m) => write_mac(out, m, json),
            Value::Net(a, len) => write_net(out, a, len, json),
            Value::Proto(p) if self.names => write_str(out, proto_name(p), json),
            Value::Proto(p) => write_u64(out, p.into()),
            Value::Etype(e) if self.names => write_str(out, etype_name(e), json),
            Value::Etype(e) => write_u64(out, e.into()),
            Value::List(l) => write_list(out, l, json),
            Value::Hex(b) => quoted(out, json, |out| write_hex(out, b)),
            Value::Labels(l) => write_labels(out, l, json),
        }
    }
}

fn sep(out: &mut Vec<u8>, first: &mut bool, json: bool) {
    if !*first {
        out.push(if json { b',' } else { b' ' });
    }
    *first = false;
}

fn key(out: &mut Vec<u8>, name: &str, json: bool) {
    if json {
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    } else {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
    }
}

fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// JSON `[1,2]`; text `1,2` (empty: nothing), so a value never holds a space.
fn write_list(out: &mut Vec<u8>, l: &[u32], json: bool) {
    if json {
        out.push(b'[');
    }
    for (i, &n) in l.iter().enumerate() {
        if i != 0 {
            out.push(b',');
        }
        write_u64(out, n.into());
    }
    if json {
        out.push(b']');
    }
}

/// JSON `{"app":"web"}`; text `app:web,tier:db` (no spaces, no `=`).
fn write_labels(out: &mut Vec<u8>, labels: &[(Box<str>, Box<str>)], json: bool) {
    if json {
        out.push(b'{');
    }
    for (i, (k, v)) in labels.iter().enumerate() {
        if i != 0 {
            out.push(b',');
        }
        write_str(out, k, json);
        out.push(b':');
        write_str(out, v, json);
    }
    if json {
        out.push(b'}');
    }
}

fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
}

fn write_str(out: &mut Vec<u8>, s: &str, json: bool) {
    if !json {
        // Text values cannot hold spaces or '=' unambiguously.
        for c in s.chars() {
            if c.is_whitespace() || c == '=' || c.is_control() {
                out.push(b'_');
            } else {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        return;
    }
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                let _ = write!(out, "\\u{:04x}", b);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn quoted(out: &mut Vec<u8>, json: bool, f: impl FnOnce(&mut Vec<u8>)) {
    if json {
        out.push(b'"');
    }
    f(out);
    if json {
        out.push(b'"');
    }
}

fn write_ip(out: &mut Vec<u8>, a: Option<IpAddr>, json: bool) {
    quoted(out, json, |out| {
        if let Some(a) = a {
            let _ = write!(out, "{a}");
        }
    });
}

fn write_mac(out: &mut Vec<u8>, m: u64, json: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    quoted(out, json, |out| {
        for i in (0..6).rev() {
            let byte = (m >> (i * 8)) as u8;
            out.push(HEX[(byte >> 4) as usize]);
            out.push(HEX[(byte & 15) as usize]);
            if i != 0 {
                out.push(b':');
            }
        }
    });
}

fn write_net(out: &mut Vec<u8>, a: Option<IpAddr>, len: u8, json: bool) {
    quoted(out, json, |out| {
        let Some(a) = a else { return };
        let net = match a {
            IpAddr::V4(v4) => {
                let len = len.min(32);
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                let _ = write!(
                    out,
                    "{}/{len}",
                    std::net::Ipv4Addr::from(u32::from(v4) & mask)
                );
                return;
            }
            IpAddr::V6(v6) => (v6, len.min(128)),
        };
        let mask = if net.1 == 0 {
            0
        } else {
            u128::MAX << (128 - net.1)
        };
        let _ = write!(
            out,
            "{}/{}",
            std::net::Ipv6Addr::from(u128::from(net.0) & mask),
            net.1
        );
    });
}

fn write_extras(rec: &FlowRecord, out: &mut Vec<u8>, json: bool) {
    if json {
        out.push(b'[');
    }
    let out_len_before = out.len();
    for e in &rec.extras {
        if out.len() != out_len_before {
            out.push(b',');
        }
        if json {
            out.extend_from_slice(b"{\"pen\":");
            write_u64(out, e.pen.into());
            out.extend_from_slice(b",\"id\":");
            write_u64(out, e.id.into());
            out.extend_from_slice(b",\"value\":\"");
        } else {
            write_u64(out, e.pen.into());
            out.push(b':');
            write_u64(out, e.id.into());
            out.push(b':');
        }
        write_hex(out, rec.extra_value(e));
        if json {
            out.extend_from_slice(b"\"}");
        }
    }
    if json {
        out.push(b']');
    }
}
