// The extensions through the uniffi bindings from Kotlin: the config record
// (pfMaxRetrans, maxInitTimeout, auth), stream reconfiguration (RFC 6525),
// SCTP-AUTH keys (RFC 4895) and ASCONF (RFC 5061), with their events. The
// Kotlin twin of test_extensions.py; uses Link and check from TestPair.kt.

import uniffi.anysctp_uniffi.AddressRequestKind
import uniffi.anysctp_uniffi.AddressRequestOutcome
import uniffi.anysctp_uniffi.AuthIndication
import uniffi.anysctp_uniffi.ReconfigResult
import uniffi.anysctp_uniffi.ResetDirection
import uniffi.anysctp_uniffi.SctpAuthConfig
import uniffi.anysctp_uniffi.SctpConfig
import uniffi.anysctp_uniffi.SctpEndpoint
import uniffi.anysctp_uniffi.SctpEvent
import uniffi.anysctp_uniffi.SctpException
import uniffi.anysctp_uniffi.StreamDirection
import uniffi.anysctp_uniffi.defaultConfig

class Pair(cfg: SctpConfig, aLocal: List<String> = listOf(), bLocal: List<String> = listOf()) {
    val a = SctpEndpoint.withConfig(5001u, false, ByteArray(32), cfg, aLocal)
    val b = SctpEndpoint.withConfig(5002u, true, ByteArray(32) { 1 }, cfg, bLocal)
    val link = Link(a, b, 0.0)
    val aId = a.connect(link.now, B, 5002u)
    val bId: ULong

    init {
        check(link.run { connected(0) && connected(1) }) { "no association" }
        bId = link.events[1].filterIsInstance<SctpEvent.Connected>()[0].association
    }

    private fun connected(side: Int) = link.events[side].any { it is SctpEvent.Connected }

    inline fun <reified T : SctpEvent> of(side: Int) = link.events[side].filterIsInstance<T>()
}

inline fun <reified T : Throwable> refused(what: String, f: () -> Unit) {
    try {
        f()
    } catch (e: Throwable) {
        check(e is T) { "$what: ${e::class.simpleName} instead of ${T::class.simpleName}" }
        return
    }
    check(false) { "$what: no ${T::class.simpleName}" }
}

fun configRecord() {
    val d = defaultConfig()
    check(d.pfMaxRetrans == 0u && d.maxInitTimeout == null && d.auth == null) { "defaults $d" }
    refused<SctpException.InvalidArgument>("pf_max_retrans not below max_path_retransmits") {
        SctpEndpoint.withConfig(1u, false, ByteArray(32), d.copy(pfMaxRetrans = 5u), listOf())
    }
    refused<SctpException.InvalidArgument>("negative max_init_timeout") {
        SctpEndpoint.withConfig(1u, false, ByteArray(32), d.copy(maxInitTimeout = -1.0), listOf())
    }
    refused<SctpException.InvalidArgument>("unknown HMAC") {
        SctpEndpoint.withConfig(1u, false, ByteArray(32), d.copy(auth = SctpAuthConfig(listOf(), listOf("md5"))), listOf())
    }
    // max_init_timeout caps the INIT retransmission timeout (virtual time).
    fun giveUpAfter(cfg: SctpConfig): ULong {
        val a = SctpEndpoint.withConfig(5001u, false, ByteArray(32), cfg, listOf())
        var now = 1_000_000uL
        a.connect(now, B, 5002u)
        while (true) {
            while (a.pollTransmit(now) != null) {}
            if (a.pollEvent() is SctpEvent.Closed) return now - 1_000_000uL
            now = maxOf(now, a.pollTimeout() ?: error("no timer"))
            a.handleTimeout(now)
        }
    }
    val base = d.copy(maxInitRetransmits = 4u, rtoInitial = 1.0)
    check(giveUpAfter(base) == 31_000_000uL) { "uncapped INIT timeouts" }
    check(giveUpAfter(base.copy(maxInitTimeout = 2.0)) == 9_000_000uL) { "max_init_timeout ignored" }
}

