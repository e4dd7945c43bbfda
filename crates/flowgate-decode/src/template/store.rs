//! Template state: per exporter (address and port), per protocol (v9 and
//! IPFIX kept apart), per source id / observation domain, per template id.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;

use super::compile::{FieldSpec, Kind, Template};
use super::pending::Pending;
use super::sampling::Sampling;
use super::Limits;
use crate::error::{ErrorKind, IssueCounts};

/// Multiply-rotate hashing (as rustc's FxHash) for the small integer keys
/// inside one exporter, looked up once per set. The exporter's own size
/// limits bound what a hostile exporter could do to these maps; the map of
/// exporters keeps SipHash.
#[derive(Default, Clone, Copy)]
pub(crate) struct SmallKeyHasher(u64);

impl Hasher for SmallKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(n as u64);
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(n as u64);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub(crate) type SmallMap<K, V> = HashMap<K, V, BuildHasherDefault<SmallKeyHasher>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Proto {
    V9,
    Ipfix,
}

/// One template scope within an exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct DomainKey {
    pub proto: Proto,
    pub domain: u32,
}

#[derive(Debug, Default)]
pub(crate) struct DomainState {
    pub templates: SmallMap<u16, Arc<Template>>,
    pub sampling: Sampling,
    /// systemInitTimeMilliseconds from options data (IPFIX 21/22 base).
    pub init_ms: Option<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct ExporterState {
    pub last_seen_ns: u64,
    pub domains: SmallMap<DomainKey, DomainState>,
    pub template_count: usize,
    pub pending: Pending,
}

/// What happened to a template record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Learned {
    New,
    Replaced,
    /// Same fields as the template already known (nfdump re-sends every datagram).
    Unchanged,
}

impl ExporterState {
    pub(crate) fn template(&self, key: DomainKey, id: u16) -> Option<&Arc<Template>> {
        self.domains.get(&key)?.templates.get(&id)
    }

    /// Learns a template, replacing one with the same id. Refused (and not
    /// compiled) when the exporter already has `max_templates` others.
    pub(crate) fn learn(
        &mut self,
        limits: &Limits,
        key: DomainKey,
        id: u16,
        kind: Kind,
        fields: Vec<FieldSpec>,
    ) -> Result<Learned, ErrorKind> {
        if let Some(old) = self.template(key, id) {
            if old.kind == kind && old.fields == fields {
                return Ok(Learned::Unchanged);
            }
        } else if self.template_count >= limits.max_templates_per_exporter {
            return Err(ErrorKind::TemplateLimit);
        }
        let tpl = Arc::new(Template::new(key.proto, kind, fields));
        let domain = self.domains.entry(key).or_default();
        match domain.templates.insert(id, tpl) {
            Some(_) => Ok(Learned::Replaced),
            None => {
                self.template_count += 1;
                Ok(Learned::New)
            }
        }
    }

    /// Removes one template, or all data (`All(false)`) / all options
    /// (`All(true)`) templates of a domain.
    pub(crate) fn withdraw(&mut self, key: DomainKey, which: Withdraw) {
        let Some(domain) = self.domains.get_mut(&key) else {
            return;
        };
        let before = domain.templates.len();
        match which {
            Withdraw::One(id) => {
                domain.templates.remove(&id);
            }
            Withdraw::All { options } => domain.templates.retain(|_, t| t.is_options() != options),
        }
        self.template_count -= before - domain.templates.len();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Withdraw {
    One(u16),
    All { options: bool },
}

/// NetFlow v9 / IPFIX template state of every exporter, bounded by [`Limits`].
pub struct TemplateStore {
    pub(crate) limits: Limits,
    pub(crate) exporters: HashMap<SocketAddr, ExporterState>,
    /// (last_seen_ns, exporter) of every exporter, possibly stale: an entry
    /// is refreshed only when it comes up for eviction, so a datagram costs
    /// no index update.
    lru: BTreeSet<(u64, SocketAddr)>,
}

impl Default for TemplateStore {
    fn default() -> Self {
        TemplateStore::new(Limits::default())
    }
}

impl fmt::Debug for TemplateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateStore")
            .field("limits", &self.limits)
            .field("exporters", &self.exporters.len())
            .finish()
    }
}

impl TemplateStore {
    pub fn new(limits: Limits) -> Self {
        TemplateStore {
            limits,
            exporters: HashMap::new(),
            lru: BTreeSet::new(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Exporters with state (templates, rates or held sets).
    pub fn exporter_count(&self) -> usize {
        self.exporters.len()
    }

    /// Data and options templates known for `exporter`, all domains and both protocols.
    pub fn template_count(&self, exporter: SocketAddr) -> usize {
        self.exporters
            .get(&exporter)
            .map_or(0, |e| e.template_count)
    }

    /// The state of `addr`, created if new (evicting the exporter seen least
    /// recently when the store is full).
    pub(crate) fn exporter_mut(
        &mut self,
        addr: SocketAddr,
        now_ns: u64,
        issues: &mut IssueCounts,
    ) -> &mut ExporterState {
        let full = self.exporters.len() >= self.limits.max_exporters.max(1);
        if full && !self.exporters.contains_key(&addr) {
            self.evict_one();
            issues.add(ErrorKind::ExporterLimit);
        }
        let st = match self.exporters.entry(addr) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                self.lru.insert((now_ns, addr));
                e.insert(ExporterState::default())
            }
        };
        st.last_seen_ns = st.last_seen_ns.max(now_ns);
        st
    }

    pub(crate) fn insert_exporter(&mut self, addr: SocketAddr, now_ns: u64) -> &mut ExporterState {
        self.lru.insert((now_ns, addr));
        let st = self.exporters.entry(addr).or_default();
        st.last_seen_ns = st.last_seen_ns.max(now_ns);
        st
    }

    fn evict_one(&mut self) {
        while let Some((seen, addr)) = self.lru.pop_first() {
            match self.exporters.get(&addr) {
                None => continue,
                Some(st) if st.last_seen_ns != seen => {
                    self.lru.insert((st.last_seen_ns, addr));
                }
                Some(_) => {
                    self.exporters.remove(&addr);
                    return;
                }
            }
        }
    }
}
