//! The analysis's tests, one binary: the edges of the packet space and the
//! cases people read reports for, and the analysis against brute force.

mod edges;
mod exactness;
