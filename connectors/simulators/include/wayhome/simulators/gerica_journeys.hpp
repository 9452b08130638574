#pragma once

// The GERICA simulator's journeys, as data: the MsgHead/Dialogmelding messages the
// `gerica` simulator sends for one citizen, so that a test can play them without HTTP
// or a drop folder and work out from them what the router and the reports must make.

#include <random>
#include <string>
#include <vector>

namespace wayhome::connectors::gerica {

/// One message of a journey: its MsgId and the XML.
struct SimulatedMessage {
  std::string id;
  std::string xml;
};

/// Who sends and how often consents are withdrawn (the simulator's settings).
struct JourneyOptions {
  std::string senderOrgId = "974600951";
  std::string receiverOrgId;  ///< empty: no Receiver element
  double withdrawRate = 0.1;  ///< share of consenting citizens who withdraw at the end
};

/// Journey `n` of run `run`, one citizen (a synthetic identity number born from 1940):
/// an observed housing need (`HOUSING_NEED`, 30 % urgent, 30 % as a request); 80 % a
/// consent to share it with housing (`CONSENT_GRANTED` `CNS-<run>-<n>`, purpose
/// `housing_need`, 40 % also to nav), of those 60 % a consent for housing follow-up
/// (`CNF-<run>-<n>`, purpose `housing_follow_up`); a service granted (`SERVICE_GRANTED`);
/// 50 % an individual plan (`PLAN_UPDATED`); 20 % the service ended; and, of the
/// consenting, `withdrawRate` withdraw the first consent (`CONSENT_WITHDRAWN`
/// `CNS-<run>-<n>`). The first message is 1–20 days after a day drawn from 5 January
/// 2026 + 0–300 days, each next one 1–20 days after the one before; its `DatoNotat`
/// (`DatoForesp`) is that day at 09:MM or 13:MM +01:00. Deterministic for a seeded `rng`
/// (only `GenDate` is the wall clock's now).
[[nodiscard]] std::vector<SimulatedMessage> gericaJourney(std::mt19937_64& rng,
                                                          const JourneyOptions& options,
                                                          const std::string& run, int n);

}  // namespace wayhome::connectors::gerica
