package dev.metamori.crac;

import java.util.ArrayList;
import java.util.List;
import org.crac.CheckpointException;
import org.crac.Context;
import org.crac.Resource;
import org.crac.RestoreException;

/**
 * A CRaC context as the JDK's global one behaves, for a JDK without CRaC: resources are notified
 * before a checkpoint in the reverse order of registration and after a restore in the order of
 * registration; their failures are gathered into one exception, as suppressed ones.
 */
final class SequentialContext extends Context<Resource> {
  private final List<Resource> resources = new ArrayList<>();

  @Override
  public synchronized void register(Resource resource) {
    resources.add(resource);
  }

  @Override
  public synchronized void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException {
    CheckpointException failed = null;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).beforeCheckpoint(this);
      } catch (Exception e) {
        failed = failed == null ? new CheckpointException() : failed;
        failed.addSuppressed(e);
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  @Override
  public synchronized void afterRestore(Context<? extends Resource> context) throws RestoreException {
    RestoreException failed = null;
    for (Resource r : resources) {
      try {
        r.afterRestore(this);
      } catch (Exception e) {
        failed = failed == null ? new RestoreException() : failed;
        failed.addSuppressed(e);
      }
    }
    if (failed != null) {
      throw failed;
    }
  }
}
