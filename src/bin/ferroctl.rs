//! `ferroctl`: the management CLI. Talks to a running ferroswitch over the
//! unix socket in its run directory.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use control::mgmt::proto::{Body, Request};
use control::mgmt::{client, render};
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

/// The lines of FILE ("-": standard input), kept as they are so the
/// daemon's errors can name line numbers.
fn read_lines(file: &std::path::Path) -> Result<Vec<String>, String> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("reading stdin: {e}"))?
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?
    };
    Ok(text.lines().map(str::to_string).collect())
}

fn request(c: Command) -> Result<Request, String> {
    Ok(match c {
        Command::Show => Request::Show,
        Command::PortStats => Request::PortStats,
        Command::PmdStats { clear } => Request::PmdStats { clear },
        Command::AddFlow { bridge, flow } => Request::AddFlows {
            bridge,
            flows: vec![flow],
        },
        Command::AddFlows { bridge, file } => Request::AddFlows {
            bridge,
            flows: read_lines(&file)?,
        },
        Command::ModFlows {
            bridge,
            flow,
            strict,
        } => Request::ModFlows {
            bridge,
            flow,
            strict,
        },
        Command::DelFlows {
            bridge,
            flow,
            strict,
        } => Request::DelFlows {
            bridge,
            filter: flow.unwrap_or_default(),
            strict,
        },
        Command::DumpFlows { bridge, filter } => Request::DumpFlows {
            bridge,
            filter: filter.unwrap_or_default(),
        },
        Command::AddGroup { bridge, group } => Request::AddGroups {
            bridge,
            groups: vec![group],
        },
        Command::AddGroups { bridge, file } => Request::AddGroups {
            bridge,
            groups: read_lines(&file)?,
        },
        Command::ModGroup { bridge, group } => Request::ModGroup { bridge, group },
        Command::DelGroups { bridge, filter } => Request::DelGroups {
            bridge,
            filter: filter.unwrap_or_default(),
        },
        Command::DumpGroups { bridge } => Request::DumpGroups { bridge },
        Command::AddMeter { bridge, meter } => Request::AddMeters {
            bridge,
            meters: vec![meter],
        },
        Command::DelMeters { bridge, filter } => Request::DelMeters {
            bridge,
            filter: filter.unwrap_or_default(),
        },
        Command::DumpMeters { bridge } => Request::DumpMeters { bridge },
        Command::Trace { bridge, packet } => Request::Trace { bridge, packet },
        Command::DumpMegaflows { bridge } => Request::DumpMegaflows { bridge },
        Command::Route(RouteCommand::Add { route }) => Request::RouteAdd {
            route: route.join(" "),
        },
        Command::Route(RouteCommand::Del { dest }) => Request::RouteDel { route: dest },
        Command::Route(RouteCommand::Show) => Request::RouteShow,
        Command::Neigh(NeighCommand::Show) => Request::NeighShow,
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
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
        match serde_json::to_string_pretty(&body) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("ferroctl: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
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
    }
    ExitCode::SUCCESS
}
