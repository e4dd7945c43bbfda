//! /metrics, /healthz, /readyz and /templates.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use socket2::{Domain, Protocol, Socket, Type};

use crate::metrics::Metrics;
use crate::templates::TemplateExchange;

/// `Err(reason)` when some part of the server has stopped working.
pub type HealthCheck = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

pub struct HttpState {
    pub metrics: Arc<Metrics>,
    pub templates: Arc<TemplateExchange>,
    pub health: HealthCheck,
}

pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/templates", get(templates))
        .with_state(state)
}

async fn metrics(State(s): State<Arc<HttpState>>) -> Response {
    let body = s.metrics.encode();
    let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn healthz(State(s): State<Arc<HttpState>>) -> Response {
    match (s.health)() {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unhealthy: {why}\n"),
        )
            .into_response(),
    }
}

async fn readyz(State(s): State<Arc<HttpState>>) -> Response {
    if s.metrics.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn templates(State(s): State<Arc<HttpState>>) -> Response {
    let exchange = s.templates.clone();
    let collected =
        tokio::task::spawn_blocking(move || exchange.collect(Duration::from_secs(1))).await;
    match collected {
        Ok(v) => Json(v).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("snapshot failed: {e}\n"),
        )
            .into_response(),
    }
}

/// A listening TCP socket; `[::]` is dual-stack, and falls back to
/// `0.0.0.0` on a host without IPv6.
pub fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    match bind_one(addr) {
        Err(e)
            if addr.is_ipv6()
                && addr.ip().is_unspecified()
                && e.raw_os_error() == Some(libc::EAFNOSUPPORT) =>
        {
            bind_one(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), addr.port()))
        }
        r => r,
    }
}

fn bind_one(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let domain = if addr.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let s = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        s.set_only_v6(false)?;
    }
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.listen(128)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}
