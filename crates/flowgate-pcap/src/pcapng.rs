//! pcapng: a sequence of blocks `type, length, body, length`. Only the blocks
//! that carry packets or describe interfaces are decoded; the rest are skipped
//! by their length without being buffered.

use std::io::Read;

use crate::bytes::{read_exact, read_into, read_or_eof, skip, Endian, MAX_BLOCK, MAX_PACKET};
use crate::{PacketInfo, PcapError, ReaderStats};

/// Section Header Block type; a byte palindrome so it reads the same in both orders.
pub(crate) const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

/// Each interface is at least a 20-byte block, so without a cap a large
/// hostile file could make the interface table grow with the file.
const MAX_INTERFACES: usize = 4096;

/// How much of an Interface Description Block is examined for options.
const MAX_IDB_READ: u32 = 64 * 1024;

#[derive(Debug, Clone, Copy)]
enum Resolution {
    Pow10(u8),
    Pow2(u8),
}

impl Resolution {
    fn from_option(v: u8) -> Self {
        if v & 0x80 != 0 {
            Resolution::Pow2(v & 0x7f)
        } else {
            Resolution::Pow10(v)
        }
    }

    fn to_ns(self, ts: u64) -> u64 {
        let ts = u128::from(ts);
        let ns = match self {
            Resolution::Pow10(e) if e <= 9 => ts * 10u128.pow(u32::from(9 - e)),
            // Past 10^38 the divisor overflows u128, and any u64 would round to 0 anyway.
            Resolution::Pow10(e) => 10u128.checked_pow(u32::from(e - 9)).map_or(0, |d| ts / d),
            // ts < 2^64 and 1e9 < 2^30, so the product fits; the shift is at most 127.
            Resolution::Pow2(e) => (ts * 1_000_000_000) >> e,
        };
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    resolution: Resolution,
    offset_s: i64,
}

impl Interface {
    fn ts_ns(&self, hi: u32, lo: u32) -> u64 {
        let ns = self.resolution.to_ns((u64::from(hi) << 32) | u64::from(lo));
        ns.saturating_add_signed(self.offset_s.saturating_mul(1_000_000_000))
    }
}

/// What one block contributed.
enum Block {
    Packet(PacketInfo),
    /// A packet on an interface that was never described: its link type is unknown.
    OrphanPacket,
    Other,
}

pub(crate) struct PcapNg {
    endian: Endian,
    interfaces: Vec<Interface>,
}

impl PcapNg {
    /// Starts reading after the first block's type field.
    pub(crate) fn open<R: Read>(r: &mut R) -> Result<Self, PcapError> {
        let mut len = [0u8; 4];
        read_exact(r, &mut len, "section header block")?;
        let mut ng = PcapNg {
            endian: Endian::Little,
            interfaces: Vec::new(),
        };
        ng.section(r, len)?;
        Ok(ng)
    }

    /// A new section may switch byte order and always starts with no interfaces.
    fn section<R: Read>(&mut self, r: &mut R, len_raw: [u8; 4]) -> Result<(), PcapError> {
        let mut fixed = [0u8; 16];
        read_exact(r, &mut fixed, "section header block")?;
        let bom = [fixed[0], fixed[1], fixed[2], fixed[3]];
        self.endian = if u32::from_le_bytes(bom) == BYTE_ORDER_MAGIC {
            Endian::Little
        } else if u32::from_be_bytes(bom) == BYTE_ORDER_MAGIC {
            Endian::Big
        } else {
            return Err(PcapError::Malformed(
                "section header block has an invalid byte-order magic",
            ));
        };
        let len = self.endian.u32(len_raw);
        check_len(len, 28)?;
        if self.endian.u16([fixed[4], fixed[5]]) != 1 {
            return Err(PcapError::Malformed("unsupported pcapng major version"));
        }
        skip(r, u64::from(len - 28), "section header block")?;
        self.trailer(r, len)?;
        self.interfaces.clear();
        Ok(())
    }

    pub(crate) fn next_packet<R: Read>(
        &mut self,
        r: &mut R,
        buf: &mut Vec<u8>,
        stats: &mut ReaderStats,
    ) -> Result<Option<PacketInfo>, PcapError> {
        loop {
            let mut h = [0u8; 8];
            if !read_or_eof(r, &mut h, "block header")? {
                return Ok(None);
            }
            let ty_raw = [h[0], h[1], h[2], h[3]];
            let len_raw = [h[4], h[5], h[6], h[7]];
            if u32::from_le_bytes(ty_raw) == SHB {
                self.section(r, len_raw)?;
                continue;
            }
            let len = self.endian.u32(len_raw);
            check_len(len, 12)?;
            let body = len - 12;
            let block = match self.endian.u32(ty_raw) {
                IDB => self.interface(r, buf, body)?,
                EPB => self.enhanced(r, buf, body, false)?,
                OPB => self.enhanced(r, buf, body, true)?,
                SPB => self.simple(r, buf, body)?,
                _ => {
                    skip(r, body.into(), "block")?;
                    stats.blocks_skipped += 1;
                    Block::Other
                }
            };
            self.trailer(r, len)?;
            match block {
                Block::Packet(info) => return Ok(Some(info)),
                Block::OrphanPacket => {
                    stats.frames += 1;
                    stats.malformed += 1;
                }
                Block::Other => {}
            }
        }
    }

