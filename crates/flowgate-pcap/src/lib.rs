//! Reads pcap and pcapng captures and yields the UDP datagrams in them, so
//! captured flow exports can be replayed through the decoders.
//!
//! The reader is meant for untrusted input: it never panics, refuses
//! oversized records instead of allocating for them, keeps fragment
//! reassembly within fixed bounds, and reuses its buffers between packets.
//!
//! ```no_run
//! let mut reader = flowgate_pcap::open(std::path::Path::new("export.pcap"))?;
//! while let Some(d) = reader.next_datagram()? {
//!     println!("{} -> {}: {} bytes", d.src, d.dst, d.payload.len());
//! }
//! eprintln!("{:?}", reader.stats());
//! # Ok::<(), flowgate_pcap::PcapError>(())
//! ```

mod bytes;
mod classic;
mod error;
mod ip;
mod link;
mod pcapng;
mod reassembly;

use std::io::{BufReader, Read};
use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;

pub use error::PcapError;
pub use link::link_type_supported;

use classic::Classic;
use pcapng::PcapNg;
use reassembly::{Key, Outcome, Reassembler};

/// One UDP datagram found in the capture. The payload borrows the reader's
/// buffer and is valid until the next call to [`PcapReader::next_datagram`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Capture time in nanoseconds since the Unix epoch (0 for pcapng Simple
    /// Packet Blocks, which carry no timestamp). For a reassembled datagram,
    /// the time of the fragment that completed it.
    pub ts_ns: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The UDP payload: bounded by the UDP length field, and by the capture
    /// if the snapshot length cut it short.
    pub payload: &'a [u8],
}

/// What the reader has seen so far. Each frame is counted as a UDP datagram,
/// under one skip reason, or as a fragment; the fragment that completes a
/// datagram is also counted as whatever the reassembled datagram turns out to be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Packet records read (pcap records, pcapng packet blocks).
    pub frames: u64,
    /// Datagrams returned by [`PcapReader::next_datagram`].
    pub udp_datagrams: u64,
    /// Of those, datagrams whose UDP length exceeds what was captured (the
    /// payload holds what is there).
    pub truncated_datagrams: u64,
    /// Frames whose link layer carries something other than IPv4/IPv6.
    pub non_ip: u64,
    /// IP packets carrying something other than UDP.
    pub non_udp: u64,
    /// Frames cut off by the snapshot length before the UDP header ended
    /// (including fragments that were cut short, which cannot be reassembled).
    pub truncated: u64,
    /// Frames with inconsistent headers (bad IP version or header length,
    /// UDP length below 8, packet on an undescribed pcapng interface...).
    pub malformed: u64,
    /// Frames on pcapng interfaces whose link type is not supported.
    pub unsupported_link_type: u64,
    /// UDP fragments handed to reassembly.
    pub fragments: u64,
    /// Fragments currently held waiting for the rest of their datagram
    /// (a gauge, not a running total).
    pub fragments_held: u64,
    /// Datagrams completed by reassembly (also counted in `udp_datagrams`
    /// if they turn out to be well-formed UDP).
    pub reassembled: u64,
    /// Fragments thrown away: duplicates, bogus ones, and those belonging to
    /// evicted or abandoned datagrams.
    pub fragments_dropped: u64,
    /// Incomplete datagrams evicted because too many were in progress.
    pub reassembly_evicted: u64,
    /// Datagrams abandoned because a fragment overlapped another or its
    /// offset or length was impossible.
    pub reassembly_bogus: u64,
    /// pcapng blocks skipped because they carry no packets (statistics,
    /// name resolution, custom blocks...).
    pub blocks_skipped: u64,
}

/// Reads a classic pcap or pcapng capture, yielding its UDP datagrams.
pub struct PcapReader<R: Read> {
    reader: R,
    format: Format,
    frame: Vec<u8>,
    reassembly: Reassembler,
    stats: ReaderStats,
    /// Set after an error: the stream position is no longer trustworthy.
    failed: bool,
}

enum Format {
    Classic(Classic),
    PcapNg(PcapNg),
}

/// Per-packet metadata from the file format layer; the bytes are in `frame`.
pub(crate) struct PacketInfo {
    pub ts_ns: u64,
    pub link_type: u32,
}

/// Why a frame yielded no datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    NonIp,
    NonUdp,
    Truncated,
    Malformed,
    UnsupportedLinkType,
    /// Handed to reassembly, which did its own counting.
    Fragment,
}

impl Skip {
    fn count(self, s: &mut ReaderStats) {
        match self {
            Skip::NonIp => s.non_ip += 1,
            Skip::NonUdp => s.non_udp += 1,
            Skip::Truncated => s.truncated += 1,
            Skip::Malformed => s.malformed += 1,
            Skip::UnsupportedLinkType => s.unsupported_link_type += 1,
            Skip::Fragment => {}
        }
    }
}

/// A datagram located without holding a borrow, so the read loop can keep
/// reusing its buffers.
struct Found {
    ts_ns: u64,
    src: SocketAddr,
    dst: SocketAddr,
    payload: Range<usize>,
    in_reassembly: bool,
    short: bool,
}

/// Opens a capture file, buffered.
pub fn open(path: &Path) -> Result<PcapReader<BufReader<std::fs::File>>, PcapError> {
    PcapReader::new(BufReader::new(std::fs::File::open(path)?))
}

