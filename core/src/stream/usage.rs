//! Token usage from Gemini's `usageMetadata` and OpenAI's `usage`, in one normalised form.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Token counts of one reply, as reported by the upstream.
///
/// Normalised to Gemini's meaning: `output` is the visible answer and excludes `thoughts`, so
/// `total ≈ prompt + output + thoughts` (plus tool-use prompt tokens, which only `total` includes).
/// `cached` is the part of `prompt` served from a cache.
#[derive(Default, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens, cached ones included (`promptTokenCount`, `prompt_tokens`).
    pub prompt: u64,
    /// Answer tokens without thinking (`candidatesTokenCount`; OpenAI `completion_tokens` minus reasoning).
    pub output: u64,
    /// Thinking tokens (`thoughtsTokenCount`, `completion_tokens_details.reasoning_tokens`).
    pub thoughts: u64,
    /// Prompt tokens read from a cache (`cachedContentTokenCount`, `prompt_tokens_details.cached_tokens`).
    pub cached: u64,
    /// Total as reported (`totalTokenCount`, `total_tokens`); computed from the parts when absent.
    pub total: u64,
}

/// A token count: a JSON number, or a decimal string (proto JSON writes 64-bit integers as strings).
fn count(v: &Value, name: &str) -> Option<u64> {
    let field = v.get(name)?;
    field.as_u64().or_else(|| field.as_str().and_then(|s| s.trim().parse().ok()))
}

impl Usage {
    /// From a Gemini `usageMetadata` object. `None` unless it carries at least one known count.
    pub fn from_gemini(meta: &Value) -> Option<Usage> {
        const KNOWN: [&str; 5] = [
            "promptTokenCount",
            "candidatesTokenCount",
            "thoughtsTokenCount",
            "cachedContentTokenCount",
            "totalTokenCount",
        ];
        if !KNOWN.iter().any(|k| count(meta, k).is_some()) {
            return None;
        }
        let n = |name| count(meta, name).unwrap_or(0);
        let mut usage = Usage {
            prompt: n("promptTokenCount"),
            output: n("candidatesTokenCount"),
            thoughts: n("thoughtsTokenCount"),
            cached: n("cachedContentTokenCount"),
            total: n("totalTokenCount"),
        };
        if count(meta, "totalTokenCount").is_none() {
            usage.total = usage.prompt + usage.output + usage.thoughts + n("toolUsePromptTokenCount");
        }
        Some(usage)
    }

    /// From an OpenAI `usage` object. `None` unless it carries at least one known count.
    ///
    /// OpenAI counts reasoning inside `completion_tokens`; translators differ, so the reasoning tokens are
    /// subtracted only when `total_tokens` shows they are included (total < prompt + completion + reasoning).
    pub fn from_openai(usage: &Value) -> Option<Usage> {
        let prompt = count(usage, "prompt_tokens");
        let completion = count(usage, "completion_tokens");
        let total = count(usage, "total_tokens");
        if prompt.is_none() && completion.is_none() && total.is_none() {
            return None;
        }
        let (prompt, completion) = (prompt.unwrap_or(0), completion.unwrap_or(0));
        let thoughts = usage.get("completion_tokens_details").and_then(|d| count(d, "reasoning_tokens")).unwrap_or(0);
        let cached = usage.get("prompt_tokens_details").and_then(|d| count(d, "cached_tokens")).unwrap_or(0);
        let reasoning_outside = total.is_some_and(|t| t >= prompt + completion + thoughts);
        Some(Usage {
            prompt,
            output: if reasoning_outside { completion } else { completion.saturating_sub(thoughts) },
            thoughts,
            cached,
            total: total.unwrap_or(prompt + completion + if reasoning_outside { thoughts } else { 0 }),
        })
    }

    /// From a whole reply object: its `usageMetadata` (Gemini) or `usage` (OpenAI).
    pub(crate) fn from_reply(reply: &Value) -> Option<Usage> {
        reply
            .get("usageMetadata")
            .and_then(Usage::from_gemini)
            .or_else(|| reply.get("usage").and_then(Usage::from_openai))
    }
}

/// Recovers usage from the last bytes of an event too large to parse: finds the last `"usageMetadata": {…}`
/// or `"usage": {…}` member whose object is complete within `tail`, and parses just that object.
///
/// A key can only appear with an unescaped opening quote and a following `:` as a real member name, never
/// inside a string value, so text that merely mentions the word is not mistaken for it.
pub(crate) fn salvage_usage(tail: &[u8]) -> Option<Usage> {
    let mut best: Option<(usize, Usage)> = None;
    for (key, parse) in [
        (&b"\"usageMetadata\""[..], Usage::from_gemini as fn(&Value) -> Option<Usage>),
        (&b"\"usage\""[..], Usage::from_openai),
    ] {
        let found = match_positions(tail, key).rev().find_map(|at| {
            if escaped(tail, at) {
                return None;
            }
            let rest = skip_ws(&tail[at + key.len()..]);
            let rest = skip_ws(rest.strip_prefix(b":")?);
            let object = balanced_object(rest)?;
            let usage = parse(&serde_json::from_slice(object).ok()?)?;
            Some((at, usage))
        });
        if let Some((at, usage)) = found {
            if best.as_ref().is_none_or(|(b, _)| at > *b) {
                best = Some((at, usage));
            }
        }
    }
    best.map(|(_, usage)| usage)
}

fn match_positions<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl DoubleEndedIterator<Item = usize> + 'a {
    (0..hay.len().saturating_sub(needle.len() - 1)).filter(move |&i| hay[i..].starts_with(needle))
}

