//! What kind of DPDK device a port's `devargs` names.

use serde::Serialize;

/// The kind of DPDK device, derived from `devargs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum DeviceKind {
    /// A PCI device (`0000:01:00.0` or `01:00.0`).
    Pci,
    /// `net_tap*`: a kernel TAP interface.
    Tap,
    /// `net_null*`: discards TX, optionally generates RX.
    Null,
    /// `net_pcap*`.
    Pcap,
    /// `net_ring*`.
    Ring,
    /// `net_vhost*`.
    Vhost,
    /// `net_virtio_user*`.
    VirtioUser,
    /// Anything else, holding the device name. Validation only lets `net_*`
    /// vdevs through here; DPDK itself judges whether the driver exists.
    Other(String),
}

/// Shown whenever devargs name no usable device.
pub(crate) const EXPECT_DEVARGS: &str =
    "expected a PCI address (0000:01:00.0) or a DPDK vdev (net_tap0,iface=...)";

const VDEV_PREFIX: &str = "net_";

/// The part of `devargs` before the first comma, i.e. the name DPDK gives the
/// device. PCI addresses are normalised to DPDK's `dddd:bb:dd.f` form because
/// that is the name the port is looked up by.
pub(crate) fn device_name(devargs: &str) -> String {
    let name = raw_name(devargs);
    parse_pci(name).unwrap_or_else(|| name.to_string())
}

pub(crate) fn device_kind(devargs: &str) -> DeviceKind {
    let name = raw_name(devargs);
    if parse_pci(name).is_some() {
        return DeviceKind::Pci;
    }
    // Longest prefixes first is not needed: none of these is a prefix of another.
    let known = [
        ("net_tap", DeviceKind::Tap),
        ("net_null", DeviceKind::Null),
        ("net_pcap", DeviceKind::Pcap),
        ("net_ring", DeviceKind::Ring),
        ("net_vhost", DeviceKind::Vhost),
        ("net_virtio_user", DeviceKind::VirtioUser),
    ];
    known
        .into_iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, kind)| kind)
        .unwrap_or_else(|| DeviceKind::Other(name.to_string()))
}

/// Ok if `devargs` names a PCI address or a `net_*` vdev; otherwise the message.
pub(crate) fn check(devargs: &str) -> Result<(), String> {
    if devargs.trim().is_empty() {
        return Err(format!("must not be empty; {EXPECT_DEVARGS}"));
    }
    let name = raw_name(devargs);
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "{devargs:?} has no valid device name before the first comma; {EXPECT_DEVARGS}"
        ));
    }
    if parse_pci(name).is_some() {
        return Ok(());
    }
    if name.contains(':') {
        return Err(format!(
            "{name:?} is not a valid PCI address; expected DDDD:BB:DD.F or BB:DD.F in hex, \
             such as 0000:01:00.0 (device 00..=1f, function 0..=7)"
        ));
    }
    let is_vdev = name.len() > VDEV_PREFIX.len()
        && name.starts_with(VDEV_PREFIX)
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if is_vdev {
        Ok(())
    } else {
        Err(format!("{devargs:?} is not a device; {EXPECT_DEVARGS}"))
    }
}

fn raw_name(devargs: &str) -> &str {
    devargs.split(',').next().unwrap_or("")
}

/// `dddd:bb:dd.f` or `bb:dd.f` (hex) to DPDK's canonical lower-case long form.
fn parse_pci(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(':').collect();
    let (domain, bus, devfn) = match parts.as_slice() {
        [bus, devfn] => ("0000", *bus, *devfn),
        [domain, bus, devfn] => (*domain, *bus, *devfn),
        _ => return None,
    };
    let (dev, func) = devfn.split_once('.')?;
    let hex = |t: &str, digits: usize| {
        if t.len() == digits && t.bytes().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(t, 16).ok()
        } else {
            None
        }
    };
    let (domain, bus, dev, func) = (hex(domain, 4)?, hex(bus, 2)?, hex(dev, 2)?, hex(func, 1)?);
    (dev <= 0x1f && func <= 7).then(|| format!("{domain:04x}:{bus:02x}:{dev:02x}.{func:x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(device_kind("0000:01:00.0"), DeviceKind::Pci);
        assert_eq!(device_kind("01:00.1,rxq_cqe_comp_en=0"), DeviceKind::Pci);
        assert_eq!(device_kind("net_tap0,iface=fs-tap0"), DeviceKind::Tap);
        assert_eq!(device_kind("net_null0,no-rx=1"), DeviceKind::Null);
        assert_eq!(device_kind("net_pcap0,iface=eth0"), DeviceKind::Pcap);
        assert_eq!(device_kind("net_ring0"), DeviceKind::Ring);
        assert_eq!(device_kind("net_vhost0,iface=/tmp/s"), DeviceKind::Vhost);
        assert_eq!(
            device_kind("net_virtio_user0,path=/dev/vhost-net"),
            DeviceKind::VirtioUser
        );
        assert_eq!(
            device_kind("net_af_packet0,iface=eth0"),
            DeviceKind::Other("net_af_packet0".into())
        );
    }

    #[test]
    fn names() {
        assert_eq!(device_name("net_tap0,iface=fs-tap0"), "net_tap0");
        assert_eq!(device_name("net_ring0"), "net_ring0");
        assert_eq!(device_name("01:00.0"), "0000:01:00.0");
        assert_eq!(device_name("0000:AF:1F.7,x=1"), "0000:af:1f.7");
    }

    #[test]
    fn accepted() {
        for d in [
            "0000:01:00.0",
            "af:00.1",
            "net_tap0,iface=x",
            "net_af_xdp0,iface=eth0",
            "net_ring0",
        ] {
            assert_eq!(check(d), Ok(()), "{d}");
        }
    }

    #[test]
    fn rejected() {
        let e = check("").unwrap_err();
        assert!(
            e.contains("must not be empty") && e.contains(EXPECT_DEVARGS),
            "{e}"
        );
        let e = check("foo").unwrap_err();
        assert!(e.contains("\"foo\"") && e.contains(EXPECT_DEVARGS), "{e}");
        for d in [
            "eth0",
            "net_",
            "net tap0",
            ",iface=x",
            " net_tap0",
            "net_tap0 ,x=1",
        ] {
            assert!(check(d).unwrap_err().contains(EXPECT_DEVARGS), "{d}");
        }
        // Looks like PCI but the device number is past 0x1f.
        let e = check("0000:01:20.0").unwrap_err();
        assert!(e.contains("not a valid PCI address"), "{e}");
        assert!(check("0000:01:00.8").is_err());
        assert!(check("1:00.0").is_err());
    }
}