fun reconfig() {
    val p = Pair(defaultConfig())
    val now = { p.link.now }
    p.a.send(now(), p.aId, 1u, 0u, false, "before".toByteArray())
    p.a.resetStreams(now(), p.aId, listOf(1u.toUShort()))
    check(p.link.run { p.of<SctpEvent.StreamsReset>(0).isNotEmpty() && p.of<SctpEvent.StreamsReset>(1).isNotEmpty() }) { "no reset" }
    val ours = p.of<SctpEvent.StreamsReset>(0)[0]
    val theirs = p.of<SctpEvent.StreamsReset>(1)[0]
    check(ours.direction == StreamDirection.OUTGOING && ours.streams == listOf(1u.toUShort()) && ours.result == ReconfigResult.SUCCESS) { "$ours" }
    check(theirs.direction == StreamDirection.INCOMING && theirs.association == p.bId) { "$theirs" }
    p.a.addStreams(now(), p.aId, 2u)
    check(p.link.run { p.of<SctpEvent.StreamsAdded>(0).isNotEmpty() && p.of<SctpEvent.StreamsAdded>(1).isNotEmpty() }) { "no add" }
    check(p.of<SctpEvent.StreamsAdded>(0)[0].outboundStreams.toInt() == 12) { "${p.of<SctpEvent.StreamsAdded>(0)}" }
    check(p.of<SctpEvent.StreamsAdded>(1)[0].inboundStreams.toInt() == 12) { "${p.of<SctpEvent.StreamsAdded>(1)}" }
    p.b.setReconfigPolicy(p.bId, false, false, 65535u)
    p.a.resetStreams(now(), p.aId, listOf(0u.toUShort()))
    check(p.link.run { p.of<SctpEvent.StreamsReset>(0).size == 2 }) { "no answer" }
    check(p.of<SctpEvent.StreamsReset>(0)[1].result == ReconfigResult.DENIED) { "${p.of<SctpEvent.StreamsReset>(0)}" }
    refused<SctpException.NoSuchAssociation>("reset on an unknown association") {
        p.a.resetStreams(now(), 999uL, listOf(0u.toUShort()))
    }
}

fun auth() {
    val p = Pair(defaultConfig().copy(auth = SctpAuthConfig(listOf(0u.toUShort()), listOf("sha256", "sha1"))))
    check(0u.toUShort() in p.a.peerAuthChunks(p.aId) && 0u.toUShort() in p.a.localAuthChunks(p.aId)) { "chunks" }
    check(p.a.activeAuthKey(p.aId).toInt() == 0) { "null key first" }
    for ((ep, id) in listOf(p.a to p.aId, p.b to p.bId)) {
        ep.setAuthKey(3u, "kotlin secret".toByteArray(), id)
        ep.setActiveAuthKey(3u, id)
    }
    p.a.send(p.link.now, p.aId, 0u, 0u, false, "with key 3".toByteArray())
    check(p.link.run { p.of<SctpEvent.Message>(1).isNotEmpty() }) { "no message" }
    check(p.of<SctpEvent.Authentication>(1).any { it.keyId.toInt() == 3 && it.indication == AuthIndication.NEW_KEY }) {
        "${p.of<SctpEvent.Authentication>(1)}"
    }
    p.b.send(p.link.now, p.bId, 0u, 0u, false, "back".toByteArray())
    check(p.link.run { p.of<SctpEvent.Message>(0).isNotEmpty() }) { "no answer" }
    p.a.deactivateAuthKey(0u, p.aId)
    fun freed() = p.of<SctpEvent.Authentication>(0).filter { it.indication == AuthIndication.FREE_KEY }
    check(p.link.run(10_000_000uL) { freed().isNotEmpty() } && freed()[0].keyId.toInt() == 0) { "no FREE_KEY" }
    p.a.deleteAuthKey(0u, p.aId)
    check(p.a.activeAuthKey(p.aId).toInt() == 3) { "active key" }
    refused<SctpException.Refused>("deleting the active key") { p.a.deleteAuthKey(3u, p.aId) }
}

