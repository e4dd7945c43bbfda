//! `flowgate decode`: replays captures through the pipeline the collector
//! uses and prints the records.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flowgate::{replay, Pipeline, ReplayError, Sink, Stats};
use flowgate_decode::{Decoder, Exporter};
use flowgate_pcap::ReaderStats;
use flowgate_record::{CounterRecord, RecordBatch};

use crate::cli::DecodeArgs;
use crate::templates;

/// The collector's sinks (`--sink`, stdout by default), called in line:
/// the stdout sink renders and buffers exactly as `flowgate run`'s does.
struct Printer {
    sinks: Vec<Box<dyn flowgate_server::sink::Sink>>,
}

impl Sink for Printer {
    fn write_batch(
        &mut self,
        _: &Exporter,
        flows: &RecordBatch,
        counters: &[CounterRecord],
    ) -> io::Result<()> {
        for s in &mut self.sinks {
            s.send(flows, counters)?;
        }
        Ok(())
    }
}

impl Printer {
    fn flush(&mut self) -> io::Result<()> {
        for s in &mut self.sinks {
            s.flush()?;
        }
        Ok(())
    }
}

pub fn run(args: DecodeArgs) -> ExitCode {
    let decoder = match &args.templates_in {
        Some(path) => match templates::load(path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("flowgate: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Decoder::default(),
    };
    let mut pipeline = Pipeline::new(decoder);
    let sinks = flowgate_server::sink::for_decode(
        &args.sinks,
        args.format.into(),
        args.fields.as_deref(),
        args.names,
    );
    let mut printer = match sinks {
        Ok(sinks) => Printer { sinks },
        Err(e) => {
            eprintln!("flowgate: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stats = Stats::default();
    let mut captures: Vec<(PathBuf, ReaderStats)> = Vec::new();
    let mut failed = false;

    for path in &args.files {
        match decode_file(path, &mut pipeline, &mut printer, &mut stats, &mut captures) {
            Ok(()) => {}
            Err(Failure::Capture(msg)) => {
                eprintln!("flowgate: {}: {msg}", path.display());
                failed = true;
            }
            // The reader of our output went away (`| head`): nothing more to do.
            Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => break,
            Err(Failure::Output(e)) => {
                eprintln!("flowgate: writing records: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = printer.flush() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("flowgate: writing records: {e}");
            failed = true;
        }
    }
    if let Some(path) = &args.templates_out {
        if let Err(e) = templates::save(pipeline.decoder(), path) {
            eprintln!("flowgate: {e}");
            failed = true;
        }
    }
    if args.stats {
        print_stats(&stats, &captures);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

enum Failure {
    /// The file is not a readable capture (or breaks off part-way).
    Capture(String),
    Output(io::Error),
}

fn decode_file(
    path: &Path,
    pipeline: &mut Pipeline,
    printer: &mut Printer,
    stats: &mut Stats,
    captures: &mut Vec<(PathBuf, ReaderStats)>,
) -> Result<(), Failure> {
    let mut reader = flowgate_pcap::open(path).map_err(|e| Failure::Capture(e.to_string()))?;
    let result = replay(&mut reader, pipeline, printer, &mut |d| {
        stats.count(d.exporter.addr, d.protocol, d.decoded)
    });
    captures.push((path.to_owned(), reader.stats().clone()));
    match result {
        Ok(()) => Ok(()),
        Err(ReplayError::Capture(e)) => Err(Failure::Capture(format!(
            "{e} (after {} frames; the records before it were printed)",
            reader.stats().frames
        ))),
        Err(ReplayError::Sink(e)) => Err(Failure::Output(e)),
    }
}

fn print_stats(stats: &Stats, captures: &[(PathBuf, ReaderStats)]) {
    let mut err = io::stderr().lock();
    let _ = stats.write_table(&mut err);
    for (path, s) in captures {
        let _ = writeln!(err, "capture {}: {}", path.display(), reader_stats(s));
    }
}

/// The reader's non-zero counters, `name=value`, in a fixed order.
fn reader_stats(s: &ReaderStats) -> String {
    let all = [
        ("frames", s.frames),
        ("udp_datagrams", s.udp_datagrams),
        ("truncated_datagrams", s.truncated_datagrams),
        ("non_ip", s.non_ip),
        ("non_udp", s.non_udp),
        ("truncated", s.truncated),
        ("malformed", s.malformed),
        ("unsupported_link_type", s.unsupported_link_type),
        ("fragments", s.fragments),
        ("fragments_held", s.fragments_held),
        ("reassembled", s.reassembled),
        ("fragments_dropped", s.fragments_dropped),
        ("reassembly_evicted", s.reassembly_evicted),
        ("reassembly_bogus", s.reassembly_bogus),
        ("blocks_skipped", s.blocks_skipped),
    ];
    let parts: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|&(i, &(_, v))| i < 2 || v > 0)
        .map(|(_, (k, v))| format!("{k}={v}"))
        .collect();
    parts.join(" ")
}
