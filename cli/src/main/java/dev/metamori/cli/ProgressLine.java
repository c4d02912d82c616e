package dev.metamori.cli;

import dev.metamori.ProgressListener;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress line on a terminal, rewritten in place: what is being done, the share done, the
 * rate and the time left. Redrawn at most ten times a second; {@link #finish()} ends the line.
 * While the total is unknown (reported as -1, as {@code receive} does while it reads the stream)
 * the line shows the bytes read and the rate; the rate and the time left of the pass that follows
 * count from its start.
 */
final class ProgressLine implements ProgressListener {
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter err;
  private final String what;
  private final LongSupplier nanoTime;
  private long start;
  private boolean unknownTotal;
  private long lastDraw;
  private long lastDone = -1;
  private int lastWidth;
  private boolean drawn;

  ProgressLine(PrintWriter err, String what, LongSupplier nanoTime) {
    this.err = err;
    this.what = what;
    this.nanoTime = nanoTime;
    this.start = nanoTime.getAsLong();
  }

  @Override
  public void advanced(long done, long total) {
    long now = nanoTime.getAsLong();
    if (total < 0) {
      unknownTotal = true;
    } else if (unknownTotal) {
      // a pass of known length follows one of unknown length: its rate starts now
      unknownTotal = false;
      start = now;
      lastDone = -1;
    }
    if (done == lastDone || ((total < 0 || done < total) && drawn && now - lastDraw < REDRAW_NANOS)) {
      return;
    }
    lastDraw = now;
    lastDone = done;
    drawn = true;
    double seconds = Math.max(now - start, 1) / 1e9;
    double rate = done / seconds;
    String eta = rate > 0 && total > done ? clock((total - done) / rate) : "0:00";
    String line =
        total < 0
            ? String.format(Locale.ROOT, "%s  %s read  %s/s", what, ByteSize.of(done), ByteSize.of((long) rate))
            : String.format(
                Locale.ROOT,
                "%s %3d%%  %s of %s  %s/s  ETA %s",
                what,
                total == 0 ? 100 : (int) (100 * done / total),
                ByteSize.of(done),
                ByteSize.of(total),
                ByteSize.of((long) rate),
                eta);
    // pad over the rest of a longer earlier line
    err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
    lastWidth = line.length();
    err.flush();
  }

  /** Ends the line, if one was drawn, so that what follows starts on a fresh one. */
  void finish() {
    if (drawn) {
      err.println();
      err.flush();
    }
  }

  private static String clock(double seconds) {
    long s = (long) Math.ceil(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
