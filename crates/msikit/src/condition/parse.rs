//! The parser: tokens into an [`Expr`], by precedence climbing with a nesting bound.

use super::lex::{tokenize, Token, TokenKind};
use super::*;

/// Parses `condition` into an [`Expr`]; an empty or blank condition is [`Expr::Empty`].
///
/// # Errors
/// A [`ConditionError`] naming the first problem and its byte offset.
pub fn parse(condition: &str) -> Result<Expr, ConditionError> {
    let mut parser = Parser {
        source: condition,
        tokens: tokenize(condition)?,
        position: 0,
        nesting: 0,
    };
    if parser.tokens.is_empty() {
        return Ok(Expr::Empty);
    }
    let expr = parser.parse_logical(0)?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) if token.kind == TokenKind::CloseParen => {
            Err(parser.error_at(Some(token), "')' has no matching '('"))
        }
        other => Err(parser.unexpected(other, "AND, OR, XOR, EQV, IMP or end of condition")),
    }
}

/// Parentheses and NOTs deeper than this are rejected, so hostile input cannot
/// overflow the stack (no real condition comes close).
pub(super) const MAX_NESTING: usize = 64;

/// Recursive descent over the token list:
///
/// ```text
/// logical(level) := logical(level + 1) { OP[level] logical(level + 1) }   (IMP, EQV, XOR, OR, AND)
/// not            := NOT not | primary
/// primary        := "(" logical(0) ")" | operand [ compare-op operand ]
/// operand        := name | sigil name | number | "literal"
/// ```
pub(super) struct Parser<'a> {
    pub(super) source: &'a str,
    pub(super) tokens: Vec<Token>,
    pub(super) position: usize,
    pub(super) nesting: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn peek(&self) -> Option<Token> {
        self.tokens.get(self.position).copied()
    }

    pub(super) fn advance(&mut self) -> Option<Token> {
        let token = self.peek();
        if token.is_some() {
            self.position += 1;
        }
        token
    }

    pub(super) fn advance_if(&mut self, kind: TokenKind) -> Option<Token> {
        self.peek()
            .filter(|token| token.kind == kind)
            .inspect(|_| self.position += 1)
    }

    pub(super) fn text(&self, token: Token) -> &'a str {
        &self.source[token.start..token.end]
    }

    pub(super) fn error_at(
        &self,
        token: Option<Token>,
        message: impl Into<String>,
    ) -> ConditionError {
        ConditionError::new(
            token.map_or(self.source.len(), |token| token.start),
            message,
        )
    }

    pub(super) fn unexpected(&self, token: Option<Token>, expected: &str) -> ConditionError {
        let found = token.map_or_else(
            || "end of condition".to_string(),
            |token| format!("'{}'", self.text(token)),
        );
        self.error_at(token, format!("expected {expected}, found {found}"))
    }

    /// Runs `parse` one nesting level deeper, refusing to go past [`MAX_NESTING`].
    pub(super) fn nested<T>(
        &mut self,
        at: Token,
        parse: impl FnOnce(&mut Self) -> Result<T, ConditionError>,
    ) -> Result<T, ConditionError> {
        if self.nesting >= MAX_NESTING {
            return Err(self.error_at(
                Some(at),
                format!("parentheses and NOT nest more than {MAX_NESTING} levels deep"),
            ));
        }
        self.nesting += 1;
        let result = parse(self);
        self.nesting -= 1;
        result
    }

    pub(super) fn parse_logical(&mut self, level: usize) -> Result<Expr, ConditionError> {
        let Some(&op) = LogicalOp::BY_PRECEDENCE.get(level) else {
            return self.parse_not();
        };
        let mut operands = vec![self.parse_logical(level + 1)?];
        while self.advance_if(TokenKind::Logical(op)).is_some() {
            operands.push(self.parse_logical(level + 1)?);
        }
        Ok(if operands.len() == 1 {
            operands.swap_remove(0)
        } else {
            Expr::Logical { op, operands }
        })
    }

    pub(super) fn parse_not(&mut self) -> Result<Expr, ConditionError> {
        match self.advance_if(TokenKind::Not) {
            Some(not) => self.nested(not, |parser| Ok(Expr::Not(Box::new(parser.parse_not()?)))),
            None => self.parse_primary(),
        }
    }

    pub(super) fn parse_primary(&mut self) -> Result<Expr, ConditionError> {
        if let Some(open) = self.advance_if(TokenKind::OpenParen) {
            let inner = self.nested(open, |parser| parser.parse_logical(0))?;
            if self.advance_if(TokenKind::CloseParen).is_none() {
                let expected = format!("')' to close the '(' at byte {}", open.start);
                return Err(self.unexpected(self.peek(), &expected));
            }
            return Ok(inner);
        }
        let left = self.parse_operand()?;
        match self.peek().map(|token| token.kind) {
            Some(TokenKind::Compare(op)) => {
                self.position += 1;
                let right = self.parse_operand()?;
                Ok(Expr::Compare { left, op, right })
            }
            _ => Ok(Expr::Operand(left)),
        }
    }

    pub(super) fn parse_operand(&mut self) -> Result<Operand, ConditionError> {
        const EXPECTED: &str = "a property, number or \"string\"";
        let Some(token) = self.advance() else {
            return Err(self.unexpected(None, EXPECTED));
        };
        match token.kind {
            TokenKind::Identifier => Ok(Operand::Property(self.text(token).to_string())),
            TokenKind::Number(value) => Ok(Operand::Integer(value)),
            TokenKind::Literal => {
                let quoted = self.text(token);
                Ok(Operand::Literal(quoted[1..quoted.len() - 1].to_string()))
            }
            TokenKind::Sigil(sigil) => match self.advance_if(TokenKind::Identifier) {
                Some(name) => Ok(sigil.operand(self.text(name).to_string())),
                None => {
                    let expected = format!("{} after '{}'", sigil.target(), self.text(token));
                    Err(self.unexpected(self.peek(), &expected))
                }
            },
            _ => Err(self.unexpected(Some(token), EXPECTED)),
        }
    }
}
