//! A place's budget of calls: a burst at once, then the rate.

use std::time::Duration;

use nacl_drift_apply::CallBudget;
use tokio::time::Instant;

#[tokio::test]
async fn a_burst_passes_at_once_and_the_rest_at_the_rate() {
    let budget = CallBudget::new(3, 50);
    let start = Instant::now();
    for _ in 0..3 {
        budget.take().await;
    }
    assert!(
        start.elapsed() < Duration::from_millis(15),
        "{:?}",
        start.elapsed()
    );
    for _ in 0..5 {
        budget.take().await;
    }
    // Five more at 50 a second: 100 ms, less what refilled meanwhile.
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(90) && elapsed < Duration::from_millis(300),
        "{elapsed:?}"
    );
}
