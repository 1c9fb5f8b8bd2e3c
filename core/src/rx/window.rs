//! The advertised receiver window, a_rwnd (RFC 9260 §6.2, §6.2.1 and
//! RFC 1122 §4.2.3.3 for receiver silly-window avoidance).

use crate::types::Tsn;

/// Computes a_rwnd for SACK chunks: the receive buffer size minus the bytes
/// held (in the reassembly queue plus delivered to but not yet read by the
/// application), never negative, with silly-window-syndrome avoidance.
///
/// SWS avoidance (RFC 1122 §4.2.3.3, as RFC 9260 §6.2 asks): the window
/// shrinks as soon as data is held, but once advertised it only grows again
/// when it can grow by at least `min(buffer_size / 2, mtu)`, or when the
/// buffer is empty again. So the peer is never offered a trickle of tiny
/// windows. [`ReceiveWindow::window_update_due`] tells when an unsolicited
/// window-update SACK is worth sending: when the window can grow by at
/// least a quarter of the buffer (RFC 9260 §6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiveWindow {
    buffer_size: u32,
    sws_threshold: u32,
    advertised: u32,
}

impl ReceiveWindow {
    /// A window over a receive buffer of `buffer_size` bytes (the a_rwnd of
    /// INIT / INIT ACK), for a path MTU of `mtu` bytes.
    pub fn new(buffer_size: u32, mtu: u32) -> Self {
        Self {
            buffer_size,
            sws_threshold: (buffer_size / 2).min(mtu).max(1),
            advertised: buffer_size,
        }
    }

    /// The receive buffer size.
    pub fn buffer_size(&self) -> u32 {
        self.buffer_size
    }

    /// The last value returned by [`ReceiveWindow::a_rwnd`].
    pub fn advertised(&self) -> u32 {
        self.advertised
    }

    fn available(&self, held: usize) -> u32 {
        let held = u32::try_from(held).unwrap_or(u32::MAX);
        self.buffer_size.saturating_sub(held)
    }

    /// The a_rwnd to put into the SACK being sent now, given the bytes
    /// `held`. Records it as advertised.
    pub fn a_rwnd(&mut self, held: usize) -> u32 {
        let avail = self.available(held);
        if avail <= self.advertised
            || avail - self.advertised >= self.sws_threshold
            || avail == self.buffer_size
        {
            self.advertised = avail;
        }
        self.advertised
    }

    /// RFC 9260 §6.2 admission of a new DATA chunk of `len` bytes with
    /// `tsn`, given the bytes `held` and the highest TSN received so far
    /// ([`DataTracker::highest_received`](super::DataTracker::highest_received)).
    /// When the chunk does not fit in the window, one above the highest
    /// TSN received MUST be dropped; one below it (filling a gap) is
    /// admitted, and the reassembly queue makes room for it by evicting
    /// the highest TSNs it holds. A dropped chunk is not acknowledged, and
    /// a SACK is sent at once.
    pub fn admits(&self, held: usize, len: usize, tsn: Tsn, highest_received: Tsn) -> bool {
        let fits = held
            .checked_add(len)
            .is_some_and(|total| total <= self.buffer_size as usize);
        fits || tsn.lt(highest_received)
    }

    /// Whether the window opened enough (by at least a quarter of the
    /// buffer) since the last advertisement to send a window-update SACK
    /// without new data (RFC 9260 §6.2).
    pub fn window_update_due(&self, held: usize) -> bool {
        let avail = self.available(held);
        avail > self.advertised && avail - self.advertised >= (self.buffer_size / 4).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_window_admits_only_gap_fillers() {
        let w = ReceiveWindow::new(1000, 1500);
        assert!(w.admits(900, 100, Tsn(50), Tsn(10)));
        // Does not fit: above the highest received is dropped...
        assert!(!w.admits(901, 100, Tsn(11), Tsn(10)));
        assert!(!w.admits(usize::MAX, 1, Tsn(11), Tsn(10)));
        // ...below it (a gap) is admitted.
        assert!(w.admits(1000, 100, Tsn(9), Tsn(10)));
        // Serial arithmetic across the wrap.
        assert!(w.admits(1000, 100, Tsn(u32::MAX), Tsn(2)));
    }

    #[test]
    fn never_negative() {
        let mut w = ReceiveWindow::new(1000, 1500);
        assert_eq!(w.a_rwnd(5000), 0);
        assert_eq!(w.a_rwnd(usize::MAX), 0);
    }

    #[test]
    fn shrinks_at_once_grows_in_big_steps() {
        let mut w = ReceiveWindow::new(100_000, 1500);
        assert_eq!(w.a_rwnd(0), 100_000);
        assert_eq!(w.a_rwnd(60_000), 40_000);
        // The application read 1000 bytes: below the SWS threshold.
        assert_eq!(w.a_rwnd(59_000), 40_000);
        assert!(!w.window_update_due(59_000));
        // 1500 more than advertised: grows.
        assert_eq!(w.a_rwnd(58_500), 41_500);
        // Quarter of the buffer opened: a window update is due.
        assert!(w.window_update_due(33_500));
        assert!(!w.window_update_due(33_501));
        // An empty buffer is always advertised in full.
        let mut w = ReceiveWindow::new(1000, 1500);
        assert_eq!(w.a_rwnd(999), 1);
        assert_eq!(w.a_rwnd(900), 1, "100 < min(500, 1500)");
        assert_eq!(w.a_rwnd(0), 1000);
    }
}
