#include "kafka_handles.hpp"

#include <mutex>
#include <set>

#include <wayhome/core/log.hpp>

namespace wayhome::bus::detail {
namespace {

void logCallback(const rd_kafka_t* rk, int level, const char* facility, const char* buf) {
  const char* component = static_cast<const char*>(rd_kafka_opaque(rk));
  const std::string c = component != nullptr ? component : "kafka";
  const log::Level lvl = level <= 3   ? log::Level::Error
                         : level == 4 ? log::Level::Warn
                         : level <= 6 ? log::Level::Info
                                      : log::Level::Debug;
  log::write(lvl, c, buf, {{"facility", facility}, {"client", rd_kafka_name(rk)}});
}

void errorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  const char* component = static_cast<const char*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  // Transport errors come and go while brokers restart; they are warnings.
  const bool fatal = code == RD_KAFKA_RESP_ERR__FATAL;
  log::write(fatal ? log::Level::Error : log::Level::Warn, component ? component : "kafka", reason,
             {{"error", rd_kafka_err2name(code)}, {"client", rd_kafka_name(rk)}});
}

}  // namespace

ConfPtr makeConf(const ClientProperties& props, const std::string& component) {
  ConfPtr conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      throw BusError("bus client property '" + key + "': " + err);
    }
  }
  // The opaque carries the component name for the log; it must outlive the client,
  // so it points at an interned string.
  static std::mutex internMutex;
  static std::set<std::string> interned;
  const char* name = nullptr;
  {
    std::lock_guard lock(internMutex);
    name = interned.insert(component).first->c_str();
  }
  rd_kafka_conf_set_opaque(conf.get(), const_cast<char*>(name));  // NOLINT
  rd_kafka_conf_set_log_cb(conf.get(), logCallback);
  rd_kafka_conf_set_error_cb(conf.get(), errorCallback);
  return conf;
}

KafkaPtr makeClient(rd_kafka_type_t type, ConfPtr conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (rk == nullptr) throw BusError(std::string("cannot create Kafka client: ") + err);
  (void)conf.release();  // rd_kafka_new took it.
  return KafkaPtr(rk);
}

}  // namespace wayhome::bus::detail
