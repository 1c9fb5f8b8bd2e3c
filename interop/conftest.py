import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_terminal_summary(terminalreporter):
    import run_matrix
    import test_interop

    if test_interop.RESULTS:
        terminalreporter.write_sep("=", "interop matrix (rows: scenario, columns: client->server)")
        terminalreporter.write_line(run_matrix.format_matrix(test_interop.RESULTS))
