use crate::FlowRecord;

/// A reusable buffer of records. Slots are kept between batches so that the
/// strings and vectors inside them keep their capacity: decoding into a batch
/// that has been used before allocates nothing.
#[derive(Debug, Default)]
pub struct RecordBatch {
    slots: Vec<FlowRecord>,
    len: usize,
    /// Records are read on this core only: see [`FlowRecord::reset_in_cache`].
    local: bool,
}

impl RecordBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        let mut slots = Vec::with_capacity(n);
        slots.resize_with(n, FlowRecord::default);
        RecordBatch {
            slots,
            len: 0,
            local: false,
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a record and returns it, reset to defaults.
    pub fn push(&mut self) -> &mut FlowRecord {
        if self.len == self.slots.len() {
            self.slots.push(FlowRecord::default());
        } else if self.local {
            self.slots[self.len].reset_in_cache();
        } else {
            self.slots[self.len].reset();
        }
        self.len += 1;
        &mut self.slots[self.len - 1]
    }

    /// Says whether the records will be read on this core only (by inline
    /// sinks), which picks the cheaper way to reset a reused record.
    pub fn set_local(&mut self, local: bool) {
        self.local = local;
    }

    pub fn is_local(&self) -> bool {
        self.local
    }

    /// Drops the last record (a decoder that found a record unusable half-way).
    pub fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    /// Keeps only the first `len` records.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    pub fn as_slice(&self) -> &[FlowRecord] {
        &self.slots[..self.len]
    }

    pub fn as_mut_slice(&mut self) -> &mut [FlowRecord] {
        &mut self.slots[..self.len]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FlowRecord> {
        self.as_slice().iter()
    }
}

impl<'a> IntoIterator for &'a RecordBatch {
    type Item = &'a FlowRecord;
    type IntoIter = std::slice::Iter<'a, FlowRecord>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_slots_are_reset_but_keep_capacity() {
        let mut b = RecordBatch::new();
        let r = b.push();
        r.bytes = 7;
        r.ext_mut().in_if_name.push_str("veth1");
        r.push_extra(0, 95, &[1, 2, 3]);
        r.ext_mut().as_path.extend_from_slice(&[1, 2]);
        r.ext_mut().drop_function.push_str("kfree_skb");
        r.ext_mut().tunnel_options.push(1);
        b.clear();
        let r = b.push();
        assert_eq!(r.bytes, 0);
        assert!(r.ext().in_if_name.is_empty());
        assert!(r.ext().in_if_name.capacity() >= 5);
        assert!(r.extras.is_empty() && r.extra_data.is_empty());
        assert!(r.ext().as_path.is_empty() && r.ext().as_path.capacity() >= 2);
        assert!(r.ext().drop_function.is_empty() && r.ext().drop_function.capacity() >= 9);
        assert!(r.ext().tunnel_options.is_empty() && r.ext().tunnel_options.capacity() >= 1);
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn a_reset_record_equals_a_fresh_one() {
        let mut r = FlowRecord {
            flow_type: crate::FlowType::Ipfix,
            bytes: 1,
            src_addr: Some("10.0.0.1".parse().unwrap()),
            engine_id: Some(3),
            ext: crate::Extended {
                reverse_bytes: Some(9),
                in_if_name: "eth0".into(),
                mpls_label: vec![16],
                ovn_egress_port: Some(2),
                acl_name: "deny".into(),
                egress_queue: Some(4),
                ..crate::Extended::EMPTY
            }
            .into(),
            ..Default::default()
        };
        r.push_extra(9, 1, &[1]);
        let mut in_cache = r.clone();
        r.reset();
        assert_eq!(r, FlowRecord::default());
        in_cache.reset_in_cache();
        assert_eq!(in_cache, FlowRecord::default());
    }

    #[test]
    fn a_local_batch_resets_its_reused_records_too() {
        let mut b = RecordBatch::with_capacity(1);
        b.set_local(true);
        let r = b.push();
        r.bytes = 5;
        r.src_addr = Some("10.0.0.1".parse().unwrap());
        r.ext_mut().acl_name.push_str("deny");
        b.clear();
        assert_eq!(*b.push(), FlowRecord::default());
    }
}
