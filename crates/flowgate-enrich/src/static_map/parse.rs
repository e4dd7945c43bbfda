//! The static map file, YAML or CSV. Both list entries with the same keys:
//!
//! ```yaml
//! addresses:                    # src_addr / dst_addr
//!   - address: 10.99.0.1        # an exact address or a CIDR prefix; longest prefix wins
//!     name: client
//!     namespace: lab
//!     kind: Pod
//!     workload: client          # -> *_k8s_owner_name
//!     workload_kind: Deployment # -> *_k8s_owner_kind
//!     node: node-a
//!     labels: {app: client}
//! exporters:                    # sampler_address -> sampler_name, sampler_k8s_node
//!   - address: 192.0.2.10
//!     name: ovs-node-a
//!     node: node-a
//! ```
//!
//! CSV: a header naming the columns (any order; `address` is required),
//! then one entry a line. `role` is `address` (the default) or `exporter`;
//! `labels` is `key=value;key=value`. Lines starting with `#` are comments.

use std::collections::BTreeMap;
use std::sync::Arc;

use flowgate_record::EndpointMeta;
use serde::Deserialize;

use crate::table::{IpNet, IpTable};

/// The lookup tables of one version of the file.
#[derive(Debug, Clone, Default)]
pub struct StaticMap {
    pub endpoints: IpTable,
    pub exporters: IpTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    addresses: Vec<Entry>,
    #[serde(default)]
    exporters: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    address: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    workload: String,
    #[serde(default)]
    workload_kind: String,
    #[serde(default)]
    node: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

impl Entry {
    fn meta(self) -> EndpointMeta {
        EndpointMeta {
            namespace: self.namespace.into(),
            name: self.name.into(),
            kind: self.kind.into(),
            owner_name: self.workload.into(),
            owner_kind: self.workload_kind.into(),
            node: self.node.into(),
            labels: Box::default(),
        }
        .with_labels(self.labels)
    }
}

/// Parses a map file; errors name the entry (YAML) or line (CSV) and the fix.
pub fn parse_map(text: &str, csv: bool) -> Result<StaticMap, String> {
    // Most likely a file caught while being rewritten in place: keep the
    // map in use. An intentionally empty map is `addresses: []`.
    let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    if text.lines().all(blank) {
        return Err("the file is empty; fix: write at least a header (CSV) or `addresses: []` (YAML), and replace the file atomically (write another, then rename it)".into());
    }
    let (addresses, exporters) = if csv {
        parse_csv(text)?
    } else {
        let file: Option<File> = serde_norway::from_str(text).map_err(|e| {
            let fix = if e.to_string().contains("unknown field") {
                "; fix: the keys are addresses and exporters, and per entry address, name, namespace, kind, workload, workload_kind, node, labels"
            } else {
                ""
            };
            format!("{e}{fix}")
        })?;
        let file = file.unwrap_or_default();
        let labelled = |what: &str, entries: Vec<Entry>| -> Entries {
            entries
                .into_iter()
                .enumerate()
                .map(|(i, e)| (format!("{what}[{i}]"), e))
                .collect()
        };
        (
            labelled("addresses", file.addresses),
            labelled("exporters", file.exporters),
        )
    };
    Ok(StaticMap {
        endpoints: table(addresses)?,
        exporters: table(exporters)?,
    })
}

fn table(entries: Vec<(String, Entry)>) -> Result<IpTable, String> {
    let mut t = IpTable::new();
    let mut whence: std::collections::HashMap<IpNet, String> = Default::default();
    for (at, e) in entries {
        let net: IpNet = e.address.parse().map_err(|why| format!("{at}: {why}"))?;
        if let Some(first) = whence.get(&net) {
            return Err(format!(
                "{at}: {net} is already mapped by {first}; fix: keep one entry per address"
            ));
        }
        whence.insert(net, at);
        t.insert(net, Arc::new(e.meta()));
    }
    Ok(t)
}

type Entries = Vec<(String, Entry)>;

fn parse_csv(text: &str) -> Result<(Entries, Entries), String> {
    const COLUMNS: [&str; 9] = [
        "role",
        "address",
        "name",
        "namespace",
        "kind",
        "workload",
        "workload_kind",
        "node",
        "labels",
    ];
    let mut header: Option<Vec<String>> = None;
    let (mut addresses, mut exporters) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = split_csv(trimmed).map_err(|why| format!("line {n}: {why}"))?;
        let Some(cols) = &header else {
            for c in &fields {
                if !COLUMNS.contains(&c.as_str()) {
                    return Err(format!(
                        "line {n}: unknown column '{c}'; fix: use {}",
                        COLUMNS.join(", ")
                    ));
                }
            }
            if !fields.iter().any(|c| c == "address") {
                return Err(format!(
                    "line {n}: the header has no 'address' column; fix: start the file with a header such as address,name,namespace,kind,workload,workload_kind,node,labels"
                ));
            }
            header = Some(fields);
            continue;
        };
        if fields.len() > cols.len() {
            return Err(format!(
                "line {n}: {} fields for {} columns; fix: quote values that hold commas",
                fields.len(),
                cols.len()
            ));
        }
        let mut e = Entry::default();
        let mut exporter = false;
        for (col, value) in cols.iter().zip(fields) {
            match col.as_str() {
                "role" => match value.as_str() {
                    "" | "address" => {}
                    "exporter" => exporter = true,
                    other => {
                        return Err(format!(
                            "line {n}: role '{other}'; fix: use address or exporter"
                        ))
                    }
                },
                "address" => e.address = value,
                "name" => e.name = value,
                "namespace" => e.namespace = value,
                "kind" => e.kind = value,
                "workload" => e.workload = value,
                "workload_kind" => e.workload_kind = value,
                "node" => e.node = value,
                _ => {
                    for pair in value.split(';').filter(|p| !p.trim().is_empty()) {
                        let Some((k, v)) = pair.split_once('=') else {
                            return Err(format!(
                                "line {n}: label '{pair}' has no '='; fix: write key=value;key=value"
                            ));
                        };
                        e.labels.insert(k.trim().into(), v.trim().into());
                    }
                }
            }
        }
        let at = format!("line {n}");
        if exporter {
            exporters.push((at, e));
        } else {
            addresses.push((at, e));
        }
    }
    Ok((addresses, exporters))
}

