//! `recovery-bot report [--since 30d] [--format text|json]`: how the queue
//! is doing, from the database (`store::report`). The open requests by
//! state are also exported as gauges on `/metrics`.

use std::time::Duration;

use crate::store::report::{Report, Spread};

#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// How far back the flows (answers, decisions, links, reminders) go,
    /// like `30d`, `36h`; the open requests are always as they are now.
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
    pub since: Duration,
    /// `text` for people, `json` (one object) for scripts.
    #[arg(long, value_parser = ["text", "json"], default_value = "text")]
    pub format: String,
}

/// A duration in seconds, rounded for people: `45 s`, `12 min`, `5.5 h`,
/// `3.2 days`.
pub fn approx(secs: f64) -> String {
    match secs {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7_200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3_600.0),
        s => format!("{:.1} days", s / 86_400.0),
    }
}

fn spread(s: &Spread) -> String {
    match (s.median_seconds, s.p90_seconds) {
        (Some(m), Some(p)) => format!(
            "median {}, p90 {} ({} requests)",
            approx(m),
            approx(p),
            s.count
        ),
        _ => "no requests".to_owned(),
    }
}

pub fn text(r: &Report) -> String {
    let mut out = format!(
        "Open requests (now):\n{}",
        if r.open.is_empty() {
            "  none\n".to_owned()
        } else {
            r.open
                .iter()
                .map(|o| {
                    format!(
                        "  {:<14} {:>5}   oldest {}\n",
                        o.state,
                        o.count,
                        approx(o.oldest_age_seconds)
                    )
                })
                .collect()
        }
    );
    out.push_str(&format!(
        "\nIn the last {}:\n  first answer from the bot:   {}\n  first command of an admin:   {}\n",
        approx(r.since_seconds as f64),
        spread(&r.first_answer),
        spread(&r.first_admin_command)
    ));
    let p = &r.proofs;
    out.push_str(&format!(
        "  links emailed / confirmed:   {} / {}\n  branches asked / found:      {} / {}\n  reminders / closed for no response: {} / {}\n",
        p.links_sent, p.links_confirmed, p.branches_sent, p.branches_found, p.reminders, p.closed_no_response
    ));
    out.push_str("\nDecisions per week (week of, admin: approved, denied):\n");
    if r.decisions.is_empty() {
        out.push_str("  none\n");
    }
    for d in &r.decisions {
        out.push_str(&format!(
            "  {}  {:<24} {:>3} approved  {:>3} denied\n",
            d.week, d.actor, d.approved, d.denied
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_for_people() {
        assert_eq!(super::approx(45.0), "45 s");
        assert_eq!(super::approx(720.0), "12 min");
        assert_eq!(super::approx(19_800.0), "5.5 h");
        assert_eq!(super::approx(3.0 * 86_400.0), "3.0 days");
    }
}
