#include <map>

#include <wayhome/router/deferral_store.hpp>
#include <wayhome/store/columns.hpp>

#include "referral_rows.hpp"

namespace wayhome::services::router {
namespace {

const std::string kColumns =
    std::string("case_id, series, fire_date, fire_at_ms, reason, housing_contact_id, ") +
    kReferralColumns;

DeferredReferral readRow(store::Statement& st) {
  DeferredReferral d;
  store::readColumns(st, 0, d.caseId, d.series, d.fireDate, d.fireAtMs, d.reason,
                     d.housingContactId);
  d.referral = readReferral(st, 6);
  return d;
}

std::vector<DeferredReferral> select(store::Connection& db, const std::string& where,
                                     const std::function<void(store::Statement&)>& bind) {
  store::Statement st(db, "SELECT " + kColumns + " FROM router_deferred WHERE " + where + ";");
  bind(st);
  std::vector<DeferredReferral> out;
  while (st.step())
    out.push_back(readRow(st));
  return out;
}

void mark(store::Connection& db, const std::vector<DeferredReferral>& rows, const char* state) {
  store::Statement st(db, "UPDATE router_deferred SET state = ? WHERE case_id = ? AND series = ?;");
  for (const auto& d : rows) {
    st.reset();
    st.bind(1, state).bind(2, d.caseId).bind(3, d.series);
    st.run();
  }
}

}  // namespace

std::string StoreDeferralStore::defer(const DeferredReferral& d) {
  std::string replaced;
  {
    store::Statement st(db_,
                        "SELECT referral_id FROM router_deferred WHERE case_id = ? AND series = ? "
                        "AND state = 'waiting';");
    st.bind(1, d.caseId).bind(2, d.series);
    if (st.step()) replaced = st.columnText(0);
  }
  const auto& p = d.referral;
  store::Statement st(
      db_, "INSERT INTO router_deferred(" + kColumns +
               ", state) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting') "
               "ON CONFLICT(case_id, series) DO UPDATE SET fire_date = excluded.fire_date, "
               "fire_at_ms = excluded.fire_at_ms, reason = excluded.reason, "
               "housing_contact_id = excluded.housing_contact_id, "
               "referral_id = excluded.referral_id, person_ref = excluded.person_ref, "
               "from_sector = excluded.from_sector, to_sector = excluded.to_sector, "
               "purpose = excluded.purpose, rule_id = excluded.rule_id, "
               "source_event_id = excluded.source_event_id, topic = excluded.topic, "
               "msg_key = excluded.msg_key, due = excluded.due, data = excluded.data, "
               "fields = excluded.fields, state = 'waiting';");
  st.bind(1, d.caseId)
      .bind(2, d.series)
      .bind(3, d.fireDate)
      .bind(4, d.fireAtMs)
      .bind(5, d.reason)
      .bind(6, d.housingContactId);
  bindReferral(st, 7, p);
  st.run();
  return replaced;
}

std::vector<DeferredReferral> StoreDeferralStore::cancel(const std::string& caseId,
                                                         const std::string& series) {
  auto rows = series.empty()
                  ? select(db_, "case_id = ? AND state = 'waiting' ORDER BY series",
                           [&](store::Statement& st) { st.bind(1, caseId); })
                  : select(db_, "case_id = ? AND series = ? AND state = 'waiting'",
                           [&](store::Statement& st) { st.bind(1, caseId).bind(2, series); });
  mark(db_, rows, "stopped");
  return rows;
}

std::vector<DeferredReferral> StoreDeferralStore::takeDue(std::int64_t nowMs, std::size_t limit) {
  auto rows = select(
      db_,
      "state = 'waiting' AND fire_at_ms <= ? ORDER BY fire_at_ms, case_id, "
      "series LIMIT ?",
      [&](store::Statement& st) { st.bind(1, nowMs).bind(2, static_cast<std::int64_t>(limit)); });
  mark(db_, rows, "made");
  return rows;
}

std::size_t StoreDeferralStore::waiting() {
  store::Statement st(db_, "SELECT COUNT(*) FROM router_deferred WHERE state = 'waiting';");
  return st.step() ? static_cast<std::size_t>(st.columnInt(0)) : 0;
}

namespace {

class MemoryDeferralStore final : public DeferralStore {
 public:
  std::string defer(const DeferredReferral& d) override {
    auto& slot = waiting_[{d.caseId, d.series}];
    std::string replaced = slot.referral.referralId;
    slot = d;
    return replaced;
  }

  std::vector<DeferredReferral> cancel(const std::string& caseId,
                                       const std::string& series) override {
    std::vector<DeferredReferral> out;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->first.first == caseId && (series.empty() || it->first.second == series)) {
        out.push_back(it->second);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

 private:
  std::map<std::pair<std::string, std::string>, DeferredReferral> waiting_;
};

}  // namespace

std::unique_ptr<DeferralStore> memoryDeferralStore() {
  return std::make_unique<MemoryDeferralStore>();
}

std::vector<Decision> makeDueReferrals(StoreDeferralStore& store, const EvalEnv& env,
                                       std::size_t limit) {
  const std::int64_t nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(env.now.time_since_epoch()).count();
  std::vector<Decision> out;
  for (auto& d : store.takeDue(nowMs, limit)) {
    // The topic of today's configuration: a prefix may have changed since the deferral.
    d.referral.topic = env.topics.referrals(d.referral.toSector);
    referNow(d.referral, d.reason, d.housingContactId, env, out);
  }
  return out;
}

}  // namespace wayhome::services::router
