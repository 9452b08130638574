#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include <wayhome/bus/topics.hpp>
#include <wayhome/reports/report.hpp>

namespace wayhome::reports {
namespace {

using namespace std::chrono;

constexpr int kFollowUpWindowDays = 30;

// The facts of all time, arranged by what they are about.
struct Index {
  std::map<std::string, const Fact*> signedContracts;
  std::map<std::string, std::vector<const Fact*>> renewals;
  std::map<std::string, const Fact*> terminations;
  std::map<std::string, std::vector<const Fact*>> arrears;  // rent_arrears and cleared
  std::map<std::string, const Fact*> referrals;
  std::map<std::string, const Fact*> acknowledgements;  // the first of each referral
  std::map<std::string, std::vector<std::int64_t>> referralsOfPerson;
  std::map<std::string, const Fact*> meetings;  // the latest notice
  std::vector<const Fact*> held;
  std::map<std::string, const Fact*> approvals, allocations;
  std::map<std::string, std::int64_t> firstPlan;  // person -> time
  std::vector<const Fact*> all;

  // Only facts before `endMs`: a period's figures do not depend on what came after it,
  // so a month is the same in its own report and inside its tertial's.
  Index(const std::vector<Fact>& facts, std::int64_t endMs) {
    for (const auto& f : facts) {
      if (f.atMs >= endMs) continue;
      all.push_back(&f);
      const auto& t = f.type;
      if (t == "tenancy.contract_signed.v1") {
        signedContracts.emplace(f.key, &f);
      } else if (t == "tenancy.contract_renewed.v1") {
        renewals[f.key].push_back(&f);
      } else if (t == "tenancy.contract_terminated.v1") {
        terminations.emplace(f.key, &f);
      } else if (t == "tenancy.rent_arrears.v1" || t == "tenancy.arrears_cleared.v1") {
        arrears[f.key].push_back(&f);
      } else if (t == "referral.created.v1") {
        if (referrals.emplace(f.key, &f).second && !f.person.empty()) {
          referralsOfPerson[f.person].push_back(f.atMs);
        }
      } else if (t == "referral.acknowledged.v1") {
        acknowledgements.emplace(f.key, &f);
      } else if (t == "meeting.notice.v1") {
        meetings[f.key] = &f;
      } else if (t == "meeting.held.v1") {
        held.push_back(&f);
      } else if (t == "housing.application_approved.v1") {
        approvals.emplace(f.key, &f);
      } else if (t == "housing.unit_allocated.v1") {
        allocations.emplace(f.key, &f);
      } else if (t == "care.individual_plan_updated.v1" ||
                 t == "housing.waiting_plan_recorded.v1") {
        if (!f.person.empty()) firstPlan.emplace(f.person, f.atMs);
      }
    }
  }

