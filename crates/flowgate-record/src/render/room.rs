//! Writing values of bounded length — numbers, addresses, prefixes, MACs —
//! straight into room reserved at the end of the output, without
//! `core::fmt`. Each produces exactly what `Display` did in the reference
//! renderer; `tests.rs` checks them against `Display` and the reference.
//!
//! Why room: `Vec::extend_from_slice` per value costs a capacity check and
//! a length update each time, and a value built in a stack buffer costs a
//! `memcpy` call when its length varies, or a store-forwarding stall when a
//! buffer just written byte by byte is copied out wide (that stall was 60%
//! of the profile in a first version). Reserving once for a run of fields
//! and writing into a plain slice avoids all three.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(super) const HEX: &[u8; 16] = b"0123456789abcdef";

/// Per octet value: its decimal digits left-aligned, then the digit count.
/// A writer copies all three bytes and advances by the count, so no octet
/// needs a branch on its width.
const OCTETS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let (h, te, o) = ((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
        t[i] = if i >= 100 {
            [b'0' + h, b'0' + te, b'0' + o, 3]
        } else if i >= 10 {
            [b'0' + te, b'0' + o, 0, 2]
        } else {
            [b'0' + o, 0, 0, 1]
        };
        i += 1;
    }
    t
};

/// `'0'` in every byte: digits 0-9 become ASCII by one OR.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `n` (< 10^8) as byte values 0-9, the most
/// significant in the lowest byte (first in memory, little-endian). Split
/// in halves, then each half's pairs, then each pair's digits, every lane
/// at once: a division by 100 or 10 is a multiplication by a reciprocal
/// rounded up, exact below 10^4 and 10^2 (tests.rs checks the boundaries
/// against `to_string`).
#[inline(always)]
fn eight_digits(n: u32) -> u64 {
    debug_assert!(n < 100_000_000);
    let v = u64::from(n / 10_000) | u64::from(n % 10_000) << 32;
    let hundreds = ((v * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let v = hundreds | (v - hundreds * 100) << 16;
    let tens = ((v * 103) >> 10) & 0x000f_000f_000f_000f;
    tens | (v - tens * 10) << 8
}

/// `a.b` for two octets: the ASCII bytes (first in the lowest byte) and their count.
#[inline(always)]
fn octet_pair(a: u8, b: u8) -> (u64, usize) {
    let (ea, eb) = (OCTETS[a as usize], OCTETS[b as usize]);
    let la = usize::from(ea[3]);
    let digits = |e: [u8; 4]| u64::from(u32::from_le_bytes([e[0], e[1], e[2], 0]));
    let w = digits(ea) | u64::from(b'.') << (8 * la) | digits(eb) << (8 * (la + 1));
    (w, la + 1 + usize::from(eb[3]))
}

/// Most a number takes (u64::MAX).
pub(super) const U64_MAX_LEN: usize = 20;
/// Most an address takes, quoted: `"` + 39 (full IPv6) + `"`; a prefix adds `/128`.
pub(super) const IP_MAX_LEN: usize = 41;
pub(super) const NET_MAX_LEN: usize = IP_MAX_LEN + 4;
/// The writers store whole words and keep only the digits, so a value may
/// touch bytes past its longest form: at most three (a five-digit u16 is
/// stored as eight bytes), kept with one to spare.
const SLACK: usize = 4;

/// Reserves `N` bytes at the end of `out`, lets `f` write into them, and
/// cuts off what it did not use. `N` must cover the most `f` can write,
/// plus [`SLACK`]; a writer going past it panics (tests render worst-case
/// records to prove the bounds).
#[inline(always)]
pub(super) fn with_room<const N: usize>(out: &mut Vec<u8>, f: impl FnOnce(&mut Room<'_>)) {
    let start = out.len();
    out.resize(start + N, 0);
    let mut room = Room {
        buf: &mut out[start..],
        len: 0,
    };
    f(&mut room);
    let used = room.len;
    out.truncate(start + used);
}

/// Room reserved in the output and how much of it is written.
pub(super) struct Room<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Room<'_> {
    #[inline(always)]
    pub(super) fn byte(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }

    /// Bytes written so far.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// What was written since `start` (an earlier [`Room::len`]).
    #[inline(always)]
    pub(super) fn since(&self, start: usize) -> &[u8] {
        &self.buf[start..self.len]
    }

    /// Constant byte strings (keys): a copy of known length compiles to moves.
    #[inline(always)]
    pub(super) fn bytes(&mut self, s: &[u8]) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
    }

    /// A number up to 255 (an octet, a prefix length).
    #[inline(always)]
    fn small(&mut self, n: u8) {
        let e = &OCTETS[n as usize];
        self.buf[self.len..self.len + 3].copy_from_slice(&e[..3]);
        self.len += e[3] as usize;
    }

    /// Most numbers have four digits or fewer (zero counters, small ids,
    /// ports): those are written here, in the caller. Zero (the most
    /// common value) takes one store; two to four digits one word, without
    /// a branch on the width (a fully branch-free version, zero included,
    /// measured slower).
    #[inline(always)]
    pub(super) fn u64(&mut self, n: u64) {
        if n < 10 {
            self.byte(b'0' + n as u8);
        } else if n < 10_000 {
            // Two lanes of 16 bits, n / 100 and n % 100, each split into
            // its two digits as in `eight_digits`.
            let n = n as u32;
            let v = (n / 100) | ((n % 100) << 16);
            let tens = ((v * 103) >> 10) & 0x000f_000f;
            let digits = tens | (v - tens * 10) << 8;
            let len = 2 + u32::from(n >= 100) + u32::from(n >= 1000);
            let word = (digits | 0x3030_3030) >> (8 * (4 - len));
            self.buf[self.len..self.len + 4].copy_from_slice(&word.to_le_bytes());
            self.len += len as usize;
        } else {
            self.u64_long(n);
        }
    }

    /// Numbers of five digits or more, in runs of eight digits made in
    /// registers (see [`eight_digits`]) and stored eight bytes at once;
    /// the leading run's zeros are shifted out. Nanosecond timestamps have
    /// 19 digits: digit pairs from a table, one division per pair, were a
    /// third of the renderer's time.
    #[inline(never)]
    fn u64_long(&mut self, n: u64) {
        const E8: u64 = 100_000_000;
        const E16: u64 = E8 * E8;
        if n < E8 {
            self.leading(n as u32);
        } else if n < E16 {
            self.leading((n / E8) as u32);
            self.eight((n % E8) as u32);
        } else {
            let rest = n % E16;
            self.leading((n / E16) as u32);
            self.eight((rest / E8) as u32);
            self.eight((rest % E8) as u32);
        }
    }

    /// `n` (1 ..= 10^8 - 1) without leading zeros. Writes eight bytes,
    /// keeps as many as `n` has digits.
    #[inline(always)]
    fn leading(&mut self, n: u32) {
        debug_assert!(n > 0);
        let raw = eight_digits(n);
        // The leading zero digits are the low bytes (the first in memory).
        let zeros = raw.trailing_zeros() / 8;
        let v = (raw | ASCII_ZEROS) >> (8 * zeros);
        self.buf[self.len..self.len + 8].copy_from_slice(&v.to_le_bytes());
        self.len += 8 - zeros as usize;
    }

    /// `n` (< 10^8) as exactly eight digits.
    #[inline(always)]
    fn eight(&mut self, n: u32) {
        let v = eight_digits(n) | ASCII_ZEROS;
        self.buf[self.len..self.len + 8].copy_from_slice(&v.to_le_bytes());
        self.len += 8;
    }

    /// Two octets in one word, each a table entry (`OCTETS`) shifted by the
    /// width of what precedes it: no branch on an octet's width. Writes
    /// up to sixteen bytes, keeps the address's own.
    #[inline]
    fn ipv4(&mut self, a: Ipv4Addr) {
        let [a, b, c, d] = a.octets();
        let (w0, l0) = octet_pair(a, b);
        let w0 = w0 | u64::from(b'.') << (8 * l0);
        let (w1, l1) = octet_pair(c, d);
        self.buf[self.len..self.len + 8].copy_from_slice(&w0.to_le_bytes());
        self.buf[self.len + l0 + 1..self.len + l0 + 9].copy_from_slice(&w1.to_le_bytes());
        self.len += l0 + 1 + l1;
    }

    /// Lowercase hex without leading zeros, as `{:x}` prints a segment.
    #[inline]
    fn segment(&mut self, s: u16) {
        let digits = if s == 0 {
            1
        } else {
            (19 - s.leading_zeros() as usize) / 4
        };
        let s = u32::from(s);
        for k in (0..digits).rev() {
            self.buf[self.len] = HEX[((s >> (4 * k)) & 15) as usize];
            self.len += 1;
        }
    }

    fn segments(&mut self, segs: &[u16]) {
        if let Some((first, rest)) = segs.split_first() {
            self.segment(*first);
            for &s in rest {
                self.byte(b':');
                self.segment(s);
            }
        }
    }

    /// Rust's `Display` for `Ipv6Addr`: IPv4-mapped addresses as
    /// `::ffff:a.b.c.d`, otherwise the first longest run of two or more zero
    /// segments as `::`.
    fn ipv6(&mut self, a: Ipv6Addr) {
        if let Some(v4) = a.to_ipv4_mapped() {
            self.bytes(b"::ffff:");
            return self.ipv4(v4);
        }
        let segs = a.segments();
        let (mut best_start, mut best_len, mut cur_start, mut cur_len) = (0, 0, 0, 0);
        for (i, &s) in segs.iter().enumerate() {
            if s == 0 {
                if cur_len == 0 {
                    cur_start = i;
                }
                cur_len += 1;
                if cur_len > best_len {
                    (best_start, best_len) = (cur_start, cur_len);
                }
            } else {
                cur_len = 0;
            }
        }
        if best_len > 1 {
            self.segments(&segs[..best_start]);
            self.bytes(b"::");
            self.segments(&segs[best_start + best_len..]);
        } else {
            self.segments(&segs);
        }
    }

    #[inline]
    pub(super) fn ip(&mut self, a: IpAddr) {
        match a {
            IpAddr::V4(a) => self.ipv4(a),
            IpAddr::V6(a) => self.ipv6(a),
        }
    }

    /// goflow2's `src_net`: the address masked to `len` bits, then `/len`
    /// (the length clamped to the family's width).
    pub(super) fn net(&mut self, a: IpAddr, len: u8) {
        let len = match a {
            IpAddr::V4(v4) => {
                let len = len.min(32);
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                self.ipv4(Ipv4Addr::from(u32::from(v4) & mask));
                len
            }
            IpAddr::V6(v6) => {
                let len = len.min(128);
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                self.ipv6(Ipv6Addr::from(u128::from(v6) & mask));
                len
            }
        };
        self.byte(b'/');
        self.small(len);
    }

    /// `aa:bb:cc:dd:ee:ff` of the low 48 bits.
    #[inline]
    pub(super) fn mac(&mut self, m: u64) {
        let b = &mut self.buf[self.len..self.len + 17];
        for (i, chunk) in b.chunks_mut(3).enumerate() {
            let byte = (m >> (40 - 8 * i)) as u8;
            chunk[0] = HEX[(byte >> 4) as usize];
            chunk[1] = HEX[(byte & 15) as usize];
            if let Some(sep) = chunk.get_mut(2) {
                *sep = b':';
            }
        }
        self.len += 17;
    }

    /// `"addr"` in JSON, `addr` in text; unset is empty, as goflow2 renders it.
    #[inline]
    pub(super) fn opt_ip(&mut self, a: Option<IpAddr>, json: bool) {
        self.quoted(json, |r| {
            if let Some(a) = a {
                r.ip(a);
            }
        });
    }

    #[inline]
    pub(super) fn opt_net(&mut self, a: Option<IpAddr>, len: u8, json: bool) {
        self.quoted(json, |r| {
            if let Some(a) = a {
                r.net(a, len);
            }
        });
    }

    #[inline(always)]
    pub(super) fn quoted(&mut self, json: bool, f: impl FnOnce(&mut Self)) {
        if json {
            self.byte(b'"');
        }
        f(self);
        if json {
            self.byte(b'"');
        }
    }
}

/// Room for one quoted address or prefix.
pub(super) const ADDR_ROOM: usize = NET_MAX_LEN + SLACK;
/// Room for one number.
pub(super) const NUM_ROOM: usize = U64_MAX_LEN;
