//! Parser and evaluator for the Windows Installer condition language.
//!
//! Conditions guard launch checks (`LaunchCondition.Condition`), sequence-table
//! actions and components (`Component.Condition`). [`parse`] turns one into an [`Expr`]
//! for static analysis (lint rules walk [`Expr::comparisons`]); [`evaluate`]
//! answers it against an [`Environment`] the way msi.dll would, for
//! verification and install simulation.
//!
//! Semantics follow Microsoft's "Conditional Statement Syntax" page and Wine's
//! `dlls/msi/cond.y` (whose test suite is checked against Windows), with these
//! deliberate differences from Wine:
//! - Logical operators bind as Microsoft documents, tightest first: NOT, AND,
//!   OR, XOR, EQV, IMP. Wine gives OR, XOR, EQV and IMP one shared level.
//! - Tabs and line breaks are whitespace; Wine accepts only spaces.
//! - `~` has no effect on integer comparisons; Wine makes `~<<` and `~>>`
//!   between integers always false.
//! - A property value counts as an integer only if it fits in 32 bits; Wine
//!   wraps larger values around.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// What a condition can read: properties, environment variables, component and feature states.
pub trait Environment {
    /// A property value; `None` and `Some("")` both mean "not set".
    fn property(&self, name: &str) -> Option<String>;
    /// An environment variable (`%NAME`); `None` and `Some("")` both mean "not set".
    fn env_var(&self, name: &str) -> Option<String>;
    /// `(installed, action)` of a component (`?Name`, `$Name`); `None` if there is no such component.
    fn component_state(&self, name: &str) -> Option<(InstallState, InstallState)>;
    /// `(installed, action)` of a feature (`!Name`, `&Name`); `None` if there is no such feature.
    fn feature_state(&self, name: &str) -> Option<(InstallState, InstallState)>;
}

/// An installed or requested state of a component or feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallState {
    /// `INSTALLSTATE_UNKNOWN` (-1): no action, or not known.
    Unknown,
    /// `INSTALLSTATE_ADVERTISED` (1): advertised (features only).
    Advertised,
    /// `INSTALLSTATE_ABSENT` (2): not present.
    Absent,
    /// `INSTALLSTATE_LOCAL` (3): on the local computer.
    Local,
    /// `INSTALLSTATE_SOURCE` (4): run from the source.
    Source,
}

impl InstallState {
    /// The `INSTALLSTATE_*` number that a condition compares against.
    #[must_use]
    pub fn value(self) -> i32 {
        match self {
            InstallState::Unknown => -1,
            InstallState::Advertised => 1,
            InstallState::Absent => 2,
            InstallState::Local => 3,
            InstallState::Source => 4,
        }
    }
}

/// Why a condition could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// What is wrong, e.g. `expected ')' to close the '(' at byte 0, found end of condition`.
    pub message: String,
    /// Byte offset into the condition where the problem was found.
    pub offset: usize,
}

impl ConditionError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        ConditionError {
            message: message.into(),
            offset,
        }
    }
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid condition at byte {}: {}",
            self.offset, self.message
        )
    }
}

impl std::error::Error for ConditionError {}

/// An [`Environment`] backed by plain maps, for tests and the install simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapEnvironment {
    /// Property values by case-sensitive name.
    pub properties: BTreeMap<String, String>,
    /// Environment variables; looked up ignoring ASCII case, as on Windows.
    pub env: BTreeMap<String, String>,
    /// `(installed, action)` states by component name.
    pub components: BTreeMap<String, (InstallState, InstallState)>,
    /// `(installed, action)` states by feature name.
    pub features: BTreeMap<String, (InstallState, InstallState)>,
}

impl Environment for MapEnvironment {
    fn property(&self, name: &str) -> Option<String> {
        self.properties.get(name).cloned()
    }

    /// Windows environment variable names ignore case; an exact match wins.
    fn env_var(&self, name: &str) -> Option<String> {
        self.env
            .get(name)
            .or_else(|| {
                self.env
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value)
            })
            .cloned()
    }

    fn component_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.components.get(name).copied()
    }

    fn feature_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.features.get(name).copied()
    }
}

/// Parses `condition` and evaluates it; an empty condition is true.
///
/// # Errors
/// A [`ConditionError`] if `condition` is not valid condition syntax.
pub fn evaluate(condition: &str, env: &dyn Environment) -> Result<bool, ConditionError> {
    Ok(parse(condition)?.evaluate(env))
}

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