  [[nodiscard]] std::int64_t countInPeriod(std::string_view type, const Period& p) const {
    return std::count_if(all.begin(), all.end(),
                         [&](const Fact* f) { return f->type == type && p.contains(f->atMs); });
  }
};

ReportTable table(std::string id, std::string title, std::vector<std::string> rows,
                  std::vector<std::string> columns, std::vector<std::vector<std::int64_t>> values,
                  bool totalsRow, bool totalsColumn) {
  const std::size_t width = columns.size();
  ReportTable t{std::move(id), std::move(title), std::move(rows), std::move(columns),
                CountGrid(std::move(values), totalsRow, totalsColumn, width)};
  if (totalsRow) t.rows.emplace_back("total");
  if (totalsColumn) t.columns.emplace_back("total");
  return t;
}

ReportTable column(std::string id, std::string title,
                   std::vector<std::pair<std::string, std::int64_t>> figures) {
  std::vector<std::string> rows;
  std::vector<std::vector<std::int64_t>> values;
  for (auto& [name, v] : figures) {
    rows.push_back(name);
    values.push_back({v});
  }
  return table(std::move(id), std::move(title), std::move(rows), {"count"}, std::move(values),
               false, false);
}

// 00:00 Oslo `n` days after the Oslo day `ms` falls on: not n × 24 h, since a DST change
// may lie between (a window ending on 1 November would end at 23:00 on 31 October).
std::int64_t osloDaysLater(std::int64_t ms, int n) {
  const sys_days d = floor<days>(sys_seconds{seconds{ms / 1000}} + hours(12));
  return osloMidnightMs(d + days(n));
}

// Oslo day `ms` falls on, plus `years` (29 February -> 28 February).
std::int64_t addYears(std::int64_t ms, int years) {  // NOLINT
  const sys_days d = floor<days>(sys_seconds{seconds{ms / 1000}} + hours(12));
  year_month_day ymd{d};
  year_month_day next = (ymd.year() + std::chrono::years{years}) / ymd.month() / ymd.day();
  if (!next.ok()) next = (ymd.year() + std::chrono::years{years}) / ymd.month() / last;
  return osloMidnightMs(sys_days{next});
}

ReportTable tenancies(const Index& ix, const Period& p) {
  std::int64_t n = 0, contact = 0, folder = 0;
  for (const auto& [id, f] : ix.signedContracts) {
    if (!p.contains(f->atMs)) continue;
    ++n;
    contact += f->has("housing_contact_id") ? 1 : 0;
    folder += f->flag("guidance_folder_handed_over") ? 1 : 0;
  }
  return column(
      "tenancies", "Tenancies signed",
      {{"signed", n}, {"with_housing_contact", contact}, {"guidance_folder_handed_over", folder}});
}

// The follow-up (1 or 2 years) a held meeting belongs to, by the nearest due day.
struct FollowUp {
  int year = 0;
  std::int64_t dueMs = 0;
};
std::optional<FollowUp> followUpOf(const Index& ix, const std::string& meetingId) {
  auto m = ix.meetings.find(meetingId);
  if (m == ix.meetings.end() || m->second->field("kind") != "tenancy_follow_up") return {};
  auto c = ix.signedContracts.find(m->second->field("case_id"));
  if (c == ix.signedContracts.end()) return {};
  const auto start = m->second->timeField("start").value_or(c->second->atMs);
  const auto due1 = addYears(c->second->atMs, 1), due2 = addYears(c->second->atMs, 2);
  return std::llabs(start - due1) <= std::llabs(start - due2) ? FollowUp{1, due1}
                                                              : FollowUp{2, due2};
}

ReportTable followUps(const Index& ix, const Period& p) {
  std::vector<std::vector<std::int64_t>> v(2, std::vector<std::int64_t>(4, 0));
  // Held (true) per contract and year: the first time.
  std::map<std::pair<std::string, int>, std::int64_t> heldAt, notHeldAt;
  for (const Fact* h : ix.held) {
    auto fu = followUpOf(ix, h->key);
    if (!fu) continue;
    const auto& contract = ix.meetings.at(h->key)->field("case_id");
    auto& slot = h->flag("held") ? heldAt : notHeldAt;
    slot.emplace(std::make_pair(contract, fu->year), h->atMs);
  }
  for (const auto& [contract, f] : ix.signedContracts) {
    for (int year = 1; year <= 2; ++year) {
      const auto due = addYears(f->atMs, year);
      auto term = ix.terminations.find(contract);
      if (term != ix.terminations.end() && term->second->atMs < due) continue;
      auto& row = v[year - 1];
      if (p.contains(due)) ++row[0];
      const auto windowEnd = osloDaysLater(due, kFollowUpWindowDays + 1);
      auto held = heldAt.find({contract, year});
      if (held != heldAt.end() && p.contains(held->second)) ++row[held->second < windowEnd ? 1 : 2];
      // Not held: marked so, or the window ended without it; the earlier of the two.
      std::optional<std::int64_t> notHeld;
      if (auto nh = notHeldAt.find({contract, year}); nh != notHeldAt.end()) notHeld = nh->second;
      if (held == heldAt.end() || held->second >= windowEnd) {
        notHeld = std::min(notHeld.value_or(windowEnd), windowEnd);
      } else if (notHeld && *notHeld > held->second) {
        notHeld.reset();
      }
      if (notHeld && p.contains(*notHeld)) ++row[3];
    }
  }
  return table("follow_ups", "Follow-up conversations", {"year_1", "year_2"},
               {"due", "held_on_time", "held_late", "not_held"}, std::move(v), true, false);
}

ReportTable renewals(const Index& ix, const Period& p) {
  std::int64_t expiring = 0, renewedBefore = 0, finance = 0;
  for (const auto& [contract, f] : ix.signedContracts) {
    if (!f->flag("fixed_term")) continue;
    auto end = f->timeField("scheduled_end_date");
    auto term = ix.terminations.find(contract);
    // No termination: it runs for ever (as far as expiry goes).
    const std::int64_t ended = term == ix.terminations.end()
                                   ? std::numeric_limits<std::int64_t>::max()
                                   : term->second->atMs;
    std::vector<const Fact*> rs;
    if (auto it = ix.renewals.find(contract); it != ix.renewals.end()) rs = it->second;
    std::size_t next = 0;
    while (end) {
      // The renewals that came before this end move it.
      if (next < rs.size() && rs[next]->atMs < osloDaysLater(*end, 1)) {
        if (p.contains(rs[next]->atMs)) ++renewedBefore;
        end = rs[next]->timeField("new_scheduled_end_date");
        ++next;
        continue;
      }
      if (ended >= *end && p.contains(*end)) ++expiring;
      break;
    }
  }
  for (const auto& [id, r] : ix.referrals) {
    if (p.contains(r->atMs) && r->field("to_sector") == "finance" &&
        r->field("rule_id").starts_with("R2")) {
      ++finance;
    }
  }
  return column("renewals", "Contracts expiring and renewed",
                {{"contracts_expiring", expiring},
                 {"renewed_before_expiry", renewedBefore},
                 {"referred_to_finance", finance}});
}

std::size_t sectorIndex(const std::vector<std::string>& all, const std::string& sector) {
  return static_cast<std::size_t>(std::find(all.begin(), all.end(), sector) - all.begin());
}

double nearestRank(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::optional<double> withheld(const std::vector<double>& v, double value) {
  if (static_cast<std::int64_t>(v.size()) < kMinimumBasis) return std::nullopt;
  return std::round(value * 10) / 10;
}

void referrals(const Index& ix, const Period& p, const std::vector<std::string>& sectors,
               Report& out) {
  std::vector<std::vector<std::int64_t>> v(sectors.size(), std::vector<std::int64_t>(5, 0));
  std::vector<std::vector<double>> hours(sectors.size());
  std::map<std::string, std::vector<std::int64_t>> reasons;
  for (const auto& [id, r] : ix.referrals) {
    const std::size_t s = sectorIndex(sectors, r->field("to_sector"));
    if (s >= sectors.size()) continue;
    auto ack = ix.acknowledgements.find(id);
    const auto due = r->timeField("due_by");
    if (p.contains(r->atMs)) {
      ++v[s][0];
      auto& row = reasons[r->field("reason")];
      row.resize(sectors.size(), 0);
      ++row[s];
    }
    if (ack != ix.acknowledgements.end() && p.contains(ack->second->atMs)) {
      if (due && ack->second->atMs <= *due) ++v[s][1];
      hours[s].push_back(static_cast<double>(ack->second->atMs - r->atMs) / 3600000.0);
    }
    if (due && p.contains(*due) && (ack == ix.acknowledgements.end() || ack->second->atMs > *due)) {
      ++v[s][2];
    }
  }
  for (const Fact* f : ix.all) {
    if (!p.contains(f->atMs)) continue;
    if (f->type == "referral.escalated.v1" || f->type == "referral.closed.v1") {
      const std::string sector = f->type == "referral.escalated.v1" ? f->field("to_sector")
                                 : ix.referrals.contains(f->key)
                                     ? ix.referrals.at(f->key)->field("to_sector")
                                     : std::string();
      const std::size_t s = sectorIndex(sectors, sector);
      if (s < sectors.size()) ++v[s][f->type == "referral.escalated.v1" ? 3 : 4];
    }
  }
  out.tables.push_back(table("referrals", "Referrals per sector", sectors,
                             {"created", "acknowledged_in_time", "overdue", "escalated", "closed"},
                             std::move(v), true, false));
  std::vector<std::string> reasonRows;
  std::vector<std::vector<std::int64_t>> reasonValues;
  for (auto& [reason, row] : reasons) {
    reasonRows.push_back(reason);
    reasonValues.push_back(row);
  }
  out.tables.push_back(table("referral_reasons", "Referrals created per reason and sector",
                             reasonRows, sectors, std::move(reasonValues), true, true));
  for (std::size_t s = 0; s < sectors.size(); ++s) {
    const auto& h = hours[s];
    const auto n = static_cast<std::int64_t>(h.size());
    const std::string base = "acknowledgement_hours." + sectors[s];
    out.statistics.push_back({base + ".median", "Hours to acknowledge, median (" + sectors[s] + ")",
                              h.empty() ? std::nullopt : withheld(h, median(h)), n});
    out.statistics.push_back({base + ".p90",
                              "Hours to acknowledge, 90th percentile (" + sectors[s] + ")",
                              h.empty() ? std::nullopt : withheld(h, nearestRank(h, 0.9)), n});
  }
}

}  // namespace

// Defined in report_more.cpp (the second half of the figures).
void moreFigures(const std::vector<const Fact*>& all, const Period& p, Report& out);

std::optional<Report::Cell> Report::cell(const std::string& tableId, const std::string& row,
                                         const std::string& col) const {
  for (const auto& t : tables) {
    if (t.id != tableId) continue;
    auto r = std::find(t.rows.begin(), t.rows.end(), row);
    auto c = std::find(t.columns.begin(), t.columns.end(), col);
    if (r == t.rows.end() || c == t.columns.end()) return std::nullopt;
    const auto ri = static_cast<std::size_t>(r - t.rows.begin());
    const auto ci = static_cast<std::size_t>(c - t.columns.begin());
    return Cell{t.grid.value(ri, ci), t.grid.mark(ri, ci) == Mark::kShown};
  }
  return std::nullopt;
}

std::optional<std::int64_t> Report::count(const std::string& tableId, const std::string& row,
                                          const std::string& col) const {
  const auto c = cell(tableId, row, col);
  if (!c || !c->shown) return std::nullopt;
  return c->value;
}

Report computeReport(const std::vector<Fact>& facts, const Period& period,
                     const std::vector<std::string>& sectors) {
  const Index ix(facts, period.endMs());
  Report out;
  out.period = period;
  out.tables.push_back(tenancies(ix, period));
  out.tables.push_back(followUps(ix, period));
  out.tables.push_back(renewals(ix, period));
  referrals(ix, period, sectors, out);
  out.tables.push_back(column("consents", "Consent",
                              {{"asked", ix.countInPeriod("referral.consent_needed.v1", period)},
                               {"given", ix.countInPeriod("consent.granted.v1", period)},
                               {"withdrawn", ix.countInPeriod("consent.withdrawn.v1", period)}}));
  moreFigures(ix.all, period, out);
  std::vector<Report> months;
  if (period.kind == Period::Kind::kTertial) {
    for (const auto& m : period.months())
      months.push_back(computeReport(facts, m, sectors));
  }
  suppressLinked(out, months);
  return out;
}

bool additiveFigure(const std::string& table, const std::string& row) {
  return !(table == "waiting_list" &&
           (row == "waiting_at_end" || row == "highest" || row == "without_plan_at_end"));
}

void suppressLinked(Report& report, const std::vector<Report>& months) {
  using Key = std::tuple<std::string, std::string, std::string>;
  LinkedCounts counts;
  std::map<Key, std::size_t> var;
  std::vector<std::vector<std::size_t>> varOf(report.tables.size());
  for (std::size_t ti = 0; ti < report.tables.size(); ++ti) {
    const auto& t = report.tables[ti];
    for (std::size_t r = 0; r < t.grid.rows(); ++r) {
      for (std::size_t c = 0; c < t.grid.columns(); ++c) {
        const Key key{t.id, t.rows[r], t.columns[c]};
        // The totals row of referral_reasons is the created column of referrals: one
        // count, shown or hidden alike in both tables.
        const Key same{"referrals", t.columns[c], "created"};
        const bool alias = t.id == "referral_reasons" && t.rows[r] == "total" &&
                           var.contains(same) && counts.values[var[same]] == t.grid.value(r, c);
        const std::size_t at = alias ? var[same] : counts.add(t.grid.value(r, c));
        var.emplace(key, at);
        varOf[ti].push_back(at);
      }
    }
    for (const auto& line : t.grid.lines()) {
      LinkedCounts::Relation rel;
      for (std::size_t i = 0; i + 1 < line.cells.size(); ++i)
        rel.parts.push_back(varOf[ti][line.cells[i]]);
      rel.total = varOf[ti][line.cells.back()];
      counts.relations.push_back(std::move(rel));
    }
  }
  // A tertial's count is the sum of its months' (a level, such as the waiting list at
  // the end, is not), whose marks were settled in their own reports.
  for (const auto& [key, at] : var) {
    if (months.empty() || !additiveFigure(std::get<0>(key), std::get<1>(key))) continue;
    LinkedCounts::Relation rel;
    rel.total = at;
    for (const auto& m : months) {
      for (const auto& t : m.tables) {
        if (t.id != std::get<0>(key)) continue;
        auto r = std::find(t.rows.begin(), t.rows.end(), std::get<1>(key));
        auto c = std::find(t.columns.begin(), t.columns.end(), std::get<2>(key));
        if (r == t.rows.end() || c == t.columns.end()) continue;
        const auto ri = static_cast<std::size_t>(r - t.rows.begin());
        const auto ci = static_cast<std::size_t>(c - t.columns.begin());
        rel.parts.push_back(counts.add(t.grid.value(ri, ci), t.grid.mark(ri, ci), true));
      }
    }
    counts.relations.push_back(std::move(rel));
  }
  suppress(counts);
  for (std::size_t ti = 0; ti < report.tables.size(); ++ti) {
    auto& g = report.tables[ti].grid;
    for (std::size_t i = 0; i < varOf[ti].size(); ++i)
      g.setMark(i / g.columns(), i % g.columns(), counts.marks[varOf[ti][i]]);
  }
}

}  // namespace wayhome::reports
