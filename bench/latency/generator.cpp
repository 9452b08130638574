// The end-to-end latency benchmark's load generator: signed loan `instalment_missed`
// webhooks at a steady, open-loop rate (event i is due at start + i/rate, whatever the
// answers before it did), and a reader of the finance sector's referral topic. For each
// accepted event: the time of its 202 and the time its referral (found by
// `source_event_id`) was read back.
//
//   wayhome_bench_latency PORT BOOTSTRAP TOPIC SECRET RATE SECONDS [CONNECTIONS]
//
// Prints one JSON object on stdout: counts, the latency from 202 to referral read
// (p50/p99/p99.9/max ms), the latency of the 202 measured from each request's due
// time (so a stalled server is not hidden by a generator that waits), and how many
// requests left late. Exit 1 when a request failed or a referral never came.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/runtime/asio.hpp>

namespace {

using namespace wayhome;
using namespace wayhome::services::net;
using Clock = std::chrono::steady_clock;

struct Sent {
  Clock::time_point due;
  Clock::time_point accepted;
  std::string eventId;
  int status = 0;
  std::string problem;  // what went wrong when status is not 202
};

std::string body(const std::string& id, std::size_t i) {
  // Synthetic (Tenor) identity numbers; fewer than 60 days overdue: a finance referral
  // only (R9-finance), no consent question.
  static const char* const kNins[] = {"15838510075", "55838510069", "15708510057", "15458510072",
                                      "29828410081"};
  return R"({"id":")" + id +
         R"(","type":"instalment_missed","occurred_at":"2026-09-01T10:15:00Z",)"
         R"("data":{"national_identity_number":")" +
         kNins[i % 5] + R"(","loan_id":"L-)" + id + R"(","days_overdue":)" +
         std::to_string(10 + i % 40) + R"(,"amount_nok":8400,"due_date":"2026-08-01"}})";
}

