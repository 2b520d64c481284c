//! Tests: parsing every field and action, printing like ovs-ofctl (checked
//! against ovs-ofctl 3.1 itself), round trips and error reporting.
use fastpath::flow::Field;
use proptest::prelude::*;

use super::matches::FlowState;
use super::*;
use crate::ofp::PortNo;
use crate::pipeline::{
    Action, Bucket, FlowMatch, GroupType, Instruction, MeterBand, MeterBandType, CML_NO_BUFFER,
    GROUP_ALL, GROUP_ANY, METER_ALL, NO_BUFFER, TABLE_ALL,
};

const N: &NoPortNames = &NoPortNames;

/// Port names for tests.
struct Names;

impl PortNames for Names {
    fn number(&self, name: &str) -> Option<u32> {
        match name {
            "eth0" => Some(1),
            "eth1" => Some(2),
            "my port" => Some(3),
            "10g" => Some(4),
            "é" => Some(5),
            _ => None,
        }
    }
    fn name(&self, no: u32) -> Option<String> {
        let n = match no {
            1 => "eth0",
            2 => "eth1",
            3 => "my port",
            4 => "10g",
            5 => "é",
            _ => return None,
        };
        Some(n.to_string())
    }
}

/// Prints a flow mod as `ovs-ofctl -O OpenFlow13 parse-flow` does
/// (`ofputil_flow_mod_format`): `ADD table:1 priority=5,ip cookie:0x5 idle:10 ... actions=...`.
fn ofp_print(fm: &FlowMod, names: &dyn PortNames) -> String {
    let mut s = String::from(match fm.command {
        FlowModCommand::Add => "ADD ",
        FlowModCommand::Modify => "MOD ",
        FlowModCommand::ModifyStrict => "MOD_STRICT ",
        FlowModCommand::Delete => "DEL ",
        FlowModCommand::DeleteStrict => "DEL_STRICT ",
    });
    if fm.table_id != 0 {
        s.push_str(&format!("table:{} ", fm.table_id));
    }
    s.push_str(&format::format_match_priority(
        &fm.match_,
        Some(fm.priority),
        names,
    ));
    if !s.ends_with(' ') {
        s.push(' ');
    }
    if fm.cookie != 0 && fm.cookie_mask == 0 {
        s.push_str(&format!("cookie:{:#x} ", fm.cookie));
    }
    if fm.cookie_mask != 0 {
        s.push_str(&format!("cookie:{:#x}/{:#x} ", fm.cookie, fm.cookie_mask));
    }
    if fm.idle_timeout != 0 {
        s.push_str(&format!("idle:{} ", fm.idle_timeout));
    }
    if fm.hard_timeout != 0 {
        s.push_str(&format!("hard:{} ", fm.hard_timeout));
    }
    if fm.out_port != PortNo::ANY {
        s.push_str(&format!(
            "out_port:{} ",
            format::format_port(fm.out_port, names)
        ));
    }
    for (bit, name) in format::FLAG_NAMES {
        if fm.flags & bit != 0 {
            s.push_str(name);
            s.push(' ');
        }
    }
    s.push_str("actions=");
    s.push_str(&format_actions(&fm.instructions, names));
    s
}

