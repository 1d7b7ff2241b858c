// The configurations a peer program runs, in the order it runs them, and their JSON.
//
// shmslot runs beside every peer: each repetition runs, size by size, the peer's configuration and
// then shmslot's (ping-pong: copy/busy and loan/busy/full; stream: loan, 1 reader busy), plus one
// raw cache-line ping-pong per repetition. Both so see the same state of the VM, whose cross-core
// latency and memory bandwidth change several times over between phases a minute apart, and the
// ratios against the peers are taken from these pairs. Those runs use shmslot_bench_pingpong's and
// shmslot_bench_stream's own routines.
#pragma once

#include <nlohmann/json.hpp>

#include "bench_machine.hpp"
#include "peer_channel.hpp"
#include "peer_main.hpp"

namespace shmslot::bench::peers {

/// {"pingpong": the peer's results, "reference": shmslot's and the cache line's beside them}, each
/// result with the fields of shmslot_bench_pingpong's JSON (plus "path" for the peer).
nlohmann::json pingpong_matrix(const PeerSpec& spec, const PeerOptions& o, const CpuPair& cpus);

/// {"stream": the peer's results (sent, received, lost, ...), "reference": shmslot's beside them}.
nlohmann::json stream_matrix(const PeerSpec& spec, const PeerOptions& o, const CpuPair& cpus);

}  // namespace shmslot::bench::peers
