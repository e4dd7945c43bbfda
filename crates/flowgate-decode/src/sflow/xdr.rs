//! Reads XDR (RFC 4506) as sFlow uses it: big-endian 32-bit words, opaque
//! data padded to 4 bytes. Every read is checked against the bytes present
//! and fails with `None` rather than reading past them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) struct Xdr<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Xdr<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Xdr { b, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    /// Exactly `n` bytes, no padding.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..)?.get(..n)?;
        self.pos += n;
        Some(s)
    }

    pub fn u32(&mut self) -> Option<u32> {
        let s = self.bytes(4)?;
        Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    pub fn u64(&mut self) -> Option<u64> {
        Some(((self.u32()? as u64) << 32) | self.u32()? as u64)
    }

    /// Variable-length opaque data or string: a length word, the bytes and
    /// padding to a multiple of 4 (tolerated when the padding is missing at
    /// the very end, as some agents do).
    pub fn opaque(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        let data = self.bytes(len)?;
        let pad = (4 - len % 4) % 4;
        self.pos += pad.min(self.remaining());
        Some(data)
    }

    /// A fixed-size opaque of `n` bytes padded to 4 (MAC addresses: 6 + 2).
    pub fn padded(&mut self, n: usize) -> Option<&'a [u8]> {
        let data = self.bytes(n)?;
        self.bytes((4 - n % 4) % 4)?;
        Some(data)
    }

    /// sFlow `address`: type 0 unknown (no bytes), 1 IPv4, 2 IPv6. `Err`
    /// for any other type, whose length cannot be known.
    pub fn address(&mut self) -> Option<Result<Option<IpAddr>, ()>> {
        Some(match self.u32()? {
            0 => Ok(None),
            1 => Ok(Some(self.ipv4()?)),
            2 => Ok(Some(self.ipv6()?)),
            _ => Err(()),
        })
    }

    pub fn ipv4(&mut self) -> Option<IpAddr> {
        let s: [u8; 4] = self.bytes(4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(s)))
    }

    pub fn ipv6(&mut self) -> Option<IpAddr> {
        let s: [u8; 16] = self.bytes(16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let b = [0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 9];
        let mut x = Xdr::new(&b);
        assert_eq!(x.opaque(), Some(&[1, 2, 3, 4, 5][..]));
        assert_eq!(x.remaining(), 4);
        assert_eq!(x.u64(), None);
        let mut x = Xdr::new(&[0, 0, 0, 200, 1]);
        assert_eq!(x.opaque(), None);
        let mut x = Xdr::new(&[0, 0, 0, 7]);
        assert_eq!(x.address(), Some(Err(())));
        let mut x = Xdr::new(&[0, 0, 0, 1, 10, 0]);
        assert_eq!(x.address(), None);
    }
}
