//! Batched receive with recvmmsg(2): one system call returns up to
//! `batch_size` datagrams, each with its source address, a truncation
//! flag, and the socket's kernel drop counter (SO_RXQ_OVFL control message).
//!
//! The buffers hold raw pointers into each other, so a `RecvBatch` is
//! created on the thread that uses it and never sent (it is `!Send`).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::RawFd;

/// Room for the SO_RXQ_OVFL message (CMSG_SPACE(4) is 24 on 64-bit Linux) and then some.
const CONTROL_WORDS: usize = 8;

/// One datagram of the last [`RecvBatch::recv`].
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub payload: &'a [u8],
    pub src: Option<SocketAddr>,
    /// The datagram was longer than the buffer and was cut.
    pub truncated: bool,
    /// The socket's cumulative drop count, when the kernel attached it
    /// (only once the socket has dropped something).
    pub kernel_drops: Option<u32>,
}

pub struct RecvBatch {
    size: usize,
    bufs: Vec<u8>,
    names: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    control: Vec<[u64; CONTROL_WORDS]>,
    hdrs: Vec<libc::mmsghdr>,
    received: usize,
}

impl RecvBatch {
    pub fn new(batch_size: usize, max_datagram: usize) -> Self {
        let n = batch_size.max(1);
        RecvBatch {
            size: max_datagram,
            bufs: vec![0; n * max_datagram],
            // SAFETY: all-zero is a valid value of these plain C structs.
            names: vec![unsafe { zeroed() }; n],
            iovs: vec![unsafe { zeroed() }; n],
            control: vec![[0; CONTROL_WORDS]; n],
            hdrs: vec![unsafe { zeroed() }; n],
            received: 0,
        }
    }

    /// Datagrams one call can return.
    pub fn capacity(&self) -> usize {
        self.hdrs.len()
    }

    /// Receives up to the batch size. `flags`: MSG_WAITFORONE to block for
    /// the first datagram only (up to the socket's receive timeout), or
    /// MSG_DONTWAIT to take only what is queued.
    pub fn recv(&mut self, fd: RawFd, flags: libc::c_int) -> io::Result<usize> {
        let n = self.hdrs.len();
        for i in 0..n {
            self.iovs[i] = libc::iovec {
                iov_base: self.bufs[i * self.size..].as_mut_ptr().cast(),
                iov_len: self.size,
            };
            let h = &mut self.hdrs[i].msg_hdr;
            h.msg_name = (&mut self.names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut self.iovs[i];
            h.msg_iovlen = 1;
            h.msg_control = self.control[i].as_mut_ptr().cast();
            h.msg_controllen = size_of::<[u64; CONTROL_WORDS]>() as _;
            h.msg_flags = 0;
            self.hdrs[i].msg_len = 0;
        }
        self.received = 0;
        // SAFETY: every header points into buffers owned by self, sized as declared.
        let r = unsafe {
            libc::recvmmsg(
                fd,
                self.hdrs.as_mut_ptr(),
                n as libc::c_uint,
                flags,
                std::ptr::null_mut(),
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        self.received = r as usize;
        Ok(self.received)
    }

    pub fn get(&self, i: usize) -> Received<'_> {
        assert!(i < self.received, "datagram {i} of {}", self.received);
        let h = &self.hdrs[i];
        let len = (h.msg_len as usize).min(self.size);
        Received {
            payload: &self.bufs[i * self.size..i * self.size + len],
            src: sockaddr_to_std(&self.names[i]),
            truncated: h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
            kernel_drops: drop_count(&h.msg_hdr),
        }
    }
}

fn drop_count(h: &libc::msghdr) -> Option<u32> {
    // SAFETY: the header's control pointer and length describe our buffer,
    // which the kernel filled; the CMSG macros stay within msg_controllen.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(h);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SO_RXQ_OVFL {
                return Some(std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<u32>()));
            }
            c = libc::CMSG_NXTHDR(h, c);
        }
    }
    None
}

/// IPv4 senders on a dual-stack socket arrive as ::ffff:a.b.c.d; they are
/// turned back into IPv4 so that an exporter has one name in labels and logs.
fn sockaddr_to_std(ss: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match ss.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: ss_family says this storage holds a sockaddr_in.
            let sin =
                unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::new(ip.into(), u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: ss_family says this storage holds a sockaddr_in6.
            let sin6 =
                unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Some(match ip.to_ipv4_mapped() {
                Some(v4) => SocketAddr::new(IpAddr::V4(v4), port),
                None => SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    port,
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receive::socket::bind_group;
    use std::os::fd::AsRawFd;

    #[test]
    fn receives_a_batch_with_sources_and_truncation() {
        let g = bind_group("127.0.0.1:0".parse().unwrap(), 1, 1 << 20).unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..5u8 {
            tx.send_to(&vec![i; 10 + i as usize * 100], g.local)
                .unwrap();
        }
        let mut b = RecvBatch::new(8, 256);
        let n = b
            .recv(g.sockets[0].as_raw_fd(), libc::MSG_WAITFORONE)
            .unwrap();
        assert_eq!(n, 5);
        for i in 0..n {
            let d = b.get(i);
            assert_eq!(d.src, Some(tx.local_addr().unwrap()));
            assert_eq!(
                d.truncated,
                i >= 3,
                "datagram {i} is {} bytes",
                10 + i * 100
            );
            assert_eq!(d.payload.len(), (10 + i * 100).min(256));
            assert_eq!(d.kernel_drops, None);
        }
    }

    /// Overflow a tiny receive buffer without reading: the kernel counts the
    /// drops, says so on datagrams queued afterwards, and SO_MEMINFO agrees.
    #[test]
    fn kernel_drops_arrive_as_a_control_message() {
        let g = bind_group("127.0.0.1:0".parse().unwrap(), 1, 4096).unwrap();
        let fd = g.sockets[0].as_raw_fd();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..200 {
            let _ = tx.send_to(&[0u8; 1000], g.local);
        }
        let mut b = RecvBatch::new(64, 2048);
        while b.recv(fd, libc::MSG_DONTWAIT).is_ok_and(|n| n > 0) {}
        let dropped = crate::receive::socket::kernel_drops(&g.sockets[0]).unwrap();
        assert!(dropped > 0 && dropped < 200, "{dropped}");
        tx.send_to(&[1u8; 10], g.local).unwrap();
        let n = b.recv(fd, libc::MSG_WAITFORONE).unwrap();
        assert_eq!(n, 1);
        assert_eq!(b.get(0).kernel_drops, Some(dropped));
    }

    #[test]
    fn mapped_ipv4_becomes_ipv4() {
        // SAFETY: zeroed sockaddr_storage, then filled as a sockaddr_in6.
        let mut ss: libc::sockaddr_storage = unsafe { zeroed() };
        let sin6 =
            unsafe { &mut *(&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
        sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        sin6.sin6_port = 2055u16.to_be();
        sin6.sin6_addr.s6_addr = "::ffff:192.0.2.7".parse::<Ipv6Addr>().unwrap().octets();
        assert_eq!(
            sockaddr_to_std(&ss),
            Some("192.0.2.7:2055".parse().unwrap())
        );
    }
}
