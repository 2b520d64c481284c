//! `ferroswitch --config FILE`: the switch daemon.
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use control::daemon::{self, Overrides};

#[derive(Parser, Debug)]
#[command(name = "ferroswitch", version, about = "DPDK virtual switch daemon")]
struct Args {
    /// Configuration file (TOML).
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "/etc/ferroswitch/ferroswitch.toml"
    )]
    config: PathBuf,
    /// Run directory (management socket, pid lock); overrides switch.run_dir.
    #[arg(long, value_name = "DIR")]
    run_dir: Option<PathBuf>,
    /// DPDK --file-prefix; overrides switch.file_prefix.
    #[arg(long, value_name = "PREFIX")]
    file_prefix: Option<String>,
    /// Log level (error, warn, info, debug, trace); overrides switch.log_level.
    #[arg(long, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Only check the configuration file and exit.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    control::set_build_rev(env!("FERROSWITCH_GIT_REV"));
    let args = Args::parse();
    let mut cfg = match fsconfig::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ferroswitch: {e}");
            return ExitCode::from(2);
        }
    };
    let overrides = Overrides {
        run_dir: args.run_dir,
        file_prefix: args.file_prefix,
    };
    daemon::apply(&mut cfg, &overrides);
    if args.check {
        println!("{}: configuration is valid", args.config.display());
        return ExitCode::SUCCESS;
    }
    let level = args
        .log_level
        .unwrap_or_else(|| cfg.switch.log_level.as_str().to_string());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    let source = control::switch::ConfigSource {
        path: args.config,
        overrides,
    };
    match daemon::run(cfg, Some(source)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("ferroswitch: {e}");
            ExitCode::FAILURE
        }
    }
}
