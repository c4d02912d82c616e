/**
 * Building blocks for checkpointing volatile state: {@link
 * dev.metamori.internal.memory.OffHeapMemory} (a long-indexed off-heap region of any size),
 * {@link dev.metamori.internal.memory.PageHashes} (finds the pages changed since the last
 * commit from one hash per page), and {@link dev.metamori.internal.memory.Chunker} with {@link
 * dev.metamori.internal.memory.ChunkingOutputStream} (content-defined chunking of serialised
 * objects, so a small change stores only a few chunks). Nothing here knows about the journal or
 * the file system.
 */
package dev.metamori.internal.memory;