impl<R: Read> PcapReader<R> {
    /// Reads the file header, telling classic pcap from pcapng by its magic.
    /// A classic file whose link type is unsupported is rejected here, since
    /// none of its packets could be decoded.
    pub fn new(mut reader: R) -> Result<Self, PcapError> {
        let mut magic = [0u8; 4];
        bytes::read_exact(&mut reader, &mut magic, "file header")?;
        let format = if u32::from_le_bytes(magic) == pcapng::SHB {
            Format::PcapNg(PcapNg::open(&mut reader)?)
        } else if let Some((endian, nanos)) = Classic::sniff(magic) {
            let c = Classic::open(&mut reader, endian, nanos)?;
            if !link_type_supported(c.link_type()) {
                return Err(PcapError::UnsupportedLinkType(c.link_type()));
            }
            Format::Classic(c)
        } else {
            return Err(PcapError::BadMagic(u32::from_be_bytes(magic)));
        };
        Ok(PcapReader {
            reader,
            format,
            frame: Vec::new(),
            reassembly: Reassembler::default(),
            stats: ReaderStats::default(),
            failed: false,
        })
    }

    /// The next UDP datagram, skipping (and counting) everything else.
    /// `Ok(None)` at the end of the capture. After an error the reader is
    /// finished and returns `Ok(None)`.
    pub fn next_datagram(&mut self) -> Result<Option<Datagram<'_>>, PcapError> {
        let found = loop {
            if self.failed {
                return Ok(None);
            }
            let info = match self.next_packet() {
                Ok(Some(info)) => info,
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            };
            self.stats.frames += 1;
            match locate(&self.frame, &info, &mut self.reassembly, &mut self.stats) {
                Ok(found) => break found,
                Err(skip) => skip.count(&mut self.stats),
            }
        };
        self.stats.udp_datagrams += 1;
        if found.short {
            self.stats.truncated_datagrams += 1;
        }
        let buf = if found.in_reassembly {
            self.reassembly.done()
        } else {
            &self.frame
        };
        Ok(Some(Datagram {
            ts_ns: found.ts_ns,
            src: found.src,
            dst: found.dst,
            payload: buf.get(found.payload).unwrap_or_default(),
        }))
    }

    /// Counters for everything read so far.
    pub fn stats(&self) -> &ReaderStats {
        &self.stats
    }

    /// The link type of a classic pcap file; `None` for pcapng, where each
    /// interface has its own.
    pub fn link_type(&self) -> Option<u32> {
        match &self.format {
            Format::Classic(c) => Some(c.link_type()),
            Format::PcapNg(_) => None,
        }
    }

    /// Whether the capture is pcapng rather than classic pcap.
    pub fn is_pcapng(&self) -> bool {
        matches!(self.format, Format::PcapNg(_))
    }

    fn next_packet(&mut self) -> Result<Option<PacketInfo>, PcapError> {
        match &mut self.format {
            Format::Classic(c) => c.next_packet(&mut self.reader, &mut self.frame),
            Format::PcapNg(n) => n.next_packet(&mut self.reader, &mut self.frame, &mut self.stats),
        }
    }
}

fn locate(
    frame: &[u8],
    info: &PacketInfo,
    reassembly: &mut Reassembler,
    stats: &mut ReaderStats,
) -> Result<Found, Skip> {
    let (ip, v6) = match link::decode(info.link_type, frame)? {
        link::L3::V4(d) => (ip::v4(d)?, false),
        link::L3::V6(d) => (ip::v6(d)?, true),
    };
    let found = |udp: ip::Udp<'_>, base: &[u8], in_reassembly| Found {
        ts_ns: info.ts_ns,
        src: SocketAddr::new(ip.src, udp.src_port),
        dst: SocketAddr::new(ip.dst, udp.dst_port),
        payload: range_in(base, udp.payload),
        in_reassembly,
        short: udp.short,
    };
    let Some(frag) = ip.frag else {
        if ip.proto != ip::UDP {
            return Err(Skip::NonUdp);
        }
        return Ok(found(ip::udp(ip.body, ip.short)?, frame, false));
    };
    // An IPv6 fragmentable part may start with extension headers before UDP.
    if !(ip.proto == ip::UDP || (v6 && matches!(ip.proto, 43 | 60))) {
        return Err(Skip::NonUdp);
    }
    if ip.short {
        return Err(Skip::Truncated);
    }
    let key = Key {
        src: ip.src,
        dst: ip.dst,
        proto: ip.proto,
        id: frag.id,
    };
    match reassembly.add(key, frag.offset, frag.more, ip.body, stats) {
        Outcome::Held | Outcome::Dropped => Err(Skip::Fragment),
        Outcome::Complete => {
            let whole = reassembly.done();
            let body = if v6 {
                match ip::ext_headers(ip.proto, whole) {
                    Ok((ip::UDP, body, None)) => body,
                    Ok((_, _, None)) => return Err(Skip::NonUdp),
                    _ => return Err(Skip::Malformed),
                }
            } else {
                whole
            };
            Ok(found(ip::udp(body, false)?, whole, true))
        }
    }
}

/// The position of `inner` within `outer`; `inner` is always a subslice
/// produced by the parsers, and a mismatch yields an empty range rather than
/// a panic when it is looked up.
fn range_in(outer: &[u8], inner: &[u8]) -> Range<usize> {
    let start = (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize);
    start..start.saturating_add(inner.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_in_finds_subslices() {
        let v = [1u8, 2, 3, 4, 5];
        assert_eq!(range_in(&v, &v[1..4]), 1..4);
        assert_eq!(range_in(&v, &v[5..]), 5..5);
    }

    #[test]
    fn skips_are_counted_once() {
        let mut s = ReaderStats::default();
        for k in [Skip::NonIp, Skip::NonUdp, Skip::Truncated, Skip::Malformed] {
            k.count(&mut s);
        }
        Skip::Fragment.count(&mut s);
        assert_eq!(
            (s.non_ip, s.non_udp, s.truncated, s.malformed),
            (1, 1, 1, 1)
        );
    }
}
