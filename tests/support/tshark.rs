//! Reads Wireshark's decode of a capture (`tshark -T json --no-duplicate-keys
//! -J cflow`) into the few per-record fields the oracle tests compare.
//!
//! Shapes met in the corpus (tshark 4.0):
//! * NetFlow v5: `layers.cflow["pdu i/n"]`, one object per record.
//! * v9 / IPFIX: `layers.cflow["FlowSet n [id=X] (k flows)"]` (v9) or
//!   `["Set n [id=X] (k flows)"]` (IPFIX) holding `"Flow j"` objects. A set
//!   without a known template is `"... [id=X]"` holding `"Data (N bytes), no
//!   template found"` and no flows. A set during which tshark threw keeps the
//!   flows it got as far as, and loses the `(k flows)` suffix.
//! * Options data records look like data records; they are told apart by
//!   their template, which an earlier set declared as `"Options Template (Id
//!   = X) ..."`; `cflow.template_frame` in the data set names that frame.
//! * `--no-duplicate-keys` turns a name that occurs twice in one record into
//!   an array: tshark shows several elements under one name (IE 7 and
//!   180/182 as `cflow.srcport`, RFC 5103 reverse octets as `cflow.octets`,
//!   outer and inner protocol). Every value is kept; a decoder value equal
//!   to any of them agrees with tshark.
//! * A record whose flow is only in an IPFIX `dataLinkFrameSection` (IE 315)
//!   has no `cflow.srcaddr`; tshark decodes the frame under
//!   `cflow.data_link_frame_section_tree` (`eth`, `vlan`, `mpls`, `ipv6`,
//!   `ip`, `tcp`, ...). The innermost IP layer and the transport layer after
//!   it give the addresses, protocol and ports there, as flowgate takes the
//!   innermost packet as the flow. Layer order matters, so the JSON is read
//!   into [`Json`], which keeps object keys in file order (serde_json's map
//!   sorts them).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One flow record as tshark shows it. An empty vector: tshark shows no such
/// field for this record, so it is not compared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TsRecord {
    pub src_addr: Vec<IpAddr>,
    pub dst_addr: Vec<IpAddr>,
    pub src_port: Vec<u64>,
    pub dst_port: Vec<u64>,
    pub proto: Vec<u64>,
    pub bytes: Vec<u64>,
    pub packets: Vec<u64>,
    /// The addresses, protocol and ports come from tshark's decode of the
    /// record's dataLinkFrameSection.
    pub from_frame_section: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TsFrame {
    /// Data (flow) records, in wire order.
    pub records: Vec<TsRecord>,
    pub options_records: usize,
}

#[derive(Debug, Clone, Default)]
pub struct TsCapture {
    /// Index = frame number - 1, as in the JSON array.
    pub frames: Vec<TsFrame>,
}

impl TsCapture {
    pub fn data_records(&self) -> usize {
        self.frames.iter().map(|f| f.records.len()).sum()
    }

    pub fn options_records(&self) -> usize {
        self.frames.iter().map(|f| f.options_records).sum()
    }

    pub fn frame(&self, number: u64) -> Option<&TsFrame> {
        self.frames.get((number as usize).checked_sub(1)?)
    }
}

