#!/usr/bin/env python3
"""A small L2 learning switch for os-ken (OpenFlow 1.3), used by the
end-to-end tests as a real controller: it installs a table-miss entry
that sends packets to the controller, learns source MACs from packet-ins,
installs a flow per learned destination and sends packet-outs (flooding
unknown destinations). Listens on 127.0.0.1:PORT; the switch connects to
it. Usage: osken_l2.py PORT [KEY CERT CA]; with KEY, CERT and CA it
listens with TLS and requires the switch's certificate to be signed by CA."""
import sys

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.lib.packet import ethernet, packet
from os_ken.ofproto import ofproto_v1_3


class L2Learning(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mac_to_port = {}

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def switch_features(self, ev):
        dp = ev.msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        actions = [parser.OFPActionOutput(ofp.OFPP_CONTROLLER, ofp.OFPCML_NO_BUFFER)]
        self.add_flow(dp, 0, parser.OFPMatch(), actions)
        print("osken_l2: switch connected, dpid %016x" % dp.id, flush=True)

    def add_flow(self, dp, priority, match, actions):
        ofp, parser = dp.ofproto, dp.ofproto_parser
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]
        dp.send_msg(parser.OFPFlowMod(datapath=dp, priority=priority, match=match, instructions=inst))

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        in_port = msg.match["in_port"]
        eth = packet.Packet(msg.data).get_protocols(ethernet.ethernet)[0]
        table = self.mac_to_port.setdefault(dp.id, {})
        table[eth.src] = in_port
        out_port = table.get(eth.dst, ofp.OFPP_FLOOD)
        actions = [parser.OFPActionOutput(out_port)]
        if out_port != ofp.OFPP_FLOOD:
            match = parser.OFPMatch(in_port=in_port, eth_dst=eth.dst, eth_src=eth.src)
            self.add_flow(dp, 1, match, actions)
        dp.send_msg(
            parser.OFPPacketOut(
                datapath=dp, buffer_id=ofp.OFP_NO_BUFFER, in_port=in_port, actions=actions, data=msg.data
            )
        )
        print("osken_l2: packet-in port %d %s -> %s" % (in_port, eth.src, eth.dst), flush=True)


if __name__ == "__main__":
    from os_ken import cfg

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    args = ["--ofp-listen-host", "127.0.0.1"]
    if len(sys.argv) == 5:
        key, cert, ca = sys.argv[2:5]
        args += ["--ofp-ssl-listen-port", sys.argv[1], "--ctl-privkey", key, "--ctl-cert", cert, "--ca-certs", ca]
    else:
        args += ["--ofp-tcp-listen-port", sys.argv[1]]
    cfg.CONF(args=args, project="os_ken")
    app_manager.AppManager.run_apps(["osken_l2"])
