package dev.metamori.faults;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Scratch directories for tests that run a workload hundreds of times: in memory (/dev/shm)
 * where the platform has it, so that the forces of each run cost nothing; otherwise under the
 * given fallback. The fault tests inject failures and simulate power loss themselves, so they
 * do not need a real disk.
 */
final class ScratchSpace {
  private ScratchSpace() {}

  static Path create(Path fallback) throws IOException {
    Path shm = Paths.get(System.getProperty("metamori.faults.scratch", "/dev/shm"));
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      try {
        return Files.createTempDirectory(shm, "metamori-faults");
      } catch (IOException ignored) {
        // fall back to the disk
      }
    }
    return Files.createTempDirectory(fallback, "scratch");
  }

  static void delete(Path dir) throws IOException {
    if (dir != null && Files.exists(dir)) {
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }
}
