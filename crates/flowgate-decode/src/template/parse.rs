//! Template and options template records off the wire (v9 and IPFIX).

use super::compile::{FieldSpec, Kind};
use super::store::{Proto, Withdraw};
use crate::bytes::{u16_at, u32_at};
use crate::error::ErrorKind;

/// One record of a template set.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Template {
        id: u16,
        kind: Kind,
        fields: Vec<FieldSpec>,
    },
    Withdraw(Withdraw),
    /// Describes no usable template (reserved id, bad scope count); skipped.
    Bad,
}

/// Why a template set was not read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The rest of the set cannot be parsed (a field count beyond the limit,
    /// 0 fields in v9); the datagram's other sets can.
    Set(ErrorKind),
    /// A template announces more bytes than its set holds: lengths lie,
    /// so the datagram is not read further.
    Datagram(ErrorKind),
}

/// Reads the fields of one template. `count * 4` bytes are checked present
/// before anything is allocated for them.
fn fields(b: &[u8], count: usize, ipfix: bool) -> Result<(Vec<FieldSpec>, usize), Stop> {
    if count.saturating_mul(4) > b.len() {
        return Err(Stop::Datagram(ErrorKind::Truncated));
    }
    let mut out = Vec::with_capacity(count);
    let mut pos = 0;
    for _ in 0..count {
        if b.len() - pos < 4 {
            return Err(Stop::Datagram(ErrorKind::Truncated));
        }
        let (mut id, len) = (u16_at(b, pos), u16_at(b, pos + 2));
        pos += 4;
        let mut pen = 0;
        if ipfix && id & 0x8000 != 0 {
            if b.len() - pos < 4 {
                return Err(Stop::Datagram(ErrorKind::Truncated));
            }
            pen = u32_at(b, pos);
            id &= 0x7fff;
            pos += 4;
        }
        out.push(FieldSpec { pen, id, len });
    }
    Ok((out, pos))
}

/// Calls `f` for each record of a template set (`options`: an options
/// template set). Trailing bytes too short for a record, or all zero, are
/// padding.
pub(crate) fn template_set(
    proto: Proto,
    options: bool,
    body: &[u8],
    max_fields: usize,
    mut f: impl FnMut(Item),
) -> Result<(), Stop> {
    let ipfix = proto == Proto::Ipfix;
    let min_header = if options && !ipfix { 6 } else { 4 };
    let mut pos = 0;
    while body.len() - pos >= min_header {
        let rest = &body[pos..];
        let id = u16_at(rest, 0);
        if id == 0 && rest.iter().all(|&b| b == 0) {
            break;
        }
        let (count, scope, header) = match (ipfix, options) {
            (false, false) => (u16_at(rest, 2) as usize, 0, 4),
            (false, true) => {
                let (scope_len, opt_len) = (u16_at(rest, 2) as usize, u16_at(rest, 4) as usize);
                if scope_len % 4 != 0 || opt_len % 4 != 0 {
                    return Err(Stop::Set(ErrorKind::BadTemplate));
                }
                (scope_len / 4 + opt_len / 4, scope_len / 4, 6)
            }
            (true, _) => {
                let count = u16_at(rest, 2) as usize;
                if count == 0 {
                    f(withdrawal(id, options));
                    pos += 4;
                    continue;
                }
                if !options {
                    (count, 0, 4)
                } else if rest.len() < 6 {
                    return Err(Stop::Datagram(ErrorKind::Truncated));
                } else {
                    (count, u16_at(rest, 4) as usize, 6)
                }
            }
        };
        if count == 0 || count > max_fields {
            return Err(Stop::Set(ErrorKind::BadTemplate));
        }
        let (fields, used) = fields(&rest[header..], count, ipfix)?;
        pos += header + used;
        let bad_scope = options && (scope > count || (ipfix && scope == 0));
        if id < 256 || bad_scope {
            f(Item::Bad);
            continue;
        }
        let kind = if options {
            Kind::Options {
                scope: scope as u16,
            }
        } else {
            Kind::Data
        };
        f(Item::Template { id, kind, fields });
    }
    Ok(())
}

