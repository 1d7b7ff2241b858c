file(REMOVE_RECURSE
  "CMakeFiles/shmslot.dir/backend/engine_backend.cpp.o"
  "CMakeFiles/shmslot.dir/backend/engine_backend.cpp.o.d"
  "CMakeFiles/shmslot.dir/backend/in_memory_slot_allocator.cpp.o"
  "CMakeFiles/shmslot.dir/backend/in_memory_slot_allocator.cpp.o.d"
  "CMakeFiles/shmslot.dir/backend/locator.cpp.o"
  "CMakeFiles/shmslot.dir/backend/locator.cpp.o.d"
  "CMakeFiles/shmslot.dir/backend/posix_slot_allocator.cpp.o"
  "CMakeFiles/shmslot.dir/backend/posix_slot_allocator.cpp.o.d"
  "CMakeFiles/shmslot.dir/backend/slot_backend.cpp.o"
  "CMakeFiles/shmslot.dir/backend/slot_backend.cpp.o.d"
  "CMakeFiles/shmslot.dir/backend/slot_error.cpp.o"
  "CMakeFiles/shmslot.dir/backend/slot_error.cpp.o.d"
  "CMakeFiles/shmslot.dir/backend/slot_header.cpp.o"
  "CMakeFiles/shmslot.dir/backend/slot_header.cpp.o.d"
  "CMakeFiles/shmslot.dir/backend/type_hash.cpp.o"
  "CMakeFiles/shmslot.dir/backend/type_hash.cpp.o.d"
  "libshmslot.a"
  "libshmslot.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/shmslot.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
