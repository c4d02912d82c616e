/** Programs that use Metamori as an application would: the public API only. */
module dev.metamori.examples {
  requires dev.metamori;
}
