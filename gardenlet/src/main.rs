//! gardenlet: the seed agent.
#![forbid(unsafe_code)]

fn main() {}