fn add(s: &str) -> FlowMod {
    parse_flow_mod(s, FlowModCommand::Add, N).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn matching(fields: &[(Field, u128, u128)]) -> FlowMatch {
    let mut m = FlowMatch::ANY;
    for &(f, v, mask) in fields {
        m.set(f, v, mask);
    }
    m
}

const E16: u128 = 0xffff;
const E32: u128 = 0xffff_ffff;
const E48: u128 = 0xffff_ffff_ffff;
const E64: u128 = u64::MAX as u128;
const IP: (Field, u128, u128) = (Field::EthType, 0x0800, E16);
const IP6: (Field, u128, u128) = (Field::EthType, 0x86dd, E16);
const ARP: (Field, u128, u128) = (Field::EthType, 0x0806, E16);

fn proto(p: u128) -> (Field, u128, u128) {
    (Field::IpProto, p, 0xff)
}

// ---------------------------------------------------------------------
// The corpus: each line as ovs-ofctl 3.1 prints it. Expected strings are
// the output of
//   ovs-ofctl -O OpenFlow13 parse-flow 'LINE'
// (after "OFPT_FLOW_MOD (OF1.3) (xid=0x1): "), pasted unchanged except
// where a comment says why we differ.
const OVS_CORPUS: &[(&str, &str)] = &[
    (
        r"table=0,priority=100,ip,nw_dst=10.0.0.0/24,actions=set_field:02:00:00:00:00:01->eth_dst,dec_ttl,output:2",
        r"ADD priority=100,ip,nw_dst=10.0.0.0/24 actions=set_field:02:00:00:00:00:01->eth_dst,dec_ttl,output:2",
    ),
    (
        r"table=1,priority=5,cookie=0x5,idle_timeout=10,hard_timeout=20,send_flow_rem,check_overlap,reset_counts,no_packet_counts,no_byte_counts,actions=drop",
        r"ADD table:1 priority=5 cookie:0x5 idle:10 hard:20 send_flow_rem check_overlap reset_counts no_packet_counts no_byte_counts actions=drop",
    ),
    (r"priority=0x8000,actions=output:1", r"ADD actions=output:1"),
    (
        r"priority=0,actions=CONTROLLER:65535",
        r"ADD priority=0 actions=CONTROLLER:65535",
    ),
    (
        r"in_port=LOCAL,actions=output:in_port",
        r"ADD in_port=LOCAL actions=IN_PORT",
    ),
    (
        r"in_port=CONTROLLER,actions=drop",
        r"ADD in_port=CONTROLLER actions=drop",
    ),
    (
        r"in_port=1,dl_src=00:11:22:33:44:55,actions=output:2",
        r"ADD in_port=1,dl_src=00:11:22:33:44:55 actions=output:2",
    ),
    (
        r"metadata=0x5,reg0=5,reg1=0x10/0xff,reg7=0xffffffff,actions=drop",
        r"ADD reg0=0x5,reg1=0x10/0xff,reg7=0xffffffff,metadata=0x5 actions=drop",
    ),
    (
        r"reg0=0/0xff,metadata=0/0xff,tun_id=0/0xff,dl_type=0,actions=drop",
        r"ADD reg0=0/0xff,tun_id=0/0xff,metadata=0/0xff,dl_type=0x0000 actions=drop",
    ),
    (
        r"metadata=0x1234567890abcdef/0xffffffff00000000,actions=drop",
        r"ADD metadata=0x1234567800000000/0xffffffff00000000 actions=drop",
    ),
    (
        r"tun_id=0x2a,tun_src=1.2.3.4,tun_dst=5.6.7.0/24,actions=drop",
        r"ADD tun_id=0x2a,tun_src=1.2.3.4,tun_dst=5.6.7.0/24 actions=drop",
    ),
    (
        r"tunnel_id=42,actions=drop",
        r"ADD tun_id=0x2a actions=drop",
    ),
    (
        r"dl_src=00:11:22:33:44:55,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop",
        r"ADD dl_src=00:11:22:33:44:55,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=drop",
    ),
    (
        r"eth_src=00:11:22:33:44:55/ff:ff:ff:00:00:00,eth_dst=aa:bb:cc:dd:ee:ff,actions=drop",
        r"ADD dl_src=00:11:22:00:00:00/ff:ff:ff:00:00:00,dl_dst=aa:bb:cc:dd:ee:ff actions=drop",
    ),
    (
        r"dl_dst=ff:ff:ff:ff:ff:ff/fe:ff:ff:ff:ff:ff,actions=drop",
        r"ADD dl_dst=fe:ff:ff:ff:ff:ff/fe:ff:ff:ff:ff:ff actions=drop",
    ),
    (
        r"dl_type=0x88cc,actions=drop",
        r"ADD dl_type=0x88cc actions=drop",
    ),
    (r"eth_type=0x0800,actions=drop", r"ADD ip actions=drop"),
    (
        r"dl_type=0x86dd,nw_proto=58,actions=drop",
        r"ADD icmp6 actions=drop",
    ),
    (r"dl_type=0x8035,actions=drop", r"ADD rarp actions=drop"),
    (r"mplsm,actions=drop", r"ADD mplsm actions=drop"),
    (
        r"dl_vlan=0xffff,actions=drop",
        r"ADD vlan_tci=0x0000/0x1fff actions=drop",
    ),
    (r"dl_vlan=5,actions=drop", r"ADD dl_vlan=5 actions=drop"),
    (
        r"vlan_vid=5,actions=drop",
        r"ADD vlan_tci=0x0005/0x1fff actions=drop",
    ),
    (
        r"vlan_vid=0x1005,actions=drop",
        r"ADD dl_vlan=5 actions=drop",
    ),
    (
        r"vlan_vid=0x1000/0x1000,actions=drop",
        r"ADD vlan_tci=0x1000/0x1000 actions=drop",
    ),
    (
        r"vlan_vid=0x1000/0x1ff0,actions=drop",
        r"ADD vlan_tci=0x1000/0x1ff0 actions=drop",
    ),
    (
        r"vlan_tci=0x1000/0x1000,actions=drop",
        r"ADD vlan_tci=0x1000/0x1000 actions=drop",
    ),
    (
        r"vlan_tci=0x0000,actions=drop",
        r"ADD vlan_tci=0x0000/0x1fff actions=drop",
    ),
    (
        r"vlan_tci=0x3005,actions=drop",
        r"ADD dl_vlan=5,dl_vlan_pcp=1 actions=drop",
    ),
    (
        r"vlan_tci=0x1005/0x0fff,actions=drop",
        r"ADD vlan_tci=0x0005/0x0fff actions=drop",
    ),
    (
        r"vlan_tci=0xf005,actions=drop",
        r"ADD dl_vlan=5,dl_vlan_pcp=7 actions=drop",
    ),
    (
        r"dl_vlan_pcp=3,actions=drop",
        r"ADD dl_vlan_pcp=3 actions=drop",
    ),
    (
        r"dl_vlan=5,dl_vlan_pcp=3,actions=drop",
        r"ADD dl_vlan=5,dl_vlan_pcp=3 actions=drop",
    ),
    (
        r"vlan_pcp=3,actions=drop",
        r"ADD dl_vlan_pcp=3 actions=drop",
    ),
    (
        r"ip,nw_src=10.0.0.0/255.255.255.0,nw_dst=10.1.0.0/255.0.255.0,actions=drop",
        r"ADD ip,nw_src=10.0.0.0/24,nw_dst=10.0.0.0/255.0.255.0 actions=drop",
    ),
    (
        r"ip,ip_src=10.0.0.1,ip_dst=0.0.0.0/0,actions=drop",
        r"ADD ip,nw_src=10.0.0.1 actions=drop",
    ),
    (
        r"ip,tun_src=0.0.0.0,nw_src=0.0.0.0,nw_ttl=0,actions=drop",
        r"ADD ip,tun_src=0.0.0.0,nw_src=0.0.0.0,nw_ttl=0 actions=drop",
    ),
    (
        r"arp,arp_spa=10.0.0.0/8,arp_tpa=10.0.0.1,arp_sha=00:11:22:33:44:55,arp_tha=ff:ff:ff:ff:ff:ff,arp_op=1,actions=drop",
        r"ADD arp,arp_spa=10.0.0.0/8,arp_tpa=10.0.0.1,arp_op=1,arp_sha=00:11:22:33:44:55,arp_tha=ff:ff:ff:ff:ff:ff actions=drop",
    ),
    (
        r"arp,nw_src=10.0.0.1,nw_proto=2,actions=drop",
        r"ADD arp,arp_spa=10.0.0.1,arp_op=2 actions=drop",
    ),
    (
        r"rarp,arp_op=3,actions=drop",
        r"ADD rarp,arp_op=3 actions=drop",
    ),
    (
        r"ip,nw_proto=47,actions=drop",
        r"ADD ip,nw_proto=47 actions=drop",
    ),
    (r"ip,ip_proto=6,actions=drop", r"ADD tcp actions=drop"),
    (r"ip,tcp,actions=drop", r"ADD tcp actions=drop"),
    (r"tcp,nw_proto=6,actions=drop", r"ADD tcp actions=drop"),
    (
        r"ip,nw_tos=32,nw_ecn=3,nw_ttl=64,actions=drop",
        r"ADD ip,nw_tos=32,nw_ecn=3,nw_ttl=64 actions=drop",
    ),
    (
        r"ip,ip_dscp=8,ip_ecn=1,actions=drop",
        r"ADD ip,nw_tos=32,nw_ecn=1 actions=drop",
    ),
    (
        r"ip,nw_tos=33,actions=drop",
        r"ADD ip,nw_tos=32 actions=drop",
    ),
    (
        r"ip,ip_frag=no,actions=drop",
        r"ADD ip,nw_frag=no actions=drop",
    ),
    (
        r"ip,ip_frag=yes,actions=drop",
        r"ADD ip,nw_frag=yes actions=drop",
    ),
    (
        r"ip,ip_frag=first,actions=drop",
        r"ADD ip,nw_frag=first actions=drop",
    ),
    (
        r"ip,ip_frag=later,actions=drop",
        r"ADD ip,nw_frag=later actions=drop",
    ),
    (
        r"ipv6,ip_frag=not_later,actions=drop",
        r"ADD ipv6,nw_frag=not_later actions=drop",
    ),
    (
        r"ipv6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::/32,ipv6_label=0x12345,actions=drop",
        r"ADD ipv6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::/32,ipv6_label=0x12345 actions=drop",
    ),
    (
        r"ipv6,ipv6_src=2001:db8::/ffff:ffff::ff,ipv6_label=0x5/0xf,actions=drop",
        r"ADD ipv6,ipv6_src=2001:db8::/ffff:ffff::ff,ipv6_label=0x00005/0x0000f actions=drop",
    ),
    (
        r"ipv6,ipv6_label=0,actions=drop",
        r"ADD ipv6,ipv6_label=0x00000 actions=drop",
    ),
    (
        r"ipv6,ipv6_src=::,ipv6_dst=::/0,actions=drop",
        r"ADD ipv6,ipv6_src=:: actions=drop",
    ),
    (
        r"ipv6,ipv6_src=::1/127,ipv6_dst=fe80::1:2:3:4/64,actions=drop",
        r"ADD ipv6,ipv6_src=::/127,ipv6_dst=fe80::/64 actions=drop",
    ),
    (
        r"ipv6,ipv6_src=2001:0db8:0000:0000:0000:ff00:0042:8329,actions=drop",
        r"ADD ipv6,ipv6_src=2001:db8::ff00:42:8329 actions=drop",
    ),
    (
        r"ipv6,ipv6_src=::ffff:1.2.3.4,ipv6_dst=::1.2.3.4,actions=drop",
        r"ADD ipv6,ipv6_src=::ffff:1.2.3.4,ipv6_dst=::1.2.3.4 actions=drop",
    ),
    (
        r"ipv6,ipv6_src=1:0:0:2:0:0:0:3,ipv6_dst=1:0:0:2:0:0:3:4,actions=drop",
        r"ADD ipv6,ipv6_src=1:0:0:2::3,ipv6_dst=1::2:0:0:3:4 actions=drop",
    ),
    (
        r"tcp,tp_src=80,tp_dst=0x100/0xff00,actions=drop",
        r"ADD tcp,tp_src=80,tp_dst=0x100/0xff00 actions=drop",
    ),
    (
        r"tcp,tcp_src=80,tcp_dst=443,actions=drop",
        r"ADD tcp,tp_src=80,tp_dst=443 actions=drop",
    ),
    (
        r"tcp,tp_src=0/0xff,actions=drop",
        r"ADD tcp,tp_src=0x0/0xff actions=drop",
    ),
    (
        r"udp,udp_src=53,udp_dst=0x35/0xffff,actions=drop",
        r"ADD udp,tp_src=53,tp_dst=53 actions=drop",
    ),
    (
        r"tp_dst=80,udp,actions=drop",
        r"ADD udp,tp_dst=80 actions=drop",
    ),
    (
        r"sctp,sctp_src=1,sctp_dst=2,actions=drop",
        r"ADD sctp,tp_src=1,tp_dst=2 actions=drop",
    ),
    (
        r"tcp6,tp_dst=22,actions=drop",
        r"ADD tcp6,tp_dst=22 actions=drop",
    ),
    (r"udp6,actions=drop", r"ADD udp6 actions=drop"),
    (r"sctp6,actions=drop", r"ADD sctp6 actions=drop"),
    (
        r"icmp,icmp_type=8,icmp_code=0,actions=drop",
        r"ADD icmp,icmp_type=8,icmp_code=0 actions=drop",
    ),
    (
        r"icmp,tp_dst=3,actions=drop",
        r"ADD icmp,icmp_code=3 actions=drop",
    ),
    (
        r"icmp6,icmp_type=1,icmp_code=2,actions=drop",
        r"ADD icmp6,icmp_type=1,icmp_code=2 actions=drop",
    ),
    (
        r"icmp6,icmpv6_type=135,nd_target=2001:db8::1,nd_sll=00:11:22:33:44:55,actions=drop",
        r"ADD icmp6,icmp_type=135,nd_target=2001:db8::1,nd_sll=00:11:22:33:44:55 actions=drop",
    ),
    (
        r"icmp6,icmpv6_type=136,icmpv6_code=0,nd_target=2001:db8::/64,nd_tll=00:11:22:33:44:55,actions=drop",
        r"ADD icmp6,icmp_type=136,icmp_code=0,nd_target=2001:db8::/64,nd_tll=00:11:22:33:44:55 actions=drop",
    ),
    (
        r"tcp,tcp_flags=+syn-ack,actions=drop",
        r"ADD tcp,tcp_flags=+syn-ack actions=drop",
    ),
    (
        r"tcp,tcp_flags=syn|ack,actions=drop",
        r"ADD tcp,tcp_flags=syn|ack actions=drop",
    ),
    (
        r"tcp,tcp_flags=0x12,actions=drop",
        r"ADD tcp,tcp_flags=syn|ack actions=drop",
    ),
    (
        r"tcp,tcp_flags=0x12/0x12,actions=drop",
        r"ADD tcp,tcp_flags=+syn+ack actions=drop",
    ),
    (
        r"tcp,tcp_flags=0/0x12,actions=drop",
        r"ADD tcp,tcp_flags=-syn-ack actions=drop",
    ),
    (
        r"tcp,tcp_flags=0,actions=drop",
        r"ADD tcp,tcp_flags=0 actions=drop",
    ),
    (
        r"tcp,tcp_flags=+fin+syn+rst+psh+ack+urg+ece+cwr+ns,actions=drop",
        r"ADD tcp,tcp_flags=+fin+syn+rst+psh+ack+urg+ece+cwr+ns actions=drop",
    ),
    (
        r"tcp,tcp_flags=0x200/0x200,actions=drop",
        r"ADD tcp,tcp_flags=+[200] actions=drop",
    ),
    (
        r"tcp,tcp_flags=0xa00,actions=drop",
        r"ADD tcp,tcp_flags=[200]|[800] actions=drop",
    ),
    (
        r"tcp6,tcp_flags=+fin,actions=drop",
        r"ADD tcp6,tcp_flags=+fin actions=drop",
    ),
    (
        r"actions=output:1,2,in_port,IN_PORT,all,flood,local,normal,controller,LOCAL,table",
        r"ADD actions=output:1,output:2,IN_PORT,IN_PORT,ALL,FLOOD,LOCAL,NORMAL,CONTROLLER:65535,LOCAL,TABLE",
    ),
    (r"actions=controller:100", r"ADD actions=CONTROLLER:100"),
    (
        r"actions=controller(max_len=200)",
        r"ADD actions=CONTROLLER:200",
    ),
    (
        r"actions=CONTROLLER(max_len=5)",
        r"ADD actions=CONTROLLER:5",
    ),
    (r"actions=controller()", r"ADD actions=CONTROLLER:65535"),
    (
        r"actions=output:CONTROLLER",
        r"ADD actions=CONTROLLER:65535",
    ),
    (r"actions=drop", r"ADD actions=drop"),
    (r"actions=", r"ADD actions=drop"),
    (
        r"actions=group:5,set_queue:3",
        r"ADD actions=group:5,set_queue:3",
    ),
    (
        r"actions=mod_vlan_vid:5",
        r"ADD actions=push_vlan:0x8100,set_field:4101->vlan_vid",
    ),
    (
        r"dl_vlan=3,actions=mod_vlan_vid:5",
        r"ADD dl_vlan=3 actions=set_field:4101->vlan_vid",
    ),
    (
        r"vlan_tci=0x1000/0x1000,actions=mod_vlan_vid:5,mod_vlan_pcp:3",
        r"ADD vlan_tci=0x1000/0x1000 actions=set_field:4101->vlan_vid,set_field:3->vlan_pcp",
    ),
    (
        r"actions=mod_vlan_pcp:3",
        r"ADD actions=push_vlan:0x8100,set_field:3->vlan_pcp",
    ),
    (
        r"dl_vlan=5,actions=strip_vlan",
        r"ADD dl_vlan=5 actions=pop_vlan",
    ),
    (
        r"actions=push_vlan:0x88a8,set_field:5->vlan_pcp",
        r"ADD actions=push_vlan:0x88a8,set_field:5->vlan_pcp",
    ),
    (
        r"actions=push_vlan:0x8100,mod_vlan_vid:7",
        r"ADD actions=push_vlan:0x8100,set_field:4103->vlan_vid",
    ),
    (
        r"actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:66:77:88:99:aa:bb",
        r"ADD actions=set_field:00:11:22:33:44:55->eth_src,set_field:66:77:88:99:aa:bb->eth_dst",
    ),
    (
        r"ip,actions=mod_nw_src:10.0.0.1,mod_nw_dst:10.0.0.2,mod_nw_tos:32,mod_nw_ecn:2,mod_nw_ttl:9,dec_ttl",
        r"ADD ip actions=set_field:10.0.0.1->ip_src,set_field:10.0.0.2->ip_dst,set_field:8->ip_dscp,set_field:2->nw_ecn,mod_nw_ttl:9,dec_ttl",
    ),
    (
        r"tcp,actions=mod_tp_src:1,mod_tp_dst:2",
        r"ADD tcp actions=set_field:1->tcp_src,set_field:2->tcp_dst",
    ),
    (
        r"udp,actions=mod_tp_src:1,mod_tp_dst:2",
        r"ADD udp actions=set_field:1->udp_src,set_field:2->udp_dst",
    ),
    (
        r"sctp,actions=mod_tp_src:1",
        r"ADD sctp actions=set_field:1->sctp_src",
    ),
    (
        r"actions=set_field:0x2a->tun_id,set_field:5->reg0,set_field:1->metadata",
        r"ADD actions=set_field:0x2a->tun_id,set_field:0x5->reg0,set_field:0x1->metadata",
    ),
    (
        r"actions=set_field:00:11:22:33:44:55->dl_src",
        r"ADD actions=set_field:00:11:22:33:44:55->eth_src",
    ),
    (
        r"actions=set_field:1.2.3.4->tun_src,set_field:1.2.3.5->tun_dst,set_field:7->reg7",
        r"ADD actions=set_field:1.2.3.4->tun_src,set_field:1.2.3.5->tun_dst,set_field:0x7->reg7",
    ),
    (
        r"dl_vlan=1,actions=set_field:4100->vlan_vid,set_field:0x1005->vlan_vid,set_field:2->vlan_pcp",
        r"ADD dl_vlan=1 actions=set_field:4100->vlan_vid,set_field:4101->vlan_vid,set_field:2->vlan_pcp",
    ),
    (
        r"ip,actions=set_field:5->ip_dscp,set_field:1->ip_ecn,set_field:1->nw_ecn,set_field:9->nw_ttl",
        r"ADD ip actions=set_field:5->ip_dscp,set_field:1->nw_ecn,set_field:1->nw_ecn,set_field:9->nw_ttl",
    ),
    (
        r"tcp,actions=set_field:80->tcp_dst,set_field:81->tp_dst",
        r"ADD tcp actions=set_field:80->tcp_dst,set_field:81->tcp_dst",
    ),
    (
        r"icmp,actions=set_field:8->icmp_type,set_field:0->icmp_code",
        r"ADD icmp actions=set_field:8->icmp_type,set_field:0->icmp_code",
    ),
    (
        r"arp,actions=set_field:2->arp_op,set_field:1.1.1.1->arp_spa,set_field:2.2.2.2->arp_tpa,set_field:00:00:00:00:00:01->arp_sha,set_field:00:00:00:00:00:02->arp_tha",
        r"ADD arp actions=set_field:2->arp_op,set_field:1.1.1.1->arp_spa,set_field:2.2.2.2->arp_tpa,set_field:00:00:00:00:00:01->arp_sha,set_field:00:00:00:00:00:02->arp_tha",
    ),
    (
        r"ipv6,actions=set_field:::1->ipv6_src,set_field:2001:db8::1->ipv6_dst,set_field:0x12345->ipv6_label",
        r"ADD ipv6 actions=set_field:::1->ipv6_src,set_field:2001:db8::1->ipv6_dst,set_field:0x12345->ipv6_label",
    ),
    (
        r"icmp6,actions=set_field:135->icmpv6_type,set_field:0->icmpv6_code",
        r"ADD icmp6 actions=set_field:135->icmpv6_type,set_field:0->icmpv6_code",
    ),
    (
        r"icmp6,icmp_type=135,actions=set_field:::1->nd_target,set_field:00:00:00:00:00:01->nd_sll",
        r"ADD icmp6,icmp_type=135 actions=set_field:::1->nd_target,set_field:00:00:00:00:00:01->nd_sll",
    ),
    (
        r"icmp6,icmp_type=136,actions=set_field:00:00:00:00:00:01->nd_tll",
        r"ADD icmp6,icmp_type=136 actions=set_field:00:00:00:00:00:01->nd_tll",
    ),
    (
        r"actions=push_mpls:0x8847,set_mpls_ttl(5),pop_mpls:0x0800",
        r"ADD actions=push_mpls:0x8847,set_mpls_ttl(5),pop_mpls:0x0800",
    ),
    (r"actions=push_mpls:0x8848", r"ADD actions=push_mpls:0x8848"),
    (
        r"dl_type=0x8847,actions=pop_mpls:0x86dd,dec_ttl",
        r"ADD mpls actions=pop_mpls:0x86dd,dec_ttl",
    ),
    (
        r"dl_type=0x8847,actions=dec_mpls_ttl,set_mpls_ttl:9",
        r"ADD mpls actions=dec_mpls_ttl,set_mpls_ttl(9)",
    ),
    (
        r"actions=meter:2,output:1,clear_actions,write_actions(output:1,group:2),write_metadata:0x5,goto_table:3",
        r"ADD actions=meter:2,output:1,clear_actions,write_actions(output:1,group:2),write_metadata:0x5,goto_table:3",
    ),
    (
        r"actions=write_actions(output:1,output:2)",
        r"ADD actions=write_actions(output:1,output:2)",
    ),
    (
        r"actions=write_actions(set_field:1->reg0,pop_vlan,push_vlan:0x8100,dec_ttl)",
        r"ADD actions=write_actions(set_field:0x1->reg0,pop_vlan,push_vlan:0x8100,dec_ttl)",
    ),
    (
        r"actions=write_metadata:0x5/0x0",
        r"ADD actions=write_metadata:0x5/0",
    ),
    (
        r"actions=write_metadata:0x5/0xffffffffffffffff",
        r"ADD actions=write_metadata:0x5",
    ),
    (
        r"table=3,actions=goto_table:4",
        r"ADD table:3 actions=goto_table:4",
    ),
    (r"actions=goto_table:254", r"ADD actions=goto_table:254"),
    (r"actions=meter:4294901760", r"ADD actions=meter:4294901760"),
    (
        r"actions=set_tunnel:5,set_tunnel64:6",
        r"ADD actions=set_field:0x5->tun_id,set_field:0x6->tun_id",
    ),
    (
        r"actions=load:5->NXM_NX_REG0[],load:0x2a->NXM_NX_TUN_ID[],load:0x1->OXM_OF_METADATA[]",
        // OVS: "ADD actions=load:0x5->NXM_NX_REG0[],load:0x2a->NXM_NX_TUN_ID[],load:0x1->OXM_OF_METADATA[]".
        // Whole-field load and set_field are one OpenFlow 1.3 action in our model,
        // so it prints as set_field (deliberate).
        r"ADD actions=set_field:0x5->reg0,set_field:0x2a->tun_id,set_field:0x1->metadata",
    ),
    (
        r"ip,actions=load:0x0a000001->NXM_OF_IP_DST[]",
        // OVS: "ADD ip actions=load:0xa000001->NXM_OF_IP_DST[]" (as above, deliberate).
        r"ADD ip actions=set_field:10.0.0.1->ip_dst",
    ),
    (r"ip, actions = drop", r"ADD ip actions=drop"),
    (
        r"ip actions=output:1 , output:2",
        r"ADD ip actions=output:1,output:2",
    ),
    (r"ip action=drop", r"ADD ip actions=drop"),
    (
        r"cookie=0x1234567890abcdef,actions=drop",
        r"ADD cookie:0x1234567890abcdef actions=drop",
    ),
    (r"in_port=1 actions=drop", r"ADD in_port=1 actions=drop"),
];

#[test]
fn prints_like_ovs_ofctl() {
    for (input, ovs) in OVS_CORPUS {
        let fm = add(input);
        assert_eq!(ofp_print(&fm, N), *ovs, "input: {input}");
        // And what we print parses back to the same flow mod.
        let again = format_flow_mod(&fm, N);
        assert_eq!(
            parse_flow_mod(&again, FlowModCommand::Add, N),
            Ok(fm),
            "{input} printed as {again}"
        );
    }
    assert!(OVS_CORPUS.len() >= 40);
}

/// mod-flows / del-flows lines, as ovs-ofctl sends them to a switch
/// (captured from `ovs-ofctl -O OpenFlow13 mod-flows|del-flows SWITCH LINE`
/// against a stub switch and decoded with `ovs-ofctl ofp-print`).
#[test]
fn modify_and_delete_like_ovs_ofctl() {
    use FlowModCommand::*;
    let cases: &[(FlowModCommand, &str, &str)] = &[
        (Modify, "ip,actions=output:1", "MOD ip actions=output:1"),
        (
            Modify,
            "table=2,ip,actions=output:1",
            "MOD table:2 ip actions=output:1",
        ),
        (
            Modify,
            "cookie=0x5/0xff,ip,actions=output:1",
            "MOD ip cookie:0x5/0xff actions=output:1",
        ),
        (
            Modify,
            "cookie=0x5/-1,ip,actions=output:1",
            "MOD ip cookie:0x5/0xffffffffffffffff actions=output:1",
        ),
        (Delete, "ip", "DEL table:255 ip actions=drop"),
        (Delete, "", "DEL table:255 actions=drop"),
        (
            Delete,
            "cookie=0x5/-1",
            "DEL table:255 cookie:0x5/0xffffffffffffffff actions=drop",
        ),
        (
            Delete,
            "out_port=2",
            "DEL table:255 out_port:2 actions=drop",
        ),
        (
            DeleteStrict,
            "table=1,priority=5,tcp,tp_dst=80,out_port=LOCAL",
            "DEL_STRICT table:1 priority=5,tcp,tp_dst=80 out_port:LOCAL actions=drop",
        ),
        // OVS: "MOD ip actions=output:1": an OpenFlow 1.3 modify cannot
        // carry a new cookie, so OVS drops it on the wire; we keep it.
        (
            Modify,
            "cookie=0x5,ip,actions=output:1",
            "MOD ip cookie:0x5 actions=output:1",
        ),
        // OVS requires actions; an empty mod-flows line means every flow
        // (with no instructions) here.
        (Modify, "", "MOD actions=drop"),
    ];
    for (cmd, input, ovs) in cases {
        let fm = parse_flow_mod(input, *cmd, N).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(ofp_print(&fm, N), *ovs, "input: {input}");
        let again = format_flow_mod(&fm, N);
        assert_eq!(parse_flow_mod(&again, *cmd, N), Ok(fm), "{again}");
    }
    let d = parse_flow_mod("", Delete, N).unwrap();
    assert_eq!(d.table_id, TABLE_ALL);
    assert_eq!(d.match_, FlowMatch::ANY);
    assert_eq!(
        parse_flow_mod(" ", DeleteStrict, N).unwrap().table_id,
        TABLE_ALL
    );
}

#[test]
fn flow_mod_keywords() {
    let fm = add("table=1,priority=5,cookie=0x5,idle_timeout=10,hard_timeout=20,send_flow_rem,check_overlap,reset_counts,no_packet_counts,no_byte_counts,buffer_id=7,ip actions=drop");
    assert_eq!(fm.table_id, 1);
    assert_eq!(fm.priority, 5);
    assert_eq!((fm.cookie, fm.cookie_mask), (5, 0));
    assert_eq!((fm.idle_timeout, fm.hard_timeout), (10, 20));
    assert_eq!(fm.flags, 0x1f);
    assert_eq!(fm.buffer_id, 7);
    assert_eq!(fm.match_, matching(&[IP]));
    assert!(fm.instructions.is_empty());
    assert_eq!(
        format_flow_mod(&fm, N),
        "cookie=0x5, table=1, idle_timeout=10, hard_timeout=20, send_flow_rem check_overlap reset_counts no_packet_counts no_byte_counts buffer_id=0x7, priority=5,ip actions=drop"
    );
    let d = parse_flow_mod(
        "table=3,cookie=0x1/0xff,out_port=LOCAL,out_group=7,tcp",
        FlowModCommand::Delete,
        N,
    )
    .unwrap();
    assert_eq!(d.table_id, 3);
    assert_eq!((d.cookie, d.cookie_mask), (1, 0xff));
    assert_eq!(d.out_port, PortNo::LOCAL);
    assert_eq!(d.out_group, 7);
    assert_eq!(d.buffer_id, NO_BUFFER);
    assert_eq!(
        format_flow_mod(&d, N),
        "cookie=0x1/0xff, table=3, out_port=LOCAL, out_group=7, tcp"
    );
    // Statistics pasted from dump-flows are ignored, as by ovs-ofctl.
    let fm = add(" cookie=0x0, duration=5.123s, table=0, n_packets=3, n_bytes=180, idle_age=2, priority=10,ip actions=drop");
    assert_eq!(fm.priority, 10);
    // The brief's example format.
    let fm = add("table=0,priority=100,ip,nw_dst=10.0.0.0/24,actions=set_field:02:00:00:00:00:01->eth_dst,dec_ttl,output:2");
    assert_eq!(
        format_flow_mod(&fm, N),
        "table=0, priority=100,ip,nw_dst=10.0.0.0/24 actions=set_field:02:00:00:00:00:01->eth_dst,dec_ttl,output:2"
    );
}

// ---------------------------------------------------------------------
// Every match field.

#[test]
fn match_fields() {
    use Field as F;
    type Expected<'a> = &'a [(Field, u128, u128)];
    let cases: &[(&str, Expected)] = &[
        ("in_port=1", &[(F::InPort, 1, E32)]),
        ("in_port=LOCAL", &[(F::InPort, 0xffff_fffe, E32)]),
        ("in_port=controller", &[(F::InPort, 0xffff_fffd, E32)]),
        ("in_port=0xffffff00", &[(F::InPort, 0xffff_ff00, E32)]),
        ("metadata=0x5/0xff", &[(F::Metadata, 5, 0xff)]),
        ("metadata=18446744073709551615", &[(F::Metadata, E64, E64)]),
        ("reg0=5", &[(F::Reg0, 5, E32)]),
        (
            "reg3=0x10/0xf0,reg7=0xffffffff",
            &[(F::Reg3, 0x10, 0xf0), (F::Reg7, E32, E32)],
        ),
        ("tun_id=0x2a", &[(F::TunnelId, 0x2a, E64)]),
        ("tunnel_id=42/0xff", &[(F::TunnelId, 42, 0xff)]),
        ("tun_src=1.2.3.4", &[(F::TunIpv4Src, 0x0102_0304, E32)]),
        (
            "tun_dst=5.6.7.0/24",
            &[(F::TunIpv4Dst, 0x0506_0700, 0xffff_ff00)],
        ),
        (
            "dl_src=00:11:22:33:44:55",
            &[(F::EthSrc, 0x0011_2233_4455, E48)],
        ),
        ("eth_src=0:1:2:3:4:5", &[(F::EthSrc, 0x0001_0203_0405, E48)]),
        (
            "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
            &[(F::EthDst, 0x0100_0000_0000, 0x0100_0000_0000)],
        ),
        (
            "eth_dst=aa:bb:cc:dd:ee:ff/ff:ff:ff:00:00:00",
            &[(F::EthDst, 0xaabb_cc00_0000, 0xffff_ff00_0000)],
        ),
        ("dl_type=0x88cc", &[(F::EthType, 0x88cc, E16)]),
        ("eth_type=2048", &[IP]),
        ("dl_type=0x0800/0xffff", &[IP]),
        ("dl_vlan=5", &[(F::VlanVid, 0x1005, 0x1fff)]),
        ("dl_vlan=0xffff", &[(F::VlanVid, 0, 0x1fff)]),
        ("vlan_vid=0x1005", &[(F::VlanVid, 0x1005, 0x1fff)]),
        ("vlan_vid=0x1000/0x1000", &[(F::VlanVid, 0x1000, 0x1000)]),
        ("vlan_vid=5", &[(F::VlanVid, 5, 0x1fff)]),
        (
            "dl_vlan_pcp=3",
            &[(F::VlanPcp, 3, 7), (F::VlanVid, 0x1000, 0x1000)],
        ),
        (
            "vlan_pcp=3,dl_vlan=5",
            &[(F::VlanPcp, 3, 7), (F::VlanVid, 0x1005, 0x1fff)],
        ),
        (
            "vlan_tci=0xf005",
            &[(F::VlanVid, 0x1005, 0x1fff), (F::VlanPcp, 7, 7)],
        ),
        ("vlan_tci=0x1005/0x1fff", &[(F::VlanVid, 0x1005, 0x1fff)]),
        ("vlan_tci=0x1000/0x1000", &[(F::VlanVid, 0x1000, 0x1000)]),
        ("vlan_tci=0x0000", &[(F::VlanVid, 0, 0x1fff)]),
        ("vlan_tci=0x1005/0x0fff", &[(F::VlanVid, 5, 0xfff)]),
        (
            "ip,nw_src=10.0.0.0/24,nw_dst=10.1.2.3",
            &[
                IP,
                (F::Ipv4Src, 0x0a00_0000, 0xffff_ff00),
                (F::Ipv4Dst, 0x0a01_0203, E32),
            ],
        ),
        (
            "ip,ip_src=10.0.0.1/255.255.0.255,ip_dst=1.2.3.4/0",
            &[IP, (F::Ipv4Src, 0x0a00_0001, 0xffff_00ff)],
        ),
        ("ip,ipv4_dst=1.2.3.4", &[IP, (F::Ipv4Dst, 0x0102_0304, E32)]),
        (
            "arp,arp_spa=10.0.0.0/8,arp_tpa=10.0.0.1,arp_op=2",
            &[
                ARP,
                (F::ArpSpa, 0x0a00_0000, 0xff00_0000),
                (F::ArpTpa, 0x0a00_0001, E32),
                (F::ArpOp, 2, 0xff),
            ],
        ),
        (
            "arp,arp_sha=00:11:22:33:44:55,arp_tha=ff:ff:ff:ff:ff:ff/ff:00:00:00:00:00",
            &[
                ARP,
                (F::ArpSha, 0x0011_2233_4455, E48),
                (F::ArpTha, 0xff00_0000_0000, 0xff00_0000_0000),
            ],
        ),
        // ovs-ofctl's old names: nw_src / nw_proto mean the ARP fields for ARP.
        (
            "arp,nw_src=10.0.0.1,nw_proto=1",
            &[ARP, (F::ArpSpa, 0x0a00_0001, E32), (F::ArpOp, 1, 0xff)],
        ),
        (
            "rarp,arp_op=3",
            &[(F::EthType, 0x8035, E16), (F::ArpOp, 3, 0xff)],
        ),
        ("ip,nw_proto=47", &[IP, proto(47)]),
        ("ipv6,ip_proto=47", &[IP6, proto(47)]),
        ("ip,nw_tos=32", &[IP, (F::IpDscp, 8, 0x3f)]),
        ("ip,nw_tos=33", &[IP, (F::IpDscp, 8, 0x3f)]),
        ("ip,ip_dscp=63", &[IP, (F::IpDscp, 63, 0x3f)]),
        ("ip,nw_ecn=3", &[IP, (F::IpEcn, 3, 3)]),
        ("ipv6,ip_ecn=1", &[IP6, (F::IpEcn, 1, 3)]),
        ("ip,nw_ttl=64", &[IP, (F::NwTtl, 64, 0xff)]),
        ("ip,ip_frag=no", &[IP, (F::IpFrag, 0, 3)]),
        ("ip,ip_frag=yes", &[IP, (F::IpFrag, 1, 1)]),
        ("ip,nw_frag=first", &[IP, (F::IpFrag, 1, 3)]),
        ("ip,ip_frag=later", &[IP, (F::IpFrag, 3, 3)]),
        ("ipv6,ip_frag=not_later", &[IP6, (F::IpFrag, 0, 2)]),
        (
            "ipv6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::/32,ipv6_label=0x12345",
            &[
                IP6,
                (
                    F::Ipv6Src,
                    0x2001_0db8_0000_0000_0000_0000_0000_0001,
                    u128::MAX,
                ),
                (F::Ipv6Dst, 0x2001_0db8 << 96, 0xffff_ffff << 96),
                (F::Ipv6Label, 0x12345, 0xfffff),
            ],
        ),
        (
            "ipv6,ipv6_src=::1/ffff::1,ipv6_label=0x5/0xf",
            &[
                IP6,
                (F::Ipv6Src, 1, (0xffff << 112) | 1),
                (F::Ipv6Label, 5, 0xf),
            ],
        ),
        (
            "tcp,tp_src=80,tp_dst=0x100/0xff00",
            &[
                IP,
                proto(6),
                (F::TcpSrc, 80, E16),
                (F::TcpDst, 0x100, 0xff00),
            ],
        ),
        (
            "tcp,tcp_src=1,tcp_dst=2",
            &[IP, proto(6), (F::TcpSrc, 1, E16), (F::TcpDst, 2, E16)],
        ),
        ("udp,udp_src=53", &[IP, proto(17), (F::UdpSrc, 53, E16)]),
        ("tp_dst=53,udp", &[IP, proto(17), (F::UdpDst, 53, E16)]),
        (
            "sctp,sctp_dst=9/0xf",
            &[IP, proto(132), (F::SctpDst, 9, 0xf)],
        ),
        ("sctp6,tp_src=1", &[IP6, proto(132), (F::SctpSrc, 1, E16)]),
        ("tcp6,tcp_dst=22", &[IP6, proto(6), (F::TcpDst, 22, E16)]),
        ("udp6,udp_dst=22", &[IP6, proto(17), (F::UdpDst, 22, E16)]),
        (
            "tcp,tcp_flags=+syn-ack",
            &[IP, proto(6), (F::TcpFlags, 2, 0x12)],
        ),
        (
            "tcp,tcp_flags=syn|ack",
            &[IP, proto(6), (F::TcpFlags, 0x12, 0xfff)],
        ),
        (
            "tcp,tcp_flags=0x12/0x12",
            &[IP, proto(6), (F::TcpFlags, 0x12, 0x12)],
        ),
        ("tcp,tcp_flags=0", &[IP, proto(6), (F::TcpFlags, 0, 0xfff)]),
        (
            "tcp,tcp_flags=+[200]-ns",
            &[IP, proto(6), (F::TcpFlags, 0x200, 0x300)],
        ),
        (
            "icmp,icmp_type=8,icmp_code=0",
            &[
                IP,
                proto(1),
                (F::Icmpv4Type, 8, 0xff),
                (F::Icmpv4Code, 0, 0xff),
            ],
        ),
        ("icmp,tp_src=3", &[IP, proto(1), (F::Icmpv4Type, 3, 0xff)]),
        (
            "icmp,icmpv4_code=3",
            &[IP, proto(1), (F::Icmpv4Code, 3, 0xff)],
        ),
        (
            "icmp6,icmp_type=135,nd_target=2001:db8::1,nd_sll=00:11:22:33:44:55",
            &[
                IP6,
                proto(58),
                (F::Icmpv6Type, 135, 0xff),
                (
                    F::Ipv6NdTarget,
                    0x2001_0db8_0000_0000_0000_0000_0000_0001,
                    u128::MAX,
                ),
                (F::Ipv6NdSll, 0x0011_2233_4455, E48),
            ],
        ),
        (
            "icmp6,icmpv6_type=136,icmpv6_code=0,nd_tll=00:11:22:33:44:55/ff:ff:ff:00:00:00",
            &[
                IP6,
                proto(58),
                (F::Icmpv6Type, 136, 0xff),
                (F::Icmpv6Code, 0, 0xff),
                (F::Ipv6NdTll, 0x0011_2200_0000, 0xffff_ff00_0000),
            ],
        ),
        // Shorthands.
        ("ip", &[IP]),
        ("ipv6", &[IP6]),
        ("arp", &[ARP]),
        ("rarp", &[(F::EthType, 0x8035, E16)]),
        ("mpls", &[(F::EthType, 0x8847, E16)]),
        ("mplsm", &[(F::EthType, 0x8848, E16)]),
        ("icmp", &[IP, proto(1)]),
        ("tcp", &[IP, proto(6)]),
        ("udp", &[IP, proto(17)]),
        ("sctp", &[IP, proto(132)]),
        ("icmp6", &[IP6, proto(58)]),
        ("tcp6", &[IP6, proto(6)]),
        ("udp6", &[IP6, proto(17)]),
        ("sctp6", &[IP6, proto(132)]),
        ("ip,tcp,nw_proto=6,dl_type=0x800", &[IP, proto(6)]),
        ("", &[]),
    ];
    for (input, fields) in cases {
        let m = parse_match(input, N).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(m, matching(fields), "{input}");
        // Printed and parsed back: the same match.
        let printed = format_match(&m, N);
        assert_eq!(
            parse_match(&printed, N),
            Ok(m),
            "{input} printed as {printed}"
        );
    }
}

#[test]
fn port_names() {
    let m = parse_match("in_port=eth1", &Names).unwrap();
    assert_eq!(m, matching(&[(Field::InPort, 2, E32)]));
    assert_eq!(format_match(&m, &Names), "in_port=eth1");
    assert_eq!(format_match(&m, N), "in_port=2");
    let m = parse_match("in_port=\"my port\"", &Names).unwrap();
    assert_eq!(format_match(&m, &Names), "in_port=\"my port\"");
    // A name that looks like a number is quoted when printed.
    let fm = parse_flow_mod(
        "in_port=\"10g\",actions=output:eth0,\"my port\",output:\"10g\"",
        FlowModCommand::Add,
        &Names,
    )
    .unwrap();
    assert_eq!(
        fm.instructions,
        vec![Instruction::ApplyActions(vec![out(1), out(3), out(4)])]
    );
    let s = format_flow_mod(&fm, &Names);
    assert_eq!(
        s,
        "table=0, in_port=\"10g\" actions=output:eth0,output:\"my port\",output:\"10g\""
    );
    assert_eq!(parse_flow_mod(&s, FlowModCommand::Add, &Names), Ok(fm));
    // Columns count characters: "é" is two bytes.
    let e = parse_match("in_port=\"é\",ip,foo=1", &Names).unwrap_err();
    assert_eq!((e.column, e.message.as_str()), (16, "unknown field 'foo'"));
    let m = parse_match("in_port=é", &Names).unwrap();
    assert_eq!(format_match(&m, &Names), "in_port=\"é\"");
    // Names that start with a digit need no quotes when parsing.
    assert_eq!(
        parse_match("in_port=10g", &Names),
        Ok(matching(&[(Field::InPort, 4, E32)]))
    );
    assert_eq!(
        parse_flow_mod("actions=10g", FlowModCommand::Add, &Names)
            .unwrap()
            .instructions,
        apply(vec![out(4)])
    );
    let e = parse_match("in_port=10x", &Names).unwrap_err();
    assert_eq!(
        (e.column, e.message.as_str()),
        (9, "unknown port 10x after in_port=")
    );
    let e = parse_match("in_port=eth9", &Names).unwrap_err();
    assert_eq!(e.column, 9);
    assert_eq!(e.message, "unknown port eth9 after in_port=");
}

#[test]
fn packets() {
    let k = parse_packet("in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80", N).unwrap();
    assert_eq!(k.get(Field::InPort), 1);
    assert_eq!(k.get(Field::EthType), 0x0800);
    assert_eq!(k.get(Field::IpProto), 6);
    assert_eq!(k.get(Field::Ipv4Src), 0x0a00_0001);
    assert_eq!(k.get(Field::Ipv4Dst), 0x0a00_0002);
    assert_eq!(k.get(Field::TcpDst), 80);
    assert_eq!(k.get(Field::TcpSrc), 0);
    let k = parse_packet("dl_vlan=5,dl_vlan_pcp=2,ip,ip_frag=later,nw_tos=8", N).unwrap();
    assert_eq!(k.get(Field::VlanVid), 0x1005);
    assert_eq!(k.get(Field::VlanPcp), 2);
    assert_eq!(k.get(Field::IpFrag), 3);
    assert_eq!(k.get(Field::IpDscp), 2);
    let k = parse_packet("vlan_tci=0x0000,arp,arp_op=1,tcp_flags=syn", N);
    assert_eq!(
        k.unwrap_err(),
        SyntaxError {
            column: 30,
            message: "tcp_flags requires ip_proto=6 (add 'tcp')".into()
        }
    );
    for (input, column, message) in [
        (
            "ip,nw_dst=10.0.0.0/24",
            11,
            "nw_dst=10.0.0.0/24 is not an exact value; a packet needs exact values",
        ),
        (
            "ip,ip_frag=yes",
            12,
            "ip_frag=yes is not an exact value; a packet needs exact values",
        ),
        (
            "tcp,tcp_flags=+syn",
            15,
            "tcp_flags=+syn is not an exact value; a packet needs exact values",
        ),
        (
            "tcp,tp_dst=99999",
            12,
            "value 99999 is too large for tp_dst, a 16-bit field",
        ),
    ] {
        let e = parse_packet(input, N).unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (column, message), "{input}");
    }
}

