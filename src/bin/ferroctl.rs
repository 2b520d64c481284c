//! `ferroctl`: the management CLI. Flow, group, meter and OpenFlow
//! statistics verbs speak OpenFlow 1.3 to the bridge's socket
//! `RUN_DIR/<bridge>.mgmt` (like ovs-ofctl, which can use the same socket);
//! the rest (show, port-stats, pmd-stats, trace, dump-megaflows) uses the
//! JSON management socket `RUN_DIR/ferroswitch.ctl`.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use control::mgmt::proto::{Body, Request};
use control::mgmt::{client, render};
use control::ofp::channel::mgmt_socket_path;
use control::ofp::client::Client;
use control::ofp::ofctl::{self, Output};
use control::rundir::CTL_SOCKET;

#[derive(Parser, Debug)]
#[command(name = "ferroctl", version, about = "Manage a running ferroswitch")]
struct Args {
    /// The daemon's run directory.
    #[arg(
        long,
        value_name = "DIR",
        env = "FERROSWITCH_RUN_DIR",
        default_value = "/var/run/ferroswitch"
    )]
    run_dir: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Bridges, ports, link state, PMD cores and rx queue assignment.
    Show,
    /// Per-port packet, byte, error and drop counters.
    PortStats,
    /// Per-PMD packets, cycles and busy share.
    PmdStats {
        /// Reset the PMD counters after showing them.
        #[arg(long)]
        clear: bool,
    },
    /// Add one flow (ovs-ofctl syntax).
    AddFlow {
        bridge: String,
        flow: String,
    },
    /// Add the flows in FILE, one per line ("-" reads stdin). All or nothing.
    AddFlows {
        bridge: String,
        file: PathBuf,
    },
    /// Modify the actions of matching flows.
    ModFlows {
        bridge: String,
        flow: String,
        /// Only the flow with exactly this match and priority.
        #[arg(long)]
        strict: bool,
    },
    /// Delete matching flows (all without FLOW).
    DelFlows {
        bridge: String,
        flow: Option<String>,
        /// Only the flow with exactly this match and priority.
        #[arg(long)]
        strict: bool,
    },
    /// List flows with counters and durations (optionally those matching FILTER).
    DumpFlows {
        bridge: String,
        filter: Option<String>,
    },
    /// Add one group (`group_id=1,type=all,bucket=actions=output:1,...`).
    AddGroup {
        bridge: String,
        group: String,
    },
    /// Add the groups in FILE, one per line.
    AddGroups {
        bridge: String,
        file: PathBuf,
    },
    /// Replace a group's type and buckets.
    ModGroup {
        bridge: String,
        group: String,
    },
    /// Delete groups (`group_id=N`; all without FILTER).
    DelGroups {
        bridge: String,
        filter: Option<String>,
    },
    DumpGroups {
        bridge: String,
    },
    /// Add one meter (`meter=1,kbps,bands=type=drop,rate=1000`).
    AddMeter {
        bridge: String,
        meter: String,
    },
    /// Delete meters (`meter=N`; all without FILTER).
    DelMeters {
        bridge: String,
        filter: Option<String>,
    },
    DumpMeters {
        bridge: String,
    },
    /// Packet, byte and flow counts of the matching flows (all without FILTER).
    DumpAggregate {
        bridge: String,
        filter: Option<String>,
    },
    /// Per table: entries, lookups and matches.
    DumpTables {
        bridge: String,
    },
    /// OpenFlow port statistics (one port, or all).
    DumpPorts {
        bridge: String,
        port: Option<String>,
    },
    /// Change a port's OpenFlow config: up, down, receive, no-receive,
    /// forward, no-forward, flood, no-flood, packet-in, no-packet-in.
    ModPort {
        bridge: String,
        port: String,
        action: String,
    },
    /// The megaflows cached by the PMDs (key/mask, hits, actions).
    DumpMegaflows {
        bridge: Option<String>,
    },
    /// Show how a packet would go through the pipeline, without sending it
    /// (e.g. `in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80`).
    Trace {
        bridge: String,
        packet: String,
    },
    /// Add a port while the switch runs, with the keys of a [[bridge.port]]
    /// table as KEY=VALUE (e.g. `type=dpdkvhostuser path=/var/run/vm1.sock
    /// queues=2`, or `devargs=net_tap9,iface=fs-t9 ofport=9`).
    AddPort {
        bridge: String,
        name: String,
        options: Vec<String>,
    },
    /// Delete a port while the switch runs.
    DelPort {
        name: String,
    },
    /// Re-read the configuration file and apply its port changes (ports
    /// added, deleted or changed); other changes need a restart.
    Reload,
    /// The tunnel underlay's routes: `route add DEST/LEN [via GATEWAY]`,
    /// `route del DEST/LEN`, `route show`.
    #[command(subcommand)]
    Route(RouteCommand),
    /// The tunnel underlay's neighbour (ARP) table: `neigh show`.
    #[command(subcommand)]
    Neigh(NeighCommand),
}

