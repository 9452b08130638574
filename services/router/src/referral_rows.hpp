#pragma once

// A waiting referral as a row: router_pending (waiting for consent) and router_deferred
// (waiting for its day) store a PendingReferral in the same columns, written and read
// here only.

#include <string>
#include <vector>

#include <wayhome/router/rules.hpp>
#include <wayhome/store/state_store.hpp>

#include "list_text.hpp"

namespace wayhome::services::router {

/// The columns of a PendingReferral, in the order bindReferral() and readReferral() use.
inline constexpr const char* kReferralColumns =
    "referral_id, person_ref, from_sector, to_sector, purpose, rule_id, source_event_id, "
    "topic, msg_key, due, data, fields";
/// How many there are.
inline constexpr int kReferralColumnCount = 12;

/// ",a,b,": a list as stored (the commas at both ends let LIKE find a whole item).
inline std::string joinList(const std::vector<std::string>& items) {
  std::string out = ",";
  for (const auto& s : items)
    out += s + ",";
  return out;
}

/// Binds `p` to parameters first .. first + 11.
inline void bindReferral(store::Statement& st, int first, const PendingReferral& p) {
  st.bind(first, p.referralId)
      .bind(first + 1, p.personRef)
      .bind(first + 2, p.fromSector)
      .bind(first + 3, p.toSector)
      .bind(first + 4, p.purpose)
      .bind(first + 5, p.ruleId)
      .bind(first + 6, p.sourceEventId)
      .bind(first + 7, p.topic)
      .bind(first + 8, p.key)
      .bind(first + 9, p.due)
      .bind(first + 10, p.data)
      .bind(first + 11, joinList(p.fields));
}

/// The PendingReferral in result columns first .. first + 11.
inline PendingReferral readReferral(const store::Statement& st, int first) {
  PendingReferral p;
  p.referralId = st.columnText(first);
  p.personRef = st.columnText(first + 1);
  p.fromSector = st.columnText(first + 2);
  p.toSector = st.columnText(first + 3);
  p.purpose = st.columnText(first + 4);
  p.ruleId = st.columnText(first + 5);
  p.sourceEventId = st.columnText(first + 6);
  p.topic = st.columnText(first + 7);
  p.key = st.columnText(first + 8);
  p.due = st.columnText(first + 9);
  p.data = st.columnText(first + 10);
  p.fields = splitList(st.columnText(first + 11));
  return p;
}

}  // namespace wayhome::services::router
