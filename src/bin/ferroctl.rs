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
}

fn main() -> ExitCode {
    let args = Args::parse();
    let req = match args.command {
        Command::Show => Request::Show,
        Command::PortStats => Request::PortStats,
        Command::PmdStats { clear } => Request::PmdStats { clear },
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
        };
        print!("{text}");
    }
    ExitCode::SUCCESS
}