#[derive(clap::Subcommand, Debug)]
enum RouteCommand {
    /// Add or replace a static route, e.g. `10.20.0.0/16 via 192.168.50.254`.
    Add {
        #[arg(required = true, num_args = 1..)]
        route: Vec<String>,
    },
    /// Remove the static route to DEST/LEN.
    Del { dest: String },
    /// List the routes (the connected subnet first).
    Show,
}

#[derive(clap::Subcommand, Debug)]
enum NeighCommand {
    /// List resolved and incomplete neighbours.
    Show,
}

/// The lines of FILE ("-": standard input), kept as they are so errors
/// can name line numbers.
fn read_lines(file: &Path) -> Result<Vec<String>, String> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("reading stdin: {e}"))?
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?
    };
    Ok(text.lines().map(str::to_string).collect())
}

/// Connects to the OpenFlow management socket of `bridge`, saying which of
/// daemon or bridge is missing when that fails.
fn connect(run_dir: &Path, bridge: &str) -> Result<Client, String> {
    let path = mgmt_socket_path(run_dir, bridge);
    if !path.exists() {
        let ctl = run_dir.join(CTL_SOCKET);
        return Err(if ctl.exists() {
            format!(
                "no bridge named {bridge:?} ({} does not exist)",
                path.display()
            )
        } else {
            format!(
                "cannot connect to ferroswitch at {}: no such socket (is the daemon running? use --run-dir to point at its run directory)",
                path.display()
            )
        });
    }
    Client::connect_unix(&path)
}

/// Runs an OpenFlow verb; None when `c` is a JSON-socket command.
fn openflow(run_dir: &Path, c: &Command) -> Option<Result<Output, String>> {
    use Command as C;
    let bridge = match c {
        C::AddFlow { bridge, .. }
        | C::AddFlows { bridge, .. }
        | C::ModFlows { bridge, .. }
        | C::DelFlows { bridge, .. }
        | C::DumpFlows { bridge, .. }
        | C::AddGroup { bridge, .. }
        | C::AddGroups { bridge, .. }
        | C::ModGroup { bridge, .. }
        | C::DelGroups { bridge, .. }
        | C::DumpGroups { bridge }
        | C::AddMeter { bridge, .. }
        | C::DelMeters { bridge, .. }
        | C::DumpMeters { bridge }
        | C::DumpAggregate { bridge, .. }
        | C::DumpTables { bridge }
        | C::DumpPorts { bridge, .. }
        | C::ModPort { bridge, .. } => bridge,
        C::Show
        | C::PortStats
        | C::PmdStats { .. }
        | C::DumpMegaflows { .. }
        | C::Trace { .. }
        | C::AddPort { .. }
        | C::DelPort { .. }
        | C::Reload
        | C::Route(_)
        | C::Neigh(_) => return None,
    };
    let run = || -> Result<Output, String> {
        let mut cl = connect(run_dir, bridge)?;
        let cl = &mut cl;
        let opt = |f: &Option<String>| f.clone().unwrap_or_default();
        match c {
            C::AddFlow { flow, .. } => ofctl::add_flows(cl, std::slice::from_ref(flow)),
            C::AddFlows { file, .. } => ofctl::add_flows(cl, &read_lines(file)?),
            C::ModFlows { flow, strict, .. } => ofctl::mod_flows(cl, flow, *strict),
            C::DelFlows { flow, strict, .. } => ofctl::del_flows(cl, &opt(flow), *strict),
            C::DumpFlows { filter, .. } => ofctl::dump_flows(cl, &opt(filter)),
            C::AddGroup { group, .. } => ofctl::add_groups(cl, std::slice::from_ref(group)),
            C::AddGroups { file, .. } => ofctl::add_groups(cl, &read_lines(file)?),
            C::ModGroup { group, .. } => ofctl::mod_group(cl, group),
            C::DelGroups { filter, .. } => ofctl::del_groups(cl, &opt(filter)),
            C::DumpGroups { .. } => ofctl::dump_groups(cl),
            C::AddMeter { meter, .. } => ofctl::add_meters(cl, std::slice::from_ref(meter)),
            C::DelMeters { filter, .. } => ofctl::del_meters(cl, &opt(filter)),
            C::DumpMeters { .. } => ofctl::dump_meters(cl),
            C::DumpAggregate { filter, .. } => ofctl::dump_aggregate(cl, &opt(filter)),
            C::DumpTables { .. } => ofctl::dump_tables(cl),
            C::DumpPorts { port, .. } => ofctl::dump_ports(cl, port.as_deref()),
            C::ModPort { port, action, .. } => ofctl::mod_port(cl, port, action),
            _ => Err("not an OpenFlow verb".into()),
        }
    };
    Some(run())
}

