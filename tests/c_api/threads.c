/* Blocking calls from one thread while another uses the same segment: the sleeper holds no lock (a
 * write from the other thread wakes it, instead of waiting behind it), and a reader closed under a
 * sleeper ends the sleep with SHMSLOT_E_INVALID_HANDLE, not a use of freed memory. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "c_check.h"

struct take_result {
  shmslot_reader reader;
  shmslot_status status;
  char byte;
};

static void* take_forever(void* arg) {
  struct take_result* r = arg;
  shmslot_sample s;
  shmslot_sample_view v;
  r->status = shmslot_reader_take_blocking(r->reader, SHMSLOT_WAIT_FOREVER, &s, &v);
  if (r->status == SHMSLOT_OK) {
    r->byte = ((const char*)v.data)[0];
    r->status = shmslot_sample_release(s);
  }
  return NULL;
}

/* Gives the other thread time to reach its sleep; the outcome checked does not depend on it. */
static void pause_briefly(void) {
  struct timespec t = {0, 20 * 1000 * 1000};
  nanosleep(&t, NULL);
}

static void a_write_wakes_a_sleeping_take(void) {
  shmslot_segment seg;
  shmslot_writer w;
  struct take_result r = {{0}, SHMSLOT_E_INTERNAL, 0};
  pthread_t t;
  EXPECT_OK(shmslot_segment_create(c_check_flink("wake"), 4, 8, NULL, &seg));
  EXPECT_OK(shmslot_reader_register(seg, &r.reader));
  EXPECT_OK(shmslot_writer_create(seg, &w));
  EXPECT_TRUE(pthread_create(&t, NULL, take_forever, &r) == 0);
  pause_briefly();
  EXPECT_OK(shmslot_writer_write(w, "z", 1, NULL));
  EXPECT_TRUE(pthread_join(t, NULL) == 0);
  EXPECT_OK(r.status);
  EXPECT_TRUE(r.byte == 'z');
  EXPECT_OK(shmslot_segment_close(seg));
}

static void closing_the_reader_ends_a_sleeping_take(void) {
  shmslot_segment seg;
  struct take_result r = {{0}, SHMSLOT_E_INTERNAL, 0};
  pthread_t t;
  EXPECT_OK(shmslot_segment_create(c_check_flink("close"), 4, 8, NULL, &seg));
  EXPECT_OK(shmslot_reader_register(seg, &r.reader));
  EXPECT_TRUE(pthread_create(&t, NULL, take_forever, &r) == 0);
  pause_briefly();
  EXPECT_OK(shmslot_segment_close(seg)); /* closes the reader the other thread sleeps on */
  EXPECT_TRUE(pthread_join(t, NULL) == 0);
  EXPECT_STATUS(SHMSLOT_E_INVALID_HANDLE, r.status);
}

int main(void) {
  a_write_wakes_a_sleeping_take();
  closing_the_reader_ends_a_sleeping_take();
  return c_check_finish();
}
