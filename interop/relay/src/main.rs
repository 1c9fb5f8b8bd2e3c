//! `anysctp-relay`: a UDP impairment relay for interop tests.
//!
//! ```text
//! anysctp-relay --listen [ADDR:]PORT --target HOST:PORT
//!               [--loss P] [--reorder P] [--dup P] [--seed N] [--timeout SECS]
//! ```
//!
//! Forwards datagrams from the first client to the target and back, with
//! seeded loss, reordering and duplication per direction, for at most
//! `--timeout` seconds (default 60), or until its standard input reaches end
//! of file when started with `--stop-on-eof 1` (how a harness stops it);
//! prints the counters on exit.

use relay::{Impairment, Relay};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: anysctp-relay --listen [ADDR:]PORT --target HOST:PORT \
[--loss P] [--reorder P] [--dup P] [--seed N] [--timeout SECS] [--stop-on-eof 0|1]";

struct Args {
    listen: String,
    target: String,
    imp: Impairment,
    seed: u64,
    timeout: f64,
    stop_on_eof: bool,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        listen: String::new(),
        target: String::new(),
        imp: Impairment::default(),
        seed: 1,
        timeout: 60.0,
        stop_on_eof: false,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--listen" => a.listen = value,
            "--target" => a.target = value,
            "--loss" => a.imp.loss = num(&value)?,
            "--reorder" => a.imp.reorder = num(&value)?,
            "--dup" => a.imp.dup = num(&value)?,
            "--seed" => a.seed = value.parse().map_err(|e| format!("--seed {value}: {e}"))?,
            "--timeout" => a.timeout = num(&value)?,
            "--stop-on-eof" => a.stop_on_eof = value == "1",
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if a.listen.is_empty() || a.target.is_empty() {
        return Err("--listen and --target are required".into());
    }
    if !a.listen.contains(':') {
        a.listen = format!("127.0.0.1:{}", a.listen);
    }
    if !(a.timeout > 0.0 && a.timeout < 1e6) {
        return Err("--timeout must be a positive number of seconds".into());
    }
    a.imp.validate()?;
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("anysctp-relay: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let deadline = Instant::now() + Duration::from_secs_f64(args.timeout);
    let relay = match Relay::bind(&args.listen, &args.target, args.imp, args.seed) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("anysctp-relay: {e}");
            return ExitCode::from(1);
        }
    };
    if let Ok(addr) = relay.local_addr() {
        eprintln!("anysctp-relay: {addr} -> {}", args.target);
    }
    static STOP: AtomicBool = AtomicBool::new(false);
    if args.stop_on_eof {
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            STOP.store(true, Ordering::Relaxed);
        });
    }
    match relay.run(deadline, &STOP) {
        Ok(c) => {
            println!("{c}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("anysctp-relay: {e}");
            ExitCode::from(1)
        }
    }
}
