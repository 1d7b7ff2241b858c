#include "chaos/kill_points.hpp"

namespace shmslot::chaos {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::None: return "none";
    case Phase::Attach: return "attach";
    case Phase::Register: return "register_reader";
    case Phase::NextUnread: return "next_unread_slot";
    case Phase::CopyRead: return "read_slot(_into)";
    case Phase::Pin: return "slot_read_ptr";
    case Phase::Holding: return "holding a pin";
    case Phase::MarkRead: return "mark_read";
    case Phase::Waiting: return "waiting for a sample";
    case Phase::Leave: return "unregister_reader";
    case Phase::Reserve: return "loan (reserve_slot)";
    case Phase::Fill: return "filling a loan";
    case Phase::Commit: return "commit";
    case Phase::WriteBp: return "write_bp";
    case Phase::WaitSpace: return "waiting for a free slot";
    case Phase::Paused: return "paused";
    case Phase::Create: return "create";
    case Phase::Idle: return "owning";
    case Phase::Teardown: return "teardown";
    case Phase::kCount: break;
  }
  return "?";
}

namespace {

// Weights: the reader points share three readers, the writer points one writer. The owner's points
// have none: a create kill opens half the epochs, an idle kill falls in a third of them, a teardown
// kill ends a third of those whose owner lives (harness.cpp).
constexpr KillPointInfo kInfo[kKillPoints] = {
    {"reader.next_unread", Phase::NextUnread, Aim::Access, 6, "a reader inside next_unread_slot"},
    {"reader.copy_read", Phase::CopyRead, Aim::Access, 6, "a reader inside a copying read"},
    {"reader.pin", Phase::Pin, Aim::Access, 6, "a reader inside slot_read_ptr (taking a pin)"},
    {"reader.holding_pin", Phase::Holding, Aim::Access, 6, "a reader holding a pin, checking the sample in place"},
    {"reader.mark_read", Phase::MarkRead, Aim::Access, 8, "a reader inside mark_read"},
    {"reader.waiting", Phase::Waiting, Aim::Observe, 3, "a reader asleep, waiting for a sample"},
    {"reader.unregister", Phase::Leave, Aim::Access, 3, "a reader leaving, inside unregister_reader"},
    {"reader.random", Phase::None, Aim::Random, 5, "a reader after a random delay"},
    {"attach", Phase::Attach, Aim::Syscall, 3, "a process inside attach"},
    {"register", Phase::Register, Aim::Access, 4, "a reader inside register_reader"},
    {"writer.reserve", Phase::Reserve, Aim::Access, 7, "the writer inside loan (reserve_slot)"},
    {"writer.mid_loan", Phase::Fill, Aim::Access, 7, "the writer between reserve and commit, sample half written"},
    {"writer.commit", Phase::Commit, Aim::Access, 7, "the writer inside commit"},
    {"writer.write_bp", Phase::WriteBp, Aim::Access, 5, "the writer inside write_bp (reserve, copy, commit)"},
    {"writer.blocked", Phase::WaitSpace, Aim::Observe, 2, "the writer asleep on a full segment (a reader paused)"},
    {"writer.random", Phase::None, Aim::Random, 4, "the writer after a random delay"},
    {"owner.create", Phase::Create, Aim::Syscall, 0, "the owner inside create"},
    {"owner.idle", Phase::Idle, Aim::Random, 0, "the owner while others use its segment"},
    {"owner.teardown", Phase::Teardown, Aim::Syscall, 0, "the owner inside its destructor"},
};

}  // namespace

const KillPointInfo& info(KillPoint point) { return kInfo[static_cast<int>(point)]; }

}  // namespace shmslot::chaos
