//! Record headers, record types and the fixed-size bodies (§3.3, §5).

use std::fmt;

/// Every record starts with this many header bytes (§3.3).
pub const HEADER_LEN: usize = 8;
/// `FCGI_VERSION_1`, the only version the specification defines.
pub const FCGI_VERSION_1: u8 = 1;
/// Request id of management records (§3.3).
pub const NULL_REQUEST_ID: u16 = 0;
/// `contentLength` is a 16-bit field.
pub const MAX_CONTENT_LEN: usize = u16::MAX as usize;
/// `FCGI_KEEP_CONN` in the flags of `FCGI_BEGIN_REQUEST` (§5.1).
pub const FCGI_KEEP_CONN: u8 = 1;

/// A record type (§8). Unknown values are kept, never rejected, so that a peer's
/// extension can be reported instead of tearing the stream down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordType {
    BeginRequest,
    AbortRequest,
    EndRequest,
    Params,
    Stdin,
    Stdout,
    Stderr,
    Data,
    GetValues,
    GetValuesResult,
    UnknownType,
    Other(u8),
}

impl RecordType {
    pub fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::BeginRequest,
            2 => Self::AbortRequest,
            3 => Self::EndRequest,
            4 => Self::Params,
            5 => Self::Stdin,
            6 => Self::Stdout,
            7 => Self::Stderr,
            8 => Self::Data,
            9 => Self::GetValues,
            10 => Self::GetValuesResult,
            11 => Self::UnknownType,
            other => Self::Other(other),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            Self::BeginRequest => 1,
            Self::AbortRequest => 2,
            Self::EndRequest => 3,
            Self::Params => 4,
            Self::Stdin => 5,
            Self::Stdout => 6,
            Self::Stderr => 7,
            Self::Data => 8,
            Self::GetValues => 9,
            Self::GetValuesResult => 10,
            Self::UnknownType => 11,
            Self::Other(other) => other,
        }
    }

    /// Management records use request id 0; the others belong to a request (§3.3).
    pub fn is_management(self) -> bool {
        matches!(
            self,
            Self::GetValues | Self::GetValuesResult | Self::UnknownType
        )
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::BeginRequest => "FCGI_BEGIN_REQUEST",
            Self::AbortRequest => "FCGI_ABORT_REQUEST",
            Self::EndRequest => "FCGI_END_REQUEST",
            Self::Params => "FCGI_PARAMS",
            Self::Stdin => "FCGI_STDIN",
            Self::Stdout => "FCGI_STDOUT",
            Self::Stderr => "FCGI_STDERR",
            Self::Data => "FCGI_DATA",
            Self::GetValues => "FCGI_GET_VALUES",
            Self::GetValuesResult => "FCGI_GET_VALUES_RESULT",
            Self::UnknownType => "FCGI_UNKNOWN_TYPE",
            Self::Other(n) => return write!(f, "record type {n}"),
        };
        f.write_str(name)
    }
}

/// The role an application plays for a request (§6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    #[default]
    Responder,
    Authorizer,
    Filter,
    Other(u16),
}

impl Role {
    pub fn from_u16(value: u16) -> Self {
        match value {
            1 => Self::Responder,
            2 => Self::Authorizer,
            3 => Self::Filter,
            other => Self::Other(other),
        }
    }

    pub fn to_u16(self) -> u16 {
        match self {
            Self::Responder => 1,
            Self::Authorizer => 2,
            Self::Filter => 3,
            Self::Other(other) => other,
        }
    }
}

/// `protocolStatus` of `FCGI_END_REQUEST` (§5.5). Unknown values are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolStatus {
    RequestComplete,
    CantMpxConn,
    Overloaded,
    UnknownRole,
    Other(u8),
}

impl ProtocolStatus {
    pub fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::RequestComplete,
            1 => Self::CantMpxConn,
            2 => Self::Overloaded,
            3 => Self::UnknownRole,
            other => Self::Other(other),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            Self::RequestComplete => 0,
            Self::CantMpxConn => 1,
            Self::Overloaded => 2,
            Self::UnknownRole => 3,
            Self::Other(other) => other,
        }
    }

    /// The specification's constant name, or `unknown (N)`.
    pub fn name(self) -> String {
        match self {
            Self::RequestComplete => "FCGI_REQUEST_COMPLETE".into(),
            Self::CantMpxConn => "FCGI_CANT_MPX_CONN".into(),
            Self::Overloaded => "FCGI_OVERLOADED".into(),
            Self::UnknownRole => "FCGI_UNKNOWN_ROLE".into(),
            Self::Other(n) => format!("unknown ({n})"),
        }
    }
}

