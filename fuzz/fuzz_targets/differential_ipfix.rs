//! Differential fuzzing of flowgate's IPFIX decoder against `netflow_parser`
//! 1.0.6. The input is split at the marker `f1 0f 77 9a` into up to 16
//! datagrams (as the other decoder targets do), each forced to version 10
//! and (except every third) to a message length equal to its size, every
//! fifth from a second exporter. Each goes through a flowgate
//! `Decoder` and a `netflow_parser::AutoScopedParser` (both scope templates by
//! exporter address and port plus observation domain).
//!
//! Always asserted: neither panics (libFuzzer catches it), and flowgate's
//! report does not count more records than it wrote.
//!
//! Asserted only where the two must agree: per data record, source and
//! destination address, ports, protocol, bytes and packets; and that
//! flowgate decodes exactly as many data records as the templates allow
//! (RFC 7011 §3.3.1: padding is shorter than a record). When netflow_parser
//! returns another number of records, or a set shape the shadow parser did
//! not expect, that is a netflow_parser gap: the exporter is poisoned, not
//! asserted. A shadow parser below follows the template
//! sets on the wire and compares a message only when all of this holds:
//!
//! - the message is regular: header length = datagram length, every set
//!   header sane and inside the message, template sets parsed to their exact
//!   end, no reserved set id (0, 1, 4..=255: netflow_parser reads ids 0/1 as
//!   v9-style templates inside IPFIX, flowgate skips them);
//! - every data set in it uses a template both decoders surely hold with the
//!   same definition: a data template (not options) whose fields all have a
//!   fixed, non-zero length (netflow_parser refuses 0-length fields and
//!   variable-length fields of length 0; its records cannot show
//!   variable-length fields' lengths), at most 1024 fields (flowgate's
//!   limit), at most 65535 bytes in all, without IE 315 dataLinkFrameSection
//!   (flowgate takes the flow from the sampled frame in it, netflow_parser
//!   does not parse it), never withdrawn, never switched
//!   between data and options template, never used by data before it was
//!   defined (flowgate holds such sets and releases them later;
//!   netflow_parser's pending cache is off here). Options templates that meet
//!   the same rules (and have 0 < scope count < field count) may be used by
//!   the message too: their records count as no flow on both sides;
//! - no set would yield more than 1024 records (netflow_parser's per-set
//!   cap) and the message no more than 60,000 field values (netflow_parser
//!   refuses a message past 65,536);
//! - flowgate returned `Ok` with no held or released set and no issue, and
//!   netflow_parser returned exactly one IPFIX message and no error.
//!
//! Anything irregular poisons the exporter (the two may now hold different
//! template state) and nothing from it is compared any more. Fields are
//! mapped as docs/record.md says (bytes 1, else 352, else 231; packets 2,
//! else 298; addresses 8/27 and 12/28; numbers of 1 to 8 bytes).

#![no_main]

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use flowgate_decode::{Decoder, Exporter, Limits};
use flowgate_record::RecordBatch;
use netflow_parser::variable_versions::ipfix::lookup::{IANAIPFixField, IPFixField};
use netflow_parser::variable_versions::ipfix::FlowSetBody;
use netflow_parser::{AutoScopedParser, FieldValue, NetflowPacket};

const SPLIT: &[u8] = b"\xf1\x0f\x77\x9a";

/// Record fields compared.
#[derive(Debug, Default, Clone, PartialEq)]
struct Rec {
    src_addr: Option<IpAddr>,
    dst_addr: Option<IpAddr>,
    src_port: u16,
    dst_port: u16,
    proto: u8,
    bytes: u64,
    packets: u64,
}

/// What the shadow parser knows of one exporter.
#[derive(Default)]
struct Shadow {
    poisoned: bool,
    /// (domain, template id) -> (record length, field count) of clean data
    /// templates.
    clean: HashMap<(u32, u16), (usize, usize)>,
    /// The same for clean options templates (their records are not flows).
    options: HashMap<(u32, u16), (usize, usize)>,
    /// Keys that may differ between the decoders from now on.
    tainted: HashSet<(u32, u16)>,
}

