#![no_main]

// A capture file from an untrusted source must never panic the reader or
// make it allocate what its length fields claim.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = flowgate_pcap::PcapReader::new(data) else {
        return;
    };
    for _ in 0..10_000 {
        match reader.next_datagram() {
            Ok(Some(d)) => assert!(d.payload.len() <= 65_535),
            Ok(None) | Err(_) => break,
        }
    }
});
