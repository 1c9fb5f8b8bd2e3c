//! A small packet-level simulation of one flow through a drop-tail
//! bottleneck, driving a [`CongestionController`] the way the association
//! does (no network code, no wire format).
//!
//! Model: every packet carries one DATA chunk of PMDCS bytes and occupies
//! PMTU bytes on the link; the receiver SACKs every packet at once; SACKs
//! come back in link order after the propagation round trip. A missing
//! packet gets a miss indication from each SACK of a later-sent packet
//! (HTNA, §7.2.4); the third one triggers fast retransmit. A lost
//! retransmission is left to T3-rtx (RTO 1 s after it was sent).

use super::{AckEvent, Algorithm, CongestionConfig, CongestionController, Controller};
use crate::time::Instant;
use crate::types::Tsn;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use std::collections::VecDeque;

struct Params {
    link_bytes_per_sec: f64,
    rtt: f64,
    queue_bytes: f64,
    loss: f64,
    pmtu: usize,
    duration: f64,
    measure_from: f64,
    algorithm: Algorithm,
}

struct Hole {
    send_index: u64,
    seq: u32,
    retransmission: bool,
    sent_at: f64,
    misses: u8,
}

struct Outcome {
    utilisation: f64,
    first_loss_at: Option<f64>,
}

fn at(t: f64) -> Instant {
    Instant::from_micros((t * 1e6) as u64)
}

fn run(p: &Params, seed: u64) -> Outcome {
    let pmdcs = p.pmtu - 12;
    let config = CongestionConfig {
        algorithm: p.algorithm,
        ..CongestionConfig::default()
    };
    let mut cc = Controller::new(&config, pmdcs, false);
    let max_burst = CongestionConfig::default().max_burst;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let serialisation = p.pmtu as f64 / p.link_bytes_per_sec;
    let rto = 1.0;

    let mut link_free = 0.0f64;
    // SACKs in flight back to the sender: (arrival, seq, send index, sent).
    let mut acks: VecDeque<(f64, u32, u64, f64)> = VecDeque::new();
    let mut holes: VecDeque<Hole> = VecDeque::new();
    let mut t3: VecDeque<(f64, u32)> = VecDeque::new();
    let mut retx: VecDeque<u32> = VecDeque::new();
    // acked[k] is TSN cum + 1 + k.
    let mut acked: VecDeque<bool> = VecDeque::new();
    let mut cum: u32 = 0;
    let mut next_seq: u32 = 1;
    let mut send_index: u64 = 0;
    let mut flight: usize = 0;
    let mut delivered_in_window: u64 = 0;
    let mut first_loss_at = None;
    let mut now = 0.0f64;

    loop {
        // Transmit: retransmissions first within cwnd (§6.1 C), then new
        // data within the Max.Burst-limited cwnd (§6.1 D), overbooking by
        // one packet (§6.1 B).
        loop {
            let (seq, is_retx) = if flight < cc.cwnd() && !retx.is_empty() {
                match retx.pop_front() {
                    Some(s) => (s, true),
                    None => break,
                }
            } else if retx.is_empty() && flight < cc.burst_limited_cwnd(flight, max_burst) {
                let s = next_seq;
                next_seq = next_seq.wrapping_add(1);
                acked.push_back(false);
                (s, false)
            } else {
                break;
            };
            send_index += 1;
            flight += pmdcs;
            cc.on_data_sent(at(now));
            let queued = ((link_free - now).max(0.0)) * p.link_bytes_per_sec;
            let random_drop = p.loss > 0.0 && (rng.next_u64() as f64 / u64::MAX as f64) < p.loss;
            if random_drop || queued + p.pmtu as f64 > p.queue_bytes {
                first_loss_at.get_or_insert(now);
                holes.push_back(Hole {
                    send_index,
                    seq,
                    retransmission: is_retx,
                    sent_at: now,
                    misses: 0,
                });
            } else {
                link_free = link_free.max(now) + serialisation;
                acks.push_back((link_free + p.rtt, seq, send_index, now));
            }
        }

        // Next event.
        let next_ack = acks.front().map(|a| a.0).unwrap_or(f64::INFINITY);
        let next_t3 = t3.front().map(|a| a.0).unwrap_or(f64::INFINITY);
        now = next_ack.min(next_t3);
        if now > p.duration || !now.is_finite() {
            break;
        }
        if next_t3 <= next_ack {
            let Some((_, seq)) = t3.pop_front() else {
                break;
            };
            cc.on_retransmission_timeout(at(now));
            flight -= pmdcs;
            retx.push_back(seq);
            continue;
        }
        let Some((_, seq, index, sent_at)) = acks.pop_front() else {
            break;
        };
        let flight_before = flight;
        flight -= pmdcs;
        let offset = seq.wrapping_sub(cum).wrapping_sub(1) as usize;
        if let Some(slot) = acked.get_mut(offset) {
            *slot = true;
        }
        while acked.front() == Some(&true) {
            acked.pop_front();
            cum = cum.wrapping_add(1);
        }
        if now >= p.measure_from {
            delivered_in_window += 1;
        }
        cc.on_ack(
            &AckEvent {
                bytes_acked: pmdcs,
                flight_size_before: flight_before,
                flight_size_after: flight,
                burst_limited: false,
                cum_tsn_ack: Tsn(cum),
                srtt: Some(core::time::Duration::from_secs_f64(now - sent_at)),
                rtt: Some(core::time::Duration::from_secs_f64(now - sent_at)),
            },
            at(now),
        );
        // Miss indications for holes sent before this packet.
        for h in holes.iter_mut() {
            if h.send_index >= index {
                break;
            }
            h.misses += 1;
        }
        while holes.front().is_some_and(|h| h.misses >= 3) {
            let Some(h) = holes.pop_front() else { break };
            if h.retransmission {
                // Not eligible for a second fast retransmit (§7.2.4 rule 5).
                t3.push_back((h.sent_at + rto, h.seq));
            } else {
                flight -= pmdcs;
                retx.push_back(h.seq);
                cc.on_fast_retransmit(Tsn(next_seq.wrapping_sub(1)), at(now));
            }
        }
    }

    let window = p.duration - p.measure_from;
    let capacity_packets = window * p.link_bytes_per_sec / p.pmtu as f64;
    Outcome {
        utilisation: delivered_in_window as f64 / capacity_packets,
        first_loss_at,
    }
}

