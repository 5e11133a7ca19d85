//! Name-value pair bodies (PARAMS, GET_VALUES, GET_VALUES_RESULT):
//! `fcgi::decode_pairs`, and the crate's encoder `fcgi::encode_pairs` on what
//! it decoded.
//!
//! Invariants:
//! - The only error is `Truncated(at)`, with `at` inside the body, and the
//!   pairs before `at` decode on their own.
//! - Decoded names and values never hold more bytes than the body.
//! - Pairs re-encode (every length came from a body, so it fits 31 bits), and
//!   the encoding decodes to the same pairs and is never longer than the
//!   input: the encoder uses the short form wherever it can.

#![no_main]

use fcgi_doctor::fcgi::{decode_pairs, encode_pair, encode_pairs, PairError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_pairs(data) {
        Ok(pairs) => {
            let held: usize = pairs.iter().map(|(n, v)| n.len() + v.len()).sum();
            assert!(held + 2 * pairs.len() <= data.len());
            let body = encode_pairs(&pairs).expect("decoded lengths fit 31 bits");
            assert!(body.len() <= data.len(), "{} > {}", body.len(), data.len());
            assert_eq!(decode_pairs(&body).as_ref(), Ok(&pairs));
            // One pair at a time gives the same bytes.
            let mut one_by_one = Vec::new();
            for (name, value) in &pairs {
                encode_pair(&mut one_by_one, name, value).expect("fits");
            }
            assert_eq!(one_by_one, body);
        }
        Err(PairError::Truncated(at)) => {
            assert!(at < data.len(), "truncated at {at} of {}", data.len());
            let before = decode_pairs(&data[..at]).expect("the pairs before the cut");
            let _ = before;
        }
        Err(other) => panic!("decode_pairs returned {other:?}"),
    }
});
