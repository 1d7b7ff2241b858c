// How `shmslot sub` prints samples and its closing lines, and its idle damage check.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "encoding.hpp"
#include "segment_access.hpp"
#include "sub_shared.hpp"

namespace shmslot::cli::sub {

namespace {
// Damage is looked for through a snapshot (one entry per slot) when idle: at the first idle moment,
// then this often, and only in segments small enough for the snapshot to be cheap.
constexpr auto kDamageCheckInterval = std::chrono::seconds(5);
constexpr std::uint32_t kDamageCheckMaxSlots = 65536;
}  // namespace

void print_sample(const Options& o, const std::string* segment, const SlotHeader& header,
                  std::span<const std::byte> data) {
  if (o.json) {
    nlohmann::ordered_json j;
    if (segment != nullptr) j["segment"] = *segment;
    j["seq"] = header.sequence_number;
    j["size"] = header.sample_size;
    j["data"] = base64_encode(data);
    fmt::print("{}\n", j.dump());
    return;
  }
  const std::string lead = segment != nullptr ? *segment + ": " : std::string();
  fmt::print("{}{}\n", lead, o.hex ? hex_encode(data) : escape_text(data));
}

void print_summary(const Options& o, const std::string* segment, const Tally& t) {
  const std::string lead = segment != nullptr ? *segment + ": " : std::string();
  if (o.count) fmt::print("{}{}\n", lead, t.received);
  if (!o.verify) return;
  const StreamVerifier& v = t.verifier;
  if (o.json) {
    nlohmann::ordered_json j;
    if (segment != nullptr) j["segment"] = *segment;
    j["verify"] = {{"received", v.received()},
                   {"lost", v.lost()},
                   {"duplicate", v.duplicate()},
                   {"corrupt", v.corrupt()},
                   {"overwritten", t.overwritten}};
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("{}verify: received={} lost={} duplicate={} corrupt={} overwritten={}\n", lead, v.received(), v.lost(),
               v.duplicate(), v.corrupt(), t.overwritten);
  }
}

DamageWatch::DamageWatch(const PosixSlotAllocator& segment)
    : enabled_(segment.has_extension() && segment.slot_count().value_or(0) <= kDamageCheckMaxSlots) {}

void DamageWatch::on_idle(const PosixSlotAllocator& segment, std::chrono::steady_clock::time_point now) {
  if (!enabled_ || now < next_) return;
  next_ = now + kDamageCheckInterval;
  if (auto damage = damage_of(segment.snapshot())) {
    note(kCommand,
         fmt::format("{} ({}; `shmslot inspect {}` shows them)", *damage, segment.shm_name(), segment.flink_path()));
    enabled_ = false;
  }
}

}  // namespace shmslot::cli::sub
