//! Durations ("500ms", "10s", "5m") and byte sizes ("8MiB", "65535") as they
//! are written in the config file, so a value reads the same in YAML, in an
//! environment variable and in `check-config` output.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written as an integer and a unit: `ms`, `s`, `m` or `h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub const fn secs(s: u64) -> Self {
        HumanDuration(Duration::from_secs(s))
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

impl std::str::FromStr for HumanDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("'{s}' is not a duration; write e.g. 500ms, 10s, 5m or 1h"))?;
        let d = match unit.trim() {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            _ => {
                return Err(format!(
                    "'{s}' has no unit; write e.g. 500ms, 10s, 5m or 1h"
                ))
            }
        };
        Ok(HumanDuration(d))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        match ms {
            0 => write!(f, "0s"),
            _ if ms % 3_600_000 == 0 => write!(f, "{}h", ms / 3_600_000),
            _ if ms % 60_000 == 0 => write!(f, "{}m", ms / 60_000),
            _ if ms % 1000 == 0 => write!(f, "{}s", ms / 1000),
            _ => write!(f, "{ms}ms"),
        }
    }
}

/// A size in bytes: an integer, optionally with `KiB`, `MiB` or `GiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl std::str::FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("'{s}' is not a size; write e.g. 212992, 64KiB or 8MiB"))?;
        let mult = match unit.trim() {
            "" | "B" => 1,
            "KiB" | "K" | "k" | "KB" => 1 << 10,
            "MiB" | "M" | "MB" => 1 << 20,
            "GiB" | "G" | "GB" => 1 << 30,
            _ => {
                return Err(format!(
                    "'{s}': unknown unit; write e.g. 212992, 64KiB or 8MiB"
                ))
            }
        };
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("'{s}' is too large"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        match n {
            0 => write!(f, "0"),
            _ if n % (1 << 30) == 0 => write!(f, "{}GiB", n >> 30),
            _ if n % (1 << 20) == 0 => write!(f, "{}MiB", n >> 20),
            _ if n % (1 << 10) == 0 => write!(f, "{}KiB", n >> 10),
            _ => write!(f, "{n}"),
        }
    }
}

/// Both types read from a string or a bare integer (seconds / bytes), and
/// write themselves back as strings.
macro_rules! string_serde {
    ($t:ty, $expecting:literal, $from_int:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$t, E> {
                        v.parse().map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$t, E> {
                        Ok($from_int(v))
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$t, E> {
                        u64::try_from(v)
                            .map($from_int)
                            .map_err(|_| E::custom(format!("{v} is negative")))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

string_serde!(HumanDuration, "a duration such as 500ms, 10s or 5m", |v| {
    HumanDuration(Duration::from_secs(v))
});
string_serde!(ByteSize, "a size such as 212992, 64KiB or 8MiB", ByteSize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        for s in ["500ms", "10s", "5m", "1h", "1500ms", "0s"] {
            let d: HumanDuration = s.parse().unwrap();
            assert_eq!(d.to_string(), s);
        }
        assert_eq!("90s".parse::<HumanDuration>().unwrap().to_string(), "90s");
        assert!("10"
            .parse::<HumanDuration>()
            .unwrap_err()
            .contains("no unit"));
        assert!("x".parse::<HumanDuration>().is_err());
    }

    #[test]
    fn sizes_round_trip() {
        assert_eq!("8MiB".parse::<ByteSize>().unwrap(), ByteSize(8 << 20));
        assert_eq!("212992".parse::<ByteSize>().unwrap().to_string(), "208KiB");
        assert_eq!(ByteSize(1000).to_string(), "1000");
        assert!("8 parsecs".parse::<ByteSize>().is_err());
    }
}
