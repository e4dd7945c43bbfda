//! Hand-written JSON and key=value rendering of a record. serde_json would
//! build every record through a generic serializer; this writes bytes
//! straight into a reused buffer, and tests parse its output back.
//!
//! The default output (JSON, every field) is the stdout sink's hot path and
//! has a writer of its own (`json_all.rs`) that walks the record's fields in
//! a straight line. Chosen field lists and the text format go through
//! [`FlowRecord::value`] per column, with each column's key prepared once.
//! Both produce exactly the bytes of the previous renderer, kept as
//! `reference.rs` and compared against in tests.

mod fmt;
mod json_all;
#[cfg(any(test, feature = "reference-renderer"))]
pub mod reference;
mod room;
#[cfg(test)]
mod tests;

pub(crate) use fmt::{write_ip, write_str, write_u64};

use crate::{etype_name, proto_name, FieldId, FlowRecord, Value};
use fmt::{write_hex, write_labels, write_list, write_mac, write_net, write_u32};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Json,
    /// `key=value` pairs separated by spaces, as goflow's text format.
    Text,
}

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub format: OutputFormat,
    /// Chosen columns in order. `None`: every field, absent optional ones left out.
    pub fields: Option<Vec<FieldId>>,
    /// Render `proto` and `etype` as names ("TCP", "IPv4"), as goflow2 does.
    pub names: bool,
}

/// One output column: its field and its key with the separator in front
/// (`,"bytes":` or ` bytes=`); the first column written drops the separator.
#[derive(Debug, Clone)]
struct Column {
    id: FieldId,
    key: Box<[u8]>,
}

#[derive(Debug, Clone)]
pub struct Renderer {
    columns: Box<[Column]>,
    explicit: bool,
    format: OutputFormat,
    names: bool,
}

impl Renderer {
    pub fn new(opts: RenderOptions) -> Self {
        let explicit = opts.fields.is_some();
        let json = opts.format == OutputFormat::Json;
        let fields = opts.fields.unwrap_or_else(|| FieldId::ALL.to_vec());
        let columns = fields
            .into_iter()
            .map(|id| {
                let key = if json {
                    format!(",\"{}\":", id.name())
                } else {
                    format!(" {}=", id.name())
                };
                Column {
                    id,
                    key: key.into_bytes().into_boxed_slice(),
                }
            })
            .collect();
        Renderer {
            columns,
            explicit,
            format: opts.format,
            names: opts.names,
        }
    }

    /// Appends one line per record of `recs` to `out`, as [`Renderer::write`]
    /// would one by one. Faster when consecutive records came in one
    /// datagram: the fields they share are rendered once.
    pub fn write_batch<'a>(
        &self,
        recs: impl IntoIterator<Item = &'a FlowRecord>,
        out: &mut Vec<u8>,
    ) {
        if self.format == OutputFormat::Json && !self.explicit {
            let mut shared = json_all::SharedHead::new();
            for rec in recs {
                json_all::write_json_all(rec, self.names, Some(&mut shared), out);
            }
        } else {
            for rec in recs {
                self.write(rec, out);
            }
        }
    }

    /// Appends one line (with its trailing newline) for `rec` to `out`.
    pub fn write(&self, rec: &FlowRecord, out: &mut Vec<u8>) {
        let json = self.format == OutputFormat::Json;
        if json && !self.explicit {
            return json_all::write_json_all(rec, self.names, None, out);
        }
        if json {
            out.push(b'{');
        }
        let mut first = true;
        for col in &*self.columns {
            let value = if col.id == FieldId::Extra {
                None
            } else {
                rec.value(col.id)
            };
            let present = value.is_some() || (col.id == FieldId::Extra && !rec.extras.is_empty());
            if !present && !self.explicit {
                continue;
            }
            out.extend_from_slice(if first { &col.key[1..] } else { &col.key });
            first = false;
            match value {
                Some(v) => self.write_value(v, out, json),
                None if col.id == FieldId::Extra => write_extras(rec, out, json),
                None if json => out.extend_from_slice(b"null"),
                None => {}
            }
        }
        out.extend_from_slice(if json { b"}\n" } else { b"\n" });
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
            Value::Proto(p) => write_u32(out, p.into()),
            Value::Etype(e) if self.names => write_str(out, etype_name(e), json),
            Value::Etype(e) => write_u32(out, e.into()),
            Value::List(l) => write_list(out, l, json),
            Value::Hex(b) if json => {
                out.push(b'"');
                write_hex(out, b);
                out.push(b'"');
            }
            Value::Hex(b) => write_hex(out, b),
            Value::Labels(l) => write_labels(out, l, json),
        }
    }
}

/// JSON `[{"pen":P,"id":I,"value":"hex"}]`; text `P:I:hex,P:I:hex`.
fn write_extras(rec: &FlowRecord, out: &mut Vec<u8>, json: bool) {
    if json {
        return json_all::write_extras_json(rec, out);
    }
    for (i, e) in rec.extras.iter().enumerate() {
        if i != 0 {
            out.push(b',');
        }
        write_u32(out, e.pen);
        out.push(b':');
        write_u32(out, e.id.into());
        out.push(b':');
        write_hex(out, rec.extra_value(e));
    }
}
