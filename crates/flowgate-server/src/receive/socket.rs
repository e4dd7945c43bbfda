//! The UDP sockets of one listener: N sockets bound to the same address
//! with SO_REUSEPORT, one per receive worker. The kernel picks the socket
//! for a datagram by a hash of its 4-tuple, so one exporter socket (address
//! and port) always reaches the same worker, and with it the same decoder
//! and template state (tests/server_reuseport.rs checks this end to end).

use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// How long a blocked receive waits before the worker looks at its stop flag.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The bound sockets and what the kernel made of the request.
pub struct SocketGroup {
    pub sockets: Vec<Socket>,
    /// The address bound (with the real port when port 0 was asked for).
    pub local: SocketAddr,
    /// SO_RCVBUF as getsockopt reports it (Linux doubles the value set, for bookkeeping).
    pub receive_buffer: usize,
    /// Set when the kernel granted less than asked, even with SO_RCVBUFFORCE.
    pub receive_buffer_capped: bool,
    /// Set when `[::]` could not be used and `0.0.0.0` was bound instead.
    pub fell_back_to_ipv4: bool,
}

pub fn bind_group(
    addr: SocketAddr,
    workers: usize,
    receive_buffer: usize,
) -> io::Result<SocketGroup> {
    let (first, fell_back) = match bind_one(addr, receive_buffer) {
        Ok(s) => (s, false),
        // A host without IPv6: [::] is the default, so fall back rather than fail.
        Err(e)
            if addr.is_ipv6()
                && addr.ip().is_unspecified()
                && e.raw_os_error() == Some(libc::EAFNOSUPPORT) =>
        {
            let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), addr.port());
            (bind_one(v4, receive_buffer)?, true)
        }
        Err(e) => return Err(e),
    };
    let local = first
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("bound socket has no IP address"))?;
    let receive_buffer_got = first.recv_buffer_size()?;
    let mut sockets = vec![first];
    // The rest join the first one's port, which matters when port 0 was asked for.
    for _ in 1..workers.max(1) {
        sockets.push(bind_one(local, receive_buffer)?);
    }
    Ok(SocketGroup {
        sockets,
        local,
        receive_buffer: receive_buffer_got,
        receive_buffer_capped: receive_buffer_got / 2 < receive_buffer,
        fell_back_to_ipv4: fell_back,
    })
}

fn bind_one(addr: SocketAddr, receive_buffer: usize) -> io::Result<Socket> {
    let domain = if addr.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        // Dual-stack: [::] also receives IPv4 (as ::ffff:a.b.c.d).
        s.set_only_v6(false)?;
    }
    s.set_reuse_port(true)?;
    set_receive_buffer(&s, receive_buffer)?;
    set_int(&s, libc::SO_RXQ_OVFL, 1)?;
    s.set_read_timeout(Some(POLL_INTERVAL))?;
    s.bind(&SockAddr::from(addr))?;
    Ok(s)
}

/// SO_RCVBUF is capped at net.core.rmem_max; SO_RCVBUFFORCE is not, but
/// needs CAP_NET_ADMIN. Try the first, then the second if it fell short.
fn set_receive_buffer(s: &Socket, bytes: usize) -> io::Result<()> {
    s.set_recv_buffer_size(bytes)?;
    if s.recv_buffer_size()? / 2 < bytes {
        let want = i32::try_from(bytes).unwrap_or(i32::MAX);
        let _ = set_int(s, libc::SO_RCVBUFFORCE, want);
    }
    Ok(())
}

/// SO_MEMINFO from asm-generic/socket.h (not exported by the libc crate).
const SO_MEMINFO: libc::c_int = 55;

/// The socket's drop counter, read directly. The SO_RXQ_OVFL control
/// message only rides on datagrams queued after a drop; this catches drops
/// after which nothing more was queued.
pub fn kernel_drops(s: &Socket) -> Option<u32> {
    let mut info = [0u32; 16];
    let mut len = size_of::<[u32; 16]>() as libc::socklen_t;
    // SAFETY: a valid fd, and a buffer of the length passed.
    let r = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let i = libc::SK_MEMINFO_DROPS as usize;
    (r == 0 && (len as usize) > i * 4).then(|| info[i])
}

fn set_int(s: &Socket, opt: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: a valid fd and a c_int option value of the right size.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_shares_one_port_even_when_port_0_is_asked() {
        let g = bind_group("127.0.0.1:0".parse().unwrap(), 3, 1 << 20).unwrap();
        assert_eq!(g.sockets.len(), 3);
        assert_ne!(g.local.port(), 0);
        for s in &g.sockets {
            assert_eq!(s.local_addr().unwrap().as_socket(), Some(g.local));
        }
        assert!(g.receive_buffer > 0);
    }

    #[test]
    fn wildcard_v6_is_dual_stack() {
        let g = bind_group("[::]:0".parse().unwrap(), 1, 65536).unwrap();
        if g.fell_back_to_ipv4 {
            return;
        }
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"x", ("127.0.0.1", g.local.port())).unwrap();
        let mut buf = [std::mem::MaybeUninit::new(0u8); 8];
        let (n, from) = g.sockets[0].recv_from(&mut buf).unwrap();
        assert_eq!(n, 1);
        let from = from.as_socket().unwrap();
        assert_eq!(from.port(), tx.local_addr().unwrap().port());
    }
}
