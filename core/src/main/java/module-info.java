/**
 * Metamori: checkpoint and restore an application's files and memory. The module exports
 * {@code dev.metamori} alone; everything under {@code dev.metamori.internal} is implementation,
 * closed to users. The journaling file system is offered to {@link java.nio.file.FileSystems}
 * under the {@code metamori} URI scheme.
 */
module dev.metamori {
  requires com.google.common;
  // the opt-in MBean (Checkpointer.Builder#registerMBean) and the Flight Recorder events
  requires java.management;
  requires jdk.jfr;
  requires com.h2database.mvstore;
  requires org.lz4.java;

  exports dev.metamori;

  provides java.nio.file.spi.FileSystemProvider with
      dev.metamori.internal.fs.MetamoriFileSystemProvider;
}
