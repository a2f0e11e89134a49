//! The restore plan and its calls: one test binary, so the AWS SDK is
//! linked once.

mod exposure_windows;
mod recorded_calls;
