/**
 * The metamori command's store commands, compiled as a module apart (see the pom) to check that
 * they use the library's exported API only. The command itself, with its group commands, runs on
 * the class path: ZooKeeper's jars are not modules.
 */
module dev.metamori.cli {
  requires dev.metamori;
  requires info.picocli;
  // metamori ctl: the Attach API and a JMX client
  requires java.management;
  requires jdk.attach;

  // picocli fills the commands' annotated fields by reflection
  opens dev.metamori.cli to info.picocli;
}
