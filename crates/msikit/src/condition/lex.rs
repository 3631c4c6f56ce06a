//! The lexer: a condition's text as tokens, each with its byte offset.

use super::eval::leading_integer;
use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    OpenParen,
    CloseParen,
    Not,
    Logical(LogicalOp),
    Compare(CompareOp),
    Sigil(Sigil),
    Identifier,
    Number(i32),
    Literal,
}

/// A prefix that turns the following name into a non-property operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sigil {
    EnvironmentVariable,
    ComponentAction,
    ComponentInstalled,
    FeatureAction,
    FeatureInstalled,
}

impl Sigil {
    pub(super) fn from_byte(byte: u8) -> Option<Sigil> {
        match byte {
            b'%' => Some(Sigil::EnvironmentVariable),
            b'$' => Some(Sigil::ComponentAction),
            b'?' => Some(Sigil::ComponentInstalled),
            b'&' => Some(Sigil::FeatureAction),
            b'!' => Some(Sigil::FeatureInstalled),
            _ => None,
        }
    }

    pub(super) fn operand(self, name: String) -> Operand {
        match self {
            Sigil::EnvironmentVariable => Operand::EnvironmentVariable(name),
            Sigil::ComponentAction => Operand::ComponentAction(name),
            Sigil::ComponentInstalled => Operand::ComponentInstalled(name),
            Sigil::FeatureAction => Operand::FeatureAction(name),
            Sigil::FeatureInstalled => Operand::FeatureInstalled(name),
        }
    }

    pub(super) fn target(self) -> &'static str {
        match self {
            Sigil::EnvironmentVariable => "an environment variable name",
            Sigil::ComponentAction | Sigil::ComponentInstalled => "a component name",
            Sigil::FeatureAction | Sigil::FeatureInstalled => "a feature name",
        }
    }
}

/// A token and its byte span in the condition.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) fn is_identifier_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

pub(super) fn is_identifier_part(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'#')
}

/// Wine's number token: digits, `-` and `.`; its value is read like `strtol`.
pub(super) fn is_number_part(byte: u8) -> bool {
    byte.is_ascii_digit() || matches!(byte, b'-' | b'.')
}

pub(super) fn tokenize(source: &str) -> Result<Vec<Token>, ConditionError> {
    let bytes = source.as_bytes();
    let run_end = |from: usize, part: fn(u8) -> bool| {
        bytes[from..]
            .iter()
            .position(|&byte| !part(byte))
            .map_or(bytes.len(), |len| from + len)
    };
    let mut tokens = Vec::new();
    let mut start = 0;
    while let Some(&byte) = bytes.get(start) {
        let (kind, end) = match byte {
            b' ' | b'\t' | b'\r' | b'\n' => {
                start += 1;
                continue;
            }
            b'(' => (TokenKind::OpenParen, start + 1),
            b')' => (TokenKind::CloseParen, start + 1),
            b'~' | b'<' | b'>' | b'=' => {
                let (op, len) = lex_compare_op(&source[start..]).ok_or_else(|| {
                    ConditionError::new(start, "'~' must be followed by a comparison operator")
                })?;
                (TokenKind::Compare(op), start + len)
            }
            b'"' => {
                let close = source[start + 1..]
                    .find('"')
                    .ok_or_else(|| ConditionError::new(start, "unterminated string literal"))?;
                (TokenKind::Literal, start + 1 + close + 1)
            }
            _ if is_identifier_start(byte) => {
                let end = run_end(start, is_identifier_part);
                (keyword_kind(&source[start..end]), end)
            }
            _ if is_number_part(byte) => {
                let end = run_end(start, is_number_part);
                (TokenKind::Number(leading_integer(&source[start..end])), end)
            }
            _ => match Sigil::from_byte(byte) {
                Some(sigil) => (TokenKind::Sigil(sigil), start + 1),
                None => {
                    let unexpected = source[start..].chars().next().unwrap_or('?');
                    return Err(ConditionError::new(
                        start,
                        format!("unexpected character '{unexpected}'"),
                    ));
                }
            },
        };
        tokens.push(Token { kind, start, end });
        start = end;
    }
    Ok(tokens)
}

/// The comparison operator at the start of `text` and its length in bytes.
pub(super) fn lex_compare_op(text: &str) -> Option<(CompareOp, usize)> {
    let (ignore_case, rest) = match text.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let relation = Relation::LEXING_ORDER
        .into_iter()
        .find(|relation| rest.starts_with(relation.symbol()))?;
    let len = usize::from(ignore_case) + relation.symbol().len();
    Some((
        CompareOp {
            relation,
            ignore_case,
        },
        len,
    ))
}

/// Keywords are whole words in any case; everything else is a name.
pub(super) fn keyword_kind(word: &str) -> TokenKind {
    if word.eq_ignore_ascii_case("NOT") {
        return TokenKind::Not;
    }
    LogicalOp::BY_PRECEDENCE
        .into_iter()
        .find(|op| word.eq_ignore_ascii_case(op.keyword()))
        .map_or(TokenKind::Identifier, TokenKind::Logical)
}