fn gigabit_path(loss: f64, algorithm: Algorithm) -> Params {
    let rate = 1e9 / 8.0;
    let rtt = 0.05;
    Params {
        link_bytes_per_sec: rate,
        rtt,
        queue_bytes: rate * rtt,
        loss,
        pmtu: 1200,
        duration: 30.0,
        measure_from: 5.0,
        algorithm,
    }
}

#[test]
fn newreno_fills_a_gigabit_50ms_path_with_one_bdp_queue() {
    check_fills_gigabit_path(Algorithm::NewReno);
}

#[test]
fn cubic_fills_a_gigabit_50ms_path_with_one_bdp_queue() {
    check_fills_gigabit_path(Algorithm::Cubic);
}

fn check_fills_gigabit_path(algorithm: Algorithm) {
    let p = gigabit_path(0.0, algorithm);
    let out = run(&p, 1);
    println!(
        "{algorithm:?}, 1 Gbit/s, 50 ms, 1 BDP drop-tail queue: utilisation {:.1}% \
         (first loss at {:.2?} s)",
        out.utilisation * 100.0,
        out.first_loss_at
    );
    assert!(
        out.first_loss_at.is_some_and(|t| t < p.measure_from),
        "slow start must end (by overflowing the queue) before measuring"
    );
    assert!(out.utilisation >= 0.90, "utilisation {}", out.utilisation);
    assert!(out.utilisation <= 1.0001);
}

#[test]
fn newreno_under_random_loss_follows_the_reno_response_function() {
    let loss = 1e-5;
    let p = gigabit_path(loss, Algorithm::NewReno);
    let out = run(&p, 7);
    let cubic = run(&gigabit_path(loss, Algorithm::Cubic), 7);
    let mss = (p.pmtu - 12) as f64;
    let predicted_rate = 1.22 * mss / (p.rtt * loss.sqrt());
    let predicted = predicted_rate / p.link_bytes_per_sec;
    println!(
        "NewReno, 1 Gbit/s, 50 ms, random loss {:.4}%: utilisation {:.1}%, \
         Reno response function predicts {:.1}%; CUBIC: {:.1}%",
        loss * 100.0,
        out.utilisation * 100.0,
        predicted * 100.0,
        cubic.utilisation * 100.0
    );
    // Loose sanity bounds only: the formula is an approximation.
    assert!(out.utilisation > predicted / 3.0 && out.utilisation < predicted * 3.0);
}
