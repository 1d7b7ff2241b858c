#include "bench_pingpong.hpp"

namespace shmslot::bench {

const char* to_string(PingSystem s) {
  switch (s) {
    case PingSystem::Shmslot: return "shmslot";
    case PingSystem::CacheLine: return "raw_cacheline";
    case PingSystem::Futex: return "raw_futex";
    case PingSystem::Pipe: return "pipe";
    case PingSystem::SocketPair: return "unix_socketpair";
    case PingSystem::ShmRing: return "raw_shm_ring";
  }
  return "?";
}
const char* to_string(Api a) { return a == Api::Copy ? "copy" : "loan"; }
const char* to_string(Wait w) { return w == Wait::Busy ? "busy" : "futex"; }
const char* to_string(Payload p) { return p == Payload::Full ? "full" : "stamp"; }

bool has_payload(PingSystem s) { return s != PingSystem::CacheLine && s != PingSystem::Futex; }

std::string system_label(const PingPongConfig& c) {
  switch (c.system) {
    case PingSystem::Shmslot: {
      std::string l = std::string("shmslot ") + to_string(c.api) + "/" + to_string(c.wait);
      if (c.api == Api::Loan) l += std::string("/") + to_string(c.payload);
      return l;
    }
    case PingSystem::CacheLine: return "raw cache line";
    case PingSystem::Futex: return "raw futex";
    case PingSystem::Pipe: return "pipe";
    case PingSystem::SocketPair: return "unix socketpair";
    case PingSystem::ShmRing: return "raw shm ring";
  }
  return "?";
}

}  // namespace shmslot::bench
