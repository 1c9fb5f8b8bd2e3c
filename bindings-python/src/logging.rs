//! The core's `tracing` events forwarded to Python's `logging` module under
//! the logger name "anysctp". Off (no subscriber, zero cost) until
//! `anysctp.enable_logging()` calls [`set_log_level`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Once;

use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// 0 = off, 1 = ERROR ... 5 = TRACE.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static INSTALL: Once = Once::new();

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?} ");
        } else {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value} ");
        } else {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }
}

struct PythonLogging;

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level can change at run time: ask `enabled` every time.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        rank(metadata.level()) <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut text = Text(String::new());
        event.record(&mut text);
        let msg = text.0.trim_end().to_owned();
        let level = python_level(event.metadata().level());
        let target = event.metadata().target();
        Python::with_gil(|py| {
            static LOGGER: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
            let logger = LOGGER.get_or_try_init(py, || {
                Ok::<_, PyErr>(
                    py.import("logging")?
                        .call_method1("getLogger", ("anysctp",))?
                        .unbind(),
                )
            });
            if let Ok(logger) = logger {
                // A failing handler must not unwind into the core.
                let _ = logger
                    .bind(py)
                    .call_method1("log", (level, "%s: %s", target, msg));
            }
        });
    }
}

/// Sets the most verbose level forwarded: 0 off, 1 ERROR, 2 WARN, 3 INFO,
/// 4 DEBUG, 5 TRACE. Installs the bridge as the process's global tracing
/// subscriber the first time a level above 0 is set.
#[pyfunction]
pub fn set_log_level(level: u8) -> bool {
    MAX_LEVEL.store(level.min(5), Ordering::Relaxed);
    let mut installed = true;
    if level > 0 {
        INSTALL.call_once(|| {
            installed = tracing_subscriber::registry()
                .with(PythonLogging)
                .try_init()
                .is_ok();
        });
    }
    installed
}
