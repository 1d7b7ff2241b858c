// Everything shmslot offers, in one include.
#pragma once

#include "shmslot/flat_reader.hpp"
#include "shmslot/flat_struct.hpp"
#include "shmslot/flat_writer.hpp"
#include "shmslot/gc.hpp"
#include "shmslot/in_memory_slot_allocator.hpp"
#include "shmslot/locator.hpp"
#include "shmslot/posix_slot_allocator.hpp"
#include "shmslot/reader.hpp"
#include "shmslot/segment_snapshot.hpp"
#include "shmslot/slot_backend.hpp"
#include "shmslot/type_hash.hpp"
#include "shmslot/types.hpp"
#include "shmslot/version.hpp"
#include "shmslot/wait.hpp"
#include "shmslot/writer.hpp"
