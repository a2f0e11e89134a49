//! The AWS edge against recorded AWS responses (EC2's XML, CloudTrail's
//! and Organizations' JSON): what the local emulator does not do
//! (pagination, ICMP type/code, DryRun, error codes, LookupEvents). One test binary, so the AWS SDK is
//! linked once.

mod describe;
mod lookup;
mod organizations;
mod permissions;
mod restore;
