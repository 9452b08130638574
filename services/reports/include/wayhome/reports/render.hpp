#pragma once

// Renderings of a report: JSON (the API), CSV (spreadsheets), HTML (people, print).
// Hidden cells are written as their mark ("<5", ":"), never as their number.

#include <string>
#include <string_view>

#include <wayhome/core/result.hpp>
#include <wayhome/reports/report.hpp>
#include <wayhome/reports/targets.hpp>

namespace wayhome::reports {

/// The formats of `wayhome report --format`.
enum class Format { kJson, kCsv, kHtml };

/// Parses "json", "csv" or "html".
/// Errors: permanent, naming the format and the choices.
[[nodiscard]] Result<Format> parseFormat(std::string_view text);

/// The MIME type of `format` ("application/json", ...).
[[nodiscard]] const char* contentType(Format format);

/// One JSON object: period, bounds, tables (cells as numbers or marks), statistics,
/// targets.
[[nodiscard]] std::string renderJson(const Report& report,
                                     const std::vector<TargetStanding>& targets = {});
/// "period,table,row,column,value" lines with a header; targets as table "targets".
[[nodiscard]] std::string renderCsv(const Report& report,
                                    const std::vector<TargetStanding>& targets = {});
/// A self-contained HTML page (inline CSS and SVG charts, nothing loaded from
/// elsewhere, print CSS for A4): each table with, per figure, this period beside the
/// one before and the same period a year earlier.
[[nodiscard]] std::string renderHtml(const Report& report, const Report& previous,
                                     const Report& yearBefore,
                                     const std::vector<TargetStanding>& targets = {});

}  // namespace wayhome::reports
