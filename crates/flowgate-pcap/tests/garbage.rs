//! Mutated and random inputs must end in datagrams, `Ok(None)` or an error,
//! never a panic or a hang.

mod common;

use common::*;
use flowgate_pcap::PcapReader;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let frag = {
        let u = udp(1, 2, &[7u8; 100]);
        let a = ipv4_full([1, 1, 1, 1], [2, 2, 2, 2], 17, 5, 0x2000, &[], &u[..64]);
        let b = ipv4_full([1, 1, 1, 1], [2, 2, 2, 2], 17, 5, 8, &[], &u[64..]);
        (ether(0x0800, &a), ether(0x0800, &b))
    };
    let v6 = {
        let mut p = frag6(17, 0, true, 9);
        p.extend(udp(1, 2, &[1; 16]));
        ipv6(v6addr(1), v6addr(2), 44, &p)
    };
    let classic = Classic::new(false, false, ETHERNET)
        .packet(1, 2, &ether(0x0800, &udp4(b"hello")))
        .packet(1, 2, &vlan(&[(0x88a8, 1), (0x8100, 2)], 0x86dd, &v6))
        .packet(1, 3, &frag.1)
        .packet(1, 4, &frag.0)
        .out;
    let mut ng = Ng::new(false);
    ng.idb(1, 0, Some(9));
    ng.idb(113, 64, Some(0x85));
    ng.epb(0, 5, &ether(0x0800, &udp4(b"ng")));
    ng.epb(1, 5, &sll(0x86dd, &v6));
    ng.spb(80, &ether(0x0800, &udp4(b"simple")));
    ng.section(true);
    ng.idb(276, 0, None);
    ng.epb(0, 9, &sll2(0x0800, &udp4(b"two")));
    let raw = Classic::new(true, true, 0).packet(0, 0, &[2, 0, 0, 0]).out;
    vec![classic, ng.out, raw]
}

fn read_everything(bytes: &[u8]) {
    let Ok(mut r) = PcapReader::new(bytes) else {
        return;
    };
    // Every loop iteration consumes input, so this bound is never reached by a correct reader.
    for _ in 0..=bytes.len() {
        match r.next_datagram() {
            Ok(Some(d)) => assert!(d.payload.len() <= bytes.len()),
            Ok(None) | Err(_) => {
                let s = r.stats();
                assert!(s.fragments_held <= s.fragments);
                assert!(s.udp_datagrams <= s.frames);
                return;
            }
        }
    }
    panic!("reader did not finish");
}

#[test]
fn mutated_captures() {
    // FLOWGATE_PCAP_MUTATIONS raises the count for a longer local run.
    let rounds = std::env::var("FLOWGATE_PCAP_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for seed in seeds() {
        read_everything(&seed);
        for _ in 0..rounds {
            let mut m = seed.clone();
            for _ in 0..1 + rng.below(4) {
                if m.is_empty() {
                    break;
                }
                match rng.below(4) {
                    0 => {
                        let i = rng.below(m.len());
                        m[i] = rng.next() as u8;
                    }
                    1 => {
                        let i = rng.below(m.len());
                        m[i] ^= 1 << rng.below(8);
                    }
                    2 => m.truncate(rng.below(m.len() + 1)),
                    _ => {
                        // Set a 32-bit word to an interesting length.
                        let i = rng.below(m.len().saturating_sub(4));
                        let v = [0u32, 1, 12, 0xffff, 0x0100_0000, 0xffff_ffff][rng.below(6)];
                        if m.len() >= 4 {
                            m[i..i + 4].copy_from_slice(&v.to_le_bytes());
                        }
                    }
                }
            }
            read_everything(&m);
        }
    }
}

#[test]
fn random_bytes_behind_valid_magics() {
    let mut rng = Rng(42);
    let magics: [&[u8]; 4] = [
        &[0xd4, 0xc3, 0xb2, 0xa1],
        &[0xa1, 0xb2, 0x3c, 0x4d],
        &[0x0a, 0x0d, 0x0d, 0x0a],
        &[
            0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0,
        ],
    ];
    for _ in 0..5000 {
        let mut m = magics[rng.below(magics.len())].to_vec();
        let len = rng.below(300);
        m.extend((0..len).map(|_| rng.next() as u8));
        read_everything(&m);
    }
}
