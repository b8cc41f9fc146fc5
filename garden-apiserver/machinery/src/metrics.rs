//! Prometheus metrics of the server, rendered at `/metrics`.

use std::sync::LazyLock;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    pub registry: Registry,
    pub requests: IntCounterVec,
    pub request_duration: HistogramVec,
    pub watchers: IntGaugeVec,
    pub etcd_request_duration: HistogramVec,
}

const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let requests = IntCounterVec::new(
        Opts::new("apiserver_request_total", "Requests by verb, resource and HTTP code."),
        &["verb", "resource", "code"],
    )
    .expect("static metric");
    let request_duration = HistogramVec::new(
        HistogramOpts::new("apiserver_request_duration_seconds", "Request latency by verb and resource.")
            .buckets(BUCKETS.to_vec()),
        &["verb", "resource"],
    )
    .expect("static metric");
    let watchers =
        IntGaugeVec::new(Opts::new("apiserver_registered_watchers", "Open watches by resource."), &["resource"])
            .expect("static metric");
    let etcd_request_duration = HistogramVec::new(
        HistogramOpts::new("etcd_request_duration_seconds", "etcd request latency by operation.")
            .buckets(BUCKETS.to_vec()),
        &["operation"],
    )
    .expect("static metric");
    for c in [
        Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(request_duration.clone()),
        Box::new(watchers.clone()),
        Box::new(etcd_request_duration.clone()),
    ] {
        registry.register(c).expect("unique metric");
    }
    Metrics { registry, requests, request_duration, watchers, etcd_request_duration }
});

pub fn render() -> String {
    TextEncoder::new().encode_to_string(&METRICS.registry.gather()).unwrap_or_default()
}
