// Every object the run's owners put in /dev/shm and in the flink directory, and the checks that each
// is gone when the library says it must be: at once when its owner leaves cleanly, after the next
// create at the same path when its owner was killed, and at the end of the run. Only names this run
// created are looked at (other tests share /dev/shm); the flink directory is the run's own.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "chaos/report.hpp"

namespace shmslot::chaos {

class Leftovers {
 public:
  // How the owner of a segment ended.
  enum class Origin {
    Live,               // its owner runs
    LeftCleanly,        // destroyed it
    KilledHolding,      // killed between create and teardown: the next create must remove it
    KilledCreating,     // killed inside create
    KilledTearingDown,  // killed inside its destructor
  };

  Leftovers(std::string flink_dir, std::string flink);

  void created(const std::string& shm_name);
  // A segment whose flink file still names it counts as held: recovery.md promises that the next
  // create on the path removes it. Only a segment no flink file names is left to `how`.
  void owner_ended(const std::string& shm_name, Origin how, const std::string& where = "");
  // A create killed midway: the segments among its open files are its.
  void killed_creating(pid_t pid, const std::vector<std::string>& open_files, const std::string& where);

  // Each check reports what it finds, then removes it, so that every finding is reported once and
  // the machine is left clean. They return whether nothing was found.
  bool check_clean_exit(const std::string& shm_name, Report& report, const std::string& context);
  bool check_after_create(const std::string& live_name, Report& report, const std::string& context);
  bool check_final(Report& report, const std::string& context);

  // Removes whatever is still there, without reporting (a run that stops early).
  void remove_all();

 private:
  struct Entry {
    std::string name;  // "/shmem_..."
    Origin origin = Origin::Live;
    std::string where;     // where its owner was killed
    bool settled = false;  // known to be gone
  };
  bool check_segment(Entry& e, const std::string& invariant, const std::string& why, Report& report,
                     const std::string& context);
  bool check_directory(bool live_flink_expected, Report& report, const std::string& context);
  Origin unless_named(const std::string& shm_name, Origin how) const;

  std::string dir_;
  std::string flink_;
  std::string flink_base_;
  std::vector<Entry> entries_;
  std::set<pid_t> killed_creators_;
};

}  // namespace shmslot::chaos
