//! Generated flow logs: realistic NSG v1/v2 and VNet trees in the blob folder layout, for
//! tests, benchmarks and the demo scenario.
//!
//! (Implementation: see the issue "The engine".)

pub mod demo;
