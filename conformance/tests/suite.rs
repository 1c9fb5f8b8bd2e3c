//! The ETSI TS 102 369 suite and the project's own scripts against the
//! parser and the runner.

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

#[test]
fn project_scripts_parse_and_are_declared_passing() {
    let scripts = suite::discover_project().expect("conformance/scripts is readable");
    let groups: Vec<&str> = scripts.iter().map(|s| s.group.as_str()).collect();
    for g in ["anysctp-forward-tsn", "anysctp-i-data", "anysctp-reconfig"] {
        assert!(groups.contains(&g), "no {g} scripts: {groups:?}");
    }
    let expected = suite::read_name_list(
        &std::fs::read_to_string(suite::crate_dir().join("expected-pass.txt")).unwrap(),
    );
    for s in &scripts {
        let text = std::fs::read_to_string(&s.path).expect("readable script");
        if let Err(e) = parse_script(&text) {
            panic!("{}: {e}", s.name);
        }
        // The project's own scripts state rules the core keeps: each one
        // is held to passing by `declared_passing_tests_pass`.
        assert!(
            expected.contains(&s.name),
            "{} is not in expected-pass.txt",
            s.name
        );
    }
}

#[test]
fn declared_passing_tests_pass() {
    let (results, expected, text) =
        anysctp_conformance::report::run_default("", anysctp_conformance::default_target())
            .expect("suite readable");
    println!("{text}");
    let names: Vec<&str> = results.iter().map(|r| r.test.name.as_str()).collect();
    let mut broken = Vec::new();
    for e in &expected {
        match results.iter().find(|r| &r.test.name == e) {
            None => broken.push(format!("{e}: no such test (known: {})", names.len())),
            Some(r) if r.status != anysctp_conformance::report::Status::Pass => {
                broken.push(format!("{e}: {:?}", r.status))
            }
            Some(_) => {}
        }
    }
    assert!(
        broken.is_empty(),
        "declared passing but not passing:\n{}",
        broken.join("\n")
    );
}

#[test]
fn not_applicable_list_names_real_tests_with_reasons() {
    let text = std::fs::read_to_string(suite::crate_dir().join("NOT_APPLICABLE.md")).unwrap();
    let na = suite::read_not_applicable(&text);
    assert!(!na.is_empty());
    let scripts = suite::discover(&suite::suite_dir()).unwrap();
    for (name, reason) in &na {
        assert!(
            scripts.iter().any(|s| &s.name == name),
            "{name} is not in the suite"
        );
        assert!(reason.len() > 10, "{name} needs a reason");
    }
}
