//! Per-enricher series, read from the chain at scrape time: the enrichers
//! count with their own atomics, so the receive path never touches the
//! registry.

use std::sync::{Arc, Mutex};

use flowgate_enrich::EnricherChain;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use super::{counter, gauge, Labels};

/// Empty until the server has built the chain.
#[derive(Debug, Default, Clone)]
pub struct EnrichCollector(pub Arc<Mutex<EnricherChain>>);

impl Collector for EnrichCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let chain = self.0.lock().unwrap().clone();
        let rows: Vec<_> = chain
            .iter()
            .map(|e| {
                (
                    e.name().to_owned(),
                    e.kind(),
                    e.stats(),
                    e.health(),
                    e.entries(),
                )
            })
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let label = |name: &str, kind: &str| -> Labels {
            vec![("enricher", name.to_owned()), ("type", kind.to_owned())]
        };
        let outcomes = rows.iter().flat_map(|(n, k, s, _, _)| {
            [
                ("seen", s.seen),
                ("enriched", s.enriched),
                ("missed", s.missed),
                ("unavailable", s.unavailable),
            ]
            .map(|(o, v)| {
                let mut l = label(n, k);
                l.push(("outcome", o.to_owned()));
                (l, v)
            })
        });
        counter(
            &mut enc,
            "flowgate_enrich_records",
            "Records an enricher looked at (seen), filled source, destination or exporter of (enriched), or not (missed; unavailable: missed while its source was not usable)",
            outcomes,
        )?;
        let reloads = rows.iter().flat_map(|(n, k, s, _, _)| {
            [("ok", s.reloads), ("failed", s.reload_failures)].map(|(o, v)| {
                let mut l = label(n, k);
                l.push(("outcome", o.to_owned()));
                (l, v)
            })
        });
        counter(
            &mut enc,
            "flowgate_enrich_reloads",
            "Reloads of an enricher's source (static map file changed or SIGHUP); a failed one keeps the previous map",
            reloads,
        )?;
        gauge(
            &mut enc,
            "flowgate_enrich_healthy",
            "1 when the enricher's source is usable (map loaded; every Kubernetes watch listed and answering), else 0",
            rows.iter()
                .map(|(n, k, _, h, _)| (label(n, k), h.is_ok() as i64)),
        )?;
        gauge(
            &mut enc,
            "flowgate_enrich_entries",
            "Addresses and prefixes the enricher can answer for",
            rows.iter().map(|(n, k, _, _, e)| (label(n, k), *e as i64)),
        )
    }
}