// ---------------------------------------------------------------------
// Every action and instruction.

fn out(p: u32) -> Action {
    Action::Output {
        port: PortNo(p),
        max_len: 0,
    }
}

fn set(field: Field, value: u128) -> Action {
    Action::SetField { field, value }
}

fn apply(a: Vec<Action>) -> Vec<Instruction> {
    vec![Instruction::ApplyActions(a)]
}

#[test]
fn actions() {
    use Action as A;
    use Field as F;
    let ctl = |max_len| A::Output {
        port: PortNo::CONTROLLER,
        max_len,
    };
    let reserved = |p: PortNo| A::Output {
        port: p,
        max_len: 0,
    };
    let cases: Vec<(&str, Vec<Instruction>)> = vec![
        ("actions=output:1", apply(vec![out(1)])),
        ("actions=2,OUTPUT:3", apply(vec![out(2), out(3)])),
        (
            "actions=in_port,IN_PORT,all,flood,local,normal,table,output:LOCAL",
            apply(vec![
                reserved(PortNo::IN_PORT),
                reserved(PortNo::IN_PORT),
                reserved(PortNo::ALL),
                reserved(PortNo::FLOOD),
                reserved(PortNo::LOCAL),
                reserved(PortNo::NORMAL),
                reserved(PortNo::TABLE),
                reserved(PortNo::LOCAL),
            ]),
        ),
        (
            "actions=controller,controller:100,controller(max_len=200),output:CONTROLLER,controller()",
            apply(vec![ctl(CML_NO_BUFFER), ctl(100), ctl(200), ctl(CML_NO_BUFFER), ctl(CML_NO_BUFFER)]),
        ),
        (
            "actions=controller:65509,controller(max_len=0xffff),controller:0",
            apply(vec![ctl(0xffe5), ctl(CML_NO_BUFFER), ctl(0)]),
        ),
        (
            "actions=output(port=CONTROLLER,max_len=64),output(port=3)",
            apply(vec![ctl(64), out(3)]),
        ),
        ("actions=drop", vec![]),
        ("actions=", vec![]),
        ("actions=group:5,set_queue:3", apply(vec![A::Group(5), A::SetQueue(3)])),
        (
            "actions=push_vlan:0x8100,pop_vlan,push_vlan:0x88a8",
            apply(vec![A::PushVlan(0x8100), A::PopVlan, A::PushVlan(0x88a8)]),
        ),
        ("dl_vlan=5,actions=strip_vlan", apply(vec![A::PopVlan])),
        (
            "actions=mod_vlan_vid:5",
            apply(vec![A::PushVlan(0x8100), set(F::VlanVid, 0x1005)]),
        ),
        ("dl_vlan=3,actions=mod_vlan_vid:5", apply(vec![set(F::VlanVid, 0x1005)])),
        (
            "actions=mod_vlan_pcp:5,mod_vlan_vid:4095",
            apply(vec![A::PushVlan(0x8100), set(F::VlanPcp, 5), set(F::VlanVid, 0x1fff)]),
        ),
        (
            "actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:66:77:88:99:aa:bb",
            apply(vec![set(F::EthSrc, 0x0011_2233_4455), set(F::EthDst, 0x6677_8899_aabb)]),
        ),
        (
            "ip,actions=mod_nw_src:10.0.0.1,mod_nw_dst:10.0.0.2,mod_nw_tos:32,mod_nw_ecn:2,mod_nw_ttl:9,dec_ttl",
            apply(vec![
                set(F::Ipv4Src, 0x0a00_0001),
                set(F::Ipv4Dst, 0x0a00_0002),
                set(F::IpDscp, 8),
                set(F::IpEcn, 2),
                A::SetNwTtl(9),
                A::DecNwTtl,
            ]),
        ),
        ("tcp,actions=mod_tp_src:1,mod_tp_dst:2", apply(vec![set(F::TcpSrc, 1), set(F::TcpDst, 2)])),
        ("udp6,actions=mod_tp_src:1,mod_tp_dst:2", apply(vec![set(F::UdpSrc, 1), set(F::UdpDst, 2)])),
        ("sctp,actions=mod_tp_dst:2", apply(vec![set(F::SctpDst, 2)])),
        (
            "ip,actions=set_field:10.0.0.1->ip_dst,set_field:0x2a->tun_id,set_field:5->reg0,set_field:1.2.3.4->nw_src",
            apply(vec![
                set(F::Ipv4Dst, 0x0a00_0001),
                set(F::TunnelId, 0x2a),
                set(F::Reg0, 5),
                set(F::Ipv4Src, 0x0102_0304),
            ]),
        ),
        (
            "actions=set_field:02:00:00:00:00:01->eth_dst,set_field:1->metadata,set_field:9.9.9.9->tun_dst",
            apply(vec![set(F::EthDst, 0x0200_0000_0001), set(F::Metadata, 1), set(F::TunIpv4Dst, 0x0909_0909)]),
        ),
        (
            "dl_vlan=1,actions=set_field:4101->vlan_vid,set_field:2->vlan_pcp,set_field:7->dl_vlan",
            apply(vec![set(F::VlanVid, 0x1005), set(F::VlanPcp, 2), set(F::VlanVid, 0x1007)]),
        ),
        (
            "ipv6,actions=set_field:32->nw_tos,set_field:1->nw_ecn,set_field:9->nw_ttl,set_field:0x12345->ipv6_label,set_field:::1->ipv6_src",
            apply(vec![set(F::IpDscp, 8), set(F::IpEcn, 1), set(F::NwTtl, 9), set(F::Ipv6Label, 0x12345), set(F::Ipv6Src, 1)]),
        ),
        (
            "tcp,actions=set_field:80->tp_dst,set_field:81->tcp_src",
            apply(vec![set(F::TcpDst, 80), set(F::TcpSrc, 81)]),
        ),
        (
            "icmp6,icmp_type=136,actions=set_field:1->icmp_type,set_field:2->icmpv6_code,set_field:00:00:00:00:00:01->nd_tll,set_field:::2->nd_target",
            apply(vec![set(F::Icmpv6Type, 1), set(F::Icmpv6Code, 2), set(F::Ipv6NdTll, 1), set(F::Ipv6NdTarget, 2)]),
        ),
        (
            "arp,actions=set_field:2->arp_op,set_field:1.1.1.1->arp_spa,set_field:00:00:00:00:00:01->arp_sha",
            apply(vec![set(F::ArpOp, 2), set(F::ArpSpa, 0x0101_0101), set(F::ArpSha, 1)]),
        ),
        (
            "actions=load:5->NXM_NX_REG0[],load:0x2a->NXM_NX_TUN_ID[],load:0x001122334455->NXM_OF_ETH_DST[],load:0x1->OXM_OF_METADATA[0..63]",
            apply(vec![set(F::Reg0, 5), set(F::TunnelId, 0x2a), set(F::EthDst, 0x0011_2233_4455), set(F::Metadata, 1)]),
        ),
        (
            "ip,actions=load:0x0a000001->NXM_OF_IP_DST[],load:8->NXM_OF_IP_TOS[]",
            apply(vec![set(F::Ipv4Dst, 0x0a00_0001), set(F::IpDscp, 2)]),
        ),
        ("actions=set_tunnel:5,set_tunnel64:6", apply(vec![set(F::TunnelId, 5), set(F::TunnelId, 6)])),
        ("actions=copy_ttl_out,copy_ttl_in", apply(vec![A::CopyTtlOut, A::CopyTtlIn])),
        (
            "dl_type=0x8847,actions=set_mpls_ttl:5,dec_mpls_ttl,pop_mpls:0x0800,dec_ttl",
            apply(vec![A::SetMplsTtl(5), A::DecMplsTtl, A::PopMpls(0x0800), A::DecNwTtl]),
        ),
        (
            "actions=push_mpls:0x8847,set_mpls_ttl(5),pop_mpls:0x86dd",
            apply(vec![A::PushMpls(0x8847), A::SetMplsTtl(5), A::PopMpls(0x86dd)]),
        ),
        ("actions=push_pbb:0x88e7,pop_pbb", apply(vec![A::PushPbb(0x88e7), A::PopPbb])),
        (
            "actions=meter:2,output:1,clear_actions,write_actions(output:1,group:2),write_metadata:0x5/0xff,goto_table:3",
            vec![
                Instruction::Meter(2),
                Instruction::ApplyActions(vec![out(1)]),
                Instruction::ClearActions,
                Instruction::WriteActions(vec![out(1), A::Group(2)]),
                Instruction::WriteMetadata { value: 5, mask: 0xff },
                Instruction::GotoTable(3),
            ],
        ),
        (
            "actions=write_metadata:0x5,goto_table:254",
            vec![
                Instruction::WriteMetadata { value: 5, mask: u64::MAX },
                Instruction::GotoTable(254),
            ],
        ),
        ("actions=write_actions(),meter:slowpath", vec![]),
        // The action set is not checked against the match (as in ovs-ofctl).
        (
            "actions=write_actions(pop_vlan,set_field:1->reg1)",
            vec![Instruction::WriteActions(vec![A::PopVlan, set(F::Reg1, 1)])],
        ),
        ("actions=clear_actions()", vec![Instruction::ClearActions]),
    ];
    for (input, want) in cases {
        if input == "actions=write_actions(),meter:slowpath" {
            // Out of order: meter must come first.
            assert!(parse_flow_mod(input, FlowModCommand::Add, N).is_err());
            continue;
        }
        let fm = add(input);
        assert_eq!(fm.instructions, want, "{input}");
        let printed = format_flow_mod(&fm, N);
        assert_eq!(
            parse_flow_mod(&printed, FlowModCommand::Add, N),
            Ok(fm),
            "{input} printed as {printed}"
        );
    }
    assert_eq!(
        add("actions=meter:slowpath,write_actions()").instructions,
        vec![
            Instruction::Meter(crate::pipeline::METER_SLOWPATH),
            Instruction::WriteActions(vec![])
        ]
    );
}

