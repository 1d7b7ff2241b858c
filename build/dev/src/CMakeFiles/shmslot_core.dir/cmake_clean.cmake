file(REMOVE_RECURSE
  "CMakeFiles/shmslot_core.dir/core/geometry.cpp.o"
  "CMakeFiles/shmslot_core.dir/core/geometry.cpp.o.d"
  "CMakeFiles/shmslot_core.dir/core/legacy_reads.cpp.o"
  "CMakeFiles/shmslot_core.dir/core/legacy_reads.cpp.o.d"
  "CMakeFiles/shmslot_core.dir/core/segment_validate.cpp.o"
  "CMakeFiles/shmslot_core.dir/core/segment_validate.cpp.o.d"
  "CMakeFiles/shmslot_core.dir/core/seqlock_copy.cpp.o"
  "CMakeFiles/shmslot_core.dir/core/seqlock_copy.cpp.o.d"
  "CMakeFiles/shmslot_core.dir/core/slot_engine.cpp.o"
  "CMakeFiles/shmslot_core.dir/core/slot_engine.cpp.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/shmslot_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
