//! The syntax tree: what a condition says, printed back in a canonical form.

use std::cmp::Ordering;
use std::fmt;

/// A parsed condition.
///
/// `Display` prints a canonical form (upper-case keywords, parentheses only
/// where precedence needs them) that parses back to the same tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// An empty condition, which is true.
    Empty,
    /// A lone operand: true if its value is a non-empty string or a non-zero integer.
    Operand(Operand),
    /// `left op right`; comparisons do not chain.
    Compare {
        /// The operand before the operator.
        left: Operand,
        /// The comparison operator.
        op: CompareOp,
        /// The operand after the operator.
        right: Operand,
    },
    /// `NOT expr`.
    Not(Box<Expr>),
    /// Two or more operands joined by the same operator, grouped from the left:
    /// `A IMP B IMP C` is `(A IMP B) IMP C`. A parenthesised group stays a
    /// separate node, so `A OR (B OR C)` nests.
    Logical {
        /// The operator joining every pair of neighbours.
        op: LogicalOp,
        /// At least two sub-expressions, in source order.
        operands: Vec<Expr>,
    },
}

/// A value in a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// `Name`: a property (case-sensitive). Besides letters, digits, `_` and
    /// `.`, names may contain `-` and `#`, as Wine's lexer allows.
    Property(String),
    /// `%Name`: an environment variable.
    EnvironmentVariable(String),
    /// `$Name`: the action state of a component.
    ComponentAction(String),
    /// `?Name`: the installed state of a component.
    ComponentInstalled(String),
    /// `&Name`: the action state of a feature.
    FeatureAction(String),
    /// `!Name`: the installed state of a feature.
    FeatureInstalled(String),
    /// An integer literal. Like msi.dll, the text is read as C's `strtol`
    /// would: `1.5` is 1 and out-of-range values saturate.
    Integer(i32),
    /// A quoted string literal (there are no escapes, so it holds no `"`).
    Literal(String),
}

/// A comparison operator such as `>=` or `~<<`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOp {
    /// What the operator tests.
    pub relation: Relation,
    /// Written with a `~` prefix: strings compare without regard to case.
    pub ignore_case: bool,
}

/// What a comparison tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `=`
    Equal,
    /// `<>`
    NotEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `><`: left contains right; for integers, `left & right != 0`.
    Contains,
    /// `<<`: left starts with right; for integers, the high 16 bits of left equal right.
    StartsWith,
    /// `>>`: left ends with right; for integers, the low 16 bits of left equal right.
    EndsWith,
}

/// A binary logical operator. Declared loosest-binding first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalOp {
    /// `IMP`: true unless the left is true and the right false.
    Imp,
    /// `EQV`: true if both sides agree.
    Eqv,
    /// `XOR`: true if exactly one side is true.
    Xor,
    /// `OR`
    Or,
    /// `AND`
    And,
}

impl Expr {
    /// Every comparison in the tree, in source order, for lint rules.
    #[must_use]
    pub fn comparisons(&self) -> Vec<(&Operand, CompareOp, &Operand)> {
        let mut found = Vec::new();
        self.collect_comparisons(&mut found);
        found
    }

    /// Every property the condition reads, in source order (duplicates kept).
    #[must_use]
    pub fn properties(&self) -> Vec<String> {
        let mut found = Vec::new();
        self.collect_properties(&mut found);
        found
    }

    pub(super) fn collect_properties(&self, found: &mut Vec<String>) {
        let mut operand = |operand: &Operand| {
            if let Operand::Property(name) = operand {
                found.push(name.clone());
            }
        };
        match self {
            Expr::Empty => {}
            Expr::Operand(single) => operand(single),
            Expr::Compare { left, right, .. } => {
                operand(left);
                operand(right);
            }
            Expr::Not(inner) => inner.collect_properties(found),
            Expr::Logical { operands, .. } => {
                for inner in operands {
                    inner.collect_properties(found);
                }
            }
        }
    }

