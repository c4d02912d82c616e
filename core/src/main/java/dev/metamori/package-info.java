/**
 * Metamori: incremental checkpoint and rollback of an application's files.
 *
 * <p>Most users need only {@link dev.metamori.Checkpointer} and its builder. Packages under
 * {@code dev.metamori.internal} are implementation and may change without notice.
 */
package dev.metamori;
