//! Evaluation: a condition answered against an environment the way msi.dll answers it.

use super::*;
use std::borrow::Cow;

/// Parses `condition` and evaluates it; an empty condition is true.
///
/// # Errors
/// A [`ConditionError`] if `condition` is not valid condition syntax.
pub fn evaluate(condition: &str, env: &dyn Environment) -> Result<bool, ConditionError> {
    Ok(parse(condition)?.evaluate(env))
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
}

/// An operand's value. msi.dll treats the three kinds differently when comparing.
pub(super) enum Value<'a> {
    Integer(i32),
    /// A quoted literal, or a component/feature the environment does not know
    /// (Wine reads those as an empty literal).
    Literal(Cow<'a, str>),
    /// A property or environment variable value; unset reads as empty.
    Symbol(Cow<'a, str>),
}

impl<'a> Value<'a> {
    pub(super) fn of(operand: &'a Operand, env: &dyn Environment) -> Value<'a> {
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

    pub(super) fn is_true(&self) -> bool {
        match self {
            Value::Integer(value) => *value != 0,
            Value::Literal(text) | Value::Symbol(text) => !text.is_empty(),
        }
    }
}

pub(super) fn compare_values(left: &Value<'_>, op: CompareOp, right: &Value<'_>) -> bool {
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
pub(super) fn compare_text(left: &str, op: CompareOp, right: &str, involves_symbol: bool) -> bool {
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

pub(super) fn utf16_units(text: &str, fold_case: bool) -> Vec<u16> {
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
pub(super) fn fold_char(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(folded), None) => folded,
        _ => c,
    }
}

/// A property value read as an integer: optional `-`, then only ASCII digits,
/// within 32 bits. Anything else (`"#10"`, `"+1"`, `"0 "`, `""`) is text.
pub(super) fn property_integer(text: &str) -> Option<i32> {
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
pub(super) fn digit_string_value(text: &str) -> Option<i32> {
    let all_digits = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    all_digits.then(|| leading_integer(text))
}

/// C's `strtol` on 32-bit `long`: an optional `-`, the digits that follow, 0
/// if there are none, saturating at the `i32` range.
pub(super) fn leading_integer(text: &str) -> i32 {
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
