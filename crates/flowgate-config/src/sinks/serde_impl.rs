//! Reading `sinks:` as a list (or the older name-keyed mapping), and the
//! view of it that `FLOWGATE_SINKS_<NAME>_<KEY>` variables resolve against.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_norway::{Mapping, Value};

use super::{SinkConfig, SinksConfig};

impl Serialize for SinksConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SinksConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListOrMap)
    }
}

struct ListOrMap;

impl<'de> Visitor<'de> for ListOrMap {
    type Value = SinksConfig;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of sinks, each with a `type` (stdout, kafka, prometheus)")
    }

    fn visit_unit<E: de::Error>(self) -> Result<SinksConfig, E> {
        Ok(SinksConfig(Vec::new()))
    }

    fn visit_none<E: de::Error>(self) -> Result<SinksConfig, E> {
        Ok(SinksConfig(Vec::new()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SinksConfig, A::Error> {
        let mut v = Vec::new();
        while let Some(entry) = seq.next_element::<Value>()? {
            let at = format!("[{}]", v.len());
            let entry = named_entry(None, entry)
                .ok_or_else(|| de::Error::custom(format!("{at}: not a mapping of keys")))?;
            v.push(typed(&at, entry).map_err(de::Error::custom)?);
        }
        Ok(SinksConfig(v))
    }

    /// `NAME: {type: ..., ...}`; without `type`, NAME is the type.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SinksConfig, A::Error> {
        let mut v = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            let entry = named_entry(Some(&key), value)
                .ok_or_else(|| de::Error::custom(format!("{key}: not a mapping of keys")))?;
            v.push(typed(&key, entry).map_err(de::Error::custom)?);
        }
        Ok(SinksConfig(v))
    }
}

/// One entry as its type's struct. Going through YAML text (not serde's
/// buffered internally-tagged form) keeps the key path in the messages,
/// e.g. `[1] kafka: tls: unknown field `ca_fil``.
fn typed(at: &str, entry: Value) -> Result<SinkConfig, String> {
    let mut m = match entry {
        Value::Mapping(m) => m,
        _ => return Err(format!("{at}: not a mapping of keys")),
    };
    let ty = match m.remove("type") {
        Some(Value::String(t)) => t,
        _ => {
            return Err(format!(
                "{at}: `type` is missing; fix: add type: stdout, kafka or prometheus"
            ))
        }
    };
    let text = serde_norway::to_string(&m).expect("a mapping serializes");
    let parsed = match ty.as_str() {
        "stdout" => serde_norway::from_str(&text).map(SinkConfig::Stdout),
        "kafka" => serde_norway::from_str(&text).map(SinkConfig::Kafka),
        "prometheus" => serde_norway::from_str(&text).map(SinkConfig::Prometheus),
        _ => {
            return Err(format!(
            "{at}: type: unknown variant `{ty}`, expected one of `stdout`, `kafka`, `prometheus`"
        ))
        }
    };
    parsed.map_err(|e| {
        let mut msg = e.to_string();
        // Lines of the re-serialized entry point nowhere in the file; the
        // caller's position (the entry's) is added by the outer parser.
        if let Some(i) = msg.rfind(" at line ") {
            msg.truncate(i);
        }
        format!("{at} {ty}: {msg}")
    })
}

/// The entry with `type` and `name` filled in (from `key` if it came from
/// the mapping form). None if it is not a mapping.
fn named_entry(key: Option<&str>, value: Value) -> Option<Value> {
    let mut m = match value {
        Value::Null => Mapping::new(),
        Value::Mapping(m) => m,
        _ => return None,
    };
    let get = |m: &Mapping, k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let ty = get(&m, "type").or_else(|| key.map(str::to_owned));
    let name = get(&m, "name")
        .or_else(|| key.map(str::to_owned))
        .or_else(|| ty.clone());
    // Without a type the entry is left for `typed` to report.
    if let (Some(ty), Some(name)) = (ty, name) {
        m.insert("type".into(), Value::String(ty));
        m.insert("name".into(), Value::String(name));
    }
    Some(Value::Mapping(m))
}

/// How a sink name appears in a variable: `kafka-main` → `kafka_main`
/// (FLOWGATE_SINKS_KAFKA_MAIN_TOPIC).
pub(crate) fn env_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// When some `FLOWGATE_SINKS_<NAME>_...` variable is set, turns `sinks`
/// in the file's tree into the name-keyed mapping form, and `sinks` in the
/// defaults into the same names mapped to their type's defaults, so that
/// the generic override code finds `sinks.<name>.<key>` in both. A list
/// that does not parse is left alone for the deserializer to report.
pub(crate) fn env_view(tree: &mut Value, defaults: &mut Value, vars: &[(String, String)]) {
    let prefix = format!("{}SINKS_", crate::env::PREFIX);
    if !vars.iter().any(|(k, _)| k.starts_with(&prefix)) {
        return;
    }
    let list = match tree.get("sinks") {
        Some(v) => v.clone(),
        None => defaults.get("sinks").cloned().unwrap_or(Value::Null),
    };
    let entries: Vec<(Option<String>, Value)> = match list {
        Value::Sequence(s) => s.into_iter().map(|e| (None, e)).collect(),
        Value::Mapping(m) => m
            .into_iter()
            .map(|(k, v)| (k.as_str().map(str::to_owned), v))
            .collect(),
        _ => return,
    };
    let (mut named, mut typed) = (Mapping::new(), Mapping::new());
    for (key, value) in entries {
        let Some(entry) = named_entry(key.as_deref(), value) else {
            return;
        };
        let (ty, name) = (entry["type"].as_str(), entry["name"].as_str());
        let (Some(ty), Some(name)) = (ty, name) else {
            return;
        };
        let Some(default) = SinkConfig::default_of(ty) else {
            return;
        };
        let k = Value::String(env_key(name));
        let default = serde_norway::to_value(default).expect("defaults serialize");
        typed.insert(k.clone(), default);
        named.insert(k, entry);
    }
    if let (Value::Mapping(t), Value::Mapping(d)) = (tree, defaults) {
        t.insert("sinks".into(), Value::Mapping(named));
        d.insert("sinks".into(), Value::Mapping(typed));
    }
}
