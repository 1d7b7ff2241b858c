/* The C API doing what it is for: a segment, a writer loaning and writing, a reader taking in place,
 * copying, blocking with a timeout, waiting, and its statistics. */
#define _POSIX_C_SOURCE 200809L
#include "c_check.h"

static void loan_commit_take_release(void) {
  shmslot_segment seg;
  shmslot_writer w;
  shmslot_reader r;
  EXPECT_OK(shmslot_segment_create(c_check_flink("loan"), 4, 64, NULL, &seg));
  EXPECT_OK(shmslot_reader_register(seg, &r));
  EXPECT_OK(shmslot_writer_create(seg, &w));

  shmslot_loan loan;
  shmslot_loan_view lv;
  EXPECT_OK(shmslot_writer_loan(w, 5, &loan, &lv));
  EXPECT_TRUE(lv.data != NULL && lv.capacity == 5);
  memcpy(lv.data, "hello", 5);
  uint32_t sn = 0;
  EXPECT_OK(shmslot_loan_commit(loan, 5, &sn));

  shmslot_sample s;
  shmslot_sample_view sv;
  EXPECT_OK(shmslot_reader_take(r, &s, &sv));
  EXPECT_TRUE(sv.size == 5 && memcmp(sv.data, "hello", 5) == 0);
  EXPECT_TRUE(sv.sequence_number == sn);
  EXPECT_OK(shmslot_sample_release(s));
  EXPECT_STATUS(SHMSLOT_NO_DATA, shmslot_reader_take(r, &s, &sv));

  /* A discarded loan publishes nothing. */
  EXPECT_OK(shmslot_writer_loan(w, 8, &loan, &lv));
  EXPECT_OK(shmslot_loan_discard(loan));
  EXPECT_STATUS(SHMSLOT_NO_DATA, shmslot_reader_take(r, &s, &sv));

  EXPECT_OK(shmslot_segment_close(seg));
}

static void write_and_copy_read(void) {
  shmslot_segment seg;
  shmslot_writer w;
  shmslot_reader r;
  EXPECT_OK(shmslot_segment_create(c_check_flink("copy"), 4, 32, NULL, &seg));
  EXPECT_OK(shmslot_reader_register_index(seg, 7, &r));
  uint32_t index = 0;
  EXPECT_OK(shmslot_reader_index(r, &index));
  EXPECT_TRUE(index == 7);
  EXPECT_OK(shmslot_writer_create(seg, &w));

  uint32_t sn1 = 0, sn2 = 0, got_sn = 0;
  EXPECT_OK(shmslot_writer_write(w, "one", 3, &sn1));
  EXPECT_OK(shmslot_writer_write_blocking(w, "second", 6, 1000, &sn2));
  EXPECT_TRUE(sn2 == sn1 + 1);

  char buf[32];
  size_t size = 0;
  EXPECT_OK(shmslot_reader_take_copy(r, buf, sizeof buf, &size, &got_sn));
  EXPECT_TRUE(size == 3 && memcmp(buf, "one", 3) == 0 && got_sn == sn1);
  EXPECT_OK(shmslot_reader_wait(r, 0));
  EXPECT_OK(shmslot_reader_take_copy(r, buf, sizeof buf, &size, &got_sn));
  EXPECT_TRUE(size == 6 && memcmp(buf, "second", 6) == 0 && got_sn == sn2);
  EXPECT_STATUS(SHMSLOT_NO_DATA, shmslot_reader_take_copy(r, buf, sizeof buf, &size, NULL));

  shmslot_reader_stats st;
  EXPECT_OK(shmslot_reader_get_stats(r, &st));
  EXPECT_TRUE(st.registered == 1);
  EXPECT_TRUE(st.owner_pid == (uint32_t)getpid());
  EXPECT_TRUE(st.evictions == 0 && st.overwritten == 0);

  EXPECT_OK(shmslot_reader_unregister(r));
  EXPECT_OK(shmslot_writer_close(w));
  EXPECT_OK(shmslot_segment_close(seg));
}

