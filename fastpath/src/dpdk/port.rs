//! Ethernet ports: probing by devargs, configuration, start/stop, queue
//! handles for the PMDs, and statistics for the control side.
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use super::{Burst, Eal, Mempool};
use crate::error::{Error, Result};

/// How to configure a port.
#[derive(Debug, Clone)]
pub struct PortSetup {
    pub rx_queues: u16,
    pub tx_queues: u16,
    pub rx_desc: u16,
    pub tx_desc: u16,
    /// Extra tx bursts tried while the driver keeps taking packets (vhost:
    /// the guest drains its ring concurrently; OVS retries up to 8 times).
    /// 0 for ordinary NICs.
    pub tx_retries: u8,
    /// How long (ns) an rx queue that gave less than a full burst rests
    /// before the PMD polls it again (vhost: each poll of a guest's ring
    /// moves cache lines between the guest's core and ours). 0: every
    /// iteration.
    pub rx_rest_ns: u64,
}

/// A probed, configured and started DPDK port. Shared by the control side
/// (for stats and link state) and by queue handles; stopped, closed and
/// removed with the last of them.
#[derive(Clone)]
pub struct Port {
    inner: Arc<PortInner>,
}

struct PortInner {
    id: u16,
    device_name: String,
    driver: String,
    device: *mut dpdk_sys::rte_device,
    rx_queues: u16,
    tx_queues: u16,
    tx_retries: u8,
    rx_rest_ns: u64,
    /// Whether a handle to each rx / tx queue exists: at most one may, so
    /// that no two threads ever poll one queue.
    rx_claimed: Vec<AtomicBool>,
    tx_claimed: Vec<AtomicBool>,
    _pool: Mempool,
    _eal: Eal,
}

// SAFETY: the port id and device pointer are only handed to DPDK APIs that
// are safe to call from any thread for a started port (stats, link, info);
// per-queue rx/tx is done through RxQueue/TxQueue, of which exactly one
// handle exists per queue.
unsafe impl Send for PortInner {}
// SAFETY: see Send; &self methods only call thread-safe ethdev queries.
unsafe impl Sync for PortInner {}

/// Per DPDK port id: how many times the driver reported its link down
/// (a link-state-change event with the link down). A vhost-user guest that
/// goes and comes back between two looks at the link is still seen to have
/// gone: the driver forgets its queues' state then, without an event each.
static LINK_DOWNS: [AtomicU32; dpdk_sys::RTE_MAX_ETHPORTS as usize] =
    [const { AtomicU32::new(0) }; dpdk_sys::RTE_MAX_ETHPORTS as usize];

/// The RTE_ETH_EVENT_INTR_LSC callback: counts link-down reports. Runs on
/// the driver's thread (net_vhost: its vhost-user socket thread), after
/// the driver stored the new link state.
unsafe extern "C" fn on_link_change(
    port_id: u16,
    _event: dpdk_sys::rte_eth_event_type,
    _cb_arg: *mut std::os::raw::c_void,
    _ret_param: *mut std::os::raw::c_void,
) -> std::os::raw::c_int {
    let mut link = dpdk_sys::rte_eth_link::default();
    // SAFETY: DPDK passes the id of the port the event is for; link is a
    // live out-parameter; the nowait variant only reads the stored state.
    let rc = unsafe { dpdk_sys::rte_eth_link_get_nowait(port_id, &mut link) };
    if rc == 0 && link.link_status() != dpdk_sys::RTE_ETH_LINK_UP as u16 {
        if let Some(n) = LINK_DOWNS.get(usize::from(port_id)) {
            n.fetch_add(1, Ordering::AcqRel);
        }
    }
    0
}

/// A guest enabled or disabled one of a vhost-user port's queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VhostQueueEvent {
    /// Queue pair number.
    pub queue: u16,
    /// The switch's rx side (the guest's tx ring); false: the switch's tx
    /// side, where the guest receives.
    pub rx: bool,
    pub enable: bool,
}

/// Link state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    pub up: bool,
    pub speed_mbps: u32,
    pub full_duplex: bool,
}

/// The driver's port counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EthStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub rx_missed: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_nombuf: u64,
}

