//! Text that came from outside `slo` (Prometheus' warnings and errors, label values, the
//! spec's strings), made safe to show on a terminal or in CI.
//!
//! A terminal obeys escape sequences (`ESC ]52` writes the clipboard, `ESC [2J` clears the
//! screen), a CR lets a line overwrite itself, and a line break starts a new line that GitHub
//! Actions may read as a workflow command (`::error::`, `::stop-commands::`). So every control
//! character (C0, DEL, C1), the Unicode line and paragraph separators and the bidirectional
//! overrides are shown as escapes (`\x1b`, `\r`, `\n`, `\u{202e}`) and the text stays one
//! line. Renderers that write for people apply [`visible`] (or [`Visible`]) at the point where
//! outside text is emitted; JSON and XML escape on their own.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// `text` with every character that could act on a terminal or break the line shown as an
/// escape; borrowed when there is none.
pub fn visible(text: &str) -> Cow<'_, str> {
    if text.chars().any(needs_escape) {
        Cow::Owned(Visible(text).to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// Displays its text as [`visible`] returns it, without allocating.
#[derive(Debug, Clone, Copy)]
pub struct Visible<'a>(pub &'a str);

impl fmt::Display for Visible<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| needs_escape(c)) {
            f.write_str(&rest[..at])?;
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if (c as u32) < 0x100 => write!(f, "\\x{:02x}", c as u32)?,
                c => write!(f, "\\u{{{:x}}}", c as u32)?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// Controls (C0, DEL, C1), line and paragraph separators, and the bidirectional embeddings,
/// overrides and isolates that can make a line read differently from what it holds.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Each line of a message `slo` wrote itself, with outside text inside it: line breaks kept,
/// every other control escaped as by [`visible`]. For multi-line messages whose parts were
/// made visible where they were formed.
pub fn visible_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "{}", Visible(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            visible("availability handler=/a|b ✅"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn controls_are_shown_as_escapes_on_one_line() {
        assert_eq!(
            visible("a\u{1b}]52;c;SGVsbG8=\u{7}b\u{1b}[2J"),
            "a\\x1b]52;c;SGVsbG8=\\x07b\\x1b[2J"
        );
        assert_eq!(
            visible("x\r\n::error::forged\tz"),
            "x\\r\\n::error::forged\\tz"
        );
        assert_eq!(visible("\u{0}\u{7f}\u{85}\u{9b}"), "\\x00\\x7f\\x85\\x9b");
        assert_eq!(visible("a\u{202e}b\u{2028}c"), "a\\u{202e}b\\u{2028}c");
        assert!(!visible("\u{1b}\r\n").chars().any(needs_escape));
    }

    #[test]
    fn showing_twice_changes_nothing_more() {
        let once = visible("\u{1b}[31m\r\n").into_owned();
        assert_eq!(visible(&once), once);
    }

    #[test]
    fn the_display_wrapper_matches() {
        let text = "é\u{1b}ü\u{9f}漢\n";
        assert_eq!(Visible(text).to_string(), visible(text));
    }

    #[test]
    fn lines_keep_their_breaks_only() {
        assert_eq!(
            visible_lines("error: a\u{1b}[2J\r\n  hint: b"),
            "error: a\\x1b[2J\\r\n  hint: b"
        );
    }
}
