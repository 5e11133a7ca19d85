//! `fcgi-doctor explain`: the registry, read by people (rustc --explain, ruff
//! rule) and by machines.

use serde::Serialize;

use crate::core::error::{Error, Result};
use crate::core::outcome::Outcome;
use crate::core::registry::{self, Class, Code};

/// The codes to explain, in id order.
#[derive(Debug, Serialize)]
pub struct ExplainList {
    pub codes: Vec<&'static Code>,
}

/// What to explain: one code, every code of a class, or all of them.
pub fn run(code: Option<&str>, all: bool) -> Result<Outcome<ExplainList>> {
    select(code, all).map(|codes| Outcome::new(ExplainList { codes }))
}

fn select(code: Option<&str>, all: bool) -> Result<Vec<&'static Code>> {
    if all {
        return Ok(registry::all().collect());
    }
    let wanted = code.unwrap_or_default().trim();
    if let Some(code) = registry::lookup(wanted) {
        return Ok(vec![code]);
    }
    if let Some(class) = Class::ALL.iter().find(|c| c.as_str() == wanted) {
        let members: Vec<&Code> = registry::all().filter(|c| c.class == *class).collect();
        if members.is_empty() {
            return Err(Error::usage(format!(
                "class {wanted} has no codes yet (later commands will add them)"
            )));
        }
        return Ok(members);
    }
    Err(Error::usage(format!(
        "unknown code or class {wanted:?}: `fcgi-doctor explain --all` lists every code"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_codes_classes_and_all_in_id_order() {
        assert_eq!(select(Some("fd1004"), false).unwrap()[0].id, "FD1004");
        let perm = select(Some("permission_denied"), false).unwrap();
        assert!(perm.len() >= 3 && perm.iter().all(|c| c.class == Class::PermissionDenied));
        let all = select(None, true).unwrap();
        assert_eq!(all.len(), registry::all().count());
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        assert!(select(Some("FD9999"), false).is_err());
    }
}
