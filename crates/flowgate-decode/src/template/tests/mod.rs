//! Tests of the v9 / IPFIX decoder through the public `Decoder`, with
//! hand-built datagrams.

mod alloc;
mod bench;
mod builder;
mod corpus;
mod ipfix;
mod ovs;
mod persist;
mod state;
mod v9;

/// The decoder can move to (and its store be shared behind a lock with)
/// another thread.
#[test]
fn decoder_is_send_and_store_is_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<crate::Decoder>();
    sync::<crate::TemplateStore>();
}
