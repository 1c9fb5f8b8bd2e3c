//! The ETSI TS 102 369 suite against the parser and the runner.

use anysctp_conformance::{parse_script, suite};

#[test]
fn every_script_of_the_suite_parses() {
    let dir = suite::suite_dir();
    let scripts = suite::discover(&dir)
        .unwrap_or_else(|e| panic!("cannot read the suite at {}: {e}", dir.display()));
    assert!(scripts.len() >= 115, "only {} scripts found", scripts.len());
    let mut failures = Vec::new();
    for s in &scripts {
        let text = std::fs::read_to_string(&s.path).expect("readable script");
        for defines in [&["FreeBSD"][..], &["Linux"][..]] {
            if let Err(e) = anysctp_conformance::parse::parse_script_with(&text, defines) {
                failures.push(format!("{} ({defines:?}): {e}", s.name));
            }
        }
        let parsed = parse_script(&text).expect("checked above");
        assert!(!parsed.events.is_empty(), "{} has no events", s.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
