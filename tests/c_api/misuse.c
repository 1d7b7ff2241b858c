/* Misuse of the C API gives a status code, never a crash: null handles and pointers, handles used
 * twice or after close, out-of-range indices, oversized samples, the wrong type. Run under ASan
 * (asan-ubsan preset), a use of freed memory here would also fail the test. */
#define _POSIX_C_SOURCE 200809L
#include "c_check.h"

static void null_handles_and_pointers(void) {
  const shmslot_segment no_seg = {0};
  const shmslot_writer no_w = {0};
  const shmslot_reader no_r = {0};
  const shmslot_loan no_l = {0};
  const shmslot_sample no_s = {0};
  size_t n = 0;
  shmslot_writer w;
  shmslot_reader r;
  shmslot_loan l;
  shmslot_loan_view lv;
  shmslot_sample s;
  shmslot_sample_view sv;
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_segment_close(no_seg));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_segment_slot_count(no_seg, &n));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_writer_create(no_seg, &w));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_register(no_seg, &r));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_writer_write(no_w, "x", 1, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_writer_loan(no_w, 1, &l, &lv));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_writer_write_blocking(no_w, "x", 1, 10, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_loan_commit(no_l, 1, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_loan_discard(no_l));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_take(no_r, &s, &sv));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_take_blocking(no_r, 10, &s, &sv));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_wait(no_r, 10));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_sample_release(no_s));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_unregister(no_r));
  /* A made-up handle that names no entry. */
  const shmslot_segment bogus = {0xFFFFFFFF00001234ull};
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_segment_close(bogus));

  shmslot_segment seg;
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_segment_create(NULL, 2, 8, NULL, &seg));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_segment_create(c_check_flink("null"), 2, 8, NULL, NULL));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_segment_attach(NULL, NULL, &seg));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_create_options_init(NULL));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_layout_type_hash(NULL, NULL));
  EXPECT_OK(shmslot_segment_create(c_check_flink("null"), 2, 8, NULL, &seg));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_segment_slot_count(seg, NULL));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_writer_create(seg, NULL));
  EXPECT_OK(shmslot_writer_create(seg, &w));
  EXPECT_OK(shmslot_reader_register(seg, &r));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_writer_write(w, NULL, 1, NULL));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_writer_loan(w, 1, NULL, &lv));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_writer_loan(w, 1, &l, NULL));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_reader_take(r, NULL, &sv));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_reader_take_copy(r, NULL, 4, &n, NULL));
  EXPECT_STATUS(SHMSLOT_E_NULL_ARGUMENT, shmslot_reader_get_stats(r, NULL));
  /* A handle of one kind passed as another. */
  const shmslot_reader writer_as_reader = {w.id};
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_take(writer_as_reader, &s, &sv));
  EXPECT_TRUE(strlen(shmslot_last_error_message()) > 0);
  EXPECT_OK(shmslot_segment_close(seg));
}

static void double_use(void) {
  shmslot_segment seg;
  shmslot_writer w;
  shmslot_reader r;
  shmslot_loan l;
  shmslot_loan_view lv;
  shmslot_sample s;
  shmslot_sample_view sv;
  EXPECT_OK(shmslot_segment_create(c_check_flink("twice"), 4, 8, NULL, &seg));
  EXPECT_OK(shmslot_writer_create(seg, &w));
  EXPECT_OK(shmslot_reader_register(seg, &r));

  EXPECT_OK(shmslot_writer_loan(w, 4, &l, &lv));
  EXPECT_OK(shmslot_loan_commit(l, 4, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_loan_commit(l, 4, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_loan_discard(l));

  EXPECT_OK(shmslot_reader_take(r, &s, &sv));
  EXPECT_OK(shmslot_sample_release(s));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_sample_release(s));

  /* The freed entries are reused; the old handles still do not name them. */
  EXPECT_OK(shmslot_writer_loan(w, 4, &l, &lv));
  shmslot_loan fresh;
  EXPECT_OK(shmslot_writer_loan(w, 4, &fresh, &lv));
  EXPECT_OK(shmslot_loan_discard(fresh));
  EXPECT_OK(shmslot_loan_discard(l));

  EXPECT_OK(shmslot_writer_close(w));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_writer_close(w));
  EXPECT_OK(shmslot_reader_unregister(r));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_unregister(r));
  EXPECT_OK(shmslot_segment_close(seg));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_segment_close(seg));
}

