package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The progress line's share, rate and time left, on a clock the test moves. */
class ProgressLineTest {
  final StringWriter err = new StringWriter();
  long now;
  final ProgressLine line = new ProgressLine(new PrintWriter(err), "verify", () -> now);

  @Test
  void showsShareRateAndTimeLeftAndRedrawsInPlace() {
    now = 2_000_000_000L; // 2 s
    line.advanced(1 << 20, 4 << 20);
    assertEquals("\rverify  25%  1.0 MiB of 4.0 MiB  512.0 KiB/s  ETA 0:06", err.toString());
    now = 4_000_000_000L;
    line.advanced(4 << 20, 4 << 20);
    line.finish();
    assertEquals(
        "\rverify  25%  1.0 MiB of 4.0 MiB  512.0 KiB/s  ETA 0:06"
            + "\rverify 100%  4.0 MiB of 4.0 MiB  1.0 MiB/s  ETA 0:00  \n", // padded over the longer line
        err.toString());
  }

  @Test
  void redrawsAtMostTenTimesASecondButAlwaysTheEnd() {
    now = 1_000_000_000L;
    line.advanced(1, 100);
    now += 50_000_000L;
    line.advanced(2, 100); // 50 ms later: skipped
    now += 60_000_000L;
    line.advanced(3, 100);
    now += 1;
    line.advanced(100, 100);
    line.advanced(100, 100); // the same again: not redrawn
    assertEquals(3, err.toString().split("\r", -1).length - 1, err.toString());
  }

  @Test
  void longEtasShowHours() {
    now = 1_000_000_000L;
    line.advanced(1, 10_000);
    assertEquals("\rverify   0%  1 B of 9.8 KiB  1 B/s  ETA 2:46:39", err.toString());
  }

  @Test
  void anUnknownTotalShowsTheBytesReadThenTheNextPassCountsFromItsStart() {
    now = 2_000_000_000L;
    line.advanced(3 << 20, -1);
    assertEquals("\rverify  3.0 MiB read  1.5 MiB/s", err.toString());
    now = 3_000_000_000L;
    line.advanced(0, 4 << 20); // the pass after the read starts here
    now = 5_000_000_000L;
    line.advanced(1 << 20, 4 << 20);
    assertEquals(
        "\rverify  3.0 MiB read  1.5 MiB/s"
            + "\rverify   0%  0 B of 4.0 MiB  0 B/s  ETA 0:00"
            + "\rverify  25%  1.0 MiB of 4.0 MiB  512.0 KiB/s  ETA 0:06",
        err.toString());
  }

  @Test
  void nothingDrawnNothingEnded() {
    line.finish();
    assertEquals("", err.toString());
  }
}