/// The fixed 8-byte record header (§3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub record_type: RecordType,
    pub request_id: u16,
    pub content_length: u16,
    pub padding_length: u8,
}

impl Header {
    /// Reads a header from the first [`HEADER_LEN`] bytes; `None` when there are fewer.
    pub fn parse(buf: &[u8]) -> Option<Self> {
        let b: &[u8; HEADER_LEN] = buf.get(..HEADER_LEN)?.try_into().ok()?;
        Some(Self {
            version: b[0],
            record_type: RecordType::from_u8(b[1]),
            request_id: u16::from_be_bytes([b[2], b[3]]),
            content_length: u16::from_be_bytes([b[4], b[5]]),
            padding_length: b[6],
            // b[7] is reserved.
        })
    }

    /// Total length of the record this header announces, header included.
    pub fn record_len(&self) -> usize {
        HEADER_LEN + usize::from(self.content_length) + usize::from(self.padding_length)
    }
}

/// A complete record borrowed from the input buffer; the padding is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub header: Header,
    pub content: &'a [u8],
}

/// What [`decode`] found at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A whole record, and the number of bytes (header, content, padding) it used.
    Record(Record<'a>, usize),
    /// The buffer holds the start of a record; at least this many more bytes are needed.
    NeedMore(usize),
}

/// Why bytes cannot be a FastCGI record, or why a record body is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unsupported FastCGI version {0} (only version 1 exists)")]
    UnsupportedVersion(u8),
    #[error("{record_type} body is {actual} bytes, expected {expected}")]
    BadBodyLength {
        record_type: RecordType,
        expected: usize,
        actual: usize,
    },
}

/// Decodes the record at the start of `buf`.
///
/// Only the version byte can make a header invalid: every other field is a plain
/// number whose range the 8-byte layout already bounds, so a record is never larger
/// than 8 + 65535 + 255 bytes and "need more" can never ask for an unbounded amount.
pub fn decode(buf: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    // Check the version as soon as its byte is there: a peer that speaks HTTP is
    // recognised from its first byte instead of after eight.
    if let Some(&version) = buf.first() {
        if version != FCGI_VERSION_1 {
            return Err(DecodeError::UnsupportedVersion(version));
        }
    }
    let Some(header) = Header::parse(buf) else {
        return Ok(Decoded::NeedMore(HEADER_LEN - buf.len()));
    };
    let total = header.record_len();
    if buf.len() < total {
        return Ok(Decoded::NeedMore(total - buf.len()));
    }
    let content = &buf[HEADER_LEN..HEADER_LEN + usize::from(header.content_length)];
    Ok(Decoded::Record(Record { header, content }, total))
}

/// Body of `FCGI_BEGIN_REQUEST` (§5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BeginRequest {
    pub role: Role,
    pub flags: u8,
}

impl BeginRequest {
    pub fn parse(content: &[u8]) -> Result<Self, DecodeError> {
        let b = fixed_body::<8>(RecordType::BeginRequest, content)?;
        Ok(Self {
            role: Role::from_u16(u16::from_be_bytes([b[0], b[1]])),
            flags: b[2],
        })
    }

    pub fn keep_conn(&self) -> bool {
        self.flags & FCGI_KEEP_CONN != 0
    }
}

/// Body of `FCGI_END_REQUEST` (§5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndRequest {
    pub app_status: u32,
    pub protocol_status: ProtocolStatus,
}

impl EndRequest {
    pub fn parse(content: &[u8]) -> Result<Self, DecodeError> {
        let b = fixed_body::<8>(RecordType::EndRequest, content)?;
        Ok(Self {
            app_status: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            protocol_status: ProtocolStatus::from_u8(b[4]),
        })
    }
}

