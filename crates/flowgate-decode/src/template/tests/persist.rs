//! Saving and loading the store, and its JSON snapshot.

use super::builder::*;
use super::ovs::{ovs_record, OVS_EGRESS_TUNNEL, OVS_TEMPLATE_ID};
use super::v9::{softflowd_rec, SOFTFLOWD_V4};
use crate::{Decoder, Limits, TemplateStore};

/// Templates and options of both protocols from one exporter, plus another exporter.
fn learned() -> Harness {
    let mut h = Harness::new();
    h.feed(&Msg::ipfix(0).template(OVS_TEMPLATE_ID, &OVS_EGRESS_TUNNEL));
    let opts = Msg::ipfix(7)
        .options(256, &[f(143, 4)], &[f(160, 8), f(305, 4), f(306, 4)])
        .data(256, &[Rec::new().u32(1).u64(5_000).u32(1).u32(99)])
        .template(1024, &[f(8, 4), f(22, 4), f(21, 4)]);
    h.feed(&opts);
    let v9 = Msg::v9(0)
        .options(257, &[f(1, 4)], &[f(48, 1), f(50, 4)])
        .data(257, &[Rec::new().u32(0).u8(3).u32(512)])
        .template(1024, &SOFTFLOWD_V4);
    h.feed(&v9);
    h.feed_from("[2001:db8::9]:9995", &Msg::v9(1).template(1025, &[f(8, 4)]));
    h
}

/// Data only: decodable at once by a store that knows the templates.
fn data_only(h: &mut Harness) -> Vec<flowgate_record::FlowRecord> {
    h.out.clear();
    h.feed(&Msg::ipfix(0).data(OVS_TEMPLATE_ID, &[ovs_record()]));
    let rec = Rec::new().ip("10.0.0.1").u32(10).u32(20);
    h.feed(&Msg::ipfix(7).data(1024, &[rec]));
    h.feed(&Msg::v9(0).data(1024, &[softflowd_rec(9)]));
    h.records().to_vec()
}

#[test]
fn save_load_round_trip_decodes_at_once() {
    let mut before = learned();
    let mut saved = Vec::new();
    before.dec.store().save(&mut saved).unwrap();
    let store = TemplateStore::load(&saved[..], Limits::default()).unwrap();
    assert_eq!(store.exporter_count(), 2);
    assert_eq!(store.template_count(ADDR.parse().unwrap()), 5);
    let mut again = Vec::new();
    store.save(&mut again).unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(saved).unwrap()
    );
    let mut after = Harness::new();
    after.dec = Decoder::with_store(store);
    after.now = before.now;
    let expect = data_only(&mut before);
    let got = data_only(&mut after);
    assert_eq!(got.len(), 3);
    assert_eq!(got, expect);
    assert_eq!(
        got[1].time_flow_start_ns, 5_010_000_000,
        "init time restored"
    );
    assert_eq!(got[1].sampling_rate, 100, "IPFIX rate restored");
    assert_eq!(got[2].sampling_rate, 512, "v9 sampler rate restored");
}

#[test]
fn load_applies_limits_and_rejects_garbage() {
    let h = learned();
    let mut saved = Vec::new();
    h.dec.store().save(&mut saved).unwrap();
    let limits = Limits {
        max_exporters: 1,
        max_templates_per_exporter: 2,
        ..Limits::default()
    };
    let store = TemplateStore::load(&saved[..], limits).unwrap();
    assert_eq!(store.exporter_count(), 1, "the most recently seen one");
    assert_eq!(
        store.template_count("[2001:db8::9]:9995".parse().unwrap()),
        1
    );
    assert!(TemplateStore::load(&b"{\"version\":1"[..], Limits::default()).is_err());
    assert!(
        TemplateStore::load(&b"{\"version\":99,\"exporters\":[]}"[..], Limits::default()).is_err()
    );
}

#[test]
fn snapshot_lists_templates_and_rates() {
    let h = learned();
    let snap = h.dec.store().snapshot();
    let exporters = snap["exporters"].as_array().unwrap();
    let ours = exporters
        .iter()
        .find(|e| e["address"] == ADDR)
        .expect("exporter listed by address");
    let domains = ours["domains"].as_array().unwrap();
    let v9 = domains
        .iter()
        .find(|d| d["protocol"] == "netflow_v9")
        .unwrap();
    assert_eq!(v9["sampling"]["samplers"][0]["rate"], 512);
    let ipfix0 = domains
        .iter()
        .find(|d| d["protocol"] == "ipfix" && d["domain"] == 0)
        .unwrap();
    let tpl = &ipfix0["templates"][0];
    assert_eq!(tpl["id"], OVS_TEMPLATE_ID);
    assert_eq!(tpl["kind"], "data");
    assert_eq!(
        tpl["fields"].as_array().unwrap().len(),
        OVS_EGRESS_TUNNEL.len()
    );
    assert_eq!(tpl["fields"][24]["pen"], 6876);
    assert_eq!(tpl["fields"][8]["length"], 65535);
    let ipfix7 = domains.iter().find(|d| d["domain"] == 7).unwrap();
    assert_eq!(ipfix7["system_init_ms"], 5_000);
    assert_eq!(ipfix7["sampling"]["default"], 100);
    assert_eq!(ipfix7["templates"][0]["kind"], "options");
    assert_eq!(ipfix7["templates"][0]["scope_fields"], 1);
}

#[test]
fn files_are_written_atomically() {
    let h = learned();
    let dir = std::env::temp_dir().join(format!("flowgate-templates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("templates.json");
    std::fs::write(&path, b"old").unwrap();
    h.dec.store().save_to_file(&path).unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["templates.json"], "no temporary file left");
    let store = TemplateStore::load_from_file(&path, Limits::default()).unwrap();
    assert_eq!(store.exporter_count(), 2);
    assert!(TemplateStore::load_from_file(dir.join("missing.json"), Limits::default()).is_err());
    assert!(h
        .dec
        .store()
        .save_to_file(dir.join("no/such/dir.json"))
        .is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
