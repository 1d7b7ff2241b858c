#include "support/token_channel.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace shmslot::test {

TokenChannel::TokenChannel() {
  if (::pipe(fds_) != 0) std::abort();
}

TokenChannel::~TokenChannel() {
  ::close(fds_[0]);
  ::close(fds_[1]);
}

bool TokenChannel::send(char token) const {
  ssize_t r = 0;
  do {
    r = ::write(fds_[1], &token, 1);
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

char TokenChannel::receive(std::chrono::milliseconds timeout) const {
  pollfd p{fds_[0], POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  char token = 0;
  if (ready != 1 || ::read(fds_[0], &token, 1) != 1) return 0;
  return token;
}

}  // namespace shmslot::test
