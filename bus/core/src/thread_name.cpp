#include <pthread.h>
#include <string>

#include <wayhome/core/thread_name.hpp>

namespace wayhome {

void nameThisThread(std::string_view name) {
  const std::string shortName(name.substr(0, 15));
  pthread_setname_np(pthread_self(), shortName.c_str());
}

}  // namespace wayhome
