/* The README's C example: the untyped example again, through libshmslot_c (include/shmslot/shmslot.h). */
#include <shmslot/shmslot.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  shmslot_segment owner = {0}, consumer = {0};
  shmslot_writer writer;
  shmslot_reader reader;
  shmslot_loan loan;
  shmslot_loan_view slot;
  shmslot_sample sample;
  shmslot_sample_view got;
  shmslot_status st = shmslot_segment_create("c-example", /*slot_count=*/8, /*slot_capacity=*/4096, NULL, &owner);
  if (st != SHMSLOT_OK) goto failed;
  if ((st = shmslot_segment_attach("c-example", NULL, &consumer)) != SHMSLOT_OK)
    goto close;                                                                    /* normally another process */
  if ((st = shmslot_reader_register(consumer, &reader)) != SHMSLOT_OK) goto close; /* claims a free reader index */
  if ((st = shmslot_writer_create(owner, &writer)) != SHMSLOT_OK) goto close;      /* waits for registered readers */

  if ((st = shmslot_writer_loan_blocking(writer, 5, /*timeout_ms=*/1000, &loan, &slot)) != SHMSLOT_OK) goto close;
  memcpy(slot.data, "hello", 5); /* written where it is read */
  if ((st = shmslot_loan_commit(loan, 5, NULL)) != SHMSLOT_OK) goto close;

  if ((st = shmslot_reader_take_blocking(reader, 1000, &sample, &got)) != SHMSLOT_OK) goto close;
  printf("%.*s (sample %u)\n", (int)got.size, (const char*)got.data, (unsigned)got.sequence_number);
  st = shmslot_sample_release(sample); /* marks it read */

close:
  shmslot_segment_close(consumer); /* closes the reader too; a handle never opened is refused */
  shmslot_segment_close(owner);    /* the creator's close removes the segment */
  if (st == SHMSLOT_OK) return 0;
failed:
  fprintf(stderr, "%s: %s\n", shmslot_status_string(st), shmslot_last_error_message());
  return 1;
}
