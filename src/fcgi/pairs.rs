//! Name-value pairs (§3.4): the body of PARAMS, GET_VALUES and GET_VALUES_RESULT.
//!
//! A length below 128 takes one byte; a longer one takes four bytes with the high
//! bit of the first set, leaving 31 bits for the length.

/// One name and its value, as raw bytes.
pub type Pair = (Vec<u8>, Vec<u8>);

/// Why a name-value body cannot be decoded or encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PairError {
    #[error("name-value pair truncated at byte {0}")]
    Truncated(usize),
    #[error("name-value length {0} is larger than 2^31 - 1")]
    TooLong(usize),
}

/// Decodes every pair of a complete body. Each length is checked against the bytes
/// actually present before anything is sliced or allocated, so a hostile length of
/// two gigabytes costs nothing.
pub fn decode_pairs(mut body: &[u8]) -> Result<Vec<Pair>, PairError> {
    let total = body.len();
    let mut pairs = Vec::new();
    while !body.is_empty() {
        let at = total - body.len();
        let truncated = |_| PairError::Truncated(at);
        let (name_len, rest) = read_len(body).ok_or(()).map_err(truncated)?;
        let (value_len, rest) = read_len(rest).ok_or(()).map_err(truncated)?;
        if rest.len() < name_len || rest.len() - name_len < value_len {
            return Err(PairError::Truncated(at));
        }
        let (name, rest) = rest.split_at(name_len);
        let (value, rest) = rest.split_at(value_len);
        pairs.push((name.to_vec(), value.to_vec()));
        body = rest;
    }
    Ok(pairs)
}

fn read_len(buf: &[u8]) -> Option<(usize, &[u8])> {
    let first = *buf.first()?;
    if first & 0x80 == 0 {
        return Some((usize::from(first), &buf[1..]));
    }
    let b = buf.get(..4)?;
    let len = u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]);
    Some((len as usize, &buf[4..]))
}

fn write_len(out: &mut Vec<u8>, len: usize) -> Result<(), PairError> {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0x7fff_ffff {
        out.extend_from_slice(&(len as u32 | 0x8000_0000).to_be_bytes());
    } else {
        return Err(PairError::TooLong(len));
    }
    Ok(())
}

/// Appends one pair.
pub fn encode_pair(out: &mut Vec<u8>, name: &[u8], value: &[u8]) -> Result<(), PairError> {
    write_len(out, name.len())?;
    write_len(out, value.len())?;
    out.extend_from_slice(name);
    out.extend_from_slice(value);
    Ok(())
}

/// Encodes a list of pairs into one body.
pub fn encode_pairs<N, V>(pairs: &[(N, V)]) -> Result<Vec<u8>, PairError>
where
    N: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    let mut out = Vec::new();
    for (name, value) in pairs {
        encode_pair(&mut out, name.as_ref(), value.as_ref())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths_round_trip() {
        let long_value = vec![b'v'; 300];
        let pairs = vec![
            (b"A".to_vec(), b"".to_vec()),
            (b"SCRIPT_FILENAME".to_vec(), long_value.clone()),
            (vec![b'n'; 127], vec![b'x'; 128]),
        ];
        let body = encode_pairs(&pairs).unwrap();
        // 127 fits one byte, 128 needs four with the high bit set.
        assert_eq!(&body[..2], &[1, 0]);
        assert_eq!(decode_pairs(&body).unwrap(), pairs);
    }

    #[test]
    fn four_byte_length_has_high_bit_set() {
        let mut out = Vec::new();
        encode_pair(&mut out, b"N", &[0; 200]).unwrap();
        assert_eq!(&out[..5], &[1, 0x80, 0, 0, 200]);
    }

    #[test]
    fn truncated_bodies_are_errors_at_every_cut() {
        let body = encode_pairs(&[("FCGI_MPXS_CONNS", "0"), ("FCGI_MAX_REQS", "1")]).unwrap();
        for cut in 1..body.len() {
            let result = decode_pairs(&body[..cut]);
            // A cut exactly between two pairs is a valid shorter body.
            if cut == 2 + 15 + 1 {
                assert_eq!(result.unwrap().len(), 1);
            } else {
                assert!(
                    matches!(result, Err(PairError::Truncated(_))),
                    "cut {cut}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn hostile_length_is_rejected_without_allocating() {
        // Name length 0x7fffffff, value length 0, and no bytes behind them.
        let body = [0xff, 0xff, 0xff, 0xff, 0];
        assert_eq!(decode_pairs(&body), Err(PairError::Truncated(0)));
    }

    #[test]
    fn empty_body_has_no_pairs() {
        assert!(decode_pairs(&[]).unwrap().is_empty());
    }
}