static void close_releases_what_hangs_off_it(void) {
  shmslot_segment seg;
  shmslot_writer w;
  shmslot_reader r, r2;
  shmslot_loan l;
  shmslot_loan_view lv;
  shmslot_sample s;
  shmslot_sample_view sv;
  size_t n = 0;
  EXPECT_OK(shmslot_segment_create(c_check_flink("close"), 2, 8, NULL, &seg));
  EXPECT_OK(shmslot_writer_create(seg, &w));
  EXPECT_OK(shmslot_reader_register(seg, &r));
  EXPECT_OK(shmslot_writer_write(w, "a", 1, NULL));
  EXPECT_OK(shmslot_reader_take(r, &s, &sv));
  EXPECT_OK(shmslot_writer_loan(w, 8, &l, &lv));

  /* Unregistering the reader releases its sample; closing the writer discards its loan. */
  EXPECT_OK(shmslot_reader_unregister(r));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_sample_release(s));
  EXPECT_OK(shmslot_writer_close(w));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_loan_commit(l, 1, NULL));
  /* Both slots are free again: a new writer fills them. */
  EXPECT_OK(shmslot_writer_create(seg, &w));
  EXPECT_OK(shmslot_reader_register(seg, &r2));
  EXPECT_OK(shmslot_writer_write(w, "b", 1, NULL));
  EXPECT_OK(shmslot_writer_write(w, "c", 1, NULL));
  EXPECT_STATUS(SHMSLOT_E_NO_FREE_SLOT, shmslot_writer_write(w, "d", 1, NULL));

  EXPECT_OK(shmslot_reader_take(r2, &s, &sv)); /* "b", pinned until the sample is released */
  char c = 0;
  /* A sample taken in place is read when it is released: until then a copy takes it again, and
     marks it read without dropping the pin the sample holds. */
  EXPECT_OK(shmslot_reader_take_copy(r2, &c, 1, &n, NULL));
  EXPECT_TRUE(n == 1 && c == 'b');
  EXPECT_OK(shmslot_reader_take_copy(r2, &c, 1, &n, NULL)); /* "c", read: its slot is free */
  EXPECT_TRUE(n == 1 && c == 'c');
  EXPECT_OK(shmslot_writer_loan(w, 0, &l, &lv));                             /* the slot of "c", read */
  EXPECT_STATUS(SHMSLOT_E_NO_FREE_SLOT, shmslot_writer_loan(w, 0, &l, &lv)); /* "b"'s is pinned */
  /* Closing the segment closes the writer, its loan, the reader and its sample. */
  EXPECT_OK(shmslot_segment_close(seg));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_writer_write(w, "d", 1, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_loan_commit(l, 0, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_sample_release(s));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_take(r2, &s, &sv));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_reader_unregister(r2));
}

static void bad_values(void) {
  shmslot_segment seg, other;
  shmslot_writer w;
  shmslot_reader r;
  shmslot_loan l;
  shmslot_loan_view lv;
  EXPECT_OK(shmslot_segment_create(c_check_flink("values"), 2, 8, NULL, &seg));
  EXPECT_STATUS(SHMSLOT_E_READER_INDEX_OUT_OF_RANGE, shmslot_reader_register_index(seg, 32, &r));
  EXPECT_STATUS(SHMSLOT_E_READER_INDEX_OUT_OF_RANGE, shmslot_reader_register_index(seg, 1000, &r));
  EXPECT_OK(shmslot_reader_register_index(seg, 3, &r));

  EXPECT_OK(shmslot_writer_create(seg, &w));
  EXPECT_STATUS(SHMSLOT_E_SAMPLE_TOO_LARGE, shmslot_writer_write(w, "123456789", 9, NULL));
  EXPECT_STATUS(SHMSLOT_E_SAMPLE_TOO_LARGE, shmslot_writer_loan(w, 9, &l, &lv));
  EXPECT_OK(shmslot_writer_loan(w, 4, &l, &lv));
  EXPECT_STATUS(SHMSLOT_E_SAMPLE_TOO_LARGE, shmslot_loan_commit(l, 5, NULL));
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, shmslot_loan_commit(l, 4, NULL));

  /* A sample larger than the caller's buffer stays unread. */
  EXPECT_OK(shmslot_writer_write(w, "abcdef", 6, NULL));
  char small[4];
  char big[8];
  size_t size = 0;
  EXPECT_STATUS(SHMSLOT_E_SAMPLE_TOO_LARGE, shmslot_reader_take_copy(r, small, sizeof small, &size, NULL));
  EXPECT_OK(shmslot_reader_take_copy(r, big, sizeof big, &size, NULL));
  EXPECT_TRUE(size == 6);

  EXPECT_STATUS(SHMSLOT_E_INVALID_ARGUMENT, shmslot_segment_create(c_check_flink("zero"), 0, 8, NULL, &other));
  shmslot_create_options opts;
  EXPECT_OK(shmslot_create_options_init(&opts));
  opts.notify = (shmslot_notify_mode)7;
  EXPECT_STATUS(SHMSLOT_E_INVALID_ARGUMENT, shmslot_segment_create(c_check_flink("mode"), 2, 8, &opts, &other));
  EXPECT_STATUS(SHMSLOT_E_IN_USE, shmslot_segment_create(c_check_flink("values"), 2, 8, NULL, &other));
  EXPECT_STATUS(SHMSLOT_E_SHM, shmslot_segment_attach(c_check_flink("absent"), NULL, &other));
  EXPECT_TRUE(strlen(shmslot_last_error_message()) > 0);
  EXPECT_TRUE(strcmp(shmslot_status_string(SHMSLOT_E_SHM), "SHMSLOT_E_SHM") == 0);
  EXPECT_TRUE(strcmp(shmslot_status_string((shmslot_status)12345), "unknown status") == 0);
  EXPECT_OK(shmslot_segment_close(seg));
}

static void wrong_type(void) {
  shmslot_create_options opts;
  shmslot_attach_options aopts;
  shmslot_segment seg, consumer;
  EXPECT_OK(shmslot_create_options_init(&opts));
  opts.has_type_hash = 1;
  EXPECT_OK(shmslot_layout_type_hash("Pose{x:i64,y:i64,z:i64}", opts.type_hash));
  EXPECT_OK(shmslot_segment_create(c_check_flink("typed"), 2, 24, &opts, &seg));
  EXPECT_OK(shmslot_attach_options_init(&aopts));
  aopts.has_expected_type_hash = 1;
  EXPECT_OK(shmslot_layout_type_hash("Pose{x:f64,y:f64,z:f64}", aopts.expected_type_hash));
  consumer.id = 99;
  EXPECT_STATUS(SHMSLOT_E_TYPE_MISMATCH, shmslot_segment_attach(c_check_flink("typed"), &aopts, &consumer));
  EXPECT_TRUE(consumer.id == 0);
  EXPECT_OK(shmslot_segment_close(seg));
}

int main(void) {
  null_handles_and_pointers();
  double_use();
  close_releases_what_hangs_off_it();
  bad_values();
  wrong_type();
  return c_check_finish();
}
