//! Errors: the column of the offending token and what was expected.
use super::*;

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
