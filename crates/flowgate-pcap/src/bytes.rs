//! Small helpers shared by the file-format readers: byte order and bounded reads.

use std::io::{self, Read};

use crate::PcapError;

/// Largest packet we accept. Real snapshot lengths top out at 256 KiB
/// (tcpdump's maximum); anything larger is a corrupt or hostile length field.
pub(crate) const MAX_PACKET: u32 = 256 * 1024;

/// Largest pcapng block we accept.
pub(crate) const MAX_BLOCK: u32 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    pub(crate) fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    pub(crate) fn u16_at(self, d: &[u8], at: usize) -> Option<u16> {
        Some(self.u16(d.get(at..at.checked_add(2)?)?.try_into().ok()?))
    }

    pub(crate) fn u32_at(self, d: &[u8], at: usize) -> Option<u32> {
        Some(self.u32(d.get(at..at.checked_add(4)?)?.try_into().ok()?))
    }

    pub(crate) fn u64_at(self, d: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 8] = d.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        })
    }
}

pub(crate) fn be16(d: &[u8], at: usize) -> Option<u16> {
    Endian::Big.u16_at(d, at)
}

pub(crate) fn be32(d: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u32_at(d, at)
}

/// Fills `buf` completely. Returns `Ok(false)` if the reader was already at
/// end of file, so callers can tell a clean end from a torn record.
pub(crate) fn read_or_eof<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    what: &'static str,
) -> Result<bool, PcapError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(PcapError::Truncated(what)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PcapError::Io(e)),
        }
    }
    Ok(true)
}

pub(crate) fn read_exact<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    what: &'static str,
) -> Result<(), PcapError> {
    if read_or_eof(r, buf, what)? || buf.is_empty() {
        Ok(())
    } else {
        Err(PcapError::Truncated(what))
    }
}

/// Replaces the contents of `buf` with the next `len` bytes. The buffer grows
/// only as data actually arrives, so a lying length field in a short file
/// cannot make us allocate the claimed size; its capacity is kept for reuse.
pub(crate) fn read_into<R: Read>(
    r: &mut R,
    buf: &mut Vec<u8>,
    len: u32,
    what: &'static str,
) -> Result<(), PcapError> {
    buf.clear();
    r.take(u64::from(len)).read_to_end(buf)?;
    if buf.len() == len as usize {
        Ok(())
    } else {
        Err(PcapError::Truncated(what))
    }
}

/// Discards `len` bytes without buffering them.
pub(crate) fn skip<R: Read>(r: &mut R, len: u64, what: &'static str) -> Result<(), PcapError> {
    let copied = io::copy(&mut r.take(len), &mut io::sink())?;
    if copied == len {
        Ok(())
    } else {
        Err(PcapError::Truncated(what))
    }
}
