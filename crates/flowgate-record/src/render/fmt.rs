//! Writing values into the output `Vec` one at a time: numbers and
//! addresses through [`super::room`], strings copied in runs between the
//! bytes that need escaping. Each function produces exactly the bytes of
//! the reference renderer (`reference.rs`); `tests.rs` checks that.

use std::net::IpAddr;

use super::room::{with_room, ADDR_ROOM, HEX, NUM_ROOM};

#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, n: u64) {
    with_room::<NUM_ROOM>(out, |r| r.u64(n));
}

#[inline]
pub(super) fn write_u32(out: &mut Vec<u8>, n: u32) {
    write_u64(out, n.into());
}

/// `"addr"` in JSON, `addr` in text; an unset address is empty, as goflow2 renders it.
#[inline]
pub(crate) fn write_ip(out: &mut Vec<u8>, a: Option<IpAddr>, json: bool) {
    with_room::<ADDR_ROOM>(out, |r| r.opt_ip(a, json));
}

#[inline]
pub(super) fn write_net(out: &mut Vec<u8>, a: Option<IpAddr>, len: u8, json: bool) {
    with_room::<ADDR_ROOM>(out, |r| r.opt_net(a, len, json));
}

#[inline]
pub(super) fn write_mac(out: &mut Vec<u8>, m: u64, json: bool) {
    with_room::<ADDR_ROOM>(out, |r| r.quoted(json, |r| r.mac(m)));
}

pub(crate) fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    // Sized once, then filled: no capacity check per byte.
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    for (pair, &b) in out[start..].chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[(b >> 4) as usize];
        pair[1] = HEX[(b & 15) as usize];
    }
}

/// A JSON string or a text value: see [`json_str`] and [`text_str`].
#[inline]
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str, json: bool) {
    if json {
        json_str(out, s);
    } else {
        text_str(out, s);
    }
}

/// Bytes JSON requires escaped; everything else, UTF-8 included, is copied.
#[inline]
fn json_escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// `"s"` with `"`, `\` and control characters escaped (`\n`, `\r`, `\t`,
/// else `\u00XX`), copying the runs between them in one piece.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !json_escaped(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A text value cannot hold whitespace or `=` unambiguously: each such
/// character, and each control character, becomes one `_`.
pub(crate) fn text_str(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        // ASCII whitespace and controls are exactly 0x00..=0x20 and 0x7f.
        out.reserve(s.len());
        for &b in s.as_bytes() {
            out.push(if b <= b' ' || b == b'=' || b == 0x7f {
                b'_'
            } else {
                b
            });
        }
        return;
    }
    for c in s.chars() {
        if c.is_whitespace() || c == '=' || c.is_control() {
            out.push(b'_');
        } else {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
}

/// JSON `[1,2]`; text `1,2` (empty: nothing), so a value never holds a space.
pub(super) fn write_list(out: &mut Vec<u8>, l: &[u32], json: bool) {
    if json {
        out.push(b'[');
    }
    for (i, &n) in l.iter().enumerate() {
        if i != 0 {
            out.push(b',');
        }
        write_u32(out, n);
    }
    if json {
        out.push(b']');
    }
}

/// JSON `{"app":"web"}`; text `app:web,tier:db` (no spaces, no `=`).
pub(super) fn write_labels(out: &mut Vec<u8>, labels: &[(Box<str>, Box<str>)], json: bool) {
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
