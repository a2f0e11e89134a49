//! The analysis's tests, one binary: address sets, the edges of the packet
//! space and the cases people read reports for, and the analysis against
//! brute force.

mod addresses;
mod edges;
mod exactness;
