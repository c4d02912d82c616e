package dev.metamori.crac;

import dev.metamori.Checkpointer;
import dev.metamori.NoSuchEpochException;
import dev.metamori.OutsideChangesException;
import java.io.IOException;
import java.util.Objects;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/**
 * A {@link Checkpointer} that keeps its store in agreement with a CRaC process image.
 *
 * <p>CRaC (Coordinated Restore at Checkpoint) saves a running JVM's memory and restores it
 * later, but not the files the program wrote: restored, the program's memory is as it was at
 * the checkpoint while its files have moved on. This class closes that gap. Registered as an
 * {@link org.crac.Resource}, before a CRaC checkpoint it commits the working epoch (the
 * <em>image epoch</em>) and closes the store (CRaC refuses to checkpoint a process with open
 * files); after a restore it opens the store again and restores the tracked files, regions and
 * objects to the image epoch, so that memory and files agree again. Epochs committed after the
 * image, by this process before it was restored or by any other, stay in the store, on another
 * branch.
 *
 * <pre>{@code
 * CracCheckpointer crac = CracCheckpointer.open(
 *     Checkpointer.builder(store).track(data),
 *     cp -> cp.register("state", state));   // run at every open, before the restore
 * Checkpointer cp = crac.checkpointer();      // a new one after every CRaC restore
 * }</pre>
 *
 * <p>After a restore the application must take {@link #checkpointer()} and its file system
 * again: the instance before the checkpoint is closed. Regions and objects are registered again
 * by the {@code setup} given to {@link #open}, which runs at every open, before the restore to
 * the image epoch. Keep a strong reference to the {@code CracCheckpointer}: CRaC holds its
 * resources weakly.
 */
public final class CracCheckpointer implements AutoCloseable {
  /** Registers regions and objects with a freshly opened checkpointer. */
  @FunctionalInterface
  public interface Setup {
    /**
     * Called at every open of the store, before anything is restored.
     *
     * @param checkpointer the checkpointer just opened
     * @throws IOException if it could not be set up
     */
    void accept(Checkpointer checkpointer) throws IOException;
  }

  private final Checkpointer.Builder builder;
  private final Setup setup;
  private final Resource resource = new StoreResource();
  private Checkpointer current;
  private long imageEpoch = -1;
  private boolean closed;

  private CracCheckpointer(Checkpointer.Builder builder, Setup setup) {
    this.builder = builder;
    this.setup = setup;
  }

  /**
   * Opens the store configured by {@code builder} and registers with CRaC's global context.
   *
   * @param builder the store and its tracked roots, as for {@link Checkpointer.Builder#open()}
   * @param setup registers regions and objects; run now and after every CRaC restore
   * @return the open checkpointer
   * @throws IOException if the store could not be opened or set up
   */
  public static CracCheckpointer open(Checkpointer.Builder builder, Setup setup) throws IOException {
    return open(builder, setup, Core.getGlobalContext());
  }

  /**
   * As {@link #open(Checkpointer.Builder, Setup)}, registering with {@code context} instead of
   * CRaC's global context (a context of the application's own, ordered among its resources).
   *
   * @param builder the store and its tracked roots
   * @param setup registers regions and objects; run now and after every CRaC restore
   * @param context the CRaC context to register with
   * @return the open checkpointer
   * @throws IOException if the store could not be opened or set up
   */
  public static CracCheckpointer open(
      Checkpointer.Builder builder, Setup setup, Context<Resource> context) throws IOException {
    CracCheckpointer c = new CracCheckpointer(Objects.requireNonNull(builder, "builder"), Objects.requireNonNull(setup, "setup"));
    c.current = c.openStore();
    context.register(c.resource);
    return c;
  }

  private Checkpointer openStore() throws IOException {
    Checkpointer cp = builder.open();
    try {
      setup.accept(cp);
    } catch (IOException | RuntimeException e) {
      try {
        cp.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return cp;
  }

  /**
   * The open checkpointer: a new instance after each CRaC restore.
   *
   * @return the checkpointer
   * @throws IllegalStateException while a CRaC checkpoint has closed the store, or after a
   *     restore that could not reopen it, or after {@link #close()}
   */
  public synchronized Checkpointer checkpointer() {
    if (current == null) {
      throw new IllegalStateException(
          closed
              ? "this CracCheckpointer is closed"
              : "the store is closed for a CRaC checkpoint (or could not be opened again after the"
                  + " restore: see the RestoreException CRaC reported)");
    }
    return current;
  }

  /**
   * The epoch committed at the last CRaC checkpoint, which a restore of its image returns to.
   *
   * @return the image epoch, or -1 if no CRaC checkpoint was taken
   */
  public synchronized long imageEpoch() {
    return imageEpoch;
  }

  /** Closes the checkpointer (without committing, as {@link Checkpointer#close()}). */
  @Override
  public synchronized void close() throws IOException {
    closed = true;
    if (current != null) {
      Checkpointer cp = current;
      current = null;
      cp.close();
    }
  }

  private synchronized void beforeCheckpoint() throws IOException {
    Checkpointer cp = checkpointer();
    imageEpoch = cp.commit("crac-checkpoint");
    current = null;
    cp.close();
  }

  private synchronized void afterRestore() throws IOException {
    if (closed || imageEpoch < 0) {
      return;
    }
    Checkpointer cp = openStore();
    try {
      cp.restore(imageEpoch);
    } catch (NoSuchEpochException e) {
      cp.close();
      throw new IOException(
          "the epoch " + imageEpoch + " taken with this CRaC image is no longer in the store"
              + " (pruned, or another store): the files cannot be brought back to the image;"
              + " keep the epochs of the images you may restore (RetentionPolicy)",
          e);
    } catch (OutsideChangesException e) {
      cp.close();
      throw new IOException(
          "the tracked files were changed outside the checkpointer since the CRaC checkpoint, so"
              + " they were not restored to the image's epoch " + imageEpoch + ": "
              + e.getMessage(),
          e);
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
    current = cp;
  }

  /** The resource registered with CRaC; held strongly by its {@code CracCheckpointer}. */
  private final class StoreResource implements Resource {
    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) throws Exception {
      CracCheckpointer.this.beforeCheckpoint();
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) throws Exception {
      CracCheckpointer.this.afterRestore();
    }
  }
}
