package dev.metamori.agent;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.logging.FileHandler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * An unmodified program for the agent's tests, run in a child JVM: it changes files with plain
 * {@code java.nio.file} and {@code java.io} calls, one command per line on stdin, and answers
 * each with one line on stdout ({@code ok ...} or {@code error ...}). Only {@code commit} and
 * {@code restore} use the agent's {@link MetamoriAgent#checkpointer()}.
 */
public final class AgentWorkload {
  private static Logger log;
  private static FileHandler handler;

  private AgentWorkload() {}

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("ready");
    System.out.flush();
    for (String line; (line = in.readLine()) != null; ) {
      String[] w = line.split(" ", 4);
      String answer;
      try {
        answer = "ok " + run(w);
      } catch (Exception e) {
        answer = "error " + e;
      }
      System.out.println(answer);
      System.out.flush();
      if (w[0].equals("exit")) {
        return;
      }
    }
  }

  private static String run(String[] w) throws Exception {
    switch (w[0]) {
      case "nio-write": // nio-write PATH TEXT
        Files.writeString(Path.of(w[1]), w[2]);
        return "";
      case "nio-append":
        Files.writeString(Path.of(w[1]), w[2], StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return "";
      case "nio-delete":
        Files.delete(Path.of(w[1]));
        return "";
      case "fos": // fos PATH TEXT (truncates)
        try (OutputStream out = new FileOutputStream(w[1])) {
          out.write(w[2].getBytes(StandardCharsets.UTF_8));
        }
        return "";
      case "fos-append":
        try (OutputStream out = new FileOutputStream(new File(w[1]), true)) {
          for (byte b : w[2].getBytes(StandardCharsets.UTF_8)) {
            out.write(b);
          }
        }
        return "";
      case "raf": // raf PATH OFFSET TEXT
        try (RandomAccessFile f = new RandomAccessFile(w[1], "rw")) {
          f.seek(Long.parseLong(w[2]));
          f.write(w[3].getBytes(StandardCharsets.UTF_8));
        }
        return "";
      case "fos-channel": // fos-channel PATH TEXT: appends through the stream's channel
        try (FileOutputStream out = new FileOutputStream(w[1], true)) {
          out.getChannel().write(java.nio.ByteBuffer.wrap(w[2].getBytes(StandardCharsets.UTF_8)));
        }
        return "";
      case "raf-channel": // raf-channel PATH OFFSET TEXT
        try (RandomAccessFile f = new RandomAccessFile(w[1], "rw")) {
          f.getChannel().write(java.nio.ByteBuffer.wrap(w[3].getBytes(StandardCharsets.UTF_8)), Long.parseLong(w[2]));
        }
        return "";
      case "raf-channel-truncate": // raf-channel-truncate PATH LENGTH
        try (RandomAccessFile f = new RandomAccessFile(w[1], "rw")) {
          f.getChannel().truncate(Long.parseLong(w[2]));
        }
        return "";
      case "raf-length": // raf-length PATH LENGTH
        try (RandomAccessFile f = new RandomAccessFile(new File(w[1]), "rw")) {
          f.setLength(Long.parseLong(w[2]));
        }
        return "";
      case "delete":
        return String.valueOf(new File(w[1]).delete());
      case "rename":
        return String.valueOf(new File(w[1]).renameTo(new File(w[2])));
      case "mkdir":
        return String.valueOf(new File(w[1]).mkdir());
      case "mkdirs":
        return String.valueOf(new File(w[1]).mkdirs());
      case "create":
        return String.valueOf(new File(w[1]).createNewFile());
      case "touch": // touch PATH MILLIS
        return String.valueOf(new File(w[1]).setLastModified(Long.parseLong(w[2])));
      case "temp": // temp DIR
        return File.createTempFile("tmp", ".dat", new File(w[1])).getName();
      case "log-open": // log-open PATTERN
        handler = new FileHandler(w[1], true);
        handler.setFormatter(new SimpleFormatter());
        log = Logger.getLogger("workload");
        log.setUseParentHandlers(false);
        log.addHandler(handler);
        return "";
      case "log": // log MESSAGE
        log.info(w[1]);
        handler.flush();
        return "";
      case "log-close":
        log.removeHandler(handler);
        handler.close();
        return "";
      case "secure-delete": // secure-delete DIR: as Guava's MoreFiles.deleteRecursively does it
        try (java.nio.file.DirectoryStream<java.nio.file.Path> ds = java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of(w[1]))) {
          if (!(ds instanceof java.nio.file.SecureDirectoryStream)) {
            return "insecure " + ds.getClass().getName();
          }
          deleteContents((java.nio.file.SecureDirectoryStream<java.nio.file.Path>) ds);
        }
        java.nio.file.Files.delete(java.nio.file.Path.of(w[1]));
        return "deleted";
      case "commit":
        return String.valueOf(MetamoriAgent.checkpointer().commit());
      case "await-commits": // await-commits N: returns once N more commits (of commitEvery) ended
        int n = Integer.parseInt(w[1]);
        java.util.concurrent.CountDownLatch commits = new java.util.concurrent.CountDownLatch(n);
        long[] last = new long[1];
        MetamoriAgent.checkpointer().addListener(new dev.metamori.CheckpointListener() {
          @Override
          public void afterCheckpoint(long epoch) {
            last[0] = epoch;
            commits.countDown();
          }
        });
        if (!commits.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new IllegalStateException("no automatic commit within 60 s");
        }
        return String.valueOf(last[0]);
      case "restore":
        MetamoriAgent.checkpointer().restore(Long.parseLong(w[1]));
        return "";
      case "provider":
        return Path.of(w[1]).getFileSystem().provider().getClass().getName();
      case "exit":
        return "";
      default:
        throw new IllegalArgumentException("unknown command " + w[0]);
    }
  }

  /** Deletes what {@code dir} holds through its relative operations, depth first. */
  private static void deleteContents(java.nio.file.SecureDirectoryStream<java.nio.file.Path> dir) throws IOException {
    for (java.nio.file.Path entry : dir) {
      java.nio.file.Path name = entry.getFileName();
      java.nio.file.attribute.BasicFileAttributes a =
          dir.getFileAttributeView(name, java.nio.file.attribute.BasicFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS)
              .readAttributes();
      if (a.isDirectory()) {
        try (java.nio.file.SecureDirectoryStream<java.nio.file.Path> sub = dir.newDirectoryStream(name, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          deleteContents(sub);
        }
        dir.deleteDirectory(name);
      } else {
        dir.deleteFile(name);
      }
    }
  }
}