fun asconf() {
    val p = Pair(defaultConfig().copy(auth = SctpAuthConfig(listOf(), listOf("sha256", "sha1"))), listOf("10.0.0.1"), listOf("10.0.0.2"))
    check(p.a.localAddresses() == listOf("10.0.0.1") && p.a.autoAsconf()) { "addresses" }
    fun results() = p.of<SctpEvent.AddressRequestResult>(0)
    p.link.addrs[0].add("10.0.0.3:9899")
    p.a.addLocalAddress(p.link.now, "10.0.0.3")
    check(p.link.run { results().size == 1 }) { "no answer to the add" }
    val r = results()[0]
    check(r.request == AddressRequestKind.ADD_LOCAL && r.address == "10.0.0.3" &&
        r.outcome == AddressRequestOutcome.ACCEPTED && r.causeCode == null && r.reason == "") { "$r" }
    p.a.setPeerPrimary(p.link.now, p.aId, "10.0.0.3")
    check(p.link.run { results().size == 2 }) { "no answer to set-primary" }
    check(results()[1].request == AddressRequestKind.SET_PEER_PRIMARY && results()[1].outcome == AddressRequestOutcome.ACCEPTED) { "${results()}" }
    p.a.setAutoAsconf(false)
    p.a.addLocalAddress(p.link.now, "10.0.0.4")
    p.link.run(2_000_000uL) { false }
    check(results().size == 2 && "10.0.0.4" in p.a.localAddresses()) { "auto_asconf off still asked" }
    refused<SctpException.InvalidArgument>("a bad IP") { p.a.addLocalAddress(p.link.now, "not an ip") }
}

fun associationAndIncomingResets() {
    val p = Pair(defaultConfig())
    val now = { p.link.now }
    p.a.resetAssociation(now(), p.aId)
    check(p.link.run { p.of<SctpEvent.AssociationReset>(0).isNotEmpty() }) { "no answer" }
    check(p.of<SctpEvent.AssociationReset>(0)[0].result == ReconfigResult.DENIED) { "default policy" }
    p.b.setReconfigPolicyWith(p.bId, true, true, 65535u, true)
    p.a.send(now(), p.aId, 1u, 0u, false, "before".toByteArray())
    p.a.resetAssociation(now(), p.aId)
    p.a.send(now(), p.aId, 1u, 0u, false, "after".toByteArray())
    check(p.link.run { p.of<SctpEvent.AssociationReset>(0).size == 2 && p.of<SctpEvent.AssociationReset>(1).isNotEmpty() && p.of<SctpEvent.Message>(1).size == 2 }) { "no reset" }
    val ours = p.of<SctpEvent.AssociationReset>(0)[1]
    val theirs = p.of<SctpEvent.AssociationReset>(1)[0]
    check(ours.result == ReconfigResult.SUCCESS && theirs.result == ReconfigResult.SUCCESS) { "$ours $theirs" }
    check(ours.localTsn == theirs.remoteTsn && ours.remoteTsn == theirs.localTsn) { "$ours $theirs" }
    check(p.of<SctpEvent.Message>(1).map { String(it.data) } == listOf("before", "after")) { "order" }
    p.a.resetStreamsWith(now(), p.aId, listOf(1u.toUShort()), ResetDirection.INCOMING)
    check(p.link.run { p.of<SctpEvent.StreamsReset>(0).isNotEmpty() }) { "no incoming reset" }
    check(p.of<SctpEvent.StreamsReset>(0)[0].direction == StreamDirection.INCOMING) { "${p.of<SctpEvent.StreamsReset>(0)}" }
    p.a.addStreamsWith(now(), p.aId, 2u, 0u)
    check(p.link.run { p.of<SctpEvent.StreamsAdded>(1).isNotEmpty() }) { "no add" }
    check(p.of<SctpEvent.StreamsAdded>(1).last().outboundStreams.toInt() == 12) { "${p.of<SctpEvent.StreamsAdded>(1)}" }
}

fun extensions() {
    configRecord()
    reconfig()
    associationAndIncomingResets()
    auth()
    asconf()
    println("uniffi kotlin: config, stream reconfiguration, SCTP-AUTH and ASCONF")
}
