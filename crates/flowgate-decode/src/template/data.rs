//! Decoding the records of one data set with a compiled plan.

use flowgate_record::{ExtraField, FlowRecord, RecordBatch};

use super::apply::{apply, finish, uint, Scratch, SetCtx};
use super::compile::{Op, Plan};
use super::sampling::OptValues;

/// What a data set yielded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SetOutcome {
    pub records: u32,
    /// A variable-length field ran past the set: the rest of the set was dropped.
    pub bad_varlen: bool,
}

/// A variable-length value at the start of `b` (RFC 7011 §7: one length
/// byte, or 255 and two length bytes), and the bytes it takes in all.
#[inline(always)]
fn varlen(b: &[u8]) -> Option<(&[u8], usize)> {
    let first = *b.first()? as usize;
    let (head, len) = if first < 255 {
        (1, first)
    } else {
        let l = b.get(1..3)?;
        (3, u16::from_be_bytes([l[0], l[1]]) as usize)
    };
    Some((b.get(head..head + len)?, head + len))
}

/// Appends a run of extras' bytes. Most runs are one field of a common
/// width: copied inline, not through a `memcpy` call each.
#[inline(always)]
fn copy_run(data: &mut Vec<u8>, run: &[u8]) {
    match *run {
        [a] => data.push(a),
        [a, b] => data.extend_from_slice(&[a, b]),
        [a, b, c, d] => data.extend_from_slice(&[a, b, c, d]),
        [a, b, c, d, e, f, g, h] => data.extend_from_slice(&[a, b, c, d, e, f, g, h]),
        _ => data.extend_from_slice(run),
    }
}

/// Fills `r` from the record at the start of `rec`. Returns the record's
/// length, or `None` if a variable-length field runs past `rec`.
#[inline(always)]
fn fill(
    plan: &Plan,
    rec: &[u8],
    r: &mut FlowRecord,
    ctx: &SetCtx,
    s: &mut Scratch,
) -> Option<usize> {
    if plan.extras_up_front {
        // One copy of the whole record's entries instead of one per segment.
        r.extras.extend_from_slice(&plan.extras);
    }
    let mut pos = 0;
    for seg in &plan.segments {
        let fixed = rec.get(pos..pos + seg.len as usize)?;
        if !plan.extras_up_front && !seg.extras.is_empty() {
            let extras = &plan.extras[seg.extras.clone()];
            // Extras pushed by the fields before this segment move its starts.
            let shift = r.extra_data.len() as u32 - seg.extra_base;
            if shift == 0 {
                r.extras.extend_from_slice(extras);
            } else {
                r.extras.extend(extras.iter().map(|x| ExtraField {
                    start: x.start + shift,
                    ..*x
                }));
            }
        }
        for &(at, len) in &plan.extra_runs[seg.runs.clone()] {
            copy_run(&mut r.extra_data, &fixed[at as usize..(at + len) as usize]);
        }
        for op in &plan.ops[seg.ops.clone()] {
            let at = op.off as usize;
            apply(op, &fixed[at..at + op.len as usize], r, ctx, s);
        }
        pos += seg.len as usize;
        if let Some(op) = &seg.var {
            let (v, n) = varlen(&rec[pos..])?;
            apply(op, v, r, ctx, s);
            pos += n;
        }
    }
    Some(pos)
}

/// Appends the set's flow records to `out`. Trailing bytes shorter than a
/// record are padding.
pub(crate) fn decode_data(
    plan: &Plan,
    body: &[u8],
    ctx: &SetCtx,
    out: &mut RecordBatch,
) -> SetOutcome {
    let mut outcome = SetOutcome::default();
    if plan.min_len == 0 {
        // A template of empty fields describes no bytes: nothing to count.
        return outcome;
    }
    let mut pos = 0;
    while body.len() - pos >= plan.min_len {
        let r = out.push();
        ctx.init(r);
        let mut s = Scratch::default();
        match fill(plan, &body[pos..], r, ctx, &mut s) {
            Some(n) => {
                pos += n;
                finish(plan.post, r, ctx, &s);
                outcome.records += 1;
            }
            None => {
                // Written while walked: take back the record that was cut short.
                out.pop();
                outcome.bad_varlen = true;
                break;
            }
        }
    }
    outcome
}

/// Calls `f` for each field of the record at the start of `rec` that fills
/// something; returns the record's length.
fn walk(plan: &Plan, rec: &[u8], mut f: impl FnMut(&Op, &[u8])) -> Option<usize> {
    let mut pos = 0;
    for seg in &plan.segments {
        let fixed = rec.get(pos..pos + seg.len as usize)?;
        for op in &plan.ops[seg.ops.clone()] {
            let at = op.off as usize;
            f(op, &fixed[at..at + op.len as usize]);
        }
        pos += seg.len as usize;
        if let Some(op) = &seg.var {
            let (v, n) = varlen(&rec[pos..])?;
            f(op, v);
            pos += n;
        }
    }
    Some(pos)
}

/// Reads the set's options data records, calling `f` with each one's values.
pub(crate) fn decode_options(
    plan: &Plan,
    body: &[u8],
    mut f: impl FnMut(&OptValues),
) -> SetOutcome {
    let mut outcome = SetOutcome::default();
    if plan.min_len == 0 {
        return outcome;
    }
    let mut pos = 0;
    while body.len() - pos >= plan.min_len {
        let mut vals = OptValues::default();
        let walked = walk(plan, &body[pos..], |op, v| {
            if (1..=8).contains(&v.len()) {
                vals.set(op.target, uint(v));
            }
        });
        match walked {
            Some(n) => {
                pos += n;
                f(&vals);
                outcome.records += 1;
            }
            None => {
                outcome.bad_varlen = true;
                break;
            }
        }
    }
    outcome
}
