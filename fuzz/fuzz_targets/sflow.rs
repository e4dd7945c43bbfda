#![no_main]

#[path = "common.rs"]
mod common;

// sFlow v5 is recognised by version 5 in the first word and an agent
// address type (1 or 2) in the second.
libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run(data, |buf| {
    if buf.len() >= 8 {
        let family = 1 + (buf[7] & 1) as u32;
        buf[..4].copy_from_slice(&5u32.to_be_bytes());
        buf[4..8].copy_from_slice(&family.to_be_bytes());
    }
}));
