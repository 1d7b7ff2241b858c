// The part every peer program shares: options, the run (peer_matrix.hpp), the tables on stdout and
// the JSON record (the same fields as shmslot_bench_pingpong's and _stream's, plus the transport
// path that really ran and, for streams, the samples lost).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "peer_channel.hpp"

namespace shmslot::bench::peers {

struct PeerOptions {
  std::vector<std::size_t> sizes{64, 4096, 65536, 1048576};  ///< ping-pong payload sizes
  std::vector<std::size_t> stream_sizes{64, 65536, 1048576};
  std::uint64_t roundtrips = 20000;
  std::uint64_t warmup = 1000;
  double max_seconds = 0.5;
  int repetitions = 1;
  double stream_seconds = 0.5;
  int stream_repetitions = 1;
  double settle_seconds = 0.3;
  bool no_pingpong = false;
  bool no_stream = false;
  bool no_reference = false;  ///< skip shmslot's runs beside the peer's (peer_matrix.hpp)
  std::string json;
};

/// Adds the shared options to a peer program's command line.
void add_peer_options(CLI::App& app, PeerOptions& o);

/// Runs the matrices for `spec`, prints the tables, writes the JSON. 0 when every configuration
/// ran and verified, 1 otherwise (the failures are in the JSON either way).
int run_peer(const PeerSpec& spec, const PeerOptions& o, int argc, char** argv);

}  // namespace shmslot::bench::peers
