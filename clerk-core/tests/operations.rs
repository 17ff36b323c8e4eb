//! Every operation of the Backend API spec, each against a recording server on 127.0.0.1: the
//! request it makes and the decoding of a response that follows the spec. The cases are generated
//! (`tests/generated/operations.rs`) by `cargo xtask codegen`.

mod support;

use clerk_core::models;
use support::*;

#[path = "generated/operations.rs"]
mod generated;

#[test]
fn all_250_operations_have_a_test() {
    let ids = generated::OPERATION_IDS;
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 250);
    println!("{} operations, one test each", ids.len());
}
