//! Doc comments from spec descriptions, made safe for rustdoc.

/// Escapes what rustdoc would misread in prose: `[x]` (an intra-doc link), `<tag>` (HTML) and
/// bare URLs. Inline code (between backticks) is left alone.
fn sanitize_line(line: &str) -> String {
    let mut out = String::new();
    for (i, segment) in line.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(segment);
            continue;
        }
        let chars: Vec<char> = segment.chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let rest: String = chars[j..].iter().collect();
            if rest.starts_with("http://") || rest.starts_with("https://") {
                let len = rest
                    .find(|c: char| c.is_whitespace() || c == ')' || c == '>' || c == '"')
                    .unwrap_or(rest.len());
                let url = rest[..len].trim_end_matches(['.', ',', ';', ':']);
                let inside_link = j > 0 && chars[j - 1] == '(';
                if inside_link {
                    out.push_str(url);
                } else {
                    out.push('<');
                    out.push_str(url);
                    out.push('>');
                }
                j += url.chars().count();
                continue;
            }
            match chars[j] {
                '[' => out.push_str("\\["),
                ']' => {
                    // Keep `[text](url)` links working.
                    if chars.get(j + 1) == Some(&'(') {
                        out.push(']');
                    } else {
                        out.push_str("\\]");
                    }
                }
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
            j += 1;
        }
    }
    // Undo the escape of `[` when it opens a `[text](url)` link.
    let mut fixed = String::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find("\\[") {
        fixed.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("](") {
            Some(end) if !after[..end].contains("\\]") && !after[..end].contains("\\[") => {
                fixed.push('[')
            }
            _ => fixed.push_str("\\["),
        }
        rest = after;
    }
    fixed.push_str(rest);
    fixed
}

/// `///` lines for `text` at `indent`; untagged code fences become `text` blocks.
pub fn doc_comment(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    let text = text.trim();
    if text.is_empty() {
        return out;
    }
    for line in text.lines() {
        let trimmed = line.trim_start();
        let rendered = if trimmed.starts_with("```") {
            let opening = !in_fence;
            in_fence = !in_fence;
            if opening && trimmed.trim() == "```" {
                line.replacen("```", "```text", 1)
            } else {
                line.to_owned()
            }
        } else if in_fence {
            line.to_owned()
        } else {
            sanitize_line(line)
        };
        let rendered = rendered.trim_end();
        if rendered.is_empty() {
            out.push_str(&format!("{indent}///\n"));
        } else {
            out.push_str(&format!("{indent}/// {rendered}\n"));
        }
    }
    if in_fence {
        out.push_str(&format!("{indent}/// ```\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes() {
        assert_eq!(
            sanitize_line("see https://clerk.com/docs."),
            "see <https://clerk.com/docs>."
        );
        assert_eq!(
            sanitize_line("[link](https://a.b/c)"),
            "[link](https://a.b/c)"
        );
        assert_eq!(sanitize_line("a [b] c"), "a \\[b\\] c");
        assert_eq!(sanitize_line("x <br> `a<b>[c]`"), "x &lt;br&gt; `a<b>[c]`");
    }
}
