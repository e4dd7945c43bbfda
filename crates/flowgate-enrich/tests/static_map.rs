//! The static enricher from a file: longest prefix, exporters, reload on
//! change and on request, a bad file keeping the map in use, and the
//! chain's order as priority.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flowgate_config::{EnricherConfig, HumanDuration, StaticEnricherConfig};
use flowgate_enrich::{build, Enricher, Health, StaticEnricher};
use support::{flow, rendered, wait_for};

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgate-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// As editors and ConfigMap updates do: a reader never sees half a file.
fn replace(p: &Path, text: &str) {
    let tmp = p.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, p).unwrap();
}

fn config(path: &Path, watch_ms: u64) -> StaticEnricherConfig {
    StaticEnricherConfig {
        path: path.to_path_buf(),
        watch_interval: HumanDuration(Duration::from_millis(watch_ms)),
        ..Default::default()
    }
}

const LAB: &str = "addresses:
  - {address: 10.99.0.1, name: client, namespace: lab, kind: Pod, workload: client, workload_kind: Deployment, node: node-a, labels: {app: client}}
  - {address: fd99::2, name: server, namespace: lab, kind: Pod, node: node-b}
  - {address: 10.99.0.0/24, name: lab-net, kind: Subnet}
  - {address: fd99::/64, name: lab-net6, kind: Subnet}
exporters:
  - {address: 127.0.0.1, name: ovs-lab, node: node-a}
";

fn name_of(e: &dyn Enricher, src: &str) -> Option<String> {
    let mut r = flow(src, "", "");
    e.enrich_one(&mut r);
    r.src_k8s.map(|m| m.name.to_string())
}

#[test]
fn exact_addresses_prefixes_and_exporters() {
    let p = temp("lab.yaml", LAB);
    let e = StaticEnricher::start("static", &config(&p, 0)).unwrap();
    let mut batch = vec![
        flow("10.99.0.1", "fd99::2", "127.0.0.1"),
        flow("10.99.0.7", "fd99::7", "192.0.2.1"),
        flow("192.0.2.9", "2001:db8::1", ""),
    ];
    e.enrich(&mut batch);
    let v = rendered(&batch[0]);
    assert_eq!(v["src_k8s_name"], "client");
    assert_eq!(v["src_k8s_namespace"], "lab");
    assert_eq!(v["src_k8s_owner_name"], "client");
    assert_eq!(v["src_k8s_owner_kind"], "Deployment");
    assert_eq!(v["src_k8s_node"], "node-a");
    assert_eq!(v["src_k8s_labels"]["app"], "client");
    assert_eq!(v["dst_k8s_name"], "server");
    assert_eq!(v["sampler_name"], "ovs-lab");
    assert_eq!(v["sampler_k8s_node"], "node-a");
    let v = rendered(&batch[1]);
    assert_eq!(
        (&v["src_k8s_name"], &v["dst_k8s_name"]),
        (&"lab-net".into(), &"lab-net6".into())
    );
    assert!(v.get("sampler_name").is_none());
    assert!(batch[2].src_k8s.is_none() && batch[2].dst_k8s.is_none());
    let s = e.stats();
    assert_eq!((s.seen, s.enriched, s.missed), (3, 2, 1));
    assert_eq!(e.entries(), 5);
}

#[test]
fn a_changed_file_is_picked_up_and_a_bad_one_keeps_the_map() {
    let p = temp("watched.csv", "address,name\n10.0.0.1,first\n");
    let e = StaticEnricher::start("static", &config(&p, 100)).unwrap();
    assert_eq!(name_of(&e, "10.0.0.1").as_deref(), Some("first"));

    // Workers keep enriching while the file changes under them.
    let e = Arc::new(e);
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (e, stop) = (e.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let mut batch = vec![flow("10.0.0.1", "", ""); 32];
                e.enrich(&mut batch);
                assert!(
                    batch.iter().all(|r| r.src_k8s.is_some()),
                    "a record missed during a reload"
                );
                n += 32;
            }
            n
        })
    };
    replace(&p, "address,name\n10.0.0.1,second\n10.0.0.2,new\n");
    wait_for("the file change", Duration::from_secs(10), || {
        (name_of(&*e, "10.0.0.2").as_deref() == Some("new")).then_some(())
    });
    assert_eq!(name_of(&*e, "10.0.0.1").as_deref(), Some("second"));

    replace(&p, "address,name\nnot-an-ip,broken\n");
    wait_for("the failed reload", Duration::from_secs(10), || {
        (e.stats().reload_failures > 0).then_some(())
    });
    assert_eq!(
        name_of(&*e, "10.0.0.2").as_deref(),
        Some("new"),
        "the old map stays"
    );
    let Health::Failing(why) = e.health() else {
        panic!("health should say the reload failed")
    };
    assert!(
        why.contains("line 2: 'not-an-ip' is not an IP address"),
        "{why}"
    );

    stop.store(true, Ordering::Relaxed);
    assert!(worker.join().unwrap() > 0);

    // SIGHUP path: reload() on demand, errors returned, then a good file.
    assert!(e.reload().is_err());
    replace(&p, "address,name\n10.0.0.3,third\n");
    e.reload().unwrap();
    assert_eq!(name_of(&*e, "10.0.0.3").as_deref(), Some("third"));
    assert_eq!(name_of(&*e, "10.0.0.1"), None);
    assert!(e.health().is_ok());
}

#[test]
fn the_chain_is_built_in_order_and_earlier_enrichers_win() {
    let first = temp(
        "first.yaml",
        "addresses:\n  - {address: 10.0.0.0/8, name: first}\n",
    );
    let second = temp(
        "second.yaml",
        "addresses:\n  - {address: 10.0.0.1, name: second}\n  - {address: 192.0.2.1, name: only-second}\n",
    );
    let list = vec![
        EnricherConfig::Static(config(&first, 0)),
        EnricherConfig::Static(StaticEnricherConfig {
            name: Some("second".into()),
            ..config(&second, 0)
        }),
        EnricherConfig::Static(StaticEnricherConfig {
            name: Some("off".into()),
            enabled: false,
            ..config(&PathBuf::from("/nonexistent"), 0)
        }),
    ];
    let chain = build(&list).unwrap();
    let names: Vec<&str> = chain.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["static", "second"]);
    let mut batch = vec![flow("10.0.0.1", "192.0.2.1", "")];
    chain.apply(&mut batch);
    assert_eq!(&*batch[0].src_k8s.as_ref().unwrap().name, "first");
    assert_eq!(&*batch[0].dst_k8s.as_ref().unwrap().name, "only-second");

    let missing = vec![EnricherConfig::Static(config(
        &PathBuf::from("/nonexistent/map.yaml"),
        0,
    ))];
    let err = build(&missing).err().unwrap();
    assert!(
        err.starts_with("enrich[0] (static).path: cannot read /nonexistent/map.yaml"),
        "{err}"
    );
}
