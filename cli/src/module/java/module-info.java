/** The metamori command: uses the library's public API only. */
module dev.metamori.cli {
  requires dev.metamori;
  requires info.picocli;

  // picocli fills the commands' annotated fields by reflection
  opens dev.metamori.cli to info.picocli;
}