std::string acceptedId(const std::string& answer) {
  rapidjson::Document d;
  d.Parse(answer.c_str());
  if (!d.IsObject() || !d.HasMember("event_ids") || !d["event_ids"].IsArray() ||
      d["event_ids"].Empty() || !d["event_ids"][0].IsString()) {
    return {};
  }
  return d["event_ids"][0].GetString();
}

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::string stats(std::vector<double> v) {
  char buf[200];
  std::snprintf(buf, sizeof buf, R"({"n":%zu,"p50":%.3f,"p99":%.3f,"p999":%.3f,"max":%.3f})",
                v.size(), quantile(v, 0.5), quantile(v, 0.99), quantile(v, 0.999),
                v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
  return buf;
}

struct Args {
  std::string port, bootstrap, topic, secret;
  double rate = 0;
  double seconds = 0;
  int connections = 16;
};

// One keep-alive connection per thread; each takes the next due request in turn.
void sender(const Args& a, Clock::time_point start, std::atomic<std::size_t>& next,
            std::vector<Sent>& sent, const std::string& runId) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  const auto endpoints = resolver.resolve("127.0.0.1", a.port);
  stream.connect(endpoints);
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  beast::flat_buffer buffer;
  for (std::size_t i = next++; i < sent.size(); i = next++) {
    auto& s = sent[i];
    s.due = start + std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 * i / a.rate));
    std::this_thread::sleep_until(s.due);
    const std::string id = runId + "-" + std::to_string(i);
    http::request<http::string_body> req{http::verb::post, "/api/v1/connectors/loan/loan/events",
                                         11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = body(id, i);
    req.set("X-Wayhome-Timestamp", timestamp);
    req.set("X-Wayhome-Signature", crypto::webhookSignature(a.secret, timestamp, req.body()));
    req.prepare_payload();
    beast::error_code ec;
    http::write(stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(stream, buffer, res, ec);
    s.accepted = Clock::now();
    s.status = ec ? -1 : static_cast<int>(res.result_int());
    if (s.status == 202) s.eventId = acceptedId(res.body());
    if (s.status != 202) s.problem = ec ? ec.message() : res.body().substr(0, 200);
    if (ec || !res.keep_alive()) {
      beast::error_code ignored;
      stream.socket().close(ignored);
      stream.connect(endpoints);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::cerr << "usage: wayhome_bench_latency PORT BOOTSTRAP TOPIC SECRET RATE SECONDS "
                 "[CONNECTIONS]\n";
    return 64;
  }
  Args a{argv[1], argv[2], argv[3], argv[4], std::stod(argv[5]), std::stod(argv[6])};
  if (argc > 7) a.connections = std::stoi(argv[7]);
  const auto total = static_cast<std::size_t>(a.rate * a.seconds);
  try {
    bus::Consumer reader({{"bootstrap.servers", a.bootstrap}, {"fetch.wait.max.ms", "5"}},
                         {.groupId = "bench-latency-reader"});
    bus::Producer probe({{"bootstrap.servers", a.bootstrap}}, {.name = "bench-latency-probe"});
    const auto partitions = probe.partitionCount(a.topic, std::chrono::seconds(10));
    if (!partitions) throw std::runtime_error(a.topic + ": " + partitions.error().message);
    std::vector<std::int32_t> all;
    for (std::int32_t p = 0; p < partitions.value(); ++p)
      all.push_back(p);
    // From the start: only the ids this run sent are looked up.
    reader.assign(a.topic, all, true);

    std::mutex mutex;
    std::unordered_map<std::string, Clock::time_point> readAt;
    Worker readerThread;
    readerThread.start("bench-reader", [&](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        for (auto& r : reader.poll(std::chrono::milliseconds(5))) {
          const auto now = Clock::now();
          rapidjson::Document d;
          d.Parse(r.value.c_str());
          if (!d.IsObject() || !d.HasMember("source_event_id") ||
              !d["source_event_id"].IsString()) {
            continue;
          }
          std::lock_guard lock(mutex);
          readAt.emplace(d["source_event_id"].GetString(), now);
        }
      }
    });

    std::vector<Sent> sent(total);
    std::atomic<std::size_t> next{0};
    // Unique per run (two runs may start within one second: a reused id would be a
    // duplicate, answered 202 without a new referral), in letters: the connector
    // refuses ids holding an 11-digit run (it could be an identity number).
    std::string runId = "lat-";
    for (auto n = static_cast<std::uint64_t>(
                      std::chrono::system_clock::now().time_since_epoch().count()) ^
                  (static_cast<std::uint64_t>(::getpid()) << 40U);
         n > 0; n /= 26)
      runId += static_cast<char>('a' + n % 26);
    const auto start = Clock::now() + std::chrono::milliseconds(200);
    std::vector<std::thread> senders;
    for (int c = 0; c < a.connections; ++c)
      senders.emplace_back([&] { sender(a, start, next, sent, runId); });
    for (auto& t : senders)
      t.join();
    const auto sendEnd = Clock::now();

    std::size_t accepted = 0;
    for (const auto& s : sent)
      accepted += s.status == 202 ? 1 : 0;
    // Wait for the referrals of every accepted event (at most 30 s after the last one).
    for (;;) {
      std::size_t found = 0;
      {
        std::lock_guard lock(mutex);
        for (const auto& s : sent)
          found += (s.status == 202 && readAt.contains(s.eventId)) ? 1 : 0;
      }
      if (found == accepted || Clock::now() - sendEnd > std::chrono::seconds(30)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    readerThread.stop();

    std::vector<double> endToEnd, intake;
    std::size_t late = 0, missing = 0, failed = 0;
    for (const auto& s : sent) {
      intake.push_back(ms(s.accepted - s.due));
      if (s.status != 202) {
        if (failed++ == 0) std::cerr << "first failure: " << s.status << " " << s.problem << "\n";
        continue;
      }
      const auto it = readAt.find(s.eventId);
      if (it == readAt.end()) {
        ++missing;
        continue;
      }
      endToEnd.push_back(ms(it->second - s.accepted));
      if (ms(s.accepted - s.due) > 10) ++late;
    }
    const double span = std::chrono::duration<double>(sendEnd - start).count();
    std::cout << R"({"rate":)" << a.rate << R"(,"seconds":)" << a.seconds << R"(,"connections":)"
              << a.connections << R"(,"sent":)" << total << R"(,"achieved_rate":)"
              << (span > 0 ? static_cast<double>(total) / span : 0) << R"(,"accepted":)" << accepted
              << R"(,"failed":)" << failed << R"(,"missing_referrals":)" << missing
              << R"(,"answered_after_10ms":)" << late << R"(,"webhook_to_referral_ms":)"
              << stats(endToEnd) << R"(,"due_to_202_ms":)" << stats(intake) << "}\n";
    return failed == 0 && missing == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