/// The JSON-socket request for the commands OpenFlow cannot express.
fn request(c: Command) -> Result<Request, String> {
    Ok(match c {
        Command::Show => Request::Show,
        Command::PortStats => Request::PortStats,
        Command::AddPort {
            bridge,
            name,
            options,
        } => Request::AddPort {
            bridge,
            name,
            options,
        },
        Command::DelPort { name } => Request::DelPort { name },
        Command::Reload => Request::Reload,
        Command::PmdStats { clear } => Request::PmdStats { clear },
        Command::Trace { bridge, packet } => Request::Trace { bridge, packet },
        Command::DumpMegaflows { bridge } => Request::DumpMegaflows { bridge },
        Command::Route(RouteCommand::Add { route }) => Request::RouteAdd {
            route: route.join(" "),
        },
        Command::Route(RouteCommand::Del { dest }) => Request::RouteDel { route: dest },
        Command::Route(RouteCommand::Show) => Request::RouteShow,
        Command::Neigh(NeighCommand::Show) => Request::NeighShow,
        other => return Err(format!("{other:?} is an OpenFlow verb")),
    })
}

fn print_json(v: serde_json::Result<serde_json::Value>) -> ExitCode {
    match v.and_then(|v| serde_json::to_string_pretty(&v)) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ferroctl: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(r) = openflow(&args.run_dir, &args.command) {
        return match r {
            Ok(out) if args.json => print_json(Ok(out.json)),
            Ok(out) => {
                print!("{}", out.text);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ferroctl: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let req = match request(args.command) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ferroctl: {e}");
            return ExitCode::FAILURE;
        }
    };
    let body = match client::call(&args.run_dir.join(CTL_SOCKET), &req) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("ferroctl: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        return print_json(serde_json::to_value(&body));
    }
    let text = match &body {
        Body::Show(r) => render::show(r),
        Body::PortStats(r) => render::port_stats(r),
        Body::PmdStats(r) => render::pmd_stats(r),
        Body::Flows(r) => render::flows(r),
        Body::Groups(r) => render::groups(r),
        Body::Meters(r) => render::meters(r),
        Body::Trace(r) => render::trace(r),
        Body::Megaflows(r) => render::megaflows(r),
        Body::Routes(r) => render::routes(r),
        Body::Neighbours(r) => render::neighbours(r),
        Body::Done(r) if r.message.is_empty() => String::new(),
        Body::Done(r) => format!("{}\n", r.message),
    };
    print!("{text}");
    ExitCode::SUCCESS
}