/// Comma-separated fields; a field in double quotes may hold commas, and
/// `""` inside it is one quote.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".into()),
                }
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                if !chars.next().is_some_and(char::is_whitespace) {
                    return Err("text after a closing quote".into());
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                field.push(c);
            }
        }
        out.push(field.trim().to_owned());
        if chars.next().is_none() {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_csv_give_the_same_map() {
        let yaml = "addresses:\n  - address: 10.99.0.1\n    name: p1\n    namespace: lab\n    kind: Pod\n    workload: client\n    workload_kind: Deployment\n    node: n1\n    labels: {app: client, tier: a}\n  - address: 10.99.0.0/24\n    name: lab-net\nexporters:\n  - address: 127.0.0.1\n    name: ovs\n    node: n1\n";
        let csv = "# lab\nrole,address,name,namespace,kind,workload,workload_kind,node,labels\n,10.99.0.1,p1,lab,Pod,client,Deployment,n1,\"app=client;tier=a\"\naddress,10.99.0.0/24,lab-net\nexporter,127.0.0.1,ovs,,,,,n1,\n";
        for (text, is_csv) in [(yaml, false), (csv, true)] {
            let m = parse_map(text, is_csv).unwrap();
            let p1 = m.endpoints.get("10.99.0.1".parse().unwrap()).unwrap();
            assert_eq!(&*p1.owner_kind, "Deployment");
            assert_eq!(p1.labels.len(), 2);
            let net = m.endpoints.get("10.99.0.7".parse().unwrap()).unwrap();
            assert_eq!(&*net.name, "lab-net");
            let ovs = m.exporters.get("127.0.0.1".parse().unwrap()).unwrap();
            assert_eq!((&*ovs.name, &*ovs.node), ("ovs", "n1"));
            assert!(m.endpoints.get("127.0.0.1".parse().unwrap()).is_none());
        }
    }

    #[test]
    fn mistakes_name_the_entry_and_the_fix() {
        let e = parse_map("addresses:\n  - address: 10.0.0.1/8\n", false).unwrap_err();
        assert!(
            e.contains("addresses[0]: '10.0.0.1/8' has host bits set; fix: write 10.0.0.0/8"),
            "{e}"
        );
        let e = parse_map(
            "addresses:\n  - address: 10.0.0.1\n  - address: 10.0.0.1\n",
            false,
        )
        .unwrap_err();
        assert!(
            e.contains("addresses[1]: 10.0.0.1 is already mapped by addresses[0]"),
            "{e}"
        );
        let e = parse_map("addresses:\n  - adress: 10.0.0.1\n", false).unwrap_err();
        assert!(
            e.contains("unknown field `adress`") && e.contains("fix:"),
            "{e}"
        );
        let e = parse_map("address,nam\n", true).unwrap_err();
        assert!(e.contains("line 1: unknown column 'nam'"), "{e}");
        let e = parse_map("address,labels\n10.0.0.1,app\n", true).unwrap_err();
        assert!(e.contains("line 2: label 'app' has no '='"), "{e}");
        let e = parse_map("name\nx\n", true).unwrap_err();
        assert!(e.contains("no 'address' column"), "{e}");
        assert!(parse_map("# nothing\n", false)
            .unwrap_err()
            .contains("empty"));
        assert!(parse_map("addresses: []\n", false)
            .unwrap()
            .endpoints
            .is_empty());
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(
            split_csv(r#"a, "b,c" ,"d""e",,"#).unwrap(),
            ["a", "b,c", "d\"e", "", ""]
        );
        assert!(split_csv("\"a").is_err());
    }
}
