//! What options data records tell the decoder: sampling rates per sampler /
//! selector, and the exporter's system init time (base of IPFIX 21/22).

use serde::{Deserialize, Serialize};

use super::fields::Target;
use super::store::DomainState;

/// Sampling rates of one exporter + domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sampling {
    /// Rate announced without a sampler/selector id.
    #[serde(default)]
    pub default: Option<u64>,
    /// (sampler or selector id, rate). A handful per domain, so a linear scan
    /// beats hashing.
    #[serde(default)]
    pub samplers: Vec<SamplerRate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SamplerRate {
    pub id: u64,
    pub rate: u64,
}

impl Sampling {
    pub(crate) fn set(&mut self, sampler: Option<u64>, rate: u64, max_samplers: usize) {
        let Some(id) = sampler else {
            self.default = Some(rate);
            return;
        };
        if let Some(s) = self.samplers.iter_mut().find(|s| s.id == id) {
            s.rate = rate;
        } else if self.samplers.len() < max_samplers {
            self.samplers.push(SamplerRate { id, rate });
        }
    }

    pub(crate) fn lookup(&self, id: u64) -> Option<u64> {
        self.samplers.iter().find(|s| s.id == id).map(|s| s.rate)
    }

    /// The rate of records that name no sampler: the one announced without
    /// an id, else the only sampler's, else unknown (0).
    pub(crate) fn domain_rate(&self) -> u64 {
        match (self.default, self.samplers.as_slice()) {
            (Some(rate), _) => rate,
            (None, [only]) => only.rate,
            _ => 0,
        }
    }
}

/// The configuration elements of one options data record.
#[derive(Debug, Default)]
pub(crate) struct OptValues {
    sampler: Option<u64>,
    interval: u64,
    random_interval: u64,
    packet_interval: Option<u64>,
    packet_space: Option<u64>,
    size: u64,
    population: u64,
    init_ms: Option<u64>,
}

impl OptValues {
    pub(crate) fn set(&mut self, target: Target, v: u64) {
        match target {
            Target::OptSamplerId => self.sampler = Some(v),
            Target::OptInterval => self.interval = v,
            Target::OptRandomInterval => self.random_interval = v,
            Target::OptPacketInterval => self.packet_interval = Some(v),
            Target::OptPacketSpace => self.packet_space = Some(v),
            Target::OptSamplingSize => self.size = v,
            Target::OptSamplingPopulation => self.population = v,
            Target::OptInitTime => self.init_ms = Some(v),
            _ => {}
        }
    }

    /// 1-in-N. Systematic count-based sampling (305/306) selects `interval`
    /// packets then skips `space`; 309/310 select `size` of `population`
    /// (Cisco IOS XR sends 305 = 1 with them, and no 306).
    fn rate(&self) -> Option<u64> {
        if let (Some(i), Some(s)) = (self.packet_interval, self.packet_space) {
            if let Some(rate) = i.saturating_add(s).checked_div(i) {
                return Some(rate);
            }
        }
        if self.size > 0 && self.population > 0 {
            return Some(self.population / self.size);
        }
        [self.interval, self.random_interval]
            .into_iter()
            .find(|&r| r > 0)
    }

    pub(crate) fn apply(&self, domain: &mut DomainState, max_samplers: usize) {
        if let Some(rate) = self.rate().filter(|&r| r > 0) {
            domain.sampling.set(self.sampler, rate, max_samplers);
        }
        if let Some(ms) = self.init_ms {
            domain.init_ms = Some(ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate_of(pairs: &[(Target, u64)]) -> Option<u64> {
        let mut v = OptValues::default();
        for &(t, n) in pairs {
            v.set(t, n);
        }
        v.rate()
    }

    #[test]
    fn rates_from_each_encoding() {
        use Target::*;
        assert_eq!(
            rate_of(&[(OptPacketInterval, 1), (OptPacketSpace, 99)]),
            Some(100)
        );
        assert_eq!(
            rate_of(&[
                (OptPacketInterval, 1),
                (OptSamplingSize, 1),
                (OptSamplingPopulation, 256)
            ]),
            Some(256)
        );
        assert_eq!(
            rate_of(&[(OptInterval, 0), (OptRandomInterval, 2000)]),
            Some(2000)
        );
        assert_eq!(rate_of(&[(OptInterval, 512)]), Some(512));
        assert_eq!(
            rate_of(&[(OptPacketInterval, 0), (OptPacketSpace, 5)]),
            None
        );
    }

    #[test]
    fn domain_rate_prefers_the_unnamed_one() {
        let mut s = Sampling::default();
        s.set(Some(2), 4000, 8);
        assert_eq!(s.domain_rate(), 4000);
        s.set(Some(1), 2000, 8);
        assert_eq!(s.domain_rate(), 0);
        assert_eq!(s.lookup(1), Some(2000));
        s.set(None, 10, 8);
        assert_eq!(s.domain_rate(), 10);
        s.set(Some(3), 1, 2);
        assert_eq!(s.lookup(3), None, "bounded");
    }
}
