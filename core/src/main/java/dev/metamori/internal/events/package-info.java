/**
 * The library's JDK Flight Recorder events: {@code dev.metamori.Commit}, {@code
 * dev.metamori.Restore}, {@code dev.metamori.Prune}, and the rare {@code dev.metamori.Recovery}
 * and {@code dev.metamori.FailStop}, all in the category "Metamori", without stack traces. Each
 * class begins its event where the work begins and fills its fields only if a recording wants
 * it ({@link jdk.jfr.Event#shouldCommit()}), from figures the operation has already computed.
 * Not exported: JFR registers the events of a named module without it. See docs/design.md,
 * "Observability and control".
 */
package dev.metamori.internal.events;