/// Reads the type byte of an `FCGI_UNKNOWN_TYPE` body (§4.2).
pub fn parse_unknown_type(content: &[u8]) -> Result<RecordType, DecodeError> {
    let b = fixed_body::<8>(RecordType::UnknownType, content)?;
    Ok(RecordType::from_u8(b[0]))
}

fn fixed_body<const N: usize>(
    record_type: RecordType,
    content: &[u8],
) -> Result<&[u8; N], DecodeError> {
    content.try_into().map_err(|_| DecodeError::BadBodyLength {
        record_type,
        expected: N,
        actual: content.len(),
    })
}

/// Appends one record. Content longer than [`MAX_CONTENT_LEN`] is a caller bug:
/// use [`encode_stream`] for data of any length. Padding aligns the record to
/// 8 bytes, as §3.3 recommends.
pub fn encode_record(out: &mut Vec<u8>, record_type: RecordType, request_id: u16, content: &[u8]) {
    assert!(content.len() <= MAX_CONTENT_LEN, "record content too long");
    let len = content.len() as u16;
    let padding = (8 - content.len() % 8) % 8;
    out.push(FCGI_VERSION_1);
    out.push(record_type.to_u8());
    out.extend_from_slice(&request_id.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.push(padding as u8);
    out.push(0);
    out.extend_from_slice(content);
    out.extend(std::iter::repeat_n(0, padding));
}

/// Appends a stream (PARAMS, STDIN, STDOUT, ...) split into records of at most
/// [`MAX_CONTENT_LEN`] bytes, followed by the empty record that ends it (§3.3).
pub fn encode_stream(out: &mut Vec<u8>, record_type: RecordType, request_id: u16, data: &[u8]) {
    for chunk in data.chunks(MAX_CONTENT_LEN) {
        encode_record(out, record_type, request_id, chunk);
    }
    encode_record(out, record_type, request_id, &[]);
}

/// Appends an `FCGI_BEGIN_REQUEST` record.
pub fn encode_begin_request(out: &mut Vec<u8>, request_id: u16, role: Role, flags: u8) {
    let r = role.to_u16().to_be_bytes();
    encode_record(
        out,
        RecordType::BeginRequest,
        request_id,
        &[r[0], r[1], flags, 0, 0, 0, 0, 0],
    );
}

/// Appends an `FCGI_END_REQUEST` record (used by test peers).
pub fn encode_end_request(out: &mut Vec<u8>, request_id: u16, end: EndRequest) {
    let a = end.app_status.to_be_bytes();
    let body = [a[0], a[1], a[2], a[3], end.protocol_status.to_u8(), 0, 0, 0];
    encode_record(out, RecordType::EndRequest, request_id, &body);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_stream() -> Vec<u8> {
        let mut out = Vec::new();
        encode_begin_request(&mut out, 1, Role::Responder, FCGI_KEEP_CONN);
        encode_stream(&mut out, RecordType::Stdout, 1, b"Status: 200\r\n\r\nhello");
        encode_record(&mut out, RecordType::Stderr, 1, b"warn");
        encode_record(&mut out, RecordType::Other(42), 0, b"x");
        encode_end_request(
            &mut out,
            1,
            EndRequest {
                app_status: 7,
                protocol_status: ProtocolStatus::Other(9),
            },
        );
        out
    }

    fn decode_all(chunks: &[&[u8]]) -> Vec<(Header, Vec<u8>)> {
        let mut buf = Vec::new();
        let mut records = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Decoded::Record(record, used) = decode(&buf).unwrap() {
                records.push((record.header, record.content.to_vec()));
                buf.drain(..used);
            }
        }
        assert!(buf.is_empty(), "bytes left over");
        records
    }

    #[test]
    fn header_is_eight_bytes_big_endian() {
        let mut out = Vec::new();
        encode_record(&mut out, RecordType::Stdout, 0x0102, b"abc");
        assert_eq!(&out[..8], &[1, 6, 1, 2, 0, 3, 5, 0]);
        assert_eq!(out.len(), 16, "content padded to a multiple of 8");
    }

    #[test]
    fn stream_split_at_every_offset_decodes_the_same() {
        let stream = sample_stream();
        let whole = decode_all(&[&stream]);
        assert_eq!(whole.len(), 6);
        for cut in 0..=stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(decode_all(&[a, b]), whole, "split at {cut}");
        }
        // One byte at a time, the worst case for an incremental decoder.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(decode_all(&bytes), whole);
    }

    #[test]
    fn need_more_says_how_many_bytes() {
        assert_eq!(decode(&[]).unwrap(), Decoded::NeedMore(8));
        assert_eq!(decode(&[1, 6, 0]).unwrap(), Decoded::NeedMore(5));
        // content 3 + padding 5 announced, none present
        assert_eq!(
            decode(&[1, 6, 0, 1, 0, 3, 5, 0]).unwrap(),
            Decoded::NeedMore(8)
        );
    }

    #[test]
    fn bad_version_is_reported_from_the_first_byte() {
        assert_eq!(
            decode(b"H").unwrap_err(),
            DecodeError::UnsupportedVersion(b'H')
        );
        assert_eq!(
            decode(&[2, 6, 0, 1, 0, 0, 0, 0]).unwrap_err(),
            DecodeError::UnsupportedVersion(2)
        );
    }

    #[test]
    fn unknown_types_and_statuses_are_kept() {
        let records = decode_all(&[&sample_stream()]);
        assert_eq!(records[4].0.record_type, RecordType::Other(42));
        let end = EndRequest::parse(&records[5].1).unwrap();
        assert_eq!(end.app_status, 7);
        assert_eq!(end.protocol_status, ProtocolStatus::Other(9));
        assert_eq!(end.protocol_status.name(), "unknown (9)");
        for n in 0..=255u8 {
            assert_eq!(RecordType::from_u8(n).to_u8(), n);
            assert_eq!(ProtocolStatus::from_u8(n).to_u8(), n);
        }
        for n in [0u16, 1, 2, 3, 4, 0xffff] {
            assert_eq!(Role::from_u16(n).to_u16(), n);
        }
    }

    #[test]
    fn fixed_bodies_are_length_checked() {
        assert_eq!(
            EndRequest::parse(&[0; 7]).unwrap_err(),
            DecodeError::BadBodyLength {
                record_type: RecordType::EndRequest,
                expected: 8,
                actual: 7
            }
        );
        assert!(BeginRequest::parse(&[0; 9]).is_err());
        assert!(parse_unknown_type(&[]).is_err());
        assert_eq!(
            parse_unknown_type(&[200, 0, 0, 0, 0, 0, 0, 0]).unwrap(),
            RecordType::Other(200)
        );
    }

    #[test]
    fn begin_request_round_trips_role_and_keep_conn() {
        for role in [
            Role::Responder,
            Role::Authorizer,
            Role::Filter,
            Role::Other(77),
        ] {
            let mut out = Vec::new();
            encode_begin_request(&mut out, 9, role, FCGI_KEEP_CONN);
            let Decoded::Record(record, used) = decode(&out).unwrap() else {
                panic!("incomplete")
            };
            assert_eq!(used, out.len());
            assert_eq!(record.header.request_id, 9);
            let begin = BeginRequest::parse(record.content).unwrap();
            assert_eq!(begin.role, role);
            assert!(begin.keep_conn());
        }
    }

    #[test]
    fn long_streams_are_split_into_max_sized_records() {
        let data = vec![b'x'; MAX_CONTENT_LEN * 2 + 10];
        let mut out = Vec::new();
        encode_stream(&mut out, RecordType::Stdin, 1, &data);
        let records = decode_all(&[&out]);
        let lengths: Vec<u16> = records.iter().map(|r| r.0.content_length).collect();
        assert_eq!(lengths, [u16::MAX, u16::MAX, 10, 0]);
        let joined: Vec<u8> = records.into_iter().flat_map(|r| r.1).collect();
        assert_eq!(joined, data);
    }

    #[test]
    fn padding_is_skipped_even_when_the_peer_pads_oddly() {
        // A peer may use any padding length (§3.3), e.g. 255 bytes.
        let mut rec = vec![1, 6, 0, 1, 0, 2, 255, 0, b'o', b'k'];
        rec.extend(std::iter::repeat_n(0xAA, 255));
        let Decoded::Record(r, used) = decode(&rec).unwrap() else {
            panic!()
        };
        assert_eq!(r.content, b"ok");
        assert_eq!(used, rec.len());
    }
}
