//! Parse + validate an issue body: the seed request, and a 64 KiB body. The
//! `pulldown-cmark alone` rows are a baseline measured in the same run (one
//! markdown pass over the same text), so the ratio says what our reading
//! costs beyond the markdown parse it is built on.

use criterion::{Criterion, criterion_group, criterion_main};
use pulldown_cmark::Parser;
use recovery_bot::form::{self, Rules, Template};
use std::hint::black_box;

fn bodies() -> Vec<(&'static str, String)> {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/forms/seed-request.md"
    ))
    .unwrap();
    let mut reason = String::new();
    let mut i = 0;
    while reason.len() < 64 * 1024 - 600 {
        reason.push_str(&format!(
            "Paragraph {i} of a long story, with `code`, a [link](https://example.com/{i}) and C### text.\n\n"
        ));
        if i % 10 == 0 {
            reason.push_str("```\n### not a heading\n```\n\n- [x] a task item\n\n");
        }
        i += 1;
    }
    let big = seed.replacen("Hello,", &reason, 1);
    vec![("seed", seed), ("64KiB", big)]
}

fn bench(c: &mut Criterion) {
    let template = Template::default_recovery();
    let rules = Rules::default();
    for (name, body) in bodies() {
        let mut group = c.benchmark_group(name);
        group.bench_function("parse+validate", |b| {
            b.iter(|| {
                let r = form::parse(&template, Some(black_box(&body)));
                black_box(form::validate(&template, &r, &rules))
            })
        });
        group.bench_function("pulldown-cmark alone", |b| {
            b.iter(|| black_box(Parser::new(black_box(&body)).count()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
