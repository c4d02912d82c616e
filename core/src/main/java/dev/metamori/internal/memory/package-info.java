/**
 * Building blocks for checkpointing volatile state: {@link
 * dev.metamori.internal.memory.OffHeapMemory} (a long-indexed off-heap region of any size),
 * {@link dev.metamori.internal.memory.DirtyPages} (finds the pages changed since the last
 * commit: from one hash per page with {@link dev.metamori.internal.memory.PageHashes}, or, on
 * Linux with Java 22 or later, from the kernel's write-protect bits; the latter lives in {@code
 * src/main/java22}, the multi-release section of the jar), and {@link dev.metamori.internal.memory.Chunker} with {@link
 * dev.metamori.internal.memory.ChunkingOutputStream} (content-defined chunking of serialised
 * objects, so a small change stores only a few chunks). Nothing here knows about the journal or
 * the file system.
 */
package dev.metamori.internal.memory;
