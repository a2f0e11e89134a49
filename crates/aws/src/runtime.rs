//! The runtime the binary runs its AWS calls on: tokio's multi-threaded
//! one, with a larger stack than threads get by default.
//!
//! Unoptimised (debug builds, the tests), the SDK's deserializer of a
//! Security Hub finding's `ResourceDetails`, hundreds of resource types in
//! one function, takes more than the main thread's 8 MiB of stack, so
//! GetFindings overflowed it. Building that crate optimised in dev cost a
//! fresh build two minutes; a larger stack costs only address space, as
//! pages are touched only when used.

use std::future::Future;

/// The stack of every thread of the runtime, the one blocking on it included.
pub const STACK_SIZE: usize = 32 << 20;

/// Runs the future `make` returns to completion on a new multi-threaded
/// runtime, blocking on it from a thread of [`STACK_SIZE`], as its workers
/// are. A panic in it goes on in the caller's thread.
pub fn block_on<Make, Fut>(make: Make) -> std::io::Result<Fut::Output>
where
    Make: FnOnce() -> Fut + Send,
    Fut: Future,
    Fut::Output: Send,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(STACK_SIZE)
        .enable_all()
        .build()?;
    std::thread::scope(|scope| {
        let blocking = std::thread::Builder::new()
            .name("nacl-drift".to_owned())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || runtime.block_on(make()))?;
        Ok(blocking
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame larger than a default thread's stack (2 MiB) and the main
    /// thread's (8 MiB), in a task the runtime's workers run as in one
    /// blocked on.
    #[test]
    fn a_deep_frame_fits_on_the_blocking_thread_and_the_workers() {
        fn deep() -> usize {
            let frame = std::hint::black_box([1u8; 12 << 20]);
            frame.iter().map(|&byte| usize::from(byte)).sum()
        }
        let sums = block_on(|| async {
            let on_a_worker = tokio::spawn(async { deep() }).await.expect("the task");
            (deep(), on_a_worker)
        })
        .expect("a runtime");
        assert_eq!(sums, (12 << 20, 12 << 20));
    }

    #[test]
    fn a_panic_goes_on_in_the_caller() {
        let caught = std::panic::catch_unwind(|| block_on(|| async { panic!("inside") }));
        let panic = caught.expect_err("the panic reaches the caller");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"inside"));
    }
}
