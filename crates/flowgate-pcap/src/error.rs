use std::fmt;

/// Why a capture could not be read.
///
/// Problems inside a single packet (not IP, not UDP, cut short by the
/// snapshot length...) are not errors: the packet is skipped and counted in
/// [`ReaderStats`](crate::ReaderStats). Errors are for a file whose structure
/// is broken, after which nothing further can be trusted.
#[derive(Debug)]
pub enum PcapError {
    /// The underlying reader failed.
    Io(std::io::Error),
    /// The file starts with neither a pcap nor a pcapng magic number.
    BadMagic(u32),
    /// The file ends in the middle of the named structure.
    Truncated(&'static str),
    /// A length field is larger than this reader accepts.
    TooLarge {
        what: &'static str,
        len: u64,
        max: u64,
    },
    /// A classic pcap file whose link type this reader cannot decode.
    UnsupportedLinkType(u32),
    /// A structure that is internally inconsistent.
    Malformed(&'static str),
}

impl fmt::Display for PcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcapError::Io(e) => write!(f, "I/O error while reading capture: {e}"),
            PcapError::BadMagic(m) => write!(
                f,
                "not a pcap or pcapng file (magic number {m:#010x} is not recognised)"
            ),
            PcapError::Truncated(what) => write!(f, "capture file ends in the middle of a {what}"),
            PcapError::TooLarge { what, len, max } => {
                write!(f, "{what} of {len} bytes is larger than the limit of {max} bytes")
            }
            PcapError::UnsupportedLinkType(lt) => write!(
                f,
                "link type {lt} is not supported (supported: Ethernet, Linux cooked SLL/SLL2, raw IP, BSD loopback)"
            ),
            PcapError::Malformed(what) => write!(f, "malformed capture: {what}"),
        }
    }
}

impl std::error::Error for PcapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PcapError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for PcapError {
    fn from(e: std::io::Error) -> Self {
        PcapError::Io(e)
    }
}
