//! Running the whole suite and printing the table.

use std::fmt::Write as _;

use crate::runner::run_script;
use crate::suite::{self, TestScript};
use crate::target::ScriptTarget;

/// Outcome of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The script ran to its end.
    Pass,
    /// The first mismatch (or why the script could not run).
    Fail(String),
    /// Listed in `NOT_APPLICABLE.md`, with the reason.
    NotApplicable(String),
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The script.
    pub test: TestScript,
    /// Its outcome.
    pub status: Status,
}

/// Builds a fresh target per script; `None` while no target exists.
pub type TargetFactory<'a> = Option<&'a dyn Fn() -> Box<dyn ScriptTarget>>;

/// Runs every script whose name contains `filter`.
pub fn run_suite(
    scripts: &[TestScript],
    not_applicable: &[(String, String)],
    filter: &str,
    factory: TargetFactory<'_>,
) -> Vec<TestResult> {
    scripts
        .iter()
        .filter(|s| s.name.contains(filter))
        .map(|s| {
            let status = if let Some((_, why)) = not_applicable.iter().find(|(n, _)| *n == s.name) {
                Status::NotApplicable(why.clone())
            } else {
                run_one(s, factory)
            };
            TestResult {
                test: s.clone(),
                status,
            }
        })
        .collect()
}

fn run_one(s: &TestScript, factory: TargetFactory<'_>) -> Status {
    let text = match std::fs::read_to_string(&s.path) {
        Ok(t) => t,
        Err(e) => return Status::Fail(format!("cannot read {}: {e}", s.path.display())),
    };
    let script = match crate::parse_script(&text) {
        Ok(s) => s,
        Err(e) => return Status::Fail(format!("parse error: {e}")),
    };
    let Some(factory) = factory else {
        return Status::Fail(
            "not run: no ScriptTarget yet (the socket facade is not on main)".into(),
        );
    };
    let mut target = factory();
    match run_script(&script, target.as_mut()) {
        Ok(()) => Status::Pass,
        Err(f) => Status::Fail(f.to_string()),
    }
}

/// The report: one line per test, failures with their first mismatch,
/// totals per group and overall.
pub fn render(results: &[TestResult]) -> String {
    let mut out = String::new();
    let mut groups: Vec<&str> = results.iter().map(|r| r.test.group.as_str()).collect();
    groups.dedup();
    let (mut tp, mut tf, mut tn) = (0, 0, 0);
    for g in groups {
        let _ = writeln!(out, "== {g}");
        let (mut p, mut f, mut n) = (0, 0, 0);
        for r in results.iter().filter(|r| r.test.group == g) {
            match &r.status {
                Status::Pass => {
                    p += 1;
                    let _ = writeln!(out, "  pass            {}", r.test.name);
                }
                Status::Fail(why) => {
                    f += 1;
                    let _ = writeln!(out, "  FAIL            {}", r.test.name);
                    for l in why.lines() {
                        let _ = writeln!(out, "                    {l}");
                    }
                }
                Status::NotApplicable(why) => {
                    n += 1;
                    let _ = writeln!(out, "  not applicable  {}  ({why})", r.test.name);
                }
            }
        }
        let _ = writeln!(out, "  -- {g}: {p} pass, {f} fail, {n} not applicable");
        (tp, tf, tn) = (tp + p, tf + f, tn + n);
    }
    let _ = writeln!(
        out,
        "TOTAL: {tp} pass, {tf} fail, {tn} not applicable ({} tests)",
        results.len()
    );
    out
}

/// Loads the suite, the project's own scripts and the declared lists,
/// runs them and returns the results, `expected-pass.txt` and the
/// rendered report.
pub fn run_default(
    filter: &str,
    factory: TargetFactory<'_>,
) -> Result<(Vec<TestResult>, Vec<String>, String), String> {
    let dir = suite::suite_dir();
    let mut scripts = suite::discover(&dir)
        .map_err(|e| format!("cannot read the suite at {}: {e}", dir.display()))?;
    // The project's own scripts follow as their own groups.
    scripts.extend(suite::discover_project().map_err(|e| {
        format!(
            "cannot read the project's scripts at {}: {e}",
            suite::project_dir().display()
        )
    })?);
    let crate_dir = suite::crate_dir();
    let na = std::fs::read_to_string(crate_dir.join("NOT_APPLICABLE.md"))
        .map(|t| suite::read_not_applicable(&t))
        .unwrap_or_default();
    let expected = std::fs::read_to_string(crate_dir.join("expected-pass.txt"))
        .map(|t| suite::read_name_list(&t))
        .unwrap_or_default();
    let results = run_suite(&scripts, &na, filter, factory);
    let text = render(&results);
    Ok((results, expected, text))
}