impl Shadow {
    fn taint(&mut self, key: (u32, u16)) {
        self.clean.remove(&key);
        self.options.remove(&key);
        self.tainted.insert(key);
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Follows one message's template sets; returns the data records the message
/// must yield when it is comparable (`None` when it is not). Updates the
/// shadow state whether or not it is.
fn shadow_message(sh: &mut Shadow, msg: &[u8]) -> Option<usize> {
    if sh.poisoned {
        return None;
    }
    if msg.len() < 16 || u16_at(msg, 2) as usize != msg.len() {
        sh.poisoned = true;
        return None;
    }
    let domain = u32_at(msg, 12);
    let mut comparable = true;
    let mut records = 0usize;
    let mut values = 0usize;
    let mut pos = 16;
    while pos < msg.len() {
        if msg.len() - pos < 4 {
            sh.poisoned = true;
            return None;
        }
        let (id, len) = (u16_at(msg, pos), u16_at(msg, pos + 2) as usize);
        if len < 4 || len > msg.len() - pos {
            sh.poisoned = true;
            return None;
        }
        let body = &msg[pos + 4..pos + len];
        pos += len;
        match id {
            2 | 3 => {
                if !shadow_templates(sh, domain, id == 3, body) {
                    sh.poisoned = true;
                    return None;
                }
            }
            256.. => {
                let key = (domain, id);
                if let Some(&(rec_len, fields)) = sh.clean.get(&key).or(sh.options.get(&key)) {
                    let n = body.len() / rec_len;
                    if n > 1024 {
                        comparable = false;
                    }
                    if sh.clean.contains_key(&key) {
                        records += n;
                    }
                    values += n * fields;
                    continue;
                }
                if !sh.tainted.contains(&key) {
                    // Data before (or without) its template: flowgate holds
                    // the set, netflow_parser drops it.
                    sh.poisoned = true;
                    return None;
                }
                comparable = false;
            }
            _ => {
                sh.poisoned = true;
                return None;
            }
        }
    }
    (comparable && values <= 60_000).then_some(records)
}

/// Reads a template set exactly to its end; `false` when it is irregular.
fn shadow_templates(sh: &mut Shadow, domain: u32, options: bool, body: &[u8]) -> bool {
    let mut pos = 0;
    let mut learned = 0;
    while pos < body.len() {
        let header = if options { 6 } else { 4 };
        if body.len() - pos < header {
            return false;
        }
        let id = u16_at(body, pos);
        let count = u16_at(body, pos + 2) as usize;
        if id < 256 || count == 0 || count > 1024 {
            // Withdrawals and reserved ids: semantics may differ.
            return false;
        }
        if options {
            let scope = u16_at(body, pos + 4) as usize;
            if scope == 0 || scope >= count {
                return false;
            }
        }
        pos += header;
        let mut fixed = true;
        let mut total = 0usize;
        for _ in 0..count {
            if body.len() - pos < 4 {
                return false;
            }
            let (ie, flen) = (u16_at(body, pos), u16_at(body, pos + 2));
            pos += 4;
            if ie & 0x8000 != 0 {
                if body.len() - pos < 4 {
                    return false;
                }
                pos += 4;
            }
            // IE 315 dataLinkFrameSection: flowgate takes the flow from the
            // sampled frame in it, netflow_parser keeps its bytes.
            if flen == 0 || flen == 0xffff || ie == 315 {
                fixed = false;
            }
            total += flen as usize;
        }
        let key = (domain, id);
        // A data template becoming an options template (or back) shares one
        // id space in both decoders, but that is not worth trusting.
        let kind_changed = if options {
            sh.clean.contains_key(&key)
        } else {
            sh.options.contains_key(&key)
        };
        if !fixed || total > 65535 || kind_changed || sh.tainted.contains(&key) {
            sh.taint(key);
        } else if options {
            sh.options.insert(key, (total, count));
        } else {
            sh.clean.insert(key, (total, count));
        }
        learned += 1;
    }
    if sh.clean.len() + sh.options.len() + sh.tainted.len() > 256 {
        // Far below both decoders' template limits.
        sh.poisoned = true;
    }
    learned > 0
}

fn uint(b: &[u8]) -> Option<u64> {
    (1..=8)
        .contains(&b.len())
        .then(|| b.iter().fold(0u64, |acc, &x| acc << 8 | u64::from(x)))
}

fn addr(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        16 => <[u8; 16]>::try_from(b)
            .ok()
            .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        _ => None,
    }
}

const WANTED: &[u16] = &[1, 2, 4, 7, 8, 11, 12, 27, 28, 231, 298, 352];

fn iana_id(f: &IPFixField) -> Option<u16> {
    match f {
        IPFixField::IANA(f) => WANTED
            .iter()
            .copied()
            .find(|&n| IANAIPFixField::from(n) == *f),
        _ => None,
    }
}

/// A netflow_parser record mapped as docs/record.md maps elements.
fn np_rec(fields: &[(IPFixField, FieldValue)]) -> Rec {
    let ids: Vec<Option<u16>> = fields.iter().map(|(f, _)| iana_id(f)).collect();
    let has = |id: u16| ids.contains(&Some(id));
    let mut r = Rec::default();
    let mut buf = Vec::new();
    for (id, (_, value)) in ids.iter().zip(fields) {
        let Some(id) = *id else { continue };
        buf.clear();
        if value.write_be_bytes(&mut buf).is_err() {
            continue;
        }
        let slot = match id {
            8 | 27 => Some(&mut r.src_addr),
            12 | 28 => Some(&mut r.dst_addr),
            _ => None,
        };
        if let (Some(slot), Some(a)) = (slot, addr(&buf)) {
            if slot.is_none() || buf.iter().any(|&b| b != 0) {
                *slot = Some(a);
            }
        }
        let Some(n) = uint(&buf) else { continue };
        match id {
            1 => r.bytes = n,
            352 if !has(1) => r.bytes = n,
            231 if !has(1) && !has(352) => r.bytes = n,
            2 => r.packets = n,
            298 if !has(2) => r.packets = n,
            4 => r.proto = n as u8,
            7 => r.src_port = n as u16,
            11 => r.dst_port = n as u16,
            _ => {}
        }
    }
    r
}

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.windows(SPLIT.len()).position(|w| w == SPLIT) {
            Some(at) => {
                let part = &rest[..at];
                rest = &rest[at + SPLIT.len()..];
                Some(part)
            }
            None => Some(std::mem::take(&mut rest)),
        }
    })
}

