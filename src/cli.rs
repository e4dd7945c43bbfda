//! Command line. Subcommands are an enum so that `run` (the collector) and
//! `check-config` slot in beside `decode` without touching the others.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use flowgate_record::{FieldId, OutputFormat};

#[derive(Debug, Parser)]
#[command(
    name = "flowgate",
    version,
    about = "NetFlow / IPFIX / sFlow collector",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// With no subcommand, flowgate runs the collector with these flags
    #[command(flatten)]
    pub run: flowgate_server::RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode the flow exports in pcap / pcapng captures and print one line per flow record
    Decode(DecodeArgs),
    /// Run the collector (the default when no subcommand is given)
    Run(flowgate_server::RunArgs),
    /// Validate a config file and print the effective configuration as YAML
    CheckConfig {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Exit 0 if a running instance answers its health check, 1 if not
    Healthcheck(flowgate_server::HealthcheckArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Print per-exporter statistics (datagrams, records, templates, errors by reason) to stderr
    #[arg(long)]
    pub stats: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Print only these fields, in this order (comma-separated; absent ones are null)
    #[arg(long, value_delimiter = ',', value_parser = parse_field, value_name = "FIELD,...")]
    pub fields: Option<Vec<FieldId>>,

    /// Render proto and etype as names ("TCP", "IPv4") as goflow2 does
    #[arg(long)]
    pub names: bool,

    /// Where records go: the collector's sinks, by name (comma-separated)
    #[arg(long = "sink", value_delimiter = ',', default_value = "stdout", value_name = "SINK",
          value_parser = clap::builder::PossibleValuesParser::new(flowgate_server::sink::NAMES))]
    pub sinks: Vec<String>,

    /// Load NetFlow v9 / IPFIX templates saved by an earlier run before decoding
    #[arg(long, value_name = "FILE")]
    pub templates_in: Option<PathBuf>,

    /// Save the NetFlow v9 / IPFIX templates known at the end of the run
    #[arg(long, value_name = "FILE")]
    pub templates_out: Option<PathBuf>,

    /// Capture files (classic pcap or pcapng), decoded in order with one template state
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line
    Json,
    /// key=value pairs separated by spaces
    Text,
}

impl From<Format> for OutputFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Json => OutputFormat::Json,
            Format::Text => OutputFormat::Text,
        }
    }
}

fn parse_field(name: &str) -> Result<FieldId, String> {
    FieldId::from_name(name.trim()).ok_or_else(|| {
        let known: Vec<&str> = FieldId::ALL.iter().map(|f| f.name()).collect();
        format!("unknown field; known fields: {}", known.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn fields_parse_in_order_and_reject_unknown_names() {
        let cli =
            Cli::try_parse_from(["flowgate", "decode", "--fields", "bytes,src_addr", "x"]).unwrap();
        let Some(Command::Decode(args)) = cli.command else {
            panic!("decode expected")
        };
        assert_eq!(args.fields, Some(vec![FieldId::Bytes, FieldId::SrcAddr]));
        assert!(Cli::try_parse_from(["flowgate", "decode", "--fields", "nope", "x"]).is_err());
    }
}
