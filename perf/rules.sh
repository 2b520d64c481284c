# perf/rules.sh - the OVS harness's rule sets (bench.sh rules_file):
# r1, r1emc and r64, port 1 -> port 2, in ovs-ofctl flow syntax.
# Sourced by scenarios.sh and churn.sh; needs $OUT and die().
rules_file() {  # name
	local f=$OUT/rules_$1.txt k
	case $1 in
	r1) echo "in_port=1,actions=output:2" >"$f" ;;
	r1emc) echo "in_port=1,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=output:2" >"$f" ;;
	r64)
		{
			echo "priority=400,in_port=1,udp,nw_dst=10.0.255.255,tp_dst=4789,actions=output:2"
			for k in $(seq 0 31); do echo "priority=300,in_port=1,udp,nw_dst=10.0.$((k * 8)).0/24,actions=output:2"; done
			for k in $(seq 0 15); do echo "priority=200,in_port=1,udp,tp_dst=$((1000 + k)),actions=output:2"; done
			for k in $(seq 0 7); do echo "priority=150,in_port=1,udp,nw_src=172.$((16 + k)).0.0/16,actions=output:2"; done
			for k in 0x0000 0x4000 0x8000; do echo "priority=120,in_port=1,udp,tp_src=$k/0xc000,actions=output:2"; done
			echo "priority=110,in_port=1,tcp,tp_dst=80,actions=output:2"
			echo "priority=110,in_port=1,tcp,tp_dst=443,actions=output:2"
			echo "priority=100,in_port=1,ip,nw_dst=10.0.128.0/17,actions=output:2"
			echo "priority=1,in_port=1,actions=output:2"
		} >"$f" ;;
	*) die "unknown rule set $1" ;;
	esac
	echo "$f"
}

