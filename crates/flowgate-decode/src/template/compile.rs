//! A template, compiled once into a plan: per field, where it is and what it
//! fills.

use serde::{Deserialize, Serialize};

use std::ops::Range;

use flowgate_record::ExtraField;

use super::apply::pushes_extra;
use super::fields::{data_target, fit, options_target, Present, Target, Walk};
use super::store::Proto;

/// Template length of a variable-length field (RFC 7011 §7).
pub(crate) const VARLEN: u16 = 65535;

/// One template field as sent: enterprise number (0 for IANA and for NetFlow
/// v9 types), element id without the enterprise bit, length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FieldSpec {
    pub pen: u32,
    pub id: u16,
    #[serde(rename = "length")]
    pub len: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Data,
    /// The first `scope` fields are scope fields.
    Options {
        scope: u16,
    },
}

#[derive(Debug)]
pub(crate) struct Template {
    pub fields: Vec<FieldSpec>,
    pub kind: Kind,
    pub plan: Plan,
}

impl Template {
    pub(crate) fn new(proto: Proto, kind: Kind, fields: Vec<FieldSpec>) -> Template {
        let plan = compile(proto, kind, &fields);
        Template { fields, kind, plan }
    }

    pub(crate) fn is_options(&self) -> bool {
        matches!(self.kind, Kind::Options { .. })
    }
}

/// One field of the plan: where it is in its segment and what it fills.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    pub target: Target,
    /// `VARLEN` for the variable-length field that ends a segment.
    pub len: u16,
    /// Offset in the segment.
    pub off: u32,
    pub pen: u32,
    pub id: u16,
}

/// Work left for after a record's fields are read.
pub(crate) mod post {
    /// IPFIX 21/22 need systemInitTimeMilliseconds.
    pub const UPTIME: u8 = 2;
    /// The record names a sampler or carries its own rate.
    pub const SAMPLING: u8 = 4;
}

/// A run of fixed-length fields, then possibly one variable-length field.
/// Within it every offset is known, and so are the extras: their entries
/// are built once and their values copied in runs of adjacent fields.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub len: u32,
    /// Fields that fill the record (skipped fields and extras left out).
    pub ops: Range<usize>,
    pub extras: Range<usize>,
    /// Bytes of the plan's extras in the segments before this one: the
    /// starts in `Plan::extras` count them, the record may hold more.
    pub extra_base: u32,
    /// `(offset, len)` in the segment, into `Plan::extra_runs`.
    pub runs: Range<usize>,
    pub var: Option<Op>,
}

#[derive(Debug)]
pub(crate) struct Plan {
    pub segments: Vec<Segment>,
    pub ops: Vec<Op>,
    /// Starts count from the record's first extra, as if no field but
    /// these pushed one.
    pub extras: Vec<ExtraField>,
    pub extra_runs: Vec<(u32, u32)>,
    /// No field of the plan pushes an extra of its own, so the starts above
    /// are the record's: all entries go in at once, before any field.
    pub extras_up_front: bool,
    /// Shortest possible record (a variable-length field counts one byte);
    /// the exact length when there is a single segment without a
    /// variable-length field. Trailing bytes shorter than this are padding.
    pub min_len: usize,
    pub post: u8,
}

impl Plan {
    /// All fields have fixed lengths.
    #[cfg(test)]
    pub(crate) fn fixed(&self) -> bool {
        matches!(self.segments.as_slice(), [Segment { var: None, .. }])
    }
}

fn target_of(
    proto: Proto,
    kind: Kind,
    i: usize,
    f: &FieldSpec,
    env: (&Present, &mut Walk, &[bool]),
) -> Target {
    let (present, walk, repeated) = env;
    let target = match kind {
        Kind::Data => data_target(proto, f.pen, f.id, present, walk),
        Kind::Options { scope } => options_target(proto, f.pen, f.id, i < scope as usize),
    };
    let len = (f.len != VARLEN).then_some(f.len);
    match target {
        // An empty value carries nothing; a variable-length one may.
        _ if f.len == 0 => Target::Skip,
        // The same element again later (Cisco SRv6: outer then inner
        // 5-tuple): the last one fills the field, earlier ones are kept.
        Target::InIfName
        | Target::OutIfName
        | Target::InIfDescription
        | Target::OutIfDescription => target,
        t if repeated[i] && t != Target::Skip => Target::Extra,
        t => fit(t, len),
    }
}

