package dev.metamori;

/**
 * Receives the outputs of committed epochs ({@link Checkpointer#onCommitted(OutputHandler)}):
 * the message to send, the payment to make, the mail to post, once the state that produced it
 * can no longer be lost.
 *
 * <p>Called on one thread of the checkpointer's own, one output at a time, in the order the
 * outputs were recorded. An output counts as delivered when {@link #deliver} returns; if it
 * throws, the output and the ones after it stay pending and are offered again after the next
 * commit or the next open of the store. Delivery is at least once: an output whose delivery a
 * crash interrupted is offered again, with the same {@link Output#key() key}, after the store
 * is opened again, so the handler should make a second delivery harmless (an idempotency key).
 */
@FunctionalInterface
public interface OutputHandler {
  /**
   * Delivers one output.
   *
   * @param output the output, whose epoch is committed
   * @throws Exception if it could not be delivered now: it is offered again later
   */
  void deliver(Output output) throws Exception;
}
