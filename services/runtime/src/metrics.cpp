#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <wayhome/runtime/metrics.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {
namespace {

bool validName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string labelKey(const Labels& labels) {
  std::string key;
  for (const auto& [k, v] : labels) {
    key += k;
    key += '\x1f';
    key += v;
    key += '\x1e';
  }
  return key;
}

void appendEscaped(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void appendLabels(std::string& out, const Labels& labels, std::string_view extraName = {},
                  std::string_view extraValue = {}) {
  if (labels.empty() && extraName.empty()) return;
  out += '{';
  bool first = true;
  auto one = [&](std::string_view k, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    appendEscaped(out, v);
    out += '"';
  };
  for (const auto& [k, v] : labels)
    one(k, v);
  if (!extraName.empty()) one(extraName, extraValue);
  out += '}';
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void appendHelp(std::string& out, std::string_view name, std::string_view help,
                std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (const char c : help)
    out += c == '\n' ? ' ' : c;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

struct Series {
  Labels labels;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
};

void appendSeries(std::string& out, const std::string& name, const Series& s);

}  // namespace

Histogram::Histogram(std::vector<double> upperBounds)
    : bounds_(std::move(upperBounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upperBounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  s.count = running;
  return s;
}

std::vector<double> latencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

struct Metrics::Family {
  std::string name;
  std::string help;
  std::string type;
  std::map<std::string, Series> series;  // by labelKey
  std::function<std::vector<Sample>()> collect;
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Family& Metrics::family(std::string_view name, std::string_view help, const char* type) {
  if (!validName(name)) throw std::logic_error("invalid metric name '" + std::string(name) + "'");
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto f = std::make_unique<Family>();
    f->name = name;
    f->help = help;
    f->type = type;
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else if (it->second->type != type || it->second->collect) {
    throw std::logic_error("metric '" + std::string(name) + "' is registered as " +
                           it->second->type);
  }
  return *it->second;
}

namespace {

// The metric of one series, made on first use with the series' labels.
template <typename Series, typename T, typename... Args>
T& madeOnce(Series& series, std::unique_ptr<T>& metric, const Labels& labels, Args&&... args) {
  if (!metric) {
    series.labels = labels;
    metric = std::make_unique<T>(std::forward<Args>(args)...);
  }
  return *metric;
}

}  // namespace

Counter& Metrics::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& series = family(name, help, "counter").series[labelKey(labels)];
  return madeOnce(series, series.counter, labels);
}

Gauge& Metrics::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& series = family(name, help, "gauge").series[labelKey(labels)];
  return madeOnce(series, series.gauge, labels);
}

Histogram& Metrics::histogram(std::string_view name, std::string_view help, const Labels& labels,
                              std::vector<double> upperBounds) {
  std::lock_guard lock(mutex_);
  auto& series = family(name, help, "histogram").series[labelKey(labels)];
  return madeOnce(series, series.histogram, labels, std::move(upperBounds));
}

void Metrics::addCollector(std::string name, std::string help, std::string type,
                           std::function<std::vector<Sample>()> collect) {
  if (type != "gauge" && type != "counter") {
    throw std::logic_error("collector '" + name + "': type must be gauge or counter");
  }
  std::lock_guard lock(mutex_);
  if (!validName(name) || families_.contains(name)) {
    throw std::logic_error("metric '" + name + "' is invalid or registered twice");
  }
  auto f = std::make_unique<Family>();
  f->name = name;
  f->help = std::move(help);
  f->type = std::move(type);
  f->collect = std::move(collect);
  families_.emplace(std::move(name), std::move(f));
}

std::string Metrics::render() const {
  // Series are read under the lock; collectors run outside it, since they take locks
  // of their own (and may create series). Families are never removed, so the
  // pointers stay valid.
  std::vector<std::pair<const Family*, std::string>> parts;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, f] : families_) {
      std::string text;
      if (!f->collect) {
        appendHelp(text, name, f->help, f->type);
        for (const auto& [key, s] : f->series)
          appendSeries(text, name, s);
      }
      parts.emplace_back(f.get(), std::move(text));
    }
  }
  std::string out;
  for (auto& [f, text] : parts) {
    if (!f->collect) {
      out += text;
      continue;
    }
    const auto samples = f->collect();
    if (samples.empty()) continue;
    appendHelp(out, f->name, f->help, f->type);
    for (const auto& s : samples) {
      out += f->name;
      appendLabels(out, s.labels);
      out += ' ' + number(s.value) + '\n';
    }
  }
  return out;
}

namespace {

void appendSeries(std::string& out, const std::string& name, const Series& s) {
  if (s.counter || s.gauge) {
    out += name;
    appendLabels(out, s.labels);
    out += ' ' + number(s.counter ? s.counter->value() : s.gauge->value()) + '\n';
    return;
  }
  const auto h = s.histogram->snapshot();
  for (std::size_t i = 0; i <= h.upperBounds.size(); ++i) {
    out += name + "_bucket";
    appendLabels(out, s.labels, "le", i < h.upperBounds.size() ? number(h.upperBounds[i]) : "+Inf");
    out += ' ' + std::to_string(h.cumulative[i]) + '\n';
  }
  out += name + "_sum";
  appendLabels(out, s.labels);
  out += ' ' + number(h.sum) + '\n';
  out += name + "_count";
  appendLabels(out, s.labels);
  out += ' ' + std::to_string(h.count) + '\n';
}

}  // namespace

std::vector<Metrics::Sample> countsInStore(store::StateStore& state, std::string_view sql,
                                           const std::vector<std::string>& labels) {
  std::vector<Metrics::Sample> out;
  state.transaction([&](store::Connection& db) {
    store::Statement st(db, sql);
    const int countColumn = static_cast<int>(labels.size());
    while (st.step()) {
      Metrics::Sample sample;
      for (int i = 0; i < countColumn; ++i)
        sample.labels.emplace_back(labels[static_cast<std::size_t>(i)], st.columnText(i));
      sample.value = static_cast<double>(st.columnInt(countColumn));
      out.push_back(std::move(sample));
    }
  });
  return out;
}

}  // namespace wayhome::services
