package dev.metamori.bench;

import dev.metamori.internal.events.CommitEvent;
import dev.metamori.internal.events.RestoreEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the Flight Recorder events add to a commit and a restore when no recording wants them
 * (the usual case): the event's creation and {@code begin()}, then {@code shouldCommit()}, which
 * is false, exactly as the library's hooks do it ({@code CommitEvent.begun()} then {@code
 * committed(...)}; the same for {@code RestoreEvent}). {@code baseline} is the same loop without
 * an event. A whole commit is milliseconds; the events are nanoseconds, too little to see in a
 * commit's time, hence this benchmark of the events alone. Short on purpose:
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 EventCostBenchmark"   # ~40 s
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Thread)
public class EventCostBenchmark {
  private final Path store = Path.of("store");
  private final List<Long> up = List.of(7L, 6L);
  private final List<Long> down = List.of(3L);
  private long epoch;

  @Benchmark
  public long baseline() {
    return ++epoch;
  }

  @Benchmark
  public long commitEvent() {
    CommitEvent event = CommitEvent.begun();
    long id = ++epoch;
    event.committed(store, id, null, 3, 12, 49_152);
    return id;
  }

  @Benchmark
  public long restoreEvent() {
    RestoreEvent event = RestoreEvent.begun();
    long id = ++epoch;
    event.restored(store, id, 3, up, down, e -> 4096);
    return id;
  }
}
