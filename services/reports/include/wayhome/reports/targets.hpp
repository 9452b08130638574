#pragma once

// Targets and budget lines (deploy/config/targets.json, checked against
// services/reports/targets.schema.json) and how a report stands against them.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/core/result.hpp>
#include <wayhome/reports/report.hpp>

namespace wayhome::reports {

/// One target.
struct Target {
  std::string figure;  ///< "table.row.column" or a statistic id
  std::string title;
  enum class Per { kMonth, kTertial, kYear } per = Per::kYear;
  std::optional<int> year;
  double value = 0;
  bool atMost = true;
  bool level = false;  ///< a state at the period's end rather than a count over it
  std::string budgetLine;
};

/// The compiled-in schema of the targets file.
[[nodiscard]] std::string_view targetsSchemaText();

/// Parses a targets file's text.
/// Errors: permanent, with the JSON pointer and keyword of the schema violation, or
/// naming a figure that no report has.
[[nodiscard]] Result<std::vector<Target>> parseTargets(std::string_view text,
                                                       const std::string& origin);
/// Reads and parses a targets file (at most 1 MiB).
/// Errors: as parseTargets(), or the file cannot be read.
[[nodiscard]] Result<std::vector<Target>> loadTargets(const std::filesystem::path& file);

/// A target against a report.
struct TargetStanding {
  const Target* target = nullptr;
  double targetValue = 0;        ///< for this period (pro rata for a yearly flow)
  std::optional<double> actual;  ///< nothing: hidden (small count) or not in the report
  std::string status;            ///< "on_track", "off_track" or "hidden"
};

/// How `report` stands against the targets that apply to its period. `monthsSoFar` are
/// the reports of the months of its year up to its end (for yearly flow targets, which
/// are compared year-to-date and pro rata). A hidden actual, or a year-to-date sum from
/// 1 to 4, is "hidden": its status is not shown either.
[[nodiscard]] std::vector<TargetStanding> standings(const std::vector<Target>& targets,
                                                    const Report& report,
                                                    const std::vector<Report>& monthsSoFar);

/// The value of a figure id in a report; nothing when hidden or unknown.
[[nodiscard]] std::optional<double> figureValue(const Report& report, const std::string& figure);
/// True when some report has the figure (its table, row and column, or a statistic).
[[nodiscard]] bool knownFigure(const std::string& figure);

}  // namespace wayhome::reports
