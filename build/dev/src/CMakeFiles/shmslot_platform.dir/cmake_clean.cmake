file(REMOVE_RECURSE
  "CMakeFiles/shmslot_platform.dir/platform/flink_file.cpp.o"
  "CMakeFiles/shmslot_platform.dir/platform/flink_file.cpp.o.d"
  "CMakeFiles/shmslot_platform.dir/platform/futex.cpp.o"
  "CMakeFiles/shmslot_platform.dir/platform/futex.cpp.o.d"
  "CMakeFiles/shmslot_platform.dir/platform/mapping.cpp.o"
  "CMakeFiles/shmslot_platform.dir/platform/mapping.cpp.o.d"
  "CMakeFiles/shmslot_platform.dir/platform/process.cpp.o"
  "CMakeFiles/shmslot_platform.dir/platform/process.cpp.o.d"
  "CMakeFiles/shmslot_platform.dir/platform/shm.cpp.o"
  "CMakeFiles/shmslot_platform.dir/platform/shm.cpp.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/shmslot_platform.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
