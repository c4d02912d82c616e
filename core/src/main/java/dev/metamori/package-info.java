/**
 * Metamori: incremental checkpoint and restore of an application's files and memory.
 *
 * <p>Most users need only {@link dev.metamori.Checkpointer} and its builder. This is the only
 * package the {@code dev.metamori} module exports; the packages under {@code
 * dev.metamori.internal} are implementation, closed to code on the module path and subject to
 * change without notice for code on the class path.
 */
package dev.metamori;
