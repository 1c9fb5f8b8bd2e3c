"""pytest entry of the interop matrix: every pair x every scenario it applies to.

    pip install pytest && python3 -m pytest interop/test_interop.py -v

Builds the peers into interop/build/ if needed; the matrix of results is
printed at the end of the session (see conftest.py).
"""
import pytest

import run_matrix as rm

RESULTS: list = []


@pytest.fixture(scope="session", autouse=True)
def built():
    rm.build_all()


COMBOS = rm.combos(rm.PAIRS, rm.SCENARIOS)


@pytest.mark.parametrize("scenario,pair", COMBOS,
                         ids=[f"{c}-{s}-{sc.name}" for sc, (c, s) in COMBOS])
def test_interop(pair, scenario):
    client, server = pair
    r = rm.run_scenario(client, server, scenario)
    RESULTS.append(r)
    assert r.ok, r.summary()
    # Both sides saw the graceful shutdown, and the receiver got everything.
    assert r.server["shutdown"] == "graceful" and r.client["shutdown"] == "graceful"
    expect = {"messages_10k": 10000, "loss_1pct": 10000, "loss_5pct_reorder_5pct": 10000,
              "big_1mib": 1, "echo_shutdown": 1000, "handshake": 0,
              "stream_reset": 2000}[scenario.name]
    assert r.server["received"] == expect
