//! The formats `verify` writes its one report in (`--format`; `--json` is `--format json`).

use super::report::VerifyReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportFormat {
    /// For a terminal: at most 120 columns, a summary line at the end.
    #[default]
    Text,
    /// The JSON document described by docs/schema/verify.schema.json.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// JUnit XML, for CI test dashboards.
    Junit,
    /// A self-contained HTML page with the package × profile matrix.
    Html,
}

/// `report` in `format`.
pub fn render(report: &VerifyReport, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => super::text::render(report),
        ReportFormat::Json => crate::document::to_json(report) + "\n",
        ReportFormat::Sarif => super::sarif::render(report) + "\n",
        ReportFormat::Junit => super::junit::render(report),
        ReportFormat::Html => super::html::render(report),
    }
}
