//! Flow mods printed like ovs-ofctl 3.1: the corpus, mod/del-flows,
//! flow mod keywords, IPv6 text.
use super::*;

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
