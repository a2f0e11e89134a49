//! How fast a restore may make mutating calls in one account and region.
//!
//! EC2 counts mutating calls per account and region in a token bucket that
//! holds 50 and refills at 5 a second; past it, calls fail with
//! `RequestLimitExceeded`. A restore over many NACLs at once would drain
//! it, and starve whatever else in the account makes calls (the console,
//! Terraform, the automation that is being cleaned up after). Each place
//! of a restore therefore gets its own smaller bucket, [`CallBudget`].

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// How fast a restore goes: how many NACLs at once (each NACL's calls in
/// order), and how many mutating calls a second in each account and region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// NACLs restored at once.
    pub nacls_at_once: usize,
    /// Mutating calls a second in one account and region, after a burst of
    /// five seconds' worth.
    pub calls_per_second: u32,
}

impl Default for Pace {
    /// 8 NACLs at once; 4 calls a second after a burst of 20, inside EC2's
    /// 5 and 50 with room to spare for the account's other callers.
    fn default() -> Self {
        Pace {
            nacls_at_once: 8,
            calls_per_second: 4,
        }
    }
}

impl Pace {
    /// A fresh budget for one account and region.
    pub fn budget(&self) -> CallBudget {
        CallBudget::new(
            self.calls_per_second.saturating_mul(5),
            self.calls_per_second,
        )
    }
}

/// A token bucket: at most `burst` calls at once, then `per_second`.
#[derive(Debug)]
pub struct CallBudget {
    burst: f64,
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl CallBudget {
    /// A bucket of `burst` tokens, refilled at `per_second`.
    pub fn new(burst: u32, per_second: u32) -> Self {
        CallBudget {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_second.max(1)),
            state: Mutex::new((f64::from(burst.max(1)), Instant::now())),
        }
    }

    /// Waits until a call may be made, and counts it.
    pub async fn take(&self) {
        let mut state = self.state.lock().await;
        let (tokens, last) = &mut *state;
        let now = Instant::now();
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - *tokens) / self.per_second);
            // Holding the lock while waiting keeps the calls in order.
            tokio::time::sleep(wait).await;
            *tokens = 1.0;
            *last = Instant::now();
        }
        *tokens -= 1.0;
    }
}
