// shmslot_bench_stream: lossless streaming throughput from one writer process to reader processes.
//
// Method. The parent is the writer, pinned to one CPU; the readers are forked children pinned to
// the other CPU (all of them on it; when only one CPU is usable the output says so). The writer
// writes as fast as the readers let it for `--seconds`, then one end marker. shmslot: one
// PosixSlotAllocator segment of `--slots` slots; every reader is in the writer's active mask, so
// nothing may be lost: a writer that finds no free slot waits (spins, or sleeps in wait_for_change
// when blocking). Configurations: 1 reader busy-polling next_unread_slot, and 4 readers blocking in
// wait_for_change (futex), at 64 B, 64 KiB and 1 MiB; --api copy (commit_slot + read_slot_into)
// and loan (memcpy into slot_data_ptr + commit_in_place; readers pin with slot_read_ptr and read
// one word of every 64-byte line in place instead of copying).
// Each sample carries its index at both ends of the payload; each reader checks every index arrives
// once, in order, intact, and the protocol's sequence number matches (count + sequence = lossless).
// Throughput = samples sent / (writer start .. the last reader's end marker); GB/s = payload bytes
// delivered to one reader per second (1e9). Floors in the same run: a raw shm SPSC ring (memcpy in,
// memcpy out, spinning, same slot count and size) at every size ("raw memcpy stream" at 64 KiB and
// 1 MiB), and, for context, one core doing the same two memcpys per sample without a second core.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_json.hpp"
#include "stream.hpp"

