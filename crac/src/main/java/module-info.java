/**
 * CRaC interoperation for Metamori: a checkpointer whose store follows a CRaC process image.
 * The module exports {@code dev.metamori.crac} alone.
 */
module dev.metamori.crac {
  requires transitive dev.metamori;
  requires transitive org.crac;

  exports dev.metamori.crac;
}
