//! A restore's tests, one binary: the budget of calls, the order of its
//! calls on the in-memory EC2, and no window of extra exposure between
//! them.

mod budget;
mod close_before_open;
mod exposure_windows;