/// What each field of a template fills, in wire order.
fn field_targets(proto: Proto, kind: Kind, fields: &[FieldSpec]) -> Vec<Target> {
    let mut present = Present::default();
    for f in fields.iter().filter(|f| f.pen == 0) {
        present.add(f.id);
    }
    let mut walk = Walk::new();
    let repeated = repeated_later(fields);
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| target_of(proto, kind, i, f, (&present, &mut walk, &repeated)))
        .collect()
}

pub(crate) fn compile(proto: Proto, kind: Kind, fields: &[FieldSpec]) -> Plan {
    let mut plan = Plan {
        segments: Vec::new(),
        ops: Vec::with_capacity(fields.len()),
        extras: Vec::new(),
        extra_runs: Vec::new(),
        extras_up_front: true,
        min_len: 0,
        post: 0,
    };
    let mut extra_len = 0u32;
    let open = |p: &Plan, extra_base: u32| Segment {
        len: 0,
        ops: p.ops.len()..p.ops.len(),
        extras: p.extras.len()..p.extras.len(),
        extra_base,
        runs: p.extra_runs.len()..p.extra_runs.len(),
        var: None,
    };
    let mut seg = open(&plan, 0);
    for (f, target) in fields.iter().zip(field_targets(proto, kind, fields)) {
        plan.post |= match target {
            Target::StartUptime | Target::EndUptime | Target::InitTime => post::UPTIME,
            Target::SamplingRate | Target::SamplerId => post::SAMPLING,
            _ => 0,
        };
        let op = Op {
            target,
            len: f.len,
            off: seg.len,
            pen: f.pen,
            id: f.id,
        };
        if f.len == VARLEN {
            plan.min_len += 1;
            seg.var = Some(op);
            seg.ops.end = plan.ops.len();
            seg.extras.end = plan.extras.len();
            seg.runs.end = plan.extra_runs.len();
            plan.extras_up_front &= !pushes_extra(target);
            plan.segments.push(seg);
            seg = open(&plan, extra_len);
            continue;
        }
        let len = f.len as u32;
        // 160 and 48/302 feed computations; their values are kept too.
        if matches!(target, Target::Extra | Target::InitTime | Target::SamplerId) {
            plan.extras.push(ExtraField {
                pen: f.pen,
                id: f.id,
                start: extra_len,
                len,
            });
            extra_len += len;
            let in_segment = plan.extra_runs.len() > seg.runs.start;
            match plan.extra_runs.last_mut() {
                Some(run) if in_segment && run.0 + run.1 == seg.len => run.1 += len,
                _ => plan.extra_runs.push((seg.len, len)),
            }
        }
        if !matches!(target, Target::Skip | Target::Extra) {
            plan.extras_up_front &= !pushes_extra(target);
            plan.ops.push(op);
        }
        seg.len += len;
        plan.min_len += f.len as usize;
    }
    seg.ops.end = plan.ops.len();
    seg.extras.end = plan.extras.len();
    seg.runs.end = plan.extra_runs.len();
    plan.segments.push(seg);
    plan
}

