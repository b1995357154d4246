//! [`Clock`]: the time Berth stamps on what it stores (`createdAt`, `imagePushedAt`, pull
//! times, upload starts) and judges them by (lifecycle rules, upload expiry). It is the
//! system's time plus an offset a test can set (`POST /_berth/clock`), so "14 days since
//! pushed" is tested without waiting. Signatures (SigV4, login passwords, download URLs)
//! keep the system's time: AWS's clients sign with the real one.

use std::sync::atomic::{AtomicI64, Ordering};

use berth_runtime::Timestamp;

/// The system's time shifted by an adjustable offset; shared by every clone of an `Ecr`.
#[derive(Debug, Default)]
pub struct Clock {
    offset_millis: AtomicI64,
}

impl Clock {
    /// Now, as Berth sees it.
    pub fn now(&self) -> Timestamp {
        let system = Timestamp::now().epoch_millis();
        Timestamp::from_epoch_millis(
            system.saturating_add(self.offset_millis.load(Ordering::Relaxed)),
        )
    }

    /// How far Berth's time is ahead of the system's (behind, when negative), in seconds.
    pub fn offset_seconds(&self) -> i64 {
        self.offset_millis.load(Ordering::Relaxed) / 1000
    }

    /// Sets Berth's time `seconds` ahead of the system's (behind, when negative). Time
    /// going back is allowed: it is a test's choice.
    pub fn set_offset_seconds(&self, seconds: i64) {
        self.offset_millis
            .store(seconds.saturating_mul(1000), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_berths_time_and_nothing_else() {
        let clock = Clock::default();
        let before = clock.now().epoch_millis();
        clock.set_offset_seconds(14 * 86_400);
        let ahead = clock.now().epoch_millis();
        assert!(ahead - before >= 14 * 86_400_000, "{before} → {ahead}");
        assert!(
            ahead - before < 14 * 86_400_000 + 60_000,
            "{before} → {ahead}"
        );
        assert_eq!(clock.offset_seconds(), 14 * 86_400);
        clock.set_offset_seconds(0);
        assert!(clock.now().epoch_millis() - before < 60_000);
    }
}