    pub(super) fn collect_comparisons<'e>(
        &'e self,
        found: &mut Vec<(&'e Operand, CompareOp, &'e Operand)>,
    ) {
        match self {
            Expr::Empty | Expr::Operand(_) => {}
            Expr::Compare { left, op, right } => found.push((left, *op, right)),
            Expr::Not(inner) => inner.collect_comparisons(found),
            Expr::Logical { operands, .. } => {
                for operand in operands {
                    operand.collect_comparisons(found);
                }
            }
        }
    }

    /// Writes `self` as an operand of `parent` (or of NOT when `parent` is
    /// `None`), parenthesised when it would otherwise bind differently.
    pub(super) fn fmt_within(
        &self,
        f: &mut fmt::Formatter<'_>,
        parent: Option<LogicalOp>,
    ) -> fmt::Result {
        let needs_parens = match self {
            Expr::Logical { op, .. } => {
                parent.is_none_or(|parent| op.binds_no_tighter_than(parent))
            }
            _ => false,
        };
        if needs_parens {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Empty => Ok(()),
            Expr::Operand(operand) => write!(f, "{operand}"),
            Expr::Compare { left, op, right } => write!(f, "{left} {op} {right}"),
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                inner.fmt_within(f, None)
            }
            Expr::Logical { op, operands } => {
                for (index, operand) in operands.iter().enumerate() {
                    if index > 0 {
                        write!(f, " {} ", op.keyword())?;
                    }
                    operand.fmt_within(f, Some(*op))?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Property(name) => f.write_str(name),
            Operand::EnvironmentVariable(name) => write!(f, "%{name}"),
            Operand::ComponentAction(name) => write!(f, "${name}"),
            Operand::ComponentInstalled(name) => write!(f, "?{name}"),
            Operand::FeatureAction(name) => write!(f, "&{name}"),
            Operand::FeatureInstalled(name) => write!(f, "!{name}"),
            Operand::Integer(value) => write!(f, "{value}"),
            Operand::Literal(text) => write!(f, "\"{text}\""),
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ignore_case {
            f.write_str("~")?;
        }
        f.write_str(self.relation.symbol())
    }
}

impl Relation {
    /// Two-character symbols come first so the lexer can take the first prefix match.
    pub(super) const LEXING_ORDER: [Relation; 9] = [
        Relation::LessOrEqual,
        Relation::NotEqual,
        Relation::StartsWith,
        Relation::GreaterOrEqual,
        Relation::Contains,
        Relation::EndsWith,
        Relation::Less,
        Relation::Greater,
        Relation::Equal,
    ];

    pub(super) fn symbol(self) -> &'static str {
        match self {
            Relation::Equal => "=",
            Relation::NotEqual => "<>",
            Relation::Less => "<",
            Relation::LessOrEqual => "<=",
            Relation::Greater => ">",
            Relation::GreaterOrEqual => ">=",
            Relation::Contains => "><",
            Relation::StartsWith => "<<",
            Relation::EndsWith => ">>",
        }
    }

    pub(super) fn is_substring(self) -> bool {
        matches!(
            self,
            Relation::Contains | Relation::StartsWith | Relation::EndsWith
        )
    }

    /// Whether an ordering relation holds for `ordering`; substring relations never do.
    pub(super) fn holds_for_ordering(self, ordering: Ordering) -> bool {
        match self {
            Relation::Equal => ordering == Ordering::Equal,
            Relation::NotEqual => ordering != Ordering::Equal,
            Relation::Less => ordering == Ordering::Less,
            Relation::LessOrEqual => ordering != Ordering::Greater,
            Relation::Greater => ordering == Ordering::Greater,
            Relation::GreaterOrEqual => ordering != Ordering::Less,
            Relation::Contains | Relation::StartsWith | Relation::EndsWith => false,
        }
    }

    pub(super) fn holds_for_integers(self, left: i32, right: i32) -> bool {
        match self {
            Relation::Contains => left & right != 0,
            Relation::StartsWith => (left >> 16) & 0xffff == right,
            Relation::EndsWith => left & 0xffff == right,
            _ => self.holds_for_ordering(left.cmp(&right)),
        }
    }

    /// Compares UTF-16 code units, as msi.dll compares WCHAR strings.
    pub(super) fn holds_for_strings(self, left: &[u16], right: &[u16]) -> bool {
        match self {
            Relation::Contains => {
                right.is_empty() || left.windows(right.len()).any(|window| window == right)
            }
            Relation::StartsWith => left.starts_with(right),
            Relation::EndsWith => left.ends_with(right),
            _ => self.holds_for_ordering(left.cmp(right)),
        }
    }
}

impl LogicalOp {
    /// Loosest-binding first: the parser's precedence levels.
    pub(super) const BY_PRECEDENCE: [LogicalOp; 5] = [
        LogicalOp::Imp,
        LogicalOp::Eqv,
        LogicalOp::Xor,
        LogicalOp::Or,
        LogicalOp::And,
    ];

    pub(super) fn keyword(self) -> &'static str {
        match self {
            LogicalOp::Imp => "IMP",
            LogicalOp::Eqv => "EQV",
            LogicalOp::Xor => "XOR",
            LogicalOp::Or => "OR",
            LogicalOp::And => "AND",
        }
    }

    pub(super) fn binds_no_tighter_than(self, other: LogicalOp) -> bool {
        (self as usize) <= (other as usize)
    }

    pub(super) fn apply(self, left: bool, right: bool) -> bool {
        match self {
            LogicalOp::Imp => !left || right,
            LogicalOp::Eqv => left == right,
            LogicalOp::Xor => left != right,
            LogicalOp::Or => left || right,
            LogicalOp::And => left && right,
        }
    }
}