/// JSON with object keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    /// Numbers, booleans, null: tshark writes every value as a string.
    Other,
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Json)] {
        match self {
            Json::Obj(entries) => entries,
            _ => &[],
        }
    }

    /// The strings of a value that is a string or an array of them.
    pub fn strs(&self) -> Vec<&str> {
        match self {
            Json::Str(s) => vec![s.as_str()],
            Json::Arr(a) => a.iter().flat_map(Json::strs).collect(),
            _ => Vec::new(),
        }
    }

    /// The last of an array (the innermost of repeated layers), or itself.
    fn last(&self) -> &Json {
        match self {
            Json::Arr(a) => a.last().unwrap_or(self),
            _ => self,
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Json::Arr(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut v = Vec::new();
        while let Some(entry) = map.next_entry()? {
            v.push(entry);
        }
        Ok(Json::Obj(v))
    }
}

pub fn load(path: &Path) -> TsCapture {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let json: Json =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let Json::Arr(frames) = json else {
        panic!("{}: tshark JSON is an array of frames", path.display());
    };
    let mut templates = Templates::default();
    let mut out = TsCapture::default();
    for (i, frame) in frames.iter().enumerate() {
        let number = i as u64 + 1;
        let layers = frame.get("_source").and_then(|s| s.get("layers"));
        let mut f = TsFrame::default();
        if let Some(cflow) = layers.and_then(|l| l.get("cflow")) {
            read_cflow(cflow, number, &mut templates, &mut f);
        }
        out.frames.push(f);
    }
    out
}

/// Which template ids are options templates.
#[derive(Default)]
struct Templates {
    /// (frame number, template id) -> options template
    defined: HashMap<(u64, u64), bool>,
    /// template id -> options template, as last declared (when a data set
    /// does not name its template's frame)
    latest: HashMap<u64, bool>,
}

impl Templates {
    fn declare(&mut self, frame: u64, id: u64, options: bool) {
        self.defined.insert((frame, id), options);
        self.latest.insert(id, options);
    }

    fn is_options(&self, template_frame: Option<u64>, id: u64) -> bool {
        template_frame
            .and_then(|tf| self.defined.get(&(tf, id)).copied())
            .or_else(|| self.latest.get(&id).copied())
            .unwrap_or(false)
    }
}

fn read_cflow(cflow: &Json, number: u64, templates: &mut Templates, f: &mut TsFrame) {
    for (key, value) in cflow.entries() {
        if key.starts_with("pdu ") {
            f.records.push(record(value));
            continue;
        }
        if !(key.starts_with("FlowSet ") || key.starts_with("Set ")) {
            continue;
        }
        for (k, _) in value.entries() {
            if let Some(id) = id_after(k, "Options Template (Id = ") {
                templates.declare(number, id, true);
            } else if let Some(id) = id_after(k, "Template (Id = ") {
                templates.declare(number, id, false);
            }
        }
        let set_id = id_after(key, "[id=").unwrap_or_else(|| panic!("set id in {key:?}"));
        if set_id < 256 {
            continue;
        }
        let template_frame = value
            .get("cflow.template_frame")
            .and_then(|v| v.strs().first().and_then(|s| s.parse().ok()));
        let options = templates.is_options(template_frame, set_id);
        // A set without a known template holds "Data (N bytes), no template
        // found" and no flows: nothing to count.
        for (_, v) in value.entries().iter().filter(|(k, _)| is_flow_key(k)) {
            if options {
                f.options_records += 1;
            } else {
                f.records.push(record(v));
            }
        }
    }
}

/// `Flow 3`, or `Flow 3 (https)` when tshark names the application.
fn is_flow_key(k: &str) -> bool {
    k.strip_prefix("Flow ")
        .and_then(|rest| rest.split(' ').next())
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

fn id_after(text: &str, marker: &str) -> Option<u64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn record(r: &Json) -> TsRecord {
    let mut t = TsRecord {
        src_addr: ips(r, &["cflow.srcaddr", "cflow.srcaddrv6"]),
        dst_addr: ips(r, &["cflow.dstaddr", "cflow.dstaddrv6"]),
        src_port: nums(r, "cflow.srcport"),
        dst_port: nums(r, "cflow.dstport"),
        proto: nums(r, "cflow.protocol"),
        bytes: nums(r, "cflow.octets"),
        packets: nums(r, "cflow.packets"),
        from_frame_section: false,
    };
    if t.src_addr.is_empty() && t.dst_addr.is_empty() {
        if let Some(tree) = r.get("cflow.data_link_frame_section_tree") {
            frame_section(tree, &mut t);
        }
    }
    t
}

/// The innermost IP layer of tshark's decode of a dataLinkFrameSection,
/// and the TCP/UDP layer after it.
fn frame_section(tree: &Json, t: &mut TsRecord) {
    let layers = tree.entries();
    let Some(ip_at) = layers.iter().rposition(|(k, _)| k == "ip" || k == "ipv6") else {
        return;
    };
    let (name, ip) = (&layers[ip_at].0, layers[ip_at].1.last());
    let (src, dst, proto) = if name == "ip" {
        ("ip.src", "ip.dst", "ip.proto")
    } else {
        ("ipv6.src", "ipv6.dst", "ipv6.nxt")
    };
    t.from_frame_section = true;
    t.src_addr = ips(ip, &[src]);
    t.dst_addr = ips(ip, &[dst]);
    t.proto = nums(ip, proto);
    if let Some((l4, v)) = layers[ip_at + 1..]
        .iter()
        .find(|(k, _)| k == "tcp" || k == "udp")
    {
        t.src_port = nums(v.last(), &format!("{l4}.srcport"));
        t.dst_port = nums(v.last(), &format!("{l4}.dstport"));
    }
}

fn nums(r: &Json, name: &str) -> Vec<u64> {
    let Some(v) = r.get(name) else {
        return Vec::new();
    };
    v.strs()
        .into_iter()
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{name}: {s:?} is not a number"))
        })
        .collect()
}

fn ips(r: &Json, names: &[&str]) -> Vec<IpAddr> {
    names
        .iter()
        .filter_map(|n| r.get(n).map(|v| (n, v)))
        .flat_map(|(n, v)| {
            v.strs().into_iter().map(move |s| {
                s.parse()
                    .unwrap_or_else(|_| panic!("{n}: {s:?} is not an address"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_in_file_order() {
        let j: Json =
            serde_json::from_str(r#"{"Flow 10": "a", "Flow 2": ["b", "c"], "x": 1}"#).unwrap();
        let keys: Vec<&str> = j.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["Flow 10", "Flow 2", "x"]);
        assert_eq!(j.get("Flow 2").unwrap().strs(), ["b", "c"]);
    }

    #[test]
    fn innermost_packet_of_a_frame_section() {
        let r: Json = serde_json::from_str(
            r#"{"cflow.data_link_frame_section_tree": {
                "eth": {}, "ipv6": {"ipv6.src": "2001:db8::1", "ipv6.dst": "2001:db8::2", "ipv6.nxt": "4"},
                "ip": {"ip.src": "10.0.0.1", "ip.dst": "10.0.0.2", "ip.proto": "17"},
                "udp": {"udp.srcport": "53", "udp.dstport": "1234"}}}"#,
        )
        .unwrap();
        let t = record(&r);
        assert!(t.from_frame_section);
        assert_eq!(t.src_addr, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!((t.proto.clone(), t.src_port.clone()), (vec![17], vec![53]));
    }

    #[test]
    fn flow_keys_and_ids() {
        assert!(is_flow_key("Flow 12"));
        assert!(is_flow_key("Flow 1 (https)"));
        assert!(!is_flow_key("Flowset"));
        assert_eq!(id_after("Set 2 [id=340] (1 flows)", "[id="), Some(340));
        assert_eq!(
            id_after(
                "Options Template (Id = 256) (Scope Count = 1",
                "Template (Id = "
            ),
            Some(256)
        );
    }
}