fn dpdk_err(op: String, rc: i32) -> Error {
    Error::Dpdk {
        op,
        message: super::strerror(rc),
    }
}

impl Port {
    /// Probes the device described by `devargs` (a PCI address or a vdev
    /// such as `net_tap0,iface=x`), then configures and starts it with
    /// `setup` and `pool`. Returns the port and one handle per rx and tx
    /// queue. On any failure the device is removed again.
    pub fn open(
        eal: &Eal,
        devargs: &str,
        setup: &PortSetup,
        pool: &Mempool,
    ) -> Result<(Port, Vec<RxQueue>, Vec<TxQueue>)> {
        let device_name = devargs
            .split(',')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let c_devargs = CString::new(devargs).map_err(|_| Error::Devargs {
            devargs: devargs.into(),
            message: "contains a NUL byte".into(),
        })?;
        let c_name = CString::new(device_name.as_str()).map_err(|_| Error::Devargs {
            devargs: devargs.into(),
            message: "device name contains a NUL byte".into(),
        })?;
        // SAFETY: EAL is initialised; c_devargs is a valid C string that
        // DPDK parses and copies.
        let rc = unsafe { dpdk_sys::rte_dev_probe(c_devargs.as_ptr()) };
        if rc < 0 {
            return Err(Error::Devargs {
                devargs: devargs.into(),
                message: format!(
                    "DPDK could not probe it: {} (see the DPDK message above)",
                    super::strerror(rc)
                ),
            });
        }
        let mut id = 0u16;
        // SAFETY: c_name is a valid C string; id is a live out-parameter.
        let rc = unsafe { dpdk_sys::rte_eth_dev_get_port_by_name(c_name.as_ptr(), &mut id) };
        if rc != 0 {
            return Err(Error::Devargs {
                devargs: devargs.into(),
                message: format!("probed, but no ethernet port named {device_name:?} appeared"),
            });
        }
        let mut info = dpdk_sys::rte_eth_dev_info::default();
        // SAFETY: id is a valid port; info is a live out-parameter.
        let rc = unsafe { dpdk_sys::rte_eth_dev_info_get(id, &mut info) };
        if rc != 0 {
            return Err(dpdk_err(
                format!("reading device info of {device_name}"),
                rc,
            ));
        }
        let driver = if info.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: the driver name is a static C string owned by the driver.
            unsafe { CStr::from_ptr(info.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        let inner = PortInner {
            id,
            device_name: device_name.clone(),
            driver,
            device: info.device,
            rx_queues: setup.rx_queues,
            tx_queues: setup.tx_queues,
            tx_retries: setup.tx_retries,
            rx_rest_ns: setup.rx_rest_ns,
            rx_claimed: (0..setup.rx_queues)
                .map(|_| AtomicBool::new(true))
                .collect(),
            tx_claimed: (0..setup.tx_queues)
                .map(|_| AtomicBool::new(true))
                .collect(),
            _pool: pool.clone(),
            _eal: eal.clone(),
        };
        // From here on, dropping `inner` stops, closes and removes the device.
        inner.configure(&info, setup, pool)?;
        if inner.driver == "net_vhost" {
            // SAFETY: a configured port; the callback is a plain function
            // that only reads the port's link and bumps an atomic, and it
            // takes no argument (registering it twice is a no-op).
            let rc = unsafe {
                dpdk_sys::rte_eth_dev_callback_register(
                    id,
                    dpdk_sys::RTE_ETH_EVENT_INTR_LSC,
                    Some(on_link_change),
                    std::ptr::null_mut(),
                )
            };
            if rc != 0 {
                return Err(dpdk_err(
                    format!("registering for link events of {device_name}"),
                    rc,
                ));
            }
        }
        let port = Port {
            inner: Arc::new(inner),
        };
        let rxqs = (0..setup.rx_queues)
            .map(|q| RxQueue {
                port: port.inner.clone(),
                queue: q,
            })
            .collect();
        let txqs = (0..setup.tx_queues)
            .map(|q| TxQueue {
                port: port.inner.clone(),
                queue: q,
            })
            .collect();
        Ok((port, rxqs, txqs))
    }

    pub fn id(&self) -> u16 {
        self.inner.id
    }

    /// A new handle to rx queue `q`, when no other exists (the one from
    /// `open` or an earlier call was dropped, e.g. by a stopped PMD).
    /// Whether `other` is a handle to the same opened port.
    pub fn same(&self, other: &Port) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub fn rx_queue(&self, q: u16) -> Option<RxQueue> {
        claim(self.inner.rx_claimed.get(usize::from(q))?).then(|| RxQueue {
            port: self.inner.clone(),
            queue: q,
        })
    }

    /// A new handle to tx queue `q`, when no other exists.
    pub fn tx_queue(&self, q: u16) -> Option<TxQueue> {
        claim(self.inner.tx_claimed.get(usize::from(q))?).then(|| TxQueue {
            port: self.inner.clone(),
            queue: q,
        })
    }

    /// DPDK's device name (the devargs up to the first comma).
    pub fn device_name(&self) -> &str {
        &self.inner.device_name
    }

    pub fn driver(&self) -> &str {
        &self.inner.driver
    }

    pub fn rx_queues(&self) -> u16 {
        self.inner.rx_queues
    }

    pub fn tx_queues(&self) -> u16 {
        self.inner.tx_queues
    }

    pub fn link(&self) -> Link {
        let mut link = dpdk_sys::rte_eth_link::default();
        // SAFETY: valid started port; link is a live out-parameter. The
        // nowait variant never sleeps.
        let rc = unsafe { dpdk_sys::rte_eth_link_get_nowait(self.inner.id, &mut link) };
        if rc != 0 {
            return Link {
                up: false,
                speed_mbps: 0,
                full_duplex: false,
            };
        }
        Link {
            up: link.link_status() == dpdk_sys::RTE_ETH_LINK_UP as u16,
            speed_mbps: link.link_speed,
            full_duplex: link.link_duplex() == dpdk_sys::RTE_ETH_LINK_FULL_DUPLEX as u16,
        }
    }

    pub fn mac(&self) -> [u8; 6] {
        let mut mac = dpdk_sys::rte_ether_addr::default();
        // SAFETY: valid port; mac is a live out-parameter.
        let rc = unsafe { dpdk_sys::rte_eth_macaddr_get(self.inner.id, &mut mac) };
        if rc != 0 {
            return [0; 6];
        }
        mac.addr_bytes
    }

    pub fn stats(&self) -> Result<EthStats> {
        let mut s = dpdk_sys::rte_eth_stats::default();
        // SAFETY: valid port; s is a live out-parameter.
        let rc = unsafe { dpdk_sys::rte_eth_stats_get(self.inner.id, &mut s) };
        if rc != 0 {
            return Err(dpdk_err(
                format!("reading stats of {}", self.inner.device_name),
                rc,
            ));
        }
        Ok(EthStats {
            rx_packets: s.ipackets,
            rx_bytes: s.ibytes,
            tx_packets: s.opackets,
            tx_bytes: s.obytes,
            rx_missed: s.imissed,
            rx_errors: s.ierrors,
            tx_errors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        })
    }

    /// The next change of a vhost-user queue's enable state the guest made
    /// since the last call, if any. Only for `net_vhost` ports (None for
    /// any other driver).
    pub fn vhost_queue_event(&self) -> Option<VhostQueueEvent> {
        if self.inner.driver != "net_vhost" {
            return None;
        }
        let mut ev = dpdk_sys::rte_eth_vhost_queue_event::default();
        // SAFETY: a started net_vhost port (checked above, so the driver
        // has its vring state); ev is a live out-parameter. The call takes
        // the driver's own lock, never the datapath's.
        let rc = unsafe { dpdk_sys::rte_eth_vhost_get_queue_event(self.inner.id, &mut ev) };
        (rc == 0).then_some(VhostQueueEvent {
            queue: ev.queue_id,
            rx: ev.rx,
            enable: ev.enable,
        })
    }

    /// How many times the driver has reported this port's link down (only
    /// counted for `net_vhost` ports): compare two readings to learn that
    /// the guest went away in between, even if it is back.
    pub fn link_downs(&self) -> u32 {
        LINK_DOWNS
            .get(usize::from(self.inner.id))
            .map_or(0, |n| n.load(Ordering::Acquire))
    }

    /// Sets the link administratively up or down (OpenFlow PORT_DOWN), if
    /// the driver supports it (net_tap does: its kernel side loses IFF_UP).
    pub fn set_link(&self, up: bool) -> Result<()> {
        let rc = if up {
            // SAFETY: valid started port id; no pointers are passed.
            unsafe { dpdk_sys::rte_eth_dev_set_link_up(self.inner.id) }
        } else {
            // SAFETY: valid started port id; no pointers are passed.
            unsafe { dpdk_sys::rte_eth_dev_set_link_down(self.inner.id) }
        };
        if rc != 0 {
            let what = if up { "up" } else { "down" };
            return Err(dpdk_err(
                format!("setting the link of {} {what}", self.inner.device_name),
                rc,
            ));
        }
        Ok(())
    }
}

impl PortInner {
    fn configure(
        &self,
        info: &dpdk_sys::rte_eth_dev_info,
        setup: &PortSetup,
        pool: &Mempool,
    ) -> Result<()> {
        let id = self.id;
        let name = &self.device_name;
        if setup.rx_queues > info.max_rx_queues || setup.tx_queues > info.max_tx_queues {
            return Err(Error::Config(format!(
                "port {name}: {} rx / {} tx queues requested, the device supports {} / {}",
                setup.rx_queues, setup.tx_queues, info.max_rx_queues, info.max_tx_queues
            )));
        }
        let mut conf = dpdk_sys::rte_eth_conf::default();
        if setup.rx_queues > 1 {
            // SAFETY: pure function returning a constant.
            let want = unsafe { dpdk_sys::fs_rss_hf_default() };
            conf.rxmode.mq_mode = dpdk_sys::RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = want & info.flow_type_rss_offloads;
        }
        // SAFETY: valid, stopped port; conf is fully initialised.
        let rc =
            unsafe { dpdk_sys::rte_eth_dev_configure(id, setup.rx_queues, setup.tx_queues, &conf) };
        if rc != 0 {
            return Err(dpdk_err(format!("configuring port {name}"), rc));
        }
        let (mut nb_rx, mut nb_tx) = (setup.rx_desc, setup.tx_desc);
        // SAFETY: valid configured port; live out-parameters.
        let rc = unsafe { dpdk_sys::rte_eth_dev_adjust_nb_rx_tx_desc(id, &mut nb_rx, &mut nb_tx) };
        if rc != 0 {
            return Err(dpdk_err(
                format!("adjusting descriptors of port {name}"),
                rc,
            ));
        }
        // SAFETY: valid port id.
        let socket = unsafe { dpdk_sys::rte_eth_dev_socket_id(id) };
        let socket = if socket < 0 {
            dpdk_sys::SOCKET_ID_ANY
        } else {
            socket
        };
        for q in 0..setup.rx_queues {
            // SAFETY: configured, stopped port; q < configured rx queues; a
            // NULL rxconf selects the driver default; the pool outlives the
            // port (PortInner holds it).
            let rc = unsafe {
                dpdk_sys::rte_eth_rx_queue_setup(
                    id,
                    q,
                    nb_rx,
                    socket as u32,
                    std::ptr::null(),
                    pool.as_ptr(),
                )
            };
            if rc != 0 {
                return Err(dpdk_err(
                    format!("setting up rx queue {q} of port {name}"),
                    rc,
                ));
            }
        }
        for q in 0..setup.tx_queues {
            // SAFETY: as for rx; q < configured tx queues.
            let rc = unsafe {
                dpdk_sys::rte_eth_tx_queue_setup(id, q, nb_tx, socket as u32, std::ptr::null())
            };
            if rc != 0 {
                return Err(dpdk_err(
                    format!("setting up tx queue {q} of port {name}"),
                    rc,
                ));
            }
        }
        // SAFETY: fully configured port.
        let rc = unsafe { dpdk_sys::rte_eth_dev_start(id) };
        if rc != 0 {
            return Err(dpdk_err(format!("starting port {name}"), rc));
        }
        // A switch port must see every destination MAC. Drivers without
        // promiscuous mode (e.g. net_null) answer ENOTSUP, which is fine.
        // SAFETY: started port.
        let rc = unsafe { dpdk_sys::rte_eth_promiscuous_enable(id) };
        if rc != 0 && rc != -(95) {
            tracing::warn!(
                "port {name}: cannot enable promiscuous mode: {}",
                super::strerror(rc)
            );
        }
        Ok(())
    }
}

impl Drop for PortInner {
    fn drop(&mut self) {
        // SAFETY: the last handle is gone, so no thread polls this port's
        // queues; stopping and closing an unstarted port is harmless.
        unsafe {
            dpdk_sys::rte_eth_dev_stop(self.id);
            dpdk_sys::rte_eth_dev_close(self.id);
        }
        if !self.device.is_null() {
            // SAFETY: the device pointer came from dev_info of this port and
            // stays valid until removed here; the ethdev is closed.
            let rc = unsafe { dpdk_sys::rte_dev_remove(self.device) };
            if rc != 0 {
                tracing::debug!(
                    "removing device {}: {}",
                    self.device_name,
                    super::strerror(rc)
                );
            }
        }
    }
}

fn claim(flag: &AtomicBool) -> bool {
    flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

impl Drop for RxQueue {
    fn drop(&mut self) {
        if let Some(f) = self.port.rx_claimed.get(usize::from(self.queue)) {
            f.store(false, Ordering::Release);
        }
    }
}

impl Drop for TxQueue {
    fn drop(&mut self) {
        if let Some(f) = self.port.tx_claimed.get(usize::from(self.queue)) {
            f.store(false, Ordering::Release);
        }
    }
}

/// The single handle to one rx queue. Owned by the PMD thread that polls it.
pub struct RxQueue {
    port: Arc<PortInner>,
    queue: u16,
}

impl RxQueue {
    pub fn port_id(&self) -> u16 {
        self.port.id
    }

    pub fn queue_id(&self) -> u16 {
        self.queue
    }

    pub fn device_name(&self) -> &str {
        &self.port.device_name
    }

    /// See [`PortSetup::rx_rest_ns`].
    pub fn rest_ns(&self) -> u64 {
        self.port.rx_rest_ns
    }

    /// Receives up to a burst into the empty `burst`; returns the count.
    #[inline]
    pub fn recv(&mut self, burst: &mut Burst) -> usize {
        if !burst.is_empty() {
            return 0;
        }
        let (slots, cap) = burst.raw_fill();
        // SAFETY: the port is started and alive (we hold it); this is the
        // only handle to this queue, and &mut self keeps it on one thread at
        // a time; slots has room for cap pointers.
        let n = unsafe { dpdk_sys::fs_rx_burst(self.port.id, self.queue, slots, cap) };
        burst.set_filled(usize::from(n));
        usize::from(n)
    }
}

/// The single handle to one tx queue. Owned by one PMD thread.
pub struct TxQueue {
    port: Arc<PortInner>,
    queue: u16,
}

impl TxQueue {
    pub fn port_id(&self) -> u16 {
        self.port.id
    }

    pub fn queue_id(&self) -> u16 {
        self.queue
    }

    /// Hands the burst's packets to the driver; the ones it did not take
    /// stay in `burst`. Returns how many were sent. A port with tx retries
    /// tries again, at most that many times, as long as each try sends
    /// something (never waits on a stalled peer).
    #[inline]
    pub fn send(&mut self, burst: &mut Burst) -> usize {
        let mut total = 0;
        let mut retries = 0;
        while !burst.is_empty() {
            let (pkts, n) = burst.raw_filled();
            // SAFETY: started port, sole handle to this queue (&mut self); the
            // first n slots are owned mbufs. The driver takes ownership of the
            // ones it reports sent, which consume_front forgets.
            let sent = unsafe { dpdk_sys::fs_tx_burst(self.port.id, self.queue, pkts, n) };
            burst.consume_front(usize::from(sent));
            total += usize::from(sent);
            if sent == 0 || retries >= self.port.tx_retries {
                break;
            }
            retries += 1;
        }
        total
    }
}