    fn trailer<R: Read>(&self, r: &mut R, len: u32) -> Result<(), PcapError> {
        let mut t = [0u8; 4];
        read_exact(r, &mut t, "block trailer")?;
        if self.endian.u32(t) == len {
            Ok(())
        } else {
            Err(PcapError::Malformed(
                "block's trailing length does not match its leading length",
            ))
        }
    }

    fn interface<R: Read>(
        &mut self,
        r: &mut R,
        buf: &mut Vec<u8>,
        body: u32,
    ) -> Result<Block, PcapError> {
        if body < 8 {
            return Err(PcapError::Malformed(
                "interface description block too short",
            ));
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(PcapError::Malformed(
                "section describes more than 4096 interfaces",
            ));
        }
        // Options that matter come first; a huge description after them is
        // not worth growing the packet buffer for.
        let kept = body.min(MAX_IDB_READ);
        read_into(r, buf, kept, "interface description block")?;
        skip(r, u64::from(body - kept), "interface description block")?;
        let e = self.endian;
        let mut iface = Interface {
            link_type: e.u16_at(buf, 0).map_or(0, u32::from),
            snaplen: e.u32_at(buf, 4).unwrap_or(0),
            resolution: Resolution::Pow10(6),
            offset_s: 0,
        };
        let mut at = 8usize;
        while let (Some(code), Some(olen)) = (e.u16_at(buf, at), e.u16_at(buf, at + 2)) {
            let start = at + 4;
            let olen = usize::from(olen);
            // A damaged option list only costs us the options after it.
            let Some(val) = buf.get(start..start + olen) else {
                break;
            };
            match (code, val) {
                (0, _) => break,
                (9, [v, ..]) => iface.resolution = Resolution::from_option(*v),
                (14, _) => {
                    if let Some(off) = e.u64_at(val, 0) {
                        iface.offset_s = off as i64;
                    }
                }
                _ => {}
            }
            at = start + olen.next_multiple_of(4);
        }
        self.interfaces.push(iface);
        Ok(Block::Other)
    }

    /// Enhanced Packet Block, or the obsolete Packet Block (`short_if`), which
    /// differs only in having a 16-bit interface id and a drop counter.
    fn enhanced<R: Read>(
        &mut self,
        r: &mut R,
        buf: &mut Vec<u8>,
        body: u32,
        short_if: bool,
    ) -> Result<Block, PcapError> {
        let mut f = [0u8; 20];
        if body < 20 {
            return Err(PcapError::Malformed("packet block too short"));
        }
        read_exact(r, &mut f, "packet block")?;
        let e = self.endian;
        let if_id = if short_if {
            u32::from(e.u16([f[0], f[1]]))
        } else {
            e.u32([f[0], f[1], f[2], f[3]])
        };
        let hi = e.u32([f[4], f[5], f[6], f[7]]);
        let lo = e.u32([f[8], f[9], f[10], f[11]]);
        let caplen = e.u32([f[12], f[13], f[14], f[15]]);
        check_caplen(caplen)?;
        if caplen > body - 20 {
            return Err(PcapError::Malformed(
                "packet block's captured length exceeds the block",
            ));
        }
        read_into(r, buf, caplen, "packet block")?;
        skip(r, u64::from(body - 20 - caplen), "packet block")?;
        Ok(match self.interfaces.get(if_id as usize) {
            Some(i) => Block::Packet(PacketInfo {
                ts_ns: i.ts_ns(hi, lo),
                link_type: i.link_type,
            }),
            None => Block::OrphanPacket,
        })
    }

    /// Simple Packet Block: implicitly interface 0, no timestamp (reported as 0).
    fn simple<R: Read>(
        &mut self,
        r: &mut R,
        buf: &mut Vec<u8>,
        body: u32,
    ) -> Result<Block, PcapError> {
        let mut f = [0u8; 4];
        if body < 4 {
            return Err(PcapError::Malformed("simple packet block too short"));
        }
        read_exact(r, &mut f, "simple packet block")?;
        let orig = self.endian.u32(f);
        let room = body - 4;
        let iface = self.interfaces.first().copied();
        // The block stores min(original length, snaplen) bytes plus padding.
        let mut caplen = orig.min(room);
        if let Some(i) = iface.filter(|i| i.snaplen != 0) {
            caplen = caplen.min(i.snaplen);
        }
        check_caplen(caplen)?;
        read_into(r, buf, caplen, "simple packet block")?;
        skip(r, u64::from(room - caplen), "simple packet block")?;
        Ok(match iface {
            Some(i) => Block::Packet(PacketInfo {
                ts_ns: 0,
                link_type: i.link_type,
            }),
            None => Block::OrphanPacket,
        })
    }
}

fn check_len(len: u32, min: u32) -> Result<(), PcapError> {
    if len > MAX_BLOCK {
        Err(PcapError::TooLarge {
            what: "pcapng block",
            len: len.into(),
            max: MAX_BLOCK.into(),
        })
    } else if len < min {
        Err(PcapError::Malformed(
            "block length is smaller than its fixed fields",
        ))
    } else {
        Ok(())
    }
}

fn check_caplen(caplen: u32) -> Result<(), PcapError> {
    if caplen > MAX_PACKET {
        Err(PcapError::TooLarge {
            what: "packet",
            len: caplen.into(),
            max: MAX_PACKET.into(),
        })
    } else {
        Ok(())
    }
}
