/* The few helpers the C tests share: a check that reports and counts instead of stopping, and a
 * fresh flink directory per test program. */
#ifndef SHMSLOT_TESTS_C_CHECK_H
#define SHMSLOT_TESTS_C_CHECK_H

#include <shmslot/shmslot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int c_check_failures = 0;

/* Expects `call` to return `want`; prints both names and the last message when it does not. */
#define EXPECT_STATUS(want, call)                                                                      \
  do {                                                                                                 \
    shmslot_status got_ = (call);                                                                      \
    if (got_ != (want)) {                                                                              \
      fprintf(stderr, "%s:%d: %s\n  returned %s, expected %s (%s)\n", __FILE__, __LINE__, #call,       \
              shmslot_status_string(got_), shmslot_status_string(want), shmslot_last_error_message()); \
      ++c_check_failures;                                                                              \
    }                                                                                                  \
  } while (0)

#define EXPECT_OK(call) EXPECT_STATUS(SHMSLOT_OK, call)

#define EXPECT_TRUE(cond)                                                 \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      ++c_check_failures;                                                 \
    }                                                                     \
  } while (0)

/* A directory of its own for the test's flink files (mkdtemp), and a path in it. */
static char c_check_dir[64];
static char c_check_path_buf[128];

static const char* c_check_flink(const char* name) {
  if (c_check_dir[0] == '\0') {
    strcpy(c_check_dir, "/tmp/shmslot-c-api-XXXXXX");
    if (mkdtemp(c_check_dir) == NULL) {
      perror("mkdtemp");
      exit(2);
    }
  }
  snprintf(c_check_path_buf, sizeof c_check_path_buf, "%s/%s", c_check_dir, name);
  return c_check_path_buf;
}

/* Removes the directory (empty once every segment is closed) and returns the exit code. */
static int c_check_finish(void) {
  if (c_check_dir[0] != '\0' && rmdir(c_check_dir) != 0) {
    perror("rmdir: a flink file was left behind");
    ++c_check_failures;
  }
  if (c_check_failures != 0) fprintf(stderr, "%d check(s) failed\n", c_check_failures);
  return c_check_failures == 0 ? 0 : 1;
}

#endif
