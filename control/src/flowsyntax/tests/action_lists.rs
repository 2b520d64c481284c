//! Every action and instruction, and their printing.
use super::*;

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

/// Every action name reaches the module of its family (`actions/`): none
/// falls through to "unknown action", with or without an argument.
#[test]
fn every_action_name_reaches_its_family() {
    let names = [
        "output",
        "controller",
        "drop",
        "group",
        "set_queue",
        "push_vlan",
        "pop_vlan",
        "strip_vlan",
        "mod_vlan_vid",
        "mod_vlan_pcp",
        "copy_ttl_out",
        "copy_ttl_in",
        "set_mpls_ttl",
        "dec_mpls_ttl",
        "push_mpls",
        "pop_mpls",
        "push_pbb",
        "pop_pbb",
        "mod_dl_src",
        "mod_dl_dst",
        "mod_nw_src",
        "mod_nw_dst",
        "mod_nw_ecn",
        "mod_tp_src",
        "mod_tp_dst",
        "set_tunnel",
        "set_tunnel64",
        "mod_nw_tos",
        "mod_nw_ttl",
        "dec_ttl",
        "set_field",
        "load",
        "meter",
        "write_actions",
        "clear_actions",
        "write_metadata",
        "goto_table",
        "apply_actions",
    ];
    for name in names {
        for text in [format!("actions={name}"), format!("actions={name}:1")] {
            if let Err(e) = parse_flow_mod(&text, FlowModCommand::Add, N) {
                let msg = e.to_string();
                assert!(!msg.contains("unknown action"), "{text}: {msg}");
            }
        }
    }
}
