#pragma once

// `wayhome report`: a report from the state store, for people and scripts.

#include <ostream>
#include <string>
#include <vector>

namespace wayhome::reports {

/// `wayhome report --period 2027-03|2027-T1 [--format json|csv|html] [--out FILE]
/// [--config FILE]`: renders the report of the period from the service's state store
/// (the config's data_dir; without --config the default one), to stdout or FILE.
/// `wayhome report rebuild [--config FILE]`: reads every topic reports count from what
/// the bus still holds (retention), stores the facts not yet stored (once per event id)
/// and writes the files of every published report again.
/// Returns the exit code: 0 done, 1 the store cannot be read or FILE written, 2 an
/// unusable configuration or targets file, 64 a wrong command line (the message names
/// the option).
int reportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace wayhome::reports
