//! Wire codec benchmarks: a 1200-byte packet of bundled DATA chunks, and a
//! SACK with 100 gap blocks, parsed and emitted.
//!
//! Run: `cargo bench -p anysctp --bench wire`

use std::hint::black_box;

use anysctp::wire::{
    ChecksumMode, ChecksumPolicy, Chunk, DataChunk, List, Packet, PacketWriter, SackChunk,
};
use anysctp::{GapAckBlock, Ppid, Ssn, StreamId, Tsn, VerificationTag};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const PAYLOAD: [u8; 100] = [0x5A; 100];

fn data(i: u32) -> Chunk<'static> {
    Chunk::Data(DataChunk {
        tsn: Tsn(1000 + i),
        stream: StreamId(1),
        ssn: Ssn(i as u16),
        ppid: Ppid(51),
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload: &PAYLOAD,
    })
}

/// Fills a 1200-byte buffer with as many 100-byte DATA chunks as fit (10).
fn emit_data_packet(buf: &mut [u8]) -> usize {
    let mut w = PacketWriter::new(buf, 5000, 5000, VerificationTag(0x1234_5678)).unwrap();
    let mut i = 0;
    while w.push(&data(i)).is_ok() {
        i += 1;
    }
    w.finish(ChecksumMode::Compute)
}

fn parse_data_packet(p: &[u8]) -> usize {
    let p = Packet::new_checked(p, ChecksumPolicy::Required).unwrap();
    let mut bytes = 0;
    for raw in p.chunks() {
        if let Ok(Chunk::Data(d)) = Chunk::parse(&raw.unwrap()) {
            bytes += d.payload.len() + d.tsn.0 as usize;
        }
    }
    bytes
}

fn gaps() -> Vec<GapAckBlock> {
    (0..100u16)
        .map(|i| GapAckBlock {
            start: 2 + i * 4,
            end: 3 + i * 4,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut buf = [0u8; 1200];
    let n = emit_data_packet(&mut buf);
    assert!(parse_data_packet(&buf[..n]) > 0);
    assert_eq!(
        Packet::new_checked(&buf[..n], ChecksumPolicy::Required)
            .unwrap()
            .chunks()
            .count(),
        10
    );

    let mut g = c.benchmark_group("data_packet_1200");
    g.throughput(Throughput::Elements(10));
    g.bench_function("emit", |b| {
        let mut out = [0u8; 1200];
        b.iter(|| black_box(emit_data_packet(black_box(&mut out))))
    });
    g.bench_function("parse", |b| {
        b.iter(|| black_box(parse_data_packet(black_box(&buf[..n]))))
    });
    g.bench_function("parse_no_checksum", |b| {
        b.iter(|| {
            let p = Packet::new_checked(black_box(&buf[..n]), ChecksumPolicy::Skip).unwrap();
            let mut s = 0usize;
            for raw in p.chunks() {
                if let Ok(Chunk::Data(d)) = Chunk::parse(&raw.unwrap()) {
                    s += d.payload.len();
                }
            }
            black_box(s)
        })
    });
    g.finish();

    let gaps = gaps();
    let dups = [Tsn(7), Tsn(9)];
    let sack = Chunk::Sack(SackChunk {
        cum_tsn_ack: Tsn(1),
        a_rwnd: 1 << 20,
        gap_blocks: List::Items(&gaps),
        duplicate_tsns: List::Items(&dups),
    });
    let mut sbuf = [0u8; 1200];
    let mut w = PacketWriter::new(&mut sbuf, 5000, 5000, VerificationTag(1)).unwrap();
    w.push(&sack).unwrap();
    let sn = w.finish(ChecksumMode::Compute);

    let mut g = c.benchmark_group("sack_100_gaps");
    g.bench_function("emit", |b| {
        let mut out = [0u8; 1200];
        b.iter(|| {
            let mut w = PacketWriter::new(&mut out, 5000, 5000, VerificationTag(1)).unwrap();
            w.push(black_box(&sack)).unwrap();
            black_box(w.finish(ChecksumMode::Compute))
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            let p = Packet::new_checked(black_box(&sbuf[..sn]), ChecksumPolicy::Required).unwrap();
            let mut s = 0u32;
            for raw in p.chunks() {
                if let Ok(Chunk::Sack(sack)) = Chunk::parse(&raw.unwrap()) {
                    for g in sack.gap_blocks() {
                        s = s.wrapping_add(u32::from(g.start) + u32::from(g.end));
                    }
                }
            }
            black_box(s)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
