#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::connectors::gerica {

/// The connector's tables (receipts of answered messages).
[[nodiscard]] const store::ModuleSchema& gericaSchema();

/// The settings of one `gerica` instance (see connectors/gerica/README.md).
struct Settings {
  /// Take messages on POST /api/v1/connectors/gerica/<instance>/messages.
  bool httpEnabled = true;
  /// Take messages from this folder (`*.xml`), moving them to done/ or failed/ and
  /// writing receipts to apprec/. Nothing: no drop folder.
  std::optional<std::filesystem::path> dropFolder;
  std::chrono::milliseconds pollInterval{1000};
  /// A file is taken once its size and time stayed the same this long (a writer that
  /// is not done yet is waited for).
  std::chrono::milliseconds settle{1000};
  /// Files in done/ and failed/ (they hold identity numbers) are deleted this long
  /// after their last change.
  int dropRetentionDays = 30;
  /// Larger messages are refused (HTTP 413, receipt code X03).
  std::size_t maxBodyBytes = 256 * 1024;
  /// Our organisation number: receipts name it, and when set messages must be
  /// addressed to it (receipt code E21).
  std::string receiverOrgId;
  /// Our name in receipts.
  std::string receiverName = "wayhome";
  /// What 503 answers put in Retry-After.
  std::chrono::seconds retryAfter{1};
  /// Receipts older than this are forgotten (a message re-sent later is taken anew;
  /// its event id still makes it a duplicate on the bus side).
  int receiptRetentionDays = 90;
  /// A sender allowed to post over HTTP, authenticated by a signature made with its own
  /// secret (X-Wayhome-Timestamp / X-Wayhome-Signature, as the loan webhook); a message
  /// must name the sender that signed it (MsgHead Sender Ident Id = `herId`).
  struct Sender {
    std::string herId;
    std::string secret;
  };
  /// None: the HTTP intake is unauthenticated, which start-up refuses unless the
  /// service config says insecure_demo (loopback only).
  std::vector<Sender> senders;
  /// Signed requests whose timestamp is further than this from our clock are refused.
  std::chrono::seconds maxClockSkew{300};
};

/// Receipt code of a message whose MsgHead Sender is not the sender that signed it.
inline constexpr std::string_view kWrongSender = "E20";

/// The JSON Schema (draft-04) of the settings.
[[nodiscard]] std::string_view settingsSchema();

/// Reads settings that passed settingsSchema().
/// Errors: throws ConnectorConfigError naming the instance and the key (neither HTTP
/// nor a drop folder).
[[nodiscard]] Settings parseSettings(const std::string& instanceName, std::string_view json);

/// The path a `gerica` instance listens on.
[[nodiscard]] std::string messagesPath(std::string_view instanceName);

/// The `gerica` connector: GERICA/LMP's MsgHead/Dialogmelding XML messages, over HTTP
/// and from a drop folder, each answered with an AppRec receipt, onto cases.gerica
/// (care.*.v1) and consent.events (consent.*.v1).
class GericaConnectorFactory final : public ConnectorFactory {
 public:
  [[nodiscard]] std::string_view type() const override { return "gerica"; }
  [[nodiscard]] std::string_view configSchema() const override { return settingsSchema(); }
  /// Errors: as parseSettings().
  ConnectorPtr create(const std::string& instanceName, std::string_view configJson) const override;
};

}  // namespace wayhome::connectors::gerica