static void blocking_calls_and_timeouts(void) {
  shmslot_segment seg;
  shmslot_writer w;
  shmslot_reader r;
  EXPECT_OK(shmslot_segment_create(c_check_flink("block"), 2, 16, NULL, &seg));
  EXPECT_OK(shmslot_reader_register(seg, &r));
  EXPECT_OK(shmslot_writer_create(seg, &w));

  shmslot_sample s;
  shmslot_sample_view sv;
  EXPECT_STATUS(SHMSLOT_E_TIMED_OUT, shmslot_reader_take_blocking(r, 20, &s, &sv));
  EXPECT_STATUS(SHMSLOT_E_TIMED_OUT, shmslot_reader_wait(r, 20));

  /* Two slots, both unread by the registered reader: the segment is full. */
  EXPECT_OK(shmslot_writer_write(w, "a", 1, NULL));
  EXPECT_OK(shmslot_writer_write(w, "b", 1, NULL));
  EXPECT_STATUS(SHMSLOT_E_NO_FREE_SLOT, shmslot_writer_write(w, "c", 1, NULL));
  EXPECT_STATUS(SHMSLOT_E_TIMED_OUT, shmslot_writer_write_blocking(w, "c", 1, 20, NULL));
  shmslot_loan loan;
  shmslot_loan_view lv;
  EXPECT_STATUS(SHMSLOT_E_TIMED_OUT, shmslot_writer_loan_blocking(w, 1, 20, &loan, &lv));

  EXPECT_OK(shmslot_reader_take_blocking(r, SHMSLOT_WAIT_FOREVER, &s, &sv));
  EXPECT_TRUE(sv.size == 1 && ((const char*)sv.data)[0] == 'a');
  EXPECT_OK(shmslot_sample_release(s));
  /* The released slot is free again. */
  EXPECT_OK(shmslot_writer_loan_blocking(w, 1, 1000, &loan, &lv));
  ((char*)lv.data)[0] = 'c';
  EXPECT_OK(shmslot_loan_commit(loan, 1, NULL));

  EXPECT_OK(shmslot_segment_close(seg));
}

static void segment_properties(void) {
  shmslot_create_options opts;
  EXPECT_OK(shmslot_create_options_init(&opts));
  EXPECT_TRUE(opts.mode == 0600 && opts.lease_ms == 250 && opts.notify == SHMSLOT_NOTIFY_WAKE_ON_DEMAND);
  opts.notify = SHMSLOT_NOTIFY_WAKE_ALWAYS;
  opts.lease_ms = 100;
  opts.has_type_hash = 1;
  EXPECT_OK(shmslot_layout_type_hash("Pose{x:i64,y:i64,z:i64}", opts.type_hash));
  /* sha256("Pose{x:i64,y:i64,z:i64}"), first 16 bytes, from sha256sum */
  static const uint8_t pose[16] = {0x21, 0x87, 0x6e, 0x70, 0x46, 0x21, 0x69, 0x35,
                                   0x84, 0x87, 0xf6, 0x63, 0x75, 0xd4, 0x62, 0x79};
  EXPECT_TRUE(memcmp(opts.type_hash, pose, 16) == 0);

  shmslot_segment owner, consumer;
  EXPECT_OK(shmslot_segment_create(c_check_flink("props"), 3, 100, &opts, &owner));
  shmslot_attach_options aopts;
  EXPECT_OK(shmslot_attach_options_init(&aopts));
  aopts.has_expected_type_hash = 1;
  memcpy(aopts.expected_type_hash, pose, 16);
  EXPECT_OK(shmslot_segment_attach(c_check_flink("props"), &aopts, &consumer));

  size_t count = 0, capacity = 0;
  EXPECT_OK(shmslot_segment_slot_count(consumer, &count));
  EXPECT_OK(shmslot_segment_slot_capacity(consumer, &capacity));
  EXPECT_TRUE(count == 3 && capacity == 100);
  uint8_t hash[16];
  int has = 0;
  EXPECT_OK(shmslot_segment_type_hash(consumer, hash, &has));
  EXPECT_TRUE(has == 1 && memcmp(hash, pose, 16) == 0);

  size_t need = 0;
  EXPECT_STATUS(SHMSLOT_E_BUFFER_TOO_SMALL, shmslot_segment_locator(owner, "host", NULL, 0, &need));
  EXPECT_TRUE(need > 20 && need % 4 == 0);
  uint8_t loc[512];
  size_t got = 0;
  EXPECT_OK(shmslot_segment_locator(owner, "host", loc, sizeof loc, &got));
  EXPECT_TRUE(got == need);
  /* slot_count, u32 little-endian at offset 8 */
  EXPECT_TRUE(loc[8] == 3 && loc[9] == 0 && loc[10] == 0 && loc[11] == 0);

  /* Samples written through one handle are read through the other. */
  shmslot_writer w;
  shmslot_reader r;
  EXPECT_OK(shmslot_reader_register(consumer, &r));
  EXPECT_OK(shmslot_writer_create(owner, &w));
  EXPECT_OK(shmslot_writer_write(w, "x", 1, NULL));
  char c = 0;
  size_t size = 0;
  EXPECT_OK(shmslot_reader_take_copy(r, &c, 1, &size, NULL));
  EXPECT_TRUE(size == 1 && c == 'x');

  EXPECT_OK(shmslot_segment_close(consumer));
  EXPECT_OK(shmslot_segment_close(owner));
}

int main(void) {
  loan_commit_take_release();
  write_and_copy_read();
  blocking_calls_and_timeouts();
  segment_properties();
  return c_check_finish();
}
