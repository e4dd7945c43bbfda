//! `FLOWGATE_<KEY PATH>` environment overrides: the key path in capitals
//! with `_` between the parts, e.g. `FLOWGATE_HTTP_ADDRESS` for
//! `http.address` and `FLOWGATE_SINKS_STDOUT_QUEUE_BATCHES` for
//! `sinks.stdout.queue_batches`. The names are derived from the default
//! config tree, so every key has one and none has to be listed by hand.
//!
//! A variable whose first part names a config section but not a key of it
//! is an error (a typo in `FLOWGATE_HTTP_ADRESS` must not be ignored). One
//! whose first part names no section is not ours (`FLOWGATE_CORPUS` is read
//! by the tests) and is left alone.

use serde_norway::{Mapping, Value};

pub const PREFIX: &str = "FLOWGATE_";

/// Variables read elsewhere, never config keys.
pub const RESERVED: &[&str] = &["FLOWGATE_CONFIG"];

/// An override that applied: the variable and the dotted key it set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub var: String,
    pub key: String,
}

/// Applies every `FLOWGATE_*` variable in `vars` onto `tree` (the parsed
/// config file, or an empty mapping). `defaults` is the default config as a
/// tree; it gives the key names and tells strings from other scalars.
pub fn apply(
    tree: &mut Value,
    defaults: &Value,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<Applied>, String> {
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(k, _)| k.starts_with(PREFIX) && !RESERVED.contains(&k.as_str()))
        .collect();
    vars.sort();
    let mut applied = Vec::new();
    for (var, text) in vars {
        let tokens: Vec<String> = var[PREFIX.len()..]
            .split('_')
            .map(str::to_ascii_lowercase)
            .collect();
        let Some(path) = resolve(defaults, &tokens, &var)? else {
            continue;
        };
        let default = lookup(defaults, &path);
        let value = match default {
            // Strings (and unset options, all of which are strings or
            // lists taking comma-separated strings) are taken verbatim, so
            // "0755" or a path with ':' is not reinterpreted as YAML.
            Some(Value::String(_)) | Some(Value::Null) | None => Value::String(text),
            _ => serde_norway::from_str::<Value>(&text)
                .map_err(|e| format!("{var}={text}: not a valid value: {e}"))?,
        };
        set(tree, &path, value);
        applied.push(Applied {
            var,
            key: path.join("."),
        });
    }
    Ok(applied)
}

/// Finds the key path the tokens name, trying the longest key first at each
/// level (`rate_limit_window` before `rate`). `Ok(None)`: not a config
/// variable at all.
fn resolve(defaults: &Value, tokens: &[String], var: &str) -> Result<Option<Vec<String>>, String> {
    let mut node = defaults;
    let mut path: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Value::Mapping(map) = node else {
            return Err(unknown(var, &path, defaults));
        };
        let found = (i + 1..=tokens.len()).rev().find_map(|j| {
            let key = tokens[i..j].join("_");
            map.get(Value::String(key.clone())).map(|v| (j, key, v))
        });
        match found {
            Some((j, key, v)) => {
                path.push(key);
                node = v;
                i = j;
            }
            None if path.is_empty() => return Ok(None),
            None => return Err(unknown(var, &path, defaults)),
        }
    }
    if matches!(node, Value::Mapping(_)) {
        return Err(unknown(var, &path, defaults));
    }
    Ok(Some(path))
}

fn unknown(var: &str, path: &[String], defaults: &Value) -> String {
    let section = lookup(defaults, path);
    let keys: Vec<String> = match section {
        Some(Value::Mapping(m)) => m
            .iter()
            .filter_map(|(k, _)| k.as_str())
            .map(|k| format!("{PREFIX}{}_{}", path.join("_"), k).to_ascii_uppercase())
            .collect(),
        _ => Vec::new(),
    };
    let mut msg = format!(
        "environment variable {var} names no config key under '{}'",
        path.join(".")
    );
    if !keys.is_empty() {
        msg.push_str(&format!("; fix: use one of {}", keys.join(", ")));
    }
    msg
}

fn lookup<'a>(tree: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(tree, |node, key| node.get(Value::String(key.clone())))
}

fn set(tree: &mut Value, path: &[String], value: Value) {
    let mut node = tree;
    for key in path {
        if !matches!(node, Value::Mapping(_)) {
            *node = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(map) = node else {
            unreachable!("made a mapping above")
        };
        node = map.entry(Value::String(key.clone())).or_insert(Value::Null);
    }
    *node = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Value {
        serde_norway::from_str(
            "log: {level: info, rate_limit_window: 10s}\nhttp: {address: ':8080'}\n\
             receive: {workers: 0}\nsinks: {stdout: {fields: null, queue_batches: 1024}}\n",
        )
        .unwrap()
    }

    fn run(vars: &[(&str, &str)]) -> Result<(Value, Vec<Applied>), String> {
        let mut tree = Value::Mapping(Mapping::new());
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let applied = apply(&mut tree, &defaults(), vars)?;
        Ok((tree, applied))
    }

    #[test]
    fn names_follow_the_key_path() {
        let (tree, applied) = run(&[
            ("FLOWGATE_HTTP_ADDRESS", "127.0.0.1:9"),
            ("FLOWGATE_LOG_RATE_LIMIT_WINDOW", "1s"),
            ("FLOWGATE_RECEIVE_WORKERS", "3"),
            ("FLOWGATE_SINKS_STDOUT_FIELDS", "bytes,src_addr"),
            ("FLOWGATE_SINKS_STDOUT_QUEUE_BATCHES", "8"),
            ("PATH", "/bin"),
        ])
        .unwrap();
        assert_eq!(applied.len(), 5);
        assert_eq!(tree["http"]["address"], Value::String("127.0.0.1:9".into()));
        assert_eq!(tree["log"]["rate_limit_window"], Value::String("1s".into()));
        assert_eq!(tree["receive"]["workers"], Value::Number(3.into()));
        assert_eq!(
            tree["sinks"]["stdout"]["fields"],
            Value::String("bytes,src_addr".into())
        );
    }

    #[test]
    fn typos_inside_a_section_fail_and_foreign_variables_are_ignored() {
        let e = run(&[("FLOWGATE_HTTP_ADRESS", "x")]).unwrap_err();
        assert!(
            e.contains("FLOWGATE_HTTP_ADRESS") && e.contains("FLOWGATE_HTTP_ADDRESS"),
            "{e}"
        );
        let e = run(&[("FLOWGATE_SINKS", "x")]).unwrap_err();
        assert!(e.contains("FLOWGATE_SINKS_STDOUT"), "{e}");
        let (_, applied) = run(&[("FLOWGATE_CORPUS", "/x"), ("FLOWGATE_CONFIG", "f")]).unwrap();
        assert!(applied.is_empty());
    }

    #[test]
    fn non_string_values_are_yaml() {
        let e = run(&[("FLOWGATE_RECEIVE_WORKERS", "[")]).unwrap_err();
        assert!(e.contains("FLOWGATE_RECEIVE_WORKERS=["), "{e}");
    }
}