#[test]
fn formats_actions_like_ovs() {
    let insts = vec![
        Instruction::Meter(1),
        Instruction::ApplyActions(vec![out(1), set(Field::VlanVid, 0x1005)]),
        Instruction::ClearActions,
        Instruction::WriteActions(vec![Action::Group(2)]),
        Instruction::WriteMetadata {
            value: 1,
            mask: 0xff,
        },
        Instruction::GotoTable(1),
    ];
    assert_eq!(
        format_actions(&insts, N),
        "meter:1,output:1,set_field:4101->vlan_vid,clear_actions,write_actions(group:2),write_metadata:0x1/0xff,goto_table:1"
    );
    assert_eq!(format_actions(&[], N), "drop");
    assert_eq!(
        format_actions(&[Instruction::ApplyActions(vec![])], N),
        "drop"
    );
    assert_eq!(
        format_actions(
            &[
                Instruction::WriteMetadata { value: 0, mask: 0 },
                Instruction::WriteActions(vec![])
            ],
            N
        ),
        "write_metadata:0/0,write_actions()"
    );
}

// ---------------------------------------------------------------------
// Errors: the column of the offending token and what was expected.

#[test]
fn errors() {
    use FlowModCommand::*;
    let cases: &[(FlowModCommand, &str, usize, &str)] = &[
        (Add, "foo=1,actions=drop", 1, "unknown field 'foo'"),
        (
            Add,
            "ip,nw_dst=10.0.0.300,actions=drop",
            11,
            "expected an IPv4 address after nw_dst=, found 10.0.0.300",
        ),
        (
            Add,
            "ip,nw_dst=10.0.0.1/33,actions=drop",
            20,
            "prefix length 33 is out of range for nw_dst (0 to 32)",
        ),
        (
            Add,
            "ip,nw_dst=10.0.0.1/255.0.255.256,actions=drop",
            20,
            "expected a prefix length or an IPv4 netmask after nw_dst=10.0.0.1/, found 255.0.255.256",
        ),
        (
            Add,
            "dl_src=00:11:22:33:44,actions=drop",
            8,
            "expected an Ethernet address after dl_src=, found 00:11:22:33:44",
        ),
        (
            Add,
            "ipv6,ipv6_src=2001:db8::g,actions=drop",
            15,
            "expected an IPv6 address after ipv6_src=, found 2001:db8::g",
        ),
        (Add, "tcp_dst=80,actions=drop", 1, "tcp_dst requires ip_proto=6 (add 'tcp')"),
        (Add, "udp,tcp_dst=80,actions=drop", 5, "tcp_dst requires ip_proto=6 (add 'tcp')"),
        (
            Add,
            "tp_dst=80,actions=drop",
            1,
            "tp_dst requires ip_proto=6, 17 or 132 (add 'tcp', 'udp' or 'sctp')",
        ),
        (
            Add,
            "in_port=1,nw_ttl=5,actions=drop",
            11,
            "nw_ttl requires eth_type=0x0800 or 0x86dd (add 'ip' or 'ipv6')",
        ),
        (
            Add,
            "ipv6,nd_target=::1,actions=drop",
            6,
            "nd_target requires icmpv6_type=135 or 136 (add 'icmp6,icmp_type=135')",
        ),
        (
            Add,
            "ip,arp_spa=1.1.1.1,actions=drop",
            4,
            "arp_spa requires eth_type=0x0806 (add 'arp')",
        ),
        (
            Add,
            "vlan_tci=0x2000/0xe000,actions=drop",
            1,
            "vlan_tci requires a VLAN tag (add dl_vlan=VID or vlan_tci=0x1000/0x1000)",
        ),
        (Add, "in_port=1,in_port=2,actions=drop", 11, "in_port is given twice"),
        (
            Add,
            "ip,nw_src=1.1.1.1,ip_src=1.1.1.2,actions=drop",
            19,
            "ip_src=1.1.1.2 duplicates nw_src=1.1.1.1 given earlier",
        ),
        (Add, "tcp,udp,actions=drop", 5, "'udp' conflicts with 'tcp' given earlier"),
        (
            Add,
            "dl_vlan=0xffff,dl_vlan_pcp=1,actions=drop",
            16,
            "dl_vlan_pcp=1 conflicts with dl_vlan=0xffff given earlier",
        ),
        (
            Add,
            "ip,nw_ttl=256,actions=drop",
            11,
            "value 256 is too large for nw_ttl, an 8-bit field",
        ),
        (
            Add,
            "tcp,tp_dst=65536,actions=drop",
            12,
            "value 65536 is too large for tp_dst, a 16-bit field",
        ),
        (
            Add,
            "vlan_vid=0x2000,actions=drop",
            10,
            "value 0x2000 is too large for vlan_vid, a 13-bit field",
        ),
        (
            Add,
            "dl_vlan=4096,actions=drop",
            9,
            "dl_vlan must be a 12-bit VLAN ID (0 to 4095) or 0xffff for no tag, found 4096",
        ),
        (Add, "ip,nw_ttl=5/0xf,actions=drop", 12, "nw_ttl does not accept a mask"),
        (Add, "in_port=1/1,actions=drop", 10, "in_port does not accept a mask"),
        (Add, "actions=foo", 9, "unknown action 'foo'"),
        (
            Add,
            "actions=set_field:1->in_port",
            22,
            "in_port cannot be set (it is a read-only field)",
        ),
        (
            Add,
            "ip,actions=set_field:6->ip_proto",
            25,
            "ip_proto cannot be set (it is a read-only field)",
        ),
        (
            Add,
            "actions=set_field:10.0.0.1->ip_dst",
            29,
            "set_field:10.0.0.1->ip_dst requires eth_type=0x0800 in the match (add 'ip')",
        ),
        (
            Add,
            "ip,actions=set_field:10.0.0.1/8->ip_dst",
            30,
            "set_field cannot take a mask in OpenFlow 1.3 (it writes whole fields)",
        ),
        (
            Add,
            "dl_vlan=1,actions=set_field:5->vlan_vid",
            29,
            "set_field 5 for vlan_vid must include OFPVID_PRESENT (0x1000), e.g. 4101 or 0x1005 for VLAN 5",
        ),
        (Add, "actions=output:1 junk", 18, "unknown action 'junk'"),
        (
            Add,
            "actions=write_actions(output:1)junk",
            32,
            "expected ',' or the end after ')', found junk",
        ),
        (Add, "actions=output:1)", 17, "unbalanced parentheses: unexpected ')'"),
        (
            Add,
            "actions=output:1,write_actions(output:2",
            31,
            "unbalanced parentheses: this '(' is never closed",
        ),
        (Add, "actions=goto_table", 19, "goto_table needs a table number (goto_table:N)"),
        (Add, "actions=goto_table:x", 20, "expected a number after goto_table:, found x"),
        (
            Add,
            "table=3,actions=goto_table:2",
            28,
            "goto_table:2 must name a later table than this flow's table 3",
        ),
        (Add, "actions=resubmit(,1)", 9, "resubmit is an OVS extension; use goto_table"),
        (
            Add,
            "actions=move:NXM_NX_REG0[]->NXM_NX_REG1[]",
            9,
            "move is an OVS extension with no OpenFlow 1.3 equivalent (set_field writes constants only)",
        ),
        (
            Add,
            "actions=load:5->NXM_NX_REG0[0..15]",
            28,
            "loading part of a field (NXM_NX_REG0[0..15]) is not supported: OpenFlow 1.3 set_field writes whole fields; use set_field:VALUE->reg0",
        ),
        (
            Add,
            "actions=load:0x100000000->NXM_NX_REG0[]",
            14,
            "value 0x100000000 is too large for NXM_NX_REG0[], a 32-bit field",
        ),
        (
            Add,
            "actions=output:1,drop",
            18,
            "\"drop\" must not be accompanied by any other action or instruction",
        ),
        (
            Add,
            "actions=write_actions(output:1),output:2",
            33,
            "actions must come before write_actions (OpenFlow 1.3 instruction order: meter, actions, clear_actions, write_actions, write_metadata, goto_table)",
        ),
        (Add, "actions=goto_table:1,goto_table:2", 22, "goto_table is given twice"),
        (
            Add,
            "actions=pop_vlan",
            9,
            "pop_vlan requires a VLAN tag (match one, e.g. dl_vlan=VID or vlan_tci=0x1000/0x1000, or push_vlan first)",
        ),
        (
            Add,
            "actions=mod_tp_src:1",
            9,
            "mod_tp_src requires tcp, udp or sctp in the match (ip_proto=6, 17 or 132)",
        ),
        (
            Add,
            "actions=dec_ttl",
            9,
            "dec_ttl requires eth_type=0x0800 or 0x86dd in the match (add 'ip' or 'ipv6')",
        ),
        (
            Add,
            "actions=set_mpls_ttl:3",
            9,
            "set_mpls_ttl requires an MPLS packet (match dl_type=0x8847 or 0x8848, or push_mpls first)",
        ),
        (
            Add,
            "actions=push_vlan:0x1234",
            19,
            "push_vlan: 0x1234 is not a VLAN ethertype (0x8100 or 0x88a8)",
        ),
        (Add, "ip,nw_dst,actions=drop", 4, "expected a value for nw_dst (nw_dst=VALUE)"),
        (Add, "ip=1,actions=drop", 1, "ip takes no value (it is shorthand for eth_type=0x0800)"),
        (
            Add,
            "ip",
            3,
            "add-flow needs actions (add actions=... at the end, or actions=drop)",
        ),
        (
            Modify,
            "ip",
            3,
            "mod-flows needs actions (add actions=... at the end, or actions=drop)",
        ),
        (
            Add,
            "importance=5,actions=drop",
            1,
            "importance is OpenFlow 1.4+ (not available in OpenFlow 1.3)",
        ),
        (
            Add,
            "table=255,actions=drop",
            7,
            "table=255 (all tables) is only valid when deleting flows; tables are 0 to 254",
        ),
        (Add, "cookie=1/1,actions=drop", 9, "flow additions cannot use a cookie mask"),
        (Add, "out_port=2,actions=drop", 1, "out_port is not allowed in add-flow"),
        (Add, "priority=1,priority=2,actions=drop", 12, "priority is given twice"),
        (
            Delete,
            "priority=5,ip",
            1,
            "priority is not allowed in del-flows without --strict (it deletes flows of every priority)",
        ),
        (Delete, "table=3,ip,actions=drop", 12, "actions are not allowed in del-flows"),
        (
            Delete,
            "cookie=0x5",
            8,
            "del-flows cannot set a cookie (to match on a cookie, give a mask, e.g. cookie=0x5/-1)",
        ),
        (Delete, "idle_timeout=5", 1, "idle_timeout is not allowed in del-flows"),
        (
            Add,
            "actions=output(port=2,max_len=100)",
            23,
            "max_len with a port other than CONTROLLER is OVS's truncate extension; in OpenFlow 1.3 max_len only limits what is sent to the controller",
        ),
        (
            Add,
            "actions=controller:65510",
            20,
            "max_len 65510 is out of range for CONTROLLER: it must be at most 65509 (OFPCML_MAX, 0xffe5) or 65535 (OFPCML_NO_BUFFER, 0xffff)",
        ),
        (
            Add,
            "actions=controller(max_len=0xfffe)",
            28,
            "max_len 0xfffe is out of range for CONTROLLER: it must be at most 65509 (OFPCML_MAX, 0xffe5) or 65535 (OFPCML_NO_BUFFER, 0xffff)",
        ),
        (
            Add,
            "actions=output(port=CONTROLLER,max_len=65520)",
            40,
            "max_len 65520 is out of range for CONTROLLER: it must be at most 65509 (OFPCML_MAX, 0xffe5) or 65535 (OFPCML_NO_BUFFER, 0xffff)",
        ),
        (
            Add,
            "actions=controller(reason=no_match)",
            20,
            "controller(reason=...) is an OVS extension; OpenFlow 1.3 supports only controller(max_len=N)",
        ),
        (
            Add,
            "actions=apply_actions(output:1)",
            9,
            "apply_actions is the default instruction: list the actions directly",
        ),
        (
            Add,
            "actions=meter:0",
            15,
            "meter 0 is not a valid meter id (1 to 4294901760, slowpath or controller)",
        ),
        (Add, "actions=output:ANY", 16, "ANY is not a port a packet can be output to"),
        (
            Add,
            "tcp,tcp_flags=+foo,actions=drop",
            16,
            "unknown TCP flag 'foo' in tcp_flags (known: fin, syn, rst, psh, ack, urg, ece, cwr, ns)",
        ),
        (
            Add,
            "ip,ip_frag=maybe,actions=drop",
            12,
            "expected a fragment type (no, yes, first, later or not_later) after ip_frag=, found maybe",
        ),
        (Add, "send_flow_rem=1,actions=drop", 15, "send_flow_rem takes no value"),
        (
            Add,
            "vlan_tci=0x3000/0x3000,actions=drop",
            17,
            "vlan_tci: the PCP bits (0xe000) must be all matched or all wildcarded; OpenFlow 1.3 cannot mask vlan_pcp",
        ),
        (
            Add,
            "ip,actions=mod_nw_tos:33",
            23,
            "mod_nw_tos: 33 is not a valid ToS (its low 2 bits are ECN; use mod_nw_ecn)",
        ),
        (Add, "actions=output:\"my port", 16, "unterminated quoted string"),
        // Columns count characters, not bytes.
        (Add, "é=1,actions=drop", 1, "unknown field 'é'"),
        (
            Add,
            "ip,nw_dst=1.2.3.4,tcp_dst=ü",
            27,
            "expected a number after tcp_dst=, found ü",
        ),
    ];
    for (cmd, input, column, message) in cases {
        let e = parse_flow_mod(input, *cmd, N).expect_err(input);
        assert_eq!(
            (e.column, e.message.as_str()),
            (*column, *message),
            "{input}"
        );
    }
    assert!(cases.len() >= 15);
}