// ---------------------------------------------------------------------------
// Syntax tree
// ---------------------------------------------------------------------------

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
    /// Evaluates an already parsed condition.
    #[must_use]
    pub fn evaluate(&self, env: &dyn Environment) -> bool {
        match self {
            Expr::Empty => true,
            Expr::Operand(operand) => Value::of(operand, env).is_true(),
            Expr::Compare { left, op, right } => {
                compare_values(&Value::of(left, env), *op, &Value::of(right, env))
            }
            Expr::Not(inner) => !inner.evaluate(env),
            Expr::Logical { op, operands } => operands
                .iter()
                .map(|operand| operand.evaluate(env))
                .reduce(|left, right| op.apply(left, right))
                .unwrap_or(false),
        }
    }

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

    fn collect_properties(&self, found: &mut Vec<String>) {
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

    fn collect_comparisons<'e>(&'e self, found: &mut Vec<(&'e Operand, CompareOp, &'e Operand)>) {
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
    fn fmt_within(&self, f: &mut fmt::Formatter<'_>, parent: Option<LogicalOp>) -> fmt::Result {
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
    const LEXING_ORDER: [Relation; 9] = [
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

    fn symbol(self) -> &'static str {
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

    fn is_substring(self) -> bool {
        matches!(
            self,
            Relation::Contains | Relation::StartsWith | Relation::EndsWith
        )
    }

    /// Whether an ordering relation holds for `ordering`; substring relations never do.
    fn holds_for_ordering(self, ordering: Ordering) -> bool {
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

    fn holds_for_integers(self, left: i32, right: i32) -> bool {
        match self {
            Relation::Contains => left & right != 0,
            Relation::StartsWith => (left >> 16) & 0xffff == right,
            Relation::EndsWith => left & 0xffff == right,
            _ => self.holds_for_ordering(left.cmp(&right)),
        }
    }

    /// Compares UTF-16 code units, as msi.dll compares WCHAR strings.
    fn holds_for_strings(self, left: &[u16], right: &[u16]) -> bool {
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
    const BY_PRECEDENCE: [LogicalOp; 5] = [
        LogicalOp::Imp,
        LogicalOp::Eqv,
        LogicalOp::Xor,
        LogicalOp::Or,
        LogicalOp::And,
    ];

    fn keyword(self) -> &'static str {
        match self {
            LogicalOp::Imp => "IMP",
            LogicalOp::Eqv => "EQV",
            LogicalOp::Xor => "XOR",
            LogicalOp::Or => "OR",
            LogicalOp::And => "AND",
        }
    }

    fn binds_no_tighter_than(self, other: LogicalOp) -> bool {
        (self as usize) <= (other as usize)
    }

    fn apply(self, left: bool, right: bool) -> bool {
        match self {
            LogicalOp::Imp => !left || right,
            LogicalOp::Eqv => left == right,
            LogicalOp::Xor => left != right,
            LogicalOp::Or => left || right,
            LogicalOp::And => left && right,
        }
    }
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

/// An operand's value. msi.dll treats the three kinds differently when comparing.
enum Value<'a> {
    Integer(i32),
    /// A quoted literal, or a component/feature the environment does not know
    /// (Wine reads those as an empty literal).
    Literal(Cow<'a, str>),
    /// A property or environment variable value; unset reads as empty.
    Symbol(Cow<'a, str>),
}

impl<'a> Value<'a> {
    fn of(operand: &'a Operand, env: &dyn Environment) -> Value<'a> {
        let symbol = |value: Option<String>| Value::Symbol(Cow::Owned(value.unwrap_or_default()));
        let state = |state: Option<InstallState>| match state {
            Some(state) => Value::Integer(state.value()),
            None => Value::Literal(Cow::Borrowed("")),
        };
        match operand {
            Operand::Property(name) => symbol(env.property(name)),
            Operand::EnvironmentVariable(name) => symbol(env.env_var(name)),
            Operand::ComponentAction(name) => {
                state(env.component_state(name).map(|(_, action)| action))
            }
            Operand::ComponentInstalled(name) => {
                state(env.component_state(name).map(|(installed, _)| installed))
            }
            Operand::FeatureAction(name) => {
                state(env.feature_state(name).map(|(_, action)| action))
            }
            Operand::FeatureInstalled(name) => {
                state(env.feature_state(name).map(|(installed, _)| installed))
            }
            Operand::Integer(value) => Value::Integer(*value),
            Operand::Literal(text) => Value::Literal(Cow::Borrowed(text)),
        }
    }

    fn is_true(&self) -> bool {
        match self {
            Value::Integer(value) => *value != 0,
            Value::Literal(text) | Value::Symbol(text) => !text.is_empty(),
        }
    }
}

fn compare_values(left: &Value<'_>, op: CompareOp, right: &Value<'_>) -> bool {
    // An integer never matches text that is not a number, so only `<>` holds.
    let mismatch = op.relation == Relation::NotEqual;
    match (left, right) {
        (Value::Integer(left), Value::Integer(right)) => {
            op.relation.holds_for_integers(*left, *right)
        }
        (Value::Symbol(text), Value::Integer(right)) => property_integer(text)
            .map_or(mismatch, |left| {
                op.relation.holds_for_integers(left, *right)
            }),
        (Value::Integer(left), Value::Symbol(text)) => property_integer(text)
            .map_or(mismatch, |right| {
                op.relation.holds_for_integers(*left, right)
            }),
        (Value::Integer(_), Value::Literal(_)) | (Value::Literal(_), Value::Integer(_)) => mismatch,
        (
            Value::Literal(left_text) | Value::Symbol(left_text),
            Value::Literal(right_text) | Value::Symbol(right_text),
        ) => {
            let involves_symbol =
                matches!(left, Value::Symbol(_)) || matches!(right, Value::Symbol(_));
            compare_text(left_text, op, right_text, involves_symbol)
        }
    }
}

/// msi.dll's string comparison. Digit-only strings compare as numbers when a
/// property is involved (two literals always compare as text) and always for
/// substring operators, which then act bitwise as on integers.
fn compare_text(left: &str, op: CompareOp, right: &str, involves_symbol: bool) -> bool {
    let relation = op.relation;
    if relation.is_substring() {
        // Windows: an empty left side contains nothing; an empty right side is in everything.
        if left.is_empty() {
            return false;
        }
        if right.is_empty() {
            return true;
        }
    }
    match digit_string_value(left).zip(digit_string_value(right)) {
        Some((left, right)) if relation.is_substring() || involves_symbol => {
            relation.holds_for_integers(left, right)
        }
        _ => relation.holds_for_strings(
            &utf16_units(left, op.ignore_case),
            &utf16_units(right, op.ignore_case),
        ),
    }
}

fn utf16_units(text: &str, fold_case: bool) -> Vec<u16> {
    if fold_case {
        text.chars()
            .map(fold_char)
            .collect::<String>()
            .encode_utf16()
            .collect()
    } else {
        text.encode_utf16().collect()
    }
}

/// Simple (one-to-one) lower-casing, like Windows' `towlower`.
fn fold_char(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(folded), None) => folded,
        _ => c,
    }
}

/// A property value read as an integer: optional `-`, then only ASCII digits,
/// within 32 bits. Anything else (`"#10"`, `"+1"`, `"0 "`, `""`) is text.
fn property_integer(text: &str) -> Option<i32> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().try_fold(0i64, |acc, digit| {
        acc.checked_mul(10)?.checked_add(i64::from(digit - b'0'))
    })?;
    i32::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// The value of a non-empty all-digit string (no sign), saturating like `strtol`.
fn digit_string_value(text: &str) -> Option<i32> {
    let all_digits = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    all_digits.then(|| leading_integer(text))
}

/// C's `strtol` on 32-bit `long`: an optional `-`, the digits that follow, 0
/// if there are none, saturating at the `i32` range.
fn leading_integer(text: &str) -> i32 {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let limit = i64::from(i32::MAX) + 1;
    let magnitude = rest
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |acc, digit| {
            (acc * 10 + i64::from(digit - b'0')).min(limit)
        });
    let signed = if negative { -magnitude } else { magnitude };
    i32::try_from(signed).unwrap_or(if negative { i32::MIN } else { i32::MAX })
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
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
enum Sigil {
    EnvironmentVariable,
    ComponentAction,
    ComponentInstalled,
    FeatureAction,
    FeatureInstalled,
}

impl Sigil {
    fn from_byte(byte: u8) -> Option<Sigil> {
        match byte {
            b'%' => Some(Sigil::EnvironmentVariable),
            b'$' => Some(Sigil::ComponentAction),
            b'?' => Some(Sigil::ComponentInstalled),
            b'&' => Some(Sigil::FeatureAction),
            b'!' => Some(Sigil::FeatureInstalled),
            _ => None,
        }
    }

    fn operand(self, name: String) -> Operand {
        match self {
            Sigil::EnvironmentVariable => Operand::EnvironmentVariable(name),
            Sigil::ComponentAction => Operand::ComponentAction(name),
            Sigil::ComponentInstalled => Operand::ComponentInstalled(name),
            Sigil::FeatureAction => Operand::FeatureAction(name),
            Sigil::FeatureInstalled => Operand::FeatureInstalled(name),
        }
    }

    fn target(self) -> &'static str {
        match self {
            Sigil::EnvironmentVariable => "an environment variable name",
            Sigil::ComponentAction | Sigil::ComponentInstalled => "a component name",
            Sigil::FeatureAction | Sigil::FeatureInstalled => "a feature name",
        }
    }
}

/// A token and its byte span in the condition.
#[derive(Debug, Clone, Copy)]
struct Token {
    kind: TokenKind,
    start: usize,
    end: usize,
}

fn is_identifier_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_identifier_part(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'#')
}

/// Wine's number token: digits, `-` and `.`; its value is read like `strtol`.
fn is_number_part(byte: u8) -> bool {
    byte.is_ascii_digit() || matches!(byte, b'-' | b'.')
}

fn tokenize(source: &str) -> Result<Vec<Token>, ConditionError> {
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
fn lex_compare_op(text: &str) -> Option<(CompareOp, usize)> {
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
fn keyword_kind(word: &str) -> TokenKind {
    if word.eq_ignore_ascii_case("NOT") {
        return TokenKind::Not;
    }
    LogicalOp::BY_PRECEDENCE
        .into_iter()
        .find(|op| word.eq_ignore_ascii_case(op.keyword()))
        .map_or(TokenKind::Identifier, TokenKind::Logical)
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

/// Parentheses and NOTs deeper than this are rejected, so hostile input cannot
/// overflow the stack (no real condition comes close).
const MAX_NESTING: usize = 64;

/// Recursive descent over the token list:
///
/// ```text
/// logical(level) := logical(level + 1) { OP[level] logical(level + 1) }   (IMP, EQV, XOR, OR, AND)
/// not            := NOT not | primary
/// primary        := "(" logical(0) ")" | operand [ compare-op operand ]
/// operand        := name | sigil name | number | "literal"
/// ```
struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    position: usize,
    nesting: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.position).copied()
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self.peek();
        if token.is_some() {
            self.position += 1;
        }
        token
    }

    fn advance_if(&mut self, kind: TokenKind) -> Option<Token> {
        self.peek()
            .filter(|token| token.kind == kind)
            .inspect(|_| self.position += 1)
    }

    fn text(&self, token: Token) -> &'a str {
        &self.source[token.start..token.end]
    }

    fn error_at(&self, token: Option<Token>, message: impl Into<String>) -> ConditionError {
        ConditionError::new(
            token.map_or(self.source.len(), |token| token.start),
            message,
        )
    }

    fn unexpected(&self, token: Option<Token>, expected: &str) -> ConditionError {
        let found = token.map_or_else(
            || "end of condition".to_string(),
            |token| format!("'{}'", self.text(token)),
        );
        self.error_at(token, format!("expected {expected}, found {found}"))
    }

    /// Runs `parse` one nesting level deeper, refusing to go past [`MAX_NESTING`].
    fn nested<T>(
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

    fn parse_logical(&mut self, level: usize) -> Result<Expr, ConditionError> {
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

    fn parse_not(&mut self) -> Result<Expr, ConditionError> {
        match self.advance_if(TokenKind::Not) {
            Some(not) => self.nested(not, |parser| Ok(Expr::Not(Box::new(parser.parse_not()?)))),
            None => self.parse_primary(),
        }
    }

    fn parse_primary(&mut self) -> Result<Expr, ConditionError> {
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

    fn parse_operand(&mut self) -> Result<Operand, ConditionError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    type Properties = &'static [(&'static str, &'static str)];

    fn environment(properties: Properties) -> MapEnvironment {
        MapEnvironment {
            properties: properties
                .iter()
                .map(|&(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            ..MapEnvironment::default()
        }
    }

    /// Components, features and environment variables for [`STATE_CASES`].
    fn installer_environment() -> MapEnvironment {
        use InstallState::*;
        let states = |entries: &[(&str, (InstallState, InstallState))]| {
            entries
                .iter()
                .map(|&(name, state)| (name.to_string(), state))
                .collect()
        };
        MapEnvironment {
            properties: BTreeMap::new(),
            env: [
                ("PROCESSOR_ARCHITECTURE", "AMD64"),
                ("NUMBER_OF_PROCESSORS", "8"),
            ]
            .iter()
            .map(|&(name, value)| (name.to_string(), value.to_string()))
            .collect(),
            components: states(&[("CompNew", (Absent, Local)), ("CompKeep", (Local, Unknown))]),
            features: states(&[("Feature", (Absent, Local)), ("FeatOld", (Local, Absent))]),
        }
    }

    /// (condition, properties, expected). Cases marked "Windows" come from
    /// Wine's msi test suite, which is checked against real Windows.
    const CASES: &[(&str, Properties, bool)] = &[
        // Empty conditions.
        ("", &[], true),
        ("   ", &[], true),
        ("\t\r\n ", &[], true),
        // Bare operands.
        ("Installed", &[], false),
        ("Installed", &[("Installed", "1")], true),
        ("Installed", &[("Installed", "")], false),
        ("Installed", &[("Installed", "0")], true),
        ("installed", &[("Installed", "1")], false),
        ("1", &[], true),
        ("0", &[], false),
        ("-1", &[], true),
        ("\"0\"", &[], true),
        ("\"\"", &[], false),
        // NOT.
        ("NOT Installed", &[], true),
        ("not Installed", &[("Installed", "1")], false),
        ("NOT NOT A", &[("A", "x")], true),
        ("not 0", &[], true),
        ("not \"A\"", &[], false),
        // Integer literals (Windows).
        ("0 = 0", &[], true),
        ("0 <> 0", &[], false),
        ("0 = 1", &[], false),
        ("0 > 1", &[], false),
        ("0 ~> 1", &[], false),
        ("1 > 1", &[], false),
        ("1 >= 1", &[], true),
        ("1 ~>= 1", &[], true),
        ("0 < 1", &[], true),
        ("0 ~< 1", &[], true),
        ("1 < 1", &[], false),
        ("1 <= 1", &[], true),
        ("1 ~<= 1", &[], true),
        (" 1 ~= 1 ", &[], true),
        ("-5 < 3", &[], true),
        ("3 >< 1", &[], true),
        ("3 >< 4", &[], false),
        // Bitwise `<<` / `>>`: high and low 16 bits; `~` changes nothing.
        ("196613 << 3", &[], true),
        ("196613 << 5", &[], false),
        ("196613 >> 5", &[], true),
        ("196613 ~>> 5", &[], true),
        ("196613 ~<< 3", &[], true),
        // Number tokens are read like strtol.
        ("1.5 = 1", &[], true),
        ("99999999999 = 2147483647", &[], true),
        // Two literals always compare as text (Windows).
        (" \"A\" < \"B\" ", &[], true),
        (" \"A\" > \"B\" ", &[], false),
        (" \"1\" > \"12\" ", &[], false),
        (" \"100\" < \"21\" ", &[], true),
        ("\"02.1\" < \"2.11\"", &[], true),
        ("\"2\" < \"1.1\"", &[], false),
        (" \"A\" = \"a\" ", &[], false),
        (" \"A\" ~= \"a\" ", &[], true),
        ("\"ASFD\" >< \"S\" ", &[], true),
        ("\"ASFD\" ~>< \"s\" ", &[], true),
        ("\"ASFD\" ~>< \"\" ", &[], true),
        ("\"ASFD\" ~>< \"sss\" ", &[], false),
        // Text order is by UTF-16 code unit: a surrogate pair sorts below U+FFFD.
        ("\"\u{1F600}\" < \"\u{FFFD}\"", &[], true),
        ("\"\u{C4}RGER\" ~= \"\u{E4}rger\"", &[], true),
        // Integer against literal: only `<>` holds (Windows).
        (" \"A\" ~= 1 ", &[], false),
        (" \"A\" = 1 ", &[], false),
        (" 1 ~= \"1\" ", &[], false),
        (" 1 = \"1\" ", &[], false),
        (" 1 <> \"1\" ", &[], true),
        (" 0 < \"100\" ", &[], false),
        (" 100 > \"0\" ", &[], false),
        ("0 = \"\"", &[], false),
        ("0 AND \"\"", &[], false),
        ("1 AND \"\"", &[], false),
        ("1 AND \"1\"", &[], true),
        // Property against integer (Windows).
        ("mm = 5", &[("mm", "5")], true),
        ("mm < 6", &[("mm", "5")], true),
        ("mm <= 5", &[("mm", "5")], true),
        ("mm > 4", &[("mm", "5")], true),
        ("mm < 12", &[("mm", "5")], true),
        ("mm = \"5\"", &[("mm", "5")], true),
        ("bandalmael=0", &[], false),
        ("bandalmael<>0", &[], true),
        ("bandalmael<0", &[], false),
        ("bandalmael>0", &[], false),
        ("bandalmael>=0", &[], false),
        ("bandalmael<=0", &[], false),
        ("bandalmael~<>0", &[], true),
        ("bandalmael=0", &[("bandalmael", "0")], true),
        ("bandalmael=0", &[("bandalmael", "")], false),
        ("bandalmael=0", &[("bandalmael", "asdf")], false),
        ("bandalmael=0", &[("bandalmael", "0asdf")], false),
        ("bandalmael=0", &[("bandalmael", "0 ")], false),
        ("bandalmael=0", &[("bandalmael", "-0")], true),
        ("bandalmael=0", &[("bandalmael", "0000000000000")], true),
        ("bandalmael=0", &[("bandalmael", "--0")], false),
        ("bandalmael=0", &[("bandalmael", "0x00")], false),
        ("bandalmael=0", &[("bandalmael", "-")], false),
        ("bandalmael=0", &[("bandalmael", "+0")], false),
        ("bandalmael=0", &[("bandalmael", "0.0")], false),
        ("bandalmael<>0", &[("bandalmael", "0.0")], true),
        ("P = -7", &[("P", "-7")], true),
        ("P = 0", &[("P", "4294967296")], false),
        ("P = 2147483647", &[("P", "2147483647")], true),
        // Property against text: digit-only strings compare as numbers (Windows).
        ("2 <= X", &[("X", "50")], true),
        ("A <= X", &[("A", "2"), ("X", "50")], true),
        ("A <= 50", &[("A", "2")], true),
        ("2 <= X", &[("X", "50val")], false),
        ("A <= X", &[("A", "2"), ("X", "50val")], true),
        ("A <= X", &[("A", "7"), ("X", "50val")], false),
        ("one < \"1\"", &[("one", "1")], false),
        ("P < \"9\"", &[("P", "10")], false),
        ("\"10\" < \"9\"", &[], true),
        ("P > \"-2\"", &[("P", "-1")], false),
        ("LicView <> \"1\"", &[], true),
        ("LicView <> LicView", &[], false),
        ("Installed<>\"\"", &[], false),
        (
            "X =\"5.0\" or X =\"5.1\" or X =\"6.0\"",
            &[("X", "5.0")],
            true,
        ),
        // An unset property is empty text (Windows).
        ("MsiNetAssemblySupport < \"1.1.4322\"", &[], true),
        ("MsiNetAssemblySupport > \"1.1.4322\"", &[], false),
        ("MsiNetAssemblySupport >= \"1.1.4322\"", &[], false),
        ("MsiNetAssemblySupport <= \"1.1.4322\"", &[], true),
        ("MsiNetAssemblySupport <> \"1.1.4322\"", &[], true),
        ("MsiNetAssemblySupport ~< \"1.1.4322\"", &[], true),
        ("MsiNetAssemblySupport < \"A\"", &[], true),
        (
            "MsiNetAssemblySupport < \"1.1.4322\"",
            &[("MsiNetAssemblySupport", "1.1.4322")],
            false,
        ),
        (
            "MsiNetAssemblySupport < \"1.1.14322\"",
            &[("MsiNetAssemblySupport", "1.1.4322")],
            false,
        ),
        (
            "MsiNetAssemblySupport < \"1.1.5\"",
            &[("MsiNetAssemblySupport", "1.1.4322")],
            true,
        ),
        (
            "MsiNetAssemblySupport < \"1\"",
            &[("MsiNetAssemblySupport", "1.1.4322")],
            false,
        ),
        // Substring operators on properties (Windows).
        ("one >< two", &[("one", "hi"), ("two", "hithere")], false),
        ("one >< two", &[("one", "hithere"), ("two", "hi")], true),
        ("one >< two", &[("one", "hello"), ("two", "hi")], false),
        (
            "one >< two",
            &[("one", "hellohithere"), ("two", "hi")],
            true,
        ),
        ("one >< two", &[("one", ""), ("two", "hi")], false),
        ("one >< two", &[("one", "hi"), ("two", "")], true),
        ("one >< two", &[], false),
        ("one >< two", &[("one", "1234"), ("two", "1")], false),
        ("one >< two", &[("one", "one 1234"), ("two", "1")], true),
        ("one << two", &[("one", "hithere"), ("two", "hi")], true),
        ("one << two", &[("one", "hi"), ("two", "hithere")], false),
        ("one << two", &[("one", "hi"), ("two", "hi")], true),
        (
            "one << two",
            &[("one", "abcdhithere"), ("two", "hi")],
            false,
        ),
        ("one << two", &[("one", ""), ("two", "hi")], false),
        ("one << two", &[("one", "hithere"), ("two", "")], true),
        ("one << two", &[], false),
        ("one << two", &[("one", "1234"), ("two", "1")], false),
        ("one << two", &[("one", "1234 one"), ("two", "1")], true),
        ("one >> two", &[("one", "hithere"), ("two", "there")], true),
        ("one >> two", &[("one", "hithere"), ("two", "hi")], false),
        ("one >> two", &[("one", "there"), ("two", "hithere")], false),
        ("one >> two", &[("one", "there"), ("two", "there")], true),
        ("one >> two", &[("one", ""), ("two", "there")], false),
        ("one >> two", &[("one", "there"), ("two", "")], true),
        ("one >> two", &[], false),
        ("one >> two", &[("one", "1234"), ("two", "4")], false),
        ("one >> two", &[("one", "one 1234"), ("two", "4")], true),
        // Case-insensitive operators.
        ("REMOVE~=\"ALL\"", &[("REMOVE", "All")], true),
        ("REMOVE=\"ALL\"", &[("REMOVE", "All")], false),
        ("REMOVE~=\"ALL\"", &[], false),
        ("P ~<< \"core\"", &[("P", "CoreN")], true),
        ("P ~>> \"N\"", &[("P", "coren")], true),
        ("P ~<> \"X\"", &[("P", "x")], false),
        ("P ~>< \"ORE\"", &[("P", "CoreN")], true),
        // Logical operators (Windows).
        ("1 and 2", &[], true),
        ("not 0 and 3", &[], true),
        ("not 0 and 0", &[], false),
        ("not 0 or 1", &[], true),
        ("(0)", &[], false),
        ("(((((1)))))", &[], true),
        ("1 XOR 1", &[], false),
        ("1 XOR 0", &[], true),
        ("1 IMP 1", &[], true),
        ("1 IMP 0", &[], false),
        ("0 IMP 0", &[], true),
        ("0 EQV 0", &[], true),
        ("0 EQV 1", &[], false),
        ("1 IMP 1 OR 0", &[], true),
        ("NOT 0 AND 0", &[], false),
        ("NOT 0 AND 1", &[], true),
        ("NOT 1 OR 0", &[], false),
        ("0 AND 1 OR 1", &[], true),
        ("0 AND 0 OR 1", &[], true),
        ("NOT 0 AND 1 OR 0", &[], true),
        ("NOT 1 AND 0", &[], false),
        ("_1 = _1", &[], true),
        ("NOT ( 1 AND 1 )", &[], false),
        (
            "NOT A AND (BBBBBBBBBB=2 OR CCC=1) AND Ddddddddd",
            &[],
            false,
        ),
        // Keywords ignore case; documented precedence; left grouping.
        ("1 Or 0", &[], true),
        ("NoT 0", &[], true),
        ("0 xor 1", &[], true),
        ("1 eqv 1", &[], true),
        ("1 iMp 0", &[], false),
        ("1 XOR 1 OR 1", &[], false),
        ("0 IMP 1 XOR 1", &[], true),
        ("0 IMP 0 IMP 0", &[], false),
        ("1 OR 0 AND 0", &[], true),
        ("NOT A = \"x\"", &[("A", "x")], false),
        // Names: `.`, `-` and `#` continue a name; no spaces needed around operators.
        ("My.Prop = \"x\"", &[("My.Prop", "x")], true),
        ("A-B", &[("A-B", "1")], true),
        ("A=\"x\"AND B", &[("A", "x"), ("B", "1")], true),
        ("ORDER", &[("ORDER", "1")], true),
        // Real-world conditions.
        ("Installed OR VersionNT64", &[("VersionNT64", "603")], true),
        ("Installed OR VersionNT64", &[], false),
        (
            "Installed OR VersionNT64",
            &[("Installed", "00:00:00")],
            true,
        ),
        ("NOT Installed", &[("Installed", "00:00:00")], false),
        ("WINMAJOR = \"#10\"", &[("WINMAJOR", "#10")], true),
        ("WINMAJOR = 10", &[("WINMAJOR", "#10")], false),
        ("WINMAJOR <> 10", &[("WINMAJOR", "#10")], true),
        ("WINBUILD >= 22000", &[("WINBUILD", "22631")], true),
        ("WINBUILD >= 22000", &[("WINBUILD", "19045")], false),
        (
            "Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND WINBUILD < 22000)",
            &[("WINMAJOR", "#10"), ("WINBUILD", "19045")],
            true,
        ),
        (
            "Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND WINBUILD < 22000)",
            &[("WINMAJOR", "#10"), ("WINBUILD", "22631")],
            false,
        ),
        (
            "Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND WINBUILD < 22000)",
            &[("Installed", "1"), ("WINMAJOR", "#6"), ("WINBUILD", "9600")],
            true,
        ),
        ("VersionNT >= 1000", &[("VersionNT", "1000")], true),
        ("VersionNT >= 1000", &[("VersionNT", "603")], false),
        ("VersionNT>=600", &[("VersionNT", "603")], true),
        ("NOT UPGRADINGPRODUCTCODE", &[], true),
        (
            "NOT UPGRADINGPRODUCTCODE",
            &[(
                "UPGRADINGPRODUCTCODE",
                "{8A1F6E2B-0000-0000-0000-000000000000}",
            )],
            false,
        ),
        (
            "Installed OR MsiNTProductType = 1",
            &[("MsiNTProductType", "1")],
            true,
        ),
        (
            "Installed OR MsiNTProductType = 1",
            &[("MsiNTProductType", "3")],
            false,
        ),
        (
            "NOT (WINEDITION << \"Core\")",
            &[("WINEDITION", "CoreN")],
            false,
        ),
        (
            "NOT (WINEDITION << \"Core\")",
            &[("WINEDITION", "Professional")],
            true,
        ),
        ("NOT (WINEDITION << \"Core\")", &[], true),
        (
            "REMOVE=\"ALL\" AND NOT UPGRADINGPRODUCTCODE",
            &[("REMOVE", "ALL")],
            true,
        ),
        ("ALLUSERS = 1 OR Privileged", &[("ALLUSERS", "1")], true),
    ];

    /// (condition, expected) against [`installer_environment`].
    const STATE_CASES: &[(&str, bool)] = &[
        ("$CompNew = 3", true),
        ("?CompNew = 2", true),
        ("$CompKeep = -1", true),
        ("?CompKeep = 3", true),
        ("$CompKeep", true),
        ("$CompNew > ?CompNew", true),
        ("$CompNew = \"3\"", false),
        ("$ CompNew = 3", true),
        ("&Feature = 3", true),
        ("!Feature = 2", true),
        ("(&Feature = 3) AND NOT (!Feature = 3)", true),
        ("&FeatOld = 2", true),
        ("!FeatOld = 3", true),
        ("(&FeatOld = 3) AND NOT (!FeatOld = 3)", false),
        ("&Feature = 3 AND $CompNew = 3", true),
        // Unknown components and features read as an empty literal (Windows: `&nofeature` is false).
        ("&nofeature", false),
        ("$Missing", false),
        ("$Missing = 3", false),
        ("$Missing <> 3", true),
        ("!nofeature = \"\"", true),
        ("?Missing = -1", false),
        // Environment variables: names ignore case, unset is empty.
        ("%PROCESSOR_ARCHITECTURE = \"AMD64\"", true),
        ("%processor_architecture = \"AMD64\"", true),
        ("%NUMBER_OF_PROCESSORS > 4", true),
        ("%NUMBER_OF_PROCESSORS >= \"16\"", false),
        ("%UNSET", false),
        ("%UNSET = \"\"", true),
        ("NOT %UNSET", true),
    ];

    /// (condition, byte offset, part of the message).
    const ERRORS: &[(&str, usize, &str)] = &[
        ("(", 1, "found end of condition"),
        ("(A", 2, "')' to close the '(' at byte 0"),
        ("((A)", 4, "')' to close the '(' at byte 0"),
        ("(A B)", 3, "')' to close"),
        ("A)", 1, "')' has no matching '('"),
        ("(((((1))))))", 11, "no matching"),
        ("\"abc", 0, "unterminated string"),
        ("A = \"abc", 4, "unterminated string"),
        ("\"2\" < \"1.1", 6, "unterminated string"),
        (
            "A B",
            2,
            "expected AND, OR, XOR, EQV, IMP or end of condition, found 'B'",
        ),
        ("1 IMPL 1", 2, "found 'IMPL'"),
        ("A = B = C", 6, "found '='"),
        ("A = B C", 6, "found 'C'"),
        ("(1<<1) == 2", 7, "found '='"),
        ("( 1 AND 1 ) = 2", 12, "found '='"),
        (
            "A =",
            3,
            "expected a property, number or \"string\", found end of condition",
        ),
        ("= A", 0, "expected a property"),
        ("0 < > 0", 4, "found '>'"),
        ("AND", 0, "found 'AND'"),
        ("A AND", 5, "end of condition"),
        ("A OR OR B", 5, "found 'OR'"),
        ("NOT", 3, "end of condition"),
        ("()", 1, "found ')'"),
        ("$", 1, "a component name after '$'"),
        ("$1", 1, "a component name after '$', found '1'"),
        ("?NOT", 1, "a component name after '?'"),
        ("%", 1, "an environment variable name after '%'"),
        ("&", 1, "a feature name after '&'"),
        ("!(A)", 1, "a feature name after '!'"),
        ("X != \"\"", 2, "found '!'"),
        (
            " \"A\" ~ = \"a\" ",
            5,
            "'~' must be followed by a comparison operator",
        ),
        ("~not \"A\"", 0, "'~' must be followed"),
        ("A @ B", 2, "unexpected character '@'"),
        ("A = \u{E9}", 4, "unexpected character '\u{E9}'"),
        ("A = 'x'", 4, "unexpected character '''"),
        ("[ProductName]", 0, "unexpected character '['"),
    ];

    /// Pairs that must parse to the same tree: precedence made explicit.
    const SAME_TREE: &[(&str, &str)] = &[
        ("A OR B AND C", "A OR (B AND C)"),
        ("A AND B OR C", "(A AND B) OR C"),
        ("NOT A AND B", "(NOT A) AND B"),
        ("NOT A = B", "NOT (A = B)"),
        ("A XOR B OR C", "A XOR (B OR C)"),
        ("A EQV B XOR C", "A EQV (B XOR C)"),
        ("A IMP B EQV C", "A IMP (B EQV C)"),
        ("A OR B IMP C AND D", "(A OR B) IMP (C AND D)"),
        ("a and b", "a AND b"),
        ("A<>\"x\"", "A <> \"x\""),
    ];

    fn check_all<T>(cases: &[T], failure: impl Fn(&T) -> Option<String>) {
        let failures: Vec<String> = cases.iter().filter_map(failure).collect();
        assert!(
            failures.is_empty(),
            "{} failing case(s):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn evaluates_property_conditions() {
        check_all(CASES, |&(condition, properties, expected)| {
            match evaluate(condition, &environment(properties)) {
                Ok(actual) if actual == expected => None,
                result => Some(format!(
                    "{condition:?} with {properties:?}: expected {expected}, got {result:?}"
                )),
            }
        });
    }

    #[test]
    fn evaluates_states_and_environment_variables() {
        let env = installer_environment();
        check_all(STATE_CASES, |&(condition, expected)| {
            match evaluate(condition, &env) {
                Ok(actual) if actual == expected => None,
                result => Some(format!(
                    "{condition:?}: expected {expected}, got {result:?}"
                )),
            }
        });
    }

    #[test]
    fn reports_errors_with_offsets() {
        check_all(ERRORS, |&(condition, offset, fragment)| {
            match evaluate(condition, &MapEnvironment::default()) {
                Err(error) if error.offset == offset && error.message.contains(fragment) => None,
                result => Some(format!(
                    "{condition:?}: expected error at {offset} containing {fragment:?}, got {result:?}"
                )),
            }
        });
    }

    #[test]
    fn precedence_matches_explicit_parentheses() {
        check_all(SAME_TREE, |&(implicit, explicit)| {
            let (implicit_tree, explicit_tree) = (parse(implicit), parse(explicit));
            (implicit_tree != explicit_tree).then(|| {
                format!(
                    "{implicit:?} parsed as {implicit_tree:?}, {explicit:?} as {explicit_tree:?}"
                )
            })
        });
    }

    #[test]
    fn display_round_trips() {
        let conditions = CASES
            .iter()
            .map(|case| case.0)
            .chain(STATE_CASES.iter().map(|case| case.0));
        for condition in conditions {
            let Ok(expr) = parse(condition) else { continue };
            let printed = expr.to_string();
            assert_eq!(
                parse(&printed),
                Ok(expr),
                "{condition:?} printed as {printed:?}"
            );
        }
    }

    #[test]
    fn display_is_canonical() {
        let expr = parse("a ~>= \"x\" or not (b and c) imp (d imp e) and $C<>-1").unwrap();
        assert_eq!(
            expr.to_string(),
            "a ~>= \"x\" OR NOT (b AND c) IMP (d IMP e) AND $C <> -1"
        );
    }

    #[test]
    fn parses_into_public_tree() {
        let expected = Expr::Not(Box::new(Expr::Compare {
            left: Operand::Property("WINEDITION".to_string()),
            op: CompareOp {
                relation: Relation::StartsWith,
                ignore_case: false,
            },
            right: Operand::Literal("Core".to_string()),
        }));
        assert_eq!(parse("NOT (WINEDITION << \"Core\")"), Ok(expected));
        assert_eq!(parse("  "), Ok(Expr::Empty));
        let chain = parse("A OR B OR %C").unwrap();
        let Expr::Logical {
            op: LogicalOp::Or,
            operands,
        } = chain
        else {
            panic!("expected an OR chain, got {chain:?}");
        };
        assert_eq!(operands.len(), 3);
        assert_eq!(
            operands[2],
            Expr::Operand(Operand::EnvironmentVariable("C".to_string()))
        );
    }

    #[test]
    fn lists_comparisons_for_lint_rules() {
        let expr = parse(
            "Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND NOT WINBUILD ~< 22000)",
        )
        .unwrap();
        let listed: Vec<String> = expr
            .comparisons()
            .into_iter()
            .map(|(left, op, right)| format!("{left} {op} {right}"))
            .collect();
        assert_eq!(
            listed,
            [
                "WINMAJOR = \"#10\"",
                "WINBUILD >= 17134",
                "WINBUILD ~< 22000"
            ]
        );

        let version_check = parse("VersionNT >= 1000").unwrap();
        let found = version_check
            .comparisons()
            .into_iter()
            .any(|(left, op, right)| {
                *left == Operand::Property("VersionNT".to_string())
                    && op.relation == Relation::GreaterOrEqual
                    && *right == Operand::Integer(1000)
            });
        assert!(found);
        assert!(parse("Installed").unwrap().comparisons().is_empty());
    }

    #[test]
    fn parsed_condition_can_be_reused() {
        let expr = parse("&Feature = 3 AND NOT Installed").unwrap();
        let mut env = installer_environment();
        assert!(expr.evaluate(&env));
        env.properties
            .insert("Installed".to_string(), "1".to_string());
        assert!(!expr.evaluate(&env));
    }

    #[test]
    fn error_display_names_offset() {
        let error = parse("A = ").unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("invalid condition at byte 4: {}", error.message)
        );
    }

    #[test]
    fn install_state_values() {
        let values = [
            InstallState::Unknown,
            InstallState::Advertised,
            InstallState::Absent,
            InstallState::Local,
            InstallState::Source,
        ]
        .map(InstallState::value);
        assert_eq!(values, [-1, 1, 2, 3, 4]);
    }

    #[test]
    fn rejects_excessive_nesting_without_overflowing() {
        let deep_parens = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep_parens).unwrap_err().message.contains("nest"));
        let deep_not = format!("{}1", "NOT ".repeat(10_000));
        assert!(parse(&deep_not).is_err());
        let within_limit = format!("{}1{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(
            evaluate(&within_limit, &MapEnvironment::default()),
            Ok(true)
        );
        // Long flat chains build one node, not a deep tree.
        let long_chain = format!("{}A", "A AND ".repeat(50_000));
        assert_eq!(evaluate(&long_chain, &environment(&[("A", "1")])), Ok(true));
    }

    #[test]
    fn mangled_conditions_never_panic() {
        let long = "Installed OR (WINMAJOR = \"#10\" AND %WINBUILD >= 17134 AND $C~<>-1) \
                    XOR NOT (&F = 3 IMP !F ~>< \"\u{E9}t\u{E9}\") EQV ?C << 2 OR P >> \"x\"";
        let env = installer_environment();
        let boundaries: Vec<usize> = long
            .char_indices()
            .map(|(index, _)| index)
            .chain([long.len()])
            .collect();
        let mut mangled: Vec<String> = Vec::new();
        for (position, &start) in boundaries.iter().enumerate() {
            mangled.push(long[..start].to_string());
            mangled.push(long[start..].to_string());
            if let Some(&next) = boundaries.get(position + 1) {
                mangled.push(format!("{}{}", &long[..start], &long[next..]));
                mangled.push(format!("{}\"{}", &long[..start], &long[start..]));
                mangled.push(format!("{}({}", &long[..start], &long[start..]));
            }
        }
        mangled.extend(
            [
                "~", "~~", "<<<", "\"", "\"\"\"", "$", "-", "--", ".", "#", "%%", "((", "))", ")(",
                "NOT NOT", "\u{0}", "\u{FEFF}",
            ]
            .map(String::from),
        );
        for condition in &mangled {
            if let Err(error) = evaluate(condition, &env) {
                assert!(error.offset <= condition.len(), "{condition:?}: {error}");
                assert!(!error.message.is_empty());
            }
        }
    }
}
