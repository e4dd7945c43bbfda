//! Classic libpcap files: a 24-byte file header, then 16-byte record headers
//! each followed by the captured bytes.

use std::io::Read;

use crate::bytes::{read_exact, read_into, read_or_eof, Endian, MAX_PACKET};
use crate::{PacketInfo, PcapError};

const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;

pub(crate) struct Classic {
    endian: Endian,
    nanos: bool,
    link_type: u32,
}

impl Classic {
    /// Recognises the magic from the first four bytes of the file.
    pub(crate) fn sniff(magic: [u8; 4]) -> Option<(Endian, bool)> {
        match u32::from_le_bytes(magic) {
            MAGIC_MICROS => Some((Endian::Little, false)),
            MAGIC_NANOS => Some((Endian::Little, true)),
            m if m.swap_bytes() == MAGIC_MICROS => Some((Endian::Big, false)),
            m if m.swap_bytes() == MAGIC_NANOS => Some((Endian::Big, true)),
            _ => None,
        }
    }

    /// Reads the rest of the file header after the magic.
    pub(crate) fn open<R: Read>(r: &mut R, endian: Endian, nanos: bool) -> Result<Self, PcapError> {
        let mut hdr = [0u8; 20];
        read_exact(r, &mut hdr, "pcap file header")?;
        // The upper 16 bits carry FCS-length flags on some writers, not the link type.
        let link_type = endian.u32([hdr[16], hdr[17], hdr[18], hdr[19]]) & 0xffff;
        Ok(Classic {
            endian,
            nanos,
            link_type,
        })
    }

    pub(crate) fn link_type(&self) -> u32 {
        self.link_type
    }

    pub(crate) fn next_packet<R: Read>(
        &mut self,
        r: &mut R,
        buf: &mut Vec<u8>,
    ) -> Result<Option<PacketInfo>, PcapError> {
        let mut hdr = [0u8; 16];
        if !read_or_eof(r, &mut hdr, "packet record header")? {
            return Ok(None);
        }
        let e = self.endian;
        let sec = e.u32([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let frac = e.u32([hdr[4], hdr[5], hdr[6], hdr[7]]);
        let caplen = e.u32([hdr[8], hdr[9], hdr[10], hdr[11]]);
        if caplen > MAX_PACKET {
            return Err(PcapError::TooLarge {
                what: "packet record",
                len: caplen.into(),
                max: MAX_PACKET.into(),
            });
        }
        read_into(r, buf, caplen, "packet record")?;
        // No overflow: u32::MAX seconds is about 4.3e18 ns, well inside u64.
        let frac_ns = if self.nanos {
            u64::from(frac)
        } else {
            u64::from(frac) * 1_000
        };
        Ok(Some(PacketInfo {
            ts_ns: u64::from(sec) * 1_000_000_000 + frac_ns,
            link_type: self.link_type,
        }))
    }
}
