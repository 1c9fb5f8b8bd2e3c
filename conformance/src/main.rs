//! `cargo run -p anysctp-conformance -- [FILTER]`: runs the ETSI TS 102 369
//! scripts whose name contains FILTER and prints the report.

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    match anysctp_conformance::report::run_default(&filter, anysctp_conformance::default_target()) {
        Ok((_, _, text)) => print!("{text}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
