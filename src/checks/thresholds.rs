//! `--warning` and `--critical` on the probe's total time, in the monitoring
//! plugins' range syntax: `10` alerts outside 0..10, `10:` below 10, `~:10`
//! above 10, `10:20` outside 10..20, `@10:20` inside it.

use crate::core::finding::Finding;
use crate::core::registry::codes;

/// One range, as given.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    start: f64,
    end: f64,
    /// `@`: alert inside the range instead of outside.
    inside: bool,
    /// The text as given, for the performance data.
    pub text: String,
}

impl Range {
    pub fn parse(text: &str) -> Result<Range, String> {
        let bad = || format!("{text:?} is not a range such as 0.5, 0.2:1, ~:1 or @1:2");
        let (inside, body) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
        let (start, end) = match body.split_once(':') {
            None => (0.0, number(body).ok_or_else(bad)?),
            Some((start, end)) => {
                let start = match start {
                    "~" => f64::NEG_INFINITY,
                    "" => 0.0,
                    s => number(s).ok_or_else(bad)?,
                };
                let end = match end {
                    "" => f64::INFINITY,
                    e => number(e).ok_or_else(bad)?,
                };
                (start, end)
            }
        };
        if start > end {
            return Err(format!("{text:?}: the start of the range is above its end"));
        }
        Ok(Range {
            start,
            end,
            inside,
            text: text.to_string(),
        })
    }

    /// Whether `value` raises the alert.
    pub fn alerts(&self, value: f64) -> bool {
        let within = self.start <= value && value <= self.end;
        within == self.inside
    }
}

/// The finding when the total time passes a threshold (critical first).
pub fn judge(
    seconds: f64,
    warning: Option<&Range>,
    critical: Option<&Range>,
    subject: &str,
) -> Option<Finding> {
    let (code, range, flag) = match (critical, warning) {
        (Some(c), _) if c.alerts(seconds) => (&codes::SLOWER_THAN_CRITICAL, c, "--critical"),
        (_, Some(w)) if w.alerts(seconds) => (&codes::SLOWER_THAN_WARNING, w, "--warning"),
        _ => return None,
    };
    Some(Finding::new(
        code,
        subject,
        format!(
            "the probe took {seconds:.3} s, which {flag} {} rejects",
            range.text
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_the_plugin_guidelines() {
        let r = |t: &str| Range::parse(t).unwrap();
        assert!(r("10").alerts(11.0) && r("10").alerts(-1.0) && !r("10").alerts(10.0));
        assert!(r("10:").alerts(9.0) && !r("10:").alerts(100.0));
        assert!(r("~:10").alerts(11.0) && !r("~:10").alerts(-5.0));
        assert!(r("10:20").alerts(9.0) && r("10:20").alerts(21.0) && !r("10:20").alerts(15.0));
        assert!(r("@10:20").alerts(15.0) && !r("@10:20").alerts(21.0));
        assert!(Range::parse("fast").is_err() && Range::parse("2:1").is_err());
        assert!(Range::parse("1s").is_err() && Range::parse("nan").is_err());
    }

    #[test]
    fn critical_wins_over_warning() {
        let (w, c) = (Range::parse("0.5").unwrap(), Range::parse("1").unwrap());
        let f = judge(2.0, Some(&w), Some(&c), "t").unwrap();
        assert_eq!(f.code, codes::SLOWER_THAN_CRITICAL.id);
        assert_eq!(
            judge(0.7, Some(&w), Some(&c), "t").unwrap().code,
            codes::SLOWER_THAN_WARNING.id
        );
        assert!(judge(0.1, Some(&w), Some(&c), "t").is_none());
    }
}