#[test]
fn error_display_and_render() {
    let input = "table=0,ip,nw_dst=10.0.0.300,actions=drop";
    let e = parse_flow_mod(input, FlowModCommand::Add, N).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 19: expected an IPv4 address after nw_dst=, found 10.0.0.300"
    );
    assert_eq!(
        e.render(input),
        "table=0,ip,nw_dst=10.0.0.300,actions=drop\n                  ^"
    );
    let e = parse_match("ip,\tfoo=1", N).unwrap_err();
    assert_eq!(e.column, 5);
    assert_eq!(e.render("ip,\tfoo=1"), "ip,\tfoo=1\n   \t^");
    let e = parse_flow_mod("ip", FlowModCommand::Add, N).unwrap_err();
    assert_eq!(e.render("ip"), "ip\n  ^");
}

// ---------------------------------------------------------------------
// Groups.

fn bucket(weight: u16, watch_port: PortNo, watch_group: u32, actions: Vec<Action>) -> Bucket {
    Bucket {
        weight,
        watch_port,
        watch_group,
        actions,
    }
}

#[test]
fn groups() {
    use GroupModCommand::*;
    let any = PortNo::ANY;
    let cases: Vec<(GroupModCommand, &str, GroupMod)> = vec![
        (
            Add,
            "group_id=1,type=select,bucket=weight:10,watch_port:2,actions=output:1,bucket=output:2,output:3",
            GroupMod {
                command: Add,
                group_type: GroupType::Select,
                group_id: 1,
                buckets: vec![
                    bucket(10, PortNo(2), GROUP_ANY, vec![out(1)]),
                    bucket(1, any, GROUP_ANY, vec![out(2), out(3)]),
                ],
            },
        ),
        (
            Add,
            "group_id=3,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,watch_group:5,actions=output:2",
            GroupMod {
                command: Add,
                group_type: GroupType::FastFailover,
                group_id: 3,
                buckets: vec![
                    bucket(0, PortNo(1), GROUP_ANY, vec![out(1)]),
                    bucket(0, PortNo(2), 5, vec![out(2)]),
                ],
            },
        ),
        (
            Modify,
            "group_id=2 type=indirect bucket=actions=set_field:00:00:00:00:00:01->eth_dst,output:1",
            GroupMod {
                command: Modify,
                group_type: GroupType::Indirect,
                group_id: 2,
                buckets: vec![bucket(0, any, GROUP_ANY, vec![set(Field::EthDst, 1), out(1)])],
            },
        ),
        (
            Add,
            "group_id=9,type=all,bucket=actions=drop,bucket=mod_vlan_vid:5,group:8",
            GroupMod {
                command: Add,
                group_type: GroupType::All,
                group_id: 9,
                buckets: vec![
                    bucket(0, any, GROUP_ANY, vec![]),
                    bucket(
                        0,
                        any,
                        GROUP_ANY,
                        vec![Action::PushVlan(0x8100), set(Field::VlanVid, 0x1005), Action::Group(8)],
                    ),
                ],
            },
        ),
        (
            Delete,
            "group_id=7",
            GroupMod {
                command: Delete,
                group_type: GroupType::All,
                group_id: 7,
                buckets: vec![],
            },
        ),
        (
            Delete,
            "",
            GroupMod {
                command: Delete,
                group_type: GroupType::All,
                group_id: GROUP_ALL,
                buckets: vec![],
            },
        ),
    ];
    for (cmd, input, want) in cases {
        let g = parse_group_mod(input, cmd, N).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(g, want, "{input}");
        let printed = format_group(&g, N);
        assert_eq!(parse_group_mod(&printed, cmd, N), Ok(g), "{printed}");
    }
}

