//! Prometheus metrics of the machine controller: machines by phase (counted from the watch cache at
//! scrape time), driver calls by method and code (every call goes through [`InstrumentedDriver`]), the requests
//! the driver made to its cloud by operation (drivers that count them), reconcile latency by controller.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use garden_api::machine::v1alpha1::MachineClass;
use kube::runtime::reflector::Store;
use machine_driver::{Driver, DriverError, MachineIdentity, MachineList, MachineRequest};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use garden_api::machine::v1alpha1::Machine;

/// The controller's metrics.
pub struct Metrics {
    registry: Registry,
    machines: IntGaugeVec,
    pub driver_calls: IntCounterVec,
    cloud_api_calls: IntCounterVec,
    pub reconcile_seconds: HistogramVec,
    pub frozen_shoots: prometheus::IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let machines = IntGaugeVec::new(
            Opts::new("machine_controller_machines", "Machines by phase (status.currentStatus.phase)."),
            &["phase"],
        )
        .expect("valid metric");
        let driver_calls = IntCounterVec::new(
            Opts::new("machine_controller_driver_calls_total", "Machine driver calls by method and result code."),
            &["method", "code"],
        )
        .expect("valid metric");
        let cloud_api_calls = IntCounterVec::new(
            Opts::new(
                "machine_controller_cloud_api_calls_total",
                "Requests the machine driver made to the cloud's APIs, by operation (drivers that count them).",
            ),
            &["operation"],
        )
        .expect("valid metric");
        let reconcile_seconds = HistogramVec::new(
            HistogramOpts::new("machine_controller_reconcile_duration_seconds", "Reconcile latency by controller.")
                .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0]),
            &["controller"],
        )
        .expect("valid metric");
        let frozen_shoots = prometheus::IntGauge::new(
            "machine_controller_frozen_shoots",
            "Shoots whose API cannot be reached: health transitions of their machines are frozen.",
        )
        .expect("valid metric");
        for c in [
            Box::new(machines.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(driver_calls.clone()),
            Box::new(cloud_api_calls.clone()),
            Box::new(reconcile_seconds.clone()),
            Box::new(frozen_shoots.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        Metrics { registry, machines, driver_calls, cloud_api_calls, reconcile_seconds, frozen_shoots }
    }

    /// The text exposition, with machine counts taken from `machines` and the cloud API calls from `driver` now.
    pub fn render(&self, machines: Option<&Store<Machine>>, driver: Option<&dyn Driver>) -> String {
        for (operation, total) in driver.map(|d| d.cloud_api_calls()).unwrap_or_default() {
            let counter = self.cloud_api_calls.with_label_values(&[operation.as_str()]);
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        if let Some(store) = machines {
            let mut by_phase: BTreeMap<String, i64> = BTreeMap::new();
            for m in store.state() {
                let phase = crate::order::phase_of(&m);
                *by_phase.entry(if phase.is_empty() { "None".into() } else { phase.to_string() }).or_default() += 1;
            }
            self.machines.reset();
            for (phase, n) in by_phase {
                self.machines.with_label_values(&[phase.as_str()]).set(n);
            }
        }
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Times one reconcile of `controller`.
    pub fn time(&self, controller: &str) -> ReconcileTimer {
        ReconcileTimer { hist: self.reconcile_seconds.with_label_values(&[controller]), start: Instant::now() }
    }
}

/// Observes the elapsed time when dropped.
pub struct ReconcileTimer {
    hist: prometheus::Histogram,
    start: Instant,
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.hist.observe(self.start.elapsed().as_secs_f64());
    }
}

/// A driver that counts every call by method and result code.
pub struct InstrumentedDriver {
    inner: Arc<dyn Driver>,
    metrics: Arc<Metrics>,
}

impl InstrumentedDriver {
    pub fn new(inner: Arc<dyn Driver>, metrics: Arc<Metrics>) -> Self {
        InstrumentedDriver { inner, metrics }
    }

    fn count<T>(&self, method: &str, r: &Result<T, DriverError>) {
        let code = match r {
            Ok(_) => "OK",
            Err(e) => e.code.as_str(),
        };
        self.metrics.driver_calls.with_label_values(&[method, code]).inc();
    }
}

#[async_trait::async_trait]
impl Driver for InstrumentedDriver {
    async fn create_machine(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let r = self.inner.create_machine(req).await;
        self.count("CreateMachine", &r);
        r
    }
    async fn initialize_machine(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let r = self.inner.initialize_machine(req).await;
        self.count("InitializeMachine", &r);
        r
    }
    async fn delete_machine(&self, req: &MachineRequest<'_>) -> Result<(), DriverError> {
        let r = self.inner.delete_machine(req).await;
        self.count("DeleteMachine", &r);
        r
    }
    async fn get_machine_status(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let r = self.inner.get_machine_status(req).await;
        self.count("GetMachineStatus", &r);
        r
    }
    async fn list_machines(
        &self,
        class: &MachineClass,
        secret: &BTreeMap<String, Vec<u8>>,
    ) -> Result<MachineList, DriverError> {
        let r = self.inner.list_machines(class, secret).await;
        self.count("ListMachines", &r);
        r
    }
    async fn get_volume_ids(
        &self,
        specs: &[k8s_openapi::api::core::v1::PersistentVolumeSpec],
    ) -> Result<Vec<String>, DriverError> {
        let r = self.inner.get_volume_ids(specs).await;
        self.count("GetVolumeIDs", &r);
        r
    }
    fn cloud_api_calls(&self) -> BTreeMap<String, u64> {
        self.inner.cloud_api_calls()
    }
}
