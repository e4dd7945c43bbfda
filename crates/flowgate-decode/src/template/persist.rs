//! Saving and restoring template state, and a JSON view of it. Open vSwitch
//! re-sends templates only every 600 s: a restarted collector that loads
//! its saved store decodes at once. Held data sets are not saved.

use std::io;
use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::compile::{FieldSpec, Kind, Template};
use super::sampling::Sampling;
use super::store::{DomainKey, DomainState, Proto};
use super::{Limits, TemplateStore};

const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Saved {
    version: u32,
    exporters: Vec<SavedExporter>,
}

#[derive(Serialize, Deserialize)]
struct SavedExporter {
    address: SocketAddr,
    last_seen_ns: u64,
    domains: Vec<SavedDomain>,
}

#[derive(Serialize, Deserialize)]
struct SavedDomain {
    protocol: SavedProto,
    domain: u32,
    templates: Vec<SavedTemplate>,
    sampling: Sampling,
    system_init_ms: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum SavedProto {
    NetflowV9,
    Ipfix,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum SavedKind {
    Data,
    Options,
}

#[derive(Serialize, Deserialize)]
struct SavedTemplate {
    id: u16,
    kind: SavedKind,
    /// Options templates: how many leading fields are scope fields.
    #[serde(default, skip_serializing_if = "is_zero")]
    scope_fields: u16,
    fields: Vec<FieldSpec>,
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl From<Proto> for SavedProto {
    fn from(p: Proto) -> Self {
        match p {
            Proto::V9 => SavedProto::NetflowV9,
            Proto::Ipfix => SavedProto::Ipfix,
        }
    }
}

impl From<SavedProto> for Proto {
    fn from(p: SavedProto) -> Self {
        match p {
            SavedProto::NetflowV9 => Proto::V9,
            SavedProto::Ipfix => Proto::Ipfix,
        }
    }
}

fn save_domain(key: &DomainKey, d: &DomainState) -> SavedDomain {
    let mut templates: Vec<SavedTemplate> = d
        .templates
        .iter()
        .map(|(&id, t)| {
            let (kind, scope_fields) = match t.kind {
                Kind::Data => (SavedKind::Data, 0),
                Kind::Options { scope } => (SavedKind::Options, scope),
            };
            SavedTemplate {
                id,
                kind,
                scope_fields,
                fields: t.fields.clone(),
            }
        })
        .collect();
    templates.sort_by_key(|t| t.id);
    SavedDomain {
        protocol: key.proto.into(),
        domain: key.domain,
        templates,
        sampling: d.sampling.clone(),
        system_init_ms: d.init_ms,
    }
}

/// A template that the limits allow and that can describe records.
fn valid(t: &SavedTemplate, limits: &Limits) -> bool {
    let n = t.fields.len();
    t.id >= 256
        && n > 0
        && n <= limits.max_fields_per_template
        && (t.kind == SavedKind::Data || t.scope_fields as usize <= n)
}

impl TemplateStore {
    fn to_saved(&self) -> Saved {
        let mut exporters: Vec<SavedExporter> = self
            .exporters
            .iter()
            .map(|(&address, st)| {
                let mut domains: Vec<(&DomainKey, &DomainState)> = st.domains.iter().collect();
                domains.sort_by_key(|(k, _)| **k);
                SavedExporter {
                    address,
                    last_seen_ns: st.last_seen_ns,
                    domains: domains
                        .into_iter()
                        .map(|(k, d)| save_domain(k, d))
                        .collect(),
                }
            })
            .collect();
        exporters.sort_by_key(|e| e.address);
        Saved {
            version: FORMAT_VERSION,
            exporters,
        }
    }

    /// The store as JSON (for an HTTP /templates endpoint): per exporter and
    /// domain, each template's id, kind and fields (pen, id, length), the
    /// sampling rates and the system init time. The same shape as [`save`](Self::save).
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self.to_saved()).unwrap_or(serde_json::Value::Null)
    }

    /// Writes templates, options templates, sampling rates and system init
    /// times as JSON. Held data sets are not saved.
    pub fn save(&self, w: impl io::Write) -> io::Result<()> {
        serde_json::to_writer(w, &self.to_saved()).map_err(io::Error::other)
    }

    /// Reads what [`save`](Self::save) wrote. Entries beyond `limits` (or
    /// that could not have been learned under them) are left out, so a
    /// store saved with looser limits still loads.
    pub fn load(r: impl io::Read, limits: Limits) -> Result<TemplateStore, String> {
        let saved: Saved = serde_json::from_reader(r).map_err(|e| e.to_string())?;
        if saved.version != FORMAT_VERSION {
            return Err(format!("unknown template store version {}", saved.version));
        }
        let mut store = TemplateStore::new(limits);
        let mut exporters = saved.exporters;
        // Most recently seen first, so the limit keeps the live ones.
        exporters.sort_by_key(|e| std::cmp::Reverse(e.last_seen_ns));
        for e in exporters.into_iter().take(limits.max_exporters.max(1)) {
            let st = store.insert_exporter(e.address, e.last_seen_ns);
            let (domains, count) = (&mut st.domains, &mut st.template_count);
            for d in e.domains {
                let key = DomainKey {
                    proto: d.protocol.into(),
                    domain: d.domain,
                };
                let domain = domains.entry(key).or_default();
                domain.init_ms = d.system_init_ms;
                domain.sampling = d.sampling;
                domain
                    .sampling
                    .samplers
                    .truncate(limits.max_samplers_per_domain);
                for t in d.templates.into_iter().filter(|t| valid(t, &limits)) {
                    if *count >= limits.max_templates_per_exporter {
                        break;
                    }
                    let kind = match t.kind {
                        SavedKind::Data => Kind::Data,
                        SavedKind::Options => Kind::Options {
                            scope: t.scope_fields,
                        },
                    };
                    let tpl = Template::new(key.proto, kind, t.fields);
                    if domain.templates.insert(t.id, tpl.into()).is_none() {
                        *count += 1;
                    }
                }
            }
        }
        Ok(store)
    }

    /// [`save`](Self::save) to `path` atomically: a temporary file in the
    /// same directory, synced, then renamed over `path`.
    pub fn save_to_file(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".tmp");
        let tmp = path.with_file_name(tmp_name);
        let result = (|| {
            let mut w = io::BufWriter::new(std::fs::File::create(&tmp)?);
            self.save(&mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    pub fn load_from_file(path: impl AsRef<Path>, limits: Limits) -> Result<TemplateStore, String> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        TemplateStore::load(io::BufReader::new(file), limits)
    }
}
