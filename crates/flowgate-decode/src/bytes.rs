//! Big-endian reads from slices whose length the caller has already checked.

#[inline]
pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
pub(crate) fn ipv4_at(b: &[u8], at: usize) -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(
        b[at],
        b[at + 1],
        b[at + 2],
        b[at + 3],
    ))
}

/// An unsigned integer of 1 to 8 bytes (IPFIX reduced-size encoding).
#[inline]
pub(crate) fn uint(b: &[u8]) -> u64 {
    let mut v = 0u64;
    for &x in b.iter().take(8) {
        v = (v << 8) | x as u64;
    }
    v
}

/// Milliseconds before `export_ns` at which a sysUptime-stamped event happened.
/// Differences are taken modulo 2^32 and read as signed, so an uptime that
/// wrapped (every 49.7 days) or a timestamp slightly after the export time
/// still lands near the export time.
#[inline]
pub(crate) fn uptime_to_ns(export_ns: u64, uptime_ms: u32, event_ms: u32) -> u64 {
    let ago_ms = uptime_ms.wrapping_sub(event_ms) as i32 as i64;
    (export_ns as i64)
        .saturating_sub(ago_ms.saturating_mul(1_000_000))
        .max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_handles_wrap_and_future() {
        let export = 1_000_000_000_000u64;
        assert_eq!(uptime_to_ns(export, 5_000, 4_000), export - 1_000_000_000);
        // uptime wrapped: event was 2 s before the wrap, export 1 s after it
        assert_eq!(
            uptime_to_ns(export, 1_000, u32::MAX - 999),
            export - 2_000_000_000
        );
        // event 10 ms after export (clock skew on the exporter)
        assert_eq!(uptime_to_ns(export, 5_000, 5_010), export + 10_000_000);
        assert_eq!(uint(&[1, 2]), 0x102);
        assert_eq!(uint(&[]), 0);
    }
}
