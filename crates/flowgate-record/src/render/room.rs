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
//! and writing into it avoids all three.
//!
//! The room is written through a raw pointer into the vector's spare
//! capacity: neither zeroed first (a `resize` was a `memset` of ~1.4 KB per
//! record, 3 % of a worker's time) nor bounds-checked per store (a compare,
//! a branch and a length reload per value: with both, a NetFlow v5 line
//! took a third more instructions, counted with callgrind). Soundness rests
//! on each room's size covering the most its writers can store: debug
//! builds check every store against it, and `tests.rs` renders every field
//! at its longest in them; release builds check once per room, after the
//! fact.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(super) const HEX: &[u8; 16] = b"0123456789abcdef";

/// Per byte value: its two lowercase hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 15]];
        i += 1;
    }
    t
};

/// Per octet value: its decimal digits as ASCII in the low bytes (the
/// first lowest), the digit count in the top byte. A writer stores the
/// word and advances by the count, so no octet needs a branch on its width.
const OCTETS: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let (h, te, o) = ((i / 100) as u32, (i / 10 % 10) as u32, (i % 10) as u32);
        let (h, te, o) = (b'0' as u32 + h, b'0' as u32 + te, b'0' as u32 + o);
        t[i] = if i >= 100 {
            h | te << 8 | o << 16 | 3 << 24
        } else if i >= 10 {
            te | o << 8 | 2 << 24
        } else {
            o | 1 << 24
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
    let la = (ea >> 24) as usize;
    let digits = |e: u32| u64::from(e & 0x00ff_ffff);
    let w = digits(ea) | u64::from(b'.') << (8 * la) | digits(eb) << (8 * (la + 1));
    (w, la + 1 + (eb >> 24) as usize)
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
/// plus [`SLACK`]: a store past it panics in debug builds, where the tests
/// render worst-case records to prove the bounds.
#[inline(always)]
pub(super) fn with_room<const N: usize>(out: &mut Vec<u8>, f: impl FnOnce(&mut Room<'_>)) {
    out.reserve(N);
    let start = out.len();
    let mut room = Room {
        // SAFETY: `reserve` made room for N bytes past `start`.
        base: unsafe { out.as_mut_ptr().add(start) },
        len: 0,
        cap: N,
        _out: std::marker::PhantomData,
    };
    f(&mut room);
    let used = room.len;
    assert!(used <= N, "a render room of {N} bytes overran to {used}");
    // SAFETY: the first `used` bytes were written.
    unsafe { out.set_len(start + used) };
}

/// Room reserved in the output and how much of it is written.
pub(super) struct Room<'a> {
    base: *mut u8,
    len: usize,
    /// The room's size: checked in debug builds.
    cap: usize,
    _out: std::marker::PhantomData<&'a mut Vec<u8>>,
}

impl Room<'_> {
    /// Stores `src` at `at`, within the room.
    #[inline(always)]
    fn put(&mut self, at: usize, src: &[u8]) {
        debug_assert!(at + src.len() <= self.cap, "room of {} overrun", self.cap);
        // SAFETY: the room's size covers the most its callers write (tests
        // render every worst case).
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.base.add(at), src.len()) }
    }

    #[inline(always)]
    pub(super) fn byte(&mut self, b: u8) {
        debug_assert!(self.len < self.cap, "room of {} overrun", self.cap);
        // SAFETY: as in `put`.
        unsafe { *self.base.add(self.len) = b };
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
        assert!(start <= self.len, "since({start}) past the room's length");
        // SAFETY: the bytes from `start` up to `len` were written.
        unsafe { std::slice::from_raw_parts(self.base.add(start), self.len - start) }
    }

    /// Constant byte strings (keys): a copy of known length compiles to moves.
    #[inline(always)]
    pub(super) fn bytes(&mut self, s: &[u8]) {
        self.put(self.len, s);
        self.len += s.len();
    }

    /// A number up to 255 (an octet, a prefix length).
    #[inline(always)]
    fn small(&mut self, n: u8) {
        let e = OCTETS[n as usize];
        self.put(self.len, &e.to_le_bytes()[..3]);
        self.len += (e >> 24) as usize;
    }

    /// Most numbers have four digits or fewer (zero counters, small ids,
    /// ports): those are written here, in the caller. Zero (the most
    /// common value) takes one store; two to four digits one word, without
    /// a branch on the width (a fully branch-free version, zero included,
    /// measured slower; a five-digit case here, for ports and AS numbers,
    /// cost the shorter numbers more instructions than it saved).
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
            self.put(self.len, &word.to_le_bytes());
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
        if (100 * E16..1000 * E16).contains(&n) {
            // Nineteen digits, as every nanosecond timestamp from 2001 to
            // 2286 has: a fixed width, so no leading zeros to count.
            let head = (eight_digits((n / E16) as u32) | ASCII_ZEROS) >> 40;
            let rest = n % E16;
            self.put(self.len, &head.to_le_bytes());
            self.len += 3;
            self.eight((rest / E8) as u32);
            self.eight((rest % E8) as u32);
        } else if n < E8 {
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
        self.put(self.len, &v.to_le_bytes());
        self.len += 8 - zeros as usize;
    }

    /// `n` (< 10^8) as exactly eight digits.
    #[inline(always)]
    fn eight(&mut self, n: u32) {
        let v = eight_digits(n) | ASCII_ZEROS;
        self.put(self.len, &v.to_le_bytes());
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
        self.put(self.len, &w0.to_le_bytes());
        self.put(self.len + l0 + 1, &w1.to_le_bytes());
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
            self.byte(HEX[((s >> (4 * k)) & 15) as usize]);
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
        // No mask is the usual value (IPFIX and sFlow rarely carry one):
        // the whole address is masked away.
        if len == 0 {
            return self.bytes(if a.is_ipv4() { b"0.0.0.0/0" } else { b"::/0" });
        }
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

    /// `aa:bb:cc:dd:ee:ff` of the low 48 bits. Unset (zero) is the usual
    /// value: NetFlow v5 and most IPFIX templates carry no MACs.
    #[inline]
    pub(super) fn mac(&mut self, m: u64) {
        if m & 0xffff_ffff_ffff == 0 {
            self.bytes(b"00:00:00:00:00:00");
            return;
        }
        let mut b = [b':'; 18];
        for i in 0..6 {
            let byte = (m >> (40 - 8 * i)) as u8;
            b[3 * i..3 * i + 2].copy_from_slice(&HEX_PAIRS[byte as usize]);
        }
        self.put(self.len, &b[..17]);
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