/// Groups as ovs-ofctl prints them: from `ovs-ofctl -O OpenFlow13
/// add-group SWITCH LINE` against a stub switch, decoded with
/// `ovs-ofctl ofp-print` (after "ADD ").
#[test]
fn groups_print_like_ovs() {
    let cases = [
        (
            "group_id=1,type=select,bucket=weight:10,watch_port:2,actions=output:1,bucket=weight:20,actions=output:3",
            "group_id=1,type=select,bucket=weight:10,watch_port:2,actions=output:1,bucket=weight:20,actions=output:3",
        ),
        (
            "group_id=1,type=all,bucket=output:1,output:2,bucket=output:3",
            "group_id=1,type=all,bucket=actions=output:1,output:2,bucket=actions=output:3",
        ),
        (
            "group_id=3,type=fast_failover,bucket=watch_port:1,actions=output:1",
            "group_id=3,type=ff,bucket=watch_port:1,actions=output:1",
        ),
        ("group_id=4,type=select,bucket=output:1", "group_id=4,type=select,bucket=actions=output:1"),
        ("group_id=6,type=all", "group_id=6,type=all"),
        ("group_id=0xffffff00,type=all,bucket=output:1", "group_id=4294967040,type=all,bucket=actions=output:1"),
        ("group_id=9,type=all,bucket=actions=drop", "group_id=9,type=all,bucket=actions=drop"),
        (
            "group_id=1,type=select,bucket=weight:0,actions=output:1",
            "group_id=1,type=select,bucket=weight:0,actions=output:1",
        ),
        (
            "group_id=10,type=select,bucket=weight=5,watch_port=3,actions=output:1",
            "group_id=10,type=select,bucket=weight:5,watch_port:3,actions=output:1",
        ),
        (
            "group_id=1, type=all, bucket=actions=output:1,bucket=actions=CONTROLLER:100",
            "group_id=1,type=all,bucket=actions=output:1,bucket=actions=CONTROLLER:100",
        ),
        (
            "group_id=1,type=all,bucket=actions=mod_nw_tos:32,set_mpls_ttl:3,controller:5,output:NORMAL",
            "group_id=1,type=all,bucket=actions=set_field:8->ip_dscp,set_mpls_ttl(3),CONTROLLER:5,NORMAL",
        ),
        (
            "group_id=1,type=all,bucket=actions=set_field:10.0.0.1->ip_dst,pop_vlan,mod_vlan_vid:5",
            "group_id=1,type=all,bucket=actions=set_field:10.0.0.1->ip_dst,pop_vlan,push_vlan:0x8100,set_field:4101->vlan_vid",
        ),
    ];
    for (input, ovs) in cases {
        let g = parse_group_mod(input, GroupModCommand::Add, N)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(format_group(&g, N), ovs, "{input}");
    }
    // OVS prints deletes as "DEL group_id=4294967292,type=all"; the type
    // means nothing there and del-groups rejects it, so we print the id only.
    let g = parse_group_mod("group_id=all", GroupModCommand::Delete, N).unwrap();
    assert_eq!(format_group(&g, N), "group_id=4294967292");
}

