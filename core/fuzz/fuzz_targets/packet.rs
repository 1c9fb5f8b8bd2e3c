//! Feeds arbitrary datagrams to the packet parser and parses everything in
//! them: chunks, parameters, error causes, gap blocks, stream entries. Any
//! panic is a bug. Also re-emits what parsed and checks it parses the same.
#![no_main]

use anysctp::wire::{
    ChecksumMode, ChecksumPolicy, Chunk, Emit, ErrorCause, List, Packet, PacketWriter, Param,
};
use libfuzzer_sys::fuzz_target;

fn causes(l: &List<'_, ErrorCause<'_>>) {
    for c in l.iter().flatten() {
        if let ErrorCause::MissingMandatoryParameter(types) = c {
            types.iter().for_each(drop);
        }
    }
}

fn params(l: &List<'_, Param<'_>>) {
    for p in l.iter().flatten() {
        match p {
            Param::ErrorCauseIndication { causes: c, .. } => causes(&c),
            Param::SupportedAddressTypes(t) | Param::RequestedHmacAlgorithms(t) => {
                t.iter().for_each(drop)
            }
            Param::OutgoingSsnResetRequest { streams, .. }
            | Param::IncomingSsnResetRequest { streams, .. } => streams.iter().for_each(drop),
            _ => {}
        }
    }
}

fn walk(c: &Chunk<'_>) {
    match c {
        Chunk::Init(i) | Chunk::InitAck(i) => params(&i.params),
        Chunk::Sack(s) => {
            s.gap_blocks().for_each(drop);
            s.duplicate_tsns().for_each(drop);
        }
        Chunk::Abort(a) => causes(&a.causes),
        Chunk::Error(e) => causes(&e.causes),
        Chunk::ForwardTsn(f) => f.streams().for_each(drop),
        Chunk::IForwardTsn(f) => f.streams().for_each(drop),
        Chunk::ReConfig(r) => params(&r.params),
        Chunk::Asconf(a) => params(&a.params),
        Chunk::AsconfAck(a) => params(&a.params),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::new_checked(data, ChecksumPolicy::Skip) else {
        return;
    };
    let _ = packet.check_bundling();
    let _ = format!("{packet:?}");
    let mut out = vec![0u8; data.len() + 16];
    let mut w = PacketWriter::new(&mut out, packet.src_port(), packet.dst_port(), packet.verification_tag())
        .expect("room for the header");
    let mut parsed = Vec::new();
    for raw in packet.chunks() {
        let raw = raw.expect("framing was checked");
        if let Ok(c) = Chunk::parse(&raw) {
            walk(&c);
            let _ = format!("{c:?}");
            // Re-emitting a parsed chunk never needs more room than it took.
            w.push(&c).expect("re-emit fits");
            parsed.push(c);
        }
    }
    let n = w.finish(ChecksumMode::Compute);
    if parsed.is_empty() {
        return;
    }
    let again = Packet::new_checked(&out[..n], ChecksumPolicy::Required).expect("re-emitted packet is valid");
    let reparsed: Vec<_> = again.chunks().map(|r| Chunk::parse(&r.unwrap()).unwrap()).collect();
    assert_eq!(reparsed, parsed);
    let _ = parsed.iter().map(Emit::encoded_len).sum::<usize>();
});
