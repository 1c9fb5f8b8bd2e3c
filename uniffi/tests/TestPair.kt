// Drives the uniffi bindings from Kotlin (the generated module, through JNA):
// two endpoints over an in-memory link with loss, in virtual time; messages
// in the interop format must arrive complete and in order; an unknown
// association must raise NoSuchAssociation; then a graceful shutdown.
// The Kotlin twin of test_pair.py; then the extensions (TestExtensions.kt).

import kotlin.random.Random
import kotlin.system.exitProcess
import uniffi.anysctp_uniffi.SctpEndpoint
import uniffi.anysctp_uniffi.SctpEvent
import uniffi.anysctp_uniffi.SctpException

const val A = "10.0.0.1:9899"
const val B = "10.0.0.2:9899"

fun interop(mid: Int, size: Int): ByteArray {
    val out = ByteArray(size)
    for (i in 0 until 8) out[i] = (mid.toLong() ushr (8 * i)).toByte()
    for (i in 8 until size) out[i] = ((mid + i) % 251).toByte()
    return out
}

fun midOf(data: ByteArray): Int {
    var v = 0L
    for (i in 7 downTo 0) v = (v shl 8) or (data[i].toLong() and 0xff)
    return v.toInt()
}

fun check(ok: Boolean, what: () -> String) {
    if (!ok) {
        System.err.println("uniffi kotlin: FAILED: ${what()}")
        exitProcess(1)
    }
}

class Link(val a: SctpEndpoint, val b: SctpEndpoint, val loss: Double = 0.05) {
    val rng = Random(7)
    // Every "ip:port" each side may be sent to (add to it for ASCONF).
    val addrs = listOf(mutableListOf(A), mutableListOf(B))
    var now: ULong = 1_000_000uL
    val events = listOf(mutableListOf<SctpEvent>(), mutableListOf<SctpEvent>())

    private fun step(): Boolean {
        var moved = false
        val wire = mutableListOf<Triple<SctpEndpoint, String, ByteArray>>()
        for ((side, pair) in listOf(a to A, b to B).withIndex()) {
            val (ep, src) = pair
            while (true) {
                val d = ep.pollTransmit(now) ?: break
                moved = true
                check(d.destination in addrs[1 - side]) { "wrong destination ${d.destination}" }
                if (rng.nextDouble() < loss) continue // lost
                wire.add(Triple(if (side == 0) b else a, src, d.data))
            }
        }
        for ((ep, src, data) in wire) {
            ep.handleDatagram(now, src, data)
            moved = true
        }
        for ((side, ep) in listOf(a, b).withIndex()) {
            while (true) {
                events[side].add(ep.pollEvent() ?: break)
                moved = true
            }
        }
        return moved
    }

    fun run(limit: ULong = 600_000_000uL, until: () -> Boolean): Boolean {
        val end = now + limit
        while (!until() && now < end) {
            if (step()) continue
            val next = listOfNotNull(a.pollTimeout(), b.pollTimeout()).minOrNull() ?: break
            now = maxOf(now, next)
            a.handleTimeout(now)
            b.handleTimeout(now)
        }
        return until()
    }
}

fun main() {
    val a = SctpEndpoint(5001u, false, ByteArray(32))
    val b = SctpEndpoint(5002u, true, ByteArray(32) { 1 })
    val link = Link(a, b)
    val assoc = a.connect(link.now, B, 5002u)
    fun connected(side: Int) = link.events[side].any { it is SctpEvent.Connected }
    check(link.run { connected(0) && connected(1) }) { "no association" }

    val count = 300
    for (mid in 0 until count) {
        while (true) {
            try {
                a.send(link.now, assoc, (mid % 3).toUShort(), 51u, false, interop(mid, 8 + mid * 13 % 1400))
                break
            } catch (e: SctpException.WouldBlock) {
                link.run(10_000uL) { false }
            }
        }
    }
    fun messages() = link.events[1].filterIsInstance<SctpEvent.Message>()
    check(link.run { messages().size == count }) { "${messages().size} of $count arrived" }
    val next = intArrayOf(0, 1, 2)
    for (m in messages()) {
        val mid = midOf(m.data)
        val s = m.stream.toInt()
        check(m.ppid == 51u && !m.unordered) { "message $mid: ppid ${m.ppid}, unordered ${m.unordered}" }
        check(m.data.contentEquals(interop(mid, m.data.size)) && mid == next[s]) {
            "message $mid on stream $s: expected ${next[s]} or corrupt"
        }
        next[s] += 3
    }

    var refused = false
    try {
        a.send(link.now, 424242uL, 0u, 0u, false, byteArrayOf(120))
    } catch (e: SctpException.NoSuchAssociation) {
        refused = e.detail.isNotEmpty()
    }
    check(refused) { "send to an unknown association succeeded" }

    a.shutdown(link.now, assoc)
    fun closed(side: Int) = link.events[side].filterIsInstance<SctpEvent.Closed>()
    check(link.run { closed(0).isNotEmpty() && closed(1).isNotEmpty() }) { "no clean close" }
    check(closed(0)[0].reason == "shutdown" && closed(1)[0].reason == "shutdown") {
        "close reasons ${closed(0)[0].reason} / ${closed(1)[0].reason}"
    }
    a.close()
    b.close()
    println("uniffi kotlin: $count messages in order over a lossy link, clean shutdown")
    extensions() // TestExtensions.kt
}
