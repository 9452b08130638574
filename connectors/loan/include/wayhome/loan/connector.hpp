#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <wayhome/connectors/connector.hpp>

namespace wayhome::connectors::loan {

/// The `loan` connector: signed JSON webhooks from the start-up loan system
/// (Husbanken's Startskudd flow and the external loan administrator), posted to
/// /api/v1/connectors/loan/<instance>/events, onto cases.loan as loan.*.v1.
class LoanConnectorFactory final : public ConnectorFactory {
 public:
  [[nodiscard]] std::string_view type() const override { return "loan"; }
  [[nodiscard]] std::string_view configSchema() const override;
  /// Errors: throws ConnectorConfigError for an unusable secret.
  ConnectorPtr create(const std::string& instanceName, std::string_view configJson) const override;
};

/// The path a `loan` instance listens on.
[[nodiscard]] std::string loanWebhookPath(std::string_view instanceName);

}  // namespace wayhome::connectors::loan
