//! Golden files: generated output compared with a reviewed copy in the repository.

use std::path::Path;

/// How many differing lines a mismatch shows.
const SHOWN_DIFFERENCES: usize = 8;

/// Compares `actual` with the golden file at `path` (relative to the crate root). With
/// `UPDATE_GOLDEN=1` it rewrites the file instead; on a mismatch it panics with the first
/// differing lines, numbered.
#[track_caller]
pub fn assert_golden(path: impl AsRef<Path>, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the output (- golden, + actual):\n{}(review, then UPDATE_GOLDEN=1 to accept)",
            path.display(),
            line_diff(&expected, actual)
        );
    }
}

/// The first [`SHOWN_DIFFERENCES`] lines where `expected` and `actual` differ, by line
/// number, with `<end>` for a line past the end of one of them.
fn line_diff(expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    let mut shown = String::new();
    let mut differences = 0;
    for number in 1.. {
        let (golden, output) = (e.next(), a.next());
        if golden.is_none() && output.is_none() {
            break;
        }
        if golden != output {
            differences += 1;
            if differences <= SHOWN_DIFFERENCES {
                shown.push_str(&format!(
                    "{number:>5} - {}\n{number:>5} + {}\n",
                    golden.unwrap_or("<end>"),
                    output.unwrap_or("<end>")
                ));
            }
        }
    }
    if differences > SHOWN_DIFFERENCES {
        shown.push_str(&format!(
            "      ... {} more differing lines\n",
            differences - SHOWN_DIFFERENCES
        ));
    }
    if differences == 0 {
        // Same lines, different bytes: a line ending or a final newline.
        shown.push_str("      (the lines match; line endings or the final newline differ)\n");
    }
    shown
}
