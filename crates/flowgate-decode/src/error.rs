use std::fmt;

/// Why a datagram, or a part of one, could not be decoded. `as_str` is the
/// stable `reason` label of the error metrics, so names never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The datagram ends before a header or record it announces.
    Truncated,
    /// The version field names no protocol this decoder knows.
    UnknownVersion,
    /// A length field (message, set, sample, record) disagrees with the bytes present.
    BadLength,
    /// The header record count disagrees with the records present.
    CountMismatch,
    /// A template record that cannot describe data (0 fields, bad lengths, ...).
    BadTemplate,
    /// A data set whose template this exporter has not sent (yet).
    MissingTemplate,
    /// A held data set was dropped because the per-exporter hold buffer is full.
    PendingOverflow,
    /// A held data set was dropped because its template did not arrive in time.
    PendingExpired,
    /// A template was refused because the exporter has too many.
    TemplateLimit,
    /// A new exporter was refused because the store tracks too many.
    ExporterLimit,
    /// A set or record ID that is reserved or not allowed here.
    BadSetId,
    /// A variable-length field runs past its record.
    BadVarLen,
    /// Recognised but not decoded by this build (e.g. sFlow before its decoder).
    Unsupported,
    /// Anything the wire format forbids that has no more precise kind.
    Malformed,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::Truncated,
        ErrorKind::UnknownVersion,
        ErrorKind::BadLength,
        ErrorKind::CountMismatch,
        ErrorKind::BadTemplate,
        ErrorKind::MissingTemplate,
        ErrorKind::PendingOverflow,
        ErrorKind::PendingExpired,
        ErrorKind::TemplateLimit,
        ErrorKind::ExporterLimit,
        ErrorKind::BadSetId,
        ErrorKind::BadVarLen,
        ErrorKind::Unsupported,
        ErrorKind::Malformed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Truncated => "truncated",
            ErrorKind::UnknownVersion => "unknown_version",
            ErrorKind::BadLength => "bad_length",
            ErrorKind::CountMismatch => "count_mismatch",
            ErrorKind::BadTemplate => "bad_template",
            ErrorKind::MissingTemplate => "missing_template",
            ErrorKind::PendingOverflow => "pending_overflow",
            ErrorKind::PendingExpired => "pending_expired",
            ErrorKind::TemplateLimit => "template_limit",
            ErrorKind::ExporterLimit => "exporter_limit",
            ErrorKind::BadSetId => "bad_set_id",
            ErrorKind::BadVarLen => "bad_varlen",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Malformed => "malformed",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A datagram rejected as a whole. `detail` says where, for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: ErrorKind,
    pub detail: &'static str,
}

impl DecodeError {
    pub fn new(kind: ErrorKind, detail: &'static str) -> Self {
        DecodeError { kind, detail }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for DecodeError {}

/// Per-kind counts of problems found inside a datagram that was otherwise
/// decoded (a set without template, a lying set length, ...). Fixed size so
/// that reporting costs no allocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IssueCounts([u32; ErrorKind::ALL.len()]);

impl IssueCounts {
    pub fn add(&mut self, kind: ErrorKind) {
        self.add_n(kind, 1);
    }

    pub fn add_n(&mut self, kind: ErrorKind, n: u32) {
        let i = kind as usize;
        self.0[i] = self.0[i].saturating_add(n);
    }

    pub fn get(&self, kind: ErrorKind) -> u32 {
        self.0[kind as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&n| n == 0)
    }

    /// The non-zero counts.
    pub fn iter(&self) -> impl Iterator<Item = (ErrorKind, u32)> + '_ {
        ErrorKind::ALL
            .iter()
            .map(|&k| (k, self.get(k)))
            .filter(|&(_, n)| n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_discriminant_order() {
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
    }
}
