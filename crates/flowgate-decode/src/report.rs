use std::net::IpAddr;

use crate::error::IssueCounts;

/// Which decoder a datagram went to, chosen from its version word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Protocol {
    #[default]
    Unknown,
    NetflowV1,
    NetflowV5,
    NetflowV7,
    NetflowV9,
    Ipfix,
    Sflow5,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Unknown => "unknown",
            Protocol::NetflowV1 => "netflow_v1",
            Protocol::NetflowV5 => "netflow_v5",
            Protocol::NetflowV7 => "netflow_v7",
            Protocol::NetflowV9 => "netflow_v9",
            Protocol::Ipfix => "ipfix",
            Protocol::Sflow5 => "sflow_v5",
        }
    }

    /// Picks the decoder from the first bytes: NetFlow/IPFIX carry their
    /// version in the first 16 bits; sFlow v5 has 5 in the first 32-bit word
    /// followed by an agent address type (1 = IPv4, 2 = IPv6).
    pub fn detect(datagram: &[u8]) -> Protocol {
        if datagram.len() >= 8 {
            let word0 = u32::from_be_bytes([datagram[0], datagram[1], datagram[2], datagram[3]]);
            let word1 = u32::from_be_bytes([datagram[4], datagram[5], datagram[6], datagram[7]]);
            if word0 == 5 && (word1 == 1 || word1 == 2) {
                return Protocol::Sflow5;
            }
        }
        if datagram.len() < 2 {
            return Protocol::Unknown;
        }
        match u16::from_be_bytes([datagram[0], datagram[1]]) {
            1 => Protocol::NetflowV1,
            5 => Protocol::NetflowV5,
            7 => Protocol::NetflowV7,
            9 => Protocol::NetflowV9,
            10 => Protocol::Ipfix,
            _ => Protocol::Unknown,
        }
    }
}

/// What one datagram contained, for statistics and sequence tracking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatagramReport {
    pub protocol: Protocol,
    /// Header sequence number (v5 flow_sequence, v9 package sequence, IPFIX sequence, sFlow datagram sequence).
    pub sequence: u32,
    /// Header count field (v5/v9) where there is one.
    pub header_count: u16,
    /// v9 source id, IPFIX observation domain, sFlow sub-agent id.
    pub domain: u32,
    /// Flow records written to the batch (including held sets released by a new template).
    pub records: u32,
    /// Options data records (they configure the decoder, e.g. sampling rates; they are not flows).
    pub options_records: u32,
    /// Data records in this datagram that IPFIX sequence numbers count
    /// (data + options data records decoded or held).
    pub data_records_seen: u32,
    /// Template and options template records learned.
    pub templates: u32,
    /// Templates withdrawn (IPFIX).
    pub templates_withdrawn: u32,
    /// Data sets held for a template that has not arrived yet.
    pub sets_held: u32,
    /// Held data sets decoded because their template arrived.
    pub sets_released: u32,
    /// sFlow flow samples (compact and expanded) decoded; each is one record.
    pub flow_samples: u32,
    /// sFlow counter samples (compact and expanded) decoded.
    pub counter_samples: u32,
    /// sFlow discarded-packet samples decoded; each is one record.
    pub drop_samples: u32,
    /// sFlow samples of unknown formats, skipped by their length.
    pub unknown_samples: u32,
    /// sFlow agent address: sequence numbers count per agent and sub-agent
    /// (`domain`), whatever UDP source the datagrams come from.
    pub agent: Option<IpAddr>,
    /// Problems inside the datagram, by kind.
    pub issues: IssueCounts,
}
