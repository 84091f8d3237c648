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

/// A valid spec, cut at a random byte and with a random slice of noise spliced in.
fn mangled_spec() -> impl Strategy<Value = String> {
    let texts = examples();
    (
        0..texts.len(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        "[ -~\n\t:{}\\[\\]&*!|>'\"#%@`-]{0,12}",
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
    fn the_loader_never_panics_on_mangled_specs(text in mangled_spec()) {
        if let Err(err) = slo::spec::parse(&text, "fuzz.yaml") {
            prop_assert!(!err.diagnostics.is_empty());
            prop_assert!(err.to_string().starts_with("fuzz.yaml"));
        }
    }

    #[test]
    fn the_loader_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = slo::spec::parse(&text, "fuzz.yaml");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Through the binary: a rejected spec exits 2 (never 101, a panic), an accepted one 0.
    #[test]
    fn the_binary_exits_2_on_what_the_loader_rejects(text in mangled_spec()) {
        let out = SloRun::new()
            .args(["validate", "--config", "-"])
            .stdin(text.as_bytes())
            .run();
        let expected = if slo::spec::parse(&text, "-").is_ok() { exit::OK } else { exit::INVALID };
        prop_assert_eq!(out.code(), Some(expected), "{}", out.stderr);
    }
}
