// The second half of the figures: arrears and terminations, start-up loans, the
// waiting list (docs/REPORTS.md).

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <wayhome/reports/report.hpp>

namespace wayhome::reports {
namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

ReportTable column(std::string id, std::string title,
                   std::vector<std::pair<std::string, std::int64_t>> figures) {
  ReportTable t{std::move(id), std::move(title), {}, {"count"}, CountGrid({}, false, false)};
  std::vector<std::vector<std::int64_t>> values;
  for (auto& [name, v] : figures) {
    t.rows.push_back(name);
    values.push_back({v});
  }
  t.grid = CountGrid(std::move(values), false, false);
  return t;
}

ReportTable arrears(const std::vector<const Fact*>& all, const Period& p) {
  std::int64_t opened = 0, referred = 0, cleared = 0, missed = 0, terminations = 0, evictions = 0,
               evictionsAfter = 0;
  std::set<std::string> open;  // contracts with an arrears case open
  std::map<std::string, std::vector<std::int64_t>> referralsOf;
  for (const Fact* f : all) {
    if (f->type == "referral.created.v1" && !f->person.empty()) {
      referralsOf[f->person].push_back(f->atMs);
    }
  }
  for (const Fact* f : all) {
    const bool in = p.contains(f->atMs);
    if (f->type == "tenancy.rent_arrears.v1") {
      if (open.insert(f->key).second && in) ++opened;
    } else if (f->type == "tenancy.arrears_cleared.v1") {
      open.erase(f->key);
      if (in) ++cleared;
    } else if (!in) {
      continue;
    } else if (f->type == "referral.created.v1" && f->field("rule_id").starts_with("R5")) {
      ++referred;
    } else if (f->type == "loan.instalment_missed.v1") {
      ++missed;
    } else if (f->type == "tenancy.contract_terminated.v1") {
      ++terminations;
      if (f->field("reason") != "eviction") continue;
      ++evictions;
      const auto& times = referralsOf[f->person];
      if (std::any_of(times.begin(), times.end(), [&](std::int64_t t) { return t < f->atMs; })) {
        ++evictionsAfter;
      }
    }
  }
  return column("arrears", "Arrears, missed instalments, terminations",
                {{"arrears_opened", opened},
                 {"arrears_referred", referred},
                 {"arrears_cleared", cleared},
                 {"instalments_missed", missed},
                 {"terminations", terminations},
                 {"evictions", evictions},
                 {"evictions_after_referral", evictionsAfter}});
}

void loans(const std::vector<const Fact*>& all, const Period& p, Report& out) {
  std::int64_t applied = 0, granted = 0, rejected = 0, disbursed = 0, guidance = 0, amount = 0;
  std::map<std::string, std::string> meetingKind;
  for (const Fact* f : all) {
    if (f->type == "meeting.notice.v1") meetingKind[f->key] = f->field("kind");
    if (!p.contains(f->atMs)) continue;
    if (f->type == "loan.application_submitted.v1") {
      ++applied;
    } else if (f->type == "loan.application_decided.v1") {
      const bool yes = f->field("outcome") == "granted";
      ++(yes ? granted : rejected);
      if (yes && !f->field("amount_nok").empty()) amount += std::stoll(f->field("amount_nok"));
    } else if (f->type == "loan.disbursed.v1") {
      ++disbursed;
    } else if (f->type == "meeting.held.v1" && f->flag("held") &&
               meetingKind[f->key] == "loan_guidance") {
      ++guidance;
    }
  }
  out.tables.push_back(column("loans", "Start-up loans",
                              {{"applied", applied},
                               {"granted", granted},
                               {"rejected", rejected},
                               {"disbursed", disbursed},
                               {"my_own_home_conversations", guidance}}));
  out.statistics.push_back(
      {"loans.granted_nok", "Start-up loans granted, NOK",
       granted < kMinimumBasis ? std::nullopt : std::optional<double>(double(amount)), granted});
}

void waitingList(const std::vector<const Fact*>& all, const Period& p, Report& out) {
  std::map<std::string, const Fact*> approved, allocated;
  std::map<std::string, std::int64_t> firstPlan;
  for (const Fact* f : all) {
    if (f->type == "housing.application_approved.v1") approved.emplace(f->key, f);
    if (f->type == "housing.unit_allocated.v1") allocated.emplace(f->key, f);
    if ((f->type == "care.individual_plan_updated.v1" ||
         f->type == "housing.waiting_plan_recorded.v1") &&
        !f->person.empty()) {
      firstPlan.emplace(f->person, f->atMs);
    }
  }
  // Changes of the list's size per day (by the day's 00:00), to find the highest.
  std::map<std::int64_t, std::int64_t> change;
  std::int64_t nApproved = 0, nAllocated = 0, atStart = 0, atEnd = 0, withoutPlan = 0;
  std::vector<double> waited;
  for (const auto& [id, a] : approved) {
    auto al = allocated.find(id);
    const std::optional<std::int64_t> until =
        al == allocated.end() ? std::nullopt : std::optional<std::int64_t>(al->second->atMs);
    if (p.contains(a->atMs)) ++nApproved;
    if (a->atMs < p.startMs() && (!until || *until >= p.startMs())) ++atStart;
    if (a->atMs < p.endMs() && (!until || *until >= p.endMs())) {
      ++atEnd;
      auto plan = firstPlan.find(a->person);
      if (plan == firstPlan.end() || plan->second >= p.endMs()) ++withoutPlan;
    }
    if (p.contains(a->atMs)) ++change[a->atMs];
    if (until && p.contains(*until)) {
      --change[*until];
      ++nAllocated;
      waited.push_back(std::round(double(*until - a->atMs) / double(kDayMs)));
    }
  }
  // The list as it stood the evening before P lasts through P's first day only when that
  // day changes nothing; otherwise the first day's end is the first level of P.
  const bool firstDayChanges = !change.empty() && change.begin()->first < p.startMs() + kDayMs;
  std::int64_t highest = firstDayChanges ? 0 : atStart, now = atStart;
  for (const auto& [day, delta] : change) {
    now += delta;
    highest = std::max(highest, now);
  }
  out.tables.push_back(column("waiting_list", "Waiting list",
                              {{"approved", nApproved},
                               {"allocated", nAllocated},
                               {"waiting_at_end", atEnd},
                               {"highest", highest},
                               {"without_plan_at_end", withoutPlan}}));
  std::optional<double> med;
  if (static_cast<std::int64_t>(waited.size()) >= kMinimumBasis) {
    std::sort(waited.begin(), waited.end());
    const auto n = waited.size();
    med = n % 2 == 1 ? waited[n / 2] : (waited[n / 2 - 1] + waited[n / 2]) / 2;
  }
  out.statistics.push_back({"waiting_list.median_waiting_days",
                            "Median days on the list before allocation", med,
                            static_cast<std::int64_t>(waited.size())});
}

}  // namespace

void moreFigures(const std::vector<const Fact*>& all, const Period& p, Report& out) {
  out.tables.push_back(arrears(all, p));
  loans(all, p, out);
  waitingList(all, p, out);
}

}  // namespace wayhome::reports
