/* check.h — a minimal test harness for the libanysctp C tests.
 * Each TEST prints "PASS name" or "FAIL name"; ffi/test.sh counts them. */
#ifndef ANYSCTP_CHECK_H
#define ANYSCTP_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <anysctp.h>

static int check_failed_;   /* failures in the current test */
static int check_total_failed_;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      char err_[512];                                                        \
      anysctp_last_error(err_, sizeof err_);                                 \
      fprintf(stderr, "  %s:%d: CHECK(%s) failed (last error: %s)\n",        \
              __FILE__, __LINE__, #cond, err_);                              \
      check_failed_++;                                                       \
    }                                                                        \
  } while (0)

/* Checks that an expression returns the expected anysctp_result. */
#define CHECK_RC(expr, want)                                                 \
  do {                                                                       \
    int got_ = (int)(expr);                                                  \
    if (got_ != (int)(want)) {                                               \
      char err_[512];                                                        \
      anysctp_last_error(err_, sizeof err_);                                 \
      fprintf(stderr, "  %s:%d: %s returned %s, want %s (last error: %s)\n", \
              __FILE__, __LINE__, #expr, anysctp_result_str(got_),           \
              anysctp_result_str((int)(want)), err_);                        \
      check_failed_++;                                                       \
    }                                                                        \
  } while (0)

#define RUN(test)                                                            \
  do {                                                                       \
    check_failed_ = 0;                                                       \
    test();                                                                  \
    printf("%s %s\n", check_failed_ ? "FAIL" : "PASS", #test);               \
    fflush(stdout);                                                          \
    check_total_failed_ += check_failed_ != 0;                               \
  } while (0)

#define CHECK_EXIT() return check_total_failed_ ? 1 : 0

#endif