#[test]
fn group_errors() {
    use GroupModCommand::*;
    let cases: &[(GroupModCommand, &str, usize, &str)] = &[
        (Add, "group_id=8,bucket=output:1", 27, "add-group needs type=all, select, indirect or ff"),
        (Add, "type=all,bucket=output:1", 25, "add-group needs group_id=ID"),
        (
            Add,
            "group_id=0xffffff01,type=all",
            10,
            "group_id 4294967041 is out of range (0 to 4294967040)",
        ),
        (
            Add,
            "group_id=9,type=all,bucket=weight:5,actions=output:1",
            28,
            "only select groups can have bucket weights",
        ),
        (
            Add,
            "group_id=9,type=all,bucket=watch_port:5,actions=output:1",
            28,
            "watch_port is only for fast_failover (ff) and select groups",
        ),
        (
            Add,
            "group_id=1,type=indirect,bucket=output:1,bucket=output:2",
            42,
            "an indirect group needs exactly one bucket",
        ),
        (
            Add,
            "group_id=1,type=ff,bucket=watch_port:ANY,output:1",
            20,
            "a fast_failover bucket needs watch_port or watch_group",
        ),
        (
            Add,
            "group_id=1,type=all,bucket=actions=write_actions(output:1)",
            36,
            "the write_actions instruction is not allowed in a group bucket",
        ),
        (Add, "group_id=1,type=bogus", 17, "unknown group type 'bogus' (all, select, indirect or ff)"),
        (Add, "group_id=1,type=all,foo=1", 21, "unknown keyword 'foo'"),
        (Add, "group_id=1,type=all,bucket=foo:3,output:1", 28, "unknown action 'foo'"),
        (
            Add,
            "group_id=1,type=all,bucket=actions=mod_tp_src:5",
            36,
            "mod_tp_src needs the protocol from a flow's match; here use set_field:PORT->tcp_src, udp_src or sctp_src",
        ),
        (Delete, "group_id=1,type=all", 12, "type is not needed in del-groups"),
        (Add, "type=all,group_id=all", 19, "group_id=all is only valid in del-groups"),
        (Delete, "group_id=1,bucket=output:1", 12, "buckets are not allowed in del-groups"),
    ];
    for (cmd, input, column, message) in cases {
        let e = parse_group_mod(input, *cmd, N).expect_err(input);
        assert_eq!(
            (e.column, e.message.as_str()),
            (*column, *message),
            "{input}"
        );
    }
}

// ---------------------------------------------------------------------
// Meters.

#[test]
fn meters() {
    use MeterModCommand::*;
    let drop = |rate, burst_size| MeterBand {
        band_type: MeterBandType::Drop,
        rate,
        burst_size,
    };
    let m = parse_meter_mod(
        "meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100",
        Add,
    )
    .unwrap();
    assert_eq!(
        m,
        MeterMod {
            command: Add,
            flags: 0b1101,
            meter_id: 1,
            bands: vec![drop(1000, 100)],
        }
    );
    let m = parse_meter_mod(
        "meter=3 pktps bands=type=drop rate=1000 type=dscp_remark rate=2000 prec_level=2",
        Modify,
    )
    .unwrap();
    assert_eq!(m.flags, crate::pipeline::meter_flags::PKTPS);
    assert_eq!(
        m.bands,
        vec![
            drop(1000, 0),
            MeterBand {
                band_type: MeterBandType::DscpRemark { prec_level: 2 },
                rate: 2000,
                burst_size: 0
            }
        ]
    );
    let d = parse_meter_mod("", Delete).unwrap();
    assert_eq!(d.meter_id, METER_ALL);
    assert_eq!(format_meter(&d), "meter=all");
    assert_eq!(
        format_meter(&parse_meter_mod("meter=5", Delete).unwrap()),
        "meter=5"
    );
}

/// Meters as ovs-ofctl prints them: from `ovs-ofctl -O OpenFlow13
/// add-meter SWITCH LINE` against a stub switch, decoded with
/// `ovs-ofctl ofp-print`. OVS puts each band on its own line
/// ("bands=\ntype=drop ..."); we print one line (which also parses).
#[test]
fn meters_print_like_ovs() {
    let cases = [
        (
            "meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100",
            "meter=1 kbps burst stats bands=\ntype=drop rate=1000 burst_size=100",
        ),
        (
            "meter=2,pktps,bands=type=dscp_remark,rate=100,prec_level=1",
            "meter=2 pktps bands=\ntype=dscp_remark rate=100 prec_level=1",
        ),
        (
            "meter=3,kbps,bands=type=drop,rate=1000,type=dscp_remark,rate=2000,prec_level=2",
            "meter=3 kbps bands=\ntype=drop rate=1000\ntype=dscp_remark rate=2000 prec_level=2",
        ),
        (
            "meter=3,kbps,burst,bands=type=drop,rate=1000,burst_size=5,type=dscp_remark,rate=2000,prec_level=2,burst_size=7",
            "meter=3 kbps burst bands=\ntype=drop rate=1000 burst_size=5\ntype=dscp_remark rate=2000 burst_size=7 prec_level=2",
        ),
        ("meter=slowpath,kbps,bands=type=drop,rate=10", "meter=slowpath kbps bands=\ntype=drop rate=10"),
        (
            "meter=0xffff0000 kbps burst bands=type=drop rate=5 burst_size=3",
            "meter=4294901760 kbps burst bands=\ntype=drop rate=5 burst_size=3",
        ),
    ];
    for (input, ovs) in cases {
        let m =
            parse_meter_mod(input, MeterModCommand::Add).unwrap_or_else(|e| panic!("{input}: {e}"));
        let printed = format_meter(&m);
        assert_eq!(
            printed,
            ovs.replace("=\n", "=").replace('\n', " "),
            "{input}"
        );
        assert_eq!(
            parse_meter_mod(&printed, MeterModCommand::Add),
            Ok(m),
            "{printed}"
        );
    }
}

#[test]
fn meter_errors() {
    use MeterModCommand::*;
    let cases: &[(MeterModCommand, &str, usize, &str)] = &[
        (
            Add,
            "meter=4,bands=type=drop,rate=1000",
            34,
            "a meter must specify either 'kbps' or 'pktps'",
        ),
        (
            Add,
            "meter=5,kbps",
            13,
            "a meter needs bands=type=...,rate=...",
        ),
        (
            Add,
            "meter=6,kbps,stats,bands=type=drop,rate=0",
            41,
            "a band's rate must not be 0",
        ),
        (
            Add,
            "meter=0xffff0001,kbps,bands=type=drop,rate=10",
            7,
            "meter 0xffff0001 is not a valid meter id (1 to 4294901760, slowpath or controller)",
        ),
        (
            Add,
            "meter=1,kbps,pktps,bands=type=drop,rate=10",
            14,
            "kbps and pktps are mutually exclusive",
        ),
        (Add, "kbps,bands=type=drop,rate=10", 29, "needs meter=ID"),
        (
            Add,
            "meter=1,kbps,bands=type=foo,rate=10",
            25,
            "unknown band type 'foo' (drop or dscp_remark)",
        ),
        (
            Add,
            "meter=1,kbps,bands=rate=10",
            20,
            "a band must start with type=",
        ),
        (
            Add,
            "meter=1,kbps,bands=type=dscp_remark,rate=5",
            20,
            "a dscp_remark band needs prec_level=",
        ),
        (
            Add,
            "meter=1,kbps,bands=type=drop,rate=5,prec_level=3",
            37,
            "only a dscp_remark band may have prec_level",
        ),
        (
            Add,
            "meter=1,kbps,burst,bands=type=drop,rate=5",
            26,
            "a band needs burst_size= when the meter has the 'burst' flag",
        ),
        (
            Add,
            "meter=1,kbps,bands=type=drop,rate=5,burst_size=3",
            37,
            "burst_size needs the meter's 'burst' flag",
        ),
        (
            Delete,
            "meter=1,kbps",
            9,
            "kbps is not allowed in del-meters",
        ),
        (
            Add,
            "meter=all,kbps,bands=type=drop,rate=5",
            7,
            "meter all is not a valid meter id (1 to 4294901760, slowpath or controller)",
        ),
    ];
    for (cmd, input, column, message) in cases {
        let e = parse_meter_mod(input, *cmd).expect_err(input);
        assert_eq!(
            (e.column, e.message.as_str()),
            (*column, *message),
            "{input}"
        );
    }
}

// ---------------------------------------------------------------------
// Property: parse(format(fm)) == fm for generated flow mods.

fn prefix(len: u32, bits: u32) -> u128 {
    let all = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    if len == 0 {
        0
    } else {
        (all << (bits - len)) & all
    }
}

/// A non-zero mask for `f`: exact, a prefix, or arbitrary bits.
fn mask_for(f: Field, seed: u128) -> u128 {
    let full = f.max_value();
    if !f.def().maskable {
        return full;
    }
    let bits = u32::from(f.def().bits);
    match seed % 4 {
        0 | 1 => full,
        2 => prefix((seed >> 8) as u32 % bits + 1, bits),
        _ => {
            let m = seed.rotate_right(17) & full;
            if m == 0 {
                full
            } else {
                m
            }
        }
    }
}

struct Gen {
    seeds: Vec<u128>,
    i: usize,
}

impl Gen {
    fn next(&mut self) -> u128 {
        let s = self.seeds[self.i % self.seeds.len()];
        self.i += 1;
        s.rotate_left(self.i as u32 * 7) ^ (self.i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn pick(&mut self, n: u128) -> u128 {
        self.next() % n
    }
    fn one_of<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.pick(xs.len() as u128) as usize].clone()
    }
    fn chance(&mut self, pct: u128) -> bool {
        self.pick(100) < pct
    }
    fn field(&mut self, m: &mut FlowMatch, f: Field) {
        let mask = mask_for(f, self.next());
        let v = self.next() & f.max_value();
        m.set(f, v, mask);
    }
    fn port(&mut self) -> PortNo {
        match self.pick(6) {
            0 => [
                PortNo::LOCAL,
                PortNo::CONTROLLER,
                PortNo::NORMAL,
                PortNo::IN_PORT,
            ][self.pick(4) as usize],
            _ => PortNo(self.pick(u128::from(PortNo::MAX.0) + 1) as u32),
        }
    }
}

fn gen_match(g: &mut Gen) -> FlowMatch {
    use Field as F;
    let mut m = FlowMatch::ANY;
    if g.chance(30) {
        m.set(F::InPort, u128::from(g.port().0), E32);
    }
    for f in [
        F::Metadata,
        F::Reg0,
        F::Reg5,
        F::TunnelId,
        F::TunIpv4Src,
        F::TunIpv4Dst,
        F::EthSrc,
        F::EthDst,
    ] {
        if g.chance(20) {
            g.field(&mut m, f);
        }
    }
    // VLAN.
    let vid = g.pick(0x1000);
    let pcp = g.pick(8);
    let vmask = g.pick(0x1000);
    match g.pick(9) {
        0 => m.set(F::VlanVid, 0, 0x1fff),
        1 => m.set(F::VlanVid, 0x1000, 0x1000),
        2 => m.set(F::VlanVid, 0x1000 | vid, 0x1fff),
        3 => {
            m.set(F::VlanVid, 0x1000 | vid, 0x1fff);
            m.set(F::VlanPcp, pcp, 7);
        }
        4 => {
            m.set(F::VlanVid, 0x1000, 0x1000);
            m.set(F::VlanPcp, pcp, 7);
        }
        5 => m.set(F::VlanVid, 0x1000 | vid, 0x1000 | vmask),
        6 => {
            m.set(F::VlanVid, 0x1000 | vid, 0x1000 | vmask);
            m.set(F::VlanPcp, pcp, 7);
        }
        7 => m.set(F::VlanVid, vid, (vmask | 1) & 0x1fff),
        _ => {}
    }
    // Protocols.
    let profile = g.pick(16);
    let (eth, proto): (Option<u16>, Option<u8>) = match profile {
        0 => (None, None),
        1 => {
            let e = g.pick(0x10000) as u16;
            let special = [0x0800, 0x86dd, 0x0806, 0x8035, 0x8847, 0x8848];
            (Some(if special.contains(&e) { 0x88cc } else { e }), None)
        }
        2 => (Some(0x0800), None),
        3 => (Some(0x0800), Some(47)),
        4 => (Some(0x0800), Some(6)),
        5 => (Some(0x0800), Some(17)),
        6 => (Some(0x0800), Some(132)),
        7 => (Some(0x0800), Some(1)),
        8 => (Some(0x86dd), if g.chance(50) { Some(47) } else { None }),
        9 => (Some(0x86dd), Some(6)),
        10 => (Some(0x86dd), Some(17)),
        11 => (Some(0x86dd), Some(132)),
        12 => (Some(0x86dd), Some(58)),
        13 => (Some(0x0806), None),
        14 => (Some(0x8035), None),
        _ => (Some(0x8847), None),
    };
    if let Some(e) = eth {
        m.set(F::EthType, u128::from(e), E16);
    }
    if let Some(p) = proto {
        m.set(F::IpProto, u128::from(p), 0xff);
    }
    let v4 = eth == Some(0x0800);
    let v6 = eth == Some(0x86dd);
    if v4 || v6 {
        let fields: &[Field] = if v4 {
            &[F::Ipv4Src, F::Ipv4Dst]
        } else {
            &[F::Ipv6Src, F::Ipv6Dst, F::Ipv6Label]
        };
        for &f in fields.iter().chain(&[F::IpDscp, F::IpEcn, F::NwTtl]) {
            if g.chance(40) {
                g.field(&mut m, f);
            }
        }
        if g.chance(30) {
            let (_, v, mask) = super::matches::FRAGS[g.pick(5) as usize];
            m.set(F::IpFrag, v, mask);
        }
    }
    match proto {
        Some(6 | 17 | 132) => {
            for f in [F::TcpSrc, F::TcpDst] {
                if g.chance(50) {
                    g.field(&mut m, f);
                }
            }
            if proto == Some(6) && g.chance(50) {
                g.field(&mut m, F::TcpFlags);
            }
        }
        Some(1) => {
            for f in [F::Icmpv4Type, F::Icmpv4Code] {
                if g.chance(50) {
                    g.field(&mut m, f);
                }
            }
        }
        Some(58) => {
            match g.pick(3) {
                0 => {
                    m.set(F::Icmpv6Type, 135, 0xff);
                    g.field(&mut m, F::Ipv6NdTarget);
                    g.field(&mut m, F::Ipv6NdSll);
                }
                1 => {
                    m.set(F::Icmpv6Type, 136, 0xff);
                    g.field(&mut m, F::Ipv6NdTarget);
                    g.field(&mut m, F::Ipv6NdTll);
                }
                _ => g.field(&mut m, F::Icmpv6Type),
            }
            if g.chance(50) {
                g.field(&mut m, F::Icmpv6Code);
            }
        }
        _ => {}
    }
    if matches!(eth, Some(0x0806 | 0x8035)) {
        for f in [F::ArpSpa, F::ArpTpa, F::ArpOp, F::ArpSha, F::ArpTha] {
            if g.chance(50) {
                g.field(&mut m, f);
            }
        }
    }
    m
}

