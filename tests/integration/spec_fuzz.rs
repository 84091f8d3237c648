//! Random and truncated YAML never panics the loader; what it rejects is exit 2.

use proptest::prelude::*;
use slo::exit;

use crate::harness::SloRun;

fn examples() -> Vec<String> {
    let mut texts = vec![std::fs::read_to_string("slo.yaml").unwrap()];
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            texts.push(std::fs::read_to_string(path).unwrap());
        }
    }
    texts
}

/// YAML punctuation, and now and then control characters (C0, DEL, C1, bidi overrides).
fn short_noise() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[ -~\n\t:{}\\[\\]&*!|>'\"#%@`-]{0,12}",
        1 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202e}]{1,8}",
    ]
    .boxed()
}

/// One character repeated up to 40,000 times: past the PromQL length limit, deep nesting.
fn long_noise() -> BoxedStrategy<String> {
    ("[a-z0-9({\\[+ \\x1b-]", 1usize..40_000)
        .prop_map(|(c, n)| c.repeat(n))
        .boxed()
}

/// A valid spec, cut at a random byte and with a random slice of noise spliced in.
fn mangled_spec(noise: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let texts = examples();
    (
        0..texts.len(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        noise,
    )
        .prop_map(move |(which, cut, splice, noise)| {
            let text = &texts[which];
            let cut = floor_char_boundary(text, cut.index(text.len() + 1));
            let splice = floor_char_boundary(&text[..cut], splice.index(cut + 1));
            format!("{}{noise}{}", &text[..splice], &text[splice..cut])
        })
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_loader_never_panics_on_mangled_specs(text in mangled_spec(short_noise())) {
        assert_rejection_is_located_and_inert(&text)?;
    }

    #[test]
    fn the_loader_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = slo::spec::parse(&text, "fuzz.yaml");
    }
}

/// A rejection names the file, and shows the spec's control characters as escapes: the only
/// control character in the message is the line break between diagnostics.
fn assert_rejection_is_located_and_inert(text: &str) -> Result<(), TestCaseError> {
    if let Err(err) = slo::spec::parse(text, "fuzz.yaml") {
        let message = err.to_string();
        prop_assert!(!err.diagnostics.is_empty());
        prop_assert!(message.starts_with("fuzz.yaml"));
        prop_assert!(
            !message.chars().any(|c| c.is_control() && c != '\n'),
            "{message:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Long runs (a 40,000-character query, 40,000 open brackets) are rejected or read in
    /// bounded time, never a hang or a stack overflow.
    #[test]
    fn the_loader_bounds_long_and_deeply_nested_text(text in mangled_spec(long_noise())) {
        assert_rejection_is_located_and_inert(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Through the binary: a rejected spec exits 2 (never 101, a panic), an accepted one 0.
    #[test]
    fn the_binary_exits_2_on_what_the_loader_rejects(text in mangled_spec(short_noise())) {
        let out = SloRun::new()
            .args(["validate", "--config", "-"])
            .stdin(text.as_bytes())
            .run();
        let expected = if slo::spec::parse(&text, "-").is_ok() { exit::OK } else { exit::INVALID };
        prop_assert_eq!(out.code(), Some(expected), "{}", out.stderr);
    }
}
