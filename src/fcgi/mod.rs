//! The FastCGI 1.0 record layer, without I/O.
//!
//! Everything here works on byte slices, in the style of `httparse`: the transport
//! feeds bytes in and gets back "a record and how many bytes it used", "need more
//! bytes", or a typed error. Section numbers in comments refer to the FastCGI
//! Specification 1.0 (Open Market, 1996).

mod pairs;
mod record;

pub use pairs::{decode_pairs, encode_pair, encode_pairs, Pair, PairError};
pub use record::{
    decode, encode_begin_request, encode_end_request, encode_record, encode_stream,
    parse_unknown_type, BeginRequest, DecodeError, Decoded, EndRequest, Header, ProtocolStatus,
    Record, RecordType, Role, FCGI_KEEP_CONN, FCGI_VERSION_1, HEADER_LEN, MAX_CONTENT_LEN,
    NULL_REQUEST_ID,
};

/// The three management variables a client may ask for with `FCGI_GET_VALUES` (§4.1).
pub const GET_VALUES_NAMES: [&str; 3] = ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"];
