//! The daemon's life: load and check the configuration, lock the run
//! directory, start DPDK and the datapath, serve management requests on the
//! control core, and shut everything down cleanly on SIGINT/SIGTERM.
use std::path::PathBuf;
use std::sync::Arc;

use fastpath::dpdk::Eal;
use fsconfig::Config;
use tokio::signal::unix::{signal, SignalKind};

use crate::eal_args::{eal_args, use_hugepages, HugepageInfo};
use crate::error::{Error, Result};
use crate::mgmt::proto::{Body, Reply, Request};
use crate::mgmt::server;
use crate::ofp::channel;
use crate::rundir::RunDir;
use crate::switch::Switch;

/// Command-line settings that override the configuration file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub run_dir: Option<PathBuf>,
    pub file_prefix: Option<String>,
}

pub fn apply(cfg: &mut Config, o: &Overrides) {
    if let Some(d) = &o.run_dir {
        cfg.switch.run_dir = d.clone();
    }
    if let Some(p) = &o.file_prefix {
        cfg.switch.file_prefix = p.clone();
    }
}

/// Runs the switch until a termination signal. Returns after a clean
/// shutdown. With `source`, `ferroctl reload` and SIGHUP re-read that file
/// and apply its port changes.
pub fn run(cfg: Config, source: Option<crate::switch::ConfigSource>) -> Result<()> {
    let run_dir = RunDir::lock(&cfg.switch.run_dir)?;
    let (hugepages, why) = use_hugepages(&cfg, HugepageInfo::detect())?;
    if hugepages {
        tracing::info!("{why}");
    } else {
        tracing::warn!("{why}");
    }

    // Pin the control thread first: DPDK puts its own service threads on
    // the cores we run on minus the lcores, which must not be a PMD core.
    let control_core = cfg.switch.control_core;
    if !core_affinity::set_for_current(core_affinity::CoreId { id: control_core }) {
        tracing::warn!("cannot pin the control thread to core {control_core}");
    }
    let args = eal_args(&cfg, hugepages);
    tracing::info!("EAL arguments: {}", args.join(" "));
    let eal = Eal::init(&args)?;
    tracing::info!("{} initialised", eal.version());

    let switch = Switch::start(cfg, eal)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let listener = server::bind(&run_dir.socket_path())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut hup = signal(SignalKind::hangup())?;
        tracing::info!(
            "ferroswitch ready; management socket {}",
            run_dir.socket_path().display()
        );
        let view = switch.view();
        if let Some(source) = source {
            view.set_config_source(source);
        }
        // OpenFlow: listeners, controller connections, packet-in pump and
        // port status, as tasks on this runtime.
        let openflow = channel::start(view.clone(), Some(run_dir.path()));
        let handler: Arc<dyn server::Handler> = Arc::new(DaemonHandler {
            view: view.clone(),
            openflow: openflow.clone(),
        });
        // Flow expiry: removes timed-out flows, publishes, waits for the
        // PMDs and sends FLOW_REMOVED to the controllers that asked.
        let expiry = async {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                openflow.expire_flows();
            }
        };
        // The coarse clock PMD credits read (idle timeouts).
        let clock = async {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(10));
            loop {
                tick.tick().await;
                crate::bridge::tick_clock();
            }
        };
        // SIGHUP: apply the configuration file's port changes.
        let reload = async {
            while hup.recv().await.is_some() {
                match view.reload_config() {
                    Ok(m) => tracing::info!("SIGHUP: {m}"),
                    Err(e) => tracing::error!("SIGHUP: {e}"),
                }
            }
        };
        // Tunnel underlay: ARP answers, resolution and retries.
        let underlay_view = view.clone();
        let underlay = async {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(10));
            loop {
                tick.tick().await;
                underlay_view.underlay_tick();
            }
        };
        // vhost-user guests' enabled tx queues: which PMD sends where.
        let vhost_view = view.clone();
        let vhost_queues = async {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
            loop {
                tick.tick().await;
                vhost_view.poll_vhost_queues();
            }
        };
        tokio::select! {
            _ = server::serve(listener, handler) => {}
            _ = vhost_queues => {}
            _ = reload => {}
            _ = underlay => {}
            _ = expiry => {}
            _ = clock => {}
            _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down"),
        }
        Ok::<(), Error>(())
    });
    drop(rt);
    let mgmt_sockets: Vec<_> = switch
        .view()
        .bridges()
        .iter()
        .map(|b| channel::mgmt_socket_path(run_dir.path(), &b.name))
        .collect();
    switch.shutdown();
    for p in mgmt_sockets {
        let _ = std::fs::remove_file(p);
    }
    drop(run_dir);
    tracing::info!("ferroswitch stopped");
    result
}

/// The management socket's requests: the switch answers them, and `show`
/// gets the OpenFlow channel's state added.
struct DaemonHandler {
    view: Arc<crate::switch::SwitchView>,
    openflow: Arc<channel::Channel>,
}

impl server::Handler for DaemonHandler {
    fn handle(&self, req: Request) -> Reply {
        let show = matches!(req, Request::Show);
        let mut reply = self.view.handle(req);
        if let (true, Reply::Ok(Body::Show(r))) = (show, &mut reply) {
            r.openflow = self.openflow.status();
        }
        reply
    }
}