/// `DIFF_STATS=1` prints, per input, how many datagrams were compared and
/// how many records agreed (to see how much of a corpus the restrictions
/// leave: `cargo fuzz run differential_ipfix CORPUS -- -runs=0`).
fn stats_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("DIFF_STATS").is_some())
}

fn run(data: &[u8]) {
    let (mut compared, mut agreed, mut datagrams) = (0usize, 0usize, 0usize);
    let mut decoder = Decoder::new(Limits::default());
    let mut parser = AutoScopedParser::new();
    let mut batch = RecordBatch::new();
    let mut shadows: HashMap<SocketAddr, Shadow> = HashMap::new();
    let mut buf = Vec::new();
    let exporters: [SocketAddr; 2] = [
        SocketAddr::from(([192, 0, 2, 1], 9)),
        SocketAddr::from(([192, 0, 2, 2], 9)),
    ];
    for (i, part) in split(data).enumerate().take(16) {
        datagrams += 1;
        buf.clear();
        buf.extend_from_slice(part);
        if buf.len() >= 2 {
            buf[..2].copy_from_slice(&10u16.to_be_bytes());
        }
        // Most mutations change the size: keep the message length true so
        // that more messages stay comparable (every third one keeps the
        // fuzzer's, to exercise lying lengths too).
        if buf.len() >= 4 && i % 3 != 2 {
            if let Ok(len) = u16::try_from(buf.len()) {
                buf[2..4].copy_from_slice(&len.to_be_bytes());
            }
        }
        let addr = exporters[usize::from(i % 5 == 4)];
        let expected = shadow_message(shadows.entry(addr).or_default(), &buf);

        batch.clear();
        let exporter = Exporter {
            addr,
            received_ns: i as u64 * 1_000_000_000,
        };
        let fg = decoder.decode(exporter, &buf, &mut batch);
        if let Ok(report) = &fg {
            assert!(report.records as usize <= batch.len());
        }
        let np = parser.parse_from_source(addr, &buf);

        let fg_clean = matches!(&fg, Ok(r) if r.sets_held == 0
            && r.sets_released == 0
            && r.issues.is_empty());
        let np_msg = match (&np.error, np.packets.as_slice()) {
            (None, [NetflowPacket::IPFix(m)]) => Some(m),
            _ => None,
        };
        let (Some(expected), true, Some(msg)) = (expected, fg_clean, np_msg) else {
            // The decoders may now differ in template state.
            shadows.entry(addr).or_default().poisoned = true;
            continue;
        };
        // netflow_parser's view of the message; `None` if it is not the
        // plain data the shadow parser expects (a netflow_parser gap, not
        // asserted: its template state may differ from now on).
        let mut np_recs = Some(Vec::new());
        for set in &msg.flowsets {
            match &set.body {
                FlowSetBody::Data(d) if !d.has_varlen_metadata() => {
                    if let Some(v) = np_recs.as_mut() {
                        v.extend(d.fields.iter().map(|f| np_rec(f)));
                    }
                }
                FlowSetBody::Data(_)
                | FlowSetBody::NoTemplate(_)
                | FlowSetBody::V9Data(_)
                | FlowSetBody::V9OptionsData(_)
                | FlowSetBody::V9Template(_)
                | FlowSetBody::V9Templates(_)
                | FlowSetBody::V9OptionsTemplate(_)
                | FlowSetBody::V9OptionsTemplates(_) => np_recs = None,
                _ => {}
            }
        }
        let fg_recs: Vec<Rec> = batch
            .iter()
            .map(|r| Rec {
                src_addr: r.src_addr,
                dst_addr: r.dst_addr,
                src_port: r.src_port,
                dst_port: r.dst_port,
                proto: r.proto,
                bytes: r.bytes,
                packets: r.packets,
            })
            .collect();
        assert_eq!(
            fg_recs.len(),
            expected,
            "datagram {i}: flowgate decoded {} records, the templates say {expected}",
            fg_recs.len()
        );
        let np_recs = match np_recs {
            Some(v) if v.len() == expected => v,
            _ => {
                shadows.entry(addr).or_default().poisoned = true;
                continue;
            }
        };
        for (n, (a, b)) in fg_recs.iter().zip(&np_recs).enumerate() {
            assert_eq!(
                a, b,
                "datagram {i} record {n}: flowgate (left) and netflow_parser (right) disagree"
            );
        }
        compared += 1;
        agreed += np_recs.len();
    }
    if stats_enabled() {
        eprintln!("DIFF_STATS datagrams {datagrams} compared {compared} records {agreed}");
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));
