/* Uses only the installed C header and -lshmslot_c: one sample written into a segment and read back
 * in place. Exit code 0 only when the bytes read are the bytes written. The flink file goes in the
 * directory given as the first argument. */
#include <shmslot/shmslot.h>
#include <stdio.h>
#include <string.h>

static int fail(const char* step, shmslot_status st) {
  fprintf(stderr, "%s: %s: %s\n", step, shmslot_status_string(st), shmslot_last_error_message());
  return 1;
}

int main(int argc, char** argv) {
  char flink[512];
  shmslot_segment seg;
  shmslot_writer writer;
  shmslot_reader reader;
  shmslot_sample sample;
  shmslot_sample_view view;
  shmslot_status st;
  int same;
  if (argc != 2) return 2;
  snprintf(flink, sizeof flink, "%s/c-consumer", argv[1]);
  if ((st = shmslot_segment_create(flink, 4, 64, NULL, &seg)) != SHMSLOT_OK) return fail("create", st);
  if ((st = shmslot_reader_register(seg, &reader)) != SHMSLOT_OK) return fail("register", st);
  if ((st = shmslot_writer_create(seg, &writer)) != SHMSLOT_OK) return fail("writer", st);
  if ((st = shmslot_writer_write(writer, "\x11\x22\x33", 3, NULL)) != SHMSLOT_OK) return fail("write", st);
  if ((st = shmslot_reader_take(reader, &sample, &view)) != SHMSLOT_OK) return fail("take", st);
  same = view.size == 3 && memcmp(view.data, "\x11\x22\x33", 3) == 0;
  if ((st = shmslot_sample_release(sample)) != SHMSLOT_OK) return fail("release", st);
  if ((st = shmslot_segment_close(seg)) != SHMSLOT_OK) return fail("close", st);
  if (!same) fprintf(stderr, "read back other bytes than were written\n");
  return same ? 0 : 1;
}
