package dev.metamori.internal.journal;

import java.io.IOException;

/** Receives the records of a committed epoch, in the order they were written. */
@FunctionalInterface
public interface RecordVisitor {
  /**
   * Visits one record.
   *
   * @param frameBytes bytes the record takes in its segment, frame header and checksum included
   * @param storedPayloadBytes bytes its payload (block, page or chunk contents) takes in the
   *     frame, LZ4-compressed where that was shorter; 0 for records without one
   */
  void visit(UndoRecord record, int frameBytes, int storedPayloadBytes) throws IOException;
}