/// Actions that are valid given `st` (and update it as the parser does).
fn gen_actions(g: &mut Gen, st: &mut FlowState, n: usize) -> Vec<Action> {
    use Field as F;
    let mut out = Vec::new();
    let setf = |g: &mut Gen, f: Field| Action::SetField {
        field: f,
        value: g.next() & f.max_value(),
    };
    for _ in 0..n {
        let a = match g.pick(16) {
            0 => Action::Output {
                port: g.port(),
                max_len: 0,
            },
            1 => Action::Output {
                port: PortNo::CONTROLLER,
                max_len: match g.pick(0x10000) as u16 {
                    m if crate::ofp::codec::controller_max_len_valid(m) => m,
                    _ => crate::pipeline::CML_NO_BUFFER,
                },
            },
            2 => Action::Group(g.pick(u128::from(crate::pipeline::GROUP_MAX) + 1) as u32),
            3 => Action::SetQueue(g.next() as u32),
            4 => {
                st.vlan = true;
                Action::PushVlan([0x8100, 0x88a8][g.pick(2) as usize])
            }
            5 if st.vlan => {
                st.vlan = false;
                Action::PopVlan
            }
            6 => {
                let f = g.one_of(&[
                    F::EthSrc,
                    F::EthDst,
                    F::Metadata,
                    F::Reg1,
                    F::Reg7,
                    F::TunnelId,
                    F::TunIpv4Src,
                    F::TunIpv4Dst,
                ]);
                setf(g, f)
            }
            7 if st.vlan => {
                if g.chance(50) {
                    Action::SetField {
                        field: F::VlanVid,
                        value: 0x1000 | g.pick(0x1000),
                    }
                } else {
                    setf(g, F::VlanPcp)
                }
            }
            8 if st.eth_type == Some(0x0800) => match g.pick(6) {
                0 => Action::SetNwTtl(g.next() as u8),
                1 => Action::DecNwTtl,
                n => setf(
                    g,
                    [F::Ipv4Src, F::Ipv4Dst, F::IpDscp, F::IpEcn][n as usize - 2],
                ),
            },
            8 if st.eth_type == Some(0x86dd) => {
                let f = g.one_of(&[F::Ipv6Src, F::Ipv6Dst, F::Ipv6Label, F::NwTtl]);
                setf(g, f)
            }
            9 if st.is_ip() && matches!(st.ip_proto, Some(6 | 17 | 132)) => {
                let i = g.pick(2) as usize;
                let f = match st.ip_proto {
                    Some(6) => [F::TcpSrc, F::TcpDst][i],
                    Some(17) => [F::UdpSrc, F::UdpDst][i],
                    _ => [F::SctpSrc, F::SctpDst][i],
                };
                setf(g, f)
            }
            9 if st.eth_type == Some(0x0800) && st.ip_proto == Some(1) => {
                let f = g.one_of(&[F::Icmpv4Type, F::Icmpv4Code]);
                setf(g, f)
            }
            9 if st.eth_type == Some(0x86dd) && st.ip_proto == Some(58) => {
                let f = g.one_of(&[F::Icmpv6Type, F::Icmpv6Code]);
                setf(g, f)
            }
            9 if matches!(st.eth_type, Some(0x0806 | 0x8035)) => {
                let f = g.one_of(&[F::ArpOp, F::ArpSpa, F::ArpTpa, F::ArpSha, F::ArpTha]);
                setf(g, f)
            }
            10 => g.one_of(&[Action::CopyTtlOut, Action::CopyTtlIn]),
            11 => {
                let e = [0x8847, 0x8848][g.pick(2) as usize];
                *st = FlowState {
                    eth_type: Some(e),
                    ip_proto: None,
                    icmpv6_type: None,
                    vlan: st.vlan,
                };
                Action::PushMpls(e)
            }
            12 if st.is_mpls() => match g.pick(3) {
                0 => Action::SetMplsTtl(g.next() as u8),
                1 => Action::DecMplsTtl,
                _ => {
                    *st = FlowState {
                        eth_type: Some(0x0800),
                        ip_proto: None,
                        icmpv6_type: None,
                        vlan: st.vlan,
                    };
                    Action::PopMpls(0x0800)
                }
            },
            13 => g.one_of(&[Action::PushPbb(0x88e7), Action::PopPbb]),
            14 if st.icmpv6_type == Some(135) => {
                let f = g.one_of(&[F::Ipv6NdTarget, F::Ipv6NdSll]);
                setf(g, f)
            }
            14 if st.icmpv6_type == Some(136) => setf(g, F::Ipv6NdTll),
            _ => Action::Output {
                port: PortNo(g.pick(100) as u32 + 1),
                max_len: 0,
            },
        };
        out.push(a);
    }
    out
}

fn gen_flow_mod(cmd_i: u8, seeds: Vec<u128>) -> FlowMod {
    use FlowModCommand::*;
    let command = [Add, Modify, ModifyStrict, Delete, DeleteStrict][usize::from(cmd_i % 5)];
    let mut g = Gen { seeds, i: 0 };
    let del = matches!(command, Delete | DeleteStrict);
    let mut fm = FlowMod {
        command,
        ..FlowMod::default()
    };
    fm.table_id = if del {
        g.pick(256) as u8
    } else {
        g.pick(255) as u8
    };
    if command != Delete {
        fm.priority = g.next() as u16;
    }
    if g.chance(50) {
        fm.cookie = g.next() as u64;
    }
    if command != Add && g.chance(50) {
        fm.cookie_mask = g.next() as u64;
    }
    if !del {
        if g.chance(30) {
            fm.idle_timeout = g.next() as u16;
        }
        if g.chance(30) {
            fm.hard_timeout = g.next() as u16;
        }
        fm.flags = g.pick(32) as u16;
        if g.chance(20) {
            fm.buffer_id = g.next() as u32;
        }
    } else {
        if g.chance(30) {
            fm.out_port = g.port();
        }
        if g.chance(30) {
            fm.out_group = g.pick(u128::from(crate::pipeline::GROUP_MAX) + 1) as u32;
        }
    }
    fm.match_ = gen_match(&mut g);
    if !del {
        let mut st = FlowState::from_match(&fm.match_);
        let mut insts = Vec::new();
        if g.chance(20) {
            insts.push(Instruction::Meter(
                g.pick(u128::from(crate::pipeline::METER_MAX)) as u32 + 1,
            ));
        }
        let n = g.pick(5) as usize;
        if n > 0 {
            insts.push(Instruction::ApplyActions(gen_actions(&mut g, &mut st, n)));
        }
        if g.chance(20) {
            insts.push(Instruction::ClearActions);
        }
        if g.chance(30) {
            let n = g.pick(3) as usize;
            insts.push(Instruction::WriteActions(gen_actions(&mut g, &mut st, n)));
        }
        if g.chance(20) {
            let mask = if g.chance(50) {
                u64::MAX
            } else {
                g.next() as u64
            };
            insts.push(Instruction::WriteMetadata {
                value: g.next() as u64,
                mask,
            });
        }
        if fm.table_id < 254 && g.chance(30) {
            let t = fm.table_id + 1 + g.pick(u128::from(254 - fm.table_id)) as u8;
            insts.push(Instruction::GotoTable(t));
        }
        fm.instructions = insts;
    }
    fm
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn flow_mods_round_trip(cmd in 0u8..5, seeds in prop::collection::vec(any::<u128>(), 8..40)) {
        let fm = gen_flow_mod(cmd, seeds);
        let printed = format_flow_mod(&fm, N);
        let parsed = parse_flow_mod(&printed, fm.command, N);
        prop_assert_eq!(parsed, Ok(fm), "{}", printed);
    }

    #[test]
    fn matches_round_trip(seeds in prop::collection::vec(any::<u128>(), 8..40)) {
        let m = gen_match(&mut Gen { seeds, i: 0 });
        let printed = format_match(&m, N);
        prop_assert_eq!(parse_match(&printed, N), Ok(m), "{}", printed);
    }

    #[test]
    fn groups_round_trip(ty in 0usize..4, seeds in prop::collection::vec(any::<u128>(), 4..20), nb in 1usize..4) {
        let mut g = Gen { seeds, i: 0 };
        let group_type = [GroupType::All, GroupType::Select, GroupType::Indirect, GroupType::FastFailover][ty];
        let nb = if group_type == GroupType::Indirect { 1 } else { nb };
        let buckets = (0..nb).map(|_| {
            let mut st = FlowState::default();
            let n = g.pick(4) as usize;
            Bucket {
                weight: if group_type == GroupType::Select { g.next() as u16 } else { 0 },
                watch_port: if group_type == GroupType::FastFailover { PortNo(g.pick(100) as u32 + 1) } else { PortNo::ANY },
                watch_group: if group_type == GroupType::FastFailover && g.chance(50) { g.pick(100) as u32 } else { GROUP_ANY },
                actions: gen_actions(&mut g, &mut st, n),
            }
        }).collect();
        let gm = GroupMod { command: GroupModCommand::Add, group_type, group_id: g.pick(u128::from(crate::pipeline::GROUP_MAX) + 1) as u32, buckets };
        let printed = format_group(&gm, N);
        prop_assert_eq!(parse_group_mod(&printed, GroupModCommand::Add, N), Ok(gm), "{}", printed);
    }

    #[test]
    fn meters_round_trip(flags in 0u16..16, id in 1u32..=crate::pipeline::METER_MAX, bands in prop::collection::vec((any::<bool>(), 1u32.., any::<u32>(), any::<u8>()), 1..4)) {
        let flags = if flags & 3 == 0 || flags & 3 == 3 { (flags & !3) | 1 } else { flags };
        let burst = flags & crate::pipeline::meter_flags::BURST != 0;
        let bands = bands.into_iter().map(|(remark, rate, burst_size, prec_level)| MeterBand {
            band_type: if remark { MeterBandType::DscpRemark { prec_level } } else { MeterBandType::Drop },
            rate,
            burst_size: if burst { burst_size } else { 0 },
        }).collect();
        let m = MeterMod { command: MeterModCommand::Add, flags, meter_id: id, bands };
        let printed = format_meter(&m);
        prop_assert_eq!(parse_meter_mod(&printed, MeterModCommand::Add), Ok(m), "{}", printed);
    }

    /// Garbage never panics, and errors point inside the line (or just past it).
    #[test]
    fn never_panics(s in "[a-z_=:,()/.0-9> -]{0,60}") {
        for cmd in [FlowModCommand::Add, FlowModCommand::Delete] {
            if let Err(e) = parse_flow_mod(&s, cmd, N) {
                prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1, "{}: {:?}", s, e);
            }
        }
        let _ = parse_group_mod(&s, GroupModCommand::Add, N);
        let _ = parse_meter_mod(&s, MeterModCommand::Add);
        let _ = parse_packet(&s, N);
    }
}

#[test]
fn ipv6_text_like_inet_ntop() {
    use super::format::format_ipv6;
    let p = |s: &str| u128::from(s.parse::<std::net::Ipv6Addr>().unwrap());
    for (a, want) in [
        ("::", "::"),
        ("::1", "::1"),
        ("2001:db8::ff00:42:8329", "2001:db8::ff00:42:8329"),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::1.2.3.4", "::1.2.3.4"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
        ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"),
        ("fe80::", "fe80::"),
    ] {
        assert_eq!(format_ipv6(p(a)), want, "{a}");
    }
}