/// Whether the byte at `at` is preceded by an odd number of backslashes.
fn escaped(bytes: &[u8], at: usize) -> bool {
    bytes[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

fn skip_ws(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

/// The JSON object starting at `bytes[0] == b'{'`, up to its matching `}`, if it closes within `bytes`.
fn balanced_object(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if esc {
            esc = false;
        } else if in_str {
            match b {
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&bytes[..=i]);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn u(prompt: u64, output: u64, thoughts: u64, cached: u64, total: u64) -> Usage {
        Usage { prompt, output, thoughts, cached, total }
    }

    #[test]
    fn gemini_usage() {
        let cases = [
            (
                json!({"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":7,
                       "cachedContentTokenCount":4,"totalTokenCount":22}),
                Some(u(10, 5, 7, 4, 22)),
            ),
            // Total missing: computed, tool-use prompt tokens included.
            (
                json!({"promptTokenCount":10,"candidatesTokenCount":5,"toolUsePromptTokenCount":3}),
                Some(u(10, 5, 0, 0, 18)),
            ),
            // Early stream chunks carry only the prompt.
            (json!({"promptTokenCount":8,"totalTokenCount":8}), Some(u(8, 0, 0, 0, 8))),
            // Strings, as proto JSON writes int64.
            (json!({"promptTokenCount":"3","candidatesTokenCount":"4","totalTokenCount":"7"}), Some(u(3, 4, 0, 0, 7))),
            (json!({}), None),
            (json!({"promptTokensDetails":[{"modality":"TEXT","tokenCount":3}]}), None),
            (json!("x"), None),
        ];
        for (meta, expected) in cases {
            assert_eq!(Usage::from_gemini(&meta), expected, "{meta}");
        }
    }

    #[test]
    fn openai_usage() {
        let cases = [
            // OpenAI's convention: reasoning inside completion_tokens.
            (
                json!({"prompt_tokens":10,"completion_tokens":30,"total_tokens":40,
                       "completion_tokens_details":{"reasoning_tokens":20},"prompt_tokens_details":{"cached_tokens":6}}),
                Some(u(10, 10, 20, 6, 40)),
            ),
            // A translator that reports reasoning outside completion_tokens (total shows it).
            (
                json!({"prompt_tokens":10,"completion_tokens":10,"total_tokens":40,
                       "completion_tokens_details":{"reasoning_tokens":20}}),
                Some(u(10, 10, 20, 0, 40)),
            ),
            (json!({"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}), Some(u(5, 2, 0, 0, 7))),
            // Embeddings: no completion.
            (json!({"prompt_tokens":9,"total_tokens":9}), Some(u(9, 0, 0, 0, 9))),
            (json!({"prompt_tokens":5,"completion_tokens":2}), Some(u(5, 2, 0, 0, 7))),
            (json!({"input_tokens":5}), None),
            (Value::Null, None),
        ];
        for (usage, expected) in cases {
            assert_eq!(Usage::from_openai(&usage), expected, "{usage}");
        }
    }

    #[test]
    fn from_reply_prefers_gemini_then_openai() {
        let g = json!({"usageMetadata":{"promptTokenCount":1,"totalTokenCount":1},"usage":{"prompt_tokens":9}});
        assert_eq!(Usage::from_reply(&g), Some(u(1, 0, 0, 0, 1)));
        let o = json!({"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}});
        assert_eq!(Usage::from_reply(&o), Some(u(2, 3, 0, 0, 5)));
        assert_eq!(Usage::from_reply(&json!({"usage":null})), None);
    }

    #[test]
    fn salvage_from_tail() {
        let cases: [(&str, Option<Usage>); 8] = [
            (
                r#"AAAA"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":1290,"totalTokenCount":1297,"promptTokensDetails":[{"modality":"TEXT","tokenCount":7}]},"modelVersion":"m"}"#,
                Some(u(7, 1290, 0, 0, 1297)),
            ),
            // Whitespace around the colon; OpenAI key.
            (r#"xx"}}],"usage" : {"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#, Some(u(3, 4, 0, 0, 7))),
            // The object is cut at the end of the tail: nothing.
            (r#"x"}],"usageMetadata":{"promptTokenCount":7,"candidatesTok"#, None),
            // The word inside a string value (escaped quotes) is not a member.
            (r#"{"text":"say \"usageMetadata\":{\"promptTokenCount\":99} please"}"#, None),
            // …nor a plain mention.
            (r#"{"text":"usageMetadata"}"#, None),
            // The last member wins.
            (
                r#""usageMetadata":{"promptTokenCount":1,"totalTokenCount":1}},{"usageMetadata":{"promptTokenCount":2,"totalTokenCount":2}}"#,
                Some(u(2, 0, 0, 0, 2)),
            ),
            // Tail starting in the middle of the key.
            (r#"Metadata":{"promptTokenCount":1}}"#, None),
            ("", None),
        ];
        for (tail, expected) in cases {
            assert_eq!(salvage_usage(tail.as_bytes()), expected, "{tail}");
        }
    }

    #[test]
    fn balanced() {
        assert_eq!(balanced_object(br#"{"a":"}{\"","b":[{}]} rest"#), Some(&br#"{"a":"}{\"","b":[{}]}"#[..]));
        assert_eq!(balanced_object(br#"{"a":1"#), None);
        assert_eq!(balanced_object(b"[1]"), None);
    }

    #[test]
    fn serde_roundtrip() {
        let usage = u(1, 2, 3, 4, 10);
        let text = serde_json::to_string(&usage).unwrap();
        assert_eq!(text, r#"{"prompt":1,"output":2,"thoughts":3,"cached":4,"total":10}"#);
        assert_eq!(serde_json::from_str::<Usage>(&text).unwrap(), usage);
    }
}
