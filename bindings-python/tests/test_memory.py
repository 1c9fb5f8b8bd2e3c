"""10,000 associations created and dropped without memory growth."""

import gc
import resource
import tracemalloc


from anysctp import Endpoint


def churn(ep: Endpoint, n: int, t: float) -> float:
    for i in range(n):
        a = ep.connect(t, ("10.1.%d.%d" % (i // 250 % 250, i % 250 + 1), 9899), 5000)
        ep.poll_transmit_all(t)
        a.abort(t, "test")
        ep.poll_transmit_all(t)
        ep.poll_events()
        t += 0.001
    return t


def test_ten_thousand_associations_do_not_grow_memory() -> None:
    ep = Endpoint(5000, seed=bytes(32))
    t = churn(ep, 2000, 1.0)  # warm up allocators and caches
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = churn(ep, 10_000, t)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert ep.associations() == []
    assert after - before < 256 * 1024, f"Python heap grew by {after - before} bytes"
    assert rss_after - rss_before < 32 * 1024, f"peak RSS grew by {rss_after - rss_before} KiB"