namespace {

using namespace shmslot::bench;

constexpr const char* kMethod =
    "Writer = parent process pinned to one CPU; readers = forked children pinned to the other CPU. The "
    "writer streams for --seconds then sends an end marker; shmslot readers are all in the writer's "
    "active mask (lossless: a writer without a free slot waits). 1 reader busy-polling, 4 readers "
    "blocking in an announced futex wait (wait_until), sleeping at once and, as a further "
    "configuration, after trying for --wait-spin-us first (WaitLimit::spin). Every sample carries its index at both ends; each reader "
    "checks count, order and integrity. Throughput = samples / (writer start .. last reader's end). "
    "Floors: raw shm SPSC ring (memcpy in + out, same slot count, slots of the payload rounded up to "
    "64 bytes), the same ring with a segment's slot stride (16-byte header + payload, rounded up to "
    "64 bytes: 128 B at 64 B), and one core doing the same two memcpys per sample.";

struct Options {
  std::vector<std::size_t> sizes{64, 65536, 1048576};
  std::vector<std::string> apis{"copy", "loan"};
  double seconds = 1.0;
  std::size_t slots = 0;  // 0: per size (256 at 64 B, 64 at 64 KiB, 16 at 1 MiB)
  int blocking_readers = 4;
  std::uint32_t wait_spin_us = 20;
  int repetitions = 1;
  bool no_floors = false;
  std::string json = "stream.json";
};

std::size_t default_slots(std::size_t size) {
  if (size <= 4096) return 256;
  if (size <= 65536) return 64;
  return 16;
}

// FUTEX_WAKE calls per 1000 samples sent.
double per_thousand(std::uint64_t calls, std::uint64_t samples) {
  return samples == 0 ? 0 : 1000.0 * static_cast<double>(calls) / static_cast<double>(samples);
}

std::string size_text(std::size_t size) {
  if (size >= (1U << 20) && size % (1U << 20) == 0) return std::to_string(size >> 20) + " MiB";
  if (size >= 1024 && size % 1024 == 0) return std::to_string(size >> 10) + " KiB";
  return std::to_string(size) + " B";
}

std::string label(const StreamConfig& c) {
  if (c.system != StreamSystem::Shmslot) return to_string(c.system);
  return std::string("shmslot ") + to_string(c.api) + ", " + std::to_string(c.readers) + " reader" +
         (c.readers > 1 ? "s" : "") + (c.blocking ? " blocking" : " busy") +
         (c.wait_spin_us != 0 ? ", " + std::to_string(c.wait_spin_us) + " µs spin first" : "");
}

int run(const Options& o, int argc, char** argv) {
  // Before anything pins this process: the header records the CPUs the run could use.
  nlohmann::json doc = run_header("stream", kMethod, argc, argv);
  const CpuPair cpus = pick_and_print_cpu_pair("writer", "readers");
  std::vector<StreamConfig> matrix;
  for (std::size_t size : o.sizes) {
    StreamConfig base;
    base.size = size;
    base.slot_count = o.slots != 0 ? o.slots : default_slots(size);
    base.seconds = o.seconds;
    base.cpus = cpus;
    for (const auto& a : o.apis) {
      StreamConfig c = base;
      c.api = a == "loan" ? StreamApi::Loan : StreamApi::Copy;
      c.readers = 1;
      c.blocking = false;
      matrix.push_back(c);
      c.readers = o.blocking_readers;
      c.blocking = true;
      matrix.push_back(c);
      if (o.wait_spin_us != 0) {
        c.wait_spin_us = o.wait_spin_us;
        matrix.push_back(c);
      }
    }
    if (!o.no_floors) {
      StreamConfig c = base;
      c.system = StreamSystem::ShmRing;
      matrix.push_back(c);
      c.system = StreamSystem::ShmRingSlotStride;
      matrix.push_back(c);
      c.system = StreamSystem::MemcpyOnly;
      c.seconds = std::min(o.seconds, 0.3);
      matrix.push_back(c);
    }
  }

  doc["settings"] = {{"seconds", o.seconds},         {"slots", o.slots},   {"blocking_readers", o.blocking_readers}, {"wait_spin_us", o.wait_spin_us},
                     {"repetitions", o.repetitions}, {"sizes", o.sizes}};
  doc["cpus"] = {{"writer", cpus.a}, {"readers", cpus.b}, {"distinct", cpus.distinct}};
  std::vector<nlohmann::json> runs(matrix.size(), nlohmann::json::array());
  std::vector<std::vector<StreamResult>> results(matrix.size());
  for (int rep = 0; rep < o.repetitions; ++rep) {
    for (std::size_t k = 0; k < matrix.size(); ++k) {
      StreamResult r = run_stream(matrix[k]);
      std::fprintf(stderr, "rep %d/%d  %-32s %8s  %12.0f samples/s %8.3f GB/s  %8.1f wakes/1k  %s%s\n", rep + 1,
                   o.repetitions, label(matrix[k]).c_str(), size_text(matrix[k].size).c_str(), r.samples_per_s,
                   r.gbytes_per_s, per_thousand(r.futex_wakes, r.sent), r.lossless ? "lossless" : "LOSS",
                   r.ok ? "" : ("  FAILED: " + r.error).c_str());
      results[k].push_back(std::move(r));
    }
  }

  std::printf("\n%-32s %8s %6s %14s %10s %10s %10s %s\n", "system", "size", "slots", "samples/s", "GB/s", "wakes/1k",
              "lossless", "(median of repetitions; wakes/1k: FUTEX_WAKE calls of all processes per 1000 samples; per reader: received/gaps/errors)");
  doc["results"] = nlohmann::json::array();
  int failures = 0;
  for (std::size_t k = 0; k < matrix.size(); ++k) {
    const StreamConfig& c = matrix[k];
    auto& rs = results[k];
    std::vector<double> rates;
    bool ok = true;
    bool lossless = true;
    nlohmann::json reps = nlohmann::json::array();
    for (const auto& r : rs) {
      rates.push_back(r.samples_per_s);
      ok = ok && r.ok;
      lossless = lossless && r.lossless;
      nlohmann::json readers = nlohmann::json::array();
      for (const auto& rd : r.readers) {
        readers.push_back({{"received", rd.received},
                           {"sequence_gaps", rd.sequence_gaps},
                           {"verify_errors", rd.verify_errors},
                           {"seconds", rd.seconds}});
      }
      reps.push_back({{"ok", r.ok},
                      {"error", r.error},
                      {"sent", r.sent},
                      {"seconds", r.seconds},
                      {"samples_per_s", r.samples_per_s},
                      {"gbytes_per_s", r.gbytes_per_s},
                      {"lossless", r.lossless},
                      {"pinned", r.pinned},
                      {"futex_waits", r.futex_waits},
                      {"futex_wakes", r.futex_wakes},
                      {"readers", readers}});
    }
    std::sort(rates.begin(), rates.end());
    const double median = rates.empty() ? 0 : rates[rates.size() / 2];
    std::vector<double> wakes;
    for (const auto& r : rs) wakes.push_back(per_thousand(r.futex_wakes, r.sent));
    std::sort(wakes.begin(), wakes.end());
    const double wakes_median = wakes.empty() ? 0 : wakes[wakes.size() / 2];
    const double gbps = median * static_cast<double>(c.size) / 1e9;
    const bool needs_lossless = c.system != StreamSystem::MemcpyOnly;
    if (!ok || (needs_lossless && !lossless)) ++failures;
    const StreamResult& last = rs.back();
    std::string per_reader;
    for (const auto& rd : last.readers) {
      per_reader += " " + std::to_string(rd.received) + "/" + std::to_string(rd.sequence_gaps) + "/" +
                    std::to_string(rd.verify_errors);
    }
    std::printf("%-32s %8s %6zu %14.0f %10.3f %10.1f %10s%s%s\n", label(c).c_str(), size_text(c.size).c_str(),
                c.slot_count, median, gbps, wakes_median, lossless ? "yes" : "NO", per_reader.c_str(),
                ok ? "" : ("  " + last.error).c_str());
    doc["results"].push_back({{"system", to_string(c.system)},
                              {"label", label(c)},
                              {"api", c.system == StreamSystem::Shmslot ? to_string(c.api) : ""},
                              {"readers", c.readers},
                              {"blocking", c.blocking},
                              {"wait_spin_us", c.wait_spin_us},
                              {"size", c.size},
                              {"slot_count", c.slot_count},
                              {"seconds", c.seconds},
                              {"ok", ok},
                              {"lossless", lossless},
                              {"samples_per_s_median", median},
                              {"gbytes_per_s_median", gbps},
                              {"samples_per_s_min", rates.empty() ? 0 : rates.front()},
                              {"samples_per_s_max", rates.empty() ? 0 : rates.back()},
                              {"futex_wakes_per_1000_samples_median", wakes_median},
                              {"repetitions", reps}});
  }
  if (!write_json_file(o.json, doc)) return 1;
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("Lossless streaming throughput, one writer to 1 busy reader and to 4 blocking readers, beside a raw "
               "shm ring and a raw memcpy stream; JSON out.");
  app.footer(std::string("Method: ") + kMethod);
  app.add_option("--sizes", o.sizes, "Payload bytes per sample (>= 16)")->capture_default_str();
  app.add_option("--api", o.apis, "shmslot API paths")->check(CLI::IsMember({"copy", "loan"}))->capture_default_str();
  app.add_option("--seconds", o.seconds, "How long the writer writes, per configuration and repetition")
      ->capture_default_str();
  app.add_option("--slots", o.slots, "Slots per segment and ring (0: 256 at <= 4 KiB, 64 at <= 64 KiB, else 16)")
      ->capture_default_str();
  app.add_option("--blocking-readers", o.blocking_readers, "Readers of the blocking configuration")
      ->check(CLI::Range(1, 32))->capture_default_str();
  app.add_option("--wait-spin-us", o.wait_spin_us,
                 "Also run the blocking readers with this spin window before each sleep (0: do not)")
      ->capture_default_str();
  app.add_option("--repetitions", o.repetitions, "Runs per configuration (interleaved)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_flag("--no-floors", o.no_floors, "Measure shmslot only");
  app.add_option("--json", o.json, "Where the JSON record goes")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return run(o, argc, argv);
}
