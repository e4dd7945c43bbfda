use crate::ErrorKind;

use super::*;

fn good() -> Vec<u8> {
    flow_sample(1, 1, 2, &[raw_header(1, 64, &tcp_frame())])
}

#[test]
fn sample_length_lie_stops_and_keeps_earlier_records() {
    let mut liar = good();
    liar[4..8].copy_from_slice(&10_000u32.to_be_bytes());
    let d = datagram(&[good(), liar, good()]);
    let (r, flows, _) = decode_all(&d);
    let rep = r.unwrap();
    assert_eq!(rep.issues.get(ErrorKind::BadLength), 1);
    assert_eq!((rep.records, flows.len(), rep.flow_samples), (1, 1, 1));
}

#[test]
fn record_length_lie_drops_that_sample() {
    let mut rec = raw_header(1, 64, &tcp_frame());
    rec[4..8].copy_from_slice(&4096u32.to_be_bytes());
    let liar = flow_sample(1, 1, 2, &[rec]);
    let d = datagram(&[good(), liar, good()]);
    let (r, flows, _) = decode_all(&d);
    let rep = r.unwrap();
    assert_eq!(rep.issues.get(ErrorKind::BadLength), 1);
    assert_eq!((rep.records, flows.len()), (1, 1));
    // the raw header's own length runs past its record
    let mut body = u32s(&[1, 64, 4, 500]);
    body.extend_from_slice(&tcp_frame());
    let d = datagram(&[flow_sample(1, 1, 2, &[element(1, &body)])]);
    let (r, flows, _) = decode_all(&d);
    assert_eq!(r.unwrap().issues.get(ErrorKind::BadLength), 1);
    assert!(flows.is_empty());
}

#[test]
fn counts_larger_than_the_data() {
    let mut d = datagram(&[good(), good()]);
    d[24..28].copy_from_slice(&1_000_000u32.to_be_bytes()); // sample count
    let (r, flows, _) = decode_all(&d);
    let rep = r.unwrap();
    assert_eq!(
        (rep.issues.get(ErrorKind::CountMismatch), flows.len()),
        (1, 2)
    );

    // a record count that lies keeps the records present
    let mut s = good();
    s[8 + 28..8 + 32].copy_from_slice(&9u32.to_be_bytes());
    let (r, flows, _) = decode_all(&datagram(&[s, good()]));
    let rep = r.unwrap();
    assert_eq!(
        (rep.issues.get(ErrorKind::CountMismatch), flows.len()),
        (1, 2)
    );
    assert_eq!(flows.as_slice()[0].dst_port, 443);
}

#[test]
fn bad_datagram_headers_are_errors() {
    let d = datagram(&[good()]);
    for n in [0, 3, 8, 12, 27] {
        let (r, flows, _) = decode_all(&d[..n]);
        assert!(r.is_err(), "prefix {n}");
        assert!(flows.is_empty());
    }
    let mut flows = RecordBatch::new();
    let mut counters = Vec::new();
    let mut bad = d.clone();
    bad[4..8].copy_from_slice(&3u32.to_be_bytes());
    let err = crate::sflow::decode(&exporter(), &bad, &mut flows, &mut counters).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Malformed);
    let (r, _, _) = decode_all(&d[..28]);
    assert_eq!(r.unwrap().issues.get(ErrorKind::CountMismatch), 1);
}

/// Every prefix and many corrupted copies decode without panicking, and a
/// failed datagram leaves the batch as it was.
#[test]
fn never_panics_on_damaged_datagrams() {
    let d = datagram(&[
        counter_sample(5, &[element(1005, &opaque(b"p")), element(1, &[0; 88])]),
        good(),
        discard_sample(
            1,
            &[element(
                1037,
                &[u32s(&[1]), opaque(b"a"), u32s(&[2])].concat(),
            )],
        ),
        expanded_flow_sample((0, 1), (2, 3), &[raw_header(1, 64, &tcp_frame())]),
    ]);
    for n in 0..=d.len() {
        let _ = decode_all(&d[..n]);
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3000 {
        let mut c = d.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % c.len() as u64) as usize;
            c[at] = (seed >> 32) as u8;
        }
        let (r, flows, counters) = decode_all(&c);
        if r.is_err() {
            assert!(flows.is_empty() && counters.is_empty());
        }
    }
}