/// For each field, whether the same element appears again after it.
fn repeated_later(fields: &[FieldSpec]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::with_capacity(fields.len());
    let mut out = vec![false; fields.len()];
    for (i, f) in fields.iter().enumerate().rev() {
        out[i] = !seen.insert((f.pen, f.id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: u16, len: u16) -> FieldSpec {
        FieldSpec { pen: 0, id, len }
    }

    fn targets(proto: Proto, fields: &[FieldSpec]) -> Vec<Target> {
        field_targets(proto, Kind::Data, fields)
    }

    #[test]
    fn fallbacks_depend_on_the_template() {
        use Target::*;
        let t = targets(Proto::Ipfix, &[f(352, 8), f(231, 8), f(298, 8)]);
        assert_eq!(t, [Bytes, InitiatorBytes, Packets]);
        let t = targets(Proto::Ipfix, &[f(1, 8), f(352, 8), f(2, 8), f(298, 8)]);
        assert_eq!(t, [Bytes, Extra, Packets, Extra]);
        assert_eq!(targets(Proto::Ipfix, &[f(231, 4)]), [BytesAndInitiator]);
        let t = targets(Proto::Ipfix, &[f(252, 4), f(253, 4), f(10, 4)]);
        assert_eq!(t, [Extra, OutIf, InIf]);
        let t = targets(Proto::V9, &[f(60, 1), f(256, 2)]);
        assert_eq!(t, [Extra, Etype]);
        // Cisco SRv6: outer then inner 5-tuple
        let t = targets(
            Proto::Ipfix,
            &[f(27, 16), f(7, 2), f(4, 1), f(8, 4), f(7, 2), f(4, 1)],
        );
        assert_eq!(t, [SrcAddr, Extra, Extra, SrcAddr, SrcPort, IpProto]);
    }

    #[test]
    fn lengths_that_do_not_fit_go_to_extras() {
        use Target::*;
        let t = targets(
            Proto::V9,
            &[f(8, 6), f(1, 9), f(4, 2), f(43, 2), f(12, VARLEN), f(5, 0)],
        );
        assert_eq!(t, [Extra, Extra, IpProto, Extra, Extra, Skip]);
        // a fixed plan leaves out skipped fields and extras, whose entries it prepares
        let plan = compile(
            Proto::V9,
            Kind::Data,
            &[f(5, 0), f(4, 1), f(43, 2), f(44, 1), f(7, 2), f(45, 4)],
        );
        assert!(plan.fixed());
        let ops: Vec<_> = plan.ops.iter().map(|o| (o.target, o.off)).collect();
        assert_eq!(ops, [(IpProto, 0), (SrcPort, 4)]);
        assert_eq!(plan.extra_runs, [(1, 3), (6, 4)]);
        let starts: Vec<_> = plan.extras.iter().map(|x| (x.id, x.start, x.len)).collect();
        assert_eq!(starts, [(43, 0, 2), (44, 2, 1), (45, 3, 4)]);
    }

    #[test]
    fn interface_names_follow_their_interface() {
        use Target::*;
        let ovs_egress = [
            f(10, 4),
            f(368, 4),
            f(82, VARLEN),
            f(83, VARLEN),
            f(14, 4),
            f(369, 4),
            f(82, VARLEN),
            f(83, VARLEN),
        ];
        let t = targets(Proto::Ipfix, &ovs_egress);
        assert_eq!(
            t,
            [
                InIf,
                Extra,
                InIfName,
                InIfDescription,
                OutIf,
                Extra,
                OutIfName,
                OutIfDescription
            ]
        );
        let t = targets(Proto::Ipfix, &[f(82, 8), f(82, 8), f(82, 8)]);
        assert_eq!(t, [InIfName, OutIfName, Extra]);
        let plan = compile(Proto::Ipfix, Kind::Data, &ovs_egress);
        assert!(!plan.fixed());
        assert_eq!(plan.min_len, 4 * 4 + 4);
        let shape: Vec<_> = plan
            .segments
            .iter()
            .map(|s| (s.len, s.var.map(|v| v.id)))
            .collect();
        assert_eq!(
            shape,
            [
                (8, Some(82)),
                (0, Some(83)),
                (8, Some(82)),
                (0, Some(83)),
                (0, None)
            ]
        );
        assert_eq!(
            plan.extras.iter().map(|x| x.id).collect::<Vec<_>>(),
            [368, 369]
        );
        assert_eq!(
            plan.extra_runs,
            [(4, 4), (4, 4)],
            "offsets within their segments"
        );
        assert!(plan.extras_up_front, "interface strings push no extra");
        let starts: Vec<_> = plan.extras.iter().map(|x| x.start).collect();
        assert_eq!(starts, [0, 4], "counted from the record's first extra");
        assert_eq!(plan.segments[2].extra_base, 4);
    }

    #[test]
    fn fields_that_push_extras_keep_them_in_wire_order() {
        // a third 82 is an extra of variable length; 892 may be longer than 8
        for var in [
            f(82, VARLEN),
            FieldSpec {
                pen: 6876,
                id: 892,
                len: VARLEN,
            },
        ] {
            let plan = compile(
                Proto::Ipfix,
                Kind::Data,
                &[f(82, 4), f(82, 4), var, f(43, 2)],
            );
            assert!(!plan.extras_up_front, "{var:?}");
        }
    }
}
