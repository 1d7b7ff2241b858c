
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/core/geometry.cpp" "src/CMakeFiles/shmslot_core.dir/core/geometry.cpp.o" "gcc" "src/CMakeFiles/shmslot_core.dir/core/geometry.cpp.o.d"
  "/work/main/src/core/legacy_reads.cpp" "src/CMakeFiles/shmslot_core.dir/core/legacy_reads.cpp.o" "gcc" "src/CMakeFiles/shmslot_core.dir/core/legacy_reads.cpp.o.d"
  "/work/main/src/core/segment_validate.cpp" "src/CMakeFiles/shmslot_core.dir/core/segment_validate.cpp.o" "gcc" "src/CMakeFiles/shmslot_core.dir/core/segment_validate.cpp.o.d"
  "/work/main/src/core/seqlock_copy.cpp" "src/CMakeFiles/shmslot_core.dir/core/seqlock_copy.cpp.o" "gcc" "src/CMakeFiles/shmslot_core.dir/core/seqlock_copy.cpp.o.d"
  "/work/main/src/core/slot_engine.cpp" "src/CMakeFiles/shmslot_core.dir/core/slot_engine.cpp.o" "gcc" "src/CMakeFiles/shmslot_core.dir/core/slot_engine.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