/// RFC 7011 §8.1: id 2 in a template set withdraws every template, id 3 in
/// an options template set every options template.
fn withdrawal(id: u16, options: bool) -> Item {
    match (id, options) {
        (2, false) => Item::Withdraw(Withdraw::All { options: false }),
        (3, true) => Item::Withdraw(Withdraw::All { options: true }),
        (256.., _) => Item::Withdraw(Withdraw::One(id)),
        _ => Item::Bad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(proto: Proto, options: bool, body: &[u8]) -> (Vec<Item>, Result<(), Stop>) {
        let mut items = Vec::new();
        let r = template_set(proto, options, body, 1024, |i| items.push(i));
        (items, r)
    }

    #[test]
    fn enterprise_fields_and_padding() {
        let body = [
            1, 0, 0, 2, // id 256, 2 fields
            0, 8, 0, 4, // 8:4
            0x80, 1, 0xff, 0xff, 0, 0, 0x72, 0x79, // 1/29305 varlen
            0, 0, 0, // padding
        ];
        let (items, r) = collect(Proto::Ipfix, false, &body);
        assert_eq!(r, Ok(()));
        assert_eq!(
            items,
            [Item::Template {
                id: 256,
                kind: Kind::Data,
                fields: vec![
                    FieldSpec {
                        pen: 0,
                        id: 8,
                        len: 4
                    },
                    FieldSpec {
                        pen: 29305,
                        id: 1,
                        len: 65535
                    },
                ]
            }]
        );
    }

    #[test]
    fn lying_and_huge_counts() {
        // 65535 fields announced, 8 bytes present: nothing allocated for them.
        let body = [1, 0, 0xff, 0xff, 0, 8, 0, 4, 0, 12, 0, 4];
        let mut items = Vec::new();
        let r = template_set(Proto::V9, false, &body, 65535, |i| items.push(i));
        assert_eq!(r, Err(Stop::Datagram(ErrorKind::Truncated)));
        let (_, r) = collect(Proto::V9, false, &body);
        assert_eq!(r, Err(Stop::Set(ErrorKind::BadTemplate)));
        let (_, r) = collect(Proto::V9, false, &[1, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(r, Err(Stop::Set(ErrorKind::BadTemplate)), "0 fields in v9");
        // IPFIX enterprise bit with the PEN cut off
        let (_, r) = collect(Proto::Ipfix, false, &[1, 0, 0, 1, 0x80, 1, 0, 4, 0, 0]);
        assert_eq!(r, Err(Stop::Datagram(ErrorKind::Truncated)));
    }

    #[test]
    fn v9_options_with_zero_length_scope() {
        // Juniper SRX: scope System with length 0, then 35:1 34:4; 2 bytes padding
        let body = [1, 0, 0, 4, 0, 8, 0, 1, 0, 0, 0, 35, 0, 1, 0, 34, 0, 4, 0, 0];
        let (items, r) = collect(Proto::V9, true, &body);
        assert_eq!(r, Ok(()));
        let Item::Template { kind, fields, .. } = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(*kind, Kind::Options { scope: 1 });
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].len, 0);
    }

    #[test]
    fn withdrawals() {
        let body = [1, 0, 0, 0, 0, 2, 0, 0];
        let (items, _) = collect(Proto::Ipfix, false, &body);
        assert_eq!(
            items,
            [
                Item::Withdraw(Withdraw::One(256)),
                Item::Withdraw(Withdraw::All { options: false })
            ]
        );
        let (items, _) = collect(Proto::Ipfix, true, &[0, 3, 0, 0]);
        assert_eq!(items, [Item::Withdraw(Withdraw::All { options: true })]);
    }
}
