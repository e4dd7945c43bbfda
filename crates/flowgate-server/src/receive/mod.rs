//! UDP listeners: for each configured URI, a group of SO_REUSEPORT sockets
//! and one receive worker thread per socket.

mod batch_pool;
mod mmsg;
mod socket;
mod worker;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use flowgate_config::{Config, ListenUri};
use flowgate_decode::Decoder;

pub use worker::WorkerShared;

use crate::enrich::EnricherChain;
use crate::processor::{DatagramProcessor, ProtocolSet};

/// A bound listener.
#[derive(Debug, Clone)]
pub struct Bound {
    pub uri: ListenUri,
    pub local: SocketAddr,
    pub workers: usize,
}

pub struct Listeners {
    pub bound: Vec<Bound>,
    pub threads: Vec<JoinHandle<DatagramProcessor>>,
}

/// Binds every listener, then starts the workers. `decoder` makes each
/// worker's decoder (with the templates loaded from the state file).
/// A bind error stops the start, naming the listener.
pub fn start(
    config: &Config,
    shared: &WorkerShared,
    enrichers: &EnricherChain,
    decoder: &mut dyn FnMut() -> Decoder,
) -> io::Result<Listeners> {
    let mut groups = Vec::new();
    for uri in &config.listeners {
        let workers = config.workers_for(uri);
        let asked = uri
            .receive_buffer
            .unwrap_or(config.receive.receive_buffer)
            .0 as usize;
        let group = socket::bind_group(uri.addr, workers, asked).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("listener {uri}: binding {}: {e}", uri.addr),
            )
        })?;
        groups.push((uri.clone(), group, asked));
    }
    let mut listeners = Listeners {
        bound: Vec::new(),
        threads: Vec::new(),
    };
    for (uri, group, asked) in groups {
        let label: Arc<str> = uri.to_string().into();
        let workers = group.sockets.len();
        let m = &shared.metrics;
        m.set_receive_buffer(&label, group.receive_buffer);
        m.set_workers(&label, workers);
        // Present from the start, so "no drops" reads 0 rather than nothing.
        m.kernel_drops(&label, 0);
        m.datagram_drop(&label, "protocol_not_accepted", 0);
        m.datagram_drop(&label, "truncated", 0);
        if group.fell_back_to_ipv4 {
            tracing::warn!(listener = %label, "IPv6 is not available: listening on IPv4 only");
        }
        if group.receive_buffer_capped {
            tracing::warn!(
                listener = %label,
                asked,
                granted = group.receive_buffer / 2,
                "the kernel granted a smaller receive buffer than asked: raise net.core.rmem_max (or run with CAP_NET_ADMIN)"
            );
        }
        tracing::info!(
            listener = %label,
            address = %group.local,
            workers,
            receive_buffer = group.receive_buffer,
            "listening"
        );
        let accept = ProtocolSet::of(&uri.protocols);
        for (i, socket) in group.sockets.into_iter().enumerate() {
            m.worker_datagrams(&label, i, 0);
            let w = worker::Worker {
                listener: label.clone(),
                index: i,
                socket,
                processor: DatagramProcessor::new(decoder(), accept, enrichers.clone()),
                shared: shared.clone(),
            };
            let name = format!("recv-{}-{i}", group.local.port());
            listeners.threads.push(worker::spawn(w, name)?);
        }
        listeners.bound.push(Bound {
            uri,
            local: group.local,
            workers,
        });
    }
    Ok(listeners)
}
